//! Parameter templates: text with `{variable}` placeholders filled from the incident.
//!
//! `{identity.id}` is replaced by the value of the variable; `{identity.email|ops@example.com}`
//! falls back to the text after `|` when the variable has no value. `{{` and `}}` stand for a
//! literal brace.

use std::fmt;

use riposte_model::{BlastRadiusSummary, Finding, IdentityRef, Incident};

use crate::error::closest;

/// Every variable a template may name, but the open-ended `finding.facts.PATH`.
pub const VARIABLES: &[&str] = &[
    "incident.id",
    "incident.severity",
    "identity.id",
    "identity.key",
    "identity.name",
    "identity.kind",
    "identity.provider",
    "identity.email",
    "identity.user_name",
    "identity.role_name",
    "identity.role_arn",
    "identity.session_name",
    "related.id",
    "related.key",
    "related.name",
    "related.kind",
    "related.provider",
    "related.email",
    "related.user_name",
    "related.role_name",
    "related.role_arn",
    "related.session_name",
    "finding.detection",
    "finding.explanation",
    "finding.severity",
    "finding.confidence",
    "evidence.credential",
    "evidence.access_key_id",
    "blast_radius.tier",
    "blast_radius.policy_narrowing_secs",
];

const FACTS_PREFIX: &str = "finding.facts.";

/// A parsed parameter template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable {
        name: String,
        default: Option<String>,
    },
}

/// An error in a template.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "unclosed `{{` in `{template}`: close the variable with `}}`, or write `{{{{` for a literal brace"
    )]
    Unclosed { template: String },
    #[error("unmatched `}}` in `{template}`: write `}}}}` for a literal brace")]
    UnmatchedClose { template: String },
    #[error("empty variable `{{}}` in `{template}`: name a variable such as `{{identity.id}}`")]
    EmptyVariable { template: String },
    #[error(
        "unknown template variable `{variable}`: expected one of {}, or finding.facts.NAME{}",
        VARIABLES.join(", "),
        suggestion.as_deref().map(|name| format!("; did you mean `{name}`?")).unwrap_or_default()
    )]
    UnknownVariable {
        variable: String,
        suggestion: Option<String>,
    },
}

impl Template {
    /// Parses and checks a template: braces balanced, every variable known.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut characters = source.chars().peekable();
        while let Some(character) = characters.next() {
            match character {
                '{' if characters.peek() == Some(&'{') => {
                    characters.next();
                    literal.push('{');
                }
                '}' if characters.peek() == Some(&'}') => {
                    characters.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError::UnmatchedClose {
                        template: source.to_owned(),
                    });
                }
                '{' => {
                    let mut inside = String::new();
                    let mut closed = false;
                    for next in characters.by_ref() {
                        if next == '}' {
                            closed = true;
                            break;
                        }
                        inside.push(next);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed {
                            template: source.to_owned(),
                        });
                    }
                    let (name, default) = match inside.split_once('|') {
                        Some((name, default)) => (name.trim(), Some(default.to_owned())),
                        None => (inside.trim(), None),
                    };
                    if name.is_empty() {
                        return Err(TemplateError::EmptyVariable {
                            template: source.to_owned(),
                        });
                    }
                    check_variable(name)?;
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Variable {
                        name: name.to_owned(),
                        default,
                    });
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// Returns the template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the variables the template names, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable { name, .. } => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// Fills the template from `scope`. Fails with the first variable that has neither a
    /// value nor a default.
    pub(crate) fn render(&self, scope: &Scope<'_>) -> Result<String, String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(literal) => text.push_str(literal),
                Part::Variable { name, default } => match (scope.lookup(name), default) {
                    (Some(value), _) => text.push_str(&value),
                    (None, Some(default)) => text.push_str(default),
                    (None, None) => return Err(name.clone()),
                },
            }
        }
        Ok(text)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn check_variable(name: &str) -> Result<(), TemplateError> {
    if VARIABLES.contains(&name) {
        return Ok(());
    }
    if let Some(path) = name.strip_prefix(FACTS_PREFIX)
        && path.split('.').all(|key| !key.is_empty())
    {
        return Ok(());
    }
    // `finding.fact.x` or `finding.access_key_id` most likely meant a fact, so a fact path
    // close enough is preferred over a fixed variable.
    let mut facts: Vec<String> = Vec::new();
    if let Some(rest) = name.strip_prefix("finding.") {
        let path = rest.split_once('.').map_or(rest, |(_, path)| path);
        facts.push(format!("{FACTS_PREFIX}{path}"));
        facts.push(format!("{FACTS_PREFIX}{rest}"));
    }
    let facts: Vec<&str> = facts.iter().map(String::as_str).collect();
    let suggestion = closest(name, &facts).or_else(|| closest(name, VARIABLES));
    Err(TemplateError::UnknownVariable {
        variable: name.to_owned(),
        suggestion: suggestion.map(str::to_owned),
    })
}

/// The values templates read: the incident, the identity a step acts on, its findings.
#[derive(Clone, Debug)]
pub(crate) struct Scope<'a> {
    pub incident: &'a Incident,
    pub identity: &'a IdentityRef,
    /// The findings the playbook matched for this identity, in time order.
    pub findings: Vec<&'a Finding>,
    /// The blast radius, for the incident's own identity only.
    pub radius: Option<&'a BlastRadiusSummary>,
}

impl Scope<'_> {
    /// Returns the value of a variable, or `None` when the incident has none.
    pub fn lookup(&self, name: &str) -> Option<String> {
        if let Some(path) = name.strip_prefix(FACTS_PREFIX) {
            return self
                .findings
                .iter()
                .find_map(|finding| fact(&finding.facts, path));
        }
        let (group, field) = name.split_once('.')?;
        match group {
            "incident" => match field {
                "id" => Some(self.incident.id.clone()),
                "severity" => Some(self.incident.severity.as_str().to_owned()),
                _ => None,
            },
            "identity" => identity_field(self.identity, field),
            "related" => self
                .findings
                .iter()
                .flat_map(|finding| &finding.related)
                .find_map(|related| identity_field(related, field)),
            "finding" => {
                let finding = self.findings.first()?;
                match field {
                    "detection" => Some(finding.detection.to_owned()),
                    "explanation" => Some(finding.explanation.clone()),
                    "severity" => Some(finding.severity.as_str().to_owned()),
                    "confidence" => Some(format!("{:.2}", finding.confidence.value())),
                    _ => None,
                }
            }
            "evidence" => {
                let mut credentials = self
                    .findings
                    .iter()
                    .flat_map(|finding| &finding.evidence)
                    .filter_map(|evidence| evidence.credential.as_deref());
                match field {
                    "credential" => credentials.next().map(str::to_owned),
                    // Long-term IAM user keys start with AKIA; ASIA keys are temporary
                    // session credentials, which UpdateAccessKey cannot deactivate.
                    "access_key_id" => credentials
                        .find(|credential| credential.starts_with("AKIA"))
                        .map(str::to_owned),
                    _ => None,
                }
            }
            "blast_radius" => {
                let radius = self.radius?;
                match field {
                    "tier" => Some(radius.tier.clone()),
                    "policy_narrowing_secs" => {
                        radius.policy_narrowing_secs.map(|secs| secs.to_string())
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn identity_field(identity: &IdentityRef, field: &str) -> Option<String> {
    let role = identity.role_session.as_ref();
    let value = match field {
        "id" => identity.key.id.to_string(),
        "key" => identity.key.to_string(),
        "name" => identity.display_name().to_owned(),
        "kind" => identity.kind.as_str().to_owned(),
        "provider" => identity.key.provider.as_str().to_owned(),
        "email" => identity.email.as_deref()?.to_owned(),
        "user_name" => iam_user_name(&identity.key.id)?.to_owned(),
        "role_name" => role?.role_name.to_string(),
        "role_arn" => role?.role_arn.to_string(),
        "session_name" => role?.session_name.to_string(),
        _ => return None,
    };
    Some(value)
}

/// Returns the user name of an IAM user ARN, `arn:aws:iam::ACCOUNT:user/PATH/NAME`.
fn iam_user_name(id: &str) -> Option<&str> {
    if !id.starts_with("arn:") {
        return None;
    }
    let (_, resource) = id.split_once(":user/")?;
    resource.rsplit('/').next().filter(|name| !name.is_empty())
}

/// Reads a fact by a dotted path of object keys and array indexes. Text is returned as is,
/// numbers and booleans as written in JSON; null, objects and arrays have no text value.
fn fact(facts: &serde_json::Map<String, serde_json::Value>, path: &str) -> Option<String> {
    let mut keys = path.split('.');
    let mut value = facts.get(keys.next()?)?;
    for key in keys {
        value = match value {
            serde_json::Value::Object(object) => object.get(key)?,
            serde_json::Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        serde_json::Value::Null | serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_literals_variables_and_braces() {
        let template = Template::parse("{{x}} {identity.id} and {identity.email|none}").unwrap();
        assert_eq!(
            template.parts,
            vec![
                Part::Literal("{x} ".to_owned()),
                Part::Variable {
                    name: "identity.id".to_owned(),
                    default: None
                },
                Part::Literal(" and ".to_owned()),
                Part::Variable {
                    name: "identity.email".to_owned(),
                    default: Some("none".to_owned())
                },
            ]
        );
    }

    #[test]
    fn facts_take_any_path() {
        Template::parse("{finding.facts.owner.name}").unwrap();
        Template::parse("{finding.facts.privileges.0.name}").unwrap();
        assert!(Template::parse("{finding.facts.}").is_err());
        assert!(Template::parse("{finding.facts..x}").is_err());
    }

    #[test]
    fn rejects_unbalanced_braces() {
        assert_eq!(
            Template::parse("{identity.id").unwrap_err().to_string(),
            "unclosed `{` in `{identity.id`: close the variable with `}`, or write `{{` for a \
             literal brace"
        );
        assert_eq!(
            Template::parse("id}").unwrap_err().to_string(),
            "unmatched `}` in `id}`: write `}}` for a literal brace"
        );
        assert_eq!(
            Template::parse("{ }").unwrap_err().to_string(),
            "empty variable `{}` in `{ }`: name a variable such as `{identity.id}`"
        );
    }

    #[test]
    fn suggests_close_variables() {
        let suggestion = |source: &str| match Template::parse(source).unwrap_err() {
            TemplateError::UnknownVariable { suggestion, .. } => suggestion,
            other => panic!("{other}"),
        };
        assert_eq!(
            suggestion("{identity.rolename}").as_deref(),
            Some("identity.role_name")
        );
        assert_eq!(
            suggestion("{finding.fact.access_key_id}").as_deref(),
            Some("finding.facts.access_key_id")
        );
        assert_eq!(
            suggestion("{finding.access_key_id}").as_deref(),
            Some("finding.facts.access_key_id")
        );
        assert_eq!(suggestion("{weather.today}"), None);
    }

    #[test]
    fn iam_user_names() {
        assert_eq!(
            iam_user_name("arn:aws:iam::111111111111:user/ci/deployer"),
            Some("deployer")
        );
        assert_eq!(iam_user_name("arn:aws:iam::111111111111:role/Admin"), None);
        assert_eq!(iam_user_name("00u1example"), None);
    }

    #[test]
    fn facts_read_nested_values() {
        let facts = serde_json::json!({
            "owner": {"name": "deployer"},
            "privileges": [{"name": "AdministratorAccess"}],
            "count": 3,
            "missing": null
        });
        let facts = facts.as_object().unwrap();
        assert_eq!(fact(facts, "owner.name").as_deref(), Some("deployer"));
        assert_eq!(
            fact(facts, "privileges.0.name").as_deref(),
            Some("AdministratorAccess")
        );
        assert_eq!(fact(facts, "count").as_deref(), Some("3"));
        assert_eq!(fact(facts, "missing"), None);
        assert_eq!(fact(facts, "owner"), None);
        assert_eq!(fact(facts, "privileges.x"), None);
    }
}

//! `trust_policy_changed`: an AWS role's trust policy changed, or a role created that trusts
//! principals outside its account.
//!
//! # What it detects
//! - Every successful `UpdateAssumeRolePolicy` ([`Activity::TrustPolicyChanged`]).
//! - A successful `CreateRole` ([`Activity::AccountCreated`] with a trust policy) whose trust
//!   policy admits a principal outside the role's account.
//!
//! The trust policy is read from the event's trust policy privilege. An `Allow` statement whose
//! `Action` (or `NotAction`) leaves `sts:AssumeRole`, `sts:AssumeRoleWithSAML` or
//! `sts:AssumeRoleWithWebIdentity` allowed admits its `Principal`:
//! - `"*"` or `{"AWS": "*"}`, and any `NotPrincipal`, admit every AWS principal;
//! - `AWS` account ids and ARNs (`:root`, roles, users, sessions) admit their account, outside
//!   when it differs from the role's account;
//! - `Federated` SAML and OIDC providers of the role's own account are inside, except the public
//!   issuers below; providers of another account are outside;
//! - public issuers (`token.actions.githubusercontent.com`, `accounts.google.com`,
//!   `cognito-identity.amazonaws.com`, `graph.facebook.com`, `www.amazon.com`, `app.terraform.io`,
//!   `gitlab.com`) admit every identity of the issuer unless a condition pins the subject or
//!   audience claim that identifies the tenant (`<issuer>:sub` for GitHub, `<issuer>:aud` for
//!   Google and Cognito, and so on);
//! - `Service` principals are AWS services acting for the account and never count.
//!
//! # Why it matters
//! A trust policy decides who can become the role. Adding an outside account or a wildcard is a
//! durable backdoor that survives password and key rotation (ATT&CK T1098 Account
//! Manipulation, T1484.002 Trust Modification, T1199 Trusted Relationship).
//!
//! # Severity, confidence and their source
//! - `*`, `NotPrincipal` or a public issuer without its claim condition: Critical.
//! - Another account's principal: High.
//! - Each kind of restricting condition lowers that principal's severity one level, to Medium at
//!   the lowest: an organization or account scope (`aws:PrincipalOrgID`,
//!   `aws:PrincipalOrgPaths`, `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:SourceAccount`,
//!   `aws:SourceArn`, `aws:SourceOrgID`), and `sts:ExternalId`, the confused-deputy guard AWS
//!   documents for third-party access. Only positive operators count (`StringEquals`,
//!   `StringLike`, `ArnEquals`, `ArnLike` and their `ForAnyValue:` forms). `...IfExists` and
//!   `ForAllValues:` operators also match requests that lack the key, so they do not restrict.
//! - `UpdateAssumeRolePolicy` that admits no principal outside the account: Medium, because any
//!   trust change can give an identity of the account a new way into the role.
//!
//! The finding takes the highest severity among the admitted outside principals. Confidence is
//! 0.8 when an outside principal is admitted, 0.5 for a change that admits none, and 0.4 when the
//! record carries no readable trust policy.
//!
//! # Inputs it ignores
//! Failed and unknown-outcome events, `CreateRole` whose trust policy admits only the account
//! and AWS services, `Deny` statements (a `Deny` may exclude a principal that an `Allow`
//! admits, so such policies may be reported as wider than they are), and principals whose
//! account cannot be read: unique ids such as `AROA...` that IAM writes for deleted
//! principals, and account principals when neither the event nor the role ARN states the
//! account. Those are counted in `unresolved_principals`.
//!
//! # Known false positives
//! - Cross-account roles for auditors, backup and monitoring vendors: these usually carry
//!   `sts:ExternalId`, which lowers them to Medium.
//! - Infrastructure-as-code deployments that rewrite trust policies with each release.

use std::collections::HashSet;

use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKind, IdentityRef, Outcome,
    PrivilegeKind, Provider, Severity, Target, TargetKind,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::detections::describe_actor;
use crate::detections::privilege_grant::policy_document;
use crate::{Context, Detector, Enabled};

pub const ID: &str = "trust_policy_changed";

/// Maximum number of outside principals listed in a finding. The count in `facts` covers the
/// rest.
const MAX_LISTED_PRINCIPALS: usize = 20;

const OUTSIDE_CONFIDENCE: f64 = 0.8;
const INSIDE_CONFIDENCE: f64 = 0.5;
const UNREADABLE_CONFIDENCE: f64 = 0.4;

/// The actions by which a trust policy lets a principal become the role.
const ASSUME_ACTIONS: [&str; 3] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
];

/// Condition keys that narrow the callers to an organization, an account or named principals.
const SCOPE_KEYS: [&str; 7] = [
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
];

const EXTERNAL_ID_KEY: &str = "sts:externalid";

/// An identity provider where anyone can open an account, with the token claims that pin a
/// trust policy to one tenant. IAM exposes each claim as the condition key `<issuer>:<claim>`.
struct PublicIssuer {
    /// The issuer as IAM writes it: host, without `https://`.
    host: &'static str,
    claims: &'static [&'static str],
}

const PUBLIC_ISSUERS: [PublicIssuer; 7] = [
    PublicIssuer {
        host: "token.actions.githubusercontent.com",
        claims: &["sub"],
    },
    PublicIssuer {
        host: "accounts.google.com",
        claims: &["aud", "oaud", "sub"],
    },
    PublicIssuer {
        host: "cognito-identity.amazonaws.com",
        claims: &["aud"],
    },
    PublicIssuer {
        host: "graph.facebook.com",
        claims: &["app_id", "id"],
    },
    PublicIssuer {
        host: "www.amazon.com",
        claims: &["app_id", "user_id"],
    },
    PublicIssuer {
        host: "app.terraform.io",
        claims: &["sub"],
    },
    PublicIssuer {
        host: "gitlab.com",
        claims: &["sub"],
    },
];

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct TrustPolicyChanged;

impl TrustPolicyChanged {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

/// How far an admitted principal reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    /// Every AWS principal: `*` or `NotPrincipal`.
    Everyone,
    /// Every identity of a public issuer, for lack of a condition on the named claim key.
    PublicIssuer { condition_key: String },
    /// A principal of another AWS account.
    OtherAccount { account: String },
    /// A principal of the role's own account, or an AWS service.
    Inside,
    /// A principal whose account cannot be read.
    Unresolved,
}

impl Reach {
    fn severity(&self) -> Option<Severity> {
        match self {
            Self::Everyone | Self::PublicIssuer { .. } => Some(Severity::Critical),
            Self::OtherAccount { .. } => Some(Severity::High),
            Self::Inside | Self::Unresolved => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::PublicIssuer { .. } => "public_issuer",
            Self::OtherAccount { .. } => "other_account",
            Self::Inside => "inside",
            Self::Unresolved => "unresolved",
        }
    }
}

/// A principal that a trust policy statement admits.
struct Admitted {
    /// The principal as the policy writes it.
    principal: String,
    /// The principal type: `AWS`, `Federated`, `Service`, or `*`.
    principal_type: String,
    reach: Reach,
    /// Restricting condition keys, as the policy writes them.
    restricted_by: Vec<String>,
    severity: Option<Severity>,
}

/// A condition of a statement with a positive operator.
struct Condition<'a> {
    key: &'a str,
    values: Vec<&'a str>,
}

/// Returns the conditions of a statement whose operator requires the key to be present and
/// to match.
fn restricting_conditions(statement: &Value) -> Vec<Condition<'_>> {
    let Some(Value::Object(operators)) = statement.get("Condition") else {
        return Vec::new();
    };
    let mut conditions = Vec::new();
    for (operator, block) in operators {
        let operator = operator.to_ascii_lowercase();
        if operator.ends_with("ifexists") || operator.starts_with("forallvalues:") {
            continue;
        }
        let base = operator.strip_prefix("foranyvalue:").unwrap_or(&operator);
        let positive = matches!(
            base,
            "stringequals" | "stringequalsignorecase" | "stringlike" | "arnequals" | "arnlike"
        );
        let Value::Object(keys) = block else {
            continue;
        };
        if !positive {
            continue;
        }
        for (key, value) in keys {
            conditions.push(Condition {
                key,
                values: policy_document::string_values(Some(value)),
            });
        }
    }
    conditions
}

/// Returns true when a condition value pins something: not empty and not starting with a
/// wildcard once a claim prefix such as `repo:` or `project_path:` is removed.
fn value_restricts(value: &str) -> bool {
    let value = value.trim();
    let rest = match value.split_once(':') {
        Some((prefix, rest))
            if !prefix.is_empty()
                && prefix
                    .chars()
                    .all(|character| character.is_ascii_alphabetic() || character == '_') =>
        {
            rest
        }
        _ => value,
    };
    !rest.is_empty() && !rest.starts_with(['*', '?'])
}

/// Matches an IAM action pattern with `*` and `?` wildcards against an action, ignoring ASCII
/// case as IAM does.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut p, mut t) = (0_usize, 0_usize);
    // The position of the last `*` in the pattern and the text position it was tried at.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some('*'), _) => {
                backtrack = Some((p, t));
                p += 1;
            }
            (Some('?'), Some(_)) => {
                p += 1;
                t += 1;
            }
            (Some(expected), Some(actual)) if expected == actual => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, tried)) => {
                    p = star + 1;
                    t = tried + 1;
                    backtrack = Some((star, tried + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|character| *character == '*'))
}

/// Returns true when the statement's actions leave a way to assume the role.
fn allows_assume(statement: &Value) -> bool {
    if let Some(actions) = statement.get("Action") {
        let actions = policy_document::string_values(Some(actions));
        return ASSUME_ACTIONS
            .iter()
            .any(|assume| actions.iter().any(|action| glob_matches(action, assume)));
    }
    if let Some(excluded) = statement.get("NotAction") {
        let excluded = policy_document::string_values(Some(excluded));
        return ASSUME_ACTIONS
            .iter()
            .any(|assume| !excluded.iter().any(|action| glob_matches(action, assume)));
    }
    // IAM rejects a statement without actions. Counting one as admitting keeps the check on the
    // safe side.
    true
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// Returns the account field of an ARN, when it is an account id.
fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.strip_prefix("arn:")?.split(':').nth(3)?;
    is_account_id(account).then_some(account)
}

fn account_reach(account: &str, own_account: Option<&str>) -> Reach {
    match own_account {
        Some(own) if own == account => Reach::Inside,
        Some(_) => Reach::OtherAccount {
            account: account.to_owned(),
        },
        None => Reach::Unresolved,
    }
}

fn classify_aws(principal: &str, own_account: Option<&str>) -> Reach {
    if principal == "*" {
        return Reach::Everyone;
    }
    if is_account_id(principal) {
        return account_reach(principal, own_account);
    }
    match arn_account(principal) {
        Some(account) => account_reach(account, own_account),
        None => Reach::Unresolved,
    }
}

fn classify_federated(
    principal: &str,
    own_account: Option<&str>,
    conditions: &[Condition<'_>],
) -> Reach {
    let (issuer, provider_account) = if principal.starts_with("arn:") {
        let resource = principal.splitn(6, ':').nth(5).unwrap_or_default();
        let issuer = resource.strip_prefix("oidc-provider/");
        (issuer, Some(arn_account(principal)))
    } else {
        (Some(principal), None)
    };

    if let Some(Some(account)) = provider_account {
        let reach = account_reach(account, own_account);
        if matches!(reach, Reach::OtherAccount { .. }) {
            return reach;
        }
    }
    if let Some(issuer) = issuer {
        let issuer = issuer.to_ascii_lowercase();
        let public = PUBLIC_ISSUERS.iter().find(|public| {
            issuer == public.host
                || issuer
                    .strip_prefix(public.host)
                    .is_some_and(|rest| rest.starts_with('/'))
        });
        if let Some(public) = public {
            let pinned = conditions.iter().any(|condition| {
                let key = condition.key.to_ascii_lowercase();
                public
                    .claims
                    .iter()
                    .any(|claim| key == format!("{issuer}:{claim}"))
                    && condition.values.iter().any(|value| value_restricts(value))
            });
            let condition_key = public
                .claims
                .first()
                .map_or_else(|| issuer.clone(), |claim| format!("{issuer}:{claim}"));
            return if pinned {
                Reach::Inside
            } else {
                Reach::PublicIssuer { condition_key }
            };
        }
    }
    match provider_account {
        Some(Some(account)) => account_reach(account, own_account),
        _ => Reach::Unresolved,
    }
}

/// Returns the keys of the restricting conditions that narrow who may use the statement, as
/// the policy writes them: organization or account scope keys and `sts:ExternalId`.
fn restriction_keys(conditions: &[Condition<'_>]) -> Vec<String> {
    let mut keys: Vec<String> = conditions
        .iter()
        .filter(|condition| condition.values.iter().any(|value| value_restricts(value)))
        .filter(|condition| {
            let key = condition.key.to_ascii_lowercase();
            key == EXTERNAL_ID_KEY || SCOPE_KEYS.contains(&key.as_str())
        })
        .map(|condition| condition.key.to_owned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Lowers a severity one level per kind of restriction, to Medium at the lowest.
fn lowered(severity: Severity, restricted_by: &[String]) -> Severity {
    let scoped = restricted_by
        .iter()
        .any(|key| SCOPE_KEYS.contains(&key.to_ascii_lowercase().as_str()));
    let external_id = restricted_by
        .iter()
        .any(|key| key.eq_ignore_ascii_case(EXTERNAL_ID_KEY));
    let mut result = severity;
    for _ in 0..(usize::from(scoped) + usize::from(external_id)) {
        result = match result {
            Severity::Critical => Severity::High,
            _ => Severity::Medium,
        };
    }
    result.max(Severity::Medium)
}

/// Returns every principal that the statement admits to assume the role.
fn admitted_principals(statement: &Value, own_account: Option<&str>) -> Vec<Admitted> {
    if !policy_document::allows(statement) || !allows_assume(statement) {
        return Vec::new();
    }
    let conditions = restricting_conditions(statement);
    let restricted_by = restriction_keys(&conditions);

    let mut found: Vec<(String, String, Reach)> = Vec::new();
    if statement.get("NotPrincipal").is_some() {
        found.push((
            "every principal not listed in NotPrincipal".to_owned(),
            "NotPrincipal".to_owned(),
            Reach::Everyone,
        ));
    }
    match statement.get("Principal") {
        Some(Value::String(text)) if text == "*" => {
            found.push(("*".to_owned(), "*".to_owned(), Reach::Everyone));
        }
        Some(Value::Object(types)) => {
            for (principal_type, value) in types {
                for principal in policy_document::string_values(Some(value)) {
                    let reach = match principal_type.as_str() {
                        "AWS" => classify_aws(principal, own_account),
                        "Federated" => classify_federated(principal, own_account, &conditions),
                        "Service" => Reach::Inside,
                        _ => Reach::Unresolved,
                    };
                    found.push((principal.to_owned(), principal_type.clone(), reach));
                }
            }
        }
        _ => {}
    }

    found
        .into_iter()
        .map(|(principal, principal_type, reach)| {
            let severity = reach
                .severity()
                .map(|severity| lowered(severity, &restricted_by));
            Admitted {
                principal,
                principal_type,
                reach,
                restricted_by: restricted_by.clone(),
                severity,
            }
        })
        .collect()
}

/// Describes an admitted outside principal for the explanation.
fn describe_principal(admitted: &Admitted) -> String {
    let mut text = match &admitted.reach {
        Reach::Everyone => format!("{} (any AWS principal)", admitted.principal),
        Reach::PublicIssuer { condition_key } => format!(
            "{} (any identity of that issuer, for lack of a {condition_key} condition)",
            admitted.principal
        ),
        Reach::OtherAccount { account } if *account == admitted.principal => {
            format!("account {account}")
        }
        Reach::OtherAccount { account } => {
            format!("{} (account {account})", admitted.principal)
        }
        Reach::Inside | Reach::Unresolved => admitted.principal.clone(),
    };
    if !admitted.restricted_by.is_empty() {
        text.push_str(" restricted by ");
        text.push_str(&admitted.restricted_by.join(" and "));
    }
    text
}

/// Returns the role's name: the target's name, else the last part of its ARN, else the
/// trust policy privilege's name.
fn role_name(event: &Event, role: Option<&Target>) -> String {
    if let Some(role) = role {
        if let Some(name) = &role.name {
            return name.to_string();
        }
        return role.id.rsplit('/').next().unwrap_or(&role.id).to_owned();
    }
    event
        .privileges
        .iter()
        .find(|privilege| privilege.kind == PrivilegeKind::TrustPolicy)
        .map_or_else(
            || "an unnamed role".to_owned(),
            |privilege| privilege.name.to_string(),
        )
}

/// Returns the outside principals in order of decreasing severity, one entry per principal.
fn outside_principals(admitted: Vec<Admitted>) -> Vec<Admitted> {
    let mut outside: Vec<Admitted> = admitted
        .into_iter()
        .filter(|admitted| admitted.severity.is_some())
        .collect();
    outside.sort_by_key(|admitted| std::cmp::Reverse(admitted.severity));
    let mut seen = HashSet::new();
    outside.retain(|admitted| seen.insert(admitted.principal.clone()));
    outside
}

fn principal_fact(admitted: &Admitted) -> Value {
    let mut fact = json!({
        "principal": admitted.principal,
        "type": admitted.principal_type,
        "reach": admitted.reach.name(),
        "restricted_by": admitted.restricted_by,
        "severity": admitted.severity.map(Severity::as_str),
    });
    if let (Reach::OtherAccount { account }, Some(object)) = (&admitted.reach, fact.as_object_mut())
    {
        object.insert("account".into(), json!(account));
    }
    fact
}

impl Detector for TrustPolicyChanged {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        let trust_policy = event
            .privileges
            .iter()
            .find(|privilege| privilege.kind == PrivilegeKind::TrustPolicy);
        let changed = match event.activity {
            Activity::TrustPolicyChanged => true,
            Activity::AccountCreated if trust_policy.is_some() => false,
            _ => return,
        };
        if event.outcome != Outcome::Success {
            return;
        }

        let role = event
            .targets
            .iter()
            .find(|target| target.kind == TargetKind::Role);
        let own_account = event
            .account
            .as_deref()
            .or_else(|| role.and_then(|role| arn_account(&role.id)));
        let document = trust_policy
            .and_then(|privilege| privilege.document.as_ref())
            .and_then(policy_document::parse);
        let admitted: Vec<Admitted> = document
            .as_deref()
            .map(policy_document::statements)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|statement| admitted_principals(statement, own_account))
            .collect();
        let unresolved: Vec<String> = admitted
            .iter()
            .filter(|admitted| admitted.reach == Reach::Unresolved)
            .map(|admitted| admitted.principal.clone())
            .collect();
        let outside = outside_principals(admitted);

        let worst = outside
            .iter()
            .filter_map(|admitted| admitted.severity)
            .max();
        let (severity, confidence) = match (worst, changed, document.is_some()) {
            (Some(worst), _, _) => (worst, OUTSIDE_CONFIDENCE),
            (None, false, _) => return,
            (None, true, true) => (Severity::Medium, INSIDE_CONFIDENCE),
            (None, true, false) => (Severity::Medium, UNREADABLE_CONFIDENCE),
        };

        let actor = describe_actor(event);
        let role_text = role_name(event, role);
        let account_text = own_account
            .map(|account| format!(" in account {account}"))
            .unwrap_or_default();
        let listed: Vec<String> = outside
            .iter()
            .take(MAX_LISTED_PRINCIPALS)
            .map(describe_principal)
            .collect();
        let more = outside.len().saturating_sub(MAX_LISTED_PRINCIPALS);
        let principals_text = if more > 0 {
            format!("{} and {more} more", listed.join(", "))
        } else {
            listed.join(", ")
        };
        let count_text = match outside.len() {
            1 => "1 principal".to_owned(),
            count => format!("{count} principals"),
        };
        let explanation = if !changed {
            format!(
                "{actor} created role {role_text}{account_text} with a trust policy that admits \
                 {count_text} outside the account: {principals_text}."
            )
        } else if !outside.is_empty() {
            format!(
                "{actor} changed the trust policy of role {role_text}{account_text}. It admits \
                 {count_text} outside the account: {principals_text}."
            )
        } else if document.is_some() {
            format!(
                "{actor} changed the trust policy of role {role_text}{account_text}. It admits no \
                 principal outside the account, but a changed trust policy can give an identity \
                 of the account a new way into the role."
            )
        } else {
            format!(
                "{actor} changed the trust policy of role {role_text}{account_text}. The record \
                 carries no readable trust policy, so the principals it admits are unknown."
            )
        };

        let mut facts = serde_json::Map::new();
        facts.insert("operation".into(), json!(event.operation));
        facts.insert("role".into(), json!(role_text));
        if let Some(role) = role {
            facts.insert("role_id".into(), json!(role.id));
        }
        if let Some(account) = own_account {
            facts.insert("account".into(), json!(account));
        }
        facts.insert("document_readable".into(), json!(document.is_some()));
        facts.insert(
            "outside_principals".into(),
            Value::Array(
                outside
                    .iter()
                    .take(MAX_LISTED_PRINCIPALS)
                    .map(principal_fact)
                    .collect(),
            ),
        );
        facts.insert("outside_principal_count".into(), json!(outside.len()));
        if !unresolved.is_empty() {
            facts.insert(
                "unresolved_principals".into(),
                json!(
                    unresolved
                        .iter()
                        .take(MAX_LISTED_PRINCIPALS)
                        .collect::<Vec<_>>()
                ),
            );
            facts.insert("unresolved_principal_count".into(), json!(unresolved.len()));
        }

        let mut attack = vec!["T1098", "T1484.002"];
        if !outside.is_empty() {
            attack.push("T1199");
        }
        let related = role
            .map(|role| {
                let mut identity = IdentityRef::new(
                    Provider::Aws,
                    role.id.clone(),
                    IdentityKind::AssumedRoleSession,
                );
                identity.name = Some(role_text.as_str().into());
                identity
            })
            .into_iter()
            .collect();

        findings.push(Finding {
            detection: ID,
            severity,
            confidence: Confidence::new(confidence),
            identity: event.actor.clone(),
            first_seen: event.time,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack,
            facts,
            related,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run};

    const ACCOUNT: &str = "111111111111";
    const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/deploy";

    fn detector() -> TrustPolicyChanged {
        TrustPolicyChanged::new(&Settings::default())
    }

    fn trust_event(activity: Activity, operation: &str, document: Option<Value>) -> EventBuilder {
        EventBuilder::new("unused", "2024-05-01T09:00:00Z")
            .role_session(ACCOUNT, "Admin", "alice@example.com")
            .activity(activity, operation)
            .target(TargetKind::Role, ROLE_ARN, Some("deploy"))
            .privilege(PrivilegeKind::TrustPolicy, "deploy", document)
    }

    fn update(document: Value) -> Event {
        trust_event(
            Activity::TrustPolicyChanged,
            "UpdateAssumeRolePolicy",
            Some(document),
        )
        .build()
    }

    fn create(document: Value) -> Event {
        trust_event(Activity::AccountCreated, "CreateRole", Some(document)).build()
    }

    fn trusting(principal: Value) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]
        })
    }

    fn trusting_with(principal: Value, condition: Value) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": principal,
                "Action": "sts:AssumeRole",
                "Condition": condition
            }]
        })
    }

    fn web_identity(federated: &str, condition: Option<Value>) -> Value {
        let mut statement = json!({
            "Effect": "Allow",
            "Principal": {"Federated": federated},
            "Action": "sts:AssumeRoleWithWebIdentity"
        });
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        json!({"Version": "2012-10-17", "Statement": statement})
    }

    fn single(events: &[Event]) -> Finding {
        let mut findings = run(&mut detector(), events);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        findings.remove(0)
    }

    #[test]
    fn other_account_root_fires_high() {
        let finding = single(&[update(trusting(
            json!({"AWS": "arn:aws:iam::222222222222:root"}),
        ))]);
        assert_eq!(finding.detection, "trust_policy_changed");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.8);
        assert_eq!(finding.attack, vec!["T1098", "T1484.002", "T1199"]);
        assert_eq!(finding.facts["outside_principal_count"], 1);
        assert_eq!(
            finding.facts["outside_principals"][0]["account"],
            "222222222222"
        );
        assert_eq!(finding.related[0].key.id.as_ref(), ROLE_ARN);
        assert_eq!(
            finding.explanation,
            "Admin/alice@example.com changed the trust policy of role deploy in account \
             111111111111. It admits 1 principal outside the account: \
             arn:aws:iam::222222222222:root (account 222222222222)."
        );
    }

    #[test]
    fn wildcard_principal_fires_critical() {
        for principal in [json!("*"), json!({"AWS": "*"}), json!({"AWS": ["*"]})] {
            let finding = single(&[create(trusting(principal.clone()))]);
            assert_eq!(finding.severity, Severity::Critical, "{principal}");
            assert_eq!(finding.facts["outside_principals"][0]["reach"], "everyone");
        }
    }

    #[test]
    fn wildcard_explanation_on_create() {
        let finding = single(&[create(trusting(json!({"AWS": "*"})))]);
        assert_eq!(
            finding.explanation,
            "Admin/alice@example.com created role deploy in account 111111111111 with a trust \
             policy that admits 1 principal outside the account: * (any AWS principal)."
        );
    }

    #[test]
    fn same_account_update_fires_medium() {
        let finding = single(&[update(trusting(
            json!({"AWS": "arn:aws:iam::111111111111:role/ci"}),
        ))]);
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.confidence.value(), 0.5);
        assert_eq!(finding.attack, vec!["T1098", "T1484.002"]);
        assert_eq!(
            finding.explanation,
            "Admin/alice@example.com changed the trust policy of role deploy in account \
             111111111111. It admits no principal outside the account, but a changed trust \
             policy can give an identity of the account a new way into the role."
        );
    }

    #[test]
    fn create_role_for_service_is_quiet() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                "Action": "sts:AssumeRole"
            }
        });
        assert!(run(&mut detector(), &[create(document)]).is_empty());
    }

    #[test]
    fn create_role_for_own_account_is_quiet() {
        let events = [
            create(trusting(json!({"AWS": "arn:aws:iam::111111111111:root"}))),
            create(trusting(json!({"AWS": "111111111111"}))),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn external_id_lowers_severity() {
        let finding = single(&[update(trusting_with(
            json!({"AWS": "arn:aws:iam::222222222222:root"}),
            json!({"StringEquals": {"sts:ExternalId": "c2a1f0e9-vendor"}}),
        ))]);
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(
            finding.facts["outside_principals"][0]["restricted_by"],
            json!(["sts:ExternalId"])
        );
        assert!(finding.explanation.ends_with(
            "arn:aws:iam::222222222222:root (account 222222222222) restricted by sts:ExternalId."
        ));
    }

    #[test]
    fn org_condition_lowers_wildcard_to_high() {
        let finding = single(&[create(trusting_with(
            json!({"AWS": "*"}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
        ))]);
        assert_eq!(finding.severity, Severity::High);
    }

    #[test]
    fn two_restrictions_lower_twice() {
        let finding = single(&[create(trusting_with(
            json!({"AWS": "*"}),
            json!({
                "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
                "StringLike": {"sts:ExternalId": "vendor-*"}
            }),
        ))]);
        assert_eq!(finding.severity, Severity::Medium);
    }

    #[test]
    fn weak_conditions_do_not_restrict() {
        for condition in [
            json!({"StringEqualsIfExists": {"sts:ExternalId": "abc"}}),
            json!({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "*"}}),
            json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        ] {
            let finding = single(&[create(trusting_with(
                json!({"AWS": "*"}),
                condition.clone(),
            ))]);
            assert_eq!(finding.severity, Severity::Critical, "{condition}");
        }
    }

    #[test]
    fn github_without_sub_is_critical() {
        let provider =
            "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
        let audience_only = json!({
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
        });
        let finding = single(&[create(web_identity(provider, Some(audience_only)))]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(
            finding.facts["outside_principals"][0]["reach"],
            "public_issuer"
        );
        assert!(finding.explanation.contains(
            "(any identity of that issuer, for lack of a \
             token.actions.githubusercontent.com:sub condition)"
        ));
    }

    #[test]
    fn github_with_repo_sub_is_quiet_on_create() {
        let provider =
            "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
        let pinned = json!({
            "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-org/deploy:*"}
        });
        assert!(
            run(
                &mut detector(),
                &[create(web_identity(provider, Some(pinned)))]
            )
            .is_empty()
        );
    }

    #[test]
    fn github_with_any_repo_is_critical() {
        let provider =
            "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
        let any_repo = json!({
            "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}
        });
        let finding = single(&[create(web_identity(provider, Some(any_repo)))]);
        assert_eq!(finding.severity, Severity::Critical);
    }

    #[test]
    fn bare_public_issuer_needs_audience() {
        let finding = single(&[create(web_identity("accounts.google.com", None))]);
        assert_eq!(finding.severity, Severity::Critical);
        let pinned =
            json!({"StringEquals": {"accounts.google.com:aud": "1234567890.apps.example"}});
        let events = [create(web_identity("accounts.google.com", Some(pinned)))];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn own_saml_and_cluster_providers_are_inside() {
        let saml = json!({
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111111111111:saml-provider/ExampleIdP"},
                "Action": "sts:AssumeRoleWithSAML"
            }]
        });
        let cluster = web_identity(
            "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
            None,
        );
        assert!(run(&mut detector(), &[create(saml), create(cluster)]).is_empty());
    }

    #[test]
    fn other_account_saml_provider_is_outside() {
        let saml = json!({
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::222222222222:saml-provider/ExampleIdP"},
                "Action": "sts:AssumeRoleWithSAML"
            }]
        });
        assert_eq!(single(&[create(saml)]).severity, Severity::High);
    }

    #[test]
    fn bare_account_id_is_outside() {
        let finding = single(&[create(trusting(json!({"AWS": ["222222222222"]})))]);
        assert_eq!(finding.severity, Severity::High);
        assert!(
            finding
                .explanation
                .ends_with("outside the account: account 222222222222.")
        );
    }

    #[test]
    fn only_assume_actions_admit() {
        let tag_only = json!({
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": "sts:TagSession"
            }]
        });
        assert!(run(&mut detector(), &[create(tag_only)]).is_empty());
        let wildcard_action = json!({
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": ["sts:TagSession", "sts:Assume*"]
            }]
        });
        assert_eq!(single(&[create(wildcard_action)]).severity, Severity::High);
        let not_action = json!({
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                "NotAction": "sts:AssumeRoleWithSAML"
            }]
        });
        assert_eq!(single(&[create(not_action)]).severity, Severity::High);
    }

    #[test]
    fn deny_statements_admit_nobody() {
        let document = json!({
            "Statement": [
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole"
                }
            ]
        });
        assert!(run(&mut detector(), &[create(document)]).is_empty());
    }

    #[test]
    fn not_principal_admits_everyone() {
        let document = json!({
            "Statement": [{
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:user/blocked"},
                "Action": "sts:AssumeRole"
            }]
        });
        assert_eq!(single(&[create(document)]).severity, Severity::Critical);
    }

    #[test]
    fn highest_principal_sets_severity() {
        let document = json!({
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": "vendor"}}
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [
                        "arn:aws:iam::333333333333:role/ops",
                        "arn:aws:iam::111111111111:root"
                    ]},
                    "Action": "sts:AssumeRole"
                }
            ]
        });
        let finding = single(&[update(document)]);
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.facts["outside_principal_count"], 2);
        assert_eq!(
            finding.facts["outside_principals"][0]["principal"],
            "arn:aws:iam::333333333333:role/ops"
        );
    }

    #[test]
    fn unknown_account_is_unresolved() {
        let event = trust_event(
            Activity::AccountCreated,
            "CreateRole",
            Some(trusting(
                json!({"AWS": ["arn:aws:iam::222222222222:root", "AROAEXAMPLEID0123456"]}),
            )),
        )
        .with(|event| {
            event.account = None;
            event.targets.clear();
        })
        .build();
        assert!(run(&mut detector(), &[event]).is_empty());
    }

    #[test]
    fn role_arn_gives_the_account() {
        let event = trust_event(
            Activity::AccountCreated,
            "CreateRole",
            Some(trusting(
                json!({"AWS": ["arn:aws:iam::222222222222:root", "AROAEXAMPLEID0123456"]}),
            )),
        )
        .with(|event| event.account = None)
        .build();
        let finding = single(&[event]);
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.facts["account"], ACCOUNT);
        assert_eq!(finding.facts["unresolved_principal_count"], 1);
    }

    #[test]
    fn unreadable_policy_update_fires_medium() {
        let event =
            trust_event(Activity::TrustPolicyChanged, "UpdateAssumeRolePolicy", None).build();
        let finding = single(&[event]);
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.confidence.value(), 0.4);
        assert_eq!(finding.facts["document_readable"], false);
        assert!(finding.explanation.ends_with(
            "The record carries no readable trust policy, so the principals it admits are unknown."
        ));
    }

    #[test]
    fn policy_as_json_text_is_parsed() {
        let text = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let finding = single(&[create(Value::String(text.to_owned()))]);
        assert_eq!(finding.severity, Severity::Critical);
    }

    #[test]
    fn failed_changes_are_quiet() {
        let events = [
            trust_event(
                Activity::TrustPolicyChanged,
                "UpdateAssumeRolePolicy",
                Some(trusting(json!("*"))),
            )
            .failed()
            .build(),
            trust_event(
                Activity::AccountCreated,
                "CreateRole",
                Some(trusting(json!("*"))),
            )
            .outcome(Outcome::Unknown)
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn account_created_without_trust_policy_is_ignored() {
        let event = EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .activity(Activity::AccountCreated, "user.lifecycle.create")
            .target(TargetKind::User, "00u3new", Some("new@example.com"))
            .build();
        assert!(run(&mut detector(), &[event]).is_empty());
    }

    #[test]
    fn listed_principals_are_capped() {
        let principals: Vec<String> = (0..30)
            .map(|index| format!("arn:aws:iam::2222222222{index:02}:root"))
            .collect();
        let finding = single(&[create(trusting(json!({"AWS": principals})))]);
        assert_eq!(finding.facts["outside_principal_count"], 30);
        assert_eq!(
            finding.facts["outside_principals"]
                .as_array()
                .unwrap()
                .len(),
            MAX_LISTED_PRINCIPALS
        );
        assert!(finding.explanation.ends_with(" and 10 more."));
    }

    #[test]
    fn glob_matches_iam_patterns() {
        assert!(glob_matches("sts:AssumeRole", "sts:assumerole"));
        assert!(glob_matches("sts:*", "sts:assumerolewithsaml"));
        assert!(glob_matches("*", "sts:assumerole"));
        assert!(glob_matches("sts:Assume?ole", "sts:assumerole"));
        assert!(glob_matches("s*:*Role*", "sts:assumerolewithsaml"));
        assert!(!glob_matches("sts:AssumeRole", "sts:assumerolewithsaml"));
        assert!(!glob_matches("sts:Tag*", "sts:assumerole"));
        assert!(!glob_matches("", "sts:assumerole"));
    }

    #[test]
    fn condition_values_that_pin() {
        assert!(value_restricts("o-a1b2c3d4e5"));
        assert!(value_restricts(
            "repo:example-org/deploy:ref:refs/heads/main"
        ));
        assert!(value_restricts("system:serviceaccount:ci:runner"));
        assert!(!value_restricts("*"));
        assert!(!value_restricts("repo:*"));
        assert!(!value_restricts(""));
    }
}

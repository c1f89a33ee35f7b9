//! The inline IAM policies the connector puts in place, and reading them back.

use chrono::{DateTime, SecondsFormat, Utc};
use riposte_action::{ActionError, ActionRequest, System};
use serde_json::Value;

/// The name the IAM console gives the policy of "Revoke active sessions". Because riposte uses
/// the same name, a revocation by riposte and one by an operator update the same policy.
pub const REVOKE_POLICY_NAME: &str = "AWSRevokeOlderSessions";

/// The prefix of time-limited narrowing policies. The rest of the name comes from the
/// idempotency key, so executing the same request twice puts the same policy.
pub const NARROWING_POLICY_PREFIX: &str = "RiposteNarrowing-";

/// Hex digits of the idempotency key kept in a narrowing policy name: 48 bits, enough to keep
/// the narrowings of one principal apart.
const NARROWING_KEY_DIGITS: usize = 12;

/// Condition key of the revocation: when the session's credentials were issued.
const TOKEN_ISSUE_TIME: &str = "aws:TokenIssueTime";
/// Condition key of the narrowing: the time of the request.
const CURRENT_TIME: &str = "aws:CurrentTime";

/// Formats a time as IAM condition values are written: RFC 3339 in UTC, whole seconds.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Returns the revocation policy: deny every action on every resource to sessions whose
/// credentials were issued before `issued_before`.
pub(crate) fn revoke_document(issued_before: &str) -> String {
    deny_document(&["*".to_owned()], TOKEN_ISSUE_TIME, issued_before)
}

fn deny_document(actions: &[String], condition_key: &str, before: &str) -> String {
    let actions = actions
        .iter()
        .map(|action| json_string(action))
        .collect::<Vec<_>>();
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\"Action\":[{}],\
         \"Resource\":[\"*\"],\"Condition\":{{\"DateLessThan\":{{{}:{}}}}}}}]}}",
        actions.join(","),
        json_string(condition_key),
        json_string(before),
    )
}

fn json_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// A validated narrowing: the policy name and the actions it denies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NarrowingDocument {
    pub(crate) policy_name: String,
    pub(crate) deny_actions: Vec<String>,
    pub(crate) duration: chrono::Duration,
}

impl NarrowingDocument {
    /// Checks the requested actions and duration before anything is sent.
    pub(crate) fn new(
        request: &ActionRequest,
        deny_actions: &[String],
        duration_secs: u64,
    ) -> Result<Self, ActionError> {
        let target = request.action.target();
        if deny_actions.is_empty() {
            return Err(invalid_request(format!(
                "narrow_policy on `{target}` lists no action to deny: expected IAM actions \
                 such as `iam:*`"
            )));
        }
        if let Some(bad) = deny_actions.iter().find(|action| !is_iam_action(action)) {
            return Err(invalid_request(format!(
                "invalid IAM action `{bad}` in narrow_policy on `{target}`: expected `*` or \
                 `service:Action`, where the action may contain `*` and `?`"
            )));
        }
        let duration = i64::try_from(duration_secs)
            .ok()
            .filter(|secs| *secs > 0)
            .and_then(chrono::Duration::try_seconds)
            .ok_or_else(|| {
                invalid_request(format!(
                    "invalid duration_secs `{duration_secs}` in narrow_policy on `{target}`: \
                     expected a number of seconds above 0"
                ))
            })?;
        let key = request.idempotency_key();
        let digits = key.trim_start_matches("act-");
        let short = digits.get(..NARROWING_KEY_DIGITS).unwrap_or(digits);
        Ok(Self {
            policy_name: format!("{NARROWING_POLICY_PREFIX}{short}"),
            deny_actions: deny_actions.to_vec(),
            duration,
        })
    }

    /// Returns the expiry of a narrowing put in place at `now`.
    pub(crate) fn expiry(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, ActionError> {
        now.checked_add_signed(self.duration).ok_or_else(|| {
            invalid_request(format!(
                "invalid duration `{} s` for policy `{}`: the expiry is past the last \
                 representable time",
                self.duration.num_seconds(),
                self.policy_name
            ))
        })
    }

    /// Returns the policy document, denying the actions while `aws:CurrentTime` is before
    /// `expires_at`, so that it stops applying by itself.
    pub(crate) fn render(&self, expires_at: &str) -> String {
        deny_document(&self.deny_actions, CURRENT_TIME, expires_at)
    }
}

/// Accepts `*` and `service:Action` with IAM's wildcards.
fn is_iam_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    let service_ok = !service.is_empty()
        && service
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'*' || byte == b'?');
    service_ok && name_ok
}

/// Reports invalid action parameters as a configuration error, because they come from the
/// playbook configuration that requested the action.
fn invalid_request(message: String) -> ActionError {
    ActionError::Configuration {
        system: System::Aws,
        message,
    }
}

/// Parses a policy document read back from IAM. The IAM API returns documents URL-encoded
/// (RFC 3986); plain JSON is accepted too, and tried first.
pub(crate) fn parse_document(raw: &str) -> Result<Value, String> {
    if let Ok(value) = serde_json::from_str(raw) {
        return Ok(value);
    }
    let decoded = percent_decode(raw)?;
    serde_json::from_str(&decoded)
        .map_err(|error| format!("invalid policy document read back: {error}"))
}

fn percent_decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte != b'%' {
            decoded.push(byte);
            index += 1;
            continue;
        }
        let high = bytes.get(index + 1).and_then(|digit| hex_value(*digit));
        let low = bytes.get(index + 2).and_then(|digit| hex_value(*digit));
        let (Some(high), Some(low)) = (high, low) else {
            return Err(format!(
                "invalid percent escape at byte {index} of the policy document read back: \
                 expected `%` and two hex digits"
            ));
        };
        decoded.push(high << 4 | low);
        index += 3;
    }
    String::from_utf8(decoded)
        .map_err(|_| "invalid policy document read back: not UTF-8 once decoded".to_owned())
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// Returns the time before which `document` denies everything to sessions, when it has a
/// revocation statement.
pub(crate) fn revocation_time(document: &Value) -> Option<DateTime<Utc>> {
    statements(document)
        .filter(|statement| is_deny(statement))
        .filter(|statement| values(statement.get("Action")) == ["*"])
        .filter(|statement| values(statement.get("Resource")) == ["*"])
        .find_map(|statement| date_less_than(statement, TOKEN_ISSUE_TIME))
}

/// Returns the expiry of the narrowing statement in `document` that denies exactly
/// `deny_actions`.
pub(crate) fn narrowing_expiry(document: &Value, deny_actions: &[String]) -> Option<DateTime<Utc>> {
    let mut expected: Vec<&str> = deny_actions.iter().map(String::as_str).collect();
    expected.sort_unstable();
    statements(document)
        .filter(|statement| is_deny(statement))
        .filter(|statement| {
            let mut actions = values(statement.get("Action"));
            actions.sort_unstable();
            actions == expected
        })
        .find_map(|statement| date_less_than(statement, CURRENT_TIME))
}

fn statements(document: &Value) -> impl Iterator<Item = &Value> {
    let statement = document.get("Statement");
    let list = statement.and_then(Value::as_array).map(Vec::as_slice);
    let single = statement.filter(|value| value.is_object());
    list.unwrap_or_default().iter().chain(single)
}

fn is_deny(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Deny")
}

/// Returns the strings of a policy element written as one string or a list of strings.
fn values(element: Option<&Value>) -> Vec<&str> {
    match element {
        Some(Value::String(text)) => vec![text.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn date_less_than(statement: &Value, key: &str) -> Option<DateTime<Utc>> {
    let value = statement.get("Condition")?.get("DateLessThan")?.get(key)?;
    let text = values(Some(value)).into_iter().next()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use riposte_action::{Action, AwsPrincipal};

    use super::*;

    fn narrowing_request(actions: &[&str], duration_secs: u64) -> ActionRequest {
        ActionRequest {
            incident_id: "INC-7".into(),
            action: Action::NarrowPolicy {
                principal: AwsPrincipal::Role("Deploy".into()),
                deny_actions: actions.iter().map(|action| (*action).to_owned()).collect(),
                duration_secs,
            },
        }
    }

    fn narrowing(request: &ActionRequest) -> Result<NarrowingDocument, ActionError> {
        let Action::NarrowPolicy {
            deny_actions,
            duration_secs,
            ..
        } = &request.action
        else {
            unreachable!("the request is a narrowing");
        };
        NarrowingDocument::new(request, deny_actions, *duration_secs)
    }

    #[test]
    fn revoke_document_matches_console_policy() {
        assert_eq!(
            revoke_document("2025-03-01T12:00:00Z"),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2025-03-01T12:00:00Z"}}}]}"#
        );
    }

    #[test]
    fn revocation_time_reads_encoded_document() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A\
                       %22Deny%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%2C\
                       %22Condition%22%3A%7B%22DateLessThan%22%3A%7B%22aws%3ATokenIssueTime%22\
                       %3A%222025-03-01T12%3A00%3A00Z%22%7D%7D%7D%7D";
        let document = parse_document(encoded).unwrap();
        let time = revocation_time(&document).unwrap();
        assert_eq!(format_time(time), "2025-03-01T12:00:00Z");
    }

    #[test]
    fn revocation_time_needs_deny_all() {
        let allow = revoke_document("2025-03-01T12:00:00Z").replace("Deny", "Allow");
        assert_eq!(revocation_time(&parse_document(&allow).unwrap()), None);
        let narrow = deny_document(&["s3:*".into()], TOKEN_ISSUE_TIME, "2025-03-01T12:00:00Z");
        assert_eq!(revocation_time(&parse_document(&narrow).unwrap()), None);
    }

    #[test]
    fn parse_document_rejects_bad_escape() {
        assert_eq!(
            parse_document("%7B%2").unwrap_err(),
            "invalid percent escape at byte 3 of the policy document read back: expected `%` \
             and two hex digits"
        );
    }

    #[test]
    fn narrowing_name_comes_from_idempotency_key() {
        let request = narrowing_request(&["iam:*", "s3:Get*"], 3600);
        let document = narrowing(&request).unwrap();
        let key = request.idempotency_key();
        assert_eq!(
            document.policy_name,
            format!("RiposteNarrowing-{}", &key[4..16])
        );
        assert_eq!(
            document.render("2025-03-01T13:00:00Z"),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:*","s3:Get*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:CurrentTime":"2025-03-01T13:00:00Z"}}}]}"#
        );
    }

    #[test]
    fn narrowing_expiry_matches_actions_in_any_order() {
        let request = narrowing_request(&["iam:*", "s3:Get*"], 3600);
        let document = narrowing(&request).unwrap();
        let parsed = parse_document(&document.render("2025-03-01T13:00:00Z")).unwrap();
        let reordered = ["s3:Get*".to_owned(), "iam:*".to_owned()];
        let expiry = narrowing_expiry(&parsed, &reordered).unwrap();
        assert_eq!(format_time(expiry), "2025-03-01T13:00:00Z");
        assert_eq!(narrowing_expiry(&parsed, &["iam:*".to_owned()]), None);
    }

    #[test]
    fn narrowing_rejects_bad_requests() {
        let empty = narrowing(&narrowing_request(&[], 60)).unwrap_err();
        assert_eq!(
            empty.to_string(),
            "invalid aws connector configuration: narrow_policy on `role/Deploy` lists no \
             action to deny: expected IAM actions such as `iam:*`"
        );
        let bad_action = narrowing(&narrowing_request(&["iam:*", "Delete User"], 60)).unwrap_err();
        assert_eq!(
            bad_action.to_string(),
            "invalid aws connector configuration: invalid IAM action `Delete User` in \
             narrow_policy on `role/Deploy`: expected `*` or `service:Action`, where the action \
             may contain `*` and `?`"
        );
        let zero = narrowing(&narrowing_request(&["*"], 0)).unwrap_err();
        assert_eq!(
            zero.to_string(),
            "invalid aws connector configuration: invalid duration_secs `0` in narrow_policy on \
             `role/Deploy`: expected a number of seconds above 0"
        );
        let huge = narrowing(&narrowing_request(&["*"], u64::MAX)).unwrap_err();
        assert!(
            huge.to_string().contains("`18446744073709551615`"),
            "{huge}"
        );
    }

    #[test]
    fn iam_action_syntax() {
        for good in [
            "*",
            "iam:*",
            "s3:GetObject",
            "ec2:Describe*",
            "sts:AssumeRole?",
        ] {
            assert!(is_iam_action(good), "{good}");
        }
        for bad in [
            "",
            "iam",
            "iam:",
            ":Get",
            "IAM:Get",
            "iam:Get Object",
            "iam:Get\"",
        ] {
            assert!(!is_iam_action(bad), "{bad}");
        }
    }
}

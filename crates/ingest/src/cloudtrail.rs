//! AWS CloudTrail normalizer.
//!
//! Reads CloudTrail records as trails deliver them (one element of `Records`), as CloudTrail
//! Lake and `LookupEvents` return them (one object), and as EventBridge delivers them (the
//! `detail` of an event whose `source` starts with `aws.`). Digest files, which CloudTrail
//! writes beside the logs to prove their integrity, are recognised and counted as the
//! unsupported category `digest`.
//!
//! The submodules hold the parts of the mapping:
//! - [`identity`] classifies `userIdentity` into the acting identity and its credential;
//! - [`activity`] maps the operation to an activity with its targets and privileges;
//! - [`origin`] reads `sourceIPAddress`;
//! - [`policy`] decodes the IAM policy documents found in request parameters.

mod activity;
mod identity;
mod origin;
mod policy;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::json::Value;
use riposte_model::{Credential, Event, MfaMethod, Outcome, Source, SourceFormat};

use crate::{NormalizeError, Normalized, RecordContext, json, parse_time_value};

/// The `eventType` values CloudTrail writes.
const EVENT_TYPES: [&str; 6] = [
    "AwsApiCall",
    "AwsServiceEvent",
    "AwsConsoleSignIn",
    "AwsCloudTrailInsight",
    "AwsVpceEvent",
    "AwsConsoleAction",
];

const INSIGHT_EVENT_TYPE: &str = "AwsCloudTrailInsight";

/// The event source of console and IAM Identity Center sign-in events.
const SIGNIN_SOURCE: &str = "signin.amazonaws.com";

/// Returns true for a CloudTrail record, a CloudTrail record wrapped in an EventBridge event,
/// or a CloudTrail digest file.
pub fn matches(record: &Value) -> bool {
    is_trail_record(record) || is_digest(record) || eventbridge_detail(record).is_some()
}

/// Normalizes one CloudTrail record, or the CloudTrail record inside an EventBridge event.
pub fn normalize(
    record: &Value,
    context: &RecordContext<'_>,
) -> Result<Normalized, NormalizeError> {
    if is_digest(record) {
        return Ok(Normalized::Unsupported {
            category: "digest".into(),
        });
    }
    let event = match eventbridge_detail(record) {
        Some(detail) => build_event(detail, json::str_at(record, &["account"]), context)?,
        None => build_event(record, None, context)?,
    };
    Ok(Normalized::Event(Box::new(event)))
}

fn is_trail_record(record: &Value) -> bool {
    let Some(object) = record.as_object() else {
        return false;
    };
    // Okta System Log records also carry `eventType` (`user.session.start`), beside `uuid`
    // and `published`, which CloudTrail never writes.
    if object.contains_key("uuid") && object.contains_key("published") {
        return false;
    }
    json::get(record, &["eventVersion"]).is_some()
        || (json::get(record, &["eventSource"]).is_some()
            && json::get(record, &["eventName"]).is_some())
        || json::str_at(record, &["eventType"]).is_some_and(|kind| EVENT_TYPES.contains(&kind))
}

fn is_digest(record: &Value) -> bool {
    json::get(record, &["digestStartTime"]).is_some()
        && (json::get(record, &["digestSignatureAlgorithm"]).is_some()
            || json::get(record, &["digestEndTime"]).is_some())
}

/// Returns the CloudTrail record that an EventBridge event carries in `detail`.
fn eventbridge_detail<'a>(record: &'a Value<'a>) -> Option<&'a Value<'a>> {
    json::get(record, &["detail-type"])?;
    let source = json::str_at(record, &["source"])?;
    if !source.starts_with("aws.") {
        return None;
    }
    json::get(record, &["detail"]).filter(|detail| is_trail_record(detail))
}

/// Builds the event of one bare CloudTrail record. `envelope_account` is the `account` of
/// the EventBridge event that carried the record, if any.
fn build_event(
    record: &Value,
    envelope_account: Option<&str>,
    context: &RecordContext<'_>,
) -> Result<Event, NormalizeError> {
    let time_value =
        json::get(record, &["eventTime"]).ok_or_else(|| NormalizeError::missing("eventTime"))?;
    let time = parse_time_value(time_value)
        .map_err(|error| NormalizeError::timestamp("eventTime", error))?;

    let insight = json::str_at(record, &["eventType"]) == Some(INSIGHT_EVENT_TYPE);
    let (operation, service) = if insight {
        (
            required_str(record, &["insightDetails", "eventName"])?,
            json::str_at(record, &["insightDetails", "eventSource"]),
        )
    } else {
        (
            required_str(record, &["eventName"])?,
            json::str_at(record, &["eventSource"]),
        )
    };

    let user_identity = json::get(record, &["userIdentity"]);
    let account = json::str_at(record, &["recipientAccountId"])
        .or_else(|| user_identity.and_then(|identity| json::str_at(identity, &["accountId"])))
        .or(envelope_account);
    let access_key = identity::access_key(user_identity);
    let strings = context.strings;
    let actor = identity::actor(
        record,
        user_identity,
        access_key,
        operation,
        account,
        strings,
    );
    let classified = activity::classify(
        record, service, operation, account, &actor, insight, strings,
    );
    let (outcome, outcome_reason) = outcome(record, service, operation, insight);
    let event_id = json::str_at(record, &["eventID"])
        .map(Arc::from)
        .unwrap_or_else(|| context.fallback_event_id());

    // The key id is allocated once for the credential and the session it names.
    let key_id = access_key.map(Arc::<str>::from);
    let origin = origin::parse(json::str_at(record, &["sourceIPAddress"]), strings);
    let mut source = Source::new(origin);
    source.user_agent = json::str_at(record, &["userAgent"]).map(|agent| strings.share(agent));
    // An Insights event names the operation it counted, not a sign-in that took place, so
    // the sign-in fields stay empty.
    let (credential, interactive, mfa) = if insight {
        (Credential::unknown(), None, None)
    } else {
        (
            identity::credential(record, user_identity, key_id.as_ref(), service, operation),
            is_interactive(service, operation).then_some(true),
            mfa(record, service, operation),
        )
    };

    Ok(Event {
        format: SourceFormat::CloudTrail,
        event_id,
        time,
        activity: classified.activity,
        operation: strings.share(operation),
        service: service.map(|service| strings.share(service)),
        outcome,
        outcome_reason,
        credential,
        session_id: identity::session_id(key_id.as_ref()),
        root_session_id: None,
        token_id: None,
        source,
        interactive,
        mfa,
        actor,
        targets: classified.targets,
        privileges: classified.privileges,
        risk: classified.risk,
        account: account.map(|account| strings.share(account)),
        location: context.location.cloned(),
    })
}

/// Returns the string at `path`. A missing value and a value of another type are errors
/// that name the field.
fn required_str<'a>(record: &'a Value, path: &[&str]) -> Result<&'a str, NormalizeError> {
    let field = || path.join(".");
    match json::get(record, path) {
        None => Err(NormalizeError::missing(field())),
        Some(Value::String(text)) => {
            json::present(text).ok_or_else(|| NormalizeError::missing(field()))
        }
        Some(other) => Err(NormalizeError::invalid(
            field(),
            other.to_string(),
            "expected a string",
        )),
    }
}

/// Returns the outcome and the provider's reason for a failure.
///
/// CloudTrail marks a failed API call with `errorCode`. Sign-in events carry no error code:
/// a failed console sign-in writes `"ConsoleLogin": "Failure"` in `responseElements` (and
/// `CheckMfa`, `SwitchRole` likewise under their own name), and IAM Identity Center writes
/// `"CredentialVerification": "Failure"` and the like in `serviceEventDetails`.
fn outcome(
    record: &Value,
    service: Option<&str>,
    operation: &str,
    insight: bool,
) -> (Outcome, Option<Box<str>>) {
    let message = || json::text_at(record, &["errorMessage"]);
    if let Some(code) = json::text_at(record, &["errorCode"]) {
        let reason = match message() {
            Some(message) => format!("{code}: {message}").into(),
            None => code,
        };
        return (Outcome::Failure, Some(reason));
    }
    if insight {
        // An Insights event reports unusual activity and is not itself a request that
        // succeeded or failed.
        return (Outcome::Unknown, None);
    }
    let signin_failure = (service == Some(SIGNIN_SOURCE) || operation == "ConsoleLogin")
        && json::str_at(record, &["responseElements", operation])
            .is_some_and(|status| status.eq_ignore_ascii_case("Failure"));
    if signin_failure {
        let reason = message().unwrap_or_else(|| format!("{operation}: Failure").into());
        return (Outcome::Failure, Some(reason));
    }
    let service_failure = json::get(record, &["serviceEventDetails"])
        .and_then(Value::as_object)
        .and_then(|details| {
            details.iter().find(|(_, status)| {
                status
                    .as_str()
                    .is_some_and(|status| status.eq_ignore_ascii_case("Failure"))
            })
        });
    if let Some((step, _)) = service_failure {
        let reason = message().unwrap_or_else(|| format!("{step}: Failure").into());
        return (Outcome::Failure, Some(reason));
    }
    (Outcome::Success, None)
}

/// Returns true for sign-in events, in which a person types a password or completes a
/// challenge in a browser.
fn is_interactive(service: Option<&str>, operation: &str) -> bool {
    operation == "ConsoleLogin"
        || (service == Some(SIGNIN_SOURCE) && activity::is_signin_step(operation))
        || operation == "CheckMfa"
}

/// Returns the second factor a sign-in used, when the record states it. `service` is the
/// record's `eventSource`.
fn mfa(record: &Value, service: Option<&str>, operation: &str) -> Option<MfaMethod> {
    let mfa_used = json::str_at(record, &["additionalEventData", "MFAUsed"])
        .is_some_and(|used| used.eq_ignore_ascii_case("Yes"));
    if mfa_used || operation == "CheckMfa" {
        return Some(MfaMethod::Other);
    }
    identity::challenge_mfa_method(record, service)
}

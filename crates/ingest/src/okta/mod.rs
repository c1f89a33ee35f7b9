//! Normalizer for Okta System Log events: the `LogEvent` objects returned by
//! `GET /api/v1/logs`, and forwarded unchanged by event hooks and log streams.
//!
//! Every System Log event is at least an API or admin activity, so this normalizer never
//! returns [`Normalized::Unsupported`]: an event type it does not classify becomes
//! [`Activity::ApiCall`].
//!
//! The event's `service` is the label of the application signed in to for single sign-on
//! events (`user.authentication.sso`, `app.oauth2.signon`), and `okta` for every other event,
//! because Okta itself handled the request.

mod activity;
mod credential;
mod identity;
mod network;
mod risk;

use std::sync::Arc;

use crate::json::Value;
use riposte_model::{Activity, Event, Outcome, Sensitive, SourceFormat};

use crate::json::{self, str_at};
use crate::{NormalizeError, Normalized, RecordContext, StringCache, parse_time_value};

/// Fields that only CloudTrail records carry; CloudTrail also writes an `eventType`
/// (`AwsApiCall`, `AwsConsoleSignIn`), so the type alone does not tell the two apart.
const CLOUDTRAIL_FIELDS: [&str; 2] = ["eventVersion", "eventSource"];

/// Returns true for an object with a string `eventType`, a `published` time or a `uuid`, and
/// one of `actor`, `outcome` or `legacyEventType`, which are fields of Okta's `LogEvent`.
pub fn matches(record: &Value) -> bool {
    let Some(object) = record.as_object() else {
        return false;
    };
    if CLOUDTRAIL_FIELDS.iter().any(|key| object.contains_key(key)) {
        return false;
    }
    let has_event_type = object.get("eventType").is_some_and(Value::is_string);
    let has_time_or_id = object.contains_key("published") || object.contains_key("uuid");
    let has_log_event_field = ["actor", "outcome", "legacyEventType"]
        .iter()
        .any(|key| object.contains_key(key));
    has_event_type && has_time_or_id && has_log_event_field
}

/// Normalizes one System Log event. Fails when `published` is missing or is not a valid
/// timestamp, or when `eventType` is missing or is not a string.
pub fn normalize(
    record: &Value,
    context: &RecordContext<'_>,
) -> Result<Normalized, NormalizeError> {
    let time = match json::get(record, &["published"]) {
        Some(value) => parse_time_value(value)
            .map_err(|error| NormalizeError::timestamp("published", error))?,
        None => return Err(NormalizeError::missing("published")),
    };
    let event_type = event_type(record)?;

    let strings = context.strings;
    let activity = activity::activity_of(event_type);
    let actor = identity::actor(record, activity);
    let targets = identity::targets(record, &actor, strings);
    let factor = credential::factor(record, event_type, activity);
    let authentication = json::get(record, &["authenticationContext"]);
    let session_id = session_value(authentication, "externalSessionId", None);
    let root_session_id = session_value(authentication, "rootSessionId", session_id.as_ref());
    let credential = credential::credential(
        record,
        event_type,
        activity,
        actor.kind,
        factor,
        session_id.is_some(),
    );

    let (outcome, outcome_reason) = outcome(record, event_type);
    let privileges = match activity {
        Activity::PrivilegeGranted | Activity::PrivilegeRevoked => {
            vec![identity::privilege(record, event_type, activity)]
        }
        _ => Vec::new(),
    };
    let risk = (activity == Activity::RiskDetected).then(|| risk::detection(record, event_type));

    let event = Event {
        format: SourceFormat::Okta,
        event_id: known_str(record, &["uuid"])
            .map_or_else(|| context.fallback_event_id(), Arc::from),
        time,
        activity,
        operation: strings.share(event_type),
        service: Some(service(record, event_type, strings)),
        outcome,
        outcome_reason,
        actor,
        credential,
        session_id,
        root_session_id,
        token_id: None,
        source: network::source(record, strings),
        interactive: interactive(record, event_type, activity),
        mfa: credential::mfa_method(activity, factor),
        targets,
        privileges,
        risk,
        account: None,
        location: context.location.cloned(),
    };
    Ok(Normalized::Event(Box::new(event)))
}

fn event_type<'a>(record: &'a Value<'a>) -> Result<&'a str, NormalizeError> {
    match json::get(record, &["eventType"]) {
        Some(Value::String(text)) => json::present(text)
            .map(str::trim)
            .ok_or_else(|| NormalizeError::missing("eventType")),
        Some(other) => Err(NormalizeError::invalid(
            "eventType",
            other.to_string(),
            "expected a string such as `user.session.start`",
        )),
        None => Err(NormalizeError::missing("eventType")),
    }
}

/// Returns the outcome and its reason. `outcome.result` maps as follows: `SUCCESS` and
/// `ALLOW` succeed, `FAILURE` and `DENY` fail, and `CHALLENGE`, `SKIPPED`, `UNKNOWN` or no
/// result leave the outcome unknown. The reason is `outcome.reason`.
///
/// A push denial is a failure whatever the result. Okta logs the denial itself with a
/// SUCCESS result, but the authentication that the push was sent for failed, and that is
/// what the event reports. Its reason falls back to `displayMessage`.
fn outcome(record: &Value, event_type: &str) -> (Outcome, Option<Box<str>>) {
    let written = json::get(record, &["outcome"]);
    let reason = written
        .and_then(|outcome| known_str(outcome, &["reason"]))
        .map(Box::from);
    if activity::is_push_denial(event_type) {
        let reason = reason.or_else(|| known_str(record, &["displayMessage"]).map(Box::from));
        return (Outcome::Failure, reason);
    }
    let result = written.and_then(|outcome| str_at(outcome, &["result"]));
    let outcome = match result.map(str::trim) {
        Some(result)
            if result.eq_ignore_ascii_case("SUCCESS") || result.eq_ignore_ascii_case("ALLOW") =>
        {
            Outcome::Success
        }
        Some(result)
            if result.eq_ignore_ascii_case("FAILURE") || result.eq_ignore_ascii_case("DENY") =>
        {
            Outcome::Failure
        }
        _ => Outcome::Unknown,
    };
    (outcome, reason)
}

/// Reads a session id from the `authenticationContext`. Okta writes `unknown` when the
/// request carried no session, as for API calls and some SSO flows. When `same` contains
/// the same id, as the root session id of a session that is its own root does, its value is
/// shared.
fn session_value(
    authentication: Option<&Value>,
    key: &str,
    same: Option<&Sensitive>,
) -> Option<Sensitive> {
    let value = authentication.and_then(|authentication| known_str(authentication, &[key]))?;
    let shared = same.filter(|session| session.expose() == value);
    Some(shared.map_or_else(|| Sensitive::new(value), Sensitive::clone))
}

fn service(record: &Value, event_type: &str, strings: &StringCache) -> Arc<str> {
    if activity::is_single_sign_on(event_type) {
        if let Some(name) = identity::signed_in_application(record) {
            return strings.share(name);
        }
    }
    strings.share("okta")
}

/// Returns `Some(true)` for sign-ins and authentication steps (`user.session.start`,
/// `user.authentication.*`) made from a web browser, and for push denials, which a person
/// makes by tapping the notification. Returns `None` otherwise, because the log does not
/// state whether a person took part.
fn interactive(record: &Value, event_type: &str, activity: Activity) -> Option<bool> {
    if activity::is_push_denial(event_type) {
        return Some(true);
    }
    let authentication = matches!(activity, Activity::SignIn | Activity::MfaVerify)
        && (event_type == "user.session.start" || event_type.starts_with("user.authentication."));
    let from_browser = || known_str(record, &["client", "userAgent", "browser"]).is_some();
    (authentication && from_browser()).then_some(true)
}

/// Returns the string at `path` unless it is absent, a "no value" placeholder, or Okta's
/// `unknown`, which the System Log writes for ids, logins and user agents it does not have.
fn known_str<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    str_at(value, path).filter(|text| !json::trim(text).eq_ignore_ascii_case("unknown"))
}

#[cfg(test)]
mod tests;

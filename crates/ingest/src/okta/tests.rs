use riposte_model::{
    Activity, CredentialKind, Event, IdentityKind, MfaMethod, Outcome, PrivilegeKind,
    RecordLocation, TargetKind,
};
use serde_json::{Value, json};

use super::*;

/// Reads a record built with `serde_json::json!`, which the tests modify in place.
fn matches(record: &Value) -> bool {
    super::matches(&crate::json::Value::from_serde(
        record,
        &crate::json::Arena::new(),
    ))
}

fn normalize(record: &Value, context: &RecordContext<'_>) -> Result<Normalized, NormalizeError> {
    let arena = crate::json::Arena::new();
    super::normalize(&crate::json::Value::from_serde(record, &arena), context)
}

fn context<'a>(raw: &'a [u8], strings: &'a StringCache) -> RecordContext<'a> {
    RecordContext {
        location: None,
        raw: crate::RawRecord::Bytes(raw),
        strings,
    }
}

fn event_of(record: &Value) -> Event {
    match normalize(record, &context(b"{}", &StringCache::new())) {
        Ok(Normalized::Event(event)) => *event,
        Ok(Normalized::Unsupported { category }) => panic!("unsupported: {category}"),
        Err(error) => panic!("rejected: {error}"),
    }
}

fn error_of(record: &Value) -> String {
    match normalize(record, &context(b"{}", &StringCache::new())) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("expected an error for {record}"),
    }
}

fn sign_in() -> Value {
    json!({
        "uuid": "4b7a5c1e-1d5e-11ef-9a7f-0123456789ab",
        "published": "2024-05-20T08:15:30.123Z",
        "eventType": "user.session.start",
        "legacyEventType": "core.user_auth.login_success",
        "displayMessage": "User login to Okta",
        "severity": "INFO",
        "actor": {"id": "00u1a2b3c4EXAMPLE", "type": "User",
                  "alternateId": "ada@example.com", "displayName": "Ada Example"},
        "client": {"ipAddress": "203.0.113.10",
                   "userAgent": {"rawUserAgent": "Mozilla/5.0", "browser": "FIREFOX"}},
        "authenticationContext": {"externalSessionId": "102SessionSecretEXAMPLE",
                                  "rootSessionId": "idxRootSecretEXAMPLE",
                                  "credentialType": "PASSWORD"},
        "outcome": {"result": "SUCCESS", "reason": null}
    })
}

#[test]
fn matches_okta_events_only() {
    assert!(matches(&sign_in()));
    assert!(matches(
        &json!({"eventType": "user.session.start", "uuid": "x", "outcome": {}})
    ));

    // CloudTrail writes an `eventType` as well.
    assert!(!matches(&json!({
        "eventVersion": "1.08", "eventSource": "signin.amazonaws.com",
        "eventType": "AwsConsoleSignIn", "eventTime": "2024-05-20T08:15:30Z",
        "uuid": "x", "outcome": "y"
    })));
    assert!(!matches(&json!({
        "eventType": "AwsApiCall", "eventVersion": "1.08", "published": "x", "actor": {}
    })));
    // Entra sign-in and audit records.
    assert!(!matches(&json!({
        "id": "1", "createdDateTime": "2024-05-20T08:15:30Z",
        "userPrincipalName": "ada@example.com", "status": {"errorCode": 0}
    })));
    assert!(!matches(&json!({
        "time": "2024-05-20T08:15:30Z", "operationName": "Sign-in activity",
        "category": "SignInLogs", "properties": {}
    })));

    assert!(!matches(&json!({"eventType": 3, "uuid": "x", "actor": {}})));
    assert!(!matches(
        &json!({"eventType": "user.session.start", "actor": {}})
    ));
    assert!(!matches(
        &json!({"eventType": "user.session.start", "uuid": "x"})
    ));
    assert!(!matches(&json!(["not", "an", "object"])));
}

#[test]
fn sign_in_is_normalized() {
    let event = event_of(&sign_in());
    assert_eq!(event.format, SourceFormat::Okta);
    assert_eq!(&*event.event_id, "4b7a5c1e-1d5e-11ef-9a7f-0123456789ab");
    assert_eq!(event.time.to_rfc3339(), "2024-05-20T08:15:30.123+00:00");
    assert_eq!(event.activity, Activity::SignIn);
    assert_eq!(&*event.operation, "user.session.start");
    assert_eq!(event.service.as_deref(), Some("okta"));
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(event.actor.kind, IdentityKind::Human);
    assert_eq!(event.credential.kind, CredentialKind::Password);
    assert_eq!(event.interactive, Some(true));
    assert_eq!(event.mfa, None);
    assert_eq!(
        event.source.origin.ip(),
        Some("203.0.113.10".parse().unwrap())
    );
}

#[test]
fn missing_published_is_rejected() {
    let mut record = sign_in();
    record.as_object_mut().unwrap().remove("published");
    assert_eq!(error_of(&record), "missing required field `published`");
    record["published"] = Value::Null;
    assert_eq!(error_of(&record), "missing required field `published`");
}

#[test]
fn invalid_published_is_rejected() {
    let mut record = sign_in();
    record["published"] = json!("2024-13-01T00:00:00Z");
    assert_eq!(
        error_of(&record),
        "invalid timestamp `2024-13-01T00:00:00Z` in `published`: the date does not exist (month or day out of range)"
    );
    record["published"] = json!("yesterday");
    assert_eq!(
        error_of(&record),
        "invalid timestamp `yesterday` in `published`: expected RFC 3339, `M/D/YYYY h:mm:ss AM [+hh:mm]` or epoch milliseconds"
    );
}

#[test]
fn event_type_must_be_a_string() {
    let mut record = sign_in();
    record["eventType"] = json!(42);
    assert_eq!(
        error_of(&record),
        "invalid value `42` in `eventType`: expected a string such as `user.session.start`"
    );
    record["eventType"] = json!("");
    assert_eq!(error_of(&record), "missing required field `eventType`");
}

#[test]
fn outcome_results_map() {
    let cases = [
        (json!("SUCCESS"), Outcome::Success),
        (json!("ALLOW"), Outcome::Success),
        (json!("FAILURE"), Outcome::Failure),
        (json!("DENY"), Outcome::Failure),
        (json!("CHALLENGE"), Outcome::Unknown),
        (json!("SKIPPED"), Outcome::Unknown),
        (json!("UNKNOWN"), Outcome::Unknown),
        (Value::Null, Outcome::Unknown),
    ];
    for (result, expected) in cases {
        let mut record = sign_in();
        record["outcome"] = json!({"result": result.clone(), "reason": "INVALID_CREDENTIALS"});
        let event = event_of(&record);
        assert_eq!(event.outcome, expected, "{result}");
        assert_eq!(event.outcome_reason.as_deref(), Some("INVALID_CREDENTIALS"));
    }
    let mut record = sign_in();
    record.as_object_mut().unwrap().remove("outcome");
    assert_eq!(event_of(&record).outcome, Outcome::Unknown);
}

#[test]
fn push_denial_is_a_failed_push_verification() {
    for event_type in [
        "user.mfa.okta_verify.deny_push",
        "user.mfa.okta_verify.deny_push_upgrade_needed",
    ] {
        let mut record = sign_in();
        record["eventType"] = json!(event_type);
        record["displayMessage"] = json!("User rejected Okta push verify");
        record["outcome"] = json!({"result": "SUCCESS", "reason": null});
        let event = event_of(&record);
        assert_eq!(event.activity, Activity::MfaVerify, "{event_type}");
        assert_eq!(event.outcome, Outcome::Failure, "{event_type}");
        assert_eq!(
            event.outcome_reason.as_deref(),
            Some("User rejected Okta push verify")
        );
        assert_eq!(event.mfa, Some(MfaMethod::Push), "{event_type}");
        assert_eq!(event.interactive, Some(true), "{event_type}");
    }
}

#[test]
fn timed_out_push_stays_failed() {
    let mut record = sign_in();
    record["eventType"] = json!("user.authentication.auth_via_mfa");
    record["authenticationContext"]["credentialType"] = Value::Null;
    record["debugContext"] = json!({"debugData": {"factor": "OKTA_VERIFY_PUSH"}});
    record["outcome"] = json!({"result": "FAILURE", "reason": "VERIFY_PUSH_TIMEOUT"});
    let event = event_of(&record);
    assert_eq!(event.activity, Activity::MfaVerify);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.mfa, Some(MfaMethod::Push));
    assert_eq!(event.credential.kind, CredentialKind::MfaFactor);
}

#[test]
fn push_sent_is_a_push() {
    let mut record = sign_in();
    record["eventType"] = json!("system.push.send_factor_verify_push");
    record["authenticationContext"]["credentialType"] = Value::Null;
    let event = event_of(&record);
    assert_eq!(event.activity, Activity::MfaPushSent);
    assert_eq!(event.mfa, Some(MfaMethod::Push));
}

#[test]
fn session_ids_are_sensitive() {
    let event = event_of(&sign_in());
    let session = event.session_id.as_ref().unwrap();
    let root = event.root_session_id.as_ref().unwrap();
    assert_eq!(session.expose(), "102SessionSecretEXAMPLE");
    assert_eq!(root.expose(), "idxRootSecretEXAMPLE");
    let debug = format!("{event:?}");
    assert!(!debug.contains("102SessionSecretEXAMPLE"));
    assert!(!debug.contains("idxRootSecretEXAMPLE"));
    assert!(debug.contains(&session.fingerprint()));
    let json = serde_json::to_string(&event).unwrap();
    assert!(!json.contains("102SessionSecretEXAMPLE"));
    assert!(!json.contains("idxRootSecretEXAMPLE"));
}

#[test]
fn unknown_session_ids_are_absent() {
    let mut record = sign_in();
    record["authenticationContext"] =
        json!({"externalSessionId": "unknown", "rootSessionId": null});
    let event = event_of(&record);
    assert_eq!(event.session_id, None);
    assert_eq!(event.root_session_id, None);
}

#[test]
fn missing_uuid_gets_a_digest_id() {
    let mut record = sign_in();
    record.as_object_mut().unwrap().remove("uuid");
    let raw = serde_json::to_vec(&record).unwrap();
    let strings = StringCache::new();
    let context = context(&raw, &strings);
    let Ok(Normalized::Event(event)) = normalize(&record, &context) else {
        panic!("expected an event");
    };
    assert_eq!(event.event_id, context.fallback_event_id());
    assert!(event.event_id.starts_with("sha256:"));
}

#[test]
fn location_is_kept() {
    let location = RecordLocation {
        file: std::sync::Arc::from(std::path::Path::new("okta.json")),
        line: 7,
    };
    let raw = b"{}";
    let context = RecordContext {
        location: Some(&location),
        raw: crate::RawRecord::Bytes(raw),
        strings: &StringCache::new(),
    };
    let Ok(Normalized::Event(event)) = normalize(&sign_in(), &context) else {
        panic!("expected an event");
    };
    assert_eq!(event.location, Some(location));
}

#[test]
fn single_sign_on_names_the_application() {
    let mut record = sign_in();
    record["eventType"] = json!("user.authentication.sso");
    record["authenticationContext"] = json!({"externalSessionId": "unknown"});
    record["target"] = json!([
        {"id": "0oa1EXAMPLE", "type": "AppInstance", "alternateId": "Payroll",
         "displayName": "SAML 2.0 Application"},
        {"id": "0ua1EXAMPLE", "type": "AppUser", "alternateId": "ada@example.com"}
    ]);
    let event = event_of(&record);
    assert_eq!(event.activity, Activity::SignIn);
    assert_eq!(event.service.as_deref(), Some("Payroll"));
    assert_eq!(event.credential.kind, CredentialKind::Session);
    assert_eq!(event.targets.len(), 2);
    assert_eq!(event.targets[0].kind, TargetKind::Application);
}

#[test]
fn non_browser_sign_in_is_not_marked_interactive() {
    let mut record = sign_in();
    record["client"]["userAgent"] = json!({"rawUserAgent": "axios/1.6.0", "browser": "UNKNOWN"});
    assert_eq!(event_of(&record).interactive, None);
    record["eventType"] = json!("user.account.update_profile");
    record["client"]["userAgent"]["browser"] = json!("CHROME");
    assert_eq!(event_of(&record).interactive, None);
}

#[test]
fn privilege_grant_carries_the_role() {
    let mut record = sign_in();
    record["eventType"] = json!("user.account.privilege.grant");
    record["debugContext"] = json!({"debugData": {"privilegeGranted": "Super administrator"}});
    record["target"] = json!([{"id": "00u9EXAMPLE", "type": "User",
        "alternateId": "mallory@example.com", "displayName": "Mallory"}]);
    let event = event_of(&record);
    assert_eq!(event.activity, Activity::PrivilegeGranted);
    assert_eq!(event.privileges.len(), 1);
    assert_eq!(event.privileges[0].kind, PrivilegeKind::DirectoryRole);
    assert_eq!(&*event.privileges[0].name, "Super administrator");
    assert_eq!(event.targets[0].kind, TargetKind::User);
}

#[test]
fn threat_detection_carries_the_risk() {
    let record = json!({
        "uuid": "9d1f1a4e-0000-4000-8000-00000000000a",
        "published": "2024-05-20T08:15:30Z",
        "eventType": "security.threat.detected",
        "displayMessage": "Request from suspicious actor",
        "severity": "WARN",
        "actor": {"id": "198.51.100.66", "type": "IP address", "alternateId": "unknown",
                  "displayName": "198.51.100.66"},
        "client": {"ipAddress": "198.51.100.66"},
        "outcome": {"result": "DENY", "reason": "Password Spray"},
        "debugContext": {"debugData": {"threatDetections": "{\"Password Spray\":\"HIGH\"}"}}
    });
    let event = event_of(&record);
    assert_eq!(event.activity, Activity::RiskDetected);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(event.actor.kind, IdentityKind::Unknown);
    let risk = event.risk.unwrap();
    assert_eq!(&*risk.source, "ThreatInsight");
    assert_eq!(&*risk.risk_type, "Password Spray");
    assert_eq!(&*risk.level, "high");
}

#[test]
fn unclassified_event_is_an_api_call() {
    let mut record = sign_in();
    record["eventType"] = json!("system.org.rate_limit.warning");
    let event = event_of(&record);
    assert_eq!(event.activity, Activity::ApiCall);
    assert_eq!(event.credential.kind, CredentialKind::Password);
}

#[test]
fn hostile_shapes_do_not_panic() {
    let shapes = [
        json!({"published": "2024-05-20T08:15:30Z", "eventType": "x", "actor": [],
               "client": "x", "request": {"ipChain": "x"}, "target": {"id": 1},
               "securityContext": {"asNumber": -1}, "authenticationContext": 5,
               "debugContext": {"debugData": {"threatDetections": "{bad json"}}}),
        json!({"published": 1716192930123_i64, "eventType": "security.threat.detected",
               "outcome": [], "debugContext": {"debugData": {"threatDetections": [1, 2]}}}),
        json!({"published": "2024-05-20T08:15:30Z", "eventType": "user.account.privilege.grant",
               "target": [{"id": "r", "type": 7}], "debugContext": null}),
    ];
    for record in shapes {
        let event = event_of(&record);
        assert_eq!(
            event.actor,
            riposte_model::IdentityRef::unknown(riposte_model::Provider::Okta)
        );
    }
}

#[test]
fn equal_root_session_shares_value() {
    let mut record = sign_in();
    record["authenticationContext"]["rootSessionId"] = json!("102SessionSecretEXAMPLE");
    let event = event_of(&record);
    let session = event.session_id.as_ref().unwrap().expose();
    let root = event.root_session_id.as_ref().unwrap().expose();
    assert_eq!(root, "102SessionSecretEXAMPLE");
    assert_eq!(session.as_ptr(), root.as_ptr());
}

#[test]
fn repeated_text_shared_across_events() {
    let mut record = sign_in();
    record["target"] = json!([
        {"id": "00u1a2b3c4EXAMPLE", "type": "User", "alternateId": "ada@example.com"},
        {"id": "0oa1EXAMPLE", "type": "AppInstance", "alternateId": "Payroll"}
    ]);
    let strings = StringCache::new();
    let normalized = || match normalize(&record, &context(b"{}", &strings)) {
        Ok(Normalized::Event(event)) => event,
        _ => panic!("expected an event"),
    };
    let (first, second) = (normalized(), normalized());

    let agent = |event: &Event| event.source.user_agent.clone().unwrap();
    assert!(std::sync::Arc::ptr_eq(&agent(&first), &agent(&second)));
    assert!(std::sync::Arc::ptr_eq(
        &first.targets[1].id,
        &second.targets[1].id
    ));
    // The user target is the actor, whose text it shares; a person's text is not cached.
    assert!(std::sync::Arc::ptr_eq(
        &first.targets[0].id,
        &first.actor.key.id
    ));
    assert!(std::sync::Arc::ptr_eq(
        first.targets[0].name.as_ref().unwrap(),
        first.actor.email.as_ref().unwrap()
    ));
    assert!(!std::sync::Arc::ptr_eq(
        &first.actor.key.id,
        &second.actor.key.id
    ));
}

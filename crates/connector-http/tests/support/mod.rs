//! Helpers shared by the connector tests.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use riposte_action::{Action, ActionRequest, CallLog};
use riposte_connector_http::HttpSettings;

/// Timeouts and retries short enough for tests: 2 s per request, four attempts, 10 ms first
/// backoff, waits of at most 5 s.
pub fn fast_http() -> HttpSettings {
    HttpSettings {
        timeout_secs: 2,
        connect_timeout_secs: 2,
        max_attempts: 4,
        base_delay_ms: 10,
        max_delay_secs: 5,
    }
}

/// Returns an environment that contains only `pairs`.
pub fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    }
}

pub fn request(action: Action) -> ActionRequest {
    ActionRequest {
        incident_id: "INC-2025-0042".to_owned(),
        action,
    }
}

/// Returns `(method, endpoint, status, attempt)` of every record, for exact comparisons.
pub fn calls(log: &CallLog) -> Vec<(String, String, Option<u16>, u32)> {
    log.records
        .iter()
        .map(|record| {
            (
                record.call.method.clone(),
                record.call.endpoint.clone(),
                record.status,
                record.attempt,
            )
        })
        .collect()
}

pub fn call(
    method: &str,
    endpoint: &str,
    status: u16,
    attempt: u32,
) -> (String, String, Option<u16>, u32) {
    (
        method.to_owned(),
        endpoint.to_owned(),
        Some(status),
        attempt,
    )
}

/// Fails when any of `secrets` appears in the serialized call log or its `Debug` form.
pub fn assert_no_secret(log: &CallLog, secrets: &[&str]) {
    let json = serde_json::to_string(log).unwrap();
    let debug = format!("{log:?}");
    for secret in secrets {
        assert!(
            !json.contains(secret),
            "secret found in the call log: {json}"
        );
        assert!(
            !debug.contains(secret),
            "secret found in the call log Debug: {debug}"
        );
    }
}

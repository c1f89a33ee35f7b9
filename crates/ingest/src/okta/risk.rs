//! Risks Okta detected itself: ThreatInsight detections, breached credentials, user risk
//! and reports of suspicious activity.

use crate::json::Value;
use riposte_model::RiskDetection;

use super::{activity, known_str};
use crate::json;

/// Builds the detection of a risk event.
///
/// - risk type: `outcome.reason`, else the strongest detection of
///   `debugData.threatDetections` (a JSON object, often serialized into a string, such as
///   `{"Login Failures":"HIGH"}`), else the event type;
/// - level: the level of the detection that `outcome.reason` names, else of the strongest
///   detection, else the `level=` of `debugData.risk`
///   (`{reasons=Anomalous Device, level=MEDIUM}`), else the event's severity, lowercased;
/// - detail: `displayMessage`.
pub(super) fn detection(record: &Value, event_type: &str) -> RiskDetection {
    let detections = threat_detections(record);
    let reason = known_str(record, &["outcome", "reason"]).map(str::trim);
    let named = reason.and_then(|reason| {
        detections
            .iter()
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(reason))
    });
    let detection = named
        .or_else(|| detections.iter().max_by_key(|(_, level)| level_rank(level)))
        .map(|(name, level)| (name.as_str(), level.as_str()));

    let risk_type = reason
        .or(detection.map(|(name, _)| name))
        .unwrap_or(event_type);
    let level = detection
        .map(|(_, level)| level.to_ascii_lowercase())
        .or_else(|| risk_level(record))
        .or_else(|| severity_level(record))
        .unwrap_or_else(|| "none".to_owned());

    RiskDetection {
        source: activity::detection_source(event_type).into(),
        risk_type: risk_type.trim().into(),
        level: level.into(),
        state: None,
        detail: known_str(record, &["displayMessage"]).map(Box::from),
    }
}

/// Returns the entries of `debugData.threatDetections` whose level is a string, in the
/// order of the object's keys.
fn threat_detections(record: &Value) -> Vec<(String, String)> {
    let Some(raw) = json::get(record, &["debugContext", "debugData", "threatDetections"]) else {
        return Vec::new();
    };
    let arena = json::Arena::new();
    let Some(Value::Object(entries)) = json::unnest(raw, &arena) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(name, level)| match level {
            Value::String(level) if json::present(level).is_some() => {
                Some((name.to_owned(), (*level).to_owned()))
            }
            _ => None,
        })
        .collect()
}

/// Orders levels so that the strongest detection names the risk. On a tie `max_by_key`
/// keeps the last entry, so the key that comes last wins.
fn level_rank(level: &str) -> u8 {
    match level.trim().to_ascii_lowercase().as_str() {
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// Reads `level=` from `debugData.risk`, which Okta writes as `{level=LOW}` or
/// `{reasons=..., level=MEDIUM}`.
fn risk_level(record: &Value) -> Option<String> {
    let risk = known_str(record, &["debugContext", "debugData", "risk"])?;
    let start = risk.find("level=")? + "level=".len();
    let rest = risk.get(start..)?;
    let level = rest
        .split([',', '}'])
        .next()
        .map(str::trim)
        .filter(|level| !level.is_empty())?;
    Some(level.to_ascii_lowercase())
}

/// Maps the event's `severity`: `ERROR` is high, `WARN` medium, `INFO` and `DEBUG` low.
fn severity_level(record: &Value) -> Option<String> {
    let severity = known_str(record, &["severity"])?;
    let level = match severity.trim().to_ascii_uppercase().as_str() {
        "ERROR" => "high",
        "WARN" => "medium",
        "INFO" | "DEBUG" => "low",
        _ => return None,
    };
    Some(level.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    #[test]
    fn threatinsight_detection_from_serialized_detections() {
        let record = json!({
            "displayMessage": "Request from suspicious actor",
            "severity": "WARN",
            "outcome": {"result": "DENY", "reason": null},
            "debugContext": {"debugData": {
                "threatDetections": "{\"Password Spray\":\"MEDIUM\",\"Login Failures\":\"HIGH\"}"
            }}
        });
        let risk = detection(&record, "security.threat.detected");
        assert_eq!(&*risk.source, "ThreatInsight");
        assert_eq!(&*risk.risk_type, "Login Failures");
        assert_eq!(&*risk.level, "high");
        assert_eq!(risk.state, None);
        assert_eq!(
            risk.detail.as_deref(),
            Some("Request from suspicious actor")
        );
        assert!(risk.is_open());
    }

    #[test]
    fn outcome_reason_names_the_risk() {
        let record = json!({
            "outcome": {"result": "DENY", "reason": "Login Failures"},
            "debugContext": {"debugData": {"threatDetections":
                {"Login Failures": "LOW", "Password Spray": "HIGH"}}}
        });
        let risk = detection(&record, "security.threat.detected");
        assert_eq!(&*risk.risk_type, "Login Failures");
        assert_eq!(&*risk.level, "low");
    }

    #[test]
    fn level_falls_back_to_risk_then_severity() {
        let record = json!({"severity": "WARN",
            "debugContext": {"debugData": {"risk": "{reasons=Anomalous Device, level=MEDIUM}"}}});
        let risk = detection(&record, "user.risk.detect");
        assert_eq!(&*risk.source, "Okta");
        assert_eq!(&*risk.risk_type, "user.risk.detect");
        assert_eq!(&*risk.level, "medium");

        let record = json!({"severity": "ERROR"});
        assert_eq!(&*detection(&record, "security.attack.start").level, "high");
        assert_eq!(
            &*detection(&json!({}), "security.attack.start").level,
            "none"
        );
    }
}

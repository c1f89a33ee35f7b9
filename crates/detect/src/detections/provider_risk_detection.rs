//! `provider_risk_detection`: a risk that the identity provider itself detected.
//!
//! # What it detects
//! [`Activity::RiskDetected`] events that carry a [`RiskDetection`]: Entra ID Protection risk
//! detections (`source` `IdentityProtection`, and any source other than the two below), Okta
//! ThreatInsight detections (`ThreatInsight`), and CloudTrail Insights records
//! (`CloudTrailInsights`) whose actor is known.
//!
//! # Why it matters
//! The providers see signals riposte cannot: leaked-credential feeds, token anomalies, password
//! spray across tenants. Turning their detections into findings lets them join the incident of
//! the identity they concern, next to riposte's own findings (ATT&CK T1078 Valid Accounts).
//!
//! # Severity, confidence and their source
//! Severity follows the provider's risk level: `low` is Low, `medium` is Medium, `high` is High,
//! and `none` or any other value is Low. Confidence is 0.6 for every finding, because the
//! judgement is the provider's and riposte cannot check its evidence.
//!
//! One risk is reported once per state. An update of the same risk (same provider and event
//! id) in the same state is reported again only when its level rises. The memory of reported
//! risks lasts 7 days of event time after the last update of a risk.
//!
//! # Inputs it ignores
//! - Risks the provider has closed ([`RiskDetection::is_open`] is false: `dismissed`,
//!   `remediated`, `confirmedSafe`).
//! - CloudTrail Insights `End` records, because the `Start` record of the same insight was
//!   already reported.
//! - CloudTrail Insights records whose actor is unknown. Insights measure unusual API call or
//!   error rates for an account, not the behaviour of one identity, so a record that names no
//!   principal has no identity to join.
//!
//! # Known false positives
//! Those of the provider: Entra's `unfamiliarFeatures` for travellers and new devices, Okta
//! ThreatInsight for shared egress addresses. Closing the risk at the provider stops later
//! updates from firing.

use std::sync::Arc;

use chrono::TimeDelta;
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKind, Provider, RiskDetection, Severity,
};
use serde::Deserialize;
use serde_json::json;

use crate::detections::ExpiringMap;
use crate::{Context, Detector, Enabled};

pub const ID: &str = "provider_risk_detection";

/// Confidence of every finding: the provider's judgement, not riposte's.
const PROVIDER_CONFIDENCE: f64 = 0.6;

/// Retention of a reported risk after its last update, in event time.
const REPORTED_HORIZON: TimeDelta = TimeDelta::days(7);

const INSIGHTS_SOURCE: &str = "CloudTrailInsights";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

/// A reported risk: the provider, the event id and the risk state.
type RiskKey = (Provider, Arc<str>, Option<Box<str>>);

pub struct ProviderRiskDetection {
    /// The highest severity reported for each risk.
    reported: ExpiringMap<RiskKey, Severity>,
}

impl ProviderRiskDetection {
    pub fn new(_settings: &Settings) -> Self {
        Self {
            reported: ExpiringMap::new(REPORTED_HORIZON),
        }
    }
}

/// Maps the provider's risk level to a severity, ignoring ASCII case.
fn level_severity(level: &str) -> Severity {
    match level.trim().to_ascii_lowercase().as_str() {
        "medium" => Severity::Medium,
        "high" => Severity::High,
        _ => Severity::Low,
    }
}

/// Returns the product name people know a risk source by.
fn source_name(source: &str) -> &str {
    match source {
        "IdentityProtection" => "Entra ID Protection",
        "ThreatInsight" => "Okta ThreatInsight",
        INSIGHTS_SOURCE => "CloudTrail Insights",
        other => other,
    }
}

/// Returns the word a sentence uses for a kind of identity.
fn kind_word(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Human => "user",
        IdentityKind::AwsRoot => "root user",
        IdentityKind::IamUserAccessKey => "IAM user",
        IdentityKind::AssumedRoleSession
        | IdentityKind::InstanceRoleSession
        | IdentityKind::FunctionRoleSession
        | IdentityKind::WebIdentitySession => "role session",
        IdentityKind::AwsService => "AWS service",
        IdentityKind::OktaServiceApp => "service app",
        IdentityKind::EntraServicePrincipal => "service principal",
        IdentityKind::EntraManagedIdentity => "managed identity",
        IdentityKind::ProviderSystem => "system principal",
        IdentityKind::NetworkSource => "address",
        IdentityKind::Unknown => "identity",
    }
}

/// Describes the risk level and state: "low risk, atRisk".
fn describe_level(risk: &RiskDetection) -> String {
    let level = risk.level.trim().to_ascii_lowercase();
    let mut text = match level.as_str() {
        "low" | "medium" | "high" => format!("{level} risk"),
        "" => "unrated risk".to_owned(),
        other => format!("risk level {other}"),
    };
    if let Some(state) = risk.state.as_deref().filter(|state| !state.is_empty()) {
        text.push_str(", ");
        text.push_str(state);
    }
    text
}

/// Returns true for risks that this detection skips: closed risks and CloudTrail Insights
/// records that end an insight or name no principal.
fn is_skipped(event: &Event, risk: &RiskDetection) -> bool {
    if !risk.is_open() {
        return true;
    }
    if risk.source.as_ref() == INSIGHTS_SOURCE {
        let ended = risk
            .state
            .as_deref()
            .is_some_and(|state| state.eq_ignore_ascii_case("end"));
        return ended || event.actor.kind == IdentityKind::Unknown;
    }
    false
}

impl Detector for ProviderRiskDetection {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        if event.activity != Activity::RiskDetected {
            return;
        }
        let Some(risk) = &event.risk else {
            return;
        };
        if is_skipped(event, risk) {
            return;
        }

        let severity = level_severity(&risk.level);
        let key: RiskKey = (
            event.format.provider(),
            event.event_id.clone(),
            risk.state.clone(),
        );
        let previous = self.reported.get(&key).copied();
        let highest = self
            .reported
            .touch_or_insert_with(&key, event.time, || severity);
        if previous.is_some_and(|reported| reported >= severity) {
            return;
        }
        *highest = severity;

        let actor = event.actor.display_name();
        let address = event.source.origin.ip().map(|ip| ip.to_string());
        let from = match &address {
            Some(address) if address != actor => format!(" from {address}"),
            _ => String::new(),
        };
        let explanation = format!(
            "{source} reported {risk_type} ({level}) for {kind} {actor}{from}.",
            source = source_name(&risk.source),
            risk_type = risk.risk_type,
            level = describe_level(risk),
            kind = kind_word(event.actor.kind),
        );
        let mut facts = serde_json::Map::new();
        facts.insert("source".into(), json!(risk.source));
        facts.insert("risk_type".into(), json!(risk.risk_type));
        facts.insert("level".into(), json!(risk.level));
        facts.insert("state".into(), json!(risk.state));
        if let Some(detail) = &risk.detail {
            facts.insert("detail".into(), json!(detail));
        }
        if let Some(address) = address {
            facts.insert("address".into(), json!(address));
        }

        findings.push(Finding {
            detection: ID,
            severity,
            confidence: Confidence::new(PROVIDER_CONFIDENCE),
            identity: event.actor.clone(),
            first_seen: event.time,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack: vec!["T1078"],
            facts,
            related: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run};
    use riposte_model::{IdentityRef, SourceFormat};

    fn detector() -> ProviderRiskDetection {
        ProviderRiskDetection::new(&Settings::default())
    }

    fn risk(source: &str, risk_type: &str, level: &str, state: Option<&str>) -> RiskDetection {
        RiskDetection {
            source: source.into(),
            risk_type: risk_type.into(),
            level: level.into(),
            state: state.map(Box::from),
            detail: None,
        }
    }

    fn entra_risk(id: &str, time: &str, level: &str, state: &str) -> Event {
        let detection = risk(
            "IdentityProtection",
            "unfamiliarFeatures",
            level,
            Some(state),
        );
        EventBuilder::new("carol@example.com", time)
            .format(SourceFormat::EntraRiskDetection)
            .id(id)
            .activity(Activity::RiskDetected, "User Risk Detection")
            .ip("203.0.113.5")
            .with(|event| event.risk = Some(detection))
            .build()
    }

    fn insight(state: &str, actor: Option<IdentityRef>) -> Event {
        let detection = risk(INSIGHTS_SOURCE, "ApiCallRateInsight", "none", Some(state));
        EventBuilder::new("unused", "2024-05-01T09:00:00Z")
            .format(SourceFormat::CloudTrail)
            .id(&format!("insight-{state}"))
            .activity(Activity::RiskDetected, "AwsCloudTrailInsight")
            .with(|event| {
                event.actor = actor.unwrap_or_else(|| IdentityRef::unknown(Provider::Aws));
                event.risk = Some(detection);
            })
            .build()
    }

    #[test]
    fn dismissed_risk_is_quiet() {
        let events = [
            entra_risk("risk-1", "2024-05-01T09:00:00Z", "high", "dismissed"),
            entra_risk("risk-2", "2024-05-01T09:00:00Z", "high", "remediated"),
            entra_risk("risk-3", "2024-05-01T09:00:00Z", "high", "confirmedSafe"),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn high_risk_at_risk_fires_high() {
        let findings = run(
            &mut detector(),
            &[entra_risk(
                "risk-1",
                "2024-05-01T09:00:00Z",
                "high",
                "atRisk",
            )],
        );
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "provider_risk_detection");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.6);
        assert_eq!(finding.attack, vec!["T1078"]);
        assert_eq!(finding.facts["address"], "203.0.113.5");
        assert_eq!(
            finding.explanation,
            "Entra ID Protection reported unfamiliarFeatures (high risk, atRisk) for user \
             carol@example.com from 203.0.113.5."
        );
    }

    #[test]
    fn levels_map_to_severities() {
        for (index, (level, expected)) in [
            ("low", Severity::Low),
            ("medium", Severity::Medium),
            ("HIGH", Severity::High),
            ("none", Severity::Low),
            ("hidden", Severity::Low),
            ("", Severity::Low),
        ]
        .into_iter()
        .enumerate()
        {
            let event = entra_risk(
                &format!("risk-{index}"),
                "2024-05-01T09:00:00Z",
                level,
                "atRisk",
            );
            let findings = run(&mut detector(), &[event]);
            assert_eq!(findings.len(), 1, "{level}");
            assert_eq!(findings[0].severity, expected, "{level}");
        }
    }

    #[test]
    fn unusual_levels_are_described() {
        let mut detection = risk("IdentityProtection", "leakedCredentials", "none", None);
        assert_eq!(describe_level(&detection), "risk level none");
        detection.level = "".into();
        assert_eq!(describe_level(&detection), "unrated risk");
        detection.level = "Medium".into();
        detection.state = Some("confirmedCompromised".into());
        assert_eq!(
            describe_level(&detection),
            "medium risk, confirmedCompromised"
        );
    }

    #[test]
    fn okta_threat_insight_fires() {
        let detection = risk("ThreatInsight", "Login Failures", "HIGH", None);
        let event = EventBuilder::new("198.51.100.7", "2024-05-01T09:00:00Z")
            .id("threat-1")
            .activity(Activity::RiskDetected, "security.threat.detected")
            .kind(IdentityKind::NetworkSource)
            .ip("198.51.100.7")
            .with(|event| event.risk = Some(detection))
            .build();
        let findings = run(&mut detector(), &[event]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(
            findings[0].explanation,
            "Okta ThreatInsight reported Login Failures (high risk) for address 198.51.100.7."
        );
    }

    #[test]
    fn insight_end_and_unknown_actor_are_skipped() {
        let actor = IdentityRef::new(
            Provider::Aws,
            "arn:aws:iam::111111111111:user/alice",
            IdentityKind::IamUserAccessKey,
        );
        let events = [insight("End", Some(actor)), insight("Start", None)];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn insight_with_known_actor_fires() {
        let mut actor = IdentityRef::new(
            Provider::Aws,
            "arn:aws:iam::111111111111:user/alice",
            IdentityKind::IamUserAccessKey,
        );
        actor.name = Some("alice".into());
        let findings = run(&mut detector(), &[insight("Start", Some(actor))]);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Low);
        assert_eq!(
            findings[0].explanation,
            "CloudTrail Insights reported ApiCallRateInsight (risk level none, Start) for IAM \
             user alice."
        );
    }

    #[test]
    fn updates_of_one_risk_report_once() {
        let events = [
            entra_risk("risk-1", "2024-05-01T09:00:00Z", "medium", "atRisk"),
            entra_risk("risk-1", "2024-05-01T09:05:00Z", "medium", "atRisk"),
            entra_risk("risk-1", "2024-05-01T09:10:00Z", "low", "atRisk"),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn rising_level_or_new_state_reports_again() {
        let events = [
            entra_risk("risk-1", "2024-05-01T09:00:00Z", "low", "atRisk"),
            entra_risk("risk-1", "2024-05-01T09:05:00Z", "high", "atRisk"),
            entra_risk(
                "risk-1",
                "2024-05-01T09:10:00Z",
                "high",
                "confirmedCompromised",
            ),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 3);
        assert_eq!(findings[1].severity, Severity::High);
        assert!(
            findings[2]
                .explanation
                .contains("(high risk, confirmedCompromised)")
        );
    }

    #[test]
    fn memory_expires_after_seven_days() {
        let events = [
            entra_risk("risk-1", "2024-05-01T09:00:00Z", "medium", "atRisk"),
            entra_risk("risk-2", "2024-05-09T09:00:00Z", "low", "atRisk"),
            entra_risk("risk-1", "2024-05-09T09:30:00Z", "medium", "atRisk"),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 3);
    }

    #[test]
    fn late_update_is_still_deduplicated() {
        let events = [
            entra_risk("risk-1", "2024-05-01T09:00:00Z", "medium", "atRisk"),
            entra_risk("risk-1", "2024-05-01T08:00:00Z", "medium", "atRisk"),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn events_without_risk_are_ignored() {
        let events = [
            EventBuilder::new("carol@example.com", "2024-05-01T09:00:00Z")
                .activity(Activity::RiskDetected, "security.threat.detected")
                .build(),
            EventBuilder::new("carol@example.com", "2024-05-01T09:00:00Z").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }
}

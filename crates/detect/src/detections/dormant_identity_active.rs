//! `dormant_identity_active`: an identity silent for months acts again.
//!
//! # What it detects
//! A successful event of an identity whose behavioural baseline last learned an event at
//! least `dormant_after_days` before it. The baseline's last-seen time is that of its latest
//! successful or unknown-outcome event, since failed events teach a baseline nothing: failed
//! sign-ins against a dormant account do not end its dormancy.
//!
//! # Why it matters
//! Accounts of people who left, access keys of retired pipelines and secrets of forgotten
//! applications keep their privileges after their owners stop watching them. An attacker who
//! finds their credentials in an old backup or repository can use them without a person
//! noticing sign-ins or calls they did not make (ATT&CK T1078 Valid Accounts).
//!
//! # Thresholds and their source
//! - `dormant_after_days` = 90: a quarter covers holidays, parental leave and quarterly
//!   jobs. It is also the default `max_age_days` of the baselines, so the identity's
//!   networks and clients have aged out of its baseline by then.
//! - Severity is High for the identities whose credentials are long-lived secrets: AWS root,
//!   IAM users with access keys, Entra service principals and Okta service applications,
//!   and any other non-human identity presenting a long-lived credential (access key, client
//!   secret, certificate, API token). Such a credential works until someone revokes it, and
//!   its reuse after months is rarely planned. Severity is Medium for people and for
//!   temporary credentials (role sessions, managed identities), whose owners come back from
//!   leave or whose jobs run rarely. Names are not read: an "admin" in a name says nothing
//!   reliable about privileges.
//! - Confidence is 0.7 for High and 0.5 for Medium, judgements, not measurements.
//! - One finding per return: the returning event teaches the baseline, so the next event
//!   is no longer after a silence. The detection keeps no state of its own.
//!
//! # Inputs it ignores
//! - Failed events and provider risk detections, which are not the identity acting.
//! - AWS services, the providers' system principals, network sources and unknown actors,
//!   which have no baseline, and identities seen for the first time.
//! - Late events older than the baseline's last-seen time.
//!
//! # Known false positives
//! - Gaps in the logs themselves: a hunt over files that skip months makes every identity
//!   look dormant. Hunt over continuous logs, or with a state store kept across runs.
//! - Seasonal jobs and people back from long leave.
//! - Without a state store, the baselines of a hunt start empty, so only silences within
//!   the logs of one run are seen.

use chrono::TimeDelta;
use riposte_baseline::Baseline;
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKind, Outcome, Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::json;

use crate::detections::describe_actor;
use crate::detections::new_network_for_workload::is_long_lived;
use crate::detections::unfamiliar_signin::baseline_facts;
use crate::{Context, Detector, Enabled, format_duration};

pub const ID: &str = "dormant_identity_active";

/// Largest `dormant_after_days` accepted: ten years.
pub const MAX_DORMANT_AFTER_DAYS: u32 = 3650;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Days without activity after which an identity counts as dormant.
    pub dormant_after_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            dormant_after_days: 90,
        }
    }
}

pub struct DormantIdentityActive {
    settings: Settings,
    dormant_after: TimeDelta,
}

impl DormantIdentityActive {
    pub fn new(settings: &Settings) -> Self {
        Self {
            settings: settings.clone(),
            dormant_after: TimeDelta::days(i64::from(settings.dormant_after_days)),
        }
    }

    fn finding(&self, event: &Event, baseline: &Baseline, last_seen: Timestamp) -> Finding {
        let high = is_high_severity(event);
        let (severity, confidence) = if high {
            (Severity::High, 0.7)
        } else {
            (Severity::Medium, 0.5)
        };
        let silence = event.time - last_seen;
        let explanation = format!(
            "The {kind} identity {who} acted again at {time} ({operation}) after {silence} \
             without activity, at or above the {threshold}-day threshold. Its previous \
             activity was at {last_seen}.",
            who = describe_actor(event),
            kind = event.actor.kind.as_str(),
            time = event.time.format("%Y-%m-%d %H:%M:%SZ"),
            operation = event.operation,
            silence = format_duration(silence),
            threshold = self.settings.dormant_after_days,
            last_seen = last_seen.format("%Y-%m-%d %H:%M:%SZ"),
        );

        let mut facts = serde_json::Map::new();
        facts.insert("identity_kind".into(), json!(event.actor.kind.as_str()));
        facts.insert("previous_activity".into(), json!(last_seen));
        facts.insert("silence_seconds".into(), json!(silence.num_seconds()));
        facts.insert("silence_days".into(), json!(silence.num_days()));
        facts.insert(
            "dormant_after_days".into(),
            json!(self.settings.dormant_after_days),
        );
        facts.insert("operation".into(), json!(event.operation));
        facts.insert("credential_kind".into(), json!(event.credential.kind));
        facts.insert("credential_id".into(), json!(event.credential.id));
        facts.insert("address".into(), json!(event.source.origin));
        facts.insert("baseline".into(), baseline_facts(baseline));

        Finding {
            detection: ID,
            severity,
            confidence: Confidence::new(confidence),
            identity: event.actor.clone(),
            first_seen: last_seen,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack: vec!["T1078"],
            facts,
            related: Vec::new(),
        }
    }
}

/// Returns true for identities whose dormant credential is a long-lived secret.
fn is_high_severity(event: &Event) -> bool {
    let kind = event.actor.kind;
    matches!(
        kind,
        IdentityKind::AwsRoot
            | IdentityKind::IamUserAccessKey
            | IdentityKind::EntraServicePrincipal
            | IdentityKind::OktaServiceApp
    ) || (kind.is_nhi() && is_long_lived(event.credential.kind))
}

impl Detector for DormantIdentityActive {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        if event.outcome != Outcome::Success || event.activity == Activity::RiskDetected {
            return;
        }
        if matches!(
            event.actor.kind,
            IdentityKind::AwsService
                | IdentityKind::ProviderSystem
                | IdentityKind::NetworkSource
                | IdentityKind::Unknown
        ) {
            return;
        }
        let Some(baseline) = context.baseline else {
            return;
        };
        let Some(last_seen) = baseline.last_seen() else {
            return;
        };
        if event.time < last_seen || event.time - last_seen < self.dormant_after {
            return;
        }
        findings.push(self.finding(event, baseline, last_seen));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run, run_with_baselines};
    use riposte_model::{CredentialKind, SourceFormat};

    fn detector() -> DormantIdentityActive {
        DormantIdentityActive::new(&Settings::default())
    }

    fn sign_in(time: &str) -> EventBuilder {
        EventBuilder::new("carol@example.com", time)
            .id(&format!("carol@{time}"))
            .ip("203.0.113.10")
    }

    fn key_call(time: &str) -> EventBuilder {
        EventBuilder::new("legacy-backup", time)
            .id(&format!("backup@{time}"))
            .format(SourceFormat::CloudTrail)
            .kind(IdentityKind::IamUserAccessKey)
            .activity(Activity::ApiCall, "ListBuckets")
            .service("s3.amazonaws.com")
            .credential(CredentialKind::LongLivedKey, Some("AKIAEXAMPLEBACKUP001"))
            .interactive(None)
            .ip("198.51.100.7")
    }

    #[test]
    fn key_back_after_months_fires_high() {
        let events = [
            key_call("2024-01-10T03:00:00Z").build(),
            key_call("2024-01-11T03:00:00Z").build(),
            key_call("2024-05-20T14:30:00Z").build(),
        ];
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "dormant_identity_active");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.7);
        assert_eq!(finding.attack, vec!["T1078"]);
        assert_eq!(finding.facts["silence_days"], json!(130));
        assert_eq!(finding.first_seen.to_rfc3339(), "2024-01-11T03:00:00+00:00");
        assert_eq!(
            finding.explanation,
            "The iam_user_access_key identity legacy-backup (key AKIAEXAMPLEBACKUP001, from \
             198.51.100.7) acted again at 2024-05-20 14:30:00Z (ListBuckets) after 130 d 11 h \
             without activity, at or above the 90-day threshold. Its previous activity was at \
             2024-01-11 03:00:00Z."
        );
    }

    #[test]
    fn person_back_after_months_is_medium() {
        let events = [
            sign_in("2024-01-10T08:00:00Z").build(),
            sign_in("2024-04-10T08:00:00Z").build(),
        ];
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(findings[0].confidence.value(), 0.5);
    }

    #[test]
    fn threshold_is_inclusive() {
        let just_below = [
            sign_in("2024-01-01T08:00:00Z").build(),
            sign_in("2024-03-31T07:59:59Z").build(),
        ];
        assert!(run_with_baselines(&mut detector(), &just_below).is_empty());
        let at_threshold = [
            sign_in("2024-01-01T08:00:00Z").build(),
            sign_in("2024-03-31T08:00:00Z").build(),
        ];
        assert_eq!(run_with_baselines(&mut detector(), &at_threshold).len(), 1);
    }

    #[test]
    fn regular_activity_is_quiet() {
        let events: Vec<Event> = (1..=12)
            .map(|month| sign_in(&format!("2024-{month:02}-01T08:00:00Z")).build())
            .collect();
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn only_first_event_of_return_fires() {
        let events = [
            sign_in("2024-01-10T08:00:00Z").build(),
            sign_in("2024-05-10T08:00:00Z").build(),
            sign_in("2024-05-10T08:01:00Z").build(),
        ];
        assert_eq!(run_with_baselines(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn failed_events_neither_fire_nor_end_dormancy() {
        let events = [
            sign_in("2024-01-10T08:00:00Z").build(),
            sign_in("2024-05-01T08:00:00Z").failed().build(),
            sign_in("2024-05-10T08:00:00Z").build(),
        ];
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].last_seen.to_rfc3339(),
            "2024-05-10T08:00:00+00:00"
        );
    }

    #[test]
    fn late_event_is_quiet() {
        let events = [
            sign_in("2024-05-10T08:00:00Z").build(),
            sign_in("2024-01-10T08:00:00Z").build(),
        ];
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn first_sight_and_missing_baseline_are_quiet() {
        let events = [sign_in("2024-05-10T08:00:00Z").build()];
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
        let events = [
            sign_in("2024-01-10T08:00:00Z").build(),
            sign_in("2024-05-10T08:00:00Z").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn risk_detections_are_not_activity() {
        let events = [
            sign_in("2024-01-10T08:00:00Z").build(),
            sign_in("2024-05-10T08:00:00Z")
                .activity(Activity::RiskDetected, "riskDetection")
                .build(),
        ];
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn threshold_follows_settings() {
        let settings = Settings {
            dormant_after_days: 30,
            ..Settings::default()
        };
        let events = [
            sign_in("2024-01-10T08:00:00Z").build(),
            sign_in("2024-02-20T08:00:00Z").build(),
        ];
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
        assert_eq!(
            run_with_baselines(&mut DormantIdentityActive::new(&settings), &events).len(),
            1
        );
    }

    #[test]
    fn workload_with_temporary_credentials_is_medium() {
        let session = |time: &str| {
            key_call(time)
                .role_session("111111111111", "nightly-report", "nightly-report")
                .kind(IdentityKind::AssumedRoleSession)
                .credential(CredentialKind::TemporaryKey, Some("ASIAEXAMPLEREPORT001"))
                .build()
        };
        let events = [
            session("2024-01-10T03:00:00Z"),
            session("2024-05-10T03:00:00Z"),
        ];
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Medium);
    }
}

//! `brute_force_success`: many failed sign-ins of one identity, then a successful one.
//!
//! # What it detects
//! At least `min_failures` failed password sign-ins of one identity within `window_secs`,
//! followed within that window by a successful sign-in or token issuance of the same identity.
//! Failures from every source count, and the finding states how many sources they came from.
//! Every success ends the run: the failures up to it are forgotten whether it fired or not, so
//! that the owner's next typing mistakes start a new count.
//!
//! # Why it matters
//! Guessing the password of one account (ATT&CK T1110.001 Password Guessing) that ends in a
//! success means that someone probably has a valid password for it (T1078 Valid Accounts).
//! Lockout slows guessing down but does not stop it: the account unlocks after a while and the
//! guessing goes on.
//!
//! # Thresholds and their source
//! - `min_failures` = 10: the default lockout threshold of both identity providers. Microsoft
//!   Entra smart lockout locks an account for one minute after 10 failed attempts by default
//!   (Microsoft Learn, "Configure smart lockout thresholds"), and Okta's password policy locks a
//!   user out after 10 unsuccessful attempts unless an administrator changed it (Okta support,
//!   "When does the MFA lockout counter reset"). A person who mistypes a password rarely gets
//!   that far.
//! - `window_secs` = 600: a guessing run that reaches the lockout threshold does so within
//!   minutes, and ten minutes keeps one person's scattered typing mistakes over a day from
//!   adding up to ten.
//!
//! # Severity and confidence
//! Severity is always High. Confidence is 0.9 when the success comes from an address that also
//! failed, and 0.7 otherwise, because the success may then be the owner signing in after
//! someone else's failures. Both values are judgements, not measurements.
//!
//! # Inputs it ignores
//! Failed sign-ins with a session, token, certificate, client secret or federated credential
//! (they are not password guesses), MFA answers (see `mfa_fatigue`), AWS services, the
//! providers' own system principals and records that name no principal.
//!
//! # Known false positives
//! - A phone or mail client that retries an old password after a password change, followed by
//!   the owner signing in with the new one. The failures then often come from a different
//!   address than the success, which lowers the confidence.
//! - A person who keeps trying until the right password comes back to them.
//! - Tests of the lockout policy.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKey, Origin, Outcome, Severity,
    Timestamp,
};

use serde::Deserialize;
use serde_json::json;

use super::window::{
    TimeOrdered, format_time, is_password_failure, names_an_account, window_from_secs, window_start,
};
use crate::detections::ExpiringMap;
use crate::{Context, Detector, Enabled, format_duration};

pub const ID: &str = "brute_force_success";

/// Failures kept per identity. A run longer than this is reported as "at least" this many.
const MAX_KEPT_FAILURES: usize = 200;

/// Failure events listed as evidence, before the success.
const MAX_FAILURE_EVIDENCE: usize = 20;

/// Failing sources named in the explanation. The facts list up to [`MAX_LISTED_SOURCES`].
const MAX_NAMED_SOURCES: usize = 3;
const MAX_LISTED_SOURCES: usize = 20;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Failed sign-ins of one identity needed before a success fires. 0 counts as 1.
    pub min_failures: usize,
    /// Window in which the failures and the success must fall, in seconds.
    pub window_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            min_failures: 10,
            window_secs: 600,
        }
    }
}

struct Failure {
    origin: Origin,
    evidence: Evidence,
}

pub struct BruteForceSuccess {
    min_failures: usize,
    window: TimeDelta,
    window_secs: u64,
    runs: ExpiringMap<IdentityKey, TimeOrdered<Failure>>,
}

impl BruteForceSuccess {
    pub fn new(settings: &Settings) -> Self {
        let window = window_from_secs(settings.window_secs);
        Self {
            min_failures: settings.min_failures.max(1),
            window,
            window_secs: settings.window_secs,
            runs: ExpiringMap::new(window),
        }
    }

    fn record_failure(&mut self, event: &Event) {
        let capacity = MAX_KEPT_FAILURES.max(self.min_failures);
        let run = self
            .runs
            .touch_or_insert_with(&event.actor.key, event.time, || TimeOrdered::new(capacity));
        run.remove_before(window_start(event.time, self.window));
        run.insert(
            event.time,
            Failure {
                origin: event.source.origin.clone(),
                evidence: Evidence::of(event),
            },
        );
    }

    /// Assesses the failures before a success, then removes them.
    fn record_success(&mut self, event: &Event) -> Option<Finding> {
        let key = &event.actor.key;
        self.runs.get(key)?;
        let run = self
            .runs
            .touch_or_insert_with(key, event.time, || TimeOrdered::new(1));
        let finding = assess(self.min_failures, self.window, self.window_secs, event, run);
        run.remove_through(event.time);
        if run.is_empty() {
            self.runs.remove(key);
        }
        finding
    }
}

fn assess(
    min_failures: usize,
    window: TimeDelta,
    window_secs: u64,
    success: &Event,
    run: &TimeOrdered<Failure>,
) -> Option<Finding> {
    let start = window_start(success.time, window);
    let failures: Vec<&(Timestamp, Failure)> = run.between(start, success.time).collect();
    let (first, last) = (failures.first()?.0, failures.last()?.0);
    if failures.len() < min_failures {
        return None;
    }
    let lower_bound = run.dropped_since(start);

    let sources: BTreeSet<String> = failures
        .iter()
        .filter(|(_, failure)| failure.origin != Origin::None)
        .map(|(_, failure)| failure.origin.to_string())
        .collect();
    let success_origin = &success.source.origin;
    let from_failing_source = *success_origin != Origin::None
        && failures
            .iter()
            .any(|(_, failure)| failure.origin == *success_origin);

    let who = success.actor.display_name();
    let count = if lower_bound {
        format!("at least {}", failures.len())
    } else {
        failures.len().to_string()
    };
    let source_clause = match sources.len() {
        0 => "from an unknown source".to_owned(),
        1 => format!("from 1 source ({})", name_sources(&sources)),
        many => format!("from {many} sources ({})", name_sources(&sources)),
    };
    let success_clause = if *success_origin == Origin::None {
        String::new()
    } else if from_failing_source {
        format!(" from {success_origin}, one of the failing sources,")
    } else {
        format!(" from {success_origin}, which none of the failures came from,")
    };
    let explanation = format!(
        "{who} failed to sign in {count} times between {first} and {last} {source_clause}, then \
         authenticated successfully{success_clause} at {success_time} ({operation}). The \
         threshold is {min_failures} failures within {window}.",
        first = format_time(first),
        last = format_time(last),
        success_time = format_time(success.time),
        operation = success.operation,
        window = format_duration(window),
    );

    let mut evidence: Vec<Evidence> = failures
        .iter()
        .take(MAX_FAILURE_EVIDENCE)
        .map(|(_, failure)| failure.evidence.clone())
        .collect();
    evidence.push(Evidence::of(success));

    let mut facts = serde_json::Map::new();
    facts.insert("failed_attempts".into(), json!(failures.len()));
    facts.insert("failed_attempts_is_lower_bound".into(), json!(lower_bound));
    facts.insert("source_count".into(), json!(sources.len()));
    facts.insert(
        "sources".into(),
        json!(sources.iter().take(MAX_LISTED_SOURCES).collect::<Vec<_>>()),
    );
    facts.insert(
        "success_source".into(),
        json!((*success_origin != Origin::None).then(|| success_origin.to_string())),
    );
    facts.insert(
        "success_from_failing_source".into(),
        json!(from_failing_source),
    );
    facts.insert("first_failure".into(), json!(first));
    facts.insert("success_time".into(), json!(success.time));
    facts.insert("min_failures".into(), json!(min_failures));
    facts.insert("window_secs".into(), json!(window_secs));
    facts.insert(
        "evidence_omitted".into(),
        json!(failures.len().saturating_sub(MAX_FAILURE_EVIDENCE)),
    );

    Some(Finding {
        detection: ID,
        severity: Severity::High,
        confidence: Confidence::new(if from_failing_source { 0.9 } else { 0.7 }),
        identity: success.actor.clone(),
        first_seen: first.min(success.time),
        last_seen: success.time,
        evidence,
        explanation,
        attack: vec!["T1110.001", "T1078"],
        facts,
        related: Vec::new(),
    })
}

/// Names the first few sources, then how many more there are.
fn name_sources(sources: &BTreeSet<String>) -> String {
    let named: Vec<&str> = sources
        .iter()
        .take(MAX_NAMED_SOURCES)
        .map(String::as_str)
        .collect();
    let more = sources.len().saturating_sub(named.len());
    if more > 0 {
        format!("{} and {more} more", named.join(", "))
    } else {
        named.join(", ")
    }
}

impl Detector for BruteForceSuccess {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        if !names_an_account(&event.actor) {
            return;
        }
        if is_password_failure(event) {
            self.record_failure(event);
        } else if event.outcome == Outcome::Success
            && matches!(event.activity, Activity::SignIn | Activity::TokenIssued)
        {
            findings.extend(self.record_success(event));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, at, run};
    use riposte_model::{CredentialKind, IdentityKind};

    const USER: &str = "alice@example.com";

    fn detector() -> BruteForceSuccess {
        BruteForceSuccess::new(&Settings::default())
    }

    /// Builds a failed password sign-in of `user` from `ip`, `second` seconds after 09:00.
    fn failure(user: &str, second: u32, ip: &str) -> Event {
        EventBuilder::new(user, &time(second))
            .id(&format!("fail-{user}-{second}"))
            .ip(ip)
            .failed()
            .with(|event| event.outcome_reason = Some("INVALID_CREDENTIALS".into()))
            .build()
    }

    fn success(user: &str, second: u32, ip: &str) -> Event {
        EventBuilder::new(user, &time(second))
            .id(&format!("ok-{user}-{second}"))
            .ip(ip)
            .build()
    }

    fn time(second: u32) -> String {
        let time = at("2024-05-01T09:00:00Z") + TimeDelta::seconds(i64::from(second));
        time.to_rfc3339()
    }

    fn failures(count: u32, every_secs: u32, ip: &str) -> Vec<Event> {
        (0..count)
            .map(|index| failure(USER, index * every_secs, ip))
            .collect()
    }

    #[test]
    fn ten_failures_then_success_fires() {
        let mut events = failures(10, 30, "203.0.113.9");
        events.push(success(USER, 300, "203.0.113.9"));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "brute_force_success");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.9);
        assert_eq!(finding.identity.key.id.as_ref(), USER);
        assert_eq!(finding.attack, vec!["T1110.001", "T1078"]);
        assert_eq!(finding.evidence.len(), 11);
        assert_eq!(
            finding.evidence[10].event_id.as_ref(),
            "ok-alice@example.com-300"
        );
        assert_eq!(finding.first_seen, at("2024-05-01T09:00:00Z"));
        assert_eq!(finding.last_seen, at("2024-05-01T09:05:00Z"));
        assert_eq!(finding.facts["failed_attempts"], json!(10));
        assert_eq!(finding.facts["source_count"], json!(1));
        assert_eq!(finding.facts["success_from_failing_source"], json!(true));
        assert_eq!(
            finding.explanation,
            "alice@example.com failed to sign in 10 times between 2024-05-01 09:00:00Z and \
             2024-05-01 09:04:30Z from 1 source (203.0.113.9), then authenticated successfully \
             from 203.0.113.9, one of the failing sources, at 2024-05-01 09:05:00Z \
             (user.session.start). The threshold is 10 failures within 10 min."
        );
    }

    #[test]
    fn nine_failures_then_success_is_quiet() {
        let mut events = failures(9, 30, "203.0.113.9");
        events.push(success(USER, 300, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn success_outside_the_window_is_quiet() {
        // The last failure is at 09:04:30, and the success at 09:15:00 comes more than ten
        // minutes after the first nine of them.
        let mut events = failures(10, 30, "203.0.113.9");
        events.push(success(USER, 900, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failures_spread_beyond_the_window_are_quiet() {
        // Ten failures two minutes apart span 18 minutes: at most five fit in any ten minutes.
        let mut events = failures(10, 120, "203.0.113.9");
        events.push(success(USER, 1140, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn success_from_another_address_lowers_confidence() {
        let mut events: Vec<Event> = (0..10)
            .map(|index| {
                let ip = if index % 2 == 0 {
                    "203.0.113.9"
                } else {
                    "198.51.100.4"
                };
                failure(USER, index * 20, ip)
            })
            .collect();
        events.push(success(USER, 240, "192.0.2.50"));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.confidence.value(), 0.7);
        assert_eq!(finding.facts["source_count"], json!(2));
        assert_eq!(finding.facts["success_from_failing_source"], json!(false));
        assert!(
            finding
                .explanation
                .contains("from 2 sources (198.51.100.4, 203.0.113.9)"),
            "{}",
            finding.explanation
        );
        assert!(
            finding
                .explanation
                .contains("from 192.0.2.50, which none of the failures came from,"),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn token_issuance_counts_as_success() {
        let mut events = failures(10, 10, "203.0.113.9");
        events.push(
            EventBuilder::new(USER, &time(200))
                .activity(Activity::TokenIssued, "app.oauth2.token.grant")
                .ip("203.0.113.9")
                .build(),
        );
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn success_resets_the_count() {
        // Five failures, a success, five more failures and a success: no run reaches ten.
        let mut events = failures(5, 10, "203.0.113.9");
        events.push(success(USER, 60, "203.0.113.9"));
        events.extend((0..5).map(|index| failure(USER, 70 + index * 10, "203.0.113.9")));
        events.push(success(USER, 130, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn count_restarts_after_a_finding() {
        let mut events = failures(10, 10, "203.0.113.9");
        events.push(success(USER, 100, "203.0.113.9"));
        events.push(success(USER, 110, "203.0.113.9"));
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn other_identity_success_is_quiet() {
        let mut events = failures(10, 10, "203.0.113.9");
        events.push(success("bob@example.com", 120, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn token_and_session_failures_are_not_guesses() {
        let mut events: Vec<Event> = (0..10)
            .map(|index| {
                EventBuilder::new(USER, &time(index * 10))
                    .ip("203.0.113.9")
                    .credential(CredentialKind::OAuthToken, None)
                    .failed()
                    .build()
            })
            .collect();
        events.push(success(USER, 120, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn late_failure_still_counts() {
        // The tenth failure arrives after the success but happened before it.
        let mut events = failures(9, 10, "203.0.113.9");
        let late = failure(USER, 95, "203.0.113.9");
        events.push(late);
        events.swap(8, 9);
        events.push(success(USER, 100, "203.0.113.9"));
        assert_eq!(run(&mut detector(), &events).len(), 1);
        // A failure older than every other event must not panic or count after the success.
        let mut events = vec![success(USER, 600, "203.0.113.9")];
        events.push(failure(USER, 0, "203.0.113.9"));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn long_run_is_a_lower_bound() {
        let mut events: Vec<Event> = (0..500)
            .map(|index| failure(USER, index, "203.0.113.9"))
            .collect();
        events.push(success(USER, 500, "203.0.113.9"));
        let mut detector = detector();
        let findings = run(&mut detector, &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.facts["failed_attempts"], json!(200));
        assert_eq!(finding.facts["failed_attempts_is_lower_bound"], json!(true));
        assert_eq!(finding.facts["evidence_omitted"], json!(180));
        assert_eq!(finding.evidence.len(), 21);
        assert!(finding.explanation.contains("at least 200 times"));
    }

    #[test]
    fn state_stays_bounded() {
        let mut detector = detector();
        let mut findings = Vec::new();
        let start = at("2024-05-01T00:00:00Z");
        for index in 0..50_000_i64 {
            let event =
                EventBuilder::new(&format!("user{index}@example.com"), "2024-05-01T00:00:00Z")
                    .with(|event| event.time = start + TimeDelta::seconds(index * 30))
                    .ip("203.0.113.9")
                    .failed()
                    .build();
            detector.observe(&event, &crate::Context::default(), &mut findings);
        }
        assert!(findings.is_empty());
        // Twenty identities fail within any ten minutes, plus what accumulates between sweeps.
        assert!(
            detector.runs.len() <= 20 + 1 + 2048,
            "{}",
            detector.runs.len()
        );
    }

    #[test]
    fn unnamed_principals_are_ignored() {
        let mut events: Vec<Event> = (0..10)
            .map(|index| {
                EventBuilder::new("unknown", &time(index * 10))
                    .kind(IdentityKind::Unknown)
                    .with(|event| event.actor.name = None)
                    .ip("203.0.113.9")
                    .failed()
                    .build()
            })
            .collect();
        events.push(
            EventBuilder::new("unknown", &time(120))
                .kind(IdentityKind::Unknown)
                .ip("203.0.113.9")
                .build(),
        );
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn huge_window_does_not_overflow() {
        let settings = Settings {
            window_secs: u64::MAX,
            ..Settings::default()
        };
        let mut events = failures(10, 10, "203.0.113.9");
        events.push(success(USER, 120, "203.0.113.9"));
        assert_eq!(
            run(&mut BruteForceSuccess::new(&settings), &events).len(),
            1
        );
    }

    #[test]
    fn settings_reject_unknown_fields() {
        let parsed: Result<Settings, _> =
            serde_json::from_value(json!({"min_failures": 5, "window_sec": 60}));
        assert!(parsed.is_err());
        let parsed: Settings = serde_json::from_value(json!({"min_failures": 5})).unwrap();
        assert_eq!(parsed.min_failures, 5);
        assert_eq!(parsed.window_secs, 600);
    }
}

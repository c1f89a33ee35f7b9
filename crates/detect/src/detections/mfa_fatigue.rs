//! `mfa_fatigue`: repeated MFA push requests denied or left unanswered, then an accepted push.
//!
//! # What it detects
//! At least `min_rejected_pushes` push requests of one identity denied or timed out within
//! `window_secs`, followed by an accepted push of the same identity within that window. A
//! rejected push is an MFA verification (`MfaVerify`) that failed with the push method, or
//! Okta's `user.mfa.okta_verify.deny_push` whatever method the record states. An MFA failure
//! whose method the log does not state counts as a push that timed out when a push sent to the
//! identity (`MfaPushSent`, logged by Okta) is still waiting for a response. An accepted push
//! is a successful MFA verification or sign-in with the push method. Push requests sent within the
//! window are counted for the facts.
//!
//! Every accepted push ends the episode: the rejections up to it are forgotten whether it fired
//! or not. A flood of rejections that no acceptance follows does not fire, because nothing was
//! granted. Such floods are left to the provider's own alerting and to users' reports of
//! suspicious prompts.
//!
//! # Why it matters
//! An attacker who holds a password sends push request after push request until a tired or
//! confused user approves one (ATT&CK T1621 Multi-Factor Authentication Request Generation).
//! The providers do not stop such a flood by themselves: Okta records a denied push as a
//! failed authentication with reason `INVALID_CREDENTIALS`, and its support documentation
//! states that denied pushes do not count towards the MFA lockout. Number matching
//! (Microsoft Authenticator, enforced for all push notifications from 8 May 2023) and Okta
//! Verify's number challenge were introduced against this attack, and tenants without them
//! remain exposed.
//!
//! # Thresholds and their source
//! - `min_rejected_pushes` = 3: published Okta detections fire on two denied pushes followed by
//!   a sign-in within ten minutes (Elastic's prebuilt rule "Potential Abuse of Repeated MFA Push
//!   Notifications", Splunk's "Okta Two or More Rejected Okta Pushes"). Okta Security's own
//!   guidance ("Using Workflows to Respond to Anomalous Push Requests") treats multiple
//!   rejected pushes by one user as a signal. Three asks for one more rejection than those
//!   rules, because a person may deny one or two prompts they did not expect (an old browser
//!   tab, a retried sign-in) and then approve their own.
//! - `window_secs` = 3600: attackers pace their prompts, for example one every few minutes
//!   over a night, so the window is wider than the ten minutes of the rules above.
//!
//! # Severity and confidence
//! Severity is High. It is not raised when the accepted push comes from an address not seen
//! among the rejections: depending on the provider and the record, the address on a push event
//! is that of the sign-in that requested the push or that of the device that answered it (Okta
//! logs both, and Okta Security compares their locations), so a different address does not
//! prove a second party, and the same address does not clear one. The facts carry both for the
//! analyst. Confidence is 0.7 at the threshold and grows by 0.05 per further rejection up to
//! 0.9. These values are judgements, not measurements.
//!
//! # Inputs it ignores
//! MFA failures of other methods (a mistyped one-time code is not a push prompt), MFA failures
//! without a method when no push is waiting for an answer, AWS services, the providers' own
//! system principals and records that name no principal.
//!
//! # Known false positives
//! - A phone with a poor connection that lets several pushes time out before the owner
//!   approves one.
//! - A person signing in from several browsers at once, denying the prompts they do not
//!   recognise and approving their own.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKey, MfaMethod, Origin, Outcome,
    Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::json;

use super::window::{TimeOrdered, format_time, names_an_account, window_from_secs, window_start};
use crate::detections::ExpiringMap;
use crate::{Context, Detector, Enabled, format_duration};

pub const ID: &str = "mfa_fatigue";

/// Okta's event type for a push the user denied in Okta Verify.
const OKTA_DENY_PUSH: &str = "user.mfa.okta_verify.deny_push";

/// Rejections and sent pushes kept per identity. A longer episode is reported as "at least"
/// this many.
const MAX_KEPT_PUSHES: usize = 200;

/// Rejection events listed as evidence, before the acceptance.
const MAX_REJECTION_EVIDENCE: usize = 20;

/// Rejection addresses listed in the facts.
const MAX_LISTED_ADDRESSES: usize = 20;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Denied or timed-out pushes of one identity needed before an accepted push fires. 0
    /// counts as 1.
    pub min_rejected_pushes: usize,
    /// Window in which the rejections and the acceptance must fall, in seconds.
    pub window_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            min_rejected_pushes: 3,
            window_secs: 3600,
        }
    }
}

struct Rejection {
    origin: Origin,
    evidence: Evidence,
}

/// The push requests of one identity since its last accepted push.
struct Episode {
    rejections: TimeOrdered<Rejection>,
    pushes_sent: TimeOrdered<()>,
}

impl Episode {
    fn new(capacity: usize) -> Self {
        Self {
            rejections: TimeOrdered::new(capacity),
            pushes_sent: TimeOrdered::new(MAX_KEPT_PUSHES),
        }
    }

    /// Returns true when more pushes were sent within the window ending at `time` than were
    /// rejected, so that a push is still waiting for a response.
    fn has_unanswered_push(&self, start: Timestamp, time: Timestamp) -> bool {
        self.pushes_sent.between(start, time).count() > self.rejections.between(start, time).count()
    }
}

/// The role of an MFA event in this detection.
enum PushEvent {
    Sent,
    Rejected,
    /// A failed MFA verification whose method the log does not state.
    FailedWithoutMethod,
    Accepted,
}

fn classify(event: &Event) -> Option<PushEvent> {
    match (event.activity, event.outcome) {
        (Activity::MfaPushSent, Outcome::Success | Outcome::Unknown) => Some(PushEvent::Sent),
        (Activity::MfaVerify, Outcome::Failure) => {
            if event.mfa == Some(MfaMethod::Push) || event.operation.as_ref() == OKTA_DENY_PUSH {
                Some(PushEvent::Rejected)
            } else if event.mfa.is_none() {
                Some(PushEvent::FailedWithoutMethod)
            } else {
                None
            }
        }
        (Activity::MfaVerify | Activity::SignIn, Outcome::Success)
            if event.mfa == Some(MfaMethod::Push) =>
        {
            Some(PushEvent::Accepted)
        }
        _ => None,
    }
}

pub struct MfaFatigue {
    min_rejected_pushes: usize,
    window: TimeDelta,
    window_secs: u64,
    episodes: ExpiringMap<IdentityKey, Episode>,
}

impl MfaFatigue {
    pub fn new(settings: &Settings) -> Self {
        let window = window_from_secs(settings.window_secs);
        Self {
            min_rejected_pushes: settings.min_rejected_pushes.max(1),
            window,
            window_secs: settings.window_secs,
            episodes: ExpiringMap::new(window),
        }
    }

    fn episode(&mut self, event: &Event) -> &mut Episode {
        let capacity = MAX_KEPT_PUSHES.max(self.min_rejected_pushes);
        let episode = self
            .episodes
            .touch_or_insert_with(&event.actor.key, event.time, || Episode::new(capacity));
        let start = window_start(event.time, self.window);
        episode.rejections.remove_before(start);
        episode.pushes_sent.remove_before(start);
        episode
    }

    fn record_rejection(&mut self, event: &Event) {
        self.episode(event).rejections.insert(
            event.time,
            Rejection {
                origin: event.source.origin.clone(),
                evidence: Evidence::of(event),
            },
        );
    }

    /// Assesses the rejections before an accepted push, then removes them.
    fn record_acceptance(&mut self, event: &Event) -> Option<Finding> {
        let key = &event.actor.key;
        self.episodes.get(key)?;
        let episode = self
            .episodes
            .touch_or_insert_with(key, event.time, || Episode::new(1));
        let finding = assess(
            self.min_rejected_pushes,
            self.window,
            self.window_secs,
            event,
            episode,
        );
        episode.rejections.remove_through(event.time);
        episode.pushes_sent.remove_through(event.time);
        if episode.rejections.is_empty() && episode.pushes_sent.is_empty() {
            self.episodes.remove(key);
        }
        finding
    }
}

fn assess(
    min_rejected_pushes: usize,
    window: TimeDelta,
    window_secs: u64,
    acceptance: &Event,
    episode: &Episode,
) -> Option<Finding> {
    let start = window_start(acceptance.time, window);
    let rejections: Vec<&(Timestamp, Rejection)> =
        episode.rejections.between(start, acceptance.time).collect();
    let (first, last) = (rejections.first()?.0, rejections.last()?.0);
    if rejections.len() < min_rejected_pushes {
        return None;
    }
    let lower_bound = episode.rejections.dropped_since(start);
    let pushes_sent = episode.pushes_sent.between(start, acceptance.time).count();
    let pushes_lower_bound = episode.pushes_sent.dropped_since(start);

    let rejection_addresses: BTreeSet<String> = rejections
        .iter()
        .filter_map(|(_, rejection)| rejection.origin.ip())
        .map(|address| address.to_string())
        .collect();
    let accepted_from = acceptance.source.origin.ip();
    let accepted_from_new_address = match accepted_from {
        Some(address) if !rejection_addresses.is_empty() => {
            Some(!rejection_addresses.contains(&address.to_string()))
        }
        _ => None,
    };

    let who = acceptance.actor.display_name();
    let count = if lower_bound {
        format!("at least {}", rejections.len())
    } else {
        rejections.len().to_string()
    };
    let origin = match &acceptance.source.origin {
        Origin::None => String::new(),
        origin => format!(" from {origin}"),
    };
    let window_text = format_duration(window);
    let pushes = match pushes_sent {
        0 => String::new(),
        sent => format!(
            " {prefix}{sent} push {noun} sent to {who} in the {window_text} before the \
             acceptance.",
            prefix = if pushes_lower_bound { "At least " } else { "" },
            noun = if sent == 1 {
                "request was"
            } else {
                "requests were"
            },
        ),
    };
    let explanation = format!(
        "{who} denied or did not answer {count} MFA push requests between {first} and {last}, \
         then accepted a push at {accepted}{origin} ({operation}).{pushes} The threshold is \
         {min_rejected_pushes} denied or unanswered pushes within {window_text}.",
        first = format_time(first),
        last = format_time(last),
        accepted = format_time(acceptance.time),
        operation = acceptance.operation,
    );

    let mut evidence: Vec<Evidence> = rejections
        .iter()
        .take(MAX_REJECTION_EVIDENCE)
        .map(|(_, rejection)| rejection.evidence.clone())
        .collect();
    evidence.push(Evidence::of(acceptance));

    let mut facts = serde_json::Map::new();
    facts.insert("rejected_pushes".into(), json!(rejections.len()));
    facts.insert("rejected_pushes_is_lower_bound".into(), json!(lower_bound));
    facts.insert("pushes_sent".into(), json!(pushes_sent));
    facts.insert(
        "pushes_sent_is_lower_bound".into(),
        json!(pushes_lower_bound),
    );
    facts.insert("first_rejection".into(), json!(first));
    facts.insert("accepted_at".into(), json!(acceptance.time));
    facts.insert(
        "accepted_from".into(),
        json!(accepted_from.map(|address| address.to_string())),
    );
    facts.insert(
        "rejection_addresses".into(),
        json!(
            rejection_addresses
                .iter()
                .take(MAX_LISTED_ADDRESSES)
                .collect::<Vec<_>>()
        ),
    );
    facts.insert(
        "accepted_from_new_address".into(),
        json!(accepted_from_new_address),
    );
    facts.insert("min_rejected_pushes".into(), json!(min_rejected_pushes));
    facts.insert("window_secs".into(), json!(window_secs));
    facts.insert(
        "evidence_omitted".into(),
        json!(rejections.len().saturating_sub(MAX_REJECTION_EVIDENCE)),
    );

    let beyond_threshold = rejections.len().saturating_sub(min_rejected_pushes);
    let confidence = (0.7 + 0.05 * beyond_threshold as f64).min(0.9);
    Some(Finding {
        detection: ID,
        severity: Severity::High,
        confidence: Confidence::new(confidence),
        identity: acceptance.actor.clone(),
        first_seen: first.min(acceptance.time),
        last_seen: acceptance.time,
        evidence,
        explanation,
        attack: vec!["T1621"],
        facts,
        related: Vec::new(),
    })
}

impl Detector for MfaFatigue {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        if !names_an_account(&event.actor) {
            return;
        }
        match classify(event) {
            Some(PushEvent::Sent) => self.episode(event).pushes_sent.insert(event.time, ()),
            Some(PushEvent::Rejected) => self.record_rejection(event),
            Some(PushEvent::FailedWithoutMethod) => {
                let start = window_start(event.time, self.window);
                let waiting = self
                    .episodes
                    .get(&event.actor.key)
                    .is_some_and(|episode| episode.has_unanswered_push(start, event.time));
                if waiting {
                    self.record_rejection(event);
                }
            }
            Some(PushEvent::Accepted) => findings.extend(self.record_acceptance(event)),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, at, run};
    use riposte_model::SourceFormat;

    const USER: &str = "alice@example.com";
    const ATTACKER: &str = "198.51.100.7";

    fn detector() -> MfaFatigue {
        MfaFatigue::new(&Settings::default())
    }

    fn time(minute: i64) -> String {
        (at("2024-05-01T02:00:00Z") + TimeDelta::minutes(minute)).to_rfc3339()
    }

    fn push_sent(user: &str, minute: i64) -> Event {
        EventBuilder::new(user, &time(minute))
            .id(&format!("push-{user}-{minute}"))
            .activity(Activity::MfaPushSent, "system.push.send_factor_verify_push")
            .ip(ATTACKER)
            .build()
    }

    /// Builds an Okta push denied in Okta Verify.
    fn denial(user: &str, minute: i64) -> Event {
        EventBuilder::new(user, &time(minute))
            .id(&format!("deny-{user}-{minute}"))
            .activity(Activity::MfaVerify, OKTA_DENY_PUSH)
            .ip(ATTACKER)
            .mfa(MfaMethod::Push)
            .failed()
            .build()
    }

    fn accepted(user: &str, minute: i64, ip: &str) -> Event {
        EventBuilder::new(user, &time(minute))
            .id(&format!("accept-{user}-{minute}"))
            .activity(Activity::MfaVerify, "user.authentication.auth_via_mfa")
            .ip(ip)
            .mfa(MfaMethod::Push)
            .build()
    }

    /// Push sent then denied, `count` times, one every two minutes from 02:00.
    fn bombing(user: &str, count: i64) -> Vec<Event> {
        (0..count)
            .flat_map(|index| [push_sent(user, index * 2), denial(user, index * 2 + 1)])
            .collect()
    }

    #[test]
    fn three_denials_then_accepted_push_fires() {
        let mut events = bombing(USER, 3);
        events.push(push_sent(USER, 6));
        events.push(accepted(USER, 7, ATTACKER));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "mfa_fatigue");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.7);
        assert_eq!(finding.attack, vec!["T1621"]);
        assert_eq!(finding.identity.key.id.as_ref(), USER);
        assert_eq!(finding.evidence.len(), 4);
        assert_eq!(finding.first_seen, at("2024-05-01T02:01:00Z"));
        assert_eq!(finding.last_seen, at("2024-05-01T02:07:00Z"));
        assert_eq!(finding.facts["rejected_pushes"], json!(3));
        assert_eq!(finding.facts["pushes_sent"], json!(4));
        assert_eq!(finding.facts["accepted_from_new_address"], json!(false));
        assert_eq!(
            finding.explanation,
            "alice@example.com denied or did not answer 3 MFA push requests between 2024-05-01 \
             02:01:00Z and 2024-05-01 02:05:00Z, then accepted a push at 2024-05-01 02:07:00Z \
             from 198.51.100.7 (user.authentication.auth_via_mfa). 4 push requests were sent to \
             alice@example.com in the 1 h before the acceptance. The threshold is 3 denied or \
             unanswered pushes within 1 h."
        );
    }

    #[test]
    fn two_denials_then_accepted_push_is_quiet() {
        let mut events = bombing(USER, 2);
        events.push(accepted(USER, 5, ATTACKER));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn accepted_push_without_denials_is_quiet() {
        let events = [push_sent(USER, 0), accepted(USER, 1, ATTACKER)];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn other_identity_acceptance_is_quiet() {
        let mut events = bombing(USER, 5);
        events.push(accepted("bob@example.com", 11, ATTACKER));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn denials_without_acceptance_are_quiet() {
        assert!(run(&mut detector(), &bombing(USER, 20)).is_empty());
    }

    #[test]
    fn acceptance_after_the_window_is_quiet() {
        let mut events = bombing(USER, 3);
        events.push(accepted(USER, 70, ATTACKER));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn acceptance_resets_the_episode() {
        // Two denials, the owner's own approval, then two more denials and an approval.
        let mut events = bombing(USER, 2);
        events.push(accepted(USER, 5, "203.0.113.4"));
        events.push(denial(USER, 10));
        events.push(denial(USER, 12));
        events.push(accepted(USER, 14, ATTACKER));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn entra_sign_in_with_push_counts_as_acceptance() {
        // Entra writes timeouts as failed MFA verifications with the push method (error
        // 500121) and the approval as a successful sign-in with the push method.
        let mut events: Vec<Event> = (0..3)
            .map(|minute| {
                EventBuilder::new(USER, &time(minute))
                    .id(&format!("timeout-{minute}"))
                    .format(SourceFormat::EntraSignIn)
                    .activity(Activity::MfaVerify, "Sign-in activity")
                    .ip(ATTACKER)
                    .mfa(MfaMethod::Push)
                    .failed()
                    .with(|event| event.outcome_reason = Some("500121".into()))
                    .build()
            })
            .collect();
        events.push(
            EventBuilder::new(USER, &time(5))
                .format(SourceFormat::EntraSignIn)
                .activity(Activity::SignIn, "Sign-in activity")
                .ip("203.0.113.4")
                .mfa(MfaMethod::Push)
                .build(),
        );
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.facts["pushes_sent"], json!(0));
        assert_eq!(finding.facts["accepted_from_new_address"], json!(true));
        assert!(
            !finding.explanation.contains("push requests were sent"),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn methodless_failure_counts_only_for_a_waiting_push() {
        let timeout = |minute: i64| {
            EventBuilder::new(USER, &time(minute))
                .id(&format!("timeout-{minute}"))
                .activity(Activity::MfaVerify, "user.authentication.auth_via_mfa")
                .ip(ATTACKER)
                .failed()
                .build()
        };
        // Three pushes sent, each ending in a failure without a method: three timeouts.
        let mut events = Vec::new();
        for index in 0..3 {
            events.push(push_sent(USER, index * 6));
            events.push(timeout(index * 6 + 5));
        }
        events.push(push_sent(USER, 18));
        events.push(accepted(USER, 19, ATTACKER));
        assert_eq!(run(&mut detector(), &events).len(), 1);

        // The same failures without pushes sent are not push rejections.
        let mut events: Vec<Event> = (0..3).map(|index| timeout(index * 6 + 5)).collect();
        events.push(accepted(USER, 19, ATTACKER));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn one_time_code_failures_are_ignored() {
        let mut events: Vec<Event> = (0..5)
            .map(|minute| {
                EventBuilder::new(USER, &time(minute))
                    .id(&format!("otp-{minute}"))
                    .activity(Activity::MfaVerify, "user.authentication.auth_via_mfa")
                    .mfa(MfaMethod::Otp)
                    .failed()
                    .build()
            })
            .collect();
        events.push(accepted(USER, 6, ATTACKER));
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn confidence_grows_with_rejections() {
        let mut events = bombing(USER, 10);
        events.push(accepted(USER, 21, ATTACKER));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].confidence.value(), 0.9);
    }

    #[test]
    fn late_denial_still_counts() {
        let mut events = bombing(USER, 3);
        let late = events.remove(1);
        events.push(late);
        events.push(accepted(USER, 7, ATTACKER));
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn state_stays_bounded() {
        let mut detector = detector();
        let mut findings = Vec::new();
        let start = at("2024-05-01T00:00:00Z");
        for index in 0..50_000_i64 {
            let mut event = denial(&format!("user{index}@example.com"), 0);
            event.time = start + TimeDelta::seconds(index * 60);
            detector.observe(&event, &crate::Context::default(), &mut findings);
        }
        assert!(findings.is_empty());
        // Sixty identities fail within any hour, plus what accumulates between sweeps.
        assert!(
            detector.episodes.len() <= 60 + 1 + 2048,
            "{}",
            detector.episodes.len()
        );
    }

    #[test]
    fn long_episode_keeps_bounded_evidence() {
        let mut events = bombing(USER, 1000);
        events.push(accepted(USER, 2000, ATTACKER));
        let settings = Settings {
            window_secs: 86_400,
            ..Settings::default()
        };
        let findings = run(&mut MfaFatigue::new(&settings), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.evidence.len(), 21);
        assert_eq!(finding.facts["rejected_pushes"], json!(200));
        assert_eq!(finding.facts["rejected_pushes_is_lower_bound"], json!(true));
        assert!(
            finding
                .explanation
                .contains("at least 200 MFA push requests")
        );
    }
}

//! `unfamiliar_signin`: a person authenticates with several properties never seen for them:
//! another country, network, client family or device at once.
//!
//! # What it detects
//! A successful authentication (sign-in, MFA answer or token issuance) of an identity of kind
//! `human` that the identity's behavioural baseline scores as unfamiliar. The baseline must be
//! past its learning period (by default 14 days or 10 successful authentications, whichever
//! comes first), and [`Baseline::assess_sign_in`] must show:
//! - at least `min_new_features` new features among the country, the network (the autonomous
//!   system, or the /24 or /48 prefix when the event has no autonomous system), the
//!   user-agent family and the device;
//! - a score of at least `min_score`.
//!
//! The score is the sum of the weights in the baseline settings
//! (`[baseline.sign_in_weights]`), clamped to 0..=1. The defaults are +0.35 for a new country,
//! +0.25 for a new autonomous system (+0.15 for a new prefix), +0.15 for a new client family,
//! +0.15 for a new device, +0.10 for an hour of the day without past activity, -0.30 for a
//! known device and -0.20 for an autonomous system seen at least 5 times. The explanation
//! lists every contribution with its weight and what the baseline contains, and the
//! `contributions` fact carries them for machines.
//!
//! # Why it matters
//! A password, session or token stolen by phishing or infostealer malware is used from the
//! attacker's own computer and network. A person changes one thing at a time (a new phone, a
//! trip, a new internet provider); several at once are the mark of another person holding the
//! account (ATT&CK T1078 Valid Accounts).
//!
//! # Thresholds and their source
//! The weights and thresholds are judgements, not measurements.
//! - `min_new_features` = 2: one new feature alone is everyday change.
//! - `min_score` = 0.5: with the default weights, it takes a new country and one more new
//!   feature (0.50 with a new client family or device, 0.60 with a new network), or three new
//!   features without a new country (network, client family and device: 0.55). A new network
//!   with a new browser (0.40), as when a person moves to another internet provider and
//!   another computer, stays below. A known device takes 0.30 off, so a person taking their
//!   usual laptop to a new country and network (0.30) stays quiet.
//! - `high_score` = 0.8: the finding is High from this score on, Medium below. It takes
//!   four new features (0.90), or a new country, network and client family at an hour of the
//!   day the identity has never been active (0.85).
//! - Confidence is the score.
//! - One finding per identity, country and network (autonomous system, else prefix) per day.
//!   Once a sign-in is reported, the baseline learns it, so the next sign-in from the same
//!   place usually shows fewer new features anyway.
//!
//! # Inputs it ignores
//! - Failed authentications and non-human identities (`new_network_for_workload` and
//!   `api_novelty_for_workload` judge those).
//! - Identities without a baseline, or whose baseline is still learning.
//! - Private addresses and the declared corporate egress and VPN ranges: their location and
//!   network are those of the gateway, not the person's.
//! - Features the baseline has no values for: a value is new only against a baseline that
//!   contains other values of that feature seen within `max_age_days` (default 90). So a person
//!   back after more than 90 days without activity has nothing new (see
//!   `dormant_identity_active`).
//!
//! # Known false positives
//! - A trip abroad with a new phone or a new browser.
//! - Mobile carriers and satellite links whose addresses move between autonomous systems.
//! - Country names compared across sources: Okta writes names and Entra writes ISO codes, so
//!   a person signing in to both looks new in a country they know.
//!
//! This module also contains what the other baseline-reading detections share: the text of an
//! assessment's contributions, and `NetworkFamiliarity`, which `impossible_travel` and
//! `session_replay` use to adjust their confidence.

use std::sync::Arc;

use chrono::TimeDelta;
use ipnet::IpNet;
use riposte_baseline::{Assessment, Baseline};
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKey, IdentityKind, Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::detections::ExpiringMap;
use crate::detections::client::{Network, parse_user_agent};
use crate::{Context, Detector, Enabled};

pub const ID: &str = "unfamiliar_signin";

/// Shortest time between two findings for one identity, country and network.
const REPORT_PERIOD: TimeDelta = TimeDelta::days(1);

/// The contributions of [`Baseline::assess_sign_in`] that count as new features.
const NEW_FEATURES: [&str; 5] = [
    "new_country",
    "new_asn",
    "new_prefix",
    "new_user_agent_family",
    "new_device",
];

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Lowest assessment score reported, from 0 to 1.
    pub min_score: f64,
    /// Lowest assessment score reported as High rather than Medium, from 0 to 1.
    pub high_score: f64,
    /// New features needed among country, network, client family and device, from 1 to 4.
    pub min_new_features: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            min_score: 0.5,
            high_score: 0.8,
            min_new_features: 2,
        }
    }
}

/// The network part of a report key: the autonomous system, else the prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum NetworkKey {
    Asn(u32),
    Prefix(IpNet),
    Unknown,
}

/// The identity, country and network that one finding covers for a day.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ReportKey {
    identity: IdentityKey,
    /// Country in ASCII lower case.
    country: Option<String>,
    network: NetworkKey,
}

impl ReportKey {
    fn of(event: &Event, network: Option<&Network>) -> Self {
        let network_key = match network {
            Some(Network {
                asn: Some(number), ..
            }) => NetworkKey::Asn(*number),
            Some(network) => NetworkKey::Prefix(network.prefix),
            None => NetworkKey::Unknown,
        };
        Self {
            identity: event.actor.key.clone(),
            country: network
                .and_then(|network| network.country.as_deref())
                .map(str::to_ascii_lowercase),
            network: network_key,
        }
    }
}

pub struct UnfamiliarSignin {
    settings: Settings,
    /// When each identity, country and network was last reported.
    reported: ExpiringMap<ReportKey, Timestamp>,
}

impl UnfamiliarSignin {
    pub fn new(settings: &Settings) -> Self {
        Self {
            settings: settings.clone(),
            reported: ExpiringMap::new(REPORT_PERIOD),
        }
    }

    fn finding(
        &self,
        event: &Event,
        baseline: &Baseline,
        assessment: &Assessment,
        new_features: usize,
        network: Option<&Network>,
    ) -> Finding {
        let software = event
            .source
            .user_agent
            .as_deref()
            .and_then(parse_user_agent);
        let from = network.map_or_else(String::new, |network| {
            format!(
                " from {} ({}, {})",
                network.address,
                network.name(),
                network.place
            )
        });
        let with = software
            .as_ref()
            .map_or_else(String::new, |software| format!(" with {software}"));
        let explanation = format!(
            "{who} {verb}{from}{with} at {time}, with {new_features} features new for this \
             identity. Assessment: {contributions}: score {score:.2}, at or above the \
             {threshold:.2} threshold.",
            who = event.actor.display_name(),
            verb = authentication_verb(event.activity),
            time = event.time.format("%Y-%m-%d %H:%M:%SZ"),
            contributions = describe_contributions(assessment),
            score = assessment.score,
            threshold = self.settings.min_score,
        );
        let severity = if assessment.score >= self.settings.high_score {
            Severity::High
        } else {
            Severity::Medium
        };

        let mut facts = serde_json::Map::new();
        facts.insert("score".into(), json!(assessment.score));
        facts.insert("min_score".into(), json!(self.settings.min_score));
        facts.insert("new_features".into(), json!(new_features));
        facts.insert("contributions".into(), contribution_facts(assessment));
        if let Some(network) = network {
            facts.insert("address".into(), json!(network.address.to_string()));
            facts.insert("asn".into(), json!(network.asn));
            facts.insert("asn_organization".into(), json!(network.asn_organization));
            facts.insert("prefix".into(), json!(network.prefix.to_string()));
            facts.insert("country".into(), json!(network.country));
            facts.insert("place".into(), json!(network.place));
        }
        if let Some(software) = &software {
            facts.insert("software".into(), json!(software.to_string()));
        }
        facts.insert("device".into(), json!(event.source.device_id));
        facts.insert("baseline".into(), baseline_facts(baseline));

        Finding {
            detection: ID,
            severity,
            confidence: Confidence::new(assessment.score),
            identity: event.actor.clone(),
            first_seen: event.time,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack: vec!["T1078"],
            facts,
            related: Vec::new(),
        }
    }
}

impl Detector for UnfamiliarSignin {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        if !event.is_successful_authentication() || event.actor.kind != IdentityKind::Human {
            return;
        }
        if event.source.ip_class.hides_location() {
            return;
        }
        let Some(baseline) = context.baseline else {
            return;
        };
        let baseline_settings = context.baseline_settings;
        if baseline.is_learning(event.time, baseline_settings) {
            return;
        }
        // Most sign-ins are not reported, so the details are formatted only for one that is.
        let scores = baseline.score_sign_in(event, baseline_settings);
        let new_features = scores
            .contributions
            .iter()
            .filter(|contribution| NEW_FEATURES.contains(&contribution.feature))
            .count();
        if new_features < self.settings.min_new_features || scores.score < self.settings.min_score {
            return;
        }

        let network = Network::of(&event.source);
        let key = ReportKey::of(event, network.as_ref());
        if let Some(&reported) = self.reported.get(&key)
            && (event.time - reported).abs() < REPORT_PERIOD
        {
            return;
        }
        *self
            .reported
            .touch_or_insert_with(&key, event.time, || event.time) = event.time;
        let assessment = baseline.assess_sign_in(event, baseline_settings);
        findings.push(self.finding(event, baseline, &assessment, new_features, network.as_ref()));
    }
}

fn authentication_verb(activity: Activity) -> &'static str {
    match activity {
        Activity::MfaVerify => "answered a multi-factor challenge",
        Activity::TokenIssued => "was issued a token",
        _ => "signed in",
    }
}

/// Returns the contributions of an assessment in the order the baseline lists them, each as
/// its detail followed by its signed weight, joined by semicolons: `country SG is new (known
/// in the last 90 days: 1 country) +0.35; device D1 seen 12 times, last on 2024-05-19 -0.30`.
pub(crate) fn describe_contributions(assessment: &Assessment) -> String {
    if assessment.contributions.is_empty() {
        return "no feature moved the score".to_owned();
    }
    assessment
        .contributions
        .iter()
        .map(|contribution| format!("{} {:+.2}", contribution.detail, contribution.weight))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Returns the contributions of an assessment as a JSON array of `feature`, `weight` and
/// `detail` objects.
pub(crate) fn contribution_facts(assessment: &Assessment) -> Value {
    json!(assessment.contributions)
}

/// Returns the counts and times of the baseline a finding was judged against.
pub(crate) fn baseline_facts(baseline: &Baseline) -> Value {
    json!({
        "first_seen": baseline.first_seen(),
        "last_seen": baseline.last_seen(),
        "events": baseline.event_count(),
        "authentications": baseline.authentication_count(),
    })
}

/// Confidence taken off a pair of places when the later one's network is one the identity
/// uses regularly, such as a VPN exit seen for months.
pub(crate) const FAMILIAR_NETWORK_PENALTY: f64 = 0.2;

/// The penalty never takes a confidence below this value.
pub(crate) const FAMILIAR_NETWORK_FLOOR: f64 = 0.3;

/// Confidence added to a pair of places when either one's network is new for the identity.
pub(crate) const NEW_NETWORK_BONUS: f64 = 0.1;

/// The verdict of an identity's baseline on the network an event came from, judged against
/// the baseline as it was before the event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NetworkFamiliarity {
    /// No baseline, a baseline still learning, an origin that is not an IP address, or a
    /// network that is neither new nor established.
    Unjudged,
    /// The autonomous system was seen at least `established_count` times (default 5), and
    /// the country is known when the event names one. An event without an autonomous system
    /// is never familiar, because the baseline keeps no count that a caller can read for
    /// prefixes.
    Familiar {
        /// `AS64500`.
        network: Box<str>,
        country: Option<Arc<str>>,
        /// The baseline's `known_asn` contribution, such as `network AS64500 (Example
        /// Broadband) seen 12 times, last on 2024-05-06`.
        detail: Box<str>,
    },
    /// The autonomous system, or the prefix when the event has no autonomous system, was not
    /// seen within `max_age_days`, against a baseline that contains others.
    New {
        /// `AS65550` or `198.51.100.0/24`.
        network: Box<str>,
        /// The baseline's `new_asn` or `new_prefix` contribution.
        detail: Box<str>,
    },
}

impl NetworkFamiliarity {
    /// Judges the network of `event` against the baseline in `context`.
    ///
    /// Reads the network contributions of the sign-in assessment: `new_asn`, `new_prefix`
    /// and `known_asn` decide. A weight set to 0 in the baseline settings turns its case off.
    pub(crate) fn of(event: &Event, context: &Context<'_>) -> Self {
        let Some(baseline) = context.baseline else {
            return Self::Unjudged;
        };
        let settings = context.baseline_settings;
        if baseline.is_learning(event.time, settings) {
            return Self::Unjudged;
        }
        let Some(network) = Network::of(&event.source) else {
            return Self::Unjudged;
        };
        let label: Box<str> = match network.asn {
            Some(number) => format!("AS{number}").into(),
            None => network.prefix.to_string().into(),
        };
        let assessment = baseline.assess_sign_in_network(event, settings);
        if let Some(contribution) = assessment
            .contribution("new_asn")
            .or_else(|| assessment.contribution("new_prefix"))
        {
            return Self::New {
                network: label,
                detail: contribution.detail.as_str().into(),
            };
        }
        let Some(known) = assessment.contribution("known_asn") else {
            return Self::Unjudged;
        };
        if let Some(country) = &network.country
            && !baseline.has_country(country)
        {
            return Self::Unjudged;
        }
        Self::Familiar {
            network: label,
            country: network.country,
            detail: known.detail.as_str().into(),
        }
    }

    fn facts(&self) -> Value {
        match self {
            Self::Unjudged => json!({"state": "unjudged"}),
            Self::Familiar {
                network,
                country,
                detail,
            } => {
                json!({"state": "familiar", "network": network, "country": country, "detail": detail})
            }
            Self::New { network, detail } => {
                json!({"state": "new", "network": network, "detail": detail})
            }
        }
    }
}

/// A confidence adjusted by what the baselines say about the networks of a pair of events.
pub(crate) struct ConfidenceAdjustment {
    pub(crate) confidence: f64,
    /// A sentence for the explanation when a baseline changed the confidence.
    pub(crate) sentence: Option<String>,
    /// The `baseline` fact, when at least one network was judged.
    pub(crate) facts: Option<Value>,
}

/// Adjusts the confidence of a finding about two events, `first` and `second` in time order,
/// by the familiarity of their networks for `who`:
/// - either network new: raised by [`NEW_NETWORK_BONUS`], up to 1;
/// - else the second network familiar: lowered by [`FAMILIAR_NETWORK_PENALTY`], but not
///   below [`FAMILIAR_NETWORK_FLOOR`] (a confidence already below it stays);
/// - else unchanged.
pub(crate) fn adjust_confidence(
    confidence: f64,
    who: &str,
    first: &NetworkFamiliarity,
    second: &NetworkFamiliarity,
) -> ConfidenceAdjustment {
    if *first == NetworkFamiliarity::Unjudged && *second == NetworkFamiliarity::Unjudged {
        return ConfidenceAdjustment {
            confidence,
            sentence: None,
            facts: None,
        };
    }
    let mut new_networks: Vec<&str> = Vec::with_capacity(2);
    for familiarity in [first, second] {
        if let NetworkFamiliarity::New { network, .. } = familiarity
            && !new_networks.contains(&network.as_ref())
        {
            new_networks.push(network);
        }
    }

    let (adjusted, sentence) = if !new_networks.is_empty() {
        let adjusted = (confidence + NEW_NETWORK_BONUS).min(1.0).max(confidence);
        let subject = match new_networks.as_slice() {
            [only] => format!("{only} is"),
            networks => format!("{} are", networks.join(" and ")),
        };
        let change = if adjusted > confidence {
            format!("raised from {confidence:.2} to {adjusted:.2}")
        } else {
            format!("kept at {confidence:.2}, its maximum")
        };
        (
            adjusted,
            Some(format!(
                "{subject} new for {who}, so the confidence is {change}."
            )),
        )
    } else if let NetworkFamiliarity::Familiar {
        network, country, ..
    } = second
    {
        let adjusted =
            (confidence - FAMILIAR_NETWORK_PENALTY).max(confidence.min(FAMILIAR_NETWORK_FLOOR));
        let place = country
            .as_ref()
            .map_or_else(String::new, |country| format!(" from {country}"));
        let change = if adjusted < confidence {
            format!("lowered from {confidence:.2} to {adjusted:.2}")
        } else {
            format!("kept at {confidence:.2}, at or below the {FAMILIAR_NETWORK_FLOOR:.2} floor")
        };
        (
            adjusted,
            Some(format!(
                "{who} has used {network}{place} before, so the confidence is {change}."
            )),
        )
    } else {
        (confidence, None)
    };

    let facts = json!({
        "first_network": first.facts(),
        "second_network": second.facts(),
        "confidence_before": (confidence * 100.0).round() / 100.0,
        "confidence_change": ((adjusted - confidence) * 100.0).round() / 100.0,
    });
    ConfidenceAdjustment {
        confidence: adjusted,
        sentence,
        facts: Some(facts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run, run_with_baselines, run_with_fixed_baseline, trained};
    use riposte_model::{IpClass, Outcome};

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";

    fn detector() -> UnfamiliarSignin {
        UnfamiliarSignin::new(&Settings::default())
    }

    /// Starts a sign-in of alice from her home network in Lisbon with Chrome.
    fn usual(time: &str) -> EventBuilder {
        EventBuilder::new("alice@example.com", time)
            .id(&format!("usual@{time}"))
            .ip("203.0.113.10")
            .asn(64500, "Example Broadband")
            .geo(38.7223, -9.1393, "PT", "Lisbon")
            .user_agent(CHROME)
    }

    /// Starts a sign-in of alice from a hosting network in Singapore with Firefox.
    fn unfamiliar(time: &str) -> EventBuilder {
        EventBuilder::new("alice@example.com", time)
            .id(&format!("unfamiliar@{time}"))
            .ip("198.51.100.20")
            .asn(65550, "Example Hosting")
            .geo(1.3521, 103.8198, "SG", "Singapore")
            .user_agent(FIREFOX)
    }

    /// Builds twelve usual sign-ins over six days, enough to end the learning period.
    fn history(change: impl Fn(EventBuilder) -> EventBuilder) -> Vec<Event> {
        let mut events = Vec::new();
        for day in 1..=6 {
            for hour in ["08", "14"] {
                events.push(change(usual(&format!("2024-05-0{day}T{hour}:00:00Z"))).build());
            }
        }
        events
    }

    fn with(mut events: Vec<Event>, last: Event) -> Vec<Event> {
        events.push(last);
        events
    }

    #[test]
    fn new_country_network_and_browser_fire() {
        let events = with(
            history(|event| event),
            unfamiliar("2024-05-07T09:00:00Z").build(),
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "unfamiliar_signin");
        assert_eq!(finding.severity, Severity::Medium);
        assert!((finding.confidence.value() - 0.75).abs() < 1e-9);
        assert_eq!(finding.attack, vec!["T1078"]);
        assert_eq!(finding.evidence.len(), 1);
        assert_eq!(finding.facts["new_features"], json!(3));
        assert_eq!(
            finding.facts["contributions"][0]["feature"],
            json!("new_country")
        );
        assert_eq!(
            finding.facts["contributions"][1]["feature"],
            json!("new_asn")
        );
        assert_eq!(
            finding.facts["contributions"][2]["feature"],
            json!("new_user_agent_family")
        );
        assert_eq!(finding.facts["baseline"]["authentications"], json!(12));
        assert_eq!(
            finding.explanation,
            "alice@example.com signed in from 198.51.100.20 (AS65550 Example Hosting, \
             Singapore, SG) with Firefox 125 at 2024-05-07 09:00:00Z, with 3 features new for \
             this identity. Assessment: country SG is new (known in the last 90 days: 1 \
             country) +0.35; network AS65550 (Example Hosting) is new (known in the last 90 \
             days: 1 autonomous system) +0.25; client Firefox 125 is of a new family (known in \
             the last 90 days: 1 family) +0.15: score 0.75, at or above the 0.50 threshold."
        );
    }

    #[test]
    fn learning_baseline_is_quiet() {
        let mut events: Vec<Event> = history(|event| event).into_iter().take(5).collect();
        events.push(unfamiliar("2024-05-04T09:00:00Z").build());
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn learning_ends_after_fourteen_days() {
        // Two sign-ins only, but fifteen days apart: the period in days is over.
        let events = [
            usual("2024-05-01T08:00:00Z").build(),
            usual("2024-05-02T08:00:00Z").build(),
            unfamiliar("2024-05-16T09:00:00Z").build(),
        ];
        assert_eq!(run_with_baselines(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn missing_baseline_is_quiet() {
        let events = with(
            history(|event| event),
            unfamiliar("2024-05-07T09:00:00Z").build(),
        );
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn one_new_feature_is_quiet() {
        let events = with(
            history(|event| event),
            usual("2024-05-07T09:00:00Z").user_agent(FIREFOX).build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn new_network_and_browser_stay_below_threshold() {
        // New autonomous system +0.25 and new browser +0.15: two features, score 0.40.
        let events = with(
            history(|event| event),
            usual("2024-05-07T09:00:00Z")
                .ip("198.51.100.20")
                .asn(65550, "Example Hosting")
                .user_agent(FIREFOX)
                .build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn known_device_lowers_the_score() {
        let history = history(|event| event.device("laptop-0001"));
        let quiet = with(
            history.clone(),
            unfamiliar("2024-05-07T09:00:00Z")
                .user_agent(CHROME)
                .device("laptop-0001")
                .build(),
        );
        // New country +0.35, new network +0.25, known device -0.30: score 0.30.
        assert!(run_with_baselines(&mut detector(), &quiet).is_empty());

        let fires = with(
            history,
            unfamiliar("2024-05-07T09:00:00Z")
                .device("phone-0002")
                .build(),
        );
        let findings = run_with_baselines(&mut detector(), &fires);
        assert_eq!(findings.len(), 1);
        // Four new features: 0.35 + 0.25 + 0.15 + 0.15.
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(findings[0].facts["new_features"], json!(4));
        assert!((findings[0].confidence.value() - 0.9).abs() < 1e-9);
    }

    #[test]
    fn negative_contributions_are_listed() {
        let history = history(|event| event.device("laptop-0001"));
        let events = with(
            history,
            unfamiliar("2024-05-07T09:00:00Z")
                .device("laptop-0001")
                .build(),
        );
        let settings = Settings {
            min_score: 0.4,
            ..Settings::default()
        };
        let findings = run_with_baselines(&mut UnfamiliarSignin::new(&settings), &events);
        assert_eq!(findings.len(), 1);
        // 0.35 + 0.25 + 0.15 - 0.30.
        assert!((findings[0].confidence.value() - 0.45).abs() < 1e-9);
        assert!(
            findings[0].explanation.contains(
                "; device laptop-0001 seen 12 times, last on 2024-05-06 -0.30: score 0.45"
            ),
            "{}",
            findings[0].explanation
        );
    }

    #[test]
    fn hidden_locations_are_ignored() {
        for class in [IpClass::Private, IpClass::Vpn, IpClass::CorporateEgress] {
            let events = with(
                history(|event| event),
                unfamiliar("2024-05-07T09:00:00Z").ip_class(class).build(),
            );
            assert!(
                run_with_baselines(&mut detector(), &events).is_empty(),
                "{class:?}"
            );
        }
    }

    #[test]
    fn non_human_identities_are_ignored() {
        let role = |event: EventBuilder| {
            event
                .role_session("111111111111", "Deploy", "pipeline")
                .activity(Activity::TokenIssued, "AssumeRole")
        };
        let events = with(
            history(role),
            role(unfamiliar("2024-05-07T09:00:00Z")).build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failed_sign_in_is_ignored() {
        let events = with(
            history(|event| event),
            unfamiliar("2024-05-07T09:00:00Z")
                .outcome(Outcome::Failure)
                .build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn mfa_answer_counts() {
        let events = with(
            history(|event| event),
            unfamiliar("2024-05-07T09:00:00Z")
                .activity(Activity::MfaVerify, "user.authentication.auth_via_mfa")
                .build(),
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0]
                .explanation
                .starts_with("alice@example.com answered a multi-factor challenge from"),
            "{}",
            findings[0].explanation
        );
    }

    #[test]
    fn one_finding_per_place_per_day() {
        // A fixed baseline does not learn the first unfamiliar sign-in, so only the rate
        // limit keeps the second one quiet.
        let baseline = trained(&history(|event| event));
        let events = [
            unfamiliar("2024-05-07T09:00:00Z").build(),
            unfamiliar("2024-05-07T15:00:00Z").build(),
            unfamiliar("2024-05-08T08:59:59Z").build(),
            unfamiliar("2024-05-08T09:00:00Z").build(),
        ];
        let findings = run_with_fixed_baseline(&mut detector(), &events, &baseline);
        let times: Vec<String> = findings
            .iter()
            .map(|finding| finding.first_seen.to_rfc3339())
            .collect();
        assert_eq!(
            times,
            ["2024-05-07T09:00:00+00:00", "2024-05-08T09:00:00+00:00"]
        );
    }

    #[test]
    fn other_network_same_day_fires_again() {
        let baseline = trained(&history(|event| event));
        let events = [
            unfamiliar("2024-05-07T09:00:00Z").build(),
            unfamiliar("2024-05-07T10:00:00Z")
                .asn(65551, "Example Cloud")
                .build(),
        ];
        assert_eq!(
            run_with_fixed_baseline(&mut detector(), &events, &baseline).len(),
            2
        );
    }

    #[test]
    fn second_sign_in_from_reported_place_is_familiar() {
        // The baseline learns the reported sign-in, so the next one is no longer new.
        let mut events = history(|event| event);
        events.push(unfamiliar("2024-05-07T09:00:00Z").build());
        events.push(unfamiliar("2024-05-09T09:00:00Z").build());
        assert_eq!(run_with_baselines(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn min_new_features_follows_settings() {
        let settings = Settings {
            min_new_features: 4,
            ..Settings::default()
        };
        let events = with(
            history(|event| event),
            unfamiliar("2024-05-07T09:00:00Z").build(),
        );
        assert!(run_with_baselines(&mut UnfamiliarSignin::new(&settings), &events).is_empty());
    }

    #[test]
    fn familiarity_is_unjudged_without_baseline() {
        let event = unfamiliar("2024-05-07T09:00:00Z").build();
        assert_eq!(
            NetworkFamiliarity::of(&event, &Context::default()),
            NetworkFamiliarity::Unjudged
        );
    }

    #[test]
    fn familiarity_finds_new_and_established_networks() {
        let baseline = trained(&history(|event| event));
        let settings = riposte_baseline::BaselineSettings::default();
        let context = Context {
            baseline: Some(&baseline),
            baseline_settings: &settings,
        };
        let new = NetworkFamiliarity::of(&unfamiliar("2024-05-07T09:00:00Z").build(), &context);
        assert!(
            matches!(&new, NetworkFamiliarity::New { network, .. } if network.as_ref() == "AS65550"),
            "{new:?}"
        );
        let familiar = NetworkFamiliarity::of(&usual("2024-05-07T09:00:00Z").build(), &context);
        assert!(
            matches!(
                &familiar,
                NetworkFamiliarity::Familiar { network, country: Some(country), .. }
                    if network.as_ref() == "AS64500" && country.as_ref() == "PT"
            ),
            "{familiar:?}"
        );
        // A known autonomous system in a country never seen is not familiar.
        let elsewhere = NetworkFamiliarity::of(
            &usual("2024-05-07T09:00:00Z")
                .geo(1.3521, 103.8198, "SG", "Singapore")
                .build(),
            &context,
        );
        assert_eq!(elsewhere, NetworkFamiliarity::Unjudged);
    }

    #[test]
    fn confidence_is_raised_for_new_networks() {
        let new = NetworkFamiliarity::New {
            network: "AS65550".into(),
            detail: "network AS65550 is new".into(),
        };
        let adjustment = adjust_confidence(0.6, "alice", &NetworkFamiliarity::Unjudged, &new);
        assert!((adjustment.confidence - 0.7).abs() < 1e-9);
        assert_eq!(
            adjustment.sentence.as_deref(),
            Some("AS65550 is new for alice, so the confidence is raised from 0.60 to 0.70.")
        );
        let capped = adjust_confidence(0.95, "alice", &new, &new);
        assert_eq!(capped.confidence, 1.0);
        let full = adjust_confidence(1.0, "alice", &new, &NetworkFamiliarity::Unjudged);
        assert_eq!(
            full.sentence.as_deref(),
            Some("AS65550 is new for alice, so the confidence is kept at 1.00, its maximum.")
        );
    }

    #[test]
    fn confidence_is_lowered_for_familiar_networks() {
        let familiar = NetworkFamiliarity::Familiar {
            network: "AS64500".into(),
            country: Some("Portugal".into()),
            detail: "network AS64500 seen 12 times".into(),
        };
        let lowered = adjust_confidence(0.95, "alice", &NetworkFamiliarity::Unjudged, &familiar);
        assert!((lowered.confidence - 0.75).abs() < 1e-9);
        assert_eq!(
            lowered.sentence.as_deref(),
            Some(
                "alice has used AS64500 from Portugal before, so the confidence is lowered from \
                 0.95 to 0.75."
            )
        );
        let floored = adjust_confidence(0.4, "alice", &familiar, &familiar);
        assert!((floored.confidence - 0.3).abs() < 1e-9);
        let below = adjust_confidence(0.2, "alice", &familiar, &familiar);
        assert_eq!(below.confidence, 0.2);
        // A familiar first network alone changes nothing.
        let first_only = adjust_confidence(0.8, "alice", &familiar, &NetworkFamiliarity::Unjudged);
        assert_eq!(first_only.confidence, 0.8);
        assert_eq!(first_only.sentence, None);
        assert!(first_only.facts.is_some());
        // A new network wins over a familiar one.
        let new = NetworkFamiliarity::New {
            network: "AS65550".into(),
            detail: "network AS65550 is new".into(),
        };
        let mixed = adjust_confidence(0.8, "alice", &new, &familiar);
        assert!((mixed.confidence - 0.9).abs() < 1e-9);
    }

    #[test]
    fn unjudged_pair_changes_nothing() {
        let adjustment = adjust_confidence(
            0.8,
            "alice",
            &NetworkFamiliarity::Unjudged,
            &NetworkFamiliarity::Unjudged,
        );
        assert_eq!(adjustment.confidence, 0.8);
        assert!(adjustment.sentence.is_none());
        assert!(adjustment.facts.is_none());
    }
}

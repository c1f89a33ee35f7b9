//! `new_network_for_workload`: a non-human identity's credential used from a network it has
//! never used.
//!
//! # What it detects
//! An event of a non-human identity from a public address whose network is new for the
//! identity's behavioural baseline. Non-human identities are IAM users' access keys, role
//! sessions, Entra service principals and managed identities, and Okta service applications.
//! The baseline must be past its learning period (by default 14 days, or 10 successful
//! authentications). The network is
//! the autonomous system when the event has one, else the /24 (IPv4) or /48 (IPv6) prefix:
//! [`Baseline::assess_workload_call`] must show a `new_asn` or `new_prefix` contribution, so
//! that a new address inside a known autonomous system is not new.
//!
//! The explanation lists every contribution of the assessment with its weight (by default
//! +0.40 for a new autonomous system, +0.30 for a new prefix, +0.20 for a new service, +0.10
//! for a new operation, more for discovery and credential-access operations, +0.15 for a new
//! client family, +0.10 for a new credential, -0.20 for an autonomous system seen at least 5
//! times), and the `contributions` fact carries them.
//!
//! # Why it matters
//! A workload runs from a few fixed networks: its cloud provider, its data centre, its CI
//! runners. Its credential used from anywhere else has most likely leaked, through a commit,
//! a build log, an exposed environment or a compromised laptop, and is in someone else's hands
//! (ATT&CK T1078.004 Cloud Accounts, T1552 Unsecured Credentials).
//!
//! # Thresholds and their source
//! - The learning period and the ageing of networks (`max_age_days`, default 90) come from
//!   the baseline settings.
//! - Severity is High for long-lived credentials (AWS access keys `AKIA...`, client secrets,
//!   certificates, API tokens), which stay valid until someone revokes them, and Medium for
//!   temporary ones (role sessions, OAuth tokens), which expire within hours.
//! - Confidence is 0.5 plus half the assessment score, at most 0.95: 0.70 for a new
//!   autonomous system alone, 0.65 for a new prefix alone, more with a new client or new
//!   operations.
//! - One finding per identity and network (autonomous system, else prefix) per day. A
//!   successful event teaches the baseline its network, so the next one from there is not
//!   new anyway; failed API calls teach nothing, and the period keeps them from repeating the
//!   finding.
//!
//! # Inputs it ignores
//! - Human identities and AWS root (`unfamiliar_signin` judges people), AWS services and the
//!   providers' own system principals, and role sessions named after a person (an assumed
//!   role whose session name or source identity is an e-mail address): those are people
//!   signed in through federation, who move between networks.
//! - Identities without a baseline, or whose baseline is still learning.
//! - Origins that are not an IP address (AWS service names, `AWS Internal`), private and
//!   special-purpose addresses, and the declared corporate egress and VPN ranges.
//! - Failed authentications, which prove no possession of the credential. A failed API call
//!   counts: the request was signed with the credential, only the permission was missing.
//! - Networks the baseline cannot judge: a value is new only against a baseline that contains
//!   other values of that feature. So an event with an autonomous system is not judged
//!   against a baseline that learned only events without one.
//! - Role sessions whose name changes every time (`botocore-session-...`): each gets its own
//!   baseline, which never leaves its learning period.
//!
//! # Known false positives
//! - Without an autonomous-system database, workloads in a public cloud change /24 prefix
//!   often (Lambda, autoscaled instances, managed CI runners): configure the ASN database so
//!   that the provider's autonomous system stays known.
//! - A workload moved to another region, provider or CI service.
//! - The baseline keeps 6 networks per identity by default: a workload that uses more sees
//!   the least recently used ones forgotten and new again.

use chrono::TimeDelta;
use riposte_baseline::{Assessment, Baseline};
use riposte_model::{
    Confidence, CredentialKind, Event, Evidence, Finding, IdentityKey, IdentityKind, IdentityRef,
    Outcome, Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::json;

use crate::detections::ExpiringMap;
use crate::detections::client::{Network, is_internal};
use crate::detections::unfamiliar_signin::{
    baseline_facts, contribution_facts, describe_contributions,
};
use crate::{Context, Detector, Enabled};

pub const ID: &str = "new_network_for_workload";

/// Shortest time between two findings for one identity and network.
const REPORT_PERIOD: TimeDelta = TimeDelta::days(1);

/// Highest confidence given.
const MAX_CONFIDENCE: f64 = 0.95;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

/// The network a finding is about: the autonomous system, else the prefix.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum NetworkKey {
    Asn(u32),
    Prefix(ipnet::IpNet),
}

pub struct NewNetworkForWorkload {
    /// When each identity and network was last reported.
    reported: ExpiringMap<(IdentityKey, NetworkKey), Timestamp>,
}

impl NewNetworkForWorkload {
    pub fn new(_settings: &Settings) -> Self {
        Self {
            reported: ExpiringMap::new(REPORT_PERIOD),
        }
    }
}

/// Returns true for non-human identities that run as a workload or a pipeline, as opposed to
/// principals without behaviour of their own and to people signed in through federation.
pub(crate) fn is_workload_identity(actor: &IdentityRef) -> bool {
    if !actor.kind.is_nhi()
        || matches!(
            actor.kind,
            IdentityKind::AwsService | IdentityKind::ProviderSystem
        )
    {
        return false;
    }
    // The normalizer sets `email` on a role session when its session name or source
    // identity is an e-mail address: a person federated into the role.
    !(actor.role_session.is_some() && actor.email.is_some())
}

/// Names an identity for an explanation: an assumed-role session as `role/session`, so that
/// the instance, function or pipeline holding the role is visible.
pub(crate) fn actor_name(actor: &IdentityRef) -> String {
    match &actor.role_session {
        Some(session) => format!("{}/{}", session.role_name, session.session_name),
        None => actor.display_name().to_owned(),
    }
}

/// Returns true for credentials that stay valid until revoked.
pub(crate) fn is_long_lived(kind: CredentialKind) -> bool {
    matches!(
        kind,
        CredentialKind::LongLivedKey
            | CredentialKind::ClientSecret
            | CredentialKind::Certificate
            | CredentialKind::ApiToken
    )
}

/// Names the credential of an event for an explanation: `long-lived access key AKIA...`.
pub(crate) fn describe_credential(event: &Event) -> String {
    let id = event
        .credential
        .id
        .as_deref()
        .map_or_else(String::new, |id| format!(" {id}"));
    match event.credential.kind {
        CredentialKind::LongLivedKey => format!("long-lived access key{id}"),
        CredentialKind::TemporaryKey => format!("temporary access key{id}"),
        CredentialKind::ClientSecret => "client secret".to_owned(),
        CredentialKind::Certificate => "certificate".to_owned(),
        CredentialKind::ApiToken => "API token".to_owned(),
        CredentialKind::OAuthToken => "OAuth token".to_owned(),
        CredentialKind::Session => "session".to_owned(),
        _ => "credential".to_owned(),
    }
}

/// Names a network with its place when the event has a location: `AS65550 Example Hosting,
/// Singapore, SG`, or `198.51.100.0/24`.
fn describe_network(event: &Event, network: &Network) -> String {
    if event.source.geo.is_some() {
        format!("{}, {}", network.name(), network.place)
    } else {
        network.name()
    }
}

fn finding(
    event: &Event,
    network: &Network,
    baseline: &Baseline,
    assessment: &Assessment,
    baseline_days: u16,
) -> Finding {
    let long_lived = is_long_lived(event.credential.kind);
    let severity = if long_lived {
        Severity::High
    } else {
        Severity::Medium
    };
    let confidence = (0.5 + assessment.score / 2.0).min(MAX_CONFIDENCE);
    let explanation = format!(
        "{who} used its {credential} from {address} ({network}) at {time} for {operation}, a \
         network not seen for this identity in the last {baseline_days} days. Assessment: \
         {contributions}: score {score:.2}.",
        who = actor_name(&event.actor),
        credential = describe_credential(event),
        address = network.address,
        network = describe_network(event, network),
        time = event.time.format("%Y-%m-%d %H:%M:%SZ"),
        operation = event.operation,
        contributions = describe_contributions(assessment),
        score = assessment.score,
    );

    let mut facts = serde_json::Map::new();
    facts.insert("identity_kind".into(), json!(event.actor.kind.as_str()));
    facts.insert("credential_kind".into(), json!(event.credential.kind));
    facts.insert("credential_id".into(), json!(event.credential.id));
    facts.insert("long_lived_credential".into(), json!(long_lived));
    facts.insert("address".into(), json!(network.address.to_string()));
    facts.insert("asn".into(), json!(network.asn));
    facts.insert("asn_organization".into(), json!(network.asn_organization));
    facts.insert("prefix".into(), json!(network.prefix.to_string()));
    facts.insert("country".into(), json!(network.country));
    facts.insert("place".into(), json!(network.place));
    facts.insert("operation".into(), json!(event.operation));
    facts.insert("score".into(), json!(assessment.score));
    facts.insert("contributions".into(), contribution_facts(assessment));
    facts.insert("baseline".into(), baseline_facts(baseline));

    Finding {
        detection: ID,
        severity,
        confidence: Confidence::new(confidence),
        identity: event.actor.clone(),
        first_seen: event.time,
        last_seen: event.time,
        evidence: vec![Evidence::of(event)],
        explanation,
        attack: vec!["T1078.004", "T1552"],
        facts,
        related: Vec::new(),
    }
}

impl Detector for NewNetworkForWorkload {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        if !is_workload_identity(&event.actor) {
            return;
        }
        if event.outcome == Outcome::Failure && event.activity.is_authentication() {
            return;
        }
        let class = event.source.ip_class;
        if is_internal(class) || class.hides_location() {
            return;
        }
        let Some(network) = Network::of(&event.source) else {
            return;
        };
        let Some(baseline) = context.baseline else {
            return;
        };
        let settings = context.baseline_settings;
        if baseline.is_learning(event.time, settings) {
            return;
        }
        let scored = baseline.score_workload_call(event, settings);
        let new_network =
            scored.contribution("new_asn").is_some() || scored.contribution("new_prefix").is_some();
        if !new_network {
            return;
        }

        let network_key = match network.asn {
            Some(number) => NetworkKey::Asn(number),
            None => NetworkKey::Prefix(network.prefix),
        };
        let key = (event.actor.key.clone(), network_key);
        if let Some(&reported) = self.reported.get(&key)
            && (event.time - reported).abs() < REPORT_PERIOD
        {
            return;
        }
        *self
            .reported
            .touch_or_insert_with(&key, event.time, || event.time) = event.time;
        // The same assessment with the details that the finding quotes.
        let assessment = baseline.assess_workload_call(event, settings);
        findings.push(finding(
            event,
            &network,
            baseline,
            &assessment,
            settings.max_age_days,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run_with_baselines, run_with_fixed_baseline, trained};
    use riposte_model::{Activity, IpClass, Origin, SourceFormat};

    const KEY: &str = "AKIAEXAMPLEKEY000001";
    const CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2";
    const CURL: &str = "curl/8.5.0";

    fn detector() -> NewNetworkForWorkload {
        NewNetworkForWorkload::new(&Settings::default())
    }

    /// Starts a call of the `deploy-bot` IAM user with its access key from its CI network.
    fn key_call(time: &str) -> EventBuilder {
        EventBuilder::new("deploy-bot", time)
            .id(&format!("call@{time}"))
            .format(SourceFormat::CloudTrail)
            .kind(IdentityKind::IamUserAccessKey)
            .activity(Activity::ApiCall, "PutObject")
            .service("s3.amazonaws.com")
            .credential(CredentialKind::LongLivedKey, Some(KEY))
            .interactive(None)
            .ip("203.0.113.40")
            .user_agent(CLI)
    }

    /// Builds fifteen days of daily uploads, past the 14-day learning period.
    fn history(change: impl Fn(EventBuilder) -> EventBuilder) -> Vec<Event> {
        (1..=15)
            .map(|day| change(key_call(&format!("2024-05-{day:02}T02:00:00Z"))).build())
            .collect()
    }

    fn with(mut events: Vec<Event>, last: Event) -> Vec<Event> {
        events.push(last);
        events
    }

    fn leaked(time: &str) -> EventBuilder {
        key_call(time)
            .ip("198.51.100.7")
            .user_agent(CURL)
            .activity(Activity::ApiCall, "GetCallerIdentity")
            .service("sts.amazonaws.com")
    }

    #[test]
    fn leaked_key_from_new_network_fires() {
        let events = with(
            history(|event| event),
            leaked("2024-05-16T03:00:00Z").build(),
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "new_network_for_workload");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.attack, vec!["T1078.004", "T1552"]);
        assert_eq!(finding.facts["long_lived_credential"], json!(true));
        assert_eq!(finding.facts["prefix"], json!("198.51.100.0/24"));
        assert_eq!(
            finding.facts["contributions"][0]["feature"],
            json!("new_prefix")
        );
        // 0.5 + 0.95 / 2, capped.
        assert!((finding.confidence.value() - 0.95).abs() < 1e-9);
        assert_eq!(
            finding.explanation,
            "deploy-bot used its long-lived access key AKIAEXAMPLEKEY000001 from 198.51.100.7 \
             (198.51.100.0/24) at 2024-05-16 03:00:00Z for GetCallerIdentity, a network not \
             seen for this identity in the last 90 days. Assessment: network 198.51.100.0/24 is \
             new (known in the last 90 days: 1 network) +0.30; service sts.amazonaws.com is new \
             (known in the last 90 days: 1 service) +0.20; operation sts:GetCallerIdentity is \
             new (known in the last 90 days: 1 operation) +0.10; sts:GetCallerIdentity lists or \
             describes identities, permissions or resources +0.20; client curl 8 is of a new \
             family (known in the last 90 days: 1 family) +0.15: score 0.95."
        );
    }

    #[test]
    fn role_session_from_new_autonomous_system_is_medium() {
        let instance = |event: EventBuilder| {
            event
                .role_session("111111111111", "web-server", "i-0abc123def4567890")
                .kind(IdentityKind::InstanceRoleSession)
                .credential(CredentialKind::TemporaryKey, Some("ASIAEXAMPLEINSTANCE1"))
                .asn(64496, "Example Cloud")
        };
        let events = with(
            history(instance),
            instance(key_call("2024-05-16T03:00:00Z"))
                .ip("198.51.100.7")
                .asn(65550, "Example Hosting")
                .geo(1.3521, 103.8198, "SG", "Singapore")
                .build(),
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.facts["asn"], json!(65550));
        // New autonomous system +0.40: 0.5 + 0.2.
        assert!((finding.confidence.value() - 0.7).abs() < 1e-9);
        assert!(
            finding.explanation.starts_with(
                "web-server/i-0abc123def4567890 used its temporary access key ASIAEXAMPLEINSTANCE1 from \
                 198.51.100.7 (AS65550 Example Hosting, Singapore, SG) at"
            ),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn known_network_is_quiet() {
        let events = with(
            history(|event| event),
            key_call("2024-05-16T03:00:00Z").ip("203.0.113.99").build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn new_address_in_known_autonomous_system_is_quiet() {
        let events = with(
            history(|event| event.asn(64496, "Example Cloud")),
            key_call("2024-05-16T03:00:00Z")
                .ip("198.51.100.7")
                .asn(64496, "Example Cloud")
                .build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn learning_baseline_is_quiet() {
        let mut events: Vec<Event> = history(|event| event).into_iter().take(10).collect();
        events.push(leaked("2024-05-11T03:00:00Z").build());
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn internal_and_declared_ranges_are_ignored() {
        for class in [
            IpClass::Private,
            IpClass::Reserved,
            IpClass::Vpn,
            IpClass::CorporateEgress,
        ] {
            let events = with(
                history(|event| event),
                leaked("2024-05-16T03:00:00Z").ip_class(class).build(),
            );
            assert!(
                run_with_baselines(&mut detector(), &events).is_empty(),
                "{class:?}"
            );
        }
    }

    #[test]
    fn service_origins_are_ignored() {
        let events = with(
            history(|event| event),
            leaked("2024-05-16T03:00:00Z")
                .origin(Origin::AwsService("lambda.amazonaws.com".into()))
                .build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn people_are_ignored() {
        let human = |event: EventBuilder| event.kind(IdentityKind::Human);
        let events = with(
            history(human),
            human(leaked("2024-05-16T03:00:00Z")).build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());

        let federated = |event: EventBuilder| {
            event
                .role_session("111111111111", "Admin", "alice@example.com")
                .credential(CredentialKind::TemporaryKey, Some("ASIAEXAMPLEALICE0001"))
        };
        let events = with(
            history(federated),
            federated(leaked("2024-05-16T03:00:00Z")).build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failed_authentication_is_ignored() {
        let events = with(
            history(|event| event),
            leaked("2024-05-16T03:00:00Z")
                .activity(Activity::TokenIssued, "GetSessionToken")
                .failed()
                .build(),
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn denied_api_call_counts() {
        let events = with(
            history(|event| event),
            leaked("2024-05-16T03:00:00Z")
                .activity(Activity::ApiCall, "ListUsers")
                .service("iam.amazonaws.com")
                .failed()
                .build(),
        );
        assert_eq!(run_with_baselines(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn one_finding_per_network_per_day() {
        // Denied calls teach the baseline nothing, so only the rate limit keeps them quiet.
        let denied = |time: &str| {
            leaked(time)
                .activity(Activity::ApiCall, "ListUsers")
                .service("iam.amazonaws.com")
                .failed()
                .build()
        };
        let events = with(history(|event| event), denied("2024-05-16T03:00:00Z"));
        let mut events = events;
        events.push(denied("2024-05-16T03:05:00Z"));
        events.push(key_call("2024-05-16T04:00:00Z").ip("192.0.2.8").build());
        events.push(denied("2024-05-17T02:59:59Z"));
        events.push(denied("2024-05-17T03:00:00Z"));
        let findings = run_with_baselines(&mut detector(), &events);
        let summary: Vec<(String, String)> = findings
            .iter()
            .map(|finding| {
                (
                    finding.first_seen.to_rfc3339(),
                    finding.facts["prefix"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "2024-05-16T03:00:00+00:00".to_owned(),
                    "198.51.100.0/24".to_owned()
                ),
                (
                    "2024-05-16T04:00:00+00:00".to_owned(),
                    "192.0.2.0/24".to_owned()
                ),
                (
                    "2024-05-17T03:00:00+00:00".to_owned(),
                    "198.51.100.0/24".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn service_principal_secret_is_high() {
        let principal = |event: EventBuilder| {
            event
                .format(SourceFormat::EntraSignIn)
                .kind(IdentityKind::EntraServicePrincipal)
                .activity(Activity::SignIn, "Sign-in activity")
                .service("billing-sync")
                .credential(CredentialKind::ClientSecret, None)
                .asn(64496, "Example Cloud")
        };
        let baseline = trained(&history(principal));
        let events = [principal(key_call("2024-05-16T03:00:00Z"))
            .ip("198.51.100.7")
            .asn(65550, "Example Hosting")
            .build()];
        let findings = run_with_fixed_baseline(&mut detector(), &events, &baseline);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::High);
        assert!(
            findings[0]
                .explanation
                .starts_with("deploy-bot used its client secret from 198.51.100.7"),
            "{}",
            findings[0].explanation
        );
    }
}

//! `workload_credential_misuse`: a credential issued to a workload used from a person's
//! address or by an interactive client.
//!
//! # What it detects
//! Credentials issued to a running workload (EC2 instance and Lambda function role sessions,
//! web identity sessions, Entra service principals and managed identities) used:
//! - from an address that a person (an identity of kind human or AWS root) used within
//!   `window_secs` before or after, in any provider: the person's laptop holding the
//!   workload's key (reason `shared_address`);
//! - in an interactive sign-in: a CloudTrail `ConsoleLogin` by a workload, or an
//!   authentication the log marks as interactive (reason `interactive_sign_in`);
//! - with a browser: a user agent of a browser family (Chrome, Edge, Firefox, Safari, Opera,
//!   not SDKs or command-line tools), or the AWS console's own agents
//!   `console.amazonaws.com` and `[S3Console/...]` (reason `browser_client`).
//!
//! Addresses are compared exactly, not by prefix. People's and workloads' uses are both kept
//! per address for `window_secs`, so the finding fires whichever of the two arrives second.
//!
//! # Why it matters
//! A workload's credential is delivered to the workload alone, through the instance metadata
//! service, the Lambda environment or a managed identity endpoint. Seen on a person's
//! computer or in a browser, it has been copied out of the workload, for example through a
//! server-side request forgery or a leaked environment. Its holder then acts with the
//! workload's privileges without any sign-in of their own (ATT&CK T1078.004 Cloud Accounts,
//! T1552 Unsecured Credentials for a copied credential, T1550.001 Application Access Token).
//!
//! # Thresholds and their source
//! - `window_secs` = 3,600 (one hour): the default lifetime of AWS role session credentials,
//!   and close to the 60 to 90 minutes of an Entra access token, so a copied credential is
//!   usually used within that time of its holder's own activity.
//! - Severity is High for every reason.
//! - Confidence is 0.9 for an interactive sign-in, because a workload has no person to sign
//!   in. It is 0.75 for a browser user agent, because headless browsers on the workload are a
//!   known exception, and 0.7 for a shared address, because an outbound address shared by
//!   people and workloads but not declared as egress is another.
//! - One finding per workload identity, reason and address per window: a later finding for
//!   the same triple comes only once its previous one is more than `window_secs` old.
//! - At most [`MAX_IDENTITIES_PER_ADDRESS`] people and as many workloads are kept per address,
//!   the least recently seen replaced first, so a finding has at most that many people in
//!   `related` and one more event in `evidence`.
//!
//! # Inputs it ignores
//! - For the shared address: origins that are not an IP address; private and special-purpose
//!   addresses; and the declared corporate egress and VPN ranges, because many people and
//!   on-premises workloads leave through the same NAT address there and every pair of them
//!   would match.
//! - Failed authentications, by people or workloads, since they prove no possession of the
//!   credential. A failed API call by a workload still counts: the request was signed with
//!   the workload's credential, and only the permission was missing.
//! - `interactive` on events other than authentications, where it describes nothing.
//!
//! # Known false positives
//! - Cloud desktops, bastion hosts and CI runners where a person works on the very machine
//!   whose role the workload holds, so both share its public address.
//! - Shared NAT addresses not declared as corporate egress: declare them in the
//!   configuration.
//! - Workloads that drive a headless browser (test runners, scrapers) with their credential.

use std::net::IpAddr;

use chrono::TimeDelta;
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKey, IdentityKind, IdentityRef,
    IpClass, Outcome, Severity, SourceFormat, Timestamp,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::detections::ExpiringMap;
use crate::detections::client::{
    UserAgentCache, is_aws_console_user_agent, is_internal, parse_user_agent,
};
use crate::{Context, Detector, Enabled, format_duration};

pub const ID: &str = "workload_credential_misuse";

/// People, and separately workloads, kept per address.
const MAX_IDENTITIES_PER_ADDRESS: usize = 8;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Maximum time between a person's and a workload's use of one address for it to count
    /// as shared, in seconds. Also the minimum time before the same finding repeats.
    pub window_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            window_secs: 3600,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Reason {
    InteractiveSignIn,
    BrowserClient,
    SharedAddress,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Self::InteractiveSignIn => "interactive_sign_in",
            Self::BrowserClient => "browser_client",
            Self::SharedAddress => "shared_address",
        }
    }

    fn confidence(self) -> f64 {
        match self {
            Self::InteractiveSignIn => 0.9,
            Self::BrowserClient => 0.75,
            Self::SharedAddress => 0.7,
        }
    }

    fn attack(self) -> Vec<&'static str> {
        match self {
            Self::InteractiveSignIn | Self::BrowserClient => vec!["T1078.004", "T1550.001"],
            Self::SharedAddress => vec!["T1078.004", "T1552", "T1550.001"],
        }
    }
}

/// Names a workload kind as a person reads it.
fn workload_label(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::InstanceRoleSession => "EC2 instance role session",
        IdentityKind::FunctionRoleSession => "Lambda function role session",
        IdentityKind::WebIdentitySession => "Web identity role session",
        IdentityKind::EntraServicePrincipal => "Entra service principal",
        IdentityKind::EntraManagedIdentity => "Entra managed identity",
        _ => "Workload",
    }
}

/// One identity's latest use of an address.
#[derive(Clone)]
struct AddressUse {
    identity: IdentityRef,
    time: Timestamp,
    evidence: Evidence,
}

impl AddressUse {
    fn of(event: &Event) -> Self {
        Self {
            identity: event.actor.clone(),
            time: event.time,
            evidence: Evidence::of(event),
        }
    }
}

/// Records the use of an address by `event`'s actor in `uses`: updates the identity's entry
/// when the use is later, else adds it, replacing the least recently seen identity when the
/// list is full.
fn record_use(uses: &mut Vec<AddressUse>, event: &Event) {
    if let Some(existing) = uses
        .iter_mut()
        .find(|existing| existing.identity.key == event.actor.key)
    {
        if event.time >= existing.time {
            // The identity's text is shared, so copying it costs less than comparing it.
            existing.identity = event.actor.clone();
            existing.time = event.time;
            existing.evidence = Evidence::of(event);
        }
        return;
    }
    if uses.len() < MAX_IDENTITIES_PER_ADDRESS {
        uses.push(AddressUse::of(event));
        return;
    }
    if let Some(oldest) = uses.iter_mut().min_by_key(|existing| existing.time) {
        if event.time > oldest.time {
            *oldest = AddressUse::of(event);
        }
    }
}

pub struct WorkloadCredentialMisuse {
    settings: Settings,
    window: TimeDelta,
    humans: ExpiringMap<IpAddr, Vec<AddressUse>>,
    workloads: ExpiringMap<IpAddr, Vec<AddressUse>>,
    /// When each workload, reason and address was last reported.
    reported: ExpiringMap<(IdentityKey, Reason, Box<str>), Timestamp>,
    user_agents: UserAgentCache,
}

impl WorkloadCredentialMisuse {
    pub fn new(settings: &Settings) -> Self {
        let window = i64::try_from(settings.window_secs)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .unwrap_or(TimeDelta::MAX);
        Self {
            settings: settings.clone(),
            window,
            humans: ExpiringMap::new(window),
            workloads: ExpiringMap::new(window),
            reported: ExpiringMap::new(window),
            user_agents: UserAgentCache::default(),
        }
    }

    /// Returns the address of an event when it can be compared across identities.
    fn comparable_address(event: &Event) -> Option<IpAddr> {
        let address = event.source.origin.ip()?.to_canonical();
        let class = event.source.ip_class;
        let excluded =
            is_internal(class) || matches!(class, IpClass::CorporateEgress | IpClass::Vpn);
        (!excluded).then_some(address)
    }

    fn within_window(&self, a: Timestamp, b: Timestamp) -> bool {
        (a - b).abs() <= self.window
    }

    /// Returns true, and records the report, when the triple was not reported within the
    /// window around `time`.
    fn first_report(&mut self, key: (IdentityKey, Reason, Box<str>), time: Timestamp) -> bool {
        let mut created = false;
        let last = self.reported.touch_or_insert_with(&key, time, || {
            created = true;
            time
        });
        if created || (time - *last).abs() > self.window {
            *last = time;
            return true;
        }
        false
    }

    fn observe_workload(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        if let Some(reason) = interactive_reason(event, &mut self.user_agents) {
            let key = (
                event.actor.key.clone(),
                reason,
                event.source.origin.to_string().into(),
            );
            if self.first_report(key, event.time) {
                findings.push(self.interactive_finding(event, reason));
            }
        }

        let Some(address) = Self::comparable_address(event) else {
            return;
        };
        record_use(
            self.workloads
                .touch_or_insert_with(&address, event.time, Vec::new),
            event,
        );
        let humans = self.humans_near(address, event.time);
        if !humans.is_empty() {
            self.report_shared(address, &AddressUse::of(event), humans, findings);
        }
    }

    fn observe_human(&mut self, event: &Event, findings: &mut Vec<Finding>) {
        let Some(address) = Self::comparable_address(event) else {
            return;
        };
        record_use(
            self.humans
                .touch_or_insert_with(&address, event.time, Vec::new),
            event,
        );
        let workloads: Vec<AddressUse> = self
            .workloads
            .get(&address)
            .map(|uses| {
                uses.iter()
                    .filter(|workload| self.within_window(workload.time, event.time))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for workload in workloads {
            let humans = self.humans_near(address, workload.time);
            if !humans.is_empty() {
                self.report_shared(address, &workload, humans, findings);
            }
        }
    }

    /// Returns the uses of `address` by people within the window around `time`.
    fn humans_near(&self, address: IpAddr, time: Timestamp) -> Vec<AddressUse> {
        self.humans
            .get(&address)
            .map(|uses| {
                uses.iter()
                    .filter(|human| self.within_window(human.time, time))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Reports `workload`, whose address people used within the window around its use, as
    /// `humans` lists.
    fn report_shared(
        &mut self,
        address: IpAddr,
        workload: &AddressUse,
        mut humans: Vec<AddressUse>,
        findings: &mut Vec<Finding>,
    ) {
        let key = (
            workload.identity.key.clone(),
            Reason::SharedAddress,
            address.to_string().into(),
        );
        if !self.first_report(key, workload.time) {
            return;
        }
        humans.sort_by_key(|human| human.time);
        findings.push(self.shared_finding(address, workload, &humans));
    }

    fn shared_finding(
        &self,
        address: IpAddr,
        workload: &AddressUse,
        humans: &[AddressUse],
    ) -> Finding {
        let people: Vec<String> = humans
            .iter()
            .map(|human| {
                let gap = format_duration(human.time - workload.time);
                let relation = if human.time <= workload.time {
                    "before"
                } else {
                    "after"
                };
                format!(
                    "{name} ({provider}) at {time}, {gap} {relation}",
                    name = human.identity.display_name(),
                    provider = human.identity.key.provider,
                    time = human.time.format("%Y-%m-%d %H:%M:%SZ"),
                )
            })
            .collect();
        let explanation = format!(
            "{label} {name} used its credential from {address} at {time}, and within {window} \
             of that the same address was used by {people}. A workload's credential used from \
             a person's address has most likely been copied off the workload.",
            label = workload_label(workload.identity.kind),
            name = workload.identity.display_name(),
            time = workload.time.format("%Y-%m-%d %H:%M:%SZ"),
            window = format_duration(self.window),
            people = people.join("; "),
        );

        let mut evidence: Vec<(Timestamp, Evidence)> = humans
            .iter()
            .map(|human| (human.time, human.evidence.clone()))
            .collect();
        evidence.push((workload.time, workload.evidence.clone()));
        evidence.sort_by_key(|(time, _)| *time);
        let first_seen = evidence.first().map_or(workload.time, |(time, _)| *time);
        let last_seen = evidence.last().map_or(workload.time, |(time, _)| *time);

        let people_facts: Vec<Value> = humans
            .iter()
            .map(|human| {
                json!({
                    "identity": human.identity.key.to_string(),
                    "name": human.identity.display_name(),
                    "kind": human.identity.kind.as_str(),
                    "time": human.time,
                    "gap_seconds": (human.time - workload.time).num_seconds(),
                })
            })
            .collect();
        let mut facts = serde_json::Map::new();
        facts.insert("reason".into(), json!(Reason::SharedAddress.as_str()));
        facts.insert("address".into(), json!(address.to_string()));
        facts.insert(
            "workload_kind".into(),
            json!(workload.identity.kind.as_str()),
        );
        facts.insert("workload_time".into(), json!(workload.time));
        facts.insert("humans".into(), Value::Array(people_facts));
        facts.insert("window_secs".into(), json!(self.settings.window_secs));

        Finding {
            detection: ID,
            severity: Severity::High,
            confidence: Confidence::new(Reason::SharedAddress.confidence()),
            identity: workload.identity.clone(),
            first_seen,
            last_seen,
            evidence: evidence.into_iter().map(|(_, evidence)| evidence).collect(),
            explanation,
            attack: Reason::SharedAddress.attack(),
            facts,
            related: humans.iter().map(|human| human.identity.clone()).collect(),
        }
    }

    fn interactive_finding(&self, event: &Event, reason: Reason) -> Finding {
        let user_agent = event.source.user_agent.as_deref().unwrap_or("");
        let software = parse_user_agent(user_agent);
        let client = if is_aws_console_user_agent(user_agent) {
            format!("the AWS console's user agent {user_agent}")
        } else if let Some(software) = &software {
            format!("{software}")
        } else {
            "no user agent".to_owned()
        };
        let action = match reason {
            Reason::InteractiveSignIn => format!("signed in interactively ({})", event.operation),
            _ => match &event.service {
                Some(service) => format!("called {} on {service}", event.operation),
                None => format!("called {}", event.operation),
            },
        };
        let explanation = format!(
            "{label} {name} {action} from {origin} at {time} with {client}. Workload \
             credentials are issued for programmatic use, so a person is holding this one.",
            label = workload_label(event.actor.kind),
            name = event.actor.display_name(),
            origin = event.source.origin,
            time = event.time.format("%Y-%m-%d %H:%M:%SZ"),
        );

        let mut facts = serde_json::Map::new();
        facts.insert("reason".into(), json!(reason.as_str()));
        facts.insert("address".into(), json!(event.source.origin.to_string()));
        facts.insert("workload_kind".into(), json!(event.actor.kind.as_str()));
        facts.insert("operation".into(), json!(event.operation));
        facts.insert("interactive".into(), json!(event.interactive));
        facts.insert("user_agent".into(), json!(event.source.user_agent));
        facts.insert(
            "software".into(),
            json!(software.as_ref().map(ToString::to_string)),
        );

        Finding {
            detection: ID,
            severity: Severity::High,
            confidence: Confidence::new(reason.confidence()),
            identity: event.actor.clone(),
            first_seen: event.time,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack: reason.attack(),
            facts,
            related: Vec::new(),
        }
    }
}

/// Returns why an event of a workload is interactive, if it is.
fn interactive_reason(event: &Event, user_agents: &mut UserAgentCache) -> Option<Reason> {
    let console_login = event.format == SourceFormat::CloudTrail
        && event.activity == Activity::SignIn
        && event.operation.as_ref() == "ConsoleLogin";
    let marked_interactive = event.activity.is_authentication() && event.interactive == Some(true);
    if console_login || marked_interactive {
        return Some(Reason::InteractiveSignIn);
    }
    let user_agent = event.source.user_agent.as_deref()?;
    let described = user_agents.get(user_agent);
    let browser = described.aws_console
        || described
            .software
            .as_ref()
            .is_some_and(|software| software.browser);
    browser.then_some(Reason::BrowserClient)
}

impl Detector for WorkloadCredentialMisuse {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        let failed_authentication =
            event.activity.is_authentication() && event.outcome == Outcome::Failure;
        if failed_authentication {
            return;
        }
        let kind = event.actor.kind;
        if kind.is_workload() {
            self.observe_workload(event, findings);
        } else if matches!(kind, IdentityKind::Human | IdentityKind::AwsRoot) {
            self.observe_human(event, findings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run};
    use riposte_model::{CredentialKind, Origin};

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const SDK: &str = "aws-sdk-go/1.44.221 (go1.19.6; linux; amd64)";

    fn detector() -> WorkloadCredentialMisuse {
        WorkloadCredentialMisuse::new(&Settings::default())
    }

    /// Starts an API call by the instance role session of i-0abc1234... with the Go SDK.
    fn instance_call(time: &str, ip: &str) -> EventBuilder {
        EventBuilder::new("unused", time)
            .id(&format!("instance@{time}"))
            .role_session("111111111111", "WebServer", "i-0abc1234def567890")
            .kind(IdentityKind::InstanceRoleSession)
            .activity(Activity::ApiCall, "GetObject")
            .with(|event| event.service = Some("s3.amazonaws.com".into()))
            .interactive(None)
            .credential(CredentialKind::TemporaryKey, Some("ASIAEXAMPLEKEY7QWERTY"))
            .ip(ip)
            .user_agent(SDK)
    }

    fn human_sign_in(time: &str, ip: &str) -> EventBuilder {
        EventBuilder::new("alice@example.com", time)
            .ip(ip)
            .user_agent(CHROME)
    }

    #[test]
    fn workload_after_human_at_same_address_fires() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.50").build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "workload_credential_misuse");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.7);
        assert_eq!(finding.identity.kind, IdentityKind::InstanceRoleSession);
        assert_eq!(finding.related.len(), 1);
        assert_eq!(finding.related[0].key.to_string(), "okta:alice@example.com");
        assert_eq!(finding.attack, vec!["T1078.004", "T1552", "T1550.001"]);
        assert_eq!(finding.evidence.len(), 2);
        assert_eq!(
            finding.evidence[0].event_id.as_ref(),
            "alice@example.com@2024-05-01T10:00:00Z"
        );
        assert_eq!(finding.facts["reason"], json!("shared_address"));
        assert_eq!(finding.facts["humans"][0]["gap_seconds"], json!(-600));
        assert_eq!(
            finding.explanation,
            "EC2 instance role session WebServer/i-0abc1234def567890 used its credential from \
             203.0.113.50 at 2024-05-01 10:10:00Z, and within 1 h of that the same address was \
             used by alice@example.com (okta) at 2024-05-01 10:00:00Z, 10 min before. A \
             workload's credential used from a person's address has most likely been copied \
             off the workload."
        );
    }

    #[test]
    fn human_after_workload_at_same_address_fires() {
        let events = [
            instance_call("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            human_sign_in("2024-05-01T10:45:00Z", "203.0.113.50").build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.identity.kind, IdentityKind::InstanceRoleSession);
        assert_eq!(
            finding.first_seen,
            crate::testing::at("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            finding.last_seen,
            crate::testing::at("2024-05-01T10:45:00Z")
        );
        assert!(finding.explanation.contains("45 min after"));
    }

    #[test]
    fn shared_address_outside_window_is_quiet() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T11:00:01Z", "203.0.113.50").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
        let reversed = [
            instance_call("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            human_sign_in("2024-05-01T11:00:01Z", "203.0.113.50").build(),
        ];
        assert!(run(&mut detector(), &reversed).is_empty());
    }

    #[test]
    fn addresses_are_compared_exactly() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.51").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn private_and_declared_ranges_are_quiet() {
        for class in [
            IpClass::Private,
            IpClass::Reserved,
            IpClass::CorporateEgress,
            IpClass::Vpn,
        ] {
            let events = [
                human_sign_in("2024-05-01T10:00:00Z", "10.0.0.5")
                    .ip_class(class)
                    .build(),
                instance_call("2024-05-01T10:10:00Z", "10.0.0.5")
                    .ip_class(class)
                    .build(),
            ];
            assert!(run(&mut detector(), &events).is_empty(), "{class:?}");
        }
    }

    #[test]
    fn failed_human_sign_in_is_not_a_use() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50")
                .failed()
                .build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.50").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failed_workload_api_call_still_counts() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.50")
                .failed()
                .build(),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn shared_address_is_reported_once_per_window() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T10:20:00Z", "203.0.113.50").build(),
            EventBuilder::new("bob@example.com", "2024-05-01T10:30:00Z")
                .ip("203.0.113.50")
                .build(),
            // More than an hour after the first report, with a person still there.
            human_sign_in("2024-05-01T11:15:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T11:20:00Z", "203.0.113.50").build(),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 2);
    }

    #[test]
    fn human_from_another_provider_counts() {
        let events = [
            EventBuilder::new("carol@example.org", "2024-05-01T10:00:00Z")
                .format(SourceFormat::EntraSignIn)
                .ip("2001:db8::50")
                .build(),
            instance_call("2024-05-01T10:05:00Z", "2001:db8::50").build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].related[0].key.to_string(),
            "entra:carol@example.org"
        );
    }

    #[test]
    fn console_sign_in_by_instance_role_fires() {
        let events = [instance_call("2024-05-01T10:00:00Z", "203.0.113.50")
            .activity(Activity::SignIn, "ConsoleLogin")
            .with(|event| event.service = Some("signin.amazonaws.com".into()))
            .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:129.0) Gecko/20100101 Firefox/129.0")
            .build()];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.confidence.value(), 0.9);
        assert_eq!(finding.facts["reason"], json!("interactive_sign_in"));
        assert_eq!(finding.attack, vec!["T1078.004", "T1550.001"]);
        assert_eq!(
            finding.explanation,
            "EC2 instance role session WebServer/i-0abc1234def567890 signed in interactively \
             (ConsoleLogin) from 203.0.113.50 at 2024-05-01 10:00:00Z with Firefox 129. \
             Workload credentials are issued for programmatic use, so a person is holding this \
             one."
        );
    }

    #[test]
    fn interactive_service_principal_sign_in_fires() {
        let events = [EventBuilder::new("app-7d2f", "2024-05-01T10:00:00Z")
            .format(SourceFormat::EntraSignIn)
            .kind(IdentityKind::EntraServicePrincipal)
            .ip("203.0.113.50")
            .interactive(Some(true))
            .build()];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].facts["reason"], json!("interactive_sign_in"));
    }

    #[test]
    fn browser_user_agent_fires() {
        let events = [instance_call("2024-05-01T10:00:00Z", "203.0.113.50")
            .user_agent(CHROME)
            .build()];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].confidence.value(), 0.75);
        assert_eq!(findings[0].facts["software"], json!("Chrome 124"));
        assert!(
            findings[0]
                .explanation
                .contains("called GetObject on s3.amazonaws.com from 203.0.113.50")
        );
    }

    #[test]
    fn console_user_agent_fires() {
        let events = [instance_call("2024-05-01T10:00:00Z", "203.0.113.50")
            .user_agent("console.amazonaws.com")
            .build()];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].facts["reason"], json!("browser_client"));
        assert!(
            findings[0]
                .explanation
                .contains("with the AWS console's user agent console.amazonaws.com")
        );
    }

    #[test]
    fn sdk_from_workload_network_is_quiet() {
        let events = [
            instance_call("2024-05-01T10:00:00Z", "203.0.113.80").build(),
            instance_call("2024-05-01T10:05:00Z", "203.0.113.80")
                .user_agent("aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0")
                .build(),
            instance_call("2024-05-01T10:06:00Z", "ec2.amazonaws.com")
                .user_agent("ec2.amazonaws.com")
                .build(),
            instance_call("2024-05-01T10:07:00Z", "203.0.113.80")
                .user_agent("AWS Internal")
                .build(),
            instance_call("2024-05-01T10:08:00Z", "203.0.113.80")
                .user_agent(
                    "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.20348; en-US) \
                     PowerShell/7.4.1",
                )
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn assumed_role_sessions_are_not_workloads() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.50")
                .kind(IdentityKind::AssumedRoleSession)
                .user_agent(CHROME)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn state_is_bounded() {
        let mut detector = detector();
        let mut findings = Vec::new();
        // Many people at one address keep at most the cap.
        for index in 0..100 {
            let event =
                EventBuilder::new(&format!("user{index}@example.com"), "2024-05-01T10:00:00Z")
                    .ip("203.0.113.50")
                    .build();
            detector.observe(&event, &crate::Context::default(), &mut findings);
        }
        let address: IpAddr = "203.0.113.50".parse().unwrap();
        assert_eq!(
            detector.humans.get(&address).unwrap().len(),
            MAX_IDENTITIES_PER_ADDRESS
        );
        // A workload there is reported once, with at most the cap of people.
        let workload = instance_call("2024-05-01T10:01:00Z", "203.0.113.50").build();
        detector.observe(&workload, &crate::Context::default(), &mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].related.len(), MAX_IDENTITIES_PER_ADDRESS);
        assert_eq!(findings[0].evidence.len(), MAX_IDENTITIES_PER_ADDRESS + 1);
        // Addresses seen over days are swept as the window passes.
        let start = crate::testing::at("2024-05-02T00:00:00Z");
        for second in 0..20_000_i64 {
            let time = (start + TimeDelta::seconds(second * 10)).to_rfc3339();
            let event = EventBuilder::new("dave@example.com", &time)
                .ip(&format!("2001:db8::{second:x}"))
                .build();
            detector.observe(&event, &crate::Context::default(), &mut findings);
        }
        // At most the addresses of the last hour (360) plus those since the last sweep.
        assert!(
            detector.humans.len() <= 360 + 1 + 2048,
            "{}",
            detector.humans.len()
        );
    }

    #[test]
    fn late_human_event_still_matches() {
        let events = [
            instance_call("2024-05-01T10:30:00Z", "203.0.113.50").build(),
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50").build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].first_seen <= findings[0].last_seen);
        assert!(findings[0].explanation.contains("30 min before"));
    }

    #[test]
    fn non_ip_origin_never_shares_an_address() {
        let events = [
            human_sign_in("2024-05-01T10:00:00Z", "203.0.113.50")
                .origin(Origin::AwsInternal)
                .build(),
            instance_call("2024-05-01T10:10:00Z", "203.0.113.50")
                .origin(Origin::AwsInternal)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }
}

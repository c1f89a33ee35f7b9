//! `password_spray`: one network source fails to sign in as many distinct identities.
//!
//! # What it detects
//! Failed password sign-ins (activity `SignIn`, outcome `Failure`, credential `Password` or not
//! stated) from one source for at least `min_distinct_identities` distinct identities within
//! `window_secs`. The source is the client's IP address. When enrichment has found the
//! address's autonomous system (AS), the failure also counts towards that AS, against the
//! higher threshold `min_distinct_identities_per_asn`, so that a spray rotated over many
//! addresses of one hosting provider is still seen. An AS fires only when its failures came
//! from at least two addresses, because the per-address count already covers a single address.
//!
//! Identities are counted across providers: Okta and Entra failures from one address add up,
//! and accounts for which the logs state the same e-mail address or login count once. MFA
//! failures are not counted: they show that the password was right (see `mfa_fatigue`).
//!
//! Each source fires at most once per window: after a finding, the next one needs a window to
//! have passed. When an identity that failed from the source then authenticates successfully
//! from it (for an AS, from any of its addresses) within `window_secs` of its last failure, a
//! second finding is about that identity, once per identity and source: the spray probably
//! found its password. A success that comes before the spray reaches its threshold is reported
//! when the spray finding fires.
//!
//! # Why it matters
//! A spray tries one or a few common passwords against many accounts, staying under each
//! account's lockout threshold (ATT&CK T1110.003 Password Spraying). Microsoft reports that
//! spraying accounts for more than a third of account compromises in organizations (Microsoft
//! Entra blog, "Advancing Password Spray Attack Detection", 2020). A success from the spraying
//! source means that the attacker holds a valid password (T1078 Valid Accounts).
//!
//! The same post describes "low and slow" sprays from thousands of addresses, each trying a
//! tenant once or twice a day. Those stay under both thresholds here, so Entra ID Protection's
//! own "password spray" risk, carried by `provider_risk_detection`, is the signal for them.
//!
//! # Thresholds and their source
//! Neither provider publishes the counts behind its own spray detection. Okta ThreatInsight
//! blocks an address from which authentication keeps failing (Okta support, "Users blocked by
//! ThreatInsight"), and Entra ID Protection's "password spray" risk comes from Microsoft's view
//! across tenants. Within one tenant, the number of accounts failing from one address is the
//! signal left, and the values below are judgements set against it.
//! - `min_distinct_identities` = 10: a sprayer tries each account once or twice, so the signal
//!   is the number of accounts, not the number of failures. Ten people mistyping their
//!   passwords from one address within an hour is uncommon outside shared egress addresses,
//!   which can be declared in the configuration. Splunk's published Okta rule uses the same
//!   breadth (more than ten accounts failing from one address within five minutes).
//! - `window_secs` = 3600: sprayers pace their attempts to stay under lockout counters, so an
//!   hour catches slower sprays than a five-minute window, at the cost of more noise from
//!   shared addresses.
//! - `min_distinct_identities_per_asn` = 20: addresses of one AS are shared by many more
//!   clients than one address, so the count is doubled. It catches a spray rotated over the
//!   addresses of one hosting provider, each address staying under the per-address threshold.
//!
//! # Severity and confidence
//! - The spray finding is Medium, with confidence 0.7 for an address and 0.6 for an AS. Its
//!   identity is the source itself (kind `network_source`, id the address or `AS<number>`,
//!   provider that of the failure that reached the threshold) and `related` lists the targeted
//!   identities.
//! - The success finding is High, with confidence 0.85 for an address and 0.75 for an AS. Its
//!   identity is the identity that signed in and `related` lists the other targets.
//! - These values are judgements, not measurements.
//!
//! # State and output bounds
//! At most 1,000 targeted identities are kept per source, or the threshold when it is higher.
//! Failures for further identities are counted but not kept. A finding lists at most 50
//! related identities and 20 failure events (the earliest failure in the window of each
//! target, earliest targets first) plus the success. The facts contain the full counts.
//!
//! # Inputs it ignores
//! Origins that are not IP addresses (AWS service names, `AWS Internal`, none), the declared
//! corporate egress and VPN ranges (many people share them), failures with a session, token,
//! certificate, client secret or federated credential (they are not password guesses), AWS
//! services, the providers' own system principals, and records that name neither a principal
//! nor a login.
//!
//! # Known false positives
//! - Shared addresses that are not declared: an office NAT, a school, a carrier-grade NAT, a
//!   proxy or an on-premises gateway that forwards many users' sign-ins.
//! - A misconfigured application that signs in as many service accounts with an old password.
//! - Penetration tests and phishing simulations.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeDelta;
use riposte_model::{
    Confidence, Event, Evidence, Finding, IdentityKind, IdentityRef, IpClass, Provider, Severity,
    Timestamp,
};
use serde::Deserialize;
use serde_json::json;

use super::window::{format_time, is_password_failure, window_from_secs, window_start};
use crate::detections::ExpiringMap;
use crate::{Context, Detector, Enabled, format_duration};

pub const ID: &str = "password_spray";

/// Targeted identities kept per source, unless a threshold is higher.
const MAX_TARGETS_PER_SOURCE: usize = 1_000;

/// Targeted identities listed in `related`.
const MAX_RELATED: usize = 50;

/// Failure events listed as evidence, one per target.
const MAX_FAILURE_EVIDENCE: usize = 20;

/// Addresses of an AS named in the facts.
const MAX_LISTED_ADDRESSES: usize = 20;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Sliding window in which distinct identities are counted, in seconds.
    pub window_secs: u64,
    /// Distinct identities one address must fail to sign in as within the window. 0 counts
    /// as 1.
    pub min_distinct_identities: usize,
    /// Distinct identities the addresses of one AS must fail to sign in as within the window.
    /// 0 counts as 1.
    pub min_distinct_identities_per_asn: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            window_secs: 3600,
            min_distinct_identities: 10,
            min_distinct_identities_per_asn: 20,
        }
    }
}

/// The origin that failures are counted for: one address, or every address of one AS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum SourceKey {
    Address(IpAddr),
    Asn(u32),
}

impl SourceKey {
    fn id(self) -> String {
        match self {
            Self::Address(address) => address.to_string(),
            Self::Asn(number) => format!("AS{number}"),
        }
    }
}

/// One identity a source failed to sign in as.
struct Target {
    identity: IdentityRef,
    first_failure: Evidence,
    last_failure: Evidence,
    /// Address of the latest failure, which differs between failures only for an AS.
    last_address: IpAddr,
    /// Failures since `first_failure`.
    failures: u64,
    /// The first successful authentication of this identity from the source after a failure.
    success: Option<Success>,
    success_reported: bool,
}

impl Target {
    fn new(event: &Event, address: IpAddr) -> Self {
        let evidence = Evidence::of(event);
        Self {
            identity: event.actor.clone(),
            first_failure: evidence.clone(),
            last_failure: evidence,
            last_address: address,
            failures: 1,
            success: None,
            success_reported: false,
        }
    }

    /// Returns the failure that stands for this target in a finding's evidence: the first
    /// failure when it lies in the window, else the latest.
    fn evidence(&self, start: Timestamp) -> &Evidence {
        if self.first_failure.time >= start {
            &self.first_failure
        } else {
            &self.last_failure
        }
    }
}

struct Success {
    identity: IdentityRef,
    evidence: Evidence,
    address: IpAddr,
}

/// The failures of one source within the window.
struct SourceTrack {
    targets: HashMap<Box<str>, Target>,
    /// A lower bound of the oldest `last_failure` among the targets, so that pruning runs only
    /// when a target can have left the window.
    oldest_last_failure: Option<Timestamp>,
    /// Failures for identities not kept because `targets` was full, since the track was
    /// created.
    untracked_failures: u64,
    asn_organization: Option<Arc<str>>,
    /// Time of the newest failure from this source.
    latest: Option<Timestamp>,
    /// Time of the last spray finding about this source.
    reported_at: Option<Timestamp>,
}

impl SourceTrack {
    fn new() -> Self {
        Self {
            targets: HashMap::new(),
            oldest_last_failure: None,
            untracked_failures: 0,
            asn_organization: None,
            latest: None,
            reported_at: None,
        }
    }

    /// Removes the targets whose last failure is older than `start`.
    fn prune(&mut self, start: Timestamp) {
        if self
            .oldest_last_failure
            .is_some_and(|oldest| oldest >= start)
        {
            return;
        }
        self.targets
            .retain(|_, target| target.last_failure.time >= start);
        self.oldest_last_failure = self
            .targets
            .values()
            .map(|target| target.last_failure.time)
            .min();
    }

    fn record_failure(
        &mut self,
        target_key: &str,
        event: &Event,
        address: IpAddr,
        start: Timestamp,
        capacity: usize,
    ) {
        self.oldest_last_failure = Some(
            self.oldest_last_failure
                .map_or(event.time, |oldest| oldest.min(event.time)),
        );
        if let Some(target) = self.targets.get_mut(target_key) {
            if target.last_failure.time < start {
                // The earlier failures left the window: the identity is targeted anew.
                *target = Target::new(event, address);
                return;
            }
            target.failures += 1;
            if event.time < target.first_failure.time {
                target.first_failure = Evidence::of(event);
            }
            if event.time >= target.last_failure.time {
                target.last_failure = Evidence::of(event);
                target.last_address = address;
            }
            return;
        }
        if self.targets.len() >= capacity {
            self.prune(start);
            if self.targets.len() >= capacity {
                self.untracked_failures += 1;
                return;
            }
        }
        self.targets
            .insert(target_key.into(), Target::new(event, address));
    }

    /// Returns the targets in the order findings list them: earliest failure first.
    fn targets_in_order(&self, start: Timestamp) -> Vec<(&str, &Target)> {
        let mut targets: Vec<(&str, &Target)> = self
            .targets
            .iter()
            .map(|(key, target)| (key.as_ref(), target))
            .collect();
        targets.sort_by(|(key_a, a), (key_b, b)| {
            (a.evidence(start).time, *key_a).cmp(&(b.evidence(start).time, *key_b))
        });
        targets
    }

    fn distinct_addresses(&self) -> Vec<IpAddr> {
        let mut addresses: Vec<IpAddr> = self
            .targets
            .values()
            .map(|target| target.last_address)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        addresses.sort();
        addresses
    }
}

/// Returns the key under which a targeted identity is counted, or `None` for principals that
/// are not accounts someone signs in to.
///
/// The e-mail address or login comes first, so that one person's Okta and Entra accounts
/// count once. A record without a principal id may still state the login that was tried (a
/// spray against names that do not exist), and that login distinguishes such targets.
fn target_key(actor: &IdentityRef) -> Option<Box<str>> {
    if matches!(
        actor.kind,
        IdentityKind::AwsService | IdentityKind::ProviderSystem | IdentityKind::NetworkSource
    ) {
        return None;
    }
    if let Some(email) = actor.email.as_deref().filter(|email| !email.is_empty()) {
        return Some(lowercase_key("email:", email));
    }
    if actor.kind == IdentityKind::Unknown && actor.key.id.as_ref() == "unknown" {
        let name = actor.name.as_deref().filter(|name| !name.is_empty())?;
        let prefix = format!("login:{}:", actor.key.provider);
        return Some(lowercase_key(&prefix, name));
    }
    Some(format!("key:{}", actor.key).into())
}

/// Returns `prefix` followed by `text` in lower case, as `str::to_lowercase` writes it. ASCII
/// text, the usual case, is lowered in place in the one allocation of the key.
fn lowercase_key(prefix: &str, text: &str) -> Box<str> {
    let mut key = String::with_capacity(prefix.len() + text.len());
    key.push_str(prefix);
    if text.is_ascii() {
        key.push_str(text);
        if let Some(lowered) = key.get_mut(prefix.len()..) {
            lowered.make_ascii_lowercase();
        }
    } else {
        key.push_str(&text.to_lowercase());
    }
    key.into_boxed_str()
}

pub struct PasswordSpray {
    settings: Settings,
    window: TimeDelta,
    sources: ExpiringMap<SourceKey, SourceTrack>,
    /// Success events already reported, so that an address and its AS report one success once.
    reported_successes: ExpiringMap<Arc<str>, ()>,
}

impl PasswordSpray {
    pub fn new(settings: &Settings) -> Self {
        let window = window_from_secs(settings.window_secs);
        Self {
            settings: settings.clone(),
            window,
            sources: ExpiringMap::new(window),
            reported_successes: ExpiringMap::new(window),
        }
    }

    fn threshold(&self, key: SourceKey) -> usize {
        match key {
            SourceKey::Address(_) => self.settings.min_distinct_identities,
            SourceKey::Asn(_) => self.settings.min_distinct_identities_per_asn,
        }
        .max(1)
    }

    fn record_failure(&mut self, event: &Event, address: IpAddr, findings: &mut Vec<Finding>) {
        let Some(target_key) = target_key(&event.actor) else {
            return;
        };
        for key in source_keys(event, address) {
            let threshold = self.threshold(key);
            let capacity = MAX_TARGETS_PER_SOURCE.max(threshold);
            let track = self
                .sources
                .touch_or_insert_with(&key, event.time, SourceTrack::new);
            // The window ends at the newest failure of the source, so that a late event
            // neither counts failures from its future nor counts itself when already outside.
            let now = track
                .latest
                .map_or(event.time, |latest| latest.max(event.time));
            track.latest = Some(now);
            let start = window_start(now, self.window);
            if event.time < start {
                continue;
            }
            if let (SourceKey::Asn(_), Some(asn)) = (key, &event.source.asn) {
                if asn.organization.is_some() {
                    track.asn_organization.clone_from(&asn.organization);
                }
            }
            track.record_failure(&target_key, event, address, start, capacity);

            let recently_reported = track
                .reported_at
                .is_some_and(|reported| now.signed_duration_since(reported) <= self.window);
            if recently_reported {
                continue;
            }
            track.prune(start);
            if track.targets.len() < threshold {
                continue;
            }
            if matches!(key, SourceKey::Asn(_)) && track.distinct_addresses().len() < 2 {
                continue;
            }
            track.reported_at = Some(now);
            let scope = Scope {
                key,
                start,
                threshold,
                window: self.window,
                window_secs: self.settings.window_secs,
            };
            findings.push(Spray { scope, track }.finding(event.format.provider()));
            // Successes that came before the threshold was reached.
            let pending: Vec<Box<str>> = track
                .targets
                .iter()
                .filter(|(_, target)| target.success.is_some() && !target.success_reported)
                .map(|(key, _)| key.clone())
                .collect();
            for target_key in pending {
                report_success(
                    scope,
                    track,
                    &target_key,
                    &mut self.reported_successes,
                    findings,
                );
            }
        }
    }

    fn record_success(&mut self, event: &Event, address: IpAddr, findings: &mut Vec<Finding>) {
        // Most successes come from sources without failures, so their target key is not built.
        let tracked = source_keys(event, address).any(|key| self.sources.get(&key).is_some());
        if !tracked {
            return;
        }
        let Some(target_key) = target_key(&event.actor) else {
            return;
        };
        for key in source_keys(event, address) {
            let targeted = self
                .sources
                .get(&key)
                .is_some_and(|track| track.targets.contains_key(&target_key));
            if !targeted {
                continue;
            }
            let threshold = self.threshold(key);
            let track = self
                .sources
                .touch_or_insert_with(&key, event.time, SourceTrack::new);
            let Some(target) = track.targets.get_mut(&target_key) else {
                continue;
            };
            let follows_failure = event.time >= target.first_failure.time
                && event.time.signed_duration_since(target.last_failure.time) <= self.window;
            if !follows_failure || target.success.is_some() {
                continue;
            }
            target.success = Some(Success {
                identity: event.actor.clone(),
                evidence: Evidence::of(event),
                address,
            });
            if track.reported_at.is_some() {
                let now = track
                    .latest
                    .map_or(event.time, |latest| latest.max(event.time));
                let start = window_start(now, self.window);
                track.prune(start);
                let scope = Scope {
                    key,
                    start,
                    threshold,
                    window: self.window,
                    window_secs: self.settings.window_secs,
                };
                report_success(
                    scope,
                    track,
                    &target_key,
                    &mut self.reported_successes,
                    findings,
                );
            }
        }
    }
}

/// Returns the sources a sign-in from `address` counts towards: the address, and its AS when
/// known.
fn source_keys(event: &Event, address: IpAddr) -> impl Iterator<Item = SourceKey> {
    let asn = event
        .source
        .asn
        .as_ref()
        .map(|asn| SourceKey::Asn(asn.number));
    [Some(SourceKey::Address(address)), asn]
        .into_iter()
        .flatten()
}

/// Emits the success finding of `target_key` unless the same success event was reported
/// through another source.
fn report_success(
    scope: Scope,
    track: &mut SourceTrack,
    target_key: &str,
    reported_successes: &mut ExpiringMap<Arc<str>, ()>,
    findings: &mut Vec<Finding>,
) {
    let Some(target) = track.targets.get(target_key) else {
        return;
    };
    let Some(success) = &target.success else {
        return;
    };
    let event_id = success.evidence.event_id.clone();
    let time = success.evidence.time;
    if reported_successes.get(&event_id).is_none() {
        let spray = Spray { scope, track };
        findings.push(spray.success_finding(target_key, target, success));
        reported_successes.touch_or_insert_with(&event_id, time, || ());
    }
    if let Some(target) = track.targets.get_mut(target_key) {
        target.success_reported = true;
    }
}

/// The source and window a finding is written for.
#[derive(Clone, Copy)]
struct Scope {
    key: SourceKey,
    /// Start of the window, which ends at the source's newest failure.
    start: Timestamp,
    threshold: usize,
    window: TimeDelta,
    window_secs: u64,
}

/// A source at the moment a finding about it is written.
struct Spray<'a> {
    scope: Scope,
    track: &'a SourceTrack,
}

impl Spray<'_> {
    /// Returns the source as the subject of a sentence: "203.0.113.9" or "Addresses of
    /// AS64500 (Example Hosting)".
    fn subject(&self) -> String {
        match self.scope.key {
            SourceKey::Address(address) => address.to_string(),
            SourceKey::Asn(_) => format!("Addresses of {}", self.asn_name()),
        }
    }

    fn asn_name(&self) -> String {
        match &self.track.asn_organization {
            Some(organization) => format!("{} ({organization})", self.scope.key.id()),
            None => self.scope.key.id(),
        }
    }

    fn failed_attempts(&self) -> u64 {
        self.track
            .targets
            .values()
            .map(|target| target.failures)
            .sum()
    }

    /// Describes what the source did: identities, time span and attempts.
    fn summary(&self, subject: &str, first: Timestamp, last: Timestamp) -> String {
        let identities = self.track.targets.len();
        let addresses = match self.scope.key {
            SourceKey::Address(_) => String::new(),
            SourceKey::Asn(_) => {
                format!(" from {} addresses", self.track.distinct_addresses().len())
            }
        };
        format!(
            "{subject} failed to sign in as {identities} distinct identities{addresses} between \
             {first} and {last} ({attempts} failed attempts)",
            first = format_time(first),
            last = format_time(last),
            attempts = self.failed_attempts(),
        )
    }

    /// Returns the evidence of up to [`MAX_FAILURE_EVIDENCE`] targets, with `first` always
    /// included when given, in time order.
    fn failure_evidence(&self, first: Option<&str>) -> Vec<Evidence> {
        let ordered = self.track.targets_in_order(self.scope.start);
        let mut chosen: Vec<&Target> = Vec::new();
        if let Some(target) = first.and_then(|key| self.track.targets.get(key)) {
            chosen.push(target);
        }
        for (key, target) in ordered {
            if chosen.len() >= MAX_FAILURE_EVIDENCE {
                break;
            }
            if Some(key) != first {
                chosen.push(target);
            }
        }
        let mut evidence: Vec<Evidence> = chosen
            .into_iter()
            .map(|target| target.evidence(self.scope.start).clone())
            .collect();
        evidence.sort_by(|a, b| (a.time, &a.event_id).cmp(&(b.time, &b.event_id)));
        evidence
    }

    fn facts(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut facts = serde_json::Map::new();
        facts.insert("source".into(), json!(self.scope.key.id()));
        match self.scope.key {
            SourceKey::Address(_) => {
                facts.insert("source_kind".into(), json!("address"));
            }
            SourceKey::Asn(number) => {
                let addresses = self.track.distinct_addresses();
                facts.insert("source_kind".into(), json!("asn"));
                facts.insert("asn".into(), json!(number));
                facts.insert(
                    "asn_organization".into(),
                    json!(self.track.asn_organization),
                );
                facts.insert("address_count".into(), json!(addresses.len()));
                facts.insert(
                    "addresses".into(),
                    json!(
                        addresses
                            .iter()
                            .take(MAX_LISTED_ADDRESSES)
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                    ),
                );
            }
        }
        let providers: BTreeSet<&str> = self
            .track
            .targets
            .values()
            .map(|target| target.identity.key.provider.as_str())
            .collect();
        facts.insert("providers".into(), json!(providers));
        facts.insert(
            "distinct_identities".into(),
            json!(self.track.targets.len()),
        );
        facts.insert("failed_attempts".into(), json!(self.failed_attempts()));
        facts.insert(
            "untracked_failures".into(),
            json!(self.track.untracked_failures),
        );
        facts.insert("threshold".into(), json!(self.scope.threshold));
        facts.insert("window_secs".into(), json!(self.scope.window_secs));
        facts
    }

    fn time_span(&self) -> (Timestamp, Timestamp) {
        let times = self.track.targets.values().flat_map(|target| {
            [
                target.evidence(self.scope.start).time,
                target.last_failure.time,
            ]
        });
        let first = times.clone().min().unwrap_or(self.scope.start);
        let last = times.max().unwrap_or(self.scope.start);
        (first, last)
    }

    fn source_identity(&self, provider: Provider) -> IdentityRef {
        let mut identity =
            IdentityRef::new(provider, self.scope.key.id(), IdentityKind::NetworkSource);
        identity.name = Some(format!("source {}", self.scope.key.id()).into());
        identity
    }

    /// Returns the targets other than `except`, earliest first, at most [`MAX_RELATED`], and
    /// how many more there are.
    fn related(&self, except: Option<&str>) -> (Vec<IdentityRef>, usize) {
        let others: Vec<&Target> = self
            .track
            .targets_in_order(self.scope.start)
            .into_iter()
            .filter(|(key, _)| Some(*key) != except)
            .map(|(_, target)| target)
            .collect();
        let omitted = others.len().saturating_sub(MAX_RELATED);
        let related = others
            .into_iter()
            .take(MAX_RELATED)
            .map(|target| target.identity.clone())
            .collect();
        (related, omitted)
    }

    fn finding(&self, provider: Provider) -> Finding {
        let (first, last) = self.time_span();
        let explanation = format!(
            "{summary}, reaching the threshold of {threshold} distinct identities within \
             {window}.",
            summary = self.summary(&self.subject(), first, last),
            threshold = self.scope.threshold,
            window = format_duration(self.scope.window),
        );
        let (related, related_omitted) = self.related(None);
        let evidence = self.failure_evidence(None);
        let mut facts = self.facts();
        facts.insert("related_omitted".into(), json!(related_omitted));
        facts.insert(
            "evidence_omitted".into(),
            json!(self.failed_attempts().saturating_sub(evidence.len() as u64)),
        );
        let confidence = match self.scope.key {
            SourceKey::Address(_) => 0.7,
            SourceKey::Asn(_) => 0.6,
        };
        Finding {
            detection: ID,
            severity: Severity::Medium,
            confidence: Confidence::new(confidence),
            identity: self.source_identity(provider),
            first_seen: first,
            last_seen: last,
            evidence,
            explanation,
            attack: vec!["T1110.003"],
            facts,
            related,
        }
    }

    fn success_finding(&self, target_key: &str, target: &Target, success: &Success) -> Finding {
        let (first, last) = self.time_span();
        let who = success.identity.display_name();
        let from = match self.scope.key {
            SourceKey::Address(address) => address.to_string(),
            SourceKey::Asn(_) => format!("{} in {}", success.address, self.asn_name()),
        };
        let subject = match self.scope.key {
            SourceKey::Address(address) => address.to_string(),
            SourceKey::Asn(_) => format!("addresses of {}", self.scope.key.id()),
        };
        let attempts = if target.failures == 1 {
            "1 failed attempt".to_owned()
        } else {
            format!("{} failed attempts", target.failures)
        };
        let explanation = format!(
            "{who} authenticated successfully from {from} at {time} ({operation}) after \
             {summary}. {who} was one of the targets, with {attempts} before the success.",
            time = format_time(success.evidence.time),
            operation = success.evidence.operation,
            summary = self.summary(&subject, first, last),
        );
        let (related, related_omitted) = self.related(Some(target_key));
        let mut evidence = self.failure_evidence(Some(target_key));
        let failure_evidence = evidence.len();
        evidence.push(success.evidence.clone());
        evidence.sort_by(|a, b| (a.time, &a.event_id).cmp(&(b.time, &b.event_id)));

        let mut facts = self.facts();
        facts.insert("success_address".into(), json!(success.address.to_string()));
        facts.insert("success_time".into(), json!(success.evidence.time));
        facts.insert("target_failed_attempts".into(), json!(target.failures));
        facts.insert("related_omitted".into(), json!(related_omitted));
        facts.insert(
            "evidence_omitted".into(),
            json!(
                self.failed_attempts()
                    .saturating_sub(failure_evidence as u64)
            ),
        );
        let confidence = match self.scope.key {
            SourceKey::Address(_) => 0.85,
            SourceKey::Asn(_) => 0.75,
        };
        Finding {
            detection: ID,
            severity: Severity::High,
            confidence: Confidence::new(confidence),
            identity: success.identity.clone(),
            first_seen: first.min(success.evidence.time),
            last_seen: last.max(success.evidence.time),
            evidence,
            explanation,
            attack: vec!["T1110.003", "T1078"],
            facts,
            related,
        }
    }
}

impl Detector for PasswordSpray {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        let Some(address) = event.source.origin.ip() else {
            return;
        };
        if matches!(
            event.source.ip_class,
            IpClass::CorporateEgress | IpClass::Vpn
        ) {
            return;
        }
        if is_password_failure(event) {
            self.record_failure(event, address, findings);
        } else if event.is_successful_authentication() {
            self.record_success(event, address, findings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, at, run};
    use riposte_model::{Origin, SourceFormat};

    const SPRAYER: &str = "203.0.113.9";

    fn detector() -> PasswordSpray {
        PasswordSpray::new(&Settings::default())
    }

    #[test]
    fn lowercase_key_matches_to_lowercase() {
        for text in [
            "Alice@Example.COM",
            "bob",
            "",
            "ÉLODIE@example.com",
            "İ@x",
            "ẞ",
        ] {
            let expected = format!("email:{}", text.to_lowercase());
            assert_eq!(&*lowercase_key("email:", text), expected.as_str(), "{text}");
        }
    }

    fn time(minute: i64) -> String {
        (at("2024-05-01T09:00:00Z") + TimeDelta::minutes(minute)).to_rfc3339()
    }

    /// Builds a failed Okta password sign-in of `user` from `ip`, `minute` minutes after 09:00.
    fn failure(user: &str, minute: i64, ip: &str) -> EventBuilder {
        EventBuilder::new(user, &time(minute))
            .id(&format!("fail-{user}-{minute}"))
            .ip(ip)
            .failed()
            .with(|event| event.outcome_reason = Some("INVALID_CREDENTIALS".into()))
    }

    fn success(user: &str, minute: i64, ip: &str) -> Event {
        EventBuilder::new(user, &time(minute))
            .id(&format!("ok-{user}-{minute}"))
            .ip(ip)
            .build()
    }

    fn user(index: usize) -> String {
        format!("user{index}@example.com")
    }

    /// Failures for `count` users from `ip`, one a minute from 09:00.
    fn spray(count: usize, ip: &str) -> Vec<Event> {
        (0..count)
            .map(|index| failure(&user(index), index as i64, ip).build())
            .collect()
    }

    #[test]
    fn ten_users_fire_once() {
        let mut events = spray(10, SPRAYER);
        // More failures in the same hour do not repeat the finding.
        events.extend((10..15).map(|index| failure(&user(index), 20, SPRAYER).build()));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "password_spray");
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.confidence.value(), 0.7);
        assert_eq!(finding.attack, vec!["T1110.003"]);
        assert_eq!(finding.identity.kind, IdentityKind::NetworkSource);
        assert_eq!(finding.identity.key.provider, Provider::Okta);
        assert_eq!(finding.identity.key.id.as_ref(), SPRAYER);
        assert_eq!(finding.identity.name.as_deref(), Some("source 203.0.113.9"));
        assert_eq!(finding.related.len(), 10);
        assert_eq!(finding.related[0].key.id.as_ref(), "user0@example.com");
        assert_eq!(finding.evidence.len(), 10);
        assert_eq!(finding.first_seen, at("2024-05-01T09:00:00Z"));
        assert_eq!(finding.last_seen, at("2024-05-01T09:09:00Z"));
        assert_eq!(finding.facts["distinct_identities"], json!(10));
        assert_eq!(finding.facts["failed_attempts"], json!(10));
        assert_eq!(finding.facts["source_kind"], json!("address"));
        assert_eq!(finding.facts["providers"], json!(["okta"]));
        assert_eq!(
            finding.explanation,
            "203.0.113.9 failed to sign in as 10 distinct identities between 2024-05-01 \
             09:00:00Z and 2024-05-01 09:09:00Z (10 failed attempts), reaching the threshold \
             of 10 distinct identities within 1 h."
        );
    }

    #[test]
    fn nine_users_are_quiet() {
        assert!(run(&mut detector(), &spray(9, SPRAYER)).is_empty());
    }

    #[test]
    fn success_after_spray_names_user() {
        let mut events = spray(10, SPRAYER);
        events.push(success(&user(3), 20, SPRAYER));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 2);

        let finding = &findings[1];
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.85);
        assert_eq!(finding.attack, vec!["T1110.003", "T1078"]);
        assert_eq!(finding.identity.key.id.as_ref(), "user3@example.com");
        assert_eq!(finding.identity.kind, IdentityKind::Human);

        assert_eq!(finding.related.len(), 9);
        assert!(
            finding
                .related
                .iter()
                .all(|identity| identity.key.id.as_ref() != "user3@example.com")
        );

        assert_eq!(finding.evidence.len(), 11);
        assert_eq!(
            finding
                .evidence
                .last()
                .map(|evidence| evidence.event_id.as_ref()),
            Some("ok-user3@example.com-20")
        );
        assert_eq!(finding.last_seen, at("2024-05-01T09:20:00Z"));
        assert_eq!(finding.facts["success_address"], json!(SPRAYER));

        assert_eq!(
            finding.explanation,
            "user3@example.com authenticated successfully from 203.0.113.9 at 2024-05-01 \
             09:20:00Z (user.session.start) after 203.0.113.9 failed to sign in as 10 distinct \
             identities between 2024-05-01 09:00:00Z and 2024-05-01 09:09:00Z (10 failed \
             attempts). user3@example.com was one of the targets, with 1 failed attempt before \
             the success."
        );
    }

    #[test]
    fn early_success_reported_with_spray() {
        let mut events = spray(5, SPRAYER);
        events.push(success(&user(2), 6, SPRAYER));
        events
            .extend((5..10).map(|index| failure(&user(index), 10 + index as i64, SPRAYER).build()));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(findings[1].severity, Severity::High);
        assert_eq!(findings[1].identity.key.id.as_ref(), "user2@example.com");
    }

    #[test]
    fn success_is_reported_once() {
        let mut events = spray(10, SPRAYER);
        events.push(success(&user(3), 20, SPRAYER));
        events.push(success(&user(3), 21, SPRAYER));
        events.push(failure(&user(3), 22, SPRAYER).build());
        events.push(success(&user(3), 23, SPRAYER));
        assert_eq!(run(&mut detector(), &events).len(), 2);
    }

    #[test]
    fn unrelated_success_is_quiet() {
        let mut events = spray(10, SPRAYER);
        events.push(success("carol@example.com", 20, SPRAYER));
        events.push(success(&user(3), 21, "198.51.100.4"));
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn late_success_is_quiet() {
        let mut events = spray(10, SPRAYER);
        events.push(success(&user(0), 70, SPRAYER));
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn spray_over_two_hours_is_quiet() {
        // Ten users, one every 13 minutes: any hour contains at most five of them.
        let events: Vec<Event> = (0..10)
            .map(|index| failure(&user(index), index as i64 * 13, SPRAYER).build())
            .collect();
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn one_user_many_failures_quiet() {
        let events: Vec<Event> = (0..50)
            .map(|minute| failure(&user(0), minute, SPRAYER).build())
            .collect();
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn spray_repeats_after_a_window() {
        // Forty users, one every three minutes: the spray fires at 09:27, stays quiet for an
        // hour, then fires at 10:30 for the 21 users of the hour before.
        let events: Vec<Event> = (0..40)
            .map(|index| failure(&user(index), index as i64 * 3, SPRAYER).build())
            .collect();
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].last_seen, at("2024-05-01T09:27:00Z"));
        assert_eq!(findings[1].first_seen, at("2024-05-01T09:30:00Z"));
        assert_eq!(findings[1].last_seen, at("2024-05-01T10:30:00Z"));
        assert_eq!(findings[1].facts["distinct_identities"], json!(21));
    }

    #[test]
    fn providers_add_up_for_one_address() {
        let mut events: Vec<Event> = (0..5)
            .map(|index| failure(&user(index), index as i64, SPRAYER).build())
            .collect();
        events.extend((5..10).map(|index| {
            failure(&user(index), index as i64, SPRAYER)
                .format(SourceFormat::EntraSignIn)
                .build()
        }));
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].facts["providers"], json!(["entra", "okta"]));
        assert_eq!(findings[0].identity.key.provider, Provider::Entra);
    }

    #[test]
    fn person_in_two_providers_counts_once() {
        // Five people, each failing in Okta and in Entra under the same login.
        let events: Vec<Event> = (0..5)
            .flat_map(|index| {
                [
                    failure(&user(index), index as i64, SPRAYER).build(),
                    failure(&user(index), index as i64, SPRAYER)
                        .format(SourceFormat::EntraSignIn)
                        .id(&format!("entra-{index}"))
                        .build(),
                ]
            })
            .collect();
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn asn_rotation_fires_for_asn() {
        // Twenty users from five addresses of one hosting provider, four users each.
        let events: Vec<Event> = (0..20)
            .map(|index| {
                failure(
                    &user(index),
                    index as i64,
                    &format!("198.51.100.{}", index % 5 + 1),
                )
                .asn(64_500, "Example Hosting")
                .build()
            })
            .collect();
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.confidence.value(), 0.6);
        assert_eq!(finding.identity.key.id.as_ref(), "AS64500");
        assert_eq!(finding.identity.name.as_deref(), Some("source AS64500"));
        assert_eq!(finding.facts["source_kind"], json!("asn"));
        assert_eq!(finding.facts["address_count"], json!(5));
        assert_eq!(
            finding.explanation,
            "Addresses of AS64500 (Example Hosting) failed to sign in as 20 distinct identities \
             from 5 addresses between 2024-05-01 09:00:00Z and 2024-05-01 09:19:00Z (20 failed \
             attempts), reaching the threshold of 20 distinct identities within 1 h."
        );
    }

    #[test]
    fn single_address_skips_asn_finding() {
        let events: Vec<Event> = (0..25)
            .map(|index| {
                failure(&user(index), index as i64, SPRAYER)
                    .asn(64_500, "Example Hosting")
                    .build()
            })
            .collect();
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].facts["source_kind"], json!("address"));
    }

    #[test]
    fn success_reported_once_across_sources() {
        // Two addresses of one AS, ten users each: both addresses and the AS fire.
        let mut events: Vec<Event> = (0..20)
            .map(|index| {
                let ip = if index < 10 { SPRAYER } else { "203.0.113.10" };
                failure(&user(index), index as i64, ip)
                    .asn(64_500, "Example Hosting")
                    .build()
            })
            .collect();
        events.push(
            EventBuilder::new(&user(3), &time(25))
                .id("ok-user3")
                .ip(SPRAYER)
                .asn(64_500, "Example Hosting")
                .build(),
        );
        let findings = run(&mut detector(), &events);
        let sources: Vec<&str> = findings
            .iter()
            .map(|finding| finding.identity.key.id.as_ref())
            .collect();
        assert_eq!(
            sources,
            vec![SPRAYER, "203.0.113.10", "AS64500", "user3@example.com"]
        );
        assert_eq!(findings[3].facts["source"], json!(SPRAYER));
    }

    #[test]
    fn non_ip_and_declared_ranges_ignored() {
        let events: Vec<Event> = (0..10)
            .map(|index| {
                failure(&user(index), index as i64, SPRAYER)
                    .origin(Origin::AwsInternal)
                    .build()
            })
            .collect();
        assert!(run(&mut detector(), &events).is_empty());
        for class in [IpClass::CorporateEgress, IpClass::Vpn] {
            let events: Vec<Event> = (0..10)
                .map(|index| {
                    failure(&user(index), index as i64, SPRAYER)
                        .ip_class(class)
                        .build()
                })
                .collect();
            assert!(run(&mut detector(), &events).is_empty(), "{class:?}");
        }
    }

    #[test]
    fn unknown_logins_counted_by_name() {
        // Okta names no principal id for a login that does not exist, only the login tried.
        let events: Vec<Event> = (0..10)
            .map(|index| {
                failure("unknown", index as i64, SPRAYER)
                    .id(&format!("fail-{index}"))
                    .kind(IdentityKind::Unknown)
                    .with(|event| event.actor.name = Some(format!("nobody{index}").into()))
                    .build()
            })
            .collect();
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn large_spray_finding_is_capped() {
        let settings = Settings {
            min_distinct_identities: 60,
            ..Settings::default()
        };
        let events: Vec<Event> = (0..60)
            .map(|index| failure(&user(index), index as i64 / 2, SPRAYER).build())
            .collect();
        let findings = run(&mut PasswordSpray::new(&settings), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.related.len(), 50);
        assert_eq!(finding.facts["related_omitted"], json!(10));
        assert_eq!(finding.evidence.len(), 20);
        assert_eq!(finding.facts["evidence_omitted"], json!(40));
        assert_eq!(finding.facts["distinct_identities"], json!(60));
    }

    #[test]
    fn late_failure_does_not_panic() {
        let mut events = spray(9, SPRAYER);
        events.push(failure(&user(9), -600, SPRAYER).build());
        events.push(failure(&user(10), 10, SPRAYER).build());
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
    }

    #[test]
    fn state_stays_bounded() {
        let mut detector = detector();
        let mut findings = Vec::new();
        let start = at("2024-05-01T00:00:00Z");
        for index in 0..50_000_i64 {
            let mut event = failure(&user(0), 0, &format!("2001:db8::{index:x}")).build();
            event.time = start + TimeDelta::minutes(index);
            detector.observe(&event, &crate::Context::default(), &mut findings);
        }
        assert!(findings.is_empty());
        // Sixty sources fail within any hour, plus what accumulates between sweeps.
        assert!(
            detector.sources.len() <= 60 + 1 + 2048,
            "{}",
            detector.sources.len()
        );
    }

    #[test]
    fn targets_per_source_stay_bounded() {
        let mut detector = detector();
        let mut findings = Vec::new();
        let start = at("2024-05-01T00:00:00Z");
        for index in 0..5_000_usize {
            let mut event = failure(&user(index), 0, SPRAYER).build();
            event.time = start + TimeDelta::milliseconds(index as i64);
            detector.observe(&event, &crate::Context::default(), &mut findings);
        }
        assert_eq!(findings.len(), 1);
        let track = detector
            .sources
            .get(&SourceKey::Address(SPRAYER.parse().unwrap()))
            .unwrap();
        assert_eq!(track.targets.len(), MAX_TARGETS_PER_SOURCE);
        assert_eq!(track.untracked_failures, 4_000);
    }

    #[test]
    fn settings_have_documented_defaults() {
        let parsed: Settings = serde_json::from_value(json!({})).unwrap();
        assert_eq!(parsed.window_secs, 3600);
        assert_eq!(parsed.min_distinct_identities, 10);
        assert_eq!(parsed.min_distinct_identities_per_asn, 20);
        let parsed: Result<Settings, _> = serde_json::from_value(json!({"min_distinct_users": 5}));
        assert!(parsed.is_err());
    }
}

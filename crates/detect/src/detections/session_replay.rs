//! `session_replay`: one session or token identifier used by a second client, on another
//! network and with other client software, while the session is still in use.
//!
//! # What it detects
//! Each session or token identifier an event carries is tracked on its own, keyed by the
//! provider, the kind of identifier and its value:
//! - `session_id`: Okta `externalSessionId`, Entra `sessionId`, or an AWS temporary access key
//!   (`ASIA...`);
//! - `root_session_id`: Okta `rootSessionId`;
//! - `token_id`: Entra `uniqueTokenIdentifier` and Graph activity `signInActivityId`.
//!
//! Any event carrying the identifier counts as a use, not only authentications. The first
//! client seen with an identifier is its origin client, described by two things:
//! - its network: the autonomous system when known, else the /24 IPv4 or /48 IPv6 prefix,
//!   plus the country when known;
//! - its user agent, reduced to a software family and major version such as "Chrome 124",
//!   "Firefox 125", "aws-cli 2" or "boto3 1" (the `client` module lists the families).
//!
//! A later use fires when both differ from the origin:
//! - the network differs: another autonomous system, or, when either side has no autonomous
//!   system, another /24 or /48 prefix; or another country;
//! - and the software differs: another family, or the same family with another major
//!   version.
//!
//! A change of address inside one provider and city with the same browser is not a replay,
//! nor is a browser update on the same network, nor a move to another network (mobile
//! roaming, a VPN) with the same software.
//!
//! # Why it matters
//! Session cookies and tokens stolen by infostealer malware or an adversary-in-the-middle
//! proxy are replayed from the attacker's own machine. The replay skips the password and the
//! MFA prompt, so the only trace is the same session appearing from a second client. ATT&CK:
//! T1550 Use Alternate Authentication Material, with T1550.004 Web Session Cookie for
//! sessions and T1550.001 Application Access Token for tokens and AWS temporary keys, and
//! T1078.004 Cloud Accounts.
//!
//! # Thresholds and their source
//! - `idle_timeout_secs` = 43,200 (12 hours): an identifier unused for this long is forgotten,
//!   and its next use starts a new origin. Okta's default global session idle time is two
//!   hours, AWS role sessions last one hour by default and at most 12 hours, and Entra
//!   refresh tokens slide for up to 90 days. Twelve hours covers a whole AWS role session and
//!   six times Okta's default, so that tenants with relaxed policies are still covered,
//!   without holding the origin of a session across days of separate work.
//! - `token_lifetime_secs` = 5,400 (90 minutes): a token identifier (Entra
//!   `uniqueTokenIdentifier`) is tracked for at most this long. Entra issues access tokens
//!   valid for a random 60 to 90 minutes by default (Microsoft identity platform
//!   documentation, access token lifetime), and every sign-in issues a new one, so holding
//!   token identifiers as long as sessions would keep one entry per sign-in for 12 hours.
//! - `max_lifetime_secs` = 86,400 (24 hours): an identifier is tracked for at most this long
//!   from its first use, after which its next use starts a new origin. Okta sessions and
//!   Entra refresh tokens can outlive a day; restarting the origin each day keeps one
//!   browser update or one trip from turning weeks of normal use into findings.
//! - Severity is always High: a working session in a second client's hands is an account
//!   takeover in progress.
//! - Confidence starts at 0.6, adds 0.15 when both autonomous systems are known and differ
//!   (a prefix change alone also happens inside one provider), and adds 0.2 when both
//!   countries are known and differ (a person rarely changes country and client software
//!   within one session). An Okta session replayed from another provider and country
//!   therefore scores 0.95.
//! - When the identity's behavioural baseline is past its learning period, each client's
//!   network is judged against the baseline of its actor as it was before that client's
//!   event. Either network new for the identity (its autonomous system, or its /24 or /48
//!   prefix when the event has none, not seen within the baseline's `max_age_days`) adds 0.1,
//!   up to 1. Otherwise, a second client whose autonomous system was seen at least
//!   `established_count` times (default 5) from a known country, as for a VPN exit used for
//!   months, takes 0.2 off, but not below 0.3. The explanation says which network moved the
//!   confidence, and the `baseline` fact holds both judgements.
//! - One finding per identifier and second client (network and software). At most
//!   [`MAX_REPORTED_CLIENTS`] second clients are reported per identifier; later ones are
//!   dropped, because such an identifier is already reported.
//! - When one event carries several identifiers that fire (an Okta session and its root
//!   session), they give one finding, the first as the subject and all listed in the
//!   `identifiers` fact.
//!
//! # Inputs it ignores
//! - Failed events: the provider rejected the identifier, so it was not in use. Successful
//!   events and events of unknown outcome count.
//! - Origins that are not an IP address: CloudTrail writes the service's name
//!   (`ec2.amazonaws.com`) or `AWS Internal` when a service calls on the caller's behalf,
//!   which is not a second client.
//! - Private and special-purpose addresses: within AWS they are VPC endpoints, where the
//!   processes of one instance share a temporary key with its public address.
//! - Placeholder identifiers such as `unknown`, which Okta writes in `externalSessionId` of
//!   some `user.authentication.sso` events: they would join unrelated sessions.
//! - Events without a user agent, and user agents that AWS writes itself (`AWS Internal`,
//!   `console.amazonaws.com`, `[S3Console/...]`, service names): they name AWS's software, not
//!   the client's, and alternate with the browser's agent within one console session.
//! - Events of AWS services and of the providers' own system principals.
//!
//! # Known false positives
//! - Several applications sharing one session on one device (an Entra session used by a
//!   browser and by Teams or Outlook) when the device changes network: the second
//!   application's first event from the new network looks like a second client.
//! - A browser updated to a new major version while the person also moves to another
//!   network, within one session.
//! - Country names compared across sources: Okta writes names and Entra writes ISO codes, so
//!   mixing geolocation from the record and from a database can make one country look like
//!   two.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chrono::TimeDelta;
use hashbrown::Equivalent;
use riposte_model::{
    Confidence, Event, Evidence, Finding, IdentityKey, IdentityKind, IdentityRef, Outcome,
    Provider, Sensitive, Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::detections::ExpiringMap;
use crate::detections::client::{
    Network, NetworkChange, NetworkView, Software, UserAgentCache, is_internal, is_placeholder,
};
use crate::detections::state::KeyRef;
use crate::detections::unfamiliar_signin::{NetworkFamiliarity, adjust_confidence};
use crate::{Context, Detector, Enabled, format_duration};

pub const ID: &str = "session_replay";

/// Second clients reported per identifier.
const MAX_REPORTED_CLIENTS: usize = 16;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Time without use after which an identifier is forgotten, in seconds.
    pub idle_timeout_secs: u64,
    /// Time after its first use after which an identifier is forgotten, in seconds.
    pub max_lifetime_secs: u64,
    /// Time after which a token identifier is forgotten, in seconds: the longest an access
    /// token stays valid.
    pub token_lifetime_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            idle_timeout_secs: 12 * 3600,
            max_lifetime_secs: 24 * 3600,
            token_lifetime_secs: 90 * 60,
        }
    }
}

/// Converts seconds from the settings into a duration, saturating at the largest one.
fn duration_from_secs(seconds: u64) -> TimeDelta {
    i64::try_from(seconds)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .unwrap_or(TimeDelta::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum IdentifierKind {
    Session,
    RootSession,
    Token,
    /// An AWS temporary access key, which CloudTrail events carry as their session.
    TemporaryKey,
}

impl IdentifierKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::RootSession => "root_session",
            Self::Token => "token",
            Self::TemporaryKey => "temporary_key",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::RootSession => "root session",
            Self::Token => "token",
            Self::TemporaryKey => "temporary key",
        }
    }

    /// Returns the ATT&CK sub-technique of T1550 for replaying this kind of identifier.
    fn technique(self) -> &'static str {
        match self {
            Self::Session | Self::RootSession => "T1550.004",
            Self::Token | Self::TemporaryKey => "T1550.001",
        }
    }
}

fn provider_label(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => "AWS",
        Provider::Okta => "Okta",
        Provider::Entra => "Entra",
    }
}

/// The state key of one identifier. The value stays in [`Sensitive`], so that the key prints
/// only a fingerprint if it is ever formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IdentifierKey {
    provider: Provider,
    kind: IdentifierKind,
    value: Sensitive,
}

/// Hashed as its [`IdentifierRef`], so that a lookup by reference finds it.
impl Hash for IdentifierKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        IdentifierRef {
            provider: self.provider,
            kind: self.kind,
            value: &self.value,
        }
        .hash(state);
    }
}

/// An [`IdentifierKey`] borrowed from an event, so looking up a tracked identifier copies
/// nothing. The owned key is built only when the identifier's track is created, and shares
/// the event's value.
#[derive(Clone, Copy, Hash)]
struct IdentifierRef<'a> {
    provider: Provider,
    kind: IdentifierKind,
    value: &'a Sensitive,
}

impl Equivalent<IdentifierKey> for IdentifierRef<'_> {
    fn equivalent(&self, key: &IdentifierKey) -> bool {
        self.provider == key.provider && self.kind == key.kind && *self.value == key.value
    }
}

impl KeyRef<IdentifierKey> for IdentifierRef<'_> {
    fn to_key(&self) -> IdentifierKey {
        IdentifierKey {
            provider: self.provider,
            kind: self.kind,
            value: self.value.clone(),
        }
    }
}

/// A client that used an identifier: where, with what, when, and as whom.
#[derive(Clone)]
struct Client {
    time: Timestamp,
    network: Network,
    user_agent: Arc<str>,
    software: Software,
    /// The actor's key, kind and name; the full reference is taken from the replaying event
    /// when it names the same identity, which keeps each tracked origin small.
    actor: IdentityKey,
    actor_kind: IdentityKind,
    actor_name: Arc<str>,
    evidence: Evidence,
    /// The network judged against the actor's baseline as it was before this event.
    familiarity: NetworkFamiliarity,
}

/// The client of one event as far as comparing it with an origin needs, borrowed from the
/// event. Most uses of an identifier match their origin, so the owned [`Client`] is built
/// only for an event that becomes an origin or a replay, once for all its identifiers.
struct Sighting<'a> {
    event: &'a Event,
    network: NetworkView<'a>,
    user_agent: &'a Arc<str>,
    software: &'a Software,
    client: Option<Arc<Client>>,
}

impl<'a> Sighting<'a> {
    fn of(event: &'a Event, user_agents: &'a mut UserAgentCache) -> Option<Self> {
        if event.outcome == Outcome::Failure {
            return None;
        }
        if matches!(
            event.actor.kind,
            IdentityKind::AwsService | IdentityKind::ProviderSystem
        ) {
            return None;
        }
        if is_internal(event.source.ip_class) {
            return None;
        }
        let network = NetworkView::of(&event.source)?;
        let user_agent = event.source.user_agent.as_ref()?;
        let described = user_agents.get(user_agent);
        if described.aws_written {
            return None;
        }
        let software = described.software.as_ref()?;
        Some(Self {
            event,
            network,
            user_agent,
            software,
            client: None,
        })
    }

    /// Returns the client, with its network judged against the actor's baseline. Judging
    /// runs a baseline assessment, which is why it waits until the client becomes an origin
    /// or a replay. The identifiers of one event then share the client.
    fn client(&mut self, context: &Context<'_>) -> Arc<Client> {
        let client = self.client.get_or_insert_with(|| {
            Arc::new(Self::judged(
                self.event,
                self.network,
                self.user_agent,
                self.software,
                context,
            ))
        });
        Arc::clone(client)
    }

    fn judged(
        event: &Event,
        network: NetworkView<'_>,
        user_agent: &Arc<str>,
        software: &Software,
        context: &Context<'_>,
    ) -> Client {
        Client {
            time: event.time,
            network: Network::from_view(network, &event.source),
            user_agent: Arc::clone(user_agent),
            software: software.clone(),
            actor: event.actor.key.clone(),
            actor_kind: event.actor.kind,
            actor_name: event
                .actor
                .name
                .clone()
                .unwrap_or_else(|| Arc::clone(&event.actor.key.id)),
            evidence: Evidence::of(event),
            familiarity: NetworkFamiliarity::of(event, context),
        }
    }

    /// Returns the part of a client that makes it a distinct second client.
    fn key(&self) -> ClientKey {
        ClientKey {
            asn: self.network.asn,
            prefix: self.network.asn.is_none().then_some(self.network.prefix),
            country: self.network.country.map(str::to_ascii_lowercase),
            family: self.software.family.to_ascii_lowercase(),
            major: self.software.major,
        }
    }
}

impl Client {
    fn describe(&self) -> String {
        format!(
            "{address} ({network}, {place}) with {software} at {time}",
            address = self.network.address,
            network = self.network.name(),
            place = self.network.place,
            software = self.software,
            time = self.time.format("%Y-%m-%d %H:%M:%SZ"),
        )
    }

    fn facts(&self) -> Value {
        json!({
            "address": self.network.address.to_string(),
            "asn": self.network.asn,
            "asn_organization": self.network.asn_organization,
            "prefix": self.network.prefix.to_string(),
            "country": self.network.country,
            "place": self.network.place,
            "user_agent": self.user_agent,
            "software": self.software.to_string(),
            "identity": self.actor.to_string(),
            "time": self.time,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ClientKey {
    asn: Option<u32>,
    prefix: Option<ipnet::IpNet>,
    country: Option<String>,
    family: String,
    major: Option<u64>,
}

struct Track {
    /// Shared with the tracks of the other identifiers its event carried.
    origin: Arc<Client>,
    /// Second clients already reported, at most [`MAX_REPORTED_CLIENTS`].
    reported: Vec<ClientKey>,
}

impl Track {
    fn new(origin: Arc<Client>) -> Self {
        Self {
            origin,
            reported: Vec::new(),
        }
    }
}

/// One identifier of an event whose use differs from its origin.
struct Replay {
    provider: Provider,
    kind: IdentifierKind,
    fingerprint: String,
    origin: Arc<Client>,
    change: NetworkChange,
}

pub struct SessionReplay {
    settings: Settings,
    tracks: Tracks,
    user_agents: UserAgentCache,
}

/// The identifiers in use and their origins.
struct Tracks {
    max_lifetime: TimeDelta,
    token_lifetime: TimeDelta,
    sessions: ExpiringMap<IdentifierKey, Track>,
    /// Token identifiers, which expire sooner than sessions.
    tokens: ExpiringMap<IdentifierKey, Track>,
}

/// The identifiers of one event, with one slot per candidate of [`SessionReplay::identifiers`]
/// in the same order.
type Identifiers<'a> = [Option<(IdentifierKind, &'a Sensitive)>; 3];

impl SessionReplay {
    pub fn new(settings: &Settings) -> Self {
        Self {
            settings: settings.clone(),
            tracks: Tracks {
                max_lifetime: duration_from_secs(settings.max_lifetime_secs),
                token_lifetime: duration_from_secs(settings.token_lifetime_secs),
                sessions: ExpiringMap::new(duration_from_secs(settings.idle_timeout_secs)),
                tokens: ExpiringMap::new(duration_from_secs(
                    settings.token_lifetime_secs.min(settings.idle_timeout_secs),
                )),
            },
            user_agents: UserAgentCache::default(),
        }
    }

    /// Returns the identifiers an event carries, without repeating a value that appears
    /// under two kinds (Okta records often carry one value as both session and root session).
    fn identifiers(event: &Event) -> Identifiers<'_> {
        let session_kind = if event.format.provider() == Provider::Aws {
            IdentifierKind::TemporaryKey
        } else {
            IdentifierKind::Session
        };
        let candidates = [
            (session_kind, &event.session_id),
            (IdentifierKind::RootSession, &event.root_session_id),
            (IdentifierKind::Token, &event.token_id),
        ];
        let mut identifiers: Identifiers<'_> = [None; 3];
        for (index, (kind, value)) in candidates.into_iter().enumerate() {
            let Some(value) = value else {
                continue;
            };
            let repeated = identifiers
                .iter()
                .flatten()
                .any(|(_, known)| known.expose() == value.expose());
            if is_placeholder(value.expose()) || repeated {
                continue;
            }
            if let Some(slot) = identifiers.get_mut(index) {
                *slot = Some((kind, value));
            }
        }
        identifiers
    }
}

impl Tracks {
    /// Records one use of an identifier and returns the replay it shows, if any.
    fn track_use(
        &mut self,
        kind: IdentifierKind,
        value: &Sensitive,
        sighting: &mut Sighting<'_>,
        context: &Context<'_>,
    ) -> Option<Replay> {
        let provider = sighting.event.format.provider();
        let key = IdentifierRef {
            provider,
            kind,
            value,
        };
        let time = sighting.event.time;

        let (tracks, max_lifetime) = if kind == IdentifierKind::Token {
            (&mut self.tokens, self.token_lifetime.min(self.max_lifetime))
        } else {
            (&mut self.sessions, self.max_lifetime)
        };
        let mut created = false;
        let track = tracks.touch_or_insert_with(&key, time, || {
            created = true;
            Track::new(sighting.client(context))
        });
        if created {
            return None;
        }

        let since_origin = time - track.origin.time;
        if since_origin > max_lifetime {
            *track = Track::new(sighting.client(context));
            return None;
        }
        if -since_origin > max_lifetime {
            // A late event from before the origin's lifetime began.
            return None;
        }

        let change = track.origin.network.view().compare(&sighting.network);
        if !change.any() || track.origin.software.same_release(sighting.software) {
            return None;
        }

        let client_key = sighting.key();
        if track.reported.contains(&client_key) || track.reported.len() >= MAX_REPORTED_CLIENTS {
            return None;
        }
        track.reported.push(client_key);
        Some(Replay {
            provider,
            kind,
            // Computed only for a replay, which is rare, because a SHA-256 digest per use is costly.
            fingerprint: value.fingerprint(),
            origin: Arc::clone(&track.origin),
            change,
        })
    }
}

impl SessionReplay {
    fn finding(&self, replays: &[Replay], client: &Client, event: &Event) -> Option<Finding> {
        let primary = replays.first()?;
        // The origin normally came first; a late event can be older than it.
        let (first, second) = if primary.origin.time <= client.time {
            (&*primary.origin, client)
        } else {
            (client, &*primary.origin)
        };
        let change = primary.change;
        let gap = second.time - first.time;

        let mut differences = Vec::with_capacity(4);
        if change.asn {
            differences.push("autonomous system");
        }
        if change.prefix {
            differences.push(if first.network.address.is_ipv4() {
                "/24 prefix"
            } else {
                "/48 prefix"
            });
        }
        if change.country {
            differences.push("country");
        }
        differences.push("client software");
        let mut explanation = format!(
            "The {provider} {kind} {fingerprint} of {who} was first used from {first_client}, \
             then from {second_client}, {gap} later. The {differences} differ, so a second \
             client holds the {kind}.",
            provider = provider_label(primary.provider),
            kind = primary.kind.label(),
            fingerprint = primary.fingerprint,
            who = first.actor_name,
            first_client = first.describe(),
            second_client = second.describe(),
            gap = format_duration(gap),
            differences = join_words(&differences),
        );

        let mut confidence = 0.6;
        if change.asn {
            confidence += 0.15;
        }
        if change.country {
            confidence += 0.2;
        }
        let adjustment = adjust_confidence(
            f64::min(confidence, 1.0),
            &first.actor_name,
            &first.familiarity,
            &second.familiarity,
        );
        if let Some(sentence) = &adjustment.sentence {
            explanation.push(' ');
            explanation.push_str(sentence);
        }

        let mut attack = vec!["T1550"];
        for replay in replays {
            let technique = replay.kind.technique();
            if !attack.contains(&technique) {
                attack.push(technique);
            }
        }
        attack.push("T1078.004");

        let identifiers: Vec<Value> = replays
            .iter()
            .map(|replay| json!({"kind": replay.kind.as_str(), "fingerprint": replay.fingerprint}))
            .collect();
        let mut facts = serde_json::Map::new();
        facts.insert("provider".into(), json!(primary.provider.as_str()));
        facts.insert("identifier_kind".into(), json!(primary.kind.as_str()));
        facts.insert("fingerprint".into(), json!(primary.fingerprint));
        facts.insert("identifiers".into(), Value::Array(identifiers));
        facts.insert("first_client".into(), first.facts());
        facts.insert("second_client".into(), second.facts());
        facts.insert("asn_differs".into(), json!(change.asn));
        facts.insert("prefix_differs".into(), json!(change.prefix));
        facts.insert("country_differs".into(), json!(change.country));
        facts.insert("gap_seconds".into(), json!(gap.num_seconds()));
        facts.insert(
            "idle_timeout_secs".into(),
            json!(self.settings.idle_timeout_secs),
        );
        facts.insert(
            "max_lifetime_secs".into(),
            json!(self.settings.max_lifetime_secs),
        );
        if let Some(baseline) = adjustment.facts {
            facts.insert("baseline".into(), baseline);
        }

        // Both clients are of the event's actor unless the identifier moved between identities.
        let describe = |client: &Client| {
            if client.actor == event.actor.key {
                event.actor.clone()
            } else {
                let mut other = IdentityRef::new(
                    client.actor.provider,
                    client.actor.id.clone(),
                    client.actor_kind,
                );
                other.name = Some(client.actor_name.clone());
                other
            }
        };
        let identity = describe(first);
        let related = if first.actor == second.actor {
            Vec::new()
        } else {
            vec![describe(second)]
        };
        Some(Finding {
            detection: ID,
            severity: Severity::High,
            confidence: Confidence::new(adjustment.confidence),
            identity,
            first_seen: first.time,
            last_seen: second.time,
            evidence: vec![first.evidence.clone(), second.evidence.clone()],
            explanation,
            attack,
            facts,
            related,
        })
    }
}

/// Joins words as a list in a sentence: "a", "a and b", "a, b and c".
fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Detector for SessionReplay {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        let identifiers = Self::identifiers(event);
        if identifiers.iter().all(Option::is_none) {
            return;
        }
        let Some(mut sighting) = Sighting::of(event, &mut self.user_agents) else {
            return;
        };
        let replays: Vec<Replay> = identifiers
            .into_iter()
            .flatten()
            .filter_map(|(kind, value)| self.tracks.track_use(kind, value, &mut sighting, context))
            .collect();
        if replays.is_empty() {
            return;
        }
        let client = sighting.client(context);
        if let Some(finding) = self.finding(&replays, &client, event) {
            findings.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run, run_with_baselines};
    use riposte_model::{Activity, CredentialKind, IpClass, Origin, SourceFormat};

    const CHROME_124: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const CHROME_125: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36";
    const FIREFOX_125: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    const SESSION: &str = "102aBcDeFgHiJkLmNoPqRsTuV";
    const ASIA_KEY: &str = "ASIAEXAMPLEKEY7QWERTY";

    fn detector() -> SessionReplay {
        SessionReplay::new(&Settings::default())
    }

    /// Starts an Okta event of alice in Paris, on AS64500, with Chrome 124.
    fn okta_in_paris(time: &str) -> EventBuilder {
        EventBuilder::new("alice@example.com", time)
            .ip("203.0.113.10")
            .asn(64500, "Example Telecom")
            .geo(48.8566, 2.3522, "France", "Paris")
            .user_agent(CHROME_124)
            .session(SESSION)
    }

    /// Starts an Okta event from Lagos, on AS64511, with Firefox 125.
    fn okta_in_lagos(time: &str) -> EventBuilder {
        EventBuilder::new("alice@example.com", time)
            .id(&format!("lagos@{time}"))
            .ip("198.51.100.20")
            .asn(64511, "Example Hosting")
            .geo(6.5244, 3.3792, "Nigeria", "Lagos")
            .user_agent(FIREFOX_125)
            .session(SESSION)
            .activity(Activity::ApiCall, "app.generic.unauth_app_access_attempt")
    }

    fn aws_call(time: &str, ip: &str, asn: u32, user_agent: &str) -> EventBuilder {
        EventBuilder::new("unused", time)
            .role_session("111111111111", "Deploy", "alice@example.com")
            .activity(Activity::ApiCall, "ListBuckets")
            .interactive(None)
            .credential(CredentialKind::TemporaryKey, Some(ASIA_KEY))
            .session(ASIA_KEY)
            .ip(ip)
            .asn(asn, "Example Network")
            .user_agent(user_agent)
    }

    #[test]
    fn okta_session_from_another_country_and_browser_fires() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z").build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        let fingerprint = Sensitive::new(SESSION).fingerprint();
        assert_eq!(finding.detection, "session_replay");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.95);
        assert_eq!(finding.identity.key.to_string(), "okta:alice@example.com");
        assert_eq!(finding.evidence.len(), 2);
        assert_eq!(finding.attack, vec!["T1550", "T1550.004", "T1078.004"]);
        assert_eq!(finding.facts["identifier_kind"], json!("session"));
        assert_eq!(finding.facts["fingerprint"], json!(fingerprint));
        assert_eq!(
            finding.facts["first_client"]["software"],
            json!("Chrome 124")
        );
        assert_eq!(
            finding.facts["second_client"]["software"],
            json!("Firefox 125")
        );
        assert_eq!(finding.facts["country_differs"], json!(true));
        assert_eq!(
            finding.explanation,
            format!(
                "The Okta session {fingerprint} of alice@example.com was first used from \
                 203.0.113.10 (AS64500 Example Telecom, Paris, France) with Chrome 124 at \
                 2024-05-01 09:00:00Z, then from 198.51.100.20 (AS64511 Example Hosting, Lagos, \
                 Nigeria) with Firefox 125 at 2024-05-01 09:40:00Z, 40 min later. The \
                 autonomous system, country and client software differ, so a second client \
                 holds the session."
            )
        );
    }

    #[test]
    fn raw_session_never_appears_in_the_finding() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z")
                .with(|event| event.root_session_id = Some(Sensitive::new("rootSecretValue42")))
                .build(),
            okta_in_lagos("2024-05-01T09:40:00Z")
                .with(|event| event.root_session_id = Some(Sensitive::new("rootSecretValue42")))
                .build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let json = serde_json::to_string(&findings[0]).unwrap();
        assert!(!json.contains(SESSION), "{json}");
        assert!(!json.contains("rootSecretValue42"), "{json}");
        assert!(!findings[0].explanation.contains(SESSION));
        assert_eq!(
            findings[0].facts["identifiers"].as_array().unwrap().len(),
            2
        );
    }

    #[test]
    fn address_change_within_asn_is_quiet() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_paris("2024-05-01T11:00:00Z")
                .id("second")
                .ip("198.51.100.77")
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn browser_update_on_same_network_is_quiet() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_paris("2024-05-01T10:00:00Z")
                .id("second")
                .user_agent(CHROME_125)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn roaming_with_same_browser_is_quiet() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T10:00:00Z")
                .user_agent(CHROME_124)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn identifier_past_idle_timeout_is_quiet() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T21:00:01Z").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
        // Exactly at the idle timeout the session is still in use.
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T21:00:00Z").build(),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn identifier_past_max_lifetime_is_quiet() {
        // Used every 10 hours, so never idle, but the third use is 30 hours after the first.
        let events = [
            okta_in_paris("2024-05-01T00:00:00Z").build(),
            okta_in_paris("2024-05-01T10:00:00Z").id("b").build(),
            okta_in_paris("2024-05-01T20:00:00Z").id("c").build(),
            okta_in_lagos("2024-05-02T06:00:00Z").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn idle_timeout_follows_settings() {
        let settings = Settings {
            idle_timeout_secs: 1800,
            ..Settings::default()
        };
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z").build(),
        ];
        assert!(run(&mut SessionReplay::new(&settings), &events).is_empty());
        let huge = Settings {
            idle_timeout_secs: u64::MAX,
            max_lifetime_secs: u64::MAX,
            ..Settings::default()
        };
        assert_eq!(run(&mut SessionReplay::new(&huge), &events).len(), 1);
    }

    #[test]
    fn failed_events_are_ignored() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z").failed().build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
        let unknown = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z")
                .outcome(Outcome::Unknown)
                .build(),
        ];
        assert_eq!(run(&mut detector(), &unknown).len(), 1);
    }

    #[test]
    fn identifier_ref_finds_its_key() {
        use std::hash::BuildHasher;

        let hasher = foldhash::fast::FixedState::with_seed(7);
        let value = Sensitive::new("idxBager62CSveUkTxvgRtonA");
        let borrowed = IdentifierRef {
            provider: Provider::Okta,
            kind: IdentifierKind::RootSession,
            value: &value,
        };
        let key = borrowed.to_key();
        assert!(borrowed.equivalent(&key));
        assert_eq!(hasher.hash_one(borrowed), hasher.hash_one(&key));
        let other_kind = IdentifierRef {
            kind: IdentifierKind::Session,
            ..borrowed
        };
        assert!(!other_kind.equivalent(&key));
    }

    #[test]
    fn second_client_is_reported_once() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z").build(),
            okta_in_lagos("2024-05-01T09:45:00Z").build(),
            okta_in_lagos("2024-05-01T09:50:00Z")
                .ip("198.51.100.21")
                .build(),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn aws_temporary_key_replay_fires() {
        let events = [
            aws_call(
                "2024-05-01T09:00:00Z",
                "203.0.113.80",
                64500,
                "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
            )
            .build(),
            aws_call(
                "2024-05-01T09:20:00Z",
                "198.51.100.90",
                64511,
                "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 lang/python#3.11.8 \
                 Botocore/1.34.0",
            )
            .id("second")
            .build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.facts["identifier_kind"], json!("temporary_key"));
        assert_eq!(finding.attack, vec!["T1550", "T1550.001", "T1078.004"]);
        assert_eq!(finding.confidence.value(), 0.75);
        assert!(
            finding
                .explanation
                .starts_with("The AWS temporary key sha256:")
        );
        // Access key ids are public identifiers, so the evidence may name the key used; the
        // explanation and facts refer to the session by fingerprint only.
        assert!(!finding.explanation.contains(ASIA_KEY));
        assert!(
            !serde_json::to_string(&finding.facts)
                .unwrap()
                .contains(ASIA_KEY)
        );
    }

    #[test]
    fn aws_service_origin_never_counts() {
        let events = [
            aws_call(
                "2024-05-01T09:00:00Z",
                "203.0.113.80",
                64500,
                "aws-cli/2.15.30 Python/3.11.8",
            )
            .build(),
            aws_call(
                "2024-05-01T09:10:00Z",
                "cloudformation.amazonaws.com",
                64511,
                "cloudformation.amazonaws.com",
            )
            .id("service")
            .build(),
            aws_call(
                "2024-05-01T09:20:00Z",
                "203.0.113.80",
                64500,
                "Boto3/1.34.0 Botocore/1.34.0",
            )
            .origin(Origin::AwsInternal)
            .id("internal")
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn service_origin_never_becomes_the_origin_client() {
        // Had the service call become the origin, the laptop call would look like a replay.
        let events = [
            aws_call(
                "2024-05-01T09:00:00Z",
                "lambda.amazonaws.com",
                64511,
                "Boto3/1.34.0 Botocore/1.34.0",
            )
            .build(),
            aws_call(
                "2024-05-01T09:10:00Z",
                "203.0.113.80",
                64500,
                "aws-cli/2.15.30 Python/3.11.8",
            )
            .id("laptop")
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn console_written_agents_are_ignored() {
        let events = [
            aws_call("2024-05-01T09:00:00Z", "203.0.113.80", 64500, CHROME_124).build(),
            aws_call(
                "2024-05-01T09:10:00Z",
                "198.51.100.90",
                64511,
                "console.amazonaws.com",
            )
            .id("console")
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn private_addresses_are_ignored() {
        let events = [
            aws_call(
                "2024-05-01T09:00:00Z",
                "10.0.3.17",
                64500,
                "aws-sdk-go/1.44.221 (go1.19.6; linux; amd64)",
            )
            .ip_class(IpClass::Private)
            .build(),
            aws_call(
                "2024-05-01T09:10:00Z",
                "203.0.113.80",
                16509,
                "aws-cli/2.15.30 Python/3.11.8",
            )
            .id("public")
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn unknown_asn_compares_prefixes() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z")
                .with(|event| event.source.asn = None)
                .build(),
            okta_in_paris("2024-05-01T09:30:00Z")
                .id("same-prefix")
                .ip("203.0.113.99")
                .user_agent(FIREFOX_125)
                .with(|event| event.source.asn = None)
                .build(),
            okta_in_paris("2024-05-01T09:40:00Z")
                .id("other-prefix")
                .ip("192.0.2.33")
                .user_agent(FIREFOX_125)
                .with(|event| event.source.asn = None)
                .build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].facts["prefix_differs"], json!(true));
        assert_eq!(findings[0].confidence.value(), 0.6);
        assert!(
            findings[0]
                .explanation
                .contains("The /24 prefix and client software differ")
        );
    }

    #[test]
    fn entra_token_replay_fires() {
        let entra = |time: &str, ip: &str, asn: u32, user_agent: &str| {
            EventBuilder::new("bob@example.org", time)
                .id(time)
                .format(SourceFormat::EntraSignIn)
                .ip(ip)
                .asn(asn, "Example Network")
                .user_agent(user_agent)
                .token("ZmFrZS11bmlxdWUtdG9rZW4")
                .build()
        };
        let events = [
            entra("2024-05-01T09:00:00Z", "203.0.113.10", 64500, CHROME_124),
            entra(
                "2024-05-01T09:05:00Z",
                "198.51.100.20",
                64511,
                "python-requests/2.31.0",
            ),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].facts["identifier_kind"], json!("token"));
        assert_eq!(findings[0].facts["provider"], json!("entra"));
        assert!(
            findings[0]
                .explanation
                .starts_with("The Entra token sha256:")
        );
    }

    #[test]
    fn same_value_in_other_provider_is_separate() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z")
                .format(SourceFormat::EntraSignIn)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn late_event_orders_clients_by_time() {
        let events = [
            okta_in_paris("2024-05-01T09:40:00Z").build(),
            okta_in_lagos("2024-05-01T09:00:00Z").build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert!(finding.first_seen <= finding.last_seen);
        assert_eq!(
            finding.facts["first_client"]["software"],
            json!("Firefox 125")
        );
        assert_eq!(finding.facts["gap_seconds"], json!(2400));
    }

    #[test]
    fn reported_clients_per_identifier_are_capped() {
        let mut events = vec![okta_in_paris("2024-05-01T09:00:00Z").build()];
        for index in 0..40_u32 {
            events.push(
                okta_in_lagos("2024-05-01T09:40:00Z")
                    .id(&format!("client-{index}"))
                    .asn(65000 + index, "Example Hosting")
                    .build(),
            );
        }
        let mut detector = detector();
        assert_eq!(run(&mut detector, &events).len(), MAX_REPORTED_CLIENTS);
        assert_eq!(detector.tracks.sessions.len(), 1);
    }

    #[test]
    fn placeholder_identifiers_are_ignored() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z")
                .session("unknown")
                .build(),
            okta_in_lagos("2024-05-01T09:40:00Z")
                .session("unknown")
                .build(),
        ];
        let mut detector = detector();
        assert!(run(&mut detector, &events).is_empty());
        assert_eq!(detector.tracks.sessions.len(), 0);
    }

    #[test]
    fn placeholder_user_agent_is_no_client() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z")
                .user_agent("unknown")
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn events_without_identifier_or_agent_are_ignored() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z")
                .with(|event| event.source.user_agent = None)
                .build(),
            okta_in_lagos("2024-05-01T09:45:00Z")
                .with(|event| event.session_id = None)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    /// Twelve days of sign-ins, each with its own session: Paris on odd days, and Lagos on
    /// even days when `lagos` is set.
    fn sign_in_history(lagos: bool) -> Vec<Event> {
        (1..=12)
            .map(|day| {
                let time = format!("2024-04-{day:02}T09:00:00Z");
                let event = if lagos && day % 2 == 0 {
                    okta_in_lagos(&time).activity(Activity::SignIn, "user.session.start")
                } else {
                    okta_in_paris(&time)
                };
                event.session(&format!("history-session-{day}")).build()
            })
            .collect()
    }

    #[test]
    fn known_network_of_second_client_lowers_confidence() {
        let mut events = sign_in_history(true);
        events.push(okta_in_paris("2024-05-01T09:00:00Z").build());
        events.push(okta_in_lagos("2024-05-01T09:40:00Z").build());
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert!((finding.confidence.value() - 0.75).abs() < 1e-9);
        assert_eq!(
            finding.facts["baseline"]["second_network"]["state"],
            json!("familiar")
        );
        assert!(
            finding.explanation.ends_with(
                " alice@example.com has used AS64511 from Nigeria before, so the confidence is \
                 lowered from 0.95 to 0.75."
            ),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn new_network_of_second_client_raises_confidence() {
        let mut events = sign_in_history(false);
        events.push(okta_in_paris("2024-05-01T09:00:00Z").build());
        events.push(okta_in_lagos("2024-05-01T09:40:00Z").build());
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.confidence.value(), 1.0);
        assert_eq!(finding.facts["baseline"]["confidence_change"], json!(0.05));
        assert!(
            finding.explanation.ends_with(
                " AS64511 is new for alice@example.com, so the confidence is raised from 0.95 \
                 to 1.00."
            ),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn learning_baseline_keeps_confidence() {
        let events = [
            okta_in_paris("2024-05-01T09:00:00Z").build(),
            okta_in_lagos("2024-05-01T09:40:00Z").build(),
        ];
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].confidence.value(), 0.95);
        assert!(!findings[0].facts.contains_key("baseline"));
    }
}

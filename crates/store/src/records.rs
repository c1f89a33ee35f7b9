//! The rows of the state file as Rust values: what a [`Batch`](crate::Batch) writes and what
//! the reads return.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use riposte_model::{Finding, IdentityKey, IdentityKind, Incident, Provider, Severity, Timestamp};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// The id of an identity inside one state file, and whether the file contains it yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedId {
    pub id: i64,
    /// True when no committed batch has written this identity: its id was allocated by
    /// [`Store::resolve_identity`](crate::Store::resolve_identity) and no baseline or link can
    /// exist for it in the file.
    pub is_new: bool,
}

/// The changes one batch makes to an identity. They are merged into the stored row as
/// documented on each field, so that a batch carries only what its own events saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityUpsert {
    /// The id from [`Store::resolve_identity`](crate::Store::resolve_identity).
    pub id: i64,
    pub key: IdentityKey,
    /// The kind the log states. Replaces the stored kind, except that
    /// [`IdentityKind::Unknown`] never replaces a known kind.
    pub kind: IdentityKind,
    /// The kind the inventory declares. Always replaces the stored value, so `None` clears an
    /// override that the inventory no longer declares.
    pub kind_override: Option<Box<str>>,
    /// Replaces the stored name when set; `None` keeps it.
    pub display_name: Option<Arc<str>>,
    /// Replaces the stored address when set, unless the two differ only in ASCII case; `None`
    /// keeps it.
    pub email: Option<Arc<str>>,
    /// The earliest event time of this batch; the stored value becomes the minimum.
    pub first_seen: Timestamp,
    /// The latest event time of this batch; the stored value becomes the maximum.
    pub last_seen: Timestamp,
    /// Events of this identity in this batch, added to the stored count.
    pub new_events: u64,
    /// Authentications of this identity in this batch, added to the stored count.
    pub new_authentications: u64,
}

/// An identity as stored in the state file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityRecord {
    pub id: i64,
    pub key: IdentityKey,
    /// The kind the log stated last.
    pub kind: IdentityKind,
    /// The kind the inventory declares, which wins over `kind`.
    pub kind_override: Option<Box<str>>,
    pub display_name: Option<Box<str>>,
    pub email: Option<Box<str>>,
    /// Event time of the earliest event seen, truncated to the millisecond.
    pub first_seen: Timestamp,
    /// Event time of the latest event seen, truncated to the millisecond.
    pub last_seen: Timestamp,
    pub event_count: u64,
    pub authentication_count: u64,
}

impl IdentityRecord {
    /// Returns the inventory's kind when it declares one, else the logged kind.
    pub fn effective_kind(&self) -> &str {
        self.kind_override.as_deref().unwrap_or(self.kind.as_str())
    }
}

/// Filters and position of one page of [`Store::list_identities`](crate::Store::list_identities).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityFilter {
    /// Only identities whose effective kind (the inventory's, else the logged one) is this.
    pub kind: Option<String>,
    pub provider: Option<Provider>,
    /// Only identities with a larger id: the id of the last row of the previous page.
    pub after_id: Option<i64>,
    /// The maximum number of rows of the page.
    pub limit: usize,
}

impl Default for IdentityFilter {
    fn default() -> Self {
        Self {
            kind: None,
            provider: None,
            after_id: None,
            limit: 100,
        }
    }
}

/// The source from which a link between two identities was learned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkSource {
    /// Both accounts are listed under one person or workload in the inventory file.
    Inventory,
    /// An AWS role session named after the user of the identity provider that federated it.
    FederationSessionName,
    /// The `sourceIdentity` of an AWS role session equals the user's login or e-mail address.
    SourceIdentity,
    /// An AWS IAM Identity Center user id names the user.
    IdentityCenter,
    /// An Entra user principal name equals the login or address of the other account.
    Upn,
    /// Both accounts carry the same e-mail address.
    Email,
}

impl LinkSource {
    pub const ALL: [Self; 6] = [
        Self::Inventory,
        Self::FederationSessionName,
        Self::SourceIdentity,
        Self::IdentityCenter,
        Self::Upn,
        Self::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inventory => "inventory",
            Self::FederationSessionName => "federation_session_name",
            Self::SourceIdentity => "source_identity",
            Self::IdentityCenter => "identity_center",
            Self::Upn => "upn",
            Self::Email => "email",
        }
    }
}

impl fmt::Display for LinkSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkSource {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|source| source.as_str() == text)
            .ok_or(())
    }
}

/// A link between two identities of one person or workload. Links are undirected: the store
/// keeps one row for `a`-`b` and `b`-`a`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub a: i64,
    pub b: i64,
    pub source: LinkSource,
    /// The evidence of the link, such as the id of the event that carried it.
    pub evidence: Option<Box<str>>,
    /// Event time at which the link was seen. The stored value becomes the earliest, and the
    /// evidence kept is that of the earliest.
    pub first_seen: Timestamp,
}

/// A link as seen from one of its identities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// The identity at the other end.
    pub other: i64,
    pub source: LinkSource,
    pub evidence: Option<Box<str>>,
    pub first_seen: Timestamp,
}

/// The serialized baseline of one identity. The store keeps `data` as it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    pub identity_id: i64,
    /// The version of the serialization format of `data`, so that a reader can reject or
    /// convert an older layout.
    pub format_version: u32,
    pub data: Vec<u8>,
    /// Event time of the last event the baseline learned from.
    pub updated_at: Timestamp,
}

/// A privilege seen granted to an identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivilegeSeen {
    pub identity_id: i64,
    /// The policy, role or permission name as the provider writes it.
    pub privilege: Box<str>,
    /// True for administrator-level privileges. Once true for an identity and privilege, it
    /// stays true.
    pub admin: bool,
    /// Event time of the grant. The stored value becomes the earliest.
    pub first_seen: Timestamp,
    /// The event that granted it; the stored one is that of the earliest grant.
    pub event_id: Box<str>,
}

/// A finding with the columns that queries filter on, and the whole finding as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRecord {
    /// Stable across runs: see [`finding_id`].
    pub id: String,
    pub detection: Box<str>,
    pub severity: Severity,
    pub identity_id: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The finding serialized as JSON text.
    pub record: String,
}

impl FindingRecord {
    /// Serializes a finding about the identity `identity_id`, with the id from
    /// [`finding_id`].
    pub fn from_finding(identity_id: i64, finding: &Finding) -> Result<Self, StoreError> {
        let id = finding_id(finding);
        let record = serde_json::to_string(finding).map_err(|source| StoreError::Serialize {
            what: format!("finding `{id}`"),
            source,
        })?;
        Ok(Self {
            detection: finding.detection.into(),
            severity: finding.severity,
            identity_id,
            first_seen: finding.first_seen,
            last_seen: finding.last_seen,
            record,
            id,
        })
    }
}

/// Returns `FND-` and 16 hex digits of the SHA-256 of the detection, the identity key, the
/// first event time and the first evidence event id.
///
/// A finding whose later evidence grows keeps its id, so writing it again replaces the stored
/// row instead of adding one.
pub fn finding_id(finding: &Finding) -> String {
    let first_event = finding
        .evidence
        .first()
        .map(|evidence| evidence.event_id.as_ref())
        .unwrap_or("");
    let text = format!(
        "{}|{}|{}|{}",
        finding.detection,
        finding.identity.key,
        finding
            .first_seen
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        first_event
    );
    let digest = Sha256::digest(text.as_bytes());
    let mut id = String::from("FND-");
    for byte in digest.iter().take(8) {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// An incident with the columns that queries filter on, and the whole incident as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRecord {
    pub id: String,
    pub severity: Severity,
    /// The identity the incident is about.
    pub identity_id: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The incident serialized as JSON text.
    pub record: String,
}

impl IncidentRecord {
    /// Serializes an incident about the identity `identity_id`, keeping the incident's own id.
    pub fn from_incident(identity_id: i64, incident: &Incident) -> Result<Self, StoreError> {
        let record = serde_json::to_string(incident).map_err(|source| StoreError::Serialize {
            what: format!("incident `{}`", incident.id),
            source,
        })?;
        Ok(Self {
            id: incident.id.clone(),
            severity: incident.severity,
            identity_id,
            first_seen: incident.first_seen,
            last_seen: incident.last_seen,
            record,
        })
    }
}

/// How far one input file has been read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The path as the reader named it; the store compares paths as text, so the caller
    /// chooses one spelling (canonical paths are the safe choice).
    pub path: PathBuf,
    /// The file's size in bytes when the checkpoint was taken.
    pub file_size: u64,
    /// Bytes of the file consumed: the next read starts here.
    pub offset: u64,
    /// The number of leading bytes `head_sha256` covers: 4096, or the file size when smaller.
    pub head_len: u64,
    /// The SHA-256 of the first `head_len` bytes, as 64 lowercase hex digits.
    pub head_sha256: String,
    /// Records read from the file so far.
    pub records_read: u64,
    /// Wall-clock time of the checkpoint.
    pub updated_at: Timestamp,
}

/// The counters of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub records: u64,
    pub rejected: u64,
    pub findings: u64,
}

/// Whether a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Started and not finished: still running, or stopped without finishing (killed).
    Running,
    Completed,
    Failed,
}

impl RunStatus {
    pub const ALL: [Self; 3] = [Self::Running, Self::Completed, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One command run against the state file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    /// The command line or subcommand name, as the caller gave it.
    pub command: String,
    /// Wall-clock start.
    pub started_at: Timestamp,
    /// Wall-clock end, when the run finished.
    pub finished_at: Option<Timestamp>,
    pub counts: RunCounts,
    pub status: RunStatus,
}

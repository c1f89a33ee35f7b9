//! The normalized event, finding and incident types that every riposte stage shares.
//!
//! Stages are named after the form of the data they hold: a raw record becomes a normalized
//! [`Event`], enrichment fills its [`Source`], detections turn events into [`Finding`]s, and
//! correlation groups findings into an [`Incident`] with a containment [`Plan`].

mod event;
mod finding;
mod identity;
mod incident;
mod network;
mod sensitive;
mod text;

pub use event::{
    Activity, Credential, CredentialKind, Event, EventClass, MfaMethod, Outcome, Privilege,
    PrivilegeKind, Provider, RecordLocation, RiskDetection, SourceFormat, Target, TargetKind,
};
pub use finding::{Confidence, Evidence, Finding, Severity};
pub use identity::{IdentityKey, IdentityKind, IdentityRef, RoleSession};
pub use incident::{BlastRadiusSummary, Incident, Plan, PlanStatus, PlannedAction, ResponseStep};
pub use network::{Asn, Geo, GeoSource, IpClass, Origin, Source};
pub use sensitive::Sensitive;
pub use text::trim;

/// Event time in UTC, with nanosecond precision.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

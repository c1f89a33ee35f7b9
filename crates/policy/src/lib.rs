//! Decides with Cedar policies whether a containment action runs automatically, runs after a
//! person approves it, or is only recommended.
//!
//! Each action is one Cedar authorization request. The principal is riposte's responder
//! (`Riposte::Responder::"engine"`) and the action is the containment action
//! (`Riposte::Action::"deactivate_access_key"`). The resource is the identity the action
//! contains, with its kind, provider and blast-radius tier. The context is the incident: its
//! detections, confidence and severity. The schema is `policies/schema.cedarschema` at the
//! root of the repository, built into the crate as [`SCHEMA_SOURCE`].
//!
//! Every policy carries two annotations: `@id`, the name the audit record gives it, and
//! `@decision`, `"execute"` or `"approve"`, the level it speaks for. [`PolicyEngine::decide`]
//! asks Cedar twice. First with the policies of level `execute`: when they allow the action, it
//! runs automatically. Then with every policy but the forbids of level `execute`: when they
//! allow it, it runs after approval. Otherwise it is only recommended. A `forbid` wins over any
//! `permit` at the level it speaks for, as Cedar always decides.

mod engine;
mod error;
mod load;
mod request;
mod schema;

pub use engine::{DecidingPolicy, Decision, Effect, Level, PolicyDecision, PolicyEngine};
pub use error::{DecideError, PolicyError, PolicyErrorKind};
pub use load::{validate, validate_file};
pub use request::{IdentityAttributes, IncidentContext, Tier};
pub use schema::PolicySchema;

/// The default response policy, `policies/default.cedar`.
pub const DEFAULT_POLICY: &str = include_str!("../../../policies/default.cedar");

/// The Cedar schema every policy is validated against, `policies/schema.cedarschema`.
pub const SCHEMA_SOURCE: &str = include_str!("../../../policies/schema.cedarschema");

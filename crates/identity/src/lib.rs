//! Identity resolution, the identity inventory and blast radius: who is behind an account in
//! each provider, what kind of identity it is, and what breaks if it is contained.
//!
//! - [`Inventory`] reads and validates the inventory file (people, non-human identities,
//!   break-glass accounts, networks).
//! - [`IdentityGraph`] links the accounts of one person or workload from the inventory and
//!   from what events reveal, and resolves a key to its [`ResolvedIdentity`].
//! - [`blast_radius`] rates what an identity reaches and what depends on it, and
//!   [`containment_constraints`] states what a containment plan may do to it.

mod blast;
mod email;
mod graph;
mod inventory;
mod key;
mod kind;

pub use blast::{
    BlastRadius, BlastRadiusSettings, Constraints, Disablement, GrantedPrivilege, ObservedUsage,
    RevocationScope, Tier, blast_radius, blast_radius_with, containment_constraints,
    containment_constraints_with, is_admin_equivalent,
};
pub use email::normalize_email;
pub use graph::{
    Conflict, EntityId, Evidence, GraphLimits, IdentityGraph, KindConflict, Link, LinkConflict,
    LinkRecord, LinkSource, LinkedAccount, ResolvedIdentity,
};
pub use inventory::{
    Accounts, AwsAccounts, EntraAccount, GithubAccount, Inventory, InventoryError,
    InventoryErrorKind, InventoryErrors, MAX_INVENTORY_BYTES, Networks, NonHumanIdentity,
    OktaAccount, Person, RoleSessionPattern,
};
pub use key::{KeyError, PROVIDERS, parse_identity_key, parse_provider};
pub use kind::{Criticality, Environment, NhiKind, ResolvedKind};

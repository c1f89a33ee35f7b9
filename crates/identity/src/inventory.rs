//! The inventory file: the people, non-human identities, break-glass accounts and networks an
//! organisation declares, read from YAML and validated at load.
//!
//! The format is documented with a complete example in `docs/inventory.md`.

mod error;
mod index;
mod read;
#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use ipnet::IpNet;
use riposte_model::IdentityKey;
use serde::Serialize;

use crate::kind::{Criticality, Environment, NhiKind};

pub use error::{InventoryError, InventoryErrorKind, InventoryErrors};
pub(crate) use index::{Claim, ClaimSource, Entity};

/// Maximum size of an inventory file, in bytes. As an estimate, 100,000 people written as in
/// `examples/inventory.yaml` (about 480 bytes each) take 46 MiB.
pub const MAX_INVENTORY_BYTES: u64 = 64 * 1024 * 1024;

/// A validated inventory.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub people: Vec<Person>,
    pub non_human_identities: Vec<NonHumanIdentity>,
    /// Accounts kept for emergencies, which containment never disables automatically.
    pub break_glass: Vec<IdentityKey>,
    pub networks: Networks,
    index: index::Index,
}

/// A person and the person's accounts in each provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: Option<Box<str>>,
    /// The person's e-mail address, in lowercase. It names the person inside riposte:
    /// `person:alice@example.com`.
    pub email: Box<str>,
    pub accounts: Accounts,
    /// The line on which the person's entry starts.
    pub line: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Accounts {
    pub okta: Option<OktaAccount>,
    pub entra: Option<EntraAccount>,
    pub aws: AwsAccounts,
    pub github: Option<GithubAccount>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OktaAccount {
    /// The Okta user id, such as `00uX7UKJJKP1SWh7yHw2`.
    pub user_id: Option<Box<str>>,
    /// The Okta login (`alternateId`), usually an e-mail address.
    pub login: Option<Box<str>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntraAccount {
    /// The user's object id, a GUID, in lowercase.
    pub object_id: Option<Box<str>>,
    /// The user principal name, in lowercase.
    pub upn: Option<Box<str>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AwsAccounts {
    /// ARNs of the person's IAM users: `arn:aws:iam::111111111111:user/alice`.
    pub iam_users: Vec<Box<str>>,
    /// IAM Identity Center user ids, optionally preceded by the identity store id
    /// (`d-1234567890/9067...`).
    pub identity_center_users: Vec<Box<str>>,
    /// Role sessions that belong to the person.
    pub role_sessions: Vec<RoleSessionPattern>,
}

/// A role session the inventory gives to a person, in one of three precisions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "match", rename_all = "snake_case")]
pub enum RoleSessionPattern {
    /// A session name in any role of any account: `alice`.
    Name { session: Box<str> },
    /// A session name in one role of any account: `Engineering/alice`.
    InRole { role: Box<str>, session: Box<str> },
    /// One session ARN: `arn:aws:sts::111111111111:assumed-role/Engineering/alice`.
    Arn {
        account: Box<str>,
        role: Box<str>,
        session: Box<str>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GithubAccount {
    pub login: Box<str>,
}

/// A non-human identity: a key, role, service principal, application or token a workload
/// uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NonHumanIdentity {
    /// The identity as riposte keys it. An AWS role ARN also covers every session of the role.
    pub key: IdentityKey,
    pub name: Option<Box<str>>,
    pub kind: NhiKind,
    /// E-mail address of the person or team responsible for the identity.
    pub owner: Option<Box<str>>,
    pub environment: Option<Environment>,
    /// Names of the pipelines and services that use the identity.
    pub dependents: Vec<Box<str>>,
    pub criticality: Option<Criticality>,
    /// Other keys of the same workload, such as the Entra service principal of a workload
    /// that also has an AWS role.
    pub aliases: Vec<IdentityKey>,
    /// Free-form labels, such as `pci` or `customer-facing`, that response policies may test.
    pub tags: Vec<Box<str>>,
    pub description: Option<Box<str>>,
    /// The line on which the entry starts.
    pub line: usize,
}

/// Address ranges the organisation declares as its own, with the meaning of the
/// configuration's `[networks]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Networks {
    pub corporate_egress: Vec<IpNet>,
    pub vpn: Vec<IpNet>,
}

impl Inventory {
    /// Reads and validates the inventory at `path`. Returns every problem found, each with
    /// its line and column.
    pub fn load(path: &Path) -> Result<Self, InventoryErrors> {
        let file: Arc<Path> = Arc::from(path);
        let whole_file = |kind| {
            InventoryErrors(vec![InventoryError {
                file: Arc::clone(&file),
                line: 0,
                column: 0,
                kind,
            }])
        };
        let read_error = |error: std::io::Error| {
            whole_file(InventoryErrorKind::Read {
                reason: error.to_string(),
            })
        };

        let handle = std::fs::File::open(path).map_err(read_error)?;
        let mut text = String::new();
        // One byte over the limit is enough to tell that the file is too large.
        let read = handle
            .take(MAX_INVENTORY_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(read_error)?;
        if read as u64 > MAX_INVENTORY_BYTES {
            let size = std::fs::metadata(path).map_or(read as u64, |metadata| metadata.len());
            return Err(whole_file(InventoryErrorKind::TooLarge {
                size,
                limit: MAX_INVENTORY_BYTES,
            }));
        }
        Self::parse(&text, path)
    }

    /// Validates inventory text. `file` names the source in error messages.
    pub fn parse(text: &str, file: &Path) -> Result<Self, InventoryErrors> {
        let file: Arc<Path> = Arc::from(file);
        let mut draft = read::read(text).map_err(|problems| errors_at(&file, problems))?;
        let (index, problems) = index::Index::build(&draft);
        draft.problems.extend(problems);
        if !draft.problems.is_empty() {
            return Err(errors_at(&file, draft.problems));
        }
        Ok(Self {
            people: draft.people,
            non_human_identities: draft.non_human_identities,
            break_glass: draft.break_glass,
            networks: draft.networks,
            index,
        })
    }

    /// Returns the entity the inventory names as the owner of `key`, if any. Declared accounts
    /// of people come first, then the roles of non-human identities whose sessions `key` is.
    pub(crate) fn claim(&self, key: &IdentityKey) -> Option<Claim> {
        self.index.claim(key)
    }

    /// Returns the entity that the inventory names `key` for, leaving out role sessions
    /// matched only through their role.
    pub(crate) fn claim_declared(&self, key: &IdentityKey) -> Option<Claim> {
        self.index.claim_declared(key)
    }

    /// Returns the non-human identity whose role `role_arn` is, as a session's role ARN
    /// names it.
    pub(crate) fn claim_role(&self, role_arn: &str) -> Option<Claim> {
        self.index.claim_role(role_arn)
    }

    /// Returns the person a name belongs to: an e-mail address, Okta login, user principal
    /// name or role session name the inventory declares.
    pub(crate) fn person_named(&self, name: &str) -> Option<usize> {
        self.index.person_named(name)
    }

    /// Returns the non-human identity the inventory declares for `key`: by its key or an
    /// alias, or by its role when `key` is one of the role's sessions.
    pub fn non_human_identity(&self, key: &IdentityKey) -> Option<&NonHumanIdentity> {
        match self.claim(key)?.entity {
            index::Entity::Nhi(index) => self.non_human_identities.get(index),
            index::Entity::Person(_) => None,
        }
    }

    /// Returns true when `key` is a declared break-glass account.
    pub fn is_break_glass(&self, key: &IdentityKey) -> bool {
        self.index.is_break_glass(key)
    }

    /// Returns the keys the inventory declares exactly for an entity: a person's Okta user
    /// id, Entra object id and IAM users, or a non-human identity's key and aliases.
    pub(crate) fn declared_keys(&self, entity: Entity) -> Vec<(IdentityKey, usize)> {
        self.index.declared_keys(entity)
    }
}

/// A problem found while reading, with its 1-based line and column.
pub(crate) type Problem = (Position, InventoryErrorKind);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

fn errors_at(file: &Arc<Path>, mut problems: Vec<Problem>) -> InventoryErrors {
    problems.sort_by_key(|(position, _)| *position);
    InventoryErrors(
        problems
            .into_iter()
            .map(|(position, kind)| InventoryError {
                file: Arc::clone(file),
                line: position.line,
                column: position.column,
                kind,
            })
            .collect(),
    )
}

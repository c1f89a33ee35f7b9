//! The lookup tables built from a validated inventory, and the check that no name is declared
//! by two entries.

use std::collections::{HashMap, HashSet};

use riposte_model::{IdentityKey, Provider};

use super::read::Draft;
use super::read::{split_role_arn, split_session_arn};
use super::{InventoryErrorKind, Position, Problem};
use crate::email::normalize_email;

/// An inventory entry: a person or a non-human identity, by its index in its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Entity {
    Person(usize),
    Nhi(usize),
}

/// The kind of link an inventory match gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClaimSource {
    /// The inventory names the account.
    Inventory,
    /// The inventory names the IAM Identity Center user id that the account's key carries.
    IdentityCenter,
}

/// The inventory entry that owns an identity key, and the line that declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Claim {
    pub entity: Entity,
    pub source: ClaimSource,
    pub line: usize,
}

/// The kinds of names an entry declares. Two entries may not declare the same name of one
/// kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Namespace {
    /// E-mail addresses: a person's address, e-mail-shaped logins, user principal names and
    /// e-mail-shaped role session names, in lowercase.
    Email,
    /// Logins and role session names that are not addresses, in lowercase.
    Login,
    /// Identity keys as [`normalize_key`] writes them.
    Key,
    /// IAM Identity Center user ids, with or without the identity store, in lowercase.
    IdentityCenter,
    /// Role session names in any role, in lowercase.
    SessionName,
    /// `role/session`, in lowercase.
    SessionInRole,
    /// `account/role/session`, in lowercase.
    SessionArn,
    /// GitHub logins, in lowercase.
    Github,
}

/// One name an entry declares, with the place it was written.
#[derive(Clone, Debug)]
pub(crate) struct DeclaredName {
    pub namespace: Namespace,
    pub normalized: String,
    pub owner: Entity,
    /// The value as written, for messages.
    pub value: String,
    /// The field it was written in, such as `accounts.okta.user_id`.
    pub field: &'static str,
    pub position: Position,
}

/// Writes a key the way the index compares keys: `provider:id`, with Entra ids (GUIDs and
/// user principal names) and e-mail-shaped Okta ids in lowercase. Okta user ids and AWS ARNs
/// keep their case, because Okta ids are case-sensitive and ARNs keep the case of the name.
pub(crate) fn normalize_key(provider: Provider, id: &str) -> String {
    let id = match provider {
        Provider::Entra => id.to_lowercase(),
        Provider::Okta if id.contains('@') => id.to_lowercase(),
        Provider::Okta | Provider::Aws => id.to_owned(),
    };
    format!("{}:{id}", provider.as_str())
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    names: HashMap<(Namespace, String), (Entity, usize)>,
    /// Roles of non-human identities, by account and lowercase role name.
    roles: HashMap<(String, String), (usize, usize)>,
    break_glass: HashSet<String>,
    declared: HashMap<Entity, Vec<(IdentityKey, usize)>>,
}

impl Index {
    /// Builds the tables, reporting every name declared by two entries. The tables are only
    /// used when the draft has no problem.
    pub(crate) fn build(draft: &Draft) -> (Self, Vec<Problem>) {
        let mut index = Self::default();
        let mut problems = Vec::new();
        let label = |entity: Entity| {
            let label = match entity {
                Entity::Person(position) => draft.person_labels.get(position),
                Entity::Nhi(position) => draft.nhi_labels.get(position),
            };
            label.cloned().unwrap_or_default()
        };
        let declared_names = &draft.names;

        // People's own addresses go first, so that a login or user principal name that
        // repeats another person's address is reported against that person.
        let mut ordered: Vec<&DeclaredName> = declared_names
            .iter()
            .filter(|name| name.field == "email")
            .collect();
        ordered.extend(declared_names.iter().filter(|name| name.field != "email"));

        let mut reported = HashSet::new();
        for name in ordered {
            let slot = (name.namespace, name.normalized.clone());
            let Some(&(first_owner, first_line)) = index.names.get(&slot) else {
                index.names.insert(slot, (name.owner, name.position.line));
                continue;
            };
            if first_owner == name.owner || !reported.insert(name.position) {
                continue;
            }
            let kind = if name.field == "email" {
                InventoryErrorKind::DuplicateEmail {
                    email: name.normalized.clone(),
                    first_line,
                }
            } else {
                InventoryErrorKind::ClaimedTwice {
                    value: name.value.clone(),
                    field: name.field.to_owned(),
                    context: label(name.owner),
                    first: label(first_owner),
                    first_line,
                }
            };
            problems.push((name.position, kind));
        }

        for (position, person) in draft.people.iter().enumerate() {
            let mut keys = Vec::new();
            if let Some(okta) = &person.accounts.okta {
                if let Some(user_id) = &okta.user_id {
                    keys.push((key(Provider::Okta, user_id), person.line));
                }
            }
            if let Some(object_id) = person
                .accounts
                .entra
                .as_ref()
                .and_then(|entra| entra.object_id.as_ref())
            {
                keys.push((key(Provider::Entra, object_id), person.line));
            }
            for arn in &person.accounts.aws.iam_users {
                keys.push((key(Provider::Aws, arn), person.line));
            }
            index.declared.insert(Entity::Person(position), keys);
        }
        for (position, nhi) in draft.non_human_identities.iter().enumerate() {
            let mut keys = vec![(nhi.key.clone(), nhi.line)];
            keys.extend(nhi.aliases.iter().map(|alias| (alias.clone(), nhi.line)));
            for (declared, _) in &keys {
                let role = (declared.provider == Provider::Aws)
                    .then(|| split_role_arn(&declared.id))
                    .flatten();
                if let Some((account, role)) = role {
                    index
                        .roles
                        .entry((account.to_owned(), role.to_lowercase()))
                        .or_insert((position, nhi.line));
                }
            }
            index.declared.insert(Entity::Nhi(position), keys);
        }
        index.break_glass = draft
            .break_glass
            .iter()
            .map(|key| normalize_key(key.provider, &key.id))
            .collect();
        (index, problems)
    }

    fn lookup(&self, namespace: Namespace, normalized: String) -> Option<(Entity, usize)> {
        self.names.get(&(namespace, normalized)).copied()
    }

    /// Returns true when no inventory entry declares a name, so that no lookup can match and
    /// the keys need not be written out.
    fn has_no_names(&self) -> bool {
        self.names.is_empty()
    }

    /// Returns the entry that names `key` or, failing that, the workload whose role `key`
    /// is a session of.
    pub(crate) fn claim(&self, key: &IdentityKey) -> Option<Claim> {
        if self.has_no_names() && self.roles.is_empty() {
            return None;
        }
        self.claim_declared(key).or_else(|| {
            let (account, role, _) = split_session_arn(&key.id)?;
            (key.provider == Provider::Aws)
                .then(|| self.role(account, role))
                .flatten()
        })
    }

    /// Returns the entry that names `key` itself: an account of a person, a workload's key
    /// or alias, a declared role session or Identity Center user.
    pub(crate) fn claim_declared(&self, key: &IdentityKey) -> Option<Claim> {
        let inventory = |(entity, line): (Entity, usize)| Claim {
            entity,
            source: ClaimSource::Inventory,
            line,
        };
        if self.has_no_names() {
            return None;
        }
        if let Some(found) = self.lookup(Namespace::Key, normalize_key(key.provider, &key.id)) {
            return Some(inventory(found));
        }
        let id = &*key.id;
        match key.provider {
            // Okta keys a user by its login and Entra by its user principal name when the
            // record lacks the id.
            Provider::Okta | Provider::Entra => match normalize_email(id) {
                Some(email) => self.lookup(Namespace::Email, email),
                None if key.provider == Provider::Okta => {
                    self.lookup(Namespace::Login, id.to_lowercase())
                }
                None => None,
            }
            .map(inventory),
            Provider::Aws => {
                if let Some(user) = id.strip_prefix("identitystore:") {
                    return self.identity_center(user);
                }
                let (account, role, session) = split_session_arn(id)?;
                let person = self
                    .lookup(
                        Namespace::SessionArn,
                        format!("{account}/{role}/{session}").to_lowercase(),
                    )
                    .or_else(|| {
                        self.lookup(
                            Namespace::SessionInRole,
                            format!("{role}/{session}").to_lowercase(),
                        )
                    })
                    .or_else(|| self.lookup(Namespace::SessionName, session.to_lowercase()));
                person.map(inventory)
            }
        }
    }

    /// Matches `store/user` or `user`, as the key of an IAM Identity Center user carries it,
    /// against the declared ids, with or without their store.
    fn identity_center(&self, user: &str) -> Option<Claim> {
        let user = user.to_lowercase();
        let bare = user.rsplit('/').next().unwrap_or(&user).to_owned();
        let (entity, line) = self
            .lookup(Namespace::IdentityCenter, user)
            .or_else(|| self.lookup(Namespace::IdentityCenter, bare))?;
        Some(Claim {
            entity,
            source: ClaimSource::IdentityCenter,
            line,
        })
    }

    fn role(&self, account: &str, role: &str) -> Option<Claim> {
        if self.roles.is_empty() {
            return None;
        }
        let &(position, line) = self.roles.get(&(account.to_owned(), role.to_lowercase()))?;
        Some(Claim {
            entity: Entity::Nhi(position),
            source: ClaimSource::Inventory,
            line,
        })
    }

    pub(crate) fn claim_role(&self, role_arn: &str) -> Option<Claim> {
        let (account, role) = split_role_arn(role_arn)?;
        self.role(account, role)
    }

    pub(crate) fn person_named(&self, name: &str) -> Option<usize> {
        if self.has_no_names() {
            return None;
        }
        let found = match normalize_email(name) {
            Some(email) => self.lookup(Namespace::Email, email),
            None => self.lookup(Namespace::Login, name.to_lowercase()),
        };
        match found? {
            (Entity::Person(position), _) => Some(position),
            (Entity::Nhi(_), _) => None,
        }
    }

    pub(crate) fn is_break_glass(&self, key: &IdentityKey) -> bool {
        !self.break_glass.is_empty()
            && self
                .break_glass
                .contains(&normalize_key(key.provider, &key.id))
    }

    pub(crate) fn declared_keys(&self, entity: Entity) -> Vec<(IdentityKey, usize)> {
        self.declared.get(&entity).cloned().unwrap_or_default()
    }
}

fn key(provider: Provider, id: &str) -> IdentityKey {
    IdentityKey {
        provider,
        id: id.into(),
    }
}

//! Identity resolution: which accounts belong to one person or workload.
//!
//! # Model
//!
//! The graph has two kinds of nodes. An *entity* is a person (named by e-mail address,
//! `person:alice@example.com`) or a non-human identity the inventory declares (named by its
//! key). An *account* is an [`IdentityKey`] seen in a log or declared in the inventory. Every
//! link joins one account to one entity, so each entity with its accounts forms a star, and
//! resolving a key is one lookup of the entity its account is attached to. This is the
//! equivalent of a union-find whose sets are never merged with each other: two entities are
//! never joined, because that would merge two people, or a person and a workload, on the
//! word of one log record. A link that would attach an account to a second entity is
//! rejected and reported as a [`Conflict`].
//!
//! # Link sources
//!
//! - `inventory`: the inventory names the account, or the account is a session of a role the
//!   inventory declares as a non-human identity.
//! - `federation_session_name`: an AWS role session is named after a person's e-mail address
//!   or declared login, as SAML and OIDC federation from Okta or Entra name them.
//! - `source_identity`: an AWS role session carries a person's e-mail address or login as
//!   `sourceIdentity`.
//! - `identity_center`: the key carries an IAM Identity Center user id the inventory
//!   declares.
//! - `upn`: an Entra account's user principal name is an e-mail address.
//! - `email`: any other account's e-mail address (an Okta login, a SAML subject).
//!
//! Addresses match exactly, ignoring case, and only when they have the form
//! `name@domain.tld`; display names never link. Failed authentications link nothing, because
//! their names are what the client typed, not an identity the provider verified.
//!
//! # Memory
//!
//! The graph keeps one node per entity and per account that takes part in a link; accounts
//! that link to nothing are not stored. Each account stores at most one record per link
//! source (six sources), each holding the evidence that first revealed it, so repeated
//! events cost no memory. The following sizes are estimates from the type sizes on a 64-bit
//! target. An account node takes about 120 bytes plus its key's text, a link record 48 bytes
//! plus the event id's text, and an entry in its entity's member list 16 bytes. A typical AWS
//! role session linked by two sources so takes about 300 bytes. [`GraphLimits::max_nodes`] caps the
//! total; once reached, new accounts are not linked and [`IdentityGraph::dropped_links`]
//! counts them.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use std::fmt;
use std::sync::Arc;

use riposte_model::{Event, IdentityKey, IdentityKind, IdentityRef, Outcome, Provider};
use serde::{Serialize, Serializer};

use crate::email::normalize_email;
use crate::inventory::{Claim, ClaimSource, Entity, Inventory};
use crate::kind::{Criticality, Environment, ResolvedKind};

/// The origin of a link between an account and a person or workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkSource {
    Inventory,
    FederationSessionName,
    SourceIdentity,
    IdentityCenter,
    Upn,
    Email,
}

impl LinkSource {
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

impl Serialize for LinkSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The proof of a link: the event that revealed it or the inventory line that declares it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Evidence {
    Event { event_id: Arc<str> },
    Inventory { line: usize },
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Event { event_id } => write!(f, "event `{event_id}`"),
            Self::Inventory { line } => write!(f, "inventory line {line}"),
        }
    }
}

/// A person or workload that accounts link to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityId {
    /// A person, by lowercase e-mail address.
    Person(Box<str>),
    /// A non-human identity the inventory declares, by its key.
    Workload(IdentityKey),
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Person(email) => write!(f, "person:{email}"),
            Self::Workload(key) => write!(f, "{key}"),
        }
    }
}

impl Serialize for EntityId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One link: an account belongs to a person or workload, for a reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub key: IdentityKey,
    pub entity: EntityId,
    pub source: LinkSource,
    pub evidence: Evidence,
}

/// A disagreement the graph found and resolved. Each is reported once by
/// [`IdentityGraph::take_conflicts`], for the caller to log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "conflict", rename_all = "snake_case")]
pub enum Conflict {
    Kind(KindConflict),
    Link(LinkConflict),
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kind(conflict) => conflict.fmt(f),
            Self::Link(conflict) => conflict.fmt(f),
        }
    }
}

/// The inventory and a log disagree on the kind of an account; the inventory's kind is used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindConflict {
    pub key: IdentityKey,
    pub declared: ResolvedKind,
    pub inventory_line: usize,
    pub observed: IdentityKind,
    /// The event that showed the other kind, when one did.
    pub event_id: Option<Box<str>>,
}

impl fmt::Display for KindConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "inventory line {} declares `{}` as `{}`, but ",
            self.inventory_line, self.key, self.declared
        )?;
        match &self.event_id {
            Some(event_id) => write!(f, "event `{event_id}` shows `{}`", self.observed)?,
            None => write!(f, "the log shows `{}`", self.observed)?,
        }
        f.write_str(": using the inventory's kind")
    }
}

/// A link was rejected because the account already belongs to another person or workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkConflict {
    pub key: IdentityKey,
    pub linked_to: EntityId,
    pub rejected: EntityId,
    pub source: LinkSource,
    pub evidence: Evidence,
}

impl fmt::Display for LinkConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is linked to `{}`: ignoring the link to `{}` from `{}` in {}",
            self.key, self.linked_to, self.rejected, self.source, self.evidence
        )
    }
}

/// Size limits of an [`IdentityGraph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphLimits {
    /// Maximum number of entities and accounts kept. The default, 2,000,000, fits a million
    /// people with one linked account each.
    pub max_nodes: usize,
    /// Conflicts kept until [`IdentityGraph::take_conflicts`] collects them; later ones are
    /// counted but not kept.
    pub max_pending_conflicts: usize,
}

impl Default for GraphLimits {
    fn default() -> Self {
        Self {
            max_nodes: 2_000_000,
            max_pending_conflicts: 10_000,
        }
    }
}

/// An account linked to an entity, with every source that links it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkedAccount {
    pub key: IdentityKey,
    pub links: Vec<LinkRecord>,
}

/// One source of a link and the evidence that first revealed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkRecord {
    pub source: LinkSource,
    pub evidence: Evidence,
}

/// The person or workload behind a key, as the graph resolves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResolvedIdentity {
    /// The stable id: `person:alice@example.com` for a person, the declared key for a
    /// workload of the inventory, and the key itself for an account that links to nothing.
    pub id: Box<str>,
    /// The key that was resolved.
    pub key: IdentityKey,
    pub name: Option<Box<str>>,
    /// The person's e-mail address.
    pub email: Option<Box<str>>,
    pub kind: ResolvedKind,
    /// Set when the inventory and the log disagree on the kind of `key`; `kind` is the
    /// inventory's.
    pub kind_conflict: Option<KindConflict>,
    pub in_inventory: bool,
    /// The inventory line of the person's or workload's entry.
    pub inventory_line: Option<usize>,
    pub owner: Option<Box<str>>,
    pub environment: Option<Environment>,
    pub criticality: Option<Criticality>,
    pub dependents: Vec<Box<str>>,
    /// True when any account of the identity is a declared break-glass account.
    pub break_glass: bool,
    /// The break-glass accounts among the identity's accounts.
    pub break_glass_keys: Vec<IdentityKey>,
    /// Every account of the identity, sorted by its `provider:id` text, with the sources that link it. The
    /// workload's own key is listed with no links.
    pub accounts: Vec<LinkedAccount>,
}

impl ResolvedIdentity {
    pub fn is_nhi(&self) -> bool {
        self.kind.is_nhi()
    }
}

#[derive(Clone, Debug)]
enum Slot {
    /// A person or a workload, with the accounts attached to it.
    Entity {
        entity: EntityRef,
        members: Vec<u32>,
    },
    /// An account attached to an entity, with the records of the links that attach it.
    Account {
        key: IdentityKey,
        entity: u32,
        links: Vec<LinkRecord>,
    },
}

/// An entity as the graph stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum EntityRef {
    /// A person by lowercase e-mail address, with the inventory entry when there is one.
    Person {
        email: Box<str>,
        inventory: Option<usize>,
    },
    /// A workload by its index among the inventory's non-human identities.
    Workload(usize),
}

#[derive(Clone, Debug)]
struct NodeData {
    slot: Slot,
    /// The latest classification a log gave this account, other than unknown.
    observed_kind: Option<IdentityKind>,
    kind_conflict_reported: bool,
}

/// The linked accounts of people and workloads. See the module documentation.
#[derive(Clone, Debug)]
pub struct IdentityGraph {
    inventory: Inventory,
    limits: GraphLimits,
    nodes: Vec<NodeData>,
    /// Account nodes and workload entity nodes by key. The maps hash with foldhash, faster
    /// than SipHash, and are only looked up, never iterated.
    accounts: HashMap<IdentityKey, u32, RandomState>,
    /// Person entity nodes by lowercase e-mail address.
    people: HashMap<Box<str>, u32, RandomState>,
    pending: Vec<Conflict>,
    /// Rejected links already reported, so that each is reported once.
    reported_rejections: std::collections::HashSet<(u32, u32, LinkSource)>,
    dropped_links: u64,
    dropped_conflicts: u64,
}

/// The result of [`IdentityGraph::link`].
enum LinkOutcome {
    Added(Link),
    Known,
    Rejected,
    Dropped,
}

impl IdentityGraph {
    pub fn new(inventory: Inventory) -> Self {
        Self::with_limits(inventory, GraphLimits::default())
    }

    /// Builds the graph with the inventory's people, workloads and the accounts it declares
    /// exactly (Okta user ids, Entra object ids, IAM users, workload aliases).
    pub fn with_limits(inventory: Inventory, limits: GraphLimits) -> Self {
        let mut graph = Self {
            inventory,
            limits,
            nodes: Vec::new(),
            accounts: HashMap::default(),
            people: HashMap::default(),
            pending: Vec::new(),
            reported_rejections: std::collections::HashSet::new(),
            dropped_links: 0,
            dropped_conflicts: 0,
        };
        let entities = (0..graph.inventory.people.len())
            .map(Entity::Person)
            .chain((0..graph.inventory.non_human_identities.len()).map(Entity::Nhi))
            .collect::<Vec<_>>();
        for entity in entities {
            let target = graph.entity_ref(entity);
            for (key, line) in graph.inventory.declared_keys(entity) {
                let evidence = Evidence::Inventory { line };
                graph.link(&key, target.clone(), LinkSource::Inventory, evidence);
            }
        }
        graph
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// Returns the number of entities and accounts stored.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Returns how many links were not stored because the graph was full.
    pub fn dropped_links(&self) -> u64 {
        self.dropped_links
    }

    /// Returns how many conflicts were not kept because too many were waiting.
    pub fn dropped_conflicts(&self) -> u64 {
        self.dropped_conflicts
    }

    /// Returns the conflicts found since the last call, each once.
    pub fn take_conflicts(&mut self) -> Vec<Conflict> {
        std::mem::take(&mut self.pending)
    }

    /// Records what `event` reveals about its actor and returns the new links it revealed.
    ///
    /// Links the inventory implies are stored too but not returned, because the inventory
    /// gives them again at every start; a link already known returns nothing. Conflicts go
    /// to [`IdentityGraph::take_conflicts`].
    pub fn observe(&mut self, event: &Event) -> Vec<Link> {
        let actor = &event.actor;
        let failed_authentication =
            event.activity.is_authentication() && event.outcome != Outcome::Success;
        let principal = !matches!(
            actor.kind,
            IdentityKind::NetworkSource | IdentityKind::ProviderSystem
        ) && actor.key != IdentityRef::unknown(actor.key.provider).key;
        if failed_authentication || !principal {
            return Vec::new();
        }

        let event_evidence = || Evidence::Event {
            event_id: event.event_id.clone(),
        };
        let mut candidates = Vec::new();
        // The order sets which link wins when two disagree: what the inventory names, then
        // a person named by the session, then the workload whose role the session is of.
        if let Some(claim) = self.inventory.claim_declared(&actor.key) {
            let (source, evidence) = match claim.source {
                ClaimSource::Inventory => (
                    LinkSource::Inventory,
                    Evidence::Inventory { line: claim.line },
                ),
                ClaimSource::IdentityCenter => (LinkSource::IdentityCenter, event_evidence()),
            };
            candidates.push((self.entity_ref(claim.entity), source, evidence));
        }
        if let Some(session) = &actor.role_session {
            if let Some(person) = self.person_for_name(&session.session_name) {
                candidates.push((person, LinkSource::FederationSessionName, event_evidence()));
            }
            let source_identity = session.source_identity.as_deref();
            if let Some(person) = source_identity.and_then(|name| self.person_for_name(name)) {
                candidates.push((person, LinkSource::SourceIdentity, event_evidence()));
            }
        } else if let Some(email) = actor.email.as_deref().and_then(normalize_email) {
            // The ingest sets a role session's address from its session name or source
            // identity, which the branch above links with their own sources.
            let source = match actor.key.provider {
                Provider::Entra => LinkSource::Upn,
                Provider::Aws | Provider::Okta => LinkSource::Email,
            };
            candidates.push((self.person_for_email(&email), source, event_evidence()));
        }
        let role_claim = match &actor.role_session {
            Some(session) => self.inventory.claim_role(&session.role_arn),
            None => self.inventory.claim(&actor.key),
        };
        if let Some(claim) = role_claim {
            let evidence = Evidence::Inventory { line: claim.line };
            candidates.push((
                self.entity_ref(claim.entity),
                LinkSource::Inventory,
                evidence,
            ));
        }

        let mut revealed = Vec::new();
        for (target, source, evidence) in candidates {
            if let LinkOutcome::Added(link) = self.link(&actor.key, target, source, evidence) {
                if link.source != LinkSource::Inventory {
                    revealed.push(link);
                }
            }
        }
        self.note_kind(&actor.key, actor.kind, &event.event_id);
        revealed
    }

    /// Stores a link that an earlier run returned from [`IdentityGraph::observe`]. Returns
    /// false when the link no longer applies: its workload left the inventory, the account
    /// now belongs to another entity, or the graph is full.
    pub fn restore(&mut self, link: &Link) -> bool {
        let target = match &link.entity {
            EntityId::Person(email) => match normalize_email(email) {
                Some(email) => self.person_for_email(&email),
                None => return false,
            },
            EntityId::Workload(key) => match self.inventory.claim(key) {
                Some(Claim {
                    entity: Entity::Nhi(position),
                    ..
                }) => EntityRef::Workload(position),
                _ => return false,
            },
        };
        let outcome = self.link(&link.key, target, link.source, link.evidence.clone());
        matches!(outcome, LinkOutcome::Added(_) | LinkOutcome::Known)
    }

    /// Resolves a key to its person or workload. A key never seen is resolved from the
    /// inventory alone.
    pub fn resolve(&self, key: &IdentityKey) -> ResolvedIdentity {
        self.resolve_with_kind(key, None)
    }

    /// Resolves the actor of an event, using the kind the event gives it for an account the
    /// graph has not stored.
    pub fn resolve_ref(&self, actor: &IdentityRef) -> ResolvedIdentity {
        self.resolve_with_kind(&actor.key, Some(actor.kind))
    }

    fn resolve_with_kind(
        &self,
        key: &IdentityKey,
        event_kind: Option<IdentityKind>,
    ) -> ResolvedIdentity {
        let node = self.accounts.get(key).copied();
        let observed = node
            .and_then(|node| self.nodes.get(node as usize))
            .and_then(|data| data.observed_kind)
            .or(event_kind.filter(|kind| *kind != IdentityKind::Unknown));

        // The entity node and, for a key the graph has not stored, the inventory line that
        // attaches it.
        let (entity_node, unstored_claim) = match node.map(|node| (node, self.slot(node))) {
            Some((node, Some(Slot::Entity { .. }))) => (Some(node), None),
            Some((_, Some(Slot::Account { entity, .. }))) => (Some(*entity), None),
            _ => match self.inventory.claim(key) {
                Some(claim) => {
                    let target = self.entity_ref(claim.entity);
                    (self.find_entity(&target), Some((target, claim)))
                }
                None => (None, None),
            },
        };
        let entity = entity_node
            .and_then(|node| match self.slot(node) {
                Some(Slot::Entity { entity, .. }) => Some(entity.clone()),
                _ => None,
            })
            .or_else(|| unstored_claim.as_ref().map(|(target, _)| target.clone()));

        let mut resolved = match &entity {
            Some(entity) => self.describe_entity(key, entity),
            None => ResolvedIdentity {
                id: key.to_string().into(),
                key: key.clone(),
                name: None,
                email: None,
                kind: ResolvedKind::from_log(observed.unwrap_or(IdentityKind::Unknown)),
                kind_conflict: None,
                in_inventory: false,
                inventory_line: None,
                owner: None,
                environment: None,
                criticality: None,
                dependents: Vec::new(),
                break_glass: false,
                break_glass_keys: Vec::new(),
                accounts: Vec::new(),
            },
        };

        let mut accounts = entity_node.map_or_else(Vec::new, |node| self.accounts_of(node));
        if let Some((_, claim)) = unstored_claim {
            let source = match claim.source {
                ClaimSource::Inventory => LinkSource::Inventory,
                ClaimSource::IdentityCenter => LinkSource::IdentityCenter,
            };
            accounts.push(LinkedAccount {
                key: key.clone(),
                links: vec![LinkRecord {
                    source,
                    evidence: Evidence::Inventory { line: claim.line },
                }],
            });
        }
        if accounts.is_empty() {
            accounts.push(LinkedAccount {
                key: key.clone(),
                links: Vec::new(),
            });
        }
        accounts.sort_by_cached_key(|account| account.key.to_string());
        resolved.break_glass_keys = accounts
            .iter()
            .filter(|account| self.inventory.is_break_glass(&account.key))
            .map(|account| account.key.clone())
            .collect();
        resolved.break_glass = !resolved.break_glass_keys.is_empty();
        resolved.accounts = accounts;

        if let (Some(observed), Some(entity)) = (observed, &entity) {
            resolved.kind_conflict = self.kind_conflict(key, entity, observed, None);
        }
        resolved
    }

    /// Fills the fields an entity gives, before its accounts are known.
    fn describe_entity(&self, key: &IdentityKey, entity: &EntityRef) -> ResolvedIdentity {
        let mut resolved = ResolvedIdentity {
            id: self.entity_id(entity).to_string().into(),
            key: key.clone(),
            name: None,
            email: None,
            kind: ResolvedKind::Human,
            kind_conflict: None,
            in_inventory: false,
            inventory_line: None,
            owner: None,
            environment: None,
            criticality: None,
            dependents: Vec::new(),
            break_glass: false,
            break_glass_keys: Vec::new(),
            accounts: Vec::new(),
        };
        match entity {
            EntityRef::Person { email, inventory } => {
                resolved.email = Some(email.clone());
                if let Some(person) = inventory.and_then(|index| self.inventory.people.get(index)) {
                    resolved.name = person.name.clone();
                    resolved.in_inventory = true;
                    resolved.inventory_line = Some(person.line);
                }
            }
            EntityRef::Workload(index) => {
                if let Some(nhi) = self.inventory.non_human_identities.get(*index) {
                    resolved.name = nhi.name.clone();
                    resolved.kind = ResolvedKind::Nhi(nhi.kind);
                    resolved.in_inventory = true;
                    resolved.inventory_line = Some(nhi.line);
                    resolved.owner = nhi.owner.clone();
                    resolved.environment = nhi.environment.clone();
                    resolved.criticality = nhi.criticality;
                    resolved.dependents = nhi.dependents.clone();
                }
            }
        }
        resolved
    }

    fn accounts_of(&self, entity_node: u32) -> Vec<LinkedAccount> {
        let Some(Slot::Entity { entity, members }) = self.slot(entity_node) else {
            return Vec::new();
        };
        let mut accounts: Vec<LinkedAccount> = members
            .iter()
            .filter_map(|member| match self.slot(*member) {
                Some(Slot::Account { key, links, .. }) => Some(LinkedAccount {
                    key: key.clone(),
                    links: links.clone(),
                }),
                _ => None,
            })
            .collect();
        if let EntityRef::Workload(index) = entity {
            if let Some(nhi) = self.inventory.non_human_identities.get(*index) {
                accounts.push(LinkedAccount {
                    key: nhi.key.clone(),
                    links: Vec::new(),
                });
            }
        }
        accounts
    }

    /// Returns the conflict between the kind the inventory declares for `entity` and the
    /// kind a log gave `key`, if they disagree. People found only in logs declare nothing.
    fn kind_conflict(
        &self,
        key: &IdentityKey,
        entity: &EntityRef,
        observed: IdentityKind,
        event_id: Option<&str>,
    ) -> Option<KindConflict> {
        let (declared, line) = match entity {
            EntityRef::Person {
                inventory: Some(index),
                ..
            } => (ResolvedKind::Human, self.inventory.people.get(*index)?.line),
            EntityRef::Person {
                inventory: None, ..
            } => return None,
            EntityRef::Workload(index) => {
                let nhi = self.inventory.non_human_identities.get(*index)?;
                (ResolvedKind::Nhi(nhi.kind), nhi.line)
            }
        };
        (!declared.agrees_with(observed)).then(|| KindConflict {
            key: key.clone(),
            declared,
            inventory_line: line,
            observed,
            event_id: event_id.map(Box::from),
        })
    }

    /// Stores the kind a log gave a stored account, and reports the first disagreement with
    /// the inventory.
    fn note_kind(&mut self, key: &IdentityKey, kind: IdentityKind, event_id: &str) {
        if kind == IdentityKind::Unknown {
            return;
        }
        let Some(&node) = self.accounts.get(key) else {
            return;
        };
        let entity = match self.slot(node) {
            Some(Slot::Entity { entity, .. }) => entity.clone(),
            Some(Slot::Account { entity, .. }) => match self.slot(*entity) {
                Some(Slot::Entity { entity, .. }) => entity.clone(),
                _ => return,
            },
            None => return,
        };
        let conflict = self.kind_conflict(key, &entity, kind, Some(event_id));
        let Some(data) = self.nodes.get_mut(node as usize) else {
            return;
        };
        data.observed_kind = Some(kind);
        if let Some(conflict) = conflict {
            if !data.kind_conflict_reported {
                data.kind_conflict_reported = true;
                self.push_conflict(Conflict::Kind(conflict));
            }
        }
    }

    fn push_conflict(&mut self, conflict: Conflict) {
        if self.pending.len() < self.limits.max_pending_conflicts {
            self.pending.push(conflict);
        } else {
            self.dropped_conflicts += 1;
        }
    }

    /// Attaches the account `key` to `target`.
    fn link(
        &mut self,
        key: &IdentityKey,
        target: EntityRef,
        source: LinkSource,
        evidence: Evidence,
    ) -> LinkOutcome {
        let Some(entity_node) = self.entity_node(&target) else {
            self.dropped_links += 1;
            return LinkOutcome::Dropped;
        };
        let entity_id = self.entity_id(&target);
        let record = LinkRecord {
            source,
            evidence: evidence.clone(),
        };
        let link = Link {
            key: key.clone(),
            entity: entity_id.clone(),
            source,
            evidence,
        };

        let Some(&node) = self.accounts.get(key) else {
            if !self.has_room() {
                self.dropped_links += 1;
                return LinkOutcome::Dropped;
            }
            let node = self.push_node(Slot::Account {
                key: key.clone(),
                entity: entity_node,
                links: vec![record],
            });
            self.accounts.insert(key.clone(), node);
            if let Some(Slot::Entity { members, .. }) = self.slot_mut(entity_node) {
                members.push(node);
            }
            return LinkOutcome::Added(link);
        };

        let attached_to = match self.slot_mut(node) {
            // A workload's own key belongs to that workload and to no other entity.
            Some(Slot::Entity { .. }) if node == entity_node => return LinkOutcome::Known,
            Some(Slot::Entity { .. }) => node,
            Some(Slot::Account { entity, links, .. }) if *entity == entity_node => {
                if links.iter().any(|existing| existing.source == source) {
                    return LinkOutcome::Known;
                }
                links.push(record);
                return LinkOutcome::Added(link);
            }
            Some(Slot::Account { entity, .. }) => *entity,
            None => return LinkOutcome::Dropped,
        };

        if self.reported_rejections.insert((node, entity_node, source)) {
            let linked_to = match self.slot(attached_to) {
                Some(Slot::Entity { entity, .. }) => self.entity_id(entity),
                _ => return LinkOutcome::Rejected,
            };
            self.push_conflict(Conflict::Link(LinkConflict {
                key: link.key,
                linked_to,
                rejected: link.entity,
                source,
                evidence: link.evidence,
            }));
        }
        LinkOutcome::Rejected
    }

    /// Returns the node of an entity, creating it when there is room.
    fn entity_node(&mut self, entity: &EntityRef) -> Option<u32> {
        if let Some(node) = self.find_entity(entity) {
            return Some(node);
        }
        if !self.has_room() {
            return None;
        }
        let node = self.push_node(Slot::Entity {
            entity: entity.clone(),
            members: Vec::new(),
        });
        match entity {
            EntityRef::Person { email, .. } => {
                self.people.insert(email.clone(), node);
            }
            EntityRef::Workload(index) => {
                let key = self.inventory.non_human_identities.get(*index)?.key.clone();
                self.accounts.insert(key, node);
            }
        }
        Some(node)
    }

    fn find_entity(&self, entity: &EntityRef) -> Option<u32> {
        match entity {
            EntityRef::Person { email, .. } => self.people.get(email).copied(),
            EntityRef::Workload(index) => {
                let key = &self.inventory.non_human_identities.get(*index)?.key;
                let node = *self.accounts.get(key)?;
                matches!(self.slot(node), Some(Slot::Entity { .. })).then_some(node)
            }
        }
    }

    /// Returns true while a node may be added. Node numbers are `u32`, which also caps the
    /// count.
    fn has_room(&self) -> bool {
        let max_nodes = self.limits.max_nodes.min(u32::MAX as usize);
        self.nodes.len() < max_nodes
    }

    fn push_node(&mut self, slot: Slot) -> u32 {
        let node = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(NodeData {
            slot,
            observed_kind: None,
            kind_conflict_reported: false,
        });
        node
    }

    fn slot(&self, node: u32) -> Option<&Slot> {
        self.nodes.get(node as usize).map(|data| &data.slot)
    }

    fn slot_mut(&mut self, node: u32) -> Option<&mut Slot> {
        self.nodes.get_mut(node as usize).map(|data| &mut data.slot)
    }

    fn entity_ref(&self, entity: Entity) -> EntityRef {
        match entity {
            Entity::Person(index) => EntityRef::Person {
                email: self
                    .inventory
                    .people
                    .get(index)
                    .map(|person| person.email.clone())
                    .unwrap_or_default(),
                inventory: Some(index),
            },
            Entity::Nhi(index) => EntityRef::Workload(index),
        }
    }

    fn entity_id(&self, entity: &EntityRef) -> EntityId {
        match entity {
            EntityRef::Person { email, .. } => EntityId::Person(email.clone()),
            EntityRef::Workload(index) => match self.inventory.non_human_identities.get(*index) {
                Some(nhi) => EntityId::Workload(nhi.key.clone()),
                None => EntityId::Person(Box::from("")),
            },
        }
    }

    /// Returns the person an address belongs to: the inventory's person when it declares the
    /// address as an e-mail, login, user principal name or role session name, else a person
    /// known by that address alone.
    fn person_for_email(&self, email: &str) -> EntityRef {
        match self.inventory.person_named(email) {
            Some(index) => self.entity_ref(Entity::Person(index)),
            None => EntityRef::Person {
                email: email.into(),
                inventory: None,
            },
        }
    }

    /// Returns the person a session name or source identity names: an e-mail address, or a
    /// login the inventory declares. Other names link to no one.
    fn person_for_name(&self, name: &str) -> Option<EntityRef> {
        if let Some(email) = normalize_email(name) {
            return Some(self.person_for_email(&email));
        }
        let index = self.inventory.person_named(name)?;
        Some(self.entity_ref(Entity::Person(index)))
    }
}

#[cfg(test)]
mod tests;

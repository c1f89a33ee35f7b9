//! The detection stage: every ordered event meets the detectors together with its actor's
//! baseline as it was before the event, then teaches the baseline, the identity graph and,
//! with a state store, the batch of changes to save.

use std::collections::BTreeMap;
use std::sync::Arc;

use foldhash::fast::RandomState;

use riposte_baseline::{Baseline, BaselineCache, BaselineSettings, Feature};
use riposte_detect::{Context, DetectionSettings, Detectors};
use riposte_identity::{GrantedPrivilege, IdentityGraph, Inventory, ObservedUsage};
use riposte_model::{Activity, Event, Finding, IdentityKey, IdentityKind, Outcome, TargetKind};

use crate::state::{Persistence, StateError};

/// Evicted baselines kept for a store before they are dropped, when no store is attached.
const MAX_PENDING_EVICTIONS: usize = 10_000;

/// Identity ids kept in memory; past this the map starts over and ids are read again from the
/// store. About 100 bytes per entry.
const MAX_CACHED_IDS: usize = 2_000_000;

/// Privileges remembered per identity for the blast radius of this run's incidents.
const MAX_PRIVILEGES_PER_IDENTITY: usize = 16;

pub(crate) struct Analysis {
    detectors: Detectors,
    baselines: BaselineCache,
    baseline_settings: BaselineSettings,
    /// The state of each identity seen in this run, found with one lookup per event.
    identities: hashbrown::HashMap<IdentityKey, Known, RandomState>,
    /// The next identity id to hand out when there is no store.
    next_id: i64,
    graph: IdentityGraph,
    /// Privileges seen granted in this run, per identity key.
    privileges: BTreeMap<IdentityKey, Vec<GrantedPrivilege>>,
    findings: Vec<Finding>,
    persistence: Option<Persistence>,
    /// Set when the store failed: the run stops and reports it.
    failure: Option<StateError>,
}

impl Analysis {
    pub(crate) fn new(
        detections: &DetectionSettings,
        baseline_settings: &BaselineSettings,
        inventory: Inventory,
        persistence: Option<Persistence>,
    ) -> Self {
        Self {
            detectors: Detectors::new(detections),
            baselines: BaselineCache::with_settings(baseline_settings),
            baseline_settings: baseline_settings.clone(),
            identities: hashbrown::HashMap::default(),
            next_id: 1,
            graph: IdentityGraph::new(inventory),
            privileges: BTreeMap::new(),
            findings: Vec::new(),
            persistence,
            failure: None,
        }
    }

    pub(crate) fn failed(&self) -> bool {
        self.failure.is_some()
    }

    pub(crate) fn take_failure(&mut self) -> Option<StateError> {
        self.failure.take()
    }

    pub(crate) fn persistence_mut(&mut self) -> Option<&mut Persistence> {
        self.persistence.as_mut()
    }

    pub(crate) fn graph(&self) -> &IdentityGraph {
        &self.graph
    }

    /// Returns the id of an identity, from memory, the store, or a new one.
    fn identity_id(&mut self, key: &IdentityKey) -> Result<i64, StateError> {
        let known = known(&mut self.identities, key);
        assign_id(known, key, &mut self.persistence, &mut self.next_id)
    }

    /// Returns the id of a known identity, if it has one.
    fn known_id(&self, key: &IdentityKey) -> Option<i64> {
        self.identities.get(key).and_then(|known| known.id)
    }

    /// Runs the detectors on one event, then lets the actor's baseline and the identity graph
    /// learn from it.
    pub(crate) fn observe(&mut self, event: &mut Event) {
        if self.failure.is_some() {
            return;
        }
        self.share_actor_key(event);
        if let Err(error) = self.try_observe(event) {
            self.failure = Some(error);
        }
    }

    /// Points the actor's key at the text of the same key that this run stored first. The
    /// detectors keep state per identity in maps keyed by copies of it, and keys that share
    /// their text compare equal by address, without reading text that has left the cache.
    fn share_actor_key(&self, event: &mut Event) {
        if let Some((stored, _)) = self.identities.get_key_value(&event.actor.key)
            && !Arc::ptr_eq(&stored.id, &event.actor.key.id)
        {
            event.actor.key.id = Arc::clone(&stored.id);
        }
    }

    fn try_observe(&mut self, event: &Event) -> Result<(), StateError> {
        if !has_baseline(event.actor.kind) {
            let context = Context {
                baseline: None,
                baseline_settings: &self.baseline_settings,
            };
            self.detectors.observe(event, &context, &mut self.findings);
            let graph_first =
                first_graph_sight(known(&mut self.identities, &event.actor.key), event);
            self.learn_relations(event, None, graph_first)?;
            return Ok(());
        }
        let known = known(&mut self.identities, &event.actor.key);
        let graph_first = first_graph_sight(known, event);
        let id = assign_id(
            known,
            &event.actor.key,
            &mut self.persistence,
            &mut self.next_id,
        )?;
        let Self {
            detectors,
            baselines,
            baseline_settings,
            findings,
            persistence,
            ..
        } = self;
        let mut cached =
            baselines.get_or_load_at(id as u64, known.baseline_slot, |id| match persistence {
                Some(persistence) => persistence.load_baseline(id as i64),
                None => Ok(None),
            })?;
        known.baseline_slot = Some(cached.slot());
        let context = Context {
            baseline: Some(cached.baseline()),
            baseline_settings,
        };
        detectors.observe(event, &context, findings);
        cached.update(event, baseline_settings);

        if let Some(persistence) = &mut self.persistence {
            persistence.record_actor(id, event);
        } else if self.baselines.pending_evictions() > MAX_PENDING_EVICTIONS {
            // NOTE: without a state store, a baseline evicted from the cache is forgotten.
            self.baselines.drain_dirty();
        }
        self.learn_relations(event, Some(id), graph_first)
    }

    /// Learns links between accounts and the privileges granted by the event. `graph_first`
    /// is true when the graph has not seen the actor yet (see [`first_graph_sight`]).
    fn learn_relations(
        &mut self,
        event: &Event,
        actor_id: Option<i64>,
        graph_first: bool,
    ) -> Result<(), StateError> {
        let links = if graph_first {
            self.restore_stored_accounts(event);
            self.graph.observe(event)
        } else {
            Vec::new()
        };
        for conflict in self.graph.take_conflicts() {
            tracing::warn!(
                conflict = %serde_json::to_string(&conflict).unwrap_or_default(),
                "inventory and logs disagree; the inventory wins"
            );
        }
        // Links only need the other accounts' ids to be stored, so without a state store the
        // graph is not asked to resolve them.
        if let (Some(actor_id), true) = (actor_id, self.persistence.is_some()) {
            for link in links {
                let resolved = self.graph.resolve(&link.key);
                let others: Vec<i64> = resolved
                    .accounts
                    .iter()
                    .filter(|account| account.key != link.key)
                    .filter_map(|account| self.known_id(&account.key))
                    .collect();
                if let Some(persistence) = &mut self.persistence {
                    for other in others {
                        persistence.record_link(actor_id, other, &link, event.time);
                    }
                }
            }
        }

        if event.activity != Activity::PrivilegeGranted || event.outcome != Outcome::Success {
            return Ok(());
        }
        for target in &event.targets {
            if !matches!(
                target.kind,
                TargetKind::User
                    | TargetKind::Role
                    | TargetKind::Group
                    | TargetKind::ServicePrincipal
            ) {
                continue;
            }
            let key = IdentityKey {
                provider: event.format.provider(),
                id: target.id.clone(),
            };
            let granted: Vec<GrantedPrivilege> = event
                .privileges
                .iter()
                .map(|privilege| GrantedPrivilege::from_privilege(privilege, Some(event.time)))
                .collect();
            if self.persistence.is_some() {
                let target_id = self.identity_id(&key)?;
                if let Some(persistence) = &mut self.persistence {
                    persistence.record_privileges(target_id, target, event, &granted);
                }
            }
            let list = self.privileges.entry(key).or_default();
            for privilege in granted {
                if list.len() < MAX_PRIVILEGES_PER_IDENTITY {
                    list.push(privilege);
                }
            }
        }
        Ok(())
    }

    /// Shows the graph the accounts that earlier runs stored with the actor's e-mail address,
    /// so that a run reading only one provider's logs still links its accounts to the person
    /// seen in another provider's logs before.
    fn restore_stored_accounts(&mut self, event: &Event) {
        let Some(persistence) = &self.persistence else {
            return;
        };
        let email = event.actor.email.as_deref().or_else(|| {
            event
                .actor
                .role_session
                .as_ref()
                .map(|session| session.session_name.as_ref())
        });
        let Some(email) = email.and_then(riposte_identity::normalize_email) else {
            return;
        };
        for stored in persistence.identities_with_email(&email) {
            if stored.key == event.actor.key || self.known_id(&stored.key).is_some() {
                continue;
            }
            let link = riposte_identity::Link {
                key: stored.key.clone(),
                entity: riposte_identity::EntityId::Person(email.as_str().into()),
                source: riposte_identity::LinkSource::Email,
                evidence: riposte_identity::Evidence::Event {
                    event_id: "stored by an earlier run".into(),
                },
            };
            self.graph.restore(&link);
            known(&mut self.identities, &stored.key).id = Some(stored.id);
        }
    }

    /// Returns what the state knows of an identity's use, for its blast radius.
    pub(crate) fn observed_usage(&mut self, key: &IdentityKey) -> ObservedUsage {
        let mut usage = ObservedUsage {
            privileges: self.privileges.get(key).cloned().unwrap_or_default(),
            ..ObservedUsage::default()
        };
        let Some(id) = self.known_id(key) else {
            return usage;
        };
        let stored = self
            .persistence
            .as_mut()
            .map(|persistence| persistence.privileges(id))
            .unwrap_or_default();
        usage.privileges.extend(stored);
        let baseline: Option<Baseline> = self.baselines.peek(id as u64).cloned().or_else(|| {
            self.persistence
                .as_mut()
                .and_then(|persistence| persistence.load_baseline(id).ok().flatten())
        });
        if let Some(baseline) = baseline {
            usage.networks = baseline.len(Feature::Prefix);
            usage.user_agent_families = baseline.len(Feature::UserAgent);
            usage.workloads = baseline.len(Feature::Device);
        }
        usage
    }

    /// Saves everything learned since the last commit, with the inputs' progress, in one
    /// transaction. Does nothing without a store.
    pub(crate) fn commit(
        &mut self,
        checkpoints: Vec<riposte_store::Checkpoint>,
        counts: riposte_store::RunCounts,
    ) {
        if self.failure.is_some() {
            return;
        }
        let Some(persistence) = &mut self.persistence else {
            return;
        };
        let dirty = self.baselines.drain_dirty();
        if let Err(error) = persistence.commit(dirty, checkpoints, counts) {
            self.failure = Some(error);
        }
    }

    /// Ends the input: detectors that wait for a window to close report, and the findings are
    /// returned.
    pub(crate) fn finish(&mut self) -> Vec<Finding> {
        self.detectors.finish(&mut self.findings);
        std::mem::take(&mut self.findings)
    }

    pub(crate) fn into_persistence(self) -> Option<Persistence> {
        self.persistence
    }
}

/// Returns false for principals without behaviour of their own to learn: AWS services, the
/// providers' system principals, network sources and unknown actors.
fn has_baseline(kind: IdentityKind) -> bool {
    !matches!(
        kind,
        IdentityKind::AwsService
            | IdentityKind::ProviderSystem
            | IdentityKind::NetworkSource
            | IdentityKind::Unknown
    )
}

/// The state of one identity in a run.
#[derive(Default)]
struct Known {
    /// The identity's compact id, the key of its baseline and of its rows in a store. An actor
    /// without a baseline gets one only when a store needs it.
    id: Option<i64>,
    /// One bit per [`IdentityKind`] the graph has seen the identity with. What the graph learns
    /// from an event depends only on the actor's key, kind, e-mail and role session, which do
    /// not change between events of one actor, so each actor is shown to the graph once.
    graph_kinds: u32,
    /// The baseline cache's slot that held the identity's baseline last time, which finds it
    /// again without a lookup while the cache has not given the slot to another identity.
    baseline_slot: Option<u32>,
}

/// Returns the entry of `key`, created empty when absent. Past [`MAX_CACHED_IDS`] entries
/// the map starts over, and ids are read again from the store.
fn known<'a>(
    identities: &'a mut hashbrown::HashMap<IdentityKey, Known, RandomState>,
    key: &IdentityKey,
) -> &'a mut Known {
    if identities.len() >= MAX_CACHED_IDS && !identities.contains_key(key) {
        identities.clear();
    }
    identities.entry_ref(key).or_default()
}

/// Returns the id of `known`, asking the store for it or handing out the next one the first
/// time.
fn assign_id(
    known: &mut Known,
    key: &IdentityKey,
    persistence: &mut Option<Persistence>,
    next_id: &mut i64,
) -> Result<i64, StateError> {
    if let Some(id) = known.id {
        return Ok(id);
    }
    let id = match persistence {
        Some(persistence) => persistence.identity_id(key)?,
        None => {
            let id = *next_id;
            *next_id = next_id.saturating_add(1);
            id
        }
    };
    known.id = Some(id);
    Ok(id)
}

/// Returns true the first time the graph should see `event`'s actor with its kind, and
/// remembers it. Failed authentications teach the graph nothing, so they do not count.
fn first_graph_sight(known: &mut Known, event: &Event) -> bool {
    if !event.is_successful_authentication() && event.activity.is_authentication() {
        return false;
    }
    // `Unknown` is the last kind, so every kind has a bit in a `u32`.
    const _: () = assert!((IdentityKind::Unknown as u32) < u32::BITS);
    let bit = 1_u32 << (event.actor.kind as u32);
    let first = known.graph_kinds & bit == 0;
    known.graph_kinds |= bit;
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use riposte_detect::testing::EventBuilder;

    #[test]
    fn actor_key_shares_stored_text() {
        let mut analysis = Analysis::new(
            &DetectionSettings::default(),
            &BaselineSettings::default(),
            Inventory::default(),
            None,
        );
        let mut first = EventBuilder::new("alice@example.com", "2024-05-01T09:00:00Z").build();
        let mut second = EventBuilder::new("alice@example.com", "2024-05-01T09:05:00Z")
            .id("second")
            .build();
        assert!(!Arc::ptr_eq(&first.actor.key.id, &second.actor.key.id));

        analysis.observe(&mut first);
        analysis.observe(&mut second);

        assert!(Arc::ptr_eq(&first.actor.key.id, &second.actor.key.id));
        assert_eq!(&*second.actor.key.id, "alice@example.com");
    }
}

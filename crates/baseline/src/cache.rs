//! A least-recently-used cache of the baselines of active identities.

use std::collections::HashMap;
use std::num::NonZeroU32;

use hashbrown::HashTable;
use riposte_model::Event;

use crate::{Baseline, BaselineSettings};

/// Marks the end of the recency list.
const NONE: u32 = u32::MAX;

/// One cached baseline, linked into the recency list by slot index.
#[derive(Debug)]
struct Slot {
    id: u64,
    /// The next more recently used slot, or [`NONE`].
    newer: u32,
    /// The next less recently used slot, or [`NONE`].
    older: u32,
    baseline: Baseline,
}

/// The slots whose baseline changed since it was loaded or last drained.
///
/// One bit per slot, because a flag in the slot would cost 8 bytes of padding. The slots are
/// also listed in the order they were marked, so that draining visits only those. The list
/// may repeat a slot or name one that was evicted since, and the bit decides.
#[derive(Debug, Default)]
struct DirtySet {
    bits: Vec<u64>,
    marked: Vec<u32>,
}

impl DirtySet {
    fn contains(&self, slot: u32) -> bool {
        let (word, bit) = (slot as usize / 64, slot % 64);
        self.bits
            .get(word)
            .is_some_and(|bits| bits & (1 << bit) != 0)
    }

    fn insert(&mut self, slot: u32) {
        if self.contains(slot) {
            return;
        }
        let (word, bit) = (slot as usize / 64, slot % 64);
        if self.bits.len() <= word {
            self.bits.resize(word + 1, 0);
        }
        if let Some(bits) = self.bits.get_mut(word) {
            *bits |= 1 << bit;
        }
        self.marked.push(slot);
    }

    /// Clears the bit of a slot and returns whether it was set.
    fn remove(&mut self, slot: u32) -> bool {
        let (word, bit) = (slot as usize / 64, slot % 64);
        match self.bits.get_mut(word) {
            Some(bits) if *bits & (1 << bit) != 0 => {
                *bits &= !(1 << bit);
                true
            }
            _ => false,
        }
    }
}

/// A baseline that changed and must be written back to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirtyBaseline {
    pub id: u64,
    /// The baseline in the format of [`Baseline::to_bytes`].
    pub bytes: Vec<u8>,
}

/// Counters of a cache since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Baselines dropped to make room, dirty or not.
    pub evictions: u64,
    /// Evicted baselines that had changed, kept until [`BaselineCache::drain_dirty`].
    pub dirty_evictions: u64,
}

/// The baselines of the most recently active identities, keyed by a compact identity id
/// that the store assigns.
///
/// Memory: the slots live in one vector that grows by doubling up to the capacity. The index
/// is a hash table of 4-byte slot numbers. So the cache adds to each baseline 16 bytes of
/// slot and 5 to 10 bytes of index. When full, loading another identity evicts the least
/// recently used one; a changed baseline is kept aside, serialized, until the engine calls
/// [`BaselineCache::drain_dirty`] and writes it to the store. The engine should drain after
/// each batch, because those kept baselines are outside the capacity.
#[derive(Debug)]
pub struct BaselineCache {
    slots: Vec<Slot>,
    index: HashTable<u32>,
    /// The most recently used slot, or [`NONE`].
    newest: u32,
    /// The least recently used slot, or [`NONE`].
    oldest: u32,
    capacity: u32,
    dirty: DirtySet,
    /// Evicted baselines that had changed, by identity id.
    evicted: HashMap<u64, Baseline>,
    stats: CacheStats,
    /// Stands in for a slot missing from `slots`, which the index never names, so that
    /// handing out a baseline needs no panic.
    spare: Slot,
}

/// Spreads identity ids over the table. Ids come from the store, not from log input, so a
/// fixed mixer is enough: the finalizer of SplitMix64.
fn hash_id(id: u64) -> u64 {
    let mut z = id.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl BaselineCache {
    /// Creates a cache for `capacity` baselines. At most `u32::MAX - 1` are held.
    pub fn new(capacity: NonZeroU32) -> Self {
        Self {
            slots: Vec::new(),
            index: HashTable::new(),
            newest: NONE,
            oldest: NONE,
            capacity: capacity.get().min(NONE - 1),
            dirty: DirtySet::default(),
            evicted: HashMap::new(),
            stats: CacheStats::default(),
            spare: Slot {
                id: 0,
                newer: NONE,
                older: NONE,
                baseline: Baseline::default(),
            },
        }
    }

    /// Creates a cache of `settings.cache_capacity` baselines.
    pub fn with_settings(settings: &BaselineSettings) -> Self {
        Self::new(settings.cache_capacity)
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn capacity(&self) -> usize {
        usize::try_from(self.capacity).unwrap_or(usize::MAX)
    }

    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Returns the number of evicted baselines waiting for [`BaselineCache::drain_dirty`].
    pub fn pending_evictions(&self) -> usize {
        self.evicted.len()
    }

    fn find(&self, id: u64) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash_id(id), |&slot| {
                slots.get(slot as usize).is_some_and(|slot| slot.id == id)
            })
            .copied()
    }

    fn slot_mut(&mut self, slot: u32) -> Option<&mut Slot> {
        self.slots.get_mut(slot as usize)
    }

    /// Returns the cached baseline of `id` without loading it or changing its recency.
    pub fn peek(&self, id: u64) -> Option<&Baseline> {
        let slot = self.find(id)?;
        self.slots.get(slot as usize).map(|slot| &slot.baseline)
    }

    /// Returns the cached baseline of `id`, marking it most recently used, or `None` when it
    /// is not cached.
    pub fn get(&mut self, id: u64) -> Option<CachedBaseline<'_>> {
        let slot = self.find(id)?;
        self.touch(slot);
        Some(self.handle(slot))
    }

    /// Returns the baseline of `id` as [`BaselineCache::get_or_load`] does, looking first in
    /// `hint`, the slot that [`CachedBaseline::slot`] gave for `id` before. A slot contains one
    /// identity at a time, so a hint whose slot now contains another identity is ignored. A
    /// correct hint saves the lookup in the index, whose entry is rarely in cache.
    pub fn get_or_load_at<E>(
        &mut self,
        id: u64,
        hint: Option<u32>,
        loader: impl FnOnce(u64) -> Result<Option<Baseline>, E>,
    ) -> Result<CachedBaseline<'_>, E> {
        let held = hint.filter(|&slot| {
            self.slots
                .get(slot as usize)
                .is_some_and(|entry| entry.id == id)
        });
        match held {
            Some(slot) => {
                self.stats.hits = self.stats.hits.saturating_add(1);
                self.touch(slot);
                Ok(self.handle(slot))
            }
            None => self.get_or_load(id, loader),
        }
    }

    /// Returns the baseline of `id`, loading it on a miss.
    ///
    /// On a miss, a baseline evicted with changes not yet drained is taken back first, so
    /// that the store's older copy is never read over it. Otherwise `loader` is called with
    /// the id and returns the stored baseline, or `None` for an identity never stored, which
    /// starts empty. A loader error is returned and nothing is cached.
    pub fn get_or_load<E>(
        &mut self,
        id: u64,
        loader: impl FnOnce(u64) -> Result<Option<Baseline>, E>,
    ) -> Result<CachedBaseline<'_>, E> {
        if let Some(slot) = self.find(id) {
            self.stats.hits = self.stats.hits.saturating_add(1);
            self.touch(slot);
            return Ok(self.handle(slot));
        }
        self.stats.misses = self.stats.misses.saturating_add(1);
        let (baseline, dirty) = match self.evicted.remove(&id) {
            Some(baseline) => (baseline, true),
            None => (loader(id)?.unwrap_or_default(), false),
        };
        let slot = self.insert(id, baseline, dirty);
        Ok(self.handle(slot))
    }

    fn handle(&mut self, slot: u32) -> CachedBaseline<'_> {
        let Self {
            slots,
            dirty,
            spare,
            ..
        } = self;
        let entry = match slots.get_mut(slot as usize) {
            Some(entry) => entry,
            None => spare,
        };
        CachedBaseline { slot, entry, dirty }
    }

    /// Places a baseline in a new slot, or in the least recently used one when the cache
    /// is full, and returns the slot.
    fn insert(&mut self, id: u64, baseline: Baseline, dirty: bool) -> u32 {
        let full = self.slots.len() >= self.capacity();
        let slot = if full && self.oldest != NONE {
            let slot = self.oldest;
            self.evict(slot);
            if let Some(entry) = self.slot_mut(slot) {
                entry.id = id;
                entry.baseline = baseline;
            }
            slot
        } else {
            self.grow();
            let slot = u32::try_from(self.slots.len()).unwrap_or(NONE - 1);
            self.slots.push(Slot {
                id,
                newer: NONE,
                older: NONE,
                baseline,
            });
            slot
        };
        if dirty {
            self.dirty.insert(slot);
        }
        let slots = &self.slots;
        self.index.insert_unique(hash_id(id), slot, |&slot| {
            slots.get(slot as usize).map_or(0, |slot| hash_id(slot.id))
        });
        self.push_newest(slot);
        slot
    }

    /// Reserves room for more slots: double, but never past the capacity, so that a full
    /// cache has no unused slots.
    fn grow(&mut self) {
        if self.slots.len() < self.slots.capacity() {
            return;
        }
        let target = self
            .slots
            .len()
            .saturating_mul(2)
            .max(16)
            .min(self.capacity());
        self.slots
            .reserve_exact(target.saturating_sub(self.slots.len()).max(1));
    }

    /// Removes the baseline in `slot` from the index and the recency list, keeping it aside
    /// when it is dirty. The slot itself stays, to be reused.
    fn evict(&mut self, slot: u32) {
        self.unlink(slot);
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return;
        };
        let id = entry.id;
        let baseline = std::mem::take(&mut entry.baseline);
        let dirty = self.dirty.remove(slot);
        if let Ok(found) = self.index.find_entry(hash_id(id), |&other| other == slot) {
            found.remove();
        }
        self.stats.evictions = self.stats.evictions.saturating_add(1);
        if dirty {
            self.stats.dirty_evictions = self.stats.dirty_evictions.saturating_add(1);
            self.evicted.insert(id, baseline);
        }
    }

    fn touch(&mut self, slot: u32) {
        if self.newest == slot {
            return;
        }
        self.unlink(slot);
        self.push_newest(slot);
    }

    fn unlink(&mut self, slot: u32) {
        let Some((newer, older)) = self.slots.get(slot as usize).map(|s| (s.newer, s.older)) else {
            return;
        };
        // A slot with nothing newer is the newest, and one with nothing older the oldest.
        match self.slot_mut(newer) {
            Some(entry) => entry.older = older,
            None => self.newest = older,
        }
        match self.slot_mut(older) {
            Some(entry) => entry.newer = newer,
            None => self.oldest = newer,
        }
        if let Some(entry) = self.slot_mut(slot) {
            entry.newer = NONE;
            entry.older = NONE;
        }
    }

    fn push_newest(&mut self, slot: u32) {
        let previous = self.newest;
        if let Some(entry) = self.slot_mut(slot) {
            entry.newer = NONE;
            entry.older = previous;
        }
        if let Some(entry) = self.slot_mut(previous) {
            entry.newer = slot;
        }
        self.newest = slot;
        if self.oldest == NONE {
            self.oldest = slot;
        }
    }

    /// Returns every baseline changed since the last drain, evicted or still cached, as
    /// bytes to store, and marks the cached ones clean.
    pub fn drain_dirty(&mut self) -> Vec<DirtyBaseline> {
        let mut drained: Vec<DirtyBaseline> = self
            .evicted
            .drain()
            .map(|(id, baseline)| DirtyBaseline {
                id,
                bytes: baseline.to_bytes(),
            })
            .collect();
        for slot in std::mem::take(&mut self.dirty.marked) {
            if self.dirty.remove(slot)
                && let Some(entry) = self.slots.get(slot as usize)
            {
                drained.push(DirtyBaseline {
                    id: entry.id,
                    bytes: entry.baseline.to_bytes(),
                });
            }
        }
        drained.sort_unstable_by_key(|dirty| dirty.id);
        drained
    }

    /// Returns the ids of the cached identities, most recently used first.
    pub fn ids_by_recency(&self) -> Vec<u64> {
        let mut ids = Vec::with_capacity(self.slots.len());
        let mut slot = self.newest;
        while let Some(entry) = self.slots.get(slot as usize) {
            ids.push(entry.id);
            slot = entry.older;
            if ids.len() > self.slots.len() {
                break;
            }
        }
        ids
    }
}

/// A cached baseline. Reading leaves it clean; [`CachedBaseline::update`] and
/// [`CachedBaseline::baseline_mut`] mark it dirty so that [`BaselineCache::drain_dirty`]
/// returns it.
pub struct CachedBaseline<'a> {
    slot: u32,
    entry: &'a mut Slot,
    dirty: &'a mut DirtySet,
}

impl CachedBaseline<'_> {
    pub fn id(&self) -> u64 {
        self.entry.id
    }

    /// Returns the slot that contains the baseline, a hint for
    /// [`BaselineCache::get_or_load_at`].
    pub fn slot(&self) -> u32 {
        self.slot
    }

    pub fn baseline(&self) -> &Baseline {
        &self.entry.baseline
    }

    /// Returns the baseline to change, marking it dirty.
    pub fn baseline_mut(&mut self) -> &mut Baseline {
        self.mark_dirty();
        &mut self.entry.baseline
    }

    /// Learns from an event, marking the baseline dirty when it changed. Returns whether it
    /// changed, as [`Baseline::update`] does.
    pub fn update(&mut self, event: &Event, settings: &BaselineSettings) -> bool {
        let changed = self.entry.baseline.update(event, settings);
        if changed {
            self.mark_dirty();
        }
        changed
    }

    fn mark_dirty(&mut self) {
        self.dirty.insert(self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_adds_16_bytes() {
        assert_eq!(
            std::mem::size_of::<Slot>(),
            std::mem::size_of::<Baseline>() + 16
        );
    }
}

use std::hash::Hash;

use chrono::TimeDelta;
use foldhash::fast::RandomState;
use hashbrown::hash_map::EntryRef;
use hashbrown::{Equivalent, HashMap};
use riposte_model::Timestamp;

/// A map whose entries expire when they have not been touched for `horizon` of event time.
///
/// Detections keep per-identity or per-source state in it, so that memory follows the number
/// of identities active within the horizon rather than the number of events. Expired entries
/// are swept in one pass once the map has grown by half since the last sweep, which keeps the
/// cost amortized constant per insert.
///
/// Lookups take a borrowed form of the key (see [`KeyRef`]), so finding an entry costs no
/// allocation. The owned key is built only when an entry is created.
pub(crate) struct ExpiringMap<K, V> {
    /// Hashed with foldhash, faster than SipHash. Only `retain` iterates over the entries,
    /// so their order never reaches a finding.
    entries: HashMap<K, (Timestamp, V), RandomState>,
    horizon: TimeDelta,
    /// The time `horizon` before the latest event time. Entries touched before it have expired.
    /// It is `None`, and no entry has expired, before the first event or when that time would
    /// precede the earliest representable timestamp.
    cutoff: Option<Timestamp>,
    latest: Option<Timestamp>,
    inserts_since_sweep: usize,
}

/// A key of an [`ExpiringMap`], or a borrowed form of a key that hashes and compares as the
/// owned key does.
pub(crate) trait KeyRef<K>: Hash + Equivalent<K> {
    /// Returns the owned key, for an entry being created.
    fn to_key(&self) -> K;
}

impl<K: Clone + Hash + Eq> KeyRef<K> for K {
    fn to_key(&self) -> K {
        self.clone()
    }
}

/// Sweeps run no more often than every this many inserts.
const MIN_INSERTS_BETWEEN_SWEEPS: usize = 1024;

impl<K: Eq + Hash, V> ExpiringMap<K, V> {
    pub(crate) fn new(horizon: TimeDelta) -> Self {
        Self {
            entries: HashMap::default(),
            horizon,
            cutoff: None,
            latest: None,
            inserts_since_sweep: 0,
        }
    }

    /// Returns the entry for `key`, creating it with `create` when absent or expired, and
    /// marks it as touched at `time`.
    pub(crate) fn touch_or_insert_with<Q: KeyRef<K> + ?Sized>(
        &mut self,
        key: &Q,
        time: Timestamp,
        create: impl FnOnce() -> V,
    ) -> &mut V {
        self.touch_or_insert_value(key, time, (), |()| create(), |_, ()| {})
    }

    /// Returns the entry for `key` and marks it as touched at `time`. The entry is created
    /// from `value` by `create` when absent or expired, else `update` hands `value` to it, so
    /// that `value` is moved, never copied.
    pub(crate) fn touch_or_insert_value<Q: KeyRef<K> + ?Sized, T>(
        &mut self,
        key: &Q,
        time: Timestamp,
        value: T,
        create: impl FnOnce(T) -> V,
        update: impl FnOnce(&mut V, T),
    ) -> &mut V {
        self.advance(time);
        let cutoff = self.cutoff;
        let entry = match self.entries.entry_ref(key) {
            EntryRef::Occupied(occupied) => {
                let entry = occupied.into_mut();
                if is_expired(entry.0, cutoff) {
                    entry.1 = create(value);
                } else {
                    update(&mut entry.1, value);
                }
                entry
            }
            EntryRef::Vacant(vacant) => vacant.insert_with_key(key.to_key(), (time, create(value))),
        };
        if time > entry.0 {
            entry.0 = time;
        }
        &mut entry.1
    }

    /// Returns the live entry for `key`, without touching it.
    pub(crate) fn get<Q: Hash + Equivalent<K> + ?Sized>(&self, key: &Q) -> Option<&V> {
        let (touched, value) = self.entries.get(key)?;
        (!is_expired(*touched, self.cutoff)).then_some(value)
    }

    pub(crate) fn remove<Q: Hash + Equivalent<K> + ?Sized>(&mut self, key: &Q) -> Option<V> {
        self.entries.remove(key).map(|(_, value)| value)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Records that event time has reached `time`, sweeping expired entries when due.
    fn advance(&mut self, time: Timestamp) {
        if self.latest.is_none_or(|latest| time > latest) {
            self.latest = Some(time);
            self.cutoff = time.checked_sub_signed(self.horizon);
        }
        self.inserts_since_sweep += 1;
        let due =
            self.inserts_since_sweep >= MIN_INSERTS_BETWEEN_SWEEPS.max(self.entries.len() / 2);
        if due {
            self.sweep();
        }
    }

    fn sweep(&mut self) {
        self.inserts_since_sweep = 0;
        let Some(cutoff) = self.cutoff else {
            return;
        };
        self.entries.retain(|_, (touched, _)| *touched >= cutoff);
    }
}

/// Returns true when an entry touched at `touched` has expired, which is when it was touched
/// before `cutoff`.
fn is_expired(touched: Timestamp, cutoff: Option<Timestamp>) -> bool {
    cutoff.is_some_and(|cutoff| touched < cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::at;

    #[test]
    fn expired_entry_is_recreated() {
        let mut map = ExpiringMap::new(TimeDelta::hours(1));
        *map.touch_or_insert_with(&"a", at("2024-01-01T00:00:00Z"), || 0) += 5;
        let value = *map.touch_or_insert_with(&"a", at("2024-01-01T00:30:00Z"), || 0);
        assert_eq!(value, 5);
        let value = *map.touch_or_insert_with(&"a", at("2024-01-01T02:00:00Z"), || 0);
        assert_eq!(value, 0);
    }

    #[test]
    fn sweep_bounds_the_map() {
        let mut map = ExpiringMap::new(TimeDelta::minutes(1));
        let start = at("2024-01-01T00:00:00Z");
        for second in 0..100_000_i64 {
            map.touch_or_insert_with(&second, start + TimeDelta::seconds(second), || ());
        }
        // At most the entries of the last minute plus what accumulated since the last sweep.
        assert!(map.len() <= 60 + 1 + 2048, "{}", map.len());
    }

    #[test]
    fn get_hides_expired_entries() {
        let mut map = ExpiringMap::new(TimeDelta::minutes(5));
        map.touch_or_insert_with(&"a", at("2024-01-01T00:00:00Z"), || 1);
        map.touch_or_insert_with(&"b", at("2024-01-01T00:10:00Z"), || 2);
        assert_eq!(map.get(&"a"), None);
        assert_eq!(map.get(&"b"), Some(&2));
    }
}

use std::fmt;
use std::sync::Mutex;

/// Number of slots of a [`RecordCache`]. A slot of a City cache takes 112 bytes plus the heap
/// strings of its location, so a full cache takes under 1 MiB (an estimate for 64-bit targets).
const SLOTS: usize = 4096;

/// A direct-mapped cache of decoded records, keyed by the record's offset in the database's
/// data section.
///
/// Many networks share one record (every network of a city points at the same data), and the
/// addresses of one log repeat, so most lookups find a record decoded shortly before. Decoding
/// a GeoLite2-City record, with its names in eight languages, costs far more than walking the
/// search tree to find its offset. Results without a value (a record without a place, or an
/// undecodable one) are cached too.
///
/// One lock guards the slots. When the lock is poisoned the cache is bypassed.
pub(crate) struct RecordCache<T> {
    slots: Mutex<Vec<Option<Slot<T>>>>,
}

#[derive(Clone)]
struct Slot<T> {
    offset: usize,
    value: Option<T>,
}

impl<T: Clone> RecordCache<T> {
    pub(crate) fn new() -> Self {
        Self {
            slots: Mutex::new(vec![None; SLOTS]),
        }
    }

    /// Returns the cached value for `offset`, or decodes it with `decode` and caches it.
    pub(crate) fn get_or_decode(
        &self,
        offset: usize,
        decode: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        let index = slot_index(offset);
        if let Ok(slots) = self.slots.lock() {
            if let Some(Some(slot)) = slots.get(index) {
                if slot.offset == offset {
                    return slot.value.clone();
                }
            }
        }

        let value = decode();
        if let Ok(mut slots) = self.slots.lock() {
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(Slot {
                    offset,
                    value: value.clone(),
                });
            }
        }
        value
    }
}

impl<T> fmt::Debug for RecordCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordCache")
            .field("slots", &SLOTS)
            .finish_non_exhaustive()
    }
}

/// Spreads offsets over the slots with Fibonacci hashing, because record offsets are not
/// uniformly distributed in their low bits.
fn slot_index(offset: usize) -> usize {
    const GOLDEN_RATIO_64: u64 = 0x9E37_79B9_7F4A_7C15;
    let hash = (offset as u64).wrapping_mul(GOLDEN_RATIO_64);
    (hash >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_value_skips_decoding() {
        let cache = RecordCache::new();
        assert_eq!(cache.get_or_decode(42, || Some("first")), Some("first"));
        assert_eq!(cache.get_or_decode(42, || Some("second")), Some("first"));
    }

    #[test]
    fn missing_value_is_cached() {
        let cache = RecordCache::<&str>::new();
        assert_eq!(cache.get_or_decode(7, || None), None);
        assert_eq!(cache.get_or_decode(7, || Some("decoded")), None);
    }

    #[test]
    fn colliding_offset_replaces_slot() {
        let cache = RecordCache::new();
        let first = 1;
        let colliding = (2..)
            .find(|&offset| slot_index(offset) == slot_index(first))
            .unwrap();
        assert_eq!(cache.get_or_decode(first, || Some(1)), Some(1));
        assert_eq!(cache.get_or_decode(colliding, || Some(2)), Some(2));
        assert_eq!(cache.get_or_decode(first, || Some(3)), Some(3));
    }

    #[test]
    fn slot_index_stays_in_bounds() {
        for offset in [0, 1, 4095, 4096, usize::MAX] {
            assert!(slot_index(offset) < SLOTS, "{offset}");
        }
    }
}

//! Shared text for the string fields of events.
//!
//! Events wait in the reorder buffer long after they are normalized, so the blocks of their
//! strings are out of the processor's caches by the time they are freed and reused. A field
//! filled from a [`StringCache`] costs no allocation and no free when its text is already
//! there, only a reference count increment on a block that recent events used too.

use std::cell::Cell;
use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::FixedState;

/// Slots in the table, which take 16 bytes each. A power of two, so that a hash selects a
/// slot with a mask.
///
/// NOTE: sized on the logs of `riposte-synth bench`, where 1,024 slots left more cache
/// misses (callgrind) than 4,096. Logs with many more distinct user agents, places or
/// applications may need more.
const SLOTS: usize = 4096;

/// Texts longer than this, in bytes, are allocated on their own and never cached, so that the
/// strings the table keeps alive hold at most `SLOTS * MAX_CACHED_LEN` bytes (2 MiB) of text.
const MAX_CACHED_LEN: usize = 512;

/// A direct-mapped table of shared strings, indexed by a hash of their text.
///
/// A hit returns a clone of the cached [`Arc`]. A miss allocates the text and replaces the
/// slot's previous string, which stays alive only while events still hold it. The table never
/// grows, whatever the input.
///
/// Normalizers fill through it the fields whose few values repeat across many records: user
/// agents, places, AS organizations, operations, services, accounts, roles and applications.
/// Per-person text (identity ids, names, e-mail addresses, session names) is allocated with
/// `reuse_or_allocate` instead. A log names far more people than the table has slots, so
/// such text would mostly miss and push out the strings that do repeat.
///
/// The table uses [`Cell`]s, so that normalizers can share it through the `&`
/// [`RecordContext`](crate::RecordContext) they receive. It is therefore not `Sync`: each
/// decoder has its own.
pub struct StringCache {
    slots: Box<[Cell<Option<Arc<str>>>]>,
    hasher: FixedState,
}

impl StringCache {
    pub fn new() -> Self {
        Self {
            slots: (0..SLOTS).map(|_| Cell::new(None)).collect(),
            hasher: FixedState::default(),
        }
    }

    /// Returns a shared string with the content of `text`: the cached one when its slot
    /// contains the same text, else a new one that replaces the slot's string.
    pub fn share(&self, text: &str) -> Arc<str> {
        if text.len() > MAX_CACHED_LEN {
            return Arc::from(text);
        }
        let index = self.hasher.hash_one(text) as usize & (SLOTS - 1);
        let Some(slot) = self.slots.get(index) else {
            return Arc::from(text);
        };
        let shared = match slot.take() {
            Some(cached) if *cached == *text => cached,
            _ => Arc::from(text),
        };
        slot.set(Some(Arc::clone(&shared)));
        shared
    }
}

impl Default for StringCache {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for StringCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StringCache")
            .field("slots", &self.slots.len())
            .finish_non_exhaustive()
    }
}

/// Returns a clone of the first of `candidates` whose text is `text`, else a new string.
///
/// One record often repeats a person's text in several fields, such as a login that is both
/// the name and the e-mail address, or a target that is the actor itself. Those fields then
/// share one allocation.
pub(crate) fn reuse_or_allocate(text: &str, candidates: &[Option<&Arc<str>>]) -> Arc<str> {
    candidates
        .iter()
        .flatten()
        .find(|&&candidate| &**candidate == text)
        .map_or_else(|| Arc::from(text), |candidate| Arc::clone(candidate))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the slots that hold a string.
    fn occupied(cache: &StringCache) -> usize {
        cache
            .slots
            .iter()
            .filter(|slot| {
                let text = slot.take();
                let present = text.is_some();
                slot.set(text);
                present
            })
            .count()
    }

    #[test]
    fn hit_shares_the_allocation() {
        let cache = StringCache::new();
        let first = cache.share("Mozilla/5.0");
        let second = cache.share(&String::from("Mozilla/5.0"));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(&*second, "Mozilla/5.0");
        // The two events and the slot.
        assert_eq!(Arc::strong_count(&first), 3);
    }

    #[test]
    fn miss_replaces_the_slot() {
        let cache = StringCache::new();
        let texts: Vec<String> = (0..SLOTS * 4).map(|n| format!("user-{n}")).collect();
        let index = |text: &str| cache.hasher.hash_one(text) as usize & (SLOTS - 1);
        let first = texts.first().map_or("", String::as_str);
        let Some(rival) = texts
            .iter()
            .skip(1)
            .find(|text| index(text) == index(first))
        else {
            panic!("no text shares a slot with {first:?}");
        };

        let old = cache.share(first);
        let new = cache.share(rival);
        assert_eq!(&*new, rival.as_str());
        // The slot let go of the old string, which only this test still holds.
        assert_eq!(Arc::strong_count(&old), 1);
        assert_eq!(Arc::strong_count(&new), 2);
        let again = cache.share(first);
        assert!(!Arc::ptr_eq(&old, &again));
        assert_eq!(old, again);
    }

    #[test]
    fn cache_holds_at_most_one_string_per_slot() {
        let cache = StringCache::new();
        for n in 0..SLOTS * 8 {
            drop(cache.share(&format!("203.0.113.{n}")));
        }
        let occupied = occupied(&cache);
        assert!(occupied <= SLOTS, "{occupied} strings in {SLOTS} slots");
        assert!(occupied > SLOTS / 2, "{occupied} strings in {SLOTS} slots");
    }

    #[test]
    fn long_text_is_not_cached() {
        let cache = StringCache::new();
        let long = "a".repeat(MAX_CACHED_LEN + 1);
        let first = cache.share(&long);
        let second = cache.share(&long);
        assert_eq!(first, second);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(occupied(&cache), 0);

        let longest = "a".repeat(MAX_CACHED_LEN);
        assert!(Arc::ptr_eq(&cache.share(&longest), &cache.share(&longest)));
    }

    #[test]
    fn equal_candidate_is_reused() {
        let name: Arc<str> = Arc::from("ada@example.com");
        let other: Arc<str> = Arc::from("Ada");
        let reused = reuse_or_allocate("ada@example.com", &[None, Some(&other), Some(&name)]);
        assert!(Arc::ptr_eq(&reused, &name));

        let allocated = reuse_or_allocate("bob@example.com", &[Some(&name), Some(&other)]);
        assert_eq!(&*allocated, "bob@example.com");
        assert!(!Arc::ptr_eq(&allocated, &name));
        assert!(!Arc::ptr_eq(&allocated, &other));
    }

    #[test]
    fn empty_text_is_shared() {
        let cache = StringCache::new();
        assert!(Arc::ptr_eq(&cache.share(""), &cache.share("")));
    }
}

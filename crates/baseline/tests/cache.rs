#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use std::cell::Cell;
use std::convert::Infallible;
use std::num::NonZeroU32;

use riposte_baseline::{Baseline, BaselineCache, BaselineSettings};
use riposte_model::Outcome;
use support::home_sign_in;

fn cache(capacity: u32) -> BaselineCache {
    BaselineCache::new(NonZeroU32::new(capacity).unwrap())
}

fn empty(_: u64) -> Result<Option<Baseline>, Infallible> {
    Ok(None)
}

/// Loads `id` and teaches it one home sign-in.
fn learn(cache: &mut BaselineCache, id: u64, time: &str) {
    let mut cached = cache.get_or_load(id, empty).unwrap();
    assert!(cached.update(&home_sign_in(time), &BaselineSettings::default()));
}

#[test]
fn loads_once_then_hits() {
    let mut cache = cache(4);
    let loads = Cell::new(0);
    let loader = |id: u64| {
        loads.set(loads.get() + 1);
        assert_eq!(id, 7);
        Ok::<_, Infallible>(None)
    };

    cache.get_or_load(7, loader).unwrap();
    cache.get_or_load(7, loader).unwrap();

    assert_eq!(loads.get(), 1);
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses), (1, 1));
    assert_eq!(cache.len(), 1);
}

#[test]
fn stored_baseline_is_loaded() {
    let mut stored = Baseline::new();
    stored.update(
        &home_sign_in("2024-05-06T09:00:00Z"),
        &BaselineSettings::default(),
    );
    let bytes = stored.to_bytes();
    let mut cache = cache(4);

    let cached = cache
        .get_or_load(3, |_| Baseline::from_bytes(&bytes).map(Some))
        .unwrap();

    assert_eq!(cached.id(), 3);
    assert!(cached.baseline().has_country("FR"));
}

#[test]
fn evicts_least_recently_used() {
    let mut cache = cache(2);
    cache.get_or_load(1, empty).unwrap();
    cache.get_or_load(2, empty).unwrap();
    assert!(cache.get(1).is_some());

    cache.get_or_load(3, empty).unwrap();

    assert_eq!(cache.ids_by_recency(), [3, 1]);
    assert!(cache.peek(2).is_none());
    assert_eq!(cache.stats().evictions, 1);
    assert_eq!(cache.stats().dirty_evictions, 0);
    assert_eq!(cache.len(), 2);
}

#[test]
fn recency_list_survives_many_evictions() {
    let mut cache = cache(3);
    for id in 0..100 {
        cache.get_or_load(id, empty).unwrap();
        if id % 7 == 0 {
            assert!(cache.get(id.saturating_sub(1)).is_some() || id == 0);
        }
    }

    let ids = cache.ids_by_recency();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], 99);
    for id in ids {
        assert!(cache.peek(id).is_some());
    }
}

#[test]
fn dirty_evictions_are_drained() {
    let mut cache = cache(2);
    learn(&mut cache, 1, "2024-05-06T09:00:00Z");
    cache.get_or_load(2, empty).unwrap();
    cache.get_or_load(3, empty).unwrap();

    assert!(cache.peek(1).is_none());
    assert_eq!(cache.stats().dirty_evictions, 1);
    assert_eq!(cache.pending_evictions(), 1);

    let drained = cache.drain_dirty();
    assert_eq!(drained.len(), 1);
    assert_eq!(drained[0].id, 1);
    let baseline = Baseline::from_bytes(&drained[0].bytes).unwrap();
    assert!(baseline.has_country("FR"));
    assert_eq!(cache.pending_evictions(), 0);
}

#[test]
fn undrained_eviction_is_taken_back() {
    let mut cache = cache(1);
    learn(&mut cache, 1, "2024-05-06T09:00:00Z");
    cache.get_or_load(2, empty).unwrap();

    let cached = cache
        .get_or_load(1, |_| -> Result<Option<Baseline>, Infallible> {
            panic!("the store holds an older copy and must not be read")
        })
        .unwrap();

    assert!(cached.baseline().has_country("FR"));
    let drained = cache.drain_dirty();
    assert_eq!(drained.len(), 1, "taken back dirty, so still written");
    assert_eq!(drained[0].id, 1);
}

#[test]
fn drain_returns_changed_baselines_once() {
    let mut cache = cache(4);
    learn(&mut cache, 1, "2024-05-06T09:00:00Z");
    learn(&mut cache, 1, "2024-05-06T10:00:00Z");
    learn(&mut cache, 2, "2024-05-06T09:00:00Z");
    cache.get_or_load(3, empty).unwrap();

    let ids: Vec<u64> = cache.drain_dirty().iter().map(|dirty| dirty.id).collect();
    assert_eq!(ids, [1, 2]);
    assert!(cache.drain_dirty().is_empty());

    learn(&mut cache, 2, "2024-05-06T11:00:00Z");
    let drained = cache.drain_dirty();
    assert_eq!(drained.len(), 1);
    assert_eq!(
        Baseline::from_bytes(&drained[0].bytes)
            .unwrap()
            .event_count(),
        2
    );
}

#[test]
fn reads_and_failures_stay_clean() {
    let mut cache = cache(4);
    let mut failed = home_sign_in("2024-05-06T09:00:00Z");
    failed.outcome = Outcome::Failure;

    let mut cached = cache.get_or_load(1, empty).unwrap();
    assert!(!cached.update(&failed, &BaselineSettings::default()));
    assert!(cached.baseline().is_empty());

    assert!(cache.drain_dirty().is_empty());
}

#[test]
fn baseline_mut_marks_dirty() {
    let mut cache = cache(4);
    let mut cached = cache.get_or_load(5, empty).unwrap();
    cached.baseline_mut().update(
        &home_sign_in("2024-05-06T09:00:00Z"),
        &BaselineSettings::default(),
    );

    let drained = cache.drain_dirty();
    assert_eq!(drained.len(), 1);
    assert_eq!(drained[0].id, 5);
}

#[test]
fn loader_error_caches_nothing() {
    let mut cache = cache(4);

    let result = cache.get_or_load(9, |_| Err::<Option<Baseline>, _>("store unavailable"));

    assert_eq!(result.err(), Some("store unavailable"));
    assert!(cache.is_empty());
    assert!(cache.peek(9).is_none());
}

#[test]
fn capacity_comes_from_settings() {
    let settings = BaselineSettings {
        cache_capacity: NonZeroU32::new(3).unwrap(),
        ..BaselineSettings::default()
    };
    let mut cache = BaselineCache::with_settings(&settings);
    for id in 0..10 {
        cache.get_or_load(id, empty).unwrap();
    }

    assert_eq!(cache.capacity(), 3);
    assert_eq!(cache.len(), 3);
    assert_eq!(cache.stats().evictions, 7);
}

#[test]
fn slot_hint_finds_baseline() {
    let mut cache = cache(2);
    let slot = cache.get_or_load(1, empty).unwrap().slot();
    cache.get_or_load(2, empty).unwrap();

    let cached = cache.get_or_load_at(1, Some(slot), empty).unwrap();

    assert_eq!(cached.id(), 1);
    assert_eq!(cache.ids_by_recency(), [1, 2]);
    assert_eq!((cache.stats().hits, cache.stats().misses), (1, 2));
}

#[test]
fn stale_slot_hint_ignored() {
    let mut cache = cache(1);
    learn(&mut cache, 1, "2024-05-06T09:00:00Z");
    let slot = cache.get_or_load(1, empty).unwrap().slot();
    // Loading 2 evicts 1 and reuses its slot.
    assert_eq!(cache.get_or_load(2, empty).unwrap().slot(), slot);
    let loads = Cell::new(0);

    let cached = cache
        .get_or_load_at(1, Some(slot), |_| {
            loads.set(loads.get() + 1);
            Ok::<_, Infallible>(None)
        })
        .unwrap();

    assert_eq!(cached.id(), 1);
    // The evicted baseline had changed, so it comes back from the evicted set, unloaded.
    assert!(cached.baseline().has_country("FR"));
    assert_eq!(loads.get(), 0);
    assert_eq!(cache.get_or_load_at(7, None, empty).unwrap().id(), 7);
}

//! Memory held by a cache full of realistic baselines, counted by a global allocator that
//! records every allocation of this test binary. The file has a single test so that no
//! other test allocates while it counts.

mod support;

use std::alloc::System;
use std::convert::Infallible;
use std::num::NonZeroU32;

use riposte_baseline::{BaselineCache, BaselineSettings, Feature};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use support::Population;

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const IDENTITIES: u32 = 10_000;
const EVENTS_PER_IDENTITY: u32 = 20;

/// The budget is 300 MiB per million identities, about 314 bytes each, for the cache and
/// everything in it.
const BUDGET_BYTES_PER_IDENTITY: usize = 314;

fn live_bytes() -> usize {
    let stats = ALLOCATOR.stats();
    stats
        .bytes_allocated
        .saturating_sub(stats.bytes_deallocated)
}

#[test]
fn cached_baselines_fit_the_budget() {
    let mut population = Population::new();
    let settings = BaselineSettings::default();
    let before = live_bytes();

    let mut cache = BaselineCache::new(NonZeroU32::new(IDENTITIES).unwrap());
    for id in 0..u64::from(IDENTITIES) {
        let mut cached = cache
            .get_or_load(id, |_| Ok::<_, Infallible>(None))
            .unwrap();
        population.feed(id, EVENTS_PER_IDENTITY, |event| {
            cached.update(event, &settings);
        });
    }
    let dirty = cache.drain_dirty();
    assert_eq!(dirty.len(), IDENTITIES as usize);
    drop(dirty);

    let per_identity = live_bytes().saturating_sub(before) / IDENTITIES as usize;
    let values: usize = (0..u64::from(IDENTITIES))
        .map(|id| {
            let baseline = cache.peek(id).unwrap();
            Feature::ALL
                .iter()
                .map(|&feature| baseline.len(feature))
                .sum::<usize>()
        })
        .sum();
    println!(
        "{per_identity} bytes per identity, {:.1} values per baseline",
        values as f64 / f64::from(IDENTITIES)
    );
    assert!(
        per_identity <= BUDGET_BYTES_PER_IDENTITY,
        "{per_identity} bytes per identity, budget {BUDGET_BYTES_PER_IDENTITY}"
    );
    assert_eq!(cache.len(), IDENTITIES as usize);
}

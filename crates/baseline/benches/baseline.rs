//! Cost of the baselines: updating one with a sign-in or an API call, assessing an event,
//! writing and reading the byte format, and the memory held by a cache of one million
//! realistic baselines.
//!
//! The memory figure comes first, printed before the timings: a counting global allocator
//! gives the bytes allocated per identity (cache slots, index and baseline values), and
//! `/proc/self/statm` the growth of the resident set. Each identity learns 20 events of the
//! population in `tests/support`, and the cache is drained every 10,000 identities as the
//! engine drains it after each batch. The counting allocator wraps the system allocator,
//! so the timings include one atomic add per allocation; updates of a familiar value
//! allocate nothing.
//!
//! Run with `cargo bench -p riposte-baseline --bench baseline`. Set
//! `RIPOSTE_BENCH_IDENTITIES` to measure another population size.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark whose setup fails has nothing to measure"
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::alloc::System;
use std::convert::Infallible;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group};
use riposte_baseline::{Baseline, BaselineCache, BaselineSettings, Feature};
use riposte_model::Event;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use support::{EventBuilder, FIREFOX, Population, home_sign_in, workload_call};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const IDENTITIES: u32 = 1_000_000;
const EVENTS_PER_IDENTITY: u32 = 20;
const DRAIN_EVERY: u64 = 10_000;

fn live_bytes() -> usize {
    let stats = ALLOCATOR.stats();
    stats
        .bytes_allocated
        .saturating_sub(stats.bytes_deallocated)
}

/// Returns the resident set size in bytes, from the second field of `/proc/self/statm`
/// (pages of 4 KiB on the machines this runs on), or 0 where that file does not exist.
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|text| text.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn memory(identities: u32) {
    let mut population = Population::new();
    let settings = BaselineSettings::default();
    let started = Instant::now();
    let live_before = live_bytes();
    let resident_before = resident_bytes();

    let mut cache = BaselineCache::new(NonZeroU32::new(identities).unwrap());
    let mut written = 0_usize;
    for id in 0..u64::from(identities) {
        let mut cached = cache
            .get_or_load(id, |_| Ok::<_, Infallible>(None))
            .unwrap();
        population.feed(id, EVENTS_PER_IDENTITY, |event| {
            cached.update(event, &settings);
        });
        if (id + 1) % DRAIN_EVERY == 0 {
            written += cache.drain_dirty().len();
        }
    }
    written += cache.drain_dirty().len();

    let elapsed = started.elapsed();
    let live = live_bytes().saturating_sub(live_before);
    let resident = resident_bytes().saturating_sub(resident_before);
    let values: usize = (0..u64::from(identities))
        .filter_map(|id| cache.peek(id))
        .map(|baseline| {
            Feature::ALL
                .iter()
                .map(|&feature| baseline.len(feature))
                .sum::<usize>()
        })
        .sum();
    let count = identities as usize;
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    println!("memory/{identities} identities, {EVENTS_PER_IDENTITY} events each:");
    println!(
        "  allocated: {} bytes per identity, {:.1} MiB in all",
        live / count,
        mib(live)
    );
    println!(
        "  resident set growth: {} bytes per identity, {:.1} MiB in all",
        resident / count,
        mib(resident)
    );
    println!(
        "  {:.1} values per baseline, {written} baselines written back, built in {:.1} s",
        values as f64 / identities as f64,
        elapsed.as_secs_f64()
    );
    black_box(&cache);
}

/// Returns a person's baseline after 20 home sign-ins, one a day.
fn person() -> Baseline {
    let mut baseline = Baseline::new();
    for day in 0..20 {
        let mut event = home_sign_in("2024-05-06T09:15:00Z");
        event.time += chrono::Duration::days(day);
        baseline.update(&event, &BaselineSettings::default());
    }
    baseline
}

/// Returns a workload's baseline after 20 calls to four operations, one a day.
fn workload() -> Baseline {
    let operations = [
        ("s3.amazonaws.com", "GetObject"),
        ("s3.amazonaws.com", "PutObject"),
        ("sqs.amazonaws.com", "ReceiveMessage"),
        ("kms.amazonaws.com", "Decrypt"),
    ];
    let mut baseline = Baseline::new();
    for (day, (service, operation)) in (0..20).zip(operations.iter().cycle()) {
        let mut event = workload_call("2024-05-06T10:00:00Z", service, operation);
        event.time += chrono::Duration::days(day);
        baseline.update(&event, &BaselineSettings::default());
    }
    baseline
}

fn novel_sign_in() -> Event {
    EventBuilder::sign_in("2024-05-26T03:20:00Z")
        .ip("198.51.100.7")
        .asn(64501, "Other Telecom")
        .geo("DE", "Berlin")
        .user_agent(FIREFOX)
        .device("phone-9")
        .build()
}

fn benches(c: &mut Criterion) {
    let settings = BaselineSettings::default();
    let familiar_sign_in = home_sign_in("2024-05-26T09:15:00Z");
    let familiar_call = workload_call("2024-05-26T10:00:00Z", "s3.amazonaws.com", "GetObject");
    let novel_call = EventBuilder::api_call(
        "2024-05-26T03:00:00Z",
        "sts.amazonaws.com",
        "GetCallerIdentity",
    )
    .ip("192.0.2.99")
    .asn(64999, "Unknown Hosting")
    .user_agent(support::AWS_CLI)
    .build();
    let novel_sign_in = novel_sign_in();

    let mut group = c.benchmark_group("update");
    let mut baseline = person();
    group.bench_function("sign_in_familiar", |b| {
        b.iter(|| baseline.update(black_box(&familiar_sign_in), &settings))
    });
    let mut baseline = workload();
    group.bench_function("api_call_familiar", |b| {
        b.iter(|| baseline.update(black_box(&familiar_call), &settings))
    });
    let person_baseline = person();
    group.bench_function("sign_in_all_new", |b| {
        b.iter_batched(
            || person_baseline.clone(),
            |mut baseline| {
                baseline.update(black_box(&novel_sign_in), &settings);
                baseline
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("assess");
    let person_baseline = person();
    let workload_baseline = workload();
    group.bench_function("sign_in_familiar", |b| {
        b.iter(|| person_baseline.assess_sign_in(black_box(&familiar_sign_in), &settings))
    });
    group.bench_function("sign_in_all_new", |b| {
        b.iter(|| person_baseline.assess_sign_in(black_box(&novel_sign_in), &settings))
    });
    group.bench_function("workload_call_all_new", |b| {
        b.iter(|| workload_baseline.assess_workload_call(black_box(&novel_call), &settings))
    });
    group.finish();

    let mut group = c.benchmark_group("codec");
    let bytes = workload_baseline.to_bytes();
    group.bench_function("to_bytes", |b| {
        b.iter(|| black_box(&workload_baseline).to_bytes())
    });
    group.bench_function("from_bytes", |b| {
        b.iter(|| Baseline::from_bytes(black_box(&bytes)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("cache");
    let mut cache = BaselineCache::new(NonZeroU32::new(100_000).unwrap());
    for id in 0..100_000 {
        cache
            .get_or_load(id, |_| Ok::<_, Infallible>(Some(person_baseline.clone())))
            .unwrap();
    }
    let mut id = 0_u64;
    group.bench_function("get_or_load_hit_and_update", |b| {
        b.iter(|| {
            id = (id + 7_919) % 100_000;
            let mut cached = cache
                .get_or_load(id, |_| Ok::<_, Infallible>(None))
                .unwrap();
            cached.update(black_box(&familiar_sign_in), &settings)
        })
    });
    group.finish();
}

criterion_group!(timings, benches);

fn main() {
    // `cargo bench` passes `--bench`; without it, as under `cargo test --benches`, criterion
    // runs each benchmark once, and a smaller population keeps that quick.
    let test_mode = !std::env::args().any(|argument| argument == "--bench");
    let identities = std::env::var("RIPOSTE_BENCH_IDENTITIES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(if test_mode { 10_000 } else { IDENTITIES });
    memory(identities);
    timings();
    Criterion::default().configure_from_args().final_summary();
}

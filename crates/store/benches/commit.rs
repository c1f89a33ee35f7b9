//! Cost of the state store's writes and point reads, on a state file in a temporary folder.
//!
//! Workloads:
//! - `commit/insert_10k`: one batch of 10,000 new identities, each with a 300-byte baseline,
//!   committed to an empty file;
//! - `commit/update_10k`: the same 10,000 identities seen again: counters merged and
//!   baselines replaced;
//! - `lookup/*`: point reads in a file of 100,000 identities with baselines, by key (the
//!   lookup before allocating an id), by id, and of one baseline.
//!
//! Run with `cargo bench -p riposte-store --bench commit`.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a benchmark whose setup fails has nothing to measure"
)]

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use riposte_model::{IdentityKey, IdentityKind, Provider};
use riposte_store::{Baseline, Batch, IdentityUpsert, Store};
use tempfile::TempDir;

const BATCH_IDENTITIES: i64 = 10_000;
const LOOKUP_IDENTITIES: i64 = 100_000;
const BASELINE_BYTES: usize = 300;

fn key(n: i64) -> IdentityKey {
    IdentityKey {
        provider: Provider::Okta,
        id: format!("00u{n:012}").into(),
    }
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_740_787_200 + seconds, 0).unwrap()
}

/// Builds a batch of identities `first..first + count`, each with one event and a baseline.
fn batch(first: i64, count: i64) -> Batch {
    let mut batch = Batch::new();
    for n in first..first + count {
        batch.upsert_identity(IdentityUpsert {
            id: n,
            key: key(n),
            kind: IdentityKind::Human,
            kind_override: None,
            display_name: Some(format!("user {n}").into()),
            email: Some(format!("user{n}@example.com").into()),
            first_seen: time(n),
            last_seen: time(n + 60),
            new_events: 1,
            new_authentications: 1,
        });
        // Bytes that vary per identity, as a serialized baseline does.
        let data = (0..BASELINE_BYTES)
            .map(|index| u8::try_from((index as i64 + n) % 251).unwrap())
            .collect();
        batch.put_baseline(Baseline {
            identity_id: n,
            format_version: 1,
            data,
            updated_at: time(n + 60),
        });
    }
    batch
}

fn open_empty() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("state.db")).unwrap();
    (dir, store)
}

fn commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit");
    group.sample_size(20);
    group.throughput(Throughput::Elements(BATCH_IDENTITIES as u64));

    let inserts = batch(1, BATCH_IDENTITIES);
    group.bench_function("insert_10k", |b| {
        b.iter_batched(
            open_empty,
            |(dir, mut store)| {
                store.commit(&inserts).unwrap();
                (dir, store)
            },
            BatchSize::PerIteration,
        );
    });

    let (_dir, mut store) = open_empty();
    store.commit(&inserts).unwrap();
    group.bench_function("update_10k", |b| {
        b.iter(|| store.commit(&inserts).unwrap());
    });
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let (_dir, mut store) = open_empty();
    for first in (1..=LOOKUP_IDENTITIES).step_by(BATCH_IDENTITIES as usize) {
        store.commit(&batch(first, BATCH_IDENTITIES)).unwrap();
    }

    let keys: Vec<IdentityKey> = (1..=LOOKUP_IDENTITIES).map(key).collect();

    let mut group = c.benchmark_group("lookup");
    // A multiplicative walk over the ids, so that consecutive reads touch distant pages.
    let mut n = 1;
    let mut next = move || {
        n = (n * 7_919) % LOOKUP_IDENTITIES + 1;
        n
    };
    group.bench_function("identity_id", |b| {
        b.iter(|| {
            let n = usize::try_from(next() - 1).unwrap();
            store.identity_id(black_box(&keys[n])).unwrap()
        });
    });
    group.bench_function("identity", |b| {
        b.iter(|| store.identity(black_box(next())).unwrap());
    });
    group.bench_function("baseline", |b| {
        b.iter(|| store.baseline(black_box(next())).unwrap());
    });
    group.finish();
}

criterion_group!(benches, commit, lookup);
criterion_main!(benches);

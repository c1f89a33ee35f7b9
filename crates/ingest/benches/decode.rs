//! Cost of decoding one record: JSON parsing, format detection and normalization, for one
//! record of each family taken from the fixtures.
//!
//! Run with `cargo bench -p riposte-ingest --bench decode`.

#![expect(
    clippy::panic,
    reason = "a missing fixture is a broken benchmark setup"
)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use riposte_ingest::framing::{Frame, FrameItem};
use riposte_ingest::json::Arena;
use riposte_ingest::{Decoded, Decoder};

/// Returns the first line of a JSON Lines fixture.
fn first_record(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    text.lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or_default()
        .as_bytes()
        .to_vec()
}

fn decode(c: &mut Criterion) {
    let decoder = Decoder::default();
    let file: Arc<Path> = Arc::from(Path::new("bench.jsonl"));
    let records = [
        (
            "cloudtrail",
            first_record("cloudtrail/cloudtrail-workload-sessions.jsonl"),
        ),
        ("okta", first_record("okta/okta_mfa_push.jsonl")),
        ("entra", first_record("entra/entra-graph-signins.jsonl")),
    ];
    let mut group = c.benchmark_group("decode_record");
    group.throughput(Throughput::Elements(1));
    for (family, bytes) in records {
        group.bench_function(family, |bencher| {
            bencher.iter(|| {
                let frame = Frame {
                    bytes: bytes.clone(),
                    line: 1,
                    index: 0,
                };
                let mut events = 0_usize;
                decoder.decode_item(FrameItem::Record(frame), &file, &mut |decoded| {
                    if matches!(decoded, Decoded::Event(_)) {
                        events += 1;
                    }
                });
                assert_eq!(
                    events, 1,
                    "the {family} bench record must decode to an event"
                );
                black_box(events)
            });
        });
    }
    group.finish();

    // JSON parsing alone, the floor under decoding, into one arena emptied before each
    // record, as the framer does.
    let mut group = c.benchmark_group("parse_json");
    group.throughput(Throughput::Elements(1));
    let mut arena = Arena::new();
    for (family, bytes) in &records_again() {
        group.bench_function(*family, |bencher| {
            bencher.iter(|| {
                arena.reset();
                let value =
                    riposte_ingest::json::parse(black_box(bytes), &arena).unwrap_or_default();
                black_box(value);
            });
        });
    }
    group.finish();

    // The same records parsed into `serde_json::Value`, the tree that `serde_json` builds.
    // Measured in the same run, it shows the gain of the hand-written parser on a machine
    // whose load changes between runs.
    let mut group = c.benchmark_group("parse_json_serde");
    group.throughput(Throughput::Elements(1));
    for (family, bytes) in &records_again() {
        group.bench_function(*family, |bencher| {
            bencher.iter(|| {
                let value = serde_json::from_slice::<serde_json::Value>(black_box(bytes))
                    .unwrap_or_default();
                black_box(value);
            });
        });
    }
    group.finish();
}

fn records_again() -> [(&'static str, Vec<u8>); 3] {
    [
        (
            "cloudtrail",
            first_record("cloudtrail/cloudtrail-workload-sessions.jsonl"),
        ),
        ("okta", first_record("okta/okta_mfa_push.jsonl")),
        ("entra", first_record("entra/entra-graph-signins.jsonl")),
    ]
}

criterion_group!(benches, decode);
criterion_main!(benches);

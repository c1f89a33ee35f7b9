//! Enrichment throughput against a generated City database with GeoLite2-sized records.
//!
//! The database has 16,384 /24 networks, each with its own record carrying what a
//! GeoLite2-City record carries: names in eight languages for the city, subdivision, country
//! and continent, the registered country, postal code, time zone and location. Workloads:
//! - `few_places`: 1,000 events from 256 networks, like a log whose users sign in from a few
//!   offices and homes. The record cache serves most lookups;
//! - `many_places`: 16,384 events, each from another network, so that every lookup misses
//!   the record cache;
//! - `city_and_asn`: `few_places` with an ASN database too;
//! - `classify_only`: no database, declared ranges only.
//!
//! Run with `cargo bench -p riposte-enrich --bench enrich`.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark whose setup fails has nothing to measure"
)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};
use mmdb_writer::{Value, Writer};
use riposte_enrich::testing::{AsnEntry, write_asn_database};
use riposte_enrich::{Enricher, NetworkSettings};
use riposte_model::{
    Activity, Credential, Event, IdentityKind, IdentityRef, Origin, Outcome, Provider, Source,
    SourceFormat,
};

const NETWORKS: u32 = 16_384;
const FEW_PLACES: u32 = 256;
const LANGUAGES: [&str; 8] = ["de", "en", "es", "fr", "ja", "pt-BR", "ru", "zh-CN"];

/// Returns the n-th /24 network, counting from 11.0.0.0 so that no network is private or
/// reserved.
fn network(n: u32) -> Ipv4Net {
    let base = Ipv4Addr::new(11, 0, 0, 0).to_bits();
    Ipv4Net::new(Ipv4Addr::from_bits(base + (n << 8)), 24).unwrap()
}

/// Returns a map with a `geoname_id` and `names` in every language, plus `extra` fields.
fn place(name: &str, geoname_id: u32, extra: &[(&str, Value)]) -> Value {
    let names = Value::map(LANGUAGES.map(|language| (language, format!("{name} ({language})"))));
    let mut fields = vec![("geoname_id", Value::from(geoname_id)), ("names", names)];
    fields.extend(extra.iter().cloned());
    Value::map(fields)
}

fn city_record(n: u32) -> Value {
    let country = place("France", 3_017_382, &[("iso_code", "FR".into())]);
    let location = Value::map([
        ("accuracy_radius", Value::U16(20)),
        ("latitude", Value::Double(43.0 + f64::from(n % 500) / 100.0)),
        ("longitude", Value::Double(1.0 + f64::from(n % 400) / 100.0)),
        ("time_zone", Value::from("Europe/Paris")),
    ]);
    Value::map([
        ("city", place(&format!("City {n}"), 2_000_000 + n, &[])),
        (
            "continent",
            place("Europe", 6_255_148, &[("code", "EU".into())]),
        ),
        ("country", country.clone()),
        ("registered_country", country),
        ("location", location),
        (
            "postal",
            Value::map([("code", Value::from(format!("{:05}", n % 100_000)))]),
        ),
        (
            "subdivisions",
            Value::array([place(
                "Île-de-France",
                3_012_874,
                &[("iso_code", "IDF".into())],
            )]),
        ),
    ])
}

fn write_city_database(path: &Path) {
    let mut writer = Writer::new("GeoLite2-City");
    for n in 0..NETWORKS {
        writer
            .insert_value(IpNet::V4(network(n)), city_record(n))
            .unwrap();
    }
    std::fs::write(path, writer.to_bytes().unwrap()).unwrap();
}

fn event(ip: IpAddr) -> Event {
    Event {
        format: SourceFormat::Okta,
        event_id: "bench".into(),
        time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        activity: Activity::SignIn,
        operation: "user.session.start".into(),
        service: None,
        outcome: Outcome::Success,
        outcome_reason: None,
        actor: IdentityRef::new(Provider::Okta, "00u1example", IdentityKind::Human),
        credential: Credential::unknown(),
        session_id: None,
        root_session_id: None,
        token_id: None,
        source: Source::new(Origin::Ip(ip)),
        interactive: None,
        mfa: None,
        targets: Vec::new(),
        privileges: Vec::new(),
        risk: None,
        account: None,
        location: None,
    }
}

/// Returns `count` events from `networks` networks, visited in a scattered order.
fn events(count: u32, networks: u32) -> Vec<Event> {
    (0..count)
        .map(|i| {
            let n = i.wrapping_mul(7_919) % networks;
            let host = network(n).network().to_bits() + 1 + i % 250;
            event(IpAddr::V4(Ipv4Addr::from_bits(host)))
        })
        .collect()
}

fn bench_enrich(c: &mut Criterion) {
    let folder = tempfile::tempdir().unwrap();
    let city_path = folder.path().join("GeoLite2-City.mmdb");
    let asn_path = folder.path().join("GeoLite2-ASN.mmdb");
    write_city_database(&city_path);
    let asns: Vec<AsnEntry> = (0..NETWORKS)
        .map(|n| AsnEntry::new(IpNet::V4(network(n)), 64_512 + n % 512, Some("Example AS")))
        .collect();
    write_asn_database(&asn_path, &asns).unwrap();

    let settings = NetworkSettings {
        corporate_egress: vec!["198.51.100.0/24".parse().unwrap()],
        vpn: vec!["203.0.113.0/25".parse().unwrap()],
    };
    let city = Enricher::new(Some(&city_path), None, &settings).unwrap();
    let city_and_asn = Enricher::new(Some(&city_path), Some(&asn_path), &settings).unwrap();
    let classify_only = Enricher::new(None, None, &settings).unwrap();

    let few_places = events(1_000, FEW_PLACES);
    let many_places = events(NETWORKS, NETWORKS);
    let workloads = [
        ("few_places", &city, &few_places),
        ("many_places", &city, &many_places),
        ("city_and_asn", &city_and_asn, &few_places),
        ("classify_only", &classify_only, &few_places),
    ];

    let mut group = c.benchmark_group("enrich");
    for (name, enricher, template) in workloads {
        group.throughput(Throughput::Elements(template.len() as u64));
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || template.clone(),
                |events| {
                    for event in events.iter_mut() {
                        enricher.enrich(black_box(event));
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench_enrich);
criterion_main!(benches);

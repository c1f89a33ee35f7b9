//! Enrichment throughput on events whose addresses all hit a generated City database.
//!
//! The database has 16,384 /24 networks sharing 256 distinct city records, which resembles
//! the sharing in GeoLite2-City. Each measured batch enriches 1,000 fresh events.
//!
//! Run with `cargo bench -p riposte-enrich --bench enrich`.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark whose setup fails has nothing to measure"
)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};
use riposte_enrich::testing::{AsnEntry, CityEntry, write_asn_database, write_city_database};
use riposte_enrich::{Enricher, NetworkSettings};
use riposte_model::{
    Activity, Credential, Event, IdentityKind, IdentityRef, Origin, Outcome, Provider, Source,
    SourceFormat,
};

const NETWORKS: u32 = 16_384;
const CITIES: u32 = 256;
const BATCH: usize = 1_000;

/// Returns the n-th /24 network, counting from 11.0.0.0 so that no network is private or
/// reserved.
fn network(n: u32) -> Ipv4Net {
    let base = Ipv4Addr::new(11, 0, 0, 0).to_bits();
    Ipv4Net::new(Ipv4Addr::from_bits(base + (n << 8)), 24).unwrap()
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

fn bench_enrich(c: &mut Criterion) {
    let folder = tempfile::tempdir().unwrap();
    let city_path = folder.path().join("GeoLite2-City.mmdb");
    let asn_path = folder.path().join("GeoLite2-ASN.mmdb");

    let cities: Vec<CityEntry> = (0..NETWORKS)
        .map(|n| {
            let city = n % CITIES;
            CityEntry::new(IpNet::V4(network(n)))
                .country("FR")
                .city(&format!("City {city}"))
                .subdivision(Some("Île-de-France"), Some("IDF"))
                .location(
                    40.0 + f64::from(city) / 100.0,
                    2.0 + f64::from(city) / 100.0,
                    20,
                )
        })
        .collect();
    write_city_database(&city_path, &cities).unwrap();
    let asns: Vec<AsnEntry> = (0..NETWORKS)
        .map(|n| {
            let number = 64_512 + n % 512;
            AsnEntry::new(IpNet::V4(network(n)), number, Some("Example Networks"))
        })
        .collect();
    write_asn_database(&asn_path, &asns).unwrap();

    // Addresses spread over the whole database, with a stride that visits every network.
    let template: Vec<Event> = (0..BATCH)
        .map(|i| {
            let n = (i as u32).wrapping_mul(7_919) % NETWORKS;
            let host = network(n).network().to_bits() + 1 + (i as u32 % 250);
            event(IpAddr::V4(Ipv4Addr::from_bits(host)))
        })
        .collect();

    let settings = NetworkSettings {
        corporate_egress: vec!["198.51.100.0/24".parse().unwrap()],
        vpn: vec!["203.0.113.0/25".parse().unwrap()],
    };
    let city_only = Enricher::new(Some(&city_path), None, &settings).unwrap();
    let city_and_asn = Enricher::new(Some(&city_path), Some(&asn_path), &settings).unwrap();
    let classify_only = Enricher::new(None, None, &settings).unwrap();

    let mut group = c.benchmark_group("enrich");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, enricher) in [
        ("city", &city_only),
        ("city_and_asn", &city_and_asn),
        ("classify_only", &classify_only),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || template.clone(),
                |events| {
                    for event in events.iter_mut() {
                        enricher.enrich(black_box(event));
                    }
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench_enrich);
criterion_main!(benches);

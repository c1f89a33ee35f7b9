//! Enrichment of whole events against MaxMind DB files written by the `testing` module.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test when its setup fails"
)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use ipnet::IpNet;
use miette::Diagnostic;
use mmdb_writer::Value;
use riposte_enrich::testing::{
    AsnEntry, CityEntry, write_asn_database, write_city_database, write_city_database_as,
};
use riposte_enrich::{
    AsnDatabase, EnrichError, Enricher, GeoDatabase, IpClassifier, NetworkSettings,
};
use riposte_model::{
    Activity, Asn, Credential, Event, Geo, GeoSource, IdentityKind, IdentityRef, IpClass, Origin,
    Outcome, Provider, Source, SourceFormat,
};
use tempfile::TempDir;

fn net(text: &str) -> IpNet {
    text.parse().unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn event(origin: Origin) -> Event {
    Event {
        format: SourceFormat::Okta,
        event_id: "test-event".into(),
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
        source: Source::new(origin),
        interactive: None,
        mfa: None,
        targets: Vec::new(),
        privileges: Vec::new(),
        risk: None,
        account: None,
        location: None,
    }
}

fn ip_event(address: &str) -> Event {
    event(Origin::Ip(ip(address)))
}

fn record_geo(country: Option<&str>, latitude: f64, longitude: f64) -> Geo {
    Geo {
        country: country.map(std::sync::Arc::from),
        region: None,
        city: None,
        latitude: Some(latitude),
        longitude: Some(longitude),
        accuracy_radius_km: None,
        source: GeoSource::Record,
    }
}

/// Temporary City and ASN databases covering documentation ranges.
struct Databases {
    folder: TempDir,
}

impl Databases {
    fn new() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let cities = [
            CityEntry::new(net("203.0.113.0/24"))
                .country("FR")
                .city("Paris")
                .subdivision(Some("Île-de-France"), Some("IDF"))
                .location(48.8566, 2.3522, 20),
            CityEntry::new(net("198.51.100.0/24"))
                .country("JP")
                .subdivision(None, Some("13"))
                .location(35.6895, 139.6917, 100),
            CityEntry::new(net("2001:db8:1::/48"))
                .country("DE")
                .city("Berlin")
                .location(52.52, 13.405, 50),
            CityEntry::new(net("10.20.0.0/16"))
                .country("US")
                .city("Office")
                .location(40.7128, -74.006, 1),
        ];
        write_city_database(&folder.path().join("GeoLite2-City.mmdb"), &cities).unwrap();
        let asns = [
            AsnEntry::new(net("203.0.113.0/24"), 64_500, Some("Example Transit")),
            AsnEntry::new(net("2001:db8:1::/48"), 64_501, None),
        ];
        write_asn_database(&folder.path().join("GeoLite2-ASN.mmdb"), &asns).unwrap();
        Self { folder }
    }

    fn city(&self) -> PathBuf {
        self.folder.path().join("GeoLite2-City.mmdb")
    }

    fn asn(&self) -> PathBuf {
        self.folder.path().join("GeoLite2-ASN.mmdb")
    }

    fn enricher(&self, networks: &NetworkSettings) -> Enricher {
        Enricher::new(Some(&self.city()), Some(&self.asn()), networks).unwrap()
    }
}

fn networks(vpn: &[&str], corporate_egress: &[&str]) -> NetworkSettings {
    NetworkSettings {
        vpn: vpn.iter().map(|text| net(text)).collect(),
        corporate_egress: corporate_egress.iter().map(|text| net(text)).collect(),
    }
}

fn enriched(enricher: &Enricher, mut event: Event) -> Source {
    enricher.enrich(&mut event);
    event.source
}

fn open_error(geoip: Option<&Path>, asn: Option<&Path>) -> EnrichError {
    Enricher::new(geoip, asn, &NetworkSettings::default()).unwrap_err()
}

#[test]
fn database_geo_fills_missing_location() {
    let databases = Databases::new();
    let source = enriched(
        &databases.enricher(&NetworkSettings::default()),
        ip_event("203.0.113.7"),
    );
    let expected = Geo {
        country: Some("FR".into()),
        region: Some("Île-de-France".into()),
        city: Some("Paris".into()),
        latitude: Some(48.8566),
        longitude: Some(2.3522),
        accuracy_radius_km: Some(20.0),
        source: GeoSource::Database,
    };
    assert_eq!(source.geo, Some(expected));
}

#[test]
fn subdivision_code_replaces_missing_name() {
    let databases = Databases::new();
    let source = enriched(
        &databases.enricher(&NetworkSettings::default()),
        ip_event("198.51.100.20"),
    );
    let geo = source.geo.unwrap();
    assert_eq!(geo.region.as_deref(), Some("13"));
    assert_eq!(geo.city, None);
    assert_eq!(geo.country.as_deref(), Some("JP"));
    assert_eq!(geo.accuracy_radius_km, Some(100.0));
}

#[test]
fn record_geo_with_coordinates_is_kept() {
    let databases = Databases::new();
    let mut event = ip_event("203.0.113.7");
    let geo = record_geo(None, -33.8688, 151.2093);
    event.source.geo = Some(geo.clone());
    let source = enriched(&databases.enricher(&NetworkSettings::default()), event);
    assert_eq!(source.geo, Some(geo));
}

#[test]
fn record_geo_with_country_only_is_kept() {
    let databases = Databases::new();
    let mut event = ip_event("203.0.113.7");
    let geo = Geo {
        country: Some("Australia".into()),
        region: None,
        city: None,
        latitude: None,
        longitude: None,
        accuracy_radius_km: None,
        source: GeoSource::Record,
    };
    event.source.geo = Some(geo.clone());
    let source = enriched(&databases.enricher(&NetworkSettings::default()), event);
    assert_eq!(source.geo, Some(geo));
}

#[test]
fn placeless_record_geo_is_replaced() {
    let databases = Databases::new();
    let mut event = ip_event("203.0.113.7");
    event.source.geo = Some(record_geo(Some(" "), 0.0, 0.0));
    let source = enriched(&databases.enricher(&NetworkSettings::default()), event);
    let geo = source.geo.unwrap();
    assert_eq!(geo.source, GeoSource::Database);
    assert_eq!(geo.city.as_deref(), Some("Paris"));
}

#[test]
fn placeless_record_geo_kept_on_miss() {
    let databases = Databases::new();
    let mut event = ip_event("192.0.2.1");
    let geo = record_geo(None, 0.0, 0.0);
    event.source.geo = Some(geo.clone());
    let source = enriched(&databases.enricher(&NetworkSettings::default()), event);
    assert_eq!(source.geo, Some(geo));
}

#[test]
fn unknown_address_gets_no_data() {
    let databases = Databases::new();
    let source = enriched(
        &databases.enricher(&NetworkSettings::default()),
        ip_event("192.0.2.1"),
    );
    assert_eq!(source.geo, None);
    assert_eq!(source.asn, None);
    assert_eq!(source.ip_class, IpClass::Public);
}

#[test]
fn ipv6_address_gets_database_geo() {
    let databases = Databases::new();
    let source = enriched(
        &databases.enricher(&NetworkSettings::default()),
        ip_event("2001:db8:1::42"),
    );
    let geo = source.geo.unwrap();
    assert_eq!(geo.city.as_deref(), Some("Berlin"));
    assert_eq!(geo.region, None);
    assert_eq!(geo.coordinates(), Some((52.52, 13.405)));
    assert_eq!(source.ip_class, IpClass::Public);
}

#[test]
fn ipv4_mapped_address_uses_ipv4_data() {
    let databases = Databases::new();
    let enricher = databases.enricher(&networks(&[], &["203.0.113.0/24"]));
    let source = enriched(&enricher, ip_event("::ffff:203.0.113.7"));
    assert_eq!(source.geo.unwrap().city.as_deref(), Some("Paris"));
    assert_eq!(source.asn.unwrap().number, 64_500);
    assert_eq!(source.ip_class, IpClass::CorporateEgress);
    assert_eq!(source.origin, Origin::Ip(ip("::ffff:203.0.113.7")));
}

#[test]
fn private_address_still_gets_geo() {
    let databases = Databases::new();
    let source = enriched(
        &databases.enricher(&NetworkSettings::default()),
        ip_event("10.20.3.4"),
    );
    assert_eq!(source.ip_class, IpClass::Private);
    assert_eq!(source.geo.unwrap().city.as_deref(), Some("Office"));
}

#[test]
fn asn_database_fills_missing_asn() {
    let databases = Databases::new();
    let enricher = databases.enricher(&NetworkSettings::default());
    let source = enriched(&enricher, ip_event("203.0.113.99"));
    let expected = Asn {
        number: 64_500,
        organization: Some("Example Transit".into()),
    };
    assert_eq!(source.asn, Some(expected));

    let source = enriched(&enricher, ip_event("2001:db8:1::1"));
    let expected = Asn {
        number: 64_501,
        organization: None,
    };
    assert_eq!(source.asn, Some(expected));
}

#[test]
fn record_asn_is_kept() {
    let databases = Databases::new();
    let mut event = ip_event("203.0.113.99");
    let asn = Asn {
        number: 64_999,
        organization: Some("Record Networks".into()),
    };
    event.source.asn = Some(asn.clone());
    let source = enriched(&databases.enricher(&NetworkSettings::default()), event);
    assert_eq!(source.asn, Some(asn));
}

#[test]
fn enricher_without_databases_only_classifies() {
    let enricher = Enricher::new(None, None, &NetworkSettings::default()).unwrap();
    let source = enriched(&enricher, ip_event("192.168.0.10"));
    assert_eq!(source.geo, None);
    assert_eq!(source.asn, None);
    assert_eq!(source.ip_class, IpClass::Private);
}

#[test]
fn every_address_class_is_set() {
    let enricher = Enricher::new(
        None,
        None,
        &networks(
            &["203.0.113.128/25", "2001:db8:f::/48"],
            &["203.0.113.0/24"],
        ),
    )
    .unwrap();
    let cases = [
        ("172.20.1.1", IpClass::Private),
        ("100.64.5.5", IpClass::Private),
        ("169.254.169.254", IpClass::Private),
        ("127.0.0.1", IpClass::Private),
        ("fe80::1", IpClass::Private),
        ("fd00::1", IpClass::Private),
        ("::1", IpClass::Private),
        ("::ffff:192.168.1.1", IpClass::Private),
        ("0.0.0.0", IpClass::Reserved),
        ("198.18.0.1", IpClass::Reserved),
        ("224.0.0.1", IpClass::Reserved),
        ("255.255.255.255", IpClass::Reserved),
        ("::", IpClass::Reserved),
        ("ff02::1", IpClass::Reserved),
        ("192.0.2.1", IpClass::Public),
        ("198.51.100.1", IpClass::Public),
        ("2001:db8::1", IpClass::Public),
        ("203.0.113.1", IpClass::CorporateEgress),
        ("203.0.113.200", IpClass::Vpn),
        ("2001:db8:f::1", IpClass::Vpn),
        ("::ffff:203.0.113.200", IpClass::Vpn),
    ];
    for (address, class) in cases {
        let source = enriched(&enricher, ip_event(address));
        assert_eq!(source.ip_class, class, "{address}");
    }
}

#[test]
fn vpn_range_wins_over_egress() {
    let enricher = Enricher::new(
        None,
        None,
        &networks(&["198.51.100.0/24"], &["198.51.100.0/24"]),
    )
    .unwrap();
    let source = enriched(&enricher, ip_event("198.51.100.10"));
    assert_eq!(source.ip_class, IpClass::Vpn);
}

#[test]
fn proxy_flag_survives_public_and_reserved_class() {
    let enricher = Enricher::new(None, None, &NetworkSettings::default()).unwrap();
    for address in ["203.0.113.7", "198.18.0.1"] {
        let mut event = ip_event(address);
        event.source.ip_class = IpClass::Proxy;
        let source = enriched(&enricher, event);
        assert_eq!(source.ip_class, IpClass::Proxy, "{address}");
    }
}

#[test]
fn declared_or_private_range_overrides_proxy_flag() {
    let enricher = Enricher::new(
        None,
        None,
        &networks(&["203.0.113.0/25"], &["198.51.100.0/24"]),
    )
    .unwrap();
    let cases = [
        ("203.0.113.7", IpClass::Vpn),
        ("198.51.100.7", IpClass::CorporateEgress),
        ("10.0.0.7", IpClass::Private),
    ];
    for (address, class) in cases {
        let mut event = ip_event(address);
        event.source.ip_class = IpClass::Proxy;
        let source = enriched(&enricher, event);
        assert_eq!(source.ip_class, class, "{address}");
    }
}

#[test]
fn non_ip_origins_are_untouched() {
    let databases = Databases::new();
    let enricher = databases.enricher(&networks(&["0.0.0.0/0", "::/0"], &[]));
    let origins = [
        Origin::AwsService("ec2.amazonaws.com".into()),
        Origin::AwsInternal,
        Origin::Unparsed("203.0.113.7, 198.51.100.1".into()),
        Origin::None,
    ];
    for origin in origins {
        let mut event = event(origin);
        event.source.ip_class = IpClass::Proxy;
        let before = event.source.clone();
        enricher.enrich(&mut event);
        assert_eq!(event.source, before);
    }
}

#[test]
fn enricher_from_parts_enriches() {
    let databases = Databases::new();
    let geo = GeoDatabase::open(&databases.city()).unwrap();
    let asn = AsnDatabase::open(&databases.asn()).unwrap();
    assert_eq!(geo.database_type(), "GeoLite2-City");
    assert_eq!(asn.database_type(), "GeoLite2-ASN");
    assert_eq!(geo.lookup(ip("192.0.2.1")), None);
    assert_eq!(asn.lookup(ip("198.51.100.1")), None);

    let enricher = Enricher::from_parts(Some(geo), Some(asn), IpClassifier::default());
    let source = enriched(&enricher, ip_event("203.0.113.7"));
    assert_eq!(source.geo.unwrap().city.as_deref(), Some("Paris"));
    assert_eq!(source.asn.unwrap().number, 64_500);
}

#[test]
fn repeated_lookups_return_same_data() {
    let databases = Databases::new();
    let database = GeoDatabase::open(&databases.city()).unwrap();
    let first = database.lookup(ip("203.0.113.7")).unwrap();
    let again = database.lookup(ip("203.0.113.7")).unwrap();
    let neighbour = database.lookup(ip("203.0.113.99")).unwrap();
    let other = database.lookup(ip("198.51.100.20")).unwrap();
    assert_eq!(again, first);
    assert_eq!(neighbour, first);
    assert_eq!(other.country.as_deref(), Some("JP"));
    assert_eq!(database.lookup(ip("203.0.113.8")), Some(first));

    let asn = AsnDatabase::open(&databases.asn()).unwrap();
    assert_eq!(asn.lookup(ip("203.0.113.7")).unwrap().number, 64_500);
    assert_eq!(asn.lookup(ip("203.0.113.8")).unwrap().number, 64_500);
    assert_eq!(asn.lookup(ip("2001:db8:1::7")).unwrap().number, 64_501);
}

#[test]
fn enricher_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Enricher>();
}

#[test]
fn other_vendor_city_database_is_accepted() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("dbip-city-lite.mmdb");
    let entries = [CityEntry::new(net("203.0.113.0/24")).country("NZ")];
    write_city_database_as(&path, "DBIP-City-Lite", &entries).unwrap();
    let database = GeoDatabase::open(&path).unwrap();
    assert_eq!(
        database
            .lookup(ip("203.0.113.1"))
            .unwrap()
            .country
            .as_deref(),
        Some("NZ")
    );
}

#[test]
fn missing_file_error_message() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("missing.mmdb");
    let error = open_error(Some(&path), None);
    assert_eq!(
        error.to_string(),
        format!(
            "cannot read --geoip database `{}`: No such file or directory (os error 2)",
            path.display()
        )
    );

    let error = open_error(None, Some(&path));
    assert_eq!(
        error.to_string(),
        format!(
            "cannot read --asn database `{}`: No such file or directory (os error 2)",
            path.display()
        )
    );
}

#[test]
fn non_mmdb_file_error_message() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("GeoLite2-City.csv");
    std::fs::write(&path, "network,geoname_id\n203.0.113.0/24,2988507\n").unwrap();
    let error = open_error(Some(&path), None);
    assert_eq!(
        error.to_string(),
        format!(
            "`{}` is not a MaxMind DB file: invalid database: could not find MaxMind DB \
             metadata in file",
            path.display()
        )
    );
    assert_eq!(
        error.help().unwrap().to_string(),
        "--geoip expects a MaxMind DB file in the GeoLite2-City or GeoIP2-City layout, such \
         as GeoLite2-City.mmdb"
    );
}

#[test]
fn asn_database_given_as_geoip_is_rejected() {
    let databases = Databases::new();
    let error = open_error(Some(&databases.asn()), None);
    assert_eq!(
        error.to_string(),
        format!(
            "`{}` is a `GeoLite2-ASN` database; --geoip expects a City database",
            databases.asn().display()
        )
    );
}

#[test]
fn city_database_given_as_asn_is_rejected() {
    let databases = Databases::new();
    let error = open_error(None, Some(&databases.city()));
    assert_eq!(
        error.to_string(),
        format!(
            "`{}` is a `GeoLite2-City` database; --asn expects an ASN database",
            databases.city().display()
        )
    );
    assert_eq!(
        error.help().unwrap().to_string(),
        "--asn expects a MaxMind DB file in the GeoLite2-ASN layout, such as GeoLite2-ASN.mmdb"
    );
}

#[test]
fn network_settings_read_from_toml() {
    #[derive(serde::Deserialize)]
    struct Config {
        networks: NetworkSettings,
    }
    let config: Config = toml::from_str(
        r#"
        [networks]
        corporate_egress = ["198.51.100.0/24", "2001:db8:100::/48"]
        vpn = ["203.0.113.128/25"]
        "#,
    )
    .unwrap();
    assert_eq!(
        config.networks,
        networks(
            &["203.0.113.128/25"],
            &["198.51.100.0/24", "2001:db8:100::/48"]
        )
    );

    let empty: Config = toml::from_str("[networks]\n").unwrap();
    assert_eq!(empty.networks, NetworkSettings::default());
}

#[test]
fn network_settings_reject_invalid_input() {
    let unknown = toml::from_str::<NetworkSettings>("vpns = [\"203.0.113.0/24\"]\n").unwrap_err();
    assert!(
        unknown
            .message()
            .starts_with("unknown field `vpns`, expected `corporate_egress` or `vpn`"),
        "{unknown}"
    );

    let invalid = toml::from_str::<NetworkSettings>("vpn = [\"203.0.113.0/33\"]\n").unwrap_err();
    assert_eq!(invalid.message(), "invalid IP address syntax", "{invalid}");
}

/// Writes a `GeoLite2-City` or `GeoLite2-ASN` database with hand-made records, to test records
/// that the `testing` writers cannot produce.
fn write_raw_database(path: &Path, database_type: &str, records: Vec<(IpNet, Value)>) {
    let mut writer = mmdb_writer::Writer::new(database_type);
    for (network, value) in records {
        writer.insert_value(network, value).unwrap();
    }
    std::fs::write(path, writer.to_bytes().unwrap()).unwrap();
}

#[test]
fn written_databases_have_geolite2_metadata() {
    let databases = Databases::new();
    for (path, database_type) in [
        (databases.city(), "GeoLite2-City"),
        (databases.asn(), "GeoLite2-ASN"),
    ] {
        let reader = maxminddb::Reader::open_readfile(&path).unwrap();
        let metadata = reader.metadata();
        assert_eq!(metadata.database_type, database_type);
        assert_eq!(metadata.ip_version, 6);
        assert_eq!(metadata.record_size, 28);
        assert_eq!(metadata.binary_format_major_version, 2);
        assert_eq!(metadata.languages, ["en"]);
        reader.verify().unwrap();
    }
}

#[test]
fn first_of_several_subdivisions_is_the_region() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("GeoLite2-City.mmdb");
    let names = |name: &str| Value::map([("names", Value::map([("en", name)]))]);
    let record = Value::map([
        ("country", Value::map([("iso_code", "GB")])),
        (
            "subdivisions",
            Value::array([names("England"), names("Greater London")]),
        ),
    ]);
    write_raw_database(
        &path,
        "GeoLite2-City",
        vec![(net("203.0.113.0/24"), record)],
    );
    let geo = GeoDatabase::open(&path)
        .unwrap()
        .lookup(ip("203.0.113.1"))
        .unwrap();
    assert_eq!(geo.region.as_deref(), Some("England"));
    assert_eq!(geo.country.as_deref(), Some("GB"));
    assert_eq!(geo.coordinates(), None);
}

#[test]
fn record_without_place_gets_no_geo() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("GeoLite2-City.mmdb");
    let record = Value::map([("continent", Value::map([("code", Value::from("EU"))]))]);
    write_raw_database(
        &path,
        "GeoLite2-City",
        vec![(net("203.0.113.0/24"), record)],
    );
    let database = GeoDatabase::open(&path).unwrap();
    assert_eq!(database.lookup(ip("203.0.113.1")), None);
}

#[test]
fn undecodable_records_are_skipped() {
    let folder = tempfile::tempdir().unwrap();
    let city_path = folder.path().join("GeoLite2-City.mmdb");
    let city_record = Value::map([
        ("country", Value::from("FR")),
        ("location", Value::from("48.85,2.35")),
    ]);
    write_raw_database(
        &city_path,
        "GeoLite2-City",
        vec![(net("203.0.113.0/24"), city_record)],
    );
    let asn_path = folder.path().join("GeoLite2-ASN.mmdb");
    let asn_record = Value::map([("autonomous_system_number", Value::from("AS64500"))]);
    write_raw_database(
        &asn_path,
        "GeoLite2-ASN",
        vec![(net("203.0.113.0/24"), asn_record)],
    );

    let enricher = Enricher::new(
        Some(&city_path),
        Some(&asn_path),
        &NetworkSettings::default(),
    )
    .unwrap();
    let source = enriched(&enricher, ip_event("203.0.113.1"));
    assert_eq!(source.geo, None);
    assert_eq!(source.asn, None);
    assert_eq!(source.ip_class, IpClass::Public);
}

#[test]
fn ipv6_lookup_in_ipv4_database_misses() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("GeoLite2-City.mmdb");
    let mut writer = mmdb_writer::Writer::builder("GeoLite2-City")
        .ip_version(mmdb_writer::IpVersion::V4)
        .build();
    let record = Value::map([("country", Value::map([("iso_code", "FR")]))]);
    writer.insert_value(net("203.0.113.0/24"), record).unwrap();
    std::fs::write(&path, writer.to_bytes().unwrap()).unwrap();

    let database = GeoDatabase::open(&path).unwrap();
    assert_eq!(database.lookup(ip("2001:db8::1")), None);
    let geo = database.lookup(ip("::ffff:203.0.113.1")).unwrap();
    assert_eq!(geo.country.as_deref(), Some("FR"));
}

#[test]
fn device_file_is_refused_before_reading() {
    let Err(error) = riposte_enrich::GeoDatabase::open(std::path::Path::new("/dev/zero")) else {
        panic!("a device is not a database");
    };
    assert_eq!(
        error.to_string(),
        "cannot read --geoip database `/dev/zero`: not a regular file"
    );
}

//! Writers of small MaxMind DB files in the GeoLite2-City and GeoLite2-ASN layouts, so that
//! tests can build the databases they read instead of shipping binary fixtures.
//!
//! Available with the `testing` feature. The files are IPv6 trees (`ip_version` 6) with
//! 28-bit records, like the GeoLite2 databases. IPv4 networks are stored under `::/96` and
//! reachable from IPv4-mapped addresses, and documentation ranges such as 203.0.113.0/24 may
//! be written. Entries are inserted in order, so a later entry overrides an earlier one where
//! their networks overlap.
//!
//! ```
//! use riposte_enrich::testing::{CityEntry, write_city_database};
//!
//! let folder = tempfile::tempdir()?;
//! let path = folder.path().join("GeoLite2-City.mmdb");
//! let paris = CityEntry::new("203.0.113.0/24".parse()?)
//!     .country("FR")
//!     .city("Paris")
//!     .location(48.8566, 2.3522, 20);
//! write_city_database(&path, &[paris])?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use ipnet::IpNet;
use mmdb_writer::{IpVersion, RecordSize, Value, Writer};

/// The `database_type` written by [`write_city_database`].
pub const CITY_DATABASE_TYPE: &str = "GeoLite2-City";

/// The `database_type` written by [`write_asn_database`].
pub const ASN_DATABASE_TYPE: &str = "GeoLite2-ASN";

/// One network of a City database and the fields of its record. Absent fields are left out
/// of the record.
#[derive(Clone, Debug, PartialEq)]
pub struct CityEntry {
    pub network: IpNet,
    /// `country.iso_code`, such as `FR`.
    pub country_iso_code: Option<String>,
    /// `city.names.en`.
    pub city_name: Option<String>,
    /// `subdivisions[0].names.en`.
    pub subdivision_name: Option<String>,
    /// `subdivisions[0].iso_code`, such as `IDF`.
    pub subdivision_iso_code: Option<String>,
    /// `location.latitude`, in degrees.
    pub latitude: Option<f64>,
    /// `location.longitude`, in degrees.
    pub longitude: Option<f64>,
    /// `location.accuracy_radius`, in km.
    pub accuracy_radius_km: Option<u16>,
}

impl CityEntry {
    /// Starts an entry for `network` with no fields.
    pub fn new(network: IpNet) -> Self {
        Self {
            network,
            country_iso_code: None,
            city_name: None,
            subdivision_name: None,
            subdivision_iso_code: None,
            latitude: None,
            longitude: None,
            accuracy_radius_km: None,
        }
    }

    /// Sets `country.iso_code`.
    pub fn country(mut self, iso_code: &str) -> Self {
        self.country_iso_code = Some(iso_code.to_owned());
        self
    }

    /// Sets `city.names.en`.
    pub fn city(mut self, name: &str) -> Self {
        self.city_name = Some(name.to_owned());
        self
    }

    /// Sets the English name and the ISO code of the first subdivision.
    pub fn subdivision(mut self, name: Option<&str>, iso_code: Option<&str>) -> Self {
        self.subdivision_name = name.map(str::to_owned);
        self.subdivision_iso_code = iso_code.map(str::to_owned);
        self
    }

    /// Sets the coordinates, in degrees, and the accuracy radius, in km.
    pub fn location(mut self, latitude: f64, longitude: f64, accuracy_radius_km: u16) -> Self {
        self.latitude = Some(latitude);
        self.longitude = Some(longitude);
        self.accuracy_radius_km = Some(accuracy_radius_km);
        self
    }

    fn to_value(&self) -> Value {
        let mut record = BTreeMap::new();
        if let Some(iso_code) = &self.country_iso_code {
            record.insert(
                "country".to_owned(),
                map([("iso_code", iso_code.as_str().into())]),
            );
        }
        if let Some(name) = &self.city_name {
            record.insert("city".to_owned(), map([("names", english_names(name))]));
        }

        let mut subdivision = BTreeMap::new();
        if let Some(name) = &self.subdivision_name {
            subdivision.insert("names".to_owned(), english_names(name));
        }
        if let Some(iso_code) = &self.subdivision_iso_code {
            subdivision.insert("iso_code".to_owned(), iso_code.as_str().into());
        }
        if !subdivision.is_empty() {
            record.insert(
                "subdivisions".to_owned(),
                Value::Array(vec![Value::Map(subdivision)]),
            );
        }

        let mut location = BTreeMap::new();
        if let Some(latitude) = self.latitude {
            location.insert("latitude".to_owned(), Value::Double(latitude));
        }
        if let Some(longitude) = self.longitude {
            location.insert("longitude".to_owned(), Value::Double(longitude));
        }
        if let Some(radius) = self.accuracy_radius_km {
            location.insert("accuracy_radius".to_owned(), Value::U16(radius));
        }
        if !location.is_empty() {
            record.insert("location".to_owned(), Value::Map(location));
        }
        Value::Map(record)
    }
}

/// One network of an ASN database and the fields of its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsnEntry {
    pub network: IpNet,
    /// `autonomous_system_number`.
    pub number: u32,
    /// `autonomous_system_organization`, left out of the record when `None`.
    pub organization: Option<String>,
}

impl AsnEntry {
    pub fn new(network: IpNet, number: u32, organization: Option<&str>) -> Self {
        Self {
            network,
            number,
            organization: organization.map(str::to_owned),
        }
    }

    fn to_value(&self) -> Value {
        let mut record = BTreeMap::new();
        record.insert(
            "autonomous_system_number".to_owned(),
            Value::U32(self.number),
        );
        if let Some(organization) = &self.organization {
            record.insert(
                "autonomous_system_organization".to_owned(),
                organization.as_str().into(),
            );
        }
        Value::Map(record)
    }
}

/// Writes a City database of type [`CITY_DATABASE_TYPE`] to `path`.
pub fn write_city_database(path: &Path, entries: &[CityEntry]) -> io::Result<()> {
    write_city_database_as(path, CITY_DATABASE_TYPE, entries)
}

/// Writes a database in the City layout whose metadata names `database_type`, to test how a
/// reader treats other vendors' City databases or a wrong type.
pub fn write_city_database_as(
    path: &Path,
    database_type: &str,
    entries: &[CityEntry],
) -> io::Result<()> {
    write_database(
        path,
        database_type,
        entries
            .iter()
            .map(|entry| (entry.network, entry.to_value())),
    )
}

/// Writes an ASN database of type [`ASN_DATABASE_TYPE`] to `path`.
pub fn write_asn_database(path: &Path, entries: &[AsnEntry]) -> io::Result<()> {
    write_database(
        path,
        ASN_DATABASE_TYPE,
        entries
            .iter()
            .map(|entry| (entry.network, entry.to_value())),
    )
}

fn write_database(
    path: &Path,
    database_type: &str,
    records: impl Iterator<Item = (IpNet, Value)>,
) -> io::Result<()> {
    let description = format!("{database_type} written by riposte-enrich for tests");
    let mut writer = Writer::builder(database_type)
        .ip_version(IpVersion::V6)
        .record_size(RecordSize::Bits28)
        .description(&[("en", description.as_str())])
        // A fixed build time keeps the files identical from run to run.
        .build_epoch(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
        .build();
    for (network, value) in records {
        writer
            .insert_value(network, value)
            .map_err(io::Error::other)?;
    }
    let bytes = writer.to_bytes().map_err(io::Error::other)?;
    std::fs::write(path, bytes)
}

fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::map(entries)
}

fn english_names(name: &str) -> Value {
    map([("en", name.into())])
}

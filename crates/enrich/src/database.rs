//! Lookups in MaxMind-format databases: City for locations, ASN for network owners.
//!
//! Records are decoded into small borrowed structs that name only the fields riposte uses, so
//! a lookup allocates nothing but the strings it returns.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use maxminddb::Reader;
use riposte_model::{Asn, Geo, GeoSource};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::cache::RecordCache;
use crate::{DatabaseKind, EnrichError};

/// A City database (GeoLite2-City, GeoIP2-City, DB-IP City Lite or any database with their
/// layout), read into memory, with a cache of up to 4,096 recently decoded records.
#[derive(Debug)]
pub struct GeoDatabase {
    reader: Reader<Vec<u8>>,
    cache: RecordCache<Geo>,
}

impl GeoDatabase {
    /// Reads the database at `path` and checks that it is a City database.
    pub fn open(path: &Path) -> Result<Self, EnrichError> {
        open_reader(path, DatabaseKind::City).map(|reader| Self {
            reader,
            cache: RecordCache::new(),
        })
    }

    /// Returns the `database_type` of the file's metadata, such as `GeoLite2-City`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Returns the location of `ip`, or `None` when the database has no location for it or
    /// its record cannot be decoded. IPv4-mapped IPv6 addresses are looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> Option<Geo> {
        let ip = ip.to_canonical();
        let result = self.reader.lookup(ip).ok()?;
        let offset = result.offset()?;
        self.cache
            .get_or_decode(offset, || match result.decode::<CityRecord<'_>>() {
                Ok(record) => record?.into_geo(),
                Err(error) => {
                    tracing::trace!(%ip, %error, "failed to decode City database record");
                    None
                }
            })
    }
}

/// An ASN database (GeoLite2-ASN, DB-IP ASN Lite, GeoIP2-ISP or any database with their
/// layout), read into memory, with a cache of up to 4,096 recently decoded records.
#[derive(Debug)]
pub struct AsnDatabase {
    reader: Reader<Vec<u8>>,
    cache: RecordCache<Asn>,
}

impl AsnDatabase {
    /// Reads the database at `path` and checks that it is an ASN database.
    pub fn open(path: &Path) -> Result<Self, EnrichError> {
        open_reader(path, DatabaseKind::Asn).map(|reader| Self {
            reader,
            cache: RecordCache::new(),
        })
    }

    /// Returns the `database_type` of the file's metadata, such as `GeoLite2-ASN`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Returns the autonomous system of `ip`, or `None` when the database has no number for
    /// it or its record cannot be decoded. IPv4-mapped IPv6 addresses are looked up as IPv4.
    pub fn lookup(&self, ip: IpAddr) -> Option<Asn> {
        let ip = ip.to_canonical();
        let result = self.reader.lookup(ip).ok()?;
        let offset = result.offset()?;
        self.cache
            .get_or_decode(offset, || match result.decode::<AsnRecord<'_>>() {
                Ok(record) => {
                    let record = record?;
                    Some(Asn {
                        number: record.autonomous_system_number?,
                        organization: non_empty(record.autonomous_system_organization)
                            .map(Arc::from),
                    })
                }
                Err(error) => {
                    tracing::trace!(%ip, %error, "failed to decode ASN database record");
                    None
                }
            })
    }
}

/// Reads a MaxMind DB into memory and checks its `database_type` against `kind`.
fn open_reader(path: &Path, kind: DatabaseKind) -> Result<Reader<Vec<u8>>, EnrichError> {
    let unreadable = |source| EnrichError::Unreadable {
        kind,
        path: path.to_owned(),
        source,
    };
    // The whole file is read into memory, so a device such as `/dev/zero` must be refused
    // before reading.
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(unreadable(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let reader = Reader::from_source(bytes).map_err(|source| EnrichError::NotMaxMindDb {
        kind,
        path: path.to_owned(),
        source,
    })?;
    let database_type = &reader.metadata().database_type;
    if !accepts(kind, database_type) {
        return Err(EnrichError::WrongDatabaseType {
            kind,
            path: path.to_owned(),
            database_type: database_type.clone(),
        });
    }
    Ok(reader)
}

/// Returns true when a database of type `database_type` has the layout that `kind` reads.
///
/// Vendors name their City databases `GeoIP2-City`, `GeoLite2-City`, `DBIP-City-Lite` and so
/// on, so any type containing "City" is taken. `GeoIP2-Enterprise` has the City layout with
/// more fields. ASN data comes as `GeoLite2-ASN`, `DBIP-ASN-Lite` or inside `GeoIP2-ISP`,
/// which has the same two top-level fields.
fn accepts(kind: DatabaseKind, database_type: &str) -> bool {
    let lowercase = database_type.to_ascii_lowercase();
    match kind {
        DatabaseKind::City => lowercase.contains("city") || lowercase.contains("enterprise"),
        DatabaseKind::Asn => lowercase.contains("asn") || lowercase.ends_with("-isp"),
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.filter(|text| !text.trim().is_empty())
}

/// The fields of a City database record that riposte uses, borrowed from the database.
#[derive(Deserialize)]
struct CityRecord<'a> {
    #[serde(borrow, default)]
    country: Option<CountryRecord<'a>>,
    #[serde(borrow, default)]
    city: Option<NamedRecord<'a>>,
    #[serde(borrow, default, deserialize_with = "first_subdivision")]
    subdivisions: Option<SubdivisionRecord<'a>>,
    #[serde(default)]
    location: Option<LocationRecord>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct NamedRecord<'a> {
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct SubdivisionRecord<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
    #[serde(borrow, default)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct Names<'a> {
    #[serde(borrow, default)]
    en: Option<&'a str>,
}

#[derive(Deserialize)]
struct LocationRecord {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    /// Radius in km around the coordinates within which the address lies.
    #[serde(default)]
    accuracy_radius: Option<u16>,
}

impl CityRecord<'_> {
    /// Converts the record into a location, or `None` when it names no place at all.
    fn into_geo(self) -> Option<Geo> {
        let country = non_empty(self.country.and_then(|country| country.iso_code));
        let city = non_empty(
            self.city
                .and_then(|city| city.names)
                .and_then(|names| names.en),
        );
        let region = self.subdivisions.and_then(|subdivision| {
            non_empty(subdivision.names.and_then(|names| names.en))
                .or(non_empty(subdivision.iso_code))
        });
        let (latitude, longitude, accuracy_radius) =
            self.location.map_or((None, None, None), |location| {
                (
                    location.latitude,
                    location.longitude,
                    location.accuracy_radius,
                )
            });
        let has_place = country.is_some()
            || city.is_some()
            || region.is_some()
            || (latitude.is_some() && longitude.is_some());
        has_place.then(|| Geo {
            country: country.map(Arc::from),
            region: region.map(Arc::from),
            city: city.map(Arc::from),
            latitude,
            longitude,
            accuracy_radius_km: accuracy_radius.map(f64::from),
            source: GeoSource::Database,
        })
    }
}

/// The fields of an ASN database record that riposte uses, borrowed from the database.
#[derive(Deserialize)]
struct AsnRecord<'a> {
    #[serde(default)]
    autonomous_system_number: Option<u32>,
    #[serde(borrow, default)]
    autonomous_system_organization: Option<&'a str>,
}

/// Decodes the first element of the `subdivisions` array and skips the rest without
/// allocating. The first subdivision is the largest one, such as a state or region.
fn first_subdivision<'de, D>(deserializer: D) -> Result<Option<SubdivisionRecord<'de>>, D::Error>
where
    D: Deserializer<'de>,
{
    struct FirstVisitor;

    impl<'de> Visitor<'de> for FirstVisitor {
        type Value = Option<SubdivisionRecord<'de>>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("an array of subdivisions")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first = seq.next_element::<SubdivisionRecord<'de>>()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_seq(FirstVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn city_types_are_accepted() {
        for database_type in [
            "GeoLite2-City",
            "GeoIP2-City",
            "GeoIP2-City-Test",
            "DBIP-City-Lite",
            "GeoIP2-Enterprise",
        ] {
            assert!(
                accepts(DatabaseKind::City, database_type),
                "{database_type}"
            );
        }
        for database_type in ["GeoLite2-ASN", "GeoLite2-Country", "GeoIP2-Anonymous-IP"] {
            assert!(
                !accepts(DatabaseKind::City, database_type),
                "{database_type}"
            );
        }
    }

    #[test]
    fn asn_types_are_accepted() {
        for database_type in ["GeoLite2-ASN", "DBIP-ASN-Lite", "GeoIP2-ISP"] {
            assert!(accepts(DatabaseKind::Asn, database_type), "{database_type}");
        }
        for database_type in [
            "GeoLite2-City",
            "GeoIP2-Connection-Type",
            "GeoLite2-Country",
        ] {
            assert!(
                !accepts(DatabaseKind::Asn, database_type),
                "{database_type}"
            );
        }
    }
}

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Where a request came from.
///
/// CloudTrail's `sourceIPAddress` holds an address, the DNS name of an AWS service
/// (`ec2.amazonaws.com`) or `AWS Internal`; other logs hold placeholders such as `<null>`.
/// Only [`Origin::Ip`] feeds geolocation and travel logic.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    Ip(IpAddr),
    /// An AWS service acting for the caller, named by its DNS name.
    AwsService(Arc<str>),
    /// CloudTrail's `AWS Internal` (also written `aws.internal`).
    AwsInternal,
    /// A value that is present but is neither an address nor a known service name; kept as
    /// read so that an analyst sees it.
    Unparsed(Box<str>),
    /// The record has no origin.
    None,
}

impl Origin {
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Ip(ip) => Some(*ip),
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::AwsService(name) => write!(f, "{name}"),
            Self::AwsInternal => f.write_str("AWS Internal"),
            Self::Unparsed(text) => write!(f, "{text}"),
            Self::None => f.write_str("-"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::None => serializer.serialize_none(),
            _ => serializer.collect_str(self),
        }
    }
}

/// Where the location of an address came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GeoSource {
    /// The provider wrote it in the record (Okta `geographicalContext`, Entra `location`).
    Record,
    /// Looked up in a MaxMind-format City database.
    Database,
}

/// The location of an address.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Geo {
    /// Country as the source names it: an ISO 3166 code (Entra, MaxMind) or a name (Okta).
    pub country: Option<Arc<str>>,
    pub region: Option<Arc<str>>,
    pub city: Option<Arc<str>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Radius around the coordinates, in km, within which the address lies.
    pub accuracy_radius_km: Option<f64>,
    pub source: GeoSource,
}

impl Geo {
    /// Returns the coordinates when both are present and describe a real place. Logs write
    /// `0.0, 0.0` when they have no location, so that point counts as missing.
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        let (latitude, longitude) = (self.latitude?, self.longitude?);
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude)
            && !(latitude == 0.0 && longitude == 0.0);
        valid.then_some((latitude, longitude))
    }

    /// Returns "city, country" with whichever parts are known.
    pub fn place(&self) -> String {
        let city = self.city.as_deref().filter(|city| !city.is_empty());
        let country = self
            .country
            .as_deref()
            .filter(|country| !country.is_empty());
        match (city, country) {
            (Some(city), Some(country)) => {
                let mut place = String::with_capacity(city.len() + 2 + country.len());
                place.push_str(city);
                place.push_str(", ");
                place.push_str(country);
                place
            }
            (Some(part), None) | (None, Some(part)) => part.to_owned(),
            (None, None) => "unknown place".to_owned(),
        }
    }
}

/// The autonomous system an address belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Asn {
    pub number: u32,
    pub organization: Option<Arc<str>>,
}

/// What kind of network an address belongs to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpClass {
    /// A routable address with nothing else known about it.
    #[default]
    Public,
    /// RFC 1918, RFC 4193 unique local, loopback or link-local.
    Private,
    /// Unspecified, multicast, benchmarking and other special-purpose ranges that are never a
    /// client's address. The documentation ranges (RFC 5737, RFC 3849) are not in this class:
    /// they stand in for public addresses in examples and tests.
    Reserved,
    /// A corporate egress range declared in the configuration.
    CorporateEgress,
    /// A VPN exit range declared in the configuration.
    Vpn,
    /// A proxy or anonymiser, as the provider flagged it (Okta `securityContext.isProxy`).
    Proxy,
}

impl IpClass {
    /// Returns true for addresses whose location says nothing about where the person is:
    /// private addresses and the declared corporate egress and VPN ranges.
    pub fn hides_location(self) -> bool {
        matches!(self, Self::Private | Self::CorporateEgress | Self::Vpn)
    }
}

/// The client side of an event: network origin, location, network owner and client software.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Source {
    pub origin: Origin,
    pub geo: Option<Geo>,
    pub asn: Option<Asn>,
    pub ip_class: IpClass,
    pub user_agent: Option<Arc<str>>,
    pub device_id: Option<Arc<str>>,
}

impl Source {
    pub fn new(origin: Origin) -> Self {
        Self {
            origin,
            geo: None,
            asn: None,
            ip_class: IpClass::Public,
            user_agent: None,
            device_id: None,
        }
    }
}

impl Default for Source {
    fn default() -> Self {
        Self::new(Origin::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo(latitude: f64, longitude: f64) -> Geo {
        Geo {
            country: None,
            region: None,
            city: None,
            latitude: Some(latitude),
            longitude: Some(longitude),
            accuracy_radius_km: None,
            source: GeoSource::Record,
        }
    }

    #[test]
    fn place_names_the_known_parts() {
        let place = |city: Option<&str>, country: Option<&str>| {
            let mut geo = geo(48.85, 2.35);
            geo.city = city.map(Arc::from);
            geo.country = country.map(Arc::from);
            geo.place()
        };
        assert_eq!(place(Some("Paris"), Some("FR")), "Paris, FR");
        assert_eq!(place(Some("Paris"), None), "Paris");
        assert_eq!(place(None, Some("FR")), "FR");
        assert_eq!(place(Some(""), Some("FR")), "FR");
        assert_eq!(place(Some("Paris"), Some("")), "Paris");
        assert_eq!(place(None, None), "unknown place");
        assert_eq!(place(Some(""), Some("")), "unknown place");
    }

    #[test]
    fn null_island_is_no_location() {
        assert_eq!(geo(0.0, 0.0).coordinates(), None);
        assert_eq!(geo(48.85, 2.35).coordinates(), Some((48.85, 2.35)));
        assert_eq!(geo(91.0, 2.35).coordinates(), None);
    }

    #[test]
    fn origin_serializes_as_text() {
        let json = serde_json::to_string(&Origin::AwsInternal).unwrap();
        assert_eq!(json, "\"AWS Internal\"");
        let json = serde_json::to_string(&Origin::Ip("203.0.113.7".parse().unwrap())).unwrap();
        assert_eq!(json, "\"203.0.113.7\"");
    }
}

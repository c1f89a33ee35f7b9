//! The features of an event that a baseline learns, and the keys they are stored under.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use riposte_model::{CredentialKind, Event, trim};

use crate::hash::{bytes_key, exact_key, fold_24, text_key};
use crate::time::hour_of_week;
use crate::user_agent::{UserAgent, parse_user_agent_recent};

/// A kind of value a baseline keeps a list of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// The country of the client address, as the log or the location database names it.
    Country,
    /// The city of the client address, within its country.
    City,
    /// The autonomous system of the client address.
    Asn,
    /// The /24 (IPv4) or /48 (IPv6) network of the client address.
    Prefix,
    /// The user agent's family and major version.
    UserAgent,
    /// The device id the provider recorded.
    Device,
    /// The API service called. Learned for non-human identities only.
    Service,
    /// The API operation called, within its service. Learned for non-human identities only.
    Operation,
    /// The public id of a long-lived credential. Learned for non-human identities only.
    Credential,
}

impl Feature {
    /// Every feature, in the order of the byte format.
    pub const ALL: [Self; 9] = [
        Self::Country,
        Self::City,
        Self::Asn,
        Self::Prefix,
        Self::UserAgent,
        Self::Device,
        Self::Service,
        Self::Operation,
        Self::Credential,
    ];

    pub const COUNT: usize = Self::ALL.len();

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::City => "city",
            Self::Asn => "asn",
            Self::Prefix => "prefix",
            Self::UserAgent => "user_agent",
            Self::Device => "device",
            Self::Service => "service",
            Self::Operation => "operation",
            Self::Credential => "credential",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Prefix lengths that stand for "the same network": a /24 is the smallest IPv4 block routed
/// on the Internet, and a /48 the usual IPv6 assignment to one site.
const IPV4_PREFIX_LENGTH: u8 = 24;
const IPV6_PREFIX_LENGTH: u8 = 48;

/// Marks IPv6 prefix keys, so that they never equal an IPv4 key, which is below 2^24.
const IPV6_KEY_BIT: u32 = 0x8000_0000;

/// Returns the /24 or /48 network of an address; an IPv4-mapped IPv6 address counts as IPv4.
pub fn network_prefix(address: IpAddr) -> IpNet {
    let address = address.to_canonical();
    let length = match address {
        IpAddr::V4(_) => IPV4_PREFIX_LENGTH,
        IpAddr::V6(_) => IPV6_PREFIX_LENGTH,
    };
    IpNet::new(address, length)
        .map(|network| network.trunc())
        .unwrap_or_else(|_| IpNet::from(address))
}

/// The features of one event, borrowed from it.
///
/// Text values are trimmed and empty ones count as absent. Used both to update a baseline
/// and to assess an event against one, so that both see the same values.
#[derive(Clone, Debug, PartialEq)]
pub struct EventFeatures<'a> {
    pub country: Option<&'a str>,
    pub city: Option<&'a str>,
    pub asn: Option<u32>,
    /// The client address, when the origin is an IP address.
    pub address: Option<IpAddr>,
    pub user_agent: Option<UserAgent<'a>>,
    pub device: Option<&'a str>,
    pub service: Option<&'a str>,
    pub operation: Option<&'a str>,
    /// The id of a long-lived credential: access key, API token, client secret or
    /// certificate. Temporary keys, sessions and tokens change too often to be learned.
    pub credential: Option<&'a str>,
    /// Whether the actor is a non-human identity, whose services, operations and credentials
    /// are learned.
    pub nhi: bool,
    pub hour_of_week: u8,
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(trim).filter(|value| !value.is_empty())
}

impl<'a> EventFeatures<'a> {
    /// Reads the features of an event.
    pub fn of(event: &'a Event) -> Self {
        let source = &event.source;
        let geo = source.geo.as_ref();
        let long_lived = matches!(
            event.credential.kind,
            CredentialKind::LongLivedKey
                | CredentialKind::ApiToken
                | CredentialKind::ClientSecret
                | CredentialKind::Certificate
        );
        Self {
            country: present(geo.and_then(|geo| geo.country.as_deref())),
            city: present(geo.and_then(|geo| geo.city.as_deref())),
            asn: source.asn.as_ref().map(|asn| asn.number),
            address: source.origin.ip().map(|address| address.to_canonical()),
            user_agent: source
                .user_agent
                .as_deref()
                .and_then(parse_user_agent_recent),
            device: present(source.device_id.as_deref()),
            service: present(event.service.as_deref()),
            operation: present(Some(&event.operation)),
            credential: present(event.credential.id.as_deref()).filter(|_| long_lived),
            nhi: event.actor.kind.is_nhi(),
            hour_of_week: hour_of_week(event.time),
        }
    }

    /// Reads only the network features of an event, its autonomous system and address, and
    /// leaves the others absent.
    pub(crate) fn network_of(event: &'a Event) -> Self {
        Self {
            country: None,
            city: None,
            asn: event.source.asn.as_ref().map(|asn| asn.number),
            address: event
                .source
                .origin
                .ip()
                .map(|address| address.to_canonical()),
            user_agent: None,
            device: None,
            service: None,
            operation: None,
            credential: None,
            nhi: false,
            hour_of_week: 0,
        }
    }

    /// Returns the key of each feature the event carries, in [`Feature::ALL`] order. A city
    /// without a country is skipped, because its name alone is ambiguous.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (Feature, u32)> + use<'_> {
        let nhi = |key: Option<u32>| key.filter(|_| self.nhi);
        [
            (Feature::Country, self.country.map(keys::country)),
            (
                Feature::City,
                self.country
                    .zip(self.city)
                    .map(|(country, city)| keys::city(country, city)),
            ),
            (Feature::Asn, self.asn),
            (Feature::Prefix, self.address.map(keys::prefix)),
            (
                Feature::UserAgent,
                self.user_agent
                    .map(|agent| keys::user_agent(agent.family, agent.major)),
            ),
            (Feature::Device, self.device.map(keys::device)),
            (Feature::Service, nhi(self.service.map(keys::service))),
            (
                Feature::Operation,
                nhi(self
                    .operation
                    .map(|operation| keys::operation(self.service, operation))),
            ),
            (
                Feature::Credential,
                nhi(self.credential.map(keys::credential)),
            ),
        ]
        .into_iter()
        .filter_map(|(feature, key)| key.map(|key| (feature, key)))
    }
}

/// The key each feature value is stored under. The crate documentation gives the hash and its
/// collision odds.
pub(crate) mod keys {
    use super::*;

    pub(crate) fn country(country: &str) -> u32 {
        text_key(&[country])
    }

    pub(crate) fn city(country: &str, city: &str) -> u32 {
        text_key(&[country, city])
    }

    /// IPv4 prefixes are stored exactly, as the top 24 bits of the address; IPv6 ones as a
    /// hash of the top 48 bits with the top key bit set.
    pub(crate) fn prefix(address: IpAddr) -> u32 {
        match address.to_canonical() {
            IpAddr::V4(v4) => v4.to_bits() >> 8,
            IpAddr::V6(v6) => {
                let octets = v6.octets();
                let site = octets.get(..6).unwrap_or(&octets);
                bytes_key(site) | IPV6_KEY_BIT
            }
        }
    }

    /// The major version stored in the low byte of a user-agent key when the agent names none.
    pub(crate) const NO_MAJOR: u32 = 0xFF;

    /// The family's 24-bit hash in the top bytes, and the major version, capped at 254, in
    /// the low byte, so that a family can be found whatever its version.
    pub(crate) fn user_agent(family: &str, major: Option<u64>) -> u32 {
        let major = major.map_or(NO_MAJOR, |major| {
            u32::try_from(major.min(254)).unwrap_or(254)
        });
        (user_agent_family(family) << 8) | major
    }

    pub(crate) fn user_agent_family(family: &str) -> u32 {
        fold_24(text_key(&[family]))
    }

    pub(crate) fn device(device: &str) -> u32 {
        exact_key(device)
    }

    pub(crate) fn service(service: &str) -> u32 {
        text_key(&[service])
    }

    /// Operations are keyed within their service, because providers reuse names such as
    /// `ListUsers` across services.
    pub(crate) fn operation(service: Option<&str>, operation: &str) -> u32 {
        text_key(&[service.unwrap_or_default(), operation])
    }

    pub(crate) fn credential(credential: &str) -> u32 {
        exact_key(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_group_addresses() {
        let a = keys::prefix("203.0.113.7".parse().unwrap());
        let b = keys::prefix("203.0.113.200".parse().unwrap());
        let mapped = keys::prefix("::ffff:203.0.113.9".parse().unwrap());
        let c = keys::prefix("198.51.100.7".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, mapped);
        assert_ne!(a, c);
        let v6a = keys::prefix("2001:db8:1:1::1".parse().unwrap());
        let v6b = keys::prefix("2001:db8:1:ffff::1".parse().unwrap());
        let v6c = keys::prefix("2001:db8:2::1".parse().unwrap());
        assert_eq!(v6a, v6b);
        assert_ne!(v6a, v6c);
        assert_ne!(v6a & IPV6_KEY_BIT, 0);
        assert_eq!(a & IPV6_KEY_BIT, 0);
    }

    #[test]
    fn network_prefix_truncates() {
        assert_eq!(
            network_prefix("203.0.113.7".parse().unwrap()).to_string(),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_prefix("2001:db8:1:2::1".parse().unwrap()).to_string(),
            "2001:db8:1::/48"
        );
    }

    #[test]
    fn user_agent_keys_share_family_bits() {
        let chrome_124 = keys::user_agent("Chrome", Some(124));
        let chrome_125 = keys::user_agent("chrome", Some(125));
        assert_ne!(chrome_124, chrome_125);
        assert_eq!(chrome_124 >> 8, chrome_125 >> 8);
        assert_eq!(chrome_124 & 0xFF, 124);
        assert_eq!(keys::user_agent("curl", None) & 0xFF, keys::NO_MAJOR);
        assert_eq!(keys::user_agent("curl", Some(9_000)) & 0xFF, 254);
    }
}

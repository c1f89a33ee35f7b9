//! Classification of client addresses into [`IpClass`]es.
//!
//! The built-in ranges follow the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! (RFC 6890, updated by RFC 8190) and the multicast blocks of RFC 5771 and RFC 4291.
//!
//! The documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737),
//! 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637) are deliberately left out, so they
//! classify as [`IpClass::Public`]. They are not routed on the internet, and example data and
//! tests use them as stand-ins for public addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use riposte_model::IpClass;

use crate::NetworkSettings;

/// Classifies addresses by the declared VPN and corporate egress ranges, then by the built-in
/// private and special-purpose ranges.
///
/// The first match wins, in this order:
/// 1. a declared VPN range gives [`IpClass::Vpn`]. VPN wins over corporate egress because a
///    VPN exit is the more specific statement, as a company often declares its whole egress
///    block and carves its VPN concentrators out of it;
/// 2. a declared corporate egress range gives [`IpClass::CorporateEgress`];
/// 3. a private range gives [`IpClass::Private`];
/// 4. a special-purpose range gives [`IpClass::Reserved`];
/// 5. any other address is [`IpClass::Public`].
///
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is classified as the IPv4 address it
/// maps. The default classifier has no declared ranges.
#[derive(Clone, Debug, Default)]
pub struct IpClassifier {
    vpn: RangeSet,
    corporate_egress: RangeSet,
}

impl IpClassifier {
    /// Builds a classifier from the `[networks]` settings.
    pub fn new(networks: &NetworkSettings) -> Self {
        Self {
            vpn: RangeSet::new(&networks.vpn),
            corporate_egress: RangeSet::new(&networks.corporate_egress),
        }
    }

    /// Returns the class of `ip`.
    pub fn classify(&self, ip: IpAddr) -> IpClass {
        let ip = ip.to_canonical();
        if self.vpn.contains(ip) {
            IpClass::Vpn
        } else if self.corporate_egress.contains(ip) {
            IpClass::CorporateEgress
        } else {
            builtin_class(ip)
        }
    }
}

/// Returns the class of `ip` from the built-in ranges alone: [`IpClass::Private`],
/// [`IpClass::Reserved`] or [`IpClass::Public`]. IPv4-mapped IPv6 addresses are classified
/// as the IPv4 address they map.
pub fn builtin_class(ip: IpAddr) -> IpClass {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let bits = v4.to_bits();
            SPECIAL_V4
                .iter()
                .find(|range| bits & range.mask == range.network)
                .map_or(IpClass::Public, |range| range.class)
        }
        IpAddr::V6(v6) => {
            let bits = v6.to_bits();
            SPECIAL_V6
                .iter()
                .find(|range| bits & range.mask == range.network)
                .map_or(IpClass::Public, |range| range.class)
        }
    }
}

struct SpecialV4 {
    network: u32,
    mask: u32,
    class: IpClass,
}

const fn v4(network: [u8; 4], prefix_len: u32, class: IpClass) -> SpecialV4 {
    let mask = if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - prefix_len)
    };
    SpecialV4 {
        network: Ipv4Addr::new(network[0], network[1], network[2], network[3]).to_bits() & mask,
        mask,
        class,
    }
}

/// IPv4 ranges that are never a public client address. The documentation ranges are
/// deliberately absent (see the module documentation).
const SPECIAL_V4: [SpecialV4; 12] = [
    // "This network", RFC 1122 section 3.2.1.3.
    v4([0, 0, 0, 0], 8, IpClass::Reserved),
    // Private-Use, RFC 1918.
    v4([10, 0, 0, 0], 8, IpClass::Private),
    // Shared Address Space behind carrier-grade NAT, RFC 6598.
    v4([100, 64, 0, 0], 10, IpClass::Private),
    // Loopback, RFC 1122 section 3.2.1.3.
    v4([127, 0, 0, 0], 8, IpClass::Private),
    // Link Local, RFC 3927.
    v4([169, 254, 0, 0], 16, IpClass::Private),
    // Private-Use, RFC 1918.
    v4([172, 16, 0, 0], 12, IpClass::Private),
    // IETF Protocol Assignments, RFC 6890 section 2.1 (DS-Lite, NAT64 discovery and others).
    v4([192, 0, 0, 0], 24, IpClass::Reserved),
    // Deprecated 6to4 Relay Anycast, RFC 7526.
    v4([192, 88, 99, 0], 24, IpClass::Reserved),
    // Private-Use, RFC 1918.
    v4([192, 168, 0, 0], 16, IpClass::Private),
    // Benchmarking, RFC 2544.
    v4([198, 18, 0, 0], 15, IpClass::Reserved),
    // Multicast, RFC 5771.
    v4([224, 0, 0, 0], 4, IpClass::Reserved),
    // Reserved for future use, RFC 1112 section 4. It contains the limited broadcast address
    // 255.255.255.255 (RFC 919 section 7).
    v4([240, 0, 0, 0], 4, IpClass::Reserved),
];

struct SpecialV6 {
    network: u128,
    mask: u128,
    class: IpClass,
}

const fn v6(network: [u16; 8], prefix_len: u32, class: IpClass) -> SpecialV6 {
    let mask = if prefix_len == 0 {
        0
    } else {
        u128::MAX << (128 - prefix_len)
    };
    let [a, b, c, d, e, f, g, h] = network;
    SpecialV6 {
        network: Ipv6Addr::new(a, b, c, d, e, f, g, h).to_bits() & mask,
        mask,
        class,
    }
}

/// IPv6 ranges that are never a public client address, most specific first because the first
/// match wins. IPv4-mapped addresses (`::ffff:0:0/96`, RFC 4291 section 2.5.5.2) never reach
/// this table, because they are classified as IPv4. The documentation ranges are deliberately
/// absent.
const SPECIAL_V6: [SpecialV6; 13] = [
    // Loopback, RFC 4291 section 2.5.3.
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, IpClass::Private),
    // Unspecified address, RFC 4291 section 2.5.2.
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, IpClass::Reserved),
    // Deprecated IPv4-compatible addresses, RFC 4291 section 2.5.5.1.
    v6([0, 0, 0, 0, 0, 0, 0, 0], 96, IpClass::Reserved),
    // Local-use IPv4/IPv6 translation, RFC 8215.
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, IpClass::Reserved),
    // Discard-Only Address Block, RFC 6666.
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, IpClass::Reserved),
    // Benchmarking, RFC 5180.
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, IpClass::Reserved),
    // Deprecated ORCHID, RFC 4843.
    v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, IpClass::Reserved),
    // ORCHIDv2 cryptographic identifiers, RFC 7343.
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, IpClass::Reserved),
    // Segment Routing (SRv6) SIDs, RFC 9602.
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, IpClass::Reserved),
    // Unique-Local, RFC 4193.
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, IpClass::Private),
    // Link-Local Unicast, RFC 4291 section 2.5.6.
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, IpClass::Private),
    // Deprecated site-local addresses (RFC 3879), which are private to a site like RFC 1918
    // space.
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, IpClass::Private),
    // Multicast, RFC 4291 section 2.7.
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, IpClass::Reserved),
];

/// A set of networks stored as sorted, disjoint inclusive ranges of integers, so that a
/// membership test is one binary search however many networks were declared.
#[derive(Clone, Debug, Default)]
struct RangeSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl RangeSet {
    fn new(networks: &[IpNet]) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for network in networks {
            match canonical_network(*network) {
                IpNet::V4(net) => v4.push((net.network().to_bits(), net.broadcast().to_bits())),
                IpNet::V6(net) => v6.push((net.network().to_bits(), net.broadcast().to_bits())),
            }
        }
        Self {
            v4: merge_ranges(v4),
            v6: merge_ranges(v6),
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => range_contains(&self.v4, v4.to_bits()),
            IpAddr::V6(v6) => range_contains(&self.v6, v6.to_bits()),
        }
    }
}

/// Returns an IPv4-mapped IPv6 network (`::ffff:192.0.2.0/120`) as the IPv4 network it maps,
/// because addresses are classified in their IPv4 form.
fn canonical_network(network: IpNet) -> IpNet {
    let IpNet::V6(net) = network else {
        return network.trunc();
    };
    let mapped = net
        .network()
        .to_ipv4_mapped()
        .filter(|_| net.prefix_len() >= 96)
        .and_then(|address| ipnet::Ipv4Net::new(address, net.prefix_len() - 96).ok());
    match mapped {
        Some(mapped) => IpNet::V4(mapped.trunc()),
        None => network.trunc(),
    }
}

/// Sorts inclusive ranges and merges those that overlap, so that the ranges become disjoint.
fn merge_ranges<T: Copy + Ord>(mut ranges: Vec<(T, T)>) -> Vec<(T, T)> {
    ranges.sort_unstable();
    let mut merged: Vec<(T, T)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

/// Returns true when `value` lies in one of `ranges`, which must be sorted and disjoint.
fn range_contains<T: Copy + Ord>(ranges: &[(T, T)], value: T) -> bool {
    let after = ranges.partition_point(|&(start, _)| start <= value);
    after
        .checked_sub(1)
        .and_then(|index| ranges.get(index))
        .is_some_and(|&(_, end)| value <= end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn classifier_with(vpn: &[&str], corporate_egress: &[&str]) -> IpClassifier {
        let parse = |list: &[&str]| list.iter().map(|net| net.parse().unwrap()).collect();
        IpClassifier::new(&NetworkSettings {
            vpn: parse(vpn),
            corporate_egress: parse(corporate_egress),
        })
    }

    #[test]
    fn private_ranges_are_private() {
        for address in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "::1",
            "fe80::1",
            "fd12:3456:789a::1",
            "fc00::1",
            "fec0::1",
        ] {
            assert_eq!(builtin_class(ip(address)), IpClass::Private, "{address}");
        }
    }

    #[test]
    fn special_purpose_ranges_are_reserved() {
        for address in [
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.251",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::10.0.0.1",
            "64:ff9b:1::1",
            "100::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "5f00::1",
            "ff02::1",
        ] {
            assert_eq!(builtin_class(ip(address)), IpClass::Reserved, "{address}");
        }
    }

    #[test]
    fn documentation_ranges_are_public() {
        for address in [
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.255",
            "2001:db8::1",
            "3fff::1",
        ] {
            assert_eq!(builtin_class(ip(address)), IpClass::Public, "{address}");
        }
    }

    #[test]
    fn range_edges_are_exact() {
        assert_eq!(builtin_class(ip("172.15.255.255")), IpClass::Public);
        assert_eq!(builtin_class(ip("172.32.0.0")), IpClass::Public);
        assert_eq!(builtin_class(ip("100.63.255.255")), IpClass::Public);
        assert_eq!(builtin_class(ip("100.128.0.0")), IpClass::Public);
        assert_eq!(builtin_class(ip("198.17.255.255")), IpClass::Public);
        assert_eq!(builtin_class(ip("198.20.0.0")), IpClass::Public);
        assert_eq!(builtin_class(ip("223.255.255.255")), IpClass::Public);
        assert_eq!(builtin_class(ip("1.1.1.1")), IpClass::Public);
        assert_eq!(builtin_class(ip("2606:4700::1111")), IpClass::Public);
        assert_eq!(builtin_class(ip("2001::1")), IpClass::Public);
    }

    #[test]
    fn ipv4_mapped_address_is_classified_as_ipv4() {
        assert_eq!(builtin_class(ip("::ffff:10.0.0.1")), IpClass::Private);
        assert_eq!(builtin_class(ip("::ffff:203.0.113.9")), IpClass::Public);
        assert_eq!(builtin_class(ip("::ffff:224.0.0.1")), IpClass::Reserved);
    }

    #[test]
    fn vpn_range_wins_over_egress() {
        let classifier = classifier_with(&["203.0.113.128/25"], &["203.0.113.0/24"]);
        assert_eq!(classifier.classify(ip("203.0.113.200")), IpClass::Vpn);
        assert_eq!(
            classifier.classify(ip("203.0.113.5")),
            IpClass::CorporateEgress
        );
        assert_eq!(classifier.classify(ip("198.51.100.5")), IpClass::Public);
    }

    #[test]
    fn declared_range_wins_over_private() {
        let classifier = classifier_with(&["10.8.0.0/16"], &[]);
        assert_eq!(classifier.classify(ip("10.8.1.1")), IpClass::Vpn);
        assert_eq!(classifier.classify(ip("10.9.1.1")), IpClass::Private);
    }

    #[test]
    fn declared_ranges_match_ipv6_and_mapped_forms() {
        let classifier = classifier_with(&["2001:db8:f::/48", "::ffff:198.51.100.0/120"], &[]);
        assert_eq!(classifier.classify(ip("2001:db8:f::9")), IpClass::Vpn);
        assert_eq!(classifier.classify(ip("2001:db8:e::9")), IpClass::Public);
        assert_eq!(classifier.classify(ip("198.51.100.77")), IpClass::Vpn);
        assert_eq!(
            classifier.classify(ip("::ffff:198.51.100.77")),
            IpClass::Vpn
        );
    }

    #[test]
    fn overlapping_declared_ranges_are_merged() {
        let classifier = classifier_with(
            &[
                "203.0.113.0/24",
                "203.0.113.16/28",
                "203.0.114.0/24",
                "0.0.0.0/0",
            ],
            &[],
        );
        assert_eq!(classifier.classify(ip("203.0.113.50")), IpClass::Vpn);
        assert_eq!(classifier.classify(ip("255.255.255.255")), IpClass::Vpn);

        let nested = classifier_with(&["198.51.100.0/24", "198.51.100.8/29"], &[]);
        assert_eq!(nested.classify(ip("198.51.100.200")), IpClass::Vpn);
        assert_eq!(nested.classify(ip("198.51.101.1")), IpClass::Public);
    }

    #[test]
    fn host_bits_in_declared_range_are_ignored() {
        let classifier = classifier_with(&["198.51.100.77/24"], &[]);
        assert_eq!(classifier.classify(ip("198.51.100.1")), IpClass::Vpn);
    }
}

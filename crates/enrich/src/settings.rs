use ipnet::IpNet;
use serde::Deserialize;

/// The `[networks]` table of the configuration file: address ranges that the organisation
/// declares as its own.
///
/// ```toml
/// [networks]
/// corporate_egress = ["198.51.100.0/24", "2001:db8:100::/48"]
/// vpn = ["203.0.113.128/25"]
/// ```
///
/// Both lists default to empty. A range may be written with host bits set
/// (`198.51.100.7/24` means `198.51.100.0/24`), and a range may appear in both lists, in
/// which case its addresses are classed as VPN.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettings {
    /// Ranges from which the organisation's offices reach the internet. An address in them
    /// places the person at an office, but its location is that of the egress point.
    #[serde(default)]
    pub corporate_egress: Vec<IpNet>,
    /// Exit ranges of the organisation's VPN. The location of an address in them is that of
    /// the VPN exit, not of the person.
    #[serde(default)]
    pub vpn: Vec<IpNet>,
}

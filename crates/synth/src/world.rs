//! The fixed world the generated records live in: places, networks, user agents, the AWS
//! account and the Entra tenant.
//!
//! Every address, domain, account and network number is a documentation value: addresses
//! from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737) and 2001:db8::/32 (RFC 3849),
//! autonomous system numbers from 64496-64511 and 65536-65551 (RFC 5398), the domains
//! example.com and example.org (RFC 2606). City coordinates are the real ones, so that
//! distances between places are real.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The AWS account every CloudTrail record belongs to.
pub const AWS_ACCOUNT: &str = "111111111111";
/// The AWS region of the trail and of every call.
pub const AWS_REGION: &str = "us-east-1";
/// The Entra tenant every Entra record belongs to.
pub const TENANT_ID: &str = "5a7e3c1d-2b4f-4c6a-8e9d-0f1a2b3c4d5e";
/// The e-mail domain of the company.
pub const COMPANY_DOMAIN: &str = "example.com";

/// A city where requests come from.
#[derive(Debug, PartialEq)]
pub struct Place {
    pub city: &'static str,
    /// State, province or region.
    pub state: &'static str,
    /// Country name as Okta writes it.
    pub country: &'static str,
    /// ISO 3166-1 alpha-2 code, as Entra writes it.
    pub country_code: &'static str,
    pub postal_code: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    /// Offset of local time from UTC in May, in minutes.
    pub utc_offset_minutes: i32,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the table of places below"
)]
const fn place(
    city: &'static str,
    state: &'static str,
    country: &'static str,
    country_code: &'static str,
    postal_code: &'static str,
    latitude: f64,
    longitude: f64,
    utc_offset_minutes: i32,
) -> Place {
    Place {
        city,
        state,
        country,
        country_code,
        postal_code,
        latitude,
        longitude,
        utc_offset_minutes,
    }
}

pub static LISBON: Place = place(
    "Lisbon", "Lisbon", "Portugal", "PT", "1100-148", 38.7223, -9.1393, 60,
);
pub static BERLIN: Place = place(
    "Berlin", "Berlin", "Germany", "DE", "10117", 52.5200, 13.4050, 120,
);
pub static AUSTIN: Place = place(
    "Austin",
    "Texas",
    "United States",
    "US",
    "78701",
    30.2672,
    -97.7431,
    -300,
);
pub static TORONTO: Place = place(
    "Toronto", "Ontario", "Canada", "CA", "M5H 2N2", 43.6532, -79.3832, -240,
);
pub static DUBLIN: Place = place(
    "Dublin", "Leinster", "Ireland", "IE", "D02 X285", 53.3498, -6.2603, 60,
);
pub static SINGAPORE: Place = place(
    "Singapore",
    "Singapore",
    "Singapore",
    "SG",
    "018989",
    1.2897,
    103.8501,
    480,
);
pub static SAO_PAULO: Place = place(
    "Sao Paulo",
    "Sao Paulo",
    "Brazil",
    "BR",
    "01000-000",
    -23.5505,
    -46.6333,
    -180,
);
pub static JAKARTA: Place = place(
    "Jakarta",
    "Jakarta",
    "Indonesia",
    "ID",
    "10110",
    -6.2088,
    106.8456,
    420,
);
/// The home of AWS us-east-1.
pub static ASHBURN: Place = place(
    "Ashburn",
    "Virginia",
    "United States",
    "US",
    "20147",
    39.0438,
    -77.4874,
    -240,
);
/// The location of the CI runners.
pub static BOARDMAN: Place = place(
    "Boardman",
    "Oregon",
    "United States",
    "US",
    "97818",
    45.8399,
    -119.7006,
    -420,
);
/// The location of the Azure-hosted workloads.
pub static AMSTERDAM: Place = place(
    "Amsterdam",
    "North Holland",
    "Netherlands",
    "NL",
    "1012",
    52.3676,
    4.9041,
    120,
);

/// Cities people live in, for the benchmark population.
pub static HOME_PLACES: [&Place; 22] = [
    &LISBON,
    &BERLIN,
    &AUSTIN,
    &TORONTO,
    &DUBLIN,
    &AMSTERDAM,
    &MADRID,
    &PARIS,
    &LONDON,
    &WARSAW,
    &NEW_YORK,
    &CHICAGO,
    &SEATTLE,
    &DENVER,
    &BOSTON,
    &MONTREAL,
    &STOCKHOLM,
    &MILAN,
    &BANGALORE,
    &SYDNEY,
    &TOKYO,
    &MEXICO_CITY,
];

/// Cities attackers operate from.
pub static ATTACKER_PLACES: [&Place; 3] = [&SINGAPORE, &SAO_PAULO, &JAKARTA];

pub static MADRID: Place = place(
    "Madrid", "Madrid", "Spain", "ES", "28013", 40.4168, -3.7038, 120,
);
pub static PARIS: Place = place(
    "Paris",
    "Ile-de-France",
    "France",
    "FR",
    "75001",
    48.8566,
    2.3522,
    120,
);
pub static LONDON: Place = place(
    "London",
    "England",
    "United Kingdom",
    "GB",
    "EC1A 1BB",
    51.5072,
    -0.1276,
    60,
);
pub static WARSAW: Place = place(
    "Warsaw", "Mazovia", "Poland", "PL", "00-001", 52.2297, 21.0122, 120,
);
pub static NEW_YORK: Place = place(
    "New York",
    "New York",
    "United States",
    "US",
    "10001",
    40.7128,
    -74.0060,
    -240,
);
pub static CHICAGO: Place = place(
    "Chicago",
    "Illinois",
    "United States",
    "US",
    "60601",
    41.8781,
    -87.6298,
    -300,
);
pub static SEATTLE: Place = place(
    "Seattle",
    "Washington",
    "United States",
    "US",
    "98101",
    47.6062,
    -122.3321,
    -420,
);
pub static DENVER: Place = place(
    "Denver",
    "Colorado",
    "United States",
    "US",
    "80202",
    39.7392,
    -104.9903,
    -360,
);
pub static BOSTON: Place = place(
    "Boston",
    "Massachusetts",
    "United States",
    "US",
    "02108",
    42.3601,
    -71.0589,
    -240,
);
pub static MONTREAL: Place = place(
    "Montreal", "Quebec", "Canada", "CA", "H2Y 1C6", 45.5019, -73.5674, -240,
);
pub static STOCKHOLM: Place = place(
    "Stockholm",
    "Stockholm County",
    "Sweden",
    "SE",
    "111 20",
    59.3293,
    18.0686,
    120,
);
pub static MILAN: Place = place(
    "Milan", "Lombardy", "Italy", "IT", "20121", 45.4642, 9.1900, 120,
);
pub static BANGALORE: Place = place(
    "Bengaluru",
    "Karnataka",
    "India",
    "IN",
    "560001",
    12.9716,
    77.5946,
    330,
);
pub static SYDNEY: Place = place(
    "Sydney",
    "New South Wales",
    "Australia",
    "AU",
    "2000",
    -33.8688,
    151.2093,
    600,
);
pub static TOKYO: Place = place(
    "Tokyo", "Tokyo", "Japan", "JP", "100-0001", 35.6762, 139.6503, 540,
);
pub static MEXICO_CITY: Place = place(
    "Mexico City",
    "Mexico City",
    "Mexico",
    "MX",
    "06000",
    19.4326,
    -99.1332,
    -360,
);

/// An autonomous system: who operates the network an address belongs to.
#[derive(Debug, PartialEq)]
pub struct Network {
    pub asn: u32,
    /// Organisation name, as in Okta `securityContext.asOrg` and `isp`.
    pub organization: &'static str,
    /// Domain of the operator, as in Okta `securityContext.domain`.
    pub domain: &'static str,
}

const fn network(asn: u32, organization: &'static str, domain: &'static str) -> Network {
    Network {
        asn,
        organization,
        domain,
    }
}

/// Consumer internet providers, one per home city index (modulo their number).
pub static HOME_NETWORKS: [Network; 15] = [
    network(64500, "Example Broadband", "broadband.example.org"),
    network(64501, "Example Telecom", "telecom.example.org"),
    network(64502, "Example Cable", "cable.example.org"),
    network(64503, "Example Fibre", "fibre.example.org"),
    network(64504, "Example Online", "online.example.org"),
    network(64505, "Example Internet", "internet.example.org"),
    network(64506, "Example Connect", "connect.example.org"),
    network(64507, "Example Networks", "networks.example.org"),
    network(64508, "Example Metro", "metro.example.org"),
    network(64509, "Example DSL", "dsl.example.org"),
    network(
        64510,
        "Example Communications",
        "communications.example.org",
    ),
    network(64496, "Example Regional", "regional.example.org"),
    network(64497, "Example Wireless", "wireless.example.org"),
    network(64498, "Example Home Net", "homenet.example.org"),
    network(64499, "Example Access", "access.example.org"),
];

/// The cloud provider hosting the company's AWS workloads (addresses in 192.0.2.0/24).
pub static CLOUD_NETWORK: Network = network(65536, "Example Cloud", "cloud.example.org");
/// The datacenter hosting the Entra service principal's workload.
pub static DATACENTER_NETWORK: Network =
    network(65537, "Example Datacenter", "datacenter.example.org");
/// The hosted CI runners.
pub static CI_NETWORK: Network = network(65538, "Example CI Hosting", "ci.example.org");
/// Networks attackers rent servers or proxies from.
pub static ATTACKER_NETWORKS: [Network; 3] = [
    network(65550, "Example VPS Hosting", "vps.example.org"),
    network(65551, "Example Proxy Network", "proxy.example.org"),
    network(65549, "Example Virtual Servers", "servers.example.org"),
];

/// A client program as the providers describe it.
#[derive(Debug, PartialEq)]
pub struct Agent {
    /// The raw `User-Agent` header.
    pub raw: &'static str,
    /// Okta `client.userAgent.os`.
    pub okta_os: &'static str,
    /// Okta `client.userAgent.browser`.
    pub okta_browser: &'static str,
    /// Entra `deviceDetail.operatingSystem`.
    pub entra_os: &'static str,
    /// Entra `deviceDetail.browser`.
    pub entra_browser: &'static str,
}

const fn agent(
    raw: &'static str,
    okta_os: &'static str,
    okta_browser: &'static str,
    entra_os: &'static str,
    entra_browser: &'static str,
) -> Agent {
    Agent {
        raw,
        okta_os,
        okta_browser,
        entra_os,
        entra_browser,
    }
}

pub static CHROME_MAC: Agent = agent(
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mac OS X",
    "CHROME",
    "MacOs",
    "Chrome 124.0.0",
);
pub static EDGE_WINDOWS: Agent = agent(
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Windows 10",
    "EDGE",
    "Windows10",
    "Edge 124.0.0",
);
pub static SAFARI_MAC: Agent = agent(
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mac OS X",
    "SAFARI",
    "MacOs",
    "Safari 17.4.1",
);
pub static FIREFOX_LINUX: Agent = agent(
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Linux",
    "FIREFOX",
    "Linux",
    "Firefox 125.0",
);
pub static CHROME_WINDOWS: Agent = agent(
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Windows 10",
    "CHROME",
    "Windows10",
    "Chrome 124.0.0",
);
pub static FIREFOX_WINDOWS: Agent = agent(
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Windows 10",
    "FIREFOX",
    "Windows10",
    "Firefox 125.0",
);
pub static CHROME_LINUX: Agent = agent(
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Linux",
    "CHROME",
    "Linux",
    "Chrome 123.0.0",
);

/// Browsers people use, for the benchmark population.
pub static PERSON_BROWSERS: [&Agent; 5] = [
    &CHROME_MAC,
    &EDGE_WINDOWS,
    &SAFARI_MAC,
    &FIREFOX_LINUX,
    &CHROME_WINDOWS,
];

/// Browsers attackers use; none of them is in [`PERSON_BROWSERS`].
pub static ATTACKER_BROWSERS: [&Agent; 2] = [&FIREFOX_WINDOWS, &CHROME_LINUX];

/// AWS CLI on a person's Mac.
pub const AWS_CLI_MAC: &str = "aws-cli/2.15.38 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off";
/// AWS CLI on a person's Linux laptop.
pub const AWS_CLI_LINUX: &str =
    "aws-cli/2.15.38 Python/3.11.8 Linux/6.5.0-28-generic exe/x86_64.ubuntu.22 prompt/off";
/// AWS CLI on the attacker's Windows machine.
pub const AWS_CLI_WINDOWS: &str = "aws-cli/2.15.30 Python/3.11.6 Windows/10 exe/AMD64 prompt/off";
/// AWS CLI on the CI runners.
pub const AWS_CLI_CI: &str =
    "aws-cli/2.15.38 Python/3.11.8 Linux/6.5.0-1018-azure exe/x86_64.ubuntu.22 prompt/off";
/// The AWS SDK for Java in the application on the EC2 instances.
pub const SDK_JAVA_EC2: &str = "aws-sdk-java/2.25.40 Linux/5.10.215-203.850.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy";
/// The SSM agent on the EC2 instances.
pub const SSM_AGENT: &str = "aws-sdk-go/1.50.1 (go1.21.9; linux; amd64) amazon-ssm-agent/3.3.380.0";
/// Boto3 in the Lambda function.
pub const BOTO3_LAMBDA: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.214-223.837.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.84";
/// The HTTP client of the service principal's workload.
pub const SERVICE_PRINCIPAL_AGENT: &str = "python-requests/2.31.0";

/// The origin of a request: an address in a place, on a network, from a program.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub ip: IpAddr,
    pub place: &'a Place,
    pub network: &'a Network,
    pub agent: &'a Agent,
}

/// Returns the address `host` in 203.0.113.0/24.
pub fn test_net_3(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(203, 0, 113, host))
}

/// Returns the address `host` in 198.51.100.0/24.
pub fn test_net_2(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, host))
}

/// Returns the address `host` in 192.0.2.0/24.
pub fn test_net_1(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, host))
}

/// Returns an address in 2001:db8::/32 whose third and fourth groups are `network` and
/// `host`.
pub fn documentation_v6(network: u16, host: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0x0db8, network, host, 0, 0, 0, 1))
}

/// Returns the Okta `request.ipChain[].version` of an address.
pub fn ip_version(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "V4",
        IpAddr::V6(_) => "V6",
    }
}

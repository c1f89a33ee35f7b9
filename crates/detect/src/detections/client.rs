//! Descriptions of the client side of an event, shared by detections: the software family a
//! user agent names, and the network an address belongs to.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use foldhash::fast::RandomState;
use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use ipnet::IpNet;
use riposte_model::{IpClass, Source, trim};

/// Maximum number of user agents a [`UserAgentCache`] keeps. A full cache is cleared.
const MAX_CACHED_USER_AGENTS: usize = 4096;

/// Product tokens read from one user agent. Real agents have fewer than 20; the cap bounds
/// the work on a hostile value.
const MAX_PRODUCT_TOKENS: usize = 64;

/// Prefix lengths that stand for "the same network" when the autonomous system is unknown:
/// a /24 is the smallest IPv4 block routed on the Internet, and a /48 the usual IPv6
/// assignment to one site.
const IPV4_NETWORK_PREFIX: u8 = 24;
const IPV6_NETWORK_PREFIX: u8 = 48;

/// A client program as its user agent names it: a family and a major version.
///
/// [`parse_user_agent`] recognizes these families:
/// - browsers, from agents that start with `Mozilla/` (or `Opera/`), checked in this order
///   because Edge and Opera agents also name Chrome and Safari: Edge (`Edg/`, `EdgA/`,
///   `EdgiOS/`, `Edge/`), Opera (`OPR/`, `OPiOS/`, `Opera/`), Firefox (`Firefox/`, `FxiOS/`),
///   Chrome (`Chrome/`, `CriOS/`) and Safari (`Safari/`, with the version of `Version/`);
/// - tools and libraries, wherever their token appears: `aws-cli`, `boto3` (the `Boto3/` or
///   `Botocore/` token), each `aws-sdk-*` token as its own family, `PowerShell` (also
///   `WindowsPowerShell/`), `MSAL` (tokens starting with `MSAL`), `Microsoft Office` (agents
///   starting with `Microsoft Office/`), `okhttp`, `curl`, `python-requests` and
///   `Go-http-client`; tools are checked before browsers because PowerShell's agent starts
///   with `Mozilla/5.0`;
/// - anything else: the name of the first product token, such as `axios` or
///   `Mozilla` for a web view that names no browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Software {
    pub(crate) family: Box<str>,
    pub(crate) major: Option<u64>,
    /// True for the browser families above.
    pub(crate) browser: bool,
}

impl Software {
    /// Returns true when both name the same family and major version, ignoring case.
    pub(crate) fn same_release(&self, other: &Self) -> bool {
        self.family.eq_ignore_ascii_case(&other.family) && self.major == other.major
    }
}

impl fmt::Display for Software {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.major {
            Some(major) => write!(f, "{} {major}", self.family),
            None => f.write_str(&self.family),
        }
    }
}

/// One `name/version` token of a user agent, outside the parenthesized comments.
#[derive(Clone, Copy)]
struct ProductToken<'a> {
    name: &'a str,
    version: Option<&'a str>,
}

impl ProductToken<'_> {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn major(&self) -> Option<u64> {
        let digits = self.version?.split(|c: char| !c.is_ascii_digit()).next()?;
        digits.parse().ok()
    }
}

/// Splits a user agent into product tokens, skipping comments in parentheses. Commas and
/// square brackets separate tokens too, because CloudTrail writes some agents as
/// `[S3Console/0.4, aws-internal/3 ...]`.
fn product_tokens(user_agent: &str) -> Vec<ProductToken<'_>> {
    let mut tokens = Vec::new();
    let mut depth = 0_usize;
    let mut start: Option<usize> = None;
    for (index, character) in user_agent.char_indices() {
        if tokens.len() >= MAX_PRODUCT_TOKENS {
            return tokens;
        }
        match character {
            '(' => {
                end_token(user_agent, &mut tokens, &mut start, index);
                depth = depth.saturating_add(1);
            }
            ')' => depth = depth.saturating_sub(1),
            ',' | '[' | ']' => end_token(user_agent, &mut tokens, &mut start, index),
            c if c.is_whitespace() => end_token(user_agent, &mut tokens, &mut start, index),
            _ if depth == 0 && start.is_none() => start = Some(index),
            _ => {}
        }
    }
    end_token(user_agent, &mut tokens, &mut start, user_agent.len());
    tokens
}

/// Appends the token that began at `start` and ends before `end`, if one began.
fn end_token<'a>(
    user_agent: &'a str,
    tokens: &mut Vec<ProductToken<'a>>,
    start: &mut Option<usize>,
    end: usize,
) {
    let Some(text) = start.take().and_then(|begin| user_agent.get(begin..end)) else {
        return;
    };
    let (name, version) = match text.split_once('/') {
        Some((name, version)) => (name, Some(version)),
        None => (text, None),
    };
    tokens.push(ProductToken { name, version });
}

/// Names the client program of a user agent, or returns `None` for an empty agent or a
/// placeholder (see [`is_placeholder`]). See [`Software`] for the families recognized.
pub(crate) fn parse_user_agent(user_agent: &str) -> Option<Software> {
    let text = trim(user_agent);
    if is_placeholder(text) {
        return None;
    }
    // "Microsoft Office/16.0 (...)": the product name has a space, so it is not one token.
    if let Some(rest) = strip_prefix_ignore_case(text, "Microsoft Office/") {
        let major = ProductToken {
            name: "Microsoft Office",
            version: Some(rest),
        }
        .major();
        return Some(tool("Microsoft Office", major));
    }
    let tokens = product_tokens(text);
    if let Some(software) = tool_software(&tokens) {
        return Some(software);
    }
    if let Some(software) = browser_software(&tokens) {
        return Some(software);
    }
    let first = tokens.first().filter(|token| !token.name.is_empty())?;
    Some(tool(first.name, first.major()))
}

/// The description of one user agent that detections read.
pub(crate) struct UserAgent {
    /// The client program, as [`parse_user_agent`] returns it.
    pub(crate) software: Option<Software>,
    /// The result of [`is_aws_written_user_agent`].
    pub(crate) aws_written: bool,
    /// The result of [`is_aws_console_user_agent`].
    pub(crate) aws_console: bool,
}

impl UserAgent {
    fn of(user_agent: &str) -> Self {
        Self {
            software: parse_user_agent(user_agent),
            aws_written: is_aws_written_user_agent(user_agent),
            aws_console: is_aws_console_user_agent(user_agent),
        }
    }
}

/// The descriptions of recently seen user agents. Each client sends the same agent on every
/// event, so most lookups skip the parse.
#[derive(Default)]
pub(crate) struct UserAgentCache {
    described: HashMap<Box<str>, UserAgent, RandomState>,
}

impl UserAgentCache {
    /// Returns the description of `user_agent`, borrowed from the cache.
    pub(crate) fn get(&mut self, user_agent: &str) -> &UserAgent {
        let full = self.described.len() >= MAX_CACHED_USER_AGENTS;
        match self.described.entry_ref(user_agent) {
            EntryRef::Occupied(entry) => entry.into_mut(),
            EntryRef::Vacant(entry) if !full => {
                entry.insert_with_key(user_agent.into(), UserAgent::of(user_agent))
            }
            EntryRef::Vacant(entry) => {
                let described = entry.into_map();
                described.clear();
                described
                    .entry(user_agent.into())
                    .or_insert_with(|| UserAgent::of(user_agent))
            }
        }
    }
}

/// Returns true for values that logs write in place of a missing one: empty, `unknown`,
/// `null`, `<null>`, `none`, `n/a` and `-`, in any case. Okta writes `unknown` in
/// `externalSessionId` and `rawUserAgent` when it has no value.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let value = trim(value);
    value.is_empty()
        || ["unknown", "null", "<null>", "none", "n/a", "-"]
            .iter()
            .any(|placeholder| value.eq_ignore_ascii_case(placeholder))
}

fn tool(family: &str, major: Option<u64>) -> Software {
    Software {
        family: family.into(),
        major,
        browser: false,
    }
}

fn tool_software(tokens: &[ProductToken<'_>]) -> Option<Software> {
    let find = |names: &[&str]| {
        tokens
            .iter()
            .find(|token| names.iter().any(|name| token.is(name)))
    };
    if let Some(token) = find(&["aws-cli"]) {
        return Some(tool("aws-cli", token.major()));
    }
    if let Some(token) = find(&["Boto3"]).or_else(|| find(&["Botocore"])) {
        return Some(tool("boto3", token.major()));
    }
    if let Some(token) = tokens
        .iter()
        .find(|token| starts_with_ignore_case(token.name, "aws-sdk-"))
    {
        return Some(tool(&token.name.to_ascii_lowercase(), token.major()));
    }
    if let Some(token) = find(&["PowerShell", "WindowsPowerShell"]) {
        return Some(tool("PowerShell", token.major()));
    }
    if let Some(token) = tokens
        .iter()
        .find(|token| starts_with_ignore_case(token.name, "MSAL"))
    {
        return Some(tool("MSAL", token.major()));
    }
    for family in ["okhttp", "curl", "python-requests", "Go-http-client"] {
        if let Some(token) = find(&[family]) {
            return Some(tool(family, token.major()));
        }
    }
    None
}

fn browser_software(tokens: &[ProductToken<'_>]) -> Option<Software> {
    let first = tokens.first()?;
    if !(first.is("Mozilla") || first.is("Opera")) {
        return None;
    }
    let find = |names: &[&str]| {
        tokens
            .iter()
            .find(|token| names.iter().any(|name| token.is(name)))
    };
    let browser = |family: &str, major: Option<u64>| Software {
        family: family.into(),
        major,
        browser: true,
    };
    if let Some(token) = find(&["Edg", "EdgA", "EdgiOS", "Edge"]) {
        return Some(browser("Edge", token.major()));
    }
    if let Some(token) = find(&["OPR", "OPiOS"]) {
        return Some(browser("Opera", token.major()));
    }
    if first.is("Opera") {
        let version = find(&["Version"]).unwrap_or(first);
        return Some(browser("Opera", version.major()));
    }
    if let Some(token) = find(&["Firefox", "FxiOS"]) {
        return Some(browser("Firefox", token.major()));
    }
    if let Some(token) = find(&["Chrome", "CriOS"]) {
        return Some(browser("Chrome", token.major()));
    }
    if find(&["Safari"]).is_some() {
        let major = find(&["Version"]).and_then(ProductToken::major);
        return Some(browser("Safari", major));
    }
    None
}

/// Returns true for user agents that AWS itself writes rather than a client program:
/// `AWS Internal`, `aws.internal`, agents of AWS's internal SDK (`aws-internal/...`), the S3
/// console (`[S3Console/...]`) and service names such as `console.amazonaws.com` or
/// `lambda.amazonaws.com`.
pub(crate) fn is_aws_written_user_agent(user_agent: &str) -> bool {
    let text = trim(trim(user_agent).trim_start_matches('['));
    text.eq_ignore_ascii_case("AWS Internal")
        || text.eq_ignore_ascii_case("aws.internal")
        || starts_with_ignore_case(text, "aws-internal/")
        || starts_with_ignore_case(text, "S3Console/")
        || is_aws_service_name(text)
}

/// Returns true for the user agents of calls made from the AWS Management Console:
/// `console.amazonaws.com` and the S3 console's `[S3Console/...]`.
pub(crate) fn is_aws_console_user_agent(user_agent: &str) -> bool {
    let text = trim(trim(user_agent).trim_start_matches('['));
    text.eq_ignore_ascii_case("console.amazonaws.com")
        || starts_with_ignore_case(text, "S3Console/")
}

fn is_aws_service_name(text: &str) -> bool {
    !text.contains(char::is_whitespace)
        && text.len() > ".amazonaws.com".len()
        && text
            .get(text.len() - ".amazonaws.com".len()..)
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case(".amazonaws.com"))
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    strip_prefix_ignore_case(text, prefix).is_some()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// The network of a client address, as far as the event records it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Network {
    pub(crate) address: IpAddr,
    /// The /24 (IPv4) or /48 (IPv6) the address belongs to.
    pub(crate) prefix: IpNet,
    pub(crate) asn: Option<u32>,
    pub(crate) asn_organization: Option<Arc<str>>,
    pub(crate) country: Option<Arc<str>>,
    /// "city, country" with whichever parts are known, or "unknown place".
    pub(crate) place: String,
}

/// The differences found between two networks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetworkChange {
    /// Both autonomous systems are known and differ.
    pub(crate) asn: bool,
    /// The autonomous system is unknown on at least one side and the prefixes differ.
    pub(crate) prefix: bool,
    /// Both countries are known and differ.
    pub(crate) country: bool,
}

impl NetworkChange {
    pub(crate) fn any(self) -> bool {
        self.asn || self.prefix || self.country
    }
}

/// The parts of a [`Network`] that comparisons read, borrowed from an event's source, so that
/// comparing costs no allocation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct NetworkView<'a> {
    pub(crate) address: IpAddr,
    pub(crate) prefix: IpNet,
    pub(crate) asn: Option<u32>,
    pub(crate) country: Option<&'a str>,
}

impl<'a> NetworkView<'a> {
    /// Returns the network of an event's source, or `None` when the origin is not an IP
    /// address.
    pub(crate) fn of(source: &'a Source) -> Option<Self> {
        let address = source.origin.ip()?.to_canonical();
        let country = source
            .geo
            .as_ref()
            .and_then(|geo| geo.country.as_deref())
            .filter(|country| !trim(country).is_empty());
        Some(Self {
            address,
            prefix: network_prefix(address),
            asn: source.asn.as_ref().map(|asn| asn.number),
            country,
        })
    }

    /// Compares two networks: by autonomous system when both are known, else by prefix, and
    /// by country when both are known. Country names are compared ignoring ASCII case.
    pub(crate) fn compare(&self, other: &Self) -> NetworkChange {
        let (asn, prefix) = match (self.asn, other.asn) {
            (Some(mine), Some(theirs)) => (mine != theirs, false),
            _ => (false, self.prefix != other.prefix),
        };
        let country = match (self.country, other.country) {
            (Some(mine), Some(theirs)) => !mine.eq_ignore_ascii_case(theirs),
            _ => false,
        };
        NetworkChange {
            asn,
            prefix,
            country,
        }
    }
}

impl Network {
    /// Returns the network of an event's source, or `None` when the origin is not an IP
    /// address.
    pub(crate) fn of(source: &Source) -> Option<Self> {
        NetworkView::of(source).map(|view| Self::from_view(view, source))
    }

    /// Returns the network of `source`, whose view is `view`, with the names a reader needs.
    pub(crate) fn from_view(view: NetworkView<'_>, source: &Source) -> Self {
        Self {
            address: view.address,
            prefix: view.prefix,
            asn: view.asn,
            asn_organization: source.asn.as_ref().and_then(|asn| asn.organization.clone()),
            // The view's country is the location's, unless that is blank.
            country: source
                .geo
                .as_ref()
                .and_then(|geo| geo.country.clone())
                .filter(|_| view.country.is_some()),
            place: source
                .geo
                .as_ref()
                .map_or_else(|| "unknown place".to_owned(), |geo| geo.place()),
        }
    }

    /// Returns the parts of the network that comparisons read.
    pub(crate) fn view(&self) -> NetworkView<'_> {
        NetworkView {
            address: self.address,
            prefix: self.prefix,
            asn: self.asn,
            country: self.country.as_deref(),
        }
    }

    /// Names the network: `AS64500 Example Telecom` when the autonomous system is known,
    /// else the prefix.
    pub(crate) fn name(&self) -> String {
        match (self.asn, &self.asn_organization) {
            (Some(number), Some(organization)) => format!("AS{number} {organization}"),
            (Some(number), None) => format!("AS{number}"),
            (None, _) => self.prefix.to_string(),
        }
    }
}

/// Returns the /24 or /48 network of an address.
fn network_prefix(address: IpAddr) -> IpNet {
    let length = match address {
        IpAddr::V4(_) => IPV4_NETWORK_PREFIX,
        IpAddr::V6(_) => IPV6_NETWORK_PREFIX,
    };
    IpNet::new(address, length)
        .map(|network| network.trunc())
        .unwrap_or_else(|_| IpNet::from(address))
}

/// Returns true for private and special-purpose address classes, whose uses reveal nothing
/// about which client has a credential.
pub(crate) fn is_internal(class: IpClass) -> bool {
    matches!(class, IpClass::Private | IpClass::Reserved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use riposte_model::{Asn, Origin};

    fn family(user_agent: &str) -> String {
        parse_user_agent(user_agent)
            .map(|software| software.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn browsers_are_named_with_major_version() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Safari/537.36",
                "Chrome 124",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
                "Firefox 125",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36 Edg/116.0.1938.98",
                "Edge 116",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.22631",
                "Edge 18",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
                "Opera 106",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
                "Safari 17",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.71 Mobile/15E148 Safari/604.1",
                "Chrome 124",
            ),
        ];
        for (user_agent, expected) in cases {
            let software = parse_user_agent(user_agent).unwrap();
            assert_eq!(software.to_string(), expected, "{user_agent}");
            assert!(software.browser, "{user_agent}");
        }
    }

    #[test]
    fn tools_are_named_before_browsers() {
        let cases = [
            (
                "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/s3.ls",
                "aws-cli 2",
            ),
            (
                "aws-cli/1.18.87 Python/3.7.3 Linux/4.19.0-6-amd64 botocore/1.17.30",
                "aws-cli 1",
            ),
            (
                "Boto3/1.15.2 Python/3.8.2 Linux/5.6.3-arch1-1 Botocore/1.18.2",
                "boto3 1",
            ),
            (
                "Botocore/1.34.0 ua/2.0 os/linux#6.5.0 lang/python#3.11.8",
                "boto3 1",
            ),
            (
                "APN/1.0 HashiCorp/1.0 Terraform/1.4.7 (+https://www.terraform.io) terraform-provider-aws/4.59.0 aws-sdk-go/1.44.221 (go1.19.6; linux; amd64)",
                "aws-sdk-go 1",
            ),
            (
                "aws-sdk-java/2.20.0 Linux/5.15.0-1041-aws",
                "aws-sdk-java 2",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.1",
                "PowerShell 7",
            ),
            (
                "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.22621.2506",
                "PowerShell 5",
            ),
            (
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.14326; Pro)",
                "Microsoft Office 16",
            ),
            ("MSAL.Desktop/4.59.0", "MSAL 4"),
            ("okhttp/4.8.1", "okhttp 4"),
            ("curl/8.4.0", "curl 8"),
            ("python-requests/2.31.0", "python-requests 2"),
            ("Go-http-client/2.0", "Go-http-client 2"),
        ];
        for (user_agent, expected) in cases {
            let software = parse_user_agent(user_agent).unwrap();
            assert_eq!(software.to_string(), expected, "{user_agent}");
            assert!(!software.browser, "{user_agent}");
        }
    }

    #[test]
    fn other_agents_use_the_first_product_token() {
        assert_eq!(family("axios/0.19.2"), "axios 0");
        assert_eq!(family("Okta-Integrations"), "Okta-Integrations");
        assert_eq!(
            family(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
            ),
            "Mozilla 5"
        );
        assert_eq!(family("   "), "");
        assert_eq!(family("unknown"), "");
        assert_eq!(family("/1.0"), "");
        assert_eq!(family("(((unclosed"), "");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(user_agent in "\\PC{0,300}") {
            let _ = parse_user_agent(&user_agent);
            let _ = is_aws_written_user_agent(&user_agent);
            let _ = is_aws_console_user_agent(&user_agent);
            proptest::prop_assert!(product_tokens(&user_agent).len() <= MAX_PRODUCT_TOKENS + 1);
        }
    }

    #[test]
    fn aws_written_agents_are_recognized() {
        assert!(is_aws_written_user_agent("AWS Internal"));
        assert!(is_aws_written_user_agent("console.amazonaws.com"));
        assert!(is_aws_written_user_agent("lambda.amazonaws.com"));
        assert!(is_aws_written_user_agent(
            "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.184]"
        ));
        assert!(!is_aws_written_user_agent("aws-cli/2.15.30 Python/3.11.8"));
        assert!(!is_aws_written_user_agent(".amazonaws.com"));
        assert!(is_aws_console_user_agent("console.amazonaws.com"));
        assert!(is_aws_console_user_agent("[S3Console/0.4, aws-internal/3]"));
        assert!(!is_aws_console_user_agent("AWS Internal"));
    }

    fn source(ip: &str, asn: Option<u32>) -> Source {
        let mut source = Source::new(Origin::Ip(ip.parse().unwrap()));
        source.asn = asn.map(|number| Asn {
            number,
            organization: None,
        });
        source
    }

    #[test]
    fn networks_compare_by_asn_then_prefix() {
        let a = Network::of(&source("203.0.113.10", Some(64500))).unwrap();
        let same_asn = Network::of(&source("198.51.100.20", Some(64500))).unwrap();
        assert!(!a.view().compare(&same_asn.view()).any());
        let other_asn = Network::of(&source("203.0.113.11", Some(64511))).unwrap();
        assert!(a.view().compare(&other_asn.view()).asn);
        let no_asn_same_prefix = Network::of(&source("203.0.113.200", None)).unwrap();
        assert!(!a.view().compare(&no_asn_same_prefix.view()).any());
        let no_asn_other_prefix = Network::of(&source("198.51.100.20", None)).unwrap();
        assert!(a.view().compare(&no_asn_other_prefix.view()).prefix);
        assert_eq!(no_asn_other_prefix.name(), "198.51.100.0/24");
    }

    #[test]
    fn ipv6_networks_use_a_48_prefix() {
        let a = Network::of(&source("2001:db8:1:1::1", None)).unwrap();
        let b = Network::of(&source("2001:db8:1:2::1", None)).unwrap();
        let c = Network::of(&source("2001:db8:2:1::1", None)).unwrap();
        assert!(!a.view().compare(&b.view()).any());
        assert!(a.view().compare(&c.view()).prefix);
        assert_eq!(a.name(), "2001:db8:1::/48");
    }

    #[test]
    fn mapped_ipv4_is_compared_as_ipv4() {
        let a = Network::of(&source("::ffff:203.0.113.10", None)).unwrap();
        let b = Network::of(&source("203.0.113.99", None)).unwrap();
        assert!(!a.view().compare(&b.view()).any());
    }
}

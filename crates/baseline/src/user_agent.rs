//! The client program a user agent names: a family and a major version.
//!
//! The families are the ones riposte's detections use, so that a baseline and a detection
//! call the same client by the same name. Parsing borrows from the agent and allocates
//! nothing, because it runs on every event that updates a baseline.

use std::fmt;

use riposte_model::trim;

/// Product tokens read from one user agent. Real agents have fewer than 20; the cap bounds
/// the work on a hostile value.
const MAX_PRODUCT_TOKENS: usize = 64;

/// A client program as its user agent names it.
///
/// [`parse_user_agent`] recognizes these families:
/// - tools and libraries, wherever their token appears, checked before browsers because
///   PowerShell's agent starts with `Mozilla/5.0`: `aws-cli`, `boto3` (the `Boto3/` or
///   `Botocore/` token), each `aws-sdk-*` token as its own family, `PowerShell` (also
///   `WindowsPowerShell/`), `MSAL` (tokens starting with `MSAL`), `Microsoft Office` (agents
///   starting with `Microsoft Office/`), `okhttp`, `curl`, `python-requests` and
///   `Go-http-client`;
/// - browsers, from agents that start with `Mozilla/` or `Opera/`, checked in this order
///   because Edge and Opera agents also name Chrome and Safari: Edge (`Edg/`, `EdgA/`,
///   `EdgiOS/`, `Edge/`), Opera (`OPR/`, `OPiOS/`, `Opera/`), Firefox (`Firefox/`, `FxiOS/`),
///   Chrome (`Chrome/`, `CriOS/`) and Safari (`Safari/`, with the version of `Version/`);
/// - anything else: the name of the first product token, such as `axios`, or `Mozilla` for
///   a web view that names no browser.
///
/// Families compare ignoring ASCII case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserAgent<'a> {
    pub family: &'a str,
    pub major: Option<u64>,
    /// True for the browser families above.
    pub browser: bool,
}

impl fmt::Display for UserAgent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.major {
            Some(major) => write!(f, "{} {major}", self.family),
            None => f.write_str(self.family),
        }
    }
}

/// One `name/version` token of a user agent, outside the parenthesized comments.
#[derive(Clone, Copy)]
struct ProductToken<'a> {
    name: &'a str,
    version: Option<&'a str>,
}

impl<'a> ProductToken<'a> {
    fn parse(text: &'a str) -> Self {
        match text.split_once('/') {
            Some((name, version)) => Self {
                name,
                version: Some(version),
            },
            None => Self {
                name: text,
                version: None,
            },
        }
    }

    fn major(&self) -> Option<u64> {
        let digits = self.version?.split(|c: char| !c.is_ascii_digit()).next()?;
        digits.parse().ok()
    }
}

/// The product names the parser looks for, each with the first token that carries it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    AwsCli,
    Boto3,
    Botocore,
    AwsSdk,
    PowerShell,
    Msal,
    Okhttp,
    Curl,
    PythonRequests,
    GoHttpClient,
    Edge,
    OperaToken,
    Firefox,
    Chrome,
    Safari,
    Version,
}

const KNOWN_COUNT: usize = 16;

impl Known {
    fn of(name: &str) -> Option<Self> {
        let is = |candidate: &str| name.eq_ignore_ascii_case(candidate);
        let known = if is("aws-cli") {
            Self::AwsCli
        } else if is("Boto3") {
            Self::Boto3
        } else if is("Botocore") {
            Self::Botocore
        } else if starts_with_ignore_case(name, "aws-sdk-") {
            Self::AwsSdk
        } else if is("PowerShell") || is("WindowsPowerShell") {
            Self::PowerShell
        } else if starts_with_ignore_case(name, "MSAL") {
            Self::Msal
        } else if is("okhttp") {
            Self::Okhttp
        } else if is("curl") {
            Self::Curl
        } else if is("python-requests") {
            Self::PythonRequests
        } else if is("Go-http-client") {
            Self::GoHttpClient
        } else if is("Edg") || is("EdgA") || is("EdgiOS") || is("Edge") {
            Self::Edge
        } else if is("OPR") || is("OPiOS") {
            Self::OperaToken
        } else if is("Firefox") || is("FxiOS") {
            Self::Firefox
        } else if is("Chrome") || is("CriOS") {
            Self::Chrome
        } else if is("Safari") {
            Self::Safari
        } else if is("Version") {
            Self::Version
        } else {
            return None;
        };
        Some(known)
    }
}

/// The tokens of one agent: the first, and the first of each known name.
struct Tokens<'a> {
    first: Option<ProductToken<'a>>,
    known: [Option<ProductToken<'a>>; KNOWN_COUNT],
}

impl<'a> Tokens<'a> {
    /// Reads the product tokens of an agent, skipping comments in parentheses. Commas and
    /// square brackets separate tokens too, because CloudTrail writes some agents as
    /// `[S3Console/0.4, aws-internal/3 ...]`.
    fn read(user_agent: &'a str) -> Self {
        let mut tokens = Self {
            first: None,
            known: [None; KNOWN_COUNT],
        };
        let mut count = 0_usize;
        let mut depth = 0_usize;
        let mut start: Option<usize> = None;
        for (index, character) in user_agent.char_indices() {
            if count >= MAX_PRODUCT_TOKENS {
                return tokens;
            }
            match character {
                '(' => {
                    count += tokens.end(user_agent, &mut start, index);
                    depth = depth.saturating_add(1);
                }
                ')' => depth = depth.saturating_sub(1),
                ',' | '[' | ']' => count += tokens.end(user_agent, &mut start, index),
                c if c.is_whitespace() => count += tokens.end(user_agent, &mut start, index),
                _ if depth == 0 && start.is_none() => start = Some(index),
                _ => {}
            }
        }
        tokens.end(user_agent, &mut start, user_agent.len());
        tokens
    }

    /// Records the token that began at `start` and ends before `end`, and returns how many
    /// tokens it recorded (0 or 1).
    fn end(&mut self, user_agent: &'a str, start: &mut Option<usize>, end: usize) -> usize {
        let Some(text) = start.take().and_then(|begin| user_agent.get(begin..end)) else {
            return 0;
        };
        let token = ProductToken::parse(text);
        if self.first.is_none() {
            self.first = Some(token);
        }
        if let Some(slot) =
            Known::of(token.name).and_then(|known| self.known.get_mut(known as usize))
            && slot.is_none()
        {
            *slot = Some(token);
        }
        1
    }

    fn get(&self, known: Known) -> Option<ProductToken<'a>> {
        self.known.get(known as usize).copied().flatten()
    }
}

/// Names the client program of a user agent, or returns `None` for an empty agent or a
/// placeholder (`unknown`, `null`, `<null>`, `none`, `n/a`, `-`, in any case). See
/// [`UserAgent`] for the families recognized.
pub fn parse_user_agent(user_agent: &str) -> Option<UserAgent<'_>> {
    let text = trim(user_agent);
    if is_placeholder(text) {
        return None;
    }
    // "Microsoft Office/16.0 (...)": the product name has a space, so it is not one token.
    if let Some(rest) = strip_prefix_ignore_case(text, "Microsoft Office/") {
        let version = ProductToken {
            name: "Microsoft Office",
            version: Some(rest),
        };
        return Some(tool("Microsoft Office", version.major()));
    }
    let tokens = Tokens::read(text);
    if let Some(agent) = tool_agent(&tokens) {
        return Some(agent);
    }
    if let Some(agent) = browser_agent(&tokens) {
        return Some(agent);
    }
    let first = tokens.first.filter(|token| !token.name.is_empty())?;
    Some(tool(first.name, first.major()))
}

/// Parses a user agent as [`parse_user_agent`] does, reading the result from a per-thread
/// table of recent agents when the agent is in it. A client sends the same agent on every
/// event, and a lookup costs a fraction of a parse.
pub(crate) fn parse_user_agent_recent(user_agent: &str) -> Option<UserAgent<'_>> {
    let slot = recent_slot(user_agent);
    let known = RECENT_AGENTS.with_borrow(|table| {
        table
            .get(slot)
            .and_then(Option::as_ref)
            .filter(|entry| *entry.agent == *user_agent)
            .map(|entry| entry.parsed)
    });
    if let Some(parsed) = known {
        return parsed.map(|parsed| parsed.borrow(user_agent));
    }
    let agent = parse_user_agent(user_agent);
    let parsed = match agent {
        None => Some(None),
        Some(agent) => RecentAgent::of(user_agent, agent).map(Some),
    };
    if let Some(parsed) = parsed {
        RECENT_AGENTS.with_borrow_mut(|table| {
            if let Some(entry) = table.get_mut(slot) {
                *entry = Some(RecentEntry {
                    agent: user_agent.into(),
                    parsed,
                });
            }
        });
    }
    agent
}

/// Number of agents [`parse_user_agent_recent`] keeps per thread. An agent replaces the one
/// in its slot, so the table never grows.
const RECENT_SLOTS: usize = 256;

thread_local! {
    static RECENT_AGENTS: std::cell::RefCell<Vec<Option<RecentEntry>>> =
        std::cell::RefCell::new((0..RECENT_SLOTS).map(|_| None).collect());
}

struct RecentEntry {
    agent: Box<str>,
    parsed: Option<RecentAgent>,
}

/// A parsed agent that does not borrow the agent's text. The family is a fixed name or a
/// range of that text.
#[derive(Clone, Copy)]
struct RecentAgent {
    family: RecentFamily,
    major: Option<u64>,
    browser: bool,
}

#[derive(Clone, Copy)]
enum RecentFamily {
    Fixed(&'static str),
    Range { start: usize, end: usize },
}

/// The families [`parse_user_agent`] names with a fixed string rather than a token of the
/// agent.
const FIXED_FAMILIES: [&str; 14] = [
    "Microsoft Office",
    "aws-cli",
    "boto3",
    "PowerShell",
    "MSAL",
    "okhttp",
    "curl",
    "python-requests",
    "Go-http-client",
    "Edge",
    "Opera",
    "Firefox",
    "Chrome",
    "Safari",
];

impl RecentAgent {
    /// Records where `agent`'s family comes from, or returns `None` when it is neither a part
    /// of `user_agent` nor a fixed family.
    fn of(user_agent: &str, agent: UserAgent<'_>) -> Option<Self> {
        let base = user_agent.as_ptr() as usize;
        let start = (agent.family.as_ptr() as usize).checked_sub(base);
        let family = match start {
            Some(start) if start + agent.family.len() <= user_agent.len() => RecentFamily::Range {
                start,
                end: start + agent.family.len(),
            },
            _ => RecentFamily::Fixed(
                FIXED_FAMILIES
                    .into_iter()
                    .find(|name| *name == agent.family)?,
            ),
        };
        Some(Self {
            family,
            major: agent.major,
            browser: agent.browser,
        })
    }

    fn borrow(self, user_agent: &str) -> UserAgent<'_> {
        let family = match self.family {
            RecentFamily::Fixed(name) => name,
            RecentFamily::Range { start, end } => user_agent.get(start..end).unwrap_or_default(),
        };
        UserAgent {
            family,
            major: self.major,
            browser: self.browser,
        }
    }
}

/// Picks the table slot of an agent from its length and its last bytes, where agents of one
/// program differ in version numbers. A shared slot costs only a parse.
fn recent_slot(user_agent: &str) -> usize {
    let bytes = user_agent.as_bytes();
    let tail = bytes.get(bytes.len().saturating_sub(16)..).unwrap_or(bytes);
    let mut hash = bytes.len() as u64;
    for &byte in tail {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    (hash >> 32) as usize % RECENT_SLOTS
}

fn is_placeholder(value: &str) -> bool {
    value.is_empty()
        || ["unknown", "null", "<null>", "none", "n/a", "-"]
            .iter()
            .any(|placeholder| value.eq_ignore_ascii_case(placeholder))
}

fn tool(family: &str, major: Option<u64>) -> UserAgent<'_> {
    UserAgent {
        family,
        major,
        browser: false,
    }
}

fn tool_agent<'a>(tokens: &Tokens<'a>) -> Option<UserAgent<'a>> {
    if let Some(token) = tokens.get(Known::AwsCli) {
        return Some(tool("aws-cli", token.major()));
    }
    if let Some(token) = tokens
        .get(Known::Boto3)
        .or_else(|| tokens.get(Known::Botocore))
    {
        return Some(tool("boto3", token.major()));
    }
    if let Some(token) = tokens.get(Known::AwsSdk) {
        return Some(tool(token.name, token.major()));
    }
    if let Some(token) = tokens.get(Known::PowerShell) {
        return Some(tool("PowerShell", token.major()));
    }
    if let Some(token) = tokens.get(Known::Msal) {
        return Some(tool("MSAL", token.major()));
    }
    for (known, family) in [
        (Known::Okhttp, "okhttp"),
        (Known::Curl, "curl"),
        (Known::PythonRequests, "python-requests"),
        (Known::GoHttpClient, "Go-http-client"),
    ] {
        if let Some(token) = tokens.get(known) {
            return Some(tool(family, token.major()));
        }
    }
    None
}

fn browser_agent<'a>(tokens: &Tokens<'a>) -> Option<UserAgent<'a>> {
    let first = tokens.first?;
    let first_is_opera = first.name.eq_ignore_ascii_case("Opera");
    if !(first.name.eq_ignore_ascii_case("Mozilla") || first_is_opera) {
        return None;
    }
    let browser = |family: &'static str, major: Option<u64>| UserAgent {
        family,
        major,
        browser: true,
    };
    if let Some(token) = tokens.get(Known::Edge) {
        return Some(browser("Edge", token.major()));
    }
    if let Some(token) = tokens.get(Known::OperaToken) {
        return Some(browser("Opera", token.major()));
    }
    if first_is_opera {
        let version = tokens.get(Known::Version).unwrap_or(first);
        return Some(browser("Opera", version.major()));
    }
    if let Some(token) = tokens.get(Known::Firefox) {
        return Some(browser("Firefox", token.major()));
    }
    if let Some(token) = tokens.get(Known::Chrome) {
        return Some(browser("Chrome", token.major()));
    }
    if tokens.get(Known::Safari).is_some() {
        let major = tokens.get(Known::Version).and_then(|token| token.major());
        return Some(browser("Safari", major));
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_table_matches_parse() {
        let agents = [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "aws-sdk-go/1.44.221 (go1.19.6; linux; amd64)",
            "axios/1.6.0",
            "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328)",
            "unknown",
            "",
            "  curl/8.4.0  ",
        ];
        // Twice, so that the second round reads the table.
        for _ in 0..2 {
            for agent in agents {
                assert_eq!(
                    parse_user_agent_recent(agent),
                    parse_user_agent(agent),
                    "{agent}"
                );
            }
        }
    }

    #[test]
    fn recent_table_shared_slot() {
        // Different texts with the same length and tail share a slot.
        let first = "abc/1.0 x-tail-0123456789abcdef";
        let second = "xyz/2.0 x-tail-0123456789abcdef";
        assert_eq!(recent_slot(first), recent_slot(second));
        for _ in 0..2 {
            assert_eq!(
                parse_user_agent_recent(first).map(|agent| agent.family),
                Some("abc")
            );
            assert_eq!(
                parse_user_agent_recent(second).map(|agent| agent.family),
                Some("xyz")
            );
        }
    }

    fn family(user_agent: &str) -> String {
        parse_user_agent(user_agent)
            .map(|agent| agent.to_string())
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
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
                "Opera 106",
            ),
            (
                "Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.16",
                "Opera 12",
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
            let agent = parse_user_agent(user_agent).unwrap();
            assert_eq!(agent.to_string(), expected, "{user_agent}");
            assert!(agent.browser, "{user_agent}");
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
                "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.1",
                "PowerShell 7",
            ),
            (
                "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.14326; Pro)",
                "Microsoft Office 16",
            ),
            ("MSAL.Desktop/4.59.0", "MSAL 4"),
            ("curl/8.4.0", "curl 8"),
            ("Go-http-client/2.0", "Go-http-client 2"),
        ];
        for (user_agent, expected) in cases {
            let agent = parse_user_agent(user_agent).unwrap();
            assert_eq!(agent.to_string(), expected, "{user_agent}");
            assert!(!agent.browser, "{user_agent}");
        }
    }

    #[test]
    fn other_agents_use_first_token() {
        assert_eq!(family("axios/0.19.2"), "axios 0");
        assert_eq!(family("Okta-Integrations"), "Okta-Integrations");
        assert_eq!(family("   "), "");
        assert_eq!(family("unknown"), "");
        assert_eq!(family("/1.0"), "");
        assert_eq!(family("(((unclosed"), "");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(user_agent in "\\PC{0,300}") {
            let _ = parse_user_agent(&user_agent);
        }
    }
}

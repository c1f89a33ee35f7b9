//! Okta System Log events, in the shape of the System Log API (`/api/v1/logs`).

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;

use crate::population::Person;
use crate::world::{self, Client};
use crate::{ids, timefmt};

/// One System Log event. Fields are in the order the API writes them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaEvent {
    pub actor: Actor,
    pub client: OktaClient,
    /// Device details, present only for devices registered with Okta Verify.
    pub device: Option<()>,
    pub authentication_context: AuthenticationContext,
    pub display_message: &'static str,
    pub event_type: &'static str,
    pub outcome: Outcome,
    pub published: String,
    pub security_context: SecurityContext,
    pub severity: &'static str,
    pub debug_context: DebugContext,
    pub legacy_event_type: Option<&'static str>,
    pub transaction: Transaction,
    pub uuid: String,
    pub version: &'static str,
    pub request: Request,
    pub target: Vec<Target>,
    /// The event time, for ordering; not part of the record.
    #[serde(skip)]
    pub time: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub alternate_id: String,
    pub display_name: String,
    pub detail_entry: Option<()>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaClient {
    pub user_agent: UserAgent,
    /// The network zone name; Okta writes the string `null` outside every zone.
    pub zone: &'static str,
    pub device: &'static str,
    pub id: Option<String>,
    pub ip_address: String,
    pub geographical_context: GeographicalContext,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAgent {
    pub raw_user_agent: &'static str,
    pub os: &'static str,
    pub browser: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeographicalContext {
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub postal_code: &'static str,
    pub geolocation: Geolocation,
}

#[derive(Clone, Debug, Serialize)]
pub struct Geolocation {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationContext {
    pub authentication_provider: Option<&'static str>,
    pub credential_provider: Option<&'static str>,
    pub credential_type: Option<&'static str>,
    pub issuer: Option<()>,
    pub interface: Option<&'static str>,
    pub authentication_step: u32,
    pub root_session_id: Option<String>,
    pub external_session_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub result: &'static str,
    pub reason: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub as_number: u32,
    pub as_org: &'static str,
    pub isp: &'static str,
    pub domain: &'static str,
    pub is_proxy: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugContext {
    pub debug_data: DebugData,
}

/// `debugContext.debugData`: free-form strings that vary by event type.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugData {
    pub request_id: String,
    pub request_uri: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threat_suspected: Option<&'static str>,
    /// Okta's behaviour evaluation, written as `{New Geo-Location=NEGATIVE, ...}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behaviors: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiation_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_on_mode: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Transaction {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub detail: Detail,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Detail {}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub ip_chain: Vec<IpChainEntry>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpChainEntry {
    pub ip: String,
    pub geographical_context: GeographicalContext,
    pub version: &'static str,
    pub source: Option<()>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub alternate_id: String,
    pub display_name: String,
    pub detail_entry: Option<serde_json::Value>,
}

/// An application assigned to people in Okta.
#[derive(Debug)]
pub struct OktaApp {
    /// The app instance id (`0oa...`).
    pub id: &'static str,
    /// The app integration's key in sign-on URLs.
    pub name: &'static str,
    /// The label people see, written as the target's `alternateId`.
    pub label: &'static str,
    /// The app integration's name, written as the target's `displayName`.
    pub display_name: &'static str,
    /// The id of the app's SAML signing key, which is also its issuer suffix.
    pub saml_key: &'static str,
}

/// The AWS Account Federation app, which signs people in to AWS with SAML.
pub static AWS_APP: OktaApp = OktaApp {
    id: "0oaEXAMPLEawsFED0001",
    name: "amazon_aws",
    label: "Amazon Web Services",
    display_name: "AWS Account Federation",
    saml_key: "exkEXAMPLEawsSAML001",
};
pub static SLACK_APP: OktaApp = OktaApp {
    id: "0oaEXAMPLEslack00001",
    name: "slack",
    label: "Slack",
    display_name: "Slack",
    saml_key: "exkEXAMPLEslackSAML1",
};
pub static ZOOM_APP: OktaApp = OktaApp {
    id: "0oaEXAMPLEzoom000001",
    name: "zoomus",
    label: "Zoom",
    display_name: "Zoom",
    saml_key: "exkEXAMPLEzoomSAML01",
};

/// An Okta group.
#[derive(Debug)]
pub struct OktaGroup {
    pub id: &'static str,
    pub name: &'static str,
}

/// The group whose members are assigned the AWS app.
pub static AWS_ENGINEERS_GROUP: OktaGroup = OktaGroup {
    id: "00gEXAMPLEawsEng0001",
    name: "aws-engineering",
};

/// One Okta sign-on session. Identity Engine writes the same value in `rootSessionId` and
/// `externalSessionId` for a session started by a sign-in.
#[derive(Clone, Debug)]
pub struct OktaSession {
    pub external_id: String,
    pub root_id: String,
}

impl OktaSession {
    pub fn new(rng: &mut impl Rng) -> Self {
        let id = ids::okta_session_id(rng);
        Self {
            external_id: id.clone(),
            root_id: id,
        }
    }
}

/// Okta's behaviour evaluation when nothing about the sign-in is new.
pub const BEHAVIORS_USUAL: &str = "{New Geo-Location=NEGATIVE, New Device=NEGATIVE, New IP=NEGATIVE, New State=NEGATIVE, New Country=NEGATIVE, Velocity=NEGATIVE, New City=NEGATIVE}";
/// Okta's behaviour evaluation for a sign-in from a new device in a new, distant country.
pub const BEHAVIORS_NEW_PLACE: &str = "{New Geo-Location=POSITIVE, New Device=POSITIVE, New IP=POSITIVE, New State=POSITIVE, New Country=POSITIVE, Velocity=POSITIVE, New City=POSITIVE}";

fn geographical_context(client: &Client<'_>) -> GeographicalContext {
    GeographicalContext {
        city: client.place.city,
        state: client.place.state,
        country: client.place.country,
        postal_code: client.place.postal_code,
        geolocation: Geolocation {
            lat: client.place.latitude,
            lon: client.place.longitude,
        },
    }
}

fn user_target(person: &Person) -> Target {
    Target {
        id: person.okta_id.clone(),
        kind: "User",
        alternate_id: person.email.clone(),
        display_name: person.display_name.clone(),
        detail_entry: None,
    }
}

/// The fields that vary between event types. Everything else comes from the person and the
/// client.
struct Kind {
    event_type: &'static str,
    legacy_event_type: Option<&'static str>,
    display_message: &'static str,
    request_uri: String,
}

fn event(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    actor: &Person,
    client: &Client<'static>,
    session: Option<&OktaSession>,
    kind: Kind,
) -> OktaEvent {
    let request_id = ids::okta_request_id(rng);
    let ip = client.ip.to_string();
    OktaEvent {
        actor: Actor {
            id: actor.okta_id.clone(),
            kind: "User",
            alternate_id: actor.email.clone(),
            display_name: actor.display_name.clone(),
            detail_entry: None,
        },
        client: OktaClient {
            user_agent: UserAgent {
                raw_user_agent: client.agent.raw,
                os: client.agent.okta_os,
                browser: client.agent.okta_browser,
            },
            zone: "null",
            device: "Computer",
            id: None,
            ip_address: ip.clone(),
            geographical_context: geographical_context(client),
        },
        device: None,
        authentication_context: AuthenticationContext {
            root_session_id: session.map(|session| session.root_id.clone()),
            external_session_id: session.map(|session| session.external_id.clone()),
            ..AuthenticationContext::default()
        },
        display_message: kind.display_message,
        event_type: kind.event_type,
        outcome: Outcome {
            result: "SUCCESS",
            reason: None,
        },
        published: timefmt::okta(time),
        security_context: SecurityContext {
            as_number: client.network.asn,
            as_org: client.network.organization,
            isp: client.network.organization,
            domain: client.network.domain,
            is_proxy: false,
        },
        severity: "INFO",
        debug_context: DebugContext {
            debug_data: DebugData {
                request_id: request_id.clone(),
                url: format!("{}?", kind.request_uri),
                request_uri: kind.request_uri,
                ..DebugData::default()
            },
        },
        legacy_event_type: kind.legacy_event_type,
        transaction: Transaction {
            kind: "WEB",
            id: request_id,
            detail: Detail::default(),
        },
        uuid: ids::uuid(rng),
        version: "0",
        request: Request {
            ip_chain: vec![IpChainEntry {
                ip,
                geographical_context: geographical_context(client),
                version: world::ip_version(client.ip),
                source: None,
            }],
        },
        target: Vec::new(),
        time,
    }
}

/// `user.session.start`: a sign-in to Okta with a password, successful or rejected.
pub fn session_start(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    person: &Person,
    client: &Client<'static>,
    session: &OktaSession,
    success: bool,
) -> OktaEvent {
    let kind = Kind {
        event_type: "user.session.start",
        legacy_event_type: Some(if success {
            "core.user_auth.login_success"
        } else {
            "core.user_auth.login_failed"
        }),
        display_message: "User login to Okta",
        request_uri: "/idp/idx/identify".to_owned(),
    };

    // A rejected password starts no session, so Okta writes no session ids on it.
    let mut event = event(rng, time, person, client, success.then_some(session), kind);
    event.authentication_context.authentication_provider = Some("OKTA_AUTHENTICATION_PROVIDER");
    event.authentication_context.credential_provider = Some("OKTA_CREDENTIAL_PROVIDER");
    event.authentication_context.credential_type = Some("PASSWORD");
    event.debug_context.debug_data.threat_suspected = Some("false");
    event.debug_context.debug_data.behaviors = Some(BEHAVIORS_USUAL.to_owned());
    event.debug_context.debug_data.risk = Some("{level=LOW}".to_owned());
    if !success {
        event.outcome = Outcome {
            result: "FAILURE",
            reason: Some("INVALID_CREDENTIALS"),
        };
    }
    event.target.push(Target {
        id: ids::okta_id(rng, "pfd"),
        kind: "AuthenticatorEnrollment",
        alternate_id: "unknown".to_owned(),
        display_name: "Password".to_owned(),
        detail_entry: None,
    });
    event
}

/// `system.push.send_factor_verify_push`: Okta sent an Okta Verify push to the person's phone.
pub fn push_sent(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    person: &Person,
    client: &Client<'static>,
    session: &OktaSession,
) -> OktaEvent {
    let kind = Kind {
        event_type: "system.push.send_factor_verify_push",
        legacy_event_type: None,
        display_message: "A push was sent to a user for verification",
        request_uri: "/idp/idx/challenge".to_owned(),
    };
    let mut event = event(rng, time, person, client, Some(session), kind);
    event.debug_context.debug_data.factor = Some("OKTA_VERIFY_PUSH");
    event.target.push(user_target(person));
    event
}

/// `user.authentication.auth_via_mfa`: the person accepted the Okta Verify push.
pub fn push_accepted(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    person: &Person,
    client: &Client<'static>,
    session: &OktaSession,
) -> OktaEvent {
    let kind = Kind {
        event_type: "user.authentication.auth_via_mfa",
        legacy_event_type: Some("core.user.factor.attempt_success"),
        display_message: "Authentication of user via MFA",
        request_uri: "/idp/idx/authenticators/poll".to_owned(),
    };
    let mut event = event(rng, time, person, client, Some(session), kind);
    event.authentication_context.authentication_provider = Some("FACTOR_PROVIDER");
    event.authentication_context.credential_provider = Some("OKTA_CREDENTIAL_PROVIDER");
    event.debug_context.debug_data.factor = Some("OKTA_VERIFY_PUSH");
    event.target.push(user_target(person));
    event.target.push(Target {
        id: ids::okta_id(rng, "pfd"),
        kind: "AuthenticatorEnrollment",
        alternate_id: "unknown".to_owned(),
        display_name: "Okta Verify".to_owned(),
        detail_entry: Some(serde_json::json!({
            "methodTypeUsed": "Get a push notification",
            "methodUsedVerifiedProperties": "[DEVICE_BOUND, HARDWARE_PROTECTED]",
        })),
    });
    event
}

/// `user.authentication.sso`: the person signed in to an app through Okta (SAML 2.0).
pub fn sso(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    person: &Person,
    client: &Client<'static>,
    session: &OktaSession,
    app: &OktaApp,
) -> OktaEvent {
    let kind = Kind {
        event_type: "user.authentication.sso",
        legacy_event_type: Some("app.auth.sso"),
        display_message: "User single sign on to app",
        request_uri: format!("/app/{}/{}/sso/saml", app.name, app.saml_key),
    };
    let mut event = event(rng, time, person, client, Some(session), kind);
    let data = &mut event.debug_context.debug_data;
    data.threat_suspected = Some("false");
    data.behaviors = Some(BEHAVIORS_USUAL.to_owned());
    data.risk = Some("{level=LOW}".to_owned());
    data.initiation_type = Some("IDP_INITIATED");
    data.sign_on_mode = Some("SAML 2.0");
    event.target.push(Target {
        id: app.id.to_owned(),
        kind: "AppInstance",
        alternate_id: app.label.to_owned(),
        display_name: app.display_name.to_owned(),
        detail_entry: Some(serde_json::json!({ "signOnModeType": "SAML_2_0" })),
    });
    event.target.push(Target {
        id: ids::okta_id(rng, "0ua"),
        kind: "AppUser",
        alternate_id: person.email.clone(),
        display_name: person.display_name.clone(),
        detail_entry: None,
    });
    event
}

/// `user.session.end`: the person signed out of Okta.
pub fn session_end(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    person: &Person,
    client: &Client<'static>,
    session: &OktaSession,
) -> OktaEvent {
    let kind = Kind {
        event_type: "user.session.end",
        legacy_event_type: Some("core.user_auth.logout_success"),
        display_message: "User logout from Okta",
        request_uri: "/login/signout".to_owned(),
    };
    let mut event = event(rng, time, person, client, Some(session), kind);
    event.target.push(user_target(person));
    event
}

/// `group.user_membership.add`: an administrator added a person to a group.
pub fn group_membership_add(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    admin: &Person,
    client: &Client<'static>,
    session: &OktaSession,
    member: &Person,
    group: &OktaGroup,
) -> OktaEvent {
    let kind = Kind {
        event_type: "group.user_membership.add",
        legacy_event_type: Some("core.user_group_member.user_add"),
        display_message: "Add user to group membership",
        request_uri: format!("/api/v1/groups/{}/users/{}", group.id, member.okta_id),
    };
    let mut event = event(rng, time, admin, client, Some(session), kind);
    event.target.push(user_target(member));
    event.target.push(Target {
        id: group.id.to_owned(),
        kind: "UserGroup",
        alternate_id: "unknown".to_owned(),
        display_name: group.name.to_owned(),
        detail_entry: None,
    });
    event
}

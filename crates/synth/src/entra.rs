//! Entra ID sign-in and audit logs in the Azure Monitor diagnostic shape: each record is an
//! envelope (`time`, `category`, `operationName`, ...) around the log entry in `properties`.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use crate::population::{Person, ServicePrincipal};
use crate::world::{Client, Place, TENANT_ID};
use crate::{ids, timefmt};

/// One Azure Monitor record. Fields are in the order Azure Monitor writes them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntraRecord {
    pub time: String,
    pub resource_id: String,
    pub operation_name: &'static str,
    pub operation_version: &'static str,
    pub category: &'static str,
    pub tenant_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_type: Option<&'static str>,
    pub result_signature: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_description: Option<&'static str>,
    pub duration_ms: u32,
    pub caller_ip_address: String,
    pub correlation_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(rename = "Level")]
    pub level: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<&'static str>,
    pub properties: Properties,
    /// When the provider wrote the entry, for ordering; not part of the record.
    #[serde(skip)]
    pub created: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Properties {
    SignIn(Box<SignIn>),
    Audit(Box<Audit>),
}

/// A sign-in log entry (`signIn` in Microsoft Graph).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub id: String,
    pub created_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Null for service principal sign-ins.
    pub user_id: Option<String>,
    pub app_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_display_name: Option<String>,
    pub ip_address: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app_used: Option<&'static str>,
    pub user_agent: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_detail: Option<DeviceDetail>,
    pub location: Location,
    pub correlation_id: String,
    pub conditional_access_status: &'static str,
    pub applied_conditional_access_policies: Vec<Value>,
    pub original_request_id: String,
    pub is_interactive: bool,
    pub token_issuer_name: &'static str,
    pub token_issuer_type: &'static str,
    pub authentication_processing_details: Vec<KeyValue>,
    pub network_location_details: Vec<Value>,
    pub client_credential_type: &'static str,
    pub processing_time_in_milliseconds: u32,
    pub risk_detail: &'static str,
    pub risk_level_aggregated: &'static str,
    pub risk_level_during_sign_in: &'static str,
    pub risk_state: &'static str,
    pub risk_event_types: Vec<Value>,
    #[serde(rename = "riskEventTypes_v2")]
    pub risk_event_types_v2: Vec<Value>,
    pub resource_display_name: &'static str,
    pub resource_id: &'static str,
    pub resource_tenant_id: &'static str,
    pub home_tenant_id: &'static str,
    pub authentication_details: Vec<AuthenticationDetail>,
    pub authentication_requirement_policies: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_requirement: Option<&'static str>,
    pub service_principal_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_credential_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<&'static str>,
    pub flagged_for_review: bool,
    pub is_tenant_restricted: bool,
    pub autonomous_system_number: u32,
    pub cross_tenant_access_type: &'static str,
    pub private_link_details: Empty,
    pub sso_extension_version: &'static str,
    pub unique_token_identifier: String,
    pub incoming_token_type: &'static str,
    pub authentication_protocol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Empty {}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub error_code: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail {
    pub device_id: String,
    pub display_name: String,
    pub operating_system: &'static str,
    pub browser: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub city: &'static str,
    pub state: &'static str,
    pub country_or_region: &'static str,
    pub geo_coordinates: GeoCoordinates,
}

#[derive(Clone, Debug, Serialize)]
pub struct GeoCoordinates {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyValue {
    pub key: &'static str,
    pub value: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationDetail {
    pub authentication_step_date_time: String,
    pub authentication_method: &'static str,
    pub authentication_method_detail: &'static str,
    pub succeeded: bool,
    pub authentication_step_result_detail: &'static str,
    pub authentication_step_requirement: &'static str,
    #[serde(rename = "StatusSequence")]
    pub status_sequence: u32,
    #[serde(rename = "RequestSequence")]
    pub request_sequence: u32,
}

/// A directory audit entry (`directoryAudit` in Microsoft Graph).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub id: String,
    pub category: &'static str,
    pub correlation_id: String,
    pub result: &'static str,
    pub result_reason: &'static str,
    pub activity_display_name: &'static str,
    pub activity_date_time: String,
    pub logged_by_service: &'static str,
    pub operation_type: &'static str,
    pub initiated_by: InitiatedBy,
    pub target_resources: Vec<TargetResource>,
    pub additional_details: Vec<KeyValue>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InitiatedBy {
    pub user: AuditUser,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditUser {
    pub id: String,
    pub display_name: Option<()>,
    pub user_principal_name: String,
    pub ip_address: String,
    pub roles: Vec<Value>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResource {
    pub id: String,
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    pub modified_properties: Vec<ModifiedProperty>,
    pub administrative_units: Vec<Value>,
}

/// A property an audited operation changed. Entra writes the values as JSON text.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    pub display_name: &'static str,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// An application people sign in to, and the resource its token is for.
#[derive(Debug)]
pub struct EntraApp {
    pub display_name: &'static str,
    pub app_id: &'static str,
    pub resource_display_name: &'static str,
    pub resource_id: &'static str,
}

/// Microsoft's published first-party application ids.
pub static OFFICE_HOME: EntraApp = EntraApp {
    display_name: "OfficeHome",
    app_id: "4765445b-32c6-49b0-83e6-1d93765276ca",
    resource_display_name: "OfficeHome",
    resource_id: "4765445b-32c6-49b0-83e6-1d93765276ca",
};
pub static OUTLOOK_WEB: EntraApp = EntraApp {
    display_name: "One Outlook Web",
    app_id: "9199bf20-a13f-4107-85dc-02114787ef48",
    resource_display_name: "Office 365 Exchange Online",
    resource_id: "00000002-0000-0ff1-ce00-000000000000",
};
pub static TEAMS: EntraApp = EntraApp {
    display_name: "Microsoft Teams",
    app_id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
    resource_display_name: "Office 365 SharePoint Online",
    resource_id: "00000003-0000-0ff1-ce00-000000000000",
};

/// The resource service principals call: Microsoft Graph.
pub const GRAPH_RESOURCE: (&str, &str) =
    ("Microsoft Graph", "00000003-0000-0000-c000-000000000000");

/// An Entra group.
#[derive(Debug)]
pub struct EntraGroup {
    pub id: &'static str,
    pub name: &'static str,
}

pub static ENGINEERING_GROUP: EntraGroup = EntraGroup {
    id: "7c3e9a51-4d2b-4f8e-9a6c-1e5d7b3f2a90",
    name: "Engineering",
};

fn resource_id() -> String {
    format!("/tenants/{TENANT_ID}/providers/Microsoft.aadiam")
}

fn location(place: &Place) -> Location {
    Location {
        city: place.city,
        state: place.state,
        country_or_region: place.country_code,
        geo_coordinates: GeoCoordinates {
            latitude: place.latitude,
            longitude: place.longitude,
        },
    }
}

/// Azure Monitor writes the envelope some seconds after the entry was created.
fn envelope_time(rng: &mut impl Rng, created: DateTime<Utc>) -> String {
    let delay = TimeDelta::milliseconds(rng.random_range(1_500..90_000));
    timefmt::azure_envelope(created + delay)
}

fn with_fraction(rng: &mut impl Rng, time: DateTime<Utc>) -> DateTime<Utc> {
    time + TimeDelta::nanoseconds(i64::from(rng.random_range(0..10_000_000_u32)) * 100)
}

/// Builds a person's sign-in to `app`. An interactive sign-in (category `SignInLogs`) uses a
/// password and a Microsoft Authenticator notification. A non-interactive one (category
/// `NonInteractiveUserSignInLogs`) is a refresh token the app redeems in the background.
pub fn user_sign_in(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    person: &Person,
    client: &Client<'static>,
    app: &EntraApp,
    session_id: &str,
    interactive: bool,
) -> EntraRecord {
    let created = with_fraction(rng, time);
    let id = ids::uuid(rng);
    let correlation_id = ids::uuid(rng);
    let (category, details, requirement, additional, incoming) = if interactive {
        let details = vec![
            AuthenticationDetail {
                authentication_step_date_time: timefmt::entra_property(created),
                authentication_method: "Password",
                authentication_method_detail: "Password in the cloud",
                succeeded: true,
                authentication_step_result_detail: "Correct password",
                authentication_step_requirement: "Primary authentication",
                status_sequence: 0,
                request_sequence: 0,
            },
            AuthenticationDetail {
                authentication_step_date_time: timefmt::entra_property(created),
                authentication_method: "Mobile app notification",
                authentication_method_detail: "Microsoft Authenticator",
                succeeded: true,
                authentication_step_result_detail: "MFA successfully completed",
                authentication_step_requirement: "Multifactor authentication",
                status_sequence: 0,
                request_sequence: 1,
            },
        ];
        (
            "SignInLogs",
            details,
            "multiFactorAuthentication",
            "MFA completed in Azure AD",
            "none",
        )
    } else {
        let details = vec![AuthenticationDetail {
            authentication_step_date_time: timefmt::entra_property(created),
            authentication_method: "Previously satisfied",
            authentication_method_detail: "",
            succeeded: true,
            authentication_step_result_detail: "First factor requirement satisfied by claim in the token",
            authentication_step_requirement: "Primary authentication",
            status_sequence: 0,
            request_sequence: 0,
        }];
        (
            "NonInteractiveUserSignInLogs",
            details,
            "multiFactorAuthentication",
            "MFA requirement satisfied by claim in the token",
            "refreshToken",
        )
    };
    let ip = client.ip.to_string();
    let properties = SignIn {
        id: id.clone(),
        created_date_time: timefmt::entra_property(created),
        user_display_name: Some(person.display_name.clone()),
        user_principal_name: Some(person.email.clone()),
        user_id: Some(person.entra_id.clone()),
        app_id: app.app_id.to_owned(),
        app_display_name: Some(app.display_name.to_owned()),
        ip_address: ip.clone(),
        status: Status {
            error_code: 0,
            failure_reason: None,
            additional_details: Some(additional),
        },
        client_app_used: Some("Browser"),
        user_agent: client.agent.raw,
        device_detail: Some(DeviceDetail {
            device_id: String::new(),
            display_name: String::new(),
            operating_system: client.agent.entra_os,
            browser: client.agent.entra_browser,
        }),
        location: location(client.place),
        correlation_id: correlation_id.clone(),
        conditional_access_status: "notApplied",
        applied_conditional_access_policies: Vec::new(),
        original_request_id: id,
        is_interactive: interactive,
        token_issuer_name: "",
        token_issuer_type: "AzureAD",
        authentication_processing_details: vec![
            KeyValue {
                key: "Legacy TLS (TLS 1.0, 1.1, 3DES)",
                value: "False",
            },
            KeyValue {
                key: "Is CAE Token",
                value: "False",
            },
        ],
        network_location_details: Vec::new(),
        client_credential_type: "none",
        processing_time_in_milliseconds: rng.random_range(40..400),
        risk_detail: "none",
        risk_level_aggregated: "none",
        risk_level_during_sign_in: "none",
        risk_state: "none",
        risk_event_types: Vec::new(),
        risk_event_types_v2: Vec::new(),
        resource_display_name: app.resource_display_name,
        resource_id: app.resource_id,
        resource_tenant_id: TENANT_ID,
        home_tenant_id: TENANT_ID,
        authentication_details: details,
        authentication_requirement_policies: Vec::new(),
        authentication_requirement: Some(requirement),
        service_principal_id: String::new(),
        service_principal_name: None,
        service_principal_credential_key_id: None,
        user_type: Some("Member"),
        flagged_for_review: false,
        is_tenant_restricted: false,
        autonomous_system_number: client.network.asn,
        cross_tenant_access_type: "none",
        private_link_details: Empty::default(),
        sso_extension_version: "",
        unique_token_identifier: ids::base62(rng, 22),
        incoming_token_type: incoming,
        authentication_protocol: "none",
        session_id: Some(session_id.to_owned()),
    };
    EntraRecord {
        time: envelope_time(rng, created),
        resource_id: resource_id(),
        operation_name: "Sign-in activity",
        operation_version: "1.0",
        category,
        tenant_id: TENANT_ID,
        result_type: Some("0"),
        result_signature: "SUCCESS",
        result_description: None,
        duration_ms: 0,
        caller_ip_address: ip,
        correlation_id,
        identity: Some(person.display_name.clone()),
        level: 4,
        location: Some(client.place.country_code),
        properties: Properties::SignIn(Box::new(properties)),
        created,
    }
}

/// Turns an interactive sign-in into one rejected for a wrong password (error 50126): the
/// password step fails, so no MFA step follows and no token is issued.
pub fn reject_password(record: &mut EntraRecord) {
    const REASON: &str = "Error validating credentials due to invalid username or password.";
    record.result_type = Some("50126");
    record.result_signature = "FAILURE";
    record.result_description = Some(REASON);
    if let Properties::SignIn(sign_in) = &mut record.properties {
        sign_in.status = Status {
            error_code: 50126,
            failure_reason: Some(REASON),
            additional_details: Some("The user didn't enter the right credentials."),
        };
        sign_in.authentication_details.truncate(1);
        if let Some(step) = sign_in.authentication_details.first_mut() {
            step.succeeded = false;
            step.authentication_step_result_detail = "Invalid username or password";
        }
        sign_in.authentication_requirement = Some("singleFactorAuthentication");
    }
}

/// Builds a service principal's sign-in with its client secret (category
/// `ServicePrincipalSignInLogs`), for a token to Microsoft Graph.
pub fn service_principal_sign_in(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    principal: &ServicePrincipal,
) -> EntraRecord {
    let created = with_fraction(rng, time);
    let id = ids::uuid(rng);
    let correlation_id = ids::uuid(rng);
    let client = &principal.client;
    let ip = client.ip.to_string();
    let properties = SignIn {
        id: id.clone(),
        created_date_time: timefmt::entra_property(created),
        user_display_name: None,
        user_principal_name: None,
        user_id: None,
        app_id: principal.app_id.clone(),
        app_display_name: None,
        ip_address: ip.clone(),
        status: Status {
            error_code: 0,
            failure_reason: None,
            additional_details: None,
        },
        client_app_used: None,
        user_agent: client.user_agent,
        device_detail: None,
        location: location(client.place),
        correlation_id: correlation_id.clone(),
        conditional_access_status: "notApplied",
        applied_conditional_access_policies: Vec::new(),
        original_request_id: id,
        is_interactive: false,
        token_issuer_name: "",
        token_issuer_type: "AzureAD",
        authentication_processing_details: vec![KeyValue {
            key: "Azure AD App Authentication Library",
            value: "Family: MSAL Library: MSAL.Python 1.28.0 Platform: Python",
        }],
        network_location_details: Vec::new(),
        client_credential_type: "clientSecret",
        processing_time_in_milliseconds: rng.random_range(5..80),
        risk_detail: "none",
        risk_level_aggregated: "none",
        risk_level_during_sign_in: "none",
        risk_state: "none",
        risk_event_types: Vec::new(),
        risk_event_types_v2: Vec::new(),
        resource_display_name: GRAPH_RESOURCE.0,
        resource_id: GRAPH_RESOURCE.1,
        resource_tenant_id: TENANT_ID,
        home_tenant_id: TENANT_ID,
        authentication_details: Vec::new(),
        authentication_requirement_policies: Vec::new(),
        authentication_requirement: None,
        service_principal_id: principal.id.clone(),
        service_principal_name: Some(principal.name.clone()),
        service_principal_credential_key_id: Some(principal.credential_key_id.clone()),
        user_type: None,
        flagged_for_review: false,
        is_tenant_restricted: false,
        autonomous_system_number: client.network.asn,
        cross_tenant_access_type: "none",
        private_link_details: Empty::default(),
        sso_extension_version: "",
        unique_token_identifier: ids::base62(rng, 22),
        incoming_token_type: "none",
        authentication_protocol: "none",
        session_id: None,
    };
    EntraRecord {
        time: envelope_time(rng, created),
        resource_id: resource_id(),
        operation_name: "Sign-in activity",
        operation_version: "1.0",
        category: "ServicePrincipalSignInLogs",
        tenant_id: TENANT_ID,
        result_type: Some("0"),
        result_signature: "SUCCESS",
        result_description: None,
        duration_ms: 0,
        caller_ip_address: ip,
        correlation_id,
        identity: None,
        level: 4,
        location: Some(client.place.country_code),
        properties: Properties::SignIn(Box::new(properties)),
        created,
    }
}

/// The effect of an audited change, apart from who made it and when.
struct AuditedChange {
    activity: &'static str,
    category: &'static str,
    operation_type: &'static str,
    targets: Vec<TargetResource>,
}

fn audit(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    admin: &Person,
    client: &Client<'static>,
    change: AuditedChange,
) -> EntraRecord {
    let created = with_fraction(rng, time);
    let correlation_id = ids::uuid(rng);
    let ip = client.ip.to_string();
    let properties = Audit {
        id: format!(
            "Directory_{correlation_id}_{}_{}",
            ids::base62(rng, 5).to_uppercase(),
            ids::digits(rng, 9)
        ),
        category: change.category,
        correlation_id: correlation_id.clone(),
        result: "success",
        result_reason: "",
        activity_display_name: change.activity,
        activity_date_time: timefmt::entra_property(created),
        logged_by_service: "Core Directory",
        operation_type: change.operation_type,
        initiated_by: InitiatedBy {
            user: AuditUser {
                id: admin.entra_id.clone(),
                display_name: None,
                user_principal_name: admin.email.clone(),
                ip_address: ip.clone(),
                roles: Vec::new(),
            },
        },
        target_resources: change.targets,
        additional_details: vec![KeyValue {
            key: "User-Agent",
            value: client.agent.raw,
        }],
    };
    EntraRecord {
        time: envelope_time(rng, created),
        resource_id: resource_id(),
        operation_name: change.activity,
        operation_version: "1.0",
        category: "AuditLogs",
        tenant_id: TENANT_ID,
        result_type: None,
        result_signature: "None",
        result_description: None,
        duration_ms: 0,
        caller_ip_address: ip,
        correlation_id,
        identity: Some(admin.display_name.clone()),
        level: 4,
        location: None,
        properties: Properties::Audit(Box::new(properties)),
        created,
    }
}

fn user_resource(person: &Person, modified_properties: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: person.entra_id.clone(),
        display_name: None,
        kind: "User",
        user_principal_name: Some(person.email.clone()),
        modified_properties,
        administrative_units: Vec::new(),
    }
}

/// `Add member to group`: an administrator added a person to a group.
pub fn add_member_to_group(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    admin: &Person,
    client: &Client<'static>,
    member: &Person,
    group: &EntraGroup,
) -> EntraRecord {
    let member_properties = vec![
        ModifiedProperty {
            display_name: "Group.ObjectID",
            old_value: None,
            new_value: Some(format!("\"{}\"", group.id)),
        },
        ModifiedProperty {
            display_name: "Group.DisplayName",
            old_value: None,
            new_value: Some(format!("\"{}\"", group.name)),
        },
    ];
    let change = AuditedChange {
        activity: "Add member to group",
        category: "GroupManagement",
        operation_type: "Assign",
        targets: vec![
            user_resource(member, member_properties),
            TargetResource {
                id: group.id.to_owned(),
                display_name: Some(group.name.to_owned()),
                kind: "Group",
                user_principal_name: None,
                modified_properties: Vec::new(),
                administrative_units: Vec::new(),
            },
        ],
    };
    audit(rng, time, admin, client, change)
}

/// One property of an account, before and after a change.
#[derive(Clone, Copy, Debug)]
pub struct PropertyChange<'a> {
    pub name: &'static str,
    pub old_value: &'a str,
    pub new_value: &'a str,
}

/// `Update user`: an administrator changed one property of a person's account.
pub fn update_user(
    rng: &mut impl Rng,
    time: DateTime<Utc>,
    admin: &Person,
    client: &Client<'static>,
    target: &Person,
    property: PropertyChange<'_>,
) -> EntraRecord {
    let change = AuditedChange {
        activity: "Update user",
        category: "UserManagement",
        operation_type: "Update",
        targets: vec![user_resource(
            target,
            vec![
                ModifiedProperty {
                    display_name: property.name,
                    old_value: Some(format!("[\"{}\"]", property.old_value)),
                    new_value: Some(format!("[\"{}\"]", property.new_value)),
                },
                ModifiedProperty {
                    display_name: "Included Updated Properties",
                    old_value: None,
                    new_value: Some(format!("\"{}\"", property.name)),
                },
            ],
        )],
    };
    audit(rng, time, admin, client, change)
}

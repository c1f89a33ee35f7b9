//! Canonicalization of the three shapes Entra ID logs are exported in.
//!
//! - Azure Monitor diagnostic settings export: an envelope (`time`, `category`,
//!   `operationName`, `tenantId`, `callerIpAddress`, ...) with the log's own fields under
//!   `properties`. Minimal records carry only `time` and `category`.
//! - Microsoft Graph resources as the API returns them (`signIn`, `directoryAudit`,
//!   `riskDetection`): the log's fields at the top level, with no envelope.
//! - Log Analytics or Microsoft Sentinel table rows: PascalCase columns, the table name in
//!   `Type`, and nested objects often serialized as JSON strings.
//!
//! Every shape becomes a [`Canonical`] record: the Graph resource with lower camel case keys
//! and parsed nested objects, beside the envelope fields under their Azure Monitor names. The
//! normalizers then read one shape only. The canonical record refers to the values of the
//! record where they are; only nested objects written as JSON strings are parsed into new
//! values.

use std::borrow::Cow;

use crate::json::{Arena, Object, Value};

use super::category;
use super::fields::{Fields, FieldsBuilder, Repeated, parse_serialized, starts_upper};
use crate::NormalizeError;
use crate::json;

/// The shape a record was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    AzureMonitor,
    Graph,
    LogAnalytics,
}

/// The kind of sign-in log, which decides the actor's kind and the default interactivity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SignInKind {
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
}

/// Whom a risk detection is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RiskSubject {
    User,
    ServicePrincipal,
}

/// The Entra logs riposte interprets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LogKind {
    SignIn(SignInKind),
    Audit,
    Risk(RiskSubject),
    GraphActivity,
}

/// A record of any shape, rewritten as a Graph resource plus envelope.
#[derive(Debug)]
pub(super) struct Canonical<'a> {
    pub shape: Shape,
    pub kind: LogKind,
    /// The category or table name as written in the record, when it has one.
    pub category: Option<&'a str>,
    /// Envelope fields under their Azure Monitor names (`time`, `tenantId`,
    /// `callerIpAddress`, `identity`, `operationName`, `resultType`, ...); empty for Graph
    /// resources.
    pub envelope: Fields<'a>,
    /// The log's fields under their Graph names, nested objects parsed.
    pub resource: Fields<'a>,
    raw: &'a Value<'a>,
}

/// The result of canonicalizing a record.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a `Classified` is matched as soon as it is returned, once per record, and boxing \
              the known variant would cost an allocation per record"
)]
pub(super) enum Classified<'a> {
    Known(Canonical<'a>),
    /// An Entra record of a category riposte does not interpret, named as written.
    Unsupported(Box<str>),
}

/// The place of a Log Analytics column in the canonical record.
#[derive(Clone, Copy, Debug)]
enum Column {
    /// An envelope field, under this name.
    Envelope(&'static str),
    /// A field of the Graph resource, under this name.
    Resource(&'static str),
    /// Both an envelope field and a resource field, under this name. `Category` is the log
    /// category in the sign-in tables but the audit category (`UserManagement`) in
    /// `AuditLogs`, which the audit normalizer reads from the resource.
    Both(&'static str),
    /// The sign-in location object in the risk tables, so a resource field when it contains an
    /// object, and the Azure region (an envelope field) in the other tables.
    ObjectOrEnvelope(&'static str),
    /// `TenantId`: the Log Analytics workspace in rows that name their table in `Type`, as
    /// the table reference documents, so the envelope's `workspaceId`. Rows without `Type`
    /// are Azure Monitor records with PascalCase names, where it is the Entra tenant
    /// (`tenantId`). `AADTenantId` is the tenant in both.
    TenantOrWorkspace,
}

/// Log Analytics columns and their names in the canonical record, for the tables riposte
/// interprets (`SigninLogs`, `AADNonInteractiveUserSignInLogs`,
/// `AADServicePrincipalSignInLogs`, `AADManagedIdentitySignInLogs`, `AuditLogs`,
/// `AADUserRiskEvents`, `AADServicePrincipalRiskEvents`, `MicrosoftGraphActivityLogs`).
/// Columns not listed here keep their name with the first letter lowered, which is the
/// Graph name for most of them (`UserPrincipalName` is `userPrincipalName`).
const LOG_ANALYTICS_COLUMNS: &[(&str, Column)] = &[
    // Envelope columns, common to every table.
    ("TimeGenerated", Column::Envelope("time")),
    ("Category", Column::Both("category")),
    ("OperationName", Column::Envelope("operationName")),
    ("OperationVersion", Column::Envelope("operationVersion")),
    ("ResultType", Column::Envelope("resultType")),
    ("ResultSignature", Column::Envelope("resultSignature")),
    ("ResultDescription", Column::Envelope("resultDescription")),
    ("Identity", Column::Envelope("identity")),
    ("Level", Column::Envelope("level")),
    ("Location", Column::ObjectOrEnvelope("location")),
    ("DurationMs", Column::Envelope("durationMs")),
    ("ResourceId", Column::Envelope("resourceId")),
    ("ResourceGroup", Column::Envelope("resourceGroup")),
    ("ResourceProvider", Column::Envelope("resourceProvider")),
    ("Resource", Column::Envelope("resource")),
    ("CallerIpAddress", Column::Envelope("callerIpAddress")),
    ("SourceSystem", Column::Envelope("sourceSystem")),
    ("Type", Column::Envelope("type")),
    ("TenantId", Column::TenantOrWorkspace),
    ("AADTenantId", Column::Envelope("aadTenantId")),
    ("AadTenantId", Column::Envelope("aadTenantId")),
    // Sign-in tables.
    ("Id", Column::Resource("id")),
    ("CreatedDateTime", Column::Resource("createdDateTime")),
    ("UserId", Column::Resource("userId")),
    ("UserPrincipalName", Column::Resource("userPrincipalName")),
    ("UserDisplayName", Column::Resource("userDisplayName")),
    ("AppId", Column::Resource("appId")),
    ("AppDisplayName", Column::Resource("appDisplayName")),
    ("IPAddress", Column::Resource("ipAddress")),
    ("IpAddress", Column::Resource("ipAddress")),
    ("LocationDetails", Column::Resource("location")),
    ("Status", Column::Resource("status")),
    ("DeviceDetail", Column::Resource("deviceDetail")),
    ("IsInteractive", Column::Resource("isInteractive")),
    (
        "AuthenticationDetails",
        Column::Resource("authenticationDetails"),
    ),
    ("MfaDetail", Column::Resource("mfaDetail")),
    (
        "AuthenticationProtocol",
        Column::Resource("authenticationProtocol"),
    ),
    (
        "AuthenticationRequirement",
        Column::Resource("authenticationRequirement"),
    ),
    ("TokenIssuerType", Column::Resource("tokenIssuerType")),
    ("IncomingTokenType", Column::Resource("incomingTokenType")),
    (
        "UniqueTokenIdentifier",
        Column::Resource("uniqueTokenIdentifier"),
    ),
    ("SessionId", Column::Resource("sessionId")),
    (
        "AutonomousSystemNumber",
        Column::Resource("autonomousSystemNumber"),
    ),
    ("UserAgent", Column::Resource("userAgent")),
    ("ClientAppUsed", Column::Resource("clientAppUsed")),
    ("ResourceIdentity", Column::Resource("resourceId")),
    (
        "ResourceDisplayName",
        Column::Resource("resourceDisplayName"),
    ),
    ("ServicePrincipalId", Column::Resource("servicePrincipalId")),
    (
        "ServicePrincipalName",
        Column::Resource("servicePrincipalName"),
    ),
    (
        "ClientCredentialType",
        Column::Resource("clientCredentialType"),
    ),
    (
        "ServicePrincipalCredentialKeyId",
        Column::Resource("servicePrincipalCredentialKeyId"),
    ),
    (
        "ServicePrincipalCredentialThumbprint",
        Column::Resource("servicePrincipalCredentialThumbprint"),
    ),
    (
        "FederatedCredentialId",
        Column::Resource("federatedCredentialId"),
    ),
    (
        "ConditionalAccessPolicies",
        Column::Resource("appliedConditionalAccessPolicies"),
    ),
    ("RiskEventTypes_V2", Column::Resource("riskEventTypes_v2")),
    // AuditLogs.
    ("ActivityDateTime", Column::Resource("activityDateTime")),
    (
        "ActivityDisplayName",
        Column::Resource("activityDisplayName"),
    ),
    ("AADOperationType", Column::Resource("operationType")),
    ("LoggedByService", Column::Resource("loggedByService")),
    ("InitiatedBy", Column::Resource("initiatedBy")),
    ("TargetResources", Column::Resource("targetResources")),
    ("AdditionalDetails", Column::Resource("additionalDetails")),
    ("Result", Column::Resource("result")),
    ("ResultReason", Column::Resource("resultReason")),
    // Risk event tables.
    ("RiskEventType", Column::Resource("riskEventType")),
    ("RiskLevel", Column::Resource("riskLevel")),
    ("RiskState", Column::Resource("riskState")),
    ("RiskDetail", Column::Resource("riskDetail")),
    ("Source", Column::Resource("source")),
    ("DetectedDateTime", Column::Resource("detectedDateTime")),
    ("AdditionalInfo", Column::Resource("additionalInfo")),
    (
        "ServicePrincipalDisplayName",
        Column::Resource("servicePrincipalDisplayName"),
    ),
    // MicrosoftGraphActivityLogs.
    ("RequestId", Column::Resource("requestId")),
    ("OperationId", Column::Resource("operationId")),
    ("RequestMethod", Column::Resource("requestMethod")),
    ("RequestUri", Column::Resource("requestUri")),
    ("ResponseStatusCode", Column::Resource("responseStatusCode")),
    ("SignInActivityId", Column::Resource("signInActivityId")),
    ("ClientAuthMethod", Column::Resource("clientAuthMethod")),
    ("DeviceId", Column::Resource("deviceId")),
];

/// Resource fields that hold objects or arrays, which Log Analytics exports (and some
/// Azure Monitor records) write as JSON strings.
const NESTED_FIELDS: &[&str] = &[
    "location",
    "deviceDetail",
    "status",
    "mfaDetail",
    "authenticationDetails",
    "authenticationProcessingDetails",
    "appliedConditionalAccessPolicies",
    "networkLocationDetails",
    "signInEventTypes",
    "initiatedBy",
    "targetResources",
    "additionalDetails",
    "additionalInfo",
];

/// Rewrites a record of any shape as a [`Canonical`] record, or names the category of an
/// Entra record riposte does not interpret.
pub(super) fn canonicalize<'a>(
    record: &'a Value<'a>,
    arena: &'a Arena,
) -> Result<Classified<'a>, NormalizeError> {
    let Some(object) = record.as_object() else {
        return Err(NormalizeError::invalid(
            "record",
            record.to_string(),
            "expected a JSON object",
        ));
    };
    let category = category_text(object, &["category", "Category"])?;
    let table = category_text(object, &["Type"])?;

    match object.get("properties") {
        None | Some(Value::Null) => {}
        Some(Value::Object(properties)) => {
            let envelope = Fields::view(object, Some("properties"));
            let resource = object_resource(properties, arena)
                .map_err(|error| written_as(error, |field| format!("properties.{field}")))?;
            return classify(Shape::AzureMonitor, category, envelope, resource, record);
        }
        Some(written @ Value::String(text)) => match parse_serialized("properties", text, arena)? {
            // Not serialized JSON: the record is read as a flattened one below.
            None => {}
            Some(Value::Object(properties)) => {
                let envelope = Fields::view(object, Some("properties"));
                let resource = resource_fields(
                    properties
                        .iter()
                        .map(|(key, value)| (Cow::Borrowed(key), Cow::Borrowed(value))),
                    arena,
                )
                .map_err(|error| written_as(error, |field| format!("properties.{field}")))?;
                return classify(Shape::AzureMonitor, category, envelope, resource, record);
            }
            Some(_) => return Err(invalid_properties(written)),
        },
        Some(other) => return Err(invalid_properties(other)),
    }

    if is_pascal_case(object) {
        let (envelope, resource) = split_log_analytics(object, arena)?;
        let named = table
            .filter(|name| category::lookup(name).is_some())
            .or(category);
        return classify(Shape::LogAnalytics, named, envelope, resource, record);
    }

    // A flattened Azure Monitor record (only `time` and `category`, say) or a Graph
    // resource, whose `category` is the audit category (`UserManagement`).
    let known_category = category
        .filter(|name| category::lookup(name).is_some())
        .or_else(|| table.filter(|name| category::lookup(name).is_some()));
    let shape = if known_category.is_some() || object.contains_key("time") {
        Shape::AzureMonitor
    } else {
        Shape::Graph
    };
    let resource = object_resource(object, arena)?;
    let envelope = if shape == Shape::AzureMonitor {
        Fields::view(object, None)
    } else {
        Fields::default()
    };
    classify(
        shape,
        known_category.or(category),
        envelope,
        resource,
        record,
    )
}

fn invalid_properties(properties: &Value) -> NormalizeError {
    NormalizeError::invalid(
        "properties",
        properties.to_string(),
        "expected a JSON object",
    )
}

/// Decides the log kind from the category, else from the resource's keys.
fn classify<'a>(
    shape: Shape,
    category: Option<&'a str>,
    envelope: Fields<'a>,
    resource: Fields<'a>,
    raw: &'a Value<'a>,
) -> Result<Classified<'a>, NormalizeError> {
    let from_category = category.and_then(category::lookup);
    let kind = match from_category {
        Some(Some(kind)) => kind,
        Some(None) => return Ok(Classified::Unsupported(category.unwrap_or_default().into())),
        None => match resource_kind(|key| resource.has_any_case(key)) {
            Some(kind) => kind,
            None => {
                return match category {
                    Some(name) => Ok(Classified::Unsupported(name.into())),
                    None => Err(NormalizeError::missing("category")),
                };
            }
        },
    };
    let kind = refine_sign_in_kind(kind, from_category.is_some(), &resource);
    Ok(Classified::Known(Canonical {
        shape,
        kind,
        category,
        envelope,
        resource,
        raw,
    }))
}

/// Graph `signIn` resources carry no category: `signInEventTypes` (beta API) or the
/// identities present say which sign-in log the record belongs to.
fn refine_sign_in_kind(kind: LogKind, from_category: bool, resource: &Fields<'_>) -> LogKind {
    if from_category || kind != LogKind::SignIn(SignInKind::Interactive) {
        return kind;
    }
    let event_types: Vec<&str> = resource
        .get(&["signInEventTypes"])
        .and_then(Value::as_array)
        .map(|types| types.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let has_type = |name: &str| {
        event_types
            .iter()
            .any(|event_type| event_type.eq_ignore_ascii_case(name))
    };
    let has_user =
        resource.str_at(&["userId"]).is_some() || resource.str_at(&["userPrincipalName"]).is_some();
    let sign_in = if has_type("servicePrincipal") {
        SignInKind::ServicePrincipal
    } else if has_type("managedIdentity") {
        SignInKind::ManagedIdentity
    } else if has_type("nonInteractiveUser") {
        SignInKind::NonInteractive
    } else if has_type("interactiveUser") {
        SignInKind::Interactive
    } else if !has_user && resource.str_at(&["servicePrincipalId"]).is_some() {
        SignInKind::ServicePrincipal
    } else if has_user && resource.bool_at(&["isInteractive"]) == Some(false) {
        SignInKind::NonInteractive
    } else {
        SignInKind::Interactive
    };
    LogKind::SignIn(sign_in)
}

/// Recognizes a Graph resource (or the fields of a log without its envelope) by its
/// distinctive keys. `has` returns true for a key that has a value.
pub(super) fn resource_kind(has: impl Fn(&str) -> bool) -> Option<LogKind> {
    if has("riskEventType") && (has("detectedDateTime") || has("activityDateTime")) {
        let user = has("userId") || has("userPrincipalName");
        let subject = if !user && (has("servicePrincipalId") || has("appId")) {
            RiskSubject::ServicePrincipal
        } else {
            RiskSubject::User
        };
        return Some(LogKind::Risk(subject));
    }
    if has("activityDisplayName")
        && (has("activityDateTime") || has("loggedByService") || has("initiatedBy"))
    {
        return Some(LogKind::Audit);
    }
    if has("createdDateTime")
        && [
            "userPrincipalName",
            "userId",
            "appId",
            "appDisplayName",
            "status",
            "ipAddress",
            "clientAppUsed",
            "signInEventTypes",
            "servicePrincipalId",
        ]
        .into_iter()
        .any(&has)
    {
        return Some(LogKind::SignIn(SignInKind::Interactive));
    }
    if has("signInActivityId") && has("requestUri") && has("requestMethod") {
        return Some(LogKind::GraphActivity);
    }
    None
}

/// Returns true when the object has a non-null value under `key`, compared without regard
/// to case so that PascalCase columns count.
pub(super) fn has_key(value: &Value, key: &str) -> bool {
    value.as_object().is_some_and(|object| {
        object.any(|name, field| !field.is_null() && name.eq_ignore_ascii_case(key))
    })
}

/// Reads the first of `keys` that is present; a present value that is not a string is an
/// error, because the category decides how the whole record is read.
fn category_text<'a>(
    object: &'a Object<'_>,
    keys: &[&str],
) -> Result<Option<&'a str>, NormalizeError> {
    for key in keys {
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                if let Some(text) = json::present(text) {
                    return Ok(Some(text.trim()));
                }
            }
            Some(other) => {
                return Err(NormalizeError::invalid(
                    *key,
                    other.to_string(),
                    "expected a string naming the log category",
                ));
            }
        }
    }
    Ok(None)
}

/// Log Analytics rows have PascalCase columns; Graph resources and Azure Monitor records
/// have lower camel case keys.
fn is_pascal_case(object: &Object<'_>) -> bool {
    let keys: Vec<&str> = object.keys().collect();
    let upper = keys
        .iter()
        .filter(|key| key.starts_with(|first: char| first.is_ascii_uppercase()))
        .count();
    upper * 2 > keys.len()
}

/// Splits a Log Analytics row into envelope and resource fields. Of columns that map to the
/// same field, the first in key order is kept.
fn split_log_analytics<'a>(
    object: &'a Object<'a>,
    arena: &'a Arena,
) -> Result<(Fields<'a>, Fields<'a>), NormalizeError> {
    // `len` would put the members in key order once more than `iter` does.
    let mut envelope = FieldsBuilder::with_capacity(object.written_len());
    let mut resource = FieldsBuilder::with_capacity(object.written_len());
    for (column, value) in object.iter() {
        if value.is_null() {
            continue;
        }
        let slot = LOG_ANALYTICS_COLUMNS
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, slot)| *slot);
        let borrowed = Cow::Borrowed(value);
        match slot {
            Some(Column::Envelope(name)) => envelope.push(name.into(), borrowed, false),
            Some(Column::Resource(name)) => resource.push(name.into(), borrowed, false),
            Some(Column::Both(name)) => {
                envelope.push(name.into(), borrowed.clone(), false);
                resource.push(name.into(), borrowed, false);
            }
            Some(Column::ObjectOrEnvelope(name)) => match value {
                Value::Object(_) => resource.push(name.into(), borrowed, false),
                Value::String(_) => match json::unnest(value, arena) {
                    Some(nested @ Value::Object(_)) => {
                        resource.push(name.into(), Cow::Owned(nested), false);
                    }
                    _ => envelope.push(name.into(), borrowed, false),
                },
                _ => envelope.push(name.into(), borrowed, false),
            },
            Some(Column::TenantOrWorkspace) => {
                let name = if object.contains_key("Type") {
                    "workspaceId"
                } else {
                    "tenantId"
                };
                envelope.push(name.into(), borrowed, false);
            }
            None => resource.push(lower_camel(column), borrowed, false),
        }
    }
    let mut resource = resource.build(Repeated::KeepFirst);
    resource
        .parse_nested(NESTED_FIELDS, arena)
        .map_err(|error| written_as(error, resource_column))?;
    Ok((envelope.build(Repeated::KeepFirst), resource))
}

/// Returns the Log Analytics column of a resource field: `LocationDetails` for `location`.
fn resource_column(field: &str) -> String {
    LOG_ANALYTICS_COLUMNS
        .iter()
        .find(|(_, column)| matches!(column, Column::Resource(name) | Column::Both(name) if *name == field))
        .map_or_else(|| field.to_owned(), |(column, _)| (*column).to_owned())
}

/// Names the field of an invalid value as the record writes it, for an error raised under
/// its Graph name.
fn written_as(error: NormalizeError, written: impl FnOnce(&str) -> String) -> NormalizeError {
    match error {
        NormalizeError::InvalidField {
            field,
            value,
            reason,
        } => NormalizeError::InvalidField {
            field: written(&field),
            value,
            reason,
        },
        other => other,
    }
}

/// Builds the resource from its fields: lower camel case keys (a key already in lower camel
/// case wins over a PascalCase twin), nested JSON strings parsed.
fn resource_fields<'a>(
    members: impl ExactSizeIterator<Item = (Cow<'a, str>, Cow<'a, Value<'a>>)>,
    arena: &'a Arena,
) -> Result<Fields<'a>, NormalizeError> {
    let mut resource = FieldsBuilder::with_capacity(members.len());
    for (key, value) in members {
        let (name, renamed) = canonical_name(key);
        resource.push(name, value, renamed);
    }
    let mut resource = resource.build(Repeated::PreferUnrenamed);
    resource.parse_nested(NESTED_FIELDS, arena)?;
    Ok(resource)
}

/// Reads the resource from the members of an object, in place when no key needs renaming.
fn object_resource<'a>(
    object: &'a Object<'a>,
    arena: &'a Arena,
) -> Result<Fields<'a>, NormalizeError> {
    if !needs_renaming(object) {
        let mut resource = Fields::view(object, None);
        resource.parse_nested(NESTED_FIELDS, arena)?;
        return Ok(resource);
    }
    resource_fields(
        object
            .iter()
            .map(|(key, value)| (Cow::Borrowed(key), Cow::Borrowed(value))),
        arena,
    )
}

/// Returns true when a key of `object` is not in lower camel case.
fn needs_renaming(object: &Object<'_>) -> bool {
    object.written_keys().any(starts_upper)
}

/// Returns the lower camel case form of a key, and whether it differs from the key.
fn canonical_name(key: Cow<'_, str>) -> (Cow<'_, str>, bool) {
    if key.starts_with(|first: char| first.is_ascii_uppercase()) {
        (lower_camel(&key).into_owned().into(), true)
    } else {
        (key, false)
    }
}

/// Converts a PascalCase name to lower camel case as Graph writes it: the leading capital,
/// or a leading acronym but its last letter when a lower case word follows (`IPAddress`
/// becomes `ipAddress`, `AADTenantId` becomes `aadTenantId`).
pub(super) fn lower_camel(name: &str) -> Cow<'_, str> {
    let upper_run = name
        .chars()
        .take_while(|letter| letter.is_ascii_uppercase())
        .count();
    if upper_run == 0 {
        return Cow::Borrowed(name);
    }
    let next_is_lower = name
        .chars()
        .nth(upper_run)
        .is_some_and(|letter| letter.is_ascii_lowercase());
    let lowered = if upper_run > 1 && next_is_lower {
        upper_run - 1
    } else {
        upper_run
    };
    name.chars()
        .enumerate()
        .map(|(position, letter)| {
            if position < lowered {
                letter.to_ascii_lowercase()
            } else {
                letter
            }
        })
        .collect()
}

impl Canonical<'_> {
    /// Returns the name a resource field has in the record as written, for messages:
    /// `properties.createdDateTime`, `CreatedDateTime` or `createdDateTime`. `Location`,
    /// whose place depends on its value, is never returned.
    pub(super) fn resource_field_name(&self, key: &str) -> String {
        match self.shape {
            Shape::AzureMonitor => {
                let inner = self
                    .raw
                    .get("properties")
                    .and_then(|properties| written_key(properties, key));
                match inner {
                    Some(written) => format!("properties.{written}"),
                    None => written_key(self.raw, key).unwrap_or_else(|| key.to_owned()),
                }
            }
            Shape::Graph => written_key(self.raw, key).unwrap_or_else(|| key.to_owned()),
            Shape::LogAnalytics => self
                .written_column(key, |column| match column {
                    Column::Resource(name) | Column::Both(name) => Some(name),
                    Column::Envelope(_)
                    | Column::ObjectOrEnvelope(_)
                    | Column::TenantOrWorkspace => None,
                })
                .unwrap_or_else(|| key.to_owned()),
        }
    }

    /// Returns the name an envelope field has in the record as written: `time` or
    /// `TimeGenerated`.
    pub(super) fn envelope_field_name(&self, key: &str) -> String {
        match self.shape {
            Shape::LogAnalytics => self
                .written_column(key, |column| match column {
                    Column::Envelope(name) | Column::Both(name) => Some(name),
                    Column::Resource(_)
                    | Column::ObjectOrEnvelope(_)
                    | Column::TenantOrWorkspace => None,
                })
                .unwrap_or_else(|| key.to_owned()),
            Shape::AzureMonitor | Shape::Graph => {
                written_key(self.raw, key).unwrap_or_else(|| key.to_owned())
            }
        }
    }

    /// Returns the name of the field that holds the time when the record has none: the
    /// envelope's time field when the shape has an envelope, else the resource's.
    pub(super) fn missing_time_field(&self, resource_key: &str) -> String {
        match self.shape {
            Shape::AzureMonitor => "time".to_owned(),
            Shape::LogAnalytics => "TimeGenerated".to_owned(),
            Shape::Graph => resource_key.to_owned(),
        }
    }

    fn written_column(
        &self,
        key: &str,
        target: impl Fn(Column) -> Option<&'static str>,
    ) -> Option<String> {
        let object = self.raw.as_object()?;
        object
            .keys()
            .find(|column| {
                let mapped = LOG_ANALYTICS_COLUMNS
                    .iter()
                    .find(|(name, _)| name == column)
                    .map(|(_, slot)| *slot);
                match mapped {
                    Some(slot) => target(slot) == Some(key),
                    None => lower_camel(column) == key,
                }
            })
            .map(str::to_owned)
    }
}

/// Finds the key of `object` whose lower camel case form is `key`.
fn written_key(object: &Value, key: &str) -> Option<String> {
    let object = object.as_object()?;
    if object.contains_key(key) {
        return Some(key.to_owned());
    }
    object
        .keys()
        .find(|name| lower_camel(name) == key)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    fn known<'a>(record: &'a Value<'a>) -> Canonical<'a> {
        let arena = Box::leak(Box::new(Arena::new()));
        match canonicalize(record, arena).unwrap() {
            Classified::Known(canonical) => canonical,
            Classified::Unsupported(category) => panic!("unsupported {category}"),
        }
    }

    #[test]
    fn lower_camel_handles_acronyms() {
        assert_eq!(lower_camel("IPAddress"), "ipAddress");
        assert_eq!(lower_camel("AADTenantId"), "aadTenantId");
        assert_eq!(lower_camel("UserPrincipalName"), "userPrincipalName");
        assert_eq!(lower_camel("Id"), "id");
        assert_eq!(lower_camel("ID"), "id");
        assert_eq!(lower_camel("userId"), "userId");
        assert_eq!(
            lower_camel("UserPrincipalObjectID"),
            "userPrincipalObjectID"
        );
    }

    #[test]
    fn log_analytics_row_maps_columns_and_parses_nested_strings() {
        let row = json!({
            "TimeGenerated": "2024-05-01T10:00:00Z",
            "Type": "SigninLogs",
            "Category": "SignInLogs",
            "Location": "FR",
            "IPAddress": "203.0.113.9",
            "LocationDetails": "{\"city\":\"Lyon\",\"countryOrRegion\":\"FR\"}",
            "Status": "{\"errorCode\":50126}",
            "AADTenantId": "aaaaaaaa-0000-4000-8000-000000000001",
        });
        let canonical = known(&row);
        assert_eq!(canonical.shape, Shape::LogAnalytics);
        assert_eq!(canonical.kind, LogKind::SignIn(SignInKind::Interactive));
        assert_eq!(
            canonical.resource.str_at(&["ipAddress"]),
            Some("203.0.113.9")
        );
        assert_eq!(
            canonical.resource.str_at(&["location", "city"]),
            Some("Lyon")
        );
        assert_eq!(
            canonical.resource.u64_at(&["status", "errorCode"]),
            Some(50126)
        );
        assert_eq!(canonical.envelope.str_at(&["location"]), Some("FR"));
        assert_eq!(
            canonical.envelope.str_at(&["time"]),
            Some("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            canonical.envelope.str_at(&["aadTenantId"]),
            Some("aaaaaaaa-0000-4000-8000-000000000001")
        );
        assert_eq!(canonical.resource_field_name("location"), "LocationDetails");
        assert_eq!(canonical.envelope_field_name("time"), "TimeGenerated");
    }

    #[test]
    fn risk_table_location_is_the_sign_in_location() {
        let row = json!({
            "Type": "AADUserRiskEvents",
            "Location": {"city": "Lyon"},
            "RiskEventType": "unfamiliarFeatures",
        });
        let canonical = known(&row);
        assert_eq!(canonical.kind, LogKind::Risk(RiskSubject::User));
        assert_eq!(
            canonical.resource.str_at(&["location", "city"]),
            Some("Lyon")
        );
    }

    #[test]
    fn audit_table_category_is_the_audit_category() {
        let row = json!({
            "Type": "AuditLogs",
            "Category": "UserManagement",
            "InitiatedBy": "{\"user\":{\"id\":\"u1\"}}",
        });
        let canonical = known(&row);
        assert_eq!(canonical.kind, LogKind::Audit);
        assert_eq!(canonical.category, Some("AuditLogs"));
        assert_eq!(
            canonical.resource.str_at(&["category"]),
            Some("UserManagement")
        );
        assert_eq!(
            canonical.resource.str_at(&["initiatedBy", "user", "id"]),
            Some("u1")
        );
    }

    #[test]
    fn graph_resources_are_recognized_by_keys() {
        let audit = json!({
            "activityDateTime": "2024-05-01T10:00:00Z",
            "activityDisplayName": "Add user",
            "category": "UserManagement",
        });
        assert_eq!(known(&audit).kind, LogKind::Audit);
        assert_eq!(known(&audit).shape, Shape::Graph);

        let sign_in = json!({
            "createdDateTime": "2024-05-01T10:00:00Z",
            "appId": "00000000-0000-4000-8000-000000000002",
            "servicePrincipalId": "00000000-0000-4000-8000-000000000003",
        });
        assert_eq!(
            known(&sign_in).kind,
            LogKind::SignIn(SignInKind::ServicePrincipal)
        );

        let risk = json!({
            "riskEventType": "leakedCredentials",
            "detectedDateTime": "2024-05-01T10:00:00Z",
        });
        assert_eq!(known(&risk).kind, LogKind::Risk(RiskSubject::User));
    }

    #[test]
    fn table_name_counts_without_pascal_case_columns() {
        let row = json!({
            "Type": "AADServicePrincipalSignInLogs",
            "createdDateTime": "2024-05-01T10:00:00Z",
            "servicePrincipalId": "5c1a7d9e-0000-4000-8000-00000000cc02",
        });
        assert_eq!(
            known(&row).kind,
            LogKind::SignIn(SignInKind::ServicePrincipal)
        );
    }

    #[test]
    fn unknown_category_of_an_entra_record_is_unsupported() {
        let record = json!({
            "time": "2024-05-01T10:00:00Z",
            "category": "SomeFutureLogs",
            "resourceId": "/tenants/x/providers/Microsoft.aadiam",
        });
        match canonicalize(&record, &Arena::new()).unwrap() {
            Classified::Unsupported(category) => assert_eq!(&*category, "SomeFutureLogs"),
            Classified::Known(_) => panic!("expected unsupported"),
        }
    }

    #[test]
    fn category_of_the_wrong_type_is_invalid() {
        let error = canonicalize(&json!({"category": 7}), &Arena::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid value `7` in `category`: expected a string naming the log category"
        );
    }
}

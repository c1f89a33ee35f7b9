//! Microsoft Entra ID logs: sign-ins, audit logs, Identity Protection risk detections and
//! Microsoft Graph activity.
//!
//! Each log is accepted as an Azure Monitor diagnostic settings export, as the Microsoft
//! Graph resource, or as a Log Analytics (Microsoft Sentinel) table row. [`shape`] rewrites
//! all three into one canonical record, which the normalizer of the log then reads.

mod audit;
mod category;
mod common;
mod fields;
mod graph_activity;
mod risk;
mod shape;
mod signin;

use crate::json::Value;

use crate::text::contains_ignore_case;
use crate::{NormalizeError, Normalized, RecordContext};
use shape::{Classified, LogKind};

/// Returns true for an Entra record: a known Entra category or table name, an Azure
/// resource id of the `microsoft.aadiam` provider, or the keys of a Graph `signIn`,
/// `directoryAudit` or `riskDetection` resource. CloudTrail and Okta records are never
/// accepted, nor records of another Azure resource provider.
pub fn matches(record: &Value) -> bool {
    let Some(object) = record.as_object() else {
        return false;
    };
    let has = |key: &str| object.get(key).is_some_and(|value| !value.is_null());
    if (has("eventVersion") && has("eventSource")) || (has("eventType") && has("published")) {
        return false;
    }
    let resource_id = ["resourceId", "ResourceId"]
        .into_iter()
        .find_map(|key| object.get(key).and_then(Value::as_str));
    if let Some(resource_id) = resource_id {
        if contains_ignore_case(resource_id, "microsoft.aadiam") {
            return true;
        }
        // Other Azure services also name a category `AuditLogs` (Intune, for one), but their
        // resource id names their own provider.
        if contains_ignore_case(resource_id, "/providers/") {
            return false;
        }
    }
    let named = ["category", "Category", "Type"]
        .into_iter()
        .filter_map(|key| object.get(key).and_then(Value::as_str))
        .any(|name| category::lookup(name).is_some());
    named || shape::resource_kind(|key| shape::has_key(record, key)).is_some()
}

/// Normalizes an Entra record of any supported log and shape.
pub fn normalize(
    record: &Value,
    context: &RecordContext<'_>,
) -> Result<Normalized, NormalizeError> {
    // Nested objects that the record writes as JSON strings are parsed into this arena.
    let arena = crate::json::Arena::new();
    let canonical = match shape::canonicalize(record, &arena)? {
        Classified::Known(canonical) => canonical,
        Classified::Unsupported(category) => return Ok(Normalized::Unsupported { category }),
    };
    let event = match canonical.kind {
        LogKind::SignIn(kind) => signin::normalize(&canonical, kind, context)?,
        LogKind::Audit => audit::normalize(&canonical, context)?,
        LogKind::Risk(subject) => risk::normalize(&canonical, subject, context)?,
        LogKind::GraphActivity => graph_activity::normalize(&canonical, context)?,
    };
    Ok(Normalized::Event(Box::new(event)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StringCache;
    use crate::json::test_record as json;
    use riposte_model::{Activity, Event, IdentityKind, Outcome, SourceFormat};

    fn context(strings: &StringCache) -> RecordContext<'_> {
        RecordContext {
            location: None,
            raw: crate::RawRecord::Bytes(b"{}"),
            strings,
        }
    }

    fn event(record: &Value) -> Event {
        match normalize(record, &context(&StringCache::new())).unwrap() {
            Normalized::Event(event) => *event,
            Normalized::Unsupported { category } => panic!("unsupported {category}"),
        }
    }

    fn error(record: &Value) -> String {
        normalize(record, &context(&StringCache::new()))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn matches_every_shape() {
        assert!(matches(
            &json!({"time": "2024-05-01T10:00:00Z", "category": "SignInLogs"})
        ));
        assert!(matches(
            &json!({"Type": "AADNonInteractiveUserSignInLogs", "TimeGenerated": "x"})
        ));
        assert!(matches(&json!({
            "resourceId": "/TENANTS/X/PROVIDERS/MICROSOFT.AADIAM", "category": "New"
        })));
        assert!(matches(&json!({
            "activityDateTime": "2024-05-01T10:00:00Z", "activityDisplayName": "Add user"
        })));
        assert!(matches(&json!({
            "createdDateTime": "2024-05-01T10:00:00Z", "userPrincipalName": "a@example.com"
        })));
        assert!(matches(&json!({
            "riskEventType": "anonymizedIPAddress", "detectedDateTime": "2024-05-01T10:00:00Z"
        })));
        assert!(matches(&json!({"Category": "AADProvisioningLogs"})));
    }

    #[test]
    fn matches_rejects_other_providers() {
        assert!(!matches(&json!({
            "eventVersion": "1.08", "eventSource": "signin.amazonaws.com",
            "category": "SignInLogs"
        })));
        assert!(!matches(&json!({
            "eventType": "user.session.start", "published": "2024-05-01T10:00:00Z",
            "createdDateTime": "2024-05-01T10:00:00Z", "userId": "x"
        })));
        assert!(!matches(&json!({
            "category": "AuditLogs",
            "resourceId": "/providers/Microsoft.Intune/tenants/x"
        })));
        assert!(!matches(&json!({"category": "UserManagement"})));
        assert!(!matches(&json!([])));
    }

    #[test]
    fn unsupported_category_is_not_a_reject() {
        let record = json!({
            "time": "2024-05-01T10:00:00Z",
            "category": "ProvisioningLogs",
            "properties": {"id": "x"}
        });
        match normalize(&record, &context(&StringCache::new())).unwrap() {
            Normalized::Unsupported { category } => assert_eq!(&*category, "ProvisioningLogs"),
            Normalized::Event(_) => panic!("expected unsupported"),
        }
        let row = json!({"Type": "AADRiskyUsers", "TimeGenerated": "2024-05-01T10:00:00Z"});
        match normalize(&row, &context(&StringCache::new())).unwrap() {
            Normalized::Unsupported { category } => assert_eq!(&*category, "AADRiskyUsers"),
            Normalized::Event(_) => panic!("expected unsupported"),
        }
    }

    #[test]
    fn missing_time_names_the_field() {
        assert_eq!(
            error(&json!({"category": "SignInLogs", "properties": {"id": "x"}})),
            "missing required field `time`"
        );
        assert_eq!(
            error(&json!({"Type": "AuditLogs", "ActivityDisplayName": "Add user"})),
            "missing required field `TimeGenerated`"
        );
        assert_eq!(
            error(&json!({"activityDisplayName": "Add user", "loggedByService": "Core Directory"})),
            "missing required field `activityDateTime`"
        );
    }

    #[test]
    fn invalid_time_names_the_field_as_written() {
        assert_eq!(
            error(&json!({
                "time": "2024-05-01T10:00:00Z",
                "category": "SignInLogs",
                "properties": {"createdDateTime": "2024-13-01T10:00:00Z"}
            })),
            "invalid timestamp `2024-13-01T10:00:00Z` in `properties.createdDateTime`: the date does not exist (month or day out of range)"
        );
        assert_eq!(
            error(&json!({"time": "yesterday", "category": "SignInLogs"})),
            "invalid timestamp `yesterday` in `time`: expected RFC 3339, `M/D/YYYY h:mm:ss AM [+hh:mm]` or epoch milliseconds"
        );
        assert_eq!(
            error(&json!({"Type": "SigninLogs", "CreatedDateTime": "soon"})),
            "invalid timestamp `soon` in `CreatedDateTime`: expected RFC 3339, `M/D/YYYY h:mm:ss AM [+hh:mm]` or epoch milliseconds"
        );
    }

    #[test]
    fn invalid_serialized_object_names_the_field_as_written() {
        assert_eq!(
            error(&json!({
                "Type": "SigninLogs",
                "TimeGenerated": "2024-05-01T10:00:00Z",
                "LocationDetails": "{\"city\": \"Lyon\", \"geoCoordinates\": {\"latitude\": 1e400}}"
            })),
            "invalid value `{\"city\": \"Lyon\", \"geoCoordinates\": {\"latitude\": 1e400}}` in `LocationDetails`: expected a JSON object or array written as text: number out of range (column 53)"
        );
        assert_eq!(
            error(&json!({
                "time": "2024-05-01T10:00:00Z",
                "category": "SignInLogs",
                "properties": {"id": "x", "status": "{\"errorCode\":"}
            })),
            "invalid value `{\"errorCode\":` in `properties.status`: expected a JSON object or array written as text: EOF while parsing a value (column 13)"
        );
        assert_eq!(
            error(&json!({
                "time": "2024-05-01T10:00:00Z",
                "category": "SignInLogs",
                "properties": "{\"id\": \"x\","
            })),
            "invalid value `{\"id\": \"x\",` in `properties`: expected a JSON object or array written as text: EOF while parsing a value (column 11)"
        );
    }

    #[test]
    fn envelope_time_is_the_fallback() {
        let event = event(&json!({
            "time": "1/9/2007 10:41:00 AM +01:00",
            "category": "AuditLogs",
            "properties": {"activityDisplayName": "Add user"}
        }));
        assert_eq!(event.time.to_rfc3339(), "2007-01-09T09:41:00+00:00");
        assert_eq!(event.activity, Activity::AccountCreated);
    }

    #[test]
    fn risk_detection_reads_the_risk() {
        let event = event(&json!({
            "id": "5c1a7d9e0001",
            "riskEventType": "unfamiliarFeatures",
            "riskLevel": "medium",
            "riskState": "atRisk",
            "riskDetail": "none",
            "source": "IdentityProtection",
            "detectedDateTime": "2024-05-01T10:05:00Z",
            "activityDateTime": "2024-05-01T10:00:00Z",
            "userId": "5c1a7d9e-0000-4000-8000-00000000bb01",
            "userPrincipalName": "alice@example.com",
            "ipAddress": "203.0.113.20",
            "additionalInfo": "[{\"Key\":\"userAgent\",\"Value\":\"Mozilla/5.0\"}]"
        }));
        assert_eq!(event.format, SourceFormat::EntraRiskDetection);
        assert_eq!(event.activity, Activity::RiskDetected);
        assert_eq!(event.time.to_rfc3339(), "2024-05-01T10:00:00+00:00");
        let risk = event.risk.unwrap();
        assert_eq!(&*risk.risk_type, "unfamiliarFeatures");
        assert_eq!(&*risk.level, "medium");
        assert_eq!(risk.state.as_deref(), Some("atRisk"));
        assert_eq!(event.actor.kind, IdentityKind::Human);
        assert_eq!(event.source.user_agent.as_deref(), Some("Mozilla/5.0"));
    }

    #[test]
    fn graph_activity_links_the_token() {
        let event = event(&json!({
            "TimeGenerated": "2024-05-01T10:00:00Z",
            "Type": "MicrosoftGraphActivityLogs",
            "RequestId": "5c1a7d9e-0000-4000-8000-00000000ee01",
            "RequestMethod": "get",
            "RequestUri": "https://graph.microsoft.com/v1.0/users?$select=id",
            "ResponseStatusCode": 403,
            "ServicePrincipalId": "5c1a7d9e-0000-4000-8000-00000000cc02",
            "AppId": "5c1a7d9e-0000-4000-8000-00000000cc01",
            "SignInActivityId": "token-identifier-1",
            "IPAddress": "203.0.113.30"
        }));
        assert_eq!(event.format, SourceFormat::EntraGraphActivity);
        assert_eq!(event.operation.as_ref(), "GET /v1.0/users");
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.outcome_reason.as_deref(), Some("403"));
        assert_eq!(event.actor.kind, IdentityKind::EntraServicePrincipal);
        assert_eq!(
            event.token_id.as_ref().map(|token| token.expose()),
            Some("token-identifier-1")
        );
        assert_eq!(event.service.as_deref(), Some("Microsoft Graph"));
    }
}

//! Risk detections of Entra ID Protection, for users and service principals.

use crate::json::Value;
use riposte_model::{
    Activity, Credential, Event, IdentityKind, IdentityRef, Outcome, Provider, RiskDetection,
    Source, SourceFormat,
};

use super::common::{self, text};
use super::shape::{Canonical, RiskSubject};
use crate::json;
use crate::{NormalizeError, RecordContext, StringCache};

/// Normalizes a risk detection.
pub(super) fn normalize(
    canonical: &Canonical<'_>,
    subject: RiskSubject,
    context: &RecordContext<'_>,
) -> Result<Event, NormalizeError> {
    let time = common::event_time(canonical, &["activityDateTime", "detectedDateTime"])?;
    let strings = context.strings;
    let risk_type = text(canonical, "riskEventType").or_else(|| text(canonical, "riskType"));
    let risk_source = text(canonical, "source");
    let operation = risk_type
        .or_else(|| common::envelope_text(canonical, "operationName"))
        .or(canonical.category)
        .unwrap_or("riskDetection");
    // A record without a risk type (a minimal export) is still a detection, but names no
    // risk that a finding could carry.
    let risk = risk_type.map(|risk_type| RiskDetection {
        source: risk_source.unwrap_or("IdentityProtection").into(),
        risk_type: risk_type.into(),
        level: text(canonical, "riskLevel").unwrap_or("unknown").into(),
        state: text(canonical, "riskState").map(Box::from),
        detail: text(canonical, "riskDetail").map(Box::from),
    });

    Ok(Event {
        format: SourceFormat::EntraRiskDetection,
        event_id: common::event_id(canonical, &["id"], context),
        time,
        activity: Activity::RiskDetected,
        operation: strings.share(operation),
        service: risk_source.map(|service| strings.share(service)),
        outcome: Outcome::Unknown,
        outcome_reason: None,
        actor: actor(canonical, subject, strings),
        credential: Credential::unknown(),
        session_id: None,
        root_session_id: None,
        token_id: None,
        source: source(canonical, strings),
        interactive: None,
        mfa: None,
        targets: Vec::new(),
        privileges: Vec::new(),
        risk,
        account: common::account(canonical, strings),
        location: context.location.cloned(),
    })
}

fn actor(canonical: &Canonical<'_>, subject: RiskSubject, strings: &StringCache) -> IdentityRef {
    let user = || {
        common::user_identity(
            text(canonical, "userId"),
            text(canonical, "userPrincipalName"),
            text(canonical, "userDisplayName"),
        )
    };
    let app = || {
        common::app_identity(
            IdentityKind::EntraServicePrincipal,
            text(canonical, "servicePrincipalId").or_else(|| text(canonical, "appId")),
            text(canonical, "servicePrincipalDisplayName")
                .or_else(|| text(canonical, "appDisplayName")),
            strings,
        )
    };
    let found = match subject {
        RiskSubject::User => user().or_else(app),
        RiskSubject::ServicePrincipal => app(),
    };
    found.unwrap_or_else(|| IdentityRef::unknown(Provider::Entra))
}

fn source(canonical: &Canonical<'_>, strings: &StringCache) -> Source {
    let address = text(canonical, "ipAddress")
        .or_else(|| common::envelope_text(canonical, "callerIpAddress"));
    let mut source = Source::new(common::origin(address));
    source.geo = common::geo(canonical.resource.get(&["location"]), strings);
    source.user_agent = additional_info(canonical, "userAgent").map(|agent| strings.share(agent));
    source
}

/// Returns a string value of `additionalInfo`, a list of `{"Key": ..., "Value": ...}`
/// entries that Entra writes as a JSON string.
fn additional_info<'a>(canonical: &'a Canonical<'_>, key: &str) -> Option<&'a str> {
    canonical
        .resource
        .get(&["additionalInfo"])?
        .as_array()?
        .iter()
        .find(|entry| {
            json::str_at(entry, &["Key"]).is_some_and(|name| name.eq_ignore_ascii_case(key))
        })
        .and_then(|entry| entry.get("Value"))
        .and_then(Value::as_str)
        .and_then(json::present)
}

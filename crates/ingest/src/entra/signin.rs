//! Sign-in logs: interactive and non-interactive user sign-ins, service principal and
//! managed identity sign-ins.

use std::sync::Arc;

use crate::json::Value;
use riposte_model::{
    Activity, Credential, CredentialKind, Event, IdentityKind, IdentityRef, MfaMethod, Outcome,
    Provider, Source, SourceFormat, Target, TargetKind,
};

use super::common::{self, text};
use super::shape::{Canonical, SignInKind};
use crate::json;
use crate::text::{contains_ignore_case, starts_with_ignore_case};
use crate::{NormalizeError, RecordContext, StringCache};

/// The operation name Azure Monitor writes for every sign-in log.
const SIGN_IN_OPERATION: &str = "Sign-in activity";

/// `errorCode` of a sign-in that failed at the multi-factor step: the user denied the
/// request, did not respond to it, or entered a wrong code.
const MFA_FAILED: i64 = 500_121;

/// `errorCode`s that interrupt a sign-in to ask for multi-factor authentication (50074,
/// 50076), for registration (50079) or for proof of the first factor (50072). No second
/// factor was attempted yet, so these are sign-in failures, not MFA denials.
const MFA_INTERRUPTS: [i64; 4] = [50_072, 50_074, 50_076, 50_079];

/// Normalizes a sign-in record of any of the four sign-in logs.
pub(super) fn normalize(
    canonical: &Canonical<'_>,
    kind: SignInKind,
    context: &RecordContext<'_>,
) -> Result<Event, NormalizeError> {
    let time = common::event_time(canonical, &["createdDateTime"])?;
    let strings = context.strings;
    let actor = actor(canonical, kind, strings);
    let status = Status::read(canonical);
    let steps = steps(canonical);
    let mfa = mfa_method(canonical, &steps);
    let mfa_failed = status.failed() && mfa_failed(&status, &steps);
    let activity = if mfa_failed {
        Activity::MfaVerify
    } else {
        Activity::SignIn
    };
    let interactive = canonical
        .resource
        .bool_at(&["isInteractive"])
        .unwrap_or(kind == SignInKind::Interactive);
    let credential = if actor.kind == IdentityKind::Unknown {
        Credential::unknown()
    } else {
        credential(canonical, kind, interactive, &steps)
    };

    Ok(Event {
        format: SourceFormat::EntraSignIn,
        event_id: common::event_id(canonical, &["id"], context),
        time,
        activity,
        operation: operation(canonical, strings),
        service: text(canonical, "appDisplayName").map(|service| strings.share(service)),
        outcome: status.outcome(),
        outcome_reason: status.reason(),
        actor,
        credential,
        session_id: common::sensitive(canonical, "sessionId"),
        root_session_id: None,
        token_id: common::sensitive(canonical, "uniqueTokenIdentifier"),
        source: source(canonical, strings),
        interactive: Some(interactive),
        mfa,
        targets: resource_target(canonical, strings).into_iter().collect(),
        privileges: Vec::new(),
        risk: None,
        account: common::account(canonical, strings),
        location: context.location.cloned(),
    })
}

fn operation(canonical: &Canonical<'_>, strings: &StringCache) -> Arc<str> {
    let operation = common::envelope_text(canonical, "operationName")
        .or(canonical.category)
        .unwrap_or(SIGN_IN_OPERATION);
    strings.share(operation)
}

/// Reads who signed in. User sign-ins name a person; service principal and managed identity
/// sign-ins name the application. A user sign-in without a user but with an application is
/// attributed to the application.
fn actor(canonical: &Canonical<'_>, kind: SignInKind, strings: &StringCache) -> IdentityRef {
    let user = || {
        common::user_identity(
            text(canonical, "userId"),
            text(canonical, "userPrincipalName"),
            text(canonical, "userDisplayName"),
        )
    };
    let app = |identity_kind| {
        common::app_identity(
            identity_kind,
            text(canonical, "servicePrincipalId").or_else(|| text(canonical, "appId")),
            text(canonical, "servicePrincipalName").or_else(|| text(canonical, "appDisplayName")),
            strings,
        )
    };
    let found = match kind {
        SignInKind::Interactive | SignInKind::NonInteractive => {
            user().or_else(|| app(IdentityKind::EntraServicePrincipal))
        }
        SignInKind::ServicePrincipal => app(IdentityKind::EntraServicePrincipal),
        SignInKind::ManagedIdentity => app(IdentityKind::EntraManagedIdentity),
    };
    found.unwrap_or_else(|| IdentityRef::unknown(Provider::Entra))
}

/// The sign-in's result: `status.errorCode`, else the envelope's `resultType`.
struct Status<'a> {
    /// The resource's `status` object.
    value: Option<&'a Value<'a>>,
    code: Option<i64>,
    /// The code as written when it is not a number.
    written: Option<&'a str>,
    reason: Option<&'a str>,
}

impl<'a> Status<'a> {
    fn read(canonical: &'a Canonical<'_>) -> Self {
        let value = canonical.resource.get(&["status"]);
        let member = |key: &str| value.and_then(|status| json::get(status, &[key]));
        let member_str = |key: &str| value.and_then(|status| json::str_at(status, &[key]));
        let code = member("errorCode").and_then(common::code_of).or_else(|| {
            canonical
                .envelope
                .get(&["resultType"])
                .and_then(common::code_of)
        });
        let written = match code {
            Some(_) => None,
            None => {
                member_str("errorCode").or_else(|| common::envelope_text(canonical, "resultType"))
            }
        };
        let reason = member_str("failureReason")
            .or_else(|| common::envelope_text(canonical, "resultDescription"));
        Self {
            value,
            code,
            written,
            reason,
        }
    }

    fn outcome(&self) -> Outcome {
        match (self.code, self.written) {
            (Some(0), _) => Outcome::Success,
            (Some(_), _) | (None, Some(_)) => Outcome::Failure,
            (None, None) => Outcome::Unknown,
        }
    }

    fn failed(&self) -> bool {
        self.outcome() == Outcome::Failure
    }

    /// `<code>: <failureReason>` for failures.
    fn reason(&self) -> Option<Box<str>> {
        if !self.failed() {
            return None;
        }
        let code = match (self.code, self.written) {
            (Some(code), _) => code.to_string(),
            (None, Some(written)) => written.trim().to_owned(),
            (None, None) => return None,
        };
        Some(match self.reason {
            Some(reason) => format!("{code}: {}", reason.trim()).into(),
            None => code.into(),
        })
    }
}

/// One entry of `authenticationDetails`.
struct Step<'a> {
    method: &'a str,
    succeeded: Option<bool>,
    detail: Option<&'a str>,
}

fn steps<'a>(canonical: &'a Canonical<'_>) -> Vec<Step<'a>> {
    let Some(entries) = canonical
        .resource
        .get(&["authenticationDetails"])
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            Some(Step {
                method: json::str_at(entry, &["authenticationMethod"])?,
                succeeded: json::bool_at(entry, &["succeeded"]),
                detail: json::str_at(entry, &["authenticationStepResultDetail"]),
            })
        })
        .collect()
}

/// Maps an Entra authentication method name to a second factor, or `None` for methods
/// that are not one (`Password`, `Previously satisfied`).
fn mfa_method_of(method: &str) -> Option<MfaMethod> {
    let method = method.trim();
    let first_factors = [
        "password",
        "previously satisfied",
        "temporary access pass",
        "x.509 certificate",
        "federated",
    ];
    if method.is_empty()
        || first_factors
            .iter()
            .any(|name| starts_with_ignore_case(method, name))
    {
        return None;
    }
    let mentions = |words: &[&str]| words.iter().any(|word| contains_ignore_case(method, word));
    let method = if mentions(&["notification"]) {
        MfaMethod::Push
    } else if mentions(&["email"]) {
        MfaMethod::Email
    } else if mentions(&["verification code", "oath"]) {
        MfaMethod::Otp
    } else if mentions(&["text message", "sms"]) {
        MfaMethod::Sms
    } else if mentions(&["phone call", "voice"]) {
        MfaMethod::Voice
    } else if mentions(&["fido", "passkey", "security key"]) {
        MfaMethod::Webauthn
    } else {
        MfaMethod::Other
    };
    Some(method)
}

/// Returns the second factor used or requested: the first multi-factor step of
/// `authenticationDetails`, else `mfaDetail.authMethod`.
fn mfa_method(canonical: &Canonical<'_>, steps: &[Step<'_>]) -> Option<MfaMethod> {
    steps
        .iter()
        .find_map(|step| mfa_method_of(step.method))
        .or_else(|| {
            canonical
                .resource
                .str_at(&["mfaDetail", "authMethod"])
                .and_then(mfa_method_of)
        })
}

/// Returns true when a failed sign-in failed at the second factor: error 500121, or a
/// failed multi-factor step or status text saying the user declined, denied or did not
/// respond to the request. MFA-required interrupts are never MFA failures.
fn mfa_failed(status: &Status<'_>, steps: &[Step<'_>]) -> bool {
    match status.code {
        Some(MFA_FAILED) => return true,
        Some(code) if MFA_INTERRUPTS.contains(&code) => return false,
        _ => {}
    }
    let failed_factor = steps.iter().any(|step| {
        step.succeeded == Some(false)
            && mfa_method_of(step.method).is_some()
            && step.detail.is_some_and(reports_mfa_refusal)
    });
    let status_text = status
        .value
        .and_then(|value| json::str_at(value, &["additionalDetails"]))
        .is_some_and(|details| details.trim_start().starts_with("MFA denied"));
    failed_factor || status_text
}

fn reports_mfa_refusal(text: &str) -> bool {
    [
        "declined",
        "denied",
        "did not respond",
        "not responded",
        "timed out",
        "timeout",
    ]
    .iter()
    .any(|phrase| contains_ignore_case(text, phrase))
}

/// Reads the credential presented. Users: federation, the first factor of
/// `authenticationDetails`, a session or refresh token for non-interactive sign-ins, else a
/// password. Applications: `clientCredentialType`.
fn credential(
    canonical: &Canonical<'_>,
    kind: SignInKind,
    interactive: bool,
    steps: &[Step<'_>],
) -> Credential {
    match kind {
        SignInKind::ServicePrincipal => application_credential(canonical),
        SignInKind::ManagedIdentity => Credential {
            kind: CredentialKind::OAuthToken,
            id: None,
        },
        SignInKind::Interactive | SignInKind::NonInteractive => Credential {
            kind: user_credential_kind(canonical, interactive, steps),
            id: None,
        },
    }
}

fn user_credential_kind(
    canonical: &Canonical<'_>,
    interactive: bool,
    steps: &[Step<'_>],
) -> CredentialKind {
    let issuer = text(canonical, "tokenIssuerType").unwrap_or_default();
    let protocol = text(canonical, "authenticationProtocol").unwrap_or_default();
    if issuer.eq_ignore_ascii_case("ADFederationServices")
        || protocol.eq_ignore_ascii_case("saml20")
        || protocol.eq_ignore_ascii_case("wsFed")
    {
        return CredentialKind::Federation;
    }
    // The device code flow is an OAuth grant: the code, approved on another device, is what
    // this sign-in presents.
    if protocol.eq_ignore_ascii_case("deviceCode") {
        return CredentialKind::OAuthToken;
    }
    if !interactive {
        let incoming = text(canonical, "incomingTokenType").unwrap_or_default();
        return if incoming.eq_ignore_ascii_case("primaryRefreshToken") {
            CredentialKind::Session
        } else {
            CredentialKind::OAuthToken
        };
    }
    match steps.first().map(|step| step.method.trim()) {
        Some(method) if method.eq_ignore_ascii_case("previously satisfied") => {
            CredentialKind::Session
        }
        Some(method) if method.eq_ignore_ascii_case("x.509 certificate") => {
            CredentialKind::Certificate
        }
        Some(method) if mfa_method_of(method).is_some() => CredentialKind::MfaFactor,
        _ => CredentialKind::Password,
    }
}

fn application_credential(canonical: &Canonical<'_>) -> Credential {
    let kind = match text(canonical, "clientCredentialType") {
        Some(value) if value.eq_ignore_ascii_case("clientSecret") => CredentialKind::ClientSecret,
        Some(value)
            if value.eq_ignore_ascii_case("certificate")
                || value.eq_ignore_ascii_case("clientAssertion") =>
        {
            CredentialKind::Certificate
        }
        Some(value)
            if value.eq_ignore_ascii_case("federatedIdentityCredential")
                || value.eq_ignore_ascii_case("managedIdentity") =>
        {
            CredentialKind::OAuthToken
        }
        _ if text(canonical, "servicePrincipalCredentialThumbprint").is_some() => {
            CredentialKind::Certificate
        }
        _ => CredentialKind::Unknown,
    };
    // The key id names which secret or certificate of the application was used; it does
    // not authenticate on its own.
    let id = text(canonical, "servicePrincipalCredentialKeyId")
        .or_else(|| text(canonical, "servicePrincipalCredentialThumbprint"))
        .or_else(|| text(canonical, "federatedCredentialId"))
        .map(Arc::from);
    Credential { kind, id }
}

fn source(canonical: &Canonical<'_>, strings: &StringCache) -> Source {
    let address = text(canonical, "ipAddress")
        .or_else(|| common::envelope_text(canonical, "callerIpAddress"));
    let mut source = Source::new(common::origin(address));
    source.geo = common::geo(canonical.resource.get(&["location"]), strings);
    source.asn = common::asn(canonical);
    source.user_agent = text(canonical, "userAgent").map(|agent| strings.share(agent));
    source.device_id = canonical
        .resource
        .str_at(&["deviceDetail", "deviceId"])
        .map(|id| Arc::from(id.trim()));
    source
}

/// Returns the resource the token was requested for, such as Microsoft Graph.
fn resource_target(canonical: &Canonical<'_>, strings: &StringCache) -> Option<Target> {
    let id = text(canonical, "resourceId")?;
    let mut target = Target::new(TargetKind::Application, strings.share(id.trim()));
    target.name = text(canonical, "resourceDisplayName").map(|name| strings.share(name));
    Some(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Normalized;
    use crate::entra;
    use serde_json::{Value, json};

    /// Normalizes a record built with `serde_json::json!`, which some tests modify in place.
    fn event(record: &Value) -> Event {
        let context = RecordContext {
            location: None,
            raw: crate::RawRecord::Bytes(b"{}"),
            strings: &StringCache::new(),
        };
        let arena = crate::json::Arena::new();
        match entra::normalize(&crate::json::Value::from_serde(record, &arena), &context).unwrap() {
            Normalized::Event(event) => *event,
            Normalized::Unsupported { category } => panic!("unsupported {category}"),
        }
    }

    fn graph_sign_in(status: Value, details: Value) -> Value {
        json!({
            "id": "5c1a7d9e-0000-4000-8000-00000000aa01",
            "createdDateTime": "2024-05-01T10:00:00Z",
            "userId": "5c1a7d9e-0000-4000-8000-00000000bb01",
            "userPrincipalName": "alice@example.com",
            "appDisplayName": "Office 365 Exchange Online",
            "ipAddress": "203.0.113.10",
            "isInteractive": true,
            "status": status,
            "authenticationDetails": details,
        })
    }

    #[test]
    fn declined_push_is_an_mfa_failure() {
        let record = graph_sign_in(
            json!({"errorCode": 500121,
                "failureReason": "Authentication failed during strong authentication request.",
                "additionalDetails": "MFA denied; user declined the authentication"}),
            json!([
                {"authenticationMethod": "Password", "succeeded": true},
                {"authenticationMethod": "Mobile app notification", "succeeded": false,
                 "authenticationStepResultDetail": "MFA denied; user declined the authentication"}
            ]),
        );
        let event = event(&record);
        assert_eq!(event.activity, Activity::MfaVerify);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.mfa, Some(MfaMethod::Push));
        assert_eq!(
            event.outcome_reason.as_deref(),
            Some("500121: Authentication failed during strong authentication request.")
        );
    }

    #[test]
    fn unanswered_push_is_an_mfa_failure() {
        let record = graph_sign_in(
            json!({"errorCode": 500121,
                "additionalDetails": "MFA denied; user did not respond to mobile app notification"}),
            json!([{"authenticationMethod": "Mobile app notification", "succeeded": false,
                "authenticationStepResultDetail": "User did not respond to mobile app notification"}]),
        );
        let event = event(&record);
        assert_eq!(event.activity, Activity::MfaVerify);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.mfa, Some(MfaMethod::Push));
    }

    #[test]
    fn mfa_required_interrupt_is_a_failed_sign_in() {
        let record = graph_sign_in(
            json!({"errorCode": 50074, "failureReason": "Strong Authentication is required."}),
            json!([{"authenticationMethod": "Password", "succeeded": true}]),
        );
        let event = event(&record);
        assert_eq!(event.activity, Activity::SignIn);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.mfa, None);
        assert_eq!(event.credential.kind, CredentialKind::Password);
    }

    #[test]
    fn accepted_push_is_a_successful_sign_in() {
        let record = graph_sign_in(
            json!({"errorCode": 0}),
            json!([
                {"authenticationMethod": "Password", "succeeded": true},
                {"authenticationMethod": "Mobile app notification", "succeeded": true,
                 "authenticationStepResultDetail": "MFA successfully completed"}
            ]),
        );
        let event = event(&record);
        assert_eq!(event.activity, Activity::SignIn);
        assert_eq!(event.outcome, Outcome::Success);
        assert_eq!(event.mfa, Some(MfaMethod::Push));
        assert_eq!(event.outcome_reason, None);
    }

    #[test]
    fn factor_names_map_to_methods() {
        let cases = [
            ("OATH verification code", Some(MfaMethod::Otp)),
            ("Mobile app verification code", Some(MfaMethod::Otp)),
            ("Text message", Some(MfaMethod::Sms)),
            ("Phone call (voice)", Some(MfaMethod::Voice)),
            ("FIDO2 security key", Some(MfaMethod::Webauthn)),
            (
                "Passkey (Microsoft Authenticator)",
                Some(MfaMethod::Webauthn),
            ),
            ("Email verification code", Some(MfaMethod::Email)),
            ("Windows Hello for Business", Some(MfaMethod::Other)),
            ("Password", None),
            ("Previously satisfied", None),
        ];
        for (method, expected) in cases {
            assert_eq!(mfa_method_of(method), expected, "{method}");
        }
    }

    #[test]
    fn service_principal_secret_is_a_client_secret() {
        let record = json!({
            "time": "2024-05-01T10:00:00Z",
            "category": "ServicePrincipalSignInLogs",
            "properties": {
                "createdDateTime": "2024-05-01T10:00:00Z",
                "appId": "5c1a7d9e-0000-4000-8000-00000000cc01",
                "servicePrincipalId": "5c1a7d9e-0000-4000-8000-00000000cc02",
                "servicePrincipalName": "billing-export",
                "clientCredentialType": "clientSecret",
                "servicePrincipalCredentialKeyId": "5c1a7d9e-0000-4000-8000-00000000cc03",
                "status": {"errorCode": 0},
            }
        });
        let event = event(&record);
        assert_eq!(event.actor.kind, IdentityKind::EntraServicePrincipal);
        assert_eq!(&*event.actor.key.id, "5c1a7d9e-0000-4000-8000-00000000cc02");
        assert_eq!(event.actor.name.as_deref(), Some("billing-export"));
        assert_eq!(event.credential.kind, CredentialKind::ClientSecret);
        assert_eq!(
            event.credential.id.as_deref(),
            Some("5c1a7d9e-0000-4000-8000-00000000cc03")
        );
        assert_eq!(event.interactive, Some(false));
    }

    #[test]
    fn federated_sign_in_is_federation() {
        let mut record = graph_sign_in(json!({"errorCode": 0}), json!([]));
        record["tokenIssuerType"] = json!("ADFederationServices");
        assert_eq!(event(&record).credential.kind, CredentialKind::Federation);
    }

    #[test]
    fn minimal_record_has_an_unknown_actor() {
        let record = json!({"time": "2007-01-09T09:41:00Z", "category": "SignInLogs"});
        let event = event(&record);
        assert_eq!(event.actor, IdentityRef::unknown(Provider::Entra));
        assert_eq!(event.operation.as_ref(), "SignInLogs");
        assert_eq!(event.outcome, Outcome::Unknown);
        assert_eq!(event.credential, Credential::unknown());
        assert_eq!(event.interactive, Some(true));
        assert!(event.event_id.starts_with("sha256:"));
    }

    #[test]
    fn three_shapes_give_the_same_event() {
        let azure_monitor = json!({
            "time": "2024-05-01T10:00:05.1234567Z",
            "category": "SignInLogs",
            "operationName": "Sign-in activity",
            "tenantId": "5c1a7d9e-0000-4000-8000-0000000000aa",
            "resultType": "50126",
            "callerIpAddress": "203.0.113.10",
            "properties": {
                "id": "5c1a7d9e-0000-4000-8000-00000000aa01",
                "createdDateTime": "2024-05-01T10:00:00.1234567+00:00",
                "userId": "5c1a7d9e-0000-4000-8000-00000000bb01",
                "userPrincipalName": "alice@example.com",
                "userDisplayName": "Alice",
                "appDisplayName": "Azure Portal",
                "ipAddress": "203.0.113.10",
                "isInteractive": true,
                "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
                "location": {"city": "Lyon", "state": "Auvergne-Rhone-Alpes",
                    "countryOrRegion": "FR",
                    "geoCoordinates": {"latitude": 45.75, "longitude": 4.85}},
                "deviceDetail": {"deviceId": "", "browser": "Firefox 125.0"},
                "autonomousSystemNumber": 64500,
                "userAgent": "Mozilla/5.0",
                "authenticationDetails": [{"authenticationMethod": "Password", "succeeded": false}],
                "uniqueTokenIdentifier": "token-identifier-1",
                "sessionId": "5c1a7d9e-0000-4000-8000-00000000dd01",
                "resourceId": "00000003-0000-0000-c000-000000000000",
                "resourceDisplayName": "Microsoft Graph"
            }
        });
        let graph = azure_monitor["properties"].clone();
        let log_analytics = json!({
            "TimeGenerated": "2024-05-01T10:00:05.1234567Z",
            "Type": "SigninLogs",
            "Category": "SignInLogs",
            "OperationName": "Sign-in activity",
            "TenantId": "5c1a7d9e-0000-4000-8000-0000000000ff",
            "AADTenantId": "5c1a7d9e-0000-4000-8000-0000000000aa",
            "ResultType": "50126",
            "ResultDescription": "Invalid username or password.",
            "Location": "FR",
            "Id": "5c1a7d9e-0000-4000-8000-00000000aa01",
            "CreatedDateTime": "2024-05-01T10:00:00.1234567Z",
            "UserId": "5c1a7d9e-0000-4000-8000-00000000bb01",
            "UserPrincipalName": "alice@example.com",
            "UserDisplayName": "Alice",
            "AppDisplayName": "Azure Portal",
            "IPAddress": "203.0.113.10",
            "IsInteractive": true,
            "Status": "{\"errorCode\":50126,\"failureReason\":\"Invalid username or password.\"}",
            "LocationDetails": "{\"city\":\"Lyon\",\"state\":\"Auvergne-Rhone-Alpes\",\"countryOrRegion\":\"FR\",\"geoCoordinates\":{\"latitude\":45.75,\"longitude\":4.85}}",
            "DeviceDetail": "{\"deviceId\":\"\",\"browser\":\"Firefox 125.0\"}",
            "AutonomousSystemNumber": 64500,
            "UserAgent": "Mozilla/5.0",
            "AuthenticationDetails": "[{\"authenticationMethod\":\"Password\",\"succeeded\":false}]",
            "UniqueTokenIdentifier": "token-identifier-1",
            "SessionId": "5c1a7d9e-0000-4000-8000-00000000dd01",
            "ResourceIdentity": "00000003-0000-0000-c000-000000000000",
            "ResourceDisplayName": "Microsoft Graph"
        });

        let from_azure_monitor = event(&azure_monitor);
        let mut from_graph = event(&graph);
        let from_log_analytics = event(&log_analytics);
        assert_eq!(from_azure_monitor, from_log_analytics);
        // A Graph resource has no envelope, so no tenant and no operation name.
        assert_eq!(from_graph.account, None);
        from_graph.account = from_azure_monitor.account.clone();
        assert_eq!(from_graph, from_azure_monitor);

        assert_eq!(from_azure_monitor.outcome, Outcome::Failure);
        assert_eq!(
            from_azure_monitor.outcome_reason.as_deref(),
            Some("50126: Invalid username or password.")
        );
        assert_eq!(from_azure_monitor.credential.kind, CredentialKind::Password);
        assert_eq!(from_azure_monitor.source.device_id, None);
        assert_eq!(
            from_azure_monitor.actor.email.as_deref(),
            Some("alice@example.com")
        );
    }
}

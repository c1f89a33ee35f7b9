//! The credential an Okta actor presented, and the factor used in an MFA step.

use crate::json::Value;
use riposte_model::{Activity, Credential, CredentialKind, IdentityKind, MfaMethod};

use super::{activity, known_str};
use crate::json;
use crate::text::contains_ignore_case;

/// A factor that a user presented in an authentication step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Factor {
    /// Okta Identity Engine logs a password check as `user.authentication.auth_via_mfa` too,
    /// with `Password` as the method of the authenticator enrollment.
    Password,
    Mfa(MfaMethod),
}

/// Returns the factor of an MFA step (`MfaVerify` or `MfaPushSent`), or `None` for other
/// activities and for steps that name no factor.
///
/// Sources, first match wins: a `push` in the event type, `debugData.factor`, the
/// `methodTypeUsed` and then the name of an `AuthenticatorEnrollment` target, and
/// `authenticationContext.credentialType`. A factor that is named but not recognized is
/// [`MfaMethod::Other`].
pub(super) fn factor(record: &Value, event_type: &str, activity: Activity) -> Option<Factor> {
    if !matches!(activity, Activity::MfaVerify | Activity::MfaPushSent) {
        return None;
    }
    if event_type.contains("push") {
        return Some(Factor::Mfa(MfaMethod::Push));
    }
    let mut names: Vec<&str> = Vec::new();
    names.extend(known_str(record, &["debugContext", "debugData", "factor"]));
    let enrollments = json::get(record, &["target"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|target| {
            known_str(target, &["type"])
                .is_some_and(|kind| kind.eq_ignore_ascii_case("AuthenticatorEnrollment"))
        });
    for enrollment in enrollments {
        names.extend(known_str(enrollment, &["detailEntry", "methodTypeUsed"]));
        names.extend(known_str(enrollment, &["displayName"]));
    }
    names.extend(known_str(
        record,
        &["authenticationContext", "credentialType"],
    ));
    if names.is_empty() {
        return None;
    }
    names
        .iter()
        .find_map(|name| classify_factor(name))
        .or(Some(Factor::Mfa(MfaMethod::Other)))
}

/// Returns the MFA method of an MFA step: the factor's method, [`MfaMethod::Other`] when the
/// step names no factor, and `None` for a password step or any other activity.
pub(super) fn mfa_method(activity: Activity, factor: Option<Factor>) -> Option<MfaMethod> {
    if !matches!(activity, Activity::MfaVerify | Activity::MfaPushSent) {
        return None;
    }
    match factor {
        Some(Factor::Mfa(method)) => Some(method),
        Some(Factor::Password) => None,
        None => Some(MfaMethod::Other),
    }
}

/// Classifies a factor name as Okta writes it in factor types (`OKTA_VERIFY_PUSH`,
/// `token:software:totp`), credential types (`OTP`, `SMS`) and authenticator names
/// (`Security Key or Biometric`). Returns `None` for names that do not name the method,
/// such as `Okta Verify` alone, which offers push, a code and FastPass.
fn classify_factor(name: &str) -> Option<Factor> {
    let mentions = |words: &[&str]| words.iter().any(|word| contains_ignore_case(name, word));
    let method = if mentions(&["push"]) {
        MfaMethod::Push
    } else if mentions(&["webauthn", "fido", "u2f", "security key", "biometric"]) {
        MfaMethod::Webauthn
    } else if mentions(&["sms"]) {
        MfaMethod::Sms
    } else if mentions(&["voice", "call"]) {
        MfaMethod::Voice
    } else if mentions(&["email"]) {
        MfaMethod::Email
    } else if mentions(&["password"]) {
        return Some(Factor::Password);
    } else if mentions(&["otp", "passcode", "code", "token", "google authenticator"]) {
        MfaMethod::Otp
    } else {
        return None;
    };
    Some(Factor::Mfa(method))
}

/// Returns the credential the actor presented. Rules, first match wins:
/// 1. `authenticationContext.credentialType`, when it names a known type;
/// 2. `transaction.detail.requestApiTokenId`: the request used an API token, whose id is
///    kept because it identifies the token without granting access;
/// 3. an OAuth service application as actor: an OAuth access token;
/// 4. an MFA step: the factor, or a password for a password step;
/// 5. the event type: federation for sign-ins through an identity provider or a social
///    provider, the Okta session for single sign-on into an application, an OAuth token for
///    refresh token grants;
/// 6. `authenticationContext.authenticationProvider`;
/// 7. an Okta session, for events other than sign-ins and MFA steps that carry a session id;
/// 8. unknown.
pub(super) fn credential(
    record: &Value,
    event_type: &str,
    activity: Activity,
    actor_kind: IdentityKind,
    factor: Option<Factor>,
    in_session: bool,
) -> Credential {
    let of_kind = |kind| Credential { kind, id: None };

    let authentication = json::get(record, &["authenticationContext"]);
    let credential_type =
        authentication.and_then(|authentication| known_str(authentication, &["credentialType"]));
    if let Some(kind) = credential_type.and_then(credential_type_kind) {
        return of_kind(kind);
    }
    if let Some(token_id) = known_str(record, &["transaction", "detail", "requestApiTokenId"]) {
        return Credential {
            kind: CredentialKind::ApiToken,
            id: Some(token_id.into()),
        };
    }
    if actor_kind == IdentityKind::OktaServiceApp {
        return of_kind(CredentialKind::OAuthToken);
    }
    match activity {
        Activity::MfaVerify | Activity::MfaPushSent => {
            return of_kind(match factor {
                Some(Factor::Password) => CredentialKind::Password,
                _ => CredentialKind::MfaFactor,
            });
        }
        _ => {}
    }
    if let Some(kind) = event_type_kind(record, event_type) {
        return of_kind(kind);
    }
    let provider = authentication
        .and_then(|authentication| known_str(authentication, &["authenticationProvider"]));
    if let Some(kind) = provider.and_then(authentication_provider_kind) {
        return of_kind(kind);
    }
    if in_session && !matches!(activity, Activity::SignIn) {
        return of_kind(CredentialKind::Session);
    }
    Credential::unknown()
}

/// Maps the credential types of Okta's `AuthenticationContext` object.
fn credential_type_kind(credential_type: &str) -> Option<CredentialKind> {
    let credential_type = credential_type.trim();
    let is_any = |names: &[&str]| {
        names
            .iter()
            .any(|name| credential_type.eq_ignore_ascii_case(name))
    };
    let kind = if is_any(&["PASSWORD"]) {
        CredentialKind::Password
    } else if is_any(&["ASSERTION", "IDP", "SAML", "SAML2", "IWA", "FEDERATION"]) {
        CredentialKind::Federation
    } else if is_any(&["OAUTH2", "JWT"]) {
        CredentialKind::OAuthToken
    } else if is_any(&["API_TOKEN", "SSWS"]) {
        CredentialKind::ApiToken
    } else if is_any(&["CERTIFICATE"]) {
        CredentialKind::Certificate
    } else if is_any(&["PRE_SHARED_SYMMETRIC_KEY"]) {
        CredentialKind::ClientSecret
    } else if is_any(&["OKTA_CLIENT_SESSION"]) {
        CredentialKind::Session
    } else {
        match classify_factor(credential_type)? {
            Factor::Mfa(_) => CredentialKind::MfaFactor,
            Factor::Password => CredentialKind::Password,
        }
    };
    Some(kind)
}

fn event_type_kind(record: &Value, event_type: &str) -> Option<CredentialKind> {
    if event_type.eq_ignore_ascii_case("user.authentication.auth_via_IDP")
        || event_type.eq_ignore_ascii_case("user.authentication.auth_via_social")
        || event_type.eq_ignore_ascii_case("user.authentication.auth_via_inbound_SAML")
    {
        return Some(CredentialKind::Federation);
    }
    if activity::is_single_sign_on(event_type) {
        // Single sign-on into an application rests on the user's Okta session, even when
        // the event carries no session id.
        return Some(CredentialKind::Session);
    }
    let grant_type = known_str(record, &["debugContext", "debugData", "grantType"]);
    if grant_type.is_some_and(|grant| grant.eq_ignore_ascii_case("refresh_token")) {
        return Some(CredentialKind::OAuthToken);
    }
    None
}

/// Maps the providers of Okta's `AuthenticationContext` object. Okta's own provider does
/// not identify the credential, so it maps to nothing.
fn authentication_provider_kind(provider: &str) -> Option<CredentialKind> {
    let provider = provider.trim();
    let is_any = |names: &[&str]| names.iter().any(|name| provider.eq_ignore_ascii_case(name));
    if is_any(&["FEDERATION", "SOCIAL"]) {
        Some(CredentialKind::Federation)
    } else if is_any(&["ACTIVE_DIRECTORY", "LDAP"]) {
        Some(CredentialKind::Password)
    } else if is_any(&["FACTOR_PROVIDER"]) {
        Some(CredentialKind::MfaFactor)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    #[test]
    fn factor_names_map_to_methods() {
        let cases = [
            ("OKTA_VERIFY_PUSH", Some(Factor::Mfa(MfaMethod::Push))),
            (
                "Get a push notification",
                Some(Factor::Mfa(MfaMethod::Push)),
            ),
            ("token:software:totp", Some(Factor::Mfa(MfaMethod::Otp))),
            ("OTP", Some(Factor::Mfa(MfaMethod::Otp))),
            ("Google Authenticator", Some(Factor::Mfa(MfaMethod::Otp))),
            ("SMS", Some(Factor::Mfa(MfaMethod::Sms))),
            ("call", Some(Factor::Mfa(MfaMethod::Voice))),
            ("EMAIL", Some(Factor::Mfa(MfaMethod::Email))),
            ("webauthn", Some(Factor::Mfa(MfaMethod::Webauthn))),
            (
                "Security Key or Biometric",
                Some(Factor::Mfa(MfaMethod::Webauthn)),
            ),
            ("Password", Some(Factor::Password)),
            ("Okta Verify", None),
            ("question", None),
        ];
        for (name, expected) in cases {
            assert_eq!(classify_factor(name), expected, "{name}");
        }
    }

    #[test]
    fn push_in_event_type_wins() {
        let record = json!({"debugContext": {"debugData": {"factor": "SMS"}}});
        assert_eq!(
            factor(
                &record,
                "user.mfa.okta_verify.deny_push",
                Activity::MfaVerify
            ),
            Some(Factor::Mfa(MfaMethod::Push))
        );
    }

    #[test]
    fn enrollment_method_names_the_factor() {
        let record = json!({"target": [
            {"id": "00u1", "type": "User"},
            {"id": "pfd1", "type": "AuthenticatorEnrollment", "displayName": "Okta Verify",
             "detailEntry": {"methodTypeUsed": "Get a push notification"}}
        ]});
        let found = factor(
            &record,
            "user.authentication.auth_via_mfa",
            Activity::MfaVerify,
        );
        assert_eq!(found, Some(Factor::Mfa(MfaMethod::Push)));
        assert_eq!(
            mfa_method(Activity::MfaVerify, found),
            Some(MfaMethod::Push)
        );
    }

    #[test]
    fn unrecognized_factor_is_other() {
        let record = json!({"debugContext": {"debugData": {"factor": "SECURITY_QUESTION"}}});
        let found = factor(
            &record,
            "user.authentication.auth_via_mfa",
            Activity::MfaVerify,
        );
        assert_eq!(found, Some(Factor::Mfa(MfaMethod::Other)));
    }

    #[test]
    fn password_step_has_no_mfa_method() {
        let record = json!({"target": [{"id": "pfd1", "type": "AuthenticatorEnrollment",
            "displayName": "Password", "detailEntry": {"methodTypeUsed": "Password"}}]});
        let found = factor(
            &record,
            "user.authentication.auth_via_mfa",
            Activity::MfaVerify,
        );
        assert_eq!(found, Some(Factor::Password));
        assert_eq!(mfa_method(Activity::MfaVerify, found), None);
        let credential = credential(
            &record,
            "user.authentication.auth_via_mfa",
            Activity::MfaVerify,
            IdentityKind::Human,
            found,
            true,
        );
        assert_eq!(credential.kind, CredentialKind::Password);
    }

    #[test]
    fn factor_is_only_read_for_mfa_steps() {
        let record = json!({"debugContext": {"debugData": {"factor": "SMS"}}});
        assert_eq!(
            factor(&record, "user.session.start", Activity::SignIn),
            None
        );
        assert_eq!(mfa_method(Activity::SignIn, None), None);
        assert_eq!(
            mfa_method(Activity::MfaVerify, None),
            Some(MfaMethod::Other)
        );
    }

    fn kind_of(
        record: &Value,
        event_type: &str,
        actor: IdentityKind,
        session: bool,
    ) -> CredentialKind {
        let activity = activity::activity_of(event_type);
        let found = factor(record, event_type, activity);
        credential(record, event_type, activity, actor, found, session).kind
    }

    #[test]
    fn credential_rules_apply_in_order() {
        let human = IdentityKind::Human;
        let password = json!({"authenticationContext": {"credentialType": "PASSWORD"}});
        assert_eq!(
            kind_of(&password, "user.session.start", human, true),
            CredentialKind::Password
        );

        let otp = json!({"authenticationContext": {"credentialType": "OTP"}});
        assert_eq!(
            kind_of(&otp, "user.authentication.auth_via_mfa", human, true),
            CredentialKind::MfaFactor
        );
        let assertion = json!({"authenticationContext": {"credentialType": "ASSERTION"}});
        assert_eq!(
            kind_of(&assertion, "user.authentication.auth_via_IDP", human, true),
            CredentialKind::Federation
        );

        let empty = json!({});
        assert_eq!(
            kind_of(&empty, "user.authentication.auth_via_social", human, false),
            CredentialKind::Federation
        );
        assert_eq!(
            kind_of(&empty, "user.authentication.sso", human, false),
            CredentialKind::Session
        );
        assert_eq!(
            kind_of(&empty, "user.account.update_profile", human, true),
            CredentialKind::Session
        );
        assert_eq!(
            kind_of(&empty, "user.session.start", human, true),
            CredentialKind::Unknown
        );
        assert_eq!(
            kind_of(&empty, "user.account.update_profile", human, false),
            CredentialKind::Unknown
        );

        assert_eq!(
            kind_of(
                &empty,
                "app.oauth2.as.token.grant.access_token",
                IdentityKind::OktaServiceApp,
                false
            ),
            CredentialKind::OAuthToken
        );
        let refresh = json!({"debugContext": {"debugData": {"grantType": "refresh_token"}}});
        assert_eq!(
            kind_of(
                &refresh,
                "app.oauth2.as.token.grant.access_token",
                human,
                false
            ),
            CredentialKind::OAuthToken
        );

        let ad = json!({"authenticationContext": {"authenticationProvider": "ACTIVE_DIRECTORY"}});
        assert_eq!(
            kind_of(&ad, "user.session.start", human, false),
            CredentialKind::Password
        );
    }

    #[test]
    fn api_token_request_keeps_the_token_id() {
        let record = json!({"transaction": {"type": "WEB", "id": "Xa1",
            "detail": {"requestApiTokenId": "00T1abcdEXAMPLE"}}});
        let found = credential(
            &record,
            "user.lifecycle.create",
            Activity::AccountCreated,
            IdentityKind::Human,
            None,
            false,
        );
        assert_eq!(found.kind, CredentialKind::ApiToken);
        assert_eq!(found.id.as_deref(), Some("00T1abcdEXAMPLE"));
    }
}

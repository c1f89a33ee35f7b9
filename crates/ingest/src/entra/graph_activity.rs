//! Microsoft Graph activity logs: one record per request made to Microsoft Graph.

use std::sync::Arc;

use riposte_model::{
    Activity, Credential, CredentialKind, Event, IdentityKind, IdentityRef, Outcome, Provider,
    Source, SourceFormat,
};

use super::common::{self, text};
use super::shape::Canonical;
use crate::{NormalizeError, RecordContext, StringCache};

/// The service every Graph activity record is about.
const SERVICE: &str = "Microsoft Graph";

/// Normalizes a Graph activity record.
pub(super) fn normalize(
    canonical: &Canonical<'_>,
    context: &RecordContext<'_>,
) -> Result<Event, NormalizeError> {
    let time = common::event_time(canonical, &["timeGenerated"])?;
    let strings = context.strings;
    let (outcome, outcome_reason) = outcome(canonical);
    let actor = actor(canonical, strings);
    // Every Graph request presents an access token, but a record that names no caller tells
    // nothing about it.
    let credential = if actor.kind == IdentityKind::Unknown {
        Credential::unknown()
    } else {
        Credential {
            kind: CredentialKind::OAuthToken,
            id: None,
        }
    };
    let address = text(canonical, "ipAddress")
        .or_else(|| common::envelope_text(canonical, "callerIpAddress"));
    let mut source = Source::new(common::origin(address));
    source.user_agent = text(canonical, "userAgent").map(|agent| strings.share(agent));
    source.device_id = text(canonical, "deviceId").map(Arc::from);

    Ok(Event {
        format: SourceFormat::EntraGraphActivity,
        // The request id is unique per request, while the requests of one batch share an
        // operation id.
        event_id: common::event_id(canonical, &["requestId", "operationId"], context),
        time,
        activity: Activity::ApiCall,
        // A request path often names one object, so it is not shared.
        operation: operation(canonical).into(),
        service: Some(strings.share(SERVICE)),
        outcome,
        outcome_reason,
        actor,
        credential,
        session_id: None,
        root_session_id: None,
        // `signInActivityId` is the `uniqueTokenIdentifier` of the sign-in that issued the
        // token, which links each request to that sign-in.
        token_id: common::sensitive(canonical, "signInActivityId"),
        source,
        interactive: None,
        mfa: None,
        targets: Vec::new(),
        privileges: Vec::new(),
        risk: None,
        account: common::account(canonical, strings),
        location: context.location.cloned(),
    })
}

/// `<method> <path>`: the request URI without scheme, host, query string or fragment, as
/// in `GET /v1.0/users`.
fn operation(canonical: &Canonical<'_>) -> String {
    let method = text(canonical, "requestMethod").map(str::trim);
    let path = text(canonical, "requestUri").map(request_path);
    match (method, path) {
        (Some(method), Some(path)) => format!("{} {path}", method.to_ascii_uppercase()),
        (Some(method), None) => method.to_ascii_uppercase(),
        (None, Some(path)) => path.to_owned(),
        (None, None) => common::envelope_text(canonical, "operationName")
            .or(canonical.category)
            .unwrap_or("Microsoft Graph Activity")
            .to_owned(),
    }
}

fn request_path(uri: &str) -> &str {
    let uri = uri.trim();
    let after_scheme = match uri.find("://") {
        Some(position) => {
            let rest = uri.get(position + 3..).unwrap_or_default();
            rest.find('/')
                .and_then(|slash| rest.get(slash..))
                .unwrap_or("/")
        }
        None => uri,
    };
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    match after_scheme.get(..end) {
        Some("") | None => "/",
        Some(path) => path,
    }
}

fn outcome(canonical: &Canonical<'_>) -> (Outcome, Option<Box<str>>) {
    match canonical
        .resource
        .get(&["responseStatusCode"])
        .and_then(common::code_of)
    {
        Some(code) if (200..300).contains(&code) => (Outcome::Success, None),
        Some(code) => (Outcome::Failure, Some(code.to_string().into())),
        None => (Outcome::Unknown, None),
    }
}

/// Reads the caller: the user of a delegated request, else the service principal of an
/// application-only request.
fn actor(canonical: &Canonical<'_>, strings: &StringCache) -> IdentityRef {
    let user = text(canonical, "userId").or_else(|| text(canonical, "userPrincipalObjectID"));
    if let Some(user) = user {
        return IdentityRef::new(Provider::Entra, user.trim(), IdentityKind::Human);
    }
    common::app_identity(
        IdentityKind::EntraServicePrincipal,
        text(canonical, "servicePrincipalId").or_else(|| text(canonical, "appId")),
        None,
        strings,
    )
    .unwrap_or_else(|| IdentityRef::unknown(Provider::Entra))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_path_drops_host_and_query() {
        assert_eq!(
            request_path("https://graph.microsoft.com/v1.0/users?$top=5"),
            "/v1.0/users"
        );
        assert_eq!(request_path("https://example.com/"), "/");
        assert_eq!(request_path("https://example.com"), "/");
        assert_eq!(request_path("/beta/me#part"), "/beta/me");
    }
}

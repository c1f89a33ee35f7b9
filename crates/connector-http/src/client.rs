//! The HTTP machinery every connector shares: one call with retries, its record in the
//! [`CallLog`], and the mapping of provider responses to [`ActionError`].

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use riposte_action::{
    ActionError, ApiCall, ApiCallRecord, Attempt, CallLog, RetryPolicy, System, millis, retry,
};
use riposte_model::Sensitive;

use crate::dialect::Dialect;
use crate::settings::{HttpSettings, configuration, timeouts};

/// Largest response body read, in bytes. Provider responses for these calls are a few
/// kilobytes. A larger body is cut off at this size.
const MAX_BODY_BYTES: usize = 1 << 20;

/// The body of a request.
pub(crate) enum Body {
    Empty,
    Json(serde_json::Value),
    /// Bytes sent as they are, with their content type: a signed body must not be
    /// re-serialized between signing and sending.
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
    /// `application/x-www-form-urlencoded` fields, whose values may be secrets.
    Form(Vec<(&'static str, Sensitive)>),
}

/// One request to make: what the call log and plans show, and what goes on the wire.
pub(crate) struct Call {
    /// The description recorded in the call log. It never contains a secret.
    pub api: ApiCall,
    pub method: Method,
    /// The full URL. It may contain a secret (a webhook token), so it is never logged.
    pub url: Sensitive,
    pub body: Body,
    /// Extra headers, whose values may be secrets and are never logged.
    pub headers: Vec<(HeaderName, Sensitive)>,
}

impl Call {
    /// Builds a call to `base` followed by `endpoint`, the path and query recorded in the log.
    pub(crate) fn new(method: Method, base: &str, endpoint: String, summary: String) -> Self {
        let url = Sensitive::new(format!("{base}{endpoint}"));
        Self {
            api: ApiCall {
                method: method.as_str().to_owned(),
                endpoint,
                summary,
            },
            method,
            url,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    pub(crate) fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Body::Json(body);
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: Sensitive) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A response with a success status.
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    /// Parses the body as JSON. `endpoint` names the call in the error.
    pub(crate) fn json(
        &self,
        system: System,
        endpoint: &str,
    ) -> Result<serde_json::Value, ActionError> {
        serde_json::from_slice(&self.body).map_err(|error| ActionError::Transport {
            system,
            endpoint: endpoint.to_owned(),
            message: format!(
                "invalid JSON in the response with status {}: {error}",
                self.status
            ),
        })
    }
}

/// The failure of one attempt.
enum Failure {
    Network(String),
    RateLimited,
    Server { status: u16, message: String },
    Rejected { status: u16, message: String },
}

/// An HTTP client for one provider, with its retry policy and response dialect.
#[derive(Debug)]
pub(crate) struct ApiClient {
    pub system: System,
    dialect: Dialect,
    http: reqwest::Client,
    retry: RetryPolicy,
}

impl ApiClient {
    pub(crate) fn new(
        system: System,
        dialect: Dialect,
        settings: &HttpSettings,
    ) -> Result<Self, ActionError> {
        settings.validate(system)?;
        let (timeout, connect_timeout) = timeouts(settings);
        // Redirects are not followed: a redirect in response to a containment call means a
        // misconfigured base URL, and following it could send the credentials elsewhere.
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("riposte/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                configuration(system, format!("failed to build the HTTP client: {error}"))
            })?;
        Ok(Self {
            system,
            dialect,
            http,
            retry: settings.retry_policy(),
        })
    }

    /// Makes `call`, retrying network errors, HTTP 429 and 5xx under the retry policy, and
    /// records every attempt in `log`. `authorization` is the `Authorization` header value.
    pub(crate) async fn send(
        &self,
        call: &Call,
        authorization: Option<&Sensitive>,
        log: &mut CallLog,
    ) -> Result<Response, ActionError> {
        // The attempts run one after the other, but `retry` takes a closure that returns a
        // future, so the log is shared through a mutex that no attempt holds across an await.
        let log = Mutex::new(log);
        let log = &log;
        let outcome = retry(&self.retry, |number| async move {
            let started = Instant::now();
            let result = self.attempt(call, authorization).await;
            let duration_ms = millis(started.elapsed());
            let (attempt, status, error) = self.classify(result);
            if let Some(error) = &error {
                tracing::debug!(
                    connector = %self.system,
                    method = %call.api.method,
                    endpoint = %call.api.endpoint,
                    attempt = number,
                    status,
                    error = %error,
                    "API call failed"
                );
            }
            let record = ApiCallRecord {
                call: call.api.clone(),
                status,
                duration_ms,
                attempt: number,
                error,
            };
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(record);
            attempt
        })
        .await;
        outcome.map_err(|(failure, attempts)| self.error(&call.api.endpoint, failure, attempts))
    }

    async fn attempt(
        &self,
        call: &Call,
        authorization: Option<&Sensitive>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), reqwest::Error> {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.expose())
            .header(ACCEPT, "application/json");
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, secret_header(value));
        }
        for (name, value) in &call.headers {
            request = request.header(name.clone(), secret_header(value));
        }
        request = match &call.body {
            Body::Empty => request,
            Body::Json(value) => request.json(value),
            Body::Raw {
                content_type,
                bytes,
            } => request
                .header(CONTENT_TYPE, *content_type)
                .body(bytes.clone()),
            Body::Form(fields) => {
                let fields: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(name, value)| (*name, value.expose()))
                    .collect();
                request.form(&fields)
            }
        };
        let mut response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                // The status and headers are what matter for a call whose body is too long.
                let room = MAX_BODY_BYTES.saturating_sub(body.len());
                body.extend_from_slice(chunk.get(..room).unwrap_or_default());
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body))
    }

    /// Turns one attempt's result into the retry decision, the status and the error to record.
    fn classify(
        &self,
        result: Result<(StatusCode, HeaderMap, Vec<u8>), reqwest::Error>,
    ) -> (Attempt<Response, Failure>, Option<u16>, Option<String>) {
        let (status, headers, body) = match result {
            Ok(parts) => parts,
            Err(error) => {
                let message = network_message(error);
                return (
                    Attempt::Retry {
                        after: None,
                        error: Failure::Network(message.clone()),
                    },
                    None,
                    Some(message),
                );
            }
        };
        let code = status.as_u16();
        if status.is_success() {
            return (
                Attempt::Done(Response { status: code, body }),
                Some(code),
                None,
            );
        }
        let hint = self.dialect.retry_hint(&headers, chrono::Utc::now());
        if status == StatusCode::TOO_MANY_REQUESTS {
            let note = match hint {
                Some(wait) => format!("rate limited; the server asked to retry after {wait:?}"),
                None => "rate limited; the server gave no retry hint".to_owned(),
            };
            return (
                Attempt::Retry {
                    after: hint,
                    error: Failure::RateLimited,
                },
                Some(code),
                Some(note),
            );
        }
        if status.is_redirection() {
            let message = "unexpected redirect: check the base URL".to_owned();
            return (
                Attempt::Fail(Failure::Rejected {
                    status: code,
                    message: message.clone(),
                }),
                Some(code),
                Some(message),
            );
        }
        let message = self.dialect.error_message(&body).unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no error message in the response")
                .to_owned()
        });
        if status.is_server_error() {
            return (
                Attempt::Retry {
                    after: hint,
                    error: Failure::Server {
                        status: code,
                        message: message.clone(),
                    },
                },
                Some(code),
                Some(message),
            );
        }
        (
            Attempt::Fail(Failure::Rejected {
                status: code,
                message: message.clone(),
            }),
            Some(code),
            Some(message),
        )
    }

    fn error(&self, endpoint: &str, failure: Failure, attempts: u32) -> ActionError {
        let system = self.system;
        let endpoint = endpoint.to_owned();
        match failure {
            Failure::RateLimited => ActionError::RateLimited {
                system,
                endpoint,
                attempts,
            },
            Failure::Rejected { status, message } => ActionError::Rejected {
                system,
                endpoint,
                status,
                message,
            },
            Failure::Server { status, message } => ActionError::Transport {
                system,
                endpoint,
                message: format!(
                    "server error with status {status} after {attempts} attempts: {message}"
                ),
            },
            Failure::Network(message) => ActionError::Transport {
                system,
                endpoint,
                message: format!("{message} (after {attempts} attempts)"),
            },
        }
    }
}

/// Builds a header value marked sensitive, so that `hyper` never prints it either.
fn secret_header(value: &Sensitive) -> HeaderValue {
    match HeaderValue::from_str(value.expose()) {
        Ok(mut header) => {
            header.set_sensitive(true);
            header
        }
        // A secret with a control character cannot be sent. An empty value makes the
        // provider reject the call with 401, which names the problem.
        Err(_) => HeaderValue::from_static(""),
    }
}

/// Describes a network error without its URL, which may contain a secret.
fn network_message(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "failed to read the response"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Percent-encodes one path segment: every byte but the RFC 3986 unreserved characters, and
/// the dots of `.` and `..`, so that an identifier can never change the path it is put in.
pub(crate) fn segment(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    let only_dots = !value.is_empty() && value.bytes().all(|byte| byte == b'.');
    for byte in value.bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~');
        if unreserved || (byte == b'.' && !only_dots) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Rejects an empty identifier, which would drop a segment from the path.
pub(crate) fn require_id(
    system: System,
    action: &'static str,
    field: &str,
    value: &str,
) -> Result<(), ActionError> {
    if value.trim().is_empty() {
        // NOTE: the action contract has no error for an invalid request, so an empty
        // identifier is reported as a configuration error.
        return Err(configuration(
            system,
            format!("empty `{field}` in `{action}`: expected an identifier"),
        ));
    }
    if value.bytes().all(|byte| byte == b'.') {
        // URL parsers resolve `.` and `..` segments, even percent-encoded, so the request
        // would reach another path than the one planned and audited.
        return Err(configuration(
            system,
            format!("invalid `{field}` `{value}` in `{action}`: expected an identifier"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_not_identifiers() {
        for value in [".", "..", "..."] {
            let error = require_id(System::Okta, "okta_clear_sessions", "user_id", value)
                .unwrap_err()
                .to_string();
            assert!(error.contains("expected an identifier"), "{error}");
        }
        assert!(require_id(System::Okta, "okta_clear_sessions", "user_id", "a.b").is_ok());
    }

    #[test]
    fn segment_encodes_reserved_characters() {
        assert_eq!(segment("00u1abcd"), "00u1abcd");
        assert_eq!(segment("alice@example.com"), "alice%40example.com");
        assert_eq!(segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(segment(".."), "%2E%2E");
        assert_eq!(segment("."), "%2E");
        assert_eq!(segment("caf\u{e9}"), "caf%C3%A9");
    }

    #[test]
    fn empty_id_is_rejected() {
        let error = require_id(System::Okta, "okta_suspend_user", "user_id", " ").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid okta connector configuration: empty `user_id` in `okta_suspend_user`: \
             expected an identifier"
        );
    }
}

//! Provider conventions for rate-limit waits and error messages.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{DATE, HeaderMap, RETRY_AFTER};
use serde_json::Value;

/// Maximum length of an error message kept from a response, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// A provider's conventions for rate-limit headers and error bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `X-Rate-Limit-Reset` (epoch seconds); errors in `errorSummary` and `errorCauses`.
    Okta,
    /// `Retry-After` (seconds); errors in `error.message`.
    Graph,
    /// The Microsoft identity platform token endpoint: errors in `error_description`.
    EntraToken,
    /// `X-RateLimit-RetryAfter` (epoch seconds); errors in `errors[].message`.
    Falcon,
    /// `Retry-After`; the error is the body text, when short.
    Webhook,
}

impl Dialect {
    /// Returns the wait the server requested before the next attempt, if any.
    ///
    /// Epoch-second headers are read relative to the response's `Date` header when there is
    /// one, so that a skewed local clock neither shortens nor stretches the wait. `now` is
    /// used otherwise. `Retry-After` is read for every provider as a fallback.
    pub(crate) fn retry_hint(self, headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
        let server_now = header_text(headers, DATE.as_str())
            .and_then(parse_http_date)
            .unwrap_or(now);
        let epoch_header = match self {
            Self::Okta => Some("x-rate-limit-reset"),
            Self::Falcon => Some("x-ratelimit-retryafter"),
            Self::Graph | Self::EntraToken | Self::Webhook => None,
        };
        let reset = epoch_header
            .and_then(|name| header_text(headers, name))
            .and_then(|text| text.parse::<i64>().ok());
        if let Some(reset) = reset {
            return Some(until_epoch(reset, server_now));
        }
        let retry_after = header_text(headers, RETRY_AFTER.as_str())?;
        if let Ok(seconds) = retry_after.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        let at = parse_http_date(retry_after)?;
        Some((at - server_now).to_std().unwrap_or(Duration::ZERO))
    }

    /// Returns the provider's error message from an error response body, if it has one.
    pub(crate) fn error_message(self, body: &[u8]) -> Option<String> {
        if self == Self::Webhook {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            return (!text.is_empty()).then(|| clean(text));
        }
        let json: Value = serde_json::from_slice(body).ok()?;
        let message = match self {
            Self::Okta => okta_message(&json),
            Self::Graph | Self::EntraToken => graph_message(&json),
            Self::Falcon => falcon_message(&json),
            Self::Webhook => None,
        }?;
        Some(clean(&message))
    }
}

/// Okta: `errorSummary`, followed by the summaries of `errorCauses`.
fn okta_message(json: &Value) -> Option<String> {
    let mut message = json.get("errorSummary")?.as_str()?.to_owned();
    let causes: Vec<&str> = json
        .get("errorCauses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|cause| cause.get("errorSummary").and_then(Value::as_str))
        .collect();
    if !causes.is_empty() {
        message.push_str(" (");
        message.push_str(&causes.join("; "));
        message.push(')');
    }
    Some(message)
}

/// Microsoft Graph: `error.message`; the token endpoint: `error_description`, else `error`.
fn graph_message(json: &Value) -> Option<String> {
    match json.get("error")? {
        Value::Object(error) => error.get("message")?.as_str().map(str::to_owned),
        Value::String(code) => Some(
            json.get("error_description")
                .and_then(Value::as_str)
                .unwrap_or(code)
                .to_owned(),
        ),
        _ => None,
    }
}

/// CrowdStrike: the `message` of every entry of `errors`.
fn falcon_message(json: &Value) -> Option<String> {
    let messages: Vec<&str> = json
        .get("errors")?
        .as_array()?
        .iter()
        .filter_map(|error| error.get("message").and_then(Value::as_str))
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

/// Returns the errors a CrowdStrike response lists even with a success status.
pub(crate) fn falcon_errors(json: &Value) -> Option<String> {
    falcon_message(json).map(|message| clean(&message))
}

/// Keeps a message on one line and within [`MAX_MESSAGE_CHARS`].
fn clean(message: &str) -> String {
    let mut cleaned: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if message.chars().count() > MAX_MESSAGE_CHARS {
        cleaned.push('…');
    }
    cleaned
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// Parses an HTTP date (`Tue, 15 Nov 1994 08:12:31 GMT`, RFC 9110 section 5.6.7).
fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|date| date.with_timezone(&Utc))
}

/// Returns the time from `now` to the epoch second `reset`, or zero when it has passed.
fn until_epoch(reset: i64, now: DateTime<Utc>) -> Duration {
    let Some(reset) = DateTime::from_timestamp(reset, 0) else {
        return Duration::ZERO;
    };
    (reset - now).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn okta_reset_is_relative_to_the_date_header() {
        // 1735689600 is 2025-01-01T00:00:00Z; the local clock is an hour behind the server.
        let map = headers(&[
            ("x-rate-limit-reset", "1735689605"),
            ("date", "Wed, 01 Jan 2025 00:00:00 GMT"),
        ]);
        let local = at("2024-12-31T23:00:00Z");
        assert_eq!(
            Dialect::Okta.retry_hint(&map, local),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn okta_reset_uses_local_clock_without_date() {
        let map = headers(&[("x-rate-limit-reset", "1735689607")]);
        let local = at("2025-01-01T00:00:00Z");
        assert_eq!(
            Dialect::Okta.retry_hint(&map, local),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn past_reset_means_no_wait() {
        let map = headers(&[("x-rate-limit-reset", "1735689000")]);
        let local = at("2025-01-01T00:00:00Z");
        assert_eq!(Dialect::Okta.retry_hint(&map, local), Some(Duration::ZERO));
    }

    #[test]
    fn falcon_retry_after_is_an_epoch_second() {
        let map = headers(&[
            ("x-ratelimit-retryafter", "1735689603"),
            ("date", "Wed, 01 Jan 2025 00:00:00 GMT"),
        ]);
        assert_eq!(
            Dialect::Falcon.retry_hint(&map, at("2030-01-01T00:00:00Z")),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn graph_retry_after_is_seconds() {
        let map = headers(&[("retry-after", "12")]);
        assert_eq!(
            Dialect::Graph.retry_hint(&map, Utc::now()),
            Some(Duration::from_secs(12))
        );
    }

    #[test]
    fn retry_after_accepts_an_http_date() {
        let map = headers(&[
            ("retry-after", "Wed, 01 Jan 2025 00:00:09 GMT"),
            ("date", "Wed, 01 Jan 2025 00:00:00 GMT"),
        ]);
        assert_eq!(
            Dialect::Webhook.retry_hint(&map, Utc::now()),
            Some(Duration::from_secs(9))
        );
    }

    #[test]
    fn okta_falls_back_to_retry_after() {
        let map = headers(&[("retry-after", "2")]);
        assert_eq!(
            Dialect::Okta.retry_hint(&map, Utc::now()),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn no_header_means_no_hint() {
        assert_eq!(
            Dialect::Graph.retry_hint(&HeaderMap::new(), Utc::now()),
            None
        );
        let garbled = headers(&[("x-rate-limit-reset", "soon")]);
        assert_eq!(Dialect::Okta.retry_hint(&garbled, Utc::now()), None);
    }

    #[test]
    fn okta_message_includes_causes() {
        let body = br#"{"errorCode":"E0000001","errorSummary":"Api validation failed: login",
            "errorCauses":[{"errorSummary":"login: An object with this field already exists"}]}"#;
        assert_eq!(
            Dialect::Okta.error_message(body).unwrap(),
            "Api validation failed: login (login: An object with this field already exists)"
        );
    }

    #[test]
    fn graph_message_reads_error_message() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied",
            "message":"Insufficient privileges to complete the operation."}}"#;
        assert_eq!(
            Dialect::Graph.error_message(body).unwrap(),
            "Insufficient privileges to complete the operation."
        );
    }

    #[test]
    fn token_endpoint_message_reads_error_description() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        assert_eq!(
            Dialect::EntraToken.error_message(body).unwrap(),
            "AADSTS7000215: Invalid client secret provided."
        );
    }

    #[test]
    fn falcon_message_joins_errors() {
        let body =
            br#"{"meta":{},"errors":[{"code":404,"message":"a"},{"code":404,"message":"b"}]}"#;
        assert_eq!(Dialect::Falcon.error_message(body).unwrap(), "a; b");
    }

    #[test]
    fn message_is_one_line_and_bounded() {
        let long = format!("line one\nline two {}", "x".repeat(400));
        let message = Dialect::Webhook.error_message(long.as_bytes()).unwrap();
        assert!(message.starts_with("line one line two"));
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert_eq!(Dialect::Okta.error_message(b"<html>"), None);
    }
}

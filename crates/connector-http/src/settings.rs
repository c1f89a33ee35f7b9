//! Settings shared by every HTTP connector: timeouts, retries, base URLs and secrets.
//!
//! Secrets are read from environment variables named in the settings (`token_env`,
//! `client_secret_env`), so that a configuration file can be shared and versioned. A secret
//! may still be written in the file itself (`token`, `client_secret`) when the operator
//! insists, and the connector then logs a warning when it is built.

use std::time::Duration;

use riposte_action::{ActionError, RetryPolicy, System};
use riposte_model::Sensitive;
use serde::{Deserialize, Deserializer};

/// Timeouts and retries of one connector's HTTP client.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Time allowed for one request, from connecting to the end of the response body.
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Attempts per API call, the first included.
    pub max_attempts: u32,
    /// Wait before the first retry when the provider sends no rate-limit hint. It doubles on
    /// each further retry.
    pub base_delay_ms: u64,
    /// Maximum wait between two attempts. A provider asking for a longer wait is not waited
    /// for: the call fails as rate limited.
    pub max_delay_secs: u64,
}

impl Default for HttpSettings {
    /// Returns a 10 s request timeout, a 5 s connect timeout, and the retries of
    /// [`RetryPolicy::default`]: four attempts, waits of at most 30 s.
    fn default() -> Self {
        let retry = RetryPolicy::default();
        Self {
            timeout_secs: 10,
            connect_timeout_secs: 5,
            max_attempts: retry.max_attempts,
            base_delay_ms: u64::try_from(retry.base_delay.as_millis()).unwrap_or(500),
            max_delay_secs: retry.max_delay.as_secs(),
        }
    }
}

impl HttpSettings {
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts.max(1),
            base_delay: Duration::from_millis(self.base_delay_ms),
            max_delay: Duration::from_secs(self.max_delay_secs),
        }
    }

    pub(crate) fn validate(&self, system: System) -> Result<(), ActionError> {
        if self.timeout_secs == 0 {
            return Err(configuration(
                system,
                "invalid `timeout_secs` `0`: expected at least 1 second",
            ));
        }
        if self.connect_timeout_secs == 0 {
            return Err(configuration(
                system,
                "invalid `connect_timeout_secs` `0`: expected at least 1 second",
            ));
        }
        if self.max_attempts == 0 {
            return Err(configuration(
                system,
                "invalid `max_attempts` `0`: expected at least 1 attempt",
            ));
        }
        Ok(())
    }
}

/// The source of environment variables for the connectors.
///
/// Production code uses [`ProcessEnvironment`]. Tests pass a closure, because changing the
/// process environment is not thread-safe.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The environment of the running process.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Environment for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// One secret setting: written in the file (`inline`) or named by an environment variable.
pub(crate) struct SecretSetting<'a> {
    /// The field that contains the secret itself, such as `token`.
    pub field: &'a str,
    pub inline: Option<&'a Sensitive>,
    /// The field that names the environment variable, such as `token_env`.
    pub env_field: &'a str,
    pub env_name: Option<&'a str>,
    pub default_env_name: &'a str,
}

impl SecretSetting<'_> {
    /// Returns the secret, from the file or else from the environment variable.
    pub(crate) fn resolve(
        &self,
        system: System,
        environment: &dyn Environment,
    ) -> Result<Sensitive, ActionError> {
        if let Some(value) = self.inline {
            if let Some(name) = self.env_name {
                return Err(configuration(
                    system,
                    format!(
                        "both `{}` and `{}` (`{name}`) are set: keep one, preferably `{}`",
                        self.field, self.env_field, self.env_field
                    ),
                ));
            }
            if value.expose().trim().is_empty() {
                return Err(configuration(
                    system,
                    format!("empty `{}`: expected a secret", self.field),
                ));
            }
            tracing::warn!(
                connector = %system,
                field = self.field,
                "a secret is written in the configuration file; prefer an environment variable"
            );
            return Ok(value.clone());
        }
        let name = self.env_name.unwrap_or(self.default_env_name);
        match environment.var(name) {
            Some(value) if !value.trim().is_empty() => Ok(Sensitive::new(value.trim())),
            Some(_) => Err(configuration(
                system,
                format!(
                    "environment variable `{name}` named by `{}` is empty: expected the secret",
                    self.env_field
                ),
            )),
            None => Err(configuration(
                system,
                format!(
                    "environment variable `{name}` named by `{}` is not set: set it to the \
                     secret, or name another variable",
                    self.env_field
                ),
            )),
        }
    }
}

/// Deserializes an optional secret straight into [`Sensitive`], so that it never sits in a
/// plain `String` that `Debug` would print.
pub(crate) fn deserialize_secret<'de, D>(deserializer: D) -> Result<Option<Sensitive>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.map(Sensitive::new))
}

/// Checks a base URL and returns it without its trailing `/`.
///
/// The URL must use `https`, except on loopback addresses where `http` is accepted for local
/// test servers. It must not carry credentials, a query or a fragment.
pub(crate) fn base_url(system: System, field: &str, value: &str) -> Result<String, ActionError> {
    let url = reqwest::Url::parse(value).map_err(|error| {
        configuration(
            system,
            format!("invalid `{field}` `{value}`: {error}; expected an absolute URL"),
        )
    })?;
    check_url(system, field, &url, value)?;
    if url.query().is_some() {
        return Err(configuration(
            system,
            format!("invalid `{field}` `{value}`: expected no query"),
        ));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// Checks a URL that is itself a secret, such as a chat webhook whose path is its token.
/// Error messages name only its fingerprint.
pub(crate) fn secret_url(
    system: System,
    field: &str,
    value: &Sensitive,
) -> Result<reqwest::Url, ActionError> {
    let url = reqwest::Url::parse(value.expose()).map_err(|error| {
        configuration(
            system,
            format!("invalid `{field}` ({value}): {error}; expected an absolute URL"),
        )
    })?;
    check_url(system, field, &url, &value.to_string())?;
    Ok(url)
}

fn check_url(
    system: System,
    field: &str,
    url: &reqwest::Url,
    shown: &str,
) -> Result<(), ActionError> {
    let host = url.host_str().unwrap_or_default();
    if !url.username().is_empty() || url.password().is_some() {
        // The credentials are left out of the message: it goes to the terminal and the logs.
        return Err(configuration(
            system,
            format!(
                "invalid `{field}` `{}://…@{host}`: expected no credentials in the URL",
                url.scheme()
            ),
        ));
    }
    let loopback = riposte_action::is_loopback_host(host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        scheme => {
            return Err(configuration(
                system,
                format!(
                    "invalid `{field}` `{shown}`: scheme `{scheme}` is not allowed; expected \
                     `https` (`http` only on a loopback address)"
                ),
            ));
        }
    }
    if url.host().is_none() {
        return Err(configuration(
            system,
            format!("invalid `{field}` `{shown}`: expected a host"),
        ));
    }
    if url.fragment().is_some() {
        return Err(configuration(
            system,
            format!("invalid `{field}` `{shown}`: expected no fragment"),
        ));
    }
    Ok(())
}

pub(crate) fn configuration(system: System, message: impl Into<String>) -> ActionError {
    ActionError::Configuration {
        system,
        message: message.into(),
    }
}

pub(crate) fn timeouts(settings: &HttpSettings) -> (Duration, Duration) {
    (
        Duration::from_secs(settings.timeout_secs),
        Duration::from_secs(settings.connect_timeout_secs),
    )
}

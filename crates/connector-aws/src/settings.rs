//! The connector's configuration and the AWS SDK configuration built from it.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use riposte_action::{ActionError, System};
use serde::Deserialize;

/// Attempts per SDK call, the first included, in the SDK's standard retry mode. The standard
/// mode retries throttling errors, HTTP 5xx responses, timeouts and connection failures with
/// exponential backoff and jitter, within a client-side retry quota.
pub const MAX_ATTEMPTS: u32 = 4;

const DEFAULT_ATTEMPT_TIMEOUT_SECS: u64 = 15;
const DEFAULT_OPERATION_TIMEOUT_SECS: u64 = 60;

/// The connector's AWS endpoint, region, profile and timeouts.
///
/// Credentials never appear here: the SDK's standard chain finds them (environment variables,
/// the shared config and credentials files with `profile`, web identity, ECS and EC2 instance
/// roles).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// The region of the Secrets Manager secrets, and the signing region. IAM is global, so
    /// IAM calls go to the partition's IAM endpoint whatever the region.
    pub region: String,
    /// Sends every call to this URL instead of the AWS endpoints, such as a local emulator.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The shared-config profile to take credentials from; the `default` profile when unset.
    #[serde(default)]
    pub profile: Option<String>,
    /// Time limit of one attempt of one call, in seconds. Default 15.
    #[serde(default = "default_attempt_timeout_secs")]
    pub attempt_timeout_secs: u64,
    /// Time limit of one call with all its retries, in seconds. Default 60.
    #[serde(default = "default_operation_timeout_secs")]
    pub operation_timeout_secs: u64,
}

fn default_attempt_timeout_secs() -> u64 {
    DEFAULT_ATTEMPT_TIMEOUT_SECS
}

fn default_operation_timeout_secs() -> u64 {
    DEFAULT_OPERATION_TIMEOUT_SECS
}

impl AwsSettings {
    /// Returns settings for `region` with the defaults for everything else.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            endpoint_url: None,
            profile: None,
            attempt_timeout_secs: DEFAULT_ATTEMPT_TIMEOUT_SECS,
            operation_timeout_secs: DEFAULT_OPERATION_TIMEOUT_SECS,
        }
    }

    /// Checks the values the SDK would only reject at the first call.
    pub fn validate(&self) -> Result<(), ActionError> {
        let region_ok = !self.region.is_empty()
            && self
                .region
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
        if !region_ok {
            return Err(configuration(format!(
                "invalid region `{}`: expected a region name such as `us-east-1`",
                self.region
            )));
        }
        if let Some(url) = &self.endpoint_url {
            check_endpoint_url(url)?;
        }
        if self.profile.as_deref() == Some("") {
            return Err(configuration(
                "invalid profile ``: expected a profile name, or no profile for the default"
                    .to_owned(),
            ));
        }
        if self.attempt_timeout_secs == 0 || self.operation_timeout_secs == 0 {
            return Err(configuration(format!(
                "invalid timeouts `attempt_timeout_secs = {}`, `operation_timeout_secs = {}`: \
                 expected whole seconds above 0",
                self.attempt_timeout_secs, self.operation_timeout_secs
            )));
        }
        Ok(())
    }

    /// Returns the SDK configuration loader for these settings: region, endpoint, profile,
    /// timeouts and the standard retry mode with [`MAX_ATTEMPTS`] attempts. Tests add their
    /// own credentials provider to it before loading.
    pub fn config_loader(&self) -> ConfigLoader {
        let timeouts = TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_secs(self.attempt_timeout_secs))
            .operation_timeout(Duration::from_secs(self.operation_timeout_secs))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(self.region.clone()))
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(timeouts);
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile.clone());
        }
        loader
    }
}

/// Checks an endpoint URL: a host, no credentials, and `https`. Plain `http` is accepted on a
/// loopback address only, because the signed requests carry the session token in a header.
fn check_endpoint_url(url: &str) -> Result<(), ActionError> {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) if scheme == "https" || scheme == "http" => (scheme, rest),
        _ => {
            return Err(configuration(format!(
                "invalid endpoint_url `{url}`: expected an http:// or https:// URL"
            )));
        }
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(configuration(format!(
            "invalid endpoint_url `{scheme}://…@{}`: expected no credentials in the URL",
            authority.rsplit('@').next().unwrap_or_default()
        )));
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err(configuration(format!(
            "invalid endpoint_url `{url}`: expected a host"
        )));
    }
    if scheme == "http" && !riposte_action::is_loopback_host(host) {
        return Err(configuration(format!(
            "invalid endpoint_url `{url}`: scheme `http` is allowed only on a loopback address; \
             expected `https`"
        )));
    }
    Ok(())
}

fn configuration(message: String) -> ActionError {
    ActionError::Configuration {
        system: System::Aws,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_with_defaults() {
        let settings: AwsSettings = toml::from_str("region = \"eu-west-1\"").unwrap();
        assert_eq!(settings, AwsSettings::new("eu-west-1"));
        assert_eq!(settings.attempt_timeout_secs, 15);
        assert_eq!(settings.operation_timeout_secs, 60);
        assert!(settings.validate().is_ok());
    }

    #[test]
    fn settings_reject_unknown_fields() {
        let error =
            toml::from_str::<AwsSettings>("region = \"eu-west-1\"\naws_secret_access_key = \"x\"")
                .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unknown field `aws_secret_access_key`"),
            "{error}"
        );
    }

    #[test]
    fn settings_reject_bad_values() {
        let mut settings = AwsSettings::new("EU West");
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "invalid aws connector configuration: invalid region `EU West`: expected a region \
             name such as `us-east-1`"
        );

        settings.region = "us-east-1".into();
        settings.endpoint_url = Some("localhost:5000".into());
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "invalid aws connector configuration: invalid endpoint_url `localhost:5000`: \
             expected an http:// or https:// URL"
        );

        for (url, problem) in [
            (
                "http://0.0.0.0:5999",
                "invalid endpoint_url `http://0.0.0.0:5999`: scheme `http` is allowed only on a \
                 loopback address; expected `https`",
            ),
            (
                "http://aws.example.com",
                "invalid endpoint_url `http://aws.example.com`: scheme `http` is allowed only on \
                 a loopback address; expected `https`",
            ),
            (
                "https://user:PASS@aws.example.com/",
                "invalid endpoint_url `https://…@aws.example.com`: expected no credentials in the \
                 URL",
            ),
            (
                "https://",
                "invalid endpoint_url `https://`: expected a host",
            ),
        ] {
            settings.endpoint_url = Some(url.into());
            let message = settings.validate().unwrap_err().to_string();
            assert_eq!(
                message,
                format!("invalid aws connector configuration: {problem}")
            );
            assert!(!message.contains("PASS"), "{message}");
        }
        for url in [
            "https://iam.example.com",
            "http://localhost:5000",
            "http://[::1]:5000",
            "http://127.0.0.1:5000",
        ] {
            settings.endpoint_url = Some(url.into());
            assert!(settings.validate().is_ok(), "{url}");
        }

        settings.endpoint_url = Some("http://127.0.0.1:5000".into());
        settings.attempt_timeout_secs = 0;
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "invalid aws connector configuration: invalid timeouts `attempt_timeout_secs = 0`, \
             `operation_timeout_secs = 60`: expected whole seconds above 0"
        );

        settings.attempt_timeout_secs = 5;
        assert!(settings.validate().is_ok());
    }
}

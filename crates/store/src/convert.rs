//! Conversions between Rust values and column values.

use std::path::Path;

use chrono::DateTime;
use riposte_model::{IdentityKind, Provider, Severity, Timestamp};

use crate::StoreError;

/// Every provider, to read the `provider` column back.
const PROVIDERS: [Provider; 3] = [Provider::Aws, Provider::Okta, Provider::Entra];

/// Every identity kind, to read the `kind` column back. `kind_is_listed` fails to compile
/// when the model gains a kind, so that this list is extended with it.
const KINDS: [IdentityKind; 14] = [
    IdentityKind::Human,
    IdentityKind::AwsRoot,
    IdentityKind::IamUserAccessKey,
    IdentityKind::AssumedRoleSession,
    IdentityKind::InstanceRoleSession,
    IdentityKind::FunctionRoleSession,
    IdentityKind::WebIdentitySession,
    IdentityKind::AwsService,
    IdentityKind::OktaServiceApp,
    IdentityKind::EntraServicePrincipal,
    IdentityKind::EntraManagedIdentity,
    IdentityKind::ProviderSystem,
    IdentityKind::NetworkSource,
    IdentityKind::Unknown,
];

const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// Returns whether `kind` is in [`KINDS`]. The match has no wildcard on purpose.
#[cfg(test)]
fn kind_is_listed(kind: IdentityKind) -> bool {
    match kind {
        IdentityKind::Human
        | IdentityKind::AwsRoot
        | IdentityKind::IamUserAccessKey
        | IdentityKind::AssumedRoleSession
        | IdentityKind::InstanceRoleSession
        | IdentityKind::FunctionRoleSession
        | IdentityKind::WebIdentitySession
        | IdentityKind::AwsService
        | IdentityKind::OktaServiceApp
        | IdentityKind::EntraServicePrincipal
        | IdentityKind::EntraManagedIdentity
        | IdentityKind::ProviderSystem
        | IdentityKind::NetworkSource
        | IdentityKind::Unknown => KINDS.contains(&kind),
    }
}

pub(crate) fn parse_provider(text: &str) -> Option<Provider> {
    PROVIDERS
        .into_iter()
        .find(|provider| provider.as_str() == text)
}

pub(crate) fn parse_kind(text: &str) -> Option<IdentityKind> {
    KINDS.into_iter().find(|kind| kind.as_str() == text)
}

pub(crate) fn parse_severity(text: &str) -> Option<Severity> {
    SEVERITIES
        .into_iter()
        .find(|severity| severity.as_str() == text)
}

/// Returns the milliseconds since the Unix epoch, rounded down.
pub(crate) fn to_millis(time: Timestamp) -> i64 {
    time.timestamp_millis()
}

/// Reads a time column back.
pub(crate) fn from_millis(
    path: &Path,
    table: &'static str,
    column: &'static str,
    millis: i64,
) -> Result<Timestamp, StoreError> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| StoreError::InvalidValue {
        path: path.to_owned(),
        table,
        column,
        value: millis.to_string(),
        expected: "expected milliseconds since 1970-01-01 within chrono's range",
    })
}

/// Converts a count or size for an INTEGER column, whose maximum is `i64::MAX`.
pub(crate) fn to_integer(
    path: &Path,
    table: &'static str,
    column: &'static str,
    value: u64,
) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Unwritable {
        path: path.to_owned(),
        table,
        column,
        value: value.to_string(),
        expected: "expected at most 9223372036854775807",
    })
}

/// Reads a count or size column back: SQLite has no unsigned type, and the schema's CHECK
/// constraints keep these columns non-negative.
pub(crate) fn from_integer(
    path: &Path,
    table: &'static str,
    column: &'static str,
    value: i64,
) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::InvalidValue {
        path: path.to_owned(),
        table,
        column,
        value: value.to_string(),
        expected: "expected a count of zero or more",
    })
}

/// Builds the error for a text column holding a value outside its set.
pub(crate) fn invalid_text(
    path: &Path,
    table: &'static str,
    column: &'static str,
    value: &str,
    expected: &'static str,
) -> StoreError {
    StoreError::InvalidValue {
        path: path.to_owned(),
        table,
        column,
        value: value.to_owned(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_kind_reads_back() {
        for kind in KINDS {
            assert!(kind_is_listed(kind));
            assert_eq!(parse_kind(kind.as_str()), Some(kind));
        }
        assert_eq!(parse_kind("Human"), None);
    }

    #[test]
    fn every_provider_and_severity_reads_back() {
        for provider in PROVIDERS {
            assert_eq!(parse_provider(provider.as_str()), Some(provider));
        }
        for severity in SEVERITIES {
            assert_eq!(parse_severity(severity.as_str()), Some(severity));
        }
        assert_eq!(parse_provider("gcp"), None);
    }

    #[test]
    fn millis_truncate_sub_millisecond_digits() {
        let time = chrono::Utc
            .timestamp_opt(1_700_000_000, 123_456_789)
            .single()
            .unwrap();
        let millis = to_millis(time);
        assert_eq!(millis, 1_700_000_000_123);
        let back = from_millis(Path::new("s.db"), "t", "c", millis).unwrap();
        assert_eq!(back.timestamp_subsec_nanos(), 123_000_000);
    }

    #[test]
    fn out_of_range_millis_name_the_column() {
        let error = from_millis(Path::new("s.db"), "identities", "last_seen", i64::MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "invalid value `9223372036854775807` in `identities.last_seen` of state file `s.db`: expected milliseconds since 1970-01-01 within chrono's range"
        );
    }

    #[test]
    fn counts_above_i64_are_rejected() {
        let error = to_integer(Path::new("s.db"), "runs", "records", u64::MAX)
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "cannot write `18446744073709551615` to `runs.records` of state file `s.db`: expected at most 9223372036854775807"
        );
    }
}

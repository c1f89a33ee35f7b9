//! Timestamps written the way each provider writes them.

use chrono::{DateTime, Timelike, Utc};

/// CloudTrail `eventTime`: RFC 3339 in UTC, whole seconds (`2024-05-07T08:41:41Z`).
pub fn cloudtrail(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Okta `published`: RFC 3339 in UTC with milliseconds (`2024-05-07T08:41:37.120Z`).
pub fn okta(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Azure Monitor envelope `time`: seven fractional digits and `Z`
/// (`2024-05-07T08:15:02.1234567Z`).
pub fn azure_envelope(time: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        time.format("%Y-%m-%dT%H:%M:%S"),
        time.nanosecond() % 1_000_000_000 / 100
    )
}

/// Entra `createdDateTime` and `activityDateTime`: seven fractional digits and `+00:00`.
pub fn entra_property(time: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}+00:00",
        time.format("%Y-%m-%dT%H:%M:%S"),
        time.nanosecond() % 1_000_000_000 / 100
    )
}

/// Formats a time as STS writes `credentials.expiration` (`May 7, 2024, 9:41:41 AM`).
pub fn sts_expiration(time: DateTime<Utc>) -> String {
    time.format("%b %-d, %Y, %-I:%M:%S %p").to_string()
}

/// Formats a time as IAM writes `createDate` in responses (`May 7, 2024 8:46:03 AM`).
pub fn iam_create_date(time: DateTime<Utc>) -> String {
    time.format("%b %-d, %Y %-I:%M:%S %p").to_string()
}

/// Formats a time as CloudTrail writes it in log file names (`20240506T0905Z`).
pub fn cloudtrail_file_stamp(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%MZ").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn sample() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 7, 8, 41, 41)
            .single()
            .unwrap()
            .with_nanosecond(123_456_789)
            .unwrap()
    }

    #[test]
    fn formats_match_provider_shapes() {
        let time = sample();
        assert_eq!(cloudtrail(time), "2024-05-07T08:41:41Z");
        assert_eq!(okta(time), "2024-05-07T08:41:41.123Z");
        assert_eq!(azure_envelope(time), "2024-05-07T08:41:41.1234567Z");
        assert_eq!(entra_property(time), "2024-05-07T08:41:41.1234567+00:00");
        assert_eq!(sts_expiration(time), "May 7, 2024, 8:41:41 AM");
        assert_eq!(iam_create_date(time), "May 7, 2024 8:41:41 AM");
        assert_eq!(cloudtrail_file_stamp(time), "20240507T0841Z");
    }
}

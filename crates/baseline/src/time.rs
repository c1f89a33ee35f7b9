//! Event time in the compact units a baseline stores: seconds and days since the Unix epoch,
//! and the hour of the week.

use chrono::{DateTime, NaiveDate};
use riposte_model::Timestamp;

pub(crate) const SECONDS_PER_DAY: u32 = 86_400;

/// Hours in a week, Monday 00:00 UTC being hour 0.
pub const HOURS_PER_WEEK: u8 = 168;

/// Returns the seconds since 1970-01-01T00:00:00Z, clamped to the `u32` range: times before
/// 1970 become 0 and times after 2106-02-07T06:28:15Z become `u32::MAX`.
pub(crate) fn epoch_seconds(time: Timestamp) -> u32 {
    u32::try_from(time.timestamp().max(0)).unwrap_or(u32::MAX)
}

/// Returns the day since 1970-01-01 of a time in epoch seconds. The largest `u32` second is
/// day 49,710, well inside `u16`.
pub(crate) fn day_of(seconds: u32) -> u16 {
    u16::try_from(seconds / SECONDS_PER_DAY).unwrap_or(u16::MAX)
}

pub(crate) fn timestamp_of(seconds: u32) -> Timestamp {
    DateTime::from_timestamp(i64::from(seconds), 0).unwrap_or_default()
}

pub(crate) fn date_of(day: u16) -> NaiveDate {
    timestamp_of(u32::from(day).saturating_mul(SECONDS_PER_DAY)).date_naive()
}

/// Returns the hour of the week in UTC: 0 for Monday 00:00-00:59, 167 for Sunday 23:00-23:59.
pub fn hour_of_week(time: Timestamp) -> u8 {
    let seconds = time.timestamp();
    let days = seconds.div_euclid(i64::from(SECONDS_PER_DAY));
    // 1970-01-01 was a Thursday, day 3 of a week that starts on Monday.
    let weekday = (days + 3).rem_euclid(7);
    let hour = seconds.rem_euclid(i64::from(SECONDS_PER_DAY)) / 3600;
    u8::try_from(weekday * 24 + hour).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn hour_of_week_starts_on_monday() {
        let monday = Utc.with_ymd_and_hms(2024, 5, 6, 0, 30, 0).unwrap();
        assert_eq!(hour_of_week(monday), 0);
        let sunday = Utc.with_ymd_and_hms(2024, 5, 12, 23, 59, 59).unwrap();
        assert_eq!(hour_of_week(sunday), 167);
        let wednesday = Utc.with_ymd_and_hms(2024, 5, 8, 14, 0, 0).unwrap();
        assert_eq!(hour_of_week(wednesday), 2 * 24 + 14);
        let before_epoch = Utc.with_ymd_and_hms(1969, 12, 29, 1, 0, 0).unwrap();
        assert_eq!(hour_of_week(before_epoch), 1);
    }

    #[test]
    fn epoch_seconds_clamp() {
        let before = Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(epoch_seconds(before), 0);
        let after = Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(epoch_seconds(after), u32::MAX);
        assert_eq!(day_of(u32::MAX), 49_710);
        assert_eq!(date_of(19_849).to_string(), "2024-05-06");
    }
}

//! Timestamp parsing for every shape the supported providers emit.
//!
//! Accepted, always converted to UTC:
//! - RFC 3339 and ISO 8601 date-times with 0 to 9 fraction digits (more are truncated to
//!   nanoseconds), `T`, `t` or a space between date and time, and an offset of `Z`, `+hh:mm`,
//!   `+hhmm` or `+hh`. Without an offset the time is taken as UTC, as Entra writes it. A
//!   one-digit hour (`2023-10-26T5:32:08Z`, seen in Entra ID Protection records) is accepted.
//! - The US form of Entra and Log Analytics exports: `1/9/2007 10:41:00 AM +01:00`,
//!   `11/14/2025 1:48:53 AM`, `01/09/2007 09:41:00` (24-hour clock without AM/PM).
//! - Epoch milliseconds, as a JSON number or a string of digits.

use crate::json::Value;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use riposte_model::Timestamp;

/// A timestamp that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid timestamp `{value}`: {reason}")]
pub struct TimeError {
    pub value: String,
    pub reason: &'static str,
}

const EXPECTED: &str = "expected RFC 3339, `M/D/YYYY h:mm:ss AM [+hh:mm]` or epoch milliseconds";

/// Earliest and latest epoch milliseconds accepted: 1970-01-01 to 9999-12-31.
const EPOCH_MILLIS_RANGE: std::ops::RangeInclusive<i64> = 0..=253_402_300_799_999;

/// Fewer epoch milliseconds than this (1973-03-03T09:46:40Z) are rejected. Every time from
/// 1970 to the year 5138 is below it as epoch seconds. Such a number is therefore far more
/// likely seconds than an event of the early 1970s, and read as milliseconds it would put
/// the event in January 1970 without a warning.
const MIN_EPOCH_MILLIS: i64 = 100_000_000_000;

/// Parses a timestamp held in a JSON value: a string in any accepted form, or a number of
/// epoch milliseconds.
pub fn parse_time_value(value: &Value) -> Result<Timestamp, TimeError> {
    match value {
        Value::String(text) => parse_timestamp(text),
        Value::Number(number) => match number.as_i64() {
            Some(millis) => from_epoch_millis(millis, &number.to_string()),
            None => Err(TimeError {
                value: number.to_string(),
                reason: "epoch milliseconds must be a whole number",
            }),
        },
        other => Err(TimeError {
            value: other.to_string(),
            reason: EXPECTED,
        }),
    }
}

/// Parses a timestamp string in any accepted form.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, TimeError> {
    let trimmed = text.trim();
    let invalid = |reason| TimeError {
        value: text.to_owned(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(invalid("the value is empty"));
    }
    if trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
        let millis: i64 = trimmed
            .parse()
            .map_err(|_| invalid("epoch milliseconds out of range"))?;
        return from_epoch_millis(millis, text);
    }
    let mut cursor = Cursor::new(trimmed);
    let parsed = if trimmed.contains('/') {
        parse_us_form(&mut cursor)
    } else {
        parse_iso_form(&mut cursor)
    };
    parsed.map_err(invalid)
}

fn from_epoch_millis(millis: i64, text: &str) -> Result<Timestamp, TimeError> {
    let invalid = |reason| TimeError {
        value: text.to_owned(),
        reason,
    };
    if !EPOCH_MILLIS_RANGE.contains(&millis) {
        return Err(invalid(
            "epoch milliseconds must fall between 1970 and the year 9999",
        ));
    }
    if millis < MIN_EPOCH_MILLIS {
        return Err(invalid(
            "epoch milliseconds before 1973-03-03, which is what epoch seconds look like; write the time in milliseconds or as RFC 3339",
        ));
    }
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| invalid("epoch milliseconds out of range"))
}

/// `YYYY-MM-DD[T ]h:mm[:ss[.fraction]][offset]`
fn parse_iso_form(cursor: &mut Cursor<'_>) -> Result<Timestamp, &'static str> {
    let year = cursor.digits(4, 4).ok_or(EXPECTED)?;
    cursor.expect(b'-').ok_or(EXPECTED)?;
    let month = cursor.digits(1, 2).ok_or(EXPECTED)?;
    cursor.expect(b'-').ok_or(EXPECTED)?;
    let day = cursor.digits(1, 2).ok_or(EXPECTED)?;
    match cursor.next() {
        Some(b'T' | b't' | b' ') => {}
        _ => return Err(EXPECTED),
    }
    let (hour, minute, second, nanos) = parse_clock(cursor)?;
    let offset_secs = parse_offset(cursor)?.unwrap_or(0);
    if !cursor.at_end() {
        return Err(EXPECTED);
    }
    assemble(year, month, day, hour, minute, second, nanos, offset_secs)
}

/// `M/D/YYYY h:mm[:ss] [AM|PM] [+hh:mm]`
fn parse_us_form(cursor: &mut Cursor<'_>) -> Result<Timestamp, &'static str> {
    let month = cursor.digits(1, 2).ok_or(EXPECTED)?;
    cursor.expect(b'/').ok_or(EXPECTED)?;
    let day = cursor.digits(1, 2).ok_or(EXPECTED)?;
    cursor.expect(b'/').ok_or(EXPECTED)?;
    let year = cursor.digits(4, 4).ok_or(EXPECTED)?;
    cursor.expect(b' ').ok_or(EXPECTED)?;
    cursor.skip_spaces();
    let (mut hour, minute, second, nanos) = parse_clock(cursor)?;
    cursor.skip_spaces();
    if let Some(meridiem) = cursor.meridiem() {
        if !(1..=12).contains(&hour) {
            return Err("the hour of a 12-hour clock must be between 1 and 12");
        }
        hour = match (meridiem, hour) {
            (Meridiem::Am, 12) => 0,
            (Meridiem::Am, hour) => hour,
            (Meridiem::Pm, 12) => 12,
            (Meridiem::Pm, hour) => hour + 12,
        };
        cursor.skip_spaces();
    }
    let offset_secs = parse_offset(cursor)?.unwrap_or(0);
    if !cursor.at_end() {
        return Err(EXPECTED);
    }
    assemble(year, month, day, hour, minute, second, nanos, offset_secs)
}

/// `h:mm[:ss[.fraction]]`, returning hour, minute, second and nanoseconds.
fn parse_clock(cursor: &mut Cursor<'_>) -> Result<(u32, u32, u32, u32), &'static str> {
    let hour = cursor.digits(1, 2).ok_or(EXPECTED)?;
    cursor.expect(b':').ok_or(EXPECTED)?;
    let minute = cursor.digits(2, 2).ok_or(EXPECTED)?;
    let mut second = 0;
    let mut nanos = 0;
    if cursor.peek() == Some(b':') {
        cursor.next();
        second = cursor.digits(2, 2).ok_or(EXPECTED)?;
        if matches!(cursor.peek(), Some(b'.' | b',')) {
            cursor.next();
            nanos = cursor.fraction().ok_or(EXPECTED)?;
        }
    }
    Ok((hour, minute, second, nanos))
}

/// An optional `Z`, `+hh:mm`, `+hhmm` or `+hh`, as seconds east of UTC.
fn parse_offset(cursor: &mut Cursor<'_>) -> Result<Option<i32>, &'static str> {
    let sign = match cursor.peek() {
        Some(b'Z' | b'z') => {
            cursor.next();
            return Ok(Some(0));
        }
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Ok(None),
    };
    cursor.next();
    let hours = cursor.digits(2, 2).ok_or(EXPECTED)?;
    let minutes = if cursor.peek() == Some(b':') {
        cursor.next();
        cursor.digits(2, 2).ok_or(EXPECTED)?
    } else {
        cursor.digits(2, 2).unwrap_or(0)
    };
    if hours > 23 || minutes > 59 {
        return Err("the UTC offset is out of range");
    }
    let seconds = i32::try_from(hours * 3600 + minutes * 60).map_err(|_| EXPECTED)?;
    Ok(Some(sign * seconds))
}

#[expect(
    clippy::too_many_arguments,
    reason = "the fields of one date-time, named at the call site"
)]
fn assemble(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    offset_secs: i32,
) -> Result<Timestamp, &'static str> {
    let year = i32::try_from(year).map_err(|_| EXPECTED)?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or("the date does not exist (month or day out of range)")?;
    // A leap second (second 60) is carried by chrono as nanoseconds past 59.
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, nanos + 1_000_000_000)
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
    }
    .ok_or("the time of day is out of range")?;
    let local = NaiveDateTime::new(date, time);
    let offset =
        chrono::FixedOffset::east_opt(offset_secs).ok_or("the UTC offset is out of range")?;
    offset
        .from_local_datetime(&local)
        .single()
        .map(|moment| moment.with_timezone(&Utc))
        .ok_or("the time does not exist at that offset")
}

#[derive(Clone, Copy)]
enum Meridiem {
    Am,
    Pm,
}

/// A forward-only reader over the ASCII bytes of a timestamp.
struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            position: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn at_end(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.position += 1;
        }
    }

    /// Reads between `min` and `max` decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut value: u32 = 0;
        let mut count = 0;
        while count < max {
            match self.peek() {
                Some(byte @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(byte - b'0');
                    self.position += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        (count >= min).then_some(value)
    }

    /// Reads a decimal fraction of one or more digits as nanoseconds, dropping digits past
    /// the ninth.
    fn fraction(&mut self) -> Option<u32> {
        let mut nanos: u32 = 0;
        let mut count = 0;
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            if count < 9 {
                nanos = nanos * 10 + u32::from(byte - b'0');
            }
            count += 1;
            self.position += 1;
        }
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            nanos *= 10;
        }
        Some(nanos)
    }

    fn meridiem(&mut self) -> Option<Meridiem> {
        let rest = self.bytes.get(self.position..self.position + 2)?;
        let meridiem = if rest.eq_ignore_ascii_case(b"AM") {
            Meridiem::Am
        } else if rest.eq_ignore_ascii_case(b"PM") {
            Meridiem::Pm
        } else {
            return None;
        };
        self.position += 2;
        Some(meridiem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    fn utc(text: &str) -> String {
        parse_timestamp(text)
            .unwrap_or_else(|error| panic!("{text}: {error}"))
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    #[test]
    fn rfc3339_with_any_fraction_and_offset() {
        assert_eq!(utc("2007-01-09T09:41:00Z"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("2007-01-09T09:41:00.22Z"), "2007-01-09T09:41:00.220Z");
        assert_eq!(
            utc("2007-01-09T09:41:00.6816663Z"),
            "2007-01-09T09:41:00.681666300Z"
        );
        assert_eq!(
            utc("2007-01-09T09:41:00.535404056Z"),
            "2007-01-09T09:41:00.535404056Z"
        );
        assert_eq!(
            utc("2007-01-09T09:41:00.992099+00:00"),
            "2007-01-09T09:41:00.992099Z"
        );
        assert_eq!(utc("2007-01-09T11:41:00+02:00"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("2007-01-09T04:41:00-0500"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("2007-01-09t09:41:00z"), "2007-01-09T09:41:00Z");
    }

    #[test]
    fn missing_offset_is_utc() {
        assert_eq!(utc("2007-01-09T09:41:00"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("2007-01-09 09:41:00"), "2007-01-09T09:41:00Z");
    }

    #[test]
    fn one_digit_hour_is_accepted() {
        assert_eq!(utc("2023-10-26T5:32:08.107Z"), "2023-10-26T05:32:08.107Z");
    }

    #[test]
    fn fraction_past_nine_digits_is_truncated() {
        assert_eq!(
            utc("2007-01-09T09:41:00.1234567891Z"),
            "2007-01-09T09:41:00.123456789Z"
        );
    }

    #[test]
    fn us_form_with_and_without_meridiem() {
        assert_eq!(utc("01/09/2007 09:41:00"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("1/9/2007 09:41:00"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("01/09/2007 09:41:00 AM"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("1/9/2007 9:41:00 AM"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("1/9/2007 10:41:00 AM +01:00"), "2007-01-09T09:41:00Z");
        assert_eq!(utc("11/14/2025 1:48:53 AM"), "2025-11-14T01:48:53Z");
        assert_eq!(utc("3/24/2022 2:42:35 PM"), "2022-03-24T14:42:35Z");
        assert_eq!(utc("3/24/2022 12:05:00 AM"), "2022-03-24T00:05:00Z");
        assert_eq!(utc("3/24/2022 12:05:00 PM"), "2022-03-24T12:05:00Z");
    }

    #[test]
    fn epoch_milliseconds() {
        assert_eq!(utc("1723564700353"), "2024-08-13T15:58:20.353Z");
        let parsed = parse_time_value(&json!(1723564700353_i64)).unwrap();
        assert_eq!(parsed.timestamp_millis(), 1723564700353);
        assert_eq!(utc("100000000000"), "1973-03-03T09:46:40Z");
    }

    #[test]
    fn epoch_seconds_are_rejected() {
        let error = parse_time_value(&json!(1715000000)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid timestamp `1715000000`: epoch milliseconds before 1973-03-03, which is what epoch seconds look like; write the time in milliseconds or as RFC 3339"
        );
        assert!(parse_timestamp("1715000000").is_err());
        assert!(parse_timestamp("0").is_err());
        assert!(parse_timestamp("99999999999").is_err());
    }

    #[test]
    fn leap_second_is_accepted() {
        assert_eq!(utc("2016-12-31T23:59:60Z"), "2016-12-31T23:59:60Z");
    }

    #[test]
    fn impossible_dates_are_rejected() {
        let error = parse_timestamp("2024-13-01T00:00:00Z").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid timestamp `2024-13-01T00:00:00Z`: the date does not exist (month or day out of range)"
        );
        assert!(parse_timestamp("2023-02-29T00:00:00Z").is_err());
        assert!(parse_timestamp("2024-01-01T25:00:00Z").is_err());
        assert!(parse_timestamp("13/1/2024 1:00:00 PM").is_err());
        assert!(parse_timestamp("1/1/2024 13:00:00 PM").is_err());
    }

    #[test]
    fn garbage_is_rejected_with_the_expected_forms() {
        let error = parse_timestamp("yesterday").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid timestamp `yesterday`: expected RFC 3339, `M/D/YYYY h:mm:ss AM [+hh:mm]` or epoch milliseconds"
        );
        assert!(parse_timestamp("").is_err());
        assert!(parse_timestamp("2024-01-01T00:00:00Zjunk").is_err());
        assert!(parse_time_value(&json!(-5)).is_err());
        assert!(parse_time_value(&json!(1.5)).is_err());
        assert!(parse_time_value(&json!(null)).is_err());
    }
}

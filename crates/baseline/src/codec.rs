//! The byte format of a stored baseline.
//!
//! A hand-written little-endian layout rather than a serde format such as postcard or
//! bincode: it is as compact, it pins every byte (a serde format may change how it writes a
//! type between versions), and reading it checks each invariant the in-memory type relies on.
//!
//! Version 1, all integers little-endian:
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format version, 1 |
//! | 4 | first seen, seconds since 1970-01-01T00:00:00Z |
//! | 4 | last seen, seconds since 1970-01-01T00:00:00Z |
//! | 4 | events learned |
//! | 4 | successful authentications learned |
//! | 84 | hour-of-week profile: hour `h` in the low nibble of byte `h / 2` when `h` is even, else in the high nibble |
//! | per feature, in [`Feature::ALL`] order | 1 byte of value count `n`, then `n` values of 8 bytes: key (4), count (2), last-seen day since 1970-01-01 (2) |
//!
//! A baseline of 20 values takes 270 bytes.

use thiserror::Error;

use crate::Feature;
use crate::baseline::{Baseline, Entry};
use crate::hours::{HOUR_BYTES, HourProfile};
use crate::time::day_of;

/// The version written by [`Baseline::to_bytes`] and the only one read.
pub const FORMAT_VERSION: u8 = 1;

const HEADER_BYTES: usize = 1 + 4 * 4 + HOUR_BYTES;
const ENTRY_BYTES: usize = 8;

/// An error reading bytes as a baseline.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("invalid baseline: empty input, expected a format version byte")]
    Empty,
    #[error("unsupported baseline format version `{found}`: expected `{FORMAT_VERSION}`")]
    UnsupportedVersion { found: u8 },
    #[error(
        "truncated baseline: `{length}` bytes end inside {field}, expected at least `{needed}`"
    )]
    Truncated {
        field: &'static str,
        needed: usize,
        length: usize,
    },
    #[error("invalid baseline: `{count}` bytes after the last feature list, expected none")]
    TrailingBytes { count: usize },
    #[error("invalid baseline: first seen `{first_seen}` is after last seen `{last_seen}`")]
    TimeOrder { first_seen: u32, last_seen: u32 },
    #[error(
        "invalid baseline: `{authentications}` authentications exceed `{events}` events, expected at most as many"
    )]
    AuthenticationCount { authentications: u32, events: u32 },
    #[error(
        "invalid baseline: `{events}` events but activity or values recorded, expected an empty baseline"
    )]
    ContentWithoutEvents { events: u32 },
    #[error(
        "invalid baseline: {feature} value `{key:#010x}` appears twice, expected distinct values"
    )]
    DuplicateValue { feature: Feature, key: u32 },
    #[error("invalid baseline: {feature} value `{key:#010x}` has count `0`, expected at least 1")]
    ZeroCount { feature: Feature, key: u32 },
    #[error(
        "invalid baseline: {feature} value `{key:#010x}` last seen on day `{day}`, after the baseline's last day `{last_day}`"
    )]
    FutureValue {
        feature: Feature,
        key: u32,
        day: u16,
        last_day: u16,
    },
}

/// Reads fixed-size fields from a byte slice, naming the field that runs past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.position.saturating_add(count);
        let slice = self
            .bytes
            .get(self.position..end)
            .ok_or(DecodeError::Truncated {
                field,
                needed: end,
                length: self.bytes.len(),
            })?;
        self.position = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let slice = self.take(N, field)?;
        let mut array = [0_u8; N];
        array.copy_from_slice(slice);
        Ok(array)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(field).map(|[byte]| byte)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        self.array(field).map(u16::from_le_bytes)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_le_bytes)
    }
}

impl Baseline {
    /// Writes the baseline in the byte format described in [`crate::codec`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes =
            Vec::with_capacity(HEADER_BYTES + Feature::COUNT + self.entries.len() * ENTRY_BYTES);
        bytes.push(FORMAT_VERSION);
        bytes.extend_from_slice(&self.first_seen.to_le_bytes());
        bytes.extend_from_slice(&self.last_seen.to_le_bytes());
        bytes.extend_from_slice(&self.event_count.to_le_bytes());
        bytes.extend_from_slice(&self.authentication_count.to_le_bytes());
        bytes.extend_from_slice(self.hours.as_bytes());
        for feature in Feature::ALL {
            let list = self.list(feature);
            bytes.push(u8::try_from(list.len()).unwrap_or(u8::MAX));
            for entry in list.iter().take(usize::from(u8::MAX)) {
                bytes.extend_from_slice(&entry.key.to_le_bytes());
                bytes.extend_from_slice(&entry.count.to_le_bytes());
                bytes.extend_from_slice(&entry.last_day.to_le_bytes());
            }
        }
        bytes
    }

    /// Reads a baseline written by [`Baseline::to_bytes`], rejecting input that is
    /// truncated, has trailing bytes, or breaks an invariant of the format. It never panics,
    /// and a property test feeds it arbitrary bytes to check that.
    ///
    /// Lists longer than the current caps are accepted, and the next update trims them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader { bytes, position: 0 };
        let version = reader
            .u8("the format version")
            .map_err(|_| DecodeError::Empty)?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnsupportedVersion { found: version });
        }
        let first_seen = reader.u32("first seen")?;
        let last_seen = reader.u32("last seen")?;
        let event_count = reader.u32("the event count")?;
        let authentication_count = reader.u32("the authentication count")?;
        let hours = HourProfile::from_bytes(reader.array("the hour profile")?);
        check_counters(first_seen, last_seen, event_count, authentication_count)?;

        let mut entries = Vec::new();
        let mut lengths = [0_u8; Feature::COUNT];
        for (feature, length) in Feature::ALL.into_iter().zip(&mut lengths) {
            *length = reader.u8(feature.as_str())?;
            let start = entries.len();
            for _ in 0..*length {
                let entry = Entry {
                    key: reader.u32(feature.as_str())?,
                    count: reader.u16(feature.as_str())?,
                    last_day: reader.u16(feature.as_str())?,
                };
                let earlier = entries.get(start..).unwrap_or_default();
                check_entry(feature, &entry, earlier, day_of(last_seen))?;
                entries.push(entry);
            }
        }
        let trailing = bytes.len().saturating_sub(reader.position);
        if trailing > 0 {
            return Err(DecodeError::TrailingBytes { count: trailing });
        }

        if event_count == 0 && !(entries.is_empty() && hours.is_empty()) {
            return Err(DecodeError::ContentWithoutEvents {
                events: event_count,
            });
        }

        Ok(Self {
            entries: entries.into_boxed_slice(),
            first_seen,
            last_seen,
            event_count,
            authentication_count,
            hours,
            lengths,
        })
    }
}

/// Checks the counters of the header. An empty baseline has every counter at 0.
fn check_counters(
    first_seen: u32,
    last_seen: u32,
    event_count: u32,
    authentication_count: u32,
) -> Result<(), DecodeError> {
    if event_count == 0 && (first_seen, last_seen, authentication_count) != (0, 0, 0) {
        return Err(DecodeError::ContentWithoutEvents {
            events: event_count,
        });
    }
    if first_seen > last_seen {
        return Err(DecodeError::TimeOrder {
            first_seen,
            last_seen,
        });
    }
    if authentication_count > event_count {
        return Err(DecodeError::AuthenticationCount {
            authentications: authentication_count,
            events: event_count,
        });
    }
    Ok(())
}

fn check_entry(
    feature: Feature,
    entry: &Entry,
    earlier: &[Entry],
    last_day: u16,
) -> Result<(), DecodeError> {
    let key = entry.key;
    if entry.count == 0 {
        return Err(DecodeError::ZeroCount { feature, key });
    }
    if entry.last_day > last_day {
        return Err(DecodeError::FutureValue {
            feature,
            key,
            day: entry.last_day,
            last_day,
        });
    }
    if earlier.iter().any(|other| other.key == key) {
        return Err(DecodeError::DuplicateValue { feature, key });
    }
    Ok(())
}

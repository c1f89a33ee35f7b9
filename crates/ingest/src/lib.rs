//! Reads log files, splits them into records, and normalizes each record into a riposte
//! [`Event`].
//!
//! The stages, named after the form of the data:
//! - [`source`] expands paths into inputs (files, folders, standard input) and opens them,
//!   decompressing gzip transparently;
//! - [`framing`] splits an input into raw records, whatever the framing (JSON Lines, a JSON
//!   array, CloudTrail's `{"Records": [...]}`, Azure Monitor's `{"records": [...]}`, one
//!   pretty-printed object);
//! - [`decode`] parses a raw record, detects its format and hands it to the normalizer of that
//!   format ([`cloudtrail`], [`okta`], [`entra`]), which returns a normalized event.
//!
//! # The normalizer contract
//!
//! Each format module has `matches(&Value) -> bool`, which must be cheap and must not accept
//! another provider's records, and `normalize(&Value, &RecordContext) ->
//! Result<Normalized, NormalizeError>`, where [`json::Value`] is the parsed record, whose
//! strings borrow from the record's bytes. A normalizer:
//! - returns [`Normalized::Event`] for every record it interprets;
//! - returns [`Normalized::Unsupported`] with the record's category for a well-formed record
//!   of its provider whose category riposte does not interpret yet;
//! - returns a [`NormalizeError`] naming the field and the value for a malformed record (no
//!   timestamp, an impossible timestamp, a required field of the wrong type). It never panics.

pub mod cloudtrail;
pub mod decode;
pub mod entra;
pub mod framing;
mod gunzip;
pub mod json;
pub mod okta;
mod shared;
pub mod source;
mod text;
pub mod time;

use std::sync::Arc;

use riposte_model::{Event, RecordLocation};
use sha2::{Digest, Sha256};

pub use decode::{Decoded, Decoder, FormatFamily};
pub use shared::StringCache;
use shared::reuse_or_allocate;
pub use time::{TimeError, parse_time_value, parse_timestamp};

/// What a normalizer made of one well-formed record.
#[derive(Debug)]
pub enum Normalized {
    Event(Box<Event>),
    /// A record of a known provider whose category riposte does not interpret yet. The
    /// summary counts these per category; they are not rejects.
    Unsupported {
        category: Box<str>,
    },
}

/// Why a record could not be normalized. The caller adds the file and line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("missing required field `{field}`")]
    MissingField { field: String },
    #[error("invalid timestamp `{value}` in `{field}`: {reason}")]
    InvalidTimestamp {
        field: String,
        value: String,
        reason: &'static str,
    },
    #[error("invalid value `{value}` in `{field}`: {reason}")]
    InvalidField {
        field: String,
        value: String,
        reason: String,
    },
}

impl NormalizeError {
    pub fn missing(field: impl Into<String>) -> Self {
        Self::MissingField {
            field: field.into(),
        }
    }

    /// Wraps a timestamp error with the name of the field that held the value.
    pub fn timestamp(field: impl Into<String>, error: TimeError) -> Self {
        Self::InvalidTimestamp {
            field: field.into(),
            value: error.value,
            reason: error.reason,
        }
    }

    pub fn invalid(
        field: impl Into<String>,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidField {
            field: field.into(),
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// What a normalizer may know about a record besides its content.
#[derive(Clone, Copy, Debug)]
pub struct RecordContext<'a> {
    /// Where the record was read, for the event's evidence.
    pub location: Option<&'a RecordLocation>,
    /// The record as read, used to derive an id for records that carry none.
    pub raw: RawRecord<'a>,
    /// The decoder's cache, through which the event's repeated fields share their text with
    /// earlier events.
    pub strings: &'a StringCache,
}

/// A record's text, or its parsed value when it was an element of a larger frame and its
/// text would have to be rebuilt.
#[derive(Clone, Copy, Debug)]
pub enum RawRecord<'a> {
    Bytes(&'a [u8]),
    Parsed(&'a json::Value<'a>),
}

impl<'a> RawRecord<'a> {
    /// Returns the record's bytes: as read, or serialized again from the parsed value.
    pub fn to_bytes(self) -> std::borrow::Cow<'a, [u8]> {
        match self {
            Self::Bytes(bytes) => std::borrow::Cow::Borrowed(bytes),
            Self::Parsed(value) => {
                std::borrow::Cow::Owned(serde_json::to_vec(value).unwrap_or_default())
            }
        }
    }
}

impl RecordContext<'_> {
    /// Returns an event id for a record without one: `sha256:` and the first 32 hex digits
    /// of the digest of its bytes, so that the same record read twice gets the same id.
    pub fn fallback_event_id(&self) -> Arc<str> {
        let digest = Sha256::digest(self.raw.to_bytes());
        let mut id = String::with_capacity(39);
        id.push_str("sha256:");
        for byte in digest.iter().take(16) {
            id.push_str(&format!("{byte:02x}"));
        }
        id.into()
    }
}

/// Reads one input to its end, passing every decoded record to `emit`. Returns an error only
/// when the input cannot be opened; read errors part-way through are emitted as rejects.
pub fn decode_input(
    input: &source::Input,
    decoder: &Decoder,
    emit: &mut dyn FnMut(Decoded),
) -> Result<(), source::SourceError> {
    let reader = source::open_to_end(input)?;
    let name = input.name();
    for item in framing::Framer::new(reader) {
        decoder.decode_item(item, &name, emit);
    }
    Ok(())
}

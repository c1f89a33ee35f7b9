//! Turns frames into normalized events, unsupported-category counts or rejects.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use crate::json::{self, Value};
use riposte_model::{Event, RecordLocation};

use crate::framing::{Frame, FrameItem, Next, ParsedFrame};
use crate::{
    NormalizeError, Normalized, RawRecord, RecordContext, StringCache, cloudtrail, entra, okta,
};

/// How many levels of arrays and `Records` wrappers are unpacked inside one frame; a deeper
/// array is rejected as not being a record.
const MAX_WRAPPER_DEPTH: usize = 1;

/// A provider log family; the decoder picks the normalizer by family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FormatFamily {
    CloudTrail,
    Okta,
    Entra,
}

impl FormatFamily {
    pub const ALL: [Self; 3] = [Self::CloudTrail, Self::Okta, Self::Entra];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudTrail => "cloudtrail",
            Self::Okta => "okta",
            Self::Entra => "entra",
        }
    }

    /// Returns the family whose normalizer claims the record, trying each in a fixed order.
    pub fn detect(record: &Value) -> Option<Self> {
        if cloudtrail::matches(record) {
            Some(Self::CloudTrail)
        } else if okta::matches(record) {
            Some(Self::Okta)
        } else if entra::matches(record) {
            Some(Self::Entra)
        } else {
            None
        }
    }

    fn normalize(
        self,
        record: &Value,
        context: &RecordContext<'_>,
    ) -> Result<Normalized, NormalizeError> {
        match self {
            Self::CloudTrail => cloudtrail::normalize(record, context),
            Self::Okta => okta::normalize(record, context),
            Self::Entra => entra::normalize(record, context),
        }
    }
}

impl fmt::Display for FormatFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FormatFamily {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|family| family.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| {
                format!("unknown log format `{text}`: expected one of cloudtrail, okta, entra")
            })
    }
}

/// A record that could not be read or normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub location: RecordLocation,
    /// 0-based position of the record in its file.
    pub index: u64,
    pub reason: String,
    /// The record as it was read; empty when it was too large to keep.
    pub raw: Vec<u8>,
    /// True when reading the input failed here, so the rest of the input was not read.
    pub read_error: bool,
    /// True when the input ends inside this record: it may still be being written, so a later
    /// run with a state file reads it again.
    pub truncated: bool,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

/// The result of decoding one record.
#[derive(Debug)]
pub enum Decoded {
    Event(Box<Event>),
    Unsupported {
        family: FormatFamily,
        category: Box<str>,
    },
    Rejected(Reject),
}

/// Parses frames and normalizes them with the normalizer of their detected format, or of
/// the one format the user forced.
#[derive(Debug, Default)]
pub struct Decoder {
    forced: Option<FormatFamily>,
    strings: StringCache,
}

impl Decoder {
    pub fn new(forced: Option<FormatFamily>) -> Self {
        Self {
            forced,
            strings: StringCache::new(),
        }
    }

    /// Decodes one framer item from `file` and passes each result to `emit`. A frame that
    /// holds an array or a `Records` wrapper yields one result per element.
    pub fn decode_item(&self, item: FrameItem, file: &Arc<Path>, emit: &mut dyn FnMut(Decoded)) {
        match item {
            FrameItem::Record(frame) => self.decode_frame(frame, file, emit),
            FrameItem::LastLine(frame) => {
                if json::parse(&frame.bytes, &json::Arena::new()).is_ok() {
                    self.decode_frame(frame, file, emit);
                } else {
                    emit(truncated(frame, file));
                }
            }
            FrameItem::Truncated(frame) => emit(truncated(frame, file)),
            FrameItem::AfterRecords(frame) => emit(Decoded::Rejected(Reject {
                location: location(file, frame.line),
                index: frame.index,
                reason: "unexpected content after the array of records in a `Records` or `records` object: a file holds one array of records".to_owned(),
                raw: frame.bytes,
                read_error: false,
                truncated: false,
            })),
            FrameItem::Oversized { line, index, size } => emit(Decoded::Rejected(Reject {
                location: location(file, line),
                index,
                reason: format!(
                    "record of {size} bytes exceeds the limit of {} bytes",
                    crate::framing::DEFAULT_MAX_RECORD_BYTES
                ),
                raw: Vec::new(),
                read_error: false,
                truncated: false,
            })),
            FrameItem::ReadError { line, index, error } => emit(Decoded::Rejected(Reject {
                location: location(file, line),
                index,
                reason: format!(
                    "read failed: {error}; the records read before the failure are kept, the rest of the input is lost"
                ),
                raw: Vec::new(),
                read_error: true,
                truncated: false,
            })),
        }
    }

    /// Decodes what [`Framer::next_with`](crate::framing::Framer::next_with) handed on, as
    /// [`decode_item`](Self::decode_item) does.
    pub fn decode_next(&self, next: Next<'_>, file: &Arc<Path>, emit: &mut dyn FnMut(Decoded)) {
        match next {
            Next::Item(item) => self.decode_item(item, file, emit),
            Next::Parsed(frame) => self.decode_parsed(frame, file, emit),
        }
    }

    /// Decodes a parsed record, with its text for rejects.
    fn decode_parsed(
        &self,
        frame: ParsedFrame<'_>,
        file: &Arc<Path>,
        emit: &mut dyn FnMut(Decoded),
    ) {
        let record_location = location(file, frame.line);
        self.decode_value(
            &frame.value,
            Some(frame.bytes),
            &record_location,
            frame.index,
            0,
            emit,
        );
    }

    fn decode_frame(&self, frame: Frame, file: &Arc<Path>, emit: &mut dyn FnMut(Decoded)) {
        // A record that the framer could not parse in its buffer. The parsed value takes
        // about twice the record's size.
        let arena = json::Arena::with_capacity(frame.bytes.len().saturating_mul(2));
        let value = match json::parse(&frame.bytes, &arena) {
            Ok(value) => value,
            Err(error) => {
                emit(Decoded::Rejected(Reject {
                    location: location(file, frame.line + error.line().saturating_sub(1) as u64),
                    index: frame.index,
                    reason: format!("invalid JSON: {}", describe_json_error(&error)),
                    raw: frame.bytes,
                    read_error: false,
                    truncated: false,
                }));
                return;
            }
        };
        let parsed = ParsedFrame {
            bytes: &frame.bytes,
            value,
            line: frame.line,
            index: frame.index,
        };
        self.decode_parsed(parsed, file, emit);
    }

    fn decode_value(
        &self,
        value: &Value<'_>,
        raw: Option<&[u8]>,
        record_location: &RecordLocation,
        index: u64,
        depth: usize,
        emit: &mut dyn FnMut(Decoded),
    ) {
        let value = if depth < MAX_WRAPPER_DEPTH {
            match elements(value) {
                Some(elements) => {
                    for element in elements {
                        // An element's text is rebuilt only if a reject or a fallback id
                        // needs it: most elements never do.
                        self.decode_value(element, None, record_location, index, depth + 1, emit);
                    }
                    return;
                }
                None => value,
            }
        } else {
            value
        };
        let reject = |reason: String| {
            Decoded::Rejected(Reject {
                location: record_location.clone(),
                index,
                reason,
                raw: raw.map_or_else(
                    || serde_json::to_vec(value).unwrap_or_default(),
                    <[u8]>::to_vec,
                ),
                read_error: false,
                truncated: false,
            })
        };
        if !value.is_object() {
            emit(reject(format!(
                "expected a JSON object, found {}",
                json_kind(value)
            )));
            return;
        }
        let family = match self.forced.or_else(|| FormatFamily::detect(value)) {
            Some(family) => family,
            None => {
                emit(reject(format!(
                    "unknown format: the record matches none of cloudtrail, okta, entra (top-level keys: {})",
                    key_list(value)
                )));
                return;
            }
        };
        let context = RecordContext {
            location: Some(record_location),
            raw: match raw {
                Some(bytes) => RawRecord::Bytes(bytes),
                None => RawRecord::Parsed(value),
            },
            strings: &self.strings,
        };
        match family.normalize(value, &context) {
            Ok(Normalized::Event(event)) => emit(Decoded::Event(event)),
            Ok(Normalized::Unsupported { category }) => {
                emit(Decoded::Unsupported { family, category });
            }
            Err(error) => emit(reject(format!("{family}: {error}"))),
        }
    }
}

/// Returns the records inside a JSON array or a `{"Records": [...]}` / `{"records": [...]}`
/// object, or `None` when the value is a single record.
fn elements<'a>(value: &Value<'a>) -> Option<&'a [Value<'a>]> {
    match value {
        Value::Array(elements) => Some(elements),
        Value::Object(object) => {
            // The key is looked up first: counting an object's distinct keys costs more.
            let elements = ["Records", "records"]
                .into_iter()
                .find_map(|key| object.get(key)?.as_array())?;
            (object.len() == 1).then_some(elements)
        }
        _ => None,
    }
}

fn truncated(frame: Frame, file: &Arc<Path>) -> Decoded {
    Decoded::Rejected(Reject {
        location: location(file, frame.line),
        index: frame.index,
        reason: "truncated record: the input ends inside this record".to_owned(),
        raw: frame.bytes,
        read_error: false,
        truncated: true,
    })
}

fn location(file: &Arc<Path>, line: u64) -> RecordLocation {
    RecordLocation {
        file: Arc::clone(file),
        line,
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Lists at most eight top-level keys, in backticks, so that the user sees what was read.
fn key_list(value: &Value) -> String {
    let Some(object) = value.as_object() else {
        return String::new();
    };
    if object.is_empty() {
        return "none".to_owned();
    }
    let mut keys: Vec<String> = object
        .keys()
        .take(8)
        .map(|key| format!("`{key}`"))
        .collect();
    if object.len() > 8 {
        keys.push(format!("and {} more", object.len() - 8));
    }
    keys.join(", ")
}

/// serde_json's message without its own "at line L column C" suffix, which refers to the
/// frame and not to the file; the column is kept.
pub(crate) fn describe_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let text = match message.rfind(" at line ") {
        Some(position) => message.get(..position).unwrap_or(&message),
        None => &message,
    };
    // serde_json reports "expected ident" where a word is not one of JSON's three literals.
    let text = match text {
        "expected ident" => "expected `true`, `false` or `null`",
        other => other,
    };
    format!("{text} (column {})", error.column())
}

#[cfg(test)]
mod json_error_tests {
    use super::describe_json_error;

    fn describe(text: &str) -> String {
        let error = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        describe_json_error(&error)
    }

    #[test]
    fn misspelled_literal_names_the_literals() {
        assert_eq!(
            describe("not json at all"),
            "expected `true`, `false` or `null` (column 2)"
        );
        assert_eq!(
            describe("{\"a\": tru}"),
            "expected `true`, `false` or `null` (column 10)"
        );
    }

    #[test]
    fn other_errors_keep_their_wording() {
        assert_eq!(
            describe("{\"a\": 1"),
            "EOF while parsing an object (column 7)"
        );
        assert_eq!(describe("[1,]"), "trailing comma (column 4)");
    }
}

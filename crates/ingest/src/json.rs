//! Field access over parsed JSON records.
//!
//! Logs write "no value" in many ways: a missing key, `null`, an empty string, or placeholders
//! such as `"<null>"` and `"null"`. These helpers return `None` for all of them, so that a
//! normalizer only deals with present values.

mod number;
mod parser;
mod value;

pub use number::Number;
pub(crate) use parser::{parse_fast, parse_object_prefix, plain_run_length};
pub use riposte_model::trim;
pub use value::{Arena, Member, Object, Value, compare_keys, parse, parse_str};

/// Returns `bytes` as text when they are valid UTF-8. The check is `simdutf8`'s vectorized
/// one, which accepts exactly what `std::str::from_utf8` accepts. On the benchmark's records
/// it ran about a third of the instructions (callgrind).
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Returns the longest prefix of `bytes` that is valid UTF-8, for a window that may end
/// inside a character or contain invalid bytes after the text it is read for.
pub(crate) fn utf8_prefix(bytes: &[u8]) -> &str {
    match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => bytes
            .get(..error.valid_up_to())
            .and_then(utf8)
            .unwrap_or_default(),
    }
}

/// Builds a [`Value`] with the syntax of `serde_json::json!`, for tests. The JSON and the
/// arena it is built in live until the process ends.
#[cfg(test)]
macro_rules! test_record {
    ($($json:tt)+) => {
        $crate::json::Value::from_serde(
            Box::leak(Box::new(serde_json::json!($($json)+))),
            Box::leak(Box::new($crate::json::Arena::new())),
        )
    };
}

#[cfg(test)]
pub(crate) use test_record;

/// Returns the value at `path` (object keys), treating `null` as absent.
pub fn get<'a>(value: &'a Value<'a>, path: &[&str]) -> Option<&'a Value<'a>> {
    let mut current = value;
    for key in path {
        current = current.as_object()?.get(key)?;
    }
    (!current.is_null()).then_some(current)
}

/// Returns the string at `path`, or `None` when it is absent, not a string, empty or a
/// placeholder for "no value".
pub fn str_at<'a>(value: &'a Value<'a>, path: &[&str]) -> Option<&'a str> {
    get(value, path).and_then(Value::as_str).and_then(present)
}

/// Returns the text at `path` as an owned string: strings as they are, numbers and booleans
/// in their JSON form.
pub fn text_at(value: &Value, path: &[&str]) -> Option<Box<str>> {
    get(value, path).and_then(text_of)
}

/// Returns the boolean at `path`, also accepting the strings `"true"` and `"false"` in any
/// case.
pub fn bool_at(value: &Value, path: &[&str]) -> Option<bool> {
    get(value, path).and_then(bool_of)
}

/// Returns the number at `path` as `f64`, also accepting numbers written as strings.
pub fn f64_at(value: &Value, path: &[&str]) -> Option<f64> {
    get(value, path).and_then(f64_of)
}

/// Returns the unsigned integer at `path`, also accepting integers written as strings.
pub fn u64_at(value: &Value, path: &[&str]) -> Option<u64> {
    get(value, path).and_then(u64_of)
}

/// Returns a value as an owned string, as [`text_at`] does.
pub fn text_of(value: &Value) -> Option<Box<str>> {
    match value {
        Value::String(text) => present(text).map(Box::from),
        Value::Number(number) => Some(number.to_string().into()),
        Value::Bool(flag) => Some(flag.to_string().into()),
        _ => None,
    }
}

/// Returns a value as a boolean, as [`bool_at`] does.
pub fn bool_of(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Returns a value as `f64`, as [`f64_at`] does.
pub fn f64_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Returns a value as an unsigned integer, as [`u64_at`] does.
pub fn u64_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// Returns `text` unless it is empty or a placeholder that means "no value".
pub fn present(text: &str) -> Option<&str> {
    let trimmed = trim(text);
    let placeholder = trimmed.is_empty()
        || trimmed.eq_ignore_ascii_case("null")
        || trimmed.eq_ignore_ascii_case("<null>")
        || trimmed == "-";
    (!placeholder).then_some(text)
}

/// Parses a string that holds serialized JSON (Log Analytics exports write nested objects
/// this way) into `arena` and returns the parsed value; any other value is returned as a
/// clone.
pub fn unnest<'a>(value: &Value<'a>, arena: &'a Arena) -> Option<Value<'a>> {
    match value {
        Value::String(text) => unnest_str(text, arena),
        Value::Null => None,
        other => Some(*other),
    }
}

/// Parses a string that starts with `{` or `[` as JSON into `arena`. Returns `None` for any
/// other string and for invalid JSON.
pub fn unnest_str<'a>(text: &'a str, arena: &'a Arena) -> Option<Value<'a>> {
    parse_serialized(text, arena)?.ok()
}

/// Parses a string that starts with `{` or `[` after any whitespace as JSON into `arena`, with
/// the parse error when it is invalid. Returns `None` for any other string.
pub fn parse_serialized<'a>(
    text: &'a str,
    arena: &'a Arena,
) -> Option<Result<Value<'a>, serde_json::Error>> {
    text.trim_start()
        .starts_with(['{', '['])
        .then(|| parse_str(text, arena))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    #[test]
    fn utf8_checks_agree_with_std() {
        let text = "{\"city\":\"Zürich\"}".as_bytes();
        assert_eq!(utf8(text), std::str::from_utf8(text).ok());
        assert_eq!(utf8(b"caf\xC3"), None);
        assert_eq!(utf8(b"a\xFFb"), None);
        // A window that ends inside the two bytes of "ü" keeps the text before it.
        let cut = text.iter().position(|&byte| byte == 0xC3).unwrap() + 1;
        assert_eq!(utf8_prefix(&text[..cut]), "{\"city\":\"Z");
        assert_eq!(utf8_prefix(b"ok\xFFafter"), "ok");
        assert_eq!(utf8_prefix(b"\xFF"), "");
        assert_eq!(utf8_prefix(text), std::str::from_utf8(text).unwrap());
    }

    #[test]
    fn placeholders_are_absent() {
        let record = json!({"a": "<null>", "b": "", "c": null, "d": "value", "e": "NULL"});
        assert_eq!(str_at(&record, &["a"]), None);
        assert_eq!(str_at(&record, &["b"]), None);
        assert_eq!(str_at(&record, &["c"]), None);
        assert_eq!(str_at(&record, &["d"]), Some("value"));
        assert_eq!(str_at(&record, &["e"]), None);
        assert_eq!(str_at(&record, &["missing", "deeper"]), None);
    }

    #[test]
    fn numbers_are_read_from_strings() {
        let record = json!({"asn": "7545", "ms": 12, "flag": "True"});
        assert_eq!(u64_at(&record, &["asn"]), Some(7545));
        assert_eq!(f64_at(&record, &["ms"]), Some(12.0));
        assert_eq!(bool_at(&record, &["flag"]), Some(true));
        assert_eq!(text_at(&record, &["ms"]).as_deref(), Some("12"));
    }

    #[test]
    fn unnest_parses_serialized_objects() {
        let nested = json!("{\"city\": \"Paris\"}");
        let arena = Arena::new();
        assert_eq!(unnest(&nested, &arena), Some(json!({"city": "Paris"})));
        assert_eq!(unnest(&json!("plain"), &arena), None);
        assert_eq!(unnest(&json!({"x": 1}), &arena), Some(json!({"x": 1})));
    }
}

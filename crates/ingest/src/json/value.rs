//! A parsed JSON value that borrows its strings from the record's bytes.
//!
//! `serde_json::Value` allocates every key and string and inserts every key into a
//! `BTreeMap`, although most of a record is never read. [`Value`] keeps strings without
//! escapes as slices of the input and stores an object's members in one vector, in the
//! order they were written. Only iteration puts them in key order.
//!
//! The observable behaviour is that of `serde_json::Value` without the `preserve_order`
//! feature: members iterate in byte order of their keys, a repeated key keeps its last
//! value, numbers are [`serde_json::Number`], and [`Display`](fmt::Display) writes the
//! compact JSON that `serde_json::Value` writes. Messages that quote a value or list keys
//! therefore read the same.
//!
//! [`parse`] and [`parse_str`] read documents with the hand-written parser in
//! [`parser`](super::parser) and hand the inputs it does not accept to `serde_json`, which
//! builds the value through the [`Deserialize`] implementation below. Both produce the same
//! value for every input the hand-written parser accepts, which the tests check against
//! `serde_json` on generated documents.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Number;

use super::parser::parse_fast;

/// A JSON value whose strings borrow from the text it was parsed from when they contain no
/// escape sequence.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Object<'a>),
}

/// The members of a JSON object.
///
/// Objects of up to [`MAX_SCANNED_MEMBERS`] members keep them in the order they were written,
/// a repeated key as often as it was written. A normalizer looks up a few keys of each
/// object and never iterates over most of them, so sorting them would be wasted. Larger
/// objects are sorted by key with each key once, so that lookups can binary-search. Either
/// way, lookups find the last value written for a key, and iteration, comparison and
/// serialization see the members in key order, each key once.
#[derive(Clone, Debug, Default)]
pub struct Object<'a> {
    members: Vec<(Cow<'a, str>, Value<'a>)>,
    /// True when `members` is sorted by key with each key once.
    sorted: bool,
}

/// Parses a JSON document. Errors are `serde_json`'s, with the same messages and positions.
pub fn parse(bytes: &[u8]) -> Result<Value<'_>, serde_json::Error> {
    // Validating the whole input once is faster than validating each string as it is read.
    // Invalid UTF-8 goes through the byte parser, so that the error is the one it reports.
    match super::utf8(bytes) {
        Some(text) => parse_str(text),
        None => serde_json::from_slice(bytes),
    }
}

/// Parses JSON text, such as a nested object that a log writes as a string.
///
/// The hand-written parser in [`parser`](super::parser) reads the text first. Input that it
/// does not accept, which includes every invalid document, is parsed again with
/// `serde_json`, whose result and error are returned.
pub fn parse_str(text: &str) -> Result<Value<'_>, serde_json::Error> {
    match parse_fast(text) {
        Some(value) => Ok(value),
        None => serde_json::from_str(text),
    }
}

impl<'a> Value<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Self::Object(_))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Self::Array(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Self::String(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Self::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Self::Array(elements) => Some(elements),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Self::Number(number) => number.as_u64(),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Number(number) => number.as_i64(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(number) => number.as_f64(),
            _ => None,
        }
    }

    /// Returns the member `key` when this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object()?.get(key)
    }

    /// Copies the borrowed strings of the value, so that it outlives the text it was parsed
    /// from.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Self::Null => Value::Null,
            Self::Bool(flag) => Value::Bool(flag),
            Self::Number(number) => Value::Number(number),
            Self::String(text) => Value::String(Cow::Owned(text.into_owned())),
            Self::Array(elements) => {
                Value::Array(elements.into_iter().map(Value::into_owned).collect())
            }
            Self::Object(object) => Value::Object(Object {
                members: object
                    .members
                    .into_iter()
                    .map(|(key, value)| (Cow::Owned(key.into_owned()), value.into_owned()))
                    .collect(),
                sorted: object.sorted,
            }),
        }
    }

    /// Copies the value into a `serde_json::Value`, for the parts of a record that an event
    /// keeps, such as a policy document.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(flag) => serde_json::Value::Bool(*flag),
            Self::Number(number) => serde_json::Value::Number(number.clone()),
            Self::String(text) => serde_json::Value::String(text.as_ref().to_owned()),
            Self::Array(elements) => {
                serde_json::Value::Array(elements.iter().map(Value::to_serde).collect())
            }
            Self::Object(object) => serde_json::Value::Object(
                object
                    .iter()
                    .map(|(key, value)| (key.to_owned(), value.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// `null`, which indexing returns for a missing member.
static NULL: Value<'static> = Value::Null;

impl<'a> std::ops::Index<&str> for Value<'a> {
    type Output = Value<'a>;

    /// Returns the member `key`, or `null` when this is not an object or has no such
    /// member, as `serde_json::Value` does.
    fn index(&self, key: &str) -> &Value<'a> {
        self.get(key).unwrap_or(&NULL)
    }
}

impl<'a> From<&'a serde_json::Value> for Value<'a> {
    /// Borrows a `serde_json::Value`, as tests build records with `serde_json::json!`.
    fn from(value: &'a serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(flag) => Self::Bool(*flag),
            serde_json::Value::Number(number) => Self::Number(number.clone()),
            serde_json::Value::String(text) => Self::String(Cow::Borrowed(text)),
            serde_json::Value::Array(elements) => {
                Self::Array(elements.iter().map(Value::from).collect())
            }
            // A `serde_json::Map` iterates in insertion order when another crate
            // switches on its `preserve_order` feature, so the members are sorted here.
            serde_json::Value::Object(map) => Self::Object(Object::from_members(
                map.iter()
                    .map(|(key, value)| (Cow::Borrowed(key.as_str()), Value::from(value)))
                    .collect(),
            )),
        }
    }
}

impl<'a> Object<'a> {
    /// Builds an object from members in the order they were written. Of members with the
    /// same key, the last one counts, as in `serde_json::Map`.
    pub(super) fn from_members(mut members: Vec<(Cow<'a, str>, Value<'a>)>) -> Self {
        if members.len() <= MAX_SCANNED_MEMBERS {
            return Self {
                members,
                sorted: false,
            };
        }
        sort_members(&mut members);
        Self {
            members,
            sorted: true,
        }
    }

    /// Returns the number of distinct keys.
    pub fn len(&self) -> usize {
        if self.sorted || self.members.len() <= 1 {
            return self.members.len();
        }
        self.ordered().len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Returns the number of members as written, a repeated key counted each time: at least
    /// [`len`](Self::len), and found without putting the members in order.
    pub fn written_len(&self) -> usize {
        self.members.len()
    }

    /// Returns the member `key`, the last one written when the key is repeated. Objects in
    /// logs have tens of members, so a scan that compares lengths first is faster than a
    /// binary search, whose comparisons read bytes. Larger objects are sorted and
    /// binary-searched, so that a hostile record with many members does not make every
    /// lookup slow.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        if self.sorted {
            return self
                .members
                .binary_search_by(|(name, _)| compare_keys(name, key))
                .ok()
                .and_then(|position| self.members.get(position))
                .map(|(_, value)| value);
        }
        self.members
            .iter()
            .rev()
            .find(|(name, _)| same_key(name, key))
            .map(|(_, value)| value)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Removes and returns the member `key`, with every earlier member of the same key.
    pub fn remove(&mut self, key: &str) -> Option<Value<'a>> {
        if self.sorted {
            let position = self
                .members
                .binary_search_by(|(name, _)| compare_keys(name, key))
                .ok()?;
            return Some(self.members.remove(position).1);
        }
        let position = self
            .members
            .iter()
            .rposition(|(name, _)| same_key(name, key))?;
        let (_, value) = self.members.remove(position);
        self.members.retain(|(name, _)| !same_key(name, key));
        Some(value)
    }

    /// Iterates over the members in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value<'a>)> {
        self.ordered()
            .into_iter()
            .map(|(key, value)| (key.as_ref(), value))
    }

    /// Iterates over the keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(key, _)| key)
    }

    /// Iterates over the values in key order.
    pub fn values(&self) -> impl Iterator<Item = &Value<'a>> {
        self.iter().map(|(_, value)| value)
    }

    /// Iterates over the keys in the order they were written, a repeated key possibly more
    /// than once, for questions whose answer depends on neither.
    pub fn written_keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(key, _)| key.as_ref())
    }

    /// Returns true when `predicate` holds for a member, as `iter().any(predicate)` does, but
    /// without putting the members in order. A member counts only when no later member
    /// repeats its key.
    pub fn any(&self, predicate: impl Fn(&str, &Value<'a>) -> bool) -> bool {
        let mut rest = self.members.as_slice();
        while let Some(((key, value), later)) = rest.split_first() {
            if predicate(key, value) && !later.iter().any(|(name, _)| same_key(name, key)) {
                return true;
            }
            rest = later;
        }
        false
    }

    /// Returns the members in key order, each key once with the last value written.
    fn ordered(&self) -> Vec<&(Cow<'a, str>, Value<'a>)> {
        let mut members: Vec<_> = self.members.iter().collect();
        if self.sorted {
            return members;
        }
        // A stable sort keeps repeated keys in input order, so the last of a run is the
        // last one written.
        members.sort_by(|left, right| compare_keys(&left.0, &right.0));
        members.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                *kept = *later;
                true
            } else {
                false
            }
        });
        members
    }
}

/// Sorts members by key and keeps the last value of each repeated key.
fn sort_members(members: &mut Vec<(Cow<'_, str>, Value<'_>)>) {
    // A stable sort keeps repeated keys in input order, so the last of a run is the last
    // one written.
    members.sort_by(|left, right| compare_keys(&left.0, &right.0));
    members.dedup_by(|later, kept| {
        if later.0 == kept.0 {
            std::mem::swap(&mut later.1, &mut kept.1);
            true
        } else {
            false
        }
    });
}

/// Compares two keys for equality, lengths first. Keys are short, so comparing them a word at
/// a time in place is faster than the call to `memcmp` that `==` makes.
#[inline]
fn same_key(name: &str, key: &str) -> bool {
    let (name, key) = (name.as_bytes(), key.as_bytes());
    name.len() == key.len() && same_bytes(name, key)
}

/// Compares two byte strings of the same length eight bytes at a time. The last word may
/// overlap bytes already compared. Strings of four to seven bytes are compared as two
/// overlapping halves, and shorter ones byte by byte.
#[inline]
fn same_bytes(left: &[u8], right: &[u8]) -> bool {
    let length = left.len();
    if length >= 8 {
        let mut position = 0;
        while position + 8 < length {
            if word::<8>(left, position) != word::<8>(right, position) {
                return false;
            }
            position += 8;
        }
        return word::<8>(left, length - 8) == word::<8>(right, length - 8);
    }
    if length >= 4 {
        return word::<4>(left, 0) == word::<4>(right, 0)
            && word::<4>(left, length - 4) == word::<4>(right, length - 4);
    }
    left.iter().zip(right).all(|(left, right)| left == right)
}

/// Returns the `N` bytes of `bytes` at `position`, or zeros past its end.
#[inline(always)]
fn word<const N: usize>(bytes: &[u8], position: usize) -> [u8; N] {
    bytes
        .get(position..)
        .and_then(<[u8]>::first_chunk::<N>)
        .copied()
        .unwrap_or([0; N])
}

impl PartialEq for Object<'_> {
    /// Compares the members in key order, as `serde_json::Map` does.
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

/// Orders keys by their bytes, as `str` does. Keys are short, so a byte loop is faster than
/// the call to `memcmp` that `str::cmp` makes.
pub fn compare_keys(left: &str, right: &str) -> std::cmp::Ordering {
    left.bytes().cmp(right.bytes())
}

impl<'a> IntoIterator for Object<'a> {
    type Item = (Cow<'a, str>, Value<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Value<'a>)>;

    /// Iterates over the members in key order, taking them.
    fn into_iter(self) -> Self::IntoIter {
        let mut members = self.members;
        if !self.sorted {
            sort_members(&mut members);
        }
        members.into_iter()
    }
}

impl fmt::Display for Value<'_> {
    /// Writes compact JSON, as `serde_json::Value` does.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        formatter.write_str(&text)
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::Bool(flag) => serializer.serialize_bool(*flag),
            Self::Number(number) => number.serialize(serializer),
            Self::String(text) => serializer.serialize_str(text),
            Self::Array(elements) => {
                let mut sequence = serializer.serialize_seq(Some(elements.len()))?;
                for element in elements {
                    sequence.serialize_element(element)?;
                }
                sequence.end()
            }
            Self::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.len()))?;
                for (key, value) in object.iter() {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Largest object [`Object::get`] scans; it binary-searches larger ones.
const MAX_SCANNED_MEMBERS: usize = 64;

/// Members an object's vector has room for before its first member is read. `serde_json`
/// does not tell an object's size in advance, and starting from 16 saves most objects of a
/// log record the reallocations that growing from zero costs.
const OBJECT_CAPACITY: usize = 16;

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value<'de>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any valid JSON value")
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(Value::Bool(flag))
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Self::Value, E> {
        Ok(Value::Number(number.into()))
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Self::Value, E> {
        Ok(Value::Number(number.into()))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(number).map_or(Value::Null, Value::Number))
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Value::String(Cow::Owned(text)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::with_capacity(sequence.size_hint().unwrap_or(0));
        while let Some(element) = sequence.next_element()? {
            elements.push(element);
        }
        Ok(Value::Array(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(OBJECT_CAPACITY));
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value()?;
            members.push((key, value));
        }
        Ok(Value::Object(Object::from_members(members)))
    }
}

/// Reads an object key, borrowing it when it has no escape sequence.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text.to_owned()))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(text))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_matches_equality() {
        let text: Vec<u8> = (0..40_u8).map(|byte| b'a' + byte % 26).collect();
        for length in 0..text.len() {
            let left = &text[..length];
            assert!(super::same_bytes(left, left), "{length}");
            for changed in 0..length {
                let mut right = left.to_vec();
                right[changed] ^= 0x20;
                assert!(!super::same_bytes(left, &right), "{length} {changed}");
            }
        }
    }

    use super::*;

    /// Inputs whose parse, display and errors must match `serde_json::Value`'s.
    const SAMPLES: &[&str] = &[
        r#"{"b": 1, "a": [true, null, -2, 3.5, 1e300], "c": {"z": "x\"y", "A": "\u00e9"}}"#,
        r#"{"k": 1, "k": 2, "j": 0, "k": 3}"#,
        r#"{"text": "tab\tnew\nline\u0001", "big": 18446744073709551615, "neg": -9223372036854775808}"#,
        r#"[1, 2.0, 0.1, 12345678901234567890123, "é", {}]"#,
        r#"{"esc\u0041ped": {"inner": []}, "Upper": 1, "lower": 2, "_": 3}"#,
        r#""just a string""#,
        "  42  ",
    ];

    const INVALID: &[&[u8]] = &[
        b"{\"a\": }",
        b"{\"a\": 1,}",
        b"{\"a\" 1}",
        b"[1, 2",
        b"{\"a\": 1} trailing",
        b"{\"a\": \"\xff\"}",
        b"{\"a\": \"\\uD800\"}",
        b"",
        b"nul",
        b"[1e400]",
    ];

    #[test]
    fn display_matches_serde_json() {
        for sample in SAMPLES {
            let expected: serde_json::Value = serde_json::from_str(sample).unwrap();
            let parsed = parse(sample.as_bytes()).unwrap();
            // Key order of serde_json's map depends on its `preserve_order`
            // feature, which other workspace crates may switch on, so the
            // display is compared after parsing it back.
            let displayed: serde_json::Value = serde_json::from_str(&parsed.to_string()).unwrap();
            assert_eq!(displayed, expected, "{sample}");
            assert_eq!(parsed.to_serde(), expected, "{sample}");
            assert_eq!(Value::from(&expected), parsed, "{sample}");
        }
    }

    #[test]
    fn errors_match_serde_json() {
        for sample in INVALID {
            let expected = serde_json::from_slice::<serde_json::Value>(sample).unwrap_err();
            let error = parse(sample).unwrap_err();
            assert_eq!(error.to_string(), expected.to_string());
            assert_eq!(error.column(), expected.column());
        }
    }

    #[test]
    fn repeated_key_keeps_the_last_value() {
        let parsed = parse(br#"{"k": 1, "j": 0, "k": 3}"#).unwrap();
        let object = parsed.as_object().unwrap();
        assert_eq!(object.len(), 2);
        assert_eq!(object.get("k").and_then(Value::as_u64), Some(3));
        assert_eq!(object.keys().collect::<Vec<_>>(), ["j", "k"]);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let parsed = parse(br#"{"plain": "text", "escaped": "a\nb"}"#).unwrap();
        let object = parsed.as_object().unwrap();
        assert!(matches!(
            object.get("plain"),
            Some(Value::String(Cow::Borrowed("text")))
        ));
        assert!(matches!(
            object.get("escaped"),
            Some(Value::String(Cow::Owned(_)))
        ));
    }

    #[test]
    fn key_order_is_str_order() {
        let keys = ["", "a", "ab", "b", "B", "_", "é", "e\u{301}", "aa", "a\0"];
        for left in keys {
            for right in keys {
                assert_eq!(
                    compare_keys(left, right),
                    left.cmp(right),
                    "{left:?} {right:?}"
                );
            }
        }
    }

    #[test]
    fn large_object_lookup_finds_every_member() {
        let text = format!(
            "{{{}}}",
            (0..200)
                .map(|index| format!("\"key{index}\": {index}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let parsed = parse(text.as_bytes()).unwrap();
        for index in 0..200_u64 {
            assert_eq!(
                parsed.get(&format!("key{index}")).and_then(Value::as_u64),
                Some(index)
            );
        }
        assert_eq!(parsed.get("key200"), None);
    }

    #[test]
    fn any_skips_overwritten_members() {
        let parsed = parse(br#"{"a": 1, "b": null, "a": null, "c": 2}"#).unwrap();
        let object = parsed.as_object().unwrap();
        assert!(!object.any(|key, value| key == "a" && !value.is_null()));
        assert!(object.any(|key, value| key == "c" && !value.is_null()));
        assert!(object.any(|key, value| key == "a" && value.is_null()));
    }

    #[test]
    fn remove_drops_repeated_keys() {
        let mut parsed = parse(br#"{"k": 1, "j": 0, "k": 3}"#).unwrap();
        let Value::Object(object) = &mut parsed else {
            panic!("expected an object");
        };
        assert_eq!(object.remove("k"), Some(Value::Number(3.into())));
        assert_eq!(object.get("k"), None);
        assert_eq!(object.len(), 1);
    }

    #[test]
    fn equality_ignores_written_order() {
        let forward = parse(br#"{"a": 1, "b": {"y": 2, "x": 1}}"#).unwrap();
        let backward = parse(br#"{"b": {"x": 1, "y": 2}, "a": 0, "a": 1}"#).unwrap();
        assert_eq!(forward, backward);
        let other = parse(br#"{"a": 1, "b": {"x": 1, "y": 3}}"#).unwrap();
        assert_ne!(forward, other);
    }

    #[test]
    fn large_object_keeps_last_repeated_value() {
        let members: Vec<String> = (0..100)
            .rev()
            .map(|index| format!("\"key{index}\": {index}"))
            .chain(["\"key7\": 700".to_owned()])
            .collect();
        let text = format!("{{{}}}", members.join(", "));
        let parsed = parse(text.as_bytes()).unwrap();
        let object = parsed.as_object().unwrap();
        assert_eq!(object.len(), 100);
        assert_eq!(object.get("key7").and_then(Value::as_u64), Some(700));
        let keys: Vec<&str> = object.keys().collect();
        assert!(keys.is_sorted());
    }

    #[test]
    fn remove_takes_the_member() {
        let mut parsed = parse(br#"{"Records": [1], "other": 2}"#).unwrap();
        let Value::Object(object) = &mut parsed else {
            panic!("expected an object");
        };
        assert_eq!(
            object.remove("Records"),
            Some(Value::Array(vec![Value::Number(1.into())]))
        );
        assert_eq!(object.remove("Records"), None);
        assert_eq!(object.len(), 1);
    }
}

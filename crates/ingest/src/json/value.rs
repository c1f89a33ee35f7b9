//! A parsed JSON value that borrows its strings from the record's bytes and keeps everything
//! else in an [`Arena`].
//!
//! `serde_json::Value` allocates every key and string and inserts every key into a
//! `BTreeMap`, although most of a record is never read. [`Value`] keeps strings without
//! escapes as slices of the input and stores an object's members in one slice, in the order
//! they were written. Only iteration puts them in key order. The slices and the strings
//! with escapes live in an arena that the framer empties after each record, so a record's
//! value costs neither an allocation per object nor a walk over its nodes to free it.
//!
//! The observable behaviour is that of `serde_json::Value` without the `preserve_order`
//! feature: members iterate in byte order of their keys, a repeated key keeps its last
//! value, numbers convert as [`serde_json::Number`] does, and [`Display`](fmt::Display) writes the
//! compact JSON that `serde_json::Value` writes. Messages that quote a value or list keys
//! therefore read the same.
//!
//! [`parse`] and [`parse_str`] read documents with the hand-written parser in
//! [`parser`](super::parser) and hand the inputs it does not accept to `serde_json`, which
//! builds the value through [`ValueSeed`] below. Both produce the same value for every input
//! the hand-written parser accepts, which the tests check against `serde_json` on generated
//! documents.

use std::fmt;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::number::Number;
use super::parser::parse_fast;

/// A JSON value whose strings borrow from the text it was parsed from when they contain no
/// escape sequence, and whose arrays, objects and other strings live in an [`Arena`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Value<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(&'a str),
    Array(&'a [Value<'a>]),
    Object(Object<'a>),
}

// The arena never runs destructors, so a value must own nothing that needs one.
const _: () = assert!(!std::mem::needs_drop::<Value<'static>>());

/// A member of an object: its key and its value.
pub type Member<'a> = (&'a str, Value<'a>);

/// The members of a JSON object.
///
/// Objects of up to [`MAX_SCANNED_MEMBERS`] members keep them in the order they were written,
/// a repeated key as often as it was written. A normalizer looks up a few keys of each
/// object and never iterates over most of them, so sorting them would be wasted. Larger
/// objects are sorted by key with each key once, so that lookups can binary-search. Either
/// way, lookups find the last value written for a key, and iteration, comparison and
/// serialization see the members in key order, each key once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Object<'a> {
    members: &'a [Member<'a>],
    /// True when `members` is sorted by key with each key once.
    sorted: bool,
}

/// Memory for the values of parsed records: arrays, objects and strings with escapes.
///
/// It hands out memory by moving a pointer through large blocks and frees nothing until
/// [`reset`](Self::reset), which frees everything at once and keeps the largest block for
/// the next record.
#[derive(Debug, Default)]
pub struct Arena(bumpalo::Bump);

impl Arena {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns an arena whose first block holds `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        Self(bumpalo::Bump::with_capacity(bytes))
    }

    /// Frees every value allocated in the arena.
    pub fn reset(&mut self) {
        self.0.reset();
    }

    /// Copies `text` into the arena.
    pub(crate) fn alloc_str(&self, text: &str) -> &str {
        self.0.alloc_str(text)
    }

    /// Copies `items` into the arena.
    pub(crate) fn alloc_slice<T: Copy>(&self, items: &[T]) -> &[T] {
        self.0.alloc_slice_copy(items)
    }

    /// Returns an empty vector in the arena with room for `capacity` items.
    pub(crate) fn vec<T>(&self, capacity: usize) -> ArenaVec<'_, T> {
        ArenaVec::with_capacity_in(capacity, &self.0)
    }
}

/// A vector whose items live in an [`Arena`].
pub(crate) type ArenaVec<'a, T> = bumpalo::collections::Vec<'a, T>;

/// Parses a JSON document into `arena`. Errors are `serde_json`'s, with the same messages
/// and positions.
pub fn parse<'a>(bytes: &'a [u8], arena: &'a Arena) -> Result<Value<'a>, serde_json::Error> {
    // Validating the whole input once is faster than validating each string as it is read.
    // Invalid UTF-8 goes through the byte parser, so that the error is the one it reports.
    match super::utf8(bytes) {
        Some(text) => parse_str(text, arena),
        None => parse_with_serde(&mut serde_json::Deserializer::from_slice(bytes), arena),
    }
}

/// Parses JSON text into `arena`, such as a nested object that a log writes as a string.
///
/// The hand-written parser in [`parser`](super::parser) reads the text first. Input that it
/// does not accept, which includes every invalid document, is parsed again with
/// `serde_json`, whose result and error are returned.
pub fn parse_str<'a>(text: &'a str, arena: &'a Arena) -> Result<Value<'a>, serde_json::Error> {
    match parse_fast(text, arena) {
        Some(value) => Ok(value),
        None => parse_with_serde(&mut serde_json::Deserializer::from_str(text), arena),
    }
}

/// Reads one document as `serde_json::from_str` and `from_slice` do: the value, then the
/// check that only whitespace follows it.
fn parse_with_serde<'a, R: serde_json::de::Read<'a>>(
    deserializer: &mut serde_json::Deserializer<R>,
    arena: &'a Arena,
) -> Result<Value<'a>, serde_json::Error> {
    let value = ValueSeed(arena).deserialize(&mut *deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// Parses with `serde_json` alone, as the fallback of [`parse`] does, for tests that compare
/// it with the hand-written parser.
#[cfg(test)]
pub(crate) fn parse_serde_only<'a>(
    bytes: &'a [u8],
    arena: &'a Arena,
) -> Result<Value<'a>, serde_json::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_with_serde(&mut serde_json::Deserializer::from_str(text), arena),
        Err(_) => parse_with_serde(&mut serde_json::Deserializer::from_slice(bytes), arena),
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

    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
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

    pub fn as_array(&self) -> Option<&'a [Value<'a>]> {
        match *self {
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

    /// Copies the value into a `serde_json::Value`, for the parts of a record that an event
    /// keeps, such as a policy document.
    pub fn to_serde(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(flag) => serde_json::Value::Bool(*flag),
            Self::Number(number) => serde_json::Value::Number(number.to_serde()),
            Self::String(text) => serde_json::Value::String((*text).to_owned()),
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

impl<'a> Value<'a> {
    /// Builds a value that borrows the strings of a `serde_json::Value` and keeps its arrays
    /// and objects in `arena`, as tests build records with `serde_json::json!`.
    pub fn from_serde(value: &'a serde_json::Value, arena: &'a Arena) -> Self {
        match value {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(flag) => Self::Bool(*flag),
            serde_json::Value::Number(number) => {
                Number::from_serde(number).map_or(Self::Null, Self::Number)
            }
            serde_json::Value::String(text) => Self::String(text),
            serde_json::Value::Array(elements) => {
                let elements: Vec<Self> = elements
                    .iter()
                    .map(|element| Self::from_serde(element, arena))
                    .collect();
                Self::Array(arena.alloc_slice(&elements))
            }
            // A `serde_json::Map` iterates in insertion order when another crate
            // switches on its `preserve_order` feature, so the members are sorted here.
            serde_json::Value::Object(map) => {
                let members: Vec<Member<'a>> = map
                    .iter()
                    .map(|(key, value)| (key.as_str(), Self::from_serde(value, arena)))
                    .collect();
                Self::Object(Object::from_members(&members, arena))
            }
        }
    }
}

impl<'a> Object<'a> {
    /// Builds an object in `arena` from members in the order they were written. Of members
    /// with the same key, the last one counts, as in `serde_json::Map`.
    pub(super) fn from_members(members: &[Member<'a>], arena: &'a Arena) -> Self {
        if members.len() <= MAX_SCANNED_MEMBERS {
            return Self {
                members: arena.alloc_slice(members),
                sorted: false,
            };
        }
        let mut members = members.to_vec();
        sort_members(&mut members);
        Self {
            members: arena.alloc_slice(&members),
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
    pub fn get(&self, key: &str) -> Option<&'a Value<'a>> {
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

    /// Iterates over the members in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a Value<'a>)> + use<'a> {
        self.ordered().into_iter().map(|(key, value)| (*key, value))
    }

    /// Iterates over the keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.iter().map(|(key, _)| key)
    }

    /// Iterates over the values in key order.
    pub fn values(&self) -> impl Iterator<Item = &'a Value<'a>> + use<'a> {
        self.iter().map(|(_, value)| value)
    }

    /// Iterates over the keys in the order they were written, a repeated key possibly more
    /// than once, for questions whose answer depends on neither.
    pub fn written_keys(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.members.iter().map(|(key, _)| *key)
    }

    /// Returns true when `predicate` holds for a member, as `iter().any(predicate)` does, but
    /// without putting the members in order. A member counts only when no later member
    /// repeats its key.
    pub fn any(&self, predicate: impl Fn(&str, &Value<'a>) -> bool) -> bool {
        let mut rest = self.members;
        while let Some(((key, value), later)) = rest.split_first() {
            if predicate(key, value) && !later.iter().any(|(name, _)| same_key(name, key)) {
                return true;
            }
            rest = later;
        }
        false
    }

    /// Returns the members in key order, each key once with the last value written.
    fn ordered(&self) -> Vec<&'a Member<'a>> {
        let mut members: Vec<_> = self.members.iter().collect();
        if self.sorted {
            return members;
        }
        // A stable sort keeps repeated keys in input order, so the last of a run is the
        // last one written.
        members.sort_by(|left, right| compare_keys(left.0, right.0));
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
fn sort_members(members: &mut Vec<Member<'_>>) {
    // A stable sort keeps repeated keys in input order, so the last of a run is the last
    // one written.
    members.sort_by(|left, right| compare_keys(left.0, right.0));
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
                for element in *elements {
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

/// Largest object [`Object::get`] scans; it binary-searches larger ones.
const MAX_SCANNED_MEMBERS: usize = 64;

/// Members an object's vector has room for before its first member is read. `serde_json`
/// does not tell an object's size in advance, and starting from 16 saves most objects of a
/// log record the reallocations that growing from zero costs.
const OBJECT_CAPACITY: usize = 16;

/// Builds a [`Value`] in an arena from `serde_json`'s deserializer, for the inputs that the
/// hand-written parser does not accept.
struct ValueSeed<'a>(&'a Arena);

impl<'de: 'a, 'a> DeserializeSeed<'de> for ValueSeed<'a> {
    type Value = Value<'a>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for ValueSeed<'a> {
    type Value = Value<'a>;

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
        Ok(Value::String(text))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Value::String(self.0.alloc_str(text)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Self::Value, A::Error> {
        let mut elements = Vec::with_capacity(sequence.size_hint().unwrap_or(0));
        while let Some(element) = sequence.next_element_seed(ValueSeed(self.0))? {
            elements.push(element);
        }
        Ok(Value::Array(self.0.alloc_slice(&elements)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(OBJECT_CAPACITY));
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            let value = map.next_value_seed(ValueSeed(self.0))?;
            members.push((key, value));
        }
        Ok(Value::Object(Object::from_members(&members, self.0)))
    }
}

/// Reads an object key, borrowing it when it has no escape sequence and copying it into the
/// arena otherwise.
struct KeySeed<'a>(&'a Arena);

impl<'de: 'a, 'a> DeserializeSeed<'de> for KeySeed<'a> {
    type Value = &'a str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for KeySeed<'a> {
    type Value = &'a str;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Self::Value, E> {
        Ok(text)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(self.0.alloc_str(text))
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
        let arena = Arena::new();
        for sample in SAMPLES {
            let expected: serde_json::Value = serde_json::from_str(sample).unwrap();
            let parsed = parse(sample.as_bytes(), &arena).unwrap();
            // Key order of serde_json's map depends on its `preserve_order`
            // feature, which other workspace crates may switch on, so the
            // display is compared after parsing it back.
            let displayed: serde_json::Value = serde_json::from_str(&parsed.to_string()).unwrap();
            assert_eq!(displayed, expected, "{sample}");
            assert_eq!(parsed.to_serde(), expected, "{sample}");
            assert_eq!(Value::from_serde(&expected, &arena), parsed, "{sample}");
        }
    }

    #[test]
    fn errors_match_serde_json() {
        let arena = Arena::new();
        for sample in INVALID {
            let expected = serde_json::from_slice::<serde_json::Value>(sample).unwrap_err();
            let error = parse(sample, &arena).unwrap_err();
            assert_eq!(error.to_string(), expected.to_string());
            assert_eq!(error.column(), expected.column());
        }
    }

    #[test]
    fn repeated_key_keeps_the_last_value() {
        let arena = Arena::new();
        let parsed = parse(br#"{"k": 1, "j": 0, "k": 3}"#, &arena).unwrap();
        let object = parsed.as_object().unwrap();
        assert_eq!(object.len(), 2);
        assert_eq!(object.get("k").and_then(Value::as_u64), Some(3));
        assert_eq!(object.keys().collect::<Vec<_>>(), ["j", "k"]);
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let arena = Arena::new();
        let text = br#"{"plain": "text", "escaped": "a\nb"}"#;
        let parsed = parse(text, &arena).unwrap();
        let object = parsed.as_object().unwrap();
        let input = text.as_ptr_range();
        let plain = object.get("plain").and_then(Value::as_str).unwrap();
        assert_eq!(plain, "text");
        assert!(input.contains(&plain.as_ptr()));
        let escaped = object.get("escaped").and_then(Value::as_str).unwrap();
        assert_eq!(escaped, "a\nb");
        assert!(!input.contains(&escaped.as_ptr()));
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
        let arena = Arena::new();
        let text = format!(
            "{{{}}}",
            (0..200)
                .map(|index| format!("\"key{index}\": {index}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let parsed = parse(text.as_bytes(), &arena).unwrap();
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
        let arena = Arena::new();
        let parsed = parse(br#"{"a": 1, "b": null, "a": null, "c": 2}"#, &arena).unwrap();
        let object = parsed.as_object().unwrap();
        assert!(!object.any(|key, value| key == "a" && !value.is_null()));
        assert!(object.any(|key, value| key == "c" && !value.is_null()));
        assert!(object.any(|key, value| key == "a" && value.is_null()));
    }

    #[test]
    fn equality_ignores_written_order() {
        let arena = Arena::new();
        let forward = parse(br#"{"a": 1, "b": {"y": 2, "x": 1}}"#, &arena).unwrap();
        let backward = parse(br#"{"b": {"x": 1, "y": 2}, "a": 0, "a": 1}"#, &arena).unwrap();
        assert_eq!(forward, backward);
        let other = parse(br#"{"a": 1, "b": {"x": 1, "y": 3}}"#, &arena).unwrap();
        assert_ne!(forward, other);
    }

    #[test]
    fn large_object_keeps_last_repeated_value() {
        let arena = Arena::new();
        let members: Vec<String> = (0..100)
            .rev()
            .map(|index| format!("\"key{index}\": {index}"))
            .chain(["\"key7\": 700".to_owned()])
            .collect();
        let text = format!("{{{}}}", members.join(", "));
        let parsed = parse(text.as_bytes(), &arena).unwrap();
        let object = parsed.as_object().unwrap();
        assert_eq!(object.len(), 100);
        assert_eq!(object.get("key7").and_then(Value::as_u64), Some(700));
        let keys: Vec<&str> = object.keys().collect();
        assert!(keys.is_sorted());
    }
}

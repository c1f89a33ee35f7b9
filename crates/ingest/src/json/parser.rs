//! A recursive-descent JSON parser that builds [`Value`] directly from the text.
//!
//! It reads the bytes itself instead of going through serde's `Deserializer` and
//! `Visitor`. It scans strings eight bytes at a time, collects the members of all open
//! objects on one shared stack, and allocates each object's vector once with its final
//! length, where the `Visitor` grows a vector from a guessed capacity.
//!
//! It accepts only input that it parses to the same [`Value`] as the `serde_json` path in
//! [`value`](super::value). For anything else it returns `None`: syntax errors, control
//! characters or invalid escapes in strings, lone surrogates, trailing characters, and
//! nesting deeper than `serde_json` allows. The caller then parses the same text with
//! `serde_json`, so errors keep `serde_json`'s messages and positions.

use super::number::Number;
use super::value::{Arena, ArenaVec, Member, Object, Value};

/// Maximum nesting of arrays and objects that `serde_json` accepts. Its `Deserializer`
/// (read in version 1.0.154) starts with a recursion budget of 128 and takes one for each
/// array or object it enters. It fails when the budget reaches zero, at the 128th level.
const MAX_DEPTH: usize = 127;

/// Initial capacity of the shared member stack, enough for the objects of a typical log
/// record.
const STACK_CAPACITY: usize = 64;

/// Initial capacity of the shared element stack, enough for the arrays of a typical log
/// record.
const ELEMENT_STACK_CAPACITY: usize = 16;

/// Parses a JSON document, or returns `None` when the input is not one that this parser
/// accepts. Every accepted input parses to the same value as with `serde_json`.
pub(crate) fn parse_fast<'a>(text: &'a str, arena: &'a Arena) -> Option<Value<'a>> {
    let mut parser = Parser::new(text, arena);
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    (parser.position == text.len()).then_some(value)
}

/// An object read by [`parse_object_prefix`].
pub(crate) struct ObjectPrefix<'a> {
    pub(crate) value: Value<'a>,
    /// Length of the object's text.
    pub(crate) length: usize,
    /// Line feeds in the object's text. JSON allows them only in whitespace between tokens,
    /// where the parser counts them as it skips them.
    pub(crate) line_feeds: u64,
}

/// Parses the object at the start of `text`, or returns `None` when `text` does not start
/// with an object that this parser accepts. The text after the object is not read, so the
/// object parses to the same value as it would alone.
pub(crate) fn parse_object_prefix<'a>(text: &'a str, arena: &'a Arena) -> Option<ObjectPrefix<'a>> {
    if !text.starts_with('{') {
        return None;
    }
    let mut parser = Parser::new(text, arena);
    let value = parser.object()?;
    Some(ObjectPrefix {
        value,
        length: parser.position,
        line_feeds: parser.line_feeds,
    })
}

/// Returns the length of the longest prefix of `bytes` without a quote, a backslash or a
/// control character, the bytes that end the plain part of a string.
///
/// On x86-64 it tests sixteen bytes at a time with SSE2, then the rest as other targets do.
#[inline(always)]
pub(crate) fn plain_run_length(bytes: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86-64 architecture, so every CPU that runs an x86-64
        // build has it.
        #[allow(unsafe_code)]
        let (found, length) = unsafe { sse2::plain_run_length(bytes) };
        if found {
            return length;
        }
        length + plain_run_length_by_words(bytes.get(length..).unwrap_or_default())
    }
    #[cfg(not(target_arch = "x86_64"))]
    plain_run_length_by_words(bytes)
}

/// Tests sixteen bytes at a time with SSE2 instructions.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8,
    };

    /// Returns true with the length of the plain prefix when a byte that ends it lies in one
    /// of the whole sixteen-byte blocks that `bytes` starts with. Otherwise returns false with
    /// the length of those blocks, and the caller scans the bytes after them.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn plain_run_length(bytes: &[u8]) -> (bool, usize) {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let last_control = _mm_set1_epi8(0x1F);
        let mut rest = bytes;
        let mut length = 0;
        while let Some((chunk, after)) = rest.split_first_chunk::<16>() {
            let block = load(chunk);
            // A byte is a control character when its unsigned maximum with 0x1F is 0x1F.
            let control = _mm_cmpeq_epi8(_mm_max_epu8(block, last_control), last_control);
            let ends = _mm_or_si128(
                _mm_or_si128(
                    _mm_cmpeq_epi8(block, quote),
                    _mm_cmpeq_epi8(block, backslash),
                ),
                control,
            );
            let mask = _mm_movemask_epi8(ends);
            if mask != 0 {
                return (true, length + mask.trailing_zeros() as usize);
            }
            length += 16;
            rest = after;
        }
        (false, length)
    }

    /// Loads sixteen bytes into a vector, the first byte in the lowest lane. The compiler
    /// turns this into one unaligned load (`movups`).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(chunk: &[u8; 16]) -> __m128i {
        let word = u128::from_le_bytes(*chunk);
        _mm_set_epi64x((word >> 64) as i64, word as i64)
    }
}

/// Returns the length of the longest prefix of `bytes` without a quote, a backslash or a
/// control character, testing eight bytes at a time with integer arithmetic.
///
/// A byte below 0x20, or a byte that equals a quote or backslash after an XOR, makes the
/// subtraction of 0x20 or 0x01 borrow from that byte and sets its high bit, which `& !word`
/// keeps only for bytes below 0x80. A borrow can flag a byte above a match too, but never
/// one below it, so the lowest flagged byte is the first match.
#[inline(always)]
fn plain_run_length_by_words(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH_BITS: u64 = ONES * 0x80;
    // Splitting off one chunk at a time saves the bounds checks of slicing at an offset.
    let mut rest = bytes;
    let mut length = 0;
    while let Some((chunk, after)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*chunk);
        let quotes = word ^ (ONES * u64::from(b'"'));
        let backslashes = word ^ (ONES * u64::from(b'\\'));
        let flagged = (word.wrapping_sub(ONES * 0x20) & !word
            | quotes.wrapping_sub(ONES) & !quotes
            | backslashes.wrapping_sub(ONES) & !backslashes)
            & HIGH_BITS;
        if flagged != 0 {
            // Little-endian order puts the first byte in the lowest bits.
            return length + flagged.trailing_zeros() as usize / 8;
        }
        length += 8;
        rest = after;
    }
    for &byte in rest {
        if byte == b'"' || byte == b'\\' || byte < 0x20 {
            break;
        }
        length += 1;
    }
    length
}

/// Reads the value at the parser's position, binds it to `$value` and evaluates `$store`,
/// or returns `None` from the enclosing function when the input is not accepted.
///
/// Each kind of value is stored in its own arm. When a function returned the value to one
/// shared store instead, the compiler copied it through the stack with stores and loads of
/// different widths, and those reloads were the hottest instructions in a `perf` profile.
macro_rules! read_value {
    ($parser:ident, $value:ident => $store:expr) => {
        match $parser.peek()? {
            b'"' => {
                $parser.position += 1;
                match $parser.plain_string()? {
                    PlainString::Complete(text) => {
                        let $value = Value::String(text);
                        $store
                    }
                    PlainString::EscapeAt(backslash) => {
                        let start = $parser.position;
                        let $value = Value::String($parser.escaped_string(start, backslash)?);
                        $store
                    }
                }
            }
            b'{' => {
                let $value = $parser.object()?;
                $store
            }
            b'[' => {
                let $value = $parser.array()?;
                $store
            }
            b't' => {
                $parser.literal(b"true")?;
                let $value = Value::Bool(true);
                $store
            }
            b'f' => {
                $parser.literal(b"false")?;
                let $value = Value::Bool(false);
                $store
            }
            b'n' => {
                $parser.literal(b"null")?;
                let $value = Value::Null;
                $store
            }
            b'-' | b'0'..=b'9' => {
                let $value = Value::Number($parser.number()?);
                $store
            }
            _ => return None,
        }
    };
}

/// The result of [`Parser::plain_string`].
enum PlainString<'a> {
    /// A string without escape sequences, borrowed from the input.
    Complete(&'a str),
    /// The offset of the first backslash of a string with escape sequences.
    EscapeAt(usize),
}

struct Parser<'a> {
    text: &'a str,
    /// The arena that stores arrays, objects and strings with escapes.
    arena: &'a Arena,
    /// Byte offset of the next unread byte.
    position: usize,
    /// Number of arrays and objects that enclose the position.
    depth: usize,
    /// Members of the objects being read, innermost last. Each object takes its members off
    /// the top when it closes. The stack lives in the arena too, so a record costs no
    /// allocation from the heap for it.
    members: ArenaVec<'a, Member<'a>>,
    /// Elements of the arrays being read, shared in the same way.
    elements: ArenaVec<'a, Value<'a>>,
    /// Line feeds skipped as whitespace so far.
    line_feeds: u64,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, arena: &'a Arena) -> Self {
        Self {
            text,
            arena,
            position: 0,
            depth: 0,
            members: arena.vec(STACK_CAPACITY),
            elements: arena.vec(ELEMENT_STACK_CAPACITY),
            line_feeds: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    /// Skips the four whitespace bytes that JSON allows.
    fn skip_whitespace(&mut self) {
        while let Some(byte @ (b' ' | b'\n' | b'\r' | b'\t')) = self.peek() {
            self.line_feeds += u64::from(byte == b'\n');
            self.position += 1;
        }
    }

    fn value(&mut self) -> Option<Value<'a>> {
        Some(read_value!(self, value => value))
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.position.checked_add(word.len())?;
        if self.text.as_bytes().get(self.position..end)? != word {
            return None;
        }
        self.position = end;
        Some(())
    }

    /// Steps over the opening bracket of an array or object, failing when that nests
    /// deeper than `serde_json` allows.
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.position += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    #[inline(never)]
    fn object(&mut self) -> Option<Value<'a>> {
        self.enter()?;
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.position += 1;
            self.depth -= 1;
            return Some(Value::Object(Object::default()));
        }
        let base = self.members.len();
        loop {
            if self.next()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.skip_whitespace();
            if self.next()? != b':' {
                return None;
            }
            self.skip_whitespace();
            read_value!(self, value => self.members.push((key, value)));
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b'}' => break,
                _ => return None,
            }
        }
        self.depth -= 1;
        // The members are copied in one block into a slice of the arena sized for them.
        let object = Object::from_members(self.members.get(base..)?, self.arena);
        self.members.truncate(base);
        Some(Value::Object(object))
    }

    #[inline(never)]
    fn array(&mut self) -> Option<Value<'a>> {
        self.enter()?;
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.position += 1;
            self.depth -= 1;
            return Some(Value::Array(&[]));
        }
        let base = self.elements.len();
        loop {
            read_value!(self, value => self.elements.push(value));
            self.skip_whitespace();
            match self.next()? {
                b',' => self.skip_whitespace(),
                b']' => break,
                _ => return None,
            }
        }
        self.depth -= 1;
        let elements = self.arena.alloc_slice(self.elements.get(base..)?);
        self.elements.truncate(base);
        Some(Value::Array(elements))
    }

    /// Reads a string whose opening quote has been read. A string without escape sequences
    /// is borrowed from the input, as `serde_json` borrows it.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        match self.plain_string()? {
            PlainString::Complete(text) => Some(text),
            PlainString::EscapeAt(backslash) => self.escaped_string(self.position, backslash),
        }
    }

    /// Reads a string whose opening quote has been read, up to its closing quote or its
    /// first backslash. At a backslash, the position stays at the start of the string.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<PlainString<'a>> {
        let start = self.position;
        let end = self.scan_string_run()?;
        if self.text.as_bytes().get(end) == Some(&b'"') {
            self.position = end + 1;
            return self.text.get(start..end).map(PlainString::Complete);
        }
        Some(PlainString::EscapeAt(end))
    }

    /// Returns the offset of the next quote or backslash, or `None` when the string ends
    /// without one or a control character comes first. JSON forbids the bytes below 0x20
    /// in strings, and `serde_json` rejects them.
    #[inline(always)]
    fn scan_string_run(&self) -> Option<usize> {
        let rest = self.text.as_bytes().get(self.position..)?;
        let end = self.position + plain_run_length(rest);
        match self.text.as_bytes().get(end)? {
            b'"' | b'\\' => Some(end),
            _ => None,
        }
    }

    /// Reads the rest of a string from its first backslash at `backslash`, copying the
    /// text from `start` and decoding each escape sequence, and stores it in the arena.
    fn escaped_string(&mut self, start: usize, backslash: usize) -> Option<&'a str> {
        let mut text = String::with_capacity(backslash - start + 16);
        text.push_str(self.text.get(start..backslash)?);
        self.position = backslash;
        loop {
            // The position is at a quote or a backslash: `scan_string_run` stops at nothing
            // else.
            if self.next()? == b'"' {
                return Some(self.arena.alloc_str(&text));
            }
            self.escape(&mut text)?;
            let run_start = self.position;
            let run_end = self.scan_string_run()?;
            text.push_str(self.text.get(run_start..run_end)?);
            self.position = run_end;
        }
    }

    /// Decodes the escape sequence after a backslash into `text`.
    fn escape(&mut self, text: &mut String) -> Option<()> {
        let decoded = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return None,
        };
        text.push(decoded);
        Some(())
    }

    /// Decodes a `\u` escape whose `\u` has been read. A character outside the Basic
    /// Multilingual Plane is written as a UTF-16 surrogate pair, `\uD83D\uDE00`. A lone
    /// surrogate is an error in `serde_json` and makes this parser give up.
    fn unicode_escape(&mut self) -> Option<char> {
        let unit = self.hex_escape()?;
        if !(0xD800..=0xDBFF).contains(&unit) {
            // `from_u32` rejects the trailing surrogates 0xDC00 to 0xDFFF.
            return char::from_u32(unit);
        }
        if self.next()? != b'\\' || self.next()? != b'u' {
            return None;
        }
        let trailing = self.hex_escape()?;
        if !(0xDC00..=0xDFFF).contains(&trailing) {
            return None;
        }
        char::from_u32(0x1_0000 + ((unit - 0xD800) << 10) + (trailing - 0xDC00))
    }

    /// Reads the four hexadecimal digits of a `\u` escape, in either case.
    fn hex_escape(&mut self) -> Option<u32> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = char::from(self.next()?).to_digit(16)?;
            unit = unit * 16 + digit;
        }
        Some(unit)
    }

    /// Reads a number. Integers that fit in 64 bits are converted here. Everything else
    /// (fractions, exponents, `-0` and integers too large for 64 bits) goes to
    /// `serde_json::Number`'s `FromStr`, which runs `serde_json`'s own number parser, so
    /// that floating-point results match it bit for bit.
    fn number(&mut self) -> Option<Number> {
        let start = self.position;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.position += 1;
        }
        // The significand of the integer part, or `None` once it exceeds `u64`.
        let mut significand = Some(0_u64);
        match self.next()? {
            b'0' => {
                // JSON forbids leading zeros, such as `01`.
                if self.peek().is_some_and(|byte| byte.is_ascii_digit()) {
                    return None;
                }
            }
            first @ b'1'..=b'9' => {
                significand = Some(u64::from(first - b'0'));
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    significand = significand
                        .and_then(|value| value.checked_mul(10))
                        .and_then(|value| value.checked_add(u64::from(digit - b'0')));
                    self.position += 1;
                }
            }
            _ => return None,
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.position += 1;
            self.digits()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.position += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.position += 1;
            }
            self.digits()?;
            integer = false;
        }
        if integer {
            match (negative, significand) {
                (false, Some(value)) => return Some(Number::from(value)),
                // `serde_json` reads `-0` as the float -0.0, which `FromStr` gives below.
                (true, Some(value)) if value != 0 => {
                    if let Some(negated) = 0_i64.checked_sub_unsigned(value) {
                        return Some(Number::from(negated));
                    }
                }
                _ => {}
            }
        }
        let number: serde_json::Number = self.text.get(start..self.position)?.parse().ok()?;
        Number::from_serde(&number)
    }

    /// Skips one or more decimal digits.
    fn digits(&mut self) -> Option<()> {
        let first = self.position;
        while let Some(b'0'..=b'9') = self.peek() {
            self.position += 1;
        }
        (self.position > first).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::Config;

    use super::{parse_fast, parse_object_prefix, plain_run_length};
    use crate::json::value::parse_serde_only;
    use crate::json::{Arena, Value, parse};

    /// Returns an arena that lives until the process ends, for values that tests return
    /// from helpers.
    fn arena() -> &'static Arena {
        Box::leak(Box::new(Arena::new()))
    }

    /// Compares two values strictly: beyond `PartialEq`, strings must both be borrowed from
    /// the same bytes of `input` or both be copies, and numbers must have the same kind
    /// (unsigned, signed or float) and the same bits, so that -0.0 differs from 0.0.
    fn identical(left: &Value, right: &Value, input: &[u8]) -> bool {
        match (left, right) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(left), Value::Bool(right)) => left == right,
            (Value::Number(left), Value::Number(right)) => {
                left.is_u64() == right.is_u64()
                    && left.is_i64() == right.is_i64()
                    && left.is_f64() == right.is_f64()
                    && left.as_u64() == right.as_u64()
                    && left.as_i64() == right.as_i64()
                    && left.as_f64().map(f64::to_bits) == right.as_f64().map(f64::to_bits)
            }
            (Value::String(left), Value::String(right)) => identical_strings(left, right, input),
            (Value::Array(left), Value::Array(right)) => {
                left.len() == right.len()
                    && left
                        .iter()
                        .zip(right.iter())
                        .all(|(left, right)| identical(left, right, input))
            }
            (Value::Object(left), Value::Object(right)) => {
                left.len() == right.len()
                    && left.iter().zip(right.iter()).all(
                        |((left_key, left_value), (right_key, right_value))| {
                            identical_strings(left_key, right_key, input)
                                && identical(left_value, right_value, input)
                        },
                    )
            }
            _ => false,
        }
    }

    fn identical_strings(left: &str, right: &str, input: &[u8]) -> bool {
        match (borrowed_from(left, input), borrowed_from(right, input)) {
            (true, true) => left.as_ptr() == right.as_ptr() && left == right,
            (false, false) => left == right,
            _ => false,
        }
    }

    /// Returns true when `text` is a slice of `input`, not a copy in an arena.
    fn borrowed_from(text: &str, input: &[u8]) -> bool {
        let input = input.as_ptr_range();
        let text = text.as_bytes().as_ptr_range();
        input.start <= text.start && text.end <= input.end
    }

    /// Checks that [`parse`] returns what `serde_json` returns for `bytes`, including the
    /// message and position of an error, and that the hand-written parser accepts exactly
    /// the valid documents, so that the comparison covers it and not only the fallback.
    ///
    /// Both paths build objects with `Object::from_members`, so a value is also compared
    /// with the `serde_json::Value` of the same bytes, which checks the handling of
    /// repeated keys independently.
    fn check_against_serde(bytes: &[u8]) -> Result<(), TestCaseError> {
        let input = String::from_utf8_lossy(bytes);
        let (fast_arena, serde_arena) = (Arena::new(), Arena::new());
        let expected = parse_serde_only(bytes, &serde_arena);
        let actual = parse(bytes, &fast_arena);
        match (&actual, &expected) {
            (Ok(actual), Ok(expected)) => {
                prop_assert!(
                    identical(actual, expected, bytes),
                    "{input:?}\nparse: {actual:?}\nserde_json: {expected:?}"
                );
                let reference = serde_json::from_slice::<serde_json::Value>(bytes);
                let reference = reference.ok();
                prop_assert_eq!(Some(actual.to_serde()), reference.clone(), "{:?}", input);
                if let Some(reference) = &reference {
                    check_lookups(actual, reference)?;
                }
            }
            (Err(actual), Err(expected)) => {
                prop_assert_eq!(actual.to_string(), expected.to_string(), "{:?}", input);
                prop_assert_eq!(actual.line(), expected.line(), "{:?}", input);
                prop_assert_eq!(actual.column(), expected.column(), "{:?}", input);
            }
            _ => prop_assert!(
                false,
                "{input:?}\nparse: {actual:?}\nserde_json: {expected:?}"
            ),
        }
        if let Ok(text) = std::str::from_utf8(bytes) {
            prop_assert_eq!(
                parse_fast(text, &Arena::new()).is_some(),
                expected.is_ok(),
                "the hand-written parser accepts {:?} only if serde_json does",
                input
            );
        }
        Ok(())
    }

    /// Checks that [`Object::get`](crate::json::Object::get) finds the value `serde_json`
    /// keeps for every key of every object in `value`, the last one written, and nothing for
    /// keys that are not there.
    fn check_lookups(value: &Value, reference: &serde_json::Value) -> Result<(), TestCaseError> {
        match (value, reference) {
            (Value::Object(object), serde_json::Value::Object(map)) => {
                for (key, expected) in map {
                    let found = object.get(key).map(Value::to_serde);
                    prop_assert_eq!(found.as_ref(), Some(expected), "{:?}", key);
                    check_lookups(&value[key.as_str()], expected)?;
                    let missing = format!("{key}?");
                    prop_assert_eq!(
                        object.get(&missing).is_some(),
                        map.contains_key(&missing),
                        "{:?}",
                        missing
                    );
                }
                prop_assert_eq!(object.get("\u{0}missing"), None);
            }
            (Value::Array(elements), serde_json::Value::Array(expected)) => {
                for (element, expected) in elements.iter().zip(expected) {
                    check_lookups(element, expected)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Asserts that `text` parses as with `serde_json` and returns the value.
    fn parsed(text: &str) -> Value<'_> {
        if let Err(failure) = check_against_serde(text.as_bytes()) {
            panic!("{failure}");
        }
        parse(text.as_bytes(), arena()).unwrap()
    }

    /// Asserts that `text` fails as with `serde_json` and returns the error message.
    fn failed(text: &[u8]) -> String {
        if let Err(failure) = check_against_serde(text) {
            panic!("{failure}");
        }
        parse(text, &Arena::new()).unwrap_err().to_string()
    }

    fn nested(depth: usize, open: &str, inner: &str, close: &str) -> String {
        format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
    }

    #[test]
    fn nesting_limit_matches_serde_json() {
        for (open, close) in [("[", "]"), ("{\"k\":", "}"), ("[{\"k\":", "}]")] {
            // Arrays and objects count alike, so the mixed case nests twice per repetition.
            let levels = if open.len() > 1 && open.starts_with('[') {
                2
            } else {
                1
            };
            let deepest = nested(127 / levels, open, "1", close);
            assert!(parse_fast(&deepest, &Arena::new()).is_some(), "{deepest}");
            parsed(&deepest);
            let too_deep = nested(128_usize.div_ceil(levels), open, "1", close);
            assert!(failed(too_deep.as_bytes()).starts_with("recursion limit exceeded"));
        }
        parsed(&nested(127, "[", "", "]"));
        failed(nested(128, "[", "", "]").as_bytes());
        failed(nested(128, "[", "{}", "]").as_bytes());
        parsed(&nested(126, "[", "{}", "]"));
    }

    #[test]
    fn control_characters_are_rejected() {
        for byte in (0_u8..0x20).chain([0x7f]) {
            let value = format!("[\"a{}b\"]", char::from(byte));
            let key = format!("{{\"a{}b\": 1}}", char::from(byte));
            let escaped = format!("[\"a\\n{}b\"]", char::from(byte));
            if byte < 0x20 {
                assert!(failed(value.as_bytes()).starts_with("control character"));
                failed(key.as_bytes());
                failed(escaped.as_bytes());
            } else {
                parsed(&value);
                parsed(&key);
                parsed(&escaped);
            }
        }
    }

    #[test]
    fn escapes_decode_like_serde_json() {
        let cases = [
            (r#""\"""#, "\""),
            (r#""\\""#, "\\"),
            (r#""\/""#, "/"),
            (r#""\b""#, "\u{8}"),
            (r#""\f""#, "\u{c}"),
            (r#""\n""#, "\n"),
            (r#""\r""#, "\r"),
            (r#""\t""#, "\t"),
            (r#""\u0000""#, "\0"),
            (r#""\u00e9\u00E9""#, "éé"),
            (r#""\uFFFF""#, "\u{ffff}"),
            (r#""\ud83d\ude00""#, "😀"),
            (r#""\uDBFF\uDFFF""#, "\u{10ffff}"),
            (r#""a\tb\u0041c""#, "a\tbAc"),
        ];
        for (text, expected) in cases {
            let value = parsed(text);
            assert!(
                matches!(&value, Value::String(decoded)
                    if *decoded == expected && !borrowed_from(decoded, text.as_bytes())),
                "{text}: {value:?}"
            );
        }
        for invalid in [
            r#""\x""#,
            r#""\u12""#,
            r#""\u12G4""#,
            r#""\uD800""#,
            r#""\uDC00""#,
            r#""\uD800\u0041""#,
            r#""\uD800\uD800""#,
            r#""\uD800x""#,
            r#""\uD800\n""#,
            r#""\"#,
            r#""abc"#,
        ] {
            failed(invalid.as_bytes());
        }
    }

    #[test]
    fn numbers_match_serde_json() {
        let zero = parsed("-0");
        assert_eq!(zero.as_f64().map(f64::to_bits), Some((-0.0_f64).to_bits()));

        assert_eq!(parsed("0").as_u64(), Some(0));
        assert_eq!(parsed("1.0").as_f64(), Some(1.0));
        assert_eq!(parsed("1.0").as_u64(), None);
        assert_eq!(parsed("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(parsed("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(
            parsed("18446744073709551616").as_f64(),
            Some(18_446_744_073_709_551_616.0)
        );
        assert!(parsed("-9223372036854775809").as_i64().is_none());
        assert!(failed(b"1e400").starts_with("number out of range"));

        for text in [
            "-0.0",
            "0e0",
            "-0E+0",
            "1E2",
            "1e-400",
            "-1.5e-7",
            "123456789012345678901234567890",
            "-123456789012345678901234567890",
            "0.000000000000000000000000000000000000000000001",
            "1.7976931348623157e308",
            "2.2250738585072014e-308",
            "4.9e-324",
            "9007199254740993",
            "0.1",
            "3.141592653589793238462643383279",
        ] {
            parsed(text);
        }

        for text in [
            "01", "-", "-a", "+1", "1.", "1.e5", ".5", "1e", "1e+", "--1", "1x", "0x10", "-1e400",
            "NaN", "Infinity",
        ] {
            failed(text.as_bytes());
        }
    }

    #[test]
    fn whitespace_matches_serde_json() {
        let spaced = parsed(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ]\r, \"b\"\t:\"c\" } \n");
        assert_eq!(spaced.get("b").and_then(Value::as_str), Some("c"));
        // Form feed, vertical tab and no-break space are not JSON whitespace.
        for text in ["\u{c}1", "1\u{b}", "[1,\u{a0}2]"] {
            failed(text.as_bytes());
        }
    }

    #[test]
    fn byte_order_mark_is_rejected() {
        assert!(failed("\u{feff}{}".as_bytes()).starts_with("expected value"));
    }

    #[test]
    fn empty_input_is_rejected() {
        assert!(failed(b"").starts_with("EOF while parsing a value"));
        failed(b" \n ");
    }

    #[test]
    fn syntax_errors_match_serde_json() {
        for text in [
            "tru",
            "nul",
            "falsey",
            "[1,]",
            "{\"a\":1,}",
            "{,}",
            "[,1]",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "{\"a\":1 \"b\":2}",
            "]",
            "}",
            "[}",
            "{]",
            "\"a\" \"b\"",
            "{\"a\"}",
        ] {
            failed(text.as_bytes());
        }
        assert_eq!(parsed(" true ").as_bool(), Some(true));
        assert_eq!(
            parsed("[false,null]").as_array().map(<[Value]>::len),
            Some(2)
        );
    }

    #[test]
    fn repeated_keys_keep_last_value() {
        let value = parsed(r#"{"b": 1, "a": 2, "b": 3, "\u0062": 4, "c": {"z": 1, "y": 2}}"#);
        assert_eq!(value.get("b").and_then(Value::as_u64), Some(4));
        let keys: Vec<_> = value.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b", "c"]);
        parsed(r#"{"a": 1, "b": 2, "c": 3}"#);
        let repeated = parsed(r#"{"a": 1, "a": 2}"#);
        assert_eq!(repeated.as_object().map(|object| object.len()), Some(1));
        assert_eq!(repeated.get("a").and_then(Value::as_u64), Some(2));
        parsed("{}");
        parsed("[]");
        parsed("[{}, [], [[]], {\"\": {}}]");
    }

    /// A JSON value to write out as text, whose strings and numbers are already written
    /// in one of the ways JSON allows.
    #[derive(Clone, Debug)]
    enum Document {
        Scalar(String),
        Array(Vec<Document>),
        Object(Vec<(String, Document)>),
    }

    /// Writes `document` with whitespace taken in turn from `whitespace` around every
    /// token.
    fn write_document(
        document: &Document,
        whitespace: &[String],
        turn: &mut usize,
        out: &mut String,
    ) {
        let space = |turn: &mut usize, out: &mut String| {
            if let Some(space) = whitespace.get(*turn % whitespace.len().max(1)) {
                out.push_str(space);
            }
            *turn += 1;
        };
        match document {
            Document::Scalar(text) => out.push_str(text),
            Document::Array(elements) => {
                out.push('[');
                space(turn, out);
                for (index, element) in elements.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                        space(turn, out);
                    }
                    write_document(element, whitespace, turn, out);
                    space(turn, out);
                }
                out.push(']');
            }
            Document::Object(members) => {
                out.push('{');
                space(turn, out);
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                        space(turn, out);
                    }
                    out.push_str(key);
                    space(turn, out);
                    out.push(':');
                    space(turn, out);
                    write_document(value, whitespace, turn, out);
                    space(turn, out);
                }
                out.push('}');
            }
        }
    }

    /// Generates one piece of a string literal's content: plain text, a short escape, or a
    /// character written as `\u` escapes (a surrogate pair above U+FFFF) in either hex case.
    fn string_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => "[^\"\\\\\\x00-\\x1f]{1,6}",
            1 => prop::sample::select(vec![
                "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
            ])
            .prop_map(str::to_owned),
            1 => (any::<char>(), any::<bool>()).prop_map(|(character, upper)| {
                let mut units = [0_u16; 2];
                character
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|unit| {
                        if upper {
                            format!("\\u{unit:04X}")
                        } else {
                            format!("\\u{unit:04x}")
                        }
                    })
                    .collect()
            }),
        ]
    }

    fn string_literal() -> impl Strategy<Value = String> {
        prop::collection::vec(string_piece(), 0..6)
            .prop_map(|pieces| format!("\"{}\"", pieces.concat()))
    }

    /// Generates object keys, mostly from a small set so that objects repeat keys, some
    /// written once plainly and once with escapes.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(vec![
                "\"a\"", "\"b\"", "\"\\u0061\"", "\"\"", "\"é\"", "\"A\"", "\"ab\"", "\"a\\n\"",
            ])
            .prop_map(str::to_owned),
            1 => string_literal(),
        ]
    }

    /// Generates numbers of every form: 64-bit integers at and past their limits, floats as
    /// Rust prints them, and numbers built from random parts. The exponent of the last
    /// kind sometimes takes them out of the range of `f64`.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|number| number.to_string()),
            any::<i64>().prop_map(|number| number.to_string()),
            prop::sample::select(vec![
                "0",
                "-0",
                "18446744073709551615",
                "18446744073709551616",
                "-9223372036854775808",
                "-9223372036854775809",
                "9223372036854775808",
            ])
            .prop_map(str::to_owned),
            any::<f64>()
                .prop_filter("JSON has no infinity or NaN", |number| number.is_finite())
                .prop_flat_map(|number| prop::sample::select(vec![
                    format!("{number}"),
                    format!("{number:?}"),
                    format!("{number:e}"),
                    format!("{number:E}"),
                ])),
            (
                any::<bool>(),
                "0|[1-9][0-9]{0,25}",
                prop::option::of("[0-9]{1,20}"),
                prop::option::of(("[eE]", "[+-]?", "[0-9]{1,3}")),
            )
                .prop_map(|(negative, integer, fraction, exponent)| {
                    let mut text = String::new();
                    if negative {
                        text.push('-');
                    }
                    text.push_str(&integer);
                    if let Some(fraction) = fraction {
                        text.push('.');
                        text.push_str(&fraction);
                    }
                    if let Some((letter, sign, digits)) = exponent {
                        text.push_str(&letter);
                        text.push_str(&sign);
                        text.push_str(&digits);
                    }
                    text
                }),
        ]
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => prop::sample::select(vec!["null", "true", "false"]).prop_map(str::to_owned),
            3 => number(),
            3 => string_literal(),
        ]
    }

    fn document() -> impl Strategy<Value = Document> {
        scalar()
            .prop_map(Document::Scalar)
            .prop_recursive(5, 64, 8, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..8).prop_map(Document::Array),
                    prop::collection::vec((key(), inner), 0..8).prop_map(Document::Object),
                ]
            })
    }

    /// Generates an object of up to 80 members, with keys from a small set so that many
    /// repeat, and nested objects of the same kind. It covers objects that lookups scan and
    /// objects large enough to be sorted and binary-searched.
    fn large_object() -> impl Strategy<Value = Document> {
        let key = prop_oneof![
            3 => (0_u32..40).prop_map(|index| format!("\"key{index}\"")),
            1 => key(),
        ];
        let member = (key, scalar().prop_map(Document::Scalar));
        prop::collection::vec(member, 0..80)
            .prop_map(Document::Object)
            .prop_recursive(2, 240, 80, |inner| {
                let key = (0_u32..40).prop_map(|index| format!("\"key{index}\""));
                prop::collection::vec((key, inner), 0..12).prop_map(Document::Object)
            })
    }

    /// Generates a document written as text with random whitespace between its tokens.
    fn document_text() -> impl Strategy<Value = String> {
        (document(), prop::collection::vec("[ \t\r\n]{0,3}", 1..12)).prop_map(
            |(document, whitespace)| {
                let mut turn = 0;
                let mut text = String::new();
                text.push_str(whitespace.last().map_or("", String::as_str));
                write_document(&document, &whitespace, &mut turn, &mut text);
                text.push_str(whitespace.first().map_or("", String::as_str));
                text
            },
        )
    }

    /// A change to a document's bytes, at a position scaled to its length.
    #[derive(Clone, Debug)]
    enum Mutation {
        Truncate(Index),
        FlipBit(Index, u8),
        Insert(Index, u8),
        Remove(Index),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        // Inserted bytes are often ones with a meaning in JSON, which break a document in
        // more interesting ways than arbitrary bytes.
        let byte = prop_oneof![
            any::<u8>(),
            prop::sample::select(b"{}[]\",:\\ \n0123456789-+.eEtfnu".to_vec()),
        ];
        prop_oneof![
            any::<Index>().prop_map(Mutation::Truncate),
            (any::<Index>(), 0_u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
            (any::<Index>(), byte).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
            any::<Index>().prop_map(Mutation::Remove),
        ]
    }

    fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
        let length = bytes.len();
        match mutation {
            Mutation::Truncate(at) => bytes.truncate(at.index(length + 1)),
            Mutation::FlipBit(at, bit) if length > 0 => {
                if let Some(byte) = bytes.get_mut(at.index(length)) {
                    *byte ^= 1 << bit;
                }
            }
            Mutation::Insert(at, byte) => bytes.insert(at.index(length + 1), *byte),
            Mutation::Remove(at) if length > 0 => {
                bytes.remove(at.index(length));
            }
            Mutation::FlipBit(..) | Mutation::Remove(_) => {}
        }
    }

    /// Returns the plain prefix's length one byte at a time.
    fn plain_run_length_by_bytes(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
            .unwrap_or(bytes.len())
    }

    #[test]
    fn object_prefix_counts_line_feeds() {
        let text = "{\n  \"a\": [1,\r\n 2],\n\t\"b\\n\": \"x\\ny\"\n}\n\n{\"next\": 1}";
        let object = parse_object_prefix(text, arena()).unwrap();
        let expected = &text[..text.find("}\n").unwrap() + 1];
        assert_eq!(object.length, expected.len());
        assert_eq!(object.line_feeds, 4);
        assert_eq!(
            object.line_feeds,
            expected.bytes().filter(|&b| b == b'\n').count() as u64
        );
        let compact = parse_object_prefix("{\"a\":1}\n", arena()).unwrap();
        assert_eq!(compact.line_feeds, 0);
    }

    #[test]
    fn plain_run_ends_at_every_byte_value() {
        for length in 0..48 {
            for position in 0..length {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![b'a'; length];
                    bytes[position] = byte;
                    assert_eq!(
                        plain_run_length(&bytes),
                        plain_run_length_by_bytes(&bytes),
                        "byte {byte:#04x} at {position} of {length}"
                    );
                }
            }
        }
    }

    #[test]
    fn plain_run_ends_at_first_of_two() {
        for first in 0..40 {
            for second in first..40 {
                let mut bytes = "é".repeat(20).into_bytes();
                bytes[second] = b'"';
                bytes[first] = b'\\';
                assert_eq!(plain_run_length(&bytes), first, "{first} and {second}");
            }
        }
    }

    proptest! {
        #![proptest_config(Config {
            cases: 1000,
            // Failing inputs are not saved to a file. Add them to the unit tests above.
            failure_persistence: None,
            ..Config::default()
        })]

        #[test]
        fn generated_documents_match_serde_json(text in document_text()) {
            check_against_serde(text.as_bytes())?;
        }

        #[test]
        fn large_objects_match_serde_json(document in large_object()) {
            let mut turn = 0;
            let mut text = String::new();
            write_document(&document, &[String::new()], &mut turn, &mut text);
            check_against_serde(text.as_bytes())?;
        }

        #[test]
        fn mutated_documents_match_serde_json(
            text in document_text(),
            mutations in prop::collection::vec(mutation(), 1..4),
        ) {
            let mut bytes = text.into_bytes();
            for mutation in &mutations {
                mutate(&mut bytes, mutation);
            }
            check_against_serde(&bytes)?;
        }
    }
}

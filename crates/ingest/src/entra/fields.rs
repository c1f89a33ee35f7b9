//! The fields of a canonical Entra record, read where they are in the parsed record.
//!
//! A [`Fields`] maps Graph field names to values of the record: references for the values
//! that are used as written, owned values only for nested objects that the record writes as
//! JSON strings. Building it copies no value of the record, and when the record names most
//! of its fields as Graph does, it reads the record's object itself.

use std::borrow::Cow;

use crate::NormalizeError;
use crate::json::{self, Arena, Object, Value, compare_keys};

/// Named values, each name once.
#[derive(Debug, Default)]
pub(super) struct Fields<'a> {
    /// The object whose members are the fields, under the names they are written with;
    /// `None` when the fields were collected into `members`.
    object: Option<&'a Object<'a>>,
    /// A member of `object` that is not a field.
    skip: Option<&'static str>,
    /// The members of `object` whose keys start with a capital (`Level`), in key order, each
    /// key once with the last value written. Each is the field named by its key in lower
    /// camel case, unless a member is written under that name.
    renamed: Vec<(&'a str, &'a Value<'a>)>,
    /// Fields collected by a [`FieldsBuilder`], sorted by name.
    members: Vec<(Cow<'a, str>, Cow<'a, Value<'a>>)>,
    /// Objects parsed from the JSON strings of `object`, which take their place.
    parsed: Vec<(&'static str, Value<'a>)>,
}

/// The rule that picks one of several fields collected under the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Repeated {
    /// The first field collected under a name is kept.
    KeepFirst,
    /// A field whose written name is already its canonical name wins over a renamed one
    /// (`createdDateTime` over `CreatedDateTime`). Among renamed fields, the first is kept.
    PreferUnrenamed,
}

/// Collects fields in record order, then sorts them into a [`Fields`].
#[derive(Debug)]
pub(super) struct FieldsBuilder<'a> {
    /// The field, and whether its written name had to be renamed.
    members: Vec<(Cow<'a, str>, Cow<'a, Value<'a>>, bool)>,
}

impl<'a> FieldsBuilder<'a> {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        Self {
            members: Vec::with_capacity(capacity),
        }
    }

    /// Adds a field under its canonical name. `renamed` is true when the record wrote it
    /// under another name.
    pub(super) fn push(&mut self, name: Cow<'a, str>, value: Cow<'a, Value<'a>>, renamed: bool) {
        self.members.push((name, value, renamed));
    }

    pub(super) fn build(mut self, repeated: Repeated) -> Fields<'a> {
        // The sort is stable, so fields of one name stay in the order they were pushed.
        match repeated {
            Repeated::KeepFirst => self
                .members
                .sort_by(|left, right| compare_keys(&left.0, &right.0)),
            Repeated::PreferUnrenamed => self
                .members
                .sort_by(|left, right| compare_keys(&left.0, &right.0).then(left.2.cmp(&right.2))),
        }
        self.members.dedup_by(|later, kept| later.0 == kept.0);
        Fields {
            members: self
                .members
                .into_iter()
                .map(|(name, value, _)| (name, value))
                .collect(),
            ..Fields::default()
        }
    }
}

impl<'a> Fields<'a> {
    /// Reads the members of `object` as the fields, but `skip`. A key that starts with a
    /// capital names the field of its lower camel case form. A member written under that
    /// form wins over it, and of several such keys the first in key order wins. The fields
    /// are those that a [`FieldsBuilder`] collects with [`Repeated::PreferUnrenamed`].
    pub(super) fn view(object: &'a Object<'a>, skip: Option<&'static str>) -> Self {
        let mut renamed: Vec<(&'a str, &'a Value<'a>)> = Vec::new();
        for key in object.written_keys() {
            if starts_upper(key)
                && Some(key) != skip
                && !renamed.iter().any(|(written, _)| *written == key)
                && let Some(value) = object.get(key)
            {
                renamed.push((key, value));
            }
        }
        renamed.sort_by(|left, right| compare_keys(left.0, right.0));
        Self {
            object: Some(object),
            skip,
            renamed,
            ..Self::default()
        }
    }

    /// Replaces the string value of each of `names` that contains serialized JSON with the
    /// value parsed into `arena`. Fails for a string that starts as JSON text (`{` or `[`)
    /// but is not valid JSON, so that the record is rejected rather than read without it.
    pub(super) fn parse_nested(
        &mut self,
        names: &[&'static str],
        arena: &'a Arena,
    ) -> Result<(), NormalizeError> {
        if let Some(object) = self.object {
            // Most records write nested objects as objects. One pass over the members finds
            // whether any contains serialized JSON, which costs less than a lookup per name.
            let serialized = object.any(|key, value| {
                value.as_str().is_some_and(may_be_serialized)
                    && (starts_upper(key) || names.contains(&key))
            });
            if !serialized {
                return Ok(());
            }
            for name in names {
                if let Some(Value::String(text)) = self.written_field(name)
                    && let Some(parsed) = parse_serialized(name, text, arena)?
                {
                    self.parsed.push((name, parsed));
                }
            }
            return Ok(());
        }
        for (name, value) in &mut self.members {
            if !names.contains(&name.as_ref()) {
                continue;
            }
            let parsed = match value.as_ref() {
                Value::String(text) => parse_serialized(name, text, arena)?,
                _ => None,
            };
            if let Some(parsed) = parsed {
                *value = Cow::Owned(parsed);
            }
        }
        Ok(())
    }

    /// Returns the value at `path`: the field named by its first key, then the keys of the
    /// field's objects. `null` counts as absent, as in [`json::get`].
    pub(super) fn get(&self, path: &[&str]) -> Option<&Value<'_>> {
        let (first, rest) = path.split_first()?;
        json::get(self.field(first)?, rest)
    }

    fn field(&self, name: &str) -> Option<&Value<'a>> {
        if self.object.is_some() {
            if let Some((_, value)) = self.parsed.iter().find(|(parsed, _)| *parsed == name) {
                return Some(value);
            }
            return self.written_field(name);
        }
        let position = self
            .members
            .binary_search_by(|(member, _)| compare_keys(member, name))
            .ok()?;
        self.members.get(position).map(|(_, value)| value.as_ref())
    }

    /// Returns the member of `object` that is the field `name`, as written.
    fn written_field(&self, name: &str) -> Option<&'a Value<'a>> {
        let object = self.object?;
        // A field name never starts with a capital: such keys are renamed.
        if Some(name) != self.skip
            && !starts_upper(name)
            && let Some(value) = object.get(name)
        {
            return Some(value);
        }
        self.renamed
            .iter()
            .find(|(written, _)| is_lower_camel_of(name, written))
            .map(|(_, value)| *value)
    }

    pub(super) fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get(path)
            .and_then(Value::as_str)
            .and_then(json::present)
    }

    pub(super) fn text_at(&self, path: &[&str]) -> Option<Box<str>> {
        self.get(path).and_then(json::text_of)
    }

    pub(super) fn bool_at(&self, path: &[&str]) -> Option<bool> {
        self.get(path).and_then(json::bool_of)
    }

    pub(super) fn u64_at(&self, path: &[&str]) -> Option<u64> {
        self.get(path).and_then(json::u64_of)
    }

    /// Returns true when a field whose name equals `key` without regard to case has a
    /// value other than `null`.
    pub(super) fn has_any_case(&self, key: &str) -> bool {
        match self.object {
            Some(object) => {
                let unrenamed = object.any(|name, value| {
                    Some(name) != self.skip
                        && !starts_upper(name)
                        && !value.is_null()
                        && name.eq_ignore_ascii_case(key)
                });
                // A renamed member is a field only when no other member takes its name.
                unrenamed
                    || self.renamed.iter().any(|(written, value)| {
                        !value.is_null()
                            && written.eq_ignore_ascii_case(key)
                            && self
                                .written_field(&super::shape::lower_camel(written))
                                .is_some_and(|field| std::ptr::eq(field, *value))
                    })
            }
            None => self
                .members
                .iter()
                .any(|(name, value)| !value.is_null() && name.eq_ignore_ascii_case(key)),
        }
    }
}

/// Returns true when `key` starts with an ASCII capital, as the keys that are renamed do.
pub(super) fn starts_upper(key: &str) -> bool {
    key.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
}

/// Parses the text of the field `name` into `arena` as [`json::parse_serialized`] does.
/// Returns `None` for text that is not serialized JSON, and an error naming the field for
/// text that starts as JSON but is not valid JSON.
pub(super) fn parse_serialized<'a>(
    name: &str,
    text: &'a str,
    arena: &'a Arena,
) -> Result<Option<Value<'a>>, NormalizeError> {
    match json::parse_serialized(text, arena) {
        None => Ok(None),
        Some(Ok(parsed)) => Ok(Some(parsed)),
        Some(Err(error)) => Err(NormalizeError::invalid(
            name,
            text,
            format!(
                "expected a JSON object or array written as text: {}",
                crate::decode::describe_json_error(&error)
            ),
        )),
    }
}

/// Returns true when `text` may be serialized JSON, which [`json::unnest_str`] parses: it
/// starts with `{` or `[` after any whitespace. Text that starts with another printable
/// ASCII character is rejected without decoding it.
fn may_be_serialized(text: &str) -> bool {
    match text.as_bytes().first() {
        Some(b'{' | b'[') => true,
        Some(first) if first.is_ascii_graphic() => false,
        _ => text.trim_start().starts_with(['{', '[']),
    }
}

/// Returns true when `name` is `written` in lower camel case, as
/// [`lower_camel`](super::shape::lower_camel) writes it, without building that string.
fn is_lower_camel_of(name: &str, written: &str) -> bool {
    let (name, written) = (name.as_bytes(), written.as_bytes());
    if name.len() != written.len() {
        return false;
    }
    let upper_run = written
        .iter()
        .take_while(|byte| byte.is_ascii_uppercase())
        .count();
    let next_is_lower = written.get(upper_run).is_some_and(u8::is_ascii_lowercase);
    let lowered = if upper_run > 1 && next_is_lower {
        upper_run - 1
    } else {
        upper_run
    };
    name.iter()
        .zip(written)
        .enumerate()
        .all(|(position, (letter, written_letter))| {
            let expected = if position < lowered {
                written_letter.to_ascii_lowercase()
            } else {
                *written_letter
            };
            *letter == expected
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    #[test]
    fn unrenamed_field_wins() {
        let written = json!("written");
        let renamed = json!("renamed");
        let mut builder = FieldsBuilder::with_capacity(2);
        builder.push("ipAddress".into(), Cow::Borrowed(&renamed), true);
        builder.push("ipAddress".into(), Cow::Borrowed(&written), false);
        let fields = builder.build(Repeated::PreferUnrenamed);
        assert_eq!(fields.str_at(&["ipAddress"]), Some("written"));
    }

    #[test]
    fn first_field_wins() {
        let first = json!("first");
        let second = json!("second");
        let mut builder = FieldsBuilder::with_capacity(2);
        builder.push("ipAddress".into(), Cow::Borrowed(&first), true);
        builder.push("ipAddress".into(), Cow::Borrowed(&second), false);
        let fields = builder.build(Repeated::KeepFirst);
        assert_eq!(fields.str_at(&["ipAddress"]), Some("first"));
    }

    /// Collects the members of `object` but `skip` as a `FieldsBuilder` does, to compare.
    fn collected<'a>(object: &'a Object<'a>, skip: Option<&str>) -> Fields<'a> {
        let mut builder = FieldsBuilder::with_capacity(object.written_len());
        for (key, value) in object.iter() {
            if Some(key) == skip {
                continue;
            }
            let renamed = starts_upper(key);
            let name = super::super::shape::lower_camel(key).into_owned();
            builder.push(name.into(), Cow::Borrowed(value), renamed);
        }
        builder.build(Repeated::PreferUnrenamed)
    }

    #[test]
    fn view_renames_like_the_builder() {
        let records = [
            json!({"time": "t", "Level": 4, "properties": {}}),
            json!({"level": null, "Level": 3, "IPAddress": "203.0.113.7"}),
            json!({"LEVEL": 1, "Level": 2, "AADTenantId": "a", "aadTenantId": "b"}),
            json!({"Properties": "renamed", "properties": {}, "IpAddress": "x"}),
        ];
        let names = [
            "time",
            "level",
            "Level",
            "LEVEL",
            "ipAddress",
            "aadTenantId",
            "properties",
        ];
        for record in &records {
            let object = record.as_object().unwrap();
            let view = Fields::view(object, Some("properties"));
            let built = collected(object, Some("properties"));
            for name in names {
                assert_eq!(view.get(&[name]), built.get(&[name]), "{record} {name}");
                assert_eq!(
                    view.has_any_case(name),
                    built.has_any_case(name),
                    "{record} {name}"
                );
            }
        }
    }

    #[test]
    fn view_reads_the_object_but_skip() {
        let record = json!({
            "properties": {"id": "x"},
            "status": "{\"errorCode\": 50126}",
            "time": "2024-05-01T10:00:00Z",
        });
        let object = record.as_object().unwrap();
        let arena = Arena::new();
        let mut fields = Fields::view(object, Some("properties"));
        fields
            .parse_nested(&["status", "properties"], &arena)
            .unwrap();
        assert_eq!(fields.get(&["properties"]), None);
        assert!(!fields.has_any_case("Properties"));
        assert!(fields.has_any_case("Time"));
        assert_eq!(fields.str_at(&["time"]), Some("2024-05-01T10:00:00Z"));
        assert_eq!(fields.u64_at(&["status", "errorCode"]), Some(50126));
    }

    #[test]
    fn nested_strings_are_parsed() {
        let status = json!("{\"errorCode\": 50126}");
        let arena = Arena::new();
        let mut builder = FieldsBuilder::with_capacity(1);
        builder.push("status".into(), Cow::Borrowed(&status), false);
        let mut fields = builder.build(Repeated::KeepFirst);
        fields.parse_nested(&["status"], &arena).unwrap();
        assert_eq!(fields.u64_at(&["status", "errorCode"]), Some(50126));
        assert_eq!(
            fields.text_at(&["status", "errorCode"]).as_deref(),
            Some("50126")
        );
        assert_eq!(fields.get(&["missing"]), None);
    }
}

//! The fields of a canonical Entra record, read where they are in the parsed record.
//!
//! A [`Fields`] maps Graph field names to values of the record: references for the values
//! that are used as written, owned values only for nested objects that the record writes as
//! JSON strings. Building it copies no value of the record, and when the record already
//! names its fields as Graph does, it reads the record's object itself.

use std::borrow::Cow;

use crate::json::{self, Object, Value, compare_keys};

/// Named values, each name once.
#[derive(Debug, Default)]
pub(super) struct Fields<'a> {
    /// The object whose members are the fields, under the names they are written with;
    /// `None` when the fields were collected into `members`.
    object: Option<&'a Object<'a>>,
    /// A member of `object` that is not a field.
    skip: Option<&'static str>,
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
    /// Reads the members of `object` as the fields, but `skip`. The caller checks that every
    /// member is written under its field name.
    pub(super) fn view(object: &'a Object<'a>, skip: Option<&'static str>) -> Self {
        Self {
            object: Some(object),
            skip,
            ..Self::default()
        }
    }

    /// Replaces the string value of each of `names` that contains serialized JSON with the
    /// parsed value.
    pub(super) fn parse_nested(&mut self, names: &[&'static str]) {
        if let Some(object) = self.object {
            for name in names {
                if Some(*name) == self.skip {
                    continue;
                }
                if let Some(Value::String(text)) = object.get(name)
                    && let Some(parsed) = json::unnest_str(text)
                {
                    self.parsed.push((name, parsed));
                }
            }
            return;
        }
        for (name, value) in &mut self.members {
            if !names.contains(&name.as_ref()) {
                continue;
            }
            let parsed = match value {
                Cow::Borrowed(written @ Value::String(_)) => json::unnest(written),
                Cow::Owned(Value::String(Cow::Borrowed(text))) => json::unnest_str(text),
                // A string that was itself inside a nested JSON string: the parsed value
                // cannot borrow from it, so it takes copies of its strings.
                Cow::Owned(Value::String(Cow::Owned(text))) => {
                    json::unnest_str(text).map(Value::into_owned)
                }
                _ => None,
            };
            if let Some(parsed) = parsed {
                *value = Cow::Owned(parsed);
            }
        }
    }

    /// Returns the value at `path`: the field named by its first key, then the keys of the
    /// field's objects. `null` counts as absent, as in [`json::get`].
    pub(super) fn get(&self, path: &[&str]) -> Option<&Value<'_>> {
        let (first, rest) = path.split_first()?;
        json::get(self.field(first)?, rest)
    }

    fn field(&self, name: &str) -> Option<&Value<'a>> {
        if let Some(object) = self.object {
            if let Some((_, value)) = self.parsed.iter().find(|(parsed, _)| *parsed == name) {
                return Some(value);
            }
            if Some(name) == self.skip {
                return None;
            }
            return object.get(name);
        }
        let position = self
            .members
            .binary_search_by(|(member, _)| compare_keys(member, name))
            .ok()?;
        self.members.get(position).map(|(_, value)| value.as_ref())
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
            Some(object) => object.any(|name, value| {
                Some(name) != self.skip && !value.is_null() && name.eq_ignore_ascii_case(key)
            }),
            None => self
                .members
                .iter()
                .any(|(name, value)| !value.is_null() && name.eq_ignore_ascii_case(key)),
        }
    }
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

    #[test]
    fn view_reads_the_object_but_skip() {
        let record = json!({
            "properties": {"id": "x"},
            "status": "{\"errorCode\": 50126}",
            "time": "2024-05-01T10:00:00Z",
        });
        let object = record.as_object().unwrap();
        let mut fields = Fields::view(object, Some("properties"));
        fields.parse_nested(&["status", "properties"]);
        assert_eq!(fields.get(&["properties"]), None);
        assert!(!fields.has_any_case("Properties"));
        assert!(fields.has_any_case("Time"));
        assert_eq!(fields.str_at(&["time"]), Some("2024-05-01T10:00:00Z"));
        assert_eq!(fields.u64_at(&["status", "errorCode"]), Some(50126));
    }

    #[test]
    fn nested_strings_are_parsed() {
        let status = json!("{\"errorCode\": 50126}");
        let mut builder = FieldsBuilder::with_capacity(1);
        builder.push("status".into(), Cow::Borrowed(&status), false);
        let mut fields = builder.build(Repeated::KeepFirst);
        fields.parse_nested(&["status"]);
        assert_eq!(fields.u64_at(&["status", "errorCode"]), Some(50126));
        assert_eq!(
            fields.text_at(&["status", "errorCode"]).as_deref(),
            Some("50126")
        );
        assert_eq!(fields.get(&["missing"]), None);
    }
}

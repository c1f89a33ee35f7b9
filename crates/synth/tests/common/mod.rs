//! Reads back what the generator wrote, the way a log collector would.

#![allow(dead_code, reason = "each test file uses part of these helpers")]

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use flate2::read::GzDecoder;
use riposte_synth::scenario::Scenario;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    CloudTrail,
    Okta,
    Entra,
}

/// Lists every file under `root`, sorted by path.
pub fn files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `path` relative to `root`, as text.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Reads a file, decompressing it when it is gzip.
pub fn content(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    if path.extension().is_some_and(|extension| extension == "gz") {
        let mut text = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .unwrap();
        text
    } else {
        bytes
    }
}

fn format_of(path: &Path) -> Format {
    let text = path.to_string_lossy();
    if text.contains("cloudtrail") {
        Format::CloudTrail
    } else if text.contains("okta") {
        Format::Okta
    } else {
        assert!(text.contains("entra"), "unexpected file {text}");
        Format::Entra
    }
}

/// Splits a file into records: CloudTrail `{"Records": [...]}` lines, Okta JSON arrays or JSON
/// Lines, Azure Monitor `{"records": [...]}` documents or lines of them.
fn records_of(path: &Path, format: Format) -> Vec<Value> {
    let text = content(path);
    let text = String::from_utf8(text).unwrap();
    let documents: Vec<Value> =
        if path.to_string_lossy().ends_with(".jsonl") || text.starts_with("{\"") {
            text.lines()
                .filter(|line| !line.is_empty())
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        } else {
            vec![serde_json::from_str(&text).unwrap()]
        };
    let mut records = Vec::new();
    for document in documents {
        let list = match format {
            Format::CloudTrail => document["Records"].clone(),
            Format::Entra => document["records"].clone(),
            Format::Okta => document,
        };
        match list {
            Value::Array(items) => records.extend(items),
            other => records.push(other),
        }
    }
    records
}

/// Reads every record under `root`, with its format, in file order.
pub fn records(root: &Path) -> Vec<(Format, Value)> {
    let mut all = Vec::new();
    for path in files(root) {
        let format = format_of(&path);
        for record in records_of(&path, format) {
            all.push((format, record));
        }
    }
    all
}

fn assert_string(record: &Value, pointer: &str) -> String {
    match record.pointer(pointer) {
        Some(Value::String(text)) if !text.is_empty() => text.clone(),
        other => panic!("`{pointer}` is {other:?} in {record}"),
    }
}

fn assert_time(record: &Value, pointer: &str) {
    let text = assert_string(record, pointer);
    assert!(
        DateTime::parse_from_rfc3339(&text).is_ok(),
        "`{pointer}` is not RFC 3339: {text}"
    );
}

/// Checks the fields every record of `format` must have.
pub fn assert_required_fields(format: Format, record: &Value) {
    match format {
        Format::CloudTrail => {
            assert_time(record, "/eventTime");
            assert_string(record, "/eventID");
            assert_string(record, "/eventSource");
            assert_string(record, "/eventName");
            assert_string(record, "/sourceIPAddress");
            assert_string(record, "/userIdentity/type");
            assert_eq!(record["recipientAccountId"], "111111111111");
        }
        Format::Okta => {
            assert_string(record, "/uuid");
            assert_time(record, "/published");
            assert_string(record, "/eventType");
            assert_string(record, "/actor/alternateId");
            assert_string(record, "/client/ipAddress");
            assert_string(record, "/outcome/result");
        }
        Format::Entra => {
            assert_time(record, "/time");
            assert_string(record, "/category");
            assert!(
                record["properties"].is_object(),
                "no properties in {record}"
            );
            assert_string(record, "/properties/id");
            assert_string(record, "/tenantId");
        }
    }
}

/// Converts the scenario's Okta events to JSON values.
pub fn okta_values(scenario: &Scenario) -> Vec<Value> {
    scenario
        .okta
        .iter()
        .map(|event| serde_json::to_value(event).unwrap())
        .collect()
}

/// Converts the scenario's CloudTrail records to JSON values.
pub fn cloudtrail_values(scenario: &Scenario) -> Vec<Value> {
    scenario
        .cloudtrail
        .iter()
        .map(|record| serde_json::to_value(record).unwrap())
        .collect()
}

/// Parses a file written as one JSON document or as JSON Lines. Files are compared as
/// parsed values because serde_json orders object keys by insertion when another crate in
/// the build switches on its `preserve_order` feature, and by key otherwise.
pub fn json_documents(path: &Path) -> Vec<Value> {
    let text = content(path);
    if let Ok(document) = serde_json::from_slice::<Value>(&text) {
        return vec![document];
    }
    text.split(|byte| *byte == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(|line| serde_json::from_slice(line).unwrap())
        .collect()
}

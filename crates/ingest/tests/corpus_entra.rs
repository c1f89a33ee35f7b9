//! Runs the Entra normalizer over the public sample corpus, when it is present beside the
//! workspace: every record must become an event, and the values that the samples' expected
//! outputs state must match.

#![expect(
    clippy::unwrap_used,
    reason = "the helpers fail the test on an unreadable corpus file"
)]

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use riposte_ingest::framing::{FrameItem, Framer};
use riposte_ingest::source::Input;
use riposte_ingest::{Decoded, Decoder, decode_input, entra};
use riposte_model::{Event, Origin};
use serde_json::Value;

const ENTRA_FOLDERS: [&str; 3] = ["entra", "entra-graph", "entra-audit"];

fn corpus_root() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if root.is_dir() {
        Some(root)
    } else {
        println!("skipped: no sample corpus at {}", root.display());
        None
    }
}

fn is_sample(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    path.is_file() && !name.ends_with("-expected.json") && !name.ends_with(".ocsf")
}

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| is_sample(path))
        .collect();
    files.sort();
    files
}

/// Decodes a file, returning its events and a description of every record that did not
/// become one.
fn decode(path: &Path) -> (Vec<Event>, Vec<String>) {
    let mut events = Vec::new();
    let mut failures = Vec::new();
    decode_input(
        &Input::File(path.to_path_buf()),
        &Decoder::default(),
        &mut |decoded| match decoded {
            Decoded::Event(event) => events.push(*event),
            Decoded::Unsupported { family, category } => failures.push(format!(
                "{}: unsupported {family} category `{category}`",
                path.display()
            )),
            Decoded::Rejected(reject) => failures.push(reject.to_string()),
        },
    )
    .unwrap();
    (events, failures)
}

fn millis(event: &Event) -> String {
    event.time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[test]
fn every_entra_sample_becomes_an_event() {
    let Some(root) = corpus_root() else {
        return;
    };
    let mut failures = Vec::new();
    let mut count = 0;
    for folder in ENTRA_FOLDERS {
        for path in files(&root.join(folder)) {
            let (events, file_failures) = decode(&path);
            assert!(
                !events.is_empty() || !file_failures.is_empty(),
                "{} holds no record",
                path.display()
            );
            count += events.len();
            failures.extend(file_failures);
        }
    }
    assert!(
        failures.is_empty(),
        "records not normalized:\n{}",
        failures.join("\n")
    );
    assert!(count > 0);
}

/// Compares the events of each sample that has an `-expected.json` file with the
/// timestamps, tenants and operation names it states.
#[test]
fn entra_samples_match_their_expected_output() {
    let Some(root) = corpus_root() else {
        return;
    };
    for folder in ENTRA_FOLDERS {
        for path in files(&root.join(folder)) {
            let mut expected_path = path.clone().into_os_string();
            expected_path.push("-expected.json");
            let Ok(text) = std::fs::read_to_string(&expected_path) else {
                continue;
            };
            let expected: Value = serde_json::from_str(&text).unwrap();
            let expected = expected["expected"].as_array().unwrap();
            let (events, failures) = decode(&path);
            assert!(failures.is_empty(), "{failures:?}");
            assert_eq!(events.len(), expected.len(), "{}", path.display());
            for (event, expected) in events.iter().zip(expected) {
                let name = path.display();
                assert_eq!(millis(event), expected["@timestamp"], "{name}");
                if let Some(tenant) = expected["azure"]["tenant_id"].as_str() {
                    assert_eq!(event.account.as_deref(), Some(tenant), "{name}");
                }
                if let Some(action) = expected["event"]["action"].as_str() {
                    assert_eq!(event.operation.as_ref(), action, "{name}");
                }
            }
        }
    }
}

#[test]
fn time_format_corner_cases_share_one_second() {
    let Some(root) = corpus_root() else {
        return;
    };
    let (events, failures) = decode(&root.join("entra/elastic-test-time-formats-corner-cases.log"));
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(events.len(), 11);
    for event in &events {
        assert_eq!(
            event.time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "2007-01-09T09:41:00Z"
        );
    }
}

#[test]
fn entra_samples_keep_their_distinctive_values() {
    let Some(root) = corpus_root() else {
        return;
    };
    let only = |file: &str| {
        let (mut events, failures) = decode(&root.join(file));
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(events.len(), 1, "{file}");
        events.remove(0)
    };

    // A workload whose address Entra records as an object id.
    let workload = only("entra/sekoia-sign-in_activity7.json");
    assert!(matches!(workload.source.origin, Origin::Unparsed(_)));
    assert_eq!(workload.source.geo, None);

    // `durationMs` written as a string and the time in the US form.
    let alternative = only("entra/elastic-test-alternative-time-and-duration-as-string.log");
    assert_eq!(millis(&alternative), "2025-11-14T01:46:16.428Z");

    // The Graph activity record carries the sign-in's token identifier.
    let activity = only("entra/sekoia-graph_activity.json");
    assert_eq!(
        activity.token_id.as_ref().map(|token| token.expose()),
        Some("JgW9XEOQM0WNakyHMghCAA")
    );
    assert_eq!(activity.operation.as_ref(), "GET /");

    // A one-digit hour in an Identity Protection record.
    let risk = only("entra/sekoia-user_risk_detection_2.json");
    assert_eq!(millis(&risk), "2023-10-26T05:32:08.107Z");
}

/// Reads the JSON values of a file of another provider, unwrapping arrays and `Records`
/// wrappers. Values that do not parse are skipped.
fn records(path: &Path) -> Vec<Value> {
    let reader = BufReader::new(File::open(path).unwrap());
    let mut values = Vec::new();
    for item in Framer::new(reader) {
        let FrameItem::Record(frame) = item else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<Value>(&frame.bytes) else {
            continue;
        };
        match value {
            Value::Array(elements) => values.extend(elements),
            Value::Object(mut object) if object.len() == 1 => {
                match object
                    .remove("Records")
                    .or_else(|| object.remove("records"))
                {
                    Some(Value::Array(elements)) => values.extend(elements),
                    Some(other) => values.push(other),
                    None => values.push(Value::Object(object)),
                }
            }
            other => values.push(other),
        }
    }
    values
}

#[test]
fn other_providers_are_not_entra() {
    let Some(root) = corpus_root() else {
        return;
    };
    let mut claimed = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let folder = entry.unwrap().path();
        let name = folder
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        if !folder.is_dir() || name.starts_with("entra") {
            continue;
        }
        for path in files(&folder) {
            for record in records(&path) {
                let arena = riposte_ingest::json::Arena::new();
                if entra::matches(&riposte_ingest::json::Value::from_serde(&record, &arena)) {
                    claimed.push(path.display().to_string());
                }
            }
        }
    }
    assert!(claimed.is_empty(), "claimed as Entra: {claimed:?}");
}

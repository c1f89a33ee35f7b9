//! Decodes the public Okta System Log samples kept beside the repository, when they are
//! present: every record must normalize, and a few values must match the OCSF mappings
//! published with the samples (`.ocsf` files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use riposte_ingest::source::{Input, SourceError};
use riposte_ingest::{Decoded, Decoder, decode_input};
use riposte_model::{Event, IdentityKind, Outcome};

/// Returns the corpus folder, or `None` when this checkout has none beside it.
fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/okta");
    dir.is_dir().then_some(dir)
}

/// Returns the sample files: every file but the OCSF mappings and expected outputs.
fn sample_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_file() && !name.ends_with("-expected.json") && !name.ends_with(".ocsf") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn decode_file(path: &Path) -> Result<Vec<Decoded>, SourceError> {
    let mut results = Vec::new();
    decode_input(
        &Input::File(path.to_path_buf()),
        &Decoder::default(),
        &mut |decoded| results.push(decoded),
    )?;
    Ok(results)
}

/// Decodes every sample, returning the events by file name and a line for each record that
/// was rejected or unsupported.
fn decode_corpus(dir: &Path) -> (BTreeMap<String, Vec<Event>>, Vec<String>) {
    let mut events = BTreeMap::new();
    let mut problems = Vec::new();
    let files = match sample_files(dir) {
        Ok(files) => files,
        Err(error) => {
            problems.push(format!("cannot list `{}`: {error}", dir.display()));
            return (events, problems);
        }
    };
    for path in files {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let results = match decode_file(&path) {
            Ok(results) => results,
            Err(error) => {
                problems.push(error.to_string());
                continue;
            }
        };
        if results.is_empty() {
            problems.push(format!("{name}: no record"));
        }
        let file_events: &mut Vec<Event> = events.entry(name.clone()).or_default();
        for decoded in results {
            match decoded {
                Decoded::Event(event) => file_events.push(*event),
                Decoded::Unsupported { family, category } => {
                    problems.push(format!("{name}: unsupported {family} record `{category}`"));
                }
                Decoded::Rejected(reject) => problems.push(format!("rejected {reject}")),
            }
        }
    }
    (events, problems)
}

/// Returns the event of a file that contains exactly one record.
fn only_event<'a>(events: &'a BTreeMap<String, Vec<Event>>, file: &str) -> Option<&'a Event> {
    match events.get(file).map(Vec::as_slice) {
        Some([event]) => Some(event),
        _ => None,
    }
}

fn time_of(event: &Event) -> String {
    event
        .time
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[test]
fn corpus_records_all_normalize() {
    let Some(dir) = corpus_dir() else {
        println!("skipped: no Okta corpus beside the repository");
        return;
    };
    let (events, problems) = decode_corpus(&dir);
    assert!(
        problems.is_empty(),
        "{} records failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let total: usize = events.values().map(Vec::len).sum();
    assert!(total >= 10, "expected at least 10 events, decoded {total}");
    for (file, file_events) in &events {
        for event in file_events {
            assert_eq!(event.format, riposte_model::SourceFormat::Okta, "{file}");
        }
    }
}

#[test]
fn corpus_values_match_ocsf_mappings() {
    let Some(dir) = corpus_dir() else {
        println!("skipped: no Okta corpus beside the repository");
        return;
    };
    let (events, _) = decode_corpus(&dir);

    // The OCSF mappings state times to the second, and the raw records carry milliseconds.
    let sign_in = only_event(&events, "ocsf-Authentication_samples_authentication.raw")
        .expect("one event from ocsf-Authentication_samples_authentication.raw");
    assert_eq!(time_of(sign_in), "2024-08-13T15:58:20.353Z");
    assert_eq!(sign_in.time.timestamp(), 1_723_564_700);
    assert_eq!(sign_in.class().uid(), 3002);
    assert_eq!(&*sign_in.actor.key.id, "00uttidj01jqL21aM1d6");
    assert_eq!(sign_in.actor.kind, IdentityKind::Human);
    assert_eq!(sign_in.actor.name.as_deref(), Some("John Doe"));
    assert_eq!(sign_in.actor.email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(sign_in.source.origin.to_string(), "10.0.0.1");
    assert_eq!(sign_in.outcome, Outcome::Success);
    assert_eq!(
        sign_in.session_id.as_ref().map(|id| id.expose()),
        Some("idxBager62CSveUkTxvgRtonA")
    );
    assert_eq!(
        sign_in.source.device_id.as_deref(),
        Some("guofdhyjex1feOgbN1d9")
    );
    assert_eq!(
        sign_in.source.asn.as_ref().map(|asn| asn.number),
        Some(394_089)
    );

    let lock = only_event(&events, "ocsf-Account_Change_samples_account_change.raw")
        .expect("one event from ocsf-Account_Change_samples_account_change.raw");
    assert_eq!(time_of(lock), "2023-09-30T10:42:16.000Z");
    assert_eq!(lock.class().uid(), 3001);
    assert_eq!(&*lock.actor.key.id, "0123456789");
    assert_eq!(lock.actor.email.as_deref(), Some("okta@okta-test.com"));
    assert_eq!(lock.source.origin.to_string(), "1.1.1.1");
    assert_eq!(lock.outcome, Outcome::Failure);
    assert_eq!(lock.outcome_reason.as_deref(), Some("LOCKED_OUT"));
    let place = lock.source.geo.as_ref().map(|geo| geo.place());
    assert_eq!(place.as_deref(), Some("Paris, France"));

    let threat = only_event(
        &events,
        "ocsf-Detection_Finding_samples_detection_finding.raw",
    )
    .expect("one event from ocsf-Detection_Finding_samples_detection_finding.raw");
    assert_eq!(time_of(threat), "2024-08-13T15:58:20.353Z");
    assert_eq!(threat.class().uid(), 2004);
    assert_eq!(&*threat.actor.key.id, "10.0.0.1");
    assert_eq!(threat.source.origin.to_string(), "10.0.0.1");
    // The mapping's disposition is "Blocked".
    assert_eq!(threat.outcome, Outcome::Failure);
    let risk = threat
        .risk
        .as_ref()
        .expect("a threat detection carries a risk");
    assert_eq!(&*risk.risk_type, "Login Failures");
    assert_eq!(&*risk.level, "high");
    assert_eq!(
        risk.detail.as_deref(),
        Some("Request from suspicious actor")
    );

    let membership = only_event(
        &events,
        "ocsf-Group_Management_samples_group_management.raw",
    )
    .expect("one event from ocsf-Group_Management_samples_group_management.raw");
    assert_eq!(time_of(membership), "2024-08-13T15:58:20.353Z");
    assert_eq!(membership.class().uid(), 3006);
    assert_eq!(&*membership.actor.key.id, "00uttidj01jqL21aM1d6");
    assert_eq!(membership.source.origin.to_string(), "10.0.0.1");
    assert_eq!(membership.outcome, Outcome::Success);

    let policy = only_event(
        &events,
        "ocsf-Entity_Management_samples_entity_management.raw",
    )
    .expect("one event from ocsf-Entity_Management_samples_entity_management.raw");
    assert_eq!(policy.class().uid(), 3004);
}

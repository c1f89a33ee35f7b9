//! Decodes the public CloudTrail samples of the shared corpus, when it is present next to
//! the workspace, and checks that every record normalizes. The values asserted for single
//! records are those that the samples' published expected outputs (`-expected.json`, `.ocsf`)
//! state.

use std::path::{Path, PathBuf};

use riposte_ingest::source::Input;
use riposte_ingest::{Decoded, Decoder, decode_input};
use riposte_model::{Event, IdentityKind, Origin, Outcome};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/cloudtrail")
}

/// Lists the sample logs, leaving out the expected outputs that sit beside them.
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

/// Decodes one file, returning its events and a description of every record that did not
/// become an event.
fn decode_file(path: &Path) -> Result<(Vec<Event>, Vec<String>), String> {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    decode_input(
        &Input::File(path.to_path_buf()),
        &Decoder::default(),
        &mut |decoded| match decoded {
            Decoded::Event(event) => events.push(*event),
            Decoded::Unsupported { family, category } => {
                problems.push(format!("unsupported {family} category `{category}`"));
            }
            Decoded::Rejected(reject) => problems.push(format!("rejected: {reject}")),
        },
    )
    .map_err(|error| format!("{}: {error}", path.display()))?;
    Ok((events, problems))
}

/// Decodes one sample file that must contain only events.
fn events_of(dir: &Path, name: &str) -> Result<Vec<Event>, String> {
    let (events, problems) = decode_file(&dir.join(name))?;
    if problems.is_empty() {
        Ok(events)
    } else {
        Err(format!("{name}: {}", problems.join("; ")))
    }
}

fn time_of(event: &Event) -> String {
    event
        .time
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[test]
fn corpus_records_all_normalize() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("skipped: no CloudTrail corpus at {}", dir.display());
        return;
    }
    let files = sample_files(&dir).unwrap();
    assert!(!files.is_empty(), "no sample files in {}", dir.display());
    let mut failures = Vec::new();
    let mut event_count = 0;
    for path in &files {
        let (events, problems) = decode_file(path).unwrap();
        event_count += events.len();
        if events.is_empty() && problems.is_empty() {
            failures.push(format!("{}: no record decoded", path.display()));
        }
        failures.extend(
            problems
                .into_iter()
                .map(|problem| format!("{}: {problem}", path.display())),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{event_count} events from {} files", files.len());
}

/// `elastic-test-assume-role-aws-service-json.log-expected.json`: `@timestamp`,
/// `actor.entity.id`, `source.address` and `event.outcome`.
#[test]
fn corpus_service_assume_role_matches_expected() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("skipped: no CloudTrail corpus at {}", dir.display());
        return;
    }
    let events = events_of(&dir, "elastic-test-assume-role-aws-service-json.log").unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(time_of(event), "2024-10-08T10:15:32Z");
    assert_eq!(&*event.actor.key.id, "ec2.amazonaws.com");
    assert_eq!(event.actor.kind, IdentityKind::AwsService);
    assert_eq!(
        event.source.origin,
        Origin::AwsService("ec2.amazonaws.com".into())
    );
    assert_eq!(event.outcome, Outcome::Success);
    assert_eq!(&*event.event_id, "b3d7f1a2-6c4e-4d8b-8e21-5a9c0e7f4d33");
}

/// `ocsf-API_Activity_samples_generic_api_activity.ocsf`: `time`, `actor.user.uid`,
/// `actor.user.credential_uid`, `src_endpoint.ip` and `status`.
#[test]
fn corpus_api_activity_matches_ocsf() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("skipped: no CloudTrail corpus at {}", dir.display());
        return;
    }
    let events = events_of(&dir, "ocsf-API_Activity_samples_generic_api_activity.raw").unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.time.timestamp_millis(), 1_695_334_972_000);
    assert_eq!(
        &*event.actor.key.id,
        "arn:aws:iam::1111111111111:user/Level6"
    );
    assert_eq!(event.actor.name.as_deref(), Some("Level6"));
    assert_eq!(event.credential.id.as_deref(), Some("AKIA3Z2XBVEXAMPLE"));
    assert_eq!(
        event.source.origin,
        Origin::Ip("205.8.181.128".parse().unwrap())
    );
    assert_eq!(event.outcome, Outcome::Success);
}

/// `ocsf-Account_Change_samples_account_change.ocsf`: `time`, `actor.user.uid`,
/// `actor.session.issuer`, `src_endpoint.domain` and `status`.
#[test]
fn corpus_assumed_role_matches_ocsf() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("skipped: no CloudTrail corpus at {}", dir.display());
        return;
    }
    let events = events_of(&dir, "ocsf-Account_Change_samples_account_change.raw").unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.time.timestamp_millis(), 1_752_850_959_000);
    assert_eq!(
        &*event.actor.key.id,
        "arn:aws:sts::112233445566:assumed-role/AWSServiceRole/scheduler"
    );
    let session = event.actor.role_session.as_ref().unwrap();
    assert_eq!(
        &*session.role_arn,
        "arn:aws:iam::112233445566:role/aws-service-role/Admin"
    );
    assert_eq!(&*session.session_name, "scheduler");
    assert_eq!(
        event.source.origin,
        Origin::AwsService("ecs.amazonaws.com".into())
    );
    assert_eq!(event.outcome, Outcome::Success);
}

/// `ocsf-Authentication_samples_authentication.ocsf`: `time`, `actor.user.name`,
/// `actor.user.uid_alt` and `actor.idp.uid` (the identity store), and `src_endpoint.ip`.
#[test]
fn corpus_identity_center_signin_matches_ocsf() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!("skipped: no CloudTrail corpus at {}", dir.display());
        return;
    }
    let events = events_of(&dir, "ocsf-Authentication_samples_authentication.raw").unwrap();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.time.timestamp_millis(), 1_726_763_566_000);
    assert_eq!(event.actor.kind, IdentityKind::Human);
    assert_eq!(
        &*event.actor.key.id,
        "identitystore:d-9911111111/e3644802-3061-7018-86c3-USERID"
    );
    assert_eq!(event.actor.name.as_deref(), Some("test"));
    assert_eq!(event.source.origin, Origin::Ip("0.0.0.0".parse().unwrap()));
    assert_eq!(event.outcome, Outcome::Success);
}

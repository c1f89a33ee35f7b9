//! Hunts with a state file: resumption after appends, and consistency after a crash.

#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly on a broken setup"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use riposte_store::{IdentityFilter, Store};
use serde_json::Value;

/// Returns an Okta sign-in of user `user` at `second` seconds after a fixed start.
fn okta_record(index: u64, user: u64, second: u64) -> String {
    let minutes = second / 60;
    let (hour, minute, second) = (minutes / 60 % 24, minutes % 60, second % 60);
    let day = 6 + minutes / 60 / 24;
    format!(
        r#"{{"uuid":"00000000-0000-4000-8000-{index:012}","published":"2024-05-{day:02}T{hour:02}:{minute:02}:{second:02}.000Z","eventType":"user.session.start","actor":{{"id":"00u{user:05}","type":"User","alternateId":"user{user}@example.com","displayName":"User {user}"}},"client":{{"ipAddress":"203.0.113.{}","userAgent":{{"rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"}}}},"outcome":{{"result":"SUCCESS"}}}}"#,
        user % 200
    )
}

fn write_records(path: &Path, range: std::ops::Range<u64>, append: bool) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(append)
        .write(true)
        .truncate(!append)
        .open(path)
        .expect("records file opens");
    for index in range {
        writeln!(file, "{}", okta_record(index, index % 500, index * 2))
            .expect("record is written");
    }
}

fn hunt(folder: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args(["hunt", "--format", "jsonl", "--state", "state.db"])
        .args(extra)
        .arg("okta.jsonl")
        .current_dir(folder)
        .output()
        .expect("riposte runs")
}

fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(line).expect("summary is JSON")
}

/// Returns the events counted over all identities of the state file.
fn stored_events(path: &Path) -> u64 {
    let store = Store::open_existing(path).expect("state file opens");
    let mut total = 0;
    let mut filter = IdentityFilter {
        limit: 1000,
        ..IdentityFilter::default()
    };
    loop {
        let page = store
            .list_identities(&filter)
            .expect("identities are listed");
        let Some(last) = page.last() else {
            break;
        };
        filter.after_id = Some(last.id);
        total += page
            .iter()
            .map(|identity| identity.event_count)
            .sum::<u64>();
    }
    total
}

#[test]
fn second_run_reads_only_appended_records() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let records = folder.path().join("okta.jsonl");
    write_records(&records, 0..300, false);

    let first = hunt(folder.path(), &[]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(summary(&first)["records"], 300);

    let unchanged = hunt(folder.path(), &[]);
    assert_eq!(summary(&unchanged)["records"], 0);
    assert_eq!(summary(&unchanged)["unchanged_files"], 1);

    write_records(&records, 300..420, true);
    let appended = hunt(folder.path(), &[]);
    assert_eq!(summary(&appended)["records"], 120);
    assert_eq!(stored_events(&folder.path().join("state.db")), 420);
}

#[test]
fn replaced_file_is_read_from_the_start() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let records = folder.path().join("okta.jsonl");
    write_records(&records, 0..50, false);
    hunt(folder.path(), &[]);
    // Same path, other content: a rotated log.
    write_records(&records, 1000..1080, false);
    let rotated = hunt(folder.path(), &[]);
    assert_eq!(summary(&rotated)["records"], 80);
    assert_eq!(stored_events(&folder.path().join("state.db")), 130);
}

#[test]
fn killed_run_resumes_without_counting_twice() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let total = 40_000;
    write_records(&folder.path().join("okta.jsonl"), 0..total, false);
    std::fs::write(
        folder.path().join("riposte.toml"),
        "[state]\ncommit_interval_records = 2000\n",
    )
    .expect("config is written");
    let state = folder.path().join("state.db");

    let mut child = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "hunt",
            "--format",
            "jsonl",
            "--config",
            "riposte.toml",
            "--state",
            "state.db",
            "okta.jsonl",
        ])
        .current_dir(folder.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("riposte starts");
    // Wait for a first commit, then kill the process without warning (SIGKILL).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut killed_mid_run = false;
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            assert!(status.success(), "the first run failed");
            break;
        }
        let committed = Store::open_existing(&state)
            .ok()
            .and_then(|store| store.checkpoints().ok())
            .is_some_and(|checkpoints| checkpoints.iter().any(|c| c.records_read > 0));
        if committed {
            child.kill().expect("SIGKILL is sent");
            child.wait().expect("child is reaped");
            killed_mid_run = true;
            break;
        }
        assert!(Instant::now() < deadline, "no commit within two minutes");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(killed_mid_run, "the run finished before it could be killed");

    let store = Store::open_existing(&state).expect("the state file opens after the kill");
    assert_eq!(
        store.integrity_check().expect("integrity check runs"),
        ["ok"]
    );
    drop(store);
    let saved = stored_events(&state);
    assert!(
        saved > 0 && saved < total,
        "{saved} events saved before the kill"
    );

    let resumed = hunt(folder.path(), &["--config", "riposte.toml"]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    assert_eq!(summary(&resumed)["records"], total - saved);
    assert_eq!(stored_events(&state), total);
}

#[test]
fn identities_are_listed_and_shown_with_links_and_blast_radius() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let state = folder.path().join("state.db");
    let state_text = state.to_string_lossy().into_owned();
    let inventory = examples.join("inventory.yaml");
    let inventory_text = inventory.to_string_lossy().into_owned();
    let hunted = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "hunt",
            "--format",
            "jsonl",
            "--state",
            &state_text,
            "--inventory",
            &inventory_text,
        ])
        .arg(&examples)
        .output()
        .expect("riposte runs");
    assert_eq!(
        hunted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&hunted.stderr)
    );

    let listed = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "identities",
            "list",
            "--format",
            "jsonl",
            "--state",
            &state_text,
            "--inventory",
            &inventory_text,
        ])
        .output()
        .expect("riposte runs");
    assert_eq!(
        listed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("identity line is JSON"))
        .collect();
    assert!(rows.len() >= 20, "{} identities", rows.len());
    let ci = rows
        .iter()
        .find(|row| row["identity"] == "aws:arn:aws:iam::111111111111:user/ci-deploy")
        .expect("the CI user is listed");
    assert_eq!(ci["kind"], "iam_user_access_key");
    assert!(ci["blast_radius"]["tier"].is_string());

    let shown = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "identities",
            "show",
            "--format",
            "jsonl",
            "--state",
            &state_text,
            "--inventory",
            &inventory_text,
        ])
        .arg("okta:00uX7UKJJKP1SWh7yHw2")
        .output()
        .expect("riposte runs");
    assert_eq!(
        shown.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let alice: Value =
        serde_json::from_str(String::from_utf8_lossy(&shown.stdout).trim()).expect("JSON");
    assert_eq!(alice["email"], "alice@example.com");
    let links = alice["links"].as_array().expect("links");
    assert!(
        links
            .iter()
            .any(|link| link["source"] == "federation_session_name"
                && link["identity"]
                    == "aws:arn:aws:sts::111111111111:assumed-role/Engineering/alice@example.com"),
        "{links:?}"
    );
    let detections: Vec<&str> = alice["recent_findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["detection"].as_str())
        .collect();
    assert!(detections.contains(&"session_replay"), "{detections:?}");
    assert_eq!(alice["baseline"]["learning"], false);

    // An Entra object id copied in uppercase finds the identity the logs wrote in lowercase.
    let bob = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "identities",
            "show",
            "--format",
            "jsonl",
            "--state",
            &state_text,
        ])
        .arg("entra:6499BCA2-6E76-4D03-BFAC-5E147426DADC")
        .output()
        .expect("riposte runs");
    assert_eq!(
        bob.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&bob.stderr)
    );
    let bob: Value =
        serde_json::from_str(String::from_utf8_lossy(&bob.stdout).trim()).expect("JSON");
    assert_eq!(
        bob["identity"],
        "entra:6499bca2-6e76-4d03-bfac-5e147426dadc"
    );
}

#[test]
fn unknown_identity_is_a_clear_error() {
    let folder = tempfile::tempdir().expect("temporary folder");
    write_records(&folder.path().join("okta.jsonl"), 0..5, false);
    hunt(folder.path(), &[]);
    let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "identities",
            "show",
            "--state",
            "state.db",
            "nobody@example.com",
        ])
        .current_dir(folder.path())
        .output()
        .expect("riposte runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "riposte: no identity `nobody@example.com` in the state file: give a store id, a key such \
         as `okta:00u1abcd`, or an e-mail address (see `riposte identities list`)\n"
    );
}

#[test]
fn half_written_last_line_is_read_again_when_complete() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let records = folder.path().join("okta.jsonl");
    write_records(&records, 0..10, false);
    let last = okta_record(10, 10, 20);
    let (head, tail) = last.split_at(last.len() / 2);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&records)
        .and_then(|mut file| file.write_all(head.as_bytes()))
        .expect("half a record is written");
    let first = hunt(folder.path(), &[]);
    assert_eq!(summary(&first)["rejected"], 1);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&records)
        .and_then(|mut file| writeln!(file, "{tail}"))
        .expect("the rest is written");
    let second = hunt(folder.path(), &[]);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(summary(&second)["records"], 1);
    assert_eq!(stored_events(&folder.path().join("state.db")), 11);
}

#[test]
fn rotated_and_compressed_log_is_not_read_again() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let records = folder.path().join("okta.jsonl");
    write_records(&records, 0..100, false);
    hunt(folder.path(), &[]);
    // Rotation: the log moves to a new name, then gets compressed.
    let rotated = folder.path().join("okta.jsonl.1.gz");
    let text = std::fs::read(&records).expect("log is readable");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&text).expect("gzip accepts the log");
    std::fs::write(&rotated, encoder.finish().expect("gzip finishes")).expect("rotated log");
    std::fs::remove_file(&records).expect("old name is removed");
    write_records(&records, 100..150, false);
    let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "hunt",
            "--format",
            "jsonl",
            "--state",
            "state.db",
            "okta.jsonl",
            "okta.jsonl.1.gz",
        ])
        .current_dir(folder.path())
        .output()
        .expect("riposte runs");
    assert_eq!(summary(&output)["records"], 50);
    assert_eq!(stored_events(&folder.path().join("state.db")), 150);
}

#[test]
fn second_hunt_on_one_state_file_is_refused() {
    let folder = tempfile::tempdir().expect("temporary folder");
    write_records(&folder.path().join("okta.jsonl"), 0..5, false);
    let state = folder.path().join("state.db");
    let mut holder = Store::open(&state).expect("state file opens");
    holder.lock_for_writing().expect("the lock is free");
    let output = hunt(folder.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is in use by another riposte process"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn accounts_link_across_runs() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let state = folder.path().join("state.db");
    let state_text = state.to_string_lossy().into_owned();
    for part in ["okta", "cloudtrail"] {
        let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
            .args(["hunt", "--format", "jsonl", "--state", &state_text])
            .arg(examples.join(part))
            .output()
            .expect("riposte runs");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let shown = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args([
            "identities",
            "show",
            "--format",
            "jsonl",
            "--state",
            &state_text,
        ])
        .arg("aws:arn:aws:sts::111111111111:assumed-role/Engineering/alice@example.com")
        .output()
        .expect("riposte runs");
    let session: Value =
        serde_json::from_str(String::from_utf8_lossy(&shown.stdout).trim()).expect("JSON");
    let linked: Vec<&str> = session["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|link| link["identity"].as_str())
        .collect();
    assert!(linked.contains(&"okta:00uX7UKJJKP1SWh7yHw2"), "{linked:?}");
}

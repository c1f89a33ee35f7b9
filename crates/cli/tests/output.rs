//! The machine outputs: JSON Lines records and OCSF Detection Findings.

#![expect(
    clippy::expect_used,
    reason = "test helpers fail loudly on a broken setup"
)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// Returns a detection case file: Okta records where one session is used from Lisbon, then
/// from Singapore with another browser.
fn replay_case() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/detections/session_replay/fires-okta-session-used-from-second-country.jsonl")
}

fn hunt(format: &str) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args(["hunt", "--format", format])
        .arg(replay_case())
        .output()
        .expect("riposte runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

#[test]
fn jsonl_has_findings_then_incidents_then_summary() {
    let lines = hunt("jsonl");
    let types: Vec<&str> = lines
        .iter()
        .map(|line| line["type"].as_str().unwrap_or(""))
        .collect();
    let findings = types.iter().filter(|kind| **kind == "finding").count();
    assert!(findings >= 2, "{types:?}");
    assert_eq!(types.last(), Some(&"summary"));
    assert_eq!(types.iter().filter(|kind| **kind == "incident").count(), 1);
    let first_incident = types
        .iter()
        .position(|kind| *kind == "incident")
        .unwrap_or(0);
    assert!(
        types[..first_incident]
            .iter()
            .all(|kind| *kind == "finding")
    );

    let replay = lines
        .iter()
        .find(|line| line["detection"] == "session_replay")
        .expect("a session_replay finding");
    for field in [
        "id",
        "incident",
        "detection",
        "severity",
        "confidence",
        "identity",
        "identity_kind",
        "first_seen",
        "last_seen",
        "evidence",
        "explanation",
        "attack",
        "facts",
    ] {
        assert!(!replay[field].is_null(), "missing `{field}` in {replay}");
    }
    assert_eq!(replay["identity"], "okta:00ualice0001");
    assert_eq!(replay["identity_kind"], "human");
    assert_eq!(replay["severity"], "high");
    assert!(
        replay["evidence"]
            .as_array()
            .is_some_and(|ids| ids.iter().all(Value::is_string))
    );
    // Session ids appear as fingerprints only.
    let text = replay.to_string();
    assert!(!text.contains("102AbCdEfGhIjKlMnOpQrStU"), "{text}");

    let incident = lines
        .iter()
        .find(|line| line["type"] == "incident")
        .expect("an incident");
    for field in ["id", "identity", "severity", "findings", "plan"] {
        assert!(
            !incident[field].is_null(),
            "missing `{field}` in {incident}"
        );
    }
    assert_eq!(incident["plan"]["status"], "planned");
    assert_eq!(
        incident["plan"]["actions"][0]["action"],
        "clear_user_sessions"
    );

    let summary = lines.last().expect("a summary");
    for field in [
        "files",
        "records",
        "rejected",
        "unsupported",
        "by_format",
        "findings_by_detection",
    ] {
        assert!(!summary[field].is_null(), "missing `{field}` in {summary}");
    }
    assert_eq!(summary["by_format"]["okta"], 3);
}

#[test]
fn ocsf_findings_are_detection_findings() {
    let lines = hunt("ocsf");
    assert!(lines.len() >= 2);
    for finding in &lines {
        assert_eq!(finding["class_uid"], 2004);
        assert_eq!(finding["category_uid"], 2);
        assert_eq!(finding["type_uid"], 200401);
        assert_eq!(finding["metadata"]["version"], "1.3.0");
        assert!(finding["time"].is_i64());
        assert!(finding["finding_info"]["uid"].is_string());
        assert!(finding["finding_info"]["related_events"].is_array());
        assert!(
            finding["severity_id"]
                .as_u64()
                .is_some_and(|id| (1..=5).contains(&id))
        );
    }
    let replay = lines
        .iter()
        .find(|line| line["finding_info"]["analytic"]["uid"] == "session_replay")
        .expect("a session_replay finding");
    assert_eq!(replay["severity_id"], 4);
    assert_eq!(replay["actor"]["user"]["email_addr"], "alice@example.com");
}

#[test]
fn text_report_lists_the_incident_and_summary() {
    let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args(["hunt", "--color", "never"])
        .arg(replay_case())
        .output()
        .expect("riposte runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("1 incident\n"), "{text}");
    assert!(text.contains("  findings\n"), "{text}");
    assert!(text.contains("session_replay  HIGH"), "{text}");
    assert!(
        text.contains("containment plan (planned, not executed)"),
        "{text}"
    );
    assert!(
        text.contains("$ DELETE /api/v1/users/00ualice0001/sessions?oauthTokens=true"),
        "{text}"
    );
    assert!(text.contains("\nSummary\n"), "{text}");
    assert!(text.contains("    okta "), "{text}");
}

/// Returns the JSON Lines output of a hunt over `paths`, without the wall-clock fields.
fn hunt_paths(paths: &[PathBuf]) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args(["hunt", "--format", "jsonl"])
        .args(paths)
        .output()
        .expect("riposte runs");
    String::from_utf8(output.stdout)
        .expect("output is UTF-8")
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).expect("every line is JSON");
            if let Some(object) = value.as_object_mut() {
                object.remove("elapsed_secs");
                object.remove("events_per_second");
            }
            value
        })
        .collect()
}

#[test]
fn file_order_does_not_change_the_result() {
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/detections");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cases)
        .expect("cases folder")
        .flatten()
        .flat_map(|folder| {
            std::fs::read_dir(folder.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("fires-"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10);
    let forward = hunt_paths(&files);
    files.reverse();
    let backward = hunt_paths(&files);
    let third = files.len() / 3;
    files.rotate_left(third);
    let rotated = hunt_paths(&files);
    assert!(forward.len() > 3);
    assert_eq!(forward, backward);
    assert_eq!(forward, rotated);
}

#[test]
fn examples_show_the_stolen_session_incident() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let lines = hunt_paths(&[examples]);
    let summary = lines.last().expect("a summary");
    assert_eq!(summary["rejected"], 0, "{summary}");
    assert_eq!(summary["unsupported"], 0, "{summary}");
    assert_eq!(summary["records"], 594, "{summary}");

    let incidents: Vec<&Value> = lines
        .iter()
        .filter(|line| line["type"] == "incident")
        .collect();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let incident = incidents[0];
    assert_eq!(incident["identity_email"], "alice@example.com");
    assert_eq!(incident["severity"], "critical");
    let detections: Vec<&str> = incident["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["detection"].as_str())
        .collect();
    assert_eq!(
        detections,
        [
            "session_replay",
            "impossible_travel",
            "credential_for_other_identity"
        ]
    );
    let linked = incident["linked_identities"].to_string();
    assert!(
        linked.contains("assumed-role/Engineering/alice@example.com"),
        "{linked}"
    );
    let actions: Vec<&str> = incident["plan"]["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|action| action["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "clear_user_sessions",
            "revoke_role_sessions",
            "deactivate_access_key"
        ]
    );

    // The response policy lets the stolen Okta session be cleared, and the notification go
    // out, on their own; the AWS actions wait for a person.
    let decided: Vec<(&str, &str)> = incident["response"]
        .as_array()
        .expect("response")
        .iter()
        .map(|step| {
            (
                step["action"].as_str().unwrap_or_default(),
                step["decision"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        [
            ("deactivate_access_key", "approve"),
            ("notify", "execute"),
            ("revoke_role_sessions", "approve"),
            ("okta_clear_sessions", "execute"),
        ]
    );
    let clear = &incident["response"][3];
    assert_eq!(clear["target"], "user/00uX7UKJJKP1SWh7yHw2");
    assert_eq!(clear["playbook"], "okta-user-compromise");
    assert_eq!(clear["policies"][0], "revoke_human_sessions_on_theft");
    assert!(
        clear["idempotency_key"]
            .as_str()
            .is_some_and(|key| key.starts_with("act-")),
        "{clear}"
    );
}

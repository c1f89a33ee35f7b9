//! Bad input never stops a hunt: each kind is reported with file, line and reason, kept in the
//! rejects file, counted in the summary, and the exit status is 2.

#![expect(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on a broken setup"
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn riposte(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RIPOSTE_LOG")
        .output()
        .expect("riposte runs")
}

/// Hunts `input` in `folder` with JSON Lines output and the rejects in `rejects.jsonl`.
fn hunt_with_rejects(folder: &Path, input: &str) -> Output {
    riposte(
        &[
            "hunt",
            "--format",
            "jsonl",
            "--rejects",
            "rejects.jsonl",
            input,
        ],
        folder,
    )
}

/// Returns the summary line of a `--format jsonl` run.
fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let value: Value = serde_json::from_str(line).expect("summary is JSON");
    assert_eq!(value["type"], "summary");
    value
}

fn rejects(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("rejects file exists")
        .lines()
        .map(|line| serde_json::from_str(line).expect("reject is JSON"))
        .collect()
}

const OKTA_SIGN_IN: &str = r#"{"uuid":"a1b2c3d4-0000-4000-8000-000000000001","published":"2024-05-06T09:00:00.000Z","eventType":"user.session.start","legacyEventType":"core.user_auth.login_success","displayMessage":"User login to Okta","severity":"INFO","actor":{"id":"00u1alice","type":"User","alternateId":"alice@example.com","displayName":"Alice Example"},"client":{"ipAddress":"203.0.113.10","userAgent":{"rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15","os":"Mac OS X","browser":"SAFARI"}},"outcome":{"result":"SUCCESS"}}"#;

#[test]
fn invalid_json_line_is_rejected_and_the_rest_is_read() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n{{\"uuid\": \"broken\n{OKTA_SIGN_IN}\n"),
    )
    .unwrap();
    let output = hunt_with_rejects(folder.path(), "okta.jsonl");
    assert_eq!(output.status.code(), Some(2));
    let summary = summary(&output);
    assert_eq!(summary["records"], 3);
    assert_eq!(summary["rejected"], 1);
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["file"], "okta.jsonl");
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(rejected[0]["record"], "{\"uuid\": \"broken");
    assert_eq!(
        rejected[0]["reason"],
        "invalid JSON: EOF while parsing a string (column 16)"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "riposte: rejected okta.jsonl:2: invalid JSON: EOF while parsing a string (column 16)"
        ),
        "{stderr}"
    );
}

#[test]
fn non_utf8_reject_keeps_base64_bytes() {
    let folder = tempfile::tempdir().unwrap();
    let mut input = format!("{OKTA_SIGN_IN}\n").into_bytes();
    input.extend_from_slice(b"{\"uuid\": \"caf\xe9\"}\n");
    std::fs::write(folder.path().join("okta.jsonl"), input).unwrap();
    let output = hunt_with_rejects(folder.path(), "okta.jsonl");

    assert_eq!(output.status.code(), Some(2));
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(rejected[0]["record"], "{\"uuid\": \"caf\u{fffd}\"}");
    assert_eq!(rejected[0]["record_lossy"], true);
    // Python's base64.b64encode(b'{"uuid": "caf\xe9"}').
    assert_eq!(rejected[0]["record_base64"], "eyJ1dWlkIjogImNhZukifQ==");
}

#[test]
fn piped_text_report_warns_on_stderr() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n{{\"uuid\": \"broken\n"),
    )
    .unwrap();
    let output = riposte(&["hunt", "okta.jsonl", "missing.jsonl"], folder.path());

    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Rejected records"), "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("riposte: rejected okta.jsonl:2: invalid JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.jsonl"), "{stderr}");
}

#[test]
fn unknown_format_is_rejected_with_its_keys() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("other.json"),
        "{\"level\":\"info\",\"msg\":\"hello\"}\n",
    )
    .unwrap();
    let output = hunt_with_rejects(folder.path(), "other.json");
    assert_eq!(output.status.code(), Some(2));
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(
        rejected[0]["reason"],
        "unknown format: the record matches none of cloudtrail, okta, entra (top-level keys: \
         `level`, `msg`)"
    );
}

#[test]
fn truncated_gzip_is_reported_after_the_records_before_it() {
    let folder = tempfile::tempdir().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..200 {
        writeln!(encoder, "{OKTA_SIGN_IN}").unwrap();
    }
    let compressed = encoder.finish().unwrap();
    let half = compressed.get(..compressed.len() / 2).unwrap();
    std::fs::write(folder.path().join("okta.json.gz"), half).unwrap();
    let output = hunt_with_rejects(folder.path(), "okta.json.gz");
    assert_eq!(output.status.code(), Some(2));
    let summary = summary(&output);
    let errors = summary["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    let error = errors[0].as_str().unwrap();
    assert!(error.starts_with("okta.json.gz:"), "{error}");
    assert!(
        error.ends_with(
            ": read failed: incomplete deflate stream; the records read before the failure are \
             kept, the rest of the input is lost"
        ),
        "{error}"
    );
    // The records before the cut were read.
    assert!(summary["records"].as_u64().unwrap() > 1);
    // The read error is also the rejected record, and standard error names it once.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("read failed").count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("riposte: rejected {error}")),
        "{stderr}"
    );

    let text = riposte(&["hunt", "okta.json.gz"], folder.path());
    let report = String::from_utf8_lossy(&text.stdout);
    assert_eq!(report.matches("read failed").count(), 1, "{report}");
}

#[test]
fn missing_path_does_not_stop_the_others() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n"),
    )
    .unwrap();
    let output = riposte(
        &["hunt", "--format", "jsonl", "missing.json", "okta.jsonl"],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let summary = summary(&output);
    assert_eq!(summary["unreadable_files"], 1);
    assert_eq!(summary["files"], 1);
    assert_eq!(
        summary["errors"][0],
        "cannot read `missing.json`: No such file or directory (os error 2)"
    );
}

#[test]
fn record_too_deep_or_not_an_object_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("numbers.json"), "[[[1]]]\n42\n").unwrap();
    let output = hunt_with_rejects(folder.path(), "numbers.json");
    assert_eq!(output.status.code(), Some(2));
    let reasons: Vec<String> = rejects(&folder.path().join("rejects.jsonl"))
        .iter()
        .map(|reject| reject["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "expected a JSON object, found an array",
            "expected a JSON object, found a number"
        ]
    );
}

#[test]
fn invalid_config_is_a_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("riposte.toml"),
        "[detections.impossible_travel]\nspeed = 1\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n"),
    )
    .unwrap();
    let output = riposte(
        &["hunt", "--config", "riposte.toml", "okta.jsonl"],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("riposte: invalid configuration file `riposte.toml`: line 2, column 1: unknown field `speed`"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown field `speed`"), "{stderr}");
}

#[test]
fn standard_input_twice_is_a_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    let output = riposte(&["hunt", "-", "-"], folder.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("`-` (standard input) is given twice; standard input can be read only once"),
        "{stderr}"
    );
}

#[test]
fn unknown_format_name_is_a_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    let output = riposte(&["hunt", "--format", "xml", "x.json"], folder.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "unknown format `xml`: expected an output format (text, jsonl, ocsf) or an input log \
             format (cloudtrail, okta, entra)"
        ),
        "{stderr}"
    );
}

#[test]
fn missing_geoip_database_is_a_usage_error() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n"),
    )
    .unwrap();
    let output = riposte(
        &["hunt", "--geoip", "missing.mmdb", "okta.jsonl"],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("riposte: "), "{stderr}");
    assert!(stderr.contains("missing.mmdb"), "{stderr}");
}

#[test]
fn missing_required_field_names_the_field() {
    let folder = tempfile::tempdir().unwrap();
    let record = r#"{"eventVersion":"1.09","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"0f0e0d0c-0000-4000-8000-000000000001","userIdentity":{"type":"Root","arn":"arn:aws:iam::111111111111:root","accountId":"111111111111"}}"#;
    std::fs::write(
        folder.path().join("cloudtrail.jsonl"),
        format!("{record}\n"),
    )
    .unwrap();
    let output = hunt_with_rejects(folder.path(), "cloudtrail.jsonl");
    assert_eq!(output.status.code(), Some(2));
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(
        rejected[0]["reason"],
        "cloudtrail: missing required field `eventTime`"
    );
    assert_eq!(rejected[0]["record"], record);
}

#[test]
fn impossible_timestamp_names_field_and_value() {
    let folder = tempfile::tempdir().unwrap();
    let record = OKTA_SIGN_IN.replace("2024-05-06T09:00:00.000Z", "2024-13-01T09:00:00.000Z");
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n{record}\n"),
    )
    .unwrap();
    let output = hunt_with_rejects(folder.path(), "okta.jsonl");
    assert_eq!(output.status.code(), Some(2));
    let summary = summary(&output);
    assert_eq!(summary["records"], 2);
    assert_eq!(summary["rejected"], 1);
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(
        rejected[0]["reason"],
        "okta: invalid timestamp `2024-13-01T09:00:00.000Z` in `published`: the date does not \
         exist (month or day out of range)"
    );
}

#[test]
fn standard_input_is_read_with_a_forced_format() {
    let folder = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .args(["hunt", "--format", "jsonl", "--format", "okta", "-"])
        .current_dir(folder.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("riposte starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{OKTA_SIGN_IN}\n{OKTA_SIGN_IN}\n").as_bytes())
        .expect("stdin accepts the records");
    let output = child.wait_with_output().expect("riposte finishes");
    assert_eq!(output.status.code(), Some(0));
    let summary = summary(&output);
    assert_eq!(summary["records"], 2);
    assert_eq!(summary["duplicates"], 1);
    assert_eq!(summary["by_format"]["okta"], 2);
}

#[test]
fn forced_format_rejects_records_of_another_format() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n"),
    )
    .unwrap();
    let output = riposte(
        &[
            "hunt",
            "--format",
            "jsonl",
            "--input-format",
            "cloudtrail",
            "--rejects",
            "rejects.jsonl",
            "okta.jsonl",
        ],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(
        rejected[0]["reason"],
        "cloudtrail: missing required field `eventTime`"
    );
}

#[test]
fn rejects_file_that_is_an_input_is_refused() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("okta.jsonl"),
        format!("{OKTA_SIGN_IN}\n"),
    )
    .unwrap();
    let output = riposte(
        &["hunt", "--rejects", "okta.jsonl", "okta.jsonl"],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("okta.jsonl` is also an input; write rejects to a path outside the inputs"),
        "{stderr}"
    );
    let kept = std::fs::read_to_string(folder.path().join("okta.jsonl")).unwrap();
    assert_eq!(kept, format!("{OKTA_SIGN_IN}\n"));
}

#[test]
fn invalid_inventory_lists_every_problem() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("inventory.yaml"),
        "people:\n  - name: Alice\n    emial: alice@example.com\n",
    )
    .unwrap();
    let output = riposte(
        &["validate", "--inventory", "inventory.yaml"],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr,
        "riposte: inventory.yaml:2:5: missing field `email` in person on line 2: add it\n\
         riposte: inventory.yaml:3:5: unknown field `emial` in person on line 2: expected one of \
         name, email, accounts; did you mean `email`?\n"
    );
}

#[test]
fn shipped_inventory_is_valid() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let output = riposte(&["validate", "--inventory", "inventory.yaml"], &examples);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn readme_configuration_example_is_valid() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let example: String = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README has a TOML example")
        .to_owned();
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("riposte.toml"), example).unwrap();
    let output = riposte(&["validate", "--config", "riposte.toml"], folder.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn shipped_policy_and_playbooks_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = riposte(
        &[
            "validate",
            "--policy",
            "policies/default.cedar",
            "--playbooks",
            "playbooks",
        ],
        &root,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("policies/default.cedar: valid against the policy schema (6 policies)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("playbooks: valid (14 playbooks"),
        "{stdout}"
    );
}

#[test]
fn invalid_policy_and_playbook_errors() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("custom.cedar"),
        "@id(\"by_team\")\n@decision(\"execute\")\n\
         permit (principal, action, resource) when { resource.team == \"payments\" };\n",
    )
    .unwrap();
    std::fs::create_dir(folder.path().join("playbooks")).unwrap();
    std::fs::write(
        folder.path().join("playbooks/revoke.yaml"),
        "name: revoke\ndescription: Revoke.\nwhen:\n  detections: [session_replay]\nsteps:\n  \
         - action: okta_clear_session\n    with:\n      user_id: \"{identity.id}\"\n",
    )
    .unwrap();
    let output = riposte(
        &[
            "validate",
            "--policy",
            "custom.cedar",
            "--playbooks",
            "playbooks",
        ],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("custom.cedar:3:")
            && stderr.contains("attribute `team` on entity type `Riposte::Identity` not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("revoke.yaml:6:") && stderr.contains("okta_clear_session"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn hunt_rejects_invalid_policy() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("broken.cedar"),
        "permit (principal, action",
    )
    .unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let output = riposte(
        &[
            "hunt",
            "--policy",
            folder.path().join("broken.cedar").to_str().unwrap(),
            examples.to_str().unwrap(),
        ],
        folder.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.cedar:1:"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn validate_checks_connector_settings_without_secrets() {
    let folder = tempfile::tempdir().unwrap();
    let check = |config: &str| {
        std::fs::write(folder.path().join("riposte.toml"), config).unwrap();
        riposte(&["validate", "--config", "riposte.toml"], folder.path())
    };

    let valid = check(
        "[connectors.okta]\norg_url = \"https://example.okta.com\"\n\
         [connectors.webhook]\nurl_env = \"CHAT_URL\"\n",
    );
    assert_eq!(
        valid.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );
    assert!(
        String::from_utf8_lossy(&valid.stdout).contains("connectors: okta, webhook"),
        "{}",
        String::from_utf8_lossy(&valid.stdout)
    );

    for (config, problem) in [
        (
            "[connectors.okta]\norg_url = \"http://example.okta.com\"\n",
            "scheme `http` is not allowed",
        ),
        (
            "[connectors.okta]\norg_url = \"https://example.okta.com\"\n\
             [connectors.okta.http]\ntimeout_secs = 0\n",
            "invalid `timeout_secs` `0`",
        ),
        (
            "[connectors.okta]\norg_url = \"https://example.okta.com\"\ntoken = \"t\"\n\
             token_env = \"OKTA_TOKEN\"\n",
            "both `token` and `token_env`",
        ),
        (
            "[connectors.aws]\nregion = \"us-east-1\"\nendpoint_url = \"http://iam.example.com\"\n",
            "allowed only on a loopback address",
        ),
    ] {
        let output = check(config);
        assert_eq!(output.status.code(), Some(1), "{config}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(problem), "{config}: {stderr}");
    }
}

#[test]
fn approvals_need_a_name_and_a_reason() {
    let folder = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let hunt = riposte(
        &["hunt", "--state", "state.db", examples.to_str().unwrap()],
        folder.path(),
    );
    assert_eq!(hunt.status.code(), Some(0));
    for (args, problem) in [
        (
            &["approve", "--state", "state.db", "1", "--by", " "][..],
            "empty --by",
        ),
        (
            &[
                "deny", "--state", "state.db", "1", "--by", "", "--reason", "x",
            ],
            "empty --by",
        ),
        (
            &[
                "deny", "--state", "state.db", "1", "--by", "alice", "--reason", "  ",
            ],
            "empty --reason",
        ),
    ] {
        let output = riposte(&[&["approvals"][..], args].concat(), folder.path());
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(problem), "{args:?}: {stderr}");
    }
    let listed = riposte(
        &[
            "approvals",
            "list",
            "--state",
            "state.db",
            "--format",
            "jsonl",
        ],
        folder.path(),
    );
    let pending = String::from_utf8_lossy(&listed.stdout);
    assert_eq!(pending.lines().count(), 2, "nothing was decided: {pending}");
}

#[test]
fn empty_policy_file_warns() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("empty.cedar"), "// nothing yet\n").unwrap();
    let output = riposte(&["validate", "--policy", "empty.cedar"], folder.path());
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "warning: empty.cedar holds no policy, so every action would only be recommended"
        ),
        "{stderr}"
    );
}

#[test]
fn records_after_the_records_array_are_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let record = r#"{"eventVersion":"1.09","eventTime":"2024-05-06T09:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"0f0e0d0c-0000-4000-8000-000000000002","userIdentity":{"type":"Root","arn":"arn:aws:iam::111111111111:root","accountId":"111111111111"}}"#;
    std::fs::write(
        folder.path().join("trail.json"),
        format!("{{\"Records\":[{record}],\n\"Records\":[{record}]}}\n"),
    )
    .unwrap();
    let output = hunt_with_rejects(folder.path(), "trail.json");
    assert_eq!(output.status.code(), Some(2));
    let summary = summary(&output);
    assert_eq!(summary["records"], 2);
    assert_eq!(summary["rejected"], 1);
    let rejected = rejects(&folder.path().join("rejects.jsonl"));
    assert_eq!(rejected[0]["line"], 1);
    assert_eq!(
        rejected[0]["reason"],
        "unexpected content after the array of records in a `Records` or `records` object: a \
         file holds one array of records"
    );
    assert_eq!(rejected[0]["record"], format!(",\n\"Records\":[{record}]"));
}

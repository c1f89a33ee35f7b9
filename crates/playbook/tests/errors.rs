//! The messages `riposte validate --playbooks` prints, with their positions.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

use std::path::Path;

use riposte_playbook::{parse_playbook, validate_dir};

fn errors(text: &str) -> Vec<String> {
    parse_playbook(text, None)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

const VALID: &str = r#"name: okta-test
description: Test.
when:
  detections: [session_replay]
steps:
  - action: okta_clear_sessions
    with:
      user_id: "{identity.id}"
"#;

#[test]
fn valid_playbook_parses() {
    let playbook = parse_playbook(VALID, None).unwrap();
    assert_eq!(playbook.name, "okta-test");
    assert_eq!(playbook.steps.len(), 1);
    assert_eq!(playbook.steps[0].line, 6);
}

#[test]
fn unknown_key_suggests_the_closest() {
    let text = VALID.replace("when:", "wen:");
    assert_eq!(
        errors(&text),
        [
            "1:1: missing key `when` in the playbook: add it",
            "3:1: unknown key `wen` in the playbook: expected one of name, description, when, \
             steps; did you mean `when`?",
        ]
    );
}

#[test]
fn unknown_step_key_is_reported() {
    let text = VALID.replace("    with:", "    fallbacks: []\n    with:");
    assert_eq!(
        errors(&text),
        [
            "7:5: unknown key `fallbacks` in step 1: expected one of action, with, fallback; did \
          you mean `fallback`?"
        ]
    );
}

#[test]
fn unknown_action_suggests_a_kind() {
    let text = VALID.replace("okta_clear_sessions", "okta_clear_session");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "6:13: unknown action kind `okta_clear_session`: expected one of revoke_role_sessions, "
        ),
        "{}",
        found[0]
    );
    assert!(
        found[0].ends_with("; did you mean `okta_clear_sessions`?"),
        "{}",
        found[0]
    );
}

#[test]
fn planner_action_name_suggests_the_action_kind() {
    let text = VALID.replace("okta_clear_sessions", "clear_user_sessions");
    let found = errors(&text);
    assert!(
        found[0].ends_with("; did you mean `okta_clear_sessions`?"),
        "{}",
        found[0]
    );
}

#[test]
fn unknown_detection_suggests_the_closest() {
    let text = VALID.replace("[session_replay]", "[session_replay, impossible_travell]");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with(
            "4:32: unknown detection `impossible_travell`: expected one of impossible_travel, "
        ),
        "{}",
        found[0]
    );
    assert!(
        found[0].ends_with("; did you mean `impossible_travel`?"),
        "{}",
        found[0]
    );
}

#[test]
fn unknown_kind_provider_and_severity_are_reported() {
    let text = VALID.replace(
        "  detections: [session_replay]",
        "  detections: [session_replay]\n  identity_kinds: [humans]\n  providers: [gcp]\n  min_severity: severe",
    );
    let found = errors(&text);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[0].starts_with("5:20: unknown identity kind `humans`: expected one of human, "),
        "{}",
        found[0]
    );
    assert!(found[0].ends_with("did you mean `human`?"), "{}", found[0]);
    assert_eq!(
        found[1],
        "6:15: unknown provider `gcp`: expected one of aws, okta, entra"
    );
    assert_eq!(
        found[2],
        "7:17: unknown severity `severe`: expected one of info, low, medium, high, critical"
    );
}

#[test]
fn bad_templates_are_reported() {
    let text = VALID.replace("\"{identity.id}\"", "\"{identity.idd}\"");
    let found = errors(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("8:16: invalid template in `user_id`: unknown template variable `identity.idd`: expected one of incident.id, "),
        "{}",
        found[0]
    );
    assert!(
        found[0].ends_with("or finding.facts.NAME; did you mean `identity.id`?"),
        "{}",
        found[0]
    );

    let text = VALID.replace("\"{identity.id}\"", "\"{identity.id\"");
    assert_eq!(
        errors(&text),
        [
            "8:16: invalid template in `user_id`: unclosed `{` in `{identity.id`: close the variable \
          with `}`, or write `{{` for a literal brace"
        ]
    );
}

#[test]
fn parameters_are_checked_against_the_action() {
    let text = VALID.replace("user_id:", "userid:");
    assert_eq!(
        errors(&text),
        [
            "8:7: unknown parameter `userid` for `okta_clear_sessions`: expected one of user_id; \
             did you mean `user_id`?",
            "8:7: missing parameter `user_id` for `okta_clear_sessions`: add it under `with`",
        ]
    );

    let text = VALID.replace("    with:\n      user_id: \"{identity.id}\"\n", "");
    assert_eq!(
        errors(&text),
        ["6:5: missing parameter `user_id` for `okta_clear_sessions`: add it under `with`"]
    );
}

#[test]
fn one_of_parameters_are_checked() {
    let text = r#"name: narrow
description: Test.
when: {}
steps:
  - action: narrow_policy
    with:
      role_name: "{identity.role_name}"
      user_name: "{identity.user_name}"
      duration_secs: an hour
"#;
    assert_eq!(
        errors(text),
        [
            "7:7: `narrow_policy` takes exactly one of `role_name`, `user_name`: found 2",
            "9:22: invalid `duration_secs` `an hour`: expected a whole number of seconds or a \
             template",
        ]
    );
}

#[test]
fn wrong_types_are_reported() {
    let text = r#"name: types
description: [not, text]
when: everything
steps:
  action: notify
"#;
    assert_eq!(
        errors(text),
        [
            "2:14: invalid `description` in the playbook: expected text, found a list",
            "3:7: invalid `when` in `when`: expected a mapping, found text",
            "5:3: invalid `steps` in the playbook: expected a list of steps, found a mapping",
        ]
    );
}

#[test]
fn empty_steps_and_bad_name_are_reported() {
    let text = "name: Okta Test\ndescription: Test.\nwhen: {}\nsteps: []\n";
    assert_eq!(
        errors(text),
        [
            "1:7: invalid playbook name `Okta Test`: expected lowercase letters, digits, `-` and \
             `_`, such as `okta-session-theft`",
            "4:8: `steps` is empty: a playbook needs at least one step",
        ]
    );
}

#[test]
fn fallbacks_are_checked_like_steps() {
    let text = r#"name: nested
description: Test.
when: {}
steps:
  - action: revoke_role_sessions
    with: { role_name: "{identity.role_name}" }
    fallback:
      - action: narrow_policy
        with: { role_nam: "{identity.role_name}" }
"#;
    assert_eq!(
        errors(text),
        [
            "9:15: `narrow_policy` takes exactly one of `role_name`, `user_name`: found 0",
            "9:17: unknown parameter `role_nam` for `narrow_policy`: expected one of role_name, \
             user_name, deny_actions, duration_secs; did you mean `role_name`?",
        ]
    );
}

#[test]
fn yaml_syntax_error_has_a_position() {
    let found = errors("name: x\nsteps: [\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("3:1: invalid YAML: "), "{}", found[0]);
}

#[test]
fn several_documents_are_rejected() {
    let found = errors(&format!("{VALID}---\n{VALID}"));
    assert_eq!(
        found,
        ["the playbook holds 2 YAML documents: expected one playbook per file"]
    );
}

#[test]
fn directory_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), VALID).unwrap();
    std::fs::write(dir.path().join("b.yml"), VALID).unwrap();
    std::fs::write(dir.path().join("c.yaml"), VALID.replace("when:", "wen:")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a playbook").unwrap();
    let found: Vec<String> = validate_dir(dir.path())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    let a = dir.path().join("a.yaml");
    let b = dir.path().join("b.yml");
    let c = dir.path().join("c.yaml");
    assert_eq!(
        found,
        [
            format!(
                "{}: duplicate playbook name `okta-test`: {} has it already",
                b.display(),
                a.display()
            ),
            format!(
                "{}:1:1: missing key `when` in the playbook: add it",
                c.display()
            ),
            format!(
                "{}:3:1: unknown key `wen` in the playbook: expected one of name, description, \
                 when, steps; did you mean `when`?",
                c.display()
            ),
        ]
    );
}

#[test]
fn empty_and_missing_directories_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let found = validate_dir(dir.path()).unwrap_err();
    assert_eq!(
        found[0].to_string(),
        format!(
            "{}: no playbook in the directory: expected files ending in `.yaml` or `.yml`",
            dir.path().display()
        )
    );
    let missing = validate_dir(Path::new("/nonexistent/riposte-playbooks")).unwrap_err();
    assert!(
        missing[0]
            .to_string()
            .starts_with("/nonexistent/riposte-playbooks: failed to list the playbook directory"),
        "{}",
        missing[0]
    );
}

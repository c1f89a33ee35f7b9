//! The shipped playbooks, matching, template expansion and fallbacks.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use riposte_action::{Action, AwsPrincipal, GraphObject};
use riposte_model::{Incident, Severity};
use riposte_playbook::{
    DEFAULT_PLAYBOOKS, DETECTIONS, ExpandError, PassedOver, PlannedStep, Playbook,
    default_playbooks, parse_playbook, validate_dir,
};
use support::{
    entra_user, finding, iam_key_user, incident, okta_user, radius, role_session, service_principal,
};

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../playbooks")
}

fn shipped() -> Vec<Playbook> {
    match validate_dir(&shipped_dir()) {
        Ok(playbooks) => playbooks,
        Err(errors) => panic!(
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}

fn shipped_named(name: &str) -> Playbook {
    shipped()
        .into_iter()
        .find(|playbook| playbook.name == name)
        .unwrap()
}

/// Returns the names of the shipped playbooks that apply to an incident.
fn matching(incident: &Incident) -> Vec<String> {
    shipped()
        .into_iter()
        .filter(|playbook| playbook.matches(incident))
        .map(|playbook| playbook.name)
        .collect()
}

#[test]
fn shipped_playbooks_validate() {
    let playbooks = shipped();
    assert_eq!(playbooks.len(), 14);
    let names: BTreeSet<&str> = playbooks
        .iter()
        .map(|playbook| playbook.name.as_str())
        .collect();
    assert_eq!(names.len(), playbooks.len());
    for playbook in &playbooks {
        let file = playbook.file.as_ref().unwrap();
        let stem = file.file_stem().unwrap().to_str().unwrap();
        assert_eq!(stem, playbook.name, "a playbook's file is named after it");
    }
}

#[test]
fn built_in_playbooks_are_the_shipped_directory() {
    let built_in = default_playbooks().unwrap();
    let shipped = shipped();
    assert_eq!(
        built_in.len(),
        shipped.len(),
        "every shipped file is built in"
    );
    for (built_in, shipped) in built_in.iter().zip(&shipped) {
        assert_eq!(built_in.name, shipped.name);
        assert_eq!(built_in.when, shipped.when);
        assert_eq!(built_in.steps, shipped.steps);
    }
    for (path, text) in DEFAULT_PLAYBOOKS {
        let on_disk = std::fs::read_to_string(shipped_dir().join("..").join(path)).unwrap();
        assert_eq!(*text, on_disk, "{path}");
    }
}

#[test]
fn shipped_playbooks_cover_every_detection() {
    let playbooks = shipped();
    for detection in DETECTIONS {
        let covered = playbooks
            .iter()
            .any(|playbook| playbook.when.detections.contains(*detection));
        assert!(covered, "no shipped playbook names `{detection}`");
    }
}

#[test]
fn every_shipped_playbook_notifies() {
    for playbook in shipped() {
        let notifies = playbook.steps.iter().any(|step| step.spec.kind == "notify");
        assert!(notifies, "{} sends no notification", playbook.name);
    }
}

#[test]
fn okta_session_replay_matches_okta_playbook_only() {
    let user = okta_user();
    let replay = incident(user.clone(), vec![finding("session_replay", &user, None)]);
    assert_eq!(matching(&replay), ["okta-user-compromise"]);

    let fatigue = incident(user.clone(), vec![finding("mfa_fatigue", &user, None)]);
    assert_eq!(matching(&fatigue), ["okta-mfa-fatigue"]);

    let entra = entra_user();
    let travel = incident(
        entra.clone(),
        vec![finding("impossible_travel", &entra, None)],
    );
    assert_eq!(matching(&travel), ["entra-user-compromise"]);
}

#[test]
fn matching_checks_each_condition() {
    let playbook = parse_playbook(
        r#"
name: high-okta
description: Test.
when:
  detections: [session_replay]
  min_severity: high
  identity_kinds: [human]
  providers: [okta]
steps:
  - action: notify
    with: { summary: "x" }
"#,
        None,
    )
    .unwrap();
    let user = okta_user();
    let mut replay = incident(user.clone(), vec![finding("session_replay", &user, None)]);
    assert!(playbook.matches(&replay));

    replay.severity = Severity::Medium;
    assert!(!playbook.matches(&replay), "below the minimum severity");
    replay.severity = Severity::Critical;
    assert!(playbook.matches(&replay));

    let travel = incident(
        user.clone(),
        vec![finding("impossible_travel", &user, None)],
    );
    assert!(!playbook.matches(&travel), "another detection");

    let entra = entra_user();
    let other_provider = incident(entra.clone(), vec![finding("session_replay", &entra, None)]);
    assert!(!playbook.matches(&other_provider), "another provider");

    let session = role_session();
    let other_kind = incident(
        session.clone(),
        vec![finding("session_replay", &session, None)],
    );
    assert!(!playbook.matches(&other_kind), "another identity kind");
}

#[test]
fn linked_identity_is_matched_on_its_own_findings() {
    let user = okta_user();
    let session = role_session();
    let mut both = incident(
        user.clone(),
        vec![
            finding("session_replay", &user, None),
            finding(
                "workload_credential_misuse",
                &session,
                Some("ASIAEXAMPLEEXAMPLE01"),
            ),
        ],
    );
    both.linked_identities.push(session.clone());
    assert_eq!(
        matching(&both),
        ["aws-role-session-compromise", "okta-user-compromise"]
    );

    let steps = shipped_named("aws-role-session-compromise").expand(&both);
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].identity, session);
    assert_eq!(
        steps[0].action,
        Ok(Action::RevokeRoleSessions {
            role_name: "Deploy".to_owned()
        })
    );
}

#[test]
fn okta_playbook_expands_to_clear_sessions_and_notify() {
    let user = okta_user();
    let replay = incident(user.clone(), vec![finding("session_replay", &user, None)]);
    let steps = shipped_named("okta-user-compromise").expand(&replay);
    let actions: Vec<&Action> = steps
        .iter()
        .map(|step| step.action.as_ref().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            &Action::OktaClearSessions {
                user_id: "00u1exampleuser".to_owned()
            },
            &Action::Notify {
                summary: "riposte incident inc-0001 (high): session_replay on Okta user \
                          alice@example.com"
                    .to_owned()
            },
        ]
    );
    assert_eq!(steps[0].position, "1");
    assert_eq!(steps[0].playbook, "okta-user-compromise");
    assert_eq!(steps[0].identity.key.to_string(), "okta:00u1exampleuser");
}

#[test]
fn role_fallback_uses_radius_duration() {
    let session = role_session();
    let mut misuse = incident(
        session.clone(),
        vec![finding("workload_credential_misuse", &session, None)],
    );
    misuse.blast_radius = Some(radius("high", Some(900)));
    let steps = shipped_named("aws-role-session-compromise").expand(&misuse);
    let fallback = &steps[0].fallbacks[0];
    assert_eq!(fallback.position, "1.1");
    assert_eq!(
        fallback.action,
        Ok(Action::NarrowPolicy {
            principal: AwsPrincipal::Role("Deploy".to_owned()),
            deny_actions: vec![
                "iam:*".to_owned(),
                "sts:*".to_owned(),
                "organizations:*".to_owned(),
                "secretsmanager:GetSecretValue".to_owned(),
            ],
            duration_secs: 900,
        })
    );

    // Without a blast radius, the template's default applies.
    misuse.blast_radius = None;
    let steps = shipped_named("aws-role-session-compromise").expand(&misuse);
    let Ok(Action::NarrowPolicy { duration_secs, .. }) = &steps[0].fallbacks[0].action else {
        panic!("{:?}", steps[0].fallbacks[0].action);
    };
    assert_eq!(*duration_secs, 3600);
}

#[test]
fn access_key_comes_from_the_evidence() {
    let user = iam_key_user();
    let leaked = incident(
        user.clone(),
        vec![finding(
            "new_network_for_workload",
            &user,
            Some("AKIAIOSFODNN7EXAMPLE"),
        )],
    );
    let steps = shipped_named("aws-access-key-compromise").expand(&leaked);
    assert_eq!(
        steps[0].action,
        Ok(Action::DeactivateAccessKey {
            user_name: "deployer".to_owned(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        })
    );
}

#[test]
fn missing_key_leaves_the_step_unresolved() {
    let user = iam_key_user();
    // A temporary key (ASIA...) cannot be deactivated, so no key fills the template.
    let leaked = incident(
        user.clone(),
        vec![finding(
            "new_network_for_workload",
            &user,
            Some("ASIAEXAMPLEEXAMPLE01"),
        )],
    );
    let steps = shipped_named("aws-access-key-compromise").expand(&leaked);
    let error = steps[0].action.as_ref().unwrap_err();
    assert_eq!(
        error,
        &ExpandError::MissingValue {
            action: "deactivate_access_key",
            parameter: "access_key_id".to_owned(),
            variable: "evidence.access_key_id".to_owned(),
        }
    );
    assert_eq!(
        error.to_string(),
        "no value for `{evidence.access_key_id}` in `access_key_id` of `deactivate_access_key`"
    );
    assert_eq!(
        steps[0].fallbacks[0].action,
        Ok(Action::NarrowPolicy {
            principal: AwsPrincipal::User("deployer".to_owned()),
            deny_actions: vec![
                "iam:*".to_owned(),
                "sts:*".to_owned(),
                "organizations:*".to_owned(),
                "secretsmanager:GetSecretValue".to_owned(),
            ],
            duration_secs: 3600,
        })
    );
}

#[test]
fn service_principal_loses_its_secret_then_is_disabled() {
    let principal = service_principal();
    let misuse = incident(
        principal.clone(),
        vec![finding(
            "workload_credential_misuse",
            &principal,
            Some("5c1a7d9e-0000-4000-8000-00000000cc03"),
        )],
    );
    let steps = shipped_named("entra-service-principal-compromise").expand(&misuse);
    let actions: Vec<&Action> = steps
        .iter()
        .map(|step| step.action.as_ref().unwrap())
        .collect();
    assert_eq!(
        actions[..2],
        [
            &Action::GraphRemovePassword {
                object: GraphObject::ServicePrincipal(
                    "5f03d160-0000-4000-8000-00000000b002".to_owned()
                ),
                key_id: "5c1a7d9e-0000-4000-8000-00000000cc03".to_owned(),
            },
            &Action::GraphDisableServicePrincipal {
                service_principal_id: "5f03d160-0000-4000-8000-00000000b002".to_owned()
            },
        ]
    );
}

#[test]
fn credential_for_other_user_reads_facts_and_related() {
    let actor = role_session();
    let mut created = finding("credential_for_other_identity", &actor, None);
    created
        .facts
        .insert("operation".into(), "CreateAccessKey".into());
    created
        .facts
        .insert("access_key_id".into(), "AKIAI44QH8DHBEXAMPLE".into());
    let mut target = iam_key_user();
    target.name = Some("deployer".into());
    created.related.push(target);
    let steps = shipped_named("aws-credential-for-other-user")
        .expand(&incident(actor.clone(), vec![created.clone()]));
    assert_eq!(
        steps[0].action,
        Ok(Action::DeactivateAccessKey {
            user_name: "deployer".to_owned(),
            access_key_id: "AKIAI44QH8DHBEXAMPLE".to_owned(),
        })
    );

    // A console password has no key: the step is unresolved and its fallback removes the
    // password.
    created.facts.remove("access_key_id");
    created
        .facts
        .insert("operation".into(), "CreateLoginProfile".into());
    let steps =
        shipped_named("aws-credential-for-other-user").expand(&incident(actor, vec![created]));
    assert!(steps[0].action.is_err());
    assert_eq!(
        steps[0].fallbacks[0].action,
        Ok(Action::DeleteLoginProfile {
            user_name: "deployer".to_owned()
        })
    );
}

/// A decision for tests: whether the action may run automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Execute,
    Approve,
}

fn role_steps() -> Vec<PlannedStep> {
    let session = role_session();
    let misuse = incident(
        session.clone(),
        vec![finding("workload_credential_misuse", &session, None)],
    );
    shipped_named("aws-role-session-compromise").expand(&misuse)
}

#[test]
fn select_takes_the_step_when_it_executes() {
    let steps = role_steps();
    let mut asked = Vec::new();
    let selection = steps[0].select(
        |action| {
            asked.push(action.kind());
            Verdict::Execute
        },
        |verdict| *verdict == Verdict::Execute,
    );
    let chosen = selection.chosen.unwrap();
    assert_eq!(chosen.action.kind(), "revoke_role_sessions");
    assert_eq!(chosen.decision, Verdict::Execute);
    assert!(selection.passed_over.is_empty());
    assert_eq!(
        asked,
        ["revoke_role_sessions"],
        "fallbacks are not decided on"
    );
}

#[test]
fn select_falls_back_when_the_step_needs_approval() {
    let steps = role_steps();
    let selection = steps[0].select(
        |action| match action {
            Action::RevokeRoleSessions { .. } => Verdict::Approve,
            _ => Verdict::Execute,
        },
        |verdict| *verdict == Verdict::Execute,
    );
    let chosen = selection.chosen.unwrap();
    assert_eq!(chosen.action.kind(), "narrow_policy");
    assert_eq!(chosen.step.position, "1.1");
    assert!(matches!(
        selection.passed_over[..],
        [PassedOver::Decided {
            decision: Verdict::Approve,
            ..
        }]
    ));
}

#[test]
fn select_keeps_the_step_when_nothing_executes() {
    let steps = role_steps();
    let selection = steps[0].select(|_| Verdict::Approve, |verdict| *verdict == Verdict::Execute);
    let chosen = selection.chosen.unwrap();
    assert_eq!(chosen.action.kind(), "revoke_role_sessions");
    assert_eq!(chosen.decision, Verdict::Approve);
    assert_eq!(selection.passed_over.len(), 1);
}

#[test]
fn select_skips_unresolved_steps() {
    let user = iam_key_user();
    let leaked = incident(
        user.clone(),
        vec![finding("new_network_for_workload", &user, None)],
    );
    let steps = shipped_named("aws-access-key-compromise").expand(&leaked);
    let selection = steps[0].select(|_| Verdict::Approve, |verdict| *verdict == Verdict::Execute);
    let chosen = selection.chosen.unwrap();
    assert_eq!(chosen.action.kind(), "narrow_policy");
    assert_eq!(chosen.decision, Verdict::Approve);
    assert!(matches!(
        selection.passed_over[..],
        [PassedOver::Unresolved { .. }]
    ));
}

#[test]
fn select_chooses_nothing_when_no_step_resolves() {
    let playbook = parse_playbook(
        r#"
name: email-only
description: Test.
when: {}
steps:
  - action: okta_suspend_user
    with: { user_id: "{identity.email}" }
    fallback:
      - action: okta_clear_sessions
        with: { user_id: "{identity.email}" }
"#,
        None,
    )
    .unwrap();
    let session = role_session();
    let steps = playbook.expand(&incident(
        session.clone(),
        vec![finding("session_replay", &session, None)],
    ));
    let selection = steps[0].select(|_| Verdict::Execute, |verdict| *verdict == Verdict::Execute);
    assert!(selection.chosen.is_none());
    assert_eq!(selection.passed_over.len(), 2);
}

#[test]
fn template_defaults_and_escapes_render() {
    let playbook = parse_playbook(
        r#"
name: render
description: Test.
when: {}
steps:
  - action: notify
    with:
      summary: "{{literal}} {identity.email|no e-mail} {finding.facts.owner.name} {finding.confidence}"
"#,
        None,
    )
    .unwrap();
    let session = role_session();
    let mut found = finding("session_replay", &session, None);
    found
        .facts
        .insert("owner".into(), serde_json::json!({"name": "deployer"}));
    let steps = playbook.expand(&incident(session, vec![found]));
    assert_eq!(
        steps[0].action,
        Ok(Action::Notify {
            summary: "{literal} no e-mail deployer 0.90".to_owned()
        })
    );
}

/// Returns the fenced blocks of one language in `docs/response.md`.
fn doc_blocks(language: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/response.md"),
    )
    .unwrap();
    let fence = format!("```{language}\n");
    doc.split(fence.as_str())
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}

#[test]
fn documented_playbook_parses() {
    let blocks = doc_blocks("yaml");
    assert_eq!(blocks.len(), 1);
    let playbook = parse_playbook(&blocks[0], None).unwrap();
    assert_eq!(playbook.name, "aws-role-session-compromise");
}

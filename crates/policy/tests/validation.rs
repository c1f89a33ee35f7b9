//! Policy validation: the messages and positions `riposte validate --policy` prints.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

use std::path::Path;

use riposte_action::{Action, AwsPrincipal, GraphObject};
use riposte_policy::{
    DEFAULT_POLICY, PolicyEngine, PolicyErrorKind, PolicySchema, validate, validate_file,
};

fn schema() -> PolicySchema {
    PolicySchema::builtin().unwrap()
}

fn messages(policy: &str) -> Vec<String> {
    validate(policy, &schema())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn default_policy_validates() {
    validate(DEFAULT_POLICY, &schema()).unwrap();
}

#[test]
fn unknown_attribute_is_reported_with_position() {
    let policy = r#"@id("by_team")
@decision("execute")
permit (principal, action, resource)
when { resource.team == "payments" };
"#;
    let errors = validate(policy, &schema()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (4, 8));
    assert!(matches!(
        &errors[0].kind,
        PolicyErrorKind::Validation { policy, .. } if policy == "by_team"
    ));
    assert_eq!(
        errors[0].to_string(),
        "4:8: policy `by_team` does not match the schema: attribute `team` on entity type \
         `Riposte::Identity` not found; did you mean `tags`?"
    );
}

#[test]
fn misspelt_attribute_gets_a_suggestion() {
    let policy = r#"@id("tiers") @decision("execute")
permit (principal, action, resource) when { resource.tier_rnak > 2 };
"#;
    let errors = messages(policy);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .starts_with("2:45: policy `tiers` does not match the schema: attribute `tier_rnak`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("did you mean `tier_rank`?"),
        "{}",
        errors[0]
    );
}

#[test]
fn syntax_error_is_reported_with_position() {
    let policy = r#"@id("broken")
@decision("execute")
permit (principal, action, resource)
when { resource.kind == "human" &&  };
"#;
    let errors = validate(policy, &schema()).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(errors[0].kind, PolicyErrorKind::Syntax { .. }));
    assert_eq!((errors[0].line, errors[0].column), (4, 37));
    assert!(
        errors[0]
            .to_string()
            .starts_with("4:37: invalid Cedar syntax: unexpected token `}`"),
        "{}",
        errors[0]
    );
}

#[test]
fn unknown_action_is_reported() {
    let errors = messages(
        r#"@id("typo") @decision("execute")
permit (principal, action == Riposte::Action::"okta_clear_session", resource);
"#,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0],
        "2:30: policy `typo` does not match the schema: unrecognized action \
         `Riposte::Action::\"okta_clear_session\"`; did you mean \
         `Riposte::Action::\"okta_clear_sessions\"`?"
    );
}

#[test]
fn wrong_type_is_reported() {
    let errors = messages(
        r#"@id("confidence") @decision("execute")
permit (principal, action, resource) when { context.confidence >= "80" };
"#,
    );
    assert_eq!(
        errors,
        [
            "2:67: policy `confidence` does not match the schema: unexpected type: expected Long but \
          saw String"
        ]
    );
}

#[test]
fn missing_annotations_are_reported() {
    let errors = messages(
        r#"permit (principal, action, resource);

@id("no_level")
permit (principal, action, resource);

@id("bad_level")
@decision("auto")
permit (principal, action, resource);
"#,
    );
    assert_eq!(
        errors,
        [
            "1:1: policy without an `@id` annotation: add `@id(\"NAME\")` so the audit record can name it",
            "1:1: policy `(no @id, line 1)` has no `@decision` annotation: add `@decision(\"execute\")` or `@decision(\"approve\")`",
            "3:1: policy `no_level` has no `@decision` annotation: add `@decision(\"execute\")` or `@decision(\"approve\")`",
            "7:1: invalid `@decision(\"auto\")` on policy `bad_level`: expected `execute` or `approve`",
        ]
    );
}

#[test]
fn duplicate_id_is_reported() {
    let errors = messages(
        r#"@id("same") @decision("execute")
permit (principal, action == Riposte::Action::"notify", resource);
@id("same") @decision("approve")
permit (principal, action, resource);
"#,
    );
    assert_eq!(
        errors,
        ["3:1: duplicate policy id `same`: the policy on line 1 has it already"]
    );
}

#[test]
fn template_is_reported() {
    let errors = messages(
        r#"@id("template") @decision("approve")
permit (principal == ?principal, action, resource);
"#,
    );
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("1:1: policy `(no @id, line 1)` is a template"),
        "{}",
        errors[0]
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let errors = messages(
        r#"@id("first") @decision("execute")
permit (principal, action, resource) when { resource.team == "a" };

@id("second") @decision("sometimes")
permit (principal, action, resource) when { context.region == "b" };
"#,
    );
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].starts_with("2:45: policy `first`"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("4:15: invalid `@decision(\"sometimes\")`"),
        "{}",
        errors[1]
    );
    assert_eq!(
        errors[2],
        "5:45: policy `second` does not match the schema: attribute `region` in context not \
         found; did you mean `detections`?"
    );
}

#[test]
fn file_errors_name_the_file() {
    let directory = std::env::temp_dir().join(format!("riposte-policy-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("broken.cedar");
    std::fs::write(&path, "@id(\"x\") @decision(\"execute\")\npermit (principal, action, resource) when { resource.team };\n").unwrap();
    let errors = validate_file(&path, &schema()).unwrap_err();
    let message = errors[0].to_string();
    assert!(
        message.starts_with(&format!("{}:2:45: policy `x`", path.display())),
        "{message}"
    );

    let missing = validate_file(&directory.join("missing.cedar"), &schema()).unwrap_err();
    assert!(
        missing[0].to_string().contains("failed to read the policy"),
        "{}",
        missing[0]
    );
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn shipped_files_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema = PolicySchema::parse(
        &std::fs::read_to_string(root.join("policies/schema.cedarschema")).unwrap(),
        None,
    )
    .unwrap();
    PolicyEngine::from_file(&root.join("policies/default.cedar"), schema).unwrap();
}

#[test]
fn schema_without_identity_is_rejected() {
    let errors = PolicySchema::parse("namespace Riposte { entity Responder; }", None).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "the schema does not declare entity type `Riposte::Identity`: riposte's requests need it"
    );
    let errors = PolicySchema::parse("namespace Riposte { entity }", None).unwrap_err();
    assert!(
        errors[0]
            .to_string()
            .starts_with("1:28: invalid Cedar schema"),
        "{}",
        errors[0]
    );
}

/// Returns one action of every variant. The match makes the compiler flag a new variant here.
fn every_action() -> Vec<Action> {
    let all = vec![
        Action::RevokeRoleSessions {
            role_name: "r".into(),
        },
        Action::DeactivateAccessKey {
            user_name: "u".into(),
            access_key_id: "k".into(),
        },
        Action::DeleteLoginProfile {
            user_name: "u".into(),
        },
        Action::NarrowPolicy {
            principal: AwsPrincipal::Role("r".into()),
            deny_actions: vec!["*".into()],
            duration_secs: 60,
        },
        Action::RotateSecret {
            secret_id: "s".into(),
        },
        Action::OktaClearSessions {
            user_id: "u".into(),
        },
        Action::OktaSuspendUser {
            user_id: "u".into(),
        },
        Action::OktaRevokeGrants {
            user_id: "u".into(),
            client_id: "c".into(),
        },
        Action::OktaResetFactors {
            user_id: "u".into(),
        },
        Action::GraphRevokeSignInSessions {
            user_id: "u".into(),
        },
        Action::GraphDisableUser {
            user_id: "u".into(),
        },
        Action::GraphRemovePassword {
            object: GraphObject::ServicePrincipal("s".into()),
            key_id: "k".into(),
        },
        Action::GraphDisableServicePrincipal {
            service_principal_id: "s".into(),
        },
        Action::FalconContainHost {
            device_id: "d".into(),
        },
        Action::FalconLiftContainment {
            device_id: "d".into(),
        },
        Action::Notify {
            summary: "s".into(),
        },
    ];
    for action in &all {
        match action {
            Action::RevokeRoleSessions { .. }
            | Action::DeactivateAccessKey { .. }
            | Action::DeleteLoginProfile { .. }
            | Action::NarrowPolicy { .. }
            | Action::RotateSecret { .. }
            | Action::OktaClearSessions { .. }
            | Action::OktaSuspendUser { .. }
            | Action::OktaRevokeGrants { .. }
            | Action::OktaResetFactors { .. }
            | Action::GraphRevokeSignInSessions { .. }
            | Action::GraphDisableUser { .. }
            | Action::GraphRemovePassword { .. }
            | Action::GraphDisableServicePrincipal { .. }
            | Action::FalconContainHost { .. }
            | Action::FalconLiftContainment { .. }
            | Action::Notify { .. } => {}
        }
    }
    all
}

#[test]
fn schema_declares_every_connector_action() {
    let schema = schema();
    for action in every_action() {
        assert!(schema.declares_action(action.kind()), "{}", action.kind());
    }
}

#[test]
fn schema_declares_every_planner_action() {
    let schema = schema();
    for kind in [
        "block_source_address",
        "clear_user_sessions",
        "deactivate_access_key",
        "delete_login_profile",
        "disable_service_principal",
        "notify",
        "remove_added_credential",
        "reset_factors",
        "restrict_trust_policy",
        "revoke_app_tokens",
        "revoke_granted_privilege",
        "revoke_one_role_session",
        "revoke_role_sessions",
        "revoke_sign_in_sessions",
    ] {
        assert!(schema.declares_action(kind), "{kind}");
    }
    let groups: Vec<&str> = schema.action_groups().collect();
    assert_eq!(
        groups,
        [
            "containment",
            "disable_identity",
            "isolate",
            "release",
            "restrict_permissions",
            "revoke_credentials",
            "revoke_sessions",
        ]
    );
    assert_eq!(schema.action_kinds().count(), 16 + 10);
}

#[test]
fn documented_policy_validates() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/response.md"),
    )
    .unwrap();
    let blocks: Vec<&str> = doc
        .split("```cedar\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 1);
    validate(&format!("{DEFAULT_POLICY}\n{}", blocks[0]), &schema()).unwrap();
}

#[test]
fn deep_nesting_is_rejected_before_parsing() {
    let header =
        "@id(\"deep\")\n@decision(\"execute\")\npermit (principal, action, resource) when { ";
    let cases = [
        format!("{}true{}", "(".repeat(300), ")".repeat(300)),
        format!("{}[] == []", "[".repeat(40) + &"]".repeat(40)),
        format!("{}true", "!".repeat(400)),
        format!(
            "{}true{}",
            "if true then ".repeat(40),
            " else false".repeat(40)
        ),
        format!("context{} == 1", ".a".repeat(100)),
    ];
    for body in cases {
        let found = messages(&format!("{header}{body} }};\n"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("over the limit of 32: write it flatter"),
            "{found:?}"
        );
    }
    // Brackets, `!` and dots inside strings and comments do not count.
    let quoted = format!(
        "{header}resource.environment != \"{}\" // {}\n}};\n",
        "(((!!!...".repeat(20),
        "[[[".repeat(20)
    );
    assert!(validate(&quoted, &schema()).is_ok(), "{quoted}");
    let shallow = format!("{header}{}true{} }};\n", "(".repeat(20), ")".repeat(20));
    assert!(validate(&shallow, &schema()).is_ok(), "{shallow}");
}

use riposte_detect::testing::{EventBuilder, at};
use riposte_model::{
    Confidence, CredentialKind, Evidence, Finding, IdentityKind, Provider, Severity, SourceFormat,
};

use super::*;

fn finding(detection: &'static str, severity: Severity, event: riposte_model::Event) -> Finding {
    Finding {
        detection,
        severity,
        confidence: Confidence::new(0.8),
        identity: event.actor.clone(),
        first_seen: event.time,
        last_seen: event.time,
        evidence: vec![Evidence::of(&event)],
        explanation: String::new(),
        attack: Vec::new(),
        facts: serde_json::Map::new(),
        related: Vec::new(),
    }
}

fn okta_alice(time: &str) -> riposte_model::Event {
    EventBuilder::new("00u1alice", time)
        .email("alice@example.com")
        .build()
}

fn aws_alice(time: &str) -> riposte_model::Event {
    EventBuilder::new("unused", time)
        .role_session("111111111111", "Admin", "alice@example.com")
        .credential(CredentialKind::TemporaryKey, Some("ASIAEXAMPLE1"))
        .build()
}

#[test]
fn same_person_across_providers_forms_one_incident() {
    let findings = vec![
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-01T09:00:00Z"),
        ),
        finding(
            "credential_for_other_identity",
            Severity::High,
            aws_alice("2024-05-01T09:20:00Z"),
        ),
    ];
    let incidents = correlate(findings, &IncidentSettings::default());
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(incident.findings.len(), 2);
    assert_eq!(incident.identity.key.provider, Provider::Okta);
    assert_eq!(incident.linked_identities.len(), 1);
    assert_eq!(
        incident.linked_identities[0].kind,
        IdentityKind::AssumedRoleSession
    );
}

#[test]
fn chain_raises_severity() {
    let findings = vec![
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-01T09:00:00Z"),
        ),
        finding(
            "privilege_grant",
            Severity::High,
            aws_alice("2024-05-01T09:20:00Z"),
        ),
    ];
    let incidents = correlate(findings, &IncidentSettings::default());
    assert_eq!(incidents[0].severity, Severity::Critical);
    assert_eq!(
        incidents[0].escalations,
        [
            "severity raised from high to critical: the findings form a chain, session_replay \
          (initial access) at 2024-05-01 09:00:00Z, then privilege_grant (privilege escalation) \
          at 2024-05-01 09:20:00Z"
        ]
    );
}

#[test]
fn escalation_before_access_is_not_a_chain() {
    let findings = vec![
        finding(
            "privilege_grant",
            Severity::High,
            aws_alice("2024-05-01T08:00:00Z"),
        ),
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-01T09:00:00Z"),
        ),
    ];
    let incidents = correlate(findings, &IncidentSettings::default());
    assert_eq!(incidents[0].severity, Severity::High);
    assert!(incidents[0].escalations.is_empty());
}

#[test]
fn findings_outside_the_window_split() {
    let findings = vec![
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-01T09:00:00Z"),
        ),
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-03T09:00:00Z"),
        ),
    ];
    let incidents = correlate(findings, &IncidentSettings::default());
    assert_eq!(incidents.len(), 2);
    assert_ne!(incidents[0].id, incidents[1].id);
}

#[test]
fn different_people_stay_apart() {
    let bob = EventBuilder::new("00u2bob", "2024-05-01T09:10:00Z")
        .email("bob@example.com")
        .build();
    let findings = vec![
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-01T09:00:00Z"),
        ),
        finding("session_replay", Severity::High, bob),
    ];
    assert_eq!(correlate(findings, &IncidentSettings::default()).len(), 2);
}

#[test]
fn result_does_not_depend_on_finding_order() {
    let findings = vec![
        finding(
            "session_replay",
            Severity::High,
            okta_alice("2024-05-01T09:00:00Z"),
        ),
        finding(
            "privilege_grant",
            Severity::High,
            aws_alice("2024-05-01T09:20:00Z"),
        ),
        finding(
            "impossible_travel",
            Severity::Medium,
            okta_alice("2024-05-01T08:00:00Z"),
        ),
    ];
    let mut reversed = findings.clone();
    reversed.reverse();
    let settings = IncidentSettings::default();
    assert_eq!(
        correlate(findings, &settings),
        correlate(reversed, &settings)
    );
}

#[test]
fn incident_id_is_stable() {
    let first = incident_id("person:alice@example.com", at("2024-05-01T09:00:00Z"));
    let second = incident_id("person:alice@example.com", at("2024-05-01T09:00:00Z"));
    assert_eq!(first, second);
    assert!(first.starts_with("INC-"));
    assert_eq!(first.len(), 16);
}

#[test]
fn role_session_plan_revokes_older_sessions() {
    let findings = vec![finding(
        "session_replay",
        Severity::High,
        aws_alice("2024-05-01T09:20:00Z"),
    )];
    let incidents = correlate(findings, &IncidentSettings::default());
    let actions = &incidents[0].plan.actions;
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].action, "revoke_role_sessions");
    assert_eq!(actions[0].target, "arn:aws:iam::111111111111:role/Admin");
    assert!(
        actions[0].api_calls[0]
            .starts_with("iam:PutRolePolicy RoleName=Admin PolicyName=AWSRevokeOlderSessions")
    );
    assert!(actions[0].api_calls[0].contains("aws:TokenIssueTime"));
}

#[test]
fn okta_user_plan_clears_sessions_and_tokens() {
    let findings = vec![finding(
        "session_replay",
        Severity::High,
        okta_alice("2024-05-01T09:00:00Z"),
    )];
    let incidents = correlate(findings, &IncidentSettings::default());
    let actions = &incidents[0].plan.actions;
    assert_eq!(actions[0].action, "clear_user_sessions");
    assert_eq!(
        actions[0].api_calls,
        ["DELETE /api/v1/users/00u1alice/sessions?oauthTokens=true"]
    );
}

#[test]
fn access_key_plan_names_the_key_used() {
    let event = EventBuilder::new("unused", "2024-05-01T09:00:00Z")
        .format(SourceFormat::CloudTrail)
        .kind(IdentityKind::IamUserAccessKey)
        .with(|event| {
            event.actor.key.id = "arn:aws:iam::111111111111:user/ci-deploy".into();
        })
        .credential(CredentialKind::LongLivedKey, Some("AKIAEXAMPLEKEY000001"))
        .build();
    let incidents = correlate(
        vec![finding("session_replay", Severity::High, event)],
        &IncidentSettings::default(),
    );
    let actions = &incidents[0].plan.actions;
    assert_eq!(actions[0].action, "deactivate_access_key");
    assert_eq!(
        actions[0].api_calls,
        ["iam:UpdateAccessKey UserName=ci-deploy AccessKeyId=AKIAEXAMPLEKEY000001 Status=Inactive"]
    );
}

#[test]
fn privilege_grant_plan_detaches_the_policy() {
    let mut grant = finding(
        "privilege_grant",
        Severity::Critical,
        aws_alice("2024-05-01T09:20:00Z"),
    );
    grant.facts = serde_json::json!({
        "operation": "AttachUserPolicy",
        "privileges": [{"kind": "managed_policy", "name": "arn:aws:iam::aws:policy/AdministratorAccess"}],
        "grantee": {"kind": "user", "id": "arn:aws:iam::111111111111:user/ci-deploy", "name": "ci-deploy"},
    })
    .as_object()
    .cloned()
    .unwrap();
    let incidents = correlate(vec![grant], &IncidentSettings::default());
    let revoke = incidents[0]
        .plan
        .actions
        .iter()
        .find(|action| action.action == "revoke_granted_privilege")
        .expect("a revoke action");
    assert_eq!(
        revoke.api_calls,
        [
            "iam:DetachUserPolicy UserName=ci-deploy PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess"
        ]
    );
}

#[test]
fn key_created_for_another_user_is_deactivated() {
    let mut created = finding(
        "credential_for_other_identity",
        Severity::High,
        aws_alice("2024-05-01T09:20:00Z"),
    );
    created.facts = serde_json::json!({"operation": "CreateAccessKey", "access_key_id": "AKIAEXAMPLENEWKEY001"})
        .as_object()
        .cloned()
        .unwrap();
    created.related = vec![riposte_model::IdentityRef::new(
        Provider::Aws,
        "arn:aws:iam::111111111111:user/ci-deploy",
        IdentityKind::IamUserAccessKey,
    )];
    let incidents = correlate(vec![created], &IncidentSettings::default());
    let actions: Vec<&str> = incidents[0]
        .plan
        .actions
        .iter()
        .map(|action| action.action)
        .collect();
    assert_eq!(actions, ["revoke_role_sessions", "deactivate_access_key"]);
    assert_eq!(
        incidents[0].plan.actions[1].api_calls,
        ["iam:UpdateAccessKey UserName=ci-deploy AccessKeyId=AKIAEXAMPLENEWKEY001 Status=Inactive"]
    );
}

fn radius(scoped: bool, disablement_allowed: bool) -> riposte_model::BlastRadiusSummary {
    riposte_model::BlastRadiusSummary {
        tier: "high".to_owned(),
        reasons: vec!["used by 12 declared pipelines".to_owned()],
        shared: true,
        break_glass: false,
        scoped_revocation: scoped,
        disablement_allowed,
        policy_narrowing_secs: Some(3600),
        constraint_reasons: Vec::new(),
    }
}

#[test]
fn shared_role_gets_one_session_revoked_for_a_limited_time() {
    let findings = vec![finding(
        "session_replay",
        Severity::High,
        aws_alice("2024-05-01T09:20:00Z"),
    )];
    let mut incidents = correlate(findings, &IncidentSettings::default());
    let incident = &mut incidents[0];
    incident.blast_radius = Some(radius(true, false));
    let plan = plan_for(incident);
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(plan.actions[0].action, "revoke_one_role_session");
    assert!(
        plan.actions[0].api_calls[0].contains(r#""aws:userid":"*:alice@example.com""#),
        "{}",
        plan.actions[0].api_calls[0]
    );
    assert_eq!(
        plan.actions[0].api_calls[1],
        "after 3600 s: iam:DeleteRolePolicy RoleName=Admin PolicyName=RiposteDenySession"
    );
}

#[test]
fn shared_service_principal_is_not_disabled() {
    let event = EventBuilder::new("unused", "2024-05-01T09:00:00Z")
        .format(SourceFormat::EntraSignIn)
        .kind(IdentityKind::EntraServicePrincipal)
        .with(|event| event.actor.key.id = "0c1f5e0a-0000-4000-8000-000000000001".into())
        .build();
    let mut incidents = correlate(
        vec![finding("session_replay", Severity::High, event)],
        &IncidentSettings::default(),
    );
    let incident = &mut incidents[0];
    assert_eq!(incident.plan.actions[0].action, "disable_service_principal");
    incident.blast_radius = Some(radius(true, false));
    let plan = plan_for(incident);
    assert_eq!(plan.actions[0].action, "remove_added_credential");
    assert!(
        plan.actions[0]
            .api_calls
            .iter()
            .all(|call| !call.contains("accountEnabled"))
    );
}

#[test]
fn tied_findings_keep_one_order() {
    // Two findings of one detection about one identity over the same times, reported in
    // either order.
    let mut by_address = finding(
        "password_spray",
        Severity::Medium,
        okta_alice("2024-05-01T09:00:00Z"),
    );
    by_address.explanation = "failures from 203.0.113.7".to_owned();
    let mut by_network = by_address.clone();
    by_network.explanation = "failures from AS64500".to_owned();

    let forward = correlate(
        vec![by_address.clone(), by_network.clone()],
        &IncidentSettings::default(),
    );
    let backward = correlate(vec![by_network, by_address], &IncidentSettings::default());

    let explanations = |incidents: &[Incident]| -> Vec<String> {
        incidents
            .iter()
            .flat_map(|incident| &incident.findings)
            .map(|finding| finding.explanation.clone())
            .collect()
    };
    assert_eq!(explanations(&forward), explanations(&backward));
    assert_eq!(
        explanations(&forward),
        ["failures from 203.0.113.7", "failures from AS64500"]
    );
}

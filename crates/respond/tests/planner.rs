//! The planner: shipped playbooks and the default policy decide each incident's steps, with
//! the inventory's environment and tags reaching custom policies.

#![expect(clippy::unwrap_used, reason = "test setup fails loudly")]

use std::path::Path;

use chrono::{TimeZone, Utc};
use riposte_action::Action;
use riposte_identity::Inventory;
use riposte_model::{
    BlastRadiusSummary, Confidence, Evidence, Finding, IdentityKind, IdentityRef, Incident, Plan,
    PlanStatus, Provider, Severity, SourceFormat, Timestamp,
};
use riposte_policy::{PolicyEngine, PolicySchema};
use riposte_respond::{Decision, IncidentResponse, Planner};

fn at(minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0).unwrap()
}

fn default_planner() -> Planner {
    Planner::new(
        PolicyEngine::default_policy().unwrap(),
        riposte_playbook::default_playbooks().unwrap(),
    )
}

fn okta_user() -> IdentityRef {
    let mut identity = IdentityRef::new(Provider::Okta, "00u1exampleuser", IdentityKind::Human);
    identity.name = Some("alice@example.com".into());
    identity
}

fn iam_key_user() -> IdentityRef {
    let mut identity = IdentityRef::new(
        Provider::Aws,
        "arn:aws:iam::111111111111:user/ci-deploy",
        IdentityKind::IamUserAccessKey,
    );
    identity.name = Some("ci-deploy".into());
    identity
}

fn finding(detection: &'static str, identity: &IdentityRef, confidence: f64) -> Finding {
    Finding {
        detection,
        severity: Severity::High,
        confidence: Confidence::new(confidence),
        identity: identity.clone(),
        first_seen: at(1),
        last_seen: at(2),
        evidence: vec![Evidence {
            event_id: "event-1".into(),
            time: at(1),
            format: SourceFormat::CloudTrail,
            operation: "ListBuckets".into(),
            credential: Some("AKIAIOSFODNN7EXAMPLE".into()),
            location: None,
        }],
        explanation: format!("{detection} fired."),
        attack: vec!["T1078"],
        facts: serde_json::Map::new(),
        related: Vec::new(),
    }
}

fn incident(identity: IdentityRef, findings: Vec<Finding>, tier: &str) -> Incident {
    Incident {
        id: "INC-000000000001".to_owned(),
        identity,
        linked_identities: Vec::new(),
        severity: Severity::High,
        first_seen: at(1),
        last_seen: at(2),
        escalations: Vec::new(),
        findings,
        blast_radius: Some(BlastRadiusSummary {
            tier: tier.to_owned(),
            reasons: Vec::new(),
            shared: false,
            break_glass: false,
            scoped_revocation: false,
            disablement_allowed: true,
            policy_narrowing_secs: Some(1800),
            constraint_reasons: Vec::new(),
        }),
        plan: Plan {
            status: PlanStatus::Planned,
            actions: Vec::new(),
        },
        response: Vec::new(),
    }
}

/// Returns each step as (action kind, decision, position).
fn steps(response: &IncidentResponse) -> Vec<(&'static str, Decision, &str)> {
    response
        .steps
        .iter()
        .map(|planned| {
            (
                planned.step.request.action.kind(),
                planned.step.decision,
                planned.position.as_str(),
            )
        })
        .collect()
}

#[test]
fn stolen_okta_session_is_cleared_automatically() {
    let user = okta_user();
    let incident = incident(
        user.clone(),
        vec![finding("session_replay", &user, 0.95)],
        "low",
    );
    let response = default_planner().plan(&incident, None);
    assert_eq!(
        steps(&response),
        [
            ("okta_clear_sessions", Decision::Execute, "1"),
            ("notify", Decision::Execute, "2"),
        ]
    );
    let clear = &response.steps[0];
    assert_eq!(clear.step.policies, ["revoke_human_sessions_on_theft"]);
    assert_eq!(clear.playbook, "okta-user-compromise");
    assert_eq!(
        clear.step.request.action,
        Action::OktaClearSessions {
            user_id: "00u1exampleuser".to_owned()
        }
    );
    assert!(response.unplanned.is_empty(), "{:?}", response.unplanned);

    let reported = response.report_steps();
    assert_eq!(reported[0].decision, "execute");
    assert_eq!(reported[0].system, "okta");
    assert_eq!(
        reported[0].idempotency_key,
        clear.step.request.idempotency_key()
    );
}

#[test]
fn low_confidence_sign_in_waits_for_approval() {
    let user = okta_user();
    let incident = incident(
        user.clone(),
        vec![finding("unfamiliar_signin", &user, 0.6)],
        "low",
    );
    let response = default_planner().plan(&incident, None);
    assert_eq!(
        steps(&response)[0],
        ("okta_clear_sessions", Decision::Approve, "1")
    );
    assert_eq!(response.steps[0].step.policies, ["approve_everything_else"]);
}

#[test]
fn break_glass_waits_for_approval() {
    let user = okta_user();
    let mut incident = incident(
        user.clone(),
        vec![finding("session_replay", &user, 0.95)],
        "critical",
    );
    if let Some(radius) = incident.blast_radius.as_mut() {
        radius.break_glass = true;
    }
    let response = default_planner().plan(&incident, None);
    let clear = &response.steps[0];
    assert_eq!(clear.step.decision, Decision::Approve);
    assert!(
        clear
            .step
            .policies
            .contains(&"approve_break_glass_containment".to_owned()),
        "{:?}",
        clear.step.policies
    );
}

#[test]
fn access_key_decision_follows_tier() {
    let user = iam_key_user();
    let low = incident(
        user.clone(),
        vec![finding("new_network_for_workload", &user, 0.8)],
        "low",
    );
    let response = default_planner().plan(&low, None);
    assert_eq!(
        steps(&response)[0],
        ("deactivate_access_key", Decision::Execute, "1")
    );
    assert_eq!(
        response.steps[0].step.request.action,
        Action::DeactivateAccessKey {
            user_name: "ci-deploy".to_owned(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        }
    );

    // A high-tier key may not be deactivated automatically, and neither may its fallback:
    // the step as written goes to a person, and the fallback is shown as considered.
    let high = incident(
        user.clone(),
        vec![finding("new_network_for_workload", &user, 0.8)],
        "high",
    );
    let response = default_planner().plan(&high, None);
    assert_eq!(
        steps(&response)[0],
        ("deactivate_access_key", Decision::Approve, "1")
    );
    assert_eq!(response.steps[0].passed_over.len(), 1);
    assert!(
        response.steps[0].passed_over[0].starts_with("1.1 narrow_policy: approve"),
        "{:?}",
        response.steps[0].passed_over
    );
}

#[test]
fn fallback_runs_when_step_may_not() {
    let policy = "@id(\"narrow_on_its_own\")\n@decision(\"execute\")\n\
                  permit (principal, action == Riposte::Action::\"narrow_policy\", resource);\n\
                  @id(\"approve_rest\")\n@decision(\"approve\")\n\
                  permit (principal, action, resource);\n";
    let planner = Planner::new(
        PolicyEngine::new(policy, None, PolicySchema::builtin().unwrap()).unwrap(),
        riposte_playbook::default_playbooks().unwrap(),
    );
    let user = iam_key_user();
    let incident = incident(
        user.clone(),
        vec![finding("new_network_for_workload", &user, 0.8)],
        "high",
    );
    let response = planner.plan(&incident, None);
    let narrow = &response.steps[0];
    assert_eq!(narrow.step.request.action.kind(), "narrow_policy");
    assert_eq!(narrow.position, "1.1");
    assert_eq!(narrow.step.decision, Decision::Execute);
    assert_eq!(narrow.step.revert_after_secs, Some(1800));
    assert_eq!(narrow.passed_over.len(), 1);
    assert!(
        narrow.passed_over[0].starts_with("1 deactivate_access_key: approve"),
        "{:?}",
        narrow.passed_over
    );
}

#[test]
fn inventory_environment_and_tags_reach_the_policy() {
    let policy = "@id(\"dev_ci_keys\")\n@decision(\"execute\")\n\
                  permit (principal, action == Riposte::Action::\"deactivate_access_key\", resource)\n\
                  when { resource.environment == \"dev\" && resource.tags.contains(\"ci\") };\n\
                  @id(\"approve_rest\")\n@decision(\"approve\")\n\
                  permit (principal, action, resource);\n";
    let planner = Planner::new(
        PolicyEngine::new(policy, None, PolicySchema::builtin().unwrap()).unwrap(),
        riposte_playbook::default_playbooks().unwrap(),
    );
    let user = iam_key_user();
    let incident = incident(
        user.clone(),
        vec![finding("new_network_for_workload", &user, 0.8)],
        "high",
    );
    let declare = |environment: &str| {
        Inventory::parse(
            &format!(
                "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:user/ci-deploy\n    \
                 kind: access_key\n    environment: {environment}\n    tags: [ci]\n"
            ),
            Path::new("inventory.yaml"),
        )
        .unwrap()
    };

    let without = planner.plan(&incident, None);
    assert_eq!(without.steps[0].step.decision, Decision::Approve);
    let dev = planner.plan(&incident, Some(&declare("dev")));
    assert_eq!(dev.steps[0].step.decision, Decision::Execute);
    assert_eq!(dev.steps[0].step.policies, ["dev_ci_keys"]);
    let prod = planner.plan(&incident, Some(&declare("prod")));
    assert_eq!(prod.steps[0].step.decision, Decision::Approve);
}

#[test]
fn action_planned_once_across_playbooks() {
    let user = okta_user();
    // Two detections that two playbooks act on with the same notification target.
    let incident = incident(
        user.clone(),
        vec![
            finding("session_replay", &user, 0.95),
            finding("mfa_fatigue", &user, 0.9),
        ],
        "low",
    );
    let response = default_planner().plan(&incident, None);
    let keys: Vec<String> = response
        .steps
        .iter()
        .map(|planned| planned.step.request.idempotency_key())
        .collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(keys.len(), unique.len(), "{:?}", steps(&response));
    let notifications = response
        .steps
        .iter()
        .filter(|planned| planned.step.request.action.kind() == "notify")
        .count();
    assert_eq!(notifications, 1);
}

#[test]
fn unfillable_step_falls_back() {
    let user = iam_key_user();
    let mut no_key = finding("new_network_for_workload", &user, 0.8);
    no_key.evidence[0].credential = None;
    let incident = incident(user.clone(), vec![no_key], "low");
    let response = default_planner().plan(&incident, None);
    // The key is not in the evidence, so the fallback narrowing is what is left.
    assert_eq!(
        response.steps[0].step.request.action.kind(),
        "narrow_policy"
    );
    assert!(
        response.steps[0].passed_over[0].contains("deactivate_access_key"),
        "{:?}",
        response.steps[0].passed_over
    );
}

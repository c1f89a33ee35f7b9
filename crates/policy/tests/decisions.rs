//! Decisions of the default policy and of the two-question model.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

use std::collections::BTreeSet;

use riposte_model::{IdentityKind, Provider, Severity};
use riposte_policy::{
    DecideError, Decision, Effect, IdentityAttributes, IncidentContext, Level, PolicyEngine,
    PolicySchema, Tier,
};

fn identity(
    kind: IdentityKind,
    provider: Provider,
    tier: Tier,
    break_glass: bool,
) -> IdentityAttributes {
    IdentityAttributes {
        id: format!("{provider}:identity-1"),
        kind,
        provider,
        tier,
        environment: String::new(),
        break_glass,
        shared: false,
        tags: BTreeSet::new(),
    }
}

fn context(detections: &[&str], confidence: u8) -> IncidentContext {
    IncidentContext {
        detections: detections.iter().map(|id| (*id).to_owned()).collect(),
        confidence,
        severity: Severity::High,
    }
}

fn default_engine() -> PolicyEngine {
    PolicyEngine::default_policy().unwrap()
}

struct Case {
    action: &'static str,
    kind: IdentityKind,
    provider: Provider,
    tier: Tier,
    break_glass: bool,
    detections: &'static [&'static str],
    confidence: u8,
    expected: Decision,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the table"
)]
const fn case(
    action: &'static str,
    kind: IdentityKind,
    provider: Provider,
    tier: Tier,
    break_glass: bool,
    detections: &'static [&'static str],
    confidence: u8,
    expected: Decision,
) -> Case {
    Case {
        action,
        kind,
        provider,
        tier,
        break_glass,
        detections,
        confidence,
        expected,
    }
}

use Decision::{Execute, RecommendOnly, RequireApproval};
use IdentityKind::{
    AssumedRoleSession, EntraServicePrincipal, Human, IamUserAccessKey, InstanceRoleSession,
    OktaServiceApp,
};
use Provider::{Aws, Entra, Okta};

const REPLAY: &[&str] = &["session_replay"];
const TRAVEL: &[&str] = &["impossible_travel"];
const FATIGUE: &[&str] = &["mfa_fatigue"];
const MISUSE: &[&str] = &["workload_credential_misuse"];

/// The default policy, row by row: identity kind × tier × confidence × break-glass.
const CASES: &[Case] = &[
    // A person's sessions are revoked automatically on a likely stolen session, from 80 %.
    case(
        "okta_clear_sessions",
        Human,
        Okta,
        Tier::Low,
        false,
        REPLAY,
        95,
        Execute,
    ),
    case(
        "okta_clear_sessions",
        Human,
        Okta,
        Tier::Critical,
        false,
        REPLAY,
        80,
        Execute,
    ),
    case(
        "okta_clear_sessions",
        Human,
        Okta,
        Tier::Low,
        false,
        REPLAY,
        79,
        RequireApproval,
    ),
    case(
        "okta_clear_sessions",
        Human,
        Okta,
        Tier::Unknown,
        false,
        TRAVEL,
        90,
        Execute,
    ),
    case(
        "graph_revoke_sign_in_sessions",
        Human,
        Entra,
        Tier::Medium,
        false,
        TRAVEL,
        85,
        Execute,
    ),
    case(
        "graph_revoke_sign_in_sessions",
        Human,
        Entra,
        Tier::Medium,
        false,
        TRAVEL,
        50,
        RequireApproval,
    ),
    case(
        "clear_user_sessions",
        Human,
        Okta,
        Tier::High,
        false,
        REPLAY,
        100,
        Execute,
    ),
    // Other detections, or stronger actions, wait for a person.
    case(
        "okta_clear_sessions",
        Human,
        Okta,
        Tier::Low,
        false,
        FATIGUE,
        95,
        RequireApproval,
    ),
    case(
        "okta_suspend_user",
        Human,
        Okta,
        Tier::Low,
        false,
        REPLAY,
        95,
        RequireApproval,
    ),
    case(
        "graph_disable_user",
        Human,
        Entra,
        Tier::Low,
        false,
        TRAVEL,
        95,
        RequireApproval,
    ),
    // Only people: a role session of a federated user is not of kind human.
    case(
        "revoke_role_sessions",
        AssumedRoleSession,
        Aws,
        Tier::Low,
        false,
        REPLAY,
        95,
        RequireApproval,
    ),
    // Break-glass accounts are never contained automatically, but may be with approval.
    case(
        "okta_clear_sessions",
        Human,
        Okta,
        Tier::Low,
        true,
        REPLAY,
        95,
        RequireApproval,
    ),
    case(
        "graph_revoke_sign_in_sessions",
        Human,
        Entra,
        Tier::High,
        true,
        TRAVEL,
        100,
        RequireApproval,
    ),
    case(
        "deactivate_access_key",
        IamUserAccessKey,
        Aws,
        Tier::Low,
        true,
        MISUSE,
        90,
        RequireApproval,
    ),
    // Long-lived keys of low and medium tier are deactivated automatically.
    case(
        "deactivate_access_key",
        IamUserAccessKey,
        Aws,
        Tier::Low,
        false,
        MISUSE,
        40,
        Execute,
    ),
    case(
        "deactivate_access_key",
        IamUserAccessKey,
        Aws,
        Tier::Medium,
        false,
        MISUSE,
        90,
        Execute,
    ),
    case(
        "deactivate_access_key",
        IamUserAccessKey,
        Aws,
        Tier::High,
        false,
        MISUSE,
        90,
        RequireApproval,
    ),
    case(
        "deactivate_access_key",
        IamUserAccessKey,
        Aws,
        Tier::Critical,
        false,
        MISUSE,
        90,
        RequireApproval,
    ),
    case(
        "deactivate_access_key",
        IamUserAccessKey,
        Aws,
        Tier::Unknown,
        false,
        MISUSE,
        90,
        RequireApproval,
    ),
    // A key of another kind of identity, such as one created for a user by an attacker's
    // role session, waits for approval.
    case(
        "deactivate_access_key",
        AssumedRoleSession,
        Aws,
        Tier::Low,
        false,
        MISUSE,
        90,
        RequireApproval,
    ),
    // Disabling a non-human identity waits for approval at every tier.
    case(
        "graph_disable_service_principal",
        EntraServicePrincipal,
        Entra,
        Tier::Low,
        false,
        MISUSE,
        95,
        RequireApproval,
    ),
    case(
        "graph_disable_service_principal",
        EntraServicePrincipal,
        Entra,
        Tier::High,
        false,
        MISUSE,
        95,
        RequireApproval,
    ),
    case(
        "disable_service_principal",
        EntraServicePrincipal,
        Entra,
        Tier::Critical,
        false,
        MISUSE,
        95,
        RequireApproval,
    ),
    case(
        "graph_remove_password",
        EntraServicePrincipal,
        Entra,
        Tier::Critical,
        false,
        MISUSE,
        95,
        RequireApproval,
    ),
    case(
        "revoke_role_sessions",
        InstanceRoleSession,
        Aws,
        Tier::Medium,
        false,
        MISUSE,
        95,
        RequireApproval,
    ),
    case(
        "revoke_app_tokens",
        OktaServiceApp,
        Okta,
        Tier::Low,
        false,
        MISUSE,
        95,
        RequireApproval,
    ),
    // Notifications always go out, break-glass or not.
    case(
        "notify",
        Human,
        Okta,
        Tier::Critical,
        true,
        REPLAY,
        10,
        Execute,
    ),
    case(
        "notify",
        EntraServicePrincipal,
        Entra,
        Tier::Unknown,
        false,
        &[],
        0,
        Execute,
    ),
];

#[test]
fn default_policy_table() {
    let engine = default_engine();
    for (row, case) in CASES.iter().enumerate() {
        let decision = engine
            .decide(
                case.action,
                &identity(case.kind, case.provider, case.tier, case.break_glass),
                &context(case.detections, case.confidence),
            )
            .unwrap();
        assert_eq!(
            decision.decision, case.expected,
            "row {row}: {} on {} of tier {} (break-glass {}) at {} %: {:?}",
            case.action, case.kind, case.tier, case.break_glass, case.confidence, decision.policies
        );
        assert!(
            decision.errors.is_empty(),
            "row {row}: {:?}",
            decision.errors
        );
    }
}

/// Every identity kind, tier, confidence and break-glass flag, against the rules the default
/// policy documents.
#[test]
fn default_policy_matrix() {
    let engine = default_engine();
    let kinds = [
        IdentityKind::Human,
        IdentityKind::AwsRoot,
        IdentityKind::IamUserAccessKey,
        IdentityKind::AssumedRoleSession,
        IdentityKind::InstanceRoleSession,
        IdentityKind::FunctionRoleSession,
        IdentityKind::WebIdentitySession,
        IdentityKind::AwsService,
        IdentityKind::OktaServiceApp,
        IdentityKind::EntraServicePrincipal,
        IdentityKind::EntraManagedIdentity,
        IdentityKind::ProviderSystem,
        IdentityKind::NetworkSource,
        IdentityKind::Unknown,
    ];
    let tiers = [
        Tier::Unknown,
        Tier::Low,
        Tier::Medium,
        Tier::High,
        Tier::Critical,
    ];
    let actions = [
        "okta_clear_sessions",
        "deactivate_access_key",
        "graph_disable_service_principal",
        "narrow_policy",
        "notify",
    ];
    let mut checked = 0;
    for kind in kinds {
        for tier in tiers {
            for confidence in [0, 79, 80, 100] {
                for break_glass in [false, true] {
                    for action in actions {
                        let automatic = match action {
                            "notify" => true,
                            "okta_clear_sessions" => {
                                kind == IdentityKind::Human && confidence >= 80
                            }
                            "deactivate_access_key" => {
                                kind == IdentityKind::IamUserAccessKey
                                    && matches!(tier, Tier::Low | Tier::Medium)
                            }
                            _ => false,
                        };
                        let expected = if automatic && (!break_glass || action == "notify") {
                            Decision::Execute
                        } else {
                            Decision::RequireApproval
                        };
                        let decision = engine
                            .decide(
                                action,
                                &identity(kind, Provider::Okta, tier, break_glass),
                                &context(REPLAY, confidence),
                            )
                            .unwrap();
                        assert_eq!(
                            decision.decision, expected,
                            "{action} on {kind}, tier {tier}, {confidence} %, break-glass {break_glass}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 14 * 5 * 4 * 2 * 5);
}

#[test]
fn decision_names_the_permit_that_allowed() {
    let engine = default_engine();
    let decision = engine
        .decide(
            "okta_clear_sessions",
            &identity(Human, Okta, Tier::Low, false),
            &context(REPLAY, 90),
        )
        .unwrap();
    assert_eq!(decision.decision, Execute);
    let ids: Vec<&str> = decision
        .policies
        .iter()
        .map(|policy| policy.id.as_str())
        .collect();
    assert_eq!(ids, ["revoke_human_sessions_on_theft"]);
    assert_eq!(decision.policies[0].effect, Effect::Permit);
    assert_eq!(decision.policies[0].question, Level::Execute);
}

#[test]
fn decision_names_the_forbid_then_the_approval() {
    let engine = default_engine();
    let decision = engine
        .decide(
            "okta_clear_sessions",
            &identity(Human, Okta, Tier::Low, true),
            &context(REPLAY, 90),
        )
        .unwrap();
    assert_eq!(decision.decision, RequireApproval);
    let named: Vec<(&str, Effect, Level)> = decision
        .policies
        .iter()
        .map(|policy| (policy.id.as_str(), policy.effect, policy.question))
        .collect();
    assert_eq!(
        named,
        [
            (
                "approve_break_glass_containment",
                Effect::Forbid,
                Level::Execute
            ),
            ("approve_everything_else", Effect::Permit, Level::Approve),
            (
                "revoke_human_sessions_on_theft",
                Effect::Permit,
                Level::Approve
            ),
        ]
    );
}

#[test]
fn high_tier_nhi_disable_names_its_forbid() {
    let engine = default_engine();
    let decision = engine
        .decide(
            "graph_disable_service_principal",
            &identity(EntraServicePrincipal, Entra, Tier::High, false),
            &context(MISUSE, 95),
        )
        .unwrap();
    assert_eq!(decision.decision, RequireApproval);
    assert_eq!(decision.policies[0].id, "approve_disabling_high_tier_nhi");
    assert_eq!(decision.policies[0].effect, Effect::Forbid);
}

#[test]
fn unknown_action_is_an_error() {
    let engine = default_engine();
    let error = engine
        .decide(
            "delete_everything",
            &identity(Human, Okta, Tier::Low, false),
            &context(REPLAY, 90),
        )
        .unwrap_err();
    assert!(matches!(error, DecideError::UnknownAction { .. }));
    assert_eq!(
        error.to_string(),
        "unknown action kind `delete_everything`: the policy schema declares no such action"
    );
}

#[test]
fn action_groups_are_not_requests() {
    let engine = default_engine();
    let error = engine
        .decide(
            "containment",
            &identity(Human, Okta, Tier::Low, false),
            &context(REPLAY, 90),
        )
        .unwrap_err();
    assert!(matches!(error, DecideError::UnknownAction { .. }));
}

fn engine(policy: &str) -> PolicyEngine {
    PolicyEngine::new(policy, None, PolicySchema::builtin().unwrap()).unwrap()
}

#[test]
fn forbid_at_approve_level_leaves_recommendation_only() {
    let engine = engine(
        r#"
        @id("approve_all") @decision("approve")
        permit (principal, action, resource);

        @id("never_disable_production") @decision("approve")
        forbid (principal, action in Riposte::Action::"disable_identity", resource)
        when { resource.environment == "production" };
        "#,
    );
    let mut production = identity(EntraServicePrincipal, Entra, Tier::Low, false);
    production.environment = "production".to_owned();
    let decision = engine
        .decide(
            "graph_disable_service_principal",
            &production,
            &context(MISUSE, 90),
        )
        .unwrap();
    assert_eq!(decision.decision, RecommendOnly);
    let ids: Vec<(&str, Level)> = decision
        .policies
        .iter()
        .map(|policy| (policy.id.as_str(), policy.question))
        .collect();
    assert_eq!(
        ids,
        [
            ("never_disable_production", Level::Execute),
            ("never_disable_production", Level::Approve),
        ]
    );

    let staging = identity(EntraServicePrincipal, Entra, Tier::Low, false);
    let decision = engine
        .decide(
            "graph_disable_service_principal",
            &staging,
            &context(MISUSE, 90),
        )
        .unwrap();
    assert_eq!(decision.decision, RequireApproval);
}

#[test]
fn no_permit_means_recommend_only() {
    let engine = engine(
        r#"
        @id("notify") @decision("execute")
        permit (principal, action == Riposte::Action::"notify", resource);
        "#,
    );
    let decision = engine
        .decide(
            "okta_suspend_user",
            &identity(Human, Okta, Tier::Low, false),
            &context(REPLAY, 100),
        )
        .unwrap();
    assert_eq!(decision.decision, RecommendOnly);
    assert!(decision.policies.is_empty());
}

#[test]
fn execute_permit_also_allows_approval() {
    // The forbid rules automatic execution out; the execute-level permit still allows the
    // action after approval, with no approve-level permit.
    let engine = engine(
        r#"
        @id("auto_sessions") @decision("execute")
        permit (principal, action in Riposte::Action::"revoke_sessions", resource);

        @id("no_auto_break_glass") @decision("execute")
        forbid (principal, action, resource) when { resource.break_glass };
        "#,
    );
    let decision = engine
        .decide(
            "okta_clear_sessions",
            &identity(Human, Okta, Tier::Low, true),
            &context(REPLAY, 100),
        )
        .unwrap();
    assert_eq!(decision.decision, RequireApproval);
}

#[test]
fn tags_and_shared_reach_the_policy() {
    let engine = engine(
        r#"
        @id("auto_tagged") @decision("execute")
        permit (principal, action, resource)
        when { resource.tags.contains("auto-contain") && !resource.shared };
        "#,
    );
    let mut tagged = identity(IamUserAccessKey, Aws, Tier::High, false);
    tagged.tags.insert("auto-contain".to_owned());
    let decide = |identity: &IdentityAttributes| {
        engine
            .decide("deactivate_access_key", identity, &context(MISUSE, 50))
            .unwrap()
            .decision
    };
    assert_eq!(decide(&tagged), Execute);
    let mut shared = tagged.clone();
    shared.shared = true;
    assert_eq!(decide(&shared), RecommendOnly);
    assert_eq!(
        decide(&identity(IamUserAccessKey, Aws, Tier::High, false)),
        RecommendOnly
    );
}

#[test]
fn severity_rank_reaches_the_policy() {
    let engine = engine(
        r#"
        @id("auto_critical") @decision("execute")
        permit (principal, action, resource)
        when { context.severity_rank >= 5 && context.severity == "critical" };
        "#,
    );
    let subject = identity(Human, Okta, Tier::Low, false);
    let mut incident = context(REPLAY, 50);
    incident.severity = Severity::Critical;
    assert_eq!(
        engine
            .decide("okta_suspend_user", &subject, &incident)
            .unwrap()
            .decision,
        Execute
    );
    incident.severity = Severity::High;
    assert_eq!(
        engine
            .decide("okta_suspend_user", &subject, &incident)
            .unwrap()
            .decision,
        RecommendOnly
    );
}

fn finding(detection: &'static str, confidence: f64) -> riposte_model::Finding {
    let identity = riposte_model::IdentityRef::new(Okta, "00u1exampleuser", Human);
    riposte_model::Finding {
        detection,
        severity: Severity::Medium,
        confidence: riposte_model::Confidence::new(confidence),
        identity,
        first_seen: chrono::DateTime::UNIX_EPOCH,
        last_seen: chrono::DateTime::UNIX_EPOCH,
        evidence: Vec::new(),
        explanation: String::new(),
        attack: Vec::new(),
        facts: serde_json::Map::new(),
        related: Vec::new(),
    }
}

#[test]
fn context_of_findings_takes_the_highest_confidence() {
    let findings = [
        finding("session_replay", 0.6),
        finding("impossible_travel", 0.854),
    ];
    let context = IncidentContext::of_findings(Severity::Critical, &findings);
    assert_eq!(context.confidence, 85);
    assert_eq!(
        context.detections,
        BTreeSet::from(["impossible_travel".to_owned(), "session_replay".to_owned()])
    );
    assert_eq!(context.severity, Severity::Critical);
}

#[test]
fn identity_without_blast_radius_has_unknown_tier() {
    let mut reference = riposte_model::IdentityRef::new(Okta, "00u1exampleuser", Human);
    reference.name = Some("alice@example.com".into());
    let attributes = IdentityAttributes::of(&reference, None);
    assert_eq!(attributes.id, "okta:00u1exampleuser");
    assert_eq!(attributes.tier, Tier::Unknown);
    assert!(!attributes.break_glass);

    let radius = riposte_model::BlastRadiusSummary {
        tier: "critical".to_owned(),
        reasons: Vec::new(),
        shared: true,
        break_glass: true,
        scoped_revocation: true,
        disablement_allowed: false,
        policy_narrowing_secs: None,
        constraint_reasons: Vec::new(),
    };
    let attributes = IdentityAttributes::of(&reference, Some(&radius));
    assert_eq!(attributes.tier, Tier::Critical);
    assert!(attributes.break_glass);
    assert!(attributes.shared);
}

use chrono::{TimeZone, Utc};
use riposte_model::{IdentityKey, Privilege, PrivilegeKind, Provider};
use serde_json::json;

use super::*;
use crate::kind::{NhiKind, ResolvedKind};

fn key(id: &str) -> IdentityKey {
    IdentityKey {
        provider: Provider::Aws,
        id: id.into(),
    }
}

fn identity(kind: ResolvedKind) -> ResolvedIdentity {
    ResolvedIdentity {
        id: "aws:arn:aws:iam::111111111111:user/ci-deploy".into(),
        key: key("arn:aws:iam::111111111111:user/ci-deploy"),
        name: None,
        email: None,
        kind,
        kind_conflict: None,
        in_inventory: true,
        inventory_line: Some(2),
        owner: None,
        environment: None,
        criticality: None,
        dependents: Vec::new(),
        break_glass: false,
        break_glass_keys: Vec::new(),
        accounts: Vec::new(),
    }
}

fn nhi() -> ResolvedIdentity {
    identity(ResolvedKind::Nhi(NhiKind::AccessKey))
}

fn person() -> ResolvedIdentity {
    identity(ResolvedKind::Human)
}

fn dependents(count: usize) -> Vec<Box<str>> {
    (1..=count)
        .map(|index| format!("pipeline-{index}").into())
        .collect()
}

fn admin_grant() -> GrantedPrivilege {
    GrantedPrivilege {
        name: "AdministratorAccess".into(),
        admin_equivalent: true,
        granted_at: Some(Utc.with_ymd_and_hms(2024, 5, 7, 8, 45, 2).unwrap()),
    }
}

#[test]
fn nothing_known_is_low_with_a_reason() {
    let radius = blast_radius(&nhi(), &ObservedUsage::default());
    assert_eq!(radius.tier, Tier::Low);
    assert_eq!(
        radius.reasons,
        [
            "no declared criticality, dependents or break-glass account, no admin-equivalent \
          privilege and no shared use seen"
        ]
    );
    assert!(!radius.shared);
}

#[test]
fn criticality_and_prod_follow_the_tier_table() {
    let table = [
        (None, false, Tier::Low),
        (None, true, Tier::Medium),
        (Some(Criticality::Low), false, Tier::Low),
        (Some(Criticality::Low), true, Tier::Medium),
        (Some(Criticality::Medium), false, Tier::Medium),
        (Some(Criticality::Medium), true, Tier::High),
        (Some(Criticality::High), false, Tier::High),
        (Some(Criticality::High), true, Tier::Critical),
        (Some(Criticality::Critical), false, Tier::Critical),
        (Some(Criticality::Critical), true, Tier::Critical),
    ];
    for (criticality, prod, expected) in table {
        let mut identity = nhi();
        identity.criticality = criticality;
        identity.environment = prod.then_some(Environment::Prod);
        let tier = blast_radius(&identity, &ObservedUsage::default()).tier;
        assert_eq!(tier, expected, "criticality {criticality:?}, prod {prod}");
    }
}

#[test]
fn criticality_and_prod_reasons_name_the_levels() {
    let mut identity = nhi();
    identity.criticality = Some(Criticality::Medium);
    identity.environment = Some(Environment::Prod);
    let radius = blast_radius(&identity, &ObservedUsage::default());
    assert_eq!(
        radius.reasons,
        [
            "the inventory declares criticality medium",
            "it serves the prod environment, which raises the declared level to high",
        ]
    );
}

#[test]
fn other_environments_raise_nothing() {
    for environment in [
        Environment::Staging,
        Environment::Dev,
        Environment::Other("lab".into()),
    ] {
        let mut identity = nhi();
        identity.environment = Some(environment);
        assert_eq!(
            blast_radius(&identity, &ObservedUsage::default()).tier,
            Tier::Low
        );
    }
}

#[test]
fn many_declared_dependents_make_it_high() {
    let mut identity = nhi();
    identity.dependents = dependents(12);
    let radius = blast_radius(&identity, &ObservedUsage::default());
    assert_eq!(radius.tier, Tier::High);
    assert_eq!(
        radius.reasons,
        ["used by 12 declared dependents (pipeline-1, pipeline-2, pipeline-3 and 9 more)"]
    );
    assert!(radius.shared);
}

#[test]
fn few_declared_dependents_make_it_medium() {
    let mut identity = nhi();
    identity.dependents = dependents(2);
    let radius = blast_radius(&identity, &ObservedUsage::default());
    assert_eq!(radius.tier, Tier::Medium);
    assert_eq!(
        radius.reasons,
        ["shared by 2 declared dependents (pipeline-1, pipeline-2)"]
    );
    assert!(radius.shared);
}

#[test]
fn one_declared_dependent_is_not_shared() {
    let mut identity = nhi();
    identity.dependents = dependents(1);
    let radius = blast_radius(&identity, &ObservedUsage::default());
    assert_eq!(radius.tier, Tier::Low);
    assert!(!radius.shared);
}

#[test]
fn many_observed_workloads_make_nhi_high() {
    let usage = ObservedUsage {
        workloads: 7,
        ..ObservedUsage::default()
    };
    let radius = blast_radius(&nhi(), &usage);
    assert_eq!(radius.tier, Tier::High);
    assert_eq!(radius.reasons, ["seen from 7 distinct workloads or hosts"]);
    assert!(radius.shared);
}

#[test]
fn two_observed_workloads_make_nhi_medium() {
    let usage = ObservedUsage {
        workloads: 2,
        ..ObservedUsage::default()
    };
    let radius = blast_radius(&nhi(), &usage);
    assert_eq!(radius.tier, Tier::Medium);
    assert!(radius.shared);
}

#[test]
fn many_observed_networks_make_nhi_high() {
    let usage = ObservedUsage {
        networks: 12,
        ..ObservedUsage::default()
    };
    let radius = blast_radius(&nhi(), &usage);
    assert_eq!(radius.tier, Tier::High);
    assert_eq!(
        radius.reasons,
        ["seen from 12 distinct networks (/24 or /48 prefixes)"]
    );
    let fewer = ObservedUsage {
        networks: 9,
        ..ObservedUsage::default()
    };
    assert_eq!(blast_radius(&nhi(), &fewer).tier, Tier::Low);
}

#[test]
fn several_user_agent_families_make_nhi_medium() {
    let usage = ObservedUsage {
        user_agent_families: 3,
        ..ObservedUsage::default()
    };
    let radius = blast_radius(&nhi(), &usage);
    assert_eq!(radius.tier, Tier::Medium);
    assert_eq!(radius.reasons, ["seen with 3 distinct user-agent families"]);
}

#[test]
fn observed_spread_does_not_count_for_people() {
    let usage = ObservedUsage {
        networks: 40,
        user_agent_families: 6,
        workloads: 9,
        privileges: Vec::new(),
    };
    let radius = blast_radius(&person(), &usage);
    assert_eq!(radius.tier, Tier::Low);
    assert!(!radius.shared);
}

#[test]
fn admin_equivalent_privilege_makes_it_high() {
    let usage = ObservedUsage {
        privileges: vec![admin_grant()],
        ..ObservedUsage::default()
    };
    for identity in [nhi(), person()] {
        let radius = blast_radius(&identity, &usage);
        assert_eq!(radius.tier, Tier::High);
        assert_eq!(
            radius.reasons,
            ["granted admin-equivalent privilege AdministratorAccess on 2024-05-07"]
        );
    }
}

#[test]
fn ordinary_privilege_raises_nothing() {
    let usage = ObservedUsage {
        privileges: vec![GrantedPrivilege {
            name: "AmazonS3ReadOnlyAccess".into(),
            admin_equivalent: false,
            granted_at: None,
        }],
        ..ObservedUsage::default()
    };
    assert_eq!(blast_radius(&nhi(), &usage).tier, Tier::Low);
}

#[test]
fn break_glass_is_critical() {
    let mut identity = person();
    identity.break_glass = true;
    identity.break_glass_keys = vec![key("arn:aws:iam::111111111111:root")];
    let radius = blast_radius(&identity, &ObservedUsage::default());
    assert_eq!(radius.tier, Tier::Critical);
    assert_eq!(
        radius.reasons,
        ["aws:arn:aws:iam::111111111111:root is a declared break-glass account"]
    );
}

#[test]
fn highest_rule_wins_and_every_reason_is_kept() {
    let mut identity = nhi();
    identity.criticality = Some(Criticality::Low);
    identity.dependents = dependents(3);
    let usage = ObservedUsage {
        workloads: 6,
        ..ObservedUsage::default()
    };
    let radius = blast_radius(&identity, &usage);
    assert_eq!(radius.tier, Tier::High);
    assert_eq!(radius.reasons.len(), 3);
}

#[test]
fn settings_change_the_thresholds() {
    let settings = BlastRadiusSettings {
        many_dependents: 3,
        ..BlastRadiusSettings::default()
    };
    let mut identity = nhi();
    identity.dependents = dependents(3);
    let radius = blast_radius_with(&identity, &ObservedUsage::default(), &settings);
    assert_eq!(radius.tier, Tier::High);
}

fn radius(tier: Tier, shared: bool) -> BlastRadius {
    BlastRadius {
        tier,
        reasons: Vec::new(),
        shared,
    }
}

#[test]
fn break_glass_is_never_disabled_automatically() {
    let mut identity = person();
    identity.break_glass = true;
    for tier in [Tier::Low, Tier::Critical] {
        let constraints = containment_constraints(&identity, &radius(tier, false));
        assert_eq!(constraints.disablement, Disablement::ApprovalRequired);
        assert_eq!(constraints.revocation, RevocationScope::LeakedCredential);
        assert_eq!(constraints.policy_narrowing_secs, None);
    }
    let mut workload = nhi();
    workload.break_glass = true;
    let constraints = containment_constraints(&workload, &radius(Tier::Critical, true));
    assert_eq!(constraints.disablement, Disablement::ApprovalRequired);
}

#[test]
fn shared_high_tier_nhi_is_never_disabled() {
    for tier in [Tier::High, Tier::Critical] {
        let constraints = containment_constraints(&nhi(), &radius(tier, true));
        assert_eq!(constraints.disablement, Disablement::Excluded);
        assert_eq!(constraints.revocation, RevocationScope::LeakedCredential);
        assert_eq!(constraints.policy_narrowing_secs, Some(3_600));
    }
    let constraints = containment_constraints(&nhi(), &radius(Tier::High, true));
    assert_eq!(
        constraints.reasons,
        [
            "shared non-human identity of high tier: revoke only the leaked credential or \
          session and narrow its policy for at most 3600 s, because disabling it would stop \
          everything that uses it"
        ]
    );
}

#[test]
fn unshared_high_tier_nhi_needs_approval_to_disable() {
    let constraints = containment_constraints(&nhi(), &radius(Tier::High, false));
    assert_eq!(constraints.disablement, Disablement::ApprovalRequired);
    assert_eq!(constraints.revocation, RevocationScope::LeakedCredential);
    assert_eq!(constraints.policy_narrowing_secs, Some(3_600));
}

#[test]
fn shared_medium_nhi_revokes_leaked_credential() {
    let constraints = containment_constraints(&nhi(), &radius(Tier::Medium, true));
    assert_eq!(constraints.disablement, Disablement::ApprovalRequired);
    assert_eq!(constraints.revocation, RevocationScope::LeakedCredential);
    assert_eq!(constraints.policy_narrowing_secs, None);
}

#[test]
fn high_tier_person_needs_approval_to_disable() {
    let constraints = containment_constraints(&person(), &radius(Tier::High, false));
    assert_eq!(constraints.disablement, Disablement::ApprovalRequired);
    assert_eq!(constraints.revocation, RevocationScope::Identity);
}

#[test]
fn low_tier_identity_may_be_disabled() {
    for identity in [nhi(), person()] {
        let constraints = containment_constraints(&identity, &radius(Tier::Low, false));
        assert_eq!(constraints.disablement, Disablement::Allowed);
        assert_eq!(constraints.revocation, RevocationScope::Identity);
        assert_eq!(constraints.policy_narrowing_secs, None);
    }
}

fn privilege(kind: PrivilegeKind, name: &str) -> Privilege {
    Privilege {
        kind,
        name: name.into(),
        document: None,
    }
}

#[test]
fn admin_policies_and_roles_are_admin_equivalent() {
    for (kind, name) in [
        (
            PrivilegeKind::ManagedPolicy,
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ),
        (
            PrivilegeKind::ManagedPolicy,
            "arn:aws:iam::aws:policy/IAMFullAccess",
        ),
        (PrivilegeKind::DirectoryRole, "Global Administrator"),
        (PrivilegeKind::DirectoryRole, "Company Administrator"),
        (PrivilegeKind::DirectoryRole, "SUPER_ADMIN"),
        (PrivilegeKind::AppRole, "RoleManagement.ReadWrite.Directory"),
    ] {
        assert!(is_admin_equivalent(&privilege(kind, name)), "{name}");
    }
}

#[test]
fn ordinary_policies_and_roles_are_not_admin_equivalent() {
    for (kind, name) in [
        (
            PrivilegeKind::ManagedPolicy,
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ),
        (
            PrivilegeKind::ManagedPolicy,
            "arn:aws:iam::111111111111:policy/NotAdministratorAccessReally",
        ),
        (PrivilegeKind::DirectoryRole, "User Administrator"),
        (PrivilegeKind::AppRole, "User.Read.All"),
        (PrivilegeKind::TrustPolicy, "AdministratorAccess"),
    ] {
        assert!(!is_admin_equivalent(&privilege(kind, name)), "{name}");
    }
}

#[test]
fn inline_policy_allowing_everything_is_admin_equivalent() {
    let mut inline = privilege(PrivilegeKind::InlinePolicy, "everything");
    inline.document = Some(json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    }));
    assert!(is_admin_equivalent(&inline));

    inline.document = Some(json!({
        "Statement": {"Effect": "Allow", "Action": ["s3:GetObject", "iam:*"], "Resource": ["*"]}
    }));
    assert!(is_admin_equivalent(&inline));

    inline.document = Some(json!({
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]
    }));
    assert!(!is_admin_equivalent(&inline));

    inline.document = Some(json!({
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::reports/*"}]
    }));
    assert!(!is_admin_equivalent(&inline));
}

#[test]
fn granted_privilege_classifies_the_event_privilege() {
    let granted = GrantedPrivilege::from_privilege(
        &privilege(
            PrivilegeKind::ManagedPolicy,
            "arn:aws:iam::aws:policy/AdministratorAccess",
        ),
        None,
    );
    assert!(granted.admin_equivalent);
}

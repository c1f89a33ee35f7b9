//! Incidents built by hand, with documentation values only.

use chrono::{TimeZone, Utc};
use riposte_model::{
    BlastRadiusSummary, Confidence, Evidence, Finding, IdentityKind, IdentityRef, Incident, Plan,
    PlanStatus, Provider, RoleSession, Severity, SourceFormat, Timestamp,
};

pub fn at(minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0).unwrap()
}

pub fn okta_user() -> IdentityRef {
    let mut identity = IdentityRef::new(Provider::Okta, "00u1exampleuser", IdentityKind::Human);
    identity.name = Some("alice@example.com".into());
    identity.email = Some("alice@example.com".into());
    identity
}

pub fn entra_user() -> IdentityRef {
    let mut identity = IdentityRef::new(
        Provider::Entra,
        "7c1d2e3f-0000-4000-8000-00000000a001",
        IdentityKind::Human,
    );
    identity.name = Some("alice@example.com".into());
    identity
}

pub fn role_session() -> IdentityRef {
    let mut identity = IdentityRef::new(
        Provider::Aws,
        "arn:aws:sts::111111111111:assumed-role/Deploy/build-42",
        IdentityKind::AssumedRoleSession,
    );
    identity.role_session = Some(RoleSession {
        role_arn: "arn:aws:iam::111111111111:role/Deploy".into(),
        role_name: "Deploy".into(),
        session_name: "build-42".into(),
        source_identity: None,
    });
    identity
}

pub fn iam_key_user() -> IdentityRef {
    let mut identity = IdentityRef::new(
        Provider::Aws,
        "arn:aws:iam::111111111111:user/ci/deployer",
        IdentityKind::IamUserAccessKey,
    );
    identity.name = Some("deployer".into());
    identity
}

pub fn service_principal() -> IdentityRef {
    let mut identity = IdentityRef::new(
        Provider::Entra,
        "5f03d160-0000-4000-8000-00000000b002",
        IdentityKind::EntraServicePrincipal,
    );
    identity.name = Some("payments-api".into());
    identity
}

pub fn finding(
    detection: &'static str,
    identity: &IdentityRef,
    credential: Option<&str>,
) -> Finding {
    Finding {
        detection,
        severity: Severity::High,
        confidence: Confidence::new(0.9),
        identity: identity.clone(),
        first_seen: at(1),
        last_seen: at(2),
        evidence: vec![Evidence {
            event_id: "event-1".into(),
            time: at(1),
            format: SourceFormat::CloudTrail,
            operation: "GetCallerIdentity".into(),
            credential: credential.map(Into::into),
            location: None,
        }],
        explanation: format!("{detection} fired."),
        attack: vec!["T1078"],
        facts: serde_json::Map::new(),
        related: Vec::new(),
    }
}

pub fn incident(identity: IdentityRef, findings: Vec<Finding>) -> Incident {
    Incident {
        id: "inc-0001".to_owned(),
        identity,
        linked_identities: Vec::new(),
        severity: Severity::High,
        first_seen: at(1),
        last_seen: at(2),
        escalations: Vec::new(),
        findings,
        blast_radius: None,
        plan: Plan {
            status: PlanStatus::Planned,
            actions: Vec::new(),
        },
        response: Vec::new(),
    }
}

pub fn radius(tier: &str, narrowing_secs: Option<u64>) -> BlastRadiusSummary {
    BlastRadiusSummary {
        tier: tier.to_owned(),
        reasons: Vec::new(),
        shared: false,
        break_glass: false,
        scoped_revocation: false,
        disablement_allowed: true,
        policy_narrowing_secs: narrowing_secs,
        constraint_reasons: Vec::new(),
    }
}

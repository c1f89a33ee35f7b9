//! Attack stages of the detections, and the severity rise when an incident advances through
//! them.

use riposte_model::{Finding, Severity};

/// The stage of an attack a detection points at, in the order an intrusion goes through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Someone else has the identity: a stolen password, session, token or key.
    InitialAccess,
    /// The identity gained privileges.
    PrivilegeEscalation,
    /// The identity made sure of later access: new credentials, a widened trust policy.
    Persistence,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::InitialAccess => "initial access",
            Self::PrivilegeEscalation => "privilege escalation",
            Self::Persistence => "persistence",
        }
    }
}

/// Returns the stage of a detection id, or `None` for detections outside the chain.
pub fn stage_of(detection: &str) -> Option<Stage> {
    match detection {
        "impossible_travel"
        | "session_replay"
        | "workload_credential_misuse"
        | "password_spray"
        | "brute_force_success"
        | "mfa_fatigue"
        | "provider_risk_detection"
        | "unfamiliar_signin"
        | "new_network_for_workload"
        | "api_novelty_for_workload"
        | "dormant_identity_active" => Some(Stage::InitialAccess),
        "privilege_grant" => Some(Stage::PrivilegeEscalation),
        "credential_for_other_identity" | "trust_policy_changed" => Some(Stage::Persistence),
        _ => None,
    }
}

/// Raises `worst` (the highest finding severity) when the findings form a chain: an initial
/// access finding followed by privilege escalation or persistence raises it one level, and all
/// three stages in order make it critical. Returns the severity and the reasons.
pub(crate) fn escalate(worst: Severity, findings: &[Finding]) -> (Severity, Vec<String>) {
    // The first finding of each stage, in time order (findings are sorted already).
    let mut firsts: Vec<(Stage, &Finding)> = Vec::new();
    for finding in findings {
        let Some(stage) = stage_of(finding.detection) else {
            continue;
        };
        if !firsts.iter().any(|(known, _)| *known == stage) {
            firsts.push((stage, finding));
        }
    }
    let Some(&(_, access)) = firsts
        .iter()
        .find(|(stage, _)| *stage == Stage::InitialAccess)
    else {
        return (worst, Vec::new());
    };
    let later: Vec<&(Stage, &Finding)> = firsts
        .iter()
        .filter(|(stage, finding)| {
            *stage != Stage::InitialAccess && finding.first_seen >= access.first_seen
        })
        .collect();
    if later.is_empty() {
        return (worst, Vec::new());
    }
    let steps: Vec<String> = std::iter::once(format!(
        "{} ({}) at {}",
        access.detection,
        Stage::InitialAccess.as_str(),
        access.first_seen.format("%Y-%m-%d %H:%M:%SZ")
    ))
    .chain(later.iter().map(|(stage, finding)| {
        format!(
            "{} ({}) at {}",
            finding.detection,
            stage.as_str(),
            finding.first_seen.format("%Y-%m-%d %H:%M:%SZ")
        )
    }))
    .collect();
    let severity = if later.len() >= 2 {
        Severity::Critical
    } else {
        worst.raised()
    };
    if severity == worst {
        return (worst, Vec::new());
    }
    let reason = format!(
        "severity raised from {worst} to {severity}: the findings form a chain, {}",
        steps.join(", then ")
    );
    (severity, vec![reason])
}

use serde::Serialize;

use crate::{Finding, IdentityRef, Provider, Severity, Timestamp};

/// Findings about one identity, and the identities linked to it, within one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incident {
    /// A stable id derived from the identity and the first finding, so that the same input
    /// gives the same id on every run.
    pub id: String,
    pub identity: IdentityRef,
    /// Accounts of the same person or workload in other providers that the findings touched.
    pub linked_identities: Vec<IdentityRef>,
    pub severity: Severity,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Why the severity is above that of the worst single finding, when it is.
    pub escalations: Vec<String>,
    /// The findings in time order.
    pub findings: Vec<Finding>,
    /// What containing the identity would break, when the state knows enough to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blast_radius: Option<BlastRadiusSummary>,
    pub plan: Plan,
    /// The playbook steps the response policy decided on, when a response was planned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response: Vec<ResponseStep>,
}

/// One playbook step chosen for an incident and what the response policy decided for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResponseStep {
    /// The action kind, such as `okta_clear_sessions`.
    pub action: String,
    /// The system that carries it out: `aws`, `okta`, `entra`, `falcon` or `webhook`.
    pub system: String,
    pub target: String,
    /// `execute`, `approve` or `recommend`.
    pub decision: String,
    /// The ids of the policies that decided.
    pub policies: Vec<String>,
    pub playbook: String,
    /// The step's place in the playbook, such as `2` or `2.1` for its first fallback.
    pub position: String,
    /// The alternatives tried before this one, and why each was passed over.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub passed_over: Vec<String>,
    /// The key that keeps the action from being executed twice.
    pub idempotency_key: String,
}

/// The blast radius of an incident's identity and what it allows a containment plan to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlastRadiusSummary {
    /// `low`, `medium`, `high` or `critical`.
    pub tier: String,
    /// One sentence per rule that set the tier, with its measured value.
    pub reasons: Vec<String>,
    /// True for a non-human identity that several pipelines, services or hosts use.
    pub shared: bool,
    /// True when any account of the identity is a declared break-glass account.
    pub break_glass: bool,
    /// When true, the plan revokes only the credential or session seen in the incident.
    pub scoped_revocation: bool,
    /// When false, the plan never disables or suspends the whole identity.
    pub disablement_allowed: bool,
    /// Longest time-limited policy narrowing the plan may apply, in seconds.
    pub policy_narrowing_secs: Option<u64>,
    /// Why the constraints are what they are.
    pub constraint_reasons: Vec<String>,
}

/// Whether a plan has been carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Computed and printed, not executed. `hunt` only ever plans.
    Planned,
}

/// The containment riposte would take for an incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub status: PlanStatus,
    pub actions: Vec<PlannedAction>,
}

/// One containment step, described precisely enough to run by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedAction {
    /// A stable action id, such as `revoke_role_sessions` or `deactivate_access_key`.
    pub action: &'static str,
    pub provider: Provider,
    /// What the action applies to: a role ARN, an access key id, a user id.
    pub target: String,
    /// What the action does, in one sentence.
    pub description: String,
    /// The provider API calls that carry it out.
    pub api_calls: Vec<String>,
    /// Why this action fits the identity and the findings.
    pub reason: String,
}

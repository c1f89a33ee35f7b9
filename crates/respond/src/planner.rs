//! Turns incidents into decided steps: every playbook that applies to an incident is expanded,
//! and the response policy decides each step, falling back along the playbook's alternatives
//! when a step may not run automatically.

use std::collections::HashSet;

use riposte_action::{Action, ActionRequest};
use riposte_identity::Inventory;
use riposte_model::{IdentityRef, Incident};
use riposte_playbook::{PassedOver, PlannedStep, Playbook};
use riposte_policy::{IdentityAttributes, IncidentContext, PolicyEngine};
use serde::Serialize;

use crate::{DecidedStep, Decision};

/// Decides the response to incidents with playbooks and a response policy.
pub struct Planner {
    policy: PolicyEngine,
    playbooks: Vec<Playbook>,
}

/// The response planned for one incident.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IncidentResponse {
    pub incident_id: String,
    /// The chosen steps in playbook order, each action once.
    pub steps: Vec<PlannedResponse>,
    /// Steps that could not be planned, each with its reason.
    pub unplanned: Vec<String>,
}

/// A chosen step, its decision, and how it was chosen.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedResponse {
    #[serde(flatten)]
    pub step: DecidedStep,
    pub playbook: String,
    /// The step's place in the playbook, such as `2` or `2.1` for its first fallback.
    pub position: String,
    /// The alternatives tried before this one, each with why it was passed over.
    pub passed_over: Vec<String>,
    /// Errors the policy met while deciding. A policy that fails is left out of the decision.
    pub policy_errors: Vec<String>,
}

impl Planner {
    pub fn new(policy: PolicyEngine, playbooks: Vec<Playbook>) -> Self {
        Self { policy, playbooks }
    }

    pub fn playbooks(&self) -> &[Playbook] {
        &self.playbooks
    }

    /// Plans the response to `incident`. The inventory, when given, supplies the environment
    /// and tags of the identities the policy decides on.
    pub fn plan(&self, incident: &Incident, inventory: Option<&Inventory>) -> IncidentResponse {
        let mut response = IncidentResponse {
            incident_id: incident.id.clone(),
            ..IncidentResponse::default()
        };
        let mut keys = HashSet::new();
        for playbook in &self.playbooks {
            for planned in playbook.expand(incident) {
                let (identity, context) = self.facts(incident, &planned.identity, inventory);
                let mut policy_errors = Vec::new();
                let selection = planned.select(
                    |action| self.decide(action, &identity, &context, &mut policy_errors),
                    |(decision, _)| *decision == Decision::Execute,
                );
                let passed_over: Vec<String> = selection.passed_over.iter().map(describe).collect();
                let Some(chosen) = selection.chosen else {
                    response.unplanned.push(unplanned(&planned, &passed_over));
                    continue;
                };
                let request = ActionRequest {
                    incident_id: incident.id.clone(),
                    action: chosen.action.clone(),
                };
                if !keys.insert(request.idempotency_key()) {
                    continue;
                }
                let (decision, policies) = chosen.decision;
                response.steps.push(PlannedResponse {
                    step: DecidedStep {
                        revert_after_secs: revert_after_secs(chosen.action),
                        request,
                        decision,
                        policies,
                    },
                    playbook: planned.playbook.clone(),
                    position: chosen.step.position.clone(),
                    passed_over,
                    policy_errors,
                });
            }
        }
        response
    }

    /// Returns the identity attributes and the incident context the policy decides on, for the
    /// identity a step acts on.
    fn facts(
        &self,
        incident: &Incident,
        identity: &IdentityRef,
        inventory: Option<&Inventory>,
    ) -> (IdentityAttributes, IncidentContext) {
        let own = identity.key == incident.identity.key;
        let mut attributes = if own {
            IdentityAttributes::of_incident(incident)
        } else {
            IdentityAttributes::of(identity, None)
        };
        if let Some(nhi) =
            inventory.and_then(|inventory| inventory.non_human_identity(&identity.key))
        {
            if let Some(environment) = &nhi.environment {
                attributes.environment = environment.as_str().to_owned();
            }
            attributes.tags = nhi.tags.iter().map(|tag| tag.to_string()).collect();
        }
        if !own && inventory.is_some_and(|inventory| inventory.is_break_glass(&identity.key)) {
            attributes.break_glass = true;
        }
        let context = if own {
            IncidentContext::of(incident)
        } else {
            IncidentContext::of_findings(
                incident.severity,
                incident
                    .findings
                    .iter()
                    .filter(|finding| finding.identity.key == identity.key),
            )
        };
        (attributes, context)
    }

    /// Decides one action. A request the policy cannot evaluate is only recommended, and
    /// the reason is kept.
    fn decide(
        &self,
        action: &Action,
        identity: &IdentityAttributes,
        context: &IncidentContext,
        errors: &mut Vec<String>,
    ) -> (Decision, Vec<String>) {
        match self.policy.decide(action.kind(), identity, context) {
            Ok(decided) => {
                errors.extend(decided.errors);
                let decision = match decided.decision {
                    riposte_policy::Decision::Execute => Decision::Execute,
                    riposte_policy::Decision::RequireApproval => Decision::Approve,
                    riposte_policy::Decision::RecommendOnly => Decision::Recommend,
                };
                let policies = decided
                    .policies
                    .into_iter()
                    .map(|policy| policy.id)
                    .collect();
                (decision, policies)
            }
            Err(error) => {
                errors.push(error.to_string());
                (Decision::Recommend, Vec::new())
            }
        }
    }
}

fn revert_after_secs(action: &Action) -> Option<u64> {
    match action {
        Action::NarrowPolicy { duration_secs, .. } => Some(*duration_secs),
        _ => None,
    }
}

/// Describes an alternative that was not chosen.
fn describe(passed: &PassedOver<'_, (Decision, Vec<String>)>) -> String {
    match passed {
        PassedOver::Unresolved { step, error } => {
            format!("{} {}: {error}", step.position, step.kind)
        }
        PassedOver::Decided {
            step,
            decision: (decision, policies),
            ..
        } => {
            let by = if policies.is_empty() {
                "no policy allows it".to_owned()
            } else {
                format!("policies {}", policies.join(", "))
            };
            format!(
                "{} {}: {} ({by})",
                step.position,
                step.kind,
                decision.as_str()
            )
        }
    }
}

fn unplanned(step: &PlannedStep, passed_over: &[String]) -> String {
    format!(
        "{} step {} ({}) for {}: no alternative could be filled: {}",
        step.playbook,
        step.position,
        step.kind,
        step.identity.key,
        passed_over.join("; ")
    )
}

impl IncidentResponse {
    /// Returns the steps as the incident reports them.
    pub fn report_steps(&self) -> Vec<riposte_model::ResponseStep> {
        self.steps
            .iter()
            .map(|planned| riposte_model::ResponseStep {
                action: planned.step.request.action.kind().to_owned(),
                system: planned.step.request.action.system().as_str().to_owned(),
                target: planned.step.request.action.target(),
                decision: planned.step.decision.as_str().to_owned(),
                policies: planned.step.policies.clone(),
                playbook: planned.playbook.clone(),
                position: planned.position.clone(),
                passed_over: planned.passed_over.clone(),
                idempotency_key: planned.step.request.idempotency_key(),
            })
            .collect()
    }
}

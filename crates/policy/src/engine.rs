//! Takes decisions: which of execute, approve and recommend the policies allow for an action.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use cedar_policy::{Authorizer, Entities, PolicySet, Request, Response};
use serde::Serialize;

use crate::DEFAULT_POLICY;
use crate::error::{DecideError, PolicyError};
use crate::load::{PolicyInfo, load, read_policy_file};
use crate::request::{IdentityAttributes, IncidentContext, entity_uid};
use crate::schema::PolicySchema;

/// The decision on an action: run it, wait for approval, or only recommend it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Carry the action out without asking anyone.
    Execute,
    /// Carry it out once a person approves it.
    RequireApproval,
    /// Only describe it; a person carries it out, or not.
    RecommendOnly,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Execute => "execute",
            Self::RequireApproval => "require_approval",
            Self::RecommendOnly => "recommend_only",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The level a policy speaks for, from its `@decision` annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A permit allows automatic execution (and so approval); a forbid rules automatic
    /// execution out but leaves approval possible.
    Execute,
    /// A permit allows execution after approval; a forbid rules out both, so the action is
    /// only recommended.
    Approve,
}

/// A policy's effect, as Cedar names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Permit,
    Forbid,
}

/// A policy that determined a decision, for the audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecidingPolicy {
    /// The policy's `@id`.
    pub id: String,
    pub effect: Effect,
    /// The policy's `@decision`.
    pub level: Level,
    /// The question the policy answered: [`Level::Execute`] for "may the action run
    /// automatically?", [`Level::Approve`] for "may it run after approval?".
    pub question: Level,
}

/// A decision and the policies that determined it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyDecision {
    pub action: String,
    pub decision: Decision,
    /// For [`Decision::Execute`], the permits that allowed it. For
    /// [`Decision::RequireApproval`], the forbids that ruled automatic execution out (none
    /// when no permit allowed it), then the permits that allowed approval. For
    /// [`Decision::RecommendOnly`], those forbids, then the forbids that ruled approval out
    /// (none when no permit allowed it). Sorted by id within each question.
    pub policies: Vec<DecidingPolicy>,
    /// Errors Cedar met while evaluating policies. A policy whose evaluation fails is left
    /// out of the decision, as Cedar specifies, so an error can only make the decision
    /// stricter when it hits a permit, or looser when it hits a forbid.
    pub errors: Vec<String>,
}

/// The policies and schema, ready to take decisions.
#[derive(Debug)]
pub struct PolicyEngine {
    schema: PolicySchema,
    /// Permits of level `execute` and every forbid.
    execute: PolicySet,
    /// Every permit and the forbids of level `approve`.
    approve: PolicySet,
    info: BTreeMap<String, PolicyInfo>,
    authorizer: Authorizer,
}

impl PolicyEngine {
    /// Loads a policy text, validated against `schema`. `file` names the text in errors.
    pub fn new(
        policy_text: &str,
        file: Option<&Path>,
        schema: PolicySchema,
    ) -> Result<Self, Vec<PolicyError>> {
        let loaded = load(policy_text, file, &schema)?;
        let mut execute = PolicySet::new();
        let mut approve = PolicySet::new();
        for policy in loaded.policies.policies() {
            let Some(info) = loaded.info.get(&policy.id().to_string()) else {
                continue;
            };
            let (for_execute, for_approve) = match (info.effect, info.level) {
                (Effect::Permit, Level::Execute) => (true, true),
                (Effect::Permit, Level::Approve) => (false, true),
                (Effect::Forbid, Level::Execute) => (true, false),
                (Effect::Forbid, Level::Approve) => (true, true),
            };
            // `loaded.policies` accepted every id once, so the ids are unique and adding
            // cannot fail.
            if for_execute {
                let _ = execute.add(policy.clone());
            }
            if for_approve {
                let _ = approve.add(policy.clone());
            }
        }
        Ok(Self {
            schema,
            execute,
            approve,
            info: loaded.info,
            authorizer: Authorizer::new(),
        })
    }

    /// Loads a policy file, validated against `schema`.
    pub fn from_file(path: &Path, schema: PolicySchema) -> Result<Self, Vec<PolicyError>> {
        let text = read_policy_file(path)?;
        Self::new(&text, Some(path), schema)
    }

    /// Loads the default policy, `policies/default.cedar`, with the built-in schema.
    pub fn default_policy() -> Result<Self, Vec<PolicyError>> {
        let schema = PolicySchema::builtin()?;
        Self::new(
            DEFAULT_POLICY,
            Some(Path::new("policies/default.cedar")),
            schema,
        )
    }

    pub fn schema(&self) -> &PolicySchema {
        &self.schema
    }

    /// Returns the `@id` of every policy, in id order.
    pub fn policy_ids(&self) -> impl Iterator<Item = &str> {
        self.info.keys().map(String::as_str)
    }

    /// Decides what to do with the action `kind` (an [`riposte_action::Action::kind`] or a
    /// planner action id) on `identity` for an incident described by `context`.
    pub fn decide(
        &self,
        kind: &str,
        identity: &IdentityAttributes,
        context: &IncidentContext,
    ) -> Result<PolicyDecision, DecideError> {
        if !self.schema.declares_action(kind) {
            return Err(DecideError::UnknownAction {
                kind: kind.to_owned(),
            });
        }
        let request_error = |message: String| DecideError::Request {
            kind: kind.to_owned(),
            id: identity.id.clone(),
            message,
        };
        let principal = entity_uid("Responder", "engine").map_err(request_error)?;
        let action = entity_uid("Action", kind).map_err(request_error)?;
        let resource = identity.uid()?;
        let cedar_context = context.context().map_err(request_error)?;
        let request = Request::new(
            principal,
            action,
            resource,
            cedar_context,
            Some(&self.schema.schema),
        )
        .map_err(|error| request_error(error.to_string()))?;
        let entities = self.entities(kind, identity)?;

        let mut decision = PolicyDecision {
            action: kind.to_owned(),
            decision: Decision::RecommendOnly,
            policies: Vec::new(),
            errors: Vec::new(),
        };
        let automatic = self
            .authorizer
            .is_authorized(&request, &self.execute, &entities);
        let allowed = self.record(&mut decision, &automatic, Level::Execute);
        if allowed {
            decision.decision = Decision::Execute;
            return Ok(decision);
        }
        let approved = self
            .authorizer
            .is_authorized(&request, &self.approve, &entities);
        if self.record(&mut decision, &approved, Level::Approve) {
            decision.decision = Decision::RequireApproval;
        }
        Ok(decision)
    }

    /// Builds the entities of one request: the identity, checked against the schema, and the
    /// action with the groups it is in. The responder needs no entity, because no policy reads
    /// its attributes.
    fn entities(&self, kind: &str, identity: &IdentityAttributes) -> Result<Entities, DecideError> {
        let entity = identity.entity()?;
        let action = self.schema.action_entities.get(kind).cloned();
        Entities::empty()
            .add_entities(
                action.into_iter().chain([entity]),
                Some(&self.schema.schema),
            )
            .map_err(|error| DecideError::Identity {
                id: identity.id.clone(),
                message: error.to_string(),
            })
    }

    /// Adds the policies that determined `response` and its errors to `decision`; returns
    /// true when the response allows the action.
    fn record(&self, decision: &mut PolicyDecision, response: &Response, question: Level) -> bool {
        let diagnostics = response.diagnostics();
        let mut policies: Vec<DecidingPolicy> = diagnostics
            .reason()
            .filter_map(|id| {
                let id = id.to_string();
                let info = self.info.get(&id)?;
                Some(DecidingPolicy {
                    id,
                    effect: info.effect,
                    level: info.level,
                    question,
                })
            })
            .collect();
        policies.sort_by(|a, b| a.id.cmp(&b.id));
        decision.policies.extend(policies);
        decision
            .errors
            .extend(diagnostics.errors().map(ToString::to_string));
        response.decision() == cedar_policy::Decision::Allow
    }
}

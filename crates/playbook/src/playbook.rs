//! Playbooks, their conditions and steps, and how they expand for an incident.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use riposte_action::Action;
use riposte_model::{Finding, IdentityKind, IdentityRef, Incident, Provider, Severity};

use crate::catalog::{ActionSpec, BuildError, Resolved, build};
use crate::error::ExpandError;
use crate::template::{Scope, Template};

/// A playbook: when it applies, and the steps it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Playbook {
    /// A unique name of lowercase letters, digits, `-` and `_`.
    pub name: String,
    pub description: String,
    pub when: Conditions,
    /// The steps, in the order they are taken.
    pub steps: Vec<Step>,
    /// The file the playbook was read from.
    pub file: Option<Arc<Path>>,
}

/// The conditions under which a playbook applies. Every condition given must be true, and a
/// condition left out is always true.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conditions {
    /// The playbook applies when any of these detections is among the identity's findings.
    pub detections: BTreeSet<String>,
    /// The lowest incident severity the playbook applies to.
    pub min_severity: Option<Severity>,
    pub identity_kinds: BTreeSet<IdentityKind>,
    pub providers: BTreeSet<Provider>,
}

/// One step: an action kind and the templates of its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub spec: &'static ActionSpec,
    /// The parameters, by name, in the order written.
    pub parameters: Vec<(String, Parameter)>,
    /// Steps tried in order, when this step's action may not run automatically or its
    /// parameters cannot be filled.
    pub fallback: Vec<Step>,
    /// 1-based line of the step in its file.
    pub line: usize,
}

/// The value of a step parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parameter {
    Text(Template),
    List(Vec<Template>),
}

/// A step expanded for one identity of an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStep {
    pub playbook: String,
    /// The step's place in the playbook: `2` for the second step, `2.1` for its first
    /// fallback, `2.1.1` for the fallback of that fallback.
    pub position: String,
    /// The identity the step acts on: the incident's identity or a linked one. The response
    /// policy decides on this identity.
    pub identity: IdentityRef,
    pub kind: &'static str,
    /// The action, or why its parameters could not be filled.
    pub action: Result<Action, ExpandError>,
    /// The fallback steps, expanded the same way.
    pub fallbacks: Vec<PlannedStep>,
}

impl Playbook {
    /// Returns true when the playbook applies to the incident's identity or to one of the
    /// identities linked to it.
    pub fn matches(&self, incident: &Incident) -> bool {
        !self.subjects(incident).is_empty()
    }

    /// Expands every step for each identity of the incident the playbook applies to: the
    /// incident's identity first, then the linked identities in order.
    pub fn expand(&self, incident: &Incident) -> Vec<PlannedStep> {
        let mut planned = Vec::new();
        for scope in self.subjects(incident) {
            for (index, step) in self.steps.iter().enumerate() {
                planned.push(self.expand_step(step, &(index + 1).to_string(), &scope));
            }
        }
        planned
    }

    /// Returns the scope of each identity the playbook applies to.
    fn subjects<'a>(&self, incident: &'a Incident) -> Vec<Scope<'a>> {
        let severity_ok = self
            .when
            .min_severity
            .is_none_or(|min| incident.severity >= min);
        if !severity_ok {
            return Vec::new();
        }
        let mut scopes = Vec::new();
        // Each identity is matched against its own findings. The incident's identity is
        // matched against all of them when it has none of its own, as when every finding
        // names a linked account of the same person.
        let own_findings = |identity: &IdentityRef| -> Vec<&'a Finding> {
            incident
                .findings
                .iter()
                .filter(|finding| finding.identity.key == identity.key)
                .collect()
        };
        let mut findings = own_findings(&incident.identity);
        if findings.is_empty() {
            findings = incident.findings.iter().collect();
        }
        let own = self.scope(incident, &incident.identity, findings);
        scopes.extend(own.map(|mut scope| {
            scope.radius = incident.blast_radius.as_ref();
            scope
        }));
        for linked in &incident.linked_identities {
            scopes.extend(self.scope(incident, linked, own_findings(linked)));
        }
        scopes
    }

    fn scope<'a>(
        &self,
        incident: &'a Incident,
        identity: &'a IdentityRef,
        findings: Vec<&'a Finding>,
    ) -> Option<Scope<'a>> {
        let when = &self.when;
        if !when.identity_kinds.is_empty() && !when.identity_kinds.contains(&identity.kind) {
            return None;
        }
        if !when.providers.is_empty() && !when.providers.contains(&identity.key.provider) {
            return None;
        }
        let mut findings: Vec<&Finding> = findings
            .into_iter()
            .filter(|finding| {
                when.detections.is_empty() || when.detections.contains(finding.detection)
            })
            .collect();
        if findings.is_empty() {
            return None;
        }
        findings.sort_by_key(|finding| finding.sort_key());
        Some(Scope {
            incident,
            identity,
            findings,
            radius: None,
        })
    }

    fn expand_step(&self, step: &Step, position: &str, scope: &Scope<'_>) -> PlannedStep {
        let fallbacks = step
            .fallback
            .iter()
            .enumerate()
            .map(|(index, fallback)| {
                self.expand_step(fallback, &format!("{position}.{}", index + 1), scope)
            })
            .collect();
        PlannedStep {
            playbook: self.name.clone(),
            position: position.to_owned(),
            identity: scope.identity.clone(),
            kind: step.spec.kind,
            action: step.resolve(scope),
            fallbacks,
        }
    }
}

impl Step {
    /// Fills the parameters from the scope and builds the action.
    fn resolve(&self, scope: &Scope<'_>) -> Result<Action, ExpandError> {
        let action = self.spec.kind;
        let mut values: Vec<(&str, Resolved)> = Vec::new();
        for (name, parameter) in &self.parameters {
            let missing = |variable: String| ExpandError::MissingValue {
                action,
                parameter: name.clone(),
                variable,
            };
            let value = match parameter {
                Parameter::Text(template) => {
                    Resolved::Text(template.render(scope).map_err(missing)?)
                }
                Parameter::List(templates) => Resolved::List(
                    templates
                        .iter()
                        .map(|template| template.render(scope))
                        .collect::<Result<_, _>>()
                        .map_err(missing)?,
                ),
            };
            values.push((name, value));
        }
        build(self.spec, |name| {
            values
                .iter()
                .find(|(given, _)| *given == name)
                .map(|(_, value)| value.clone())
        })
        .map_err(|error| match error {
            BuildError::Missing(parameter) => ExpandError::EmptyValue { action, parameter },
            BuildError::NotANumber { parameter, value } => ExpandError::NotANumber {
                action,
                parameter,
                value,
            },
        })
    }
}

/// The alternative chosen for a step, with its decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen<'a, D> {
    pub step: &'a PlannedStep,
    pub action: &'a Action,
    pub decision: D,
}

/// An alternative that was not chosen, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassedOver<'a, D> {
    /// Its parameters could not be filled.
    Unresolved {
        step: &'a PlannedStep,
        error: &'a ExpandError,
    },
    /// It was decided on, and another alternative was preferred.
    Decided {
        step: &'a PlannedStep,
        action: &'a Action,
        decision: D,
    },
}

/// The alternative chosen for a step, and those passed over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection<'a, D> {
    /// `None` when no alternative could be filled.
    pub chosen: Option<Chosen<'a, D>>,
    /// Every other alternative decided on or found unresolved, in the order tried.
    pub passed_over: Vec<PassedOver<'a, D>>,
}

impl PlannedStep {
    /// Returns the step and its fallbacks, depth first, in the order they are tried.
    pub fn alternatives(&self) -> Vec<&PlannedStep> {
        let mut all = vec![self];
        for fallback in &self.fallbacks {
            all.extend(fallback.alternatives());
        }
        all
    }

    /// Chooses which alternative to take. `decide` returns the policy decision for an
    /// action, and `executes` returns true when a decision lets the action run
    /// automatically.
    ///
    /// Alternatives are tried in order and the first that may run automatically is
    /// chosen, without deciding on the ones after it. When none may, the first one whose
    /// parameters could be filled is chosen, with its own decision (approval or
    /// recommendation), because the step as written is what a person should review.
    pub fn select<D>(
        &self,
        mut decide: impl FnMut(&Action) -> D,
        executes: impl Fn(&D) -> bool,
    ) -> Selection<'_, D> {
        let mut tried: Vec<PassedOver<'_, D>> = Vec::new();
        for step in self.alternatives() {
            match &step.action {
                Err(error) => tried.push(PassedOver::Unresolved { step, error }),
                Ok(action) => {
                    let decision = decide(action);
                    if executes(&decision) {
                        return Selection {
                            chosen: Some(Chosen {
                                step,
                                action,
                                decision,
                            }),
                            passed_over: tried,
                        };
                    }
                    tried.push(PassedOver::Decided {
                        step,
                        action,
                        decision,
                    });
                }
            }
        }
        let first = tried
            .iter()
            .position(|entry| matches!(entry, PassedOver::Decided { .. }));
        let chosen = first.and_then(|index| match tried.remove(index) {
            PassedOver::Decided {
                step,
                action,
                decision,
            } => Some(Chosen {
                step,
                action,
                decision,
            }),
            PassedOver::Unresolved { .. } => None,
        });
        Selection {
            chosen,
            passed_over: tried,
        }
    }
}

//! Reads YAML playbooks that map incident conditions to ordered containment steps with
//! fallbacks, and expands them into [`riposte_action::Action`]s for an incident.
//!
//! A playbook names the incidents it applies to (`when`: detections, a minimum severity,
//! identity kinds, providers) and the steps to take, each an action kind with parameter
//! templates such as `{identity.id}` filled from the incident. A step's `fallback` steps are
//! tried, in order, when the response policy does not let the step run automatically or when
//! its parameters cannot be filled; [`PlannedStep::select`] makes that choice.

mod catalog;
mod dir;
mod error;
mod playbook;
mod read;
mod template;

pub use catalog::{
    ACTIONS, ActionSpec, DEFAULT_NARROWING_SECS, DETECTIONS, IDENTITY_KINDS, LIST_PARAMETERS,
    PROVIDERS, SEVERITIES,
};
pub use dir::{DEFAULT_PLAYBOOKS, default_playbooks, load_file, validate_dir};
pub use error::{ExpandError, PlaybookError, PlaybookErrorKind};
pub use playbook::{
    Chosen, Conditions, Parameter, PassedOver, PlannedStep, Playbook, Selection, Step,
};
pub use read::parse_playbook;
pub use template::{Template, TemplateError, VARIABLES};

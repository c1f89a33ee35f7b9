//! `workload_credential_misuse`: placeholder, replaced by the full detection.

use riposte_model::{Event, Finding};
use serde::Deserialize;

use crate::{Detector, Enabled};

pub const ID: &str = "workload_credential_misuse";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct WorkloadCredentialMisuse;

impl WorkloadCredentialMisuse {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

impl Detector for WorkloadCredentialMisuse {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, _event: &Event, _findings: &mut Vec<Finding>) {}
}

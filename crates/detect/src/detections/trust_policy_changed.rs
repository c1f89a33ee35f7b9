//! `trust_policy_changed`: placeholder, replaced by the full detection.

use riposte_model::{Event, Finding};
use serde::Deserialize;

use crate::{Detector, Enabled};

pub const ID: &str = "trust_policy_changed";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct TrustPolicyChanged;

impl TrustPolicyChanged {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

impl Detector for TrustPolicyChanged {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, _event: &Event, _findings: &mut Vec<Finding>) {}
}

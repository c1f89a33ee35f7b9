//! `brute_force_success`: placeholder, replaced by the full detection.

use riposte_model::{Event, Finding};
use serde::Deserialize;

use crate::{Detector, Enabled};

pub const ID: &str = "brute_force_success";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct BruteForceSuccess;

impl BruteForceSuccess {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

impl Detector for BruteForceSuccess {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, _event: &Event, _findings: &mut Vec<Finding>) {}
}

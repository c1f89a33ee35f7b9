//! `privilege_grant`: placeholder, replaced by the full detection.

use riposte_model::{Event, Finding};
use serde::Deserialize;

use crate::{Detector, Enabled};

pub const ID: &str = "privilege_grant";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct PrivilegeGrant;

impl PrivilegeGrant {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

impl Detector for PrivilegeGrant {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, _event: &Event, _findings: &mut Vec<Finding>) {}
}

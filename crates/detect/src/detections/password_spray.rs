//! `password_spray`: placeholder, replaced by the full detection.

use riposte_model::{Event, Finding};
use serde::Deserialize;

use crate::{Detector, Enabled};

pub const ID: &str = "password_spray";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct PasswordSpray;

impl PasswordSpray {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

impl Detector for PasswordSpray {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, _event: &Event, _findings: &mut Vec<Finding>) {}
}

//! The built-in detections, one module each.

pub mod brute_force_success;
pub mod credential_for_other_identity;
pub mod impossible_travel;
pub mod mfa_fatigue;
pub mod password_spray;
pub mod privilege_grant;
pub mod provider_risk_detection;
pub mod session_replay;
pub mod trust_policy_changed;
pub mod workload_credential_misuse;

mod client;
mod state;
mod window;

use serde::Deserialize;

use crate::Detector;

pub(crate) use state::ExpiringMap;

/// Settings of every built-in detection: the `[detections]` table of the configuration file,
/// one sub-table per detection id. Every field has a documented default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionSettings {
    pub impossible_travel: impossible_travel::Settings,
    pub session_replay: session_replay::Settings,
    pub workload_credential_misuse: workload_credential_misuse::Settings,
    pub password_spray: password_spray::Settings,
    pub brute_force_success: brute_force_success::Settings,
    pub mfa_fatigue: mfa_fatigue::Settings,
    pub privilege_grant: privilege_grant::Settings,
    pub credential_for_other_identity: credential_for_other_identity::Settings,
    pub trust_policy_changed: trust_policy_changed::Settings,
    pub provider_risk_detection: provider_risk_detection::Settings,
}

/// Builds every enabled detection, in a fixed order so that findings come out in the same
/// order on every run.
pub(crate) fn build(settings: &DetectionSettings) -> Vec<Box<dyn Detector>> {
    let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
    if settings.impossible_travel.enabled.0 {
        detectors.push(Box::new(impossible_travel::ImpossibleTravel::new(
            &settings.impossible_travel,
        )));
    }
    if settings.session_replay.enabled.0 {
        detectors.push(Box::new(session_replay::SessionReplay::new(
            &settings.session_replay,
        )));
    }
    if settings.workload_credential_misuse.enabled.0 {
        detectors.push(Box::new(
            workload_credential_misuse::WorkloadCredentialMisuse::new(
                &settings.workload_credential_misuse,
            ),
        ));
    }
    if settings.password_spray.enabled.0 {
        detectors.push(Box::new(password_spray::PasswordSpray::new(
            &settings.password_spray,
        )));
    }
    if settings.brute_force_success.enabled.0 {
        detectors.push(Box::new(brute_force_success::BruteForceSuccess::new(
            &settings.brute_force_success,
        )));
    }
    if settings.mfa_fatigue.enabled.0 {
        detectors.push(Box::new(mfa_fatigue::MfaFatigue::new(
            &settings.mfa_fatigue,
        )));
    }
    if settings.privilege_grant.enabled.0 {
        detectors.push(Box::new(privilege_grant::PrivilegeGrant::new(
            &settings.privilege_grant,
        )));
    }
    if settings.credential_for_other_identity.enabled.0 {
        detectors.push(Box::new(
            credential_for_other_identity::CredentialForOtherIdentity::new(
                &settings.credential_for_other_identity,
            ),
        ));
    }
    if settings.trust_policy_changed.enabled.0 {
        detectors.push(Box::new(trust_policy_changed::TrustPolicyChanged::new(
            &settings.trust_policy_changed,
        )));
    }
    if settings.provider_risk_detection.enabled.0 {
        detectors.push(Box::new(
            provider_risk_detection::ProviderRiskDetection::new(&settings.provider_risk_detection),
        ));
    }
    detectors
}

//! The built-in detections, one module each.

pub mod api_novelty_for_workload;
pub mod brute_force_success;
pub mod credential_for_other_identity;
pub mod dormant_identity_active;
pub mod impossible_travel;
pub mod mfa_fatigue;
pub mod new_network_for_workload;
pub mod password_spray;
pub mod privilege_grant;
pub mod provider_risk_detection;
pub mod session_replay;
pub mod trust_policy_changed;
pub mod unfamiliar_signin;
pub mod workload_credential_misuse;

mod client;
mod state;
mod window;

use riposte_model::{CredentialKind, Event, Origin};
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
    pub unfamiliar_signin: unfamiliar_signin::Settings,
    pub new_network_for_workload: new_network_for_workload::Settings,
    pub api_novelty_for_workload: api_novelty_for_workload::Settings,
    pub dormant_identity_active: dormant_identity_active::Settings,
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
    if settings.unfamiliar_signin.enabled.0 {
        detectors.push(Box::new(unfamiliar_signin::UnfamiliarSignin::new(
            &settings.unfamiliar_signin,
        )));
    }
    if settings.new_network_for_workload.enabled.0 {
        detectors.push(Box::new(
            new_network_for_workload::NewNetworkForWorkload::new(
                &settings.new_network_for_workload,
            ),
        ));
    }
    if settings.api_novelty_for_workload.enabled.0 {
        detectors.push(Box::new(
            api_novelty_for_workload::ApiNoveltyForWorkload::new(
                &settings.api_novelty_for_workload,
            ),
        ));
    }
    if settings.dormant_identity_active.enabled.0 {
        detectors.push(Box::new(
            dormant_identity_active::DormantIdentityActive::new(&settings.dormant_identity_active),
        ));
    }
    detectors
}

/// Returns the actor of a change as explanations name it: an assumed-role session as
/// `role/session`, followed by the key and the address when the log states them, for example
/// `Engineering/alice@example.com (key ASIAEXAMPLE, from 198.51.100.23)`. The key and address
/// tell an analyst whether the change came from the person's own client.
pub(crate) fn describe_actor(event: &Event) -> String {
    let name = match &event.actor.role_session {
        Some(session) => format!("{}/{}", session.role_name, session.session_name),
        None => event.actor.display_name().to_owned(),
    };
    let mut details = Vec::new();
    if let (CredentialKind::LongLivedKey | CredentialKind::TemporaryKey, Some(key)) =
        (event.credential.kind, &event.credential.id)
    {
        details.push(format!("key {key}"));
    }
    if let Origin::Ip(address) = event.source.origin {
        details.push(format!("from {address}"));
    }
    if details.is_empty() {
        name
    } else {
        format!("{name} ({})", details.join(", "))
    }
}

/// Longest window any detection accepts: one year. Longer windows would keep state for
/// longer than any log retention and overflow time arithmetic near the end of the calendar.
pub const MAX_WINDOW_SECS: u64 = 366 * 24 * 3600;

/// Largest count threshold accepted.
const MAX_COUNT: usize = 1_000_000;

impl DetectionSettings {
    /// Returns one message per setting out of range, naming it by its path in the
    /// configuration file. Deserialization has already checked the types.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut window = |path: &str, value: u64| {
            if value == 0 || value > MAX_WINDOW_SECS {
                problems.push(format!(
                    "`detections.{path}` is {value}: expected between 1 and {MAX_WINDOW_SECS} seconds"
                ));
            }
        };
        window(
            "session_replay.idle_timeout_secs",
            self.session_replay.idle_timeout_secs,
        );
        window(
            "session_replay.max_lifetime_secs",
            self.session_replay.max_lifetime_secs,
        );
        window(
            "workload_credential_misuse.window_secs",
            self.workload_credential_misuse.window_secs,
        );
        window(
            "password_spray.window_secs",
            self.password_spray.window_secs,
        );
        window(
            "brute_force_success.window_secs",
            self.brute_force_success.window_secs,
        );
        window("mfa_fatigue.window_secs", self.mfa_fatigue.window_secs);
        window(
            "api_novelty_for_workload.window_secs",
            self.api_novelty_for_workload.window_secs,
        );

        let mut count = |path: &str, value: usize| {
            if value == 0 || value > MAX_COUNT {
                problems.push(format!(
                    "`detections.{path}` is {value}: expected between 1 and {MAX_COUNT}"
                ));
            }
        };
        count(
            "password_spray.min_distinct_identities",
            self.password_spray.min_distinct_identities,
        );
        count(
            "password_spray.min_distinct_identities_per_asn",
            self.password_spray.min_distinct_identities_per_asn,
        );
        count(
            "brute_force_success.min_failures",
            self.brute_force_success.min_failures,
        );
        count(
            "mfa_fatigue.min_rejected_pushes",
            self.mfa_fatigue.min_rejected_pushes,
        );

        let travel = &self.impossible_travel;
        if !(travel.max_speed_km_h.is_finite() && travel.max_speed_km_h > 0.0) {
            problems.push(format!(
                "`detections.impossible_travel.max_speed_km_h` is {}: expected a positive number",
                travel.max_speed_km_h
            ));
        }
        if !(travel.min_distance_km.is_finite() && travel.min_distance_km >= 0.0) {
            problems.push(format!(
                "`detections.impossible_travel.min_distance_km` is {}: expected zero or a positive number",
                travel.min_distance_km
            ));
        }

        let signin = &self.unfamiliar_signin;
        for (path, value) in [
            ("unfamiliar_signin.min_score", signin.min_score),
            ("unfamiliar_signin.high_score", signin.high_score),
        ] {
            if !(0.0..=1.0).contains(&value) {
                problems.push(format!(
                    "`detections.{path}` is {value}: expected a number from 0 to 1"
                ));
            }
        }
        if !(1..=MAX_NEW_SIGN_IN_FEATURES).contains(&signin.min_new_features) {
            problems.push(format!(
                "`detections.unfamiliar_signin.min_new_features` is {}: expected between 1 and {MAX_NEW_SIGN_IN_FEATURES}",
                signin.min_new_features
            ));
        }
        let dormant_after_days = self.dormant_identity_active.dormant_after_days;
        let max_days = dormant_identity_active::MAX_DORMANT_AFTER_DAYS;
        if !(1..=max_days).contains(&dormant_after_days) {
            problems.push(format!(
                "`detections.dormant_identity_active.dormant_after_days` is {dormant_after_days}: expected between 1 and {max_days} days"
            ));
        }
        problems
    }
}

/// Features `unfamiliar_signin` can count as new: country, network, client family, device.
const MAX_NEW_SIGN_IN_FEATURES: usize = 4;

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(DetectionSettings::default().validate().is_empty());
    }

    #[test]
    fn zero_thresholds_and_infinite_speed_are_reported() {
        let mut settings = DetectionSettings::default();
        settings.brute_force_success.min_failures = 0;
        settings.session_replay.max_lifetime_secs = 0;
        settings.impossible_travel.max_speed_km_h = f64::INFINITY;
        assert_eq!(
            settings.validate(),
            [
                "`detections.session_replay.max_lifetime_secs` is 0: expected between 1 and 31622400 seconds",
                "`detections.brute_force_success.min_failures` is 0: expected between 1 and 1000000",
                "`detections.impossible_travel.max_speed_km_h` is inf: expected a positive number",
            ]
        );
    }

    #[test]
    fn baseline_detection_settings_are_checked() {
        let mut settings = DetectionSettings::default();
        settings.unfamiliar_signin.min_score = 1.5;
        settings.unfamiliar_signin.high_score = f64::NAN;
        settings.unfamiliar_signin.min_new_features = 5;
        settings.api_novelty_for_workload.window_secs = 0;
        settings.dormant_identity_active.dormant_after_days = 0;
        assert_eq!(
            settings.validate(),
            [
                "`detections.api_novelty_for_workload.window_secs` is 0: expected between 1 and 31622400 seconds",
                "`detections.unfamiliar_signin.min_score` is 1.5: expected a number from 0 to 1",
                "`detections.unfamiliar_signin.high_score` is NaN: expected a number from 0 to 1",
                "`detections.unfamiliar_signin.min_new_features` is 5: expected between 1 and 4",
                "`detections.dormant_identity_active.dormant_after_days` is 0: expected between 1 and 3650 days",
            ]
        );
    }
}

//! Settings of the baselines: learning period, ageing, list sizes, cache size and the
//! weights of the assessments.

use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Feature;

/// Everything that shapes a baseline, read from the `[baseline]` table of the configuration.
///
/// Every field has a default, so an empty table gives [`BaselineSettings::default`].
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BaselineSettings {
    /// Days after the first event during which a baseline only learns. Default 14: two
    /// working weeks show the weekly rhythm of a person or a scheduled job.
    pub learning_days: u16,
    /// Successful authentications after which a baseline judges even before
    /// `learning_days` have passed. Default 10: enough sign-ins to have seen a person's usual
    /// devices and networks. 0 lets a baseline judge from its first event.
    pub learning_authentications: u32,
    /// Days after which a value not seen again leaves the baseline. Default 90: a quarter
    /// covers holidays and quarterly jobs while forgetting networks given up long ago.
    pub max_age_days: u16,
    /// Times a network must have been seen before its use lowers a score. Default 5.
    pub established_count: u16,
    /// Events a baseline must hold before an hour with no activity counts as unusual.
    /// Default 20: below that, most hours of a week are empty for anyone.
    pub unusual_hour_min_events: u32,
    /// Baselines held in memory by a [`crate::BaselineCache`]; colder ones stay in the store.
    /// Default 500,000: about 140 MiB resident at the 280 to 300 bytes per identity that
    /// the crate's benchmark measures with 20 events per identity.
    pub cache_capacity: NonZeroU32,
    /// Values kept per feature.
    pub caps: FeatureCaps,
    pub sign_in_weights: SignInWeights,
    pub workload_weights: WorkloadWeights,
}

const DEFAULT_CACHE_CAPACITY: NonZeroU32 = match NonZeroU32::new(500_000) {
    Some(capacity) => capacity,
    None => NonZeroU32::MIN,
};

impl Default for BaselineSettings {
    fn default() -> Self {
        Self {
            learning_days: 14,
            learning_authentications: 10,
            max_age_days: 90,
            established_count: 5,
            unusual_hour_min_events: 20,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            caps: FeatureCaps::default(),
            sign_in_weights: SignInWeights::default(),
            workload_weights: WorkloadWeights::default(),
        }
    }
}

/// The number of values a baseline keeps per feature. When a list is full, a new value
/// replaces the least recently seen one. 0 turns the feature off.
///
/// The defaults are sized for one person or one workload over `max_age_days`, each list
/// costing 8 bytes per value.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeatureCaps {
    /// Default 4: home, a holiday or two, a business trip.
    pub countries: u8,
    /// Default 4, as for countries.
    pub cities: u8,
    /// Default 6: home broadband, mobile carrier, office, VPN, with room to spare.
    pub asns: u8,
    /// Default 6 /24 or /48 prefixes, as for autonomous systems.
    pub prefixes: u8,
    /// Default 6 family and major version pairs: two or three clients, each seen across a
    /// browser's monthly major releases.
    pub user_agents: u8,
    /// Default 4: a laptop, a phone, a tablet, a replacement.
    pub devices: u8,
    /// Default 8 API services per workload; most call fewer than five.
    pub services: u8,
    /// Default 16 API operations per workload.
    pub operations: u8,
    /// Default 4 long-lived credentials per workload: the current key, its rotation
    /// successor and room for a second consumer.
    pub credentials: u8,
}

impl Default for FeatureCaps {
    fn default() -> Self {
        Self {
            countries: 4,
            cities: 4,
            asns: 6,
            prefixes: 6,
            user_agents: 6,
            devices: 4,
            services: 8,
            operations: 16,
            credentials: 4,
        }
    }
}

impl FeatureCaps {
    /// Returns the number of values kept for a feature.
    pub fn of(&self, feature: Feature) -> u8 {
        match feature {
            Feature::Country => self.countries,
            Feature::City => self.cities,
            Feature::Asn => self.asns,
            Feature::Prefix => self.prefixes,
            Feature::UserAgent => self.user_agents,
            Feature::Device => self.devices,
            Feature::Service => self.services,
            Feature::Operation => self.operations,
            Feature::Credential => self.credentials,
        }
    }
}

/// Weights of [`crate::Baseline::assess_sign_in`]. Positive weights are added for what is
/// new, negative ones for what is well known.
///
/// The defaults are judgement, not measurement: a new country is the strongest single sign
/// of another person, a new network next, and a new client or device weaker because people
/// change browsers and phones. A known managed device is strong evidence of the usual person.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInWeights {
    /// Default +0.35.
    pub new_country: f64,
    /// Default +0.25.
    pub new_asn: f64,
    /// Used only when the event has no autonomous system. Default +0.15.
    pub new_prefix: f64,
    /// Default +0.15.
    pub new_user_agent_family: f64,
    /// Default +0.15.
    pub new_device: f64,
    /// Default +0.10.
    pub unusual_hour: f64,
    /// Default -0.30.
    pub known_device: f64,
    /// For an autonomous system seen at least `established_count` times. Default -0.20.
    pub known_asn: f64,
}

impl Default for SignInWeights {
    fn default() -> Self {
        Self {
            new_country: 0.35,
            new_asn: 0.25,
            new_prefix: 0.15,
            new_user_agent_family: 0.15,
            new_device: 0.15,
            unusual_hour: 0.10,
            known_device: -0.30,
            known_asn: -0.20,
        }
    }
}

/// Weights of [`crate::Baseline::assess_workload_call`].
///
/// The defaults are judgement. A workload runs from a few fixed networks, so a new one is
/// the strongest sign of a leaked credential. New services and operations come with every
/// deployment, but discovery and credential-access calls are what an intruder makes first.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadWeights {
    /// Default +0.40.
    pub new_asn: f64,
    /// Used only when the event has no autonomous system. Default +0.30.
    pub new_prefix: f64,
    /// Default +0.20.
    pub new_service: f64,
    /// Default +0.10.
    pub new_operation: f64,
    /// Added to `new_operation` when the new operation is a discovery call (`iam:List*`,
    /// `sts:GetCallerIdentity`). Default +0.20.
    pub new_discovery_operation: f64,
    /// Added to `new_operation` when the new operation reads secrets or keys
    /// (`secretsmanager:GetSecretValue`, `kms:Decrypt`). Default +0.25.
    pub new_credential_access_operation: f64,
    /// Default +0.15.
    pub new_user_agent_family: f64,
    /// Default +0.10: new keys also appear at every rotation.
    pub new_credential: f64,
    /// For an autonomous system seen at least `established_count` times. Default -0.20.
    pub known_asn: f64,
}

impl Default for WorkloadWeights {
    fn default() -> Self {
        Self {
            new_asn: 0.40,
            new_prefix: 0.30,
            new_service: 0.20,
            new_operation: 0.10,
            new_discovery_operation: 0.20,
            new_credential_access_operation: 0.25,
            new_user_agent_family: 0.15,
            new_credential: 0.10,
            known_asn: -0.20,
        }
    }
}

/// A setting outside its valid range.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SettingsError {
    #[error("invalid baseline weight `{value}` in `{field}`: expected a number from -1 to 1")]
    Weight { field: &'static str, value: f64 },
}

impl BaselineSettings {
    /// Checks what serde cannot: every weight is a finite number from -1 to 1.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let sign_in = &self.sign_in_weights;
        let workload = &self.workload_weights;
        let weights = [
            ("sign_in_weights.new_country", sign_in.new_country),
            ("sign_in_weights.new_asn", sign_in.new_asn),
            ("sign_in_weights.new_prefix", sign_in.new_prefix),
            (
                "sign_in_weights.new_user_agent_family",
                sign_in.new_user_agent_family,
            ),
            ("sign_in_weights.new_device", sign_in.new_device),
            ("sign_in_weights.unusual_hour", sign_in.unusual_hour),
            ("sign_in_weights.known_device", sign_in.known_device),
            ("sign_in_weights.known_asn", sign_in.known_asn),
            ("workload_weights.new_asn", workload.new_asn),
            ("workload_weights.new_prefix", workload.new_prefix),
            ("workload_weights.new_service", workload.new_service),
            ("workload_weights.new_operation", workload.new_operation),
            (
                "workload_weights.new_discovery_operation",
                workload.new_discovery_operation,
            ),
            (
                "workload_weights.new_credential_access_operation",
                workload.new_credential_access_operation,
            ),
            (
                "workload_weights.new_user_agent_family",
                workload.new_user_agent_family,
            ),
            ("workload_weights.new_credential", workload.new_credential),
            ("workload_weights.known_asn", workload.known_asn),
        ];
        for (field, value) in weights {
            if !(-1.0..=1.0).contains(&value) {
                return Err(SettingsError::Weight { field, value });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_gives_defaults() {
        let settings: BaselineSettings = toml::from_str("").unwrap();
        assert_eq!(settings, BaselineSettings::default());
        assert_eq!(settings.learning_days, 14);
        assert_eq!(settings.learning_authentications, 10);
        assert_eq!(settings.max_age_days, 90);
        assert_eq!(settings.caps.of(Feature::Operation), 16);
    }

    #[test]
    fn partial_tables_keep_other_defaults() {
        let settings: BaselineSettings =
            toml::from_str("learning_days = 7\n[caps]\ncountries = 2\n").unwrap();
        assert_eq!(settings.learning_days, 7);
        assert_eq!(settings.caps.countries, 2);
        assert_eq!(settings.caps.asns, 6);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let error = toml::from_str::<BaselineSettings>("learning_day = 7").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `learning_day`"),
            "{error}"
        );
        let error = toml::from_str::<BaselineSettings>("[caps]\ncountry = 2").unwrap_err();
        assert!(
            error.to_string().contains("unknown field `country`"),
            "{error}"
        );
    }

    #[test]
    fn zero_cache_capacity_is_rejected() {
        assert!(toml::from_str::<BaselineSettings>("cache_capacity = 0").is_err());
    }

    #[test]
    fn weights_outside_range_are_rejected() {
        let mut settings = BaselineSettings::default();
        assert_eq!(settings.validate(), Ok(()));
        settings.workload_weights.new_service = 1.5;
        assert_eq!(
            settings.validate().unwrap_err().to_string(),
            "invalid baseline weight `1.5` in `workload_weights.new_service`: expected a number from -1 to 1"
        );
        settings.workload_weights.new_service = f64::NAN;
        assert!(settings.validate().is_err());
    }
}

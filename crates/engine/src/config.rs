//! The configuration file (`--config FILE`, TOML).
//!
//! Every table and field is optional and has a documented default. Unknown tables and fields
//! are rejected, so that a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use riposte_detect::DetectionSettings;
use riposte_enrich::NetworkSettings;
use riposte_incident::IncidentSettings;
use serde::Deserialize;

use crate::order::OrderingSettings;

/// The whole configuration, as read from the file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Declared corporate egress and VPN ranges.
    pub networks: NetworkSettings,
    /// Per-detection switches and thresholds.
    pub detections: DetectionSettings,
    /// Grouping of findings into incidents.
    pub incidents: IncidentSettings,
    /// Tolerance for events that arrive out of order.
    pub ordering: OrderingSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file `{path}`: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration file `{path}`: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses configuration text; the error is the parser's message with line and column.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|error| error.to_string().trim_end().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let config = Config::parse("").unwrap();
        assert_eq!(config.detections.impossible_travel.max_speed_km_h, 900.0);
        assert_eq!(config.incidents.window_secs, 86_400);
        assert_eq!(config.ordering.max_lateness_secs, 900);
    }

    #[test]
    fn thresholds_and_ranges_are_read() {
        let config = Config::parse(
            "[networks]\ncorporate_egress = [\"198.51.100.0/28\"]\nvpn = [\"192.0.2.0/26\"]\n\
             [detections.impossible_travel]\nmax_speed_km_h = 1000\n\
             [detections.session_replay]\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(config.detections.impossible_travel.max_speed_km_h, 1000.0);
        assert!(!config.detections.session_replay.enabled.0);
        assert_eq!(config.networks.vpn.len(), 1);
    }

    #[test]
    fn unknown_field_is_rejected_with_its_line() {
        let message =
            Config::parse("[detections.impossible_travel]\nmax_speed = 10\n").unwrap_err();
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("unknown field `max_speed`"), "{message}");
    }

    #[test]
    fn invalid_range_is_rejected() {
        let message = Config::parse("[networks]\nvpn = [\"192.0.2.0/99\"]\n").unwrap_err();
        assert!(message.contains("line 2"), "{message}");
    }
}

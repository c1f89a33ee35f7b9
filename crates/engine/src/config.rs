//! The configuration file (`--config FILE`, TOML).
//!
//! Every table and field is optional and has a documented default. Unknown tables and fields
//! are rejected, so that a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use riposte_baseline::BaselineSettings;
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
    /// Learning period, sizes and weights of the per-identity baselines.
    pub baselines: BaselineSettings,
    /// Grouping of findings into incidents.
    pub incidents: IncidentSettings,
    /// Tolerance for events that arrive out of order.
    pub ordering: OrderingSettings,
    /// How often a hunt with `--state` saves its progress.
    pub state: StateSettings,
    /// Approvals and the circuit breaker of containment.
    pub response: riposte_respond::ResponseSettings,
    /// The provider connectors `riposte respond` carries actions out with.
    pub connectors: riposte_respond::ConnectorSettings,
}

/// The `[state]` table of the configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSettings {
    /// Records read between two commits of the state file. A crash loses at most this much
    /// work, which the next run reads again. Each commit also puts every buffered event in
    /// order first, so events that arrive later than a commit are counted as late.
    pub commit_interval_records: u64,
}

impl Default for StateSettings {
    fn default() -> Self {
        Self {
            commit_interval_records: 250_000,
        }
    }
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
    #[error("invalid configuration file `{path}`: {}", problems.join("; "))]
    OutOfRange {
        path: PathBuf,
        problems: Vec<String>,
    },
}

/// Largest configuration file read. Real files are a few KiB; the limit keeps a mistaken path
/// such as `/dev/zero` from filling memory.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Longest event-time window of the incident and ordering settings: one year.
const MAX_WINDOW_SECS: u64 = riposte_detect::detections::MAX_WINDOW_SECS;

/// Largest reorder buffer accepted, in events.
const MAX_BUFFERED_EVENTS: usize = 10_000_000;

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read_small_file(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        let problems = config.validate();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::OutOfRange {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// Returns one message per setting out of range.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = self.detections.validate();
        if let Err(error) = self.baselines.validate() {
            problems.push(error.to_string());
        }
        let window = self.incidents.window_secs;
        if window == 0 || window > MAX_WINDOW_SECS {
            problems.push(format!(
                "`incidents.window_secs` is {window}: expected between 1 and {MAX_WINDOW_SECS} seconds"
            ));
        }
        let lateness = self.ordering.max_lateness_secs;
        if lateness > MAX_WINDOW_SECS {
            problems.push(format!(
                "`ordering.max_lateness_secs` is {lateness}: expected at most {MAX_WINDOW_SECS} seconds"
            ));
        }
        if self.state.commit_interval_records == 0 {
            problems.push(
                "`state.commit_interval_records` is 0: expected at least 1 record between commits"
                    .to_owned(),
            );
        }
        problems.extend(self.response.validate());
        if let Some(aws) = &self.connectors.aws {
            if let Err(error) = aws.validate() {
                problems.push(error.to_string());
            }
        }
        let buffered = self.ordering.max_buffered_events;
        if buffered == 0 || buffered > MAX_BUFFERED_EVENTS {
            problems.push(format!(
                "`ordering.max_buffered_events` is {buffered}: expected between 1 and {MAX_BUFFERED_EVENTS}"
            ));
        }
        problems
    }

    /// Parses configuration text; the error is the parser's message with line and column, and
    /// the table the error is in.
    pub fn parse(text: &str) -> Result<Self, String> {
        // The message leaves out the source line that the TOML error quotes by default, because
        // that line may hold a secret, such as a misspelt `token = "..."`.
        toml::from_str(text).map_err(|error| {
            let message = error.message().trim_end();
            match error.span() {
                Some(span) => {
                    let before = text.get(..span.start).unwrap_or(text);
                    let line = before.matches('\n').count() + 1;
                    let column = before
                        .rsplit('\n')
                        .next()
                        .map_or(1, |start| start.chars().count() + 1);
                    let table = enclosing_table(before)
                        .map(|table| format!(" (in `{table}`)"))
                        .unwrap_or_default();
                    format!("line {line}, column {column}: {message}{table}")
                }
                None => message.to_owned(),
            }
        })
    }
}

/// Returns the header of the table an error at the end of `before` is in, such as
/// `[connectors.okta]`: the nearest earlier line that starts with `[`. Returns `None` at the
/// top level and for an error in a header line, which shows its table itself.
// NOTE: a line of a multi-line array or string that starts with `[` is taken for a header.
fn enclosing_table(before: &str) -> Option<&str> {
    let (complete_lines, current_line) = before.rsplit_once('\n').unwrap_or(("", before));
    if current_line.trim_start().starts_with('[') {
        return None;
    }
    let header = complete_lines
        .lines()
        .rev()
        .map(str::trim_start)
        .find(|line| line.starts_with('['))?;
    let end = if header.starts_with("[[") {
        header.find("]]").map(|index| index + 2)
    } else {
        header.find(']').map(|index| index + 1)
    };
    Some(end.and_then(|end| header.get(..end)).unwrap_or(header))
}

/// Reads a regular file of at most [`MAX_CONFIG_BYTES`] as UTF-8 text.
fn read_small_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;

    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CONFIG_BYTES} bytes"),
        ));
    }
    Ok(text)
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
    fn zero_commit_interval_is_rejected() {
        let config = Config::parse("[state]\ncommit_interval_records = 0\n").unwrap();
        assert_eq!(
            config.validate(),
            ["`state.commit_interval_records` is 0: expected at least 1 record between commits"]
        );
    }

    #[test]
    fn connectors_are_read_and_checked() {
        let config = Config::parse(
            "[connectors.okta]\norg_url = \"https://example.okta.com\"\n\
             [connectors.aws]\nregion = \"eu-west-1\"\n",
        )
        .unwrap();
        assert!(config.connectors.okta.is_some());
        assert!(config.connectors.entra.is_none());
        assert!(config.validate().is_empty(), "{:?}", config.validate());

        let config = Config::parse("[connectors.aws]\nregion = \"EU West\"\n").unwrap();
        let problems = config.validate();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("invalid region `EU West`"),
            "{problems:?}"
        );

        let message = Config::parse(
            "[connectors.okta]\norg_url = \"https://example.okta.com\"\napi_token = \"x\"\n",
        )
        .unwrap_err();
        assert!(message.contains("unknown field `api_token`"), "{message}");
        assert!(message.starts_with("line 3, column 1: "), "{message}");
        assert!(message.ends_with(" (in `[connectors.okta]`)"), "{message}");
        assert!(
            !message.contains("\"x\""),
            "the value is left out: {message}"
        );
    }

    #[test]
    fn error_names_its_table() {
        let message = Config::parse(
            "[connectors.webhook] # the chat channel\nurl_env = \"HOOK\"\n\n\
             [connectors.okta]\norg_url = \"https://example.okta.com\"\n  tokne = \"x\"\n",
        )
        .unwrap_err();
        assert!(
            message.starts_with("line 6, column 3: unknown field `tokne`"),
            "{message}"
        );
        assert!(message.ends_with(" (in `[connectors.okta]`)"), "{message}");

        let message = Config::parse("[connectors.slack]\nurl = \"x\"\n").unwrap_err();
        assert!(
            message.starts_with("line 1, column 13: unknown field `slack`"),
            "{message}"
        );
        assert!(!message.contains("(in "), "{message}");

        let message = Config::parse("speed = 1\n").unwrap_err();
        assert!(!message.contains("(in "), "{message}");
    }

    #[test]
    fn unknown_field_is_rejected_with_its_line() {
        let message =
            Config::parse("[detections.impossible_travel]\nmax_speed = 10\n").unwrap_err();
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("unknown field `max_speed`"), "{message}");
    }

    #[test]
    fn out_of_range_values_are_listed() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("riposte.toml");
        std::fs::write(
            &path,
            "[incidents]\nwindow_secs = 9223372036854776\n[detections.mfa_fatigue]\nmin_rejected_pushes = 0\n",
        )
        .unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "invalid configuration file `{}`: `detections.mfa_fatigue.min_rejected_pushes` is 0: \
                 expected between 1 and 1000000; `incidents.window_secs` is 9223372036854776: \
                 expected between 1 and 31622400 seconds",
                path.display()
            )
        );
    }

    #[test]
    fn special_files_are_not_read() {
        let error = Config::load(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "cannot read configuration file `/dev/zero`: not a regular file"
        );
    }

    #[test]
    fn invalid_range_is_rejected() {
        let message = Config::parse("[networks]\nvpn = [\"192.0.2.0/99\"]\n").unwrap_err();
        assert!(message.contains("line 2"), "{message}");
    }
}

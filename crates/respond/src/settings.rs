use chrono::TimeDelta;
use riposte_action::{Action, ActionRequest};
use serde::Deserialize;

use crate::seconds;

/// The `[response]` table of the configuration file.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseSettings {
    /// Time a person has to approve an action before the approval expires and the action is
    /// not taken, in seconds. Default 3,600: an hour is long enough to reach an on-call
    /// engineer and short enough that a stale containment is not applied hours later.
    pub approval_timeout_secs: u64,
    /// Who is told when an approval times out: an e-mail address or a channel name.
    pub escalation: String,
    pub breaker: BreakerSettings,
}

impl Default for ResponseSettings {
    fn default() -> Self {
        Self {
            approval_timeout_secs: 3600,
            escalation: "security-on-call".to_owned(),
            breaker: BreakerSettings::default(),
        }
    }
}

impl ResponseSettings {
    pub fn approval_timeout(&self) -> TimeDelta {
        seconds(self.approval_timeout_secs)
    }

    /// Returns when a time-limited action must be reverted after its execution.
    pub fn revert_after(&self, request: &ActionRequest) -> Option<TimeDelta> {
        match &request.action {
            Action::NarrowPolicy { duration_secs, .. } => Some(seconds(*duration_secs)),
            _ => None,
        }
    }

    /// Returns one message per setting out of range.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.approval_timeout_secs == 0 || self.approval_timeout_secs > 30 * 86_400 {
            problems.push(format!(
                "`response.approval_timeout_secs` is {}: expected between 1 and 2592000 seconds",
                self.approval_timeout_secs
            ));
        }
        if self.breaker.window_secs == 0 || self.breaker.window_secs > 30 * 86_400 {
            problems.push(format!(
                "`response.breaker.window_secs` is {}: expected between 1 and 2592000 seconds",
                self.breaker.window_secs
            ));
        }
        problems
    }
}

/// The circuit breaker's limits on automatic actions.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerSettings {
    /// Length of the window the limits count over, in seconds. Default 3,600.
    pub window_secs: u64,
    /// Automatic actions allowed in a window, of all kinds. Default 20: a burst larger than
    /// that is more likely a detection gone wrong than twenty real compromises in an hour.
    pub max_automatic: u64,
    /// Automatic actions of one kind allowed in a window. Default 10.
    pub max_per_kind: u64,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            window_secs: 3600,
            max_automatic: 20,
            max_per_kind: 10,
        }
    }
}

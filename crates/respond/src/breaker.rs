//! The circuit breaker: a limit on automatic actions per window, overall and per action kind.
//! When it trips, further actions wait for a person's approval; the trip is audited and
//! reported. It counts from the store, so the limit holds across runs.

use riposte_model::Timestamp;
use riposte_store::{ActionRecord, Store};

use crate::{BreakerSettings, RespondError, seconds};

/// Whether an automatic action may go ahead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreakerVerdict {
    Allow,
    Trip { reason: String },
}

/// The limits of a run. Each allowed action starts executing before the next check, so the
/// store's count always includes it.
pub struct Breaker {
    settings: BreakerSettings,
}

impl Breaker {
    pub fn new(settings: BreakerSettings) -> Self {
        Self { settings }
    }

    /// Checks one automatic action against the limits.
    pub fn check(
        &self,
        store: &Store,
        action: &ActionRecord,
        now: Timestamp,
    ) -> Result<BreakerVerdict, RespondError> {
        let since = now - seconds(self.settings.window_secs);
        let overall = store.automatic_executions_since(since, None)?;
        let same_kind = store.automatic_executions_since(since, Some(&action.kind))?;
        if overall >= self.settings.max_automatic {
            return Ok(BreakerVerdict::Trip {
                reason: format!(
                    "{overall} automatic actions in the last {} s reached the limit of {}",
                    self.settings.window_secs, self.settings.max_automatic
                ),
            });
        }
        if same_kind >= self.settings.max_per_kind {
            return Ok(BreakerVerdict::Trip {
                reason: format!(
                    "{same_kind} automatic `{}` actions in the last {} s reached the limit of {}",
                    action.kind, self.settings.window_secs, self.settings.max_per_kind
                ),
            });
        }
        Ok(BreakerVerdict::Allow)
    }
}

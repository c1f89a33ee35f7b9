//! The facts an execution keeps for verifying and reverting it, in `Execution::revert_data`.

use chrono::{DateTime, Utc};
use riposte_action::{ActionError, ActionRequest, Execution, System};
use serde_json::{Map, Value};

/// Builds the revert data of one execution.
#[derive(Debug, Default)]
pub(crate) struct RevertData {
    fields: Map<String, Value>,
}

impl RevertData {
    pub(crate) fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_owned(), value.into());
    }

    pub(crate) fn into_execution(self) -> Execution {
        Execution {
            revert_data: self.fields,
        }
    }
}

/// Returns an RFC 3339 time stored by `execute` under `key`.
pub(crate) fn time(
    request: &ActionRequest,
    execution: &Execution,
    key: &str,
) -> Result<DateTime<Utc>, ActionError> {
    let value = execution.revert_data.get(key).and_then(Value::as_str);
    value
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc))
        .ok_or_else(|| {
            let found = value.map_or_else(|| "nothing".to_owned(), |text| format!("`{text}`"));
            ActionError::Configuration {
                system: System::Aws,
                message: format!(
                    "invalid execution record of `{}` on `{}`: expected an RFC 3339 time in \
                     `{key}`, found {found}",
                    request.action.kind(),
                    request.action.target()
                ),
            }
        })
}

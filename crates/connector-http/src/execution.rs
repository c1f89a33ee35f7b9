//! Facts an execution keeps for verifying it later.

use riposte_action::Execution;
use serde_json::Value;

/// The key of the HTTP status of the call that carried the action out.
const STATUS: &str = "status";

/// Returns an execution record holding the status of the executing call.
pub(crate) fn with_status(status: u16) -> Execution {
    let mut execution = Execution::default();
    execution
        .revert_data
        .insert(STATUS.to_owned(), Value::from(status));
    execution
}

/// Returns the status recorded by [`with_status`], when it is a success status.
pub(crate) fn recorded_status(execution: &Execution) -> Option<u16> {
    execution
        .revert_data
        .get(STATUS)
        .and_then(Value::as_u64)
        .and_then(|status| u16::try_from(status).ok())
        .filter(|status| (200..300).contains(status))
}

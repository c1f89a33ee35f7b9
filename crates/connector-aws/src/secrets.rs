//! Rotating a Secrets Manager secret.
//!
//! Rotation runs the secret's rotation function, which makes a new credential at its source
//! and stores it as the new `AWSCURRENT` version. Without a rotation function there is no new
//! value to rotate to, so AWS rejects RotateSecret. The connector never writes a value of its
//! own with PutSecretValue.

use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use chrono::{DateTime, Utc};
use riposte_action::{ActionError, ActionRequest, CallLog, Execution, Verification};
use serde_json::Value;

use crate::call::{FailureKind, record};
use crate::plan;
use crate::policy::format_time;
use crate::revert_data::{self, RevertData};

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";

/// Calls the Secrets Manager API for the connector.
pub(crate) struct Secrets<'a> {
    pub(crate) client: &'a aws_sdk_secretsmanager::Client,
}

impl Secrets<'_> {
    async fn describe(
        &self,
        secret_id: &str,
        log: &mut CallLog,
    ) -> Result<DescribeSecretOutput, ActionError> {
        let call = plan::describe_secret(secret_id);
        let output = record(&call, log, |probe| {
            self.client
                .describe_secret()
                .secret_id(secret_id)
                .customize()
                .interceptor(probe)
                .send()
        })
        .await?;
        Ok(output)
    }

    /// Starts a rotation with the request's idempotency token, keeping the version that was
    /// `AWSCURRENT` before it.
    pub(crate) async fn rotate(
        &self,
        request: &ActionRequest,
        secret_id: &str,
        now: DateTime<Utc>,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let before = self.describe(secret_id, log).await?;
        let has_function = before
            .rotation_lambda_arn()
            .is_some_and(|arn| !arn.is_empty());
        let token = plan::rotation_token(request);

        let call = plan::rotate_secret(secret_id, &token);
        let rotated = record(&call, log, |probe| {
            self.client
                .rotate_secret()
                .secret_id(secret_id)
                .client_request_token(&token)
                .rotate_immediately(true)
                .customize()
                .interceptor(probe)
                .send()
        })
        .await;
        let output = match rotated {
            Ok(output) => output,
            Err(failure) if failure.kind == FailureKind::Service && !has_function => {
                let mut error = ActionError::from(failure);
                if let ActionError::Rejected { message, .. } = &mut error {
                    message.push_str(&format!(
                        " (secret `{secret_id}` has no rotation function: configure rotation \
                         for it, or replace its value at the source and in Secrets Manager by \
                         hand)"
                    ));
                }
                return Err(error);
            }
            Err(failure) => return Err(failure.into()),
        };

        let mut data = RevertData::default();
        data.set("version_id", output.version_id().unwrap_or(&token));
        if let Some(previous) = current_version(&before) {
            data.set("previous_version_id", previous);
        }
        data.set("requested_at", format_time(now));
        Ok(data.into_execution())
    }

    pub(crate) async fn verify_rotation(
        &self,
        request: &ActionRequest,
        secret_id: &str,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let requested_at = revert_data::time(request, execution, "requested_at")?;
        let version = execution
            .revert_data
            .get("version_id")
            .and_then(Value::as_str);
        let previous = execution
            .revert_data
            .get("previous_version_id")
            .and_then(Value::as_str);

        let after = self.describe(secret_id, log).await?;
        let last_rotated = after
            .last_rotated_date()
            .and_then(|date| DateTime::from_timestamp(date.secs(), date.subsec_nanos()));
        let rotated_text = last_rotated.map_or_else(
            || "never rotated".to_owned(),
            |time| format!("last rotated {}", format_time(time)),
        );
        let stages = version.and_then(|version| {
            after
                .version_ids_to_stages()
                .and_then(|versions| versions.get(version))
        });
        let has_stage =
            |stage: &str| stages.is_some_and(|stages| stages.iter().any(|s| s == stage));
        let current = current_version(&after);

        if has_stage(CURRENT) {
            return Ok(Verification::Confirmed(format!(
                "version `{}` of secret `{secret_id}` is {CURRENT}, {rotated_text}",
                version.unwrap_or_default()
            )));
        }
        if has_stage(PENDING) {
            return Ok(Verification::NotConfirmed(format!(
                "rotation of secret `{secret_id}` is in progress: version `{}` is {PENDING}",
                version.unwrap_or_default()
            )));
        }
        // A version id other than the token, such as from a rotation started elsewhere, still
        // counts when a new version became current after the request.
        let newer = last_rotated.is_some_and(|time| time >= requested_at);
        match current {
            Some(current) if newer && Some(current) != previous => {
                Ok(Verification::Confirmed(format!(
                    "secret `{secret_id}` has a new {CURRENT} version `{current}`, {rotated_text}"
                )))
            }
            Some(current) => Ok(Verification::NotConfirmed(format!(
                "{CURRENT} of secret `{secret_id}` is still version `{current}`, {rotated_text}"
            ))),
            None => Ok(Verification::NotConfirmed(format!(
                "secret `{secret_id}` has no {CURRENT} version, {rotated_text}"
            ))),
        }
    }
}

fn current_version(secret: &DescribeSecretOutput) -> Option<&str> {
    secret
        .version_ids_to_stages()?
        .iter()
        .find(|(_, stages)| stages.iter().any(|stage| stage == CURRENT))
        .map(|(version, _)| version.as_str())
}

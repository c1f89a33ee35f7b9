//! Carries out AWS containment actions (IAM and Secrets Manager) through the AWS SDK for Rust.
//!
//! | action | execute | verify | revert |
//! |---|---|---|---|
//! | `revoke_role_sessions` | GetRolePolicy, PutRolePolicy `AWSRevokeOlderSessions` | GetRolePolicy | DeleteRolePolicy, or PutRolePolicy of the earlier revocation |
//! | `deactivate_access_key` | ListAccessKeys, UpdateAccessKey `Inactive` | ListAccessKeys | UpdateAccessKey `Active`, unless the key was inactive before |
//! | `delete_login_profile` | DeleteLoginProfile (GetUser on `NoSuchEntity`) | GetLoginProfile | not revertible |
//! | `narrow_policy` | PutRolePolicy or PutUserPolicy `RiposteNarrowing-…` | GetRolePolicy or GetUserPolicy | DeleteRolePolicy or DeleteUserPolicy |
//! | `rotate_secret` | DescribeSecret, RotateSecret | DescribeSecret | not revertible |
//!
//! Connectors built from [`AwsSettings`] send every call through the SDK's standard retry
//! mode with [`MAX_ATTEMPTS`] attempts: exponential backoff with jitter on throttling, HTTP
//! 5xx responses, timeouts and connection failures. Every call is recorded in the [`CallLog`]
//! with its HTTP status, duration and attempt count, and errors map to [`ActionError`]:
//!
//! - an AWS error answer: `Rejected`, with the AWS error code and message;
//! - throttling that outlasts the retries: `RateLimited`;
//! - connection failures, timeouts and malformed responses: `Transport`;
//! - a request never sent because it cannot be built or no credentials were found:
//!   `Configuration`.

mod call;
mod iam;
mod plan;
mod policy;
mod revert_data;
mod secrets;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;

use std::fmt;

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use riposte_action::{
    Action, ActionError, ActionRequest, ApiCall, CallLog, Connector, Execution, System,
    Verification,
};

pub use plan::EXECUTION_TIME;
pub use policy::{NARROWING_POLICY_PREFIX, REVOKE_POLICY_NAME};
pub use settings::{AwsSettings, MAX_ATTEMPTS};

use crate::iam::Iam;
use crate::policy::NarrowingDocument;
use crate::secrets::Secrets;

/// The AWS account and principal whose credentials the connector uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
}

/// Carries out [`System::Aws`] actions with the IAM, Secrets Manager and STS clients.
#[derive(Clone)]
pub struct AwsConnector {
    iam: aws_sdk_iam::Client,
    secrets: aws_sdk_secretsmanager::Client,
    sts: aws_sdk_sts::Client,
}

impl fmt::Debug for AwsConnector {
    /// Prints no configuration, so that nothing credential-related reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsConnector").finish_non_exhaustive()
    }
}

impl AwsConnector {
    /// Validates the settings and loads the SDK configuration: region, endpoint and profile
    /// from the settings, credentials from the standard chain. The chain is only asked for
    /// credentials at the first call.
    pub async fn new(settings: &AwsSettings) -> Result<Self, ActionError> {
        settings.validate()?;
        let config = settings.config_loader().load().await;
        Ok(Self::from_sdk_config(&config))
    }

    /// Builds the clients from a loaded SDK configuration as it is, retry and timeout
    /// settings included; [`AwsSettings::config_loader`] makes one with the connector's.
    pub fn from_sdk_config(config: &SdkConfig) -> Self {
        Self {
            iam: aws_sdk_iam::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
        }
    }

    /// Asks STS whose credentials the connector uses (GetCallerIdentity needs no permission),
    /// to check the configuration before any action.
    pub async fn caller_identity(&self, log: &mut CallLog) -> Result<CallerIdentity, ActionError> {
        let call = plan::get_caller_identity();
        let output = call::record(&call, log, |probe| {
            self.sts
                .get_caller_identity()
                .customize()
                .interceptor(probe)
                .send()
        })
        .await?;
        Ok(CallerIdentity {
            account: output.account().unwrap_or_default().to_owned(),
            arn: output.arn().unwrap_or_default().to_owned(),
        })
    }

    fn iam(&self) -> Iam<'_> {
        Iam { client: &self.iam }
    }

    fn secrets(&self) -> Secrets<'_> {
        Secrets {
            client: &self.secrets,
        }
    }
}

/// Returns when the narrowing recorded in `execution` stops applying, if it is one.
pub fn narrowing_expiry(execution: &Execution) -> Option<DateTime<Utc>> {
    let policy_name = execution.revert_data.get("policy_name")?.as_str()?;
    if !policy_name.starts_with(NARROWING_POLICY_PREFIX) {
        return None;
    }
    let expires_at = execution.revert_data.get("expires_at")?.as_str()?;
    DateTime::parse_from_rfc3339(expires_at)
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// Returns true when the narrowing recorded in `execution` no longer applies at `now`, so the
/// engine can revert it to remove the inline policy. False for any other execution.
pub fn expired(execution: &Execution, now: DateTime<Utc>) -> bool {
    narrowing_expiry(execution).is_some_and(|expiry| expiry <= now)
}

fn unsupported(action: &Action) -> ActionError {
    ActionError::Unsupported {
        system: System::Aws,
        action: action.kind(),
    }
}

fn narrowing_of(request: &ActionRequest) -> Result<Option<NarrowingDocument>, ActionError> {
    match &request.action {
        Action::NarrowPolicy {
            deny_actions,
            duration_secs,
            ..
        } => NarrowingDocument::new(request, deny_actions, *duration_secs).map(Some),
        _ => Ok(None),
    }
}

#[async_trait::async_trait]
impl Connector for AwsConnector {
    fn system(&self) -> System {
        System::Aws
    }

    fn plan(&self, request: &ActionRequest) -> Result<Vec<ApiCall>, ActionError> {
        let calls = plan::plan(request)?;
        Ok(calls.iter().map(plan::AwsCall::api_call).collect())
    }

    async fn execute(
        &self,
        request: &ActionRequest,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let now = Utc::now();
        let narrowing = narrowing_of(request)?;
        match (&request.action, narrowing) {
            (Action::RevokeRoleSessions { role_name }, _) => {
                self.iam().revoke_role_sessions(role_name, now, log).await
            }
            (
                Action::DeactivateAccessKey {
                    user_name,
                    access_key_id,
                },
                _,
            ) => {
                self.iam()
                    .deactivate_access_key(user_name, access_key_id, log)
                    .await
            }
            (Action::DeleteLoginProfile { user_name }, _) => {
                self.iam().delete_login_profile(user_name, log).await
            }
            (Action::NarrowPolicy { principal, .. }, Some(narrowing)) => {
                self.iam()
                    .narrow_policy(principal, &narrowing, now, log)
                    .await
            }
            (Action::RotateSecret { secret_id }, _) => {
                self.secrets().rotate(request, secret_id, now, log).await
            }
            (other, _) => Err(unsupported(other)),
        }
    }

    async fn verify(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let narrowing = narrowing_of(request)?;
        match (&request.action, narrowing) {
            (Action::RevokeRoleSessions { role_name }, _) => {
                self.iam()
                    .verify_revocation(request, role_name, execution, log)
                    .await
            }
            (
                Action::DeactivateAccessKey {
                    user_name,
                    access_key_id,
                },
                _,
            ) => {
                self.iam()
                    .verify_access_key(user_name, access_key_id, log)
                    .await
            }
            (Action::DeleteLoginProfile { user_name }, _) => {
                self.iam().verify_login_profile(user_name, log).await
            }
            (Action::NarrowPolicy { principal, .. }, Some(narrowing)) => {
                self.iam()
                    .verify_narrowing(request, principal, &narrowing, execution, Utc::now(), log)
                    .await
            }
            (Action::RotateSecret { secret_id }, _) => {
                self.secrets()
                    .verify_rotation(request, secret_id, execution, log)
                    .await
            }
            (other, _) => Err(unsupported(other)),
        }
    }

    async fn revert(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        let narrowing = narrowing_of(request)?;
        match (&request.action, narrowing) {
            (Action::RevokeRoleSessions { role_name }, _) => {
                self.iam()
                    .revert_revocation(role_name, execution, log)
                    .await
            }
            (
                Action::DeactivateAccessKey {
                    user_name,
                    access_key_id,
                },
                _,
            ) => {
                self.iam()
                    .revert_access_key(user_name, access_key_id, execution, log)
                    .await
            }
            (action @ Action::DeleteLoginProfile { .. }, _) => Err(ActionError::NotRevertible {
                action: action.kind(),
                reason: "the console password is deleted and AWS keeps no copy; create a new \
                         login profile to give the user console access again"
                    .to_owned(),
            }),
            (Action::NarrowPolicy { principal, .. }, Some(narrowing)) => {
                self.iam()
                    .remove_narrowing(principal, &narrowing, log)
                    .await
            }
            (action @ Action::RotateSecret { .. }, _) => Err(ActionError::NotRevertible {
                action: action.kind(),
                reason: "the rotation function replaced the credential at its source; moving \
                         the AWSCURRENT label back would not bring the old credential back"
                    .to_owned(),
            }),
            (other, _) => Err(unsupported(other)),
        }
    }
}

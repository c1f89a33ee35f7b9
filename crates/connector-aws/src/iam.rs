//! The IAM actions: revoking a role's sessions, deactivating an access key, deleting a login
//! profile, and time-limited policy narrowing.

use aws_sdk_iam::types::StatusType;
use chrono::{DateTime, Utc};
use riposte_action::{ActionError, ActionRequest, AwsPrincipal, CallLog, Execution, Verification};
use serde_json::Value;

use crate::call::{CallFailure, record};
use crate::plan;
use crate::policy::{self, NarrowingDocument, REVOKE_POLICY_NAME};
use crate::revert_data::{self, RevertData};

const NO_SUCH_ENTITY: &str = "NoSuchEntity";

/// Calls the IAM API for the connector.
pub(crate) struct Iam<'a> {
    pub(crate) client: &'a aws_sdk_iam::Client,
}

impl Iam<'_> {
    /// Reads an inline policy of a role or user; `None` when IAM has no such policy.
    async fn read_policy(
        &self,
        principal: &AwsPrincipal,
        policy_name: &str,
        log: &mut CallLog,
    ) -> Result<Option<String>, CallFailure> {
        let call = plan::get_principal_policy(principal, policy_name);
        let document = match principal {
            AwsPrincipal::Role(role) => record(&call, log, |probe| {
                self.client
                    .get_role_policy()
                    .role_name(role)
                    .policy_name(policy_name)
                    .customize()
                    .interceptor(probe)
                    .send()
            })
            .await
            .map(|output| output.policy_document().to_owned()),
            AwsPrincipal::User(user) => record(&call, log, |probe| {
                self.client
                    .get_user_policy()
                    .user_name(user)
                    .policy_name(policy_name)
                    .customize()
                    .interceptor(probe)
                    .send()
            })
            .await
            .map(|output| output.policy_document().to_owned()),
        };
        match document {
            Ok(document) => Ok(Some(document)),
            Err(failure) if failure.has_code(NO_SUCH_ENTITY) => Ok(None),
            Err(failure) => Err(failure),
        }
    }

    async fn put_policy(
        &self,
        principal: &AwsPrincipal,
        policy_name: &str,
        document: &str,
        log: &mut CallLog,
    ) -> Result<(), CallFailure> {
        let call = plan::put_principal_policy(principal, policy_name, document);
        match principal {
            AwsPrincipal::Role(role) => record(&call, log, |probe| {
                self.client
                    .put_role_policy()
                    .role_name(role)
                    .policy_name(policy_name)
                    .policy_document(document)
                    .customize()
                    .interceptor(probe)
                    .send()
            })
            .await
            .map(drop),
            AwsPrincipal::User(user) => record(&call, log, |probe| {
                self.client
                    .put_user_policy()
                    .user_name(user)
                    .policy_name(policy_name)
                    .policy_document(document)
                    .customize()
                    .interceptor(probe)
                    .send()
            })
            .await
            .map(drop),
        }
    }

    /// Deletes an inline policy; a policy already gone counts as deleted.
    async fn delete_policy(
        &self,
        principal: &AwsPrincipal,
        policy_name: &str,
        log: &mut CallLog,
    ) -> Result<(), CallFailure> {
        let call = plan::delete_principal_policy(principal, policy_name);
        let deleted = match principal {
            AwsPrincipal::Role(role) => record(&call, log, |probe| {
                self.client
                    .delete_role_policy()
                    .role_name(role)
                    .policy_name(policy_name)
                    .customize()
                    .interceptor(probe)
                    .send()
            })
            .await
            .map(drop),
            AwsPrincipal::User(user) => record(&call, log, |probe| {
                self.client
                    .delete_user_policy()
                    .user_name(user)
                    .policy_name(policy_name)
                    .customize()
                    .interceptor(probe)
                    .send()
            })
            .await
            .map(drop),
        };
        match deleted {
            Err(failure) if failure.has_code(NO_SUCH_ENTITY) => Ok(()),
            other => other,
        }
    }

    /// Puts the revocation policy, keeping any earlier revocation policy in the revert data
    /// so that reverting restores it instead of reopening sessions an operator had revoked.
    pub(crate) async fn revoke_role_sessions(
        &self,
        role: &str,
        now: DateTime<Utc>,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let principal = AwsPrincipal::Role(role.to_owned());
        let previous = self
            .read_policy(&principal, REVOKE_POLICY_NAME, log)
            .await?;
        // NOTE: the time comes from this host's clock. A clock ahead of AWS's also denies
        // sessions issued in the gap after the revocation; one behind lets sessions issued in
        // the gap before it through.
        let issued_before = policy::format_time(now);
        let document = policy::revoke_document(&issued_before);
        self.put_policy(&principal, REVOKE_POLICY_NAME, &document, log)
            .await?;

        let mut data = RevertData::default();
        data.set("policy_name", REVOKE_POLICY_NAME);
        data.set("token_issue_time", issued_before);
        if let Some(previous) = previous {
            let previous = policy::parse_document(&previous)
                .map(|value| value.to_string())
                .unwrap_or(previous);
            data.set("previous_document", previous);
        }
        Ok(data.into_execution())
    }

    pub(crate) async fn verify_revocation(
        &self,
        request: &ActionRequest,
        role: &str,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let expected = revert_data::time(request, execution, "token_issue_time")?;
        let principal = AwsPrincipal::Role(role.to_owned());
        let Some(raw) = self
            .read_policy(&principal, REVOKE_POLICY_NAME, log)
            .await?
        else {
            return Ok(Verification::NotConfirmed(format!(
                "role `{role}` has no inline policy `{REVOKE_POLICY_NAME}`"
            )));
        };
        let found = policy::parse_document(&raw)
            .ok()
            .as_ref()
            .and_then(policy::revocation_time);
        Ok(match found {
            Some(time) if time >= expected => Verification::Confirmed(format!(
                "inline policy `{REVOKE_POLICY_NAME}` of role `{role}` denies every action to \
                 sessions issued before {}",
                policy::format_time(time)
            )),
            Some(time) => Verification::NotConfirmed(format!(
                "inline policy `{REVOKE_POLICY_NAME}` of role `{role}` denies only sessions \
                 issued before {}, earlier than {}",
                policy::format_time(time),
                policy::format_time(expected)
            )),
            None => Verification::NotConfirmed(format!(
                "inline policy `{REVOKE_POLICY_NAME}` of role `{role}` has no statement denying \
                 everything before an `aws:TokenIssueTime`"
            )),
        })
    }

    pub(crate) async fn revert_revocation(
        &self,
        role: &str,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        let principal = AwsPrincipal::Role(role.to_owned());
        let previous = execution
            .revert_data
            .get("previous_document")
            .and_then(Value::as_str);
        // NOTE: when the same request was executed twice, the earlier document is riposte's
        // own first revocation, so restoring it keeps sessions issued before that time denied.
        match previous {
            Some(document) => {
                self.put_policy(&principal, REVOKE_POLICY_NAME, document, log)
                    .await?;
            }
            None => {
                self.delete_policy(&principal, REVOKE_POLICY_NAME, log)
                    .await?
            }
        }
        Ok(())
    }

    /// Returns the status of one access key of a user; `None` when the user has no such key.
    async fn access_key_status(
        &self,
        user: &str,
        key_id: &str,
        log: &mut CallLog,
    ) -> Result<Option<StatusType>, CallFailure> {
        let call = plan::list_access_keys(user);
        // IAM users have at most two access keys, so the first page lists them all.
        let output = record(&call, log, |probe| {
            self.client
                .list_access_keys()
                .user_name(user)
                .customize()
                .interceptor(probe)
                .send()
        })
        .await?;
        Ok(output
            .access_key_metadata()
            .iter()
            .find(|key| key.access_key_id() == Some(key_id))
            .and_then(|key| key.status().cloned()))
    }

    async fn set_access_key_status(
        &self,
        user: &str,
        key_id: &str,
        status: StatusType,
        log: &mut CallLog,
    ) -> Result<(), CallFailure> {
        let call = plan::update_access_key(user, key_id, status.as_str());
        record(&call, log, |probe| {
            self.client
                .update_access_key()
                .user_name(user)
                .access_key_id(key_id)
                .status(status.clone())
                .customize()
                .interceptor(probe)
                .send()
        })
        .await
        .map(drop)
    }

    /// Sets the key to `Inactive`, keeping its earlier status so that reverting leaves a key
    /// that was already inactive inactive.
    pub(crate) async fn deactivate_access_key(
        &self,
        user: &str,
        key_id: &str,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let previous = self.access_key_status(user, key_id, log).await?;
        self.set_access_key_status(user, key_id, StatusType::Inactive, log)
            .await?;
        let mut data = RevertData::default();
        if let Some(previous) = previous {
            data.set("previous_status", previous.as_str());
        }
        Ok(data.into_execution())
    }

    pub(crate) async fn verify_access_key(
        &self,
        user: &str,
        key_id: &str,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let status = self.access_key_status(user, key_id, log).await?;
        Ok(match status {
            Some(StatusType::Inactive) => Verification::Confirmed(format!(
                "access key `{key_id}` of user `{user}` is Inactive"
            )),
            Some(other) => Verification::NotConfirmed(format!(
                "access key `{key_id}` of user `{user}` is {}",
                other.as_str()
            )),
            None => {
                Verification::NotConfirmed(format!("user `{user}` has no access key `{key_id}`"))
            }
        })
    }

    pub(crate) async fn revert_access_key(
        &self,
        user: &str,
        key_id: &str,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        let previous = execution
            .revert_data
            .get("previous_status")
            .and_then(Value::as_str);
        if previous == Some(StatusType::Inactive.as_str()) {
            tracing::info!(
                aws.access_key_id = key_id,
                "access key was inactive before the action; it stays inactive"
            );
            return Ok(());
        }
        self.set_access_key_status(user, key_id, StatusType::Active, log)
            .await?;
        Ok(())
    }

    /// Deletes the user's console password. A user that exists but has no login profile is
    /// already contained, so that counts as done.
    pub(crate) async fn delete_login_profile(
        &self,
        user: &str,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let call = plan::delete_login_profile(user);
        let deleted = record(&call, log, |probe| {
            self.client
                .delete_login_profile()
                .user_name(user)
                .customize()
                .interceptor(probe)
                .send()
        })
        .await;
        let mut data = RevertData::default();
        match deleted {
            Ok(_) => data.set("already_absent", false),
            Err(failure) if failure.has_code(NO_SUCH_ENTITY) => {
                let call = plan::get_user_after_missing_profile(user);
                record(&call, log, |probe| {
                    self.client
                        .get_user()
                        .user_name(user)
                        .customize()
                        .interceptor(probe)
                        .send()
                })
                .await
                // A missing user is the error to report, not the missing profile.
                .map_err(|user_failure| {
                    if user_failure.has_code(NO_SUCH_ENTITY) {
                        ActionError::from(failure)
                    } else {
                        ActionError::from(user_failure)
                    }
                })?;
                data.set("already_absent", true);
            }
            Err(failure) => return Err(failure.into()),
        }
        Ok(data.into_execution())
    }

    pub(crate) async fn verify_login_profile(
        &self,
        user: &str,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let call = plan::get_login_profile(user);
        let profile = record(&call, log, |probe| {
            self.client
                .get_login_profile()
                .user_name(user)
                .customize()
                .interceptor(probe)
                .send()
        })
        .await;
        match profile {
            Ok(output) => {
                let created = output
                    .login_profile()
                    .map(|profile| profile.create_date().to_string())
                    .unwrap_or_else(|| "at an unknown time".to_owned());
                Ok(Verification::NotConfirmed(format!(
                    "user `{user}` still has a login profile, created {created}"
                )))
            }
            Err(failure) if failure.has_code(NO_SUCH_ENTITY) => Ok(Verification::Confirmed(
                format!("user `{user}` has no login profile"),
            )),
            Err(failure) => Err(failure.into()),
        }
    }

    /// Puts the narrowing policy; the revert data keeps its name and expiry.
    pub(crate) async fn narrow_policy(
        &self,
        principal: &AwsPrincipal,
        narrowing: &NarrowingDocument,
        now: DateTime<Utc>,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let expires_at = policy::format_time(narrowing.expiry(now)?);
        let document = narrowing.render(&expires_at);
        self.put_policy(principal, &narrowing.policy_name, &document, log)
            .await?;
        let mut data = RevertData::default();
        data.set("policy_name", narrowing.policy_name.clone());
        data.set("expires_at", expires_at);
        Ok(data.into_execution())
    }

    pub(crate) async fn verify_narrowing(
        &self,
        request: &ActionRequest,
        principal: &AwsPrincipal,
        narrowing: &NarrowingDocument,
        execution: &Execution,
        now: DateTime<Utc>,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let expected = revert_data::time(request, execution, "expires_at")?;
        let name = &narrowing.policy_name;
        let target = request.action.target();
        let Some(raw) = self.read_policy(principal, name, log).await? else {
            return Ok(Verification::NotConfirmed(format!(
                "`{target}` has no inline policy `{name}`"
            )));
        };
        let found = policy::parse_document(&raw)
            .ok()
            .as_ref()
            .and_then(|document| policy::narrowing_expiry(document, &narrowing.deny_actions));
        let actions = narrowing.deny_actions.join(", ");
        Ok(match found {
            Some(expiry) if expiry >= expected && expiry > now => Verification::Confirmed(format!(
                "inline policy `{name}` of `{target}` denies {actions} until {}",
                policy::format_time(expiry)
            )),
            Some(expiry) if expiry <= now => Verification::NotConfirmed(format!(
                "inline policy `{name}` of `{target}` expired at {}",
                policy::format_time(expiry)
            )),
            Some(expiry) => Verification::NotConfirmed(format!(
                "inline policy `{name}` of `{target}` expires at {}, earlier than {}",
                policy::format_time(expiry),
                policy::format_time(expected)
            )),
            None => Verification::NotConfirmed(format!(
                "inline policy `{name}` of `{target}` has no statement denying {actions} \
                 before an `aws:CurrentTime`"
            )),
        })
    }

    pub(crate) async fn remove_narrowing(
        &self,
        principal: &AwsPrincipal,
        narrowing: &NarrowingDocument,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        self.delete_policy(principal, &narrowing.policy_name, log)
            .await?;
        Ok(())
    }
}

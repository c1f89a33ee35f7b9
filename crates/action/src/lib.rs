//! The containment action contract shared by the connectors and the response engine.
//!
//! An [`Action`] names what to do to which target. A [`Connector`] carries actions out against
//! one provider's API, in four steps: `plan` (the exact API calls, for dry runs), `execute`,
//! `verify` (read the resource back to confirm the effect) and `revert` (undo, where the
//! provider allows). Every API call a connector makes is recorded in a [`CallLog`], so that a
//! partial failure leaves a clear record of what was and was not done, and the audit trail
//! never needs the secrets themselves.

mod retry;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use retry::{Attempt, RetryPolicy, retry};

/// The system an action is carried out in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    Aws,
    Okta,
    /// Microsoft Graph, for Entra ID.
    Entra,
    /// CrowdStrike Falcon, for endpoint containment.
    Falcon,
    /// A generic webhook, for chat and ticketing.
    Webhook,
}

impl System {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Okta => "okta",
            Self::Entra => "entra",
            Self::Falcon => "falcon",
            Self::Webhook => "webhook",
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AWS principal whose permissions a policy narrows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum AwsPrincipal {
    Role(String),
    User(String),
}

/// A Microsoft Graph object that holds password credentials.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum GraphObject {
    ServicePrincipal(String),
    Application(String),
}

/// One containment step and its target.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Deny every action to sessions of a role issued before the time of execution, with an
    /// inline policy conditioned on `aws:TokenIssueTime` (what the IAM console's "Revoke
    /// active sessions" does).
    RevokeRoleSessions {
        role_name: String,
    },
    /// Set an IAM access key to `Inactive`.
    DeactivateAccessKey {
        user_name: String,
        access_key_id: String,
    },
    /// Remove an IAM user's console password.
    DeleteLoginProfile {
        user_name: String,
    },
    /// Attach a deny policy to a principal for a limited time; reverting removes it.
    NarrowPolicy {
        principal: AwsPrincipal,
        /// IAM actions denied, such as `iam:*` or `*`.
        deny_actions: Vec<String>,
        duration_secs: u64,
    },
    /// Rotate a Secrets Manager secret.
    RotateSecret {
        secret_id: String,
    },
    /// End every Okta session of a user and revoke the OAuth tokens issued to them.
    OktaClearSessions {
        user_id: String,
    },
    OktaSuspendUser {
        user_id: String,
    },
    /// Revoke the grants a user gave to one OAuth client.
    OktaRevokeGrants {
        user_id: String,
        client_id: String,
    },
    OktaResetFactors {
        user_id: String,
    },
    /// Invalidate a user's refresh tokens and session cookies (`revokeSignInSessions`).
    GraphRevokeSignInSessions {
        user_id: String,
    },
    /// Set `accountEnabled` to false on a user.
    GraphDisableUser {
        user_id: String,
    },
    /// Remove one password credential from an application or service principal.
    GraphRemovePassword {
        object: GraphObject,
        key_id: String,
    },
    /// Set `accountEnabled` to false on a service principal.
    GraphDisableServicePrincipal {
        service_principal_id: String,
    },
    /// Contain a host with CrowdStrike Falcon (`devices-actions`, `contain`).
    FalconContainHost {
        device_id: String,
    },
    /// Lift a Falcon host containment (`lift_containment`).
    FalconLiftContainment {
        device_id: String,
    },
    /// Send the incident to a webhook, signed with HMAC-SHA256.
    Notify {
        /// What the message says: the incident id, its identity and severity.
        summary: String,
    },
}

impl Action {
    /// The stable name of the action, as in plans, policies and the audit log.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RevokeRoleSessions { .. } => "revoke_role_sessions",
            Self::DeactivateAccessKey { .. } => "deactivate_access_key",
            Self::DeleteLoginProfile { .. } => "delete_login_profile",
            Self::NarrowPolicy { .. } => "narrow_policy",
            Self::RotateSecret { .. } => "rotate_secret",
            Self::OktaClearSessions { .. } => "okta_clear_sessions",
            Self::OktaSuspendUser { .. } => "okta_suspend_user",
            Self::OktaRevokeGrants { .. } => "okta_revoke_grants",
            Self::OktaResetFactors { .. } => "okta_reset_factors",
            Self::GraphRevokeSignInSessions { .. } => "graph_revoke_sign_in_sessions",
            Self::GraphDisableUser { .. } => "graph_disable_user",
            Self::GraphRemovePassword { .. } => "graph_remove_password",
            Self::GraphDisableServicePrincipal { .. } => "graph_disable_service_principal",
            Self::FalconContainHost { .. } => "falcon_contain_host",
            Self::FalconLiftContainment { .. } => "falcon_lift_containment",
            Self::Notify { .. } => "notify",
        }
    }

    pub fn system(&self) -> System {
        match self {
            Self::RevokeRoleSessions { .. }
            | Self::DeactivateAccessKey { .. }
            | Self::DeleteLoginProfile { .. }
            | Self::NarrowPolicy { .. }
            | Self::RotateSecret { .. } => System::Aws,
            Self::OktaClearSessions { .. }
            | Self::OktaSuspendUser { .. }
            | Self::OktaRevokeGrants { .. }
            | Self::OktaResetFactors { .. } => System::Okta,
            Self::GraphRevokeSignInSessions { .. }
            | Self::GraphDisableUser { .. }
            | Self::GraphRemovePassword { .. }
            | Self::GraphDisableServicePrincipal { .. } => System::Entra,
            Self::FalconContainHost { .. } | Self::FalconLiftContainment { .. } => System::Falcon,
            Self::Notify { .. } => System::Webhook,
        }
    }

    /// The resource the action changes, as one string: a role name, a key id, a user id.
    pub fn target(&self) -> String {
        match self {
            Self::RevokeRoleSessions { role_name } => format!("role/{role_name}"),
            Self::DeactivateAccessKey {
                user_name,
                access_key_id,
            } => format!("user/{user_name}/{access_key_id}"),
            Self::DeleteLoginProfile { user_name } => format!("user/{user_name}"),
            Self::NarrowPolicy { principal, .. } => match principal {
                AwsPrincipal::Role(name) => format!("role/{name}"),
                AwsPrincipal::User(name) => format!("user/{name}"),
            },
            Self::RotateSecret { secret_id } => format!("secret/{secret_id}"),
            Self::OktaClearSessions { user_id }
            | Self::OktaSuspendUser { user_id }
            | Self::OktaResetFactors { user_id }
            | Self::GraphRevokeSignInSessions { user_id }
            | Self::GraphDisableUser { user_id } => format!("user/{user_id}"),
            Self::OktaRevokeGrants { user_id, client_id } => {
                format!("user/{user_id}/client/{client_id}")
            }
            Self::GraphRemovePassword { object, key_id } => match object {
                GraphObject::ServicePrincipal(id) => format!("servicePrincipal/{id}/{key_id}"),
                GraphObject::Application(id) => format!("application/{id}/{key_id}"),
            },
            Self::GraphDisableServicePrincipal {
                service_principal_id,
            } => format!("servicePrincipal/{service_principal_id}"),
            Self::FalconContainHost { device_id } | Self::FalconLiftContainment { device_id } => {
                format!("device/{device_id}")
            }
            Self::Notify { .. } => "webhook".to_owned(),
        }
    }

    /// Returns true when the provider lets the action be undone.
    pub fn is_revertible(&self) -> bool {
        match self {
            Self::RevokeRoleSessions { .. }
            | Self::DeactivateAccessKey { .. }
            | Self::NarrowPolicy { .. }
            | Self::OktaSuspendUser { .. }
            | Self::GraphDisableUser { .. }
            | Self::GraphDisableServicePrincipal { .. }
            | Self::FalconContainHost { .. }
            | Self::FalconLiftContainment { .. } => true,
            Self::DeleteLoginProfile { .. }
            | Self::RotateSecret { .. }
            | Self::OktaClearSessions { .. }
            | Self::OktaRevokeGrants { .. }
            | Self::OktaResetFactors { .. }
            | Self::GraphRevokeSignInSessions { .. }
            | Self::GraphRemovePassword { .. }
            | Self::Notify { .. } => false,
        }
    }
}

/// An action requested for an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRequest {
    pub incident_id: String,
    pub action: Action,
}

impl ActionRequest {
    /// Returns the idempotency key of the request: `act-` and 24 hex digits of the SHA-256 of
    /// the incident, the action and its target. The same action on the same target for the same
    /// incident always has the same key, so it is never executed twice.
    pub fn idempotency_key(&self) -> String {
        let digest = Sha256::digest(
            format!(
                "{}|{}|{}",
                self.incident_id,
                self.action.kind(),
                self.action.target()
            )
            .as_bytes(),
        );
        let mut key = String::from("act-");
        for byte in digest.iter().take(12) {
            key.push_str(&format!("{byte:02x}"));
        }
        key
    }
}

/// One provider API call, described without secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCall {
    /// `POST`, `DELETE`, or the AWS operation's service prefix such as `iam`.
    pub method: String,
    /// The path or the AWS operation: `/api/v1/users/00u1/sessions`, `PutRolePolicy`.
    pub endpoint: String,
    /// What the call does, with its parameters but never a secret.
    pub summary: String,
}

/// An API call as made: its outcome and timing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCallRecord {
    pub call: ApiCall,
    /// The HTTP status, when a response came back.
    pub status: Option<u16>,
    pub duration_ms: u64,
    /// 1 for the first attempt, 2 for the first retry.
    pub attempt: u32,
    /// Why the call failed, when it did; never a secret or a response body with one.
    pub error: Option<String>,
}

/// Every API call an action made, in order, success or not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLog {
    pub records: Vec<ApiCallRecord>,
}

impl CallLog {
    pub fn push(&mut self, record: ApiCallRecord) {
        self.records.push(record);
    }
}

/// What an execution left behind for verifying and reverting it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Connector-specific facts needed to revert: the name of the policy put in place, the
    /// secret version that was current before a rotation. Never a secret value.
    pub revert_data: serde_json::Map<String, serde_json::Value>,
}

/// The result of reading the resource back after an execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verified", content = "detail", rename_all = "snake_case")]
pub enum Verification {
    /// The effect is in place; the detail says what was read.
    Confirmed(String),
    /// The effect is not visible; the detail says what was read instead.
    NotConfirmed(String),
}

/// Why an action failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("the {system} connector does not carry out `{action}`")]
    Unsupported {
        system: System,
        action: &'static str,
    },
    #[error("{system} rejected `{endpoint}` with status {status}: {message}")]
    Rejected {
        system: System,
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error("{system} call `{endpoint}` failed: {message}")]
    Transport {
        system: System,
        endpoint: String,
        message: String,
    },
    #[error("{system} rate limit still exceeded after {attempts} attempts on `{endpoint}`")]
    RateLimited {
        system: System,
        endpoint: String,
        attempts: u32,
    },
    #[error("invalid {system} connector configuration: {message}")]
    Configuration { system: System, message: String },
    #[error("`{action}` cannot be reverted: {reason}")]
    NotRevertible {
        action: &'static str,
        reason: String,
    },
}

/// Carries out actions against one provider's API.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    fn system(&self) -> System;

    /// Returns the exact API calls `execute` would make, for dry runs and approvals.
    fn plan(&self, request: &ActionRequest) -> Result<Vec<ApiCall>, ActionError>;

    /// Carries out the action, recording every call in `log`.
    async fn execute(
        &self,
        request: &ActionRequest,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError>;

    /// Reads the resource back and says whether the action took effect.
    async fn verify(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError>;

    /// Undoes the action, where the provider allows; see [`Action::is_revertible`].
    async fn revert(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError>;
}

/// Returns true for a URL host on this machine: `localhost`, or a loopback address, written
/// with or without the brackets of an IPv6 URL host. Connectors accept plain `http` only there.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// Converts a duration to whole milliseconds for a call record, saturating.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "0.0.0.0",
            "10.0.0.1",
            "example.com",
            "[::]",
            "localhost.",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    fn request(incident: &str, action: Action) -> ActionRequest {
        ActionRequest {
            incident_id: incident.to_owned(),
            action,
        }
    }

    #[test]
    fn idempotency_key_depends_on_incident_action_and_target() {
        let deactivate = Action::DeactivateAccessKey {
            user_name: "ci-deploy".into(),
            access_key_id: "AKIAEXAMPLE000000001".into(),
        };
        let first = request("INC-1", deactivate.clone()).idempotency_key();
        assert_eq!(
            first,
            request("INC-1", deactivate.clone()).idempotency_key()
        );
        assert_ne!(first, request("INC-2", deactivate).idempotency_key());
        let other_key = Action::DeactivateAccessKey {
            user_name: "ci-deploy".into(),
            access_key_id: "AKIAEXAMPLE000000002".into(),
        };
        assert_ne!(first, request("INC-1", other_key).idempotency_key());
        assert!(first.starts_with("act-"));
        assert_eq!(first.len(), 28);
    }

    #[test]
    fn actions_serialize_with_their_kind() {
        let action = Action::OktaClearSessions {
            user_id: "00u1".into(),
        };
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["action"], "okta_clear_sessions");
        assert_eq!(json["user_id"], "00u1");
        let back: Action = serde_json::from_value(json).unwrap();
        assert_eq!(back, action);
        assert_eq!(action.kind(), "okta_clear_sessions");
        assert_eq!(action.system(), System::Okta);
    }
}

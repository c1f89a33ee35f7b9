//! The AWS API calls the connector makes, described without secrets, and the plan of each
//! action built from them.

use riposte_action::{Action, ActionError, ActionRequest, ApiCall, AwsPrincipal, System};

use crate::policy::{self, NarrowingDocument, REVOKE_POLICY_NAME};

/// Stands for the time of execution in planned policy documents: a plan is made before the
/// action is approved, so the time is only known when the call is sent.
pub const EXECUTION_TIME: &str = "<time of execution>";

/// One AWS API call: the service prefix, the operation and its parameters in request order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AwsCall {
    pub(crate) service: &'static str,
    pub(crate) operation: &'static str,
    params: Vec<(&'static str, String)>,
    /// Said after the parameters when the call is only made in some cases.
    condition: Option<&'static str>,
}

impl AwsCall {
    fn new(service: &'static str, operation: &'static str) -> Self {
        Self {
            service,
            operation,
            params: Vec::new(),
            condition: None,
        }
    }

    fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.params.push((name, value.into()));
        self
    }

    fn only_when(mut self, condition: &'static str) -> Self {
        self.condition = Some(condition);
        self
    }

    /// Returns the call as recorded in plans and call logs, such as
    /// `iam:UpdateAccessKey UserName=ci AccessKeyId=AKIA… Status=Inactive`.
    pub(crate) fn api_call(&self) -> ApiCall {
        let mut summary = format!("{}:{}", self.service, self.operation);
        for (name, value) in &self.params {
            summary.push(' ');
            summary.push_str(name);
            summary.push('=');
            summary.push_str(value);
        }
        if let Some(condition) = self.condition {
            summary.push_str(" (only when ");
            summary.push_str(condition);
            summary.push(')');
        }
        ApiCall {
            method: self.service.to_owned(),
            endpoint: self.operation.to_owned(),
            summary,
        }
    }
}

pub(crate) fn get_role_policy(role: &str, policy_name: &str) -> AwsCall {
    AwsCall::new("iam", "GetRolePolicy")
        .param("RoleName", role)
        .param("PolicyName", policy_name)
}

pub(crate) fn put_role_policy(role: &str, policy_name: &str, document: &str) -> AwsCall {
    AwsCall::new("iam", "PutRolePolicy")
        .param("RoleName", role)
        .param("PolicyName", policy_name)
        .param("PolicyDocument", document)
}

pub(crate) fn delete_role_policy(role: &str, policy_name: &str) -> AwsCall {
    AwsCall::new("iam", "DeleteRolePolicy")
        .param("RoleName", role)
        .param("PolicyName", policy_name)
}

pub(crate) fn get_user_policy(user: &str, policy_name: &str) -> AwsCall {
    AwsCall::new("iam", "GetUserPolicy")
        .param("UserName", user)
        .param("PolicyName", policy_name)
}

pub(crate) fn put_user_policy(user: &str, policy_name: &str, document: &str) -> AwsCall {
    AwsCall::new("iam", "PutUserPolicy")
        .param("UserName", user)
        .param("PolicyName", policy_name)
        .param("PolicyDocument", document)
}

pub(crate) fn delete_user_policy(user: &str, policy_name: &str) -> AwsCall {
    AwsCall::new("iam", "DeleteUserPolicy")
        .param("UserName", user)
        .param("PolicyName", policy_name)
}

pub(crate) fn list_access_keys(user: &str) -> AwsCall {
    AwsCall::new("iam", "ListAccessKeys").param("UserName", user)
}

pub(crate) fn update_access_key(user: &str, key_id: &str, status: &str) -> AwsCall {
    AwsCall::new("iam", "UpdateAccessKey")
        .param("UserName", user)
        .param("AccessKeyId", key_id)
        .param("Status", status)
}

pub(crate) fn delete_login_profile(user: &str) -> AwsCall {
    AwsCall::new("iam", "DeleteLoginProfile").param("UserName", user)
}

pub(crate) fn get_login_profile(user: &str) -> AwsCall {
    AwsCall::new("iam", "GetLoginProfile").param("UserName", user)
}

/// Tells a user without a login profile (already contained) from a missing user, since
/// DeleteLoginProfile returns `NoSuchEntity` for both.
pub(crate) fn get_user_after_missing_profile(user: &str) -> AwsCall {
    AwsCall::new("iam", "GetUser")
        .param("UserName", user)
        .only_when("DeleteLoginProfile returns NoSuchEntity")
}

pub(crate) fn describe_secret(secret_id: &str) -> AwsCall {
    AwsCall::new("secretsmanager", "DescribeSecret").param("SecretId", secret_id)
}

pub(crate) fn rotate_secret(secret_id: &str, token: &str) -> AwsCall {
    AwsCall::new("secretsmanager", "RotateSecret")
        .param("SecretId", secret_id)
        .param("ClientRequestToken", token)
        .param("RotateImmediately", "true")
}

pub(crate) fn get_caller_identity() -> AwsCall {
    AwsCall::new("sts", "GetCallerIdentity")
}

/// The ClientRequestToken of a rotation: Secrets Manager uses it as the new version id and
/// ignores a repeated request with the same token, so a retried action never rotates twice.
/// It must be 32 to 64 characters long; `riposte-` and the idempotency key make 36.
pub(crate) fn rotation_token(request: &ActionRequest) -> String {
    format!("riposte-{}", request.idempotency_key())
}

/// Lists the calls `execute` makes for `request`, in order.
pub(crate) fn plan(request: &ActionRequest) -> Result<Vec<AwsCall>, ActionError> {
    let calls = match &request.action {
        Action::RevokeRoleSessions { role_name } => {
            let document = policy::revoke_document(EXECUTION_TIME);
            vec![
                get_role_policy(role_name, REVOKE_POLICY_NAME),
                put_role_policy(role_name, REVOKE_POLICY_NAME, &document),
            ]
        }
        Action::DeactivateAccessKey {
            user_name,
            access_key_id,
        } => vec![
            list_access_keys(user_name),
            update_access_key(user_name, access_key_id, "Inactive"),
        ],
        Action::DeleteLoginProfile { user_name } => vec![
            delete_login_profile(user_name),
            get_user_after_missing_profile(user_name),
        ],
        Action::NarrowPolicy {
            principal,
            deny_actions,
            duration_secs,
        } => {
            let expiry = format!("<time of execution + {duration_secs} s>");
            let narrowing = NarrowingDocument::new(request, deny_actions, *duration_secs)?;
            let document = narrowing.render(&expiry);
            vec![put_principal_policy(
                principal,
                &narrowing.policy_name,
                &document,
            )]
        }
        Action::RotateSecret { secret_id } => vec![
            describe_secret(secret_id),
            rotate_secret(secret_id, &rotation_token(request)),
        ],
        other => {
            return Err(ActionError::Unsupported {
                system: System::Aws,
                action: other.kind(),
            });
        }
    };
    Ok(calls)
}

pub(crate) fn put_principal_policy(
    principal: &AwsPrincipal,
    policy_name: &str,
    document: &str,
) -> AwsCall {
    match principal {
        AwsPrincipal::Role(role) => put_role_policy(role, policy_name, document),
        AwsPrincipal::User(user) => put_user_policy(user, policy_name, document),
    }
}

pub(crate) fn get_principal_policy(principal: &AwsPrincipal, policy_name: &str) -> AwsCall {
    match principal {
        AwsPrincipal::Role(role) => get_role_policy(role, policy_name),
        AwsPrincipal::User(user) => get_user_policy(user, policy_name),
    }
}

pub(crate) fn delete_principal_policy(principal: &AwsPrincipal, policy_name: &str) -> AwsCall {
    match principal {
        AwsPrincipal::Role(role) => delete_role_policy(role, policy_name),
        AwsPrincipal::User(user) => delete_user_policy(user, policy_name),
    }
}

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::Provider;

/// What kind of principal acted, as the log itself states it.
///
/// Every kind but [`IdentityKind::Human`], [`IdentityKind::AwsRoot`],
/// [`IdentityKind::NetworkSource`] and [`IdentityKind::Unknown`] is a non-human identity (NHI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// A person: an Okta or Entra user, an IAM user signing in to the console, an IAM Identity
    /// Center user.
    Human,
    /// The root user of an AWS account.
    AwsRoot,
    /// An IAM user acting with a long-lived access key (`AKIA...`).
    IamUserAccessKey,
    /// A session of an assumed IAM role, from SAML or OIDC federation or `sts:AssumeRole`.
    AssumedRoleSession,
    /// A role session held by an EC2 instance (session name `i-...`).
    InstanceRoleSession,
    /// A role session held by a Lambda function.
    FunctionRoleSession,
    /// A session from `AssumeRoleWithWebIdentity`, such as a Kubernetes service account.
    WebIdentitySession,
    /// An AWS service acting on its own behalf.
    AwsService,
    /// An Okta service application (OAuth client credentials).
    OktaServiceApp,
    /// An Entra service principal of an application.
    EntraServicePrincipal,
    /// An Entra managed identity.
    EntraManagedIdentity,
    /// The identity provider itself, such as "Okta System".
    ProviderSystem,
    /// Not a principal: the network address to which a finding about many identities is
    /// attributed, such as the source of a password spray.
    NetworkSource,
    /// The log names no principal, or one riposte cannot classify.
    Unknown,
}

impl IdentityKind {
    /// Returns true for every non-human identity kind.
    pub fn is_nhi(self) -> bool {
        !matches!(
            self,
            Self::Human | Self::AwsRoot | Self::NetworkSource | Self::Unknown
        )
    }

    /// Returns true for credentials issued to a running workload rather than to a person or a
    /// pipeline: instance and function role sessions, service principals and managed
    /// identities.
    pub fn is_workload(self) -> bool {
        matches!(
            self,
            Self::InstanceRoleSession
                | Self::FunctionRoleSession
                | Self::WebIdentitySession
                | Self::EntraServicePrincipal
                | Self::EntraManagedIdentity
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::AwsRoot => "aws_root",
            Self::IamUserAccessKey => "iam_user_access_key",
            Self::AssumedRoleSession => "assumed_role_session",
            Self::InstanceRoleSession => "instance_role_session",
            Self::FunctionRoleSession => "function_role_session",
            Self::WebIdentitySession => "web_identity_session",
            Self::AwsService => "aws_service",
            Self::OktaServiceApp => "okta_service_app",
            Self::EntraServicePrincipal => "entra_service_principal",
            Self::EntraManagedIdentity => "entra_managed_identity",
            Self::ProviderSystem => "provider_system",
            Self::NetworkSource => "network_source",
            Self::Unknown => "unknown",
        }
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable key of an identity inside riposte: the provider and the provider's own id.
///
/// Displayed as `provider:id`, for example `okta:00u1abcd` or
/// `aws:arn:aws:sts::111111111111:assumed-role/Admin/alice@example.com`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityKey {
    pub provider: Provider,
    pub id: Arc<str>,
}

impl fmt::Display for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider.as_str(), self.id)
    }
}

impl Serialize for IdentityKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A reference to the principal of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentityRef {
    pub key: IdentityKey,
    /// A human-readable name: login, user principal name, role or application name.
    pub name: Option<Arc<str>>,
    pub kind: IdentityKind,
    /// The e-mail address or login of the person behind this identity when the log states it
    /// (an Okta login, an Entra UPN, a federated role session named after the user). Used to
    /// correlate one person's accounts across providers.
    pub email: Option<Arc<str>>,
    /// The role and the session name of an assumed-role session, kept apart.
    pub role_session: Option<RoleSession>,
}

impl IdentityRef {
    pub fn new(provider: Provider, id: impl Into<Arc<str>>, kind: IdentityKind) -> Self {
        Self {
            key: IdentityKey {
                provider,
                id: id.into(),
            },
            name: None,
            kind,
            email: None,
            role_session: None,
        }
    }

    /// The identity used when a record names no principal.
    pub fn unknown(provider: Provider) -> Self {
        Self::new(provider, "unknown", IdentityKind::Unknown)
    }

    /// Returns the name when there is one, else the id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.key.id)
    }
}

/// The two halves of an AWS assumed-role session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleSession {
    /// The role's ARN: `arn:aws:iam::111111111111:role/Name`.
    pub role_arn: Arc<str>,
    pub role_name: Arc<str>,
    /// The session name chosen by the caller, such as a user's e-mail address or an instance id.
    pub session_name: Arc<str>,
    /// `sourceIdentity` from `AssumeRole`, when the caller set one.
    pub source_identity: Option<Arc<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_displays_provider_and_id() {
        let key = IdentityKey {
            provider: Provider::Okta,
            id: "00u1".into(),
        };
        assert_eq!(key.to_string(), "okta:00u1");
    }

    #[test]
    fn workloads_are_nhis() {
        for kind in [
            IdentityKind::InstanceRoleSession,
            IdentityKind::FunctionRoleSession,
            IdentityKind::EntraServicePrincipal,
            IdentityKind::EntraManagedIdentity,
        ] {
            assert!(kind.is_nhi(), "{kind}");
            assert!(kind.is_workload(), "{kind}");
        }
        assert!(!IdentityKind::Human.is_nhi());
        assert!(!IdentityKind::AssumedRoleSession.is_workload());
    }
}

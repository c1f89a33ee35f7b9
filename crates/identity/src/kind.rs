//! The kinds, environments and criticality levels the inventory declares, and how they compare
//! with the kinds the logs show.

use std::fmt;

use riposte_model::IdentityKind;
use serde::{Serialize, Serializer};

/// The kind of a non-human identity (NHI), as the inventory declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NhiKind {
    /// A long-lived access key of an IAM user.
    AccessKey,
    /// Sessions of an IAM role assumed by a pipeline or a program.
    RoleSession,
    /// The role of an EC2 instance profile.
    InstanceRole,
    /// The execution role of a Lambda function.
    FunctionRole,
    /// A token a workload exchanges for cloud credentials, such as a Kubernetes service
    /// account token used with `AssumeRoleWithWebIdentity`.
    WorkloadToken,
    /// An Entra service principal of an application.
    ServicePrincipal,
    /// An Entra managed identity.
    ManagedIdentity,
    /// An OAuth client application acting with its own credentials.
    OauthApp,
    /// A static API token, such as an Okta API token.
    ApiToken,
}

impl NhiKind {
    pub const ALL: [Self; 9] = [
        Self::AccessKey,
        Self::RoleSession,
        Self::InstanceRole,
        Self::FunctionRole,
        Self::WorkloadToken,
        Self::ServicePrincipal,
        Self::ManagedIdentity,
        Self::OauthApp,
        Self::ApiToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessKey => "access_key",
            Self::RoleSession => "role_session",
            Self::InstanceRole => "instance_role",
            Self::FunctionRole => "function_role",
            Self::WorkloadToken => "workload_token",
            Self::ServicePrincipal => "service_principal",
            Self::ManagedIdentity => "managed_identity",
            Self::OauthApp => "oauth_app",
            Self::ApiToken => "api_token",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// Returns the NHI kind of a principal kind from a log, or `None` for people, AWS root,
    /// AWS services, the provider itself and unknown principals.
    pub fn from_log(kind: IdentityKind) -> Option<Self> {
        match kind {
            IdentityKind::IamUserAccessKey => Some(Self::AccessKey),
            IdentityKind::AssumedRoleSession => Some(Self::RoleSession),
            IdentityKind::InstanceRoleSession => Some(Self::InstanceRole),
            IdentityKind::FunctionRoleSession => Some(Self::FunctionRole),
            IdentityKind::WebIdentitySession => Some(Self::WorkloadToken),
            IdentityKind::OktaServiceApp => Some(Self::OauthApp),
            IdentityKind::EntraServicePrincipal => Some(Self::ServicePrincipal),
            IdentityKind::EntraManagedIdentity => Some(Self::ManagedIdentity),
            IdentityKind::Human
            | IdentityKind::AwsRoot
            | IdentityKind::AwsService
            | IdentityKind::ProviderSystem
            | IdentityKind::NetworkSource
            | IdentityKind::Unknown => None,
        }
    }

    /// Returns true when a log that classifies the principal as `observed` agrees with this
    /// declared kind.
    ///
    /// Besides the direct match, two log kinds are accepted for a declared kind because the
    /// log cannot tell them apart: Entra records an OAuth application acting on its own as its
    /// service principal, and Okta records a call made with an API token under the user who
    /// created the token.
    pub fn agrees_with(self, observed: IdentityKind) -> bool {
        if observed == IdentityKind::Unknown || Self::from_log(observed) == Some(self) {
            return true;
        }
        matches!(
            (self, observed),
            (Self::OauthApp, IdentityKind::EntraServicePrincipal)
                | (
                    Self::ApiToken,
                    IdentityKind::Human | IdentityKind::OktaServiceApp
                )
        )
    }
}

impl fmt::Display for NhiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NhiKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The kind of a resolved identity: a person, a non-human identity, or a principal that is
/// neither (AWS root, an AWS service, the provider itself, an unknown principal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResolvedKind {
    Human,
    Nhi(NhiKind),
    Other(IdentityKind),
}

impl ResolvedKind {
    /// Returns the kind a log's classification stands for when the inventory says nothing.
    pub fn from_log(kind: IdentityKind) -> Self {
        match (kind, NhiKind::from_log(kind)) {
            (IdentityKind::Human, _) => Self::Human,
            (_, Some(nhi)) => Self::Nhi(nhi),
            (other, None) => Self::Other(other),
        }
    }

    pub fn is_nhi(self) -> bool {
        match self {
            Self::Human => false,
            Self::Nhi(_) => true,
            Self::Other(kind) => kind.is_nhi(),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Nhi(kind) => kind.as_str(),
            Self::Other(kind) => kind.as_str(),
        }
    }

    /// Returns true when a log that classifies one of this identity's accounts as `observed`
    /// agrees with this kind.
    ///
    /// A person's accounts include the credentials the person holds: federated role sessions
    /// and the access keys of the person's own IAM user, so those log kinds agree with
    /// [`ResolvedKind::Human`].
    pub fn agrees_with(self, observed: IdentityKind) -> bool {
        match self {
            Self::Human => matches!(
                observed,
                IdentityKind::Human
                    | IdentityKind::AssumedRoleSession
                    | IdentityKind::IamUserAccessKey
                    | IdentityKind::Unknown
            ),
            Self::Nhi(kind) => kind.agrees_with(observed),
            Self::Other(kind) => observed == kind || observed == IdentityKind::Unknown,
        }
    }
}

impl fmt::Display for ResolvedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResolvedKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The environment an NHI serves.
///
/// `prod`, `staging` and `dev` are recognised with their usual long forms (`production`,
/// `stage`, `development`); any other text is kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Environment {
    Prod,
    Staging,
    Dev,
    Other(Box<str>),
}

impl Environment {
    pub fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "prod" | "production" | "prd" => Self::Prod,
            "staging" | "stage" | "stg" => Self::Staging,
            "dev" | "development" => Self::Dev,
            _ => Self::Other(text.into()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Prod => "prod",
            Self::Staging => "staging",
            Self::Dev => "dev",
            Self::Other(text) => text,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Environment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How much the organisation depends on an identity, as the inventory declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Criticality {
    Low,
    Medium,
    High,
    Critical,
}

impl Criticality {
    pub const ALL: [Self; 4] = [Self::Low, Self::Medium, Self::High, Self::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.as_str() == text)
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Criticality {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_log_nhi_kind_agrees_with_its_declared_kind() {
        for kind in [
            IdentityKind::IamUserAccessKey,
            IdentityKind::AssumedRoleSession,
            IdentityKind::InstanceRoleSession,
            IdentityKind::FunctionRoleSession,
            IdentityKind::WebIdentitySession,
            IdentityKind::OktaServiceApp,
            IdentityKind::EntraServicePrincipal,
            IdentityKind::EntraManagedIdentity,
        ] {
            let declared = NhiKind::from_log(kind).unwrap();
            assert!(declared.agrees_with(kind), "{kind}");
        }
    }

    #[test]
    fn unknown_log_kind_never_disagrees() {
        for declared in NhiKind::ALL {
            assert!(declared.agrees_with(IdentityKind::Unknown), "{declared}");
        }
        assert!(ResolvedKind::Human.agrees_with(IdentityKind::Unknown));
    }

    #[test]
    fn workload_log_kind_disagrees_with_person() {
        assert!(!ResolvedKind::Human.agrees_with(IdentityKind::InstanceRoleSession));
        assert!(!ResolvedKind::Human.agrees_with(IdentityKind::EntraServicePrincipal));
        assert!(ResolvedKind::Human.agrees_with(IdentityKind::AssumedRoleSession));
    }

    #[test]
    fn api_token_agrees_with_the_user_okta_records() {
        assert!(NhiKind::ApiToken.agrees_with(IdentityKind::Human));
        assert!(!NhiKind::AccessKey.agrees_with(IdentityKind::Human));
    }

    #[test]
    fn environment_long_forms_are_recognised() {
        assert_eq!(Environment::parse("Production"), Environment::Prod);
        assert_eq!(Environment::parse("stage"), Environment::Staging);
        assert_eq!(Environment::parse("development"), Environment::Dev);
        assert_eq!(
            Environment::parse("lab-7"),
            Environment::Other("lab-7".into())
        );
    }
}

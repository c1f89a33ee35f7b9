use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::{IdentityRef, Sensitive, Source, Timestamp};

/// The organisation whose log a record comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Aws,
    Okta,
    Entra,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Okta => "okta",
            Self::Entra => "entra",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The log format a record was read as. The summary counts records per format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// AWS CloudTrail, bare or as the `detail` of an EventBridge event.
    CloudTrail,
    /// Okta System Log event objects.
    Okta,
    /// Entra ID sign-in logs: user, non-interactive, service principal and managed identity.
    EntraSignIn,
    /// Entra ID audit logs (`directoryAudit`).
    EntraAudit,
    /// Entra ID Protection risk detections.
    EntraRiskDetection,
    /// Microsoft Graph activity logs.
    EntraGraphActivity,
}

impl SourceFormat {
    pub const ALL: [Self; 6] = [
        Self::CloudTrail,
        Self::Okta,
        Self::EntraSignIn,
        Self::EntraAudit,
        Self::EntraRiskDetection,
        Self::EntraGraphActivity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudTrail => "cloudtrail",
            Self::Okta => "okta",
            Self::EntraSignIn => "entra_signin",
            Self::EntraAudit => "entra_audit",
            Self::EntraRiskDetection => "entra_risk_detection",
            Self::EntraGraphActivity => "entra_graph_activity",
        }
    }

    pub fn provider(self) -> Provider {
        match self {
            Self::CloudTrail => Provider::Aws,
            Self::Okta => Provider::Okta,
            Self::EntraSignIn
            | Self::EntraAudit
            | Self::EntraRiskDetection
            | Self::EntraGraphActivity => Provider::Entra,
        }
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The OCSF class an event belongs to, with its `class_uid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventClass {
    AccountChange,
    Authentication,
    EntityManagement,
    GroupManagement,
    ApiActivity,
    DetectionFinding,
}

impl EventClass {
    pub fn uid(self) -> u32 {
        match self {
            Self::AccountChange => 3001,
            Self::Authentication => 3002,
            Self::EntityManagement => 3004,
            Self::GroupManagement => 3006,
            Self::ApiActivity => 6003,
            Self::DetectionFinding => 2004,
        }
    }
}

/// The kind of thing that happened, reduced to the activities detections reason about.
///
/// The provider's own name for the operation stays in [`Event::operation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A sign-in with a primary credential: password, SSO, federation, console sign-in, or a
    /// service principal authenticating with its secret or certificate.
    SignIn,
    /// A multi-factor challenge answered, denied or left to time out.
    MfaVerify,
    /// A multi-factor push notification sent to the user's device.
    MfaPushSent,
    /// Temporary credentials or tokens issued: `AssumeRole*`, `GetSessionToken`, OAuth grants.
    TokenIssued,
    SignOut,
    /// A call to a provider API that changes no identity.
    ApiCall,
    /// A role, policy or privilege given to an identity.
    PrivilegeGranted,
    PrivilegeRevoked,
    /// A credential created for an identity: access key, login profile, client secret,
    /// certificate, API token.
    CredentialCreated,
    /// A password or factor of an identity reset or changed.
    CredentialReset,
    /// A role's trust policy set or changed.
    TrustPolicyChanged,
    AccountCreated,
    AccountDeleted,
    AccountEnabled,
    AccountDisabled,
    AccountLocked,
    AccountUnlocked,
    /// Any other change to an account's attributes.
    AccountChanged,
    GroupMembershipChanged,
    /// A change to an application, policy or other directory object.
    EntityChanged,
    /// A risk or threat the provider itself detected (Entra ID Protection, Okta ThreatInsight).
    RiskDetected,
}

impl Activity {
    pub fn class(self) -> EventClass {
        match self {
            Self::SignIn
            | Self::MfaVerify
            | Self::MfaPushSent
            | Self::TokenIssued
            | Self::SignOut => EventClass::Authentication,
            Self::ApiCall => EventClass::ApiActivity,
            Self::PrivilegeGranted
            | Self::PrivilegeRevoked
            | Self::CredentialCreated
            | Self::CredentialReset
            | Self::TrustPolicyChanged
            | Self::AccountCreated
            | Self::AccountDeleted
            | Self::AccountEnabled
            | Self::AccountDisabled
            | Self::AccountLocked
            | Self::AccountUnlocked
            | Self::AccountChanged => EventClass::AccountChange,
            Self::GroupMembershipChanged => EventClass::GroupManagement,
            Self::EntityChanged => EventClass::EntityManagement,
            Self::RiskDetected => EventClass::DetectionFinding,
        }
    }

    /// Returns true for activities that prove possession of a credential: sign-ins, MFA
    /// answers and token issuance.
    pub fn is_authentication(self) -> bool {
        matches!(self, Self::SignIn | Self::MfaVerify | Self::TokenIssued)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

/// The kind of credential an actor presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Password,
    MfaFactor,
    /// A long-lived access key (`AKIA...`).
    LongLivedKey,
    /// A temporary key from STS (`ASIA...`).
    TemporaryKey,
    /// A browser or SSO session.
    Session,
    #[serde(rename = "oauth_token")]
    OAuthToken,
    ApiToken,
    Certificate,
    ClientSecret,
    /// Federated sign-in through another identity provider (SAML, OIDC).
    Federation,
    Unknown,
}

/// The credential an actor used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Credential {
    pub kind: CredentialKind,
    /// A public identifier of the credential, such as an AWS access key id. Access key ids
    /// identify a key and do not authenticate on their own, so they may be printed.
    pub id: Option<Arc<str>>,
}

impl Credential {
    pub fn unknown() -> Self {
        Self {
            kind: CredentialKind::Unknown,
            id: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    Push,
    Otp,
    Sms,
    Voice,
    Email,
    Webauthn,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    User,
    Role,
    Group,
    Policy,
    Application,
    ServicePrincipal,
    AccessKey,
    Device,
    Resource,
}

/// An identity or resource an event acted on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    pub kind: TargetKind,
    pub id: Arc<str>,
    pub name: Option<Arc<str>>,
    /// The account or tenant the target belongs to, when it differs from the actor's.
    pub account: Option<Arc<str>>,
}

impl Target {
    pub fn new(kind: TargetKind, id: impl Into<Arc<str>>) -> Self {
        Self {
            kind,
            id: id.into(),
            name: None,
            account: None,
        }
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivilegeKind {
    /// An AWS managed or customer managed policy, named by its ARN.
    ManagedPolicy,
    /// A policy document written inline on a user, group or role.
    InlinePolicy,
    /// A directory role: Entra "Global Administrator", Okta "SUPER_ADMIN".
    DirectoryRole,
    /// An application role or permission granted to a service principal.
    AppRole,
    /// A role's trust (assume-role) policy.
    TrustPolicy,
}

/// A privilege granted, revoked or defined by an event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Privilege {
    pub kind: PrivilegeKind,
    /// Policy ARN, policy name or role name.
    pub name: Box<str>,
    /// The policy document, for inline and trust policies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
}

/// A risk the provider itself detected, carried into riposte as an external finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RiskDetection {
    /// `IdentityProtection`, `ThreatInsight` and the like.
    pub source: Box<str>,
    /// The provider's name for the risk, such as `unfamiliarFeatures`.
    pub risk_type: Box<str>,
    /// `low`, `medium`, `high` or `none` as the provider writes it.
    pub level: Box<str>,
    /// `atRisk`, `confirmedCompromised`, `dismissed`, `remediated` as the provider writes it.
    pub state: Option<Box<str>>,
    pub detail: Option<Box<str>>,
}

impl RiskDetection {
    /// Returns false when the provider has already closed the risk as safe or remediated.
    pub fn is_open(&self) -> bool {
        !matches!(
            self.state.as_deref(),
            Some("dismissed" | "remediated" | "confirmedSafe")
        )
    }
}

/// The place a record was read: the file (or `-` for standard input) and its line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordLocation {
    pub file: Arc<Path>,
    /// 1-based line on which the record starts.
    pub line: u64,
}

impl fmt::Display for RecordLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// A normalized event: one record of any supported format, in one model aligned with OCSF.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub format: SourceFormat,
    /// The provider's id of the record (`eventID`, `uuid`, `id`), or `sha256:` and a digest of
    /// the raw record when it has none.
    pub event_id: Arc<str>,
    pub time: Timestamp,
    pub activity: Activity,
    /// The provider's own name for what happened: `ConsoleLogin`, `user.session.start`,
    /// `Add member to role`.
    pub operation: Arc<str>,
    /// The service that handled the request: `iam.amazonaws.com`, `Core Directory`, an Entra
    /// application name.
    pub service: Option<Arc<str>>,
    pub outcome: Outcome,
    /// The provider's failure reason or error code.
    pub outcome_reason: Option<Box<str>>,
    pub actor: IdentityRef,
    pub credential: Credential,
    /// Session id (Okta `externalSessionId`, Entra `sessionId`, an AWS temporary key).
    pub session_id: Option<Sensitive>,
    /// The root session the session descends from (Okta `rootSessionId`).
    pub root_session_id: Option<Sensitive>,
    /// A token identifier (Entra `uniqueTokenIdentifier`).
    pub token_id: Option<Sensitive>,
    pub source: Source,
    /// Whether a person took part in the authentication, when the log states it.
    pub interactive: Option<bool>,
    pub mfa: Option<MfaMethod>,
    pub targets: Vec<Target>,
    pub privileges: Vec<Privilege>,
    pub risk: Option<RiskDetection>,
    /// The AWS account or Entra tenant that recorded the event.
    pub account: Option<Arc<str>>,
    pub location: Option<RecordLocation>,
}

impl Event {
    pub fn class(&self) -> EventClass {
        self.activity.class()
    }

    /// Returns true for a successful sign-in, MFA answer or token issuance.
    pub fn is_successful_authentication(&self) -> bool {
        self.activity.is_authentication() && self.outcome == Outcome::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_maps_to_ocsf_class() {
        assert_eq!(Activity::SignIn.class().uid(), 3002);
        assert_eq!(Activity::PrivilegeGranted.class().uid(), 3001);
        assert_eq!(Activity::ApiCall.class().uid(), 6003);
        assert_eq!(Activity::RiskDetected.class().uid(), 2004);
    }

    #[test]
    fn dismissed_risk_is_closed() {
        let mut risk = RiskDetection {
            source: "IdentityProtection".into(),
            risk_type: "unfamiliarFeatures".into(),
            level: "low".into(),
            state: Some("dismissed".into()),
            detail: None,
        };
        assert!(!risk.is_open());
        risk.state = Some("atRisk".into());
        assert!(risk.is_open());
    }
}

//! The activity of a CloudTrail record, with the identities it acted on and the privileges
//! it granted, revoked or defined.

use crate::json::Value;
use riposte_model::{
    Activity, IdentityRef, Privilege, PrivilegeKind, RiskDetection, Target, TargetKind,
};

use super::{SIGNIN_SOURCE, policy};
use crate::{StringCache, json};

const STS_SOURCE: &str = "sts.amazonaws.com";
const IAM_SOURCE: &str = "iam.amazonaws.com";
/// The event source of the IAM Identity Center access portal.
const PORTAL_SOURCE: &str = "sso.amazonaws.com";

/// IAM operations that create, change or remove a credential of a user, and act on the
/// calling user when the request names none.
const CREDENTIAL_OPERATIONS: [&str; 9] = [
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "ChangePassword",
    "UploadSSHPublicKey",
    "UploadSigningCertificate",
    "CreateServiceSpecificCredential",
];

/// The activity of an operation, with its targets, privileges and detected risk.
pub(super) struct Classified {
    pub activity: Activity,
    pub targets: Vec<Target>,
    pub privileges: Vec<Privilege>,
    pub risk: Option<RiskDetection>,
}

impl Classified {
    fn new(activity: Activity) -> Self {
        Self {
            activity,
            targets: Vec::new(),
            privileges: Vec::new(),
            risk: None,
        }
    }
}

/// Returns true for the steps of an IAM Identity Center sign-in.
pub(super) fn is_signin_step(operation: &str) -> bool {
    matches!(
        operation,
        "CredentialChallenge" | "CredentialVerification" | "UserAuthentication"
    )
}

/// Classifies the operation of `record`. `account` is the account that recorded the event,
/// which for IAM is the account of the users, roles and groups the request names.
pub(super) fn classify(
    record: &Value,
    service: Option<&str>,
    operation: &str,
    account: Option<&str>,
    actor: &IdentityRef,
    insight: bool,
    strings: &StringCache,
) -> Classified {
    if insight {
        return insight_detection(record, service, operation);
    }
    if operation == "ConsoleLogin" || (service == Some(SIGNIN_SOURCE) && is_signin_step(operation))
    {
        return Classified::new(Activity::SignIn);
    }
    if operation == "CheckMfa" {
        return Classified::new(Activity::MfaVerify);
    }
    match service {
        Some(STS_SOURCE) => sts(record, operation, account, strings),
        Some(PORTAL_SOURCE) if operation == "GetRoleCredentials" => {
            portal_role_credentials(record, strings)
        }
        Some(IAM_SOURCE) => iam(record, operation, account, actor, strings),
        _ => Classified::new(Activity::ApiCall),
    }
}

/// Builds the risk of a CloudTrail Insights event, CloudTrail's own detection of an unusual
/// call rate or error rate.
fn insight_detection(record: &Value, service: Option<&str>, operation: &str) -> Classified {
    let risk_type = json::str_at(record, &["insightDetails", "insightType"]).unwrap_or("unknown");
    let detail = match service {
        Some(service) => format!("{service} {operation}"),
        None => operation.to_owned(),
    };
    let mut classified = Classified::new(Activity::RiskDetected);
    classified.risk = Some(RiskDetection {
        source: "CloudTrailInsights".into(),
        risk_type: risk_type.into(),
        // Insights assigns no severity, and an unusual call rate alone is weak evidence.
        level: "low".into(),
        state: json::str_at(record, &["insightDetails", "state"]).map(Box::from),
        detail: Some(detail.into()),
    });
    classified
}

fn sts(
    record: &Value,
    operation: &str,
    account: Option<&str>,
    strings: &StringCache,
) -> Classified {
    let issues_token = matches!(
        operation,
        "AssumeRole"
            | "AssumeRoleWithSAML"
            | "AssumeRoleWithWebIdentity"
            | "AssumeRoot"
            | "GetSessionToken"
            | "GetFederationToken"
    );
    if !issues_token {
        return Classified::new(Activity::ApiCall);
    }
    let mut classified = Classified::new(Activity::TokenIssued);
    let role = json::str_at(record, &["requestParameters", "roleArn"])
        .map(|role_arn| role_target_from_arn(role_arn, strings));
    // The key id of the issued credentials, which the session's own requests will carry. It
    // belongs to the account of the role, which differs from the caller's when the role is
    // assumed across accounts.
    let key =
        json::str_at(record, &["responseElements", "credentials", "accessKeyId"]).map(|key| {
            let mut target = Target::new(TargetKind::AccessKey, key);
            target.account = role
                .as_ref()
                .and_then(|role| role.account.clone())
                .or_else(|| account.map(|account| strings.share(account)));
            target
        });
    classified.targets.extend(role);
    classified.targets.extend(key);
    classified
}

/// Role credentials handed out by the access portal. The request names the permission set
/// and the account, not the IAM role that IAM Identity Center created for it, so the target
/// id is `<account>/<permission set>`, or the permission set alone.
fn portal_role_credentials(record: &Value, strings: &StringCache) -> Classified {
    let mut classified = Classified::new(Activity::TokenIssued);
    if let Some(role_name) = json::str_at(record, &["requestParameters", "roleName"]) {
        let role_account = json::str_at(record, &["requestParameters", "accountId"]);
        let id = match role_account {
            Some(role_account) => format!("{role_account}/{role_name}"),
            None => role_name.to_owned(),
        };
        let mut target = Target::new(TargetKind::Role, strings.share(&id));
        target.name = Some(strings.share(role_name));
        target.account = role_account.map(|account| strings.share(account));
        classified.targets.push(target);
    }
    classified
}

fn iam(
    record: &Value,
    operation: &str,
    account: Option<&str>,
    actor: &IdentityRef,
    strings: &StringCache,
) -> Classified {
    let mut classified = Classified::new(iam_activity(operation));
    classified.targets = iam_targets(record, operation, account, actor, strings);
    classified.privileges = iam_privileges(record, operation).into_iter().collect();
    classified
}

fn iam_activity(operation: &str) -> Activity {
    match operation {
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" | "PutUserPolicy"
        | "PutRolePolicy" | "PutGroupPolicy" => Activity::PrivilegeGranted,
        "DetachUserPolicy" | "DetachRolePolicy" | "DetachGroupPolicy" | "DeleteUserPolicy"
        | "DeleteRolePolicy" | "DeleteGroupPolicy" => Activity::PrivilegeRevoked,
        "AddUserToGroup" | "RemoveUserFromGroup" => Activity::GroupMembershipChanged,
        "CreateAccessKey"
        | "CreateLoginProfile"
        | "UploadSSHPublicKey"
        | "UploadSigningCertificate"
        | "CreateServiceSpecificCredential" => Activity::CredentialCreated,
        "UpdateLoginProfile" | "ChangePassword" => Activity::CredentialReset,
        "UpdateAssumeRolePolicy" => Activity::TrustPolicyChanged,
        "CreateUser" | "CreateRole" => Activity::AccountCreated,
        "DeleteUser" | "DeleteRole" => Activity::AccountDeleted,
        _ if is_read_only(operation) => Activity::ApiCall,
        _ => Activity::AccountChanged,
    }
}

fn is_read_only(operation: &str) -> bool {
    ["Get", "List", "Generate", "Simulate"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

fn iam_targets(
    record: &Value,
    operation: &str,
    account: Option<&str>,
    actor: &IdentityRef,
    strings: &StringCache,
) -> Vec<Target> {
    let parameter = |key: &str| json::str_at(record, &["requestParameters", key]);
    let response = |path: &[&str]| {
        json::get(record, &["responseElements"]).and_then(|elements| json::str_at(elements, path))
    };
    let partition = partition(record);
    let mut targets = Vec::new();

    let user_name = parameter("userName").or_else(|| response(&["accessKey", "userName"]));
    match user_name {
        Some(name) => targets.push(iam_target(
            TargetKind::User,
            name,
            response(&["user", "arn"]),
            account,
            partition,
            strings,
        )),
        None if CREDENTIAL_OPERATIONS.contains(&operation) => {
            targets.extend(caller_target(record, actor, account, strings));
        }
        None => {}
    }
    if let Some(name) = parameter("roleName") {
        targets.push(iam_target(
            TargetKind::Role,
            name,
            response(&["role", "arn"]),
            account,
            partition,
            strings,
        ));
    }
    if let Some(name) = parameter("groupName") {
        targets.push(iam_target(
            TargetKind::Group,
            name,
            response(&["group", "arn"]),
            account,
            partition,
            strings,
        ));
    }
    if let Some(policy_arn) = parameter("policyArn") {
        let mut target = Target::new(TargetKind::Policy, strings.share(policy_arn));
        target.name = policy_arn
            .rsplit('/')
            .next()
            .map(|name| strings.share(name));
        target.account = account.map(|account| strings.share(account));
        targets.push(target);
    }
    let key = match operation {
        "CreateAccessKey" => response(&["accessKey", "accessKeyId"]),
        "UpdateAccessKey" | "DeleteAccessKey" => parameter("accessKeyId"),
        _ => None,
    };
    if let Some(key) = key {
        let mut target = Target::new(TargetKind::AccessKey, key);
        target.account = account.map(|account| strings.share(account));
        targets.push(target);
    }
    targets
}

/// Returns the calling user as a target, for a request that acts on its own caller. Only IAM
/// users and the root user own credentials.
fn caller_target(
    record: &Value,
    actor: &IdentityRef,
    account: Option<&str>,
    strings: &StringCache,
) -> Option<Target> {
    let identity_type = json::str_at(record, &["userIdentity", "type"])?;
    if !matches!(identity_type, "IAMUser" | "Root") {
        return None;
    }
    let mut target = Target::new(TargetKind::User, actor.key.id.clone());
    target.name = actor.name.clone();
    target.account = account.map(|account| strings.share(account));
    Some(target)
}

/// Builds the target of an IAM user, role or group named in a request. Its id is the ARN:
/// the one in the response when there is one, else one built from the account and the name,
/// which lacks the entity's path (`/division/`), or the plain name when the account is
/// unknown.
fn iam_target(
    kind: TargetKind,
    name: &str,
    response_arn: Option<&str>,
    account: Option<&str>,
    partition: &str,
    strings: &StringCache,
) -> Target {
    let resource = match kind {
        TargetKind::Role => "role",
        TargetKind::Group => "group",
        _ => "user",
    };
    let id = match (response_arn, account) {
        (Some(arn), _) => strings.share(arn),
        (None, Some(account)) => {
            strings.share(&format!("arn:{partition}:iam::{account}:{resource}/{name}"))
        }
        (None, None) => strings.share(name),
    };
    let mut target = Target::new(kind, id);
    target.name = Some(strings.share(name));
    target.account = account.map(|account| strings.share(account));
    target
}

/// `arn:aws:iam::111111111111:role/path/Name`: the name is the last segment of the
/// resource, and the account is the ARN's fifth field.
fn role_target_from_arn(role_arn: &str, strings: &StringCache) -> Target {
    let mut target = Target::new(TargetKind::Role, strings.share(role_arn));
    target.name = role_arn
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty() && !name.contains(':'))
        .map(|name| strings.share(name));
    target.account = role_arn
        .split(':')
        .nth(4)
        .filter(|account| !account.is_empty())
        .map(|account| strings.share(account));
    target
}

/// Returns the partition (`aws`, `aws-cn`, `aws-us-gov`) of the caller's ARN, or `aws`.
fn partition<'a>(record: &'a Value<'a>) -> &'a str {
    json::str_at(record, &["userIdentity", "arn"])
        .and_then(|arn| arn.strip_prefix("arn:"))
        .and_then(|rest| rest.split(':').next())
        .filter(|partition| !partition.is_empty())
        .unwrap_or("aws")
}

fn iam_privileges(record: &Value, operation: &str) -> Option<Privilege> {
    let parameter = |key: &str| json::str_at(record, &["requestParameters", key]);
    let document =
        |key: &str| policy::decode_document(json::get(record, &["requestParameters", key]));
    let (kind, name, document) = match operation {
        "AttachUserPolicy" | "AttachRolePolicy" | "AttachGroupPolicy" | "DetachUserPolicy"
        | "DetachRolePolicy" | "DetachGroupPolicy" => {
            (PrivilegeKind::ManagedPolicy, parameter("policyArn")?, None)
        }
        "PutUserPolicy" | "PutRolePolicy" | "PutGroupPolicy" => (
            PrivilegeKind::InlinePolicy,
            parameter("policyName")?,
            document("policyDocument"),
        ),
        "DeleteUserPolicy" | "DeleteRolePolicy" | "DeleteGroupPolicy" => {
            (PrivilegeKind::InlinePolicy, parameter("policyName")?, None)
        }
        "UpdateAssumeRolePolicy" => (
            PrivilegeKind::TrustPolicy,
            parameter("roleName")?,
            document("policyDocument"),
        ),
        "CreateRole" => (
            PrivilegeKind::TrustPolicy,
            parameter("roleName")?,
            document("assumeRolePolicyDocument"),
        ),
        // A new managed policy, or a new version of one, defines permissions that every
        // identity it is attached to receives.
        "CreatePolicy" => (
            PrivilegeKind::ManagedPolicy,
            json::str_at(record, &["responseElements", "policy", "arn"])
                .or_else(|| parameter("policyName"))?,
            document("policyDocument"),
        ),
        "CreatePolicyVersion" => (
            PrivilegeKind::ManagedPolicy,
            parameter("policyArn")?,
            document("policyDocument"),
        ),
        _ => return None,
    };
    Some(Privilege {
        kind,
        name: name.into(),
        document,
    })
}

//! The acting identity and credential of a CloudTrail record, read from `userIdentity`.

use std::borrow::Cow;
use std::sync::Arc;

use crate::json::Value;
use riposte_model::{
    Credential, CredentialKind, IdentityKind, IdentityRef, MfaMethod, Provider, RoleSession,
    Sensitive,
};

use crate::{StringCache, json, reuse_or_allocate};

/// Prefix of a long-lived IAM access key id.
const LONG_LIVED_KEY_PREFIX: &str = "AKIA";
/// Prefix of a temporary access key id issued by STS.
const TEMPORARY_KEY_PREFIX: &str = "ASIA";

/// The placeholder CloudTrail writes in place of a value it withholds, such as the user name typed in a
/// failed console sign-in.
const WITHHELD: &str = "HIDDEN_DUE_TO_SECURITY_REASONS";

/// Returns the identity that made the request described by `record`, from its
/// `userIdentity` and the access key read from it.
///
/// `account` is the account that recorded the event, used when the identity names none. The
/// text of roles, services and accounts is shared through `strings`.
pub(super) fn actor(
    record: &Value,
    user_identity: Option<&Value>,
    access_key: Option<&str>,
    operation: &str,
    account: Option<&str>,
    strings: &StringCache,
) -> IdentityRef {
    let Some(identity) = user_identity.filter(|value| value.is_object()) else {
        return IdentityRef::unknown(Provider::Aws);
    };
    let account = text(identity, &["accountId"]).or(account);
    match text(identity, &["type"]) {
        Some("Root") => root(identity, account),
        Some("IAMUser") => iam_user(record, identity, access_key, operation, account),
        Some("AssumedRole") => assumed_role(record, identity, account, strings),
        Some("WebIdentityUser") => web_identity_user(identity),
        Some("SAMLUser") => saml_user(identity),
        Some("FederatedUser") => federated_user(identity),
        Some("AWSService") => aws_service(identity, strings),
        Some("AWSAccount") => aws_account(identity, account, strings),
        _ => identity_center_user(record, identity).unwrap_or_else(|| other(identity)),
    }
}

/// Returns the credential the caller presented, from the record, its `userIdentity`, the
/// access key read from it and its `eventSource` (`service`).
pub(super) fn credential(
    record: &Value,
    user_identity: Option<&Value>,
    access_key: Option<&Arc<str>>,
    service: Option<&str>,
    operation: &str,
) -> Credential {
    let identity_type = user_identity.and_then(|identity| text(identity, &["type"]));
    if operation == "ConsoleLogin" {
        // A federated console sign-in presents a SAML assertion or a federation sign-in
        // token. An IAM or root user types a password.
        let kind = match identity_type {
            Some("AssumedRole" | "SAMLUser" | "FederatedUser" | "WebIdentityUser") => {
                CredentialKind::Federation
            }
            _ => CredentialKind::Password,
        };
        return Credential { kind, id: None };
    }
    if let Some(kind) = challenge_credential_kind(record, service) {
        return Credential { kind, id: None };
    }
    if operation == "CheckMfa" {
        return Credential {
            kind: CredentialKind::MfaFactor,
            id: None,
        };
    }
    match access_key {
        Some(key) if key.starts_with(LONG_LIVED_KEY_PREFIX) => Credential {
            kind: CredentialKind::LongLivedKey,
            id: Some(Arc::clone(key)),
        },
        Some(key) if key.starts_with(TEMPORARY_KEY_PREFIX) => Credential {
            kind: CredentialKind::TemporaryKey,
            id: Some(Arc::clone(key)),
        },
        Some(key) => Credential {
            kind: CredentialKind::Unknown,
            id: Some(Arc::clone(key)),
        },
        None if matches!(
            operation,
            "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity"
        ) =>
        {
            Credential {
                kind: CredentialKind::Federation,
                id: None,
            }
        }
        None => Credential::unknown(),
    }
}

/// Returns the session of a temporary key: STS issues one key per role or user session, so
/// the key id identifies the session that later requests replay.
pub(super) fn session_id(access_key: Option<&Arc<str>>) -> Option<Sensitive> {
    access_key
        .filter(|key| key.starts_with(TEMPORARY_KEY_PREFIX))
        .map(|key| Sensitive::new(Arc::clone(key)))
}

/// Returns the factor an IAM Identity Center sign-in challenge asked for, from
/// `additionalEventData.CredentialType`. `service` is the record's `eventSource`.
pub(super) fn challenge_mfa_method(record: &Value, service: Option<&str>) -> Option<MfaMethod> {
    if service != Some(super::SIGNIN_SOURCE) {
        return None;
    }
    match json::str_at(record, &["additionalEventData", "CredentialType"])? {
        "TOTP" | "RESYNC_TOTP" => Some(MfaMethod::Otp),
        "WEBAUTHN" => Some(MfaMethod::Webauthn),
        _ => None,
    }
}

/// Returns true when `text` has the form of an e-mail address: one `@` with a non-empty
/// local part before it, and a domain of two or more dot-separated labels after it.
pub(super) fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_valid = !local.is_empty()
        && !local
            .chars()
            .any(|character| character.is_whitespace() || matches!(character, '/' | ':'));
    if !local_valid {
        return false;
    }
    // One pass over the domain, label by label.
    let mut label_count = 1;
    let mut label_length = 0;
    let mut label_alphabetic = false;
    for character in domain.chars() {
        if character == '.' {
            if label_length == 0 {
                return false;
            }
            label_count += 1;
            label_length = 0;
            label_alphabetic = false;
        } else if character.is_alphanumeric() || character == '-' {
            label_length += 1;
            label_alphabetic |= character.is_alphabetic();
        } else {
            return false;
        }
    }
    // The last label is the top-level domain, which contains a letter.
    label_count >= 2 && label_length > 0 && label_alphabetic
}

/// Returns true for an EC2 instance id: `i-` and 8 or 17 hexadecimal digits.
pub(super) fn is_instance_id(text: &str) -> bool {
    text.strip_prefix("i-").is_some_and(|digits| {
        matches!(digits.len(), 8 | 17) && digits.chars().all(|digit| digit.is_ascii_hexdigit())
    })
}

/// Returns the string at `path` unless it is absent, a placeholder or withheld by CloudTrail.
fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    json::str_at(value, path).filter(|text| *text != WITHHELD)
}

/// Returns the access key id of a `userIdentity`.
pub(super) fn access_key<'a>(user_identity: Option<&'a Value<'a>>) -> Option<&'a str> {
    text(user_identity?, &["accessKeyId"]).map(str::trim)
}

fn with_email(mut identity: IdentityRef, candidates: &[Option<&str>]) -> IdentityRef {
    let session_name = identity
        .role_session
        .as_ref()
        .map(|session| &session.session_name);
    identity.email = candidates
        .iter()
        .flatten()
        .find(|candidate| looks_like_email(candidate))
        .map(|email| reuse_or_allocate(email, &[identity.name.as_ref(), session_name]));
    identity
}

fn root(identity: &Value, account: Option<&str>) -> IdentityRef {
    let id = text(identity, &["arn"])
        .map(Cow::Borrowed)
        .or_else(|| account.map(|account| Cow::Owned(format!("arn:aws:iam::{account}:root"))))
        .or_else(|| text(identity, &["principalId"]).map(Cow::Borrowed))
        .unwrap_or(Cow::Borrowed("root"));
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::AwsRoot);
    actor.name = text(identity, &["userName"]).map(Arc::from);
    actor
}

fn iam_user(
    record: &Value,
    identity: &Value,
    access_key: Option<&str>,
    operation: &str,
    account: Option<&str>,
) -> IdentityRef {
    let arn = text(identity, &["arn"]);
    let user_name = text(identity, &["userName"])
        .or_else(|| {
            arn.and_then(arn_resource)
                .and_then(|resource| resource.strip_prefix("user/"))
                .and_then(|path| path.rsplit('/').next())
        })
        .filter(|name| !name.is_empty());
    let principal = text(identity, &["principalId"]);
    if arn.is_none() && user_name.is_none() && principal.is_none() {
        // A failed console sign-in with a user name that does not exist: CloudTrail withholds
        // the name, so only the account is known, not the user.
        let id = account.unwrap_or("unknown");
        return IdentityRef::new(Provider::Aws, id, IdentityKind::Unknown);
    }
    let id = arn
        .map(Cow::Borrowed)
        .or_else(|| {
            let arn = format!("arn:aws:iam::{}:user/{}", account?, user_name?);
            Some(Cow::Owned(arn))
        })
        .or(principal.map(Cow::Borrowed))
        .or(user_name.map(Cow::Borrowed))
        .unwrap_or(Cow::Borrowed("unknown"));
    let kind = iam_user_kind(record, access_key, operation);
    let mut actor = IdentityRef::new(Provider::Aws, id, kind);
    actor.name = user_name.map(Arc::from);
    with_email(actor, &[user_name])
}

/// Classifies an IAM user as a person in the console and as a workload when it signs
/// requests with a key.
///
/// Console sessions sign requests with temporary `ASIA` keys too, so a temporary key counts
/// as the person's when CloudTrail marks it `sessionCredentialFromConsole` or the console
/// sent the request. Any other key is the user's access key or a `GetSessionToken` session,
/// which only a long-lived key can request.
fn iam_user_kind(record: &Value, access_key: Option<&str>, operation: &str) -> IdentityKind {
    if operation == "ConsoleLogin" {
        return IdentityKind::Human;
    }
    let Some(key) = access_key else {
        return IdentityKind::Human;
    };
    if key.starts_with(LONG_LIVED_KEY_PREFIX) {
        return IdentityKind::IamUserAccessKey;
    }
    let from_console = json::bool_at(record, &["sessionCredentialFromConsole"]) == Some(true)
        || json::str_at(record, &["userAgent"])
            .is_some_and(|agent| agent.starts_with("console.") && agent.contains("amazonaws.com"));
    if from_console {
        IdentityKind::Human
    } else {
        IdentityKind::IamUserAccessKey
    }
}

fn assumed_role(
    record: &Value,
    identity: &Value,
    account: Option<&str>,
    strings: &StringCache,
) -> IdentityRef {
    let arn = text(identity, &["arn"]);
    // `arn:aws:sts::111111111111:assumed-role/RoleName/SessionName`: a session ARN names the
    // role without its path.
    let (arn_role, arn_session) = arn
        .and_then(arn_resource)
        .and_then(|resource| resource.strip_prefix("assumed-role/"))
        .and_then(|rest| rest.split_once('/'))
        .unzip();
    let context = json::get(identity, &["sessionContext"]);
    let issuer_name = context.and_then(|context| text(context, &["sessionIssuer", "userName"]));
    let issuer_arn = context.and_then(|context| text(context, &["sessionIssuer", "arn"]));
    let role_name = issuer_name.or(arn_role.filter(|name| !name.is_empty()));
    let session_name = arn_session.filter(|name| !name.is_empty()).or_else(|| {
        text(identity, &["principalId"])
            .and_then(|principal| principal.split_once(':'))
            .map(|(_, session)| session)
            .filter(|session| !session.is_empty())
    });
    // NOTE: without `sessionIssuer`, the role ARN is rebuilt from the session ARN and lacks
    // the role's path, such as `/aws-reserved/sso.amazonaws.com/`.
    let role_arn = issuer_arn.map(Cow::Borrowed).or_else(|| {
        let arn = format!("arn:aws:iam::{}:role/{}", account?, role_name?);
        Some(Cow::Owned(arn))
    });
    let source_identity = context
        .and_then(|context| text(context, &["sourceIdentity"]))
        .or_else(|| text(identity, &["sourceIdentity"]));

    let id = arn
        .map(Cow::Borrowed)
        .or_else(|| {
            let arn = format!(
                "arn:aws:sts::{}:assumed-role/{}/{}",
                account?, role_name?, session_name?
            );
            Some(Cow::Owned(arn))
        })
        .or_else(|| text(identity, &["principalId"]).map(Cow::Borrowed))
        .unwrap_or(Cow::Borrowed("unknown"));
    let kind = assumed_role_kind(record, context, session_name);
    let mut actor = IdentityRef::new(Provider::Aws, id, kind);
    let role_name = role_name.map(|name| strings.share(name));
    actor.name = role_name.clone();
    if let (Some(role_arn), Some(role_name), Some(session_name)) =
        (role_arn, role_name, session_name)
    {
        actor.role_session = Some(RoleSession {
            role_arn: strings.share(&role_arn),
            role_name,
            session_name: session_name.into(),
            source_identity: source_identity.map(Arc::from),
        });
    }
    with_email(actor, &[session_name, source_identity])
}

/// Separates workload sessions from the sessions of people and pipelines.
fn assumed_role_kind(
    record: &Value,
    context: Option<&Value>,
    session_name: Option<&str>,
) -> IdentityKind {
    // EC2 names an instance profile's session after the instance, and records that it
    // delivered the credentials through the instance metadata service in `ec2RoleDelivery`.
    let instance = context
        .is_some_and(|context| json::get(context, &["ec2RoleDelivery"]).is_some())
        || session_name.is_some_and(is_instance_id);
    if instance {
        return IdentityKind::InstanceRoleSession;
    }
    if is_lambda_session(record, session_name) {
        return IdentityKind::FunctionRoleSession;
    }
    let web_identity = context.is_some_and(|context| {
        text(context, &["webIdFederationData", "federatedProvider"]).is_some()
    });
    if web_identity {
        return IdentityKind::WebIdentitySession;
    }
    IdentityKind::AssumedRoleSession
}

/// Returns true when the role session belongs to a Lambda function.
///
/// Nothing in a session marks it as Lambda's, and a role that trusts
/// `lambda.amazonaws.com` may also be assumed from elsewhere, so two signals that only a
/// function's requests carry are used:
/// - the AWS SDKs append `exec-env/` and `AWS_EXECUTION_ENV` to their user agent, and Lambda
///   sets that variable to `AWS_Lambda_<runtime>`;
/// - Lambda decrypts a function's environment variables with KMS under the function's
///   execution role, in a session named after the function, and the request's encryption
///   context names the function in `aws:lambda:FunctionArn`.
///
/// A request from a function whose SDK omits the execution environment matches neither
/// signal and stays an [`IdentityKind::AssumedRoleSession`].
fn is_lambda_session(record: &Value, session_name: Option<&str>) -> bool {
    let lambda_agent = json::str_at(record, &["userAgent"])
        .is_some_and(|agent| agent.contains("exec-env/AWS_Lambda"));
    if lambda_agent {
        return true;
    }
    let function_name = json::str_at(
        record,
        &[
            "requestParameters",
            "encryptionContext",
            "aws:lambda:FunctionArn",
        ],
    )
    .and_then(|arn| arn.split(":function:").nth(1))
    .and_then(|rest| rest.split(':').next());
    matches!((function_name, session_name), (Some(function), Some(session)) if function == session)
}

fn web_identity_user(identity: &Value) -> IdentityRef {
    let user_name = text(identity, &["userName"]);
    let id = text(identity, &["principalId"])
        .map(str::to_owned)
        .or_else(|| {
            Some(format!(
                "{}:{}",
                text(identity, &["identityProvider"])?,
                user_name?
            ))
        })
        .or_else(|| user_name.map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::WebIdentitySession);
    actor.name = user_name.map(Arc::from);
    with_email(actor, &[user_name])
}

/// Builds the person federated through a SAML identity provider, as `AssumeRoleWithSAML`
/// records the caller.
fn saml_user(identity: &Value) -> IdentityRef {
    let user_name = text(identity, &["userName"]);
    let id = text(identity, &["principalId"])
        .or(user_name)
        .unwrap_or("unknown");
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::Human);
    actor.name = user_name.map(Arc::from);
    with_email(actor, &[user_name])
}

/// Builds a session from `GetFederationToken`. Its issuer is an IAM user, not a role, so no
/// [`RoleSession`] is filled.
fn federated_user(identity: &Value) -> IdentityRef {
    let arn = text(identity, &["arn"]);
    let name = arn
        .and_then(arn_resource)
        .and_then(|resource| resource.strip_prefix("federated-user/"))
        .or_else(|| {
            text(identity, &["principalId"])
                .and_then(|principal| principal.split_once(':'))
                .map(|(_, name)| name)
        })
        .filter(|name| !name.is_empty());
    let id = arn
        .or_else(|| text(identity, &["principalId"]))
        .or(name)
        .unwrap_or("unknown");
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::AssumedRoleSession);
    actor.name = name.map(Arc::from);
    with_email(actor, &[name])
}

fn aws_service(identity: &Value, strings: &StringCache) -> IdentityRef {
    let invoked_by = text(identity, &["invokedBy"]);
    let id = invoked_by
        .or_else(|| text(identity, &["principalId"]))
        .unwrap_or("unknown");
    let mut actor = IdentityRef::new(Provider::Aws, strings.share(id), IdentityKind::AwsService);
    actor.name = invoked_by.map(|name| strings.share(name));
    actor
}

/// Builds a principal of another account, which CloudTrail names only by its account.
fn aws_account(identity: &Value, account: Option<&str>, strings: &StringCache) -> IdentityRef {
    let id = account
        .or_else(|| text(identity, &["principalId"]))
        .unwrap_or("unknown");
    IdentityRef::new(Provider::Aws, strings.share(id), IdentityKind::Unknown)
}

/// Builds an IAM Identity Center user, named by its identity store and user id in
/// `onBehalfOf`.
fn identity_center_user(record: &Value, identity: &Value) -> Option<IdentityRef> {
    let user_id = text(identity, &["onBehalfOf", "userId"])?;
    // `arn:aws:identitystore::111111111111:identitystore/d-1234567890`
    let store_id = text(identity, &["onBehalfOf", "identityStoreArn"])
        .and_then(|arn| arn.rsplit('/').next())
        .filter(|store| !store.is_empty() && !store.contains(':'));
    let id = match store_id {
        Some(store_id) => format!("identitystore:{store_id}/{user_id}"),
        None => format!("identitystore:{user_id}"),
    };
    let name = text(record, &["additionalEventData", "UserName"])
        .or_else(|| text(identity, &["userName"]));
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::Human);
    actor.name = name.map(Arc::from);
    Some(with_email(actor, &[name]))
}

/// Any other `userIdentity`: type `Unknown` (failed sign-ins, some IAM Identity Center
/// portal calls), a missing type, or a type riposte does not classify.
///
/// The user name comes before `principalId`, which for these types is often the account id
/// and would merge every user of the account into one identity.
fn other(identity: &Value) -> IdentityRef {
    let user_name = text(identity, &["userName"]);
    let id = text(identity, &["arn"])
        .or(user_name)
        .or_else(|| text(identity, &["principalId"]))
        .or_else(|| text(identity, &["accountId"]))
        .unwrap_or("unknown");
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::Unknown);
    actor.name = user_name.map(Arc::from);
    with_email(actor, &[user_name])
}

/// Returns the resource part of an ARN, after its fifth colon.
fn arn_resource(arn: &str) -> Option<&str> {
    let fields = arn.strip_prefix("arn:")?;
    // The partition, service, region and account end at the next four colons.
    let (end, _) = fields
        .bytes()
        .enumerate()
        .filter(|(_, byte)| *byte == b':')
        .nth(3)?;
    fields.get(end + 1..)
}

/// Returns the credential kind that an IAM Identity Center sign-in challenge asked for.
/// `service` is the record's `eventSource`.
fn challenge_credential_kind(record: &Value, service: Option<&str>) -> Option<CredentialKind> {
    if service != Some(super::SIGNIN_SOURCE) {
        return None;
    }
    let kind = match json::str_at(record, &["additionalEventData", "CredentialType"])? {
        "PASSWORD" => CredentialKind::Password,
        "TOTP" | "RESYNC_TOTP" | "WEBAUTHN" => CredentialKind::MfaFactor,
        "SMARTCARD" => CredentialKind::Certificate,
        _ => CredentialKind::Unknown,
    };
    Some(kind)
}

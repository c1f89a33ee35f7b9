use riposte_model::{
    Activity, CredentialKind, Event, IdentityKind, MfaMethod, Origin, Outcome, PrivilegeKind,
    TargetKind,
};
use serde_json::{Value, json};

use super::identity::{is_instance_id, looks_like_email};
use super::*;

/// Reads a record built with `serde_json::json!`, which the tests modify in place.
fn matches(record: &Value) -> bool {
    super::matches(&crate::json::Value::from_serde(
        record,
        &crate::json::Arena::new(),
    ))
}

fn normalize(record: &Value, context: &RecordContext<'_>) -> Result<Normalized, NormalizeError> {
    let arena = crate::json::Arena::new();
    super::normalize(&crate::json::Value::from_serde(record, &arena), context)
}

fn event(record: &Value) -> Event {
    let raw = serde_json::to_vec(record).unwrap();
    let context = RecordContext {
        location: None,
        raw: crate::RawRecord::Bytes(&raw),
        strings: &crate::StringCache::new(),
    };
    match normalize(record, &context).unwrap() {
        Normalized::Event(event) => *event,
        Normalized::Unsupported { category } => panic!("unsupported: {category}"),
    }
}

fn error(record: &Value) -> String {
    let context = RecordContext {
        location: None,
        raw: crate::RawRecord::Bytes(b"{}"),
        strings: &crate::StringCache::new(),
    };
    normalize(record, &context).unwrap_err().to_string()
}

/// Builds a minimal API call record with `identity` and with `fields` merged in.
fn call(identity: Value, fields: Value) -> Value {
    let mut record = json!({
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "ListBuckets",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.0",
        "eventID": "00000000-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall",
        "recipientAccountId": "111111111111"
    });
    let object = record.as_object_mut().unwrap();
    for (key, value) in fields.as_object().unwrap() {
        object.insert(key.clone(), value.clone());
    }
    record
}

fn role_identity(session: &str) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": format!("AROAEXAMPLEROLE0001:{session}"),
        "arn": format!("arn:aws:sts::111111111111:assumed-role/Deploy/{session}"),
        "accountId": "111111111111",
        "accessKeyId": "ASIAEXAMPLESESSION01",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLE0001",
                "arn": "arn:aws:iam::111111111111:role/ci/Deploy",
                "accountId": "111111111111",
                "userName": "Deploy"
            },
            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"}
        }
    })
}

fn iam_user_identity(key: Option<&str>) -> Value {
    let mut identity = json!({
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEUSER00001",
        "arn": "arn:aws:iam::111111111111:user/alice",
        "accountId": "111111111111",
        "userName": "alice"
    });
    if let Some(key) = key {
        identity["accessKeyId"] = json!(key);
    }
    identity
}

#[test]
fn matches_trail_records() {
    assert!(matches(&json!({"eventVersion": "1.08"})));
    assert!(matches(
        &json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"})
    ));
    for kind in EVENT_TYPES {
        assert!(matches(&json!({"eventType": kind})), "{kind}");
    }
    assert!(!matches(&json!({"eventType": "user.session.start"})));
    assert!(!matches(&json!({"eventSource": "iam.amazonaws.com"})));
    assert!(!matches(&json!(["eventVersion"])));
}

#[test]
fn okta_records_do_not_match() {
    let okta = json!({
        "uuid": "7f2b5c1e-0000-4000-8000-000000000001",
        "published": "2024-05-01T10:00:00.000Z",
        "eventType": "user.session.start",
        "version": "0",
        "actor": {"id": "00u1example", "type": "User"}
    });
    assert!(!matches(&okta));
    let okta_with_api_type = json!({
        "uuid": "7f2b5c1e-0000-4000-8000-000000000002",
        "published": "2024-05-01T10:00:00.000Z",
        "eventType": "AwsApiCall"
    });
    assert!(!matches(&okta_with_api_type));
}

#[test]
fn eventbridge_event_is_unwrapped() {
    let detail = call(iam_user_identity(Some("AKIAEXAMPLEKEY000001")), json!({}));
    let envelope = json!({
        "version": "0",
        "id": "6a7e8feb-0000-4000-8000-000000000009",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3",
        "account": "111111111111",
        "time": "2024-05-01T10:00:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail
    });
    assert!(matches(&envelope));
    let event = event(&envelope);
    assert_eq!(&*event.event_id, "00000000-0000-4000-8000-000000000001");
    assert_eq!(&*event.operation, "ListBuckets");
    assert_eq!(&*event.actor.key.id, "arn:aws:iam::111111111111:user/alice");
}

#[test]
fn eventbridge_event_of_other_sources_does_not_match() {
    let guardduty = json!({
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "detail": {"schemaVersion": "2.0", "type": "Recon:EC2/PortProbeUnprotectedPort"}
    });
    assert!(!matches(&guardduty));
    let custom = json!({
        "detail-type": "AWS API Call via CloudTrail",
        "source": "com.example.app",
        "detail": {"eventVersion": "1.08"}
    });
    assert!(!matches(&custom));
}

#[test]
fn eventbridge_account_fills_missing_account() {
    let mut detail = call(
        json!({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}),
        json!({}),
    );
    detail.as_object_mut().unwrap().remove("recipientAccountId");
    let envelope = json!({
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3",
        "account": "111111111111",
        "detail": detail
    });
    assert_eq!(event(&envelope).account.as_deref(), Some("111111111111"));
}

#[test]
fn digest_is_unsupported() {
    let digest = json!({
        "awsAccountId": "111111111111",
        "digestStartTime": "2024-05-01T09:00:00Z",
        "digestEndTime": "2024-05-01T10:00:00Z",
        "digestS3Bucket": "example-trail-bucket",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "logFiles": []
    });
    assert!(matches(&digest));
    let context = RecordContext {
        location: None,
        raw: crate::RawRecord::Bytes(b"{}"),
        strings: &crate::StringCache::new(),
    };
    match normalize(&digest, &context).unwrap() {
        Normalized::Unsupported { category } => assert_eq!(&*category, "digest"),
        Normalized::Event(event) => panic!("digest normalized as {event:?}"),
    }
}

#[test]
fn missing_event_time_is_rejected() {
    let mut record = call(iam_user_identity(None), json!({}));
    record.as_object_mut().unwrap().remove("eventTime");
    assert_eq!(error(&record), "missing required field `eventTime`");
    let record = call(iam_user_identity(None), json!({"eventTime": null}));
    assert_eq!(error(&record), "missing required field `eventTime`");
}

#[test]
fn invalid_event_time_is_rejected() {
    let record = call(
        iam_user_identity(None),
        json!({"eventTime": "2024-13-01T00:00:00Z"}),
    );
    assert_eq!(
        error(&record),
        "invalid timestamp `2024-13-01T00:00:00Z` in `eventTime`: the date does not exist (month or day out of range)"
    );
    let record = call(iam_user_identity(None), json!({"eventTime": "yesterday"}));
    assert_eq!(
        error(&record),
        "invalid timestamp `yesterday` in `eventTime`: expected RFC 3339, `M/D/YYYY h:mm:ss AM [+hh:mm]` or epoch milliseconds"
    );
}

#[test]
fn event_name_of_wrong_type_is_rejected() {
    let record = call(iam_user_identity(None), json!({"eventName": 42}));
    assert_eq!(
        error(&record),
        "invalid value `42` in `eventName`: expected a string"
    );
    let mut record = call(iam_user_identity(None), json!({}));
    record.as_object_mut().unwrap().remove("eventName");
    assert_eq!(error(&record), "missing required field `eventName`");
}

#[test]
fn missing_event_id_uses_the_digest() {
    let mut record = call(iam_user_identity(None), json!({}));
    record.as_object_mut().unwrap().remove("eventID");
    assert!(event(&record).event_id.starts_with("sha256:"));
}

#[test]
fn root_is_aws_root() {
    let record = call(
        json!({"type": "Root", "principalId": "111111111111", "accountId": "111111111111"}),
        json!({}),
    );
    let actor = event(&record).actor;
    assert_eq!(actor.kind, IdentityKind::AwsRoot);
    assert_eq!(&*actor.key.id, "arn:aws:iam::111111111111:root");
}

#[test]
fn iam_user_long_lived_key() {
    let event = event(&call(
        iam_user_identity(Some("AKIAEXAMPLEKEY000001")),
        json!({}),
    ));
    assert_eq!(event.actor.kind, IdentityKind::IamUserAccessKey);
    assert_eq!(&*event.actor.key.id, "arn:aws:iam::111111111111:user/alice");
    assert_eq!(event.actor.name.as_deref(), Some("alice"));
    assert_eq!(event.credential.kind, CredentialKind::LongLivedKey);
    assert_eq!(event.credential.id.as_deref(), Some("AKIAEXAMPLEKEY000001"));
    assert_eq!(event.session_id, None);
}

#[test]
fn iam_user_in_console_is_human() {
    let event = event(&call(
        iam_user_identity(Some("ASIAEXAMPLECONSOLE01")),
        json!({"sessionCredentialFromConsole": "true"}),
    ));
    assert_eq!(event.actor.kind, IdentityKind::Human);
    assert_eq!(event.credential.kind, CredentialKind::TemporaryKey);
    assert_eq!(
        event.session_id.as_ref().map(|session| session.expose()),
        Some("ASIAEXAMPLECONSOLE01")
    );
}

#[test]
fn iam_user_without_key_is_human() {
    let event = event(&call(iam_user_identity(None), json!({})));
    assert_eq!(event.actor.kind, IdentityKind::Human);
    assert_eq!(event.credential.kind, CredentialKind::Unknown);
}

#[test]
fn iam_user_console_login_is_human_with_password() {
    let event = event(&call(
        iam_user_identity(Some("AKIAEXAMPLEKEY000001")),
        json!({
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "eventType": "AwsConsoleSignIn",
            "responseElements": {"ConsoleLogin": "Success"},
            "additionalEventData": {"MFAUsed": "Yes"}
        }),
    ));
    assert_eq!(event.actor.kind, IdentityKind::Human);
    assert_eq!(event.activity, Activity::SignIn);
    assert_eq!(event.credential.kind, CredentialKind::Password);
    assert_eq!(event.interactive, Some(true));
    assert_eq!(event.mfa, Some(MfaMethod::Other));
    assert_eq!(event.outcome, Outcome::Success);
}

#[test]
fn role_session_keeps_role_and_session_apart() {
    let event = event(&call(role_identity("build-42"), json!({})));
    let actor = event.actor;
    assert_eq!(actor.kind, IdentityKind::AssumedRoleSession);
    assert_eq!(
        &*actor.key.id,
        "arn:aws:sts::111111111111:assumed-role/Deploy/build-42"
    );
    let session = actor.role_session.unwrap();
    assert_eq!(
        &*session.role_arn,
        "arn:aws:iam::111111111111:role/ci/Deploy"
    );
    assert_eq!(&*session.role_name, "Deploy");
    assert_eq!(&*session.session_name, "build-42");
    assert_eq!(session.source_identity, None);
    assert_eq!(actor.email, None);
    assert_eq!(event.credential.kind, CredentialKind::TemporaryKey);
    assert!(event.session_id.is_some());
}

#[test]
fn role_session_without_issuer() {
    let identity = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLE0001:carol@example.com",
        "arn": "arn:aws:sts::111111111111:assumed-role/Admin/carol@example.com",
        "accountId": "111111111111"
    });
    let actor = event(&call(identity, json!({}))).actor;
    let session = actor.role_session.unwrap();
    assert_eq!(&*session.role_arn, "arn:aws:iam::111111111111:role/Admin");
    assert_eq!(&*session.role_name, "Admin");
    assert_eq!(&*session.session_name, "carol@example.com");
    assert_eq!(actor.email.as_deref(), Some("carol@example.com"));
}

#[test]
fn session_name_falls_back_to_principal_id() {
    let identity = json!({
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEROLE0001:dave@example.org",
        "accountId": "111111111111",
        "sessionContext": {
            "sessionIssuer": {"arn": "arn:aws:iam::111111111111:role/Ops", "userName": "Ops"},
            "sourceIdentity": "dave"
        }
    });
    let actor = event(&call(identity, json!({}))).actor;
    assert_eq!(
        &*actor.key.id,
        "arn:aws:sts::111111111111:assumed-role/Ops/dave@example.org"
    );
    let session = actor.role_session.unwrap();
    assert_eq!(&*session.session_name, "dave@example.org");
    assert_eq!(session.source_identity.as_deref(), Some("dave"));
    assert_eq!(actor.email.as_deref(), Some("dave@example.org"));
}

#[test]
fn source_identity_email_is_the_email() {
    let mut identity = role_identity("okta-session-7");
    identity["sessionContext"]["sourceIdentity"] = json!("erin@example.com");
    let actor = event(&call(identity, json!({}))).actor;
    assert_eq!(actor.email.as_deref(), Some("erin@example.com"));
    assert_eq!(
        actor.role_session.unwrap().source_identity.as_deref(),
        Some("erin@example.com")
    );
}

#[test]
fn instance_session_is_instance_role() {
    for session in ["i-0123456789abcdef0", "i-0a1b2c3d"] {
        let event = event(&call(role_identity(session), json!({})));
        assert_eq!(
            event.actor.kind,
            IdentityKind::InstanceRoleSession,
            "{session}"
        );
    }
    let mut identity = role_identity("other-name");
    identity["sessionContext"]["ec2RoleDelivery"] = json!("2.0");
    let event = event(&call(identity, json!({})));
    assert_eq!(event.actor.kind, IdentityKind::InstanceRoleSession);
}

#[test]
fn lambda_user_agent_is_function_role() {
    let event = event(&call(
        role_identity("thumbnailer"),
        json!({"userAgent": "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10 lang/python#3.12.2 exec-env/AWS_Lambda_python3.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0"}),
    ));
    assert_eq!(event.actor.kind, IdentityKind::FunctionRoleSession);
}

#[test]
fn lambda_environment_decryption_is_function_role() {
    let event = event(&call(
        role_identity("thumbnailer"),
        json!({
            "eventSource": "kms.amazonaws.com",
            "eventName": "Decrypt",
            "userAgent": "AWS Internal",
            "requestParameters": {
                "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                "encryptionContext": {
                    "aws:lambda:FunctionArn": "arn:aws:lambda:us-east-1:111111111111:function:thumbnailer"
                }
            }
        }),
    ));
    assert_eq!(event.actor.kind, IdentityKind::FunctionRoleSession);
    let other_function = event_for_function("resizer", "thumbnailer");
    assert_eq!(other_function, IdentityKind::AssumedRoleSession);
}

fn event_for_function(function: &str, session: &str) -> IdentityKind {
    event(&call(
        role_identity(session),
        json!({
            "requestParameters": {
                "encryptionContext": {
                    "aws:lambda:FunctionArn": format!("arn:aws:lambda:us-east-1:111111111111:function:{function}")
                }
            }
        }),
    ))
    .actor
    .kind
}

#[test]
fn web_identity_session_is_web_identity() {
    let mut identity = role_identity("botocore-session-1714550000");
    identity["sessionContext"]["webIdFederationData"] = json!({
        "federatedProvider": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0000",
        "attributes": {}
    });
    let event = event(&call(identity, json!({})));
    assert_eq!(event.actor.kind, IdentityKind::WebIdentitySession);
}

#[test]
fn empty_web_identity_data_is_plain_session() {
    let mut identity = role_identity("deploy-run");
    identity["sessionContext"]["webIdFederationData"] = json!({});
    let event = event(&call(identity, json!({})));
    assert_eq!(event.actor.kind, IdentityKind::AssumedRoleSession);
}

#[test]
fn web_identity_user_is_web_identity() {
    let identity = json!({
        "type": "WebIdentityUser",
        "principalId": "accounts.google.com:example-client.apps.googleusercontent.com:000000000000000000001",
        "userName": "000000000000000000001",
        "identityProvider": "accounts.google.com"
    });
    let event = event(&call(
        identity,
        json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithWebIdentity"}),
    ));
    assert_eq!(event.actor.kind, IdentityKind::WebIdentitySession);
    assert_eq!(event.actor.name.as_deref(), Some("000000000000000000001"));
    assert_eq!(event.activity, Activity::TokenIssued);
    assert_eq!(event.credential.kind, CredentialKind::Federation);
}

#[test]
fn saml_user_is_human() {
    let identity = json!({
        "type": "SAMLUser",
        "principalId": "EXAMPLEIDP0000000000=:frank@example.com",
        "userName": "frank@example.com",
        "identityProvider": "EXAMPLEIDP0000000000="
    });
    let event = event(&call(
        identity,
        json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithSAML"}),
    ));
    assert_eq!(event.actor.kind, IdentityKind::Human);
    assert_eq!(event.actor.name.as_deref(), Some("frank@example.com"));
    assert_eq!(event.actor.email.as_deref(), Some("frank@example.com"));
    assert_eq!(event.credential.kind, CredentialKind::Federation);
}

#[test]
fn federated_user_is_a_session() {
    let identity = json!({
        "type": "FederatedUser",
        "principalId": "111111111111:partner",
        "arn": "arn:aws:sts::111111111111:federated-user/partner",
        "accountId": "111111111111",
        "accessKeyId": "ASIAEXAMPLEFEDERATE1"
    });
    let actor = event(&call(identity, json!({}))).actor;
    assert_eq!(actor.kind, IdentityKind::AssumedRoleSession);
    assert_eq!(
        &*actor.key.id,
        "arn:aws:sts::111111111111:federated-user/partner"
    );
    assert_eq!(actor.name.as_deref(), Some("partner"));
    assert_eq!(actor.role_session, None);
}

#[test]
fn aws_service_is_named_by_invoked_by() {
    let actor = event(&call(
        json!({"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}),
        json!({}),
    ))
    .actor;
    assert_eq!(actor.kind, IdentityKind::AwsService);
    assert_eq!(&*actor.key.id, "cloudtrail.amazonaws.com");
}

#[test]
fn aws_account_is_unknown_with_the_account() {
    let actor = event(&call(
        json!({"type": "AWSAccount", "principalId": "AIDAEXAMPLEOTHER0001", "accountId": "222222222222"}),
        json!({}),
    ))
    .actor;
    assert_eq!(actor.kind, IdentityKind::Unknown);
    assert_eq!(&*actor.key.id, "222222222222");
}

#[test]
fn identity_center_user_id() {
    let identity = json!({
        "type": "IdentityCenterUser",
        "accountId": "111111111111",
        "onBehalfOf": {
            "userId": "94482488-3041-7026-18f3-000000000001",
            "identityStoreArn": "arn:aws:identitystore::111111111111:identitystore/d-0000000001"
        },
        "credentialId": "00000000-0000-4000-8000-0000000000aa"
    });
    let event = event(&call(
        identity,
        json!({
            "eventSource": "signin.amazonaws.com",
            "eventName": "CredentialVerification",
            "eventType": "AwsServiceEvent",
            "additionalEventData": {"CredentialType": "TOTP", "UserName": "grace@example.com"},
            "serviceEventDetails": {"CredentialVerification": "Failure"}
        }),
    ));
    let actor = &event.actor;
    assert_eq!(actor.kind, IdentityKind::Human);
    assert_eq!(
        &*actor.key.id,
        "identitystore:d-0000000001/94482488-3041-7026-18f3-000000000001"
    );
    assert_eq!(actor.name.as_deref(), Some("grace@example.com"));
    assert_eq!(actor.email.as_deref(), Some("grace@example.com"));

    assert_eq!(event.activity, Activity::SignIn);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.outcome_reason.as_deref(),
        Some("CredentialVerification: Failure")
    );
    assert_eq!(event.credential.kind, CredentialKind::MfaFactor);
    assert_eq!(event.mfa, Some(MfaMethod::Otp));
    assert_eq!(event.interactive, Some(true));
}

#[test]
fn unknown_type_on_behalf_of() {
    let identity = json!({
        "type": "Unknown",
        "principalId": "111111111111",
        "accountId": "111111111111",
        "userName": "heidi",
        "onBehalfOf": {
            "userId": "94482488-3041-7026-18f3-000000000002",
            "identityStoreArn": "arn:aws:identitystore::111111111111:identitystore/d-0000000001"
        }
    });
    let actor = event(&call(identity, json!({}))).actor;
    assert_eq!(actor.kind, IdentityKind::Human);
    assert_eq!(
        &*actor.key.id,
        "identitystore:d-0000000001/94482488-3041-7026-18f3-000000000002"
    );
    assert_eq!(actor.name.as_deref(), Some("heidi"));
}

#[test]
fn withheld_user_name_is_absent() {
    let identity = json!({
        "type": "IAMUser",
        "accountId": "111111111111",
        "accessKeyId": "",
        "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"
    });
    let event = event(&call(
        identity,
        json!({
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "errorMessage": "No username found in supplied account",
            "responseElements": {"ConsoleLogin": "Failure"}
        }),
    ));
    assert_eq!(event.actor.kind, IdentityKind::Unknown);
    assert_eq!(&*event.actor.key.id, "111111111111");
    assert_eq!(event.actor.name, None);
    assert_eq!(event.actor.email, None);
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.outcome_reason.as_deref(),
        Some("No username found in supplied account")
    );
}

#[test]
fn missing_user_identity_is_unknown() {
    let mut record = call(json!(null), json!({}));
    record.as_object_mut().unwrap().remove("userIdentity");
    let actor = event(&record).actor;
    assert_eq!(actor.kind, IdentityKind::Unknown);
    assert_eq!(&*actor.key.id, "unknown");
}

#[test]
fn error_code_is_a_failure() {
    let event = event(&call(
        role_identity("build-42"),
        json!({"errorCode": "AccessDenied", "errorMessage": "User is not authorized"}),
    ));
    assert_eq!(event.outcome, Outcome::Failure);
    assert_eq!(
        event.outcome_reason.as_deref(),
        Some("AccessDenied: User is not authorized")
    );
}

#[test]
fn insight_is_a_risk_detection() {
    let record = json!({
        "eventVersion": "1.08",
        "eventTime": "2024-05-01T10:00:00Z",
        "awsRegion": "us-east-1",
        "eventID": "00000000-0000-4000-8000-0000000000ff",
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": "111111111111",
        "sharedEventID": "00000000-0000-4000-8000-0000000000fe",
        "insightDetails": {
            "state": "Start",
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateAccessKey",
            "insightType": "ApiCallRateInsight"
        },
        "eventCategory": "Insight"
    });
    let event = event(&record);
    assert_eq!(event.activity, Activity::RiskDetected);
    assert_eq!(&*event.operation, "CreateAccessKey");
    assert_eq!(event.outcome, Outcome::Unknown);
    assert_eq!(event.actor.kind, IdentityKind::Unknown);

    let risk = event.risk.unwrap();
    assert_eq!(&*risk.source, "CloudTrailInsights");
    assert_eq!(&*risk.risk_type, "ApiCallRateInsight");
    assert_eq!(&*risk.level, "low");
    assert_eq!(risk.state.as_deref(), Some("Start"));
    assert_eq!(
        risk.detail.as_deref(),
        Some("iam.amazonaws.com CreateAccessKey")
    );
}

#[test]
fn create_access_key_targets_the_caller_when_unnamed() {
    let event = event(&call(
        iam_user_identity(Some("AKIAEXAMPLEKEY000001")),
        json!({
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateAccessKey",
            "requestParameters": null,
            "responseElements": {"accessKey": {
                "accessKeyId": "AKIAEXAMPLENEWKEY001",
                "status": "Active",
                "createDate": "May 1, 2024 10:00:00 AM"
            }}
        }),
    ));
    assert_eq!(event.activity, Activity::CredentialCreated);
    assert_eq!(event.targets.len(), 2);
    assert_eq!(event.targets[0].kind, TargetKind::User);
    assert_eq!(
        &*event.targets[0].id,
        "arn:aws:iam::111111111111:user/alice"
    );
    assert_eq!(event.targets[1].kind, TargetKind::AccessKey);
    assert_eq!(&*event.targets[1].id, "AKIAEXAMPLENEWKEY001");
}

#[test]
fn put_policy_carries_the_document() {
    let event = event(&call(
        role_identity("build-42"),
        json!({
            "eventSource": "iam.amazonaws.com",
            "eventName": "PutUserPolicy",
            "requestParameters": {
                "userName": "bob",
                "policyName": "inline-admin",
                "policyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D"
            }
        }),
    ));
    assert_eq!(event.activity, Activity::PrivilegeGranted);
    let privilege = &event.privileges[0];
    assert_eq!(privilege.kind, PrivilegeKind::InlinePolicy);
    assert_eq!(&*privilege.name, "inline-admin");
    assert_eq!(
        privilege.document,
        Some(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        )
    );
    assert_eq!(&*event.targets[0].id, "arn:aws:iam::111111111111:user/bob");
    assert_eq!(event.targets[0].name.as_deref(), Some("bob"));
    assert_eq!(event.targets[0].account.as_deref(), Some("111111111111"));
}

#[test]
fn create_user_outside_iam() {
    let event = event(&call(
        role_identity("build-42"),
        json!({
            "eventSource": "transfer.amazonaws.com",
            "eventName": "CreateUser",
            "requestParameters": {"userName": "sftp-upload", "serverId": "s-00000000000000001"}
        }),
    ));
    assert_eq!(event.activity, Activity::ApiCall);
    assert!(event.targets.is_empty());
}

#[test]
fn iam_reads_are_api_calls() {
    for operation in [
        "GetUser",
        "ListRoles",
        "GenerateCredentialReport",
        "SimulatePrincipalPolicy",
    ] {
        let event = event(&call(
            role_identity("build-42"),
            json!({"eventSource": "iam.amazonaws.com", "eventName": operation}),
        ));
        assert_eq!(event.activity, Activity::ApiCall, "{operation}");
    }
    let event = event(&call(
        role_identity("build-42"),
        json!({"eventSource": "iam.amazonaws.com", "eventName": "TagRole", "requestParameters": {"roleName": "Deploy"}}),
    ));
    assert_eq!(event.activity, Activity::AccountChanged);
}

#[test]
fn origin_is_read_from_source_address() {
    let cases = [
        ("203.0.113.10", Origin::Ip("203.0.113.10".parse().unwrap())),
        ("AWS Internal", Origin::AwsInternal),
        (
            "lambda.amazonaws.com",
            Origin::AwsService("lambda.amazonaws.com".into()),
        ),
        ("00.000.000.00", Origin::Unparsed("00.000.000.00".into())),
    ];
    for (address, origin) in cases {
        let event = event(&call(
            iam_user_identity(None),
            json!({"sourceIPAddress": address}),
        ));
        assert_eq!(event.source.origin, origin, "{address}");
    }
}

#[test]
fn email_detection() {
    assert!(looks_like_email("alice@example.com"));
    assert!(looks_like_email("first.last+aws@mail.example.org"));
    assert!(!looks_like_email("alice"));
    assert!(!looks_like_email("alice@localhost"));
    assert!(!looks_like_email("@example.com"));
    assert!(!looks_like_email("alice@example."));
    assert!(!looks_like_email("alice@.example.com"));
    assert!(!looks_like_email("alice@@example.com"));
    assert!(!looks_like_email("alice@example.123"));
    assert!(!looks_like_email("al ice@example.com"));
    assert!(!looks_like_email("i-0123456789abcdef0"));
    assert!(looks_like_email("alice@example.c1"));
    assert!(looks_like_email("alice@例え.jp"));
    assert!(!looks_like_email("alice@example..com"));
    assert!(!looks_like_email("alice@exa_mple.com"));
    assert!(!looks_like_email("alice@example.com."));
}

#[test]
fn instance_id_detection() {
    assert!(is_instance_id("i-0123456789abcdef0"));
    assert!(is_instance_id("i-0a1b2c3d"));
    assert!(!is_instance_id("i-0123456789abcdef"));
    assert!(!is_instance_id("i-0123456789abcdefg"));
    assert!(!is_instance_id("i-"));
    assert!(!is_instance_id("0123456789abcdef0"));
    assert!(!is_instance_id("ci-0a1b2c3d"));
}

#[test]
fn temporary_key_shares_session_value() {
    let event = event(&call(role_identity("ada@example.com"), json!({})));
    let key = event.credential.id.as_deref().unwrap();
    let session = event.session_id.as_ref().unwrap().expose();
    assert_eq!(key, "ASIAEXAMPLESESSION01");
    assert_eq!(key.as_ptr(), session.as_ptr());
    // The session name is the e-mail address.
    let actor = &event.actor;
    let session_name = &actor.role_session.as_ref().unwrap().session_name;
    assert!(std::sync::Arc::ptr_eq(
        actor.email.as_ref().unwrap(),
        session_name
    ));
    assert!(std::sync::Arc::ptr_eq(
        actor.name.as_ref().unwrap(),
        &actor.role_session.as_ref().unwrap().role_name
    ));
}

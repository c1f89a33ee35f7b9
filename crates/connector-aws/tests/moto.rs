//! Every AWS action executed, verified, read back and reverted against moto's server.
//!
//! These tests need `moto_server` (`pip install 'moto[server]'`) and fail without it.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on a broken setup or an unexpected response"
)]

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use riposte_action::{
    Action, ActionError, ActionRequest, AwsPrincipal, CallLog, Connector, Execution, Verification,
};
use riposte_connector_aws::testing::{MOTO_ACCOUNT_ID, MotoServer};
use riposte_connector_aws::{AwsConnector, expired, narrowing_expiry};
use serde_json::Value;

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct Fixture {
    // Kept for its Drop, which stops the server at the end of the test.
    _server: MotoServer,
    connector: AwsConnector,
    iam: aws_sdk_iam::Client,
    secrets: aws_sdk_secretsmanager::Client,
}

async fn fixture() -> Fixture {
    let server = MotoServer::start().unwrap_or_else(|error| panic!("{error}"));
    let config = server.sdk_config().await;
    Fixture {
        connector: AwsConnector::from_sdk_config(&config),
        iam: aws_sdk_iam::Client::new(&config),
        secrets: aws_sdk_secretsmanager::Client::new(&config),
        _server: server,
    }
}

fn request(action: Action) -> ActionRequest {
    ActionRequest {
        incident_id: "INC-2025-0042".into(),
        action,
    }
}

fn revert_str<'a>(execution: &'a Execution, key: &str) -> &'a str {
    execution
        .revert_data
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no `{key}` in {:?}", execution.revert_data))
}

fn revert_time(execution: &Execution, key: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(revert_str(execution, key))
        .unwrap()
        .with_timezone(&Utc)
}

fn summaries(log: &CallLog) -> Vec<&str> {
    log.records
        .iter()
        .map(|record| record.call.summary.as_str())
        .collect()
}

/// Parses a document as read back through the SDK: IAM and moto return it URL-encoded.
fn document(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| {
        let mut decoded = Vec::new();
        let bytes = raw.as_bytes();
        let mut index = 0;
        while index < bytes.len() {
            if bytes[index] == b'%' {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
                decoded.push(u8::from_str_radix(hex, 16).unwrap());
                index += 3;
            } else {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
        serde_json::from_slice(&decoded).unwrap()
    })
}

fn confirmed(verification: Verification) -> String {
    match verification {
        Verification::Confirmed(detail) => detail,
        Verification::NotConfirmed(detail) => panic!("not confirmed: {detail}"),
    }
}

fn not_confirmed(verification: Verification) -> String {
    match verification {
        Verification::NotConfirmed(detail) => detail,
        Verification::Confirmed(detail) => panic!("unexpectedly confirmed: {detail}"),
    }
}

async fn create_role(fixture: &Fixture, name: &str) {
    fixture
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_POLICY)
        .send()
        .await
        .unwrap();
}

async fn create_user(fixture: &Fixture, name: &str) {
    fixture
        .iam
        .create_user()
        .user_name(name)
        .send()
        .await
        .unwrap();
}

async fn role_policy(fixture: &Fixture, role: &str, name: &str) -> Option<Value> {
    match fixture
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
    {
        Ok(output) => Some(document(output.policy_document())),
        Err(error) => {
            let service_error = error.into_service_error();
            assert!(
                service_error.is_no_such_entity_exception(),
                "{service_error}"
            );
            None
        }
    }
}

async fn key_status(fixture: &Fixture, user: &str, key_id: &str) -> String {
    let output = fixture
        .iam
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let key = output
        .access_key_metadata()
        .iter()
        .find(|key| key.access_key_id() == Some(key_id))
        .unwrap();
    key.status().unwrap().as_str().to_owned()
}

#[tokio::test]
async fn revoke_role_sessions_lifecycle() {
    let fixture = fixture().await;
    create_role(&fixture, "Admin").await;
    let request = request(Action::RevokeRoleSessions {
        role_name: "Admin".into(),
    });

    let before = Utc::now() - chrono::Duration::seconds(1);
    let mut log = CallLog::default();
    let execution = fixture.connector.execute(&request, &mut log).await.unwrap();
    let after = Utc::now();

    let issued_before = revert_time(&execution, "token_issue_time");
    assert!(before <= issued_before, "{issued_before} before {before}");
    assert!(issued_before <= after, "{issued_before} after {after}");
    assert_eq!(
        revert_str(&execution, "policy_name"),
        "AWSRevokeOlderSessions"
    );
    assert!(!execution.revert_data.contains_key("previous_document"));

    // The role had no revocation policy: the read returns NoSuchEntity, then the put succeeds.
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[0].call.endpoint, "GetRolePolicy");
    assert_eq!(log.records[0].status, Some(404));
    assert!(
        log.records[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("NoSuchEntity: "),
        "{:?}",
        log.records[0].error
    );
    assert_eq!(log.records[1].call.endpoint, "PutRolePolicy");
    assert_eq!(log.records[1].status, Some(200));
    assert_eq!(log.records[1].attempt, 1);
    assert_eq!(log.records[1].error, None);
    let time = issued_before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(
        log.records[1].call.summary,
        format!(
            "iam:PutRolePolicy RoleName=Admin PolicyName=AWSRevokeOlderSessions \
             PolicyDocument={{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\
             \"Action\":[\"*\"],\"Resource\":[\"*\"],\"Condition\":{{\"DateLessThan\":\
             {{\"aws:TokenIssueTime\":\"{time}\"}}}}}}]}}"
        )
    );

    let stored = role_policy(&fixture, "Admin", "AWSRevokeOlderSessions")
        .await
        .unwrap();
    assert_eq!(stored["Statement"][0]["Effect"], "Deny");
    assert_eq!(
        stored["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
        time.as_str()
    );

    let mut log = CallLog::default();
    let detail = confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut log)
            .await
            .unwrap(),
    );
    assert_eq!(
        detail,
        format!(
            "inline policy `AWSRevokeOlderSessions` of role `Admin` denies every action to \
             sessions issued before {time}"
        )
    );
    assert_eq!(
        summaries(&log),
        ["iam:GetRolePolicy RoleName=Admin PolicyName=AWSRevokeOlderSessions"]
    );

    let mut log = CallLog::default();
    fixture
        .connector
        .revert(&request, &execution, &mut log)
        .await
        .unwrap();
    assert_eq!(
        summaries(&log),
        ["iam:DeleteRolePolicy RoleName=Admin PolicyName=AWSRevokeOlderSessions"]
    );
    assert_eq!(
        role_policy(&fixture, "Admin", "AWSRevokeOlderSessions").await,
        None
    );
    let detail = not_confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut CallLog::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        detail,
        "role `Admin` has no inline policy `AWSRevokeOlderSessions`"
    );

    // Reverting twice finds nothing to delete and still succeeds.
    fixture
        .connector
        .revert(&request, &execution, &mut CallLog::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn revoke_revert_restores_earlier_revocation() {
    let fixture = fixture().await;
    create_role(&fixture, "Ops").await;
    let earlier = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-01-02T03:04:05Z"}}}]}"#;
    fixture
        .iam
        .put_role_policy()
        .role_name("Ops")
        .policy_name("AWSRevokeOlderSessions")
        .policy_document(earlier)
        .send()
        .await
        .unwrap();
    let request = request(Action::RevokeRoleSessions {
        role_name: "Ops".into(),
    });

    let execution = fixture
        .connector
        .execute(&request, &mut CallLog::default())
        .await
        .unwrap();
    let previous: Value =
        serde_json::from_str(revert_str(&execution, "previous_document")).unwrap();
    assert_eq!(previous, serde_json::from_str::<Value>(earlier).unwrap());
    confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut CallLog::default())
            .await
            .unwrap(),
    );

    let mut log = CallLog::default();
    fixture
        .connector
        .revert(&request, &execution, &mut log)
        .await
        .unwrap();
    assert_eq!(log.records[0].call.endpoint, "PutRolePolicy");
    let restored = role_policy(&fixture, "Ops", "AWSRevokeOlderSessions")
        .await
        .unwrap();
    assert_eq!(
        restored["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
        "2024-01-02T03:04:05Z"
    );
}

#[tokio::test]
async fn revoke_role_sessions_timing() {
    let fixture = fixture().await;
    create_role(&fixture, "Timed").await;
    let request = request(Action::RevokeRoleSessions {
        role_name: "Timed".into(),
    });
    // The first execution pays for connection setup and moto's lazy imports.
    fixture
        .connector
        .execute(&request, &mut CallLog::default())
        .await
        .unwrap();

    let mut totals = Vec::new();
    let mut puts = Vec::new();
    for _ in 0..20 {
        let mut log = CallLog::default();
        let started = Instant::now();
        fixture.connector.execute(&request, &mut log).await.unwrap();
        totals.push(started.elapsed());
        puts.push(Duration::from_millis(log.records[1].duration_ms));
    }
    totals.sort();
    puts.sort();
    println!(
        "revoke_role_sessions against moto, 20 runs: execute (GetRolePolicy + PutRolePolicy) \
         median {:?}, min {:?}, max {:?}; PutRolePolicy median {:?}",
        totals[10], totals[0], totals[19], puts[10]
    );
}

#[tokio::test]
async fn deactivate_access_key_lifecycle() {
    let fixture = fixture().await;
    create_user(&fixture, "ci-deploy").await;
    let key = fixture
        .iam
        .create_access_key()
        .user_name("ci-deploy")
        .send()
        .await
        .unwrap();
    let key_id = key.access_key().unwrap().access_key_id().to_owned();
    let request = request(Action::DeactivateAccessKey {
        user_name: "ci-deploy".into(),
        access_key_id: key_id.clone(),
    });

    let mut log = CallLog::default();
    let execution = fixture.connector.execute(&request, &mut log).await.unwrap();
    assert_eq!(revert_str(&execution, "previous_status"), "Active");
    assert_eq!(
        summaries(&log),
        [
            "iam:ListAccessKeys UserName=ci-deploy".to_owned(),
            format!("iam:UpdateAccessKey UserName=ci-deploy AccessKeyId={key_id} Status=Inactive"),
        ]
    );
    assert!(log.records.iter().all(|record| record.status == Some(200)));
    assert_eq!(key_status(&fixture, "ci-deploy", &key_id).await, "Inactive");

    let detail = confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut CallLog::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        detail,
        format!("access key `{key_id}` of user `ci-deploy` is Inactive")
    );

    // Deactivating an inactive key succeeds; that execution records the key as inactive, so
    // reverting it leaves the key inactive.
    let again = fixture
        .connector
        .execute(&request, &mut CallLog::default())
        .await
        .unwrap();
    assert_eq!(revert_str(&again, "previous_status"), "Inactive");
    let mut log = CallLog::default();
    fixture
        .connector
        .revert(&request, &again, &mut log)
        .await
        .unwrap();
    assert!(log.records.is_empty());
    assert_eq!(key_status(&fixture, "ci-deploy", &key_id).await, "Inactive");

    let mut log = CallLog::default();
    fixture
        .connector
        .revert(&request, &execution, &mut log)
        .await
        .unwrap();
    assert_eq!(
        summaries(&log),
        [format!(
            "iam:UpdateAccessKey UserName=ci-deploy AccessKeyId={key_id} Status=Active"
        )]
    );
    assert_eq!(key_status(&fixture, "ci-deploy", &key_id).await, "Active");
    let detail = not_confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut CallLog::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        detail,
        format!("access key `{key_id}` of user `ci-deploy` is Active")
    );
}

#[tokio::test]
async fn deactivate_key_of_missing_user_is_rejected() {
    let fixture = fixture().await;
    let request = request(Action::DeactivateAccessKey {
        user_name: "nobody".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
    });
    let mut log = CallLog::default();
    let error = fixture
        .connector
        .execute(&request, &mut log)
        .await
        .unwrap_err();
    let ActionError::Rejected {
        endpoint,
        status,
        message,
        ..
    } = &error
    else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(endpoint, "ListAccessKeys");
    assert_eq!(*status, 404);
    assert!(message.starts_with("NoSuchEntity: "), "{message}");
    assert!(message.contains("nobody"), "{message}");
    assert!(
        error
            .to_string()
            .starts_with("aws rejected `ListAccessKeys` with status 404: NoSuchEntity: "),
        "{error}"
    );

    // The failed call is in the log, and nothing after it was attempted.
    assert_eq!(log.records.len(), 1);
    assert_eq!(log.records[0].status, Some(404));
    assert_eq!(log.records[0].attempt, 1);
    assert_eq!(log.records[0].error.as_deref(), Some(message.as_str()));
}

#[tokio::test]
async fn deactivate_missing_key_is_rejected() {
    let fixture = fixture().await;
    create_user(&fixture, "ci-build").await;
    let request = request(Action::DeactivateAccessKey {
        user_name: "ci-build".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
    });
    let mut log = CallLog::default();
    let error = fixture
        .connector
        .execute(&request, &mut log)
        .await
        .unwrap_err();
    let ActionError::Rejected {
        endpoint, message, ..
    } = &error
    else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(endpoint, "UpdateAccessKey");
    assert!(message.starts_with("NoSuchEntity: "), "{message}");
    assert_eq!(log.records.len(), 2);
}

#[tokio::test]
async fn delete_login_profile_lifecycle() {
    let fixture = fixture().await;
    create_user(&fixture, "alice").await;
    fixture
        .iam
        .create_login_profile()
        .user_name("alice")
        .password("Correct-Horse-Battery-9")
        .send()
        .await
        .unwrap();
    let request = request(Action::DeleteLoginProfile {
        user_name: "alice".into(),
    });

    let detail = not_confirmed(
        fixture
            .connector
            .verify(&request, &Execution::default(), &mut CallLog::default())
            .await
            .unwrap(),
    );
    assert!(
        detail.starts_with("user `alice` still has a login profile, created "),
        "{detail}"
    );

    let mut log = CallLog::default();
    let execution = fixture.connector.execute(&request, &mut log).await.unwrap();
    assert_eq!(execution.revert_data["already_absent"], false);
    assert_eq!(summaries(&log), ["iam:DeleteLoginProfile UserName=alice"]);
    let gone = fixture
        .iam
        .get_login_profile()
        .user_name("alice")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(gone.is_no_such_entity_exception(), "{gone}");

    let mut log = CallLog::default();
    let detail = confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut log)
            .await
            .unwrap(),
    );
    assert_eq!(detail, "user `alice` has no login profile");
    assert_eq!(log.records[0].status, Some(404));

    let error = fixture
        .connector
        .revert(&request, &execution, &mut CallLog::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "`delete_login_profile` cannot be reverted: the console password is deleted and AWS \
         keeps no copy; create a new login profile to give the user console access again"
    );

    // A second execution finds the profile gone and the user present: already contained.
    let mut log = CallLog::default();
    let again = fixture.connector.execute(&request, &mut log).await.unwrap();
    assert_eq!(again.revert_data["already_absent"], true);
    assert_eq!(
        summaries(&log),
        [
            "iam:DeleteLoginProfile UserName=alice",
            "iam:GetUser UserName=alice (only when DeleteLoginProfile returns NoSuchEntity)",
        ]
    );
}

#[tokio::test]
async fn delete_login_profile_of_missing_user_is_rejected() {
    let fixture = fixture().await;
    let request = request(Action::DeleteLoginProfile {
        user_name: "ghost".into(),
    });
    let mut log = CallLog::default();
    let error = fixture
        .connector
        .execute(&request, &mut log)
        .await
        .unwrap_err();
    let ActionError::Rejected {
        endpoint, message, ..
    } = &error
    else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(endpoint, "DeleteLoginProfile");
    assert!(message.starts_with("NoSuchEntity: "), "{message}");
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[1].call.endpoint, "GetUser");
}

async fn check_narrowing(fixture: &Fixture, principal: AwsPrincipal) {
    let request = request(Action::NarrowPolicy {
        principal: principal.clone(),
        deny_actions: vec!["iam:*".into(), "s3:Delete*".into()],
        duration_secs: 3600,
    });
    let policy_name = format!("RiposteNarrowing-{}", &request.idempotency_key()[4..16]);

    let before = Utc::now() - chrono::Duration::seconds(1);
    let mut log = CallLog::default();
    let execution = fixture.connector.execute(&request, &mut log).await.unwrap();
    let expires_at = revert_time(&execution, "expires_at");
    assert!(expires_at >= before + chrono::Duration::seconds(3600));
    assert!(expires_at <= Utc::now() + chrono::Duration::seconds(3600));
    assert_eq!(revert_str(&execution, "policy_name"), policy_name);
    assert_eq!(narrowing_expiry(&execution), Some(expires_at));
    assert_eq!(log.records.len(), 1);
    assert_eq!(log.records[0].status, Some(200));

    assert!(!expired(&execution, Utc::now()));
    assert!(!expired(
        &execution,
        expires_at - chrono::Duration::seconds(1)
    ));
    assert!(expired(&execution, expires_at));

    let (name, stored) = match &principal {
        AwsPrincipal::Role(role) => (
            role.clone(),
            role_policy(fixture, role, &policy_name).await.unwrap(),
        ),
        AwsPrincipal::User(user) => {
            let output = fixture
                .iam
                .get_user_policy()
                .user_name(user)
                .policy_name(&policy_name)
                .send()
                .await
                .unwrap();
            (user.clone(), document(output.policy_document()))
        }
    };
    let time = expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(stored["Statement"][0]["Action"][0], "iam:*");
    assert_eq!(stored["Statement"][0]["Action"][1], "s3:Delete*");
    assert_eq!(
        stored["Statement"][0]["Condition"]["DateLessThan"]["aws:CurrentTime"],
        time.as_str()
    );

    let target = request.action.target();
    let detail = confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut CallLog::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        detail,
        format!(
            "inline policy `{policy_name}` of `{target}` denies iam:*, s3:Delete* until {time}"
        )
    );

    let mut log = CallLog::default();
    fixture
        .connector
        .revert(&request, &execution, &mut log)
        .await
        .unwrap();
    let kind = match principal {
        AwsPrincipal::Role(_) => "Role",
        AwsPrincipal::User(_) => "User",
    };
    assert_eq!(
        summaries(&log),
        [format!(
            "iam:Delete{kind}Policy {kind}Name={name} PolicyName={policy_name}"
        )]
    );
    let detail = not_confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut CallLog::default())
            .await
            .unwrap(),
    );
    assert_eq!(
        detail,
        format!("`{target}` has no inline policy `{policy_name}`")
    );
}

#[tokio::test]
async fn narrow_policy_lifecycle() {
    let fixture = fixture().await;
    create_role(&fixture, "Deploy").await;
    create_user(&fixture, "bob").await;
    check_narrowing(&fixture, AwsPrincipal::Role("Deploy".into())).await;
    check_narrowing(&fixture, AwsPrincipal::User("bob".into())).await;
}

#[tokio::test]
async fn rotate_secret_lifecycle() {
    let fixture = fixture().await;
    let created = fixture
        .secrets
        .create_secret()
        .name("prod/db")
        .secret_string("initial-value-not-real")
        .send()
        .await
        .unwrap();
    let first_version = created.version_id().unwrap().to_owned();
    let request = request(Action::RotateSecret {
        secret_id: "prod/db".into(),
    });
    let token = format!("riposte-{}", request.idempotency_key());

    let mut log = CallLog::default();
    let execution = fixture.connector.execute(&request, &mut log).await.unwrap();
    assert_eq!(
        summaries(&log),
        [
            "secretsmanager:DescribeSecret SecretId=prod/db".to_owned(),
            format!(
                "secretsmanager:RotateSecret SecretId=prod/db ClientRequestToken={token} \
             RotateImmediately=true"
            ),
        ]
    );
    assert!(log.records.iter().all(|record| record.status == Some(200)));
    assert_eq!(revert_str(&execution, "version_id"), token);
    assert_eq!(revert_str(&execution, "previous_version_id"), first_version);
    // No secret value is kept anywhere in the execution or the log.
    let recorded = format!("{execution:?}{log:?}");
    assert!(!recorded.contains("initial-value-not-real"));

    let mut log = CallLog::default();
    let detail = confirmed(
        fixture
            .connector
            .verify(&request, &execution, &mut log)
            .await
            .unwrap(),
    );
    assert!(
        detail.starts_with(&format!(
            "version `{token}` of secret `prod/db` is AWSCURRENT, last rotated "
        )),
        "{detail}"
    );
    let described = fixture
        .secrets
        .describe_secret()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap();
    assert!(described.last_rotated_date().is_some());
    let stages = described.version_ids_to_stages().unwrap();
    assert!(stages[&token].contains(&"AWSCURRENT".to_owned()));

    let error = fixture
        .connector
        .revert(&request, &execution, &mut CallLog::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ActionError::NotRevertible { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn rotate_missing_secret_is_rejected() {
    let fixture = fixture().await;
    let request = request(Action::RotateSecret {
        secret_id: "prod/missing".into(),
    });
    let mut log = CallLog::default();
    let error = fixture
        .connector
        .execute(&request, &mut log)
        .await
        .unwrap_err();
    let ActionError::Rejected {
        endpoint,
        status,
        message,
        ..
    } = &error
    else {
        panic!("expected Rejected, got {error:?}");
    };
    assert_eq!(endpoint, "DescribeSecret");
    // AWS returns ResourceNotFoundException with HTTP 400, moto 5.2 with 404.
    assert!(matches!(*status, 400 | 404), "{status}");
    assert!(
        message.starts_with("ResourceNotFoundException: "),
        "{message}"
    );
    assert_eq!(log.records.len(), 1);
}

#[tokio::test]
async fn caller_identity_names_moto_account() {
    let fixture = fixture().await;
    let mut log = CallLog::default();
    let identity = fixture.connector.caller_identity(&mut log).await.unwrap();
    assert_eq!(identity.account, MOTO_ACCOUNT_ID);
    assert!(identity.arn.starts_with("arn:aws:"), "{}", identity.arn);
    assert_eq!(summaries(&log), ["sts:GetCallerIdentity"]);
}

#[test]
fn missing_moto_names_install_command() {
    let error = MotoServer::start_program("riposte-test-no-such-moto-server").unwrap_err();
    assert_eq!(
        error.to_string(),
        "`riposte-test-no-such-moto-server` is not installed: run `pip install 'moto[server]'` \
         to install moto's server"
    );
}

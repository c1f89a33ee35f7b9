//! The responder against moto's AWS server: a time-limited narrowing is put in place, kept
//! until its time is up and then removed, and role sessions are revoked and verified.
//!
//! These tests need `moto_server` (`pip install 'moto[server]'`) and fail without it.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on a broken setup or an unexpected result"
)]

mod common;

use std::sync::Arc;

use chrono::{SubsecRound, TimeDelta, Utc};
use common::{key, keys, responder, state_file, status, step};
use riposte_action::{Action, AwsPrincipal, Connector};
use riposte_connector_aws::testing::MotoServer;
use riposte_connector_aws::{AwsConnector, NARROWING_POLICY_PREFIX, REVOKE_POLICY_NAME};
use riposte_respond::{Decision, ResponseSettings};
use riposte_store::ActionStatus;

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct Moto {
    // Kept for its Drop, which stops the server at the end of the test.
    _server: MotoServer,
    connector: Arc<dyn Connector>,
    iam: aws_sdk_iam::Client,
}

async fn moto() -> Moto {
    let server = MotoServer::start().unwrap_or_else(|error| panic!("{error}"));
    let config = server.sdk_config().await;
    Moto {
        connector: Arc::new(AwsConnector::from_sdk_config(&config)),
        iam: aws_sdk_iam::Client::new(&config),
        _server: server,
    }
}

async fn create_role(moto: &Moto, name: &str) {
    moto.iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_POLICY)
        .send()
        .await
        .unwrap();
}

async fn inline_policies(moto: &Moto, role: &str) -> Vec<String> {
    moto.iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap()
        .policy_names()
        .to_vec()
}

/// Returns the inline policy document `name` of `role`, decoded, or `None` when IAM has none.
async fn role_policy(moto: &Moto, role: &str, name: &str) -> Option<serde_json::Value> {
    match moto
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

/// Parses a policy document as IAM returns it: URL-encoded JSON.
fn document(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| {
        let bytes = raw.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
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

fn narrow(role: &str) -> Action {
    Action::NarrowPolicy {
        principal: AwsPrincipal::Role(role.to_owned()),
        deny_actions: vec!["iam:*".to_owned()],
        duration_secs: 600,
    }
}

#[tokio::test]
async fn narrowing_reverted_after_its_duration() {
    let moto = moto().await;
    create_role(&moto, "Deploy").await;
    let state = state_file();
    let mut responder = responder(
        &state.path,
        vec![moto.connector.clone()],
        ResponseSettings::default(),
    );
    let action = narrow("Deploy");
    let key = key(&action);
    let policy_name = format!("{NARROWING_POLICY_PREFIX}{}", &key[4..16]);
    // The connector writes the expiry from the wall clock, so the simulated clock starts there.
    let now = Utc::now().trunc_subsecs(0);
    responder
        .record_plans(&[step(action, Decision::Execute)], now)
        .unwrap();

    let report = responder.run(false, now).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let endpoints: Vec<&str> = report.executed[0]
        .calls
        .iter()
        .map(|call| call.call.endpoint.as_str())
        .collect();
    assert_eq!(endpoints, ["PutRolePolicy", "GetRolePolicy"]);
    let stored = responder.store().action(&key).unwrap().unwrap();
    assert_eq!(stored.status, ActionStatus::Verified);
    assert_eq!(stored.revert_at, Some(now + TimeDelta::seconds(600)));
    assert_eq!(
        inline_policies(&moto, "Deploy").await,
        std::slice::from_ref(&policy_name)
    );
    let policy = role_policy(&moto, "Deploy", &policy_name).await.unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Effect"], "Deny");
    assert_eq!(statement["Action"], serde_json::json!(["iam:*"]));
    assert!(
        statement["Condition"]["DateLessThan"]["aws:CurrentTime"].is_string(),
        "{policy}"
    );

    let report = responder
        .run(false, now + TimeDelta::seconds(599))
        .await
        .unwrap();
    assert!(report.reverted.is_empty(), "{:?}", report.reverted);
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(status(responder.store(), &key), ActionStatus::Verified);
    assert_eq!(
        inline_policies(&moto, "Deploy").await,
        std::slice::from_ref(&policy_name)
    );

    let report = responder
        .run(false, now + TimeDelta::seconds(601))
        .await
        .unwrap();
    assert_eq!(keys(&report.reverted), [key.as_str()]);
    assert_eq!(report.reverted[0].detail, "time limit reached");
    let summaries: Vec<&str> = report.reverted[0]
        .calls
        .iter()
        .map(|call| call.call.summary.as_str())
        .collect();
    assert_eq!(
        summaries,
        [format!(
            "iam:DeleteRolePolicy RoleName=Deploy PolicyName={policy_name}"
        )]
    );
    assert_eq!(status(responder.store(), &key), ActionStatus::Reverted);
    assert!(inline_policies(&moto, "Deploy").await.is_empty());
    assert_eq!(role_policy(&moto, "Deploy", &policy_name).await, None);
    let last = common::audit_of(responder.store(), &key).pop().unwrap();
    assert_eq!(last.0, "action");
    assert_eq!(last.1["status"], "reverted");

    // A reverted narrowing is neither reverted nor put in place again.
    let report = responder
        .run(false, now + TimeDelta::seconds(1200))
        .await
        .unwrap();
    assert!(report.reverted.is_empty(), "{:?}", report.reverted);
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert!(inline_policies(&moto, "Deploy").await.is_empty());
}

#[tokio::test]
async fn role_sessions_are_revoked_and_verified() {
    let moto = moto().await;
    create_role(&moto, "Admin").await;
    let state = state_file();
    let mut responder = responder(
        &state.path,
        vec![moto.connector.clone()],
        ResponseSettings::default(),
    );
    let action = Action::RevokeRoleSessions {
        role_name: "Admin".to_owned(),
    };
    let key = key(&action);
    let now = Utc::now().trunc_subsecs(0);
    responder
        .record_plans(&[step(action, Decision::Execute)], now)
        .unwrap();

    let report = responder.run(false, now).await.unwrap();

    assert_eq!(keys(&report.executed), [key.as_str()]);
    let outcome = &report.executed[0];
    assert!(
        outcome.detail.starts_with(&format!(
            "inline policy `{REVOKE_POLICY_NAME}` of role `Admin` denies every action to \
             sessions issued before "
        )),
        "{}",
        outcome.detail
    );
    let endpoints: Vec<&str> = outcome
        .calls
        .iter()
        .map(|call| call.call.endpoint.as_str())
        .collect();
    assert_eq!(
        endpoints,
        ["GetRolePolicy", "PutRolePolicy", "GetRolePolicy"]
    );
    let stored = responder.store().action(&key).unwrap().unwrap();
    assert_eq!(stored.status, ActionStatus::Verified);
    assert_eq!(stored.revert_at, None);
    let policy = role_policy(&moto, "Admin", REVOKE_POLICY_NAME)
        .await
        .unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Effect"], "Deny");
    assert_eq!(statement["Action"], serde_json::json!(["*"]));
    assert!(
        statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"].is_string(),
        "{policy}"
    );

    // The revocation has no time limit: a much later run leaves it in place.
    let report = responder
        .run(false, now + TimeDelta::days(30))
        .await
        .unwrap();
    assert!(report.reverted.is_empty(), "{:?}", report.reverted);
    assert!(report.executed.is_empty(), "{:?}", report.executed);
    assert_eq!(
        inline_policies(&moto, "Admin").await,
        [REVOKE_POLICY_NAME.to_owned()]
    );
}

#[tokio::test]
async fn dry_run_lists_the_iam_calls() {
    let moto = moto().await;
    create_role(&moto, "Deploy").await;
    let state = state_file();
    let mut responder = responder(
        &state.path,
        vec![moto.connector.clone()],
        ResponseSettings::default(),
    );
    let action = narrow("Deploy");
    let key = key(&action);
    let policy_name = format!("{NARROWING_POLICY_PREFIX}{}", &key[4..16]);
    let now = Utc::now().trunc_subsecs(0);
    responder
        .record_plans(&[step(action, Decision::Execute)], now)
        .unwrap();

    let report = responder.run(true, now).await.unwrap();

    assert_eq!(keys(&report.would_execute), [key.as_str()]);
    assert_eq!(
        report.would_execute[0].detail,
        format!(
            "iam PutRolePolicy: iam:PutRolePolicy RoleName=Deploy PolicyName={policy_name} \
             PolicyDocument={{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\
             \"Action\":[\"iam:*\"],\"Resource\":[\"*\"],\"Condition\":{{\"DateLessThan\":\
             {{\"aws:CurrentTime\":\"<time of execution + 600 s>\"}}}}}}]}}"
        )
    );
    assert!(inline_policies(&moto, "Deploy").await.is_empty());
    assert_eq!(status(responder.store(), &key), ActionStatus::Planned);

    let report = responder.run(false, now).await.unwrap();
    assert_eq!(keys(&report.executed), [key.as_str()]);
    assert_eq!(inline_policies(&moto, "Deploy").await, [policy_name]);
}

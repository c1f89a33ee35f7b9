//! Plans: the exact calls each action makes, for dry runs and approvals.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

use riposte_action::{Action, ActionError, ActionRequest, ApiCall, AwsPrincipal, Connector};
use riposte_connector_aws::{AwsConnector, AwsSettings};

async fn connector() -> AwsConnector {
    // Planning sends nothing; the endpoint only keeps the SDK away from real AWS.
    let settings = AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        ..AwsSettings::new("us-east-1")
    };
    AwsConnector::new(&settings).await.unwrap()
}

fn request(action: Action) -> ActionRequest {
    ActionRequest {
        incident_id: "INC-2025-0042".into(),
        action,
    }
}

async fn plan(action: Action) -> Vec<ApiCall> {
    connector().await.plan(&request(action)).unwrap()
}

fn summaries(calls: &[ApiCall]) -> Vec<&str> {
    calls.iter().map(|call| call.summary.as_str()).collect()
}

#[tokio::test]
async fn revoke_role_sessions_plan() {
    let calls = plan(Action::RevokeRoleSessions {
        role_name: "Admin".into(),
    })
    .await;
    assert_eq!(
        summaries(&calls),
        [
            "iam:GetRolePolicy RoleName=Admin PolicyName=AWSRevokeOlderSessions",
            r#"iam:PutRolePolicy RoleName=Admin PolicyName=AWSRevokeOlderSessions PolicyDocument={"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"<time of execution>"}}}]}"#,
        ]
    );
    assert_eq!(calls[1].method, "iam");
    assert_eq!(calls[1].endpoint, "PutRolePolicy");
}

#[tokio::test]
async fn deactivate_access_key_plan() {
    let calls = plan(Action::DeactivateAccessKey {
        user_name: "ci-deploy".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
    })
    .await;
    assert_eq!(
        summaries(&calls),
        [
            "iam:ListAccessKeys UserName=ci-deploy",
            "iam:UpdateAccessKey UserName=ci-deploy AccessKeyId=AKIAIOSFODNN7EXAMPLE Status=Inactive",
        ]
    );
}

#[tokio::test]
async fn delete_login_profile_plan() {
    let calls = plan(Action::DeleteLoginProfile {
        user_name: "alice".into(),
    })
    .await;
    assert_eq!(
        summaries(&calls),
        [
            "iam:DeleteLoginProfile UserName=alice",
            "iam:GetUser UserName=alice (only when DeleteLoginProfile returns NoSuchEntity)",
        ]
    );
}

#[tokio::test]
async fn narrow_policy_plan() {
    let action = Action::NarrowPolicy {
        principal: AwsPrincipal::User("bob".into()),
        deny_actions: vec!["iam:*".into(), "sts:AssumeRole".into()],
        duration_secs: 900,
    };
    let key = request(action.clone()).idempotency_key();
    let calls = plan(action).await;
    assert_eq!(
        summaries(&calls),
        [format!(
            "iam:PutUserPolicy UserName=bob PolicyName=RiposteNarrowing-{} \
         PolicyDocument={{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Deny\",\
         \"Action\":[\"iam:*\",\"sts:AssumeRole\"],\"Resource\":[\"*\"],\"Condition\":\
         {{\"DateLessThan\":{{\"aws:CurrentTime\":\"<time of execution + 900 s>\"}}}}}}]}}",
            &key[4..16]
        )]
    );
}

#[tokio::test]
async fn rotate_secret_plan() {
    let action = Action::RotateSecret {
        secret_id: "prod/db".into(),
    };
    let key = request(action.clone()).idempotency_key();
    let calls = plan(action).await;
    assert_eq!(
        summaries(&calls),
        [
            "secretsmanager:DescribeSecret SecretId=prod/db".to_owned(),
            format!(
                "secretsmanager:RotateSecret SecretId=prod/db ClientRequestToken=riposte-{key} \
             RotateImmediately=true"
            ),
        ]
    );
    assert_eq!(calls[1].method, "secretsmanager");
}

#[tokio::test]
async fn invalid_narrowing_has_no_plan() {
    let error = connector()
        .await
        .plan(&request(Action::NarrowPolicy {
            principal: AwsPrincipal::Role("Deploy".into()),
            deny_actions: Vec::new(),
            duration_secs: 60,
        }))
        .unwrap_err();
    assert!(
        matches!(error, ActionError::Configuration { .. }),
        "{error}"
    );
}

#[tokio::test]
async fn other_systems_are_unsupported() {
    let connector = connector().await;
    let okta = request(Action::OktaSuspendUser {
        user_id: "00u1example".into(),
    });
    let error = connector.plan(&okta).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the aws connector does not carry out `okta_suspend_user`"
    );
    let error = connector
        .execute(&okta, &mut Default::default())
        .await
        .unwrap_err();
    assert!(matches!(error, ActionError::Unsupported { .. }), "{error}");
}

#[tokio::test]
async fn invalid_settings_are_rejected() {
    let error = AwsConnector::new(&AwsSettings::new("")).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid aws connector configuration: invalid region ``: expected a region name such \
         as `us-east-1`"
    );
}

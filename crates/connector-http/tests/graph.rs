//! The Microsoft Graph connector against the Graph test server.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use riposte_action::{
    Action, ActionError, ApiCall, CallLog, Connector, Execution, GraphObject, Verification,
};
use riposte_connector_http::{GraphConnector, GraphSettings};
use riposte_testservers::{Fault, GraphApp, GraphServer, GraphUser};
use support::{assert_no_secret, call, calls, environment, fast_http, request};

const TENANT: &str = "8f2b6c1e-4a5d-4e7f-9a0b-1c2d3e4f5a6b";
const CLIENT: &str = "3c9d7e1f-2a4b-4c6d-8e0f-1a2b3c4d5e6f";
const SECRET: &str = "Qx8~example.client.secret-value_0001";
const USER: &str = "5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a";
const SP: &str = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
const APP: &str = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const KEY: &str = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
const OTHER_KEY: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const TOKEN_ENDPOINT: &str = "/8f2b6c1e-4a5d-4e7f-9a0b-1c2d3e4f5a6b/oauth2/v2.0/token";

async fn server() -> GraphServer {
    let server = GraphServer::start(TENANT, CLIENT, SECRET).await.unwrap();
    server.add_user(GraphUser::enabled(USER, "alice@example.com"));
    server.add_service_principal(
        GraphApp::new(SP, "6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f", "ci-deploy")
            .with_password(KEY, "leaked")
            .with_password(OTHER_KEY, "current"),
    );
    server.add_application(
        GraphApp::new(APP, "0f1e2d3c-4b5a-4968-8776-655443322110", "reporting")
            .with_password(KEY, "leaked"),
    );
    server
}

fn settings(server: &GraphServer) -> GraphSettings {
    GraphSettings {
        tenant_id: TENANT.to_owned(),
        client_id: CLIENT.to_owned(),
        client_secret_env: None,
        client_secret: None,
        authority: server.base_url(),
        graph_url: server.base_url(),
        scope: "https://graph.microsoft.com/.default".to_owned(),
        http: fast_http(),
    }
}

fn connector_with_secret(server: &GraphServer, secret: &str) -> GraphConnector {
    let env = environment(&[("GRAPH_CLIENT_SECRET", secret)]);
    GraphConnector::new(&settings(server), &env).unwrap()
}

fn connector(server: &GraphServer) -> GraphConnector {
    connector_with_secret(server, SECRET)
}

fn disable_user() -> Action {
    Action::GraphDisableUser {
        user_id: USER.to_owned(),
    }
}

#[tokio::test]
async fn revoke_sessions_verified_by_time() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(Action::GraphRevokeSignInSessions {
        user_id: USER.to_owned(),
    });
    let before = server.user(USER).unwrap().sign_in_sessions_valid_from;
    let mut log = CallLog::default();

    let execution = graph.execute(&request, &mut log).await.unwrap();
    assert!(server.user(USER).unwrap().sign_in_sessions_valid_from > before);
    assert!(execution.revert_data.contains_key("requested_at"));

    let verification = graph.verify(&request, &execution, &mut log).await.unwrap();
    let Verification::Confirmed(detail) = verification else {
        panic!("expected a confirmation, got {verification:?}");
    };
    assert!(detail.starts_with(&format!("sessions of user `{USER}` are valid from ")));
    assert_eq!(
        calls(&log),
        vec![
            call("POST", TOKEN_ENDPOINT, 200, 1),
            call(
                "POST",
                &format!("/v1.0/users/{USER}/revokeSignInSessions"),
                200,
                1
            ),
            call(
                "GET",
                &format!("/v1.0/users/{USER}?$select=id,signInSessionsValidFromDateTime"),
                200,
                1
            ),
        ]
    );
    assert!(matches!(
        graph.revert(&request, &execution, &mut log).await,
        Err(ActionError::NotRevertible { .. })
    ));
}

#[tokio::test]
async fn revocation_without_record_is_not_confirmed() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(Action::GraphRevokeSignInSessions {
        user_id: USER.to_owned(),
    });
    let mut log = CallLog::default();
    let verification = graph
        .verify(&request, &Execution::default(), &mut log)
        .await
        .unwrap();
    assert_eq!(
        verification,
        Verification::NotConfirmed(format!(
            "no revocation time was recorded for user `{USER}`; sessions are valid from \
             2024-01-01T00:00:00+00:00"
        ))
    );
}

#[tokio::test]
async fn disable_user_is_verified_and_reverted() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(disable_user());
    let mut log = CallLog::default();

    let execution = graph.execute(&request, &mut log).await.unwrap();
    assert!(!server.user(USER).unwrap().account_enabled);
    assert_eq!(
        graph.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!("user `{USER}` has `accountEnabled` false"))
    );

    graph.revert(&request, &execution, &mut log).await.unwrap();
    assert!(server.user(USER).unwrap().account_enabled);
    assert_eq!(
        graph.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::NotConfirmed(format!("user `{USER}` has `accountEnabled` true"))
    );

    let patches: Vec<String> = server
        .requests_to("/v1.0/users/")
        .into_iter()
        .filter(|received| received.method == "PATCH")
        .map(|received| received.body)
        .collect();
    assert_eq!(
        patches,
        vec![
            r#"{"accountEnabled":false}"#.to_owned(),
            r#"{"accountEnabled":true}"#.to_owned()
        ]
    );
}

#[tokio::test]
async fn remove_password_from_service_principal() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(Action::GraphRemovePassword {
        object: GraphObject::ServicePrincipal(SP.to_owned()),
        key_id: KEY.to_owned(),
    });
    let mut log = CallLog::default();

    let execution = graph.execute(&request, &mut log).await.unwrap();
    let keys: Vec<String> = server
        .service_principal(SP)
        .unwrap()
        .password_credentials
        .into_iter()
        .map(|credential| credential.key_id)
        .collect();
    assert_eq!(keys, vec![OTHER_KEY.to_owned()]);
    assert_eq!(
        graph.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!(
            "service principal `{SP}` has 1 password credentials, none with key `{KEY}`"
        ))
    );
    let body = &server.requests_to(&format!("/v1.0/servicePrincipals/{SP}/removePassword"))[0].body;
    assert_eq!(body, &format!(r#"{{"keyId":"{KEY}"}}"#));
    assert!(matches!(
        graph.revert(&request, &execution, &mut log).await,
        Err(ActionError::NotRevertible { .. })
    ));
}

#[tokio::test]
async fn remove_password_from_application() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(Action::GraphRemovePassword {
        object: GraphObject::Application(APP.to_owned()),
        key_id: KEY.to_owned(),
    });
    let mut log = CallLog::default();

    let execution = graph.execute(&request, &mut log).await.unwrap();
    assert!(
        server
            .application(APP)
            .unwrap()
            .password_credentials
            .is_empty()
    );
    assert_eq!(
        graph.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!(
            "application `{APP}` has 0 password credentials, none with key `{KEY}`"
        ))
    );
    assert_eq!(
        calls(&log)[1..],
        [
            call(
                "POST",
                &format!("/v1.0/applications/{APP}/removePassword"),
                204,
                1
            ),
            call(
                "GET",
                &format!("/v1.0/applications/{APP}?$select=id,passwordCredentials"),
                200,
                1
            ),
        ]
    );
}

#[tokio::test]
async fn remaining_password_is_not_confirmed() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(Action::GraphRemovePassword {
        object: GraphObject::ServicePrincipal(SP.to_owned()),
        key_id: KEY.to_owned(),
    });
    let mut log = CallLog::default();
    assert_eq!(
        graph
            .verify(&request, &Execution::default(), &mut log)
            .await
            .unwrap(),
        Verification::NotConfirmed(format!(
            "service principal `{SP}` still has password credential `{KEY}`"
        ))
    );
}

#[tokio::test]
async fn disable_service_principal_is_verified_and_reverted() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(Action::GraphDisableServicePrincipal {
        service_principal_id: SP.to_owned(),
    });
    let mut log = CallLog::default();

    let execution = graph.execute(&request, &mut log).await.unwrap();
    assert!(!server.service_principal(SP).unwrap().account_enabled);
    assert_eq!(
        graph.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!(
            "service principal `{SP}` has `accountEnabled` false"
        ))
    );
    graph.revert(&request, &execution, &mut log).await.unwrap();
    assert!(server.service_principal(SP).unwrap().account_enabled);
}

#[tokio::test]
async fn plan_lists_the_exact_calls() {
    let server = server().await;
    let graph = connector(&server);
    let cases = [
        (
            Action::GraphRevokeSignInSessions {
                user_id: USER.to_owned(),
            },
            "POST",
            format!("/v1.0/users/{USER}/revokeSignInSessions"),
            format!("revoke the refresh tokens and session cookies of user `{USER}`"),
        ),
        (
            disable_user(),
            "PATCH",
            format!("/v1.0/users/{USER}"),
            format!("set `accountEnabled` to false on user `{USER}`"),
        ),
        (
            Action::GraphRemovePassword {
                object: GraphObject::ServicePrincipal(SP.to_owned()),
                key_id: KEY.to_owned(),
            },
            "POST",
            format!("/v1.0/servicePrincipals/{SP}/removePassword"),
            format!("remove password credential `{KEY}` from service principal `{SP}`"),
        ),
        (
            Action::GraphRemovePassword {
                object: GraphObject::Application(APP.to_owned()),
                key_id: KEY.to_owned(),
            },
            "POST",
            format!("/v1.0/applications/{APP}/removePassword"),
            format!("remove password credential `{KEY}` from application `{APP}`"),
        ),
        (
            Action::GraphDisableServicePrincipal {
                service_principal_id: SP.to_owned(),
            },
            "PATCH",
            format!("/v1.0/servicePrincipals/{SP}"),
            format!("set `accountEnabled` to false on service principal `{SP}`"),
        ),
    ];
    for (action, method, endpoint, summary) in cases {
        assert_eq!(
            graph.plan(&request(action)).unwrap(),
            vec![ApiCall {
                method: method.to_owned(),
                endpoint,
                summary,
            }]
        );
    }
    let upn = graph
        .plan(&request(Action::GraphDisableUser {
            user_id: "alice@example.com".to_owned(),
        }))
        .unwrap();
    assert_eq!(upn[0].endpoint, "/v1.0/users/alice%40example.com");
    assert!(server.requests().is_empty(), "planning makes no call");
}

#[tokio::test]
async fn token_is_requested_once_for_several_calls() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(disable_user());
    let mut log = CallLog::default();
    let execution = graph.execute(&request, &mut log).await.unwrap();
    graph.verify(&request, &execution, &mut log).await.unwrap();
    graph.revert(&request, &execution, &mut log).await.unwrap();
    graph.verify(&request, &execution, &mut log).await.unwrap();

    assert_eq!(server.tokens_issued(), 1);
    assert_eq!(server.requests_to(&format!("/{TENANT}/")).len(), 1);
    assert_eq!(log.records.len(), 5);
    let token_request = &server.requests_to(&format!("/{TENANT}/"))[0];
    let form = &token_request.body;
    assert!(form.contains("grant_type=client_credentials"), "{form}");
    assert!(
        form.contains("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
        "{form}"
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let server = server().await;
    for index in 0..5 {
        server.add_user(GraphUser::enabled(
            &format!("user-{index}"),
            "bob@example.com",
        ));
    }
    let graph = Arc::new(connector(&server));
    let mut tasks = Vec::new();
    for index in 0..5 {
        let graph = graph.clone();
        tasks.push(tokio::spawn(async move {
            let mut log = CallLog::default();
            let request = request(Action::GraphDisableUser {
                user_id: format!("user-{index}"),
            });
            graph.execute(&request, &mut log).await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(server.tokens_issued(), 1);
}

#[tokio::test]
async fn rejected_token_is_replaced_once() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(disable_user());
    let mut log = CallLog::default();
    graph.execute(&request, &mut log).await.unwrap();
    server.revoke_tokens();
    log = CallLog::default();

    graph
        .verify(&request, &Execution::default(), &mut log)
        .await
        .unwrap();

    let read = format!("/v1.0/users/{USER}?$select=id,accountEnabled");
    assert_eq!(
        calls(&log),
        vec![
            call("GET", &read, 401, 1),
            call("POST", TOKEN_ENDPOINT, 200, 1),
            call("GET", &read, 200, 1),
        ]
    );
    assert_eq!(
        log.records[0].error.as_deref(),
        Some("Access token has expired or is not yet valid.")
    );
    assert_eq!(server.tokens_issued(), 2);
}

#[tokio::test]
async fn token_is_renewed_before_it_expires() {
    let server = server().await;
    server.set_token_lifetime(Duration::from_secs(1));
    let graph = connector(&server);
    let request = request(disable_user());
    let mut log = CallLog::default();
    graph.execute(&request, &mut log).await.unwrap();
    // A one-second token is kept for half its life.
    tokio::time::sleep(Duration::from_millis(600)).await;
    graph
        .verify(&request, &Execution::default(), &mut log)
        .await
        .unwrap();
    assert_eq!(server.tokens_issued(), 2);
    assert!(
        log.records.iter().all(|record| record.status != Some(401)),
        "the token was renewed before the API rejected it"
    );
}

#[tokio::test]
async fn wrong_client_secret_is_rejected_with_description() {
    let server = server().await;
    let graph = connector_with_secret(&server, "wrong-secret-value");
    let mut log = CallLog::default();
    let error = graph
        .execute(&request(disable_user()), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "entra rejected `{TOKEN_ENDPOINT}` with status 401: AADSTS7000215: Invalid client \
             secret provided. Ensure the secret being sent in the request is the client secret \
             value, not the client secret ID."
        )
    );
    assert_eq!(calls(&log), vec![call("POST", TOKEN_ENDPOINT, 401, 1)]);
    assert!(server.user(USER).unwrap().account_enabled);
}

#[tokio::test]
async fn throttling_honours_retry_after() {
    let server = server().await;
    server.inject_on("/v1.0/", 1, Fault::RateLimited { wait_secs: 1 });
    let graph = connector(&server);
    let mut log = CallLog::default();

    graph
        .execute(&request(disable_user()), &mut log)
        .await
        .unwrap();

    let endpoint = format!("/v1.0/users/{USER}");
    assert_eq!(
        calls(&log),
        vec![
            call("POST", TOKEN_ENDPOINT, 200, 1),
            call("PATCH", &endpoint, 429, 1),
            call("PATCH", &endpoint, 204, 2),
        ]
    );
    assert_eq!(
        log.records[1].error.as_deref(),
        Some("rate limited; the server asked to retry after 1s")
    );
}

#[tokio::test]
async fn throttling_gives_up_after_the_policy() {
    let server = server().await;
    server.inject_on("/v1.0/", 10, Fault::RateLimited { wait_secs: 0 });
    let graph = connector(&server);
    let mut log = CallLog::default();
    let error = graph
        .execute(&request(disable_user()), &mut log)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::RateLimited { attempts: 4, .. }
    ));
    assert_eq!(log.records.len(), 5, "the token request and four attempts");
}

#[tokio::test]
async fn forbidden_maps_error_message_and_keeps_the_log() {
    let server = server().await;
    server.inject_on(
        "/v1.0/",
        1,
        Fault::Status {
            status: 403,
            message: "Insufficient privileges to complete the operation.".to_owned(),
        },
    );
    let graph = connector(&server);
    let mut log = CallLog::default();
    let error = graph
        .execute(&request(disable_user()), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "entra rejected `/v1.0/users/{USER}` with status 403: Insufficient privileges to \
             complete the operation."
        )
    );
    assert_eq!(
        calls(&log),
        vec![
            call("POST", TOKEN_ENDPOINT, 200, 1),
            call("PATCH", &format!("/v1.0/users/{USER}"), 403, 1),
        ]
    );
}

#[tokio::test]
async fn unknown_user_maps_error_message() {
    let server = server().await;
    let graph = connector(&server);
    let mut log = CallLog::default();
    let error = graph
        .execute(
            &request(Action::GraphDisableUser {
                user_id: "missing-user".to_owned(),
            }),
            &mut log,
        )
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Rejected { status: 404, ref message, .. }
            if message == "Resource 'missing-user' does not exist or one of its queried \
                           reference-property objects are not present."
    ));
}

#[tokio::test]
async fn secrets_stay_out_of_log() {
    let server = server().await;
    let graph = connector(&server);
    let request = request(disable_user());
    let mut log = CallLog::default();
    let execution = graph.execute(&request, &mut log).await.unwrap();
    graph.verify(&request, &execution, &mut log).await.unwrap();

    let api_request = &server.requests_to("/v1.0/")[0];
    let token = api_request
        .header("authorization")
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    assert_no_secret(&log, &[SECRET, &token]);
    let debug = format!("{graph:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(!debug.contains(&token), "{debug}");
    for received in server.requests() {
        assert!(!received.path_and_query().contains(SECRET));
        assert!(!received.path_and_query().contains(&token));
    }
}

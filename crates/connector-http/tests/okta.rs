//! The Okta connector against the Okta test server.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use std::time::Duration;

use riposte_action::{Action, ActionError, ApiCall, CallLog, Connector, Verification};
use riposte_connector_http::{HttpSettings, OktaConnector, OktaSettings};
use riposte_testservers::{OktaServer, OktaUser};
use support::{assert_no_secret, call, calls, environment, fast_http, request};

const TOKEN: &str = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd";
const USER: &str = "00u1a2b3c4d5e6f7g8h9";

async fn server() -> OktaServer {
    let server = OktaServer::start(TOKEN).await.unwrap();
    server.add_user(
        OktaUser::active(USER, "alice@example.com")
            .with_sessions(3, 2)
            .with_factor("opf1a2b3c4d5e6f7g8h9", "push")
            .with_factor("sms1a2b3c4d5e6f7g8h9", "sms")
            .with_grant("0oa1clientapp", "oag1first")
            .with_grant("0oa1clientapp", "oag2second")
            .with_grant("0oa2otherapp", "oag3other"),
    );
    server
}

fn settings(server: &OktaServer, http: HttpSettings) -> OktaSettings {
    OktaSettings {
        org_url: server.base_url(),
        token_env: None,
        token: None,
        http,
    }
}

fn connector(server: &OktaServer) -> OktaConnector {
    connector_with(server, fast_http())
}

fn connector_with(server: &OktaServer, http: HttpSettings) -> OktaConnector {
    let env = environment(&[("OKTA_API_TOKEN", TOKEN)]);
    OktaConnector::new(&settings(server, http), &env).unwrap()
}

fn suspend() -> Action {
    Action::OktaSuspendUser {
        user_id: USER.to_owned(),
    }
}

#[tokio::test]
async fn clear_sessions_ends_sessions_and_tokens() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(Action::OktaClearSessions {
        user_id: USER.to_owned(),
    });
    let mut log = CallLog::default();

    let execution = okta.execute(&request, &mut log).await.unwrap();
    let user = server.user(USER).unwrap();
    assert_eq!(user.sessions, 0);
    assert_eq!(user.oauth_tokens, 0);
    let endpoint = format!("/api/v1/users/{USER}/sessions?oauthTokens=true");
    assert_eq!(calls(&log), vec![call("DELETE", &endpoint, 204, 1)]);

    let verification = okta.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::Confirmed(format!(
            "Okta has no API to list sessions; clearing the sessions of `{USER}` returned \
             status 204"
        ))
    );
    assert_eq!(log.records.len(), 1, "verifying makes no call");

    let error = okta
        .revert(&request, &execution, &mut log)
        .await
        .unwrap_err();
    assert!(matches!(error, ActionError::NotRevertible { .. }));
}

#[tokio::test]
async fn suspend_is_verified_and_reverted() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(suspend());
    let mut log = CallLog::default();

    let execution = okta.execute(&request, &mut log).await.unwrap();
    assert_eq!(server.user(USER).unwrap().status, "SUSPENDED");
    let verification = okta.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::Confirmed(format!("Okta user `{USER}` has status `SUSPENDED`"))
    );

    okta.revert(&request, &execution, &mut log).await.unwrap();
    assert_eq!(server.user(USER).unwrap().status, "ACTIVE");
    let verification = okta.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::NotConfirmed(format!("Okta user `{USER}` has status `ACTIVE`"))
    );

    assert_eq!(
        calls(&log),
        vec![
            call(
                "POST",
                &format!("/api/v1/users/{USER}/lifecycle/suspend"),
                200,
                1
            ),
            call("GET", &format!("/api/v1/users/{USER}"), 200, 1),
            call(
                "POST",
                &format!("/api/v1/users/{USER}/lifecycle/unsuspend"),
                200,
                1
            ),
            call("GET", &format!("/api/v1/users/{USER}"), 200, 1),
        ]
    );
}

#[tokio::test]
async fn revoke_grants_removes_only_that_client() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(Action::OktaRevokeGrants {
        user_id: USER.to_owned(),
        client_id: "0oa1clientapp".to_owned(),
    });
    let mut log = CallLog::default();

    let execution = okta.execute(&request, &mut log).await.unwrap();
    let grants = server.user(USER).unwrap().grants;
    assert!(!grants.contains_key("0oa1clientapp"));
    assert!(grants.contains_key("0oa2otherapp"));

    let verification = okta.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::Confirmed(format!(
            "Okta user `{USER}` has 0 grants left for client `0oa1clientapp`"
        ))
    );
    let endpoint = format!("/api/v1/users/{USER}/clients/0oa1clientapp/grants");
    assert_eq!(
        calls(&log),
        vec![
            call("DELETE", &endpoint, 204, 1),
            call("GET", &endpoint, 200, 1)
        ]
    );
    assert!(matches!(
        okta.revert(&request, &execution, &mut log).await,
        Err(ActionError::NotRevertible { .. })
    ));
}

#[tokio::test]
async fn grants_left_are_not_confirmed() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(Action::OktaRevokeGrants {
        user_id: USER.to_owned(),
        client_id: "0oa1clientapp".to_owned(),
    });
    let mut log = CallLog::default();
    let execution = riposte_action::Execution::default();
    let verification = okta.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::NotConfirmed(format!(
            "Okta user `{USER}` has 2 grants left for client `0oa1clientapp`"
        ))
    );
}

#[tokio::test]
async fn reset_factors_leaves_none_enrolled() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(Action::OktaResetFactors {
        user_id: USER.to_owned(),
    });
    let mut log = CallLog::default();

    let execution = okta.execute(&request, &mut log).await.unwrap();
    assert!(server.user(USER).unwrap().factors.is_empty());
    let verification = okta.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::Confirmed(format!("Okta user `{USER}` has 0 enrolled factors"))
    );
    assert_eq!(
        calls(&log),
        vec![
            call(
                "POST",
                &format!("/api/v1/users/{USER}/lifecycle/reset_factors"),
                200,
                1
            ),
            call("GET", &format!("/api/v1/users/{USER}/factors"), 200, 1),
        ]
    );
}

#[tokio::test]
async fn plan_lists_the_exact_calls() {
    let server = server().await;
    let okta = connector(&server);
    let cases = [
        (
            Action::OktaClearSessions {
                user_id: USER.to_owned(),
            },
            "DELETE",
            format!("/api/v1/users/{USER}/sessions?oauthTokens=true"),
            format!(
                "end every Okta session of user `{USER}` and revoke the OAuth tokens issued to \
                 them"
            ),
        ),
        (
            suspend(),
            "POST",
            format!("/api/v1/users/{USER}/lifecycle/suspend"),
            format!("suspend Okta user `{USER}`"),
        ),
        (
            Action::OktaRevokeGrants {
                user_id: USER.to_owned(),
                client_id: "0oa1clientapp".to_owned(),
            },
            "DELETE",
            format!("/api/v1/users/{USER}/clients/0oa1clientapp/grants"),
            format!("revoke the grants Okta user `{USER}` gave to client `0oa1clientapp`"),
        ),
        (
            Action::OktaResetFactors {
                user_id: USER.to_owned(),
            },
            "POST",
            format!("/api/v1/users/{USER}/lifecycle/reset_factors"),
            format!("reset every enrolled factor of Okta user `{USER}`"),
        ),
    ];
    for (action, method, endpoint, summary) in cases {
        let plan = okta.plan(&request(action)).unwrap();
        assert_eq!(
            plan,
            vec![ApiCall {
                method: method.to_owned(),
                endpoint,
                summary,
            }]
        );
    }
    assert!(server.requests().is_empty(), "planning makes no call");
}

#[tokio::test]
async fn plan_encodes_identifiers_in_paths() {
    let server = server().await;
    let okta = connector(&server);
    let plan = okta
        .plan(&request(Action::OktaSuspendUser {
            user_id: "../../apps?x=1".to_owned(),
        }))
        .unwrap();
    assert_eq!(
        plan[0].endpoint,
        "/api/v1/users/..%2F..%2Fapps%3Fx%3D1/lifecycle/suspend"
    );
    let error = okta
        .plan(&request(Action::OktaSuspendUser {
            user_id: String::new(),
        }))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid okta connector configuration: empty `user_id` in `okta_suspend_user`: \
         expected an identifier"
    );
}

#[tokio::test]
async fn other_systems_actions_are_unsupported() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(Action::GraphDisableUser {
        user_id: USER.to_owned(),
    });
    let error = okta.plan(&request).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the okta connector does not carry out `graph_disable_user`"
    );
    let mut log = CallLog::default();
    assert!(matches!(
        okta.execute(&request, &mut log).await,
        Err(ActionError::Unsupported { .. })
    ));
    assert!(log.records.is_empty());
}

#[tokio::test]
async fn rate_limit_reads_server_date() {
    let server = server().await;
    // The server's clock is a day ahead: a reset read against the local clock would ask for
    // a day's wait, longer than the 5 s allowed, and the call would fail.
    server.set_clock_offset(86_400);
    server.rate_limit_next(2, 1);
    let okta = connector(&server);
    let mut log = CallLog::default();

    okta.execute(&request(suspend()), &mut log).await.unwrap();

    assert_eq!(server.user(USER).unwrap().status, "SUSPENDED");
    let endpoint = format!("/api/v1/users/{USER}/lifecycle/suspend");
    assert_eq!(
        calls(&log),
        vec![
            call("POST", &endpoint, 429, 1),
            call("POST", &endpoint, 429, 2),
            call("POST", &endpoint, 200, 3),
        ]
    );
    assert_eq!(
        log.records[0].error.as_deref(),
        Some("rate limited; the server asked to retry after 1s")
    );
    assert_eq!(log.records[2].error, None);
}

#[tokio::test]
async fn rate_limit_gives_up_after_the_policy() {
    let server = server().await;
    server.rate_limit_next(10, 0);
    let okta = connector_with(
        &server,
        HttpSettings {
            max_attempts: 3,
            ..fast_http()
        },
    );
    let mut log = CallLog::default();

    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();

    let endpoint = format!("/api/v1/users/{USER}/lifecycle/suspend");
    assert_eq!(
        error.to_string(),
        format!("okta rate limit still exceeded after 3 attempts on `{endpoint}`")
    );
    assert_eq!(log.records.len(), 3);
    assert!(log.records.iter().all(|record| record.status == Some(429)));
    assert_eq!(server.user(USER).unwrap().status, "ACTIVE");
}

#[tokio::test]
async fn rate_limit_longer_than_allowed_fails_at_once() {
    let server = server().await;
    server.rate_limit_next(1, 3_600);
    let okta = connector(&server);
    let mut log = CallLog::default();

    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();

    assert!(matches!(
        error,
        ActionError::RateLimited { attempts: 1, .. }
    ));
    assert_eq!(
        log.records[0].error.as_deref(),
        Some("rate limited; the server asked to retry after 3600s")
    );
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = server().await;
    server.fail_next(2, 500, "Internal Server Error");
    let okta = connector(&server);
    let mut log = CallLog::default();

    okta.execute(&request(suspend()), &mut log).await.unwrap();

    let statuses: Vec<Option<u16>> = log.records.iter().map(|record| record.status).collect();
    assert_eq!(statuses, vec![Some(500), Some(500), Some(200)]);
    assert_eq!(
        log.records[0].error.as_deref(),
        Some("Internal Server Error")
    );
}

#[tokio::test]
async fn server_errors_fail_after_the_policy() {
    let server = server().await;
    server.fail_next(10, 503, "Service Unavailable");
    let okta = connector_with(
        &server,
        HttpSettings {
            max_attempts: 2,
            ..fast_http()
        },
    );
    let mut log = CallLog::default();
    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "okta call `/api/v1/users/{USER}/lifecycle/suspend` failed: server error with \
             status 503 after 2 attempts: Service Unavailable"
        )
    );
    assert_eq!(log.records.len(), 2);
}

#[tokio::test]
async fn unknown_user_is_rejected_with_error_summary() {
    let server = server().await;
    let okta = connector(&server);
    let mut log = CallLog::default();
    let error = okta
        .execute(
            &request(Action::OktaSuspendUser {
                user_id: "00uMISSING".to_owned(),
            }),
            &mut log,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "okta rejected `/api/v1/users/00uMISSING/lifecycle/suspend` with status 404: Not \
         found: Resource not found: 00uMISSING (User)"
    );
    assert_eq!(log.records.len(), 1, "4xx is not retried");
    assert_eq!(log.records[0].status, Some(404));
}

#[tokio::test]
async fn invalid_lifecycle_transition_is_rejected() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(suspend());
    let mut log = CallLog::default();
    let execution = okta.execute(&request, &mut log).await.unwrap();
    okta.revert(&request, &execution, &mut log).await.unwrap();
    let error = okta
        .revert(&request, &execution, &mut log)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Rejected { status: 400, ref message, .. }
            if message == "Api validation failed: Cannot unsuspend a user that is not suspended"
    ));
}

#[tokio::test]
async fn forbidden_is_rejected_with_error_summary() {
    let server = server().await;
    server.fail_next(
        1,
        403,
        "You do not have permission to perform the requested action",
    );
    let okta = connector(&server);
    let mut log = CallLog::default();
    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Rejected { status: 403, ref message, .. }
            if message == "You do not have permission to perform the requested action"
    ));
}

#[tokio::test]
async fn wrong_token_is_rejected_without_retry() {
    let server = server().await;
    let env = environment(&[("OKTA_API_TOKEN", "00wrongtoken")]);
    let okta = OktaConnector::new(&settings(&server, fast_http()), &env).unwrap();
    let mut log = CallLog::default();
    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Rejected { status: 401, ref message, .. } if message == "Invalid token provided"
    ));
    assert_eq!(log.records.len(), 1);
}

#[tokio::test]
async fn token_stays_out_of_log() {
    let server = server().await;
    let okta = connector(&server);
    let request = request(suspend());
    let mut log = CallLog::default();
    let execution = okta.execute(&request, &mut log).await.unwrap();
    okta.verify(&request, &execution, &mut log).await.unwrap();
    okta.revert(&request, &execution, &mut log).await.unwrap();

    assert_no_secret(&log, &[TOKEN]);
    assert!(!format!("{okta:?}").contains(TOKEN));
    for received in server.requests() {
        assert!(!received.path_and_query().contains(TOKEN));
        assert_eq!(
            received.header("authorization"),
            Some(format!("SSWS {TOKEN}").as_str())
        );
    }
}

#[tokio::test]
async fn slow_response_times_out_and_is_retried() {
    let server = server().await;
    server.delay_next(1, Duration::from_secs(3));
    let okta = connector_with(
        &server,
        HttpSettings {
            timeout_secs: 1,
            ..fast_http()
        },
    );
    let mut log = CallLog::default();
    okta.execute(&request(suspend()), &mut log).await.unwrap();
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[0].status, None);
    let error = log.records[0].error.as_deref().unwrap();
    assert!(error.starts_with("timed out"), "{error}");
    assert_eq!(log.records[1].status, Some(200));
}

#[tokio::test]
async fn closed_port_fails_as_transport_error() {
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let settings = OktaSettings {
        org_url: format!("http://{address}"),
        token_env: None,
        token: None,
        http: HttpSettings {
            max_attempts: 2,
            ..fast_http()
        },
    };
    let env = environment(&[("OKTA_API_TOKEN", TOKEN)]);
    let okta = OktaConnector::new(&settings, &env).unwrap();
    let mut log = CallLog::default();
    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();
    let ActionError::Transport { message, .. } = &error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert!(message.starts_with("connection failed"), "{message}");
    assert!(message.ends_with("(after 2 attempts)"), "{message}");
    assert_eq!(log.records.len(), 2);
    assert!(log.records.iter().all(|record| record.status.is_none()));
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let server = server().await;
    server.fail_next(1, 302, "Found");
    let okta = connector(&server);
    let mut log = CallLog::default();
    let error = okta
        .execute(&request(suspend()), &mut log)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Rejected { status: 302, ref message, .. }
            if message == "unexpected redirect: check the base URL"
    ));
    assert_eq!(log.records.len(), 1);
    assert_eq!(server.user(USER).unwrap().status, "ACTIVE");
}

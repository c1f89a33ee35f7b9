//! The CrowdStrike Falcon connector against the Falcon test server.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use riposte_action::{Action, ActionError, ApiCall, CallLog, Connector, Execution, Verification};
use riposte_connector_http::{FalconConnector, FalconSettings, HttpSettings};
use riposte_testservers::{FalconDevice, FalconServer, Fault};
use support::{assert_no_secret, call, calls, environment, fast_http, request};

const CLIENT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const SECRET: &str = "fAlCoNsEcReT0123456789abcdefGHIJKLmnop";
const DEVICE: &str = "4b1c9d2e8f7a6b5c4d3e2f1a0b9c8d7e";
const CONTAIN: &str = "/devices/entities/devices-actions/v2?action_name=contain";
const LIFT: &str = "/devices/entities/devices-actions/v2?action_name=lift_containment";

async fn server() -> FalconServer {
    let server = FalconServer::start(CLIENT, SECRET).await.unwrap();
    server.add_device(FalconDevice::normal(DEVICE, "wks-0042.example.com"));
    server
}

fn connector_with(server: &FalconServer, secret: &str, http: HttpSettings) -> FalconConnector {
    let settings = FalconSettings {
        base_url: server.base_url(),
        client_id: CLIENT.to_owned(),
        client_secret_env: Some("CS_SECRET".to_owned()),
        client_secret: None,
        http,
    };
    let env = environment(&[("CS_SECRET", secret)]);
    FalconConnector::new(&settings, &env).unwrap()
}

fn connector(server: &FalconServer) -> FalconConnector {
    connector_with(server, SECRET, fast_http())
}

fn contain() -> Action {
    Action::FalconContainHost {
        device_id: DEVICE.to_owned(),
    }
}

fn read_endpoint() -> String {
    format!("/devices/entities/devices/v2?ids={DEVICE}")
}

#[tokio::test]
async fn contain_is_verified_and_reverted() {
    let server = server().await;
    let falcon = connector(&server);
    let request = request(contain());
    let mut log = CallLog::default();

    let execution = falcon.execute(&request, &mut log).await.unwrap();
    assert_eq!(server.device(DEVICE).unwrap().status, "containment_pending");
    assert_eq!(
        falcon.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!(
            "Falcon host `{DEVICE}` has status `containment_pending`"
        ))
    );
    assert_eq!(
        falcon.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!("Falcon host `{DEVICE}` has status `contained`"))
    );

    falcon.revert(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        server.device(DEVICE).unwrap().status,
        "lift_containment_pending"
    );
    let verification = falcon.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(
        verification,
        Verification::NotConfirmed(format!(
            "Falcon host `{DEVICE}` has status `lift_containment_pending`, expected \
             `contained` or `containment_pending`"
        ))
    );

    assert_eq!(
        calls(&log),
        vec![
            call("POST", "/oauth2/token", 201, 1),
            call("POST", CONTAIN, 202, 1),
            call("GET", &read_endpoint(), 200, 1),
            call("GET", &read_endpoint(), 200, 1),
            call("POST", LIFT, 202, 1),
            call("GET", &read_endpoint(), 200, 1),
        ]
    );
}

#[tokio::test]
async fn lift_containment_is_verified() {
    let server = server().await;
    let mut device = FalconDevice::normal(DEVICE, "wks-0042.example.com");
    device.status = "contained".to_owned();
    server.add_device(device);
    let falcon = connector(&server);
    let request = request(Action::FalconLiftContainment {
        device_id: DEVICE.to_owned(),
    });
    let mut log = CallLog::default();

    let execution = falcon.execute(&request, &mut log).await.unwrap();
    assert_eq!(
        falcon.verify(&request, &execution, &mut log).await.unwrap(),
        Verification::Confirmed(format!(
            "Falcon host `{DEVICE}` has status `lift_containment_pending`"
        ))
    );
    assert_eq!(server.device(DEVICE).unwrap().status, "normal");
    let body = &server.requests_to("/devices/entities/devices-actions/v2")[0].body;
    assert_eq!(body, &format!(r#"{{"ids":["{DEVICE}"]}}"#));
}

#[tokio::test]
async fn plan_lists_the_exact_calls() {
    let server = server().await;
    let falcon = connector(&server);
    assert_eq!(
        falcon.plan(&request(contain())).unwrap(),
        vec![ApiCall {
            method: "POST".to_owned(),
            endpoint: CONTAIN.to_owned(),
            summary: format!("network-contain Falcon host `{DEVICE}`"),
        }]
    );
    assert_eq!(
        falcon
            .plan(&request(Action::FalconLiftContainment {
                device_id: DEVICE.to_owned(),
            }))
            .unwrap(),
        vec![ApiCall {
            method: "POST".to_owned(),
            endpoint: LIFT.to_owned(),
            summary: format!("lift the network containment of Falcon host `{DEVICE}`"),
        }]
    );
    assert!(server.requests().is_empty(), "planning makes no call");
}

#[tokio::test]
async fn rate_limit_reads_server_date() {
    let server = server().await;
    // A day of skew: read against the local clock the wait would exceed the 5 s allowed.
    server.set_clock_offset(-86_400);
    let falcon = connector(&server);
    let mut log = CallLog::default();
    falcon
        .verify(&request(contain()), &Execution::default(), &mut log)
        .await
        .unwrap();
    server.inject_on("/devices/", 1, Fault::RateLimited { wait_secs: 1 });

    falcon.execute(&request(contain()), &mut log).await.unwrap();

    assert_eq!(
        calls(&log)[2..],
        [call("POST", CONTAIN, 429, 1), call("POST", CONTAIN, 202, 2)]
    );
    assert_eq!(
        log.records[2].error.as_deref(),
        Some("rate limited; the server asked to retry after 1s")
    );
}

#[tokio::test]
async fn rate_limit_gives_up_after_the_policy() {
    let server = server().await;
    server.inject_on("/devices/", 5, Fault::RateLimited { wait_secs: 0 });
    let falcon = connector_with(
        &server,
        SECRET,
        HttpSettings {
            max_attempts: 2,
            ..fast_http()
        },
    );
    let mut log = CallLog::default();
    let error = falcon
        .execute(&request(contain()), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("falcon rate limit still exceeded after 2 attempts on `{CONTAIN}`")
    );
    assert_eq!(server.device(DEVICE).unwrap().status, "normal");
}

#[tokio::test]
async fn token_is_cached_and_replaced_on_401() {
    let server = server().await;
    let falcon = connector(&server);
    let request = request(contain());
    let mut log = CallLog::default();
    let execution = falcon.execute(&request, &mut log).await.unwrap();
    falcon.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(server.tokens_issued(), 1);

    server.revoke_tokens();
    falcon.verify(&request, &execution, &mut log).await.unwrap();
    assert_eq!(server.tokens_issued(), 2);
    assert_eq!(
        calls(&log)[3..],
        [
            call("GET", &read_endpoint(), 401, 1),
            call("POST", "/oauth2/token", 201, 1),
            call("GET", &read_endpoint(), 200, 1),
        ]
    );
    assert_eq!(
        log.records[3].error.as_deref(),
        Some("access denied, invalid bearer token")
    );
}

#[tokio::test]
async fn wrong_secret_is_rejected_with_error_message() {
    let server = server().await;
    let falcon = connector_with(&server, "not-the-secret", fast_http());
    let mut log = CallLog::default();
    let error = falcon
        .execute(&request(contain()), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "falcon rejected `/oauth2/token` with status 403: Failed to issue access token - \
         Client authentication failed (e.g., unknown client, no client authentication \
         included, or unsupported authentication method)"
    );
    assert_eq!(calls(&log), vec![call("POST", "/oauth2/token", 403, 1)]);
}

#[tokio::test]
async fn missing_scope_is_rejected() {
    let server = server().await;
    server.set_read_only(true);
    let falcon = connector(&server);
    let mut log = CallLog::default();
    let error = falcon
        .execute(&request(contain()), &mut log)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        ActionError::Rejected { status: 403, ref message, .. }
            if message == "access denied, authorization failed"
    ));
    assert_eq!(
        log.records.len(),
        2,
        "the token request and the rejected call"
    );
}

#[tokio::test]
async fn unknown_device_is_rejected() {
    let server = server().await;
    let falcon = connector(&server);
    let mut log = CallLog::default();
    let error = falcon
        .execute(
            &request(Action::FalconContainHost {
                device_id: "ffffffffffffffffffffffffffffffff".to_owned(),
            }),
            &mut log,
        )
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "falcon rejected `{CONTAIN}` with status 404: device \
             ffffffffffffffffffffffffffffffff not found"
        )
    );
}

#[tokio::test]
async fn verify_of_unknown_device_is_rejected() {
    let server = server().await;
    let falcon = connector(&server);
    let mut log = CallLog::default();
    let error = falcon
        .verify(
            &request(Action::FalconContainHost {
                device_id: "ffffffffffffffffffffffffffffffff".to_owned(),
            }),
            &Execution::default(),
            &mut log,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, ActionError::Rejected { status: 404, .. }));
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = server().await;
    server.inject_on(
        "/devices/",
        1,
        Fault::Status {
            status: 502,
            message: "Bad Gateway".to_owned(),
        },
    );
    let falcon = connector(&server);
    let mut log = CallLog::default();
    falcon.execute(&request(contain()), &mut log).await.unwrap();
    assert_eq!(
        calls(&log)[1..],
        [call("POST", CONTAIN, 502, 1), call("POST", CONTAIN, 202, 2)]
    );
    assert_eq!(log.records[1].error.as_deref(), Some("Bad Gateway"));
}

#[tokio::test]
async fn secrets_stay_out_of_log() {
    let server = server().await;
    let falcon = connector(&server);
    let request = request(contain());
    let mut log = CallLog::default();
    let execution = falcon.execute(&request, &mut log).await.unwrap();
    falcon.verify(&request, &execution, &mut log).await.unwrap();
    falcon.revert(&request, &execution, &mut log).await.unwrap();

    let token = server.requests_to("/devices/")[0]
        .header("authorization")
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    assert_no_secret(&log, &[SECRET, &token, CLIENT]);
    let debug = format!("{falcon:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(!debug.contains(&token), "{debug}");
    for received in server.requests() {
        assert!(!received.path_and_query().contains(SECRET));
    }
}

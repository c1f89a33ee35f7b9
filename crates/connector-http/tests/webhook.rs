//! The webhook connector against the signature-checking webhook receiver.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use riposte_action::{Action, ActionError, ApiCall, CallLog, Connector, Verification};
use riposte_connector_http::webhook::sign;
use riposte_connector_http::{WebhookConnector, WebhookSettings};
use riposte_model::Sensitive;
use riposte_testservers::{Fault, WebhookServer};
use support::{assert_no_secret, environment, fast_http, request};

const PATH: &str = "/services/T0EXAMPLE/B0EXAMPLE/hooktoken0123456789";
const SECRET: &str = "whsec-0123456789abcdef0123456789abcdef";

fn connector_with_secret(server: &WebhookServer, secret: &str) -> WebhookConnector {
    let settings = WebhookSettings {
        url_env: None,
        url: None,
        secret_env: None,
        secret: None,
        http: fast_http(),
    };
    let url = server.url();
    let env = environment(&[
        ("RIPOSTE_WEBHOOK_URL", url.as_str()),
        ("RIPOSTE_WEBHOOK_SECRET", secret),
    ]);
    WebhookConnector::new(&settings, &env).unwrap()
}

fn connector(server: &WebhookServer) -> WebhookConnector {
    connector_with_secret(server, SECRET)
}

fn notify() -> Action {
    Action::Notify {
        summary: "INC-2025-0042: session replay by alice@example.com, severity high".to_owned(),
    }
}

/// Returns the call log's name for the webhook: its origin and the fingerprint of the URL.
fn endpoint(server: &WebhookServer) -> String {
    format!(
        "{} (url {})",
        server.base_url(),
        Sensitive::new(server.url()).fingerprint()
    )
}

#[tokio::test]
async fn delivery_is_signed_and_verified() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    let webhook = connector(&server);
    let request = request(notify());
    let mut log = CallLog::default();

    let execution = webhook.execute(&request, &mut log).await.unwrap();

    let deliveries = server.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].incident_id, "INC-2025-0042");
    assert_eq!(
        deliveries[0].summary,
        "INC-2025-0042: session replay by alice@example.com, severity high"
    );
    assert_eq!(deliveries[0].idempotency_key, request.idempotency_key());
    assert!(
        chrono::DateTime::parse_from_rfc3339(&deliveries[0].sent_at).is_ok(),
        "{}",
        deliveries[0].sent_at
    );
    let received = &server.requests()[0];
    assert_eq!(
        received.header("x-riposte-signature"),
        Some(
            format!(
                "sha256={}",
                sign(&Sensitive::new(SECRET), received.body.as_bytes())
            )
            .as_str()
        )
    );
    assert_eq!(
        received.header("x-riposte-idempotency-key"),
        Some(request.idempotency_key().as_str())
    );
    assert_eq!(received.header("content-type"), Some("application/json"));

    assert_eq!(
        webhook
            .verify(&request, &execution, &mut log)
            .await
            .unwrap(),
        Verification::Confirmed("the webhook accepted the message with status 200".to_owned())
    );
    assert!(matches!(
        webhook.revert(&request, &execution, &mut log).await,
        Err(ActionError::NotRevertible { .. })
    ));
    assert_eq!(log.records.len(), 1);
    assert_eq!(log.records[0].call.endpoint, endpoint(&server));
    assert_eq!(log.records[0].status, Some(200));
}

#[tokio::test]
async fn wrong_secret_is_rejected_by_the_receiver() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    let webhook = connector_with_secret(&server, "another-secret-of-enough-length");
    let mut log = CallLog::default();
    let error = webhook
        .execute(&request(notify()), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "webhook rejected `{}` with status 401: invalid signature",
            endpoint(&server)
        )
    );
    assert!(server.deliveries().is_empty());
}

#[tokio::test]
async fn repeated_delivery_is_dropped_by_key() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    let webhook = connector(&server);
    let request = request(notify());
    let mut log = CallLog::default();
    webhook.execute(&request, &mut log).await.unwrap();
    webhook.execute(&request, &mut log).await.unwrap();
    assert_eq!(server.deliveries().len(), 1);
    assert_eq!(server.duplicates(), 1);
}

#[tokio::test]
async fn unavailable_receiver_is_retried() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    server.inject(
        1,
        Fault::Status {
            status: 503,
            message: "upstream unavailable".to_owned(),
        },
    );
    server.rate_limit_next(1, 0);
    let webhook = connector(&server);
    let mut log = CallLog::default();
    webhook.execute(&request(notify()), &mut log).await.unwrap();
    let statuses: Vec<Option<u16>> = log.records.iter().map(|record| record.status).collect();
    assert_eq!(statuses, vec![Some(503), Some(429), Some(200)]);
    assert_eq!(
        log.records[0].error.as_deref(),
        Some("upstream unavailable")
    );
    assert_eq!(server.deliveries().len(), 1);
    let signatures: Vec<String> = server
        .requests()
        .iter()
        .map(|received| received.header("x-riposte-signature").unwrap().to_owned())
        .collect();
    assert!(
        signatures
            .iter()
            .all(|signature| signature == &signatures[0]),
        "every attempt sends the same signed body"
    );
}

#[tokio::test]
async fn plan_names_the_webhook_without_its_url() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    let webhook = connector(&server);
    assert_eq!(
        webhook.plan(&request(notify())).unwrap(),
        vec![ApiCall {
            method: "POST".to_owned(),
            endpoint: endpoint(&server),
            summary: "send incident `INC-2025-0042` to the webhook, signed with HMAC-SHA256"
                .to_owned(),
        }]
    );
    assert!(server.requests().is_empty(), "planning makes no call");
}

#[tokio::test]
async fn secrets_stay_out_of_log() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    let webhook = connector(&server);
    let mut log = CallLog::default();
    server.fail_next(1, 500, "boom");
    webhook.execute(&request(notify()), &mut log).await.unwrap();
    assert_no_secret(&log, &[SECRET, "hooktoken0123456789", PATH]);
    let debug = format!("{webhook:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(!debug.contains("hooktoken"), "{debug}");
}

#[tokio::test]
async fn other_actions_are_unsupported() {
    let server = WebhookServer::start(PATH, SECRET).await.unwrap();
    let webhook = connector(&server);
    let error = webhook
        .plan(&request(Action::OktaSuspendUser {
            user_id: "00u1".to_owned(),
        }))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the webhook connector does not carry out `okta_suspend_user`"
    );
}

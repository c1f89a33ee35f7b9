//! Per-call latency of each connector against the local test servers.
//!
//! Prints the median and 95th percentile of one `execute` call, the HTTP round trip included,
//! over a few hundred calls; run with `--nocapture` to see the figures. It asserts nothing
//! about time: the figures depend on the machine and the build profile.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use std::time::{Duration, Instant};

use riposte_action::{Action, CallLog, Connector, Execution};
use riposte_connector_http::{
    FalconConnector, FalconSettings, GraphConnector, GraphSettings, OktaConnector, OktaSettings,
    WebhookConnector, WebhookSettings,
};
use riposte_testservers::{
    FalconDevice, FalconServer, GraphServer, GraphUser, OktaServer, OktaUser, WebhookServer,
};
use support::{environment, fast_http, request};

const CALLS: usize = 200;

/// Runs `CALLS` executions of `action` (reverting after each, when `revert` is set) and
/// returns the time of each execution.
async fn measure(connector: &dyn Connector, action: &Action, revert: bool) -> Vec<Duration> {
    let request = request(action.clone());
    let mut times = Vec::with_capacity(CALLS);
    // One warm-up call opens the connection and fetches any token.
    let mut log = CallLog::default();
    connector.execute(&request, &mut log).await.unwrap();
    if revert {
        connector
            .revert(&request, &Execution::default(), &mut log)
            .await
            .unwrap();
    }
    for _ in 0..CALLS {
        let mut log = CallLog::default();
        let started = Instant::now();
        connector.execute(&request, &mut log).await.unwrap();
        times.push(started.elapsed());
        assert_eq!(log.records.len(), 1);
        if revert {
            connector
                .revert(&request, &Execution::default(), &mut log)
                .await
                .unwrap();
        }
    }
    times
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "{name:<28} median {:>7.3} ms   p95 {:>7.3} ms   ({} calls)",
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        times.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_call_latency_against_local_servers() {
    let okta_server = OktaServer::start("00latencytoken").await.unwrap();
    okta_server.add_user(OktaUser::active("00u1", "alice@example.com"));
    let okta = OktaConnector::new(
        &OktaSettings {
            org_url: okta_server.base_url(),
            token_env: None,
            token: None,
            http: fast_http(),
        },
        &environment(&[("OKTA_API_TOKEN", "00latencytoken")]),
    )
    .unwrap();
    let suspend = Action::OktaSuspendUser {
        user_id: "00u1".to_owned(),
    };
    report("okta suspend", measure(&okta, &suspend, true).await);

    let graph_server = GraphServer::start("tenant-1", "client-1", "secret-1")
        .await
        .unwrap();
    graph_server.add_user(GraphUser::enabled("user-1", "alice@example.com"));
    let graph = GraphConnector::new(
        &GraphSettings {
            tenant_id: "tenant-1".to_owned(),
            client_id: "client-1".to_owned(),
            client_secret_env: None,
            client_secret: None,
            authority: graph_server.base_url(),
            graph_url: graph_server.base_url(),
            scope: "https://graph.microsoft.com/.default".to_owned(),
            http: fast_http(),
        },
        &environment(&[("GRAPH_CLIENT_SECRET", "secret-1")]),
    )
    .unwrap();
    let disable = Action::GraphDisableUser {
        user_id: "user-1".to_owned(),
    };
    report("graph disable user", measure(&graph, &disable, true).await);

    let falcon_server = FalconServer::start("client-1", "secret-1").await.unwrap();
    falcon_server.add_device(FalconDevice::normal("device-1", "wks-1.example.com"));
    let falcon = FalconConnector::new(
        &FalconSettings {
            base_url: falcon_server.base_url(),
            client_id: "client-1".to_owned(),
            client_secret_env: None,
            client_secret: None,
            http: fast_http(),
        },
        &environment(&[("FALCON_CLIENT_SECRET", "secret-1")]),
    )
    .unwrap();
    let contain = Action::FalconContainHost {
        device_id: "device-1".to_owned(),
    };
    report(
        "falcon contain host",
        measure(&falcon, &contain, true).await,
    );

    let webhook_server = WebhookServer::start("/hook", "whsec-0123456789abcdef")
        .await
        .unwrap();
    let url = webhook_server.url();
    let webhook = WebhookConnector::new(
        &WebhookSettings {
            url_env: None,
            url: None,
            secret_env: None,
            secret: None,
            http: fast_http(),
        },
        &environment(&[
            ("RIPOSTE_WEBHOOK_URL", url.as_str()),
            ("RIPOSTE_WEBHOOK_SECRET", "whsec-0123456789abcdef"),
        ]),
    )
    .unwrap();
    let notify = Action::Notify {
        summary: "INC-2025-0042: session replay".to_owned(),
    };
    report("webhook notify", measure(&webhook, &notify, false).await);
}

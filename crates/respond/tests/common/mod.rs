//! Helpers shared by the responder tests: a state file in a temporary folder, the Okta and
//! Graph test servers with connectors pointed at them, decided steps, and readers of the
//! store and the audit log.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    reason = "each test binary uses a different part of the helpers, which fail loudly on a \
              broken setup"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::DateTime;
use riposte_action::{
    Action, ActionError, ActionRequest, ApiCall, CallLog, Connector, Execution, System,
    Verification,
};
use riposte_connector_http::{
    GraphConnector, GraphSettings, HttpSettings, OktaConnector, OktaSettings,
};
use riposte_model::Timestamp;
use riposte_respond::{ActionOutcome, DecidedStep, Decision, Responder, ResponseSettings};
use riposte_store::{ActionStatus, Store};
use riposte_testservers::{GraphServer, GraphUser, OktaServer, OktaUser};
use serde_json::Value;
use tokio::sync::Notify;

pub const INCIDENT: &str = "INC-2025-0042";

pub const OKTA_TOKEN: &str = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcd";
/// The users of the Okta server. Each test acts on some of them.
pub const ALICE: &str = "00u1alice0000000000a";
pub const BOB: &str = "00u2bob00000000000b";
pub const CAROL: &str = "00u3carol0000000000c";
pub const DAVE: &str = "00u4dave00000000000d";
pub const ERIN: &str = "00u5erin00000000000e";
pub const FRANK: &str = "00u6frank0000000000f";
pub const OKTA_USERS: [&str; 6] = [ALICE, BOB, CAROL, DAVE, ERIN, FRANK];

pub const GRAPH_TENANT: &str = "8f2b6c1e-4a5d-4e7f-9a0b-1c2d3e4f5a6b";
pub const GRAPH_CLIENT: &str = "3c9d7e1f-2a4b-4c6d-8e0f-1a2b3c4d5e6f";
pub const GRAPH_SECRET: &str = "Qx8~example.client.secret-value_0001";
pub const GRAPH_USER: &str = "5d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a";

/// Returns the simulated time `seconds` after 2025-05-06T08:00:00Z.
pub fn at(seconds: i64) -> Timestamp {
    DateTime::from_timestamp(1_746_518_400 + seconds, 0).unwrap()
}

/// A state file in a temporary folder, removed with the folder.
pub struct StateFile {
    _folder: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn state_file() -> StateFile {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("state.db");
    StateFile {
        _folder: folder,
        path,
    }
}

pub fn open(path: &Path) -> Store {
    Store::open(path).unwrap()
}

/// Opens the state file and builds a responder on it, as one `riposte respond` process does.
pub fn responder(
    path: &Path,
    connectors: Vec<Arc<dyn Connector>>,
    settings: ResponseSettings,
) -> Responder {
    Responder::new(open(path), connectors, settings)
}

/// Timeouts and retries short enough for tests: 2 s per request, four attempts, 10 ms first
/// backoff, waits of at most 5 s.
pub fn fast_http() -> HttpSettings {
    HttpSettings {
        timeout_secs: 2,
        connect_timeout_secs: 2,
        max_attempts: 4,
        base_delay_ms: 10,
        max_delay_secs: 5,
    }
}

/// Starts an Okta server with every user of [`OKTA_USERS`], each active with open sessions,
/// OAuth tokens and one enrolled factor.
pub async fn okta_server() -> OktaServer {
    let server = OktaServer::start(OKTA_TOKEN).await.unwrap();
    for user in OKTA_USERS {
        server.add_user(
            OktaUser::active(user, &format!("{user}@example.com"))
                .with_sessions(2, 1)
                .with_factor(&format!("opf{user}"), "push"),
        );
    }
    server
}

pub fn okta_connector(server: &OktaServer) -> Arc<dyn Connector> {
    let settings = OktaSettings {
        org_url: server.base_url(),
        token_env: Some("RIPOSTE_TEST_OKTA_TOKEN".to_owned()),
        token: None,
        http: fast_http(),
    };
    let environment =
        |name: &str| (name == "RIPOSTE_TEST_OKTA_TOKEN").then(|| OKTA_TOKEN.to_owned());
    Arc::new(OktaConnector::new(&settings, &environment).unwrap())
}

/// Starts a Graph server with the enabled user [`GRAPH_USER`].
pub async fn graph_server() -> GraphServer {
    let server = GraphServer::start(GRAPH_TENANT, GRAPH_CLIENT, GRAPH_SECRET)
        .await
        .unwrap();
    server.add_user(GraphUser::enabled(GRAPH_USER, "alice@example.com"));
    server
}

pub fn graph_connector(server: &GraphServer) -> Arc<dyn Connector> {
    let settings = GraphSettings {
        tenant_id: GRAPH_TENANT.to_owned(),
        client_id: GRAPH_CLIENT.to_owned(),
        client_secret_env: Some("RIPOSTE_TEST_GRAPH_SECRET".to_owned()),
        client_secret: None,
        authority: server.base_url(),
        graph_url: server.base_url(),
        scope: "https://graph.microsoft.com/.default".to_owned(),
        http: fast_http(),
    };
    let environment =
        |name: &str| (name == "RIPOSTE_TEST_GRAPH_SECRET").then(|| GRAPH_SECRET.to_owned());
    Arc::new(GraphConnector::new(&settings, &environment).unwrap())
}

pub fn request(action: Action) -> ActionRequest {
    ActionRequest {
        incident_id: INCIDENT.to_owned(),
        action,
    }
}

pub fn step(action: Action, decision: Decision) -> DecidedStep {
    DecidedStep {
        request: request(action),
        decision,
        policies: vec!["test-policy".to_owned()],
        revert_after_secs: None,
    }
}

pub fn clear_sessions(user_id: &str) -> Action {
    Action::OktaClearSessions {
        user_id: user_id.to_owned(),
    }
}

pub fn suspend(user_id: &str) -> Action {
    Action::OktaSuspendUser {
        user_id: user_id.to_owned(),
    }
}

pub fn reset_factors(user_id: &str) -> Action {
    Action::OktaResetFactors {
        user_id: user_id.to_owned(),
    }
}

pub fn key(action: &Action) -> String {
    request(action.clone()).idempotency_key()
}

pub fn status(store: &Store, key: &str) -> ActionStatus {
    store
        .action(key)
        .unwrap()
        .unwrap_or_else(|| panic!("no action `{key}` in the store"))
        .status
}

/// Returns the idempotency keys of `outcomes`, in order.
pub fn keys(outcomes: &[ActionOutcome]) -> Vec<&str> {
    outcomes
        .iter()
        .map(|outcome| outcome.idempotency_key.as_str())
        .collect()
}

/// One audit record: its sequence number, kind and parsed JSON.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    pub seq: i64,
    pub time: Timestamp,
    pub kind: String,
    pub record: Value,
}

pub fn audit(store: &Store) -> Vec<AuditRecord> {
    store
        .audit_records(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(seq, time, kind, record)| AuditRecord {
            seq,
            time,
            kind,
            record: serde_json::from_str(&record).unwrap(),
        })
        .collect()
}

/// Returns the audit records about the action `key`, as (kind, record).
pub fn audit_of(store: &Store, key: &str) -> Vec<(String, Value)> {
    audit(store)
        .into_iter()
        .filter(|entry| entry.record["action"] == key)
        .map(|entry| (entry.kind, entry.record))
        .collect()
}

/// Returns the requests `server` received as `METHOD path?query`, in order.
pub fn requests(server: &riposte_testservers::Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|request| format!("{} {}", request.method, request.path_and_query()))
        .collect()
}

/// Where a [`Crashing`] connector stops, as a process killed at that point would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the intent is recorded, before the API call is sent.
    BeforeCall,
    /// After the API call succeeded, before its result is recorded.
    AfterCall,
}

/// Wraps a real connector and never returns from `execute`: at the crash point it notifies
/// `reached` and waits forever, so that the test can drop the run as a killed process would
/// stop.
pub struct Crashing {
    pub inner: Arc<dyn Connector>,
    pub point: CrashPoint,
    pub reached: Arc<Notify>,
}

#[async_trait::async_trait]
impl Connector for Crashing {
    fn system(&self) -> System {
        self.inner.system()
    }

    fn plan(&self, request: &ActionRequest) -> Result<Vec<ApiCall>, ActionError> {
        self.inner.plan(request)
    }

    async fn execute(
        &self,
        request: &ActionRequest,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        if self.point == CrashPoint::AfterCall {
            self.inner.execute(request, log).await?;
        }
        self.reached.notify_one();
        std::future::pending().await
    }

    async fn verify(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        self.inner.verify(request, execution, log).await
    }

    async fn revert(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        self.inner.revert(request, execution, log).await
    }
}

/// Records `steps` and runs the responder with a connector that crashes at `point` on the
/// first action it executes, then drops the responder as the killed process would. The state
/// file is left as the crash leaves it.
pub async fn run_until_crash(
    path: &Path,
    inner: Arc<dyn Connector>,
    point: CrashPoint,
    steps: &[DecidedStep],
    now: Timestamp,
) {
    let reached = Arc::new(Notify::new());
    let crashing: Arc<dyn Connector> = Arc::new(Crashing {
        inner,
        point,
        reached: reached.clone(),
    });
    let mut responder = responder(path, vec![crashing], ResponseSettings::default());
    responder.record_plans(steps, now).unwrap();
    tokio::select! {
        result = responder.run(false, now) => panic!("the run ended instead of crashing: {result:?}"),
        () = reached.notified() => {}
    }
    drop(responder);
}

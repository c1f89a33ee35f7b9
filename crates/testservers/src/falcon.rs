//! A CrowdStrike Falcon test server: the OAuth2 token endpoint and host containment.
//!
//! `POST /oauth2/token` takes the `client_id` and `client_secret` form and returns 201 with a
//! bearer token and `expires_in`, or 403 for wrong credentials. Behind the bearer token (401
//! otherwise): `POST /devices/entities/devices-actions/v2?action_name={contain|lift_containment}`
//! with `{"ids": [...]}` returns 202, and `GET /devices/entities/devices/v2?ids=...` returns the
//! devices with their containment `status`. A containment request leaves the device pending
//! (`containment_pending`, `lift_containment_pending`) until it has been read once, as the
//! sensor takes a moment to acknowledge it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::core::{Core, Flavor, Server, falcon_meta, lock, random_loopback_port};
use crate::token::TokenIssuer;

/// Most device ids one `devices-actions` request may carry.
const MAX_IDS: usize = 100;

/// A host with the Falcon sensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FalconDevice {
    pub device_id: String,
    pub hostname: String,
    /// `normal`, `containment_pending`, `contained` or `lift_containment_pending`.
    pub status: String,
}

impl FalconDevice {
    pub fn normal(device_id: &str, hostname: &str) -> Self {
        Self {
            device_id: device_id.to_owned(),
            hostname: hostname.to_owned(),
            status: "normal".to_owned(),
        }
    }
}

struct App {
    core: Arc<Core>,
    client_id: String,
    client_secret: String,
    tokens: TokenIssuer,
    devices: Mutex<HashMap<String, FalconDevice>>,
    /// Whether the API client lacks the `Hosts: write` scope.
    read_only: AtomicBool,
}

/// A running Falcon test server.
pub struct FalconServer {
    server: Server,
    app: Arc<App>,
}

impl Deref for FalconServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl FalconServer {
    /// Starts a server on a random loopback port that issues tokens to `client_id` with
    /// `client_secret`.
    pub async fn start(client_id: &str, client_secret: &str) -> std::io::Result<Self> {
        Self::start_on(random_loopback_port(), client_id, client_secret).await
    }

    /// Starts a server on the loopback address `address` that issues tokens to `client_id`
    /// with `client_secret`.
    pub async fn start_on(
        address: SocketAddr,
        client_id: &str,
        client_secret: &str,
    ) -> std::io::Result<Self> {
        let core = Core::new(Flavor::Falcon);
        let app = Arc::new(App {
            core: core.clone(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            tokens: TokenIssuer::new("falcon", 1799),
            devices: Mutex::new(HashMap::new()),
            read_only: AtomicBool::new(false),
        });
        let api = Router::new()
            .route("/devices/entities/devices-actions/v2", post(device_action))
            .route("/devices/entities/devices/v2", get(read_devices))
            .layer(middleware::from_fn_with_state(app.clone(), authenticate));
        let router = Router::new()
            .route("/oauth2/token", post(issue_token))
            .merge(api)
            .with_state(app.clone());
        let server = Server::start(core, router, address).await?;
        Ok(Self { server, app })
    }

    pub fn add_device(&self, device: FalconDevice) {
        lock(&self.app.devices).insert(device.device_id.clone(), device);
    }

    pub fn device(&self, device_id: &str) -> Option<FalconDevice> {
        lock(&self.app.devices).get(device_id).cloned()
    }

    /// Makes the API client read-only, so that containment requests return 403.
    pub fn set_read_only(&self, read_only: bool) {
        self.app.read_only.store(read_only, Ordering::SeqCst);
    }

    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.app.tokens.set_lifetime(lifetime);
    }

    /// Makes every token issued so far invalid.
    pub fn revoke_tokens(&self) {
        self.app.tokens.revoke_all();
    }

    pub fn tokens_issued(&self) -> usize {
        self.app.tokens.issued()
    }
}

impl App {
    fn error(&self, status: u16, message: &str) -> Response {
        self.core.flavor().error_body(status, message, 0)
    }
}

fn envelope(status: StatusCode, resources: Vec<Value>) -> Response {
    let body = json!({
        "meta": falcon_meta(0),
        "resources": resources,
        "errors": [],
    });
    (status, axum::Json(body)).into_response()
}

async fn issue_token(
    State(app): State<Arc<App>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("client_id") != app.client_id || field("client_secret") != app.client_secret {
        return app.error(
            403,
            "Failed to issue access token - Client authentication failed (e.g., unknown \
             client, no client authentication included, or unsupported authentication method)",
        );
    }
    let (token, expires_in) = app.tokens.issue();
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": expires_in,
        })),
    )
        .into_response()
}

async fn authenticate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let valid = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|token| app.tokens.is_valid(token, Instant::now()));
    if !valid {
        return app.error(401, "access denied, invalid bearer token");
    }
    next.run(request).await
}

async fn device_action(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if app.read_only.load(Ordering::SeqCst) {
        return app.error(403, "access denied, authorization failed");
    }
    let pending = match query.get("action_name").map(String::as_str) {
        Some("contain") => "containment_pending",
        Some("lift_containment") => "lift_containment_pending",
        Some(other) => {
            return app.error(400, &format!("invalid action_name: {other}"));
        }
        None => return app.error(400, "action_name is required"),
    };
    let ids: Option<Vec<String>> = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|value| serde_json::from_value(value.get("ids")?.clone()).ok());
    let Some(ids) = ids.filter(|ids| !ids.is_empty()) else {
        return app.error(400, "ids is required: expected a list of device ids");
    };
    if ids.len() > MAX_IDS {
        return app.error(400, &format!("too many ids: at most {MAX_IDS} are allowed"));
    }
    let mut devices = lock(&app.devices);
    if let Some(unknown) = ids.iter().find(|id| !devices.contains_key(*id)) {
        // NOTE: the message is this server's own, because Falcon's text for an unknown device id is
        // not documented.
        return app.error(404, &format!("device {unknown} not found"));
    }
    let mut resources = Vec::new();
    for id in &ids {
        if let Some(device) = devices.get_mut(id) {
            let settled = if pending == "containment_pending" {
                "contained"
            } else {
                "normal"
            };
            if device.status != settled {
                device.status = pending.to_owned();
            }
            resources.push(json!({ "id": id, "path": "" }));
        }
    }
    envelope(StatusCode::ACCEPTED, resources)
}

async fn read_devices(
    State(app): State<Arc<App>>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let ids: Vec<&str> = query
        .iter()
        .filter(|(key, _)| key == "ids")
        .map(|(_, value)| value.as_str())
        .collect();
    if ids.is_empty() {
        return app.error(400, "ids is required");
    }
    let mut devices = lock(&app.devices);
    let mut resources = Vec::new();
    for id in ids {
        if let Some(device) = devices.get_mut(id) {
            resources.push(json!({
                "device_id": device.device_id,
                "hostname": device.hostname,
                "status": device.status,
                "platform_name": "Windows",
            }));
            // The sensor acknowledges a pending request by the next read.
            match device.status.as_str() {
                "containment_pending" => device.status = "contained".to_owned(),
                "lift_containment_pending" => device.status = "normal".to_owned(),
                _ => {}
            }
        }
    }
    if resources.is_empty() {
        return app.error(404, "no device found for the given ids");
    }
    envelope(StatusCode::OK, resources)
}

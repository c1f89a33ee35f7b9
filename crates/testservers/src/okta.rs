//! An Okta Management API test server: users, their sessions, grants and factors, behind an
//! `SSWS` API token.
//!
//! Endpoints: `GET /api/v1/users/{id}`, `DELETE /api/v1/users/{id}/sessions`,
//! `POST /api/v1/users/{id}/lifecycle/{suspend|unsuspend|reset_factors}`,
//! `GET|DELETE /api/v1/users/{id}/clients/{clientId}/grants` and
//! `GET /api/v1/users/{id}/factors`. Status codes follow Okta's: 200 with `{}` for lifecycle
//! operations, 204 for deletions, 401 `E0000011` for a bad token, 404 `E0000007` for an
//! unknown user, 400 `E0000001` for a lifecycle operation the user's status does not allow.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::core::{Core, Flavor, Server, lock, random_loopback_port};

/// An Okta user and what hangs off it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OktaUser {
    pub id: String,
    pub login: String,
    /// `ACTIVE`, `SUSPENDED`, `DEPROVISIONED` and the other Okta user statuses.
    pub status: String,
    /// Open sessions.
    pub sessions: u32,
    /// OAuth access and refresh tokens issued to the user.
    pub oauth_tokens: u32,
    /// Enrolled factors: factor id and factor type.
    pub factors: Vec<(String, String)>,
    /// Grants per OAuth client id: the grant ids.
    pub grants: BTreeMap<String, Vec<String>>,
}

impl OktaUser {
    /// Creates an active user with no session, token, factor or grant.
    pub fn active(id: &str, login: &str) -> Self {
        Self {
            id: id.to_owned(),
            login: login.to_owned(),
            status: "ACTIVE".to_owned(),
            sessions: 0,
            oauth_tokens: 0,
            factors: Vec::new(),
            grants: BTreeMap::new(),
        }
    }

    pub fn with_sessions(mut self, sessions: u32, oauth_tokens: u32) -> Self {
        self.sessions = sessions;
        self.oauth_tokens = oauth_tokens;
        self
    }

    pub fn with_factor(mut self, id: &str, factor_type: &str) -> Self {
        self.factors.push((id.to_owned(), factor_type.to_owned()));
        self
    }

    pub fn with_grant(mut self, client_id: &str, grant_id: &str) -> Self {
        self.grants
            .entry(client_id.to_owned())
            .or_default()
            .push(grant_id.to_owned());
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "status": self.status,
            "created": "2024-03-01T09:00:00.000Z",
            "activated": "2024-03-01T09:00:00.000Z",
            "statusChanged": "2024-03-01T09:00:00.000Z",
            "lastLogin": "2025-01-06T08:15:00.000Z",
            "profile": { "login": self.login, "email": self.login },
            "_links": {},
        })
    }
}

struct App {
    core: Arc<Core>,
    token: String,
    users: Mutex<HashMap<String, OktaUser>>,
}

/// A running Okta test server.
pub struct OktaServer {
    server: Server,
    app: Arc<App>,
}

impl Deref for OktaServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl OktaServer {
    /// Starts a server on a random loopback port that accepts the API token `token`.
    pub async fn start(token: &str) -> std::io::Result<Self> {
        Self::start_on(random_loopback_port(), token).await
    }

    /// Starts a server on the loopback address `address` that accepts the API token `token`.
    pub async fn start_on(address: SocketAddr, token: &str) -> std::io::Result<Self> {
        let core = Core::new(Flavor::Okta);
        let app = Arc::new(App {
            core: core.clone(),
            token: token.to_owned(),
            users: Mutex::new(HashMap::new()),
        });
        let router = Router::new()
            .route("/api/v1/users/{id}", get(read_user))
            .route("/api/v1/users/{id}/sessions", delete(clear_sessions))
            .route("/api/v1/users/{id}/lifecycle/{operation}", post(lifecycle))
            .route(
                "/api/v1/users/{id}/clients/{client_id}/grants",
                get(list_grants).delete(revoke_grants),
            )
            .route("/api/v1/users/{id}/factors", get(list_factors))
            .layer(middleware::from_fn_with_state(app.clone(), authenticate))
            .with_state(app.clone());
        let server = Server::start(core, router, address).await?;
        Ok(Self { server, app })
    }

    pub fn add_user(&self, user: OktaUser) {
        lock(&self.app.users).insert(user.id.clone(), user);
    }

    /// Returns the user `id` as the server stores it now.
    pub fn user(&self, id: &str) -> Option<OktaUser> {
        lock(&self.app.users).get(id).cloned()
    }
}

impl App {
    fn error(&self, status: u16, message: &str) -> Response {
        self.core.flavor().error_body(status, message, 0)
    }

    fn not_found(&self, id: &str) -> Response {
        self.error(404, &format!("Not found: Resource not found: {id} (User)"))
    }
}

/// Accepts only `Authorization: SSWS <token>`.
async fn authenticate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let expected = format!("SSWS {}", app.token);
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if presented != Some(expected.as_str()) {
        return app.error(401, "Invalid token provided");
    }
    next.run(request).await
}

async fn read_user(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match lock(&app.users).get(&id) {
        Some(user) => axum::Json(user.to_json()).into_response(),
        None => app.not_found(&id),
    }
}

async fn clear_sessions(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut users = lock(&app.users);
    let Some(user) = users.get_mut(&id) else {
        return app.not_found(&id);
    };
    user.sessions = 0;
    if query.get("oauthTokens").map(String::as_str) == Some("true") {
        user.oauth_tokens = 0;
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn lifecycle(
    State(app): State<Arc<App>>,
    Path((id, operation)): Path<(String, String)>,
) -> Response {
    let mut users = lock(&app.users);
    let Some(user) = users.get_mut(&id) else {
        return app.not_found(&id);
    };
    match operation.as_str() {
        "suspend" if user.status == "ACTIVE" => user.status = "SUSPENDED".to_owned(),
        "suspend" => {
            return app.error(
                400,
                "Api validation failed: Cannot suspend a user that is not active",
            );
        }
        "unsuspend" if user.status == "SUSPENDED" => user.status = "ACTIVE".to_owned(),
        "unsuspend" => {
            return app.error(
                400,
                "Api validation failed: Cannot unsuspend a user that is not suspended",
            );
        }
        "reset_factors" => user.factors.clear(),
        _ => return app.error(404, "Not found: Resource not found: lifecycle operation"),
    }
    axum::Json(json!({})).into_response()
}

async fn list_grants(
    State(app): State<Arc<App>>,
    Path((id, client_id)): Path<(String, String)>,
) -> Response {
    let users = lock(&app.users);
    let Some(user) = users.get(&id) else {
        return app.not_found(&id);
    };
    let grants: Vec<Value> = user
        .grants
        .get(&client_id)
        .into_iter()
        .flatten()
        .map(|grant| {
            json!({
                "id": grant,
                "status": "ACTIVE",
                "clientId": client_id,
                "userId": id,
                "issuer": "https://example.okta.com",
                "scopeId": "okta.users.read.self",
                "source": "END_USER",
            })
        })
        .collect();
    axum::Json(Value::Array(grants)).into_response()
}

async fn revoke_grants(
    State(app): State<Arc<App>>,
    Path((id, client_id)): Path<(String, String)>,
) -> Response {
    let mut users = lock(&app.users);
    let Some(user) = users.get_mut(&id) else {
        return app.not_found(&id);
    };
    user.grants.remove(&client_id);
    StatusCode::NO_CONTENT.into_response()
}

async fn list_factors(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let users = lock(&app.users);
    let Some(user) = users.get(&id) else {
        return app.not_found(&id);
    };
    let factors: Vec<Value> = user
        .factors
        .iter()
        .map(|(factor_id, factor_type)| {
            json!({
                "id": factor_id,
                "factorType": factor_type,
                "provider": "OKTA",
                "status": "ACTIVE",
            })
        })
        .collect();
    axum::Json(Value::Array(factors)).into_response()
}

//! A Microsoft Graph test server, with the Microsoft identity platform token endpoint.
//!
//! Token endpoint: `POST /{tenant}/oauth2/v2.0/token` with the client-credentials form. It
//! returns 200 with a bearer token and `expires_in`, 401 `invalid_client` for a wrong secret,
//! 400 for an unknown tenant or client, a wrong grant type or scope. Graph endpoints, behind
//! the bearer token (401 `InvalidAuthenticationToken` otherwise):
//! `GET|PATCH /v1.0/users/{id}`, `POST /v1.0/users/{id}/revokeSignInSessions`,
//! `GET|PATCH /v1.0/servicePrincipals/{id}`, `GET /v1.0/applications/{id}`, and
//! `POST /v1.0/{servicePrincipals|applications}/{id}/removePassword`. `GET` honours `$select`;
//! without it a user is returned without `accountEnabled`, as Graph does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::core::{Core, Flavor, Server, lock, random_loopback_port};
use crate::token::TokenIssuer;

/// The scope a client-credentials request for Graph must ask for.
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// An Entra ID user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphUser {
    pub id: String,
    pub user_principal_name: String,
    pub account_enabled: bool,
    /// Tokens issued before this time are invalid. `revokeSignInSessions` sets it to now.
    pub sign_in_sessions_valid_from: DateTime<Utc>,
}

impl GraphUser {
    pub fn enabled(id: &str, user_principal_name: &str) -> Self {
        Self {
            id: id.to_owned(),
            user_principal_name: user_principal_name.to_owned(),
            account_enabled: true,
            sign_in_sessions_valid_from: DateTime::from_timestamp(1_704_067_200, 0)
                .unwrap_or_default(),
        }
    }

    fn to_json(&self) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("userPrincipalName".into(), json!(self.user_principal_name));
        object.insert("displayName".into(), json!(self.user_principal_name));
        object.insert("accountEnabled".into(), json!(self.account_enabled));
        object.insert(
            "signInSessionsValidFromDateTime".into(),
            json!(
                self.sign_in_sessions_valid_from
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        );
        object
    }
}

/// A password credential of an application or service principal. The secret text is never
/// returned by Graph after creation, so it is not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordCredential {
    pub key_id: String,
    pub display_name: String,
    /// The first three characters of the secret.
    pub hint: String,
}

/// An application or a service principal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphApp {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// Only service principals have `accountEnabled`.
    pub account_enabled: bool,
    pub password_credentials: Vec<PasswordCredential>,
}

impl GraphApp {
    pub fn new(id: &str, app_id: &str, display_name: &str) -> Self {
        Self {
            id: id.to_owned(),
            app_id: app_id.to_owned(),
            display_name: display_name.to_owned(),
            account_enabled: true,
            password_credentials: Vec::new(),
        }
    }

    pub fn with_password(mut self, key_id: &str, display_name: &str) -> Self {
        self.password_credentials.push(PasswordCredential {
            key_id: key_id.to_owned(),
            display_name: display_name.to_owned(),
            hint: "Xy7".to_owned(),
        });
        self
    }

    fn to_json(&self, service_principal: bool) -> Map<String, Value> {
        let credentials: Vec<Value> = self
            .password_credentials
            .iter()
            .map(|credential| {
                json!({
                    "keyId": credential.key_id,
                    "displayName": credential.display_name,
                    "hint": credential.hint,
                    "secretText": null,
                    "startDateTime": "2025-01-01T00:00:00Z",
                    "endDateTime": "2026-01-01T00:00:00Z",
                    "customKeyIdentifier": null,
                })
            })
            .collect();
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("appId".into(), json!(self.app_id));
        object.insert("displayName".into(), json!(self.display_name));
        if service_principal {
            object.insert("accountEnabled".into(), json!(self.account_enabled));
        }
        object.insert("passwordCredentials".into(), Value::Array(credentials));
        object
    }
}

/// The Graph collection of an object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Collection {
    Users,
    ServicePrincipals,
    Applications,
}

impl Collection {
    fn name(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::ServicePrincipals => "servicePrincipals",
            Self::Applications => "applications",
        }
    }

    /// The properties `GET` returns without `$select`.
    fn default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Users => &["id", "userPrincipalName", "displayName"],
            Self::ServicePrincipals => &[
                "id",
                "appId",
                "displayName",
                "accountEnabled",
                "passwordCredentials",
            ],
            Self::Applications => &["id", "appId", "displayName", "passwordCredentials"],
        }
    }
}

struct App {
    core: Arc<Core>,
    tenant_id: String,
    client_id: String,
    client_secret: String,
    tokens: TokenIssuer,
    users: Mutex<HashMap<String, GraphUser>>,
    service_principals: Mutex<HashMap<String, GraphApp>>,
    applications: Mutex<HashMap<String, GraphApp>>,
}

/// A running Microsoft Graph test server.
pub struct GraphServer {
    server: Server,
    app: Arc<App>,
}

impl Deref for GraphServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl GraphServer {
    /// Starts a server on a random loopback port that issues tokens to `client_id` with
    /// `client_secret` in `tenant_id`.
    pub async fn start(
        tenant_id: &str,
        client_id: &str,
        client_secret: &str,
    ) -> std::io::Result<Self> {
        Self::start_on(random_loopback_port(), tenant_id, client_id, client_secret).await
    }

    /// Starts a server on the loopback address `address` that issues tokens to `client_id`
    /// with `client_secret` in `tenant_id`.
    pub async fn start_on(
        address: SocketAddr,
        tenant_id: &str,
        client_id: &str,
        client_secret: &str,
    ) -> std::io::Result<Self> {
        let core = Core::new(Flavor::Graph);
        let app = Arc::new(App {
            core: core.clone(),
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            tokens: TokenIssuer::new("eyJ0eXAiOiJKV1QiLCJncmFwaCI6InRlc3QifQ", 3599),
            users: Mutex::new(HashMap::new()),
            service_principals: Mutex::new(HashMap::new()),
            applications: Mutex::new(HashMap::new()),
        });
        let api = Router::new()
            .route("/v1.0/users/{id}", get(read_user).patch(update_user))
            .route(
                "/v1.0/users/{id}/revokeSignInSessions",
                post(revoke_sign_in_sessions),
            )
            .route(
                "/v1.0/servicePrincipals/{id}",
                get(read_service_principal).patch(update_service_principal),
            )
            .route(
                "/v1.0/servicePrincipals/{id}/removePassword",
                post(remove_service_principal_password),
            )
            .route("/v1.0/applications/{id}", get(read_application))
            .route(
                "/v1.0/applications/{id}/removePassword",
                post(remove_application_password),
            )
            .layer(middleware::from_fn_with_state(app.clone(), authenticate));
        let router = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(issue_token))
            .merge(api)
            .with_state(app.clone());
        let server = Server::start(core, router, address).await?;
        Ok(Self { server, app })
    }

    pub fn add_user(&self, user: GraphUser) {
        lock(&self.app.users).insert(user.id.clone(), user);
    }

    pub fn add_service_principal(&self, service_principal: GraphApp) {
        lock(&self.app.service_principals).insert(service_principal.id.clone(), service_principal);
    }

    pub fn add_application(&self, application: GraphApp) {
        lock(&self.app.applications).insert(application.id.clone(), application);
    }

    pub fn user(&self, id: &str) -> Option<GraphUser> {
        lock(&self.app.users).get(id).cloned()
    }

    pub fn service_principal(&self, id: &str) -> Option<GraphApp> {
        lock(&self.app.service_principals).get(id).cloned()
    }

    pub fn application(&self, id: &str) -> Option<GraphApp> {
        lock(&self.app.applications).get(id).cloned()
    }

    /// Sets the `expires_in` of the tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.app.tokens.set_lifetime(lifetime);
    }

    /// Makes every token issued so far invalid, as a key rollover or revocation would.
    pub fn revoke_tokens(&self) {
        self.app.tokens.revoke_all();
    }

    /// Returns the number of tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.app.tokens.issued()
    }
}

impl App {
    fn error(&self, status: u16, message: &str) -> Response {
        self.core.flavor().error_body(status, message, 0)
    }

    fn not_found(&self, id: &str) -> Response {
        self.error(
            404,
            &format!(
                "Resource '{id}' does not exist or one of its queried reference-property \
                 objects are not present."
            ),
        )
    }

    fn objects(&self, collection: Collection) -> &Mutex<HashMap<String, GraphApp>> {
        match collection {
            Collection::ServicePrincipals => &self.service_principals,
            _ => &self.applications,
        }
    }
}

/// Builds an error of the token endpoint, in its OAuth2 form.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": description,
        "error_codes": [],
        "timestamp": Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
    });
    (status, axum::Json(body)).into_response()
}

async fn issue_token(
    State(app): State<Arc<App>>,
    Path(tenant): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if tenant != app.tenant_id {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("AADSTS90002: Tenant '{tenant}' not found."),
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
        );
    }
    if field("client_id") != app.client_id {
        return token_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            &format!(
                "AADSTS700016: Application with identifier '{}' was not found in the directory.",
                field("client_id")
            ),
        );
    }
    if field("client_secret") != app.client_secret {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the \
             request is the client secret value, not the client secret ID.",
        );
    }
    if field("scope") != GRAPH_SCOPE {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "AADSTS1002012: The provided value for scope is not valid. Client credential flows \
             must have a scope value with /.default suffixed to the resource identifier.",
        );
    }
    let (token, expires_in) = app.tokens.issue();
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token,
    }))
    .into_response()
}

/// Accepts only a bearer token the server issued and that has not expired.
async fn authenticate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        None => app.error(401, "Access token is empty."),
        Some(token) if !app.tokens.is_valid(token, Instant::now()) => {
            app.error(401, "Access token has expired or is not yet valid.")
        }
        Some(_) => next.run(request).await,
    }
}

/// Keeps the properties `$select` names, or the collection's defaults.
fn select(
    collection: Collection,
    mut object: Map<String, Value>,
    query: &HashMap<String, String>,
) -> Value {
    let selected: Vec<&str> = match query.get("$select") {
        Some(list) => list.split(',').map(str::trim).collect(),
        None => collection.default_properties().to_vec(),
    };
    object.retain(|key, _| selected.contains(&key.as_str()));
    object.insert(
        "@odata.context".into(),
        json!(format!(
            "https://graph.microsoft.com/v1.0/$metadata#{}/$entity",
            collection.name()
        )),
    );
    Value::Object(object)
}

/// Reads a PATCH body that may only set `accountEnabled`. The error is Graph's message.
fn account_enabled_patch(body: &Bytes) -> Result<bool, String> {
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(body) else {
        return Err("Unable to read JSON request payload.".to_owned());
    };
    let mut enabled = None;
    for (key, value) in patch {
        match (key.as_str(), value) {
            ("accountEnabled", Value::Bool(flag)) => enabled = Some(flag),
            ("accountEnabled", _) => {
                return Err("Invalid value specified for property 'accountEnabled'.".to_owned());
            }
            (other, _) => return Err(format!("Invalid property '{other}'.")),
        }
    }
    enabled.ok_or_else(|| "Empty Payload. JSON content expected.".to_owned())
}

async fn read_user(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match lock(&app.users).get(&id) {
        Some(user) => axum::Json(select(Collection::Users, user.to_json(), &query)).into_response(),
        None => app.not_found(&id),
    }
}

async fn update_user(State(app): State<Arc<App>>, Path(id): Path<String>, body: Bytes) -> Response {
    let enabled = match account_enabled_patch(&body) {
        Ok(enabled) => enabled,
        Err(message) => return app.error(400, &message),
    };
    match lock(&app.users).get_mut(&id) {
        Some(user) => {
            user.account_enabled = enabled;
            StatusCode::NO_CONTENT.into_response()
        }
        None => app.not_found(&id),
    }
}

async fn revoke_sign_in_sessions(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let now = app.core.now();
    match lock(&app.users).get_mut(&id) {
        Some(user) => {
            user.sign_in_sessions_valid_from = now;
            axum::Json(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean",
                "value": true,
            }))
            .into_response()
        }
        None => app.not_found(&id),
    }
}

fn read_object(
    app: &App,
    collection: Collection,
    id: &str,
    query: &HashMap<String, String>,
) -> Response {
    let service_principal = collection == Collection::ServicePrincipals;
    match lock(app.objects(collection)).get(id) {
        Some(object) => {
            axum::Json(select(collection, object.to_json(service_principal), query)).into_response()
        }
        None => app.not_found(id),
    }
}

async fn read_service_principal(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    read_object(&app, Collection::ServicePrincipals, &id, &query)
}

async fn read_application(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    read_object(&app, Collection::Applications, &id, &query)
}

async fn update_service_principal(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let enabled = match account_enabled_patch(&body) {
        Ok(enabled) => enabled,
        Err(message) => return app.error(400, &message),
    };
    match lock(&app.service_principals).get_mut(&id) {
        Some(object) => {
            object.account_enabled = enabled;
            StatusCode::NO_CONTENT.into_response()
        }
        None => app.not_found(&id),
    }
}

fn remove_password(app: &App, collection: Collection, id: &str, body: &Bytes) -> Response {
    let key_id = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| value.get("keyId")?.as_str().map(str::to_owned));
    let Some(key_id) = key_id else {
        return app.error(400, "Property 'keyId' is required.");
    };
    let mut objects = lock(app.objects(collection));
    let Some(object) = objects.get_mut(id) else {
        return app.not_found(id);
    };
    let before = object.password_credentials.len();
    object
        .password_credentials
        .retain(|credential| credential.key_id != key_id);
    if object.password_credentials.len() == before {
        // NOTE: the message is this server's own, because Graph's text for an unknown key is not
        // documented.
        return app.error(
            400,
            &format!("No password credential found with keyId '{key_id}'."),
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn remove_service_principal_password(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    remove_password(&app, Collection::ServicePrincipals, &id, &body)
}

async fn remove_application_password(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    remove_password(&app, Collection::Applications, &id, &body)
}

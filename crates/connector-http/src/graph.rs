//! Microsoft Graph, for Entra ID, with an application's client credentials.
//!
//! The token comes from the Microsoft identity platform (`POST
//! {authority}/{tenant}/oauth2/v2.0/token`, `grant_type=client_credentials`) and is cached
//! until shortly before its `expires_in`. The application needs the Graph application
//! permissions `User.ReadWrite.All` (revoking sessions, disabling users) and
//! `Application.ReadWrite.All` (password credentials, service principals).

use chrono::{DateTime, Utc};
use reqwest::Method;
use riposte_action::{
    Action, ActionError, ActionRequest, ApiCall, CallLog, Connector, Execution, GraphObject,
    System, Verification,
};
use riposte_model::Sensitive;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{ApiClient, Call, require_id, segment};
use crate::dialect::Dialect;
use crate::execution::with_status;
use crate::oauth::{OAuthApi, TokenRequest};
use crate::settings::{Environment, HttpSettings, SecretSetting, base_url, deserialize_secret};

const SYSTEM: System = System::Entra;

/// The execution key of the time the sessions were revoked, in RFC 3339.
const REQUESTED_AT: &str = "requested_at";

/// How far before the revocation request `signInSessionsValidFromDateTime` may lie and still
/// confirm it, in seconds: the allowance for a skew between the local clock and Microsoft's.
const CLOCK_SKEW_SECS: i64 = 300;

/// Settings of the Microsoft Graph connector.
///
/// ```toml
/// tenant_id = "8f2b6c1e-4a5d-4e7f-9a0b-1c2d3e4f5a6b"
/// client_id = "3c9d7e1f-2a4b-4c6d-8e0f-1a2b3c4d5e6f"
/// client_secret_env = "GRAPH_CLIENT_SECRET"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphSettings {
    /// The directory (tenant) id, or one of its verified domains.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
    /// The environment variable holding the client secret, `GRAPH_CLIENT_SECRET` when unset.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// The client secret itself. Prefer `client_secret_env`: a secret written here is
    /// readable by anyone who can read the file.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub client_secret: Option<Sensitive>,
    /// The token issuer; `https://login.microsoftonline.com` for the global cloud.
    #[serde(default = "default_authority")]
    pub authority: String,
    /// The Graph endpoint; `https://graph.microsoft.com` for the global cloud.
    #[serde(default = "default_graph_url")]
    pub graph_url: String,
    /// The token scope; `https://graph.microsoft.com/.default` for the global cloud.
    #[serde(default = "default_scope")]
    pub scope: String,
    #[serde(default)]
    pub http: HttpSettings,
}

fn default_authority() -> String {
    "https://login.microsoftonline.com".to_owned()
}

fn default_graph_url() -> String {
    "https://graph.microsoft.com".to_owned()
}

fn default_scope() -> String {
    "https://graph.microsoft.com/.default".to_owned()
}

/// Carries out the Microsoft Graph actions.
#[derive(Debug)]
pub struct GraphConnector {
    api: OAuthApi,
    base: String,
}

impl GraphConnector {
    pub fn new(
        settings: &GraphSettings,
        environment: &dyn Environment,
    ) -> Result<Self, ActionError> {
        let base = base_url(SYSTEM, "graph_url", &settings.graph_url)?;
        let authority = base_url(SYSTEM, "authority", &settings.authority)?;
        require_setting("tenant_id", &settings.tenant_id)?;
        require_setting("client_id", &settings.client_id)?;
        require_setting("scope", &settings.scope)?;
        let secret = SecretSetting {
            field: "client_secret",
            inline: settings.client_secret.as_ref(),
            env_field: "client_secret_env",
            env_name: settings.client_secret_env.as_deref(),
            default_env_name: "GRAPH_CLIENT_SECRET",
        }
        .resolve(SYSTEM, environment)?;
        let request = TokenRequest {
            base: authority,
            endpoint: format!("/{}/oauth2/v2.0/token", segment(&settings.tenant_id)),
            form: vec![
                ("client_id", Sensitive::new(settings.client_id.as_str())),
                ("scope", Sensitive::new(settings.scope.as_str())),
                ("client_secret", secret),
                ("grant_type", Sensitive::new("client_credentials")),
            ],
        };
        let api = ApiClient::new(SYSTEM, Dialect::Graph, &settings.http)?;
        let token_client = ApiClient::new(SYSTEM, Dialect::EntraToken, &settings.http)?;
        Ok(Self {
            api: OAuthApi::new(api, token_client, request),
            base,
        })
    }

    fn call(&self, method: Method, endpoint: String, summary: String) -> Call {
        Call::new(method, &self.base, endpoint, summary)
    }

    fn execute_call(&self, action: &Action) -> Result<Call, ActionError> {
        let kind = action.kind();
        match action {
            Action::GraphRevokeSignInSessions { user_id } => {
                require_id(SYSTEM, kind, "user_id", user_id)?;
                Ok(self.call(
                    Method::POST,
                    format!("/v1.0/users/{}/revokeSignInSessions", segment(user_id)),
                    format!("revoke the refresh tokens and session cookies of user `{user_id}`"),
                ))
            }
            Action::GraphDisableUser { user_id } => {
                require_id(SYSTEM, kind, "user_id", user_id)?;
                Ok(self.set_account_enabled(
                    "users",
                    user_id,
                    false,
                    format!("set `accountEnabled` to false on user `{user_id}`"),
                ))
            }
            Action::GraphRemovePassword { object, key_id } => {
                let (collection, id, noun) = object_parts(object);
                require_id(SYSTEM, kind, "id", id)?;
                require_id(SYSTEM, kind, "key_id", key_id)?;
                Ok(self
                    .call(
                        Method::POST,
                        format!("/v1.0/{collection}/{}/removePassword", segment(id)),
                        format!("remove password credential `{key_id}` from {noun} `{id}`"),
                    )
                    .json(json!({ "keyId": key_id })))
            }
            Action::GraphDisableServicePrincipal {
                service_principal_id: id,
            } => {
                require_id(SYSTEM, kind, "service_principal_id", id)?;
                Ok(self.set_account_enabled(
                    "servicePrincipals",
                    id,
                    false,
                    format!("set `accountEnabled` to false on service principal `{id}`"),
                ))
            }
            _ => Err(ActionError::Unsupported {
                system: SYSTEM,
                action: kind,
            }),
        }
    }

    fn set_account_enabled(
        &self,
        collection: &str,
        id: &str,
        enabled: bool,
        summary: String,
    ) -> Call {
        self.call(
            Method::PATCH,
            format!("/v1.0/{collection}/{}", segment(id)),
            summary,
        )
        .json(json!({ "accountEnabled": enabled }))
    }

    /// Reads the properties `select` of one object.
    async fn read(
        &self,
        collection: &str,
        id: &str,
        select: &str,
        summary: String,
        log: &mut CallLog,
    ) -> Result<Value, ActionError> {
        let call = self.call(
            Method::GET,
            format!("/v1.0/{collection}/{}?$select={select}", segment(id)),
            summary,
        );
        let response = self.api.send(&call, log).await?;
        response.json(SYSTEM, &call.api.endpoint)
    }

    async fn verify_disabled(
        &self,
        collection: &str,
        noun: &str,
        id: &str,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let object = self
            .read(
                collection,
                id,
                "id,accountEnabled",
                format!("read `accountEnabled` of {noun} `{id}`"),
                log,
            )
            .await?;
        Ok(
            match object.get("accountEnabled").and_then(Value::as_bool) {
                Some(false) => {
                    Verification::Confirmed(format!("{noun} `{id}` has `accountEnabled` false"))
                }
                Some(true) => {
                    Verification::NotConfirmed(format!("{noun} `{id}` has `accountEnabled` true"))
                }
                None => Verification::NotConfirmed(format!(
                    "{noun} `{id}` was read without `accountEnabled`"
                )),
            },
        )
    }
}

fn require_setting(field: &str, value: &str) -> Result<(), ActionError> {
    if value.trim().is_empty() {
        return Err(crate::settings::configuration(
            SYSTEM,
            format!("empty `{field}`: expected a value"),
        ));
    }
    Ok(())
}

/// Returns the Graph collection, the id and the noun of an object with password credentials.
fn object_parts(object: &GraphObject) -> (&'static str, &str, &'static str) {
    match object {
        GraphObject::ServicePrincipal(id) => ("servicePrincipals", id, "service principal"),
        GraphObject::Application(id) => ("applications", id, "application"),
    }
}

#[async_trait::async_trait]
impl Connector for GraphConnector {
    fn system(&self) -> System {
        SYSTEM
    }

    fn plan(&self, request: &ActionRequest) -> Result<Vec<ApiCall>, ActionError> {
        Ok(vec![self.execute_call(&request.action)?.api])
    }

    async fn execute(
        &self,
        request: &ActionRequest,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let call = self.execute_call(&request.action)?;
        let requested_at = Utc::now();
        let response = self.api.send(&call, log).await?;
        tracing::info!(
            connector = %SYSTEM,
            action = request.action.kind(),
            target = %request.action.target(),
            status = response.status,
            "action executed"
        );
        let mut execution = with_status(response.status);
        if matches!(request.action, Action::GraphRevokeSignInSessions { .. }) {
            execution.revert_data.insert(
                REQUESTED_AT.to_owned(),
                Value::from(requested_at.to_rfc3339()),
            );
        }
        Ok(execution)
    }

    async fn verify(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        match &request.action {
            Action::GraphRevokeSignInSessions { user_id } => {
                let user = self
                    .read(
                        "users",
                        user_id,
                        "id,signInSessionsValidFromDateTime",
                        format!("read `signInSessionsValidFromDateTime` of user `{user_id}`"),
                        log,
                    )
                    .await?;
                Ok(verify_revocation(user_id, &user, execution))
            }
            Action::GraphDisableUser { user_id } => {
                self.verify_disabled("users", "user", user_id, log).await
            }
            Action::GraphDisableServicePrincipal {
                service_principal_id,
            } => {
                self.verify_disabled(
                    "servicePrincipals",
                    "service principal",
                    service_principal_id,
                    log,
                )
                .await
            }
            Action::GraphRemovePassword { object, key_id } => {
                let (collection, id, noun) = object_parts(object);
                let read = self
                    .read(
                        collection,
                        id,
                        "id,passwordCredentials",
                        format!("read the password credentials of {noun} `{id}`"),
                        log,
                    )
                    .await?;
                let Some(credentials) = read.get("passwordCredentials").and_then(Value::as_array)
                else {
                    return Ok(Verification::NotConfirmed(format!(
                        "{noun} `{id}` was read without `passwordCredentials`"
                    )));
                };
                let present = credentials.iter().any(|credential| {
                    credential.get("keyId").and_then(Value::as_str) == Some(key_id.as_str())
                });
                Ok(if present {
                    Verification::NotConfirmed(format!(
                        "{noun} `{id}` still has password credential `{key_id}`"
                    ))
                } else {
                    Verification::Confirmed(format!(
                        "{noun} `{id}` has {} password credentials, none with key `{key_id}`",
                        credentials.len()
                    ))
                })
            }
            other => Err(ActionError::Unsupported {
                system: SYSTEM,
                action: other.kind(),
            }),
        }
    }

    async fn revert(
        &self,
        request: &ActionRequest,
        _execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        let kind = request.action.kind();
        let call = match &request.action {
            Action::GraphDisableUser { user_id } => self.set_account_enabled(
                "users",
                user_id,
                true,
                format!("set `accountEnabled` to true on user `{user_id}`"),
            ),
            Action::GraphDisableServicePrincipal {
                service_principal_id: id,
            } => self.set_account_enabled(
                "servicePrincipals",
                id,
                true,
                format!("set `accountEnabled` to true on service principal `{id}`"),
            ),
            Action::GraphRevokeSignInSessions { .. } => {
                return Err(ActionError::NotRevertible {
                    action: kind,
                    reason: "revoked refresh tokens and session cookies cannot be restored"
                        .to_owned(),
                });
            }
            Action::GraphRemovePassword { .. } => {
                return Err(ActionError::NotRevertible {
                    action: kind,
                    reason: "a removed password credential cannot be restored; add a new one"
                        .to_owned(),
                });
            }
            other => {
                return Err(ActionError::Unsupported {
                    system: SYSTEM,
                    action: other.kind(),
                });
            }
        };
        self.api.send(&call, log).await?;
        Ok(())
    }
}

/// Confirms a revocation when `signInSessionsValidFromDateTime` is no earlier than the
/// revocation request, less [`CLOCK_SKEW_SECS`].
fn verify_revocation(user_id: &str, user: &Value, execution: &Execution) -> Verification {
    let valid_from = user
        .get("signInSessionsValidFromDateTime")
        .and_then(Value::as_str)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc));
    let requested_at = execution
        .revert_data
        .get(REQUESTED_AT)
        .and_then(Value::as_str)
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.with_timezone(&Utc));
    let Some(valid_from) = valid_from else {
        return Verification::NotConfirmed(format!(
            "user `{user_id}` was read without a valid `signInSessionsValidFromDateTime`"
        ));
    };
    let Some(requested_at) = requested_at else {
        return Verification::NotConfirmed(format!(
            "no revocation time was recorded for user `{user_id}`; sessions are valid from {}",
            valid_from.to_rfc3339()
        ));
    };
    let detail = format!(
        "sessions of user `{user_id}` are valid from {}, revocation requested at {}",
        valid_from.to_rfc3339(),
        requested_at.to_rfc3339()
    );
    if valid_from >= requested_at - chrono::Duration::seconds(CLOCK_SKEW_SECS) {
        Verification::Confirmed(detail)
    } else {
        Verification::NotConfirmed(detail)
    }
}

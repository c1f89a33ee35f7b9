//! Okta, through the Management API with an API token (`Authorization: SSWS <token>`).
//!
//! Okta has no API that lists a user's sessions, so clearing them is verified by the status
//! of the clear call itself (204), kept in the execution record.

use reqwest::Method;
use riposte_action::{
    Action, ActionError, ActionRequest, ApiCall, CallLog, Connector, Execution, System,
    Verification,
};
use riposte_model::Sensitive;
use serde::Deserialize;
use serde_json::Value;

use crate::client::{ApiClient, Call, Response, require_id, segment};
use crate::dialect::Dialect;
use crate::execution::{recorded_status, with_status};
use crate::settings::{
    Environment, HttpSettings, SecretSetting, base_url, configuration, deserialize_secret,
};

const SYSTEM: System = System::Okta;

/// Settings of the Okta connector.
///
/// ```toml
/// org_url = "https://example.okta.com"
/// token_env = "OKTA_API_TOKEN"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OktaSettings {
    /// The Okta org, such as `https://example.okta.com`.
    pub org_url: String,
    /// The environment variable holding the API token, `OKTA_API_TOKEN` when unset.
    #[serde(default)]
    pub token_env: Option<String>,
    /// The API token itself. Prefer `token_env`: a token written here is readable by anyone
    /// who can read the file.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub token: Option<Sensitive>,
    #[serde(default)]
    pub http: HttpSettings,
}

/// Carries out the Okta actions.
#[derive(Debug)]
pub struct OktaConnector {
    api: ApiClient,
    base: String,
    /// The `Authorization` header value, `SSWS` and the token.
    authorization: Sensitive,
}

impl OktaConnector {
    pub fn new(
        settings: &OktaSettings,
        environment: &dyn Environment,
    ) -> Result<Self, ActionError> {
        let base = base_url(SYSTEM, "org_url", &settings.org_url)?;
        let token = SecretSetting {
            field: "token",
            inline: settings.token.as_ref(),
            env_field: "token_env",
            env_name: settings.token_env.as_deref(),
            default_env_name: "OKTA_API_TOKEN",
        }
        .resolve(SYSTEM, environment)?;
        if token.expose().chars().any(char::is_control) {
            return Err(configuration(
                SYSTEM,
                "invalid API token: it contains a control character",
            ));
        }
        Ok(Self {
            api: ApiClient::new(SYSTEM, Dialect::Okta, &settings.http)?,
            base,
            authorization: Sensitive::new(format!("SSWS {}", token.expose())),
        })
    }

    fn call(&self, method: Method, endpoint: String, summary: String) -> Call {
        Call::new(method, &self.base, endpoint, summary)
    }

    /// Returns the call that carries out `action`.
    fn execute_call(&self, action: &Action) -> Result<Call, ActionError> {
        let kind = action.kind();
        match action {
            Action::OktaClearSessions { user_id } => {
                require_id(SYSTEM, kind, "user_id", user_id)?;
                Ok(self.call(
                    Method::DELETE,
                    format!(
                        "/api/v1/users/{}/sessions?oauthTokens=true",
                        segment(user_id)
                    ),
                    format!(
                        "end every Okta session of user `{user_id}` and revoke the OAuth tokens \
                         issued to them"
                    ),
                ))
            }
            Action::OktaSuspendUser { user_id } => {
                require_id(SYSTEM, kind, "user_id", user_id)?;
                Ok(self.call(
                    Method::POST,
                    format!("/api/v1/users/{}/lifecycle/suspend", segment(user_id)),
                    format!("suspend Okta user `{user_id}`"),
                ))
            }
            Action::OktaRevokeGrants { user_id, client_id } => {
                require_id(SYSTEM, kind, "user_id", user_id)?;
                require_id(SYSTEM, kind, "client_id", client_id)?;
                Ok(self.call(
                    Method::DELETE,
                    grants_endpoint(user_id, client_id),
                    format!("revoke the grants Okta user `{user_id}` gave to client `{client_id}`"),
                ))
            }
            Action::OktaResetFactors { user_id } => {
                require_id(SYSTEM, kind, "user_id", user_id)?;
                Ok(self.call(
                    Method::POST,
                    format!("/api/v1/users/{}/lifecycle/reset_factors", segment(user_id)),
                    format!("reset every enrolled factor of Okta user `{user_id}`"),
                ))
            }
            _ => Err(ActionError::Unsupported {
                system: SYSTEM,
                action: kind,
            }),
        }
    }

    async fn send(&self, call: &Call, log: &mut CallLog) -> Result<Response, ActionError> {
        self.api.send(call, Some(&self.authorization), log).await
    }

    /// Reads a JSON resource for verification.
    async fn read(
        &self,
        endpoint: String,
        summary: String,
        log: &mut CallLog,
    ) -> Result<Value, ActionError> {
        let call = self.call(Method::GET, endpoint, summary);
        let response = self.send(&call, log).await?;
        response.json(SYSTEM, &call.api.endpoint)
    }
}

fn grants_endpoint(user_id: &str, client_id: &str) -> String {
    format!(
        "/api/v1/users/{}/clients/{}/grants",
        segment(user_id),
        segment(client_id)
    )
}

fn list_length(json: &Value, endpoint: &str) -> Result<usize, ActionError> {
    json.as_array()
        .map(Vec::len)
        .ok_or_else(|| ActionError::Transport {
            system: SYSTEM,
            endpoint: endpoint.to_owned(),
            message: "invalid response: expected a JSON array".to_owned(),
        })
}

#[async_trait::async_trait]
impl Connector for OktaConnector {
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
        let response = self.send(&call, log).await?;
        tracing::info!(
            connector = %SYSTEM,
            action = request.action.kind(),
            target = %request.action.target(),
            status = response.status,
            "action executed"
        );
        Ok(with_status(response.status))
    }

    async fn verify(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        match &request.action {
            Action::OktaClearSessions { user_id } => Ok(match recorded_status(execution) {
                Some(status) => Verification::Confirmed(format!(
                    "Okta has no API to list sessions; clearing the sessions of `{user_id}` \
                     returned status {status}"
                )),
                None => Verification::NotConfirmed(format!(
                    "Okta has no API to list sessions, and no status was recorded for \
                     clearing the sessions of `{user_id}`"
                )),
            }),
            Action::OktaSuspendUser { user_id } => {
                let user = self
                    .read(
                        format!("/api/v1/users/{}", segment(user_id)),
                        format!("read Okta user `{user_id}` to check its status"),
                        log,
                    )
                    .await?;
                let status = user.get("status").and_then(Value::as_str).unwrap_or("");
                let detail = format!("Okta user `{user_id}` has status `{status}`");
                Ok(if status == "SUSPENDED" {
                    Verification::Confirmed(detail)
                } else {
                    Verification::NotConfirmed(detail)
                })
            }
            Action::OktaRevokeGrants { user_id, client_id } => {
                let endpoint = grants_endpoint(user_id, client_id);
                let grants = self
                    .read(
                        endpoint.clone(),
                        format!(
                            "list the grants Okta user `{user_id}` gave to client `{client_id}`"
                        ),
                        log,
                    )
                    .await?;
                let count = list_length(&grants, &endpoint)?;
                let detail = format!(
                    "Okta user `{user_id}` has {count} grants left for client `{client_id}`"
                );
                Ok(if count == 0 {
                    Verification::Confirmed(detail)
                } else {
                    Verification::NotConfirmed(detail)
                })
            }
            Action::OktaResetFactors { user_id } => {
                let endpoint = format!("/api/v1/users/{}/factors", segment(user_id));
                let factors = self
                    .read(
                        endpoint.clone(),
                        format!("list the enrolled factors of Okta user `{user_id}`"),
                        log,
                    )
                    .await?;
                let count = list_length(&factors, &endpoint)?;
                let detail = format!("Okta user `{user_id}` has {count} enrolled factors");
                Ok(if count == 0 {
                    Verification::Confirmed(detail)
                } else {
                    Verification::NotConfirmed(detail)
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
        let reason = match &request.action {
            Action::OktaSuspendUser { user_id } => {
                let call = self.call(
                    Method::POST,
                    format!("/api/v1/users/{}/lifecycle/unsuspend", segment(user_id)),
                    format!("unsuspend Okta user `{user_id}`"),
                );
                self.send(&call, log).await?;
                return Ok(());
            }
            Action::OktaClearSessions { .. } => {
                "ended sessions and revoked tokens cannot be restored"
            }
            Action::OktaRevokeGrants { .. } => "the user must consent to the client again",
            Action::OktaResetFactors { .. } => "the user must enroll their factors again",
            other => {
                return Err(ActionError::Unsupported {
                    system: SYSTEM,
                    action: other.kind(),
                });
            }
        };
        Err(ActionError::NotRevertible {
            action: kind,
            reason: reason.to_owned(),
        })
    }
}

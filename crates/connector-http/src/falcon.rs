//! CrowdStrike Falcon host containment, with an API client's OAuth2 credentials.
//!
//! The token comes from `POST /oauth2/token` (form `client_id`, `client_secret`) and is
//! cached until shortly before its `expires_in`. The API client needs the `Hosts` scope with
//! read and write.

use reqwest::Method;
use riposte_action::{
    Action, ActionError, ActionRequest, ApiCall, CallLog, Connector, Execution, System,
    Verification,
};
use riposte_model::Sensitive;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{ApiClient, Call, Response, require_id, segment};
use crate::dialect::{Dialect, falcon_errors};
use crate::execution::with_status;
use crate::oauth::{OAuthApi, TokenRequest};
use crate::settings::{Environment, HttpSettings, SecretSetting, base_url, deserialize_secret};

const SYSTEM: System = System::Falcon;

/// Settings of the CrowdStrike Falcon connector.
///
/// ```toml
/// base_url = "https://api.us-2.crowdstrike.com"
/// client_id = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
/// client_secret_env = "FALCON_CLIENT_SECRET"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FalconSettings {
    /// The API of the Falcon cloud the tenant lives in; `https://api.crowdstrike.com` (US-1)
    /// when unset.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The API client id.
    pub client_id: String,
    /// The environment variable holding the API client secret, `FALCON_CLIENT_SECRET` when
    /// unset.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// The API client secret itself. Prefer `client_secret_env`: a secret written here is
    /// readable by anyone who can read the file.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub client_secret: Option<Sensitive>,
    #[serde(default)]
    pub http: HttpSettings,
}

fn default_base_url() -> String {
    "https://api.crowdstrike.com".to_owned()
}

/// Carries out the Falcon containment actions.
#[derive(Debug)]
pub struct FalconConnector {
    api: OAuthApi,
    base: String,
}

/// The containment states a device reaches after `contain`, and after `lift_containment`.
const CONTAINED: [&str; 2] = ["contained", "containment_pending"];
const NOT_CONTAINED: [&str; 2] = ["normal", "lift_containment_pending"];

impl FalconConnector {
    pub fn new(
        settings: &FalconSettings,
        environment: &dyn Environment,
    ) -> Result<Self, ActionError> {
        let base = base_url(SYSTEM, "base_url", &settings.base_url)?;
        if settings.client_id.trim().is_empty() {
            return Err(crate::settings::configuration(
                SYSTEM,
                "empty `client_id`: expected the API client id",
            ));
        }
        let secret = SecretSetting {
            field: "client_secret",
            inline: settings.client_secret.as_ref(),
            env_field: "client_secret_env",
            env_name: settings.client_secret_env.as_deref(),
            default_env_name: "FALCON_CLIENT_SECRET",
        }
        .resolve(SYSTEM, environment)?;
        let request = TokenRequest {
            base: base.clone(),
            endpoint: "/oauth2/token".to_owned(),
            form: vec![
                ("client_id", Sensitive::new(settings.client_id.as_str())),
                ("client_secret", secret),
            ],
        };
        let api = ApiClient::new(SYSTEM, Dialect::Falcon, &settings.http)?;
        let token_client = ApiClient::new(SYSTEM, Dialect::Falcon, &settings.http)?;
        Ok(Self {
            api: OAuthApi::new(api, token_client, request),
            base,
        })
    }

    /// Returns the `devices-actions` call that runs `action_name` on one device.
    fn action_call(&self, action_name: &str, device_id: &str, summary: String) -> Call {
        Call::new(
            Method::POST,
            &self.base,
            format!("/devices/entities/devices-actions/v2?action_name={action_name}"),
            summary,
        )
        .json(json!({ "ids": [device_id] }))
    }

    fn execute_call(&self, action: &Action) -> Result<Call, ActionError> {
        let kind = action.kind();
        match action {
            Action::FalconContainHost { device_id } => {
                require_id(SYSTEM, kind, "device_id", device_id)?;
                Ok(self.contain(device_id))
            }
            Action::FalconLiftContainment { device_id } => {
                require_id(SYSTEM, kind, "device_id", device_id)?;
                Ok(self.lift(device_id))
            }
            _ => Err(ActionError::Unsupported {
                system: SYSTEM,
                action: kind,
            }),
        }
    }

    fn contain(&self, device_id: &str) -> Call {
        self.action_call(
            "contain",
            device_id,
            format!("network-contain Falcon host `{device_id}`"),
        )
    }

    fn lift(&self, device_id: &str) -> Call {
        self.action_call(
            "lift_containment",
            device_id,
            format!("lift the network containment of Falcon host `{device_id}`"),
        )
    }

    /// Makes a call and fails when the response lists errors despite its success status.
    async fn send(&self, call: &Call, log: &mut CallLog) -> Result<Response, ActionError> {
        let response = self.api.send(call, log).await?;
        let json = response.json(SYSTEM, &call.api.endpoint)?;
        if let Some(message) = falcon_errors(&json) {
            return Err(ActionError::Rejected {
                system: SYSTEM,
                endpoint: call.api.endpoint.clone(),
                status: response.status,
                message,
            });
        }
        Ok(response)
    }

    /// Reads a device's containment status.
    async fn containment_status(
        &self,
        device_id: &str,
        log: &mut CallLog,
    ) -> Result<Option<String>, ActionError> {
        let call = Call::new(
            Method::GET,
            &self.base,
            format!("/devices/entities/devices/v2?ids={}", segment(device_id)),
            format!("read the containment status of Falcon host `{device_id}`"),
        );
        let response = self.send(&call, log).await?;
        let json = response.json(SYSTEM, &call.api.endpoint)?;
        let status = json
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|device| device.get("device_id").and_then(Value::as_str) == Some(device_id))
            .and_then(|device| device.get("status"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(status)
    }
}

#[async_trait::async_trait]
impl Connector for FalconConnector {
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
        _execution: &Execution,
        log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        let (device_id, expected) = match &request.action {
            Action::FalconContainHost { device_id } => (device_id, CONTAINED),
            Action::FalconLiftContainment { device_id } => (device_id, NOT_CONTAINED),
            other => {
                return Err(ActionError::Unsupported {
                    system: SYSTEM,
                    action: other.kind(),
                });
            }
        };
        let status = self.containment_status(device_id, log).await?;
        Ok(match status {
            Some(status) if expected.contains(&status.as_str()) => {
                Verification::Confirmed(format!("Falcon host `{device_id}` has status `{status}`"))
            }
            Some(status) => Verification::NotConfirmed(format!(
                "Falcon host `{device_id}` has status `{status}`, expected `{}` or `{}`",
                expected[0], expected[1]
            )),
            None => Verification::NotConfirmed(format!("Falcon host `{device_id}` was not found")),
        })
    }

    async fn revert(
        &self,
        request: &ActionRequest,
        _execution: &Execution,
        log: &mut CallLog,
    ) -> Result<(), ActionError> {
        let call = match &request.action {
            Action::FalconContainHost { device_id } => self.lift(device_id),
            Action::FalconLiftContainment { device_id } => self.contain(device_id),
            other => {
                return Err(ActionError::Unsupported {
                    system: SYSTEM,
                    action: other.kind(),
                });
            }
        };
        self.send(&call, log).await?;
        Ok(())
    }
}

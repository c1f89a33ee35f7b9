//! A generic webhook for chat and ticketing, signed with HMAC-SHA256.
//!
//! The message is a JSON object `{incident_id, summary, idempotency_key, sent_at}`. The
//! header `X-Riposte-Signature` is `sha256=` and the lowercase hex HMAC-SHA256 of the exact
//! body bytes under the shared secret, so the receiver can check who sent it.
//! `X-Riposte-Idempotency-Key` repeats the idempotency key, so the receiver can drop a retried
//! delivery. A webhook has nothing to read back: verification relies on the 2xx status of the
//! delivery, kept in the execution record.
//!
//! The URL is treated as a secret, because chat webhooks carry their token in the path: the
//! call log names only its origin and fingerprint.

use hmac::{Hmac, Mac};
use reqwest::Method;
use reqwest::header::HeaderName;
use riposte_action::{
    Action, ActionError, ActionRequest, ApiCall, CallLog, Connector, Execution, System,
    Verification,
};
use riposte_model::Sensitive;
use serde::Deserialize;
use sha2::Sha256;

use crate::client::{ApiClient, Body, Call};
use crate::dialect::Dialect;
use crate::execution::{recorded_status, with_status};
use crate::settings::{
    Environment, HttpSettings, SecretSetting, configuration, deserialize_secret, secret_url,
};

const SYSTEM: System = System::Webhook;

/// The header that carries the signature of the body.
pub const SIGNATURE_HEADER: &str = "x-riposte-signature";
/// The header that carries the idempotency key of the action.
pub const IDEMPOTENCY_HEADER: &str = "x-riposte-idempotency-key";

/// Settings of the webhook connector.
///
/// ```toml
/// url_env = "RIPOSTE_WEBHOOK_URL"
/// secret_env = "RIPOSTE_WEBHOOK_SECRET"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// The environment variable holding the URL, `RIPOSTE_WEBHOOK_URL` when unset.
    #[serde(default)]
    pub url_env: Option<String>,
    /// The URL itself. Prefer `url_env` when the URL carries a token.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub url: Option<Sensitive>,
    /// The environment variable holding the signing secret, `RIPOSTE_WEBHOOK_SECRET` when
    /// unset.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The signing secret itself. Prefer `secret_env`: a secret written here is readable by
    /// anyone who can read the file.
    #[serde(default, deserialize_with = "deserialize_secret")]
    pub secret: Option<Sensitive>,
    #[serde(default)]
    pub http: HttpSettings,
}

/// Sends incidents to a webhook.
#[derive(Debug)]
pub struct WebhookConnector {
    api: ApiClient,
    url: Sensitive,
    /// The URL as the call log shows it: its origin and the fingerprint of the whole URL.
    endpoint: String,
    secret: Sensitive,
}

impl WebhookConnector {
    pub fn new(
        settings: &WebhookSettings,
        environment: &dyn Environment,
    ) -> Result<Self, ActionError> {
        let url = SecretSetting {
            field: "url",
            inline: settings.url.as_ref(),
            env_field: "url_env",
            env_name: settings.url_env.as_deref(),
            default_env_name: "RIPOSTE_WEBHOOK_URL",
        }
        .resolve(SYSTEM, environment)?;
        let parsed = secret_url(SYSTEM, "url", &url)?;
        let secret = SecretSetting {
            field: "secret",
            inline: settings.secret.as_ref(),
            env_field: "secret_env",
            env_name: settings.secret_env.as_deref(),
            default_env_name: "RIPOSTE_WEBHOOK_SECRET",
        }
        .resolve(SYSTEM, environment)?;
        if secret.expose().len() < 16 {
            return Err(configuration(
                SYSTEM,
                "signing secret too short: expected at least 16 bytes",
            ));
        }
        Ok(Self {
            api: ApiClient::new(SYSTEM, Dialect::Webhook, &settings.http)?,
            endpoint: format!("{} (url {})", parsed.origin().ascii_serialization(), url),
            url,
            secret,
        })
    }

    fn summary(request: &ActionRequest) -> String {
        format!(
            "send incident `{}` to the webhook, signed with HMAC-SHA256",
            request.incident_id
        )
    }

    /// Returns the signed delivery of `summary` for `request`.
    fn delivery(&self, request: &ActionRequest, summary: &str) -> Result<Call, ActionError> {
        let key = request.idempotency_key();
        let message = serde_json::json!({
            "incident_id": request.incident_id,
            "summary": summary,
            "idempotency_key": key,
            "sent_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let bytes = serde_json::to_vec(&message).map_err(|error| ActionError::Transport {
            system: SYSTEM,
            endpoint: self.endpoint.clone(),
            message: format!("failed to encode the message: {error}"),
        })?;
        let signature = Sensitive::new(format!("sha256={}", sign(&self.secret, &bytes)));
        let mut call = self.planned(request);
        call.body = Body::Raw {
            content_type: "application/json",
            bytes,
        };
        Ok(call
            .header(HeaderName::from_static(SIGNATURE_HEADER), signature)
            .header(
                HeaderName::from_static(IDEMPOTENCY_HEADER),
                Sensitive::new(key),
            ))
    }

    fn planned(&self, request: &ActionRequest) -> Call {
        let mut call = Call::new(Method::POST, "", String::new(), Self::summary(request));
        call.url = self.url.clone();
        call.api.endpoint = self.endpoint.clone();
        call
    }
}

/// Returns the lowercase hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &Sensitive, body: &[u8]) -> String {
    // HMAC takes a key of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    let mut hex = String::with_capacity(64);
    for byte in mac.finalize().into_bytes() {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[async_trait::async_trait]
impl Connector for WebhookConnector {
    fn system(&self) -> System {
        SYSTEM
    }

    fn plan(&self, request: &ActionRequest) -> Result<Vec<ApiCall>, ActionError> {
        match &request.action {
            Action::Notify { .. } => Ok(vec![self.planned(request).api]),
            other => Err(ActionError::Unsupported {
                system: SYSTEM,
                action: other.kind(),
            }),
        }
    }

    async fn execute(
        &self,
        request: &ActionRequest,
        log: &mut CallLog,
    ) -> Result<Execution, ActionError> {
        let Action::Notify { summary } = &request.action else {
            return Err(ActionError::Unsupported {
                system: SYSTEM,
                action: request.action.kind(),
            });
        };
        let call = self.delivery(request, summary)?;
        let response = self.api.send(&call, None, log).await?;
        tracing::info!(
            connector = %SYSTEM,
            incident.id = %request.incident_id,
            status = response.status,
            "notification sent"
        );
        Ok(with_status(response.status))
    }

    async fn verify(
        &self,
        request: &ActionRequest,
        execution: &Execution,
        _log: &mut CallLog,
    ) -> Result<Verification, ActionError> {
        if !matches!(request.action, Action::Notify { .. }) {
            return Err(ActionError::Unsupported {
                system: SYSTEM,
                action: request.action.kind(),
            });
        }
        Ok(match recorded_status(execution) {
            Some(status) => Verification::Confirmed(format!(
                "the webhook accepted the message with status {status}"
            )),
            None => Verification::NotConfirmed(
                "no success status was recorded for the delivery".to_owned(),
            ),
        })
    }

    async fn revert(
        &self,
        request: &ActionRequest,
        _execution: &Execution,
        _log: &mut CallLog,
    ) -> Result<(), ActionError> {
        match &request.action {
            Action::Notify { .. } => Err(ActionError::NotRevertible {
                action: request.action.kind(),
                reason: "a delivered message cannot be recalled".to_owned(),
            }),
            other => Err(ActionError::Unsupported {
                system: SYSTEM,
                action: other.kind(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let secret = Sensitive::new("Jefe");
        assert_eq!(
            sign(&secret, b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

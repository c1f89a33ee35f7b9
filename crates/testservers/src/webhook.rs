//! A webhook receiver that checks the HMAC-SHA256 signature of each delivery.
//!
//! It accepts `POST` on one path. The header `X-Riposte-Signature` must be `sha256=` and the
//! hex HMAC-SHA256 of the body under the shared secret (401 otherwise), and the body a JSON
//! object with `incident_id`, `summary`, `idempotency_key` and `sent_at` (400 otherwise). A
//! delivery whose `X-Riposte-Idempotency-Key` was seen before is acknowledged and dropped.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::core::{Core, Flavor, Server, lock, random_loopback_port};

/// One accepted delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub incident_id: String,
    pub summary: String,
    pub idempotency_key: String,
    pub sent_at: String,
}

struct App {
    secret: String,
    deliveries: Mutex<Vec<Delivery>>,
    duplicates: Mutex<u32>,
}

/// A running webhook receiver.
pub struct WebhookServer {
    server: Server,
    path: String,
    app: Arc<App>,
}

impl Deref for WebhookServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl WebhookServer {
    /// Starts a receiver on a random loopback port and `path` (starting with `/`) that checks
    /// signatures under `secret`.
    pub async fn start(path: &str, secret: &str) -> std::io::Result<Self> {
        Self::start_on(random_loopback_port(), path, secret).await
    }

    /// Starts a receiver on the loopback address `address` and `path` (starting with `/`)
    /// that checks signatures under `secret`.
    pub async fn start_on(address: SocketAddr, path: &str, secret: &str) -> std::io::Result<Self> {
        let core = Core::new(Flavor::Webhook);
        let app = Arc::new(App {
            secret: secret.to_owned(),
            deliveries: Mutex::new(Vec::new()),
            duplicates: Mutex::new(0),
        });
        let router = Router::new()
            .route(path, post(receive))
            .with_state(app.clone());
        let server = Server::start(core, router, address).await?;
        Ok(Self {
            server,
            path: path.to_owned(),
            app,
        })
    }

    /// Returns the full URL deliveries go to.
    pub fn url(&self) -> String {
        format!("{}{}", self.server.base_url(), self.path)
    }

    /// Returns the deliveries accepted so far, without duplicates.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.app.deliveries).clone()
    }

    /// Returns how many deliveries were dropped as repeats of an idempotency key.
    pub fn duplicates(&self) -> u32 {
        *lock(&self.app.duplicates)
    }
}

fn reject(status: StatusCode, message: &str) -> Response {
    Flavor::Webhook.error_body(status.as_u16(), message, 0)
}

/// Returns true when `header` is `sha256=` and the HMAC of `body` under `secret`.
fn signature_matches(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|start| u8::from_str_radix(text.get(start..start + 2)?, 16).ok())
        .collect()
}

async fn receive(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("x-riposte-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if !signature_matches(&app.secret, &body, signature) {
        return reject(StatusCode::UNAUTHORIZED, "invalid signature");
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return reject(StatusCode::BAD_REQUEST, "invalid JSON body");
    };
    let field = |name: &str| message.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(incident_id), Some(summary), Some(idempotency_key), Some(sent_at)) = (
        field("incident_id"),
        field("summary"),
        field("idempotency_key"),
        field("sent_at"),
    ) else {
        return reject(
            StatusCode::BAD_REQUEST,
            "missing field: expected incident_id, summary, idempotency_key and sent_at",
        );
    };
    let header_key = headers
        .get("x-riposte-idempotency-key")
        .and_then(|value| value.to_str().ok());
    if header_key != Some(idempotency_key.as_str()) {
        return reject(
            StatusCode::BAD_REQUEST,
            "X-Riposte-Idempotency-Key does not match idempotency_key",
        );
    }
    let mut deliveries = lock(&app.deliveries);
    if deliveries
        .iter()
        .any(|delivery| delivery.idempotency_key == idempotency_key)
    {
        *lock(&app.duplicates) += 1;
        return axum::Json(json!({ "ok": true, "duplicate": true })).into_response();
    }
    deliveries.push(Delivery {
        incident_id,
        summary,
        idempotency_key,
        sent_at,
    });
    axum::Json(json!({ "ok": true })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_check_accepts_only_the_right_mac() {
        // RFC 4231 test case 2.
        let good = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let body = b"what do ya want for nothing?";
        assert!(signature_matches("Jefe", body, good));
        assert!(!signature_matches("jefe", body, good));
        assert!(!signature_matches("Jefe", b"other body", good));
        assert!(!signature_matches(
            "Jefe",
            body,
            &good.replace("sha256=", "")
        ));
        assert!(!signature_matches("Jefe", body, "sha256=zz"));
        assert!(!signature_matches("Jefe", body, "sha256=abc"));
    }
}

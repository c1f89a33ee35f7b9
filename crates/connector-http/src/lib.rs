//! Containment connectors for HTTP provider APIs: Okta, Microsoft Graph, CrowdStrike Falcon
//! and a signed webhook.
//!
//! Each connector implements [`riposte_action::Connector`] and is built from a serde settings
//! struct that names its base URL, timeouts, retries, and the environment variables holding
//! its secrets. Every request, token requests included, is recorded in the
//! [`riposte_action::CallLog`] with its method, endpoint, status, duration and attempt number;
//! secrets are held in [`riposte_model::Sensitive`] and appear in no record, log line or
//! `Debug` output.
//!
//! Network errors, HTTP 429 and 5xx are retried under the connector's
//! [`riposte_action::RetryPolicy`], waiting as long as the provider's rate-limit header asks:
//! `X-Rate-Limit-Reset` for Okta and `X-RateLimit-RetryAfter` for Falcon (epoch seconds, read
//! against the response's `Date`), `Retry-After` for Graph and the webhook. Other 4xx
//! responses fail at once as [`riposte_action::ActionError::Rejected`] with the provider's
//! error message.

mod client;
mod dialect;
mod execution;
mod oauth;
mod settings;

pub mod falcon;
pub mod graph;
pub mod okta;
pub mod webhook;

pub use falcon::{FalconConnector, FalconSettings};
pub use graph::{GraphConnector, GraphSettings};
pub use okta::{OktaConnector, OktaSettings};
pub use settings::{Environment, HttpSettings, ProcessEnvironment};
pub use webhook::{WebhookConnector, WebhookSettings};

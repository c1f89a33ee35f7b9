//! Loopback HTTP servers that follow the Okta, Microsoft Graph, CrowdStrike Falcon and
//! webhook API contracts, for testing the connectors without reaching a provider.
//!
//! Each server binds `127.0.0.1` on a random port inside the test's Tokio runtime (`start`), or
//! a given loopback address (`start_on`), keeps its state in memory, and stops when its handle
//! is dropped. The `riposte-testservers` program runs all four for a drill. Every server records the requests
//! it receives ([`Server::requests`]) and takes injected faults: 429 with the provider's
//! rate-limit headers ([`Server::rate_limit_next`]), any status with the provider's error
//! body ([`Server::fail_next`]), or a delay ([`Server::delay_next`]). The server clock can be
//! skewed against the local one ([`Server::set_clock_offset`]) to test rate-limit resets read
//! against the `Date` header.

mod core;
mod token;

pub mod falcon;
pub mod graph;
pub mod okta;
pub mod webhook;

pub use core::{Fault, RecordedRequest, Server};
pub use falcon::{FalconDevice, FalconServer};
pub use graph::{GraphApp, GraphServer, GraphUser, PasswordCredential};
pub use okta::{OktaServer, OktaUser};
pub use webhook::{Delivery, WebhookServer};

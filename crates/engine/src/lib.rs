//! Runs the hunt pipeline: read, normalize, enrich, order, deduplicate, detect and correlate.

mod analysis;
pub mod config;
mod hunt;
mod merge;
pub mod order;
pub mod rejects;
mod state;
mod summary;

pub use config::{Config, ConfigError};
pub use hunt::{HuntError, HuntOptions, HuntReport, Progress, hunt};
pub use state::StateError;
pub use summary::Summary;

//! Per-identity behavioural baselines: what is normal for each person or workload, learned
//! on event time, bounded in size, and stored as compact bytes.
//!
//! A [`Baseline`] learns from events with [`Baseline::update`], answers novelty queries
//! (`has_country`, `has_asn`, ...), and scores sign-ins and workload API calls with
//! [`Baseline::assess_sign_in`] and [`Baseline::assess_workload_call`], listing every
//! feature that moved the score. [`Baseline::to_bytes`] and [`Baseline::from_bytes`] give
//! the form kept in the state store, and a [`BaselineCache`] keeps the baselines of active
//! identities in memory.

mod assess;
mod baseline;
mod cache;
pub mod codec;
mod features;
pub mod hash;
mod hours;
mod settings;
mod time;
mod user_agent;

pub use assess::{ApiFamily, Assessment, Contribution, api_family, service_prefix};
pub use baseline::{Baseline, Seen};
pub use cache::{BaselineCache, CacheStats, CachedBaseline, DirtyBaseline};
pub use codec::{DecodeError, FORMAT_VERSION};
pub use features::{EventFeatures, Feature, network_prefix};
pub use hours::MAX_HOUR_LEVEL;
pub use settings::{BaselineSettings, FeatureCaps, SettingsError, SignInWeights, WorkloadWeights};
pub use time::{HOURS_PER_WEEK, hour_of_week};
pub use user_agent::{UserAgent, parse_user_agent};

//! Per-identity behavioural baselines: what is normal for each person or workload, learned
//! on event time, bounded in size, and stored as compact bytes.
//!
//! A [`Baseline`] learns from events with [`Baseline::update`], provides novelty queries
//! (`has_country`, `has_asn`, ...), and scores sign-ins and workload API calls with
//! [`Baseline::assess_sign_in`] and [`Baseline::assess_workload_call`], listing every
//! feature that moved the score. [`Baseline::to_bytes`] and [`Baseline::from_bytes`] give
//! the form kept in the state store, and a [`BaselineCache`] keeps the baselines of active
//! identities in memory.
//!
//! # Hashed values
//!
//! A baseline stores no text: each value is a 32-bit key, the 32-bit FNV-1a hash of the
//! value (ASCII case folded for names, exact for device and credential ids). IPv4 prefixes
//! are stored exactly, and user-agent families keep 24 bits beside an 8-bit major version.
//! A value never seen before matches one of the `n` keys stored for its feature with a
//! probability of about `n / 2^32`, so about 1 in 270 million for 16 operations, and about
//! `n / 2^24` for user-agent families, 1 in 2.8 million for 6 agents. A collision makes a
//! new value look familiar: it can hide novelty but never invent it. The hash is part of
//! the byte format, so changing it needs a new [`FORMAT_VERSION`].

mod assess;
mod baseline;
mod cache;
pub mod codec;
mod features;
mod hash;
mod hours;
mod settings;
mod time;
mod user_agent;

pub use assess::{ApiFamily, Assessment, Contribution, api_family, service_prefix};
pub use baseline::Baseline;
pub use cache::{BaselineCache, CacheStats, CachedBaseline, DirtyBaseline};
pub use codec::{DecodeError, FORMAT_VERSION};
pub use features::{EventFeatures, Feature, network_prefix};
pub use hours::MAX_HOUR_LEVEL;
pub use settings::{BaselineSettings, FeatureCaps, SettingsError, SignInWeights, WorkloadWeights};
pub use time::{HOURS_PER_WEEK, hour_of_week};
pub use user_agent::{UserAgent, parse_user_agent};

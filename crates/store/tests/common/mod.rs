//! Builders shared by the integration tests.

#![allow(dead_code, reason = "each test file uses a different part")]
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

use chrono::{DateTime, TimeZone, Utc};
use riposte_model::{IdentityKey, IdentityKind, Provider};
use riposte_store::{Baseline, IdentityUpsert};

/// Returns 2025-03-01T00:00:00Z plus `seconds`.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_740_787_200 + seconds, 0)
        .single()
        .unwrap()
}

pub fn key(provider: Provider, id: &str) -> IdentityKey {
    IdentityKey {
        provider,
        id: id.into(),
    }
}

/// Builds the upsert of one event of a human seen at `seconds`.
pub fn upsert(id: i64, key: IdentityKey, seconds: i64) -> IdentityUpsert {
    IdentityUpsert {
        id,
        key,
        kind: IdentityKind::Human,
        kind_override: None,
        display_name: None,
        email: None,
        first_seen: at(seconds),
        last_seen: at(seconds),
        new_events: 1,
        new_authentications: 0,
    }
}

pub fn baseline(identity_id: i64, fill: u8, len: usize, seconds: i64) -> Baseline {
    Baseline {
        identity_id,
        format_version: 1,
        data: vec![fill; len],
        updated_at: at(seconds),
    }
}

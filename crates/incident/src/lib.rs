//! Groups findings into incidents per identity and plans the containment that fits each
//! identity kind.
//!
//! Findings join one incident when they concern the same person or workload and each starts
//! within `window_secs` of the incident's latest finding. "The same person" means the same
//! identity key, or the same e-mail address across providers: an Okta user, the Entra user with
//! that UPN, and an AWS role session named after that address are one person.

mod chain;
mod plan;

use std::collections::BTreeMap;

use chrono::TimeDelta;
use riposte_model::{Finding, IdentityKind, IdentityRef, Incident, Timestamp};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub use chain::{Stage, stage_of};
pub use plan::plan_for;

/// The `[incidents]` table of the configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidentSettings {
    /// Findings that start within this many seconds of an incident's latest finding join it.
    pub window_secs: u64,
}

impl Default for IncidentSettings {
    fn default() -> Self {
        Self {
            window_secs: 24 * 3600,
        }
    }
}

/// Groups `findings` into incidents, ordered by their first finding, correlating identities by
/// [`correlation_key`]. The result depends only on the findings, not on their order.
pub fn correlate(findings: Vec<Finding>, settings: &IncidentSettings) -> Vec<Incident> {
    correlate_by(findings, settings, &correlation_key)
}

/// Groups `findings` into incidents as [`correlate`] does, with `key_of` naming the person or
/// workload behind each identity (the identity graph's resolution, for example).
pub fn correlate_by(
    mut findings: Vec<Finding>,
    settings: &IncidentSettings,
    key_of: &dyn Fn(&IdentityRef) -> String,
) -> Vec<Incident> {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // Saturates instead of overflowing: a window of years is as good as an unbounded one.
    let window = i64::try_from(settings.window_secs)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .unwrap_or(TimeDelta::MAX);

    // Open groups per correlation key, with the latest time of each; a closed group moves to
    // `done`.
    let mut open: BTreeMap<String, (Timestamp, Vec<Finding>)> = BTreeMap::new();
    let mut done: Vec<Vec<Finding>> = Vec::new();
    for finding in findings {
        let key = key_of(&finding.identity);
        let joins = open
            .get(&key)
            .is_some_and(|(latest, _)| finding.first_seen.signed_duration_since(*latest) <= window);
        if !joins {
            if let Some((_, closed)) = open.remove(&key) {
                done.push(closed);
            }
        }
        let (latest, group) = open
            .entry(key)
            .or_insert_with(|| (finding.last_seen, Vec::new()));
        *latest = (*latest).max(finding.last_seen);
        group.push(finding);
    }
    done.extend(open.into_values().map(|(_, group)| group));

    let mut incidents: Vec<Incident> = done
        .into_iter()
        .filter_map(|group| build_incident(group, key_of))
        .collect();
    incidents.sort_by(|a, b| (a.first_seen, &a.id).cmp(&(b.first_seen, &b.id)));
    incidents
}

/// Returns the key under which findings correlate: the person's e-mail address when the log
/// states it, else the identity key.
pub fn correlation_key(identity: &IdentityRef) -> String {
    match &identity.email {
        Some(email) => format!("person:{}", email.to_lowercase()),
        None => identity.key.to_string(),
    }
}

fn build_incident(
    findings: Vec<Finding>,
    key_of: &dyn Fn(&IdentityRef) -> String,
) -> Option<Incident> {
    let first = findings.first()?;
    let first_seen = first.first_seen;
    let last_seen = findings
        .iter()
        .map(|f| f.last_seen)
        .max()
        .unwrap_or(first_seen);
    let identities = distinct_identities(&findings);
    let identity = primary_identity(&identities)?.clone();
    let linked_identities: Vec<IdentityRef> = identities
        .iter()
        .filter(|candidate| candidate.key != identity.key)
        .cloned()
        .collect();
    let worst = findings
        .iter()
        .map(|finding| finding.severity)
        .max()
        .unwrap_or(riposte_model::Severity::Info);
    let (severity, escalations) = chain::escalate(worst, &findings);
    let id = incident_id(&key_of(&identity), first_seen);
    let mut incident = Incident {
        id,
        identity,
        linked_identities,
        severity,
        first_seen,
        last_seen,
        escalations,
        findings,
        blast_radius: None,
        plan: riposte_model::Plan {
            status: riposte_model::PlanStatus::Planned,
            actions: Vec::new(),
        },
        response: Vec::new(),
    };
    incident.plan = plan_for(&incident);
    Some(incident)
}

/// Returns the identities the findings are about, in order of first appearance.
fn distinct_identities(findings: &[Finding]) -> Vec<IdentityRef> {
    let mut identities: Vec<IdentityRef> = Vec::new();
    for finding in findings {
        if !identities
            .iter()
            .any(|known| known.key == finding.identity.key)
        {
            identities.push(finding.identity.clone());
        }
    }
    identities
}

/// Prefers the person: the first human identity, else the first identity.
fn primary_identity(identities: &[IdentityRef]) -> Option<&IdentityRef> {
    identities
        .iter()
        .find(|identity| identity.kind == IdentityKind::Human)
        .or_else(|| identities.first())
}

/// `INC-` and 12 hex digits of the SHA-256 of the correlation key and the first finding's time.
fn incident_id(key: &str, first_seen: Timestamp) -> String {
    let digest = Sha256::digest(format!("{key}|{}", first_seen.to_rfc3339()).as_bytes());
    let mut id = String::from("INC-");
    for byte in digest.iter().take(6) {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn huge_window_does_not_overflow() {
        let settings = IncidentSettings {
            window_secs: u64::MAX,
        };
        assert!(correlate(Vec::new(), &settings).is_empty());
    }
}

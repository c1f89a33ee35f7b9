//! The identity and incident facts a policy decides on, and their Cedar form.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use cedar_policy::{Context, Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use riposte_model::{
    BlastRadiusSummary, Finding, IdentityKind, IdentityRef, Incident, Provider, Severity,
};
use serde::Serialize;

use crate::error::DecideError;
use crate::schema::NAMESPACE;

/// The blast-radius tier of an identity, as the identity state rates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The identity state does not know the identity well enough to rate it.
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Tier {
    /// Reads the tier of a [`BlastRadiusSummary`]; any other text is [`Tier::Unknown`].
    pub fn parse(text: &str) -> Self {
        match text {
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Returns the `tier_rank` attribute: 0 unknown, 1 low, 2 medium, 3 high, 4 critical.
    pub fn rank(self) -> i64 {
        match self {
            Self::Unknown => 0,
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
            Self::Critical => 4,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity an action contains: the `Riposte::Identity` resource of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdentityAttributes {
    /// The entity id: the identity key, `provider:id`.
    pub id: String,
    pub kind: IdentityKind,
    pub provider: Provider,
    pub tier: Tier,
    /// The environment the inventory declares, such as `production`; empty when unknown.
    pub environment: String,
    pub break_glass: bool,
    pub shared: bool,
    pub tags: BTreeSet<String>,
}

impl IdentityAttributes {
    /// Describes an identity from its reference and, for the incident's own identity, the
    /// blast radius the identity state rated. Without a blast radius the tier is unknown and
    /// the identity is neither break-glass nor shared.
    ///
    /// NOTE: the environment and the tags stay empty, because neither the identity reference
    /// nor the blast-radius summary carries them yet. Set them after this call when the
    /// inventory is at hand.
    pub fn of(identity: &IdentityRef, radius: Option<&BlastRadiusSummary>) -> Self {
        Self {
            id: identity.key.to_string(),
            kind: identity.kind,
            provider: identity.key.provider,
            tier: radius.map_or(Tier::Unknown, |radius| Tier::parse(&radius.tier)),
            environment: String::new(),
            break_glass: radius.is_some_and(|radius| radius.break_glass),
            shared: radius.is_some_and(|radius| radius.shared),
            tags: BTreeSet::new(),
        }
    }

    /// Describes the incident's own identity.
    pub fn of_incident(incident: &Incident) -> Self {
        Self::of(&incident.identity, incident.blast_radius.as_ref())
    }

    pub(crate) fn uid(&self) -> Result<EntityUid, DecideError> {
        entity_uid("Identity", &self.id).map_err(|message| DecideError::Identity {
            id: self.id.clone(),
            message,
        })
    }

    /// Builds the `Riposte::Identity` entity.
    pub(crate) fn entity(&self) -> Result<Entity, DecideError> {
        let uid = self.uid()?;
        let attributes: HashMap<String, RestrictedExpression> = [
            ("kind", string(self.kind.as_str())),
            ("nhi", RestrictedExpression::new_bool(self.kind.is_nhi())),
            (
                "workload",
                RestrictedExpression::new_bool(self.kind.is_workload()),
            ),
            ("provider", string(self.provider.as_str())),
            ("tier", string(self.tier.as_str())),
            (
                "tier_rank",
                RestrictedExpression::new_long(self.tier.rank()),
            ),
            ("environment", string(&self.environment)),
            (
                "break_glass",
                RestrictedExpression::new_bool(self.break_glass),
            ),
            ("shared", RestrictedExpression::new_bool(self.shared)),
            (
                "tags",
                RestrictedExpression::new_set(self.tags.iter().map(|tag| string(tag))),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        Entity::new(uid, attributes, HashSet::new()).map_err(|error| DecideError::Identity {
            id: self.id.clone(),
            message: error.to_string(),
        })
    }
}

/// The incident facts a request carries as its context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncidentContext {
    /// The ids of the detections whose findings are in the incident.
    pub detections: BTreeSet<String>,
    /// The confidence, in percent from 0 to 100.
    pub confidence: u8,
    pub severity: Severity,
}

impl IncidentContext {
    /// Describes an incident: every detection of its findings, the highest confidence among
    /// them and the incident's severity.
    pub fn of(incident: &Incident) -> Self {
        Self::of_findings(incident.severity, &incident.findings)
    }

    /// Describes some findings of an incident, such as those about one linked identity,
    /// under the incident's severity.
    pub fn of_findings<'a>(
        severity: Severity,
        findings: impl IntoIterator<Item = &'a Finding>,
    ) -> Self {
        let mut detections = BTreeSet::new();
        let mut confidence: f64 = 0.0;
        for finding in findings {
            detections.insert(finding.detection.to_owned());
            confidence = confidence.max(finding.confidence.value());
        }
        Self {
            detections,
            confidence: percent(confidence),
            severity,
        }
    }

    pub(crate) fn context(&self) -> Result<Context, String> {
        let pairs = [
            (
                "detections",
                RestrictedExpression::new_set(self.detections.iter().map(|id| string(id))),
            ),
            (
                "confidence",
                RestrictedExpression::new_long(i64::from(self.confidence.min(100))),
            ),
            ("severity", string(self.severity.as_str())),
            (
                "severity_rank",
                RestrictedExpression::new_long(i64::from(self.severity.ocsf_id())),
            ),
        ];
        Context::from_pairs(
            pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        )
        .map_err(|error| error.to_string())
    }
}

/// Converts a confidence from 0.0 to 1.0 into whole percent, rounded to the nearest.
fn percent(value: f64) -> u8 {
    // Clamped to 0..=100 first, so the conversion neither truncates nor wraps.
    (value.clamp(0.0, 1.0) * 100.0).round() as u8
}

fn string(text: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(text.to_owned())
}

/// Builds `Riposte::<type_name>::"<id>"`.
pub(crate) fn entity_uid(type_name: &str, id: &str) -> Result<EntityUid, String> {
    let type_name: EntityTypeName = format!("{NAMESPACE}::{type_name}")
        .parse()
        .map_err(|error: cedar_policy::ParseErrors| error.to_string())?;
    Ok(EntityUid::from_type_name_and_id(
        type_name,
        EntityId::new(id),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_and_clamps() {
        assert_eq!(percent(0.796), 80);
        assert_eq!(percent(0.0), 0);
        assert_eq!(percent(1.0), 100);
        assert_eq!(percent(1.5), 100);
        assert_eq!(percent(-0.5), 0);
    }

    #[test]
    fn tier_reads_known_words_only() {
        assert_eq!(Tier::parse("high"), Tier::High);
        assert_eq!(Tier::parse("High"), Tier::Unknown);
        assert_eq!(Tier::parse(""), Tier::Unknown);
    }
}

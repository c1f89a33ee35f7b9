use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::{Event, IdentityRef, RecordLocation, SourceFormat, Timestamp};

/// How much harm a finding or incident implies, in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Returns the next level up, staying at `Critical`.
    pub fn raised(self) -> Self {
        match self {
            Self::Info => Self::Low,
            Self::Low => Self::Medium,
            Self::Medium => Self::High,
            Self::High | Self::Critical => Self::Critical,
        }
    }

    /// The OCSF `severity_id`: 1 informational to 5 critical.
    pub fn ocsf_id(self) -> u8 {
        match self {
            Self::Info => 1,
            Self::Low => 2,
            Self::Medium => 3,
            Self::High => 4,
            Self::Critical => 5,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How likely a finding is to be a true positive, from 0.0 to 1.0.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Confidence(f64);

impl Confidence {
    /// Clamps the value into `0.0..=1.0`; NaN becomes 0.
    pub fn new(value: f64) -> Self {
        if value.is_nan() {
            Self(0.0)
        } else {
            Self(value.clamp(0.0, 1.0))
        }
    }

    pub fn value(self) -> f64 {
        self.0
    }

    /// The OCSF `confidence_id`: 1 low (below 0.5), 2 medium (below 0.8), 3 high.
    pub fn ocsf_id(self) -> u8 {
        if self.0 < 0.5 {
            1
        } else if self.0 < 0.8 {
            2
        } else {
            3
        }
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Two decimals: the score is a judgement, and more digits would suggest precision it
        // does not have.
        serializer.serialize_f64((self.0 * 100.0).round() / 100.0)
    }
}

/// One event a finding rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub event_id: Arc<str>,
    pub time: Timestamp,
    pub format: SourceFormat,
    pub operation: Arc<str>,
    /// The public id of the credential used, such as an AWS access key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<RecordLocation>,
}

impl Evidence {
    pub fn of(event: &Event) -> Self {
        Self {
            event_id: event.event_id.clone(),
            time: event.time,
            format: event.format,
            operation: event.operation.clone(),
            credential: event.credential.id.clone(),
            location: event.location.clone(),
        }
    }
}

/// The output of a detection: what fired, about whom, when, why, and on which events.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The stable id of the detection, such as `impossible_travel`.
    pub detection: &'static str,
    pub severity: Severity,
    pub confidence: Confidence,
    pub identity: IdentityRef,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The events the finding rests on, in time order.
    pub evidence: Vec<Evidence>,
    /// One or more sentences with the measured values a person can check.
    pub explanation: String,
    /// MITRE ATT&CK technique ids.
    pub attack: Vec<&'static str>,
    /// The measured values behind the explanation, for machines.
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// Other identities the finding concerns: the targets of a spray, the user a key was
    /// created for.
    pub related: Vec<IdentityRef>,
}

impl Finding {
    /// Orders findings by time, then detection and identity, then evidence and explanation,
    /// so that output is the same on every run. Two findings can tie on the first four, and
    /// the order a detection reports them in may follow a hash map's iteration, which changes
    /// from one process to the next.
    pub fn sort_key(&self) -> (Timestamp, Timestamp, &'static str, String, Vec<&str>, &str) {
        (
            self.first_seen,
            self.last_seen,
            self.detection,
            self.identity.key.to_string(),
            self.evidence
                .iter()
                .map(|evidence| &*evidence.event_id)
                .collect(),
            &self.explanation,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_is_clamped() {
        assert_eq!(Confidence::new(1.7).value(), 1.0);
        assert_eq!(Confidence::new(-0.2).value(), 0.0);
        assert_eq!(Confidence::new(f64::NAN).value(), 0.0);
    }

    #[test]
    fn confidence_serializes_with_two_decimals() {
        let json = serde_json::to_string(&Confidence::new(0.8333)).unwrap();
        assert_eq!(json, "0.83");
    }

    #[test]
    fn severity_orders_and_raises() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!(Severity::Medium.raised(), Severity::High);
        assert_eq!(Severity::Critical.raised(), Severity::Critical);
    }
}

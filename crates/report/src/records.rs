use riposte_model::{Evidence, Finding, IdentityRef, Incident, Plan, Severity, Timestamp};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Returns a stable id for a finding: `F-` and 12 hex digits of the SHA-256 of its detection,
/// identity, first time and evidence ids.
pub fn finding_id(finding: &Finding) -> String {
    let mut hasher = Sha256::new();
    hasher.update(finding.detection.as_bytes());
    hasher.update(b"|");
    hasher.update(finding.identity.key.to_string().as_bytes());
    hasher.update(b"|");
    hasher.update(finding.first_seen.to_rfc3339().as_bytes());
    for evidence in &finding.evidence {
        hasher.update(b"|");
        hasher.update(evidence.event_id.as_bytes());
    }
    let digest = hasher.finalize();
    let mut id = String::from("F-");
    for byte in digest.iter().take(6) {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// An identity as written in the output.
#[derive(Serialize)]
pub struct IdentityRecord<'a> {
    pub identity: String,
    pub name: &'a str,
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
}

impl<'a> IdentityRecord<'a> {
    pub fn of(identity: &'a IdentityRef) -> Self {
        Self {
            identity: identity.key.to_string(),
            name: identity.display_name(),
            kind: identity.kind.as_str(),
            email: identity.email.as_deref(),
        }
    }
}

/// A finding line of the JSON Lines output.
#[derive(Serialize)]
pub struct FindingRecord<'a> {
    #[serde(rename = "type")]
    pub record_type: &'static str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<&'a str>,
    pub detection: &'static str,
    pub severity: Severity,
    pub confidence: riposte_model::Confidence,
    /// The identity key, `provider:id`.
    pub identity: String,
    pub identity_name: &'a str,
    pub identity_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_email: Option<&'a str>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The source event ids.
    pub evidence: Vec<&'a str>,
    pub evidence_details: &'a [Evidence],
    pub explanation: &'a str,
    pub attack: &'a [&'static str],
    pub facts: &'a serde_json::Map<String, serde_json::Value>,
    pub related: Vec<IdentityRecord<'a>>,
}

impl<'a> FindingRecord<'a> {
    pub fn of(finding: &'a Finding, incident: Option<&'a str>) -> Self {
        Self {
            record_type: "finding",
            id: finding_id(finding),
            incident,
            detection: finding.detection,
            severity: finding.severity,
            confidence: finding.confidence,
            identity: finding.identity.key.to_string(),
            identity_name: finding.identity.display_name(),
            identity_kind: finding.identity.kind.as_str(),
            identity_email: finding.identity.email.as_deref(),
            first_seen: finding.first_seen,
            last_seen: finding.last_seen,
            evidence: finding
                .evidence
                .iter()
                .map(|evidence| evidence.event_id.as_ref())
                .collect(),
            evidence_details: &finding.evidence,
            explanation: &finding.explanation,
            attack: &finding.attack,
            facts: &finding.facts,
            related: finding.related.iter().map(IdentityRecord::of).collect(),
        }
    }
}

/// An incident line of the JSON Lines output.
#[derive(Serialize)]
pub struct IncidentRecord<'a> {
    #[serde(rename = "type")]
    pub record_type: &'static str,
    pub id: &'a str,
    /// The identity key, `provider:id`.
    pub identity: String,
    pub identity_name: &'a str,
    pub identity_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_email: Option<&'a str>,
    pub linked_identities: Vec<IdentityRecord<'a>>,
    pub severity: Severity,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub escalations: &'a [String],
    pub findings: Vec<FindingRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blast_radius: Option<&'a riposte_model::BlastRadiusSummary>,
    pub plan: &'a Plan,
    /// The playbook steps and the response policy's decision on each.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub response: &'a [riposte_model::ResponseStep],
}

impl<'a> IncidentRecord<'a> {
    pub fn of(incident: &'a Incident) -> Self {
        Self {
            record_type: "incident",
            id: &incident.id,
            identity: incident.identity.key.to_string(),
            identity_name: incident.identity.display_name(),
            identity_kind: incident.identity.kind.as_str(),
            identity_email: incident.identity.email.as_deref(),
            linked_identities: incident
                .linked_identities
                .iter()
                .map(IdentityRecord::of)
                .collect(),
            severity: incident.severity,
            first_seen: incident.first_seen,
            last_seen: incident.last_seen,
            escalations: &incident.escalations,
            findings: incident
                .findings
                .iter()
                .map(|finding| FindingRecord::of(finding, Some(&incident.id)))
                .collect(),
            blast_radius: incident.blast_radius.as_ref(),
            plan: &incident.plan,
            response: &incident.response,
        }
    }
}

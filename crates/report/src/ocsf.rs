//! OCSF Detection Finding (`class_uid` 2004) objects, schema version 1.3.0.

use std::io::{self, Write};

use riposte_model::{Finding, Incident};
use serde_json::{Value, json};

use crate::records::finding_id;

/// The OCSF schema version the objects follow.
pub const OCSF_VERSION: &str = "1.3.0";

/// Writes one Detection Finding per line for every finding of every incident.
pub fn write_ocsf(out: &mut dyn Write, incidents: &[Incident]) -> io::Result<()> {
    for incident in incidents {
        for finding in &incident.findings {
            serde_json::to_writer(&mut *out, &detection_finding(finding, Some(&incident.id)))
                .map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()
}

/// Builds the OCSF Detection Finding for one finding; `incident` becomes the metadata's
/// correlation id.
pub fn detection_finding(finding: &Finding, incident: Option<&str>) -> Value {
    let uid = finding_id(finding);
    let attacks: Vec<Value> = finding
        .attack
        .iter()
        .map(|technique| json!({"technique": {"uid": technique}}))
        .collect();
    let related_events: Vec<Value> = finding
        .evidence
        .iter()
        .map(|evidence| {
            json!({
                "uid": evidence.event_id,
                "time": evidence.time.timestamp_millis(),
                "type": evidence.operation,
                "product_uid": evidence.format.as_str(),
            })
        })
        .collect();
    let mut metadata = json!({
        "version": OCSF_VERSION,
        "uid": uid,
        "product": {
            "name": "riposte",
            "vendor_name": "riposte",
            "version": env!("CARGO_PKG_VERSION"),
        },
    });
    if let (Some(incident), Some(object)) = (incident, metadata.as_object_mut()) {
        object.insert("correlation_uid".to_owned(), json!(incident));
    }
    let identity = &finding.identity;
    let mut user = json!({
        "uid": identity.key.to_string(),
        "name": identity.display_name(),
        "type": identity.kind.as_str(),
    });
    if let (Some(email), Some(object)) = (&identity.email, user.as_object_mut()) {
        object.insert("email_addr".to_owned(), json!(email));
    }
    json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": finding.last_seen.timestamp_millis(),
        "severity_id": finding.severity.ocsf_id(),
        "severity": capitalized(finding.severity.as_str()),
        "confidence_id": finding.confidence.ocsf_id(),
        "confidence_score": (finding.confidence.value() * 100.0).round() as u8,
        "status_id": 1,
        "status": "New",
        "message": finding.explanation,
        "metadata": metadata,
        "finding_info": {
            "uid": uid,
            "title": finding.detection,
            "desc": finding.explanation,
            "types": [finding.detection],
            "first_seen_time": finding.first_seen.timestamp_millis(),
            "last_seen_time": finding.last_seen.timestamp_millis(),
            "analytic": {
                "uid": finding.detection,
                "name": finding.detection,
                "type_id": 2,
                "type": "Behavioral",
            },
            "attacks": attacks,
            "related_events": related_events,
        },
        "actor": {"user": user},
        "unmapped": {"facts": finding.facts},
    })
}

fn capitalized(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

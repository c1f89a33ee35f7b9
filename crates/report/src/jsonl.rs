use std::io::{self, Write};

use riposte_engine::Summary;
use riposte_model::Incident;
use serde::Serialize;

use crate::records::{FindingRecord, IncidentRecord};

#[derive(Serialize)]
struct SummaryRecord<'a> {
    #[serde(rename = "type")]
    record_type: &'static str,
    #[serde(flatten)]
    summary: &'a Summary,
}

/// Writes one JSON object per line: every finding (`"type": "finding"`, with the id of its
/// incident), then every incident (`"type": "incident"`, findings included), then the summary
/// (`"type": "summary"`).
pub fn write_jsonl(
    out: &mut dyn Write,
    incidents: &[Incident],
    summary: &Summary,
) -> io::Result<()> {
    for incident in incidents {
        for finding in &incident.findings {
            write_line(out, &FindingRecord::of(finding, Some(&incident.id)))?;
        }
    }
    for incident in incidents {
        write_line(out, &IncidentRecord::of(incident))?;
    }
    write_line(
        out,
        &SummaryRecord {
            record_type: "summary",
            summary,
        },
    )?;
    out.flush()
}

fn write_line(out: &mut dyn Write, record: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, record).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

//! Renders hunt results as a terminal report, JSON Lines or OCSF Detection Findings.
//!
//! The JSON shapes written here are riposte's output contract. They are built from explicit
//! record types rather than by serializing internal types, so that internal changes do not
//! change the output by accident.

mod jsonl;
mod ocsf;
mod records;
mod text;

pub use jsonl::write_jsonl;
pub use ocsf::{detection_finding, write_ocsf};
pub use records::{FindingRecord, IncidentRecord, finding_id};
pub use text::{Escaped, TextOptions, write_text};

use std::collections::BTreeMap;

use serde::Serialize;

/// The counts of a hunt: what it read, rejected and found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Inputs opened and read.
    pub files: u64,
    /// Inputs that could not be opened or listed.
    pub unreadable_files: u64,
    /// Input files skipped because an earlier run with the same state file read them whole
    /// and they have not changed.
    pub unchanged_files: u64,
    /// Records read: events, unsupported records and rejected records. A read that failed
    /// inside an input, such as a damaged gzip stream, is not a record: it counts in `rejected`
    /// and `errors` only.
    pub records: u64,
    /// Records normalized into events, duplicates included.
    pub events: u64,
    /// Rejected records, and reads that failed inside an input.
    pub rejected: u64,
    /// Well-formed records of a category riposte does not interpret yet.
    pub unsupported: u64,
    /// `unsupported` per `family:category`.
    pub unsupported_by_category: BTreeMap<String, u64>,
    /// Events per log format.
    pub by_format: BTreeMap<&'static str, u64>,
    /// Events dropped because their provider and event id were seen before.
    pub duplicates: u64,
    /// Events that arrived too late to be put in order.
    pub late_events: u64,
    pub findings: u64,
    pub findings_by_detection: BTreeMap<&'static str, u64>,
    pub incidents: u64,
    /// Wall-clock duration of the run, in seconds.
    pub elapsed_secs: f64,
    /// Records read per second of wall-clock time: the throughput of the whole pipeline.
    pub events_per_second: f64,
    /// The reason each unreadable input could not be read.
    pub errors: Vec<String>,
}

impl Summary {
    /// Returns true when every record and every input was read.
    pub fn is_clean(&self) -> bool {
        self.rejected == 0 && self.unreadable_files == 0
    }
}

//! Generates realistic, seeded records in the raw shapes AWS CloudTrail, the Okta System Log
//! and Microsoft Entra ID write, for the shipped example scenario and for throughput
//! benchmarks.
//!
//! The same seed always gives the same bytes: every random choice comes from a ChaCha8
//! generator seeded by the caller, and no value depends on the clock or the machine.
//!
//! - [`okta`], [`cloudtrail`], [`entra`] build one record of each provider;
//! - [`world`] and [`population`] hold the places, networks, user agents, people and
//!   workloads the records describe, all with documentation values;
//! - [`scenario`] generates the example scenario with its attack;
//! - [`bench`] streams a large mixed data set to disk.

pub mod bench;
pub mod cloudtrail;
pub mod entra;
mod error;
pub mod ids;
pub mod okta;
pub mod output;
pub mod population;
pub mod scenario;
pub mod timefmt;
pub mod world;

pub use error::SynthError;

/// The output of a writer: records per format, files and bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub cloudtrail: u64,
    pub okta: u64,
    pub entra: u64,
    pub files: u64,
    /// Total size of the files written, in bytes.
    pub bytes: u64,
}

impl WriteSummary {
    /// Returns the number of records of every format.
    pub fn records(&self) -> u64 {
        self.cloudtrail + self.okta + self.entra
    }

    /// Counts one file of `bytes` bytes.
    pub fn add_file(&mut self, bytes: u64) {
        self.files += 1;
        self.bytes += bytes;
    }
}

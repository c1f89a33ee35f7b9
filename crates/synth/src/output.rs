//! Writers for the file layouts the providers' logs are collected in.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use crate::SynthError;

/// Creates `path` and its parents.
pub fn create_folder(path: &Path) -> Result<(), SynthError> {
    fs::create_dir_all(path).map_err(|source| SynthError::io(path, source))
}

/// Writes `value` as indented JSON followed by a newline. Returns the size in bytes.
pub fn write_pretty_json(path: &Path, value: &impl Serialize) -> Result<u64, SynthError> {
    let file = File::create(path).map_err(|source| SynthError::io(path, source))?;
    let mut writer = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, value)
        .map_err(|source| SynthError::json(path, source))?;
    writer
        .write_all(b"\n")
        .map_err(|source| SynthError::io(path, source))?;
    finish(path, writer)
}

/// Flushes `writer` and returns the size of the file it wrote.
pub fn finish(path: &Path, writer: BufWriter<File>) -> Result<u64, SynthError> {
    let file = writer
        .into_inner()
        .map_err(|error| SynthError::io(path, error.into_error()))?;
    let metadata = file
        .metadata()
        .map_err(|source| SynthError::io(path, source))?;
    Ok(metadata.len())
}

/// The Azure Monitor wrapper: `{"records": [...]}`.
#[derive(Serialize)]
pub struct AzureMonitorBatch<'a, T> {
    pub records: &'a [T],
}

//! The rejects file: every record that could not be read, as it was read, with the reason.
//!
//! One JSON object per line: `file`, `line`, `index` (0-based position in the file),
//! `reason`, and `record`, the record's text. Bytes that are not UTF-8 are replaced with
//! U+FFFD in `record`, `record_lossy` is set, and `record_base64` contains the bytes as read, in
//! standard Base64.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use riposte_ingest::decode::Reject;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
#[error("cannot write rejects file `{path}`: {source}")]
pub struct RejectsError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

pub struct RejectWriter {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl RejectWriter {
    pub fn create(path: &Path) -> Result<Self, RejectsError> {
        let file = File::create(path).map_err(|source| RejectsError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            writer: BufWriter::new(file),
        })
    }

    pub fn write(&mut self, reject: &Reject) -> Result<(), RejectsError> {
        let (record, lossy) = match std::str::from_utf8(&reject.raw) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (String::from_utf8_lossy(&reject.raw).into_owned(), true),
        };
        let mut line = json!({
            "file": reject.location.file.display().to_string(),
            "line": reject.location.line,
            "index": reject.index,
            "reason": reject.reason,
            "record": record,
        });
        if let (true, Some(object)) = (lossy, line.as_object_mut()) {
            object.insert("record_lossy".to_owned(), json!(true));
            object.insert(
                "record_base64".to_owned(),
                json!(STANDARD.encode(&reject.raw)),
            );
        }
        serde_json::to_writer(&mut self.writer, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| self.writer.write_all(b"\n"))
            .map_err(|source| self.error(source))
    }

    pub fn finish(mut self) -> Result<(), RejectsError> {
        self.writer.flush().map_err(|source| self.error(source))
    }

    fn error(&self, source: std::io::Error) -> RejectsError {
        RejectsError {
            path: self.path.clone(),
            source,
        }
    }
}

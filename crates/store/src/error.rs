use std::path::{Path, PathBuf};

/// The error of an operation on the state file. Every message names the state file or the input
/// file involved, except [`StoreError::Serialize`], which happens before any file is touched.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite could not open the file or read its header: a missing folder, a file that is
    /// not a database, a corrupt header, a file locked by another process past the timeout.
    #[error("cannot open state file `{path}`: {reason}")]
    Open {
        path: PathBuf,
        /// The SQLite message without the path that rusqlite appends to some of them.
        reason: String,
        source: rusqlite::Error,
    },

    /// The file opened, but SQLite kept a journal mode other than WAL, as it does on file
    /// systems without shared memory support.
    #[error(
        "cannot open state file `{path}`: journal mode is `{mode}`, expected `wal`; keep the state file on a local file system"
    )]
    NotWal { path: PathBuf, mode: String },

    /// The file is an SQLite database that another program made.
    #[error(
        "cannot open state file `{path}`: it is an SQLite database but not a riposte state file ({reason})"
    )]
    ForeignDatabase { path: PathBuf, reason: String },

    /// [`Store::open_existing`](crate::Store::open_existing) found no file.
    #[error(
        "cannot open state file `{path}`: no such file; `riposte hunt --state FILE` creates one"
    )]
    Missing { path: PathBuf },

    /// The path is a folder, a device or another file that is not a regular file.
    #[error("cannot use `{path}` as a state file: it is not a regular file")]
    NotAFile { path: PathBuf },

    /// The folder that should contain the state file does not exist.
    #[error("cannot create state file `{path}`: folder `{folder}` does not exist")]
    MissingFolder { path: PathBuf, folder: PathBuf },

    /// Another process holds the state file for writing.
    #[error(
        "state file `{path}` is in use by another riposte process; wait for it to finish, or use another state file"
    )]
    InUse { path: PathBuf },

    /// A read-only command found a file of an older schema.
    #[error(
        "state file `{path}` has schema version {found}, older than this riposte's {known}: run `riposte hunt --state` on it once to upgrade it"
    )]
    OlderSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    /// The file was written by a later riposte with a schema this binary does not know.
    #[error(
        "state file `{path}` has schema version {found}; this riposte knows up to {known}: upgrade riposte"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error("cannot apply schema migration {version} to state file `{path}`: {source}")]
    Migration {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },

    /// A read or a write failed. `action` names what was being done, such as
    /// `write baseline of identity 42`.
    #[error("cannot {action} in state file `{path}`: {source}")]
    Sql {
        path: PathBuf,
        action: String,
        source: rusqlite::Error,
    },

    /// A row contains a value this binary cannot read back.
    #[error("invalid value `{value}` in `{table}.{column}` of state file `{path}`: {expected}")]
    InvalidValue {
        path: PathBuf,
        table: &'static str,
        column: &'static str,
        value: String,
        expected: &'static str,
    },

    /// A value to write does not fit the column: a count above `i64::MAX`, a path that is not
    /// UTF-8.
    #[error("cannot write `{value}` to `{table}.{column}` of state file `{path}`: {expected}")]
    Unwritable {
        path: PathBuf,
        table: &'static str,
        column: &'static str,
        value: String,
        expected: &'static str,
    },

    /// The batch gave an identity an id other than the one stored for it. This
    /// happens when two processes write new identities to the same state file at once.
    #[error(
        "cannot write identity `{key}` to state file `{path}`: the batch gives it id {given}, but the file holds it as id {stored}; run one riposte per state file"
    )]
    IdentityIdConflict {
        path: PathBuf,
        key: String,
        given: i64,
        stored: i64,
    },

    /// A batch or a call updated a run that is not in the file.
    #[error("cannot update run {id} in state file `{path}`: no such run")]
    RunNotFound { path: PathBuf, id: i64 },

    #[error("cannot serialize {what} as JSON: {source}")]
    Serialize {
        what: String,
        source: serde_json::Error,
    },

    /// An input file could not be read to compare it with its checkpoint.
    #[error("cannot read input file `{path}` to compare it with its checkpoint: {source}")]
    Input {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Builds [`StoreError::Open`], dropping the `: PATH` suffix that rusqlite adds to the
    /// message of a failed open, since the message names the path already.
    pub(crate) fn open(path: &Path, source: rusqlite::Error) -> Self {
        let message = source.to_string();
        let suffix = format!(": {}", path.display());
        let reason = message
            .strip_suffix(&suffix)
            .map_or_else(|| message.clone(), str::to_owned);
        Self::Open {
            path: path.to_owned(),
            reason,
            source,
        }
    }
}

//! The embedded state store of riposte: one SQLite file that keeps identities, their links,
//! baselines, privileges, findings and incidents from one run to the next, with the reading
//! position of each input file and a record of each run.
//!
//! # Writing
//!
//! The engine fills a [`Batch`] in memory and hands it to [`Store::commit`], which writes it
//! in one transaction: either all of it lands or none does. A process killed between two
//! commits leaves the file with exactly the last committed batch.
//!
//! # Identity ids
//!
//! Every table refers to an identity by its integer id. [`Store::resolve_identity`] returns
//! the id the file holds for a key, or allocates the next one for a key the file does not
//! hold yet. Allocated ids count up from the largest id in the file, and the store remembers
//! each allocation until a committed batch writes that identity, so asking twice for one new
//! key returns one id. The same input processed in the same order against the same file
//! therefore gets the same ids. The batch that first refers to a new id must also upsert the
//! identity (or a previous batch must have), or the foreign keys reject the batch.
//!
//! One process writes to a state file at a time. If two do, the commit that finds its
//! identity stored under another id fails with [`StoreError::IdentityIdConflict`] and writes
//! nothing.

mod batch;
mod checkpoint;
mod convert;
mod error;
mod migrate;
mod read;
mod records;
mod response;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use riposte_model::IdentityKey;
use rusqlite::{Connection, OpenFlags};

pub use batch::Batch;
pub use checkpoint::{FileHead, HEAD_LEN, Resume};
pub use error::StoreError;
pub use migrate::{APPLICATION_ID, SCHEMA_VERSION};
pub use records::{
    Baseline, Checkpoint, FindingRecord, IdentityFilter, IdentityRecord, IdentityUpsert,
    IncidentRecord, Link, LinkSource, LinkedIdentity, PrivilegeSeen, ResolvedId, Run, RunCounts,
    RunStatus, finding_id,
};
pub use response::{ActionRecord, ActionStatus, ApprovalRecord, ApprovalStatus, AuditCheck};

/// How long a statement waits for another connection's lock before it fails with "database
/// is locked". A reader such as `riposte identities list` never blocks a WAL writer; this
/// covers a second writer and the brief exclusive lock of a checkpoint.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Rejects a path that exists but is not a regular file, and a new file in a missing
/// folder.
fn check_path(path: &Path, may_create: bool) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => Ok(()),
        Ok(_) => Err(StoreError::NotAFile {
            path: path.to_owned(),
        }),
        Err(_) if !may_create => Err(StoreError::Missing {
            path: path.to_owned(),
        }),
        Err(_) => {
            let folder = path
                .parent()
                .filter(|folder| !folder.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if folder.is_dir() {
                Ok(())
            } else {
                Err(StoreError::MissingFolder {
                    path: path.to_owned(),
                    folder: folder.to_owned(),
                })
            }
        }
    }
}

/// The size to which SQLite truncates the WAL file after a checkpoint, in bytes. Without a
/// limit the file keeps the size of the largest batch ever written.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// The maximum size of SQLite's page cache, in KiB. A batch of 10,000 identities with
/// 300-byte baselines dirties about 5 MiB of pages. The default 2 MiB cache spills them to
/// the WAL before the commit, which made updates of known identities about 15% slower in
/// `benches/commit.rs`. SQLite allocates cache pages as it uses them.
const CACHE_KIB: i64 = 32 * 1024;

/// Prepared statements kept compiled per connection: more than the store's distinct
/// statements, so that none is compiled twice.
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// An open state file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The id [`Store::resolve_identity`] allocates next.
    next_identity_id: i64,
    /// Ids allocated for keys that no committed batch has written yet.
    pending_ids: HashMap<IdentityKey, i64>,
    /// The lock file held by [`Store::lock_for_writing`].
    writer_lock: Option<std::fs::File>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("next_identity_id", &self.next_identity_id)
            .field("pending_ids", &self.pending_ids.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the state file at `path`, creating it when it does not exist, and brings its
    /// schema up to [`SCHEMA_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path.as_ref(), OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens an existing state file, as [`Store::open`] does, but fails instead of creating a
    /// file that does not exist. For commands that change the state of earlier runs.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        Self::open_with(path, OpenFlags::empty())
    }

    /// Opens an existing state file without writing to it, for commands that only read:
    /// neither the journal mode nor the schema is changed.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        check_path(&path, false)?;
        let open_error = |source| StoreError::open(&path, source);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let version = migrate::check_before_writing(&conn, &path)?;
        if version < SCHEMA_VERSION {
            return Err(StoreError::OlderSchema {
                path,
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let max_id: i64 = conn
            .query_row("SELECT coalesce(max(id), 0) FROM identities", [], |row| {
                row.get(0)
            })
            .map_err(open_error)?;
        Ok(Self {
            conn,
            path,
            next_identity_id: max_id.saturating_add(1),
            pending_ids: HashMap::new(),
            writer_lock: None,
        })
    }

    /// Takes the exclusive right to write for this process, until the store is dropped. Two
    /// hunts writing one state file would each count every record, so the second is refused.
    /// The lock is an advisory lock on `<state file>.lock`, released by the operating system
    /// when the process ends, even by a kill.
    pub fn lock_for_writing(&mut self) -> Result<(), StoreError> {
        use fs4::FileExt;

        // The lock file sits next to the file a symbolic link points to, so that two paths to
        // one state file take the same lock.
        let target = std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        let mut lock_path = target.into_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| StoreError::Input {
                path: lock_path.clone(),
                source,
            })?;
        match FileExt::try_lock(&file) {
            Ok(()) => {
                self.writer_lock = Some(file);
                Ok(())
            }
            Err(fs4::TryLockError::WouldBlock) => Err(StoreError::InUse {
                path: self.path.clone(),
            }),
            Err(fs4::TryLockError::Error(source)) => Err(StoreError::Input {
                path: lock_path,
                source,
            }),
        }
    }

    fn open_with(path: &Path, create: OpenFlags) -> Result<Self, StoreError> {
        let path = path.to_path_buf();
        check_path(&path, !create.is_empty())?;
        let open_error = |source| StoreError::open(&path, source);

        // Without SQLITE_OPEN_URI, a path such as `file:x?mode=ro` is a file name, not a URI.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | create;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // Another program's database is rejected before the journal mode below changes it.
        migrate::check_before_writing(&conn, &path)?;

        // The first statement reads the header, so this is where a file that is not a
        // database or has a corrupt header fails.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal { path, mode });
        }

        // In WAL mode, a commit appends its pages to the WAL file, and SQLite syncs the WAL
        // to disk before each checkpoint copies it into the database file. With
        // synchronous=NORMAL a commit does not wait for a sync of its own, so:
        // - a process crash (kill -9, panic, OOM) loses no committed transaction, because the
        //   operating system already has the written pages;
        // - an operating system crash or power loss may roll back the transactions committed
        //   since the last sync, but the file stays consistent: it opens at an earlier
        //   committed state, never a partial one.
        // The transactions that such a crash rolls back include their checkpoints, so the
        // engine re-reads the same input and counts nothing twice. For file inputs, FULL
        // would cost one fsync per batch for a durability that re-reading already gives.
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT};
             PRAGMA cache_size = -{CACHE_KIB};"
        ))
        .map_err(open_error)?;

        migrate::migrate(&mut conn, &path)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);

        let max_id: i64 = conn
            .query_row("SELECT coalesce(max(id), 0) FROM identities", [], |row| {
                row.get(0)
            })
            .map_err(open_error)?;
        Ok(Self {
            conn,
            path,
            next_identity_id: max_id.saturating_add(1),
            pending_ids: HashMap::new(),
            writer_lock: None,
        })
    }

    /// Returns the path the store was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the stored id of `key`, or allocates one for a key the file does not contain.
    ///
    /// Asking again for a key that is allocated but not yet committed returns the same id.
    pub fn resolve_identity(&mut self, key: &IdentityKey) -> Result<ResolvedId, StoreError> {
        if let Some(&id) = self.pending_ids.get(key) {
            return Ok(ResolvedId { id, is_new: true });
        }
        if let Some(id) = self.identity_id(key)? {
            return Ok(ResolvedId { id, is_new: false });
        }
        let id = self.next_identity_id;
        self.next_identity_id = id.checked_add(1).ok_or_else(|| StoreError::Unwritable {
            path: self.path.clone(),
            table: "identities",
            column: "id",
            value: id.to_string(),
            expected: "expected an id below 9223372036854775807",
        })?;
        self.pending_ids.insert(key.clone(), id);
        Ok(ResolvedId { id, is_new: true })
    }

    /// Closes the file, checkpointing the WAL into the database file when no other
    /// connection has it open. Dropping the store does the same but ignores errors.
    pub fn close(self) -> Result<(), StoreError> {
        let path = self.path;
        self.conn.close().map_err(|(_, source)| StoreError::Sql {
            path,
            action: "close the state file".to_owned(),
            source,
        })
    }

    /// Runs SQLite's `PRAGMA integrity_check` and returns its messages: `["ok"]` for a sound
    /// file. It reads the whole file, so it takes time proportional to its size.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(sql_error(&self.path, || "check integrity".to_owned()))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(sql_error(&self.path, || "check integrity".to_owned()))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(sql_error(&self.path, || "check integrity".to_owned()))
    }
}

/// Returns a closure that wraps an SQLite error with the path and the action, built only
/// when the error happens.
pub(crate) fn sql_error(
    path: &Path,
    action: impl FnOnce() -> String,
) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sql {
        path: path.to_owned(),
        action: action(),
        source,
    }
}

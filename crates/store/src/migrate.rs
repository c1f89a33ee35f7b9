//! Schema migrations, applied in order when a state file is opened.
//!
//! Migration `n` (counting from 1) is the SQL file `migrations/000n_*.sql`. The schema version
//! of a file is SQLite's `user_version` header field: the number of migrations applied. Every
//! pending migration and the new version are written in one transaction, so a file is never
//! left between two versions. A file marks itself as riposte's with the `application_id`
//! header field, so that riposte does not add its tables to another program's database.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// The migrations, oldest first. Never edit one that has shipped: add a new file.
const MIGRATIONS: [&str; 2] = [
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_response.sql"),
];

/// The schema version this binary writes: the number of migrations it contains.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `RPST` in ASCII: the `application_id` of riposte state files.
pub const APPLICATION_ID: i32 = 0x5250_5354;

/// The two header fields that identify a state file and its schema.
struct Header {
    application_id: i32,
    user_version: i64,
}

fn read_header(conn: &Connection) -> rusqlite::Result<Header> {
    let application_id = conn.query_row("PRAGMA application_id", [], |row| row.get(0))?;
    let user_version = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok(Header {
        application_id,
        user_version,
    })
}

/// Checks that the file is a riposte state file of a known version, and applies the
/// migrations it lacks.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let open_error = |source| StoreError::open(path, source);
    let header = read_header(conn).map_err(open_error)?;
    check_header(conn, path, &header)?;
    if header.user_version == SCHEMA_VERSION {
        return Ok(());
    }

    // IMMEDIATE takes the write lock now, so that two processes opening one new file do not
    // both apply the migrations. The header is read again under the lock.
    let migration_error = |version| {
        move |source| StoreError::Migration {
            path: path.to_owned(),
            version,
            source,
        }
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(migration_error(header.user_version + 1))?;
    let header = read_header(&tx).map_err(open_error)?;
    check_header(&tx, path, &header)?;

    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version <= header.user_version {
            continue;
        }
        tx.execute_batch(sql).map_err(migration_error(version))?;
        // PRAGMA takes no bound parameters; both values are integers formatted here.
        tx.execute_batch(&format!(
            "PRAGMA user_version = {version}; PRAGMA application_id = {APPLICATION_ID};"
        ))
        .map_err(migration_error(version))?;
    }
    tx.commit().map_err(migration_error(SCHEMA_VERSION))
}

/// Checks the header before anything is written, so that another program's database is
/// rejected unchanged.
pub(crate) fn check_before_writing(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let header = read_header(conn).map_err(|source| StoreError::open(path, source))?;
    check_header(conn, path, &header)?;
    Ok(header.user_version)
}

/// Rejects another program's database and a schema newer than this binary's.
fn check_header(conn: &Connection, path: &Path, header: &Header) -> Result<(), StoreError> {
    let foreign = |reason: String| StoreError::ForeignDatabase {
        path: path.to_owned(),
        reason,
    };
    if header.application_id != 0 && header.application_id != APPLICATION_ID {
        return Err(foreign(format!(
            "its application id is {:#010x}, expected {APPLICATION_ID:#010x}",
            header.application_id
        )));
    }
    if header.application_id == 0 {
        if header.user_version != 0 {
            return Err(foreign(format!(
                "it has schema version {} but no riposte application id",
                header.user_version
            )));
        }
        let objects: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
            .map_err(|source| StoreError::open(path, source))?;
        if objects > 0 {
            return Err(foreign(format!(
                "it holds {objects} tables, indexes or views but no riposte schema"
            )));
        }
    }
    if header.user_version < 0 {
        return Err(foreign(format!(
            "its schema version {} is negative",
            header.user_version
        )));
    }
    if header.user_version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: header.user_version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

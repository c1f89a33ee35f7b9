//! Writes: [`Store::commit`] and the run bookkeeping.

use std::path::Path;

use riposte_model::Timestamp;
use rusqlite::{Transaction, TransactionBehavior, params};

use crate::convert::{to_integer, to_millis};
use crate::records::{
    Baseline, Checkpoint, FindingRecord, IdentityUpsert, IncidentRecord, Link, PrivilegeSeen,
    RunCounts, RunStatus,
};
use crate::{Batch, Store, StoreError, sql_error};

/// Inserts an identity, or merges the batch's times and counts into the stored row.
///
/// The descriptive columns (kind, override, name, e-mail address) are left to
/// [`UPDATE_IDENTITY_DESCRIPTION`], run only when the returned flag says they would change.
/// Setting them here on every upsert rewrites the entries of `identities_by_kind` and
/// `identities_by_email` even when the values are equal, which made a batch updating 10,000
/// known identities 20 to 35% slower in `benches/commit.rs`. RETURNING sees the row after
/// the insert or update; bound parameters keep their values there.
const UPSERT_IDENTITY: &str = "
    INSERT INTO identities (id, provider, provider_id, kind, kind_override, display_name, email,
                            first_seen, last_seen, event_count, authentication_count)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
    ON CONFLICT (provider, provider_id) DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen),
        event_count = event_count + excluded.event_count,
        authentication_count = authentication_count + excluded.authentication_count
    RETURNING
        id,
        (?4 <> 'unknown' AND kind IS NOT ?4)
            OR kind_override IS NOT ?5
            OR (?6 IS NOT NULL AND display_name IS NOT ?6)
            OR (?7 IS NOT NULL AND email IS NOT ?7)";

/// Applies the merge rules of [`IdentityUpsert`] to the descriptive columns: the logged kind
/// `unknown` never replaces a known kind, the override is always replaced, a name replaces the
/// stored one when the batch has one, and so does an address that differs in more than ASCII
/// case (`email` compares with its NOCASE collation).
const UPDATE_IDENTITY_DESCRIPTION: &str = "
    UPDATE identities SET
        kind = CASE WHEN ?2 = 'unknown' THEN kind ELSE ?2 END,
        kind_override = ?3,
        display_name = coalesce(?4, display_name),
        email = CASE WHEN ?5 IS NULL OR email = ?5 THEN email ELSE ?5 END
    WHERE id = ?1";

/// In SQLite, every expression of an UPDATE's SET reads the row as it was before the update,
/// so `evidence` compares against the old `first_seen`.
const UPSERT_LINK: &str = "
    INSERT INTO identity_links (identity_a, identity_b, source, evidence, first_seen)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (identity_a, identity_b, source) DO UPDATE SET
        evidence = CASE WHEN excluded.first_seen < first_seen
                        THEN excluded.evidence ELSE evidence END,
        first_seen = min(first_seen, excluded.first_seen)";

const UPSERT_BASELINE: &str = "
    INSERT INTO baselines (identity_id, format_version, data, updated_at)
    VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (identity_id) DO UPDATE SET
        format_version = excluded.format_version,
        data = excluded.data,
        updated_at = excluded.updated_at";

const UPSERT_PRIVILEGE: &str = "
    INSERT INTO privileges_seen (identity_id, privilege, admin, first_seen, event_id)
    VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (identity_id, privilege) DO UPDATE SET
        admin = max(admin, excluded.admin),
        event_id = CASE WHEN excluded.first_seen < first_seen
                        THEN excluded.event_id ELSE event_id END,
        first_seen = min(first_seen, excluded.first_seen)";

const UPSERT_FINDING: &str = "
    INSERT INTO findings (id, detection, severity, identity_id, first_seen, last_seen, record)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (id) DO UPDATE SET
        detection = excluded.detection,
        severity = excluded.severity,
        identity_id = excluded.identity_id,
        first_seen = excluded.first_seen,
        last_seen = excluded.last_seen,
        record = excluded.record";

const UPSERT_INCIDENT: &str = "
    INSERT INTO incidents (id, severity, identity_id, first_seen, last_seen, record)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
    ON CONFLICT (id) DO UPDATE SET
        severity = excluded.severity,
        identity_id = excluded.identity_id,
        first_seen = excluded.first_seen,
        last_seen = excluded.last_seen,
        record = excluded.record";

const UPSERT_CHECKPOINT: &str = "
    INSERT INTO checkpoints (path, file_size, byte_offset, head_len, head_sha256, records_read,
                             updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
    ON CONFLICT (path) DO UPDATE SET
        file_size = excluded.file_size,
        byte_offset = excluded.byte_offset,
        head_len = excluded.head_len,
        head_sha256 = excluded.head_sha256,
        records_read = excluded.records_read,
        updated_at = excluded.updated_at";

const UPDATE_RUN_COUNTS: &str =
    "UPDATE runs SET records = ?2, rejected = ?3, findings = ?4 WHERE id = ?1";

impl Store {
    /// Writes the batch in one transaction: all of it lands, or nothing does and the error
    /// names the row that failed.
    pub fn commit(&mut self, batch: &Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let path = self.path.as_path();
        // IMMEDIATE takes the write lock at the start, so that no statement inside the
        // transaction fails with SQLITE_BUSY while upgrading a read lock.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error(path, || "begin a write transaction".to_owned()))?;

        for identity in &batch.identities {
            write_identity(&tx, path, identity)?;
        }
        for link in &batch.links {
            write_link(&tx, path, link)?;
        }
        for baseline in &batch.baselines {
            write_baseline(&tx, path, baseline)?;
        }
        for privilege in &batch.privileges {
            write_privilege(&tx, path, privilege)?;
        }
        for finding in &batch.findings {
            write_finding(&tx, path, finding)?;
        }
        for incident in &batch.incidents {
            write_incident(&tx, path, incident)?;
        }
        for checkpoint in &batch.checkpoints {
            write_checkpoint(&tx, path, checkpoint)?;
        }
        if let Some((run_id, counts)) = batch.run_progress {
            write_run_counts(&tx, path, run_id, counts)?;
        }

        tx.commit()
            .map_err(sql_error(path, || "commit a batch".to_owned()))?;

        for identity in &batch.identities {
            self.pending_ids.remove(&identity.key);
            self.next_identity_id = self.next_identity_id.max(identity.id.saturating_add(1));
        }
        Ok(())
    }

    /// Records the start of a run and returns its id.
    pub fn begin_run(&mut self, command: &str, started_at: Timestamp) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO runs (command, started_at, records, rejected, findings, status)
                 VALUES (?1, ?2, 0, 0, 0, 'running')
                 RETURNING id",
            )
            .and_then(|mut statement| {
                statement.query_row(params![command, to_millis(started_at)], |row| row.get(0))
            })
            .map_err(sql_error(&self.path, || {
                "record the start of a run".to_owned()
            }))
    }

    /// Records the end of a run with its final counters.
    pub fn finish_run(
        &mut self,
        run_id: i64,
        finished_at: Timestamp,
        counts: RunCounts,
        status: RunStatus,
    ) -> Result<(), StoreError> {
        let path = self.path.as_path();
        let records = to_integer(path, "runs", "records", counts.records)?;
        let rejected = to_integer(path, "runs", "rejected", counts.rejected)?;
        let findings = to_integer(path, "runs", "findings", counts.findings)?;
        let updated = self
            .conn
            .prepare_cached(
                "UPDATE runs SET finished_at = ?2, records = ?3, rejected = ?4, findings = ?5,
                                 status = ?6
                 WHERE id = ?1",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    run_id,
                    to_millis(finished_at),
                    records,
                    rejected,
                    findings,
                    status.as_str()
                ])
            })
            .map_err(sql_error(path, || {
                format!("record the end of run {run_id}")
            }))?;
        if updated == 0 {
            return Err(StoreError::RunNotFound {
                path: path.to_owned(),
                id: run_id,
            });
        }
        Ok(())
    }
}

fn write_identity(
    tx: &Transaction<'_>,
    path: &Path,
    identity: &IdentityUpsert,
) -> Result<(), StoreError> {
    let key = &identity.key;
    let new_events = to_integer(path, "identities", "event_count", identity.new_events)?;
    let new_authentications = to_integer(
        path,
        "identities",
        "authentication_count",
        identity.new_authentications,
    )?;
    let (stored_id, description_changed): (i64, bool) = tx
        .prepare_cached(UPSERT_IDENTITY)
        .and_then(|mut statement| {
            statement.query_row(
                params![
                    identity.id,
                    key.provider.as_str(),
                    key.id.as_ref(),
                    identity.kind.as_str(),
                    identity.kind_override.as_deref(),
                    identity.display_name.as_deref(),
                    identity.email.as_deref(),
                    to_millis(identity.first_seen),
                    to_millis(identity.last_seen),
                    new_events,
                    new_authentications,
                ],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
        })
        .map_err(sql_error(path, || {
            format!("write identity `{key}` with id {}", identity.id)
        }))?;
    if stored_id != identity.id {
        return Err(StoreError::IdentityIdConflict {
            path: path.to_owned(),
            key: key.to_string(),
            given: identity.id,
            stored: stored_id,
        });
    }
    if description_changed {
        tx.prepare_cached(UPDATE_IDENTITY_DESCRIPTION)
            .and_then(|mut statement| {
                statement.execute(params![
                    identity.id,
                    identity.kind.as_str(),
                    identity.kind_override.as_deref(),
                    identity.display_name.as_deref(),
                    identity.email.as_deref(),
                ])
            })
            .map_err(sql_error(path, || {
                format!("write identity `{key}` with id {}", identity.id)
            }))?;
    }
    Ok(())
}

fn write_link(tx: &Transaction<'_>, path: &Path, link: &Link) -> Result<(), StoreError> {
    // Links are undirected; the schema keeps the smaller id first.
    let (a, b) = if link.a < link.b {
        (link.a, link.b)
    } else {
        (link.b, link.a)
    };
    tx.prepare_cached(UPSERT_LINK)
        .and_then(|mut statement| {
            statement.execute(params![
                a,
                b,
                link.source.as_str(),
                link.evidence.as_deref(),
                to_millis(link.first_seen),
            ])
        })
        .map_err(sql_error(path, || {
            format!("write {} link between identities {a} and {b}", link.source)
        }))?;
    Ok(())
}

fn write_baseline(
    tx: &Transaction<'_>,
    path: &Path,
    baseline: &Baseline,
) -> Result<(), StoreError> {
    tx.prepare_cached(UPSERT_BASELINE)
        .and_then(|mut statement| {
            statement.execute(params![
                baseline.identity_id,
                baseline.format_version,
                baseline.data.as_slice(),
                to_millis(baseline.updated_at),
            ])
        })
        .map_err(sql_error(path, || {
            format!("write baseline of identity {}", baseline.identity_id)
        }))?;
    Ok(())
}

fn write_privilege(
    tx: &Transaction<'_>,
    path: &Path,
    privilege: &PrivilegeSeen,
) -> Result<(), StoreError> {
    tx.prepare_cached(UPSERT_PRIVILEGE)
        .and_then(|mut statement| {
            statement.execute(params![
                privilege.identity_id,
                privilege.privilege.as_ref(),
                privilege.admin,
                to_millis(privilege.first_seen),
                privilege.event_id.as_ref(),
            ])
        })
        .map_err(sql_error(path, || {
            format!(
                "write privilege `{}` of identity {}",
                privilege.privilege, privilege.identity_id
            )
        }))?;
    Ok(())
}

fn write_finding(
    tx: &Transaction<'_>,
    path: &Path,
    finding: &FindingRecord,
) -> Result<(), StoreError> {
    tx.prepare_cached(UPSERT_FINDING)
        .and_then(|mut statement| {
            statement.execute(params![
                finding.id,
                finding.detection.as_ref(),
                finding.severity.as_str(),
                finding.identity_id,
                to_millis(finding.first_seen),
                to_millis(finding.last_seen),
                finding.record,
            ])
        })
        .map_err(sql_error(path, || {
            format!("write finding `{}`", finding.id)
        }))?;
    Ok(())
}

fn write_incident(
    tx: &Transaction<'_>,
    path: &Path,
    incident: &IncidentRecord,
) -> Result<(), StoreError> {
    tx.prepare_cached(UPSERT_INCIDENT)
        .and_then(|mut statement| {
            statement.execute(params![
                incident.id,
                incident.severity.as_str(),
                incident.identity_id,
                to_millis(incident.first_seen),
                to_millis(incident.last_seen),
                incident.record,
            ])
        })
        .map_err(sql_error(path, || {
            format!("write incident `{}`", incident.id)
        }))?;
    Ok(())
}

fn write_checkpoint(
    tx: &Transaction<'_>,
    path: &Path,
    checkpoint: &Checkpoint,
) -> Result<(), StoreError> {
    let input = checkpoint
        .path
        .to_str()
        .ok_or_else(|| StoreError::Unwritable {
            path: path.to_owned(),
            table: "checkpoints",
            column: "path",
            value: checkpoint.path.display().to_string(),
            expected: "expected a path that is valid UTF-8",
        })?;
    let file_size = to_integer(path, "checkpoints", "file_size", checkpoint.file_size)?;
    let offset = to_integer(path, "checkpoints", "byte_offset", checkpoint.offset)?;
    let head_len = to_integer(path, "checkpoints", "head_len", checkpoint.head_len)?;
    let records_read = to_integer(path, "checkpoints", "records_read", checkpoint.records_read)?;
    tx.prepare_cached(UPSERT_CHECKPOINT)
        .and_then(|mut statement| {
            statement.execute(params![
                input,
                file_size,
                offset,
                head_len,
                checkpoint.head_sha256,
                records_read,
                to_millis(checkpoint.updated_at),
            ])
        })
        .map_err(sql_error(path, || format!("write checkpoint of `{input}`")))?;
    Ok(())
}

fn write_run_counts(
    tx: &Transaction<'_>,
    path: &Path,
    run_id: i64,
    counts: RunCounts,
) -> Result<(), StoreError> {
    let records = to_integer(path, "runs", "records", counts.records)?;
    let rejected = to_integer(path, "runs", "rejected", counts.rejected)?;
    let findings = to_integer(path, "runs", "findings", counts.findings)?;
    let updated = tx
        .prepare_cached(UPDATE_RUN_COUNTS)
        .and_then(|mut statement| statement.execute(params![run_id, records, rejected, findings]))
        .map_err(sql_error(path, || {
            format!("write the counters of run {run_id}")
        }))?;
    if updated == 0 {
        return Err(StoreError::RunNotFound {
            path: path.to_owned(),
            id: run_id,
        });
    }
    Ok(())
}

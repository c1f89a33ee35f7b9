//! Reads. Each returns what the last committed batch left; a batch being filled is not
//! visible.

use std::path::{Path, PathBuf};

use riposte_model::{IdentityKey, Severity};
use rusqlite::{OptionalExtension, Params, Row, params};

use crate::convert::{
    from_integer, from_millis, invalid_text, parse_kind, parse_provider, parse_severity,
};
use crate::records::{
    Baseline, Checkpoint, FindingRecord, IdentityFilter, IdentityRecord, IncidentRecord,
    LinkSource, LinkedIdentity, PrivilegeSeen, Run, RunCounts, RunStatus,
};
use crate::{Store, StoreError, sql_error};

/// Expands to a SELECT of every column [`RawIdentity`] reads, followed by `$rest`, as one
/// string literal so that no read formats its statement text.
macro_rules! select_identities {
    ($rest:literal) => {
        concat!(
            "SELECT id, provider, provider_id, kind, kind_override, display_name, email, ",
            "first_seen, last_seen, event_count, authentication_count FROM identities ",
            $rest
        )
    };
}

/// An identities row as SQLite returns it, before its values are checked.
struct RawIdentity {
    id: i64,
    provider: String,
    provider_id: String,
    kind: String,
    kind_override: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    first_seen: i64,
    last_seen: i64,
    event_count: i64,
    authentication_count: i64,
}

impl RawIdentity {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            provider: row.get(1)?,
            provider_id: row.get(2)?,
            kind: row.get(3)?,
            kind_override: row.get(4)?,
            display_name: row.get(5)?,
            email: row.get(6)?,
            first_seen: row.get(7)?,
            last_seen: row.get(8)?,
            event_count: row.get(9)?,
            authentication_count: row.get(10)?,
        })
    }

    fn into_record(self, path: &Path) -> Result<IdentityRecord, StoreError> {
        const TABLE: &str = "identities";
        let provider = parse_provider(&self.provider).ok_or_else(|| {
            invalid_text(
                path,
                TABLE,
                "provider",
                &self.provider,
                "expected aws, okta or entra",
            )
        })?;
        let kind = parse_kind(&self.kind).ok_or_else(|| {
            invalid_text(
                path,
                TABLE,
                "kind",
                &self.kind,
                "expected an identity kind this riposte knows",
            )
        })?;
        Ok(IdentityRecord {
            id: self.id,
            key: IdentityKey {
                provider,
                id: self.provider_id.into(),
            },
            kind,
            kind_override: self.kind_override.map(Into::into),
            display_name: self.display_name.map(Into::into),
            email: self.email.map(Into::into),
            first_seen: from_millis(path, TABLE, "first_seen", self.first_seen)?,
            last_seen: from_millis(path, TABLE, "last_seen", self.last_seen)?,
            event_count: from_integer(path, TABLE, "event_count", self.event_count)?,
            authentication_count: from_integer(
                path,
                TABLE,
                "authentication_count",
                self.authentication_count,
            )?,
        })
    }
}

impl Store {
    /// Runs a query and collects its rows through `from_row`, then checks each with
    /// `into_value`.
    fn collect<Raw, Value>(
        &self,
        sql: &str,
        params: impl Params,
        action: impl Fn() -> String,
        from_row: impl FnMut(&Row<'_>) -> rusqlite::Result<Raw>,
        into_value: impl Fn(Raw, &Path) -> Result<Value, StoreError>,
    ) -> Result<Vec<Value>, StoreError> {
        let path = self.path.as_path();
        let mut statement = self
            .conn
            .prepare_cached(sql)
            .map_err(sql_error(path, &action))?;
        let raws = statement
            .query_map(params, from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<Raw>>>())
            .map_err(sql_error(path, &action))?;
        raws.into_iter().map(|raw| into_value(raw, path)).collect()
    }

    /// Runs a query that returns at most one row.
    fn fetch_one<Raw, Value>(
        &self,
        sql: &str,
        params: impl Params,
        action: impl Fn() -> String,
        from_row: impl FnOnce(&Row<'_>) -> rusqlite::Result<Raw>,
        into_value: impl Fn(Raw, &Path) -> Result<Value, StoreError>,
    ) -> Result<Option<Value>, StoreError> {
        let path = self.path.as_path();
        let raw = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut statement| statement.query_row(params, from_row).optional())
            .map_err(sql_error(path, &action))?;
        raw.map(|raw| into_value(raw, path)).transpose()
    }

    /// Returns the id of a committed identity. Ids allocated by
    /// [`Store::resolve_identity`] but not committed yet are not returned.
    pub fn identity_id(&self, key: &IdentityKey) -> Result<Option<i64>, StoreError> {
        self.fetch_one(
            "SELECT id FROM identities WHERE provider = ?1 AND provider_id = ?2",
            params![key.provider.as_str(), key.id.as_ref()],
            || format!("look up identity `{key}`"),
            |row| row.get(0),
            |id, _| Ok(id),
        )
    }

    pub fn identity(&self, id: i64) -> Result<Option<IdentityRecord>, StoreError> {
        self.fetch_one(
            select_identities!("WHERE id = ?1"),
            params![id],
            || format!("read identity {id}"),
            RawIdentity::from_row,
            RawIdentity::into_record,
        )
    }

    pub fn identity_by_key(&self, key: &IdentityKey) -> Result<Option<IdentityRecord>, StoreError> {
        self.fetch_one(
            select_identities!("WHERE provider = ?1 AND provider_id = ?2"),
            params![key.provider.as_str(), key.id.as_ref()],
            || format!("read identity `{key}`"),
            RawIdentity::from_row,
            RawIdentity::into_record,
        )
    }

    /// Returns the identities whose e-mail address equals `email`, ignoring ASCII case, in id
    /// order.
    pub fn identities_with_email(&self, email: &str) -> Result<Vec<IdentityRecord>, StoreError> {
        self.collect(
            select_identities!("WHERE email = ?1 ORDER BY id"),
            params![email],
            || format!("read identities with e-mail address `{email}`"),
            RawIdentity::from_row,
            RawIdentity::into_record,
        )
    }

    /// Returns one page of identities in id order. Pass the id of the last row as
    /// [`IdentityFilter::after_id`] to get the next page; an empty page is the end.
    pub fn list_identities(
        &self,
        filter: &IdentityFilter,
    ) -> Result<Vec<IdentityRecord>, StoreError> {
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        // One statement text per combination of filters, so that each is prepared once and
        // the kind filter can use its index. SQLite sizes the parameter list by the largest
        // index in the text, `?4`, so all four values bind even when a filter is absent.
        let mut sql = String::from(select_identities!("WHERE id > ?1"));
        if filter.kind.is_some() {
            sql.push_str(" AND effective_kind = ?2");
        }
        if filter.provider.is_some() {
            sql.push_str(" AND provider = ?3");
        }
        sql.push_str(" ORDER BY id LIMIT ?4");
        self.collect(
            &sql,
            params![
                filter.after_id.unwrap_or(i64::MIN),
                filter.kind.as_deref(),
                filter.provider.map(|provider| provider.as_str()),
                limit
            ],
            || "list identities".to_owned(),
            RawIdentity::from_row,
            RawIdentity::into_record,
        )
    }

    /// Returns the links of an identity in both directions, ordered by the other identity's
    /// id, then by source.
    pub fn links(&self, identity_id: i64) -> Result<Vec<LinkedIdentity>, StoreError> {
        self.collect(
            "SELECT identity_b, source, evidence, first_seen FROM identity_links
             WHERE identity_a = ?1
             UNION ALL
             SELECT identity_a, source, evidence, first_seen FROM identity_links
             WHERE identity_b = ?1
             ORDER BY 1, 2",
            params![identity_id],
            || format!("read links of identity {identity_id}"),
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            },
            |(other, source, evidence, first_seen), path| {
                let source = source.parse::<LinkSource>().map_err(|()| {
                    invalid_text(
                        path,
                        "identity_links",
                        "source",
                        &source,
                        "expected a link source this riposte knows",
                    )
                })?;
                Ok(LinkedIdentity {
                    other,
                    source,
                    evidence: evidence.map(Into::into),
                    first_seen: from_millis(path, "identity_links", "first_seen", first_seen)?,
                })
            },
        )
    }

    pub fn baseline(&self, identity_id: i64) -> Result<Option<Baseline>, StoreError> {
        self.fetch_one(
            "SELECT format_version, data, updated_at FROM baselines WHERE identity_id = ?1",
            params![identity_id],
            || format!("read baseline of identity {identity_id}"),
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            },
            |(format_version, data, updated_at), path| {
                let format_version =
                    u32::try_from(format_version).map_err(|_| StoreError::InvalidValue {
                        path: path.to_owned(),
                        table: "baselines",
                        column: "format_version",
                        value: format_version.to_string(),
                        expected: "expected a version from 0 to 4294967295",
                    })?;
                Ok(Baseline {
                    identity_id,
                    format_version,
                    data,
                    updated_at: from_millis(path, "baselines", "updated_at", updated_at)?,
                })
            },
        )
    }

    /// Returns the privileges seen granted to an identity, by name.
    pub fn privileges(&self, identity_id: i64) -> Result<Vec<PrivilegeSeen>, StoreError> {
        self.collect(
            "SELECT privilege, admin, first_seen, event_id FROM privileges_seen
             WHERE identity_id = ?1 ORDER BY privilege",
            params![identity_id],
            || format!("read privileges of identity {identity_id}"),
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, bool>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, String>(3)?,
                ))
            },
            |(privilege, admin, first_seen, event_id), path| {
                Ok(PrivilegeSeen {
                    identity_id,
                    privilege: privilege.into(),
                    admin,
                    first_seen: from_millis(path, "privileges_seen", "first_seen", first_seen)?,
                    event_id: event_id.into(),
                })
            },
        )
    }

    /// Returns up to `limit` findings about an identity, the latest `last_seen` first.
    pub fn recent_findings(
        &self,
        identity_id: i64,
        limit: usize,
    ) -> Result<Vec<FindingRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.collect(
            "SELECT id, detection, severity, identity_id, first_seen, last_seen, record
             FROM findings WHERE identity_id = ?1
             ORDER BY last_seen DESC, id LIMIT ?2",
            params![identity_id, limit],
            || format!("read findings of identity {identity_id}"),
            raw_finding,
            into_finding,
        )
    }

    pub fn finding(&self, id: &str) -> Result<Option<FindingRecord>, StoreError> {
        self.fetch_one(
            "SELECT id, detection, severity, identity_id, first_seen, last_seen, record
             FROM findings WHERE id = ?1",
            params![id],
            || format!("read finding `{id}`"),
            raw_finding,
            into_finding,
        )
    }

    /// Returns up to `limit` incidents about an identity, the latest `last_seen` first.
    pub fn recent_incidents(
        &self,
        identity_id: i64,
        limit: usize,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.collect(
            "SELECT id, severity, identity_id, first_seen, last_seen, record
             FROM incidents WHERE identity_id = ?1
             ORDER BY last_seen DESC, id LIMIT ?2",
            params![identity_id, limit],
            || format!("read incidents of identity {identity_id}"),
            raw_incident,
            into_incident,
        )
    }

    pub fn incident(&self, id: &str) -> Result<Option<IncidentRecord>, StoreError> {
        self.fetch_one(
            "SELECT id, severity, identity_id, first_seen, last_seen, record
             FROM incidents WHERE id = ?1",
            params![id],
            || format!("read incident `{id}`"),
            raw_incident,
            into_incident,
        )
    }

    /// Returns the checkpoint stored for `input`, compared as text.
    pub fn checkpoint(&self, input: &Path) -> Result<Option<Checkpoint>, StoreError> {
        let Some(text) = input.to_str() else {
            // No checkpoint is ever written for a path that is not UTF-8.
            return Ok(None);
        };
        self.fetch_one(
            "SELECT path, file_size, byte_offset, head_len, head_sha256, records_read, updated_at
             FROM checkpoints WHERE path = ?1",
            params![text],
            || format!("read checkpoint of `{text}`"),
            raw_checkpoint,
            into_checkpoint,
        )
    }

    /// Returns the most recent checkpoint of a file whose first bytes hash to `head_sha256`,
    /// whatever its path: the same log renamed by rotation, or compressed, is found again.
    pub fn checkpoint_by_head(
        &self,
        head_len: u64,
        head_sha256: &str,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let head_len = i64::try_from(head_len).unwrap_or(i64::MAX);
        self.fetch_one(
            "SELECT path, file_size, byte_offset, head_len, head_sha256, records_read, updated_at
             FROM checkpoints WHERE head_len = ?1 AND head_sha256 = ?2
             ORDER BY records_read DESC, updated_at DESC LIMIT 1",
            params![head_len, head_sha256],
            || "read checkpoints by content".to_owned(),
            raw_checkpoint,
            into_checkpoint,
        )
    }

    /// Returns every checkpoint, by path.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.collect(
            "SELECT path, file_size, byte_offset, head_len, head_sha256, records_read, updated_at
             FROM checkpoints ORDER BY path",
            [],
            || "read checkpoints".to_owned(),
            raw_checkpoint,
            into_checkpoint,
        )
    }

    /// Returns up to `limit` runs, the latest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<Run>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.collect(
            "SELECT id, command, started_at, finished_at, records, rejected, findings, status
             FROM runs ORDER BY id DESC LIMIT ?1",
            params![limit],
            || "read runs".to_owned(),
            |row| {
                Ok(RawRun {
                    id: row.get(0)?,
                    command: row.get(1)?,
                    started_at: row.get(2)?,
                    finished_at: row.get(3)?,
                    records: row.get(4)?,
                    rejected: row.get(5)?,
                    findings: row.get(6)?,
                    status: row.get(7)?,
                })
            },
            RawRun::into_run,
        )
    }
}

type RawFinding = (String, String, String, i64, i64, i64, String);

fn raw_finding(row: &Row<'_>) -> rusqlite::Result<RawFinding> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn into_finding(raw: RawFinding, path: &Path) -> Result<FindingRecord, StoreError> {
    let (id, detection, severity, identity_id, first_seen, last_seen, record) = raw;
    Ok(FindingRecord {
        detection: detection.into(),
        severity: severity_column(path, "findings", &severity)?,
        identity_id,
        first_seen: from_millis(path, "findings", "first_seen", first_seen)?,
        last_seen: from_millis(path, "findings", "last_seen", last_seen)?,
        record,
        id,
    })
}

type RawIncident = (String, String, i64, i64, i64, String);

fn raw_incident(row: &Row<'_>) -> rusqlite::Result<RawIncident> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn into_incident(raw: RawIncident, path: &Path) -> Result<IncidentRecord, StoreError> {
    let (id, severity, identity_id, first_seen, last_seen, record) = raw;
    Ok(IncidentRecord {
        severity: severity_column(path, "incidents", &severity)?,
        identity_id,
        first_seen: from_millis(path, "incidents", "first_seen", first_seen)?,
        last_seen: from_millis(path, "incidents", "last_seen", last_seen)?,
        record,
        id,
    })
}

fn severity_column(path: &Path, table: &'static str, text: &str) -> Result<Severity, StoreError> {
    parse_severity(text).ok_or_else(|| {
        invalid_text(
            path,
            table,
            "severity",
            text,
            "expected info, low, medium, high or critical",
        )
    })
}

type RawCheckpoint = (String, i64, i64, i64, String, i64, i64);

fn raw_checkpoint(row: &Row<'_>) -> rusqlite::Result<RawCheckpoint> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn into_checkpoint(raw: RawCheckpoint, path: &Path) -> Result<Checkpoint, StoreError> {
    const TABLE: &str = "checkpoints";
    let (input, file_size, offset, head_len, head_sha256, records_read, updated_at) = raw;
    Ok(Checkpoint {
        path: PathBuf::from(input),
        file_size: from_integer(path, TABLE, "file_size", file_size)?,
        offset: from_integer(path, TABLE, "byte_offset", offset)?,
        head_len: from_integer(path, TABLE, "head_len", head_len)?,
        head_sha256,
        records_read: from_integer(path, TABLE, "records_read", records_read)?,
        updated_at: from_millis(path, TABLE, "updated_at", updated_at)?,
    })
}

struct RawRun {
    id: i64,
    command: String,
    started_at: i64,
    finished_at: Option<i64>,
    records: i64,
    rejected: i64,
    findings: i64,
    status: String,
}

impl RawRun {
    fn into_run(self, path: &Path) -> Result<Run, StoreError> {
        const TABLE: &str = "runs";
        let status = RunStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == self.status)
            .ok_or_else(|| {
                invalid_text(
                    path,
                    TABLE,
                    "status",
                    &self.status,
                    "expected running, completed or failed",
                )
            })?;
        Ok(Run {
            id: self.id,
            command: self.command,
            started_at: from_millis(path, TABLE, "started_at", self.started_at)?,
            finished_at: self
                .finished_at
                .map(|millis| from_millis(path, TABLE, "finished_at", millis))
                .transpose()?,
            counts: RunCounts {
                records: from_integer(path, TABLE, "records", self.records)?,
                rejected: from_integer(path, TABLE, "rejected", self.rejected)?,
                findings: from_integer(path, TABLE, "findings", self.findings)?,
            },
            status,
        })
    }
}

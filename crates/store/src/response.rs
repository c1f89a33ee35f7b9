//! Containment state: actions keyed by idempotency key, approvals, and the hash-chained audit
//! log.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::convert::{from_millis, to_millis};
use crate::{Store, StoreError, sql_error};
use riposte_model::Timestamp;

/// Where an action stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionStatus {
    /// The policy allows automatic execution; the next `respond` executes it.
    Planned,
    /// The policy allows only a recommendation; nothing will be executed.
    Recommended,
    PendingApproval,
    Denied,
    /// The approval timed out; the default is not to act.
    Expired,
    Approved,
    /// Execution started and its end was not recorded. After a crash, the action is verified
    /// before anything else is done with it, so that it is never executed twice.
    Executing,
    Executed,
    Verified,
    Failed,
    Reverted,
}

impl ActionStatus {
    pub const ALL: [Self; 11] = [
        Self::Planned,
        Self::Recommended,
        Self::PendingApproval,
        Self::Denied,
        Self::Expired,
        Self::Approved,
        Self::Executing,
        Self::Executed,
        Self::Verified,
        Self::Failed,
        Self::Reverted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Recommended => "recommended",
            Self::PendingApproval => "pending_approval",
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Approved => "approved",
            Self::Executing => "executing",
            Self::Executed => "executed",
            Self::Verified => "verified",
            Self::Failed => "failed",
            Self::Reverted => "reverted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A containment action as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub idempotency_key: String,
    pub incident_id: String,
    pub kind: String,
    pub system: String,
    pub target: String,
    /// The `riposte_action::ActionRequest` as JSON.
    pub request: String,
    /// `execute`, `approve` or `recommend`.
    pub decision: String,
    /// The policies that decided, as a JSON array.
    pub policies: String,
    pub status: ActionStatus,
    /// The connector's `Execution` as JSON, once executed.
    pub execution: Option<String>,
    pub revert_at: Option<Timestamp>,
    /// When execution started.
    pub executed_at: Option<Timestamp>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where an approval stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Denied,
    Expired,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Approved, Self::Denied, Self::Expired]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalRecord {
    pub id: i64,
    pub action_key: String,
    pub requested_at: Timestamp,
    pub timeout_at: Timestamp,
    pub escalation: String,
    pub status: ApprovalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub reason: Option<String>,
}

/// The result of checking the audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditCheck {
    /// Every row's hash matches its content and its predecessor.
    Intact { records: u64 },
    /// The chain breaks at `seq`: the row was edited, or a row before it was deleted.
    Broken { seq: i64, reason: String },
}

/// The hash that starts the chain.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn chain_hash(previous: &str, seq: i64, time: i64, kind: &str, record: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        previous.as_bytes(),
        seq.to_string().as_bytes(),
        time.to_string().as_bytes(),
        kind.as_bytes(),
        record.as_bytes(),
    ] {
        // Each part is length-prefixed, so that moving bytes between parts changes the hash.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

type RawAction = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
);

const ACTION_COLUMNS: &str = "idempotency_key, incident_id, kind, system, target, request, \
     decision, policies, status, execution, revert_at, executed_at, error, created_at, updated_at";

type RawApproval = (
    i64,
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

const APPROVAL_COLUMNS: &str = "id, action_key, requested_at, timeout_at, escalation, status, \
     decided_by, decided_at, reason";

impl Store {
    /// Inserts an action, or replaces the stored row with the same idempotency key.
    pub fn put_action(&mut self, action: &ActionRecord) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO actions ({ACTION_COLUMNS}) VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (idempotency_key) DO UPDATE SET
                    decision = excluded.decision, policies = excluded.policies,
                    status = excluded.status, execution = excluded.execution,
                    revert_at = excluded.revert_at, executed_at = excluded.executed_at,
                    error = excluded.error,
                    updated_at = excluded.updated_at"
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    action.idempotency_key,
                    action.incident_id,
                    action.kind,
                    action.system,
                    action.target,
                    action.request,
                    action.decision,
                    action.policies,
                    action.status.as_str(),
                    action.execution,
                    action.revert_at.map(to_millis),
                    action.executed_at.map(to_millis),
                    action.error,
                    to_millis(action.created_at),
                    to_millis(action.updated_at),
                ])
            })
            .map(|_| ())
            .map_err(sql_error(&path, || {
                format!("write action `{}`", action.idempotency_key)
            }))
    }

    /// Moves an action to `executing` if it is still as `expected` read it (same status and
    /// same `updated_at`), in one statement. Returns false when another process changed it
    /// first, so that two runs never both execute one action.
    pub fn claim_action(
        &mut self,
        expected: &ActionRecord,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let path = self.path.clone();
        self.conn
            .prepare_cached(
                "UPDATE actions SET status = 'executing', executed_at = ?1, updated_at = ?1
                 WHERE idempotency_key = ?2 AND status = ?3 AND updated_at = ?4",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    to_millis(now),
                    expected.idempotency_key,
                    expected.status.as_str(),
                    to_millis(expected.updated_at),
                ])
            })
            .map(|changed| changed == 1)
            .map_err(sql_error(&path, || {
                format!("claim action `{}`", expected.idempotency_key)
            }))
    }

    pub fn action(&self, idempotency_key: &str) -> Result<Option<ActionRecord>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ACTION_COLUMNS} FROM actions WHERE idempotency_key = ?1"
            ))
            .and_then(|mut statement| {
                statement
                    .query_row([idempotency_key], raw_action)
                    .optional()
            })
            .map_err(sql_error(&self.path, || {
                format!("read action `{idempotency_key}`")
            }))?;
        raw.map(|raw| self.decode_action(raw)).transpose()
    }

    /// Returns the actions in `statuses`, oldest first.
    pub fn actions_with_status(
        &self,
        statuses: &[ActionStatus],
    ) -> Result<Vec<ActionRecord>, StoreError> {
        let mut found = Vec::new();
        for status in statuses {
            let raws: Vec<RawAction> = self
                .conn
                .prepare_cached(&format!(
                    "SELECT {ACTION_COLUMNS} FROM actions WHERE status = ?1 ORDER BY created_at, idempotency_key"
                ))
                .and_then(|mut statement| {
                    statement
                        .query_map([status.as_str()], raw_action)?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(sql_error(&self.path, || {
                    format!("read actions with status {}", status.as_str())
                }))?;
            for raw in raws {
                found.push(self.decode_action(raw)?);
            }
        }
        found.sort_by(|a, b| {
            (a.created_at, &a.idempotency_key).cmp(&(b.created_at, &b.idempotency_key))
        });
        Ok(found)
    }

    /// Counts actions executed automatically (without an approval) since `since`.
    pub fn automatic_executions_since(
        &self,
        since: Timestamp,
        kind: Option<&str>,
    ) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM actions
                 WHERE decision = 'execute' AND executed_at >= ?1 AND (?2 IS NULL OR kind = ?2)",
            )
            .and_then(|mut statement| {
                statement.query_row(params![to_millis(since), kind], |row| row.get(0))
            })
            .map_err(sql_error(&self.path, || {
                "count automatic actions".to_owned()
            }))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn decode_action(&self, raw: RawAction) -> Result<ActionRecord, StoreError> {
        let path = self.path.as_path();
        let (
            idempotency_key,
            incident_id,
            kind,
            system,
            target,
            request,
            decision,
            policies,
            status,
            execution,
            revert_at,
            executed_at,
            error,
            created_at,
            updated_at,
        ) = raw;
        let status = ActionStatus::parse(&status).ok_or_else(|| StoreError::InvalidValue {
            path: path.to_owned(),
            table: "actions",
            column: "status",
            value: status.clone(),
            expected: "expected an action status",
        })?;
        Ok(ActionRecord {
            idempotency_key,
            incident_id,
            kind,
            system,
            target,
            request,
            decision,
            policies,
            status,
            execution,
            revert_at: revert_at
                .map(|millis| from_millis(path, "actions", "revert_at", millis))
                .transpose()?,
            executed_at: executed_at
                .map(|millis| from_millis(path, "actions", "executed_at", millis))
                .transpose()?,
            error,
            created_at: from_millis(path, "actions", "created_at", created_at)?,
            updated_at: from_millis(path, "actions", "updated_at", updated_at)?,
        })
    }

    /// Records a pending approval for an action and returns its id.
    pub fn request_approval(
        &mut self,
        action_key: &str,
        requested_at: Timestamp,
        timeout_at: Timestamp,
        escalation: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO approvals (action_key, requested_at, timeout_at, escalation, status)
                 VALUES (?1, ?2, ?3, ?4, 'pending') RETURNING id",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![
                        action_key,
                        to_millis(requested_at),
                        to_millis(timeout_at),
                        escalation
                    ],
                    |row| row.get(0),
                )
            })
            .map_err(sql_error(&self.path, || {
                format!("request an approval for `{action_key}`")
            }))
    }

    pub fn approval(&self, id: i64) -> Result<Option<ApprovalRecord>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = ?1"
            ))
            .and_then(|mut statement| statement.query_row([id], raw_approval).optional())
            .map_err(sql_error(&self.path, || format!("read approval {id}")))?;
        raw.map(|raw| self.decode_approval(raw)).transpose()
    }

    /// Returns the approvals with `status`, or all of them, oldest first.
    pub fn approvals(
        &self,
        status: Option<ApprovalStatus>,
    ) -> Result<Vec<ApprovalRecord>, StoreError> {
        let raws: Vec<RawApproval> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE ?1 IS NULL OR status = ?1 ORDER BY id"
            ))
            .and_then(|mut statement| {
                statement
                    .query_map([status.map(ApprovalStatus::as_str)], raw_approval)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(sql_error(&self.path, || "read approvals".to_owned()))?;
        raws.into_iter()
            .map(|raw| self.decode_approval(raw))
            .collect()
    }

    /// Records the decision on a pending approval. Returns false when the approval was not
    /// pending any more (decided or expired before).
    pub fn decide_approval(
        &mut self,
        id: i64,
        status: ApprovalStatus,
        decided_by: &str,
        decided_at: Timestamp,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE approvals SET status = ?2, decided_by = ?3, decided_at = ?4, reason = ?5
                 WHERE id = ?1 AND status = 'pending'",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    id,
                    status.as_str(),
                    decided_by,
                    to_millis(decided_at),
                    reason
                ])
            })
            .map_err(sql_error(&self.path, || format!("decide approval {id}")))?;
        Ok(changed == 1)
    }

    fn decode_approval(&self, raw: RawApproval) -> Result<ApprovalRecord, StoreError> {
        let path = self.path.as_path();
        let (
            id,
            action_key,
            requested_at,
            timeout_at,
            escalation,
            status,
            decided_by,
            decided_at,
            reason,
        ) = raw;
        let status = ApprovalStatus::parse(&status).ok_or_else(|| StoreError::InvalidValue {
            path: path.to_owned(),
            table: "approvals",
            column: "status",
            value: status.clone(),
            expected: "expected pending, approved, denied or expired",
        })?;
        Ok(ApprovalRecord {
            id,
            action_key,
            requested_at: from_millis(path, "approvals", "requested_at", requested_at)?,
            timeout_at: from_millis(path, "approvals", "timeout_at", timeout_at)?,
            escalation,
            status,
            decided_by,
            decided_at: decided_at
                .map(|millis| from_millis(path, "approvals", "decided_at", millis))
                .transpose()?,
            reason,
        })
    }

    /// Appends a record to the audit log, chained to the previous one, and returns its
    /// sequence number.
    pub fn append_audit(
        &mut self,
        kind: &str,
        record: &serde_json::Value,
        time: Timestamp,
    ) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let record = record.to_string();
        let time = to_millis(time);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error(&path, || "begin an audit write".to_owned()))?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(sql_error(&path, || "read the last audit record".to_owned()))?;
        let (seq, previous) = match last {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS.to_owned()),
        };
        let hash = chain_hash(&previous, seq, time, kind, &record);
        tx.execute(
            "INSERT INTO audit (seq, time, kind, record, previous_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![seq, time, kind, record, previous, hash],
        )
        .map_err(sql_error(&path, || "append an audit record".to_owned()))?;
        tx.commit()
            .map_err(sql_error(&path, || "commit an audit record".to_owned()))?;
        Ok(seq)
    }

    /// Returns the audit records from `after` on, as (seq, time, kind, record JSON).
    pub fn audit_records(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Timestamp, String, String)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws: Vec<(i64, i64, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, time, kind, record FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .and_then(|mut statement| {
                statement
                    .query_map(params![after, limit], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(sql_error(&self.path, || "read audit records".to_owned()))?;
        raws.into_iter()
            .map(|(seq, time, kind, record)| {
                Ok((
                    seq,
                    from_millis(&self.path, "audit", "time", time)?,
                    kind,
                    record,
                ))
            })
            .collect()
    }

    /// Returns the hash of the newest audit record, which anchors the whole chain.
    pub fn audit_last_hash(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_error(&self.path, || {
                "read the last audit hash".to_owned()
            }))
    }

    /// Recomputes the audit chain and reports the first row that does not match: an edited
    /// row, a deleted row (a gap in `seq`, or a previous hash that no longer matches), or a
    /// row inserted out of order.
    pub fn verify_audit(&self) -> Result<AuditCheck, StoreError> {
        let mut statement = self
            .conn
            .prepare("SELECT seq, time, kind, record, previous_hash, hash FROM audit ORDER BY seq")
            .map_err(sql_error(&self.path, || "read the audit log".to_owned()))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .map_err(sql_error(&self.path, || "read the audit log".to_owned()))?;
        let mut previous = GENESIS.to_owned();
        let mut records = 0;
        for (expected_seq, row) in (1_i64..).zip(rows) {
            let (seq, time, kind, record, previous_hash, hash) =
                row.map_err(sql_error(&self.path, || "read the audit log".to_owned()))?;
            if seq != expected_seq {
                return Ok(AuditCheck::Broken {
                    seq,
                    reason: format!("record {expected_seq} is missing"),
                });
            }
            if previous_hash != previous {
                return Ok(AuditCheck::Broken {
                    seq,
                    reason: "the previous record was changed or removed".to_owned(),
                });
            }
            if chain_hash(&previous, seq, time, &kind, &record) != hash {
                return Ok(AuditCheck::Broken {
                    seq,
                    reason: "the record's content does not match its hash".to_owned(),
                });
            }
            previous = hash;
            records += 1;
        }
        Ok(AuditCheck::Intact { records })
    }
}

fn raw_action(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawAction> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
        row.get(13)?,
        row.get(14)?,
    ))
}

fn raw_approval(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawApproval> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

//! Carries out containment: records the decided plans of incidents, asks people for approvals
//! with a timeout, limits automatic actions with a circuit breaker, executes through the
//! connectors without ever executing the same action twice, verifies, reverts time-limited
//! actions when they expire, and appends every step to the hash-chained audit log.
//!
//! The wall clock is used here on purpose: containment happens now, not at the time of the
//! logged events. Every entry point takes the current time as an argument, so that tests and
//! drills can run on a simulated clock.

mod breaker;
mod connectors;
mod planner;
mod settings;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::TimeDelta;
use riposte_action::{
    ActionRequest, ApiCallRecord, CallLog, Connector, Execution, System, Verification,
};
use riposte_model::Timestamp;
use riposte_store::{ActionRecord, ActionStatus, ApprovalStatus, Store, StoreError};
use serde::Serialize;
use serde_json::json;

pub use breaker::{Breaker, BreakerVerdict};
pub use connectors::ConnectorSettings;
pub use planner::{IncidentResponse, PlannedResponse, Planner};
pub use settings::{BreakerSettings, ResponseSettings};

/// What the policy decided for one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Execute without asking anyone.
    Execute,
    /// Execute once a person approves.
    Approve,
    /// Only tell people what should be done.
    Recommend,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Execute => "execute",
            Self::Approve => "approve",
            Self::Recommend => "recommend",
        }
    }
}

/// An action of an incident's plan with its decision, ready to record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecidedStep {
    pub request: ActionRequest,
    pub decision: Decision,
    /// The ids of the policies that decided, for the audit record.
    pub policies: Vec<String>,
    /// For a time-limited action, how long after execution it is reverted.
    pub revert_after_secs: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum RespondError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored action `{key}` cannot be read back: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("no approval {0}: see `riposte approvals list`")]
    UnknownApproval(i64),
    #[error("approval {id} is already {status}")]
    AlreadyDecided { id: i64, status: &'static str },
}

/// What one `respond` run did, for the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResponseReport {
    pub executed: Vec<ActionOutcome>,
    pub failed: Vec<ActionOutcome>,
    /// Actions the dry run would have executed.
    pub would_execute: Vec<ActionOutcome>,
    pub reverted: Vec<ActionOutcome>,
    /// Approvals that timed out; the actions were not taken.
    pub expired_approvals: Vec<i64>,
    /// Actions held back by the circuit breaker, now waiting for approval.
    pub held_by_breaker: Vec<String>,
    /// Actions left waiting because no connector of their system is configured; they run
    /// once one is.
    pub unconfigured: Vec<ActionOutcome>,
    pub breaker_tripped: bool,
}

/// One action's outcome in a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionOutcome {
    pub idempotency_key: String,
    pub incident_id: String,
    pub action: &'static str,
    pub target: String,
    pub detail: String,
    /// Wall time from the start of execution to its last API call's end, in milliseconds.
    pub duration_ms: u64,
    pub calls: Vec<ApiCallRecord>,
}

impl ActionOutcome {
    /// Describes an action of `record` that made no API call in this run.
    fn without_calls(record: &ActionRecord, action: &'static str, detail: String) -> Self {
        Self {
            idempotency_key: record.idempotency_key.clone(),
            incident_id: record.incident_id.clone(),
            action,
            target: record.target.clone(),
            detail,
            duration_ms: 0,
            calls: Vec::new(),
        }
    }
}

/// Carries out containment against a state file.
pub struct Responder {
    store: Store,
    connectors: HashMap<System, Arc<dyn Connector>>,
    settings: ResponseSettings,
}

impl Responder {
    pub fn new(
        store: Store,
        connectors: Vec<Arc<dyn Connector>>,
        settings: ResponseSettings,
    ) -> Self {
        Self {
            store,
            connectors: connectors
                .into_iter()
                .map(|connector| (connector.system(), connector))
                .collect(),
            settings,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn into_store(self) -> Store {
        self.store
    }

    /// Appends a record to the audit log. A record that cannot be written stops the run
    /// with the error: riposte takes no action it cannot account for.
    fn audit(
        &mut self,
        kind: &str,
        record: serde_json::Value,
        now: Timestamp,
    ) -> Result<(), RespondError> {
        self.store.append_audit(kind, &record, now)?;
        Ok(())
    }

    /// Records the decided steps of incidents. A step already recorded (same idempotency
    /// key) is left as it is, so that re-running a hunt never plans an action twice.
    pub fn record_plans(
        &mut self,
        steps: &[DecidedStep],
        now: Timestamp,
    ) -> Result<usize, RespondError> {
        let mut recorded = 0;
        for step in steps {
            let key = step.request.idempotency_key();
            if self.store.action(&key)?.is_some() {
                continue;
            }
            let status = match step.decision {
                Decision::Execute => ActionStatus::Planned,
                Decision::Approve => ActionStatus::PendingApproval,
                Decision::Recommend => ActionStatus::Recommended,
            };
            let record = ActionRecord {
                idempotency_key: key.clone(),
                incident_id: step.request.incident_id.clone(),
                kind: step.request.action.kind().to_owned(),
                system: step.request.action.system().as_str().to_owned(),
                target: step.request.action.target(),
                request: serde_json::to_string(&step.request).unwrap_or_default(),
                decision: step.decision.as_str().to_owned(),
                policies: serde_json::to_string(&step.policies).unwrap_or_default(),
                status,
                execution: None,
                revert_at: None,
                executed_at: None,
                error: None,
                created_at: now,
                updated_at: now,
            };
            self.store.put_action(&record)?;
            self.audit(
                "decision",
                json!({
                    "action": key,
                    "incident": step.request.incident_id,
                    "kind": step.request.action.kind(),
                    "target": step.request.action.target(),
                    "decision": step.decision.as_str(),
                    "policies": step.policies,
                    "revert_after_secs": step.revert_after_secs,
                }),
                now,
            )?;
            if step.decision == Decision::Approve {
                self.request_approval(&key, now)?;
            }
            recorded += 1;
        }
        Ok(recorded)
    }

    fn request_approval(&mut self, key: &str, now: Timestamp) -> Result<i64, RespondError> {
        let timeout = now + self.settings.approval_timeout();
        let escalation = self.settings.escalation.clone();
        let id = self
            .store
            .request_approval(key, now, timeout, &escalation)?;
        self.audit(
            "approval",
            json!({"approval": id, "action": key, "status": "pending", "timeout_at": timeout, "escalation": escalation}),
            now,
        )?;
        Ok(id)
    }

    /// Approves a pending approval; the action is executed by the next `respond`.
    pub fn approve(&mut self, id: i64, approver: &str, now: Timestamp) -> Result<(), RespondError> {
        self.decide(id, ApprovalStatus::Approved, approver, None, now)
    }

    /// Denies a pending approval; the action is never executed.
    pub fn deny(
        &mut self,
        id: i64,
        approver: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), RespondError> {
        self.decide(id, ApprovalStatus::Denied, approver, Some(reason), now)
    }

    fn decide(
        &mut self,
        id: i64,
        status: ApprovalStatus,
        approver: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<(), RespondError> {
        let approval = self
            .store
            .approval(id)?
            .ok_or(RespondError::UnknownApproval(id))?;
        if approval.status != ApprovalStatus::Pending {
            return Err(RespondError::AlreadyDecided {
                id,
                status: approval.status.as_str(),
            });
        }
        if approval.timeout_at <= now {
            self.expire(&approval.action_key, id, now)?;
            return Err(RespondError::AlreadyDecided {
                id,
                status: ApprovalStatus::Expired.as_str(),
            });
        }
        if !self
            .store
            .decide_approval(id, status, approver, now, reason)?
        {
            return Err(RespondError::AlreadyDecided {
                id,
                status: "decided",
            });
        }
        let action_status = match status {
            ApprovalStatus::Approved => ActionStatus::Approved,
            _ => ActionStatus::Denied,
        };
        self.set_status(&approval.action_key, action_status, None, now)?;
        self.audit(
            "approval",
            json!({"approval": id, "action": approval.action_key, "status": status.as_str(), "by": approver, "reason": reason}),
            now,
        )?;
        Ok(())
    }

    fn expire(&mut self, key: &str, id: i64, now: Timestamp) -> Result<(), RespondError> {
        if self.store.decide_approval(
            id,
            ApprovalStatus::Expired,
            "riposte",
            now,
            Some("timed out"),
        )? {
            self.set_status(key, ActionStatus::Expired, None, now)?;
            let escalation = self.settings.escalation.clone();
            self.audit(
                "approval",
                json!({"approval": id, "action": key, "status": "expired", "escalated_to": escalation}),
                now,
            )?;
        }
        Ok(())
    }

    fn set_status(
        &mut self,
        key: &str,
        status: ActionStatus,
        error: Option<String>,
        now: Timestamp,
    ) -> Result<(), RespondError> {
        if let Some(mut record) = self.store.action(key)? {
            record.status = status;
            record.error = error;
            record.updated_at = now;
            self.store.put_action(&record)?;
        }
        Ok(())
    }

    /// Expires approvals past their timeout, executes planned and approved actions (unless
    /// `dry_run`), verifies them, and reverts time-limited actions that are due.
    pub async fn run(
        &mut self,
        dry_run: bool,
        now: Timestamp,
    ) -> Result<ResponseReport, RespondError> {
        let mut report = ResponseReport::default();

        for approval in self.store.approvals(Some(ApprovalStatus::Pending))? {
            if approval.timeout_at <= now {
                // A dry run changes nothing: it only reports what a real run would expire.
                if !dry_run {
                    self.expire(&approval.action_key, approval.id, now)?;
                }
                report.expired_approvals.push(approval.id);
            }
        }

        // An action left executing by a crash is verified first: if it took effect it is
        // recorded as executed, otherwise it is executed again.
        let interrupted = self.store.actions_with_status(&[ActionStatus::Executing])?;
        let ready = self
            .store
            .actions_with_status(&[ActionStatus::Planned, ActionStatus::Approved])?;
        let breaker = Breaker::new(self.settings.breaker.clone());
        let approved: HashSet<String> = self
            .store
            .approvals(Some(ApprovalStatus::Approved))?
            .into_iter()
            .map(|approval| approval.action_key)
            .collect();
        for record in interrupted.into_iter().chain(ready) {
            let request = match self.checked_request(&record, &approved) {
                Ok(request) => request,
                Err(reason) => {
                    // One unreadable or edited row must not hold back the others.
                    tracing::error!(action = %record.idempotency_key, %reason, "action not executed");
                    self.set_status(
                        &record.idempotency_key,
                        ActionStatus::Failed,
                        Some(reason.clone()),
                        now,
                    )?;
                    self.audit(
                        "action",
                        json!({"action": record.idempotency_key, "status": "failed", "error": reason}),
                        now,
                    )?;
                    report
                        .failed
                        .push(ActionOutcome::without_calls(&record, "unknown", reason));
                    continue;
                }
            };
            let system = request.action.system();
            let Some(connector) = self.connectors.get(&system).cloned() else {
                let detail = format!("no {system} connector is configured");
                report.unconfigured.push(ActionOutcome::without_calls(
                    &record,
                    request.action.kind(),
                    detail,
                ));
                continue;
            };
            if dry_run {
                let detail = match connector.plan(&request) {
                    Ok(calls) => calls
                        .iter()
                        .map(|call| format!("{} {}: {}", call.method, call.endpoint, call.summary))
                        .collect::<Vec<_>>()
                        .join("; "),
                    Err(error) => format!("cannot be planned: {error}"),
                };
                report.would_execute.push(ActionOutcome::without_calls(
                    &record,
                    request.action.kind(),
                    detail,
                ));
                continue;
            }
            if record.status == ActionStatus::Planned {
                let verdict = breaker.check(&self.store, &record, now)?;
                if let BreakerVerdict::Trip { reason } = verdict {
                    report.breaker_tripped = true;
                    report.held_by_breaker.push(record.idempotency_key.clone());
                    self.audit(
                        "circuit_breaker",
                        json!({"action": record.idempotency_key, "tripped": true, "reason": reason}),
                        now,
                    )?;
                    tracing::warn!(action = %record.idempotency_key, %reason, "circuit breaker tripped; the action waits for approval");
                    // The held action now waits for a person, so its decision becomes `approve`
                    // and it does not count as automatic once approved and executed. The audit
                    // log keeps the policy's decision.
                    let mut held_record = record;
                    held_record.decision = Decision::Approve.as_str().to_owned();
                    held_record.status = ActionStatus::PendingApproval;
                    held_record.error = Some(reason);
                    held_record.updated_at = now;
                    self.store.put_action(&held_record)?;
                    self.request_approval(&held_record.idempotency_key, now)?;
                    continue;
                }
            }
            let outcome = self.execute(record, request, connector, now).await?;
            match outcome {
                Ok(outcome) => report.executed.push(outcome),
                Err(outcome) => report.failed.push(outcome),
            }
        }

        if !dry_run {
            self.revert_due(now, &mut report).await?;
        }
        Ok(report)
    }

    /// Executes one action and records every step. Returns the outcome, `Err` when the action
    /// failed (the error is recorded, not propagated).
    async fn execute(
        &mut self,
        mut record: ActionRecord,
        request: ActionRequest,
        connector: Arc<dyn Connector>,
        now: Timestamp,
    ) -> Result<Result<ActionOutcome, ActionOutcome>, RespondError> {
        let key = record.idempotency_key.clone();
        let outcome = |detail: String, duration_ms: u64, calls: Vec<ApiCallRecord>| ActionOutcome {
            idempotency_key: key.clone(),
            incident_id: request.incident_id.clone(),
            action: request.action.kind(),
            target: request.action.target(),
            detail,
            duration_ms,
            calls,
        };
        let started = Instant::now();
        let mut log = CallLog::default();
        let previous_execution: Option<Execution> = record
            .execution
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok());
        if record.status == ActionStatus::Executing {
            // Interrupted by a crash after the intent was recorded: look before acting again.
            let execution = previous_execution.clone().unwrap_or_default();
            if let Ok(Verification::Confirmed(detail)) =
                connector.verify(&request, &execution, &mut log).await
            {
                self.audit_calls(&key, &log, now)?;
                record.status = ActionStatus::Verified;
                record.updated_at = now;
                self.store.put_action(&record)?;
                self.audit(
                    "action",
                    json!({"action": key, "status": "verified", "detail": detail, "after": "interrupted execution"}),
                    now,
                )?;
                let duration = riposte_action::millis(started.elapsed());
                return Ok(Ok(outcome(detail, duration, log.records)));
            }
        }

        // The intent is recorded before the first call, so that a crash between the call and
        // the record leaves `executing`, which the next run verifies instead of repeating. The
        // claim fails when another run changed the action since it was read.
        if !self.store.claim_action(&record, now)? {
            let detail = "another run took the action first; it was not executed here".to_owned();
            tracing::warn!(action = %key, "{detail}");
            return Ok(Err(outcome(detail, 0, log.records)));
        }
        record.status = ActionStatus::Executing;
        record.executed_at = Some(now);
        record.updated_at = now;
        self.audit("action", json!({"action": key, "status": "executing", "kind": request.action.kind(), "target": request.action.target()}), now)?;

        let executed = connector.execute(&request, &mut log).await;
        let execution = match executed {
            Ok(execution) => execution,
            Err(error) => {
                self.audit_calls(&key, &log, now)?;
                let detail = error.to_string();
                record.status = ActionStatus::Failed;
                record.error = Some(detail.clone());
                record.updated_at = now;
                self.store.put_action(&record)?;
                self.audit(
                    "action",
                    json!({"action": key, "status": "failed", "error": detail}),
                    now,
                )?;
                let duration = riposte_action::millis(started.elapsed());
                return Ok(Err(outcome(detail, duration, log.records)));
            }
        };
        let verification = connector.verify(&request, &execution, &mut log).await;
        let duration = riposte_action::millis(started.elapsed());
        self.audit_calls(&key, &log, now)?;

        let revert_after = self.settings.revert_after(&request);
        record.execution = serde_json::to_string(&execution).ok();
        record.revert_at = revert_after.map(|after| now + after);
        record.updated_at = now;
        let (status, detail) = match verification {
            Ok(Verification::Confirmed(detail)) => (ActionStatus::Verified, detail),
            Ok(Verification::NotConfirmed(detail)) => (
                ActionStatus::Executed,
                format!("executed, but the effect is not visible yet: {detail}"),
            ),
            Err(error) => (
                ActionStatus::Executed,
                format!("executed, but verification failed: {error}"),
            ),
        };
        record.status = status;
        record.error = None;
        self.store.put_action(&record)?;
        self.audit(
            "action",
            json!({"action": key, "status": status.as_str(), "detail": detail, "duration_ms": duration}),
            now,
        )?;
        Ok(Ok(outcome(detail, duration, log.records)))
    }

    fn audit_calls(
        &mut self,
        key: &str,
        log: &CallLog,
        now: Timestamp,
    ) -> Result<(), RespondError> {
        for call in &log.records {
            self.audit(
                "api_call",
                json!({
                    "action": key,
                    "method": call.call.method,
                    "endpoint": call.call.endpoint,
                    "summary": call.call.summary,
                    "status": call.status,
                    "duration_ms": call.duration_ms,
                    "attempt": call.attempt,
                    "error": call.error,
                }),
                now,
            )?;
        }
        Ok(())
    }

    /// Reverts executed time-limited actions whose time is up.
    async fn revert_due(
        &mut self,
        now: Timestamp,
        report: &mut ResponseReport,
    ) -> Result<(), RespondError> {
        let executed = self
            .store
            .actions_with_status(&[ActionStatus::Executed, ActionStatus::Verified])?;
        for mut record in executed {
            let Some(revert_at) = record.revert_at else {
                continue;
            };
            if revert_at > now {
                continue;
            }
            let request = match parse_request(&record) {
                Ok(request) => request,
                Err(error) => {
                    tracing::error!(action = %record.idempotency_key, %error, "action not reverted");
                    report.failed.push(ActionOutcome::without_calls(
                        &record,
                        "unknown",
                        format!("revert failed: {error}"),
                    ));
                    continue;
                }
            };
            let Some(connector) = self.connectors.get(&request.action.system()).cloned() else {
                continue;
            };
            let execution: Execution = record
                .execution
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default();
            let started = Instant::now();
            let mut log = CallLog::default();
            let result = connector.revert(&request, &execution, &mut log).await;
            self.audit_calls(&record.idempotency_key, &log, now)?;
            let duration = riposte_action::millis(started.elapsed());
            let outcome = ActionOutcome {
                idempotency_key: record.idempotency_key.clone(),
                incident_id: record.incident_id.clone(),
                action: request.action.kind(),
                target: record.target.clone(),
                detail: String::new(),
                duration_ms: duration,
                calls: log.records,
            };
            match result {
                Ok(()) => {
                    record.status = ActionStatus::Reverted;
                    record.updated_at = now;
                    self.store.put_action(&record)?;
                    self.audit("action", json!({"action": record.idempotency_key, "status": "reverted", "reason": "time limit reached"}), now)?;
                    report.reverted.push(ActionOutcome {
                        detail: "time limit reached".to_owned(),
                        ..outcome
                    });
                }
                Err(error) => {
                    let detail = format!("revert failed: {error}");
                    self.audit("action", json!({"action": record.idempotency_key, "status": "revert_failed", "error": detail}), now)?;
                    report.failed.push(ActionOutcome { detail, ..outcome });
                }
            }
        }
        Ok(())
    }
}

impl Responder {
    /// Reads an action's request back and checks it against the rest of its row: the
    /// idempotency key must be the request's own, a `planned` action must have been decided
    /// `execute`, and an `approved` one must have an approval granted. A row edited in the
    /// state file fails these checks and is not executed.
    fn checked_request(
        &self,
        record: &ActionRecord,
        approved: &HashSet<String>,
    ) -> Result<ActionRequest, String> {
        let request = parse_request(record).map_err(|error| error.to_string())?;
        let key = request.idempotency_key();
        if key != record.idempotency_key || request.action.target() != record.target {
            return Err(format!(
                "stored action `{}` does not match its request (key `{key}`, target `{}`): the \
                 row was changed outside riposte",
                record.idempotency_key,
                request.action.target()
            ));
        }
        let authorized = match record.status {
            ActionStatus::Planned => record.decision == Decision::Execute.as_str(),
            ActionStatus::Approved => approved.contains(&record.idempotency_key),
            // An action found executing was authorized when it started.
            _ => true,
        };
        if !authorized {
            return Err(format!(
                "stored action `{}` is `{}` without a decision or approval that allows it: the \
                 row was changed outside riposte",
                record.idempotency_key,
                record.status.as_str()
            ));
        }
        Ok(request)
    }
}

fn parse_request(record: &ActionRecord) -> Result<ActionRequest, RespondError> {
    serde_json::from_str(&record.request).map_err(|error| RespondError::Corrupt {
        key: record.idempotency_key.clone(),
        reason: error.to_string(),
    })
}

/// Returns `seconds` as a duration, saturating.
pub(crate) fn seconds(seconds: u64) -> TimeDelta {
    i64::try_from(seconds)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .unwrap_or(TimeDelta::MAX)
}

//! Actions, approvals and the audit chain.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use chrono::{DateTime, Utc};
use riposte_store::{ActionRecord, ActionStatus, ApprovalStatus, AuditCheck, Store};
use serde_json::json;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_980_000 + seconds, 0).unwrap()
}

fn open() -> (tempfile::TempDir, Store, std::path::PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("state.db");
    let store = Store::open(&path).unwrap();
    (folder, store, path)
}

fn action(key: &str, status: ActionStatus) -> ActionRecord {
    ActionRecord {
        idempotency_key: key.to_owned(),
        incident_id: "INC-000000000001".to_owned(),
        kind: "deactivate_access_key".to_owned(),
        system: "aws".to_owned(),
        target: "user/ci-deploy/AKIAEXAMPLE000000001".to_owned(),
        request: json!({"incident_id": "INC-000000000001"}).to_string(),
        decision: "approve".to_owned(),
        policies: "[]".to_owned(),
        status,
        execution: None,
        revert_at: None,
        executed_at: None,
        error: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

#[test]
fn action_is_claimed_once() {
    let (_folder, mut first, path) = open();
    let planned = action("act-1", ActionStatus::Planned);
    first.put_action(&planned).unwrap();
    let second = Store::open(&path).unwrap();
    let read_by_second = second.action("act-1").unwrap().unwrap();

    assert!(first.claim_action(&planned, at(10)).unwrap());
    let claimed = first.action("act-1").unwrap().unwrap();
    assert_eq!(claimed.status, ActionStatus::Executing);
    assert_eq!(claimed.executed_at, Some(at(10)));
    drop(second);

    // A run that read the action before the claim finds it changed and does not take it.
    let mut second = Store::open(&path).unwrap();
    assert!(!second.claim_action(&read_by_second, at(11)).unwrap());
    assert!(!first.claim_action(&planned, at(12)).unwrap());
    assert_eq!(
        first.action("act-1").unwrap().unwrap().executed_at,
        Some(at(10))
    );
}

#[cfg(unix)]
#[test]
fn writer_lock_covers_symbolic_links() {
    let (folder, mut first, path) = open();
    first.lock_for_writing().unwrap();
    let link = folder.path().join("link.db");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let mut second = Store::open(&link).unwrap();
    assert!(second.lock_for_writing().is_err());
}

#[test]
fn action_status_moves_and_reads_back() {
    let (_folder, mut store, _) = open();
    store
        .put_action(&action("act-1", ActionStatus::PendingApproval))
        .unwrap();
    let mut executing = action("act-1", ActionStatus::Executing);
    executing.updated_at = at(5);
    store.put_action(&executing).unwrap();
    let read = store.action("act-1").unwrap().unwrap();
    assert_eq!(read.status, ActionStatus::Executing);
    assert_eq!(read.created_at, at(0));
    assert_eq!(read.updated_at, at(5));
    let executing = store
        .actions_with_status(&[ActionStatus::Executing])
        .unwrap();
    assert_eq!(executing.len(), 1);
    assert!(store.action("act-2").unwrap().is_none());
}

#[test]
fn approval_is_decided_once() {
    let (_folder, mut store, _) = open();
    store
        .put_action(&action("act-1", ActionStatus::PendingApproval))
        .unwrap();
    let id = store
        .request_approval("act-1", at(0), at(3600), "secops@example.com")
        .unwrap();
    assert!(
        store
            .decide_approval(id, ApprovalStatus::Approved, "alice", at(10), None)
            .unwrap()
    );
    assert!(
        !store
            .decide_approval(id, ApprovalStatus::Denied, "bob", at(20), Some("too late"))
            .unwrap()
    );
    let approval = store.approval(id).unwrap().unwrap();
    assert_eq!(approval.status, ApprovalStatus::Approved);
    assert_eq!(approval.decided_by.as_deref(), Some("alice"));
    assert_eq!(
        store
            .approvals(Some(ApprovalStatus::Pending))
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn automatic_executions_are_counted_per_kind() {
    let (_folder, mut store, _) = open();
    for (key, status) in [
        ("act-1", ActionStatus::Executed),
        ("act-2", ActionStatus::Verified),
        ("act-3", ActionStatus::Recommended),
    ] {
        let mut record = action(key, status);
        record.decision = "execute".to_owned();
        if status != ActionStatus::Recommended {
            record.executed_at = Some(at(0));
        }
        store.put_action(&record).unwrap();
    }
    assert_eq!(store.automatic_executions_since(at(-60), None).unwrap(), 2);
    assert_eq!(
        store
            .automatic_executions_since(at(-60), Some("okta_clear_sessions"))
            .unwrap(),
        0
    );
    assert_eq!(store.automatic_executions_since(at(60), None).unwrap(), 0);
}

fn audited() -> (tempfile::TempDir, Store, std::path::PathBuf) {
    let (folder, mut store, path) = open();
    for index in 0..5 {
        store
            .append_audit("decision", &json!({"index": index}), at(index))
            .unwrap();
    }
    (folder, store, path)
}

#[test]
fn intact_audit_chain_verifies() {
    let (_folder, store, _) = audited();
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Intact { records: 5 }
    );
}

#[test]
fn edited_audit_record_is_detected() {
    let (_folder, store, path) = audited();
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE audit SET record = '{\"index\": 9}' WHERE seq = 3",
        [],
    )
    .unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Broken {
            seq: 3,
            reason: "the record's content does not match its hash".to_owned()
        }
    );
}

#[test]
fn deleted_audit_record_is_detected() {
    let (_folder, store, path) = audited();
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Broken {
            seq: 3,
            reason: "record 2 is missing".to_owned()
        }
    );
}

#[test]
fn deleted_last_records_leave_a_verifiable_prefix() {
    // Removing the newest records cannot be seen from the chain alone: `riposte audit verify`
    // prints the count and the last hash so that they can be kept elsewhere and compared.
    let (_folder, store, path) = audited();
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("DELETE FROM audit WHERE seq = 5", []).unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.verify_audit().unwrap(),
        AuditCheck::Intact { records: 4 }
    );
}

//! The state store through its public API: opening and migrations, every write and read, and
//! the atomicity of a batch.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly"
)]

mod common;

use std::path::{Path, PathBuf};

use common::{at, baseline, key, upsert};
use riposte_model::{
    Confidence, Evidence, Finding, IdentityKind, IdentityRef, Incident, Plan, PlanStatus, Provider,
    Severity, SourceFormat,
};
use riposte_store::{
    APPLICATION_ID, Batch, Checkpoint, FileHead, FindingRecord, IdentityFilter, IncidentRecord,
    Link, LinkSource, PrivilegeSeen, Resume, RunCounts, RunStatus, SCHEMA_VERSION, Store,
    StoreError, finding_id,
};
use rusqlite::Connection;
use tempfile::TempDir;

fn state_path(dir: &TempDir) -> PathBuf {
    dir.path().join("state.db")
}

fn open_new() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(state_path(&dir)).unwrap();
    (dir, store)
}

fn pragma_i64(path: &Path, name: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
        .unwrap()
}

fn table_count(path: &Path, table: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
        row.get(0)
    })
    .unwrap()
}

fn finding(identity: &str, detection: &'static str, first: i64, last: i64) -> Finding {
    let reference = IdentityRef::new(Provider::Okta, identity, IdentityKind::Human);
    Finding {
        detection,
        severity: Severity::High,
        confidence: Confidence::new(0.9),
        identity: reference,
        first_seen: at(first),
        last_seen: at(last),
        evidence: vec![Evidence {
            event_id: format!("evt-{first}").into(),
            time: at(first),
            format: SourceFormat::Okta,
            operation: "user.session.start".into(),
            credential: None,
            location: None,
        }],
        explanation: "two sign-ins 9,000 km apart within 1 hour".to_owned(),
        attack: vec!["T1078"],
        facts: serde_json::Map::new(),
        related: Vec::new(),
    }
}

// Opening and migrations.

#[test]
fn open_creates_schema_in_wal_mode() {
    let (dir, store) = open_new();
    drop(store);
    let path = state_path(&dir);
    assert_eq!(pragma_i64(&path, "user_version"), SCHEMA_VERSION);
    assert_eq!(
        pragma_i64(&path, "application_id"),
        i64::from(APPLICATION_ID)
    );
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    for table in [
        "identities",
        "identity_links",
        "baselines",
        "privileges_seen",
        "findings",
        "incidents",
        "checkpoints",
        "runs",
    ] {
        assert_eq!(table_count(&path, table), 0, "{table}");
    }
}

#[test]
fn open_migrates_empty_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    drop(store);
    assert_eq!(pragma_i64(&path, "user_version"), SCHEMA_VERSION);
}

#[test]
fn reopen_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let mut store = Store::open(&path).unwrap();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    store.commit(&batch).unwrap();
    store.close().unwrap();

    for _ in 0..3 {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(
            store.identity_id(&key(Provider::Okta, "00u1")).unwrap(),
            Some(1)
        );
        let next = store
            .resolve_identity(&key(Provider::Okta, "00u2"))
            .unwrap();
        assert_eq!(next.id, 2);
        store.close().unwrap();
    }
    assert_eq!(pragma_i64(&path, "user_version"), SCHEMA_VERSION);
    assert_eq!(table_count(&path, "identities"), 1);
}

#[test]
fn newer_schema_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    Store::open(&path).unwrap().close().unwrap();
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 7")
        .unwrap();

    let error = Store::open(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "state file `{}` has schema version 7; this riposte knows up to {SCHEMA_VERSION}: upgrade riposte",
            path.display()
        )
    );
}

#[test]
fn non_sqlite_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    std::fs::write(&path, "{\"Records\": []}\n".repeat(300)).unwrap();

    let error = Store::open(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot open state file `{}`: file is not a database",
            path.display()
        )
    );
}

#[test]
fn corrupt_header_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    Store::open(&path).unwrap().close().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    // The first 16 bytes are the magic string "SQLite format 3\0".
    for byte in bytes.iter_mut().take(16) {
        *byte = b'x';
    }
    std::fs::write(&path, bytes).unwrap();

    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "cannot open state file `{}`: file is not a database",
            path.display()
        )
    );
}

#[test]
fn other_programs_database_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT)")
        .unwrap();

    let error = Store::open(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot open state file `{}`: it is an SQLite database but not a riposte state file (it holds 1 tables, indexes or views but no riposte schema)",
            path.display()
        )
    );
    // Nothing was added to it.
    assert_eq!(pragma_i64(&path, "user_version"), 0);
}

#[test]
fn other_application_id_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA application_id = 1")
        .unwrap();

    let error = Store::open(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("(its application id is 0x00000001, expected 0x52505354)"),
        "{error}"
    );
}

#[test]
fn missing_folder_names_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent").join("state.db");
    let error = Store::open(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot create state file `{}`: folder `{}` does not exist",
            path.display(),
            dir.path().join("absent").display()
        )
    );
}

#[test]
fn folder_and_device_are_not_state_files() {
    let dir = tempfile::tempdir().unwrap();
    for path in [dir.path(), std::path::Path::new("/dev/null")] {
        let error = Store::open(path).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "cannot use `{}` as a state file: it is not a regular file",
                path.display()
            )
        );
    }
}

#[test]
fn foreign_database_is_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(Store::open(&path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let mut first = Store::open(&path).unwrap();
    first.lock_for_writing().unwrap();
    let mut second = Store::open(&path).unwrap();
    let error = second.lock_for_writing().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "state file `{}` is in use by another riposte process; wait for it to finish, or use another state file",
            path.display()
        )
    );
    drop(first);
    second.lock_for_writing().unwrap();
}

#[test]
fn read_only_open_does_not_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    std::fs::write(&path, b"").unwrap();
    let error = Store::open_read_only(&path).unwrap_err();
    assert!(
        error.to_string().contains("older than this riposte's"),
        "{error}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn open_existing_rejects_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let error = Store::open_existing(&path).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot open state file `{}`: no such file; `riposte hunt --state FILE` creates one",
            path.display()
        )
    );
    assert!(!path.exists());

    Store::open(&path).unwrap().close().unwrap();
    let store = Store::open_existing(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
}

// Identities and id allocation.

#[test]
fn resolve_allocates_then_reuses_ids() {
    let (_dir, mut store) = open_new();
    let alice = key(Provider::Okta, "00u1");
    let bob = key(Provider::Entra, "b0b");

    let first = store.resolve_identity(&alice).unwrap();
    assert_eq!((first.id, first.is_new), (1, true));
    let again = store.resolve_identity(&alice).unwrap();
    assert_eq!((again.id, again.is_new), (1, true));
    let second = store.resolve_identity(&bob).unwrap();
    assert_eq!(second.id, 2);
    assert_eq!(store.identity_id(&alice).unwrap(), None);

    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, alice.clone(), 0));
    store.commit(&batch).unwrap();

    let committed = store.resolve_identity(&alice).unwrap();
    assert_eq!((committed.id, committed.is_new), (1, false));
    // Bob is still pending and keeps his id.
    let bob_again = store.resolve_identity(&bob).unwrap();
    assert_eq!((bob_again.id, bob_again.is_new), (2, true));
}

#[test]
fn upsert_merges_counts_and_times() {
    let (_dir, mut store) = open_new();
    let alice = key(Provider::Okta, "00u1");

    let mut first = upsert(1, alice.clone(), 100);
    first.display_name = Some("Alice".into());
    first.email = Some("alice@example.com".into());
    first.kind_override = Some("human".into());
    first.new_events = 3;
    first.new_authentications = 2;
    let mut batch = Batch::new();
    batch.upsert_identity(first);
    store.commit(&batch).unwrap();

    let mut second = upsert(1, alice.clone(), 50);
    second.last_seen = at(500);
    second.kind = IdentityKind::Unknown;
    second.new_events = 4;
    second.new_authentications = 1;
    batch.clear();
    batch.upsert_identity(second);
    store.commit(&batch).unwrap();

    let stored = store.identity(1).unwrap().unwrap();
    assert_eq!(stored.key, alice);
    assert_eq!(
        stored.kind,
        IdentityKind::Human,
        "unknown keeps the known kind"
    );
    assert_eq!(stored.kind_override, None, "the override is replaced");
    assert_eq!(stored.display_name.as_deref(), Some("Alice"));
    assert_eq!(stored.email.as_deref(), Some("alice@example.com"));
    assert_eq!(stored.first_seen, at(50));
    assert_eq!(stored.last_seen, at(500));
    assert_eq!(stored.event_count, 7);
    assert_eq!(stored.authentication_count, 3);
    assert_eq!(store.identity_by_key(&alice).unwrap(), Some(stored));
}

#[test]
fn upsert_replaces_name_and_address() {
    let (_dir, mut store) = open_new();
    let alice = key(Provider::Entra, "5f1c");
    let mut batch = Batch::new();
    let mut first = upsert(1, alice.clone(), 0);
    first.display_name = Some("Alice".into());
    first.email = Some("alice@example.com".into());
    batch.upsert_identity(first);
    store.commit(&batch).unwrap();

    // An address that differs only in ASCII case is the same address and is kept.
    batch.clear();
    let mut renamed = upsert(1, alice.clone(), 10);
    renamed.display_name = Some("Alice Liddell".into());
    renamed.email = Some("ALICE@example.com".into());
    renamed.kind_override = Some("human".into());
    batch.upsert_identity(renamed);
    store.commit(&batch).unwrap();
    let stored = store.identity(1).unwrap().unwrap();
    assert_eq!(stored.display_name.as_deref(), Some("Alice Liddell"));
    assert_eq!(stored.email.as_deref(), Some("alice@example.com"));
    assert_eq!(stored.kind_override.as_deref(), Some("human"));

    batch.clear();
    let mut moved = upsert(1, alice, 20);
    moved.email = Some("alice@example.org".into());
    moved.kind_override = Some("human".into());
    batch.upsert_identity(moved);
    store.commit(&batch).unwrap();
    let stored = store.identity(1).unwrap().unwrap();
    assert_eq!(stored.display_name.as_deref(), Some("Alice Liddell"));
    assert_eq!(stored.email.as_deref(), Some("alice@example.org"));
    assert_eq!(stored.event_count, 3);
    assert_eq!(
        store.identities_with_email("alice@example.com").unwrap(),
        []
    );
}

#[test]
fn logged_kind_replaces_known_kind() {
    let (_dir, mut store) = open_new();
    let role = key(Provider::Aws, "AROAEXAMPLE:build");
    let mut batch = Batch::new();
    let mut first = upsert(1, role.clone(), 0);
    first.kind = IdentityKind::AssumedRoleSession;
    batch.upsert_identity(first);
    let mut second = upsert(1, role, 10);
    second.kind = IdentityKind::InstanceRoleSession;
    second.kind_override = Some("service_account_token".into());
    batch.upsert_identity(second);
    store.commit(&batch).unwrap();

    let stored = store.identity(1).unwrap().unwrap();
    assert_eq!(stored.kind, IdentityKind::InstanceRoleSession);
    assert_eq!(stored.effective_kind(), "service_account_token");
    assert_eq!(stored.event_count, 2);
}

#[test]
fn unknown_identity_reads_none() {
    let (_dir, store) = open_new();
    assert_eq!(store.identity(42).unwrap(), None);
    assert_eq!(
        store.identity_by_key(&key(Provider::Aws, "x")).unwrap(),
        None
    );
    assert_eq!(store.baseline(42).unwrap(), None);
    assert!(store.links(42).unwrap().is_empty());
    assert!(store.recent_findings(42, 10).unwrap().is_empty());
}

#[test]
fn list_pages_and_filters() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    for n in 1..=25 {
        let provider = if n % 2 == 0 {
            Provider::Aws
        } else {
            Provider::Okta
        };
        let mut identity = upsert(n, key(provider, &format!("id-{n}")), n);
        if n % 5 == 0 {
            identity.kind = IdentityKind::IamUserAccessKey;
        }
        if n == 7 {
            identity.kind_override = Some("iam_user_access_key".into());
        }
        batch.upsert_identity(identity);
    }
    store.commit(&batch).unwrap();

    let mut filter = IdentityFilter {
        limit: 10,
        ..IdentityFilter::default()
    };
    let mut all = Vec::new();
    loop {
        let page = store.list_identities(&filter).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 10);
        filter.after_id = page.last().map(|identity| identity.id);
        all.extend(page.into_iter().map(|identity| identity.id));
    }
    assert_eq!(all, (1..=25).collect::<Vec<_>>());

    let keys = store
        .list_identities(&IdentityFilter {
            kind: Some("iam_user_access_key".into()),
            ..IdentityFilter::default()
        })
        .unwrap();
    let ids: Vec<i64> = keys.iter().map(|identity| identity.id).collect();
    assert_eq!(ids, [5, 7, 10, 15, 20, 25]);

    let aws_keys = store
        .list_identities(&IdentityFilter {
            kind: Some("iam_user_access_key".into()),
            provider: Some(Provider::Aws),
            after_id: Some(10),
            limit: 2,
        })
        .unwrap();
    let ids: Vec<i64> = aws_keys.iter().map(|identity| identity.id).collect();
    assert_eq!(ids, [20]);

    let okta = store
        .list_identities(&IdentityFilter {
            provider: Some(Provider::Okta),
            limit: 3,
            ..IdentityFilter::default()
        })
        .unwrap();
    let ids: Vec<i64> = okta.iter().map(|identity| identity.id).collect();
    assert_eq!(ids, [1, 3, 5]);
}

#[test]
fn email_lookup_ignores_case() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    let mut okta = upsert(1, key(Provider::Okta, "00u1"), 0);
    okta.email = Some("Alice@Example.com".into());
    let mut entra = upsert(2, key(Provider::Entra, "5f1c"), 0);
    entra.email = Some("alice@example.com".into());
    batch.upsert_identity(okta);
    batch.upsert_identity(entra);
    batch.upsert_identity(upsert(3, key(Provider::Aws, "AIDAEXAMPLE"), 0));
    store.commit(&batch).unwrap();

    let found = store.identities_with_email("ALICE@example.COM").unwrap();
    let ids: Vec<i64> = found.iter().map(|identity| identity.id).collect();
    assert_eq!(ids, [1, 2]);
}

#[test]
fn id_conflict_between_writers_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let mut first = Store::open(&path).unwrap();
    let mut second = Store::open(&path).unwrap();
    let shared = key(Provider::Okta, "00u1");

    assert_eq!(first.resolve_identity(&shared).unwrap().id, 1);
    assert_eq!(
        second
            .resolve_identity(&key(Provider::Okta, "00u9"))
            .unwrap()
            .id,
        1
    );
    assert_eq!(second.resolve_identity(&shared).unwrap().id, 2);

    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, shared.clone(), 0));
    first.commit(&batch).unwrap();

    batch.clear();
    batch.upsert_identity(upsert(2, shared, 0));
    let error = second.commit(&batch).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot write identity `okta:00u1` to state file `{}`: the batch gives it id 2, but the file holds it as id 1; run one riposte per state file",
            path.display()
        )
    );
    assert_eq!(first.identity(1).unwrap().unwrap().event_count, 1);
}

#[test]
fn id_taken_by_other_writer_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let mut first = Store::open(&path).unwrap();
    let mut second = Store::open(&path).unwrap();
    let alice = key(Provider::Okta, "00u1");
    let bob = key(Provider::Okta, "00u2");
    assert_eq!(first.resolve_identity(&alice).unwrap().id, 1);
    assert_eq!(second.resolve_identity(&bob).unwrap().id, 1);

    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, alice, 0));
    first.commit(&batch).unwrap();
    batch.clear();
    batch.upsert_identity(upsert(1, bob.clone(), 0));
    batch.put_baseline(baseline(1, 0, 10, 0));
    let error = second.commit(&batch).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot write identity `okta:00u2` with id 1 in state file `{}`: UNIQUE constraint failed: identities.id",
            path.display()
        )
    );
    assert_eq!(second.identity_id(&bob).unwrap(), None);
    assert_eq!(second.baseline(1).unwrap(), None);
}

// Atomicity.

#[test]
fn failed_batch_writes_nothing() {
    let (dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.put_baseline(baseline(1, 7, 300, 0));
    // Identity 99 does not exist: the foreign key rejects this row, after the rows above
    // were written inside the transaction.
    batch.put_baseline(baseline(99, 7, 300, 0));
    batch.put_checkpoint(Checkpoint {
        path: PathBuf::from("/var/log/okta.json"),
        file_size: 10,
        offset: 10,
        head_len: 10,
        head_sha256: "0".repeat(64),
        records_read: 1,
        updated_at: at(0),
    });

    let error = store.commit(&batch).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot write baseline of identity 99 in state file `{}`: FOREIGN KEY constraint failed",
            state_path(&dir).display()
        )
    );
    assert_eq!(store.identity(1).unwrap(), None);
    assert_eq!(store.baseline(1).unwrap(), None);
    assert!(store.checkpoints().unwrap().is_empty());
    assert_eq!(table_count(&state_path(&dir), "identities"), 0);

    // The allocation survives the failure, and the corrected batch lands.
    let resolved = store
        .resolve_identity(&key(Provider::Okta, "00u1"))
        .unwrap();
    assert_eq!(resolved.id, 1);
    batch.clear();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.put_baseline(baseline(1, 7, 300, 0));
    store.commit(&batch).unwrap();
    assert_eq!(store.baseline(1).unwrap().unwrap().data.len(), 300);
}

#[test]
fn check_violation_rolls_back_batch() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    let mut backwards = upsert(2, key(Provider::Okta, "00u2"), 100);
    backwards.last_seen = at(0);
    batch.upsert_identity(backwards);

    let error = store.commit(&batch).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot write identity `okta:00u2` with id 2 in state file"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .ends_with("CHECK constraint failed: first_seen <= last_seen")
    );
    assert_eq!(store.identity(1).unwrap(), None);
}

// Links, baselines, privileges.

#[test]
fn links_read_from_both_ends() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    for id in 1..=3 {
        batch.upsert_identity(upsert(id, key(Provider::Okta, &format!("u{id}")), 0));
    }
    assert!(batch.add_link(Link {
        a: 2,
        b: 1,
        source: LinkSource::Email,
        evidence: Some("evt-late".into()),
        first_seen: at(200),
    }));
    assert!(batch.add_link(Link {
        a: 1,
        b: 2,
        source: LinkSource::Email,
        evidence: Some("evt-early".into()),
        first_seen: at(100),
    }));
    assert!(batch.add_link(Link {
        a: 2,
        b: 3,
        source: LinkSource::FederationSessionName,
        evidence: None,
        first_seen: at(300),
    }));
    assert!(!batch.add_link(Link {
        a: 3,
        b: 3,
        source: LinkSource::Upn,
        evidence: None,
        first_seen: at(0),
    }));
    store.commit(&batch).unwrap();

    let of_two = store.links(2).unwrap();
    assert_eq!(of_two.len(), 2);
    assert_eq!(of_two[0].other, 1);
    assert_eq!(of_two[0].source, LinkSource::Email);
    assert_eq!(of_two[0].evidence.as_deref(), Some("evt-early"));
    assert_eq!(of_two[0].first_seen, at(100));
    assert_eq!(of_two[1].other, 3);
    assert_eq!(of_two[1].source, LinkSource::FederationSessionName);

    let of_one = store.links(1).unwrap();
    assert_eq!(of_one.len(), 1);
    assert_eq!(of_one[0].other, 2);
    let of_three = store.links(3).unwrap();
    assert_eq!(of_three.len(), 1);
    assert_eq!(of_three[0].other, 2);
}

#[test]
fn baseline_is_replaced() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.put_baseline(baseline(1, 1, 300, 10));
    store.commit(&batch).unwrap();

    batch.clear();
    let mut newer = baseline(1, 2, 120, 20);
    newer.format_version = 3;
    batch.put_baseline(newer.clone());
    store.commit(&batch).unwrap();

    assert_eq!(store.baseline(1).unwrap(), Some(newer));
}

#[test]
fn privileges_keep_first_grant_and_admin() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Aws, "AIDAEXAMPLE"), 0));
    batch.add_privilege(PrivilegeSeen {
        identity_id: 1,
        privilege: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        admin: true,
        first_seen: at(500),
        event_id: "evt-2".into(),
    });
    batch.add_privilege(PrivilegeSeen {
        identity_id: 1,
        privilege: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        admin: false,
        first_seen: at(100),
        event_id: "evt-1".into(),
    });
    batch.add_privilege(PrivilegeSeen {
        identity_id: 1,
        privilege: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
        admin: false,
        first_seen: at(700),
        event_id: "evt-3".into(),
    });
    store.commit(&batch).unwrap();

    let privileges = store.privileges(1).unwrap();
    assert_eq!(privileges.len(), 2);
    assert!(privileges[0].admin);
    assert_eq!(privileges[0].first_seen, at(100));
    assert_eq!(privileges[0].event_id.as_ref(), "evt-1");
    assert!(!privileges[1].admin);
    assert_eq!(
        privileges[1].privilege.as_ref(),
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
}

// Findings and incidents.

#[test]
fn findings_round_trip_newest_first() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    let old = FindingRecord::from_finding(1, &finding("00u1", "impossible_travel", 0, 60)).unwrap();
    let new = FindingRecord::from_finding(1, &finding("00u1", "session_replay", 100, 900)).unwrap();
    let middle = FindingRecord::from_finding(1, &finding("00u1", "mfa_fatigue", 200, 300)).unwrap();
    batch.put_finding(old.clone());
    batch.put_finding(new.clone());
    batch.put_finding(middle.clone());
    store.commit(&batch).unwrap();

    let recent = store.recent_findings(1, 2).unwrap();
    assert_eq!(recent, [new.clone(), middle]);
    assert_eq!(store.finding(&old.id).unwrap(), Some(old.clone()));

    let json: serde_json::Value = serde_json::from_str(&new.record).unwrap();
    assert_eq!(json["detection"], "session_replay");
    assert_eq!(json["identity"]["key"], "okta:00u1");
    assert!(
        new.id.starts_with("FND-") && new.id.len() == 20,
        "{}",
        new.id
    );
}

#[test]
fn finding_rewritten_keeps_one_row() {
    let (dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    let first = finding("00u1", "mfa_fatigue", 0, 60);
    let mut grown = first.clone();
    grown.last_seen = at(600);
    grown.severity = Severity::Critical;
    assert_eq!(finding_id(&first), finding_id(&grown));
    batch.put_finding(FindingRecord::from_finding(1, &first).unwrap());
    store.commit(&batch).unwrap();
    batch.clear();
    batch.put_finding(FindingRecord::from_finding(1, &grown).unwrap());
    store.commit(&batch).unwrap();

    assert_eq!(table_count(&state_path(&dir), "findings"), 1);
    let stored = store.finding(&finding_id(&first)).unwrap().unwrap();
    assert_eq!(stored.severity, Severity::Critical);
    assert_eq!(stored.last_seen, at(600));
}

#[test]
fn incidents_round_trip() {
    let (_dir, mut store) = open_new();
    let found = finding("00u1", "impossible_travel", 0, 60);
    let incident = Incident {
        id: "INC-0123456789ab".to_owned(),
        identity: found.identity.clone(),
        linked_identities: Vec::new(),
        severity: Severity::Critical,
        first_seen: at(0),
        last_seen: at(60),
        escalations: vec!["privilege escalation followed the sign-in".to_owned()],
        findings: vec![found],
        blast_radius: None,
        plan: Plan {
            status: PlanStatus::Planned,
            actions: Vec::new(),
        },
        response: Vec::new(),
    };
    let record = IncidentRecord::from_incident(1, &incident).unwrap();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.put_incident(record.clone());
    store.commit(&batch).unwrap();

    assert_eq!(
        store.incident("INC-0123456789ab").unwrap(),
        Some(record.clone())
    );
    assert_eq!(store.recent_incidents(1, 10).unwrap(), [record]);
    assert_eq!(store.incident("INC-absent").unwrap(), None);
}

// Checkpoints and runs.

#[test]
fn checkpoints_read_one_and_all() {
    let (dir, mut store) = open_new();
    let input = dir.path().join("cloudtrail.json");
    std::fs::write(&input, "{\"Records\": []}\n").unwrap();
    let head = FileHead::of_file(&input).unwrap();
    let first = Checkpoint {
        path: input.clone(),
        file_size: 16,
        offset: 16,
        head_len: head.len,
        head_sha256: head.sha256,
        records_read: 0,
        updated_at: at(0),
    };
    let second = Checkpoint {
        path: PathBuf::from("/var/log/a.jsonl"),
        file_size: 4096,
        offset: 2048,
        head_len: 4096,
        head_sha256: "a".repeat(64),
        records_read: 12,
        updated_at: at(5),
    };
    let mut batch = Batch::new();
    batch.put_checkpoint(first.clone());
    batch.put_checkpoint(second.clone());
    store.commit(&batch).unwrap();

    assert_eq!(store.checkpoint(&input).unwrap(), Some(first.clone()));
    assert_eq!(store.checkpoint(Path::new("/absent")).unwrap(), None);
    let mut all = store.checkpoints().unwrap();
    all.sort_by(|a, b| a.path.cmp(&b.path));
    let mut expected = vec![first.clone(), second];
    expected.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(all, expected);

    std::fs::write(&input, "{\"Records\": []}\n{\"Records\": []}\n").unwrap();
    assert_eq!(first.compare_file().unwrap(), Resume::At(16));
}

#[test]
fn checkpoint_offset_past_size_is_rejected() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.put_checkpoint(Checkpoint {
        path: PathBuf::from("/var/log/a.jsonl"),
        file_size: 10,
        offset: 11,
        head_len: 10,
        head_sha256: "a".repeat(64),
        records_read: 1,
        updated_at: at(0),
    });
    let error = store.commit(&batch).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("cannot write checkpoint of `/var/log/a.jsonl` in state file"),
        "{error}"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_checkpoint_path_is_rejected() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let (dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.put_checkpoint(Checkpoint {
        path: PathBuf::from(OsStr::from_bytes(b"/var/log/\xff.json")),
        file_size: 0,
        offset: 0,
        head_len: 0,
        head_sha256: "e".repeat(64),
        records_read: 0,
        updated_at: at(0),
    });
    let error = store.commit(&batch).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot write `/var/log/\u{fffd}.json` to `checkpoints.path` of state file `{}`: expected a path that is valid UTF-8",
            state_path(&dir).display()
        )
    );
}

#[test]
fn run_progress_and_finish() {
    let (dir, mut store) = open_new();
    let run = store.begin_run("hunt logs/", at(0)).unwrap();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.set_run_progress(
        run,
        RunCounts {
            records: 500,
            rejected: 2,
            findings: 1,
        },
    );
    store.commit(&batch).unwrap();

    let runs = store.runs(10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Running);
    assert_eq!(runs[0].counts.records, 500);
    assert_eq!(runs[0].finished_at, None);

    let counts = RunCounts {
        records: 900,
        rejected: 3,
        findings: 2,
    };
    store
        .finish_run(run, at(60), counts, RunStatus::Completed)
        .unwrap();
    let runs = store.runs(10).unwrap();
    assert_eq!(runs[0].status, RunStatus::Completed);
    assert_eq!(runs[0].counts, counts);
    assert_eq!(runs[0].finished_at, Some(at(60)));
    assert_eq!(runs[0].command, "hunt logs/");

    let error = store
        .finish_run(run + 1, at(60), counts, RunStatus::Failed)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot update run {} in state file `{}`: no such run",
            run + 1,
            state_path(&dir).display()
        )
    );
}

#[test]
fn batch_for_missing_run_writes_nothing() {
    let (_dir, mut store) = open_new();
    let mut batch = Batch::new();
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.set_run_progress(7, RunCounts::default());
    assert!(matches!(
        store.commit(&batch),
        Err(StoreError::RunNotFound { id: 7, .. })
    ));
    assert_eq!(store.identity(1).unwrap(), None);
}

#[test]
fn batch_counts_rows() {
    let mut batch = Batch::new();
    assert!(batch.is_empty());
    batch.upsert_identity(upsert(1, key(Provider::Okta, "00u1"), 0));
    batch.put_baseline(baseline(1, 0, 3, 0));
    batch.set_run_progress(1, RunCounts::default());
    assert_eq!(batch.len(), 3);
    batch.clear();
    assert!(batch.is_empty());
}

#[test]
fn committed_file_passes_integrity_check() {
    let (dir, mut store) = open_new();
    let mut batch = Batch::new();
    for id in 1..=200 {
        batch.upsert_identity(upsert(id, key(Provider::Entra, &format!("u{id}")), id));
        batch.put_baseline(baseline(id, 3, 300, id));
    }
    store.commit(&batch).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    drop(store);
    let conn = Connection::open(state_path(&dir)).unwrap();
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
}

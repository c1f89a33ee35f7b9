//! A process killed with SIGKILL between or during commits leaves the state file consistent,
//! holding exactly the batches whose commit had returned, plus at most the one in flight.
//!
//! The parent test runs this test executable again as a child, selecting
//! `child_commits_until_killed` and naming the state file in `RIPOSTE_STORE_CRASH_CHILD`. The
//! child commits numbered batches in a loop and prints `begin N` before each commit and
//! `done N` after it returns. The parent kills it at a varying moment, reads every line the
//! child wrote, reopens the file and checks it. Whether the batch in flight landed depends on
//! whether SQLite had written its commit record when the signal arrived, so the stored count
//! lies between the last `done` and the last `begin`, and every batch up to it is whole.

#![cfg(unix)]
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail loudly"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{at, baseline, key};
use riposte_model::{IdentityKind, Provider};
use riposte_store::{Batch, Checkpoint, IdentityUpsert, Store};

const CHILD_ENV: &str = "RIPOSTE_STORE_CRASH_CHILD";

/// New identities, each with a baseline, in every batch: enough rows that a commit takes
/// several milliseconds, so that kills often land inside one.
const IDENTITIES_PER_BATCH: i64 = 400;

/// Returns the key of the identity whose event count is the number of committed batches.
fn counter_key() -> riposte_model::IdentityKey {
    key(Provider::Okta, "batch-counter")
}

const COUNTER_INPUT: &str = "/var/log/riposte-crash-test.jsonl";

/// Commits batch `number`: the counter identity's event, new identities with baselines, and a
/// checkpoint whose `records_read` is the batch number.
fn commit_numbered_batch(store: &mut Store, number: i64) {
    let mut batch = Batch::new();
    let counter = store.resolve_identity(&counter_key()).unwrap();
    batch.upsert_identity(IdentityUpsert {
        id: counter.id,
        key: counter_key(),
        kind: IdentityKind::ProviderSystem,
        kind_override: None,
        display_name: None,
        email: None,
        first_seen: at(number),
        last_seen: at(number),
        new_events: 1,
        new_authentications: 0,
    });
    for index in 0..IDENTITIES_PER_BATCH {
        let identity_key = key(Provider::Entra, &format!("user-{number}-{index}"));
        let resolved = store.resolve_identity(&identity_key).unwrap();
        batch.upsert_identity(common::upsert(resolved.id, identity_key, number));
        batch.put_baseline(baseline(resolved.id, 0xab, 300, number));
    }
    batch.put_checkpoint(Checkpoint {
        path: PathBuf::from(COUNTER_INPUT),
        file_size: 1_000_000,
        offset: 1000,
        head_len: 4096,
        head_sha256: "c".repeat(64),
        records_read: u64::try_from(number).unwrap(),
        updated_at: at(number),
    });
    store.commit(&batch).unwrap();
}

/// The child: commits batches until killed. Does nothing when run as an ordinary test.
#[test]
fn child_commits_until_killed() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(PathBuf::from(path)).unwrap();
    let mut number = committed_batches(&store);
    let mut stdout = std::io::stdout();
    loop {
        number += 1;
        writeln!(stdout, "begin {number}").unwrap();
        stdout.flush().unwrap();
        commit_numbered_batch(&mut store, number);
        writeln!(stdout, "done {number}").unwrap();
        stdout.flush().unwrap();
    }
}

fn committed_batches(store: &Store) -> i64 {
    store
        .identity_by_key(&counter_key())
        .unwrap()
        .map_or(0, |counter| i64::try_from(counter.event_count).unwrap())
}

/// What the child reported before it died.
struct ChildReport {
    last_begin: i64,
    last_done: i64,
}

/// Runs the child on `path`, kills it once it has reported `done` for `wait_for_done`
/// batches plus `extra_delay`, and returns its last reports.
fn run_and_kill(path: &Path, wait_for_done: i64, extra_delay: Duration) -> ChildReport {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_commits_until_killed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });

    let mut report = ChildReport {
        last_begin: 0,
        last_done: 0,
    };
    let mut done_seen = 0;
    while done_seen < wait_for_done {
        let Ok(line) = receiver.recv_timeout(Duration::from_secs(60)) else {
            child.kill().unwrap();
            panic!("the child reported {done_seen} commits within 60 s, expected {wait_for_done}");
        };
        if record_line(&line, &mut report) {
            done_seen += 1;
        }
    }
    std::thread::sleep(extra_delay);
    // `Child::kill` sends SIGKILL on Unix: the child gets no chance to clean up.
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    for line in receiver.try_iter() {
        record_line(&line, &mut report);
    }
    report
}

/// Records a `begin N` or `done N` line and returns true for `done`.
fn record_line(line: &str, report: &mut ChildReport) -> bool {
    // With `--test-threads=1` the test harness prints `test <name> ... ` before running the
    // child and without a newline, so the first report shares its line.
    if let Some((_, number)) = line.rsplit_once("begin ") {
        report.last_begin = number.parse().unwrap();
    } else if let Some((_, number)) = line.rsplit_once("done ") {
        report.last_done = number.parse().unwrap();
        return true;
    }
    false
}

/// Checks the file after a kill and returns the number of committed batches.
fn check_after_kill(path: &Path, report: &ChildReport) -> i64 {
    let store = Store::open(path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);

    let committed = committed_batches(&store);
    assert!(
        report.last_done <= committed && committed <= report.last_begin,
        "the file holds {committed} batches; the child reported done {} and begin {}",
        report.last_done,
        report.last_begin
    );

    // Every committed batch is whole: its identities, baselines and checkpoint.
    let conn = rusqlite::Connection::open(path).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM identities"),
        1 + IDENTITIES_PER_BATCH * committed
    );
    assert_eq!(
        count("SELECT count(*) FROM baselines"),
        IDENTITIES_PER_BATCH * committed
    );
    assert_eq!(count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
    let checkpoint = store.checkpoint(Path::new(COUNTER_INPUT)).unwrap().unwrap();
    assert_eq!(checkpoint.records_read, u64::try_from(committed).unwrap());
    let last = key(
        Provider::Entra,
        &format!("user-{committed}-{}", IDENTITIES_PER_BATCH - 1),
    );
    assert!(store.identity_id(&last).unwrap().is_some());
    let next = key(Provider::Entra, &format!("user-{}-0", committed + 1));
    assert_eq!(store.identity_id(&next).unwrap(), None);
    committed
}

/// Returns a delay of 0 to 19 ms that differs from run to run.
fn jitter() -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(u64::from(nanos % 20))
}

#[test]
fn kill_leaves_last_committed_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut previous = 0;
    for round in 0..6 {
        let report = run_and_kill(&path, 1 + round % 3, jitter());
        let committed = check_after_kill(&path, &report);
        assert!(committed >= previous, "a kill lost committed batches");
        previous = committed;
    }
    assert!(
        previous >= 6,
        "six rounds committed only {previous} batches"
    );
}

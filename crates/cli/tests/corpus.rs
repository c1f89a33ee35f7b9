//! Acceptance: `riposte hunt` reads every record of the public log samples in the shared
//! corpus, when it is present next to the repository, without rejecting any and without
//! leaving any unsupported. Files named `*-expected.json` and `*.ocsf` hold other tools'
//! output and are skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const FOLDERS: [&str; 5] = ["cloudtrail", "okta", "entra", "entra-graph", "entra-audit"];

fn corpus_files() -> Option<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !root.is_dir() {
        return None;
    }
    let mut files = Vec::new();
    for folder in FOLDERS {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if path.is_file() && !name.ends_with("-expected.json") && !name.ends_with(".ocsf") {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

#[test]
fn corpus_has_no_rejected_or_unsupported_records() {
    let Some(files) = corpus_files() else {
        eprintln!("skipped: the shared corpus folder is not present");
        return;
    };
    assert!(!files.is_empty(), "the corpus folders hold no files");
    let output = Command::new(env!("CARGO_BIN_EXE_riposte"))
        .arg("hunt")
        .args(["--format", "jsonl"])
        .args(&files)
        .output()
        .expect("riposte runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary: Value = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_else(|| panic!("no summary line; stderr: {stderr}"));
    assert_eq!(summary["rejected"], 0, "stderr: {stderr}");
    assert_eq!(summary["unsupported"], 0, "{summary}");
    assert_eq!(summary["unreadable_files"], 0, "{summary}");
    assert_eq!(summary["files"], files.len(), "{summary}");
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    // Every format family is represented.
    for format in ["cloudtrail", "okta", "entra_signin", "entra_audit"] {
        assert!(
            summary["by_format"][format].as_u64().unwrap_or(0) > 0,
            "no {format} events: {summary}"
        );
    }
}

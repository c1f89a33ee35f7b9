//! Detection cases in the providers' own formats.
//!
//! Each folder under `tests/detections/` is named after a detection id and contains log files
//! named `fires-*` or `quiet-*`. Every file is hunted on its own through the whole pipeline
//! (decode, normalize, enrich, order, detect): a `fires-` file must produce at least one
//! finding of that detection, a `quiet-` file none. Adding a file adds a case.

use std::path::{Path, PathBuf};

use riposte_engine::{Config, HuntOptions, hunt};

fn cases() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/detections");
    let mut cases = Vec::new();
    let Ok(folders) = std::fs::read_dir(&root) else {
        return cases;
    };
    for folder in folders.flatten() {
        let detection = folder.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(folder.path()) else {
            continue;
        };
        for file in files.flatten() {
            cases.push((detection.clone(), file.path()));
        }
    }
    cases.sort();
    cases
}

#[test]
fn detection_cases() {
    let cases = cases();
    assert!(!cases.is_empty(), "no detection cases found");
    let mut failures = Vec::new();
    for (detection, path) in &cases {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let options = HuntOptions {
            paths: vec![path.clone()],
            format: None,
            rejects: None,
            geoip: None,
            asn: None,
            state: None,
            inventory: None,
            config: Config::default(),
            planner: None,
        };
        let report = match hunt(&options, &mut |_| {}) {
            Ok(report) => report,
            Err(error) => {
                failures.push(format!("{detection}/{name}: hunt failed: {error}"));
                continue;
            }
        };
        if report.summary.rejected > 0 || report.summary.unsupported > 0 {
            failures.push(format!(
                "{detection}/{name}: {} rejected, {} unsupported: {:?}",
                report.summary.rejected, report.summary.unsupported, report.reject_samples
            ));
            continue;
        }
        let fired = report
            .findings
            .iter()
            .filter(|finding| finding.detection == detection.as_str())
            .count();
        let expect_fire = name.starts_with("fires-");
        let expect_quiet = name.starts_with("quiet-");
        if !expect_fire && !expect_quiet {
            failures.push(format!(
                "{detection}/{name}: name must start with fires- or quiet-"
            ));
        } else if expect_fire && fired == 0 {
            let others: Vec<&str> = report.findings.iter().map(|f| f.detection).collect();
            failures.push(format!(
                "{detection}/{name}: expected a finding, got none (other findings: {others:?})"
            ));
        } else if expect_quiet && fired > 0 {
            let explanations: Vec<&str> = report
                .findings
                .iter()
                .filter(|finding| finding.detection == detection.as_str())
                .map(|finding| finding.explanation.as_str())
                .collect();
            failures.push(format!(
                "{detection}/{name}: expected no finding, got {fired}: {explanations:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

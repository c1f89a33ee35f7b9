//! The benchmark writer: exact record counts, record shapes, determinism, attacks.

#[cfg(test)]
mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Format, assert_required_fields, files, records};
use data::{Shared, options, shared};
use riposte_synth::bench::{self, MAX_CLOUDTRAIL_FILE_RECORDS};
use serde_json::Value;

/// The data sets the tests read.
#[cfg(test)]
mod data {
    use std::sync::OnceLock;

    use riposte_synth::WriteSummary;
    use riposte_synth::bench::{self, BenchOptions};
    use serde_json::Value;
    use tempfile::TempDir;

    use crate::common::{Format, records};

    pub fn options(records: u64, seed: u64) -> BenchOptions {
        BenchOptions {
            records,
            seed,
            identities: 2_000,
        }
    }

    /// One data set of 10,000 records, written once and read by several tests.
    pub struct Shared {
        pub folder: TempDir,
        pub summary: WriteSummary,
        pub records: Vec<(Format, Value)>,
    }

    pub fn shared() -> &'static Shared {
        static SHARED: OnceLock<Shared> = OnceLock::new();
        SHARED.get_or_init(|| {
            let folder = tempfile::tempdir().unwrap();
            let summary = bench::write(folder.path(), &options(10_000, 3)).unwrap();
            let records = records(folder.path());
            Shared {
                folder,
                summary,
                records,
            }
        })
    }
}

#[test]
fn writes_exactly_the_requested_records() {
    let Shared {
        summary,
        records: all,
        ..
    } = shared();
    assert_eq!(summary.records(), 10_000);
    assert_eq!(summary.cloudtrail, 5_000);
    assert_eq!(summary.okta, 3_000);
    assert_eq!(summary.entra, 2_000);

    assert_eq!(all.len(), 10_000);
    let mut per_format = BTreeMap::new();
    for (format, record) in all {
        assert_required_fields(*format, record);
        *per_format.entry(format!("{format:?}")).or_insert(0) += 1;
    }
    assert_eq!(per_format["CloudTrail"], 5_000);
    assert_eq!(per_format["Okta"], 3_000);
    assert_eq!(per_format["Entra"], 2_000);
}

#[test]
fn small_counts_are_exact() {
    for count in [0, 1, 7, 999] {
        let folder = tempfile::tempdir().unwrap();
        let summary = bench::write(folder.path(), &options(count, 5)).unwrap();
        assert_eq!(summary.records(), count);
        assert_eq!(records(folder.path()).len() as u64, count, "{count}");
    }
}

#[test]
fn same_seed_writes_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    bench::write(first.path(), &options(1_500, 9)).unwrap();
    bench::write(second.path(), &options(1_500, 9)).unwrap();
    let first_files = files(first.path());
    let second_files = files(second.path());
    assert_eq!(first_files.len(), second_files.len());
    for (a, b) in first_files.iter().zip(&second_files) {
        assert_eq!(
            a.strip_prefix(first.path()).unwrap(),
            b.strip_prefix(second.path()).unwrap()
        );
        assert_eq!(
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            "{a:?}"
        );
    }
}

#[test]
fn cloudtrail_files_are_bounded_and_unsorted() {
    let mut unsorted = false;
    for path in files(shared().folder.path()) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json.gz") {
            continue;
        }
        assert!(
            name.starts_with("111111111111_CloudTrail_us-east-1_2024"),
            "{name}"
        );
        let text = common::content(&path);
        let document: Value = serde_json::from_slice(&text).unwrap();
        let list = document["Records"].as_array().unwrap();
        assert!(list.len() <= MAX_CLOUDTRAIL_FILE_RECORDS);
        let times: Vec<&str> = list
            .iter()
            .map(|record| record["eventTime"].as_str().unwrap())
            .collect();
        unsorted |= times.windows(2).any(|pair| pair[0] > pair[1]);
    }
    assert!(unsorted);
}

#[test]
fn attacks_reuse_a_session_from_another_country() {
    let mut countries: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut created_for_other = 0;
    for (format, record) in &shared().records {
        match format {
            Format::Okta => {
                if let Some(session) = record["authenticationContext"]["externalSessionId"].as_str()
                {
                    let country = record["client"]["geographicalContext"]["country"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    countries
                        .entry(session.to_owned())
                        .or_default()
                        .insert(country);
                }
            }
            Format::CloudTrail if record["eventName"] == "CreateAccessKey" => {
                assert!(
                    record["requestParameters"]["userName"]
                        .as_str()
                        .unwrap()
                        .starts_with("ci-deploy-")
                );
                assert_eq!(record["userIdentity"]["type"], "AssumedRole");
                created_for_other += 1;
            }
            _ => {}
        }
    }
    let replayed: Vec<_> = countries
        .iter()
        .filter(|(_, seen)| seen.len() > 1)
        .collect();
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert!(
        replayed[0]
            .1
            .iter()
            .any(|country| { ["Singapore", "Brazil", "Indonesia"].contains(&country.as_str()) })
    );
    assert_eq!(created_for_other, 1);
}

#[test]
fn entra_includes_rejected_passwords() {
    let rejected: Vec<&Value> = shared()
        .records
        .iter()
        .filter(|(format, _)| *format == Format::Entra)
        .map(|(_, record)| record)
        .filter(|record| record["resultType"] == "50126")
        .collect();
    assert!(!rejected.is_empty());
    for record in rejected {
        assert_eq!(record["category"], "SignInLogs");
        assert_eq!(record["properties"]["status"]["errorCode"], 50126);
        assert!(record["properties"]["status"]["failureReason"].is_string());
        assert_eq!(
            record["properties"]["authenticationDetails"][0]["succeeded"],
            false
        );
    }
}

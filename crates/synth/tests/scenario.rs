//! The example scenario: determinism, record shapes, the attack, and the committed files.

#[cfg(test)]
mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{
    Format, assert_required_fields, cloudtrail_values, files, json_documents, okta_values, records,
    relative,
};
use riposte_synth::scenario::{self, EXAMPLE_SEED};
use serde_json::Value;

#[test]
fn same_seed_writes_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    scenario::write_examples(first.path(), 42).unwrap();
    scenario::write_examples(second.path(), 42).unwrap();

    let first_files = files(first.path());
    let second_files = files(second.path());
    let names = |root: &Path, list: &[std::path::PathBuf]| -> Vec<String> {
        list.iter().map(|path| relative(root, path)).collect()
    };
    assert_eq!(
        names(first.path(), &first_files),
        names(second.path(), &second_files)
    );
    for (a, b) in first_files.iter().zip(&second_files) {
        assert_eq!(
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            "{a:?}"
        );
    }
}

#[test]
fn different_seeds_write_different_records() {
    let first = scenario::build(1);
    let second = scenario::build(2);
    assert_ne!(first.attack.okta_session, second.attack.okta_session);
    assert_ne!(first.attack.created_key, second.attack.created_key);
}

#[test]
fn every_record_has_required_fields() {
    let folder = tempfile::tempdir().unwrap();
    let (_, summary) = scenario::write_examples(folder.path(), EXAMPLE_SEED).unwrap();
    let all = records(folder.path());
    assert_eq!(all.len() as u64, summary.records());
    for format in [Format::CloudTrail, Format::Okta, Format::Entra] {
        assert!(all.iter().any(|(found, _)| *found == format), "{format:?}");
    }
    for (format, record) in &all {
        assert_required_fields(*format, record);
    }
}

#[test]
fn scenario_covers_each_identity_type() {
    let scenario = scenario::build(EXAMPLE_SEED);
    let types: BTreeSet<&str> = scenario
        .cloudtrail
        .iter()
        .map(|record| record.user_identity.kind)
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["AWSService", "AssumedRole", "IAMUser", "SAMLUser"])
    );
    let categories: BTreeSet<&str> = scenario
        .entra
        .iter()
        .map(|record| record.category)
        .collect();
    assert_eq!(
        categories,
        BTreeSet::from([
            "AuditLogs",
            "NonInteractiveUserSignInLogs",
            "ServicePrincipalSignInLogs",
            "SignInLogs"
        ])
    );
    let sources: BTreeSet<String> = scenario
        .cloudtrail
        .iter()
        .map(|record| record.source_ip_address.clone())
        .collect();
    assert!(sources.contains("AWS Internal"));
    assert!(sources.contains("ec2.amazonaws.com"));
    assert!(sources.contains("lambda.amazonaws.com"));
    let instance_role = scenario.cloudtrail.iter().any(|record| {
        record
            .user_identity
            .session_context
            .as_ref()
            .is_some_and(|context| context.ec2_role_delivery == Some("2.0"))
    });
    assert!(instance_role);
}

#[test]
fn hijacked_okta_session_is_used_from_two_countries() {
    let scenario = scenario::build(EXAMPLE_SEED);
    let attack = &scenario.attack;
    let in_session: Vec<Value> = okta_values(&scenario)
        .into_iter()
        .filter(|event| event["authenticationContext"]["externalSessionId"] == attack.okta_session)
        .collect();
    for event in &in_session {
        assert_eq!(
            event["authenticationContext"]["rootSessionId"],
            attack.okta_session
        );
        assert_eq!(event["actor"]["alternateId"], "alice@example.com");
    }
    let addresses: BTreeSet<&str> = in_session
        .iter()
        .map(|event| event["client"]["ipAddress"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, BTreeSet::from(["198.51.100.23", "203.0.113.10"]));
    let countries: BTreeSet<&str> = in_session
        .iter()
        .map(|event| {
            event["client"]["geographicalContext"]["country"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(countries, BTreeSet::from(["Portugal", "Singapore"]));

    let foreign: Vec<&Value> = in_session
        .iter()
        .filter(|event| event["client"]["ipAddress"] == "198.51.100.23")
        .collect();
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0]["eventType"], "user.authentication.sso");
    assert_eq!(
        foreign[0]["target"][0]["alternateId"],
        "Amazon Web Services"
    );
    assert_eq!(foreign[0]["published"], "2024-05-07T08:41:37.412Z");
    let start = in_session
        .iter()
        .find(|event| event["eventType"] == "user.session.start")
        .unwrap();
    assert_eq!(start["client"]["ipAddress"], "203.0.113.10");

    // The victim keeps using the session from home after the attacker did.
    let later_from_home = in_session.iter().any(|event| {
        event["client"]["ipAddress"] == "203.0.113.10"
            && event["published"].as_str().unwrap() > "2024-05-07T08:41:37.412Z"
            && event["eventType"] == "user.authentication.sso"
    });
    assert!(later_from_home);
}

#[test]
fn attacker_creates_key_for_ci_user() {
    let scenario = scenario::build(EXAMPLE_SEED);
    let attack = &scenario.attack;
    let records = cloudtrail_values(&scenario);
    let attacker = "198.51.100.23";
    let session_arn = "arn:aws:sts::111111111111:assumed-role/Engineering/alice@example.com";

    let federation = records
        .iter()
        .find(|record| {
            record["eventName"] == "AssumeRoleWithSAML" && record["sourceIPAddress"] == attacker
        })
        .unwrap();
    assert_eq!(federation["userIdentity"]["type"], "SAMLUser");
    assert_eq!(federation["userIdentity"]["userName"], "alice@example.com");
    assert_eq!(
        federation["requestParameters"]["roleArn"],
        "arn:aws:iam::111111111111:role/Engineering"
    );
    assert_eq!(
        federation["responseElements"]["credentials"]["accessKeyId"],
        attack.attacker_role_key
    );
    assert!(attack.attacker_role_key.starts_with("ASIA"));

    let with_stolen_key: Vec<&Value> = records
        .iter()
        .filter(|record| record["userIdentity"]["accessKeyId"] == attack.attacker_role_key)
        .collect();
    let names: Vec<&str> = with_stolen_key
        .iter()
        .map(|record| record["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "GetCallerIdentity",
            "ListUsers",
            "ListAccessKeys",
            "CreateAccessKey"
        ]
    );
    for record in &with_stolen_key {
        assert_eq!(record["sourceIPAddress"], attacker);
        assert_eq!(record["userIdentity"]["arn"], session_arn);
    }

    let creation = with_stolen_key[3];
    assert_eq!(creation["requestParameters"]["userName"], "ci-deploy");
    let key = &creation["responseElements"]["accessKey"];
    assert_eq!(key["userName"], "ci-deploy");
    assert_eq!(key["status"], "Active");
    assert_eq!(key["accessKeyId"], attack.created_key);
    assert!(key.get("secretAccessKey").is_none());
    assert!(attack.created_key.starts_with("AKIA"));

    let new_key_uses: Vec<&Value> = records
        .iter()
        .filter(|record| record["userIdentity"]["accessKeyId"] == attack.created_key)
        .collect();
    assert!(!new_key_uses.is_empty());
    for record in new_key_uses {
        assert_eq!(record["userIdentity"]["type"], "IAMUser");
        assert_eq!(record["userIdentity"]["userName"], "ci-deploy");
        assert_eq!(record["sourceIPAddress"], attacker);
    }

    // Alice's own console session goes on from Lisbon while the attacker works.
    let from_home_meanwhile = records.iter().any(|record| {
        record["userIdentity"]["arn"] == session_arn
            && record["sourceIPAddress"] == "203.0.113.10"
            && record["eventTime"].as_str().unwrap() > "2024-05-07T08:45:02Z"
    });
    assert!(from_home_meanwhile);
}

#[test]
fn benign_people_stay_at_home() {
    let scenario = scenario::build(EXAMPLE_SEED);
    let attack = &scenario.attack;
    for event in okta_values(&scenario) {
        if event["client"]["ipAddress"] == "198.51.100.23" {
            assert_eq!(
                event["authenticationContext"]["externalSessionId"],
                attack.okta_session
            );
        }
    }
    let mut addresses = BTreeSet::new();
    for event in okta_values(&scenario) {
        let person = event["actor"]["alternateId"].as_str().unwrap().to_owned();
        let address = event["client"]["ipAddress"].as_str().unwrap().to_owned();
        addresses.insert((person, address));
    }
    let alice: Vec<_> = addresses
        .iter()
        .filter(|(person, _)| person == "alice@example.com")
        .collect();
    assert_eq!(alice.len(), 2);
    let others = addresses.len() - alice.len();
    assert_eq!(others, 4, "{addresses:?}");
}

/// The files in `examples/` are what the generator writes with the example seed. Gzip files
/// are compared after decompression, so that a change of compression library does not
/// matter.
#[test]
fn committed_examples_match_generator() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let generated = tempfile::tempdir().unwrap();
    scenario::write_examples(generated.path(), EXAMPLE_SEED).unwrap();

    let committed_files: Vec<String> = files(&committed)
        .iter()
        .map(|path| relative(&committed, path))
        .filter(|name| name != "README.md" && name != "inventory.yaml")
        .collect();
    let generated_files: Vec<String> = files(generated.path())
        .iter()
        .map(|path| relative(generated.path(), path))
        .collect();
    assert_eq!(
        committed_files, generated_files,
        "regenerate with `cargo run -p riposte-synth -- examples examples/`"
    );
    for name in generated_files {
        assert_eq!(
            json_documents(&committed.join(&name)),
            json_documents(&generated.path().join(&name)),
            "{name} differs; regenerate with `cargo run -p riposte-synth -- examples examples/`"
        );
    }
}

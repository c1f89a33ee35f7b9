#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use riposte_baseline::{
    Assessment, Baseline, BaselineSettings, DecodeError, Feature, hour_of_week,
};
use riposte_model::{Activity, CredentialKind, Event, IdentityKind, Outcome};
use support::{AWS_CLI, EventBuilder, FIREFOX, at, home_sign_in, workload_call};

fn settings() -> BaselineSettings {
    BaselineSettings::default()
}

/// Returns a baseline that learned `days` home sign-ins, one a day at 09:15 from 2024-05-06.
fn home_baseline(days: u32) -> Baseline {
    let mut baseline = Baseline::new();
    for day in 0..days {
        let time = at("2024-05-06T09:15:00Z") + chrono::Duration::days(i64::from(day));
        let mut event = home_sign_in("2024-05-06T09:15:00Z");
        event.time = time;
        assert!(baseline.update(&event, &settings()));
    }
    baseline
}

#[test]
fn sign_in_teaches_network_client_and_device() {
    let baseline = home_baseline(1);

    assert!(baseline.has_country("FR"));
    assert!(baseline.has_country("fr"));
    assert!(!baseline.has_country("DE"));
    assert!(baseline.has_city("FR", "Paris"));
    assert!(!baseline.has_city("US", "Paris"));
    assert!(baseline.has_asn(64500));
    assert!(!baseline.has_asn(64501));
    assert!(baseline.has_prefix("203.0.113.250".parse().unwrap()));
    assert!(!baseline.has_prefix("198.51.100.10".parse().unwrap()));
    assert!(baseline.has_user_agent_family("Chrome"));
    assert!(baseline.has_user_agent_family("chrome"));
    assert!(baseline.has_user_agent("Chrome", Some(124)));
    assert!(!baseline.has_user_agent("Chrome", Some(125)));
    assert!(!baseline.has_user_agent_family("Firefox"));
    assert!(baseline.has_device("laptop-1"));
    assert!(!baseline.has_device("LAPTOP-1"));
    assert_eq!(baseline.event_count(), 1);
    assert_eq!(baseline.authentication_count(), 1);
    assert_eq!(baseline.first_seen(), Some(at("2024-05-06T09:15:00Z")));
    assert_eq!(baseline.last_seen(), Some(at("2024-05-06T09:15:00Z")));
}

#[test]
fn ipv6_prefix_is_a_48() {
    let mut baseline = Baseline::new();
    let event = EventBuilder::sign_in("2024-05-06T09:00:00Z")
        .ip("2001:db8:1:2::1")
        .build();
    baseline.update(&event, &settings());

    assert!(baseline.has_prefix("2001:db8:1:ffff::9".parse().unwrap()));
    assert!(!baseline.has_prefix("2001:db8:2::1".parse().unwrap()));
}

#[test]
fn people_skip_workload_features() {
    let mut baseline = Baseline::new();
    let event = EventBuilder::api_call("2024-05-06T09:00:00Z", "iam.amazonaws.com", "ListUsers")
        .kind(IdentityKind::Human)
        .build();
    baseline.update(&event, &settings());

    assert!(!baseline.has_service("iam.amazonaws.com"));
    assert!(!baseline.has_operation(Some("iam.amazonaws.com"), "ListUsers"));
    assert!(!baseline.has_credential("AKIAEXAMPLEKEY000001"));
    assert_eq!(baseline.event_count(), 1);
    assert_eq!(baseline.authentication_count(), 0);
}

#[test]
fn workload_learns_apis_and_keys() {
    let mut baseline = Baseline::new();
    let event = workload_call("2024-05-06T09:00:00Z", "iam.amazonaws.com", "ListUsers");
    baseline.update(&event, &settings());

    assert!(baseline.has_service("iam.amazonaws.com"));
    assert!(!baseline.has_service("s3.amazonaws.com"));
    assert!(baseline.has_operation(Some("iam.amazonaws.com"), "ListUsers"));
    assert!(!baseline.has_operation(Some("s3.amazonaws.com"), "ListUsers"));
    assert!(!baseline.has_operation(None, "ListUsers"));
    assert!(baseline.has_credential("AKIAEXAMPLEKEY000001"));
    assert!(baseline.has_user_agent_family("boto3"));
    assert_eq!(baseline.authentication_count(), 0);
}

#[test]
fn temporary_keys_are_not_learned() {
    let mut baseline = Baseline::new();
    let event = EventBuilder::api_call("2024-05-06T09:00:00Z", "s3.amazonaws.com", "GetObject")
        .credential(CredentialKind::TemporaryKey, "ASIAEXAMPLEKEY000001")
        .build();
    baseline.update(&event, &settings());

    assert!(!baseline.has_credential("ASIAEXAMPLEKEY000001"));
    assert_eq!(baseline.len(Feature::Credential), 0);
}

#[test]
fn failed_events_teach_nothing() {
    let mut baseline = Baseline::new();
    let mut event = home_sign_in("2024-05-06T09:00:00Z");
    event.outcome = Outcome::Failure;

    assert!(!baseline.update(&event, &settings()));
    assert!(baseline.is_empty());
    assert!(!baseline.has_country("FR"));
    assert_eq!(baseline.last_seen(), None);
}

#[test]
fn learning_ends_after_authentications() {
    let settings = settings();
    let mut baseline = Baseline::new();
    let now = at("2024-05-06T12:00:00Z");
    assert!(baseline.is_learning(now, &settings));

    for minute in 0..9 {
        let event = home_sign_in(&format!("2024-05-06T09:{minute:02}:00Z"));
        baseline.update(&event, &settings);
    }
    assert!(baseline.is_learning(now, &settings));

    let api_call = EventBuilder::sign_in("2024-05-06T09:30:00Z")
        .activity(Activity::ApiCall)
        .build();
    baseline.update(&api_call, &settings);
    assert!(
        baseline.is_learning(now, &settings),
        "an API call is no authentication"
    );

    baseline.update(&home_sign_in("2024-05-06T09:45:00Z"), &settings);
    assert_eq!(baseline.authentication_count(), 10);
    assert!(!baseline.is_learning(now, &settings));
}

#[test]
fn learning_ends_after_days() {
    let settings = settings();
    let baseline = home_baseline(1);

    assert!(baseline.is_learning(at("2024-05-20T09:14:59Z"), &settings));
    assert!(!baseline.is_learning(at("2024-05-20T09:15:00Z"), &settings));
    assert!(
        baseline.is_learning(at("2024-05-01T00:00:00Z"), &settings),
        "a time before the first event is inside the learning period"
    );
}

#[test]
fn learning_thresholds_are_settings() {
    let mut settings = settings();
    settings.learning_days = 1;
    settings.learning_authentications = 0;
    let baseline = home_baseline(1);

    assert!(!baseline.is_learning(at("2024-05-06T09:15:00Z"), &settings));
    settings.learning_authentications = 5;
    assert!(baseline.is_learning(at("2024-05-07T09:14:59Z"), &settings));
    assert!(!baseline.is_learning(at("2024-05-07T09:15:00Z"), &settings));
}

#[test]
fn values_age_out_after_max_age() {
    let settings = settings();
    let mut baseline = home_baseline(1);
    let elsewhere = |time: &str| {
        EventBuilder::sign_in(time)
            .ip("198.51.100.7")
            .asn(64501, "Other Telecom")
            .geo("DE", "Berlin")
            .build()
    };

    // 2024-08-04 is 90 days after 2024-05-06: still kept.
    baseline.update(&elsewhere("2024-08-04T10:00:00Z"), &settings);
    assert!(baseline.has_asn(64500));
    assert!(baseline.has_country("FR"));

    // 91 days: gone, while the newer values stay.
    baseline.update(&elsewhere("2024-08-05T10:00:00Z"), &settings);
    assert!(!baseline.has_asn(64500));
    assert!(!baseline.has_country("FR"));
    assert!(!baseline.has_device("laptop-1"));
    assert!(!baseline.has_user_agent_family("Chrome"));
    assert!(baseline.has_asn(64501));
    assert!(baseline.has_country("DE"));
    assert_eq!(baseline.len(Feature::Country), 1);
    assert_eq!(baseline.event_count(), 3);
}

#[test]
fn full_list_evicts_least_recently_seen() {
    let mut settings = settings();
    settings.caps.countries = 2;
    let mut baseline = Baseline::new();
    let from = |country: &str, time: &str| EventBuilder::sign_in(time).geo(country, "City").build();

    baseline.update(&from("FR", "2024-05-06T09:00:00Z"), &settings);
    baseline.update(&from("DE", "2024-05-07T09:00:00Z"), &settings);
    baseline.update(&from("FR", "2024-05-08T09:00:00Z"), &settings);
    baseline.update(&from("GB", "2024-05-09T09:00:00Z"), &settings);

    assert!(baseline.has_country("FR"));
    assert!(baseline.has_country("GB"));
    assert!(
        !baseline.has_country("DE"),
        "DE was the least recently seen"
    );
    assert_eq!(baseline.len(Feature::Country), 2);
}

#[test]
fn eviction_ties_go_to_lowest_count() {
    let mut settings = settings();
    settings.caps.countries = 2;
    let mut baseline = Baseline::new();
    let from = |country: &str, time: &str| EventBuilder::sign_in(time).geo(country, "City").build();

    baseline.update(&from("DE", "2024-05-06T08:00:00Z"), &settings);
    for hour in 9..12 {
        baseline.update(
            &from("FR", &format!("2024-05-06T{hour:02}:00:00Z")),
            &settings,
        );
    }
    baseline.update(&from("GB", "2024-05-06T13:00:00Z"), &settings);

    assert!(baseline.has_country("FR"));
    assert!(baseline.has_country("GB"));
    assert!(
        !baseline.has_country("DE"),
        "DE had the lowest count on the same day"
    );
}

#[test]
fn late_event_never_evicts_recent_values() {
    let mut settings = settings();
    settings.caps.countries = 2;
    let mut baseline = Baseline::new();
    let from = |country: &str, time: &str| EventBuilder::sign_in(time).geo(country, "City").build();

    baseline.update(&from("FR", "2024-05-16T09:00:00Z"), &settings);
    baseline.update(&from("DE", "2024-05-17T09:00:00Z"), &settings);
    baseline.update(&from("GB", "2024-05-10T09:00:00Z"), &settings);

    assert!(baseline.has_country("FR"));
    assert!(baseline.has_country("DE"));
    assert!(!baseline.has_country("GB"));
}

#[test]
fn lowered_caps_trim_at_next_update() {
    let mut baseline = Baseline::new();
    for (day, country) in ["FR", "DE", "GB", "ES"].iter().enumerate() {
        let event = EventBuilder::sign_in(&format!("2024-05-0{}T09:00:00Z", day + 1))
            .geo(country, "City")
            .build();
        baseline.update(&event, &settings());
    }
    assert_eq!(baseline.len(Feature::Country), 4);

    let mut smaller = settings();
    smaller.caps.countries = 2;
    let event = EventBuilder::sign_in("2024-05-05T09:00:00Z").build();
    baseline.update(&event, &smaller);

    assert_eq!(baseline.len(Feature::Country), 2);
    assert!(baseline.has_country("GB"));
    assert!(baseline.has_country("ES"));
}

#[test]
fn zero_cap_turns_feature_off() {
    let mut settings = settings();
    settings.caps.devices = 0;
    let mut baseline = Baseline::new();
    baseline.update(&home_sign_in("2024-05-06T09:00:00Z"), &settings);

    assert!(!baseline.has_device("laptop-1"));
    assert!(baseline.has_country("FR"));
}

#[test]
fn hour_activity_counts_event_hours() {
    let mut baseline = Baseline::new();
    // Monday 09:30 once, Wednesday 14:10 twice.
    baseline.update(&home_sign_in("2024-05-06T09:30:00Z"), &settings());
    baseline.update(&home_sign_in("2024-05-08T14:10:00Z"), &settings());
    baseline.update(&home_sign_in("2024-05-08T14:50:00Z"), &settings());

    assert_eq!(hour_of_week(at("2024-05-08T14:10:00Z")), 62);
    assert_eq!(baseline.hour_activity(9), 1);
    assert_eq!(baseline.hour_activity(62), 2);
    assert_eq!(baseline.hour_activity(10), 0);
    assert_eq!(baseline.hour_activity(24 + 9), 0);
}

#[test]
fn late_event_widens_first_seen_only() {
    let mut baseline = home_baseline(5);
    let late = home_sign_in("2024-05-01T08:00:00Z");
    baseline.update(&late, &settings());

    assert_eq!(baseline.first_seen(), Some(at("2024-05-01T08:00:00Z")));
    assert_eq!(baseline.last_seen(), Some(at("2024-05-10T09:15:00Z")));
    assert_eq!(baseline.event_count(), 6);
    let assessment = baseline.assess_sign_in(&home_sign_in("2024-05-11T09:00:00Z"), &settings());
    assert_eq!(
        assessment.contribution("known_device").unwrap().detail,
        "device laptop-1 seen 6 times, last on 2024-05-10"
    );
}

#[test]
fn late_event_past_max_age_adds_nothing_new() {
    let mut baseline = home_baseline(1);
    let old = EventBuilder::sign_in("2024-01-01T09:00:00Z")
        .geo("DE", "Berlin")
        .build();
    baseline.update(&old, &settings());

    assert!(!baseline.has_country("DE"));
    assert!(baseline.has_country("FR"));
    assert_eq!(baseline.first_seen(), Some(at("2024-01-01T09:00:00Z")));
}

#[test]
fn counts_saturate() {
    let mut bytes = home_baseline(1).to_bytes();
    // The first country entry follows the 101-byte header and its length byte; its count
    // sits after the 4-byte key.
    let count_at = 101 + 1 + 4;
    bytes[count_at..count_at + 2].copy_from_slice(&u16::MAX.to_le_bytes());
    let mut baseline = Baseline::from_bytes(&bytes).unwrap();

    baseline.update(&home_sign_in("2024-05-07T09:00:00Z"), &settings());

    let again = Baseline::from_bytes(&baseline.to_bytes()).unwrap();
    assert_eq!(again, baseline);
    let count = u16::from_le_bytes([
        baseline.to_bytes()[count_at],
        baseline.to_bytes()[count_at + 1],
    ]);
    assert_eq!(count, u16::MAX);
}

#[test]
fn bytes_round_trip() {
    let mut baseline = home_baseline(3);
    baseline.update(
        &workload_call("2024-05-09T10:00:00Z", "iam.amazonaws.com", "ListUsers"),
        &settings(),
    );
    let bytes = baseline.to_bytes();

    assert_eq!(bytes[0], 1, "format version");
    let values: usize = Feature::ALL
        .iter()
        .map(|&feature| baseline.len(feature))
        .sum();
    assert_eq!(bytes.len(), 101 + Feature::COUNT + 8 * values);
    assert_eq!(Baseline::from_bytes(&bytes).unwrap(), baseline);

    let empty = Baseline::new();
    assert_eq!(empty.to_bytes().len(), 110);
    assert_eq!(Baseline::from_bytes(&empty.to_bytes()).unwrap(), empty);
}

/// Returns the bytes of a one-event baseline with `change` applied.
fn corrupted(change: impl FnOnce(&mut Vec<u8>)) -> DecodeError {
    let mut bytes = home_baseline(1).to_bytes();
    change(&mut bytes);
    Baseline::from_bytes(&bytes).unwrap_err()
}

#[test]
fn corrupt_bytes_are_rejected() {
    assert_eq!(
        Baseline::from_bytes(&[]).unwrap_err().to_string(),
        "invalid baseline: empty input, expected a format version byte"
    );
    assert_eq!(
        corrupted(|bytes| bytes[0] = 2).to_string(),
        "unsupported baseline format version `2`: expected `1`"
    );
    assert_eq!(
        corrupted(|bytes| bytes.truncate(50)).to_string(),
        "truncated baseline: `50` bytes end inside the hour profile, expected at least `101`"
    );
    assert_eq!(
        corrupted(|bytes| bytes.truncate(150)).to_string(),
        "truncated baseline: `150` bytes end inside device, expected at least `151`"
    );
    assert_eq!(
        corrupted(|bytes| {
            bytes.pop();
        })
        .to_string(),
        "truncated baseline: `157` bytes end inside credential, expected at least `158`"
    );
    assert_eq!(
        corrupted(|bytes| bytes.push(0)).to_string(),
        "invalid baseline: `1` bytes after the last feature list, expected none"
    );
    assert_eq!(
        corrupted(|bytes| bytes[5..9].copy_from_slice(&0_u32.to_le_bytes())).to_string(),
        "invalid baseline: first seen `1714986900` is after last seen `0`"
    );
    assert_eq!(
        corrupted(|bytes| bytes[13..17].copy_from_slice(&5_u32.to_le_bytes())).to_string(),
        "invalid baseline: `5` authentications exceed `1` events, expected at most as many"
    );
    assert_eq!(
        corrupted(|bytes| bytes[106..108].copy_from_slice(&[0, 0])).to_string(),
        "invalid baseline: country value `0x5722d6f1` has count `0`, expected at least 1"
    );
    assert_eq!(
        corrupted(|bytes| bytes[108..110].copy_from_slice(&u16::MAX.to_le_bytes())).to_string(),
        "invalid baseline: country value `0x5722d6f1` last seen on day `65535`, after the baseline's last day `19849`"
    );
}

#[test]
fn duplicate_and_orphan_values_are_rejected() {
    let mut bytes = Baseline::new().to_bytes();
    // Give the empty baseline's country list one value.
    bytes[101] = 1;
    bytes.splice(102..102, [1, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(
        Baseline::from_bytes(&bytes).unwrap_err().to_string(),
        "invalid baseline: `0` events but activity or values recorded, expected an empty baseline"
    );

    let mut bytes = home_baseline(1).to_bytes();
    let first_country: Vec<u8> = bytes[102..110].to_vec();
    bytes[101] = 2;
    bytes.splice(110..110, first_country);
    assert_eq!(
        Baseline::from_bytes(&bytes).unwrap_err().to_string(),
        "invalid baseline: country value `0x5722d6f1` appears twice, expected distinct values"
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = Baseline::from_bytes(&bytes);
    }

    #[test]
    fn flipped_byte_fails_or_round_trips(position in 0_usize..200, value in proptest::num::u8::ANY) {
        let mut bytes = home_baseline(3).to_bytes();
        if let Some(byte) = bytes.get_mut(position) {
            *byte = value;
        }
        if let Ok(baseline) = Baseline::from_bytes(&bytes) {
            proptest::prop_assert_eq!(baseline.to_bytes(), bytes);
        }
    }
}

/// Builds a sign-in from a country, network, browser family and device that the home
/// baseline has not seen.
fn novel_sign_in() -> Event {
    EventBuilder::sign_in("2024-05-16T09:20:00Z")
        .ip("198.51.100.7")
        .asn(64501, "Other Telecom")
        .geo("DE", "Berlin")
        .user_agent(FIREFOX)
        .device("phone-9")
        .build()
}

/// Asserts that `scores` has the features, weights and score of `assessment`, which lists at
/// least one contribution, and that only the assessment has details.
fn assert_scores_without_details(scores: &Assessment, assessment: &Assessment) {
    assert!(!assessment.contributions.is_empty());
    assert_eq!(scores.score, assessment.score);
    let features = |assessment: &Assessment| {
        assessment
            .contributions
            .iter()
            .map(|c| (c.feature, c.weight))
            .collect::<Vec<_>>()
    };
    assert_eq!(features(scores), features(assessment));
    assert!(scores.contributions.iter().all(|c| c.detail.is_empty()));
    assert!(
        assessment
            .contributions
            .iter()
            .all(|c| !c.detail.is_empty())
    );
}

#[test]
fn scores_match_assessment_without_details() {
    let baseline = home_baseline(10);
    let novel = novel_sign_in();
    for event in [novel, home_sign_in("2024-05-11T09:00:00Z")] {
        let assessment = baseline.assess_sign_in(&event, &settings());
        let scores = baseline.score_sign_in(&event, &settings());

        assert_scores_without_details(&scores, &assessment);
    }
}

#[test]
fn network_assessment_keeps_network_contributions() {
    let baseline = home_baseline(10);
    let novel = novel_sign_in();
    let without_asn = EventBuilder::sign_in("2024-05-16T09:20:00Z")
        .ip("198.51.100.7")
        .build();
    for event in [novel, without_asn, home_sign_in("2024-05-11T09:00:00Z")] {
        let full = baseline.assess_sign_in(&event, &settings());
        let network = baseline.assess_sign_in_network(&event, &settings());

        let expected: Vec<_> = full
            .contributions
            .iter()
            .filter(|c| matches!(c.feature, "new_asn" | "new_prefix" | "known_asn"))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(network.contributions.iter().collect::<Vec<_>>(), expected);
    }
}

#[test]
fn new_place_scores_every_novel_feature() {
    let baseline = home_baseline(10);
    let event = novel_sign_in();

    let assessment = baseline.assess_sign_in(&event, &settings());

    let contributions: Vec<(&str, f64, &str)> = assessment
        .contributions
        .iter()
        .map(|c| (c.feature, c.weight, c.detail.as_str()))
        .collect();
    assert_eq!(
        contributions,
        [
            (
                "new_country",
                0.35,
                "country DE is new (known in the last 90 days: 1 country)"
            ),
            (
                "new_asn",
                0.25,
                "network AS64501 (Other Telecom) is new (known in the last 90 days: 1 autonomous system)"
            ),
            (
                "new_user_agent_family",
                0.15,
                "client Firefox 125 is of a new family (known in the last 90 days: 1 family)"
            ),
            (
                "new_device",
                0.15,
                "device phone-9 is new (known in the last 90 days: 1 device)"
            ),
        ]
    );
    assert!(
        (assessment.score - 0.90).abs() < 1e-9,
        "{}",
        assessment.score
    );
    assert_eq!(assessment.new_features(), 4);
}

#[test]
fn familiar_sign_in_scores_zero() {
    let baseline = home_baseline(10);
    let event = home_sign_in("2024-05-16T09:20:00Z");

    let assessment = baseline.assess_sign_in(&event, &settings());

    let contributions: Vec<(&str, f64, &str)> = assessment
        .contributions
        .iter()
        .map(|c| (c.feature, c.weight, c.detail.as_str()))
        .collect();
    assert_eq!(
        contributions,
        [
            (
                "known_device",
                -0.30,
                "device laptop-1 seen 10 times, last on 2024-05-15"
            ),
            (
                "known_asn",
                -0.20,
                "network AS64500 (Example Telecom) seen 10 times, last on 2024-05-15"
            ),
        ]
    );
    assert_eq!(assessment.score, 0.0);
}

#[test]
fn known_asn_needs_established_count() {
    let baseline = home_baseline(4);
    let assessment = baseline.assess_sign_in(&home_sign_in("2024-05-10T09:20:00Z"), &settings());

    assert!(assessment.contribution("known_asn").is_none());
    assert!(assessment.contribution("known_device").is_some());
}

#[test]
fn unusual_hour_needs_enough_events() {
    let night = home_sign_in("2024-05-27T03:10:00Z");

    let young = home_baseline(19);
    assert!(
        young
            .assess_sign_in(&night, &settings())
            .contribution("unusual_hour")
            .is_none()
    );

    let baseline = home_baseline(20);
    let assessment = baseline.assess_sign_in(&night, &settings());
    let unusual = assessment.contribution("unusual_hour").unwrap();
    assert_eq!(unusual.weight, 0.10);
    assert_eq!(
        unusual.detail,
        "no activity between 02:00 and 04:59 UTC on any day of the week"
    );

    let near_usual = home_sign_in("2024-05-27T10:40:00Z");
    assert!(
        baseline
            .assess_sign_in(&near_usual, &settings())
            .contribution("unusual_hour")
            .is_none(),
        "10:40 is within an hour of the usual 09:15"
    );
}

#[test]
fn new_prefix_counts_without_asn() {
    let baseline = home_baseline(3);
    let event = EventBuilder::sign_in("2024-05-09T09:20:00Z")
        .ip("192.0.2.44")
        .no_asn()
        .build();

    let assessment = baseline.assess_sign_in(&event, &settings());

    let new_prefix = assessment.contribution("new_prefix").unwrap();
    assert_eq!(new_prefix.weight, 0.15);
    assert_eq!(
        new_prefix.detail,
        "network 192.0.2.0/24 is new (known in the last 90 days: 1 network)"
    );
    assert!(assessment.contribution("new_asn").is_none());
}

#[test]
fn stale_values_are_not_known() {
    let mut baseline = home_baseline(1);
    let germany = EventBuilder::sign_in("2024-07-25T09:00:00Z")
        .geo("DE", "Berlin")
        .build();
    baseline.update(&germany, &settings());

    // 2024-08-14 is 100 days after the only French sign-in, 20 after the German one.
    let assessment = baseline.assess_sign_in(&home_sign_in("2024-08-14T09:00:00Z"), &settings());

    assert_eq!(
        assessment.contribution("new_country").unwrap().detail,
        "country FR is new (known in the last 90 days: 1 country)"
    );
    assert!(assessment.contribution("known_device").is_none());
}

#[test]
fn missing_features_contribute_nothing() {
    let mut baseline = Baseline::new();
    baseline.update(
        &EventBuilder::sign_in("2024-05-06T09:00:00Z").build(),
        &settings(),
    );

    let assessment = baseline.assess_sign_in(&home_sign_in("2024-05-07T09:00:00Z"), &settings());

    assert!(
        assessment.contributions.is_empty(),
        "a baseline with no country, network, client or device has nothing to compare: {:?}",
        assessment.contributions
    );
    assert_eq!(assessment.score, 0.0);
}

#[test]
fn zero_weight_hides_feature() {
    let baseline = home_baseline(10);
    let mut settings = settings();
    settings.sign_in_weights.new_country = 0.0;
    let event = EventBuilder::sign_in("2024-05-16T09:20:00Z")
        .geo("DE", "Berlin")
        .build();

    let assessment = baseline.assess_sign_in(&event, &settings);

    assert!(assessment.contribution("new_country").is_none());
}

/// Returns the baseline of a workload that called `s3:GetObject` from its usual network
/// once a day for ten days.
fn workload_baseline() -> Baseline {
    let mut baseline = Baseline::new();
    for day in 0..10 {
        let mut event = workload_call("2024-05-06T10:00:00Z", "s3.amazonaws.com", "GetObject");
        event.time += chrono::Duration::days(day);
        baseline.update(&event, &settings());
    }
    baseline
}

#[test]
fn leaked_key_pattern_scores_every_novel_feature() {
    let baseline = workload_baseline();
    let event = EventBuilder::api_call(
        "2024-05-16T03:00:00Z",
        "sts.amazonaws.com",
        "GetCallerIdentity",
    )
    .ip("192.0.2.99")
    .asn(64999, "Unknown Hosting")
    .geo("NL", "Amsterdam")
    .user_agent(AWS_CLI)
    .build();

    let assessment = baseline.assess_workload_call(&event, &settings());

    let contributions: Vec<(&str, f64, &str)> = assessment
        .contributions
        .iter()
        .map(|c| (c.feature, c.weight, c.detail.as_str()))
        .collect();
    assert_eq!(
        contributions,
        [
            (
                "new_asn",
                0.40,
                "network AS64999 (Unknown Hosting) is new (known in the last 90 days: 1 autonomous system)"
            ),
            (
                "new_service",
                0.20,
                "service sts.amazonaws.com is new (known in the last 90 days: 1 service)"
            ),
            (
                "new_operation",
                0.10,
                "operation sts:GetCallerIdentity is new (known in the last 90 days: 1 operation)"
            ),
            (
                "new_discovery_operation",
                0.20,
                "sts:GetCallerIdentity lists or describes identities, permissions or resources"
            ),
            (
                "new_user_agent_family",
                0.15,
                "client aws-cli 2 is of a new family (known in the last 90 days: 1 family)"
            ),
        ]
    );
    assert_eq!(assessment.score, 1.0, "1.05 is clamped");
}

#[test]
fn workload_scores_match_assessment_without_details() {
    let baseline = workload_baseline();
    let novel = EventBuilder::api_call(
        "2024-05-16T03:00:00Z",
        "sts.amazonaws.com",
        "GetCallerIdentity",
    )
    .ip("192.0.2.99")
    .asn(64999, "Unknown Hosting")
    .user_agent(AWS_CLI)
    .build();
    let usual = workload_call("2024-05-16T10:00:00Z", "s3.amazonaws.com", "GetObject");
    for event in [novel, usual] {
        let assessment = baseline.assess_workload_call(&event, &settings());
        let scores = baseline.score_workload_call(&event, &settings());

        assert_scores_without_details(&scores, &assessment);
    }
}

#[test]
fn secret_read_with_new_key_is_flagged() {
    let baseline = workload_baseline();
    let event = EventBuilder::api_call(
        "2024-05-16T10:00:00Z",
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
    )
    .ip("198.51.100.20")
    .asn(64600, "Example Cloud")
    .user_agent(support::BOTO3)
    .credential(CredentialKind::LongLivedKey, "AKIAEXAMPLEKEY000002")
    .build();

    let assessment = baseline.assess_workload_call(&event, &settings());

    let features: Vec<(&str, f64)> = assessment
        .contributions
        .iter()
        .map(|c| (c.feature, c.weight))
        .collect();
    assert_eq!(
        features,
        [
            ("new_service", 0.20),
            ("new_operation", 0.10),
            ("new_credential_access_operation", 0.25),
            ("new_credential", 0.10),
            ("known_asn", -0.20),
        ]
    );
    assert_eq!(
        assessment.contribution("new_credential").unwrap().detail,
        "credential AKIAEXAMPLEKEY000002 is new (known in the last 90 days: 1 credential)"
    );
    assert_eq!(
        assessment.contribution("known_asn").unwrap().detail,
        "network AS64600 (Example Cloud) seen 10 times, last on 2024-05-15"
    );
    assert!(
        (assessment.score - 0.45).abs() < 1e-9,
        "{}",
        assessment.score
    );
}

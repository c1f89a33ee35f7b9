#![expect(
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on a broken setup"
)]

mod support;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::num::NonZeroU32;

use proptest::prelude::*;
use riposte_baseline::{
    Baseline, BaselineCache, BaselineSettings, Feature, FeatureCaps, HOURS_PER_WEEK, MAX_HOUR_LEVEL,
};
use riposte_model::{Activity, CredentialKind, Event, IdentityKind, Outcome};
use support::{EventBuilder, at};

const COUNTRIES: [&str; 6] = ["FR", "DE", "GB", "US", "ES", "United States"];
const AGENTS: [&str; 5] = [
    support::CHROME,
    support::FIREFOX,
    support::AWS_CLI,
    support::BOTO3,
    "unknown",
];
const OPERATIONS: [(&str, &str); 6] = [
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "ListBuckets"),
    ("iam.amazonaws.com", "ListUsers"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("kms.amazonaws.com", "Decrypt"),
    ("secretsmanager.amazonaws.com", "GetSecretValue"),
];

/// The varying parts of one generated event.
#[derive(Clone, Debug)]
struct EventSpec {
    /// Minutes after 2024-01-01, over about 400 days and in any order.
    minute: i64,
    country: usize,
    asn: Option<u32>,
    ip: Option<(bool, u128)>,
    agent: usize,
    device: Option<u8>,
    workload: bool,
    operation: usize,
    key: u8,
    outcome: u8,
}

fn event_spec() -> impl Strategy<Value = EventSpec> {
    (
        0_i64..576_000,
        0..COUNTRIES.len(),
        proptest::option::of(64_500_u32..64_520),
        proptest::option::of((any::<bool>(), any::<u128>())),
        0..AGENTS.len(),
        proptest::option::of(0_u8..8),
        any::<bool>(),
        0..OPERATIONS.len(),
        0_u8..6,
        0_u8..3,
    )
        .prop_map(
            |(minute, country, asn, ip, agent, device, workload, operation, key, outcome)| {
                EventSpec {
                    minute,
                    country,
                    asn,
                    ip,
                    agent,
                    device,
                    workload,
                    operation,
                    key,
                    outcome,
                }
            },
        )
}

fn build(spec: &EventSpec) -> Event {
    let (service, operation) = OPERATIONS[spec.operation];
    let mut builder = if spec.workload {
        EventBuilder::api_call("2024-01-01T00:00:00Z", service, operation)
            .kind(IdentityKind::IamUserAccessKey)
            .credential(
                CredentialKind::LongLivedKey,
                &format!("AKIAEXAMPLEKEY{:06}", spec.key),
            )
    } else {
        EventBuilder::sign_in("2024-01-01T00:00:00Z").activity(Activity::SignIn)
    };
    builder = builder
        .geo(COUNTRIES[spec.country], "City")
        .user_agent(AGENTS[spec.agent])
        .outcome(match spec.outcome {
            0 => Outcome::Success,
            1 => Outcome::Failure,
            _ => Outcome::Unknown,
        });
    if let Some(number) = spec.asn {
        builder = builder.asn(number, "Example Network");
    }
    if let Some((v4, bits)) = spec.ip {
        // Only the bits that choose the prefix vary, so that prefixes repeat.
        let address = if v4 {
            std::net::Ipv4Addr::from_bits(0xCB00_7100 ^ ((bits as u32) & 0x0F00)).to_string()
        } else {
            std::net::Ipv6Addr::from_bits(
                0x2001_0db8_0000_0000_0000_0000_0000_0001 ^ ((bits & 0x7) << 80),
            )
            .to_string()
        };
        builder = builder.ip(&address);
    }
    if let Some(device) = spec.device {
        builder = builder.device(&format!("device-{device}"));
    }
    let mut event = builder.build();
    event.time = at("2024-01-01T00:00:00Z") + chrono::Duration::minutes(spec.minute);
    event
}

fn settings() -> impl Strategy<Value = BaselineSettings> {
    (
        proptest::collection::vec(0_u8..5, Feature::COUNT),
        0_u16..120,
    )
        .prop_map(|(caps, max_age_days)| BaselineSettings {
            max_age_days,
            caps: FeatureCaps {
                countries: caps[0],
                cities: caps[1],
                asns: caps[2],
                prefixes: caps[3],
                user_agents: caps[4],
                devices: caps[5],
                services: caps[6],
                operations: caps[7],
                credentials: caps[8],
            },
            ..BaselineSettings::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn baseline_stays_bounded_and_serializable(
        specs in proptest::collection::vec(event_spec(), 1..60),
        settings in settings(),
    ) {
        let mut baseline = Baseline::new();
        let mut learned = 0_u32;
        for spec in &specs {
            let event = build(spec);
            let changed = baseline.update(&event, &settings);
            prop_assert_eq!(changed, event.outcome != Outcome::Failure);
            learned += u32::from(changed);

            for feature in Feature::ALL {
                prop_assert!(
                    baseline.len(feature) <= usize::from(settings.caps.of(feature)),
                    "{} holds {} values, cap {}",
                    feature,
                    baseline.len(feature),
                    settings.caps.of(feature)
                );
            }
            prop_assert_eq!(baseline.event_count(), learned);
            prop_assert!(baseline.authentication_count() <= baseline.event_count());
            prop_assert!(baseline.first_seen() <= baseline.last_seen());
            for hour in 0..HOURS_PER_WEEK {
                prop_assert!(baseline.hour_activity(hour) <= MAX_HOUR_LEVEL);
            }
            let bytes = baseline.to_bytes();
            prop_assert_eq!(&Baseline::from_bytes(&bytes).unwrap(), &baseline);
            let _ = baseline.assess_sign_in(&event, &settings);
            let _ = baseline.assess_workload_call(&event, &settings);
        }
    }

    #[test]
    fn cache_matches_reference_lru(
        operations in proptest::collection::vec((0_u8..3, 0_u64..12), 1..200),
        capacity in 1_u32..6,
    ) {
        let mut cache = BaselineCache::new(NonZeroU32::new(capacity).unwrap());
        // Most recently used first.
        let mut model: VecDeque<u64> = VecDeque::new();
        let mut dirty_model: Vec<u64> = Vec::new();
        let settings = BaselineSettings::default();
        let event = support::home_sign_in("2024-05-06T09:00:00Z");

        for (operation, id) in operations {
            match operation {
                0 => {
                    let found = cache.get(id).is_some();
                    let position = model.iter().position(|&cached| cached == id);
                    prop_assert_eq!(found, position.is_some());
                    if let Some(position) = position {
                        model.remove(position);
                        model.push_front(id);
                    }
                }
                1 => {
                    let mut cached = cache.get_or_load(id, |_| Ok::<_, Infallible>(None)).unwrap();
                    prop_assert_eq!(cached.id(), id);
                    cached.update(&event, &settings);
                    if !dirty_model.contains(&id) {
                        dirty_model.push(id);
                    }
                    if let Some(position) = model.iter().position(|&cached| cached == id) {
                        model.remove(position);
                    }
                    model.push_front(id);
                }
                _ => {
                    let mut drained: Vec<u64> =
                        cache.drain_dirty().iter().map(|dirty| dirty.id).collect();
                    drained.sort_unstable();
                    dirty_model.sort_unstable();
                    prop_assert_eq!(&drained, &dirty_model);
                    dirty_model.clear();
                }
            }
            model.truncate(capacity as usize);
            prop_assert_eq!(cache.ids_by_recency(), model.iter().copied().collect::<Vec<_>>());
            prop_assert!(cache.len() <= capacity as usize);
        }
    }
}

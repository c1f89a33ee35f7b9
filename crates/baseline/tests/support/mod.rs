//! Events for the tests and the benchmark: a builder for single events, and a population of
//! identities with realistic histories.
//!
//! Addresses are in the documentation ranges, autonomous systems in the private-use range
//! 64512-65534, and device and key ids are made up.

#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test support: a bad literal or index is a bug in the test"
)]

use riposte_model::{
    Activity, Asn, Credential, CredentialKind, Event, Geo, GeoSource, IdentityKind, IdentityRef,
    Origin, Outcome, Provider, Source, SourceFormat, Timestamp,
};

/// Parses an RFC 3339 time.
pub fn at(time: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(time)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Builds one event field by field, starting from a successful Okta sign-in of a person.
pub struct EventBuilder {
    event: Event,
}

impl EventBuilder {
    pub fn sign_in(time: &str) -> Self {
        let actor = IdentityRef::new(Provider::Okta, "00u1example", IdentityKind::Human);
        Self {
            event: Event {
                format: SourceFormat::Okta,
                event_id: format!("sign-in@{time}").into(),
                time: at(time),
                activity: Activity::SignIn,
                operation: "user.session.start".into(),
                service: None,
                outcome: Outcome::Success,
                outcome_reason: None,
                actor,
                credential: Credential {
                    kind: CredentialKind::Password,
                    id: None,
                },
                session_id: None,
                root_session_id: None,
                token_id: None,
                source: Source::default(),
                interactive: Some(true),
                mfa: None,
                targets: Vec::new(),
                privileges: Vec::new(),
                risk: None,
                account: None,
                location: None,
            },
        }
    }

    /// Starts a successful CloudTrail call by an EC2 instance role with a long-lived key.
    pub fn api_call(time: &str, service: &str, operation: &str) -> Self {
        let mut builder = Self::sign_in(time);
        let event = &mut builder.event;
        event.format = SourceFormat::CloudTrail;
        event.activity = Activity::ApiCall;
        event.operation = operation.into();
        event.service = Some(service.into());
        event.actor = IdentityRef::new(
            Provider::Aws,
            "arn:aws:sts::111111111111:assumed-role/app/i-0example",
            IdentityKind::InstanceRoleSession,
        );
        event.credential = Credential {
            kind: CredentialKind::LongLivedKey,
            id: Some("AKIAEXAMPLEKEY000001".into()),
        };
        event.interactive = None;
        builder
    }

    pub fn time(mut self, time: &str) -> Self {
        self.event.time = at(time);
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        self.event.source.origin = Origin::Ip(ip.parse().unwrap());
        self
    }

    pub fn asn(mut self, number: u32, organization: &str) -> Self {
        self.event.source.asn = Some(Asn {
            number,
            organization: Some(organization.into()),
        });
        self
    }

    pub fn no_asn(mut self) -> Self {
        self.event.source.asn = None;
        self
    }

    pub fn geo(mut self, country: &str, city: &str) -> Self {
        self.event.source.geo = Some(Geo {
            country: Some(country.into()),
            region: None,
            city: Some(city.into()),
            latitude: None,
            longitude: None,
            accuracy_radius_km: None,
            source: GeoSource::Record,
        });
        self
    }

    pub fn user_agent(mut self, user_agent: &str) -> Self {
        self.event.source.user_agent = Some(user_agent.into());
        self
    }

    pub fn device(mut self, device_id: &str) -> Self {
        self.event.source.device_id = Some(device_id.into());
        self
    }

    pub fn credential(mut self, kind: CredentialKind, id: &str) -> Self {
        self.event.credential = Credential {
            kind,
            id: Some(id.into()),
        };
        self
    }

    pub fn kind(mut self, kind: IdentityKind) -> Self {
        self.event.actor.kind = kind;
        self
    }

    pub fn activity(mut self, activity: Activity) -> Self {
        self.event.activity = activity;
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.event.outcome = outcome;
        self
    }

    pub fn build(self) -> Event {
        self.event
    }
}

pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Safari/537.36";
pub const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0";
pub const AWS_CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22";
pub const BOTO3: &str = "Boto3/1.34.0 Python/3.11.8 Linux/6.5.0 Botocore/1.34.0";

/// Returns a home sign-in of the default person: France, Paris, AS64500, 203.0.113.10, Chrome 124,
/// device `laptop-1`, at `time`.
pub fn home_sign_in(time: &str) -> Event {
    EventBuilder::sign_in(time)
        .ip("203.0.113.10")
        .asn(64500, "Example Telecom")
        .geo("FR", "Paris")
        .user_agent(CHROME)
        .device("laptop-1")
        .build()
}

/// Returns a call of the default workload from its usual network: US, Ashburn, AS64600,
/// 198.51.100.20, boto3, key `AKIAEXAMPLEKEY000001`.
pub fn workload_call(time: &str, service: &str, operation: &str) -> Event {
    EventBuilder::api_call(time, service, operation)
        .ip("198.51.100.20")
        .asn(64600, "Example Cloud")
        .geo("US", "Ashburn")
        .user_agent(BOTO3)
        .build()
}

/// SplitMix64: a small deterministic generator, so that every run builds the same
/// population.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    /// Returns true with a probability of `percent` in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const NETWORKS: usize = 64;
const COUNTRIES: [(&str, &str); 8] = [
    ("FR", "Paris"),
    ("FR", "Lyon"),
    ("DE", "Berlin"),
    ("GB", "London"),
    ("US", "Ashburn"),
    ("US", "Seattle"),
    ("ES", "Madrid"),
    ("NL", "Amsterdam"),
];
const HUMAN_AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.60 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.14326; Pro)",
];
const DEVICES: usize = 16;
const WORKLOAD_AGENTS: [&str; 2] = [BOTO3, "aws-sdk-go/1.44.221 (go1.19.6; linux; amd64)"];
const OPERATIONS: [(&str, &str); 24] = [
    ("s3.amazonaws.com", "GetObject"),
    ("s3.amazonaws.com", "PutObject"),
    ("s3.amazonaws.com", "ListObjects"),
    ("s3.amazonaws.com", "HeadObject"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("dynamodb.amazonaws.com", "PutItem"),
    ("dynamodb.amazonaws.com", "Query"),
    ("sqs.amazonaws.com", "ReceiveMessage"),
    ("sqs.amazonaws.com", "DeleteMessage"),
    ("sqs.amazonaws.com", "SendMessage"),
    ("kms.amazonaws.com", "Decrypt"),
    ("kms.amazonaws.com", "GenerateDataKey"),
    ("logs.amazonaws.com", "PutLogEvents"),
    ("logs.amazonaws.com", "CreateLogStream"),
    ("ec2.amazonaws.com", "DescribeInstances"),
    ("ec2.amazonaws.com", "DescribeTags"),
    ("sts.amazonaws.com", "AssumeRole"),
    ("sts.amazonaws.com", "GetCallerIdentity"),
    ("secretsmanager.amazonaws.com", "GetSecretValue"),
    ("ssm.amazonaws.com", "GetParameter"),
    ("lambda.amazonaws.com", "Invoke"),
    ("sns.amazonaws.com", "Publish"),
    ("cloudwatch.amazonaws.com", "PutMetricData"),
    ("ecr.amazonaws.com", "GetAuthorizationToken"),
];
const CREDENTIALS: usize = 4;

/// Returns the address, autonomous system and place of network `n`. One network in four is
/// IPv4, in one of the three documentation /24s. The others are IPv6, each in its own /48 of
/// 2001:db8::/32, so that most networks have a prefix of their own.
fn network(n: usize) -> (String, u32, (&'static str, &'static str)) {
    let ip = if n % 4 == 0 {
        let range = ["203.0.113", "198.51.100", "192.0.2"][n / 4 % 3];
        format!("{range}.{}", n + 1)
    } else {
        format!("2001:db8:{n:x}::{:x}", n + 1)
    };
    let asn = 64_512 + n as u32;
    (ip, asn, COUNTRIES[n % COUNTRIES.len()])
}

/// Prebuilt events that a population of identities draws from: every combination of
/// network, client, device (people) or network, operation, credential (workloads). Feeding
/// an identity only changes the time of a prebuilt event, so that building the history of
/// a million identities allocates nothing but the baselines themselves.
pub struct Population {
    human: Vec<Event>,
    workload: Vec<Event>,
}

impl Population {
    pub fn new() -> Self {
        let mut human = Vec::new();
        for n in 0..NETWORKS {
            let (ip, asn, (country, city)) = network(n);
            for agent in HUMAN_AGENTS {
                for device in 0..DEVICES {
                    human.push(
                        EventBuilder::sign_in("2024-05-06T09:00:00Z")
                            .ip(&ip)
                            .asn(asn, "Example Network")
                            .geo(country, city)
                            .user_agent(agent)
                            .device(&format!("device-{device:04}"))
                            .build(),
                    );
                }
            }
        }
        let mut workload = Vec::new();
        for n in 0..NETWORKS {
            let (ip, asn, (country, city)) = network(n);
            for (index, (service, operation)) in OPERATIONS.iter().enumerate() {
                for credential in 0..CREDENTIALS {
                    workload.push(
                        EventBuilder::api_call("2024-05-06T09:00:00Z", service, operation)
                            .ip(&ip)
                            .asn(asn, "Example Cloud")
                            .geo(country, city)
                            .user_agent(WORKLOAD_AGENTS[index % WORKLOAD_AGENTS.len()])
                            .credential(
                                CredentialKind::LongLivedKey,
                                &format!("AKIAEXAMPLEKEY{credential:06}"),
                            )
                            .build(),
                    );
                }
            }
        }
        Self { human, workload }
    }

    fn human_event(&mut self, network: usize, agent: usize, device: usize) -> &mut Event {
        let index = (network * HUMAN_AGENTS.len() + agent) * DEVICES + device;
        &mut self.human[index]
    }

    fn workload_event(
        &mut self,
        network: usize,
        operation: usize,
        credential: usize,
    ) -> &mut Event {
        let index = (network * OPERATIONS.len() + operation) * CREDENTIALS + credential;
        &mut self.workload[index]
    }

    /// Feeds `count` events of identity `id` to `learn`, in time order over `count` days
    /// from 2024-05-06. Four identities in five are people: mostly from home, sometimes from
    /// a mobile network, rarely from a trip, with one or two clients and devices. The fifth
    /// is a workload calling six operations from one network, rarely a second, with one key
    /// and rarely its successor.
    pub fn feed(&mut self, id: u64, count: u32, mut learn: impl FnMut(&Event)) {
        let mut rng = Rng::new(id);
        let start = at("2024-05-06T00:00:00Z");
        let human = id % 5 != 0;
        let home = rng.below(NETWORKS);
        let mobile = rng.below(NETWORKS);
        let agents = [rng.below(HUMAN_AGENTS.len()), rng.below(HUMAN_AGENTS.len())];
        let devices = [rng.below(DEVICES), rng.below(DEVICES)];
        let operations: Vec<usize> = (0..6).map(|_| rng.below(OPERATIONS.len())).collect();
        for day in 0..count {
            let hour = 7 + rng.below(12) as i64;
            let time = start
                + chrono::Duration::days(i64::from(day))
                + chrono::Duration::hours(hour)
                + chrono::Duration::minutes(rng.below(60) as i64);
            let event = if human {
                let network = match rng.below(100) {
                    0..70 => home,
                    70..95 => mobile,
                    _ => rng.below(NETWORKS),
                };
                let agent = agents[usize::from(rng.chance(20))];
                let device = devices[usize::from(rng.chance(25))];
                self.human_event(network, agent, device)
            } else {
                let network = if rng.chance(10) { mobile } else { home };
                let operation = operations[rng.below(operations.len())];
                let credential = usize::from(rng.chance(5));
                self.workload_event(network, operation, credential)
            };
            event.time = time;
            learn(event);
        }
    }
}

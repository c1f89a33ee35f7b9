//! A large mixed data set for throughput benchmarks, streamed to disk.
//!
//! Half of the records are CloudTrail, three tenths Okta and one fifth Entra ID. They describe
//! a population of people and workloads that behave consistently. Each person always comes
//! from one home address, city, network and browser, and each workload from one address. Event time advances at about [`RECORDS_PER_SECOND`] records per second from
//! 2024-05-06T00:00:00Z, in 5-minute slices; only one slice is held in memory at a time.
//!
//! Layout under the output folder:
//! - `cloudtrail/AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/*.json.gz`: one or more
//!   gzip `{"Records":[...]}` files per 5-minute slice, at most
//!   [`MAX_CLOUDTRAIL_FILE_RECORDS`] records each, not sorted inside;
//! - `okta/system-log-<yyyymmddThh>.jsonl`: one Okta event per line, one file per hour;
//! - `entra/azure-monitor-<yyyymmddThh>.json`: one `{"records":[...]}` batch of at most
//!   [`ENTRA_BATCH_RECORDS`] records per line, one file per hour, as an Event Hub consumer
//!   would store them.
//!
//! A few attacks are mixed in (one per 200,000 records, from 2,000 records on): a person's
//! Okta session is used from an attacker's address in another country to sign in to AWS, and
//! the attacker's role session creates an access key for a CI user and uses it.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cloudtrail::{self, Call, Caller, CloudTrailRecord, ReadCall, UserIdentity};
use crate::entra::{self, EntraApp, EntraRecord, PropertyChange};
use crate::okta::{self, OktaApp, OktaEvent, OktaSession};
use crate::output::{self, AzureMonitorBatch};
use crate::population::{
    APP_SERVER_ROLE, Function, IamUser, Instance, LAMBDA_ROLE, PERSON_ROLES, Person,
    ServicePrincipal, WorkloadClient,
};
use crate::world::{self, Client};
use crate::{SynthError, WriteSummary, ids};

pub const DEFAULT_RECORDS: u64 = 1_000_000;
pub const DEFAULT_IDENTITIES: u32 = 20_000;
pub const DEFAULT_SEED: u64 = 1;

/// Records per second of event time, all formats together; 1,000,000 records span about 23
/// hours.
pub const RECORDS_PER_SECOND: u64 = 12;
/// The shortest span of event time, so that small data sets still cover an hour.
const MIN_SPAN_SECS: u64 = 3600;
/// Length of a slice of event time, in seconds: CloudTrail delivers a file about every 5
/// minutes.
const SLICE_SECS: u64 = 300;
/// The maximum number of records in one CloudTrail file. Busier slices are split into
/// several files.
pub const MAX_CLOUDTRAIL_FILE_RECORDS: usize = 1000;
/// The maximum number of records in one Azure Monitor batch.
pub const ENTRA_BATCH_RECORDS: usize = 250;
/// One attack per this many records.
const RECORDS_PER_ATTACK: u64 = 200_000;
/// Data sets smaller than this get no attack.
const MIN_RECORDS_FOR_ATTACK: u64 = 2_000;
const MAX_ATTACKS: u64 = 100;

/// Settings of a benchmark data set.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    pub records: u64,
    pub seed: u64,
    /// People and workloads together.
    pub identities: u32,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            records: DEFAULT_RECORDS,
            seed: DEFAULT_SEED,
            identities: DEFAULT_IDENTITIES,
        }
    }
}

/// Tags that keep values derived from the same identity and period apart.
#[derive(Clone, Copy)]
enum Derived {
    OktaSession = 1,
    EntraSession = 2,
    PersonRoleKey = 3,
    InstanceKey = 4,
    FunctionKey = 5,
}

/// SplitMix64's output function: a bijective mix of 64 bits.
fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A generator for values that depend only on the seed, an identity and a period (a day, a
/// credential lifetime), so that they are the same wherever in the stream they are needed,
/// without keeping them in memory.
fn derived_rng(seed: u64, tag: Derived, index: usize, period: i64) -> ChaCha8Rng {
    let mut state = mix(seed ^ (tag as u64));
    state = mix(state ^ index as u64);
    state = mix(state ^ period as u64);
    ChaCha8Rng::seed_from_u64(state)
}

const FIRST_NAMES: [&str; 30] = [
    "alex", "blake", "casey", "dana", "eli", "frances", "gale", "harper", "iris", "jordan", "kai",
    "lee", "morgan", "noor", "oakley", "parker", "quinn", "riley", "sage", "taylor", "uma", "val",
    "wren", "xan", "yael", "zane", "ari", "bo", "cam", "dev",
];
const LAST_NAMES: [&str; 30] = [
    "adams", "baker", "costa", "diaz", "evans", "fischer", "garcia", "hansen", "ito", "jensen",
    "kowalski", "lopez", "moreau", "nakamura", "olsen", "petrov", "quint", "rossi", "silva",
    "tanaka", "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "almeida", "brown", "chen",
    "dubois",
];

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The IPv4 addresses people share (home routers behind carrier NAT, offices):
/// 203.0.113.1-254 and 198.51.100.1-126. Address `k` is in home city `k % HOME_PLACES.len()`.
const SHARED_V4_ADDRESSES: usize = 254 + 126;

fn shared_v4(k: usize) -> IpAddr {
    let host = |value: usize| u8::try_from(value).unwrap_or(u8::MAX);
    if k < 254 {
        world::test_net_3(host(k + 1))
    } else {
        world::test_net_2(host(k - 254 + 1))
    }
}

/// The people and workloads of the benchmark.
struct Population {
    people: Vec<Person>,
    instances: Vec<Instance>,
    functions: Vec<Function>,
    ci_users: Vec<IamUser>,
    principals: Vec<ServicePrincipal>,
}

impl Population {
    /// Returns the people who administer Okta and Entra: one in a thousand, at least one.
    fn admins(&self) -> &[Person] {
        let count = (self.people.len() / 1000).max(1);
        self.people.get(..count).unwrap_or(&self.people)
    }

    /// Generates `identities` people and workloads. Nine in ten are people. The rest are EC2
    /// instances, Lambda functions, CI users and Entra service principals in equal parts, with
    /// at least one of each.
    fn generate(rng: &mut impl Rng, identities: u32) -> Self {
        let identities = identities as usize;
        let per_workload_kind = (identities / 40).max(1);
        let people_count = identities.saturating_sub(4 * per_workload_kind).max(1);
        let people = (0..people_count)
            .map(|index| generate_person(rng, index))
            .collect();
        let cloud = |host: usize, user_agent| WorkloadClient {
            ip: world::test_net_1(u8::try_from(host).unwrap_or(u8::MAX)),
            place: &world::ASHBURN,
            network: &world::CLOUD_NETWORK,
            user_agent,
        };
        let instances = (0..per_workload_kind)
            .map(|index| {
                Instance::new(
                    rng,
                    &APP_SERVER_ROLE,
                    cloud(10 + index % 90, world::SDK_JAVA_EC2),
                )
            })
            .collect();
        let functions = (0..per_workload_kind)
            .map(|index| Function {
                name: format!("report-builder-{index:04}"),
                role: &LAMBDA_ROLE,
                client: cloud(100 + index % 40, world::BOTO3_LAMBDA),
            })
            .collect();
        let ci_users = (0..per_workload_kind)
            .map(|index| {
                let client = WorkloadClient {
                    ip: world::test_net_1(u8::try_from(140 + index % 40).unwrap_or(u8::MAX)),
                    place: &world::BOARDMAN,
                    network: &world::CI_NETWORK,
                    user_agent: world::AWS_CLI_CI,
                };
                IamUser::new(rng, &format!("ci-deploy-{index:04}"), client)
            })
            .collect();
        let principals = (0..per_workload_kind)
            .map(|index| {
                let client = WorkloadClient {
                    ip: world::test_net_1(u8::try_from(180 + index % 70).unwrap_or(u8::MAX)),
                    place: &world::AMSTERDAM,
                    network: &world::DATACENTER_NETWORK,
                    user_agent: world::SERVICE_PRINCIPAL_AGENT,
                };
                ServicePrincipal::new(rng, &format!("svc-sync-{index:04}"), client)
            })
            .collect();
        Self {
            people,
            instances,
            functions,
            ci_users,
            principals,
        }
    }
}

/// Generates a person with a stable name, home and browser. Six in ten share an IPv4 address
/// of their city with others, and the rest have their own IPv6 address.
fn generate_person(rng: &mut impl Rng, index: usize) -> Person {
    let names = FIRST_NAMES.len() * LAST_NAMES.len();
    let first = FIRST_NAMES
        .get(index % FIRST_NAMES.len())
        .copied()
        .unwrap_or("alex");
    let last = LAST_NAMES
        .get(index / FIRST_NAMES.len() % LAST_NAMES.len())
        .copied()
        .unwrap_or("adams");
    let round = index / names;
    let login = if round == 0 {
        format!("{first}.{last}")
    } else {
        format!("{first}.{last}{round}")
    };
    let display_name = format!("{} {}", capitalized(first), capitalized(last));

    let places = world::HOME_PLACES.len();
    let place_index = rng.random_range(0..places);
    let place = world::HOME_PLACES
        .get(place_index)
        .copied()
        .unwrap_or(&world::LISBON);
    let network = world::HOME_NETWORKS
        .get(place_index % world::HOME_NETWORKS.len())
        .unwrap_or(&world::CLOUD_NETWORK);
    let ip = if rng.random_bool(0.6) {
        let slots = SHARED_V4_ADDRESSES.div_ceil(places);
        let mut k = place_index + places * rng.random_range(0..slots);
        if k >= SHARED_V4_ADDRESSES {
            k = place_index;
        }
        shared_v4(k)
    } else {
        let city = 0x1000 + u16::try_from(place_index).unwrap_or(0);
        // Hosts wrap after 65,536 people, so that very large populations share addresses.
        world::documentation_v6(city, (index % 65_536) as u16)
    };
    let agent = world::PERSON_BROWSERS
        .choose(rng)
        .copied()
        .unwrap_or(&world::CHROME_MAC);
    let cli_agent = rng
        .random_bool(0.3)
        .then_some(if agent.okta_os == "Mac OS X" {
            world::AWS_CLI_MAC
        } else {
            world::AWS_CLI_LINUX
        });
    let role = PERSON_ROLES
        .choose(rng)
        .copied()
        .unwrap_or(&crate::population::ENGINEERING_ROLE);
    let home = Client {
        ip,
        place,
        network,
        agent,
    };
    Person::new(rng, &login, &display_name, home, cli_agent, role)
}

/// The span of event time and how the records are spread over it.
#[derive(Clone, Copy, Debug)]
struct Plan {
    start: DateTime<Utc>,
    slices: u64,
    cloudtrail: u64,
    okta: u64,
    entra: u64,
    attacks: u64,
}

impl Plan {
    fn new(records: u64) -> Self {
        let span = records.div_ceil(RECORDS_PER_SECOND).max(MIN_SPAN_SECS);
        let slices = span.div_ceil(SLICE_SECS);
        let cloudtrail = records / 2;
        let okta = records * 3 / 10;
        let attacks = if records < MIN_RECORDS_FOR_ATTACK {
            0
        } else {
            (records / RECORDS_PER_ATTACK).clamp(1, MAX_ATTACKS)
        };
        Self {
            start: crate::scenario::first_day()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc(),
            slices,
            cloudtrail,
            okta,
            entra: records - cloudtrail - okta,
            attacks,
        }
    }

    fn slice_start(&self, slice: u64) -> DateTime<Utc> {
        let offset = i64::try_from(slice * SLICE_SECS).unwrap_or(i64::MAX);
        self.start + TimeDelta::seconds(offset)
    }

    /// Returns the share of `total` that falls in `slice`. The shares add up to `total` exactly.
    fn share(&self, total: u64, slice: u64) -> usize {
        let cumulative =
            |slice: u64| u128::from(total) * u128::from(slice) / u128::from(self.slices);
        let count = cumulative(slice + 1) - cumulative(slice);
        usize::try_from(count).unwrap_or(usize::MAX)
    }
}

/// Draws records for the population.
struct Generator<'a> {
    rng: ChaCha8Rng,
    seed: u64,
    population: &'a Population,
}

/// Returns the day number of `time`, counted from 1970-01-01.
fn day_of(time: DateTime<Utc>) -> i64 {
    time.timestamp().div_euclid(86_400)
}

/// Returns the start of the `hours`-long period that contains `time`, and its number.
fn period_of(time: DateTime<Utc>, hours: i64) -> (DateTime<Utc>, i64) {
    let length = hours * 3600;
    let number = time.timestamp().div_euclid(length);
    let start = DateTime::from_timestamp(number * length, 0).unwrap_or(time);
    (start, number)
}

fn pick<'b, T>(rng: &mut impl Rng, items: &'b [T]) -> Option<(usize, &'b T)> {
    if items.is_empty() {
        return None;
    }
    let index = rng.random_range(0..items.len());
    items.get(index).map(|item| (index, item))
}

impl<'a> Generator<'a> {
    /// Draws a time in `[from, from + SLICE_SECS)`, to the millisecond.
    fn time_in(&mut self, from: DateTime<Utc>) -> DateTime<Utc> {
        let millis = self.rng.random_range(0..SLICE_SECS * 1000);
        from + TimeDelta::milliseconds(i64::try_from(millis).unwrap_or(0))
    }

    /// Picks a person, more likely one whose local time at `time` is within working hours.
    fn person_at(&mut self, time: DateTime<Utc>) -> Option<(usize, &'a Person)> {
        let population: &'a Population = self.population;
        let people = population.people.as_slice();
        let mut chosen = pick(&mut self.rng, people)?;
        for _ in 0..3 {
            let offset = chosen.1.home.place.utc_offset_minutes;
            let local = (time + TimeDelta::minutes(i64::from(offset))).hour();
            if (7..20).contains(&local) || self.rng.random_bool(0.1) {
                break;
            }
            chosen = pick(&mut self.rng, people)?;
        }
        Some(chosen)
    }

    fn okta_session(&self, person: usize, time: DateTime<Utc>) -> OktaSession {
        let mut rng = derived_rng(self.seed, Derived::OktaSession, person, day_of(time));
        OktaSession::new(&mut rng)
    }

    fn entra_session(&self, person: usize, time: DateTime<Utc>) -> String {
        let mut rng = derived_rng(self.seed, Derived::EntraSession, person, day_of(time));
        ids::uuid(&mut rng)
    }

    /// Returns a person's role key and its creation time. People renew role credentials every
    /// 4 hours.
    fn person_role_key(&self, person: usize, time: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let (start, number) = period_of(time, 4);
        let mut rng = derived_rng(self.seed, Derived::PersonRoleKey, person, number);
        (ids::aws_key_id(&mut rng, "ASIA"), start)
    }

    fn cloudtrail(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let roll = self.rng.random_range(0..100);
        match roll {
            0..49 => self.person_aws_call(time),
            49..74 => self.instance_call(time),
            74..84 => self.function_call(time),
            84..92 => self.ci_call(time),
            92..97 => self.internal_call(time),
            _ => self.service_assume_role(time),
        }
    }

    fn person_aws_call(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let (index, person) = self.person_at(time)?;
        let (key, created) = self.person_role_key(index, time);
        let user_agent = person.cli_agent.unwrap_or(person.home.agent.raw);
        let caller = Caller::Ip {
            ip: person.home.ip,
            user_agent,
        };
        if self.rng.random_bool(0.04) {
            return Some(cloudtrail::assume_role_with_saml(
                &mut self.rng,
                time,
                &person.email,
                person.aws_role,
                caller,
                &key,
            ));
        }
        let calls: &[ReadCall] = if person.cli_agent.is_some() {
            &ReadCall::CLI
        } else {
            &ReadCall::CONSOLE
        };
        let read = calls.choose(&mut self.rng).copied()?;
        let identity =
            UserIdentity::role_session(person.aws_role, &person.email, &key, created, false);
        let mut record = cloudtrail::record(&mut self.rng, time, identity, caller, read.call(time));
        if person.cli_agent.is_none() {
            record.session_credential_from_console = Some("true");
        }
        Some(record)
    }

    fn internal_call(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let (index, person) = self.person_at(time)?;
        let (key, created) = self.person_role_key(index, time);
        let identity =
            UserIdentity::role_session(person.aws_role, &person.email, &key, created, false);
        let call = Call::management("health.amazonaws.com", "DescribeEventAggregates", true);
        let mut record = cloudtrail::record(&mut self.rng, time, identity, Caller::Internal, call);
        record.session_credential_from_console = Some("true");
        Some(record)
    }

    fn instance_key(&self, instance: usize, time: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let (start, number) = period_of(time, 6);
        let mut rng = derived_rng(self.seed, Derived::InstanceKey, instance, number);
        (ids::aws_key_id(&mut rng, "ASIA"), start)
    }

    fn function_key(&self, function: usize, time: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let (start, number) = period_of(time, 4);
        let mut rng = derived_rng(self.seed, Derived::FunctionKey, function, number);
        (ids::aws_key_id(&mut rng, "ASIA"), start)
    }

    fn instance_call(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let population = self.population;
        let (index, instance) = pick(&mut self.rng, &population.instances)?;
        let (key, created) = self.instance_key(index, time);
        let identity = UserIdentity::role_session(instance.role, &instance.id, &key, created, true);
        let mut user_agent = instance.client.user_agent;
        let call = match self.rng.random_range(0..100) {
            0..35 => cloudtrail::s3_object(
                &mut self.rng,
                "GetObject",
                "example-app-config",
                "app/settings.json",
            ),
            35..55 => {
                let key = format!("exports/{}.csv", ids::hex(&mut self.rng, 16));
                cloudtrail::s3_object(&mut self.rng, "PutObject", "example-app-exports", &key)
            }
            55..75 => cloudtrail::dynamodb_item(&mut self.rng, "Query", "orders"),
            75..90 => cloudtrail::dynamodb_item(&mut self.rng, "GetItem", "orders"),
            90..99 => cloudtrail::dynamodb_item(&mut self.rng, "PutItem", "orders"),
            _ => {
                user_agent = world::SSM_AGENT;
                Call::management("ssm.amazonaws.com", "UpdateInstanceInformation", false)
            }
        };
        let caller = Caller::Ip {
            ip: instance.client.ip,
            user_agent,
        };
        Some(cloudtrail::record(
            &mut self.rng,
            time,
            identity,
            caller,
            call,
        ))
    }

    fn function_call(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let population = self.population;
        let (index, function) = pick(&mut self.rng, &population.functions)?;
        let (key, created) = self.function_key(index, time);
        let identity =
            UserIdentity::role_session(function.role, &function.name, &key, created, false);
        let call = if self.rng.random_bool(0.6) {
            cloudtrail::dynamodb_item(&mut self.rng, "Query", "orders")
        } else {
            let key = format!("reports/{}.json", ids::hex(&mut self.rng, 16));
            cloudtrail::s3_object(&mut self.rng, "PutObject", "example-app-reports", &key)
        };
        let caller = Caller::Ip {
            ip: function.client.ip,
            user_agent: function.client.user_agent,
        };
        Some(cloudtrail::record(
            &mut self.rng,
            time,
            identity,
            caller,
            call,
        ))
    }

    fn ci_call(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let population = self.population;
        let (_, user) = pick(&mut self.rng, &population.ci_users)?;
        let call = match self.rng.random_range(0..4) {
            0 => ReadCall::GetCallerIdentity.call(time),
            1 => {
                let key = format!("builds/app-{}.zip", ids::hex(&mut self.rng, 12));
                cloudtrail::s3_object(&mut self.rng, "PutObject", "example-ci-artifacts", &key)
            }
            2 => Call::management(
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                false,
            )
            .with_parameters(serde_json::json!({
                "functionName": "report-builder",
                "publish": true,
            })),
            _ => ReadCall::DescribeStacks.call(time),
        };
        let identity = UserIdentity::iam_user(user, &user.access_key_id);
        let caller = Caller::Ip {
            ip: user.client.ip,
            user_agent: user.client.user_agent,
        };
        Some(cloudtrail::record(
            &mut self.rng,
            time,
            identity,
            caller,
            call,
        ))
    }

    /// EC2 or Lambda obtaining a workload's role credentials.
    fn service_assume_role(&mut self, time: DateTime<Utc>) -> Option<CloudTrailRecord> {
        let population = self.population;
        if self.rng.random_bool(0.5) {
            let (index, instance) = pick(&mut self.rng, &population.instances)?;
            let (key, _) = self.instance_key(index, time);
            Some(cloudtrail::assume_role_by_service(
                &mut self.rng,
                time,
                "ec2.amazonaws.com",
                instance.role,
                &instance.id,
                &key,
                TimeDelta::hours(6),
            ))
        } else {
            let (index, function) = pick(&mut self.rng, &population.functions)?;
            let (key, _) = self.function_key(index, time);
            Some(cloudtrail::assume_role_by_service(
                &mut self.rng,
                time,
                "lambda.amazonaws.com",
                function.role,
                &function.name,
                &key,
                TimeDelta::hours(4),
            ))
        }
    }

    fn okta(&mut self, time: DateTime<Utc>) -> Option<OktaEvent> {
        let population = self.population;
        let (index, person) = self.person_at(time)?;
        let session = self.okta_session(index, time);
        let client = person.home;
        let rng = &mut self.rng;
        let event = match rng.random_range(0..1000) {
            0..100 => okta::session_start(rng, time, person, &client, &session, true),
            // Only people with their own address mistype passwords here, so that shared
            // addresses never gather failures of many accounts.
            100..110 if matches!(client.ip, IpAddr::V6(_)) => {
                okta::session_start(rng, time, person, &client, &session, false)
            }
            100..200 => okta::push_sent(rng, time, person, &client, &session),
            200..300 => okta::push_accepted(rng, time, person, &client, &session),
            300..900 => {
                let apps: [&OktaApp; 3] = [&okta::AWS_APP, &okta::SLACK_APP, &okta::ZOOM_APP];
                let app = apps.choose(rng).copied().unwrap_or(&okta::AWS_APP);
                okta::sso(rng, time, person, &client, &session, app)
            }
            900..995 => okta::session_end(rng, time, person, &client, &session),
            _ => {
                let (admin_index, admin) = pick(rng, population.admins())?;
                let (_, member) = pick(rng, &population.people)?;
                let session = self.okta_session(admin_index, time);
                okta::group_membership_add(
                    &mut self.rng,
                    time,
                    admin,
                    &admin.home,
                    &session,
                    member,
                    &okta::AWS_ENGINEERS_GROUP,
                )
            }
        };
        Some(event)
    }

    fn entra(&mut self, time: DateTime<Utc>) -> Option<EntraRecord> {
        let population = self.population;
        let roll = self.rng.random_range(0..100);
        if (80..99).contains(&roll) {
            let (_, principal) = pick(&mut self.rng, &population.principals)?;
            return Some(entra::service_principal_sign_in(
                &mut self.rng,
                time,
                principal,
            ));
        }
        if roll >= 99 {
            let (_, admin) = pick(&mut self.rng, population.admins())?;
            let client = admin.home;
            let (_, target) = pick(&mut self.rng, &population.people)?;
            let record = if self.rng.random_bool(0.5) {
                entra::add_member_to_group(
                    &mut self.rng,
                    time,
                    admin,
                    &client,
                    target,
                    &entra::ENGINEERING_GROUP,
                )
            } else {
                let change = PropertyChange {
                    name: "JobTitle",
                    old_value: "Engineer",
                    new_value: "Senior Engineer",
                };
                entra::update_user(&mut self.rng, time, admin, &client, target, change)
            };
            return Some(record);
        }
        let (index, person) = self.person_at(time)?;
        let client = person.home;
        let session = self.entra_session(index, time);
        let apps: [&EntraApp; 3] = [&entra::OFFICE_HOME, &entra::OUTLOOK_WEB, &entra::TEAMS];
        let app = apps
            .choose(&mut self.rng)
            .copied()
            .unwrap_or(&entra::OFFICE_HOME);
        let interactive = roll < 30;
        let mut record = entra::user_sign_in(
            &mut self.rng,
            time,
            person,
            &client,
            app,
            &session,
            interactive,
        );
        // As in Okta, only people with their own address mistype passwords.
        if interactive && matches!(client.ip, IpAddr::V6(_)) && self.rng.random_bool(0.02) {
            entra::reject_password(&mut record);
        }
        Some(record)
    }

    /// Builds the records of attack number `number`, which starts at `start`.
    fn attack(
        &mut self,
        number: u64,
        start: DateTime<Utc>,
    ) -> Option<(Vec<OktaEvent>, Vec<CloudTrailRecord>)> {
        let population = self.population;
        let (index, victim) = pick(&mut self.rng, &population.people)?;
        let (_, ci_user) = pick(&mut self.rng, &population.ci_users)?;
        let attacker_number = usize::try_from(number).unwrap_or(0);
        let attacker = Client {
            ip: world::test_net_2(u8::try_from(128 + attacker_number % 127).unwrap_or(u8::MAX)),
            place: world::ATTACKER_PLACES
                .get(attacker_number % world::ATTACKER_PLACES.len())
                .copied()
                .unwrap_or(&world::SINGAPORE),
            network: world::ATTACKER_NETWORKS
                .get(attacker_number % world::ATTACKER_NETWORKS.len())
                .unwrap_or(&world::CLOUD_NETWORK),
            agent: world::ATTACKER_BROWSERS
                .get(attacker_number % world::ATTACKER_BROWSERS.len())
                .copied()
                .unwrap_or(&world::FIREFOX_WINDOWS),
        };
        let home = victim.home;
        let session = self.okta_session(index, start);
        let rng = &mut self.rng;
        let seconds = |value: i64| start + TimeDelta::seconds(value);

        let mut sso = okta::sso(
            rng,
            seconds(480),
            victim,
            &attacker,
            &session,
            &okta::AWS_APP,
        );
        sso.debug_context.debug_data.behaviors = Some(okta::BEHAVIORS_NEW_PLACE.to_owned());
        let okta_events = vec![
            okta::session_start(rng, start, victim, &home, &session, true),
            okta::push_sent(rng, seconds(10), victim, &home, &session),
            okta::push_accepted(rng, seconds(20), victim, &home, &session),
            sso,
        ];

        let home_caller = Caller::Ip {
            ip: home.ip,
            user_agent: home.agent.raw,
        };
        let home_key = ids::aws_key_id(rng, "ASIA");
        let home_created = seconds(60);
        let mut records = vec![cloudtrail::assume_role_with_saml(
            rng,
            home_created,
            &victim.email,
            victim.aws_role,
            home_caller,
            &home_key,
        )];
        let identity = |key: &str, created| {
            UserIdentity::role_session(victim.aws_role, &victim.email, key, created, false)
        };
        let mut console = cloudtrail::record(
            rng,
            seconds(90),
            identity(&home_key, home_created),
            home_caller,
            ReadCall::ListBuckets.call(seconds(90)),
        );
        console.session_credential_from_console = Some("true");
        records.push(console);

        let cli = Caller::Ip {
            ip: attacker.ip,
            user_agent: world::AWS_CLI_WINDOWS,
        };
        let stolen_key = ids::aws_key_id(rng, "ASIA");
        let created = seconds(495);
        records.push(cloudtrail::assume_role_with_saml(
            rng,
            created,
            &victim.email,
            victim.aws_role,
            cli,
            &stolen_key,
        ));
        let new_key = ids::aws_key_id(rng, "AKIA");
        let calls = [
            (540, ReadCall::GetCallerIdentity.call(created)),
            (570, ReadCall::ListUsers.call(created)),
            (600, cloudtrail::list_access_keys(&ci_user.name)),
            (
                640,
                cloudtrail::create_access_key(&ci_user.name, &new_key, seconds(640)),
            ),
        ];
        for (offset, call) in calls {
            let record = cloudtrail::record(
                rng,
                seconds(offset),
                identity(&stolen_key, created),
                cli,
                call,
            );
            records.push(record);
        }
        let time = seconds(720);
        records.push(cloudtrail::record(
            rng,
            time,
            UserIdentity::iam_user(ci_user, &new_key),
            cli,
            ReadCall::ListBuckets.call(time),
        ));
        Some((okta_events, records))
    }
}

/// Writes one file per hour of event time, opening the next when the hour changes.
struct HourlyWriter {
    folder: PathBuf,
    prefix: &'static str,
    extension: &'static str,
    current: Option<(i64, PathBuf, BufWriter<File>)>,
}

impl HourlyWriter {
    fn new(folder: PathBuf, prefix: &'static str, extension: &'static str) -> Self {
        Self {
            folder,
            prefix,
            extension,
            current: None,
        }
    }

    /// Returns the file for the hour of `time`, opening it when the hour changes.
    fn writer(
        &mut self,
        time: DateTime<Utc>,
        summary: &mut WriteSummary,
    ) -> Result<(&Path, &mut BufWriter<File>), SynthError> {
        let hour = time.timestamp().div_euclid(3600);
        if self
            .current
            .as_ref()
            .is_some_and(|(open, _, _)| *open != hour)
        {
            self.finish(summary)?;
        }
        if self.current.is_none() {
            let name = format!(
                "{}{}.{}",
                self.prefix,
                time.format("%Y%m%dT%H"),
                self.extension
            );
            let path = self.folder.join(name);
            let file = File::create(&path).map_err(|source| SynthError::io(&path, source))?;
            self.current = Some((hour, path, BufWriter::new(file)));
        }
        match &mut self.current {
            Some((_, path, writer)) => Ok((path.as_path(), writer)),
            None => Err(SynthError::io(
                &self.folder,
                std::io::Error::other("no open output file"),
            )),
        }
    }

    fn finish(&mut self, summary: &mut WriteSummary) -> Result<(), SynthError> {
        if let Some((_, path, writer)) = self.current.take() {
            summary.add_file(output::finish(&path, writer)?);
        }
        Ok(())
    }
}

/// Records of the attacks, waiting for the slice that contains their time.
struct PendingAttacks {
    okta: VecDeque<OktaEvent>,
    cloudtrail: VecDeque<CloudTrailRecord>,
}

impl PendingAttacks {
    fn generate(generator: &mut Generator<'_>, plan: &Plan) -> Self {
        let mut okta = Vec::new();
        let mut cloudtrail = Vec::new();
        let span = plan.slices * SLICE_SECS;
        for number in 0..plan.attacks {
            // Spread evenly; each attack lasts 12 minutes, and the gap between attacks is at
            // least 15 minutes because the span is at least an hour.
            let offset = span * (number + 1) / (plan.attacks + 1);
            let start = plan.start + TimeDelta::seconds(i64::try_from(offset).unwrap_or(0));
            if let Some((events, records)) = generator.attack(number, start) {
                okta.extend(events);
                cloudtrail.extend(records);
            }
        }
        okta.sort_by_key(|item| item.time);
        cloudtrail.sort_by_key(|item| item.time);
        Self {
            okta: okta.into(),
            cloudtrail: cloudtrail.into(),
        }
    }

    fn take_before<T>(
        queue: &mut VecDeque<T>,
        end: DateTime<Utc>,
        time: impl Fn(&T) -> DateTime<Utc>,
        into: &mut Vec<T>,
    ) {
        while queue.front().is_some_and(|item| time(item) < end) {
            if let Some(item) = queue.pop_front() {
                into.push(item);
            }
        }
    }
}

/// Writes `options.records` records under `out`; see the module documentation for the
/// layout. Returns what was written.
pub fn write(out: &Path, options: &BenchOptions) -> Result<WriteSummary, SynthError> {
    let plan = Plan::new(options.records);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let population = Population::generate(&mut rng, options.identities);
    let mut names = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5eed_f11e);
    let mut generator = Generator {
        rng,
        seed: options.seed,
        population: &population,
    };
    let mut attacks = PendingAttacks::generate(&mut generator, &plan);
    let benign_cloudtrail = plan.cloudtrail - attacks.cloudtrail.len() as u64;
    let benign_okta = plan.okta - attacks.okta.len() as u64;

    let trail = out.join("cloudtrail");
    let okta_folder = out.join("okta");
    let entra_folder = out.join("entra");
    output::create_folder(&okta_folder)?;
    output::create_folder(&entra_folder)?;
    let mut okta_files = HourlyWriter::new(okta_folder, "system-log-", "jsonl");
    let mut entra_files = HourlyWriter::new(entra_folder, "azure-monitor-", "json");
    let mut summary = WriteSummary::default();

    for slice in 0..plan.slices {
        let from = plan.slice_start(slice);
        let to = plan.slice_start(slice + 1);

        let mut records = Vec::new();
        for _ in 0..plan.share(benign_cloudtrail, slice) {
            let time = generator.time_in(from);
            records.extend(generator.cloudtrail(time));
        }
        PendingAttacks::take_before(
            &mut attacks.cloudtrail,
            to,
            |record| record.time,
            &mut records,
        );
        write_cloudtrail_slice(
            &trail,
            to,
            &mut records,
            &mut generator.rng,
            &mut names,
            &mut summary,
        )?;

        let mut events = Vec::new();
        for _ in 0..plan.share(benign_okta, slice) {
            let time = generator.time_in(from);
            events.extend(generator.okta(time));
        }
        PendingAttacks::take_before(&mut attacks.okta, to, |event| event.time, &mut events);
        events.sort_by_key(|item| item.time);
        if !events.is_empty() {
            let (path, writer) = okta_files.writer(from, &mut summary)?;
            for event in &events {
                serde_json::to_writer(&mut *writer, event)
                    .map_err(|source| SynthError::json(path, source))?;
                writer
                    .write_all(b"\n")
                    .map_err(|source| SynthError::io(path, source))?;
            }
            summary.okta += events.len() as u64;
        }

        let mut entries = Vec::new();
        for _ in 0..plan.share(plan.entra, slice) {
            let time = generator.time_in(from);
            entries.extend(generator.entra(time));
        }
        entries.sort_by_key(|item| item.created);
        if !entries.is_empty() {
            let (path, writer) = entra_files.writer(from, &mut summary)?;
            for batch in entries.chunks(ENTRA_BATCH_RECORDS) {
                serde_json::to_writer(&mut *writer, &AzureMonitorBatch { records: batch })
                    .map_err(|source| SynthError::json(path, source))?;
                writer
                    .write_all(b"\n")
                    .map_err(|source| SynthError::io(path, source))?;
            }
            summary.entra += entries.len() as u64;
        }
    }
    okta_files.finish(&mut summary)?;
    entra_files.finish(&mut summary)?;
    Ok(summary)
}

/// Writes the CloudTrail records of one slice, delivered at `delivery`, in files of at most
/// [`MAX_CLOUDTRAIL_FILE_RECORDS`] records. CloudTrail writes records roughly in arrival
/// order, so they are ordered by event time plus a random delay of up to 90 seconds.
fn write_cloudtrail_slice(
    trail: &Path,
    delivery: DateTime<Utc>,
    records: &mut [CloudTrailRecord],
    rng: &mut impl Rng,
    names: &mut impl Rng,
    summary: &mut WriteSummary,
) -> Result<(), SynthError> {
    if records.is_empty() {
        return Ok(());
    }
    records.sort_by_cached_key(|record| record.time + TimeDelta::seconds(rng.random_range(0..90)));
    let folder = trail.join(cloudtrail::day_folder(delivery));
    output::create_folder(&folder)?;
    for chunk in records.chunks(MAX_CLOUDTRAIL_FILE_RECORDS) {
        let path = folder.join(cloudtrail::file_name(names, delivery));
        summary.add_file(cloudtrail::write_file(&path, chunk)?);
        summary.cloudtrail += chunk.len() as u64;
    }
    Ok(())
}

//! The example scenario: three working days of five people and the company's workloads
//! across AWS, Okta and Entra ID, with one Okta session hijacked on the second day.
//!
//! On 2024-05-07 alice signs in to Okta from Lisbon. About 40 minutes later her Okta session
//! is used from Singapore to sign in to AWS; the attacker's role session lists IAM users and
//! creates an access key for the CI user `ci-deploy`, then uses that key. Alice keeps working
//! from Lisbon meanwhile.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cloudtrail::{self, Call, Caller, CloudTrailRecord, ReadCall, UserIdentity};
use crate::entra::{self, EntraRecord, PropertyChange};
use crate::okta::{self, OktaEvent, OktaSession};
use crate::output::{self, AzureMonitorBatch};
use crate::population::{
    APP_SERVER_ROLE, ENGINEERING_ROLE, Function, IamUser, Instance, LAMBDA_ROLE, Person,
    ServicePrincipal, WorkloadClient,
};
use crate::world::{self, Client};
use crate::{SynthError, WriteSummary, ids};

/// The seed the committed example files were generated with.
pub const EXAMPLE_SEED: u64 = 20_240_507;

/// How many days the scenario covers, from [`first_day`].
const DAYS: u32 = 3;

/// Returns the scenario's first day, a Monday.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 5, 6).unwrap_or_default()
}

/// The generated records, and the values of the attack that tests and the README refer to.
#[derive(Debug)]
pub struct Scenario {
    pub cloudtrail: Vec<CloudTrailRecord>,
    pub okta: Vec<OktaEvent>,
    pub entra: Vec<EntraRecord>,
    pub attack: AttackFacts,
}

/// The traces the attack left in the logs.
#[derive(Clone, Debug, Default)]
pub struct AttackFacts {
    /// The victim's e-mail address.
    pub victim: String,
    /// The hijacked Okta session (`externalSessionId` and `rootSessionId`).
    pub okta_session: String,
    pub victim_ip: Option<IpAddr>,
    pub attacker_ip: Option<IpAddr>,
    /// The temporary key STS issued to the attacker.
    pub attacker_role_key: String,
    /// The access key the attacker created for `ci-deploy`.
    pub created_key: String,
}

/// The people and workloads of the scenario.
struct Cast {
    alice: Person,
    bob: Person,
    carol: Person,
    dave: Person,
    erin: Person,
    attacker: Client<'static>,
    ci: IamUser,
    instance: Instance,
    function: Function,
    principal: ServicePrincipal,
}

impl Cast {
    fn new(rng: &mut impl Rng) -> Self {
        let home = |ip, place, network, agent| Client {
            ip,
            place,
            network,
            agent,
        };
        let networks = &world::HOME_NETWORKS;
        let network = |index: usize| networks.get(index).unwrap_or(&world::CLOUD_NETWORK);

        let alice = Person::new(
            rng,
            "alice",
            "Alice Martins",
            home(
                world::test_net_3(10),
                &world::LISBON,
                network(0),
                &world::CHROME_MAC,
            ),
            None,
            &ENGINEERING_ROLE,
        );

        let bob = Person::new(
            rng,
            "bob",
            "Bob Schneider",
            home(
                world::test_net_3(25),
                &world::BERLIN,
                network(1),
                &world::EDGE_WINDOWS,
            ),
            None,
            &ENGINEERING_ROLE,
        );

        let carol = Person::new(
            rng,
            "carol",
            "Carol Nguyen",
            home(
                world::test_net_3(40),
                &world::AUSTIN,
                network(2),
                &world::SAFARI_MAC,
            ),
            Some(world::AWS_CLI_MAC),
            &ENGINEERING_ROLE,
        );

        let dave = Person::new(
            rng,
            "dave",
            "Dave Tremblay",
            home(
                world::test_net_3(55),
                &world::TORONTO,
                network(3),
                &world::FIREFOX_LINUX,
            ),
            Some(world::AWS_CLI_LINUX),
            &ENGINEERING_ROLE,
        );

        let erin = Person::new(
            rng,
            "erin",
            "Erin Walsh",
            home(
                world::documentation_v6(0x4a1, 0x22),
                &world::DUBLIN,
                network(4),
                &world::CHROME_WINDOWS,
            ),
            None,
            &ENGINEERING_ROLE,
        );

        let attacker_network = world::ATTACKER_NETWORKS
            .first()
            .unwrap_or(&world::CLOUD_NETWORK);
        let attacker = Client {
            ip: world::test_net_2(23),
            place: &world::SINGAPORE,
            network: attacker_network,
            agent: &world::FIREFOX_WINDOWS,
        };

        let cloud = |ip, user_agent| WorkloadClient {
            ip,
            place: &world::ASHBURN,
            network: &world::CLOUD_NETWORK,
            user_agent,
        };
        let ci = IamUser::new(
            rng,
            "ci-deploy",
            WorkloadClient {
                ip: world::test_net_1(80),
                place: &world::BOARDMAN,
                network: &world::CI_NETWORK,
                user_agent: world::AWS_CLI_CI,
            },
        );

        let instance = Instance {
            id: "i-0abc4f2d9e81c7350".to_owned(),
            role: &APP_SERVER_ROLE,
            client: cloud(world::test_net_1(15), world::SDK_JAVA_EC2),
        };

        let function = Function {
            name: "report-builder".to_owned(),
            role: &LAMBDA_ROLE,
            client: cloud(world::test_net_1(47), world::BOTO3_LAMBDA),
        };

        let principal = ServicePrincipal::new(
            rng,
            "inventory-sync",
            WorkloadClient {
                ip: world::test_net_1(200),
                place: &world::AMSTERDAM,
                network: &world::DATACENTER_NETWORK,
                user_agent: world::SERVICE_PRINCIPAL_AGENT,
            },
        );
        Self {
            alice,
            bob,
            carol,
            dave,
            erin,
            attacker,
            ci,
            instance,
            function,
            principal,
        }
    }
}

/// The activities of a person's working day besides signing in.
#[derive(Clone, Copy, Debug, Default)]
struct DayPlan {
    /// Mistypes the password once before signing in.
    mistyped_password: bool,
    /// Signs in to AWS again in the afternoon and uses the CLI.
    afternoon_cli: bool,
    /// Signs out of Okta at the end of the day.
    signs_out: bool,
}

/// A person's AWS role session: the temporary key and when STS issued it.
struct RoleSession<'a> {
    person: &'a Person,
    key: String,
    created: DateTime<Utc>,
}

/// The sessions a person's working day started.
struct Workday<'a> {
    okta: OktaSession,
    /// The morning's AWS console session.
    console: RoleSession<'a>,
}

/// Collects records in generation order; they are sorted when written.
struct Timeline {
    rng: ChaCha8Rng,
    cloudtrail: Vec<CloudTrailRecord>,
    okta: Vec<OktaEvent>,
    entra: Vec<EntraRecord>,
}

/// Returns midnight UTC `day` days after the first day.
fn midnight(day: u32) -> DateTime<Utc> {
    let date = first_day() + TimeDelta::days(i64::from(day));
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Returns `hour:minute:second` UTC on `day`.
fn at(day: u32, hour: i64, minute: i64, second: i64) -> DateTime<Utc> {
    midnight(day) + TimeDelta::hours(hour) + TimeDelta::minutes(minute) + TimeDelta::seconds(second)
}

/// Returns `hour:minute` local time at `place` on `day`, in UTC.
fn local(day: u32, place: &world::Place, hour: i64, minute: i64) -> DateTime<Utc> {
    at(day, hour, minute, 0) - TimeDelta::minutes(i64::from(place.utc_offset_minutes))
}

impl Timeline {
    fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            cloudtrail: Vec::new(),
            okta: Vec::new(),
            entra: Vec::new(),
        }
    }

    /// Moves `time` forward by a random duration in `seconds`, to the millisecond.
    fn after(&mut self, time: DateTime<Utc>, seconds: std::ops::Range<i64>) -> DateTime<Utc> {
        let millis = self
            .rng
            .random_range(seconds.start * 1000..seconds.end * 1000);
        time + TimeDelta::milliseconds(millis)
    }

    /// Adds random milliseconds to `time`, as Okta timestamps have.
    fn with_millis(&mut self, time: DateTime<Utc>) -> DateTime<Utc> {
        time + TimeDelta::milliseconds(self.rng.random_range(0..1000))
    }

    fn role_call(
        &mut self,
        session: &RoleSession<'_>,
        time: DateTime<Utc>,
        caller: Caller<'_>,
        call: Call,
        console: bool,
    ) {
        let person = session.person;
        let identity = UserIdentity::role_session(
            person.aws_role,
            &person.email,
            &session.key,
            session.created,
            false,
        );
        let mut record = cloudtrail::record(&mut self.rng, time, identity, caller, call);
        if console {
            record.session_credential_from_console = Some("true");
        }
        self.cloudtrail.push(record);
    }

    /// Signs `person` in to AWS through the Okta app and makes read calls from `client`, in
    /// the console or with the CLI. Returns the role session STS issued.
    fn aws_session<'p>(
        &mut self,
        person: &'p Person,
        client: &Client<'static>,
        session: &OktaSession,
        start: DateTime<Utc>,
        cli_agent: Option<&'static str>,
    ) -> RoleSession<'p> {
        let sso_time = self.with_millis(start);
        let event = okta::sso(
            &mut self.rng,
            sso_time,
            person,
            client,
            session,
            &okta::AWS_APP,
        );
        self.okta.push(event);

        let user_agent = cli_agent.unwrap_or(client.agent.raw);
        let caller = Caller::Ip {
            ip: client.ip,
            user_agent,
        };
        let created = self.after(start, 2..6);
        let key = ids::aws_key_id(&mut self.rng, "ASIA");
        let record = cloudtrail::assume_role_with_saml(
            &mut self.rng,
            created,
            &person.email,
            person.aws_role,
            caller,
            &key,
        );
        self.cloudtrail.push(record);

        let (calls, console): (&[ReadCall], bool) = match cli_agent {
            Some(_) => (&ReadCall::CLI, false),
            None => (&ReadCall::CONSOLE, true),
        };
        let role_session = RoleSession {
            person,
            key,
            created,
        };
        let count = self.rng.random_range(4..=6);
        let mut time = created;
        for _ in 0..count {
            time = self.after(time, 20..900);
            let read = calls
                .choose(&mut self.rng)
                .copied()
                .unwrap_or(ReadCall::ListBuckets);
            self.role_call(&role_session, time, caller, read.call(time), console);
        }
        if console {
            // The console calls some services from AWS's own network on the person's behalf.
            time = self.after(time, 5..60);
            let call = Call::management("health.amazonaws.com", "DescribeEventAggregates", true);
            self.role_call(&role_session, time, Caller::Internal, call, true);
        }
        role_session
    }

    /// Generates one working day of `person` from `start`, their sign-in to Okta.
    fn workday<'p>(
        &mut self,
        day: u32,
        person: &'p Person,
        start: DateTime<Utc>,
        plan: DayPlan,
    ) -> Workday<'p> {
        let client = person.home;
        let session = OktaSession::new(&mut self.rng);
        if plan.mistyped_password {
            let time = self.with_millis(start - TimeDelta::seconds(35));
            let event = okta::session_start(&mut self.rng, time, person, &client, &session, false);
            self.okta.push(event);
        }
        let started = self.with_millis(start);
        let event = okta::session_start(&mut self.rng, started, person, &client, &session, true);
        self.okta.push(event);
        let pushed = self.after(started, 4..9);
        let event = okta::push_sent(&mut self.rng, pushed, person, &client, &session);
        self.okta.push(event);
        let accepted = self.after(pushed, 6..18);
        let event = okta::push_accepted(&mut self.rng, accepted, person, &client, &session);
        self.okta.push(event);

        let aws_start = self.after(accepted, 40..150);
        let console = self.aws_session(person, &client, &session, aws_start, None);

        let slack = self.after(accepted, 240..480);
        let slack = self.with_millis(slack);
        let event = okta::sso(
            &mut self.rng,
            slack,
            person,
            &client,
            &session,
            &okta::SLACK_APP,
        );
        self.okta.push(event);

        let entra_session = ids::uuid(&mut self.rng);
        let office = self.after(accepted, 360..720);
        let record = entra::user_sign_in(
            &mut self.rng,
            office,
            person,
            &client,
            &entra::OFFICE_HOME,
            &entra_session,
            true,
        );
        self.entra.push(record);
        for (app, delay) in [
            (&entra::OUTLOOK_WEB, 60..180),
            (&entra::TEAMS, 10_800..14_400),
            (&entra::OUTLOOK_WEB, 21_600..25_200),
        ] {
            let time = self.after(office, delay);
            let record = entra::user_sign_in(
                &mut self.rng,
                time,
                person,
                &client,
                app,
                &entra_session,
                false,
            );
            self.entra.push(record);
        }

        if plan.afternoon_cli {
            if let Some(cli) = person.cli_agent {
                let afternoon = local(day, client.place, 14, 0);
                let afternoon = self.after(afternoon, 0..1800);
                self.aws_session(person, &client, &session, afternoon, Some(cli));
            }
        }
        if plan.signs_out {
            let evening = local(day, client.place, 17, 30);
            let evening = self.after(evening, 0..1800);
            let evening = self.with_millis(evening);
            let event = okta::session_end(&mut self.rng, evening, person, &client, &session);
            self.okta.push(event);
        }
        Workday {
            okta: session,
            console,
        }
    }

    /// Generates the hijack of alice's Okta session on `day` while she keeps working. Every
    /// time is fixed, so that the README can give it.
    fn attack(&mut self, day: u32, cast: &Cast, workday: &Workday<'_>) -> AttackFacts {
        let session = &workday.okta;
        let alice = &cast.alice;
        let attacker = cast.attacker;

        let sso_time = at(day, 8, 41, 37) + TimeDelta::milliseconds(412);
        let mut event = okta::sso(
            &mut self.rng,
            sso_time,
            alice,
            &attacker,
            session,
            &okta::AWS_APP,
        );
        event.debug_context.debug_data.behaviors = Some(okta::BEHAVIORS_NEW_PLACE.to_owned());
        event.debug_context.debug_data.risk = Some("{level=MEDIUM}".to_owned());
        self.okta.push(event);

        // The attacker redeems the SAML assertion with the CLI, from the same address.
        let cli = Caller::Ip {
            ip: attacker.ip,
            user_agent: world::AWS_CLI_WINDOWS,
        };
        let created = at(day, 8, 41, 52);
        let role_key = ids::aws_key_id(&mut self.rng, "ASIA");
        let record = cloudtrail::assume_role_with_saml(
            &mut self.rng,
            created,
            &alice.email,
            alice.aws_role,
            cli,
            &role_key,
        );
        self.cloudtrail.push(record);

        let role_session = RoleSession {
            person: alice,
            key: role_key,
            created,
        };
        let ci_name = cast.ci.name.as_str();
        let discovery = [
            (at(day, 8, 43, 5), ReadCall::GetCallerIdentity.call(created)),
            (at(day, 8, 43, 40), ReadCall::ListUsers.call(created)),
            (at(day, 8, 44, 18), cloudtrail::list_access_keys(ci_name)),
        ];
        for (time, call) in discovery {
            self.role_call(&role_session, time, cli, call, false);
        }
        let created_key = ids::aws_key_id(&mut self.rng, "AKIA");
        let create_time = at(day, 8, 45, 2);
        let call = cloudtrail::create_access_key(ci_name, &created_key, create_time);
        self.role_call(&role_session, create_time, cli, call, false);

        // The new key works as ci-deploy, from the attacker's address.
        for (time, read) in [
            (at(day, 8, 47, 26), ReadCall::GetCallerIdentity),
            (at(day, 8, 47, 51), ReadCall::ListBuckets),
        ] {
            let identity = UserIdentity::iam_user(&cast.ci, &created_key);
            let record = cloudtrail::record(&mut self.rng, time, identity, cli, read.call(time));
            self.cloudtrail.push(record);
        }

        // Alice, unaware, goes on working from Lisbon in the console and in the same Okta
        // session.
        let lisbon = Caller::Ip {
            ip: alice.home.ip,
            user_agent: alice.home.agent.raw,
        };
        for (time, read) in [
            (at(day, 8, 49, 10), ReadCall::DescribeInstances),
            (at(day, 8, 56, 41), ReadCall::GetMetricData),
        ] {
            self.role_call(&workday.console, time, lisbon, read.call(time), true);
        }
        let zoom_time = at(day, 8, 52, 30) + TimeDelta::milliseconds(87);
        let event = okta::sso(
            &mut self.rng,
            zoom_time,
            alice,
            &alice.home,
            session,
            &okta::ZOOM_APP,
        );
        self.okta.push(event);

        AttackFacts {
            victim: alice.email.clone(),
            okta_session: session.external_id.clone(),
            victim_ip: Some(alice.home.ip),
            attacker_ip: Some(attacker.ip),
            attacker_role_key: role_session.key,
            created_key,
        }
    }

    /// Generates a day of the EC2 application server. Its instance profile credentials are
    /// renewed every 6 hours, and a job reads and writes S3 objects and DynamoDB items every
    /// 2 hours.
    fn instance_day(&mut self, day: u32, instance: &Instance) {
        let client = instance.client;
        let caller = Caller::Ip {
            ip: client.ip,
            user_agent: client.user_agent,
        };
        for window in 0..4 {
            let created = self.after(at(day, window * 6, 0, 0), 0..120);
            let key = ids::aws_key_id(&mut self.rng, "ASIA");
            let record = cloudtrail::assume_role_by_service(
                &mut self.rng,
                created,
                "ec2.amazonaws.com",
                instance.role,
                &instance.id,
                &key,
                TimeDelta::hours(6),
            );
            self.cloudtrail.push(record);
            let identity =
                || UserIdentity::role_session(instance.role, &instance.id, &key, created, true);

            let ssm_time = self.after(created, 60..300);
            let ssm = Caller::Ip {
                ip: client.ip,
                user_agent: world::SSM_AGENT,
            };
            let call = Call::management("ssm.amazonaws.com", "UpdateInstanceInformation", false);
            let record = cloudtrail::record(&mut self.rng, ssm_time, identity(), ssm, call);
            self.cloudtrail.push(record);

            for job in 0..3 {
                let mut time = self.after(at(day, window * 6 + job * 2, 10, 0), 0..300);
                let object = format!(
                    "exports/{}/orders-{:02}.csv",
                    midnight(day).format("%Y-%m-%d"),
                    window * 3 + job
                );
                let calls = [
                    cloudtrail::dynamodb_item(&mut self.rng, "Query", "orders"),
                    cloudtrail::s3_object(
                        &mut self.rng,
                        "GetObject",
                        "example-app-config",
                        "app/settings.json",
                    ),
                    cloudtrail::s3_object(
                        &mut self.rng,
                        "PutObject",
                        "example-app-exports",
                        &object,
                    ),
                    cloudtrail::dynamodb_item(&mut self.rng, "PutItem", "orders"),
                ];
                for call in calls {
                    time = self.after(time, 1..20);
                    let record = cloudtrail::record(&mut self.rng, time, identity(), caller, call);
                    self.cloudtrail.push(record);
                }
            }
        }
    }

    /// The report Lambda function: invoked every 4 hours with fresh execution role
    /// credentials.
    fn function_day(&mut self, day: u32, function: &Function) {
        let client = function.client;
        let caller = Caller::Ip {
            ip: client.ip,
            user_agent: client.user_agent,
        };
        for run in 0..6 {
            let created = self.after(at(day, run * 4 + 1, 30, 0), 0..60);
            let key = ids::aws_key_id(&mut self.rng, "ASIA");
            let record = cloudtrail::assume_role_by_service(
                &mut self.rng,
                created,
                "lambda.amazonaws.com",
                function.role,
                &function.name,
                &key,
                TimeDelta::hours(12),
            );
            self.cloudtrail.push(record);
            let report = format!(
                "reports/{}/summary-{run}.json",
                midnight(day).format("%Y-%m-%d")
            );
            let calls = [
                cloudtrail::dynamodb_item(&mut self.rng, "Query", "orders"),
                cloudtrail::s3_object(&mut self.rng, "PutObject", "example-app-reports", &report),
            ];
            let mut time = self.after(created, 1..3);
            for call in calls {
                time = self.after(time, 1..15);
                let identity =
                    UserIdentity::role_session(function.role, &function.name, &key, created, false);
                let record = cloudtrail::record(&mut self.rng, time, identity, caller, call);
                self.cloudtrail.push(record);
            }
        }
    }

    /// Generates a day of the CI pipeline: three deployments with the `ci-deploy` user's
    /// access key.
    fn ci_day(&mut self, day: u32, user: &IamUser) {
        let caller = Caller::Ip {
            ip: user.client.ip,
            user_agent: user.client.user_agent,
        };
        for (hour, minute) in [(10, 15), (14, 40), (16, 5)] {
            let mut time = self.after(at(day, hour, minute, 0), 0..240);
            let artifact = format!("builds/app-{}.zip", ids::hex(&mut self.rng, 12));
            let calls = [
                ReadCall::GetCallerIdentity.call(time),
                cloudtrail::s3_object(
                    &mut self.rng,
                    "PutObject",
                    "example-ci-artifacts",
                    &artifact,
                ),
                Call::management(
                    "lambda.amazonaws.com",
                    "UpdateFunctionCode20150331v2",
                    false,
                )
                .with_parameters(serde_json::json!({
                    "functionName": "report-builder",
                    "s3Bucket": "example-ci-artifacts",
                    "s3Key": artifact,
                    "publish": true,
                })),
                ReadCall::DescribeStacks.call(time),
            ];
            for call in calls {
                time = self.after(time, 2..40);
                let identity = UserIdentity::iam_user(user, &user.access_key_id);
                let record = cloudtrail::record(&mut self.rng, time, identity, caller, call);
                self.cloudtrail.push(record);
            }
        }
    }

    /// Generates a day of the Entra service principal, which gets a token for Microsoft Graph
    /// every 2 hours.
    fn principal_day(&mut self, day: u32, principal: &ServicePrincipal) {
        for slot in 0..12 {
            let time = self.after(at(day, slot * 2, 5, 0), 0..120);
            let record = entra::service_principal_sign_in(&mut self.rng, time, principal);
            self.entra.push(record);
        }
    }
}

/// Generates the whole scenario from `seed`.
pub fn build(seed: u64) -> Scenario {
    let mut timeline = Timeline::new(seed);
    let cast = Cast::new(&mut timeline.rng);
    let mut attack = AttackFacts::default();

    for day in 0..DAYS {
        let morning = |timeline: &mut Timeline, person: &Person| {
            let nine = local(day, person.home.place, 8, 50);
            timeline.after(nine, 0..1500)
        };

        // Alice signs in at about 09:00 in Lisbon every day; on the second day at 09:01:12.
        let start = if day == 1 {
            at(day, 8, 1, 12)
        } else {
            morning(&mut timeline, &cast.alice)
        };
        let plan = DayPlan {
            signs_out: true,
            ..DayPlan::default()
        };
        let workday = timeline.workday(day, &cast.alice, start, plan);
        if day == 1 {
            attack = timeline.attack(day, &cast, &workday);
        }

        let start = morning(&mut timeline, &cast.bob);
        let plan = DayPlan {
            mistyped_password: day == 1,
            signs_out: true,
            ..DayPlan::default()
        };
        timeline.workday(day, &cast.bob, start, plan);

        let start = morning(&mut timeline, &cast.carol);
        let plan = DayPlan {
            afternoon_cli: true,
            ..DayPlan::default()
        };
        timeline.workday(day, &cast.carol, start, plan);

        let start = morning(&mut timeline, &cast.dave);
        let plan = DayPlan {
            afternoon_cli: day != 2,
            signs_out: day == 0,
            ..DayPlan::default()
        };
        let dave_day = timeline.workday(day, &cast.dave, start, plan);
        admin_tasks(&mut timeline, day, &cast, &dave_day.okta);

        let start = morning(&mut timeline, &cast.erin);
        timeline.workday(day, &cast.erin, start, DayPlan::default());

        timeline.instance_day(day, &cast.instance);
        timeline.function_day(day, &cast.function);
        timeline.ci_day(day, &cast.ci);
        timeline.principal_day(day, &cast.principal);
    }

    let Timeline {
        cloudtrail,
        mut okta,
        mut entra,
        ..
    } = timeline;
    okta.sort_by_key(|item| item.time);
    entra.sort_by_key(|item| item.created);
    Scenario {
        cloudtrail,
        okta,
        entra,
        attack,
    }
}

/// Dave administers Okta and Entra: on the first day he adds erin to the AWS engineering
/// groups, on the third he updates carol's job title.
fn admin_tasks(timeline: &mut Timeline, day: u32, cast: &Cast, session: &OktaSession) {
    let dave = &cast.dave;
    let client = dave.home;
    match day {
        0 => {
            let time = local(day, client.place, 10, 40);
            let time = timeline.with_millis(time);
            let event = okta::group_membership_add(
                &mut timeline.rng,
                time,
                dave,
                &client,
                session,
                &cast.erin,
                &okta::AWS_ENGINEERS_GROUP,
            );
            timeline.okta.push(event);
            let time = timeline.after(time, 300..420);
            let record = entra::add_member_to_group(
                &mut timeline.rng,
                time,
                dave,
                &client,
                &cast.erin,
                &entra::ENGINEERING_GROUP,
            );
            timeline.entra.push(record);
        }
        2 => {
            let time = local(day, client.place, 11, 20);
            let change = PropertyChange {
                name: "JobTitle",
                old_value: "Software Engineer",
                new_value: "Senior Software Engineer",
            };
            let record =
                entra::update_user(&mut timeline.rng, time, dave, &client, &cast.carol, change);
            timeline.entra.push(record);
        }
        _ => {}
    }
}

/// Writes the scenario under `out`, in three folders:
/// - `okta/`: one JSON array per day, as the System Log API returns it;
/// - `entra/`: one Azure Monitor `{"records": [...]}` file per day and log category;
/// - `cloudtrail/`: gzip files in CloudTrail's S3 layout, one per 5 minutes with activity.
///
/// Writing the same seed again writes the same files under the same names.
pub fn write(scenario: &Scenario, out: &Path, seed: u64) -> Result<WriteSummary, SynthError> {
    let mut summary = WriteSummary::default();
    // File name suffixes come from their own generator, so that the records do not depend on
    // how files are named.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_f11e);

    let okta_folder = out.join("okta");
    output::create_folder(&okta_folder)?;
    for day in 0..DAYS {
        let (from, to) = (midnight(day), midnight(day + 1));
        let events: Vec<&OktaEvent> = scenario
            .okta
            .iter()
            .filter(|event| event.time >= from && event.time < to)
            .collect();
        let path = okta_folder.join(format!("system-log-{}.json", from.format("%Y-%m-%d")));
        summary.add_file(output::write_pretty_json(&path, &events)?);
        summary.okta += events.len() as u64;
    }

    let entra_folder = out.join("entra");
    output::create_folder(&entra_folder)?;
    for day in 0..DAYS {
        let (from, to) = (midnight(day), midnight(day + 1));
        for (name, audit) in [("signin-logs", false), ("audit-logs", true)] {
            let records: Vec<&EntraRecord> = scenario
                .entra
                .iter()
                .filter(|record| record.created >= from && record.created < to)
                .filter(|record| (record.category == "AuditLogs") == audit)
                .collect();
            if records.is_empty() {
                continue;
            }
            let path = entra_folder.join(format!("{name}-{}.json", from.format("%Y-%m-%d")));
            let batch = AzureMonitorBatch { records: &records };
            summary.add_file(output::write_pretty_json(&path, &batch)?);
            summary.entra += records.len() as u64;
        }
    }

    let trail = out.join("cloudtrail");
    for (delivery, records) in delivery_files(&mut rng, &scenario.cloudtrail) {
        let folder = trail.join(cloudtrail::day_folder(delivery));
        output::create_folder(&folder)?;
        let path = folder.join(cloudtrail::file_name(&mut rng, delivery));
        summary.add_file(cloudtrail::write_file(&path, &records)?);
        summary.cloudtrail += records.len() as u64;
    }
    Ok(summary)
}

/// Groups records into the files CloudTrail would deliver: each record reaches CloudTrail
/// between 30 seconds and 4 minutes after the call, and a file holds what arrived in one
/// 5-minute window, so that a file also holds late calls of the previous window and its
/// records are not sorted by event time. Returns the delivery time of each file and its
/// records.
fn delivery_files(
    rng: &mut impl Rng,
    records: &[CloudTrailRecord],
) -> BTreeMap<DateTime<Utc>, Vec<CloudTrailRecord>> {
    let window = 300;
    let mut arrivals: BTreeMap<DateTime<Utc>, Vec<(DateTime<Utc>, CloudTrailRecord)>> =
        BTreeMap::new();
    for record in records {
        let arrival = record.time + TimeDelta::seconds(rng.random_range(30..240));
        let seconds = arrival.timestamp();
        let start = seconds - seconds.rem_euclid(window);
        let delivery = DateTime::from_timestamp(start + window, 0).unwrap_or(arrival);
        arrivals
            .entry(delivery)
            .or_default()
            .push((arrival, record.clone()));
    }
    arrivals
        .into_iter()
        .map(|(delivery, mut records)| {
            records.sort_by_key(|item| item.0);
            (
                delivery,
                records.into_iter().map(|(_, record)| record).collect(),
            )
        })
        .collect()
}

/// Generates the scenario from `seed` and writes it under `out`.
pub fn write_examples(out: &Path, seed: u64) -> Result<(Scenario, WriteSummary), SynthError> {
    let scenario = build(seed);
    let summary = write(&scenario, out, seed)?;
    Ok((scenario, summary))
}

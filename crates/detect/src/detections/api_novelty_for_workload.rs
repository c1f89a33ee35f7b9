//! `api_novelty_for_workload`: a non-human identity calls services or operations outside its
//! profile, above all discovery and credential-access calls.
//!
//! # What it detects
//! An API call of a non-human identity (an IAM user's access key, a role session, an Entra
//! service principal or managed identity, an Okta service application) outside its profile.
//! The identity's behavioural baseline must be past its learning period (by default 14
//! days), and [`Baseline::assess_workload_call`] must show one of:
//! - a new service (`new_service`): a workload that reads S3 now calls IAM;
//! - a new operation of a sensitive family (`new_operation` of a call in an [`ApiFamily`]):
//!   discovery, such as `iam:List*`, `iam:Get*`, `sts:GetCallerIdentity`,
//!   `organizations:List*`, `s3:ListBuckets`, `secretsmanager:ListSecrets`; or credential
//!   access, such as `secretsmanager:GetSecretValue`, `kms:Decrypt`, `ssm:GetParameter*`;
//! - a call of a sensitive family, even a known one, from a client family the identity has
//!   never used (`new_user_agent_family`): `sts:GetCallerIdentity` from `aws-cli` by a
//!   workload that only ever ran `boto3`.
//!
//! The families are those of [`api_family`], which lists AWS calls only. The explanation
//! lists every contribution of the assessment with its weight (by default +0.40 for a new
//! autonomous system, +0.20 for a new service, +0.10 for a new operation, +0.20 more for a
//! discovery one and +0.25 more for a credential-access one, +0.15 for a new client family,
//! -0.20 for an autonomous system seen at least 5 times), and the `contributions` fact carries
//! them.
//!
//! # Why it matters
//! A workload calls the same few operations every day. Whoever steals its credential starts
//! by asking who it is and what it may do, then looks for secrets to widen their access: the
//! first calls of an intruder are discovery (ATT&CK T1087.004 Cloud Account discovery, T1580
//! Cloud Infrastructure Discovery) and credential access (T1552 Unsecured Credentials,
//! T1555.006 Cloud Secrets Management Stores). A new service outside those families is
//! reported as use of the workload's account by someone else (T1078.004 Cloud Accounts).
//!
//! # Thresholds and their source
//! - The learning period, the weights and the ageing of values (`max_age_days`, default 90)
//!   come from the baseline settings.
//! - Severity is High when a reported call reads secrets or keys, Medium otherwise.
//! - Confidence is 0.4 plus half the assessment score: 0.55 for a new service with nothing
//!   else new (a new service is also a new operation, so the score is 0.20 + 0.10), 0.88 for
//!   a secret read in a new service from a new autonomous system (score 0.95).
//! - `window_secs` = 3,600: one finding per identity per hour. The first new call opens the
//!   hour and is reported at once. Further new calls within the hour are listed in the
//!   window's state (at most [`MAX_LISTED_CALLS`], the rest counted) but not reported, unless
//!   one of them is more severe than what the hour has reported: a credential-access call
//!   after a discovery one gives a second, High finding that lists every new call of the hour
//!   so far, with one evidence event per listed call. So an identity gives at most two
//!   findings per hour, and a finding lists at most [`MAX_LISTED_CALLS`] + 1 calls.
//!
//! # Inputs it ignores
//! - Human identities and AWS root, AWS services and the providers' own system principals,
//!   and role sessions named after a person (an assumed role whose session name or source
//!   identity is an e-mail address): people call many APIs as their work changes.
//! - Identities without a baseline, or whose baseline is still learning.
//! - Sign-ins, MFA events, sign-outs and provider risk detections, which are not API calls;
//!   events without a service; failed authentications. Failed API calls count, because an
//!   intruder's first calls are often denied.
//! - Services and operations the baseline cannot judge: a value is new only against a
//!   baseline that contains other values of that feature.
//! - Role sessions whose name changes every time (`botocore-session-...`): each gets its own
//!   baseline, which never leaves its learning period.
//! - Calls outside AWS are judged for new services only, because [`api_family`] knows no
//!   sensitive operations of Microsoft Graph or Okta.
//!
//! # Known false positives
//! - Deployments that give a workload a new feature, and with it a new service.
//! - Infrastructure tools (Terraform, CloudFormation drift checks) run with a workload's
//!   credential, which list and describe many services.
//! - The baseline keeps 8 services and 16 operations per identity by default: a workload that
//!   calls more sees the least recently used ones forgotten and new again.

use chrono::TimeDelta;
use riposte_baseline::{ApiFamily, Assessment, Baseline, api_family, service_prefix};
use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKey, Outcome, Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::detections::ExpiringMap;
use crate::detections::client::parse_user_agent;
use crate::detections::new_network_for_workload::{actor_name, is_workload_identity};
use crate::detections::unfamiliar_signin::{
    baseline_facts, contribution_facts, describe_contributions,
};
use crate::detections::window::window_from_secs;
use crate::{Context, Detector, Enabled};

pub const ID: &str = "api_novelty_for_workload";

/// New calls listed per identity and window; later ones are counted.
pub const MAX_LISTED_CALLS: usize = 20;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Time from an identity's first reported call during which further new calls give no
    /// finding unless more severe, in seconds.
    pub window_secs: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            window_secs: 3600,
        }
    }
}

/// The reason a call is outside the identity's profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    NewService,
    NewSensitiveOperation,
    SensitiveCallFromNewClient,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Self::NewService => "new_service",
            Self::NewSensitiveOperation => "new_sensitive_operation",
            Self::SensitiveCallFromNewClient => "sensitive_call_from_new_client",
        }
    }
}

/// Returns the name of a family in explanations.
fn family_label(family: ApiFamily) -> &'static str {
    match family {
        ApiFamily::Discovery => "discovery",
        ApiFamily::CredentialAccess => "credential-access",
    }
}

/// One new call of a window.
#[derive(Clone, Debug)]
struct NewCall {
    /// `iam:ListUsers`, or `service operation` outside AWS.
    name: String,
    family: Option<ApiFamily>,
    reason: Reason,
    time: Timestamp,
}

impl NewCall {
    fn severity(&self) -> Severity {
        if self.family == Some(ApiFamily::CredentialAccess) {
            Severity::High
        } else {
            Severity::Medium
        }
    }

    fn describe(&self) -> String {
        let reason = match self.reason {
            Reason::NewService => "new service",
            Reason::NewSensitiveOperation => "new operation",
            Reason::SensitiveCallFromNewClient => "new client",
        };
        match self.family {
            Some(family) => format!(
                "{} at {} ({reason}, {})",
                self.name,
                self.time.format("%H:%M:%SZ"),
                family_label(family)
            ),
            None => format!(
                "{} at {} ({reason})",
                self.name,
                self.time.format("%H:%M:%SZ")
            ),
        }
    }

    fn facts(&self) -> Value {
        json!({
            "operation": self.name,
            "family": self.family,
            "reason": self.reason.as_str(),
            "time": self.time,
        })
    }
}

/// The new calls of one identity since its window opened.
struct Window {
    start: Timestamp,
    /// Highest severity reported in this window.
    reported: Severity,
    calls: Vec<NewCall>,
    /// New calls beyond [`MAX_LISTED_CALLS`].
    unlisted: usize,
    evidence: Vec<Evidence>,
}

impl Window {
    fn open(call: NewCall, evidence: Evidence) -> Self {
        Self {
            start: call.time,
            reported: call.severity(),
            calls: vec![call],
            unlisted: 0,
            evidence: vec![evidence],
        }
    }

    /// Adds a call and returns true when it is more severe than what the window reported.
    ///
    /// A call that raises the severity is listed even when the list is full, so that the
    /// finding it gives names its own event. The severity rises once per window at most, so
    /// the list contains at most [`MAX_LISTED_CALLS`] + 1 calls.
    fn add(&mut self, call: NewCall, evidence: Evidence) -> bool {
        if self.calls.iter().any(|listed| listed.name == call.name) {
            return false;
        }
        let severity = call.severity();
        let raises = severity > self.reported;
        if self.calls.len() < MAX_LISTED_CALLS || raises {
            let position = self
                .calls
                .partition_point(|listed| listed.time <= call.time);
            self.calls.insert(position, call);
            let position = self
                .evidence
                .partition_point(|listed| listed.time <= evidence.time);
            self.evidence.insert(position, evidence);
        } else {
            self.unlisted = self.unlisted.saturating_add(1);
        }
        if raises {
            self.reported = severity;
        }
        raises
    }
}

pub struct ApiNoveltyForWorkload {
    settings: Settings,
    window: TimeDelta,
    windows: ExpiringMap<IdentityKey, Window>,
}

impl ApiNoveltyForWorkload {
    pub fn new(settings: &Settings) -> Self {
        let window = window_from_secs(settings.window_secs);
        Self {
            settings: settings.clone(),
            window,
            windows: ExpiringMap::new(window),
        }
    }

    /// Returns the new call an event makes, if it is outside the identity's profile.
    fn new_call(event: &Event, assessment: &Assessment) -> Option<NewCall> {
        let service = event.service.as_deref();
        let operation = event.operation.trim();
        let family = api_family(service, operation);
        let reason = if assessment.contribution("new_service").is_some() {
            Reason::NewService
        } else if family.is_some() && assessment.contribution("new_operation").is_some() {
            Reason::NewSensitiveOperation
        } else if family.is_some() && assessment.contribution("new_user_agent_family").is_some() {
            Reason::SensitiveCallFromNewClient
        } else {
            return None;
        };
        Some(NewCall {
            name: operation_name(service, operation),
            family,
            reason,
            time: event.time,
        })
    }

    fn finding(
        window_secs: u64,
        event: &Event,
        call: &NewCall,
        window: &Window,
        baseline: &Baseline,
        assessment: &Assessment,
    ) -> Finding {
        let severity = window.reported;
        let confidence = 0.4 + assessment.score / 2.0;
        let why = match call.reason {
            Reason::NewService => match call.family {
                Some(family) => format!(
                    "a service it has not called before, with a {} operation",
                    family_label(family)
                ),
                None => "a service it has not called before".to_owned(),
            },
            Reason::NewSensitiveOperation => {
                format!(
                    "a {} operation it has not called before",
                    call.family.map_or("sensitive", family_label)
                )
            }
            Reason::SensitiveCallFromNewClient => {
                let client = event
                    .source
                    .user_agent
                    .as_deref()
                    .and_then(parse_user_agent)
                    .map_or_else(|| "a client".to_owned(), |software| software.to_string());
                format!(
                    "a {} operation, from {client}, a client family it has not used before",
                    call.family.map_or("sensitive", family_label)
                )
            }
        };
        let from = match event.source.origin.ip() {
            Some(address) => format!(" from {address}"),
            None => String::new(),
        };
        let mut explanation = format!(
            "{who} called {name}{from} at {time}: {why}. Assessment: {contributions}: score \
             {score:.2}.",
            who = actor_name(&event.actor),
            name = call.name,
            time = event.time.format("%Y-%m-%d %H:%M:%SZ"),
            contributions = describe_contributions(assessment),
            score = assessment.score,
        );
        if window.calls.len() > 1 || window.unlisted > 0 {
            let listed: Vec<String> = window.calls.iter().map(NewCall::describe).collect();
            explanation.push_str(&format!(
                " New calls since {}: {}",
                window.start.format("%Y-%m-%d %H:%M:%SZ"),
                listed.join(", ")
            ));
            if window.unlisted > 0 {
                explanation.push_str(&format!(", and {} more", window.unlisted));
            }
            explanation.push('.');
        }

        let mut attack: Vec<&'static str> = Vec::new();
        for listed in &window.calls {
            let techniques: &[&'static str] = match listed.family {
                Some(ApiFamily::Discovery) => &["T1087.004", "T1580"],
                Some(ApiFamily::CredentialAccess) => &["T1552", "T1555.006"],
                None => &["T1078.004"],
            };
            for technique in techniques {
                if !attack.contains(technique) {
                    attack.push(technique);
                }
            }
        }

        let mut facts = serde_json::Map::new();
        facts.insert("operation".into(), json!(call.name));
        facts.insert("family".into(), json!(call.family));
        facts.insert("reason".into(), json!(call.reason.as_str()));
        facts.insert("score".into(), json!(assessment.score));
        facts.insert("contributions".into(), contribution_facts(assessment));
        facts.insert(
            "window_calls".into(),
            Value::Array(window.calls.iter().map(NewCall::facts).collect()),
        );
        facts.insert("unlisted_calls".into(), json!(window.unlisted));
        facts.insert("window_start".into(), json!(window.start));
        facts.insert("window_secs".into(), json!(window_secs));
        facts.insert("identity_kind".into(), json!(event.actor.kind.as_str()));
        facts.insert("credential_id".into(), json!(event.credential.id));
        facts.insert("baseline".into(), baseline_facts(baseline));

        let first_seen = window
            .calls
            .first()
            .map_or(event.time, |first| first.time.min(event.time));
        let last_seen = window
            .calls
            .last()
            .map_or(event.time, |last| last.time.max(event.time));
        Finding {
            detection: ID,
            severity,
            confidence: Confidence::new(confidence),
            identity: event.actor.clone(),
            first_seen,
            last_seen,
            evidence: window.evidence.clone(),
            explanation,
            attack,
            facts,
            related: Vec::new(),
        }
    }
}

/// Names an operation as IAM policies do (`iam:ListUsers`) when the service is an AWS
/// endpoint, else as `service operation`.
fn operation_name(service: Option<&str>, operation: &str) -> String {
    match service {
        Some(service) if service_prefix(service) != service.trim() => {
            format!("{}:{operation}", service_prefix(service))
        }
        Some(service) => format!("{} {operation}", service.trim()),
        None => operation.to_owned(),
    }
}

impl Detector for ApiNoveltyForWorkload {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        if !is_workload_identity(&event.actor) {
            return;
        }
        if matches!(
            event.activity,
            Activity::SignIn
                | Activity::MfaVerify
                | Activity::MfaPushSent
                | Activity::SignOut
                | Activity::RiskDetected
        ) {
            return;
        }
        if event.outcome == Outcome::Failure && event.activity.is_authentication() {
            return;
        }
        if event
            .service
            .as_deref()
            .is_none_or(|service| service.trim().is_empty())
        {
            return;
        }
        let Some(baseline) = context.baseline else {
            return;
        };
        let settings = context.baseline_settings;
        if baseline.is_learning(event.time, settings) {
            return;
        }
        let scored = baseline.score_workload_call(event, settings);
        let Some(call) = Self::new_call(event, &scored) else {
            return;
        };

        let window_length = self.window;
        let mut opened = false;
        let window = self
            .windows
            .touch_or_insert_with(&event.actor.key, event.time, || {
                opened = true;
                Window::open(call.clone(), Evidence::of(event))
            });
        let report = if opened || (event.time - window.start).abs() >= window_length {
            if !opened {
                *window = Window::open(call.clone(), Evidence::of(event));
            }
            true
        } else {
            window.add(call.clone(), Evidence::of(event))
        };
        if report {
            // The same assessment with the details that the finding quotes.
            let assessment = baseline.assess_workload_call(event, settings);
            let finding = Self::finding(
                self.settings.window_secs,
                event,
                &call,
                window,
                baseline,
                &assessment,
            );
            findings.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run_with_baselines};
    use riposte_model::{CredentialKind, IdentityKind};

    const BOTO3: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10 lang/python#3.12 \
                         exec-env/AWS_Lambda_python3.12";
    const CLI: &str = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2";

    fn detector() -> ApiNoveltyForWorkload {
        ApiNoveltyForWorkload::new(&Settings::default())
    }

    /// Starts a call of the `report-job` Lambda function's role session.
    fn call(time: &str, service: &str, operation: &str) -> EventBuilder {
        EventBuilder::new("unused", time)
            .id(&format!("{operation}@{time}"))
            .role_session("111111111111", "report-job", "report-job")
            .kind(IdentityKind::FunctionRoleSession)
            .activity(Activity::ApiCall, operation)
            .service(service)
            .credential(CredentialKind::TemporaryKey, Some("ASIAEXAMPLEREPORT001"))
            .interactive(None)
            .ip("203.0.113.40")
            .user_agent(BOTO3)
    }

    /// Builds fifteen days of reading reports from S3 and checking its own identity.
    fn history() -> Vec<Event> {
        let mut events = Vec::new();
        for day in 1..=15 {
            let time = format!("2024-05-{day:02}T02:00:00Z");
            events.push(call(&time, "s3.amazonaws.com", "GetObject").build());
            events.push(call(&time, "sts.amazonaws.com", "GetCallerIdentity").build());
        }
        events
    }

    fn with(mut events: Vec<Event>, more: impl IntoIterator<Item = Event>) -> Vec<Event> {
        events.extend(more);
        events
    }

    #[test]
    fn secret_read_in_new_service_fires_high() {
        let events = with(
            history(),
            [call(
                "2024-05-16T10:00:00Z",
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
            )
            .build()],
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "api_novelty_for_workload");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.attack, vec!["T1552", "T1555.006"]);
        assert_eq!(finding.facts["reason"], json!("new_service"));
        assert_eq!(finding.facts["family"], json!("credential_access"));
        // 0.4 + 0.55 / 2.
        assert!((finding.confidence.value() - 0.675).abs() < 1e-9);
        assert_eq!(
            finding.explanation,
            "report-job/report-job called secretsmanager:GetSecretValue from 203.0.113.40 at \
             2024-05-16 10:00:00Z: a service it has not called before, with a credential-access \
             operation. Assessment: service secretsmanager.amazonaws.com is new (known in the \
             last 90 days: 2 services) +0.20; operation secretsmanager:GetSecretValue is new \
             (known in the last 90 days: 2 operations) +0.10; secretsmanager:GetSecretValue \
             reads a secret or decrypts with a key +0.25: score 0.55."
        );
    }

    #[test]
    fn new_discovery_operation_in_known_service_fires_medium() {
        let events = with(
            history(),
            [call("2024-05-16T10:00:00Z", "s3.amazonaws.com", "ListBuckets").build()],
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Medium);
        assert_eq!(
            findings[0].facts["reason"],
            json!("new_sensitive_operation")
        );
        assert_eq!(findings[0].attack, vec!["T1087.004", "T1580"]);
    }

    #[test]
    fn new_ordinary_operation_in_known_service_is_quiet() {
        let events = with(
            history(),
            [call("2024-05-16T10:00:00Z", "s3.amazonaws.com", "PutObject").build()],
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn known_discovery_call_from_new_client_fires() {
        let events = with(
            history(),
            [call(
                "2024-05-16T10:00:00Z",
                "sts.amazonaws.com",
                "GetCallerIdentity",
            )
            .user_agent(CLI)
            .build()],
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].facts["reason"],
            json!("sensitive_call_from_new_client")
        );
        assert!(
            findings[0].explanation.contains(
                "a discovery operation, from aws-cli 2, a client family it has not used before"
            ),
            "{}",
            findings[0].explanation
        );
    }

    #[test]
    fn known_calls_are_quiet() {
        let events = with(
            history(),
            [
                call(
                    "2024-05-16T10:00:00Z",
                    "sts.amazonaws.com",
                    "GetCallerIdentity",
                )
                .build(),
                call("2024-05-16T10:00:01Z", "s3.amazonaws.com", "GetObject").build(),
            ],
        );
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn learning_baseline_is_quiet() {
        let mut events: Vec<Event> = history().into_iter().take(10).collect();
        events.push(call("2024-05-06T10:00:00Z", "iam.amazonaws.com", "ListUsers").build());
        assert!(run_with_baselines(&mut detector(), &events).is_empty());
    }

    #[test]
    fn people_and_sign_ins_are_ignored() {
        let person =
            |event: EventBuilder| event.role_session("111111111111", "Admin", "alice@example.com");
        let events: Vec<Event> = history()
            .into_iter()
            .map(|mut event| {
                event.actor = person(EventBuilder::new("unused", "2024-05-01T00:00:00Z"))
                    .build()
                    .actor;
                event
            })
            .chain([person(call(
                "2024-05-16T10:00:00Z",
                "iam.amazonaws.com",
                "ListUsers",
            ))
            .build()])
            .collect();
        assert!(run_with_baselines(&mut detector(), &events).is_empty());

        let sign_in = with(
            history(),
            [call(
                "2024-05-16T10:00:00Z",
                "signin.amazonaws.com",
                "ConsoleLogin",
            )
            .activity(Activity::SignIn, "ConsoleLogin")
            .build()],
        );
        assert!(run_with_baselines(&mut detector(), &sign_in).is_empty());
    }

    #[test]
    fn denied_call_counts() {
        let events = with(
            history(),
            [
                call("2024-05-16T10:00:00Z", "iam.amazonaws.com", "ListUsers")
                    .failed()
                    .build(),
            ],
        );
        assert_eq!(run_with_baselines(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn hour_gives_one_finding_unless_more_severe() {
        let events = with(
            history(),
            [
                call("2024-05-16T10:00:00Z", "iam.amazonaws.com", "ListUsers").build(),
                call("2024-05-16T10:01:00Z", "iam.amazonaws.com", "ListRoles").build(),
                call(
                    "2024-05-16T10:05:00Z",
                    "secretsmanager.amazonaws.com",
                    "GetSecretValue",
                )
                .build(),
                call("2024-05-16T10:10:00Z", "kms.amazonaws.com", "Decrypt").build(),
                call(
                    "2024-05-16T11:00:00Z",
                    "ec2.amazonaws.com",
                    "DescribeInstances",
                )
                .build(),
            ],
        );
        let findings = run_with_baselines(&mut detector(), &events);
        let summary: Vec<(String, Severity)> = findings
            .iter()
            .map(|finding| {
                (
                    finding.facts["operation"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    finding.severity,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("iam:ListUsers".to_owned(), Severity::Medium),
                ("secretsmanager:GetSecretValue".to_owned(), Severity::High),
                ("ec2:DescribeInstances".to_owned(), Severity::Medium),
            ]
        );
        let escalation = &findings[1];
        assert_eq!(escalation.evidence.len(), 3);
        assert_eq!(
            escalation.attack,
            vec!["T1087.004", "T1580", "T1552", "T1555.006"]
        );
        assert!(
            escalation.explanation.ends_with(
                " New calls since 2024-05-16 10:00:00Z: iam:ListUsers at 10:00:00Z (new service, \
                 discovery), iam:ListRoles at 10:01:00Z (new operation, discovery), \
                 secretsmanager:GetSecretValue at 10:05:00Z (new service, credential-access)."
            ),
            "{}",
            escalation.explanation
        );
        assert_eq!(
            findings[2].facts["window_calls"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn listed_calls_are_capped() {
        let mut events = history();
        events.push(call("2024-05-16T10:00:00Z", "iam.amazonaws.com", "ListUsers").build());
        for minute in 1..=30 {
            events.push(
                call(
                    &format!("2024-05-16T10:{minute:02}:00Z"),
                    &format!("service{minute}.amazonaws.com"),
                    "DescribeThings",
                )
                .build(),
            );
        }
        events.push(
            call(
                "2024-05-16T10:45:00Z",
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
            )
            .build(),
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 2);
        // Twenty listed, eleven counted, and the secret read that raised the severity.
        let last = &findings[1];
        assert_eq!(last.severity, Severity::High);
        assert_eq!(
            last.facts["window_calls"].as_array().map(Vec::len),
            Some(MAX_LISTED_CALLS + 1)
        );
        assert_eq!(last.facts["unlisted_calls"], json!(11));
        assert_eq!(last.evidence.len(), MAX_LISTED_CALLS + 1);
        assert_eq!(
            last.evidence
                .last()
                .map(|evidence| evidence.operation.as_ref()),
            Some("GetSecretValue")
        );
        assert!(
            last.explanation.ends_with(", and 11 more."),
            "{}",
            last.explanation
        );
    }

    #[test]
    fn window_follows_settings() {
        let settings = Settings {
            window_secs: 60,
            ..Settings::default()
        };
        let events = with(
            history(),
            [
                call("2024-05-16T10:00:00Z", "iam.amazonaws.com", "ListUsers").build(),
                call("2024-05-16T10:02:00Z", "iam.amazonaws.com", "ListRoles").build(),
            ],
        );
        let findings = run_with_baselines(&mut ApiNoveltyForWorkload::new(&settings), &events);
        assert_eq!(findings.len(), 2);
    }

    #[test]
    fn graph_calls_are_named_with_their_service() {
        assert_eq!(
            operation_name(Some("Microsoft Graph"), "GET /users"),
            "Microsoft Graph GET /users"
        );
        assert_eq!(
            operation_name(Some("iam.amazonaws.com"), "ListUsers"),
            "iam:ListUsers"
        );
    }
}

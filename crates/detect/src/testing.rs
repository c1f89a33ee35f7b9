//! An event builder and runners for detection tests.
//!
//! Defaults describe a successful Okta sign-in of a human from a public address, so that a
//! test states only what matters to it.

use std::collections::HashMap;
use std::sync::Arc;

use riposte_baseline::{Baseline, BaselineSettings};
use riposte_model::{
    Activity, Asn, Credential, CredentialKind, Event, Finding, Geo, GeoSource, IdentityKey,
    IdentityKind, IdentityRef, IpClass, MfaMethod, Origin, Outcome, Privilege, PrivilegeKind,
    Provider, RoleSession, Sensitive, Source, SourceFormat, Target, TargetKind, Timestamp,
};

/// Parses an RFC 3339 time for a test.
///
/// # Panics
/// On an invalid time, which is a mistake in the test.
pub fn at(time: &str) -> Timestamp {
    #[expect(
        clippy::panic,
        reason = "test helper: a bad literal is a bug in the test"
    )]
    match chrono::DateTime::parse_from_rfc3339(time) {
        Ok(parsed) => parsed.with_timezone(&chrono::Utc),
        Err(error) => panic!("invalid test time `{time}`: {error}"),
    }
}

/// Builds an [`Event`] field by field.
pub struct EventBuilder {
    event: Event,
}

impl EventBuilder {
    /// Starts a successful Okta sign-in of `user` at `time`.
    pub fn new(user: &str, time: &str) -> Self {
        let mut actor = IdentityRef::new(Provider::Okta, user, IdentityKind::Human);
        actor.name = Some(user.into());
        if user.contains('@') {
            actor.email = Some(user.into());
        }
        Self {
            event: Event {
                format: SourceFormat::Okta,
                event_id: format!("{user}@{time}").into(),
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

    pub fn id(mut self, id: &str) -> Self {
        self.event.event_id = id.into();
        self
    }

    pub fn format(mut self, format: SourceFormat) -> Self {
        self.event.format = format;
        self.event.actor.key.provider = format.provider();
        self
    }

    pub fn activity(mut self, activity: Activity, operation: &str) -> Self {
        self.event.activity = activity;
        self.event.operation = operation.into();
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.event.outcome = outcome;
        self
    }

    pub fn failed(self) -> Self {
        self.outcome(Outcome::Failure)
    }

    pub fn kind(mut self, kind: IdentityKind) -> Self {
        self.event.actor.kind = kind;
        self
    }

    pub fn email(mut self, email: &str) -> Self {
        self.event.actor.email = Some(email.into());
        self
    }

    /// Makes the actor an AWS assumed-role session of `role` named `session`.
    pub fn role_session(mut self, account: &str, role: &str, session: &str) -> Self {
        self.event.format = SourceFormat::CloudTrail;
        self.event.actor = IdentityRef {
            key: riposte_model::IdentityKey {
                provider: Provider::Aws,
                id: format!("arn:aws:sts::{account}:assumed-role/{role}/{session}").into(),
            },
            name: Some(format!("{role}/{session}").into()),
            kind: IdentityKind::AssumedRoleSession,
            email: session.contains('@').then(|| session.into()),
            role_session: Some(RoleSession {
                role_arn: format!("arn:aws:iam::{account}:role/{role}").into(),
                role_name: role.into(),
                session_name: session.into(),
                source_identity: None,
            }),
        };
        self.event.account = Some(account.into());
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        self.event.source.origin = match ip.parse() {
            Ok(address) => Origin::Ip(address),
            Err(_) => Origin::AwsService(ip.into()),
        };
        self
    }

    pub fn origin(mut self, origin: Origin) -> Self {
        self.event.source.origin = origin;
        self
    }

    pub fn ip_class(mut self, class: IpClass) -> Self {
        self.event.source.ip_class = class;
        self
    }

    /// Sets a location from the record, with an accuracy radius of 0.
    pub fn geo(mut self, latitude: f64, longitude: f64, country: &str, city: &str) -> Self {
        self.event.source.geo = Some(Geo {
            country: Some(country.into()),
            region: None,
            city: Some(city.into()),
            latitude: Some(latitude),
            longitude: Some(longitude),
            accuracy_radius_km: None,
            source: GeoSource::Record,
        });
        self
    }

    pub fn accuracy_radius(mut self, km: f64) -> Self {
        if let Some(geo) = &mut self.event.source.geo {
            geo.accuracy_radius_km = Some(km);
        }
        self
    }

    pub fn asn(mut self, number: u32, organization: &str) -> Self {
        self.event.source.asn = Some(Asn {
            number,
            organization: Some(organization.into()),
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

    pub fn service(mut self, service: &str) -> Self {
        self.event.service = Some(service.into());
        self
    }

    pub fn session(mut self, session: &str) -> Self {
        self.event.session_id = Some(Sensitive::new(session));
        self
    }

    pub fn token(mut self, token: &str) -> Self {
        self.event.token_id = Some(Sensitive::new(token));
        self
    }

    pub fn credential(mut self, kind: CredentialKind, id: Option<&str>) -> Self {
        self.event.credential = Credential {
            kind,
            id: id.map(Arc::from),
        };
        self
    }

    pub fn interactive(mut self, interactive: Option<bool>) -> Self {
        self.event.interactive = interactive;
        self
    }

    pub fn mfa(mut self, method: MfaMethod) -> Self {
        self.event.mfa = Some(method);
        self
    }

    pub fn target(mut self, kind: TargetKind, id: &str, name: Option<&str>) -> Self {
        let mut target = Target::new(kind, id);
        target.name = name.map(Arc::from);
        self.event.targets.push(target);
        self
    }

    pub fn privilege(
        mut self,
        kind: PrivilegeKind,
        name: &str,
        document: Option<serde_json::Value>,
    ) -> Self {
        self.event.privileges.push(Privilege {
            kind,
            name: name.into(),
            document,
        });
        self
    }

    pub fn account(mut self, account: &str) -> Self {
        self.event.account = Some(account.into());
        self
    }

    /// Gives access to fields the builder has no method for.
    pub fn with(mut self, change: impl FnOnce(&mut Event)) -> Self {
        change(&mut self.event);
        self
    }

    pub fn build(self) -> Event {
        self.event
    }
}

/// Runs `detector` over `events` in the given order, then finishes it, and returns all
/// findings.
pub fn run(detector: &mut dyn crate::Detector, events: &[Event]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for event in events {
        detector.observe(event, &crate::Context::default(), &mut findings);
    }
    detector.finish(&mut findings);
    findings
}

/// Returns a baseline that learned `events` in the given order, with the default settings.
pub fn trained(events: &[Event]) -> Baseline {
    trained_with(events, &BaselineSettings::default())
}

/// Returns a baseline that learned `events` in the given order, with `settings`.
pub fn trained_with(events: &[Event], settings: &BaselineSettings) -> Baseline {
    let mut baseline = Baseline::new();
    for event in events {
        baseline.update(event, settings);
    }
    baseline
}

/// Runs `detector` over `events` as the engine does, with the default baseline settings: each
/// event meets its actor's baseline as it was before the event, and then the baseline learns
/// the event. Returns all findings, after finishing the detector.
pub fn run_with_baselines(detector: &mut dyn crate::Detector, events: &[Event]) -> Vec<Finding> {
    run_with_baseline_settings(detector, events, &BaselineSettings::default())
}

/// Runs `detector` over `events` like [`run_with_baselines`], with `settings`.
///
/// Like the engine, it keeps no baseline for AWS services, the providers' system principals,
/// network sources and unknown actors: they meet a context without one.
pub fn run_with_baseline_settings(
    detector: &mut dyn crate::Detector,
    events: &[Event],
    settings: &BaselineSettings,
) -> Vec<Finding> {
    let mut baselines: HashMap<IdentityKey, Baseline> = HashMap::new();
    let mut findings = Vec::new();
    for event in events {
        let learns = !matches!(
            event.actor.kind,
            IdentityKind::AwsService
                | IdentityKind::ProviderSystem
                | IdentityKind::NetworkSource
                | IdentityKind::Unknown
        );
        if !learns {
            let context = crate::Context {
                baseline: None,
                baseline_settings: settings,
            };
            detector.observe(event, &context, &mut findings);
            continue;
        }
        let baseline = baselines.entry(event.actor.key.clone()).or_default();
        let context = crate::Context {
            baseline: Some(baseline),
            baseline_settings: settings,
        };
        detector.observe(event, &context, &mut findings);
        baseline.update(event, settings);
    }
    detector.finish(&mut findings);
    findings
}

/// Runs `detector` over `events` against one fixed `baseline` that never learns, as when
/// every event comes from an identity whose baseline was loaded from a store. Returns all
/// findings, after finishing the detector.
pub fn run_with_fixed_baseline(
    detector: &mut dyn crate::Detector,
    events: &[Event],
    baseline: &Baseline,
) -> Vec<Finding> {
    let settings = BaselineSettings::default();
    let context = crate::Context {
        baseline: Some(baseline),
        baseline_settings: &settings,
    };
    let mut findings = Vec::new();
    for event in events {
        detector.observe(event, &context, &mut findings);
    }
    detector.finish(&mut findings);
    findings
}

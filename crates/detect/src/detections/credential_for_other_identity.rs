//! `credential_for_other_identity`: one identity creates or resets a credential of another.
//!
//! # What it detects
//! A successful [`Activity::CredentialCreated`] or [`Activity::CredentialReset`] event whose
//! target identity is not the actor:
//! - AWS `CreateAccessKey`, `CreateLoginProfile`, `UpdateLoginProfile` for another IAM user;
//! - Entra credentials (client secrets, certificates) added to a service principal or an
//!   application by anyone but that service principal;
//! - an Okta or Entra password or factor reset of another user by an administrator.
//!
//! The finding is about the actor; the identity whose credential changed is in `related`.
//!
//! # Why it matters
//! Minting a credential for another identity gives the actor a second, independent way in that
//! survives the loss of the first: a new access key for a privileged IAM user, a secret on an
//! application that has Graph permissions, a password the actor now knows (ATT&CK T1098
//! Account Manipulation, T1098.001 Additional Cloud Credentials).
//!
//! # How "another identity" is decided
//! - The ids are compared first, ignoring ASCII case.
//! - AWS: an IAM user acting on an IAM user is the same identity when both user names match
//!   (IAM user names ignore case) and, when both ARNs state it, the account does too. Names are
//!   compared because CloudTrail's `userName` parameter carries no path, so a target ARN built
//!   from it can differ from the actor's ARN for users with a path. Any other AWS actor (a role
//!   session, the root user) is never the IAM user it acts on.
//! - Entra and Okta: the actor's e-mail address or login equal to the target's name is the same
//!   user. A service principal acting on an application or service principal with the same
//!   display name is treated as acting on itself, because Entra audit records do not link an
//!   application object to its service principal in any other way.
//! - A record without a user, service principal or application target is skipped: the
//!   credential then belongs to the caller, as when `CreateAccessKey` has no `userName`.
//!
//! # Thresholds and their source
//! No threshold: each event is judged alone. Severity is High for every case. Confidence is
//! 0.75 for created credentials, which administrators rarely make for someone else, and 0.6
//! for resets, which help desks perform daily.
//!
//! # Inputs it ignores
//! Failed and unknown-outcome events, self-service changes, and actions by AWS services and the
//! providers' own system principals such as Okta System.
//!
//! # Known false positives
//! - Help-desk password and factor resets.
//! - Provisioning pipelines that create access keys for service users, and operators who add a
//!   client secret to an application they own.
//! - An application that rotates its own secret while its service principal's display name
//!   differs from the application's is reported.

use std::sync::Arc;

use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKind, IdentityRef, Outcome, Provider,
    Severity, Target, TargetKind,
};
use serde::Deserialize;
use serde_json::json;

use crate::detections::describe_actor;
use crate::detections::privilege_grant::describe_target;
use crate::{Context, Detector, Enabled};

pub const ID: &str = "credential_for_other_identity";

/// Confidence for a credential created for another identity.
const CREATED_CONFIDENCE: f64 = 0.75;
/// Confidence for a credential of another identity reset or changed.
const RESET_CONFIDENCE: f64 = 0.6;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
}

pub struct CredentialForOtherIdentity;

impl CredentialForOtherIdentity {
    pub fn new(_settings: &Settings) -> Self {
        Self
    }
}

/// Returns the identity whose credential the event changed.
fn owner(event: &Event) -> Option<&Target> {
    event.targets.iter().find(|target| {
        matches!(
            target.kind,
            TargetKind::User | TargetKind::ServicePrincipal | TargetKind::Application
        )
    })
}

/// An IAM user named by an ARN or a plain user name.
struct IamUser<'a> {
    account: Option<&'a str>,
    name: &'a str,
}

/// Parses `arn:<partition>:iam::<account>:user/<path/>name`. Returns `None` for any other ARN.
fn iam_user_arn(arn: &str) -> Option<IamUser<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if prefix != "arn" || service != "iam" {
        return None;
    }
    let path_and_name = resource.strip_prefix("user/")?;
    let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
    Some(IamUser {
        account: (!account.is_empty()).then_some(account),
        name,
    })
}

/// Returns the IAM user a target names: its ARN when the id is one, else its plain name.
fn iam_user_target(target: &Target) -> Option<IamUser<'_>> {
    if target.id.starts_with("arn:") {
        return iam_user_arn(&target.id);
    }
    Some(IamUser {
        account: target.account.as_deref(),
        name: target.name.as_deref().unwrap_or(&target.id),
    })
}

fn same_aws_user(actor: &IdentityRef, target: &Target) -> bool {
    let (Some(actor_user), Some(target_user)) =
        (iam_user_arn(&actor.key.id), iam_user_target(target))
    else {
        return false;
    };
    let accounts_agree = match (actor_user.account, target_user.account) {
        (Some(actor_account), Some(target_account)) => actor_account == target_account,
        _ => true,
    };
    accounts_agree && actor_user.name.eq_ignore_ascii_case(target_user.name)
}

fn same_directory_identity(actor: &IdentityRef, target: &Target) -> bool {
    let login = actor
        .email
        .as_deref()
        .or(actor.name.as_deref().filter(|name| name.contains('@')));
    if let Some(login) = login {
        let matches_target = target.id.eq_ignore_ascii_case(login)
            || target
                .name
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(login));
        if matches_target {
            return true;
        }
    }
    let actor_is_application = matches!(
        actor.kind,
        IdentityKind::EntraServicePrincipal | IdentityKind::EntraManagedIdentity
    );
    let target_is_application = matches!(
        target.kind,
        TargetKind::ServicePrincipal | TargetKind::Application
    );
    match (
        actor_is_application && target_is_application,
        &actor.name,
        &target.name,
    ) {
        (true, Some(actor_name), Some(target_name)) => actor_name.eq_ignore_ascii_case(target_name),
        _ => false,
    }
}

/// Returns true when the target is the actor itself.
fn is_self(provider: Provider, actor: &IdentityRef, target: &Target) -> bool {
    if actor.key.id.eq_ignore_ascii_case(&target.id) {
        return true;
    }
    match provider {
        Provider::Aws => same_aws_user(actor, target),
        Provider::Okta | Provider::Entra => same_directory_identity(actor, target),
    }
}

/// Returns the id of the access key the event created, when it names one.
fn new_access_key(event: &Event) -> Option<&str> {
    event
        .targets
        .iter()
        .find(|target| target.kind == TargetKind::AccessKey)
        .map(|target| target.id.as_ref())
}

/// Builds the identity whose credential changed, for `related`.
fn owner_identity(event: &Event, provider: Provider, target: &Target) -> IdentityRef {
    let kind = match target.kind {
        TargetKind::ServicePrincipal | TargetKind::Application => {
            IdentityKind::EntraServicePrincipal
        }
        _ if provider == Provider::Aws
            && (new_access_key(event).is_some()
                || event.operation.as_ref() == "CreateAccessKey") =>
        {
            IdentityKind::IamUserAccessKey
        }
        _ => IdentityKind::Human,
    };
    // An IAM user is keyed by its ARN, so the ARN is built when the record gives only the name.
    let id: Arc<str> = match (provider, event.account.as_deref()) {
        (Provider::Aws, Some(account)) if !target.id.starts_with("arn:") => {
            format!("arn:aws:iam::{account}:user/{}", target.id).into()
        }
        _ => target.id.clone(),
    };
    let mut identity = IdentityRef::new(provider, id, kind);
    identity.name = target.name.clone();
    if kind == IdentityKind::Human && target.display_name().contains('@') {
        identity.email = Some(target.display_name().into());
    }
    identity
}

/// Returns what the actor did, as the verb phrase of the explanation.
fn action_phrase(event: &Event, owner: &str) -> String {
    let operation = event.operation.as_ref();
    match (operation, new_access_key(event)) {
        ("CreateAccessKey", Some(key)) => format!("created access key {key} for {owner}"),
        ("CreateAccessKey", None) => format!("created an access key for {owner}"),
        ("CreateLoginProfile", _) => format!("created a console password for {owner}"),
        ("UpdateLoginProfile", _) => format!("changed the console password of {owner}"),
        _ if event.activity == Activity::CredentialReset => {
            format!("reset a credential of {owner} ({operation})")
        }
        _ => format!("created a credential for {owner} ({operation})"),
    }
}

impl Detector for CredentialForOtherIdentity {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        let created = match event.activity {
            Activity::CredentialCreated => true,
            Activity::CredentialReset => false,
            _ => return,
        };
        if event.outcome != Outcome::Success {
            return;
        }
        if matches!(
            event.actor.kind,
            IdentityKind::AwsService | IdentityKind::ProviderSystem
        ) {
            return;
        }
        let provider = event.format.provider();
        let Some(target) = owner(event) else {
            return;
        };
        if is_self(provider, &event.actor, target) {
            return;
        }

        let account = match (provider, event.account.as_deref()) {
            (Provider::Aws, Some(account)) => format!(" in account {account}"),
            _ => String::new(),
        };
        let explanation = format!(
            "{actor} {action}{account}.",
            actor = describe_actor(event),
            action = action_phrase(event, &describe_target(target)),
        );
        let mut facts = serde_json::Map::new();
        facts.insert("operation".into(), json!(event.operation));
        facts.insert(
            "owner".into(),
            json!({"kind": target.kind, "id": target.id, "name": target.name}),
        );
        if let Some(key) = new_access_key(event) {
            facts.insert("access_key_id".into(), json!(key));
        }
        if let Some(account) = &event.account {
            facts.insert("account".into(), json!(account));
        }

        findings.push(Finding {
            detection: ID,
            severity: Severity::High,
            confidence: Confidence::new(if created {
                CREATED_CONFIDENCE
            } else {
                RESET_CONFIDENCE
            }),
            identity: event.actor.clone(),
            first_seen: event.time,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack: vec!["T1098", "T1098.001"],
            facts,
            related: vec![owner_identity(event, provider, target)],
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run};
    use riposte_model::SourceFormat;

    const ACCOUNT: &str = "111111111111";

    fn detector() -> CredentialForOtherIdentity {
        CredentialForOtherIdentity::new(&Settings::default())
    }

    fn iam_user_actor(arn: &str, name: &str) -> IdentityRef {
        let mut actor = IdentityRef::new(Provider::Aws, arn, IdentityKind::IamUserAccessKey);
        actor.name = Some(name.into());
        actor
    }

    /// Builds a CloudTrail IAM event by the IAM user `alice` of the test account.
    fn by_alice(operation: &str, activity: Activity) -> EventBuilder {
        let actor = iam_user_actor("arn:aws:iam::111111111111:user/alice", "alice");
        EventBuilder::new("alice", "2024-05-01T09:00:00Z")
            .format(SourceFormat::CloudTrail)
            .with(|event| event.actor = actor)
            .account(ACCOUNT)
            .activity(activity, operation)
    }

    fn create_access_key(target_id: &str, target_name: &str) -> EventBuilder {
        by_alice("CreateAccessKey", Activity::CredentialCreated)
            .target(TargetKind::User, target_id, Some(target_name))
            .target(TargetKind::AccessKey, "AKIAIOSFODNN7EXAMPLE", None)
    }

    fn entra_secret_added(actor: IdentityRef, target_kind: TargetKind) -> Event {
        EventBuilder::new("unused", "2024-05-01T09:00:00Z")
            .format(SourceFormat::EntraAudit)
            .with(|event| event.actor = actor)
            .activity(
                Activity::CredentialCreated,
                "Add service principal credentials",
            )
            .target(
                target_kind,
                "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                Some("payroll-export"),
            )
            .build()
    }

    fn okta_reset(actor: &str, target_id: &str, target_login: &str) -> Event {
        EventBuilder::new(actor, "2024-05-01T09:00:00Z")
            .activity(Activity::CredentialReset, "user.account.reset_password")
            .target(TargetKind::User, target_id, Some(target_login))
            .build()
    }

    #[test]
    fn access_key_for_other_user_fires() {
        let findings = run(
            &mut detector(),
            &[create_access_key("arn:aws:iam::111111111111:user/bob", "bob").build()],
        );
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "credential_for_other_identity");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.75);
        assert_eq!(finding.attack, vec!["T1098", "T1098.001"]);
        assert_eq!(
            finding.identity.key.id.as_ref(),
            "arn:aws:iam::111111111111:user/alice"
        );
        assert_eq!(finding.related.len(), 1);
        assert_eq!(
            finding.related[0].key.id.as_ref(),
            "arn:aws:iam::111111111111:user/bob"
        );
        assert_eq!(finding.related[0].kind, IdentityKind::IamUserAccessKey);
        assert_eq!(finding.facts["access_key_id"], "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            finding.explanation,
            "alice created access key AKIAIOSFODNN7EXAMPLE for user bob in account \
             111111111111."
        );
    }

    #[test]
    fn access_key_for_self_by_arn_is_quiet() {
        let events = [create_access_key("arn:aws:iam::111111111111:user/alice", "alice").build()];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn access_key_for_self_by_name_is_quiet() {
        let events = [create_access_key("alice", "alice").build()];
        assert!(run(&mut detector(), &events).is_empty());
        let events = [create_access_key("Alice", "Alice").build()];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn access_key_for_self_with_path_is_quiet() {
        let actor = iam_user_actor("arn:aws:iam::111111111111:user/ops/alice", "alice");
        let events = [
            create_access_key("arn:aws:iam::111111111111:user/alice", "alice")
                .with(|event| event.actor = actor)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn same_name_in_other_account_fires() {
        let events = [create_access_key("arn:aws:iam::222222222222:user/alice", "alice").build()];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn plain_target_name_gets_an_arn() {
        let findings = run(&mut detector(), &[create_access_key("bob", "bob").build()]);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].related[0].key.id.as_ref(),
            "arn:aws:iam::111111111111:user/bob"
        );
    }

    #[test]
    fn role_session_is_never_the_user() {
        let events = [EventBuilder::new("unused", "2024-05-01T09:00:00Z")
            .role_session(ACCOUNT, "Admin", "alice")
            .activity(Activity::CredentialCreated, "CreateAccessKey")
            .target(
                TargetKind::User,
                "arn:aws:iam::111111111111:user/alice",
                Some("alice"),
            )
            .build()];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert_eq!(
            findings[0].explanation,
            "Admin/alice created an access key for user alice in account 111111111111."
        );
    }

    #[test]
    fn login_profiles_are_described() {
        let created = by_alice("CreateLoginProfile", Activity::CredentialCreated)
            .target(
                TargetKind::User,
                "arn:aws:iam::111111111111:user/bob",
                Some("bob"),
            )
            .build();
        let updated = by_alice("UpdateLoginProfile", Activity::CredentialReset)
            .target(
                TargetKind::User,
                "arn:aws:iam::111111111111:user/bob",
                Some("bob"),
            )
            .build();
        let findings = run(&mut detector(), &[created, updated]);
        assert_eq!(findings.len(), 2);
        assert_eq!(
            findings[0].explanation,
            "alice created a console password for user bob in account 111111111111."
        );
        assert_eq!(findings[0].related[0].kind, IdentityKind::Human);
        assert_eq!(
            findings[1].explanation,
            "alice changed the console password of user bob in account 111111111111."
        );
        assert_eq!(findings[1].confidence.value(), 0.6);
    }

    #[test]
    fn own_key_without_target_is_quiet() {
        let events = [by_alice("CreateAccessKey", Activity::CredentialCreated)
            .target(TargetKind::AccessKey, "AKIAIOSFODNN7EXAMPLE", None)
            .build()];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failed_and_unknown_outcomes_are_quiet() {
        let events = [
            create_access_key("arn:aws:iam::111111111111:user/bob", "bob")
                .failed()
                .build(),
            create_access_key("arn:aws:iam::111111111111:user/bob", "bob")
                .outcome(Outcome::Unknown)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn service_and_system_actors_are_ignored() {
        for kind in [IdentityKind::AwsService, IdentityKind::ProviderSystem] {
            let events = [
                create_access_key("arn:aws:iam::111111111111:user/bob", "bob")
                    .kind(kind)
                    .build(),
            ];
            assert!(run(&mut detector(), &events).is_empty(), "{kind}");
        }
    }

    #[test]
    fn entra_secret_added_by_user_fires() {
        let mut actor = IdentityRef::new(
            Provider::Entra,
            "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
            IdentityKind::Human,
        );
        actor.name = Some("carol@example.com".into());
        actor.email = Some("carol@example.com".into());
        let findings = run(
            &mut detector(),
            &[entra_secret_added(actor, TargetKind::ServicePrincipal)],
        );
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.related[0].kind, IdentityKind::EntraServicePrincipal);
        assert_eq!(finding.related[0].key.provider, Provider::Entra);
        assert_eq!(
            finding.explanation,
            "carol@example.com created a credential for service principal payroll-export (Add \
             service principal credentials)."
        );
    }

    #[test]
    fn entra_service_principal_on_itself_is_quiet() {
        let mut actor = IdentityRef::new(
            Provider::Entra,
            "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            IdentityKind::EntraServicePrincipal,
        );
        actor.name = Some("payroll-export".into());
        let events = [entra_secret_added(
            actor.clone(),
            TargetKind::ServicePrincipal,
        )];
        assert!(run(&mut detector(), &events).is_empty());

        // The application object has its own id, linked to the service principal by name only.
        actor.key.id = "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a".into();
        let events = [entra_secret_added(actor, TargetKind::Application)];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn entra_other_service_principal_fires() {
        let mut actor = IdentityRef::new(
            Provider::Entra,
            "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a",
            IdentityKind::EntraServicePrincipal,
        );
        actor.name = Some("ci-deployer".into());
        let events = [entra_secret_added(actor, TargetKind::Application)];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn okta_admin_reset_of_other_user_fires() {
        let findings = run(
            &mut detector(),
            &[okta_reset(
                "admin@example.com",
                "00u2bob",
                "bob@example.com",
            )],
        );
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.confidence.value(), 0.6);
        assert_eq!(finding.related[0].key.id.as_ref(), "00u2bob");
        assert_eq!(finding.related[0].email.as_deref(), Some("bob@example.com"));
        assert_eq!(
            finding.explanation,
            "admin@example.com reset a credential of user bob@example.com \
             (user.account.reset_password)."
        );
    }

    #[test]
    fn okta_self_service_reset_is_quiet() {
        // The builder keys the actor by the login it is given.
        let by_id = okta_reset("00u2bob", "00u2bob", "bob@example.com");
        let by_login = EventBuilder::new("00u2bob", "2024-05-01T09:00:00Z")
            .email("bob@example.com")
            .activity(Activity::CredentialReset, "user.account.update_password")
            .target(
                TargetKind::User,
                "00u9other-id-form",
                Some("Bob@Example.com"),
            )
            .build();
        assert!(run(&mut detector(), &[by_id, by_login]).is_empty());
    }

    #[test]
    fn other_activities_are_ignored() {
        let event = EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .activity(Activity::AccountChanged, "user.account.update_profile")
            .target(TargetKind::User, "00u2bob", Some("bob@example.com"))
            .build();
        assert!(run(&mut detector(), &[event]).is_empty());
    }
}

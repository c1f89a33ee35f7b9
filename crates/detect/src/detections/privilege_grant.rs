//! `privilege_grant`: an administrative policy, role or application permission granted to an
//! identity.
//!
//! # What it detects
//! A successful [`Activity::PrivilegeGranted`] event that gives an identity one of:
//! - an AWS managed policy from the privileged list (`AttachUserPolicy`, `AttachRolePolicy`,
//!   `AttachGroupPolicy`), such as `AdministratorAccess` or `IAMFullAccess`;
//! - an AWS inline policy (`PutUserPolicy`, `PutRolePolicy`, `PutGroupPolicy`) with an `Allow`
//!   statement on every resource (`"Resource": "*"`, or any `NotResource`) whose `Action` is
//!   `*`, `*:*` or `iam:*`, or whose `NotAction` leaves almost every action allowed;
//! - an Okta administrator role (`user.account.privilege.grant`, `group.privilege.grant`);
//! - an Entra directory role from the privileged list (`Add member to role`, and the eligible and
//!   Privileged Identity Management variants);
//! - a high-privilege Microsoft Graph application permission granted to a service principal.
//!
//! The finding is about the actor who granted the privilege; the grantee is in `related`.
//!
//! # Why it matters
//! Granting an administrative role to an identity the attacker controls is how stolen access
//! becomes lasting, privileged access (ATT&CK T1098 Account Manipulation, T1098.003 Additional
//! Cloud Roles). A critical grant also lets its holder change tenant- or organization-wide
//! policy (T1484 Domain or Tenant Policy Modification).
//!
//! # Thresholds and their source
//! The privileged policies, roles and permissions are data, in `data/privileged_roles.json`,
//! with the source of each list: AWS managed policy reference, Okta standard administrator
//! roles, the Entra built-in roles that Microsoft labels PRIVILEGED, and Microsoft Graph
//! application permissions. The `extra` setting adds entries in the same form, or replaces a
//! built-in entry that has the same name. Severity is that of the entry:
//! - Critical: full administrator equivalents, and grants that let the holder grant itself
//!   anything (`IAMFullAccess`, Privileged Role Administrator,
//!   `RoleManagement.ReadWrite.Directory`, Okta super and organization administrators);
//! - High: other administrative roles and `PowerUserAccess`, which allows every action except
//!   IAM and AWS Organizations management;
//! - Medium: read-only administrator roles (Okta read-only and report administrators, Entra
//!   Global Reader and Security Reader). They change nothing but expose the whole configuration.
//!
//! Inline policies: `*`, `*:*` and `iam:*` on every resource are Critical, since `iam:*` is
//! enough to grant any other permission. `Allow` with `NotAction` on every resource allows
//! everything but the listed actions: High when the list contains `iam:*` (the shape of
//! `PowerUserAccess`), Critical otherwise, since the holder keeps IAM and can grant itself the
//! rest. A `NotAction` of `*` allows nothing. Conditions are not evaluated: they may restrict
//! the source address or require MFA, which does not narrow what the holder can do, so the
//! finding keeps its severity and states `conditional` in its facts.
//!
//! Okta records privilege grants only for administrator roles, so an Okta role outside the
//! list (a custom administrator role) fires at High with a lower confidence. Entra roles and
//! application permissions outside the list, such as Guest Inviter, do not fire.
//!
//! Confidence is how sure riposte is that the grant gives the privilege it states, not whether
//! the grant is malicious: 0.8 for listed entries and explicit wildcards, 0.6 for `NotAction`
//! policies, 0.5 for unlisted Okta roles.
//!
//! # Inputs it ignores
//! Failed and unknown-outcome grants, revocations, trust policies (see `trust_policy_changed`),
//! customer managed policies that are not in the list (the event carries their ARN, not their
//! document), and inline policies without a readable document.
//!
//! Entra Privileged Identity Management (PIM) writes several records per assignment. Reported:
//! the `... completed` record under the administrator who assigned the role or made the
//! identity eligible. Ignored: `... requested` records, which grant nothing yet; activations of
//! an eligible role (`(PIM activation)`), which use a grant reported when it was made; and the
//! `Add member to role` records of PIM's own service principal `MS-PIM` (application id
//! `01fc33a7-78ba-4d2f-a4b7-768e336e890e`), which repeat an assignment or activation that PIM
//! logged under the person who made it.
//!
//! # Known false positives
//! Administrators granting roles as part of their work: on-boarding, break-glass accounts,
//! infrastructure-as-code pipelines attaching policies to new roles, and IAM Identity Center
//! attaching a permission set's policies to its `AWSReservedSSO_*` roles. The detection has no
//! allow list of actors, so it reports expected grants too.

use std::collections::HashMap;
use std::sync::LazyLock;

use riposte_model::{
    Activity, Confidence, Event, Evidence, Finding, IdentityKind, IdentityRef, Outcome, Privilege,
    PrivilegeKind, Provider, Severity, Target, TargetKind,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use crate::detections::describe_actor;
use crate::{Context, Detector, Enabled};

pub const ID: &str = "privilege_grant";

/// The built-in list of privileged policies, roles and permissions.
const BUILTIN_CATALOG: &str = include_str!("../../data/privileged_roles.json");

/// The built-in list, parsed on first use.
static BUILTIN: LazyLock<Result<PrivilegedCatalog, String>> = LazyLock::new(|| {
    serde_json::from_str::<CatalogFile>(BUILTIN_CATALOG)
        .map(|file| file.catalog)
        .map_err(|error| error.to_string())
});

/// The application id of `MS-PIM`, the service principal of Entra Privileged Identity
/// Management.
const PIM_APPLICATION_ID: &str = "01fc33a7-78ba-4d2f-a4b7-768e336e890e";

/// Maximum number of grants of one event described in a finding. The `privilege_count` fact
/// counts them all.
const MAX_LISTED_GRANTS: usize = 10;

/// Confidence for a grant of a listed entry or of an explicit wildcard.
const LISTED_CONFIDENCE: f64 = 0.8;
/// Confidence for an inline policy that allows everything but a `NotAction` list.
const NOT_ACTION_CONFIDENCE: f64 = 0.6;
/// Confidence for an Okta administrator role that is not in the list.
const UNLISTED_OKTA_CONFIDENCE: f64 = 0.5;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Entries added to the built-in list, in the same form. An entry with a name that is
    /// already listed replaces the built-in entry for that name.
    pub extra: PrivilegedCatalog,
}

/// Privileged policies, roles and permissions, per provider and kind.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivilegedCatalog {
    /// AWS managed or customer managed policies, named by ARN.
    pub aws_managed_policies: Vec<PrivilegedEntry>,
    /// Okta administrator roles: role types (`SUPER_ADMIN`) and labels.
    pub okta_admin_roles: Vec<PrivilegedEntry>,
    /// Entra directory roles: display names and role template ids.
    pub entra_directory_roles: Vec<PrivilegedEntry>,
    /// Application permissions (app roles): permission values and app role ids.
    pub entra_app_permissions: Vec<PrivilegedEntry>,
}

/// One privileged policy, role or permission.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivilegedEntry {
    /// The names that identify the entry. The first is the canonical name.
    pub names: Vec<String>,
    pub severity: GrantSeverity,
    /// The privilege's effect as a clause that completes "which ...", such as "allows every
    /// action on every resource".
    #[serde(default)]
    pub effect: Option<String>,
}

/// The severity of a finding for a listed grant.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GrantSeverity {
    Medium,
    High,
    Critical,
}

impl GrantSeverity {
    fn severity(self) -> Severity {
        match self {
            Self::Medium => Severity::Medium,
            Self::High => Severity::High,
            Self::Critical => Severity::Critical,
        }
    }
}

/// The layout of the built-in data file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    /// The source of each list, for people reading the file.
    #[serde(rename = "sources")]
    _sources: IgnoredAny,
    catalog: PrivilegedCatalog,
}

/// A listed entry, as looked up.
#[derive(Clone, Debug)]
struct Listed {
    severity: Severity,
    effect: Option<Box<str>>,
}

/// The catalog indexed by folded name.
#[derive(Default)]
struct Index {
    aws_policies: HashMap<String, Listed>,
    okta_roles: HashMap<String, Listed>,
    entra_roles: HashMap<String, Listed>,
    app_permissions: HashMap<String, Listed>,
}

impl Index {
    fn build(catalogs: &[&PrivilegedCatalog]) -> Self {
        let mut index = Self::default();
        for catalog in catalogs {
            insert_entries(
                &mut index.aws_policies,
                &catalog.aws_managed_policies,
                fold_arn,
            );
            insert_entries(&mut index.okta_roles, &catalog.okta_admin_roles, fold_name);
            insert_entries(
                &mut index.entra_roles,
                &catalog.entra_directory_roles,
                fold_name,
            );
            insert_entries(
                &mut index.app_permissions,
                &catalog.entra_app_permissions,
                fold_name,
            );
        }
        index
    }
}

fn insert_entries(
    map: &mut HashMap<String, Listed>,
    entries: &[PrivilegedEntry],
    fold: fn(&str) -> String,
) {
    for entry in entries {
        let listed = Listed {
            severity: entry.severity.severity(),
            effect: entry.effect.as_deref().map(Box::from),
        };
        for name in &entry.names {
            map.insert(fold(name), listed.clone());
        }
    }
}

/// Folds a role or permission name for lookup: lowercase letters and digits only, so that
/// `READ_ONLY_ADMIN`, `Read-Only Admin` and `read only admin` meet.
fn fold_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

/// Folds a policy ARN for lookup: lowercase, with the partition replaced by `aws`, so that
/// `arn:aws-us-gov:iam::aws:policy/AdministratorAccess` meets the `aws` entry.
fn fold_arn(arn: &str) -> String {
    let lower = arn.trim().to_ascii_lowercase();
    match lower
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
    {
        Some((_partition, rest)) => format!("arn:aws:{rest}"),
        None => lower,
    }
}

/// Returns the policy name of a policy ARN: the part after `:policy/`, path included.
fn policy_name(arn: &str) -> &str {
    arn.split_once(":policy/").map_or(arn, |(_, name)| name)
}

/// One privileged grant found in an event.
struct Grant {
    kind: PrivilegeKind,
    /// The name as the record writes it.
    name: String,
    severity: Severity,
    confidence: f64,
    effect: Option<String>,
    /// Whether the entry is in the list; false for unlisted Okta roles and inline policies.
    listed: bool,
    /// Whether an inline policy statement that produced the grant carries a condition.
    conditional: bool,
}

pub struct PrivilegeGrant {
    index: Index,
}

impl PrivilegeGrant {
    pub fn new(settings: &Settings) -> Self {
        let builtin = match &*BUILTIN {
            Ok(catalog) => catalog.clone(),
            Err(error) => {
                tracing::error!(
                    detection = ID,
                    %error,
                    "invalid built-in list of privileged roles: privilege grants are checked \
                     against the `extra` setting only"
                );
                PrivilegedCatalog::default()
            }
        };
        Self {
            index: Index::build(&[&builtin, &settings.extra]),
        }
    }

    /// Returns the privileged grants that one privilege of the event gives.
    fn grants(&self, provider: Provider, privilege: &Privilege) -> Vec<Grant> {
        match privilege.kind {
            PrivilegeKind::ManagedPolicy => self
                .index
                .aws_policies
                .get(&fold_arn(&privilege.name))
                .map(|listed| listed_grant(privilege, policy_name(&privilege.name), listed))
                .into_iter()
                .collect(),
            PrivilegeKind::InlinePolicy => privilege
                .document
                .as_ref()
                .and_then(inline_grant)
                .map(|inline| Grant {
                    kind: PrivilegeKind::InlinePolicy,
                    name: privilege.name.to_string(),
                    severity: inline.severity,
                    confidence: inline.confidence,
                    effect: Some(inline.effect),
                    listed: false,
                    conditional: inline.conditional,
                })
                .into_iter()
                .collect(),
            PrivilegeKind::DirectoryRole if provider == Provider::Okta => {
                // A value may name several roles separated by commas. Each is judged alone.
                privilege
                    .name
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .map(|name| match self.index.okta_roles.get(&fold_name(name)) {
                        Some(listed) => listed_grant(privilege, name, listed),
                        None => Grant {
                            kind: PrivilegeKind::DirectoryRole,
                            name: name.to_owned(),
                            severity: Severity::High,
                            confidence: UNLISTED_OKTA_CONFIDENCE,
                            effect: None,
                            listed: false,
                            conditional: false,
                        },
                    })
                    .collect()
            }
            PrivilegeKind::DirectoryRole => self
                .index
                .entra_roles
                .get(&fold_name(&privilege.name))
                .map(|listed| listed_grant(privilege, &privilege.name, listed))
                .into_iter()
                .collect(),
            PrivilegeKind::AppRole => self
                .index
                .app_permissions
                .get(&fold_name(&privilege.name))
                .map(|listed| listed_grant(privilege, &privilege.name, listed))
                .into_iter()
                .collect(),
            PrivilegeKind::TrustPolicy => Vec::new(),
        }
    }
}

fn listed_grant(privilege: &Privilege, name: &str, listed: &Listed) -> Grant {
    Grant {
        kind: privilege.kind,
        name: name.to_owned(),
        severity: listed.severity,
        confidence: LISTED_CONFIDENCE,
        effect: listed.effect.as_deref().map(str::to_owned),
        listed: true,
        conditional: false,
    }
}

/// The widest grant that an inline policy document makes on every resource.
struct InlineAssessment {
    severity: Severity,
    confidence: f64,
    effect: String,
    conditional: bool,
}

/// Assesses an inline policy document, keeping the widest grant among its statements.
fn inline_grant(document: &Value) -> Option<InlineAssessment> {
    let document = policy_document::parse(document)?;
    let mut best: Option<InlineAssessment> = None;
    for statement in policy_document::statements(&document) {
        let Some(assessment) = assess_statement(statement) else {
            continue;
        };
        let wider = best.as_ref().is_none_or(|current| {
            (assessment.severity, ordered(assessment.confidence))
                > (current.severity, ordered(current.confidence))
        });
        if wider {
            best = Some(assessment);
        }
    }
    best
}

/// Orders confidences, which are finite, as integers in thousandths.
fn ordered(confidence: f64) -> i64 {
    (confidence * 1000.0).round() as i64
}

fn assess_statement(statement: &Value) -> Option<InlineAssessment> {
    if !policy_document::allows(statement) {
        return None;
    }
    let every_resource = statement.get("NotResource").is_some()
        || policy_document::string_values(statement.get("Resource")).contains(&"*");
    if !every_resource {
        return None;
    }
    let conditional = statement
        .get("Condition")
        .is_some_and(|value| !value.is_null());

    let actions = policy_document::string_values(statement.get("Action"));
    if let Some(action) = actions.iter().find(|action| is_all_actions(action)) {
        return Some(InlineAssessment {
            severity: Severity::Critical,
            confidence: LISTED_CONFIDENCE,
            effect: format!("allows every action ({action}) on every resource"),
            conditional,
        });
    }
    if let Some(action) = actions
        .iter()
        .find(|action| action.eq_ignore_ascii_case("iam:*"))
    {
        return Some(InlineAssessment {
            severity: Severity::Critical,
            confidence: LISTED_CONFIDENCE,
            effect: format!(
                "allows every IAM action ({action}) on every resource, enough to grant any \
                 permission to any identity"
            ),
            conditional,
        });
    }

    let not_actions = policy_document::string_values(statement.get("NotAction"));
    if statement.get("NotAction").is_none() || not_actions.iter().any(|a| is_all_actions(a)) {
        return None;
    }
    let excludes_iam = not_actions
        .iter()
        .any(|action| action.eq_ignore_ascii_case("iam:*"));
    let listed = not_actions.join(", ");
    Some(if excludes_iam {
        InlineAssessment {
            severity: Severity::High,
            confidence: NOT_ACTION_CONFIDENCE,
            effect: format!("allows every action except {listed} on every resource"),
            conditional,
        }
    } else {
        InlineAssessment {
            severity: Severity::Critical,
            confidence: NOT_ACTION_CONFIDENCE,
            effect: format!(
                "allows every action except {listed} on every resource, IAM included, enough \
                 to grant any permission to any identity"
            ),
            conditional,
        }
    })
}

fn is_all_actions(action: &str) -> bool {
    action == "*" || action == "*:*"
}

/// Helpers over IAM policy documents, shared with `trust_policy_changed`.
pub(crate) mod policy_document {
    use std::borrow::Cow;

    use serde_json::Value;

    /// Returns the document as a JSON object. A document written as a JSON string, as
    /// CloudTrail writes `policyDocument`, is parsed.
    pub(crate) fn parse(document: &Value) -> Option<Cow<'_, Value>> {
        match document {
            Value::Object(_) => Some(Cow::Borrowed(document)),
            Value::String(text) => serde_json::from_str::<Value>(text)
                .ok()
                .filter(Value::is_object)
                .map(Cow::Owned),
            _ => None,
        }
    }

    /// Returns the statements of a policy: `Statement` may be one object or an array of them.
    pub(crate) fn statements(document: &Value) -> Vec<&Value> {
        match document.get("Statement") {
            Some(Value::Array(statements)) => statements.iter().filter(|s| s.is_object()).collect(),
            Some(statement @ Value::Object(_)) => vec![statement],
            _ => Vec::new(),
        }
    }

    /// Returns true for a statement whose `Effect` is `Allow`.
    pub(crate) fn allows(statement: &Value) -> bool {
        statement
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|effect| effect.eq_ignore_ascii_case("allow"))
    }

    /// Returns the strings of a policy element written as one string or an array of strings.
    pub(crate) fn string_values(value: Option<&Value>) -> Vec<&str> {
        match value {
            Some(Value::String(text)) => vec![text.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// Returns the identity that received the privilege: a user, service principal, application,
/// group or role, in that order of preference, because Entra records may also list the role
/// object itself.
fn grantee(event: &Event) -> Option<&Target> {
    const PREFERENCE: [TargetKind; 5] = [
        TargetKind::User,
        TargetKind::ServicePrincipal,
        TargetKind::Application,
        TargetKind::Group,
        TargetKind::Role,
    ];
    PREFERENCE
        .iter()
        .find_map(|kind| event.targets.iter().find(|target| target.kind == *kind))
}

/// Returns the word a sentence uses for a kind of target.
fn target_kind_word(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::User => "user",
        TargetKind::Role => "role",
        TargetKind::Group => "group",
        TargetKind::Policy => "policy",
        TargetKind::Application => "application",
        TargetKind::ServicePrincipal => "service principal",
        TargetKind::AccessKey => "access key",
        TargetKind::Device => "device",
        TargetKind::Resource => "resource",
    }
}

/// Names a target the way a sentence does: "user bob@example.com", "role deploy".
pub(crate) fn describe_target(target: &Target) -> String {
    format!(
        "{} {}",
        target_kind_word(target.kind),
        target.display_name()
    )
}

/// Builds the identity of a grantee for `related`. Groups are not identities and return
/// `None`. A role becomes an assumed-role identity keyed by the role ARN, because its holders
/// act as sessions of that role.
fn grantee_identity(provider: Provider, target: &Target) -> Option<IdentityRef> {
    let kind = match target.kind {
        TargetKind::User => IdentityKind::Human,
        TargetKind::ServicePrincipal | TargetKind::Application => {
            IdentityKind::EntraServicePrincipal
        }
        TargetKind::Role => IdentityKind::AssumedRoleSession,
        _ => return None,
    };
    let mut identity = IdentityRef::new(provider, target.id.clone(), kind);
    identity.name = target.name.clone();
    if target.kind == TargetKind::User && target.display_name().contains('@') {
        identity.email = Some(target.display_name().into());
    }
    Some(identity)
}

fn sentence(event: &Event, grant: &Grant, grantee: &str) -> String {
    let actor = describe_actor(event);
    let account = match (event.format.provider(), event.account.as_deref()) {
        (Provider::Aws, Some(account)) => format!(" in account {account}"),
        _ => String::new(),
    };
    let effect_clause = grant
        .effect
        .as_deref()
        .map(|effect| format!(", which {effect}"))
        .unwrap_or_default();
    let name = &grant.name;
    match grant.kind {
        PrivilegeKind::ManagedPolicy => {
            format!("{actor} attached {name} to {grantee}{account}{effect_clause}.")
        }
        PrivilegeKind::InlinePolicy => {
            format!("{actor} put the inline policy {name} on {grantee}{account}{effect_clause}.")
        }
        PrivilegeKind::DirectoryRole if event.format.provider() == Provider::Okta => {
            if grant.listed {
                format!(
                    "{actor} granted the Okta administrator role {name} to {grantee}{effect_clause}."
                )
            } else {
                format!(
                    "{actor} granted the Okta administrator role {name} to {grantee}. The role \
                     is not one of Okta's standard administrator roles."
                )
            }
        }
        PrivilegeKind::DirectoryRole
            if event.operation.to_ascii_lowercase().contains("eligible") =>
        {
            format!("{actor} made {grantee} eligible for the directory role {name}{effect_clause}.")
        }
        PrivilegeKind::DirectoryRole => {
            format!("{actor} assigned the directory role {name} to {grantee}{effect_clause}.")
        }
        PrivilegeKind::AppRole => {
            format!(
                "{actor} granted the application permission {name} to {grantee}{effect_clause}."
            )
        }
        PrivilegeKind::TrustPolicy => format!("{actor} set a trust policy on {grantee}{account}."),
    }
}

/// Returns true for Entra PIM records that repeat or precede a grant reported elsewhere:
/// requests, activations, and the records of PIM's own service principal.
fn is_redundant_pim_record(event: &Event) -> bool {
    // NOTE: the PIM operation names and the `MS-PIM` records are not checked against a real
    // log sample.
    if event.format.provider() != Provider::Entra {
        return false;
    }
    let operation = event.operation.to_ascii_lowercase();
    let pim_actor = event.actor.key.id.eq_ignore_ascii_case(PIM_APPLICATION_ID)
        || event
            .actor
            .name
            .as_deref()
            .is_some_and(|name| name.eq_ignore_ascii_case("MS-PIM"));
    pim_actor || operation.contains("(pim activation)") || operation.contains(" requested")
}

fn privilege_kind_name(kind: PrivilegeKind) -> &'static str {
    match kind {
        PrivilegeKind::ManagedPolicy => "managed_policy",
        PrivilegeKind::InlinePolicy => "inline_policy",
        PrivilegeKind::DirectoryRole => "directory_role",
        PrivilegeKind::AppRole => "app_role",
        PrivilegeKind::TrustPolicy => "trust_policy",
    }
}

impl Detector for PrivilegeGrant {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, _context: &Context<'_>, findings: &mut Vec<Finding>) {
        if event.activity != Activity::PrivilegeGranted || event.outcome != Outcome::Success {
            return;
        }
        if is_redundant_pim_record(event) {
            return;
        }
        let provider = event.format.provider();
        let mut grants: Vec<Grant> = event
            .privileges
            .iter()
            .flat_map(|privilege| self.grants(provider, privilege))
            .collect();
        // The widest grants first, so that the cap on listed grants keeps the ones that matter.
        grants.sort_by_key(|grant| std::cmp::Reverse((grant.severity, ordered(grant.confidence))));
        let Some(top) = grants.first() else {
            return;
        };

        let grantee = grantee(event);
        let grantee_text = grantee.map_or_else(
            || "an identity the record does not name".to_owned(),
            describe_target,
        );
        let mut explanation = grants
            .iter()
            .take(MAX_LISTED_GRANTS)
            .map(|grant| sentence(event, grant, &grantee_text))
            .collect::<Vec<_>>()
            .join(" ");
        let more = grants.len().saturating_sub(MAX_LISTED_GRANTS);
        if more > 0 {
            explanation.push_str(&format!(" The event grants {more} more privileges."));
        }

        let mut attack = vec!["T1098", "T1098.003"];
        if top.severity == Severity::Critical {
            attack.push("T1484");
        }
        let mut facts = serde_json::Map::new();
        facts.insert("operation".into(), json!(event.operation));
        facts.insert(
            "privileges".into(),
            Value::Array(
                grants
                    .iter()
                    .take(MAX_LISTED_GRANTS)
                    .map(|grant| {
                        json!({
                            "kind": privilege_kind_name(grant.kind),
                            "name": grant.name,
                            "severity": grant.severity.as_str(),
                            "listed": grant.listed,
                            "conditional": grant.conditional,
                        })
                    })
                    .collect(),
            ),
        );
        facts.insert("privilege_count".into(), json!(grants.len()));
        if let Some(target) = grantee {
            facts.insert(
                "grantee".into(),
                json!({
                    "kind": target.kind,
                    "id": target.id,
                    "name": target.name,
                }),
            );
        }
        if let Some(account) = &event.account {
            facts.insert("account".into(), json!(account));
        }

        findings.push(Finding {
            detection: ID,
            severity: top.severity,
            confidence: Confidence::new(top.confidence),
            identity: event.actor.clone(),
            first_seen: event.time,
            last_seen: event.time,
            evidence: vec![Evidence::of(event)],
            explanation,
            attack,
            facts,
            related: grantee
                .and_then(|target| grantee_identity(provider, target))
                .into_iter()
                .collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run};
    use riposte_model::SourceFormat;

    const ACCOUNT: &str = "111111111111";

    fn detector() -> PrivilegeGrant {
        PrivilegeGrant::new(&Settings::default())
    }

    /// Builds an IAM user identity that acts with an access key.
    fn iam_user(name: &str) -> IdentityRef {
        let mut actor = IdentityRef::new(
            Provider::Aws,
            format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            IdentityKind::IamUserAccessKey,
        );
        actor.name = Some(name.into());
        actor
    }

    fn aws_grant(operation: &str, time: &str) -> EventBuilder {
        let actor = iam_user("alice");
        EventBuilder::new("alice", time)
            .format(SourceFormat::CloudTrail)
            .with(|event| event.actor = actor)
            .account(ACCOUNT)
            .activity(Activity::PrivilegeGranted, operation)
    }

    fn attach_role_policy(policy_arn: &str) -> Event {
        aws_grant("AttachRolePolicy", "2024-05-01T09:00:00Z")
            .target(
                TargetKind::Role,
                &format!("arn:aws:iam::{ACCOUNT}:role/deploy"),
                Some("deploy"),
            )
            .privilege(PrivilegeKind::ManagedPolicy, policy_arn, None)
            .build()
    }

    fn put_user_policy(document: Value) -> Event {
        aws_grant("PutUserPolicy", "2024-05-01T09:00:00Z")
            .target(
                TargetKind::User,
                &format!("arn:aws:iam::{ACCOUNT}:user/bob"),
                Some("bob"),
            )
            .privilege(PrivilegeKind::InlinePolicy, "bob-inline", Some(document))
            .build()
    }

    fn okta_grant(role: &str) -> EventBuilder {
        EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .activity(Activity::PrivilegeGranted, "user.account.privilege.grant")
            .target(TargetKind::User, "00u2bob", Some("bob@example.com"))
            .privilege(PrivilegeKind::DirectoryRole, role, None)
    }

    fn entra_grant(operation: &str, role: &str) -> EventBuilder {
        EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .format(SourceFormat::EntraAudit)
            .activity(Activity::PrivilegeGranted, operation)
            .target(
                TargetKind::User,
                "5f0e4c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
                Some("bob@example.com"),
            )
            .privilege(PrivilegeKind::DirectoryRole, role, None)
    }

    fn single(events: &[Event]) -> Finding {
        let mut findings = run(&mut detector(), events);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        findings.remove(0)
    }

    #[test]
    fn builtin_catalog_parses() {
        let catalog = BUILTIN.as_ref().expect("built-in list parses");
        assert!(!catalog.aws_managed_policies.is_empty());
        assert!(!catalog.okta_admin_roles.is_empty());
        assert!(!catalog.entra_directory_roles.is_empty());
        assert!(!catalog.entra_app_permissions.is_empty());
        let all = catalog
            .aws_managed_policies
            .iter()
            .chain(&catalog.okta_admin_roles)
            .chain(&catalog.entra_directory_roles)
            .chain(&catalog.entra_app_permissions);
        for entry in all {
            assert!(!entry.names.is_empty(), "{entry:?}");
            assert!(entry.effect.is_some(), "{entry:?}");
        }
    }

    #[test]
    fn administrator_access_attach_fires_critical() {
        let finding = single(&[attach_role_policy(
            "arn:aws:iam::aws:policy/AdministratorAccess",
        )]);
        assert_eq!(finding.detection, "privilege_grant");
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.confidence.value(), 0.8);
        assert_eq!(
            finding.identity.key.id.as_ref(),
            "arn:aws:iam::111111111111:user/alice"
        );
        assert_eq!(finding.related.len(), 1);
        assert_eq!(
            finding.related[0].key.id.as_ref(),
            "arn:aws:iam::111111111111:role/deploy"
        );
        assert_eq!(finding.attack, vec!["T1098", "T1098.003", "T1484"]);
        assert_eq!(
            finding.facts["privileges"][0]["name"],
            "AdministratorAccess"
        );
        assert_eq!(finding.facts["grantee"]["kind"], "role");
        assert_eq!(
            finding.explanation,
            "alice attached AdministratorAccess to role deploy in account 111111111111, which \
             allows every action on every resource."
        );
    }

    #[test]
    fn read_only_access_is_quiet() {
        let events = [attach_role_policy("arn:aws:iam::aws:policy/ReadOnlyAccess")];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn power_user_access_fires_high() {
        let finding = single(&[attach_role_policy(
            "arn:aws:iam::aws:policy/PowerUserAccess",
        )]);
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.attack, vec!["T1098", "T1098.003"]);
    }

    #[test]
    fn other_partitions_match_the_same_policy() {
        let finding = single(&[attach_role_policy(
            "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
        )]);
        assert_eq!(finding.severity, Severity::Critical);
    }

    #[test]
    fn customer_policy_with_an_admin_name_is_quiet() {
        let events = [attach_role_policy(
            "arn:aws:iam::111111111111:policy/AdministratorAccess",
        )];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failed_grants_never_fire() {
        let events = [
            aws_grant("AttachUserPolicy", "2024-05-01T09:00:00Z")
                .target(
                    TargetKind::User,
                    "arn:aws:iam::111111111111:user/bob",
                    Some("bob"),
                )
                .privilege(
                    PrivilegeKind::ManagedPolicy,
                    "arn:aws:iam::aws:policy/AdministratorAccess",
                    None,
                )
                .failed()
                .build(),
            okta_grant("SUPER_ADMIN").failed().build(),
            entra_grant("Add member to role", "Global Administrator")
                .outcome(Outcome::Unknown)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn inline_star_star_in_statement_array_fires() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject"],
                    "Resource": "arn:aws:s3:::reports/*"
                },
                {"Effect": "Allow", "Action": ["ec2:Describe*", "*:*"], "Resource": ["*"]}
            ]
        });
        let finding = single(&[put_user_policy(document)]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.related[0].kind, IdentityKind::Human);
        assert_eq!(
            finding.explanation,
            "alice put the inline policy bob-inline on user bob in account 111111111111, which \
             allows every action (*:*) on every resource."
        );
    }

    #[test]
    fn inline_statement_object_with_string_action_fires() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}
        });
        assert_eq!(
            single(&[put_user_policy(document)]).severity,
            Severity::Critical
        );
    }

    #[test]
    fn inline_document_as_json_text_is_parsed() {
        let document = Value::String(
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#.to_owned(),
        );
        let finding = single(&[put_user_policy(document)]);
        assert_eq!(finding.severity, Severity::Critical);
        assert!(finding.explanation.contains("every IAM action (iam:*)"));
    }

    #[test]
    fn inline_s3_read_is_quiet() {
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": "*"
            }]
        });
        assert!(run(&mut detector(), &[put_user_policy(document)]).is_empty());
    }

    #[test]
    fn inline_wildcard_on_one_bucket_is_quiet() {
        let document = json!({
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::reports/*"}]
        });
        assert!(run(&mut detector(), &[put_user_policy(document)]).is_empty());
    }

    #[test]
    fn inline_deny_is_quiet() {
        let document = json!({
            "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]
        });
        assert!(run(&mut detector(), &[put_user_policy(document)]).is_empty());
    }

    #[test]
    fn inline_not_action_without_iam_is_critical() {
        let document = json!({
            "Statement": [{"Effect": "Allow", "NotAction": ["s3:DeleteBucket"], "Resource": "*"}]
        });
        let finding = single(&[put_user_policy(document)]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.confidence.value(), 0.6);
        assert!(finding.explanation.contains("except s3:DeleteBucket"));
        assert!(finding.explanation.contains("IAM included"));
    }

    #[test]
    fn inline_not_action_excluding_iam_is_high() {
        let document = json!({
            "Statement": [{
                "Effect": "Allow",
                "NotAction": ["iam:*", "organizations:*", "account:*"],
                "Resource": "*"
            }]
        });
        let finding = single(&[put_user_policy(document)]);
        assert_eq!(finding.severity, Severity::High);
        assert!(
            finding.explanation.contains(
                "every action except iam:*, organizations:*, account:* on every resource."
            )
        );
    }

    #[test]
    fn inline_not_action_star_is_quiet() {
        let document = json!({
            "Statement": [{"Effect": "Allow", "NotAction": "*", "Resource": "*"}]
        });
        assert!(run(&mut detector(), &[put_user_policy(document)]).is_empty());
    }

    #[test]
    fn inline_not_resource_counts_as_every_resource() {
        let document = json!({
            "Statement": [{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::audit/*"}]
        });
        assert_eq!(
            single(&[put_user_policy(document)]).severity,
            Severity::Critical
        );
    }

    #[test]
    fn inline_condition_is_reported() {
        let document = json!({
            "Statement": [{
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            }]
        });
        let finding = single(&[put_user_policy(document)]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.facts["privileges"][0]["conditional"], true);
    }

    #[test]
    fn inline_policy_without_document_is_quiet() {
        let event = aws_grant("PutRolePolicy", "2024-05-01T09:00:00Z")
            .target(
                TargetKind::Role,
                "arn:aws:iam::111111111111:role/deploy",
                Some("deploy"),
            )
            .privilege(PrivilegeKind::InlinePolicy, "inline", None)
            .build();
        assert!(run(&mut detector(), &[event]).is_empty());
    }

    #[test]
    fn malformed_documents_are_quiet() {
        for document in [
            json!("not json"),
            json!(42),
            json!({"Statement": "Allow everything"}),
            json!({"Statement": [null, 3, {"Effect": 7, "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": [1, 2], "Resource": {"a": "*"}}]}),
        ] {
            assert!(
                run(&mut detector(), &[put_user_policy(document.clone())]).is_empty(),
                "{document}"
            );
        }
    }

    #[test]
    fn okta_super_admin_fires_critical() {
        let finding = single(&[okta_grant("SUPER_ADMIN").build()]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.identity.key.id.as_ref(), "admin@example.com");
        assert_eq!(finding.related[0].key.id.as_ref(), "00u2bob");
        assert_eq!(finding.related[0].email.as_deref(), Some("bob@example.com"));
        assert_eq!(
            finding.explanation,
            "admin@example.com granted the Okta administrator role SUPER_ADMIN to user \
             bob@example.com, which can change every setting of the Okta organization, including \
             who its administrators are."
        );
    }

    #[test]
    fn okta_display_names_match() {
        let finding = single(&[okta_grant("Super Organization Administrator").build()]);
        assert_eq!(finding.severity, Severity::Critical);
        let finding = single(&[okta_grant("Help Desk Administrator").build()]);
        assert_eq!(finding.severity, Severity::High);
    }

    #[test]
    fn okta_read_only_admin_is_medium() {
        let finding = single(&[okta_grant("READ_ONLY_ADMIN").build()]);
        assert_eq!(finding.severity, Severity::Medium);
        assert_eq!(finding.attack, vec!["T1098", "T1098.003"]);
    }

    #[test]
    fn okta_custom_role_fires_high() {
        let finding = single(&[okta_grant("Billing Reviewers").build()]);
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.confidence.value(), 0.5);
        assert_eq!(finding.facts["privileges"][0]["listed"], false);
    }

    #[test]
    fn okta_role_list_takes_the_highest() {
        let finding = single(&[okta_grant("Read Only Admin, Super Administrator").build()]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.facts["privileges"].as_array().unwrap().len(), 2);
        assert_eq!(
            finding.facts["privileges"][0]["name"],
            "Super Administrator"
        );
    }

    #[test]
    fn long_role_lists_are_capped() {
        let roles = vec!["Custom Role"; 50].join(", ");
        let finding = single(&[okta_grant(&roles).build()]);
        assert_eq!(finding.facts["privilege_count"], 50);
        assert_eq!(
            finding.facts["privileges"].as_array().unwrap().len(),
            MAX_LISTED_GRANTS
        );
        assert!(
            finding
                .explanation
                .ends_with(" The event grants 40 more privileges.")
        );
    }

    #[test]
    fn okta_group_grant_relates_no_identity() {
        let event = EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .activity(Activity::PrivilegeGranted, "group.privilege.grant")
            .target(TargetKind::Group, "00g1admins", Some("Admins"))
            .privilege(PrivilegeKind::DirectoryRole, "ORG_ADMIN", None)
            .build();
        let finding = single(&[event]);
        assert_eq!(finding.severity, Severity::Critical);
        assert!(finding.related.is_empty());
        assert!(finding.explanation.contains("to group Admins"));
    }

    #[test]
    fn entra_global_administrator_fires_critical() {
        let finding = single(&[entra_grant("Add member to role", "Global Administrator").build()]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.related[0].key.provider, Provider::Entra);
        assert_eq!(
            finding.explanation,
            "admin@example.com assigned the directory role Global Administrator to user \
             bob@example.com, which can manage every aspect of Microsoft Entra ID and of the \
             services that use Entra identities."
        );
    }

    #[test]
    fn entra_role_template_id_matches() {
        let finding =
            single(&[
                entra_grant("Add member to role", "e8611ab8-c189-46e8-94e1-60213ab1f814").build(),
            ]);
        assert_eq!(finding.severity, Severity::Critical);
    }

    #[test]
    fn entra_eligible_assignment_fires() {
        let finding = single(&[entra_grant(
            "Add eligible member to role in PIM completed (permanent)",
            "User Administrator",
        )
        .build()]);
        assert_eq!(finding.severity, Severity::High);
        assert!(finding.explanation.starts_with(
            "admin@example.com made user bob@example.com eligible for the directory role \
                     User Administrator"
        ));
    }

    #[test]
    fn entra_guest_inviter_is_quiet() {
        let events = [entra_grant("Add member to role", "Guest Inviter").build()];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn entra_role_target_is_not_the_grantee() {
        let event = entra_grant("Add member to role", "Security Administrator")
            .with(|event| {
                event.targets.insert(
                    0,
                    Target::new(TargetKind::Role, "194ae4cb-b126-40b2-bd5b-6091b380977d"),
                );
            })
            .build();
        let finding = single(&[event]);
        assert_eq!(finding.facts["grantee"]["kind"], "user");
    }

    #[test]
    fn pim_requests_and_repeats_are_quiet() {
        let mut pim = IdentityRef::new(
            Provider::Entra,
            "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e",
            IdentityKind::EntraServicePrincipal,
        );
        pim.name = Some("MS-PIM".into());
        let events = [
            entra_grant(
                "Add member to role completed (PIM activation)",
                "Global Administrator",
            )
            .build(),
            entra_grant(
                "Add eligible member to role in PIM requested (permanent)",
                "Global Administrator",
            )
            .build(),
            entra_grant("Add member to role", "Global Administrator")
                .with(|event| event.actor = pim)
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn pim_completed_assignment_fires() {
        let finding = single(&[entra_grant(
            "Add member to role in PIM completed (permanent)",
            "Privileged Role Administrator",
        )
        .build()]);
        assert_eq!(finding.severity, Severity::Critical);
    }

    #[test]
    fn graph_permission_grant_fires() {
        let event = EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .format(SourceFormat::EntraAudit)
            .activity(
                Activity::PrivilegeGranted,
                "Add app role assignment to service principal",
            )
            .target(
                TargetKind::ServicePrincipal,
                "7d3c2b1a-0f9e-4d8c-b7a6-958473625140",
                Some("reporting-sync"),
            )
            .privilege(
                PrivilegeKind::AppRole,
                "RoleManagement.ReadWrite.Directory",
                None,
            )
            .build();
        let finding = single(&[event]);
        assert_eq!(finding.severity, Severity::Critical);
        assert_eq!(finding.related[0].kind, IdentityKind::EntraServicePrincipal);
        assert_eq!(
            finding.explanation,
            "admin@example.com granted the application permission \
             RoleManagement.ReadWrite.Directory to service principal reporting-sync, which lets \
             the application assign any directory role, including Global Administrator."
        );
    }

    #[test]
    fn ordinary_app_role_is_quiet() {
        let event = EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .format(SourceFormat::EntraAudit)
            .activity(
                Activity::PrivilegeGranted,
                "Add app role assignment to service principal",
            )
            .target(TargetKind::ServicePrincipal, "sp-1", Some("mailer"))
            .privilege(PrivilegeKind::AppRole, "SMTP.SendAsApp", None)
            .build();
        assert!(run(&mut detector(), &[event]).is_empty());
    }

    #[test]
    fn other_activities_are_ignored() {
        let event = EventBuilder::new("admin@example.com", "2024-05-01T09:00:00Z")
            .activity(Activity::PrivilegeRevoked, "user.account.privilege.revoke")
            .target(TargetKind::User, "00u2bob", Some("bob@example.com"))
            .privilege(PrivilegeKind::DirectoryRole, "SUPER_ADMIN", None)
            .build();
        assert!(run(&mut detector(), &[event]).is_empty());
    }

    #[test]
    fn extra_entries_add_and_replace() {
        let settings: Settings = serde_json::from_value(json!({
            "extra": {
                "aws_managed_policies": [
                    {
                        "names": ["arn:aws:iam::111111111111:policy/BreakGlass"],
                        "severity": "critical",
                        "effect": "is the break-glass policy"
                    },
                    {"names": ["arn:aws:iam::aws:policy/PowerUserAccess"], "severity": "medium"}
                ]
            }
        }))
        .unwrap();
        let mut detector = PrivilegeGrant::new(&settings);
        let findings = run(
            &mut detector,
            &[
                attach_role_policy("arn:aws:iam::111111111111:policy/BreakGlass"),
                attach_role_policy("arn:aws:iam::aws:policy/PowerUserAccess"),
            ],
        );
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(
            findings[0]
                .explanation
                .contains("which is the break-glass policy")
        );
        assert_eq!(findings[1].severity, Severity::Medium);
        assert!(
            findings[1]
                .explanation
                .ends_with("in account 111111111111.")
        );
    }

    #[test]
    fn settings_reject_unknown_fields() {
        let error = serde_json::from_value::<Settings>(json!({"extra": {"gcp_roles": []}}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `gcp_roles`"), "{error}");
        let error = serde_json::from_value::<Settings>(json!({
            "extra": {"okta_admin_roles": [{"names": ["X"], "severity": "severe"}]}
        }))
        .unwrap_err()
        .to_string();
        assert!(error.contains("unknown variant `severe`"), "{error}");
    }
}

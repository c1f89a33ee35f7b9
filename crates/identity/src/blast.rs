//! Blast radius: what breaks if an identity is contained and what an attacker reaches with
//! it, reduced to a tier that containment reads.
//!
//! # Rules
//!
//! Each rule sets a minimum tier; the identity's tier is the highest minimum. Every rule that
//! applies adds a reason with its measured value, so an analyst can check the tier.
//!
//! | rule | minimum tier | why |
//! |---|---|---|
//! | declared criticality | the declared level | the owner knows what the identity runs |
//! | environment `prod` | the declared level (or low) raised by one | the same credential breaks more in production |
//! | declared dependents ≥ [`BlastRadiusSettings::many_dependents`] (5) | high | disabling it stops that many pipelines or services at once |
//! | declared dependents ≥ [`BlastRadiusSettings::shared_dependents`] (2) | medium | more than one pipeline or service depends on it |
//! | NHI seen from ≥ [`BlastRadiusSettings::many_workloads`] (5) workloads or hosts | high | it is shared widely, declared or not |
//! | NHI seen from ≥ 2 workloads or hosts | medium | it is shared |
//! | NHI seen from ≥ [`BlastRadiusSettings::many_networks`] (10) networks | high | it runs in many places |
//! | NHI seen with ≥ [`BlastRadiusSettings::many_user_agent_families`] (3) user-agent families | medium | several different programs use it |
//! | an admin-equivalent privilege granted | high | an attacker holding it controls the account or tenant |
//! | break-glass account | critical | it is the way back in when everything else fails |
//!
//! Observed workloads, networks and user agents count for non-human identities only, because
//! a person's networks follow the person (home, mobile, travel) and do not show what depends
//! on the account. The default thresholds are judgement values, not measurements;
//! networks need a higher count than hosts because an auto-scaling group takes public
//! addresses from several /24 prefixes.

use std::fmt;

use riposte_model::{Privilege, PrivilegeKind, Timestamp};
use serde::{Serialize, Serializer};

use crate::graph::ResolvedIdentity;
use crate::kind::{Criticality, Environment};

/// A blast-radius tier, from least to most disruptive to contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Low,
    Medium,
    High,
    Critical,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Returns the next tier up; critical stays critical.
    pub fn raised(self) -> Self {
        match self {
            Self::Low => Self::Medium,
            Self::Medium => Self::High,
            Self::High | Self::Critical => Self::Critical,
        }
    }

    fn from_criticality(level: Criticality) -> Self {
        match level {
            Criticality::Low => Self::Low,
            Criticality::Medium => Self::Medium,
            Criticality::High => Self::High,
            Criticality::Critical => Self::Critical,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Tier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A privilege seen granted to an identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GrantedPrivilege {
    /// Policy ARN or name, role name.
    pub name: Box<str>,
    /// True when the privilege lets its holder grant itself any other, see
    /// [`is_admin_equivalent`].
    pub admin_equivalent: bool,
    /// When the grant was seen.
    pub granted_at: Option<Timestamp>,
}

impl GrantedPrivilege {
    /// Describes a privilege from an event, classifying it with [`is_admin_equivalent`].
    pub fn from_privilege(privilege: &Privilege, granted_at: Option<Timestamp>) -> Self {
        Self {
            name: privilege.name.clone(),
            admin_equivalent: is_admin_equivalent(privilege),
            granted_at,
        }
    }
}

/// The use of an identity that the state has recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObservedUsage {
    /// Distinct networks the identity was used from: /24 prefixes for IPv4, /48 for IPv6.
    pub networks: usize,
    /// Distinct user-agent families (AWS CLI, Boto3, Chrome, ...).
    pub user_agent_families: usize,
    /// Distinct source workloads or hosts: instances, functions, CI runners, devices.
    pub workloads: usize,
    pub privileges: Vec<GrantedPrivilege>,
}

/// Thresholds of the blast-radius rules. See the module documentation for each rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlastRadiusSettings {
    pub many_dependents: usize,
    pub shared_dependents: usize,
    pub many_workloads: usize,
    pub many_networks: usize,
    pub many_user_agent_families: usize,
    /// Maximum duration of the time-limited policy narrowing a plan may apply to a high-tier
    /// NHI, in seconds. The default, one hour, is long enough to rotate the leaked credential
    /// by hand.
    pub policy_narrowing_secs: u64,
}

impl Default for BlastRadiusSettings {
    fn default() -> Self {
        Self {
            many_dependents: 5,
            shared_dependents: 2,
            many_workloads: 5,
            many_networks: 10,
            many_user_agent_families: 3,
            policy_narrowing_secs: 3_600,
        }
    }
}

/// The tier of an identity and the reasons for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlastRadius {
    pub tier: Tier,
    /// One sentence per rule that applied, with its measured value.
    pub reasons: Vec<String>,
    /// True for a non-human identity that more than one pipeline, service, workload or host
    /// uses, declared or observed.
    pub shared: bool,
}

/// Rates an identity with the default thresholds.
pub fn blast_radius(identity: &ResolvedIdentity, usage: &ObservedUsage) -> BlastRadius {
    blast_radius_with(identity, usage, &BlastRadiusSettings::default())
}

/// Rates an identity. See the module documentation for the rules.
pub fn blast_radius_with(
    identity: &ResolvedIdentity,
    usage: &ObservedUsage,
    settings: &BlastRadiusSettings,
) -> BlastRadius {
    let mut tier = Tier::Low;
    let mut reasons = Vec::new();
    let mut apply = |minimum: Tier, reason: String| {
        tier = tier.max(minimum);
        reasons.push(reason);
    };

    let declared = identity.criticality.map(Tier::from_criticality);
    if let Some(level) = identity.criticality {
        apply(
            Tier::from_criticality(level),
            format!("the inventory declares criticality {level}"),
        );
    }
    if identity.environment == Some(Environment::Prod) {
        let raised = declared.unwrap_or(Tier::Low).raised();
        apply(
            raised,
            format!("it serves the prod environment, which raises the declared level to {raised}"),
        );
    }

    let dependents = identity.dependents.len();
    if dependents >= settings.many_dependents {
        apply(
            Tier::High,
            format!(
                "used by {dependents} declared dependents ({})",
                list(&identity.dependents)
            ),
        );
    } else if dependents >= settings.shared_dependents {
        apply(
            Tier::Medium,
            format!(
                "shared by {dependents} declared dependents ({})",
                list(&identity.dependents)
            ),
        );
    }

    if identity.is_nhi() {
        let workloads = usage.workloads;
        if workloads >= settings.many_workloads {
            apply(
                Tier::High,
                format!("seen from {workloads} distinct workloads or hosts"),
            );
        } else if workloads >= 2 {
            apply(
                Tier::Medium,
                format!("seen from {workloads} distinct workloads or hosts"),
            );
        }
        let networks = usage.networks;
        if networks >= settings.many_networks {
            apply(
                Tier::High,
                format!("seen from {networks} distinct networks (/24 or /48 prefixes)"),
            );
        }
        let families = usage.user_agent_families;
        if families >= settings.many_user_agent_families {
            apply(
                Tier::Medium,
                format!("seen with {families} distinct user-agent families"),
            );
        }
    }

    for privilege in usage
        .privileges
        .iter()
        .filter(|privilege| privilege.admin_equivalent)
    {
        let when = privilege
            .granted_at
            .map(|time| format!(" on {}", time.format("%Y-%m-%d")))
            .unwrap_or_default();
        apply(
            Tier::High,
            format!(
                "granted admin-equivalent privilege {}{when}",
                privilege.name
            ),
        );
    }

    for key in &identity.break_glass_keys {
        apply(
            Tier::Critical,
            format!("{key} is a declared break-glass account"),
        );
    }

    if reasons.is_empty() {
        reasons.push(
            "no declared criticality, dependents or break-glass account, no admin-equivalent \
             privilege and no shared use seen"
                .to_owned(),
        );
    }
    let shared =
        identity.is_nhi() && (dependents >= settings.shared_dependents || usage.workloads >= 2);
    BlastRadius {
        tier,
        reasons,
        shared,
    }
}

/// Lists up to three names, then how many more there are.
fn list(names: &[Box<str>]) -> String {
    let shown: Vec<&str> = names.iter().take(3).map(AsRef::as_ref).collect();
    let mut text = shown.join(", ");
    if names.len() > shown.len() {
        text.push_str(&format!(" and {} more", names.len() - shown.len()));
    }
    text
}

/// Whether a containment plan may disable or suspend the whole identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disablement {
    /// The plan may disable the identity, automatically when the response policy allows.
    Allowed,
    /// The plan may propose disabling only as a step a person approves.
    ApprovalRequired,
    /// The plan must not disable the identity; it revokes the leaked credential instead.
    Excluded,
}

/// The credentials a plan may revoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationScope {
    /// Every session and credential of the identity.
    Identity,
    /// Only the credential or session seen in the incident.
    LeakedCredential,
}

/// The actions a containment plan may take on an identity, with the reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Constraints {
    pub disablement: Disablement,
    pub revocation: RevocationScope,
    /// Maximum duration of a time-limited policy narrowing, in seconds, or `None` when the plan
    /// should not narrow the identity's policy.
    pub policy_narrowing_secs: Option<u64>,
    pub reasons: Vec<String>,
}

/// States what a containment plan may do, with the default narrowing duration.
pub fn containment_constraints(identity: &ResolvedIdentity, radius: &BlastRadius) -> Constraints {
    containment_constraints_with(identity, radius, &BlastRadiusSettings::default())
}

/// States what a containment plan may do to an identity of this blast radius.
///
/// | identity | disablement | revocation | policy narrowing |
/// |---|---|---|---|
/// | break-glass | approval required | leaked credential | none |
/// | shared NHI, high or critical | excluded | leaked credential | time-limited |
/// | unshared NHI, high or critical | approval required | leaked credential | time-limited |
/// | shared NHI, low or medium | approval required | leaked credential | none |
/// | person, high or critical | approval required | identity | none |
/// | anything else | allowed | identity | none |
///
/// Break-glass accounts come first: they are never planned for automatic disablement, and
/// their policy is never narrowed, because they must work when everything else fails.
pub fn containment_constraints_with(
    identity: &ResolvedIdentity,
    radius: &BlastRadius,
    settings: &BlastRadiusSettings,
) -> Constraints {
    let high = radius.tier >= Tier::High;
    let tier = radius.tier;
    let narrowing = Some(settings.policy_narrowing_secs);

    if identity.break_glass {
        return Constraints {
            disablement: Disablement::ApprovalRequired,
            revocation: RevocationScope::LeakedCredential,
            policy_narrowing_secs: None,
            reasons: vec![
                "break-glass account: never disabled automatically nor narrowed, because it \
                 must work when everything else fails"
                    .to_owned(),
            ],
        };
    }
    if identity.is_nhi() && high && radius.shared {
        return Constraints {
            disablement: Disablement::Excluded,
            revocation: RevocationScope::LeakedCredential,
            policy_narrowing_secs: narrowing,
            reasons: vec![format!(
                "shared non-human identity of {tier} tier: revoke only the leaked credential or \
                 session and narrow its policy for at most {} s, because disabling it would stop \
                 everything that uses it",
                settings.policy_narrowing_secs
            )],
        };
    }
    if identity.is_nhi() && high {
        return Constraints {
            disablement: Disablement::ApprovalRequired,
            revocation: RevocationScope::LeakedCredential,
            policy_narrowing_secs: narrowing,
            reasons: vec![format!(
                "non-human identity of {tier} tier: revoke the leaked credential and narrow its \
                 policy for at most {} s; disabling it needs a person's approval",
                settings.policy_narrowing_secs
            )],
        };
    }
    if identity.is_nhi() && radius.shared {
        return Constraints {
            disablement: Disablement::ApprovalRequired,
            revocation: RevocationScope::LeakedCredential,
            policy_narrowing_secs: None,
            reasons: vec![format!(
                "shared non-human identity of {tier} tier: revoke only the leaked credential; \
                 disabling it needs a person's approval"
            )],
        };
    }
    if high {
        return Constraints {
            disablement: Disablement::ApprovalRequired,
            revocation: RevocationScope::Identity,
            policy_narrowing_secs: None,
            reasons: vec![format!(
                "identity of {tier} tier: revoke its sessions; disabling it needs a person's \
                 approval"
            )],
        };
    }
    Constraints {
        disablement: Disablement::Allowed,
        revocation: RevocationScope::Identity,
        policy_narrowing_secs: None,
        reasons: vec![format!(
            "identity of {tier} tier: disabling it is allowed when the response policy allows"
        )],
    }
}

/// AWS managed policies that let their holder grant itself any permission.
const AWS_ADMIN_POLICIES: &[&str] = &["AdministratorAccess", "IAMFullAccess"];

/// Entra directory roles that control the tenant: Global Administrator (named "Company
/// Administrator" in older audit records) and the two roles that can make anyone one.
const ENTRA_ADMIN_ROLES: &[&str] = &[
    "Global Administrator",
    "Company Administrator",
    "Privileged Role Administrator",
    "Privileged Authentication Administrator",
];

/// Okta administrator roles with control over the whole org, as the System Log names them.
const OKTA_ADMIN_ROLES: &[&str] = &[
    "SUPER_ADMIN",
    "ORG_ADMIN",
    "Super Administrator",
    "Organization Administrator",
];

/// Microsoft Graph application permissions with known paths to Global Administrator: assign
/// any directory role, grant any app role, or add a credential to any application.
const GRAPH_ADMIN_PERMISSIONS: &[&str] = &[
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All",
];

/// Returns true for a privilege that lets its holder grant itself any other.
///
/// These are the AWS `AdministratorAccess` and `IAMFullAccess` policies (or an Identity Center
/// permission set of that name) and an inline policy allowing `*` or `iam:*` on `*`. They are
/// also the Entra and Okta roles that control the tenant, and the Microsoft Graph permissions
/// with known paths to those roles.
pub fn is_admin_equivalent(privilege: &Privilege) -> bool {
    let name = &*privilege.name;
    // `arn:aws:iam::aws:policy/AdministratorAccess`, or a path such as `job-function/...`.
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    match privilege.kind {
        PrivilegeKind::ManagedPolicy => AWS_ADMIN_POLICIES.contains(&last_segment),
        PrivilegeKind::InlinePolicy => privilege.document.as_ref().is_some_and(allows_everything),
        PrivilegeKind::DirectoryRole => ENTRA_ADMIN_ROLES
            .iter()
            .chain(OKTA_ADMIN_ROLES)
            .chain(AWS_ADMIN_POLICIES)
            .any(|role| role.eq_ignore_ascii_case(name)),
        PrivilegeKind::AppRole => GRAPH_ADMIN_PERMISSIONS
            .iter()
            .any(|permission| permission.eq_ignore_ascii_case(name)),
        PrivilegeKind::TrustPolicy => false,
    }
}

/// Returns true when a policy document has an `Allow` statement whose actions include `*` or
/// `iam:*` and whose resources include `*`.
fn allows_everything(document: &serde_json::Value) -> bool {
    let statements = match document.get("Statement") {
        Some(serde_json::Value::Array(statements)) => statements.iter().collect(),
        Some(statement) => vec![statement],
        None => Vec::new(),
    };
    statements.into_iter().any(|statement| {
        let allow = statement.get("Effect").and_then(serde_json::Value::as_str) == Some("Allow");
        let actions = strings(statement.get("Action"));
        let resources = strings(statement.get("Resource"));
        allow
            && actions
                .iter()
                .any(|action| *action == "*" || action.eq_ignore_ascii_case("iam:*"))
            && resources.contains(&"*")
    })
}

/// Reads a policy element written as one string or a list of strings.
fn strings(value: Option<&serde_json::Value>) -> Vec<&str> {
    match value {
        Some(serde_json::Value::String(text)) => vec![text.as_str()],
        Some(serde_json::Value::Array(items)) => {
            items.iter().filter_map(serde_json::Value::as_str).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests;

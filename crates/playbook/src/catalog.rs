//! The names playbooks may use: detections, identity kinds, providers, severities, and the
//! parameters of each action kind.

use riposte_action::{Action, AwsPrincipal, GraphObject};
use riposte_model::{IdentityKind, Provider, Severity};

use crate::error::closest;

/// Every detection riposte has, by id.
pub const DETECTIONS: &[&str] = &[
    "impossible_travel",
    "session_replay",
    "workload_credential_misuse",
    "password_spray",
    "brute_force_success",
    "mfa_fatigue",
    "privilege_grant",
    "credential_for_other_identity",
    "trust_policy_changed",
    "provider_risk_detection",
    "unfamiliar_signin",
    "new_network_for_workload",
    "api_novelty_for_workload",
    "dormant_identity_active",
];

/// Every identity kind, in the order of [`IdentityKind`].
pub const IDENTITY_KINDS: &[IdentityKind] = &[
    IdentityKind::Human,
    IdentityKind::AwsRoot,
    IdentityKind::IamUserAccessKey,
    IdentityKind::AssumedRoleSession,
    IdentityKind::InstanceRoleSession,
    IdentityKind::FunctionRoleSession,
    IdentityKind::WebIdentitySession,
    IdentityKind::AwsService,
    IdentityKind::OktaServiceApp,
    IdentityKind::EntraServicePrincipal,
    IdentityKind::EntraManagedIdentity,
    IdentityKind::ProviderSystem,
    IdentityKind::NetworkSource,
    IdentityKind::Unknown,
];

pub const PROVIDERS: &[Provider] = &[Provider::Aws, Provider::Okta, Provider::Entra];

pub const SEVERITIES: &[Severity] = &[
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// The default duration of a `narrow_policy` step, in seconds: one hour, the planner's
/// default too, long enough for a person to look at the incident.
pub const DEFAULT_NARROWING_SECS: u64 = 3600;

/// The parameters of one action kind.
#[derive(Debug, PartialEq, Eq)]
pub struct ActionSpec {
    pub kind: &'static str,
    /// Parameters that must be given.
    pub required: &'static [&'static str],
    /// Parameters of which exactly one must be given.
    pub one_of: &'static [&'static str],
    /// Parameters that may be left out.
    pub optional: &'static [&'static str],
}

impl ActionSpec {
    /// Returns every parameter the kind accepts.
    pub fn parameters(&self) -> impl Iterator<Item = &'static str> {
        self.required
            .iter()
            .chain(self.one_of)
            .chain(self.optional)
            .copied()
    }
}

/// Parameters whose value is a list of text; every other parameter is one text.
pub const LIST_PARAMETERS: &[&str] = &["deny_actions"];

/// Every action kind of [`riposte_action::Action`] and its parameters.
pub const ACTIONS: &[ActionSpec] = &[
    spec("revoke_role_sessions", &["role_name"], &[], &[]),
    spec(
        "deactivate_access_key",
        &["user_name", "access_key_id"],
        &[],
        &[],
    ),
    spec("delete_login_profile", &["user_name"], &[], &[]),
    spec(
        "narrow_policy",
        &[],
        &["role_name", "user_name"],
        &["deny_actions", "duration_secs"],
    ),
    spec("rotate_secret", &["secret_id"], &[], &[]),
    spec("okta_clear_sessions", &["user_id"], &[], &[]),
    spec("okta_suspend_user", &["user_id"], &[], &[]),
    spec("okta_revoke_grants", &["user_id", "client_id"], &[], &[]),
    spec("okta_reset_factors", &["user_id"], &[], &[]),
    spec("graph_revoke_sign_in_sessions", &["user_id"], &[], &[]),
    spec("graph_disable_user", &["user_id"], &[], &[]),
    spec(
        "graph_remove_password",
        &["key_id"],
        &["service_principal_id", "application_id"],
        &[],
    ),
    spec(
        "graph_disable_service_principal",
        &["service_principal_id"],
        &[],
        &[],
    ),
    spec("falcon_contain_host", &["device_id"], &[], &[]),
    spec("falcon_lift_containment", &["device_id"], &[], &[]),
    spec("notify", &["summary"], &[], &[]),
];

const fn spec(
    kind: &'static str,
    required: &'static [&'static str],
    one_of: &'static [&'static str],
    optional: &'static [&'static str],
) -> ActionSpec {
    ActionSpec {
        kind,
        required,
        one_of,
        optional,
    }
}

pub fn action_spec(kind: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|spec| spec.kind == kind)
}

/// Action ids of the containment planner that name the same operation as an action kind
/// under another name, for suggestions.
const PLANNER_NAMES: &[(&str, &str)] = &[
    ("clear_user_sessions", "okta_clear_sessions"),
    ("reset_factors", "okta_reset_factors"),
    ("revoke_sign_in_sessions", "graph_revoke_sign_in_sessions"),
    (
        "disable_service_principal",
        "graph_disable_service_principal",
    ),
    ("remove_added_credential", "graph_remove_password"),
    ("revoke_one_role_session", "narrow_policy"),
];

/// Returns the action kind an unknown kind most likely meant: a close spelling, or the kind
/// a planner action id stands for.
pub(crate) fn suggest_action(kind: &str) -> Option<&'static str> {
    let kinds: Vec<&'static str> = ACTIONS.iter().map(|spec| spec.kind).collect();
    closest(kind, &kinds).or_else(|| {
        PLANNER_NAMES
            .iter()
            .find(|(planner, _)| *planner == kind)
            .map(|(_, kind)| *kind)
    })
}

/// A resolved parameter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Text(String),
    List(Vec<String>),
}

/// A reason resolved parameters do not make an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BuildError {
    Missing(&'static str),
    NotANumber {
        parameter: &'static str,
        value: String,
    },
}

/// Builds the action of `spec` from resolved parameters. Validation has checked names and
/// shapes, so only values can be missing or wrong here.
pub(crate) fn build(
    spec: &ActionSpec,
    value: impl Fn(&str) -> Option<Resolved>,
) -> Result<Action, BuildError> {
    let text = |name: &'static str| match value(name) {
        Some(Resolved::Text(text)) if !text.is_empty() => Ok(text),
        _ => Err(BuildError::Missing(name)),
    };
    let optional_text = |name: &'static str| match value(name) {
        Some(Resolved::Text(text)) if !text.is_empty() => Some(text),
        _ => None,
    };
    let action = match spec.kind {
        "revoke_role_sessions" => Action::RevokeRoleSessions {
            role_name: text("role_name")?,
        },
        "deactivate_access_key" => Action::DeactivateAccessKey {
            user_name: text("user_name")?,
            access_key_id: text("access_key_id")?,
        },
        "delete_login_profile" => Action::DeleteLoginProfile {
            user_name: text("user_name")?,
        },
        "narrow_policy" => {
            let principal = match (optional_text("role_name"), optional_text("user_name")) {
                (Some(role), _) => AwsPrincipal::Role(role),
                (None, Some(user)) => AwsPrincipal::User(user),
                (None, None) => return Err(BuildError::Missing("role_name")),
            };
            let deny_actions = match value("deny_actions") {
                Some(Resolved::List(items)) => {
                    items.into_iter().filter(|item| !item.is_empty()).collect()
                }
                Some(Resolved::Text(item)) if !item.is_empty() => vec![item],
                _ => Vec::new(),
            };
            let deny_actions = if deny_actions.is_empty() {
                vec!["*".to_owned()]
            } else {
                deny_actions
            };
            let duration_secs = match optional_text("duration_secs") {
                Some(text) => text.trim().parse().map_err(|_| BuildError::NotANumber {
                    parameter: "duration_secs",
                    value: text,
                })?,
                None => DEFAULT_NARROWING_SECS,
            };
            Action::NarrowPolicy {
                principal,
                deny_actions,
                duration_secs,
            }
        }
        "rotate_secret" => Action::RotateSecret {
            secret_id: text("secret_id")?,
        },
        "okta_clear_sessions" => Action::OktaClearSessions {
            user_id: text("user_id")?,
        },
        "okta_suspend_user" => Action::OktaSuspendUser {
            user_id: text("user_id")?,
        },
        "okta_revoke_grants" => Action::OktaRevokeGrants {
            user_id: text("user_id")?,
            client_id: text("client_id")?,
        },
        "okta_reset_factors" => Action::OktaResetFactors {
            user_id: text("user_id")?,
        },
        "graph_revoke_sign_in_sessions" => Action::GraphRevokeSignInSessions {
            user_id: text("user_id")?,
        },
        "graph_disable_user" => Action::GraphDisableUser {
            user_id: text("user_id")?,
        },
        "graph_remove_password" => {
            let object = match (
                optional_text("service_principal_id"),
                optional_text("application_id"),
            ) {
                (Some(id), _) => GraphObject::ServicePrincipal(id),
                (None, Some(id)) => GraphObject::Application(id),
                (None, None) => return Err(BuildError::Missing("service_principal_id")),
            };
            Action::GraphRemovePassword {
                object,
                key_id: text("key_id")?,
            }
        }
        "graph_disable_service_principal" => Action::GraphDisableServicePrincipal {
            service_principal_id: text("service_principal_id")?,
        },
        "falcon_contain_host" => Action::FalconContainHost {
            device_id: text("device_id")?,
        },
        "falcon_lift_containment" => Action::FalconLiftContainment {
            device_id: text("device_id")?,
        },
        "notify" => Action::Notify {
            summary: text("summary")?,
        },
        // Every kind of `ACTIONS` has an arm above; a test builds each one.
        _ => return Err(BuildError::Missing("action")),
    };
    Ok(action)
}

pub fn parse_identity_kind(text: &str) -> Option<IdentityKind> {
    IDENTITY_KINDS
        .iter()
        .copied()
        .find(|kind| kind.as_str() == text)
}

pub fn parse_provider(text: &str) -> Option<Provider> {
    PROVIDERS
        .iter()
        .copied()
        .find(|provider| provider.as_str() == text)
}

pub fn parse_severity(text: &str) -> Option<Severity> {
    SEVERITIES
        .iter()
        .copied()
        .find(|severity| severity.as_str() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns one value for every parameter name.
    fn sample(name: &str) -> Option<Resolved> {
        Some(match name {
            "deny_actions" => Resolved::List(vec!["iam:*".to_owned()]),
            "duration_secs" => Resolved::Text("600".to_owned()),
            other => Resolved::Text(format!("{other}-1")),
        })
    }

    #[test]
    fn every_spec_builds_its_kind() {
        for spec in ACTIONS {
            let action = build(spec, sample).unwrap();
            assert_eq!(action.kind(), spec.kind);
        }
    }

    /// The exhaustive match makes the compiler point here when a variant is added.
    #[test]
    fn every_action_variant_has_a_spec() {
        let kinds = [
            Action::RevokeRoleSessions {
                role_name: String::new(),
            },
            Action::DeactivateAccessKey {
                user_name: String::new(),
                access_key_id: String::new(),
            },
            Action::DeleteLoginProfile {
                user_name: String::new(),
            },
            Action::NarrowPolicy {
                principal: AwsPrincipal::Role(String::new()),
                deny_actions: Vec::new(),
                duration_secs: 0,
            },
            Action::RotateSecret {
                secret_id: String::new(),
            },
            Action::OktaClearSessions {
                user_id: String::new(),
            },
            Action::OktaSuspendUser {
                user_id: String::new(),
            },
            Action::OktaRevokeGrants {
                user_id: String::new(),
                client_id: String::new(),
            },
            Action::OktaResetFactors {
                user_id: String::new(),
            },
            Action::GraphRevokeSignInSessions {
                user_id: String::new(),
            },
            Action::GraphDisableUser {
                user_id: String::new(),
            },
            Action::GraphRemovePassword {
                object: GraphObject::Application(String::new()),
                key_id: String::new(),
            },
            Action::GraphDisableServicePrincipal {
                service_principal_id: String::new(),
            },
            Action::FalconContainHost {
                device_id: String::new(),
            },
            Action::FalconLiftContainment {
                device_id: String::new(),
            },
            Action::Notify {
                summary: String::new(),
            },
        ];
        for action in &kinds {
            match action {
                Action::RevokeRoleSessions { .. }
                | Action::DeactivateAccessKey { .. }
                | Action::DeleteLoginProfile { .. }
                | Action::NarrowPolicy { .. }
                | Action::RotateSecret { .. }
                | Action::OktaClearSessions { .. }
                | Action::OktaSuspendUser { .. }
                | Action::OktaRevokeGrants { .. }
                | Action::OktaResetFactors { .. }
                | Action::GraphRevokeSignInSessions { .. }
                | Action::GraphDisableUser { .. }
                | Action::GraphRemovePassword { .. }
                | Action::GraphDisableServicePrincipal { .. }
                | Action::FalconContainHost { .. }
                | Action::FalconLiftContainment { .. }
                | Action::Notify { .. } => {}
            }
            assert!(action_spec(action.kind()).is_some(), "{}", action.kind());
        }
        assert_eq!(kinds.len(), ACTIONS.len());
    }

    #[test]
    fn narrow_policy_defaults() {
        let spec = action_spec("narrow_policy").unwrap();
        let action = build(spec, |name| {
            (name == "user_name").then(|| Resolved::Text("ci-deployer".to_owned()))
        })
        .unwrap();
        assert_eq!(
            action,
            Action::NarrowPolicy {
                principal: AwsPrincipal::User("ci-deployer".to_owned()),
                deny_actions: vec!["*".to_owned()],
                duration_secs: DEFAULT_NARROWING_SECS,
            }
        );
    }

    #[test]
    fn duration_must_be_a_number() {
        let spec = action_spec("narrow_policy").unwrap();
        let error = build(spec, |name| match name {
            "role_name" => Some(Resolved::Text("Deploy".to_owned())),
            "duration_secs" => Some(Resolved::Text("an hour".to_owned())),
            _ => None,
        })
        .unwrap_err();
        assert_eq!(
            error,
            BuildError::NotANumber {
                parameter: "duration_secs",
                value: "an hour".to_owned()
            }
        );
    }

    #[test]
    fn identity_kinds_round_trip() {
        for kind in IDENTITY_KINDS {
            assert_eq!(parse_identity_kind(kind.as_str()), Some(*kind));
        }
    }
}

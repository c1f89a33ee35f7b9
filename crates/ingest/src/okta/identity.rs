//! The actor, targets and privileges of an Okta event.

use std::sync::Arc;

use crate::json::Value;
use riposte_model::{
    Activity, IdentityKind, IdentityRef, Privilege, PrivilegeKind, Provider, Target, TargetKind,
};

use super::known_str;
use crate::text::contains_ignore_case;
use crate::{StringCache, json, reuse_or_allocate};

/// Returns the actor. `actor.type` gives the kind: `User` is a person, `SystemPrincipal` is
/// Okta itself, and `PublicClientApp`, `AppInstance` and `Client` are applications acting
/// with OAuth client credentials. Other types, such as `IP address` for ThreatInsight
/// detections, are unknown kinds that keep the id Okta gave.
///
/// Okta logs some sign-ins, such as `user.authentication.auth_via_IDP`, with Okta itself as
/// actor and the person signing in as the only `User` target. That person is the actor of
/// the sign-in, so that per-identity detections see it as theirs.
pub(super) fn actor(record: &Value, activity: Activity) -> IdentityRef {
    let Some(actor) = json::get(record, &["actor"]).filter(|actor| actor.is_object()) else {
        return IdentityRef::unknown(Provider::Okta);
    };
    let identity = identity_of(actor);
    if identity.kind == IdentityKind::ProviderSystem
        && matches!(activity, Activity::SignIn | Activity::MfaVerify)
    {
        if let Some(user) = only_user_target(record) {
            return identity_of(user);
        }
    }
    identity
}

/// Builds an identity from an Okta actor or target object.
fn identity_of(entry: &Value) -> IdentityRef {
    let kind = match known_str(entry, &["type"]) {
        Some(kind) if kind.eq_ignore_ascii_case("User") => IdentityKind::Human,
        Some(kind) if kind.eq_ignore_ascii_case("SystemPrincipal") => IdentityKind::ProviderSystem,
        Some(kind)
            if ["PublicClientApp", "AppInstance", "Client"]
                .iter()
                .any(|app| kind.eq_ignore_ascii_case(app)) =>
        {
            IdentityKind::OktaServiceApp
        }
        _ => IdentityKind::Unknown,
    };
    let alternate_id = known_str(entry, &["alternateId"]);
    let id = known_str(entry, &["id"])
        .or(alternate_id)
        .unwrap_or("unknown");
    let mut identity = IdentityRef::new(Provider::Okta, id, kind);
    identity.name = known_str(entry, &["displayName"])
        .or(alternate_id)
        .map(Arc::from);
    if kind == IdentityKind::Human {
        identity.email = alternate_id
            .filter(|login| is_email(login))
            .map(|login| reuse_or_allocate(login, &[identity.name.as_ref()]));
    }
    identity
}

fn only_user_target<'a>(record: &'a Value<'a>) -> Option<&'a Value<'a>> {
    let entries = json::get(record, &["target"]).and_then(Value::as_array)?;
    let mut users = entries.iter().filter(|entry| {
        known_str(entry, &["type"]).is_some_and(|kind| kind.eq_ignore_ascii_case("User"))
            && known_str(entry, &["id"]).is_some()
    });
    let user = users.next()?;
    users.next().is_none().then_some(user)
}

/// Returns true for `local@domain.tld`: a non-empty local part, and a domain made of letters,
/// digits, hyphens and dots, with a dot inside it. Logins that are not addresses (`jdoe`,
/// `DOMAIN\jdoe`) and damaged or defanged addresses (`jdoe@example.org\`,
/// `jdoe@example[.]com`) are rejected, because a wrong address would join the accounts of
/// different people.
pub(super) fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    let domain_ok = domain
        .chars()
        .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    let local_ok = !local.is_empty() && !local.chars().any(|c| c.is_whitespace() || c == '\\');
    local_ok && domain_ok
}

/// Returns one target per `target[]` entry that has an id (or, failing that, an
/// `alternateId`).
///
/// Users and applications are named by their `alternateId` (a login, an application label),
/// else their `displayName`. Other targets are named by their `displayName` first, because
/// their `alternateId` is often an internal code or the id of a parent object, such as the
/// policy id of a policy rule.
///
/// The text of applications, groups, roles and policies is shared through `strings`. A
/// user, an application assignment or a factor belongs to one person, so its text is
/// allocated, or taken from `actor` when the target repeats it.
pub(super) fn targets(record: &Value, actor: &IdentityRef, strings: &StringCache) -> Vec<Target> {
    let Some(entries) = json::get(record, &["target"]).and_then(Value::as_array) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let alternate_id = known_str(entry, &["alternateId"]);
            let id = known_str(entry, &["id"]).or(alternate_id)?;
            let okta_type = known_str(entry, &["type"]);
            let kind = okta_type.map_or(TargetKind::Resource, target_kind);
            let display_name = known_str(entry, &["displayName"]);
            let name = match kind {
                TargetKind::User | TargetKind::Application => alternate_id.or(display_name),
                _ => display_name.or(alternate_id),
            };
            let shared_object =
                okta_type.is_some_and(|okta_type| is_shared_object(okta_type, kind));
            let text = |text: &str| {
                if shared_object {
                    strings.share(text)
                } else {
                    let candidates = [
                        Some(&actor.key.id),
                        actor.name.as_ref(),
                        actor.email.as_ref(),
                    ];
                    reuse_or_allocate(text, &candidates)
                }
            };
            let mut target = Target::new(kind, text(id));
            target.name = name.map(text);
            Some(target)
        })
        .collect()
}

/// Returns true for an object that the events of many people name: an application
/// instance, a group, a role or a policy.
fn is_shared_object(okta_type: &str, kind: TargetKind) -> bool {
    match kind {
        TargetKind::Group | TargetKind::Role | TargetKind::Policy => true,
        TargetKind::Application => ["AppInstance", "PublicClientApp"]
            .iter()
            .any(|app| okta_type.eq_ignore_ascii_case(app)),
        _ => false,
    }
}

fn target_kind(okta_type: &str) -> TargetKind {
    let is_any = |names: &[&str]| {
        names
            .iter()
            .any(|name| okta_type.eq_ignore_ascii_case(name))
    };
    if is_any(&["user"]) {
        TargetKind::User
    } else if is_any(&["usergroup", "group"]) {
        TargetKind::Group
    } else if is_any(&["appinstance", "appuser", "publicclientapp"]) {
        TargetKind::Application
    } else if is_any(&["policyentity", "policyrule", "policy", "rule"]) {
        TargetKind::Policy
    } else if contains_ignore_case(okta_type, "role") {
        TargetKind::Role
    } else if contains_ignore_case(okta_type, "device") {
        TargetKind::Device
    } else {
        TargetKind::Resource
    }
}

/// Returns the label of the application of a single sign-on: the first `AppInstance`
/// target's `alternateId` (the label an admin gave the instance), else its `displayName`
/// (the name of the integration, such as `OpenID Connect Client`).
pub(super) fn signed_in_application<'a>(record: &'a Value<'a>) -> Option<&'a str> {
    let entries = json::get(record, &["target"]).and_then(Value::as_array)?;
    let application = entries.iter().find(|entry| {
        known_str(entry, &["type"]).is_some_and(|kind| kind.eq_ignore_ascii_case("AppInstance"))
    })?;
    known_str(application, &["alternateId"]).or_else(|| known_str(application, &["displayName"]))
}

/// Returns the role granted or revoked: `debugData.privilegeGranted` (or
/// `privilegeRevoked` for a revocation), else the name of a role target, else
/// `unknown role`. Privileges granted to OAuth clients (`app.oauth2.client.privilege.*`)
/// are application roles, all others directory roles.
pub(super) fn privilege(record: &Value, event_type: &str, activity: Activity) -> Privilege {
    let kind = if event_type.starts_with("app.") {
        PrivilegeKind::AppRole
    } else {
        PrivilegeKind::DirectoryRole
    };
    let debug_keys: &[&str] = if activity == Activity::PrivilegeRevoked {
        &["privilegeRevoked", "privilegeGranted"]
    } else {
        &["privilegeGranted"]
    };
    let from_debug = debug_keys
        .iter()
        .find_map(|key| known_str(record, &["debugContext", "debugData", key]));
    let name = from_debug
        .or_else(|| role_target_name(record))
        .unwrap_or("unknown role");
    Privilege {
        kind,
        name: name.trim().into(),
        document: None,
    }
}

fn role_target_name<'a>(record: &'a Value<'a>) -> Option<&'a str> {
    let entries = json::get(record, &["target"]).and_then(Value::as_array)?;
    entries
        .iter()
        .filter(|entry| {
            known_str(entry, &["type"]).is_some_and(|kind| target_kind(kind) == TargetKind::Role)
        })
        .find_map(|entry| {
            known_str(entry, &["displayName"]).or_else(|| known_str(entry, &["alternateId"]))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    fn targets(record: &Value) -> Vec<Target> {
        super::targets(
            record,
            &IdentityRef::unknown(Provider::Okta),
            &StringCache::new(),
        )
    }

    #[test]
    fn actor_types_map_to_kinds() {
        let cases = [
            ("User", IdentityKind::Human),
            ("SystemPrincipal", IdentityKind::ProviderSystem),
            ("PublicClientApp", IdentityKind::OktaServiceApp),
            ("AppInstance", IdentityKind::OktaServiceApp),
            ("Client", IdentityKind::OktaServiceApp),
            ("IP address", IdentityKind::Unknown),
        ];
        for (okta_type, expected) in cases {
            let record = json!({"actor": {"id": "a1", "type": okta_type}});
            assert_eq!(
                actor(&record, Activity::ApiCall).kind,
                expected,
                "{okta_type}"
            );
        }
    }

    #[test]
    fn user_actor_has_name_and_email() {
        let record = json!({"actor": {"id": "00u1EXAMPLE", "type": "User",
            "alternateId": "ada@example.com", "displayName": "Ada Example"}});
        let identity = actor(&record, Activity::ApiCall);
        assert_eq!(identity.key.to_string(), "okta:00u1EXAMPLE");
        assert_eq!(identity.name.as_deref(), Some("Ada Example"));
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    }

    #[test]
    fn login_without_domain_is_no_email() {
        let record = json!({"actor": {"id": "00u2", "type": "User", "alternateId": "ada"}});
        let identity = actor(&record, Activity::ApiCall);
        assert_eq!(identity.name.as_deref(), Some("ada"));
        assert_eq!(identity.email, None);
    }

    #[test]
    fn system_principal_has_no_email() {
        let record = json!({"actor": {"id": "0oa1", "type": "SystemPrincipal",
            "alternateId": "system@okta.com", "displayName": "Okta System"}});
        let identity = actor(&record, Activity::ApiCall);
        assert_eq!(identity.kind, IdentityKind::ProviderSystem);
        assert_eq!(identity.name.as_deref(), Some("Okta System"));
        assert_eq!(identity.email, None);
    }

    #[test]
    fn federated_sign_in_is_the_target_users() {
        let record = json!({
            "actor": {"id": "0oa1", "type": "SystemPrincipal", "alternateId": "system@okta.com",
                      "displayName": "Okta System"},
            "target": [
                {"id": "0oa2", "type": "AppInstance", "alternateId": "Partner IdP"},
                {"id": "00u5", "type": "User", "alternateId": "dan@example.org", "displayName": "Dan"}
            ]
        });
        let signed_in = actor(&record, Activity::SignIn);
        assert_eq!(signed_in.kind, IdentityKind::Human);
        assert_eq!(&*signed_in.key.id, "00u5");
        assert_eq!(signed_in.email.as_deref(), Some("dan@example.org"));
        // Outside sign-ins, Okta stays the actor.
        assert_eq!(
            actor(&record, Activity::AccountChanged).kind,
            IdentityKind::ProviderSystem
        );
    }

    #[test]
    fn system_sign_in_with_several_users_keeps_okta() {
        let record = json!({
            "actor": {"id": "0oa1", "type": "SystemPrincipal", "displayName": "Okta System"},
            "target": [{"id": "00u5", "type": "User"}, {"id": "00u6", "type": "User"}]
        });
        assert_eq!(
            actor(&record, Activity::SignIn).kind,
            IdentityKind::ProviderSystem
        );
    }

    #[test]
    fn address_actor_keeps_its_id() {
        let record = json!({"actor": {"id": "203.0.113.9", "type": "IP address",
            "alternateId": "unknown", "displayName": "203.0.113.9"}});
        let identity = actor(&record, Activity::ApiCall);
        assert_eq!(identity.kind, IdentityKind::Unknown);
        assert_eq!(&*identity.key.id, "203.0.113.9");
    }

    #[test]
    fn missing_actor_is_unknown() {
        assert_eq!(
            actor(&json!({}), Activity::ApiCall),
            IdentityRef::unknown(Provider::Okta)
        );
        assert_eq!(
            actor(&json!({"actor": null}), Activity::ApiCall),
            IdentityRef::unknown(Provider::Okta)
        );
        assert_eq!(
            actor(&json!({"actor": "someone"}), Activity::ApiCall),
            IdentityRef::unknown(Provider::Okta)
        );
    }

    #[test]
    fn email_check() {
        assert!(is_email("ada@example.com"));
        assert!(is_email("ada.lovelace+okta@mail.example.org"));
        assert!(!is_email("ada"));
        assert!(!is_email("ada@localhost"));
        assert!(!is_email("@example.com"));
        assert!(!is_email("ada@example.org\\"));
        assert!(!is_email("ada@example[.]com"));
        assert!(!is_email("ada@.example"));
    }

    #[test]
    fn targets_are_typed_and_named() {
        let record = json!({"target": [
            {"id": "00u3", "type": "User", "alternateId": "bob@example.com", "displayName": "Bob"},
            {"id": "00g1", "type": "UserGroup", "alternateId": "unknown", "displayName": "Admins"},
            {"id": "0oa1", "type": "AppInstance", "alternateId": "Payroll", "displayName": "SAML 2.0"},
            {"id": "0ua1", "type": "AppUser", "alternateId": "bob@example.com"},
            {"id": "cr0", "type": "CUSTOM_ROLE", "alternateId": "HELP_DESK", "displayName": "Help desk"},
            {"id": "guo1", "type": "Device", "displayName": "Laptop"},
            {"id": "00p1", "type": "PolicyEntity", "displayName": "Default"},
            {"id": "rul1", "type": "Rule", "alternateId": "00p1", "displayName": "Catch-all Rule"},
            {"id": "pfd1", "type": "AuthenticatorEnrollment", "alternateId": "unknown"},
            {"type": "User", "alternateId": "unknown"},
            "not an object"
        ]});
        let found = targets(&record);
        let summary: Vec<(TargetKind, &str, Option<&str>)> = found
            .iter()
            .map(|target| (target.kind, &*target.id, target.name.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (TargetKind::User, "00u3", Some("bob@example.com")),
                (TargetKind::Group, "00g1", Some("Admins")),
                (TargetKind::Application, "0oa1", Some("Payroll")),
                (TargetKind::Application, "0ua1", Some("bob@example.com")),
                (TargetKind::Role, "cr0", Some("Help desk")),
                (TargetKind::Device, "guo1", Some("Laptop")),
                (TargetKind::Policy, "00p1", Some("Default")),
                (TargetKind::Policy, "rul1", Some("Catch-all Rule")),
                (TargetKind::Resource, "pfd1", None),
            ]
        );
    }

    #[test]
    fn privilege_name_fallbacks() {
        let debug =
            json!({"debugContext": {"debugData": {"privilegeGranted": "Super administrator"}}});
        let granted = privilege(
            &debug,
            "user.account.privilege.grant",
            Activity::PrivilegeGranted,
        );
        assert_eq!(&*granted.name, "Super administrator");
        assert_eq!(granted.kind, PrivilegeKind::DirectoryRole);

        let role_target = json!({"target": [
            {"id": "00u4", "type": "User", "displayName": "Carol"},
            {"id": "ra1", "type": "ROLE", "displayName": "Help Desk Administrator"}
        ]});
        let granted = privilege(
            &role_target,
            "group.privilege.grant",
            Activity::PrivilegeGranted,
        );
        assert_eq!(&*granted.name, "Help Desk Administrator");

        let bare = json!({});
        let revoked = privilege(
            &bare,
            "user.account.privilege.revoke",
            Activity::PrivilegeRevoked,
        );
        assert_eq!(&*revoked.name, "unknown role");

        let client = privilege(
            &bare,
            "app.oauth2.client.privilege.grant",
            Activity::PrivilegeGranted,
        );
        assert_eq!(client.kind, PrivilegeKind::AppRole);
    }
}

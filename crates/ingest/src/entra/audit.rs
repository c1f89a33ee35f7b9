//! Audit logs (`directoryAudit`): changes to users, groups, roles, applications and
//! policies.

use std::sync::Arc;

use crate::json::Value;
use riposte_model::{
    Activity, Credential, Event, IdentityKind, IdentityRef, Outcome, Privilege, PrivilegeKind,
    Provider, Source, SourceFormat, Target, TargetKind,
};

use super::common::{self, text};
use super::shape::Canonical;
use crate::json;
use crate::{NormalizeError, RecordContext, StringCache};

/// The meaning of an audit activity for riposte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meaning {
    Plain(Activity),
    /// A directory role granted or revoked.
    DirectoryRole(Activity),
    /// An application role or delegated permission granted or revoked.
    AppRole(Activity),
    /// "Certificates and secrets management" on an application: logged both when a secret
    /// or certificate is added and when one is removed.
    SecretsManagement,
}

/// Audit activity names, written as [`comparable`] returns them (lower case, any dash as
/// `-`, single spaces).
const ACTIVITIES: &[(&str, Meaning)] = &[
    (
        "add app role assignment to service principal",
        Meaning::AppRole(Activity::PrivilegeGranted),
    ),
    (
        "add app role assignment grant to user",
        Meaning::AppRole(Activity::PrivilegeGranted),
    ),
    (
        "add delegated permission grant",
        Meaning::AppRole(Activity::PrivilegeGranted),
    ),
    (
        "consent to application",
        Meaning::AppRole(Activity::PrivilegeGranted),
    ),
    (
        "remove app role assignment from service principal",
        Meaning::AppRole(Activity::PrivilegeRevoked),
    ),
    (
        "remove app role assignment from user",
        Meaning::AppRole(Activity::PrivilegeRevoked),
    ),
    (
        "remove delegated permission grant",
        Meaning::AppRole(Activity::PrivilegeRevoked),
    ),
    (
        "add service principal credentials",
        Meaning::Plain(Activity::CredentialCreated),
    ),
    (
        "add password credential",
        Meaning::Plain(Activity::CredentialCreated),
    ),
    (
        "add key credential",
        Meaning::Plain(Activity::CredentialCreated),
    ),
    (
        "update application - certificates and secrets management",
        Meaning::SecretsManagement,
    ),
    (
        "create application - certificates and secrets management",
        Meaning::SecretsManagement,
    ),
    (
        "reset user password",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "reset password (by admin)",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "change user password",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "change password (self-service)",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "reset password (self-service)",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "delete authentication method",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "admin registered security info",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "admin updated security info",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "admin deleted security info",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "user registered security info",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "user changed default security info",
        Meaning::Plain(Activity::CredentialReset),
    ),
    (
        "user deleted security info",
        Meaning::Plain(Activity::CredentialReset),
    ),
    ("add user", Meaning::Plain(Activity::AccountCreated)),
    ("delete user", Meaning::Plain(Activity::AccountDeleted)),
    ("hard delete user", Meaning::Plain(Activity::AccountDeleted)),
    ("disable account", Meaning::Plain(Activity::AccountDisabled)),
    ("enable account", Meaning::Plain(Activity::AccountEnabled)),
    (
        "update stsrefreshtokenvalidfrom timestamp",
        Meaning::Plain(Activity::AccountChanged),
    ),
    ("update user", Meaning::Plain(Activity::AccountChanged)),
    (
        "add member to group",
        Meaning::Plain(Activity::GroupMembershipChanged),
    ),
    (
        "remove member from group",
        Meaning::Plain(Activity::GroupMembershipChanged),
    ),
    (
        "add owner to group",
        Meaning::Plain(Activity::GroupMembershipChanged),
    ),
    (
        "remove owner from group",
        Meaning::Plain(Activity::GroupMembershipChanged),
    ),
];

/// Beginnings of directory role assignments, including the Privileged Identity Management
/// variants such as "Add member to role completed (PIM activation)".
const ROLE_GRANTS: &[&str] = &[
    "add member to role",
    "add eligible member to role",
    "add scoped member to role",
];
const ROLE_REVOCATIONS: &[&str] = &[
    "remove member from role",
    "remove eligible member from role",
    "remove scoped member from role",
];

/// Words of the object types whose changes are entity changes when the activity is not
/// listed above.
const ENTITY_WORDS: &[&str] = &["application", "service principal", "policy", "device"];

/// Audit categories (`category` of the resource) and the activity of their other changes.
const CATEGORIES: &[(&str, Activity)] = &[
    ("UserManagement", Activity::AccountChanged),
    ("GroupManagement", Activity::GroupMembershipChanged),
    ("RoleManagement", Activity::AccountChanged),
    ("ApplicationManagement", Activity::EntityChanged),
    ("Policy", Activity::EntityChanged),
    ("Device", Activity::EntityChanged),
    ("DirectoryManagement", Activity::EntityChanged),
];

/// Normalizes an audit record.
pub(super) fn normalize(
    canonical: &Canonical<'_>,
    context: &RecordContext<'_>,
) -> Result<Event, NormalizeError> {
    let time = common::event_time(canonical, &["activityDateTime"])?;
    let operation = text(canonical, "activityDisplayName")
        .or_else(|| common::envelope_text(canonical, "operationName"))
        .or(canonical.category)
        .unwrap_or("AuditLogs")
        .trim();
    let strings = context.strings;
    let mut targets = targets(canonical, strings);
    name_unnamed_targets(canonical, &mut targets, strings);
    let meaning = meaning(operation, text(canonical, "category"));
    let (activity, privileges) = match meaning {
        Meaning::Plain(activity) => (activity, Vec::new()),
        Meaning::DirectoryRole(activity) => (
            activity,
            role_name(canonical, &targets)
                .map(|name| privilege(PrivilegeKind::DirectoryRole, name))
                .into_iter()
                .collect(),
        ),
        Meaning::AppRole(activity) => (
            activity,
            app_role_name(canonical, &targets)
                .map(|name| privilege(PrivilegeKind::AppRole, name))
                .into_iter()
                .collect(),
        ),
        Meaning::SecretsManagement => (secrets_activity(canonical), Vec::new()),
    };
    let (outcome, outcome_reason) = outcome(canonical);

    Ok(Event {
        format: SourceFormat::EntraAudit,
        event_id: common::event_id(canonical, &["id"], context),
        time,
        activity,
        operation: strings.share(operation),
        service: text(canonical, "loggedByService").map(|service| strings.share(service)),
        outcome,
        outcome_reason,
        actor: actor(canonical, strings),
        credential: Credential::unknown(),
        session_id: None,
        root_session_id: None,
        token_id: None,
        source: source(canonical, strings),
        interactive: None,
        mfa: None,
        targets,
        privileges,
        risk: None,
        account: common::account(canonical, strings),
        location: context.location.cloned(),
    })
}

/// Lowers the case, writes every dash as `-` and collapses white space, so that "Update
/// application – Certificates and secrets management " matches however it is typed.
fn comparable(name: &str) -> String {
    let dashes_unified: String = name
        .chars()
        .map(|letter| match letter {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            other => other.to_ascii_lowercase(),
        })
        .collect();
    dashes_unified
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn meaning(operation: &str, audit_category: Option<&str>) -> Meaning {
    let name = comparable(operation);
    if let Some((_, meaning)) = ACTIVITIES.iter().find(|(known, _)| *known == name) {
        return *meaning;
    }
    // Requests and approvals in Privileged Identity Management precede the assignment,
    // which is logged again when it completes.
    let pending = name.contains("request") || name.contains("approv");
    if !pending {
        if ROLE_GRANTS.iter().any(|prefix| name.starts_with(prefix)) {
            return Meaning::DirectoryRole(Activity::PrivilegeGranted);
        }
        if ROLE_REVOCATIONS
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            return Meaning::DirectoryRole(Activity::PrivilegeRevoked);
        }
    }
    if ENTITY_WORDS.iter().any(|word| name.contains(word)) {
        return Meaning::Plain(Activity::EntityChanged);
    }
    let by_category = audit_category.and_then(|category| {
        CATEGORIES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(category.trim()))
            .map(|(_, activity)| *activity)
    });
    Meaning::Plain(by_category.unwrap_or(Activity::ApiCall))
}

fn privilege(kind: PrivilegeKind, name: String) -> Privilege {
    Privilege {
        kind,
        name: name.into(),
        document: None,
    }
}

/// Returns the role named by the `Role.DisplayName` property, else by the target of type
/// Role.
fn role_name(canonical: &Canonical<'_>, targets: &[Target]) -> Option<String> {
    modified_property(canonical, "Role.DisplayName").or_else(|| {
        targets
            .iter()
            .find(|target| target.kind == TargetKind::Role)
            .map(|target| target.display_name().to_owned())
    })
}

/// Returns the application role's value, else the delegated scopes, else the application's
/// name.
fn app_role_name(canonical: &Canonical<'_>, targets: &[Target]) -> Option<String> {
    modified_property(canonical, "AppRole.Value")
        .or_else(|| modified_property(canonical, "DelegatedPermissionGrant.Scope"))
        .or_else(|| modified_property(canonical, "AppRole.DisplayName"))
        .or_else(|| {
            let app = targets
                .iter()
                .find(|target| target.kind == TargetKind::ServicePrincipal)
                .or_else(|| targets.first())?;
            app.name.as_deref().map(str::to_owned)
        })
}

/// Tells a new secret or certificate from a removed one. Both are logged under the same
/// name, but a removal leaves fewer key descriptions after the change than before.
fn secrets_activity(canonical: &Canonical<'_>) -> Activity {
    let arena = json::Arena::new();
    let count = |side: &str| {
        property_entry(canonical, "KeyDescription")
            .and_then(|entry| json::str_at(entry, &[side]))
            .and_then(|text| json::parse_str(text, &arena).ok())
            .and_then(|value| value.as_array().map(<[Value]>::len))
    };
    match (count("oldValue"), count("newValue")) {
        (Some(old), Some(new)) if new < old => Activity::EntityChanged,
        _ => Activity::CredentialCreated,
    }
}

/// Returns the first `modifiedProperties` entry named `name` among the targets.
fn property_entry<'a>(canonical: &'a Canonical<'_>, name: &str) -> Option<&'a Value<'a>> {
    let targets = canonical.resource.get(&["targetResources"])?.as_array()?;
    targets
        .iter()
        .filter_map(|target| json::get(target, &["modifiedProperties"])?.as_array())
        .flatten()
        .find(|entry| {
            json::str_at(entry, &["displayName"])
                .is_some_and(|display| display.trim().eq_ignore_ascii_case(name))
        })
}

/// Returns the new value of a modified property, else its old value, which is all a
/// removal carries. Entra writes the values as JSON text (`"\"Global Administrator\""`,
/// `"[\"x\"]"`), so the quotes are removed.
fn modified_property(canonical: &Canonical<'_>, name: &str) -> Option<String> {
    let entry = property_entry(canonical, name)?;
    let written =
        json::str_at(entry, &["newValue"]).or_else(|| json::str_at(entry, &["oldValue"]))?;
    let arena = json::Arena::new();
    let value = match json::parse_str(written, &arena) {
        Ok(Value::String(text)) => text.to_owned(),
        Ok(Value::Array(items)) => items.first()?.as_str()?.to_owned(),
        _ => written.to_owned(),
    };
    let value = value.trim();
    json::present(value).map(str::to_owned)
}

/// Returns the value of a key that Graph writes as `type` and some exports as `Type`.
fn field_any_case<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    json::str_at(object, &[key]).or_else(|| {
        object
            .as_object()?
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .and_then(|(_, value)| value.as_str())
            .and_then(json::present)
    })
}

fn targets(canonical: &Canonical<'_>, strings: &StringCache) -> Vec<Target> {
    let Some(resources) = canonical
        .resource
        .get(&["targetResources"])
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    resources
        .iter()
        .filter_map(|resource| {
            let name = field_any_case(resource, "userPrincipalName")
                .or_else(|| field_any_case(resource, "displayName"));
            let id = field_any_case(resource, "id").or(name)?;
            let kind = match field_any_case(resource, "type").map(str::to_ascii_lowercase) {
                Some(kind) => match kind.as_str() {
                    "user" => TargetKind::User,
                    "group" => TargetKind::Group,
                    "role" => TargetKind::Role,
                    "application" => TargetKind::Application,
                    "serviceprincipal" => TargetKind::ServicePrincipal,
                    "device" => TargetKind::Device,
                    "policy" => TargetKind::Policy,
                    _ => TargetKind::Resource,
                },
                None => TargetKind::Resource,
            };
            // A user or a device belongs to one person, so its text is not shared.
            let text = |text: &str| match kind {
                TargetKind::User | TargetKind::Device => Arc::from(text.trim()),
                _ => strings.share(text.trim()),
            };
            let mut target = Target::new(kind, text(id));
            target.name = name.map(text);
            Some(target)
        })
        .collect()
}

/// Names group and role targets that have no display name from the `Group.DisplayName`
/// and `Role.DisplayName` properties that Entra writes on the member's entry.
fn name_unnamed_targets(canonical: &Canonical<'_>, targets: &mut [Target], strings: &StringCache) {
    for target in targets.iter_mut().filter(|target| target.name.is_none()) {
        let property = match target.kind {
            TargetKind::Group => "Group.DisplayName",
            TargetKind::Role => "Role.DisplayName",
            _ => continue,
        };
        target.name = modified_property(canonical, property).map(|name| strings.share(&name));
    }
}

/// Reads who acted: the user or the application of `initiatedBy`, else the envelope's
/// `identity` (a display name such as "Microsoft Azure AD Internal - Jit Provisioning").
fn actor(canonical: &Canonical<'_>, strings: &StringCache) -> IdentityRef {
    let initiated = |path: &[&str]| canonical.resource.str_at(path);
    let user = common::user_identity(
        initiated(&["initiatedBy", "user", "id"]),
        initiated(&["initiatedBy", "user", "userPrincipalName"]),
        initiated(&["initiatedBy", "user", "displayName"]),
    );
    // "Managed Service Identity" apps are still the application that acted.
    let app = || {
        common::app_identity(
            IdentityKind::EntraServicePrincipal,
            initiated(&["initiatedBy", "app", "servicePrincipalId"])
                .or_else(|| initiated(&["initiatedBy", "app", "appId"])),
            initiated(&["initiatedBy", "app", "displayName"])
                .or_else(|| initiated(&["initiatedBy", "app", "servicePrincipalName"])),
            strings,
        )
    };
    let named = || {
        let identity = strings.share(common::envelope_text(canonical, "identity")?.trim());
        let mut named = IdentityRef::new(
            Provider::Entra,
            Arc::clone(&identity),
            IdentityKind::Unknown,
        );
        named.name = Some(identity);
        Some(named)
    };
    user.or_else(app)
        .or_else(named)
        .unwrap_or_else(|| IdentityRef::unknown(Provider::Entra))
}

fn source(canonical: &Canonical<'_>, strings: &StringCache) -> Source {
    let address = canonical
        .resource
        .str_at(&["initiatedBy", "user", "ipAddress"])
        .or_else(|| common::envelope_text(canonical, "callerIpAddress"));
    let mut source = Source::new(common::origin(address));
    source.user_agent =
        additional_detail(canonical, "User-Agent").map(|agent| strings.share(agent));
    source
}

/// Returns the value of an `additionalDetails` entry.
fn additional_detail<'a>(canonical: &'a Canonical<'_>, key: &str) -> Option<&'a str> {
    canonical
        .resource
        .get(&["additionalDetails"])?
        .as_array()?
        .iter()
        .find(|entry| {
            json::str_at(entry, &["key"]).is_some_and(|name| name.eq_ignore_ascii_case(key))
        })
        .and_then(|entry| json::str_at(entry, &["value"]))
}

fn outcome(canonical: &Canonical<'_>) -> (Outcome, Option<Box<str>>) {
    let result = text(canonical, "result").map(str::to_ascii_lowercase);
    let outcome = match result.as_deref() {
        Some("success") => Outcome::Success,
        Some("failure" | "timeout") => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    let reason = (outcome == Outcome::Failure)
        .then(|| {
            text(canonical, "resultReason")
                .or_else(|| common::envelope_text(canonical, "resultDescription"))
        })
        .flatten()
        .map(|reason| Box::from(reason.trim()));
    (outcome, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Normalized;
    use crate::entra;
    use crate::json::test_record as json;

    fn event(record: &Value) -> Event {
        let context = RecordContext {
            location: None,
            raw: crate::RawRecord::Bytes(b"{}"),
            strings: &StringCache::new(),
        };
        match entra::normalize(record, &context).unwrap() {
            Normalized::Event(event) => *event,
            Normalized::Unsupported { category } => panic!("unsupported {category}"),
        }
    }

    fn audit(name: &str, targets: Value<'static>) -> Value<'static> {
        json!({
            "id": "Directory_5c1a7d9e_0001",
            "activityDateTime": "2024-05-01T10:00:00Z",
            "activityDisplayName": name,
            "category": "RoleManagement",
            "loggedByService": "Core Directory",
            "result": "success",
            "initiatedBy": {"user": {"id": "5c1a7d9e-0000-4000-8000-00000000bb01",
                "userPrincipalName": "admin@example.com", "ipAddress": "198.51.100.4"}},
            "targetResources": targets,
        })
    }

    #[test]
    fn role_assignment_names_the_role() {
        let record = audit(
            "Add member to role",
            json!([
                {"id": "5c1a7d9e-0000-4000-8000-00000000bb02", "type": "User",
                 "userPrincipalName": "bob@example.com",
                 "modifiedProperties": [
                    {"displayName": "Role.DisplayName", "oldValue": null,
                     "newValue": "\"Global Administrator\""}]},
                {"id": "62e90394-69f5-4237-9190-012177145e10", "type": "Role",
                 "displayName": "Global Administrator", "modifiedProperties": []}
            ]),
        );
        let event = event(&record);
        assert_eq!(event.activity, Activity::PrivilegeGranted);
        assert_eq!(event.privileges.len(), 1);
        assert_eq!(event.privileges[0].kind, PrivilegeKind::DirectoryRole);
        assert_eq!(&*event.privileges[0].name, "Global Administrator");
        assert_eq!(event.targets[0].kind, TargetKind::User);
        assert_eq!(event.targets[1].kind, TargetKind::Role);
        assert_eq!(event.actor.email.as_deref(), Some("admin@example.com"));
        assert_eq!(
            event.source.origin,
            riposte_model::Origin::Ip("198.51.100.4".parse().unwrap())
        );
    }

    #[test]
    fn pim_variants_grant_and_requests_do_not() {
        assert_eq!(
            meaning("Add member to role completed (PIM activation)", None),
            Meaning::DirectoryRole(Activity::PrivilegeGranted)
        );
        assert_eq!(
            meaning(
                "Add eligible member to role in PIM completed (permanent)",
                None
            ),
            Meaning::DirectoryRole(Activity::PrivilegeGranted)
        );
        assert_eq!(
            meaning("Remove member from role (PIM activation expired)", None),
            Meaning::DirectoryRole(Activity::PrivilegeRevoked)
        );
        assert_eq!(
            meaning(
                "Add member to role requested (PIM activation)",
                Some("RoleManagement")
            ),
            Meaning::Plain(Activity::AccountChanged)
        );
    }

    #[test]
    fn secrets_management_matches_any_dash() {
        for name in [
            "Update application \u{2013} Certificates and secrets management ",
            "Update application - Certificates and secrets management",
            "update application \u{2014}  certificates and secrets management",
        ] {
            assert_eq!(meaning(name, None), Meaning::SecretsManagement, "{name}");
        }
    }

    #[test]
    fn removed_secret_is_not_a_new_credential() {
        let record = audit(
            "Update application \u{2013} Certificates and secrets management ",
            json!([{"id": "app-object-1", "type": "Application", "displayName": "billing",
                "modifiedProperties": [{"displayName": "KeyDescription",
                    "oldValue": "[\"[KeyIdentifier=1,KeyType=Password]\"]",
                    "newValue": "[]"}]}]),
        );
        assert_eq!(event(&record).activity, Activity::EntityChanged);
    }

    #[test]
    fn other_activities_follow_the_category() {
        assert_eq!(
            meaning("Update conditional access policy", Some("Policy")),
            Meaning::Plain(Activity::EntityChanged)
        );
        assert_eq!(
            meaning("Set user manager", Some("UserManagement")),
            Meaning::Plain(Activity::AccountChanged)
        );
        assert_eq!(
            meaning("Something else", Some("Other")),
            Meaning::Plain(Activity::ApiCall)
        );
    }

    #[test]
    fn app_role_assignment_names_the_role_value() {
        let record = audit(
            "Add app role assignment to service principal",
            json!([{"id": "sp-1", "type": "ServicePrincipal", "displayName": "Microsoft Graph",
                "modifiedProperties": [
                    {"displayName": "AppRole.Value", "newValue": "\"Mail.Send\""}]}]),
        );
        let event = event(&record);
        assert_eq!(event.activity, Activity::PrivilegeGranted);
        assert_eq!(event.privileges[0].kind, PrivilegeKind::AppRole);
        assert_eq!(&*event.privileges[0].name, "Mail.Send");
    }
}

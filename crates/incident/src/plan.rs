//! The containment plan of an incident: for every identity its findings concern, the actions
//! that cut the attacker off with the least collateral damage for that kind of identity, then
//! the actions that undo what the findings show was done.
//!
//! Plans are labelled planned: `hunt` never executes them. The API calls are written out so that
//! a responder can run them by hand.

use std::collections::BTreeSet;

use riposte_model::{
    Finding, IdentityKind, IdentityRef, Incident, Plan, PlanStatus, PlannedAction, Provider,
};

/// The deny-all policy statement AWS documents for revoking a role's active sessions: it denies
/// every action to credentials issued before the given time.
const REVOKE_OLDER_SESSIONS_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"<time of execution>"}}}]}"#;

/// Returns the plan for an incident.
pub fn plan_for(incident: &Incident) -> Plan {
    let mut actions: Vec<PlannedAction> = Vec::new();
    let identities = std::iter::once(&incident.identity).chain(&incident.linked_identities);
    for identity in identities {
        let findings: Vec<&Finding> = incident
            .findings
            .iter()
            .filter(|finding| finding.identity.key == identity.key)
            .collect();
        actions.extend(identity_actions(identity, &findings));
    }
    for finding in &incident.findings {
        actions.extend(finding_actions(finding));
    }
    let mut seen = BTreeSet::new();
    actions.retain(|action| seen.insert((action.action, action.target.clone())));
    Plan {
        status: PlanStatus::Planned,
        actions,
    }
}

/// The access keys used in the findings' evidence.
fn keys_used(findings: &[&Finding]) -> Vec<String> {
    let mut keys: Vec<String> = findings
        .iter()
        .flat_map(|finding| &finding.evidence)
        .filter_map(|evidence| evidence.credential.as_deref())
        .filter(|key| key.starts_with("AKIA"))
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Returns the last path segment of an IAM ARN: the user or role name.
fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn action(
    action: &'static str,
    provider: Provider,
    target: impl Into<String>,
    description: impl Into<String>,
    api_calls: Vec<String>,
    reason: impl Into<String>,
) -> PlannedAction {
    PlannedAction {
        action,
        provider,
        target: target.into(),
        description: description.into(),
        api_calls,
        reason: reason.into(),
    }
}

fn identity_actions(identity: &IdentityRef, findings: &[&Finding]) -> Vec<PlannedAction> {
    let id = identity.key.id.as_ref();
    let name = identity.display_name();
    let detections: BTreeSet<&str> = findings.iter().map(|finding| finding.detection).collect();
    match (identity.key.provider, identity.kind) {
        (
            Provider::Aws,
            IdentityKind::AssumedRoleSession
            | IdentityKind::InstanceRoleSession
            | IdentityKind::FunctionRoleSession
            | IdentityKind::WebIdentitySession,
        ) => {
            let Some(session) = &identity.role_session else {
                return Vec::new();
            };
            let workload_note = if identity.kind.is_workload() {
                " The workload fetches fresh credentials on its own and keeps running."
            } else {
                ""
            };
            vec![action(
                "revoke_role_sessions",
                Provider::Aws,
                session.role_arn.to_string(),
                format!(
                    "Deny every action to sessions of role {} issued before the time of execution. \
                     Sessions started after it are not affected.{workload_note}",
                    session.role_name
                ),
                vec![format!(
                    "iam:PutRolePolicy RoleName={} PolicyName=AWSRevokeOlderSessions PolicyDocument={REVOKE_OLDER_SESSIONS_POLICY}",
                    session.role_name
                )],
                format!(
                    "the session `{}` of role {} is in the findings; revoking the role's older \
                     sessions ends it without deleting the role",
                    session.session_name, session.role_name
                ),
            )]
        }
        (Provider::Aws, IdentityKind::IamUserAccessKey) => {
            let user = arn_name(id);
            let keys = keys_used(findings);
            let mut calls = Vec::new();
            if keys.is_empty() {
                calls.push(format!("iam:ListAccessKeys UserName={user}"));
                calls.push(format!(
                    "iam:UpdateAccessKey UserName={user} AccessKeyId=<each active key> Status=Inactive"
                ));
            } else {
                calls.extend(keys.iter().map(|key| {
                    format!("iam:UpdateAccessKey UserName={user} AccessKeyId={key} Status=Inactive")
                }));
            }
            vec![action(
                "deactivate_access_key",
                Provider::Aws,
                if keys.is_empty() {
                    id.to_owned()
                } else {
                    keys.join(", ")
                },
                "Deactivate the access key used in the findings. A deactivated key can be \
                 reactivated, unlike a deleted one.",
                calls,
                format!("IAM user {user} acted with a long-lived access key"),
            )]
        }
        (Provider::Aws, IdentityKind::Human) if id.contains(":user/") => {
            let user = arn_name(id);
            vec![action(
                "delete_login_profile",
                Provider::Aws,
                id.to_owned(),
                format!("Remove the console password of IAM user {user}; access keys are not affected."),
                vec![format!("iam:DeleteLoginProfile UserName={user}")],
                format!("IAM user {user} signed in to the console in the findings"),
            )]
        }
        (Provider::Aws, IdentityKind::AwsRoot) => vec![action(
            "notify",
            Provider::Aws,
            id.to_owned(),
            "The root user cannot be disabled through the API: sign in as root, change its \
             password, delete its access keys and register a new MFA device.",
            Vec::new(),
            "the account's root user is in the findings",
        )],
        (Provider::Okta, IdentityKind::Human) => {
            let mut actions = vec![action(
                "clear_user_sessions",
                Provider::Okta,
                id.to_owned(),
                format!("End every Okta session of {name} and revoke the OAuth tokens issued to them."),
                vec![format!("DELETE /api/v1/users/{id}/sessions?oauthTokens=true")],
                format!("{name}'s session or credentials are in the findings"),
            )];
            if detections.contains("mfa_fatigue") {
                actions.push(action(
                    "reset_factors",
                    Provider::Okta,
                    id.to_owned(),
                    format!("Reset every MFA factor of {name}, so they enrol again in person."),
                    vec![format!("POST /api/v1/users/{id}/lifecycle/reset_factors")],
                    format!("{name} accepted a push after a series of denied ones"),
                ));
            }
            actions
        }
        (Provider::Okta, IdentityKind::OktaServiceApp) => vec![action(
            "revoke_app_tokens",
            Provider::Okta,
            id.to_owned(),
            format!("Revoke every OAuth 2.0 refresh token issued to the application {name}."),
            vec![format!("DELETE /api/v1/apps/{id}/tokens")],
            format!("the service application {name} is in the findings"),
        )],
        (Provider::Entra, IdentityKind::Human) => vec![action(
            "revoke_sign_in_sessions",
            Provider::Entra,
            id.to_owned(),
            format!(
                "Invalidate the refresh tokens and session cookies of {name}, so every application \
                 asks them to sign in again."
            ),
            vec![format!("POST https://graph.microsoft.com/v1.0/users/{id}/revokeSignInSessions")],
            format!("{name}'s session or credentials are in the findings"),
        )],
        (Provider::Entra, IdentityKind::EntraServicePrincipal) => vec![action(
            "disable_service_principal",
            Provider::Entra,
            id.to_owned(),
            format!(
                "Remove the credentials added to the service principal {name} during the incident, \
                 then disable it so no new token is issued to it."
            ),
            vec![
                format!(
                    "POST https://graph.microsoft.com/v1.0/servicePrincipals/{id}/removePassword {{\"keyId\": \"<key id of each credential added during the incident>\"}}"
                ),
                format!(
                    "PATCH https://graph.microsoft.com/v1.0/servicePrincipals/{id} {{\"accountEnabled\": false}}"
                ),
            ],
            format!("the service principal {name} is in the findings"),
        )],
        (Provider::Entra, IdentityKind::EntraManagedIdentity) => vec![action(
            "notify",
            Provider::Entra,
            id.to_owned(),
            format!(
                "Managed identity {name} cannot be disabled on its own: notify the owner of the \
                 Azure resource it belongs to, and remove its role assignments if the resource is \
                 compromised."
            ),
            Vec::new(),
            format!("the managed identity {name} is in the findings"),
        )],
        (provider, IdentityKind::NetworkSource) => vec![action(
            "block_source_address",
            provider,
            name.to_owned(),
            format!(
                "Block {name} at the identity provider: an Okta network zone on the block list, or \
                 an Entra named location blocked by a Conditional Access policy."
            ),
            vec![match provider {
                Provider::Okta => "PUT /api/v1/zones/<block-list zone id> (add the address to `gateways`)".to_owned(),
                Provider::Entra => "PATCH https://graph.microsoft.com/v1.0/identity/conditionalAccess/namedLocations/<id> (add the address to `ipRanges`)".to_owned(),
                Provider::Aws => "add the address to a deny rule of the network firewall or WAF in front of the sign-in".to_owned(),
            }],
            format!("{name} failed authentication for many identities"),
        )],
        _ => Vec::new(),
    }
}

/// Actions that undo what a finding shows the attacker did.
fn finding_actions(finding: &Finding) -> Vec<PlannedAction> {
    let fact = |key: &str| finding.facts.get(key).and_then(serde_json::Value::as_str);
    match finding.detection {
        "credential_for_other_identity" if finding.identity.key.provider == Provider::Aws => {
            let Some(target) = finding.related.first() else {
                return Vec::new();
            };
            let user = arn_name(&target.key.id);
            let key =
                fact("access_key_id").unwrap_or("<the key created at the time of the finding>");
            let operation = finding
                .evidence
                .first()
                .map(|evidence| evidence.operation.as_ref())
                .unwrap_or_default();
            let (name, description, call) = if operation == "CreateAccessKey" {
                (
                    "deactivate_access_key",
                    format!("Deactivate the access key created for IAM user {user}."),
                    format!(
                        "iam:UpdateAccessKey UserName={user} AccessKeyId={key} Status=Inactive"
                    ),
                )
            } else {
                (
                    "delete_login_profile",
                    format!("Remove the console password set for IAM user {user}."),
                    format!("iam:DeleteLoginProfile UserName={user}"),
                )
            };
            vec![action(
                name,
                Provider::Aws,
                if operation == "CreateAccessKey" {
                    key.to_owned()
                } else {
                    target.key.id.to_string()
                },
                description,
                vec![call],
                format!(
                    "{} created a credential for {user}",
                    finding.identity.display_name()
                ),
            )]
        }
        _ => Vec::new(),
    }
}

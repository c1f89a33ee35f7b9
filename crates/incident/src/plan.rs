//! The containment plan of an incident: for every identity its findings concern, the actions
//! that cut the attacker off with the least collateral damage for that kind of identity, then
//! the actions that undo what the findings show was done.
//!
//! Plans are labelled planned: `hunt` never executes them. The API calls are written out so that
//! a responder can run them by hand.

use std::collections::BTreeSet;

use riposte_model::{
    BlastRadiusSummary, Finding, IdentityKind, IdentityRef, Incident, Plan, PlanStatus,
    PlannedAction, Provider,
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
        // The blast radius describes the incident's own identity.
        let radius = (identity.key == incident.identity.key)
            .then_some(incident.blast_radius.as_ref())
            .flatten();
        actions.extend(identity_actions(identity, &findings, radius));
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

/// Returns the long-lived access keys used in the findings' evidence, sorted and unique.
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

fn identity_actions(
    identity: &IdentityRef,
    findings: &[&Finding],
    radius: Option<&BlastRadiusSummary>,
) -> Vec<PlannedAction> {
    let scoped = radius.is_some_and(|radius| radius.scoped_revocation);
    let may_disable = radius.is_none_or(|radius| radius.disablement_allowed);
    let narrowing_secs = radius.and_then(|radius| radius.policy_narrowing_secs);
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
            if scoped {
                return vec![scoped_session_revocation(session, narrowing_secs)];
            }
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
        (Provider::Entra, IdentityKind::EntraServicePrincipal) if !may_disable => vec![action(
            "remove_added_credential",
            Provider::Entra,
            id.to_owned(),
            format!(
                "Remove only the credentials added to the service principal {name} during the \
                 incident; the service principal stays enabled because other workloads depend on it."
            ),
            vec![format!(
                "POST https://graph.microsoft.com/v1.0/servicePrincipals/{id}/removePassword {{\"keyId\": \"<key id of each credential added during the incident>\"}}"
            )],
            format!(
                "the service principal {name} is in the findings and its blast radius rules out \
                 disabling it"
            ),
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

/// Denies every action to the one role session named in the incident, for a limited time, and
/// leaves the role's other sessions alone. `aws:userid` of a role session is
/// `<role id>:<session name>`, so the condition matches that session name only.
fn scoped_session_revocation(
    session: &riposte_model::RoleSession,
    narrowing_secs: Option<u64>,
) -> PlannedAction {
    let duration = narrowing_secs.unwrap_or(3600);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"StringLike":{{"aws:userid":"*:{}"}}}}}}]}}"#,
        session.session_name
    );
    action(
        "revoke_one_role_session",
        Provider::Aws,
        session.role_arn.to_string(),
        format!(
            "Deny every action to the session `{}` of role {} for {} s, then remove the \
             policy; the role's other sessions keep working.",
            session.session_name, session.role_name, duration
        ),
        vec![
            format!(
                "iam:PutRolePolicy RoleName={} PolicyName=RiposteDenySession PolicyDocument={policy}",
                session.role_name
            ),
            format!(
                "after {duration} s: iam:DeleteRolePolicy RoleName={} PolicyName=RiposteDenySession",
                session.role_name
            ),
        ],
        format!(
            "the role {} has a high blast radius, so only the session seen in the incident is \
             revoked",
            session.role_name
        ),
    )
}

/// Actions that undo what a finding shows the attacker did.
fn finding_actions(finding: &Finding) -> Vec<PlannedAction> {
    match finding.detection {
        "credential_for_other_identity" => credential_actions(finding),
        "privilege_grant" => privilege_actions(finding),
        "trust_policy_changed" => trust_actions(finding),
        _ => Vec::new(),
    }
}

fn fact<'a>(finding: &'a Finding, key: &str) -> Option<&'a str> {
    finding.facts.get(key).and_then(serde_json::Value::as_str)
}

fn credential_actions(finding: &Finding) -> Vec<PlannedAction> {
    let Some(target) = finding.related.first() else {
        return Vec::new();
    };
    let actor = finding.identity.display_name();
    let operation = fact(finding, "operation").unwrap_or_default();
    match finding.identity.key.provider {
        Provider::Aws => {
            let user = arn_name(&target.key.id);
            if operation == "CreateAccessKey" {
                let key = fact(finding, "access_key_id")
                    .unwrap_or("<the key created at the time of the finding>");
                vec![action(
                    "deactivate_access_key",
                    Provider::Aws,
                    key.to_owned(),
                    format!("Deactivate the access key created for IAM user {user}."),
                    vec![format!(
                        "iam:UpdateAccessKey UserName={user} AccessKeyId={key} Status=Inactive"
                    )],
                    format!("{actor} created an access key for {user}"),
                )]
            } else {
                vec![action(
                    "delete_login_profile",
                    Provider::Aws,
                    target.key.id.to_string(),
                    format!("Remove the console password set for IAM user {user}."),
                    vec![format!("iam:DeleteLoginProfile UserName={user}")],
                    format!("{actor} set a console password for {user}"),
                )]
            }
        }
        Provider::Entra => {
            let id = &target.key.id;
            let name = target.display_name();
            vec![action(
                "remove_added_credential",
                Provider::Entra,
                id.to_string(),
                format!("Remove the secret or certificate added to {name}."),
                vec![format!(
                    "POST https://graph.microsoft.com/v1.0/servicePrincipals/{id}/removePassword {{\"keyId\": \"<key id from the audit record>\"}} (for an application object: POST https://graph.microsoft.com/v1.0/applications/{id}/removePassword)"
                )],
                format!("{actor} added a credential to {name}"),
            )]
        }
        Provider::Okta => {
            let id = &target.key.id;
            let name = target.display_name();
            vec![action(
                "clear_user_sessions",
                Provider::Okta,
                id.to_string(),
                format!(
                    "End the sessions of {name}, whose password or factors were reset by {actor}, \
                     and have them confirm the reset was expected."
                ),
                vec![format!(
                    "DELETE /api/v1/users/{id}/sessions?oauthTokens=true"
                )],
                format!("{actor} reset a credential of {name}"),
            )]
        }
    }
}

fn privilege_actions(finding: &Finding) -> Vec<PlannedAction> {
    let grantee = finding.facts.get("grantee");
    let grantee_id = grantee
        .and_then(|grantee| grantee.get("id"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or("<grantee>");
    let grantee_name = grantee
        .and_then(|grantee| grantee.get("name"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| arn_name(grantee_id));
    let privileges: Vec<&str> = finding
        .facts
        .get("privileges")
        .and_then(serde_json::Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|privilege| privilege.get("name").and_then(serde_json::Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let operation = fact(finding, "operation").unwrap_or_default();
    let actor = finding.identity.display_name();
    let calls: Vec<String> = match finding.identity.key.provider {
        Provider::Aws => privileges
            .iter()
            .map(|privilege| match operation {
                "AttachUserPolicy" => {
                    format!("iam:DetachUserPolicy UserName={grantee_name} PolicyArn={privilege}")
                }
                "AttachRolePolicy" => {
                    format!("iam:DetachRolePolicy RoleName={grantee_name} PolicyArn={privilege}")
                }
                "AttachGroupPolicy" => {
                    format!("iam:DetachGroupPolicy GroupName={grantee_name} PolicyArn={privilege}")
                }
                "PutUserPolicy" => {
                    format!("iam:DeleteUserPolicy UserName={grantee_name} PolicyName={privilege}")
                }
                "PutRolePolicy" => {
                    format!("iam:DeleteRolePolicy RoleName={grantee_name} PolicyName={privilege}")
                }
                "PutGroupPolicy" => {
                    format!("iam:DeleteGroupPolicy GroupName={grantee_name} PolicyName={privilege}")
                }
                other => format!("undo {other} of {privilege} on {grantee_name}"),
            })
            .collect(),
        Provider::Okta => {
            let path = if operation.starts_with("group.") {
                "groups"
            } else {
                "users"
            };
            vec![
                format!("GET /api/v1/{path}/{grantee_id}/roles"),
                format!(
                    "DELETE /api/v1/{path}/{grantee_id}/roles/<id of the {} assignment>",
                    privileges.join(", ")
                ),
            ]
        }
        Provider::Entra => vec![
            format!(
                "GET https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{grantee_id}'"
            ),
            format!(
                "DELETE https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments/<id of the {} assignment>",
                privileges.join(", ")
            ),
        ],
    };
    if calls.is_empty() {
        return Vec::new();
    }
    vec![action(
        "revoke_granted_privilege",
        finding.identity.key.provider,
        grantee_id.to_owned(),
        format!("Remove {} from {grantee_name}.", privileges.join(", ")),
        calls,
        format!(
            "{actor} granted {} to {grantee_name}",
            privileges.join(", ")
        ),
    )]
}

fn trust_actions(finding: &Finding) -> Vec<PlannedAction> {
    let role = fact(finding, "role").unwrap_or("<role>");
    let role_name = arn_name(role);
    let target = fact(finding, "role_id").unwrap_or(role);
    vec![action(
        "restrict_trust_policy",
        Provider::Aws,
        target.to_owned(),
        format!(
            "Set the trust policy of role {role_name} back to principals of the account only. \
             IAM keeps no history of trust policies: take the previous one from infrastructure \
             code or from the CloudTrail record that last set it."
        ),
        vec![format!(
            "iam:UpdateAssumeRolePolicy RoleName={role_name} PolicyDocument=<the previous trust policy>"
        )],
        format!(
            "{} changed who may assume role {role_name}",
            finding.identity.display_name()
        ),
    )]
}

use std::path::Path;

use chrono::{TimeZone, Utc};
use riposte_model::{
    Activity, Credential, Event, IdentityKey, IdentityKind, IdentityRef, Outcome, Provider,
    RoleSession, Source, SourceFormat,
};

use super::*;
use crate::inventory::Inventory;
use crate::kind::NhiKind;

const ENGINEERING: &str = "arn:aws:iam::111111111111:role/Engineering";

fn inventory(text: &str) -> Inventory {
    match Inventory::parse(text, Path::new("inventory.yaml")) {
        Ok(inventory) => inventory,
        Err(errors) => panic!("{errors}"),
    }
}

fn key(provider: Provider, id: &str) -> IdentityKey {
    IdentityKey {
        provider,
        id: id.into(),
    }
}

fn event(event_id: &str, actor: IdentityRef) -> Event {
    Event {
        format: SourceFormat::CloudTrail,
        event_id: event_id.into(),
        time: Utc.with_ymd_and_hms(2024, 5, 7, 8, 43, 5).unwrap(),
        activity: Activity::ApiCall,
        operation: "GetCallerIdentity".into(),
        service: None,
        outcome: Outcome::Success,
        outcome_reason: None,
        actor,
        credential: Credential::unknown(),
        session_id: None,
        root_session_id: None,
        token_id: None,
        source: Source::default(),
        interactive: None,
        mfa: None,
        targets: Vec::new(),
        privileges: Vec::new(),
        risk: None,
        account: None,
        location: None,
    }
}

/// Builds a role session as the CloudTrail normalizer does, which copies an e-mail-shaped
/// session name or source identity into `email`.
fn role_session(role_arn: &str, session_name: &str, source_identity: Option<&str>) -> IdentityRef {
    let role_name = role_arn.rsplit('/').next().unwrap();
    let id = format!("arn:aws:sts::111111111111:assumed-role/{role_name}/{session_name}");
    let mut actor = IdentityRef::new(Provider::Aws, id, IdentityKind::AssumedRoleSession);
    actor.name = Some(role_name.into());
    actor.email = [Some(session_name), source_identity]
        .into_iter()
        .flatten()
        .find(|name| name.contains('@'))
        .map(Arc::from);
    actor.role_session = Some(RoleSession {
        role_arn: role_arn.into(),
        role_name: role_name.into(),
        session_name: session_name.into(),
        source_identity: source_identity.map(Arc::from),
    });
    actor
}

fn user(provider: Provider, id: &str, email: Option<&str>) -> IdentityRef {
    let mut actor = IdentityRef::new(provider, id, IdentityKind::Human);
    actor.email = email.map(Arc::from);
    actor
}

fn sources(resolved: &ResolvedIdentity, account: &IdentityKey) -> Vec<LinkSource> {
    resolved
        .accounts
        .iter()
        .find(|linked| &linked.key == account)
        .map(|linked| linked.links.iter().map(|record| record.source).collect())
        .unwrap_or_default()
}

#[test]
fn federation_session_name_links_role_session_to_person() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let actor = role_session(ENGINEERING, "alice@example.com", None);
    let links = graph.observe(&event("ct-1", actor.clone()));
    assert_eq!(
        links,
        [Link {
            key: actor.key.clone(),
            entity: EntityId::Person("alice@example.com".into()),
            source: LinkSource::FederationSessionName,
            evidence: Evidence::Event {
                event_id: "ct-1".into()
            },
        }]
    );
    let resolved = graph.resolve(&actor.key);
    assert_eq!(&*resolved.id, "person:alice@example.com");
    assert_eq!(resolved.kind, ResolvedKind::Human);
    assert_eq!(resolved.email.as_deref(), Some("alice@example.com"));
    assert!(!resolved.in_inventory);
}

#[test]
fn source_identity_links_role_session_to_person() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let actor = role_session(ENGINEERING, "deploy-17", Some("bob@example.com"));
    let links = graph.observe(&event("ct-2", actor.clone()));
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].source, LinkSource::SourceIdentity);
    assert_eq!(&*graph.resolve(&actor.key).id, "person:bob@example.com");
}

#[test]
fn declared_login_links_session_named_after_it() {
    let mut graph = IdentityGraph::new(inventory(
        "people:\n  - email: alice@example.com\n    accounts:\n      okta: {login: amartins}\n",
    ));
    let actor = role_session(ENGINEERING, "AMartins", None);
    let links = graph.observe(&event("ct-3", actor.clone()));
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].source, LinkSource::FederationSessionName);
    let resolved = graph.resolve(&actor.key);
    assert_eq!(&*resolved.id, "person:alice@example.com");
    assert!(resolved.in_inventory);
}

#[test]
fn identity_center_user_id_links_to_person() {
    let mut graph = IdentityGraph::new(inventory(
        "people:\n  - email: carol@example.com\n    accounts:\n      aws:\n        \
         identity_center_users: [906712ab34-5c6d-4e7f-8a9b-0c1d2e3f4a5b]\n",
    ));
    let actor = user(
        Provider::Aws,
        "identitystore:d-1234567890/906712ab34-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
        None,
    );
    let links = graph.observe(&event("ct-4", actor.clone()));
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].source, LinkSource::IdentityCenter);
    assert_eq!(
        links[0].evidence,
        Evidence::Event {
            event_id: "ct-4".into()
        }
    );
    assert_eq!(&*graph.resolve(&actor.key).id, "person:carol@example.com");
}

#[test]
fn entra_upn_and_okta_login_join_one_person() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let okta = user(
        Provider::Okta,
        "00uX7UKJJKP1SWh7yHw2",
        Some("alice@example.com"),
    );
    let entra = user(
        Provider::Entra,
        "5f03d160-159a-40d3-83a2-c59a1e0632f9",
        Some("Alice@Example.com"),
    );
    let okta_links = graph.observe(&event("okta-1", okta.clone()));
    let entra_links = graph.observe(&event("entra-1", entra.clone()));
    assert_eq!(okta_links[0].source, LinkSource::Email);
    assert_eq!(entra_links[0].source, LinkSource::Upn);

    let resolved = graph.resolve(&okta.key);
    assert_eq!(&*resolved.id, "person:alice@example.com");
    assert_eq!(graph.resolve(&entra.key).id, resolved.id);
    assert_eq!(sources(&resolved, &okta.key), [LinkSource::Email]);
    assert_eq!(sources(&resolved, &entra.key), [LinkSource::Upn]);
}

#[test]
fn inventory_links_declared_accounts_without_events() {
    let graph = IdentityGraph::new(inventory(
        "people:\n  - name: Alice Martins\n    email: alice@example.com\n    accounts:\n      \
         okta: {user_id: 00uX7UKJJKP1SWh7yHw2}\n",
    ));
    let okta = key(Provider::Okta, "00uX7UKJJKP1SWh7yHw2");
    let resolved = graph.resolve(&okta);
    assert_eq!(&*resolved.id, "person:alice@example.com");
    assert_eq!(resolved.name.as_deref(), Some("Alice Martins"));
    assert_eq!(resolved.inventory_line, Some(2));
    assert_eq!(
        resolved.accounts,
        [LinkedAccount {
            key: okta,
            links: vec![LinkRecord {
                source: LinkSource::Inventory,
                evidence: Evidence::Inventory { line: 2 },
            }],
        }]
    );
}

#[test]
fn inventory_links_are_not_returned_by_observe() {
    let mut graph = IdentityGraph::new(inventory(
        "people:\n  - email: alice@example.com\n    accounts:\n      aws:\n        \
         role_sessions: [Engineering/alice@example.com]\n",
    ));
    let actor = role_session(ENGINEERING, "alice@example.com", None);
    let links = graph.observe(&event("ct-5", actor.clone()));
    let returned: Vec<LinkSource> = links.iter().map(|link| link.source).collect();
    assert_eq!(returned, [LinkSource::FederationSessionName]);
    let resolved = graph.resolve(&actor.key);
    assert_eq!(
        sources(&resolved, &actor.key),
        [LinkSource::Inventory, LinkSource::FederationSessionName]
    );
}

#[test]
fn repeated_event_adds_no_link() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let actor = role_session(ENGINEERING, "alice@example.com", None);
    assert_eq!(graph.observe(&event("ct-6", actor.clone())).len(), 1);
    let nodes = graph.len();
    assert!(graph.observe(&event("ct-7", actor.clone())).is_empty());
    assert_eq!(graph.len(), nodes);
    let resolved = graph.resolve(&actor.key);
    let account = &resolved.accounts[0];
    assert_eq!(account.links.len(), 1);
    assert_eq!(
        account.links[0].evidence,
        Evidence::Event {
            event_id: "ct-6".into()
        }
    );
}

#[test]
fn display_name_never_links() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let mut actor = IdentityRef::new(Provider::Okta, "00u2", IdentityKind::Human);
    actor.name = Some("Alice Martins".into());
    assert!(graph.observe(&event("okta-2", actor.clone())).is_empty());
    assert!(graph.is_empty());
    assert_eq!(&*graph.resolve(&actor.key).id, "okta:00u2");
}

#[test]
fn address_without_dotted_domain_never_links() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let actor = role_session(ENGINEERING, "alice@localhost", None);
    assert!(graph.observe(&event("ct-8", actor)).is_empty());
    assert!(graph.is_empty());
}

#[test]
fn failed_authentication_links_nothing() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let actor = user(
        Provider::Entra,
        "guessed@example.com",
        Some("guessed@example.com"),
    );
    let mut failed = event("entra-2", actor);
    failed.activity = Activity::SignIn;
    failed.outcome = Outcome::Failure;
    assert!(graph.observe(&failed).is_empty());
    assert!(graph.is_empty());
}

#[test]
fn provider_system_links_nothing() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let mut actor = IdentityRef::new(Provider::Okta, "0oa1", IdentityKind::ProviderSystem);
    actor.email = Some("system@okta.com".into());
    assert!(graph.observe(&event("okta-3", actor)).is_empty());
}

#[test]
fn second_person_for_one_account_is_a_conflict() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let actor = role_session(ENGINEERING, "alice@example.com", Some("bob@example.com"));
    let links = graph.observe(&event("ct-9", actor.clone()));
    assert_eq!(links.len(), 1);
    assert_eq!(&*graph.resolve(&actor.key).id, "person:alice@example.com");
    let conflicts = graph.take_conflicts();
    assert_eq!(
        conflicts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "`aws:arn:aws:sts::111111111111:assumed-role/Engineering/alice@example.com` is \
          linked to `person:alice@example.com`: ignoring the link to `person:bob@example.com` \
          from `source_identity` in event `ct-9`"
        ]
    );
    graph.observe(&event("ct-10", actor));
    assert!(graph.take_conflicts().is_empty());
}

#[test]
fn inventory_kind_wins_over_log_kind() {
    let mut graph = IdentityGraph::new(inventory(
        "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:user/ci-deploy\n    \
         kind: access_key\n",
    ));
    let ci = key(Provider::Aws, "arn:aws:iam::111111111111:user/ci-deploy");
    let mut console = IdentityRef::new(Provider::Aws, &*ci.id, IdentityKind::Human);
    console.name = Some("ci-deploy".into());
    graph.observe(&event("ct-11", console.clone()));

    let resolved = graph.resolve(&ci);
    assert_eq!(resolved.kind, ResolvedKind::Nhi(NhiKind::AccessKey));
    let conflict = resolved.kind_conflict.expect("a kind conflict");
    assert_eq!(conflict.observed, IdentityKind::Human);
    assert_eq!(conflict.declared, ResolvedKind::Nhi(NhiKind::AccessKey));

    let conflicts = graph.take_conflicts();
    assert_eq!(
        conflicts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "inventory line 2 declares `aws:arn:aws:iam::111111111111:user/ci-deploy` as \
          `access_key`, but event `ct-11` shows `human`: using the inventory's kind"
        ]
    );
    graph.observe(&event("ct-12", console));
    assert!(graph.take_conflicts().is_empty(), "reported once");
}

#[test]
fn matching_log_kind_is_no_conflict() {
    let mut graph = IdentityGraph::new(inventory(
        "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:user/ci-deploy\n    \
         kind: access_key\n",
    ));
    let actor = IdentityRef::new(
        Provider::Aws,
        "arn:aws:iam::111111111111:user/ci-deploy",
        IdentityKind::IamUserAccessKey,
    );
    graph.observe(&event("ct-13", actor.clone()));
    assert!(graph.take_conflicts().is_empty());
    assert_eq!(graph.resolve(&actor.key).kind_conflict, None);
}

#[test]
fn person_account_seen_as_workload_is_a_conflict() {
    let mut graph = IdentityGraph::new(inventory(
        "people:\n  - email: alice@example.com\n    accounts:\n      okta: {user_id: 00u9}\n",
    ));
    let actor = IdentityRef::new(Provider::Okta, "00u9", IdentityKind::OktaServiceApp);
    graph.observe(&event("okta-4", actor.clone()));
    let resolved = graph.resolve_ref(&actor);
    assert_eq!(resolved.kind, ResolvedKind::Human);
    assert_eq!(
        resolved.kind_conflict.map(|conflict| conflict.observed),
        Some(IdentityKind::OktaServiceApp)
    );
    assert_eq!(graph.take_conflicts().len(), 1);
}

#[test]
fn sessions_of_declared_role_resolve_to_the_workload() {
    let mut graph = IdentityGraph::new(inventory(
        "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:role/app-server\n    \
         kind: instance_role\n    environment: prod\n    criticality: high\n    owner: \
         carol@example.com\n    dependents: [application server]\n",
    ));
    let mut actor = role_session(
        "arn:aws:iam::111111111111:role/app-server",
        "i-0abc4f2d9e81c7350",
        None,
    );
    actor.kind = IdentityKind::InstanceRoleSession;
    assert!(
        graph.observe(&event("ct-14", actor.clone())).is_empty(),
        "inventory links are not returned"
    );
    let resolved = graph.resolve(&actor.key);
    assert_eq!(
        &*resolved.id,
        "aws:arn:aws:iam::111111111111:role/app-server"
    );
    assert_eq!(resolved.kind, ResolvedKind::Nhi(NhiKind::InstanceRole));
    assert_eq!(resolved.environment, Some(Environment::Prod));
    assert_eq!(resolved.criticality, Some(Criticality::High));
    assert_eq!(resolved.owner.as_deref(), Some("carol@example.com"));
    assert_eq!(resolved.kind_conflict, None);
    assert_eq!(sources(&resolved, &actor.key), [LinkSource::Inventory]);
}

#[test]
fn unseen_session_of_declared_role_resolves_from_inventory() {
    let graph = IdentityGraph::new(inventory(
        "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:role/app-server\n    \
         kind: instance_role\n",
    ));
    let session = key(
        Provider::Aws,
        "arn:aws:sts::111111111111:assumed-role/app-server/i-0123456789abcdef0",
    );
    let resolved = graph.resolve(&session);
    assert_eq!(
        &*resolved.id,
        "aws:arn:aws:iam::111111111111:role/app-server"
    );
    assert_eq!(sources(&resolved, &session), [LinkSource::Inventory]);
}

#[test]
fn person_named_by_session_wins_over_declared_role() {
    let mut graph = IdentityGraph::new(inventory(
        "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:role/Engineering\n    \
         kind: role_session\n",
    ));
    let actor = role_session(ENGINEERING, "alice@example.com", None);
    graph.observe(&event("ct-15", actor.clone()));
    assert_eq!(&*graph.resolve(&actor.key).id, "person:alice@example.com");
    assert_eq!(graph.take_conflicts().len(), 1);
}

#[test]
fn workload_alias_resolves_to_the_workload() {
    let graph = IdentityGraph::new(inventory(
        "non_human_identities:\n  - id: entra:ba67b742-9b49-42df-ae47-f2ffb2a5948b\n    kind: \
         service_principal\n    aliases: [\"aws:arn:aws:iam::111111111111:role/inventory-sync\"]\n",
    ));
    let alias = key(
        Provider::Aws,
        "arn:aws:iam::111111111111:role/inventory-sync",
    );
    let resolved = graph.resolve(&alias);
    assert_eq!(&*resolved.id, "entra:ba67b742-9b49-42df-ae47-f2ffb2a5948b");
    let keys: Vec<String> = resolved
        .accounts
        .iter()
        .map(|account| account.key.to_string())
        .collect();
    assert_eq!(
        keys,
        [
            "aws:arn:aws:iam::111111111111:role/inventory-sync",
            "entra:ba67b742-9b49-42df-ae47-f2ffb2a5948b",
        ]
    );
}

#[test]
fn break_glass_account_marks_its_person() {
    let graph = IdentityGraph::new(inventory(
        "people:\n  - email: dave@example.com\n    accounts:\n      okta: {user_id: 00uBG}\n\
         break_glass: [\"okta:00uBG\"]\n",
    ));
    let resolved = graph.resolve(&key(Provider::Okta, "00uBG"));
    assert!(resolved.break_glass);
    assert_eq!(resolved.break_glass_keys, [key(Provider::Okta, "00uBG")]);
}

#[test]
fn unlinked_key_resolves_to_itself_with_log_kind() {
    let graph = IdentityGraph::new(Inventory::default());
    let actor = IdentityRef::new(
        Provider::Aws,
        "arn:aws:iam::111111111111:user/ci-deploy",
        IdentityKind::IamUserAccessKey,
    );
    let resolved = graph.resolve_ref(&actor);
    assert_eq!(
        &*resolved.id,
        "aws:arn:aws:iam::111111111111:user/ci-deploy"
    );
    assert_eq!(resolved.kind, ResolvedKind::Nhi(NhiKind::AccessKey));
    assert!(!resolved.in_inventory);
    assert_eq!(resolved.accounts.len(), 1);
    assert!(resolved.accounts[0].links.is_empty());
}

#[test]
fn restored_links_resolve_as_observed() {
    let mut first = IdentityGraph::new(Inventory::default());
    let actor = role_session(ENGINEERING, "alice@example.com", None);
    let links = first.observe(&event("ct-16", actor.clone()));

    let mut second = IdentityGraph::new(Inventory::default());
    for link in &links {
        assert!(second.restore(link));
    }
    assert_eq!(second.resolve(&actor.key), first.resolve(&actor.key));
}

#[test]
fn restore_rejects_workload_no_longer_declared() {
    let mut graph = IdentityGraph::new(Inventory::default());
    let link = Link {
        key: key(Provider::Aws, "arn:aws:iam::111111111111:role/old"),
        entity: EntityId::Workload(key(Provider::Aws, "arn:aws:iam::111111111111:user/gone")),
        source: LinkSource::Email,
        evidence: Evidence::Event {
            event_id: "ct-17".into(),
        },
    };
    assert!(!graph.restore(&link));
}

#[test]
fn full_graph_drops_and_counts_new_links() {
    let limits = GraphLimits {
        max_nodes: 3,
        max_pending_conflicts: 10,
    };
    let mut graph = IdentityGraph::with_limits(Inventory::default(), limits);
    for (index, name) in ["alice", "bob", "carol"].iter().enumerate() {
        let actor = role_session(ENGINEERING, &format!("{name}@example.com"), None);
        graph.observe(&event(&format!("ct-{index}"), actor));
    }
    assert_eq!(graph.len(), 3);
    // Bob's account and Carol's person and account found no room.
    assert_eq!(graph.dropped_links(), 2);
    let carol = role_session(ENGINEERING, "carol@example.com", None);
    assert_eq!(&*graph.resolve(&carol.key).id, &*carol.key.to_string());
}

#[test]
fn pending_conflicts_are_capped() {
    let limits = GraphLimits {
        max_nodes: 100,
        max_pending_conflicts: 1,
    };
    let mut graph = IdentityGraph::with_limits(Inventory::default(), limits);
    for name in ["a", "b"] {
        let actor = role_session(
            ENGINEERING,
            &format!("{name}@example.com"),
            Some("other@example.com"),
        );
        graph.observe(&event(name, actor));
    }
    assert_eq!(graph.take_conflicts().len(), 1);
    assert_eq!(graph.dropped_conflicts(), 1);
}

#[test]
fn example_scenario_identities_resolve() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory.yaml");
    let mut graph = IdentityGraph::new(Inventory::load(&path).unwrap());
    let alice_session = role_session(ENGINEERING, "alice@example.com", None);
    graph.observe(&event("ct-18", alice_session.clone()));
    let alice = graph.resolve(&alice_session.key);
    assert_eq!(&*alice.id, "person:alice@example.com");
    let keys: Vec<String> = alice
        .accounts
        .iter()
        .map(|account| account.key.to_string())
        .collect();
    assert_eq!(
        keys,
        [
            "aws:arn:aws:sts::111111111111:assumed-role/Engineering/alice@example.com",
            "entra:5f03d160-159a-40d3-83a2-c59a1e0632f9",
            "okta:00uX7UKJJKP1SWh7yHw2",
        ]
    );
    let root = graph.resolve(&key(Provider::Aws, "arn:aws:iam::111111111111:root"));
    assert!(root.break_glass);
}

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use riposte_model::{IdentityKey, Provider};

use super::*;

fn parse(text: &str) -> Result<Inventory, InventoryErrors> {
    Inventory::parse(text, Path::new("inventory.yaml"))
}

fn messages(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(errors) => errors.messages(),
    }
}

fn key(provider: Provider, id: &str) -> IdentityKey {
    IdentityKey {
        provider,
        id: id.into(),
    }
}

#[test]
fn example_inventory_loads_cleanly() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/inventory.yaml");
    let inventory = match Inventory::load(&path) {
        Ok(inventory) => inventory,
        Err(errors) => panic!("{errors}"),
    };
    assert_eq!(inventory.people.len(), 5);
    assert_eq!(inventory.non_human_identities.len(), 4);
    assert_eq!(
        inventory.break_glass,
        [key(Provider::Aws, "arn:aws:iam::111111111111:root")]
    );
    let alice = &inventory.people[0];
    assert_eq!(&*alice.email, "alice@example.com");
    assert_eq!(alice.name.as_deref(), Some("Alice Martins"));
    assert_eq!(
        alice.accounts.aws.role_sessions,
        [RoleSessionPattern::InRole {
            role: "Engineering".into(),
            session: "alice@example.com".into()
        }]
    );
    let ci = &inventory.non_human_identities[0];
    assert_eq!(ci.kind, NhiKind::AccessKey);
    assert_eq!(ci.environment, Some(Environment::Prod));
    assert_eq!(ci.criticality, Some(Criticality::Medium));
    assert_eq!(ci.owner.as_deref(), Some("dave@example.com"));
    assert_eq!(ci.tags, [Box::from("ci")]);
}

#[test]
fn nhi_found_by_key_alias_and_session() {
    let inventory = parse(
        "non_human_identities:\n  - id: aws:arn:aws:iam::111111111111:role/app\n    \
         kind: instance_role\n    environment: prod\n    tags: [pci]\n    \
         aliases: [entra:00000000-0000-0000-0000-000000000001]\n",
    )
    .unwrap();
    for id in [
        (Provider::Aws, "arn:aws:iam::111111111111:role/app"),
        (
            Provider::Aws,
            "arn:aws:sts::111111111111:assumed-role/app/i-0123456789abcdef0",
        ),
        (Provider::Entra, "00000000-0000-0000-0000-000000000001"),
    ] {
        let nhi = inventory
            .non_human_identity(&key(id.0, id.1))
            .unwrap_or_else(|| panic!("{id:?} not found"));
        assert_eq!(nhi.environment, Some(Environment::Prod));
        assert_eq!(nhi.tags, [Box::from("pci")]);
    }
    assert!(
        inventory
            .non_human_identity(&key(Provider::Aws, "arn:aws:iam::111111111111:user/bob"))
            .is_none()
    );
}

#[test]
fn empty_file_is_an_empty_inventory() {
    for text in ["", "# nothing declared yet\n", "---\n"] {
        let inventory = parse(text).unwrap();
        assert!(inventory.people.is_empty(), "{text:?}");
        assert!(inventory.non_human_identities.is_empty(), "{text:?}");
    }
}

#[test]
fn scalars_stay_text() {
    let inventory = parse(
        "people:\n  - email: alice@example.com\n    accounts:\n      okta:\n        user_id: 00123\n\
         non_human_identities:\n  - id: okta:0oa1\n    kind: oauth_app\n    environment: no\n",
    )
    .unwrap();
    let okta = inventory.people[0].accounts.okta.as_ref().unwrap();
    assert_eq!(okta.user_id.as_deref(), Some("00123"));
    assert_eq!(
        inventory.non_human_identities[0].environment,
        Some(Environment::Other("no".into()))
    );
}

#[test]
fn syntax_error_names_line_and_column() {
    assert_eq!(
        messages("people:\n  - email: alice@example.com\n    name: [Alice\n"),
        [
            "inventory.yaml:4:1: invalid YAML: while parsing a flow sequence, \
          expected ',' or ']'"
        ]
    );
}

#[test]
fn duplicate_yaml_key_is_a_syntax_error() {
    let errors = messages("people: []\npeople: []\n");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("inventory.yaml:2:1: invalid YAML: "),
        "{errors:?}"
    );
}

#[test]
fn several_documents_are_rejected() {
    assert_eq!(
        messages("people: []\n---\npeople: []\n"),
        ["inventory.yaml: the inventory holds 2 YAML documents: expected one"]
    );
}

#[test]
fn unknown_field_suggests_the_close_name() {
    assert_eq!(
        messages("people:\n  - emial: alice@example.com\n"),
        [
            "inventory.yaml:2:5: missing field `email` in person on line 2: add it",
            "inventory.yaml:2:5: unknown field `emial` in person on line 2: expected one of \
             name, email, accounts; did you mean `email`?",
        ]
    );
}

#[test]
fn unknown_field_without_close_name_lists_the_fields() {
    assert_eq!(
        messages("people:\n  - email: alice@example.com\n    team: platform\n"),
        [
            "inventory.yaml:3:5: unknown field `team` in person `alice@example.com`: \
          expected one of name, email, accounts"
        ]
    );
}

#[test]
fn unknown_top_level_field_is_rejected() {
    assert_eq!(
        messages("non_human_identity: []\n"),
        [
            "inventory.yaml:1:1: unknown field `non_human_identity` in the inventory: expected \
          one of people, non_human_identities, break_glass, networks; did you mean \
          `non_human_identities`?"
        ]
    );
}

#[test]
fn unknown_kind_lists_the_kinds() {
    let text = "non_human_identities:\n\
                \x20 - id: aws:arn:aws:iam::111111111111:user/ci-deploy\n\
                \x20   kind: service-account\n";
    assert_eq!(
        messages(text),
        ["inventory.yaml:3:11: unknown kind `service-account` for \
          `aws:arn:aws:iam::111111111111:user/ci-deploy`: expected one of access_key, \
          role_session, instance_role, function_role, workload_token, service_principal, \
          managed_identity, oauth_app, api_token"]
    );
}

#[test]
fn misspelled_kind_suggests_the_close_kind() {
    let text = "non_human_identities:\n  - id: entra:ba67b742\n    kind: service-principal\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:3:11: unknown kind `service-principal` for `entra:ba67b742`: \
          expected one of access_key, role_session, instance_role, function_role, \
          workload_token, service_principal, managed_identity, oauth_app, api_token; \
          did you mean `service_principal`?"
        ]
    );
}

#[test]
fn unknown_criticality_lists_the_levels() {
    let text = "non_human_identities:\n  - id: okta:0oa1\n    kind: oauth_app\n    \
                criticality: urgent\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:4:18: unknown criticality `urgent` for `okta:0oa1`: expected one \
          of low, medium, high, critical"
        ]
    );
}

#[test]
fn invalid_cidr_is_rejected() {
    assert_eq!(
        messages(
            "networks:\n  vpn: [192.0.2.0/26, 10.0.0.0/33]\n  corporate_egress: [198.51.100.7]\n"
        ),
        [
            "inventory.yaml:2:23: invalid CIDR `10.0.0.0/33` in `networks.vpn`: expected an \
             address range such as `198.51.100.0/24` or `2001:db8::/48`",
            "inventory.yaml:3:22: invalid CIDR `198.51.100.7` in `networks.corporate_egress`: \
             expected an address range such as `198.51.100.0/24` or `2001:db8::/48`",
        ]
    );
}

#[test]
fn networks_keep_host_bits_as_the_configuration_does() {
    let inventory = parse("networks:\n  vpn: [\"203.0.113.7/24\", \"2001:db8::/48\"]\n").unwrap();
    assert_eq!(inventory.networks.vpn.len(), 2);
    assert!(inventory.networks.corporate_egress.is_empty());
}

#[test]
fn invalid_person_email_is_rejected() {
    assert_eq!(
        messages("people:\n  - name: Alice\n    email: alice@example\n"),
        [
            "inventory.yaml:3:12: invalid e-mail `alice@example` in `email` of person on line 2: \
          expected `name@domain.tld`"
        ]
    );
}

#[test]
fn invalid_owner_email_is_rejected() {
    let text = "non_human_identities:\n  - id: okta:0oa1\n    kind: oauth_app\n    owner: Dave\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:4:12: invalid e-mail `Dave` in `owner` of non-human identity \
          `okta:0oa1`: expected `name@domain.tld`"
        ]
    );
}

#[test]
fn invalid_upn_is_rejected() {
    let text = "people:\n  - email: alice@example.com\n    accounts:\n      entra:\n        \
                upn: EXAMPLE\\alice\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:5:14: invalid e-mail `EXAMPLE\\alice` in `accounts.entra.upn` of \
          person `alice@example.com`: expected `name@domain.tld`"
        ]
    );
}

#[test]
fn duplicate_person_email_is_rejected() {
    let text = "people:\n  - email: alice@example.com\n  - email: Alice@Example.com\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:3:12: duplicate person e-mail `alice@example.com`: the person on \
          line 2 has it already; merge the two entries"
        ]
    );
}

#[test]
fn account_claimed_by_two_people_is_rejected() {
    let text = "people:\n\
                \x20 - email: alice@example.com\n\
                \x20   accounts: {okta: {user_id: 00uX7UKJJKP1SWh7yHw2}}\n\
                \x20 - email: bob@example.com\n\
                \x20   accounts: {okta: {user_id: 00uX7UKJJKP1SWh7yHw2}}\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:5:32: `00uX7UKJJKP1SWh7yHw2` in `accounts.okta.user_id` of person \
          `bob@example.com` is already claimed by person `alice@example.com` on line 3: keep \
          it on one entry"
        ]
    );
}

#[test]
fn login_equal_to_another_persons_email_is_rejected() {
    let text = "people:\n\
                \x20 - email: alice@example.com\n\
                \x20   accounts: {okta: {login: bob@example.com}}\n\
                \x20 - email: bob@example.com\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:3:30: `bob@example.com` in `accounts.okta.login` of person \
          `alice@example.com` is already claimed by person `bob@example.com` on line 4: keep \
          it on one entry"
        ]
    );
}

#[test]
fn person_may_repeat_own_email_as_login() {
    let text = "people:\n  - email: alice@example.com\n    accounts:\n      okta: {login: \
                ALICE@example.com}\n      entra: {upn: alice@example.com}\n      aws: \
                {role_sessions: [alice@example.com]}\n";
    assert!(parse(text).is_ok());
}

#[test]
fn duplicate_nhi_is_rejected() {
    let text = "non_human_identities:\n  - {id: 'okta:0oa1', kind: oauth_app}\n  - {id: \
                'okta:0oa1', kind: api_token}\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:3:10: `okta:0oa1` in `id` of non-human identity `okta:0oa1` is \
          already claimed by non-human identity `okta:0oa1` on line 2: keep it on one entry"
        ]
    );
}

#[test]
fn duplicate_nhi_is_reported_when_first_is_invalid() {
    let text = "non_human_identities:\n  - {id: 'okta:0oa1', kind: robot}\n  - {id: \
                'okta:0oa1', kind: oauth_app}\n";
    let errors = messages(text);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("inventory.yaml:2:29: unknown kind `robot` for `okta:0oa1`"),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        "inventory.yaml:3:10: `okta:0oa1` in `id` of non-human identity `okta:0oa1` is \
         already claimed by non-human identity `okta:0oa1` on line 2: keep it on one entry"
    );
}

#[test]
fn nhi_without_provider_prefix_is_rejected() {
    let text = "non_human_identities:\n  - id: ci-deploy\n    kind: access_key\n  - id: \
                arn:aws:iam::111111111111:user/ci-deploy\n    kind: access_key\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:2:9: identity `ci-deploy` has no provider prefix: write it as \
             `provider:id`, such as `aws:arn:aws:iam::111111111111:user/ci-deploy`",
            "inventory.yaml:4:9: identity `arn:aws:iam::111111111111:user/ci-deploy` has no \
             provider prefix: write it as `provider:id`, such as \
             `aws:arn:aws:iam::111111111111:user/ci-deploy`",
        ]
    );
}

#[test]
fn unknown_provider_is_rejected() {
    let text = "non_human_identities:\n  - id: gcp:sa@project.iam.gserviceaccount.com\n    \
                kind: workload_token\nbreak_glass: [github:octocat]\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:2:9: unknown provider `gcp` in \
             `gcp:sa@project.iam.gserviceaccount.com`: expected one of aws, okta, entra",
            "inventory.yaml:4:15: unknown provider `github` in `github:octocat`: expected one \
             of aws, okta, entra",
        ]
    );
}

#[test]
fn missing_kind_is_reported_on_the_entry() {
    assert_eq!(
        messages("non_human_identities:\n  - id: okta:0oa1\n"),
        ["inventory.yaml:2:5: missing field `kind` in non-human identity `okta:0oa1`: add it"]
    );
}

#[test]
fn wrong_shapes_are_reported() {
    let text = "people:\n  - email: alice@example.com\n    accounts: [okta]\n\
                non_human_identities:\n  - id: okta:0oa1\n    kind: oauth_app\n    \
                dependents: deploy\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:3:15: invalid `accounts` in person `alice@example.com`: expected \
             a mapping, found a list",
            "inventory.yaml:7:17: invalid `dependents` in non-human identity `okta:0oa1`: \
             expected a list, found text",
        ]
    );
}

#[test]
fn empty_value_is_rejected() {
    assert_eq!(
        messages("people:\n  - email: alice@example.com\n    name: \"\"\n"),
        [
            "inventory.yaml:3:11: empty `name` in person `alice@example.com`: give a value or \
          remove the field"
        ]
    );
}

#[test]
fn invalid_aws_accounts_are_rejected() {
    let text = "people:\n\
                \x20 - email: alice@example.com\n\
                \x20   accounts:\n\
                \x20     aws:\n\
                \x20       iam_users: [\"arn:aws:iam::1111:user/alice\"]\n\
                \x20       role_sessions: [\"Engineering/\"]\n\
                \x20     entra: {object_id: not-a-guid}\n";
    assert_eq!(
        messages(text),
        [
            "inventory.yaml:5:21: invalid IAM user ARN `arn:aws:iam::1111:user/alice` in \
             `accounts.aws.iam_users` of person `alice@example.com`: expected \
             `arn:aws:iam::ACCOUNT:user/NAME`",
            "inventory.yaml:6:25: invalid role session `Engineering/` in \
             `accounts.aws.role_sessions` of person `alice@example.com`: expected \
             `SESSION_NAME`, `ROLE/SESSION_NAME` or \
             `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION_NAME`",
            "inventory.yaml:7:26: invalid Entra object id `not-a-guid` in \
             `accounts.entra.object_id` of person `alice@example.com`: expected a GUID such \
             as `5f03d160-159a-40d3-83a2-c59a1e0632f9`",
        ]
    );
}

#[test]
fn every_error_is_reported_in_file_order() {
    let text = "people:\n\
                \x20 - email: alice@example\n\
                \x20   nmae: Alice\n\
                non_human_identities:\n\
                \x20 - id: ci-deploy\n\
                \x20   kind: key\n\
                networks:\n\
                \x20 vpn: [nowhere]\n";
    let errors = messages(text);
    let lines: Vec<&str> = errors
        .iter()
        .map(|message| message.split(": ").next().unwrap_or_default())
        .collect();
    assert_eq!(
        lines,
        [
            "inventory.yaml:2:12",
            "inventory.yaml:3:5",
            "inventory.yaml:5:9",
            "inventory.yaml:6:11",
            "inventory.yaml:8:9",
        ]
    );
}

#[test]
fn missing_file_is_reported_without_position() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("absent.yaml");
    let errors = Inventory::load(&path).unwrap_err();
    assert_eq!(errors.errors().len(), 1);
    let message = errors.to_string();
    assert!(
        message.starts_with(&format!(
            "{}: failed to read the inventory: ",
            path.display()
        )),
        "{message}"
    );
}

#[test]
fn break_glass_accounts_are_matched_by_key() {
    let inventory =
        parse("break_glass: [\"entra:5F03D160-159A-40D3-83A2-C59A1E0632F9\"]\n").unwrap();
    assert!(inventory.is_break_glass(&key(
        Provider::Entra,
        "5f03d160-159a-40d3-83a2-c59a1e0632f9"
    )));
    assert!(!inventory.is_break_glass(&key(Provider::Okta, "00u1")));
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn yaml_like_text_never_panics(
        text in "(people|networks|vpn|kind|id|email|- |: |\\[|\\]|\\{|\\}|&a|\\*a|!!str|\n|  |'|\"|x){0,60}"
    ) {
        let _ = parse(&text);
    }
}

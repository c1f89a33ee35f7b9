//! Reads the YAML tree of an inventory into its types, collecting every problem on the way.
//!
//! The tree is walked by hand rather than through serde because serde stops at the first
//! problem, while `riposte validate` must show all of them. The walk enforces what serde's
//! `deny_unknown_fields` would: every field name is checked against the fields of its
//! section. Scalars are read as written (the loader does not resolve YAML types), so an Okta
//! id such as `00123` or an environment `no` stays text.

use ipnet::IpNet;
use riposte_model::{IdentityKey, Provider};
use saphyr::{AnnotatedMapping, MarkedYaml, Scalar, ScalarStyle, YamlData, YamlLoader};
use saphyr_parser::Parser;

use super::error::{InventoryErrorKind, closest};
use super::index::{DeclaredName, Entity, Namespace, normalize_key};
use super::{
    Accounts, AwsAccounts, EntraAccount, GithubAccount, Networks, NonHumanIdentity, OktaAccount,
    Person, Position, Problem, RoleSessionPattern,
};
use crate::email::normalize_email;
use crate::key::parse_identity_key;
use crate::kind::{Criticality, Environment, NhiKind};

const TOP_FIELDS: &[&str] = &["people", "non_human_identities", "break_glass", "networks"];
const PERSON_FIELDS: &[&str] = &["name", "email", "accounts"];
const ACCOUNT_FIELDS: &[&str] = &["okta", "entra", "aws", "github"];
const OKTA_FIELDS: &[&str] = &["user_id", "login"];
const ENTRA_FIELDS: &[&str] = &["object_id", "upn"];
const AWS_FIELDS: &[&str] = &["iam_users", "identity_center_users", "role_sessions"];
const GITHUB_FIELDS: &[&str] = &["login"];
const NHI_FIELDS: &[&str] = &[
    "id",
    "name",
    "kind",
    "owner",
    "environment",
    "dependents",
    "criticality",
    "aliases",
    "tags",
    "description",
];
const NETWORK_FIELDS: &[&str] = &["corporate_egress", "vpn"];

/// What reading produced: the entries, every name they declare, and every problem found.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub people: Vec<Person>,
    pub non_human_identities: Vec<NonHumanIdentity>,
    pub break_glass: Vec<IdentityKey>,
    pub networks: Networks,
    pub names: Vec<DeclaredName>,
    /// How messages name each person, by [`Entity::Person`] index.
    pub person_labels: Vec<String>,
    /// How messages name each non-human identity entry, by [`Entity::Nhi`] index. Entries are
    /// counted as read, including those left out of `non_human_identities` for a problem, so
    /// the two lists line up only when there is no problem.
    pub nhi_labels: Vec<String>,
    pub problems: Vec<Problem>,
}

/// Parses `text` and reads it. Fails only on a YAML syntax error or on several documents;
/// every other problem is collected in [`Draft::problems`].
pub(crate) fn read(text: &str) -> Result<Draft, Vec<Problem>> {
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    loader.early_parse(false);
    let mut parser = Parser::new_from_str(text);
    let loaded = parser.load(&mut loader, true);
    if let Some(error) = loaded.err().or_else(|| loader.error().cloned()) {
        let marker = error.marker();
        let position = Position {
            line: marker.line(),
            column: marker.col() + 1,
        };
        return Err(vec![(
            position,
            InventoryErrorKind::Syntax {
                reason: error.info().to_owned(),
            },
        )]);
    }
    let documents = loader.into_documents();
    if documents.len() > 1 {
        return Err(vec![(
            Position::default(),
            InventoryErrorKind::MultipleDocuments {
                count: documents.len(),
            },
        )]);
    }

    let mut reader = Reader::default();
    if let Some(root) = documents.first() {
        reader.read_root(root);
    }
    Ok(reader.draft)
}

/// A node's content with YAML's type resolution left out.
enum Shape<'n, 'i> {
    Null,
    Text(&'n str),
    List(&'n [MarkedYaml<'i>]),
    Map(&'n AnnotatedMapping<'i, MarkedYaml<'i>>),
    Other,
}

impl Shape<'_, '_> {
    fn describe(&self) -> &'static str {
        match self {
            Self::Null => "nothing",
            Self::Text(_) => "text",
            Self::List(_) => "a list",
            Self::Map(_) => "a mapping",
            Self::Other => "an unsupported value",
        }
    }
}

fn shape<'n, 'i>(node: &'n MarkedYaml<'i>) -> Shape<'n, 'i> {
    match &node.data {
        YamlData::Representation(text, style, _) => {
            let null = *style == ScalarStyle::Plain
                && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL");
            if null { Shape::Null } else { Shape::Text(text) }
        }
        YamlData::Value(Scalar::String(text)) => Shape::Text(text),
        YamlData::Value(Scalar::Null) | YamlData::BadValue => Shape::Null,
        YamlData::Value(_) | YamlData::Alias(_) => Shape::Other,
        YamlData::Sequence(items) => Shape::List(items),
        YamlData::Mapping(mapping) => Shape::Map(mapping),
        YamlData::Tagged(_, inner) => shape(inner),
    }
}

fn position(node: &MarkedYaml<'_>) -> Position {
    Position {
        line: node.span.start.line(),
        column: node.span.start.col() + 1,
    }
}

/// A text value with the place it was written.
#[derive(Clone, Copy)]
struct Located<'n> {
    text: &'n str,
    position: Position,
}

/// The fields of one mapping, by name, in the order written.
struct Fields<'n, 'i> {
    entries: Vec<(&'n str, &'n MarkedYaml<'i>)>,
    /// Unknown names with their positions, checked once the section's context is known.
    unknown: Vec<(&'n str, Position)>,
    position: Position,
}

impl<'n, 'i> Fields<'n, 'i> {
    fn get(&self, name: &str) -> Option<&'n MarkedYaml<'i>> {
        self.entries
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, node)| *node)
    }
}

#[derive(Default)]
struct Reader {
    draft: Draft,
}

impl Reader {
    fn problem(&mut self, position: Position, kind: InventoryErrorKind) {
        self.draft.problems.push((position, kind));
    }

    /// Returns the fields of a mapping, or `None` after reporting a node of another shape.
    /// An empty value (`accounts:` with nothing after it) is an empty mapping.
    fn fields<'n, 'i>(
        &mut self,
        node: &'n MarkedYaml<'i>,
        allowed: &[&str],
        field: &str,
        context: &str,
    ) -> Option<Fields<'n, 'i>> {
        let mut fields = Fields {
            entries: Vec::new(),
            unknown: Vec::new(),
            position: position(node),
        };
        let mapping = match shape(node) {
            Shape::Map(mapping) => mapping,
            Shape::Null => return Some(fields),
            other => {
                self.problem(
                    position(node),
                    InventoryErrorKind::WrongType {
                        field: field.to_owned(),
                        context: context.to_owned(),
                        expected: "a mapping",
                        found: other.describe(),
                    },
                );
                return None;
            }
        };
        for (key, value) in mapping.iter() {
            match shape(key) {
                Shape::Text(name) if allowed.contains(&name) => fields.entries.push((name, value)),
                Shape::Text(name) => fields.unknown.push((name, position(key))),
                other => self.problem(
                    position(key),
                    InventoryErrorKind::InvalidFieldName {
                        context: context.to_owned(),
                        found: other.describe(),
                    },
                ),
            }
        }
        Some(fields)
    }

    fn report_unknown(&mut self, fields: &Fields<'_, '_>, allowed: &[&str], context: &str) {
        for (name, position) in &fields.unknown {
            self.problem(
                *position,
                InventoryErrorKind::UnknownField {
                    field: (*name).to_owned(),
                    context: context.to_owned(),
                    expected: allowed.join(", "),
                    suggestion: closest(name, allowed).map(str::to_owned),
                },
            );
        }
    }

    /// Returns a text field, trimmed. Absent and null fields return `None` silently; an empty
    /// text or a value of another shape is reported.
    fn text<'n>(
        &mut self,
        fields: &Fields<'n, '_>,
        name: &str,
        context: &str,
    ) -> Option<Located<'n>> {
        let node = fields.get(name)?;
        self.text_value(node, name, context)
    }

    fn text_value<'n>(
        &mut self,
        node: &'n MarkedYaml<'_>,
        field: &str,
        context: &str,
    ) -> Option<Located<'n>> {
        match shape(node) {
            Shape::Null => None,
            Shape::Text(text) if text.trim().is_empty() => {
                self.problem(
                    position(node),
                    InventoryErrorKind::EmptyValue {
                        field: field.to_owned(),
                        context: context.to_owned(),
                    },
                );
                None
            }
            Shape::Text(text) => Some(Located {
                text: text.trim(),
                position: position(node),
            }),
            other => {
                self.problem(
                    position(node),
                    InventoryErrorKind::WrongType {
                        field: field.to_owned(),
                        context: context.to_owned(),
                        expected: "text",
                        found: other.describe(),
                    },
                );
                None
            }
        }
    }

    /// Returns a required text field, reporting it at the mapping's position when missing.
    fn required_text<'n>(
        &mut self,
        fields: &Fields<'n, '_>,
        name: &str,
        context: &str,
    ) -> Option<Located<'n>> {
        if fields
            .get(name)
            .is_none_or(|node| matches!(shape(node), Shape::Null))
        {
            self.problem(
                fields.position,
                InventoryErrorKind::MissingField {
                    field: name.to_owned(),
                    context: context.to_owned(),
                },
            );
            return None;
        }
        self.text(fields, name, context)
    }

    /// Returns the items of a list of text, reporting each item of another shape.
    fn text_list<'n>(
        &mut self,
        fields: &Fields<'n, '_>,
        name: &str,
        context: &str,
    ) -> Vec<Located<'n>> {
        let Some(node) = fields.get(name) else {
            return Vec::new();
        };
        match shape(node) {
            Shape::Null => Vec::new(),
            Shape::List(items) => items
                .iter()
                .filter_map(|item| self.text_value(item, name, context))
                .collect(),
            other => {
                self.problem(
                    position(node),
                    InventoryErrorKind::WrongType {
                        field: name.to_owned(),
                        context: context.to_owned(),
                        expected: "a list",
                        found: other.describe(),
                    },
                );
                Vec::new()
            }
        }
    }

    /// Returns the items of a list of mappings, reporting a value of another shape.
    fn list<'n, 'i>(
        &mut self,
        fields: &Fields<'n, 'i>,
        name: &str,
        context: &str,
    ) -> &'n [MarkedYaml<'i>] {
        let Some(node) = fields.get(name) else {
            return &[];
        };
        match shape(node) {
            Shape::List(items) => items,
            Shape::Null => &[],
            other => {
                self.problem(
                    position(node),
                    InventoryErrorKind::WrongType {
                        field: name.to_owned(),
                        context: context.to_owned(),
                        expected: "a list",
                        found: other.describe(),
                    },
                );
                &[]
            }
        }
    }

    fn declare(
        &mut self,
        namespace: Namespace,
        normalized: String,
        owner: Entity,
        value: &Located<'_>,
        field: &'static str,
    ) {
        self.draft.names.push(DeclaredName {
            namespace,
            normalized,
            owner,
            value: value.text.to_owned(),
            field,
            position: value.position,
        });
    }

    fn read_root(&mut self, root: &MarkedYaml<'_>) {
        let context = "the inventory";
        let Some(fields) = self.fields(root, TOP_FIELDS, "the document", context) else {
            return;
        };
        self.report_unknown(&fields, TOP_FIELDS, context);

        for item in self.list(&fields, "people", context) {
            self.read_person(item);
        }
        for item in self.list(&fields, "non_human_identities", context) {
            self.read_nhi(item);
        }
        for value in self.text_list(&fields, "break_glass", context) {
            match parse_identity_key(value.text) {
                Ok(key) => self.draft.break_glass.push(key),
                Err(error) => self.problem(value.position, error.into()),
            }
        }
        if let Some(node) = fields.get("networks") {
            self.read_networks(node);
        }
    }

    fn read_person(&mut self, node: &MarkedYaml<'_>) {
        let line = position(node).line;
        let fallback_context = format!("person on line {line}");
        let Some(fields) = self.fields(node, PERSON_FIELDS, "people", "the inventory") else {
            return;
        };
        let owner = Entity::Person(self.draft.people.len());

        let email_value = self.required_text(&fields, "email", &fallback_context);
        let email = email_value.and_then(|value| {
            let email = normalize_email(value.text);
            if email.is_none() {
                self.problem(
                    value.position,
                    InventoryErrorKind::InvalidEmail {
                        value: value.text.to_owned(),
                        field: "email".to_owned(),
                        context: fallback_context.clone(),
                    },
                );
            }
            email
        });
        let context = match &email {
            Some(email) => format!("person `{email}`"),
            None => fallback_context,
        };
        if let (Some(email), Some(value)) = (&email, &email_value) {
            self.declare(Namespace::Email, email.clone(), owner, value, "email");
        }
        self.report_unknown(&fields, PERSON_FIELDS, &context);
        self.draft.person_labels.push(context.clone());

        let name = self
            .text(&fields, "name", &context)
            .map(|value| value.text.into());
        let accounts = match fields.get("accounts") {
            Some(accounts) => self.read_accounts(accounts, owner, &context),
            None => Accounts::default(),
        };
        self.draft.people.push(Person {
            name,
            email: email.unwrap_or_default().into(),
            accounts,
            line,
        });
    }

    fn read_accounts(&mut self, node: &MarkedYaml<'_>, owner: Entity, context: &str) -> Accounts {
        let mut accounts = Accounts::default();
        let Some(fields) = self.fields(node, ACCOUNT_FIELDS, "accounts", context) else {
            return accounts;
        };
        self.report_unknown(&fields, ACCOUNT_FIELDS, context);

        if let Some(node) = fields.get("okta") {
            accounts.okta = self.read_okta(node, owner, context);
        }
        if let Some(node) = fields.get("entra") {
            accounts.entra = self.read_entra(node, owner, context);
        }
        if let Some(node) = fields.get("aws") {
            accounts.aws = self.read_aws(node, owner, context);
        }
        if let Some(node) = fields.get("github") {
            accounts.github = self.read_github(node, owner, context);
        }
        accounts
    }

    fn read_okta(
        &mut self,
        node: &MarkedYaml<'_>,
        owner: Entity,
        context: &str,
    ) -> Option<OktaAccount> {
        let fields = self.fields(node, OKTA_FIELDS, "accounts.okta", context)?;
        self.report_unknown(&fields, OKTA_FIELDS, context);
        let user_id = self.text(&fields, "user_id", context);
        if let Some(value) = &user_id {
            let key = normalize_key(Provider::Okta, value.text);
            self.declare(Namespace::Key, key, owner, value, "accounts.okta.user_id");
        }
        let login = self.text(&fields, "login", context);
        if let Some(value) = &login {
            self.declare_login(value, owner, "accounts.okta.login");
        }
        Some(OktaAccount {
            user_id: user_id.map(|value| value.text.into()),
            login: login.map(|value| value.text.into()),
        })
    }

    /// Declares a login: an e-mail-shaped login joins the person's addresses, any other
    /// login is matched as written, ignoring case.
    fn declare_login(&mut self, value: &Located<'_>, owner: Entity, field: &'static str) {
        match normalize_email(value.text) {
            Some(email) => self.declare(Namespace::Email, email, owner, value, field),
            None => self.declare(
                Namespace::Login,
                value.text.to_lowercase(),
                owner,
                value,
                field,
            ),
        }
    }

    fn read_entra(
        &mut self,
        node: &MarkedYaml<'_>,
        owner: Entity,
        context: &str,
    ) -> Option<EntraAccount> {
        let fields = self.fields(node, ENTRA_FIELDS, "accounts.entra", context)?;
        self.report_unknown(&fields, ENTRA_FIELDS, context);
        let field = "accounts.entra.object_id";
        let object_id = self.text(&fields, "object_id", context).and_then(|value| {
            if !is_guid(value.text) {
                self.problem(
                    value.position,
                    InventoryErrorKind::InvalidObjectId {
                        value: value.text.to_owned(),
                        field: field.to_owned(),
                        context: context.to_owned(),
                    },
                );
                return None;
            }
            let key = normalize_key(Provider::Entra, value.text);
            self.declare(Namespace::Key, key, owner, &value, field);
            Some(value.text.to_lowercase().into())
        });
        let field = "accounts.entra.upn";
        let upn = self.text(&fields, "upn", context).and_then(|value| {
            let Some(upn) = normalize_email(value.text) else {
                self.problem(
                    value.position,
                    InventoryErrorKind::InvalidEmail {
                        value: value.text.to_owned(),
                        field: field.to_owned(),
                        context: context.to_owned(),
                    },
                );
                return None;
            };
            self.declare(Namespace::Email, upn.clone(), owner, &value, field);
            Some(upn.into())
        });
        Some(EntraAccount { object_id, upn })
    }

    fn read_aws(&mut self, node: &MarkedYaml<'_>, owner: Entity, context: &str) -> AwsAccounts {
        let mut aws = AwsAccounts::default();
        let Some(fields) = self.fields(node, AWS_FIELDS, "accounts.aws", context) else {
            return aws;
        };
        self.report_unknown(&fields, AWS_FIELDS, context);

        let field = "accounts.aws.iam_users";
        for value in self.text_list(&fields, "iam_users", context) {
            if !is_iam_user_arn(value.text) {
                self.problem(
                    value.position,
                    InventoryErrorKind::InvalidIamUserArn {
                        value: value.text.to_owned(),
                        field: field.to_owned(),
                        context: context.to_owned(),
                    },
                );
                continue;
            }
            let key = normalize_key(Provider::Aws, value.text);
            self.declare(Namespace::Key, key, owner, &value, field);
            aws.iam_users.push(value.text.into());
        }

        let field = "accounts.aws.identity_center_users";
        for value in self.text_list(&fields, "identity_center_users", context) {
            let normalized = value.text.to_lowercase();
            self.declare(Namespace::IdentityCenter, normalized, owner, &value, field);
            aws.identity_center_users.push(value.text.into());
        }

        let field = "accounts.aws.role_sessions";
        for value in self.text_list(&fields, "role_sessions", context) {
            let Some(pattern) = parse_role_session(value.text) else {
                self.problem(
                    value.position,
                    InventoryErrorKind::InvalidRoleSession {
                        value: value.text.to_owned(),
                        field: field.to_owned(),
                        context: context.to_owned(),
                    },
                );
                continue;
            };
            match &pattern {
                RoleSessionPattern::Name { session } => {
                    let normalized = session.to_lowercase();
                    self.declare(Namespace::SessionName, normalized, owner, &value, field);
                    self.declare_login(&value, owner, field);
                }
                RoleSessionPattern::InRole { role, session } => {
                    let normalized = format!("{role}/{session}").to_lowercase();
                    self.declare(Namespace::SessionInRole, normalized, owner, &value, field);
                }
                RoleSessionPattern::Arn {
                    account,
                    role,
                    session,
                } => {
                    let normalized = format!("{account}/{role}/{session}").to_lowercase();
                    self.declare(Namespace::SessionArn, normalized, owner, &value, field);
                }
            }
            aws.role_sessions.push(pattern);
        }
        aws
    }

    fn read_github(
        &mut self,
        node: &MarkedYaml<'_>,
        owner: Entity,
        context: &str,
    ) -> Option<GithubAccount> {
        let fields = self.fields(node, GITHUB_FIELDS, "accounts.github", context)?;
        self.report_unknown(&fields, GITHUB_FIELDS, context);
        let value = self.text(&fields, "login", context)?;
        let normalized = value.text.to_lowercase();
        self.declare(
            Namespace::Github,
            normalized,
            owner,
            &value,
            "accounts.github.login",
        );
        Some(GithubAccount {
            login: value.text.into(),
        })
    }

    fn read_nhi(&mut self, node: &MarkedYaml<'_>) {
        let line = position(node).line;
        let fallback_context = format!("non-human identity on line {line}");
        let Some(fields) = self.fields(node, NHI_FIELDS, "non_human_identities", "the inventory")
        else {
            return;
        };
        let owner = Entity::Nhi(self.draft.nhi_labels.len());

        let id_value = self.required_text(&fields, "id", &fallback_context);
        let key = id_value.and_then(|value| match parse_identity_key(value.text) {
            Ok(key) => Some(key),
            Err(error) => {
                self.problem(value.position, error.into());
                None
            }
        });
        let (context, subject) = match &key {
            Some(key) => (format!("non-human identity `{key}`"), format!("`{key}`")),
            None => (fallback_context.clone(), fallback_context),
        };
        self.draft.nhi_labels.push(context.clone());
        if let (Some(key), Some(value)) = (&key, &id_value) {
            let normalized = normalize_key(key.provider, &key.id);
            self.declare(Namespace::Key, normalized, owner, value, "id");
        }
        self.report_unknown(&fields, NHI_FIELDS, &context);

        let kind = self
            .required_text(&fields, "kind", &context)
            .and_then(|value| {
                let kind = NhiKind::parse(value.text);
                if kind.is_none() {
                    let names: Vec<&str> = NhiKind::ALL.iter().map(|kind| kind.as_str()).collect();
                    self.unknown_value(&value, "kind", &subject, &names);
                }
                kind
            });
        let criticality = self
            .text(&fields, "criticality", &context)
            .and_then(|value| {
                let level = Criticality::parse(value.text);
                if level.is_none() {
                    let names: Vec<&str> = Criticality::ALL
                        .iter()
                        .map(|level| level.as_str())
                        .collect();
                    self.unknown_value(&value, "criticality", &subject, &names);
                }
                level
            });
        let owner_email = self.text(&fields, "owner", &context).and_then(|value| {
            let email = normalize_email(value.text);
            if email.is_none() {
                self.problem(
                    value.position,
                    InventoryErrorKind::InvalidEmail {
                        value: value.text.to_owned(),
                        field: "owner".to_owned(),
                        context: context.clone(),
                    },
                );
            }
            email
        });
        let environment = self
            .text(&fields, "environment", &context)
            .map(|value| Environment::parse(value.text));
        let name = self
            .text(&fields, "name", &context)
            .map(|value| value.text.into());
        let description = self
            .text(&fields, "description", &context)
            .map(|value| value.text.into());
        let dependents = self
            .text_list(&fields, "dependents", &context)
            .into_iter()
            .map(|value| value.text.into())
            .collect();
        let tags = self
            .text_list(&fields, "tags", &context)
            .into_iter()
            .map(|value| value.text.into())
            .collect();
        let mut aliases = Vec::new();
        for value in self.text_list(&fields, "aliases", &context) {
            match parse_identity_key(value.text) {
                Ok(alias) => {
                    let normalized = normalize_key(alias.provider, &alias.id);
                    self.declare(Namespace::Key, normalized, owner, &value, "aliases");
                    aliases.push(alias);
                }
                Err(error) => self.problem(value.position, error.into()),
            }
        }

        // An entry whose id or kind is unusable is left out; its problems are reported.
        let (Some(key), Some(kind)) = (key, kind) else {
            return;
        };
        self.draft.non_human_identities.push(NonHumanIdentity {
            key,
            name,
            kind,
            owner: owner_email.map(Into::into),
            environment,
            dependents,
            criticality,
            aliases,
            tags,
            description,
            line,
        });
    }

    fn unknown_value(
        &mut self,
        value: &Located<'_>,
        field: &'static str,
        subject: &str,
        names: &[&str],
    ) {
        self.problem(
            value.position,
            InventoryErrorKind::UnknownValue {
                field,
                value: value.text.to_owned(),
                subject: subject.to_owned(),
                expected: names.join(", "),
                suggestion: closest(value.text, names).map(str::to_owned),
            },
        );
    }

    fn read_networks(&mut self, node: &MarkedYaml<'_>) {
        let context = "`networks`";
        let Some(fields) = self.fields(node, NETWORK_FIELDS, "networks", "the inventory") else {
            return;
        };
        self.report_unknown(&fields, NETWORK_FIELDS, context);
        let corporate_egress = self.ranges(&fields, "corporate_egress", context);
        let vpn = self.ranges(&fields, "vpn", context);
        self.draft.networks = Networks {
            corporate_egress,
            vpn,
        };
    }

    fn ranges(&mut self, fields: &Fields<'_, '_>, name: &str, context: &str) -> Vec<IpNet> {
        let mut ranges = Vec::new();
        for value in self.text_list(fields, name, context) {
            match value.text.parse::<IpNet>() {
                Ok(range) => ranges.push(range),
                Err(_) => self.problem(
                    value.position,
                    InventoryErrorKind::InvalidCidr {
                        value: value.text.to_owned(),
                        field: format!("networks.{name}"),
                    },
                ),
            }
        }
        ranges
    }
}

/// Returns true for a GUID written `8-4-4-4-12` in hexadecimal digits.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && groups
            .iter()
            .all(|group| group.chars().all(|digit| digit.is_ascii_hexdigit()))
}

/// Returns true for `arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME` with a 12-digit account.
fn is_iam_user_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|digit| digit.is_ascii_digit())
        && resource
            .strip_prefix("user/")
            .and_then(|path| path.rsplit('/').next())
            .is_some_and(|name| !name.is_empty())
}

/// Parses a role session as the inventory writes it. Role and session names cannot contain
/// `/` or `:` (IAM's naming rules), so the form is told apart by those characters.
pub(crate) fn parse_role_session(text: &str) -> Option<RoleSessionPattern> {
    if text.starts_with("arn:") {
        let (account, role, session) = split_session_arn(text)?;
        return Some(RoleSessionPattern::Arn {
            account: account.into(),
            role: role.into(),
            session: session.into(),
        });
    }
    if text.contains(':') || text.chars().any(char::is_whitespace) {
        return None;
    }
    match text.split_once('/') {
        Some((role, session))
            if !role.is_empty() && !session.is_empty() && !session.contains('/') =>
        {
            Some(RoleSessionPattern::InRole {
                role: role.into(),
                session: session.into(),
            })
        }
        Some(_) => None,
        None => Some(RoleSessionPattern::Name {
            session: text.into(),
        }),
    }
}

/// Splits `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION` into its account, role and
/// session name.
pub(crate) fn split_session_arn(text: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, _, account, resource] = parts.as_slice() else {
        return None;
    };
    let valid = *arn == "arn" && partition.starts_with("aws") && *service == "sts";
    let (role, session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    (valid && !account.is_empty() && !role.is_empty() && !session.is_empty())
        .then_some((*account, role, session))
}

/// Splits `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME` into its account and role name.
pub(crate) fn split_role_arn(text: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, _, account, resource] = parts.as_slice() else {
        return None;
    };
    let valid = *arn == "arn" && partition.starts_with("aws") && *service == "iam";
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (valid && !account.is_empty() && !name.is_empty()).then_some((*account, name))
}

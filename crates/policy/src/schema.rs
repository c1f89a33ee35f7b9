//! The Cedar schema of the response policy and the action kinds it declares.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use std::collections::HashMap;

use cedar_policy::{Entities, Entity, EntityTypeName, Schema};

use crate::SCHEMA_SOURCE;
use crate::error::{PolicyError, PolicyErrorKind, diagnostic_error};

/// The namespace of every type the schema declares.
pub(crate) const NAMESPACE: &str = "Riposte";

/// A parsed and checked Cedar schema, with what decisions need from it precomputed.
#[derive(Clone, Debug)]
pub struct PolicySchema {
    pub(crate) schema: Schema,
    /// The entity of each action kind, with every group it is in, so that
    /// `action in Riposte::Action::"containment"` can be evaluated.
    pub(crate) action_entities: HashMap<String, Entity>,
    /// The action kinds a request may name: every declared action that is not a group.
    kinds: BTreeSet<String>,
    /// The action groups, such as `containment` and `revoke_sessions`.
    groups: BTreeSet<String>,
}

impl PolicySchema {
    /// Parses the schema built into the crate, [`SCHEMA_SOURCE`].
    pub fn builtin() -> Result<Self, Vec<PolicyError>> {
        Self::parse(
            SCHEMA_SOURCE,
            Some(Path::new("policies/schema.cedarschema")),
        )
    }

    /// Parses a schema in the Cedar schema format. `file` names the source in errors.
    ///
    /// The schema must declare `Riposte::Responder` and `Riposte::Identity`, the principal and
    /// resource types of every request riposte makes.
    pub fn parse(text: &str, file: Option<&Path>) -> Result<Self, Vec<PolicyError>> {
        let schema = match Schema::from_cedarschema_str(text) {
            Ok((schema, _warnings)) => schema,
            Err(error) => {
                let (line, column, message) = diagnostic_error(&error, text);
                return Err(vec![PolicyError::new(
                    file,
                    line,
                    column,
                    PolicyErrorKind::Schema { message },
                )]);
            }
        };

        let mut problems = Vec::new();
        for required in ["Responder", "Identity"] {
            let declared = EntityTypeName::from_str(&format!("{NAMESPACE}::{required}"))
                .is_ok_and(|name| schema.entity_types().any(|declared| *declared == name));
            if !declared {
                problems.push(PolicyError::new(
                    file,
                    0,
                    0,
                    PolicyErrorKind::MissingEntityType {
                        name: format!("{NAMESPACE}::{required}"),
                    },
                ));
            }
        }
        let action_entities = match schema.action_entities() {
            Ok(entities) => entities,
            Err(error) => {
                problems.push(PolicyError::new(
                    file,
                    0,
                    0,
                    PolicyErrorKind::Schema {
                        message: error.to_string(),
                    },
                ));
                Entities::empty()
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }

        let groups: BTreeSet<String> = schema
            .action_groups()
            .map(|uid| uid.id().unescaped().to_owned())
            .collect();
        let kinds: BTreeSet<String> = schema
            .actions()
            .map(|uid| uid.id().unescaped().to_owned())
            .filter(|kind| !groups.contains(kind))
            .collect();
        // Cedar computes the transitive closure when it builds the action entities, so each
        // entity lists every group above it, not only the groups it is declared in.
        let action_entities = action_entities
            .iter()
            .filter(|entity| kinds.contains(entity.uid().id().unescaped()))
            .map(|entity| (entity.uid().id().unescaped().to_owned(), entity.clone()))
            .collect();
        Ok(Self {
            schema,
            action_entities,
            kinds,
            groups,
        })
    }

    /// Returns the action kinds a request may name, sorted: `deactivate_access_key`,
    /// `notify`...
    pub fn action_kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.iter().map(String::as_str)
    }

    /// Returns the action groups policies may name with `action in`, sorted.
    pub fn action_groups(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(String::as_str)
    }

    /// Returns true when `kind` is an action a request may name.
    pub fn declares_action(&self, kind: &str) -> bool {
        self.kinds.contains(kind)
    }
}

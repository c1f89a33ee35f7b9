//! Reads a playbook's YAML tree into its types, collecting every problem on the way.
//!
//! The tree is walked by hand rather than through serde, because serde stops at the first
//! problem while `riposte validate --playbooks` shows all of them, each with its line and
//! column. Scalars are read as written, without YAML's type resolution, so `no` stays text.

use std::collections::BTreeSet;
use std::path::Path;

use saphyr::{AnnotatedMapping, MarkedYaml, Scalar, ScalarStyle, YamlData, YamlLoader};
use saphyr_parser::Parser;

use crate::catalog::{
    ACTIONS, ActionSpec, DETECTIONS, IDENTITY_KINDS, LIST_PARAMETERS, PROVIDERS, SEVERITIES,
    action_spec, parse_identity_kind, parse_provider, parse_severity, suggest_action,
};
use crate::error::{PlaybookError, PlaybookErrorKind, closest};
use crate::playbook::{Conditions, Parameter, Playbook, Step};
use crate::template::Template;

const PLAYBOOK_KEYS: &[&str] = &["name", "description", "when", "steps"];
const WHEN_KEYS: &[&str] = &["detections", "min_severity", "identity_kinds", "providers"];
const STEP_KEYS: &[&str] = &["action", "with", "fallback"];

/// The deepest fallback read: a step, its fallback, and two more levels. Deeper nesting is
/// more likely a mistake in indentation than a plan.
const MAX_FALLBACK_DEPTH: usize = 3;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    line: usize,
    column: usize,
}

/// Parses a playbook from YAML text. `file` names the text in errors and in the playbook.
pub fn parse_playbook(text: &str, file: Option<&Path>) -> Result<Playbook, Vec<PlaybookError>> {
    let to_errors = |problems: Vec<(Position, PlaybookErrorKind)>| {
        problems
            .into_iter()
            .map(|(position, kind)| PlaybookError {
                file: file.map(Into::into),
                line: position.line,
                column: position.column,
                kind,
            })
            .collect::<Vec<_>>()
    };

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
        return Err(to_errors(vec![(
            position,
            PlaybookErrorKind::Syntax {
                reason: error.info().to_owned(),
            },
        )]));
    }
    let documents = loader.into_documents();
    let root = match documents.as_slice() {
        [] => {
            return Err(to_errors(vec![(
                Position::default(),
                PlaybookErrorKind::Empty,
            )]));
        }
        [root] => root,
        _ => {
            return Err(to_errors(vec![(
                Position::default(),
                PlaybookErrorKind::MultipleDocuments {
                    count: documents.len(),
                },
            )]));
        }
    };

    let mut reader = Reader::default();
    let playbook = reader.read_playbook(root, file);
    match playbook {
        Some(playbook) if reader.problems.is_empty() => Ok(playbook),
        _ => {
            let mut problems = reader.problems;
            problems.sort_by_key(|(position, _)| *position);
            Err(to_errors(problems))
        }
    }
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

/// The keys of one mapping, in the order written, with the mapping's position.
struct Fields<'n, 'i> {
    entries: Vec<(&'n str, &'n MarkedYaml<'i>)>,
    position: Position,
}

impl<'n, 'i> Fields<'n, 'i> {
    fn get(&self, key: &str) -> Option<&'n MarkedYaml<'i>> {
        self.entries
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, node)| *node)
    }
}

#[derive(Default)]
struct Reader {
    problems: Vec<(Position, PlaybookErrorKind)>,
}

impl Reader {
    fn problem(&mut self, position: Position, kind: PlaybookErrorKind) {
        self.problems.push((position, kind));
    }

    /// Returns the keys of a mapping, reporting unknown keys and a node of another shape.
    /// An empty value is an empty mapping.
    fn fields<'n, 'i>(
        &mut self,
        node: &'n MarkedYaml<'i>,
        allowed: &[&str],
        key: &str,
        context: &str,
    ) -> Option<Fields<'n, 'i>> {
        let mut fields = Fields {
            entries: Vec::new(),
            position: position(node),
        };
        let mapping = match shape(node) {
            Shape::Map(mapping) => mapping,
            Shape::Null => return Some(fields),
            other => {
                self.problem(
                    position(node),
                    PlaybookErrorKind::WrongType {
                        key: key.to_owned(),
                        context: context.to_owned(),
                        expected: "a mapping",
                        found: other.describe(),
                    },
                );
                return None;
            }
        };
        for (name_node, value) in mapping.iter() {
            match shape(name_node) {
                Shape::Text(name) if allowed.contains(&name) => fields.entries.push((name, value)),
                Shape::Text(name) => self.problem(
                    position(name_node),
                    PlaybookErrorKind::UnknownKey {
                        key: name.to_owned(),
                        context: context.to_owned(),
                        expected: allowed.join(", "),
                        suggestion: closest(name, allowed).map(str::to_owned),
                    },
                ),
                other => self.problem(
                    position(name_node),
                    PlaybookErrorKind::WrongType {
                        key: "key".to_owned(),
                        context: context.to_owned(),
                        expected: "text",
                        found: other.describe(),
                    },
                ),
            }
        }
        Some(fields)
    }

    /// Returns a text value, trimmed. A null value returns `None` silently; an empty text or
    /// a value of another shape is reported.
    fn text<'n>(
        &mut self,
        node: &'n MarkedYaml<'_>,
        key: &str,
        context: &str,
    ) -> Option<(&'n str, Position)> {
        match shape(node) {
            Shape::Null => None,
            Shape::Text(text) if text.trim().is_empty() => {
                self.problem(
                    position(node),
                    PlaybookErrorKind::EmptyValue {
                        key: key.to_owned(),
                        context: context.to_owned(),
                    },
                );
                None
            }
            Shape::Text(text) => Some((text.trim(), position(node))),
            other => {
                self.problem(
                    position(node),
                    PlaybookErrorKind::WrongType {
                        key: key.to_owned(),
                        context: context.to_owned(),
                        expected: "text",
                        found: other.describe(),
                    },
                );
                None
            }
        }
    }

    /// Returns a required text value, reporting it at the mapping's position when missing.
    fn required_text<'n>(
        &mut self,
        fields: &Fields<'n, '_>,
        key: &str,
        context: &str,
    ) -> Option<(&'n str, Position)> {
        let Some(node) = fields
            .get(key)
            .filter(|node| !matches!(shape(node), Shape::Null))
        else {
            self.problem(
                fields.position,
                PlaybookErrorKind::MissingKey {
                    key: key.to_owned(),
                    context: context.to_owned(),
                },
            );
            return None;
        };
        self.text(node, key, context)
    }

    /// Returns the text items of a list; a single text counts as a list of one.
    fn text_list<'n>(
        &mut self,
        node: &'n MarkedYaml<'_>,
        key: &str,
        context: &str,
    ) -> Vec<(&'n str, Position)> {
        match shape(node) {
            Shape::Null => Vec::new(),
            Shape::Text(_) => self.text(node, key, context).into_iter().collect(),
            Shape::List(items) => items
                .iter()
                .filter_map(|item| self.text(item, key, context))
                .collect(),
            other => {
                self.problem(
                    position(node),
                    PlaybookErrorKind::WrongType {
                        key: key.to_owned(),
                        context: context.to_owned(),
                        expected: "a list of text",
                        found: other.describe(),
                    },
                );
                Vec::new()
            }
        }
    }

    fn read_playbook(&mut self, root: &MarkedYaml<'_>, file: Option<&Path>) -> Option<Playbook> {
        let context = "the playbook";
        let fields = self.fields(root, PLAYBOOK_KEYS, "the document", context)?;

        let name = self.required_text(&fields, "name", context);
        if let Some((name, at)) = name {
            let valid = name.chars().all(|character| {
                character.is_ascii_lowercase()
                    || character.is_ascii_digit()
                    || character == '-'
                    || character == '_'
            });
            if !valid {
                self.problem(
                    at,
                    PlaybookErrorKind::InvalidName {
                        name: name.to_owned(),
                    },
                );
            }
        }
        let description = self.required_text(&fields, "description", context);

        let when = match fields.get("when") {
            Some(node) => self.read_when(node),
            None => {
                self.problem(
                    fields.position,
                    PlaybookErrorKind::MissingKey {
                        key: "when".to_owned(),
                        context: context.to_owned(),
                    },
                );
                Conditions::default()
            }
        };

        let steps = match fields.get("steps") {
            None => {
                self.problem(
                    fields.position,
                    PlaybookErrorKind::MissingKey {
                        key: "steps".to_owned(),
                        context: context.to_owned(),
                    },
                );
                Vec::new()
            }
            Some(node) => {
                let steps = self.read_steps(node, "steps", None, 0);
                if steps.is_empty() && matches!(shape(node), Shape::Null | Shape::List([])) {
                    self.problem(position(node), PlaybookErrorKind::NoSteps);
                }
                steps
            }
        };

        Some(Playbook {
            name: name?.0.to_owned(),
            description: description?.0.to_owned(),
            when,
            steps,
            file: file.map(Into::into),
        })
    }

    fn read_when(&mut self, node: &MarkedYaml<'_>) -> Conditions {
        let context = "`when`";
        let mut conditions = Conditions::default();
        let Some(fields) = self.fields(node, WHEN_KEYS, "when", context) else {
            return conditions;
        };

        if let Some(node) = fields.get("detections") {
            for (detection, at) in self.text_list(node, "detections", context) {
                if DETECTIONS.contains(&detection) {
                    conditions.detections.insert(detection.to_owned());
                } else {
                    self.unknown_value(at, "detection", detection, DETECTIONS);
                }
            }
        }
        if let Some(node) = fields.get("min_severity")
            && let Some((text, at)) = self.text(node, "min_severity", context)
        {
            match parse_severity(text) {
                Some(severity) => conditions.min_severity = Some(severity),
                None => {
                    let names: Vec<&str> = SEVERITIES.iter().map(|value| value.as_str()).collect();
                    self.unknown_value(at, "severity", text, &names);
                }
            }
        }
        if let Some(node) = fields.get("identity_kinds") {
            let names: Vec<&str> = IDENTITY_KINDS.iter().map(|kind| kind.as_str()).collect();
            for (text, at) in self.text_list(node, "identity_kinds", context) {
                match parse_identity_kind(text) {
                    Some(kind) => {
                        conditions.identity_kinds.insert(kind);
                    }
                    None => self.unknown_value(at, "identity kind", text, &names),
                }
            }
        }
        if let Some(node) = fields.get("providers") {
            let names: Vec<&str> = PROVIDERS.iter().map(|provider| provider.as_str()).collect();
            for (text, at) in self.text_list(node, "providers", context) {
                match parse_provider(text) {
                    Some(provider) => {
                        conditions.providers.insert(provider);
                    }
                    None => self.unknown_value(at, "provider", text, &names),
                }
            }
        }
        conditions
    }

    fn unknown_value(&mut self, at: Position, category: &'static str, value: &str, known: &[&str]) {
        self.problem(
            at,
            PlaybookErrorKind::UnknownValue {
                category,
                value: value.to_owned(),
                expected: known.join(", "),
                suggestion: closest(value, known).map(str::to_owned),
            },
        );
    }

    /// Reads a list of steps. `parent` is the position of the step whose fallbacks these
    /// are, such as `2` or `2.1`.
    fn read_steps(
        &mut self,
        node: &MarkedYaml<'_>,
        key: &str,
        parent: Option<&str>,
        depth: usize,
    ) -> Vec<Step> {
        let context = match parent {
            None => "the playbook".to_owned(),
            Some(parent) => format!("step {parent}"),
        };
        let items = match shape(node) {
            Shape::List(items) => items,
            Shape::Null => return Vec::new(),
            other => {
                self.problem(
                    position(node),
                    PlaybookErrorKind::WrongType {
                        key: key.to_owned(),
                        context,
                        expected: "a list of steps",
                        found: other.describe(),
                    },
                );
                return Vec::new();
            }
        };
        if depth > MAX_FALLBACK_DEPTH {
            self.problem(
                position(node),
                PlaybookErrorKind::TooDeep {
                    depth,
                    max: MAX_FALLBACK_DEPTH,
                },
            );
            return Vec::new();
        }
        let mut steps = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let label = match parent {
                None => (index + 1).to_string(),
                Some(parent) => format!("{parent}.{}", index + 1),
            };
            if let Some(step) = self.read_step(item, &label, depth) {
                steps.push(step);
            }
        }
        steps
    }

    fn read_step(&mut self, node: &MarkedYaml<'_>, label: &str, depth: usize) -> Option<Step> {
        let context = format!("step {label}");
        let fields = self.fields(node, STEP_KEYS, "steps", &context)?;
        let line = fields.position.line;

        let spec = match self.required_text(&fields, "action", &context) {
            Some((kind, at)) => {
                let spec = action_spec(kind);
                if spec.is_none() {
                    let kinds: Vec<&str> = ACTIONS.iter().map(|spec| spec.kind).collect();
                    self.problem(
                        at,
                        PlaybookErrorKind::UnknownAction {
                            kind: kind.to_owned(),
                            expected: kinds.join(", "),
                            suggestion: suggest_action(kind).map(str::to_owned),
                        },
                    );
                }
                spec
            }
            None => None,
        };

        let parameters = match (spec, fields.get("with")) {
            (Some(spec), node) => self.read_parameters(spec, node, fields.position, &context),
            (None, _) => Vec::new(),
        };
        let fallback = match fields.get("fallback") {
            Some(node) => self.read_steps(node, "fallback", Some(label), depth + 1),
            None => Vec::new(),
        };

        Some(Step {
            spec: spec?,
            parameters,
            fallback,
            line,
        })
    }

    fn read_parameters(
        &mut self,
        spec: &'static ActionSpec,
        node: Option<&MarkedYaml<'_>>,
        step_position: Position,
        context: &str,
    ) -> Vec<(String, Parameter)> {
        let allowed: Vec<&str> = spec.parameters().collect();
        let mut parameters = Vec::new();
        // Names written under `with`, valid values or not, so a bad value is not also
        // reported as a missing parameter.
        let mut written: BTreeSet<&'static str> = BTreeSet::new();
        let mut with_position = step_position;
        if let Some(node) = node {
            with_position = position(node);
            let mapping = match shape(node) {
                Shape::Map(mapping) => Some(mapping),
                Shape::Null => None,
                other => {
                    self.problem(
                        position(node),
                        PlaybookErrorKind::WrongType {
                            key: "with".to_owned(),
                            context: context.to_owned(),
                            expected: "a mapping of parameters",
                            found: other.describe(),
                        },
                    );
                    return parameters;
                }
            };
            for (name_node, value) in mapping.into_iter().flat_map(AnnotatedMapping::iter) {
                let Shape::Text(name) = shape(name_node) else {
                    self.problem(
                        position(name_node),
                        PlaybookErrorKind::WrongType {
                            key: "with".to_owned(),
                            context: context.to_owned(),
                            expected: "parameter names",
                            found: shape(name_node).describe(),
                        },
                    );
                    continue;
                };
                if !allowed.contains(&name) {
                    self.problem(
                        position(name_node),
                        PlaybookErrorKind::UnknownParameter {
                            parameter: name.to_owned(),
                            action: spec.kind,
                            expected: describe_parameters(&allowed),
                            suggestion: closest(name, &allowed).map(str::to_owned),
                        },
                    );
                    continue;
                }
                written.extend(allowed.iter().copied().filter(|known| *known == name));
                if let Some(parameter) = self.read_parameter(name, value, context) {
                    parameters.push((name.to_owned(), parameter));
                }
            }
        }

        for required in spec.required {
            if !written.contains(required) {
                self.problem(
                    with_position,
                    PlaybookErrorKind::MissingParameter {
                        parameter: required,
                        action: spec.kind,
                    },
                );
            }
        }
        if !spec.one_of.is_empty() {
            let found = spec
                .one_of
                .iter()
                .filter(|choice| written.contains(*choice))
                .count();
            if found != 1 {
                self.problem(
                    with_position,
                    PlaybookErrorKind::OneOf {
                        action: spec.kind,
                        choices: spec
                            .one_of
                            .iter()
                            .map(|choice| format!("`{choice}`"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        found,
                    },
                );
            }
        }
        parameters
    }

    fn read_parameter(
        &mut self,
        name: &str,
        value: &MarkedYaml<'_>,
        context: &str,
    ) -> Option<Parameter> {
        if LIST_PARAMETERS.contains(&name) {
            let templates: Vec<Template> = self
                .text_list(value, name, context)
                .into_iter()
                .filter_map(|(text, at)| self.template(name, text, at))
                .collect();
            return Some(Parameter::List(templates));
        }
        let (text, at) = self.text(value, name, context)?;
        let template = self.template(name, text, at)?;
        // A duration written out must be a number; one from a template is checked when the
        // step is expanded.
        if name == "duration_secs"
            && template.variables().next().is_none()
            && text.parse::<u64>().is_err()
        {
            self.problem(
                at,
                PlaybookErrorKind::NotANumber {
                    parameter: name.to_owned(),
                    value: text.to_owned(),
                },
            );
            return None;
        }
        Some(Parameter::Text(template))
    }

    fn template(&mut self, parameter: &str, text: &str, at: Position) -> Option<Template> {
        match Template::parse(text) {
            Ok(template) => Some(template),
            Err(error) => {
                self.problem(
                    at,
                    PlaybookErrorKind::Template {
                        parameter: parameter.to_owned(),
                        error,
                    },
                );
                None
            }
        }
    }
}

fn describe_parameters(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        "no parameters".to_owned()
    } else {
        format!("one of {}", allowed.join(", "))
    }
}

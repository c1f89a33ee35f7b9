//! Parses a policy file, checks its annotations and validates it against the schema.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet, ValidationError, ValidationMode, Validator};

use crate::engine::{Effect, Level};
use crate::error::{PolicyError, PolicyErrorKind, diagnostic_error, line_column};
use crate::schema::PolicySchema;

/// The largest policy file read, in bytes. The default policy is under 4 KiB; a policy file
/// of many thousands of rules is not one a person can review.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// The effect, level and place of one policy, as the engine keeps them.
#[derive(Clone, Debug)]
pub(crate) struct PolicyInfo {
    pub effect: Effect,
    pub level: Level,
    /// 1-based line where the policy starts.
    pub line: usize,
}

/// A policy file that parsed and validated: the policies under their `@id`s.
#[derive(Debug)]
pub(crate) struct LoadedPolicies {
    pub policies: PolicySet,
    pub info: BTreeMap<String, PolicyInfo>,
}

/// Checks a policy text against a schema: Cedar syntax, the `@id` and `@decision` annotations
/// of every policy, and Cedar's strict validation. Returns every problem found, in the order
/// of the text.
pub fn validate(policy_text: &str, schema: &PolicySchema) -> Result<(), Vec<PolicyError>> {
    load(policy_text, None, schema).map(|_| ())
}

/// Reads a policy file and checks it as [`validate`] does; errors name the file.
pub fn validate_file(path: &Path, schema: &PolicySchema) -> Result<(), Vec<PolicyError>> {
    let text = read_policy_file(path)?;
    load(&text, Some(path), schema).map(|_| ())
}

pub(crate) fn read_policy_file(path: &Path) -> Result<String, Vec<PolicyError>> {
    let read_error = |reason: String| {
        vec![PolicyError::new(
            Some(path),
            0,
            0,
            PolicyErrorKind::Read { reason },
        )]
    };
    let size = std::fs::metadata(path)
        .map_err(|error| read_error(error.to_string()))?
        .len();
    if size > MAX_POLICY_BYTES {
        return Err(read_error(format!(
            "the file is {size} bytes, over the limit of {MAX_POLICY_BYTES} bytes"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|error| read_error(error.to_string()))?;
    // Editors on Windows may start the file with a byte order mark, which Cedar does not read.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// The deepest nesting of brackets, conditionals, member accesses or unary operators a policy
/// may have. Cedar's parser and validator recurse once per level, so a small file nested a few
/// hundred levels deep would overflow the stack. Real policies stay under ten levels.
const MAX_NESTING: usize = 32;

/// Returns the byte offset and depth where `text` first goes over [`MAX_NESTING`], outside
/// string literals and comments.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut depth = 0_usize;
    let mut unary_run = 0_usize;
    let mut chain = 0_usize;
    let mut conditionals = 0_usize;
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'"' => {
                // Skip the string literal, escapes included.
                index += 1;
                while let Some(&inner) = bytes.get(index) {
                    match inner {
                        b'\\' => index += 1,
                        b'"' => break,
                        _ => {}
                    }
                    index += 1;
                }
            }
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                while bytes.get(index).is_some_and(|&inner| inner != b'\n') {
                    index += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((index, depth));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if matches!(byte, b'!' | b'-') && bytes.get(index + 1) != Some(&b'=') {
            unary_run += 1;
            if unary_run > MAX_NESTING {
                return Some((index, unary_run));
            }
        } else if !byte.is_ascii_whitespace() {
            unary_run = 0;
        }
        // Member accesses chain without spaces, as in `resource.tags.contains("x")`.
        if byte == b'.' {
            chain += 1;
            if chain > MAX_NESTING {
                return Some((index, chain));
            }
        } else if byte.is_ascii_whitespace() || b"=&|<>+*,;".contains(&byte) {
            chain = 0;
        }
        // Every `if` has its `else`: the difference is how deep the conditionals are nested.
        if keyword_at(bytes, index, b"if") {
            conditionals += 1;
            if conditionals > MAX_NESTING {
                return Some((index, conditionals));
            }
        } else if keyword_at(bytes, index, b"else") {
            conditionals = conditionals.saturating_sub(1);
        }
        index += 1;
    }
    None
}

/// Returns true when `word` is at `index` as a whole word.
fn keyword_at(bytes: &[u8], index: usize, word: &[u8]) -> bool {
    let before = index
        .checked_sub(1)
        .and_then(|before| bytes.get(before).copied());
    bytes.get(index..index + word.len()) == Some(word)
        && !is_identifier_byte(before)
        && !is_identifier_byte(bytes.get(index + word.len()).copied())
}

fn is_identifier_byte(byte: Option<u8>) -> bool {
    byte.is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

pub(crate) fn load(
    text: &str,
    file: Option<&Path>,
    schema: &PolicySchema,
) -> Result<LoadedPolicies, Vec<PolicyError>> {
    if let Some((offset, depth)) = too_deep(text) {
        let (line, column) = line_column(text, offset);
        return Err(vec![PolicyError::new(
            file,
            line,
            column,
            PolicyErrorKind::TooDeep {
                depth,
                limit: MAX_NESTING,
            },
        )]);
    }
    let parsed = match PolicySet::from_str(text) {
        Ok(parsed) => parsed,
        Err(errors) => {
            return Err(errors
                .iter()
                .map(|error| {
                    let (line, column, message) = diagnostic_error(error, text);
                    PolicyError::new(file, line, column, PolicyErrorKind::Syntax { message })
                })
                .collect());
        }
    };

    let mut problems = Vec::new();
    let mut policies = PolicySet::new();
    let mut info: BTreeMap<String, PolicyInfo> = BTreeMap::new();
    let mut cursor = 0;
    for source in in_source_order(&parsed) {
        let offset = source.offset(text, &mut cursor);
        let (line, column) = line_column(text, offset);
        let at = |kind| PolicyError::new(file, line, column, kind);

        if source.template {
            problems.push(at(PolicyErrorKind::Template {
                policy: unnamed(line),
            }));
            continue;
        }
        let Some(policy) = source.policy else {
            continue;
        };

        let id = match policy.annotation("id").map(str::trim) {
            None | Some("") => {
                problems.push(at(PolicyErrorKind::MissingId));
                None
            }
            Some(id) => match info.get(id) {
                Some(first) => {
                    problems.push(at(PolicyErrorKind::DuplicateId {
                        id: id.to_owned(),
                        first_line: first.line,
                    }));
                    None
                }
                None => Some(id.to_owned()),
            },
        };
        let name = id.clone().unwrap_or_else(|| unnamed(line));

        let level = match policy.annotation("decision") {
            Some("execute") => Some(Level::Execute),
            Some("approve") => Some(Level::Approve),
            Some(value) => {
                let (line, column) =
                    annotation_position(text, offset, policy, "decision").unwrap_or((line, column));
                problems.push(PolicyError::new(
                    file,
                    line,
                    column,
                    PolicyErrorKind::InvalidDecision {
                        policy: name.clone(),
                        value: value.to_owned(),
                    },
                ));
                None
            }
            None => {
                problems.push(at(PolicyErrorKind::MissingDecision {
                    policy: name.clone(),
                }));
                None
            }
        };

        let effect = match policy.effect() {
            cedar_policy::Effect::Permit => Effect::Permit,
            cedar_policy::Effect::Forbid => Effect::Forbid,
        };
        // Policies with a problem are still validated, so one run reports everything; only
        // their id is then a made-up one.
        if policies.add(policy.new_id(PolicyId::new(&name))).is_ok()
            && let (Some(id), Some(level)) = (id, level)
        {
            info.insert(
                id,
                PolicyInfo {
                    effect,
                    level,
                    line,
                },
            );
        }
    }

    problems.extend(validation_errors(&policies, text, file, schema));

    if problems.is_empty() {
        Ok(LoadedPolicies { policies, info })
    } else {
        problems.sort_by_key(|problem| (problem.line, problem.column));
        Err(problems)
    }
}

/// One policy or template of a parsed set, with what locating it in the text needs.
struct Source<'a> {
    /// Cedar's id, `policy0`, `policy1`... in the order of the text.
    index: usize,
    policy: Option<&'a cedar_policy::Policy>,
    template: bool,
    text: Option<String>,
}

impl Source<'_> {
    /// Returns the byte offset where the policy starts, searching from `cursor` and moving it
    /// past the policy. Policies are visited in text order, so identical policies are found
    /// one after the other.
    fn offset(&self, source: &str, cursor: &mut usize) -> usize {
        let Some(text) = self.text.as_deref() else {
            return *cursor;
        };
        let rest = source.get(*cursor..).unwrap_or_default();
        match rest.find(text) {
            Some(found) => {
                let offset = *cursor + found;
                *cursor = offset + text.len();
                offset
            }
            None => *cursor,
        }
    }
}

/// Returns the name of a policy without a usable `@id`, for messages and as its Cedar id.
fn unnamed(line: usize) -> String {
    format!("(no @id, line {line})")
}

/// Lists the policies and templates of a set in the order of the text. Cedar names them
/// `policy0`, `policy1`... in that order but keeps them in a hash map.
fn in_source_order(set: &PolicySet) -> Vec<Source<'_>> {
    let mut sources: Vec<Source<'_>> = set
        .policies()
        .map(|policy| Source {
            index: cedar_index(policy.id()),
            policy: Some(policy),
            template: false,
            text: policy.to_cedar(),
        })
        .chain(set.templates().map(|template| Source {
            index: cedar_index(template.id()),
            policy: None,
            template: true,
            text: Some(template.to_cedar()),
        }))
        .collect();
    sources.sort_by_key(|source| source.index);
    sources
}

fn cedar_index(id: &PolicyId) -> usize {
    id.to_string()
        .strip_prefix("policy")
        .and_then(|number| number.parse().ok())
        .unwrap_or(usize::MAX)
}

/// Returns the position of `@name` inside the policy that starts at `offset`.
fn annotation_position(
    text: &str,
    offset: usize,
    policy: &cedar_policy::Policy,
    name: &str,
) -> Option<(usize, usize)> {
    let policy_text = policy.to_cedar()?;
    let inside = policy_text.find(&format!("@{name}"))?;
    Some(line_column(text, offset + inside))
}

/// Runs Cedar's strict validation and returns its errors, one per policy and place.
///
/// Cedar checks a policy once per action it may apply to, so an unknown context attribute
/// comes back once per action. Those copies are merged into one error that names no action.
/// "No applicable action" is left out for a policy that names an unknown action, because it
/// only follows from that.
fn validation_errors(
    policies: &PolicySet,
    text: &str,
    file: Option<&Path>,
    schema: &PolicySchema,
) -> Vec<PolicyError> {
    let validator = Validator::new(schema.schema.clone());
    let result = validator.validate(policies, ValidationMode::Strict);
    let errors: Vec<&ValidationError> = result.validation_errors().collect();
    let unknown_action: Vec<&PolicyId> = errors
        .iter()
        .filter(|error| matches!(error, ValidationError::UnrecognizedActionId(_)))
        .map(|error| error.policy_id())
        .collect();

    let mut found: Vec<PolicyError> = Vec::new();
    for error in errors {
        if matches!(error, ValidationError::InvalidActionApplication(_))
            && unknown_action.contains(&error.policy_id())
        {
            continue;
        }
        let (line, column, message) = diagnostic_error(error, text);
        let problem = PolicyError::new(
            file,
            line,
            column,
            PolicyErrorKind::Validation {
                policy: error.policy_id().to_string(),
                message: without_action(&strip_policy_prefix(&message)),
            },
        );
        if !found.contains(&problem) {
            found.push(problem);
        }
    }
    found
}

/// Removes ` for Riposte::Action::"NAME"` from a message about the context.
fn without_action(message: &str) -> String {
    const MARK: &str = " for Riposte::Action::\"";
    let Some(start) = message.find(MARK) else {
        return message.to_owned();
    };
    let name_start = start + MARK.len();
    let Some(name_length) = message.get(name_start..).and_then(|rest| rest.find('"')) else {
        return message.to_owned();
    };
    let before = message.get(..start).unwrap_or_default();
    let after = message
        .get(name_start + name_length + 1..)
        .unwrap_or_default();
    format!("{before}{after}")
}

/// Removes the `for policy `ID`, ` that Cedar puts before validation messages, because
/// riposte's message names the policy already.
fn strip_policy_prefix(message: &str) -> String {
    match message.strip_prefix("for policy `") {
        Some(rest) => match rest.find("`, ") {
            Some(end) => rest.get(end + 3..).unwrap_or(rest).to_owned(),
            None => message.to_owned(),
        },
        None => message.to_owned(),
    }
}

//! Errors of reading playbooks and of expanding their steps.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::template::TemplateError;

/// One problem in a playbook file, with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaybookError {
    /// The file as it was named to the loader, when the text came from a file.
    pub file: Option<Arc<Path>>,
    /// 1-based line of the value at fault, or 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, in characters, of the value at fault, or 0 with line 0.
    pub column: usize,
    pub kind: PlaybookErrorKind,
}

impl fmt::Display for PlaybookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if self.line > 0 {
            write!(f, "{}:{}:", self.line, self.column)?;
        }
        if self.file.is_some() || self.line > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for PlaybookError {}

/// A problem in a playbook.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaybookErrorKind {
    #[error("failed to read the playbook: {reason}")]
    Read { reason: String },
    #[error("failed to list the playbook directory: {reason}")]
    ReadDir { reason: String },
    #[error("no playbook in the directory: expected files ending in `.yaml` or `.yml`")]
    EmptyDir,
    #[error("invalid YAML: {reason}")]
    Syntax { reason: String },
    #[error("the playbook holds {count} YAML documents: expected one playbook per file")]
    MultipleDocuments { count: usize },
    #[error("the playbook is empty: expected `name`, `description`, `when` and `steps`")]
    Empty,
    #[error(
        "unknown key `{key}` in {context}: expected one of {expected}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownKey {
        key: String,
        context: String,
        expected: String,
        suggestion: Option<String>,
    },
    #[error("missing key `{key}` in {context}: add it")]
    MissingKey { key: String, context: String },
    #[error("invalid `{key}` in {context}: expected {expected}, found {found}")]
    WrongType {
        key: String,
        context: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("empty `{key}` in {context}: give a value or remove the key")]
    EmptyValue { key: String, context: String },
    #[error(
        "invalid playbook name `{name}`: expected lowercase letters, digits, `-` and `_`, \
         such as `okta-session-theft`"
    )]
    InvalidName { name: String },
    #[error("duplicate playbook name `{name}`: {first} has it already")]
    DuplicateName { name: String, first: String },
    #[error(
        "unknown {category} `{value}`: expected one of {expected}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownValue {
        /// What the value names: `detection`, `identity kind`, `provider`, `severity`.
        category: &'static str,
        value: String,
        expected: String,
        suggestion: Option<String>,
    },
    #[error(
        "unknown action kind `{kind}`: expected one of {expected}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownAction {
        kind: String,
        expected: String,
        suggestion: Option<String>,
    },
    #[error(
        "unknown parameter `{parameter}` for `{action}`: expected {expected}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownParameter {
        parameter: String,
        action: &'static str,
        expected: String,
        suggestion: Option<String>,
    },
    #[error("missing parameter `{parameter}` for `{action}`: add it under `with`")]
    MissingParameter {
        parameter: &'static str,
        action: &'static str,
    },
    #[error("`{action}` takes exactly one of {choices}: found {found}")]
    OneOf {
        action: &'static str,
        choices: String,
        found: usize,
    },
    #[error("invalid template in `{parameter}`: {error}")]
    Template {
        parameter: String,
        error: TemplateError,
    },
    #[error("invalid `{parameter}` `{value}`: expected a whole number of seconds or a template")]
    NotANumber { parameter: String, value: String },
    #[error("fallbacks nested {depth} deep: at most {max} levels are read")]
    TooDeep { depth: usize, max: usize },
    #[error("`steps` is empty: a playbook needs at least one step")]
    NoSteps,
}

/// A reason a step could not be turned into an action for an incident.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    #[error("no value for `{{{variable}}}` in `{parameter}` of `{action}`")]
    MissingValue {
        action: &'static str,
        parameter: String,
        variable: String,
    },
    #[error("empty `{parameter}` of `{action}`: its template gave no text")]
    EmptyValue {
        action: &'static str,
        parameter: &'static str,
    },
    #[error("invalid `{parameter}` `{value}` of `{action}`: expected a whole number of seconds")]
    NotANumber {
        action: &'static str,
        parameter: &'static str,
        value: String,
    },
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default()
}

/// Returns the candidate closest to `text` when it is close enough to be a typo: at most one
/// edit per three characters of `text`, and at least one. A swap of two neighbouring
/// characters counts as one edit; case and the choice between `-` and `_` do not count.
pub(crate) fn closest<'a>(text: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let folded = text.to_lowercase().replace('-', "_");
    let allowed = (folded.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|candidate| (strsim::osa_distance(&folded, candidate), *candidate))
        .filter(|(distance, _)| *distance <= allowed)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

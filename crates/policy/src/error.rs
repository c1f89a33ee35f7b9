//! Errors of loading a policy and of deciding on an action.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use miette::Diagnostic;

/// One problem in a policy or schema file, with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// The file as it was named to the loader, when the text came from a file.
    pub file: Option<Arc<Path>>,
    /// 1-based line of the text at fault, or 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, in characters, of the text at fault, or 0 with line 0.
    pub column: usize,
    pub kind: PolicyErrorKind,
}

impl PolicyError {
    pub(crate) fn new(
        file: Option<&Path>,
        line: usize,
        column: usize,
        kind: PolicyErrorKind,
    ) -> Self {
        Self {
            file: file.map(Arc::from),
            line,
            column,
            kind,
        }
    }
}

impl fmt::Display for PolicyError {
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

impl std::error::Error for PolicyError {}

/// A problem in a policy or schema.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyErrorKind {
    #[error("failed to read the policy: {reason}")]
    Read { reason: String },
    #[error("invalid Cedar syntax: {message}")]
    Syntax { message: String },
    #[error("invalid Cedar schema: {message}")]
    Schema { message: String },
    #[error("the schema does not declare entity type `{name}`: riposte's requests need it")]
    MissingEntityType { name: String },
    #[error("policy `{policy}` does not match the schema: {message}")]
    Validation { policy: String, message: String },
    #[error(
        "policy without an `@id` annotation: add `@id(\"NAME\")` so the audit record can name it"
    )]
    MissingId,
    #[error("duplicate policy id `{id}`: the policy on line {first_line} has it already")]
    DuplicateId { id: String, first_line: usize },
    #[error(
        "policy `{policy}` has no `@decision` annotation: add `@decision(\"execute\")` or \
         `@decision(\"approve\")`"
    )]
    MissingDecision { policy: String },
    #[error(
        "invalid `@decision(\"{value}\")` on policy `{policy}`: expected `execute` or `approve`"
    )]
    InvalidDecision { policy: String, value: String },
    #[error(
        "policy `{policy}` is a template (it uses `?principal` or `?resource`): write the \
         entity out, riposte links no templates"
    )]
    Template { policy: String },
    #[error("expression nested {depth} levels deep, over the limit of {limit}: write it flatter")]
    TooDeep { depth: usize, limit: usize },
}

/// A reason no decision could be taken.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("unknown action kind `{kind}`: the policy schema declares no such action")]
    UnknownAction { kind: String },
    #[error("invalid identity `{id}` for the policy schema: {message}")]
    Identity { id: String, message: String },
    #[error("invalid policy request for `{kind}` on `{id}`: {message}")]
    Request {
        kind: String,
        id: String,
        message: String,
    },
}

/// Returns the 1-based line and column of the first label of a Cedar diagnostic in `source`,
/// or (0, 0) when it has none, and its message followed by its help text.
pub(crate) fn diagnostic_error(error: &dyn Diagnostic, source: &str) -> (usize, usize, String) {
    let offset = error
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    let (line, column) = offset.map_or((0, 0), |offset| line_column(source, offset));
    let mut message = error.to_string();
    if let Some(help) = error.help() {
        message.push_str("; ");
        message.push_str(&help.to_string());
    }
    (line, column, message)
}

/// Converts a byte offset in `source` to a 1-based line and a 1-based column in characters.
/// An offset past the end points after the last character.
pub(crate) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (index, character) in source.char_indices() {
        if index >= offset {
            break;
        }
        if character == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let source = "ab\nçd\ne";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 3), (2, 1));
        // `ç` is two bytes, so byte 5 is the second character of line 2.
        assert_eq!(line_column(source, 5), (2, 2));
        assert_eq!(line_column(source, 100), (3, 2));
    }
}

//! Errors found while reading and validating an inventory file.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::key::KeyError;

/// One problem in an inventory file, with the place it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryError {
    /// The inventory file as it was named to [`crate::Inventory::load`].
    pub file: Arc<Path>,
    /// 1-based line of the value at fault, or 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, in characters, of the value at fault, or 0 with line 0.
    pub column: usize,
    pub kind: InventoryErrorKind,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                self.line,
                self.column,
                self.kind
            )
        }
    }
}

impl std::error::Error for InventoryError {}

/// Every problem found in an inventory file, in the order of the file.
///
/// Loading goes on past the first problem, so that one run of `riposte validate` shows all of
/// them. Only a YAML syntax error stops reading, because nothing after it can be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryErrors(pub Vec<InventoryError>);

impl InventoryErrors {
    pub fn errors(&self) -> &[InventoryError] {
        &self.0
    }

    /// Returns each error's message, one per entry, for tests and plain output.
    pub fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for InventoryErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InventoryErrors {}

/// The problem found, with the value at fault and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InventoryErrorKind {
    #[error("failed to read the inventory: {reason}")]
    Read { reason: String },
    #[error(
        "the inventory is {size} bytes, over the limit of {limit} bytes: \
         keep only people, non-human identities, break-glass accounts and networks in it"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error("invalid YAML: {reason}")]
    Syntax { reason: String },
    #[error("the inventory holds {count} YAML documents: expected one")]
    MultipleDocuments { count: usize },
    #[error(
        "unknown field `{field}` in {context}: expected one of {expected}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownField {
        field: String,
        context: String,
        expected: String,
        suggestion: Option<String>,
    },
    #[error("invalid field name in {context}: expected text, found {found}")]
    InvalidFieldName {
        context: String,
        found: &'static str,
    },
    #[error("missing field `{field}` in {context}: add it")]
    MissingField { field: String, context: String },
    #[error("empty `{field}` in {context}: give a value or remove the field")]
    EmptyValue { field: String, context: String },
    #[error("invalid `{field}` in {context}: expected {expected}, found {found}")]
    WrongType {
        field: String,
        context: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error(
        "unknown {field} `{value}` for {subject}: expected one of {expected}{}",
        did_you_mean(suggestion.as_deref())
    )]
    UnknownValue {
        field: &'static str,
        value: String,
        subject: String,
        expected: String,
        suggestion: Option<String>,
    },
    #[error(
        "invalid CIDR `{value}` in `{field}`: expected an address range such as \
         `198.51.100.0/24` or `2001:db8::/48`"
    )]
    InvalidCidr { value: String, field: String },
    #[error("invalid e-mail `{value}` in `{field}` of {context}: expected `name@domain.tld`")]
    InvalidEmail {
        value: String,
        field: String,
        context: String,
    },
    #[error(
        "invalid IAM user ARN `{value}` in `{field}` of {context}: \
         expected `arn:aws:iam::ACCOUNT:user/NAME`"
    )]
    InvalidIamUserArn {
        value: String,
        field: String,
        context: String,
    },
    #[error(
        "invalid Entra object id `{value}` in `{field}` of {context}: \
         expected a GUID such as `5f03d160-159a-40d3-83a2-c59a1e0632f9`"
    )]
    InvalidObjectId {
        value: String,
        field: String,
        context: String,
    },
    #[error(
        "invalid role session `{value}` in `{field}` of {context}: expected `SESSION_NAME`, \
         `ROLE/SESSION_NAME` or `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION_NAME`"
    )]
    InvalidRoleSession {
        value: String,
        field: String,
        context: String,
    },
    #[error(
        "duplicate person e-mail `{email}`: the person on line {first_line} has it already; \
         merge the two entries"
    )]
    DuplicateEmail { email: String, first_line: usize },
    #[error(
        "`{value}` in `{field}` of {context} is already claimed by {first} on line \
         {first_line}: keep it on one entry"
    )]
    ClaimedTwice {
        value: String,
        field: String,
        context: String,
        first: String,
        first_line: usize,
    },
    #[error("{0}")]
    Key(#[from] KeyError),
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default()
}

/// Returns the candidate closest to `text` when it is close enough to be a typo: one edit per
/// three characters of `text`, and at least one. A swap of two neighbouring characters counts
/// as one edit; case and the choice between `-` and `_` do not count.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_name_tolerates_separators_and_typos() {
        let names = ["email", "name", "accounts"];
        assert_eq!(closest("emial", &names), Some("email"));
        assert_eq!(closest("Accounts", &names), Some("accounts"));
        assert_eq!(closest("nmae", &names), Some("name"));
        assert_eq!(closest("owner", &names), None);
        assert_eq!(closest("team", &names), None);
        assert_eq!(
            closest("service-principal", &["service_principal", "api_token"]),
            Some("service_principal")
        );
    }
}

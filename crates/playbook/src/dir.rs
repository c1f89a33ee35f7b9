//! Loads playbook files and directories.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{PlaybookError, PlaybookErrorKind};
use crate::playbook::Playbook;
use crate::read::parse_playbook;

/// The largest playbook file read, in bytes. A playbook is a few dozen lines; a file this
/// large is not one.
const MAX_PLAYBOOK_BYTES: u64 = 256 * 1024;

/// Reads and checks one playbook file.
pub fn load_file(path: &Path) -> Result<Playbook, Vec<PlaybookError>> {
    let error = |kind| {
        vec![PlaybookError {
            file: Some(path.into()),
            line: 0,
            column: 0,
            kind,
        }]
    };
    let size = std::fs::metadata(path)
        .map_err(|failure| {
            error(PlaybookErrorKind::Read {
                reason: failure.to_string(),
            })
        })?
        .len();
    if size > MAX_PLAYBOOK_BYTES {
        return Err(error(PlaybookErrorKind::Read {
            reason: format!(
                "the file is {size} bytes, over the limit of {MAX_PLAYBOOK_BYTES} bytes"
            ),
        }));
    }
    let text = std::fs::read_to_string(path).map_err(|failure| {
        error(PlaybookErrorKind::Read {
            reason: failure.to_string(),
        })
    })?;
    parse_playbook(&text, Some(path))
}

/// Reads and checks every `.yaml` and `.yml` file of a directory, in name order, and
/// checks that no two playbooks share a name. Subdirectories are not read. Returns the
/// playbooks when every file is valid, else every problem of every file.
pub fn validate_dir(dir: &Path) -> Result<Vec<Playbook>, Vec<PlaybookError>> {
    let dir_error = |kind| {
        vec![PlaybookError {
            file: Some(dir.into()),
            line: 0,
            column: 0,
            kind,
        }]
    };
    let entries = std::fs::read_dir(dir).map_err(|failure| {
        dir_error(PlaybookErrorKind::ReadDir {
            reason: failure.to_string(),
        })
    })?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|failure| {
            dir_error(PlaybookErrorKind::ReadDir {
                reason: failure.to_string(),
            })
        })?;
        let path = entry.path();
        let is_yaml = path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| matches!(extension, "yaml" | "yml"));
        if is_yaml && path.is_file() {
            paths.push(path);
        }
    }
    if paths.is_empty() {
        return Err(dir_error(PlaybookErrorKind::EmptyDir));
    }
    paths.sort();

    let mut playbooks = Vec::new();
    let mut problems = Vec::new();
    let mut names: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        match load_file(&path) {
            Ok(playbook) => {
                if let Some(first) = names.get(&playbook.name) {
                    problems.push(PlaybookError {
                        file: Some(path.as_path().into()),
                        line: 0,
                        column: 0,
                        kind: PlaybookErrorKind::DuplicateName {
                            name: playbook.name.clone(),
                            first: first.display().to_string(),
                        },
                    });
                } else {
                    names.insert(playbook.name.clone(), path.clone());
                }
                playbooks.push(playbook);
            }
            Err(errors) => problems.extend(errors),
        }
    }
    if problems.is_empty() {
        Ok(playbooks)
    } else {
        Err(problems)
    }
}

/// The playbooks shipped in the repository's `playbooks/` directory, built into the crate as
/// (path, text) pairs in name order.
pub const DEFAULT_PLAYBOOKS: &[(&str, &str)] = &[
    (
        "playbooks/aws-access-key-compromise.yaml",
        include_str!("../../../playbooks/aws-access-key-compromise.yaml"),
    ),
    (
        "playbooks/aws-console-user-compromise.yaml",
        include_str!("../../../playbooks/aws-console-user-compromise.yaml"),
    ),
    (
        "playbooks/aws-credential-for-other-user.yaml",
        include_str!("../../../playbooks/aws-credential-for-other-user.yaml"),
    ),
    (
        "playbooks/aws-role-session-compromise.yaml",
        include_str!("../../../playbooks/aws-role-session-compromise.yaml"),
    ),
    (
        "playbooks/aws-root-activity.yaml",
        include_str!("../../../playbooks/aws-root-activity.yaml"),
    ),
    (
        "playbooks/entra-credential-for-other-identity.yaml",
        include_str!("../../../playbooks/entra-credential-for-other-identity.yaml"),
    ),
    (
        "playbooks/entra-managed-identity.yaml",
        include_str!("../../../playbooks/entra-managed-identity.yaml"),
    ),
    (
        "playbooks/entra-service-principal-compromise.yaml",
        include_str!("../../../playbooks/entra-service-principal-compromise.yaml"),
    ),
    (
        "playbooks/entra-user-compromise.yaml",
        include_str!("../../../playbooks/entra-user-compromise.yaml"),
    ),
    (
        "playbooks/okta-credential-reset-for-other-user.yaml",
        include_str!("../../../playbooks/okta-credential-reset-for-other-user.yaml"),
    ),
    (
        "playbooks/okta-mfa-fatigue.yaml",
        include_str!("../../../playbooks/okta-mfa-fatigue.yaml"),
    ),
    (
        "playbooks/okta-service-app.yaml",
        include_str!("../../../playbooks/okta-service-app.yaml"),
    ),
    (
        "playbooks/okta-user-compromise.yaml",
        include_str!("../../../playbooks/okta-user-compromise.yaml"),
    ),
    (
        "playbooks/password-spray-source.yaml",
        include_str!("../../../playbooks/password-spray-source.yaml"),
    ),
];

/// Reads the shipped playbooks, [`DEFAULT_PLAYBOOKS`].
pub fn default_playbooks() -> Result<Vec<Playbook>, Vec<PlaybookError>> {
    let mut playbooks = Vec::new();
    let mut problems = Vec::new();
    for (path, text) in DEFAULT_PLAYBOOKS {
        match parse_playbook(text, Some(Path::new(path))) {
            Ok(playbook) => playbooks.push(playbook),
            Err(errors) => problems.extend(errors),
        }
    }
    if problems.is_empty() {
        Ok(playbooks)
    } else {
        Err(problems)
    }
}

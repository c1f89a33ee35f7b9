use std::fmt::{self, Write};
use std::sync::Arc;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A value that must never be printed: a session id, a token identifier, a secret.
///
/// `Debug`, `Display` and `Serialize` all print a fingerprint (`sha256:` and the first 12 hex
/// digits of the SHA-256 of the value), so two records that carry the same session can still
/// be matched by a reader without revealing it. Use [`Sensitive::expose`] only to compare or
/// to hand the value to a provider API.
///
/// Clones share the value, so an event's fields and the state that detections keep about a
/// session hold one copy of it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sensitive(Arc<str>);

impl Sensitive {
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Self(value.into())
    }

    /// Returns the value itself. Callers must not log or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Returns `sha256:` followed by the first 12 hex digits of the value's SHA-256 digest.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut text = String::with_capacity(19);
        text.push_str("sha256:");
        for byte in digest.iter().take(6) {
            // Writing to a `String` cannot fail.
            let _ = write!(text, "{byte:02x}");
        }
        text
    }
}

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

impl fmt::Display for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

impl Serialize for Sensitive {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let session = Sensitive::new("idxBager62CSveUkTxvgRtonA");
        assert!(!format!("{session:?}").contains("idxBager"));
        assert!(!format!("{session}").contains("idxBager"));
        assert!(format!("{session}").starts_with("sha256:"));
    }

    #[test]
    fn serialize_writes_the_fingerprint() {
        let session = Sensitive::new("secret-session");
        let json = serde_json::to_string(&session).unwrap();
        assert_eq!(json, format!("\"{}\"", session.fingerprint()));
        assert!(!json.contains("secret-session"));
    }

    #[test]
    fn equal_values_share_a_fingerprint() {
        assert_eq!(
            Sensitive::new("a").fingerprint(),
            Sensitive::new("a").fingerprint()
        );
        assert_ne!(
            Sensitive::new("a").fingerprint(),
            Sensitive::new("b").fingerprint()
        );
    }
}

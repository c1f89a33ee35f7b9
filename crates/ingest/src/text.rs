//! ASCII case-insensitive tests on field text that build no lowered copy of it.
//!
//! Each test returns what the same test on a copy lowered with `to_ascii_lowercase` returns,
//! for a pattern written in ASCII lower case.

/// Returns true when `text` contains `pattern`, ignoring ASCII case. `pattern` is lower
/// case ASCII.
pub(crate) fn contains_ignore_case(text: &str, pattern: &str) -> bool {
    let pattern = pattern.as_bytes();
    if pattern.is_empty() {
        return true;
    }
    text.as_bytes()
        .windows(pattern.len())
        .any(|window| window.eq_ignore_ascii_case(pattern))
}

/// Returns true when `text` starts with `pattern`, ignoring ASCII case. `pattern` is lower
/// case ASCII.
pub(crate) fn starts_with_ignore_case(text: &str, pattern: &str) -> bool {
    text.as_bytes()
        .get(..pattern.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(pattern.as_bytes()))
}

/// Returns true when `text` ends with `pattern`, ignoring ASCII case. `pattern` is lower
/// case ASCII.
pub(crate) fn ends_with_ignore_case(text: &str, pattern: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .len()
        .checked_sub(pattern.len())
        .and_then(|start| bytes.get(start..))
        .is_some_and(|tail| tail.eq_ignore_ascii_case(pattern.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_match_lowered_copies() {
        let texts = [
            "",
            "a",
            "Mobile App Notification",
            "ÉCHEC sms",
            "x.AMAZONAWS.COM",
            "é",
        ];
        let patterns = [
            "",
            "a",
            "notification",
            "sms",
            ".amazonaws.com",
            "échec",
            "é",
        ];
        for text in texts {
            let lowered = text.to_ascii_lowercase();
            for pattern in patterns {
                assert_eq!(
                    contains_ignore_case(text, pattern),
                    lowered.contains(pattern),
                    "{text:?} contains {pattern:?}"
                );
                assert_eq!(
                    starts_with_ignore_case(text, pattern),
                    lowered.starts_with(pattern),
                    "{text:?} starts with {pattern:?}"
                );
                assert_eq!(
                    ends_with_ignore_case(text, pattern),
                    lowered.ends_with(pattern),
                    "{text:?} ends with {pattern:?}"
                );
            }
        }
    }
}

//! The e-mail address check that every link on an address goes through.

/// Returns the address in lowercase when `text` has the form `local@domain.tld`: one `@`, a
/// non-empty local part without whitespace, and a domain of two or more dot-separated labels
/// made of letters, digits and hyphens.
///
/// Linking two accounts on a wrong address would merge two people, so damaged or defanged
/// addresses (`alice@example`, `alice@example[.]com`, `DOMAIN\alice`) are rejected rather
/// than repaired. Addresses compare case-insensitively, as providers treat them.
pub fn normalize_email(text: &str) -> Option<String> {
    let (local, domain) = text.split_once('@')?;
    let local_valid = !local.is_empty()
        && !local
            .chars()
            .any(|character| character.is_whitespace() || matches!(character, '\\' | '/' | ':'));
    let mut label_count = 0;
    let labels_valid = domain.split('.').all(|label| {
        label_count += 1;
        !label.is_empty()
            && label
                .chars()
                .all(|character| character.is_alphanumeric() || character == '-')
    });
    (local_valid && labels_valid && label_count >= 2).then(|| text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_with_dotted_domain_is_accepted() {
        assert_eq!(
            normalize_email("Alice@Example.COM").as_deref(),
            Some("alice@example.com")
        );
        assert_eq!(
            normalize_email("a.b+tag@mail.example.org").as_deref(),
            Some("a.b+tag@mail.example.org")
        );
    }

    #[test]
    fn damaged_addresses_are_rejected() {
        for text in [
            "alice",
            "alice@example",
            "@example.com",
            "alice@@example.com",
            "alice@example..com",
            "alice@.example.com",
            "alice@example.com.",
            "alice@example[.]com",
            "DOMAIN\\alice@example.com",
            "alice smith@example.com",
            "alice@exa mple.com",
        ] {
            assert_eq!(normalize_email(text), None, "{text}");
        }
    }
}

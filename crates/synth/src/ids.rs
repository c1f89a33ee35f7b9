//! Identifiers in the shapes the providers use, drawn from a seeded generator.

use rand::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The alphabet of AWS access key ids and unique ids after their four-letter prefix.
const AWS_ID: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";

fn from_alphabet(rng: &mut impl Rng, alphabet: &[u8], length: usize, text: &mut String) {
    for _ in 0..length {
        let index = rng.random_range(0..alphabet.len());
        if let Some(&byte) = alphabet.get(index) {
            text.push(char::from(byte));
        }
    }
}

fn prefixed(rng: &mut impl Rng, prefix: &str, alphabet: &[u8], length: usize) -> String {
    let mut text = String::with_capacity(prefix.len() + length);
    text.push_str(prefix);
    from_alphabet(rng, alphabet, length, &mut text);
    text
}

/// Draws a random (version 4) UUID in its lowercase hyphenated form.
pub fn uuid(rng: &mut impl Rng) -> String {
    let mut bytes: [u8; 16] = rng.random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = String::with_capacity(36);
    for (position, byte) in bytes.iter().enumerate() {
        if matches!(position, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            if let Some(&digit) = HEX.get(usize::from(nibble)) {
                text.push(char::from(digit));
            }
        }
    }
    text
}

/// Draws `length` lowercase hexadecimal digits.
pub fn hex(rng: &mut impl Rng, length: usize) -> String {
    prefixed(rng, "", HEX, length)
}

/// Draws `length` decimal digits.
pub fn digits(rng: &mut impl Rng, length: usize) -> String {
    prefixed(rng, "", DIGITS, length)
}

/// Draws an Okta object id: a three-character type prefix (`00u` user, `0oa` app, `00g` group)
/// followed by 17 base62 characters.
pub fn okta_id(rng: &mut impl Rng, prefix: &str) -> String {
    prefixed(rng, prefix, BASE62, 17)
}

/// Draws an Okta request or transaction id of 27 characters.
pub fn okta_request_id(rng: &mut impl Rng) -> String {
    prefixed(rng, "", BASE62, 27)
}

/// Draws an Okta Identity Engine session id (`externalSessionId`, `rootSessionId`).
pub fn okta_session_id(rng: &mut impl Rng) -> String {
    prefixed(rng, "idx", BASE62, 22)
}

/// Draws an AWS access key id: a four-letter prefix (`AKIA` long-lived key, `ASIA`
/// temporary key) followed by 16 characters.
pub fn aws_key_id(rng: &mut impl Rng, prefix: &str) -> String {
    prefixed(rng, prefix, AWS_ID, 16)
}

/// Draws an AWS unique id of a role (`AROA`) or user (`AIDA`): the prefix and 17 characters.
pub fn aws_unique_id(rng: &mut impl Rng, prefix: &str) -> String {
    prefixed(rng, prefix, AWS_ID, 17)
}

/// Draws base62 text of `length` characters, for opaque tokens shown in logs.
pub fn base62(rng: &mut impl Rng, length: usize) -> String {
    prefixed(rng, "", BASE62, length)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn uuid_has_version_and_variant() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..100 {
            let id = uuid(&mut rng);
            assert_eq!(id.len(), 36);
            assert_eq!(id.chars().nth(14), Some('4'));
            assert!(matches!(id.chars().nth(19), Some('8' | '9' | 'a' | 'b')));
        }
    }

    #[test]
    fn aws_key_ids_have_twenty_characters() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let key = aws_key_id(&mut rng, "ASIA");
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("ASIA"));
        assert!(key.bytes().all(|byte| AWS_ID.contains(&byte)));
    }
}

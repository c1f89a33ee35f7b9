//! The fixed hash that turns feature values into 32-bit keys.
//!
//! Stored baselines hold only these keys, so the hash is part of the byte format: changing it
//! needs a new format version. The function is 32-bit FNV-1a (offset basis 2166136261, prime
//! 16777619, as defined by Fowler, Noll and Vo): fixed by its definition, fast on the short
//! strings hashed here, and free of dependencies.
//!
//! Collision odds: a value never seen before matches one of the `n` keys stored for the same
//! feature with a probability of about `n / 2^32`, so about 1 in 270 million for 16
//! operations. User-agent families keep 24 bits (see [`fold_24`]), about 1 in 2.8 million for
//! 6 agents. A collision makes a new value look familiar, so it can hide novelty but never
//! invent it.
//!
//! NOTE: FNV-1a is not keyed. An attacker who has learned a value in an identity's baseline
//! (its country, its user agent) could search for another value with the same key, and that
//! value would then look familiar.

use riposte_model::trim;

const OFFSET_BASIS: u32 = 2_166_136_261;
const PRIME: u32 = 16_777_619;

/// Separates the parts of a composite value. 0xFF never occurs in UTF-8, so `("ab", "c")`
/// and `("a", "bc")` hash differently.
const SEPARATOR: u8 = 0xFF;

fn fnv1a(state: u32, bytes: impl IntoIterator<Item = u8>) -> u32 {
    bytes.into_iter().fold(state, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(PRIME)
    })
}

/// Hashes text compared ignoring ASCII case and surrounding whitespace: country and city
/// names, user-agent families, services and operations.
pub(crate) fn text_key(parts: &[&str]) -> u32 {
    let mut hash = OFFSET_BASIS;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            hash = fnv1a(hash, [SEPARATOR]);
        }
        hash = fnv1a(
            hash,
            trim(part).bytes().map(|byte| byte.to_ascii_lowercase()),
        );
    }
    hash
}

/// Hashes an identifier byte for byte: device ids and credential ids.
pub(crate) fn exact_key(value: &str) -> u32 {
    fnv1a(OFFSET_BASIS, trim(value).bytes())
}

/// Hashes raw bytes, such as the first 48 bits of an IPv6 address.
pub(crate) fn bytes_key(bytes: &[u8]) -> u32 {
    fnv1a(OFFSET_BASIS, bytes.iter().copied())
}

/// Folds a 32-bit hash to 24 bits by XOR of the top byte into the rest, the folding FNV's
/// authors recommend for widths below 32.
pub(crate) fn fold_24(hash: u32) -> u32 {
    (hash >> 24) ^ (hash & 0x00FF_FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_published_vectors() {
        // Test vectors of the FNV reference code: "" and "a" and "foobar".
        assert_eq!(bytes_key(b""), 0x811c_9dc5);
        assert_eq!(bytes_key(b"a"), 0xe40c_292c);
        assert_eq!(bytes_key(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn text_keys_ignore_case_and_spaces() {
        assert_eq!(text_key(&["FR"]), text_key(&[" fr "]));
        assert_ne!(text_key(&["ab", "c"]), text_key(&["a", "bc"]));
        assert_ne!(exact_key("Device-1"), exact_key("device-1"));
    }

    #[test]
    fn folding_keeps_24_bits() {
        assert!(fold_24(u32::MAX) <= 0x00FF_FFFF);
        assert_eq!(fold_24(0x0100_0001), 0);
    }
}

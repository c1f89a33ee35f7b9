//! Text helpers that run on every event.

/// Returns `text` without leading and trailing whitespace, as `str::trim` does. Most values
/// start and end with a printable ASCII character, which is never whitespace, and are
/// returned without decoding any character.
#[inline]
pub fn trim(text: &str) -> &str {
    let printable = |byte: Option<&u8>| byte.is_some_and(|byte| matches!(byte, b'!'..=b'~'));
    let bytes = text.as_bytes();
    if printable(bytes.first()) && printable(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_matches_std() {
        let cases = [
            "",
            " ",
            "a",
            " a ",
            "\ta\n",
            "\tvalue\n",
            "value",
            "\u{a0}a\u{2003}",
            "\u{a0}value\u{2003}",
            "a\u{3000}",
            "\u{85}x",
            "x\u{1c}",
            "é",
            " é ",
            "a b",
            "~!",
            "\u{7f}a",
            "\u{7f}x",
        ];
        for case in cases {
            assert_eq!(trim(case), case.trim(), "{case:?}");
        }
    }
}

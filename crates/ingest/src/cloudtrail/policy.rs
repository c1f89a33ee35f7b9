//! IAM policy documents as CloudTrail records them in `requestParameters`.
//!
//! CloudTrail writes a document as a JSON string, and for requests made through the IAM
//! query API often as that string percent-encoded (`%7B%22Version%22...`), the form in which
//! the request carried it.

use crate::json::Value;

/// Decodes a policy document: an object as is, or a string holding JSON or percent-encoded
/// JSON. Returns `None` for a document that is neither, so that the event keeps its other
/// fields. The document is copied, because the event keeps it.
pub(super) fn decode_document(value: Option<&Value<'_>>) -> Option<serde_json::Value> {
    match value? {
        object @ Value::Object(_) => Some(object.to_serde()),
        Value::String(text) => decode_text(text),
        _ => None,
    }
}

fn decode_text(text: &str) -> Option<serde_json::Value> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        return parse_object(trimmed);
    }
    let decoded = percent_decode(trimmed)?;
    parse_object(decoded.trim())
}

fn parse_object(text: &str) -> Option<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(serde_json::Value::is_object)
}

/// Decodes `%XX` escapes and `+` (a space in form encoding). Returns `None` for a truncated
/// or non-hexadecimal escape and for bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = text.bytes();
    let mut decoded = Vec::with_capacity(text.len());
    while let Some(byte) = bytes.next() {
        match byte {
            b'%' => {
                let high = hex_value(bytes.next()?)?;
                let low = hex_value(bytes.next()?)?;
                decoded.push(high << 4 | low);
            }
            b'+' => decoded.push(b' '),
            other => decoded.push(other),
        }
    }
    String::from_utf8(decoded).ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::json::Arena;

    use super::*;

    /// Decodes a document built with `serde_json::json!`.
    fn decoded(document: &serde_json::Value) -> Option<serde_json::Value> {
        decode_document(Some(&Value::from_serde(document, &Arena::new())))
    }

    fn expected() -> serde_json::Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
        })
    }

    #[test]
    fn json_string_is_parsed() {
        let document = json!(
            "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}"
        );
        assert_eq!(decoded(&document), Some(expected()));
    }

    #[test]
    fn pretty_json_string_is_parsed() {
        let document = json!(
            "\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}\n  ]\n}\n"
        );
        assert_eq!(decoded(&document), Some(expected()));
    }

    #[test]
    fn percent_encoded_string_is_parsed() {
        let document = json!(
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"
        );
        assert_eq!(decoded(&document), Some(expected()));
    }

    #[test]
    fn form_encoded_spaces_are_decoded() {
        let document = json!(
            "%7B+%22Version%22%3A+%222012-10-17%22%2C+%22Statement%22%3A+%5B%7B%22Effect%22%3A+%22Allow%22%2C+%22Action%22%3A+%22s3%3AGetObject%22%2C+%22Resource%22%3A+%22*%22%7D%5D+%7D"
        );
        assert_eq!(decoded(&document), Some(expected()));
    }

    #[test]
    fn object_is_kept() {
        assert_eq!(decoded(&expected()), Some(expected()));
    }

    #[test]
    fn undecodable_documents_are_none() {
        assert_eq!(decode_document(None), None);
        assert_eq!(decoded(&json!("%7B%22Version")), None);
        assert_eq!(decoded(&json!("%7")), None);
        assert_eq!(decoded(&json!("%ZZ")), None);
        assert_eq!(decoded(&json!("%FF%FE")), None);
        assert_eq!(decoded(&json!("{\"Version\": ")), None);
        assert_eq!(decoded(&json!("[1, 2]")), None);
        assert_eq!(decoded(&json!(42)), None);
        assert_eq!(decoded(&json!("HIDDEN_DUE_TO_SECURITY_REASONS")), None);
    }
}

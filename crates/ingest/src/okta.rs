//! Normalizer placeholder, replaced by the full okta normalizer.

use serde_json::Value;

use crate::{NormalizeError, Normalized, RecordContext};

pub fn matches(_record: &Value) -> bool {
    false
}

pub fn normalize(
    _record: &Value,
    _context: &RecordContext<'_>,
) -> Result<Normalized, NormalizeError> {
    Ok(Normalized::Unsupported {
        category: "okta".into(),
    })
}

//! Normalizer placeholder, replaced by the full cloudtrail normalizer.

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
        category: "cloudtrail".into(),
    })
}

//! A JSON number that can be copied.

use std::fmt;

use serde::{Serialize, Serializer};

/// A JSON number, stored as `serde_json::Number` stores it: an unsigned integer, a negative
/// integer or a finite float. Its conversions and its text match `serde_json::Number`'s. It is
/// `Copy`, so the members of a parsed object are copied into the arena as one block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(Kind);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Unsigned(u64),
    /// Below zero: a non-negative integer is `Unsigned`, as in `serde_json`.
    Negative(i64),
    /// Finite: JSON has no infinities or NaN, and `from_f64` rejects them.
    Float(f64),
}

impl Number {
    /// Returns the number for a finite float, or `None` for an infinity or NaN.
    pub fn from_f64(value: f64) -> Option<Self> {
        value.is_finite().then_some(Self(Kind::Float(value)))
    }

    /// Converts a `serde_json::Number`, which is always an integer or a finite float.
    pub fn from_serde(number: &serde_json::Number) -> Option<Self> {
        if let Some(value) = number.as_u64() {
            return Some(Self(Kind::Unsigned(value)));
        }
        if let Some(value) = number.as_i64() {
            return Some(Self(Kind::Negative(value)));
        }
        number.as_f64().and_then(Self::from_f64)
    }

    pub fn is_u64(self) -> bool {
        matches!(self.0, Kind::Unsigned(_))
    }

    pub fn is_i64(self) -> bool {
        self.as_i64().is_some()
    }

    pub fn is_f64(self) -> bool {
        matches!(self.0, Kind::Float(_))
    }

    pub fn as_u64(self) -> Option<u64> {
        match self.0 {
            Kind::Unsigned(value) => Some(value),
            Kind::Negative(_) | Kind::Float(_) => None,
        }
    }

    pub fn as_i64(self) -> Option<i64> {
        match self.0 {
            Kind::Unsigned(value) => i64::try_from(value).ok(),
            Kind::Negative(value) => Some(value),
            Kind::Float(_) => None,
        }
    }

    /// Returns the number as a float, rounded for an integer beyond 2^53, as
    /// `serde_json::Number::as_f64` does.
    #[expect(
        clippy::cast_precision_loss,
        reason = "the rounding is the conversion's documented result"
    )]
    pub fn as_f64(self) -> Option<f64> {
        Some(match self.0 {
            Kind::Unsigned(value) => value as f64,
            Kind::Negative(value) => value as f64,
            Kind::Float(value) => value,
        })
    }

    /// Returns the same number as a `serde_json::Number`.
    pub fn to_serde(self) -> serde_json::Number {
        match self.0 {
            Kind::Unsigned(value) => value.into(),
            Kind::Negative(value) => value.into(),
            // `Float` holds only finite values, which `from_f64` always accepts.
            Kind::Float(value) => serde_json::Number::from_f64(value).unwrap_or_else(|| 0.into()),
        }
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Self(Kind::Unsigned(value))
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        match u64::try_from(value) {
            Ok(unsigned) => Self(Kind::Unsigned(unsigned)),
            Err(_) => Self(Kind::Negative(value)),
        }
    }
}

impl fmt::Display for Number {
    /// Writes the number as `serde_json::Number` writes it.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_serde(), formatter)
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_serde().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_match_serde_json() {
        let texts = [
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "-9223372036854775808",
            "-0.0",
            "0.5",
            "-2.5e-7",
            "1e300",
            "18446744073709551616",
        ];
        for text in texts {
            let expected: serde_json::Number = text.parse().unwrap();
            let number = Number::from_serde(&expected).unwrap();
            assert_eq!(number.as_u64(), expected.as_u64(), "{text}");
            assert_eq!(number.as_i64(), expected.as_i64(), "{text}");
            assert_eq!(
                number.as_f64().map(f64::to_bits),
                expected.as_f64().map(f64::to_bits),
                "{text}"
            );
            assert_eq!(number.is_u64(), expected.is_u64(), "{text}");
            assert_eq!(number.is_i64(), expected.is_i64(), "{text}");
            assert_eq!(number.is_f64(), expected.is_f64(), "{text}");
            assert_eq!(number.to_string(), expected.to_string(), "{text}");
            assert_eq!(number.to_serde(), expected, "{text}");
        }
    }

    #[test]
    fn integers_convert_like_serde_json() {
        for value in [0_i64, 1, -1, i64::MAX, i64::MIN] {
            let expected = serde_json::Number::from(value);
            assert_eq!(Number::from(value).to_serde(), expected, "{value}");
            assert_eq!(Number::from(value).is_u64(), expected.is_u64(), "{value}");
        }
        assert_eq!(Number::from(u64::MAX).to_serde(), u64::MAX.into());
    }

    #[test]
    fn infinities_are_not_numbers() {
        assert_eq!(Number::from_f64(f64::INFINITY), None);
        assert_eq!(Number::from_f64(f64::NAN), None);
        assert!(Number::from_f64(-0.0).is_some());
    }
}

//! The network origin of a request, read from `sourceIPAddress`.

use std::net::IpAddr;

use riposte_model::Origin;

use crate::StringCache;
use crate::text::ends_with_ignore_case;

/// Reads `sourceIPAddress`, which contains the caller's address, the DNS name of the AWS service
/// that called on the caller's behalf (`ec2.amazonaws.com`), or `AWS Internal`. A value of
/// any other form is kept as [`Origin::Unparsed`] so that an analyst sees it.
pub(super) fn parse(value: Option<&str>, strings: &StringCache) -> Origin {
    let Some(text) = value.map(str::trim).filter(|text| !text.is_empty()) else {
        return Origin::None;
    };
    if let Ok(address) = text.parse::<IpAddr>() {
        return Origin::Ip(address);
    }
    if text.eq_ignore_ascii_case("AWS Internal") || text.eq_ignore_ascii_case("aws.internal") {
        return Origin::AwsInternal;
    }
    if is_service_name(text) {
        return Origin::AwsService(strings.share(text));
    }
    Origin::Unparsed(text.into())
}

/// Returns true for a DNS name of two or more labels whose last label contains only letters, so that
/// a malformed address such as `00.000.000.00` is not taken for a name.
fn is_service_name(text: &str) -> bool {
    if ends_with_ignore_case(text, ".amazonaws.com") {
        return true;
    }
    let labels_valid = text.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '-')
    });
    let top_level_alphabetic = text.rsplit('.').next().is_some_and(|label| {
        label
            .chars()
            .all(|character| character.is_ascii_alphabetic())
    });
    text.contains('.') && labels_valid && top_level_alphabetic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: Option<&str>) -> Origin {
        super::parse(value, &StringCache::new())
    }

    #[test]
    fn addresses_are_parsed() {
        assert_eq!(
            parse(Some("203.0.113.7")),
            Origin::Ip("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            parse(Some("2001:db8::7")),
            Origin::Ip("2001:db8::7".parse().unwrap())
        );
        assert_eq!(
            parse(Some(" 198.51.100.4 ")),
            Origin::Ip("198.51.100.4".parse().unwrap())
        );
    }

    #[test]
    fn aws_internal_in_any_case() {
        assert_eq!(parse(Some("AWS Internal")), Origin::AwsInternal);
        assert_eq!(parse(Some("aws internal")), Origin::AwsInternal);
        assert_eq!(parse(Some("aws.internal")), Origin::AwsInternal);
        assert_eq!(parse(Some("AWS.Internal")), Origin::AwsInternal);
    }

    #[test]
    fn service_names_are_services() {
        assert_eq!(
            parse(Some("ec2.amazonaws.com")),
            Origin::AwsService("ec2.amazonaws.com".into())
        );
        assert_eq!(
            parse(Some("cloudformation.amazonaws.com")),
            Origin::AwsService("cloudformation.amazonaws.com".into())
        );
        assert_eq!(
            parse(Some("resource-explorer-2.amazonaws.com")),
            Origin::AwsService("resource-explorer-2.amazonaws.com".into())
        );
        assert_eq!(
            parse(Some("console.example.com")),
            Origin::AwsService("console.example.com".into())
        );
    }

    #[test]
    fn malformed_values_are_unparsed() {
        assert_eq!(
            parse(Some("00.000.000.00")),
            Origin::Unparsed("00.000.000.00".into())
        );
        assert_eq!(
            parse(Some("203.0.113.300")),
            Origin::Unparsed("203.0.113.300".into())
        );
        assert_eq!(parse(Some("unknown")), Origin::Unparsed("unknown".into()));
        assert_eq!(
            parse(Some("203.0.113.7:443")),
            Origin::Unparsed("203.0.113.7:443".into())
        );
    }

    #[test]
    fn empty_values_are_no_origin() {
        assert_eq!(parse(None), Origin::None);
        assert_eq!(parse(Some("  ")), Origin::None);
    }
}

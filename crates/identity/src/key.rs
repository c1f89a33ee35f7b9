//! Parsing of identity keys written as text (`provider:id`), as the inventory and the store
//! hold them.

use riposte_model::{IdentityKey, Provider};

/// The providers whose identities riposte keys, in the order messages list them.
pub const PROVIDERS: [Provider; 3] = [Provider::Aws, Provider::Okta, Provider::Entra];

/// Why a text is not an identity key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "identity `{value}` has no provider prefix: write it as `provider:id`, such as `{example}`"
    )]
    MissingProvider { value: String, example: String },
    #[error("unknown provider `{provider}` in `{value}`: expected one of aws, okta, entra")]
    UnknownProvider { provider: String, value: String },
    #[error("identity `{value}` has an empty id after its provider: write it as `provider:id`")]
    EmptyId { value: String },
}

/// Returns the provider named `name`, as [`Provider::as_str`] writes it.
pub fn parse_provider(name: &str) -> Option<Provider> {
    PROVIDERS
        .into_iter()
        .find(|provider| provider.as_str() == name)
}

/// Parses `provider:id`, the form in which [`IdentityKey`] displays itself.
///
/// A bare AWS ARN (`arn:aws:iam::...`) is rejected with a message that shows the `aws:`
/// prefix it lacks, because that is the usual mistake.
pub fn parse_identity_key(text: &str) -> Result<IdentityKey, KeyError> {
    let text = text.trim();
    if text.starts_with("arn:") {
        return Err(KeyError::MissingProvider {
            value: text.to_owned(),
            example: format!("aws:{text}"),
        });
    }
    let Some((provider_name, id)) = text.split_once(':') else {
        return Err(KeyError::MissingProvider {
            value: text.to_owned(),
            example: "aws:arn:aws:iam::111111111111:user/ci-deploy".to_owned(),
        });
    };
    let Some(provider) = parse_provider(provider_name) else {
        return Err(KeyError::UnknownProvider {
            provider: provider_name.to_owned(),
            value: text.to_owned(),
        });
    };
    if id.is_empty() {
        return Err(KeyError::EmptyId {
            value: text.to_owned(),
        });
    }
    Ok(IdentityKey {
        provider,
        id: id.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_round_trips_through_display() {
        let key = parse_identity_key("aws:arn:aws:iam::111111111111:user/ci-deploy").unwrap();
        assert_eq!(key.provider, Provider::Aws);
        assert_eq!(&*key.id, "arn:aws:iam::111111111111:user/ci-deploy");
        assert_eq!(
            key.to_string(),
            "aws:arn:aws:iam::111111111111:user/ci-deploy"
        );
    }

    #[test]
    fn bare_arn_suggests_the_aws_prefix() {
        let error = parse_identity_key("arn:aws:iam::111111111111:user/ci-deploy").unwrap_err();
        assert_eq!(
            error.to_string(),
            "identity `arn:aws:iam::111111111111:user/ci-deploy` has no provider prefix: \
             write it as `provider:id`, such as `aws:arn:aws:iam::111111111111:user/ci-deploy`"
        );
    }

    #[test]
    fn unknown_provider_lists_the_known_ones() {
        let error = parse_identity_key("github:alice").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown provider `github` in `github:alice`: expected one of aws, okta, entra"
        );
    }

    #[test]
    fn empty_id_is_rejected() {
        let error = parse_identity_key("okta:").unwrap_err();
        assert_eq!(
            error.to_string(),
            "identity `okta:` has an empty id after its provider: write it as `provider:id`"
        );
    }
}

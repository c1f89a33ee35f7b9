//! Field readers shared by the Entra normalizers: time, ids, identities, origin and location.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use crate::json::Value;
use riposte_model::{
    Asn, Geo, GeoSource, IdentityKind, IdentityRef, Origin, Provider, Sensitive, Timestamp,
};

use super::fields::Fields;
use super::shape::Canonical;
use crate::json;
use crate::{NormalizeError, RecordContext, StringCache, parse_time_value, reuse_or_allocate};

/// Reads the event time from the first present resource field of `keys`, else from the
/// envelope's `time`. A present but unreadable value is an error naming the field as
/// written, because the envelope is a fallback for absent fields only.
pub(super) fn event_time(
    canonical: &Canonical<'_>,
    keys: &[&str],
) -> Result<Timestamp, NormalizeError> {
    for key in keys {
        if let Some(value) = time_value(canonical.resource.get(&[key])) {
            return parse_time_value(value).map_err(|error| {
                NormalizeError::timestamp(canonical.resource_field_name(key), error)
            });
        }
    }
    if let Some(value) = time_value(canonical.envelope.get(&["time"])) {
        return parse_time_value(value).map_err(|error| {
            NormalizeError::timestamp(canonical.envelope_field_name("time"), error)
        });
    }
    let first = keys.first().copied().unwrap_or("time");
    Err(NormalizeError::missing(canonical.missing_time_field(first)))
}

/// Returns a time value unless it is absent, `null`, or a string meaning "no value".
fn time_value<'a>(value: Option<&'a Value<'a>>) -> Option<&'a Value<'a>> {
    match value? {
        Value::String(text) if json::present(text).is_none() => None,
        value => Some(value),
    }
}

/// Returns the first present resource field of `keys` as the event id, else an id derived
/// from the record's bytes.
pub(super) fn event_id(
    canonical: &Canonical<'_>,
    keys: &[&str],
    context: &RecordContext<'_>,
) -> Arc<str> {
    // A string id is shared as it is. `text_at` covers ids written as numbers.
    let id_at = |key: &&str| {
        let resource = &canonical.resource;
        match resource.str_at(&[key]) {
            Some(id) => Some(Arc::from(id)),
            None => resource.text_at(&[key]).map(Arc::from),
        }
    };
    keys.iter()
        .find_map(id_at)
        .unwrap_or_else(|| context.fallback_event_id())
}

/// Returns the Entra tenant that recorded the event, from `aadTenantId` or `tenantId` in the
/// envelope, else in the resource.
pub(super) fn account(canonical: &Canonical<'_>, strings: &StringCache) -> Option<Arc<str>> {
    let keys = ["aadTenantId", "tenantId"];
    let shared_text = |fields: &Fields<'_>, key: &str| match fields.get(&[key])? {
        Value::String(text) => json::present(text).map(|text| strings.share(text)),
        other => json::text_of(other).map(|text| strings.share(&text)),
    };
    keys.iter()
        .find_map(|key| shared_text(&canonical.envelope, key))
        .or_else(|| {
            keys.iter()
                .find_map(|key| shared_text(&canonical.resource, key))
        })
}

/// Returns the string at `key` of the resource.
pub(super) fn text<'a>(canonical: &'a Canonical<'_>, key: &str) -> Option<&'a str> {
    canonical.resource.str_at(&[key])
}

/// Returns the string at `key` of the envelope.
pub(super) fn envelope_text<'a>(canonical: &'a Canonical<'_>, key: &str) -> Option<&'a str> {
    canonical.envelope.str_at(&[key])
}

/// Returns the text at `key` of the resource as a sensitive value.
pub(super) fn sensitive(canonical: &Canonical<'_>, key: &str) -> Option<Sensitive> {
    match canonical.resource.get(&[key])? {
        Value::String(text) => json::present(text).map(Sensitive::new),
        other => json::text_of(other).map(|text| Sensitive::new(&*text)),
    }
}

/// Reads an origin: an IP address (also written with a port or in brackets), or the text
/// as read when it is not an address (Entra writes object ids there for some workloads).
pub(super) fn origin(text: Option<&str>) -> Origin {
    let Some(text) = text else {
        return Origin::None;
    };
    let trimmed = text.trim();
    if let Ok(address) = trimmed.parse::<IpAddr>() {
        return Origin::Ip(address);
    }
    if let Ok(socket) = trimmed.parse::<SocketAddr>() {
        return Origin::Ip(socket.ip());
    }
    let unbracketed = trimmed.trim_start_matches('[').trim_end_matches(']');
    if let Ok(address) = unbracketed.parse::<IpAddr>() {
        return Origin::Ip(address);
    }
    Origin::Unparsed(trimmed.into())
}

/// Reads an Entra `location` object (`city`, `state`, `countryOrRegion`, `geoCoordinates`).
/// Returns `None` when it names no place: Entra writes empty strings and `0.0, 0.0` when it
/// has no location.
pub(super) fn geo(location: Option<&Value>, strings: &StringCache) -> Option<Geo> {
    let location = location?;
    if !location.is_object() {
        return None;
    }
    let text = |key: &str| json::str_at(location, &[key]).map(|value| strings.share(value.trim()));
    let geo = Geo {
        country: text("countryOrRegion"),
        region: text("state"),
        city: text("city"),
        latitude: json::f64_at(location, &["geoCoordinates", "latitude"]),
        longitude: json::f64_at(location, &["geoCoordinates", "longitude"]),
        accuracy_radius_km: None,
        source: GeoSource::Record,
    };
    let names_place = geo.country.is_some() || geo.region.is_some() || geo.city.is_some();
    (names_place || geo.coordinates().is_some()).then_some(geo)
}

/// Reads `autonomousSystemNumber`.
pub(super) fn asn(canonical: &Canonical<'_>) -> Option<Asn> {
    let number = canonical.resource.u64_at(&["autonomousSystemNumber"])?;
    let number = u32::try_from(number).ok().filter(|number| *number != 0)?;
    Some(Asn {
        number,
        organization: None,
    })
}

/// Returns the address when `text` has the form of an e-mail address. User principal names
/// have that form, but anonymized exports write placeholders there.
pub(super) fn email_of(text: &str) -> Option<&str> {
    let (local, domain) = text.trim().split_once('@')?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.contains(char::is_whitespace);
    valid.then(|| text.trim())
}

/// Builds a person's identity from a user object id and user principal name. The id is the
/// UPN when the object id is absent, as for failed sign-ins of unknown users.
pub(super) fn user_identity(
    id: Option<&str>,
    principal_name: Option<&str>,
    display_name: Option<&str>,
) -> Option<IdentityRef> {
    let key = id.or(principal_name)?;
    let mut identity = IdentityRef::new(Provider::Entra, key.trim(), IdentityKind::Human);
    identity.name = principal_name.or(display_name).map(Arc::from);
    identity.email = principal_name
        .and_then(email_of)
        .map(|email| reuse_or_allocate(email, &[identity.name.as_ref()]));
    Some(identity)
}

/// Builds an application's identity from a service principal id or application id. A tenant
/// has few applications, so their text is shared through `strings`.
pub(super) fn app_identity(
    kind: IdentityKind,
    id: Option<&str>,
    name: Option<&str>,
    strings: &StringCache,
) -> Option<IdentityRef> {
    let mut identity = IdentityRef::new(Provider::Entra, strings.share(id?.trim()), kind);
    identity.name = name.map(|name| strings.share(name));
    Some(identity)
}

/// Reads a number written as a JSON number or a string, such as `errorCode` and
/// `resultType`.
pub(super) fn code_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    fn geo(location: Option<&Value>) -> Option<Geo> {
        super::geo(location, &StringCache::new())
    }

    #[test]
    fn origin_keeps_non_addresses() {
        assert_eq!(
            origin(Some("203.0.113.7")),
            Origin::Ip("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            origin(Some("[2001:db8::1]:443")),
            Origin::Ip("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            origin(Some("aaaaaaaa-0000-4000-8000-000000000001")),
            Origin::Unparsed("aaaaaaaa-0000-4000-8000-000000000001".into())
        );
        assert_eq!(origin(None), Origin::None);
    }

    #[test]
    fn empty_location_is_no_geo() {
        assert_eq!(geo(Some(&json!({"geoCoordinates": {}}))), None);
        let blank = json!({"city": "", "state": "", "countryOrRegion": "",
            "geoCoordinates": {"latitude": 0.0, "longitude": 0.0}});
        assert_eq!(geo(Some(&blank)), None);
        let paris = json!({"city": "Paris", "countryOrRegion": "FR",
            "geoCoordinates": {"latitude": 48.85, "longitude": 2.35}});
        let read = geo(Some(&paris)).unwrap();
        assert_eq!(read.city.as_deref(), Some("Paris"));
        assert_eq!(read.coordinates(), Some((48.85, 2.35)));
    }

    #[test]
    fn email_requires_a_domain() {
        assert_eq!(email_of("alice@example.com"), Some("alice@example.com"));
        assert_eq!(email_of("ANONYMIZED"), None);
        assert_eq!(email_of("user1"), None);
        assert_eq!(email_of("a@localhost"), None);
    }
}

//! The client side of an Okta event: address, location, network owner and client software.

use std::net::IpAddr;
use std::sync::Arc;

use crate::json::Value;
use riposte_model::{Asn, Geo, GeoSource, IpClass, Origin, Source};

use super::known_str;
use crate::{StringCache, json};

/// Builds the event's source.
///
/// The origin is `client.ipAddress`, else the first `request.ipChain[]` entry with an
/// address. The location is `client.geographicalContext`, else the `geographicalContext` of
/// the `ipChain` entry that contains the origin address. Another entry's location describes
/// another address, so it is never used. The class stays public unless Okta flagged the
/// address as a proxy, because enrichment classifies addresses later.
pub(super) fn source(record: &Value, strings: &StringCache) -> Source {
    let client = json::get(record, &["client"]);
    let client_str = |path: &[&str]| client.and_then(|client| known_str(client, path));
    let chain: &[Value] = json::get(record, &["request", "ipChain"])
        .and_then(Value::as_array)
        .unwrap_or(&[]);
    let address = client_str(&["ipAddress"])
        .or_else(|| chain.iter().find_map(|entry| known_str(entry, &["ip"])));
    let origin = address.map_or(Origin::None, parse_origin);

    let chain_entry = address.and_then(|address| {
        let address = address.trim();
        chain
            .iter()
            .find(|entry| known_str(entry, &["ip"]).is_some_and(|ip| ip.trim() == address))
    });
    let geo = client
        .and_then(|client| json::get(client, &["geographicalContext"]))
        .and_then(|context| geo(context, strings))
        .or_else(|| {
            chain_entry
                .and_then(|entry| json::get(entry, &["geographicalContext"]))
                .and_then(|context| geo(context, strings))
        });

    let security = json::get(record, &["securityContext"]);
    let mut source = Source::new(origin);
    source.geo = geo;
    source.asn = security.and_then(|security| asn(security, strings));
    if security.and_then(|security| json::bool_at(security, &["isProxy"])) == Some(true) {
        source.ip_class = IpClass::Proxy;
    }
    source.user_agent =
        client_str(&["userAgent", "rawUserAgent"]).map(|agent| strings.share(agent));
    source.device_id = known_str(record, &["device", "id"]).map(Arc::from);
    source
}

fn parse_origin(address: &str) -> Origin {
    match address.trim().parse::<IpAddr>() {
        Ok(ip) => Origin::Ip(ip),
        Err(_) => Origin::Unparsed(address.into()),
    }
}

/// Reads a `geographicalContext` object, or returns `None` when all its fields are empty.
fn geo(context: &Value, strings: &StringCache) -> Option<Geo> {
    let text = |key: &str| known_str(context, &[key]).map(|text| strings.share(text));
    let geo = Geo {
        country: text("country"),
        region: text("state"),
        city: text("city"),
        latitude: json::f64_at(context, &["geolocation", "lat"]),
        longitude: json::f64_at(context, &["geolocation", "lon"]),
        accuracy_radius_km: None,
        source: GeoSource::Record,
    };
    let empty = geo.country.is_none()
        && geo.region.is_none()
        && geo.city.is_none()
        && geo.latitude.is_none()
        && geo.longitude.is_none();
    (!empty).then_some(geo)
}

/// Reads `asNumber` of the `securityContext`, where Okta writes 0 or null when it has no
/// number.
fn asn(security: &Value, strings: &StringCache) -> Option<Asn> {
    let number = json::u64_at(security, &["asNumber"])
        .and_then(|number| u32::try_from(number).ok())
        .filter(|number| *number != 0)?;
    let organization = known_str(security, &["asOrg"])
        .or_else(|| known_str(security, &["isp"]))
        .map(|organization| strings.share(organization));
    Some(Asn {
        number,
        organization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::test_record as json;

    fn source(record: &Value) -> Source {
        super::source(record, &StringCache::new())
    }

    fn paris() -> Value<'static> {
        json!({"city": "Paris", "state": "Ile-de-France", "country": "France",
               "postalCode": null, "geolocation": {"lat": 48.8566, "lon": 2.3522}})
    }

    #[test]
    fn client_address_and_location_come_first() {
        let record = json!({
            "client": {"ipAddress": "203.0.113.5", "geographicalContext": paris(),
                       "userAgent": {"rawUserAgent": "Mozilla/5.0"}},
            "request": {"ipChain": [{"ip": "198.51.100.1", "geographicalContext":
                {"city": "Lyon", "country": "France"}}]},
            "securityContext": {"asNumber": 64500, "asOrg": "Example Net", "isp": "Example ISP",
                                "isProxy": false},
            "device": {"id": "guo1EXAMPLE"}
        });
        let source = source(&record);
        assert_eq!(source.origin, Origin::Ip("203.0.113.5".parse().unwrap()));
        let geo = source.geo.unwrap();
        assert_eq!(geo.city.as_deref(), Some("Paris"));
        assert_eq!(geo.region.as_deref(), Some("Ile-de-France"));
        assert_eq!(geo.country.as_deref(), Some("France"));
        assert_eq!(geo.coordinates(), Some((48.8566, 2.3522)));
        assert_eq!(geo.source, GeoSource::Record);
        assert_eq!(geo.accuracy_radius_km, None);
        let asn = source.asn.unwrap();
        assert_eq!(asn.number, 64500);
        assert_eq!(asn.organization.as_deref(), Some("Example Net"));
        assert_eq!(source.ip_class, IpClass::Public);
        assert_eq!(source.user_agent.as_deref(), Some("Mozilla/5.0"));
        assert_eq!(source.device_id.as_deref(), Some("guo1EXAMPLE"));
    }

    #[test]
    fn chain_fills_in_for_missing_client() {
        let record = json!({
            "client": {"ipAddress": null, "geographicalContext": {"city": null, "country": null,
                       "geolocation": {"lat": null, "lon": null}}},
            "request": {"ipChain": [{"ip": null}, {"ip": "2001:db8::7", "geographicalContext": paris()}]}
        });
        let source = source(&record);
        assert_eq!(source.origin, Origin::Ip("2001:db8::7".parse().unwrap()));
        assert_eq!(source.geo.unwrap().city.as_deref(), Some("Paris"));
    }

    #[test]
    fn chain_location_of_another_address_is_ignored() {
        let record = json!({
            "client": {"ipAddress": "203.0.113.5"},
            "request": {"ipChain": [{"ip": "198.51.100.1", "geographicalContext": paris()}]}
        });
        assert_eq!(source(&record).geo, None);
    }

    #[test]
    fn chain_location_of_the_client_address_is_used() {
        let record = json!({
            "client": {"ipAddress": "203.0.113.5", "geographicalContext": {}},
            "request": {"ipChain": [
                {"ip": "198.51.100.1", "geographicalContext": {"city": "Lyon"}},
                {"ip": "203.0.113.5", "geographicalContext": paris()}
            ]}
        });
        assert_eq!(source(&record).geo.unwrap().city.as_deref(), Some("Paris"));
    }

    #[test]
    fn unparsable_and_absent_addresses() {
        let record = json!({"client": {"ipAddress": "not-an-address"}});
        assert_eq!(
            source(&record).origin,
            Origin::Unparsed("not-an-address".into())
        );
        assert_eq!(source(&json!({})).origin, Origin::None);
        assert_eq!(
            source(&json!({"client": {"ipAddress": "unknown"}})).origin,
            Origin::None
        );
    }

    #[test]
    fn proxy_flag_and_missing_asn() {
        let record = json!({"securityContext": {"asNumber": 0, "asOrg": "x", "isProxy": true}});
        let source = source(&record);
        assert_eq!(source.ip_class, IpClass::Proxy);
        assert_eq!(source.asn, None);
    }

    #[test]
    fn asn_organization_falls_back_to_isp() {
        let record = json!({"securityContext": {"asNumber": "64501", "isp": "Example ISP"}});
        let asn = source(&record).asn.unwrap();
        assert_eq!(asn.number, 64501);
        assert_eq!(asn.organization.as_deref(), Some("Example ISP"));
    }

    #[test]
    fn unknown_user_agent_is_dropped() {
        let record = json!({"client": {"userAgent": {"rawUserAgent": "unknown"}}});
        assert_eq!(source(&record).user_agent, None);
    }
}

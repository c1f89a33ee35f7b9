//! Enrichment: adds location, autonomous system and network class to the client side
//! ([`Source`]) of each normalized [`Event`], turning it into an enriched event.
//!
//! [`Enricher::enrich`] changes only events whose origin is an IP address
//! ([`Origin::Ip`]). AWS service names, `AWS Internal`, unparsed origins and events without an
//! origin are left as they are. For an address, the enricher:
//! - keeps a location the record already states ([`GeoSource::Record`]) when it has valid
//!   coordinates or a country, and otherwise looks the address up in the City database;
//! - keeps an autonomous system the record states, and otherwise looks it up in the ASN
//!   database;
//! - sets the [`IpClass`] with an [`IpClassifier`]. An [`IpClass::Proxy`] flag set by the
//!   normalizer stays unless a declared range or a private range applies.
//!
//! An address that a database does not contain, or whose record cannot be decoded, gets no
//! location or autonomous system. Only opening a database can fail.

mod cache;
mod classify;
mod database;
mod error;
mod settings;

#[cfg(feature = "testing")]
pub mod testing;

use std::path::Path;

use riposte_model::{Event, Geo, IpClass, Origin, Source};

pub use classify::{IpClassifier, builtin_class};
pub use database::{AsnDatabase, GeoDatabase};
pub use error::{DatabaseKind, EnrichError};
pub use settings::NetworkSettings;

#[cfg(doc)]
use riposte_model::GeoSource;

/// Fills the [`Source`] of events from the optional City and ASN databases and the declared
/// network ranges. It is `Send` and `Sync`, so one enricher can serve several threads.
#[derive(Debug, Default)]
pub struct Enricher {
    geo: Option<GeoDatabase>,
    asn: Option<AsnDatabase>,
    classifier: IpClassifier,
}

impl Enricher {
    /// Opens the City database given with `--geoip` and the ASN database given with `--asn`,
    /// when given, and builds the classifier from the `[networks]` settings.
    pub fn new(
        geoip: Option<&Path>,
        asn: Option<&Path>,
        networks: &NetworkSettings,
    ) -> Result<Self, EnrichError> {
        Ok(Self {
            geo: geoip.map(GeoDatabase::open).transpose()?,
            asn: asn.map(AsnDatabase::open).transpose()?,
            classifier: IpClassifier::new(networks),
        })
    }

    /// Builds an enricher from parts that are already open.
    pub fn from_parts(
        geo: Option<GeoDatabase>,
        asn: Option<AsnDatabase>,
        classifier: IpClassifier,
    ) -> Self {
        Self {
            geo,
            asn,
            classifier,
        }
    }

    /// Fills the location, autonomous system and network class of `event.source`.
    pub fn enrich(&self, event: &mut Event) {
        self.enrich_source(&mut event.source);
    }

    /// Fills the location, autonomous system and network class of `source`, as
    /// [`Enricher::enrich`] does for an event.
    pub fn enrich_source(&self, source: &mut Source) {
        let Origin::Ip(ip) = source.origin else {
            return;
        };

        if !source.geo.as_ref().is_some_and(has_location) {
            if let Some(geo) = self.geo.as_ref().and_then(|database| database.lookup(ip)) {
                source.geo = Some(geo);
            }
        }

        if source.asn.is_none() {
            source.asn = self.asn.as_ref().and_then(|database| database.lookup(ip));
        }

        source.ip_class = match (source.ip_class, self.classifier.classify(ip)) {
            // The provider's proxy flag is more specific than the public or reserved class.
            (IpClass::Proxy, IpClass::Public | IpClass::Reserved) => IpClass::Proxy,
            (_, class) => class,
        };
    }
}

/// Returns true when a location states a place: valid coordinates or a country.
fn has_location(geo: &Geo) -> bool {
    geo.coordinates().is_some()
        || geo
            .country
            .as_deref()
            .is_some_and(|country| !country.trim().is_empty())
}

//! `impossible_travel`: one identity authenticates from two places too far apart for the time
//! between them.
//!
//! # What it detects
//! Two successful authentications (sign-in, MFA answer, token issuance) of the same identity
//! whose implied ground speed exceeds `max_speed_km_h`. The distance is the great-circle
//! distance between the two locations minus both accuracy radii, so that imprecise
//! geolocation never inflates the speed.
//!
//! # Why it matters
//! A person cannot be in Lisbon and Singapore an hour apart. When both sign-ins succeed, one of
//! them is most likely someone else holding the credential or session (ATT&CK T1078 Valid
//! Accounts, T1078.004 Cloud Accounts).
//!
//! # Thresholds and their source
//! - `max_speed_km_h` = 900: the cruising speed of a commercial airliner (about 900 km/h for
//!   the Airbus A350 and Boeing 787), the fastest way a person travels.
//! - `min_distance_km` = 100: pairs closer than this are ignored, because IP geolocation at
//!   city level is commonly off by tens of kilometres (MaxMind publishes accuracy radii of 20 to
//!   1,000 km).
//! - Pairs more than 24 hours apart are never compared: at 900 km/h the whole Earth
//!   (20,015 km between antipodes) is reachable in 22.3 hours.
//! - Time gaps shorter than one minute are counted as one minute, so that two sign-ins within
//!   the same second give a large but finite speed.
//!
//! # Confidence from the baseline
//! When the identity's behavioural baseline is past its learning period, each sign-in's
//! network is judged against the baseline as it was before that sign-in:
//! - either network new for the identity (its autonomous system, or its /24 or /48 prefix
//!   when the event has none, not seen within the baseline's `max_age_days`): confidence
//!   +0.1, up to 1;
//! - else the later sign-in's autonomous system seen at least `established_count` times
//!   (default 5) and its country known, as for a VPN exit the person has used for months:
//!   confidence -0.2, but not below 0.3.
//!
//! The explanation says which network moved the confidence, and the `baseline` fact holds
//! both judgements. Without a baseline, or while it learns, the confidence is unchanged.
//!
//! # Inputs it ignores
//! Non-IP origins (AWS service names, `AWS Internal`), private addresses, the declared corporate
//! egress and VPN ranges (their location is that of the gateway, not the person), events
//! without coordinates, failed authentications, and AWS services and the providers' own system
//! principals.
//!
//! # Known false positives
//! - Mobile carriers and satellite links whose addresses geolocate to a distant gateway: declare
//!   such ranges as `vpn` in the configuration.
//! - Cloud-hosted virtual desktops and proxies not declared as egress ranges.
//! - The same finding is not repeated for the same pair of places within 24 hours.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeDelta;
use riposte_model::{
    Confidence, Event, Evidence, Finding, IdentityKey, IdentityKind, Severity, Timestamp,
};
use serde::Deserialize;
use serde_json::json;

use crate::detections::ExpiringMap;
use crate::detections::unfamiliar_signin::{NetworkFamiliarity, adjust_confidence};
use crate::{Context, Detector, Enabled, distance_km, format_duration, format_number};

pub const ID: &str = "impossible_travel";

/// Longest gap between two authentications that can still be impossible at airliner speed.
const COMPARISON_HORIZON: TimeDelta = TimeDelta::hours(24);

/// Shortest time gap used in the speed computation.
const MIN_GAP: TimeDelta = TimeDelta::minutes(1);

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub enabled: Enabled,
    /// Speed above which travel is impossible, in km/h.
    pub max_speed_km_h: f64,
    /// Pairs of locations closer than this, in km, are ignored.
    pub min_distance_km: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: Enabled::default(),
            max_speed_km_h: 900.0,
            min_distance_km: 100.0,
        }
    }
}

/// Where and when an identity last authenticated.
#[derive(Clone)]
struct Sighting {
    time: Timestamp,
    coordinates: (f64, f64),
    accuracy_radius_km: f64,
    place: String,
    country: Option<Arc<str>>,
    address: IpAddr,
    evidence: Evidence,
    /// The network judged against the identity's baseline as it was before this sign-in.
    familiarity: NetworkFamiliarity,
}

struct IdentityTrack {
    last: Sighting,
    /// Pairs of places already reported, so that one trip is reported once.
    reported: HashSet<(String, String)>,
}

pub struct ImpossibleTravel {
    settings: Settings,
    /// Tracks are boxed, so that growing the map moves a pointer per identity.
    tracks: ExpiringMap<IdentityKey, Box<IdentityTrack>>,
}

impl ImpossibleTravel {
    pub fn new(settings: &Settings) -> Self {
        Self {
            settings: settings.clone(),
            tracks: ExpiringMap::new(COMPARISON_HORIZON),
        }
    }

    fn sighting(event: &Event, context: &Context<'_>) -> Option<Sighting> {
        if !event.is_successful_authentication() {
            return None;
        }
        if matches!(
            event.actor.kind,
            IdentityKind::AwsService | IdentityKind::ProviderSystem | IdentityKind::Unknown
        ) {
            return None;
        }
        let address = event.source.origin.ip()?;
        if event.source.ip_class.hides_location() {
            return None;
        }
        let geo = event.source.geo.as_ref()?;
        let coordinates = geo.coordinates()?;
        Some(Sighting {
            time: event.time,
            coordinates,
            accuracy_radius_km: geo.accuracy_radius_km.unwrap_or(0.0).max(0.0),
            place: geo.place(),
            country: geo.country.clone(),
            address,
            evidence: Evidence::of(event),
            familiarity: NetworkFamiliarity::of(event, context),
        })
    }

    /// Returns the finding for a pair of sightings, with the pair of places in a fixed order
    /// so that the return trip matches the outward one.
    fn assess(
        &self,
        event: &Event,
        before: &Sighting,
        now: &Sighting,
    ) -> Option<(Finding, (String, String))> {
        let (first, second) = if before.time <= now.time {
            (before, now)
        } else {
            (now, before)
        };
        let gap = second.time - first.time;
        if gap > COMPARISON_HORIZON {
            return None;
        }
        let raw_distance = distance_km(first.coordinates, second.coordinates);
        if raw_distance < self.settings.min_distance_km {
            return None;
        }
        let distance =
            (raw_distance - first.accuracy_radius_km - second.accuracy_radius_km).max(0.0);
        let hours = gap.max(MIN_GAP).num_milliseconds() as f64 / 3_600_000.0;
        let speed = distance / hours;
        if speed <= self.settings.max_speed_km_h {
            return None;
        }

        let countries_differ = match (&first.country, &second.country) {
            (Some(a), Some(b)) => !a.eq_ignore_ascii_case(b),
            _ => false,
        };
        let severity = if countries_differ {
            Severity::High
        } else {
            Severity::Medium
        };
        // Confidence grows with how far the speed exceeds the threshold, and drops when the
        // accuracy radii eat a large share of the distance.
        let excess = (speed / self.settings.max_speed_km_h - 1.0).min(1.0);
        let radius_share = (raw_distance - distance) / raw_distance;
        let confidence =
            0.55 + 0.35 * excess - 0.3 * radius_share + if countries_differ { 0.1 } else { 0.0 };
        let who = event.actor.display_name();
        let adjustment = adjust_confidence(
            confidence.clamp(0.0, 1.0),
            who,
            &first.familiarity,
            &second.familiarity,
        );

        let radii = if first.accuracy_radius_km > 0.0 || second.accuracy_radius_km > 0.0 {
            format!(
                " after subtracting accuracy radii of {} and {} km",
                format_number(first.accuracy_radius_km),
                format_number(second.accuracy_radius_km)
            )
        } else {
            String::new()
        };
        let mut explanation = format!(
            "{who} authenticated from {place_1} ({address_1}) at {time_1} and from {place_2} \
             ({address_2}) at {time_2}: {distance} km apart{radii}, {gap} between them, an \
             implied speed of {speed} km/h, above the {limit} km/h limit.",
            place_1 = first.place,
            address_1 = first.address,
            time_1 = first.time.format("%Y-%m-%d %H:%M:%SZ"),
            place_2 = second.place,
            address_2 = second.address,
            time_2 = second.time.format("%Y-%m-%d %H:%M:%SZ"),
            distance = format_number(distance),
            gap = if gap < MIN_GAP {
                format!("{} (counted as 1 min)", format_duration(gap))
            } else {
                format_duration(gap)
            },
            speed = format_number(speed),
            limit = format_number(self.settings.max_speed_km_h),
        );
        if let Some(sentence) = &adjustment.sentence {
            explanation.push(' ');
            explanation.push_str(sentence);
        }
        let mut facts = serde_json::Map::new();
        facts.insert("from".into(), json!({"place": first.place, "address": first.address.to_string(), "latitude": first.coordinates.0, "longitude": first.coordinates.1, "accuracy_radius_km": first.accuracy_radius_km}));
        facts.insert("to".into(), json!({"place": second.place, "address": second.address.to_string(), "latitude": second.coordinates.0, "longitude": second.coordinates.1, "accuracy_radius_km": second.accuracy_radius_km}));
        facts.insert("distance_km".into(), json!(distance.round()));
        facts.insert("gap_seconds".into(), json!(gap.num_seconds()));
        facts.insert("speed_km_h".into(), json!(speed.round()));
        facts.insert("max_speed_km_h".into(), json!(self.settings.max_speed_km_h));
        if let Some(baseline) = adjustment.facts {
            facts.insert("baseline".into(), baseline);
        }
        let places = if first.place <= second.place {
            (first.place.clone(), second.place.clone())
        } else {
            (second.place.clone(), first.place.clone())
        };
        let finding = Finding {
            detection: ID,
            severity,
            confidence: Confidence::new(adjustment.confidence),
            identity: event.actor.clone(),
            first_seen: first.time,
            last_seen: second.time,
            evidence: vec![first.evidence.clone(), second.evidence.clone()],
            explanation,
            attack: vec!["T1078", "T1078.004"],
            facts,
            related: Vec::new(),
        };
        Some((finding, places))
    }
}

impl Detector for ImpossibleTravel {
    fn id(&self) -> &'static str {
        ID
    }

    fn observe(&mut self, event: &Event, context: &Context<'_>, findings: &mut Vec<Finding>) {
        let Some(now) = Self::sighting(event, context) else {
            return;
        };
        let key = &event.actor.key;
        let assessed = self
            .tracks
            .get(key)
            .and_then(|track| self.assess(event, &track.last, &now));
        let track = self.tracks.touch_or_insert_value(
            key,
            event.time,
            now,
            |now| {
                Box::new(IdentityTrack {
                    last: now,
                    reported: HashSet::new(),
                })
            },
            |track, now| {
                if now.time >= track.last.time {
                    track.last = now;
                }
            },
        );
        if let Some((finding, places)) = assessed {
            if track.reported.insert(places) {
                findings.push(finding);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{EventBuilder, run, run_with_baselines};
    use riposte_model::{IpClass, Origin};

    const LISBON: (f64, f64) = (38.7223, -9.1393);
    const SINGAPORE: (f64, f64) = (1.3521, 103.8198);
    const PORTO: (f64, f64) = (41.1579, -8.6291);

    fn sign_in(time: &str, ip: &str, place: (f64, f64), country: &str, city: &str) -> EventBuilder {
        EventBuilder::new("alice@example.com", time)
            .ip(ip)
            .geo(place.0, place.1, country, city)
    }

    fn detector() -> ImpossibleTravel {
        ImpossibleTravel::new(&Settings::default())
    }

    #[test]
    fn lisbon_to_singapore_in_ninety_minutes_fires() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T10:30:00Z",
                "198.51.100.20",
                SINGAPORE,
                "SG",
                "Singapore",
            )
            .build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert_eq!(finding.detection, "impossible_travel");
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.evidence.len(), 2);
        assert_eq!(finding.facts["distance_km"], json!(11_879.0));
        assert_eq!(finding.facts["speed_km_h"], json!(7919.0));
        assert_eq!(
            finding.explanation,
            "alice@example.com authenticated from Lisbon, PT (203.0.113.10) at 2024-05-01 \
             09:00:00Z and from Singapore, SG (198.51.100.20) at 2024-05-01 10:30:00Z: 11,879 km \
             apart, 1 h 30 min between them, an implied speed of 7,919 km/h, above the 900 km/h \
             limit."
        );
    }

    #[test]
    fn travel_at_airliner_speed_is_quiet() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T23:00:00Z",
                "198.51.100.20",
                SINGAPORE,
                "SG",
                "Singapore",
            )
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn nearby_cities_are_quiet() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T09:01:00Z",
                "198.51.100.20",
                (38.8, -9.3),
                "PT",
                "Sintra",
            )
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn accuracy_radii_are_subtracted() {
        // Lisbon to Porto is 274 km. In 15 minutes that is 1,096 km/h, but with radii of 50 km
        // each the distance is 174 km, 696 km/h.
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .accuracy_radius(50.0)
            .build(),
            sign_in(
                "2024-05-01T09:15:00Z",
                "198.51.100.20",
                PORTO,
                "PT",
                "Porto",
            )
            .accuracy_radius(50.0)
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
        let without_radii = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T09:15:00Z",
                "198.51.100.20",
                PORTO,
                "PT",
                "Porto",
            )
            .build(),
        ];
        let findings = run(&mut detector(), &without_radii);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Medium);
    }

    #[test]
    fn travel_ignores_private_and_declared_ranges() {
        for class in [IpClass::Private, IpClass::Vpn, IpClass::CorporateEgress] {
            let events = [
                sign_in(
                    "2024-05-01T09:00:00Z",
                    "203.0.113.10",
                    LISBON,
                    "PT",
                    "Lisbon",
                )
                .build(),
                sign_in(
                    "2024-05-01T10:30:00Z",
                    "10.1.2.3",
                    SINGAPORE,
                    "SG",
                    "Singapore",
                )
                .ip_class(class)
                .build(),
            ];
            assert!(run(&mut detector(), &events).is_empty(), "{class:?}");
        }
    }

    #[test]
    fn travel_ignores_non_ip_origins() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T10:30:00Z",
                "203.0.113.11",
                SINGAPORE,
                "SG",
                "Singapore",
            )
            .origin(Origin::AwsInternal)
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn failed_sign_ins_are_ignored() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T10:30:00Z",
                "198.51.100.20",
                SINGAPORE,
                "SG",
                "Singapore",
            )
            .failed()
            .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn different_identities_are_not_compared() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            EventBuilder::new("bob@example.com", "2024-05-01T10:30:00Z")
                .ip("198.51.100.20")
                .geo(SINGAPORE.0, SINGAPORE.1, "SG", "Singapore")
                .build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    #[test]
    fn round_trip_is_reported_once() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T10:30:00Z",
                "198.51.100.20",
                SINGAPORE,
                "SG",
                "Singapore",
            )
            .build(),
            sign_in(
                "2024-05-01T11:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
        ];
        assert_eq!(run(&mut detector(), &events).len(), 1);
    }

    #[test]
    fn same_second_gives_a_finite_speed() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in(
                "2024-05-01T09:00:00Z",
                "198.51.100.20",
                SINGAPORE,
                "SG",
                "Singapore",
            )
            .build(),
        ];
        let findings = run(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].facts["speed_km_h"]
                .as_f64()
                .unwrap()
                .is_finite()
        );
    }

    #[test]
    fn null_island_coordinates_are_ignored() {
        let events = [
            sign_in(
                "2024-05-01T09:00:00Z",
                "203.0.113.10",
                LISBON,
                "PT",
                "Lisbon",
            )
            .build(),
            sign_in("2024-05-01T09:10:00Z", "198.51.100.20", (0.0, 0.0), "", "").build(),
        ];
        assert!(run(&mut detector(), &events).is_empty());
    }

    fn in_lisbon(time: &str) -> EventBuilder {
        sign_in(time, "203.0.113.10", LISBON, "PT", "Lisbon").asn(64500, "Example Broadband")
    }

    fn in_singapore(time: &str) -> EventBuilder {
        sign_in(time, "198.51.100.20", SINGAPORE, "SG", "Singapore").asn(64510, "Example VPN")
    }

    #[test]
    fn known_vpn_exit_lowers_confidence() {
        // Twelve days alternating between home and a VPN exit in Singapore, a day apart.
        let mut events: Vec<Event> = (1..=12)
            .map(|day| {
                let time = format!("2024-05-{day:02}T09:00:00Z");
                if day % 2 == 1 {
                    in_lisbon(&time).build()
                } else {
                    in_singapore(&time).build()
                }
            })
            .collect();
        events.push(in_lisbon("2024-05-13T09:00:00Z").build());
        events.push(in_singapore("2024-05-13T10:30:00Z").build());
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        assert!((finding.confidence.value() - 0.8).abs() < 1e-9);
        assert_eq!(finding.facts["baseline"]["confidence_before"], json!(1.0));
        assert_eq!(finding.facts["baseline"]["confidence_change"], json!(-0.2));
        assert_eq!(
            finding.facts["baseline"]["second_network"]["state"],
            json!("familiar")
        );
        assert!(
            finding.explanation.ends_with(
                " alice@example.com has used AS64510 from SG before, so the confidence is \
                 lowered from 1.00 to 0.80."
            ),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn new_network_raises_confidence() {
        let mut events: Vec<Event> = (1..=6)
            .flat_map(|day| {
                [
                    in_lisbon(&format!("2024-05-0{day}T08:00:00Z")).build(),
                    in_lisbon(&format!("2024-05-0{day}T14:00:00Z")).build(),
                ]
            })
            .collect();
        events.push(in_lisbon("2024-05-07T09:00:00Z").build());
        events.push(
            sign_in(
                "2024-05-07T09:15:00Z",
                "198.51.100.20",
                PORTO,
                "PT",
                "Porto",
            )
            .asn(65550, "Example Hosting")
            .build(),
        );
        let findings = run_with_baselines(&mut detector(), &events);
        assert_eq!(findings.len(), 1);
        let finding = &findings[0];
        let before = finding.facts["baseline"]["confidence_before"]
            .as_f64()
            .unwrap();
        assert!((finding.confidence.value() - before - 0.1).abs() < 0.01);
        assert_eq!(
            finding.facts["baseline"]["second_network"]["state"],
            json!("new")
        );
        assert_eq!(
            finding.facts["baseline"]["first_network"]["state"],
            json!("familiar")
        );
        assert!(
            finding.explanation.ends_with(&format!(
                " AS65550 is new for alice@example.com, so the confidence is raised from \
                 {before:.2} to {:.2}.",
                before + 0.1
            )),
            "{}",
            finding.explanation
        );
    }

    #[test]
    fn learning_baseline_keeps_confidence() {
        let pair = [
            in_lisbon("2024-05-01T09:00:00Z").build(),
            in_singapore("2024-05-01T10:30:00Z").build(),
        ];
        let without = run(&mut detector(), &pair);
        let with_baseline = run_with_baselines(&mut detector(), &pair);
        assert_eq!(with_baseline.len(), 1);
        assert_eq!(with_baseline[0].confidence, without[0].confidence);
        assert_eq!(with_baseline[0].explanation, without[0].explanation);
        assert!(!with_baseline[0].facts.contains_key("baseline"));
    }
}

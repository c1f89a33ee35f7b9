//! The baseline of one identity and how events update it.

use std::net::IpAddr;
use std::ops::Range;

use riposte_model::{Event, Outcome, Timestamp};

use crate::features::keys;
use crate::hours::HourProfile;
use crate::time::{SECONDS_PER_DAY, day_of, epoch_seconds, timestamp_of};
use crate::{BaselineSettings, EventFeatures, Feature};

/// One value of a feature: its key, how often and when it was last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key: u32,
    /// Events that carried the value, saturating at `u16::MAX`.
    pub(crate) count: u16,
    /// Day since 1970-01-01 of the latest event that carried the value.
    pub(crate) last_day: u16,
}

/// What is normal for one identity: where it connects from, with which clients and devices,
/// at which hours, and for non-human identities which APIs and credentials it uses.
///
/// A baseline learns on event time only and never reads the clock. It stores each value as a
/// 32-bit key (see the crate documentation for the hash and its collision odds) with a
/// count and a last-seen day, 8 bytes per value in one allocation, with a cap per feature
/// from [`crate::FeatureCaps`]. The struct itself takes 128 bytes: counters, the hour
/// profile, list lengths and the pointer to the values.
///
/// Ageing: each update drops the values last seen more than `max_age_days` before the
/// latest event learned, and the `has_*` queries answer from the values held. The
/// assessments also ignore values older than `max_age_days` before the assessed event, so
/// that an identity returning after months is judged against what is still current.
///
/// Events with a failed outcome teach nothing: a password spray or a denied call with a
/// leaked key must not make the attacker's network familiar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The values of every feature, grouped by feature in [`Feature::ALL`] order.
    pub(crate) entries: Box<[Entry]>,
    /// Epoch seconds of the earliest event learned; meaningless while `event_count` is 0.
    pub(crate) first_seen: u32,
    /// Epoch seconds of the latest event learned.
    pub(crate) last_seen: u32,
    /// Events learned, saturating at `u32::MAX`.
    pub(crate) event_count: u32,
    /// Successful authentications learned, saturating at `u32::MAX`.
    pub(crate) authentication_count: u32,
    pub(crate) hours: HourProfile,
    /// Entries per feature, in [`Feature::ALL`] order.
    pub(crate) lengths: [u8; Feature::COUNT],
}

impl Baseline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns from one event and returns true, or returns false without change for an event
    /// whose outcome is a failure.
    ///
    /// Events may arrive out of order. An older event widens `first_seen` and adds to the
    /// counts, but never moves a value's last-seen day backwards. A value first seen in an
    /// event older than `max_age_days` before the latest one is not added.
    pub fn update(&mut self, event: &Event, settings: &BaselineSettings) -> bool {
        if event.outcome == Outcome::Failure {
            return false;
        }
        let features = EventFeatures::of(event);
        self.learn(
            &features,
            event.time,
            event.is_successful_authentication(),
            settings,
        );
        true
    }

    /// Learns already extracted features of an event at `time`. Unlike
    /// [`Baseline::update`], it does not look at the outcome: the caller decides.
    pub fn learn(
        &mut self,
        features: &EventFeatures<'_>,
        time: Timestamp,
        authentication: bool,
        settings: &BaselineSettings,
    ) {
        let seconds = epoch_seconds(time);
        if self.event_count == 0 {
            self.first_seen = seconds;
            self.last_seen = seconds;
        } else {
            self.first_seen = self.first_seen.min(seconds);
            self.last_seen = self.last_seen.max(seconds);
        }
        self.event_count = self.event_count.saturating_add(1);
        if authentication {
            self.authentication_count = self.authentication_count.saturating_add(1);
        }
        self.hours.record(features.hour_of_week);

        let day = day_of(seconds);
        let now_day = day_of(self.last_seen);
        for (feature, key) in features.keys() {
            self.record(feature, key, day, now_day, settings);
        }
        self.expire(now_day, settings.max_age_days);
        self.trim_to_caps(settings);
    }

    /// Returns true while the baseline may not judge: until `learning_authentications`
    /// successful authentications are learned or `learning_days` have passed between the
    /// first event and `at`, whichever comes first. An empty baseline is always learning.
    pub fn is_learning(&self, at: Timestamp, settings: &BaselineSettings) -> bool {
        if self.event_count == 0 {
            return true;
        }
        if self.authentication_count >= settings.learning_authentications {
            return false;
        }
        let elapsed = u64::from(epoch_seconds(at).saturating_sub(self.first_seen));
        elapsed < u64::from(settings.learning_days) * u64::from(SECONDS_PER_DAY)
    }

    /// Returns the time of the earliest event learned, to the second.
    pub fn first_seen(&self) -> Option<Timestamp> {
        (self.event_count > 0).then(|| timestamp_of(self.first_seen))
    }

    /// Returns the time of the latest event learned, to the second.
    pub fn last_seen(&self) -> Option<Timestamp> {
        (self.event_count > 0).then(|| timestamp_of(self.last_seen))
    }

    pub fn event_count(&self) -> u32 {
        self.event_count
    }

    pub fn authentication_count(&self) -> u32 {
        self.authentication_count
    }

    /// Returns the number of values held for a feature.
    pub fn len(&self, feature: Feature) -> usize {
        self.list(feature).len()
    }

    /// Returns true when the baseline has learned no event.
    pub fn is_empty(&self) -> bool {
        self.event_count == 0
    }

    /// Returns the activity level of an hour of the week (0 is Monday 00:00 UTC, 167 Sunday
    /// 23:00), from 0 for never to [`crate::MAX_HOUR_LEVEL`].
    pub fn hour_activity(&self, hour_of_week: u8) -> u8 {
        self.hours.level(hour_of_week)
    }

    /// Compares countries ignoring ASCII case, as the log names them (a code or a name).
    pub fn has_country(&self, country: &str) -> bool {
        self.contains(Feature::Country, keys::country(country))
    }

    pub fn has_city(&self, country: &str, city: &str) -> bool {
        self.contains(Feature::City, keys::city(country, city))
    }

    pub fn has_asn(&self, asn: u32) -> bool {
        self.contains(Feature::Asn, asn)
    }

    /// Returns true when the /24 (IPv4) or /48 (IPv6) network of `address` is known.
    pub fn has_prefix(&self, address: IpAddr) -> bool {
        self.contains(Feature::Prefix, keys::prefix(address))
    }

    /// Returns true when any major version of the family is known. Families are those of
    /// [`crate::UserAgent`], compared ignoring ASCII case.
    pub fn has_user_agent_family(&self, family: &str) -> bool {
        let family = keys::user_agent_family(family);
        self.list(Feature::UserAgent)
            .iter()
            .any(|entry| entry.key >> 8 == family)
    }

    /// Returns true when this family and major version are known; majors above 254 count
    /// as 254.
    pub fn has_user_agent(&self, family: &str, major: Option<u64>) -> bool {
        self.contains(Feature::UserAgent, keys::user_agent(family, major))
    }

    pub fn has_device(&self, device_id: &str) -> bool {
        self.contains(Feature::Device, keys::device(device_id))
    }

    pub fn has_service(&self, service: &str) -> bool {
        self.contains(Feature::Service, keys::service(service))
    }

    /// Returns true when the operation is known within the service (or without one, when
    /// the event named no service).
    pub fn has_operation(&self, service: Option<&str>, operation: &str) -> bool {
        self.contains(Feature::Operation, keys::operation(service, operation))
    }

    pub fn has_credential(&self, credential_id: &str) -> bool {
        self.contains(Feature::Credential, keys::credential(credential_id))
    }

    fn contains(&self, feature: Feature, key: u32) -> bool {
        self.entry(feature, key).is_some()
    }

    pub(crate) fn entry(&self, feature: Feature, key: u32) -> Option<&Entry> {
        self.list(feature).iter().find(|entry| entry.key == key)
    }

    pub(crate) fn range(&self, feature: Feature) -> Range<usize> {
        let start: usize = self
            .lengths
            .iter()
            .take(feature.index())
            .map(|&length| usize::from(length))
            .sum();
        let length = self
            .lengths
            .get(feature.index())
            .map_or(0, |&length| usize::from(length));
        start..start + length
    }

    pub(crate) fn list(&self, feature: Feature) -> &[Entry] {
        self.entries.get(self.range(feature)).unwrap_or_default()
    }

    /// Counts one sighting of a value on `day`, `now_day` being the day of the latest
    /// event. When the list is full, the new value replaces the least recently seen one,
    /// ties going to the lowest count and then to the first position. The new value is
    /// dropped instead when it would itself be that one, so that a late event never pushes
    /// out a more recent value.
    fn record(
        &mut self,
        feature: Feature,
        key: u32,
        day: u16,
        now_day: u16,
        settings: &BaselineSettings,
    ) {
        let cap = usize::from(settings.caps.of(feature));
        if cap == 0 {
            return;
        }
        let range = self.range(feature);
        let Some(list) = self.entries.get_mut(range.clone()) else {
            return;
        };
        if let Some(entry) = list.iter_mut().find(|entry| entry.key == key) {
            entry.count = entry.count.saturating_add(1);
            entry.last_day = entry.last_day.max(day);
            return;
        }

        if is_expired(day, now_day, settings.max_age_days) {
            return;
        }
        let new = Entry {
            key,
            count: 1,
            last_day: day,
        };
        if list.len() >= cap {
            let Some(victim) = list
                .iter_mut()
                .min_by_key(|entry| (entry.last_day, entry.count))
            else {
                return;
            };
            if (new.last_day, new.count) >= (victim.last_day, victim.count) {
                *victim = new;
            }
            return;
        }

        let mut entries = std::mem::take(&mut self.entries).into_vec();
        // One slot more, not the doubling of `Vec::insert`: new values are rare once a
        // baseline has learned, and every spare slot costs memory in each cached baseline.
        entries.reserve_exact(1);
        entries.insert(range.end, new);
        self.entries = entries.into_boxed_slice();
        if let Some(length) = self.lengths.get_mut(feature.index()) {
            *length = length.saturating_add(1);
        }
    }

    /// Removes the values last seen more than `max_age_days` before `now_day`.
    fn expire(&mut self, now_day: u16, max_age_days: u16) {
        let stale = |entry: &Entry| is_expired(entry.last_day, now_day, max_age_days);
        if !self.entries.iter().any(stale) {
            return;
        }
        self.rebuild(|_, list| list.retain(|entry| !stale(entry)));
    }

    /// Drops the least recently seen values of lists longer than their cap, which happens
    /// when the caps were lowered after the baseline was stored.
    fn trim_to_caps(&mut self, settings: &BaselineSettings) {
        let over = |feature: Feature, length: u8| length > settings.caps.of(feature);
        let any_over = Feature::ALL
            .iter()
            .zip(self.lengths)
            .any(|(&feature, length)| over(feature, length));
        if !any_over {
            return;
        }
        self.rebuild(|feature, list| {
            let cap = usize::from(settings.caps.of(feature));
            while list.len() > cap {
                let victim = list
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, entry)| (entry.last_day, entry.count))
                    .map(|(index, _)| index);
                match victim {
                    Some(index) => {
                        list.remove(index);
                    }
                    None => break,
                }
            }
        });
    }

    /// Rewrites every list through `change`, keeping the order of the remaining values.
    fn rebuild(&mut self, mut change: impl FnMut(Feature, &mut Vec<Entry>)) {
        let mut entries = Vec::with_capacity(self.entries.len());
        let mut lengths = [0_u8; Feature::COUNT];
        for (feature, length) in Feature::ALL.into_iter().zip(&mut lengths) {
            let mut list = self.list(feature).to_vec();
            change(feature, &mut list);
            list.truncate(usize::from(u8::MAX));
            *length = u8::try_from(list.len()).unwrap_or(u8::MAX);
            entries.extend(list);
        }
        self.entries = entries.into_boxed_slice();
        self.lengths = lengths;
    }

    /// Returns the bytes this baseline allocates outside its own struct.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.entries)
    }
}

/// Returns true when a value last seen on `day` is older than `max_age_days` before `now_day`.
pub(crate) fn is_expired(day: u16, now_day: u16, max_age_days: u16) -> bool {
    now_day.saturating_sub(day) > max_age_days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_struct_stays_small() {
        // The cache keeps one per identity, so every byte here costs a megabyte per million.
        assert_eq!(std::mem::size_of::<Baseline>(), 128);
        assert_eq!(std::mem::size_of::<Entry>(), 8);
    }
}

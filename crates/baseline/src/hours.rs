//! The hour-of-week activity profile: 168 saturating 4-bit counters in 84 bytes.

use crate::time::HOURS_PER_WEEK;

/// The highest level of one hour.
pub const MAX_HOUR_LEVEL: u8 = 15;

pub(crate) const HOUR_BYTES: usize = HOURS_PER_WEEK as usize / 2;

/// The activity level of an identity in each hour of the week, from 0 (never) to
/// [`MAX_HOUR_LEVEL`].
///
/// Each event adds 1 to its hour. When an hour would pass the maximum, every hour is halved
/// first (rounding down), so the profile keeps its shape while older activity fades: an
/// hour that stops being used loses half its level each time another hour fills up.
/// Hour `h` sits in the low nibble of byte `h / 2` when `h` is even, else in the high one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HourProfile([u8; HOUR_BYTES]);

impl Default for HourProfile {
    fn default() -> Self {
        Self([0; HOUR_BYTES])
    }
}

impl HourProfile {
    pub(crate) fn from_bytes(bytes: [u8; HOUR_BYTES]) -> Self {
        Self(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; HOUR_BYTES] {
        &self.0
    }

    /// Returns the level of an hour of the week; hours past 167 wrap around the week.
    pub(crate) fn level(&self, hour_of_week: u8) -> u8 {
        let hour = hour_of_week % HOURS_PER_WEEK;
        let byte = self.0.get(usize::from(hour / 2)).copied().unwrap_or(0);
        if hour % 2 == 0 {
            byte & 0x0F
        } else {
            byte >> 4
        }
    }

    fn set(&mut self, hour_of_week: u8, level: u8) {
        let hour = hour_of_week % HOURS_PER_WEEK;
        let level = level.min(MAX_HOUR_LEVEL);
        if let Some(byte) = self.0.get_mut(usize::from(hour / 2)) {
            *byte = if hour % 2 == 0 {
                (*byte & 0xF0) | level
            } else {
                (*byte & 0x0F) | (level << 4)
            };
        }
    }

    pub(crate) fn record(&mut self, hour_of_week: u8) {
        let level = self.level(hour_of_week);
        if level >= MAX_HOUR_LEVEL {
            self.halve();
        }
        let level = self.level(hour_of_week);
        self.set(hour_of_week, level.saturating_add(1));
    }

    fn halve(&mut self) {
        for byte in &mut self.0 {
            *byte = ((*byte & 0x0F) >> 1) | (((*byte >> 4) >> 1) << 4);
        }
    }

    /// Returns the summed level of one hour of the day (0 to 23, UTC) over the seven days.
    pub(crate) fn hour_of_day_level(&self, hour_of_day: u8) -> u32 {
        (0..7_u8)
            .map(|day| u32::from(self.level(day * 24 + hour_of_day % 24)))
            .sum()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|&byte| byte == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_independent_nibbles() {
        let mut profile = HourProfile::default();
        profile.record(0);
        profile.record(1);
        profile.record(1);
        profile.record(167);
        assert_eq!(profile.level(0), 1);
        assert_eq!(profile.level(1), 2);
        assert_eq!(profile.level(2), 0);
        assert_eq!(profile.level(167), 1);
        assert_eq!(profile.level(168), 1);
    }

    #[test]
    fn full_hour_halves_the_profile() {
        let mut profile = HourProfile::default();
        for _ in 0..3 {
            profile.record(10);
        }
        for _ in 0..15 {
            profile.record(9);
        }
        assert_eq!(profile.level(9), 15);
        profile.record(9);
        assert_eq!(profile.level(9), 8);
        assert_eq!(profile.level(10), 1);
    }

    #[test]
    fn hour_of_day_sums_days() {
        let mut profile = HourProfile::default();
        profile.record(9);
        profile.record(24 + 9);
        profile.record(6 * 24 + 9);
        assert_eq!(profile.hour_of_day_level(9), 3);
        assert_eq!(profile.hour_of_day_level(10), 0);
    }
}

//! Time windows and failure classification shared by the credential-abuse detections
//! (`brute_force_success`, `password_spray`, `mfa_fatigue`).

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};
use riposte_model::{
    Activity, CredentialKind, Event, IdentityKind, IdentityRef, Outcome, Timestamp,
};

/// Converts a window setting to a duration, saturating at chrono's maximum duration.
pub(crate) fn window_from_secs(secs: u64) -> TimeDelta {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    TimeDelta::try_seconds(secs).unwrap_or(TimeDelta::MAX)
}

/// Returns the start of the window that ends at `time`, or chrono's minimum time when the
/// window reaches back further.
pub(crate) fn window_start(time: Timestamp, window: TimeDelta) -> Timestamp {
    time.checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub(crate) fn format_time(time: Timestamp) -> String {
    time.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

/// Returns false for principals that are not accounts someone signs in to: AWS services, the
/// providers' own system principals, network sources, and the placeholder of a record that
/// names no principal. That placeholder's key would merge every such record into one identity.
pub(crate) fn names_an_account(actor: &IdentityRef) -> bool {
    match actor.kind {
        IdentityKind::AwsService | IdentityKind::ProviderSystem | IdentityKind::NetworkSource => {
            false
        }
        IdentityKind::Unknown => actor.key.id.as_ref() != "unknown",
        _ => true,
    }
}

/// Returns true for a failed sign-in with a password, or with a credential the log does not
/// state. Failures with a session, token, certificate, client secret or federated credential
/// are expired or revoked credentials replayed by software, not guesses.
pub(crate) fn is_password_failure(event: &Event) -> bool {
    event.activity == Activity::SignIn
        && event.outcome == Outcome::Failure
        && matches!(
            event.credential.kind,
            CredentialKind::Password | CredentialKind::Unknown
        )
}

/// Items in time order, at most `capacity` of them: when full, the oldest item is dropped.
///
/// Events usually arrive in time order, so an insert is usually an append. A late event is
/// inserted at its place.
pub(crate) struct TimeOrdered<T> {
    items: VecDeque<(Timestamp, T)>,
    capacity: usize,
    /// Time of the newest item dropped for lack of room. A count that reaches back past it is
    /// a lower bound.
    dropped_until: Option<Timestamp>,
}

impl<T> TimeOrdered<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            dropped_until: None,
        }
    }

    pub(crate) fn insert(&mut self, time: Timestamp, item: T) {
        let position = self.items.partition_point(|(kept, _)| *kept <= time);
        self.items.insert(position, (time, item));
        if self.items.len() > self.capacity {
            if let Some((dropped, _)) = self.items.pop_front() {
                self.dropped_until = Some(self.dropped_until.map_or(dropped, |d| d.max(dropped)));
            }
        }
    }

    /// Removes the items older than `start`.
    pub(crate) fn remove_before(&mut self, start: Timestamp) {
        while self.items.front().is_some_and(|(time, _)| *time < start) {
            self.items.pop_front();
        }
        if self.dropped_until.is_some_and(|dropped| dropped < start) {
            self.dropped_until = None;
        }
    }

    /// Removes the items at or before `end`, and clears the record of dropped older items.
    pub(crate) fn remove_through(&mut self, end: Timestamp) {
        while self.items.front().is_some_and(|(time, _)| *time <= end) {
            self.items.pop_front();
        }
        self.dropped_until = None;
    }

    /// Returns the items from `start` to `end`, both included, in time order.
    pub(crate) fn between(
        &self,
        start: Timestamp,
        end: Timestamp,
    ) -> impl Iterator<Item = &(Timestamp, T)> {
        self.items
            .iter()
            .filter(move |(time, _)| *time >= start && *time <= end)
    }

    /// Returns true when items from `start` on were dropped for lack of room, so that a count
    /// from `start` is a lower bound.
    pub(crate) fn dropped_since(&self, start: Timestamp) -> bool {
        self.dropped_until.is_some_and(|dropped| dropped >= start)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

//! Puts events in event-time order and drops records seen twice.
//!
//! Events wait in a buffer until the latest event time seen has moved `max_lateness` past
//! them, then leave in order of time, provider and a fixed hash of the event id, so that ties
//! break the same way whatever order the inputs were read in. The buffer never holds more than
//! `max_buffered` events: past that, the oldest leaves early. An event older than one that
//! already left is late: it is passed on at once and counted.
//!
//! A record seen twice has the same provider, event id and event time, so its copies meet in
//! the buffer or shortly after, and only the first is kept. Ids are remembered for events in
//! the buffer and for up to `max_buffered` events after they leave.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashSet, VecDeque};

use foldhash::fast::RandomState;
use riposte_model::{Event, Provider, Timestamp};
use serde::Deserialize;

/// The `[ordering]` table of the configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderingSettings {
    /// How far, in seconds of event time, an event may arrive behind a later one and still be
    /// put in order. CloudTrail delivers events within about 5 minutes of the call and writes
    /// files covering about 5 minutes each (AWS CloudTrail documentation), so 15 minutes covers
    /// a delayed file.
    pub max_lateness_secs: u64,
    /// Maximum number of buffered events, which bounds the buffer's memory.
    pub max_buffered_events: usize,
}

impl Default for OrderingSettings {
    fn default() -> Self {
        Self {
            max_lateness_secs: 900,
            max_buffered_events: 100_000,
        }
    }
}

type DedupKey = (Provider, Box<str>);

/// A buffered event with its sort key. The id's hash orders events of the same time and
/// provider cheaply. Equal hashes fall back to the id itself, so the order stays total and
/// independent of arrival.
struct Entry {
    time: Timestamp,
    provider: Provider,
    id_hash: u64,
    event: Box<Event>,
}

impl Entry {
    fn new(event: Box<Event>) -> Self {
        Self {
            time: event.time,
            provider: event.format.provider(),
            id_hash: stable_hash(&event.event_id),
            event,
        }
    }
}

/// FNV-1a: a fixed hash, so that the order is the same on every run and machine.
fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.time, self.provider, self.id_hash)
            .cmp(&(other.time, other.provider, other.id_hash))
            .then_with(|| self.event.event_id.cmp(&other.event.event_id))
    }
}

/// Counts of what the buffer did besides ordering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OrderStats {
    /// Records dropped because their provider and event id were already seen.
    pub duplicates: u64,
    /// Events that arrived after a later event had left the buffer.
    pub late: u64,
    /// Events that left before their lateness window closed because the buffer was full.
    pub forced: u64,
}

pub struct ReorderBuffer {
    max_lateness: chrono::TimeDelta,
    capacity: usize,
    heap: BinaryHeap<Reverse<Entry>>,
    /// Ids of buffered events and of recently released ones.
    seen: HashSet<DedupKey, RandomState>,
    /// Released ids in release order, forgotten oldest first.
    released: VecDeque<DedupKey>,
    latest: Option<Timestamp>,
    last_released: Option<Timestamp>,
    stats: OrderStats,
}

impl ReorderBuffer {
    pub fn new(settings: &OrderingSettings) -> Self {
        let lateness = i64::try_from(settings.max_lateness_secs).unwrap_or(i64::MAX / 1000);
        Self {
            max_lateness: chrono::TimeDelta::try_seconds(lateness)
                .unwrap_or(chrono::TimeDelta::MAX),
            capacity: settings.max_buffered_events.max(1),
            heap: BinaryHeap::new(),
            seen: HashSet::default(),
            released: VecDeque::new(),
            latest: None,
            last_released: None,
            stats: OrderStats::default(),
        }
    }

    pub fn stats(&self) -> OrderStats {
        self.stats
    }

    /// Adds an event and passes every event that is ready, in order, to `release`.
    pub fn push(&mut self, event: Box<Event>, release: &mut dyn FnMut(Box<Event>)) {
        let key = (event.format.provider(), event.event_id.clone());
        if self.seen.contains(&key) {
            self.stats.duplicates += 1;
            return;
        }
        if self.last_released.is_some_and(|last| event.time < last) {
            self.stats.late += 1;
            self.remember_released(key);
            release(event);
            return;
        }
        self.seen.insert(key);
        if self.latest.is_none_or(|latest| event.time > latest) {
            self.latest = Some(event.time);
        }
        self.heap.push(Reverse(Entry::new(event)));

        while self.heap.len() > self.capacity {
            self.stats.forced += 1;
            self.release_one(release);
        }
        let Some(latest) = self.latest else {
            return;
        };
        let watermark = latest
            .checked_sub_signed(self.max_lateness)
            .unwrap_or(Timestamp::MIN_UTC);
        while self
            .heap
            .peek()
            .is_some_and(|Reverse(entry)| entry.time <= watermark)
        {
            self.release_one(release);
        }
    }

    /// Releases every buffered event, in order.
    pub fn flush(&mut self, release: &mut dyn FnMut(Box<Event>)) {
        while !self.heap.is_empty() {
            self.release_one(release);
        }
    }

    fn release_one(&mut self, release: &mut dyn FnMut(Box<Event>)) {
        let Some(Reverse(Entry { event, .. })) = self.heap.pop() else {
            return;
        };
        self.last_released = Some(event.time);
        let key = (event.format.provider(), event.event_id.clone());
        // The id is already in `seen`; remember when it may be forgotten.
        self.released.push_back(key);
        self.forget_old_ids();
        release(event);
    }

    fn remember_released(&mut self, key: DedupKey) {
        self.seen.insert(key.clone());
        self.released.push_back(key);
        self.forget_old_ids();
    }

    fn forget_old_ids(&mut self) {
        while self.released.len() > self.capacity {
            if let Some(old) = self.released.pop_front() {
                self.seen.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use riposte_detect::testing::EventBuilder;

    fn event(id: &str, time: &str) -> Event {
        EventBuilder::new("alice", time).id(id).build()
    }

    fn settings(lateness: u64, capacity: usize) -> OrderingSettings {
        OrderingSettings {
            max_lateness_secs: lateness,
            max_buffered_events: capacity,
        }
    }

    fn run(buffer: &mut ReorderBuffer, events: Vec<Event>) -> Vec<String> {
        let mut out = Vec::new();
        for event in events {
            buffer.push(Box::new(event), &mut |event| {
                out.push(event.event_id.to_string())
            });
        }
        buffer.flush(&mut |event| out.push(event.event_id.to_string()));
        out
    }

    #[test]
    fn events_within_lateness_come_out_sorted() {
        let mut buffer = ReorderBuffer::new(&settings(600, 100));
        let out = run(
            &mut buffer,
            vec![
                event("c", "2024-01-01T00:03:00Z"),
                event("a", "2024-01-01T00:01:00Z"),
                event("b", "2024-01-01T00:02:00Z"),
            ],
        );
        assert_eq!(out, ["a", "b", "c"]);
        assert_eq!(buffer.stats(), OrderStats::default());
    }

    #[test]
    fn ties_break_on_id_not_arrival() {
        let mut first = ReorderBuffer::new(&settings(600, 100));
        let mut second = ReorderBuffer::new(&settings(600, 100));
        let forward = run(
            &mut first,
            vec![
                event("x", "2024-01-01T00:00:00Z"),
                event("y", "2024-01-01T00:00:00Z"),
            ],
        );
        let backward = run(
            &mut second,
            vec![
                event("y", "2024-01-01T00:00:00Z"),
                event("x", "2024-01-01T00:00:00Z"),
            ],
        );
        assert_eq!(forward, backward);
    }

    #[test]
    fn duplicate_ids_count_once() {
        let mut buffer = ReorderBuffer::new(&settings(600, 100));
        let out = run(
            &mut buffer,
            vec![
                event("a", "2024-01-01T00:00:00Z"),
                event("a", "2024-01-01T00:00:00Z"),
                event("b", "2024-01-01T00:20:00Z"),
                event("a", "2024-01-01T00:00:00Z"),
            ],
        );
        assert_eq!(out, ["a", "b"]);
        assert_eq!(buffer.stats().duplicates, 2);
    }

    #[test]
    fn late_event_is_passed_on_and_counted() {
        let mut buffer = ReorderBuffer::new(&settings(60, 100));
        let out = run(
            &mut buffer,
            vec![
                event("a", "2024-01-01T00:00:00Z"),
                event("b", "2024-01-01T01:00:00Z"),
                event("old", "2023-12-31T23:59:30Z"),
            ],
        );
        assert_eq!(out, ["a", "old", "b"]);
        assert_eq!(buffer.stats().late, 1);
    }

    #[test]
    fn full_buffer_releases_the_oldest() {
        let mut buffer = ReorderBuffer::new(&settings(3600, 2));
        let out = run(
            &mut buffer,
            vec![
                event("a", "2024-01-01T00:00:00Z"),
                event("b", "2024-01-01T00:00:01Z"),
                event("c", "2024-01-01T00:00:02Z"),
            ],
        );
        assert_eq!(out, ["a", "b", "c"]);
        assert_eq!(buffer.stats().forced, 1);
    }

    #[test]
    fn memory_of_ids_is_bounded() {
        let mut buffer = ReorderBuffer::new(&settings(0, 10));
        let start = riposte_detect::testing::at("2024-01-01T00:00:00Z");
        for second in 0..1000 {
            let time = start + chrono::TimeDelta::seconds(second);
            let mut event = EventBuilder::new("alice", "2024-01-01T00:00:00Z")
                .id(&format!("e{second}"))
                .build();
            event.time = time;
            buffer.push(Box::new(event), &mut |_| {});
        }
        assert!(buffer.seen.len() <= 20, "{}", buffer.seen.len());
    }
}

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
use std::collections::{BinaryHeap, VecDeque};
use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::fast::RandomState;
use hashbrown::HashTable;
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

/// An entry for the id of a buffered or recently released event.
struct SeenId {
    provider: Provider,
    id: Arc<str>,
    /// The event's position in arrival order, unique per entry. Forgetting finds the entry by
    /// it without comparing ids, whose text has usually left the cache by then.
    arrival: u64,
}

/// A released id waiting to be forgotten: its hash and the arrival number of its entry.
#[derive(Clone, Copy)]
struct ReleasedId {
    hash: u64,
    arrival: u64,
}

/// A buffered event with its sort key. The id's hash orders events of the same time and
/// provider cheaply. Equal hashes fall back to the id itself, so the order stays total and
/// independent of arrival.
struct Entry {
    time: Timestamp,
    provider: Provider,
    id_hash: u64,
    /// The hash of the event's entry in `ReorderBuffer::seen`, seeded per process: it never
    /// orders anything.
    seen_hash: u64,
    /// The event's position in arrival order, which its entry in `seen` records too.
    arrival: u64,
    event: Box<Event>,
}

impl Entry {
    fn new(event: Box<Event>, seen_hash: u64, arrival: u64) -> Self {
        Self {
            time: event.time,
            provider: event.format.provider(),
            id_hash: stable_hash(&event.event_id),
            seen_hash,
            arrival,
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

/// The buffered entries, in two parts that together release in order.
///
/// Inputs mostly come in time order already, because files are merged by the time of their
/// current event. An entry that sorts after every entry of `run` is appended to it, and `run` stays sorted, so
/// most entries are added and taken in constant time. The others, such as events of one
/// second whose id hashes come in another order, go to `heap`. The smaller of the two
/// firsts leaves first.
#[derive(Default)]
struct Pending {
    run: VecDeque<Entry>,
    heap: BinaryHeap<Reverse<Entry>>,
}

impl Pending {
    fn len(&self) -> usize {
        self.run.len() + self.heap.len()
    }

    fn is_empty(&self) -> bool {
        self.run.is_empty() && self.heap.is_empty()
    }

    fn push(&mut self, entry: Entry) {
        if self.run.back().is_none_or(|last| *last < entry) {
            self.run.push_back(entry);
        } else {
            self.heap.push(Reverse(entry));
        }
    }

    /// Returns the entry that sorts first.
    fn first(&self) -> Option<&Entry> {
        match (self.run.front(), self.heap.peek()) {
            (Some(run), Some(Reverse(heap))) => Some(if heap < run { heap } else { run }),
            (run, heap) => run.or(heap.map(|Reverse(entry)| entry)),
        }
    }

    /// Removes and returns the entry that sorts first.
    fn pop_first(&mut self) -> Option<Entry> {
        let from_heap = match (self.run.front(), self.heap.peek()) {
            (Some(run), Some(Reverse(heap))) => heap < run,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if from_heap {
            self.heap.pop().map(|Reverse(entry)| entry)
        } else {
            self.run.pop_front()
        }
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
    pending: Pending,
    /// Ids of buffered events and of recently released ones, hashed with `hasher`.
    seen: HashTable<SeenId>,
    hasher: RandomState,
    /// Released ids in release order, forgotten oldest first.
    released: VecDeque<ReleasedId>,
    /// How many events have arrived so far, not counting duplicates.
    arrivals: u64,
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
            pending: Pending::default(),
            seen: HashTable::new(),
            hasher: RandomState::default(),
            released: VecDeque::new(),
            arrivals: 0,
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
        let provider = event.format.provider();
        let hash = self.hasher.hash_one((provider, &*event.event_id));
        let seen = self.seen.find(hash, |seen| {
            seen.provider == provider && *seen.id == *event.event_id
        });
        if seen.is_some() {
            self.stats.duplicates += 1;
            return;
        }
        let id = event.event_id.clone();
        let arrival = self.arrivals;
        self.arrivals += 1;
        self.insert_seen(hash, provider, id, arrival);
        if self.last_released.is_some_and(|last| event.time < last) {
            self.stats.late += 1;
            self.forget_after_release(hash, arrival);
            release(event);
            return;
        }
        if self.latest.is_none_or(|latest| event.time > latest) {
            self.latest = Some(event.time);
        }
        self.pending.push(Entry::new(event, hash, arrival));

        while self.pending.len() > self.capacity {
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
            .pending
            .first()
            .is_some_and(|entry| entry.time <= watermark)
        {
            self.release_one(release);
        }
    }

    /// Releases every buffered event, in order.
    pub fn flush(&mut self, release: &mut dyn FnMut(Box<Event>)) {
        while !self.pending.is_empty() {
            self.release_one(release);
        }
    }

    fn release_one(&mut self, release: &mut dyn FnMut(Box<Event>)) {
        let Some(Entry {
            event,
            seen_hash,
            arrival,
            ..
        }) = self.pending.pop_first()
        else {
            return;
        };
        self.last_released = Some(event.time);
        self.forget_after_release(seen_hash, arrival);
        release(event);
    }

    fn insert_seen(&mut self, hash: u64, provider: Provider, id: Arc<str>, arrival: u64) {
        let hasher = &self.hasher;
        let seen = SeenId {
            provider,
            id,
            arrival,
        };
        self.seen.insert_unique(hash, seen, |seen| {
            hasher.hash_one((seen.provider, &*seen.id))
        });
    }

    /// Queues the id of a released event to be dropped once `capacity` later ids have been
    /// released, and drops those whose turn has come. The entry itself is not touched,
    /// because an id counts as seen whether its event is buffered or released.
    fn forget_after_release(&mut self, hash: u64, arrival: u64) {
        self.released.push_back(ReleasedId { hash, arrival });
        self.forget_old_ids();
    }

    fn forget_old_ids(&mut self) {
        while self.released.len() > self.capacity {
            let Some(old) = self.released.pop_front() else {
                break;
            };
            if let Ok(entry) = self
                .seen
                .find_entry(old.hash, |seen| seen.arrival == old.arrival)
            {
                entry.remove();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
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
    fn copy_of_a_late_event_counts_once() {
        let mut buffer = ReorderBuffer::new(&settings(60, 100));
        let out = run(
            &mut buffer,
            vec![
                event("a", "2024-01-01T00:00:00Z"),
                event("b", "2024-01-01T01:00:00Z"),
                event("old", "2023-12-31T23:59:30Z"),
                event("old", "2023-12-31T23:59:30Z"),
            ],
        );
        assert_eq!(out, ["a", "old", "b"]);
        assert_eq!(buffer.stats().late, 1);
        assert_eq!(buffer.stats().duplicates, 1);
    }

    #[test]
    fn forgotten_id_is_read_again() {
        let mut buffer = ReorderBuffer::new(&settings(0, 2));
        let out = run(
            &mut buffer,
            vec![
                event("a", "2024-01-01T00:00:00Z"),
                event("b", "2024-01-01T00:00:01Z"),
                event("c", "2024-01-01T00:00:02Z"),
                event("d", "2024-01-01T00:00:03Z"),
                // Four ids were released after `a`, and only the last two are remembered.
                event("a", "2024-01-01T00:00:04Z"),
                event("d", "2024-01-01T00:00:05Z"),
            ],
        );
        assert_eq!(out, ["a", "b", "c", "d", "a"]);
        assert_eq!(buffer.stats().duplicates, 1);
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

    /// One step of a sequence run against [`Pending`] and a plain heap.
    #[derive(Clone, Debug)]
    enum Step {
        Push { second: i64, id: u8 },
        Pop,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (0..20_i64, any::<u8>()).prop_map(|(second, id)| Step::Push { second, id }),
            1 => Just(Step::Pop),
        ]
    }

    fn entry(second: i64, id: u8) -> Entry {
        let mut event = EventBuilder::new("alice", "2024-01-01T00:00:00Z")
            .id(&format!("e{id}"))
            .build();
        event.time += chrono::TimeDelta::seconds(second);
        Entry::new(Box::new(event), 0, 0)
    }

    proptest! {
        #[test]
        fn pending_pops_like_a_heap(steps in prop::collection::vec(step(), 0..200)) {
            let mut pending = Pending::default();
            let mut heap = BinaryHeap::new();
            let mut buffered = std::collections::HashSet::new();
            for step in steps {
                match step {
                    Step::Push { second, id } => {
                        // The buffer never contains two entries of one id.
                        if buffered.insert(id) {
                            pending.push(entry(second, id));
                            heap.push(Reverse(entry(second, id)));
                        }
                    }
                    Step::Pop => {
                        let first = pending.first().map(|entry| entry.event.event_id.clone());
                        let popped = pending.pop_first().map(|entry| entry.event.event_id);
                        let expected = heap.pop().map(|Reverse(entry)| entry.event.event_id);
                        prop_assert_eq!(&first, &expected);
                        prop_assert_eq!(&popped, &expected);
                        if let Some(id) = expected {
                            buffered.remove(&id[1..].parse::<u8>().unwrap());
                        }
                    }
                }
                prop_assert_eq!(pending.len(), heap.len());
            }
            while let Some(Reverse(expected)) = heap.pop() {
                let popped = pending.pop_first().map(|entry| entry.event.event_id);
                prop_assert_eq!(popped, Some(expected.event.event_id));
            }
            prop_assert!(pending.is_empty());
        }
    }
}

//! Reads many inputs as one stream in approximate event-time order.
//!
//! Log folders hold files that each cover a stretch of time (CloudTrail writes one file per
//! account and region every 5 minutes; exports cover a day or a week). Reading them one after
//! the other in name order would make a whole file "late" whenever names do not sort by time.
//! So the inputs are merged: each file's first event time is read first, files are opened when
//! the merge reaches that time, and the next event always comes from the open file whose
//! current event is the oldest. Files that do not overlap are open one at a time; files that
//! do are read side by side. The reorder buffer then fixes the disorder inside each file.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use riposte_ingest::framing::Framer;
use riposte_ingest::source::{self, Input, SourceError};
use riposte_ingest::{Decoded, Decoder};
use riposte_model::{Event, Timestamp};

/// How many records are read at most to find a file's first event time.
const PEEK_RECORDS: usize = 1000;

/// The receiver of the merged stream.
pub(crate) trait Sink {
    /// Records that an input was opened for the real pass.
    fn input_opened(&mut self, name: &Arc<Path>);
    /// Receives the next event in merge order.
    fn event(&mut self, event: Box<Event>);
    /// Receives a record that is not an event: unsupported or rejected.
    fn other(&mut self, decoded: Decoded);
    /// Records an input that could not be opened.
    fn input_failed(&mut self, error: SourceError);
    /// Returns true when the sink wants a barrier: a point where every record handed on so far
    /// is fully processed, so that its progress can be saved.
    fn barrier_due(&mut self) -> bool {
        false
    }
    /// Receives the progress of every input opened so far, at a barrier.
    fn barrier(&mut self, _progress: &[InputProgress]) {}
    /// Returns true when the merge must stop reading, after a failure the sink cannot survive.
    fn should_stop(&self) -> bool {
        false
    }
}

/// How far an input has been handed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InputProgress {
    pub input: Input,
    /// Frames (raw records: lines, or elements of a top-level array) whose every decoded
    /// record has been handed to the sink, counted from the start of the input.
    pub frames: u64,
    /// True once the input was read to its end.
    pub finished: bool,
}

/// One input to read, with the frames to skip because an earlier run processed them.
#[derive(Clone, Debug)]
pub(crate) struct MergeInput {
    pub input: Input,
    pub skip_frames: u64,
}

struct Cursor {
    framer: Framer<Box<dyn BufRead + Send>>,
    name: Arc<Path>,
    /// Decoded records not yet handed on, each with whether it is the last of its frame.
    pending: VecDeque<(Decoded, bool)>,
    head: Option<(Box<Event>, bool)>,
    frames_done: u64,
    /// True while some but not all records of a frame have been handed on.
    mid_frame: bool,
    /// Index of the input in the progress list.
    progress: usize,
}

impl Cursor {
    fn open(input: &Input, skip_frames: u64, progress: usize) -> Result<Self, SourceError> {
        let mut framer = Framer::new(source::open_to_end(input)?);
        let mut frames_done = 0;
        while frames_done < skip_frames && framer.next().is_some() {
            frames_done += 1;
        }
        Ok(Self {
            framer,
            name: input.name(),
            pending: VecDeque::new(),
            head: None,
            frames_done,
            mid_frame: false,
            progress,
        })
    }

    fn handed_on(&mut self, last_of_frame: bool) {
        if last_of_frame {
            self.frames_done += 1;
            self.mid_frame = false;
        } else {
            self.mid_frame = true;
        }
    }

    /// Moves to the next event, handing every non-event record met on the way to `sink`.
    /// Returns false at the end of the input.
    fn advance(&mut self, decoder: &Decoder, sink: &mut dyn Sink) -> bool {
        loop {
            while let Some((decoded, last)) = self.pending.pop_front() {
                match decoded {
                    Decoded::Event(event) => {
                        self.head = Some((event, last));
                        return true;
                    }
                    other => {
                        // A record cut short by the end of the input or by a read error is not
                        // counted as processed, so that a later run reads it again once it is
                        // complete.
                        let unfinished = matches!(
                            &other,
                            Decoded::Rejected(reject) if reject.truncated || reject.read_error
                        );
                        sink.other(other);
                        if unfinished {
                            self.mid_frame = false;
                        } else {
                            self.handed_on(last);
                        }
                    }
                }
            }
            let mut decoded = Vec::new();
            let name = &self.name;
            let read = self.framer.next_with(|next| {
                decoder.decode_next(next, name, &mut |record| decoded.push(record));
            });
            if read.is_none() {
                self.head = None;
                return false;
            }
            if decoded.is_empty() {
                // An empty array: a frame without records.
                self.frames_done += 1;
            }
            let count = decoded.len();
            self.pending.extend(
                decoded
                    .into_iter()
                    .enumerate()
                    .map(|(position, record)| (record, position + 1 == count)),
            );
        }
    }
}

/// Returns the time of the first event of `input`, reading at most [`PEEK_RECORDS`] records.
/// Read errors are ignored here: the real pass reports them.
fn first_event_time(input: &Input, decoder: &Decoder) -> Result<Option<Timestamp>, SourceError> {
    let reader = source::open(input)?;
    let name = input.name();
    let mut first = None;
    for item in Framer::new(reader).take(PEEK_RECORDS) {
        decoder.decode_item(item, &name, &mut |decoded| {
            if let (None, Decoded::Event(event)) = (&first, decoded) {
                first = Some(event.time);
            }
        });
        if first.is_some() {
            break;
        }
    }
    Ok(first)
}

fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| metadata.is_file())
}

/// Reads `inputs` in merged event-time order into `sink`, with at most `max_open` files open
/// at once. Standard input and other inputs that are not regular files are read from the start,
/// since they cannot be read twice. Returns the final progress of every input opened.
pub(crate) fn merge(
    inputs: &[MergeInput],
    decoder: &Decoder,
    max_open: usize,
    sink: &mut dyn Sink,
) -> Vec<InputProgress> {
    let mut waiting: Vec<(Option<Timestamp>, usize, &MergeInput)> = Vec::new();
    for (position, entry) in inputs.iter().enumerate() {
        let input = &entry.input;
        let first = match input {
            // Standard input, named pipes and process substitutions can be read only once.
            Input::Stdin => None,
            Input::File(path) if !is_regular_file(path) => None,
            Input::File(_) => match first_event_time(input, decoder) {
                Ok(first) => first,
                Err(error) => {
                    sink.input_failed(error);
                    continue;
                }
            },
        };
        waiting.push((first, position, entry));
    }
    // Inputs without a known first time (standard input, files without events) open first.
    waiting.sort_by_key(|(first, position, entry)| (*first, entry.input.name(), *position));
    let mut waiting: VecDeque<(Option<Timestamp>, usize, &MergeInput)> = waiting.into();

    let mut progress: Vec<InputProgress> = Vec::new();
    let mut cursors: Vec<Option<Cursor>> = Vec::new();
    let mut active: BinaryHeap<Reverse<(Timestamp, usize)>> = BinaryHeap::new();
    let max_open = max_open.max(1);
    loop {
        if sink.should_stop() {
            break;
        }
        while let Some(&(first, _, entry)) = waiting.front() {
            let oldest_head = active.peek().map(|Reverse((time, _))| *time);
            let due = match (first, oldest_head) {
                (_, None) | (None, _) => true,
                (Some(first), Some(head)) => first <= head,
            };
            if !due || active.len() >= max_open {
                break;
            }
            waiting.pop_front();
            let mut cursor = match Cursor::open(&entry.input, entry.skip_frames, progress.len()) {
                Ok(cursor) => cursor,
                Err(error) => {
                    sink.input_failed(error);
                    continue;
                }
            };
            progress.push(InputProgress {
                input: entry.input.clone(),
                frames: cursor.frames_done,
                finished: false,
            });
            sink.input_opened(&cursor.name);
            let has_event = cursor.advance(decoder, sink);
            if let Some((head, _)) = &cursor.head {
                active.push(Reverse((head.time, cursors.len())));
            }
            if !has_event {
                finish(&cursor, &mut progress);
            }
            cursors.push(has_event.then_some(cursor));
        }
        let Some(Reverse((_, slot))) = active.pop() else {
            if waiting.is_empty() {
                break;
            }
            continue;
        };
        let Some(cursor) = cursors.get_mut(slot).and_then(Option::as_mut) else {
            continue;
        };
        if let Some((event, last)) = cursor.head.take() {
            sink.event(event);
            cursor.handed_on(last);
        }
        if cursor.advance(decoder, sink) {
            if let Some((head, _)) = &cursor.head {
                active.push(Reverse((head.time, slot)));
            }
        } else if let Some(finished) = cursors.get_mut(slot) {
            if let Some(cursor) = finished.as_ref() {
                finish(cursor, &mut progress);
            }
            // Dropping the cursor closes the file.
            *finished = None;
        }
        if sink.barrier_due() && cursors.iter().flatten().all(|cursor| !cursor.mid_frame) {
            for cursor in cursors.iter().flatten() {
                if let Some(entry) = progress.get_mut(cursor.progress) {
                    entry.frames = cursor.frames_done;
                }
            }
            sink.barrier(&progress);
        }
    }
    progress
}

fn finish(cursor: &Cursor, progress: &mut [InputProgress]) {
    if let Some(entry) = progress.get_mut(cursor.progress) {
        entry.frames = cursor.frames_done;
        entry.finished = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(inputs: Vec<Input>) -> Vec<MergeInput> {
        inputs
            .into_iter()
            .map(|input| MergeInput {
                input,
                skip_frames: 0,
            })
            .collect()
    }

    #[derive(Default)]
    struct Collect {
        events: Vec<String>,
        opened: Vec<String>,
        failed: usize,
        other: usize,
    }

    impl Sink for Collect {
        fn input_opened(&mut self, name: &Arc<Path>) {
            self.opened.push(
                name.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
        }
        fn event(&mut self, event: Box<Event>) {
            self.events.push(event.event_id.to_string());
        }
        fn other(&mut self, _decoded: Decoded) {
            self.other += 1;
        }
        fn input_failed(&mut self, _error: SourceError) {
            self.failed += 1;
        }
    }

    fn okta(id: &str, time: &str) -> String {
        format!(
            "{{\"uuid\":\"{id}\",\"published\":\"{time}\",\"eventType\":\"user.session.start\",\"actor\":{{\"id\":\"00u1\",\"type\":\"User\"}},\"outcome\":{{\"result\":\"SUCCESS\"}}}}\n"
        )
    }

    #[test]
    fn overlapping_files_are_interleaved_by_time() {
        let folder = tempfile::tempdir().unwrap();
        let a = folder.path().join("a.jsonl");
        let b = folder.path().join("b.jsonl");
        std::fs::write(
            &a,
            okta("a1", "2024-01-01T00:00:00Z") + &okta("a2", "2024-01-01T00:02:00Z"),
        )
        .unwrap();
        std::fs::write(
            &b,
            okta("b1", "2024-01-01T00:01:00Z") + &okta("b2", "2024-01-01T00:03:00Z"),
        )
        .unwrap();
        let mut sink = Collect::default();
        merge(
            &wrap(vec![Input::File(b), Input::File(a)]),
            &Decoder::default(),
            8,
            &mut sink,
        );
        assert_eq!(sink.events, ["a1", "b1", "a2", "b2"]);
    }

    #[test]
    fn later_file_opens_after_earlier_one_whatever_the_order_given() {
        let folder = tempfile::tempdir().unwrap();
        let early = folder.path().join("z-early.jsonl");
        let late = folder.path().join("a-late.jsonl");
        std::fs::write(&early, okta("e1", "2024-01-01T00:00:00Z")).unwrap();
        std::fs::write(&late, okta("l1", "2024-01-02T00:00:00Z")).unwrap();
        let mut sink = Collect::default();
        merge(
            &wrap(vec![Input::File(late), Input::File(early)]),
            &Decoder::default(),
            8,
            &mut sink,
        );
        assert_eq!(sink.events, ["e1", "l1"]);
        assert_eq!(sink.opened, ["z-early.jsonl", "a-late.jsonl"]);
    }

    #[test]
    #[cfg(unix)]
    fn named_pipe_is_read_once_and_completely() {
        let folder = tempfile::tempdir().unwrap();
        let pipe = folder.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap();
        assert!(status.success());
        let writer_path = pipe.clone();
        let writer = std::thread::spawn(move || {
            let records = okta("p1", "2024-01-01T00:00:00Z") + &okta("p2", "2024-01-01T00:01:00Z");
            std::fs::write(writer_path, records).unwrap();
        });
        let mut sink = Collect::default();
        merge(
            &wrap(vec![Input::File(pipe)]),
            &Decoder::default(),
            8,
            &mut sink,
        );
        writer.join().unwrap();
        assert_eq!(sink.events, ["p1", "p2"]);
        assert_eq!(sink.other, 0);
    }

    #[test]
    fn skipped_frames_are_not_handed_on_and_progress_counts_them() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("okta.jsonl");
        let records: String = (0..5)
            .map(|minute| {
                okta(
                    &format!("r{minute}"),
                    &format!("2024-01-01T00:0{minute}:00Z"),
                )
            })
            .collect();
        std::fs::write(&path, records).unwrap();
        let mut sink = Collect::default();
        let progress = merge(
            &[MergeInput {
                input: Input::File(path.clone()),
                skip_frames: 3,
            }],
            &Decoder::default(),
            8,
            &mut sink,
        );
        assert_eq!(sink.events, ["r3", "r4"]);
        assert_eq!(
            progress,
            [InputProgress {
                input: Input::File(path),
                frames: 5,
                finished: true,
            }]
        );
    }

    #[test]
    fn missing_file_is_reported_and_others_are_read() {
        let folder = tempfile::tempdir().unwrap();
        let present = folder.path().join("present.jsonl");
        std::fs::write(&present, "not json\n").unwrap();
        let mut sink = Collect::default();
        merge(
            &wrap(vec![
                Input::File(folder.path().join("missing.jsonl")),
                Input::File(present),
            ]),
            &Decoder::default(),
            8,
            &mut sink,
        );
        assert_eq!(sink.failed, 1);
        assert_eq!(sink.other, 1);
    }
}

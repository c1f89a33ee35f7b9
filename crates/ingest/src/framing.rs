//! Splits an input stream into raw records without loading the whole input.
//!
//! Two modes, chosen from the start of the input:
//! - value mode when the input opens with a top-level array or a `{"Records": [...]}` /
//!   `{"records": [...]}` object, whatever its line layout (CloudTrail's S3 files are one
//!   line). The elements are streamed one by one, so that memory is bounded by the largest
//!   record, not by the file. Value mode is also used when neither of the first two non-empty
//!   lines is a complete JSON object (pretty-printed objects).
//! - line mode otherwise (JSON Lines): every line is one frame, and a malformed line is
//!   rejected on its own.
//!
//! The iterator does not parse frames: the decoder parses them and expands an array or a
//! wrapper found inside a line. [`Framer::next_with`] also parses, in place, a line of JSON
//! Lines or an object element of an array that lies whole in the reader's buffer. One pass
//! then finds the record's end and its value, where the iterator finds the end and the decoder
//! parses a copy.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use crate::json::{self, Arena, Value};

/// The largest record accepted, in bytes. Larger records are rejected unread, so that one
/// hostile record cannot exhaust memory.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// One raw record and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub bytes: Vec<u8>,
    /// 1-based line on which the record starts.
    pub line: u64,
    /// 0-based position of the record in the input.
    pub index: u64,
}

/// An item produced by the framer.
#[derive(Debug)]
pub enum FrameItem {
    Record(Frame),
    /// The last line of the input, not ended by a line break: a complete record, or one still
    /// being written or cut short. It is a record only if it parses.
    LastLine(Frame),
    /// A record larger than the limit; its bytes were skipped.
    Oversized {
        line: u64,
        index: u64,
        size: u64,
    },
    /// The input ended inside a record; the bytes read so far are kept.
    Truncated(Frame),
    /// The content of a `Records` wrapper object after its array of records, such as a
    /// second `Records` key. It is kept so that it can be rejected, not read.
    AfterRecords(Frame),
    /// Reading failed (for example a truncated gzip stream); the input cannot go on. The
    /// records before `line` were read.
    ReadError {
        line: u64,
        index: u64,
        error: io::Error,
    },
}

/// The item that [`Framer::next_with`] passes to its closure.
#[derive(Debug)]
pub enum Next<'a> {
    /// An item as the iterator yields it.
    Item(FrameItem),
    /// A line of JSON Lines, or an object element of an array or a `Records` wrapper, parsed
    /// in the reader's buffer.
    Parsed(ParsedFrame<'a>),
}

/// A parsed record with its text and position.
#[derive(Debug)]
pub struct ParsedFrame<'a> {
    /// The record's text, the same bytes as its [`Frame`].
    pub bytes: &'a [u8],
    pub value: Value<'a>,
    /// 1-based line on which the record starts.
    pub line: u64,
    /// 0-based position of the record in the input.
    pub index: u64,
}

/// The smallest parse window, in bytes. The parser reads up to twice the size of the last
/// record from the reader's buffer, and at least this many bytes.
const MIN_PARSE_WINDOW: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Undecided,
    Lines,
    Values,
}

/// Where the value scanner is between records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    /// Between top-level values.
    Top,
    /// Inside a top-level array, or the array of a `Records` wrapper, whose elements are
    /// records. `wrapped` is true inside a wrapper object.
    Elements { wrapped: bool },
    /// After the array of a wrapper object, skipping the rest of that object.
    WrapperTail,
}

/// Splits a buffered reader into frames.
pub struct Framer<R> {
    reader: R,
    max_record_bytes: usize,
    mode: Mode,
    level: Level,
    /// Lines read ahead while choosing line mode, served before the reader.
    /// Each line is kept with its length as read, which is larger than the bytes kept for
    /// a line over the record limit.
    lookahead: VecDeque<(Vec<u8>, usize)>,
    /// Bytes read ahead while choosing value mode, served before the reader.
    pending: Vec<u8>,
    pending_position: usize,
    /// The current 1-based line.
    line: u64,
    index: u64,
    finished: bool,
    /// The size of the last record, at most [`MAX_CAPACITY_HINT`]: a new record's buffer
    /// starts with this capacity, because records of one input have similar sizes and
    /// growing a buffer from empty copies it several times.
    capacity_hint: usize,
    /// Holds the value of the record parsed in the reader's buffer, until the next one.
    arena: Arena,
}

/// The largest capacity a record's buffer starts with, so that one large record does not
/// make every later buffer large.
const MAX_CAPACITY_HINT: usize = 64 * 1024;

impl<R: BufRead> Framer<R> {
    pub fn new(reader: R) -> Self {
        Self::with_limit(reader, DEFAULT_MAX_RECORD_BYTES)
    }

    pub fn with_limit(reader: R, max_record_bytes: usize) -> Self {
        Self {
            reader,
            max_record_bytes,
            mode: Mode::Undecided,
            level: Level::Top,
            lookahead: VecDeque::new(),
            pending: Vec::new(),
            pending_position: 0,
            line: 1,
            index: 0,
            finished: false,
            capacity_hint: 0,
            arena: Arena::new(),
        }
    }

    /// Chooses the mode from the start of the input, reading lines ahead when needed.
    fn choose_mode(&mut self) -> Result<(), FrameItem> {
        match self.starts_with_container() {
            Ok(true) => {
                self.mode = Mode::Values;
                return Ok(());
            }
            Ok(false) => {}
            Err(error) => {
                return Err(FrameItem::ReadError {
                    line: self.line,
                    index: self.index,
                    error,
                });
            }
        }
        let mut non_empty_seen = 0;
        while non_empty_seen < 2 {
            let mut line = Vec::new();
            match read_line_capped(&mut self.reader, &mut line, self.max_record_bytes) {
                Ok(LineRead::Eof) => break,
                Ok(LineRead::Line) => {}
                Ok(LineRead::TooLong(length)) => {
                    // A line this long is not part of a pretty-printed file.
                    self.lookahead.push_back((line, length));
                    self.mode = Mode::Lines;
                    return Ok(());
                }
                Err(error) => {
                    return Err(FrameItem::ReadError {
                        line: self.line,
                        index: self.index,
                        error,
                    });
                }
            }
            let trimmed = trim_ascii(&line);
            let complete = trimmed.first().is_some_and(|byte| *byte == b'{')
                && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok();
            if !trimmed.is_empty() {
                non_empty_seen += 1;
            }
            let length = line.len();
            self.lookahead.push_back((line, length));
            if complete {
                self.mode = Mode::Lines;
                return Ok(());
            }
        }
        self.mode = Mode::Values;
        for (line, _) in self.lookahead.drain(..) {
            self.pending.extend_from_slice(&line);
        }
        Ok(())
    }

    /// Returns true when the input opens with a top-level array or a `Records` wrapper, which
    /// are streamed element by element whatever their line layout. Leading whitespace is
    /// consumed and counted.
    fn starts_with_container(&mut self) -> io::Result<bool> {
        loop {
            let buffer = self.reader.fill_buf()?;
            let Some(&byte) = buffer.first() else {
                return Ok(false);
            };
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' | 0xEF | 0xBB | 0xBF => {}
                _ => break,
            }
            self.reader.consume(1);
        }
        let head = self.reader.fill_buf()?;
        let head = head.get(..head.len().min(64)).unwrap_or(head);
        Ok(head.first() == Some(&b'[') || is_wrapper_head(head))
    }

    fn next_line_frame(&mut self) -> Option<FrameItem> {
        loop {
            let (mut line, length) = match self.lookahead.pop_front() {
                Some(read) => read,
                None => {
                    let mut line = self.new_buffer();
                    match read_line_capped(&mut self.reader, &mut line, self.max_record_bytes) {
                        Ok(LineRead::Eof) => return None,
                        Ok(LineRead::Line) => {}
                        Ok(LineRead::TooLong(length)) => {
                            let item = FrameItem::Oversized {
                                line: self.line,
                                index: self.index,
                                size: length as u64,
                            };
                            self.line += 1;
                            self.index += 1;
                            return Some(item);
                        }
                        Err(error) => {
                            return Some(FrameItem::ReadError {
                                line: self.line,
                                index: self.index,
                                error,
                            });
                        }
                    }
                    let length = line.len();
                    (line, length)
                }
            };
            let line_number = self.line;
            self.line += 1;
            if trim_ascii(&line).is_empty() {
                continue;
            }
            if line.len() > self.max_record_bytes {
                let item = FrameItem::Oversized {
                    line: line_number,
                    index: self.index,
                    size: length as u64,
                };
                self.index += 1;
                return Some(item);
            }
            let terminated = line.last() == Some(&b'\n');
            self.remember_size(line.len());
            strip_line_end(&mut line);
            let frame = Frame {
                bytes: line,
                line: line_number,
                index: self.index,
            };
            self.index += 1;
            return Some(if terminated {
                FrameItem::Record(frame)
            } else {
                FrameItem::LastLine(frame)
            });
        }
    }

    /// Hands the next item to `handle` and returns what it returns, or `None` at the end of
    /// the input. Items are the iterator's, except that a line of JSON Lines or an object
    /// element of an array that lies whole in the reader's buffer comes parsed, as
    /// [`Next::Parsed`].
    pub fn next_with<T>(&mut self, handle: impl FnOnce(Next<'_>) -> T) -> Option<T> {
        let mut handle = handle;
        if !self.finished && self.mode == Mode::Lines && self.lookahead.is_empty() {
            match self.parse_line_in_place(handle) {
                Ok(result) => return Some(result),
                Err(back) => handle = back,
            }
        }
        let at_element = !self.finished
            && self.mode == Mode::Values
            && matches!(self.level, Level::Elements { .. })
            && self.pending_position >= self.pending.len();
        if at_element {
            match self.skip_separators(true) {
                Ok(Some(b'{')) => match self.parse_in_place(handle) {
                    Ok(result) => return Some(result),
                    Err(back) => handle = back,
                },
                Ok(_) => {}
                Err(error) => return Some(handle(Next::Item(self.stop_on(error)))),
            }
        }
        self.next().map(|item| handle(Next::Item(item)))
    }

    /// Parses the line that starts at the reader's position inside its buffer and hands it to
    /// `handle`. Gives `handle` back when the line does not end within the buffer, is blank,
    /// exceeds the record limit, or is not a document the fast parser accepts: the line reader
    /// then reads it as before.
    fn parse_line_in_place<T, F>(&mut self, handle: F) -> Result<T, F>
    where
        F: FnOnce(Next<'_>) -> T,
    {
        let max_record_bytes = self.max_record_bytes;
        self.hand_in_place(handle, |chunk, arena| {
            find_line(chunk, max_record_bytes, arena)
        })
    }

    /// Parses the object that starts at the reader's position inside its buffer and hands it
    /// to `handle`. Gives `handle` back when the object does not end within the parse window,
    /// is not one the fast parser accepts, or exceeds the record limit: the scanner then
    /// reads it as before, so such records keep their frames and errors.
    fn parse_in_place<T, F>(&mut self, handle: F) -> Result<T, F>
    where
        F: FnOnce(Next<'_>) -> T,
    {
        let max_record_bytes = self.max_record_bytes;
        let window = self.capacity_hint.saturating_mul(2).max(MIN_PARSE_WINDOW);
        self.hand_in_place(handle, |chunk, arena| {
            find_element(chunk, window, max_record_bytes, arena)
        })
    }

    /// Hands the record that `find` parses at the start of the reader's buffer to `handle`,
    /// then consumes it. Gives `handle` back when `find` finds none.
    fn hand_in_place<T, F>(
        &mut self,
        handle: F,
        find: impl for<'a> FnOnce(&'a [u8], &'a Arena) -> Option<Found<'a>>,
    ) -> Result<T, F>
    where
        F: FnOnce(Next<'_>) -> T,
    {
        // Frees the value of the previous record, and of a parse that gave up.
        self.arena.reset();
        let chunk = match self.reader.fill_buf() {
            Ok(chunk) => chunk,
            // The reader retries an interrupted read.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Err(handle),
            // A decoder may report an error once and then the end of its input, as flate2
            // does for a wrong checksum, so the error is handed on here, not read again.
            Err(error) => return Ok(handle(Next::Item(self.stop_on(error)))),
        };
        let Some(found) = find(chunk, &self.arena) else {
            return Err(handle);
        };

        let line = self.line;
        let index = self.index;
        let consumed = found.consumed;
        self.line += found.lines;
        self.index += 1;
        self.capacity_hint = capacity_hint_for(consumed);
        let result = handle(Next::Parsed(ParsedFrame {
            bytes: found.bytes,
            value: found.value,
            line,
            index,
        }));
        self.reader.consume(consumed);
        Ok(result)
    }

    /// Ends the input at a read error and returns the error as an item, so that a reader
    /// that reports an error once is not read again.
    fn stop_on(&mut self, error: io::Error) -> FrameItem {
        self.finished = true;
        FrameItem::ReadError {
            line: self.line,
            index: self.index,
            error,
        }
    }

    /// Returns an empty buffer for the next record, with room for a record of the last one's
    /// size.
    fn new_buffer(&self) -> Vec<u8> {
        Vec::with_capacity(self.capacity_hint)
    }

    fn remember_size(&mut self, size: usize) {
        self.capacity_hint = capacity_hint_for(size);
    }

    /// Returns the next byte, from the bytes read ahead first.
    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        if let Some(&byte) = self.pending.get(self.pending_position) {
            self.pending_position += 1;
            return Ok(Some(byte));
        }
        let buffer = self.reader.fill_buf()?;
        let Some(&byte) = buffer.first() else {
            return Ok(None);
        };
        self.reader.consume(1);
        Ok(Some(byte))
    }

    fn peek_byte(&mut self) -> io::Result<Option<u8>> {
        if let Some(&byte) = self.pending.get(self.pending_position) {
            return Ok(Some(byte));
        }
        Ok(self.reader.fill_buf()?.first().copied())
    }

    /// Skips whitespace, commas (between array elements) and a byte-order mark.
    fn skip_separators(&mut self, allow_comma: bool) -> io::Result<Option<u8>> {
        loop {
            let Some(byte) = self.peek_byte()? else {
                return Ok(None);
            };
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' | 0xEF | 0xBB | 0xBF => {}
                b',' if allow_comma => {}
                _ => return Ok(Some(byte)),
            }
            self.next_byte()?;
        }
    }

    fn next_value_frame(&mut self) -> Option<FrameItem> {
        loop {
            let result = match self.level {
                Level::Top => self.scan_top(),
                Level::Elements { wrapped } => self.scan_element(wrapped),
                Level::WrapperTail => self.scan_wrapper_tail(),
            };
            match result {
                Ok(Step::Item(item)) => return Some(item),
                Ok(Step::Continue) => {}
                Ok(Step::End) => return None,
                Err(error) => {
                    return Some(FrameItem::ReadError {
                        line: self.line,
                        index: self.index,
                        error,
                    });
                }
            }
        }
    }

    fn scan_top(&mut self) -> io::Result<Step> {
        let Some(first) = self.skip_separators(false)? else {
            return Ok(Step::End);
        };
        match first {
            b'[' => {
                self.next_byte()?;
                self.level = Level::Elements { wrapped: false };
                Ok(Step::Continue)
            }
            b'{' => self.scan_object_or_wrapper(),
            _ => Ok(Step::Item(self.scan_garbage_line()?)),
        }
    }

    fn scan_element(&mut self, wrapped: bool) -> io::Result<Step> {
        let Some(first) = self.skip_separators(true)? else {
            return Ok(Step::End);
        };
        if first == b']' {
            self.next_byte()?;
            self.level = if wrapped {
                Level::WrapperTail
            } else {
                Level::Top
            };
            return Ok(Step::Continue);
        }
        let line = self.line;
        let mut buffer = self.new_buffer();
        let item = self.scan_value(&mut buffer, line, 0)?;
        if let FrameItem::Record(frame) = &item {
            self.remember_size(frame.bytes.len());
        }
        Ok(Step::Item(item))
    }

    /// Reads what follows the array in a wrapper object, up to its closing brace. CloudTrail
    /// and Azure Monitor files hold nothing there, so anything else becomes an
    /// [`FrameItem::AfterRecords`] item.
    fn scan_wrapper_tail(&mut self) -> io::Result<Step> {
        let line = self.line;
        let mut tail = Vec::new();
        let mut depth = 1_usize;
        let mut in_string = false;
        let mut escaped = false;
        while let Some(byte) = self.next_byte()? {
            if byte == b'\n' {
                self.line += 1;
            }
            if tail.len() < self.max_record_bytes {
                tail.push(byte);
            }
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        self.level = Level::Top;
        if tail.last() == Some(&b'}') {
            tail.pop();
        }
        if trim_ascii(&tail).is_empty() {
            return Ok(Step::Continue);
        }
        let index = self.index;
        self.index += 1;
        Ok(Step::Item(FrameItem::AfterRecords(Frame {
            bytes: tail,
            line,
            index,
        })))
    }

    /// Reads a top-level object. When its first key is `Records` or `records` and holds an
    /// array, switches to streaming that array's elements; otherwise reads the whole object
    /// as one record.
    fn scan_object_or_wrapper(&mut self) -> io::Result<Step> {
        let line = self.line;
        let mut buffer = Vec::new();
        if let Some(byte) = self.next_byte()? {
            buffer.push(byte);
        }
        // Read whitespace, then the first key if there is one.
        while let Some(byte @ (b' ' | b'\t' | b'\r' | b'\n')) = self.peek_byte()? {
            if byte == b'\n' {
                self.line += 1;
            }
            buffer.push(byte);
            self.next_byte()?;
        }
        if self.peek_byte()? == Some(b'"') {
            let key_start = buffer.len();
            self.read_string_into(&mut buffer)?;
            let key = buffer.get(key_start..).unwrap_or_default();
            if key == b"\"Records\"" || key == b"\"records\"" {
                let resume = buffer.len();
                while let Some(byte @ (b' ' | b'\t' | b'\r' | b'\n' | b':')) = self.peek_byte()? {
                    if byte == b'\n' {
                        self.line += 1;
                    }
                    buffer.push(byte);
                    self.next_byte()?;
                }
                if self.peek_byte()? == Some(b'[')
                    && buffer.get(resume..).is_some_and(|gap| gap.contains(&b':'))
                {
                    self.next_byte()?;
                    self.level = Level::Elements { wrapped: true };
                    return Ok(Step::Continue);
                }
            }
        }
        // Not a wrapper: the object is one record, and one level is already open.
        let item = self.scan_value(&mut buffer, line, 1)?;
        Ok(Step::Item(item))
    }

    /// Appends a JSON string, quotes included, to `buffer`.
    fn read_string_into(&mut self, buffer: &mut Vec<u8>) -> io::Result<()> {
        let mut escaped = false;
        if let Some(quote) = self.next_byte()? {
            buffer.push(quote);
        }
        while let Some(byte) = self.next_byte()? {
            buffer.push(byte);
            if byte == b'\n' {
                self.line += 1;
            }
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => return Ok(()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Reads one JSON value into `buffer`, which may already hold its opening bytes with
    /// `depth` levels open.
    fn scan_value(
        &mut self,
        buffer: &mut Vec<u8>,
        line: u64,
        depth: usize,
    ) -> io::Result<FrameItem> {
        let index = self.index;
        self.index += 1;
        let max_record_bytes = self.max_record_bytes;
        let mut state = ScanState {
            depth,
            in_string: false,
            escaped: false,
        };
        let mut size = buffer.len() as u64;
        let mut oversized = false;
        loop {
            // The bytes read ahead come first, then the reader's buffer, a chunk at a time.
            let from_pending = self.pending_position < self.pending.len();
            let chunk: &[u8] = if from_pending {
                self.pending
                    .get(self.pending_position..)
                    .unwrap_or_default()
            } else {
                self.reader.fill_buf()?
            };
            if chunk.is_empty() {
                let frame = Frame {
                    bytes: std::mem::take(buffer),
                    line,
                    index,
                };
                return Ok(if oversized {
                    FrameItem::Oversized { line, index, size }
                } else if state.depth == 0 && !state.in_string && !frame.bytes.is_empty() {
                    FrameItem::Record(frame)
                } else {
                    FrameItem::Truncated(frame)
                });
            }
            let (consumed, done) = scan_chunk(chunk, &mut state, size > 0);
            let taken = chunk.get(..consumed).unwrap_or(chunk);
            let newlines = memchr::memchr_iter(b'\n', taken).count() as u64;
            if !oversized {
                if buffer.len() + consumed > max_record_bytes {
                    oversized = true;
                    buffer.clear();
                    buffer.shrink_to_fit();
                } else {
                    buffer.extend_from_slice(taken);
                }
            }
            size += consumed as u64;
            self.line += newlines;
            if from_pending {
                self.pending_position += consumed;
            } else {
                self.reader.consume(consumed);
            }
            if done {
                break;
            }
        }
        if oversized {
            return Ok(FrameItem::Oversized { line, index, size });
        }
        Ok(FrameItem::Record(Frame {
            bytes: std::mem::take(buffer),
            line,
            index,
        }))
    }

    /// Reads the rest of a line that starts with something other than a JSON value, as one
    /// (malformed) record.
    fn scan_garbage_line(&mut self) -> io::Result<FrameItem> {
        let line = self.line;
        let index = self.index;
        self.index += 1;
        let mut bytes = Vec::new();
        while let Some(byte) = self.next_byte()? {
            if byte == b'\n' {
                self.line += 1;
                break;
            }
            if bytes.len() <= self.max_record_bytes {
                bytes.push(byte);
            }
        }
        strip_line_end(&mut bytes);
        Ok(FrameItem::Record(Frame { bytes, line, index }))
    }
}

/// A record parsed at the start of a buffer.
struct Found<'a> {
    /// The record's text, as its frame would hold it.
    bytes: &'a [u8],
    value: Value<'a>,
    /// Bytes to consume: the record with its line end, if any.
    consumed: usize,
    /// Line breaks that the consumed bytes hold.
    lines: u64,
}

/// Parses the line at the start of `chunk`. Returns `None` unless the line ends within
/// `chunk`, is not blank, takes at most `max_record_bytes` with its line end, and is a document
/// the fast parser accepts.
fn find_line<'a>(chunk: &'a [u8], max_record_bytes: usize, arena: &'a Arena) -> Option<Found<'a>> {
    let newline = memchr::memchr(b'\n', chunk)?;
    let consumed = newline + 1;
    if consumed > max_record_bytes {
        return None;
    }
    let bytes = without_line_end(chunk.get(..newline)?);
    if trim_ascii(bytes).is_empty() {
        return None;
    }
    let value = json::parse_fast(json::utf8(bytes)?, arena)?;
    Some(Found {
        bytes,
        value,
        consumed,
        lines: 1,
    })
}

/// Parses the object at the start of `chunk`. Returns `None` unless the object ends within the
/// first `window` bytes, takes at most `max_record_bytes`, and is one the fast parser accepts.
fn find_element<'a>(
    chunk: &'a [u8],
    window: usize,
    max_record_bytes: usize,
    arena: &'a Arena,
) -> Option<Found<'a>> {
    let head = chunk.get(..window.min(chunk.len()))?;
    // The window may end inside a character, or hold invalid UTF-8 after the record.
    let text = json::utf8_prefix(head);
    let object = json::parse_object_prefix(text, arena)?;
    if object.length > max_record_bytes {
        return None;
    }
    Some(Found {
        bytes: head.get(..object.length)?,
        value: object.value,
        consumed: object.length,
        lines: object.line_feeds,
    })
}

/// Returns the capacity for the buffer of a record after one of `size` bytes: room for one
/// more byte, so that a record one byte larger does not regrow, up to [`MAX_CAPACITY_HINT`].
fn capacity_hint_for(size: usize) -> usize {
    size.saturating_add(1).min(MAX_CAPACITY_HINT)
}

/// Where the value scanner is inside a value.
struct ScanState {
    depth: usize,
    in_string: bool,
    /// The previous byte was a backslash inside a string.
    escaped: bool,
}

/// Returns the position of the first `"` or `\` in `bytes`, with the parser's search for
/// the end of a string's plain part.
fn find_quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    let mut position = 0;
    loop {
        position += crate::json::plain_run_length(bytes.get(position..)?);
        match bytes.get(position)? {
            b'"' | b'\\' => return Some(position),
            // A control byte, which JSON forbids in strings. The framer passes over it and
            // leaves the record to the parser, which rejects it.
            _ => position += 1,
        }
    }
}

/// Scans `chunk` as the continuation of a value, returning the bytes that belong to the value
/// and whether the value ended in this chunk. `has_content` says whether bytes of the value
/// came before the chunk: a scalar or a closed value ends at the first separator after them.
/// Inside strings the scan jumps to the next quote or backslash with `memchr`.
fn scan_chunk(chunk: &[u8], state: &mut ScanState, mut has_content: bool) -> (usize, bool) {
    let mut position = 0;
    while let Some(&byte) = chunk.get(position) {
        if state.in_string {
            if state.escaped {
                state.escaped = false;
                position += 1;
                continue;
            }
            let rest = chunk.get(position..).unwrap_or_default();
            match find_quote_or_backslash(rest) {
                Some(offset) => {
                    position += offset;
                    if chunk.get(position) == Some(&b'\\') {
                        state.escaped = true;
                    } else {
                        state.in_string = false;
                    }
                    position += 1;
                }
                None => return (chunk.len(), false),
            }
            has_content = true;
            continue;
        }
        if state.depth == 0
            && has_content
            && matches!(byte, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
        {
            return (position, true);
        }
        position += 1;
        has_content = true;
        match byte {
            b'"' => state.in_string = true,
            b'{' | b'[' => state.depth += 1,
            b'}' | b']' => {
                state.depth = state.depth.saturating_sub(1);
                if state.depth == 0 {
                    return (position, true);
                }
            }
            _ => {}
        }
    }
    (chunk.len(), false)
}

enum Step {
    Item(FrameItem),
    Continue,
    End,
}

impl<R: BufRead> Iterator for Framer<R> {
    type Item = FrameItem;

    fn next(&mut self) -> Option<FrameItem> {
        if self.finished {
            return None;
        }
        if self.mode == Mode::Undecided {
            if let Err(item) = self.choose_mode() {
                self.finished = true;
                return Some(item);
            }
        }
        let item = match self.mode {
            Mode::Lines => self.next_line_frame(),
            Mode::Values | Mode::Undecided => self.next_value_frame(),
        };
        if matches!(item, None | Some(FrameItem::ReadError { .. })) {
            self.finished = true;
        }
        item
    }
}

enum LineRead {
    Eof,
    Line,
    /// The line exceeded the limit; `buffer` holds its first bytes and the rest was skipped.
    /// Holds the line's length, line feed included.
    TooLong(usize),
}

/// Reads one line, newline included, into `buffer`, keeping at most `cap` + 1 bytes.
fn read_line_capped<R: BufRead>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    cap: usize,
) -> io::Result<LineRead> {
    let mut total = 0_usize;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(if total == 0 {
                LineRead::Eof
            } else if total > cap {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(position) => (available.get(..=position).unwrap_or(available), true),
            None => (available, false),
        };
        let length = chunk.len();
        if total <= cap {
            let room = cap + 1 - total;
            buffer.extend_from_slice(chunk.get(..length.min(room)).unwrap_or(chunk));
        }
        total += length;
        reader.consume(length);
        if done {
            return Ok(if total > cap {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
    }
}

/// Returns true for the start of `{"Records": [` or `{"records": [`, whitespace allowed.
fn is_wrapper_head(head: &[u8]) -> bool {
    let mut rest = head;
    let mut take = |wanted: &[u8]| -> bool {
        rest = rest.trim_ascii_start();
        match rest.strip_prefix(wanted) {
            Some(after) => {
                rest = after;
                true
            }
            None => false,
        }
    };
    take(b"{") && (take(b"\"Records\"") || take(b"\"records\"")) && take(b":") && take(b"[")
}

fn strip_line_end(line: &mut Vec<u8>) {
    let length = without_line_end(line).len();
    line.truncate(length);
}

/// Returns `line` without the line feeds and carriage returns at its end.
fn without_line_end(line: &[u8]) -> &[u8] {
    let length = line
        .iter()
        .rposition(|byte| !matches!(byte, b'\n' | b'\r'))
        .map_or(0, |last| last + 1);
    line.get(..length).unwrap_or_default()
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<(u64, String)> {
        Framer::new(input.as_bytes())
            .map(|item| match item {
                FrameItem::Record(frame) | FrameItem::LastLine(frame) => {
                    (frame.line, String::from_utf8(frame.bytes).unwrap())
                }
                FrameItem::Truncated(frame) => (
                    frame.line,
                    format!("TRUNCATED {}", String::from_utf8(frame.bytes).unwrap()),
                ),
                FrameItem::Oversized { line, size, .. } => (line, format!("OVERSIZED {size}")),
                FrameItem::ReadError { line, error, .. } => (line, format!("ERROR {error}")),
                FrameItem::AfterRecords(frame) => (
                    frame.line,
                    format!("AFTER {}", String::from_utf8(frame.bytes).unwrap()),
                ),
            })
            .collect()
    }

    #[test]
    fn quote_search_matches_memchr() {
        let text = br#"0123456789abcdef0123456789abcdef0123"4\\"#;
        for start in 0..text.len() {
            for end in start..=text.len() {
                let bytes = &text[start..end];
                assert_eq!(
                    find_quote_or_backslash(bytes),
                    memchr::memchr2(b'"', b'\\', bytes),
                    "{start}..{end}"
                );
            }
        }
        // Bytes next to the searched ones, and a backslash before a quote in one word.
        for sample in [&b"!#[]Z\\\"x"[..], b"\x00\x7f\xff\"", b"a\\\"", b""] {
            assert_eq!(
                find_quote_or_backslash(sample),
                memchr::memchr2(b'"', b'\\', sample)
            );
        }
    }

    #[test]
    fn json_lines_give_one_frame_per_line() {
        let input = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
        assert_eq!(
            frames(input),
            [
                (1, "{\"a\":1}".to_owned()),
                (3, "{\"b\":2}".to_owned()),
                (4, "{\"c\":3}".to_owned()),
            ]
        );
    }

    #[test]
    fn broken_line_does_not_swallow_the_next_ones() {
        let input = "{\"a\":1}\n{\"b\": \n{\"c\":3}\n";
        let result = frames(input);
        assert_eq!(result.len(), 3);
        assert_eq!(result[1], (2, "{\"b\": ".to_owned()));
        assert_eq!(result[2], (3, "{\"c\":3}".to_owned()));
    }

    #[test]
    fn broken_first_line_still_selects_line_mode() {
        let input = "{\"a\": \n{\"b\":2}\n{\"c\":3}\n";
        let result = frames(input);
        assert_eq!(result.len(), 3);
        assert_eq!(result[2], (3, "{\"c\":3}".to_owned()));
    }

    #[test]
    fn records_wrapper_is_streamed_with_lines() {
        let input = "{\n  \"Records\": [\n    {\"a\": 1},\n    {\"b\": {\"c\": \"}\"}}\n  ]\n}\n";
        assert_eq!(
            frames(input),
            [
                (3, "{\"a\": 1}".to_owned()),
                (4, "{\"b\": {\"c\": \"}\"}}".to_owned()),
            ]
        );
    }

    #[test]
    fn single_line_records_wrapper_is_streamed() {
        let input = "{\"Records\":[{\"a\":1},{\"b\":2}]}";
        assert_eq!(
            frames(input),
            [(1, "{\"a\":1}".to_owned()), (1, "{\"b\":2}".to_owned())]
        );
    }

    #[test]
    fn content_after_the_records_array_is_an_item() {
        let input = "{\"Records\":[{\"a\":1}],\n \"Records\":[{\"b\":2}]}\n{\"c\":3}\n";
        assert_eq!(
            frames(input),
            [
                (1, "{\"a\":1}".to_owned()),
                (1, "AFTER ,\n \"Records\":[{\"b\":2}]".to_owned()),
                (3, "{\"c\":3}".to_owned()),
            ]
        );
        let spaced = "{\"Records\":[{\"a\":1}]\n}\n";
        assert_eq!(frames(spaced), [(1, "{\"a\":1}".to_owned())]);
    }

    #[test]
    fn azure_monitor_records_wrapper_is_streamed() {
        let input = "{ \"records\" : [ {\"a\":1} ] }";
        assert_eq!(frames(input), [(1, "{\"a\":1}".to_owned())]);
    }

    #[test]
    fn top_level_array_is_streamed() {
        let input = "[\n  {\"a\": \"x,]\"},\n  {\"b\": 2}\n]\n";
        assert_eq!(
            frames(input),
            [
                (2, "{\"a\": \"x,]\"}".to_owned()),
                (3, "{\"b\": 2}".to_owned())
            ]
        );
    }

    #[test]
    fn pretty_objects_are_one_frame_each() {
        let input = "{\n  \"a\": 1,\n  \"Records\": 2\n}\n{\n  \"b\": 2\n}\n";
        assert_eq!(
            frames(input),
            [
                (1, "{\n  \"a\": 1,\n  \"Records\": 2\n}".to_owned()),
                (5, "{\n  \"b\": 2\n}".to_owned()),
            ]
        );
    }

    #[test]
    fn object_with_other_first_key_is_not_a_wrapper() {
        let input = "{\n \"Records\": \"text\"\n}\n";
        assert_eq!(
            frames(input),
            [(1, "{\n \"Records\": \"text\"\n}".to_owned())]
        );
    }

    #[test]
    fn input_ending_inside_a_record_is_truncated() {
        let input = "{\n  \"a\": 1,\n  \"b\": ";
        assert_eq!(
            frames(input),
            [(1, "TRUNCATED {\n  \"a\": 1,\n  \"b\": ".to_owned())]
        );
    }

    #[test]
    fn oversized_line_reports_its_length() {
        let long = format!("{{\"a\":\"{}\"}}\n", "x".repeat(100));
        // The first case decides the framing on the long line itself, the second on the lines
        // before it.
        for input in [
            format!("{long}{{\"b\":2}}\n"),
            format!("{{\"b\":1}}\n{{\"b\":2}}\n{long}"),
        ] {
            let sizes: Vec<u64> = Framer::with_limit(input.as_bytes(), 50)
                .filter_map(|item| match item {
                    FrameItem::Oversized { size, .. } => Some(size),
                    _ => None,
                })
                .collect();
            assert_eq!(sizes, [long.len() as u64], "{input}");
        }
    }

    #[test]
    fn oversized_line_is_skipped() {
        let input = format!("{{\"a\":\"{}\"}}\n{{\"b\":2}}\n", "x".repeat(100));
        let result: Vec<(u64, String)> = Framer::with_limit(input.as_bytes(), 50)
            .map(|item| match item {
                FrameItem::Record(frame) | FrameItem::LastLine(frame) => {
                    (frame.line, String::from_utf8(frame.bytes).unwrap())
                }
                FrameItem::Oversized { line, .. } => (line, "OVERSIZED".to_owned()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            result,
            [(1, "OVERSIZED".to_owned()), (2, "{\"b\":2}".to_owned())]
        );
    }

    #[test]
    fn oversized_element_of_a_wrapper_is_skipped() {
        let input = format!(
            "{{\"Records\":[{{\"a\":\"{}\"}},{{\"b\":2}}]}}",
            "x".repeat(100)
        );
        let result: Vec<String> = Framer::with_limit(input.as_bytes(), 50)
            .map(|item| match item {
                FrameItem::Record(frame) | FrameItem::LastLine(frame) => {
                    String::from_utf8(frame.bytes).unwrap()
                }
                FrameItem::Oversized { .. } => "OVERSIZED".to_owned(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(result, ["OVERSIZED", "{\"b\":2}"]);
    }

    #[test]
    fn garbage_line_becomes_a_frame() {
        let input = "not json\n{\n\"a\": 1\n}\n";
        let result = frames(input);
        assert_eq!(result[0], (1, "not json".to_owned()));
        assert_eq!(result[1], (2, "{\n\"a\": 1\n}".to_owned()));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let input = "\u{feff}{\"a\":1}\n";
        assert_eq!(frames(input).len(), 1);
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert!(frames("").is_empty());
        assert!(frames("\n \n").is_empty());
    }

    /// One frame as a test compares it: kind, line, index and text.
    type Described = (&'static str, u64, u64, Vec<u8>);

    fn describe(item: FrameItem) -> Described {
        match item {
            FrameItem::Record(frame) => ("record", frame.line, frame.index, frame.bytes),
            FrameItem::LastLine(frame) => ("last line", frame.line, frame.index, frame.bytes),
            FrameItem::Truncated(frame) => ("truncated", frame.line, frame.index, frame.bytes),
            FrameItem::AfterRecords(frame) => {
                ("after records", frame.line, frame.index, frame.bytes)
            }
            FrameItem::Oversized { line, index, size } => {
                ("oversized", line, index, size.to_string().into_bytes())
            }
            FrameItem::ReadError { line, index, error } => {
                ("read error", line, index, error.to_string().into_bytes())
            }
        }
    }

    /// Frames `input` with the iterator, read through a buffer of `capacity` bytes.
    fn iterated(input: &[u8], capacity: usize, limit: usize) -> Vec<Described> {
        let reader = io::BufReader::with_capacity(capacity, input);
        Framer::with_limit(reader, limit).map(describe).collect()
    }

    /// Frames `input` with `next_with`, and returns the frames with how many came parsed.
    /// Each parsed record must parse to the same value on its own.
    fn handed(input: &[u8], capacity: usize, limit: usize) -> (Vec<Described>, usize) {
        let reader = io::BufReader::with_capacity(capacity, input);
        let mut framer = Framer::with_limit(reader, limit);
        let mut described = Vec::new();
        let mut parsed = 0;
        while let Some(frame) = framer.next_with(|next| match next {
            Next::Item(item) => describe(item),
            Next::Parsed(frame) => {
                parsed += 1;
                assert_eq!(
                    json::parse(frame.bytes, &Arena::new()).ok(),
                    Some(frame.value)
                );
                ("record", frame.line, frame.index, frame.bytes.to_vec())
            }
        }) {
            described.push(frame);
        }
        (described, parsed)
    }

    /// Reads its bytes, then fails once, then reports the end, as flate2 does for a gzip
    /// stream with a wrong checksum.
    struct FailsOnceAtEnd {
        bytes: io::Cursor<Vec<u8>>,
        failed: bool,
    }

    impl io::Read for FailsOnceAtEnd {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            let count = self.bytes.read(buffer)?;
            if count > 0 || self.failed {
                return Ok(count);
            }
            self.failed = true;
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "checksum mismatch",
            ))
        }
    }

    #[test]
    fn error_after_last_line_is_reported() {
        for input in [&b"{\"a\":1}\n{\"b\":2}\n"[..], b"[{\"a\":1},{\"b\":2}"] {
            let reader = FailsOnceAtEnd {
                bytes: io::Cursor::new(input.to_vec()),
                failed: false,
            };
            let mut framer = Framer::new(io::BufReader::with_capacity(64, reader));
            let mut errors = Vec::new();
            while let Some(()) = framer.next_with(|next| {
                if let Next::Item(FrameItem::ReadError { error, .. }) = next {
                    errors.push(error.to_string());
                }
            }) {}
            assert_eq!(
                errors,
                ["checksum mismatch"],
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn parsed_elements_match_iterated_frames() {
        let input = b"{\"Records\": [{\"a\": 1}, {\"b\": \"x\"},\n {\"c\": [1, {\"d\": null}]}]}";
        let (frames, parsed) = handed(input, 64 * 1024, DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(frames, iterated(input, 64 * 1024, DEFAULT_MAX_RECORD_BYTES));
        // The first element is read while the mode is chosen, before the fast path applies.
        assert_eq!(parsed, 2);
        assert_eq!(frames[2].1, 2);
    }

    #[test]
    fn parsed_lines_match_iterated_frames() {
        let input = b"{\"a\":1}\n{\"b\":2}\r\n\n  \n{\"c\":\"\x01\"}\n[{\"d\":3}]\n{\"e\":4}";
        let (frames, parsed) = handed(input, 64 * 1024, DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(frames, iterated(input, 64 * 1024, DEFAULT_MAX_RECORD_BYTES));
        // The first line is read ahead to choose the mode. The line reader also reads the line
        // with a control character and the last line, which has no line end.
        assert_eq!(parsed, 2);
        assert_eq!(frames[3].1, 6);
    }

    #[test]
    fn element_across_buffer_end_is_scanned() {
        let input = br#"[{"key": "a value longer than the buffer"}, {"k": 2}]"#;
        for capacity in 1..input.len() + 2 {
            let (frames, _) = handed(input, capacity, DEFAULT_MAX_RECORD_BYTES);
            assert_eq!(frames, iterated(input, capacity, DEFAULT_MAX_RECORD_BYTES));
        }
    }

    #[test]
    fn invalid_elements_keep_their_frames() {
        let cases: [&[u8]; 9] = [
            b"[{\"a\":1}, {\"a\":\"\x01\"}, {\"b\":2}]",
            b"[{\"a\":1}, {\"a\":tru}, {\"b\":2}]",
            b"[{\"a\":1}, {\"a\":\"\xff\"}, {\"b\":\"\xc3\xa9\"}]",
            b"[{\"a\":1}, {\"a\":1}\xff, {\"b\":2}]",
            b"[{\"a\":1}, 7, \"s\", [1], {\"b\":2}]",
            b"[{\"a\":1}, {\"a\":1}}, {\"b\":2}]",
            b"[{\"a\":1}, {\"a\":\"\\ud800\"}, {\"b\":2}]",
            b"[{\"a\":1}, {\"a\":[1,2}, {\"b\":2}]",
            b"[{\"a\":1}, {\"a\":1}, {\"b\":\"cut",
        ];
        for input in cases {
            for capacity in [8, 13, 64 * 1024] {
                let (frames, _) = handed(input, capacity, DEFAULT_MAX_RECORD_BYTES);
                assert_eq!(
                    frames,
                    iterated(input, capacity, DEFAULT_MAX_RECORD_BYTES),
                    "{}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn parsed_element_over_the_limit_is_oversized() {
        let input = br#"[{"a":1}, {"b":"0123456789"}, {"c":3}]"#;
        let (frames, _) = handed(input, 64 * 1024, 12);
        assert_eq!(frames, iterated(input, 64 * 1024, 12));
        assert_eq!(frames[1].0, "oversized");
    }

    #[test]
    fn element_longer_than_the_window_is_scanned() {
        let long = "x".repeat(3 * MIN_PARSE_WINDOW);
        let input = format!("[{{\"a\":1}}, {{\"b\":2}}, {{\"long\":\"{long}\"}}, {{\"c\":3}}]");
        let (frames, parsed) = handed(input.as_bytes(), 64 * 1024, DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(
            frames,
            iterated(input.as_bytes(), 64 * 1024, DEFAULT_MAX_RECORD_BYTES)
        );
        // The long element is scanned; the one after it fits the window it leaves.
        assert_eq!(parsed, 2);
    }

    mod generated {
        use super::*;
        use proptest::prelude::*;
        use proptest::test_runner::Config;

        /// Generates pieces of a records file: valid and invalid elements, separators and
        /// brackets.
        fn piece() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                Just(b"{\"a\":1}".to_vec()),
                Just(b"{\"name\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\"}".to_vec()),
                Just(b"{\"nested\":{\"list\":[1,2.5,-3e2,true,false,null]}}".to_vec()),
                Just(b"{\"escaped\":\"\\\"\\\\\\n\\u00e9\"}".to_vec()),
                Just(b"{\n  \"pretty\": [\n    {}\n  ]\n}".to_vec()),
                Just(b"{\"Records\":[{\"inner\":1}]}".to_vec()),
                Just(b"{\"bad\":\"\x01\"}".to_vec()),
                Just(b"{\"bad\":\xff}".to_vec()),
                Just(b"{\"bad\":nul}".to_vec()),
                Just(b"{\"open\":[".to_vec()),
                Just(b"\"text\"".to_vec()),
                Just(b"12".to_vec()),
                Just(b"}".to_vec()),
                Just(b"]".to_vec()),
                Just(b",".to_vec()),
                Just(b" ".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"{\"Records\": [".to_vec()),
                Just(b"[".to_vec()),
            ]
        }

        fn records_file() -> impl Strategy<Value = Vec<u8>> {
            (
                prop_oneof![Just(b"{\"Records\": [".to_vec()), Just(b"[".to_vec())],
                prop::collection::vec(piece(), 0..24),
            )
                .prop_map(|(head, pieces)| {
                    let mut file = head;
                    for piece in pieces {
                        file.extend_from_slice(&piece);
                    }
                    file
                })
        }

        /// Generates a JSON Lines file: lines of valid and invalid records, blank lines and
        /// line ends of both kinds, the last line ended or not.
        fn json_lines_file() -> impl Strategy<Value = Vec<u8>> {
            let line = prop_oneof![
                3 => piece(),
                1 => prop::collection::vec(piece(), 0..3).prop_map(|pieces| pieces.concat()),
            ];
            (
                prop::collection::vec(
                    (line, prop_oneof![Just(&b"\n"[..]), Just(&b"\r\n"[..])]),
                    0..16,
                ),
                any::<bool>(),
            )
                .prop_map(|(lines, last_ended)| {
                    let mut file = b"{\"first\":1}\n{\"second\":2}\n".to_vec();
                    let count = lines.len();
                    for (position, (line, end)) in lines.into_iter().enumerate() {
                        file.extend_from_slice(&line);
                        if position + 1 < count || last_ended {
                            file.extend_from_slice(end);
                        }
                    }
                    file
                })
        }

        proptest! {
            #![proptest_config(Config {
                cases: 1000,
                // Failing inputs are not saved to a file. Add them to the unit tests above.
                failure_persistence: None,
                ..Config::default()
            })]

            #[test]
            fn next_with_matches_the_iterator(
                file in prop_oneof![records_file(), json_lines_file()],
                capacity in 1_usize..160,
                limit in prop_oneof![Just(DEFAULT_MAX_RECORD_BYTES), 4_usize..40],
            ) {
                let (frames, _) = handed(&file, capacity, limit);
                prop_assert_eq!(frames, iterated(&file, capacity, limit));
            }
        }
    }
}

//! Deciding where to resume reading an input file from its checkpoint.
//!
//! A checkpoint keeps the size of the file, the offset consumed, and the SHA-256 of its first
//! bytes. The file may since have grown (append: resume at the offset), shrunk (truncated or
//! rotated: read it again from the start) or been replaced by another file of at least the
//! same size (its first bytes differ: read it again from the start).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::records::Checkpoint;

/// The number of leading bytes a checkpoint hashes to recognize a file: 4 KiB.
pub const HEAD_LEN: u64 = 4096;

/// The SHA-256 of the first bytes of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileHead {
    /// The number of bytes hashed: [`HEAD_LEN`], or fewer when the file is shorter.
    pub len: u64,
    /// 64 lowercase hex digits.
    pub sha256: String,
}

impl FileHead {
    /// Hashes the first `limit` bytes of `reader`, or all of them when it ends sooner.
    pub fn read(reader: impl Read, limit: u64) -> io::Result<Self> {
        let mut hasher = Sha256::new();
        let len = io::copy(&mut reader.take(limit), &mut HashWriter(&mut hasher))?;
        let digest = hasher.finalize();
        let mut sha256 = String::with_capacity(64);
        for byte in digest {
            sha256.push_str(&format!("{byte:02x}"));
        }
        Ok(Self { len, sha256 })
    }

    /// Hashes the first [`HEAD_LEN`] bytes of the file at `path`, for a new checkpoint.
    pub fn of_file(path: &Path) -> Result<Self, StoreError> {
        File::open(path)
            .and_then(|file| Self::read(file, HEAD_LEN))
            .map_err(|source| StoreError::Input {
                path: path.to_owned(),
                source,
            })
    }
}

/// Adapts a hasher to `io::Write`, so that `io::copy` can feed it.
struct HashWriter<'a>(&'a mut Sha256);

impl io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The position from which to read an input file again, given its checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// The file is the one checkpointed: read from this byte offset. When it equals the file
    /// size, nothing was appended.
    At(u64),
    /// The file is smaller than the offset consumed: it was truncated or rotated.
    Shrunk,
    /// The first bytes differ from those checkpointed: another file has taken the path.
    Replaced,
}

impl Checkpoint {
    /// Compares the checkpoint with the current file: `size` is its size now and `reader`
    /// reads it from the start.
    pub fn compare(&self, size: u64, reader: impl Read) -> io::Result<Resume> {
        if size < self.offset || size < self.head_len {
            return Ok(Resume::Shrunk);
        }
        let head = FileHead::read(reader, self.head_len)?;
        if head.len != self.head_len || head.sha256 != self.head_sha256 {
            return Ok(Resume::Replaced);
        }
        Ok(Resume::At(self.offset))
    }

    /// Opens the checkpointed file and compares it with the checkpoint.
    pub fn compare_file(&self) -> Result<Resume, StoreError> {
        let input_error = |source| StoreError::Input {
            path: self.path.clone(),
            source,
        };
        let file = File::open(&self.path).map_err(input_error)?;
        let size = file.metadata().map_err(input_error)?.len();
        self.compare(size, file).map_err(input_error)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::DateTime;

    use super::*;

    fn checkpoint_of(content: &[u8], offset: u64) -> Checkpoint {
        let head = FileHead::read(content, HEAD_LEN).unwrap();
        Checkpoint {
            path: PathBuf::from("logs/a.json"),
            file_size: content.len() as u64,
            offset,
            head_len: head.len,
            head_sha256: head.sha256,
            records_read: 3,
            updated_at: DateTime::from_timestamp_millis(0).unwrap(),
        }
    }

    #[test]
    fn head_hash_is_hex_sha256() {
        let head = FileHead::read(&b"abc"[..], HEAD_LEN).unwrap();
        assert_eq!(head.len, 3);
        assert_eq!(
            head.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn head_hash_stops_at_limit() {
        let content = vec![b'x'; 10_000];
        let head = FileHead::read(content.as_slice(), HEAD_LEN).unwrap();
        assert_eq!(head.len, 4096);
    }

    #[test]
    fn appended_file_resumes_at_offset() {
        let checkpoint = checkpoint_of(b"{\"a\":1}\n", 8);
        let grown = b"{\"a\":1}\n{\"a\":2}\n";
        let resume = checkpoint.compare(grown.len() as u64, &grown[..]).unwrap();
        assert_eq!(resume, Resume::At(8));
    }

    #[test]
    fn small_file_grown_past_head_len_resumes() {
        let mut content = vec![b'a'; 100];
        let checkpoint = checkpoint_of(&content, 100);
        content.extend(vec![b'b'; 5000]);
        let resume = checkpoint
            .compare(content.len() as u64, content.as_slice())
            .unwrap();
        assert_eq!(resume, Resume::At(100));
    }

    #[test]
    fn truncated_file_is_shrunk() {
        let checkpoint = checkpoint_of(b"{\"a\":1}\n{\"a\":2}\n", 16);
        let resume = checkpoint.compare(8, &b"{\"a\":1}\n"[..]).unwrap();
        assert_eq!(resume, Resume::Shrunk);
    }

    #[test]
    fn rewritten_file_is_replaced() {
        let checkpoint = checkpoint_of(b"{\"a\":1}\n", 8);
        let other = b"{\"b\":1}\n{\"b\":2}\n";
        let resume = checkpoint.compare(other.len() as u64, &other[..]).unwrap();
        assert_eq!(resume, Resume::Replaced);
    }
}

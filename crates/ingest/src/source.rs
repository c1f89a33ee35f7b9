//! Expands command-line paths into inputs and opens them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::bufread::{GzDecoder, MultiGzDecoder};

use crate::gunzip::{MAX_WHOLE_OUTPUT, gunzip_whole};

/// Read buffer size. CloudTrail and Okta records are 1 to 10 KiB, so a buffer of this size
/// holds dozens of them.
const BUFFER_BYTES: usize = 64 * 1024;

/// The gzip magic number (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One input to read: a file or standard input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    /// The name used in messages and evidence: the path, or `-` for standard input.
    pub fn name(&self) -> Arc<Path> {
        match self {
            Self::File(path) => Arc::from(path.as_path()),
            Self::Stdin => Arc::from(Path::new("-")),
        }
    }
}

/// A path that could not be expanded or opened.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read `{path}`: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot list folder `{path}`: {message}")]
    Walk { path: PathBuf, message: String },
}

impl SourceError {
    pub fn path(&self) -> &Path {
        match self {
            Self::Unreadable { path, .. } | Self::Walk { path, .. } => path,
        }
    }
}

/// Extensions of documentation, configuration and image files, which a folder walk skips: log
/// folders often carry a README or an inventory next to the logs. The supported log formats
/// are JSON, and a file named explicitly is read whatever its extension.
const SKIPPED_EXTENSIONS: [&str; 12] = [
    "md", "markdown", "rst", "html", "pdf", "png", "jpg", "jpeg", "svg", "yaml", "yml", "toml",
];

/// Expands paths into inputs: `-` is standard input, a folder is walked recursively in name
/// order, skipping hidden entries (names starting with `.`) and documentation and
/// configuration files (see [`SKIPPED_EXTENSIONS`]), and a file is read as given, whatever its
/// name.
/// Paths that cannot be read are returned as errors next to the inputs that can.
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<SourceError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => walk(path, &mut inputs, &mut errors),
            Ok(_) => inputs.push(Input::File(path.clone())),
            Err(source) => errors.push(SourceError::Unreadable {
                path: path.clone(),
                source,
            }),
        }
    }
    (inputs, errors)
}

fn walk(root: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<SourceError>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() && !is_documentation(entry.path()) => {
                inputs.push(Input::File(entry.into_path()));
            }
            Ok(_) => {}
            Err(error) => errors.push(walk_error(root, &error)),
        }
    }
}

/// Returns the error of a failed step of a folder walk, named after what failed: a folder that
/// could not be listed, or an entry that could not be read, such as a link to a missing file.
fn walk_error(root: &Path, error: &walkdir::Error) -> SourceError {
    let path = error
        .path()
        .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
    match error.io_error() {
        Some(io_error) if !path.is_dir() => SourceError::Unreadable {
            path,
            source: match io_error.raw_os_error() {
                Some(code) => io::Error::from_raw_os_error(code),
                None => io::Error::new(io_error.kind(), io_error.to_string()),
            },
        },
        // The I/O error alone, without walkdir's repetition of the path.
        Some(io_error) => SourceError::Walk {
            path,
            message: io_error.to_string(),
        },
        // A loop of links, whose message names both ends.
        None => SourceError::Walk {
            path,
            message: error.to_string(),
        },
    }
}

fn is_documentation(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            SKIPPED_EXTENSIONS
                .iter()
                .any(|skipped| skipped.eq_ignore_ascii_case(extension))
        })
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|name| name.starts_with('.'))
}

/// Opens an input for reading, decompressing it when it starts with the gzip magic number,
/// whatever its name.
pub fn open(input: &Input) -> Result<Box<dyn BufRead + Send>, SourceError> {
    match input {
        Input::Stdin => wrap(io::stdin(), Path::new("-")),
        Input::File(path) => {
            let file = File::open(path).map_err(|source| SourceError::Unreadable {
                path: path.clone(),
                source,
            })?;
            wrap(file, path)
        }
    }
}

/// Opens an input to read it to its end. A gzip file of one member with at most
/// [`MAX_WHOLE_OUTPUT`] bytes of content is decompressed at once, which is faster than
/// streaming and hands the framer whole records. Every other input is opened as [`open`]
/// opens it. A gzip file that libdeflate rejects is streamed from the bytes already read, so
/// its records and errors are the same either way.
pub fn open_to_end(input: &Input) -> Result<Box<dyn BufRead + Send>, SourceError> {
    let Input::File(path) = input else {
        return open(input);
    };
    let unreadable = |source| SourceError::Unreadable {
        path: path.clone(),
        source,
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let size = file
        .metadata()
        .ok()
        .filter(|metadata| metadata.is_file())
        .and_then(|metadata| usize::try_from(metadata.len()).ok())
        .filter(|&size| size <= MAX_WHOLE_OUTPUT);
    let Some(size) = size else {
        // Large files, and named pipes and other files that cannot be read twice.
        return wrap(file, path);
    };
    let mut magic = [0_u8; 2];
    if file.read_exact(&mut magic).is_err() || magic != GZIP_MAGIC {
        file.rewind().map_err(unreadable)?;
        return wrap(file, path);
    }
    let mut compressed = Vec::with_capacity(size);
    compressed.extend_from_slice(&magic);
    if file.read_to_end(&mut compressed).is_err() {
        // Streaming reads the records before the failure and reports it where it happens.
        return open(input);
    }
    match gunzip_whole(&compressed) {
        Some(content) => Ok(Box::new(content)),
        None => Ok(Box::new(BufReader::with_capacity(
            BUFFER_BYTES,
            GzipMembers::new(Cursor::new(compressed)),
        ))),
    }
}

/// A reader of the members of a gzip stream one after the other, as `MultiGzDecoder` reads
/// them. An error after the first member starts with "after the first gzip member", so that
/// trailing bytes that are not gzip do not read as damage to the records before them.
struct GzipMembers<R: BufRead> {
    stage: Members<R>,
}

enum Members<R: BufRead> {
    First(GzDecoder<R>),
    Rest(MultiGzDecoder<R>),
    Done,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(reader: R) -> Self {
        Self {
            stage: Members::First(GzDecoder::new(reader)),
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        loop {
            match &mut self.stage {
                Members::First(decoder) => {
                    let read = decoder.read(buffer)?;
                    if read > 0 || buffer.is_empty() {
                        return Ok(read);
                    }
                    // The first member ended. Bytes after it start another one.
                    if let Members::First(decoder) =
                        std::mem::replace(&mut self.stage, Members::Done)
                    {
                        let mut rest = decoder.into_inner();
                        if !rest.fill_buf()?.is_empty() {
                            self.stage = Members::Rest(MultiGzDecoder::new(rest));
                        }
                    }
                }
                Members::Rest(decoder) => {
                    return decoder.read(buffer).map_err(|error| {
                        io::Error::new(
                            error.kind(),
                            format!("after the first gzip member: {error}"),
                        )
                    });
                }
                Members::Done => return Ok(0),
            }
        }
    }
}

fn wrap<R: Read + Send + 'static>(
    reader: R,
    path: &Path,
) -> Result<Box<dyn BufRead + Send>, SourceError> {
    let mut buffered = BufReader::with_capacity(BUFFER_BYTES, reader);
    let head = buffered
        .fill_buf()
        .map_err(|source| SourceError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = GzipMembers::new(buffered);
        Ok(Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder)))
    } else {
        Ok(Box::new(buffered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn folder_walk_skips_hidden_and_documentation() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::create_dir(folder.path().join("sub")).unwrap();
        std::fs::write(folder.path().join("b.json"), "{}").unwrap();
        std::fs::write(folder.path().join("a.json"), "{}").unwrap();
        std::fs::write(folder.path().join("sub/c.json"), "{}").unwrap();
        std::fs::write(folder.path().join(".hidden"), "{}").unwrap();
        std::fs::write(folder.path().join("README.md"), "# logs").unwrap();
        let (inputs, errors) = expand(&[folder.path().to_path_buf()]);
        assert!(errors.is_empty());
        let names: Vec<String> = inputs
            .iter()
            .map(|input| match input {
                Input::File(path) => path
                    .strip_prefix(folder.path())
                    .unwrap()
                    .display()
                    .to_string(),
                Input::Stdin => "-".to_owned(),
            })
            .collect();
        assert_eq!(names, ["a.json", "b.json", "sub/c.json"]);
    }

    #[test]
    fn missing_path_is_an_error_beside_the_others() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("a.json"), "{}").unwrap();
        let missing = folder.path().join("missing.json");
        let (inputs, errors) = expand(&[missing.clone(), folder.path().join("a.json")]);
        assert_eq!(inputs.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .to_string()
                .starts_with(&format!("cannot read `{}`: ", missing.display()))
        );
    }

    #[cfg(unix)]
    #[test]
    fn broken_link_in_folder_is_an_unreadable_file() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("a.json"), "{}").unwrap();
        let link = folder.path().join("b.json");
        std::os::unix::fs::symlink(folder.path().join("gone.json"), &link).unwrap();

        let (inputs, errors) = expand(&[folder.path().to_path_buf()]);

        assert_eq!(inputs, [Input::File(folder.path().join("a.json"))]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path(), link);
        assert_eq!(
            errors[0].to_string(),
            format!(
                "cannot read `{}`: {}",
                link.display(),
                io::Error::from_raw_os_error(2)
            )
        );
    }

    /// Reads `bytes` through [`GzipMembers`], returning the text read and the error, if any.
    fn read_members(bytes: Vec<u8>) -> (String, Option<io::Error>) {
        let mut reader = GzipMembers::new(Cursor::new(bytes));
        let mut text = Vec::new();
        let error = reader.read_to_end(&mut text).err();
        (String::from_utf8(text).unwrap(), error)
    }

    #[test]
    fn gzip_members_are_read_in_turn() {
        let mut bytes = gzip(b"{\"a\":1}\n");
        bytes.extend(gzip(b"{\"b\":2}\n"));
        bytes.extend(gzip(b""));
        let (text, error) = read_members(bytes);
        assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n");
        assert!(error.is_none(), "{error:?}");
    }

    #[test]
    fn bytes_after_first_member_are_named_in_error() {
        for trailing in [&b"\0"[..], b"not gzip at all", &[0x1f, 0x8b]] {
            let mut bytes = gzip(b"{\"a\":1}\n");
            bytes.extend_from_slice(trailing);
            let (text, error) = read_members(bytes);
            assert_eq!(text, "{\"a\":1}\n");
            let message = error.unwrap().to_string();
            assert!(
                message.starts_with("after the first gzip member: "),
                "{message}"
            );
        }
    }

    #[test]
    fn damage_in_first_member_keeps_its_message() {
        let mut bytes = gzip(b"{\"a\":1}\n");
        let length = bytes.len();
        bytes.truncate(length - 3);
        let (_, error) = read_members(bytes);
        let message = error.unwrap().to_string();
        assert!(
            !message.contains("after the first gzip member"),
            "{message}"
        );
    }

    #[test]
    fn gzip_is_detected_by_content() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("records.log");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(b"{\"a\":1}\n").unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let mut text = String::new();
        open(&Input::File(path))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"a\":1}\n");
    }

    fn gzip(content: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(content).unwrap();
        encoder.finish().unwrap()
    }

    /// Reads `bytes` through [`open_to_end`] and through [`open`], and returns both results.
    fn read_both(bytes: &[u8]) -> [(Vec<u8>, Option<String>); 2] {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("records.json.gz");
        std::fs::write(&path, bytes).unwrap();
        let input = Input::File(path);
        [open_to_end(&input).unwrap(), open(&input).unwrap()].map(|mut reader| {
            let mut content = Vec::new();
            let error = reader
                .read_to_end(&mut content)
                .err()
                .map(|error| error.to_string());
            (content, error)
        })
    }

    #[test]
    fn whole_and_streamed_reads_agree() {
        let records = b"{\"a\":1}\n".repeat(500);
        let one = gzip(&records);
        let mut two = one.clone();
        two.extend(gzip(b"{\"b\":2}\n"));
        let mut trailing = one.clone();
        trailing.extend(b"garbage");
        let truncated = one.get(..one.len() - 20).unwrap().to_vec();
        // FHCRC set, with a wrong CRC-16 after the fixed header.
        let mut header_crc = one.clone();
        header_crc[3] |= 0x02;
        header_crc.splice(10..10, [0x34, 0x12]);
        for bytes in [
            one,
            two,
            trailing,
            truncated,
            header_crc,
            b"{\"plain\":true}\n".to_vec(),
            Vec::new(),
        ] {
            let [whole, streamed] = read_both(&bytes);
            assert_eq!(whole, streamed);
        }
    }

    #[test]
    fn whole_read_decompresses_one_member() {
        let records = b"{\"a\":1}\n".repeat(500);
        let [(content, error), _] = read_both(&gzip(&records));
        assert_eq!((content, error), (records, None));
    }
}

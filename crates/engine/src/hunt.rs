//! The batch pipeline behind `riposte hunt`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use riposte_enrich::{EnrichError, Enricher};
use riposte_ingest::decode::Reject;
use riposte_ingest::source::{self, SourceError};
use riposte_ingest::{Decoded, Decoder, FormatFamily};
use riposte_model::{Event, Finding, Incident};

use crate::analysis::Analysis;
use crate::config::Config;
use crate::merge::{self, Sink};
use crate::order::ReorderBuffer;
use crate::rejects::{RejectWriter, RejectsError};
use crate::summary::Summary;

/// Maximum number of files open at once during the merge. Each uses two 64 KiB buffers and,
/// for gzip, a 32 KiB window.
const MAX_OPEN_INPUTS: usize = 64;

/// How many rejects are kept as messages for the report; the rejects file has all of them.
const REJECT_SAMPLES: usize = 20;

/// Progress is reported every this many records.
const PROGRESS_INTERVAL: u64 = 8192;

pub struct HuntOptions {
    pub paths: Vec<PathBuf>,
    /// Read every record as this format instead of detecting it.
    pub format: Option<FormatFamily>,
    pub rejects: Option<PathBuf>,
    pub geoip: Option<PathBuf>,
    pub asn: Option<PathBuf>,
    pub config: Config,
}

/// Errors that stop a hunt before it reads anything.
#[derive(Debug, thiserror::Error)]
pub enum HuntError {
    #[error(transparent)]
    Enrich(#[from] EnrichError),
    #[error(transparent)]
    Rejects(#[from] RejectsError),
    #[error(
        "the rejects file `{}` is also an input; write rejects to a path outside the inputs",
        .0.display()
    )]
    RejectsIsInput(PathBuf),
}

/// How far a hunt has got, for a progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub inputs: usize,
    pub inputs_opened: u64,
    pub records: u64,
}

/// Everything a hunt produced.
pub struct HuntReport {
    pub findings: Vec<Finding>,
    pub incidents: Vec<Incident>,
    pub summary: Summary,
    /// The first rejects as `file:line: reason`, for the terminal.
    pub reject_samples: Vec<String>,
    /// Set when the rejects file could not be written to part-way.
    pub rejects_error: Option<RejectsError>,
}

/// Runs the whole pipeline over the given paths.
pub fn hunt(
    options: &HuntOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<HuntReport, HuntError> {
    let started = Instant::now();
    let enricher = Enricher::new(
        options.geoip.as_deref(),
        options.asn.as_deref(),
        &options.config.networks,
    )?;
    let (mut inputs, expand_errors) = source::expand(&options.paths);
    if let Some(rejects_path) = &options.rejects {
        // An existing file that is also an input would be truncated before it is read.
        if let Ok(rejects_path) = std::fs::canonicalize(rejects_path) {
            let clash = inputs.iter().any(|input| match input {
                source::Input::File(path) => {
                    std::fs::canonicalize(path).is_ok_and(|path| path == rejects_path)
                }
                source::Input::Stdin => false,
            });
            if clash {
                return Err(HuntError::RejectsIsInput(rejects_path));
            }
        }
    }
    let rejects = options
        .rejects
        .as_deref()
        .map(RejectWriter::create)
        .transpose()?;
    if let Some(rejects_path) = &options.rejects {
        // A new rejects file inside a hunted folder is not read back.
        let rejects_path =
            std::fs::canonicalize(rejects_path).unwrap_or_else(|_| rejects_path.clone());
        inputs.retain(|input| match input {
            source::Input::File(path) => {
                std::fs::canonicalize(path).map_or(true, |path| path != rejects_path)
            }
            source::Input::Stdin => true,
        });
    }

    let mut run = Run {
        enricher,
        order: ReorderBuffer::new(&options.config.ordering),
        analysis: Analysis::new(&options.config.detections, &options.config.baselines),
        summary: Summary::default(),
        rejects,
        rejects_error: None,
        reject_samples: Vec::new(),
        inputs: inputs.len(),
        progress,
    };
    for error in expand_errors {
        run.input_failed(error);
    }
    let decoder = Decoder::new(options.format);
    let inputs: Vec<merge::MergeInput> = inputs
        .into_iter()
        .map(|input| merge::MergeInput {
            input,
            skip_frames: 0,
        })
        .collect();
    merge::merge(&inputs, &decoder, MAX_OPEN_INPUTS, &mut run);
    run.finish(options, started)
}

struct Run<'a> {
    enricher: Enricher,
    order: ReorderBuffer,
    analysis: Analysis,
    summary: Summary,
    rejects: Option<RejectWriter>,
    rejects_error: Option<RejectsError>,
    reject_samples: Vec<String>,
    inputs: usize,
    progress: &'a mut dyn FnMut(Progress),
}

impl Run<'_> {
    fn count_record(&mut self) {
        self.summary.records += 1;
        if self.summary.records % PROGRESS_INTERVAL == 0 {
            (self.progress)(Progress {
                inputs: self.inputs,
                inputs_opened: self.summary.files,
                records: self.summary.records,
            });
        }
    }

    fn reject(&mut self, reject: Reject) {
        self.summary.rejected += 1;
        if reject.read_error {
            self.summary.errors.push(reject.to_string());
        }
        if self.reject_samples.len() < REJECT_SAMPLES {
            self.reject_samples.push(reject.to_string());
        }
        tracing::debug!(file = %reject.location, reason = %reject.reason, "record rejected");
        if let Some(writer) = &mut self.rejects {
            if let Err(error) = writer.write(&reject) {
                // Writing stops after the first failure, and the report names it.
                self.rejects = None;
                self.rejects_error = Some(error);
            }
        }
    }

    fn detect(&mut self, event: Box<Event>) {
        let Self {
            order, analysis, ..
        } = self;
        order.push(event, &mut |ready| analysis.observe(&ready));
    }

    fn finish(mut self, options: &HuntOptions, started: Instant) -> Result<HuntReport, HuntError> {
        {
            let Self {
                order, analysis, ..
            } = &mut self;
            order.flush(&mut |ready| analysis.observe(&ready));
        }
        let stats = self.order.stats();
        self.summary.duplicates = stats.duplicates;
        self.summary.late_events = stats.late;
        if let Some(writer) = self.rejects.take() {
            if let Err(error) = writer.finish() {
                self.rejects_error = Some(error);
            }
        }

        let mut findings = self.analysis.finish();
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        for finding in &findings {
            *self
                .summary
                .findings_by_detection
                .entry(finding.detection)
                .or_default() += 1;
        }
        self.summary.findings = findings.len() as u64;
        let incidents = riposte_incident::correlate(findings.clone(), &options.config.incidents);
        self.summary.incidents = incidents.len() as u64;

        let elapsed = started.elapsed().as_secs_f64();
        self.summary.elapsed_secs = elapsed;
        self.summary.events_per_second = if elapsed > 0.0 {
            self.summary.records as f64 / elapsed
        } else {
            0.0
        };
        Ok(HuntReport {
            findings,
            incidents,
            summary: self.summary,
            reject_samples: self.reject_samples,
            rejects_error: self.rejects_error,
        })
    }
}

impl Sink for Run<'_> {
    fn input_opened(&mut self, name: &Arc<Path>) {
        self.summary.files += 1;
        tracing::debug!(source.path = %name.display(), "reading input");
    }

    fn event(&mut self, mut event: Box<Event>) {
        self.count_record();
        self.summary.events += 1;
        *self
            .summary
            .by_format
            .entry(event.format.as_str())
            .or_default() += 1;
        self.enricher.enrich(&mut event);
        self.detect(event);
    }

    fn other(&mut self, decoded: Decoded) {
        // A failed read is an input error, not a record.
        if !matches!(&decoded, Decoded::Rejected(reject) if reject.read_error) {
            self.count_record();
        }
        match decoded {
            Decoded::Event(event) => {
                // The merge hands events to `event`; this arm only keeps the match complete.
                self.summary.records -= 1;
                self.event(event);
            }
            Decoded::Unsupported { family, category } => {
                self.summary.unsupported += 1;
                *self
                    .summary
                    .unsupported_by_category
                    .entry(format!("{family}:{category}"))
                    .or_default() += 1;
            }
            Decoded::Rejected(reject) => self.reject(reject),
        }
    }

    fn input_failed(&mut self, error: SourceError) {
        tracing::debug!(source.path = %error.path().display(), %error, "input skipped");
        self.summary.unreadable_files += 1;
        self.summary.errors.push(error.to_string());
    }
}

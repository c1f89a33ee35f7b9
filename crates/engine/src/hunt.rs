//! The batch pipeline behind `riposte hunt`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use riposte_enrich::{EnrichError, Enricher};
use riposte_ingest::decode::Reject;
use riposte_ingest::source::{self, Input, SourceError};
use riposte_ingest::{Decoded, Decoder, FormatFamily};
use riposte_model::{BlastRadiusSummary, Event, Finding, Incident};
use riposte_respond::{DecidedStep, Planner, RespondError, Responder, ResponseSettings};
use riposte_store::FileHead;

use crate::analysis::Analysis;
use crate::config::Config;
use crate::merge::{self, InputProgress, Sink};
use crate::order::ReorderBuffer;
use crate::rejects::{RejectWriter, RejectsError};
use crate::state::{Persistence, StartAt, StateError};
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
    /// The state file (`--state`): identities, baselines and reading positions kept across
    /// runs. Without it, everything lives in memory for the run.
    pub state: Option<PathBuf>,
    /// The inventory of people, non-human identities and networks (`--inventory`).
    pub inventory: Option<PathBuf>,
    pub config: Config,
    /// Plans the response to each incident with playbooks and the response policy. With a
    /// state file, the decided actions are recorded there for `riposte respond`; nothing is
    /// executed.
    pub planner: Option<Arc<Planner>>,
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
    #[error("invalid inventory:\n{0}")]
    Inventory(#[from] riposte_identity::InventoryErrors),
    #[error(transparent)]
    State(#[from] StateError),
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
    /// Set when the state store failed part-way; the run stopped there.
    pub state_error: Option<StateError>,
    /// With a planner and a state file: how many decided actions were newly recorded for
    /// `riposte respond`, or why they could not be.
    pub recorded_actions: Option<Result<usize, RespondError>>,
}

/// Runs the whole pipeline over the given paths.
pub fn hunt(
    options: &HuntOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<HuntReport, HuntError> {
    let started = Instant::now();
    let inventory = match &options.inventory {
        Some(path) => riposte_identity::Inventory::load(path)?,
        None => riposte_identity::Inventory::default(),
    };
    let mut networks = options.config.networks.clone();
    networks
        .corporate_egress
        .extend(inventory.networks.corporate_egress.iter().copied());
    networks.vpn.extend(inventory.networks.vpn.iter().copied());
    let enricher = Enricher::new(options.geoip.as_deref(), options.asn.as_deref(), &networks)?;
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

    let persistence = match &options.state {
        Some(path) => Some(Persistence::open(path, "hunt", chrono::Utc::now())?),
        None => None,
    };
    let mut run = Run {
        enricher,
        order: ReorderBuffer::new(&options.config.ordering),
        analysis: Analysis::new(
            &options.config.detections,
            &options.config.baselines,
            inventory,
            persistence,
        ),
        summary: Summary::default(),
        rejects,
        rejects_error: None,
        reject_samples: Vec::new(),
        inputs: inputs.len(),
        progress,
        files: HashMap::new(),
        commit_interval: options.config.state.commit_interval_records.max(1),
        records_at_last_commit: 0,
    };
    for error in expand_errors {
        run.input_failed(error);
    }
    let inputs = run.plan_inputs(inputs)?;
    let decoder = Decoder::new(options.format);
    let progress = merge::merge(&inputs, &decoder, MAX_OPEN_INPUTS, &mut run);
    run.barrier(&progress);
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
    /// Canonical path, first bytes and size of each input file read, for its checkpoint.
    files: HashMap<PathBuf, (PathBuf, FileHead, u64)>,
    commit_interval: u64,
    records_at_last_commit: u64,
}

impl Run<'_> {
    /// Decides where each input starts: files an earlier run read completely and that have
    /// not changed are skipped, partly read ones resume after the frames already processed.
    fn plan_inputs(&mut self, inputs: Vec<Input>) -> Result<Vec<merge::MergeInput>, HuntError> {
        let mut planned = Vec::with_capacity(inputs.len());
        for input in inputs {
            let mut skip_frames = 0;
            if let (Some(persistence), Input::File(path)) =
                (self.analysis.persistence_mut(), &input)
            {
                let regular = std::fs::metadata(path).is_ok_and(|metadata| metadata.is_file());
                if regular {
                    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                    let size = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
                    // The head is hashed after decompression, so that a log and its gzip copy
                    // are recognized as the same content.
                    let head = source::open(&input)
                        .ok()
                        .and_then(|reader| FileHead::read(reader, riposte_store::HEAD_LEN).ok());
                    if let Some(head) = head {
                        match persistence.start_at(&canonical, size, &head)? {
                            StartAt::Done => {
                                self.summary.unchanged_files += 1;
                                continue;
                            }
                            StartAt::Frames(frames) => skip_frames = frames,
                            StartAt::Beginning => {}
                        }
                        self.files.insert(path.clone(), (canonical, head, size));
                    }
                }
            }
            planned.push(merge::MergeInput { input, skip_frames });
        }
        Ok(planned)
    }

    /// Processes every buffered event, then saves the state and each input's progress.
    fn barrier(&mut self, progress: &[InputProgress]) {
        {
            let Self {
                order, analysis, ..
            } = self;
            order.flush(&mut |mut ready| analysis.observe(&mut ready));
        }
        let checkpoints: Vec<riposte_store::Checkpoint> = progress
            .iter()
            .filter_map(|entry| {
                let Input::File(path) = &entry.input else {
                    return None;
                };
                let (canonical, head, size) = self.files.get(path)?;
                Some(crate::state::checkpoint(
                    canonical,
                    entry.frames,
                    entry.finished,
                    head,
                    *size,
                ))
            })
            .collect();
        let counts = self.run_counts();
        self.analysis.commit(checkpoints, counts);
        self.records_at_last_commit = self.summary.records;
    }

    fn run_counts(&self) -> riposte_store::RunCounts {
        riposte_store::RunCounts {
            records: self.summary.records,
            rejected: self.summary.rejected,
            findings: self.summary.findings,
        }
    }

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
        order.push(event, &mut |mut ready| analysis.observe(&mut ready));
    }

    /// Stores this run's findings and incidents, keyed by their identities' ids.
    fn save_results(&mut self, findings: &[Finding], incidents: &[Incident]) {
        let counts = self.run_counts();
        let Some(persistence) = self.analysis.persistence_mut() else {
            return;
        };
        let mut with_id = |identity: &riposte_model::IdentityRef, time| {
            persistence
                .result_identity(identity, time)
                .map_err(|error| tracing::error!(%error, "finding not saved"))
                .ok()
        };
        let findings: Vec<(i64, Finding)> = findings
            .iter()
            .filter_map(|finding| {
                Some((
                    with_id(&finding.identity, finding.first_seen)?,
                    finding.clone(),
                ))
            })
            .collect();
        let incidents: Vec<(i64, Incident)> = incidents
            .iter()
            .filter_map(|incident| {
                Some((
                    with_id(&incident.identity, incident.first_seen)?,
                    incident.clone(),
                ))
            })
            .collect();
        if let Err(error) = persistence.put_results(&findings, &incidents) {
            tracing::error!(%error, "findings not saved");
        }
        self.analysis.commit(Vec::new(), counts);
    }

    fn finish(mut self, options: &HuntOptions, started: Instant) -> Result<HuntReport, HuntError> {
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
        let mut incidents = {
            let graph = self.analysis.graph();
            riposte_incident::correlate_by(
                findings.clone(),
                &options.config.incidents,
                &|identity| graph.resolve_ref(identity).id.to_string(),
            )
        };
        for incident in &mut incidents {
            let resolved = self.analysis.graph().resolve_ref(&incident.identity);
            let usage = self.analysis.observed_usage(&incident.identity.key);
            let radius = riposte_identity::blast_radius(&resolved, &usage);
            let constraints = riposte_identity::containment_constraints(&resolved, &radius);
            incident.blast_radius = Some(BlastRadiusSummary {
                tier: radius.tier.as_str().to_owned(),
                reasons: radius.reasons,
                shared: radius.shared,
                break_glass: resolved.break_glass,
                scoped_revocation: constraints.revocation
                    == riposte_identity::RevocationScope::LeakedCredential,
                disablement_allowed: constraints.disablement
                    == riposte_identity::Disablement::Allowed,
                policy_narrowing_secs: constraints.policy_narrowing_secs,
                constraint_reasons: constraints.reasons,
            });
            incident.plan = riposte_incident::plan_for(incident);
        }
        let mut decided = Vec::new();
        if let Some(planner) = &options.planner {
            let inventory = self.analysis.graph().inventory();
            for incident in &mut incidents {
                let response = planner.plan(incident, Some(inventory));
                for reason in &response.unplanned {
                    tracing::warn!(incident = %incident.id, %reason, "playbook step not planned");
                }
                incident.response = response.report_steps();
                decided.extend(response.steps.into_iter().map(|planned| planned.step));
            }
        }
        self.summary.incidents = incidents.len() as u64;
        self.save_results(&findings, &incidents);
        let state_error = self.analysis.take_failure();
        let counts = riposte_store::RunCounts {
            records: self.summary.records,
            rejected: self.summary.rejected,
            findings: self.summary.findings,
        };
        let completed = state_error.is_none();
        let state_error = match self.analysis.into_persistence() {
            Some(persistence) => match persistence.finish(counts, completed) {
                Ok(()) => state_error,
                Err(error) => state_error.or(Some(error)),
            },
            None => state_error,
        };
        let recorded_actions = match (&options.state, &options.planner) {
            (Some(path), Some(_)) if state_error.is_none() => {
                Some(record_plans(path, &decided, &options.config.response))
            }
            _ => None,
        };

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
            state_error,
            recorded_actions,
        })
    }
}

/// Records decided actions in the state file for `riposte respond`. Actions recorded by an
/// earlier run are left as they are.
fn record_plans(
    path: &Path,
    steps: &[DecidedStep],
    settings: &ResponseSettings,
) -> Result<usize, RespondError> {
    let mut store = riposte_store::Store::open_existing(path)?;
    store.lock_for_writing()?;
    let mut responder = Responder::new(store, Vec::new(), settings.clone());
    let recorded = responder.record_plans(steps, chrono::Utc::now())?;
    responder.into_store().close()?;
    Ok(recorded)
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

    fn barrier_due(&mut self) -> bool {
        self.analysis.persistence_mut().is_some()
            && self.summary.records - self.records_at_last_commit >= self.commit_interval
    }

    fn barrier(&mut self, progress: &[InputProgress]) {
        Run::barrier(self, progress);
    }

    fn should_stop(&self) -> bool {
        self.analysis.failed()
    }
}

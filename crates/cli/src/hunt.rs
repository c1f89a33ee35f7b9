use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use riposte_engine::{Config, HuntOptions, Progress};
use riposte_ingest::FormatFamily;
use riposte_policy::{PolicyEngine, PolicySchema};
use riposte_report::{Escaped, TextOptions, write_jsonl, write_ocsf, write_text};
use riposte_respond::Planner;

/// Exit status when any record was rejected or any input could not be read.
const EXIT_INCOMPLETE: u8 = 2;

const EXAMPLES: &str = "Examples:
  riposte hunt examples/
  riposte hunt --format jsonl logs/cloudtrail/ okta-2024-05.json.gz
  zcat entra-signins.json.gz | riposte hunt --format entra -
  riposte hunt --config riposte.toml --geoip GeoLite2-City.mmdb --rejects rejects.jsonl logs/
  riposte hunt --state riposte.db --inventory inventory.yaml logs/

Exit status: 0 when every record was read, 2 when any record was rejected, any input could
not be read or (with --respond) any action failed, 1 for a usage or configuration error.";

/// Hunt for identity abuse in log files: normalize, detect, group into incidents, and print
/// the containment plan. Never executes any action.
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct HuntArgs {
    /// Log files or folders to read; folders are read recursively, `-` reads standard input.
    /// Gzip files are decompressed whatever their name.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format (text, jsonl, ocsf), or input log format to force instead of detecting it
    /// per record (cloudtrail, okta, entra). Give it twice to set both.
    #[arg(short, long = "format", value_name = "FORMAT")]
    formats: Vec<FormatChoice>,

    /// Input log format to force instead of detecting it per record.
    #[arg(long, value_name = "FORMAT", value_parser = parse_family)]
    input_format: Option<FormatFamily>,

    /// Write every rejected record, as read and with its reason, to FILE (JSON Lines).
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,

    /// Configuration file (TOML): declared networks, detection thresholds, incident window.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// State file (SQLite) that keeps identities, baselines, findings and the reading position
    /// of each input across runs; a second run over the same files reads only what was
    /// appended. Created when missing.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,

    /// Inventory (YAML) of people, non-human identities, break-glass accounts and networks.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,

    /// MaxMind-format City database for addresses whose record has no location.
    #[arg(long, value_name = "FILE")]
    geoip: Option<PathBuf>,

    /// MaxMind-format ASN database for addresses whose record has no network owner.
    #[arg(long, value_name = "FILE")]
    asn: Option<PathBuf>,

    /// Response policy (Cedar) that decides, for each playbook step, whether it runs
    /// automatically, after approval, or is only recommended. Default: the built-in
    /// `policies/default.cedar`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,

    /// Directory of playbooks (YAML) that map incidents to containment steps. Default: the
    /// built-in `playbooks/`.
    #[arg(long, value_name = "DIR")]
    playbooks: Option<PathBuf>,

    /// After the hunt, carry out the decided actions as `riposte respond` does, for live-fire
    /// drills. Needs --state; connectors come from the [connectors] table of --config.
    #[arg(long, requires = "state")]
    respond: bool,

    /// With --respond: print the API calls each action would make, and change nothing.
    #[arg(long, requires = "respond")]
    dry_run: bool,

    /// Colour in the text report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    color: ColorChoice,

    /// Do not show the progress line on standard error.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutputFormat {
    Text,
    Jsonl,
    Ocsf,
}

/// A `--format` value: output formats and input log formats have distinct names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FormatChoice {
    Output(OutputFormat),
    Input(FormatFamily),
}

impl FromStr for FormatChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Output(OutputFormat::Text)),
            "jsonl" | "json" => Ok(Self::Output(OutputFormat::Jsonl)),
            "ocsf" => Ok(Self::Output(OutputFormat::Ocsf)),
            _ => FormatFamily::from_str(text).map(Self::Input).map_err(|_| {
                format!(
                    "unknown format `{text}`: expected an output format (text, jsonl, ocsf) or an \
                     input log format (cloudtrail, okta, entra)"
                )
            }),
        }
    }
}

fn parse_family(text: &str) -> Result<FormatFamily, String> {
    FormatFamily::from_str(text)
}

impl HuntArgs {
    /// Splits the `--format` values into the output format and the forced input format.
    fn resolve_formats(&self) -> anyhow::Result<(OutputFormat, Option<FormatFamily>)> {
        let mut output = None;
        let mut input = self.input_format;
        for choice in &self.formats {
            match choice {
                FormatChoice::Output(format) => {
                    if output.is_some_and(|known| known != *format) {
                        bail!("--format names two output formats; give one of text, jsonl, ocsf");
                    }
                    output = Some(*format);
                }
                FormatChoice::Input(family) => {
                    if input.is_some_and(|known| known != *family) {
                        bail!(
                            "two input log formats were given (--format or --input-format); give \
                             one of cloudtrail, okta, entra"
                        );
                    }
                    input = Some(*family);
                }
            }
        }
        Ok((output.unwrap_or(OutputFormat::Text), input))
    }
}

pub fn run(args: HuntArgs) -> anyhow::Result<ExitCode> {
    let (output, input_format) = args.resolve_formats()?;
    if args
        .paths
        .iter()
        .filter(|path| path.as_os_str() == "-")
        .count()
        > 1
    {
        bail!("`-` (standard input) is given twice; standard input can be read only once");
    }
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if args.respond {
        crate::respond::check_connectors(&config, &riposte_connector_http::ProcessEnvironment)?;
    }
    let options = HuntOptions {
        paths: args.paths.clone(),
        format: input_format,
        rejects: args.rejects.clone(),
        geoip: args.geoip.clone(),
        asn: args.asn.clone(),
        state: args.state.clone(),
        inventory: args.inventory.clone(),
        config,
        planner: Some(Arc::new(load_planner(
            args.policy.as_deref(),
            args.playbooks.as_deref(),
        )?)),
    };

    let show_progress = !args.no_progress && std::io::stderr().is_terminal();
    let mut progress = |progress: Progress| {
        if show_progress {
            eprint!(
                "\rreading: {} records, {} of {} inputs opened",
                progress.records, progress.inputs_opened, progress.inputs
            );
        }
    };
    let report = riposte_engine::hunt(&options, &mut progress)?;
    if show_progress {
        // Erase the progress line.
        eprint!("\r\x1b[2K");
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match output {
        OutputFormat::Text => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => std::io::stdout().is_terminal(),
            };
            write_text(
                &mut out,
                &report.incidents,
                &report.summary,
                &report.reject_samples,
                TextOptions { color },
            )
        }
        OutputFormat::Jsonl => write_jsonl(&mut out, &report.incidents, &report.summary),
        OutputFormat::Ocsf => write_ocsf(&mut out, &report.incidents),
    }
    .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;

    // Machine formats keep standard output clean, and a text report written to a file or a pipe
    // is not read as it runs, so errors and rejects also go to standard error there.
    if output != OutputFormat::Text || !std::io::stdout().is_terminal() {
        // A read error is also a rejected record: one line names it when it is a sample.
        for error in report
            .summary
            .errors
            .iter()
            .filter(|error| !report.reject_samples.contains(error))
        {
            eprintln!("riposte: {}", Escaped(error));
        }
        for sample in &report.reject_samples {
            eprintln!("riposte: rejected {}", Escaped(sample));
        }
        let unshown = report
            .summary
            .rejected
            .saturating_sub(report.reject_samples.len() as u64);
        if unshown > 0 {
            eprintln!("riposte: and {unshown} more rejected records");
        }
    }
    let mut status = ExitCode::SUCCESS;
    if let (Some(state), Some(recorded)) = (&args.state, &report.recorded_actions) {
        let state_text = Escaped(&state.display().to_string()).to_string();
        match recorded {
            Ok(recorded) => {
                let counts = decision_counts(&report.incidents);
                let line = format!(
                    "response: {recorded} new actions recorded in {state_text} ({} run \
                     automatically, {} wait for approval, {} recommended only)",
                    counts.execute, counts.approve, counts.recommend
                );
                if output == OutputFormat::Text {
                    writeln!(out, "{line}")?;
                } else {
                    eprintln!("riposte: {line}");
                }
                if !args.respond
                    && counts.execute + counts.approve > 0
                    && output == OutputFormat::Text
                {
                    writeln!(
                        out,
                        "carry them out with: riposte respond --state {state_text} --config FILE"
                    )?;
                }
            }
            Err(error) => {
                eprintln!(
                    "riposte: the decided actions were not recorded in {state_text}: {}",
                    Escaped(&error.to_string())
                );
                status = ExitCode::from(EXIT_INCOMPLETE);
            }
        }
        out.flush().context("cannot write the report")?;
        if args.respond && recorded.is_ok() {
            let response = crate::respond::respond(state, &options.config, args.dry_run)?;
            let respond_format = if output == OutputFormat::Text {
                crate::OutputFormat::Text
            } else {
                crate::OutputFormat::Jsonl
            };
            if output == OutputFormat::Text {
                writeln!(
                    out,
                    "
Response"
                )?;
                out.flush()?;
            }
            drop(out);
            let code = crate::respond::print_report(state, &response, respond_format)?;
            if code != ExitCode::SUCCESS {
                status = code;
            }
        }
    }
    if let Some(error) = &report.rejects_error {
        eprintln!("riposte: {}", Escaped(&error.to_string()));
        return Ok(ExitCode::from(EXIT_INCOMPLETE));
    }
    if let Some(error) = &report.state_error {
        eprintln!(
            "riposte: the state file was not fully updated, so the next run reads again what this \
             one did not save: {}",
            Escaped(&error.to_string())
        );
        return Ok(ExitCode::from(EXIT_INCOMPLETE));
    }
    if report.summary.is_clean() {
        Ok(status)
    } else {
        Ok(ExitCode::from(EXIT_INCOMPLETE))
    }
}

/// Loads the response policy and the playbooks, the built-in ones when no path is given.
pub fn load_planner(policy: Option<&Path>, playbooks: Option<&Path>) -> anyhow::Result<Planner> {
    let policy = match policy {
        Some(path) => {
            PolicySchema::builtin().and_then(|schema| PolicyEngine::from_file(path, schema))
        }
        None => PolicyEngine::default_policy(),
    }
    .map_err(|errors| anyhow::anyhow!(join_lines(&errors)))?;
    let playbooks = match playbooks {
        Some(dir) => riposte_playbook::validate_dir(dir),
        None => riposte_playbook::default_playbooks(),
    }
    .map_err(|errors| anyhow::anyhow!(join_lines(&errors)))?;
    Ok(Planner::new(policy, playbooks))
}

pub fn join_lines(errors: &[impl ToString]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Counts the incidents' response steps by decision.
#[derive(Default)]
struct DecisionCounts {
    execute: usize,
    approve: usize,
    recommend: usize,
}

fn decision_counts(incidents: &[riposte_model::Incident]) -> DecisionCounts {
    let mut counts = DecisionCounts::default();
    for step in incidents.iter().flat_map(|incident| &incident.response) {
        match step.decision.as_str() {
            "execute" => counts.execute += 1,
            "approve" => counts.approve += 1,
            _ => counts.recommend += 1,
        }
    }
    counts
}

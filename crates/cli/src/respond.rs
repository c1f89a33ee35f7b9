use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use riposte_connector_http::{Environment, ProcessEnvironment};
use riposte_engine::Config;
use riposte_report::Escaped;
use riposte_respond::{ActionOutcome, Responder, ResponseReport};
use riposte_store::{ApprovalStatus, Store};
use serde_json::json;

use crate::OutputFormat;

/// Exit status when any action failed.
const EXIT_FAILED: u8 = 2;

const EXAMPLES: &str = "Examples:
  riposte respond --state riposte.db --config riposte.toml --dry-run
  riposte respond --state riposte.db --config riposte.toml
  riposte respond --state riposte.db --config riposte.toml --format jsonl

Connectors are configured in the [connectors] table of the configuration file; an action of a
system without a connector waits until one is configured. Secrets are read from the
environment variables the connectors name.

Exit status: 0 when no action failed, 2 when any action failed, 1 for a usage or
configuration error.";

/// Carry out the containment recorded in a state file: expire approvals past their timeout,
/// execute the actions the policy allows automatically and those a person approved, verify
/// each one, and revert time-limited actions whose time is up.
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct RespondArgs {
    /// The state file a `riposte hunt --state` recorded the decided actions in.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,

    /// Configuration file (TOML): the connectors, approval timeout and circuit breaker.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Print the API calls each action would make, and change nothing.
    #[arg(long)]
    dry_run: bool,

    #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

pub fn run(args: RespondArgs) -> anyhow::Result<ExitCode> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let report = respond(&args.state, &config, args.dry_run)?;
    print_report(&args.state, &report, args.format)
}

/// Builds the configured connectors with the secrets of `environment` and drops them, so that
/// a missing secret or an invalid URL is reported before any work starts.
pub fn check_connectors(config: &Config, environment: &dyn Environment) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        config
            .connectors
            .build(environment)
            .await
            .context("failed to set up the connectors")
            .map(drop)
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the runtime of the connectors")
}

/// Runs the responder once against the state file, with the configured connectors.
pub fn respond(state: &Path, config: &Config, dry_run: bool) -> anyhow::Result<ResponseReport> {
    runtime()?.block_on(async {
        let connectors = config
            .connectors
            .build(&ProcessEnvironment)
            .await
            .context("failed to set up the connectors")?;
        let mut store = Store::open_existing(state)?;
        store.lock_for_writing()?;
        let mut responder = Responder::new(store, connectors, config.response.clone());
        let report = responder.run(dry_run, chrono::Utc::now()).await?;
        responder.into_store().close()?;
        Ok(report)
    })
}

/// Prints what a response run did, and returns the exit status it calls for.
pub fn print_report(
    state: &Path,
    report: &ResponseReport,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let pending = Store::open_read_only(state)?
        .approvals(Some(ApprovalStatus::Pending))?
        .len();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let groups: [(&str, &[ActionOutcome]); 5] = [
        ("executed", &report.executed),
        ("failed", &report.failed),
        ("would_execute", &report.would_execute),
        ("reverted", &report.reverted),
        ("unconfigured", &report.unconfigured),
    ];
    match format {
        OutputFormat::Jsonl => {
            for (outcome, actions) in groups {
                for action in actions {
                    let mut record = serde_json::to_value(action)?;
                    if let Some(object) = record.as_object_mut() {
                        object.insert("type".to_owned(), json!("action"));
                        object.insert("outcome".to_owned(), json!(outcome));
                    }
                    writeln!(out, "{record}")?;
                }
            }
            writeln!(
                out,
                "{}",
                json!({
                    "type": "response_summary",
                    "executed": report.executed.len(),
                    "failed": report.failed.len(),
                    "would_execute": report.would_execute.len(),
                    "reverted": report.reverted.len(),
                    "unconfigured": report.unconfigured.len(),
                    "expired_approvals": report.expired_approvals,
                    "held_by_breaker": report.held_by_breaker,
                    "breaker_tripped": report.breaker_tripped,
                    "pending_approvals": pending,
                })
            )?;
        }
        OutputFormat::Text => {
            for (outcome, actions) in groups {
                let label = match outcome {
                    "would_execute" => "would execute",
                    "unconfigured" => "waiting",
                    other => other,
                };
                for action in actions {
                    write_outcome(&mut out, label, action)?;
                }
            }
            if report.breaker_tripped {
                writeln!(
                    out,
                    "circuit breaker tripped: {} automatic actions now wait for approval",
                    report.held_by_breaker.len()
                )?;
            }
            for id in &report.expired_approvals {
                writeln!(
                    out,
                    "approval {id} expired before anyone decided; its action was not taken"
                )?;
            }
            writeln!(
                out,
                "\n{} executed, {} failed, {} reverted, {} waiting for a connector, {} awaiting \
                 approval{}",
                report.executed.len(),
                report.failed.len(),
                report.reverted.len(),
                report.unconfigured.len(),
                pending,
                if report.would_execute.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", {} would execute (dry run, nothing changed)",
                        report.would_execute.len()
                    )
                }
            )?;
            if pending > 0 {
                writeln!(
                    out,
                    "see them with: riposte approvals list --state {}",
                    Escaped(&state.display().to_string())
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn write_outcome(out: &mut dyn Write, label: &str, action: &ActionOutcome) -> std::io::Result<()> {
    writeln!(
        out,
        "{label:<13} {} {}  incident {}",
        action.action,
        Escaped(&action.target),
        action.incident_id
    )?;
    if !action.detail.is_empty() {
        writeln!(out, "              {}", Escaped(&action.detail))?;
    }
    for call in &action.calls {
        let status = call
            .status
            .map_or_else(|| "no response".to_owned(), |status| status.to_string());
        let retry = if call.attempt > 1 {
            format!(", attempt {}", call.attempt)
        } else {
            String::new()
        };
        writeln!(
            out,
            "              {} {} -> {status} ({} ms{retry}){}",
            call.call.method,
            Escaped(&call.call.endpoint),
            call.duration_ms,
            call.error
                .as_deref()
                .map(|error| format!(": {}", Escaped(error)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

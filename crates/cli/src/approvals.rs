use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use riposte_engine::Config;
use riposte_report::Escaped;
use riposte_respond::{Responder, ResponseSettings};
use riposte_store::{ApprovalStatus, Store};
use serde_json::json;

use crate::OutputFormat;

const EXAMPLES: &str = "Examples:
  riposte approvals list --state riposte.db
  riposte approvals approve --state riposte.db 3 --by alice@example.com
  riposte approvals deny --state riposte.db 4 --by alice@example.com --reason \"planned maintenance\"";

/// List pending containment approvals and decide them. An approved action is executed by the
/// next `riposte respond`; an approval left undecided past its timeout expires and the action
/// is not taken.
#[derive(Args)]
#[command(after_help = EXAMPLES)]
pub struct ApprovalsArgs {
    #[command(subcommand)]
    command: ApprovalsCommand,
}

#[derive(Subcommand)]
enum ApprovalsCommand {
    /// List approvals: pending ones by default.
    List {
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// List every approval, decided and expired ones too.
        #[arg(long)]
        all: bool,
        #[arg(short, long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Approve an action; the next `riposte respond` executes it.
    Approve {
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// The approval id, from `riposte approvals list`.
        id: i64,
        /// Who approves, recorded in the audit log.
        #[arg(long, value_name = "NAME")]
        by: String,
        /// Configuration file (TOML) whose `[response]` table names the escalation target.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Deny an action; it is never executed.
    Deny {
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        id: i64,
        #[arg(long, value_name = "NAME")]
        by: String,
        /// Why, recorded in the audit log.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Configuration file (TOML) whose `[response]` table names the escalation target.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

pub fn run(args: ApprovalsArgs) -> anyhow::Result<ExitCode> {
    if let ApprovalsCommand::Approve { by, .. } | ApprovalsCommand::Deny { by, .. } = &args.command
    {
        if by.trim().is_empty() {
            anyhow::bail!("empty --by: give the name of the person who decides, for the audit log");
        }
    }
    if let ApprovalsCommand::Deny { reason, .. } = &args.command {
        if reason.trim().is_empty() {
            anyhow::bail!("empty --reason: say why the action is denied, for the audit log");
        }
    }
    match args.command {
        ApprovalsCommand::List { state, all, format } => list(&state, all, format),
        ApprovalsCommand::Approve {
            state,
            id,
            by,
            config,
        } => {
            let mut responder = responder(&state, config.as_deref())?;
            responder.approve(id, &by, chrono::Utc::now())?;
            println!(
                "approval {id} approved by {}: the next `riposte respond` executes it",
                Escaped(&by)
            );
            Ok(ExitCode::SUCCESS)
        }
        ApprovalsCommand::Deny {
            state,
            id,
            by,
            reason,
            config,
        } => {
            let mut responder = responder(&state, config.as_deref())?;
            responder.deny(id, &by, &reason, chrono::Utc::now())?;
            println!("approval {id} denied by {}", Escaped(&by));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Opens the state file for deciding approvals, with the response settings of `config`: an
/// approval decided after its timeout expires, and the audit record names the escalation.
fn responder(state: &Path, config: Option<&Path>) -> anyhow::Result<Responder> {
    let settings = match config {
        Some(path) => Config::load(path)?.response,
        None => ResponseSettings::default(),
    };
    let mut store = Store::open_existing(state)?;
    store.lock_for_writing()?;
    Ok(Responder::new(store, Vec::new(), settings))
}

fn list(state: &PathBuf, all: bool, format: OutputFormat) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(state)?;
    let approvals = store.approvals((!all).then_some(ApprovalStatus::Pending))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if format == OutputFormat::Text && approvals.is_empty() {
        writeln!(out, "No {}approvals.", if all { "" } else { "pending " })?;
    }
    let now = chrono::Utc::now();
    for approval in approvals {
        // An approval past its timeout is expired, even before `respond` records it so.
        let status = if approval.status == ApprovalStatus::Pending && approval.timeout_at <= now {
            ApprovalStatus::Expired.as_str()
        } else {
            approval.status.as_str()
        };
        let action = store.action(&approval.action_key)?;
        let (kind, target, incident, policies) = action.as_ref().map_or_else(
            || {
                (
                    "-".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                    "[]".to_owned(),
                )
            },
            |action| {
                (
                    action.kind.clone(),
                    action.target.clone(),
                    action.incident_id.clone(),
                    action.policies.clone(),
                )
            },
        );
        match format {
            OutputFormat::Jsonl => writeln!(
                out,
                "{}",
                json!({
                    "type": "approval",
                    "id": approval.id,
                    "status": status,
                    "action": approval.action_key,
                    "kind": kind,
                    "target": target,
                    "incident": incident,
                    "policies": serde_json::from_str::<serde_json::Value>(&policies).unwrap_or_default(),
                    "requested_at": approval.requested_at,
                    "timeout_at": approval.timeout_at,
                    "escalation": approval.escalation,
                    "decided_by": approval.decided_by,
                    "reason": approval.reason,
                })
            )?,
            OutputFormat::Text => writeln!(
                out,
                "{:>4}  {:<8}  {:<30}  {}  incident {}  expires {}",
                approval.id,
                status,
                kind,
                Escaped(&target),
                incident,
                approval.timeout_at.format("%Y-%m-%d %H:%M:%SZ")
            )?,
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use riposte_store::{AuditCheck, Store};

/// Check the hash chain of the audit log of containment decisions, approvals and API calls.
#[derive(Args)]
#[command(after_help = "Example:
  riposte audit verify --state riposte.db

Exit status: 0 when the chain is intact, 1 when a record was edited or removed. Removing the
newest records cannot be seen from the chain alone: keep the printed count and last hash
elsewhere (a ticket, a log store) and compare them later.")]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every record's hash and report the first one that does not match.
    Verify {
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Verify { state } => {
            let store = Store::open_read_only(&state)?;
            match store.verify_audit()? {
                AuditCheck::Intact { records } => {
                    let last_hash = store.audit_last_hash()?;
                    println!(
                        "audit log intact: {records} records{}",
                        last_hash
                            .map(|hash| format!(", last hash {hash}"))
                            .unwrap_or_default()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                AuditCheck::Broken { seq, reason } => {
                    eprintln!("riposte: audit log broken at record {seq}: {reason}");
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

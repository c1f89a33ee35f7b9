//! The riposte command line. Each subcommand lives in its own module and only wires the
//! library crates together.

mod allocator;
mod approvals;
mod audit;
mod hunt;
mod identities;
mod respond;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status for a usage or configuration error.
const EXIT_USAGE: u8 = 1;

#[derive(Parser)]
#[command(
    name = "riposte",
    version,
    about = "Identity threat detection and response over real logs",
    long_about = "riposte reads identity provider and cloud control plane logs (AWS CloudTrail, \
                  Okta System Log, Microsoft Entra ID), detects identity abuse, groups findings \
                  into incidents and plans the containment for each."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Hunt(hunt::HuntArgs),
    Identities(identities::IdentitiesArgs),
    Respond(respond::RespondArgs),
    Approvals(approvals::ApprovalsArgs),
    Audit(audit::AuditArgs),
    Validate(validate::ValidateArgs),
}

/// Output format of the listing commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Text,
    Jsonl,
}

fn main() -> ExitCode {
    allocator::configure();
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let status = if error.use_stderr() { EXIT_USAGE } else { 0 };
            // Printing help or an error to a closed pipe is not worth a panic.
            let _ = error.print();
            return ExitCode::from(status);
        }
    };
    let result = match cli.command {
        Command::Hunt(args) => hunt::run(args),
        Command::Identities(args) => identities::run(args),
        Command::Respond(args) => respond::run(args),
        Command::Approvals(args) => approvals::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Validate(args) => validate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            for line in error_message(&error).lines() {
                eprintln!("riposte: {}", riposte_report::Escaped(line));
            }
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Crates whose debug and trace logs can hold credentials.
const QUIET_TARGETS: &[&str] = &[
    "aws_config",
    "aws_credential_types",
    "aws_runtime",
    "aws_sigv4",
    "aws_smithy_http_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "h2",
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
];

/// Logs go to standard error, filtered by `RIPOSTE_LOG` (for example `RIPOSTE_LOG=debug`);
/// the default shows warnings and errors.
fn init_tracing() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("RIPOSTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // The AWS SDK and the HTTP stack log requests with their headers at debug and trace
    // levels, the session token and signatures included. These targets stay at info whatever
    // level RIPOSTE_LOG sets.
    for target in QUIET_TARGETS {
        if let Ok(directive) = format!("{target}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

/// Joins the error and its causes with `: `, leaving out a cause whose text the message already
/// contains (most of riposte's errors quote their cause).
fn error_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

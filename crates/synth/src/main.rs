//! `riposte-synth`: writes the example scenario or a benchmark data set.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use riposte_synth::{WriteSummary, bench, scenario};

const EXAMPLES: &str = "Examples:
  riposte-synth examples examples/
  riposte-synth bench --out /tmp/riposte-bench
  riposte-synth bench --records 100000 --identities 5000 --seed 7 --out /tmp/small";

/// Generate realistic AWS CloudTrail, Okta System Log and Entra ID records.
#[derive(Parser)]
#[command(name = "riposte-synth", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the example scenario (three days, five people, one session hijack) under DIR:
    /// okta/, entra/ and cloudtrail/. The same seed writes the same files.
    Examples {
        /// Folder to write into; created if missing. Files of the same name are replaced.
        #[arg(value_name = "DIR")]
        out: PathBuf,
        /// Seed of the random generator.
        #[arg(long, default_value_t = scenario::EXAMPLE_SEED)]
        seed: u64,
    },
    /// Write a large mixed data set for throughput benchmarks under DIR: half CloudTrail
    /// gzip files, three tenths Okta JSON Lines, one fifth Entra `{"records": [...]}` batches.
    Bench {
        /// Number of records to write, all formats together.
        #[arg(long, default_value_t = bench::DEFAULT_RECORDS)]
        records: u64,
        /// Folder to write into; created if missing.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Seed of the random generator.
        #[arg(long, default_value_t = bench::DEFAULT_SEED)]
        seed: u64,
        /// Number of people and workloads.
        #[arg(long, default_value_t = bench::DEFAULT_IDENTITIES)]
        identities: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("riposte-synth: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    let started = Instant::now();
    let summary = match command {
        Command::Examples { out, seed } => {
            let (_, summary) = scenario::write_examples(&out, seed).with_context(|| {
                format!("cannot write the example scenario to `{}`", out.display())
            })?;
            summary
        }
        Command::Bench {
            records,
            out,
            seed,
            identities,
        } => {
            let options = bench::BenchOptions {
                records,
                seed,
                identities,
            };
            bench::write(&out, &options).with_context(|| {
                format!("cannot write the benchmark data set to `{}`", out.display())
            })?
        }
    };
    report(&summary, started.elapsed().as_secs_f64());
    Ok(())
}

fn report(summary: &WriteSummary, seconds: f64) {
    let rate = if seconds > 0.0 {
        summary.records() as f64 / seconds
    } else {
        0.0
    };
    eprintln!(
        "wrote {} records ({} CloudTrail, {} Okta, {} Entra) in {} files, {} bytes, in {seconds:.2} s ({rate:.0} records/s)",
        summary.records(),
        summary.cloudtrail,
        summary.okta,
        summary.entra,
        summary.files,
        summary.bytes,
    );
}

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use riposte_engine::Config;

/// Check a configuration file with the same loader `hunt` uses.
#[derive(Args)]
#[command(after_help = "Example:\n  riposte validate --config riposte.toml")]
pub struct ValidateArgs {
    /// Configuration file (TOML) to check.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.config).context("configuration check failed")?;
    println!(
        "{}: valid ({} corporate egress ranges, {} VPN ranges)",
        args.config.display(),
        config.networks.corporate_egress.len(),
        config.networks.vpn.len()
    );
    Ok(ExitCode::SUCCESS)
}

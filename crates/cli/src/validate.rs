use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use riposte_engine::Config;
use riposte_identity::Inventory;
use riposte_report::Escaped;

/// Check a configuration file or an inventory with the same loaders `hunt` uses.
#[derive(Args)]
#[command(after_help = "Examples:
  riposte validate --config riposte.toml
  riposte validate --inventory examples/inventory.yaml

Exit status: 0 when every file given is valid, 1 otherwise; each problem is printed with its
file, line and column.")]
pub struct ValidateArgs {
    /// Configuration file (TOML) to check.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Inventory of people, non-human identities and networks (YAML) to check.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    if args.config.is_none() && args.inventory.is_none() {
        bail!("nothing to validate: give --config FILE, --inventory FILE or both");
    }
    let mut valid = true;
    if let Some(path) = &args.config {
        match Config::load(path) {
            Ok(config) => println!(
                "{}: valid ({} corporate egress ranges, {} VPN ranges)",
                path.display(),
                config.networks.corporate_egress.len(),
                config.networks.vpn.len()
            ),
            Err(error) => {
                valid = false;
                eprintln!("riposte: {}", Escaped(&error.to_string()));
            }
        }
    }
    if let Some(path) = &args.inventory {
        match Inventory::load(path) {
            Ok(inventory) => println!(
                "{}: valid ({} people, {} non-human identities, {} break-glass accounts)",
                path.display(),
                inventory.people.len(),
                inventory.non_human_identities.len(),
                inventory.break_glass.len()
            ),
            Err(errors) => {
                valid = false;
                for line in errors.to_string().lines() {
                    eprintln!("riposte: {}", Escaped(line));
                }
            }
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use riposte_engine::Config;
use riposte_identity::Inventory;
use riposte_policy::{PolicyEngine, PolicySchema};
use riposte_report::Escaped;

/// Check a configuration file, an inventory, a response policy or a playbook directory with
/// the same loaders `hunt` and `respond` use.
#[derive(Args)]
#[command(after_help = "Examples:
  riposte validate --config riposte.toml
  riposte validate --inventory examples/inventory.yaml
  riposte validate --policy policies/default.cedar --playbooks playbooks/

Exit status: 0 when every file given is valid, 1 otherwise; each problem is printed with its
file, line and column.")]
pub struct ValidateArgs {
    /// Configuration file (TOML) to check.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Inventory of people, non-human identities and networks (YAML) to check.
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,

    /// Response policy (Cedar) to check against the built-in schema.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,

    /// Directory of playbooks (YAML) to check: every `.yaml` and `.yml` file in it.
    #[arg(long, value_name = "DIR")]
    playbooks: Option<PathBuf>,
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    if args.config.is_none()
        && args.inventory.is_none()
        && args.policy.is_none()
        && args.playbooks.is_none()
    {
        bail!(
            "nothing to validate: give one or more of --config FILE, --inventory FILE, \
             --policy FILE, --playbooks DIR"
        );
    }
    let mut valid = true;
    if let Some(path) = &args.config {
        match Config::load(path)
            .map_err(anyhow::Error::from)
            .and_then(|config| {
                check_connectors(&config)?;
                Ok(config)
            }) {
            Ok(config) => println!(
                "{}: valid ({} corporate egress ranges, {} VPN ranges, connectors: {})",
                path.display(),
                config.networks.corporate_egress.len(),
                config.networks.vpn.len(),
                connector_names(&config)
            ),
            Err(error) => {
                valid = false;
                eprintln!("riposte: {}", Escaped(&format!("{error:#}")));
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
    if let Some(path) = &args.policy {
        let checked =
            PolicySchema::builtin().and_then(|schema| PolicyEngine::from_file(path, schema));
        match checked {
            Ok(engine) => {
                let count = engine.policy_ids().count();
                println!(
                    "{}: valid against the policy schema ({count} policies)",
                    path.display()
                );
                if count == 0 {
                    eprintln!(
                        "riposte: warning: {} holds no policy, so every action would only be \
                         recommended",
                        path.display()
                    );
                }
            }
            Err(errors) => {
                valid = false;
                print_errors(&errors);
            }
        }
    }
    if let Some(dir) = &args.playbooks {
        match riposte_playbook::validate_dir(dir) {
            Ok(playbooks) => println!(
                "{}: valid ({} playbooks: {})",
                dir.display(),
                playbooks.len(),
                playbooks
                    .iter()
                    .map(|playbook| playbook.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Err(errors) => {
                valid = false;
                print_errors(&errors);
            }
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_errors(errors: &[impl ToString]) {
    for error in errors {
        for line in error.to_string().lines() {
            eprintln!("riposte: {}", Escaped(line));
        }
    }
}

/// Builds the configured connectors as `respond` would, with a placeholder for every secret
/// read from the environment, so that URLs, timeouts and secret settings are checked on a
/// machine that does not hold the secrets.
fn check_connectors(config: &Config) -> anyhow::Result<()> {
    let url_variable = config
        .connectors
        .webhook
        .as_ref()
        .map(|webhook| webhook.url_env.as_deref().unwrap_or("RIPOSTE_WEBHOOK_URL"));
    let placeholder = |name: &str| {
        Some(if Some(name) == url_variable {
            "https://webhook.example.com/riposte".to_owned()
        } else {
            "placeholder-secret".to_owned()
        })
    };
    crate::respond::check_connectors(config, &placeholder)
}

fn connector_names(config: &Config) -> String {
    let connectors = &config.connectors;
    let names: Vec<&str> = [
        ("aws", connectors.aws.is_some()),
        ("okta", connectors.okta.is_some()),
        ("entra", connectors.entra.is_some()),
        ("falcon", connectors.falcon.is_some()),
        ("webhook", connectors.webhook.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, configured)| configured.then_some(name))
    .collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

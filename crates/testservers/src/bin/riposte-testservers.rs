//! Runs the Okta, Microsoft Graph, CrowdStrike Falcon and webhook test servers on loopback for
//! a response drill, prints the `[connectors]` table and the test credentials that point
//! riposte at them, and logs every request to standard error until Ctrl-C.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use riposte_identity::{Inventory, NhiKind};
use riposte_testservers::{
    FalconDevice, FalconServer, GraphApp, GraphServer, GraphUser, OktaServer, OktaUser,
    RecordedRequest, Server, WebhookServer,
};

/// The inventory of the shipped example scenario, seeded when no `--inventory` is given.
const EXAMPLE_INVENTORY: &str = include_str!("../../../../examples/inventory.yaml");

// Test credentials: only these servers accept them.
const OKTA_TOKEN: &str = "drill-okta-api-token";
const GRAPH_TENANT: &str = "0d7e1c52-5a0b-4f3e-9c61-7b2d8e4f1a90";
const GRAPH_CLIENT: &str = "6b9f3a20-1c4d-4e8f-a2b5-3d7c9e0f1b64";
const GRAPH_SECRET: &str = "drill-graph-client-secret";
const FALCON_CLIENT: &str = "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6";
const FALCON_SECRET: &str = "drill-falcon-client-secret";
const WEBHOOK_SECRET: &str = "drill-webhook-signing-secret";
const WEBHOOK_PATH: &str = "/riposte";

const EXAMPLES: &str = "Examples:
  riposte-testservers
  riposte-testservers --okta-port 8001 --graph-port 8002 --falcon-port 8003 --webhook-port 8004
  riposte-testservers --inventory inventory.yaml --falcon-device 4f1c2d3e=laptop-alice

Then, in another shell, with the printed [connectors] table in drill.toml and the printed
variables exported:
  riposte hunt --state drill.db --inventory examples/inventory.yaml --config drill.toml \\
      --respond examples/";

/// Run the Okta, Microsoft Graph, CrowdStrike Falcon and webhook test servers on loopback for
/// a response drill. Prints the [connectors] table and the environment variables for riposte,
/// then logs each request to standard error until Ctrl-C. Server state lives in memory only.
#[derive(Parser)]
#[command(name = "riposte-testservers", version, after_help = EXAMPLES)]
struct Args {
    /// Address to listen on; only loopback addresses are accepted.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    bind: IpAddr,

    /// Port of the Okta server; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    okta_port: u16,

    /// Port of the Microsoft Graph server, which also issues its tokens; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    graph_port: u16,

    /// Port of the CrowdStrike Falcon server; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    falcon_port: u16,

    /// Port of the webhook receiver; 0 picks a free port.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    webhook_port: u16,

    /// Inventory (YAML) whose people become Okta and Entra users, and whose Entra service
    /// principals become Graph service principals. Default: the inventory of the shipped
    /// examples (examples/inventory.yaml).
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,

    /// Adds an active Okta user with an open session.
    #[arg(long = "okta-user", value_name = "ID[=LOGIN]")]
    okta_users: Vec<String>,

    /// Adds an enabled Entra user.
    #[arg(long = "entra-user", value_name = "OBJECT_ID[=UPN]")]
    entra_users: Vec<String>,

    /// Adds an uncontained Falcon host.
    #[arg(long = "falcon-device", value_name = "DEVICE_ID[=HOSTNAME]")]
    falcon_devices: Vec<String>,
}

struct Servers {
    okta: OktaServer,
    graph: GraphServer,
    falcon: FalconServer,
    webhook: WebhookServer,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("riposte-testservers: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    if !args.bind.is_loopback() {
        return Err(format!(
            "invalid --bind {}: the test servers listen only on loopback addresses such as \
             127.0.0.1",
            args.bind
        ));
    }
    let inventory = load_inventory(args.inventory.as_deref())?;
    let flags = Flags {
        okta_users: pairs("--okta-user", &args.okta_users)?,
        entra_users: pairs("--entra-user", &args.entra_users)?,
        falcon_devices: pairs("--falcon-device", &args.falcon_devices)?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("failed to start the runtime: {error}"))?;
    runtime.block_on(async {
        let servers = start(&args).await?;
        let seeded = seed(&servers, &inventory, &flags);
        print!("{}", connectors(&servers));
        eprintln!(
            "riposte-testservers: {seeded}; logging each request until Ctrl-C (the state is \
             kept in memory only)"
        );
        log_requests(&servers.okta, "okta");
        log_requests(&servers.graph, "graph");
        log_requests(&servers.falcon, "falcon");
        log_requests(&servers.webhook, "webhook");
        tokio::signal::ctrl_c()
            .await
            .map_err(|error| format!("failed to wait for Ctrl-C: {error}"))?;
        let handled = servers.okta.requests().len()
            + servers.graph.requests().len()
            + servers.falcon.requests().len()
            + servers.webhook.requests().len();
        eprintln!("riposte-testservers: stopped after {handled} requests");
        Ok(())
    })
}

fn load_inventory(path: Option<&Path>) -> Result<Inventory, String> {
    let loaded = match path {
        Some(path) => Inventory::load(path),
        None => Inventory::parse(EXAMPLE_INVENTORY, Path::new("examples/inventory.yaml")),
    };
    loaded.map_err(|errors| format!("invalid inventory:\n{errors}"))
}

async fn start(args: &Args) -> Result<Servers, String> {
    let address = |port: u16| SocketAddr::new(args.bind, port);
    let failed = |name: &'static str, port: u16| {
        move |error: std::io::Error| {
            format!(
                "failed to start the {name} server on {}: {error}",
                SocketAddr::new(args.bind, port)
            )
        }
    };
    Ok(Servers {
        okta: OktaServer::start_on(address(args.okta_port), OKTA_TOKEN)
            .await
            .map_err(failed("Okta", args.okta_port))?,
        graph: GraphServer::start_on(
            address(args.graph_port),
            GRAPH_TENANT,
            GRAPH_CLIENT,
            GRAPH_SECRET,
        )
        .await
        .map_err(failed("Microsoft Graph", args.graph_port))?,
        falcon: FalconServer::start_on(address(args.falcon_port), FALCON_CLIENT, FALCON_SECRET)
            .await
            .map_err(failed("Falcon", args.falcon_port))?,
        webhook: WebhookServer::start_on(address(args.webhook_port), WEBHOOK_PATH, WEBHOOK_SECRET)
            .await
            .map_err(failed("webhook", args.webhook_port))?,
    })
}

/// The identities given by flags, each as its id and name.
struct Flags<'a> {
    okta_users: Vec<(&'a str, &'a str)>,
    entra_users: Vec<(&'a str, &'a str)>,
    falcon_devices: Vec<(&'a str, &'a str)>,
}

/// Splits each `ID=NAME` value of `flag` into its two parts; the name is the id when it is
/// left out.
fn pairs<'a>(flag: &str, values: &'a [String]) -> Result<Vec<(&'a str, &'a str)>, String> {
    values
        .iter()
        .map(|value| {
            let (id, name) = value.split_once('=').unwrap_or((value, value));
            if id.is_empty() || name.is_empty() {
                return Err(format!("invalid {flag} `{value}`: expected ID or ID=NAME"));
            }
            Ok((id, name))
        })
        .collect()
}

/// Adds the inventory's identities and those of the flags to the servers. Returns what was
/// added, for the log.
fn seed(servers: &Servers, inventory: &Inventory, flags: &Flags<'_>) -> String {
    let mut okta = 0;
    let mut entra = 0;
    let mut service_principals = 0;
    for person in &inventory.people {
        let accounts = &person.accounts;
        if let Some(id) = accounts
            .okta
            .as_ref()
            .and_then(|okta| okta.user_id.as_deref())
        {
            let login = accounts
                .okta
                .as_ref()
                .and_then(|okta| okta.login.as_deref())
                .unwrap_or(&person.email);
            servers
                .okta
                .add_user(OktaUser::active(id, login).with_sessions(1, 1));
            okta += 1;
        }
        if let Some(id) = accounts
            .entra
            .as_ref()
            .and_then(|entra| entra.object_id.as_deref())
        {
            let upn = accounts
                .entra
                .as_ref()
                .and_then(|entra| entra.upn.as_deref())
                .unwrap_or(&person.email);
            servers.graph.add_user(GraphUser::enabled(id, upn));
            entra += 1;
        }
    }
    for identity in &inventory.non_human_identities {
        if identity.kind == NhiKind::ServicePrincipal && identity.key.provider.as_str() == "entra" {
            let id = &identity.key.id;
            let name = identity.name.as_deref().unwrap_or(id);
            servers.graph.add_service_principal(
                GraphApp::new(id, id, name).with_password(&format!("{id}-secret"), "drill"),
            );
            service_principals += 1;
        }
    }
    for (id, login) in &flags.okta_users {
        servers
            .okta
            .add_user(OktaUser::active(id, login).with_sessions(1, 1));
        okta += 1;
    }
    for (id, upn) in &flags.entra_users {
        servers.graph.add_user(GraphUser::enabled(id, upn));
        entra += 1;
    }
    for (id, hostname) in &flags.falcon_devices {
        servers
            .falcon
            .add_device(FalconDevice::normal(id, hostname));
    }
    let devices = flags.falcon_devices.len();
    format!(
        "seeded {okta} Okta users, {entra} Entra users, {service_principals} Entra service \
         principals and {devices} Falcon devices"
    )
}

/// Returns the `[connectors]` table for the servers and the export lines of their test
/// credentials.
fn connectors(servers: &Servers) -> String {
    format!(
        "# Connectors for the drill servers: put this table in the file given to riposte with \
         --config.
[connectors.okta]
org_url = \"{okta}\"
token_env = \"RIPOSTE_DRILL_OKTA_TOKEN\"

[connectors.entra]
tenant_id = \"{GRAPH_TENANT}\"
client_id = \"{GRAPH_CLIENT}\"
client_secret_env = \"RIPOSTE_DRILL_GRAPH_SECRET\"
authority = \"{graph}\"
graph_url = \"{graph}\"

[connectors.falcon]
base_url = \"{falcon}\"
client_id = \"{FALCON_CLIENT}\"
client_secret_env = \"RIPOSTE_DRILL_FALCON_SECRET\"

[connectors.webhook]
url_env = \"RIPOSTE_DRILL_WEBHOOK_URL\"
secret_env = \"RIPOSTE_DRILL_WEBHOOK_SECRET\"

# AWS actions need a local moto server (pip install 'moto[server]'; moto_server -p 5000) and:
# [connectors.aws]
# region = \"us-east-1\"
# endpoint_url = \"http://127.0.0.1:5000\"

# Test credentials that only these servers accept: export them in the shell that runs riposte.
export RIPOSTE_DRILL_OKTA_TOKEN='{OKTA_TOKEN}'
export RIPOSTE_DRILL_GRAPH_SECRET='{GRAPH_SECRET}'
export RIPOSTE_DRILL_FALCON_SECRET='{FALCON_SECRET}'
export RIPOSTE_DRILL_WEBHOOK_URL='{webhook}'
export RIPOSTE_DRILL_WEBHOOK_SECRET='{WEBHOOK_SECRET}'
",
        okta = servers.okta.base_url(),
        graph = servers.graph.base_url(),
        falcon = servers.falcon.base_url(),
        webhook = servers.webhook.url(),
    )
}

/// Logs each request `server` handles to standard error, without its headers or body, which
/// carry the test credentials.
fn log_requests(server: &Server, name: &'static str) {
    server.on_request(move |request: &RecordedRequest| {
        eprintln!(
            "{} {name:<7} {} {} -> {}",
            chrono::Utc::now().format("%H:%M:%S%.3f"),
            request.method,
            request.path_and_query(),
            request.status
        );
    });
}

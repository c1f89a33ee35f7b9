//! Time from the end of a hunt, when the findings and incidents exist, to the completed
//! containment call against the local Okta test server, over the shipped examples.
//!
//! Each iteration starts from a copy of the state file that a hunt of `examples/` left. It then
//! times the steps `riposte hunt --respond` takes after reading. The planner decides the
//! incident's response with the built-in playbooks and policy, and the decided actions are
//! recorded in the state file. The responder is opened (runtime, connectors, state file), and
//! it executes and verifies the automatic actions. The example incident has two: a webhook
//! notification, which the responder sends first, and the Okta session clear, whose handling
//! by the server ends the "to the Okta call" figure. A second part times whole runs: the hunt
//! of the examples with a planner and a new state file, then the response.
//!
//! Run with `cargo bench -p riposte --bench response_latency`; a number after `--` sets the
//! iterations of the first part (default 300).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use riposte_connector_http::{HttpSettings, OktaSettings, WebhookSettings};
use riposte_engine::{Config, HuntOptions, HuntReport};
use riposte_identity::Inventory;
use riposte_model::Incident;
use riposte_policy::PolicyEngine;
use riposte_respond::{ConnectorSettings, Planner, Responder, ResponseReport, ResponseSettings};
use riposte_store::Store;
use riposte_testservers::{OktaServer, OktaUser, WebhookServer};

const ITERATIONS: usize = 300;
/// Whole runs re-read 594 records each, so fewer of them are timed.
const FULL_RUNS: usize = 30;

const USER: &str = "00uX7UKJJKP1SWh7yHw2";
const OKTA_TOKEN: &str = "bench-okta-api-token";
const WEBHOOK_SECRET: &str = "bench-webhook-signing-secret";
const WEBHOOK_PATH: &str = "/riposte";

/// The Okta and webhook servers on a runtime of their own, as remote providers would be.
struct Providers {
    okta: OktaServer,
    webhook: WebhookServer,
    /// When the Okta server last handled a `DELETE` of the user's sessions.
    okta_call_done: Arc<Mutex<Option<Instant>>>,
    // Declared last so that it is dropped after the servers whose tasks run on it.
    _runtime: tokio::runtime::Runtime,
}

impl Providers {
    fn start() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (okta, webhook) = runtime.block_on(async {
            let okta = OktaServer::start(OKTA_TOKEN).await?;
            okta.add_user(OktaUser::active(USER, "alice@example.com").with_sessions(1, 1));
            let webhook = WebhookServer::start(WEBHOOK_PATH, WEBHOOK_SECRET).await?;
            anyhow::Ok((okta, webhook))
        })?;
        let okta_call_done = Arc::new(Mutex::new(None));
        let done = okta_call_done.clone();
        okta.on_request(move |request| {
            if request.method == "DELETE" && request.status == 204 {
                *done.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
            }
        });
        Ok(Self {
            okta,
            webhook,
            okta_call_done,
            _runtime: runtime,
        })
    }

    /// Returns the connector settings `[connectors]` would give for the two servers.
    fn connectors(&self) -> ConnectorSettings {
        ConnectorSettings {
            okta: Some(OktaSettings {
                org_url: self.okta.base_url(),
                token_env: None,
                token: None,
                http: HttpSettings::default(),
            }),
            webhook: Some(WebhookSettings {
                url_env: None,
                url: None,
                secret_env: None,
                secret: None,
                http: HttpSettings::default(),
            }),
            ..ConnectorSettings::default()
        }
    }

    /// Returns the secrets under the connectors' default variable names.
    fn environment(&self) -> impl Fn(&str) -> Option<String> + use<> {
        let url = self.webhook.url();
        move |name: &str| match name {
            "OKTA_API_TOKEN" => Some(OKTA_TOKEN.to_owned()),
            "RIPOSTE_WEBHOOK_URL" => Some(url.clone()),
            "RIPOSTE_WEBHOOK_SECRET" => Some(WEBHOOK_SECRET.to_owned()),
            _ => None,
        }
    }

    /// Takes the time the Okta server handled the session clear, checking it did.
    fn take_okta_call_time(&self) -> anyhow::Result<Instant> {
        self.okta_call_done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .context("the Okta server handled no session clear")
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Copies a state file with its write-ahead log, when one was left.
fn copy_state(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)?;
    let with_suffix = |path: &Path| {
        let mut name = path.as_os_str().to_owned();
        name.push("-wal");
        PathBuf::from(name)
    };
    if with_suffix(from).exists() {
        std::fs::copy(with_suffix(from), with_suffix(to))?;
    }
    Ok(())
}

fn planner() -> anyhow::Result<Planner> {
    let policy = PolicyEngine::default_policy()
        .map_err(|errors| anyhow::anyhow!("invalid built-in policy: {errors:?}"))?;
    let playbooks = riposte_playbook::default_playbooks()
        .map_err(|errors| anyhow::anyhow!("invalid built-in playbooks: {errors:?}"))?;
    Ok(Planner::new(policy, playbooks))
}

fn hunt(state: &Path, planner: Option<Arc<Planner>>) -> anyhow::Result<HuntReport> {
    let examples = examples();
    let options = HuntOptions {
        paths: vec![examples.clone()],
        format: None,
        rejects: None,
        geoip: None,
        asn: None,
        state: Some(state.to_path_buf()),
        inventory: Some(examples.join("inventory.yaml")),
        config: Config::default(),
        planner,
    };
    let report = riposte_engine::hunt(&options, &mut |_| {})?;
    ensure!(
        report.summary.is_clean() && report.state_error.is_none(),
        "the hunt of the examples was incomplete"
    );
    Ok(report)
}

/// When the steps of opening the responder ended.
#[derive(Default)]
struct Opening {
    connectors_built: Option<Instant>,
    opened: Option<Instant>,
}

/// Opens the responder as `riposte respond` does and runs it once.
fn respond(
    state: &Path,
    providers: &Providers,
    opening: &mut Opening,
) -> anyhow::Result<ResponseReport> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let connectors = providers
            .connectors()
            .build(&providers.environment())
            .await?;
        opening.connectors_built = Some(Instant::now());
        let mut store = Store::open_existing(state)?;
        store.lock_for_writing()?;
        let mut responder = Responder::new(store, connectors, ResponseSettings::default());
        opening.opened = Some(Instant::now());
        let report = responder.run(false, chrono::Utc::now()).await?;
        responder.into_store().close()?;
        Ok(report)
    })
}

/// Checks that a run executed the notification and the Okta session clear, and nothing failed.
fn check(report: &ResponseReport) -> anyhow::Result<()> {
    let mut executed: Vec<&str> = report
        .executed
        .iter()
        .map(|outcome| outcome.action)
        .collect();
    executed.sort_unstable();
    if executed != ["notify", "okta_clear_sessions"] || !report.failed.is_empty() {
        bail!("unexpected response: {report:?}");
    }
    Ok(())
}

/// Durations of one step over all iterations.
struct Series {
    label: &'static str,
    samples: Vec<Duration>,
}

impl Series {
    fn new(label: &'static str) -> Self {
        Self {
            label,
            samples: Vec::new(),
        }
    }

    fn print(&mut self) {
        self.samples.sort_unstable();
        let count = self.samples.len();
        // The nearest-rank percentile: the smallest sample at or above that share of them.
        let percentile = |share: f64| {
            let rank = (share * count as f64).ceil() as usize;
            self.samples
                .get(rank.saturating_sub(1))
                .map_or(f64::NAN, |sample| sample.as_secs_f64() * 1000.0)
        };
        println!(
            "  {:<40} {:>9.2} {:>9.2} {:>9.2}",
            self.label,
            percentile(0.5),
            percentile(0.95),
            percentile(1.0)
        );
    }
}

fn header(title: &str) {
    println!("\n{title}");
    println!(
        "  {:<40} {:>9} {:>9} {:>9}",
        "step (milliseconds)", "median", "p95", "max"
    );
}

fn main() -> anyhow::Result<()> {
    let iterations = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse::<usize>().ok())
        .unwrap_or(ITERATIONS);
    let providers = Providers::start()?;
    let folder = tempfile::tempdir()?;
    let planner = Arc::new(planner()?);
    let inventory = Inventory::load(&examples().join("inventory.yaml"))?;

    // The state file a hunt without planning leaves: identities and findings, no action.
    let template = folder.path().join("template.db");
    let incidents: Vec<Incident> = hunt(&template, None)?.incidents;
    ensure!(incidents.len() == 1, "expected the example incident");

    let mut plan = Series::new("plan the response");
    let mut record = Series::new("record it in the state file");
    let mut build = Series::new("open: runtime and connectors");
    let mut open = Series::new("open: state file");
    let mut to_call = Series::new("end of hunt to the Okta call handled");
    let mut to_verified = Series::new("end of hunt to verified and recorded");
    for iteration in 0..iterations {
        let state = folder.path().join(format!("state-{iteration}.db"));
        copy_state(&template, &state)?;

        let start = Instant::now();
        let steps: Vec<_> = incidents
            .iter()
            .flat_map(|incident| planner.plan(incident, Some(&inventory)).steps)
            .map(|planned| planned.step)
            .collect();
        let planned = Instant::now();

        let mut store = Store::open_existing(&state)?;
        store.lock_for_writing()?;
        let mut recorder = Responder::new(store, Vec::new(), ResponseSettings::default());
        let recorded_count = recorder.record_plans(&steps, chrono::Utc::now())?;
        recorder.into_store().close()?;
        let recorded = Instant::now();

        let mut opening = Opening::default();
        let report = respond(&state, &providers, &mut opening)?;
        let finished = Instant::now();
        ensure!(recorded_count == 4, "expected 4 recorded actions");
        check(&report)?;
        let called = providers.take_okta_call_time()?;
        let (Some(built), Some(opened)) = (opening.connectors_built, opening.opened) else {
            bail!("the responder was not opened");
        };

        plan.samples.push(planned - start);
        record.samples.push(recorded - planned);
        build.samples.push(built - recorded);
        open.samples.push(opened - built);
        to_call.samples.push(called - start);
        to_verified.samples.push(finished - start);
        std::fs::remove_file(&state)?;
    }
    let okta_calls = providers.okta.requests_to("/api/v1/users/").len();
    ensure!(
        okta_calls == iterations,
        "expected one Okta call per iteration, got {okta_calls}"
    );
    header(&format!(
        "From the end of a hunt of examples/ to containment, {iterations} iterations"
    ));
    for series in [
        &mut plan,
        &mut record,
        &mut build,
        &mut open,
        &mut to_call,
        &mut to_verified,
    ] {
        series.print();
    }

    let mut hunted = Series::new("hunt: read, detect, plan, record");
    let mut responded = Series::new("open the responder, execute, verify");
    let mut whole = Series::new("start of hunt to the Okta call handled");
    for run in 0..FULL_RUNS {
        let state = folder.path().join(format!("full-{run}.db"));
        let start = Instant::now();
        let report = hunt(&state, Some(planner.clone()))?;
        let hunt_done = Instant::now();
        match report.recorded_actions {
            Some(Ok(4)) => {}
            other => bail!("expected 4 recorded actions, got {other:?}"),
        }
        let response = respond(&state, &providers, &mut Opening::default())?;
        let finished = Instant::now();
        check(&response)?;
        let called = providers.take_okta_call_time()?;
        hunted.samples.push(hunt_done - start);
        responded.samples.push(finished - hunt_done);
        whole.samples.push(called - start);
    }
    header(&format!(
        "Whole runs: hunt of examples/ with a planner and a new state file, then the response, \
         {FULL_RUNS} runs"
    ));
    for series in [&mut hunted, &mut responded, &mut whole] {
        series.print();
    }
    Ok(())
}

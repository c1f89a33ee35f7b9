//! The response commands run as an operator runs them. `riposte hunt --state` records the
//! example incident's decided actions, and `riposte respond` carries them out against the Okta
//! and webhook test servers (and moto's AWS server) on loopback. `riposte approvals` decides
//! the actions that wait for a person, and `riposte audit verify` checks the audit log.
//!
//! Secrets reach the child process through its own environment only, and no command may print
//! them. The AWS test needs `moto_server` (`pip install 'moto[server]'`) and fails without it.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on a broken setup or an unexpected result"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use hmac::{Hmac, Mac};
use riposte_connector_aws::testing::MotoServer;
use riposte_store::{ActionStatus, Store};
use riposte_testservers::{OktaServer, OktaUser, RecordedRequest, WebhookServer};
use serde_json::Value;
use sha2::Sha256;

/// The Okta user of the example incident (Alice Martins).
const USER: &str = "00uX7UKJJKP1SWh7yHw2";
const INCIDENT: &str = "INC-2383f71d83b4";
const SESSIONS_CALL: &str = "/api/v1/users/00uX7UKJJKP1SWh7yHw2/sessions?oauthTokens=true";

const OKTA_TOKEN: &str = "00e2eTokenQv7Rk2Lm9Xw4Tz8Bn3Hc6Jd1Fs5Gp0Ya";
const WEBHOOK_SECRET: &str = "e2e-webhook-signing-secret-3f9a71c4";
const WEBHOOK_PATH: &str = "/hooks/riposte";
/// The environment variables the configuration names. Only the child process has them.
const TOKEN_VAR: &str = "RIPOSTE_E2E_OKTA_TOKEN";
const URL_VAR: &str = "RIPOSTE_E2E_WEBHOOK_URL";
const SECRET_VAR: &str = "RIPOSTE_E2E_WEBHOOK_SECRET";

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The Okta and webhook test servers, on a runtime of their own that keeps serving while the
/// test waits for a child process.
struct Providers {
    okta: OktaServer,
    webhook: WebhookServer,
    // Declared last so that it is dropped after the servers whose tasks run on it.
    runtime: tokio::runtime::Runtime,
}

impl Providers {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (okta, webhook) = runtime.block_on(async {
            let okta = OktaServer::start(OKTA_TOKEN).await.unwrap();
            okta.add_user(OktaUser::active(USER, "alice@example.com").with_sessions(2, 3));
            let webhook = WebhookServer::start(WEBHOOK_PATH, WEBHOOK_SECRET)
                .await
                .unwrap();
            (okta, webhook)
        });
        Self {
            okta,
            webhook,
            runtime,
        }
    }

    /// Returns the `[connectors]` table for the two servers.
    fn connectors(&self) -> String {
        format!(
            "[connectors.okta]\norg_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n\n\
             [connectors.webhook]\nurl_env = \"{URL_VAR}\"\nsecret_env = \"{SECRET_VAR}\"\n",
            self.okta.base_url()
        )
    }

    /// Returns the secrets as environment variables for the child process.
    fn secrets(&self) -> Vec<(&'static str, String)> {
        vec![
            (TOKEN_VAR, OKTA_TOKEN.to_owned()),
            (URL_VAR, self.webhook.url()),
            (SECRET_VAR, WEBHOOK_SECRET.to_owned()),
        ]
    }

    fn request_count(&self) -> usize {
        self.okta.requests().len() + self.webhook.requests().len()
    }
}

/// A temporary working folder for the state file and the configuration.
struct Workspace {
    folder: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self {
            folder: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).unwrap();
        name.to_owned()
    }

    /// Runs riposte in the folder with `env` added to a cleaned environment, and checks that
    /// no secret shows in its output.
    fn riposte(&self, args: &[&str], env: &[(&str, String)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_riposte"));
        command.args(args).current_dir(self.folder.path());
        for name in [
            "RIPOSTE_LOG",
            TOKEN_VAR,
            URL_VAR,
            SECRET_VAR,
            "OKTA_API_TOKEN",
            "RIPOSTE_WEBHOOK_URL",
            "RIPOSTE_WEBHOOK_SECRET",
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            command.env_remove(name);
        }
        // The AWS SDK finds credentials in these test values and never looks further: no
        // profile file of this machine, no instance metadata service.
        command
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.path("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.path("no-aws-credentials"),
            );
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("riposte runs");
        let run = Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for secret in [OKTA_TOKEN, WEBHOOK_SECRET] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "`riposte {}` printed a secret:\n{}",
                args.join(" "),
                run.describe()
            );
        }
        run
    }

    /// Runs `hunt --state state.db` on the examples with their inventory, and `extra`.
    fn hunt(&self, extra: &[&str], env: &[(&str, String)]) -> Run {
        let examples = examples();
        let inventory = examples.join("inventory.yaml");
        let mut args = vec![
            "hunt",
            "--no-progress",
            "--state",
            "state.db",
            "--inventory",
            inventory.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.push(examples.to_str().unwrap());
        self.riposte(&args, env)
    }

    fn store(&self) -> Store {
        Store::open_read_only(self.path("state.db")).unwrap()
    }

    /// Returns the status of every recorded action, by action kind.
    fn statuses(&self) -> Vec<(String, ActionStatus)> {
        let store = self.store();
        let mut statuses: Vec<(String, ActionStatus)> = store
            .actions_with_status(&ActionStatus::ALL)
            .unwrap()
            .into_iter()
            .map(|action| (action.kind, action.status))
            .collect();
        statuses.sort_by(|left, right| left.0.cmp(&right.0));
        statuses
    }

    /// Returns the pending approvals as `approvals list --format jsonl` prints them.
    fn pending_approvals(&self) -> Vec<Value> {
        let run = self.riposte(
            &[
                "approvals",
                "list",
                "--state",
                "state.db",
                "--format",
                "jsonl",
            ],
            &[],
        );
        run.assert_code(0);
        run.jsonl()
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{}", self.describe());
    }

    /// Parses standard output as JSON Lines.
    fn jsonl(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("{error} in `{line}`\n{}", self.describe()))
            })
            .collect()
    }
}

/// Returns the `type: action` records of a response report with the outcome `outcome`.
fn actions<'a>(records: &'a [Value], outcome: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|record| record["type"] == "action" && record["outcome"] == outcome)
        .collect()
}

fn response_summary(records: &[Value]) -> &Value {
    records
        .iter()
        .find(|record| record["type"] == "response_summary")
        .unwrap_or_else(|| panic!("no response summary in {records:?}"))
}

/// Returns the action record of kind `kind`, checking there is exactly one.
fn only<'a>(records: &[&'a Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = records
        .iter()
        .copied()
        .filter(|record| record["action"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one `{kind}` expected in {records:?}");
    found[0]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Checks the one Okta call and the one webhook delivery the example incident calls for.
fn assert_containment_calls(providers: &Providers) {
    let okta: Vec<RecordedRequest> = providers.okta.requests();
    assert_eq!(okta.len(), 1, "{okta:#?}");
    assert_eq!(okta[0].method, "DELETE");
    assert_eq!(okta[0].path_and_query(), SESSIONS_CALL);
    assert_eq!(
        okta[0].header("authorization"),
        Some(format!("SSWS {OKTA_TOKEN}").as_str())
    );
    assert_eq!(okta[0].status, 204);
    let user = providers.okta.user(USER).unwrap();
    assert_eq!((user.sessions, user.oauth_tokens), (0, 0));

    let webhook = providers.webhook.requests();
    assert_eq!(webhook.len(), 1, "{webhook:#?}");
    let delivery = &webhook[0];
    assert_eq!(delivery.method, "POST");
    assert_eq!(delivery.path, WEBHOOK_PATH);
    // The server accepts (200) only a body signed with the shared secret. The signature is
    // also recomputed here from the body as received.
    assert_eq!(delivery.status, 200, "{delivery:#?}");
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(delivery.body.as_bytes());
    let expected = format!("sha256={}", hex(&mac.finalize().into_bytes()));
    assert_eq!(
        delivery.header("x-riposte-signature"),
        Some(expected.as_str())
    );
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["incident_id"], INCIDENT);
    assert_eq!(
        delivery.header("x-riposte-idempotency-key"),
        body["idempotency_key"].as_str()
    );
    let deliveries = providers.webhook.deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].incident_id, INCIDENT);
}

/// Checks the executed records of a response report: the Okta call and the webhook delivery.
fn assert_executed_report(records: &[Value]) {
    let executed = actions(records, "executed");
    assert_eq!(executed.len(), 2, "{records:#?}");
    let okta = only(&executed, "okta_clear_sessions");
    assert_eq!(okta["incident_id"], INCIDENT);
    assert_eq!(okta["target"], format!("user/{USER}"));
    let calls = okta["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{okta:#}");
    assert_eq!(calls[0]["call"]["method"], "DELETE");
    assert_eq!(calls[0]["call"]["endpoint"], SESSIONS_CALL);
    assert_eq!(calls[0]["status"], 204);
    let notify = only(&executed, "notify");
    assert_eq!(notify["calls"][0]["call"]["method"], "POST");
    assert_eq!(notify["calls"][0]["status"], 200);
    let summary = response_summary(records);
    assert_eq!(summary["executed"], 2);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["pending_approvals"], 2);
}

fn assert_recorded(workspace: &Workspace) {
    assert_eq!(
        workspace.statuses(),
        vec![
            (
                "deactivate_access_key".to_owned(),
                ActionStatus::PendingApproval
            ),
            ("notify".to_owned(), ActionStatus::Planned),
            ("okta_clear_sessions".to_owned(), ActionStatus::Planned),
            (
                "revoke_role_sessions".to_owned(),
                ActionStatus::PendingApproval
            ),
        ]
    );
}

#[test]
fn respond_executes_the_decided_actions_once() {
    let providers = Providers::start();
    let workspace = Workspace::new();
    let config = workspace.write("riposte.toml", &providers.connectors());
    let secrets = providers.secrets();

    let hunted = workspace.hunt(&[], &[]);
    hunted.assert_code(0);
    assert!(
        hunted.stdout.contains(
            "response: 4 new actions recorded in state.db (2 run automatically, 2 wait for \
             approval, 0 recommended only)"
        ),
        "{}",
        hunted.describe()
    );
    assert_recorded(&workspace);

    // A dry run lists the exact calls and sends none.
    let respond = [
        "respond",
        "--state",
        "state.db",
        "--config",
        config.as_str(),
    ];
    let dry = workspace.riposte(
        &[&respond[..], &["--dry-run", "--format", "jsonl"]].concat(),
        &secrets,
    );
    dry.assert_code(0);
    let records = dry.jsonl();
    let would = actions(&records, "would_execute");
    assert_eq!(would.len(), 2, "{}", dry.describe());
    let okta = only(&would, "okta_clear_sessions");
    assert!(
        okta["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("DELETE {SESSIONS_CALL}: end every Okta session")),
        "{okta:#}"
    );
    let notify = only(&would, "notify");
    assert!(
        notify["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("POST {} (url ", providers.webhook.base_url())),
        "{notify:#}"
    );
    assert_eq!(response_summary(&records)["executed"], 0);
    let dry_text = workspace.riposte(&[&respond[..], &["--dry-run"]].concat(), &secrets);
    dry_text.assert_code(0);
    assert!(
        dry_text.stdout.contains(&format!(
            "would execute okta_clear_sessions user/{USER}  incident {INCIDENT}"
        )) && dry_text.stdout.contains(&format!("DELETE {SESSIONS_CALL}")),
        "{}",
        dry_text.describe()
    );
    assert_eq!(providers.request_count(), 0);
    assert_recorded(&workspace);

    // The real run, with every log line the binary can write, which must not show a secret.
    let mut verbose = secrets.clone();
    verbose.push(("RIPOSTE_LOG", "trace".to_owned()));
    let done = workspace.riposte(&[&respond[..], &["--format", "jsonl"]].concat(), &verbose);
    done.assert_code(0);
    assert_executed_report(&done.jsonl());
    assert_containment_calls(&providers);
    let statuses = workspace.statuses();
    assert_eq!(statuses[1], ("notify".to_owned(), ActionStatus::Verified));
    assert_eq!(
        statuses[2],
        ("okta_clear_sessions".to_owned(), ActionStatus::Verified)
    );

    // A second run has nothing left to do.
    let again = workspace.riposte(&respond, &secrets);
    again.assert_code(0);
    assert!(
        again.stdout.contains(
            "0 executed, 0 failed, 0 reverted, 0 waiting for a connector, 2 awaiting approval"
        ),
        "{}",
        again.describe()
    );
    assert_containment_calls(&providers);

    // The two AWS actions wait for a person.
    let pending = workspace.pending_approvals();
    assert_eq!(pending.len(), 2, "{pending:#?}");
    let mut kinds: Vec<&str> = pending
        .iter()
        .map(|approval| {
            assert_eq!(approval["type"], "approval");
            assert_eq!(approval["status"], "pending");
            assert_eq!(approval["incident"], INCIDENT);
            approval["kind"].as_str().unwrap()
        })
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["deactivate_access_key", "revoke_role_sessions"]);
    let key_approval = pending
        .iter()
        .find(|approval| approval["kind"] == "deactivate_access_key")
        .unwrap();
    assert_eq!(
        key_approval["target"],
        "user/ci-deploy/AKIAPZOGHCF53IAG3R3D"
    );
    let id = key_approval["id"].as_i64().unwrap().to_string();

    let denied = workspace.riposte(
        &[
            "approvals",
            "deny",
            "--state",
            "state.db",
            &id,
            "--by",
            "alice@example.com",
            "--reason",
            "ci-deploy key rotated by hand",
        ],
        &[],
    );
    denied.assert_code(0);
    assert_eq!(
        denied.stdout,
        format!("approval {id} denied by alice@example.com\n")
    );
    let denied_again = workspace.riposte(
        &[
            "approvals",
            "deny",
            "--state",
            "state.db",
            &id,
            "--by",
            "bob@example.com",
            "--reason",
            "again",
        ],
        &[],
    );
    denied_again.assert_code(1);
    assert!(
        denied_again
            .stderr
            .contains(&format!("approval {id} is already denied")),
        "{}",
        denied_again.describe()
    );
    let all = workspace.riposte(
        &[
            "approvals",
            "list",
            "--all",
            "--state",
            "state.db",
            "--format",
            "jsonl",
        ],
        &[],
    );
    all.assert_code(0);
    let decided = all
        .jsonl()
        .into_iter()
        .find(|approval| approval["id"].as_i64().map(|id| id.to_string()) == Some(id.clone()))
        .unwrap();
    assert_eq!(decided["status"], "denied");
    assert_eq!(decided["decided_by"], "alice@example.com");
    assert_eq!(decided["reason"], "ci-deploy key rotated by hand");
    assert_eq!(workspace.pending_approvals().len(), 1);
    assert_eq!(
        workspace.statuses()[0],
        ("deactivate_access_key".to_owned(), ActionStatus::Denied)
    );

    // A denied action is never executed.
    let after_deny = workspace.riposte(&respond, &secrets);
    after_deny.assert_code(0);
    assert!(
        after_deny.stdout.contains("0 executed, 0 failed"),
        "{}",
        after_deny.describe()
    );
    assert_containment_calls(&providers);

    let audit = workspace.riposte(&["audit", "verify", "--state", "state.db"], &[]);
    audit.assert_code(0);
    assert!(
        audit.stdout.starts_with("audit log intact: "),
        "{}",
        audit.describe()
    );
    let records: u64 = audit.stdout["audit log intact: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Four decisions, two approval requests, one denial, and for each executed action its
    // intent, its call and its verified outcome.
    assert_eq!(records, 4 + 2 + 1 + 2 * 3, "{}", audit.describe());
}

#[test]
fn hunt_respond_executes_in_one_process() {
    let providers = Providers::start();
    let secrets = providers.secrets();

    // A dry run in one process: the actions are recorded, nothing is sent.
    let dry_workspace = Workspace::new();
    let config = dry_workspace.write("riposte.toml", &providers.connectors());
    let dry = dry_workspace.hunt(
        &["--config", config.as_str(), "--respond", "--dry-run"],
        &secrets,
    );
    dry.assert_code(0);
    assert!(
        dry.stdout.contains("response: 4 new actions recorded")
            && dry.stdout.contains("\nResponse\n")
            && dry.stdout.contains(&format!(
                "would execute okta_clear_sessions user/{USER}  incident {INCIDENT}"
            ))
            && dry.stdout.contains(&format!("DELETE {SESSIONS_CALL}"))
            && dry
                .stdout
                .contains("2 would execute (dry run, nothing changed)"),
        "{}",
        dry.describe()
    );
    assert_eq!(providers.request_count(), 0);
    assert_recorded(&dry_workspace);

    // The real run on a new state file: recorded and executed by the same process.
    let workspace = Workspace::new();
    let config = workspace.write("riposte.toml", &providers.connectors());
    let done = workspace.hunt(
        &[
            "--config",
            config.as_str(),
            "--respond",
            "--format",
            "jsonl",
        ],
        &secrets,
    );
    done.assert_code(0);
    assert!(
        done.stderr.contains(
            "riposte: response: 4 new actions recorded in state.db (2 run automatically, 2 wait \
             for approval, 0 recommended only)"
        ),
        "{}",
        done.describe()
    );
    assert_executed_report(&done.jsonl());
    assert_containment_calls(&providers);

    // Hunting again over the same folder plans nothing new and executes nothing.
    let again = workspace.hunt(&["--config", config.as_str(), "--respond"], &secrets);
    again.assert_code(0);
    assert!(
        again.stdout.contains("response: 0 new actions recorded")
            && again.stdout.contains("0 executed, 0 failed"),
        "{}",
        again.describe()
    );
    assert_containment_calls(&providers);
    let audit = workspace.riposte(&["audit", "verify", "--state", "state.db"], &[]);
    audit.assert_code(0);
}

#[test]
fn second_hunt_records_no_new_action() {
    let workspace = Workspace::new();
    workspace.hunt(&[], &[]).assert_code(0);
    assert_recorded(&workspace);
    let audit_before = workspace.store().audit_records(0, 1000).unwrap().len();

    let again = workspace.hunt(&["--format", "jsonl"], &[]);
    again.assert_code(0);
    assert!(
        again.stderr.contains(
            "riposte: response: 0 new actions recorded in state.db (0 run automatically, 0 wait \
             for approval, 0 recommended only)"
        ),
        "{}",
        again.describe()
    );
    assert_recorded(&workspace);
    assert_eq!(
        workspace.store().audit_records(0, 1000).unwrap().len(),
        audit_before
    );
    assert_eq!(workspace.pending_approvals().len(), 2);
}

/// Runs `respond` with a broken configuration and checks it fails with `expected` and
/// executes nothing.
fn assert_rejected_config(connectors: &str, env: &[(&str, String)], expected: &[&str]) {
    let providers = Providers::start();
    let workspace = Workspace::new();
    workspace.hunt(&[], &[]).assert_code(0);
    let config = workspace.write("riposte.toml", connectors);
    for dry_run in [true, false] {
        let mut args = vec![
            "respond",
            "--state",
            "state.db",
            "--config",
            config.as_str(),
        ];
        if dry_run {
            args.push("--dry-run");
        }
        let run = workspace.riposte(&args, env);
        run.assert_code(1);
        assert!(run.stdout.is_empty(), "{}", run.describe());
        for part in expected {
            assert!(
                run.stderr.contains(part),
                "`{part}` expected:\n{}",
                run.describe()
            );
        }
    }
    assert_eq!(providers.request_count(), 0);
    assert_recorded(&workspace);
}

#[test]
fn unknown_connector_field_is_a_configuration_error() {
    let providers = Providers::start();
    // A misspelt `token` holding the token itself: the error names the field and its
    // connector, and never quotes the value.
    let connectors = providers.connectors().replace(
        "token_env =",
        &format!("tokne = \"{OKTA_TOKEN}\"\ntoken_env ="),
    );
    assert_rejected_config(
        &connectors,
        &providers.secrets(),
        &[
            "riposte: invalid configuration file `riposte.toml`: line 3, column 1: unknown field \
             `tokne`, expected one of `org_url`, `token_env`, `token`, `http` (in \
             `[connectors.okta]`)\n",
        ],
    );
}

#[test]
fn missing_token_variable_is_a_configuration_error() {
    let providers = Providers::start();
    let mut env = providers.secrets();
    env.retain(|(name, _)| *name != TOKEN_VAR);
    assert_rejected_config(
        &providers.connectors(),
        &env,
        &[&format!(
            "riposte: failed to set up the connectors: invalid okta connector configuration: \
             environment variable `{TOKEN_VAR}` named by `token_env` is not set"
        )],
    );
}

#[test]
fn plain_http_off_loopback_is_a_configuration_error() {
    let providers = Providers::start();
    // 0.0.0.0 is not a loopback address, but a connection to it reaches this machine, so a
    // connector that accepted it would show up as a request to the test server.
    let url = format!("http://0.0.0.0:{}", providers.okta.address().port());
    let connectors = providers
        .connectors()
        .replace(&providers.okta.base_url(), &url);
    assert_rejected_config(
        &connectors,
        &providers.secrets(),
        &[&format!(
            "riposte: failed to set up the connectors: invalid okta connector configuration: invalid \
             `org_url` `{url}`: scheme `http` is not allowed; expected `https` (`http` only on a \
             loopback address)"
        )],
    );
}

#[test]
fn hunt_respond_broken_connector_executes_nothing() {
    let providers = Providers::start();
    let workspace = Workspace::new();
    let config = workspace.write("riposte.toml", &providers.connectors());
    let mut env = providers.secrets();
    env.retain(|(name, _)| *name != SECRET_VAR);
    let run = workspace.hunt(&["--config", config.as_str(), "--respond"], &env);
    run.assert_code(1);
    assert!(
        run.stderr.contains(&format!(
            "riposte: failed to set up the connectors: invalid webhook connector configuration: \
             environment variable `{SECRET_VAR}` named by `secret_env` is not set"
        )),
        "{}",
        run.describe()
    );
    assert_eq!(providers.request_count(), 0);
    // The connectors are checked before the hunt starts, so nothing was read or recorded.
    assert!(!workspace.path("state.db").exists());
    assert!(run.stdout.is_empty(), "{}", run.describe());
}

#[test]
fn missing_state_file_is_a_clear_error() {
    let workspace = Workspace::new();
    for args in [
        &["respond", "--state", "missing.db"][..],
        &["respond", "--state", "missing.db", "--dry-run"],
        &["approvals", "list", "--state", "missing.db"],
        &["audit", "verify", "--state", "missing.db"],
    ] {
        let run = workspace.riposte(args, &[]);
        run.assert_code(1);
        assert!(
            run.stderr.starts_with(
                "riposte: cannot open state file `missing.db`: no such file; `riposte hunt \
                 --state FILE` creates one"
            ),
            "{}",
            run.describe()
        );
        assert!(!workspace.path("missing.db").exists());
    }
}

#[test]
fn approved_role_revocation_is_executed_against_moto() {
    const AWS_SESSION_TOKEN: &str = "FAKESESSIONTOKEN0123456789";
    let providers = Providers::start();
    let moto = MotoServer::start().unwrap_or_else(|error| panic!("{error}"));
    let iam = providers.runtime.block_on(async {
        let iam = aws_sdk_iam::Client::new(&moto.sdk_config().await);
        iam.create_role()
            .role_name("Engineering")
            .assume_role_policy_document(TRUST_POLICY)
            .send()
            .await
            .unwrap();
        iam
    });
    let inline_policies = || {
        providers.runtime.block_on(async {
            iam.list_role_policies()
                .role_name("Engineering")
                .send()
                .await
                .unwrap()
                .policy_names()
                .to_vec()
        })
    };

    let workspace = Workspace::new();
    let config = workspace.write(
        "riposte.toml",
        &format!(
            "{}\n[connectors.aws]\nregion = \"us-east-1\"\nendpoint_url = \"{}\"\n",
            providers.connectors(),
            moto.endpoint_url()
        ),
    );
    let secrets = providers.secrets();
    workspace.hunt(&[], &[]).assert_code(0);
    let pending = workspace.pending_approvals();
    let id_of = |kind: &str| {
        pending
            .iter()
            .find(|approval| approval["kind"] == kind)
            .and_then(|approval| approval["id"].as_i64())
            .unwrap_or_else(|| panic!("no `{kind}` approval in {pending:#?}"))
            .to_string()
    };
    let revoke = id_of("revoke_role_sessions");
    let key = id_of("deactivate_access_key");
    assert_eq!(
        pending
            .iter()
            .find(|approval| approval["kind"] == "revoke_role_sessions")
            .unwrap()["target"],
        "role/Engineering"
    );

    let approved = workspace.riposte(
        &[
            "approvals",
            "approve",
            "--state",
            "state.db",
            &revoke,
            "--by",
            "alice@example.com",
        ],
        &[],
    );
    approved.assert_code(0);
    assert_eq!(
        approved.stdout,
        format!(
            "approval {revoke} approved by alice@example.com: the next `riposte respond` \
             executes it\n"
        )
    );
    workspace
        .riposte(
            &[
                "approvals",
                "deny",
                "--state",
                "state.db",
                &key,
                "--by",
                "alice@example.com",
                "--reason",
                "the key is moto's to make",
            ],
            &[],
        )
        .assert_code(0);

    let respond = [
        "respond",
        "--state",
        "state.db",
        "--config",
        config.as_str(),
        "--format",
        "jsonl",
    ];
    let dry = workspace.riposte(&[&respond[..], &["--dry-run"]].concat(), &secrets);
    dry.assert_code(0);
    let records = dry.jsonl();
    let would = actions(&records, "would_execute");
    assert_eq!(would.len(), 3, "{}", dry.describe());
    let revocation = only(&would, "revoke_role_sessions")["detail"]
        .as_str()
        .unwrap();
    assert!(
        revocation.contains(
            "iam PutRolePolicy: iam:PutRolePolicy RoleName=Engineering \
             PolicyName=AWSRevokeOlderSessions PolicyDocument="
        ) && revocation.contains(r#""DateLessThan":{"aws:TokenIssueTime":"<time of execution>"}"#),
        "{revocation}"
    );
    assert!(inline_policies().is_empty());
    assert_eq!(providers.request_count(), 0);

    // The AWS SDK logs each signed request at trace level, session token header included.
    // riposte keeps those logs quiet whatever level RIPOSTE_LOG sets.
    let mut traced = secrets.clone();
    traced.push(("AWS_SESSION_TOKEN", AWS_SESSION_TOKEN.to_owned()));
    traced.push(("RIPOSTE_LOG", "trace".to_owned()));
    let done = workspace.riposte(&respond, &traced);
    done.assert_code(0);
    assert!(
        !done.stderr.contains(AWS_SESSION_TOKEN) && !done.stdout.contains(AWS_SESSION_TOKEN),
        "the session token leaked: {}",
        done.describe()
    );
    let records = done.jsonl();
    let executed = actions(&records, "executed");
    assert_eq!(executed.len(), 3, "{}", done.describe());
    let revocation = only(&executed, "revoke_role_sessions");
    assert_eq!(revocation["target"], "role/Engineering");
    assert!(
        revocation["calls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|call| call["call"]["endpoint"] == "PutRolePolicy"),
        "{revocation:#}"
    );
    assert_eq!(response_summary(&records)["pending_approvals"], 0);
    assert_eq!(inline_policies(), ["AWSRevokeOlderSessions"]);
    let document = providers.runtime.block_on(async {
        iam.get_role_policy()
            .role_name("Engineering")
            .policy_name("AWSRevokeOlderSessions")
            .send()
            .await
            .unwrap()
            .policy_document()
            .to_owned()
    });
    assert!(
        document.contains("aws:TokenIssueTime") || document.contains("aws%3ATokenIssueTime"),
        "{document}"
    );
    assert_containment_calls(&providers);
    assert_eq!(
        workspace.statuses(),
        vec![
            ("deactivate_access_key".to_owned(), ActionStatus::Denied),
            ("notify".to_owned(), ActionStatus::Verified),
            ("okta_clear_sessions".to_owned(), ActionStatus::Verified),
            ("revoke_role_sessions".to_owned(), ActionStatus::Verified),
        ]
    );

    let again = workspace.riposte(&respond, &secrets);
    again.assert_code(0);
    assert!(actions(&again.jsonl(), "executed").is_empty());
    workspace
        .riposte(&["audit", "verify", "--state", "state.db"], &[])
        .assert_code(0);
}

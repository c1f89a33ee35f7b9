//! The `riposte-testservers` drill program: it serves the seeded identities with the printed
//! credentials, logs each request, and listens only on loopback.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on a broken setup or an unexpected result"
)]

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};

use riposte_testservers::OktaServer;

/// The drill program, killed when dropped so that a failed test leaves no process behind.
struct Drill {
    child: Child,
    /// Standard output up to the last line of the credentials.
    printed: String,
    log: Lines<BufReader<ChildStderr>>,
}

impl Drill {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_riposte-testservers"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("riposte-testservers starts");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        for line in stdout.lines() {
            let line = line.unwrap();
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("export RIPOSTE_DRILL_WEBHOOK_SECRET=") {
                break;
            }
        }
        let log = BufReader::new(child.stderr.take().unwrap()).lines();
        Self {
            child,
            printed,
            log,
        }
    }

    /// Returns the `[connectors]` table it printed, parsed.
    fn connectors(&self) -> toml::Table {
        let table: String = self
            .printed
            .lines()
            .take_while(|line| !line.starts_with("# AWS"))
            .map(|line| format!("{line}\n"))
            .collect();
        toml::from_str(&table).unwrap_or_else(|error| panic!("{error}\n{}", self.printed))
    }

    /// Returns the value of an `export NAME='VALUE'` line it printed.
    fn exported(&self, name: &str) -> String {
        let prefix = format!("export {name}='");
        self.printed
            .lines()
            .find_map(|line| line.strip_prefix(&prefix)?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("no `{name}` in\n{}", self.printed))
            .to_owned()
    }

    /// Reads the log until a line containing `text`, and returns it.
    fn log_line(&mut self, text: &str) -> String {
        for line in self.log.by_ref() {
            let line = line.unwrap();
            if line.contains(text) {
                return line;
            }
        }
        panic!("the log ended without `{text}`");
    }
}

impl Drop for Drill {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one HTTP/1.1 request to the loopback URL `base` and returns the whole response.
fn send(base: &str, method: &str, path: &str, token: &str) -> String {
    let address: SocketAddr = base.strip_prefix("http://").unwrap().parse().unwrap();
    assert!(address.ip().is_loopback(), "{address}");
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: SSWS {token}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn drill_serves_example_users_and_logs_requests() {
    let mut drill = Drill::start(&[]);
    let connectors = drill.connectors();
    let okta = connectors["connectors"]["okta"]["org_url"]
        .as_str()
        .unwrap();
    assert!(okta.starts_with("http://127.0.0.1:"), "{okta}");
    assert_eq!(
        connectors["connectors"]["okta"]["token_env"].as_str(),
        Some("RIPOSTE_DRILL_OKTA_TOKEN")
    );
    for (table, field) in [
        ("entra", "graph_url"),
        ("entra", "authority"),
        ("falcon", "base_url"),
    ] {
        let url = connectors["connectors"][table][field].as_str().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "{table}.{field}: {url}"
        );
    }
    assert!(
        drill
            .exported("RIPOSTE_DRILL_WEBHOOK_URL")
            .starts_with("http://127.0.0.1:")
    );
    let seeded = drill.log_line("seeded");
    assert!(
        seeded.contains("seeded 5 Okta users, 5 Entra users, 1 Entra service principals"),
        "{seeded}"
    );

    let token = drill.exported("RIPOSTE_DRILL_OKTA_TOKEN");
    let user = "/api/v1/users/00uX7UKJJKP1SWh7yHw2";
    let read = send(okta, "GET", user, &token);
    assert!(read.starts_with("HTTP/1.1 200 "), "{read}");
    assert!(read.contains(r#""login":"alice@example.com""#), "{read}");
    let sessions = format!("{user}/sessions?oauthTokens=true");
    let cleared = send(okta, "DELETE", &sessions, &token);
    assert!(cleared.starts_with("HTTP/1.1 204 "), "{cleared}");
    let rejected = send(okta, "DELETE", &sessions, "not-the-drill-token");
    assert!(rejected.starts_with("HTTP/1.1 401 "), "{rejected}");

    drill.log_line(&format!("okta    GET {user} -> 200"));
    drill.log_line(&format!("okta    DELETE {sessions} -> 204"));
    let line = drill.log_line(&format!("okta    DELETE {sessions} -> 401"));
    assert!(!line.contains(&token), "{line}");
}

#[test]
fn drill_seeds_identities_of_flags_and_fixed_ports() {
    let folder = tempfile::tempdir().unwrap();
    let inventory = folder.path().join("inventory.yaml");
    std::fs::write(&inventory, "people: []\n").unwrap();
    // A port the system has just handed out for port 0 is free unless another process takes
    // it before the drill binds it.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);

    let mut drill = Drill::start(&[
        "--inventory",
        inventory.to_str().unwrap(),
        "--okta-port",
        &port.to_string(),
        "--okta-user",
        "00udrill0000000001=bob@example.com",
        "--falcon-device",
        "4f1c2d3e=laptop-bob",
    ]);
    let seeded = drill.log_line("seeded");
    assert!(
        seeded.contains(
            "seeded 1 Okta users, 0 Entra users, 0 Entra service principals and 1 Falcon devices"
        ),
        "{seeded}"
    );

    let okta = format!("http://127.0.0.1:{port}");
    assert_eq!(
        drill.connectors()["connectors"]["okta"]["org_url"].as_str(),
        Some(okta.as_str())
    );

    let token = drill.exported("RIPOSTE_DRILL_OKTA_TOKEN");
    let read = send(&okta, "GET", "/api/v1/users/00udrill0000000001", &token);
    assert!(read.contains(r#""login":"bob@example.com""#), "{read}");
    let unknown = send(&okta, "GET", "/api/v1/users/00uX7UKJJKP1SWh7yHw2", &token);
    assert!(unknown.starts_with("HTTP/1.1 404 "), "{unknown}");
}

#[test]
fn drill_rejects_non_loopback_address() {
    for address in ["0.0.0.0", "::"] {
        let output = Command::new(env!("CARGO_BIN_EXE_riposte-testservers"))
            .args(["--bind", address])
            .stdin(Stdio::null())
            .output()
            .expect("riposte-testservers runs");
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            format!(
                "riposte-testservers: invalid --bind {address}: the test servers listen only on \
                 loopback addresses such as 127.0.0.1\n"
            )
        );
    }
}

#[test]
fn drill_rejects_malformed_identity_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_riposte-testservers"))
        .args(["--okta-user", "=alice@example.com"])
        .stdin(Stdio::null())
        .output()
        .expect("riposte-testservers runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains(
            "riposte-testservers: invalid --okta-user `=alice@example.com`: expected ID or ID=NAME"
        ),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn server_rejects_non_loopback_address() {
    let address: SocketAddr = "0.0.0.0:0".parse().unwrap();
    let error = OktaServer::start_on(address, "token")
        .await
        .err()
        .expect("a non-loopback address is rejected");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("loopback"), "{error}");
}

//! A moto server for tests: moto emulates the AWS APIs, so the connector's calls run through
//! the real SDK against a local process.
//!
//! [`MotoServer::start`] runs `moto_server` (from `pip install 'moto[server]'`) on a free
//! loopback port and waits until it responds to HTTP. Dropping the guard kills it. The program can
//! be overridden with the `RIPOSTE_MOTO_SERVER` environment variable.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_iam::config::Credentials;

use crate::{AwsConnector, AwsSettings};

/// The program started when `RIPOSTE_MOTO_SERVER` is unset.
pub const DEFAULT_PROGRAM: &str = "moto_server";

/// The account id moto gives every resource unless configured otherwise.
pub const MOTO_ACCOUNT_ID: &str = "123456789012";

/// The region of the settings the server hands out.
pub const REGION: &str = "us-east-1";

/// How long moto may take to respond after it starts. It imports service backends lazily,
/// which takes a few seconds on a loaded two-core machine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Ports tried before giving up: another process can take the free port between the check
/// and moto's bind.
const PORT_TRIES: u32 = 3;

const INSTALL_HINT: &str = "run `pip install 'moto[server]'` to install moto's server";

/// An error starting the moto server.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error("`{program}` is not installed: {INSTALL_HINT}")]
    NotInstalled { program: String },
    #[error("failed to start `{program}`: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "`{program}` on port {port} exited with {status} before responding (if moto is missing, \
         {INSTALL_HINT}); its output:\n{output}"
    )]
    Exited {
        program: String,
        port: u16,
        status: ExitStatus,
        output: String,
    },
    #[error("`{program}` on port {port} did not respond within {secs} s; its output:\n{output}")]
    TimedOut {
        program: String,
        port: u16,
        secs: u64,
        output: String,
    },
    #[error("failed to find a free loopback port: {0}")]
    Port(#[source] io::Error),
    #[error("failed to create moto's output file `{}`: {source}", path.display())]
    OutputFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A running moto server, killed when dropped.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    port: u16,
    output_path: PathBuf,
}

impl MotoServer {
    /// Starts moto on a free loopback port and waits until it responds to HTTP. The program is
    /// `RIPOSTE_MOTO_SERVER` when set, else [`DEFAULT_PROGRAM`].
    pub fn start() -> Result<Self, MotoError> {
        let program =
            std::env::var("RIPOSTE_MOTO_SERVER").unwrap_or_else(|_| DEFAULT_PROGRAM.to_owned());
        Self::start_program(&program)
    }

    /// Starts `program`, which takes moto_server's `-H` and `-p` options.
    pub fn start_program(program: &str) -> Result<Self, MotoError> {
        let mut last_error = None;
        for _ in 0..PORT_TRIES {
            match Self::start_on_free_port(program) {
                Ok(server) => return Ok(server),
                // Another process may have bound the port first; try another one.
                Err(error @ MotoError::Exited { .. }) => last_error = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| MotoError::NotInstalled {
            program: program.to_owned(),
        }))
    }

    fn start_on_free_port(program: &str) -> Result<Self, MotoError> {
        let port = free_port().map_err(MotoError::Port)?;
        let output_path =
            std::env::temp_dir().join(format!("riposte-moto-{}-{port}.log", std::process::id()));
        let output = File::create(&output_path).map_err(|source| MotoError::OutputFile {
            path: output_path.clone(),
            source,
        })?;
        let errors = output.try_clone().map_err(|source| MotoError::OutputFile {
            path: output_path.clone(),
            source,
        })?;
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(errors)
            .spawn()
            .map_err(|source| {
                let _ = std::fs::remove_file(&output_path);
                if source.kind() == io::ErrorKind::NotFound {
                    MotoError::NotInstalled {
                        program: program.to_owned(),
                    }
                } else {
                    MotoError::Spawn {
                        program: program.to_owned(),
                        source,
                    }
                }
            })?;
        // From here on the guard owns the process, so every error path kills it.
        let mut server = Self {
            child,
            port,
            output_path,
        };
        server.wait_until_ready(program)?;
        Ok(server)
    }

    fn wait_until_ready(&mut self, program: &str) -> Result<(), MotoError> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(MotoError::Exited {
                    program: program.to_owned(),
                    port: self.port,
                    status,
                    output: self.output(),
                });
            }
            if responds_to_http(self.port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(MotoError::TimedOut {
                    program: program.to_owned(),
                    port: self.port,
                    secs: STARTUP_TIMEOUT.as_secs(),
                    output: self.output(),
                });
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Returns what the server printed so far, for error messages.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output_path).unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn endpoint_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Returns connector settings that send every call to this server.
    pub fn settings(&self) -> AwsSettings {
        AwsSettings {
            endpoint_url: Some(self.endpoint_url()),
            ..AwsSettings::new(REGION)
        }
    }

    /// Loads an SDK configuration for this server with fixed fake credentials, so that no
    /// credential chain (environment, profile files, instance metadata) is consulted.
    pub async fn sdk_config(&self) -> SdkConfig {
        let credentials = Credentials::new("testing", "testing", None, None, "moto-test");
        self.settings()
            .config_loader()
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// Returns a connector that talks to this server with fake credentials.
    pub async fn connector(&self) -> AwsConnector {
        AwsConnector::from_sdk_config(&self.sdk_config().await)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // The process may have exited already; either way it is reaped here.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.output_path);
    }
}

fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Returns true when something on the port responds to an HTTP request with a status line.
fn responds_to_http(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(2));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    let request = b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if stream.write_all(request).is_err() {
        return false;
    }
    let mut head = [0_u8; 5];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

//! Error mapping for responses moto never returns: throttling, refused connections, timeouts, and
//! a rotation without a rotation function. A small HTTP server on loopback plays AWS.

#![expect(
    clippy::unwrap_used,
    reason = "the stub server fails loudly on a broken setup"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_iam::config::Credentials;
use riposte_action::{Action, ActionError, ActionRequest, CallLog, Connector};
use riposte_connector_aws::{AwsConnector, AwsSettings};

/// One canned response: status, content type, body.
type Answer = (u16, &'static str, String);

/// An HTTP server on a loopback port that responds to every request with `answer(target, body)`,
/// where `target` is the `X-Amz-Target` header (JSON protocols) or empty. Stopped on drop.
struct StubServer {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StubServer {
    fn start(answer: fn(&str, &str) -> Option<Answer>) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        requests.fetch_add(1, Ordering::SeqCst);
                        serve(stream, answer);
                    }
                }
            })
        };
        Self {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it checks the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request and writes the response; `None` keeps the connection silent until the
/// client gives up.
fn serve(stream: TcpStream, answer: fn(&str, &str) -> Option<Answer>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut target = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "x-amz-target" => target = value.trim().to_owned(),
                "content-length" => length = value.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut stream = reader.into_inner();
    match answer(&target, &String::from_utf8_lossy(&body)) {
        Some((status, content_type, body)) => {
            let response = format!(
                "HTTP/1.1 {status} Stub\r\nContent-Type: {content_type}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
        None => thread::sleep(Duration::from_secs(3)),
    }
}

/// SDK configuration for `url` with fake credentials and fast retries, so that the four
/// attempts of a test take milliseconds instead of seconds.
async fn config(url: &str, operation_timeout_secs: u64) -> SdkConfig {
    let settings = AwsSettings {
        endpoint_url: Some(url.to_owned()),
        operation_timeout_secs,
        ..AwsSettings::new("us-east-1")
    };
    settings
        .config_loader()
        .credentials_provider(Credentials::new("testing", "testing", None, None, "stub"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .load()
        .await
}

fn deactivate() -> ActionRequest {
    ActionRequest {
        incident_id: "INC-9".into(),
        action: Action::DeactivateAccessKey {
            user_name: "ci-deploy".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        },
    }
}

fn throttled(_target: &str, _body: &str) -> Option<Answer> {
    Some((
        400,
        "text/xml",
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
         <Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
         <RequestId>4a5f0d0e-0000-4000-8000-000000000001</RequestId></ErrorResponse>"
            .to_owned(),
    ))
}

#[tokio::test]
async fn throttling_after_retries_is_rate_limited() {
    let server = StubServer::start(throttled);
    let connector = AwsConnector::from_sdk_config(&config(&server.url(), 60).await);
    let mut log = CallLog::default();
    let error = connector
        .execute(&deactivate(), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "aws rate limit still exceeded after 4 attempts on `ListAccessKeys`"
    );
    assert_eq!(server.requests(), 4);
    assert_eq!(log.records.len(), 1);
    let record = &log.records[0];
    assert_eq!(record.attempt, 4);
    assert_eq!(record.status, Some(400));
    assert_eq!(record.error.as_deref(), Some("Throttling: Rate exceeded"));
}

#[tokio::test]
async fn refused_connection_is_transport_error() {
    // A port that was free a moment ago: nothing listens on it.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let connector = AwsConnector::from_sdk_config(&config(&url, 60).await);
    let mut log = CallLog::default();
    let error = connector
        .execute(&deactivate(), &mut log)
        .await
        .unwrap_err();
    let ActionError::Transport {
        endpoint, message, ..
    } = &error
    else {
        panic!("expected Transport, got {error:?}");
    };
    assert_eq!(endpoint, "ListAccessKeys");
    assert!(message.contains("dispatch failure"), "{message}");
    assert_eq!(log.records[0].attempt, 4);
    assert_eq!(log.records[0].status, None);
}

fn silent(_target: &str, _body: &str) -> Option<Answer> {
    None
}

#[tokio::test]
async fn operation_timeout_is_transport_error() {
    let server = StubServer::start(silent);
    let connector = AwsConnector::from_sdk_config(&config(&server.url(), 1).await);
    let mut log = CallLog::default();
    let error = connector
        .execute(&deactivate(), &mut log)
        .await
        .unwrap_err();
    let ActionError::Transport { message, .. } = &error else {
        panic!("expected Transport, got {error:?}");
    };
    assert!(message.contains("timeout"), "{message}");
    assert_eq!(log.records[0].status, None);
    assert!(log.records[0].duration_ms >= 1000);
}

/// Secrets Manager as AWS responds for a secret without a rotation function: DescribeSecret
/// succeeds without `RotationLambdaARN`, RotateSecret is rejected.
fn no_rotation_function(target: &str, _body: &str) -> Option<Answer> {
    let json = "application/x-amz-json-1.1";
    match target {
        "secretsmanager.DescribeSecret" => Some((
            200,
            json,
            r#"{"ARN":"arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db-AbCdEf","Name":"prod/db","VersionIdsToStages":{"00000000-0000-4000-8000-000000000001":["AWSCURRENT"]}}"#
                .to_owned(),
        )),
        "secretsmanager.RotateSecret" => Some((
            400,
            json,
            r#"{"__type":"InvalidRequestException","message":"No Lambda rotation function ARN is associated with this secret."}"#
                .to_owned(),
        )),
        _ => Some((400, json, r#"{"__type":"UnknownOperationException"}"#.to_owned())),
    }
}

#[tokio::test]
async fn rotation_without_function_is_explained() {
    let server = StubServer::start(no_rotation_function);
    let connector = AwsConnector::from_sdk_config(&config(&server.url(), 60).await);
    let request = ActionRequest {
        incident_id: "INC-9".into(),
        action: Action::RotateSecret {
            secret_id: "prod/db".into(),
        },
    };
    let mut log = CallLog::default();
    let error = connector.execute(&request, &mut log).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "aws rejected `RotateSecret` with status 400: InvalidRequestException: No Lambda \
         rotation function ARN is associated with this secret. (secret `prod/db` has no \
         rotation function: configure rotation for it, or replace its value at the source and \
         in Secrets Manager by hand)"
    );
    assert_eq!(log.records.len(), 2);
    assert_eq!(log.records[1].status, Some(400));
    assert_eq!(log.records[1].attempt, 1);
}

/// A credentials provider that finds nothing, as the standard chain does on a host without
/// credentials.
#[derive(Debug)]
struct NoCredentials;

impl aws_credential_types::provider::ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::ready(Err(
            aws_credential_types::provider::error::CredentialsError::not_loaded(
                "no credentials in the environment, profile or instance role",
            ),
        ))
    }
}

#[tokio::test]
async fn missing_credentials_are_configuration_error() {
    let server = StubServer::start(throttled);
    let settings = AwsSettings {
        endpoint_url: Some(server.url()),
        ..AwsSettings::new("us-east-1")
    };
    let config = settings
        .config_loader()
        .credentials_provider(NoCredentials)
        .load()
        .await;
    let connector = AwsConnector::from_sdk_config(&config);
    let mut log = CallLog::default();
    let error = connector
        .execute(&deactivate(), &mut log)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid aws connector configuration: failed to load AWS credentials for \
         `ListAccessKeys`: dispatch failure: other: the credential provider was not enabled: no \
         credentials in the environment, profile or instance role: set them in the environment, \
         the profile, or the instance role"
    );
    // Nothing was sent, and a missing credential is not retried.
    assert_eq!(server.requests(), 0);
    assert_eq!(log.records.len(), 1);
    assert_eq!(log.records[0].attempt, 1);
    assert_eq!(log.records[0].status, None);
}

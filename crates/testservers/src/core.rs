//! The parts every test server shares: the loopback listener, the request log, the server
//! clock and the injected faults.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Largest request body a test server reads, in bytes.
const MAX_REQUEST_BYTES: usize = 1 << 20;

/// One request as a server received it, and the status of the response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names in lowercase, with their values as received.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The response status, or 0 while the request is being handled.
    pub status: u16,
}

impl RecordedRequest {
    /// Returns the value of the header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the path followed by `?` and the query, when there is one.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }
}

/// A failure to inject in place of the server's own response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with `status` and the provider's error body carrying `message`.
    Status { status: u16, message: String },
    /// Answer 429 with the provider's rate-limit headers, asking to wait `wait_secs`.
    RateLimited { wait_secs: u64 },
    /// Wait this long, then handle the request as usual.
    Delay(Duration),
}

struct Injection {
    remaining: u32,
    /// The path prefix of the affected requests, or `None` for all requests.
    path_prefix: Option<String>,
    fault: Fault,
}

/// The provider whose formats a server follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    Okta,
    Graph,
    Falcon,
    Webhook,
}

impl Flavor {
    /// Returns the provider's error body for `status` with `message`.
    pub(crate) fn error_body(self, status: u16, message: &str, request_id: u64) -> Response {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match self {
            Self::Okta => {
                let error_code = match status {
                    400 => "E0000001",
                    401 => "E0000011",
                    403 => "E0000006",
                    404 => "E0000007",
                    429 => "E0000047",
                    _ => "E0000009",
                };
                json!({
                    "errorCode": error_code,
                    "errorSummary": message,
                    "errorLink": error_code,
                    "errorId": format!("oae{request_id:019}"),
                    "errorCauses": [],
                })
            }
            Self::Graph => {
                let error_code = match status {
                    400 => "Request_BadRequest",
                    401 => "InvalidAuthenticationToken",
                    403 => "Authorization_RequestDenied",
                    404 => "Request_ResourceNotFound",
                    429 => "TooManyRequests",
                    503 => "serviceNotAvailable",
                    _ => "generalException",
                };
                json!({
                    "error": {
                        "code": error_code,
                        "message": message,
                        "innerError": {
                            "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                            "request-id": request_uuid(request_id),
                            "client-request-id": request_uuid(request_id),
                        },
                    },
                })
            }
            Self::Falcon => json!({
                "meta": falcon_meta(request_id),
                "resources": [],
                "errors": [{ "code": status, "message": message }],
            }),
            Self::Webhook => return (code, message.to_owned()).into_response(),
        };
        (code, axum::Json(body)).into_response()
    }

    fn rate_limit(self, wait_secs: u64, now: DateTime<Utc>, request_id: u64) -> Response {
        let reset = (now.timestamp() + i64::try_from(wait_secs).unwrap_or(i64::MAX)).to_string();
        let (message, headers): (&str, Vec<(&str, String)>) = match self {
            Self::Okta => (
                "API call exceeded rate limit due to too many requests.",
                vec![
                    ("x-rate-limit-limit", "600".to_owned()),
                    ("x-rate-limit-remaining", "0".to_owned()),
                    ("x-rate-limit-reset", reset),
                ],
            ),
            Self::Graph => (
                "Too many requests; retry after the time in the Retry-After header.",
                vec![("retry-after", wait_secs.to_string())],
            ),
            Self::Falcon => (
                "API rate limit exceeded.",
                vec![
                    ("x-ratelimit-limit", "6000".to_owned()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    ("x-ratelimit-retryafter", reset),
                ],
            ),
            Self::Webhook => (
                "too many requests",
                vec![("retry-after", wait_secs.to_string())],
            ),
        };
        let mut response = self.error_body(429, message, request_id);
        for (name, value) in headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

pub(crate) fn request_uuid(request_id: u64) -> String {
    format!("6f1c2a9e-0b4d-4e8a-9c3f-{request_id:012x}")
}

pub(crate) fn falcon_meta(request_id: u64) -> Value {
    json!({
        "query_time": 0.004,
        "powered_by": "riposte-testservers",
        "trace_id": request_uuid(request_id),
    })
}

/// A function called with each request once its response status is known.
type Observer = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

/// The state every server shares, behind an `Arc`.
pub(crate) struct Core {
    flavor: Flavor,
    requests: Mutex<Vec<RecordedRequest>>,
    injections: Mutex<VecDeque<Injection>>,
    /// Seconds added to the local clock for the server's `Date` header and rate-limit resets.
    clock_offset_secs: Mutex<i64>,
    observer: Mutex<Option<Observer>>,
}

impl Core {
    pub(crate) fn new(flavor: Flavor) -> Arc<Self> {
        Arc::new(Self {
            flavor,
            requests: Mutex::new(Vec::new()),
            injections: Mutex::new(VecDeque::new()),
            clock_offset_secs: Mutex::new(0),
            observer: Mutex::new(None),
        })
    }

    pub(crate) fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// Returns the server's clock: the local clock plus the configured offset.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let offset = *lock(&self.clock_offset_secs);
        Utc::now() + chrono::Duration::seconds(offset)
    }

    /// Returns the number of requests received so far, as a request id.
    fn request_id(&self) -> u64 {
        u64::try_from(lock(&self.requests).len()).unwrap_or(u64::MAX)
    }

    /// Takes the fault for a request to `path`, if one is pending.
    fn take_fault(&self, path: &str) -> Option<Fault> {
        let mut injections = lock(&self.injections);
        let position = injections.iter().position(|injection| {
            injection
                .path_prefix
                .as_deref()
                .is_none_or(|prefix| path.starts_with(prefix))
        })?;
        let injection = injections.get_mut(position)?;
        let fault = injection.fault.clone();
        injection.remaining = injection.remaining.saturating_sub(1);
        if injection.remaining == 0 {
            injections.remove(position);
        }
        Some(fault)
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running server: its address and the controls every server has. The server stops when
/// this is dropped.
pub struct Server {
    address: SocketAddr,
    core: Arc<Core>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves `router` on `address`, behind the request log, the faults and the `Date` header.
    /// Returns an `InvalidInput` error for an address that is not a loopback address.
    pub(crate) async fn start(
        core: Arc<Core>,
        router: Router,
        address: SocketAddr,
    ) -> std::io::Result<Self> {
        if !address.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "invalid address {address}: the test servers listen only on loopback \
                     addresses such as 127.0.0.1"
                ),
            ));
        }
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let app = router.layer(middleware::from_fn_with_state(core.clone(), front));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("test server on {address} stopped: {error}");
            }
        });
        Ok(Self {
            address,
            core,
            task,
        })
    }

    /// Returns `http://127.0.0.1:PORT`, without a trailing `/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.core.requests).clone()
    }

    /// Returns the requests received so far whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.path.starts_with(prefix))
            .collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.core.requests).clear();
    }

    /// Calls `observer` with each request from now on, once its response status is known.
    /// It runs on the server's task, so it must return quickly.
    pub fn on_request(&self, observer: impl Fn(&RecordedRequest) + Send + Sync + 'static) {
        *lock(&self.core.observer) = Some(Arc::new(observer));
    }

    /// Answers the next `count` requests with `fault` in place of the usual answer.
    pub fn inject(&self, count: u32, fault: Fault) {
        self.push(count, None, fault);
    }

    /// Answers the next `count` requests whose path starts with `prefix` with `fault`.
    pub fn inject_on(&self, prefix: &str, count: u32, fault: Fault) {
        self.push(count, Some(prefix.to_owned()), fault);
    }

    /// Answers the next `count` requests with 429 and the provider's rate-limit headers
    /// asking to wait `wait_secs`.
    pub fn rate_limit_next(&self, count: u32, wait_secs: u64) {
        self.inject(count, Fault::RateLimited { wait_secs });
    }

    /// Answers the next `count` requests with `status` and the provider's error body.
    pub fn fail_next(&self, count: u32, status: u16, message: &str) {
        self.inject(
            count,
            Fault::Status {
                status,
                message: message.to_owned(),
            },
        );
    }

    /// Delays the next `count` requests by `delay` before handling them.
    pub fn delay_next(&self, count: u32, delay: Duration) {
        self.inject(count, Fault::Delay(delay));
    }

    /// Sets the server's clock ahead of the local clock by `secs` (behind when negative). The
    /// offset shows in the `Date` header and in the rate-limit reset times.
    pub fn set_clock_offset(&self, secs: i64) {
        *lock(&self.core.clock_offset_secs) = secs;
    }

    fn push(&self, count: u32, path_prefix: Option<String>, fault: Fault) {
        if count > 0 {
            lock(&self.core.injections).push_back(Injection {
                remaining: count,
                path_prefix,
                fault,
            });
        }
    }
}

/// Records the request, applies a pending fault, and stamps the `Date` header.
async fn front(State(core): State<Arc<Core>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let path = parts.uri.path().to_owned();
    let request_id = core.request_id();
    let now = core.now();
    let index = {
        let mut requests = lock(&core.requests);
        requests.push(RecordedRequest {
            method: parts.method.as_str().to_owned(),
            path: path.clone(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            status: 0,
        });
        requests.len() - 1
    };

    let mut response = match core.take_fault(&path) {
        Some(Fault::Status { status, message }) => {
            core.flavor.error_body(status, &message, request_id)
        }
        Some(Fault::RateLimited { wait_secs }) => {
            core.flavor.rate_limit(wait_secs, now, request_id)
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };

    // The `Date` header is in IMF-fixdate form (RFC 9110 section 5.6.7), from the server's
    // clock, so that tests can skew it against the client's.
    let date = now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(value) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, value);
    }
    let recorded = lock(&core.requests).get_mut(index).map(|recorded| {
        recorded.status = response.status().as_u16();
        recorded.clone()
    });
    // The observer is called without the request log's lock held.
    let observer = lock(&core.observer).clone();
    if let (Some(observer), Some(recorded)) = (observer, recorded) {
        observer(&recorded);
    }
    response
}

/// Returns `127.0.0.1` with port 0, which the system replaces with a free port.
pub(crate) fn random_loopback_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

//! Sending one SDK call, recording it in the call log, and mapping its errors.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use riposte_action::{ActionError, ApiCallRecord, CallLog, System, millis};

use crate::plan::AwsCall;

/// Error codes AWS services use for throttling. The SDK's standard retry mode retries them;
/// one still present after the last attempt is reported as [`ActionError::RateLimited`].
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
];

/// An interceptor that counts the attempts of one call and keeps the HTTP status of the last
/// response, because the SDK's successful outputs carry neither.
#[derive(Clone, Debug, Default)]
pub(crate) struct Probe {
    attempts: Arc<AtomicU32>,
    /// The last HTTP status, 0 while no response came back.
    status: Arc<AtomicU32>,
}

impl Probe {
    fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    fn status(&self) -> Option<u16> {
        u16::try_from(self.status.load(Ordering::Relaxed))
            .ok()
            .filter(|status| *status != 0)
    }
}

impl Intercept for Probe {
    fn name(&self) -> &'static str {
        "riposte-call-probe"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn StdError + Send + Sync>> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let status = context
            .response()
            .map_or(0, |response| u32::from(response.status().as_u16()));
        self.status.store(status, Ordering::Relaxed);
        Ok(())
    }
}

/// How a call failed, in the terms the connector decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The service returned an error response.
    Service,
    /// The service still throttled after the last attempt.
    Throttled,
    /// No usable response: connection failure, timeout, malformed response.
    Transport,
    /// The request was never sent: it could not be built, or no credentials were found.
    Configuration,
}

/// A failed SDK call, kept apart from [`ActionError`] so that the connector can react to
/// expected error codes such as `NoSuchEntity`.
#[derive(Debug)]
pub(crate) struct CallFailure {
    pub(crate) operation: &'static str,
    pub(crate) kind: FailureKind,
    pub(crate) status: Option<u16>,
    /// The AWS error code, such as `NoSuchEntity`.
    pub(crate) code: Option<String>,
    pub(crate) message: String,
    pub(crate) attempts: u32,
}

impl CallFailure {
    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.kind == FailureKind::Service && self.code.as_deref() == Some(code)
    }

    /// Returns the text stored in the call record: `code: message` for service errors.
    fn describe(&self) -> String {
        match &self.code {
            Some(code) => format!("{code}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

impl From<CallFailure> for ActionError {
    fn from(failure: CallFailure) -> Self {
        let endpoint = failure.operation.to_owned();
        match failure.kind {
            FailureKind::Service => ActionError::Rejected {
                system: System::Aws,
                endpoint,
                status: failure.status.unwrap_or(0),
                message: failure.describe(),
            },
            FailureKind::Throttled => ActionError::RateLimited {
                system: System::Aws,
                endpoint,
                attempts: failure.attempts,
            },
            FailureKind::Transport => ActionError::Transport {
                system: System::Aws,
                endpoint,
                message: failure.message,
            },
            FailureKind::Configuration => ActionError::Configuration {
                system: System::Aws,
                message: failure.message,
            },
        }
    }
}

/// Sends one SDK call built by `send` (which must attach the probe it is given), records it
/// in `log` with its status, duration and attempt count, and maps a failure.
pub(crate) async fn record<T, E, F, Fut, R>(
    call: &AwsCall,
    log: &mut CallLog,
    send: F,
) -> Result<T, CallFailure>
where
    F: FnOnce(Probe) -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let probe = Probe::default();
    let started = Instant::now();
    let result = send(probe.clone()).await;
    let duration_ms = millis(started.elapsed());
    let attempts = probe.attempts().max(1);
    let status = probe.status();
    let outcome = result.map_err(|error| classify(call.operation, error, status, attempts));
    tracing::debug!(
        aws.operation = call.operation,
        http.status = status,
        attempts,
        duration_ms,
        failed = outcome.is_err(),
        "aws call"
    );
    log.push(ApiCallRecord {
        call: call.api_call(),
        status,
        duration_ms,
        attempt: attempts,
        error: outcome.as_ref().err().map(CallFailure::describe),
    });
    outcome
}

fn classify<E, R>(
    operation: &'static str,
    error: SdkError<E, R>,
    status: Option<u16>,
    attempts: u32,
) -> CallFailure
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + 'static,
{
    let failure = |kind, code: Option<String>, message: String| CallFailure {
        operation,
        kind,
        status,
        code,
        message,
        attempts,
    };
    match &error {
        SdkError::ServiceError(context) => {
            let service_error = context.err();
            let code = service_error.code().map(str::to_owned);
            let message = service_error
                .message()
                .map_or_else(|| "no message".to_owned(), str::to_owned);
            let throttled = status == Some(429)
                || code
                    .as_deref()
                    .is_some_and(|code| THROTTLING_CODES.contains(&code));
            let kind = if throttled {
                FailureKind::Throttled
            } else {
                FailureKind::Service
            };
            failure(kind, code, message)
        }
        SdkError::ConstructionFailure(_) => failure(
            FailureKind::Configuration,
            None,
            format!("failed to build `{operation}`: {}", error_chain(&error)),
        ),
        // The SDK resolves credentials just before sending, so a missing credential surfaces
        // as a dispatch failure; it is a configuration problem, not a network one.
        _ if has_source::<CredentialsError>(&error) => failure(
            FailureKind::Configuration,
            None,
            format!(
                "failed to load AWS credentials for `{operation}`: {}: set them in the \
                 environment, the profile, or the instance role",
                error_chain(&error)
            ),
        ),
        _ => failure(FailureKind::Transport, None, error_chain(&error)),
    }
}

/// Returns true when `error` or one of its sources is a `T`.
fn has_source<T: StdError + 'static>(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(cause) = current {
        if cause.is::<T>() {
            return true;
        }
        current = cause.source();
    }
    false
}

/// Returns the messages of an error and its sources, joined with `: `, such as
/// `dispatch failure: io error: … Connection refused (os error 111)`.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

//! Retries with exponential backoff that honours the provider's own rate-limit hints.
//!
//! Providers say when to come back: `Retry-After` (Microsoft Graph, seconds), Okta's
//! `X-Rate-Limit-Reset` (epoch seconds), CrowdStrike's `X-RateLimit-RetryAfter` (epoch
//! seconds). A connector turns that into a wait and returns [`Attempt::Retry`]; without a hint
//! the wait doubles from `base_delay` up to `max_delay`.

use std::future::Future;
use std::time::Duration;

/// How often and how long to retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Wait before the first retry when the provider gives no hint.
    pub base_delay: Duration,
    /// Longest wait between two attempts, hinted or not. A provider asking for longer is
    /// not waited for: the attempt fails as rate limited.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, waiting 0.5, 1 and 2 s without hints and at most 30 s with one: a
    /// containment call should land within a minute or be reported as failed.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The outcome of one attempt.
#[derive(Debug)]
pub enum Attempt<T, E> {
    Done(T),
    /// A transient failure (a network error, HTTP 429 or 5xx): try again after `after` when
    /// the provider said, else after the backoff.
    Retry {
        after: Option<Duration>,
        error: E,
    },
    /// A failure that retrying cannot fix (HTTP 4xx other than 429).
    Fail(E),
}

impl RetryPolicy {
    /// Returns the wait before attempt `next` (2 for the first retry).
    pub fn delay(&self, next: u32, hint: Option<Duration>) -> Option<Duration> {
        if let Some(hint) = hint {
            return (hint <= self.max_delay).then_some(hint);
        }
        let doublings = next.saturating_sub(2).min(20);
        let delay = self.base_delay.saturating_mul(1_u32 << doublings);
        Some(delay.min(self.max_delay))
    }
}

/// Runs `attempt` (given the attempt number, from 1) until it is done, fails, or the policy
/// runs out. Returns the last error and the number of attempts made when it gives up.
pub async fn retry<T, E, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, (E, u32)>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
{
    let mut number = 1;
    loop {
        match attempt(number).await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err((error, number)),
            Attempt::Retry { after, error } => {
                if number >= policy.max_attempts.max(1) {
                    return Err((error, number));
                }
                let Some(delay) = policy.delay(number + 1, after) else {
                    return Err((error, number));
                };
                tracing::debug!(
                    attempt = number,
                    delay_ms = delay.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(delay).await;
                number += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(3),
        };
        assert_eq!(policy.delay(2, None), Some(Duration::from_millis(500)));
        assert_eq!(policy.delay(3, None), Some(Duration::from_secs(1)));
        assert_eq!(policy.delay(4, None), Some(Duration::from_secs(2)));
        assert_eq!(policy.delay(5, None), Some(Duration::from_secs(3)));
    }

    #[test]
    fn hint_is_honoured_unless_too_long() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(2, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(policy.delay(2, Some(Duration::from_secs(600))), None);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_done() {
        let policy = RetryPolicy::default();
        let result: Result<u32, (&str, u32)> = retry(&policy, |number| async move {
            if number < 3 {
                Attempt::Retry {
                    after: Some(Duration::from_secs(1)),
                    error: "busy",
                }
            } else {
                Attempt::Done(number)
            }
        })
        .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_last_attempt() {
        let policy = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let result: Result<(), (&str, u32)> = retry(&policy, |_| async {
            Attempt::Retry {
                after: None,
                error: "busy",
            }
        })
        .await;
        assert_eq!(result, Err(("busy", 2)));
    }

    #[tokio::test(start_paused = true)]
    async fn fatal_error_is_not_retried() {
        let result: Result<(), (&str, u32)> = retry(&RetryPolicy::default(), |_| async {
            Attempt::Fail("forbidden")
        })
        .await;
        assert_eq!(result, Err(("forbidden", 1)));
    }
}

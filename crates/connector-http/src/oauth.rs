//! OAuth2 client credentials: a cached bearer token, fetched again before it expires or
//! when the API rejects it with 401.

use std::time::Duration;

use reqwest::Method;
use riposte_action::{ActionError, CallLog};
use riposte_model::Sensitive;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::client::{ApiClient, Body, Call, Response};

/// How long before its stated expiry a token is replaced, so that it never expires between
/// the check and the provider reading it.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A token request: the token endpoint and its form fields.
pub(crate) struct TokenRequest {
    /// The token endpoint's base URL and path, such as `/oauth2/token`.
    pub base: String,
    pub endpoint: String,
    pub form: Vec<(&'static str, Sensitive)>,
}

struct CachedToken {
    token: Sensitive,
    /// When the token is replaced: its expiry less [`REFRESH_MARGIN`].
    refresh_at: Instant,
}

/// An API reached with a bearer token from a client-credentials token endpoint.
pub(crate) struct OAuthApi {
    pub api: ApiClient,
    token_client: ApiClient,
    request: TokenRequest,
    cache: Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for OAuthApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApi")
            .field("api", &self.api)
            .field("token_endpoint", &self.request.endpoint)
            .finish_non_exhaustive()
    }
}

impl OAuthApi {
    pub(crate) fn new(api: ApiClient, token_client: ApiClient, request: TokenRequest) -> Self {
        Self {
            api,
            token_client,
            request,
            cache: Mutex::new(None),
        }
    }

    /// Makes `call` with the cached token. When the API returns 401, the token is dropped,
    /// a new one is requested, and the call is made once more.
    pub(crate) async fn send(
        &self,
        call: &Call,
        log: &mut CallLog,
    ) -> Result<Response, ActionError> {
        let token = self.token(log).await?;
        match self.api.send(call, Some(&bearer(&token)), log).await {
            Err(ActionError::Rejected { status: 401, .. }) => {
                tracing::debug!(
                    connector = %self.api.system,
                    endpoint = %call.api.endpoint,
                    "access token rejected; requesting a new one"
                );
                self.invalidate(&token).await;
                let token = self.token(log).await?;
                self.api.send(call, Some(&bearer(&token)), log).await
            }
            other => other,
        }
    }

    /// Returns the cached token, or requests one when there is none or it is about to
    /// expire. Concurrent callers wait for the one request in flight.
    async fn token(&self, log: &mut CallLog) -> Result<Sensitive, ActionError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        let fetched = self.fetch(log).await?;
        let token = fetched.token.clone();
        *cache = Some(fetched);
        Ok(token)
    }

    /// Drops `stale` from the cache, unless another call has already replaced it.
    async fn invalidate(&self, stale: &Sensitive) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|cached| &cached.token == stale) {
            *cache = None;
        }
    }

    async fn fetch(&self, log: &mut CallLog) -> Result<CachedToken, ActionError> {
        let requested = Instant::now();
        let mut call = Call::new(
            Method::POST,
            &self.request.base,
            self.request.endpoint.clone(),
            "request an access token with the client credentials".to_owned(),
        );
        call.body = Body::Form(self.request.form.clone());
        let response = self.token_client.send(&call, None, log).await?;
        let json = response.json(self.token_client.system, &self.request.endpoint)?;
        let invalid = |message: String| ActionError::Transport {
            system: self.token_client.system,
            endpoint: self.request.endpoint.clone(),
            message,
        };
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                invalid(
                    "invalid token response: missing `access_token`, expected an OAuth2 token"
                        .to_owned(),
                )
            })?;
        // `expires_in` is a number of seconds, but some endpoints write it as a string.
        let expires_in = match json.get("expires_in") {
            Some(Value::Number(number)) => number.as_u64(),
            Some(Value::String(text)) => text.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            invalid(
                "invalid token response: missing or invalid `expires_in`, expected seconds"
                    .to_owned(),
            )
        })?;
        let lifetime = Duration::from_secs(expires_in);
        // A token shorter-lived than twice the margin is kept for half its life.
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        Ok(CachedToken {
            token: Sensitive::new(token),
            refresh_at: requested + lifetime - margin,
        })
    }
}

fn bearer(token: &Sensitive) -> Sensitive {
    Sensitive::new(format!("Bearer {}", token.expose()))
}

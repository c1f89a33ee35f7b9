//! Bearer tokens issued by the OAuth2 token endpoints of the test servers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::core::lock;

struct Tokens {
    lifetime: Duration,
    /// Every token issued and still honoured, with its expiry.
    valid: HashMap<String, Instant>,
    issued: usize,
}

pub(crate) struct TokenIssuer {
    prefix: String,
    tokens: Mutex<Tokens>,
}

impl TokenIssuer {
    /// Issues tokens starting with `prefix` that live `lifetime_secs`.
    pub(crate) fn new(prefix: &str, lifetime_secs: u64) -> Self {
        Self {
            prefix: prefix.to_owned(),
            tokens: Mutex::new(Tokens {
                lifetime: Duration::from_secs(lifetime_secs),
                valid: HashMap::new(),
                issued: 0,
            }),
        }
    }

    /// Returns a new token and its lifetime in whole seconds, as `expires_in` states it.
    pub(crate) fn issue(&self) -> (String, u64) {
        let mut tokens = lock(&self.tokens);
        tokens.issued += 1;
        let digest = Sha256::digest(format!("{}:{}", self.prefix, tokens.issued).as_bytes());
        let mut token = format!("{}.", self.prefix);
        for byte in digest.iter().take(16) {
            token.push_str(&format!("{byte:02x}"));
        }
        let lifetime = tokens.lifetime;
        tokens
            .valid
            .insert(token.clone(), Instant::now() + lifetime);
        (token, lifetime.as_secs())
    }

    pub(crate) fn is_valid(&self, token: &str, now: Instant) -> bool {
        lock(&self.tokens)
            .valid
            .get(token)
            .is_some_and(|expiry| now < *expiry)
    }

    pub(crate) fn set_lifetime(&self, lifetime: Duration) {
        lock(&self.tokens).lifetime = lifetime;
    }

    pub(crate) fn revoke_all(&self) {
        lock(&self.tokens).valid.clear();
    }

    pub(crate) fn issued(&self) -> usize {
        lock(&self.tokens).issued
    }
}

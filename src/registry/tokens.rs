//! Bearer tokens: which token serves which request (realm, service, scopes), what a token
//! endpoint answered, and how long to use it before renewing.

use std::time::{Duration, Instant};

use super::error::FetchError;

/// Which token: tokens from different realms or services, or for other scopes, never mix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct TokenKey {
    pub(super) realm: String,
    pub(super) service: Option<String>,
    /// Sorted, deduplicated; empty for a token without a repository scope (a login check).
    pub(super) scopes: Vec<String>,
}

impl TokenKey {
    pub(super) fn new(realm: &str, service: Option<&str>, scope: &str, extra: &[String]) -> Self {
        let mut scopes: Vec<String> = scope
            .split_whitespace()
            .chain(extra.iter().flat_map(|s| s.split_whitespace()))
            .map(str::to_string)
            .collect();
        scopes.sort();
        scopes.dedup();
        Self {
            realm: realm.to_string(),
            service: service.map(str::to_string),
            scopes,
        }
    }
}

impl TokenKey {
    /// Whether a token for `self` may be sent where `other` is needed: same issuer and
    /// service, and every scope `other` needs granted as asked.
    pub(super) fn covers(&self, other: &TokenKey) -> bool {
        self.realm == other.realm
            && self.service == other.service
            && other.scopes.iter().all(|s| self.scopes.contains(s))
    }
}

/// A bearer token and when to stop using it.
#[derive(Debug)]
pub(super) struct Token {
    pub(super) value: String,
    /// From here on the token is renewed before use: its expiry less a margin.
    pub(super) renew_at: Instant,
}

/// How long a token without `expires_in` lives, and the least any token is trusted for.
pub(super) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_mins(1);
/// Renew a token this long before it expires, so it does not lapse on the way to the registry.
pub(super) const RENEW_MARGIN: Duration = Duration::from_secs(5);
/// Longer-lived tokens are still renewed daily; this also keeps `Instant` arithmetic in range.
pub(super) const MAX_TOKEN_LIFETIME: Duration = Duration::from_hours(24);

/// A token response's token and `expires_in` (seconds), if it states one.
pub(super) fn parse_token_response(body: &[u8]) -> Result<(String, Option<u64>), FetchError> {
    #[derive(serde::Deserialize)]
    struct TokenResponse {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        /// A number by the spec; some issuers send a string or a float.
        #[serde(default)]
        expires_in: Option<serde_json::Value>,
    }
    /// The same without the lifetime: `1e400` is valid JSON that no number type holds, and
    /// `serde_json` refuses the whole document for it; the lifetime is then treated as absent.
    #[derive(serde::Deserialize)]
    struct WithoutLifetime {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        #[allow(dead_code)]
        expires_in: Option<serde::de::IgnoredAny>,
    }
    let malformed = |detail: String| FetchError::Malformed {
        what: "the token response".into(),
        detail,
    };
    let parsed: TokenResponse = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(e) => match serde_json::from_slice::<WithoutLifetime>(body) {
            Ok(p) => TokenResponse {
                token: p.token,
                access_token: p.access_token,
                expires_in: None,
            },
            Err(_) => return Err(malformed(e.to_string())),
        },
    };
    let token = parsed
        .token
        .filter(|t| !t.is_empty())
        .or(parsed.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| malformed("it holds no token".into()))?;
    // It goes into an `Authorization` header: CR, LF, ESC or a space there would be a header
    // injection or a request that cannot be sent (and used to be retried as a network error).
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed(
            "its token holds control characters or spaces, which an HTTP header cannot carry; refused"
                .into(),
        ));
    }
    // An unreadable lifetime is treated as absent (the spec's default), not as a failure.
    let expires_in = parsed.expires_in.and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                // `as` saturates: a finite, non-negative f64 becomes the nearest u64 in range.
                .map(|f| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let secs = f as u64;
                    secs
                })
        }),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    Ok((token, expires_in))
}

/// How long a token is used: `expires_in`, 60 s when absent, never less than `floor` (the
/// spec's 60 s), never more than a day.
pub(super) fn token_lifetime(expires_in: Option<u64>, floor: Duration) -> Duration {
    expires_in
        .map_or(DEFAULT_TOKEN_LIFETIME, |s| {
            Duration::from_secs(s).max(floor)
        })
        .min(MAX_TOKEN_LIFETIME)
}

/// How long before expiry to renew: a few seconds, but never most of a short life.
pub(super) fn renew_margin(lifetime: Duration) -> Duration {
    RENEW_MARGIN.min(lifetime / 4)
}

//! Bearer tokens on the wire: what a request carries, the token for a scope (cached, shared
//! while one is on its way), the token request and its errors.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use url::Url;

use super::super::stats::RequestKind;
use super::super::tokens::{parse_token_response, renew_margin, token_lifetime, Token, TokenKey};
use super::{Challenge, FetchError, HttpRegistry};

/// The credentials one request carried, so that a 401 can be answered with something else.
pub(super) enum Sent {
    Anonymous,
    Basic(String),
    Bearer { key: TokenKey, token: String },
}

impl Sent {
    pub(super) fn header(&self) -> Option<String> {
        match self {
            Sent::Anonymous => None,
            Sent::Basic(header) => Some(header.clone()),
            Sent::Bearer { token, .. } => Some(format!("Bearer {token}")),
        }
    }
}

impl HttpRegistry {
    /// What to send for `scope` under `challenge`, fetching a token if needed.
    pub(super) async fn authorization(
        &self,
        challenge: &Challenge,
        scope: &str,
    ) -> Result<Sent, FetchError> {
        match challenge {
            Challenge::None => Ok(Sent::Anonymous),
            Challenge::Basic => Ok(self
                .opts
                .credentials
                .as_ref()
                .map_or(Sent::Anonymous, |c| Sent::Basic(c.basic_header()))),
            Challenge::Bearer { realm, service } => {
                let key = TokenKey::new(realm, service.as_deref(), scope, &[]);
                let token = self.token(&key, None).await?;
                Ok(Sent::Bearer { key, token })
            }
        }
    }

    /// The token for `key`: the cached one while it is fresh, else a new one from a single
    /// token request that everyone asking meanwhile shares. `stale` is a token the registry
    /// just refused: it is replaced even if unexpired, but only if still cached, so many
    /// requests refused with one token renew it once.
    pub(super) async fn token(
        &self,
        key: &TokenKey,
        stale: Option<&str>,
    ) -> Result<String, FetchError> {
        let cell = {
            let mut tokens = self.tokens.lock().await;
            let now = Instant::now();
            let renew = tokens
                .get(key)
                .and_then(|c| c.get())
                .is_some_and(|t| t.renew_at <= now || stale == Some(t.value.as_str()));
            if renew {
                tokens.remove(key);
            }
            if stale.is_none() && !tokens.contains_key(key) {
                // A fresh token already granted for more (the scopes of a 401 plus ours, or
                // a registry-wide grant) serves this request too: no token round trip.
                if let Some(value) = tokens.iter().find_map(|(k, cell)| {
                    let t = cell.get().filter(|t| t.renew_at > now)?;
                    k.covers(key).then(|| t.value.clone())
                }) {
                    return Ok(value);
                }
            }
            tokens.entry(key.clone()).or_default().clone()
        };
        let token = cell.get_or_try_init(|| self.fetch_token(key)).await?;
        Ok(token.value.clone())
    }

    pub(super) async fn fetch_token(&self, key: &TokenKey) -> Result<Token, FetchError> {
        let service = key.service.as_deref();
        let mut url = Url::parse(&key.realm).map_err(|e| FetchError::BadRealm {
            registry: self.registry.clone(),
            detail: e.to_string(),
        })?;
        let realm_host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => crate::sanitize::sanitize(&key.realm).into_owned(),
        };
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            // One `scope` parameter per scope, as docker sends them.
            for scope in &key.scopes {
                q.append_pair("scope", scope);
            }
        }
        let req = match &self.opts.credentials {
            // An identity token (docker login to ACR, some Harbor setups) is an OAuth2 refresh
            // token: it is exchanged, never sent as a password.
            Some(c) if self.opts.identity_token => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("grant_type", "refresh_token")
                    .append_pair("client_id", "regscope")
                    .append_pair("refresh_token", c.secret());
                if let Some(s) = service {
                    form.append_pair("service", s);
                }
                // OAuth2 takes scopes space-separated in one parameter.
                if !key.scopes.is_empty() {
                    form.append_pair("scope", &key.scopes.join(" "));
                }
                url.set_query(None);
                self.client
                    .post(url)
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(form.finish())
            }
            Some(c) => self.client.get(url).header(AUTHORIZATION, c.basic_header()),
            None => self.client.get(url),
        };
        // Shorter than the request's own timeout: a token service that hangs is then named
        // as the culprit, never the registry (the two timeouts used to race).
        let token_timeout = self.opts.timeout.mul_f64(0.75);
        let req = req.timeout(token_timeout);
        self.stats.count(RequestKind::Token);
        // The lifetime counts from the request, on our clock: `issued_at` is on the issuer's,
        // and comparing clocks would turn skew into expired tokens or a renewal per request.
        let asked_at = Instant::now();
        let resp = req.send().await;
        self.stats.took(asked_at);
        let resp = resp.map_err(|e| self.realm_error(&e, &realm_host, token_timeout))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = match tokio::time::timeout(
            token_timeout,
            self.read_limited(resp, 1024 * 1024, "the token response"),
        )
        .await
        {
            Ok(body) => body?,
            Err(_) => {
                return Err(FetchError::TokenService {
                    registry: self.registry.clone(),
                    realm: realm_host,
                    detail: format!(
                        "its answer did not finish within {}s",
                        token_timeout.as_secs_f64().round()
                    ),
                })
            }
        };
        if !(200..300).contains(&status) {
            return Err(self.status_error(status, &headers, &body, "a token"));
        }
        let (value, expires_in) = parse_token_response(&body)?;
        let lifetime = token_lifetime(expires_in, self.opts.min_token_lifetime);
        Ok(Token {
            value,
            renew_at: (asked_at + lifetime)
                .checked_sub(renew_margin(lifetime))
                .unwrap_or(asked_at),
        })
    }

    /// A failed token request, named for the token service: the registry itself answered, so
    /// "check that the registry is running" would send the user to the wrong host.
    pub(super) fn realm_error(
        &self,
        e: &reqwest::Error,
        realm: &str,
        timeout: Duration,
    ) -> FetchError {
        match self.transport_error(e) {
            FetchError::Tls {
                detail, presented, ..
            } => FetchError::Tls {
                host: realm.to_string(),
                detail,
                presented,
            },
            FetchError::Proxy { proxy, detail, .. } => FetchError::Proxy {
                host: realm.to_string(),
                proxy,
                detail,
            },
            FetchError::Timeout { .. } => FetchError::TokenService {
                registry: self.registry.clone(),
                realm: realm.to_string(),
                detail: format!("no answer within {}s", timeout.as_secs_f64().round()),
            },
            FetchError::Connect { detail, .. } | FetchError::Transport { detail, .. } => {
                FetchError::TokenService {
                    registry: self.registry.clone(),
                    realm: realm.to_string(),
                    detail,
                }
            }
            other => other,
        }
    }
}

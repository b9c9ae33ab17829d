//! The OCI distribution protocol over HTTP: the client, its transport, retries and bounded
//! reads; endpoint discovery (`http/discovery.rs`), bearer tokens on the wire
//! (`http/bearer.rs`) and challenge parsing (`challenge.rs`) are their own files.
//!
//! oci-client's `Client` reads whole bodies without a cap, turns a digest mismatch into an
//! error that drops the bytes and hides status headers (Retry-After, Link), so the requests
//! are ours (and the reference grammar is `crate::reference`'s). Redirects are followed by hand
//! so credentials never travel to another host (ECR and Docker Hub redirect blobs to S3/CDNs).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use tokio::sync::{Mutex, OnceCell, Semaphore};
use url::Url;

// Challenge parsing is its own file; these paths stay where callers know them.
use super::challenge::response_challenge;
pub use super::challenge::{parse_challenge, parse_www_authenticate, AuthChallenge, Challenge};
use super::credentials::Credentials;
use super::error::{registry_code, registry_detail, FetchError};
use super::stats::{RequestKind, Stats};
// Bearer tokens (which, how long) are their own file; getting them over the wire is `bearer`.
use super::tokens::{Token, TokenKey, DEFAULT_TOKEN_LIFETIME};
use bearer::Sent;
use discovery::Endpoint;
use transport::origin_name;

// Endpoint discovery (the `/v2/` ping) and bearer tokens on the wire are child modules; this
// file keeps the client, its transport and retries.
mod bearer;
mod discovery;
mod transport;

/// How to reach one registry.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Speak plain HTTP even to a non-loopback host.
    pub plain_http: bool,
    /// Skip TLS certificate verification (only when the user asked for it).
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM).
    pub ca_pems: Vec<Vec<u8>>,
    pub timeout: Duration,
    pub credentials: Option<Credentials>,
    /// The credentials' secret is an identity (`OAuth2` refresh) token, not a password.
    pub identity_token: bool,
    /// Requests in flight at once against this registry.
    pub concurrency: usize,
    /// The shortest time a bearer token is used for, whatever its `expires_in` says: the
    /// distribution token spec's 60 s (issuers must not grant less, clients read less as 60 s).
    /// Tests lower it to watch tokens expire.
    pub min_token_lifetime: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            plain_http: false,
            insecure: false,
            ca_pems: Vec::new(),
            timeout: Duration::from_secs(30),
            credentials: None,
            identity_token: false,
            concurrency: 16,
            min_token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }
}

/// A successful response, with the headers the protocol needs.
#[derive(Debug, Clone)]
pub struct Response {
    /// Every header, names lower-cased (rate limits, diagnostics).
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub docker_digest: Option<String>,
    pub link: Option<String>,
    pub body: Bytes,
}

/// A response body read chunk by chunk; holds its connection permit until dropped.
pub struct Streamed<'a> {
    resp: reqwest::Response,
    _permit: tokio::sync::SemaphorePermit<'a>,
    registry: &'a HttpRegistry,
}

impl Streamed<'_> {
    /// The length the registry announced, if it did.
    #[must_use]
    pub fn content_length(&self) -> Option<u64> {
        self.resp.content_length()
    }

    /// The next chunk of the body, `None` at its end; a stall longer than the timeout fails.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        let registry = self.registry;
        match tokio::time::timeout(registry.opts.timeout, self.resp.chunk()).await {
            Ok(Ok(chunk)) => {
                if let Some(c) = &chunk {
                    registry.stats.add_bytes(c.len() as u64);
                }
                Ok(chunk)
            }
            Ok(Err(e)) => Err(registry.transport_error(&e)),
            Err(_) => Err(FetchError::Timeout {
                host: registry.host.clone(),
                after: registry.opts.timeout,
            }),
        }
    }
}

/// What a HEAD answered about content the registry has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub docker_digest: Option<String>,
    pub content_type: Option<String>,
}

/// One registry, reached over HTTP(S).
pub struct HttpRegistry {
    registry: String,
    host: String,
    opts: HttpOptions,
    client: reqwest::Client,
    /// How the registry is reached, once known; replaced when a remembered one proves wrong.
    endpoint: std::sync::Mutex<Option<Arc<Endpoint>>>,
    /// Held while discovering, so concurrent requests share one ping.
    discovering: Mutex<()>,
    /// Where endpoints are remembered between runs, and whether requests are forbidden.
    memory: Option<Arc<crate::cache::DiskCache>>,
    offline: bool,
    /// The environment's proxies, for messages and the certificate diagnosis.
    proxies: super::proxy::ProxyConfig,
    /// One cell per token: everyone asking for a key while it is fetched shares the fetch.
    tokens: Mutex<HashMap<TokenKey, Arc<OnceCell<Token>>>>,
    permits: Semaphore,
    stats: Arc<Stats>,
}

/// How long a registry's scheme and auth challenge are remembered: they rarely change, and a
/// wrong one costs a ping (scheme) or a 401 (challenge) to correct.
const REMEMBER_ENDPOINT: Duration = Duration::from_hours(7 * 24);

impl HttpRegistry {
    /// `registry` is the name users write; `host` the API host (they differ for Docker Hub).
    pub fn new(
        registry: &str,
        host: &str,
        opts: HttpOptions,
        stats: Arc<Stats>,
    ) -> Result<Self, FetchError> {
        let proxies = super::proxy::ProxyConfig::from_env();
        let client = super::trust::http_client(
            &opts.ca_pems,
            opts.insecure,
            super::cause::connect_timeout(opts.timeout),
            opts.timeout,
            &proxies,
        )
        .map_err(|detail| FetchError::ClientSetup { detail })?;
        let permits = Semaphore::new(opts.concurrency.max(1));
        Ok(Self {
            registry: registry.to_string(),
            host: host.to_string(),
            opts,
            client,
            endpoint: std::sync::Mutex::new(None),
            discovering: Mutex::new(()),
            memory: None,
            offline: false,
            proxies,
            tokens: Mutex::new(HashMap::new()),
            permits,
            stats,
        })
    }

    #[must_use]
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host requests go to (the registry's API host, or the configured endpoint).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Remembers endpoints in `cache` between runs (the ping is skipped while one is
    /// remembered); with `offline`, every request fails instead of being sent.
    pub fn remember_endpoint_in(&mut self, cache: Arc<crate::cache::DiskCache>, offline: bool) {
        self.memory = Some(cache);
        self.offline = offline;
    }

    /// The challenge the registry answers on `/v2/` now (a diagnosis pings even when the
    /// endpoint is remembered).
    pub async fn challenge(&self) -> Result<Challenge, FetchError> {
        let endpoint = self.endpoint().await?;
        if endpoint.remembered {
            return Ok(self.rediscover(&endpoint).await?.challenge.clone());
        }
        Ok(endpoint.challenge.clone())
    }

    /// Checks that the credentials (or anonymous access) work: a token without a repository
    /// scope when the registry wants bearer tokens, then `/v2/` with it, as `docker login` does.
    pub async fn verify_access(&self) -> Result<(), FetchError> {
        let endpoint = self.endpoint().await?;
        let endpoint = if endpoint.remembered {
            self.rediscover(&endpoint).await?
        } else {
            endpoint
        };
        if matches!(endpoint.challenge, Challenge::Basic) && self.opts.credentials.is_none() {
            return Err(FetchError::Unauthorized {
                registry: self.registry.clone(),
                detail: String::new(),
            });
        }
        let url = endpoint.base.join("/v2/").map_err(|e| FetchError::BadUrl {
            detail: e.to_string(),
        })?;
        let resp = self
            .send_authorized(&endpoint, &url, &[], "", RequestKind::Ping)
            .await?;
        self.finish(resp, 64 * 1024, "the /v2/ endpoint")
            .await
            .map(|_| ())
    }

    /// The headers of a HEAD of the manifest `repo:reference` (for rate-limit diagnostics: a
    /// HEAD is not counted against Docker Hub's pull limit, a GET is).
    pub async fn manifest_headers(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Vec<(String, String)>, FetchError> {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let scope = format!("repository:{repo}:pull");
        self.with_retries(|| async {
            let (resp, _permit) = self
                .send_path(
                    &path,
                    crate::model::media_type::MANIFEST_ACCEPT,
                    &scope,
                    RequestKind::Head,
                )
                .await?;
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                return Err(self.status_error(status, resp.headers(), &[], "a manifest"));
            }
            Ok(resp
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect())
        })
        .await
    }

    /// GETs `path` (relative to the registry root, e.g. `/v2/app/manifests/v1`), authenticating
    /// for `scope`, reading at most `limit` bytes.
    pub async fn get(
        &self,
        path: &str,
        accept: &[&str],
        scope: &str,
        kind: RequestKind,
        limit: u64,
        what: &str,
    ) -> Result<Response, FetchError> {
        self.with_retries(|| async {
            // The permit is held until the body is read: it bounds connections, not just
            // requests.
            let (resp, _permit) = self.send_path(path, accept, scope, kind).await?;
            self.finish(resp, limit, what).await
        })
        .await
    }

    /// GETs `path` for a body read as it arrives ([`Streamed::chunk`]), not buffered: a layer.
    /// Auth, redirects, retries and the deadline are [`get`](Self::get)'s up to the headers;
    /// after them, each chunk must arrive within the timeout.
    pub async fn get_streamed(
        &self,
        path: &str,
        scope: &str,
        what: &str,
    ) -> Result<Streamed<'_>, FetchError> {
        self.with_retries(|| async {
            let (resp, permit) = self.send_path(path, &[], scope, RequestKind::Blob).await?;
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                let headers = resp.headers().clone();
                let body = self
                    .read_limited(resp, 64 * 1024, what)
                    .await
                    .unwrap_or_default();
                return Err(self.status_error(status, &headers, &body, what));
            }
            Ok(Streamed {
                resp,
                _permit: permit,
                registry: self,
            })
        })
        .await
    }

    /// Sends a request for `path` (GET, or HEAD for [`RequestKind::Head`]) within the
    /// concurrency limit, authenticated for `scope`; returns the response and its permit.
    async fn send_path(
        &self,
        path: &str,
        accept: &[&str],
        scope: &str,
        kind: RequestKind,
    ) -> Result<(reqwest::Response, tokio::sync::SemaphorePermit<'_>), FetchError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| FetchError::ShuttingDown)?;
        let endpoint = self.endpoint().await?;
        let sent = self.send_on(&endpoint, path, accept, scope, kind).await;
        // A remembered endpoint that fails at the transport (the registry now speaks another
        // scheme, or moved) is forgotten: ping, and try once more.
        let stale = endpoint.remembered
            && match &sent {
                Err(
                    FetchError::Connect { .. }
                    | FetchError::Tls { .. }
                    | FetchError::Transport { .. },
                ) => true,
                // Plain HTTP to a TLS port: Go's server answers 400.
                Ok(resp) => {
                    endpoint.base.scheme() == "http" && resp.status() == StatusCode::BAD_REQUEST
                }
                Err(_) => false,
            };
        if !stale {
            return sent.map(|resp| (resp, permit));
        }
        let endpoint = self.rediscover(&endpoint).await?;
        let resp = self.send_on(&endpoint, path, accept, scope, kind).await?;
        Ok((resp, permit))
    }

    async fn send_on(
        &self,
        endpoint: &Endpoint,
        path: &str,
        accept: &[&str],
        scope: &str,
        kind: RequestKind,
    ) -> Result<reqwest::Response, FetchError> {
        let url = endpoint.base.join(path).map_err(|e| FetchError::BadPath {
            path: path.to_string(),
            detail: e.to_string(),
        })?;
        // A path that joins to another host (`//host/…`) would take the credentials with it.
        if url.origin() != endpoint.base.origin() {
            return Err(FetchError::PathLeaves {
                registry: self.registry.clone(),
                path: crate::sanitize::sanitize(path).into_owned(),
            });
        }
        self.send_authorized(endpoint, &url, accept, scope, kind)
            .await
    }

    /// HEADs `path`: whether the registry still has it (`false` on 404), without reading it.
    pub async fn exists(
        &self,
        path: &str,
        accept: &[&str],
        scope: &str,
        what: &str,
    ) -> Result<bool, FetchError> {
        Ok(self.head(path, accept, scope, what).await?.is_some())
    }

    /// HEADs `path`: the digest and type the registry names for it, or `None` on 404.
    pub async fn head(
        &self,
        path: &str,
        accept: &[&str],
        scope: &str,
        what: &str,
    ) -> Result<Option<Head>, FetchError> {
        self.with_retries(|| async {
            let (resp, _permit) = self
                .send_path(path, accept, scope, RequestKind::Head)
                .await?;
            let status = resp.status().as_u16();
            match status {
                200..=299 => Ok(Some(Head {
                    docker_digest: header(resp.headers(), "docker-content-digest"),
                    content_type: header(resp.headers(), CONTENT_TYPE.as_str()),
                })),
                404 => Ok(None),
                // A HEAD answer has no body to explain itself with.
                _ => Err(self.status_error(status, resp.headers(), &[], what)),
            }
        })
        .await
    }

    /// Sends a request (GET, or HEAD for an existence check) with what `scope` needs; on a 401 from the registry itself, acts on that
    /// response's `WWW-Authenticate` (another scope, realm or scheme, or a stale token) and
    /// retries once.
    async fn send_authorized(
        &self,
        endpoint: &Endpoint,
        url: &Url,
        accept: &[&str],
        scope: &str,
        kind: RequestKind,
    ) -> Result<reqwest::Response, FetchError> {
        let sent = self.authorization(&endpoint.current(), scope).await?;
        let resp = self
            .send_following_redirects(url, accept, sent.header().as_deref(), kind)
            .await?;
        // Only the registry's own 401 may steer credentials: one from the storage host a
        // redirect led to never saw them, and its challenge could point them anywhere.
        if resp.url().origin() != url.origin() {
            return self.foreign_refusal(resp);
        }
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        match self
            .reauthorize(endpoint, resp.headers(), scope, &sent)
            .await?
        {
            Some(retry) => {
                self.send_following_redirects(url, accept, retry.header().as_deref(), kind)
                    .await
            }
            None => Ok(resp),
        }
    }

    /// A response from the host a redirect led to: a 401 or 403 there is not about the
    /// registry's login (its credentials were never sent there), so it is said as such.
    fn foreign_refusal(&self, resp: reqwest::Response) -> Result<reqwest::Response, FetchError> {
        let status = resp.status().as_u16();
        if !matches!(status, 401 | 403) {
            return Ok(resp);
        }
        Err(FetchError::ForeignRefusal {
            registry: self.registry.clone(),
            target: origin_name(resp.url()),
            status,
        })
    }

    /// What to retry a request the registry refused with (401) after sending `sent`, or
    /// `None` when a retry could only be refused again.
    async fn reauthorize(
        &self,
        endpoint: &Endpoint,
        headers: &HeaderMap,
        scope: &str,
        sent: &Sent,
    ) -> Result<Option<Sent>, FetchError> {
        let Some(asked) = response_challenge(headers) else {
            // No usable challenge: all we can try is a fresh token in place of the one sent.
            return match sent {
                Sent::Bearer { key, token } => Ok(Some(Sent::Bearer {
                    key: key.clone(),
                    token: self.token(key, Some(token)).await?,
                })),
                Sent::Anonymous | Sent::Basic(_) => Ok(None),
            };
        };
        endpoint.learn(asked.challenge.clone());
        if let Some(memory) = &self.memory {
            memory.put_endpoint(&self.host, &endpoint.record());
        }
        match &asked.challenge {
            Challenge::Bearer { realm, service } => {
                // The scopes the registry names plus ours, as containerd asks for them.
                let key = TokenKey::new(realm, service.as_deref(), scope, &asked.scopes);
                // Refused for the very scopes it holds: the token expired, was revoked or
                // predates a grant. Renew it, once for all the requests that sent it.
                let stale = match sent {
                    Sent::Bearer { key: k, token } if *k == key => Some(token.as_str()),
                    _ => None,
                };
                let token = self.token(&key, stale).await?;
                Ok(Some(Sent::Bearer { key, token }))
            }
            Challenge::Basic => Ok(match (&self.opts.credentials, sent) {
                // Already refused, or nothing to send: a retry would be refused again.
                (None, _) | (_, Sent::Basic(_)) => None,
                (Some(c), _) => Some(Sent::Basic(c.basic_header())),
            }),
            Challenge::None => Ok(None),
        }
    }

    async fn finish(
        &self,
        resp: reqwest::Response,
        limit: u64,
        what: &str,
    ) -> Result<Response, FetchError> {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if (200..300).contains(&status) {
            let body = self.read_limited(resp, limit, what).await?;
            return Ok(Response {
                headers: headers
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((k.as_str().to_string(), v.to_str().ok()?.to_string()))
                    })
                    .collect(),
                content_type: header(&headers, CONTENT_TYPE.as_str()),
                docker_digest: header(&headers, "docker-content-digest"),
                link: header(&headers, "link"),
                body,
            });
        }
        // Error bodies are small; never read more than 64 KiB of one.
        let body = self
            .read_limited(resp, 64 * 1024, what)
            .await
            .unwrap_or_default();
        Err(self.status_error(status, &headers, &body, what))
    }

    fn status_error(
        &self,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        what: &str,
    ) -> FetchError {
        let registry = self.registry.clone();
        let mut detail = registry_detail(body);
        if matches!(status, 401 | 403) && (is_ecr(&self.registry) || is_ecr(&self.host)) {
            detail.push_str(&format!(
                "; ECR logins expire after 12 hours: run `aws ecr get-login-password | docker login --username AWS --password-stdin {}` or use docker-credential-ecr-login as a credHelper",
                self.registry
            ));
        }
        match status {
            404 => FetchError::NotFound {
                what: what.to_string(),
                code: registry_code(body).unwrap_or_else(|| "404".into()),
            },
            401 => FetchError::Unauthorized { registry, detail },
            403 => FetchError::Forbidden { registry, detail },
            429 => FetchError::RateLimited {
                advice: self.rate_limit_advice(),
                registry,
                retry_after: header(headers, RETRY_AFTER.as_str())
                    .and_then(|v| v.trim().parse().ok()),
            },
            500..=599 => FetchError::Server {
                registry,
                status,
                detail,
            },
            _ => FetchError::Unexpected {
                registry,
                status,
                what: what.to_string(),
                detail,
            },
        }
    }

    /// What a 429 means for this client: the limit the registry stated, and what a login
    /// would change (Docker Hub counts requests without one per IP address, with the lowest
    /// limit; with one, the limit is the account's and logging in again changes nothing).
    fn rate_limit_advice(&self) -> String {
        // The names users write for Docker Hub (`auth` normalises them, but sits a floor up).
        let hub = matches!(
            self.registry.as_str(),
            "docker.io" | "index.docker.io" | "registry-1.docker.io"
        );
        let mut advice = match self.stats.rate_limit() {
            Some(limit) => format!("; the registry states {}", limit.short()),
            None => String::new(),
        };
        match &self.opts.credentials {
            None if hub => advice.push_str(&format!(
                "; without a login Docker Hub counts pulls per IP address with its lowest limit: `docker login {}` counts them against your account's higher one",
                self.registry
            )),
            None => advice.push_str(&format!(
                "; these requests carry no login: `docker login {}` may raise the limit",
                self.registry
            )),
            Some(c) => advice.push_str(&format!(
                "; the limit is that of the login {}, which logging in again does not change: wait, or use an account with a higher limit",
                crate::sanitize::sanitize(&c.username)
            )),
        }
        advice
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A private ECR registry: `123456789012.dkr.ecr.eu-west-1.amazonaws.com`, the China
/// partition, FIPS (`dkr.ecr-fips`) and dual-stack (`dkr-ecr.REGION.on.aws`) hosts.
fn is_ecr(host: &str) -> bool {
    // The one recogniser (FIPS and dual-stack hosts too); ECR Public logs in another way.
    super::ecr_host::EcrHost::parse(host).is_some_and(|h| h.private().is_some())
}

#[cfg(test)]
mod tests {
    use super::super::tokens::{
        parse_token_response, renew_margin, token_lifetime, MAX_TOKEN_LIFETIME,
    };
    use super::*;
    use reqwest::header::WWW_AUTHENTICATE;

    #[test]
    fn the_ecr_login_hint_knows_fips_and_dual_stack_hosts() {
        for host in [
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
            "123456789012.dkr-ecr.eu-west-1.on.aws",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443",
        ] {
            assert!(is_ecr(host), "{host}");
        }
        for host in ["public.ecr.aws", "dkr.ecr.example.com", "127.0.0.1:5000"] {
            assert!(!is_ecr(host), "{host}");
        }
    }

    #[test]
    fn parses_challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
        assert_eq!(
            parse_challenge(
                r#"Basic realm="https://1234.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#
            ),
            Challenge::Basic
        );
        assert_eq!(parse_challenge("Negotiate"), Challenge::None);
    }

    #[test]
    fn a_401_names_the_scope_it_wants_and_why_it_refused() {
        let asked = parse_www_authenticate(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:team/app:pull",error="insufficient_scope""#,
        );
        assert_eq!(
            asked,
            AuthChallenge {
                challenge: Challenge::Bearer {
                    realm: "https://auth.example/token".into(),
                    service: Some("reg".into()),
                },
                scopes: vec!["repository:team/app:pull".into()],
                error: Some("insufficient_scope".into()),
            }
        );
        // Several scopes, space-separated; parameters in any order, names in any case.
        let asked = parse_www_authenticate(
            r#"bearer ERROR="invalid_token", scope="repository:a:pull repository:b:pull,push", realm="https://r/t""#,
        );
        assert_eq!(
            asked.scopes,
            vec!["repository:a:pull", "repository:b:pull,push"]
        );
        assert_eq!(asked.error.as_deref(), Some("invalid_token"));
        assert_eq!(
            asked.challenge,
            Challenge::Bearer {
                realm: "https://r/t".into(),
                service: None
            }
        );
        // A ping's challenge names neither.
        let ping = parse_www_authenticate(r#"Basic realm="Registry Realm""#);
        assert_eq!(ping.challenge, Challenge::Basic);
        assert!(ping.scopes.is_empty() && ping.error.is_none());
    }

    #[test]
    fn a_401_with_both_schemes_is_answered_with_a_token() {
        let mut headers = HeaderMap::new();
        headers.append(
            WWW_AUTHENTICATE,
            "Basic realm=\"x\"".parse().expect("value"),
        );
        headers.append(
            WWW_AUTHENTICATE,
            "Bearer realm=\"https://r/t\",scope=\"repository:a:pull\""
                .parse()
                .expect("value"),
        );
        let asked = response_challenge(&headers).expect("a challenge");
        assert!(matches!(asked.challenge, Challenge::Bearer { .. }));
        assert_eq!(asked.scopes, vec!["repository:a:pull"]);
        headers.remove(WWW_AUTHENTICATE);
        headers.append(WWW_AUTHENTICATE, "Negotiate".parse().expect("value"));
        assert_eq!(response_challenge(&headers), None);
    }

    #[test]
    fn token_keys_merge_the_scopes_a_401_names_with_ours() {
        let key = TokenKey::new(
            "https://r/t",
            Some("reg"),
            "repository:b:pull",
            &["repository:a:pull repository:b:pull".into()],
        );
        assert_eq!(key.scopes, vec!["repository:a:pull", "repository:b:pull"]);
        assert!(TokenKey::new("https://r/t", None, "", &[])
            .scopes
            .is_empty());
    }

    #[test]
    fn token_responses_with_and_without_a_lifetime() {
        let floor = DEFAULT_TOKEN_LIFETIME;
        let (token, expires_in) = parse_token_response(
            br#"{"token":"t1","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"}"#,
        )
        .expect("parsed");
        assert_eq!((token.as_str(), expires_in), ("t1", Some(300)));
        assert_eq!(token_lifetime(expires_in, floor), Duration::from_mins(5));

        // No `expires_in`: the spec's 60 s. OAuth2 issuers answer `access_token` only.
        let (token, expires_in) =
            parse_token_response(br#"{"access_token":"t2"}"#).expect("parsed");
        assert_eq!((token.as_str(), expires_in), ("t2", None));
        assert_eq!(token_lifetime(None, floor), Duration::from_mins(1));

        // Less than 60 s is read as 60 s, unless the floor is lowered (tests).
        let (_, expires_in) =
            parse_token_response(br#"{"token":"t","expires_in":10}"#).expect("parsed");
        assert_eq!(token_lifetime(expires_in, floor), Duration::from_mins(1));
        assert_eq!(
            token_lifetime(expires_in, Duration::ZERO),
            Duration::from_secs(10)
        );

        // Odd lifetimes are tolerated, never fatal.
        for (body, want) in [
            (&br#"{"token":"t","expires_in":"120"}"#[..], Some(120)),
            (br#"{"token":"t","expires_in":90.5}"#, Some(90)),
            (br#"{"token":"t","expires_in":-5}"#, None),
            (br#"{"token":"t","expires_in":null}"#, None),
        ] {
            assert_eq!(parse_token_response(body).expect("parsed").1, want);
        }
        assert_eq!(
            token_lifetime(Some(u64::MAX), floor),
            MAX_TOKEN_LIFETIME,
            "capped"
        );

        // An empty `token` falls back to `access_token`; neither is malformed.
        let (token, _) =
            parse_token_response(br#"{"token":"","access_token":"t3"}"#).expect("parsed");
        assert_eq!(token, "t3");
        assert!(matches!(
            parse_token_response(br#"{"expires_in":60}"#),
            Err(FetchError::Malformed { .. })
        ));
    }

    #[test]
    fn tokens_are_renewed_a_few_seconds_early_but_not_most_of_a_short_life() {
        assert_eq!(renew_margin(Duration::from_mins(5)), Duration::from_secs(5));
        assert_eq!(
            renew_margin(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
    }
}

//! The OCI distribution protocol over HTTP: endpoint discovery, auth challenges, bounded reads.
//!
//! oci-client's `Client` reads whole bodies without a cap, turns a digest mismatch into an
//! error that drops the bytes and hides status headers (Retry-After, Link), so the requests
//! are ours; oci-client supplies the reference grammar. Redirects are followed by hand so
//! credentials never travel to another host (ECR and Docker Hub redirect blobs to S3/CDNs).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use reqwest::header::{
    HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE,
};
use tokio::sync::{Mutex, OnceCell, Semaphore};
use url::Url;

use super::credentials::Credentials;
use super::error::{registry_code, registry_detail, FetchError};
use super::stats::{RequestKind, Stats};

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
    /// The credentials' secret is an identity (OAuth2 refresh) token, not a password.
    pub identity_token: bool,
    /// Requests in flight at once against this registry.
    pub concurrency: usize,
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
            concurrency: 8,
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

/// What a registry's `/v2/` ping asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct Endpoint {
    base: Url,
    challenge: Challenge,
}

/// One registry, reached over HTTP(S).
pub struct HttpRegistry {
    registry: String,
    host: String,
    opts: HttpOptions,
    client: reqwest::Client,
    endpoint: OnceCell<Endpoint>,
    tokens: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
    permits: Semaphore,
    stats: Arc<Stats>,
}

const MAX_REDIRECTS: usize = 5;

impl HttpRegistry {
    /// `registry` is the name users write; `host` the API host (they differ for Docker Hub).
    pub fn new(
        registry: &str,
        host: &str,
        opts: HttpOptions,
        stats: Arc<Stats>,
    ) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(opts.timeout)
            .user_agent(concat!("regscope/", env!("CARGO_PKG_VERSION")));
        for pem in &opts.ca_pems {
            let certs = super::tls::parse_pem_certs(pem)
                .map_err(|e| FetchError::Other(format!("the CA file is not usable: {e}")))?;
            for der in certs {
                let cert = reqwest::Certificate::from_der(der.as_ref()).map_err(|e| {
                    FetchError::Other(format!("the CA file holds a bad certificate: {e}"))
                })?;
                builder = builder.add_root_certificate(cert);
            }
        }
        if opts.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Other(format!("cannot set up HTTP: {e}")))?;
        let permits = Semaphore::new(opts.concurrency.max(1));
        Ok(Self {
            registry: registry.to_string(),
            host: host.to_string(),
            opts,
            client,
            endpoint: OnceCell::new(),
            tokens: Mutex::new(HashMap::new()),
            permits,
            stats,
        })
    }

    #[must_use]
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The challenge the registry answered on `/v2/` (pings once).
    pub async fn challenge(&self) -> Result<Challenge, FetchError> {
        Ok(self.endpoint().await?.challenge.clone())
    }

    /// Checks that the credentials (or anonymous access) work: a token without a repository
    /// scope when the registry wants bearer tokens, then `/v2/` with it, as `docker login` does.
    pub async fn verify_access(&self) -> Result<(), FetchError> {
        let endpoint = self.endpoint().await?;
        if matches!(endpoint.challenge, Challenge::Basic) && self.opts.credentials.is_none() {
            return Err(FetchError::Unauthorized {
                registry: self.registry.clone(),
                detail: String::new(),
            });
        }
        let auth = self.authorization(endpoint, "", None).await?;
        let url = endpoint
            .base
            .join("/v2/")
            .map_err(|e| FetchError::Other(e.to_string()))?;
        let resp = self
            .send_following_redirects(&url, &[], auth.as_deref(), RequestKind::Ping)
            .await?;
        self.finish(resp, 64 * 1024, "the /v2/ endpoint")
            .await
            .map(|_| ())
    }

    /// The headers of a manifest request for `repo:reference` (for rate-limit diagnostics).
    pub async fn manifest_headers(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Vec<(String, String)>, FetchError> {
        let resp = self
            .get(
                &format!("/v2/{repo}/manifests/{reference}"),
                crate::model::media_type::MANIFEST_ACCEPT,
                &format!("repository:{repo}:pull"),
                RequestKind::Manifest,
                4 * 1024 * 1024,
                "a manifest",
            )
            .await?;
        Ok(resp.headers)
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
        let endpoint = self.endpoint().await?;
        let url = endpoint
            .base
            .join(path)
            .map_err(|e| FetchError::Other(format!("bad request path {path}: {e}")))?;
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| FetchError::Other("shutting down".into()))?;
        let mut auth = self.authorization(endpoint, scope, None).await?;
        let mut retried = false;
        loop {
            let resp = self
                .send_following_redirects(&url, accept, auth.as_deref(), kind)
                .await?;
            let status = resp.status().as_u16();
            if status == 401 && !retried && matches!(endpoint.challenge, Challenge::Bearer { .. }) {
                // An expired or under-scoped token: fetch a fresh one once.
                retried = true;
                auth = self.authorization(endpoint, scope, auth.as_deref()).await?;
                continue;
            }
            return self.finish(resp, limit, what).await;
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
        if matches!(status, 401 | 403) && is_ecr(&self.host) {
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

    async fn read_limited(
        &self,
        resp: reqwest::Response,
        limit: u64,
        what: &str,
    ) -> Result<Bytes, FetchError> {
        if let Some(len) = resp.content_length() {
            if len > limit {
                return Err(FetchError::TooLarge {
                    what: what.to_string(),
                    limit,
                    size: Some(len),
                });
            }
        }
        let mut buf = BytesMut::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.transport_error(&e))?;
            if (buf.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge {
                    what: what.to_string(),
                    limit,
                    size: None,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        self.stats.add_bytes(buf.len() as u64);
        Ok(buf.freeze())
    }

    /// Sends a GET, following redirects by hand: `Authorization` goes only to the registry's own
    /// origin, never to the storage backend a blob redirect points at.
    async fn send_following_redirects(
        &self,
        url: &Url,
        accept: &[&str],
        auth: Option<&str>,
        kind: RequestKind,
    ) -> Result<reqwest::Response, FetchError> {
        let origin = url.origin();
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self.client.get(current.clone());
            if !accept.is_empty() {
                req = req.header(ACCEPT, accept.join(", "));
            }
            if let Some(a) = auth.filter(|_| current.origin() == origin) {
                req = req.header(AUTHORIZATION, a);
            }
            self.stats.count(kind);
            let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let Some(location) = header(resp.headers(), LOCATION.as_str()) else {
                return Ok(resp);
            };
            current = current.join(&location).map_err(|e| {
                FetchError::Other(format!("{} sent a bad redirect: {e}", self.registry))
            })?;
        }
        Err(FetchError::Other(format!(
            "{} redirected more than {MAX_REDIRECTS} times",
            self.registry
        )))
    }

    /// Discovers scheme and auth challenge with one `/v2/` ping, once per registry.
    async fn endpoint(&self) -> Result<&Endpoint, FetchError> {
        self.endpoint.get_or_try_init(|| self.discover()).await
    }

    async fn discover(&self) -> Result<Endpoint, FetchError> {
        // Docker talks plain HTTP to loopback registries that do not speak TLS; so do we.
        let schemes: &[&str] = if self.opts.plain_http {
            &["http"]
        } else if is_loopback(&self.host) {
            &["https", "http"]
        } else {
            &["https"]
        };
        let mut last = None;
        for scheme in schemes {
            let base = Url::parse(&format!("{scheme}://{}/", self.host)).map_err(|e| {
                FetchError::Other(format!("`{}` is not a valid registry host: {e}", self.host))
            })?;
            let ping = base
                .join("/v2/")
                .map_err(|e| FetchError::Other(e.to_string()))?;
            self.stats.count(RequestKind::Ping);
            match self.client.get(ping).send().await {
                Ok(resp) => {
                    let challenge = match resp.status().as_u16() {
                        401 => header(resp.headers(), WWW_AUTHENTICATE.as_str())
                            .map_or(Challenge::None, |h| parse_challenge(&h)),
                        _ => Challenge::None,
                    };
                    return Ok(Endpoint { base, challenge });
                }
                Err(e) => match self.transport_error(&e) {
                    // The server speaks TLS but we do not trust it: never downgrade to HTTP;
                    // say what it presented.
                    FetchError::Tls { host, detail, .. } => {
                        let presented = super::tls::presented_certificate(&self.host)
                            .await
                            .map(|c| c.describe());
                        return Err(FetchError::Tls {
                            host,
                            detail,
                            presented,
                        });
                    }
                    other => last = Some(other),
                },
            }
        }
        Err(last.unwrap_or_else(|| FetchError::Other("no scheme to try".into())))
    }

    /// The `Authorization` header value for `scope`, fetching a token if needed. `stale` is a
    /// header the registry just refused: only a cached token equal to it is replaced, so many
    /// requests failing on one expired token renew it once.
    async fn authorization(
        &self,
        endpoint: &Endpoint,
        scope: &str,
        stale: Option<&str>,
    ) -> Result<Option<String>, FetchError> {
        match &endpoint.challenge {
            Challenge::None => Ok(None),
            Challenge::Basic => Ok(self
                .opts
                .credentials
                .as_ref()
                .map(Credentials::basic_header)),
            Challenge::Bearer { realm, service } => {
                let cell = {
                    let mut tokens = self.tokens.lock().await;
                    if let Some(stale) = stale.and_then(|h| h.strip_prefix("Bearer ")) {
                        let current = tokens.get(scope).and_then(|c| c.get().cloned());
                        if current.as_deref() == Some(stale) {
                            tokens.remove(scope);
                        }
                    }
                    tokens.entry(scope.to_string()).or_default().clone()
                };
                // Single flight: concurrent requests for one scope share one token request.
                let token = cell
                    .get_or_try_init(|| self.fetch_token(realm, service.as_deref(), scope))
                    .await?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, FetchError> {
        let mut url = Url::parse(realm).map_err(|e| {
            FetchError::Other(format!("{} sent a bad token realm: {e}", self.registry))
        })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            if !scope.is_empty() {
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
                if !scope.is_empty() {
                    form.append_pair("scope", scope);
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
        self.stats.count(RequestKind::Token);
        let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = self
            .read_limited(resp, 1024 * 1024, "the token response")
            .await?;
        if !(200..300).contains(&status) {
            return Err(self.status_error(status, &headers, &body, "a token"));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| FetchError::Malformed {
                what: "the token response".into(),
                detail: e.to_string(),
            })?;
        parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| FetchError::Malformed {
                what: "the token response".into(),
                detail: "it holds no token".into(),
            })
    }

    fn transport_error(&self, e: &reqwest::Error) -> FetchError {
        let host = self.host.clone();
        let detail = error_chain(e);
        if e.is_timeout() {
            return FetchError::Timeout {
                host,
                after: self.opts.timeout,
            };
        }
        // Only a refused certificate is a TLS problem to explain; "corrupt message" means the
        // server does not speak TLS at all (a plain-HTTP registry).
        if detail.to_ascii_lowercase().contains("certificate") {
            return FetchError::Tls {
                host,
                detail,
                presented: None,
            };
        }
        if e.is_connect() {
            return FetchError::Connect { host, detail };
        }
        FetchError::Transport { host, detail }
    }
}

/// The innermost cause of an error ("Connection refused (os error 111)", "invalid peer
/// certificate: UnknownIssuer"), without URLs (they may carry tokens in queries).
fn error_chain(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut text = None;
    while let Some(s) = source {
        text = Some(s.to_string());
        source = s.source();
    }
    crate::sanitize::sanitize(&text.unwrap_or_else(|| e.to_string())).into_owned()
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `123456789012.dkr.ecr.eu-west-1.amazonaws.com` (and the `.com.cn` partitions).
fn is_ecr(host: &str) -> bool {
    let name = host.split(':').next().unwrap_or(host);
    name.contains(".dkr.ecr.")
        && (name.ends_with(".amazonaws.com") || name.ends_with(".amazonaws.com.cn"))
}

/// Whether `host[:port]` names this machine.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Parses `WWW-Authenticate: Bearer realm="…",service="…"` (or `Basic realm="…"`).
#[must_use]
pub fn parse_challenge(value: &str) -> Challenge {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Challenge::Basic;
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Challenge::None;
    }
    let params = parse_auth_params(rest);
    match params.get("realm") {
        Some(realm) => Challenge::Bearer {
            realm: realm.clone(),
            service: params.get("service").cloned(),
        },
        None => Challenge::None,
    }
}

fn parse_auth_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        out.insert(key, value.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "localhost",
            "localhost:5000",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["ghcr.io", "10.0.0.1:5000", "registry.local:443"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}

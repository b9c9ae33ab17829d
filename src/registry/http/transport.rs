//! The transport under every request: retries with backoff (and `Retry-After`), the request
//! deadline, redirects followed by hand (credentials only to the registry's own origin), bodies
//! read under a cap, and transport errors in words.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures::StreamExt as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, LOCATION};
use url::Url;

use super::super::error::FetchError;
use super::super::stats::RequestKind;
use super::{header, HttpRegistry};

const MAX_REDIRECTS: usize = 5;

/// Attempts an idempotent request gets when the registry is busy or the connection drops.
const ATTEMPTS: u32 = 3;
/// The first backoff; each retry waits twice as long, plus up to half again of jitter.
const BACKOFF: Duration = Duration::from_millis(250);
/// The longest `Retry-After` regscope waits out; a longer one is reported instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// How long to wait before retrying after `error` on try `tries` (0-based), if at all.
fn retry_delay(tries: u32, error: &FetchError) -> Option<Duration> {
    let backoff = || {
        let base = BACKOFF * 2u32.saturating_pow(tries);
        // Jitter from the clock: spreads clients that failed together, no RNG needed.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        base + base.mul_f64(f64::from(nanos % 1000) / 2000.0)
    };
    match error {
        FetchError::RateLimited {
            retry_after: Some(secs),
            ..
        } => {
            let asked = Duration::from_secs(*secs);
            (asked <= MAX_RETRY_AFTER).then(|| asked.max(backoff()))
        }
        FetchError::RateLimited {
            retry_after: None, ..
        }
        | FetchError::Server {
            status: 502..=504, ..
        }
        | FetchError::Transport { .. } => Some(backoff()),
        _ => None,
    }
}

impl HttpRegistry {
    /// Runs `attempt` (one whole request: connect, headers and body) within the request
    /// deadline, again after a backoff when it failed in a way a retry can mend: 429 with a
    /// short or no `Retry-After`, 502/503/504, or a connection reset. Every request regscope
    /// sends is a GET or HEAD, so repeating one is safe.
    pub(super) async fn with_retries<T, F, Fut>(&self, attempt: F) -> Result<T, FetchError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, FetchError>>,
    {
        let mut tries = 0;
        loop {
            let result = match tokio::time::timeout(self.opts.timeout, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(FetchError::Timeout {
                    host: self.host.clone(),
                    after: self.opts.timeout,
                }),
            };
            let delay = match &result {
                Err(e) if tries + 1 < ATTEMPTS => retry_delay(tries, e),
                _ => None,
            };
            let Some(delay) = delay else {
                return result;
            };
            self.stats.retried();
            tokio::time::sleep(delay).await;
            tries += 1;
        }
    }

    pub(super) async fn read_limited(
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
    pub(super) async fn send_following_redirects(
        &self,
        url: &Url,
        accept: &[&str],
        auth: Option<&str>,
        kind: RequestKind,
    ) -> Result<reqwest::Response, FetchError> {
        self.refuse_if_offline("a request to the registry")?;
        let origin = url.origin();
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self.client.request(kind.method(), current.clone());
            if !accept.is_empty() {
                req = req.header(ACCEPT, accept.join(", "));
            }
            if let Some(a) = auth.filter(|_| current.origin() == origin) {
                req = req.header(AUTHORIZATION, a);
            }
            self.stats.count(kind);
            let started = Instant::now();
            let resp = req.send().await;
            self.stats.took(started);
            let resp = resp.map_err(|e| self.transport_error(&e))?;
            // Docker Hub states its pull limit on manifest answers, refusals included: the
            // latest one stated is what the TUI's header and `regscope auth` show.
            if current.origin() == origin {
                self.stats.saw_rate_limit(resp.headers());
            }
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let Some(location) = header(resp.headers(), LOCATION.as_str()) else {
                return Ok(resp);
            };
            let bad = |detail: String| FetchError::BadRedirect {
                registry: self.registry.clone(),
                detail,
            };
            current = current
                .join(&location)
                .map_err(|e| bad(format!("its Location cannot be read ({e})")))?;
            // `file://`, `gopher://`, ...: nothing a registry client may be sent to.
            if !matches!(current.scheme(), "http" | "https") {
                return Err(bad(format!(
                    "it points at a {}: URL, which is not HTTP(S)",
                    crate::sanitize::sanitize(current.scheme())
                )));
            }
        }
        Err(FetchError::BadRedirect {
            registry: self.registry.clone(),
            detail: format!("more than {MAX_REDIRECTS} redirects in a row"),
        })
    }

    pub(super) fn transport_error(&self, e: &reqwest::Error) -> FetchError {
        let proxy = e.url().and_then(|u| self.proxies.for_url(u));
        let limit = super::super::cause::connect_timeout(self.opts.timeout);
        let named = super::super::cause::connect_failure(
            &self.host,
            e,
            proxy.as_ref().map(proxy_name),
            limit,
        );
        if let Some(failure) = named {
            return failure;
        }
        let host = self.host.clone();
        let detail = error_chain(e);
        // A request that could not even be built (a header value with a control character,
        // from something the registry sent) fails the same way every time: not retried.
        if e.is_builder() {
            return FetchError::Malformed {
                what: format!("a request to {host} built from the registry's answers"),
                detail,
            };
        }
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
        if let Some(proxy) = e.url().and_then(|u| self.proxies.for_url(u)) {
            if e.is_connect() || !detail.to_ascii_lowercase().contains("certificate") {
                return FetchError::Proxy {
                    host,
                    proxy: proxy_name(&proxy),
                    detail,
                };
            }
        }
        if e.is_connect() {
            return FetchError::Connect { host, detail };
        }
        FetchError::Transport { host, detail }
    }
}

/// `host[:port]` of `url`, for messages (never its path or query: they may carry tokens).
pub(super) fn origin_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    let name = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    crate::sanitize::sanitize(&name).into_owned()
}

/// A proxy as messages name it: scheme, host and port, never its credentials.
pub(super) fn proxy_name(proxy: &Url) -> String {
    format!(
        "{}://{}{}",
        proxy.scheme(),
        proxy.host_str().unwrap_or("?"),
        proxy.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

/// The innermost cause of an error ("Connection refused (os error 111)", "invalid peer
/// certificate: `UnknownIssuer`"), without URLs (they may carry tokens in queries).
pub(super) fn error_chain(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let mut text = None;
    while let Some(s) = source {
        text = Some(s.to_string());
        source = s.source();
    }
    crate::sanitize::sanitize(&text.unwrap_or_else(|| e.to_string())).into_owned()
}

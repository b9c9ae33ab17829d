//! The HTTP side of a service's own API: JSON pages read within a byte bound, a 429 waited out
//! only within the deadline, and next-page links followed only on the API's own origin (the
//! token never goes anywhere else).

use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use url::Url;

use crate::sanitize::sanitize;

/// The most bytes one page (or token answer) may take.
pub const MAX_BODY: usize = 8 * 1024 * 1024;
/// A 429 is retried this many times at most, each within the deadline.
const MAX_RETRIES: usize = 3;
/// The longest `Retry-After` waited out; longer ones are reported instead.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Why one request to the API failed, in words for the user (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status, when the API answered.
    pub status: Option<u16>,
    /// The API's own message (sanitized, bounded) or the transport's.
    pub detail: String,
    /// The OAuth scope the API wanted and the token lacks (GitHub's
    /// `X-Accepted-OAuth-Scopes` against `X-OAuth-Scopes`).
    pub missing_scope: Option<String>,
    /// The API's TLS certificate was refused: what the server presented (subject, issuer),
    /// so the user can tell a private CA from an intercepting proxy.
    pub untrusted: Option<String>,
}

impl ApiError {
    fn transport(detail: impl Into<String>) -> Self {
        Self {
            status: None,
            detail: detail.into(),
            missing_scope: None,
            untrusted: None,
        }
    }

    /// `403, the token lacks read:packages`, `401: bad credentials`, `cannot connect: ...`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut text = self.status.map(|s| s.to_string()).unwrap_or_default();
        if let Some(scope) = &self.missing_scope {
            text.push_str(&format!(", the token lacks {scope}"));
        } else if !self.detail.is_empty() {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&self.detail);
        }
        if let Some(presented) = &self.untrusted {
            text.push_str(&format!("; {presented}"));
        }
        text
    }
}

/// One client for one service's API, with the `Authorization` value once logged in.
pub struct Api {
    client: reqwest::Client,
    proxies: crate::registry::proxy::ProxyConfig,
    pub base: Url,
    /// The header that carries the login (`Authorization`, GitLab's `PRIVATE-TOKEN`).
    auth: Option<(&'static str, String)>,
    deadline: Instant,
}

/// One answer: its JSON and the `Link: rel="next"` target on the API's own origin.
pub struct Answer<T> {
    pub body: T,
    pub next: Option<Url>,
}

impl Api {
    /// A client for `base` that trusts what `trust` says (the registry's own trust: one
    /// builder for both) and gives up at `deadline`; `timeout` bounds each request.
    pub fn new(
        base: Url,
        trust: &crate::connect::Trust,
        timeout: Duration,
        deadline: Instant,
    ) -> Result<Self, ApiError> {
        let proxies = crate::registry::proxy::ProxyConfig::from_env();
        let client = crate::registry::trust::http_client(
            &trust.ca_pems,
            trust.info.insecure.is_some(),
            timeout,
            timeout,
            &proxies,
        )
        .map_err(ApiError::transport)?;
        Ok(Self {
            client,
            proxies,
            base,
            auth: None,
            deadline,
        })
    }

    /// `host:port` of the API, as certs.d and the certificate probe name it.
    #[must_use]
    pub fn host(&self) -> String {
        let host = self.base.host_str().unwrap_or_default();
        match self.base.port_or_known_default() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }

    /// From now on requests carry `Authorization: value`.
    pub fn authorize(&mut self, value: String) {
        self.auth = Some(("authorization", value));
    }

    /// From now on requests carry `name: value` (GitLab's `PRIVATE-TOKEN`).
    pub fn authorize_with(&mut self, name: &'static str, value: String) {
        self.auth = Some((name, value));
    }

    /// `path` (with its query) on the API's base URL.
    pub fn url(&self, path: &str) -> Result<Url, ApiError> {
        let base = self.base.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path}"))
            .map_err(|e| ApiError::transport(format!("cannot make a URL of {path}: {e}")))
    }

    /// `next` (absolute, or a path) when it stays on the API's origin; `None` otherwise, so a
    /// page cannot send the token to another host.
    #[must_use]
    pub fn same_origin(&self, next: &str) -> Option<Url> {
        let url = self.base.join(next).ok()?;
        (url.origin() == self.base.origin()).then_some(url)
    }

    /// GET `url` as JSON.
    pub async fn get<T: DeserializeOwned>(&self, url: &Url) -> Result<Answer<T>, ApiError> {
        self.send(|| self.with_auth(self.client.get(url.clone())))
            .await
    }

    /// POST `body` as JSON to `path` (the token exchanges the services document; nothing else).
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, ApiError> {
        let url = self.url(path)?;
        let body = serde_json::to_vec(body)
            .map_err(|e| ApiError::transport(format!("cannot write the request: {e}")))?;
        self.send(|| {
            self.client
                .post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        })
        .await
        .map(|a| a.body)
    }

    fn with_auth(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Some((name, value)) => request.header(*name, value),
            None => request,
        }
    }

    /// Sends the request `make` builds, waiting out a 429 when its `Retry-After` ends before
    /// the deadline (at most [`MAX_RETRIES`] times).
    async fn send<T: DeserializeOwned>(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Answer<T>, ApiError> {
        for _ in 0..=MAX_RETRIES {
            let resp = match make()
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
            {
                Ok(resp) => resp,
                Err(e) => return Err(self.transport_error(&e).await),
            };
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let asked = resp.url().clone();
            let body = read_bounded(resp).await?;
            if status == 429 {
                let wait = header(&headers, "retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                match wait {
                    Some(w) if w <= MAX_WAIT && Instant::now() + w < self.deadline => {
                        tokio::time::sleep(w).await;
                        continue;
                    }
                    _ => {
                        return Err(ApiError {
                            status: Some(429),
                            detail: match wait {
                                Some(w) => format!("rate limited; retry after {}s", w.as_secs()),
                                None => "rate limited; retry later".into(),
                            },
                            missing_scope: None,
                            untrusted: None,
                        })
                    }
                }
            }
            if !(200..300).contains(&status) {
                return Err(refusal(status, &headers, &body));
            }
            let body = serde_json::from_slice(&body).map_err(|e| ApiError {
                status: Some(status),
                detail: format!("the answer is not the JSON this API documents: {e}"),
                missing_scope: None,
                untrusted: None,
            })?;
            let next = header(&headers, "link")
                .and_then(|l| crate::registry::next_link(&l))
                .and_then(|n| self.same_origin(&n))
                .or_else(|| next_page(&asked, &headers));
            return Ok(Answer { body, next });
        }
        Err(ApiError {
            status: Some(429),
            detail: format!("still rate limited after {MAX_RETRIES} waits; retry later"),
            missing_scope: None,
            untrusted: None,
        })
    }
}

impl Api {
    /// A request that did not get an answer; a refused certificate names what the server
    /// presented (a second handshake that sends nothing), as the registry client does.
    async fn transport_error(&self, e: &reqwest::Error) -> ApiError {
        let mut error = ApiError::transport(transport_words(e));
        if error.detail.to_ascii_lowercase().contains("certificate") {
            let host = self.host();
            let proxy = self.proxies.for_host(self.base.scheme(), &host);
            error.untrusted = Some(
                crate::registry::tls::presented_certificate(&host, proxy.as_ref())
                    .await
                    .map_or_else(
                        || "the server's certificate could not be read".to_string(),
                        |c| c.describe(),
                    ),
            );
        }
        error
    }
}

/// GitLab's `X-Next-Page: N` (sent where `Link` may be left out): `asked` with `page=N`.
fn next_page(asked: &Url, headers: &reqwest::header::HeaderMap) -> Option<Url> {
    let page: u32 = header(headers, "x-next-page")?.trim().parse().ok()?;
    let mut url = asked.clone();
    let kept: Vec<(String, String)> = asked
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("page", &page.to_string());
    Some(url)
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A transport failure in a few words (the URL carries no secret, but say only the cause).
fn transport_words(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut cause = String::new();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {}", sanitize(&cause))
    }
}

/// Reads the body up to [`MAX_BODY`] bytes.
async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| ApiError::transport(transport_words(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::transport(format!(
                "an answer is larger than {MAX_BODY} bytes; refusing to read it"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A non-2xx answer in words: the API's `message`/`detail`, and for GitHub the scope the
/// token lacks.
fn refusal(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> ApiError {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    // GitHub's `message`, Docker Hub's `detail`/`errinfo`, Harbor's `errors[0].message`.
    let message = ["message", "detail", "errinfo"]
        .iter()
        .find_map(|k| json.get(*k).and_then(|v| v.as_str()))
        .or_else(|| json.pointer("/errors/0/message").and_then(|v| v.as_str()))
        .unwrap_or_default();
    let mut detail = sanitize(message).into_owned();
    if detail.chars().count() > 200 {
        detail = detail.chars().take(200).collect::<String>() + "…";
    }
    let granted = header(headers, "x-oauth-scopes").unwrap_or_default();
    let missing_scope = header(headers, "x-accepted-oauth-scopes").and_then(|accepted| {
        let granted: Vec<&str> = granted.split(',').map(str::trim).collect();
        let wanted: Vec<&str> = accepted
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!wanted.is_empty() && !wanted.iter().any(|w| granted.contains(w)))
            .then(|| sanitize(&wanted.join(" or ")).into_owned())
    });
    // GitLab's `insufficient_scope` names the scopes that would do.
    let missing_scope = missing_scope.or_else(|| {
        (json.get("error").and_then(|v| v.as_str()) == Some("insufficient_scope"))
            .then(|| json.get("scope").and_then(|v| v.as_str()))
            .flatten()
            .map(|s| sanitize(&s.split_whitespace().collect::<Vec<_>>().join(" or ")).into_owned())
    });
    ApiError {
        status: Some(status),
        detail,
        missing_scope: if status == 403 { missing_scope } else { None },
        untrusted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        Api::new(
            Url::parse("https://hub.example").unwrap(),
            &crate::connect::Trust::default(),
            Duration::from_secs(1),
            Instant::now(),
        )
        .unwrap()
    }

    #[test]
    fn next_pages_stay_on_the_apis_origin() {
        let api = api();
        assert_eq!(
            api.same_origin("/v2/x?page=2").map(String::from),
            Some("https://hub.example/v2/x?page=2".to_string())
        );
        assert!(api.same_origin("https://evil.example/v2/x").is_none());
        assert!(api.same_origin("http://hub.example/v2/x").is_none());
    }

    #[test]
    fn gitlabs_next_page_header_moves_the_page_parameter() {
        let asked = Url::parse("https://gl.example/api/v4/projects?per_page=100&page=1").unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        assert!(next_page(&asked, &headers).is_none());
        headers.insert("x-next-page", "".parse().unwrap());
        assert!(next_page(&asked, &headers).is_none(), "the last page");
        headers.insert("x-next-page", "2".parse().unwrap());
        assert_eq!(
            next_page(&asked, &headers).map(String::from).as_deref(),
            Some("https://gl.example/api/v4/projects?per_page=100&page=2")
        );
    }

    #[test]
    fn a_403_names_the_scope_the_token_lacks() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-accepted-oauth-scopes", "read:packages".parse().unwrap());
        headers.insert("x-oauth-scopes", "repo".parse().unwrap());
        let e = refusal(403, &headers, br#"{"message":"need read:packages"}"#);
        assert_eq!(e.describe(), "403, the token lacks read:packages");
        let e = refusal(
            401,
            &reqwest::header::HeaderMap::new(),
            b"{\"message\":\"Bad\\u001b[31m\"}",
        );
        assert_eq!(e.describe(), "401: Bad\\u{1b}[31m");
    }
}

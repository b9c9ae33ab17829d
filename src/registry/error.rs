//! Fetch errors, written for the person at the terminal: the cause, then what to try.

use std::time::Duration;

/// Why something could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("{what} was not found ({code}); check the repository name and the tag or digest")]
    NotFound { what: String, code: String },
    #[error("{registry} refused the request as unauthenticated (401{detail}); log in with `docker login {registry}` or pass --username/--password-stdin")]
    Unauthorized { registry: String, detail: String },
    #[error("{registry} denied access (403{detail}); the credentials lack pull permission on this repository")]
    Forbidden { registry: String, detail: String },
    /// `advice` says what a login would change (none made: log in; made: it is the login's
    /// own limit) and what the registry stated of its limit.
    #[error("{registry} is rate limiting requests (429){}{advice}", retry_hint(*.retry_after))]
    RateLimited {
        registry: String,
        retry_after: Option<u64>,
        advice: String,
    },
    #[error("{registry} answered {status}{detail}; the registry is failing, try again later")]
    Server {
        registry: String,
        status: u16,
        detail: String,
    },
    /// `/v2/` answered something other than 200 or 401: whatever is there is not a registry
    /// regscope can talk to.
    #[error("{}", ping_message(host, *.status, detail))]
    NoRegistryApi {
        host: String,
        status: u16,
        detail: String,
    },
    #[error("{registry} answered {status}{detail} for {what}")]
    Unexpected {
        registry: String,
        status: u16,
        what: String,
        detail: String,
    },
    #[error("content does not match its digest: expected {expected}, got {actual}; the content is not trusted")]
    DigestMismatch { expected: String, actual: String },
    #[error("{what} is larger than the {limit}-byte limit{}; refusing to read it", size.map(|s| format!(" ({s} bytes)")).unwrap_or_default())]
    TooLarge {
        what: String,
        limit: u64,
        size: Option<u64>,
    },
    #[error("{what} is malformed: {detail}")]
    Malformed { what: String, detail: String },
    #[error("TLS with {host} failed: {detail}{}; to trust a private or proxy CA pass --ca-file PEM, set `ca_file` under [registry.\"{host}\"] in the config file, or put it at /etc/docker/certs.d/{host}/ca.crt (--insecure skips verification)", presented.as_deref().map(|p| format!("; {p}")).unwrap_or_default())]
    Tls {
        host: String,
        detail: String,
        presented: Option<String>,
    },
    #[error(
        "cannot connect to {host}: {detail}; check the address and that the registry is running"
    )]
    Connect { host: String, detail: String },
    /// The host name did not resolve: the registry may well be fine, the way to it is not.
    #[error("cannot resolve the name {name} ({detail}; {context}); check the name, your DNS and network (VPN), or HTTPS_PROXY/NO_PROXY if this network reaches registries only through a proxy")]
    Dns {
        name: String,
        detail: String,
        /// The resolver and proxy settings in effect.
        context: String,
    },
    /// Nothing accepted the connection in time: dropped packets, a wrong address or port.
    #[error("connecting to {host} timed out after {}: nothing answered; check the address and port, a firewall or VPN on the way, or HTTPS_PROXY/NO_PROXY if this network needs a proxy", super::cause::seconds(*.after))]
    ConnectTimeout { host: String, after: Duration },
    /// No route to the host or its network.
    #[error("cannot connect to {host}: {detail}; this machine has no route there: check the network (VPN, Wi-Fi), or HTTPS_PROXY/NO_PROXY if this network needs a proxy")]
    NoRoute { host: String, detail: String },
    #[error("cannot reach {host} through the proxy {proxy}: {detail}; check the proxy (HTTPS_PROXY, HTTP_PROXY), or reach the registry directly by adding it to NO_PROXY")]
    Proxy {
        host: String,
        proxy: String,
        detail: String,
    },
    #[error("cannot get a token from {realm}, the token service {registry} sent us to: {detail}; {registry} itself answered, so check that {realm} is reachable from here (DNS, firewall, proxy, NO_PROXY)")]
    TokenService {
        registry: String,
        realm: String,
        detail: String,
    },
    #[error("{what} did not finish within {}s (--deadline); the registry answered too slowly for the whole operation: try again, or raise --deadline", .after.as_secs())]
    Deadline { what: String, after: Duration },
    #[error("{host} did not answer within {}s; the registry or network is slow, try again", .after.as_secs())]
    Timeout { host: String, after: Duration },
    #[error("the connection to {host} failed: {detail}")]
    Transport { host: String, detail: String },
    /// A redirect regscope will not follow: not HTTP(S), unparseable, or too many. Not
    /// transient, so never retried.
    #[error("{registry} sent a redirect regscope does not follow: {detail}; the registry (or a proxy in front of it) is misconfigured")]
    BadRedirect { registry: String, detail: String },
    /// A host a redirect led to refused the request. The registry's credentials never go
    /// there, so logging in again cannot help.
    #[error("{registry} redirected the request to {target}, which answered {status}; regscope sends the credentials for {registry} only to {registry} itself and to the token service it names, never to another host, so this cannot be authorized: the registry's redirect (storage or proxy set-up) is wrong, or {target} is the registry to use")]
    ForeignRefusal {
        registry: String,
        target: String,
        status: u16,
    },
    /// `/v2/` answered 401 without a challenge regscope can act on: it will not guess where
    /// or how to send credentials.
    #[error("{host} answered 401 to GET /v2/ {detail}; regscope sends no credentials under a scheme it cannot read, so nothing was sent: check the registry's auth configuration")]
    BadChallenge { host: String, detail: String },
    #[error("cannot read the OCI layout at {path}: {detail}")]
    Layout { path: String, detail: String },
    #[error("{what} is not in the cache at {cache}, and --offline forbids asking the registry; run once without --offline to fill the cache")]
    Offline { what: String, cache: String },
    /// The registry took the login (its ping or token accepted it) but refuses the catalog to
    /// this user: Docker Hub, GHCR, Harbor for anyone but an admin. Not a bad login.
    #[error("{registry} does not offer its catalog to {who} ({status}), though it accepts this login; open a repository by name, or set `api` and `namespaces` under [registry.\"{registry}\"] in the config file where the service has its own API")]
    CatalogNotOffered {
        registry: String,
        who: String,
        status: u16,
    },
    /// The service's own API (Docker Hub's, GitHub's) would not list the repositories; the
    /// sentence says which API, what it answered and what to do.
    #[error("{detail}")]
    NotListed { registry: String, detail: String },
    /// The HTTP client could not be set up (a CA file that is not usable, TLS, HTTP); the
    /// detail is the whole sentence.
    #[error("{detail}")]
    ClientSetup { detail: String },
    /// A URL regscope builds for the registry did not parse.
    #[error("{detail}")]
    BadUrl { detail: String },
    #[error("`{host}` is not a valid registry host: {detail}")]
    BadHost { host: String, detail: String },
    #[error("bad request path {path}: {detail}")]
    BadPath { path: String, detail: String },
    /// A request path that would take the credentials to another host (`//host/…`); `path`
    /// is sanitised.
    #[error("refused a request path that leaves {registry}: {path}")]
    PathLeaves { registry: String, path: String },
    #[error("{registry} sent a bad token realm: {detail}")]
    BadRealm { registry: String, detail: String },
    /// The request gate closed: the process is stopping.
    #[error("shutting down")]
    ShuttingDown,
    /// What only a registry answers (tags, a catalog of images, a ping) was asked of an OCI
    /// layout; `why` is the sentence.
    #[error("{why}")]
    NeedsRegistry { why: &'static str },
    #[error("cannot read a layout blob: {detail}")]
    LayoutBlob { detail: String },
    /// A layer that could not be read as what its descriptor names (not a tar, oversized,
    /// another digest); `detail` is the whole sentence, sanitised.
    #[error("{detail}")]
    BadLayer { digest: String, detail: String },
}

pub(crate) fn retry_hint(after: Option<u64>) -> String {
    after
        .map(|s| match s {
            0..120 => format!(", retry after {s}s"),
            120..7200 => format!(", retry in {} min", s.div_ceil(60)),
            _ => format!(", retry in {}h {} min", s / 3600, (s % 3600).div_ceil(60)),
        })
        .unwrap_or_default()
}

/// What `/v2/` answering `status` means and what to check, in one sentence.
fn ping_message(host: &str, status: u16, detail: &str) -> String {
    match status {
        404 | 410 => format!(
            "{host} is not a container registry: GET /v2/ answered {status}{detail}; check the host name and port"
        ),
        403 => format!(
            "{host} refused GET /v2/ before any login (403{detail}); a proxy, firewall or IP allow-list in front of the registry blocks this client, check your network access to it"
        ),
        _ => format!(
            "{host} answered {status}{detail} to GET /v2/, where a container registry answers 200 or 401; check the host name and port"
        ),
    }
}

impl FetchError {
    /// 404-like: the content is not there (as opposed to unreachable).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::NotFound { .. })
    }
}

/// Formats the registry's own error message as ` : CODE message`, sanitized and bounded.
pub(crate) fn registry_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let Ok(env) = serde_json::from_slice::<Envelope>(body) else {
        return String::new();
    };
    let Some(first) = env.errors.first() else {
        return String::new();
    };
    let mut text = format!("{} {}", first.code, first.message)
        .trim()
        .to_string();
    if text.len() > 200 {
        let mut cut = 200;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    format!(": {}", crate::sanitize::sanitize(&text))
}

/// The OCI error code in a registry's error body (`MANIFEST_UNKNOWN`, ...), if any.
pub(crate) fn registry_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("errors")?.get(0)?.get("code")?.as_str()?;
    Some(crate::sanitize::sanitize(code).into_owned())
}

#[cfg(test)]
mod tests {
    use super::FetchError;

    /// The causes that were one `Other(String)` keep their words, now told apart by kind.
    #[test]
    fn former_other_causes_keep_their_words() {
        let cases = [
            (
                FetchError::NeedsRegistry {
                    why: "tags need a registry",
                },
                "tags need a registry",
            ),
            (
                FetchError::PathLeaves {
                    registry: "reg.test".into(),
                    path: "//evil.test/v2/".into(),
                },
                "refused a request path that leaves reg.test: //evil.test/v2/",
            ),
            (
                FetchError::BadRealm {
                    registry: "reg.test".into(),
                    detail: "relative URL without a base".into(),
                },
                "reg.test sent a bad token realm: relative URL without a base",
            ),
            (
                FetchError::LayoutBlob {
                    detail: "permission denied".into(),
                },
                "cannot read a layout blob: permission denied",
            ),
            (
                FetchError::BadLayer {
                    digest: "sha256:ab".into(),
                    detail: "layer sha256:ab is not a tar archive regscope can read (bad header)"
                        .into(),
                },
                "layer sha256:ab is not a tar archive regscope can read (bad header)",
            ),
            (FetchError::ShuttingDown, "shutting down"),
        ];
        for (error, words) in cases {
            assert_eq!(error.to_string(), words);
        }
    }
}

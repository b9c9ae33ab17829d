//! Repositories and tags listed through a registry service's own API (Docker Hub's, GitHub's
//! for GHCR) where the distribution catalog is refused, with the login the registry itself
//! uses; and the catalog walk `regscope ls` and the TUI share for every other registry.
//!
//! Read-only: GET, plus the token exchange Docker Hub documents (`POST /v2/auth/token`, or
//! `POST /v2/users/login` where that is missing). Bounded: [`MAX_PAGES`] pages per namespace,
//! [`MAX_NAMES`] names in all, [`api::MAX_BODY`] bytes a page, the caller's deadline.

mod api;
mod ghcr;
mod gitlab;
pub mod glob;
mod harbor;
mod hub;
pub mod pushed;
mod quay;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use url::Url;

use crate::config::Config;
use crate::connect::Connector;
use crate::registry::{Credentials, FetchError};
use api::{Api, ApiError};

/// Pages read at most from one namespace (or one repository's tags).
pub const MAX_PAGES: usize = 100;
/// Names kept at most from one listing.
pub const MAX_NAMES: usize = 100_000;

/// A registry service with its own listing API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    DockerHub,
    Ghcr,
    /// Recognised from its API once the catalog is refused, never from the name.
    Harbor,
    /// `quay.io`, or a self-hosted Quay the config file names (`api = "quay"`).
    Quay,
    /// `registry.gitlab.com`, or a self-hosted GitLab (`api = "gitlab"`, or its URL).
    GitLab,
}

impl Service {
    /// The service a registry name belongs to.
    #[must_use]
    pub fn of(registry: &str) -> Option<Self> {
        match registry {
            "docker.io" | "index.docker.io" | "registry-1.docker.io" => Some(Self::DockerHub),
            "ghcr.io" => Some(Self::Ghcr),
            "quay.io" => Some(Self::Quay),
            "registry.gitlab.com" => Some(Self::GitLab),
            _ => None,
        }
    }

    /// `the Docker Hub API`: where a list came from, in the user's words.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::DockerHub => "the Docker Hub API",
            Self::Ghcr => "the GitHub API",
            Self::Harbor => "the Harbor API",
            Self::Quay => "the Quay API",
            Self::GitLab => "the GitLab API",
        }
    }

    fn default_api(self) -> Option<&'static str> {
        match self {
            Self::DockerHub => Some("https://hub.docker.com"),
            Self::Ghcr => Some("https://api.github.com"),
            Self::Quay => Some("https://quay.io"),
            Self::GitLab => Some("https://gitlab.com"),
            Self::Harbor => None,
        }
    }
}

/// How one registry is listed natively: the service, its API's base URL and the namespaces
/// the config file names besides the user's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Native {
    pub service: Service,
    pub registry: String,
    api: Url,
    namespaces: Vec<String>,
}

/// The repositories a listing found, where from, and what it could not list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub repositories: Vec<String>,
    /// A few words per repository (`private, updated 2026-12-01`).
    pub details: HashMap<String, String>,
    /// `the Docker Hub API: namespace alice, 2 pages`.
    pub source: String,
    /// `namespace acme: 403, ...`: each thing not listed and why.
    pub gaps: Vec<String>,
    /// The service found behind the registry while listing (Harbor, recognised once the
    /// catalog was refused): its API reads the repositories' tags too.
    pub native: Option<Native>,
}

/// One tag (or, on GHCR, one untagged version) as the service's API describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tag {
    /// The tag, or the digest of an untagged version.
    pub name: String,
    pub digest: Option<String>,
    /// When it was pushed (RFC 3339, as the API gave it).
    pub pushed: Option<String>,
    /// `linux/amd64`, ... (Docker Hub lists them per tag).
    pub platforms: Vec<String>,
    /// Compressed bytes of the platforms' images together, as Docker Hub lists them
    /// (attestation manifests left out); `None` where the API does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub tagged: bool,
    /// The API has the push time, but it was not read (GitLab's tags past the detail bound).
    #[serde(rename = "dateNotRead", skip_serializing_if = "std::ops::Not::not")]
    pub date_not_read: bool,
    /// What the registry's own vulnerability scan says of it (Harbor's scan overview), in
    /// words and sanitized: `High: 12 vulnerabilities (1 Critical, 2 High, 9 Medium)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<String>,
}

/// A repository's tags, where from, and what could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags {
    pub tags: Vec<Tag>,
    pub source: String,
    pub gaps: Vec<String>,
}

impl Native {
    /// The native listing for `registry`: a known service (`docker.io`, `ghcr.io`), at the
    /// config file's `api` when it sets one.
    #[must_use]
    pub fn for_registry(registry: &str, config: &Config) -> Option<Self> {
        let table = config.for_registry(registry);
        let configured = table.and_then(|t| t.api.as_deref());
        let kind = |k: &str| match k {
            crate::config::QUAY => Some(Service::Quay),
            crate::config::GITLAB => Some(Service::GitLab),
            crate::config::GITHUB => Some(Service::Ghcr),
            crate::config::HARBOR => Some(Service::Harbor),
            _ => None,
        };
        // `service` names a self-hosted Quay, GitLab or Harbor whose API is at `api` (else on
        // the registry's host, as `api = "quay"`/`"gitlab"` says).
        let named = table.and_then(|t| t.service.as_deref()).and_then(kind);
        let (service, api) = match (named, configured.and_then(kind)) {
            (_, Some(service)) => (service, own_host(registry, table)),
            (Some(Service::Ghcr), None) => (
                Service::Ghcr,
                configured.map_or_else(|| enterprise_api(registry), str::to_string),
            ),
            (Some(service), None) => (
                service,
                configured.map_or_else(|| own_host(registry, table), str::to_string),
            ),
            (None, None) => {
                let service = Service::of(registry)?;
                (service, configured.or(service.default_api())?.to_string())
            }
        };
        Some(Self {
            service,
            registry: registry.to_string(),
            api: Url::parse(&api).ok()?,
            namespaces: table.map(|t| t.namespaces.clone()).unwrap_or_default(),
        })
    }

    /// Harbor behind `connection`, when its API (the config file's `api`, else the registry's
    /// own host) says it is Harbor.
    pub async fn harbor(
        connector: &Connector,
        connection: &crate::connect::Connection,
    ) -> Option<Self> {
        let registry = connection.registry()?;
        let table = connector.config().for_registry(registry);
        let scheme = if connection.tls.plain_http {
            "http"
        } else {
            "https"
        };
        let own = format!("{scheme}://{}", connection.endpoint.as_ref()?);
        let base = table.and_then(|t| t.api.clone()).unwrap_or(own);
        let native = Self {
            service: Service::Harbor,
            registry: registry.to_string(),
            api: Url::parse(&base).ok()?,
            namespaces: table.map(|t| t.namespaces.clone()).unwrap_or_default(),
        };
        let api = native.client(connector).ok()?;
        harbor::recognised(&api).await.then_some(native)
    }

    /// A client for the API that trusts what the registry's connection trusts (`--insecure`,
    /// `--ca-file`, the registry's `ca_file`/`insecure`, certs.d of the API's host).
    fn client(&self, connector: &Connector) -> Result<Api, FetchError> {
        let settings = connector.settings();
        let trust = connector
            .trust(&self.registry, &self.api_host())
            .map_err(|e| FetchError::NotListed {
                registry: self.registry.clone(),
                detail: format!("{} cannot be reached: {e}", self.service.name()),
            })?;
        Api::new(
            self.api.clone(),
            &trust,
            settings.timeout,
            Instant::now() + settings.deadline,
        )
        .map_err(|e| self.failed("", &e))
    }

    /// `host[:port]` of the API, as certs.d keys it (the port only when not the default).
    fn api_host(&self) -> String {
        let host = self.api.host_str().unwrap_or_default();
        match self.api.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }

    /// The repositories of the user's namespace and the configured ones (`only`: that
    /// namespace alone).
    pub async fn repositories(
        &self,
        connector: &Connector,
        only: Option<&str>,
    ) -> Result<Listing, FetchError> {
        let credentials = credentials(connector, &self.registry).await;
        let mut api = self.client(connector)?;
        match self.service {
            Service::DockerHub => hub::repositories(self, &mut api, credentials, only).await,
            Service::Ghcr => ghcr::repositories(self, &mut api, credentials, only).await,
            Service::Harbor => harbor::repositories(self, &mut api, credentials, only).await,
            Service::Quay => quay::repositories(self, &mut api, credentials, only).await,
            Service::GitLab => gitlab::repositories(self, &mut api, credentials, only).await,
        }
    }

    /// Docker Hub's public search for `query` (anonymous: the results are public repositories
    /// anyone can see, and the source says so); other services have no such search.
    pub async fn search(&self, connector: &Connector, query: &str) -> Result<Listing, FetchError> {
        if self.service != Service::DockerHub {
            return Err(FetchError::NotListed {
                registry: self.registry.clone(),
                detail: format!(
                    "searching is Docker Hub's (docker.io); {} has no public search",
                    self.service.name()
                ),
            });
        }
        let api = self.client(connector)?;
        hub::search(self, &api, query).await
    }

    /// The tags of `repository` (`namespace/name`); each tag the API names with a digest goes
    /// into the tag history log, with its push time.
    pub async fn tags(&self, connector: &Connector, repository: &str) -> Result<Tags, FetchError> {
        let listed = self.api_tags(connector, repository).await?;
        pushed::record(connector, &self.registry, repository, &listed);
        Ok(listed)
    }

    async fn api_tags(&self, connector: &Connector, repository: &str) -> Result<Tags, FetchError> {
        let credentials = credentials(connector, &self.registry).await;
        let mut api = self.client(connector)?;
        match self.service {
            Service::DockerHub => hub::tags(self, &mut api, credentials, repository).await,
            Service::Ghcr => ghcr::tags(self, &mut api, credentials, repository).await,
            Service::Quay => quay::tags(self, &mut api, credentials, repository).await,
            Service::GitLab => gitlab::tags(self, &mut api, credentials, repository).await,
            Service::Harbor => harbor::tags(self, &mut api, credentials, repository).await,
        }
    }

    /// The namespaces to list: `only`, else the user's own then the configured ones.
    fn namespaces(&self, user: Option<&str>, only: Option<&str>) -> Vec<String> {
        if let Some(only) = only {
            return vec![only.to_string()];
        }
        let mut out: Vec<String> = Vec::new();
        for ns in user
            .into_iter()
            .map(str::to_lowercase)
            .chain(self.namespaces.clone())
        {
            if !out.contains(&ns) {
                out.push(ns);
            }
        }
        out
    }

    /// The listing failed as a whole: which API, what it said, and what to do.
    fn failed(&self, what: &str, e: &ApiError) -> FetchError {
        let what = if what.is_empty() {
            String::new()
        } else {
            format!(" {what}")
        };
        FetchError::NotListed {
            registry: self.registry.clone(),
            detail: format!(
                "{} did not list{what} ({}); {}",
                self.service.name(),
                e.describe(),
                self.advice(e)
            ),
        }
    }

    /// The service refused to exchange the login for its own token.
    /// (No answer at all is not a refusal: then it says the login could not be sent.)
    fn refused_login(&self, user: &str, e: &ApiError) -> FetchError {
        let what = if e.status.is_some() {
            "refused the login of"
        } else {
            "could not be sent the login of"
        };
        FetchError::NotListed {
            registry: self.registry.clone(),
            detail: format!(
                "{} {what} {} ({}); {}",
                self.service.name(),
                crate::sanitize::sanitize(user),
                e.describe(),
                self.advice(e)
            ),
        }
    }

    /// What to do after `e`.
    fn advice(&self, e: &ApiError) -> String {
        match (self.service, e.status) {
            (_, None) if e.untrusted.is_some() => format!(
                "if you trust it, name its CA in `ca_file` under [registry.\"{}\"] in the config file, in --ca-file, or in certs.d for {}; or open a repository by name",
                self.registry,
                self.api_host()
            ),
            (_, Some(403)) if e.missing_scope.is_some() => format!(
                "log in to {} with a token that has {}, or open a repository by name",
                self.registry,
                e.missing_scope.as_deref().unwrap_or_default()
            ),
            (Service::DockerHub, Some(401)) => format!(
                "log in to {} again with `docker login` (your password or a personal access token), or open a repository by name",
                self.registry
            ),
            (Service::Ghcr, Some(401)) => format!(
                "the password of the login for {} is not a GitHub token the API accepts: log in with a personal access token that has read:packages, or open a repository by name",
                self.registry
            ),
            (Service::GitLab, Some(401)) => format!(
                "the password of the login for {} is not a GitLab token the API accepts: log in with a personal, project or group access token that has read_api, or open a repository by name",
                self.registry
            ),
            (_, Some(404)) => format!(
                "check the name, and `api` under [registry.\"{}\"] in the config file",
                self.registry
            ),
            _ => "open a repository by name, or try again".to_string(),
        }
    }
}

/// GitHub Enterprise's API for its registry `containers.HOST`: `https://HOST/api/v3`.
fn enterprise_api(registry: &str) -> String {
    let host = registry.strip_prefix("containers.").unwrap_or(registry);
    format!("https://{host}/api/v3")
}

/// `https://host[:port]` (`http://` with `plain_http`) of the host the registry's requests
/// go to: the config file's `endpoint`, else the registry's name.
fn own_host(registry: &str, table: Option<&crate::config::RegistryConfig>) -> String {
    let host = table
        .and_then(|t| t.endpoint.as_deref())
        .unwrap_or(registry);
    if host.contains("://") {
        return host.trim_end_matches('/').to_string();
    }
    let scheme = if table.is_some_and(|t| t.plain_http) {
        "http"
    } else {
        "https"
    };
    format!("{scheme}://{host}")
}

/// The login for `registry` exactly as its connection uses it: the command line's, else the
/// first configured source (helpers run once per process: the resolver remembers).
pub async fn credentials(connector: &Connector, registry: &str) -> Option<Credentials> {
    let settings = connector.settings();
    if let Some(c) = &settings.credentials {
        return Some(c.clone());
    }
    if settings.anonymous || connector.offline() {
        return None;
    }
    connector.resolver().resolve(registry).await.credentials
}

/// `1 page`, `2 pages`.
fn pages(n: usize) -> String {
    if n == 1 {
        "1 page".into()
    } else {
        format!("{n} pages")
    }
}

/// A name from an API that goes into a later URL or onto the screen: the reference grammar's
/// characters only.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
        && name.split('/').all(|s| !matches!(s, "" | "." | ".."))
}

/// `2026-12-01` of `2026-12-01T10:00:00Z`; other text as it came, sanitized.
fn day(when: &str) -> String {
    let day = when.get(..10).unwrap_or(when);
    crate::sanitize::sanitize(day).into_owned()
}

/// How a service's namespaces (Docker Hub's and Quay's namespaces, Harbor's projects) are
/// listed, one page walk each, by [`walk_namespaces`].
trait Namespaced {
    /// One repository as a page gives it.
    type Item: PartialEq + Clone;
    /// `namespace`, `project`: what the listing calls one.
    const WORD: &'static str;
    /// The path (and query) of the first page of `ns`.
    fn first_page(&self, ns: &str) -> String;
    /// A page of `ns` as items, and the body's `next` if it has one.
    fn read(
        &self,
        ns: &str,
        page: serde_json::Value,
    ) -> Result<(Vec<Self::Item>, Option<String>), String>;
    /// The repository's full name and its few words; `Err(name)` for a name not to use.
    fn entry(&self, ns: &str, item: Self::Item) -> Result<(String, String), String>;
}

/// What the namespace walks gathered so far: the listing, what was read (`namespace alice,
/// 2 pages`), and the names still allowed.
struct Gathering {
    listing: Listing,
    read: Vec<String>,
    budget: usize,
}

impl Default for Gathering {
    fn default() -> Self {
        Self {
            listing: Listing::default(),
            read: Vec::new(),
            budget: MAX_NAMES,
        }
    }
}

/// Walks each of `namespaces` in turn, within one budget of names: a name that cannot go
/// into a URL, a repository name that is not plain, a walk cut short and a refused namespace
/// each become a gap; the first refusal is returned for the caller to decide whether the
/// listing failed as a whole.
async fn walk_namespaces<N: Namespaced>(
    service: &N,
    native: &Native,
    api: &Api,
    namespaces: &[String],
    got: &mut Gathering,
) -> Result<Option<(String, ApiError)>, FetchError> {
    let word = N::WORD;
    let mut first_error = None;
    for ns in namespaces {
        if !plain_name(ns) || ns.contains('/') {
            got.listing.gaps.push(format!(
                "{word} {}: not a {word} name",
                crate::sanitize::sanitize(ns)
            ));
            continue;
        }
        let url = api
            .url(&service.first_page(ns))
            .map_err(|e| native.failed("", &e))?;
        match walk(api, url, &mut got.budget, |v| service.read(ns, v)).await {
            Ok(w) => {
                for item in w.items {
                    match service.entry(ns, item) {
                        Ok((full, detail)) => {
                            got.listing.details.insert(full.clone(), detail);
                            got.listing.repositories.push(full);
                        }
                        Err(name) => got.listing.gaps.push(format!(
                            "{word} {ns}: skipped a repository named {}",
                            crate::sanitize::sanitize(&name)
                        )),
                    }
                }
                got.read.push(format!("{word} {ns}, {}", pages(w.pages)));
                if let Some(stop) = w.stop {
                    got.listing.gaps.push(format!("{word} {ns}: {stop}"));
                }
            }
            Err(e) => {
                got.listing
                    .gaps
                    .push(format!("{word} {ns}: {}", e.describe()));
                first_error.get_or_insert((ns.clone(), e));
            }
        }
    }
    Ok(first_error)
}

/// What one page walk gathered, and why it stopped early if it did.
struct Walked<T> {
    items: Vec<T>,
    pages: usize,
    stop: Option<String>,
}

/// Reads `first` and the pages after it (the body's `next`, else `Link: rel="next"`, on the
/// API's own origin), `read` turning each page into items and its `next`. A link back to a
/// page already read, a page holding only items already seen, [`MAX_PAGES`] or `budget`
/// names end the walk with the reason; a failing later page keeps what came before.
async fn walk<T: PartialEq + Clone>(
    api: &Api,
    first: Url,
    budget: &mut usize,
    read: impl Fn(serde_json::Value) -> Result<(Vec<T>, Option<String>), String>,
) -> Result<Walked<T>, ApiError> {
    let mut out = Walked {
        items: Vec::new(),
        pages: 0,
        stop: None,
    };
    let mut seen: HashSet<Url> = HashSet::new();
    let mut next = Some(first);
    while let Some(url) = next.take() {
        if out.pages == MAX_PAGES {
            out.stop = Some(format!("stopped after {}: the bound", pages(MAX_PAGES)));
            break;
        }
        seen.insert(url.clone());
        let answer = match api.get::<serde_json::Value>(&url).await {
            Ok(a) => a,
            Err(e) if out.pages == 0 => return Err(e),
            Err(e) => {
                out.stop = Some(format!(
                    "stopped after {}: the next one failed ({})",
                    pages(out.pages),
                    e.describe()
                ));
                break;
            }
        };
        let (items, body_next) = read(answer.body).map_err(|detail| ApiError {
            status: None,
            detail: format!("the answer is not the JSON this API documents: {detail}"),
            missing_scope: None,
            untrusted: None,
        })?;
        out.pages += 1;
        if !items.is_empty() && items.iter().all(|i| out.items.contains(i)) {
            out.stop = Some(format!(
                "stopped after {}: the API sent a page it had sent before",
                pages(out.pages - 1)
            ));
            out.pages -= 1;
            break;
        }
        for item in items {
            if *budget == 0 {
                out.stop = Some(format!("truncated at {MAX_NAMES} names"));
                return Ok(out);
            }
            if !out.items.contains(&item) {
                *budget -= 1;
                out.items.push(item);
            }
        }
        next = body_next
            .as_deref()
            .and_then(|n| api.same_origin(n))
            .or(answer.next);
        if let Some(n) = &next {
            if seen.contains(n) {
                out.stop = Some(format!(
                    "stopped after {}: the API linked back to a page it had sent",
                    pages(out.pages)
                ));
                break;
            }
        }
    }
    Ok(out)
}

/// One registry's repositories from its distribution catalog, page after page within the
/// same bounds (the listing for registries without a native API).
pub async fn catalog(
    connector: &Connector,
    connection: &crate::connect::Connection,
    only: Option<&str>,
) -> Result<Listing, crate::connect::ConnectError> {
    const PAGE: usize = 1000;
    let mut listing = Listing::default();
    let mut last: Option<String> = None;
    let mut walked = 0;
    loop {
        if walked == MAX_PAGES * 10 {
            listing
                .gaps
                .push(format!("stopped after {walked} catalog pages: the bound"));
            break;
        }
        let (names, more) = match connection.fetcher.catalog_page(PAGE, last.as_deref()).await {
            Ok(page) => page,
            Err(e) if walked == 0 => {
                return after_catalog_refusal(connector, connection, e, only).await
            }
            Err(e) => {
                listing.gaps.push(format!(
                    "stopped after {walked} catalog pages: {}",
                    connection.error(e)
                ));
                break;
            }
        };
        walked += 1;
        let fresh = names.last().is_some_and(|n| Some(n) != last.as_ref());
        last = names.last().cloned();
        listing.repositories.extend(names);
        if listing.repositories.len() >= MAX_NAMES {
            listing.repositories.truncate(MAX_NAMES);
            listing.gaps.push(format!("truncated at {MAX_NAMES} names"));
            break;
        }
        if !more || !fresh {
            break;
        }
    }
    if let Some(ns) = only {
        let prefix = format!("{ns}/");
        listing.repositories.retain(|r| r.starts_with(&prefix));
    }
    listing.source = format!("the registry's catalog, {}", pages(walked));
    Ok(listing)
}

/// After the catalog was refused with `error`: Harbor's own listing where the registry is
/// Harbor, else the refusal explained ([`catalog_refusal`]).
pub async fn after_catalog_refusal(
    connector: &Connector,
    connection: &crate::connect::Connection,
    error: FetchError,
    only: Option<&str>,
) -> Result<Listing, crate::connect::ConnectError> {
    if matches!(
        error,
        FetchError::Unauthorized { .. } | FetchError::Forbidden { .. }
    ) {
        if let Some(harbor) = Native::harbor(connector, connection).await {
            return harbor
                .repositories(connector, only)
                .await
                .map_err(Into::into);
        }
    }
    Err(catalog_refusal(connection, error).await)
}

/// A refused catalog (401, 403) from a registry that accepts the login otherwise (its ping
/// and token take it) is [`FetchError::CatalogNotOffered`], not a bad login; anything else
/// is explained as the connection explains it.
pub async fn catalog_refusal(
    connection: &crate::connect::Connection,
    error: FetchError,
) -> crate::connect::ConnectError {
    let status = match &error {
        FetchError::Unauthorized { .. } => 401,
        FetchError::Forbidden { .. } => 403,
        _ => return connection.error(error),
    };
    let who = connection
        .credentials
        .as_ref()
        .filter(|c| !matches!(c.source, crate::auth::Source::Anonymous))
        .and_then(|c| c.username.clone());
    let accepted = match (&who, connection.fetcher.http()) {
        (Some(_), Some(http)) => {
            // The ping answers within the request timeout; this bounds it all the same.
            tokio::time::timeout(Duration::from_mins(1), http.verify_access())
                .await
                .is_ok_and(|r| r.is_ok())
        }
        _ => false,
    };
    match (accepted, who, connection.registry()) {
        (true, Some(who), Some(registry)) => FetchError::CatalogNotOffered {
            registry: registry.to_string(),
            who: crate::sanitize::sanitize(&who).into_owned(),
            status,
        }
        .into(),
        _ => connection.error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_services_are_recognised_and_the_config_moves_their_api() {
        let config = crate::config::parse(
            "[registry.\"ghcr.io\"]\napi = \"http://127.0.0.1:9\"\nnamespaces = [\"acme\"]\n",
        )
        .unwrap();
        let n = Native::for_registry("ghcr.io", &config).unwrap();
        assert_eq!(n.service, Service::Ghcr);
        assert_eq!(n.api.as_str(), "http://127.0.0.1:9/");
        assert_eq!(n.namespaces(Some("Alice"), None), ["alice", "acme"]);
        assert_eq!(n.namespaces(Some("alice"), Some("acme")), ["acme"]);
        let hub = Native::for_registry("docker.io", &Config::default()).unwrap();
        assert_eq!(hub.api.as_str(), "https://hub.docker.com/");
        let quay = Native::for_registry("quay.io", &Config::default()).unwrap();
        assert_eq!(
            (quay.service, quay.api.as_str()),
            (Service::Quay, "https://quay.io/")
        );
        assert!(Native::for_registry("registry.example", &Config::default()).is_none());
        let gitlab = Native::for_registry("registry.gitlab.com", &Config::default()).unwrap();
        assert_eq!(
            (gitlab.service, gitlab.api.as_str()),
            (Service::GitLab, "https://gitlab.com/")
        );
        // A self-hosted Quay: its API on the host the registry's requests go to.
        let config = crate::config::parse(
            "[registry.\"quay.example\"]\napi = \"quay\"\n[registry.\"q.local\"]\napi = \"quay\"\nendpoint = \"http://127.0.0.1:5001\"\n[registry.\"gl.local\"]\napi = \"gitlab\"\n",
        )
        .unwrap();
        let own = Native::for_registry("quay.example", &config).unwrap();
        assert_eq!(
            (own.service, own.api.as_str()),
            (Service::Quay, "https://quay.example/")
        );
        let local = Native::for_registry("q.local", &config).unwrap();
        assert_eq!(local.api.as_str(), "http://127.0.0.1:5001/");
        let gl = Native::for_registry("gl.local", &config).unwrap();
        assert_eq!(
            (gl.service, gl.api.as_str()),
            (Service::GitLab, "https://gl.local/")
        );
    }

    #[test]
    fn a_self_hosted_service_is_named_by_service_with_its_api_on_another_host() {
        let config = crate::config::parse(
            "[registry.\"registry.corp\"]\nservice = \"gitlab\"\napi = \"https://gitlab.corp/\"\n[registry.\"quay.corp\"]\nservice = \"quay\"\n[registry.\"docker.io\"]\nservice = \"gitlab\"\n",
        )
        .unwrap();
        let gl = Native::for_registry("registry.corp", &config).unwrap();
        assert_eq!(
            (gl.service, gl.api.as_str()),
            (Service::GitLab, "https://gitlab.corp/")
        );
        // Without `api`: on the registry's own host, as `api = "quay"` says.
        let quay = Native::for_registry("quay.corp", &config).unwrap();
        assert_eq!(
            (quay.service, quay.api.as_str()),
            (Service::Quay, "https://quay.corp/")
        );
        // What the config says wins over the name.
        let odd = Native::for_registry("docker.io", &config).unwrap();
        assert_eq!(odd.service, Service::GitLab);
    }

    #[test]
    fn github_enterprise_is_named_by_service_with_its_api_under_api_v3() {
        let config = crate::config::parse(
            "[registry.\"containers.ghe.corp\"]\nservice = \"github\"\n[registry.\"ghe.local\"]\nservice = \"github\"\napi = \"http://127.0.0.1:9/api/v3\"\n",
        )
        .unwrap();
        let ghe = Native::for_registry("containers.ghe.corp", &config).unwrap();
        assert_eq!(
            (ghe.service, ghe.api.as_str()),
            (Service::Ghcr, "https://ghe.corp/api/v3")
        );
        let local = Native::for_registry("ghe.local", &config).unwrap();
        assert_eq!(local.api.as_str(), "http://127.0.0.1:9/api/v3");
    }

    #[test]
    fn names_that_go_into_urls_are_plain() {
        assert!(plain_name("alice/app-1.0_x"));
        assert!(!plain_name("../x"));
        assert!(!plain_name("x?y"));
        assert!(!plain_name("a\u{1b}b"));
        assert_eq!(day("2026-12-01T10:00:00Z"), "2026-12-01");
    }
}

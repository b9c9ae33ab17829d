//! The one place that turns a registry name and the user's settings into a ready connection.
//!
//! Every front end (the CLI's `inspect`, `check`, `auth`, `login`, and every view of the TUI)
//! asks a [`Connector`] for a [`Connection`]; nothing else assembles one. A connection combines,
//! for one registry:
//!
//! - the user's flags ([`Settings`]: `--plain-http`, `--insecure`, `--ca-file`, explicit
//!   credentials, timeout, concurrency);
//! - the config file's table for that registry (`ca_file`, `insecure`, `plain_http`,
//!   `endpoint`) and the `certs.d` CAs for its host;
//! - the credentials from the ordered sources of [`crate::auth`] (resolved lazily, once per
//!   registry per process: a helper runs once), with the notes on skipped sources.
//!
//! Errors from a connection's fetches are explained with what was sent ([`ConnectError`]): a
//! 401 names the credential source and the concrete next step for it.

pub mod diagnose;
mod error;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};

use crate::auth::{Resolved, Resolver, Source};
use crate::config::Config;
use crate::reference::{api_host, ImageRef, LayoutRef};
use crate::registry::{Credentials, DiskUse, FetchError, Fetcher, HttpOptions, Limits};

pub use error::ConnectError;

/// Where content is fetched from: one connection (connection pool, digest cache) per location.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A registry by name (`127.0.0.1:5000`, `docker.io`).
    Registry(String),
    /// An OCI image layout directory.
    Layout(PathBuf),
}

impl Location {
    /// The location `reference` is fetched from.
    #[must_use]
    pub fn of(reference: &ImageRef) -> Self {
        match reference {
            ImageRef::Registry(r) => Location::Registry(r.registry.clone()),
            ImageRef::Layout(l) => Location::Layout(l.path.clone()),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Registry(r) => f.write_str(r),
            Location::Layout(p) => write!(f, "oci:{}", p.display()),
        }
    }
}

/// How long a whole operation may take by default (`--deadline`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_mins(5);

/// Runs `work`, a whole operation named `what`, within `deadline`: past it the work is dropped
/// (its requests cancelled) and the answer is [`FetchError::Deadline`].
pub async fn within_deadline<T, E: From<FetchError>>(
    deadline: Duration,
    what: &str,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    // Boxed: a whole tree walk is a large future, and this one is held across the wait.
    tokio::time::timeout(deadline, Box::pin(work))
        .await
        .unwrap_or_else(|_| {
            Err(FetchError::Deadline {
                what: what.to_string(),
                after: deadline,
            }
            .into())
        })
}

/// What the user asked for on the command line (the same flags for every front end).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Speak plain HTTP to every registry (loopback registries fall back to it anyway).
    pub plain_http: bool,
    /// Skip TLS verification for every registry.
    pub insecure: bool,
    /// Extra CA certificates (PEM files) trusted for every registry.
    pub ca_files: Vec<PathBuf>,
    /// `--username` with `--password-stdin` / `REGSCOPE_PASSWORD`: used for every registry,
    /// before any other source.
    pub credentials: Option<Credentials>,
    /// Look up no configured credentials at all (the demo, which needs none).
    pub anonymous: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once per registry.
    pub concurrency: usize,
    /// A whole operation (a tree, a tag list, a repository's images, an auth check): `timeout`
    /// bounds each request, this bounds them all together.
    pub deadline: Duration,
    pub limits: Limits,
    /// The on-disk cache; `None` keeps nothing between runs.
    pub cache: Option<CacheSettings>,
}

/// Where and how content, tags and endpoints are kept between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    pub dir: PathBuf,
    pub max_bytes: u64,
    /// Cache loopback registries too. Off unless the directory was chosen explicitly: they
    /// answer in microseconds, and a port on this machine is reused by unrelated servers.
    pub include_loopback: bool,
    /// Answer from the cache alone.
    pub offline: bool,
    /// How long content seen in a repository is taken as still there without asking.
    pub trust: Duration,
}

impl CacheSettings {
    /// The cache in `dir` with the default bound and trust period.
    #[must_use]
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            max_bytes: crate::cache::DEFAULT_MAX_BYTES,
            include_loopback: false,
            offline: false,
            trust: crate::registry::DEFAULT_TRUST,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let http = HttpOptions::default();
        Self {
            plain_http: false,
            insecure: false,
            ca_files: Vec::new(),
            credentials: None,
            anonymous: false,
            timeout: http.timeout,
            concurrency: http.concurrency,
            deadline: DEFAULT_DEADLINE,
            limits: Limits::default(),
            cache: None,
        }
    }
}

/// Where a connection's credentials came from and who they are for; never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    pub source: Source,
    pub username: Option<String>,
    /// The secret is an identity (`OAuth2` refresh) token.
    pub identity_token: bool,
    /// Why earlier sources were skipped (a failing helper and why).
    pub notes: Vec<String>,
}

impl CredentialInfo {
    fn from_resolved(resolved: &Resolved) -> Self {
        Self {
            source: resolved.source.clone(),
            username: resolved.credentials.as_ref().map(|c| c.username.clone()),
            identity_token: resolved.identity_token,
            notes: resolved.notes.clone(),
        }
    }

    /// A few words for a header: `alice via docker-credential-pass`, `anonymous`.
    #[must_use]
    pub fn short(&self) -> String {
        let via = match &self.source {
            Source::Anonymous => return "anonymous".into(),
            Source::Explicit => "--username".to_string(),
            Source::Keyring => "regscope login".to_string(),
            Source::DockerCredHelper { helper, .. } | Source::DockerCredsStore { helper, .. } => {
                format!("docker-credential-{}", crate::sanitize::sanitize(helper))
            }
            Source::DockerAuths { .. } => "docker config auths".to_string(),
            Source::Podman { .. } => "podman auth.json".to_string(),
            Source::AwsEcr { via } => format!("ECR token ({via})"),
        };
        match (&self.username, self.identity_token) {
            (Some(u), false) => format!("{} via {via}", crate::sanitize::sanitize(u)),
            _ => format!("token via {via}"),
        }
    }

    /// `docker-credential-pass (credHelpers in ~/.docker/config.json), user alice`.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.username {
            Some(u) if !self.identity_token => {
                format!("{}, user {}", self.source, crate::sanitize::sanitize(u))
            }
            Some(_) => format!("{}, identity token", self.source),
            None => self.source.to_string(),
        }
    }
}

/// How TLS is set up for a connection (for the header, `-v` and `regscope auth`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    pub plain_http: bool,
    /// Why verification is off, when it is: `--insecure` or the config file.
    pub insecure: Option<String>,
    /// CA files trusted beyond the system roots, and where each was configured.
    pub extra_cas: Vec<String>,
}

/// How a client trusts TLS servers: what to say about it, and the extra CAs' PEM.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    pub info: TlsInfo,
    pub ca_pems: Vec<Vec<u8>>,
}

/// One registry (or layout), ready to fetch from.
pub struct Connection {
    pub location: Location,
    /// The `host[:port]` requests go to (the config file's `endpoint`, or the registry's API
    /// host); `None` for a layout.
    pub endpoint: Option<String>,
    pub fetcher: Arc<Fetcher>,
    /// `None` for a layout.
    pub credentials: Option<CredentialInfo>,
    pub tls: TlsInfo,
    /// The credentials were issued for a limited time (an ECR token): from then on the
    /// connector makes the connection again, with a fresh login. `None`: for good.
    pub renew_after: Option<std::time::SystemTime>,
    /// The registry answered 401 to these credentials: the connector makes the connection
    /// again on its next use, reading the credential sources afresh (once per refusal: the
    /// new connection starts unrefused).
    refused: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("location", &self.location)
            .field("endpoint", &self.endpoint)
            .field("credentials", &self.credentials)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// `error` from this connection's fetches, explained with the credentials that were sent.
    #[must_use]
    pub fn error(&self, error: FetchError) -> ConnectError {
        if matches!(error, FetchError::Unauthorized { .. }) {
            self.refused
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        ConnectError::Fetch {
            cause: error,
            credentials: self.credentials.clone().map(Box::new),
        }
    }

    /// The registry's name, when this is one.
    #[must_use]
    pub fn registry(&self) -> Option<&str> {
        match &self.location {
            Location::Registry(r) => Some(r),
            Location::Layout(_) => None,
        }
    }

    /// What to warn about on every use (verification off).
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let Some(why) = &self.tls.insecure else {
            return Vec::new();
        };
        vec![format!(
            "WARNING: TLS certificate verification is OFF for {} ({why}); anyone on the path can impersonate the registry",
            self.location
        )]
    }
}

type Slot = Arc<OnceCell<Arc<Connection>>>;

/// Makes connections from the user's settings, once per location, for the whole process.
pub struct Connector {
    settings: Settings,
    /// `--ca-file` contents, read and validated once.
    ca_pems: Vec<(PathBuf, Vec<u8>)>,
    config: Config,
    resolver: Resolver,
    connections: Mutex<HashMap<Location, Slot>>,
    /// One cache for every connection: one bound, one eviction.
    disk: Option<Arc<crate::cache::DiskCache>>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Reads the config file and the CA files named in `settings` (errors name the file), and
    /// takes credential sources from the process environment.
    pub fn new(settings: Settings) -> Result<Self, ConnectError> {
        let config = crate::config::load()?;
        Self::with_parts(settings, config, Resolver::from_env())
    }

    /// A connector that reads no config file and looks up no credentials (the demo, tests):
    /// only `settings` count.
    pub fn isolated(settings: Settings) -> Result<Self, ConnectError> {
        Self::with_parts(
            Settings {
                anonymous: settings.credentials.is_none(),
                ..settings
            },
            Config::default(),
            Resolver::with_env(HashMap::new()),
        )
    }

    /// The same with a given config and credential resolver (tests, embedded uses).
    pub fn with_parts(
        settings: Settings,
        config: Config,
        resolver: Resolver,
    ) -> Result<Self, ConnectError> {
        let mut ca_pems = Vec::new();
        for path in &settings.ca_files {
            let pem = read_ca(path, "--ca-file")?;
            ca_pems.push((path.clone(), pem));
        }
        let disk = settings
            .cache
            .as_ref()
            .map(|c| Arc::new(crate::cache::DiskCache::open(&c.dir, c.max_bytes)));
        Ok(Self {
            settings,
            ca_pems,
            config,
            resolver,
            connections: Mutex::new(HashMap::new()),
            disk,
        })
    }

    /// Whether requests are forbidden (answers come from the cache alone).
    #[must_use]
    pub fn offline(&self) -> bool {
        self.settings.cache.as_ref().is_some_and(|c| c.offline)
    }

    /// The on-disk cache, when there is one.
    #[must_use]
    pub fn disk_cache(&self) -> Option<&Arc<crate::cache::DiskCache>> {
        self.disk.as_ref()
    }

    /// The host the cache files `registry`'s records under (its API endpoint, which is the
    /// host its fetcher asks).
    #[must_use]
    pub fn cache_host(&self, registry: &str) -> String {
        self.config
            .for_registry(registry)
            .and_then(|t| t.endpoint.clone())
            .unwrap_or_else(|| api_host(registry).to_string())
    }

    /// The cache and host to record `registry`'s tags under, when its fetcher keeps them (a
    /// loopback registry only when the cache directory was chosen): a registry API's answer
    /// is logged where the registry's own would be.
    #[must_use]
    pub fn tag_log(&self, registry: &str) -> Option<(&Arc<crate::cache::DiskCache>, String)> {
        let (disk, cache) = (self.disk.as_ref()?, self.settings.cache.as_ref()?);
        let host = self.cache_host(registry);
        (!cache.offline && (cache.include_loopback || !crate::registry::proxy::is_loopback(&host)))
            .then_some((disk, host))
    }

    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    #[must_use]
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    /// The connection for `location`, made on first use and shared afterwards (one fetcher,
    /// one digest cache, one credential lookup per location).
    pub async fn connect(&self, location: &Location) -> Result<Arc<Connection>, ConnectError> {
        let slot = {
            let mut all = self.connections.lock().await;
            let slot = all.entry(location.clone()).or_default();
            let expired = slot
                .get()
                .and_then(|c| c.renew_after)
                .is_some_and(|at| std::time::SystemTime::now() >= at);
            // A 401 since it was made: the user may have fixed the login meanwhile (edited
            // config.json, logged in again), so the credential sources are read again.
            let refused = slot
                .get()
                .is_some_and(|c| c.refused.load(std::sync::atomic::Ordering::Relaxed))
                && self.rereads_credentials();
            if expired || refused {
                // Its login ran out or was refused: the next use makes a new connection (and
                // logs in again).
                *slot = Slot::default();
            }
            if let (true, Location::Registry(registry)) = (refused, location) {
                // Under the lock: no other task makes the new connection from the old answer.
                self.resolver.forget(registry).await;
            }
            slot.clone()
        };
        slot.get_or_try_init(|| async { self.make(location).await.map(Arc::new) })
            .await
            .cloned()
    }

    /// Whether the credentials come from sources that can change while running (not
    /// `--username`, not anonymous, not offline).
    fn rereads_credentials(&self) -> bool {
        self.settings.credentials.is_none() && !self.settings.anonymous && !self.offline()
    }

    /// The connection for `location` if one was made already (nothing is made or looked up).
    pub async fn existing(&self, location: &Location) -> Option<Arc<Connection>> {
        let slot = self.connections.lock().await.get(location).cloned()?;
        slot.get().cloned()
    }

    /// The connection for the location `reference` lives in.
    pub async fn connect_to(&self, reference: &ImageRef) -> Result<Arc<Connection>, ConnectError> {
        self.connect(&Location::of(reference)).await
    }

    /// A fresh, unshared connection to `registry` that sends `credentials` (for `login`, which
    /// checks credentials before storing them).
    pub fn connect_as(
        &self,
        registry: &str,
        credentials: Credentials,
    ) -> Result<Connection, ConnectError> {
        let info = CredentialInfo {
            source: Source::Explicit,
            username: Some(credentials.username.clone()),
            identity_token: false,
            notes: Vec::new(),
        };
        self.registry_connection(registry, Resolved::explicit(credentials), info)
    }

    async fn make(&self, location: &Location) -> Result<Connection, ConnectError> {
        match location {
            Location::Layout(path) => {
                let reference = ImageRef::Layout(LayoutRef {
                    path: path.clone(),
                    tag: None,
                    digest: None,
                });
                let fetcher = Fetcher::for_reference(
                    &reference,
                    HttpOptions::default(),
                    self.settings.limits,
                )?;
                Ok(Connection {
                    location: location.clone(),
                    endpoint: None,
                    fetcher: Arc::new(fetcher),
                    credentials: None,
                    tls: TlsInfo::default(),
                    renew_after: None,
                    refused: std::sync::atomic::AtomicBool::new(false),
                })
            }
            Location::Registry(registry) => {
                let (resolved, renew_after) = match &self.settings.credentials {
                    Some(c) => (Resolved::explicit(c.clone()), None),
                    // Offline nothing is sent, so no helper need run.
                    None if self.settings.anonymous || self.offline() => (
                        Resolved {
                            source: Source::Anonymous,
                            credentials: None,
                            identity_token: false,
                            notes: Vec::new(),
                        },
                        None,
                    ),
                    None => {
                        self.with_aws(registry, self.resolver.resolve(registry).await)
                            .await
                    }
                };
                let info = CredentialInfo::from_resolved(&resolved);
                let mut connection = self.registry_connection(registry, resolved, info)?;
                connection.renew_after = renew_after;
                Ok(connection)
            }
        }
    }

    /// For a private ECR registry that no docker or regscope source served: a login from
    /// the AWS chain; when that fails too, why goes into the notes.
    /// The login's end comes along: past it the connection is made again.
    async fn with_aws(
        &self,
        registry: &str,
        resolved: Resolved,
    ) -> (Resolved, Option<std::time::SystemTime>) {
        let Some(ecr) =
            crate::registry::ecr_host::EcrHost::parse(registry).and_then(|h| h.private().cloned())
        else {
            return (resolved, None);
        };
        if resolved.credentials.is_some() {
            return (resolved, None);
        }
        let endpoint = crate::auth::ecr::api_endpoint(&self.config, registry);
        match crate::auth::ecr::login(&ecr, endpoint.as_deref()).await {
            Ok((token, until)) => (
                Resolved {
                    source: Source::AwsEcr {
                        via: crate::auth::ecr::aws_source_hint(),
                    },
                    credentials: Some(Credentials::new(&token.username, &token.password)),
                    identity_token: false,
                    notes: resolved.notes,
                },
                Some(until.into()),
            ),
            Err(e) => {
                let mut notes = resolved.notes;
                // Most ECR login errors already begin with "AWS ..."; a second prefix reads twice.
                let text = e.to_string();
                notes.push(if text.starts_with("AWS") {
                    text
                } else {
                    format!("AWS: {text}")
                });
                (Resolved { notes, ..resolved }, None)
            }
        }
    }

    /// How requests for `registry` that go to `host` trust TLS servers: `--insecure` or the
    /// config file's `insecure`, `--ca-file`, the config file's `ca_file`, and the certs.d CAs
    /// of `host`. The registry's own requests and its service's API (at another host) share it.
    pub fn trust(&self, registry: &str, host: &str) -> Result<Trust, ConnectError> {
        let table = self.config.for_registry(registry);
        let mut tls = TlsInfo {
            plain_http: self.settings.plain_http || table.is_some_and(|t| t.plain_http),
            ..TlsInfo::default()
        };
        if self.settings.insecure {
            tls.insecure = Some("--insecure".into());
        } else if table.is_some_and(|t| t.insecure) {
            tls.insecure = Some("insecure = true in the config file".into());
        }
        let mut ca_pems = Vec::new();
        for (path, pem) in &self.ca_pems {
            tls.extra_cas
                .push(format!("{} (--ca-file)", path.display()));
            ca_pems.push(pem.clone());
        }
        if let Some(path) = table.and_then(|t| t.ca_file.as_ref()) {
            let origin = format!("ca_file for {registry} in the config file:");
            ca_pems.push(read_ca(path, &origin)?);
            tls.extra_cas
                .push(format!("{} (config file)", path.display()));
        }
        // certs.d is keyed by the host requests go to, as docker keys it.
        for (path, pem) in crate::config::certs_d_cas(host) {
            validate_ca(&pem, &path, "the certs.d file")?;
            tls.extra_cas.push(format!("{} (certs.d)", path.display()));
            ca_pems.push(pem);
        }
        Ok(Trust { info: tls, ca_pems })
    }

    fn registry_connection(
        &self,
        registry: &str,
        resolved: Resolved,
        info: CredentialInfo,
    ) -> Result<Connection, ConnectError> {
        let table = self.config.for_registry(registry);
        let endpoint = table
            .and_then(|t| t.endpoint.clone())
            .unwrap_or_else(|| api_host(registry).to_string());
        let Trust { info: tls, ca_pems } = self.trust(registry, &endpoint)?;
        let opts = HttpOptions {
            plain_http: tls.plain_http,
            insecure: tls.insecure.is_some(),
            ca_pems,
            timeout: self.settings.timeout,
            credentials: resolved.credentials,
            identity_token: resolved.identity_token,
            concurrency: self.settings.concurrency.max(1),
            ..HttpOptions::default()
        };
        let mut fetcher =
            Fetcher::for_registry_at(registry, &endpoint, opts, self.settings.limits)?;
        if let (Some(disk), Some(cache)) = (&self.disk, &self.settings.cache) {
            if cache.include_loopback || !crate::registry::proxy::is_loopback(&endpoint) {
                fetcher = fetcher.with_disk_cache(DiskUse {
                    cache: disk.clone(),
                    offline: cache.offline,
                    trust: cache.trust,
                });
            }
        }
        Ok(Connection {
            location: Location::Registry(registry.to_string()),
            endpoint: Some(endpoint),
            fetcher: Arc::new(fetcher),
            credentials: Some(info),
            tls,
            renew_after: None,
            refused: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Registries the user has set up anywhere, with where their credentials would come from
    /// (first source in precedence order): regscope logins, docker and podman config, and the
    /// config file's tables. Runs no helper; reads no secret.
    #[must_use]
    pub fn known_registries(&self) -> Vec<(String, Option<Source>)> {
        let mut out: Vec<(String, Option<Source>)> = Vec::new();
        let mut add = |registry: String, source: Option<Source>| match out
            .iter_mut()
            .find(|(r, _)| *r == registry)
        {
            Some((_, existing @ None)) => *existing = source,
            Some(_) => {}
            None => out.push((registry, source)),
        };
        for (registry, _) in crate::auth::keyring::logins() {
            add(registry, Some(Source::Keyring));
        }
        for (registry, source) in self.resolver.configured_registries() {
            add(registry, Some(source));
        }
        for registry in self.config.registry.keys() {
            add(registry.clone(), None);
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn read_ca(path: &Path, origin: &str) -> Result<Vec<u8>, ConnectError> {
    let pem = std::fs::read(path).map_err(|e| ConnectError::CaFile {
        origin: origin.to_string(),
        path: path.display().to_string(),
        detail: format!("cannot be read: {e}"),
    })?;
    validate_ca(&pem, path, origin)?;
    Ok(pem)
}

fn validate_ca(pem: &[u8], path: &Path, origin: &str) -> Result<(), ConnectError> {
    crate::registry::tls::parse_pem_certs(pem)
        .map(|_| ())
        .map_err(|e| ConnectError::CaFile {
            origin: origin.to_string(),
            path: path.display().to_string(),
            detail: format!("is not a CA certificate: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::error::explain;
    use super::*;

    #[tokio::test]
    async fn a_connection_whose_login_ran_out_is_made_again() {
        let connector = Connector::isolated(Settings::default()).expect("connector");
        let location = Location::Registry("127.0.0.1:1".into());
        let first = connector.connect(&location).await.expect("connection");
        assert!(Arc::ptr_eq(
            &first,
            &connector.connect(&location).await.expect("again")
        ));

        // The same connection, with a login that ended (an ECR token past its 12 hours).
        let mut expired = connector
            .registry_connection(
                "127.0.0.1:1",
                Resolved::explicit(Credentials::new("AWS", "token")),
                info(Source::Anonymous, None),
            )
            .expect("connection");
        expired.renew_after = Some(std::time::UNIX_EPOCH);
        let expired = Arc::new(expired);
        let slot = Slot::default();
        slot.set(expired.clone()).expect("set");
        connector
            .connections
            .lock()
            .await
            .insert(location.clone(), slot);
        let renewed = connector.connect(&location).await.expect("renewed");
        assert!(
            !Arc::ptr_eq(&renewed, &expired),
            "the expired one was reused"
        );
        assert_eq!(renewed.renew_after, None);
    }

    fn info(source: Source, user: Option<&str>) -> CredentialInfo {
        CredentialInfo {
            source,
            username: user.map(str::to_string),
            identity_token: false,
            notes: Vec::new(),
        }
    }

    fn unauthorized() -> FetchError {
        FetchError::Unauthorized {
            registry: "reg.test:5000".into(),
            detail: ": UNAUTHORIZED authentication required".into(),
        }
    }

    #[test]
    fn a_refusal_names_the_source_and_its_next_step() {
        let helper = info(
            Source::DockerCredHelper {
                helper: "pass".into(),
                file: PathBuf::from("/h/.docker/config.json"),
            },
            Some("alice"),
        );
        let text = explain(&unauthorized(), Some(&helper));
        assert!(
            text.contains("the credentials of alice from docker-credential-pass")
                && text.contains("docker login reg.test:5000"),
            "{text}"
        );
        let text = explain(&unauthorized(), Some(&info(Source::Keyring, Some("bob"))));
        assert!(
            text.contains("regscope login reg.test:5000` again"),
            "{text}"
        );
        let mut anonymous = info(Source::Anonymous, None);
        anonymous
            .notes
            .push("docker-credential-gone is not on PATH".into());
        let text = explain(&unauthorized(), Some(&anonymous));
        assert!(
            text.contains("refused anonymous access (401")
                && text.contains("regscope login reg.test:5000")
                && text.contains("docker-credential-gone is not on PATH"),
            "{text}"
        );
    }

    #[test]
    fn other_errors_keep_their_own_sentence() {
        let e = FetchError::Connect {
            host: "h:1".into(),
            detail: "refused".into(),
        };
        assert_eq!(
            explain(&e, Some(&info(Source::Keyring, Some("x")))),
            e.to_string()
        );
    }

    #[test]
    fn config_endpoint_and_flags_make_the_connection() {
        let config = crate::config::parse(
            "[registry.\"reg.example:5000\"]\nendpoint = \"127.0.0.1:9\"\nplain_http = true\n",
        )
        .expect("valid config");
        let connector = Connector::with_parts(
            Settings {
                insecure: true,
                credentials: Some(Credentials::new("u", "p")),
                ..Settings::default()
            },
            config,
            Resolver::with_env(HashMap::new()),
        )
        .expect("connector");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let c = runtime
            .block_on(connector.connect(&Location::Registry("reg.example:5000".into())))
            .expect("connection");
        assert_eq!(c.endpoint.as_deref(), Some("127.0.0.1:9"));
        assert!(c.tls.plain_http);
        assert_eq!(c.tls.insecure.as_deref(), Some("--insecure"));
        let creds = c.credentials.as_ref().expect("credentials");
        assert_eq!(creds.source, Source::Explicit);
        assert_eq!(creds.username.as_deref(), Some("u"));
        assert!(!format!("{c:?}").contains("\"p\""));
        // One connection per location.
        let again = runtime
            .block_on(connector.connect(&Location::Registry("reg.example:5000".into())))
            .expect("connection");
        assert!(Arc::ptr_eq(&c, &again));
    }

    #[test]
    fn an_unreadable_ca_file_is_named() {
        let e = Connector::with_parts(
            Settings {
                ca_files: vec![PathBuf::from("/nonexistent/ca.pem")],
                ..Settings::default()
            },
            Config::default(),
            Resolver::with_env(HashMap::new()),
        )
        .expect_err("missing CA file");
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }
}

//! Where a registry's credentials come from, looked up in the user's docker and podman config.
//!
//! Sources, in order; the first that yields credentials wins:
//!
//! 1. **Explicit**: `--username` with `--password-stdin`, or `REGSCOPE_USERNAME` /
//!    `REGSCOPE_PASSWORD`. The caller handles these ([`Resolved::explicit`]) and does not ask
//!    the [`Resolver`].
//! 2. **regscope's own logins** in the OS keyring (not implemented yet, see [`keyring`]).
//! 3. **Docker**: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`:
//!    1. `credHelpers` for the registry: runs `docker-credential-<helper> get`;
//!    2. `credsStore`: runs `docker-credential-<store> get`;
//!    3. `auths` for the registry: `auth` (base64 `user:password`), or `username` and
//!       `password`; an `identitytoken` makes the secret an identity (refresh) token.
//! 4. **Podman** (containers/image): `$REGISTRY_AUTH_FILE`,
//!    `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json`
//!    (`~/.config/containers/auth.json`), each file's `auths` for the registry.
//! 5. **AWS** for an ECR registry (feature `ecr`): `GetAuthorizationToken` through the AWS
//!    chain (the connector asks [`ecr::login`] when nothing above served the host).
//! 6. **Anonymous**.
//!
//! Registry keys match as in docker: the scheme and any path are dropped from a config key
//! (`https://ghcr.io`, `http://localhost:5000/v2/`) and the `host[:port]` is compared
//! exactly (case-insensitively). Docker Hub (`docker.io`, `index.docker.io`,
//! `registry-1.docker.io`) is keyed `https://index.docker.io/v1/`, and that is the server URL
//! its helper is asked for; other registries' helpers are asked for the bare host. Podman's
//! `registry/namespace` keys are not used for a registry-wide lookup (a note says they exist).
//!
//! A source that fails is skipped with a note ([`Resolved::notes`]) and the next one is tried:
//! a helper that is not on `PATH`, hangs past the timeout (5 s by default; it is killed),
//! exits non-zero, prints something other than credentials JSON (or over 1 MiB), or returns an
//! empty secret; a config file that is unreadable or not JSON; an `auths` entry that does not
//! decode. Notes never contain a secret, nor a helper's output.
//!
//! Where this differs from docker, it is to find credentials docker would also have found
//! elsewhere: docker stops at a failing helper (we go on to `auths` and podman), and podman
//! with `REGISTRY_AUTH_FILE` reads only that file (we go on to the others).
//!
//! Helpers run at most once per registry per [`Resolver`]: results are cached.

mod docker_config;
pub mod ecr;
mod entry;
mod env;
mod file;
mod helper;
mod key;
pub mod keyring;
pub mod logins;
mod podman;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};

use crate::registry::Credentials;
use docker_config::DockerConfig;
use entry::Entry;
use env::Env;
use file::Auths;
use helper::{HelperEnv, HelperError};
use podman::AuthFile;

/// How a credential helper's reply is read; public for the fuzzer (`fuzz/`).
#[doc(hidden)]
pub use helper::parse_reply as parse_helper_reply;
pub use key::{registry_host, DOCKER_HUB, DOCKER_HUB_SERVER};

/// How long a credential helper may take before it is killed.
pub const DEFAULT_HELPER_TIMEOUT: Duration = Duration::from_secs(5);

/// Where credentials came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--username` / `REGSCOPE_USERNAME` (set by the caller).
    Explicit,
    /// regscope's own login in the OS keyring.
    Keyring,
    /// `credHelpers` in docker's config; `helper` is the name after `docker-credential-`.
    DockerCredHelper {
        helper: String,
        file: PathBuf,
    },
    /// `credsStore` in docker's config; `helper` is the name after `docker-credential-`.
    DockerCredsStore {
        helper: String,
        file: PathBuf,
    },
    /// `auths` in docker's config.
    DockerAuths {
        file: PathBuf,
    },
    /// `auths` in a podman auth file.
    Podman {
        file: PathBuf,
    },
    /// An ECR login from `GetAuthorizationToken` with AWS credentials; `via` says which
    /// (`AWS profile dev`, `AWS_ACCESS_KEY_ID`).
    AwsEcr {
        via: String,
    },
    Anonymous,
}

impl Source {
    /// Human text, with `home` written `~` in paths: `docker-credential-pass (credsStore in
    /// ~/.docker/config.json)`.
    #[must_use]
    pub fn describe(&self, home: Option<&Path>) -> String {
        let show = |p: &Path| env::show_path(p, home);
        let helper = |h: &str| crate::sanitize::sanitize(&helper::program_name(h)).into_owned();
        match self {
            Self::Explicit => "explicit credentials (--username / REGSCOPE_USERNAME)".into(),
            Self::Keyring => "regscope login (OS keyring)".into(),
            Self::DockerCredHelper { helper: h, file } => {
                format!("{} (credHelpers in {})", helper(h), show(file))
            }
            Self::DockerCredsStore { helper: h, file } => {
                format!("{} (credsStore in {})", helper(h), show(file))
            }
            Self::DockerAuths { file } => format!("auths in {}", show(file)),
            Self::Podman { file } => format!("auths in {} (podman)", show(file)),
            Self::AwsEcr { via } => format!("ECR GetAuthorizationToken with {via}"),
            Self::Anonymous => "anonymous (no credentials configured)".into(),
        }
    }

    /// The config file this source lives in, if any.
    #[must_use]
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::DockerCredHelper { file, .. }
            | Self::DockerCredsStore { file, .. }
            | Self::DockerAuths { file }
            | Self::Podman { file } => Some(file),
            Self::Explicit | Self::Keyring | Self::AwsEcr { .. } | Self::Anonymous => None,
        }
    }
}

impl fmt::Display for Source {
    /// Paths under the process's `HOME` are written `~`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
        f.write_str(&self.describe(home.as_deref().map(Path::new)))
    }
}

/// The outcome of a lookup. `Debug` is safe to print: [`Credentials`] redacts its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub source: Source,
    pub credentials: Option<Credentials>,
    /// The secret is an identity token (docker's `identitytoken`, or a helper's `<token>`
    /// username): it is exchanged for a bearer token with an `OAuth2` `refresh_token` grant, not
    /// sent as a password. The username is then only for display.
    pub identity_token: bool,
    /// Why earlier sources were skipped (never a secret).
    pub notes: Vec<String>,
}

impl Resolved {
    /// Credentials the user gave on the command line or in `REGSCOPE_*`.
    #[must_use]
    pub fn explicit(credentials: Credentials) -> Self {
        Self {
            source: Source::Explicit,
            credentials: Some(credentials),
            identity_token: false,
            notes: Vec::new(),
        }
    }

    fn found(source: Source, credentials: Credentials, identity_token: bool) -> Self {
        Self {
            source,
            credentials: Some(credentials),
            identity_token,
            notes: Vec::new(),
        }
    }

    fn anonymous() -> Self {
        Self {
            source: Source::Anonymous,
            credentials: None,
            identity_token: false,
            notes: Vec::new(),
        }
    }
}

/// Looks up credentials, caching per registry so each helper runs once per process.
pub struct Resolver {
    env: Env,
    helper_vars: Vec<(String, String)>,
    helper_timeout: Duration,
    cache: Mutex<HashMap<String, Arc<OnceCell<Resolved>>>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `helper_vars` are left out: a test's map may hold anything.
        f.debug_struct("Resolver")
            .field("env", &self.env)
            .field("helper_timeout", &self.helper_timeout)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// Reads `DOCKER_CONFIG`, `HOME`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`,
    /// `XDG_CONFIG_HOME` and `PATH` from the process environment, once.
    #[must_use]
    pub fn from_env() -> Self {
        Self::new(Env::from_process(), Vec::new())
    }

    /// Takes the same variables from `vars` instead (`PATH` is where helpers are looked up).
    /// Helpers run with the process environment plus every variable in `vars`, so a test can
    /// give them their own `HOME`, `GNUPGHOME`, … without touching the process.
    #[must_use]
    pub fn with_env(vars: HashMap<String, String>) -> Self {
        let env = Env::from_map(&vars);
        let mut helper_vars: Vec<_> = vars.into_iter().collect();
        helper_vars.sort();
        Self::new(env, helper_vars)
    }

    fn new(env: Env, helper_vars: Vec<(String, String)>) -> Self {
        Self {
            env,
            helper_vars,
            helper_timeout: DEFAULT_HELPER_TIMEOUT,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Sets how long a credential helper may run before it is killed.
    #[must_use]
    pub fn with_helper_timeout(mut self, timeout: Duration) -> Self {
        self.helper_timeout = timeout;
        self
    }

    #[must_use]
    pub fn helper_timeout(&self) -> Duration {
        self.helper_timeout
    }

    /// The credentials for `registry` (`docker.io`, `ghcr.io`, `localhost:5000`; a scheme or
    /// path is ignored). Runs at most once per registry: concurrent callers share the lookup.
    pub async fn resolve(&self, registry: &str) -> Resolved {
        let registry = key::registry_host(registry);
        let cell = {
            let mut cache = self.cache.lock().await;
            cache.entry(registry.clone()).or_default().clone()
        };
        cell.get_or_init(|| self.lookup(&registry)).await.clone()
    }

    /// Forgets what was resolved for `registry`: the next [`Self::resolve`] reads the
    /// credential sources again (after a 401, the user may have fixed them).
    pub async fn forget(&self, registry: &str) {
        self.cache
            .lock()
            .await
            .remove(&key::registry_host(registry));
    }

    /// Every registry the config files name, with the source that names it, in precedence
    /// order per registry (registries sorted by name). Runs no helper, so it says where
    /// credentials would come from, not whether they work.
    #[must_use]
    pub fn configured_registries(&self) -> Vec<(String, Source)> {
        let mut out: Vec<(String, Source)> = Vec::new();
        let mut push = |registry: String, source: Source| {
            if !out.iter().any(|(r, s)| *r == registry && *s == source) {
                out.push((registry, source));
            }
        };
        if let Some(Ok(Some(config))) = self
            .env
            .docker_config_file()
            .map(|f| DockerConfig::load(&f))
        {
            for (k, helper) in &config.cred_helpers {
                push(
                    key::registry_host(k),
                    Source::DockerCredHelper {
                        helper: helper.clone(),
                        file: config.file.clone(),
                    },
                );
            }
            for (k, value) in &config.auths.0 {
                let login = matches!(entry::decode(value), Ok(Entry::Login { .. }));
                let source = match (&config.creds_store, login) {
                    (Some(store), false) => Source::DockerCredsStore {
                        helper: store.clone(),
                        file: config.file.clone(),
                    },
                    _ => Source::DockerAuths {
                        file: config.file.clone(),
                    },
                };
                push(key::registry_host(k), source);
            }
        }
        for path in self.env.podman_auth_files() {
            if let Ok(Some(auth)) = AuthFile::load(&path) {
                for (k, _) in &auth.auths.0 {
                    push(
                        key::registry_host(k),
                        Source::Podman {
                            file: auth.file.clone(),
                        },
                    );
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    async fn lookup(&self, registry: &str) -> Resolved {
        let mut notes = Vec::new();
        // The keyring may block on D-Bus for up to its timeout: keep it off the async workers.
        let name = registry.to_string();
        let from_keyring = tokio::task::spawn_blocking(move || keyring::lookup(&name))
            .await
            .ok()
            .flatten();
        if let Some(credentials) = from_keyring {
            return Resolved::found(Source::Keyring, credentials, false);
        }
        if let Some(found) = self.lookup_docker(registry, &mut notes).await {
            return Resolved { notes, ..found };
        }
        if let Some(found) = self.lookup_podman(registry, &mut notes) {
            return Resolved { notes, ..found };
        }
        Resolved {
            notes,
            ..Resolved::anonymous()
        }
    }

    async fn lookup_docker(&self, registry: &str, notes: &mut Vec<String>) -> Option<Resolved> {
        let path = self.env.docker_config_file()?;
        let config = match DockerConfig::load(&path) {
            Ok(Some(c)) => c,
            Ok(None) => return None,
            Err(e) => {
                notes.push(format!("{} {e}; skipped", self.env.show(&path)));
                return None;
            }
        };
        for problem in &config.problems {
            notes.push(format!(
                "{} {problem}; that part is skipped",
                self.env.show(&path)
            ));
        }
        let server = key::helper_server_url(registry);

        if let Some((k, helper)) = config.cred_helper(registry) {
            let source = Source::DockerCredHelper {
                helper: helper.to_string(),
                file: path.clone(),
            };
            // The key as written is what an older `docker login` may have stored it under.
            let servers = dedup([server.clone(), k.to_string()]);
            if let Some(found) = self.run_helper(helper, &servers, source, notes).await {
                return Some(found);
            }
        }
        if let Some(store) = &config.creds_store {
            let source = Source::DockerCredsStore {
                helper: store.clone(),
                file: path.clone(),
            };
            // `docker login` leaves an empty `auths` entry under the key it stored the secret
            // with; older versions kept the scheme (`https://ghcr.io`).
            let keys = config.auths.matching(registry, false);
            let servers = dedup(
                std::iter::once(server.clone()).chain(keys.iter().map(|(k, _)| k.to_string())),
            );
            if let Some(found) = self.run_helper(store, &servers, source, notes).await {
                return Some(found);
            }
        }
        let source = Source::DockerAuths { file: path };
        self.lookup_auths(&config.auths, registry, false, source, notes)
    }

    fn lookup_podman(&self, registry: &str, notes: &mut Vec<String>) -> Option<Resolved> {
        for path in self.env.podman_auth_files() {
            let auth = match AuthFile::load(&path) {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(e) => {
                    notes.push(format!("{} {e}; skipped", self.env.show(&path)));
                    continue;
                }
            };
            let source = Source::Podman { file: path.clone() };
            if let Some(found) = self.lookup_auths(&auth.auths, registry, true, source, notes) {
                return Some(found);
            }
            let namespaced = auth.auths.namespace_keys(registry);
            if !namespaced.is_empty() {
                let keys: Vec<_> = namespaced
                    .iter()
                    .map(|k| crate::sanitize::sanitize(k).into_owned())
                    .collect();
                notes.push(format!(
                    "{} has credentials only for {} (per-repository keys are not used)",
                    self.env.show(&path),
                    keys.join(", ")
                ));
            }
        }
        None
    }

    /// The first usable `auths` entry for `registry`; undecodable ones leave a note.
    fn lookup_auths(
        &self,
        auths: &Auths,
        registry: &str,
        registry_level_only: bool,
        source: Source,
        notes: &mut Vec<String>,
    ) -> Option<Resolved> {
        for (k, value) in auths.matching(registry, registry_level_only) {
            match entry::decode(value) {
                Ok(Entry::Login {
                    credentials,
                    identity_token,
                }) => return Some(Resolved::found(source, credentials, identity_token)),
                Ok(Entry::Empty) => {}
                Err(e) => notes.push(format!(
                    "{}: the `auths` entry `{}` is skipped: {e}",
                    self.describe(&source),
                    crate::sanitize::sanitize(k)
                )),
            }
        }
        None
    }

    /// Asks `helper` for each server URL in turn until one answers; only "not found" moves on
    /// to the next URL, any other failure ends this source with a note.
    async fn run_helper(
        &self,
        helper: &str,
        servers: &[String],
        source: Source,
        notes: &mut Vec<String>,
    ) -> Option<Resolved> {
        let env = HelperEnv {
            path: self.env.path.clone(),
            vars: self.helper_vars.clone(),
            timeout: self.helper_timeout,
        };
        let mut last: Option<HelperError> = None;
        for server in servers {
            match helper::get(helper, server, &env).await {
                Ok(found) => {
                    return Some(Resolved::found(
                        source,
                        found.credentials,
                        found.identity_token,
                    ))
                }
                Err(e) if e.is_not_found() => last = Some(e),
                Err(e) => {
                    last = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = last {
            notes.push(format!(
                "{} {e}; trying the next source",
                self.describe(&source)
            ));
        }
        None
    }

    fn describe(&self, source: &Source) -> String {
        source.describe(self.env.home.as_deref())
    }
}

fn dedup(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

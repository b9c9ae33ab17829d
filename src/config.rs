//! regscope's own config file: per-registry TLS, plain HTTP and endpoint settings.
//!
//! `$REGSCOPE_CONFIG`, else `$XDG_CONFIG_HOME/regscope/config.toml`, else
//! `~/.config/regscope/config.toml`. Unknown keys are an error: a typo in `ca_flie` must not
//! silently leave verification failing.
//!
//! ```toml
//! target = "lambda"                     # the TUI's deployment target (lambda, linux/arm64, ...)
//!
//! [registry."registry.example.com:5000"]
//! ca_file = "/etc/ssl/private-ca.pem"   # trust this CA for this registry
//! insecure = false                      # skip verification (loudly marked)
//! plain_http = false                    # speak HTTP
//! endpoint = "127.0.0.1:5001"           # reach this registry name at another address
//!                                       # (or a URL: "http://127.0.0.1:5001" is plain HTTP)
//! ecr_api_endpoint = "https://vpce-1.api.ecr.eu-west-1.vpce.amazonaws.com"  # ECR API calls
//!
//! [verify."123456789012.dkr.ecr.*/prod/*"]   # `registry/repository`, `*` and `?` as in a shell
//! key = "cosign.pub"                    # cosign public key (PEM); relative to this file
//!                                       # (with `identity`+`issuer` and/or `notation = true`
//!                                       # too: a signature of any listed kind satisfies it)
//!
//! [registry."docker.io"]
//! api = "https://hub.docker.com"        # the service's own API, for listing (GHCR: GitHub's)
//! namespaces = ["acme", "library"]      # organisations to list besides the user's own
//!
//! [registry."registry.example.com"]
//! service = "gitlab"                    # a self-hosted GitLab (or "quay") whose API is
//! api = "https://gitlab.example.com"    # on another host
//!
//! [registry."containers.github.example.com"]
//! service = "github"                    # GitHub Enterprise's container registry; its API
//! api = "https://github.example.com/api/v3"  # (this one when left out)
//!
//! [registry."harbor.example.com"]
//! service = "harbor"                    # Harbor (its API on the registry's host unless `api`
//!                                       # says otherwise): push times and scans from the start
//!
//! [layers]                              # waste limits, as dive's CI mode has them, for
//! max_wasted = "20MB"                   # `check --files` (its flags override them) and
//! min_efficiency = 0.95                 # the TUI's `f`
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer};

use crate::model::target::Target;

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The deployment target the TUI judges tags against (`lambda`, `linux/arm64`).
    #[serde(default, deserialize_with = "target")]
    pub target: Option<Target>,
    /// `[layers]`: the waste limits both front ends judge opened layers by.
    #[serde(default)]
    pub layers: LayersConfig,
    #[serde(default)]
    pub registry: BTreeMap<String, RegistryConfig>,
    /// Signature policies by `registry/repository` pattern (`regscope verify`, `check
    /// --require-signed`).
    #[serde(default)]
    pub verify: BTreeMap<String, VerifyPolicy>,
}

/// Which signatures an image matching a pattern must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyPolicy {
    /// A cosign public key (PEM); read and checked by `regscope config check`.
    pub key: Option<PathBuf>,
    /// Keyless: the certificate identity (e-mail or URI SAN) cosign's `--certificate-identity`
    /// names, or a regexp of it, and the OIDC issuer that vouched for it.
    pub identity: Option<String>,
    pub identity_regexp: Option<String>,
    pub issuer: Option<String>,
    /// A private Sigstore's `trusted_root.json` (its Fulcio authorities for keyless policies,
    /// its log keys for both); default: the public-good root.
    pub trusted_root: Option<PathBuf>,
    /// A key's signatures must carry a transparency-log entry (cosign looks a missing one up in
    /// Rekor; regscope, offline, notes it unless this makes it a failure).
    #[serde(default)]
    pub require_tlog: bool,
    /// notation: verify notation signatures with notation's trust policy and trust store, in
    /// notation's places unless `trust_policy` / `trust_store` name them.
    #[serde(default)]
    pub notation: bool,
    pub trust_policy: Option<PathBuf>,
    pub trust_store: Option<PathBuf>,
}

/// Settings for one registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure: bool,
    #[serde(default)]
    pub plain_http: bool,
    /// `host[:port]`, or a URL: `http://host:port` (plain HTTP, as `plain_http = true`) or
    /// `https://host:port`; kept as `host[:port]` once read.
    #[serde(default, deserialize_with = "endpoint")]
    pub endpoint: Option<String>,
    /// Where ECR API calls for this registry go (a test double, a VPC endpoint); else
    /// `AWS_ENDPOINT_URL_ECR` or the SDK's own.
    pub ecr_api_endpoint: Option<String>,
    /// The base URL of the service's own API (Docker Hub, GitHub), where its repositories are
    /// listed when the catalog is not offered: a test stand-in, GitHub Enterprise; or `quay`
    /// or `gitlab` for a self-hosted Quay or GitLab (its API on the registry's own host).
    #[serde(default, deserialize_with = "api_url")]
    pub api: Option<String>,
    /// Which service a registry of another name is (`gitlab`, `quay`), when its API is on
    /// another host: `service = "gitlab"` with `api = "https://gitlab.example"`.
    #[serde(default, deserialize_with = "service")]
    pub service: Option<String>,
    /// Namespaces (organisations, users) to list besides the logged-in user's own.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// `api = "quay"`: the registry is a self-hosted Quay, its API on the registry's own host.
pub const QUAY: &str = "quay";
/// `api = "gitlab"`: the registry is a self-hosted GitLab whose API is on the same host.
pub const GITLAB: &str = "gitlab";
/// `service = "github"`: the registry is GitHub Enterprise's (`containers.HOST`), its packages
/// listed through the API at `api` (else `https://HOST/api/v3`).
pub const GITHUB: &str = "github";
/// `service = "harbor"`: the registry is Harbor; its projects and artifacts are listed through
/// its API from the first request (without it, Harbor is recognised only once the registry
/// refuses the catalog, so a repository opened directly gets no push times or scans).
pub const HARBOR: &str = "harbor";

/// An `api` as read: an `http`/`https` URL, or [`QUAY`]; a typo is an error at its line.
fn api_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    if text == QUAY || text == GITLAB {
        return Ok(Some(text));
    }
    match url::Url::parse(&text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(Some(text.trim_end_matches('/').to_string()))
        }
        _ => Err(serde::de::Error::custom(format!(
            "api: `{}` is not an http(s) URL; write the base URL of the service's API, e.g. `https://hub.docker.com`, or `quay`/`gitlab` for a self-hosted Quay or GitLab on the registry's host",
            crate::sanitize::sanitize(&text)
        ))),
    }
}

/// A `service` as read: [`GITLAB`], [`QUAY`], [`GITHUB`] or [`HARBOR`]; anything else is an error at its
/// line.
fn service<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    if [QUAY, GITLAB, GITHUB, HARBOR].contains(&text.as_str()) {
        return Ok(Some(text));
    }
    Err(serde::de::Error::custom(format!(
        "service: `{}` is not a service regscope lists through; write `gitlab`, `quay`, `harbor` or `github` (GitHub Enterprise; Docker Hub and ghcr.io are known by their names)",
        crate::sanitize::sanitize(&text)
    )))
}

/// A target as `Target::parse` reads it; a bad one is an error at its line like a bad key.
fn target<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Target>, D::Error> {
    let text = String::deserialize(d)?;
    Target::parse(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("target: {e}")))
}

/// An `endpoint` as read: a URL's scheme is kept (`http://` turns plain HTTP on in [`parse`]);
/// anything else that is not `host[:port]` is refused at its line, so a typo never becomes a
/// "failed to lookup address" at the first request.
fn endpoint<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    check_endpoint(&text)
        .map(|()| Some(text))
        .map_err(|e| serde::de::Error::custom(format!("endpoint: {e}")))
}

/// `host[:port]`, `http://host[:port]` or `https://host[:port]` (a trailing `/` allowed).
fn check_endpoint(text: &str) -> Result<(), String> {
    let shown = crate::sanitize::sanitize(text);
    let fix = "write host[:port] (`127.0.0.1:5001`), `http://host:port` for plain HTTP or `https://host:port`";
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, text),
    };
    if let Some(scheme) = scheme.filter(|s| !matches!(*s, "http" | "https")) {
        return Err(format!(
            "`{shown}` has the scheme `{}`; {fix}",
            crate::sanitize::sanitize(scheme)
        ));
    }
    let host_port = rest.strip_suffix('/').unwrap_or(rest);
    if host_port.contains(['/', '@', '?', '#']) {
        return Err(format!(
            "`{shown}` has a path or credentials; the endpoint is where the registry API is served, {fix}"
        ));
    }
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("`{shown}` is not host[:port]; {fix}"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("`{shown}` is not host[:port]; {fix}")),
        };
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("`{shown}` is not host[:port]; {fix}"));
        }
        ("v6", port)
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(format!("`{shown}` is not host[:port]; {fix}"))
    }
}

/// Why the config file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("config file {path}: {detail}")]
pub struct ConfigError {
    pub path: String,
    pub detail: String,
}

/// Where the config file is read from (it need not exist).
#[must_use]
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REGSCOPE_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(x).join("regscope/config.toml"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/regscope/config.toml"))
}

/// Loads the config file; a missing file is an empty config.
pub fn load() -> Result<Config, ConfigError> {
    match path() {
        Some(p) if p.exists() => load_from(&p),
        _ => Ok(Config::default()),
    }
}

pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
    let err = |detail: String| ConfigError {
        path: path.display().to_string(),
        detail,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let mut config = parse(&text).map_err(err)?;
    // A key next to the config file is named as such: relative to the file, not to wherever
    // regscope was started.
    if let Some(dir) = path.parent() {
        for policy in config.verify.values_mut() {
            for path in [
                &mut policy.key,
                &mut policy.trusted_root,
                &mut policy.trust_policy,
                &mut policy.trust_store,
            ]
            .into_iter()
            .flatten()
            {
                if path.is_relative() {
                    *path = dir.join(&*path);
                }
            }
        }
    }
    Ok(config)
}

/// Parses config text; errors name the offending key and line.
pub fn parse(text: &str) -> Result<Config, String> {
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let msg = e.message().to_string();
        match e.span() {
            Some(span) => {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: {msg}")
            }
            None => msg,
        }
    })?;
    // A URL endpoint says how to speak as well as where: keep `host[:port]` for the
    // connection, and `http://` means plain HTTP.
    for table in config.registry.values_mut() {
        let Some(endpoint) = table.endpoint.take() else {
            continue;
        };
        let trimmed = endpoint.strip_suffix('/').unwrap_or(&endpoint);
        table.endpoint = Some(if let Some(host) = trimmed.strip_prefix("http://") {
            table.plain_http = true;
            host.to_string()
        } else {
            trimmed
                .strip_prefix("https://")
                .unwrap_or(trimmed)
                .to_string()
        });
    }
    Ok(config)
}

impl Config {
    /// The settings for `registry`, if any.
    #[must_use]
    pub fn for_registry(&self, registry: &str) -> Option<&RegistryConfig> {
        self.registry.get(registry)
    }

    /// The signature policy for `registry/repository`: the longest matching pattern (the most
    /// specific), with the pattern.
    #[must_use]
    pub fn verify_policy(&self, registry: &str, repository: &str) -> Option<(&str, &VerifyPolicy)> {
        let name = format!("{registry}/{repository}");
        self.verify
            .iter()
            .filter(|(pattern, _)| crate::glob::matches(pattern, &name))
            .max_by_key(|(pattern, _)| pattern.len())
            .map(|(p, v)| (p.as_str(), v))
    }
}

/// CA certificates from docker's and containers' `certs.d` convention for `host[:port]`:
/// every `*.crt` in `/etc/docker/certs.d/HOST/`, `/etc/containers/certs.d/HOST/` and
/// `~/.config/containers/certs.d/HOST/` (`$REGSCOPE_CERTS_D` replaces the list, colon-separated).
#[must_use]
pub fn certs_d_cas(host: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let roots: Vec<PathBuf> = match std::env::var("REGSCOPE_CERTS_D") {
        Ok(list) if !list.is_empty() => list.split(':').map(PathBuf::from).collect(),
        _ => {
            let mut v = vec![
                PathBuf::from("/etc/docker/certs.d"),
                PathBuf::from("/etc/containers/certs.d"),
            ];
            if let Some(h) = std::env::var_os("HOME") {
                v.push(PathBuf::from(h).join(".config/containers/certs.d"));
            }
            v
        }
    };
    let mut out = Vec::new();
    for root in roots {
        let dir = root.join(host);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "crt"))
            .collect();
        files.sort();
        for f in files {
            if let Ok(bytes) = std::fs::read(&f) {
                out.push((f, bytes));
            }
        }
    }
    out
}

/// `[layers]`: dive's CI thresholds, for `check --files` (whose flags override them) and the
/// TUI's files view, so both say the same of the same image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayersConfig {
    /// Bytes wasted at most, as dive counts them (`"20MB"`, `"20MiB"` or a number of bytes).
    #[serde(default, deserialize_with = "size")]
    pub max_wasted: Option<u64>,
    /// dive's efficiency score at least, from 0 to 1.
    #[serde(default, deserialize_with = "ratio")]
    pub min_efficiency: Option<f64>,
}

/// A `max_wasted` as read: a size in words or a number of bytes.
fn size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Bytes(u64),
        Words(String),
    }
    match Size::deserialize(d)? {
        Size::Bytes(n) => Ok(Some(n)),
        Size::Words(text) => parse_size(&text)
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("max_wasted: {e}"))),
    }
}

/// A `min_efficiency` as read: a number from 0 to 1.
fn ratio<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let r = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&r) {
        Ok(Some(r))
    } else {
        Err(serde::de::Error::custom(format!(
            "min_efficiency: `{r}` is not a ratio; write a number from 0 to 1, such as 0.95"
        )))
    }
}

/// A size as `--max-wasted` and `[layers] max_wasted` take it, as dive (go-humanize) reads it:
/// `20MB` is 20,000,000 bytes, `20MiB` 20,971,520, a bare number bytes.
///
/// # Errors
/// A sentence naming the value when it is not a size.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gi" | "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "ti" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{}` is not a size: write it as 20MB, 20MiB or a number of bytes",
                crate::sanitize::sanitize(text)
            ))
        }
    };
    let n: f64 = number.parse().map_err(|_| {
        format!(
            "`{}` is not a size: write it as 20MB, 20MiB or a number of bytes",
            crate::sanitize::sanitize(text)
        )
    })?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )] // a non-negative threshold; the float saturates at u64::MAX
    Ok((n * factor as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_limits_read_as_the_flags_read_them_and_a_bad_one_names_its_line() {
        let c = parse("[layers]\nmax_wasted = \"20MB\"\nmin_efficiency = 0.95\n").unwrap();
        assert_eq!(c.layers.max_wasted, Some(20_000_000));
        assert_eq!(c.layers.min_efficiency, Some(0.95));
        let c = parse("[layers]\nmax_wasted = 290\n").unwrap();
        assert_eq!(c.layers.max_wasted, Some(290));
        assert_eq!(c.layers.min_efficiency, None);
        let e = parse("[layers]\nmax_wasted = \"lots\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("20MiB"), "{e}");
        let e = parse("[layers]\n\nmin_efficiency = 95\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("from 0 to 1"), "{e}");
        let e = parse("[layers]\nmax_waste = \"1MB\"\n").unwrap_err();
        assert!(e.contains("max_waste"), "{e}");
    }

    #[test]
    fn parses_registry_tables() {
        let c = parse(
            "[registry.\"reg.example.com:5000\"]\nca_file = \"/ca.pem\"\ninsecure = true\nendpoint = \"127.0.0.1:1\"\n",
        )
        .expect("valid");
        let r = c.for_registry("reg.example.com:5000").expect("present");
        assert_eq!(r.ca_file.as_deref(), Some(Path::new("/ca.pem")));
        assert!(r.insecure && !r.plain_http);
        assert_eq!(r.endpoint.as_deref(), Some("127.0.0.1:1"));
    }

    #[test]
    fn the_api_and_namespaces_are_read_and_a_bad_api_is_refused_at_its_line() {
        let c = parse(
            "[registry.\"docker.io\"]\napi = \"http://127.0.0.1:9/\"\nnamespaces = [\"acme\"]\n",
        )
        .expect("valid");
        let r = c.for_registry("docker.io").expect("present");
        assert_eq!(r.api.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(r.namespaces, ["acme"]);
        let e =
            parse("[registry.\"docker.io\"]\napi = \"hub.docker.com\"\n").expect_err("no scheme");
        assert!(
            e.contains("line 2") && e.contains("not an http(s) URL"),
            "{e}"
        );
    }

    #[test]
    fn a_service_names_gitlab_or_quay_and_anything_else_is_refused_at_its_line() {
        let c = parse(
            "[registry.\"registry.example\"]\nservice = \"gitlab\"\napi = \"https://gitlab.example/\"\n",
        )
        .expect("valid");
        let r = c.for_registry("registry.example").expect("present");
        assert_eq!(r.service.as_deref(), Some(GITLAB));
        assert_eq!(r.api.as_deref(), Some("https://gitlab.example"));
        let e = parse("[registry.\"r\"]\n\nservice = \"gitlub\"\n").expect_err("a typo");
        assert!(
            e.contains("line 3") && e.contains("write `gitlab`, `quay`, `harbor` or `github`"),
            "{e}"
        );
        let c = parse("[registry.\"h\"]\nservice = \"harbor\"\n").expect("harbor is a service");
        let r = c.for_registry("h").expect("present");
        assert_eq!(r.service.as_deref(), Some(HARBOR));
    }

    #[test]
    fn unknown_keys_are_reported_with_their_line() {
        let e = parse("[registry.\"r\"]\nca_flie = \"/x\"\n").expect_err("typo");
        assert!(e.contains("ca_flie") && e.contains("line 2"), "{e}");
        let e = parse("colour = true\n").expect_err("unknown top-level key");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn an_endpoint_url_says_how_to_speak_and_anything_else_is_refused_at_its_line() {
        let c = parse("[registry.\"r.example\"]\nendpoint = \"http://127.0.0.1:5001\"\n")
            .expect("a plain HTTP URL");
        let r = c.for_registry("r.example").expect("present");
        assert_eq!(r.endpoint.as_deref(), Some("127.0.0.1:5001"));
        assert!(r.plain_http, "http:// means plain HTTP");
        let c = parse("[registry.\"r.example\"]\nendpoint = \"https://[::1]:5001/\"\n")
            .expect("an HTTPS URL");
        let r = c.for_registry("r.example").expect("present");
        assert_eq!(r.endpoint.as_deref(), Some("[::1]:5001"));
        assert!(!r.plain_http);
        for bad in [
            "ftp://127.0.0.1:5001",
            "http://127.0.0.1:5001/v2/",
            "127.0.0.1:99999",
            "http//127.0.0.1",
            "user@host:5000",
        ] {
            let e = parse(&format!("\n[registry.\"r\"]\nendpoint = \"{bad}\"\n")).expect_err(bad);
            assert!(
                e.contains("line 3") && e.contains("endpoint") && e.contains("http://host:port"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn the_target_is_read_and_a_bad_one_is_reported_with_its_line() {
        let c = parse("target = \"lambda/arm64\"\n").expect("valid");
        assert_eq!(
            c.target.map(|t| t.to_string()).as_deref(),
            Some("lambda/arm64")
        );
        let e = parse("\ntarget = \"lambda/riscv\"\n").expect_err("not a target");
        assert!(e.contains("line 2") && e.contains("lambda/riscv"), "{e}");
        let e = parse("target = \"amd64\"\n").expect_err("not a platform");
        assert!(e.contains("os/arch"), "{e}");
    }
}

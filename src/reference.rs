//! Image references: everything `docker pull` accepts, plus `oci:PATH[:TAG|@DIGEST]` layouts.

use std::fmt;
use std::path::PathBuf;

use crate::digest::Digest;

/// Where an image lives: in a registry, or in a local OCI image layout directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Registry(RegistryRef),
    Layout(LayoutRef),
}

/// `host[:port]/repository[:tag][@digest]`, normalised the way docker does (`docker.io/library/…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRef {
    /// The registry name as users write it (`docker.io`, `127.0.0.1:5000`, `ghcr.io`).
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

/// An OCI image layout on disk (`docker buildx build --output type=oci,tar=false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutRef {
    pub path: PathBuf,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

/// Why a reference could not be understood; always says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid reference `{input}`: {reason} (expected e.g. `registry.example.com:5000/team/app:v1`, `alpine@sha256:…` or `oci:./dir:tag`)")]
pub struct ReferenceError {
    pub input: String,
    pub reason: String,
}

const LAYOUT_PREFIX: &str = "oci:";

impl ImageRef {
    /// Parses a reference as typed by a user.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        let err = |reason: &str| ReferenceError {
            input: crate::sanitize::sanitize(input).into_owned(),
            reason: reason.to_string(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(err("it is empty"));
        }
        if trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(err("it contains whitespace or control characters"));
        }
        if let Some(rest) = trimmed.strip_prefix(LAYOUT_PREFIX) {
            return parse_layout(rest)
                .map(ImageRef::Layout)
                .map_err(|r| err(&r));
        }
        parse_registry(trimmed)
            .map(ImageRef::Registry)
            .map_err(|r| err(&r))
    }

    #[must_use]
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            ImageRef::Registry(r) => r.digest.as_ref(),
            ImageRef::Layout(l) => l.digest.as_ref(),
        }
    }

    /// The same registry and repository (or layout) at `tag`, without a digest.
    #[must_use]
    pub fn with_tag(&self, tag: &str) -> ImageRef {
        match self {
            ImageRef::Registry(r) => ImageRef::Registry(RegistryRef {
                tag: Some(tag.to_string()),
                digest: None,
                ..r.clone()
            }),
            ImageRef::Layout(l) => ImageRef::Layout(LayoutRef {
                path: l.path.clone(),
                tag: Some(tag.to_string()),
                digest: None,
            }),
        }
    }
}

impl std::str::FromStr for ImageRef {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn parse_registry(s: &str) -> Result<RegistryRef, String> {
    if let Some((scheme, _)) = s.split_once("://") {
        // Name the scheme that was given (`http://` too): the fix is to drop exactly that.
        let scheme = crate::sanitize::sanitize(scheme);
        return Err(format!(
            "a reference has no scheme; drop the `{scheme}://` (regscope picks HTTPS, or plain HTTP for loopback registries and with --plain-http)"
        ));
    }
    // Docker rejects upper case in repository names but allows it in the host part.
    let name_part = s.split(['@']).next().unwrap_or(s);
    let path_part = name_part
        .split_once('/')
        .map_or(name_part, |(first, rest)| {
            if looks_like_host(first) {
                rest
            } else {
                name_part
            }
        });
    let path_no_tag = path_part.rsplit_once(':').map_or(path_part, |(p, _)| p);
    if path_no_tag.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("repository names must be lowercase".into());
    }
    // The docker grammar, by hand: oci-client's regexes cost tens of milliseconds to compile
    // at every start (tests check this parser against oci-client's).
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => (n, Some(Digest::parse(d).map_err(|e| e.to_string())?)),
        None => (s, None),
    };
    let (name, tag) = match name_tag.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => {
            if !is_valid_tag(t) {
                return Err(format!(
                    "`{}` is not a valid tag (letters, digits, `_`, `.` and `-`, at most 128, not starting with `.` or `-`)",
                    crate::sanitize::sanitize(t)
                ));
            }
            (n, Some(t))
        }
        _ => (name_tag, None),
    };
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if looks_like_host(first) => (first, rest),
        _ => ("docker.io", name),
    };
    if !is_valid_host(registry) {
        return Err(format!(
            "`{}` is not a valid registry host",
            crate::sanitize::sanitize(registry)
        ));
    }
    let registry = if registry == "index.docker.io" {
        "docker.io"
    } else {
        registry
    };
    let repository = if registry == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_string()
    };
    if !is_valid_repository(&repository) || registry.len() + 1 + repository.len() > 255 {
        return Err(format!(
            "`{}` is not a valid repository name (lowercase letters and digits, separated by `.`, `_`, `__`, `-` or `/`)",
            crate::sanitize::sanitize(path)
        ));
    }
    // docker fills in `latest` only when neither tag nor digest is given.
    let tag = match (tag, &digest) {
        (Some(t), _) => Some(t.to_string()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".into()),
    };
    Ok(RegistryRef {
        registry: registry.to_string(),
        repository,
        tag,
        digest,
    })
}

/// `host[:port]`: DNS labels (letters, digits, `-`) joined by dots, an IPv4 address, or an IPv6
/// address in brackets; the port all digits.
fn is_valid_host(host: &str) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return false;
        }
        match after.strip_prefix(':') {
            Some(p) => ("", Some(p)),
            None if after.is_empty() => ("", None),
            None => return false,
        }
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let label = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && l.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && l.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    port_ok && (host.starts_with('[') || (name.len() <= 253 && name.split('.').all(label)))
}

fn looks_like_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost" || first.starts_with('[')
}

fn parse_layout(rest: &str) -> Result<LayoutRef, String> {
    if rest.is_empty() {
        return Err("`oci:` needs a directory, e.g. `oci:./out`".into());
    }
    let (path_and_tag, digest) = match rest.rsplit_once('@') {
        Some((p, d)) => (p, Some(Digest::parse(d).map_err(|e| e.to_string())?)),
        None => (rest, None),
    };
    // A tag follows the last ':' only when that ':' is after the last path separator; a
    // Windows drive (`C:\`) or a directory named `a:b/c` is not a tag.
    let (path, tag) = match path_and_tag.rsplit_once(':') {
        Some((p, t)) if !t.is_empty() && !t.contains('/') && !t.contains('\\') && !p.is_empty() => {
            if !is_valid_tag(t) {
                return Err(format!("`{t}` is not a valid tag"));
            }
            (p, Some(t.to_string()))
        }
        _ => (path_and_tag, None),
    };
    Ok(LayoutRef {
        path: PathBuf::from(path),
        tag,
        digest,
    })
}

/// A repository name as the distribution spec allows it: lowercase path components of
/// `[a-z0-9]+` joined by `.`, `_`, `__` or `-`s, separated by `/`. Nothing else may go into a
/// request path (a `?` or `#` from a hostile catalog would change the request).
#[must_use]
pub fn is_valid_repository(name: &str) -> bool {
    // `[a-z0-9]+` runs joined by exactly one of `.`, `_`, `__`, or one or more `-`.
    fn component(c: &str) -> bool {
        let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let bytes = c.as_bytes();
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
            return false;
        };
        if !alnum(first) || !alnum(last) {
            return false;
        }
        let mut i = 0;
        while i < bytes.len() {
            if alnum(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let separator = &c[start..i];
            if !(separator == "."
                || separator == "_"
                || separator == "__"
                || separator.bytes().all(|b| b == b'-'))
            {
                return false;
            }
        }
        true
    }
    name.len() <= 255 && name.split('/').all(component)
}

/// A tag as the distribution spec allows it: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[must_use]
pub fn is_valid_tag(t: &str) -> bool {
    t.len() <= 128
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl RegistryRef {
    /// The host to talk HTTP to: Docker Hub's API does not live at `docker.io`.
    #[must_use]
    pub fn api_host(&self) -> &str {
        api_host(&self.registry)
    }

    /// The tag or digest to ask the manifests endpoint for (the digest wins, as docker does).
    #[must_use]
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }

    /// `registry/repository`, for display.
    #[must_use]
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

/// Maps a registry name to the host serving its API.
#[must_use]
pub fn api_host(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" => "registry-1.docker.io",
        other => other,
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for LayoutRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci:{}", self.path.display())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageRef::Registry(r) => r.fmt(f),
            ImageRef::Layout(l) => l.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(s: &str) -> RegistryRef {
        match ImageRef::parse(s) {
            Ok(ImageRef::Registry(r)) => r,
            other => panic!("{s}: {other:?}"),
        }
    }

    const D: &str = "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898";

    #[test]
    fn names_safe_for_a_request_path() {
        for good in ["app", "team/app", "a.b_c-d/e__f", "123456789012/x"] {
            assert!(is_valid_repository(good), "{good}");
        }
        for bad in [
            "", "App", "a?b", "a#b", "a/../b", "a//b", "-a", "a-", "a b", "a%2f",
        ] {
            assert!(!is_valid_repository(bad), "{bad}");
        }
        assert!(is_valid_tag("v1.2-rc_1"));
        for bad in ["", "a?b", "a#b", ".a", "-a", "a/b"] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
    }

    #[test]
    fn docker_hub_shorthand_is_normalised() {
        let r = reg("alpine");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/alpine")
        );
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(reg("user/app:1.0").repository, "user/app");
        assert_eq!(reg("index.docker.io/library/busybox").registry, "docker.io");
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let r = reg("127.0.0.1:5000/team/app:v7");
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.manifest_reference(), "v7");
        let r = reg(&format!("localhost:5000/app@{D}"));
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), D);
        let r = reg(&format!("ghcr.io/o/app:v1@{D}"));
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.manifest_reference(), D, "the digest wins over the tag");
        assert_eq!(reg("localhost/app").registry, "localhost");
        assert_eq!(
            reg("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1").repository,
            "app"
        );
    }

    #[test]
    fn malformed_references_say_why() {
        for bad in [
            "",
            " ",
            "UPPER/app",
            "app:",
            "app@sha256:abc",
            "https://ghcr.io/a/b",
            "a b",
            "app:t@@x",
            "-app",
            "app\x1b[2J",
        ] {
            let e = ImageRef::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("invalid reference"), "{bad}: {e}");
            assert!(!e.to_string().contains('\x1b'));
        }
        for (given, scheme) in [
            ("http://127.0.0.1:5000/app:v1", "`http://`"),
            ("https://ghcr.io/a/b", "`https://`"),
            ("ftp://h/a", "`ftp://`"),
        ] {
            let e = ImageRef::parse(given).expect_err(given).to_string();
            assert!(e.contains(scheme), "{given}: {e}");
        }
    }

    #[test]
    fn layouts() {
        let ImageRef::Layout(l) = ImageRef::parse("oci:./out:v1").expect("layout") else {
            panic!("not a layout")
        };
        assert_eq!((l.path, l.tag), (PathBuf::from("./out"), Some("v1".into())));
        let ImageRef::Layout(l) = ImageRef::parse(&format!("oci:/tmp/x@{D}")).expect("layout")
        else {
            panic!("not a layout")
        };
        assert_eq!(l.digest.map(|d| d.to_string()), Some(D.to_string()));
        let ImageRef::Layout(l) = ImageRef::parse("oci:dir/sub").expect("layout") else {
            panic!("not a layout")
        };
        assert_eq!((l.path, l.tag), (PathBuf::from("dir/sub"), None));
        assert!(ImageRef::parse("oci:").is_err());
    }
}

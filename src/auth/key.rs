//! Registry names as config files spell them, reduced to the host docker compares.

/// The key docker's config files and credential helpers use for Docker Hub.
pub const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// The name regscope (and `docker pull`) uses for Docker Hub.
pub const DOCKER_HUB: &str = "docker.io";

/// Reduces a registry name or config key to `host[:port]`, as docker's `ConvertToHostname` does:
/// the scheme and any path (`/v1/`, `/v2/`) go. Hosts are case-insensitive, so it lower-cases,
/// and every Docker Hub alias becomes `docker.io`.
#[must_use]
pub fn registry_host(key: &str) -> String {
    let (host, _) = split_key(key);
    canonical_host(host)
}

/// Splits a key into `host[:port]` and the rest of the path (podman allows
/// `registry/namespace/repo` keys), with the scheme stripped and the path's slashes trimmed.
#[must_use]
pub fn split_key(key: &str) -> (&str, &str) {
    let key = key.trim();
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    match rest.split_once('/') {
        Some((host, path)) => (host, path.trim_matches('/')),
        None => (rest, ""),
    }
}

/// Lower-cases a bare host and folds the Docker Hub aliases into `docker.io`.
#[must_use]
pub fn canonical_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    if is_docker_hub(&host) {
        DOCKER_HUB.to_string()
    } else {
        host
    }
}

/// Whether a (lower-case, bare) host is one of Docker Hub's names.
#[must_use]
pub fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// Whether a config key is a path-less (registry-level) key: `https://index.docker.io/v1/` and
/// `http://localhost:5000/v2/` are, but podman's `quay.io/org` is a namespace key. Docker
/// ignores the path entirely; only the API-version suffixes are registry-level in podman terms.
#[must_use]
pub fn is_registry_level(key: &str) -> bool {
    let (_, path) = split_key(key);
    path.is_empty() || path == "v1" || path == "v2"
}

/// The server URL to hand a credential helper for a registry: Docker Hub is
/// `https://index.docker.io/v1/` (what `docker login` stored), everything else the bare host.
#[must_use]
pub fn helper_server_url(registry: &str) -> String {
    if registry == DOCKER_HUB {
        DOCKER_HUB_SERVER.to_string()
    } else {
        registry.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_reduce_to_hosts() {
        for (key, host) in [
            ("ghcr.io", "ghcr.io"),
            ("https://ghcr.io", "ghcr.io"),
            ("https://GHCR.io/", "ghcr.io"),
            ("http://localhost:5000/v2/", "localhost:5000"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("docker.io", "docker.io"),
            ("quay.io/org/app", "quay.io"),
            ("[::1]:5000", "[::1]:5000"),
        ] {
            assert_eq!(registry_host(key), host, "{key}");
        }
    }

    #[test]
    fn namespace_keys_are_not_registry_level() {
        assert!(is_registry_level("https://index.docker.io/v1/"));
        assert!(is_registry_level("http://localhost:5000/v2/"));
        assert!(is_registry_level("ghcr.io"));
        assert!(!is_registry_level("quay.io/org"));
        assert_eq!(split_key("quay.io/org/app/"), ("quay.io", "org/app"));
    }

    #[test]
    fn helper_urls() {
        assert_eq!(helper_server_url("docker.io"), DOCKER_HUB_SERVER);
        assert_eq!(helper_server_url("ghcr.io"), "ghcr.io");
    }
}

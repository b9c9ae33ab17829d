//! The environment the credential lookup depends on, captured once so tests can supply their own.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variables docker and podman read to find their config files, plus `PATH` for helpers.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub docker_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub registry_auth_file: Option<PathBuf>,
    pub xdg_runtime_dir: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    /// Where `docker-credential-*` helpers are looked up (a `PATH` value).
    pub path: Option<OsString>,
}

const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
const HOME: &str = "HOME";
const REGISTRY_AUTH_FILE: &str = "REGISTRY_AUTH_FILE";
const XDG_RUNTIME_DIR: &str = "XDG_RUNTIME_DIR";
const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
const PATH: &str = "PATH";

impl Env {
    /// Snapshots the process environment.
    #[must_use]
    pub fn from_process() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            docker_config: var(DOCKER_CONFIG).map(PathBuf::from),
            home: var(HOME).map(PathBuf::from),
            registry_auth_file: var(REGISTRY_AUTH_FILE).map(PathBuf::from),
            xdg_runtime_dir: var(XDG_RUNTIME_DIR).map(PathBuf::from),
            xdg_config_home: var(XDG_CONFIG_HOME).map(PathBuf::from),
            path: var(PATH),
        }
    }

    /// Takes the same variables from a map; anything else in it is ignored.
    #[must_use]
    pub fn from_map(vars: &HashMap<String, String>) -> Self {
        // Docker and podman treat an empty variable as unset (Go's `os.Getenv` gives "").
        let var = |name: &str| vars.get(name).filter(|v| !v.is_empty()).cloned();
        Self {
            docker_config: var(DOCKER_CONFIG).map(PathBuf::from),
            home: var(HOME).map(PathBuf::from),
            registry_auth_file: var(REGISTRY_AUTH_FILE).map(PathBuf::from),
            xdg_runtime_dir: var(XDG_RUNTIME_DIR).map(PathBuf::from),
            xdg_config_home: var(XDG_CONFIG_HOME).map(PathBuf::from),
            path: var(PATH).map(OsString::from),
        }
    }

    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json` (docker never reads both).
    #[must_use]
    pub fn docker_config_file(&self) -> Option<PathBuf> {
        match (&self.docker_config, &self.home) {
            (Some(dir), _) => Some(dir.join("config.json")),
            (None, Some(home)) => Some(home.join(".docker").join("config.json")),
            (None, None) => None,
        }
    }

    /// Podman's auth files, most important first: `REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json`
    /// (`~/.config` when unset).
    #[must_use]
    pub fn podman_auth_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        files.extend(self.registry_auth_file.clone());
        if let Some(dir) = &self.xdg_runtime_dir {
            files.push(dir.join("containers").join("auth.json"));
        }
        let config_home = self
            .xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")));
        if let Some(dir) = config_home {
            files.push(dir.join("containers").join("auth.json"));
        }
        files.dedup();
        files
    }

    /// A path for messages, with the home directory written `~`.
    #[must_use]
    pub fn show(&self, path: &Path) -> String {
        show_path(path, self.home.as_deref())
    }
}

/// `path` with a leading `home` written `~`, made safe for a terminal.
#[must_use]
pub fn show_path(path: &Path, home: Option<&Path>) -> String {
    let shown = match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    };
    crate::sanitize::sanitize(&shown).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }

    #[test]
    fn docker_config_location() {
        let e = env(&[("HOME", "/h")]);
        assert_eq!(
            e.docker_config_file(),
            Some(PathBuf::from("/h/.docker/config.json"))
        );
        let e = env(&[("HOME", "/h"), ("DOCKER_CONFIG", "/d")]);
        assert_eq!(
            e.docker_config_file(),
            Some(PathBuf::from("/d/config.json"))
        );
        let e = env(&[("HOME", "/h"), ("DOCKER_CONFIG", "")]);
        assert_eq!(
            e.docker_config_file(),
            Some(PathBuf::from("/h/.docker/config.json"))
        );
        assert_eq!(env(&[]).docker_config_file(), None);
    }

    #[test]
    fn podman_locations_in_order() {
        let e = env(&[
            ("HOME", "/h"),
            ("REGISTRY_AUTH_FILE", "/a.json"),
            ("XDG_RUNTIME_DIR", "/run/user/1"),
        ]);
        assert_eq!(
            e.podman_auth_files(),
            vec![
                PathBuf::from("/a.json"),
                PathBuf::from("/run/user/1/containers/auth.json"),
                PathBuf::from("/h/.config/containers/auth.json"),
            ]
        );
        let e = env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(
            e.podman_auth_files(),
            vec![PathBuf::from("/x/containers/auth.json")]
        );
    }

    #[test]
    fn paths_are_shown_with_tilde() {
        let e = env(&[("HOME", "/h")]);
        assert_eq!(
            e.show(Path::new("/h/.docker/config.json")),
            "~/.docker/config.json"
        );
        assert_eq!(e.show(Path::new("/etc/x.json")), "/etc/x.json");
    }
}

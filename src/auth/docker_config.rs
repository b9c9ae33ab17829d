//! Docker's `config.json`: `credHelpers`, `credsStore` and `auths`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::file::{self, Auths, FileError};
use super::key;

/// The parts of a docker `config.json` that say where credentials are.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    pub file: PathBuf,
    pub auths: Auths,
    /// `credHelpers`: config key as written, helper name (the part after `docker-credential-`).
    pub cred_helpers: Vec<(String, String)>,
    /// `credsStore`, when set and not empty.
    pub creds_store: Option<String>,
    /// Fields that were present but unusable (wrong JSON type); the rest of the file still counts.
    pub problems: Vec<String>,
}

impl DockerConfig {
    /// Loads `path`; `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Self>, FileError> {
        let Some(object) = file::read_object(path)? else {
            return Ok(None);
        };
        let mut problems = Vec::new();
        let auths = Auths::from_object(&object).unwrap_or_else(|e| {
            problems.push(e.to_string());
            Auths::default()
        });
        let cred_helpers = match object.get("credHelpers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(helper) if !helper.is_empty() => {
                        Some((k.clone(), helper.clone()))
                    }
                    Value::String(_) => None,
                    _ => {
                        problems.push("has a `credHelpers` value that is not a string".into());
                        None
                    }
                })
                .collect(),
            Some(_) => {
                problems.push("has a `credHelpers` field that is not an object".into());
                Vec::new()
            }
        };
        let creds_store = match object.get("credsStore") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()).filter(|s| !s.is_empty()),
            Some(_) => {
                problems.push("has a `credsStore` field that is not a string".into());
                None
            }
        };
        Ok(Some(Self {
            file: path.to_path_buf(),
            auths,
            cred_helpers,
            creds_store,
            problems,
        }))
    }

    /// The `credHelpers` entry for `registry` (canonical): `(key as written, helper)`. Docker
    /// looks the key up verbatim; we also accept a scheme or path, as for `auths`.
    #[must_use]
    pub fn cred_helper(&self, registry: &str) -> Option<(&str, &str)> {
        let all: Vec<_> = self
            .cred_helpers
            .iter()
            .filter(|(k, _)| key::registry_host(k) == registry)
            .collect();
        all.iter()
            .find(|(k, _)| file::is_exact_key(k, registry))
            .or_else(|| all.first())
            .map(|(k, h)| (k.as_str(), h.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> DockerConfig {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).expect("write");
        DockerConfig::load(&path)
            .expect("loads")
            .expect("file exists")
    }

    #[test]
    fn reads_helpers_and_store() {
        let c = load(
            r#"{"credsStore": "pass", "credHelpers": {"https://index.docker.io/v1/": "hub",
               "gcr.io": "gcloud", "docker.io": "other"}, "auths": {"ghcr.io": {}}}"#,
        );
        assert_eq!(c.creds_store.as_deref(), Some("pass"));
        assert_eq!(c.cred_helper("gcr.io"), Some(("gcr.io", "gcloud")));
        assert_eq!(
            c.cred_helper("docker.io"),
            Some(("https://index.docker.io/v1/", "hub"))
        );
        assert_eq!(c.cred_helper("ghcr.io"), None);
        assert!(c.problems.is_empty());
    }

    #[test]
    fn wrong_types_are_problems_not_failures() {
        let c = load(r#"{"credsStore": 3, "credHelpers": [], "auths": {"ghcr.io": {}}}"#);
        assert_eq!(c.problems.len(), 2);
        assert_eq!(c.auths.0.len(), 1);
    }

    #[test]
    fn missing_file_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(DockerConfig::load(&dir.path().join("config.json"))
            .expect("no error")
            .is_none());
    }
}

//! Reading a JSON auth file and finding a registry's entries in its `auths` map.

use std::io::Read as _;
use std::path::Path;

use serde_json::{Map, Value};

use super::key;

/// Auth files are a few KiB; anything this large is not one, and is not read whole.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Why a config file was skipped. Messages name the problem and its position, never the
/// content: serde's data errors quote values, and a value here may be a password.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot be read: {0}")]
    Unreadable(#[source] std::io::Error),
    #[error("is larger than 16 MiB")]
    TooLarge,
    #[error("is not valid JSON: {0}")]
    NotJson(String),
    #[error("is not a JSON object")]
    NotObject,
    #[error("has an `auths` field that is not an object")]
    AuthsNotObject,
}

/// Reads `path` as a JSON object; `Ok(None)` when there is no such file (the common case).
pub fn read_object(path: &Path) -> Result<Option<Map<String, Value>>, FileError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FileError::Unreadable(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(FileError::Unreadable)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(FileError::TooLarge);
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(FileError::NotObject),
        Err(e) => Err(FileError::NotJson(describe_json_error(&e))),
    }
}

/// Where and what kind of JSON error, without serde's message (it can quote the input).
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "it ends early",
        Category::Syntax => "syntax error",
        Category::Data => "unexpected value",
        Category::Io => "read error",
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}

/// An `auths` map, keys as written and in file order (`serde_json` preserves it).
#[derive(Debug, Default, Clone)]
pub struct Auths(pub Vec<(String, Value)>);

impl Auths {
    /// Takes `auths` from a parsed file; a non-object `auths` is reported, not fatal.
    pub fn from_object(object: &Map<String, Value>) -> Result<Self, FileError> {
        match object.get("auths") {
            None | Some(Value::Null) => Ok(Self::default()),
            Some(Value::Object(map)) => Ok(Self(
                map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            )),
            Some(_) => Err(FileError::AuthsNotObject),
        }
    }

    /// The entries for `registry` (canonical, see [`key::registry_host`]), best first: a key
    /// spelled exactly as docker looks it up, then the others in file order.
    /// `registry_level_only` leaves out podman's `registry/namespace` keys; docker ignores the
    /// path of a key altogether, so it passes `false`.
    #[must_use]
    pub fn matching(&self, registry: &str, registry_level_only: bool) -> Vec<(&str, &Value)> {
        let mut found: Vec<(&str, &Value)> = self
            .0
            .iter()
            .filter(|(k, _)| key::registry_host(k) == registry)
            .filter(|(k, _)| !registry_level_only || key::is_registry_level(k))
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        // Stable: file order is kept among the non-exact keys.
        found.sort_by_key(|(k, _)| !is_exact_key(k, registry));
        found
    }

    /// Keys that name a namespace of `registry` (podman's `quay.io/org`), for a note.
    #[must_use]
    pub fn namespace_keys(&self, registry: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| key::registry_host(k) == registry && !key::is_registry_level(k))
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

/// Whether `k` is the spelling docker's file store looks up first for `registry`.
#[must_use]
pub fn is_exact_key(k: &str, registry: &str) -> bool {
    k == key::helper_server_url(registry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(clippy::needless_pass_by_value)] // called with `json!(..)` temporaries
    fn auths(v: Value) -> Auths {
        let Value::Object(map) = json!({ "auths": v }) else {
            unreachable!()
        };
        Auths::from_object(&map).unwrap_or_default()
    }

    #[test]
    fn exact_keys_win_then_file_order() {
        let a = auths(json!({
            "https://ghcr.io": {"n": 1},
            "http://ghcr.io/v2/": {"n": 2},
            "ghcr.io": {"n": 3},
            "ghcr.io.evil.example": {"n": 4},
        }));
        let keys: Vec<_> = a
            .matching("ghcr.io", false)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["ghcr.io", "https://ghcr.io", "http://ghcr.io/v2/"]);
    }

    #[test]
    fn docker_hub_aliases() {
        let a = auths(json!({
            "docker.io": {},
            "https://index.docker.io/v1/": {},
        }));
        let keys: Vec<_> = a
            .matching("docker.io", false)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["https://index.docker.io/v1/", "docker.io"]);
    }

    #[test]
    fn namespace_keys_only_when_asked() {
        let a = auths(json!({ "quay.io/org": {}, "quay.io": {} }));
        assert_eq!(a.matching("quay.io", true).len(), 1);
        assert_eq!(a.matching("quay.io", false).len(), 2);
        assert_eq!(a.namespace_keys("quay.io"), ["quay.io/org"]);
    }

    #[test]
    fn json_errors_do_not_quote_the_input() {
        let e = serde_json::from_str::<Value>(r#"{"auths": {"x": "hunter2"#)
            .expect_err("truncated JSON");
        let msg = describe_json_error(&e);
        assert!(msg.starts_with("it ends early at line 1"), "{msg}");
        assert!(!msg.contains("hunter2"));
    }
}

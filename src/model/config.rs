//! Summaries of image config blobs (os/arch, user, entrypoint, ...).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::descriptor::Platform;

/// Why a blob could not be summarised at all. Anything short of these (missing fields, `null`s,
/// fields of the wrong type) is tolerated: registries hold what builders wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the blob is not valid JSON ({0})")]
    Json(String),
    #[error("the blob is JSON but not an object (it is {found})")]
    NotAnObject { found: &'static str },
    #[error("the DSSE envelope's payload is not valid base64")]
    PayloadBase64,
    /// The decoded payload's own problem, e.g. `expected value at line 1 column 1`.
    #[error("the DSSE envelope's payload is not a JSON object ({0})")]
    Payload(String),
    #[error("the JSON object is neither an in-toto statement nor a DSSE envelope")]
    NotAStatement,
}

/// What an image config says about the image it configures.
///
/// Optional strings are `None` when the field is missing, `null` or empty, since all three mean
/// "unset" to a container runtime.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSummary {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// `os.version` (Windows build number, e.g. `10.0.17763.1234`).
    pub os_version: Option<String>,
    pub os_features: Vec<String>,
    /// `config.User` exactly as written (`""` when unset, which means root).
    pub user: String,
    /// `None` when unset/`null`; `Some(vec![])` when explicitly empty (which resets the base's).
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub env_count: usize,
    /// Variable names only: values routinely hold tokens and this summary ends up on screens.
    pub env_names: Vec<String>,
    /// The one value kept: `PATH`, which the runtime searches for a bare entrypoint name.
    #[serde(skip)]
    pub path_env: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// `ExposedPorts` keys, e.g. `80/tcp`.
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub stop_signal: Option<String>,
    pub created: Option<String>,
    pub author: Option<String>,
    pub history_len: usize,
    /// The history's steps, bottom first (at most [`HISTORY_STEPS`]): what made each layer.
    /// Not serialised: the summary's JSON stays as it was; `regscope layers` shows them.
    #[serde(skip)]
    pub history: Vec<HistoryStep>,
    /// History entries with `empty_layer: true` (metadata-only steps such as `ENV`, `CMD`).
    pub empty_layer_count: usize,
    /// `rootfs.diff_ids`: should equal the manifest's layer count.
    pub diff_id_count: usize,
    /// Whether a `config` object was present at all (artifact and attestation configs lack one).
    pub has_runtime_config: bool,
}

impl ConfigSummary {
    /// `os/arch[/variant]`, with `?` for a missing os or architecture.
    #[must_use]
    pub fn platform_string(&self) -> String {
        self.platform().to_string()
    }

    /// The config's platform in the same shape as a descriptor's, for comparing the two.
    #[must_use]
    pub fn platform(&self) -> Platform {
        Platform {
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
            ..Platform::new(&self.os, &self.architecture, self.variant.as_deref())
        }
    }

    /// Whether the container's process starts as uid 0: an unset user defaults to root, and a
    /// `user[:group]` value is root when the user part is `root` or the number 0.
    #[must_use]
    pub fn runs_as_root(&self) -> bool {
        let user = self.user.trim();
        let name = user.split_once(':').map_or(user, |(u, _)| u);
        // `:group` leaves the user part empty, which the runtime also resolves to root.
        name.is_empty() || name == "root" || name.parse::<u64>().is_ok_and(|uid| uid == 0)
    }
}

/// One `history` entry of an image config. The command is as the config wrote it (unsanitised,
/// cut at [`HISTORY_COMMAND_BYTES`]); sanitise it before a terminal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryStep {
    pub created_by: String,
    /// A step that made no layer (`ENV`, `CMD`...).
    pub empty_layer: bool,
}

/// History steps kept from one config: a hostile config may list millions.
pub const HISTORY_STEPS: usize = 4096;
/// Bytes kept of one step's command.
pub const HISTORY_COMMAND_BYTES: usize = 4096;

fn history_steps(history: Option<&Vec<Value>>) -> Vec<HistoryStep> {
    history.map_or_else(Vec::new, |h| {
        h.iter()
            .take(HISTORY_STEPS)
            .map(|e| {
                let mut created_by = e
                    .get("created_by")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if created_by.len() > HISTORY_COMMAND_BYTES {
                    let mut cut = HISTORY_COMMAND_BYTES;
                    while !created_by.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    created_by.truncate(cut);
                }
                HistoryStep {
                    created_by,
                    empty_layer: e.get("empty_layer").and_then(Value::as_bool) == Some(true),
                }
            })
            .collect()
    })
}

/// Summarises an OCI or Docker image config.
///
/// # Errors
/// When the bytes are not JSON or the JSON is not an object; never for missing or odd fields.
pub fn summarize_config(bytes: &[u8]) -> Result<ConfigSummary, DecodeError> {
    let root = parse_object(bytes)?;
    let root = Value::Object(root);
    let config = root.get("config").filter(|c| c.is_object());
    let field = |key: &str| config.and_then(|c| c.get(key));

    let env_names: Vec<String> = strings(field("Env"))
        .into_iter()
        .map(|kv| kv.split_once('=').map_or(kv.clone(), |(k, _)| k.to_owned()))
        .collect();
    let labels = field("Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| scalar_string(v).map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    let history = root.get("history").and_then(Value::as_array);
    let empty_layer_count = history.map_or(0, |h| {
        h.iter()
            .filter(|e| e.get("empty_layer").and_then(Value::as_bool) == Some(true))
            .count()
    });
    let diff_id_count = root
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);

    Ok(ConfigSummary {
        os: string(&root, "os").unwrap_or_default(),
        architecture: string(&root, "architecture").unwrap_or_default(),
        variant: string(&root, "variant"),
        os_version: string(&root, "os.version"),
        os_features: strings(root.get("os.features")),
        user: field("User")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        entrypoint: command(field("Entrypoint")),
        cmd: command(field("Cmd")),
        working_dir: config.and_then(|c| string(c, "WorkingDir")),
        env_count: env_names.len(),
        env_names,
        path_env: strings(field("Env"))
            .into_iter()
            .rev()
            .find_map(|kv| kv.strip_prefix("PATH=").map(str::to_owned)),
        labels,
        exposed_ports: keys(field("ExposedPorts")),
        volumes: keys(field("Volumes")),
        stop_signal: config.and_then(|c| string(c, "StopSignal")),
        created: string(&root, "created"),
        author: string(&root, "author"),
        history_len: history.map_or(0, Vec::len),
        history: history_steps(history),
        empty_layer_count,
        diff_id_count,
        has_runtime_config: config.is_some(),
    })
}

/// Parses a blob that must be a JSON object. A UTF-8 byte-order mark is skipped: some Windows
/// tooling writes one and it is not worth refusing the blob over.
pub(super) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(DecodeError::NotAnObject {
            found: json_kind(&other),
        }),
        Err(e) => Err(DecodeError::Json(e.to_string())),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A non-empty string field; wrong types count as missing.
pub(super) fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A list of strings, skipping non-string items; a lone string counts as a one-item list
/// (Docker accepts `"Cmd": "echo hi"` and so do we).
pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `Entrypoint`/`Cmd`: `null` or missing is "unset", which differs from an explicit `[]`.
fn command(v: Option<&Value>) -> Option<Vec<String>> {
    match v {
        Some(v @ (Value::Array(_) | Value::String(_))) => Some(strings(Some(v))),
        None | Some(_) => None,
    }
}

/// Keys of an object-as-set (`ExposedPorts`, `Volumes`), in document order.
pub(super) fn keys(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Strings, numbers and booleans as text; containers and `null` are not values we can show.
pub(super) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The platform an image config declares.
#[must_use]
pub fn config_platform(cfg: &ConfigSummary) -> Platform {
    Platform {
        os: cfg.os.clone(),
        architecture: cfg.architecture.clone(),
        variant: cfg.variant.clone().filter(|v| !v.is_empty()),
        os_version: cfg.os_version.clone().filter(|v| !v.is_empty()),
        ..Platform::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_user(user: &str) -> ConfigSummary {
        let json = serde_json::json!({ "config": { "User": user } });
        summarize_config(json.to_string().as_bytes()).expect("object")
    }

    #[test]
    fn root_detection() {
        for user in [
            "",
            "root",
            "0",
            "0:0",
            "root:root",
            "0:1000",
            "root:staff",
            ":1000",
            " 0 ",
            "000",
        ] {
            assert!(with_user(user).runs_as_root(), "{user:?} should be root");
        }
        for user in [
            "1000",
            "1000:0",
            "nobody",
            "app:root",
            "ROOT",
            "65534:65534",
            "-0x",
        ] {
            assert!(
                !with_user(user).runs_as_root(),
                "{user:?} should not be root"
            );
        }
    }

    #[test]
    fn nulls_and_wrong_types_are_tolerated() {
        let json = br#"{"architecture":5,"os":null,"config":{"Entrypoint":null,"Cmd":"echo hi",
            "Env":["A=1",7,"B"],"Labels":{"x":"y","n":3,"o":{}},"ExposedPorts":[],"User":42},
            "history":"nope","rootfs":{"diff_ids":null}}"#;
        let s = summarize_config(json).expect("tolerated");
        assert_eq!(s.platform_string(), "?/?");
        assert_eq!(s.entrypoint, None);
        assert_eq!(s.cmd, Some(vec!["echo hi".to_owned()]));
        assert_eq!(s.env_names, ["A", "B"]);
        assert_eq!(s.labels.get("n").map(String::as_str), Some("3"));
        assert!(!s.labels.contains_key("o"));
        assert!(s.exposed_ports.is_empty());
        assert_eq!((s.history_len, s.diff_id_count), (0, 0));
        assert!(s.runs_as_root(), "a non-string user is treated as unset");
    }

    #[test]
    fn commands_and_missing_runtime_config() {
        let s = summarize_config(br#"{"config":{"Entrypoint":["/app","--serve"],"Cmd":[]}}"#)
            .expect("ok");
        assert_eq!(
            s.entrypoint,
            Some(vec!["/app".to_owned(), "--serve".to_owned()])
        );
        assert_eq!(s.cmd, Some(vec![]), "an explicit [] differs from unset");
        assert!(s.has_runtime_config);
        let s = summarize_config(br#"{"config":null}"#).expect("ok");
        assert!(!s.has_runtime_config);
    }

    #[test]
    fn platform_with_variant_and_windows_fields() {
        let s = summarize_config(
            br#"{"os":"windows","architecture":"amd64","os.version":"10.0.17763.1","os.features":["win32k"]}"#,
        )
        .expect("ok");
        assert_eq!(s.platform_string(), "windows/amd64");
        assert_eq!(s.platform().os_version.as_deref(), Some("10.0.17763.1"));
        let s =
            summarize_config(br#"{"os":"linux","architecture":"arm","variant":"v7"}"#).expect("ok");
        assert_eq!(s.platform_string(), "linux/arm/v7");
    }

    #[test]
    fn rejects_non_objects() {
        assert!(matches!(
            summarize_config(b"not json"),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(summarize_config(b""), Err(DecodeError::Json(_))));
        assert_eq!(
            summarize_config(b"[]"),
            Err(DecodeError::NotAnObject { found: "an array" })
        );
        assert_eq!(
            summarize_config(b"null"),
            Err(DecodeError::NotAnObject { found: "null" })
        );
        assert!(summarize_config(b"\xEF\xBB\xBF{}").is_ok());
        assert!(summarize_config(&[0xff, 0xfe, 0x00]).is_err());
    }
}

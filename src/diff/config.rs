//! What changed between two image configs, as values a user writes: `["/bin/app"]` for an
//! entrypoint, `app` for a user, one entry per environment variable, label and port.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::config::ConfigSummary;
use crate::model::{Kind, Node};
use crate::sanitize::sanitize;

/// How one setting changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Changed,
    Added,
    Removed,
}

impl Change {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Changed => "changed",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// One config setting that differs: `entrypoint`, `cmd`, `user` as a whole; `env`, `labels`,
/// `exposed ports` one entry per variable, label or port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigChange {
    pub field: &'static str,
    /// The variable, label or port this entry is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub change: Change,
    /// The value as JSON (an array for `entrypoint` and `cmd`, a string otherwise); `null`
    /// where that side has none, or where the value is hidden.
    pub left: Value,
    pub right: Value,
    /// An environment value, withheld: values routinely hold tokens (`--show-env-values`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub value_hidden: bool,
}

/// One side's runtime settings: the decoded summary and the environment with its values
/// (read from the config's bytes: the summary keeps names only, so that it can go anywhere).
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub summary: &'a ConfigSummary,
    pub raw: Option<&'a [u8]>,
}

impl<'a> Settings<'a> {
    /// The settings of a manifest node, when its config was fetched and decoded.
    #[must_use]
    pub fn of(manifest: &'a Node) -> Option<Self> {
        let config = manifest.children.iter().find(|c| c.kind == Kind::Config)?;
        Some(Self {
            summary: config.config.as_ref()?,
            raw: config.raw.as_deref(),
        })
    }

    /// `NAME -> value` for each `Env` entry (a later duplicate wins, as in a container).
    fn env(&self) -> BTreeMap<String, String> {
        let from_raw = self
            .raw
            .and_then(|raw| serde_json::from_slice::<Value>(raw).ok())
            .and_then(|v| v.pointer("/config/Env").cloned())
            .and_then(|v| match v {
                Value::Array(a) => Some(a),
                _ => None,
            });
        match from_raw {
            Some(entries) => entries
                .iter()
                .filter_map(Value::as_str)
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (k.to_string(), v.to_string())
                })
                .collect(),
            // Names only: a changed value cannot be seen, an added or removed name can.
            None => self
                .summary
                .env_names
                .iter()
                .map(|n| (n.clone(), String::new()))
                .collect(),
        }
    }
}

/// The runtime settings that differ, in the order a reader checks them. Environment values
/// appear only with `show_env_values`; without it a changed value says `changed` alone.
#[must_use]
pub fn config_changes(
    a: Settings<'_>,
    b: Settings<'_>,
    show_env_values: bool,
) -> Vec<ConfigChange> {
    let (sa, sb) = (a.summary, b.summary);
    let mut out = Vec::new();
    let whole = |field: &'static str, l: Value, r: Value| ConfigChange {
        field,
        name: None,
        change: Change::Changed,
        left: l,
        right: r,
        value_hidden: false,
    };
    if sa.entrypoint != sb.entrypoint {
        out.push(whole(
            "entrypoint",
            words(sa.entrypoint.as_deref()),
            words(sb.entrypoint.as_deref()),
        ));
    }
    if sa.cmd != sb.cmd {
        out.push(whole(
            "cmd",
            words(sa.cmd.as_deref()),
            words(sb.cmd.as_deref()),
        ));
    }
    out.extend(env_changes(&a.env(), &b.env(), show_env_values));
    if sa.user != sb.user {
        out.push(whole("user", text(&sa.user), text(&sb.user)));
    }
    out.extend(keyed(
        "labels",
        &sa.labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        &sb.labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        true,
    ));
    let ports = |s: &ConfigSummary| -> BTreeMap<String, String> {
        s.exposed_ports
            .iter()
            .map(|p| (p.clone(), String::new()))
            .collect()
    };
    out.extend(keyed("exposed ports", &ports(sa), &ports(sb), false));
    out
}

fn env_changes(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
    show: bool,
) -> Vec<ConfigChange> {
    let mut out = keyed("env", a, b, show);
    if !show {
        for c in &mut out {
            c.value_hidden = true;
        }
    }
    out
}

/// Per key: added, removed, or (when `with_values`) changed, each value as a string.
fn keyed(
    field: &'static str,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    with_values: bool,
) -> Vec<ConfigChange> {
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let value = |v: Option<&String>| match v {
        Some(v) if with_values => text(v),
        _ => Value::Null,
    };
    keys.into_iter()
        .filter_map(|k| {
            let (l, r) = (before.get(k), after.get(k));
            let change = match (l, r) {
                (Some(_), None) => Change::Removed,
                (None, Some(_)) => Change::Added,
                (Some(old), Some(new)) if old != new => Change::Changed,
                _ => return None,
            };
            Some(ConfigChange {
                field,
                name: Some(sanitize(k).into_owned()),
                change,
                left: value(l),
                right: value(r),
                value_hidden: false,
            })
        })
        .collect()
}

/// An exec-form list as a JSON array (`null` when unset).
fn words(list: Option<&[String]>) -> Value {
    list.map_or(Value::Null, |l| {
        Value::Array(l.iter().map(|w| text(w)).collect())
    })
}

fn text(s: &str) -> Value {
    Value::String(sanitize(s).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(body: &Value) -> (ConfigSummary, Vec<u8>) {
        let raw = serde_json::to_vec(body).unwrap_or_default();
        let summary =
            crate::model::config::summarize_config(&raw).unwrap_or_else(|e| panic!("{e}"));
        (summary, raw)
    }

    fn settings(c: &(ConfigSummary, Vec<u8>)) -> Settings<'_> {
        Settings {
            summary: &c.0,
            raw: Some(&c.1),
        }
    }

    fn image(
        entrypoint: &[&str],
        user: &str,
        env: &[&str],
        ports: &[&str],
    ) -> (ConfigSummary, Vec<u8>) {
        config(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {
                "Entrypoint": entrypoint, "User": user, "Env": env,
                "ExposedPorts": ports.iter().map(|p| ((*p).to_string(), serde_json::json!({}))).collect::<serde_json::Map<_, _>>(),
            },
            "rootfs": {"type": "layers", "diff_ids": []}
        }))
    }

    #[test]
    fn values_read_as_written_and_env_values_stay_hidden() {
        let a = image(
            &["/bin/start", "--serve"],
            "app",
            &["PATH=/bin", "TOKEN=secret-a", "DEBUG=1"],
            &["80/tcp"],
        );
        let b = image(
            &["/bin/app"],
            "root",
            &["PATH=/bin", "TOKEN=secret-b", "NEW=1"],
            &["80/tcp", "443/tcp"],
        );
        let changes = config_changes(settings(&a), settings(&b), false);
        let summary: Vec<(&str, Option<&str>, Change)> = changes
            .iter()
            .map(|c| (c.field, c.name.as_deref(), c.change))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("entrypoint", None, Change::Changed),
                ("env", Some("DEBUG"), Change::Removed),
                ("env", Some("NEW"), Change::Added),
                ("env", Some("TOKEN"), Change::Changed),
                ("user", None, Change::Changed),
                ("exposed ports", Some("443/tcp"), Change::Added),
            ]
        );
        assert_eq!(
            changes[0].left,
            serde_json::json!(["/bin/start", "--serve"])
        );
        assert_eq!(changes[0].right, serde_json::json!(["/bin/app"]));
        assert!(changes[1..4]
            .iter()
            .all(|c| c.value_hidden && c.left.is_null()));
        let all = format!("{changes:?}");
        assert!(
            !all.contains("secret-a") && !all.contains("secret-b"),
            "{all}"
        );
        assert!(config_changes(settings(&a), settings(&a), false).is_empty());

        let shown = config_changes(settings(&a), settings(&b), true);
        let token = shown
            .iter()
            .find(|c| c.name.as_deref() == Some("TOKEN"))
            .expect("token changed");
        assert!(!token.value_hidden);
        assert_eq!(
            (token.left.as_str(), token.right.as_str()),
            (Some("secret-a"), Some("secret-b"))
        );
    }
}

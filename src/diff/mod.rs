//! Comparing two fetched trees: the same image or not, platform by platform, and whether the
//! attachments came along. Pure: two [`Inspection`]s in, a [`Comparison`] out.

pub mod fetch;
pub mod map;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analysis::platform_label;
use crate::attachments::{self, Attachment};
use crate::inspect::Inspection;
use crate::model::config::ConfigSummary;
use crate::model::{Kind, Node};
use crate::sanitize::sanitize;

/// One config field that differs: `entrypoint`, `cmd`, `env`, `user`, `labels`, `exposed ports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigChange {
    pub field: &'static str,
    pub left: String,
    pub right: String,
}

/// One platform offered by both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformDiff {
    pub platform: String,
    pub left_manifest: String,
    pub right_manifest: String,
    pub left_config: Option<String>,
    pub right_config: Option<String>,
    pub layers_shared: usize,
    pub layers_only_left: Vec<String>,
    pub layers_only_right: Vec<String>,
    pub config_changes: Vec<ConfigChange>,
}

impl PlatformDiff {
    /// Same config and same layers: a different manifest digest alone (another media type,
    /// other annotations) runs the same.
    #[must_use]
    pub fn runs_the_same(&self) -> bool {
        self.left_config == self.right_config
            && self.layers_only_left.is_empty()
            && self.layers_only_right.is_empty()
    }
}

/// What two references resolve to, side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub left: String,
    pub right: String,
    pub left_digest: String,
    pub right_digest: String,
    pub same_digest: bool,
    pub platforms_only_left: Vec<String>,
    pub platforms_only_right: Vec<String>,
    pub platforms: Vec<PlatformDiff>,
    /// `signature for index (sha256:…)`, `SBOM for linux/amd64 (sha256:…)`: on one side only.
    pub attachments_only_left: Vec<String>,
    pub attachments_only_right: Vec<String>,
}

impl Comparison {
    /// Identical in what matters: the same platforms, each running the same config and layers,
    /// and the same kinds of attachments for the same manifests.
    #[must_use]
    pub fn identical(&self) -> bool {
        self.platforms_only_left.is_empty()
            && self.platforms_only_right.is_empty()
            && self.platforms.iter().all(PlatformDiff::runs_the_same)
            && self.attachments_only_left.is_empty()
            && self.attachments_only_right.is_empty()
    }

    /// What drifted, in a few words each (empty when [`identical`](Self::identical)).
    #[must_use]
    pub fn drift(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.platforms_only_left {
            out.push(format!("{p} only in {}", side(&self.left)));
        }
        for p in &self.platforms_only_right {
            out.push(format!("{p} only in {}", side(&self.right)));
        }
        for p in self.platforms.iter().filter(|p| !p.runs_the_same()) {
            let mut what = Vec::new();
            if !p.config_changes.is_empty() {
                what.push(
                    p.config_changes
                        .iter()
                        .map(|c| c.field)
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            } else if p.left_config != p.right_config {
                what.push("config".to_string());
            }
            if !p.layers_only_left.is_empty() || !p.layers_only_right.is_empty() {
                what.push("layers".to_string());
            }
            out.push(format!("{}: {} differ", p.platform, what.join(" and ")));
        }
        for a in &self.attachments_only_left {
            out.push(format!("{a} only in {}", side(&self.left)));
        }
        for a in &self.attachments_only_right {
            out.push(format!("{a} only in {}", side(&self.right)));
        }
        out
    }
}

fn side(reference: &str) -> String {
    sanitize(reference).into_owned()
}

/// Compares two trees (each with its attachments, when they were looked up).
#[must_use]
pub fn compare(left: &Inspection, right: &Inspection) -> Comparison {
    let l = platforms(&left.root);
    let r = platforms(&right.root);
    let mut platforms_only_left = Vec::new();
    let mut platforms_only_right = Vec::new();
    let mut both = Vec::new();
    for (p, ln) in &l {
        match r.get(p) {
            Some(rn) => both.push(platform_diff(p, ln, rn)),
            None => platforms_only_left.push(p.clone()),
        }
    }
    for p in r.keys() {
        if !l.contains_key(p) {
            platforms_only_right.push(p.clone());
        }
    }
    let la = attachment_keys(&attachments::collect(&left.root));
    let ra = attachment_keys(&attachments::collect(&right.root));
    Comparison {
        left: left.reference.clone(),
        right: right.reference.clone(),
        left_digest: left.root.digest.clone(),
        right_digest: right.root.digest.clone(),
        same_digest: left.root.digest == right.root.digest,
        platforms_only_left,
        platforms_only_right,
        platforms: both,
        attachments_only_left: la.difference(&ra).cloned().collect(),
        attachments_only_right: ra.difference(&la).cloned().collect(),
    }
}

/// Runnable manifests by platform (`linux/amd64`); a lone manifest without a platform in its
/// descriptor goes by its config's.
fn platforms(root: &Node) -> BTreeMap<String, &Node> {
    let mut out = BTreeMap::new();
    if root.kind == Kind::Manifest {
        out.insert(platform_of(root), root);
        return out;
    }
    for child in root.children.iter().filter(|c| c.is_runnable()) {
        out.entry(platform_of(child)).or_insert(child);
    }
    out
}

fn platform_of(n: &Node) -> String {
    let label = n.platform.as_ref().map(platform_label).or_else(|| {
        n.config_summary()
            .map(|c| platform_label(&crate::analysis::config_platform(c)))
    });
    sanitize(&label.unwrap_or_else(|| "unknown".into())).into_owned()
}

fn platform_diff(platform: &str, l: &Node, r: &Node) -> PlatformDiff {
    let layers = |n: &Node| -> Vec<String> {
        n.children
            .iter()
            .filter(|c| c.kind == Kind::Layer)
            .map(|c| c.digest.clone())
            .collect()
    };
    let config = |n: &Node| {
        n.children
            .iter()
            .find(|c| c.kind == Kind::Config)
            .map(|c| c.digest.clone())
    };
    let (ll, rl) = (layers(l), layers(r));
    let lset: BTreeSet<&String> = ll.iter().collect();
    let rset: BTreeSet<&String> = rl.iter().collect();
    PlatformDiff {
        platform: platform.to_string(),
        left_manifest: l.digest.clone(),
        right_manifest: r.digest.clone(),
        left_config: config(l),
        right_config: config(r),
        layers_shared: lset.intersection(&rset).count(),
        layers_only_left: ll.iter().filter(|d| !rset.contains(d)).cloned().collect(),
        layers_only_right: rl.iter().filter(|d| !lset.contains(d)).cloned().collect(),
        config_changes: match (l.config_summary(), r.config_summary()) {
            (Some(a), Some(b)) => config_changes(a, b),
            _ => Vec::new(),
        },
    }
}

/// The runtime settings that differ. Environment values are never shown (they hold tokens):
/// only which variable names are on one side.
#[must_use]
pub fn config_changes(a: &ConfigSummary, b: &ConfigSummary) -> Vec<ConfigChange> {
    let mut out = Vec::new();
    let mut push = |field: &'static str, l: String, r: String| {
        if l != r {
            out.push(ConfigChange {
                field,
                left: sanitize(&l).into_owned(),
                right: sanitize(&r).into_owned(),
            });
        }
    };
    push(
        "entrypoint",
        format!("{:?}", a.entrypoint),
        format!("{:?}", b.entrypoint),
    );
    push("cmd", format!("{:?}", a.cmd), format!("{:?}", b.cmd));
    let names = |c: &ConfigSummary| c.env_names.iter().cloned().collect::<BTreeSet<_>>();
    let (an, bn) = (names(a), names(b));
    let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
        x.difference(y).cloned().collect::<Vec<_>>().join(" ")
    };
    push("env", only(&an, &bn), only(&bn, &an));
    push("user", a.user.clone(), b.user.clone());
    push(
        "labels",
        labels(&a.labels, &b.labels),
        labels(&b.labels, &a.labels),
    );
    push(
        "exposed ports",
        a.exposed_ports.join(" "),
        b.exposed_ports.join(" "),
    );
    out
}

/// `key=value` pairs of `a` that `b` lacks or has otherwise.
fn labels(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> String {
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `signature for index (sha256:ab12…)`: what an attachment is, what it is about, and which
/// one it is (copying tools keep digests), the same wherever each side stores it (referrers
/// API or tags). By digest, so an SBOM pushed beside BuildKit's own is missed when it is lost.
fn attachment_keys(list: &[Attachment]) -> BTreeSet<String> {
    list.iter()
        .filter(|a| a.problem.is_none())
        .flat_map(|a| {
            a.carries.iter().map(move |c| {
                format!(
                    "{} for {} ({})",
                    c.as_str(),
                    a.subject_label,
                    crate::digest::short(&a.digest)
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(user: &str, env: &[&str], ports: &[&str]) -> ConfigSummary {
        let body = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {
                "User": user,
                "Env": env,
                "ExposedPorts": ports.iter().map(|p| (p.to_string(), serde_json::json!({}))).collect::<serde_json::Map<_, _>>(),
            },
            "rootfs": {"type": "layers", "diff_ids": []}
        });
        crate::model::config::summarize_config(&serde_json::to_vec(&body).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn config_changes_name_the_field_and_never_an_env_value() {
        let a = config("app", &["PATH=/bin", "TOKEN=secret-a"], &["80/tcp"]);
        let b = config("root", &["PATH=/bin", "NEW=1"], &["80/tcp", "443/tcp"]);
        let changes = config_changes(&a, &b);
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["env", "user", "exposed ports"]);
        assert_eq!(changes[0].left, "TOKEN");
        assert_eq!(changes[0].right, "NEW");
        assert!(!format!("{changes:?}").contains("secret-a"));
        assert!(config_changes(&a, &a).is_empty());
    }
}

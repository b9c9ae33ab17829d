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
    /// The same kind of attachment for the same manifest on both sides, but another one: a
    /// signature made again at the target, an SBOM generated again. Not drift: what the
    /// promotion had to carry is there. `signature for index: sha256:ab12… -> sha256:cd34…`.
    pub attachments_replaced: Vec<String>,
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
    let matched = match_attachments(
        &attachments::collect(&left.root),
        &attachments::collect(&right.root),
    );
    Comparison {
        left: left.reference.clone(),
        right: right.reference.clone(),
        left_digest: left.root.digest.clone(),
        right_digest: right.root.digest.clone(),
        same_digest: left.root.digest == right.root.digest,
        platforms_only_left,
        platforms_only_right,
        platforms: both,
        attachments_only_left: matched.only_left,
        attachments_only_right: matched.only_right,
        attachments_replaced: matched.replaced,
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

/// Attachments of two trees paired up: the same digest on both sides is the same attachment
/// (copying tools keep digests), wherever each side stores it (referrers API or tags). What is
/// left pairs by what it carries and for which manifest (`signature` for `index`): another
/// signature of the same kind for the same manifest was made again, not lost. One entry per
/// kind an attachment carries.
#[derive(Debug, Default, PartialEq, Eq)]
struct Matched {
    only_left: Vec<String>,
    only_right: Vec<String>,
    replaced: Vec<String>,
}

fn match_attachments(left: &[Attachment], right: &[Attachment]) -> Matched {
    let usable = |list: &[Attachment]| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = list
            .iter()
            .filter(|a| a.problem.is_none())
            .flat_map(|a| {
                a.carries
                    .iter()
                    .map(move |c| (what_for(c.as_str(), a), a.digest.clone()))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let (l, r) = (usable(left), usable(right));
    let digests = |list: &[(String, String)]| -> BTreeSet<String> {
        list.iter().map(|(_, d)| d.clone()).collect()
    };
    let (ld, rd) = (digests(&l), digests(&r));
    // Unmatched by digest, per kind and subject, in a stable order.
    let mut left_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut right_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (what, d) in l.iter().filter(|(_, d)| !rd.contains(d)) {
        left_by.entry(what).or_default().push(d);
    }
    for (what, d) in r.iter().filter(|(_, d)| !ld.contains(d)) {
        right_by.entry(what).or_default().push(d);
    }
    let mut out = Matched::default();
    let label = |what: &str, d: &str| format!("{what} ({})", crate::digest::short(d));
    for (what, ls) in &left_by {
        let rs = right_by.remove(what).unwrap_or_default();
        for (i, d) in ls.iter().enumerate() {
            match rs.get(i) {
                Some(other) => out.replaced.push(format!(
                    "{what}: {} -> {}",
                    crate::digest::short(d),
                    crate::digest::short(other)
                )),
                None => out.only_left.push(label(what, d)),
            }
        }
        for d in rs.iter().skip(ls.len()) {
            out.only_right.push(label(what, d));
        }
    }
    for (what, rs) in right_by {
        out.only_right.extend(rs.iter().map(|d| label(what, d)));
    }
    out
}

/// `signature for index`, `SBOM for linux/amd64`: one per kind an attachment carries (a
/// BuildKit attestation carries an SBOM and a provenance).
fn what_for(kind: &str, a: &Attachment) -> String {
    format!("{kind} for {}", sanitize(&a.subject_label))
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

    fn attachment(carries: Vec<attachments::Carries>, subject: &str, digest: char) -> Attachment {
        Attachment {
            digest: format!("sha256:{}", digest.to_string().repeat(64)),
            subject: String::new(),
            subject_label: subject.into(),
            sources: vec![attachments::Source::ReferrersApi],
            tags: Vec::new(),
            artifact_type: None,
            carries,
            details: Vec::new(),
            problem: None,
        }
    }

    #[test]
    fn a_signature_made_again_is_replaced_not_lost_and_a_lost_one_is_drift() {
        use attachments::Carries::{Sbom, Signature};
        let left = [
            attachment(vec![Signature], "index", 'a'),
            attachment(vec![Sbom], "linux/amd64", 'b'),
            attachment(vec![Sbom], "linux/arm64", 'c'),
        ];
        // Re-signed at the target; the amd64 SBOM copied as is; the arm64 SBOM lost; a
        // provenance-free extra SBOM for the index added.
        let right = [
            attachment(vec![Signature], "index", 'd'),
            attachment(vec![Sbom], "linux/amd64", 'b'),
            attachment(vec![Sbom], "index", 'e'),
        ];
        let m = match_attachments(&left, &right);
        assert_eq!(m.replaced.len(), 1, "{m:?}");
        assert!(
            m.replaced[0].starts_with("signature for index: sha256:aaaa"),
            "{m:?}"
        );
        assert_eq!(m.only_left.len(), 1, "{m:?}");
        assert!(
            m.only_left[0].starts_with("SBOM for linux/arm64 (sha256:cccc"),
            "{m:?}"
        );
        assert_eq!(m.only_right.len(), 1, "{m:?}");
        assert!(
            m.only_right[0].starts_with("SBOM for index (sha256:eeee"),
            "{m:?}"
        );
        // The same attachments, stored elsewhere (tags here, API there): nothing to say.
        let moved: Vec<Attachment> = left
            .iter()
            .cloned()
            .map(|mut a| {
                a.sources = vec![attachments::Source::CosignTag];
                a
            })
            .collect();
        assert_eq!(match_attachments(&left, &moved), Matched::default());
    }
}

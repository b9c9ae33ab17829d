//! The file findings of an image: each chosen platform manifest's filesystem fetched and
//! checked; a layer that cannot be read becomes a finding (a digest mismatch is a security
//! one), not a failure of the whole run.

use crate::analysis::files::{self, Facts};
use crate::analysis::{Code, Finding};
use crate::model::{Kind, Node, Platform};
use crate::registry::Fetcher;

use super::fetch::{filesystem, Progress};
use super::{LayerError, Limits};

/// The runnable image manifests of `root` (itself, or its index entries) for `platform`, or
/// all of them without one.
#[must_use]
pub fn platform_manifests<'a>(root: &'a Node, platform: Option<&Platform>) -> Vec<&'a Node> {
    let fits = |n: &Node| {
        n.is_runnable()
            && n.config_summary().is_some()
            && platform.is_none_or(|p| {
                n.platform
                    .clone()
                    .or_else(|| n.config_summary().map(crate::analysis::config_platform))
                    .is_some_and(|have| have.satisfies(p))
            })
    };
    match root.kind {
        Kind::Index => root.children.iter().filter(|c| fits(c)).collect(),
        _ if fits(root) => vec![root],
        _ => Vec::new(),
    }
}

/// What one manifest's files said.
#[derive(Debug, Clone)]
pub struct Checked {
    pub digest: String,
    pub platform: String,
    pub facts: Option<Facts>,
    pub findings: Vec<Finding>,
}

/// Checks the files of `manifest` in `repo`.
pub async fn check_manifest(
    fetcher: &Fetcher,
    repo: &str,
    manifest: &Node,
    limits: &Limits,
    progress: &(dyn Fn(Progress) + Sync),
) -> Checked {
    let platform = manifest
        .config_summary()
        .map(crate::analysis::config_platform)
        .map_or_else(|| "?".into(), |p| crate::analysis::platform_label(&p));
    let mut checked = Checked {
        digest: manifest.digest.clone(),
        platform,
        facts: None,
        findings: Vec::new(),
    };
    let Some(cfg) = manifest.config_summary() else {
        return checked;
    };
    // The checks speak Linux (ELF, loaders, /etc): a Windows image is not opened.
    if !(cfg.os == "linux" || cfg.os.is_empty()) {
        checked.facts = Some(Facts {
            os: crate::sanitize::sanitize(&cfg.os).into_owned(),
            ..Facts::default()
        });
        return checked;
    }
    match filesystem(fetcher, repo, manifest, limits, progress).await {
        Ok(fs) => {
            let (findings, facts) = files::check(&manifest.digest, cfg, &fs, limits.link_depth);
            checked.findings = findings;
            checked.facts = Some(facts);
        }
        Err(e) => checked.findings.push(unreadable(&manifest.digest, &e)),
    }
    checked
}

/// A layer that could not be listed, as a finding about its manifest.
#[must_use]
pub fn unreadable(digest: &str, e: &LayerError) -> Finding {
    let message = crate::sanitize::sanitize(&e.to_string()).into_owned();
    match e {
        LayerError::DigestMismatch { .. } => Finding::new(Code::DigestMismatch, digest, message)
            .with_fix("Treat this as a security finding: the registry, a proxy or a cache served different bytes than the digest names. Compare with another pull path and contact the registry operator"),
        LayerError::Malformed { .. }
        | LayerError::Oversized { .. }
        | LayerError::InvalidSize { .. } => {
            Finding::new(Code::MalformedContent, digest, message)
        }
        LayerError::Fetch(_) | LayerError::Interrupted { .. } => {
            Finding::new(Code::FetchFailed, digest, format!("its files were not checked: {message}"))
        }
    }
}

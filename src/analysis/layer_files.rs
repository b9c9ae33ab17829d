//! The file findings of an image: each chosen platform manifest's filesystem fetched (by
//! `layers`) and checked; a layer that cannot be read becomes a finding (a digest mismatch is a security
//! one), not a failure of the whole run.

use super::files::{self, Facts};
use super::{Code, Finding};
use crate::layers::fetch::{filesystem, Progress};
use crate::layers::{LayerError, Limits, Waste};
use crate::model::Node;
use crate::registry::Fetcher;

/// What one manifest's files said.
#[derive(Debug, Clone)]
pub struct Checked {
    pub digest: String,
    pub platform: String,
    pub facts: Option<Facts>,
    pub findings: Vec<Finding>,
    /// The space the layers waste, when they were read.
    pub waste: Option<Waste>,
    /// When every layer's listing came from the disk cache: when the figures were measured
    /// (seconds since the epoch, 0 unknown).
    pub from_cache: Option<u64>,
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
        waste: None,
        from_cache: None,
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
            checked.waste = Some(fs.waste().clone());
            checked.from_cache = fs.from_cache();
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

// The limits sit with the figures they bound (`layers::waste`), which `layers::measured`
// judges kept figures by too.
pub use crate::layers::waste::WasteLimits;

/// A `wasted-space` finding for each checked platform past `limits`.
#[must_use]
pub fn waste_findings(checked: &[Checked], limits: &WasteLimits) -> Vec<Finding> {
    checked
        .iter()
        .filter_map(|c| waste_finding(&c.digest, &c.platform, c.waste.as_ref()?, limits))
        .collect()
}

/// The `wasted-space` finding of the image manifest `digest` (platform `platform`) whose
/// layers waste `w`, when past `limits`: the CLI and the TUI word it alike.
#[must_use]
pub fn waste_finding(
    digest: &str,
    platform: &str,
    w: &Waste,
    limits: &WasteLimits,
) -> Option<Finding> {
    let mut past = Vec::new();
    if let Some(max) = limits.max_wasted.filter(|&max| w.wasted > max) {
        past.push(format!(
            "{} wasted (more than the limit, {})",
            size(w.wasted),
            size(max)
        ));
    }
    if let Some(min) = limits.min_efficiency.filter(|&min| w.efficiency < min) {
        past.push(format!(
            "efficiency {:.2}% (below the limit, {:.2}%)",
            w.efficiency * 100.0,
            min * 100.0
        ));
    }
    if past.is_empty() {
        return None;
    }
    let worst = w.files.first().map_or_else(String::new, |f| {
        format!(
            "; the largest: {} ({} copies, {})",
            crate::sanitize::sanitize(&f.path),
            f.copies,
            size(f.bytes)
        )
    });
    Some(
        Finding::new(
            Code::WastedSpace,
            digest,
            format!(
                "the layers of {} waste space as dive counts it: {}{worst}",
                crate::sanitize::sanitize(platform),
                past.join(", ")
            ),
        )
        .with_fix("See every wasted file with `regscope layers REF --platform P`; write, change and delete each file in the same layer (one RUN), or copy only what the image needs from a build stage"),
    )
}

/// The `wasted-space` finding of `manifest`, whose merged layers are `fs`, past the config
/// file's `[layers]` limits (the TUI's `f`: what `check --files` says without flags).
#[must_use]
pub fn manifest_waste_finding(
    manifest: &Node,
    fs: &crate::layers::Filesystem,
    config: &crate::config::LayersConfig,
) -> Option<Finding> {
    let platform = manifest
        .config_summary()
        .map(crate::analysis::config_platform)
        .map_or_else(|| "?".into(), |p| crate::analysis::platform_label(&p));
    let limits = WasteLimits::with_config(None, None, config);
    waste_finding(&manifest.digest, &platform, fs.waste(), &limits)
}

fn size(bytes: u64) -> String {
    crate::units::human_size(i64::try_from(bytes).unwrap_or(i64::MAX))
}

pub use crate::config::parse_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_dive_reads_them() {
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("20MiB"), Ok(20 * 1024 * 1024));
        assert_eq!(parse_size("1.5kb"), Ok(1500));
        assert_eq!(parse_size("290"), Ok(290));
        assert!(parse_size("lots").unwrap_err().contains("20MB"));
    }
}

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

/// `check --max-wasted` / `--min-efficiency`: thresholds on dive's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WasteLimits {
    /// Bytes wasted at most (dive's `highestWastedBytes`).
    pub max_wasted: Option<u64>,
    /// Efficiency at least, 0 to 1 (dive's `lowestEfficiency`).
    pub min_efficiency: Option<f64>,
}

/// A `wasted-space` finding for each checked platform past `limits`.
#[must_use]
pub fn waste_findings(checked: &[Checked], limits: &WasteLimits) -> Vec<Finding> {
    let mut out = Vec::new();
    for c in checked {
        let Some(w) = &c.waste else { continue };
        let mut past = Vec::new();
        if let Some(max) = limits.max_wasted.filter(|&max| w.wasted > max) {
            past.push(format!(
                "{} wasted (more than --max-wasted {})",
                size(w.wasted),
                size(max)
            ));
        }
        if let Some(min) = limits.min_efficiency.filter(|&min| w.efficiency < min) {
            past.push(format!(
                "efficiency {:.2}% (below --min-efficiency {:.2}%)",
                w.efficiency * 100.0,
                min * 100.0
            ));
        }
        if past.is_empty() {
            continue;
        }
        let worst = w.files.first().map_or_else(String::new, |f| {
            format!(
                "; the largest: {} ({} copies, {})",
                crate::sanitize::sanitize(&f.path),
                f.copies,
                size(f.bytes)
            )
        });
        out.push(
            Finding::new(
                Code::WastedSpace,
                &c.digest,
                format!(
                    "the layers of {} waste space as dive counts it: {}{worst}",
                    c.platform,
                    past.join(", ")
                ),
            )
            .with_fix("See every wasted file with `regscope layers REF --platform P`; write, change and delete each file in the same layer (one RUN), or copy only what the image needs from a build stage"),
        );
    }
    out
}

fn size(bytes: u64) -> String {
    crate::units::human_size(i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// A size as `--max-wasted` takes it, as dive (go-humanize) reads it: `20MB` is 20,000,000
/// bytes, `20MiB` 20,971,520, a bare number bytes.
///
/// # Errors
/// A sentence naming the value when it is not a size.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "ki" | "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mi" | "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gi" | "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "ti" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{}` is not a size: write it as 20MB, 20MiB or a number of bytes",
                crate::sanitize::sanitize(text)
            ))
        }
    };
    let n: f64 = number.parse().map_err(|_| {
        format!(
            "`{}` is not a size: write it as 20MB, 20MiB or a number of bytes",
            crate::sanitize::sanitize(text)
        )
    })?;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )] // a non-negative threshold; the float saturates at u64::MAX
    Ok((n * factor as f64) as u64)
}

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

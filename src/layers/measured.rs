//! The figures a platform's row shows once its layers were measured (size, dive's
//! efficiency), kept in the disk cache by image manifest digest: the content a digest names
//! never changes, so what one front end measured holds for the other, and for ever.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Filesystem;
use crate::digest::Digest;
use crate::model::Node;
use crate::registry::Fetcher;

/// The name the figures are kept under (bump it when [`Measured`] changes).
pub const MEASURED_RECORD: &str = "measured-v1";

/// What measuring one image manifest's layers found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Bytes of the files every layer writes (dive's image size).
    pub bytes: u64,
    /// dive's efficiency score, between 0 and 1.
    pub efficiency: f64,
    /// When the layers were measured, in seconds since the epoch (0: a record written before
    /// the time was kept).
    #[serde(default)]
    pub measured_at: u64,
    /// Bytes wasted as dive counts them (`None`: a record written before they were kept).
    #[serde(default)]
    pub wasted: Option<u64>,
    /// Read from the disk cache rather than measured by this run (its rows say how old).
    #[serde(skip)]
    pub from_cache: bool,
    /// Past the waste limits of the config file's `[layers]` (its row says so, as the
    /// `wasted-space` finding of `check --files` and `f` does).
    #[serde(skip)]
    pub past_limits: bool,
}

/// Seconds since the epoch now (0 if the clock is before it).
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Measured {
    /// The figures of `fs`; `None` when no layer was listed or a bound stopped a listing
    /// (partial figures would be kept as if they were the image's).
    #[must_use]
    pub fn of(fs: &Filesystem) -> Option<Self> {
        let changes = fs.changes();
        if changes.is_empty() || !fs.stopped().is_empty() {
            return None;
        }
        Some(Self {
            bytes: changes.iter().fold(0u64, |s, c| s.saturating_add(c.bytes)),
            efficiency: fs.waste().efficiency,
            measured_at: fs.from_cache().unwrap_or_else(now),
            wasted: Some(fs.waste().wasted),
            from_cache: fs.from_cache().is_some(),
            past_limits: false,
        })
    }

    /// Whether these figures are past `limits` (a record without the wasted bytes is judged
    /// on its efficiency alone).
    #[must_use]
    pub fn past(&self, limits: &super::waste::WasteLimits) -> bool {
        limits
            .max_wasted
            .zip(self.wasted)
            .is_some_and(|(max, w)| w > max)
            || limits
                .min_efficiency
                .is_some_and(|min| self.efficiency < min)
    }
}

/// Keeps what `fs` measured of `manifest` (in `repo`) in `fetcher`'s disk cache, if it has
/// one. A record already kept stays as it is (the content a digest names never changes, so
/// its figures are the same, and its time is when they were first measured): then returns
/// that time, for figures that can say they come from the cache.
pub fn keep(fetcher: &Fetcher, repo: &str, manifest: &str, fs: &Filesystem) -> Option<u64> {
    let (Some(m), Ok(digest)) = (Measured::of(fs), Digest::parse(manifest)) else {
        return None;
    };
    if let Some(kept) = read(fetcher, &digest) {
        return Some(kept.measured_at);
    }
    if let Ok(bytes) = serde_json::to_vec(&m) {
        fetcher.put_derived(repo, &digest, MEASURED_RECORD, &bytes);
    }
    None
}

/// The figures kept for `digest`, if a sane record is there.
fn read(fetcher: &Fetcher, digest: &Digest) -> Option<Measured> {
    let bytes = fetcher.kept_derived(digest, MEASURED_RECORD)?;
    let m = serde_json::from_slice::<Measured>(&bytes).ok()?;
    // A record edited by hand must not draw an efficiency of 300 % or NaN.
    (m.efficiency.is_finite() && (0.0..=1.0).contains(&m.efficiency)).then_some(Measured {
        from_cache: true,
        ..m
    })
}

/// Every runnable image manifest in `root`'s tree: the root itself, an index's entries, and
/// those of the indexes it nests (the tree is as deep as inspecting it went, no deeper).
#[must_use]
pub fn manifests_in(root: &Node) -> Vec<&Node> {
    let mut out = super::platform_manifests(root, None);
    for child in &root.children {
        if child.kind == crate::model::Kind::Index {
            out.extend(manifests_in(child));
        }
    }
    out
}

/// What was kept for the image manifests of `root` (its own, its platforms', those of nested
/// indexes), by digest. Read from disk only: these are manifests the registry has just served
/// in `root`'s tree, and their figures cannot have changed since they were measured.
#[must_use]
pub fn kept_for(fetcher: &Fetcher, root: &Node) -> HashMap<String, Measured> {
    manifests_in(root)
        .into_iter()
        .filter_map(|n| {
            let digest = Digest::parse(&n.digest).ok()?;
            read(fetcher, &digest).map(|m| (n.digest.clone(), m))
        })
        .collect()
}

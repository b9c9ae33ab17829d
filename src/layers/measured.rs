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
        })
    }
}

/// Keeps what `fs` measured of `manifest` (in `repo`) in `fetcher`'s disk cache, if it has one.
pub fn keep(fetcher: &Fetcher, repo: &str, manifest: &str, fs: &Filesystem) {
    let (Some(m), Ok(digest)) = (Measured::of(fs), Digest::parse(manifest)) else {
        return;
    };
    if let Ok(bytes) = serde_json::to_vec(&m) {
        fetcher.put_derived(repo, &digest, MEASURED_RECORD, &bytes);
    }
}

/// What was kept for the platform manifests of `root`, by digest. Read from disk only: these
/// are manifests the registry has just served in `root`'s tree, and their figures cannot
/// have changed since they were measured.
#[must_use]
pub fn kept_for(fetcher: &Fetcher, root: &Node) -> HashMap<String, Measured> {
    super::platform_manifests(root, None)
        .into_iter()
        .filter_map(|n| {
            let digest = Digest::parse(&n.digest).ok()?;
            let bytes = fetcher.kept_derived(&digest, MEASURED_RECORD)?;
            let m = serde_json::from_slice::<Measured>(&bytes).ok()?;
            // A record edited by hand must not draw an efficiency of 300 % or NaN.
            (m.efficiency.is_finite() && (0.0..=1.0).contains(&m.efficiency))
                .then(|| (n.digest.clone(), m))
        })
        .collect()
}

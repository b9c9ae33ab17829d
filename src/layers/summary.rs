//! One platform's layers as dive shows them: each step of the history with the layer it made
//! (sizes, what it added, changed and removed) and the space the layers waste.

use serde::Serialize;

use super::fetch::layers_of;
use super::history::{align, Step};
use super::{Filesystem, LayerChanges, Waste};
use crate::model::Node;

/// A platform manifest's layers, ready for a renderer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageLayers {
    pub digest: String,
    /// `linux/amd64`.
    pub platform: String,
    /// Every history step, bottom first; a step that made a layer names it in `layers`.
    pub steps: Vec<Step>,
    pub layers: Vec<Layer>,
    pub waste: Waste,
    /// Compressed bytes of every layer (what the registry stores).
    pub compressed_bytes: u64,
    /// Uncompressed bytes of every layer (the tars).
    pub uncompressed_bytes: u64,
    /// Why the figures are partial, when a bound stopped a listing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partial: Vec<String>,
}

/// One layer: its blob and what it did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    /// The descriptor's size, when it gives a valid one.
    pub compressed: Option<u64>,
    #[serde(flatten)]
    pub changes: LayerChanges,
}

/// `fs` (merged from `manifest`'s layers) as the layer table and the waste summary.
#[must_use]
pub fn image_layers(manifest: &Node, platform: String, fs: &Filesystem) -> ImageLayers {
    let blobs = layers_of(manifest);
    let history = manifest
        .config_summary()
        .map_or(&[][..], |c| c.history.as_slice());
    let layers: Vec<Layer> = fs
        .changes()
        .iter()
        .enumerate()
        .map(|(i, c)| Layer {
            compressed: blobs.get(i).and_then(|b| b.1),
            changes: c.clone(),
        })
        .collect();
    ImageLayers {
        digest: manifest.digest.clone(),
        platform,
        steps: align(history, blobs.len()),
        compressed_bytes: layers
            .iter()
            .fold(0u64, |s, l| s.saturating_add(l.compressed.unwrap_or(0))),
        uncompressed_bytes: layers
            .iter()
            .fold(0u64, |s, l| s.saturating_add(l.changes.tar_bytes)),
        layers,
        waste: fs.waste().clone(),
        partial: fs.stopped(),
    }
}

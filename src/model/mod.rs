//! The domain types: descriptors, platforms, manifests, the manifest tree.

pub mod annotations;
pub mod cbor;
pub mod config;
pub mod descriptor;
pub mod intoto;
pub mod manifest;
pub mod media_type;
pub mod origin;
pub mod payload;
pub mod target;
pub mod tree;

pub use descriptor::{Descriptor, Platform};
pub use manifest::{ImageManifest, Index, Manifest, ManifestError};
pub use tree::{Attests, Kind, Node, Problem};

//! What is inside an image: layer blobs streamed and listed (never held whole), merged with
//! their whiteouts into the filesystem a container of one platform starts from.
//!
//! The pipeline is `fetch` (registry bytes, cached listings) -> `read` (digest, gzip/zstd,
//! bounds) -> `tar` (entries) -> `merge` (whiteouts, per-layer changes) -> `fs` (paths
//! resolved as the kernel would). ELF and shebang heads come from `exec`.

pub mod as_of;
pub mod exec;
pub mod fetch;
pub mod fs;
pub mod history;
pub mod measured;
pub mod merge;
pub mod read;
pub mod summary;
pub mod tar;
pub mod waste;

use serde::{Deserialize, Serialize};

use crate::model::{Kind, Node, Platform};

pub use exec::{Elf, Exec};
pub use fs::{Filesystem, LayerChanges, Lookup};
pub use merge::merge;
pub use read::{list_layer, LayerListing};
pub use waste::{Waste, WastedFile};

/// Bounds on what one image's layers may make regscope do: a hostile registry can send any
/// bytes, and each bound is proven by a test.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Entries kept from one layer.
    pub entries_per_layer: usize,
    /// Entries kept from all the layers of one image.
    pub entries_total: usize,
    /// Bytes of one path or link target.
    pub path_bytes: usize,
    /// Decompressed bytes read from one layer (a gzip bomb stops here).
    pub tar_bytes: u64,
    /// Compressed bytes read from one layer when its descriptor gives no size.
    pub blob_bytes: u64,
    /// Symbolic links followed to resolve one path (Linux's `MAXSYMLINKS`).
    pub link_depth: usize,
    /// Memory for one image's listing, in bytes: every entry's path and link plus
    /// [`ENTRY_OVERHEAD`]. Counts alone do not bound memory (400,000 entries of 4,000-byte PAX
    /// paths are inside them and once took 4 GB); this does, checked as entries arrive.
    pub listing_bytes: usize,
    /// How long listing one image's layers may take in all (`--deadline`): a layer dripped a
    /// byte a second never trips the per-read timeout, so the whole listing has a deadline.
    pub deadline: std::time::Duration,
}

/// What one listed entry costs besides its path and link: the `Entry`, its slot in the
/// listing and in the merged tree (measured: ~120 bytes on x86-64; rounded up).
pub const ENTRY_OVERHEAD: usize = 160;

impl Limits {
    /// What `entry` costs against [`listing_bytes`](Self::listing_bytes).
    #[must_use]
    pub fn cost(entry: &Entry) -> usize {
        entry.path.len() + entry.link.as_ref().map_or(0, String::len) + ENTRY_OVERHEAD
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            entries_per_layer: 1_000_000,
            entries_total: 1_000_000,
            path_bytes: 4096,
            tar_bytes: 64 * 1024 * 1024 * 1024,
            blob_bytes: 64 * 1024 * 1024 * 1024,
            link_depth: 40,
            // 1,000,000 entries of 100-byte paths fit; the merged tree holds about three copies.
            listing_bytes: 256 * 1024 * 1024,
            deadline: crate::connect::DEFAULT_DEADLINE,
        }
    }
}

/// What a tar entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    /// A hard link to `link`, another path of the same layer.
    Hardlink,
    /// A device, fifo or other special file.
    Other,
    /// `.wh.NAME`: removes `path` (and all below it) from the layers underneath.
    Whiteout,
    /// `.wh..wh..opq`: the directory `path` hides what the layers underneath put in it.
    Opaque,
}

impl EntryKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Hardlink => "hardlink",
            EntryKind::Other => "other",
            EntryKind::Whiteout => "whiteout",
            EntryKind::Opaque => "opaque",
        }
    }
}

/// One entry of a layer. `path` is relative to the image root, normalised (no `.`, no `..`,
/// no leading or trailing `/`); the root itself is `""`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// A symlink's target as written, or a hard link's path (normalised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// For an executable regular file: what the kernel would run it as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<Exec>,
}

impl Entry {
    /// The path as a container sees it: `/usr/bin/env`.
    #[must_use]
    pub fn display_path(&self) -> String {
        format!("/{}", self.path)
    }
}

/// Why a layer could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayerError {
    #[error(transparent)]
    Fetch(#[from] crate::registry::FetchError),
    #[error("layer {digest} does not match its digest (its bytes hash to {actual}): a registry, proxy or cache served other content than the manifest names; it is not trusted")]
    DigestMismatch { digest: String, actual: String },
    #[error("layer {digest} is not a tar archive regscope can read ({detail})")]
    Malformed { digest: String, detail: String },
    #[error("layer {digest} is larger than the descriptor's {size} bytes; the registry sent more, and regscope stopped reading")]
    Oversized { digest: String, size: u64 },
    #[error("reading layer {digest} was interrupted")]
    Interrupted { digest: String },
    #[error("layer {digest}: its descriptor gives the size {size}; OCI sizes are non-negative, so the layer was not fetched")]
    InvalidSize { digest: String, size: i64 },
}

/// Well-known small files whose text the findings read; kept (up to [`TEXT_BYTES`]) while
/// listing, so no second download is needed.
pub const TEXT_FILES: [&str; 4] = [
    "etc/passwd",
    "etc/group",
    "etc/os-release",
    "usr/lib/os-release",
];

/// Bytes kept of one [`TEXT_FILES`] file.
pub const TEXT_BYTES: usize = 64 * 1024;

/// Normalises a path from a tar header: strips `./` and `/` prefixes, drops `.` parts and
/// empty parts. `None` for a path that climbs out of the root with `..` (hostile).
#[must_use]
pub fn normalize(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// `a/b/c` -> `a/b`; `a` -> `""`.
#[must_use]
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// `a/b/c` -> `c`.
#[must_use]
pub fn base_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, b)| b)
}

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
                    .or_else(|| {
                        n.config_summary()
                            .map(crate::model::config::config_platform)
                    })
                    .is_some_and(|have| have.satisfies(p))
            })
    };
    match root.kind {
        Kind::Index => root.children.iter().filter(|c| fits(c)).collect(),
        _ if fits(root) => vec![root],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_and_escapes_refused() {
        assert_eq!(normalize("./usr//bin/").as_deref(), Some("usr/bin"));
        assert_eq!(normalize("/etc/./passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(normalize("./").as_deref(), Some(""));
        assert_eq!(normalize("a/../../etc/shadow"), None);
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
        assert_eq!(base_name("a/b/c"), "c");
    }
}

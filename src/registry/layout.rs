//! An OCI image layout directory read as if it were a registry (check before you push).

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::error::FetchError;
use crate::digest::Digest;
use crate::model::manifest::Index;
use crate::model::Descriptor;

use crate::model::annotations::OCI_REF_NAME as REF_NAME;

/// A layout on disk: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
#[derive(Debug)]
pub struct LayoutStore {
    root: PathBuf,
    index_bytes: Bytes,
    index: Index,
}

impl LayoutStore {
    pub fn open(root: &Path) -> Result<Self, FetchError> {
        let err = |detail: String| FetchError::Layout {
            path: root.display().to_string(),
            detail,
        };
        if !root.join("oci-layout").is_file() {
            return Err(err("there is no `oci-layout` file; is this an OCI image layout (`docker buildx build --output type=oci,tar=false,dest=DIR`)?".into()));
        }
        let index_bytes =
            std::fs::read(root.join("index.json")).map_err(|e| err(format!("index.json: {e}")))?;
        let index: Index = serde_json::from_slice(&index_bytes)
            .map_err(|e| err(format!("index.json is not an OCI index: {e}")))?;
        Ok(Self {
            root: root.to_path_buf(),
            index_bytes: Bytes::from(index_bytes),
            index,
        })
    }

    /// Resolves a tag (or nothing) to the descriptor of a manifest in `index.json`.
    ///
    /// With no tag: the only entry, or `index.json` itself when it lists several.
    pub fn resolve(&self, tag: Option<&str>) -> Result<Resolved, FetchError> {
        match tag {
            Some(tag) => self
                .index
                .manifests
                .iter()
                .find(|d| {
                    d.annotations
                        .get(REF_NAME)
                        .is_some_and(|n| ref_name_matches(n, tag))
                })
                .map(|d| Resolved::Entry(d.clone()))
                .ok_or_else(|| FetchError::NotFound {
                    what: format!(
                        "tag `{}` in {}",
                        crate::sanitize::sanitize(tag),
                        self.root.display()
                    ),
                    code: "no such ref.name in index.json".into(),
                }),
            None if self.index.manifests.len() == 1 => {
                Ok(Resolved::Entry(self.index.manifests[0].clone()))
            }
            None => Ok(Resolved::IndexJson(self.index_bytes.clone())),
        }
    }

    /// The tags `index.json` names.
    #[must_use]
    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self
            .index
            .manifests
            .iter()
            .filter_map(|d| d.annotations.get(REF_NAME))
            .map(|n| short_ref_name(n).to_string())
            .collect();
        tags.sort();
        tags.dedup();
        tags
    }

    /// Reads a blob (manifest, config, layer) by digest, refusing anything over `limit` bytes.
    pub fn read(&self, digest: &Digest, limit: u64, what: &str) -> Result<Bytes, FetchError> {
        let path = self
            .root
            .join("blobs")
            .join(digest.algorithm())
            .join(digest.hex());
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FetchError::NotFound {
                    what: what.to_string(),
                    code: "not in the layout's blobs".into(),
                })
            }
            Err(e) => {
                return Err(FetchError::Layout {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                })
            }
        };
        if meta.len() > limit {
            return Err(FetchError::TooLarge {
                what: what.to_string(),
                limit,
                size: Some(meta.len()),
            });
        }
        std::fs::read(&path)
            .map(Bytes::from)
            .map_err(|e| FetchError::Layout {
                path: path.display().to_string(),
                detail: e.to_string(),
            })
    }

    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// What a layout reference resolved to.
#[allow(clippy::large_enum_variant)] // one per lookup
#[derive(Debug, Clone)]
pub enum Resolved {
    Entry(Descriptor),
    IndexJson(Bytes),
}

/// `docker.io/library/test-image:test` and `test` both name tag `test`.
fn ref_name_matches(name: &str, tag: &str) -> bool {
    name == tag || short_ref_name(name) == tag
}

fn short_ref_name(name: &str) -> &str {
    let last = name.rsplit('/').next().unwrap_or(name);
    last.rsplit_once(':').map_or(name, |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_names() {
        assert!(ref_name_matches(
            "docker.io/library/test-image:test",
            "test"
        ));
        assert!(ref_name_matches("test", "test"));
        assert!(!ref_name_matches("localhost:5000/app", "5000/app"));
        assert_eq!(short_ref_name("v1"), "v1");
    }
}

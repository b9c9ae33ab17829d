//! The content one served repository holds: tags, manifests and blobs, loaded from an OCI image layout or built in memory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::model::annotations::OCI_REF_NAME;

use crate::model::media_type::{OCI_INDEX, OCI_MANIFEST};

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/...`) served as
/// one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The repository name clients use, e.g. `team/app`.
    pub repository: String,
    /// The layout directory.
    pub path: PathBuf,
}

impl Layout {
    pub fn new(repository: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self {
            repository: repository.into(),
            path: path.into(),
        }
    }
}

/// Where a piece of content's bytes live.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    Memory(Bytes),
    /// A verified layout blob, read when requested: layers can be large, and regscope rarely
    /// asks for them.
    File {
        path: PathBuf,
        size: u64,
    },
}

impl Data {
    pub(crate) fn len(&self) -> u64 {
        match self {
            Data::Memory(b) => b.len() as u64,
            Data::File { size, .. } => *size,
        }
    }
}

#[derive(Debug, Clone)]
struct Content {
    data: Data,
    /// `Some(media type)` when this content is served on the manifests endpoint too.
    manifest_type: Option<String>,
}

/// One repository's content: a content-addressed map plus tags.
///
/// Content is served exactly as stored; nothing is parsed or rewritten on the way out.
/// Tags may point at digests the store does not hold (the server then answers 404), which
/// is how a test models a tag whose manifest was deleted.
#[derive(Debug, Clone, Default)]
pub struct Store {
    content: HashMap<String, Content>,
    tags: BTreeMap<String, String>,
}

impl Store {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads an OCI image layout.
    ///
    /// Every file under `blobs/sha256/` is hashed and must match its name (a layout that
    /// lies about its own content is an error, not something to serve). Manifests are the
    /// blobs reachable from `index.json` through `manifests` lists; a referenced manifest or
    /// blob that is missing is skipped, so the server answers 404 for it.
    ///
    /// Tags come from `org.opencontainers.image.ref.name`: the tag part of a full
    /// reference (`docker.io/library/x:test` -> `test`), else the whole value. If exactly
    /// one entry has no usable ref name, it is tagged `latest` (unless that tag is taken).
    pub fn from_layout(path: &Path) -> io::Result<Self> {
        let invalid = |detail: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {detail}", path.display()),
            )
        };
        if !path.join("oci-layout").is_file() {
            return Err(invalid(
                "not an OCI image layout (there is no `oci-layout` file)".into(),
            ));
        }
        let index_bytes = fs::read(path.join("index.json"))
            .map_err(|e| io::Error::new(e.kind(), format!("{}/index.json: {e}", path.display())))?;
        let index: Value = serde_json::from_slice(&index_bytes)
            .map_err(|e| invalid(format!("index.json is not JSON: {e}")))?;

        let mut store = Store::new();
        store.load_blobs(&path.join("blobs").join("sha256"))?;

        let entries = index
            .get("manifests")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut visited = HashSet::new();
        let mut untagged = Vec::new();
        for entry in entries {
            store.mark_manifest(entry, &mut visited)?;
            let Some(digest) = descriptor_digest(entry) else {
                continue;
            };
            let tag = entry
                .get("annotations")
                .and_then(|a| a.get(OCI_REF_NAME))
                .and_then(Value::as_str)
                .and_then(tag_from_ref_name);
            match tag {
                Some(tag) => {
                    store.tags.insert(tag, digest.to_owned());
                }
                None => untagged.push(digest.to_owned()),
            }
        }
        if let [only] = untagged.as_slice() {
            store
                .tags
                .entry("latest".to_owned())
                .or_insert_with(|| only.clone());
        }
        Ok(store)
    }

    /// Registers every correctly named file in `dir` as a blob, after checking its hash.
    fn load_blobs(&mut self, dir: &Path) -> io::Result<()> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            // A layout with no blobs at all is odd but servable: everything 404s.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(hex) = name.to_str() else { continue };
            if !is_sha256_hex(hex) || !entry.file_type()?.is_file() {
                // Not content (editor backups, temp files): nothing a client could ask for.
                continue;
            }
            let path = entry.path();
            let (actual, size) = hash_file(&path)?;
            if actual != hex {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: content hashes to sha256:{actual}, not to its name",
                        path.display()
                    ),
                ));
            }
            self.content.insert(
                format!("sha256:{hex}"),
                Content {
                    data: Data::File { path, size },
                    manifest_type: None,
                },
            );
        }
        Ok(())
    }

    /// Marks the manifest `desc` points at (and, for an index, its children) as a manifest,
    /// pulling its bytes into memory so referrers can be computed from them.
    fn mark_manifest(&mut self, desc: &Value, visited: &mut HashSet<String>) -> io::Result<()> {
        let Some(digest) = descriptor_digest(desc) else {
            return Ok(());
        };
        if !visited.insert(digest.to_owned()) {
            return Ok(());
        }
        let Some(content) = self.content.get_mut(digest) else {
            // Referenced but not in the layout: served as 404, like a deleted child.
            return Ok(());
        };
        let bytes = match &content.data {
            Data::Memory(b) => b.clone(),
            Data::File { path, .. } => Bytes::from(fs::read(path)?),
        };
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        let media_type = body
            .as_ref()
            .and_then(|b| b.get("mediaType"))
            .and_then(Value::as_str)
            .or_else(|| desc.get("mediaType").and_then(Value::as_str))
            .map_or_else(|| guess_media_type(body.as_ref()).to_owned(), str::to_owned);
        content.data = Data::Memory(bytes);
        content.manifest_type = Some(media_type);

        let children = body
            .as_ref()
            .and_then(|b| b.get("manifests"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for child in &children {
            self.mark_manifest(child, visited)?;
        }
        Ok(())
    }

    /// Adds a blob and returns its digest.
    pub fn add_blob(&mut self, bytes: impl Into<Bytes>) -> String {
        let bytes = bytes.into();
        let digest = sha256_digest(&bytes);
        self.content.insert(
            digest.clone(),
            Content {
                data: Data::Memory(bytes),
                manifest_type: None,
            },
        );
        digest
    }

    /// Adds a manifest (served with `media_type` as its `Content-Type`) and returns its
    /// digest. The bytes need not be valid JSON.
    pub fn add_manifest(&mut self, bytes: impl Into<Bytes>, media_type: &str) -> String {
        let bytes = bytes.into();
        let digest = sha256_digest(&bytes);
        self.content.insert(
            digest.clone(),
            Content {
                data: Data::Memory(bytes),
                manifest_type: Some(media_type.to_owned()),
            },
        );
        digest
    }

    /// Points `tag` at `digest`, replacing any previous target. The digest need not be in
    /// the store.
    pub fn tag(&mut self, tag: impl Into<String>, digest: impl Into<String>) {
        self.tags.insert(tag.into(), digest.into());
    }

    /// Removes a tag, returning the digest it pointed at.
    pub fn untag(&mut self, tag: &str) -> Option<String> {
        self.tags.remove(tag)
    }

    /// Removes content (tags pointing at it stay, and now 404). Returns whether it was there.
    pub fn remove(&mut self, digest: &str) -> bool {
        self.content.remove(digest).is_some()
    }

    /// Adds everything in `other`; its tags win over ours.
    pub fn merge(&mut self, other: Store) {
        self.content.extend(other.content);
        self.tags.extend(other.tags);
    }

    /// Tags in sorted order, with the digests they point at.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &str)> {
        self.tags.iter().map(|(t, d)| (t.as_str(), d.as_str()))
    }

    /// The digest a tag or digest reference names (a digest resolves to itself).
    pub fn resolve<'a>(&'a self, reference: &'a str) -> Option<&'a str> {
        if reference.contains(':') {
            Some(reference)
        } else {
            self.tags.get(reference).map(String::as_str)
        }
    }

    /// Whether the store holds content (manifest or blob) with this digest.
    #[must_use]
    pub fn contains(&self, digest: &str) -> bool {
        self.content.contains_key(digest)
    }

    /// A manifest's media type and bytes.
    #[must_use]
    pub fn manifest(&self, digest: &str) -> Option<(&str, &Bytes)> {
        let content = self.content.get(digest)?;
        match (&content.manifest_type, &content.data) {
            (Some(media_type), Data::Memory(bytes)) => Some((media_type, bytes)),
            _ => None,
        }
    }

    /// Every manifest as `(digest, media type, bytes)`, in digest order.
    #[must_use]
    pub fn manifests(&self) -> Vec<(&str, &str, &Bytes)> {
        let mut all: Vec<_> = self
            .content
            .iter()
            .filter_map(|(digest, c)| match (&c.manifest_type, &c.data) {
                (Some(media_type), Data::Memory(bytes)) => {
                    Some((digest.as_str(), media_type.as_str(), bytes))
                }
                _ => None,
            })
            .collect();
        all.sort_by_key(|(digest, _, _)| *digest);
        all
    }

    /// The content behind a digest, for the blobs endpoint (manifests are blobs too).
    pub(crate) fn blob(&self, digest: &str) -> Option<Data> {
        self.content.get(digest).map(|c| c.data.clone())
    }
}

/// `sha256:<hex>` of `bytes`.
#[must_use]
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Whether `s` is `sha256:` and 64 lowercase hex digits: the only digests served.
pub fn is_sha256_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(is_sha256_hex)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

fn descriptor_digest(desc: &Value) -> Option<&str> {
    desc.get("digest")
        .and_then(Value::as_str)
        .filter(|d| is_sha256_digest(d))
}

/// The tag an `org.opencontainers.image.ref.name` value names, if any.
///
/// The OCI spec means a bare tag (`test`), but buildx and others write full references
/// (`docker.io/library/test-image:test`); for those the tag is what follows the last `:`,
/// unless that `:` is a registry port (`localhost:5000/app` has no tag).
fn tag_from_ref_name(value: &str) -> Option<String> {
    let value = value.split('@').next().unwrap_or_default();
    let tag = if value.contains('/') || value.contains(':') {
        let (_, tag) = value.rsplit_once(':')?;
        if tag.contains('/') {
            return None;
        }
        tag
    } else {
        value
    };
    is_valid_tag(tag).then(|| tag.to_owned())
}

/// The distribution tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    crate::reference::is_valid_tag(tag)
}

/// The distribution repository-name grammar (the one the client checks, too).
pub(crate) fn is_valid_repository(name: &str) -> bool {
    !name.is_empty() && crate::reference::is_valid_repository(name)
}

/// A manifest's media type when neither its body nor its descriptor says.
fn guess_media_type(body: Option<&Value>) -> &'static str {
    if body.is_some_and(|b| b.get("manifests").is_some()) {
        OCI_INDEX
    } else {
        OCI_MANIFEST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_names() {
        assert_eq!(tag_from_ref_name("test").as_deref(), Some("test"));
        assert_eq!(
            tag_from_ref_name("docker.io/library/test-image:test").as_deref(),
            Some("test")
        );
        assert_eq!(tag_from_ref_name("localhost:5000/app"), None);
        assert_eq!(
            tag_from_ref_name("localhost:5000/app:v1@sha256:abc").as_deref(),
            Some("v1")
        );
        assert_eq!(tag_from_ref_name(""), None);
        assert_eq!(tag_from_ref_name("-bad"), None);
    }

    #[test]
    fn repository_names() {
        for ok in [
            "a",
            "team/app",
            "a.b",
            "a__b",
            "a---b",
            "x/y/z",
            "test-image",
        ] {
            assert!(is_valid_repository(ok), "{ok}");
        }
        for bad in [
            "", "A", "a/", "/a", "a//b", "a..b", "a___b", "-a", "a_", "..",
        ] {
            assert!(!is_valid_repository(bad), "{bad}");
        }
    }
}

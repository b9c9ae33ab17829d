//! Small records beside the content: what a tag resolved to, the tag and repository lists,
//! and how a registry is reached. Each is one file written whole; its age is the file's.
//! A record that cannot be read is treated as absent: the registry is asked instead.

use std::fs;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::DiskCache;
use crate::digest::Digest;

/// What a tag pointed at when it was last resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRecord {
    pub digest: Digest,
    pub content_type: Option<String>,
    /// When it was resolved.
    pub at: SystemTime,
}

/// A list of names (tags of a repository, repositories of a registry) and when it was fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub names: Vec<String>,
    pub at: SystemTime,
}

/// How a registry answered `/v2/`: enough to skip the ping next time. Never a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// `https` or `http`.
    pub scheme: String,
    /// `none`, `basic` or `bearer`.
    pub challenge: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Names {
    names: Vec<String>,
}

/// A tag names a file only if it is a valid tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`): no
/// separators, never `.` or `..`.
fn tag_file_name(tag: &str) -> Option<&str> {
    crate::reference::is_valid_tag(tag).then_some(tag)
}

fn age_of(path: &std::path::Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl DiskCache {
    /// Keeps `bytes`, derived from the content `of` (a layer's listing), as `name`: the bytes
    /// as content of their own digest (verified and evicted like any), and a record from `of`
    /// to that digest.
    pub fn put_derived(&self, of: &Digest, name: &str, bytes: &[u8]) {
        // Something a quarter of the bound or more would only push everything else out.
        if bytes.len() as u64 > self.max_bytes / 4 {
            return;
        }
        let digest = Digest::sha256_of(bytes);
        self.put(&digest, bytes);
        self.write_record(&self.derived_path(of, name), digest.as_str().as_bytes());
    }

    /// What [`put_derived`](Self::put_derived) kept for `of` as `name`, if it is still there.
    #[must_use]
    pub fn derived(&self, of: &Digest, name: &str) -> Option<bytes::Bytes> {
        let text = fs::read_to_string(self.derived_path(of, name)).ok()?;
        self.get(&Digest::parse(text.trim()).ok()?)
    }

    fn derived_path(&self, of: &Digest, name: &str) -> std::path::PathBuf {
        self.root
            .join("derived")
            .join(super::key(name))
            .join(super::key(of.as_str()))
    }

    /// Records that `registry/repo:tag` resolved to `digest` just now (found `how`), and
    /// logs it in the repository's history.
    pub fn put_tag(
        &self,
        registry: &str,
        repo: &str,
        tag: &str,
        digest: &Digest,
        content_type: Option<&str>,
        how: super::How,
    ) {
        let Some(name) = tag_file_name(tag) else {
            return;
        };
        let path = self.repo_dir(registry, repo).join("tags").join(name);
        let text = format!("{digest}\n{}\n", content_type.unwrap_or(""));
        self.write_record(&path, text.as_bytes());
        self.log_sighting(&super::Sighting {
            registry: registry.to_string(),
            repository: repo.to_string(),
            tag: tag.to_string(),
            digest: digest.clone(),
            at: SystemTime::now(),
            how,
            pushed: None,
        });
    }

    /// What `registry/repo:tag` last resolved to.
    #[must_use]
    pub fn tag(&self, registry: &str, repo: &str, tag: &str) -> Option<TagRecord> {
        let path = self
            .repo_dir(registry, repo)
            .join("tags")
            .join(tag_file_name(tag)?);
        let text = fs::read_to_string(&path).ok()?;
        let mut lines = text.lines();
        let digest = Digest::parse(lines.next()?).ok()?;
        let content_type = lines
            .next()
            .filter(|c| !c.is_empty() && c.len() < 256)
            .map(str::to_string);
        Some(TagRecord {
            digest,
            content_type,
            at: age_of(&path)?,
        })
    }

    /// Remembers the tag list of `registry/repo`.
    pub fn put_tags(&self, registry: &str, repo: &str, tags: &[String]) {
        let path = self.repo_dir(registry, repo).join("tags.json");
        self.put_names(&path, tags);
    }

    /// The tag list of `registry/repo` as last fetched.
    #[must_use]
    pub fn tags(&self, registry: &str, repo: &str) -> Option<Listing> {
        names_at(&self.repo_dir(registry, repo).join("tags.json"))
    }

    /// Remembers the repository list of `registry`.
    pub fn put_catalog(&self, registry: &str, repositories: &[String]) {
        let path = self.registry_dir(registry).join("catalog.json");
        self.put_names(&path, repositories);
    }

    /// The repository list of `registry` as last fetched.
    #[must_use]
    pub fn catalog(&self, registry: &str) -> Option<Listing> {
        names_at(&self.registry_dir(registry).join("catalog.json"))
    }

    fn put_names(&self, path: &std::path::Path, names: &[String]) {
        if let Ok(json) = serde_json::to_vec(&Names {
            names: names.to_vec(),
        }) {
            self.write_record(path, &json);
        }
    }

    /// Remembers how `registry` is reached.
    pub fn put_endpoint(&self, registry: &str, endpoint: &Endpoint) {
        let path = self.registry_dir(registry).join("endpoint.json");
        if let Ok(json) = serde_json::to_vec(endpoint) {
            self.write_record(&path, &json);
        }
    }

    /// How `registry` was reached, if learnt within `max_age`.
    #[must_use]
    pub fn endpoint(&self, registry: &str, max_age: Duration) -> Option<Endpoint> {
        let path = self.registry_dir(registry).join("endpoint.json");
        let fresh = SystemTime::now()
            .duration_since(age_of(&path)?)
            .is_ok_and(|age| age <= max_age);
        if !fresh {
            return None;
        }
        let endpoint: Endpoint = serde_json::from_slice(&fs::read(&path).ok()?).ok()?;
        matches!(endpoint.scheme.as_str(), "https" | "http").then_some(endpoint)
    }

    /// Forgets how `registry` is reached (it answered otherwise).
    pub fn forget_endpoint(&self, registry: &str) {
        let _ = fs::remove_file(self.registry_dir(registry).join("endpoint.json"));
    }
}

/// A list file, if it is one; capped so a damaged file cannot take the memory.
fn names_at(path: &std::path::Path) -> Option<Listing> {
    let meta = fs::metadata(path).ok()?;
    if meta.len() > 64 * 1024 * 1024 {
        return None;
    }
    let names: Names = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    Some(Listing {
        names: names.names,
        at: meta.modified().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_lists_and_endpoints_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), super::super::DEFAULT_MAX_BYTES);
        let d = Digest::sha256_of(b"m");
        cache.put_tag(
            "r",
            "app",
            "v1",
            &d,
            Some("application/vnd.oci.image.index.v1+json"),
            crate::cache::How::Get,
        );
        let rec = cache.tag("r", "app", "v1").unwrap();
        assert_eq!(rec.digest, d);
        assert_eq!(
            rec.content_type.as_deref(),
            Some("application/vnd.oci.image.index.v1+json")
        );
        assert!(cache.tag("r", "app", "v2").is_none());
        // A name outside the tag grammar never becomes a path.
        cache.put_tag("r", "app", "../../x", &d, None, crate::cache::How::Get);
        assert!(cache.tag("r", "app", "../../x").is_none());

        cache.put_tags("r", "app", &["v1".into(), "v2".into()]);
        assert_eq!(cache.tags("r", "app").unwrap().names, ["v1", "v2"]);
        cache.put_catalog("r", &["app".into()]);
        assert_eq!(cache.catalog("r").unwrap().names, ["app"]);

        let e = Endpoint {
            scheme: "https".into(),
            challenge: "bearer".into(),
            realm: Some("https://auth.example/token".into()),
            service: Some("registry".into()),
        };
        cache.put_endpoint("r", &e);
        assert_eq!(cache.endpoint("r", Duration::from_mins(1)), Some(e.clone()));
        let old = SystemTime::now() - Duration::from_mins(2);
        fs::File::options()
            .append(true)
            .open(cache.registry_dir("r").join("endpoint.json"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(cache.endpoint("r", Duration::from_mins(1)), None, "too old");
        cache.put_endpoint("r", &e);
        cache.forget_endpoint("r");
        assert_eq!(cache.endpoint("r", Duration::from_mins(1)), None);
    }
}

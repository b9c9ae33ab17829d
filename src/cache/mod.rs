//! The on-disk cache: content by digest (verified on every read), what each repository was
//! seen to hold, what tags resolved to, and per registry how it is reached.
//!
//! ```text
//! $XDG_CACHE_HOME/regscope/v1/
//!   blobs/sha256/ab/abcd…          content; its name is its digest, checked on every read
//!   repos/<key>/seen/<hex>         empty: the digest was in this repository (mtime: when)
//!   repos/<key>/tags/<tag>         "digest\ncontent-type\n" (mtime: when it was resolved)
//!   repos/<key>/tags.json          the tag list (mtime: when it was fetched)
//!   repos/<key>/history.log        every resolution of a tag, one JSON line each (bounded)
//!   registries/<key>/endpoint.json scheme and auth challenge (never a credential)
//!   registries/<key>/catalog.json  the repository list
//!   tmp/                           files being written; renamed into place when whole
//! ```
//!
//! Keys are hashes of the registry and repository names, so a hostile name cannot reach
//! outside the cache. Every write goes to `tmp/` and is renamed into place, so several
//! processes can share the cache and a reader never sees half a file; content that does not
//! hash to its name (a torn disk, an editor) is deleted and fetched again, never shown.
//! Content is bounded in total size: the least recently used goes first.

mod history;
mod records;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sha2::{Digest as _, Sha256};

use crate::digest::Digest;

pub use history::{How, Sighting, MAX_ENTRIES as MAX_HISTORY_ENTRIES};
pub use records::{Endpoint, Listing, TagRecord};

/// The default bound on cached content.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Eviction brings the content down to this share of the bound, so it does not run on
/// every write once the cache is full.
const LOW_WATER_PERCENT: u64 = 90;
/// Files in `tmp/` older than this were left by a process that died mid-write.
const STALE_TMP: Duration = Duration::from_hours(1);
/// Markers and records older than this are swept with the content.
const STALE_RECORD: Duration = Duration::from_hours(30 * 24);

/// One cache directory.
#[derive(Debug)]
pub struct DiskCache {
    root: PathBuf,
    max_bytes: u64,
    /// Bytes written since the last eviction pass.
    written: AtomicU64,
}

/// Where the cache lives when nothing says otherwise: `$XDG_CACHE_HOME/regscope`, else
/// `~/.cache/regscope`.
#[must_use]
pub fn default_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(x).join("regscope"));
    }
    std::env::var_os("HOME")
        .filter(|p| !p.is_empty())
        .map(|h| PathBuf::from(h).join(".cache/regscope"))
}

impl DiskCache {
    /// The cache in `dir` (created on first write), holding at most `max_bytes` of content.
    #[must_use]
    pub fn open(dir: &Path, max_bytes: u64) -> Self {
        Self {
            root: dir.join("v1"),
            max_bytes: max_bytes.max(1),
            written: AtomicU64::new(0),
        }
    }

    /// The directory, for messages.
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.root.parent().unwrap_or(&self.root)
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.root
            .join("blobs")
            .join(digest.algorithm())
            .join(hex.get(..2).unwrap_or("00"))
            .join(hex)
    }

    /// The content of `digest`, if cached and still hashing to it. A corrupt entry is
    /// removed (and reported as absent). A read marks the entry recently used.
    #[must_use]
    pub fn get(&self, digest: &Digest) -> Option<Bytes> {
        let path = self.blob_path(digest);
        let bytes = fs::read(&path).ok()?;
        if !digest.matches(&bytes) {
            let _ = fs::remove_file(&path);
            return None;
        }
        touch(&path);
        Some(Bytes::from(bytes))
    }

    /// Whether `digest` is cached (unverified: [`get`](Self::get) verifies).
    #[must_use]
    pub fn contains(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Stores `bytes` as `digest`'s content. Refuses (silently: a cache may always miss)
    /// content that does not hash to `digest`.
    pub fn put(&self, digest: &Digest, bytes: &[u8]) {
        if !digest.matches(bytes) {
            return;
        }
        let path = self.blob_path(digest);
        if path.is_file() {
            touch(&path);
            return;
        }
        if self.write_atomically(&path, bytes).is_ok() {
            let written = self
                .written
                .fetch_add(bytes.len() as u64, Ordering::Relaxed)
                + bytes.len() as u64;
            // Check the bound after every eighth of it written: often enough that the cache
            // never grows far past it, rarely enough that walking the directory is cheap.
            if written >= self.max_bytes / 8 {
                self.written.store(0, Ordering::Relaxed);
                self.evict();
            }
        }
    }

    /// Writes `bytes` to `path` through a file in `tmp/`, renamed into place when whole.
    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        self.create_root()?;
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = tmp_dir.join(format!(
            "{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Creates the cache directory readable by its owner alone: configs of private images
    /// can hold environment values and labels other users of the machine must not read.
    fn create_root(&self) -> std::io::Result<()> {
        if self.root.is_dir() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(self.dir())?;
        builder.create(&self.root)
    }

    /// Removes the least recently used content until the total is under the low-water
    /// mark, and files other processes left half-written.
    pub fn evict(&self) {
        let mut entries = Vec::new();
        let mut total = 0u64;
        for path in files_under(&self.root.join("blobs"), 2) {
            if let Ok(meta) = fs::metadata(&path) {
                total += meta.len();
                let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                entries.push((used, meta.len(), path));
            }
        }
        let low_water = self.max_bytes / 100 * LOW_WATER_PERCENT;
        if total > self.max_bytes {
            entries.sort_by_key(|(used, _, _)| *used);
            for (_, len, path) in entries {
                if total <= low_water {
                    break;
                }
                if fs::remove_file(&path).is_ok() {
                    total -= len;
                }
            }
        }
        sweep(&self.root.join("tmp"), 0, STALE_TMP);
        sweep(&self.root.join("repos"), 2, STALE_RECORD);
        sweep(&self.root.join("derived"), 1, STALE_RECORD);
    }

    /// The total size of cached content.
    #[must_use]
    pub fn content_bytes(&self) -> u64 {
        files_under(&self.root.join("blobs"), 2)
            .iter()
            .filter_map(|p| fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    fn repo_dir(&self, registry: &str, repo: &str) -> PathBuf {
        self.root
            .join("repos")
            .join(key(&format!("{registry}/{repo}")))
    }

    fn registry_dir(&self, registry: &str) -> PathBuf {
        self.root.join("registries").join(key(registry))
    }

    /// Records that `digest` was in `registry/repo` just now.
    pub fn mark_seen(&self, registry: &str, repo: &str, digest: &Digest) {
        let dir = self.repo_dir(registry, repo).join("seen");
        let path = dir.join(digest.hex());
        if path.is_file() {
            touch(&path);
        } else if fs::create_dir_all(&dir).is_ok() {
            let _ = fs::File::create(&path);
        }
    }

    /// Records that `registry/repo` no longer holds `digest`.
    pub fn forget_seen(&self, registry: &str, repo: &str, digest: &Digest) {
        let path = self
            .repo_dir(registry, repo)
            .join("seen")
            .join(digest.hex());
        let _ = fs::remove_file(path);
    }

    /// When `digest` was last seen in `registry/repo`.
    #[must_use]
    pub fn seen_at(&self, registry: &str, repo: &str, digest: &Digest) -> Option<SystemTime> {
        let path = self
            .repo_dir(registry, repo)
            .join("seen")
            .join(digest.hex());
        fs::metadata(path).and_then(|m| m.modified()).ok()
    }

    /// Writes a small record atomically; a cache that cannot be written is only slower.
    fn write_record(&self, path: &Path, bytes: &[u8]) {
        let _ = self.write_atomically(path, bytes);
    }
}

/// A file name for `name`: 32 hex digits of its sha256.
fn key(name: &str) -> String {
    hex::encode(&Sha256::digest(name.as_bytes())[..16])
}

/// Marks `path` used now (LRU order is by modification time: access times are often off).
fn touch(path: &Path) {
    if let Ok(file) = fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// Regular files exactly `depth` directories below `dir`.
fn files_under(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if depth == 0 {
            if kind.is_file() {
                out.push(entry.path());
            }
        } else if kind.is_dir() {
            out.extend(files_under(&entry.path(), depth - 1));
        }
    }
    out
}

/// Removes files `depth` directories below `dir` not modified for `age`.
fn sweep(dir: &Path, depth: usize, age: Duration) {
    let now = SystemTime::now();
    for path in files_under(dir, depth) {
        let old = fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > age);
        if old {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(bytes: &[u8]) -> Digest {
        Digest::sha256_of(bytes)
    }

    #[test]
    fn content_round_trips_and_a_corrupt_entry_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), DEFAULT_MAX_BYTES);
        let d = digest_of(b"hello");
        assert!(cache.get(&d).is_none());
        cache.put(&d, b"hello");
        assert_eq!(cache.get(&d).as_deref(), Some(&b"hello"[..]));
        // Content that does not hash to the name is refused on the way in...
        let other = digest_of(b"other");
        cache.put(&other, b"not other");
        assert!(!cache.contains(&other));
        // ...and dropped on the way out.
        fs::write(cache.blob_path(&d), b"hellO").unwrap();
        assert!(cache.get(&d).is_none());
        assert!(!cache.contains(&d), "the corrupt file is gone");
    }

    #[test]
    fn eviction_keeps_the_recently_used_under_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        // 8 entries of 1000 bytes in a 4000-byte cache.
        let cache = DiskCache::open(dir.path(), 4000);
        let contents: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 1000]).collect();
        let digests: Vec<Digest> = contents.iter().map(|c| digest_of(c)).collect();
        for (i, (d, c)) in digests.iter().zip(&contents).enumerate() {
            cache.put(d, c);
            // Entry 0 is read after each write: it stays the most recently used.
            let past = SystemTime::now() - Duration::from_secs(100 - i as u64);
            fs::File::options()
                .append(true)
                .open(cache.blob_path(d))
                .unwrap()
                .set_modified(past)
                .unwrap();
            assert!(cache.get(&digests[0]).is_some());
        }
        cache.evict();
        assert!(cache.content_bytes() <= 4000, "{}", cache.content_bytes());
        assert!(cache.contains(&digests[0]), "the most recently used stays");
        assert!(cache.contains(&digests[7]), "the newest stays");
        assert!(!cache.contains(&digests[1]), "the least recently used goes");
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owner_can_read_the_cache() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(&dir.path().join("regscope"), DEFAULT_MAX_BYTES);
        cache.put(&digest_of(b"config"), b"config");
        for d in [cache.dir(), cache.root.as_path()] {
            let mode = fs::metadata(d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
    }

    #[test]
    fn seen_markers_are_per_repository() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), DEFAULT_MAX_BYTES);
        let d = digest_of(b"x");
        cache.mark_seen("r.example", "team/app", &d);
        assert!(cache.seen_at("r.example", "team/app", &d).is_some());
        assert!(cache.seen_at("r.example", "team/other", &d).is_none());
        assert!(cache.seen_at("s.example", "team/app", &d).is_none());
    }
}

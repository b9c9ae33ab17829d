//! The tag history log: every resolution of a tag, one JSON line each, appended to
//! `repos/<key>/history.log`. A registry keeps no history of where a tag pointed; this does.
//!
//! Several processes append at once: each line is written whole with one `write` to a file
//! opened `O_APPEND`, under a shared lock on `history.lock`; compaction (which rewrites the
//! file) takes that lock exclusively, so no line appended meanwhile is lost. A line that does
//! not parse (a torn disk, an editor) is skipped, never fatal.

use std::fs;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::DiskCache;
use crate::digest::Digest;

/// Entries kept per repository by compaction (oldest out).
pub const MAX_ENTRIES: usize = 10_000;
/// Past this size the log is compacted on the next append: about twice what
/// [`MAX_ENTRIES`] lines of usual names take (~150 bytes each), so compaction runs rarely.
const COMPACT_AT_BYTES: u64 = 3 * 1024 * 1024;
/// Bytes read at most from the end of a log (one that compaction could not shrink).
const MAX_READ_BYTES: u64 = 16 * 1024 * 1024;
/// A longer line is not one regscope wrote.
const MAX_LINE: usize = 2048;

/// How a resolution was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum How {
    /// The manifest was fetched by tag.
    #[serde(rename = "GET")]
    Get,
    /// A HEAD of the tag named its digest.
    #[serde(rename = "HEAD")]
    Head,
    /// A registry's own API (ECR, Hub) named it.
    #[serde(rename = "API")]
    Api,
}

impl How {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            How::Get => "GET",
            How::Head => "HEAD",
            How::Api => "API",
        }
    }
}

/// One line of the log: `registry/repository:tag` named `digest` at `at` (when regscope saw
/// it), and, when a registry's API said so, when it was `pushed` (the registry's claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub registry: String,
    pub repository: String,
    pub tag: String,
    pub digest: Digest,
    pub at: SystemTime,
    pub how: How,
    pub pushed: Option<SystemTime>,
}

/// The line as written: short keys, seconds since the epoch.
#[derive(Serialize, Deserialize)]
struct Line {
    r: String,
    n: String,
    t: String,
    d: String,
    at: u64,
    how: How,
    /// Push time by the registry's clock (seconds since the epoch); older lines have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<u64>,
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Sighting {
    fn to_line(&self) -> Option<String> {
        let line = Line {
            r: self.registry.clone(),
            n: self.repository.clone(),
            t: self.tag.clone(),
            d: self.digest.to_string(),
            at: epoch_secs(self.at),
            how: self.how,
            p: self.pushed.map(epoch_secs),
        };
        let mut text = serde_json::to_string(&line).ok()?;
        text.push('\n');
        (text.len() <= MAX_LINE).then_some(text)
    }

    fn from_line(text: &str) -> Option<Self> {
        if text.len() > MAX_LINE {
            return None;
        }
        let line: Line = serde_json::from_str(text).ok()?;
        if !crate::reference::is_valid_tag(&line.t) {
            return None;
        }
        Some(Self {
            registry: line.r,
            repository: line.n,
            tag: line.t,
            digest: Digest::parse(&line.d).ok()?,
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(line.at),
            how: line.how,
            pushed: line
                .p
                .and_then(|p| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(p))),
        })
    }
}

impl DiskCache {
    /// Appends one resolution to its repository's history log (compacting the log first when
    /// it has grown past its bound). A log that cannot be written is only a shorter history.
    pub fn log_sighting(&self, sighting: &Sighting) {
        let Some(line) = sighting.to_line() else {
            return;
        };
        let dir = self.repo_dir(&sighting.registry, &sighting.repository);
        if self.create_root().is_err() || fs::create_dir_all(&dir).is_err() {
            return;
        }
        let log = dir.join("history.log");
        if fs::metadata(&log).is_ok_and(|m| m.len() > COMPACT_AT_BYTES) {
            compact(&dir, MAX_ENTRIES);
        }
        let Some(lock) = open_lock(&dir) else {
            return;
        };
        if lock.lock_shared().is_err() {
            return;
        }
        if let Ok(mut file) = fs::File::options().create(true).append(true).open(&log) {
            // One write of the whole line: appends of other processes cannot land inside it.
            let _ = file.write_all(line.as_bytes());
        }
        let _ = lock.unlock();
    }

    /// Every resolution logged for `registry/repo` (oldest first), optionally of one tag.
    #[must_use]
    pub fn sightings(&self, registry: &str, repo: &str, tag: Option<&str>) -> Vec<Sighting> {
        let dir = self.repo_dir(registry, repo);
        read_log(&dir.join("history.log"))
            .into_iter()
            .filter(|s| s.registry == registry && s.repository == repo)
            .filter(|s| tag.is_none_or(|t| s.tag == t))
            .collect()
    }
}

fn open_lock(dir: &Path) -> Option<fs::File> {
    fs::File::options()
        .create(true)
        .append(true)
        .open(dir.join("history.lock"))
        .ok()
}

/// The log's lines that parse, oldest first; only its last [`MAX_READ_BYTES`] are read.
fn read_log(path: &Path) -> Vec<Sighting> {
    let Ok(mut file) = fs::File::open(path) else {
        return Vec::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let skip = len.saturating_sub(MAX_READ_BYTES);
    if skip > 0 && file.seek(std::io::SeekFrom::Start(skip)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.take(MAX_READ_BYTES).read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    if skip > 0 {
        // Started mid-line.
        lines.next();
    }
    let mut out: Vec<Sighting> = lines.filter_map(Sighting::from_line).collect();
    // Appends of several processes may interleave slightly out of order.
    out.sort_by_key(|s| s.at);
    out
}

/// Rewrites the log of the repository in `dir` with at most `keep` entries: runs of the same
/// digest for a tag shrink to their first and last sighting (first and last seen are all the
/// history shows of them), then the oldest go.
fn compact(dir: &Path, keep: usize) {
    let Some(lock) = open_lock(dir) else {
        return;
    };
    if lock.lock().is_err() {
        return;
    }
    let log = dir.join("history.log");
    let kept = coalesce(read_log(&log), keep);
    let text: String = kept.iter().filter_map(Sighting::to_line).collect();
    let tmp = dir.join("history.log.tmp");
    if fs::write(&tmp, text).is_ok() {
        let _ = fs::rename(&tmp, &log);
    }
    let _ = lock.unlock();
}

/// `all` (oldest first) with each tag's runs of one digest cut to their ends, then the newest
/// `keep`.
fn coalesce(all: Vec<Sighting>, keep: usize) -> Vec<Sighting> {
    let mut out: Vec<Sighting> = Vec::with_capacity(all.len().min(keep * 2));
    // Per tag: the index in `out` of its last two entries, when they are of one run.
    let mut run_ends: std::collections::HashMap<String, (usize, usize)> =
        std::collections::HashMap::new();
    for s in all {
        match run_ends.get_mut(&s.tag) {
            Some((first, last)) if out[*first].digest == s.digest => {
                // The registry's push time outlives the sighting that brought it: the run's
                // first entry keeps the earliest claim (when this digest was pushed there).
                let pushed = match (out[*first].pushed, s.pushed) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                out[*first].pushed = pushed;
                if *first == *last {
                    out.push(s);
                    *last = out.len() - 1;
                } else {
                    // The run's end moves on: the later sighting replaces it.
                    out[*last] = s;
                }
            }
            _ => {
                run_ends.insert(s.tag.clone(), (out.len(), out.len()));
                out.push(s);
            }
        }
    }
    out.sort_by_key(|s| s.at);
    let drop = out.len().saturating_sub(keep);
    out.drain(..drop);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(tag: &str, digest: &Digest, secs: u64) -> Sighting {
        Sighting {
            registry: "r.example".into(),
            repository: "team/app".into(),
            tag: tag.into(),
            digest: digest.clone(),
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            how: How::Head,
            pushed: None,
        }
    }

    #[test]
    fn sightings_round_trip_and_a_corrupt_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), super::super::DEFAULT_MAX_BYTES);
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        cache.log_sighting(&sighting("v1", &a, 100));
        let log = cache.repo_dir("r.example", "team/app").join("history.log");
        let mut file = fs::File::options().append(true).open(&log).unwrap();
        file.write_all(b"{\"r\":\"half a line\n\x00\xff garbage\n")
            .unwrap();
        cache.log_sighting(&sighting("v1", &b, 200));
        cache.log_sighting(&sighting("v2", &a, 150));
        let all = cache.sightings("r.example", "team/app", None);
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0].digest, a);
        assert_eq!(all[1].tag, "v2", "oldest first");
        let v1 = cache.sightings("r.example", "team/app", Some("v1"));
        assert_eq!(
            v1.iter().map(|s| &s.digest).collect::<Vec<_>>(),
            [&a, &b],
            "one tag"
        );
        assert!(cache.sightings("r.example", "other", None).is_empty());
    }

    #[test]
    fn compaction_keeps_the_ends_of_each_run_and_the_newest_entries() {
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        let mut all: Vec<Sighting> = (0..50).map(|i| sighting("v1", &a, i)).collect();
        all.extend((50..60).map(|i| sighting("v1", &b, i)));
        all.push(sighting("v1", &a, 60));
        let kept = coalesce(all.clone(), MAX_ENTRIES);
        let secs: Vec<u64> = kept
            .iter()
            .map(|s| {
                s.at.duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
            })
            .collect();
        assert_eq!(secs, [0, 49, 50, 59, 60], "first and last of each run");
        assert_eq!(coalesce(all, 2).len(), 2, "the oldest go past the bound");
    }

    #[test]
    fn a_push_time_survives_the_round_trip_and_compaction() {
        let a = Digest::sha256_of(b"a");
        let pushed = SystemTime::UNIX_EPOCH + Duration::from_secs(5);
        let api = Sighting {
            how: How::Api,
            pushed: Some(pushed),
            ..sighting("v1", &a, 20)
        };
        let line = api.to_line().unwrap();
        assert!(line.contains("\"p\":5"), "{line}");
        assert_eq!(Sighting::from_line(&line), Some(api.clone()));
        assert!(
            !sighting("v1", &a, 1).to_line().unwrap().contains("\"p\""),
            "no push time, no field"
        );
        // The API's sighting sat in the middle of a run: its claim moves to the run's start.
        let all = vec![sighting("v1", &a, 10), api, sighting("v1", &a, 30)];
        let kept = coalesce(all, MAX_ENTRIES);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].pushed, Some(pushed));
    }

    #[test]
    fn a_log_past_its_bound_is_compacted_to_max_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::open(dir.path(), super::super::DEFAULT_MAX_BYTES);
        let repo = cache.repo_dir("r.example", "team/app");
        fs::create_dir_all(&repo).unwrap();
        // Every line a new digest: nothing coalesces, so only the bound shrinks it.
        let text: String = (0..2 * MAX_ENTRIES as u64 + 5_000)
            .filter_map(|i| sighting("v1", &Digest::sha256_of(&i.to_le_bytes()), i).to_line())
            .collect();
        assert!(text.len() as u64 > COMPACT_AT_BYTES, "{}", text.len());
        fs::write(repo.join("history.log"), text).unwrap();
        let last = Digest::sha256_of(b"last");
        cache.log_sighting(&sighting("v1", &last, 1_000_000));
        let all = cache.sightings("r.example", "team/app", None);
        assert_eq!(all.len(), MAX_ENTRIES + 1);
        assert_eq!(all.last().unwrap().digest, last);
        assert_eq!(
            all[0].at,
            SystemTime::UNIX_EPOCH + Duration::from_secs(MAX_ENTRIES as u64 + 5_000),
            "the oldest went"
        );
    }
}

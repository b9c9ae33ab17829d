//! The merged filesystem of one image, and paths looked up in it the way the kernel and the
//! runtime do: symbolic links followed (at most [`Limits::link_depth`], so a loop ends), `..`
//! stopping at the root, and a bare command name searched along `PATH`.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use super::waste::Waste;
use super::{Entry, EntryKind};

/// What one layer did to the filesystem beneath it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LayerChanges {
    pub digest: String,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    /// Bytes of the files this layer writes.
    pub bytes: u64,
    /// Bytes of the paths it adds (new to the filesystem beneath).
    pub added_bytes: u64,
    /// Bytes of the paths it writes again (the new copies).
    pub changed_bytes: u64,
    /// Bytes of the paths it removes (by whiteout, opaque directory or replacement) or writes
    /// over (the old copies).
    pub removed_bytes: u64,
    /// The layer's tar, uncompressed.
    pub tar_bytes: u64,
    pub compression: String,
    /// Why this layer's listing is partial, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// One path of the merged filesystem and the layer (0 = bottom) that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    #[serde(flatten)]
    pub entry: Entry,
    pub layer: usize,
}

/// What a path was before a later layer wrote it again or removed it, oldest first; the path's
/// last version is in the filesystem itself (when it is still there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Past {
    /// A version some later layer replaced or removed. Its `entry.path` is empty: the key it
    /// is kept under says it, and a second copy of every replaced path would double what
    /// [`super::Limits::listing_bytes`] counted for it.
    Written(Node),
    /// The layer that removed the path (by whiteout, opaque directory or a file over its
    /// directory).
    Removed(usize),
}

impl Past {
    /// `old`, kept without its path.
    #[must_use]
    pub fn written(mut old: Node) -> Self {
        old.entry.path = String::new();
        Past::Written(old)
    }

    /// The layer this version or removal came from.
    #[must_use]
    pub fn layer(&self) -> usize {
        match self {
            Past::Written(n) => n.layer,
            Past::Removed(l) => *l,
        }
    }
}

/// The filesystem a container starts from.
#[derive(Debug, Clone, Default)]
pub struct Filesystem {
    nodes: BTreeMap<String, Node>,
    /// Every version a later layer replaced or removed, by path. It moves out of `nodes`, so
    /// the memory it takes is memory the listings already counted against
    /// [`super::Limits::listing_bytes`].
    past: BTreeMap<String, Vec<Past>>,
    texts: BTreeMap<String, String>,
    changes: Vec<LayerChanges>,
    stopped: Vec<String>,
    waste: Waste,
    /// When every layer's listing came from the disk cache: when the figures were first
    /// measured (seconds since the epoch, 0 unknown).
    from_cache: Option<u64>,
}

/// Where a path lookup ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The path resolves to this path (all links followed); it may be an implicit directory.
    Found(String),
    /// Nothing at `missing` (or a non-directory used as one).
    Missing { missing: String },
    /// More than the bound of symbolic links: a loop, or a chain too long to start.
    Loop { at: String },
}

/// The runtime's `PATH` when the image config sets none (runc, containerd).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// `PATH` entries searched at most.
const PATH_ENTRIES: usize = 64;

impl Filesystem {
    #[must_use]
    pub fn new(
        nodes: BTreeMap<String, Node>,
        texts: BTreeMap<String, String>,
        changes: Vec<LayerChanges>,
        stopped: Vec<String>,
    ) -> Self {
        Self {
            nodes,
            past: BTreeMap::new(),
            texts,
            changes,
            stopped,
            waste: Waste::default(),
            from_cache: None,
        }
    }

    /// The same filesystem, said to come from the disk cache, measured at `measured_at`.
    #[must_use]
    pub fn from_cache_measured_at(self, measured_at: u64) -> Self {
        Self {
            from_cache: Some(measured_at),
            ..self
        }
    }

    /// When every layer's listing was read from the disk cache (nothing downloaded): when the
    /// figures were first measured, in seconds since the epoch (0 when the record says not).
    #[must_use]
    pub fn from_cache(&self) -> Option<u64> {
        self.from_cache
    }

    /// The same filesystem with what its layers replaced and removed (kept by
    /// [`super::merge()`]).
    #[must_use]
    pub fn with_past(self, past: BTreeMap<String, Vec<Past>>) -> Self {
        Self { past, ..self }
    }

    /// What `path` was before its last version, oldest first (empty when one layer wrote it
    /// and none touched it since).
    #[must_use]
    pub fn past(&self, path: &str) -> &[Past] {
        self.past.get(path).map_or(&[], Vec::as_slice)
    }

    /// Every path below `dir` that any layer ever wrote (the final ones and those replaced or
    /// removed since), each once, in order.
    pub fn paths_ever_below<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut now = keys_below(&self.nodes, prefix.clone()).peekable();
        let mut then = keys_below(&self.past, prefix).peekable();
        // Both are sorted: merge them, a path in both once.
        std::iter::from_fn(move || match (now.peek(), then.peek()) {
            (Some(a), Some(b)) if a == b => {
                then.next();
                now.next()
            }
            (Some(a), Some(b)) if a < b => now.next(),
            (_, Some(_)) => then.next(),
            (Some(_), None) => now.next(),
            (None, None) => None,
        })
    }

    /// The same filesystem with the space its layers waste (tallied by [`super::merge()`]).
    #[must_use]
    pub fn with_waste(self, waste: Waste) -> Self {
        Self { waste, ..self }
    }

    /// The space the layers waste, as dive computes it.
    #[must_use]
    pub fn waste(&self) -> &Waste {
        &self.waste
    }

    #[must_use]
    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    #[must_use]
    pub fn changes(&self) -> &[LayerChanges] {
        &self.changes
    }

    /// Why the filesystem is partial, when it is (layer listings stopped by a bound).
    #[must_use]
    pub fn stopped(&self) -> Vec<String> {
        let mut out = self.stopped.clone();
        for (i, c) in self.changes.iter().enumerate() {
            if let Some(s) = &c.stopped {
                out.push(format!("layer {}: {s}", i + 1));
            }
        }
        out
    }

    /// The text of a well-known file ([`super::TEXT_FILES`]) at `path`, links followed.
    #[must_use]
    pub fn text(&self, path: &str, depth: usize) -> Option<&str> {
        match self.resolve(path, depth) {
            Lookup::Found(p) => self.texts.get(&p).map(String::as_str),
            _ => None,
        }
    }

    /// Whether `path` is a directory: an entry that says so, or a path with entries below it.
    #[must_use]
    pub fn is_dir(&self, path: &str) -> bool {
        if path.is_empty() {
            return true;
        }
        if let Some(n) = self.nodes.get(path) {
            return n.entry.kind == EntryKind::Dir;
        }
        let prefix = format!("{path}/");
        self.nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// Every path below `dir` (not `dir` itself), in order.
    pub fn paths_below<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a str> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.is_empty())
    }

    /// The entries directly inside `dir`.
    pub fn children<'a>(&'a self, dir: &str) -> impl Iterator<Item = &'a Node> + 'a {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let len = prefix.len();
        self.nodes
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .filter(move |(k, _)| !k[len..].contains('/'))
            .map(|(_, n)| n)
    }

    /// Resolves `path` (absolute, or relative to the root) following every symbolic link.
    #[must_use]
    pub fn resolve(&self, path: &str, depth: usize) -> Lookup {
        let mut queue: VecDeque<String> = parts(path);
        let mut done: Vec<String> = Vec::new();
        let mut follows = 0;
        while let Some(part) = queue.pop_front() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let here = if done.is_empty() {
                part.clone()
            } else {
                format!("{}/{part}", done.join("/"))
            };
            match self.nodes.get(&here) {
                Some(n) if n.entry.kind == EntryKind::Symlink => {
                    follows += 1;
                    if follows > depth {
                        return Lookup::Loop { at: here };
                    }
                    let target = n.entry.link.clone().unwrap_or_default();
                    if target.starts_with('/') {
                        done.clear();
                    }
                    for p in parts(&target).into_iter().rev() {
                        queue.push_front(p);
                    }
                }
                Some(n) if n.entry.kind != EntryKind::Dir && !queue.is_empty() => {
                    return Lookup::Missing { missing: here };
                }
                Some(_) => done.push(part),
                None if self.is_dir(&here) => done.push(part),
                None => return Lookup::Missing { missing: here },
            }
        }
        Lookup::Found(done.join("/"))
    }

    /// Where the runtime finds the command `name`: a path with a `/` as it is (relative to
    /// `working_dir`), a bare name along `path_env` (the first executable regular file).
    #[must_use]
    pub fn which(
        &self,
        name: &str,
        path_env: Option<&str>,
        working_dir: Option<&str>,
        depth: usize,
    ) -> Lookup {
        if name.contains('/') {
            let full = if name.starts_with('/') {
                name.to_string()
            } else {
                format!("{}/{name}", working_dir.unwrap_or("/"))
            };
            return self.resolve(&full, depth);
        }
        let mut first = None;
        for dir in path_env
            .unwrap_or(DEFAULT_PATH)
            .split(':')
            .take(PATH_ENTRIES)
        {
            let dir = if dir.is_empty() {
                working_dir.unwrap_or("/")
            } else {
                dir
            };
            let found = self.resolve(&format!("{dir}/{name}"), depth);
            if let Lookup::Found(p) = &found {
                if self.nodes.get(p).is_some_and(|n| is_executable(&n.entry)) {
                    return found;
                }
            }
            if first.is_none() || matches!(found, Lookup::Loop { .. }) {
                first = Some(found);
            }
        }
        match first {
            Some(Lookup::Loop { at }) => Lookup::Loop { at },
            _ => Lookup::Missing {
                missing: name.to_string(),
            },
        }
    }
}

/// The keys of `map` that start with `prefix` (the empty root left out), in order.
fn keys_below<V>(map: &BTreeMap<String, V>, prefix: String) -> impl Iterator<Item = &str> {
    map.range(prefix.clone()..)
        .take_while(move |(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.as_str())
        .filter(|k| !k.is_empty())
}

/// A regular file (or hard link) with an execute bit.
#[must_use]
pub fn is_executable(entry: &Entry) -> bool {
    matches!(entry.kind, EntryKind::File | EntryKind::Hardlink) && entry.mode & 0o111 != 0
}

fn parts(path: &str) -> VecDeque<String> {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::merge::{entry, merge};
    use super::super::{LayerListing, Limits};
    use super::*;
    use EntryKind::{Dir, File, Symlink};

    fn fs(entries: Vec<Entry>) -> Filesystem {
        let listing = LayerListing {
            entries,
            ..LayerListing::default()
        };
        merge(vec![("l".into(), listing)], &Limits::default())
    }

    fn exe(path: &str) -> Entry {
        Entry {
            mode: 0o755,
            ..entry(path, File, 1, None)
        }
    }

    #[test]
    fn links_are_followed_relative_and_absolute() {
        let fs = fs(vec![
            entry("lib", Symlink, 0, Some("usr/lib")),
            entry("usr/lib", Dir, 0, None),
            exe("usr/lib/ld.so"),
            entry("lib64", Symlink, 0, Some("/lib")),
            entry("usr/bin/app", Symlink, 0, Some("../../opt/app")),
            exe("opt/app"),
        ]);
        assert_eq!(
            fs.resolve("/lib64/ld.so", 40),
            Lookup::Found("usr/lib/ld.so".into())
        );
        assert_eq!(
            fs.resolve("/usr/bin/app", 40),
            Lookup::Found("opt/app".into())
        );
        assert_eq!(
            fs.resolve("/lib/missing.so", 40),
            Lookup::Missing {
                missing: "usr/lib/missing.so".into()
            }
        );
        assert_eq!(
            fs.resolve("/../../opt/app", 40),
            Lookup::Found("opt/app".into())
        );
    }

    #[test]
    fn a_symlink_loop_ends_at_the_bound() {
        let fs = fs(vec![
            entry("a", Symlink, 0, Some("b")),
            entry("b", Symlink, 0, Some("/a")),
            entry("self", Symlink, 0, Some("self/x")),
        ]);
        assert!(matches!(fs.resolve("/a", 40), Lookup::Loop { .. }));
        assert!(matches!(fs.resolve("/self", 40), Lookup::Loop { .. }));
        assert!(matches!(
            fs.which("a", Some("/"), None, 40),
            Lookup::Loop { .. }
        ));
    }

    #[test]
    fn bare_names_are_searched_along_path() {
        let fs = fs(vec![
            entry("usr/local/bin/app", File, 1, None), // not executable: skipped
            exe("usr/bin/app"),
        ]);
        assert_eq!(
            fs.which("app", None, None, 40),
            Lookup::Found("usr/bin/app".into())
        );
        assert_eq!(
            fs.which("nope", Some("/usr/bin"), None, 40),
            Lookup::Missing {
                missing: "nope".into()
            }
        );
        assert_eq!(
            fs.which("./app", None, Some("/usr/bin"), 40),
            Lookup::Found("usr/bin/app".into())
        );
    }

    #[test]
    fn children_and_implicit_directories() {
        let fs = fs(vec![exe("a/b/c"), exe("a/d")]);
        assert!(fs.is_dir("a/b"));
        let kids: Vec<&str> = fs.children("a").map(|n| n.entry.path.as_str()).collect();
        assert_eq!(kids, ["a/d"]);
    }
}

//! Layers merged in order into one filesystem, as overlayfs would: `.wh.NAME` removes NAME and
//! all below it from the layers underneath, `.wh..wh..opq` empties a directory of them, and a
//! file over a directory replaces the whole directory. What each layer added, changed and
//! removed is counted (dive-style).

use std::collections::BTreeMap;

use super::fs::{Filesystem, LayerChanges, Node, Past};
use super::waste::Tally;
use super::{Entry, EntryKind, LayerListing, Limits};

/// Merges `layers` (bottom first, each with its digest) into the final filesystem. The
/// listings are consumed: their entries move into the tree rather than being copied, which
/// keeps one copy of every path in memory, not two.
#[must_use]
pub fn merge(layers: Vec<(String, LayerListing)>, limits: &Limits) -> Filesystem {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    // What later layers wrote over or removed, so the tree can be shown as of any layer.
    let mut past: BTreeMap<String, Vec<Past>> = BTreeMap::new();
    let mut texts: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut changes = Vec::new();
    let mut stopped = Vec::new();
    let mut tally = Tally::default();
    for (index, (digest, listing)) in layers.into_iter().enumerate() {
        let mut change = LayerChanges {
            digest,
            compression: listing.compression,
            stopped: listing.stopped,
            tar_bytes: listing.tar_bytes,
            ..LayerChanges::default()
        };
        // dive counts copies against the layers underneath as they stand before this one.
        tally.layer(&listing.entries, &nodes);
        // Whiteouts apply to the layers underneath, so before this layer's own entries.
        for entry in &listing.entries {
            match entry.kind {
                EntryKind::Opaque => {
                    let (count, bytes) = remove_below(&mut nodes, &mut past, &entry.path, index);
                    change.removed += count;
                    change.removed_bytes += bytes;
                    tally.hidden(bytes);
                }
                EntryKind::Whiteout => {
                    if let Some(old) = nodes.remove(&entry.path) {
                        change.removed += 1;
                        change.removed_bytes += old.entry.size;
                        record_removal(&mut past, &entry.path, old, index);
                    }
                    let (count, bytes) = remove_below(&mut nodes, &mut past, &entry.path, index);
                    change.removed += count;
                    change.removed_bytes += bytes;
                }
                _ => {}
            }
        }
        for entry in listing.entries {
            if matches!(entry.kind, EntryKind::Opaque | EntryKind::Whiteout)
                || entry.path.is_empty()
            {
                continue;
            }
            if nodes.len() >= limits.entries_total && !nodes.contains_key(&entry.path) {
                stopped.push(format!(
                    "stopped at {} entries in all (the bound); layer {} and above are partial",
                    limits.entries_total,
                    index + 1
                ));
                break;
            }
            change.bytes += entry.size;
            let size = entry.size;
            let path = entry.path.clone();
            let is_dir = entry.kind == EntryKind::Dir;
            let node = Node {
                entry,
                layer: index,
            };
            if let Some(old) = nodes.insert(path.clone(), node) {
                change.changed += 1;
                change.changed_bytes += size;
                change.removed_bytes += old.entry.size;
                let replaced_dir = old.entry.kind == EntryKind::Dir && !is_dir;
                past.entry(path.clone())
                    .or_default()
                    .push(Past::written(old));
                // A non-directory over a directory replaces all that was in it.
                if replaced_dir {
                    let (count, bytes) = remove_below(&mut nodes, &mut past, &path, index);
                    change.removed += count;
                    change.removed_bytes += bytes;
                }
            } else {
                change.added += 1;
                change.added_bytes += size;
            }
        }
        for (path, text) in listing.texts {
            texts.insert(path, (index, text));
        }
        changes.push(change);
        if !stopped.is_empty() {
            break;
        }
    }
    // A text belongs to the filesystem only while its file is the one that layer wrote.
    let texts = texts
        .into_iter()
        .filter(|(path, (layer, _))| nodes.get(path).is_some_and(|n| n.layer == *layer))
        .map(|(path, (_, text))| (path, text))
        .collect();
    Filesystem::new(nodes, texts, changes, stopped)
        .with_waste(tally.finish())
        .with_past(past)
}

/// Keeps what layer `layer` removed at `path` (the old node, then the removal).
fn record_removal(past: &mut BTreeMap<String, Vec<Past>>, path: &str, old: Node, layer: usize) {
    let versions = past.entry(path.to_string()).or_default();
    versions.push(Past::written(old));
    versions.push(Past::Removed(layer));
}

/// Removes every path below `dir` (not `dir` itself) in layer `layer`, keeping what was there
/// in `past`; how many were removed and their bytes.
fn remove_below(
    nodes: &mut BTreeMap<String, Node>,
    past: &mut BTreeMap<String, Vec<Past>>,
    dir: &str,
    layer: usize,
) -> (usize, u64) {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = nodes
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    let mut bytes = 0;
    for k in &doomed {
        if let Some(old) = nodes.remove(k) {
            bytes += old.entry.size;
            record_removal(past, k, old, layer);
        }
    }
    (doomed.len(), bytes)
}

/// An entry for tests and fixtures.
#[must_use]
pub fn entry(path: &str, kind: EntryKind, size: u64, link: Option<&str>) -> Entry {
    Entry {
        path: path.to_string(),
        kind,
        size,
        mode: if kind == EntryKind::Dir { 0o755 } else { 0o644 },
        uid: 0,
        gid: 0,
        link: link.map(str::to_string),
        exec: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntryKind::{Dir, File, Opaque, Symlink, Whiteout};

    fn layer(entries: Vec<Entry>) -> LayerListing {
        LayerListing {
            entries,
            ..LayerListing::default()
        }
    }

    #[test]
    fn whiteouts_opaque_directories_and_replaced_directories() {
        let base = layer(vec![
            entry("etc", Dir, 0, None),
            entry("etc/a", File, 10, None),
            entry("etc/b", File, 20, None),
            entry("opt", Dir, 0, None),
            entry("opt/x/y", File, 5, None),
            entry("var", Dir, 0, None),
            entry("var/log", File, 1, None),
        ]);
        let top = layer(vec![
            entry("etc/a", Whiteout, 0, None),
            entry("opt", Opaque, 0, None),
            entry("opt/new", File, 7, None),
            entry("etc/b", File, 21, None),
            entry("var", Symlink, 0, Some("/tmp")),
        ]);
        let fs = merge(
            vec![("l1".into(), base), ("l2".into(), top)],
            &Limits::default(),
        );
        let paths: Vec<&str> = fs.paths().collect();
        assert_eq!(paths, ["etc", "etc/b", "opt", "opt/new", "var"]);
        let c = &fs.changes()[1];
        assert_eq!((c.added, c.changed, c.removed, c.bytes), (1, 2, 3, 28));
        assert_eq!(fs.get("etc/b").map(|n| n.layer), Some(1));
    }

    #[test]
    fn the_total_entry_bound_holds_and_says_so() {
        let many: Vec<Entry> = (0..100)
            .map(|i| entry(&format!("f{i}"), File, 1, None))
            .collect();
        let limits = Limits {
            entries_total: 10,
            ..Limits::default()
        };
        let fs = merge(vec![("l".into(), layer(many))], &limits);
        assert_eq!(fs.paths().count(), 10);
        assert!(fs.stopped()[0].contains("stopped at 10 entries"));
    }
}

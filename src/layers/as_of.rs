//! The tree as it stood once one layer had applied, with what that layer added, changed and
//! removed marked: dive's layer view, from the versions the merge kept.

use std::collections::BTreeMap;

use super::fs::{Filesystem, Node, Past};
use super::EntryKind;

/// What the selected layer did to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// New: nothing was at the path beneath this layer.
    Added,
    /// Written again over what the layers beneath left (contents or only metadata).
    Changed,
    /// Removed by a whiteout, an opaque directory or a file over its directory; shown as it
    /// was, so the reader sees what went.
    Removed,
}

impl Mark {
    /// The letter that marks it without colour.
    #[must_use]
    pub fn letter(self) -> char {
        match self {
            Mark::Added => 'A',
            Mark::Changed => 'C',
            Mark::Removed => 'R',
        }
    }
}

/// A path as of a layer: its version then, and what that layer did to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf<'a> {
    /// The version present once the layer applied; for [`Mark::Removed`], the version it
    /// removed. A version a later layer replaced keeps no path (`entry.path` is empty): the
    /// path asked for is it.
    pub node: &'a Node,
    pub mark: Option<Mark>,
}

impl Filesystem {
    /// `path` once layer `layer` (0 = bottom) had applied; `None` when nothing was there and
    /// that layer removed nothing there.
    #[must_use]
    pub fn as_of(&self, path: &str, layer: usize) -> Option<AsOf<'_>> {
        let past = self.past(path).iter().map(|p| match p {
            Past::Written(n) => (n.layer, Some(n)),
            Past::Removed(l) => (*l, None),
        });
        // The final version is the newest event: any later one would have replaced it.
        let events = past.chain(self.get(path).map(|n| (n.layer, Some(n))));
        let mut before: Option<&Node> = None;
        let mut at: Option<Option<&Node>> = None;
        for (l, node) in events {
            match l.cmp(&layer) {
                std::cmp::Ordering::Less => before = node,
                std::cmp::Ordering::Equal => at = Some(node),
                std::cmp::Ordering::Greater => break,
            }
        }
        match at {
            None => before.map(|node| AsOf { node, mark: None }),
            Some(Some(node)) => Some(AsOf {
                node,
                mark: Some(if before.is_some() {
                    Mark::Changed
                } else {
                    Mark::Added
                }),
            }),
            Some(None) => before.map(|node| AsOf {
                node,
                mark: Some(Mark::Removed),
            }),
        }
    }
}

/// One row of a directory (or a search) as of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub path: String,
    pub is_dir: bool,
    /// What the layer did to this path itself.
    pub mark: Option<Mark>,
    /// Whether the layer changed something below this directory.
    pub changed_below: bool,
}

impl Row {
    /// Whether the changes-only view keeps it: the layer touched it or something inside it.
    #[must_use]
    pub fn changed(&self) -> bool {
        self.mark.is_some() || self.changed_below
    }
}

/// The entries directly inside `dir` once `layer` had applied (directories first), with
/// directories only implied by deeper paths; `changes_only` keeps what the layer touched.
#[must_use]
pub fn directory(fs: &Filesystem, dir: &str, layer: usize, changes_only: bool) -> Vec<Row> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    // Keyed by child: `a.txt` sorts between `a` and `a/b`, so one child's paths need not be
    // adjacent.
    let mut children: BTreeMap<&str, Row> = BTreeMap::new();
    for path in fs.paths_ever_below(dir) {
        let Some(at) = fs.as_of(path, layer) else {
            continue;
        };
        let rest = &path[prefix.len()..];
        let (name, deeper) = match rest.split_once('/') {
            Some((name, _)) => (name, true),
            None => (rest, false),
        };
        let child = &path[..prefix.len() + name.len()];
        let row = children.entry(child).or_insert_with(|| Row {
            path: child.to_string(),
            is_dir: false,
            mark: None,
            changed_below: false,
        });
        if deeper {
            row.is_dir = true;
            row.changed_below |= at.mark.is_some();
        } else {
            row.is_dir |= at.node.entry.kind == EntryKind::Dir;
            row.mark = at.mark;
        }
    }
    let mut rows: Vec<Row> = children
        .into_values()
        .filter(|r| !changes_only || r.changed())
        .collect();
    rows.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.path.cmp(&b.path)));
    rows
}

/// Paths containing `needle` (lower case) once `layer` had applied, at most `max` of them.
#[must_use]
pub fn search(
    fs: &Filesystem,
    needle: &str,
    layer: usize,
    changes_only: bool,
    max: usize,
) -> Vec<Row> {
    fs.paths_ever_below("")
        .filter(|p| p.to_lowercase().contains(needle))
        .filter_map(|p| {
            let at = fs.as_of(p, layer)?;
            (!changes_only || at.mark.is_some()).then(|| Row {
                path: p.to_string(),
                is_dir: at.node.entry.kind == EntryKind::Dir,
                mark: at.mark,
                changed_below: false,
            })
        })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::merge::merge;
    use super::super::waste::tests::dive_layers;
    use super::super::Limits;
    use super::*;

    fn marks(rows: &[Row]) -> Vec<(&str, bool, Option<char>, bool)> {
        rows.iter()
            .map(|r| {
                (
                    r.path.as_str(),
                    r.is_dir,
                    r.mark.map(Mark::letter),
                    r.changed_below,
                )
            })
            .collect()
    }

    #[test]
    fn each_layer_shows_the_tree_as_it_stood_with_its_own_changes_marked() {
        // The fixture (waste.rs): L1 writes etc/{app.conf,remove-me}, opt/old/a, data/big,
        // bin/tool; L2 rewrites app.conf, whites out remove-me and data, makes opt opaque and
        // adds opt/new; L3 rewrites bin/tool (metadata only).
        let fs = merge(dive_layers(), &Limits::default());
        // Layer 1 (index 0): everything it wrote is new.
        assert_eq!(
            marks(&directory(&fs, "", 0, false)),
            [
                ("bin", true, None, true),
                ("data", true, Some('A'), true),
                ("etc", true, Some('A'), true),
                ("opt", true, Some('A'), true),
            ]
        );
        // Layer 2: data was whited out (shown, marked R, what went with it too); etc keeps its
        // entry from L1 but changed inside.
        assert_eq!(
            marks(&directory(&fs, "", 1, false)),
            [
                ("bin", true, None, false),
                ("data", true, Some('R'), true),
                ("etc", true, None, true),
                ("opt", true, None, true),
            ]
        );
        assert_eq!(
            marks(&directory(&fs, "etc", 1, false)),
            [
                ("etc/app.conf", false, Some('C'), false),
                ("etc/remove-me", false, Some('R'), false),
            ]
        );
        // The opaque opt hid old/a (removed) and opt/new is new.
        assert_eq!(
            marks(&directory(&fs, "opt", 1, false)),
            [
                ("opt/old", true, None, true),
                ("opt/new", false, Some('A'), false),
            ]
        );
        // The version shown for a changed file is the layer's own (120 bytes, not 100), and a
        // removed one is what went.
        assert_eq!(
            fs.as_of("etc/app.conf", 1).map(|a| a.node.entry.size),
            Some(120)
        );
        assert_eq!(
            fs.as_of("etc/app.conf", 0).map(|a| a.node.entry.size),
            Some(100)
        );
        assert_eq!(fs.as_of("etc/remove-me", 1).map(|a| a.node.layer), Some(0));
        // A replaced version keeps no second copy of its path (the memory bound counted one).
        assert!(fs
            .past("etc/app.conf")
            .iter()
            .all(|p| !matches!(p, Past::Written(n) if !n.entry.path.is_empty())));
        assert_eq!(fs.past("etc/app.conf").len(), 1);
        // After layer 2, a removed path is gone from every later layer's tree.
        assert_eq!(fs.as_of("etc/remove-me", 2), None);
        assert_eq!(fs.as_of("data/big", 2), None);
        // Layer 3 (metadata only): bin/tool changed; changes-only keeps bin/ and nothing else.
        assert_eq!(
            marks(&directory(&fs, "", 2, true)),
            [("bin", true, None, true)]
        );
        assert_eq!(
            marks(&directory(&fs, "bin", 2, true)),
            [("bin/tool", false, Some('C'), false)]
        );
    }

    #[test]
    fn a_search_as_of_a_layer_finds_what_was_there_then() {
        let fs = merge(dive_layers(), &Limits::default());
        let found = |layer, only| {
            search(&fs, "big", layer, only, 10)
                .into_iter()
                .map(|r| (r.path, r.mark.map(Mark::letter)))
                .collect::<Vec<_>>()
        };
        assert_eq!(found(0, false), [("data/big".to_string(), Some('A'))]);
        assert_eq!(found(1, true), [("data/big".to_string(), Some('R'))]);
        assert!(found(2, false).is_empty());
    }
}

//! Wasted space and efficiency as dive 0.13 computes them (`filetree/efficiency.go`), so the
//! figures mean what dive users know, tallied while the layers merge.
//!
//! dive's definition: in each layer's own tree, every leaf (a node without children there) is
//! one copy of its path. A copy's bytes are its tar size; a whiteout is a copy too, of 0 bytes,
//! except that whiting out a directory (one an earlier layer wrote as a directory entry) costs
//! the sizes of everything below it as the layers underneath left it. A path with two or more
//! copies is inefficient, and *every* copy counts towards `wasted`, the first included.
//! `efficiency` is the sum over all paths of their smallest copy divided by the sum of all
//! copies (1 when there are no bytes at all). The opaque marker `.wh..wh..opq` is no copy in
//! dive (its directory still is, when nothing else of that layer lies below it), and dive's
//! layers underneath keep what it hides: so those bytes are reported apart, never folded in.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use serde::Serialize;

use super::fs::Node;
use super::{Entry, EntryKind};

/// One path written more than once, as dive's `fileReference` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WastedFile {
    /// `/etc/app.conf`, as dive writes it.
    pub path: String,
    /// Copies across the layers, the first included (dive's `count`).
    pub copies: usize,
    /// Bytes of every copy (dive's `sizeBytes`).
    pub bytes: u64,
}

/// The space an image's layers waste.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Waste {
    /// dive's `inefficientBytes`.
    pub wasted: u64,
    /// dive's `efficiencyScore`, between 0 and 1.
    pub efficiency: f64,
    /// dive's `fileReference`: largest first.
    pub files: Vec<WastedFile>,
    /// Bytes of files that an opaque directory (`.wh..wh..opq`) hides from the layers below;
    /// dive counts these for nothing.
    pub hidden_by_opaque: u64,
}

/// One path's copies so far.
#[derive(Debug, Clone, Copy)]
struct Copies {
    count: usize,
    bytes: u64,
    smallest: u64,
}

/// The running tally, fed one layer at a time before that layer's changes apply.
///
/// Paths are kept as a 128-bit hash, not a second copy of every path string: the merged tree
/// already holds the strings and the memory bound counts them once. Only paths that turn out
/// inefficient keep their text.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    copies: HashMap<u128, Copies>,
    names: HashMap<u128, String>,
    smallest_sum: u64,
    discovered_sum: u64,
    hidden_by_opaque: u64,
}

fn key(path: &str) -> u128 {
    // Two SipHash runs over differently salted input: a collision needs both to collide.
    let mut a = DefaultHasher::new();
    path.hash(&mut a);
    let mut b = DefaultHasher::new();
    0xd1fe_u16.hash(&mut b);
    path.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

impl Tally {
    /// Counts the leaves of one layer's entries; `below` is the filesystem the layers
    /// underneath made (before this layer's whiteouts apply).
    pub(crate) fn layer(
        &mut self,
        entries: &[Entry],
        below: &std::collections::BTreeMap<String, Node>,
    ) {
        // dive's layer tree: one node per path, and a whiteout is a node of its own (`.wh.x`
        // beside `x`). The opaque marker adds no node, but its directory is one (0 bytes).
        let mut nodes: Vec<(&str, bool, u64)> = entries
            .iter()
            .filter(|e| !e.path.is_empty())
            .map(|e| match e.kind {
                EntryKind::Whiteout => (e.path.as_str(), true, 0),
                EntryKind::Opaque => (e.path.as_str(), false, 0),
                _ => (e.path.as_str(), false, e.size),
            })
            .collect();
        // A path written twice in one layer is one node with the last header's size: a
        // stable sort by path, then the last of each run kept.
        nodes.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
        let mut sorted: Vec<(&str, bool, u64)> = Vec::with_capacity(nodes.len());
        for n in nodes {
            match sorted.last_mut() {
                Some(last) if (last.0, last.1) == (n.0, n.1) => *last = n,
                _ => sorted.push(n),
            }
        }
        let paths: Vec<&str> = sorted.iter().map(|n| n.0).collect();
        for &(path, whiteout, size) in &sorted {
            if has_below(&paths, path) {
                continue;
            }
            let bytes = if whiteout {
                whited_out_bytes(below, path)
            } else {
                size
            };
            self.copy(path, bytes);
        }
    }

    fn copy(&mut self, path: &str, bytes: u64) {
        let k = key(path);
        // Sizes come from the registry: sums saturate rather than wrap.
        self.discovered_sum = self.discovered_sum.saturating_add(bytes);
        let Some(c) = self.copies.get_mut(&k) else {
            self.copies.insert(
                k,
                Copies {
                    count: 1,
                    bytes,
                    smallest: bytes,
                },
            );
            self.smallest_sum = self.smallest_sum.saturating_add(bytes);
            return;
        };
        c.count += 1;
        c.bytes = c.bytes.saturating_add(bytes);
        if bytes < c.smallest {
            self.smallest_sum = self.smallest_sum.saturating_sub(c.smallest - bytes);
            c.smallest = bytes;
        }
        if c.count == 2 {
            self.names.insert(k, format!("/{path}"));
        }
    }

    /// Bytes of files an opaque directory hid from the layers underneath.
    pub(crate) fn hidden(&mut self, bytes: u64) {
        self.hidden_by_opaque = self.hidden_by_opaque.saturating_add(bytes);
    }

    pub(crate) fn finish(self) -> Waste {
        let mut files: Vec<WastedFile> = self
            .names
            .into_iter()
            .filter_map(|(k, path)| {
                self.copies.get(&k).map(|c| WastedFile {
                    path,
                    copies: c.count,
                    bytes: c.bytes,
                })
            })
            .collect();
        // dive sorts by size only (ties in no set order); the path breaks ties here.
        files.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        #[allow(clippy::cast_precision_loss)] // a ratio; dive computes it in float64 too
        let efficiency = if self.discovered_sum == 0 {
            1.0
        } else {
            self.smallest_sum as f64 / self.discovered_sum as f64
        };
        Waste {
            wasted: files
                .iter()
                .fold(0u64, |sum, f| sum.saturating_add(f.bytes)),
            efficiency,
            files,
            hidden_by_opaque: self.hidden_by_opaque,
        }
    }
}

/// Whether some other path of the layer lies below `path` (so `path` is no leaf).
fn has_below(sorted: &[&str], path: &str) -> bool {
    let prefix = format!("{path}/");
    let at = sorted.partition_point(|p| *p < prefix.as_str());
    sorted.get(at).is_some_and(|p| p.starts_with(&prefix))
}

/// What whiting out `path` costs in dive: nothing for a file, and for a directory that an
/// earlier layer wrote as a directory entry, the sizes of all that lies below it.
fn whited_out_bytes(below: &std::collections::BTreeMap<String, Node>, path: &str) -> u64 {
    if below
        .get(path)
        .is_none_or(|n| n.entry.kind != EntryKind::Dir)
    {
        return 0;
    }
    let prefix = format!("{path}/");
    below
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, n)| n.entry.size)
        .sum()
}

/// `check --max-wasted` / `--min-efficiency`, or the config file's `[layers]`: thresholds on
/// dive's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WasteLimits {
    /// Bytes wasted at most (dive's `highestWastedBytes`).
    pub max_wasted: Option<u64>,
    /// Efficiency at least, 0 to 1 (dive's `lowestEfficiency`).
    pub min_efficiency: Option<f64>,
}

impl WasteLimits {
    /// The config file's `[layers]` limits, each overridden by its flag when given.
    #[must_use]
    pub fn with_config(
        max_wasted: Option<u64>,
        min_efficiency: Option<f64>,
        config: &crate::config::LayersConfig,
    ) -> Self {
        Self {
            max_wasted: max_wasted.or(config.max_wasted),
            min_efficiency: min_efficiency.or(config.min_efficiency),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::merge::{entry, merge};
    use super::super::{LayerListing, Limits};
    use super::*;
    use EntryKind::{Dir, File, Opaque, Whiteout};

    fn layer(entries: Vec<Entry>) -> (String, LayerListing) {
        let listing = LayerListing {
            entries,
            ..LayerListing::default()
        };
        ("l".into(), listing)
    }

    /// The image the integration tests push too (tests/support/layers.rs `dive_image`), with
    /// dive 0.13's figures computed by hand from `filetree/efficiency.go`.
    pub(crate) fn dive_layers() -> Vec<(String, LayerListing)> {
        vec![
            layer(vec![
                entry("etc", Dir, 0, None),
                entry("etc/app.conf", File, 100, None),
                entry("etc/remove-me", File, 50, None),
                entry("opt", Dir, 0, None),
                entry("opt/old/a", File, 30, None),
                entry("data", Dir, 0, None),
                entry("data/big", File, 1000, None),
                entry("bin/tool", File, 10, None),
            ]),
            layer(vec![
                entry("etc/app.conf", File, 120, None),
                entry("etc/remove-me", Whiteout, 0, None),
                entry("opt", Opaque, 0, None),
                entry("opt/new", File, 5, None),
                entry("data", Whiteout, 0, None),
            ]),
            // Metadata only (a chmod): the file is written again, same bytes.
            layer(vec![entry("bin/tool", File, 10, None)]),
        ]
    }

    #[test]
    fn figures_match_dive_on_the_fixture_image() {
        let fs = merge(dive_layers(), &Limits::default());
        let w = fs.waste();
        // Leaves, copy by copy (directories with children in their layer are no copies):
        //   L1 /etc/app.conf 100, /etc/remove-me 50, /opt/old/a 30, /data/big 1000, /bin/tool 10
        //   L2 /etc/app.conf 120, /etc/remove-me 0 (a whiteout), /opt/new 5,
        //      /data 1000 (a whiteout of a directory entry costs what lay below it)
        //   L3 /bin/tool 10
        // Paths with two copies: app.conf 220, remove-me 50, tool 20 -> wasted 290.
        assert_eq!(w.wasted, 290);
        let files: Vec<(&str, usize, u64)> = w
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.copies, f.bytes))
            .collect();
        assert_eq!(
            files,
            [
                ("/etc/app.conf", 2, 220),
                ("/etc/remove-me", 2, 50),
                ("/bin/tool", 2, 20)
            ]
        );
        // Smallest copies 100+0+30+1000+10+5+1000 = 2145 over all copies 2325.
        assert!(
            (w.efficiency - 2145.0 / 2325.0).abs() < 1e-12,
            "{}",
            w.efficiency
        );
        // /opt/old/a is hidden by the opaque /opt: dive counts it for nothing.
        assert_eq!(w.hidden_by_opaque, 30);
    }

    #[test]
    fn an_image_without_bytes_is_fully_efficient_and_a_leaf_is_per_layer() {
        let fs = merge(
            vec![
                layer(vec![entry("d", Dir, 0, None)]),
                // `d` has a child here, so it is no copy in this layer.
                layer(vec![entry("d", Dir, 0, None), entry("d/x", File, 0, None)]),
            ],
            &Limits::default(),
        );
        assert_eq!(fs.waste().wasted, 0);
        assert!(fs.waste().files.is_empty());
        assert!((fs.waste().efficiency - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn per_layer_bytes_added_changed_removed() {
        let fs = merge(dive_layers(), &Limits::default());
        let c = &fs.changes()[1];
        // Added opt/new 5; changed app.conf (120 over 100); removed remove-me 50, opt/old/a 30,
        // data/big 1000 (the data directory entry is 0) and the old app.conf 100.
        assert_eq!(
            (c.added_bytes, c.changed_bytes, c.removed_bytes),
            (5, 120, 1180)
        );
    }
}

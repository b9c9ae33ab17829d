//! The tags of one repository; each visible row is resolved lazily to a digest, platforms,
//! attestation count, size and worst finding.
//!
//! One file though long (issue 20): the rows, their lazy resolution, the sort that needs them
//! resolved, re-listing and the ECR images pane all move one cursor over one set of rows; the
//! matrix (`matrix.rs`) and the images pane (`images.rs`) are already their own files.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::analysis::{self, Finding, Severity, Target, Verdict};
use crate::connect::ConnectError;
use crate::model::{Kind, Node};
use crate::reference::{ImageRef, LayoutRef, RegistryRef};
use crate::sanitize::sanitize;
use crate::tui::action::{Effect, Inspected, Location, RequestId, RequestIds};
use crate::tui::fresh::Stale;
use crate::tui::list::{filtered, Cursor, Memo};
use crate::tui::load::Load;
use crate::tui::views::matrix::{column_key, columns, offers, Offer};

/// Tag rows resolved at once; more are started as these finish (the fetcher bounds the
/// requests each resolution makes).
pub const MAX_RESOLVING: usize = 4;

#[derive(Debug, Clone)]
pub struct TagsView {
    pub location: Location,
    /// Empty for an OCI layout.
    pub repository: String,
    pub load: Load<Vec<TagRow>>,
    pub cursor: Cursor,
    pub filter: String,
    /// `m`: the platform matrix instead of the list (same rows, same lazy resolution).
    pub matrix: bool,
    /// `u`: every image of the repository, untagged too, in place of the tag rows.
    pub images: Option<super::images::ImagesPane>,
    /// `s`: by name, or newest first.
    pub sort: TagSort,
    /// `a`: list the attachment tags (`sha256-<hex>` and cosign's) as rows too. They are not
    /// images anyone deploys, and a signed repository has one per image: hidden by default,
    /// counted in the title, and shown when the filter asks for `sha256-`.
    pub attachment_tags: bool,
    /// The rows shown came from the disk cache's memory; the re-listing under way
    /// (`load` is `Refreshing`) brings the fresh list.
    pub from_memory: bool,
    /// Pages and names of a long tag list read so far, while it is being listed.
    pub listing_progress: Option<(usize, usize)>,
    /// Why the registry's tag list was cut short (a page, name or byte cap, a `Link` loop):
    /// the rows are not every tag, and the view says so.
    pub truncated: Option<String>,
    /// The app's deployment target (`t`), which every row's verdict is about.
    pub target: Option<Target>,
    /// The last listing failed (unreachable, refused): the rows are the last ones seen, and
    /// the view says so and why.
    pub stale: Option<Stale>,
    /// When the list shown was last confirmed by the registry (or, remembered, seen by an
    /// earlier run); `None` when unknown (no clock, as in tests).
    pub listed_at: Option<std::time::SystemTime>,
    /// `W`: the tags are watched live (see `watch.rs`).
    pub watching: Option<super::watch::Watching>,
    /// Figures of the tags from the registry service's own tag list (Docker Hub's): rows it
    /// describes show them and fetch no manifest until opened or judged.
    pub described: Option<Arc<Described>>,
    /// The listing `described` came with: a re-listing without fresh figures (the service's
    /// API failed this time) drops them rather than show the earlier read as current.
    described_for: Option<RequestId>,
    /// Bumped when the tag list changes (listed, re-listed) ...
    list_rev: u64,
    /// ... and when a row resolves (newest first orders by what rows resolve to).
    dates_rev: u64,
    /// Every row in version order, per list revision: sorting 5,000 tags is not per frame.
    by_name: Memo<u64>,
    /// The rows shown, per filter, order and revisions.
    memo: Memo<(String, TagSort, bool, u64, u64)>,
    /// Tags the log had that the awaited listing lacks (see [`TagsView::logged_gone`]).
    logged_gone: Vec<(String, String, std::time::SystemTime)>,
}

// Beside the worker's answers, which carry it.
pub use crate::tui::action::Described;

/// The order of the tag rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagSort {
    #[default]
    Name,
    /// Newest image first, by the config's `created`; rows not resolved (or without a date)
    /// last, in name order.
    Created,
}

impl TagSort {
    #[must_use]
    pub fn toggled(self) -> Self {
        match self {
            TagSort::Name => TagSort::Created,
            TagSort::Created => TagSort::Name,
        }
    }

    /// How the title names the order.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            TagSort::Name => "by name",
            TagSort::Created => "newest first",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TagRow {
    pub tag: String,
    pub summary: Load<TagSummary>,
    /// What the row resolved to before `r`: shown while it is revalidated (and when that
    /// fails: the last digest seen), and the reason it is revalidated (a cheap root-manifest
    /// check) rather than resolved afresh.
    pub previous: Load<TagSummary>,
    /// What changed about the tag at a refresh, until the user has seen it.
    pub mark: Option<Mark>,
    /// The tag's last move in regscope's log: the digest it moved from, and when it moved as
    /// far as that is known (`moved from sha256:… between 14 min ago and just now`).
    pub logged_move: Option<(String, crate::history::MovedWhen)>,
    /// On first open: the log last saw the tag at another digest at this time, before this
    /// view resolved it (`moved from sha256:… (last seen there 14 min ago)`).
    pub moved_since: Option<std::time::SystemTime>,
    /// A tag regscope's log had that the listing lacks: the digest it last named, and when the
    /// log last saw it. Never resolved (`gone: was sha256:… (last seen 14 min ago)`).
    pub logged_gone: Option<(String, std::time::SystemTime)>,
}

/// What changed about a tag at a refresh (`r`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Listed now, not before.
    New,
    /// Points at another digest than before.
    Moved { from: String },
    /// No longer listed: the row keeps the digest it last pointed at.
    Gone,
    /// Still listed, but the registry has no manifest for it (404): the row keeps the digest
    /// it last pointed at.
    Deleted,
}

impl Change {
    /// The word on the row.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Moved { .. } => "moved",
            Change::Gone => "gone",
            Change::Deleted => "deleted",
        }
    }
}

/// A change, shown until the user has seen it: once the cursor has been on its row, the next
/// refresh drops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub change: Change,
    pub seen: bool,
}

impl Mark {
    #[must_use]
    pub fn new(change: Change) -> Self {
        Self {
            change,
            seen: false,
        }
    }
}

impl TagRow {
    #[must_use]
    pub fn new(tag: String) -> Self {
        Self {
            tag,
            summary: Load::Idle,
            previous: Load::Idle,
            mark: None,
            logged_move: None,
            moved_since: None,
            logged_gone: None,
        }
    }

    /// What to draw: the previous summary while the row is being revalidated, and when that
    /// failed (the last digest seen, marked).
    #[must_use]
    pub fn shown(&self) -> &Load<TagSummary> {
        match (&self.summary, &self.previous) {
            (Load::Idle | Load::Loading(_) | Load::Error(_), Load::Loaded(_)) => &self.previous,
            _ => &self.summary,
        }
    }

    /// The tag is no longer there (gone from the list, or its manifest deleted).
    #[must_use]
    pub fn vanished(&self) -> bool {
        self.mark
            .as_ref()
            .is_some_and(|m| matches!(m.change, Change::Gone | Change::Deleted))
    }

    /// Why the last summary shown was not confirmed now (its revalidation failed for a reason
    /// other than the tag being deleted).
    #[must_use]
    pub fn unconfirmed(&self) -> Option<String> {
        match (&self.summary, &self.previous) {
            (Load::Error(e), Load::Loaded(_)) if !e.is_not_found() => {
                Some(crate::tui::fresh::reason(e))
            }
            _ => None,
        }
    }

    /// A few words after the tag: `moved`, `new`, `gone`, `deleted`, `stale`; empty when
    /// nothing is to be said.
    #[must_use]
    pub fn mark_word(&self) -> &'static str {
        match (&self.mark, self.unconfirmed()) {
            (Some(m), _) => m.change.word(),
            (None, Some(_)) => "stale",
            (None, None) => "",
        }
    }
}

/// What a tag resolves to, in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct TagSummary {
    pub digest: String,
    pub kind: Kind,
    /// Runnable platforms (`linux/amd64`), in index order.
    pub platforms: Vec<String>,
    /// Platforms the index lists whose manifest the registry no longer has.
    pub deleted: Vec<String>,
    pub attestations: usize,
    /// What the tag carries: signed, SBOM, provenance (from the tree and the tag list).
    pub badges: crate::attachments::Badges,
    pub total_size: i64,
    pub worst: Option<Severity>,
    pub findings: usize,
    /// Per platform: offered, attested, mismatched (the platform matrix's cells).
    pub offers: Vec<(String, Offer)>,
    /// The image's `created` (the first runnable platform's, for an index), as the config
    /// says it (RFC 3339).
    pub created: Option<String>,
    /// Whether it runs on the chosen deployment target, when one is chosen.
    pub verdict: Option<Verdict>,
    /// Digest of the manifest to deploy on the target (`d`), as `check` names it.
    pub deploy: Option<String>,
    /// The whole tree, so opening the tag needs no second fetch.
    pub inspected: Arc<Inspected>,
}

impl TagSummary {
    #[must_use]
    /// `registry`: the host the tag is in (`None` for a layout), whose facts the report weighs.
    pub fn of(inspected: &Arc<Inspected>, target: Option<&Target>, registry: Option<&str>) -> Self {
        let root = &inspected.root;
        let platforms = match root.kind {
            Kind::Index => root
                .children
                .iter()
                .filter(|c| c.is_runnable())
                .filter_map(|c| c.platform.as_ref().map(ToString::to_string))
                .collect(),
            _ => root
                .config_summary()
                .map(|c| vec![c.platform_string()])
                .unwrap_or_default(),
        };
        let deleted = root
            .children
            .iter()
            .filter(|c| root.kind == Kind::Index && c.kind == Kind::Missing)
            .filter_map(|c| c.platform.as_ref().map(ToString::to_string))
            .collect();
        let mut summary = Self {
            digest: root.digest.clone(),
            kind: root.kind,
            platforms,
            deleted,
            attestations: count_attestations(root),
            badges: crate::attachments::Badges::of(root, &HashSet::new())
                .listed(&inspected.listed)
                .checked(&inspected.signatures),
            total_size: root.total_size(),
            worst: None,
            findings: 0,
            offers: offers(inspected),
            created: created(root),
            verdict: None,
            deploy: None,
            inspected: Arc::clone(inspected),
        };
        summary.judge(target, registry);
        summary
    }

    /// Worst severity, count and verdict from the tree's findings and the target's (with the
    /// registry's facts, as the report has them), the same findings the tree view lists:
    /// `WORST` never reads `info` beside `rejected`, and the count is `check`'s.
    pub fn judge(&mut self, target: Option<&Target>, registry: Option<&str>) {
        let known = &self.inspected.findings;
        let judgement = target.map(|t| super::judge(t, registry, &self.inspected));
        let target_findings = judgement.as_ref().map_or(&[][..], |j| &j.findings[..]);
        self.worst = analysis::worst(known).max(analysis::worst(target_findings));
        self.findings = known.len() + target_findings.len();
        self.deploy = judgement.as_ref().and_then(|j| j.deploy.clone());
        self.verdict = judgement.map(|j| j.verdict);
    }
}

/// Tag names in version order: runs of digits compare as numbers (`v1.9` < `v1.10`,
/// `1.2.3` < `1.10.0`), everything else as text. Equal numbers with different zero padding
/// (`v01`, `v1`) fall back to the text, so the order is total and stable.
#[must_use]
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a, b);
    loop {
        let (Some(cx), Some(cy)) = (x.chars().next(), y.chars().next()) else {
            return x.len().cmp(&y.len()).then_with(|| a.cmp(b));
        };
        let order = if cx.is_ascii_digit() && cy.is_ascii_digit() {
            let (nx, rx) = split_digits(x);
            let (ny, ry) = split_digits(y);
            x = rx;
            y = ry;
            let (tx, ty) = (nx.trim_start_matches('0'), ny.trim_start_matches('0'));
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
        } else {
            x = &x[cx.len_utf8()..];
            y = &y[cy.len_utf8()..];
            cx.cmp(&cy)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
}

/// Hands the service's tag list figures to the tags view that asked for them.
/// Whether the row's figures from the service's tag list stand in for resolving it: it is
/// described, and it was not resolved before to another digest (then it is revalidated, so a
/// move is still seen).
fn described_enough(described: Option<&Described>, row: &TagRow) -> bool {
    let Some(listed) = described
        .filter(|d| d.stands_in)
        .and_then(|d| d.tags.get(&row.tag))
    else {
        return false;
    };
    match row.previous.loaded() {
        Some(before) => listed.digest.as_deref() == Some(before.digest.as_str()),
        None => row.summary.is_idle(),
    }
}

/// The leading ASCII digits of `s`, and the rest.
fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn created(root: &Node) -> Option<String> {
    let config = match root.kind {
        Kind::Index => root
            .children
            .iter()
            .filter(|c| c.is_runnable())
            .find_map(Node::config_summary),
        _ => root.config_summary(),
    };
    config.and_then(|c| c.created.clone())
}

/// The `sha256-<hex>` tags (and cosign's suffixed ones) of the list: where attachments of
/// registries without the referrers API are, read from the list already fetched.
/// A tag of the referrers tag schema or cosign's (`sha256-<hex>`, `.sig`, `.att`, `.sbom`).
fn is_attachment_tag(tag: &str) -> bool {
    crate::attachments::discover::schema_tag_subject(tag).is_some()
}

fn schema_tags(rows: &[TagRow]) -> HashSet<String> {
    rows.iter()
        .filter(|r| r.tag.starts_with("sha256-"))
        .map(|r| r.tag.clone())
        .collect()
}

fn count_attestations(root: &Node) -> usize {
    root.children
        .iter()
        .filter(|c| c.kind == Kind::Attestation)
        .count()
}

impl TagsView {
    #[must_use]
    pub fn new(location: Location, repository: String) -> Self {
        Self {
            location,
            repository,
            load: Load::Idle,
            cursor: Cursor::default(),
            filter: String::new(),
            matrix: false,
            images: None,
            sort: TagSort::Name,
            attachment_tags: false,
            described_for: None,
            from_memory: false,
            listing_progress: None,
            truncated: None,
            target: None,
            stale: None,
            listed_at: None,
            watching: None,
            described: None,
            list_rev: 0,
            logged_gone: Vec::new(),
            dates_rev: 0,
            by_name: Memo::default(),
            memo: Memo::default(),
        }
    }

    /// `u`: shows every image of the repository (loading them) or the tag rows again.
    pub fn toggle_images(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if self.images.take().is_some() {
            return Vec::new();
        }
        self.load_images(ids)
    }

    /// Lists the repository's images (again, after `r`).
    pub fn load_images(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        let id = ids.fresh();
        // A reload keeps the order; the filter is the view's.
        let sort = self.images.as_ref().map(|p| p.sort).unwrap_or_default();
        self.images = Some(super::images::ImagesPane::loading(
            id,
            self.filter.clone(),
            sort,
        ));
        vec![Effect::LoadImages {
            id,
            location: self.location.clone(),
            repository: self.repository.clone(),
        }]
    }

    /// Rows whose image another view learnt more about (`learn` gives the tree with its files'
    /// findings) are summarised and judged again: their WORST and verdict say what is known.
    pub fn learned(&mut self, learn: impl Fn(&Arc<Inspected>) -> Option<Arc<Inspected>>) {
        let target = self.target.clone();
        let registry = self.registry().map(str::to_owned);
        for row in self.load.loaded_mut().into_iter().flatten() {
            for summary in [&mut row.summary, &mut row.previous] {
                if let Load::Loaded(s) = summary {
                    if let Some(inspected) = learn(&s.inspected) {
                        *s = TagSummary::of(&inspected, target.as_ref(), registry.as_deref());
                    }
                }
            }
        }
    }

    /// Judges every resolved row against `target` (nothing to do when it is the same one).
    pub fn set_target(&mut self, target: Option<&Target>) {
        if self.target.as_ref() == target {
            return;
        }
        self.target = target.cloned();
        let registry = self.registry().map(str::to_owned);
        for row in self.load.loaded_mut().into_iter().flatten() {
            for summary in [&mut row.summary, &mut row.previous] {
                if let Load::Loaded(s) = summary {
                    s.judge(target, registry.as_deref());
                }
            }
        }
    }

    /// The platform matrix's columns: every platform of every resolved tag (filter or not, so
    /// columns do not jump while typing) and the target's, linux/amd64 and linux/arm64 first.
    #[must_use]
    pub fn matrix_columns(&self) -> Vec<String> {
        let rows = self.load.loaded().map_or(&[][..], Vec::as_slice);
        let target = self.target_column();
        columns(
            rows.iter()
                .filter_map(|r| r.shown().loaded())
                .flat_map(|s| s.offers.iter().map(|(p, _)| p.as_str()))
                .chain(target.as_deref()),
        )
    }

    /// The matrix column of the target's platform (`linux/amd64` for `lambda`).
    #[must_use]
    pub fn target_column(&self) -> Option<String> {
        let target = self.target.as_ref()?;
        Some(column_key(&target.platform().to_string()))
    }

    /// Rows being resolved right now.
    #[must_use]
    pub fn resolving(&self) -> usize {
        self.load.loaded().map_or(0, |rows| {
            rows.iter().filter(|r| r.summary.is_loading()).count()
        })
    }

    /// Newest first, while the dates it sorts by are still coming in: (rows settled, rows the
    /// filter keeps). `None` by name, or once every row is resolved or failed.
    #[must_use]
    pub fn sorting(&self) -> Option<(usize, usize)> {
        let rows = self
            .load
            .loaded()
            .filter(|_| self.sort == TagSort::Created)?;
        let visible = self.visible();
        let settled = visible
            .iter()
            .filter(|&&i| matches!(rows[i].summary, Load::Loaded(_) | Load::Error(_)))
            .count();
        (settled < visible.len()).then_some((settled, visible.len()))
    }

    #[must_use]
    pub fn crumb(&self) -> String {
        match &self.location {
            Location::Registry(_) => sanitize(&self.repository).into_owned(),
            Location::Layout(_) => sanitize(&self.location.to_string()).into_owned(),
        }
    }

    /// The registry host the tags are in (`None` for a layout): the report weighs its facts.
    #[must_use]
    pub fn registry(&self) -> Option<&str> {
        match &self.location {
            Location::Registry(host) => Some(host),
            Location::Layout(_) => None,
        }
    }

    /// The reference of `tag` in this repository.
    #[must_use]
    pub fn reference(&self, tag: &str) -> ImageRef {
        match &self.location {
            Location::Registry(registry) => ImageRef::Registry(RegistryRef {
                registry: registry.clone(),
                repository: self.repository.clone(),
                tag: Some(tag.to_string()),
                digest: None,
            }),
            Location::Layout(path) => ImageRef::Layout(LayoutRef {
                path: path.clone(),
                tag: Some(tag.to_string()),
                digest: None,
            }),
        }
    }

    /// Indices of the rows the filter keeps, in the chosen order (computed again only when
    /// the filter, the order or the list changes, or, newest first, a row resolves).
    #[must_use]
    pub fn visible(&self) -> Arc<[usize]> {
        let Some(rows) = self.load.loaded() else {
            return Arc::from([]);
        };
        let dates = match self.sort {
            TagSort::Name => 0,
            TagSort::Created => self.dates_rev,
        };
        let key = (
            self.filter.clone(),
            self.sort,
            self.attachment_tags,
            self.list_rev,
            dates,
        );
        self.memo.get(key, || self.ordered(rows))
    }

    fn ordered(&self, rows: &[TagRow]) -> Vec<usize> {
        let by_name = self.by_name.get(self.list_rev, || {
            let mut all: Vec<usize> = (0..rows.len()).collect();
            all.sort_by(|&a, &b| version_cmp(&rows[a].tag, &rows[b].tag));
            all
        });
        let hide = self.hides_attachment_tags();
        let mut visible: Vec<usize> = if self.filter.trim().is_empty() {
            by_name
                .iter()
                .copied()
                .filter(|&i| !(hide && is_attachment_tag(&rows[i].tag)))
                .collect()
        } else {
            // The filter decides which rows; the list's order stays version order.
            let mut keep = vec![false; rows.len()];
            for i in filtered(rows.iter().map(|r| r.tag.as_str()), &self.filter) {
                keep[i] = true;
            }
            by_name
                .iter()
                .copied()
                .filter(|&i| keep[i] && !(hide && is_attachment_tag(&rows[i].tag)))
                .collect()
        };
        if self.sort == TagSort::Created {
            // Stable, from name order: equal keys never swap places.
            // A row not resolved is dated by its push time when the service's list has it.
            let created = |i: usize| {
                rows[i]
                    .shown()
                    .loaded()
                    .and_then(|s| s.created.as_deref())
                    .or_else(|| self.described(&rows[i].tag)?.pushed.as_deref())
            };
            visible.sort_by(|&a, &b| match (created(a), created(b)) {
                (Some(x), Some(y)) => y.cmp(x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            });
        }
        visible
    }

    /// Moves the cursor to row `index` (into the full list) if it is visible; used to keep the
    /// same tag selected when the order changes under it.
    pub fn select_row(&mut self, index: usize, height: usize) {
        let visible = self.visible();
        if let Some(at) = visible.iter().position(|&i| i == index) {
            self.cursor.selected = at;
        }
        self.cursor.fit(visible.len(), height);
    }

    /// Row index (into the full list) under the cursor.
    #[must_use]
    pub fn selected_index(&self) -> Option<usize> {
        self.visible().get(self.cursor.selected).copied()
    }

    #[must_use]
    pub fn selected(&self) -> Option<&TagRow> {
        let rows = self.load.loaded()?;
        self.visible().get(self.cursor.selected).map(|&i| &rows[i])
    }

    /// The selected tag's tree, once resolved.
    #[must_use]
    pub fn selected_tree(&self) -> Option<&Arc<Inspected>> {
        self.selected()?.shown().loaded().map(|s| &s.inspected)
    }

    /// The selected tag's first finding as the findings pane orders them (the target's
    /// first): the one `c` copies the fix of.
    #[must_use]
    pub fn first_finding(&self) -> Option<Finding> {
        let tree = self.selected_tree()?;
        let target = self
            .target
            .as_ref()
            .map(|t| super::judge(t, self.registry(), tree).findings)
            .unwrap_or_default();
        crate::tui::panes::entries(&tree.root, &target, &tree.findings)
            .first()
            .map(|e| e.finding.clone())
    }

    /// Rows (indices into the full list) on screen in a viewport of `height`.
    #[must_use]
    pub fn on_screen(&self, height: usize) -> Vec<usize> {
        let visible = self.visible();
        let window = self.cursor.window(visible.len(), height);
        visible[window].to_vec()
    }

    /// Other tags with the same digest as row `index`, in list order.
    #[must_use]
    pub fn aliases(&self, index: usize) -> Vec<&str> {
        let Some(rows) = self.load.loaded() else {
            return Vec::new();
        };
        let Some(digest) = rows
            .get(index)
            .filter(|r| !r.vanished())
            .and_then(|r| r.shown().loaded())
            .map(|s| &s.digest)
        else {
            return Vec::new();
        };
        rows.iter()
            .enumerate()
            .filter(|(i, r)| {
                *i != index
                    && !r.vanished()
                    && r.shown().loaded().is_some_and(|s| &s.digest == digest)
            })
            .map(|(_, r)| r.tag.as_str())
            .collect()
    }

    /// How many rows share each resolved digest (a count over 1 marks aliases).
    #[must_use]
    pub fn digest_counts(&self) -> HashMap<&str, usize> {
        let mut counts = HashMap::new();
        for row in self.load.loaded().into_iter().flatten() {
            if let Some(s) = row.shown().loaded().filter(|_| !row.vanished()) {
                *counts.entry(s.digest.as_str()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Rows marked new, moved, and gone or deleted (for the status line).
    #[must_use]
    pub fn changes(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for mark in self
            .load
            .loaded()
            .into_iter()
            .flatten()
            .filter_map(|r| r.mark.as_ref())
        {
            match mark.change {
                Change::New => counts.0 += 1,
                Change::Moved { .. } => counts.1 += 1,
                Change::Gone | Change::Deleted => counts.2 += 1,
            }
        }
        counts
    }

    /// The cursor is on the selected row: its change has been seen (the next refresh drops
    /// the mark).
    pub fn see_selected(&mut self) {
        let Some(i) = self.selected_index() else {
            return;
        };
        if let Some(mark) = self
            .load
            .loaded_mut()
            .and_then(|rows| rows.get_mut(i))
            .and_then(|r| r.mark.as_mut())
        {
            mark.seen = true;
        }
    }
}

/// The controller: what this view loads, and what it does with the answers.
impl TagsView {
    /// The tag list when nothing is loaded; then the rows on screen that are not resolved yet
    /// (newest first needs every date: then all the rows the filter keeps, those on screen
    /// first), at most [`MAX_RESOLVING`] at once (revalidated cheaply when they were resolved
    /// before).
    pub fn activate(&mut self, ids: &mut RequestIds, height: usize) -> Vec<Effect> {
        if self.load.is_idle() {
            let id = ids.fresh();
            self.load = Load::Loading(id);
            return vec![Effect::LoadTags {
                id,
                location: self.location.clone(),
                repository: self.repository.clone(),
            }];
        }
        let mut on_screen = self.on_screen(height);
        if self.sort == TagSort::Created {
            let seen: HashSet<usize> = on_screen.iter().copied().collect();
            let rest: Vec<usize> = self
                .visible()
                .iter()
                .copied()
                .filter(|i| !seen.contains(i))
                .collect();
            on_screen.extend(rest);
        }
        let references: Vec<_> = on_screen
            .iter()
            .filter_map(|&i| self.load.loaded().map(|rows| self.reference(&rows[i].tag)))
            .collect();
        // A target's verdict and the matrix's cells need the tree: then every row resolves.
        let described = self
            .described
            .clone()
            .filter(|_| self.target.is_none() && !self.matrix);
        let Some(rows) = self.load.loaded_mut() else {
            return Vec::new();
        };
        // Rows scrolled out of sight (`G` through 5,000 tags) give their places to the rows on
        // screen; their work is aborted, what it fetched stays in the fetcher's cache.
        let wanted: HashSet<usize> = on_screen.iter().copied().collect();
        for (i, row) in rows.iter_mut().enumerate() {
            if row.summary.is_loading() && !wanted.contains(&i) {
                row.summary = Load::Idle;
            }
        }
        let busy = rows.iter().filter(|r| r.summary.is_loading()).count();
        let mut effects = Vec::new();
        for (&i, reference) in on_screen.iter().zip(references) {
            if busy + effects.len() >= MAX_RESOLVING {
                break;
            }
            if described_enough(described.as_deref(), &rows[i]) {
                continue;
            }
            if rows[i].summary.is_idle() && rows[i].logged_gone.is_none() {
                let id = ids.fresh();
                rows[i].summary = Load::Loading(id);
                effects.push(if rows[i].previous.loaded().is_some() {
                    Effect::Revalidate { id, reference }
                } else {
                    Effect::Inspect { id, reference }
                });
            }
        }
        effects
    }

    /// `r`: a loaded list is re-listed in place (the rows stay until the new list arrives);
    /// anything else loads afresh on the next [`Self::activate`].
    pub fn refresh(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        // The rows stay on screen (`Refreshing`) until the new list replaces them.
        let id = ids.fresh();
        if !self.load.refresh(id) {
            self.load = Load::Idle;
            return Vec::new();
        }
        vec![Effect::LoadTags {
            id,
            location: self.location.clone(),
            repository: self.repository.clone(),
        }]
    }

    /// Shows the remembered tag list for the request `id` still loading, and waits for the
    /// fresh one as a re-listing; false when this view did not ask for it.
    pub fn tags_remembered(
        &mut self,
        id: RequestId,
        tags: &[String],
        at: std::time::SystemTime,
    ) -> bool {
        // Only a first listing shows remembered rows; a re-listing keeps its own.
        if !(self.load.is_loading() && self.load.waits_for(id)) {
            return false;
        }
        self.listed_at = Some(at);
        self.list_rev += 1;
        self.load = Load::Refreshing(tags.iter().cloned().map(TagRow::new).collect(), id);
        self.from_memory = true;
        true
    }

    /// Takes the tag list answering `id`: `None` when this view did not ask for it, else
    /// `Some(Err)` for a failed re-listing (the old rows stay; the app says why).
    /// `now` (seconds since the epoch, 0 unknown) is when the list was confirmed.
    pub fn tags_loaded(
        &mut self,
        id: RequestId,
        result: &Result<crate::registry::TagListing, ConnectError>,
        height: usize,
        now: u64,
    ) -> Option<Result<(), ConnectError>> {
        if self.load.waits_for(id) {
            self.listing_progress = None;
            match result {
                Ok(_) => {
                    self.stale = None;
                    self.listed_at = (now > 0)
                        .then(|| std::time::UNIX_EPOCH + std::time::Duration::from_secs(now));
                }
                Err(e) => self.stale = Some(Stale::of(e)),
            }
        }
        if self.load.is_loading() && self.load.waits_for(id) {
            self.list_rev += 1;
            self.load = match result {
                Ok(listing) => {
                    self.truncated.clone_from(&listing.truncated);
                    let mut rows: Vec<TagRow> =
                        listing.tags.iter().cloned().map(TagRow::new).collect();
                    self.add_logged_gone(&mut rows);
                    Load::Loaded(rows)
                }
                Err(e) => Load::Error(e.clone()),
            };
            return Some(Ok(()));
        }
        if !self.load.waits_for(id) {
            return None;
        }
        // A re-listing: the old rows stay, merged with the answer when there is one.
        self.load.settle();
        let keep_rows = std::mem::take(&mut self.from_memory);
        match result {
            Ok(listing) => {
                // The service's tag list did not answer this time: its earlier figures are
                // dropped, and the rows they stood in for resolve from the registry.
                if self.described.is_some() && self.described_for != Some(id) {
                    self.described = None;
                    self.dates_rev += 1;
                }
                self.truncated.clone_from(&listing.truncated);
                self.relisted(listing.tags.clone(), height, keep_rows);
                if let Some(rows) = self.load.loaded_mut() {
                    let mut rows = std::mem::take(rows);
                    self.add_logged_gone(&mut rows);
                    self.load = Load::Loaded(rows);
                }
                Some(Ok(()))
            }
            // The old rows are still right as far as anyone knows: keep them.
            Err(e) => Some(Err(e.clone())),
        }
    }

    /// The log's last move of `tag`, when it is one of this view's rows; `false` otherwise.
    pub fn logged_move(
        &mut self,
        (location, repository, tag): (&Location, &str, &str),
        from: String,
        when: crate::history::MovedWhen,
    ) -> bool {
        if self.location != *location || self.repository != repository {
            return false;
        }
        let Some(row) = self
            .load
            .loaded_mut()
            .and_then(|rows| rows.iter_mut().find(|r| r.tag == tag))
        else {
            return false;
        };
        row.logged_move = Some((from, when));
        true
    }

    /// On first open, the log's last sighting of `tag` named `from` (at `last_seen`), not
    /// what the tag names now: the row is marked moved. `false` when it is not one of this
    /// view's rows, or the row is marked already.
    pub fn moved_since_last_look(
        &mut self,
        (location, repository, tag): (&Location, &str, &str),
        from: String,
        last_seen: std::time::SystemTime,
    ) -> bool {
        if self.location != *location || self.repository != repository {
            return false;
        }
        let Some(row) = self
            .load
            .loaded_mut()
            .and_then(|rows| rows.iter_mut().find(|r| r.tag == tag))
            .filter(|r| r.mark.is_none())
        else {
            return false;
        };
        row.mark = Some(Mark::new(Change::Moved { from }));
        row.moved_since = Some(last_seen);
        true
    }

    /// The figures of the service's tag list for the listing `id` (still awaited, or being
    /// re-listed); `false` when this view did not ask for it.
    pub fn tags_described(&mut self, id: RequestId, described: &Arc<Described>) -> bool {
        if !self.load.waits_for(id) {
            return false;
        }
        self.described = Some(Arc::clone(described));
        self.described_for = Some(id);
        // Newest first orders described rows by their push time.
        self.dates_rev += 1;
        true
    }

    /// What the service's tag list says of `tag`, when it describes it.
    #[must_use]
    pub fn described(&self, tag: &str) -> Option<&crate::listing::Tag> {
        self.described.as_ref()?.tags.get(tag)
    }

    /// What the service's tag list says of `tag` when its figures stand in for resolving it
    /// (Docker Hub's): the row shows them until it is resolved.
    #[must_use]
    pub fn stand_in(&self, tag: &str) -> Option<&crate::listing::Tag> {
        self.described
            .as_ref()
            .filter(|d| d.stands_in)?
            .tags
            .get(tag)
    }

    /// Tags regscope's log had that the listing `id` (still awaited) lacks: kept until the list
    /// arrives, then shown as gone rows. `false` when this view did not ask for the list.
    pub fn logged_gone(
        &mut self,
        id: RequestId,
        gone: Vec<(String, String, std::time::SystemTime)>,
    ) -> bool {
        if !self.load.waits_for(id) {
            return false;
        }
        self.logged_gone = gone;
        true
    }

    /// Appends the log's gone tags that have no row, marked gone.
    fn add_logged_gone(&mut self, rows: &mut Vec<TagRow>) {
        for (tag, digest, at) in std::mem::take(&mut self.logged_gone) {
            if rows.iter().any(|r| r.tag == tag) {
                continue;
            }
            let mut row = TagRow::new(tag);
            row.mark = Some(Mark::new(Change::Gone));
            row.logged_gone = Some((digest, at));
            rows.push(row);
            // The order and the filter are kept per list revision.
            self.list_rev += 1;
        }
    }

    /// A watch saw `tag` created: a row marked new (resolved when it comes into view), or a
    /// gone row listed again. `false` when the tag has a row already.
    pub fn created(&mut self, tag: &str) -> bool {
        let Some(rows) = self.load.loaded_mut() else {
            return false;
        };
        match rows.iter_mut().find(|r| r.tag == tag) {
            // Its old digest says nothing about what was pushed: resolved afresh.
            Some(row) if row.vanished() => {
                row.summary = Load::Idle;
                row.previous = Load::Idle;
                row.mark = Some(Mark::new(Change::New));
            }
            Some(_) => return false,
            None => {
                let mut row = TagRow::new(tag.to_string());
                row.mark = Some(Mark::new(Change::New));
                rows.push(row);
            }
        }
        self.list_rev += 1;
        true
    }

    /// Takes the tree answering `id` for one of the rows; `false` when no row asked for it.
    pub fn inspected(
        &mut self,
        id: RequestId,
        result: &Result<Arc<Inspected>, ConnectError>,
        height: usize,
    ) -> bool {
        let selected = self.selected_index();
        let registry = self.registry().map(str::to_owned);
        let Some(rows) = self.load.loaded_mut() else {
            return false;
        };
        if !rows.iter().any(|r| r.summary.waits_for(id)) {
            return false;
        }
        let schema_tags = schema_tags(rows);
        let Some(row) = rows.iter_mut().find(|r| r.summary.waits_for(id)) else {
            return false;
        };
        // Against what the row showed before `r`: moved, or deleted under its tag.
        match (result, row.previous.loaded()) {
            (Ok(i), Some(before)) if i.root.digest != before.digest => {
                row.mark = Some(Mark::new(Change::Moved {
                    from: before.digest.clone(),
                }));
            }
            (Err(e), Some(_)) if e.is_not_found() => row.mark = Some(Mark::new(Change::Deleted)),
            // Deleted, and there again.
            (Ok(_), _) if row.vanished() => row.mark = Some(Mark::new(Change::New)),
            _ => {}
        }
        row.summary = match result {
            Ok(i) => {
                let mut summary = TagSummary::of(i, self.target.as_ref(), registry.as_deref());
                summary.badges = crate::attachments::Badges::of(&i.root, &schema_tags)
                    .listed(&i.listed)
                    .checked(&i.signatures);
                Load::Loaded(summary)
            }
            Err(e) => Load::Error(e.clone()),
        };
        self.dates_rev += 1;
        // Newest first reorders rows as they resolve: the selection follows its tag, not
        // its position.
        if let Some(i) = selected {
            self.select_row(i, height);
        }
        true
    }

    /// Whether attachment tags are left out of the rows: unless `a` or a filter for them.
    #[must_use]
    pub fn hides_attachment_tags(&self) -> bool {
        !self.attachment_tags && !self.filter.trim_start().starts_with("sha256-")
    }

    /// How many rows are attachment tags (hidden unless shown), per list revision.
    #[must_use]
    pub fn attachment_tag_count(&self) -> usize {
        self.load.loaded().map_or(0, |rows| {
            rows.iter().filter(|r| is_attachment_tag(&r.tag)).count()
        })
    }

    /// `a`: attachment tags shown or hidden, the selection staying on its tag when it can.
    pub fn toggle_attachment_tags(&mut self, height: usize) {
        let selected = self.selected_index();
        self.attachment_tags = !self.attachment_tags;
        self.cursor.selected = 0;
        match selected {
            Some(i) => self.select_row(i, height),
            None => self.cursor.fit(self.visible().len(), height),
        }
    }

    /// How far the listing `id` (this view's first listing or a re-listing) has come; `false`
    /// when this view is not waiting for it.
    pub fn listing_progressed(&mut self, id: RequestId, pages: usize, names: usize) -> bool {
        if self.load.waits_for(id) {
            self.listing_progress = Some((pages, names));
            return true;
        }
        false
    }

    /// `s`: by name or newest first, the selection staying on its tag.
    pub fn toggle_sort(&mut self, height: usize) {
        let selected = self.selected_index();
        self.sort = self.sort.toggled();
        self.cursor.selected = 0;
        match selected {
            Some(i) => self.select_row(i, height),
            None => self.cursor.fit(self.visible().len(), height),
        }
    }

    /// The requests this view waits for: the list, a re-listing, rows being resolved.
    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
        if let Some(images) = &self.images {
            images.pending(out);
        }
        out.extend(self.watching.as_ref().map(|w| w.id));
        for row in self.load.loaded().into_iter().flatten() {
            if let Load::Loading(id) = row.summary {
                out.insert(id);
            }
        }
    }

    /// The new tag list after `r`: rows resolved before keep their summary on screen and are
    /// revalidated; the selection stays on its tag when the tag is still there.
    /// With `keep_rows` (the list shown was the remembered one, just resolved) rows still
    /// listed keep what they hold and nothing is revalidated; else (`r`) they are revalidated.
    fn relisted(&mut self, tags: Vec<String>, height: usize, keep_rows: bool) {
        let selected = self.selected().map(|r| r.tag.clone());
        let mut old: HashMap<String, TagRow> = self
            .load
            .loaded_mut()
            .map(std::mem::take)
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.tag.clone(), r))
            .collect();
        let mut rows: Vec<TagRow> = tags
            .into_iter()
            .map(|tag| {
                if keep_rows {
                    if let Some(row) = old.remove(&tag) {
                        return row;
                    }
                }
                let Some(before) = old.remove(&tag) else {
                    // `r` found a tag that was not listed before.
                    let mut row = TagRow::new(tag);
                    if !keep_rows {
                        row.mark = Some(Mark::new(Change::New));
                    }
                    return row;
                };
                // A change not seen yet stays marked; a tag listed again is new again.
                let mark = match before.mark {
                    Some(m) if m.seen => None,
                    Some(m) if m.change == Change::Gone => Some(Mark::new(Change::New)),
                    other => other,
                };
                let previous = match before.summary {
                    Load::Loaded(s) => Load::Loaded(s),
                    _ => before.previous,
                };
                TagRow {
                    previous,
                    mark,
                    ..TagRow::new(tag)
                }
            })
            .collect();
        if !keep_rows {
            rows.extend(old.into_values().filter_map(gone));
        }
        let index = selected.and_then(|t| rows.iter().position(|r| r.tag == t));
        self.load = Load::Loaded(rows);
        self.list_rev += 1;
        self.dates_rev += 1;
        self.cursor.selected = 0;
        match index {
            Some(i) => self.select_row(i, height),
            None => self.cursor.fit(self.visible().len(), height),
        }
    }
}

/// A row whose tag the new list no longer has: kept with the digest it last pointed at,
/// marked gone, until the user has seen it.
fn gone(row: TagRow) -> Option<TagRow> {
    if row
        .mark
        .as_ref()
        .is_some_and(|m| m.seen && matches!(m.change, Change::Gone | Change::Deleted))
    {
        return None;
    }
    // Resolved: it keeps its last digest and is not resolved again. Never resolved: it is
    // resolved when it scrolls into view (and then says `not found`).
    let summary = match row.shown() {
        Load::Loaded(s) => Load::Loaded(s.clone()),
        _ => Load::Idle,
    };
    Some(TagRow {
        summary,
        previous: Load::Idle,
        mark: Some(Mark::new(Change::Gone)),
        logged_move: row.logged_move,
        moved_since: row.moved_since,
        logged_gone: row.logged_gone,
        tag: row.tag,
    })
}

impl TagsView {
    /// The tags view's own keys: Enter opens a tag's (or an image row's) tree; `s` sorts, `m`
    /// the platform matrix, `u` every image, `a` attachment tags, `W` watches.
    pub fn handle_key(
        &mut self,
        cmd: crate::tui::action::Command,
        ctx: &mut super::KeyContext<'_>,
    ) -> super::Handled {
        use super::Handled;
        use crate::tui::action::Command;
        let height = crate::tui::layout::list_rows(ctx.size);
        match cmd {
            Command::Open => match self.open_selected() {
                Some(view) => Handled::Open {
                    view: Box::new(view),
                    remember: None,
                },
                None => Handled::Consumed(Vec::new()),
            },
            Command::Sort => {
                if let Some(pane) = &mut self.images {
                    pane.cycle_sort(height);
                    return Handled::Consumed(Vec::new());
                }
                self.toggle_sort(height);
                Handled::Activate
            }
            Command::AttachmentTags => {
                self.toggle_attachment_tags(height);
                Handled::Activate
            }
            Command::Matrix => {
                self.matrix = !self.matrix;
                Handled::Consumed(Vec::new())
            }
            Command::Untagged => Handled::Consumed(self.toggle_images(ctx.ids)),
            Command::Watch => {
                let (effects, text) = super::watch::toggle(self, ctx.ids, ctx.watch_interval);
                Handled::Say {
                    text,
                    error: false,
                    effects,
                }
            }
            _ => Handled::NotMine,
        }
    }

    /// The tree Enter opens: an image row's by digest, or the selected tag's (already whole
    /// when resolving the row fetched it).
    fn open_selected(&self) -> Option<super::View> {
        if let Some(pane) = &self.images {
            let inv = pane.load.loaded()?;
            let row = pane.selected().filter(|r| !r.missing)?;
            let reference = ImageRef::Registry(RegistryRef {
                registry: inv.registry.clone(),
                repository: inv.repository.clone(),
                tag: None,
                digest: Some(crate::digest::Digest::parse(&row.image.digest).ok()?),
            });
            let tree = super::TreeView::new(reference, crate::digest::short(&row.image.digest));
            return Some(super::View::Tree(tree));
        }
        let row = self.selected()?;
        let mut tree = super::TreeView::new(self.reference(&row.tag), row.tag.clone());
        if let Some(summary) = row.summary.loaded() {
            tree.load = Load::Loaded(summary.inspected.clone());
        }
        Some(super::View::Tree(tree))
    }
}

// The worker's answers this view takes, and what it waits for (issue 20: views answer their
// own results; the app asks the stack).
impl TagsView {
    /// This view's part of a worker's answer: its listing, a resolved tag, the ECR images,
    /// listing progress.
    pub fn answer(
        &mut self,
        action: &crate::tui::action::Action,
        size: (u16, u16),
        clock: u64,
    ) -> super::Answered {
        use super::Answered;
        use crate::tui::action::Action;
        let height = crate::tui::layout::list_rows(size);
        let taken = match action {
            Action::TagsLoaded { id, result } => {
                return match (self.tags_loaded(*id, result, height, clock), result) {
                    (None, _) => Answered::NotMine,
                    (Some(Err(e)), _) => Answered::Flash {
                        text: format!("Refreshing the tags failed: {}", sanitize(&e.to_string())),
                        error: true,
                    },
                    (Some(Ok(())), Ok(listing)) => match &listing.truncated {
                        Some(why) => Answered::Flash {
                            text: format!(
                                "The registry's tag list is incomplete: {}",
                                sanitize(why)
                            ),
                            error: true,
                        },
                        None => Answered::Taken,
                    },
                    (Some(Ok(())), Err(_)) => Answered::Taken,
                };
            }
            Action::TagsRemembered { id, tags, at } => self.tags_remembered(*id, tags, *at),
            Action::Inspected { id, result } => self.inspected(*id, result, height),
            Action::ImagesLoaded { id, result } => {
                self.images.as_mut().is_some_and(|p| p.loaded(*id, result))
            }
            Action::TagsProgress { id, pages, names } => {
                self.listing_progressed(*id, *pages, *names)
            }
            Action::TagsDescribed { id, described } => self.tags_described(*id, described),
            _ => false,
        };
        Answered::taken(taken)
    }

    /// What this view waits for, in words (`resolving 4 tags`), for the spinner.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        use crate::tui::paging::grouped;
        if self.load.is_refreshing() {
            return Some(match self.listing_progress {
                Some((pages, names)) => {
                    format!(
                        "re-listing tags: {} so far, page {}",
                        grouped(names),
                        pages + 1
                    )
                }
                None => "re-listing tags".into(),
            });
        }
        match &self.load {
            Load::Idle | Load::Loading(_) => Some(match self.listing_progress {
                Some((pages, names)) => {
                    format!(
                        "listing tags: {} so far, page {}",
                        grouped(names),
                        pages + 1
                    )
                }
                None => "listing tags".into(),
            }),
            Load::Loaded(_) | Load::Refreshing(_, _) => match (self.sorting(), self.resolving()) {
                (Some((settled, total)), _) => {
                    Some(format!("sorting: {settled} of {total} resolved"))
                }
                (None, 0) => None,
                (None, 1) => Some("resolving 1 tag".into()),
                (None, n) => Some(format!("resolving {n} tags")),
            },
            Load::Error(_) => None,
        }
    }

    /// The selected tag's repository (`registry/repo`, `oci:DIR`) and digest, once resolved.
    #[must_use]
    pub fn selected_digest(&self) -> Option<(String, String)> {
        let summary = self.selected()?.summary.loaded()?;
        let place = match &self.location {
            Location::Registry(r) => format!("{r}/{}", self.repository),
            Location::Layout(_) => self.location.to_string(),
        };
        Some((place, summary.digest.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(hex: char) -> Arc<Inspected> {
        let desc: crate::model::Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": crate::model::media_type::OCI_MANIFEST,
            "digest": format!("sha256:{}", hex.to_string().repeat(64)),
            "size": 10,
        }))
        .unwrap();
        Arc::new(Inspected {
            reference: "reg.test/team/app".into(),
            root: Node::from_descriptor(Kind::Manifest, &desc),
            findings: Vec::new(),
            checked: std::time::UNIX_EPOCH,
            listed: Vec::new(),
            signatures: crate::verify::Checked::NoPolicy,
            files_opened: false,
        })
    }

    /// Answers every tag row the view asks for with `answer(tag)`.
    fn resolve(
        v: &mut TagsView,
        ids: &mut RequestIds,
        answer: impl Fn(&str) -> Result<Arc<Inspected>, ConnectError>,
    ) {
        for effect in v.activate(ids, 20) {
            let (Effect::Inspect { id, reference } | Effect::Revalidate { id, reference }) = effect
            else {
                panic!("{effect:?}");
            };
            let ImageRef::Registry(r) = &reference else {
                panic!()
            };
            assert!(v.inspected(id, &answer(r.tag.as_deref().unwrap()), 20));
        }
    }

    fn relist(v: &mut TagsView, ids: &mut RequestIds, tags: &[&str]) {
        let id = v.refresh(ids)[0].id();
        let listing = tags.iter().map(ToString::to_string).collect();
        assert_eq!(v.tags_loaded(id, &Ok(listing), 20, 0), Some(Ok(())));
    }

    fn marks(v: &TagsView) -> Vec<(String, &'static str, Option<String>)> {
        let mut rows: Vec<_> = v
            .load
            .loaded()
            .unwrap()
            .iter()
            .map(|r| {
                let digest = r.shown().loaded().map(|s| s.digest[7..9].to_string());
                (r.tag.clone(), r.mark_word(), digest)
            })
            .collect();
        rows.sort();
        rows
    }

    /// Tags of the rows `activate` asks to resolve (or revalidate).
    fn asked(v: &mut TagsView, ids: &mut RequestIds) -> Vec<String> {
        v.activate(ids, 20)
            .iter()
            .map(|e| match e {
                Effect::Inspect {
                    reference: ImageRef::Registry(r),
                    ..
                }
                | Effect::Revalidate {
                    reference: ImageRef::Registry(r),
                    ..
                } => r.tag.clone().unwrap(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn listed(name: &str, hex: char) -> crate::listing::Tag {
        crate::listing::Tag {
            name: name.into(),
            digest: Some(format!("sha256:{}", hex.to_string().repeat(64))),
            pushed: Some("2026-12-01T10:00:00Z".into()),
            platforms: vec!["linux/amd64".into()],
            size: Some(10),
            tagged: true,
            date_not_read: false,
            scan: None,
        }
    }

    /// Rows Hub's tag list describes show its figures and fetch nothing, until a target needs
    /// their verdict or the matrix their cells; a row resolved before to another digest than
    /// the list's is revalidated (a move is still seen); rows the list lacks resolve.
    #[test]
    fn rows_the_services_tag_list_describes_are_not_resolved() {
        let mut ids = RequestIds::default();
        let mut v = TagsView::new(Location::Registry("docker.io".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        let described = Arc::new(Described {
            by: "Hub's tag list",
            stands_in: true,
            tags: [("a", 'a'), ("b", 'b')]
                .into_iter()
                .map(|(n, h)| (n.to_string(), listed(n, h)))
                .collect(),
        });
        assert!(
            !v.tags_described(RequestId::default(), &described),
            "not asked"
        );
        assert!(v.tags_described(id, &described));
        let listing = ["a", "b", "c"].map(String::from).into_iter().collect();
        v.tags_loaded(id, &Ok(listing), 20, 0);
        assert_eq!(
            asked(&mut v, &mut ids),
            ["c"],
            "only the tag the list lacks"
        );
        assert_eq!(v.described("a").and_then(|t| t.size), Some(10));

        v.matrix = true;
        assert_eq!(
            asked(&mut v, &mut ids),
            ["a", "b"],
            "the matrix needs trees"
        );
        v.matrix = false;

        // Relisted with `b` resolved before to another digest than the list now says.
        let mut v = TagsView::new(Location::Registry("docker.io".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        v.tags_loaded(
            id,
            &Ok(["a", "b"].map(String::from).into_iter().collect()),
            20,
            0,
        );
        resolve(&mut v, &mut ids, |t| {
            Ok(tree(if t == "a" { 'a' } else { 'e' }))
        });
        let id = v.refresh(&mut ids)[0].id();
        assert!(v.tags_described(id, &described));
        v.tags_loaded(
            id,
            &Ok(["a", "b"].map(String::from).into_iter().collect()),
            20,
            0,
        );
        assert_eq!(
            asked(&mut v, &mut ids),
            ["b"],
            "a still is where the list says"
        );
        // `r` again, and this time the service's tag list does not answer: its earlier
        // figures are not shown as current, the rows resolve from the registry.
        let id = v.refresh(&mut ids)[0].id();
        v.tags_loaded(
            id,
            &Ok(["a", "b"].map(String::from).into_iter().collect()),
            20,
            0,
        );
        assert!(v.described.is_none() && v.described("a").is_none());
        assert!(v.stand_in("a").is_none());
        // Rows that showed only the list's figures are read from the registry then.
        let mut v = TagsView::new(Location::Registry("docker.io".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        assert!(v.tags_described(id, &described));
        let listing: crate::registry::TagListing =
            ["a", "b"].map(String::from).into_iter().collect();
        v.tags_loaded(id, &Ok(listing.clone()), 20, 0);
        assert!(asked(&mut v, &mut ids).is_empty());
        let id = v.refresh(&mut ids)[0].id();
        v.tags_loaded(id, &Ok(listing), 20, 0);
        assert_eq!(asked(&mut v, &mut ids), ["a", "b"]);

        let mut v = TagsView::new(Location::Registry("docker.io".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        assert!(v.tags_described(id, &described));
        v.tags_loaded(
            id,
            &Ok(["a"].map(String::from).into_iter().collect()),
            20,
            0,
        );
        v.set_target(Some(&Target::parse("linux/amd64").unwrap()));
        assert_eq!(
            asked(&mut v, &mut ids),
            ["a"],
            "a target's verdict needs the tree"
        );
    }

    /// The log's gone tags become rows marked gone that are never resolved; a tag the watch
    /// saw created becomes a row marked new that is.
    #[test]
    fn gone_rows_from_the_log_are_not_resolved_and_created_tags_join() {
        let mut ids = RequestIds::default();
        let mut v = TagsView::new(Location::Registry("reg.test".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000);
        let was = format!("sha256:{}", "9".repeat(64));
        // Listed anyway, or for another request: ignored.
        assert!(!v.logged_gone(RequestId::default(), vec![("x".into(), was.clone(), at)]));
        assert!(v.logged_gone(
            id,
            vec![
                ("old".into(), was.clone(), at),
                ("a".into(), was.clone(), at)
            ]
        ));
        let listing = ["a", "b"].map(String::from).into_iter().collect();
        v.tags_loaded(id, &Ok(listing), 20, 0);
        let asked: Vec<String> = v
            .activate(&mut ids, 20)
            .iter()
            .map(|e| match e {
                Effect::Inspect {
                    reference: ImageRef::Registry(r),
                    ..
                } => r.tag.clone().unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(asked, ["a", "b"], "the gone row is not resolved");
        let rows = v.load.loaded().unwrap();
        assert_eq!(rows.len(), 3);
        let old = rows.iter().find(|r| r.tag == "old").unwrap();
        assert_eq!(old.mark_word(), "gone");
        assert_eq!(old.logged_gone, Some((was, at)));
        assert_eq!(v.changes(), (0, 0, 1));

        assert!(v.created("c"));
        assert!(!v.created("a"), "a has a row");
        assert_eq!(v.changes(), (1, 0, 1));
        assert!(v.visible().len() == 4);
    }

    #[test]
    fn r_marks_moved_new_gone_and_deleted_tags_until_they_are_seen() {
        let mut ids = RequestIds::default();
        let mut v = TagsView::new(Location::Registry("reg.test".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        let listing = ["a", "b", "c", "e"].map(String::from).into_iter().collect();
        v.tags_loaded(id, &Ok(listing), 20, 0);
        resolve(&mut v, &mut ids, |tag| {
            Ok(tree(tag.chars().next().unwrap()))
        });

        // a moves to f, c goes, d comes, e is listed but its manifest is deleted.
        relist(&mut v, &mut ids, &["a", "b", "d", "e"]);
        let not_found = ConnectError::from(crate::registry::FetchError::NotFound {
            what: "manifest `e`".into(),
            code: "MANIFEST_UNKNOWN".into(),
        });
        resolve(&mut v, &mut ids, |tag| match tag {
            "a" => Ok(tree('f')),
            "e" => Err(not_found.clone()),
            other => Ok(tree(other.chars().next().unwrap())),
        });
        let m = |t: &str, w, d: &str| (t.to_string(), w, Some(d.to_string()));
        assert_eq!(
            marks(&v),
            [
                m("a", "moved", "ff"),
                m("b", "", "bb"),
                m("c", "gone", "cc"),
                m("d", "new", "dd"),
                m("e", "deleted", "ee"),
            ]
        );
        assert_eq!(v.changes(), (1, 1, 2));
        assert!(
            v.aliases(0).is_empty()
                && !v
                    .digest_counts()
                    .contains_key(tree('c').root.digest.as_str()),
            "what is gone is nobody's alias"
        );

        // The cursor is on a: seen, its mark goes at the next `r`; the others stay.
        v.see_selected();
        relist(&mut v, &mut ids, &["a", "b", "d", "e"]);
        resolve(&mut v, &mut ids, |tag| match tag {
            "a" => Ok(tree('f')),
            "e" => Err(not_found.clone()),
            other => Ok(tree(other.chars().next().unwrap())),
        });
        assert_eq!(
            marks(&v),
            [
                m("a", "", "ff"),
                m("b", "", "bb"),
                m("c", "gone", "cc"),
                m("d", "new", "dd"),
                m("e", "deleted", "ee"),
            ]
        );
    }

    #[test]
    fn a_failed_relisting_keeps_the_rows_marked_stale_with_why() {
        let mut ids = RequestIds::default();
        let mut v = TagsView::new(Location::Registry("reg.test".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        v.tags_loaded(id, &Ok(vec!["a".to_string()].into()), 20, 1_750_000_000);
        resolve(&mut v, &mut ids, |_| Ok(tree('a')));
        let id = v.refresh(&mut ids)[0].id();
        let down = ConnectError::from(crate::registry::FetchError::Connect {
            host: "reg.test".into(),
            detail: "connection refused".into(),
        });
        assert!(matches!(v.tags_loaded(id, &Err(down), 20, 0), Some(Err(_))));
        assert_eq!(v.stale.as_ref().unwrap().why, "registry unreachable");
        assert_eq!(marks(&v), [("a".to_string(), "", Some("aa".to_string()))]);
        assert_eq!(
            v.listed_at,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_750_000_000))
        );
    }

    #[test]
    fn a_relisting_keeps_its_rows_until_its_answer_and_ignores_remembered_ones() {
        let mut ids = RequestIds::default();
        let mut v = TagsView::new(Location::Registry("reg.test".into()), "team/app".into());
        let id = v.activate(&mut ids, 20)[0].id();
        v.tags_loaded(id, &Ok(vec!["a".to_string()].into()), 20, 1_750_000_000);
        resolve(&mut v, &mut ids, |_| Ok(tree('a')));
        let id = v.refresh(&mut ids)[0].id();
        assert!(v.load.is_refreshing() && v.waiting_for().is_some());
        let mut pending = HashSet::new();
        v.pending(&mut pending);
        assert!(pending.contains(&id), "the re-listing is awaited");
        // The disk cache's remembered list is for a first listing only: the rows stay.
        assert!(!v.tags_remembered(id, &["zz".to_string()], std::time::SystemTime::now()));
        assert_eq!(marks(&v), [("a".to_string(), "", Some("aa".to_string()))]);
        let listed = vec!["a".to_string(), "b".to_string()];
        assert!(matches!(
            v.tags_loaded(id, &Ok(listed.into()), 20, 0),
            Some(Ok(()))
        ));
        assert!(!v.load.is_refreshing(), "answered: loaded again");
        let tags: Vec<&str> = v
            .load
            .loaded()
            .unwrap()
            .iter()
            .map(|r| r.tag.as_str())
            .collect();
        assert_eq!(tags, ["a", "b"]);
        // A late answer to the same request is not this view's any more.
        assert!(v.tags_loaded(id, &Ok(vec![].into()), 20, 0).is_none());
    }

    #[test]
    fn tags_sort_in_version_order() {
        let mut tags = vec![
            "v1.10", "v1.9", "latest", "1.10.0", "1.2.3", "1.2.10", "v2", "v01", "v1", "1.2",
        ];
        tags.sort_by(|a, b| version_cmp(a, b));
        assert_eq!(
            tags,
            ["1.2", "1.2.3", "1.2.10", "1.10.0", "latest", "v01", "v1", "v1.9", "v1.10", "v2"]
        );
        assert_eq!(version_cmp("v1", "v1"), Ordering::Equal);
        assert_eq!(
            version_cmp("build-99999999999999999999", "build-100000000000000000000"),
            Ordering::Less
        );
    }
}

//! The manifest tree of one reference: expandable nodes, a selected node, and its raw JSON.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::analysis::{Finding, Target, Verdict};
use crate::connect::ConnectError;
use crate::model::Node;
use crate::reference::ImageRef;
use crate::report::NotChecked;
use crate::sanitize::sanitize_multiline;
use crate::tui::action::{Command, Effect, Inspected, RequestId, RequestIds};
use crate::tui::fresh::Stale;
use crate::tui::layout;
use crate::tui::list::Cursor;
use crate::tui::load::Load;

/// A node's position: child indices from the root (the root is `[]`).
pub type NodePath = Vec<usize>;

#[derive(Debug, Clone)]
pub struct TreeView {
    pub reference: ImageRef,
    pub crumb: String,
    pub load: Load<Arc<Inspected>>,
    pub expanded: HashSet<NodePath>,
    pub cursor: Cursor,
    /// `Some(scroll)` while the raw JSON of the selected node is shown.
    pub raw: Option<usize>,
    /// `/` in the raw JSON: what is searched for, and the current match.
    pub search: super::raw::RawSearch,
    /// The pane the movement keys act on (`Tab` cycles).
    pub focus: Pane,
    /// First visible line of the detail pane; back to 0 when the selection changes.
    pub detail_scroll: usize,
    /// First visible line of the findings pane; back to 0 when the selection changes.
    pub findings_scroll: usize,
    /// The findings pane's cursor (an entry, not a line): the finding `y` and `c` copy the
    /// fix of while the pane has the focus; back to the first when the selection changes.
    pub finding: usize,
    /// The app's deployment target (`t`): its findings lead the findings pane.
    pub target: Option<Target>,
    /// Why the loaded tree will not run on the target (empty: no target, or it runs); kept
    /// with the tree so drawing and scrolling do not re-check it.
    pub target_findings: Vec<Finding>,
    /// Whether the loaded tree runs on the target, from the same findings (`None`: no target).
    pub verdict: Option<Verdict>,
    /// Digest of the manifest to deploy on the target (`d`), as `check` names it.
    pub deploy: Option<String>,
    /// The tree with its attachments, asked for beside the plain one; it replaces the plain
    /// tree when it comes (and the plain tree never replaces it).
    pub attachments: Attachments,
    /// The last attempt to reach the registry for this tree failed (unreachable, refused,
    /// deleted): the tree on screen is the last one seen, and the view says so and why.
    pub stale: Option<Stale>,
    /// What the files view measured of image manifests, by digest (their rows show it).
    pub measured: HashMap<String, crate::tui::views::files::Measured>,
}

/// Where the lookup of the tree's attachments stands (asked once per view, again on `r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachments {
    /// Not asked for yet (a tree handed over by a tag row).
    NotAsked,
    /// Asked for; the answer to this request replaces the plain tree.
    Asking(RequestId),
    /// The tree shown has its attachments.
    Shown,
    /// The lookup failed: the plain tree shows, without them.
    Failed,
}

impl Attachments {
    /// Whether the tree shown has its attachments looked up.
    #[must_use]
    pub fn shown(self) -> bool {
        self == Attachments::Shown
    }
}

/// The three panes of the tree view, in `Tab` order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pane {
    #[default]
    Tree,
    Detail,
    Findings,
}

impl Pane {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Pane::Tree => Pane::Detail,
            Pane::Detail => Pane::Findings,
            Pane::Findings => Pane::Tree,
        }
    }
}

/// One visible line of the tree.
#[derive(Debug, Clone)]
pub struct TreeRow<'a> {
    pub path: NodePath,
    pub node: &'a Node,
    /// For each ancestor level below the root: whether that ancestor has later siblings (the
    /// guide line continues).
    pub guides: Vec<bool>,
    pub last: bool,
    pub expanded: bool,
}

impl TreeView {
    #[must_use]
    pub fn new(reference: ImageRef, crumb: String) -> Self {
        Self {
            reference,
            crumb,
            load: Load::Idle,
            // The root starts open: its entries (platforms, attestations) are the point.
            expanded: HashSet::from([Vec::new()]),
            cursor: Cursor::default(),
            raw: None,
            search: super::raw::RawSearch::default(),
            focus: Pane::Tree,
            detail_scroll: 0,
            findings_scroll: 0,
            finding: 0,
            target: None,
            target_findings: Vec::new(),
            verdict: None,
            deploy: None,
            attachments: Attachments::NotAsked,
            stale: None,
            measured: HashMap::new(),
        }
    }

    /// Judges the tree against `target` from now on (nothing to do when it is the same one).
    pub fn set_target(&mut self, target: Option<&Target>) {
        if self.target.as_ref() != target {
            self.target = target.cloned();
            self.reset_scroll();
            self.recheck();
        }
    }

    /// The target's findings for what is loaded now, with the registry's facts (the Lambda
    /// ECR region and host checks), judged as the report judges them.
    fn recheck(&mut self) {
        let registry = match &self.reference {
            ImageRef::Registry(r) => Some(r.registry.as_str()),
            ImageRef::Layout(_) => None,
        };
        let judgement = match (&self.target, self.load.loaded()) {
            (Some(t), Some(inspected)) => Some(super::judge(t, registry, inspected)),
            _ => None,
        };
        self.verdict = judgement.as_ref().map(|j| j.verdict.clone());
        self.deploy = judgement.as_ref().and_then(|j| j.deploy.clone());
        self.target_findings = judgement.map(|j| j.findings).unwrap_or_default();
    }

    /// The same tree with more findings (what its files said): judged again, shown in place.
    pub fn learned(&mut self, inspected: Arc<Inspected>) {
        if matches!(self.load, Load::Loaded(_)) {
            self.load = Load::Loaded(inspected);
            self.recheck();
        }
    }

    /// What the report of what is shown says nothing about (no target, attachments not
    /// looked up yet, no files opened); empty before the tree loads.
    #[must_use]
    pub fn not_checked(&self) -> Vec<NotChecked> {
        self.load.loaded().map_or_else(Vec::new, |i| {
            NotChecked::of(
                self.target.is_some(),
                self.attachments.shown(),
                i.files_opened,
            )
        })
    }

    /// The manifest the report deploys on the target (what `d` copies, `check`'s
    /// `deployReference`), if any: the tree marks that one, an index included.
    #[must_use]
    pub fn fitting(&self) -> Option<&Node> {
        let deploy = self.deploy.as_deref()?;
        self.load
            .loaded()?
            .root
            .descendants()
            .into_iter()
            .find(|n| n.digest == deploy)
    }

    /// The selection moved: its detail and findings start from the top.
    pub fn reset_scroll(&mut self) {
        self.detail_scroll = 0;
        self.findings_scroll = 0;
        self.finding = 0;
    }

    /// The visible rows, depth first, honouring what is expanded.
    #[must_use]
    pub fn rows(&self) -> Vec<TreeRow<'_>> {
        let mut out = Vec::new();
        if let Some(inspected) = self.load.loaded() {
            self.push_rows(&inspected.root, &Vec::new(), &[], true, &mut out);
        }
        out
    }

    fn push_rows<'a>(
        &self,
        node: &'a Node,
        path: &NodePath,
        guides: &[bool],
        last: bool,
        out: &mut Vec<TreeRow<'a>>,
    ) {
        let expanded = !node.children.is_empty() && self.expanded.contains(path);
        out.push(TreeRow {
            path: path.clone(),
            node,
            guides: guides.to_vec(),
            last,
            expanded,
        });
        if !expanded {
            return;
        }
        let count = node.children.len();
        for (i, child) in node.children.iter().enumerate() {
            let mut child_path = path.clone();
            child_path.push(i);
            let mut child_guides = guides.to_vec();
            // The root draws no guide column of its own.
            if !path.is_empty() {
                child_guides.push(!last);
            }
            self.push_rows(child, &child_path, &child_guides, i + 1 == count, out);
        }
    }

    #[must_use]
    pub fn selected(&self) -> Option<TreeRow<'_>> {
        self.rows().into_iter().nth(self.cursor.selected)
    }

    /// The selected node's raw bytes as display lines: pretty JSON when it parses, sanitised.
    #[must_use]
    pub fn raw_lines(&self) -> Vec<String> {
        self.selected()
            .map(|row| raw_lines(row.node))
            .unwrap_or_default()
    }
}

/// `node.raw` pretty-printed (or as text when it is not JSON), safe for the terminal.
#[must_use]
pub fn raw_lines(node: &Node) -> Vec<String> {
    let Some(raw) = &node.raw else {
        return vec![
            "Nothing was fetched for this entry (layers are described, never downloaded).".into(),
        ];
    };
    let text = serde_json::from_slice::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(raw).into_owned());
    sanitize_multiline(&text)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The controller: the tree's load, its keys (expand, collapse, raw, focus, scroll).
impl TreeView {
    /// The tree, when it is not loaded (or was refreshed).
    pub fn activate(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if !self.load.is_idle() {
            // A tree handed over by a tag row has no attachments yet: ask once.
            if self.load.loaded().is_some() && self.attachments == Attachments::NotAsked {
                return vec![self.look_for_attachments(ids, false)];
            }
            return Vec::new();
        }
        let id = ids.fresh();
        self.load = Load::Loading(id);
        let mut effects = vec![Effect::Inspect {
            id,
            reference: self.reference.clone(),
        }];
        effects.push(self.look_for_attachments(ids, false));
        effects
    }

    /// Asks for the tree with its attachments (shown when it comes, over the plain one).
    fn look_for_attachments(&mut self, ids: &mut RequestIds, recheck: bool) -> Effect {
        let id = ids.fresh();
        self.attachments = Attachments::Asking(id);
        Effect::InspectAttachments {
            id,
            reference: self.reference.clone(),
            recheck,
        }
    }

    /// `r`: a loaded tree is revalidated in place (its root fetched again, everything below it
    /// checked to be still there; the tree stays on screen until the answer); anything else
    /// loads afresh.
    pub fn refresh(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if self.load.loaded().is_none() {
            self.load = Load::Idle;
            return self.activate(ids);
        }
        let id = ids.fresh();
        // The tree stays on screen (`Load::Refreshing`) until the answer.
        self.load.refresh(id);
        let mut effects = vec![Effect::Revalidate {
            id,
            reference: self.reference.clone(),
        }];
        effects.push(self.look_for_attachments(ids, true));
        effects
    }

    /// Takes the tree answering `id`; `false` when this view did not ask for it.
    pub fn inspected(
        &mut self,
        id: RequestId,
        result: &Result<Arc<Inspected>, ConnectError>,
        height: usize,
    ) -> bool {
        if self.attachments == Attachments::Asking(id) {
            self.attachments = Attachments::Failed;
            match result {
                Ok(i) => {
                    // A re-check still under way keeps waiting; its answer has nothing to add.
                    self.load = match &self.load {
                        Load::Refreshing(_, pending) => Load::Refreshing(i.clone(), *pending),
                        _ => Load::Loaded(i.clone()),
                    };
                    self.attachments = Attachments::Shown;
                    self.stale = None;
                }
                // The plain tree on its way says enough.
                Err(_) if self.load.is_loading() => return true,
                // A tree on screen stays; it was not confirmed by the registry now (a tree
                // handed over by a tag row is only ever confirmed by this lookup).
                Err(e) if self.load.loaded().is_some() => {
                    self.stale = Some(Stale::of(e));
                    return true;
                }
                Err(e) => self.load = Load::Error(e.clone()),
            }
        } else if self.load.waits_for(id) {
            self.load.settle();
            match result {
                // The tree with attachments came first: the plain one has nothing to add.
                Ok(_) if self.attachments.shown() => {
                    self.stale = None;
                    return true;
                }
                Ok(i) => {
                    self.load = Load::Loaded(i.clone());
                    self.stale = None;
                }
                // `r` failed: the last tree stays on screen, marked stale with why.
                Err(e) if self.load.loaded().is_some() => {
                    self.stale = Some(Stale::of(e));
                    return true;
                }
                Err(e) => self.load = Load::Error(e.clone()),
            }
        } else {
            return false;
        }
        self.recheck();
        let len = self.rows().len();
        self.cursor.fit(len, height);
        true
    }

    /// The requests this view waits for.
    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
        if let Attachments::Asking(id) = self.attachments {
            out.insert(id);
        }
    }

    /// The tree's own keys: Tab, the node keys, `n`/`N` in the raw JSON, `f` for a
    /// platform's files.
    pub fn handle_key(&mut self, cmd: Command, ctx: &mut super::KeyContext<'_>) -> super::Handled {
        match cmd {
            Command::FocusNext => self.focus_next(),
            Command::Toggle | Command::Expand | Command::Collapse | Command::Raw => {
                self.node_command(cmd, ctx.size);
            }
            Command::NextMatch | Command::PrevMatch => self.search_step(cmd, ctx.size),
            Command::Files => return self.open_files(),
            _ => return super::Handled::NotMine,
        }
        super::Handled::Consumed(Vec::new())
    }

    /// `f` on a platform manifest: its files (layers merged) in a view of their own.
    fn open_files(&self) -> super::Handled {
        let Some(row) = self.selected() else {
            return super::Handled::Consumed(Vec::new());
        };
        let node = row.node;
        let Some(config) = node.config_summary().filter(|_| node.is_runnable()) else {
            return super::Handled::Say {
                text: "Select a platform's image manifest (with its config) to open its files"
                    .into(),
                error: true,
                effects: Vec::new(),
            };
        };
        let view = super::FilesView::new(
            self.reference.clone(),
            node.clone(),
            &config.platform_string(),
        );
        super::Handled::Open {
            view: Box::new(super::View::Files(Box::new(view))),
            remember: None,
        }
    }

    /// Tab: tree -> detail -> findings (what the movement keys scroll); not in the raw view.
    pub fn focus_next(&mut self) {
        if self.raw.is_none() {
            self.focus = self.focus.next();
        }
    }

    /// `v`, Space, Right/`l`, Left/`h` on the selected node.
    pub fn node_command(&mut self, cmd: Command, size: (u16, u16)) {
        self.reset_scroll();
        let height = layout::tree_rows(size);
        let Some(row) = self.selected() else {
            return;
        };
        let path = row.path.clone();
        let has_children = !row.node.children.is_empty();
        let expanded = row.expanded;
        match cmd {
            Command::Raw => {
                self.search = super::raw::RawSearch::default();
                self.raw = match self.raw {
                    Some(_) => None,
                    None => Some(0),
                };
            }
            Command::Toggle if has_children => {
                if expanded {
                    self.expanded.remove(&path);
                } else {
                    self.expanded.insert(path);
                }
            }
            Command::Expand if has_children && !expanded => {
                self.expanded.insert(path);
            }
            Command::Expand if expanded => self.cursor.selected += 1,
            Command::Collapse if expanded => {
                self.expanded.remove(&path);
            }
            Command::Collapse if !path.is_empty() => {
                let parent = &path[..path.len() - 1];
                if let Some(i) = self.rows().iter().position(|r| r.path == parent) {
                    self.cursor.selected = i;
                }
            }
            _ => {}
        }
        let len = self.rows().len();
        self.cursor.fit(len, height);
    }

    /// Movement keys act on what has focus: the raw JSON's scroll, the selection, or a pane's
    /// scroll.
    pub fn movement(&mut self, cmd: Command, size: (u16, u16)) {
        if let Some(scroll) = self.raw {
            let height = layout::raw_rows(size);
            let max = self.raw_lines().len().saturating_sub(height);
            self.raw = Some(scroll_to(scroll, cmd, max, height));
            return;
        }
        if self.focus == Pane::Tree {
            let before = self.cursor.selected;
            let len = self.rows().len();
            self.cursor.apply(cmd, len, layout::tree_rows(size));
            if self.cursor.selected != before {
                self.reset_scroll();
            }
            return;
        }
        if self.focus == Pane::Findings {
            crate::tui::panes::move_finding(self, cmd, size);
            return;
        }
        let panes = layout::tree_panes(
            layout::screen(ratatui::layout::Rect::new(0, 0, size.0, size.1)).body,
        );
        let (detail_len, _) = crate::tui::panes::pane_lengths(self, size);
        let (scroll, len, height) = (&mut self.detail_scroll, detail_len, panes.detail.height);
        let height = usize::from(height.saturating_sub(2)).max(1);
        *scroll = scroll_to(*scroll, cmd, len.saturating_sub(height), height);
    }
}

/// Scrolling is cursor movement over the scroll positions `0..=max` themselves.
#[must_use]
pub fn scroll_to(current: usize, cmd: Command, max: usize, height: usize) -> usize {
    let mut c = Cursor {
        selected: current.min(max),
        offset: 0,
    };
    c.apply(cmd, max + 1, height);
    c.selected
}

// The worker's answers this view takes, and what it waits for (issue 20).
impl TreeView {
    /// This view's part of a worker's answer: its tree. When a re-check fails, the tree on
    /// screen stays, marked stale, and the whole reason goes to the status line.
    pub fn answer(
        &mut self,
        action: &crate::tui::action::Action,
        size: (u16, u16),
    ) -> super::Answered {
        use super::Answered;
        let crate::tui::action::Action::Inspected { id, result } = action else {
            return Answered::NotMine;
        };
        if !self.inspected(*id, result, layout::tree_rows(size)) {
            return Answered::NotMine;
        }
        match result {
            Err(e) if self.load.loaded().is_some() => Answered::Flash {
                text: format!(
                    "The registry did not confirm this tree: {}",
                    crate::sanitize::sanitize(&e.to_string())
                ),
                error: true,
            },
            _ => Answered::Taken,
        }
    }

    /// What this view waits for, in words, for the spinner.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        if self.load.is_refreshing() {
            return Some("re-checking the manifest tree".into());
        }
        self.load
            .is_loading()
            .then(|| "fetching the manifest tree".into())
    }

    /// The selected row's repository (`registry/repo`, `oci:DIR`) and digest.
    #[must_use]
    pub fn selected_digest(&self) -> Option<(String, String)> {
        let row = self.selected()?;
        let place = match &self.reference {
            ImageRef::Registry(r) => format!("{}/{}", r.registry, r.repository),
            ImageRef::Layout(l) => format!("oci:{}", l.path.display()),
        };
        Some((place, row.node.digest.clone()))
    }
}

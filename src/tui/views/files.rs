//! The files of one platform manifest as dive shows them: its layers merged (loaded on
//! demand, with progress), browsed a directory at a time or searched with `/`, each path
//! coloured by the layer that wrote it; a layer chosen in the layer list shows the tree as it
//! stood once that layer applied, with what the layer added, changed and removed marked.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::analysis::Finding;
use crate::connect::ConnectError;
use crate::layers::as_of::{self, Mark};
use crate::layers::fetch::Progress;
use crate::layers::fs::Node as FileNode;
use crate::layers::EntryKind;
use crate::model::Node;
use crate::reference::ImageRef;
use crate::tui::action::{Command, Effect, Inspected, RequestId, RequestIds};
use crate::tui::layout;
use crate::tui::list::Cursor;
use crate::tui::load::Load;

pub use crate::layers::measured::Measured;
// The worker's answer, defined beside the other actions (action.rs names it).
pub use crate::tui::action::LoadedFiles;

/// Rows a search shows at most (the filesystem may hold a million paths).
pub const MAX_MATCHES: usize = 10_000;

/// Wasted files the wasted-space pane lists at most (`regscope layers` lists them all).
pub const OFFENDERS: usize = 3;

/// The hanging indent of a wrapped finding: its message continues under the code.
pub const FINDING_INDENT: usize = 9;

/// The findings pane's lines, before wrapping: severity, code, message (sanitised).
#[must_use]
pub fn finding_lines(
    findings: &[Finding],
    theme: crate::tui::theme::Theme,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::{Line, Span};
    if findings.is_empty() {
        return vec![Line::styled("No findings in the files.", theme.dim())];
    }
    findings
        .iter()
        .map(|f| {
            Line::from(vec![
                Span::styled(
                    format!("{:<8} ", f.severity.as_str()),
                    theme.severity(f.severity),
                ),
                Span::styled(format!("{} ", f.code.as_str()), theme.bold()),
                Span::raw(crate::sanitize::sanitize(&f.message).into_owned()),
            ])
        })
        .collect()
}

/// `inspected` with what the files of its image manifests said (`learned`, by manifest
/// digest), so the tree, the tag row and the matrix judge the image by them too; `None` when
/// that adds nothing (no finding, and it was already marked as opened). Digests name content, so what was learnt holds for every tree with it.
#[must_use]
pub fn with_files<S: std::hash::BuildHasher>(
    inspected: &Arc<Inspected>,
    learned: &HashMap<String, Vec<Finding>, S>,
) -> Option<Arc<Inspected>> {
    if learned.is_empty() {
        return None;
    }
    let mut findings = inspected.findings.clone();
    let mut opened = inspected.files_opened;
    inspected.root.walk(&mut |n| {
        if let Some(from_files) = learned.get(&n.digest) {
            opened = true;
            crate::analysis::files::merge_into(&mut findings, from_files.clone());
        }
    });
    (findings != inspected.findings || opened != inspected.files_opened).then(|| {
        Arc::new(Inspected {
            findings,
            files_opened: opened,
            ..(**inspected).clone()
        })
    })
}

/// The pane the movement keys move in (Tab goes round them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilesFocus {
    #[default]
    Files,
    Layers,
    Findings,
}

/// One row of the listing: a path, whether it is a directory, what the chosen layer did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    path: String,
    is_dir: bool,
    mark: Option<Mark>,
}

#[derive(Debug, Clone)]
pub struct FilesView {
    pub reference: ImageRef,
    pub crumb: String,
    /// The platform's image manifest (with its config and layer children).
    pub manifest: Node,
    pub load: Load<Arc<LoadedFiles>>,
    /// How far the download has come, while loading.
    pub progress: Option<Progress>,
    pub cursor: Cursor,
    /// `/`: paths containing this (case-insensitive) instead of one directory.
    pub filter: String,
    /// The directory shown (`""` the root), when not searching.
    pub dir: String,
    /// The layer list: row 0 is every layer merged (what a container sees), row `i` the
    /// tree as of layer `i`.
    pub layer_cursor: Cursor,
    /// Only what the chosen layer added, changed or removed (and the directories holding it).
    pub changes_only: bool,
    pub focus: FilesFocus,
    /// The first wrapped line of the findings pane shown.
    pub findings_scroll: usize,
    /// The rows of `dir` or of the search: worked out when either (or the layer) changes,
    /// not on every frame (a filesystem may hold a million paths).
    shown: Vec<Shown>,
}

/// One visible row: an entry, or a directory only implied by the paths below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow<'a> {
    pub path: String,
    pub node: Option<&'a FileNode>,
    pub is_dir: bool,
    /// What the chosen layer did to it (none while every layer is shown merged).
    pub mark: Option<Mark>,
}

impl FilesView {
    #[must_use]
    pub fn new(reference: ImageRef, manifest: Node, platform: &str) -> Self {
        Self {
            reference,
            crumb: format!("files {platform}"),
            manifest,
            load: Load::Idle,
            progress: None,
            cursor: Cursor::default(),
            filter: String::new(),
            dir: String::new(),
            layer_cursor: Cursor::default(),
            changes_only: false,
            focus: FilesFocus::default(),
            findings_scroll: 0,
            shown: Vec::new(),
        }
    }

    /// The layer whose tree is shown (0 = bottom); `None`: every layer merged.
    #[must_use]
    pub fn layer(&self) -> Option<usize> {
        self.layer_cursor.selected.checked_sub(1)
    }

    /// The keys this view owns: Tab round the panes, `c` changes only, Left up a directory,
    /// and the movement keys in the focused pane. `false` for a key it leaves to the app.
    pub fn handle_key(&mut self, cmd: Command, size: (u16, u16)) -> bool {
        match cmd {
            Command::FocusNext => {
                self.focus = match self.focus {
                    FilesFocus::Files => FilesFocus::Layers,
                    FilesFocus::Layers => FilesFocus::Findings,
                    FilesFocus::Findings => FilesFocus::Files,
                };
                true
            }
            Command::Collapse => {
                self.up();
                true
            }
            Command::ChangesOnly => {
                self.changes_only = !self.changes_only;
                self.cursor = Cursor::default();
                self.reshow();
                true
            }
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom => {
                self.movement(cmd, size);
                true
            }
            _ => false,
        }
    }

    /// A movement key in the focused pane.
    pub fn movement(&mut self, cmd: Command, size: (u16, u16)) {
        let panes = self.panes(size);
        let rows = |r: ratatui::layout::Rect, chrome: u16| {
            usize::from(r.height.saturating_sub(chrome)).max(1)
        };
        match self.focus {
            FilesFocus::Files => {
                let len = self.shown.len();
                self.cursor.apply(cmd, len, rows(panes.files, 3));
            }
            FilesFocus::Layers => {
                let len = self.layer_rows();
                let before = self.layer_cursor.selected;
                self.layer_cursor.apply(cmd, len, rows(panes.layers, 3));
                if self.layer_cursor.selected != before {
                    self.reshow();
                    let len = self.shown.len();
                    self.cursor.fit(len, rows(panes.files, 3));
                }
            }
            FilesFocus::Findings => {
                let height = rows(panes.findings, 2);
                let len = self.findings_len(size);
                let page = height;
                let last = len.saturating_sub(height);
                self.findings_scroll = match cmd {
                    Command::Up => self.findings_scroll.saturating_sub(1),
                    Command::Down => self.findings_scroll + 1,
                    Command::PageUp => self.findings_scroll.saturating_sub(page),
                    Command::PageDown => self.findings_scroll + page,
                    Command::Top => 0,
                    _ => last,
                }
                .min(last);
            }
        }
    }

    /// Keeps the selections visible at `size`.
    pub fn refit(&mut self, size: (u16, u16)) {
        let panes = self.panes(size);
        let len = self.shown.len();
        self.cursor.fit(
            len,
            usize::from(panes.files.height.saturating_sub(3)).max(1),
        );
        let layers = self.layer_rows();
        self.layer_cursor.fit(
            layers,
            usize::from(panes.layers.height.saturating_sub(3)).max(1),
        );
    }

    /// Rows of the layer list: every layer merged, then each layer.
    #[must_use]
    pub fn layer_rows(&self) -> usize {
        1 + self.load.loaded().map_or(0, |f| f.fs.changes().len())
    }

    /// The panes at terminal `size`.
    #[must_use]
    pub fn panes(&self, size: (u16, u16)) -> layout::FilesPanes {
        let body = layout::screen(ratatui::layout::Rect::new(0, 0, size.0, size.1)).body;
        layout::files_panes(body, self.waste_rows(), &|width| self.step_rows(width))
    }

    /// The step that made the chosen layer (`RUN …`, whole and sanitised); `None` for every
    /// layer merged, and for a layer the history does not describe (the list says so).
    #[must_use]
    pub fn step(&self) -> Option<String> {
        let layer = self.layer()?;
        let layers = self.load.loaded()?.fs.changes().len();
        let history = self
            .manifest
            .config_summary()
            .map_or(&[][..], |c| c.history.as_slice());
        crate::layers::history::align(history, layers)
            .into_iter()
            .find(|s| s.layer == Some(layer))
            .map(|s| s.command)
            .filter(|c| !c.is_empty() && c != crate::layers::history::MISSING)
    }

    /// Lines the chosen layer's step wraps to at `width` (0 when no layer is chosen).
    #[must_use]
    pub fn step_rows(&self, width: usize) -> usize {
        self.step().map_or(0, |c| {
            crate::tui::wrap::wrap(&ratatui::text::Line::raw(c), width, 0).len()
        })
    }

    /// Lines of the wasted-space pane: the figures, what opaque directories hide, and up to
    /// [`OFFENDERS`] of the largest wasted files.
    #[must_use]
    pub fn waste_rows(&self) -> usize {
        self.load.loaded().map_or(0, |f| {
            let w = f.fs.waste();
            2 + usize::from(w.hidden_by_opaque > 0) + w.files.len().min(OFFENDERS)
        })
    }

    /// How many wrapped lines the findings pane holds at `size`.
    #[must_use]
    pub fn findings_len(&self, size: (u16, u16)) -> usize {
        let width = usize::from(self.panes(size).findings.width.saturating_sub(2));
        self.load.loaded().map_or(0, |f| {
            finding_lines(&f.findings, crate::tui::theme::Theme { color: false })
                .iter()
                .map(|l| crate::tui::wrap::wrap(l, width, FINDING_INDENT).len())
                .sum()
        })
    }

    /// Asks for the filesystem the first time.
    pub fn activate(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if !self.load.is_idle() {
            return Vec::new();
        }
        let id = ids.fresh();
        self.load = Load::Loading(id);
        self.progress = None;
        vec![Effect::LoadFiles {
            id,
            reference: self.reference.clone(),
            manifest: Box::new(self.manifest.clone()),
        }]
    }

    /// Takes the answer to `id`; `false` when this view did not ask for it.
    pub fn loaded(
        &mut self,
        id: RequestId,
        result: &Result<Arc<LoadedFiles>, ConnectError>,
    ) -> bool {
        if !self.load.answer(id, result) {
            return false;
        }
        self.progress = None;
        self.reshow();
        true
    }

    /// A progress report for `id`.
    pub fn progressed(&mut self, id: RequestId, progress: Progress) -> bool {
        if !self.load.waits_for(id) {
            return false;
        }
        self.progress = Some(progress);
        true
    }

    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
    }

    /// The rows shown: the directory's entries (directories first), or the search's matches.
    #[must_use]
    pub fn rows(&self) -> Vec<FileRow<'_>> {
        let Some(files) = self.load.loaded() else {
            return Vec::new();
        };
        let layer = self.layer();
        self.shown
            .iter()
            .map(|s| FileRow {
                path: s.path.clone(),
                node: match layer {
                    Some(l) => files.fs.as_of(&s.path, l).map(|a| a.node),
                    None => files.fs.get(&s.path),
                },
                is_dir: s.is_dir,
                mark: s.mark,
            })
            .collect()
    }

    /// Sets the search (empty: browse `dir` again).
    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        self.cursor = Cursor::default();
        self.reshow();
    }

    /// Works out the rows for the directory or search now in force.
    fn reshow(&mut self) {
        let Some(files) = self.load.loaded() else {
            self.shown.clear();
            return;
        };
        let fs = &files.fs;
        if let Some(layer) = self.layer() {
            let rows = if self.filter.is_empty() {
                as_of::directory(fs, &self.dir, layer, self.changes_only)
            } else {
                let needle = self.filter.to_lowercase();
                as_of::search(fs, &needle, layer, self.changes_only, MAX_MATCHES)
            };
            self.shown = rows
                .into_iter()
                .map(|r| Shown {
                    path: r.path,
                    is_dir: r.is_dir,
                    mark: r.mark,
                })
                .collect();
            return;
        }
        if !self.filter.is_empty() {
            let needle = self.filter.to_lowercase();
            self.shown = fs
                .nodes()
                .filter(|n| n.entry.path.to_lowercase().contains(&needle))
                .take(MAX_MATCHES)
                .map(|n| Shown {
                    path: n.entry.path.clone(),
                    is_dir: n.entry.kind == EntryKind::Dir,
                    mark: None,
                })
                .collect();
            return;
        }
        let prefix = if self.dir.is_empty() {
            String::new()
        } else {
            format!("{}/", self.dir)
        };
        // Immediate children, and directories implied by deeper paths (layers may omit them).
        let mut rows: Vec<(String, bool)> = Vec::new();
        let mut last: Option<String> = None;
        for path in fs.paths_below(&self.dir) {
            let rest = &path[prefix.len()..];
            let name = rest.split('/').next().unwrap_or(rest);
            let child = format!("{prefix}{name}");
            if last.as_deref() == Some(child.as_str()) {
                continue;
            }
            last = Some(child.clone());
            rows.push((child.clone(), fs.is_dir(&child)));
        }
        // `a.txt` sorts between `a` and `a/b`: the same child can come back; sorted, it is adjacent.
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.dedup();
        self.shown = rows
            .into_iter()
            .map(|(path, is_dir)| Shown {
                path,
                is_dir,
                mark: None,
            })
            .collect();
    }

    #[must_use]
    pub fn selected(&self) -> Option<FileRow<'_>> {
        self.rows().into_iter().nth(self.cursor.selected)
    }

    /// Enter / Right: into the selected directory (a search ends there too).
    pub fn open(&mut self) {
        let Some(row) = self.selected() else { return };
        if row.is_dir {
            let path = row.path.clone();
            self.dir = path;
            self.filter.clear();
            self.cursor = Cursor::default();
            self.reshow();
        }
    }

    /// Left / Back: up one directory; `false` at the root (Back then closes the view).
    pub fn up(&mut self) -> bool {
        if !self.filter.is_empty() {
            self.set_filter(String::new());
            return true;
        }
        if self.dir.is_empty() {
            return false;
        }
        let left = self.dir.clone();
        self.dir = crate::layers::parent(&left).to_string();
        self.reshow();
        let back_at = self.shown.iter().position(|s| s.path == left);
        self.cursor = Cursor::default();
        if let Some(i) = back_at {
            self.cursor.selected = i;
        }
        true
    }
}

// The worker's answers this view takes, and what it waits for (issue 20).
impl FilesView {
    /// This view's part of a worker's answer: its filesystem (what the files said is learnt
    /// by every tree that holds the manifest), or progress reading the layers.
    pub fn answer(
        &mut self,
        action: &crate::tui::action::Action,
        size: (u16, u16),
    ) -> super::Answered {
        use super::Answered;
        use crate::tui::action::Action;
        match action {
            Action::FilesLoaded { id, result } => {
                if !self.loaded(*id, result) {
                    return Answered::NotMine;
                }
                self.refit(size);
                match result {
                    Ok(files) => Answered::Learnt {
                        digest: self.manifest.digest.clone(),
                        findings: files.findings.clone(),
                        measured: files.measured(),
                    },
                    Err(_) => Answered::Taken,
                }
            }
            Action::FilesProgress { id, progress } => {
                Answered::taken(self.progressed(*id, *progress))
            }
            _ => Answered::NotMine,
        }
    }

    /// What this view waits for, in words (`reading layer 2 of 5: ...`), for the spinner.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        self.load.is_loading().then(|| match self.progress {
            Some(p) => crate::present::layers_progress(&p),
            None => "opening the layers".into(),
        })
    }
}

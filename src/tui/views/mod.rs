//! The views of the stack (registries → repositories → tags → manifest tree) and their state.

pub mod compare;
pub mod files;
pub mod history;
pub mod images;
pub mod matrix;
pub mod raw;
pub mod registries;
pub mod repositories;
pub mod tags;
pub mod tree;
pub mod watch;

pub use compare::CompareView;
pub use files::FilesView;
pub use history::HistoryView;
pub use registries::RegistriesView;
pub use repositories::{Catalog, Goal, Paging, RepositoriesView};
pub use tags::{TagRow, TagSort, TagSummary, TagsView};
pub use tree::{TreeRow, TreeView};

use std::collections::HashSet;
use std::time::Duration;

use super::action::{Action, Command, Effect, Inspected, RequestId, RequestIds};
use super::keymap::Context;
use super::layout;
use super::list::Cursor;
use crate::analysis::Target;
use crate::report::Judged;
use crate::sanitize::sanitize;

/// The report's judgement of a tree the TUI keeps, on `target`: the target's findings and the
/// registry's facts about deploying from `registry` (its host; `None` for a layout: the Lambda
/// ECR region and host checks), the verdict and the manifest to deploy. Every view and `d`
/// judge through here, as `check` does through [`crate::report::Report::of`], so the tags
/// row, the tree and the CLI count the same findings and deploy the same digest.
#[must_use]
pub fn judge(target: &Target, registry: Option<&str>, tree: &Inspected) -> Judged {
    let facts = crate::ecr::lambda::for_target(
        target,
        registry,
        &tree.root.digest,
        crate::ecr::lambda::region_from_env().as_deref(),
    );
    crate::report::judge(target, &tree.root, &tree.findings, &facts)
}

/// What a view did with a key (gitui's `EventState`): not its key, so the app's global keys
/// have it, or taken, with what the app does next on the view's behalf.
#[derive(Debug)]
pub enum Handled {
    /// Not this view's key.
    NotMine,
    /// Taken; these effects start (often none).
    Consumed(Vec<Effect>),
    /// Taken; the app starts whatever the view needs now (rows scrolled into view, a sort
    /// that needs every tag resolved).
    Activate,
    /// Taken; `view` opens on top of this one. `remember`: the target it opens, for the
    /// recent list once it has loaded.
    Open {
        view: Box<View>,
        remember: Option<String>,
    },
    /// Taken; the stack becomes the one `start` implies (a recent entry opened).
    Jump(super::Start),
    /// Taken; a line for the status line (an error when `error`) and the effects to start.
    Say {
        text: String,
        error: bool,
        effects: Vec<Effect>,
    },
}

/// What a view made of a worker's answer (an [`Action`] carrying a request's result): not its
/// request, or taken, with what the app finishes on the view's behalf.
#[derive(Debug)]
pub enum Answered {
    /// Not this view's request.
    NotMine,
    /// Taken.
    Taken,
    /// Taken; a notice for the status line (an error when `error`).
    Flash { text: String, error: bool },
    /// Taken; the outcome of a key the status line still shows, said as its answer.
    Reply { text: String, error: bool },
    /// Taken; the files of the image manifest `digest` said `findings` (and measured
    /// `measured`), which every tree that holds it learns.
    Learnt {
        digest: String,
        findings: Vec<crate::analysis::Finding>,
        measured: Option<crate::layers::measured::Measured>,
    },
}

impl Answered {
    /// `Taken` or `NotMine`, from whether a view took the answer.
    #[must_use]
    pub fn taken(taken: bool) -> Self {
        if taken {
            Answered::Taken
        } else {
            Answered::NotMine
        }
    }
}

/// What a view's key handler may use of the app's: the screen size, the request ids for the
/// loads it starts, the watch interval.
pub struct KeyContext<'a> {
    pub size: (u16, u16),
    pub ids: &'a mut RequestIds,
    pub watch_interval: Duration,
}

/// One entry of the view stack; breadcrumbs are derived from the stack.
// The stack holds a handful of views at most: a few hundred bytes per entry cost nothing, and
// boxing each large variant only moves them.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum View {
    Registries(RegistriesView),
    Repositories(RepositoriesView),
    /// Boxed: the largest view inline (its filter, memos and listing state).
    Tags(Box<TagsView>),
    Tree(TreeView),
    /// Boxed: it holds a manifest node and a whole filesystem.
    Files(Box<FilesView>),
    Compare(CompareView),
    History(HistoryView),
}

impl View {
    /// This view's breadcrumb, sanitised (it may hold registry-supplied names).
    #[must_use]
    pub fn crumb(&self) -> String {
        match self {
            View::Registries(_) => "registries".to_string(),
            View::Repositories(v) => sanitize(&v.registry).into_owned(),
            View::Tags(v) => v.crumb(),
            View::Tree(v) => sanitize(&v.crumb).into_owned(),
            View::Files(v) => sanitize(&v.crumb).into_owned(),
            View::Compare(v) => v.crumb(),
            View::History(v) => v.crumb(),
        }
    }

    /// The key-map context of this view.
    #[must_use]
    pub fn context(&self) -> Context {
        match self {
            View::Registries(_) | View::Repositories(_) => Context::List,
            View::Tags(_) => Context::Tags,
            View::Tree(v) if v.raw.is_some() => Context::Raw,
            View::Tree(_) => Context::Tree,
            View::Files(_) => Context::Files,
            View::Compare(_) | View::History(_) => Context::Global,
        }
    }

    /// The registry this view is about, for resolving a repository typed at the prompt.
    #[must_use]
    pub fn registry(&self) -> Option<&str> {
        match self {
            View::Registries(_) => None,
            View::Repositories(v) => Some(&v.registry),
            View::Tags(v) => match &v.location {
                super::action::Location::Registry(r) => Some(r),
                super::action::Location::Layout(_) => None,
            },
            View::Tree(TreeView { reference, .. }) => match reference {
                crate::reference::ImageRef::Registry(r) => Some(&r.registry),
                crate::reference::ImageRef::Layout(_) => None,
            },
            View::Files(v) => match &v.reference {
                crate::reference::ImageRef::Registry(r) => Some(&r.registry),
                crate::reference::ImageRef::Layout(_) => None,
            },
            View::Compare(v) => match &v.left {
                crate::reference::ImageRef::Registry(r) => Some(&r.registry),
                crate::reference::ImageRef::Layout(_) => None,
            },
            View::History(v) => Some(&v.target.registry),
        }
    }

    /// The filter of a list view (`None` for views without one).
    #[must_use]
    pub fn filter(&self) -> Option<&str> {
        match self {
            View::Registries(v) => Some(&v.filter),
            View::Repositories(v) => Some(&v.filter),
            View::Tags(v) => Some(&v.filter),
            View::Files(v) => Some(&v.filter),
            View::Tree(v) if v.raw.is_some() => Some(&v.search.query),
            View::Tree(_) | View::Compare(_) | View::History(_) => None,
        }
    }
}

/// What the copy keys act on.
impl View {
    /// The tree the selection stands for: a resolved tag's, or the tree view's own.
    #[must_use]
    pub fn selected_tree(&self) -> Option<&std::sync::Arc<super::action::Inspected>> {
        match self {
            View::Tags(v) => v.selected_tree(),
            View::Tree(v) => v.load.loaded(),
            View::Registries(_)
            | View::Repositories(_)
            | View::Files(_)
            | View::Compare(_)
            | View::History(_) => None,
        }
    }

    /// The finding `c` copies the fix of: a tag's first, or the one at the top of the tree
    /// Whether the tree view's findings pane has the focus (`y` copies a fix there).
    #[must_use]
    pub fn findings_focused(&self) -> bool {
        matches!(self, View::Tree(v) if v.raw.is_none() && v.focus == tree::Pane::Findings)
    }

    /// view's findings pane as scrolled.
    #[must_use]
    pub fn finding_to_fix(&self, size: (u16, u16)) -> Option<crate::analysis::Finding> {
        match self {
            View::Tags(v) => v.first_finding(),
            View::Tree(v) => super::panes::finding_in_view(v, size),
            View::Files(v) => v.load.loaded().and_then(|f| f.findings.first().cloned()),
            View::Registries(_) | View::Repositories(_) | View::Compare(_) | View::History(_) => {
                None
            }
        }
    }
}

/// What every view does, dispatched to the view's own controller.
impl View {
    /// A key while the view has the keyboard (no overlay, no input line): the view's own keys
    /// first, then what every view does with `r` and the movement keys.
    pub fn handle_key(&mut self, cmd: Command, ctx: &mut KeyContext<'_>) -> Handled {
        let own = match self {
            View::Registries(v) => v.handle_key(cmd),
            View::Repositories(v) => v.handle_key(cmd),
            View::Tags(v) => v.handle_key(cmd, ctx),
            View::Tree(v) => v.handle_key(cmd, ctx),
            View::Files(v) => {
                if cmd == Command::Open {
                    v.open();
                    Handled::Consumed(Vec::new())
                } else if v.handle_key(cmd, ctx.size) {
                    Handled::Consumed(Vec::new())
                } else {
                    Handled::NotMine
                }
            }
            View::Compare(_) | View::History(_) => Handled::NotMine,
        };
        if !matches!(own, Handled::NotMine) {
            return own;
        }
        match cmd {
            Command::Refresh => Handled::Consumed(self.refresh(ctx.ids, ctx.size)),
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom => {
                self.movement(cmd, ctx.size);
                Handled::Activate
            }
            _ => Handled::NotMine,
        }
    }

    /// Starts what the view needs now: its first load, the next page, the rows on screen.
    pub fn activate(&mut self, ids: &mut RequestIds, size: (u16, u16)) -> Vec<Effect> {
        let height = layout::list_rows(size);
        match self {
            View::Registries(_) => Vec::new(),
            View::Repositories(v) => v.activate(ids, height),
            View::Tags(v) => v.activate(ids, height),
            View::Tree(v) => v.activate(ids),
            View::Files(v) => v.activate(ids),
            View::Compare(v) => v.activate(ids),
            View::History(v) => v.activate(ids),
        }
    }

    /// `r`: drop what is loaded (tags re-list in place) and load it again.
    pub fn refresh(&mut self, ids: &mut RequestIds, size: (u16, u16)) -> Vec<Effect> {
        match self {
            View::Registries(_) => Vec::new(),
            View::Repositories(v) => {
                v.load = super::load::Load::Idle;
                v.activate(ids, layout::list_rows(size))
            }
            View::Tags(v) if v.images.is_some() => v.load_images(ids),
            View::Tags(v) => {
                let relist = v.refresh(ids);
                if relist.is_empty() {
                    return v.activate(ids, layout::list_rows(size));
                }
                relist
            }
            View::Tree(v) => v.refresh(ids),
            View::Files(v) => {
                v.load = super::load::Load::Idle;
                v.activate(ids)
            }
            View::Compare(v) => {
                v.load = super::load::Load::Idle;
                v.activate(ids)
            }
            View::History(v) => {
                v.load = super::load::Load::Idle;
                v.activate(ids)
            }
        }
    }

    /// Arrows, pages, home and end.
    pub fn movement(&mut self, cmd: Command, size: (u16, u16)) {
        let height = layout::list_rows(size);
        match self {
            View::Registries(v) => {
                v.cursor.apply(cmd, v.visible().len(), height);
            }
            View::Repositories(v) => {
                v.cursor.apply(cmd, v.visible().len(), height);
                v.moved(cmd);
            }
            View::Tags(v) => match &mut v.images {
                Some(p) => {
                    let len = p.len();
                    p.cursor.apply(cmd, len, height);
                }
                None => {
                    v.cursor.apply(cmd, v.visible().len(), height);
                }
            },
            View::Tree(v) => v.movement(cmd, size),
            View::Files(v) => v.movement(cmd, size),
            View::Compare(v) => v.movement(cmd, size),
            View::History(v) => v.movement(cmd, size),
        }
    }

    /// Keeps the selection visible after a resize or a pop.
    pub fn refit(&mut self, size: (u16, u16)) {
        let list = layout::list_rows(size);
        match self {
            View::Registries(v) => v.cursor.fit(v.visible().len(), list),
            View::Repositories(v) => v.cursor.fit(v.visible().len(), list),
            View::Tags(v) => match &mut v.images {
                Some(p) => {
                    let len = p.len();
                    p.cursor.fit(len, list);
                }
                None => v.cursor.fit(v.visible().len(), list),
            },
            View::Tree(v) => v.cursor.fit(v.rows().len(), layout::tree_rows(size)),
            View::Files(v) => v.refit(size),
            View::Compare(_) | View::History(_) => {}
        }
    }

    /// Sets a list view's filter (the selection starts over); the tree has none.
    pub fn set_filter(&mut self, text: String) {
        let cursor = match self {
            View::Registries(v) => {
                v.filter = text;
                &mut v.cursor
            }
            View::Repositories(v) => {
                v.set_filter(text);
                &mut v.cursor
            }
            View::Tags(v) => {
                if let Some(pane) = &mut v.images {
                    pane.set_filter(&text);
                }
                v.filter = text;
                &mut v.cursor
            }
            View::Files(v) => {
                v.set_filter(text);
                return;
            }
            View::Tree(v) => {
                v.search.set_query(text);
                return;
            }
            View::Compare(_) | View::History(_) => return,
        };
        *cursor = Cursor::default();
    }

    /// The deployment target the view judges against (lists have none).
    pub fn set_target(&mut self, target: Option<&crate::analysis::Target>) {
        match self {
            View::Tags(v) => v.set_target(target),
            View::Tree(v) => v.set_target(target),
            View::Registries(_)
            | View::Repositories(_)
            | View::Files(_)
            | View::Compare(_)
            | View::History(_) => {}
        }
    }

    /// Whether the view's content loaded (`Some(true)`), failed (`Some(false)`) or is still
    /// on its way (`None`). The registries list has nothing to load.
    #[must_use]
    pub fn loaded(&self) -> Option<bool> {
        use super::load::Load;
        fn outcome<T>(load: &Load<T>) -> Option<bool> {
            match load {
                Load::Loaded(_) | Load::Refreshing(_, _) => Some(true),
                Load::Error(_) => Some(false),
                Load::Idle | Load::Loading(_) => None,
            }
        }
        match self {
            View::Registries(_) => Some(true),
            View::Repositories(v) => outcome(&v.load),
            View::Tags(v) => outcome(&v.load),
            View::Tree(v) => outcome(&v.load),
            View::Files(v) => outcome(&v.load),
            View::Compare(v) => outcome(&v.load),
            View::History(v) => outcome(&v.load),
        }
    }

    /// The requests this view waits for.
    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        match self {
            View::Registries(_) => {}
            View::Repositories(v) => v.pending(out),
            View::Tags(v) => v.pending(out),
            View::Tree(v) => v.pending(out),
            View::Files(v) => v.pending(out),
            View::Compare(v) => v.pending(out),
            View::History(v) => v.pending(out),
        }
    }
}

// Results, the spinner, the selection and clicks: each view answers for itself; the app asks
// the stack (issue 20).
impl View {
    /// This view's part of a worker's answer (`clock`: the app's, for what the tags view
    /// marks as changed). The history and watch answers go through `history::take` and
    /// `watch::take`, which look at the whole stack.
    pub fn answer(&mut self, action: &Action, size: (u16, u16), clock: u64) -> Answered {
        match self {
            View::Registries(_) | View::History(_) => Answered::NotMine,
            View::Repositories(v) => v.answer(action, size),
            View::Tags(v) => v.answer(action, size, clock),
            View::Tree(v) => v.answer(action, size),
            View::Files(v) => v.answer(action, size),
            View::Compare(v) => v.answer(action),
        }
    }

    /// What this view waits for, in words (`resolving 4 tags`), for the spinner.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        match self {
            View::Registries(_) => None,
            View::Repositories(v) => v.waiting_for(),
            View::Tags(v) => v.waiting_for(),
            View::Tree(v) => v.waiting_for(),
            View::Files(v) => v.waiting_for(),
            View::Compare(v) => v.waiting_for(),
            View::History(v) => v.waiting_for(),
        }
    }

    /// The selected item's repository (`registry/repo`, `oci:DIR`) and digest, if any.
    #[must_use]
    pub fn selected_digest(&self) -> Option<(String, String)> {
        match self {
            View::Tags(v) => v.selected_digest(),
            View::Tree(v) => v.selected_digest(),
            View::Registries(_)
            | View::Repositories(_)
            | View::Files(_)
            | View::Compare(_)
            | View::History(_) => None,
        }
    }

    /// Selects the list or tree row drawn at (`column`, `row`) on a screen of `size`, if any.
    /// The raw JSON, compare and history views take no clicks.
    pub fn click(&mut self, column: u16, row: u16, size: (u16, u16)) {
        let body = layout::screen(ratatui::layout::Rect::new(0, 0, size.0, size.1)).body;
        let inside = |area: ratatui::layout::Rect, first: u16| {
            (column > area.x && column + 1 < area.x + area.width && row >= first)
                .then(|| usize::from(row - first))
        };
        // Lists: border and column header above the first row. Tree: border only.
        let (len, cursor, height, line) = match self {
            View::Registries(v) => (
                v.visible().len(),
                &mut v.cursor,
                layout::list_rows(size),
                inside(body, body.y + 2),
            ),
            View::Repositories(v) => (
                v.visible().len(),
                &mut v.cursor,
                layout::list_rows(size),
                inside(body, body.y + 2),
            ),
            View::Tags(v) => (
                v.visible().len(),
                &mut v.cursor,
                layout::list_rows(size),
                inside(body, body.y + 2),
            ),
            View::Tree(v) if v.raw.is_none() => {
                let pane = layout::tree_panes(body).tree;
                let len = v.rows().len();
                (
                    len,
                    &mut v.cursor,
                    layout::tree_rows(size),
                    inside(pane, pane.y + 1),
                )
            }
            View::Files(v) => {
                let pane = v.panes(size).files;
                (
                    v.rows().len(),
                    &mut v.cursor,
                    usize::from(pane.height.saturating_sub(3)).max(1),
                    inside(pane, pane.y + 2),
                )
            }
            View::Tree(_) | View::Compare(_) | View::History(_) => return,
        };
        if let Some(line) = line.filter(|&l| l < height) {
            let index = cursor.offset + line;
            if index < len && cursor.selected != index {
                cursor.selected = index;
                if let View::Tree(v) = self {
                    v.reset_scroll();
                }
            }
        }
    }
}

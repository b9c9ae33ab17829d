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

use super::action::{Command, Effect, Inspected, RequestId, RequestIds};
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
                Load::Loaded(_) => Some(true),
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

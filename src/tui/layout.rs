//! Screen geometry shared by drawing and by `App::update` (which needs page heights for paging,
//! PgUp/PgDn and deciding which tag rows are visible and worth resolving).

use ratatui::layout::{Constraint, Layout, Rect};

/// The four bands of every screen.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub header: Rect,
    pub body: Rect,
    pub status: Rect,
    pub footer: Rect,
}

#[must_use]
pub fn screen(area: Rect) -> Screen {
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Screen {
        header,
        body,
        status,
        footer,
    }
}

/// The three panes of the tree view: tree and detail side by side, findings below.
#[derive(Debug, Clone, Copy)]
pub struct TreePanes {
    pub tree: Rect,
    pub detail: Rect,
    pub findings: Rect,
}

/// Width from which the tree gets more room than the detail pane.
const WIDE: u16 = 110;

#[must_use]
pub fn tree_panes(body: Rect) -> TreePanes {
    let findings_height = (body.height / 3).clamp(5, 12);
    let [top, findings] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(findings_height)]).areas(body);
    let tree_share = if body.width >= WIDE { 55 } else { 50 };
    let [tree, detail] = Layout::horizontal([
        Constraint::Percentage(tree_share),
        Constraint::Percentage(100 - tree_share),
    ])
    .areas(top);
    TreePanes {
        tree,
        detail,
        findings,
    }
}

fn area(size: (u16, u16)) -> Rect {
    Rect::new(0, 0, size.0, size.1)
}

/// Rows of a list view (inside the borders, below the column header).
#[must_use]
pub fn list_rows(size: (u16, u16)) -> usize {
    usize::from(screen(area(size)).body.height.saturating_sub(3)).max(1)
}

/// Rows of the tree pane (inside its borders).
#[must_use]
pub fn tree_rows(size: (u16, u16)) -> usize {
    usize::from(
        tree_panes(screen(area(size)).body)
            .tree
            .height
            .saturating_sub(2),
    )
    .max(1)
}

/// Lines of the raw JSON view (it takes the whole body).
#[must_use]
pub fn raw_rows(size: (u16, u16)) -> usize {
    usize::from(screen(area(size)).body.height.saturating_sub(2)).max(1)
}

/// Rows of a list drawn in `body` (the same arithmetic as [`list_rows`], for drawing).
#[must_use]
pub fn list_rows_in(body: Rect) -> usize {
    usize::from(body.height.saturating_sub(3)).max(1)
}

/// The panes of the files view, as dive lays them out: the layer list above the wasted
/// space on the left, the tree on the right, the findings across the bottom.
///
/// ```text
/// ┌ layers ──────┐┌ files linux/amd64 · / (3) ───────┐
/// │ all  merged  ││ A L2 -rw-r--r--  120 B app.conf  │
/// │ 1    ADD …   ││                                  │
/// └──────────────┘│                                  │
/// ┌ wasted ──────┐│                                  │
/// │ wasted 290 B ││                                  │
/// └──────────────┘└──────────────────────────────────┘
/// ┌ starts /usr/bin/app · CA bundle … ───────────────┐
/// │ error    entrypoint-interpreter-missing …        │
/// └──────────────────────────────────────────────────┘
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FilesPanes {
    pub layers: Rect,
    pub waste: Rect,
    pub files: Rect,
    pub findings: Rect,
}

/// The files view's panes in `body`; `waste_rows` lines of wasted space (0: not loaded).
#[must_use]
pub fn files_panes(body: Rect, waste_rows: usize) -> FilesPanes {
    let findings_height = (body.height / 4).clamp(3, 8);
    let [top, findings] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(findings_height)]).areas(body);
    let left_width = (body.width * 2 / 5).clamp(24, 56);
    let [left, files] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(top);
    // The wasted space takes what it needs, at most half the column; the layers the rest.
    let waste_height = u16::try_from(waste_rows + 2)
        .unwrap_or(u16::MAX)
        .min(left.height / 2);
    let [layers, waste] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(waste_height)]).areas(left);
    FilesPanes {
        layers,
        waste,
        files,
        findings,
    }
}

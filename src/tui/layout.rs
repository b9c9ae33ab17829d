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

/// The panes of the files view, as dive lays them out: the layer list, the chosen layer's
/// step (its whole command, wrapped) and the wasted space on the left, the tree on the right,
/// the findings across the bottom.
///
/// ```text
/// ┌ layers ──────┐┌ files linux/amd64 · / (3) ───────┐
/// │ all  merged  ││ A L2 -rw-r--r--  120 B app.conf  │
/// │ 2    RUN …   ││                                  │
/// └──────────────┘│                                  │
/// ┌ step of … 2 ─┐│                                  │
/// │ RUN echo a > ││                                  │
/// │ /etc/app.conf││                                  │
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
    /// The chosen layer's step; no height when no layer is chosen or there is no room.
    pub step: Rect,
    pub waste: Rect,
    pub files: Rect,
    pub findings: Rect,
}

/// The files view's panes in `body`; `waste_rows` lines of wasted space (0: not loaded), and
/// `step_rows(width)` the lines the chosen layer's step wraps to at a text width (0: none).
#[must_use]
pub fn files_panes(
    body: Rect,
    waste_rows: usize,
    step_rows: &dyn Fn(usize) -> usize,
) -> FilesPanes {
    let findings_height = (body.height / 4).clamp(3, 8);
    let [top, findings] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(findings_height)]).areas(body);
    let left_width = (body.width * 2 / 5).clamp(24, 56);
    let [left, files] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(top);
    // The layers keep two rows (borders and header make 5 lines) and the wasted space its
    // two figures (4). The step takes what it needs within half the column, so the command
    // shows whole (none unless a line of it fits); the wasted space what it needs of the
    // rest, at most half the column; the layers the rest.
    let step_height = match step_rows(usize::from(left.width.saturating_sub(2))) {
        0 => 0,
        rows => u16::try_from(rows + 2)
            .unwrap_or(u16::MAX)
            .min(left.height / 2)
            .min(left.height.saturating_sub(5 + 4)),
    };
    let step_height = if step_height < 3 { 0 } else { step_height };
    let waste_height = u16::try_from(waste_rows + 2)
        .unwrap_or(u16::MAX)
        .min(left.height / 2)
        .min(left.height.saturating_sub(5 + step_height));
    let [layers, step, waste] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(step_height),
        Constraint::Length(waste_height),
    ])
    .areas(left);
    FilesPanes {
        layers,
        step,
        waste,
        files,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_step_takes_at_most_half_the_column_and_leaves_the_layers_and_figures_room() {
        let body = screen(area((80, 24))).body;
        let none = files_panes(body, 5, &|_| 0);
        assert_eq!(none.step.height, 0, "no layer chosen: no step pane");
        let left = none.layers.height + none.waste.height;
        // A step of 100 lines: cut to what is left once the layers keep two rows (5) and
        // the wasted space its two figures (4), within half the column.
        assert_eq!(left, 16);
        let long = files_panes(body, 5, &|_| 100);
        assert_eq!(long.step.height, 7);
        assert_eq!((long.layers.height, long.waste.height), (5, 4), "{long:?}");
        let tall = files_panes(screen(area((120, 60))).body, 5, &|_| 100);
        let tall_left = tall.layers.height + tall.step.height + tall.waste.height;
        assert_eq!(tall.step.height, tall_left / 2, "{tall:?}");
        assert_eq!(
            long.layers.height + long.step.height + long.waste.height,
            left
        );
        // One line: three rows with its borders, taken from the layers.
        let short = files_panes(body, 5, &|_| 1);
        assert_eq!(short.step.height, 3);
        assert_eq!(short.waste.height, none.waste.height);
        // No room for a line beside two layer rows and the figures: no step pane.
        let tiny = files_panes(Rect::new(0, 0, 80, 12), 5, &|_| 1);
        assert_eq!(tiny.step.height, 0, "{tiny:?}");
    }
}

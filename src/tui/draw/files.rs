//! The files view as dive shows an image: the layer list and the wasted space on the left,
//! one directory (or a search) of the tree as of the chosen layer on the right, each row
//! coloured by the layer that wrote it and marked with what the chosen layer did to it, over
//! the facts and the (scrollable) findings its files gave. The panes are
//! [`crate::tui::layout::files_panes`].

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::message;
use super::rows::{filter_suffix, selected_style};
use super::tree::{pane_block, scrolled};
use crate::layers::as_of::Mark;
use crate::output::files::mode_string;
use crate::present::human_size;
use crate::sanitize::sanitize;
use crate::tui::layout::{files_panes, list_rows_in};
use crate::tui::load::Load;
use crate::tui::theme::Theme;
use crate::tui::views::files::{
    finding_lines, FileRow, FilesFocus, LoadedFiles, FINDING_INDENT, OFFENDERS,
};
use crate::tui::views::FilesView;
use crate::tui::wrap::fit;

/// Layer colours, bottom layer first, repeating.
const LAYER_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Magenta,
    Color::Blue,
    Color::LightRed,
];

fn layer_style(layer: usize, theme: Theme) -> Style {
    if theme.color {
        Style::new().fg(LAYER_COLORS[layer % LAYER_COLORS.len()])
    } else {
        Style::new()
    }
}

pub(super) fn files(frame: &mut Frame, area: Rect, v: &FilesView, theme: Theme) {
    let loaded = match &v.load {
        Load::Idle | Load::Loading(_) => {
            let text = match v.progress {
                Some(p) => {
                    let text = crate::present::layers_progress(&p);
                    format!("L{}…", text.strip_prefix('l').unwrap_or(&text))
                }
                None => "Opening the layers…".into(),
            };
            message(frame, area, &v.crumb, vec![Line::styled(text, theme.dim())]);
            return;
        }
        Load::Error(e) => {
            message(
                frame,
                area,
                &v.crumb,
                vec![
                    Line::raw("The layers could not be read:"),
                    Line::styled(sanitize(&e.to_string()).into_owned(), theme.error()),
                ],
            );
            return;
        }
        Load::Loaded(f) | Load::Refreshing(f, _) => f,
    };
    let panes = files_panes(area, v.waste_rows(), &|width| v.step_rows(width));
    layers_pane(frame, panes.layers, v, loaded, theme);
    step_pane(frame, panes.step, v);
    waste_pane(frame, panes.waste, loaded, theme);
    tree_pane(frame, panes.files, v, loaded, theme);
    findings_pane(frame, panes.findings, v, loaded, theme);
}

/// A pane title cut with `…` to fit the border of `area`.
fn titled(title: String, area: Rect) -> String {
    fit(Line::raw(title), usize::from(area.width.saturating_sub(2))).to_string()
}

fn size(bytes: u64) -> String {
    human_size(i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// The layer list: every layer merged first, then each layer bottom first with the size of
/// the files it writes and the step that made it.
fn layers_pane(frame: &mut Frame, area: Rect, v: &FilesView, loaded: &LoadedFiles, theme: Theme) {
    let changes = loaded.fs.changes();
    let history = v
        .manifest
        .config_summary()
        .map_or(&[][..], |c| c.history.as_slice());
    let steps = crate::layers::history::align(history, changes.len());
    let command_width = usize::from(area.width.saturating_sub(2 + 4 + 10));
    let total = changes.iter().fold(0u64, |s, c| s.saturating_add(c.bytes));
    let mut rows: Vec<Row<'static>> = vec![Row::new([
        Cell::from("all"),
        Cell::from(size(total)),
        Cell::from(fit(
            Line::styled("every layer merged", theme.dim()),
            command_width,
        )),
    ])];
    rows.extend(changes.iter().enumerate().map(|(i, c)| {
        let command = steps
            .iter()
            .find(|s| s.layer == Some(i))
            .map_or("(missing)", |s| s.command.as_str());
        Row::new([
            Cell::from(Span::styled(format!("{}", i + 1), layer_style(i, theme))),
            Cell::from(size(c.bytes)),
            Cell::from(fit(Line::raw(command.to_string()), command_width)),
        ])
    }));
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    let mut cursor = v.layer_cursor;
    cursor.fit(rows.len(), height);
    let window = cursor.window(rows.len(), height);
    let shown: Vec<Row<'static>> = rows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| window.contains(i))
        .map(|(i, r)| r.style(selected_style(&cursor, i, theme)))
        .collect();
    frame.render_widget(
        Table::new(
            shown,
            [
                Constraint::Length(3),
                Constraint::Length(9),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["#", "SIZE", "COMMAND"]).style(theme.bold()))
        .block(pane_block(
            titled(format!(" layers ({}) ", changes.len()), area),
            v.focus == FilesFocus::Layers,
            theme,
        )),
        area,
    );
}

/// The chosen layer's step, whole and wrapped (the list cuts it to its column), as dive's
/// layer details show it; cut with `…` only when even half the column cannot hold it.
fn step_pane(frame: &mut Frame, area: Rect, v: &FilesView) {
    let (Some(step), Some(layer)) = (v.step(), v.layer()) else {
        return;
    };
    if area.height < 3 {
        return;
    }
    let width = usize::from(area.width.saturating_sub(2));
    let room = usize::from(area.height - 2);
    let mut lines = crate::tui::wrap::wrap(&Line::raw(step), width, 0);
    if lines.len() > room {
        lines.truncate(room);
        if let Some(last) = lines.pop() {
            // `fit` marks a cut line; one that fits whole gets the mark in its last cell.
            let mut text = last.to_string();
            text.push_str(" …");
            lines.push(fit(Line::raw(text), width));
        }
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::bordered().title(titled(format!(" step of layer {} ", layer + 1), area))),
        area,
    );
}

/// The space the layers waste, as dive counts it (`regscope layers` lists it all): the
/// figures, what opaque directories hide, and the largest wasted files.
fn waste_pane(frame: &mut Frame, area: Rect, loaded: &LoadedFiles, theme: Theme) {
    let w = loaded.fs.waste();
    let width = usize::from(area.width.saturating_sub(2));
    let mut lines = vec![
        Line::raw(format!("wasted {}", size(w.wasted))),
        Line::raw(format!(
            "efficiency {}",
            crate::output::layers::percent(w.efficiency)
        )),
    ];
    if w.hidden_by_opaque > 0 {
        lines.push(Line::styled(
            format!("opaque dirs hide {}", size(w.hidden_by_opaque)),
            theme.dim(),
        ));
    }
    lines.extend(w.files.iter().take(OFFENDERS).map(|f| {
        Line::styled(
            format!("{} ×{} {}", size(f.bytes), f.copies, sanitize(&f.path)),
            theme.dim(),
        )
    }));
    let lines: Vec<Line<'static>> = lines.into_iter().map(|l| fit(l, width)).collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered().title(titled(" wasted space, as dive counts it ".into(), area)),
        ),
        area,
    );
}

/// The directory (or search) as of the chosen layer, each row marked with what that layer
/// did to it.
fn tree_pane(frame: &mut Frame, area: Rect, v: &FilesView, loaded: &LoadedFiles, theme: Theme) {
    let rows = v.rows();
    let place = if v.filter.is_empty() {
        format!("/{}", sanitize(&v.dir))
    } else {
        "search".into()
    };
    let as_of = v
        .layer()
        .map(|l| format!(" · as of layer {}", l + 1))
        .unwrap_or_default();
    let only = if v.changes_only {
        " · changes only"
    } else {
        ""
    };
    // Where and as of when first: a narrow pane cuts the rest (the header names the platform).
    let title = format!(
        " {place} ({}){}{as_of}{only} · {} · {} ",
        rows.len(),
        filter_suffix(&v.filter),
        sanitize(&v.crumb),
        loaded.facts.os,
    );
    let title = titled(title, area);
    let height = list_rows_in(area);
    // The cursor is kept for the full body; fit a copy to this pane.
    let mut cursor = v.cursor;
    cursor.fit(rows.len(), height);
    let searching = !v.filter.is_empty();
    // The owner column when there is room for it and a useful name.
    let wide = area.width >= 62;
    let shown = cursor.window(rows.len(), height).map(|i| {
        file_row(&rows[i], searching, wide, theme).style(selected_style(&cursor, i, theme))
    });
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(10),
    ];
    let mut header = vec!["", "LAYR", "MODE"];
    if wide {
        widths.push(Constraint::Length(11));
        header.push("OWNER");
    }
    widths.extend([Constraint::Length(9), Constraint::Fill(1)]);
    header.extend(["SIZE", "NAME"]);
    let mut block = pane_block(title, v.focus == FilesFocus::Files, theme);
    if v.layer().is_some() {
        block = block.title_bottom(Line::styled(
            " A added · C changed · R removed ",
            theme.dim(),
        ));
    }
    frame.render_widget(
        Table::new(shown, widths)
            .header(Row::new(header).style(theme.bold()))
            .block(block),
        area,
    );
}

/// What the chosen layer did to a path, in colour and as a letter (it reads without colour).
fn mark_span(mark: Option<Mark>, theme: Theme) -> Span<'static> {
    let Some(mark) = mark else {
        return Span::raw(" ");
    };
    let style = if theme.color {
        Style::new().fg(match mark {
            Mark::Added => Color::Green,
            Mark::Changed => Color::Yellow,
            Mark::Removed => Color::Red,
        })
    } else {
        theme.bold()
    };
    Span::styled(mark.letter().to_string(), style)
}

/// One path: what the layer did to it, the layer that wrote it (in that layer's colour),
/// mode, owner, size, name.
fn file_row(row: &FileRow<'_>, searching: bool, wide: bool, theme: Theme) -> Row<'static> {
    let name = if searching {
        format!("/{}", row.path)
    } else {
        crate::layers::base_name(&row.path).to_string()
    };
    let (layer, mode, owner, size, link, style) = match row.node {
        Some(n) => (
            format!("L{}", n.layer + 1),
            mode_string(n.entry.kind, n.entry.mode),
            format!("{}:{}", n.entry.uid, n.entry.gid),
            if n.entry.kind == crate::layers::EntryKind::File {
                human_size(i64::try_from(n.entry.size).unwrap_or(i64::MAX))
            } else {
                String::new()
            },
            n.entry
                .link
                .as_deref()
                .map(|l| format!(" -> {}", sanitize(l)))
                .unwrap_or_default(),
            layer_style(n.layer, theme),
        ),
        // A directory only implied by the paths below it: the runtime creates it as root,
        // mode 0755, when it unpacks the layers (dimmed: no layer says so).
        None => (
            String::new(),
            "drwxr-xr-x".to_string(),
            "0:0".to_string(),
            String::new(),
            String::new(),
            theme.dim(),
        ),
    };
    let suffix = if row.is_dir { "/" } else { "" };
    let mut cells = vec![
        Cell::from(mark_span(row.mark, theme)),
        Cell::from(Span::styled(layer, style)),
        Cell::from(mode),
    ];
    if wide {
        cells.push(Cell::from(owner));
    }
    cells.extend([
        Cell::from(size),
        Cell::from(Span::styled(
            format!("{}{suffix}{link}", sanitize(&name)),
            style,
        )),
    ]);
    Row::new(cells)
}

/// What the files say (what starts, the CA bundle) in the title, their findings below,
/// scrolled when Tab has focused it.
fn findings_pane(frame: &mut Frame, area: Rect, v: &FilesView, loaded: &LoadedFiles, theme: Theme) {
    let facts = &loaded.facts;
    let mut head = Vec::new();
    if let Some(cmd) = &facts.command {
        head.push(format!(
            "starts {cmd}{}{}",
            facts
                .resolved
                .as_deref()
                .map(|r| format!(" -> {r}"))
                .unwrap_or_default(),
            facts
                .program
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        ));
    }
    head.push(match &facts.ca_bundle {
        Some(c) => format!("CA bundle {c}"),
        None => "no CA bundle".into(),
    });
    let width = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line<'static>> = finding_lines(&loaded.findings, theme)
        .iter()
        .flat_map(|l| crate::tui::wrap::wrap(l, width, FINDING_INDENT))
        .collect();
    scrolled(
        frame,
        area,
        (titled(format!(" {} ", head.join(" · ")), area), lines),
        v.findings_scroll,
        v.focus == FilesFocus::Findings,
        theme,
    );
}

/// The status line: with the layer list focused, the chosen layer (its step whole, what it
/// did); otherwise the selected path in full, which layer wrote it and what the chosen layer
/// did to it.
pub(super) fn status(v: &FilesView, theme: Theme) -> Line<'static> {
    let layers = v.load.loaded().map_or(0, |f| f.fs.changes().len());
    let history = v
        .manifest
        .config_summary()
        .map_or(&[][..], |c| c.history.as_slice());
    let steps = crate::layers::history::align(history, layers);
    let step = |layer: usize| {
        steps
            .iter()
            .find(|s| s.layer == Some(layer))
            .map(|s| s.command.clone())
    };
    if v.focus == FilesFocus::Layers {
        let text = match (v.layer(), v.load.loaded()) {
            (Some(l), Some(f)) => {
                let c = &f.fs.changes()[l.min(layers.saturating_sub(1))];
                // `removed_bytes` counts the old copies written over too: said as such.
                format!(
                    " layer {} of {layers}: added {} ({}), changed {} ({}), removed {} · {} removed or written over · {}",
                    l + 1,
                    c.added,
                    size(c.added_bytes),
                    c.changed,
                    size(c.changed_bytes),
                    c.removed,
                    size(c.removed_bytes),
                    step(l).unwrap_or_default()
                )
            }
            _ => format!(" every layer merged ({layers}): what a container starts from"),
        };
        return Line::styled(text, theme.dim());
    }
    let Some(row) = v.selected() else {
        return Line::styled(" ", theme.dim());
    };
    let what = match row.mark {
        Some(Mark::Added) => " · added here",
        Some(Mark::Changed) => " · changed here",
        Some(Mark::Removed) => " · removed here",
        None => "",
    };
    let written = row.node.map_or_else(String::new, |n| {
        // The step that made the layer (`RUN …`), as `regscope layers` shows it.
        let made_by = step(n.layer).map(|c| format!(" ({c})")).unwrap_or_default();
        format!(
            " · layer {} of {layers}{made_by}{}",
            n.layer + 1,
            n.entry
                .exec
                .as_ref()
                .map(|e| format!(" · {}", crate::output::files::describe_exec(e)))
                .unwrap_or_default()
        )
    });
    Line::styled(
        format!(" /{}{what}{written}", sanitize(&row.path)),
        theme.dim(),
    )
}

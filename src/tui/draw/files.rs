//! The files view: one directory (or a search) of a platform's merged filesystem, each row
//! coloured by the layer that wrote it, over the facts and findings its files gave.
//!
//! ```text
//! ┌ files linux/amd64 · Alpine Linux v3.20 · /usr/bin (12) ─────────────────────┐
//! │ LAYER MODE        OWNER        SIZE  NAME                                   │
//! │ L2    -rwxr-xr-x  0:0       1.2 MiB  app                                    │
//! └─────────────────────────────────────────────────────────────────────────────┘
//! ┌ starts /usr/bin/app (ELF amd64, static) · CA bundle … ──────────────────────┐
//! │ error entrypoint-interpreter-missing  message                               │
//! └─────────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::lists::{filter_suffix, selected_style};
use super::message;
use crate::output::files::mode_string;
use crate::present::human_size;
use crate::sanitize::sanitize;
use crate::tui::layout::list_rows_in;
use crate::tui::load::Load;
use crate::tui::theme::Theme;
use crate::tui::views::files::{FileRow, LoadedFiles};
use crate::tui::views::FilesView;

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
                Some(p) => format!(
                    "Reading layer {} of {}: {} so far…",
                    p.layer,
                    p.layers,
                    human_size(i64::try_from(p.bytes).unwrap_or(i64::MAX))
                ),
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
        Load::Loaded(f) => f,
    };
    // The findings (or the line saying there are none), the wasted-space lines, the border.
    let findings_height =
        u16::try_from(loaded.findings.len().clamp(1, 6) + waste_lines(loaded, theme).len() + 2)
            .unwrap_or(10);
    let [table_area, facts_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(findings_height)]).areas(area);
    let rows = v.rows();
    let place = if v.filter.is_empty() {
        format!("/{}", sanitize(&v.dir))
    } else {
        "search".into()
    };
    let title = format!(
        " {} · {} · {place} ({}){} ",
        sanitize(&v.crumb),
        loaded.facts.os,
        rows.len(),
        filter_suffix(&v.filter)
    );
    let height = list_rows_in(table_area);
    // The cursor is kept for the full body; fit a copy to this shorter table.
    let mut cursor = v.cursor;
    cursor.fit(rows.len(), height);
    let searching = !v.filter.is_empty();
    let shown = cursor
        .window(rows.len(), height)
        .map(|i| file_row(&rows[i], searching, theme).style(selected_style(&cursor, i, theme)));
    frame.render_widget(
        Table::new(
            shown,
            [
                Constraint::Length(5),
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Length(10),
                Constraint::Fill(1),
            ],
        )
        .header(Row::new(["LAYER", "MODE", "OWNER", "SIZE", "NAME"]).style(theme.bold()))
        .block(Block::bordered().title(title)),
        table_area,
    );
    facts_pane(frame, facts_area, loaded, theme);
}

/// One path: the layer that wrote it (in that layer's colour), mode, owner, size, name.
fn file_row(row: &FileRow<'_>, searching: bool, theme: Theme) -> Row<'static> {
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
    Row::new([
        Cell::from(Span::styled(layer, style)),
        Cell::from(mode),
        Cell::from(owner),
        Cell::from(size),
        Cell::from(Span::styled(
            format!("{}{suffix}{link}", sanitize(&name)),
            style,
        )),
    ])
}

/// What the files say (what starts, the CA bundle) and their findings, below the listing.
fn facts_pane(frame: &mut Frame, area: Rect, loaded: &LoadedFiles, theme: Theme) {
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
    let mut lines: Vec<Line<'_>> = waste_lines(loaded, theme);
    if loaded.findings.is_empty() {
        lines.push(Line::styled("No findings in the files.", theme.dim()));
    } else {
        lines.extend(loaded.findings.iter().take(6).map(|f| {
            Line::from(vec![
                Span::styled(
                    format!("{:<8}", f.severity.as_str()),
                    theme.severity(f.severity),
                ),
                Span::styled(format!("{} ", f.code.as_str()), theme.bold()),
                Span::raw(sanitize(&f.message).into_owned()),
            ])
        }));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" {} ", head.join(" · ")))),
        area,
    );
}

/// The space the layers waste, as dive counts it (`regscope layers` lists it all): the
/// figures, then the largest wasted file and what opaque directories hide, when there are.
fn waste_lines(loaded: &LoadedFiles, theme: Theme) -> Vec<Line<'static>> {
    let w = loaded.fs.waste();
    let size = |b: u64| human_size(i64::try_from(b).unwrap_or(i64::MAX));
    let mut lines = vec![Line::styled(
        format!(
            "wasted {} · efficiency {} (as dive counts them)",
            size(w.wasted),
            crate::output::layers::percent(w.efficiency)
        ),
        theme.dim(),
    )];
    // One line each: an 80-column terminal keeps them whole.
    if let Some(f) = w.files.first() {
        lines.push(Line::styled(
            format!(
                "largest {} ({} copies, {})",
                sanitize(&f.path),
                f.copies,
                size(f.bytes)
            ),
            theme.dim(),
        ));
    }
    if w.hidden_by_opaque > 0 {
        lines.push(Line::styled(
            format!("hidden by opaque directories: {} bytes", w.hidden_by_opaque),
            theme.dim(),
        ));
    }
    lines
}

/// The status line: the selected path in full, and which layer wrote it.
pub(super) fn status(v: &FilesView, theme: Theme) -> Line<'static> {
    let Some(row) = v.selected() else {
        return Line::styled(" ", theme.dim());
    };
    let layers = v.load.loaded().map_or(0, |f| f.fs.changes().len());
    let history = v
        .manifest
        .config_summary()
        .map_or(&[][..], |c| c.history.as_slice());
    let steps = crate::layers::history::align(history, layers);
    let written = row.node.map_or_else(String::new, |n| {
        // The step that made the layer (`RUN …`), as `regscope layers` shows it.
        let made_by = steps
            .iter()
            .find(|s| s.layer == Some(n.layer))
            .map(|s| format!(" ({})", s.command))
            .unwrap_or_default();
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
    Line::styled(format!(" /{}{written}", sanitize(&row.path)), theme.dim())
}

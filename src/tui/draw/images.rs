//! The tags view with `u`: every image of the repository, untagged too, with what it is.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::message;
use super::rows::selected_style;
use crate::ecr::images::{describe, ImageKind};
use crate::ecr::inventory::ListSource;
use crate::present::human_size;
use crate::sanitize::sanitize;
use crate::tui::layout::list_rows_in;
use crate::tui::load::Load;
use crate::tui::theme::Theme;
use crate::tui::views::TagsView;
use crate::tui::wrap::fit;

pub(super) fn images(frame: &mut Frame, area: Rect, v: &TagsView, theme: Theme) {
    let Some(pane) = &v.images else {
        return;
    };
    let title = format!("{} · every image", sanitize(&v.repository));
    let order = pane.sort.label();
    let inv = match &pane.load {
        Load::Idle | Load::Loading(_) => {
            let text = "Listing every image, untagged too, and opening the indexes…";
            message(frame, area, &title, vec![Line::styled(text, theme.dim())]);
            return;
        }
        Load::Error(e) => {
            let lines = vec![
                Line::raw("The images could not be listed:"),
                Line::styled(sanitize(&e.to_string()).into_owned(), theme.error()),
            ];
            message(frame, area, &title, lines);
            return;
        }
        Load::Loaded(inv) | Load::Refreshing(inv, _) => inv,
    };
    let height = list_rows_in(area);
    // Below 100 columns the size gives way to what each image is.
    let wide = area.width >= 100;
    let tags_width = inv
        .rows
        .iter()
        .map(|r| r.image.tags.join(", ").chars().count())
        .max()
        .unwrap_or(1)
        .clamp(4, if wide { 24 } else { 12 });
    let visible = pane.visible();
    if visible.is_empty() {
        let text = "No image matches the filter. Esc clears it.";
        message(frame, area, &title, vec![Line::raw(text)]);
        return;
    }
    let (widths, header) = columns(
        wide,
        u16::try_from(tags_width).unwrap_or(12),
        area.width.saturating_sub(2),
    );
    let rows = pane.cursor.window(visible.len(), height).map(|at| {
        let cells = image_cells(&inv.rows[visible[at]], inv, wide, theme);
        // A cell wider than its column ends in `…`, as in the other lists.
        let cells = cells
            .into_iter()
            .zip(&widths)
            .map(|(line, &w)| Cell::from(fit(line, usize::from(w))));
        Row::new(cells).style(selected_style(&pane.cursor, at, theme))
    });
    let source = match &inv.source {
        ListSource::EcrApi { .. } => "DescribeImages",
        ListSource::Tags => "tags",
        ListSource::Versions { .. } => "package versions",
    };
    let title = format!(
        " {title} ({}{}, from {source}, {order}){} ",
        visible.len(),
        if visible.len() == inv.rows.len() {
            String::new()
        } else {
            format!(" of {}", inv.rows.len())
        },
        super::rows::filter_suffix(&pane.filter),
    );
    frame.render_widget(
        Table::new(rows, widths.iter().map(|&w| Constraint::Length(w)))
            .flex(ratatui::layout::Flex::Start)
            .header(Row::new(header).style(theme.bold()))
            .block(
                Block::bordered()
                    .title(fit(
                        Line::raw(title),
                        usize::from(area.width.saturating_sub(2)),
                    ))
                    .title_bottom(note_line(inv, area.width, theme)),
            ),
        area,
    );
}

/// The list's first note (why the service's API was not used) on the pane's bottom border,
/// where it has the width the status line gives the headline: ` note: … `.
fn note_line(inv: &crate::ecr::inventory::Inventory, width: u16, theme: Theme) -> Line<'static> {
    let Some(note) = inv.notes.first() else {
        return Line::default();
    };
    let line = Line::styled(format!(" note: {} ", sanitize(note)), theme.warning());
    fit(line, usize::from(width.saturating_sub(2)))
}

/// One image's cells: digest, tags, kind, size (wide screens only), what it is.
fn image_cells(
    row: &crate::ecr::images::Row,
    inv: &crate::ecr::inventory::Inventory,
    wide: bool,
    theme: Theme,
) -> Vec<Line<'static>> {
    let mut label = sanitize(&describe(row, &inv.graph)).into_owned();
    if let Some(p) = inv.planned(&row.image.digest) {
        let verb = match p.action {
            crate::ecr::lifecycle::Action::Expire => "EXPIRES",
            crate::ecr::lifecycle::Action::Transition { .. } => "ARCHIVED",
        };
        // First, so a narrow screen still shows it; the reason is in the status line.
        label = format!("{verb} (lifecycle rule {}) · {label}", p.rule_priority);
    }
    let label_style = if inv.planned(&row.image.digest).is_some() {
        theme.error()
    } else if row.is_orphan() || row.missing {
        theme.warning()
    } else if row.kind == ImageKind::Attestation {
        theme.attestation()
    } else {
        ratatui::style::Style::default()
    };
    let tags = if row.image.tags.is_empty() {
        Span::styled("-", theme.dim())
    } else {
        Span::raw(sanitize(&row.image.tags.join(", ")).into_owned())
    };
    let size = row
        .total_size
        .or(row.image.size)
        .map_or_else(|| "-".into(), human_size);
    let mut cells = vec![
        Line::raw(crate::digest::short(&row.image.digest)),
        Line::from(tags),
        Line::raw(row.kind.as_str()),
    ];
    if wide {
        cells.push(Line::raw(size));
    }
    cells.push(Line::from(Span::styled(label, label_style)));
    cells
}

/// The table's columns in `inner` columns: the size only on wide screens; what each image is
/// takes the rest (at least one column).
fn columns(wide: bool, tags_width: u16, inner: u16) -> (Vec<u16>, Vec<&'static str>) {
    let (mut widths, header) = if wide {
        (
            vec![17, tags_width, 11, 9],
            vec!["DIGEST", "TAGS", "KIND", "SIZE", "WHAT IT IS"],
        )
    } else {
        (
            vec![17, tags_width, 11],
            vec!["DIGEST", "TAGS", "KIND", "WHAT IT IS"],
        )
    };
    // One column of spacing between each two.
    let used: u16 = widths.iter().sum::<u16>() + u16::try_from(widths.len()).unwrap_or(0);
    widths.push(inner.saturating_sub(used).max(1));
    (widths, header)
}

/// The headline of the list (its first note is on the pane's bottom border).
pub(super) fn status(v: &TagsView, theme: Theme) -> Line<'static> {
    let Some(inv) = v.images.as_ref().and_then(|p| p.load.loaded()) else {
        return Line::raw("");
    };
    let selected = v
        .images
        .as_ref()
        .and_then(super::super::views::images::ImagesPane::selected);
    // The selected image's fate at the next lifecycle run leads; else the list's headline.
    let spans = match selected.and_then(|r| inv.planned(&r.image.digest)) {
        Some(p) => vec![Span::styled(
            format!(" next lifecycle run: {}", sanitize(&p.reason)),
            theme.error(),
        )],
        None => vec![Span::styled(
            format!(" {}", crate::output::images::headline(inv)),
            theme.dim(),
        )],
    };
    Line::from(spans)
}

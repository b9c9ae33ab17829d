//! The platform matrix (`m` in the tags view): tags down, platforms across.
//!
//! ```text
//! ┌ platforms of team/app (8 tags, 2 platforms) ─────────────────┐
//! │ TAG                 amd64  arm64  arm/v7                      │
//! │ latest              ● ◆    ● ◆    ·                           │  ● offered  ◆ attested
//! │ v6-mismatch         ●      ≠      ·                           │  ≠ index and config disagree
//! │ deleted                                resolving…             │  ✗ deleted  · absent
//! └ ● offered ◆ attested ≠ mismatch ✗ deleted · absent ───────────┘
//! ```

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::message;
use super::rows::{filter_suffix, selected_style};
use crate::analysis::Verdict;
use crate::present::count;
use crate::sanitize::sanitize;
use crate::tui::layout::list_rows_in;
use crate::tui::load::Load;
use crate::tui::theme::Theme;
use crate::tui::views::matrix::{column_labels, Offer};
use crate::tui::views::{TagSort, TagSummary, TagsView};
use crate::tui::wrap::fit;

/// Columns narrower than this get this much room (the cell marks need three).
const MIN_COLUMN: u16 = 5;
/// Room the tag column keeps before platform columns are dropped.
const TAG_COLUMN: u16 = 14;
const NOTE_COLUMN: u16 = 12;

const LEGEND: &str = " ● offered  ◆ attested  ≠ mismatch  ✗ deleted  · absent ";

/// `marked`: what `x` marked for `=`; its row says so, as in the tag list.
pub(super) fn matrix(
    frame: &mut Frame,
    area: Rect,
    (v, marked): (&TagsView, Option<&crate::reference::ImageRef>),
    rows: &[crate::tui::views::TagRow],
    theme: Theme,
) {
    let name = v.crumb();
    let visible = v.visible();
    let columns = v.matrix_columns();
    let target = v.target_column();
    // The target's column is bracketed: `[amd64]`.
    let labels: Vec<String> = column_labels(&columns)
        .iter()
        .zip(&columns)
        .map(|(l, c)| {
            let l = sanitize(l).into_owned();
            if target.as_ref() == Some(c) {
                format!("[{l}]")
            } else {
                l
            }
        })
        .collect();
    // Show the columns that fit; say how many did not.
    let room = area.width.saturating_sub(2 + TAG_COLUMN + NOTE_COLUMN);
    let mut used = 0u16;
    let shown = labels
        .iter()
        .take_while(|l| {
            used += width_of(l) + 1;
            used <= room
        })
        .count();
    let hidden = labels.len() - shown;
    let mut title = format!(
        " platforms of {name} ({}, {}){}",
        count(rows.len(), "tag", "tags"),
        count(columns.len(), "platform", "platforms"),
        filter_suffix(&v.filter)
    );
    if v.sort == TagSort::Created {
        title.push_str(", newest first");
    }
    if hidden > 0 {
        title.push_str(&format!(", {hidden} not shown: widen the terminal"));
    }
    title.push(' ');
    if visible.is_empty() {
        let text = if rows.is_empty() {
            format!("{name} has no tags.")
        } else {
            "No tag matches the filter. Esc clears it.".to_string()
        };
        message(frame, area, title.trim(), vec![Line::raw(text)]);
        return;
    }
    let height = list_rows_in(area);
    // The tag column as wide as the longest tag (and the mark), up to a third of the row; the
    // note takes what is left. Every cell cut to its column ends in `…`.
    let tag_width = visible
        .iter()
        .map(|&i| width_of(&rows[i].tag) + 2)
        .max()
        .unwrap_or(0)
        .clamp(TAG_COLUMN, (area.width / 3).max(TAG_COLUMN));
    let used: u16 = labels[..shown].iter().map(|l| width_of(l) + 1).sum();
    let note_width = usize::from(area.width.saturating_sub(2 + tag_width + 1 + used));
    let table_rows = v.cursor.window(visible.len(), height).map(|i| {
        let row = &rows[visible[i]];
        let marked = marked == Some(&v.reference(&row.tag));
        let cells = row_cells(
            (row, marked),
            (&columns[..shown], target.as_deref()),
            (tag_width, note_width),
            theme,
        );
        Row::new(cells).style(selected_style(&v.cursor, i, theme))
    });
    let mut widths = vec![Constraint::Length(tag_width)];
    widths.extend(
        labels[..shown]
            .iter()
            .map(|l| Constraint::Length(width_of(l))),
    );
    widths.push(Constraint::Fill(1));
    let mut header = vec!["TAG".to_string()];
    header.extend(labels[..shown].iter().cloned());
    header.push(String::new());
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.bold()))
            .block(
                Block::bordered()
                    .title(title)
                    .title_bottom(Line::styled(LEGEND, theme.dim())),
            ),
        area,
    );
}

/// One tag's row: the tag (marked for `=`), a cell per shown platform column (`target`'s
/// holding the verdict's mark), and the note (the verdict, or why the tag has no row yet),
/// each cut with `…` to its width.
fn row_cells(
    (row, marked): (&crate::tui::views::TagRow, bool),
    (columns, target): (&[String], Option<&str>),
    (tag_width, note_width): (u16, usize),
    theme: Theme,
) -> Vec<Cell<'static>> {
    // The mark first, so a long tag cannot push it out of the column.
    let mut tag = Vec::new();
    if marked {
        tag.push(Span::styled("⇄ ", theme.key()));
    }
    tag.push(Span::raw(sanitize(&row.tag).into_owned()));
    let mut cells = vec![Cell::from(fit(Line::from(tag), usize::from(tag_width)))];
    let note = match row.shown() {
        Load::Loaded(s) | Load::Refreshing(s, _) => {
            cells.extend(columns.iter().map(|c| {
                let fit = (target == Some(c.as_str()))
                    .then_some(s.verdict.as_ref())
                    .flatten();
                offer_cell(s, c, fit, theme)
            }));
            match &s.verdict {
                Some(v @ Verdict::Runs) => Span::styled(v.to_string(), theme.platform()),
                Some(v @ Verdict::Rejected(_)) => Span::styled(v.to_string(), theme.error()),
                None => Span::raw(""),
            }
        }
        Load::Loading(_) => Span::styled("resolving…", theme.dim()),
        Load::Idle => Span::styled("…", theme.dim()),
        Load::Error(e) => Span::styled(crate::tui::fresh::reason(e), theme.error()),
    };
    cells.resize(columns.len() + 1, Cell::from(""));
    cells.push(Cell::from(fit(Line::from(note), note_width)));
    cells
}

fn width_of(label: &str) -> u16 {
    u16::try_from(label.chars().count())
        .unwrap_or(u16::MAX)
        .max(MIN_COLUMN)
}

/// One cell: the first mark says whether the platform is there (and sound), the second whether
/// an attestation is about it. In the target's column (`fit`), the verdict colours it: the
/// platform colour, bold, where the tag runs; the error colour where it is rejected.
fn offer_cell(
    summary: &TagSummary,
    column: &str,
    fit: Option<&Verdict>,
    theme: Theme,
) -> Cell<'static> {
    let offer = summary
        .offers
        .iter()
        .find(|(p, _)| p == column)
        .map(|(_, o)| *o)
        .unwrap_or_default();
    let first = match offer {
        Offer { missing: true, .. } => "✗",
        Offer { mismatch: true, .. } => "≠",
        Offer { offered: true, .. } => "●",
        _ => "·",
    };
    let text = if offer.attested {
        format!("{first} ◆")
    } else {
        first.to_string()
    };
    let style = if let Some(verdict) = fit {
        match verdict {
            Verdict::Runs => theme.platform().add_modifier(Modifier::BOLD),
            Verdict::Rejected(_) => theme.error(),
        }
    } else if offer.is_problem() {
        theme.error()
    } else if offer.offered {
        theme.platform()
    } else {
        theme.dim()
    };
    Cell::from(Span::styled(text, style))
}

/// The status line in the matrix: what the selected tag lacks among the columns.
pub(super) fn status(v: &TagsView, theme: Theme) -> Line<'static> {
    let Some(row) = v.selected() else {
        return Line::raw("");
    };
    let mut spans = vec![Span::styled(
        format!(" {}", sanitize(&row.tag)),
        theme.bold(),
    )];
    let Some(summary) = row.shown().loaded() else {
        return Line::from(spans);
    };
    let has =
        |c: &String, f: fn(Offer) -> bool| summary.offers.iter().any(|(p, o)| p == c && f(*o));
    let columns = v.matrix_columns();
    let lacking: Vec<&String> = columns
        .iter()
        .filter(|c| !has(c, |o| o.offered || o.is_problem()))
        .collect();
    let broken: Vec<&String> = columns
        .iter()
        .filter(|c| has(c, Offer::is_problem))
        .collect();
    if lacking.is_empty() && broken.is_empty() {
        spans.push(Span::styled(
            match columns.len() {
                1 => "  runs on its one platform".to_string(),
                n => format!("  runs on all {n} platforms"),
            },
            theme.platform(),
        ));
    } else if !lacking.is_empty() {
        let names: Vec<String> = lacking.iter().map(|c| sanitize(c).into_owned()).collect();
        spans.push(Span::raw(format!("  lacks {}", names.join(", "))));
    }
    if !broken.is_empty() {
        let names: Vec<String> = broken.iter().map(|c| sanitize(c).into_owned()).collect();
        spans.push(Span::styled(
            format!(
                "  broken: {} ({} shows why)",
                names.join(", "),
                crate::tui::keymap::hint(
                    crate::tui::keymap::Context::Tags,
                    crate::tui::action::Command::Open
                )
            ),
            theme.error(),
        ));
    }
    Line::from(spans)
}

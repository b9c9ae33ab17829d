//! The list views: registries, repositories (paged catalog), tags (lazily resolved rows).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::message;
use std::collections::HashMap;

use crate::analysis::{Target, Verdict};
use crate::digest;
use crate::model::Kind;
use crate::present::human_size;
use crate::sanitize::sanitize;
use crate::tui::layout::list_rows_in;
use crate::tui::list::Cursor;
use crate::tui::load::Load;
use crate::tui::paging::grouped;
use crate::tui::panes::severity_label;
use crate::tui::theme::Theme;
use crate::tui::views::{
    Catalog, Paging, RegistriesView, RepositoriesView, TagRow, TagSummary, TagsView,
};

/// ` /abc` after a title when a filter is set.
pub(super) fn filter_suffix(filter: &str) -> String {
    if filter.is_empty() {
        String::new()
    } else {
        format!(" /{}", sanitize(filter))
    }
}

pub(super) fn selected_style(cursor: &Cursor, i: usize, theme: Theme) -> Style {
    if i == cursor.selected {
        theme.selected()
    } else {
        Style::new()
    }
}

pub(super) fn registries(
    frame: &mut Frame,
    area: Rect,
    v: &RegistriesView,
    clock: u64,
    theme: Theme,
) {
    let entries = v.entries();
    let visible = v.visible();
    let title = format!(
        "registries ({}), recent ({}){}",
        v.names.len(),
        v.recent.len(),
        filter_suffix(&v.filter)
    );
    if visible.is_empty() {
        let text = if entries.is_empty() {
            "No registries known. Press : and type one (127.0.0.1:5000, ghcr.io)."
        } else {
            "Nothing matches the filter. Esc clears it."
        };
        message(frame, area, &title, vec![Line::raw(text)]);
        return;
    }
    let height = list_rows_in(area);
    let rows = v.cursor.window(visible.len(), height).map(|i| {
        let entry = entries[visible[i]];
        let note = if entry.recent {
            let age = v
                .recent_at
                .get(entry.target)
                .filter(|_| clock > 0)
                .map(|&at| format!(", {}", crate::tui::recent::age(clock, at)))
                .unwrap_or_default();
            Span::styled(format!("recent{age}"), theme.dim())
        } else {
            // The source names a file or helper, never a secret; paths are sanitised anyway.
            match v.source(entry.target) {
                Some(source) => Span::raw(sanitize(source).into_owned()),
                None => Span::styled("config file (no credentials)", theme.dim()),
            }
        };
        Row::new([
            Cell::from(sanitize(entry.target).into_owned()),
            Cell::from(note),
        ])
        .style(selected_style(&v.cursor, i, theme))
    });
    frame.render_widget(
        Table::new(rows, [Constraint::Fill(3), Constraint::Fill(2)])
            .header(Row::new(["REGISTRY / REFERENCE", "CREDENTIALS"]).style(theme.bold()))
            .block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

pub(super) fn repositories(frame: &mut Frame, area: Rect, v: &RepositoriesView, theme: Theme) {
    let registry = sanitize(&v.registry);
    let catalog = match &v.load {
        Load::Idle | Load::Loading(_) => {
            let text = format!("Loading the catalog of {registry}…");
            message(
                frame,
                area,
                "repositories",
                vec![Line::styled(text, theme.dim())],
            );
            return;
        }
        Load::Error(e) => {
            let mut lines = vec![
                Line::raw(format!("{registry} did not list its repositories:")),
                Line::styled(sanitize(&e.to_string()).into_owned(), theme.error()),
            ];
            // Only a registry that answered can be one that refuses the catalog; a closed
            // port, a TLS failure or a timeout is not fixed by typing a repository.
            if e.refused_by_registry() {
                lines.extend([
                    Line::raw(""),
                    Line::raw("Many registries (Docker Hub, ECR, GHCR) do not offer the catalog."),
                    Line::from(vec![
                        Span::raw("Press "),
                        Span::styled(":", theme.key()),
                        Span::raw(" and type a repository (team/app) to open it."),
                    ]),
                ]);
            }
            message(frame, area, "repositories", lines);
            return;
        }
        Load::Loaded(c) => c,
    };
    let visible = v.visible();
    let more = match &catalog.next {
        Paging::Done => "",
        Paging::Stopped(_) => ", cut short",
        Paging::More | Paging::Loading(_) | Paging::Failed(_) => ", more…",
    };
    // Where the list came from when not the catalog: `from the Docker Hub API: ...`.
    let from = catalog
        .origin
        .as_ref()
        .map(|o| format!(" from {}", sanitize(&o.source)))
        .unwrap_or_default();
    let title = format!(
        "repositories ({}{more}){}{from}",
        grouped(catalog.names.len()),
        filter_suffix(&v.filter)
    );
    if visible.is_empty() {
        let text = if catalog.filling() {
            format!(
                "No repository matches yet; searching the rest of the catalog ({} loaded so far)…",
                grouped(catalog.names.len())
            )
        } else if catalog.names.is_empty() {
            format!("{registry} lists no repositories. Press : and type one (team/app).")
        } else {
            "No repository matches the filter. Esc clears it.".to_string()
        };
        message(frame, area, &title, vec![Line::raw(text)]);
        return;
    }
    let height = list_rows_in(area);
    let window = v.cursor.window(visible.len(), height);
    let mut rows: Vec<Row> = window
        .clone()
        .map(|i| {
            let name = &catalog.names[visible[i]];
            let detail = catalog.details.get(name).cloned().unwrap_or_default();
            Row::new([
                Cell::from(sanitize(name).into_owned()),
                Cell::from(Span::styled(sanitize(&detail).into_owned(), theme.dim())),
            ])
            .style(selected_style(&v.cursor, i, theme))
        })
        .collect();
    // The paging row and what could not be listed show once the list end is on screen.
    if window.end == visible.len() && rows.len() < height {
        if let Some((text, style)) = paging_row(catalog, theme) {
            rows.push(Row::new([Cell::from(text)]).style(style));
        }
        for gap in catalog.origin.iter().flat_map(|o| &o.gaps) {
            if rows.len() < height {
                let text = format!("could not list {}", sanitize(gap));
                rows.push(Row::new([Cell::from(text)]).style(theme.error()));
            }
        }
    }
    let (widths, header) = repository_columns(catalog);
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.bold()))
            .block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

/// The columns: ECR's DescribeRepositories and the Hub's and GitHub's APIs say more of each
/// repository than the catalog.
fn repository_columns(catalog: &Catalog) -> (Vec<Constraint>, Vec<&'static str>) {
    if catalog.details.is_empty() {
        return (vec![Constraint::Fill(1)], vec!["REPOSITORY"]);
    }
    let detail = if catalog.origin.is_some() {
        "VISIBILITY, UPDATED"
    } else {
        "SETTINGS (DescribeRepositories)"
    };
    (
        vec![Constraint::Fill(1), Constraint::Fill(1)],
        vec!["REPOSITORY", detail],
    )
}

/// The row under the last repository: more to load, loading, failed, or cut short.
fn paging_row(catalog: &Catalog, theme: Theme) -> Option<(String, Style)> {
    let row = match &catalog.next {
        Paging::Done => return None,
        Paging::More => ("more… (G loads them all)".to_string(), theme.dim()),
        Paging::Loading(_) if catalog.filling() => (
            format!(
                "loading repositories: {} so far…",
                grouped(catalog.names.len())
            ),
            theme.dim(),
        ),
        Paging::Loading(_) => ("loading more…".to_string(), theme.dim()),
        Paging::Stopped(stop) => (format!("{} (r reloads)", stop.describe()), theme.error()),
        Paging::Failed(e) => (
            format!(
                "the next page failed: {} (r reloads)",
                sanitize(&e.to_string())
            ),
            theme.error(),
        ),
    };
    Some(row)
}

pub(super) fn repositories_status(v: &RepositoriesView, theme: Theme) -> Line<'static> {
    match v.load.loaded() {
        Some(c) => {
            let loaded = grouped(c.names.len());
            let mut text = if v.filter.is_empty() {
                let noun = if c.names.len() == 1 {
                    "repository"
                } else {
                    "repositories"
                };
                format!(" {loaded} {noun} loaded")
            } else {
                format!(
                    " {} of {loaded} loaded repositories match",
                    grouped(v.visible().len()),
                )
            };
            match &c.next {
                Paging::Done => {}
                _ if c.filling() => text.push_str("; loading the rest…"),
                Paging::More | Paging::Loading(_) => {
                    text.push_str("; scroll down for more, G for all");
                }
                Paging::Failed(_) => text.push_str("; the next page failed (r reloads)"),
                Paging::Stopped(stop) => text.push_str(&format!("; {}", stop.describe())),
            }
            Line::styled(text, theme.dim())
        }
        None => Line::raw(""),
    }
}

/// The tag table. `clock` (seconds since the epoch, 0 unknown) and `offset` (seconds east of
/// UTC) turn the CREATED column into ages and local dates.
pub(super) fn tags(
    frame: &mut Frame,
    area: Rect,
    v: &TagsView,
    (clock, offset): (u64, i32),
    theme: Theme,
) {
    let name = v.crumb();
    let rows = match &v.load {
        Load::Idle | Load::Loading(_) => {
            let text = match v.listing_progress {
                Some((pages, names)) => format!(
                    "Loading the tags of {name}… {} so far, {pages} pages (one round trip each)",
                    grouped(names)
                ),
                None => format!("Loading the tags of {name}…"),
            };
            message(frame, area, "tags", vec![Line::styled(text, theme.dim())]);
            return;
        }
        Load::Error(e) => {
            let lines = vec![
                Line::raw(format!("The tags of {name} could not be listed:")),
                Line::styled(sanitize(&e.to_string()).into_owned(), theme.error()),
                Line::raw(""),
                Line::raw("r retries; Esc goes back."),
            ];
            message(frame, area, "tags", lines);
            return;
        }
        Load::Loaded(rows) => rows,
    };
    if v.matrix {
        super::matrix::matrix(frame, area, v, rows, theme);
        return;
    }
    let visible = v.visible();
    let attachment_tags = v.attachment_tag_count();
    let title = format!(
        "tags of {name} ({}{}, {}{}){}",
        grouped(rows.len()),
        if v.truncated.is_some() {
            " shown, the list is incomplete"
        } else {
            ""
        },
        v.sort.label(),
        match (attachment_tags, v.hides_attachment_tags()) {
            (0, _) => String::new(),
            (n, true) => format!(", {} hidden: a", attachment_tags_phrase(n)),
            (n, false) => format!(", {}", attachment_tags_phrase(n)),
        },
        filter_suffix(&v.filter)
    ) + &v
        .stale
        .as_ref()
        .map(|s| format!(" · from cache: {}", s.why))
        .unwrap_or_default();
    if visible.is_empty() {
        let text = if rows.is_empty() {
            format!("{name} has no tags.")
        } else if v.filter.trim().is_empty() {
            format!("{name} has only attachment tags ({attachment_tags}); a lists them.")
        } else {
            "No tag matches the filter. Esc clears it.".to_string()
        };
        message(frame, area, &title, vec![Line::raw(text)]);
        return;
    }
    let counts = v.digest_counts();
    let height = list_rows_in(area);
    let window = v.cursor.window(visible.len(), height);
    // With a target the verdict takes the digest's room below 100 columns (the status line
    // still shows the selected tag's digest in full).
    let columns = Columns {
        digest: v.target.is_none() || area.width >= 100,
        verdict: v.target.is_some(),
        // At 80 columns the platforms need the room; wider terminals get the date.
        created: area.width >= 100,
        clock,
        offset,
    };
    let verdict_width = window
        .clone()
        .filter_map(|i| rows[visible[i]].shown().loaded()?.verdict.as_ref())
        .map(verdict_text)
        .chain(v.target.iter().map(ToString::to_string))
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0);
    let table_rows = window.map(|i| {
        let row = &rows[visible[i]];
        Row::new(tag_cells(row, &counts, columns, theme)).style(selected_style(&v.cursor, i, theme))
    });
    let (widths, header) = tag_columns(columns, v.target.as_ref(), verdict_width);
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.bold()))
            .block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

/// One tag row's cells: what it resolved to, or that it is resolving or failed.
fn tag_cells(
    row: &TagRow,
    counts: &HashMap<&str, usize>,
    columns: Columns,
    theme: Theme,
) -> Vec<Cell<'static>> {
    let tag = Cell::from(tag_label(row, theme));
    // Without the digest column, the loading and error words move one column left.
    let gap = || columns.digest.then(|| Cell::from(""));
    match row.shown() {
        Load::Idle => vec![tag],
        Load::Loading(_) => [Some(tag), Some(Cell::from(""))]
            .into_iter()
            .chain([
                (!columns.digest).then(|| Cell::from("")),
                Some(Cell::from(Span::styled("resolving…", theme.dim()))),
            ])
            .flatten()
            .collect(),
        Load::Error(e) => [
            Some(tag),
            Some(Cell::from("")),
            Some(Cell::from(Span::styled("error", theme.error()))),
            gap(),
            Some(Cell::from(Span::styled(
                sanitize(&e.to_string()).into_owned(),
                theme.error(),
            ))),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Load::Loaded(s) => {
            let alias = counts.get(s.digest.as_str()).copied().unwrap_or(0) > 1;
            summary_cells(tag, s, alias, columns, theme)
        }
    }
}

/// The tag, with what changed about it at a refresh (`moved`, `new`, `gone`, `deleted`) or
/// `stale` when its last check failed.
fn tag_label(row: &TagRow, theme: Theme) -> Line<'static> {
    let tag = Span::raw(sanitize(&row.tag).into_owned());
    match row.mark_word() {
        "" => Line::from(tag),
        word => Line::from(vec![tag, Span::styled(format!(" {word}"), theme.error())]),
    }
}

/// The tag table's column widths and headings; the verdict column is headed by the target.
fn tag_columns(
    columns: Columns,
    target: Option<&Target>,
    verdict_width: usize,
) -> (Vec<Constraint>, Vec<String>) {
    let mut widths = vec![
        Constraint::Fill(3),
        Constraint::Length(1),
        Constraint::Length(16),
        Constraint::Length(5),
        Constraint::Fill(2),
        Constraint::Length(4),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(10),
    ];
    let mut header = vec![
        "TAG".to_string(),
        String::new(),
        "DIGEST".into(),
        "KIND".into(),
        "PLATFORMS".into(),
        "ATT".into(),
        "SIZE".into(),
        "WORST".into(),
        "CREATED".into(),
    ];
    if !columns.created {
        widths.pop();
        header.pop();
    }
    if !columns.digest {
        widths.remove(2);
        header.remove(2);
    }
    if let Some(target) = target {
        widths.push(Constraint::Length(
            u16::try_from(verdict_width).unwrap_or(u16::MAX),
        ));
        header.push(target.to_string().to_uppercase());
    }
    (widths, header)
}

/// Which optional columns the tag table has, and what the CREATED column needs.
#[derive(Debug, Clone, Copy)]
struct Columns {
    digest: bool,
    verdict: bool,
    created: bool,
    clock: u64,
    offset: i32,
}

/// `runs`, `rejected: index`.
fn verdict_text(verdict: &Verdict) -> String {
    verdict.to_string()
}

fn summary_cells<'a>(
    tag: Cell<'a>,
    s: &TagSummary,
    alias: bool,
    columns: Columns,
    theme: Theme,
) -> Vec<Cell<'a>> {
    let kind = match s.kind {
        Kind::Index => "index",
        Kind::Manifest => "image",
        other => other.as_str(),
    };
    let worst = match s.worst {
        Some(sev) => Span::styled(severity_label(sev), theme.severity(sev)),
        None => Span::styled("ok", theme.dim()),
    };
    let mut cells = vec![
        tag,
        Cell::from(Span::styled(if alias { "≡" } else { "" }, theme.info())),
        Cell::from(digest::short(&s.digest)),
        Cell::from(kind),
        Cell::from(platforms_line(s, theme)),
        Cell::from(Span::styled(s.badges.letters(), theme.info())),
        Cell::from(human_size(s.total_size)),
        Cell::from(worst),
    ];
    if columns.created {
        cells.push(Cell::from(Span::styled(
            crate::tui::when::created_label(s.created.as_deref(), columns.clock, columns.offset),
            theme.dim(),
        )));
    }
    if !columns.digest {
        cells.remove(2);
    }
    if columns.verdict {
        cells.push(Cell::from(match &s.verdict {
            Some(v @ Verdict::Runs) => Span::styled(verdict_text(v), theme.platform()),
            Some(v @ Verdict::Rejected(_)) => Span::styled(verdict_text(v), theme.error()),
            None => Span::raw(""),
        }));
    }
    cells
}

/// The platforms an image offers, then those its index lists but the registry no longer has,
/// marked as the matrix marks them (`amd64 ✗arm64`; the status line says it in words): a
/// deleted child is never silently dropped from the row.
fn platforms_line(s: &TagSummary, theme: Theme) -> Line<'static> {
    let all_linux = s
        .platforms
        .iter()
        .chain(&s.deleted)
        .all(|p| p.starts_with("linux/"));
    let mut spans = vec![Span::styled(
        platforms_label(&s.platforms, all_linux),
        theme.platform(),
    )];
    for (i, p) in s.deleted.iter().enumerate() {
        let gap = if i == 0 && s.platforms.is_empty() {
            ""
        } else {
            " "
        };
        spans.push(Span::styled(
            format!(
                "{gap}✗{}",
                platforms_label(std::slice::from_ref(p), all_linux)
            ),
            theme.error(),
        ));
    }
    Line::from(spans)
}

/// `amd64 arm64/v8` when every platform is Linux (the usual case, and it fits 80 columns);
/// the full `os/arch` list otherwise.
fn platforms_label(platforms: &[String], all_linux: bool) -> String {
    let labels: Vec<String> = if all_linux {
        platforms
            .iter()
            .map(|p| p.trim_start_matches("linux/").to_string())
            .collect()
    } else {
        platforms.to_vec()
    };
    sanitize(&labels.join(" ")).into_owned()
}

/// Aliases the status line names before it counts the rest.
const ALIASES_NAMED: usize = 3;

/// `when`: the clock and the UTC offset, for when a changed tag was last seen.
pub(super) fn tags_status(v: &TagsView, theme: Theme, when: (u64, i32)) -> Line<'static> {
    let Some(rows) = v.load.loaded() else {
        return Line::raw("");
    };
    let visible = v.visible();
    let Some(&index) = visible.get(v.cursor.selected) else {
        return Line::styled(
            format!(
                " {} {}",
                grouped(rows.len()),
                if rows.len() == 1 { "tag" } else { "tags" }
            ),
            theme.dim(),
        );
    };

    let row = &rows[index];
    let mut spans = vec![Span::styled(
        format!(" {}", sanitize(&row.tag)),
        theme.bold(),
    )];
    match row.shown() {
        Load::Loaded(s) => {
            if let Some(text) = change_text(row, s, when) {
                spans.push(Span::styled(text, theme.error()));
            }
            let aliases = v.aliases(index);
            if !aliases.is_empty() {
                // Thousands of tags can share a digest: name a few, count the rest.
                let mut names: Vec<String> = aliases
                    .iter()
                    .take(ALIASES_NAMED)
                    .map(|a| sanitize(a).into_owned())
                    .collect();
                if aliases.len() > ALIASES_NAMED {
                    names.push(format!(
                        "and {} more",
                        grouped(aliases.len() - ALIASES_NAMED)
                    ));
                }
                spans.push(Span::styled(
                    format!("  ≡ same digest as {}", names.join(", ")),
                    theme.info(),
                ));
            }
            // Before the digest, which may not fit: the index lists these, the registry lost them.
            if !s.deleted.is_empty() {
                spans.push(Span::styled(
                    format!("  ✗ {} deleted", sanitize(&s.deleted.join(", "))),
                    theme.error(),
                ));
            }
            spans.push(Span::raw(format!("  {}", sanitize(&s.digest))));
        }
        // The row has room for a few words of the error; the status line has room for it all.
        Load::Error(e) => spans.push(Span::styled(
            format!("  {}", sanitize(&e.to_string())),
            theme.error(),
        )),
        Load::Loading(_) => spans.push(Span::styled("  resolving…", theme.dim())),
        Load::Idle => {}
    }
    Line::from(spans)
}

/// What changed about the selected tag, before its digest: `moved from sha256:ab12…, now`,
/// `gone from the list (last seen 14 min ago); it pointed at`.
fn change_text(row: &TagRow, s: &TagSummary, (now, offset): (u64, i32)) -> Option<String> {
    use crate::tui::views::tags::Change;
    let seen = || crate::tui::fresh::seen(s.inspected.checked, now, offset);
    match row.mark.as_ref().map(|m| &m.change) {
        Some(Change::Moved { from }) => Some(format!("  moved from {}, now", digest::short(from))),
        Some(Change::Gone) => Some(format!(
            "  gone from the list (last seen {}); it pointed at",
            seen()
        )),
        Some(Change::Deleted) => Some(format!(
            "  deleted: its manifest is not found (last seen {}); it pointed at",
            seen()
        )),
        Some(Change::New) => Some("  new since the last refresh:".into()),
        None => row
            .unconfirmed()
            .map(|why| format!("  stale: {why} (last seen {});", seen())),
    }
}

/// `1 attachment tag`, `12 attachment tags`.
fn attachment_tags_phrase(n: usize) -> String {
    format!(
        "{} attachment tag{}",
        grouped(n),
        if n == 1 { "" } else { "s" }
    )
}

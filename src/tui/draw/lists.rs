//! The list views: registries, repositories (paged catalog), tags (lazily resolved rows).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::message;
use super::rows::{filter_suffix, selected_style};
use crate::tui::action::Command;
use crate::tui::keymap::{hint, Context};
use std::collections::HashMap;

use crate::analysis::Verdict;
use crate::digest;
use crate::history::MovedWhen;
use crate::model::Kind;
use crate::present::human_size;
use crate::reference::ImageRef;
use crate::sanitize::sanitize;
use crate::tui::layout::list_rows_in;
use crate::tui::load::Load;
use crate::tui::paging::grouped;
use crate::tui::panes::severity_label;
use crate::tui::theme::Theme;
use crate::tui::views::{
    Catalog, Paging, RegistriesView, RepositoriesView, TagRow, TagSummary, TagsView,
};

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
        Load::Loaded(c) | Load::Refreshing(c, _) => c,
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
        Paging::More => (
            format!(
                "more… ({} loads them all)",
                hint(Context::List, Command::Bottom)
            ),
            theme.dim(),
        ),
        Paging::Loading(_) if catalog.filling() => (
            format!(
                "loading repositories: {} so far…",
                grouped(catalog.names.len())
            ),
            theme.dim(),
        ),
        Paging::Loading(_) => ("loading more…".to_string(), theme.dim()),
        Paging::Stopped(stop) => (
            format!(
                "{} ({} reloads)",
                stop.describe(),
                hint(Context::List, Command::Refresh)
            ),
            theme.error(),
        ),
        Paging::Failed(e) => (
            format!(
                "the next page failed: {} ({} reloads)",
                sanitize(&e.to_string()),
                hint(Context::List, Command::Refresh)
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
                    text.push_str(&format!(
                        "; scroll down for more, {} for all",
                        hint(Context::List, Command::Bottom)
                    ));
                }
                Paging::Failed(_) => text.push_str(&format!(
                    "; the next page failed ({} reloads)",
                    hint(Context::List, Command::Refresh)
                )),
                Paging::Stopped(stop) => text.push_str(&format!("; {}", stop.describe())),
            }
            Line::styled(text, theme.dim())
        }
        None => Line::raw(""),
    }
}

/// `, 3 attachment tags hidden: a` after the tags title (the key from the key map).
fn attachment_note(attachment_tags: usize, hidden: bool) -> String {
    match (attachment_tags, hidden) {
        (0, _) => String::new(),
        (n, true) => format!(
            ", {} hidden: {}",
            attachment_tags_phrase(n),
            hint(Context::Tags, Command::AttachmentTags)
        ),
        (n, false) => format!(", {}", attachment_tags_phrase(n)),
    }
}

/// The tag table. `clock` (seconds since the epoch, 0 unknown) and `offset` (seconds east of
/// UTC) turn the CREATED column into ages and local dates.
pub(super) fn tags(
    frame: &mut Frame,
    area: Rect,
    v: &TagsView,
    (clock, offset): (u64, i32),
    marked: Option<&ImageRef>,
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
        Load::Loaded(rows) | Load::Refreshing(rows, _) => rows,
    };
    if v.matrix {
        super::matrix::matrix(frame, area, (v, marked), rows, theme);
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
        attachment_note(attachment_tags, v.hides_attachment_tags()),
        filter_suffix(&v.filter)
    ) + &title_notes(v, rows);
    if visible.is_empty() {
        let text = if rows.is_empty() {
            format!("{name} has no tags.")
        } else if v.filter.trim().is_empty() {
            format!(
                "{name} has only attachment tags ({attachment_tags}); {} lists them.",
                hint(Context::Tags, Command::AttachmentTags)
            )
        } else {
            "No tag matches the filter. Esc clears it.".to_string()
        };
        message(frame, area, &title, vec![Line::raw(text)]);
        return;
    }
    let counts = v.digest_counts();
    let height = list_rows_in(area);
    let window = v.cursor.window(visible.len(), height);
    let verdict_width = window
        .clone()
        .filter_map(|i| rows[visible[i]].shown().loaded()?.verdict.as_ref())
        .map(verdict_text)
        .chain(v.target.iter().map(ToString::to_string))
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0);
    let target = v
        .target
        .as_ref()
        .map(|t| t.to_string().to_uppercase())
        .unwrap_or_default();
    let (shown, widths) = tag_table_columns(v, area.width, verdict_width, &target);
    let when = (clock, offset);
    let table_rows = window.map(|i| {
        let row = &rows[visible[i]];
        let marked = marked == Some(&v.reference(&row.tag));
        let listed = v.stand_in(&row.tag);
        let pushed = v.described(&row.tag).and_then(|t| t.pushed.as_deref());
        let cells = tag_cells((row, marked, listed, pushed), &counts, &shown, when, theme);
        let cells = cells.into_iter().zip(&widths).map(|(line, &w)| {
            // A cell wider than its column ends in `…` (the status line has the whole).
            Cell::from(crate::tui::wrap::fit(line, usize::from(w)))
        });
        Row::new(cells).style(selected_style(&v.cursor, i, theme))
    });
    let header = shown.iter().map(|c| match c {
        Col::Verdict => target.clone(),
        other => other.heading().to_string(),
    });
    frame.render_widget(
        Table::new(table_rows, widths.iter().map(|&w| Constraint::Length(w)))
            .flex(ratatui::layout::Flex::Start)
            .header(Row::new(header).style(theme.bold()))
            .block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

/// ` · from cache: why` when the listing failed; ` · dim figures from Hub's tag list` when
/// rows show the service's figures (not resolved).
fn title_notes(v: &TagsView, rows: &[TagRow]) -> String {
    let mut notes = v
        .stale
        .as_ref()
        .map(|s| format!(" · from cache: {}", s.why))
        .unwrap_or_default();
    if let Some(d) = v.described.as_ref().filter(|d| d.stands_in) {
        if rows
            .iter()
            .any(|r| r.shown().is_idle() && d.tags.contains_key(&r.tag))
        {
            notes.push_str(&format!(" · dim figures from {}", d.by));
        }
    }
    notes
}

/// The tag table's columns at `width` and their widths. With a target the verdict takes the
/// digest's room below 100 columns (the status line still shows the selected tag's digest in
/// full); at 80 columns the platforms need the room the date would take. PUSHED where the
/// service's tag list gave push times, width permitting.
fn tag_table_columns(
    v: &TagsView,
    width: u16,
    verdict_width: usize,
    target: &str,
) -> (Vec<Col>, Vec<u16>) {
    let mut shown = vec![Col::Tag, Col::Alias];
    if v.target.is_none() || width >= 100 {
        shown.push(Col::Digest);
    }
    shown.extend([Col::Kind, Col::Platforms, Col::Att, Col::Size, Col::Worst]);
    if v.described
        .as_ref()
        .is_some_and(|d| d.tags.values().any(|t| t.pushed.is_some()))
    {
        shown.push(Col::Pushed);
    }
    if width >= 100 {
        shown.push(Col::Created);
    }
    if v.target.is_some() {
        shown.push(Col::Verdict);
    }
    fit_columns(shown, width.saturating_sub(2), verdict_width, target)
}

/// A column of the tag table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Tag,
    /// `≡` when another tag shares the digest.
    Alias,
    Digest,
    Kind,
    Platforms,
    Att,
    Size,
    Worst,
    /// When the service's tag list says the tag was pushed (`3 d ago`).
    Pushed,
    Created,
    /// Headed by the target.
    Verdict,
}

impl Col {
    fn heading(self) -> &'static str {
        match self {
            Col::Tag => "TAG",
            Col::Alias | Col::Verdict => "",
            Col::Digest => "DIGEST",
            Col::Kind => "KIND",
            Col::Platforms => "PLATFORMS",
            Col::Att => "ATT",
            Col::Size => "SIZE",
            Col::Worst => "WORST",
            Col::Pushed => "PUSHED",
            Col::Created => "CREATED",
        }
    }

    fn constraint(self, verdict_width: usize) -> Constraint {
        match self {
            Col::Tag => Constraint::Fill(3),
            Col::Alias => Constraint::Length(1),
            Col::Digest => Constraint::Length(16),
            // `index`; `S✓BPR` (the policy's mark beside the letters).
            Col::Kind | Col::Att => Constraint::Length(5),
            Col::Platforms => Constraint::Fill(2),
            Col::Size => Constraint::Length(9),
            Col::Worst => Constraint::Length(7),
            Col::Created | Col::Pushed => Constraint::Length(10),
            Col::Verdict => Constraint::Length(u16::try_from(verdict_width).unwrap_or(u16::MAX)),
        }
    }
}

/// Which columns give way, first to last, when a heading would be cut: the push time and
/// the digest (whole in the status line), then the date, the size, the attachment letters
/// and the kind.
const GIVE_WAY: [Col; 6] = [
    Col::Pushed,
    Col::Digest,
    Col::Created,
    Col::Size,
    Col::Att,
    Col::Kind,
];

/// The columns of `shown` that fit `width` with every heading whole (the tag and platforms
/// at least 8 wide), and their widths: columns give way in [`GIVE_WAY`] order rather than
/// show a heading cut mid-word.
fn fit_columns(
    mut shown: Vec<Col>,
    width: u16,
    verdict_width: usize,
    target: &str,
) -> (Vec<Col>, Vec<u16>) {
    let mut give_way = GIVE_WAY.iter();
    loop {
        let rects =
            ratatui::layout::Layout::horizontal(shown.iter().map(|c| c.constraint(verdict_width)))
                .flex(ratatui::layout::Flex::Start)
                .spacing(1)
                .split(Rect::new(0, 0, width, 1));
        let widths: Vec<u16> = rects.iter().map(|r| r.width).collect();
        let cut = shown.iter().zip(&widths).any(|(c, &w)| {
            let heading = match c {
                Col::Verdict => target.chars().count(),
                Col::Tag | Col::Platforms => c.heading().len().max(8),
                other => other.heading().len(),
            };
            usize::from(w) < heading
        });
        let next = cut.then(|| give_way.find(|c| shown.contains(c))).flatten();
        match next {
            Some(col) => shown.retain(|c| c != col),
            None => return (shown, widths),
        }
    }
}

/// One tag row's cells, one per column of `shown`: what it resolved to, or that it is
/// resolving (under the digest, else the platforms) or failed (`error` under the digest, else
/// the kind; the reason under the platforms); whatever its state, when the service's tag
/// list says it was `pushed`.
fn tag_cells(
    (row, marked, listed, pushed): (&TagRow, bool, Option<&crate::listing::Tag>, Option<&str>),
    counts: &HashMap<&str, usize>,
    shown: &[Col],
    when: (u64, i32),
    theme: Theme,
) -> Vec<Line<'static>> {
    let has = |c| shown.contains(&c);
    let cell = |col: Col| -> Line<'static> {
        if col == Col::Tag {
            return tag_label(row, marked, theme);
        }
        if col == Col::Pushed {
            return Line::styled(
                crate::tui::when::pushed_label(pushed, when.0, when.1),
                theme.dim(),
            );
        }
        match row.shown() {
            Load::Idle => match (&row.logged_gone, listed) {
                // The push time has its own column: CREATED is the image's, not yet read.
                (None, Some(_)) if col == Col::Created && has(Col::Pushed) => Line::default(),
                (Some((digest, _)), _) if col == Col::Platforms => Line::styled(
                    format!("gone: was {}", digest::short(digest)),
                    theme.error(),
                ),
                (None, Some(t)) => listed_cell(col, t, when, theme),
                _ => Line::default(),
            },
            Load::Loading(_) => {
                let here = if has(Col::Digest) {
                    Col::Digest
                } else {
                    Col::Platforms
                };
                if col == here {
                    Line::styled("resolving…", theme.dim())
                } else {
                    Line::default()
                }
            }
            Load::Error(e) => {
                let word = if has(Col::Digest) {
                    Col::Digest
                } else {
                    Col::Kind
                };
                if col == word {
                    Line::styled("error", theme.error())
                } else if col == Col::Platforms {
                    // The cause in a few words; the status line has the whole sentence.
                    Line::styled(crate::tui::fresh::reason(e), theme.error())
                } else {
                    Line::default()
                }
            }
            Load::Loaded(s) | Load::Refreshing(s, _) => {
                let alias = counts.get(s.digest.as_str()).copied().unwrap_or(0) > 1;
                summary_cell(col, s, alias, when, theme)
            }
        }
    };
    shown.iter().map(|&c| cell(c)).collect()
}

/// A cell of a row not resolved, from the service's tag list (digest, platforms, size, push
/// time): dim, as the title says where the figures came from.
fn listed_cell(
    col: Col,
    t: &crate::listing::Tag,
    (clock, offset): (u64, i32),
    theme: Theme,
) -> Line<'static> {
    let text = match col {
        Col::Digest => t.digest.as_deref().map(digest::short).unwrap_or_default(),
        Col::Platforms => {
            let all_linux = t.platforms.iter().all(|p| p.starts_with("linux/"));
            platforms_label(&t.platforms, all_linux)
        }
        Col::Size => t
            .size
            .map(|n| human_size(i64::try_from(n).unwrap_or(i64::MAX)))
            .unwrap_or_default(),
        Col::Created => crate::tui::when::created_label(t.pushed.as_deref(), clock, offset),
        _ => String::new(),
    };
    Line::styled(text, theme.dim())
}

/// The tag, marked when `x` chose it for `=`, with what changed about it at a refresh (`moved`, `new`, `gone`, `deleted`) or
/// `stale` when its last check failed.
fn tag_label(row: &TagRow, marked: bool, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(sanitize(&row.tag).into_owned())];
    // `x` marked it: `=` on another row compares with it, so it stays in sight.
    if marked {
        spans.push(Span::styled(" ⇄ marked", theme.key()));
    }
    match row.mark_word() {
        "" => {}
        word => spans.push(Span::styled(format!(" {word}"), theme.error())),
    }
    Line::from(spans)
}

/// `runs`, `rejected: index`.
fn verdict_text(verdict: &Verdict) -> String {
    verdict.to_string()
}

/// The `col` cell of a resolved tag.
fn summary_cell(
    col: Col,
    s: &TagSummary,
    alias: bool,
    (clock, offset): (u64, i32),
    theme: Theme,
) -> Line<'static> {
    match col {
        // The tag and its push time are drawn whatever the row's state.
        Col::Tag | Col::Pushed => Line::default(),
        Col::Alias => Line::styled(if alias { "≡" } else { "" }, theme.info()),
        Col::Digest => Line::raw(digest::short(&s.digest)),
        Col::Kind => Line::raw(match s.kind {
            Kind::Index => "index",
            Kind::Manifest => "image",
            other => other.as_str(),
        }),
        Col::Platforms => platforms_line(s, theme),
        Col::Att => Line::styled(
            s.badges.letters(),
            match s.badges.policy {
                crate::verify::Mark::Verified => theme.platform(),
                crate::verify::Mark::Failed => theme.error(),
                crate::verify::Mark::Unknown => theme.info(),
            },
        ),
        Col::Size => Line::raw(human_size(s.total_size)),
        Col::Worst => match s.worst {
            Some(sev) => Line::styled(severity_label(sev), theme.severity(sev)),
            None => Line::styled("ok", theme.dim()),
        },
        Col::Created => Line::styled(
            crate::tui::when::created_label(s.created.as_deref(), clock, offset),
            theme.dim(),
        ),
        Col::Verdict => match &s.verdict {
            Some(v @ Verdict::Runs) => Line::styled(verdict_text(v), theme.platform()),
            Some(v @ Verdict::Rejected(_)) => Line::styled(verdict_text(v), theme.error()),
            None => Line::default(),
        },
    }
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
        Load::Loaded(s) | Load::Refreshing(s, _) => {
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
            spans.extend(service_spans(v, &row.tag, theme));
            spans.push(Span::raw(format!("  {}", sanitize(&s.digest))));
        }
        // The row has room for a few words of the error; the status line has room for it all.
        Load::Error(e) => spans.push(Span::styled(
            format!("  {}", sanitize(&e.to_string())),
            theme.error(),
        )),
        Load::Loading(_) => spans.push(Span::styled("  resolving…", theme.dim())),
        Load::Idle => {
            if let (None, Some(t), Some(by)) = (
                &row.logged_gone,
                v.stand_in(&row.tag),
                v.described.as_ref().map(|d| d.by),
            ) {
                // Before the digest, which may not fit.
                let pushed = t
                    .pushed
                    .as_deref()
                    .map(|p| format!("pushed {}, ", sanitize(p)));
                spans.push(Span::styled(
                    format!(
                        "  {}from {by}; Enter reads the manifests",
                        pushed.unwrap_or_default()
                    ),
                    theme.dim(),
                ));
                spans.push(Span::raw(format!(
                    "  {}",
                    sanitize(t.digest.as_deref().unwrap_or_default())
                )));
            }
            if let Some((digest, at)) = &row.logged_gone {
                let (now, offset) = when;
                spans.push(Span::styled(
                    format!(
                        "  gone: was {} (last seen {})",
                        sanitize(digest),
                        crate::tui::fresh::seen(*at, now, offset)
                    ),
                    theme.error(),
                ));
            }
        }
    }
    Line::from(spans)
}

/// What the service's own API said of a resolved row's tag (its push time, the registry's
/// vulnerability scan), which the image's config cannot say.
fn service_spans(v: &TagsView, tag: &str, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let Some(t) = v.described(tag) else {
        return spans;
    };
    if let (Some(pushed), Some(by)) = (t.pushed.as_deref(), v.described.as_ref().map(|d| d.by)) {
        spans.push(Span::styled(
            format!("  pushed {} ({by})", sanitize(pushed)),
            theme.dim(),
        ));
    }
    if let Some(scan) = t.scan.as_deref() {
        spans.push(Span::styled(
            format!("  scan: {}", sanitize(scan)),
            theme.dim(),
        ));
    }
    spans
}

/// What changed about the selected tag, before its digest: `moved from sha256:ab12…, now`,
/// `gone from the list (last seen 14 min ago); it pointed at`.
fn change_text(row: &TagRow, s: &TagSummary, (now, offset): (u64, i32)) -> Option<String> {
    use crate::tui::views::tags::Change;
    let seen = || crate::tui::fresh::seen(s.inspected.checked, now, offset);
    match row.mark.as_ref().map(|m| &m.change) {
        Some(Change::Moved { from }) => Some(match &row.logged_move {
            // From the log (maybe another run's sightings): only as exact as it knows.
            Some((logged, when)) if logged == from => {
                let seen = |t| crate::tui::fresh::seen(t, now, offset);
                match *when {
                    MovedWhen::Pushed(at) => format!(
                        "  moved {} from {} (the registry's push time), now",
                        seen(at),
                        digest::short(from)
                    ),
                    // Sightings closer than the ages show (`just now` twice): one age says it.
                    MovedWhen::Between(after, before) if seen(after) == seen(before) => {
                        format!("  moved {} from {}, now", seen(before), digest::short(from))
                    }
                    MovedWhen::Between(after, before) => format!(
                        "  moved from {} between {} and {}, now",
                        digest::short(from),
                        seen(after),
                        seen(before)
                    ),
                }
            }
            // On first open: the log saw it elsewhere then; it moved some time since.
            _ => match row.moved_since {
                Some(at) => format!(
                    "  moved from {} (last seen there {}), now",
                    digest::short(from),
                    crate::tui::fresh::seen(at, now, offset)
                ),
                None => format!("  moved from {}, now", digest::short(from)),
            },
        }),
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

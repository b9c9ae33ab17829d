//! Drawing: a pure function of [`App`]; no state is changed while rendering.
//!
//! ```text
//! ┌──────────────────────────────────────────────────────────────────────────────┐
//! │ regscope  127.0.0.1:5000 › team/app › v7                            (header) │
//! │┌ tags of team/app (3) ──────────────────────────────────────────────────────┐│
//! ││ TAG   DIGEST            KIND  PLATFORMS      ATT  SIZE      WORST         ││  list views:
//! ││ v7  ≡ sha256:db8f2a6e…  index amd64 arm64      2  11.0 KiB  info          ││  one table
//! │└────────────────────────────────────────────────────────────────────────────┘│
//! │┌ tree ─────────────────────────────┐┌ detail ────────────────────────────────┐│
//! ││ ▾ index  sha256:db8f2a6e…         ││ kind, digest, size, platform,          ││  tree view:
//! ││ ├─▸ linux/amd64  sha256:da8b1906… ││ config summary, statement summary,     ││  tree | detail
//! ││ └─▸ attestation for linux/amd64   ││ annotations                            ││  over findings
//! │└───────────────────────────────────┘└────────────────────────────────────────┘│  (`v`: raw JSON
//! │┌ findings ──────────────────────────────────────────────────────────────────┐│   takes the body)
//! ││ info  attestation-manifest  message / fix                                  ││
//! │└────────────────────────────────────────────────────────────────────────────┘│
//! │ status: selection detail, or the input line (`/` filter, `:` open)  (status) │
//! │ Enter open  / filter  Esc back  : open…  r refresh  ? help  q quit  (footer) │
//! └──────────────────────────────────────────────────────────────────────────────┘
//! ```
//! The help overlay (`?`) is drawn centred over everything. Every string that came from a
//! registry passes through `sanitize` before it reaches a widget.

mod files;
mod history;
mod images;
mod lists;
mod matrix;
mod rows;
mod tree;

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::action::Command;
use super::app::{App, InputKind, TARGET_CHOICES};
use super::complete;
use super::help;
use super::layout::{screen, Screen};
use super::theme::Theme;
use super::views::View;
use crate::present::count;
use crate::sanitize::sanitize;

/// Renders the whole screen for `app`.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let Screen {
        header,
        body,
        status,
        footer,
    } = screen(frame.area());
    draw_header(frame, header, app, theme);
    match app.top() {
        View::Registries(v) => lists::registries(frame, body, v, app.clock, theme),
        View::Repositories(v) => lists::repositories(frame, body, v, theme),
        View::Tags(v) if v.images.is_some() => images::images(frame, body, v, theme),
        View::Tags(v) => {
            let when = (app.clock, app.utc_offset);
            lists::tags(frame, body, v, when, app.marked.as_ref(), theme);
        }
        View::Tree(v) => tree::tree(frame, body, (v, app.marked.as_ref()), theme),
        View::Files(v) => files::files(frame, body, v, theme),
        View::Compare(v) => compare(frame, body, v, theme),
        View::History(v) => history::history(frame, body, v, (app.clock, app.utc_offset), theme),
    }
    draw_spinner(frame, body, app, theme);
    draw_status(frame, status, app, theme);
    draw_input_error(frame, body, app, theme);
    draw_long_flash(frame, body, app, theme);
    draw_footer(frame, footer, app, theme);
    if app.help {
        draw_help(frame, app, theme);
    }
}

/// Drawn over the right end of the header for the whole session when `--insecure` is on.
const INSECURE: &str = " TLS VERIFICATION OFF ";

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let width = usize::from(area.width);
    // Right end: the deployment target and the alarm always (what every answer on screen is
    // judged against, and a danger); who we are to this registry (sanitised where it is
    // made) only where the whole breadcrumb fits beside it: on a narrow screen the
    // repository and tag are what the user needs (the registries view names the login).
    let alarm = app.insecure.then(|| Span::styled(INSECURE, theme.alarm()));
    let target = app.target.as_ref().map(|t| {
        vec![
            Span::styled(" target ", theme.dim()),
            Span::styled(format!("{t} "), theme.key()),
        ]
    });
    let must: usize = target.iter().flatten().chain(&alarm).map(Span::width).sum();
    // Crumbs are sanitised by `View::crumb`. The tags and tree views' crumbs are the
    // repository and the tag: they give way last.
    let crumbs: Vec<(String, bool)> = app
        .stack
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let keep = matches!(v, View::Tags(_) | View::Tree(_)) || i + 1 == app.stack.len();
            (v.crumb(), keep)
        })
        .collect();
    let whole = BRAND.len() + crumbs_width(&crumbs);
    // Docker Hub's pull limit (sanitised where it is read) before the login, when it fits
    // beside the whole breadcrumb; when low it is a warning and stays as long as anything does.
    let stated = app.rate_limit();
    let low = stated
        .as_ref()
        .is_some_and(crate::registry::ratelimit::RateLimit::low);
    let limit = stated.map(|l| {
        let style = if low { theme.error() } else { theme.dim() };
        Span::styled(format!(" {} ", l.short()), style)
    });
    let limit = limit.filter(|l| low || whole + 1 + l.width() + must <= width);
    let must = must + limit.as_ref().map_or(0, Span::width);
    let creds = app
        .credentials()
        .map(|c| Span::styled(format!(" {} ", c.short()), theme.dim()))
        .filter(|c| whole + 1 + c.width() + must <= width);
    let right: Vec<Span> = target
        .into_iter()
        .flatten()
        .chain(limit)
        .chain(creds)
        .chain(alarm)
        .collect();
    let right_width: usize = right.iter().map(Span::width).sum();
    let budget = width.saturating_sub(right_width + usize::from(right_width > 0));
    let mut spans = Vec::new();
    if whole <= budget {
        spans.extend([Span::styled(" regscope ", theme.bold()), Span::raw(" ")]);
    }
    let shown = cut_crumbs(&crumbs, budget);
    for (i, crumb) in shown.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" › ", theme.dim()));
        }
        let style = if i + 1 == shown.len() {
            theme.bold()
        } else {
            ratatui::style::Style::new()
        };
        spans.push(Span::styled(crumb.clone(), style));
    }
    frame.render_widget(fit(Line::from(spans), area), area);
    if !right.is_empty() {
        frame.render_widget(fit(Line::from(right), area).right_aligned(), area);
    }
}

/// The header's name and the space after it: the first thing to go on a narrow screen.
const BRAND: &str = " regscope  ";

/// Breadcrumbs' width, separators included.
fn crumbs_width(crumbs: &[(String, bool)]) -> usize {
    crumbs.iter().map(|(c, _)| c.chars().count()).sum::<usize>()
        + 3 * crumbs.len().saturating_sub(1)
}

/// The breadcrumbs in `budget` columns: the ones that may give way (`false`: the registry,
/// the list) are cut with `…` first, from the left; what is still too wide is cut at the end
/// with `…` by the caller.
fn cut_crumbs(crumbs: &[(String, bool)], budget: usize) -> Vec<String> {
    let mut excess = crumbs_width(crumbs).saturating_sub(budget);
    crumbs
        .iter()
        .map(|(crumb, keep)| {
            let len = crumb.chars().count();
            if excess == 0 || *keep || len <= 1 {
                return crumb.clone();
            }
            let kept = len.saturating_sub(excess).max(1);
            excess -= len - kept;
            let mut cut: String = crumb.chars().take(kept - 1).collect();
            cut.push('…');
            cut
        })
        .collect()
}

/// Why the typed text cannot be opened (or is not a target), whole: wrapped in a box at the
/// bottom of the body, just above the input line, so no part of it is cut at 80 columns.
fn draw_input_error(frame: &mut Frame, body: Rect, app: &App, theme: Theme) {
    let Some((kind, error)) = app
        .input
        .as_ref()
        .and_then(|i| Some((i.kind, i.error.as_deref()?)))
    else {
        return;
    };
    let title = match kind {
        InputKind::Target => " not a target ",
        InputKind::Open | InputKind::Filter => " cannot open ",
    };
    let text = sanitize(error).into_owned();
    let inner = usize::from(body.width.saturating_sub(2)).max(1);
    // Wrapping at words may take a line more than the characters alone would.
    let lines = u16::try_from(
        text.chars().count().div_ceil(inner) + usize::from(text.chars().count() > inner),
    )
    .unwrap_or(u16::MAX)
    .clamp(1, body.height.saturating_sub(2).max(1));
    let height = (lines + 2).min(body.height);
    let area = Rect::new(body.x, body.y + body.height - height, body.width, height);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.error()))
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(title)),
        area,
    );
}

/// A result or error longer than the status line (`w`, `d`, `=`, a failure), whole: wrapped in
/// a box at the bottom of the body while it lasts; an answer to a key lasts until the next key
/// (Esc only closes it) and scrolls (`j` `k` `PgDn`) when it is taller than the body.
fn draw_long_flash(frame: &mut Frame, body: Rect, app: &App, theme: Theme) {
    let Some(flash) = app
        .flash
        .as_ref()
        .filter(|f| app.input.is_none() && super::app::long_flash(&f.text, body.width))
    else {
        return;
    };
    let style = if flash.error {
        theme.error()
    } else {
        theme.info()
    };
    let lines = super::app::flash_lines(&flash.text, style, body.width);
    let room = usize::from(body.height.saturating_sub(2)).max(1);
    let start = flash.scroll.min(lines.len().saturating_sub(room));
    let end = (start + room).min(lines.len());
    let height = u16::try_from(end - start + 2)
        .unwrap_or(u16::MAX)
        .min(body.height);
    let area = Rect::new(body.x, body.y + body.height - height, body.width, height);
    let title = if flash.error { " error " } else { " result " };
    // Only an answer to a key waits for one; a notice goes with time.
    let close = match (flash.sticky, lines.len() > room) {
        (true, true) => format!(
            " {}–{end} of {}: j k PgDn scroll, Esc closes ",
            start + 1,
            lines.len()
        ),
        (true, false) => " Esc closes ".to_string(),
        (false, _) => String::new(),
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines[start..end].to_vec()).block(
            Block::bordered()
                .title(title)
                .title_bottom(Line::styled(close, theme.dim()).right_aligned()),
        ),
        area,
    );
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let line = match &app.input {
        Some(input) => {
            let prompt = match input.kind {
                InputKind::Filter => "/",
                InputKind::Open => "open: ",
                InputKind::Target => "target: ",
            };
            let mut spans = vec![
                Span::styled(prompt, theme.key()),
                Span::raw(sanitize(&input.text).into_owned()),
                Span::styled("▏", theme.key()),
            ];
            if input.kind == InputKind::Target && input.error.is_none() {
                spans.push(Span::styled(format!("  {TARGET_CHOICES}"), theme.dim()));
            }
            if input.kind == InputKind::Open && input.error.is_none() {
                let hint = match input.completion.as_ref().filter(|c| c.holds(&input.text)) {
                    Some(c) => sanitize(&complete::hint(c)).into_owned(),
                    None => "Tab completes a repository or tag listed".to_string(),
                };
                spans.push(Span::styled(format!("  {hint}"), theme.dim()));
            }
            // The error itself is drawn whole above the status line (`draw_input_error`).
            if input.error.is_some() {
                spans.push(Span::styled("  (see above)", theme.error()));
            }
            fit(Line::from(spans), area)
        }
        // Flash texts are sanitised where they are made.
        None => match (&app.flash, app.top()) {
            // A long one is whole in its box above (`draw_long_flash`).
            (Some(f), _) => fit(
                Line::styled(
                    format!(" {}", f.text),
                    if f.error { theme.error() } else { theme.info() },
                ),
                area,
            ),
            (None, view) => {
                // How fresh it is takes the right end; what the view says gets the rest (a
                // digest too long for it is cut: it is whole in the detail pane and `y`).
                // Both when they fit, else how fresh it is alone (the cost of a lookup with
                // attachments is longer than a plain tree's).
                let (c, f) = (
                    app.last_cost.as_ref().map(cost),
                    freshness(view, app.clock, app.utc_offset),
                );
                let candidates = [
                    c.as_ref()
                        .zip(f.as_ref())
                        .map(|(c, f)| format!("  {c} · {f} ")),
                    f.as_ref().map(|f| format!("  {f} ")),
                    c.as_ref().map(|c| format!("  {c} ")),
                ];
                // What the registry did not confirm is said before what the view says.
                let stale = stale(view);
                let room = if stale { 12 } else { 40 };
                let fits = |t: &String| {
                    u16::try_from(t.chars().count()).is_ok_and(|w| area.width >= w + room)
                };
                let fresh = candidates.into_iter().flatten().find(fits);
                let width = fresh.as_deref().map_or(0, |f| f.chars().count());
                let width = u16::try_from(width).unwrap_or(u16::MAX);
                if let Some(fresh) = fresh {
                    let [left, right] =
                        Layout::horizontal([Constraint::Min(0), Constraint::Length(width)])
                            .areas(area);
                    let style = if stale { theme.error() } else { theme.dim() };
                    frame.render_widget(Line::styled(fresh, style), right);
                    let status = view_status(view, theme, (app.clock, app.utc_offset));
                    frame.render_widget(fit(status, left), left);
                    return;
                }
                fit(view_status(view, theme, (app.clock, app.utc_offset)), area)
            }
        },
    };
    frame.render_widget(line, area);
}

/// `line` cut with `…` to `area`'s width.
fn fit(line: Line<'static>, area: Rect) -> Line<'static> {
    super::wrap::fit(line, usize::from(area.width))
}

/// What the last fetch cost, short: `13 req 15 KiB · 13 cached · chain 3`.
fn cost(rt: &crate::registry::RoundTrips) -> String {
    let mut s = format!(
        "{} req {}",
        rt.total,
        crate::present::human_size(i64::try_from(rt.bytes).unwrap_or(i64::MAX))
    );
    let cached = rt.cache_hits + rt.disk_hits;
    if cached > 0 {
        s.push_str(&format!(" · {cached} cached"));
    }
    if rt.chain > 0 {
        s.push_str(&format!(" · chain {}", rt.chain));
    }
    s
}

/// How fresh what the view shows is: `refreshed 14:03:41 UTC+02:00` (the newest check of a
/// shown tree, in local time), `from cache, seen 14 min ago; registry unreachable` when the
/// last attempt failed, or `refreshing…` while `r` is under way; for tags, led by what the
/// refreshes changed (`1 new, 2 moved`). `now` (seconds since the epoch, 0 unknown) and
/// `offset` (seconds east of UTC) make the time local and the age relative.
fn freshness(view: &View, now: u64, offset: i32) -> Option<String> {
    let (checked, stale) = match view {
        View::Tree(v) if v.load.is_refreshing() => return Some("refreshing…".into()),
        View::Tags(v) if v.load.is_refreshing() => {
            return Some(match v.listing_progress {
                Some((pages, names)) => format!("refreshing… {names} tags, {pages} pages"),
                None => "refreshing…".into(),
            })
        }
        View::Tree(v) => (v.load.loaded()?.checked, v.stale.as_ref()),
        View::Tags(v) => {
            let rows = v.load.loaded()?;
            let newest = rows
                .iter()
                .filter_map(|r| r.shown().loaded())
                .map(|s| s.inspected.checked)
                .max();
            let changes = changes_label(v.changes());
            if let Some(w) = &v.watching {
                let watching = crate::tui::views::watch::label(w, offset);
                return Some(changes.map_or(watching.clone(), |c| format!("{c} · {watching}")));
            }
            let fresh = match (v.stale.as_ref(), v.listed_at.or(newest)) {
                (Some(s), Some(at)) => crate::tui::fresh::label(at, Some(s), now, offset),
                (Some(s), None) => format!("from cache; {}", s.why),
                (None, Some(at)) => crate::tui::fresh::label(at, None, now, offset),
                (None, None) => return changes,
            };
            return Some(match changes {
                Some(c) => format!("{c} · {fresh}"),
                None => fresh,
            });
        }
        View::Registries(_)
        | View::Repositories(_)
        | View::Files(_)
        | View::Compare(_)
        | View::History(_) => return None,
    };
    Some(crate::tui::fresh::label(checked, stale, now, offset))
}

/// Whether what the view shows was not confirmed by the registry on the last attempt.
fn stale(view: &View) -> bool {
    match view {
        View::Tree(v) => v.stale.is_some(),
        View::Tags(v) => v.stale.is_some(),
        _ => false,
    }
}

/// `1 new, 2 moved, 1 gone` (the tags the last refreshes changed, until seen); `None`: none.
fn changes_label((new, moved, gone): (usize, usize, usize)) -> Option<String> {
    let parts: Vec<String> = [(new, "new"), (moved, "moved"), (gone, "gone")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn view_status(view: &View, theme: Theme, when: (u64, i32)) -> Line<'static> {
    match view {
        View::Registries(v) => Line::styled(
            format!(
                " {} with logins or settings, {} recently opened",
                count(v.names.len(), "registry", "registries"),
                v.recent.len()
            ),
            theme.dim(),
        ),
        View::Tags(v) if v.images.is_some() => images::status(v, theme),
        View::Tags(v) if v.matrix => matrix::status(v, theme),
        View::Repositories(v) => lists::repositories_status(v, theme),
        View::Tags(v) => lists::tags_status(v, theme, when),
        View::Tree(v) => tree::status(v, theme),
        View::Files(v) => files::status(v, theme),
        View::Compare(v) => match v.load.loaded() {
            Some(c) if c.identical() => {
                Line::styled(" identical in what matters", theme.platform())
            }
            Some(c) => Line::styled(
                format!(" DIFFERENT: {}", sanitize(&c.drift().join("; "))),
                theme.error(),
            ),
            None => Line::raw(""),
        },
        View::History(v) => history::status(v, theme),
    }
}

/// The compare view: `regscope diff`'s text, wrapped to the view and scrolled, with where the
/// view is on its bottom border when it does not all fit.
fn compare(frame: &mut Frame, area: Rect, v: &super::views::CompareView, theme: Theme) {
    let all = v.wrapped(usize::from(area.width.saturating_sub(2)).max(1));
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let start = v.scroll.min(all.len().saturating_sub(height));
    let end = (start + height).min(all.len());
    let lines: Vec<Line> = all[start..end]
        .iter()
        .map(|(l, part)| {
            let part = part.clone();
            if l.starts_with("DIFFERENT") || l.contains("only left") || l.contains("only right") {
                Line::styled(part, theme.error())
            } else if l.starts_with("identical") || l.starts_with("same digest") {
                Line::styled(part, theme.platform())
            } else {
                Line::raw(part)
            }
        })
        .collect();
    let mut block = Block::bordered().title(format!(" compare {} ", v.crumb()));
    if all.len() > height {
        let position = format!(" lines {}–{end} of {} ", start + 1, all.len());
        block = block.title_bottom(Line::styled(position, theme.dim()).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Braille spinner frames, one per tick.
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// `⠋ resolving 4 tags…` on the top border of the body, right-aligned, while the view waits.
fn draw_spinner(frame: &mut Frame, body: Rect, app: &App, theme: Theme) {
    let Some(what) = app.waiting_for() else {
        return;
    };
    let frame_index = usize::try_from(app.ticks % SPINNER.len() as u64).unwrap_or(0);
    let text = format!(" {} {what}… ", SPINNER[frame_index]);
    let area = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(2),
        height: 1,
        ..body
    };
    frame.render_widget(Line::styled(text, theme.info()).right_aligned(), area);
}

/// Key hints for the current context, generated from the key map. `t target`, `? help` and
/// `q quit` always show; then the view's own keys and `r refresh` (what the view is for); then
/// the keys every list shares, as far as they fit (help lists the rest). Hints keep the key
/// map's order on screen whichever of them had to give way.
fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let context = app.context();
    let hints: Vec<(String, &str, u8)> = app
        .bindings(context)
        .into_iter()
        .filter_map(|binding| {
            let (Some(hint), Some(key)) = (binding.footer, binding.keys.first()) else {
                return None;
            };
            let tier = if matches!(
                binding.command,
                Command::Help | Command::Quit | Command::ChooseTarget
            ) {
                0
            } else if binding.context == context || binding.command == Command::Refresh {
                1
            } else {
                2
            };
            Some((format!(" {}", key.label()), hint, tier))
        })
        .collect();
    let chosen = footer_choice(&hints, usize::from(area.width));
    let mut spans = Vec::new();
    for (hint, _) in hints.iter().zip(&chosen).filter(|(_, &shown)| shown) {
        spans.push(Span::styled(hint.0.clone(), theme.key()));
        spans.push(Span::styled(format!(" {} ", hint.1), theme.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}

/// Which of `hints` (key, hint, tier) show in `width` columns: every tier 0 hint, then tier 1
/// and tier 2 in order while they fit (a hint that does not fit ends its tier, so a short
/// hint never jumps ahead of a longer, more useful one).
fn footer_choice(hints: &[(String, &str, u8)], width: usize) -> Vec<bool> {
    let cost = |(key, hint, _): &(String, &str, u8)| key.chars().count() + hint.chars().count() + 2;
    let mut shown: Vec<bool> = hints.iter().map(|h| h.2 == 0).collect();
    let mut room = width.saturating_sub(hints.iter().filter(|h| h.2 == 0).map(cost).sum());
    for tier in 1..=2 {
        for (i, hint) in hints.iter().enumerate().filter(|(_, h)| h.2 == tier) {
            if cost(hint) > room {
                break;
            }
            room -= cost(hint);
            shown[i] = true;
        }
    }
    shown
}

/// The help overlay, centred; it scrolls (`j` `k` `PgDn`) when the list is taller than the
/// screen, and says so on its border.
fn draw_help(frame: &mut Frame, app: &App, theme: Theme) {
    let area = frame.area();
    let (width, lines) = help::sized(app, theme, area.width);
    let height = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, popup, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(width),
        Constraint::Fill(1),
    ])
    .areas(middle);
    let inner = usize::from(height.saturating_sub(2)).max(1);
    let start = app.help_scroll.min(lines.len().saturating_sub(inner));
    let end = (start + inner).min(lines.len());
    let mut block = Block::bordered()
        .title(" keys ")
        .title_bottom(Line::from(" Esc ? q: close ").alignment(Alignment::Right));
    if lines.len() > inner {
        let more = match (start > 0, end < lines.len()) {
            (false, _) => " ↓ j PgDn: more ",
            (true, true) => " ↑↓ more ",
            (true, false) => " ↑ k PgUp: back ",
        };
        block = block.title_bottom(Line::styled(more, theme.key()).alignment(Alignment::Left));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines[start..end].to_vec()).block(block),
        popup,
    );
}

/// A bordered message in `area`: loading, empty, error states.
fn message(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'_>>) {
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" {title} "))),
        area,
    );
}

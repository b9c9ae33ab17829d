//! The manifest tree view: the tree, the selected node's detail, the findings below it, and the
//! raw JSON of the selected node (`v`).

use std::collections::HashSet;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, Paragraph};
use ratatui::Frame;

use super::message;
use crate::analysis::{Finding, Severity};
use crate::digest;
use crate::model::media_type as mt;
use crate::model::{Kind, Node};
use crate::present::{FactKind, NodeLabel};
use crate::reference::ImageRef;
use crate::sanitize::sanitize;
use crate::tui::layout::tree_panes;
use crate::tui::load::Load;
use crate::tui::panes::{mark_style, pane_lines, signature_verdict, TargetCheck};
use crate::tui::theme::Theme;
use crate::tui::views::raw::{self, RawSearch};
use crate::tui::views::tree::{raw_lines, Pane};
use crate::tui::views::{TreeRow, TreeView};
use crate::tui::wrap::fit;

/// `marked`: what `x` marked for `=`; the tree pane says so when it is this tree.
pub(super) fn tree(
    frame: &mut Frame,
    area: Rect,
    (v, marked): (&TreeView, Option<&ImageRef>),
    theme: Theme,
) {
    let name = sanitize(&v.reference.to_string()).into_owned();
    let inspected = match &v.load {
        Load::Idle | Load::Loading(_) => {
            let text = format!("Fetching {name}…");
            message(
                frame,
                area,
                "manifest tree",
                vec![Line::styled(text, theme.dim())],
            );
            return;
        }
        Load::Error(e) => {
            let lines = vec![
                Line::raw(format!("{name} could not be fetched:")),
                Line::styled(sanitize(&e.to_string()).into_owned(), theme.error()),
                Line::raw(""),
                Line::raw("r retries; Esc goes back."),
            ];
            message(frame, area, "manifest tree", lines);
            return;
        }
        Load::Loaded(i) | Load::Refreshing(i, _) => i,
    };
    let rows = v.rows();
    let selected = rows.get(v.cursor.selected);
    if let (Some(scroll), Some(row)) = (v.raw, selected) {
        raw(frame, area, (row.node, &v.search), scroll, theme);
        return;
    }
    let panes = tree_panes(area);
    let target_findings = &v.target_findings;
    // Badges count the target's findings too: the root of an index Lambda refuses is an error.
    let findings: Vec<Finding> = target_findings
        .iter()
        .chain(&inspected.findings)
        .cloned()
        .collect();
    let marked = marked == Some(&v.reference);
    tree_pane(frame, panes.tree, (v, marked), &rows, &findings, theme);
    if let Some(row) = selected {
        let target = TargetCheck::of(v);
        let cursor = (v.focus == Pane::Findings).then_some(v.finding);
        let not_checked = crate::tui::panes::not_checked_of(v);
        let (detail, findings) = pane_lines(
            row.node,
            (target, inspected),
            &not_checked,
            panes,
            cursor,
            theme,
        );
        scrolled(
            frame,
            panes.detail,
            (" detail ".to_string(), detail),
            v.detail_scroll,
            v.focus == Pane::Detail,
            theme,
        );
        let (title, lines) = findings;
        scrolled(
            frame,
            panes.findings,
            (title, lines),
            v.findings_scroll,
            v.focus == Pane::Findings,
            theme,
        );
    }
}

/// A bordered pane: its border highlighted when focused.
pub(super) fn pane_block(title: String, focused: bool, theme: Theme) -> Block<'static> {
    let block = Block::bordered();
    if focused {
        block
            .border_style(theme.focused())
            .title(Span::styled(title, theme.focused_title()))
    } else {
        block.title(title)
    }
}

/// Pre-wrapped lines from `scroll` on, with ` 3–10 of 25 ` on the bottom border when they do
/// not all fit.
pub(super) fn scrolled(
    frame: &mut Frame,
    area: Rect,
    (title, lines): (String, Vec<Line<'static>>),
    scroll: usize,
    focused: bool,
    theme: Theme,
) {
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let start = scroll.min(lines.len().saturating_sub(height));
    let end = (start + height).min(lines.len());
    let mut block = pane_block(title, focused, theme);
    if lines.len() > height {
        let position = format!(" {}–{} of {} ", start + 1, end, lines.len());
        block = block.title_bottom(Line::styled(position, theme.dim()).right_aligned());
    }
    let shown: Vec<Line> = lines[start..end].to_vec();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

fn tree_pane(
    frame: &mut Frame,
    area: Rect,
    (v, marked): (&TreeView, bool),
    rows: &[TreeRow<'_>],
    findings: &[Finding],
    theme: Theme,
) {
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let fit = Fit::of(v);
    let width = usize::from(area.width.saturating_sub(2));
    let items: Vec<ListItem> = v
        .cursor
        .window(rows.len(), height)
        .map(|i| {
            // A row wider than the pane ends in `…`: the detail pane has it whole.
            let line = crate::tui::wrap::fit(row_line(&rows[i], findings, &fit, theme), width);
            let style = if i == v.cursor.selected {
                theme.selected()
            } else {
                Style::new()
            };
            ListItem::new(line).style(style)
        })
        .collect();
    frame.render_widget(
        List::new(items).block(pane_block(
            {
                // `x` marked this tree: `=` on another tag compares with it (as the tags
                // list and the matrix show on its row).
                let mark = if marked { "⇄ marked · " } else { "" };
                let title = match &v.stale {
                    None => format!(" {mark}tree "),
                    Some(s) if s.deleted => format!(" {mark}tree · deleted in the registry "),
                    Some(s) => format!(" {mark}tree · from cache: {} ", s.why),
                };
                crate::tui::wrap::fit(Line::raw(title), width).to_string()
            },
            v.focus == Pane::Tree,
            theme,
        )),
        area,
    );
}

/// How the tree's rows stand against the deployment target, when there is one: the manifest
/// to deploy, and the rows the target's findings are about (what causes a rejection).
struct Fit<'a> {
    /// `lambda/amd64`, for the marker.
    target: String,
    /// The digest of the manifest to deploy there.
    fitting: Option<&'a str>,
    /// The digests the target's findings are about.
    culprits: HashSet<&'a str>,
    /// What the files view measured, by image manifest digest.
    measured: &'a std::collections::HashMap<String, crate::tui::views::files::Measured>,
    /// The signature policy's verdicts, for the signature rows and the root's mark.
    signatures: Option<&'a crate::verify::Checked>,
    /// The platform manifests of an index: their rows say `not measured` until they are.
    platforms: HashSet<&'a str>,
}

impl<'a> Fit<'a> {
    fn of(v: &'a TreeView) -> Self {
        Self {
            target: v
                .target
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            fitting: v.fitting().map(|n| n.digest.as_str()),
            culprits: v
                .target_findings
                .iter()
                .map(|f| f.digest.as_str())
                .collect(),
            measured: &v.measured,
            signatures: v.load.loaded().map(|i| &i.signatures),
            platforms: v
                .load
                .loaded()
                .filter(|i| i.root.kind == crate::model::Kind::Index)
                .map(|i| crate::layers::measured::manifests_in(&i.root))
                .unwrap_or_default()
                .into_iter()
                .map(|n| n.digest.as_str())
                .collect(),
        }
    }
}

/// The signature policy on a row, in a few words (`S✗ bad signature`); the detail pane says
/// the whole reason.
fn signature_span(row: &TreeRow<'_>, fit: &Fit, theme: Theme) -> Option<Span<'static>> {
    let (mark, brief, _) = signature_verdict(row.node, row.path.is_empty(), fit.signatures?)?;
    Some(Span::styled(
        format!("  S{} {brief}", mark.symbol()),
        mark_style(mark, theme),
    ))
}

/// Guides, branch, expander, severity badge, then the node's own label. With a target, the
/// manifest to deploy is marked (unless its files say it cannot start), and the rows the
/// target's findings (or a start failure) are about are in the error colour: the colour
/// comes from the same findings as the badge and the verdict, so an innocent platform that
/// is simply not the target's stays as it is.
fn row_line(row: &TreeRow<'_>, findings: &[Finding], fit: &Fit, theme: Theme) -> Line<'static> {
    let mut prefix = String::new();
    for &more in &row.guides {
        prefix.push_str(if more { "│ " } else { "  " });
    }
    if !row.path.is_empty() {
        prefix.push_str(if row.last { "└─" } else { "├─" });
    }
    let expander = match (row.node.children.is_empty(), row.expanded) {
        (true, _) if row.path.is_empty() => "•",
        (true, _) => "─",
        (false, true) => "▾",
        (false, false) => "▸",
    };
    prefix.push_str(expander);
    prefix.push(' ');
    let label = NodeLabel::new(row.node, findings);
    let mut spans = vec![Span::styled(prefix, theme.dim())];
    if let Some(sev) = label.severity {
        spans.push(Span::styled(badge(sev), theme.severity(sev)));
        spans.push(Span::raw(" "));
    }
    let mut own = label_spans(&label, theme);
    let digest = row.node.digest.as_str();
    let cannot_start = findings
        .iter()
        .any(|f| f.digest == digest && f.code.stops_start());
    // After the title, most telling first, before the digest a narrow pane cuts (the detail
    // pane has it): the signature verdict, the target's mark, then the layers' figures.
    let mut marks: Vec<Span<'static>> = signature_span(row, fit, theme).into_iter().collect();
    if fit.fitting == Some(digest) && !cannot_start {
        own[0].style = theme
            .platform()
            .add_modifier(ratatui::style::Modifier::BOLD);
        marks.push(Span::styled(
            format!("  ✓ {}", fit.target),
            theme.platform(),
        ));
    } else if fit.culprits.contains(digest) || cannot_start {
        own[0].style = theme.error();
    }
    marks.extend(figures_span(digest, fit, theme));
    own.splice(1..1, marks);
    spans.extend(own);
    Line::from(spans)
}

/// A platform of an index: what its files unpack to and dive's efficiency once they were
/// measured (`f`, or the CLI's `layers` / `check --files` through the disk cache), else
/// `not measured`.
fn figures_span(digest: &str, fit: &Fit, theme: Theme) -> Option<Span<'static>> {
    if let Some(m) = fit.measured.get(digest) {
        let (style, past) = if m.past_limits {
            (theme.error(), "  past the waste limits")
        } else {
            (theme.platform(), "")
        };
        return Some(Span::styled(
            // Efficiency first: the figure dive users look for survives a narrow pane.
            format!(
                "  {} efficient, {} unpacked{}{past}",
                crate::output::layers::percent(m.efficiency),
                crate::present::human_size(i64::try_from(m.bytes).unwrap_or(i64::MAX)),
                kept_age(m)
            ),
            style,
        ));
    }
    fit.platforms
        .contains(digest)
        .then(|| Span::styled("  not measured", theme.dim()))
}

/// ` (measured 3 h ago)` for figures an earlier run kept on disk, so an old figure is not
/// taken for one just measured; nothing for those this session measured.
fn kept_age(m: &crate::tui::views::files::Measured) -> String {
    match (m.from_cache, m.measured_at) {
        (false, _) => String::new(),
        (true, 0) => " (from the cache)".into(),
        (true, at) => format!(
            " (measured {})",
            crate::tui::recent::age(crate::tui::recent::now(), at)
        ),
    }
}

fn badge(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "E",
        Severity::Warning => "W",
        Severity::Info => "i",
    }
}

/// The facts a tree row has room for; the detail pane shows the rest.
const ROW_FACTS: &[FactKind] = &[
    FactKind::ArtifactType,
    FactKind::Contents,
    FactKind::Platform,
    FactKind::Summary,
];

/// `attestation for linux/amd64  unknown/unknown  sha256:26da286b…`,
/// `linux/arm64  MISSING  sha256:7a76cec9…`:
/// the title, a problem's headline (before anything a narrow pane may cut off; its detail is in
/// the detail pane), the digest and the facts that fit.
fn label_spans(label: &NodeLabel, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(
        label.title.text.clone(),
        theme.tone(label.title.tone),
    )];
    // Beside what an attestation attests, the platform registries list it under
    // (`unknown/unknown`, as ECR and `docker buildx imagetools inspect` show it). After the
    // title, so a narrow pane keeps what it is about.
    if let (Kind::Attestation, Some(p)) = (label.kind, &label.platform) {
        spans.push(Span::styled(format!("  {}", p.text), theme.tone(p.tone)));
    }
    if let Some(p) = &label.problem {
        spans.push(Span::styled(format!("  {}", p.headline), theme.error()));
    }
    if let Some(d) = &label.digest {
        spans.push(Span::styled(format!("  {d}"), theme.dim()));
    }
    for f in label.facts_of(ROW_FACTS) {
        spans.push(Span::styled(format!("  {}", f.text), theme.tone(f.tone)));
    }
    spans
}

fn raw(
    frame: &mut Frame,
    area: Rect,
    (node, search): (&Node, &RawSearch),
    scroll: usize,
    theme: Theme,
) {
    let lines = raw_lines(node);
    let found = raw::matches(&lines, &search.query);
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let inner = usize::from(area.width.saturating_sub(2));
    let start = scroll.min(lines.len().saturating_sub(1));
    let end = (start + height).min(lines.len());
    let current = found.get(search.current.min(found.len().saturating_sub(1)));
    let shown: Vec<Line> = lines[start..end]
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let on_line: Vec<(usize, usize, bool)> = found
                .iter()
                .filter(|m| m.line == start + i)
                .map(|m| (m.start, m.end, Some(m) == current))
                .collect();
            // A line wider than the pane ends in `…`, as every cut on screen does.
            fit(marked(json_line(l, theme), &on_line, theme), inner)
        })
        .collect();
    let mut title = format!(
        " raw {} · {} ",
        digest::short(&node.digest),
        sanitize(&mt::describe(&node.media_type))
    );
    if let Some(label) = search.label(found.len()) {
        title.push_str(&format!("· {label} "));
    }
    let position = format!(" lines {}–{} of {} ", start + 1, end, lines.len());
    frame.render_widget(
        Paragraph::new(shown).block(
            Block::bordered()
                .title(fit(
                    Line::raw(title),
                    usize::from(area.width.saturating_sub(2)),
                ))
                .title_bottom(Line::styled(position, theme.dim()).right_aligned()),
        ),
        area,
    );
}

/// `line` with the byte ranges `(start, end, current)` in reverse video (the current match
/// underlined too), whatever the JSON colouring cut the line into.
fn marked(line: Line<'static>, ranges: &[(usize, usize, bool)], theme: Theme) -> Line<'static> {
    if ranges.is_empty() {
        return line;
    }
    let mut spans = Vec::new();
    let mut at = 0;
    for span in line.spans {
        let mut piece = String::new();
        let mut piece_style = None;
        for ch in span.content.chars() {
            let hit = ranges.iter().find(|(s, e, _)| at >= *s && at < *e);
            let style = match hit {
                Some((_, _, current)) => span.style.patch(theme.found(*current)),
                None => span.style,
            };
            if piece_style.is_some_and(|s| s != style) {
                spans.push(Span::styled(
                    std::mem::take(&mut piece),
                    piece_style.unwrap_or(style),
                ));
            }
            piece_style = Some(style);
            piece.push(ch);
            at += ch.len_utf8();
        }
        if let Some(style) = piece_style {
            spans.push(Span::styled(piece, style));
        }
    }
    Line::from(spans)
}

/// One line of pretty-printed (already sanitized) JSON, highlighted: keys, strings, scalars.
fn json_line(line: &str, theme: Theme) -> Line<'static> {
    let chars: Vec<char> = line.chars().collect();
    let mut spans = Vec::new();
    let mut plain = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(chars.len());
            let token: String = chars[start..i].iter().collect();
            let is_key = chars[i..].iter().find(|c| !c.is_whitespace()) == Some(&':');
            spans.push(Span::raw(std::mem::take(&mut plain)));
            spans.push(Span::styled(
                token,
                if is_key {
                    theme.key()
                } else {
                    theme.platform()
                },
            ));
        } else if c == '-' || c.is_ascii_digit() || c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && !matches!(chars[i], ',' | ' ' | ']' | '}') {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            spans.push(Span::raw(std::mem::take(&mut plain)));
            spans.push(Span::styled(token, theme.info()));
        } else {
            plain.push(c);
            i += 1;
        }
    }
    spans.push(Span::raw(plain));
    Line::from(spans)
}

pub(super) fn status(v: &TreeView, theme: Theme) -> Line<'static> {
    match v.selected() {
        Some(row) => Line::from(vec![
            Span::styled(format!(" {}", row.node.kind.as_str()), theme.bold()),
            Span::raw(format!("  {}", sanitize(&row.node.digest))),
        ]),
        None => Line::styled(
            match &v.load {
                Load::Error(_) => " fetch failed",
                _ => " fetching…",
            },
            theme.dim(),
        ),
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn raw_json_lines_keep_their_text_and_style_keys_apart_from_values() {
        let theme = Theme { color: true };
        let line = json_line(r#"  "digest": "sha256:ab\"c", "size": 12,"#, theme);
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, r#"  "digest": "sha256:ab\"c", "size": 12,"#);
        let styled: Vec<&str> = line
            .spans
            .iter()
            .filter(|s| s.style != Style::default())
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(
            styled,
            vec!["\"digest\"", "\"sha256:ab\\\"c\"", "\"size\"", "12"]
        );
    }
}

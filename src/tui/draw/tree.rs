//! The manifest tree view: the tree, the selected node's detail, the findings below it, and the
//! raw JSON of the selected node (`v`).

use std::collections::HashSet;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, Paragraph};
use ratatui::Frame;

use super::lists::severity_label;
use super::message;
use super::wrap::wrap;
use crate::analysis::{platform_label, Finding, Severity};
use crate::digest;
use crate::model::media_type as mt;
use crate::model::{Node, Problem};
use crate::output::human_size;
use crate::output::present::{Attested, FactKind, NodeLabel};
use crate::sanitize::sanitize;
use crate::tui::action::Inspected;
use crate::tui::layout::{tree_panes, TreePanes};
use crate::tui::load::Load;
use crate::tui::theme::Theme;
use crate::tui::views::tree::{raw_lines, Pane};
use crate::tui::views::{TreeRow, TreeView};

pub(super) fn tree(frame: &mut Frame, area: Rect, v: &TreeView, theme: Theme) {
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
        Load::Loaded(i) => i,
    };
    let rows = v.rows();
    let selected = rows.get(v.cursor.selected);
    if let (Some(scroll), Some(row)) = (v.raw, selected) {
        raw(frame, area, row.node, scroll, theme);
        return;
    }
    let panes = tree_panes(area);
    tree_pane(frame, panes.tree, v, &rows, inspected, theme);
    if let Some(row) = selected {
        let (detail, findings) = pane_lines(row.node, &inspected.findings, panes, theme);
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
fn pane_block(title: String, focused: bool, theme: Theme) -> Block<'static> {
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
fn scrolled(
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

/// The detail lines and the findings pane (title, lines) of `node`, wrapped to the panes'
/// inner widths: the same lines drawing shows and scrolling counts.
fn pane_lines(
    node: &Node,
    all: &[Finding],
    panes: TreePanes,
    theme: Theme,
) -> (Vec<Line<'static>>, (String, Vec<Line<'static>>)) {
    let inner = |r: Rect| usize::from(r.width.saturating_sub(2));
    let detail = detail_lines(node, theme)
        .iter()
        .flat_map(|l| wrap(l, inner(panes.detail), 0))
        .collect();
    let (title, lines) = findings_lines(node, all, theme);
    let findings = lines
        .iter()
        .flat_map(|(l, indent)| wrap(l, inner(panes.findings), *indent))
        .collect();
    (detail, (title, findings))
}

/// How many wrapped lines the detail and findings panes of the selected node hold at `size`.
#[must_use]
pub fn pane_lengths(v: &TreeView, size: (u16, u16)) -> (usize, usize) {
    let (Some(inspected), Some(row)) = (v.load.loaded(), v.selected()) else {
        return (0, 0);
    };
    let body = crate::tui::layout::screen(Rect::new(0, 0, size.0, size.1)).body;
    let theme = Theme { color: false };
    let (detail, (_, findings)) =
        pane_lines(row.node, &inspected.findings, tree_panes(body), theme);
    (detail.len(), findings.len())
}

fn tree_pane(
    frame: &mut Frame,
    area: Rect,
    v: &TreeView,
    rows: &[TreeRow<'_>],
    inspected: &Inspected,
    theme: Theme,
) {
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let items: Vec<ListItem> = v
        .cursor
        .window(rows.len(), height)
        .map(|i| {
            let line = row_line(&rows[i], &inspected.findings, theme);
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
            " tree ".to_string(),
            v.focus == Pane::Tree,
            theme,
        )),
        area,
    );
}

/// Guides, branch, expander, severity badge, then the node's own label.
fn row_line(row: &TreeRow<'_>, findings: &[Finding], theme: Theme) -> Line<'static> {
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
    spans.extend(label_spans(&label, theme));
    Line::from(spans)
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

/// `attestation for linux/amd64  sha256:26da286b…`, `linux/arm64  MISSING  sha256:7a76cec9…`:
/// the title, a problem's headline (before anything a narrow pane may cut off; its detail is in
/// the detail pane), the digest and the facts that fit.
fn label_spans(label: &NodeLabel, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(
        label.title.text.clone(),
        theme.tone(label.title.tone),
    )];
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

fn field(name: &str, value: String) -> Line<'static> {
    Line::from(vec![Span::raw(format!("{name:<11}")), Span::raw(value)])
}

/// The detail pane: descriptor, attestation target, problem, config, statement, annotations.
fn detail_lines(n: &Node, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::styled(
            format!(
                "{} · {}",
                n.kind.as_str(),
                sanitize(&mt::describe(&n.media_type))
            ),
            theme.bold(),
        ),
        field("digest", sanitize(&n.digest).into_owned()),
        field("size", human_size(n.size)),
    ];
    if !n.media_type.is_empty() {
        lines.push(field("media type", sanitize(&n.media_type).into_owned()));
    }
    if let Some(p) = &n.platform {
        lines.push(field("platform", sanitize(&platform_label(p)).into_owned()));
    }
    if let Some(a) = Attested::of(n) {
        lines.push(field("attests", a.to_string()));
    }
    if let Some(t) = &n.artifact_type {
        lines.push(field("artifact", sanitize(t).into_owned()));
    }
    if let Some(p) = &n.problem {
        lines.push(Line::styled(problem_text(p), theme.error()));
    }
    let config = n.config.as_ref().or_else(|| n.config_summary());
    if let Some(c) = config {
        lines.push(Line::styled("config", theme.bold()));
        lines.push(field(
            "platform",
            sanitize(&c.platform_string()).into_owned(),
        ));
        let user = if c.runs_as_root() {
            "root".to_string()
        } else {
            sanitize(&c.user).into_owned()
        };
        lines.push(field("user", user));
        if let Some(ep) = c.entrypoint.as_ref().filter(|v| !v.is_empty()) {
            lines.push(field(
                "entrypoint",
                sanitize(&format!("{ep:?}")).into_owned(),
            ));
        }
        if let Some(cmd) = c.cmd.as_ref().filter(|v| !v.is_empty()) {
            lines.push(field("cmd", sanitize(&format!("{cmd:?}")).into_owned()));
        }
        if let Some(w) = c.working_dir.as_ref().filter(|w| !w.is_empty()) {
            lines.push(field("workdir", sanitize(w).into_owned()));
        }
        if c.env_count > 0 {
            lines.push(field("env", format!("{} variables", c.env_count)));
        }
        if !c.exposed_ports.is_empty() {
            lines.push(field(
                "ports",
                sanitize(&c.exposed_ports.join(" ")).into_owned(),
            ));
        }
        if let Some(created) = &c.created {
            lines.push(field("created", sanitize(created).into_owned()));
        }
        for (k, v) in &c.labels {
            lines.push(field("label", format!("{} = {}", sanitize(k), sanitize(v))));
        }
    }
    if let Some(s) = &n.statement {
        lines.push(Line::styled("statement", theme.bold()));
        lines.push(field("predicate", sanitize(&s.predicate_type).into_owned()));
        lines.push(field("summary", sanitize(&s.one_line()).into_owned()));
        lines.push(field("subjects", s.subjects.len().to_string()));
    }
    if !n.annotations.is_empty() {
        lines.push(Line::styled("annotations", theme.bold()));
        for (k, v) in &n.annotations {
            lines.push(Line::raw(format!("{} = {}", sanitize(k), sanitize(v))));
        }
    }
    lines
}

fn problem_text(p: &Problem) -> String {
    match p {
        Problem::Missing { detail } => format!("missing: {}", sanitize(detail)),
        Problem::DigestMismatch {
            expected, actual, ..
        } => format!(
            "digest mismatch: expected {}, content hashes to {}",
            sanitize(expected),
            sanitize(actual)
        ),
        Problem::TooLarge { limit, .. } => format!("too large: over the {limit}-byte limit"),
        Problem::Malformed { detail } => format!("malformed: {}", sanitize(detail)),
        Problem::Cycle => "cycle: refers back to an index above it".to_string(),
        Problem::FetchFailed { detail } => format!("not fetched: {}", sanitize(detail)),
    }
}

/// Label width before a finding's message; continuation lines indent to it.
const SEVERITY_COLUMN: usize = 8;
/// `        fix: `: continuation lines of a fix indent past it.
const FIX_INDENT: usize = SEVERITY_COLUMN + 5;

/// Findings about the selected node and everything under it (the root: all of them): the
/// pane's title and its lines, each with the indent its continuation lines get.
fn findings_lines(
    node: &Node,
    all: &[Finding],
    theme: Theme,
) -> (String, Vec<(Line<'static>, usize)>) {
    let mut digests = HashSet::new();
    node.walk(&mut |n| {
        digests.insert(n.digest.as_str());
    });
    let here: Vec<&Finding> = all
        .iter()
        .filter(|f| digests.contains(f.digest.as_str()))
        .collect();
    let title = format!(" findings: {} here, {} in total ", here.len(), all.len());
    let mut lines = Vec::new();
    if here.is_empty() {
        lines.push((
            Line::styled(
                if all.is_empty() {
                    "No findings."
                } else {
                    "No findings for this entry; select the root to see all."
                },
                theme.dim(),
            ),
            0,
        ));
    }
    for f in here {
        lines.push((
            Line::from(vec![
                Span::styled(
                    format!("{:<SEVERITY_COLUMN$}", severity_label(f.severity)),
                    theme.severity(f.severity),
                ),
                Span::styled(f.code.as_str(), theme.bold()),
                Span::raw(format!("  {}", sanitize(&f.message))),
            ]),
            SEVERITY_COLUMN,
        ));
        if let Some(fix) = &f.fix {
            lines.push((
                Line::styled(
                    format!("{:SEVERITY_COLUMN$}fix: {}", "", sanitize(fix)),
                    theme.dim(),
                ),
                FIX_INDENT,
            ));
        }
    }
    (title, lines)
}

fn raw(frame: &mut Frame, area: Rect, node: &Node, scroll: usize, theme: Theme) {
    let lines = raw_lines(node);
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let start = scroll.min(lines.len().saturating_sub(1));
    let end = (start + height).min(lines.len());
    let shown: Vec<Line> = lines[start..end]
        .iter()
        .map(|l| json_line(l, theme))
        .collect();
    let title = format!(
        " raw {} · {} ",
        digest::short(&node.digest),
        sanitize(&mt::describe(&node.media_type))
    );
    let position = format!(" lines {}–{} of {} ", start + 1, end, lines.len());
    frame.render_widget(
        Paragraph::new(shown).block(
            Block::bordered()
                .title(title)
                .title_bottom(Line::styled(position, theme.dim()).right_aligned()),
        ),
        area,
    );
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

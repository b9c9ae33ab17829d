//! What the tree view's detail and findings panes say, as styled lines wrapped to the panes:
//! drawing shows them, and the tree view's scrolling counts them (so neither depends on the
//! other).

use std::collections::HashSet;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::layout::{tree_panes, TreePanes};
use super::theme::Theme;
use super::views::TreeView;
use super::wrap::wrap;
use crate::analysis::{config_platform, platform_label, Finding, Severity};
use crate::model::media_type as mt;
use crate::model::{Kind, Node, Problem};
use crate::output::human_size;
use crate::output::present::Attested;
use crate::sanitize::sanitize;

/// The detail lines and the findings pane (title, lines) of `node`, wrapped to the panes'
/// inner widths: the same lines drawing shows and scrolling counts.
pub fn pane_lines(
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
        // An attestation's (unknown/unknown) config runs nothing, so it has no user to show.
        if n.kind != Kind::Attestation && !config_platform(c).is_unknown() {
            let user = if c.runs_as_root() {
                "root".to_string()
            } else {
                sanitize(&c.user).into_owned()
            };
            lines.push(field("user", user));
        }
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

/// `error`, `warning`, `info`.
#[must_use]
pub fn severity_label(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

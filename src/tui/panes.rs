//! What the tree view's detail and findings panes say, as styled lines wrapped to the panes:
//! drawing shows them, and the tree view's scrolling counts them (so neither depends on the
//! other).

use std::collections::HashSet;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::action::Command;
use super::keymap::{key_for, Context};
use super::layout::{tree_panes, TreePanes};
use super::theme::Theme;
use super::views::TreeView;
use super::wrap::wrap;
use crate::analysis::{config_platform, platform_label, Code, Finding, Severity, Target, Verdict};
use crate::model::media_type as mt;
use crate::model::{Kind, Node, Problem};
use crate::present::human_size;
use crate::present::Attested;
use crate::report::NotChecked;
use crate::sanitize::sanitize;
use crate::tui::action::Inspected;
use crate::verify::{Checked, Mark};

/// The deployment target, why the tree will not run there, and the verdict: what the findings
/// pane leads with.
#[derive(Debug, Clone, Copy)]
pub struct TargetCheck<'a> {
    pub target: &'a Target,
    pub findings: &'a [Finding],
    /// From the same findings and what else is known (the files): `None` before a tree loads.
    pub verdict: Option<&'a Verdict>,
}

impl<'a> TargetCheck<'a> {
    /// The tree view's target, when it has one.
    #[must_use]
    pub fn of(v: &'a TreeView) -> Option<Self> {
        v.target.as_ref().map(|target| Self {
            target,
            findings: &v.target_findings,
            verdict: v.verdict.as_ref(),
        })
    }
}

/// The detail lines and the findings pane (title, lines) of `node`, wrapped to the panes'
/// inner widths: the same lines drawing shows and scrolling counts. With a target, `target`
/// holds it and why the tree will not run there; `not_checked` (the report's, for the root)
/// ends the findings pane.
/// `selected`: the findings pane's cursor (its entry's lines drawn selected), when the pane
/// has the focus.
pub fn pane_lines(
    node: &Node,
    (target, inspected): (Option<TargetCheck<'_>>, &Inspected),
    not_checked: &[NotChecked],
    panes: TreePanes,
    selected: Option<usize>,
    theme: Theme,
) -> (Vec<Line<'static>>, (String, Vec<Line<'static>>)) {
    let all = &inspected.findings[..];
    let inner = |r: Rect| usize::from(r.width.saturating_sub(2));
    let mut detail = detail_lines(node, theme);
    let root = node.digest == inspected.root.digest;
    if let Some((mark, _, full)) = signature_verdict(node, root, &inspected.signatures) {
        detail.push(Line::raw(""));
        detail.push(Line::styled(
            format!("signature policy: S{} {full}", mark.symbol()),
            mark_style(mark, theme),
        ));
    }
    let detail = detail
        .iter()
        .flat_map(|l| wrap(l, inner(panes.detail), 0))
        .collect();
    let (title, lines) = findings_lines(node, target, all, theme);
    let any = !entries(node, target.map_or(&[][..], |c| c.findings), all).is_empty();
    let findings = lines
        .into_iter()
        .map(|(l, indent, entry)| {
            let l = if any && selected == Some(entry) {
                Line::from(
                    l.spans
                        .into_iter()
                        .map(|s| s.patch_style(theme.selected()))
                        .collect::<Vec<_>>(),
                )
            } else {
                l
            };
            (l, indent)
        })
        .chain(not_checked_lines(not_checked, theme))
        .flat_map(|(l, indent)| wrap(&l, inner(panes.findings), indent))
        .collect();
    (detail, (title, findings))
}

/// The findings pane's entries as wrapped at `size`: each one's first line and line count.
fn entry_spans(v: &TreeView, size: (u16, u16)) -> Vec<(usize, usize)> {
    let (Some(inspected), Some(row)) = (v.load.loaded(), v.selected()) else {
        return Vec::new();
    };
    if entries(row.node, &v.target_findings, &inspected.findings).is_empty() {
        return Vec::new();
    }
    let (_, lines) = findings_lines(
        row.node,
        TargetCheck::of(v),
        &inspected.findings,
        Theme { color: false },
    );
    let width = usize::from(panes_at(size).findings.width.saturating_sub(2));
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut line = 0;
    for (l, indent, entry) in &lines {
        let n = wrap(l, width, *indent).len();
        match spans.get_mut(*entry) {
            Some(span) => span.1 += n,
            None => spans.push((line, n)),
        }
        line += n;
    }
    // The report's `not checked` lines end the pane: they scroll with the last finding, so
    // `G` and Down reach them.
    let tail: usize = not_checked_lines(&not_checked_of(v), Theme { color: false })
        .iter()
        .map(|(l, indent)| wrap(l, width, *indent).len())
        .sum();
    if let Some(last) = spans.last_mut() {
        last.1 += tail;
    }
    spans
}

/// The movement keys in the focused findings pane: the cursor goes from finding to finding,
/// and the pane scrolls to show the whole of the one selected (its first line, at least).
pub fn move_finding(v: &mut TreeView, cmd: Command, size: (u16, u16)) {
    let spans = entry_spans(v, size);
    if spans.is_empty() {
        return;
    }
    let height = usize::from(panes_at(size).findings.height.saturating_sub(2)).max(1);
    // A finding taller than the pane is read line by line before the cursor leaves it.
    let (first, n) = spans[v.finding.min(spans.len() - 1)];
    let step = if matches!(cmd, Command::PageDown | Command::PageUp) {
        height
    } else {
        1
    };
    match cmd {
        Command::Down | Command::PageDown if first + n > v.findings_scroll + height => {
            v.findings_scroll = (v.findings_scroll + step).min(first + n - height);
            return;
        }
        Command::Up | Command::PageUp if first < v.findings_scroll => {
            v.findings_scroll = v.findings_scroll.saturating_sub(step).max(first);
            return;
        }
        _ => {}
    }
    let mut cursor = super::list::Cursor {
        selected: v.finding,
        offset: 0,
    };
    cursor.apply(cmd, spans.len(), height / 2);
    if cmd == Command::Bottom {
        // The last finding, and the pane at its end.
        let (first, n) = spans[spans.len() - 1];
        v.finding = spans.len() - 1;
        v.findings_scroll = (first + n).saturating_sub(height);
        return;
    }
    if cursor.selected == v.finding {
        return;
    }
    v.finding = cursor.selected;
    let (first, n) = spans[v.finding];
    if first < v.findings_scroll {
        v.findings_scroll = first;
    } else if first + n > v.findings_scroll + height {
        v.findings_scroll = (first + n).saturating_sub(height).min(first);
    }
}

/// What the report of the tree says nothing about, for its root (`[]` for any other entry:
/// it is about the whole image).
#[must_use]
pub fn not_checked_of(v: &TreeView) -> Vec<NotChecked> {
    match v.selected() {
        Some(row) if row.path.is_empty() => v.not_checked(),
        _ => Vec::new(),
    }
}

/// `not checked: the files in the layers (the layers were not opened; press f)`, dim, after
/// the findings: a short list is not read as "all is well". The key comes from the key map.
fn not_checked_lines(not_checked: &[NotChecked], theme: Theme) -> Vec<(Line<'static>, usize)> {
    not_checked
        .iter()
        .map(|&n| {
            let key = match n {
                NotChecked::Target => key_for(Context::Tree, Command::ChooseTarget),
                NotChecked::Files => key_for(Context::Tree, Command::Files),
                // The tree view looks them up by itself; they come when the lookup does.
                NotChecked::Attachments => None,
            };
            let hint = key.map(|k| format!("; press {k}")).unwrap_or_default();
            let text = format!("not checked: {} ({}{hint})", n.what(), n.why());
            (Line::styled(text, theme.dim()), SEVERITY_COLUMN)
        })
        .collect()
}

/// How many wrapped lines the detail and findings panes of the selected node hold at `size`.
#[must_use]
pub fn pane_lengths(v: &TreeView, size: (u16, u16)) -> (usize, usize) {
    let (Some(inspected), Some(row)) = (v.load.loaded(), v.selected()) else {
        return (0, 0);
    };
    let theme = Theme { color: false };
    let (detail, (_, findings)) = pane_lines(
        row.node,
        (TargetCheck::of(v), inspected),
        &not_checked_of(v),
        panes_at(size),
        None,
        theme,
    );
    (detail.len(), findings.len())
}

/// The signature policy on a tree node: the image's mark on the root (nothing without a
/// policy), and on a signature its own verdict (`S?` without a policy). The mark, a few words
/// for the row, the whole reason for the detail. The verdicts are `regscope verify`'s.
#[must_use]
pub fn signature_verdict(
    node: &Node,
    root: bool,
    checked: &Checked,
) -> Option<(Mark, String, String)> {
    if root {
        return match checked {
            Checked::NoPolicy => None,
            Checked::KeyUnusable { key, why, policy } => Some((
                Mark::Failed,
                "policy unusable".into(),
                format!("not verified: the {key} of {policy} {why}"),
            )),
            Checked::Verdicts {
                satisfied: true,
                key,
                policy,
                ..
            } => Some((
                Mark::Verified,
                "signed".into(),
                match checked.signer_of(&node.digest) {
                    Some(s) => format!(
                        "signed by {}: a signature of this image verifies with {key} ({policy})",
                        s.describe()
                    ),
                    None => format!("a signature of this image verifies with {key} ({policy})"),
                },
            )),
            Checked::Verdicts {
                key, policy, kinds, ..
            } => Some((
                Mark::Failed,
                kinds.brief_failure().into(),
                format!("no signature of this image verifies with {key} ({policy})"),
            )),
        };
    }
    let origin = node.origin.as_ref()?;
    // An attestation the policy judged has its verdict too; one it did not is no signature.
    if let Some(verdict) = checked.verdict_of(&node.digest) {
        return Some(verdict);
    }
    if !crate::attachments::carries(node, &origin.tags)
        .contains(&crate::attachments::Carries::Signature)
    {
        return None;
    }
    Some((
        Mark::Unknown,
        "no policy".into(),
        "read, not verified: no [verify.\"PATTERN\"] policy in the config file covers this repository; `regscope verify REF --key FILE` checks it with a key".to_string(),
    ))
}

/// Green for verified, red for failed, dim for unknown.
#[must_use]
pub fn mark_style(mark: Mark, theme: Theme) -> ratatui::style::Style {
    match mark {
        Mark::Verified => theme.platform(),
        Mark::Failed => theme.error(),
        Mark::Unknown => theme.dim(),
    }
}

fn panes_at(size: (u16, u16)) -> TreePanes {
    tree_panes(crate::tui::layout::screen(Rect::new(0, 0, size.0, size.1)).body)
}

/// The finding whose fix `c` (and `y` in the findings pane) copies: the findings pane's
/// cursor when the pane has the focus, else the one at its top as scrolled.
#[must_use]
pub fn finding_in_view(v: &TreeView, size: (u16, u16)) -> Option<Finding> {
    let inspected = v.load.loaded()?;
    let row = v.selected()?;
    let entries = entries(row.node, &v.target_findings, &inspected.findings);
    if v.focus == crate::tui::views::tree::Pane::Findings {
        return entries.get(v.finding).map(|e| e.finding.clone());
    }
    let (_, lines) = findings_lines(
        row.node,
        TargetCheck::of(v),
        &inspected.findings,
        Theme { color: false },
    );
    let width = usize::from(panes_at(size).findings.width.saturating_sub(2));
    let mut line = 0;
    let mut shown = None;
    for (l, indent, entry) in &lines {
        if line > v.findings_scroll && shown.is_some() {
            break;
        }
        shown = Some(*entry);
        line += wrap(l, width, *indent).len();
    }
    shown
        .and_then(|i| entries.get(i))
        .map(|e| e.finding.clone())
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
        Problem::Cut { detail, .. } => format!("cut: {}", sanitize(detail)),
    }
}

/// Label width before a finding's message; continuation lines indent to it.
const SEVERITY_COLUMN: usize = 8;

/// `        fix: `: continuation lines of a fix indent past it.
const FIX_INDENT: usize = SEVERITY_COLUMN + 5;

/// One entry of the findings pane: a finding, or every finding of its code folded into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The first finding of the code (its message and fix stand for the rest).
    pub finding: &'a Finding,
    /// How many findings of this code were folded into the entry.
    pub count: usize,
    /// It says why the image will not run on the deployment target.
    pub target: bool,
}

/// The findings about `node` and everything under it, in the order that matters: the
/// target's first, then errors, warnings, info; one entry per code.
#[must_use]
pub fn entries<'a>(node: &Node, target: &'a [Finding], all: &'a [Finding]) -> Vec<Entry<'a>> {
    let mut digests = HashSet::new();
    node.walk(&mut |n| {
        digests.insert(n.digest.as_str());
    });
    let mut rest: Vec<&Finding> = all
        .iter()
        .filter(|f| digests.contains(f.digest.as_str()))
        .collect();
    // Stable: tree order within a severity.
    rest.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut out: Vec<Entry<'a>> = Vec::new();
    let ours = target
        .iter()
        .filter(|f| digests.contains(f.digest.as_str()))
        .map(|f| (f, true));
    for (finding, is_target) in ours.chain(rest.into_iter().map(|f| (f, false))) {
        match out
            .iter_mut()
            .find(|e| e.target == is_target && e.finding.code == finding.code)
        {
            Some(e) => e.count += 1,
            None => out.push(Entry {
                finding,
                count: 1,
                target: is_target,
            }),
        }
    }
    out
}

/// What the findings of `code` are about, counted: `2 platforms`.
fn counted(code: Code, n: usize) -> String {
    let noun = match code {
        Code::RunsAsRoot
        | Code::PlatformMismatch
        | Code::PlatformInvalid
        | Code::PlatformDuplicate
        | Code::PlatformMissing => "platforms",
        Code::AttestationManifest => "attestations",
        Code::TargetIncompatible => "problems",
        _ => "entries",
    };
    format!("{n} {noun}")
}

/// The command in a fix (its longest `backticked` text: a fix may quote `docker pull` in
/// passing before the command to run), else the whole fix: what `c` copies.
#[must_use]
pub fn fix_command(fix: &str) -> &str {
    fix.split('`')
        .skip(1)
        .step_by(2)
        // An unclosed backtick leaves a tail that is not a quoted command.
        .take(fix.matches('`').count() / 2)
        .filter(|c| !c.trim().is_empty())
        .max_by_key(|c| c.len())
        .unwrap_or(fix)
}

/// The pane's title and its lines, each with the indent its continuation lines get and the
/// entry it belongs to.
fn findings_lines(
    node: &Node,
    check: Option<TargetCheck<'_>>,
    all: &[Finding],
    theme: Theme,
) -> (String, Vec<(Line<'static>, usize, usize)>) {
    let target = check.map(|c| (c.target, c.findings));
    let target_findings = target.map_or(&[][..], |(_, f)| f);
    let entries = entries(node, target_findings, all);
    let here: usize = entries.iter().map(|e| e.count).sum();
    let mut title = format!(
        " findings: {here} here, {} in total ",
        all.len() + target_findings.len()
    );
    if let Some(check) = check {
        // The verdict the tag row shows: a tree whose files say it cannot start is rejected
        // although no target finding is about it.
        let rejected = match check.verdict {
            Some(v) => matches!(v, Verdict::Rejected(_)),
            None => !check.findings.is_empty(),
        };
        let verdict = if rejected { "rejected" } else { "runs" };
        title.push_str(&format!("· {}: {verdict} ", check.target));
    }
    let mut lines = Vec::new();
    if entries.is_empty() {
        lines.push((
            Line::styled(
                if here == 0 && all.is_empty() && target_findings.is_empty() {
                    "No findings."
                } else {
                    "No findings for this entry; select the root to see all."
                },
                theme.dim(),
            ),
            0,
            0,
        ));
    }
    for (i, e) in entries.iter().enumerate() {
        let f = e.finding;
        let mut head = vec![
            Span::styled(
                format!("{:<SEVERITY_COLUMN$}", severity_label(f.severity)),
                theme.severity(f.severity),
            ),
            Span::styled(f.code.as_str(), theme.bold()),
        ];
        if let (true, Some((target, _))) = (e.target, target) {
            head.push(Span::styled(format!(" ({target})"), theme.bold()));
        }
        if e.count > 1 {
            head.push(Span::styled(
                format!(": {}", counted(f.code, e.count)),
                theme.bold(),
            ));
        }
        let more = match e.count {
            1 => String::new(),
            n => format!("; and {} more", n - 1),
        };
        head.push(Span::raw(format!("  {}{more}", sanitize(&f.message))));
        lines.push((Line::from(head), SEVERITY_COLUMN, i));
        if let Some(fix) = &f.fix {
            lines.push((
                Line::styled(
                    format!("{:SEVERITY_COLUMN$}fix: {}", "", sanitize(fix)),
                    theme.dim(),
                ),
                FIX_INDENT,
                i,
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

#[cfg(test)]
mod tests {
    use super::fix_command;

    #[test]
    fn the_fix_command_is_the_longest_quoted_text_else_the_whole_fix() {
        assert_eq!(
            fix_command("Add `USER <non-root>` to the Dockerfile"),
            "USER <non-root>"
        );
        assert_eq!(
            fix_command(
                "Harmless for `docker pull`. Rebuild with `docker buildx build --sbom=false`"
            ),
            "docker buildx build --sbom=false"
        );
        assert_eq!(fix_command("Build a Linux image"), "Build a Linux image");
        assert_eq!(fix_command("odd `unclosed quote"), "odd `unclosed quote");
        assert_eq!(fix_command("`` then `ls` and `an unclosed tail"), "ls");
    }
}

//! The text tree of `regscope inspect`: one line per node, attestations and problems stand out.

use std::fmt::Write as _;

use super::present::{FactKind, NodeLabel, Segment};
use super::style::Style;
use crate::analysis::Finding;
use crate::digest;
use crate::inspect::Inspection;
use crate::model::{Kind, Node};
use crate::sanitize::sanitize;

/// Width of the first column: a platform, or what the entry is.
const COLUMN: usize = 15;
/// Width of an in-toto statement's predicate type, so the summaries line up.
const PREDICATE: usize = 36;

/// Renders the tree and the findings.
#[must_use]
pub fn render(inspection: &Inspection, findings: &[Finding], style: Style) -> String {
    let mut out = String::new();
    let root = &inspection.root;
    let label = NodeLabel::new(root, findings);
    let _ = writeln!(
        out,
        "{}  {}{}",
        style.bold(&sanitize(&inspection.reference)),
        digest::short_ends(&root.digest),
        tail(&label, style)
    );
    render_children(&mut out, root, findings, "", style);
    render_findings(&mut out, findings, style);
    out
}

/// The findings section alone.
pub fn render_findings(out: &mut String, findings: &[Finding], style: Style) {
    if findings.is_empty() {
        let _ = writeln!(out, "findings: none");
        return;
    }
    let _ = writeln!(out, "findings");
    for f in findings {
        let _ = writeln!(
            out,
            "  {}  {:<22}  {}  {}",
            style.severity(f.severity, &format!("{:<7}", f.severity.as_str())),
            f.code.as_str(),
            digest::short(&f.digest),
            sanitize(&f.message)
        );
        if let Some(fix) = &f.fix {
            let _ = writeln!(
                out,
                "  {}",
                style.dim(&format!("         fix: {}", sanitize(fix)))
            );
        }
    }
}

fn render_children(
    out: &mut String,
    node: &Node,
    findings: &[Finding],
    prefix: &str,
    style: Style,
) {
    let count = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, extend) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        let label = NodeLabel::new(child, findings);
        let _ = writeln!(out, "{prefix}{}{}", style.dim(branch), line(&label, style));
        let prefix = format!("{prefix}{}", style.dim(extend));
        render_children(out, child, findings, &prefix, style);
    }
}

/// `linux/amd64      sha256:da8b1906…  OCI manifest  1 layer, 116 B  user root`.
///
/// The first column holds the platform where the descriptor claims one, else what the entry
/// is; a title that says more than the platform (an attestation's target) follows it.
fn line(label: &NodeLabel, style: Style) -> String {
    let (column, title) = match &label.platform {
        Some(p) if p.text != label.title.text => (p, Some(&label.title)),
        Some(p) => (p, None),
        None => (&label.title, None),
    };
    let mut s = style.tone(column.tone, &format!("{:<COLUMN$}", column.text));
    if let Some(t) = title {
        s.push_str("  ");
        s.push_str(&style.tone(t.tone, &headline(label, t)));
    }
    if let Some(d) = &label.digest {
        s.push_str("  ");
        s.push_str(d);
    }
    s.push_str(&tail(label, style));
    s
}

/// `ATTESTATION for linux/amd64 (sha256:da8b1906…)`: without colour an attestation reads like
/// any other entry, so the text tree shouts its kind and names the manifest it is about.
fn headline(label: &NodeLabel, title: &Segment) -> String {
    let text = if label.kind == Kind::Attestation {
        match title.text.split_once(' ') {
            Some((word, rest)) => format!("{} {rest}", word.to_uppercase()),
            None => title.text.to_uppercase(),
        }
    } else {
        title.text.clone()
    };
    match &label.attests {
        Some(a) => format!("{text} ({})", a.digest),
        None => text,
    }
}

/// Every fact, then the problem in full: `  OCI manifest  1 layer, 116 B  user root`.
fn tail(label: &NodeLabel, style: Style) -> String {
    let mut s = String::new();
    for f in &label.facts {
        s.push_str("  ");
        let text = if f.kind == FactKind::Predicate {
            format!("{:<PREDICATE$}", f.text)
        } else {
            f.text.clone()
        };
        s.push_str(&style.tone(f.tone, &text));
    }
    if let Some(p) = &label.problem {
        s.push_str("  ");
        s.push_str(&style.error(&p.to_string()));
    }
    s
}

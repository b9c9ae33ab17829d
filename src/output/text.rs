//! The text tree of `regscope inspect`: one line per node, attestations and problems stand out.

use std::fmt::Write as _;

use super::human_size;
use super::style::Style;
use crate::analysis::{platform_label, Finding};
use crate::digest;
use crate::inspect::Inspection;
use crate::model::annotations;
use crate::model::media_type as mt;
use crate::model::{Kind, Node, Problem};
use crate::sanitize::sanitize;

/// Renders the tree and the findings.
#[must_use]
pub fn render(inspection: &Inspection, findings: &[Finding], style: Style) -> String {
    let mut out = String::new();
    let root = &inspection.root;
    let _ = writeln!(
        out,
        "{}  {}  {}",
        style.bold(&sanitize(&inspection.reference)),
        digest::short_ends(&root.digest),
        node_summary(root)
    );
    render_children(&mut out, root, "", style);
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

fn render_children(out: &mut String, node: &Node, prefix: &str, style: Style) {
    let count = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, extend) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        let _ = writeln!(out, "{prefix}{}{}", style.dim(branch), line(child, style));
        render_children(out, child, &format!("{prefix}{}", style.dim(extend)), style);
    }
}

fn line(n: &Node, style: Style) -> String {
    let mut s = match n.kind {
        Kind::Index => format!(
            "{}  {}  {}",
            platform_col(n, style),
            digest::short(&n.digest),
            node_summary(n)
        ),
        Kind::Manifest => format!(
            "{}  {}  {}",
            platform_col(n, style),
            digest::short(&n.digest),
            node_summary(n)
        ),
        Kind::Attestation => {
            let about = match &n.attests {
                Some(a) => format!(
                    "ATTESTATION for {} ({})",
                    a.platform.as_ref().map_or_else(
                        || "a manifest not in this index".to_string(),
                        platform_label
                    ),
                    digest::short(&a.digest)
                ),
                None => "ATTESTATION".to_string(),
            };
            let plat = n
                .platform
                .as_ref()
                .map_or_else(|| "unknown/unknown".into(), ToString::to_string);
            format!(
                "{}  {}  {}",
                style.attestation(&format!("{plat:<15}")),
                style.attestation(&about),
                digest::short(&n.digest)
            )
        }
        Kind::Config => {
            let mut s = format!(
                "{}  {}",
                style.dim(&format!("{:<15}", "config")),
                digest::short(&n.digest)
            );
            if let Some(c) = &n.config {
                let _ = write!(s, "  {}", style.platform(&sanitize(&c.platform_string())));
                if let Some(ep) = c.entrypoint.as_ref().filter(|v| !v.is_empty()) {
                    let _ = write!(s, "  entrypoint {}", sanitize(&format!("{ep:?}")));
                }
                if let Some(cmd) = c.cmd.as_ref().filter(|v| !v.is_empty()) {
                    let _ = write!(s, "  cmd {}", sanitize(&format!("{cmd:?}")));
                }
            } else if n.media_type == mt::OCI_EMPTY || n.size <= 2 {
                s.push_str("  empty");
            } else {
                let _ = write!(s, "  {}", sanitize(&mt::describe(&n.media_type)));
            }
            s
        }
        Kind::Layer => format!(
            "{}  {}  {} {}",
            style.dim(&format!("{:<15}", "layer")),
            digest::short(&n.digest),
            sanitize(&mt::describe(&n.media_type)),
            human_size(n.size)
        ),
        Kind::Statement => {
            let predicate = n
                .annotations
                .get(annotations::IN_TOTO_PREDICATE_TYPE)
                .cloned()
                .or_else(|| n.statement.as_ref().map(|s| s.predicate_type.clone()))
                .unwrap_or_default();
            let summary = n
                .statement
                .as_ref()
                .map(|s| s.one_line())
                .unwrap_or_default();
            format!(
                "{}  {:<36}  {}",
                style.attestation(&format!("{:<15}", "in-toto")),
                sanitize(&predicate),
                sanitize(&summary)
            )
        }
        Kind::Referrer => format!(
            "{}  {}  {}",
            style.info(&format!("{:<15}", "referrer")),
            digest::short(&n.digest),
            sanitize(n.artifact_type.as_deref().unwrap_or(&n.media_type))
        ),
        Kind::Missing => format!(
            "{}  {}  {}",
            platform_col(n, style),
            digest::short(&n.digest),
            style.error("MISSING: the registry does not have it")
        ),
    };
    if let Some(p) = &n.problem {
        let note = match p {
            Problem::Missing { .. } => String::new(),
            Problem::DigestMismatch { actual, .. } => {
                format!(
                    "  DIGEST MISMATCH (content hashes to {})",
                    digest::short(actual)
                )
            }
            Problem::TooLarge { limit, .. } => format!(
                "  TOO LARGE (over {} )",
                human_size(i64::try_from(*limit).unwrap_or(i64::MAX))
            ),
            Problem::Malformed { detail } => format!("  MALFORMED: {}", sanitize(detail)),
            Problem::Cycle => "  CYCLE: refers back to an index above".into(),
            Problem::FetchFailed { detail } => format!("  NOT FETCHED: {}", sanitize(detail)),
        };
        if !note.is_empty() {
            s.push_str(&style.error(&note));
        }
    }
    s
}

fn platform_col(n: &Node, style: Style) -> String {
    let text = n.platform.as_ref().map_or_else(
        || {
            if n.kind == Kind::Index {
                "index".to_string()
            } else {
                "-".to_string()
            }
        },
        platform_label,
    );
    let padded = format!("{:<15}", sanitize(&text));
    if n.platform
        .as_ref()
        .is_some_and(crate::model::Platform::is_unknown)
    {
        style.attestation(&padded)
    } else {
        style.platform(&padded)
    }
}

/// "OCI image index, 4 entries, 1.2 MiB" / "OCI manifest  1 layer, 116 B  user root".
fn node_summary(n: &Node) -> String {
    let kind = mt::describe(&n.media_type);
    if n.problem.is_some() && n.children.is_empty() {
        return sanitize(&kind).into_owned();
    }
    match n.kind {
        Kind::Index => {
            let entries = n
                .children
                .iter()
                .filter(|c| c.kind != Kind::Referrer)
                .count();
            format!(
                "{kind}, {entries} {}, {} total",
                plural(entries, "entry", "entries"),
                human_size(n.total_size())
            )
        }
        _ => {
            let layers = n.children.iter().filter(|c| c.kind == Kind::Layer).count();
            let mut s = format!(
                "{kind}  {layers} {}, {}",
                plural(layers, "layer", "layers"),
                human_size(n.layers_size())
            );
            if let Some(c) = n.config_summary() {
                let user = if c.runs_as_root() {
                    "root".to_string()
                } else {
                    sanitize(&c.user).into_owned()
                };
                let _ = write!(s, "  user {user}");
            }
            s
        }
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

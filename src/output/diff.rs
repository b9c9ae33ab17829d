//! `regscope diff`: two references side by side, or a promotion map's table, as text or JSON.
//! Every registry string is sanitised here.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::diff::fetch::{LineReport, TagOutcome};
use crate::diff::Comparison;
use crate::digest::short;
use crate::sanitize::sanitize;

/// The comparison as text: digests, platforms, per platform what differs, attachments, verdict.
#[must_use]
pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "left   {}  {}",
        sanitize(&c.left),
        short(&c.left_digest)
    );
    let _ = writeln!(
        out,
        "right  {}  {}",
        sanitize(&c.right),
        short(&c.right_digest)
    );
    let _ = writeln!(
        out,
        "{}",
        if c.same_digest {
            "same digest"
        } else {
            "different digests"
        }
    );
    for p in &c.platforms_only_left {
        let _ = writeln!(out, "  {p}: only left");
    }
    for p in &c.platforms_only_right {
        let _ = writeln!(out, "  {p}: only right");
    }
    for p in &c.platforms {
        let config = if p.left_config == p.right_config {
            "config same".to_string()
        } else {
            format!(
                "config {} -> {}",
                p.left_config.as_deref().map_or("none".into(), short),
                p.right_config.as_deref().map_or("none".into(), short)
            )
        };
        let manifest = if p.left_manifest == p.right_manifest {
            format!("manifest {}", short(&p.left_manifest))
        } else {
            format!(
                "manifest {} -> {}",
                short(&p.left_manifest),
                short(&p.right_manifest)
            )
        };
        let _ = writeln!(
            out,
            "  {}: {manifest}, {config}, layers {} shared, {} only left, {} only right",
            p.platform,
            p.layers_shared,
            p.layers_only_left.len(),
            p.layers_only_right.len()
        );
        for change in &p.config_changes {
            let _ = writeln!(
                out,
                "    {}: {} -> {}",
                change.field,
                shown(&change.left),
                shown(&change.right)
            );
        }
    }
    for a in &c.attachments_only_left {
        let _ = writeln!(out, "  attachment only left: {a}");
    }
    for a in &c.attachments_only_right {
        let _ = writeln!(out, "  attachment only right: {a}");
    }
    for a in &c.attachments_replaced {
        let _ = writeln!(out, "  attachment made again: {a}");
    }
    if c.identical() {
        let _ = writeln!(
            out,
            "identical: same platforms, configs, layers and attachments"
        );
    } else {
        let _ = writeln!(out, "DIFFERENT: {}", c.drift().join("; "));
    }
    out
}

fn shown(s: &str) -> String {
    if s.is_empty() {
        "(none)".into()
    } else {
        sanitize(s).into_owned()
    }
}

/// The comparison as one JSON document.
#[must_use]
pub fn json(c: &Comparison) -> Value {
    let mut v = json!(c);
    if let Some(o) = v.as_object_mut() {
        o.insert("identical".into(), json!(c.identical()));
        o.insert("drift".into(), json!(c.drift()));
    }
    v
}

/// The promotion table: one row per tag, then why lines were not checked, then the verdict.
#[must_use]
pub fn render_map(reports: &[LineReport]) -> String {
    let mut rows: Vec<[String; 5]> = vec![[
        "SOURCE".into(),
        "TARGET".into(),
        "TAG".into(),
        "RESULT".into(),
        "WHAT".into(),
    ]];
    for r in reports {
        let (s, t) = (sanitize(&r.promotion.source), sanitize(&r.promotion.target));
        for (tag, outcome) in &r.tags {
            let what = match outcome {
                TagOutcome::Drifted(d) => d.join("; "),
                TagOutcome::NotPromoted => "the target has no such tag".into(),
                TagOutcome::Failed(e) => e.clone(),
                TagOutcome::Identical => String::new(),
            };
            rows.push([
                s.to_string(),
                t.to_string(),
                sanitize(tag).into_owned(),
                outcome.as_str().into(),
                sanitize(&what).into_owned(),
            ]);
        }
    }
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            let _ = write!(line, "{:<w$}  ", row[i]);
        }
        line.push_str(&row[4]);
        let _ = writeln!(out, "{}", line.trim_end());
    }
    for r in reports {
        for note in &r.notes {
            let _ = writeln!(
                out,
                "line {} ({}): {}",
                r.promotion.line,
                sanitize(&r.promotion.source),
                sanitize(note)
            );
        }
    }
    let total: usize = reports.iter().map(|r| r.tags.len()).sum();
    let drifted: usize = reports
        .iter()
        .map(|r| r.tags.iter().filter(|(_, o)| o.is_drift()).count())
        .sum();
    let unchecked = reports.iter().filter(|r| r.tags.is_empty()).count();
    if drifted == 0 && unchecked == 0 {
        let _ = writeln!(out, "ok: all {total} tags identical");
    } else {
        let _ = writeln!(
            out,
            "DRIFT: {drifted} of {total} tags differ{}",
            if unchecked > 0 {
                format!(", {unchecked} lines checked nothing")
            } else {
                String::new()
            }
        );
    }
    out
}

/// The promotion check as one JSON document.
#[must_use]
pub fn map_json(reports: &[LineReport]) -> Value {
    json!({
        "drift": reports.iter().any(LineReport::drifted),
        "lines": reports.iter().map(|r| json!({
            "line": r.promotion.line,
            "source": r.promotion.source,
            "target": r.promotion.target,
            "glob": r.promotion.glob,
            "notes": r.notes,
            "tags": r.tags.iter().map(|(tag, o)| json!({
                "tag": tag,
                "result": o.as_str(),
                "drift": match o {
                    TagOutcome::Drifted(d) => d.clone(),
                    TagOutcome::Failed(e) => vec![e.clone()],
                    _ => Vec::new(),
                },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

//! `regscope diff`: two references side by side, or a promotion map's table, as text or JSON.
//! Every registry string is sanitised here.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::diff::fetch::{LineReport, TagOutcome};
use crate::diff::{Change, Comparison, ConfigChange, Verdict};
use crate::digest::short;
use crate::sanitize::sanitize;

/// The comparison as text: digests, platforms, per platform what differs, attachments, what
/// could not be compared, the verdict. `cli` adds the hint that names `--show-env-values`
/// (which the TUI does not have).
#[must_use]
pub fn render(c: &Comparison, cli: bool) -> String {
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
    let mut hidden = false;
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
            hidden |= change.value_hidden;
            let _ = writeln!(out, "    {}", change_line(change));
        }
    }
    if hidden && cli {
        let _ = writeln!(
            out,
            "    (environment values are not shown; --show-env-values shows them)"
        );
    }
    for line in c.signing.iter().chain(&c.signing_notes) {
        let _ = writeln!(out, "  signing: {line}");
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
    // The reasons on lines of their own: they are long (digests, registry error text), and the
    // TUI's compare view shows these same lines.
    for u in &c.incomplete {
        let _ = writeln!(
            out,
            "  not compared: {} on {}:",
            sanitize(&u.what),
            u.side.words()
        );
        let lines = if u.lines.is_empty() {
            std::slice::from_ref(&u.why)
        } else {
            u.lines.as_slice()
        };
        for line in lines {
            let _ = writeln!(out, "    {}", sanitize(line));
        }
    }
    let _ = writeln!(out, "{}", verdict_line(c));
    out
}

/// The last line of [`render`], alone: what the TUI's status line says after `=`.
#[must_use]
pub fn verdict_line(c: &Comparison) -> String {
    match c.verdict() {
        Verdict::Identical => "identical: same platforms, configs, layers and attachments".into(),
        Verdict::Different => {
            let mut line = format!("DIFFERENT: {}", sanitize(&c.drift().join("; ")));
            if !c.incomplete.is_empty() {
                let _ = write!(
                    line,
                    " (not compared: {})",
                    sanitize(&c.unread_summary().join(", "))
                );
            }
            line
        }
        Verdict::Incomplete => format!(
            "INCOMPLETE: not known to be identical; could not compare {}",
            sanitize(&c.unread_summary().join(", "))
        ),
    }
}

/// One changed setting as a user writes it: `entrypoint: ["/bin/start","--serve"] ->
/// ["/bin/app"]`, `env: DEBUG removed`, `env: TOKEN changed (value not shown)`,
/// `labels: version=1.0 -> version=1.1`, `exposed ports: 443/tcp added`.
#[must_use]
pub fn change_line(c: &ConfigChange) -> String {
    let field = c.field;
    match &c.name {
        None => format!("{field}: {} -> {}", value(&c.left), value(&c.right)),
        Some(name) => {
            let name = sanitize(name);
            let pair = |v: &Value| match v {
                Value::Null => name.to_string(),
                v => format!("{name}={}", value(v)),
            };
            match c.change {
                Change::Added => format!("{field}: {} added", pair(&c.right)),
                Change::Removed => format!("{field}: {} removed", pair(&c.left)),
                Change::Changed if c.value_hidden => {
                    format!("{field}: {name} changed (value not shown)")
                }
                Change::Changed if c.left.is_null() && c.right.is_null() => {
                    format!("{field}: {name} changed")
                }
                Change::Changed => format!("{field}: {} -> {}", pair(&c.left), pair(&c.right)),
            }
        }
    }
}

/// A config value as written: a string bare, a list as compact JSON, nothing as `(none)`.
fn value(v: &Value) -> String {
    match v {
        Value::Null => "(none)".into(),
        Value::String(s) if s.is_empty() => "(none)".into(),
        Value::String(s) => sanitize(s).into_owned(),
        // serde_json escapes control characters, so this is terminal-safe as well.
        other => sanitize(&other.to_string()).into_owned(),
    }
}

/// The comparison as one JSON document: the fields of [`Comparison`] with `verdict`,
/// `identical`, `drift` and `incomplete`.
#[must_use]
pub fn json(c: &Comparison) -> Value {
    let mut v = json!(c);
    if let Some(o) = v.as_object_mut() {
        o.insert("verdict".into(), json!(c.verdict().as_str()));
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
                TagOutcome::Incomplete(what) => what.join("; "),
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
    let incomplete: usize = reports
        .iter()
        .map(|r| r.tags.iter().filter(|(_, o)| o.is_incomplete()).count())
        .sum();
    let drifted = drifted - incomplete;
    let unchecked = reports.iter().filter(|r| r.tags.is_empty()).count();
    if drifted == 0 && unchecked == 0 && incomplete == 0 {
        let _ = writeln!(out, "ok: all {total} tags identical");
    } else {
        let mut parts = Vec::new();
        if incomplete > 0 {
            parts.push(format!(
                "{incomplete} of {total} tags could not be fully compared"
            ));
        }
        if unchecked > 0 {
            parts.push(format!("{unchecked} lines checked nothing"));
        }
        let head = if drifted > 0 || unchecked > 0 {
            format!("DRIFT: {drifted} of {total} tags differ")
        } else {
            "INCOMPLETE: no tag differs as far as could be read".into()
        };
        let tail = if parts.is_empty() {
            String::new()
        } else {
            format!(", {}", parts.join(", "))
        };
        let _ = writeln!(out, "{head}{tail}");
    }
    out
}

/// The promotion check as one JSON document.
#[must_use]
pub fn map_json(reports: &[LineReport]) -> Value {
    json!({
        "drift": reports.iter().any(LineReport::drifted),
        "verdict": map_verdict(reports).as_str(),
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
                "incomplete": match o {
                    TagOutcome::Incomplete(what) => what.clone(),
                    _ => Vec::new(),
                },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The promotion check's verdict: `different` when a tag drifted, is missing or failed, or a
/// line checked nothing; else `incomplete` when a tag could not be fully compared; else
/// `identical`. Its exit code is the process's.
#[must_use]
pub fn map_verdict(reports: &[LineReport]) -> Verdict {
    let outcomes = || reports.iter().flat_map(|r| r.tags.iter().map(|(_, o)| o));
    if reports.iter().any(|r| r.tags.is_empty())
        || outcomes().any(|o| o.is_drift() && !o.is_incomplete())
    {
        Verdict::Different
    } else if outcomes().any(TagOutcome::is_incomplete) {
        Verdict::Incomplete
    } else {
        Verdict::Identical
    }
}

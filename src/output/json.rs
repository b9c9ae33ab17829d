//! The stable JSON document of `inspect --json` / `check --json` (documented in the README).

use serde_json::{json, Map, Value};

use crate::analysis::Finding;
use crate::inspect::Inspection;
use crate::model::{Node, Problem};

/// `value` as pretty JSON safe to print on a terminal: serde escapes C0 controls, and this also
/// escapes what it passes through (DEL, C1 controls, bidi overrides and isolates), as `\uXXXX`,
/// which any JSON reader turns back into the same string.
#[must_use]
pub fn to_terminal_string(value: &Value) -> String {
    escape_for_terminal(serde_json::to_string_pretty(value).unwrap_or_default())
}

/// `value` as one line of JSON (JSON lines: `watch --json`), escaped as
/// [`to_terminal_string`] escapes.
#[must_use]
pub fn to_terminal_line(value: &Value) -> String {
    escape_for_terminal(serde_json::to_string(value).unwrap_or_default())
}

fn escape_for_terminal(text: String) -> String {
    if !text.chars().any(needs_escape) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            // Every such character is in the Basic Multilingual Plane: one `\uXXXX` each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Outside ASCII structure, so only ever inside a JSON string: escaping it keeps the JSON valid.
fn needs_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// `{"reference", "digest", "mediaType", "tree", "findings", ...}`.
#[must_use]
pub fn report(inspection: &Inspection, findings: &[Finding], target: Option<&str>) -> Value {
    let root = &inspection.root;
    let mut doc = Map::new();
    doc.insert("reference".into(), json!(inspection.reference));
    doc.insert("digest".into(), json!(root.digest));
    doc.insert("mediaType".into(), json!(root.media_type));
    if let Some(t) = target {
        doc.insert("target".into(), json!(t));
    }
    doc.insert("tree".into(), node(root));
    if inspection.attachments_looked_up {
        doc.insert("attachments".into(), attachments(&inspection.root));
        doc.insert(
            "orphanedAttachmentTags".into(),
            Value::Array(
                inspection
                    .orphaned
                    .iter()
                    .map(|o| json!({"tag": o.tag, "subject": o.subject}))
                    .collect(),
            ),
        );
        doc.insert("attachmentNotes".into(), json!(inspection.attachment_notes));
    }
    doc.insert("findings".into(), json!(findings));
    doc.insert("roundTrips".into(), json!(inspection.round_trips));
    if let Some(at) = inspection.resolved_at {
        // Offline: the tag is what it was then, not necessarily now.
        let secs = at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        doc.insert(
            "offline".into(),
            json!({ "fromCache": true, "tagResolvedAt": secs }),
        );
    }
    Value::Object(doc)
}

/// Every attachment of the tree: `{"digest", "subject", "subjectLabel", "sources", "tags",
/// "artifactType", "carries", "details", "verified": false, "verifyWith"}`.
#[must_use]
pub fn attachments(root: &Node) -> Value {
    Value::Array(
        crate::attachments::collect(root)
            .iter()
            .map(|a| {
                json!({
                    "digest": a.digest,
                    "subject": a.subject,
                    "subjectLabel": a.subject_label,
                    "sources": a.sources,
                    "tags": a.tags,
                    "artifactType": a.artifact_type,
                    "carries": a.carries,
                    "details": a.details,
                    "problem": a.problem,
                    "verified": false,
                    "verifyWith": a.verify_with(),
                })
            })
            .collect(),
    )
}

/// One tree node: `{"digest", "mediaType", "size", "kind", "platform", "attests", "annotations", "children"}` plus extras.
#[must_use]
pub fn node(n: &Node) -> Value {
    let mut o = Map::new();
    o.insert("digest".into(), json!(n.digest));
    o.insert("mediaType".into(), json!(n.media_type));
    o.insert("size".into(), json!(n.size));
    o.insert("kind".into(), json!(n.kind.as_str()));
    if let Some(p) = &n.platform {
        o.insert("platform".into(), json!(p.to_string()));
        if let Some(v) = &p.os_version {
            o.insert("osVersion".into(), json!(v));
        }
    }
    if let Some(a) = &n.attests {
        let mut attests = Map::new();
        attests.insert("digest".into(), json!(a.digest));
        if let Some(p) = &a.platform {
            attests.insert("platform".into(), json!(p.to_string()));
        }
        o.insert("attests".into(), Value::Object(attests));
    }
    o.insert("annotations".into(), json!(n.annotations));
    if let Some(t) = &n.artifact_type {
        o.insert("artifactType".into(), json!(t));
    }
    if matches!(
        n.kind,
        crate::model::Kind::Manifest | crate::model::Kind::Attestation
    ) {
        o.insert("layersSize".into(), json!(n.layers_size()));
    }
    if n.kind == crate::model::Kind::Index {
        o.insert("totalSize".into(), json!(n.total_size()));
    }
    if let Some(c) = &n.config {
        o.insert("config".into(), json!(c));
    }
    if let Some(s) = &n.statement {
        o.insert("statement".into(), json!(s));
    }
    if let Some(p) = &n.payload {
        o.insert("payload".into(), json!(p));
    }
    if let Some(origin) = &n.origin {
        o.insert(
            "foundVia".into(),
            json!({"sources": origin.sources, "tags": origin.tags}),
        );
    }
    if let Some(p) = &n.problem {
        o.insert("problem".into(), problem(p));
    }
    o.insert(
        "children".into(),
        Value::Array(n.children.iter().map(node).collect()),
    );
    Value::Object(o)
}

fn problem(p: &Problem) -> Value {
    match p {
        Problem::Missing { detail } => json!({"type": "missing", "detail": detail}),
        Problem::DigestMismatch {
            expected,
            actual,
            loops,
        } => {
            json!({"type": "digest-mismatch", "expected": expected, "actual": actual, "cycle": loops})
        }
        Problem::TooLarge { limit, size } => {
            json!({"type": "too-large", "limit": limit, "size": size})
        }
        Problem::Malformed { detail } => json!({"type": "malformed", "detail": detail}),
        Problem::Cycle => json!({"type": "cycle"}),
        Problem::FetchFailed { detail } => json!({"type": "fetch-failed", "detail": detail}),
        Problem::Cut { detail, repeated } => {
            json!({"type": if *repeated { "repeated" } else { "cut" }, "detail": detail})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_and_bidi_controls_are_escaped_and_the_json_reads_back_the_same() {
        let value = json!({"label": "a\u{9b}31mb\u{202e}c\u{7f}", "plain": "sha256:ab"});
        let text = to_terminal_string(&value);
        assert!(
            !text
                .chars()
                .any(|c| needs_escape(c) || (c.is_control() && c != '\n')),
            "{text}"
        );
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e"),
            "{text}"
        );
        let back: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, value);
    }
}

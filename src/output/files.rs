//! `regscope files` output: a platform's merged filesystem (every path, or one path's
//! metadata) as text or JSON. Every name from a layer goes through `sanitize`.

use serde_json::{json, Value};

use crate::analysis::files::Facts;
use crate::analysis::Finding;
use crate::digest::short;
use crate::layers::fs::{Lookup, Node};
use crate::layers::{EntryKind, Exec, Filesystem};
use crate::present::human_size;
use crate::sanitize::sanitize;

/// What a `files` run shows about the image around the paths.
pub struct Header<'a> {
    pub reference: &'a str,
    pub manifest: &'a str,
    pub platform: &'a str,
    pub facts: &'a Facts,
    /// What the files say (a start failure, no CA bundle, a USER not in /etc/passwd), as
    /// `check --files` reports it.
    pub findings: &'a [Finding],
    /// The terminal's width, for wrapping the findings (none: not a terminal).
    pub width: Option<usize>,
}

/// `-rwxr-xr-x`, `drwxr-xr-x`, `lrwxrwxrwx`.
#[must_use]
pub fn mode_string(kind: EntryKind, mode: u32) -> String {
    let first = match kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::Other => 'c',
        _ => '-',
    };
    let mut s = String::from(first);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// One line for a path: mode, owner, size, the layer that wrote it, the path (and link).
#[must_use]
pub fn line(node: &Node) -> String {
    let e = &node.entry;
    let mut out = format!(
        "{} {:>5}:{:<5} {:>10}  L{:<2} /{}",
        mode_string(e.kind, e.mode),
        e.uid,
        e.gid,
        if e.kind == EntryKind::File {
            human_size(i64::try_from(e.size).unwrap_or(i64::MAX))
        } else {
            String::new()
        },
        node.layer + 1,
        sanitize(&e.path)
    );
    if let Some(link) = &e.link {
        let arrow = if e.kind == EntryKind::Hardlink {
            "link to /"
        } else {
            "-> "
        };
        out.push_str(&format!(" {arrow}{}", sanitize(link)));
    }
    out
}

fn header_text(h: &Header<'_>, fs: &Filesystem) -> String {
    let mut out = format!(
        "{} ({}) {}\nos: {}\n",
        sanitize(h.reference),
        sanitize(h.platform),
        short(h.manifest),
        h.facts.os
    );
    if let Some(cmd) = &h.facts.command {
        out.push_str(&format!(
            "starts: {cmd}{}{}\n",
            h.facts
                .resolved
                .as_deref()
                .map(|r| format!(" -> {r}"))
                .unwrap_or_default(),
            h.facts
                .program
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        ));
    }
    super::text::render_findings(&mut out, h.findings, super::style::Style::plain(), h.width);
    out.push_str("layer  digest               type  added  changed  removed  size\n");
    for (i, c) in fs.changes().iter().enumerate() {
        out.push_str(&format!(
            "L{:<5} {:<20} {:<5} {:>5}  {:>7}  {:>7}  {}\n",
            i + 1,
            short(&c.digest),
            c.compression,
            c.added,
            c.changed,
            c.removed,
            human_size(i64::try_from(c.bytes).unwrap_or(i64::MAX))
        ));
    }
    for why in fs.stopped() {
        out.push_str(&format!("partial: {}\n", sanitize(&why)));
    }
    out
}

/// Every path of the filesystem, after the header.
#[must_use]
pub fn listing_text(h: &Header<'_>, fs: &Filesystem) -> String {
    let mut out = header_text(h, fs);
    out.push('\n');
    for node in fs.nodes() {
        out.push_str(&line(node));
        out.push('\n');
    }
    out
}

/// One path: its own entry, where it resolves to, and a directory's entries.
#[must_use]
pub fn path_text(h: &Header<'_>, fs: &Filesystem, path: &str, depth: usize) -> Option<String> {
    let (own, resolved, children) = lookup(fs, path, depth);
    if own.is_none() && resolved.is_none() {
        return None;
    }
    let mut out = header_text(h, fs);
    out.push('\n');
    if let Some(node) = own {
        out.push_str(&line(node));
        out.push('\n');
        out.push_str(&format!(
            "written by layer {} ({})\n",
            node.layer + 1,
            short(
                &fs.changes()
                    .get(node.layer)
                    .map(|c| c.digest.clone())
                    .unwrap_or_default()
            )
        ));
        if let Some(exec) = &node.entry.exec {
            out.push_str(&format!("program: {}\n", describe_exec(exec)));
        }
    }
    match &resolved {
        Some(Lookup::Found(p)) if own.is_none_or(|n| n.entry.path != *p) => {
            out.push_str(&format!("resolves to /{}\n", sanitize(p)));
            if let Some(Exec::Elf(_) | Exec::Script { .. }) =
                fs.get(p).and_then(|n| n.entry.exec.as_ref())
            {
                if let Some(exec) = fs.get(p).and_then(|n| n.entry.exec.as_ref()) {
                    out.push_str(&format!("program: {}\n", describe_exec(exec)));
                }
            }
        }
        Some(Lookup::Missing { missing }) => {
            out.push_str(&format!("dangling: nothing at /{}\n", sanitize(missing)));
        }
        Some(Lookup::Loop { at }) => {
            out.push_str(&format!("a loop of symbolic links at /{}\n", sanitize(at)));
        }
        _ => {}
    }
    for child in children {
        out.push_str(&line(child));
        out.push('\n');
    }
    Some(out)
}

/// The entry at `path` itself, what it resolves to, and the entries of the directory it is.
fn lookup<'a>(
    fs: &'a Filesystem,
    path: &str,
    depth: usize,
) -> (Option<&'a Node>, Option<Lookup>, Vec<&'a Node>) {
    let normal = crate::layers::normalize(path).unwrap_or_default();
    let own = fs.get(&normal);
    let resolved = fs.resolve(path, depth);
    let children = match &resolved {
        Lookup::Found(p) if fs.is_dir(p) => fs.children(p).collect(),
        _ => Vec::new(),
    };
    let resolved = match (&resolved, own) {
        (Lookup::Found(_), _) | (_, Some(_)) => Some(resolved),
        _ => None,
    };
    (own, resolved, children)
}

/// `ELF amd64, dynamic (/lib/ld-musl-x86_64.so.1)`, `script (/bin/sh)`.
#[must_use]
pub fn describe_exec(exec: &Exec) -> String {
    match exec {
        Exec::Elf(e) => format!(
            "ELF {}, {}",
            e.architecture().unwrap_or("unknown machine"),
            sanitize(&e.linking())
        ),
        Exec::Script { interpreter } => format!("script ({})", sanitize(interpreter)),
        Exec::Unknown => "not an ELF or script".into(),
    }
}

fn node_json(node: &Node) -> Value {
    let e = &node.entry;
    json!({
        "path": format!("/{}", e.path),
        "kind": e.kind.as_str(),
        "size": e.size,
        "mode": format!("{:04o}", e.mode),
        "uid": e.uid,
        "gid": e.gid,
        "layer": node.layer + 1,
        "link": e.link,
        "program": e.exec.as_ref().map(describe_exec),
    })
}

fn header_json(h: &Header<'_>, fs: &Filesystem) -> Value {
    json!({
        "reference": h.reference,
        "manifest": h.manifest,
        "platform": h.platform,
        "os": h.facts.os,
        "command": h.facts.command,
        "resolved": h.facts.resolved,
        "program": h.facts.program,
        "caBundle": h.facts.ca_bundle,
        "findings": h.findings,
        "layers": fs.changes(),
        "partial": fs.stopped(),
    })
}

/// The JSON document for every path (`entries`) or one path (`path`, `resolved`, `entries`).
#[must_use]
pub fn to_json(h: &Header<'_>, fs: &Filesystem, path: Option<&str>, depth: usize) -> Option<Value> {
    let mut doc = header_json(h, fs);
    match path {
        None => doc["entries"] = fs.nodes().map(node_json).collect(),
        Some(path) => {
            let (own, resolved, children) = lookup(fs, path, depth);
            if own.is_none() && resolved.is_none() {
                return None;
            }
            doc["path"] = own.map_or(Value::Null, node_json);
            doc["resolved"] = match resolved {
                Some(Lookup::Found(p)) => json!(format!("/{p}")),
                Some(Lookup::Missing { missing }) => json!({ "missing": format!("/{missing}") }),
                Some(Lookup::Loop { at }) => json!({ "loop": format!("/{at}") }),
                None => Value::Null,
            };
            doc["entries"] = children.into_iter().map(node_json).collect();
        }
    }
    Some(doc)
}

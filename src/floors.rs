//! No loops between top-level modules, nor between the files of one module: reads the
//! `crate::`, `super::` and `self::` paths of `src/` and fails on any cycle, so a loop that is
//! gone cannot come back (issue 20). Test-only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level module a file under `src/` belongs to (`registry` for
/// `src/registry/http.rs`, `config` for `src/config.rs`).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The top-level modules a source text names through `crate::` (paths and `use` groups such
/// as `use crate::{analysis, model::Node}`, over several lines too), comment lines left out.
fn named_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let leading = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            out.insert(leading(rest));
            continue;
        };
        // Only the items at the group's own level name modules.
        let mut depth = 0usize;
        let mut item = String::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.insert(leading(&item));
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        out.insert(leading(&item));
    }
    out.retain(|n| !n.is_empty() && n != "self");
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module -> the modules it imports, for every top-level module of the library (`cli/` and
/// `main.rs` are the binary's).
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(from) = top_module(&src, &file) else {
            continue;
        };
        if ["cli", "main", "lib"].contains(&from.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let to = named_modules(&text);
        let edges = graph.entry(from.clone()).or_default();
        edges.extend(to.into_iter().filter(|t| *t != from));
    }
    graph
}

/// A cycle of `graph`, as the modules along it, if there is one (depth first, bounded by the
/// number of modules: each is finished once).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_loop_between_top_level_modules() {
    let graph = import_graph();
    assert!(
        graph.len() > 15 && graph["tui"].contains("analysis"),
        "the graph was not read: {graph:?}"
    );
    if let Some(found) = cycle(&graph) {
        panic!(
            "a loop between top-level modules: {}; an import should only point down (see \
             src/lib.rs for the floors)",
            found.join(" -> ")
        );
    }
}

/// A file's module path: `src/tui/views/files.rs` is `tui::views::files`, a `mod.rs` its
/// directory's.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut path: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|l| l == "mod") {
        path.pop();
    }
    path
}

/// The module paths a file's code names through `crate::`, `super::` and `self::` (groups
/// expanded, `super` resolved against `here`, the file's module), comment lines and the tests
/// module at its end left out.
fn named_paths(text: &str, here: &[String]) -> Vec<Vec<String>> {
    let code: String = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or("")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let starts_word = at == 0 || !(chars[at - 1].is_alphanumeric() || chars[at - 1] == '_');
        let rest: String = chars[at..chars.len().min(at + 7)].iter().collect();
        if starts_word
            && ["crate::", "super::", "self::"]
                .iter()
                .any(|p| rest.starts_with(p))
        {
            at = path_at(&chars, at, here, &[], &mut out);
        } else {
            at += 1;
        }
    }
    out
}

/// Reads one path (or group) starting at `at` under `prefix`, into `out`; where it ends.
fn path_at(
    chars: &[char],
    mut at: usize,
    here: &[String],
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix.to_vec();
    loop {
        while chars.get(at).is_some_and(|c| c.is_whitespace()) {
            at += 1;
        }
        if chars.get(at) == Some(&'{') {
            at += 1;
            loop {
                let from = at;
                at = path_at(chars, at, here, &path, out);
                // `*` or anything else that names no module: step over it.
                at = at.max(from + 1);
                while chars
                    .get(at)
                    .is_some_and(|c| c.is_whitespace() || *c == ',')
                {
                    at += 1;
                }
                if chars.get(at).is_none_or(|c| *c == '}') {
                    return at + 1;
                }
            }
        }
        let word: String = chars[at..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || **c == '_')
            .collect();
        at += word.chars().count();
        match word.as_str() {
            "crate" if path.is_empty() => {}
            "super" if path.is_empty() || path.iter().all(|p| p == "super") => {
                path.push(word);
            }
            "self" if path.is_empty() => path.extend(here.iter().cloned()),
            "self" => {}
            "" => break,
            _ => {
                let ups = path.iter().take_while(|p| *p == "super").count();
                if ups > 0 {
                    let mut base = here[..here.len().saturating_sub(ups)].to_vec();
                    base.extend(path.drain(ups..));
                    path = base;
                }
                path.push(word);
            }
        }
        if chars[at..].starts_with(&[':', ':']) {
            at += 2;
        } else {
            break;
        }
    }
    out.push(path);
    at
}

/// File -> the files of the same top-level module it imports, a module's `mod.rs` and its
/// ancestors left out as targets (a file reaching up to its parent's items is Rust's way).
fn file_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(&src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let here = module_path(&src, file);
        if here.is_empty() || here[0] == "cli" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let edges = graph.entry(here.join("::")).or_default();
        for named in named_paths(&text, &here) {
            let Some(target) = (1..=named.len())
                .rev()
                .map(|n| named[..n].to_vec())
                .find(|p| modules.contains(p))
            else {
                continue;
            };
            if target[0] == here[0] && !here.starts_with(&target) {
                edges.insert(target.join("::"));
            }
        }
    }
    graph
}

/// Imports between files that still close a loop, each with what removes it. The test fails
/// when one is gone (strike it off) or when a loop needs another one.
const KNOWN_FILE_LOOPS: &[(&str, &str, &str)] = &[
    // Waste is what a merged filesystem measured; its tally walks fs::Node.
    ("layers::fs", "layers::waste", "fs.rs: waste::Waste"),
    // The tree view's panes are drawn from the view; the view asks panes for its layout.
    ("tui::panes", "tui::views", "panes.rs: views::TreeView"),
    (
        "tui::panes",
        "tui::views::tree",
        "panes.rs: views::tree::Pane",
    ),
];

#[test]
fn no_loop_between_the_files_of_a_module() {
    let mut graph = file_graph();
    assert!(
        graph["tui::app"].contains("tui::keymap") && graph["layers::merge"].contains("layers::fs"),
        "the graph was not read: {graph:?}"
    );
    for (from, to, where_) in KNOWN_FILE_LOOPS {
        assert!(
            graph.get_mut(*from).is_some_and(|e| e.remove(*to)),
            "{from} no longer imports {to} ({where_}): strike it off KNOWN_FILE_LOOPS"
        );
    }
    if let Some(found) = cycle(&graph) {
        panic!(
            "a loop between files: {}; move what both need into a file below them",
            found.join(" -> ")
        );
    }
}

#[test]
fn the_file_reader_resolves_super_and_groups() {
    let here: Vec<String> = ["tui", "views", "files"].map(String::from).to_vec();
    let text = "use super::super::action::{self, Command};\nuse crate::tui::{app::App, help};\n\
                let x = super::list::Cursor::new();\n// super::draw\n";
    let got: Vec<String> = named_paths(text, &here)
        .iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        got,
        [
            "tui::action",
            "tui::action::Command",
            "tui::app::App",
            "tui::help",
            "tui::views::list::Cursor::new"
        ]
    );
}

#[test]
fn the_reader_finds_paths_groups_and_skips_comments() {
    let text = "use crate::{analysis::{self, Finding}, model, report::Report};\n\
                // crate::tui is only mentioned\n\
                use crate::{\n    present::count,\n    sanitize,\n};\n\
                let x = crate::digest::Digest::parse(y);";
    let got: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(
        got,
        ["analysis", "digest", "model", "present", "report", "sanitize"]
    );
}

#[test]
fn a_loop_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let mut acyclic = graph;
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&acyclic), None);
}

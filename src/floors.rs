//! No loops between top-level modules: reads the `crate::` paths of `src/` and fails on any
//! cycle, so a loop that is gone cannot come back (issue 20). Test-only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Imports that still point up and close a loop, each with where it is and what removes it.
/// The test fails when one of them is gone (strike it off) or when a loop needs another one.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[
    // connect/mod.rs: the ECR login is a credential source; it belongs below connect, beside
    // the other sources (the SDK's GetAuthorizationToken out of `ecr`).
    (
        "connect",
        "ecr",
        "connect/mod.rs, connect/error.rs: ecr::login, api_endpoint",
    ),
];

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
    let mut graph = import_graph();
    assert!(
        graph.len() > 15 && graph["tui"].contains("analysis"),
        "the graph was not read: {graph:?}"
    );
    for (from, to, where_) in KNOWN_UPWARD {
        assert!(
            graph.get_mut(*from).is_some_and(|e| e.remove(*to)),
            "{from} no longer imports {to} ({where_}): strike it off KNOWN_UPWARD"
        );
    }
    if let Some(found) = cycle(&graph) {
        panic!(
            "a loop between top-level modules: {}; an import should only point down (see \
             src/lib.rs for the floors)",
            found.join(" -> ")
        );
    }
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

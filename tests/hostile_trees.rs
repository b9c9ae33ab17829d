//! Trees a hostile registry can serve, against a real docker-registry (and an OCI layout for
//! content the registry would refuse): fan-out, depth, flat size. Each is bounded by the tree
//! budget (every index expanded once, a depth limit, a node limit) with a finding that says
//! where the tree was cut, in the CLI and in the TUI.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::Output;

use serde_json::{json, Value};
use support::tmux::Tmux;
use support::{regscope_bin, TestRegistry};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `regscope::inspect::MAX_NODES`.
const MAX_NODES: usize = 10_000;

fn regscope(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    support::isolated_command(&regscope_bin(), home.path())
        .args(args)
        .arg("--no-cache")
        .output()
        .expect("run regscope")
}

/// The single-platform fixture pushed as `app:leaf`: its digest and size.
fn leaf(reg: &TestRegistry) -> (String, usize) {
    reg.seed_fixture("unsigned-image", "app:leaf");
    let resp = reg.get_manifest("app", "leaf");
    (
        resp.header("docker-content-digest").unwrap().to_string(),
        resp.body.len(),
    )
}

fn index_of(entries: usize, media_type: &str, digest: &str, size: usize) -> Vec<u8> {
    let entry = json!({"mediaType": media_type, "digest": digest, "size": size});
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": vec![entry; entries],
    }))
    .unwrap()
}

fn nodes(tree: &Value) -> usize {
    1 + tree["children"]
        .as_array()
        .map_or(0, |c| c.iter().map(nodes).sum())
}

fn codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn fan_out_depth_and_flat_size_are_cut_with_a_finding_in_the_cli_and_the_tui() {
    let reg = TestRegistry::start();
    let (leaf, leaf_size) = leaf(&reg);

    // Fan-out: 15,000 entries naming one index of 15,000 entries (2 MB each; 225 million
    // nodes if every occurrence were expanded).
    let inner = index_of(15_000, OCI_MANIFEST, &leaf, leaf_size);
    let inner_digest = reg.put_manifest("app", &support::sha256_digest(&inner), OCI_INDEX, &inner);
    let outer = index_of(15_000, OCI_INDEX, &inner_digest, inner.len());
    reg.put_manifest("app", "fanout", OCI_INDEX, &outer);
    let out = regscope(&["inspect", "--json", &format!("{}/app:fanout", reg.host)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.len() < 16 << 20,
        "output stays bounded: {} bytes",
        out.stdout.len()
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = codes(&doc);
    assert!(codes.contains(&"repeated-index".to_string()), "{codes:?}");
    assert!(codes.contains(&"tree-cut".to_string()), "{codes:?}");
    assert!(
        nodes(&doc["tree"]) <= MAX_NODES + 1,
        "{}",
        nodes(&doc["tree"])
    );

    // Depth: 40 indexes nested one in another.
    let (mut digest, mut size, mut media_type) = (leaf.clone(), leaf_size, OCI_MANIFEST);
    for level in 0..40 {
        let index = index_of(1, media_type, &digest, size);
        let reference = if level == 39 {
            "deep".to_string()
        } else {
            support::sha256_digest(&index)
        };
        digest = reg.put_manifest("app", &reference, OCI_INDEX, &index);
        size = index.len();
        media_type = OCI_INDEX;
    }
    let deep = format!("{}/app:deep", reg.host);
    let out = regscope(&["inspect", &deep]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("tree-cut") && text.contains("nested 16 levels deep"),
        "{text}"
    );

    // The TUI opens the same trees, says where they were cut, and quits cleanly.
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&regscope_bin(), &["tui", "--no-cache", &deep], state.path());
    tmux.wait_for("tree-cut");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
    let tmux = Tmux::start(
        &regscope_bin(),
        &["tui", "--no-cache", &format!("{}/app:fanout", reg.host)],
        state.path(),
    );
    tmux.wait_for("repeated-index");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

#[test]
fn a_flat_index_of_25000_entries_shows_the_first_ten_thousand_and_says_so() {
    // An OCI layout: the whole index is one 3.4 MB manifest (under the 4 MiB cap).
    let layout = tempfile::tempdir().unwrap();
    support::copy_dir(&support::fixture("unsigned-image"), layout.path());
    let root = support::layout_root(layout.path());
    let (leaf, leaf_size) = (
        root["digest"].as_str().unwrap().to_string(),
        usize::try_from(root["size"].as_u64().unwrap()).unwrap(),
    );
    let flat = index_of(25_000, OCI_MANIFEST, &leaf, leaf_size);
    assert!(flat.len() < 4 << 20, "{}", flat.len());
    let digest = support::sha256_digest(&flat);
    let blob = layout
        .path()
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    std::fs::write(blob, &flat).unwrap();
    let index_json = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": OCI_INDEX, "digest": digest, "size": flat.len(),
        "annotations": {"org.opencontainers.image.ref.name": "flat"}}]});
    std::fs::write(
        layout.path().join("index.json"),
        serde_json::to_vec(&index_json).unwrap(),
    )
    .unwrap();
    let out = regscope(&[
        "inspect",
        "--json",
        &format!("oci:{}:flat", layout.path().display()),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(nodes(&doc["tree"]) <= MAX_NODES + 1);
    let problem = &doc["tree"]["problem"];
    assert_eq!(problem["type"], "cut", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("of its 25000 entries shown"),
        "{problem}"
    );
}

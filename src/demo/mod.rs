//! The demo registry's content: real `BuildKit` layouts (embedded) plus crafted failure cases.
//!
//! Every highlight regscope has shows up here within a minute, with no registry of one's own:
//! the ECR-to-Lambda attestation failure, a platform mismatch, a deleted child, an arm64-only
//! image, a clean image, and enough repositories and tags to need scrolling and filtering.

use std::collections::BTreeMap;

use include_dir::{include_dir, Dir};
use serde_json::{json, Value};

use crate::model::media_type as mt;
use crate::serve::Store;

static ASSETS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

const AMD64: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";
const ARM64: &str = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";

/// The repositories of the demo registry, by name.
#[must_use]
pub fn repositories() -> Vec<(String, Store)> {
    let buildkit = layout("unsigned-index");
    let mut repos: BTreeMap<String, Store> = BTreeMap::new();

    // The everyday case: BuildKit's default push, with attestations, and its variants.
    let mut app = buildkit.store.clone();
    app.merge(layout("no-provenance-index").store);
    app.merge(layout("unsigned-image").store);
    let root = buildkit.root.clone();
    for tag in ["v7", "latest", "v7.0", "v7.0.1"] {
        app.tag(tag, root.clone());
    }
    tag_root(&mut app, "no-provenance-index", "v7-sbom-only");
    tag_root(&mut app, "unsigned-image", "v6-single");
    for i in 0..40 {
        app.tag(format!("build-{i:03}"), root.clone());
    }
    repos.insert("team/app".into(), app);

    // ECR -> Lambda: an index with attestations is refused; the fixed push is one manifest.
    let mut lambda = buildkit.store.clone();
    lambda.tag("latest", root.clone());
    let single = crafted_image(&mut lambda, "amd64", "1000", &["/app/handler"]);
    lambda.tag("fixed", single);
    repos.insert("lambda/orders-api".into(), lambda);

    // An index whose descriptors name the wrong platforms.
    let mut swapped = buildkit.store.clone();
    let index = swap_platforms(&buildkit.index);
    let d = swapped.add_manifest(index, mt::OCI_INDEX);
    swapped.tag("v1", d);
    repos.insert("broken/platform-mismatch".into(), swapped);

    // An index child removed by a lifecycle policy.
    let mut deleted = buildkit.store.clone();
    deleted.remove(ARM64);
    deleted.tag("v1", root.clone());
    repos.insert("broken/deleted-child".into(), deleted);

    // arm64 only: "exec format error" on amd64 hosts.
    let mut arm = Store::new();
    let d = crafted_image(&mut arm, "arm64", "app", &["/usr/bin/server"]);
    arm.tag("v1", d);
    repos.insert("edge/arm-only".into(), arm);

    // Clean: one platform, non-root, no attestations.
    let mut clean = Store::new();
    let d = crafted_image(&mut clean, "amd64", "65532:65532", &["/hello"]);
    clean.tag("1.0", d.clone());
    clean.tag("stable", d);
    repos.insert("clean/hello".into(), clean);

    let mut containerd = layout("containerd-subject-layout");
    tag_root_of(&mut containerd, "test");
    repos.insert("containerd/export".into(), containerd.store);

    // Enough repositories to scroll and filter.
    for team in ["payments", "search", "identity", "billing", "ml", "infra"] {
        for svc in ["api", "worker", "cron", "gateway", "migrations"] {
            let mut s = Store::new();
            let d = crafted_image(&mut s, "amd64", "1000", &[&format!("/srv/{svc}")]);
            for v in 1..=5 {
                s.tag(format!("1.{v}.0"), d.clone());
            }
            repos.insert(format!("{team}/{svc}"), s);
        }
    }
    repos.into_iter().collect()
}

struct Loaded {
    store: Store,
    root: String,
    index: Value,
}

/// Loads an embedded layout: manifests are everything reachable as a manifest from index.json.
fn layout(name: &str) -> Loaded {
    let mut store = Store::new();
    let Some(dir) = ASSETS.get_dir(name) else {
        return Loaded {
            store,
            root: String::new(),
            index: Value::Null,
        };
    };
    let read = |digest: &str| -> Option<&'static [u8]> {
        let hex = digest.strip_prefix("sha256:")?;
        ASSETS
            .get_file(format!("{name}/blobs/sha256/{hex}"))
            .map(include_dir::File::contents)
    };
    let index_json: Value = dir
        .get_file(format!("{name}/index.json"))
        .and_then(|f| serde_json::from_slice(f.contents()).ok())
        .unwrap_or(Value::Null);
    let mut manifests = Vec::new();
    let mut pending: Vec<(String, String)> = entries(&index_json);
    let root = pending.first().map(|(d, _)| d.clone()).unwrap_or_default();
    while let Some((digest, media_type)) = pending.pop() {
        if manifests.iter().any(|(d, _)| d == &digest) {
            continue;
        }
        if let Some(bytes) = read(&digest) {
            if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
                pending.extend(entries(&v));
            }
            manifests.push((digest, media_type));
        }
    }
    let mut blob_files = Vec::new();
    if let Some(blobs) = ASSETS.get_dir(format!("{name}/blobs/sha256")) {
        for f in blobs.files() {
            if let Some(hex) = f.path().file_name().and_then(|n| n.to_str()) {
                blob_files.push((format!("sha256:{hex}"), f.contents()));
            }
        }
    }
    for (digest, bytes) in blob_files {
        match manifests.iter().find(|(d, _)| d == &digest) {
            Some((_, media_type)) => {
                let body_type = serde_json::from_slice::<Value>(bytes)
                    .ok()
                    .and_then(|v| {
                        v.get("mediaType")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| media_type.clone());
                store.add_manifest(bytes.to_vec(), &body_type);
            }
            None => {
                store.add_blob(bytes.to_vec());
            }
        }
    }
    let index = read(&root)
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null);
    Loaded { store, root, index }
}

/// (digest, media type) of the manifests an index lists.
fn entries(v: &Value) -> Vec<(String, String)> {
    v.get("manifests")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    Some((
                        e.get("digest")?.as_str()?.to_string(),
                        e.get("mediaType")
                            .and_then(Value::as_str)
                            .unwrap_or(mt::OCI_MANIFEST)
                            .to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn tag_root(store: &mut Store, layout_name: &str, tag: &str) {
    let l = layout(layout_name);
    store.tag(tag, l.root);
}

fn tag_root_of(loaded: &mut Loaded, tag: &str) {
    let root = loaded.root.clone();
    loaded.store.tag(tag, root);
}

fn swap_platforms(index: &Value) -> Vec<u8> {
    let mut index = index.clone();
    if let Some(list) = index.get_mut("manifests").and_then(Value::as_array_mut) {
        let find = |list: &Vec<Value>, d: &str| list.iter().position(|e| e["digest"] == d);
        if let (Some(a), Some(b)) = (find(list, AMD64), find(list, ARM64)) {
            let pa = list[a]["platform"].clone();
            list[a]["platform"] = list[b]["platform"].clone();
            list[b]["platform"] = pa;
        }
    }
    serde_json::to_vec_pretty(&index).unwrap_or_default()
}

/// A single-platform image with a config saying `arch` and `user`; returns the manifest digest.
fn crafted_image(store: &mut Store, arch: &str, user: &str, entrypoint: &[&str]) -> String {
    let config = json!({
        "architecture": arch, "os": "linux", "created": "2026-11-01T09:00:00Z",
        "config": {"User": user, "Entrypoint": entrypoint, "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
                   "Labels": {"org.opencontainers.image.source": "https://example.com/demo"}},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created": "2026-11-01T09:00:00Z", "created_by": "COPY app / # buildkit"}]
    });
    let config_bytes = serde_json::to_vec(&config).unwrap_or_default();
    let layer = format!("demo layer for {arch} {}", entrypoint.join(" ")).into_bytes();
    let config_digest = store.add_blob(config_bytes.clone());
    let layer_digest = store.add_blob(layer.clone());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": mt::OCI_MANIFEST,
        "config": {"mediaType": mt::OCI_CONFIG, "digest": config_digest, "size": config_bytes.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}]
    });
    store.add_manifest(
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        mt::OCI_MANIFEST,
    )
}

/// The references a tour of the demo shows, with what each one demonstrates.
pub const TOUR: &[(&str, &str, Option<&str>)] = &[
    (
        "team/app:v7",
        "BuildKit's default push: two platforms and two attestation manifests",
        None,
    ),
    (
        "lambda/orders-api:latest",
        "the ECR -> AWS Lambda failure",
        Some("lambda"),
    ),
    (
        "lambda/orders-api:fixed",
        "the fix: one linux/amd64 manifest",
        Some("lambda"),
    ),
    (
        "broken/platform-mismatch:v1",
        "an index whose descriptors name the wrong platforms",
        None,
    ),
    (
        "broken/deleted-child:v1",
        "an index child deleted by a lifecycle policy",
        None,
    ),
    (
        "edge/arm-only:v1",
        "an arm64-only image deployed to amd64",
        Some("linux/amd64"),
    ),
    ("clean/hello:1.0", "a clean image", None),
];

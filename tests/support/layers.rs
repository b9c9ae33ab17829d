//! Images built in test code, layer by layer: tar entries (files, directories, links,
//! whiteouts) compressed with gzip or zstd and pushed to a [`TestRegistry`] with a config.

use std::io::Write as _;

use regscope::layers::tar::build::archive;
use serde_json::json;

use super::{sha256_digest, TestRegistry, OCI_MANIFEST};

pub const X86_64: u16 = 62;
pub const AARCH64: u16 = 183;
pub const MUSL: &str = "/lib/ld-musl-x86_64.so.1";

#[derive(Clone, Copy)]
pub enum Compression {
    Gzip,
    Zstd,
}

/// One tar entry: (path, typeflag, mode, data, link).
pub type Item = (String, u8, u32, Vec<u8>, String);

pub fn file(path: &str, mode: u32, data: &[u8]) -> Item {
    (path.into(), b'0', mode, data.to_vec(), String::new())
}

pub fn dir(path: &str) -> Item {
    (path.into(), b'5', 0o755, Vec::new(), String::new())
}

pub fn symlink(path: &str, target: &str) -> Item {
    (path.into(), b'2', 0o777, Vec::new(), target.into())
}

pub fn tar(items: &[Item]) -> Vec<u8> {
    let refs: Vec<(&str, u8, u32, &[u8], &str)> = items
        .iter()
        .map(|(p, t, m, d, l)| (p.as_str(), *t, *m, d.as_slice(), l.as_str()))
        .collect();
    archive(&refs)
}

pub fn compress(bytes: &[u8], how: Compression) -> (Vec<u8>, &'static str) {
    match how {
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(bytes).unwrap();
            (
                e.finish().unwrap(),
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        }
        Compression::Zstd => (
            ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest),
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ),
    }
}

/// Pushes an image of `layers` (bottom first) with `config` (the `config` object) for
/// `arch`, tagged `repo:tag`; returns the layers' digests.
pub fn push(
    reg: &TestRegistry,
    repo: &str,
    tag: &str,
    arch: &str,
    config: &serde_json::Value,
    layers: &[Vec<Item>],
    how: Compression,
) -> Vec<String> {
    push_with_history(reg, repo, tag, arch, config, &json!(null), layers, how).layers
}

/// What [`push_with_history`] pushed.
#[allow(dead_code)] // each test binary uses its own part
pub struct Pushed {
    pub layers: Vec<String>,
    /// The image manifest's digest and size, for an index naming it.
    pub manifest: (String, usize),
}

/// [`push`] with the config's `history` (`null`: none).
#[allow(clippy::too_many_arguments)]
pub fn push_with_history(
    reg: &TestRegistry,
    repo: &str,
    tag: &str,
    arch: &str,
    config: &serde_json::Value,
    history: &serde_json::Value,
    layers: &[Vec<Item>],
    how: Compression,
) -> Pushed {
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for items in layers {
        let raw = tar(items);
        diff_ids.push(sha256_digest(&raw));
        let (blob, media_type) = compress(&raw, how);
        let digest = reg.put_blob(repo, &blob);
        descriptors.push(json!({"mediaType": media_type, "digest": digest, "size": blob.len()}));
    }
    let mut cfg = json!({
        "architecture": arch,
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    if !history.is_null() {
        cfg["history"] = history.clone();
    }
    let cfg = cfg.to_string();
    let cfg_digest = reg.put_blob(repo, cfg.as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg.len()},
        "layers": descriptors,
    })
    .to_string();
    reg.put_manifest(repo, tag, OCI_MANIFEST, manifest.as_bytes());
    Pushed {
        layers: descriptors
            .iter()
            .map(|d| d["digest"].as_str().unwrap().to_string())
            .collect(),
        manifest: (sha256_digest(manifest.as_bytes()), manifest.len()),
    }
}

/// A base layer: a distribution's bits without a loader.
pub fn base(ca: bool) -> Vec<Item> {
    let mut items = vec![
        dir("etc"),
        file(
            "etc/os-release",
            0o644,
            b"NAME=\"Alpine Linux\"\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
        ),
        file(
            "etc/passwd",
            0o644,
            b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
        ),
        dir("usr/lib"),
        symlink("lib", "usr/lib"),
        dir("usr/bin"),
    ];
    if ca {
        items.push(file(
            "etc/ssl/certs/ca-certificates.crt",
            0o644,
            b"-----BEGIN CERTIFICATE-----\n",
        ));
    }
    items
}

/// The image of issue 23, as `src/layers/waste.rs`'s unit fixture: a file written again, a
/// file deleted by a whiteout, a directory whited out whole, an opaque directory, a layer that
/// only changes a mode, and `empty_layer` history steps.
pub fn dive_layers() -> Vec<Vec<Item>> {
    vec![
        vec![
            dir("etc"),
            file("etc/app.conf", 0o644, &[b'a'; 100]),
            file("etc/remove-me", 0o644, &[b'r'; 50]),
            dir("opt"),
            file("opt/old/a", 0o644, &[b'o'; 30]),
            dir("data"),
            file("data/big", 0o644, &[b'd'; 1000]),
            file("bin/tool", 0o644, &[b't'; 10]),
        ],
        vec![
            file("etc/app.conf", 0o644, &[b'b'; 120]),
            file("etc/.wh.remove-me", 0o644, b""),
            file("opt/.wh..wh..opq", 0o644, b""),
            file("opt/new", 0o644, &[b'n'; 5]),
            file(".wh.data", 0o644, b""),
        ],
        // Metadata only: a chmod writes the whole file again.
        vec![file("bin/tool", 0o755, &[b't'; 10])],
    ]
}

pub fn dive_history() -> serde_json::Value {
    json!([
        {"created_by": "/bin/sh -c #(nop) ADD file:base in / "},
        {"created_by": "/bin/sh -c #(nop)  ENV MODE=\u{1b}[31mprod", "empty_layer": true},
        {"created_by": "RUN /bin/sh -c echo again > /etc/app.conf && rm /etc/remove-me && rm -rf /data # buildkit"},
        {"created_by": "RUN /bin/sh -c chmod +x /bin/tool # buildkit"},
        {"created_by": "CMD [\"/bin/tool\"]", "empty_layer": true},
    ])
}

/// Pushes `team/fat:v1`: an index of the issue-23 image for amd64 and arm64; returns the
/// index's digest and size.
pub fn push_dive_index(reg: &TestRegistry) -> (String, usize) {
    let config = json!({"User": "65532"});
    let mut entries = Vec::new();
    for arch in ["amd64", "arm64"] {
        let pushed = push_with_history(
            reg,
            "team/fat",
            arch,
            arch,
            &config,
            &dive_history(),
            &dive_layers(),
            Compression::Gzip,
        );
        entries.push(
            json!({"mediaType": super::OCI_MANIFEST, "digest": pushed.manifest.0,
            "size": pushed.manifest.1, "platform": {"os": "linux", "architecture": arch}}),
        );
    }
    let index = json!({"schemaVersion": 2, "mediaType": super::OCI_INDEX, "manifests": entries})
        .to_string();
    reg.put_manifest("team/fat", "v1", super::OCI_INDEX, index.as_bytes());
    (super::sha256_digest(index.as_bytes()), index.len())
}

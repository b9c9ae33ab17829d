//! Layers from a hostile registry (regscope's own fault-injecting server over an OCI layout
//! built here): a layer whose bytes do not hash to its digest is a `digest-mismatch` finding
//! that says the content is not trusted, and a layer cut off mid-body is a finding that its
//! files were not checked; neither is cached, and a clean server afterwards gives the files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;

use regscope::inspect::{inspect, InspectOptions};
use regscope::layers::exec::build::elf64;
use regscope::layers::findings::{check_manifest, platform_manifests, Checked};
use regscope::layers::Limits;
use regscope::reference::ImageRef;
use regscope::registry::{Fetcher, HttpOptions};
use regscope::serve::{self, BodyFault, Faults, Layout};
use serde_json::json;
use support::layers::{base, compress, file, tar, Compression, X86_64};
use support::sha256_digest;

/// Writes `blob` into the layout and returns its digest.
fn put(dir: &Path, blob: &[u8]) -> String {
    let digest = sha256_digest(blob);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(dir.join("blobs/sha256").join(hex), blob).unwrap();
    digest
}

/// An OCI layout holding one image tagged `v1`; returns the layer digests.
fn layout(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut layers = Vec::new();
    let mut descriptors = Vec::new();
    for items in [
        base(true),
        vec![file("usr/bin/app", 0o755, &elf64(X86_64, None))],
    ] {
        let (blob, media_type) = compress(&tar(&items), Compression::Gzip);
        let digest = put(dir, &blob);
        descriptors.push(json!({"mediaType": media_type, "digest": digest, "size": blob.len()}));
        layers.push(digest);
    }
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/usr/bin/app"], "User": "65532"},
        "rootfs": {"type": "layers", "diff_ids": []},
    })
    .to_string();
    let config_digest = put(dir, config.as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": descriptors,
    })
    .to_string();
    let manifest_digest = put(dir, manifest.as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "v1"},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    layers
}

async fn check_with(dir: &Path, faults: Faults) -> Checked {
    let server = serve::start(vec![Layout::new("team/app", dir)], faults)
        .await
        .unwrap();
    let image = ImageRef::parse(&format!("{}/team/app:v1", server.host())).unwrap();
    let fetcher = Fetcher::for_reference(
        &image,
        HttpOptions::default(),
        regscope::registry::Limits::default(),
    )
    .unwrap();
    let inspection = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .unwrap();
    let manifest = platform_manifests(&inspection.root, None)[0];
    let checked = check_manifest(&fetcher, "team/app", manifest, &Limits::default(), &|_| {}).await;
    server.shutdown().await;
    checked
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_layer_is_a_security_finding_and_a_cut_one_is_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let layers = layout(dir.path());

    let corrupt = Faults::default().with_body(layers[1].clone(), BodyFault::Corrupt);
    let c = check_with(dir.path(), corrupt).await;
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    let f = &c.findings[0];
    assert_eq!(f.code.as_str(), "digest-mismatch");
    assert!(
        f.message.contains(&layers[1]) && f.message.contains("not trusted"),
        "{}",
        f.message
    );
    assert!(f.fix.as_deref().unwrap().contains("security finding"));

    let cut = Faults::default().with_body(layers[0].clone(), BodyFault::Truncate);
    let c = check_with(dir.path(), cut).await;
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    assert_eq!(
        c.findings[0].code.as_str(),
        "fetch-failed",
        "{:#?}",
        c.findings
    );
    assert!(c.findings[0].message.contains("not checked"));

    let clean = check_with(dir.path(), Faults::default()).await;
    assert!(clean.findings.is_empty(), "{:#?}", clean.findings);
    assert_eq!(
        clean.facts.unwrap().program.as_deref(),
        Some("ELF amd64, static")
    );
}

//! A 1 GiB layer is streamed, never held: `regscope files` lists a generated 1 GiB tar served
//! by a registry made here (the blob is produced as it is sent, so nothing holds it on either
//! side), and the peak resident memory of the regscope process stays far below the layer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::Stdio;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use regscope::layers::tar::build::header as tar_header;
use sha2::{Digest as _, Sha256};

const FILES: usize = 1024;
const FILE_BYTES: usize = 1 << 20;
const PIECE: usize = 64 * 1024;

/// The layer, piece by piece: 1024 files of 1 MiB (a pattern that does not compress to
/// nothing, though it is not compressed), then the end blocks.
fn pieces() -> impl Iterator<Item = Bytes> {
    let pattern: Bytes = (0..PIECE)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect::<Vec<u8>>()
        .into();
    (0..FILES)
        .flat_map(move |i| {
            let head = Bytes::copy_from_slice(&tar_header(
                &format!("data/f{i:04}"),
                b'0',
                FILE_BYTES as u64,
                0o644,
                "",
            ));
            let body = std::iter::repeat_n(pattern.clone(), FILE_BYTES / PIECE);
            std::iter::once(head).chain(body)
        })
        .chain(std::iter::once(Bytes::from_static(&[0; 1024])))
}

fn digest_and_size() -> (String, u64) {
    let mut h = Sha256::new();
    let mut size = 0u64;
    for p in pieces() {
        size += p.len() as u64;
        h.update(&p);
    }
    (format!("sha256:{}", hex::encode(h.finalize())), size)
}

#[derive(Clone)]
struct Image {
    layer: String,
    layer_size: u64,
    config: Bytes,
    config_digest: String,
    manifest: Bytes,
}

fn image() -> Image {
    let (layer, layer_size) = digest_and_size();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "1000"},
        "rootfs": {"type": "layers", "diff_ids": [layer]},
    })
    .to_string();
    let config_digest = support::sha256_digest(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_size}],
    })
    .to_string();
    Image {
        layer,
        layer_size,
        config: config.into(),
        config_digest,
        manifest: manifest.into(),
    }
}

async fn serve(image: Image) -> String {
    let manifest = image.clone();
    let blobs = image.clone();
    let app = Router::new()
        .route("/v2/", get(|| async { "{}" }))
        .route(
            "/v2/big/app/manifests/{reference}",
            get(move |Path(_reference): Path<String>| {
                let m = manifest.manifest.clone();
                let digest = support::sha256_digest(&m);
                async move {
                    (
                        [
                            (
                                header::CONTENT_TYPE,
                                "application/vnd.oci.image.manifest.v1+json".to_string(),
                            ),
                            (
                                header::HeaderName::from_static("docker-content-digest"),
                                digest,
                            ),
                        ],
                        m,
                    )
                }
            }),
        )
        .route(
            "/v2/big/app/blobs/{digest}",
            get(move |Path(digest): Path<String>| {
                let image = blobs.clone();
                async move {
                    if digest == image.config_digest {
                        return image.config.clone().into_response();
                    }
                    if digest != image.layer {
                        return StatusCode::NOT_FOUND.into_response();
                    }
                    let stream = futures::stream::iter(pieces().map(Ok::<Bytes, std::io::Error>));
                    Response::builder()
                        .header(header::CONTENT_LENGTH, image.layer_size)
                        .body(Body::from_stream(stream))
                        .unwrap()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr.to_string()
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1_gib_layer_is_listed_in_bounded_memory() {
    let image = image();
    assert!(image.layer_size > 1 << 30);
    let host = serve(image).await;
    let cache = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut child = support::isolated_command(&support::regscope_bin(), home.path())
        .args(["files", &format!("{host}/big/app:v1"), "--timeout", "120"])
        .env("REGSCOPE_CACHE_DIR", cache.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let out = child.wait_with_output().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("/data/f").count(), FILES, "every file listed");
    eprintln!(
        "peak resident memory of regscope listing a 1 GiB layer: {} MiB",
        peak / 1024
    );
    assert!(peak > 0, "the peak was measured");
    assert!(
        peak < 64 * 1024,
        "peak resident memory {peak} KiB: the layer was held, not streamed"
    );
}

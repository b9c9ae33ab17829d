//! The in-process test registry (`regscope::serve`): distribution API behaviour over the
//! docker/attest layouts and crafted in-memory content, and every fault switch.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use regscope::serve::{
    self, sha256_digest, BodyFault, Faults, Layout, RequestKind, Scope, ServerHandle, Store,
};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The `unsigned-index` root index.
const ROOT: &str = "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898";
/// The `unsigned-image` manifest and its config blob.
const IMAGE: &str = "sha256:7ae6b41655929ad8e1848064874a98ac3f68884996c79907f6525e3045f75390";
const IMAGE_CONFIG: &str =
    "sha256:363133d587b90ff7a21f7b32a96be8422c6799683f0e1e6d71de5c03a82ab35e";
/// The `containerd-subject-layout` platform manifest (`"layers": null`).
const CONTAINERD_IMAGE: &str =
    "sha256:e44a73ec811b0442dfcdd13a0eb035746d0569662684dafe2f3e8abe644871ec";
const MISSING: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docker-attest")
        .join(name)
}

fn blob_file(layout: &str, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    std::fs::read(fixture(layout).join("blobs/sha256").join(hex)).expect("fixture blob")
}

/// `test-image` (unsigned-index), `single` (unsigned-image), `containerd/subject`.
async fn fixtures_server(faults: Faults) -> ServerHandle {
    serve::start(
        vec![
            Layout::new("test-image", fixture("unsigned-index")),
            Layout::new("single", fixture("unsigned-image")),
            Layout::new("containerd/subject", fixture("containerd-subject-layout")),
        ],
        faults,
    )
    .await
    .expect("server starts")
}

async fn memory_server(repos: Vec<(&str, Store)>, faults: Faults) -> ServerHandle {
    serve::start_repos(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        repos.into_iter().map(|(n, s)| (n.to_owned(), s)),
        faults,
    )
    .await
    .expect("server starts")
}

struct Resp {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn error_code(&self) -> String {
        self.json()["errors"][0]["code"]
            .as_str()
            .expect("OCI error body")
            .to_owned()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn send(h: &ServerHandle, method: Method, path: &str, accept: Option<&str>) -> Resp {
    let mut req = client().request(method, format!("{}{path}", h.url()));
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    let resp = req.send().await.expect("request");
    Resp {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.expect("body"),
    }
}

async fn get(h: &ServerHandle, path: &str) -> Resp {
    send(h, Method::GET, path, Some(MANIFEST_ACCEPT)).await
}

async fn head(h: &ServerHandle, path: &str) -> Resp {
    send(h, Method::HEAD, path, Some(MANIFEST_ACCEPT)).await
}

/// One request over a raw socket, so the path reaches the server exactly as written
/// (reqwest would normalise `..`) and the response is seen as sent. Returns everything
/// read until the server closed the connection.
async fn raw(h: &ServerHandle, method: &str, target: &str) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(h.addr)
        .await
        .expect("connect");
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nAccept: {MANIFEST_ACCEPT}\r\n\
         Connection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut response = Vec::new();
    // A dropped connection (truncation) may end in a reset rather than a clean EOF.
    let _ = stream.read_to_end(&mut response).await;
    response
}

/// The status code of a raw request.
async fn raw_status(h: &ServerHandle, method: &str, target: &str) -> u16 {
    let response = raw(h, method, target).await;
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

/// A manifest whose `subject` is `subject`, for referrers.
#[allow(clippy::needless_pass_by_value)] // called with `json!(..)` temporaries
fn referrer(subject: &str, artifact_type: Option<&str>, annotations: Value) -> Vec<u8> {
    let mut m = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_EMPTY, "digest": sha256_digest(b"{}"), "size": 2 },
        "layers": [],
        "subject": { "mediaType": OCI_MANIFEST, "digest": subject, "size": 476 },
        "annotations": annotations,
    });
    if let Some(t) = artifact_type {
        m["artifactType"] = json!(t);
    }
    serde_json::to_vec(&m).expect("serialise")
}

#[tokio::test]
async fn base_endpoint_answers_like_distribution() {
    let h = fixtures_server(Faults::default()).await;
    for path in ["/v2/", "/v2"] {
        let r = get(&h, path).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!({}));
        assert_eq!(
            r.header("docker-distribution-api-version"),
            Some("registry/2.0")
        );
    }
    let r = head(&h, "/v2/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn manifest_by_tag_and_digest_is_byte_exact_with_headers() {
    let h = fixtures_server(Faults::default()).await;
    let stored = blob_file("unsigned-index", ROOT);
    for reference in ["test", ROOT] {
        let r = get(&h, &format!("/v2/test-image/manifests/{reference}")).await;
        assert_eq!(r.status, 200, "{reference}");
        assert_eq!(r.header("content-type"), Some(OCI_INDEX));
        assert_eq!(r.header("docker-content-digest"), Some(ROOT));
        assert_eq!(r.header("content-length"), Some("1607"));
        assert_eq!(r.body, stored);

        let r = head(&h, &format!("/v2/test-image/manifests/{reference}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(OCI_INDEX));
        assert_eq!(r.header("docker-content-digest"), Some(ROOT));
        assert_eq!(r.header("content-length"), Some("1607"));
        assert!(r.body.is_empty());
    }

    // Every child of the index is a manifest too, with its descriptor's media type.
    let index: Value = serde_json::from_slice(&stored).expect("index JSON");
    let children = index["manifests"].as_array().expect("children");
    assert_eq!(children.len(), 4);
    for child in children {
        let digest = child["digest"].as_str().expect("digest");
        let r = get(&h, &format!("/v2/test-image/manifests/{digest}")).await;
        assert_eq!(r.status, 200, "{digest}");
        assert_eq!(r.header("content-type"), child["mediaType"].as_str());
        assert_eq!(sha256_digest(&r.body), digest);
    }

    // A single-manifest layout, tagged from a full reference name.
    let r = get(&h, "/v2/single/manifests/test").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("docker-content-digest"), Some(IMAGE));
    assert_eq!(r.header("content-type"), Some(OCI_MANIFEST));
    assert_eq!(r.body, blob_file("unsigned-image", IMAGE));
}

#[tokio::test]
async fn accept_header_hides_indexes_like_docker_registry() {
    let h = fixtures_server(Faults::default()).await;
    let path = "/v2/test-image/manifests/test";
    let r = send(&h, Method::GET, path, Some(OCI_MANIFEST)).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "MANIFEST_UNKNOWN");
    let r = send(&h, Method::HEAD, path, Some(DOCKER_MANIFEST)).await;
    assert_eq!(r.status, 404);

    for accept in [
        None,
        Some("*/*"),
        Some(OCI_INDEX),
        Some("application/vnd.oci.image.index.v1+json;q=0.5, text/plain"),
    ] {
        let r = send(&h, Method::GET, path, accept).await;
        assert_eq!(r.status, 200, "{accept:?}");
    }
    // Image manifests are served whatever the Accept header says.
    let r = send(
        &h,
        Method::GET,
        "/v2/single/manifests/test",
        Some(DOCKER_MANIFEST),
    )
    .await;
    assert_eq!(r.status, 200);

    // Docker manifest lists are treated like OCI indexes.
    let mut store = Store::new();
    let list = store.add_manifest(
        br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}"#.to_vec(),
        DOCKER_LIST,
    );
    let h = memory_server(vec![("list", store)], Faults::default()).await;
    let path = format!("/v2/list/manifests/{list}");
    assert_eq!(
        send(&h, Method::GET, &path, Some(OCI_INDEX)).await.status,
        404
    );
    let r = send(&h, Method::GET, &path, Some(DOCKER_LIST)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(DOCKER_LIST));
}

#[tokio::test]
async fn blobs_are_served_as_octet_streams() {
    let h = fixtures_server(Faults::default()).await;
    let stored = blob_file("unsigned-image", IMAGE_CONFIG);
    let r = get(&h, &format!("/v2/single/blobs/{IMAGE_CONFIG}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("docker-content-digest"), Some(IMAGE_CONFIG));
    assert_eq!(
        r.header("content-length"),
        Some(stored.len().to_string().as_str())
    );
    assert_eq!(r.body, stored);

    let r = head(&h, &format!("/v2/single/blobs/{IMAGE_CONFIG}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(stored.len().to_string().as_str())
    );
    assert!(r.body.is_empty());

    // Manifests are blobs too, as in distribution.
    let r = get(&h, &format!("/v2/single/blobs/{IMAGE}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(sha256_digest(&r.body), IMAGE);

    let r = get(&h, &format!("/v2/single/blobs/{MISSING}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "BLOB_UNKNOWN");
    let r = get(&h, "/v2/single/blobs/sha256:abc").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "DIGEST_INVALID");
    // Content belongs to its repository.
    let r = get(&h, &format!("/v2/test-image/blobs/{IMAGE_CONFIG}")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn unknown_names_and_references_are_oci_errors() {
    let h = fixtures_server(Faults::default()).await;
    for path in [
        "/v2/nope/manifests/test".to_owned(),
        format!("/v2/nope/blobs/{IMAGE}"),
        "/v2/nope/tags/list".to_owned(),
        format!("/v2/nope/referrers/{IMAGE}"),
        "/v2/test-image/sub/tags/list".to_owned(),
    ] {
        let r = get(&h, &path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.error_code(), "NAME_UNKNOWN", "{path}");
    }
    for reference in ["nope", MISSING, "sha256:short", "sha512:abcd", IMAGE_CONFIG] {
        let r = get(&h, &format!("/v2/single/manifests/{reference}")).await;
        assert_eq!(r.status, 404, "{reference}");
        assert_eq!(r.error_code(), "MANIFEST_UNKNOWN", "{reference}");
    }
    // Paths that are no route at all get Go's plain 404.
    let r = get(&h, "/v2/single/whatever/x").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, "404 page not found\n");
}

#[tokio::test]
async fn hostile_paths_never_escape_the_store() {
    let h = fixtures_server(Faults::default()).await;
    let long = format!("/v2/{}/manifests/x", "a/".repeat(2000));
    for target in [
        "/v2/single/blobs/../../../../etc/passwd",
        "/v2/single/blobs/..%2F..%2Foci-layout",
        "/v2/single/manifests/../../index.json",
        "/v2/../index.json",
        "/v2/single/blobs/sha256:..%2F..%2F..%2Fetc%2Fpasswd",
        "/v2/single/manifests/%ff%fe",
        "/v2/%00/tags/list",
        "/v2/single/tags/list?n=%ff&last=%00",
        "/v2/_catalog?n=99999999999999999999999",
        long.as_str(),
    ] {
        let status = raw_status(&h, "GET", target).await;
        assert!((400..500).contains(&status), "{target}: {status}");
    }
    // Still serving.
    assert_eq!(get(&h, "/v2/single/manifests/test").await.status, 200);
}

#[tokio::test]
async fn catalog_is_sorted_and_paginated() {
    let h = fixtures_server(Faults::default()).await;
    let r = get(&h, "/v2/_catalog").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({ "repositories": ["containerd/subject", "single", "test-image"] })
    );
    assert_eq!(r.header("link"), None);

    let r = get(&h, "/v2/_catalog?n=2").await;
    assert_eq!(
        r.json(),
        json!({ "repositories": ["containerd/subject", "single"] })
    );
    assert_eq!(
        r.header("link"),
        Some(r#"</v2/_catalog?last=single&n=2>; rel="next""#)
    );
    let r = get(&h, "/v2/_catalog?last=single&n=2").await;
    assert_eq!(r.json(), json!({ "repositories": ["test-image"] }));
    assert_eq!(r.header("link"), None);

    // A `last` with a slash is percent-encoded in the link, and decoded when followed.
    let r = get(&h, "/v2/_catalog?n=1").await;
    let link = r.header("link").expect("link").to_owned();
    assert_eq!(
        link,
        r#"</v2/_catalog?last=containerd%2Fsubject&n=1>; rel="next""#
    );
    let next = &link[1..link.find('>').expect("link target")];
    assert_eq!(
        get(&h, next).await.json(),
        json!({ "repositories": ["single"] })
    );

    let r = get(&h, "/v2/_catalog?n=lots").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "PAGINATION_NUMBER_INVALID");
    let r = get(&h, "/v2/_catalog?n=0").await;
    assert_eq!(r.json(), json!({ "repositories": [] }));
    assert_eq!(r.header("link"), None);
}

#[tokio::test]
async fn tags_are_sorted_and_paginated() {
    let mut store = Store::new();
    let digest = store.add_manifest(b"{}".to_vec(), OCI_MANIFEST);
    for tag in ["v2", "latest", "v1", "sha256-abc", "v10"] {
        store.tag(tag, digest.clone());
    }
    let h = memory_server(vec![("team/app", store)], Faults::default()).await;

    let r = get(&h, "/v2/team/app/tags/list").await;
    assert_eq!(
        r.json(),
        json!({ "name": "team/app", "tags": ["latest", "sha256-abc", "v1", "v10", "v2"] })
    );
    assert_eq!(r.header("link"), None);

    let r = get(&h, "/v2/team/app/tags/list?n=3").await;
    assert_eq!(
        r.json(),
        json!({ "name": "team/app", "tags": ["latest", "sha256-abc", "v1"] })
    );
    assert_eq!(
        r.header("link"),
        Some(r#"</v2/team/app/tags/list?last=v1&n=3>; rel="next""#)
    );
    let r = get(&h, "/v2/team/app/tags/list?last=v1&n=3").await;
    assert_eq!(
        r.json(),
        json!({ "name": "team/app", "tags": ["v10", "v2"] })
    );
    assert_eq!(r.header("link"), None);

    // Fixture tags come from the ref-name annotations.
    let h = fixtures_server(Faults::default()).await;
    for (repo, tag) in [("test-image", "test"), ("containerd/subject", "test")] {
        let r = get(&h, &format!("/v2/{repo}/tags/list")).await;
        assert_eq!(r.json(), json!({ "name": repo, "tags": [tag] }));
    }
}

#[tokio::test]
async fn referrers_list_manifests_whose_subject_matches() {
    let mut store = Store::from_layout(&fixture("unsigned-image")).expect("layout");
    let sbom = store.add_manifest(
        referrer(
            IMAGE,
            Some("application/spdx+json"),
            json!({ "kind": "sbom" }),
        ),
        OCI_MANIFEST,
    );
    // No artifactType: the config media type stands in for it.
    let sig = store.add_manifest(referrer(IMAGE, None, json!({})), OCI_MANIFEST);
    // A referrer of something else, and an unrelated manifest.
    store.add_manifest(referrer(MISSING, Some("x/y"), json!({})), OCI_MANIFEST);
    store.add_manifest(b"not json".to_vec(), OCI_MANIFEST);
    let sbom_len = store.manifest(&sbom).expect("sbom").1.len();
    let h = memory_server(vec![("single", store)], Faults::default()).await;

    let r = get(&h, &format!("/v2/single/referrers/{IMAGE}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(OCI_INDEX));
    let index = r.json();
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["mediaType"], OCI_INDEX);
    let manifests = index["manifests"].as_array().expect("manifests");
    assert_eq!(manifests.len(), 2);
    let find = |d: &str| {
        manifests
            .iter()
            .find(|m| m["digest"] == d)
            .unwrap_or_else(|| panic!("{d} missing from {index}"))
    };
    assert_eq!(
        find(&sbom),
        &json!({
            "mediaType": OCI_MANIFEST,
            "digest": sbom,
            "size": sbom_len,
            "artifactType": "application/spdx+json",
            "annotations": { "kind": "sbom" },
        })
    );
    assert_eq!(find(&sig)["artifactType"], OCI_EMPTY);

    let r = get(
        &h,
        &format!("/v2/single/referrers/{IMAGE}?artifactType=application%2Fspdx%2Bjson"),
    )
    .await;
    assert_eq!(r.header("oci-filters-applied"), Some("artifactType"));
    let filtered = r.json();
    assert_eq!(filtered["manifests"].as_array().map(Vec::len), Some(1));
    assert_eq!(filtered["manifests"][0]["digest"], json!(sbom));

    // No referrers, or an unknown subject: an empty index, never a 404.
    for subject in [IMAGE_CONFIG, CONTAINERD_IMAGE] {
        let r = get(&h, &format!("/v2/single/referrers/{subject}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["manifests"], json!([]));
    }
    let r = get(&h, "/v2/single/referrers/latest").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "DIGEST_INVALID");

    // Switched off: the plain 404 that sends clients to the tag schema.
    h.update_faults(|f| f.no_referrers_api = true);
    let r = get(&h, &format!("/v2/single/referrers/{IMAGE}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, "404 page not found\n");
}

#[tokio::test]
async fn containerd_layout_with_null_layers_loads() {
    let h = fixtures_server(Faults::default()).await;
    let r = get(&h, "/v2/containerd/subject/manifests/test").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(OCI_INDEX));
    let r = get(
        &h,
        &format!("/v2/containerd/subject/manifests/{CONTAINERD_IMAGE}"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["layers"], Value::Null);
    // Its attestation manifest names its image by annotation, not `subject`.
    let r = get(
        &h,
        &format!("/v2/containerd/subject/referrers/{CONTAINERD_IMAGE}"),
    )
    .await;
    assert_eq!(r.json()["manifests"], json!([]));
}

#[tokio::test]
async fn write_methods_are_rejected() {
    let h = fixtures_server(Faults::default()).await;
    for method in [Method::PUT, Method::DELETE, Method::POST, Method::PATCH] {
        for path in [
            "/v2/".to_owned(),
            "/v2/single/manifests/test".to_owned(),
            format!("/v2/single/blobs/{IMAGE_CONFIG}"),
            "/v2/single/blobs/uploads/".to_owned(),
        ] {
            let r = send(&h, method.clone(), &path, None).await;
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.error_code(), "UNSUPPORTED");
            assert_eq!(r.header("allow"), Some("GET, HEAD"));
        }
    }
    // Nothing changed.
    assert_eq!(get(&h, "/v2/single/manifests/test").await.status, 200);
}

#[tokio::test]
async fn fault_latency_delays_scoped_requests() {
    let h = fixtures_server(Faults {
        latency: Some(Duration::from_secs(1)),
        scope: Scope::kinds([RequestKind::Manifest]),
        ..Faults::default()
    })
    .await;
    let t = Instant::now();
    assert_eq!(get(&h, "/v2/single/manifests/test").await.status, 200);
    // A lower bound only: a busy machine can make a request slower, never faster.
    assert!(t.elapsed() >= Duration::from_secs(1));
    assert_eq!(h.observed().latency_applied, 1, "the manifest was delayed");
    assert_eq!(
        get(&h, &format!("/v2/single/blobs/{IMAGE_CONFIG}"))
            .await
            .status,
        200
    );
    // The server says what it delayed, where a wall clock on a loaded machine could not.
    assert_eq!(h.observed().latency_applied, 1, "the blob was not delayed");
    assert_eq!(h.counts().blobs, 1);
    assert_eq!(h.observed().max_overlap, 1, "one request after the other");

    // Two delayed requests at once are handled at once.
    let (a, b) = tokio::join!(
        get(&h, "/v2/single/manifests/test"),
        get(&h, "/v2/single/manifests/test")
    );
    assert_eq!((a.status, b.status), (200, 200));
    let seen = h.observed();
    assert_eq!((seen.latency_applied, seen.max_overlap), (3, 2), "{seen:?}");
    assert_eq!(seen.abandoned, 0, "{seen:?}");
}

#[tokio::test]
async fn fault_status_scoped_and_budgeted() {
    let h = fixtures_server(Faults {
        status: Some(503),
        ..Faults::default()
    })
    .await;
    for path in ["/v2/", "/v2/_catalog", "/v2/single/manifests/test"] {
        let r = get(&h, path).await;
        assert_eq!(r.status, 503, "{path}");
        assert_eq!(r.error_code(), "UNAVAILABLE");
    }

    // Only one digest's path, and only twice: a transient failure to retry through.
    h.set_faults(Faults {
        status: Some(500),
        times: Some(2),
        scope: Scope::path(IMAGE),
        ..Faults::default()
    });
    let path = format!("/v2/single/manifests/{IMAGE}");
    assert_eq!(get(&h, "/v2/single/manifests/test").await.status, 200);
    assert_eq!(get(&h, &path).await.status, 500);
    assert_eq!(h.faults().times, Some(1));
    assert_eq!(head(&h, &path).await.status, 500);
    assert_eq!(get(&h, &path).await.status, 200);
    assert_eq!(h.faults().times, Some(0));
}

#[tokio::test]
async fn fault_rate_limit_sends_retry_after() {
    let h = fixtures_server(Faults {
        rate_limit: Some(7),
        status: Some(500),
        scope: Scope::kinds([RequestKind::Blob]),
        ..Faults::default()
    })
    .await;
    let r = get(&h, &format!("/v2/single/blobs/{IMAGE_CONFIG}")).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.error_code(), "TOOMANYREQUESTS");
    assert_eq!(get(&h, "/v2/single/manifests/test").await.status, 200);
}

#[tokio::test]
async fn fault_bodies_corrupt_mislabel_and_replace() {
    let stored = blob_file("unsigned-image", IMAGE);
    let root = blob_file("unsigned-index", ROOT);
    let h = fixtures_server(Faults::default().with_body(IMAGE, BodyFault::Corrupt)).await;

    // Corrupt: same length and headers, wrong hash; on both endpoints.
    for path in [
        "/v2/single/manifests/test".to_owned(),
        format!("/v2/single/blobs/{IMAGE}"),
    ] {
        let r = get(&h, &path).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("docker-content-digest"), Some(IMAGE));
        assert_eq!(r.body.len(), stored.len());
        assert_ne!(r.body, stored);
        assert_ne!(sha256_digest(&r.body), IMAGE);
    }
    // Other content is untouched.
    let r = get(&h, &format!("/v2/single/blobs/{IMAGE_CONFIG}")).await;
    assert_eq!(sha256_digest(&r.body), IMAGE_CONFIG);

    h.set_faults(Faults::default().with_body(IMAGE, BodyFault::WrongDigestHeader));
    let r = get(&h, "/v2/single/manifests/test").await;
    assert_eq!(r.body, stored);
    let claimed = r.header("docker-content-digest").expect("digest header");
    assert_ne!(claimed, IMAGE);

    // Replace: a child digest answered with its ancestor's bytes (a reference cycle).
    h.set_faults(Faults::default().with_body(IMAGE, BodyFault::Replace(Bytes::from(root.clone()))));
    let r = get(&h, &format!("/v2/single/manifests/{IMAGE}")).await;
    assert_eq!(r.body, root);
    assert_eq!(r.header("docker-content-digest"), Some(IMAGE));
    assert_eq!(r.header("content-length"), Some("1607"));
    let r = head(&h, &format!("/v2/single/manifests/{IMAGE}")).await;
    assert_eq!(r.header("content-length"), Some("1607"));
}

#[tokio::test]
async fn fault_truncate_drops_the_connection_mid_body() {
    let h = fixtures_server(
        Faults::default()
            .with_body(ROOT, BodyFault::Truncate)
            .with_body(IMAGE_CONFIG, BodyFault::Truncate),
    )
    .await;
    for path in [
        "/v2/test-image/manifests/test".to_owned(),
        format!("/v2/single/blobs/{IMAGE_CONFIG}"),
    ] {
        let resp = client()
            .get(format!("{}{path}", h.url()))
            .header("accept", MANIFEST_ACCEPT)
            .send()
            .await
            .expect("headers arrive");
        assert_eq!(resp.status(), 200);
        let promised = resp.content_length().expect("content-length");
        match resp.bytes().await {
            Err(_) => {}
            Ok(body) => panic!("{path}: whole body read: {} of {promised}", body.len()),
        }
    }
    // On the wire: the full length promised, the first half sent, then the end.
    let response = raw(&h, "GET", "/v2/test-image/manifests/test").await;
    let text = String::from_utf8_lossy(&response);
    let (head_part, body) = text.split_once("\r\n\r\n").expect("headers");
    assert!(head_part.starts_with("HTTP/1.1 200"), "{head_part}");
    assert!(
        head_part
            .to_ascii_lowercase()
            .contains("content-length: 1607"),
        "{head_part}"
    );
    assert_eq!(body.len(), 1607 / 2);

    // HEAD still promises the full length.
    let r = head(&h, "/v2/test-image/manifests/test").await;
    assert_eq!(r.header("content-length"), Some("1607"));
}

#[tokio::test]
async fn fault_pad_and_chunked_make_oversized_bodies() {
    const PAD: usize = 5 * 1024 * 1024;
    let h = fixtures_server(Faults::default().with_body(IMAGE, BodyFault::Pad(PAD))).await;
    let r = get(&h, "/v2/single/manifests/test").await;
    let stored = blob_file("unsigned-image", IMAGE);
    assert_eq!(r.body.len(), stored.len() + PAD);
    assert_eq!(
        r.header("content-length"),
        Some((stored.len() + PAD).to_string().as_str())
    );
    assert_eq!(r.json()["schemaVersion"], 2, "padding keeps it JSON");
    let r = head(&h, "/v2/single/manifests/test").await;
    assert_eq!(
        r.header("content-length"),
        Some((stored.len() + PAD).to_string().as_str())
    );

    // Chunked: no Content-Length, so only a reading limit can stop it.
    h.update_faults(|f| f.chunked = true);
    let resp = client()
        .get(format!("{}/v2/single/manifests/test", h.url()))
        .send()
        .await
        .expect("response");
    assert_eq!(resp.headers().get("content-length"), None);
    assert_eq!(
        resp.headers()
            .get("transfer-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("chunked")
    );
    assert_eq!(resp.bytes().await.expect("body").len(), stored.len() + PAD);
}

#[tokio::test]
async fn oversized_manifest_from_memory() {
    // A 5 MiB manifest that is what it claims to be (valid digest): the size alone is the
    // problem a client must catch.
    let big = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": MISSING, "size": 2 },
        "layers": [],
        "annotations": { "pad": "x".repeat(5 * 1024 * 1024) },
    });
    let mut store = Store::new();
    let digest = store.add_manifest(serde_json::to_vec(&big).expect("json"), OCI_MANIFEST);
    store.tag("big", digest.clone());
    let h = memory_server(vec![("big", store)], Faults::default()).await;
    let r = head(&h, "/v2/big/manifests/big").await;
    let len: usize = r
        .header("content-length")
        .and_then(|l| l.parse().ok())
        .expect("length");
    assert!(len > 5 * 1024 * 1024);
    let r = get(&h, "/v2/big/manifests/big").await;
    assert_eq!(sha256_digest(&r.body), digest);
}

#[tokio::test]
async fn fault_stall_pauses_mid_body() {
    let pause = Duration::from_secs(1);
    let h =
        fixtures_server(Faults::default().with_body(IMAGE_CONFIG, BodyFault::Stall(pause))).await;
    let t = Instant::now();
    let resp = client()
        .get(format!("{}/v2/single/blobs/{IMAGE_CONFIG}", h.url()))
        .send()
        .await
        .expect("headers");
    assert_eq!(
        h.observed().slow_bodies_finished,
        0,
        "headers come before the stall is over"
    );
    let body = resp.bytes().await.expect("body");
    assert!(t.elapsed() >= pause);
    assert_eq!(h.observed().slow_bodies_finished, 1);
    assert_eq!(
        sha256_digest(&body),
        IMAGE_CONFIG,
        "nothing lost, only late"
    );

    // A client with a short timeout gives up.
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let result = async {
        quick
            .get(format!("{}/v2/single/blobs/{IMAGE_CONFIG}", h.url()))
            .send()
            .await?
            .bytes()
            .await
    }
    .await;
    assert!(result.is_err_and(|e| e.is_timeout()));
    assert_eq!(
        h.observed().slow_bodies_finished,
        1,
        "the quick client went before the end of its body"
    );
}

#[tokio::test]
async fn requests_are_counted_by_kind_and_logged() {
    let h = fixtures_server(Faults::default()).await;
    get(&h, "/v2/").await;
    get(&h, "/v2/_catalog").await;
    get(&h, "/v2/single/tags/list").await;
    for _ in 0..3 {
        get(&h, "/v2/single/manifests/test").await;
    }
    head(&h, &format!("/v2/single/blobs/{IMAGE_CONFIG}")).await;
    head(&h, &format!("/v2/single/blobs/{MISSING}")).await;
    get(&h, &format!("/v2/single/referrers/{IMAGE}")).await;
    get(&h, "/nowhere").await;

    let counts = h.counts();
    assert_eq!(
        counts,
        serve::RequestCounts {
            total: 10,
            base: 1,
            catalog: 1,
            tags: 1,
            manifests: 3,
            blobs: 2,
            referrers: 1,
            other: 1,
        }
    );
    assert_eq!(h.count(RequestKind::Manifest), 3);
    let log = h.requests();
    assert_eq!(log.len(), 10);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].target, "/v2/");
    assert_eq!(log[6].method, "HEAD");
    assert_eq!(log[6].kind, RequestKind::Blob);
    assert_eq!(log[6].target, format!("/v2/single/blobs/{IMAGE_CONFIG}"));

    // Failed requests count too.
    h.update_faults(|f| f.status = Some(502));
    get(&h, "/v2/single/manifests/test").await;
    assert_eq!(h.count(RequestKind::Manifest), 4);

    h.reset_counts();
    assert_eq!(h.counts(), serve::RequestCounts::default());
    assert!(h.requests().is_empty());
}

#[tokio::test]
async fn repositories_change_while_serving() {
    let h = fixtures_server(Faults::default()).await;
    let child = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";
    let path = format!("/v2/test-image/manifests/{child}");
    assert_eq!(get(&h, &path).await.status, 200);
    // The "deleted child" demo: the index still names it, the registry no longer has it.
    assert!(h.update_repo("test-image", |s| {
        s.remove(child);
    }));
    assert_eq!(get(&h, &path).await.status, 404);
    assert_eq!(get(&h, "/v2/test-image/manifests/test").await.status, 200);
    assert!(!h.update_repo("nope", |_| {}));

    let mut store = Store::new();
    let d = store.add_blob(b"hello".to_vec());
    h.insert_repo("extra/repo", store).expect("valid name");
    assert_eq!(
        get(&h, &format!("/v2/extra/repo/blobs/{d}")).await.body,
        "hello"
    );
    assert!(h.insert_repo("Bad Name", Store::new()).is_err());
}

#[tokio::test]
async fn layouts_load_with_missing_content_but_not_corrupt_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("layout");
    support::copy_dir(&fixture("unsigned-index"), &copy);

    // A missing child manifest: loads, and that child 404s.
    let child = "da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";
    std::fs::remove_file(copy.join("blobs/sha256").join(child)).expect("remove");
    let store = Store::from_layout(&copy).expect("loads without the child");
    assert!(store.manifest(ROOT).is_some());
    assert!(!store.contains(&format!("sha256:{child}")));
    let h = serve::start(vec![Layout::new("gappy", &copy)], Faults::default())
        .await
        .expect("starts");
    assert_eq!(get(&h, "/v2/gappy/manifests/test").await.status, 200);
    let r = get(&h, &format!("/v2/gappy/manifests/sha256:{child}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "MANIFEST_UNKNOWN");
    h.shutdown().await;

    // A blob that does not hash to its name: refused.
    let config = copy.join("blobs/sha256").join(&IMAGE_CONFIG[7..]);
    std::fs::write(&config, b"tampered").expect("write");
    let err = Store::from_layout(&copy).expect_err("corrupt layout");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("hashes to"), "{err}");

    // Not a layout at all.
    let err = Store::from_layout(dir.path()).expect_err("no oci-layout");
    assert!(err.to_string().contains("oci-layout"), "{err}");
    // A bad repository name.
    let err = serve::start(
        vec![Layout::new("UPPER", fixture("unsigned-image"))],
        Faults::default(),
    )
    .await
    .expect_err("bad name");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_untagged_single_entry_is_latest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("layout");
    support::copy_dir(&fixture("unsigned-image"), &copy);
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{ "mediaType": OCI_MANIFEST, "digest": IMAGE, "size": 476 }],
    });
    std::fs::write(copy.join("index.json"), index.to_string()).expect("write");
    let store = Store::from_layout(&copy).expect("loads");
    assert_eq!(store.tags().collect::<Vec<_>>(), vec![("latest", IMAGE)]);
}

#[tokio::test]
async fn shutdown_and_drop_stop_listening() {
    let h = fixtures_server(Faults::default()).await;
    let addr = h.addr;
    assert_eq!(get(&h, "/v2/").await.status, 200);
    h.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let h = fixtures_server(Faults::default()).await;
    let addr = h.addr;
    drop(h);
    // The listener closes once the aborted task is dropped; give the runtime a moment.
    let mut closed = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed);
}

/// `regscope serve` as a user runs it: it stops (killed) when the test ends.
struct ServeProcess {
    child: std::process::Child,
    host: String,
}

impl ServeProcess {
    /// `regscope serve SPECS... --addr 127.0.0.1:0`; the address is read from the line it
    /// prints.
    fn start(specs: &[String]) -> Self {
        use std::io::BufRead as _;
        let home = tempfile::tempdir().expect("home");
        let mut child = support::isolated_command(&support::regscope_bin(), home.path())
            .arg("serve")
            .args(specs)
            .args(["--addr", "127.0.0.1:0"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("spawn regscope serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read what regscope serve prints");
        let mut serving = Self {
            child,
            host: String::new(),
        };
        serving.host = line
            .split_once(" on http://")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        assert!(
            line.starts_with("serving team/app, single on http://127.0.0.1:")
                && line.trim_end().ends_with("(read-only); Ctrl-C stops it."),
            "{line:?}"
        );
        serving
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What skopeo reads from a registry: the raw manifest of `reference` (`host/repo:tag` or
/// `host/repo@digest`).
fn skopeo_raw(reference: &str) -> Vec<u8> {
    support::sandbox::require_tool("skopeo", "skopeo");
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The `serve` subcommand, a separate process on a port the kernel picks: the layouts' bytes
/// come back byte-exact through another client (skopeo) and through `regscope inspect`.
#[test]
fn the_serve_binary_serves_layouts_that_skopeo_and_regscope_read_back() {
    let serving = ServeProcess::start(&[
        format!("team/app={}", fixture("unsigned-index").display()),
        format!("single={}", fixture("unsigned-image").display()),
    ]);
    let host = &serving.host;

    // The tag resolves to the layout's root, byte for byte, and so does a child by digest.
    let root = skopeo_raw(&format!("{host}/team/app:test"));
    assert_eq!(sha256_digest(&root), ROOT);
    let index: Value = serde_json::from_slice(&root).expect("index json");
    let children: Vec<&str> = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|m| m["digest"].as_str())
        .collect();
    assert_eq!(children.len(), 4, "{index}");
    for child in &children {
        let raw = skopeo_raw(&format!("{host}/team/app@{child}"));
        assert_eq!(&sha256_digest(&raw), child);
    }
    let single = skopeo_raw(&format!("{host}/single:test"));
    assert_eq!(sha256_digest(&single), IMAGE);

    // regscope reads the same tree from it.
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&support::regscope_bin(), home.path())
        .args([
            "inspect",
            "--json",
            "--no-cache",
            &format!("{host}/team/app:test"),
        ])
        .output()
        .expect("run regscope inspect");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let text = report.to_string();
    assert!(text.contains(ROOT), "the root digest: {report}");
    for child in &children {
        assert!(text.contains(child), "{child} is in the tree: {report}");
    }
}

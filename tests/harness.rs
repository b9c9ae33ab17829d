//! Proves the integration-test harness (tests/support) against a real docker-registry 2.8,
//! and pins the registry behaviours regscope's tests rely on, so a different registry
//! version on CI fails here first, with a clear name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::{Command, Stdio};

use serde_json::{json, Value};
use support::*;

/// Seed `name` as `<name>:test`, then check the tag resolves to the layout root byte-exact
/// and every child of an index resolves by digest.
fn seed_and_check(name: &str) {
    let reg = TestRegistry::start();
    let layout = fixture(name);
    reg.seed_layout(&layout, &format!("{name}:test"));

    let root = layout_root(&layout);
    let root_digest = root["digest"].as_str().expect("root digest");
    let resp = reg.get_manifest(name, "test");
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    assert_eq!(resp.header("docker-content-digest"), Some(root_digest));
    assert_eq!(resp.header("content-type"), root["mediaType"].as_str());
    assert_eq!(
        resp.body,
        layout_blob(&layout, root_digest),
        "not byte-exact"
    );
    assert_eq!(sha256_digest(&resp.body), root_digest);

    let doc = resp.json();
    if let Some(children) = doc["manifests"].as_array() {
        assert!(!children.is_empty());
        for child in children {
            let digest = child["digest"].as_str().expect("child digest");
            let head = reg.head_manifest(name, digest);
            assert_eq!(head.status, 200, "child {digest} missing");
            assert_eq!(head.header("docker-content-digest"), Some(digest));
            assert_eq!(head.header("content-type"), child["mediaType"].as_str());
        }
    }
}

#[test]
fn seeds_unsigned_index() {
    seed_and_check("unsigned-index");
}

#[test]
fn seeds_no_provenance_index() {
    seed_and_check("no-provenance-index");
}

#[test]
fn seeds_unsigned_image() {
    seed_and_check("unsigned-image");
}

/// index.json's only entry is itself an index (containerd export): skopeo pushes that
/// index as the tag, so the tag's digest is the entry's digest.
#[test]
fn seeds_containerd_subject_layout() {
    let layout = fixture("containerd-subject-layout");
    assert_eq!(layout_root(&layout)["mediaType"], OCI_INDEX);
    seed_and_check("containerd-subject-layout");
}

#[test]
fn fixture_root_digests_are_known() {
    assert_eq!(
        layout_root_digest(&fixture("unsigned-index")),
        "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898"
    );
    for name in FIXTURE_LAYOUTS {
        let layout = fixture(name);
        let digest = layout_root_digest(&layout);
        assert_eq!(sha256_digest(&layout_blob(&layout, &digest)), digest);
    }
}

#[test]
fn answers_v2_and_cleans_up_on_drop() {
    let reg = TestRegistry::start();
    assert_eq!(reg.host, format!("127.0.0.1:{}", reg.port));
    let resp = reg.request("GET", "/v2/", &[], None);
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("docker-distribution-api-version"),
        Some("registry/2.0")
    );
    let dir = reg.dir().to_path_buf();
    let base = reg.base_url();
    assert!(dir.join("config.yml").is_file());
    drop(reg);
    assert!(!dir.exists(), "temp dir not removed");
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "2", &format!("{base}/v2/")])
        .stdin(Stdio::null())
        .output()
        .expect("run curl");
    assert!(!out.status.success(), "registry still answering after drop");
}

#[test]
fn registries_run_in_parallel_on_distinct_ports() {
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(TestRegistry::start))
        .collect();
    let regs: Vec<TestRegistry> = handles
        .into_iter()
        .map(|h| h.join().expect("start thread"))
        .collect();
    let mut ports: Vec<u16> = regs.iter().map(|r| r.port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 4);
    for (i, reg) in regs.iter().enumerate() {
        let digest = reg.put_blob("solo", format!("blob {i}").as_bytes());
        // Each registry only has its own blob.
        for (j, other) in regs.iter().enumerate() {
            let path = format!("/v2/solo/blobs/{digest}");
            let status = other.request("HEAD", &path, &[], None).status;
            assert_eq!(status, if i == j { 200 } else { 404 });
        }
    }
}

#[test]
fn delete_child_manifest_then_404() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    let index = reg.get_manifest("app", "v1").json();
    let child = index["manifests"][0]["digest"]
        .as_str()
        .expect("first child")
        .to_owned();
    assert_eq!(reg.head_manifest("app", &child).status, 200);

    reg.delete_manifest("app", &child);
    assert_eq!(reg.get_manifest("app", &child).status, 404);
    assert_eq!(reg.head_manifest("app", &child).status, 404);
    // No referential integrity: the index (and its tag) survive with a dangling child.
    let again = reg.get_manifest("app", "v1");
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["manifests"][0]["digest"], child.as_str());
    // Deleting twice is a 404, not a 202.
    let twice = reg.request("DELETE", &format!("/v2/app/manifests/{child}"), &[], None);
    assert_eq!(twice.status, 404);
}

#[test]
fn put_derived_index_and_fresh_image() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    let original = reg.get_manifest("app", "v1").json();

    // Derived case: the index without its attestation manifests.
    let mut derived = original.clone();
    let kept: Vec<Value> = original["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter(|d| d["annotations"]["vnd.docker.reference.type"] != "attestation-manifest")
        .cloned()
        .collect();
    assert_eq!(kept.len(), 2, "fixture has 2 platform manifests");
    derived["manifests"] = Value::Array(kept);
    let bytes = serde_json::to_vec(&derived).expect("serialize");
    let digest = reg.put_manifest("app", "no-attest", OCI_INDEX, &bytes);
    let back = reg.get_manifest("app", "no-attest");
    assert_eq!(back.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(back.body, bytes);
    assert_eq!(reg.get_manifest("app", &digest).body, bytes);

    // An index whose child does not exist is refused.
    let mut dangling = derived.clone();
    dangling["manifests"][0]["digest"] = json!(sha256_digest(b"no such manifest"));
    let refused = reg.try_put_manifest(
        "app",
        "dangling",
        OCI_INDEX,
        &serde_json::to_vec(&dangling).expect("serialize"),
    );
    assert_eq!(refused.status, 400, "{}", refused.body_text());
    assert!(
        refused.body_text().contains("MANIFEST_BLOB_UNKNOWN")
            || refused.body_text().contains("MANIFEST_UNKNOWN"),
        "{}",
        refused.body_text()
    );

    // A fresh image from raw blobs, in a new repo.
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = b"not really a tarball";
    let config_digest = reg.put_blob("fresh", config);
    let layer_digest = reg.put_blob("fresh", layer);
    let blob = reg.request("GET", &format!("/v2/fresh/blobs/{layer_digest}"), &[], None);
    assert_eq!(blob.status, 200);
    assert_eq!(blob.body, layer);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
    });
    let bytes = serde_json::to_vec(&manifest).expect("serialize");
    let digest = reg.put_manifest("fresh", "latest", OCI_MANIFEST, &bytes);
    let got = reg.get_manifest("fresh", "latest");
    assert_eq!(got.header("docker-content-digest"), Some(digest.as_str()));
    assert_eq!(got.header("content-type"), Some(OCI_MANIFEST));

    // An empty blob uploads fine too.
    let empty = reg.put_blob("fresh", b"");
    assert_eq!(empty, sha256_digest(b""));
}

/// Behaviours of docker-registry 2.8.2 that regscope (and its tests) depend on.
#[test]
fn registry_quirks_are_as_documented() {
    let reg = TestRegistry::start();
    for repo in ["a", "b", "c", "d", "e"] {
        reg.seed_fixture("unsigned-image", &format!("{repo}:one"));
    }
    reg.seed_fixture("unsigned-index", "idx:v1");
    for tag in ["v2", "v3"] {
        reg.seed_fixture("unsigned-index", &format!("idx:{tag}"));
    }

    // An index is 404 unless its media type is in Accept.
    let no_index_accept = reg.request(
        "GET",
        "/v2/idx/manifests/v1",
        &[("Accept", &format!("{OCI_MANIFEST}, {DOCKER_MANIFEST}"))],
        None,
    );
    assert_eq!(no_index_accept.status, 404);
    // ...and an image manifest is fine without it.
    let image = reg.request(
        "GET",
        "/v2/a/manifests/one",
        &[("Accept", OCI_MANIFEST)],
        None,
    );
    assert_eq!(image.status, 200);

    // tags/list ignores n.
    let tags = reg.request("GET", "/v2/idx/tags/list?n=1", &[], None);
    assert_eq!(tags.status, 200);
    assert_eq!(tags.json()["tags"], json!(["v1", "v2", "v3"]));
    assert_eq!(tags.header("link"), None);

    // _catalog paginates with n/last and a Link header.
    let page = reg.request("GET", "/v2/_catalog?n=2", &[], None);
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["repositories"], json!(["a", "b"]));
    let link = page.header("link").expect("Link header").to_owned();
    assert!(
        link.contains("last=b") && link.contains("rel=\"next\""),
        "{link}"
    );
    let last = reg.request("GET", "/v2/_catalog?n=2&last=e", &[], None);
    assert_eq!(last.json()["repositories"], json!(["idx"]));
    assert_eq!(last.header("link"), None);

    // No referrers API.
    let digest = layout_root_digest(&fixture("unsigned-image"));
    let referrers = reg.request("GET", &format!("/v2/a/referrers/{digest}"), &[], None);
    assert_eq!(referrers.status, 404);
}

#[test]
fn htpasswd_requires_basic_auth() {
    let reg = TestRegistry::builder().htpasswd("alice", "s3cret").start();
    assert_eq!(reg.credentials(), Some(("alice", "s3cret")));
    let anonymous = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-D", "-", "--max-time", "10"])
        .arg(format!("{}/v2/", reg.base_url()))
        .stdin(Stdio::null())
        .output()
        .expect("run curl");
    let head = String::from_utf8_lossy(&anonymous.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 401"), "{head}");
    assert!(
        head.contains("www-authenticate: basic realm=\"regscope-test\""),
        "{head}"
    );
    // The harness's own requests and skopeo carry the credentials.
    assert_eq!(reg.request("GET", "/v2/", &[], None).status, 200);
    reg.seed_fixture("unsigned-image", "private:v1");
    assert_eq!(reg.get_manifest("private", "v1").status, 200);
}

#[test]
fn tls_self_signed_serves_https() {
    let reg = TestRegistry::builder().tls_self_signed().start();
    assert!(reg.is_https());
    assert!(reg.base_url().starts_with("https://127.0.0.1:"));
    let ca = reg.ca_cert().expect("test CA").to_path_buf();
    // Verified (not -k) against the test CA.
    let out = Command::new("curl")
        .args(["-sS", "--fail", "--max-time", "10", "--cacert"])
        .arg(&ca)
        .arg(format!("{}/v2/", reg.base_url()))
        .stdin(Stdio::null())
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    reg.seed_fixture("unsigned-image", "secure:v1");
    assert_eq!(reg.get_manifest("secure", "v1").status, 200);
}

/// rustls (what regscope uses) accepts the test CA + leaf, and HTTP/2 is negotiated.
#[tokio::test]
async fn tls_test_ca_works_with_rustls() {
    let reg = TestRegistry::builder().tls_self_signed().start();
    let pem = std::fs::read(reg.ca_cert().expect("test CA")).expect("read CA");
    let cert = reqwest::Certificate::from_pem(&pem).expect("parse CA");
    let client = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .expect("client");
    let resp = client
        .get(format!("{}/v2/", reg.base_url()))
        .send()
        .await
        .expect("GET /v2/ over rustls");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
}

#[test]
fn regscope_bin_is_built() {
    assert!(regscope_bin().is_file(), "{}", regscope_bin().display());
}

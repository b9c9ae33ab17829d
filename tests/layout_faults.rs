//! Faults in content, exercised through OCI image layouts written by the test: tampered blobs
//! (digest mismatch), a served ancestor (cycle), oversized and malformed manifests.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;

use regscope::analysis::{self, Finding};
use regscope::inspect::{inspect, InspectOptions, Inspection};
use regscope::model::Kind;
use regscope::reference::ImageRef;
use regscope::registry::{Fetcher, HttpOptions, Limits};
use serde_json::json;
use support::{sha256_digest, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST};

/// A layout under construction: blobs by digest, and an index.json naming the root.
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).expect("mkdir");
        std::fs::write(
            dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .expect("write");
        Self { dir }
    }

    /// Stores `bytes` under their own digest.
    fn blob(&self, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        self.blob_as(&digest, bytes);
        digest
    }

    /// Stores `bytes` under a digest they do not hash to (a tampered or lying store).
    fn blob_as(&self, digest: &str, bytes: &[u8]) {
        let hex = digest.trim_start_matches("sha256:");
        std::fs::write(self.dir.path().join("blobs/sha256").join(hex), bytes).expect("write");
    }

    fn root(&self, media_type: &str, digest: &str, size: usize) {
        let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": media_type, "digest": digest, "size": size,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}}]});
        std::fs::write(
            self.dir.path().join("index.json"),
            serde_json::to_vec(&index).expect("json"),
        )
        .expect("write");
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// An amd64 image manifest with a real config; returns (digest, size).
    fn image(&self, arch: &str) -> (String, usize) {
        let config = serde_json::to_vec(
            &json!({"architecture": arch, "os": "linux", "config": {"User": "app"}}),
        )
        .expect("json");
        let config_digest = self.blob(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()}, "layers": []
        }))
        .expect("json");
        (self.blob(&manifest), manifest.len())
    }

    fn index_of(&self, entries: &[(String, usize, &str)]) -> (String, Vec<u8>) {
        let manifests: Vec<_> = entries
            .iter()
            .map(|(d, s, arch)| json!({"mediaType": OCI_MANIFEST, "digest": d, "size": s, "platform": {"os": "linux", "architecture": arch}}))
            .collect();
        let bytes = serde_json::to_vec(
            &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
        )
        .expect("json");
        (self.blob(&bytes), bytes)
    }
}

async fn run(layout: &Layout) -> (Inspection, Vec<Finding>) {
    let image = ImageRef::parse(&format!("oci:{}:v1", layout.path().display())).expect("reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .expect("root read");
    let findings = analysis::analyze(&insp.root);
    (insp, findings)
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

#[tokio::test]
async fn a_tampered_child_is_a_digest_mismatch_and_is_not_trusted() {
    let layout = Layout::new();
    let (amd, amd_size) = layout.image("amd64");
    let (arm, arm_size) = layout.image("arm64");
    // Replace the arm64 manifest's bytes with other (valid!) content.
    let (evil, _) = layout.image("s390x");
    let evil_bytes = std::fs::read(
        layout
            .path()
            .join("blobs/sha256")
            .join(evil.trim_start_matches("sha256:")),
    )
    .expect("read");
    layout.blob_as(&arm, &evil_bytes);
    let (index, bytes) =
        layout.index_of(&[(amd, amd_size, "amd64"), (arm.clone(), arm_size, "arm64")]);
    layout.root(OCI_INDEX, &index, bytes.len());
    let (insp, findings) = run(&layout).await;
    assert_eq!(codes(&findings), vec!["digest-mismatch"]);
    assert_eq!(findings[0].digest, arm);
    let node = insp
        .root
        .children
        .iter()
        .find(|c| c.digest == arm)
        .expect("listed");
    assert!(
        node.children.is_empty() && node.raw.is_none(),
        "untrusted content is not used"
    );
}

#[tokio::test]
async fn serving_an_ancestor_for_a_child_is_a_reference_cycle() {
    let layout = Layout::new();
    let (amd, amd_size) = layout.image("amd64");
    let child =
        "sha256:1111111111111111111111111111111111111111111111111111111111111111".to_string();
    let (index, bytes) =
        layout.index_of(&[(amd, amd_size, "amd64"), (child.clone(), 100, "arm64")]);
    // The store answers the child's digest with the index itself: following it would loop forever.
    layout.blob_as(&child, &bytes);
    layout.root(OCI_INDEX, &index, bytes.len());
    let (_, findings) = run(&layout).await;
    let mut found = codes(&findings);
    found.sort_unstable();
    assert_eq!(found, vec!["digest-mismatch", "reference-cycle"]);
    assert!(findings.iter().all(|f| f.digest == child));
}

#[tokio::test]
async fn an_oversized_child_manifest_is_refused_unread() {
    let layout = Layout::new();
    let (amd, amd_size) = layout.image("amd64");
    let big = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"{OCI_MANIFEST}\",\"layers\":[],\"pad\":\"{}\"}}",
        "x".repeat(5 << 20)
    );
    let big_digest = layout.blob(big.as_bytes());
    let (index, bytes) = layout.index_of(&[
        (amd, amd_size, "amd64"),
        (big_digest.clone(), big.len(), "arm64"),
    ]);
    layout.root(OCI_INDEX, &index, bytes.len());
    let (_, findings) = run(&layout).await;
    assert_eq!(codes(&findings), vec!["content-too-large"]);
    assert_eq!(findings[0].digest, big_digest);
}

#[tokio::test]
async fn a_malformed_child_is_reported_and_siblings_still_show() {
    let layout = Layout::new();
    let (amd, amd_size) = layout.image("amd64");
    let junk = layout.blob(b"<html>not a manifest</html>");
    let (index, bytes) = layout.index_of(&[
        (amd.clone(), amd_size, "amd64"),
        (junk.clone(), 27, "arm64"),
    ]);
    layout.root(OCI_INDEX, &index, bytes.len());
    let (insp, findings) = run(&layout).await;
    assert_eq!(codes(&findings), vec!["malformed-content"]);
    assert_eq!(findings[0].digest, junk);
    let amd = insp
        .root
        .children
        .iter()
        .find(|c| c.digest == amd)
        .expect("sibling");
    assert_eq!(amd.kind, Kind::Manifest);
    assert!(amd.config_summary().is_some());
}

#[tokio::test]
async fn a_malformed_root_is_a_clear_error() {
    let layout = Layout::new();
    let junk = layout.blob(b"{\"schemaVersion\":1,\"name\":\"old\"}");
    layout.root(OCI_MANIFEST, &junk, 30);
    let image = ImageRef::parse(&format!("oci:{}:v1", layout.path().display())).expect("reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let err = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .expect_err("schema 1 is refused");
    assert!(err.to_string().contains("schema 1"), "{err}");
}

#[test]
fn escape_sequences_from_the_registry_never_reach_the_terminal() {
    let layout = Layout::new();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}", "Entrypoint": ["/bin/sh\u{1b}[31m"]}
    }))
    .expect("json");
    let config_digest = layout.blob(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()}, "layers": []
    }))
    .expect("json");
    let m = layout.blob(&manifest);
    let index = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": m, "size": manifest.len(),
         "platform": {"os": "linux\u{1b}[8m", "architecture": "amd64"},
         "annotations": {"vnd.docker.reference.type": "\u{1b}]0;pwned\u{7}"}}]}),
    )
    .expect("json");
    let i = layout.blob(&index);
    layout.root(OCI_INDEX, &i, index.len());
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&support::regscope_bin(), home.path())
        .args([
            "inspect",
            "--color",
            "never",
            &format!("oci:{}:v1", layout.path().display()),
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    assert!(
        text.contains("\\u{1b}"),
        "escapes are shown visibly: {text}"
    );
}

/// An unsupported root media type is quoted in the error: on stderr it must stay inert, and
/// `--json` must escape C1 and bidi controls that serde passes through.
#[test]
fn hostile_strings_stay_inert_on_stderr_and_in_json() {
    let layout = Layout::new();
    let hostile = "application/x\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}2J\u{202e}";
    let body =
        serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": hostile})).expect("json");
    let root = layout.blob(&body);
    layout.root(OCI_MANIFEST, &root, body.len());
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&support::regscope_bin(), home.path())
        .args(["inspect", &format!("oci:{}:v1", layout.path().display())])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("application/x"),
        "the media type is named: {stderr}"
    );
    assert!(
        !stderr.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
        "{stderr:?}"
    );

    // A config label with C1 and bidi controls, through --json.
    let layout = Layout::new();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "app\u{9b}31m\u{202e}", "Labels": {"x": "\u{85}\u{2066}"}}
    }))
    .expect("json");
    let config_digest = layout.blob(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()}, "layers": []
    }))
    .expect("json");
    let m = layout.blob(&manifest);
    layout.root(OCI_MANIFEST, &m, manifest.len());
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&support::regscope_bin(), home.path())
        .args([
            "inspect",
            "--json",
            &format!("oci:{}:v1", layout.path().display()),
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        !stdout.contains(['\u{9b}', '\u{85}', '\u{202e}', '\u{2066}']),
        "{stdout:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("still valid JSON");
    assert!(doc["tree"].is_object());
}

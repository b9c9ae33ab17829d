//! `regscope diff` across two real docker-registry instances, each behind TLS and htpasswd with
//! its own user (credentials from a docker config, one entry per registry): a promotion that is
//! complete, one that dropped a platform, one that changed a config, one that lost the
//! attachments; pair by pair and as a `--map` of the whole promotion.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::{Command, Output};

use serde_json::{json, Value};
use support::attach::{fixture_entries, fixture_index, fixture_index_bytes, seed_signed};
use support::{regscope_bin, TestRegistry, OCI_INDEX, OCI_MANIFEST};

const REPO: &str = "team/app";

/// Two registries with different users, and a HOME whose docker config logs in to both and
/// whose CA bundle trusts both.
struct Promotion {
    source: TestRegistry,
    target: TestRegistry,
    home: tempfile::TempDir,
    ca: String,
}

fn registry(user: &str, password: &str) -> TestRegistry {
    TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(user, password)
        .start()
}

impl Promotion {
    fn new() -> Self {
        use base64::Engine as _;
        let source = registry("internal-ci", "source-pw");
        let target = registry("hub-bot", "target-pw");
        let home = tempfile::tempdir().expect("home");
        let docker = home.path().join(".docker");
        std::fs::create_dir_all(&docker).expect("mkdir");
        let auth =
            |u: &str, p: &str| base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        std::fs::write(
            docker.join("config.json"),
            json!({"auths": {
                (source.host.clone()): {"auth": auth("internal-ci", "source-pw")},
                (target.host.clone()): {"auth": auth("hub-bot", "target-pw")},
            }})
            .to_string(),
        )
        .expect("config");
        let mut bundle = std::fs::read(source.ca_cert().expect("ca")).expect("ca");
        bundle.extend(std::fs::read(target.ca_cert().expect("ca")).expect("ca"));
        let ca = home.path().join("cas.pem");
        std::fs::write(&ca, bundle).expect("ca bundle");
        Self {
            source,
            target,
            home,
            ca: ca.display().to_string(),
        }
    }

    fn regscope(&self, args: &[&str]) -> Output {
        Command::new(regscope_bin())
            .args(args)
            .args(["--ca-file", &self.ca, "--no-cache"])
            .env("HOME", self.home.path())
            .env("DOCKER_CONFIG", self.home.path().join(".docker"))
            .env_remove("REGSCOPE_USERNAME")
            .env_remove("REGSCOPE_PASSWORD")
            .env("NO_COLOR", "1")
            .output()
            .expect("run regscope")
    }

    fn src(&self, tag: &str) -> String {
        format!("{}/{REPO}:{tag}", self.source.host)
    }

    fn dst(&self, tag: &str) -> String {
        format!("{}/{REPO}:{tag}", self.target.host)
    }
}

/// The fixture index without its arm64 manifest and arm64 attestation, tagged `tag`.
fn push_amd64_only(reg: &TestRegistry, tag: &str) {
    let mut root = fixture_index();
    let arm = fixture_entries()
        .into_iter()
        .find(|e| e.3 == "arm64")
        .expect("arm64")
        .0;
    let kept: Vec<Value> = root["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter(|m| {
            m["digest"] != json!(arm)
                && m["annotations"]["vnd.docker.reference.digest"] != json!(arm)
        })
        .cloned()
        .collect();
    root["manifests"] = Value::Array(kept);
    reg.put_manifest(
        REPO,
        tag,
        OCI_INDEX,
        &serde_json::to_vec(&root).expect("json"),
    );
}

/// A one-platform image whose config runs as `user`, tagged `tag`.
fn push_image_as(reg: &TestRegistry, tag: &str, user: &str) {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"User":"{user}","Env":["PATH=/bin"]}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
    );
    let config_digest = reg.put_blob(REPO, config.as_bytes());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": []
    });
    reg.put_manifest(
        REPO,
        tag,
        OCI_MANIFEST,
        &serde_json::to_vec(&manifest).expect("json"),
    );
}

/// v1 complete, v2 dropped arm64, v3 changed the config's user, v4 lost the attachments.
fn promoted() -> Promotion {
    let p = Promotion::new();
    seed_signed(&p.source, REPO, "v1");
    seed_signed(&p.target, REPO, "v1");
    p.source
        .put_manifest(REPO, "v2", OCI_INDEX, &fixture_index_bytes());
    push_amd64_only(&p.target, "v2");
    push_image_as(&p.source, "v3", "app");
    push_image_as(&p.target, "v3", "root");
    p
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The strings of the array `key`.
fn only(doc: &Value, key: &str) -> Vec<String> {
    doc[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn diff_says_what_a_promotion_kept_and_what_it_lost() {
    let p = promoted();

    // Complete: same digest, same attachments, exit 0.
    let out = p.regscope(&["diff", "--json", &p.src("v1"), &p.dst("v1")]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(doc["sameDigest"], json!(true));
    assert_eq!(doc["identical"], json!(true));
    assert_eq!(doc["platforms"].as_array().expect("platforms").len(), 2);

    // Dropped a platform: arm64 and its attestation only at the source.
    let out = p.regscope(&["diff", "--json", &p.src("v2"), &p.dst("v2")]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    assert_eq!(doc["sameDigest"], json!(false));
    assert_eq!(doc["platformsOnlyLeft"], json!(["linux/arm64"]));
    assert_eq!(doc["platformsOnlyRight"], json!([]));
    assert!(
        only(&doc, "attachmentsOnlyLeft")
            .iter()
            .any(|a| a.starts_with("SBOM for linux/arm64 (sha256:")),
        "{doc:#}"
    );
    let amd = &doc["platforms"][0];
    assert_eq!(amd["platform"], json!("linux/amd64"));
    assert_eq!(amd["leftManifest"], amd["rightManifest"]);

    // Changed the config: the user, named in text.
    let out = p.regscope(&["diff", &p.src("v3"), &p.dst("v3")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("user: app -> root"), "{text}");
    assert!(
        text.contains("DIFFERENT: linux/amd64: user differ"),
        "{text}"
    );
}

#[test]
fn diff_notices_attachments_that_did_not_come_along() {
    let p = Promotion::new();
    seed_signed(&p.source, REPO, "v4");
    p.target
        .seed_fixture("unsigned-index", &format!("{REPO}:v4"));
    let out = p.regscope(&["diff", "--json", &p.src("v4"), &p.dst("v4")]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    assert_eq!(doc["sameDigest"], json!(true));
    let lost: Vec<String> = only(&doc, "attachmentsOnlyLeft")
        .iter()
        .map(|a| a.split(" (").next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        lost,
        vec!["SBOM for linux/amd64", "signature for index"],
        "the BuildKit attestations came along; the signature and the tag-schema SBOM did not: {doc:#}"
    );
    assert_eq!(doc["attachmentsOnlyRight"], json!([]));
}

/// A promotion that signs again with the target's own key (the source's signature replaced by
/// another of the same kind for the same manifest) carried what it had to: exit 0, and the
/// new signature is named.
#[test]
fn a_signature_made_again_at_the_target_is_not_drift() {
    let p = Promotion::new();
    seed_signed(&p.source, REPO, "v5");
    seed_signed(&p.target, REPO, "v5");
    let root = support::layout_root_digest(&support::fixture("unsigned-index"));
    support::attach::push_cosign_signature(
        &p.target,
        REPO,
        &root,
        &json!({"dev.cosignproject.cosign/signature": "MEUCIQD-the-target-key"}),
    );
    let out = p.regscope(&["diff", &p.src("v5"), &p.dst("v5")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("attachment made again: signature for index: sha256:"),
        "{text}"
    );
    assert!(text.contains("identical"), "{text}");
    let doc = json_of(&p.regscope(&["diff", "--json", &p.src("v5"), &p.dst("v5")]));
    assert_eq!(
        doc["attachmentsReplaced"].as_array().map(Vec::len),
        Some(1),
        "{doc:#}"
    );
    assert_eq!(doc["attachmentsOnlyLeft"], json!([]), "{doc:#}");
}

#[test]
fn diff_map_checks_a_whole_promotion_and_fails_on_drift() {
    let p = promoted();
    let map = p.home.path().join("promotion.map");
    let write = |text: String| std::fs::write(&map, text).expect("map");
    let map_arg = map.display().to_string();

    // Only the complete tag: exit 0.
    write(format!(
        "# release train\n{src}/{REPO} {dst}/{REPO} v1   # the good one\n",
        src = p.source.host,
        dst = p.target.host
    ));
    let out = p.regscope(&["diff", "--map", &map_arg]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok: all 1 tags identical"), "{text}");

    // Every tag: v2 and v3 drifted; the attachment tags are not compared as tags.
    write(format!(
        "{src}/{REPO} {dst}/{REPO}\n",
        src = p.source.host,
        dst = p.target.host
    ));
    let out = p.regscope(&["diff", "--map", &map_arg, "--json"]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let results: Vec<(String, String)> = doc["lines"][0]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| {
            (
                t["tag"].as_str().expect("tag").to_string(),
                t["result"].as_str().expect("result").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> =
        [("v1", "identical"), ("v2", "drifted"), ("v3", "drifted")]
            .iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect();
    assert_eq!(results, expected, "{doc:#}");

    // A tag the target never got is drift too.
    push_image_as(&p.source, "v5", "app");
    let out = p.regscope(&["diff", "--map", &map_arg]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("missing") && text.contains("the target has no such tag"),
        "{text}"
    );
    assert!(text.contains("DRIFT: 3 of 4 tags differ"), "{text}");
}

#[test]
fn a_bad_map_file_is_a_usage_error_that_names_the_line() {
    let dir = tempfile::tempdir().expect("dir");
    let map = dir.path().join("bad.map");
    std::fs::write(&map, "# ok\nonly-one-word\n").expect("map");
    let out = Command::new(regscope_bin())
        .args(["diff", "--map", &map.display().to_string()])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn where_places_a_digest_from_a_log_among_tags_and_indexes() {
    let p = promoted();
    let (amd, _, _, _) = fixture_entries()
        .into_iter()
        .find(|e| e.3 == "amd64")
        .expect("amd64");
    let at = format!("{}/{REPO}@{amd}", p.source.host);
    let out = p.regscope(&["where", "--json", &at]);
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
    assert_eq!(
        doc["tags"],
        json!([]),
        "no tag names the platform manifest itself"
    );
    let indexes: Vec<(String, String)> = doc["inIndexes"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| {
            (
                e["tag"].as_str().expect("tag").to_string(),
                e["platform"].as_str().expect("platform").to_string(),
            )
        })
        .collect();
    let mut indexes = indexes;
    indexes.sort();
    assert_eq!(
        indexes,
        vec![
            ("v1".to_string(), "linux/amd64".to_string()),
            ("v2".to_string(), "linux/amd64".to_string())
        ]
    );
    // Its SBOM's referrers tag names it too.
    assert_eq!(
        doc["attachmentTags"].as_array().expect("list").len(),
        1,
        "{doc:#}"
    );

    // A digest nothing points at: exit 1, said in words.
    let nowhere = format!("{}/{REPO}@sha256:{}", p.source.host, "0".repeat(64));
    let out = p.regscope(&["where", &nowhere]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no tag points at it"));
}

//! `regscope diff` across two real docker-registry instances, each behind TLS and htpasswd with
//! its own user (credentials from a docker config, one entry per registry): a promotion that is
//! complete, one that dropped a platform, one that changed a config, one that lost the
//! attachments; pair by pair and as a `--map` of the whole promotion. Values read as a user
//! writes them (never Rust's debug syntax). And against the in-process fault server: a
//! comparison that could not read something (children that 404, children that time out) is
//! never "identical": it says what could not be compared and exits 2, in text, JSON, `--map`
//! and the TUI's `=`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::Output;

use regscope::serve::{self, Faults, RequestKind, Scope, ServerHandle, Store};
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
        self.regscope_with(args, &[])
    }

    /// [`Promotion::regscope`] with more environment (`REGSCOPE_CONFIG`).
    fn regscope_with(&self, args: &[&str], env: &[(&str, &std::path::Path)]) -> Output {
        support::isolated_command(&regscope_bin(), self.home.path())
            .envs(env.iter().copied())
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
fn push_image_as(reg: &TestRegistry, tag: &str, user: &str) -> String {
    push_image_with(reg, tag, &json!({"User": user, "Env": ["PATH=/bin"]}))
}

/// A one-platform image with this runtime `config`, tagged `tag`; its manifest digest.
fn push_image_with(reg: &TestRegistry, tag: &str, runtime: &Value) -> String {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": []}
    }))
    .expect("json");
    let config_digest = reg.put_blob(REPO, &config);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": []
    });
    let bytes = serde_json::to_vec(&manifest).expect("json");
    reg.put_manifest(REPO, tag, OCI_MANIFEST, &bytes);
    support::sha256_digest(&bytes)
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
    // The lost signature is said on its own, signer first, in both directions.
    let (src, dst) = (p.src("v4"), p.dst("v4"));
    let signing = only(&doc, "signing");
    assert_eq!(signing.len(), 1, "{doc:#}");
    assert!(
        signing[0].starts_with("signed (cosign signature")
            && signing[0].ends_with(&format!(
                " at {src}, unsigned at {dst} (not verified: no policy)"
            )),
        "{doc:#}"
    );
    let out = p.regscope(&["diff", &dst, &src]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "signing: unsigned at {dst}, signed (cosign signature"
        )),
        "{text}"
    );
    assert!(text.contains("DIFFERENT: unsigned at"), "{text}");
    // Both signed (the same signature): nothing said.
    let doc = json_of(&p.regscope(&["diff", "--json", &src, &src]));
    assert_eq!(doc["signing"], json!([]), "{doc:#}");
}

/// With a `[verify."PATTERN"]` policy for the target, `diff` judges signing by what verifies,
/// on both sides (the source's registry has no policy of its own): a target whose signature
/// does not verify with the policy's key is drift, named with the key that verified the
/// source and the reason at the target; by presence alone both are signed and nothing is said.
/// The same image on both sides is "verified at both".
#[test]
fn diff_judges_signing_by_the_policy_when_one_applies() {
    use support::attach::{push_cosign_layers, simple_signing, KeyKind, SigningKey};
    let p = Promotion::new();
    let key = SigningKey::generate(p.home.path(), "cosign", KeyKind::P256);
    let other = SigningKey::generate(p.home.path(), "other", KeyKind::P256);
    let root = support::layout_root_digest(&support::fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/app", &root);
    for (reg, signer) in [(&p.source, &key), (&p.target, &other)] {
        reg.seed_fixture("unsigned-index", &format!("{REPO}:v6"));
        push_cosign_layers(reg, REPO, &root, &[signer.layer(&payload)]);
    }
    let (src, dst) = (p.src("v6"), p.dst("v6"));

    // By presence: both signed, nothing said, identical.
    let out = p.regscope(&["diff", &src, &dst]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("signing:"), "{text}");

    let config = p.home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[verify.\"{}/team/*\"]\nkey = \"{}\"\n",
            p.target.host,
            key.public.display()
        ),
    )
    .expect("config");
    let env = [("REGSCOPE_CONFIG", config.as_path())];
    let out = p.regscope_with(&["diff", &src, &dst], &env);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verified = format!("signed by key {} (sha256:", key.public.display());
    assert!(
        text.contains(&format!("  signing: {verified}"))
            && text.contains(&format!(
                "(verified) at {src}, no signature that verifies at {dst} (sha256:"
            ))
            && text.contains(": the signature does not verify with this key"),
        "{text}"
    );
    assert!(text.contains(&format!("DIFFERENT: {verified}")), "{text}");
    let doc = json_of(&p.regscope_with(&["diff", "--json", &dst, &src], &env));
    let signing = only(&doc, "signing");
    assert_eq!(signing.len(), 1, "{doc:#}");
    assert!(
        signing[0].starts_with(&format!("no signature that verifies at {dst} ("))
            && signing[0].ends_with(&format!("(verified) at {src}")),
        "{doc:#}"
    );
    assert_eq!(doc["verdict"], json!("different"), "{doc:#}");

    // The same image on both sides (a policy for the source's registry now): a note, not drift.
    std::fs::write(
        &config,
        format!(
            "[verify.\"{}/team/*\"]\nkey = \"{}\"\n",
            p.source.host,
            key.public.display()
        ),
    )
    .expect("config");
    let out = p.regscope_with(&["diff", &src, &src], &env);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("  signing: {verified}")) && text.contains("(verified) at both"),
        "{text}"
    );

    // Each registry its own policy and key: both verify, by different signers; a note naming
    // both, not drift.
    std::fs::write(
        &config,
        format!(
            "[verify.\"{}/team/*\"]\nkey = \"{}\"\n\n[verify.\"{}/team/*\"]\nkey = \"{}\"\n",
            p.source.host,
            key.public.display(),
            p.target.host,
            other.public.display()
        ),
    )
    .expect("config");
    let out = p.regscope_with(&["diff", &src, &dst], &env);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let by_other = format!("signed by key {} (sha256:", other.public.display());
    assert!(
        text.contains(&format!(
            "verified at both, by different signers: {verified}"
        )) && text.contains(&format!("(verified) at {src}, {by_other}"))
            && text.contains(&format!("(verified) at {dst}")),
        "{text}"
    );
    let doc = json_of(&p.regscope_with(&["diff", "--json", &src, &dst], &env));
    assert_eq!(doc["verdict"], json!("identical"), "{doc:#}");
    assert!(only(&doc, "signing").is_empty(), "{doc:#}");
    let notes = only(&doc, "signingNotes");
    assert_eq!(notes.len(), 1, "{doc:#}");
    assert!(
        notes[0].starts_with("verified at both, by different signers: "),
        "{doc:#}"
    );
}

/// No `[verify]` policy, but notation's own trust policy in its place (`~/.config/notation`)
/// with a statement for the target's repository: `diff` judges both sides' notation signatures
/// by it (the source's repository by the target's statement). The source's, by the trusted
/// builder, verifies; the target's, by a look-alike subject under another root, only claims.
#[test]
fn diff_judges_notation_signatures_by_notation_s_own_trust_policy() {
    use support::attach::KeyKind;
    use support::notation::{jws, push_signature, trust_store, Cert, Envelope};
    let p = Promotion::new();
    let d = p.home.path().join("pki");
    std::fs::create_dir_all(&d).expect("pki");
    let acme = Cert::root(&d, "acme", "/C=US/ST=WA/O=acme/CN=acme root");
    let rogue = Cert::root(&d, "rogue", "/C=US/ST=WA/O=rogue/CN=rogue root");
    let dn = "/C=US/ST=WA/O=acme/CN=builder";
    let builder = acme.leaf(&d, "builder", dn, KeyKind::P256);
    let impostor = rogue.leaf(&d, "impostor", dn, KeyKind::P256);
    let notation = p.home.path().join(".config/notation");
    trust_store(&notation.join("truststore"), "acme", &acme);
    std::fs::write(
        notation.join("trustpolicy.json"),
        json!({"version": "1.0", "trustPolicies": [{
            "name": "prod-images", "registryScopes": [format!("{}/{REPO}", p.target.host)],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:acme"],
            "trustedIdentities": ["x509.subject: C=US, ST=WA, O=acme, CN=builder"]
        }]})
        .to_string(),
    )
    .expect("policy");
    let root = support::layout_root(&support::fixture("unsigned-index"));
    let subject = (
        root["digest"].as_str().expect("digest"),
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    for (reg, leaf, ca) in [(&p.source, &builder, &acme), (&p.target, &impostor, &rogue)] {
        reg.seed_fixture("unsigned-index", &format!("{REPO}:v7"));
        push_signature(
            reg,
            REPO,
            subject,
            &[jws(leaf, &[ca], subject, &Envelope::default())],
        );
    }
    let (src, dst) = (p.src("v7"), p.dst("v7"));
    let out = p.regscope(&["diff", &src, &dst]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "  signing: signed by C=US, ST=WA, O=acme, CN=builder (trust policy prod-images) (verified) at {src}, no signature that verifies at {dst} (sha256:"
        )) && text.contains(": claims to be signed by C=US, ST=WA, O=acme, CN=builder (trust policy prod-images) (not verified: the certificate chain ends at C=US, ST=WA, O=rogue, CN=rogue root"),
        "{text}"
    );
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
    let out = support::isolated_command(&regscope_bin(), dir.path())
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

/// Config changes read as a user writes them: exec lists as JSON arrays, a removed variable
/// `removed`, a new one `added`, a changed value `changed` with the value withheld unless
/// `--show-env-values`; JSON carries real arrays, never strings of Rust's debug syntax.
#[test]
fn config_changes_read_as_written_in_text_and_json() {
    let p = Promotion::new();
    push_image_with(
        &p.source,
        "v6",
        &json!({"Entrypoint": ["/bin/start", "--serve"], "User": "app",
                "Env": ["PATH=/bin", "DEBUG=1", "TOKEN=source-t0ken"],
                "Labels": {"version": "1.0"}}),
    );
    push_image_with(
        &p.target,
        "v6",
        &json!({"Entrypoint": ["/bin/app"], "User": "app",
                "Env": ["PATH=/bin", "NEW=1", "TOKEN=target-t0ken"],
                "Labels": {"version": "1.1"}}),
    );
    let out = p.regscope(&["diff", &p.src("v6"), &p.dst("v6")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        r#"    entrypoint: ["/bin/start","--serve"] -> ["/bin/app"]"#,
        "    env: DEBUG removed",
        "    env: NEW added",
        "    env: TOKEN changed (value not shown)",
        "    labels: version=1.0 -> version=1.1",
        "(environment values are not shown; --show-env-values shows them)",
        "DIFFERENT: linux/amd64: entrypoint, env, labels differ",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    for debug in ["Some(", "None", "\\\"", "t0ken", "-> (none)"] {
        assert!(!text.contains(debug), "{debug:?} in:\n{text}");
    }

    let out = p.regscope(&["diff", "--show-env-values", &p.src("v6"), &p.dst("v6")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("    env: TOKEN=source-t0ken -> TOKEN=target-t0ken"),
        "{text}"
    );
    assert!(text.contains("    env: DEBUG=1 removed"), "{text}");
    assert!(!text.contains("not shown"), "{text}");

    let doc = json_of(&p.regscope(&["diff", "--json", &p.src("v6"), &p.dst("v6")]));
    assert_eq!(doc["verdict"], json!("different"), "{doc:#}");
    assert_eq!(doc["incomplete"], json!([]), "{doc:#}");
    let changes = &doc["platforms"][0]["configChanges"];
    assert_eq!(
        changes[0],
        json!({"field": "entrypoint", "change": "changed",
               "left": ["/bin/start", "--serve"], "right": ["/bin/app"]}),
        "{doc:#}"
    );
    let env: Vec<(String, String)> = changes
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["field"] == "env")
        .map(|c| {
            assert_eq!(c["valueHidden"], json!(true), "{c}");
            assert!(c["left"].is_null() && c["right"].is_null(), "{c}");
            (
                c["name"].as_str().expect("name").to_string(),
                c["change"].as_str().expect("change").to_string(),
            )
        })
        .collect();
    assert_eq!(
        env,
        [("DEBUG", "removed"), ("NEW", "added"), ("TOKEN", "changed")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .to_vec()
    );
    assert!(!doc.to_string().contains("t0ken"), "{doc:#}");
}

/// Two unrelated images, each signed: each signature is about its own image, so each is on
/// one side only; neither was "made again".
#[test]
fn two_unrelated_signed_images_have_no_attachment_made_again() {
    let p = Promotion::new();
    let left = push_image_as(&p.source, "v7", "app");
    let right = push_image_with(
        &p.target,
        "v7",
        &json!({"User": "root", "Cmd": ["/bin/sh"]}),
    );
    support::attach::push_cosign_signature(&p.source, REPO, &left, &json!({}));
    support::attach::push_cosign_signature(&p.target, REPO, &right, &json!({}));
    let out = p.regscope(&["diff", &p.src("v7"), &p.dst("v7")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("made again"), "{text}");
    assert!(
        text.contains("attachment only left: signature for"),
        "{text}"
    );
    assert!(
        text.contains("attachment only right: signature for"),
        "{text}"
    );
    let doc = json_of(&p.regscope(&["diff", "--json", &p.src("v7"), &p.dst("v7")]));
    assert_eq!(doc["attachmentsReplaced"], json!([]), "{doc:#}");
}

// ---- Comparisons that could not read something (issue 25, defect 3) ----

/// A repository whose `v1` is an index with one linux/amd64 child whose config runs as
/// `user`; with `stored == false` the child is not in the registry (it answers 404).
fn index_repo(user: &str, stored: bool) -> (Store, String) {
    let mut store = Store::new();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "config": {"User": user},
        "rootfs": {"type": "layers", "diff_ids": []}
    }))
    .expect("json");
    let config_digest = store.add_blob(config.clone());
    let child = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": []
    }))
    .expect("json");
    let child_digest = support::sha256_digest(&child);
    if stored {
        store.add_manifest(child.clone(), OCI_MANIFEST);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": child_digest, "size": child.len(),
                       "platform": {"os": "linux", "architecture": "amd64"}}]
    }))
    .expect("json");
    let root = store.add_manifest(index, OCI_INDEX);
    store.tag("v1", root);
    (store, child_digest)
}

/// `team/left` and `team/right`: different images (users `app` and `root`), each an index
/// whose only child is stored or not.
async fn two_indexes(stored: bool, faults: Faults) -> ServerHandle {
    let (left, _) = index_repo("app", stored);
    let (right, _) = index_repo("root", stored);
    serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        [
            ("team/left".to_string(), left),
            ("team/right".to_string(), right),
        ],
        faults,
    )
    .await
    .expect("server")
}

async fn regscope_async(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    tokio::process::Command::from(support::isolated_command(&regscope_bin(), home.path()))
        .args(args)
        .arg("--no-cache")
        .env("HOME", home.path())
        .env("DOCKER_CONFIG", home.path().join(".docker"))
        .env_remove("REGSCOPE_USERNAME")
        .env_remove("REGSCOPE_PASSWORD")
        .env("NO_COLOR", "1")
        .output()
        .await
        .expect("run regscope")
}

/// What both text and JSON must say when linux/amd64 could be read on neither side.
async fn assert_incomplete(srv: &ServerHandle, extra: &[&str], why: &str) {
    let (l, r) = (
        format!("{}/team/left:v1", srv.host()),
        format!("{}/team/right:v1", srv.host()),
    );
    let mut args = vec!["diff", l.as_str(), r.as_str()];
    args.extend_from_slice(extra);
    let out = regscope_async(&args).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("identical:"), "{text}");
    assert!(
        text.contains("  not compared: linux/amd64 on both sides:\n    left: its manifest sha256:"),
        "{text}"
    );
    assert!(text.contains("\n    right: its manifest sha256:"), "{text}");
    assert!(text.contains(why), "{why:?} missing from:\n{text}");
    assert!(
        text.contains(
            "INCOMPLETE: not known to be identical; could not compare linux/amd64 (both sides)"
        ),
        "{text}"
    );

    args.push("--json");
    let out = regscope_async(&args).await;
    assert_eq!(out.status.code(), Some(2));
    let doc = json_of(&out);
    assert_eq!(doc["verdict"], json!("incomplete"), "{doc:#}");
    assert_eq!(doc["identical"], json!(false), "{doc:#}");
    let incomplete = doc["incomplete"].as_array().expect("incomplete");
    assert_eq!(incomplete.len(), 1, "{doc:#}");
    assert_eq!(incomplete[0]["side"], json!("both"), "{doc:#}");
    assert_eq!(incomplete[0]["what"], json!("linux/amd64"), "{doc:#}");
    assert!(
        incomplete[0]["why"].as_str().expect("why").contains(why),
        "{doc:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_that_404_on_both_sides_are_not_identical() {
    let srv = two_indexes(false, Faults::default()).await;
    assert_incomplete(&srv, &[], "is not in the registry (MANIFEST_UNKNOWN)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_that_time_out_are_not_identical() {
    // Every manifest fetched by digest (the children) answers after 3 s; --timeout is 1 s.
    let srv = two_indexes(
        true,
        Faults {
            latency: Some(std::time::Duration::from_secs(3)),
            scope: Scope {
                kinds: vec![RequestKind::Manifest],
                path_contains: Some("/manifests/sha256:".into()),
            },
            ..Faults::default()
        },
    )
    .await;
    assert_incomplete(&srv, &["--timeout", "1"], "could not be fetched").await;
}

/// A promotion check fails on a tag it could not compare: `incomplete`, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_check_fails_on_a_tag_it_could_not_compare() {
    let srv = two_indexes(false, Faults::default()).await;
    let dir = tempfile::tempdir().expect("dir");
    let map = dir.path().join("promotion.map");
    std::fs::write(
        &map,
        format!("{h}/team/left {h}/team/right\n", h = srv.host()),
    )
    .expect("map");
    let map = map.display().to_string();
    let out = regscope_async(&["diff", "--map", &map]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("v1   incomplete"), "{text}");
    assert!(
        text.contains("linux/amd64 could not be compared (both sides)"),
        "{text}"
    );
    assert!(
        text.contains("INCOMPLETE: no tag differs as far as could be read, 1 of 1 tags could not be fully compared"),
        "{text}"
    );
    assert!(!text.contains("ok: all"), "{text}");
    let out = regscope_async(&["diff", "--map", &map, "--json"]).await;
    assert_eq!(out.status.code(), Some(2));
    let doc = json_of(&out);
    assert_eq!(doc["verdict"], json!("incomplete"), "{doc:#}");
    assert_eq!(doc["drift"], json!(true), "{doc:#}");
    assert_eq!(
        doc["lines"][0]["tags"][0]["result"],
        json!("incomplete"),
        "{doc:#}"
    );
}

/// The TUI's `=` on the same pair: the compare view says what could not be compared, and the
/// status line gives the outcome instead of the `x` prompt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_compare_view_and_status_line_say_incomplete() {
    use support::sandbox::Sandbox;
    use support::tmux::Tmux;

    let srv = two_indexes(false, Faults::default()).await;
    let sandbox = Sandbox::new();
    let start = format!("{}/team/left", srv.host());
    let tmux = Tmux::start_command(&sandbox.argv(&regscope_bin(), &["tui", &start]), (120, 32));
    tmux.wait_for("tags of team/left");
    tmux.wait_for("v1");
    tmux.keys(&["x"]);
    tmux.wait_for("press = to compare");
    tmux.keys(&[":"]);
    for ch in format!("{}/team/right", srv.host()).chars() {
        tmux.keys(&[&ch.to_string()]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/right");
    tmux.keys(&["="]);
    let screen = tmux.wait_for("not compared: linux/amd64 on both sides:");
    // Each side's reason on a line of its own, whole (it is not cut at the view's edge).
    assert!(
        screen.contains("    left: its manifest sha256:") && screen.contains("(MANIFEST_UNKNOWN)"),
        "{screen}"
    );
    assert!(
        screen.contains("    right: its manifest sha256:"),
        "{screen}"
    );
    assert!(
        screen.contains("INCOMPLETE: not known to be identical"),
        "{screen}"
    );
    assert!(!screen.contains("identical: same platforms"), "{screen}");
    // The status line, above the footer: the verdict, not the prompt of `x`.
    let lines: Vec<&str> = screen.trim_end().lines().collect();
    let status = lines[lines.len() - 2].to_string();
    assert!(
        status.contains("INCOMPLETE"),
        "status line {status:?} in\n{screen}"
    );
    assert!(!screen.contains("press = to compare"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

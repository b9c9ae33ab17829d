//! Attachments from all four places, against a real docker-registry behind htpasswd and TLS
//! (no referrers API): BuildKit attestations in the index, a cosign `.sig` tag, an SBOM
//! artifact listed in a `sha256-<hex>` index, and a `.sig` tag whose image was deleted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::{Command, Output};

use serde_json::{json, Value};
use support::attach::{
    fixture_entries, push_artifact, push_cosign_signature, push_schema_index, spdx, SPDX_JSON,
};
use support::{fixture, layout_root_digest, regscope_bin, TestRegistry, OCI_MANIFEST};

const USER: &str = "dora";
const PASSWORD: &str = "attachments-pw";

fn regscope(reg: &TestRegistry, args: &[&str]) -> Output {
    let ca = reg.ca_cert().expect("ca").display().to_string();
    let home = tempfile::tempdir().expect("home");
    support::isolated_command(&regscope_bin(), home.path())
        .args(args)
        .args(["--ca-file", &ca, "--username", USER, "--no-cache"])
        .env("REGSCOPE_PASSWORD", PASSWORD)
        .output()
        .expect("run regscope")
}

/// The amd64 entry of the fixture index: `(digest, mediaType, size)`.
fn amd64_entry() -> (String, String, usize) {
    let (d, m, s, _) = fixture_entries()
        .into_iter()
        .find(|e| e.3 == "amd64")
        .expect("amd64");
    (d, m, s)
}

/// A small image manifest of its own, tagged `tag`; returns its digest.
fn push_small_image(reg: &TestRegistry, repo: &str, tag: &str) -> String {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["TAG={tag}"]}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
    );
    let config_digest = reg.put_blob(repo, config.as_bytes());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": []
    });
    reg.put_manifest(
        repo,
        tag,
        OCI_MANIFEST,
        &serde_json::to_vec(&manifest).expect("json"),
    )
}

fn seeded() -> (TestRegistry, String, String, String) {
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let root = layout_root_digest(&fixture("unsigned-index"));
    let (amd, amd_mt, amd_size) = amd64_entry();
    push_cosign_signature(&reg, "team/app", &root, &json!({}));
    let (sbom, sbom_size) = push_artifact(
        &reg,
        "team/app",
        (&amd, &amd_mt, amd_size),
        SPDX_JSON,
        SPDX_JSON,
        &spdx(3, "syft-1.0"),
    );
    push_schema_index(
        &reg,
        "team/app",
        &amd,
        &[(sbom.clone(), sbom_size, SPDX_JSON.into())],
    );
    // A release that was deleted left its signature tag behind.
    let gone = push_small_image(&reg, "team/app", "old");
    push_cosign_signature(&reg, "team/app", &gone, &json!({}));
    reg.delete_manifest("team/app", &gone);
    (reg, amd, sbom, gone)
}

fn find<'a>(list: &'a [Value], source: &str, label: &str) -> &'a Value {
    list.iter()
        .find(|a| a["sources"] == json!([source]) && a["subjectLabel"] == label)
        .unwrap_or_else(|| panic!("no {source} attachment for {label} in {list:#?}"))
}

#[test]
fn inspect_finds_attachments_in_all_four_places_and_says_where_each_came_from() {
    let (reg, amd, sbom, gone) = seeded();
    let out = regscope(
        &reg,
        &["inspect", "--json", &format!("{}/team/app:v1", reg.host)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let list = doc["attachments"].as_array().expect("attachments").clone();

    // BuildKit's attestation manifests, one per platform, from the index itself.
    let buildkit = find(&list, "index", "linux/amd64");
    assert_eq!(buildkit["subject"], json!(amd));
    assert_eq!(buildkit["carries"], json!(["sbom", "provenance"]));
    assert_eq!(buildkit["verified"], json!(false));
    find(&list, "index", "linux/arm64");
    // cosign's `.sig` tag, about the index.
    let sig = find(&list, "cosign-tag", "index");
    assert_eq!(sig["carries"], json!(["signature"]));
    assert_eq!(sig["verifyWith"], json!("cosign verify"));
    let tag = sig["tags"][0].as_str().expect("tag");
    assert_eq!(tag.rsplit_once('.').map(|(_, s)| s), Some("sig"), "{tag}");
    // The SBOM artifact the `sha256-<hex>` index lists, about the amd64 manifest.
    let spdx = find(&list, "referrers-tag", "linux/amd64");
    assert_eq!(spdx["digest"], json!(sbom));
    assert_eq!(spdx["subject"], json!(amd));
    assert_eq!(spdx["carries"], json!(["sbom"]));
    assert_eq!(list.len(), 4, "{list:#?}");

    // The `.sig` tag of the deleted release is an orphan.
    let orphaned: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "attachment-orphaned")
        .collect();
    assert_eq!(orphaned.len(), 1, "{:#?}", doc["findings"]);
    assert_eq!(orphaned[0]["digest"], json!(gone));
    assert_eq!(orphaned[0]["severity"], json!("warning"));

    // The text tree says the same, and that nothing was verified.
    let out = regscope(&reg, &["inspect", &format!("{}/team/app:v1", reg.host)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("attachments (read, not verified)"), "{text}");
    // Each line names the attachment, then its subject: never the signature as the index.
    let root = layout_root_digest(&fixture("unsigned-index"));
    assert!(
        text.contains(&format!("for index ({}…) via a cosign tag", &root[..15])),
        "{text}"
    );
    assert!(text.contains("\n  signature sha256:"), "{text}");
    assert!(
        text.contains(&format!("for linux/amd64 ({}…)", &amd[..15])),
        "{text}"
    );
    assert!(text.contains("\n  SBOM sha256:"), "{text}");
    assert!(text.contains("check with `cosign verify`"), "{text}");
    assert!(text.contains("attachment-orphaned"), "{text}");

    // Without the lookup, only what the index holds.
    let out = regscope(
        &reg,
        &[
            "inspect",
            "--json",
            "--no-attachments",
            &format!("{}/team/app:v1", reg.host),
        ],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc.get("attachments").is_none());
}

/// A registry that refuses the tag list (403) and has no referrers API: the attachment tags
/// are probed instead, a bounded number of them, and the note says so; a `.sig` tag is still
/// found. The cosign signature carries a Fulcio-style certificate and a Rekor bundle: the
/// signer, the OIDC issuer and the log index are read, and nothing claims to be verified.
#[tokio::test]
async fn without_a_tag_list_the_tags_are_probed_within_a_bound_and_signatures_decoded() {
    use regscope::inspect::{inspect, InspectOptions};
    use regscope::reference::ImageRef;
    use regscope::registry::{Fetcher, HttpOptions, Limits};
    use regscope::serve::{self, Faults, RequestKind, Scope};

    let dir = tempfile::tempdir().expect("dir");
    let cert = fulcio_like_certificate(dir.path());
    let mut store = serve::Store::from_layout(&fixture("unsigned-index")).expect("store");
    let root = layout_root_digest(&fixture("unsigned-index"));
    let payload = support::attach::simple_signing("registry.internal:5000/team/app", &root);
    let layer = store.add_blob(payload.clone());
    let config = store.add_blob(&b"{}"[..]);
    let bundle =
        json!({"SignedEntryTimestamp": "x", "Payload": {"logIndex": 4242, "integratedTime": 1}});
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": support::attach::COSIGN_SIMPLE_SIGNING, "digest": layer, "size": payload.len(),
            "annotations": {
                "dev.cosignproject.cosign/signature": "MEUC",
                "dev.sigstore.cosign/certificate": cert,
                "dev.sigstore.cosign/bundle": bundle.to_string(),
            }}]
    });
    let sig = store.add_manifest(serde_json::to_vec(&manifest).expect("json"), OCI_MANIFEST);
    store.tag(
        format!("{}.sig", support::attach::schema_tag(&root)),
        sig.clone(),
    );
    let faults = Faults {
        no_referrers_api: true,
        status: Some(403),
        scope: Scope::kinds([RequestKind::Tags]),
        ..Faults::default()
    };
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        [("team/app".to_string(), store)],
        faults,
    )
    .await
    .expect("server");
    let image = ImageRef::parse(&format!("{}/team/app:test", srv.host())).expect("reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions { attachments: true })
        .await
        .expect("inspected");

    // Five manifests, four tags each: all probed (the bound is 32), and the note says why.
    let probes = srv
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Manifest && r.target.contains("/manifests/sha256-"))
        .count();
    assert_eq!(probes, 20);
    assert!(probes <= regscope::attachments::discover::MAX_TAG_PROBES);
    assert!(
        insp.attachment_notes
            .iter()
            .any(|n| n.contains("the tag list could not be read") && n.contains("20 of 20")),
        "{:?}",
        insp.attachment_notes
    );
    let list = regscope::attachments::collect(&insp.root);
    assert_eq!(
        list.iter()
            .filter(|a| a.sources == [regscope::attachments::Source::CosignTag])
            .count(),
        1,
        "{list:#?}"
    );
    let sig_digest = sig;
    let sig = list
        .iter()
        .find(|a| a.digest == sig_digest)
        .expect("the signature, found by probing");
    assert_eq!(sig.subject_label, "index");
    assert_eq!(sig.verify_with(), Some("cosign verify"));
    let detail = sig.details.join("; ");
    assert!(detail.contains("signer dev@example.com"), "{detail}");
    assert!(
        detail.contains("issuer https://token.actions.githubusercontent.com"),
        "{detail}"
    );
    assert!(detail.contains("Rekor log index 4242"), "{detail}");
    // Read-only: GET and HEAD only.
    assert!(srv
        .requests()
        .iter()
        .all(|r| r.method == "GET" || r.method == "HEAD"));
}

/// A self-signed certificate shaped like Fulcio's: the identity in an e-mail SAN, the OIDC
/// issuer in extension 1.3.6.1.4.1.57264.1.8 (a DER `UTF8String`). PEM text.
fn fulcio_like_certificate(dir: &std::path::Path) -> String {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-keyout",
            &key.display().to_string(),
            "-out",
            &cert.display().to_string(),
        ])
        .args(["-days", "1", "-subj", "/O=sigstore.dev"])
        .args(["-addext", "subjectAltName=email:dev@example.com"])
        .args([
            "-addext",
            "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://token.actions.githubusercontent.com",
        ])
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(cert).expect("cert")
}

/// The issue's budget: looking in all four places costs one round trip more than the tree at
/// most, and none when nothing is attached. Every request waits the same 200 ms, so the
/// fetcher's "longest chain" is exact. The lookup starts as soon as the root is read, beside
/// the tree's own fetches; the tag list goes with the root.
#[tokio::test]
async fn the_lookup_costs_one_round_trip_more_at_most() {
    use regscope::inspect::{inspect, InspectOptions};
    use regscope::reference::ImageRef;
    use regscope::registry::{Fetcher, HttpOptions, Limits};
    use regscope::serve::{self, Faults};

    let layout = fixture("unsigned-index");
    let root = layout_root_digest(&layout);
    let (amd, amd_mt, amd_size) = amd64_entry();
    let plain = serve::Store::from_layout(&layout).expect("store");
    let mut signed = serve::Store::from_layout(&layout).expect("store");
    // A cosign signature of the index, by tag; an SBOM of the amd64 image, by the API.
    let payload = support::attach::simple_signing("registry.internal:5000/team/app", &root);
    let layer = signed.add_blob(payload.clone());
    let config = signed.add_blob(&b"{}"[..]);
    let sig = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": support::attach::COSIGN_SIMPLE_SIGNING, "digest": layer, "size": payload.len(),
            "annotations": {"dev.cosignproject.cosign/signature": "MEUC"}}]
    });
    let sig = signed.add_manifest(serde_json::to_vec(&sig).expect("json"), OCI_MANIFEST);
    signed.tag(format!("{}.sig", support::attach::schema_tag(&root)), sig);
    let sbom_bytes = spdx(3, "syft-1.0");
    let sbom_layer = signed.add_blob(sbom_bytes.clone());
    let empty = signed.add_blob(&b"{}"[..]);
    let sbom = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SPDX_JSON,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": SPDX_JSON, "digest": sbom_layer, "size": sbom_bytes.len()}],
        "subject": {"mediaType": amd_mt, "digest": amd, "size": amd_size}
    });
    signed.add_manifest(serde_json::to_vec(&sbom).expect("json"), OCI_MANIFEST);

    let faults = Faults {
        latency: Some(std::time::Duration::from_millis(200)),
        ..Faults::default()
    };
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        [
            ("team/plain".to_string(), plain),
            ("team/app".to_string(), signed),
        ],
        faults,
    )
    .await
    .expect("server");
    let chain = |repo: &'static str, attachments: bool| {
        let image = ImageRef::parse(&format!("{}/{repo}:test", srv.host())).expect("reference");
        async move {
            let fetcher = Fetcher::for_reference(&image, HttpOptions::default(), Limits::default())
                .expect("fetcher");
            let insp = inspect(&fetcher, &image, &InspectOptions { attachments })
                .await
                .expect("inspected");
            (insp.round_trips.chain, insp)
        }
    };

    let (tree, _) = chain("team/plain", false).await;
    let (looked, insp) = chain("team/plain", true).await;
    assert!(tree >= 3, "ping, root, manifests, configs: {tree}");
    assert_eq!(looked, tree, "nothing attached: the lookup rides along");
    let attached = regscope::attachments::collect(&insp.root);
    // The fixture's index carries two attestation manifests (one per platform), and nothing
    // else is attached: a count first, so an empty list cannot pass the check below.
    assert_eq!(attached.len(), 2, "{attached:?}");
    assert!(attached
        .iter()
        .all(|a| a.sources == [regscope::attachments::Source::Index]));

    let (tree, _) = chain("team/app", false).await;
    srv.reset_counts();
    let (looked, insp) = chain("team/app", true).await;
    assert!(
        looked <= tree + 1,
        "the tree alone: {tree} round trips; with attachments: {looked}"
    );
    let list = regscope::attachments::collect(&insp.root);
    let by = |source| {
        list.iter()
            .find(|a| a.sources == [source])
            .unwrap_or_else(|| panic!("no {source:?} attachment in {list:#?}"))
    };
    let sig = by(regscope::attachments::Source::CosignTag);
    assert_eq!(sig.subject_label, "index");
    let sbom = by(regscope::attachments::Source::ReferrersApi);
    assert_eq!(sbom.subject_label, "linux/amd64");
    assert!(
        sbom.details.join("; ").contains("3 packages"),
        "{:?}",
        sbom.details
    );
}

/// A hostile (or just huge) repository: an index of 200 manifests and 40 `sha256-<hex>.sig`
/// tags of manifests that do not exist. The lookup asks the referrers API for 128 subjects at
/// most and checks 32 orphans at most, and the notes say what was cut.
#[tokio::test]
async fn the_lookup_is_bounded_in_subjects_and_orphan_checks() {
    use regscope::attachments::discover::{MAX_ORPHAN_PROBES, MAX_SUBJECTS};
    use regscope::serve::{self, Faults, RequestKind};

    let mut store = serve::Store::new();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = store.add_blob(&config[..]);
    let entries: Vec<Value> = (0..200)
        .map(|i| {
            let manifest = json!({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
                "layers": [], "annotations": {"n": i.to_string()}
            });
            let bytes = serde_json::to_vec(&manifest).expect("json");
            let size = bytes.len();
            let digest = store.add_manifest(bytes, OCI_MANIFEST);
            json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                   "platform": {"os": "linux", "architecture": format!("arch{i}")}})
        })
        .collect();
    let index = json!({"schemaVersion": 2, "mediaType": support::OCI_INDEX, "manifests": entries});
    let root = store.add_manifest(
        serde_json::to_vec(&index).expect("json"),
        support::OCI_INDEX,
    );
    store.tag("big", root);
    let some_manifest = entries_digest(&index, 0);
    for i in 0..40 {
        store.tag(format!("sha256-{i:064x}.sig"), some_manifest.clone());
    }
    let (srv, insp) = served_inspection("team/big", "big", store, Faults::default()).await;

    let requests = srv.requests();
    let referrers = requests
        .iter()
        .filter(|r| r.kind == RequestKind::Referrers)
        .count();
    assert_eq!(referrers, MAX_SUBJECTS, "one per subject, up to the bound");
    let orphan_heads = requests
        .iter()
        .filter(|r| r.method == "HEAD" && r.target.contains("/manifests/sha256:"))
        .count();
    assert_eq!(orphan_heads, MAX_ORPHAN_PROBES);
    let notes = insp.attachment_notes.join("\n");
    assert!(
        notes.contains(&format!("first {MAX_SUBJECTS} of 201 manifests")),
        "{notes}"
    );
    assert!(
        notes.contains(&format!(
            "40 attachment tags name other manifests; the first {MAX_ORPHAN_PROBES}"
        )),
        "{notes}"
    );
    assert_eq!(insp.orphaned.len(), MAX_ORPHAN_PROBES);
}

/// The digest of entry `i` of an index document.
fn entries_digest(index: &Value, i: usize) -> String {
    index["manifests"][i]["digest"]
        .as_str()
        .expect("digest")
        .to_string()
}

/// A registry that pages its referrers answer (`Link`, as the spec allows): every page is
/// read, so five SBOMs of one image listed two per page are all shown.
#[tokio::test]
async fn a_paged_referrers_answer_is_read_to_the_end() {
    use regscope::serve::{self, Faults, RequestKind};

    let layout = fixture("unsigned-index");
    let root = layout_root_digest(&layout);
    let mut store = serve::Store::from_layout(&layout).expect("store");
    let empty = store.add_blob(&b"{}"[..]);
    for i in 0..5 {
        let sbom_bytes = spdx(i + 1, "syft-1.0");
        let layer = store.add_blob(sbom_bytes.clone());
        let sbom = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SPDX_JSON,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [{"mediaType": SPDX_JSON, "digest": layer, "size": sbom_bytes.len()}],
            "subject": {"mediaType": support::OCI_INDEX, "digest": root, "size": 1}
        });
        store.add_manifest(serde_json::to_vec(&sbom).expect("json"), OCI_MANIFEST);
    }
    let faults = Faults {
        page_size: Some(2),
        ..Faults::default()
    };
    let (srv, insp) = served_inspection("team/app", "test", store, faults).await;
    let sboms = regscope::attachments::collect(&insp.root)
        .into_iter()
        .filter(|a| a.sources == [regscope::attachments::Source::ReferrersApi])
        .count();
    assert_eq!(sboms, 5);
    let pages = srv
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Referrers && r.target.contains(&root))
        .count();
    assert_eq!(pages, 3, "two per page");
}

/// Serves `store` as `repo` from the in-process server with `faults`, and inspects `repo:tag`
/// there with the attachment lookup.
async fn served_inspection(
    repo: &str,
    tag: &str,
    store: regscope::serve::Store,
    faults: regscope::serve::Faults,
) -> (regscope::serve::ServerHandle, regscope::inspect::Inspection) {
    use regscope::inspect::{inspect, InspectOptions};
    use regscope::reference::ImageRef;
    use regscope::registry::{Fetcher, HttpOptions, Limits};

    let srv = regscope::serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        [(repo.to_string(), store)],
        faults,
    )
    .await
    .expect("server");
    let image = ImageRef::parse(&format!("{}/{repo}:{tag}", srv.host())).expect("reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let insp = Box::pin(inspect(
        &fetcher,
        &image,
        &InspectOptions { attachments: true },
    ))
    .await
    .expect("inspected");
    (srv, insp)
}

/// `regscope verify --key` against docker-registry behind htpasswd and TLS: the image's own
/// signature verifies with each kind of key cosign signs with; a tampered payload, a signature
/// copied from another image and the wrong key each fail with their own reason; `inspect` and
/// `check` flag the copied signature without any key.
#[test]
fn verify_checks_each_signature_with_the_key_and_says_why_one_fails() {
    use support::attach::{simple_signing, KeyKind, SigningKey};
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let keys = tempfile::tempdir().expect("keys");
    let key = |name, kind| SigningKey::generate(keys.path(), name, kind);
    let (p256, p384, ed, rsa, wrong) = (
        key("p256", KeyKind::P256),
        key("p384", KeyKind::P384),
        key("ed25519", KeyKind::Ed25519),
        key("rsa", KeyKind::Rsa),
        key("wrong", KeyKind::P256),
    );
    let root = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/good", &root);
    signatures_of_each_kind_verify_and_the_wrong_key_fails(
        &reg,
        &payload,
        [&p256, &p384, &ed, &rsa],
        &wrong,
    );
    a_tampered_or_copied_signature_fails_with_its_reason(&reg, &payload, &p256);
    a_policy_in_the_config_file_verifies_without_flags(&reg, keys.path());
    attestations_verify_with_the_key_and_show_their_predicate(&reg, &payload, &p256);
    sigstore_bundles_verify_with_the_key(&reg, &p256);
    message_signature_bundles_verify_with_the_key(&reg, &p256);
}

/// Bytes of a manifest other than the fixture's: what another image's signature signed.
const OTHER_MANIFEST: &[u8] =
    br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;

/// A Sigstore bundle's message signature (cosign v3, sigstore clients): the signature over
/// the subject manifest's bytes with the key, its `messageDigest` the subject's. Another
/// image's (its digest names it) and a signature of other bytes fail with their reasons; the
/// JSON says each.
fn message_signature_bundles_verify_with_the_key(
    reg: &TestRegistry,
    p256: &support::attach::SigningKey,
) {
    use sha2::Digest as _;
    use support::sigstore::message_bundle;
    let artifact = support::attach::fixture_index_bytes();
    let digest = sha2::Sha256::digest(&artifact).to_vec();
    let other = sha2::Sha256::digest(OTHER_MANIFEST).to_vec();
    let cases = [
        (
            "good",
            message_bundle(None, &digest, &p256.sign(&artifact), &[]),
        ),
        (
            "other",
            message_bundle(None, &other, &p256.sign(OTHER_MANIFEST), &[]),
        ),
        (
            "tampered",
            message_bundle(None, &digest, &p256.sign(OTHER_MANIFEST), &[]),
        ),
    ];
    for (case, bundle) in &cases {
        push_bundles(
            reg,
            &format!("bundle/msg-{case}"),
            std::slice::from_ref(bundle),
        );
    }
    let key = p256.public.display().to_string();
    let verify = |case: &str, json: bool| {
        let image = format!("{}/bundle/msg-{case}:v1", reg.host);
        let mut args = vec!["verify", image.as_str(), "--key", &key];
        if json {
            args.push("--json");
        }
        let out = regscope(reg, &args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = verify("good", false);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  verified    signature sha256:")
            && text.contains("1 of 1 signatures verified"),
        "{text}"
    );
    let other_digest = format!("sha256:{}", hex::encode(&other));
    for (case, wanted) in [
        ("other", format!("signs {other_digest}, not this image")),
        (
            "tampered",
            "the signature does not verify with this key: the payload was changed after signing, or another key signed it".to_string(),
        ),
    ] {
        let (code, text) = verify(case, false);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:") && text.contains(&wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
    }
    let json = |case: &str| {
        let (code, text) = verify(case, true);
        let v: Value = serde_json::from_str(&text).expect("json");
        let s = &v["signatures"][0];
        (
            code,
            s["kind"].as_str().unwrap_or_default().to_string(),
            s["result"].as_str().unwrap_or_default().to_string(),
            s["reason"].as_str().unwrap_or("-").to_string(),
        )
    };
    assert_eq!(
        json("good"),
        (Some(0), "signature".into(), "verified".into(), "-".into())
    );
    assert_eq!(
        json("other"),
        (
            Some(1),
            "signature".into(),
            "failed".into(),
            "other-image".into()
        )
    );
}

/// cosign v3's Sigstore bundles (OCI 1.1 referrers, listed in the `sha256-<hex>` tag): the
/// bundle's DSSE envelope checked with the key; a statement of predicate type
/// `https://sigstore.dev/cosign/sign/v1` is a signature of the image, any other an attestation;
/// a tampered bundle and one about another image fail with their reasons.
fn sigstore_bundles_verify_with_the_key(reg: &TestRegistry, p256: &support::attach::SigningKey) {
    use support::attach::statement;
    const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let root = support::layout_root(&fixture("unsigned-index"));
    let digest = root["digest"].as_str().expect("digest");
    let subject = (
        digest,
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let bundle = |envelope: Vec<u8>| {
        let envelope: Value = serde_json::from_slice(&envelope).expect("envelope");
        serde_json::to_vec(&json!({
            "mediaType": BUNDLE,
            "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
            "dsseEnvelope": envelope,
        }))
        .expect("json")
    };
    let sign = "https://sigstore.dev/cosign/sign/v1";
    let slsa = "https://slsa.dev/provenance/v1";
    let other = format!("sha256:{}", "e".repeat(64));
    let cases: [(&str, Vec<Vec<u8>>); 3] = [
        (
            "good",
            vec![
                bundle(p256.envelope(&statement(digest, sign), &statement(digest, sign))),
                bundle(p256.envelope(&statement(digest, slsa), &statement(digest, slsa))),
            ],
        ),
        (
            "tampered",
            vec![bundle(p256.envelope(
                &statement(digest, sign),
                &statement(&other, sign),
            ))],
        ),
        (
            "other",
            vec![bundle(p256.envelope(
                &statement(&other, sign),
                &statement(&other, sign),
            ))],
        ),
    ];
    for (case, bundles) in &cases {
        let repo = format!("bundle/{case}");
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let listed: Vec<(String, usize, String)> = bundles
            .iter()
            .map(|b| {
                let (d, s) = push_artifact(reg, &repo, subject, BUNDLE, BUNDLE, b);
                (d, s, BUNDLE.to_string())
            })
            .collect();
        push_schema_index(reg, &repo, digest, &listed);
    }
    let key = p256.public.display().to_string();
    let verify = |case: &str| {
        let out = regscope(
            reg,
            &[
                "verify",
                &format!("{}/bundle/{case}:v1", reg.host),
                "--key",
                &key,
            ],
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = verify("good");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  verified    signature sha256:")
            && text.contains(&format!("  verified    attestation ({slsa}) sha256:"))
            && text.contains("via the referrers tag sha256-"),
        "{text}"
    );
    assert!(
        text.contains("ok: signed with ")
            && text.contains("1 of 1 signatures verified; 1 of 1 attestations verified"),
        "{text}"
    );
    let (code, text) = verify("tampered");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("  failed      signature sha256:")
            && text.contains("the payload was changed after signing, or another key signed it"),
        "{text}"
    );
    let (code, text) = verify("other");
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(": signs {other}, not this image")),
        "{text}"
    );
}

/// cosign `.att` attestations (DSSE envelopes): the envelope's signature checked with the key
/// and its statement's subject against the image, the predicate type shown; a tampered
/// statement and one about another image fail with their reasons; attestations alone never
/// make the image signed.
fn attestations_verify_with_the_key_and_show_their_predicate(
    reg: &TestRegistry,
    payload: &[u8],
    p256: &support::attach::SigningKey,
) {
    use support::attach::{push_cosign_attestations, push_cosign_layers, statement};
    let root = layout_root_digest(&fixture("unsigned-index"));
    let slsa = "https://slsa.dev/provenance/v0.2";
    let mine = statement(&root, slsa);
    let other = format!("sha256:{}", "c".repeat(64));
    let theirs = statement(&other, "https://spdx.dev/Document");
    reg.seed_fixture("unsigned-index", "team/attested:v1");
    push_cosign_attestations(
        reg,
        "team/attested",
        &root,
        &[
            p256.envelope(&mine, &mine),
            p256.envelope(&mine, &statement(&root, "https://evil.example")),
            p256.envelope(&theirs, &theirs),
        ],
    );
    let image = format!("{}/team/attested:v1", reg.host);
    let key = p256.public.display().to_string();
    // Attestations only: not signed.
    let out = regscope(reg, &["verify", &image, "--key", &key]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("verified    attestation ({slsa}) sha256:")),
        "{text}"
    );
    assert!(
        text.contains("failed      attestation sha256:")
            && text.contains("the payload was changed after signing, or another key signed it"),
        "{text}"
    );
    assert!(
        text.contains("failed      attestation (https://spdx.dev/Document) sha256:")
            && text.contains(&format!("signs {other}, not this image")),
        "{text}"
    );
    assert!(
        text.contains("FAIL: no signature found (looked in")
            && text.contains("; 1 of 3 attestations verified"),
        "{text}"
    );
    // With a signature too: signed, and the attestations' verdicts in the JSON.
    push_cosign_layers(reg, "team/attested", &root, &[p256.layer(payload)]);
    let out = regscope(reg, &["verify", &image, "--key", &key, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let kinds: Vec<(&str, &str, &str)> = json["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap_or_default(),
                s["predicateType"].as_str().unwrap_or("-"),
                s["result"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(kinds.contains(&("signature", "-", "verified")), "{json:#}");
    assert!(
        kinds.contains(&("attestation", slsa, "verified")),
        "{json:#}"
    );
    assert!(kinds.contains(&("attestation", "-", "failed")), "{json:#}");
}

/// `[verify."HOST/team/*"] key = "p256.pub"` (relative to the config file): `config check`
/// reads the key, `verify` needs no `--key`, `check --require-signed` fails unsigned images.
fn a_policy_in_the_config_file_verifies_without_flags(reg: &TestRegistry, keys: &std::path::Path) {
    let config = keys.join("config.toml");
    let run = |args: &[&str]| {
        let ca = reg.ca_cert().expect("ca").display().to_string();
        let home = tempfile::tempdir().expect("home");
        let out = support::isolated_command(&regscope_bin(), home.path())
            .args(args)
            .args(["--ca-file", &ca, "--username", USER, "--no-cache"])
            .env("REGSCOPE_PASSWORD", PASSWORD)
            .env("REGSCOPE_CONFIG", &config)
            .output()
            .expect("run regscope");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let good = format!("{}/team/good:v1", reg.host);
    let tampered = format!("{}/team/tampered:v1", reg.host);

    // No policy yet: the error says how to add one.
    std::fs::write(&config, "").expect("config");
    let (code, text) = run(&["verify", &good]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "[verify.\"{}/team/good\"] key = \"cosign.pub\"",
            reg.host
        )),
        "{text}"
    );

    std::fs::write(
        &config,
        format!("[verify.\"{}/team/*\"]\nkey = \"p256.pub\"\n", reg.host),
    )
    .expect("config");
    let out = support::isolated_command(&regscope_bin(), keys)
        .args(["config", "check"])
        .env("REGSCOPE_CONFIG", &config)
        .output()
        .expect("run regscope");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 signature policy"), "{text}");

    let (code, text) = run(&["verify", &good]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["check", &good, "--require-signed"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("signed: a signature of this image verifies with"),
        "{text}"
    );
    // Every view verifies: `inspect` warns (exit 0), `check --require-signed` fails.
    let (code, text) = run(&["inspect", &tampered]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("warning  signature-unverified"), "{text}");
    // The attachments list says the policy's verdict on each signature, as the TUI's rows do,
    // not that it was read and not verified.
    assert!(
        text.contains("attachments (signatures judged by the signature policy)")
            && text.contains("; S✗ the signature does not verify with this key")
            && !text.contains("not verified: check with `cosign verify`"),
        "{text}"
    );
    let (code, text) = run(&["check", &tampered, "--require-signed"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("FAIL: --require-signed: no signature of this image verifies"),
        "{text}"
    );
    assert!(
        text.contains("signature failed: signature sha256:"),
        "{text}"
    );

    // A policy naming the private key: `config check` says which policy, and why.
    std::fs::write(
        &config,
        format!("[verify.\"{}/team/*\"]\nkey = \"p256.key\"\n", reg.host),
    )
    .expect("config");
    let out = support::isolated_command(&regscope_bin(), keys)
        .args(["config", "check"])
        .env("REGSCOPE_CONFIG", &config)
        .output()
        .expect("run regscope");
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains(&format!("[verify.\"{}/team/*\"] key: ", reg.host))
            && text.contains("never the private key"),
        "{text}"
    );
}

fn signatures_of_each_kind_verify_and_the_wrong_key_fails(
    reg: &TestRegistry,
    payload: &[u8],
    keys: [&support::attach::SigningKey; 4],
    wrong: &support::attach::SigningKey,
) {
    use support::attach::push_cosign_layers;
    let [p256, p384, ed, rsa] = keys;
    let root = layout_root_digest(&fixture("unsigned-index"));
    // team/good: one signature manifest, a layer per key (as cosign adds them).
    reg.seed_fixture("unsigned-index", "team/good:v1");
    push_cosign_layers(
        reg,
        "team/good",
        &root,
        &[
            p256.layer(payload),
            p384.layer(payload),
            ed.layer(payload),
            rsa.layer(payload),
        ],
    );
    let image = format!("{}/team/good:v1", reg.host);
    for k in [&p256, &p384, &ed, &rsa] {
        let out = regscope(
            reg,
            &["verify", &image, "--key", &k.public.display().to_string()],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text.matches("\n  verified ").count(), 1, "{text}");
        assert_eq!(text.matches("\n  failed ").count(), 3, "{text}");
        assert!(
            text.contains("signed as registry.internal:5000/team/good"),
            "{text}"
        );
        // Who signed: the key as it was named, and its fingerprint, on the verified line only.
        let named = format!("; signed by key {} (sha256:", k.public.display());
        assert_eq!(text.matches(&named).count(), 1, "{text}");
        assert!(text.contains("ok: signed with"), "{text}");
    }
    // The JSON names the key and the SHA-256 of its DER SubjectPublicKeyInfo, as openssl
    // prints it; a signature the key does not verify names no signer.
    let p256_pub = p256.public.display().to_string();
    let out = regscope(reg, &["verify", &image, "--key", &p256_pub, "--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    let der = support::attach::openssl(&["pkey", "-pubin", "-in", &p256_pub, "-outform", "DER"]);
    let signatures = json["signatures"].as_array().expect("signatures");
    let verified: Vec<&Value> = signatures
        .iter()
        .filter(|s| s["result"] == "verified")
        .collect();
    assert_eq!(verified.len(), 1, "{json:#}");
    assert_eq!(
        verified[0]["signer"],
        json!({"kind": "key", "key": p256_pub, "sha256": support::sha256_digest(&der)}),
        "{json:#}"
    );
    // No Rekor entry in these layers: verified all the same, with the note that cosign would
    // look one up online.
    assert_eq!(
        verified[0]["notes"],
        json!(["no transparency-log entry in the signature: cosign verify --key would look it up in Rekor or need --insecure-ignore-tlog"]),
        "{json:#}"
    );
    assert!(
        signatures
            .iter()
            .filter(|s| s["result"] == "failed")
            .all(|s| s["signer"].is_null()),
        "{json:#}"
    );

    // The wrong key: every signature fails, and says so.
    let wrong_pub = wrong.public.display().to_string();
    let out = regscope(reg, &["verify", &image, "--key", &wrong_pub, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["satisfied"], false);
    assert_eq!(json["keyAlgorithm"], "ECDSA P-256");
    let reasons: Vec<&str> = json["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| s["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(reasons, ["bad-signature"; 4], "{json:#}");
}

fn a_tampered_or_copied_signature_fails_with_its_reason(
    reg: &TestRegistry,
    payload: &[u8],
    p256: &support::attach::SigningKey,
) {
    use support::attach::{push_cosign_layers, simple_signing};
    let root = layout_root_digest(&fixture("unsigned-index"));
    // team/tampered: the payload changed after signing (another name slipped in).
    reg.seed_fixture("unsigned-index", "team/tampered:v1");
    let (_, signed) = p256.layer(payload);
    let changed = simple_signing("evil.example/team/good", &root);
    push_cosign_layers(reg, "team/tampered", &root, &[(changed, signed)]);
    let p256_pub = p256.public.display().to_string();
    let out = regscope(
        reg,
        &[
            "verify",
            &format!("{}/team/tampered:v1", reg.host),
            "--key",
            &p256_pub,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("failed      signature sha256:")
            && text.contains("the payload was changed after signing, or another key signed it"),
        "{text}"
    );
    assert!(
        text.contains("FAIL: no signature of this image verifies"),
        "{text}"
    );

    // team/copied: a valid signature of another image, copied onto this one's `.sig` tag.
    reg.seed_fixture("unsigned-index", "team/copied:v1");
    let other = format!("sha256:{}", "b".repeat(64));
    let theirs = simple_signing("registry.internal:5000/team/other", &other);
    push_cosign_layers(reg, "team/copied", &root, &[p256.layer(&theirs)]);
    let copied = format!("{}/team/copied:v1", reg.host);
    let out = regscope(reg, &["verify", &copied, "--key", &p256_pub]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(": signs {other}, not this image")),
        "{text}"
    );
    // Without a key: a finding, and `check` fails on it.
    let out = regscope(reg, &["check", &copied]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("signature-other-image"), "{text}");
    assert!(
        text.contains(&format!("signs {other}, not this image (index ")),
        "{text}"
    );
    // The attachment line names the subject, not the signature, as what it is for.
    assert!(
        text.contains(&format!("for index ({}…) via a cosign tag", &root[..15])),
        "{text}"
    );

    // A private key given as `--key` is refused with the reason, before any request.
    let out = regscope(
        reg,
        &[
            "verify",
            &copied,
            "--key",
            &p256.private.display().to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("never the private key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `keyed/<case>:v1` images signed with a throw-away P-256 key, each logged in one way in the
/// throw-away Rekor of the `trusted_root.json` returned: `logged` (a signature and a `.att`),
/// `otherkey` (an entry naming another key), `badset`, `nolog`, `bundle` (a Sigstore bundle
/// whose `dsse` entry carries an inclusion proof) and `message` (a message-signature bundle and
/// its `hashedrekord` entry). The key, the root file and the log.
fn seed_keyed(
    reg: &TestRegistry,
    d: &std::path::Path,
) -> (
    support::attach::SigningKey,
    std::path::PathBuf,
    support::sigstore::Log,
) {
    use support::attach::{push_cosign_layers, push_cosign_layers_as, simple_signing, statement};
    use support::attach::{KeyKind, SigningKey};
    use support::sigstore::{attestation_layer, envelope_entry, key_signer, layer, now};
    use support::sigstore::{hashedrekord_entry, message_bundle, Log, Logged};
    use support::sigstore::{tlog_entry, trusted_root, without_certificate, Ca, EntryKind};
    let (p256, wrong) = (
        SigningKey::generate(d, "p256", KeyKind::P256),
        SigningKey::generate(d, "wrong", KeyKind::P256),
    );
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rekor = Log::new(d, "rekor");
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let digest = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/keyed/app", &digest);
    let t = now();
    let (me, liar) = (key_signer(&p256, &p256), key_signer(&p256, &wrong));
    let keyed = |signer, logged| without_certificate(layer(signer, &payload, logged));
    let cases = [
        ("logged", keyed(&me, &Logged::At(&rekor, t))),
        ("otherkey", keyed(&liar, &Logged::At(&rekor, t))),
        ("badset", keyed(&me, &Logged::Tampered(&rekor, t, t + 60))),
        ("nolog", keyed(&me, &Logged::Not)),
    ];
    for (case, l) in cases {
        reg.seed_fixture("unsigned-index", &format!("keyed/{case}:v1"));
        push_cosign_layers(reg, &format!("keyed/{case}"), &digest, &[l]);
    }
    // A keyed `.att` beside the logged signature, its entry an `intoto` one naming the key.
    let slsa = "https://slsa.dev/provenance/v1";
    let envelope = p256.envelope(&statement(&digest, slsa), &statement(&digest, slsa));
    let entry = envelope_entry(&me, &envelope, EntryKind::Intoto);
    let att = attestation_layer(&me, &envelope, &entry, &Logged::At(&rekor, t));
    push_cosign_layers_as(
        reg,
        "keyed/logged",
        &digest,
        "att",
        &[without_certificate(att)],
    );
    // A keyed Sigstore bundle (cosign v3): a `dsse` entry with an inclusion proof.
    let sign = "https://sigstore.dev/cosign/sign/v1";
    let envelope = p256.envelope(&statement(&digest, sign), &statement(&digest, sign));
    let entry = envelope_entry(&me, &envelope, EntryKind::Dsse);
    let bundle = serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "p256"},
            "tlogEntries": [tlog_entry(&entry, &Logged::At(&rekor, t))]},
        "dsseEnvelope": serde_json::from_slice::<Value>(&envelope).expect("envelope"),
    }))
    .expect("json");
    push_bundles(reg, "keyed/bundle", &[bundle]);
    // A keyed message-signature bundle: a `hashedrekord` entry naming the key.
    let artifact = support::attach::fixture_index_bytes();
    let sha = <sha2::Sha256 as sha2::Digest>::digest(&artifact).to_vec();
    let signature = p256.sign(&artifact);
    let entry = hashedrekord_entry(&me.pem, &hex::encode(&sha), &signature);
    let logged = tlog_entry(&entry, &Logged::At(&rekor, t)).expect("an entry");
    push_bundles(
        reg,
        "keyed/message",
        &[message_bundle(None, &sha, &signature, &[logged])],
    );

    (p256, root_file, rekor)
}

/// A keyed signature's transparency-log entry, as `cosign verify --key` judges it (offline: the
/// entry travels in cosign's bundle annotation or a Sigstore bundle's `tlogEntries`): one whose
/// SET verifies with the trusted root's log key and that records this signature and this key
/// verifies, and the verdict says where and when it was logged; an entry naming another key, a
/// bad SET and a log the root does not know each fail with their reason; a signature without an
/// entry verifies with a note, and fails under `--require-tlog` or `require_tlog = true`.
#[test]
fn keyed_signatures_are_judged_by_their_log_entry_as_cosign_verify_key_does() {
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let (p256, root_file, rekor) = seed_keyed(&reg, d);
    let slsa = "https://slsa.dev/provenance/v1";
    let key = p256.public.display().to_string();
    let root_arg = root_file.display().to_string();
    let verify = |case: &str, flags: &[&str]| {
        let image = format!("{}/keyed/{case}:v1", reg.host);
        let mut args = vec!["verify", image.as_str(), "--key", &key];
        args.extend_from_slice(flags);
        let out = regscope(&reg, &args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let with_root = ["--trusted-root", root_arg.as_str()];
    let logged = "; logged in https://rekor.test at index 7 on ";

    // A valid entry: verified, where and when it was logged said for each layer.
    let (code, text) = verify("logged", &with_root);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("  verified    signature sha256:"), "{text}");
    assert!(
        text.contains(&format!("  verified    attestation ({slsa}) sha256:")),
        "{text}"
    );
    assert_eq!(text.matches(logged).count(), 2, "{text}");
    for case in ["bundle", "message"] {
        let (code, text) = verify(case, &with_root);
        assert_eq!(code, Some(0), "{case}: {text}");
        assert_eq!(text.matches(logged).count(), 1, "{case}: {text}");
    }
    // The JSON: the note, with the time the log integrated it.
    let (code, json) = verify("logged", &["--trusted-root", &root_arg, "--json"]);
    assert_eq!(code, Some(0), "{json}");
    let v: Value = serde_json::from_str(&json).expect("json");
    let note = v["signatures"][0]["notes"][0].as_str().unwrap_or_default();
    let when = regex::Regex::new(
        r"^logged in https://rekor\.test at index 7 on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$",
    )
    .expect("regex");
    assert!(when.is_match(note), "{json}");

    // Without --trusted-root the embedded public-good root is the one: it knows no test log.
    let (code, text) = verify("logged", &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "the Rekor entry was signed by log {}, whose key is not in Sigstore's public-good root",
            hex::encode(rekor.id())
        )),
        "{text}"
    );

    // Each bad entry fails the signature with its own reason.
    for (case, wanted, code_name) in [
        (
            "otherkey",
            "the Rekor entry does not record this signature: it names another key (sha256:",
            "log-entry-mismatch",
        ),
        (
            "badset",
            "bad Rekor SET: the signed entry timestamp does not verify with the key of https://rekor.test",
            "bad-set",
        ),
    ] {
        let (code, text) = verify(case, &with_root);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:") && text.contains(wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
        let (_, json) = verify(case, &["--trusted-root", &root_arg, "--json"]);
        let v: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["signatures"][0]["reason"], code_name, "{json}");
    }
    the_log_is_skipped_under_insecure_ignore_tlog(&verify, &root_arg);
    without_an_entry_a_keyed_signature_verifies_with_a_note(&verify);
    a_keyed_policy_can_require_the_log_entry(&reg, d, &p256, &root_file);
}

/// cosign's --insecure-ignore-tlog skips the log: the bad SET no longer matters, and says so;
/// beside a keyless identity the flag is the key's.
fn the_log_is_skipped_under_insecure_ignore_tlog(verify: Verify<'_>, root_arg: &str) {
    for flag in ["--insecure-ignore-tlog", "--private-infrastructure"] {
        let (code, text) = verify("badset", &["--trusted-root", root_arg, flag]);
        assert_eq!(code, Some(0), "{flag}: {text}");
        assert!(
            text.contains("; the transparency log was not checked (--insecure-ignore-tlog)"),
            "{flag}: {text}"
        );
    }
    // Beside a keyless identity the flag is the key's: the keyed signature still skips its log.
    let keyless = [
        "--certificate-identity",
        "ci@example.com",
        "--certificate-oidc-issuer",
        "https://token.actions.example",
    ];
    let mut mixed = vec!["--trusted-root", root_arg, "--insecure-ignore-tlog"];
    mixed.extend(keyless);
    let (code, text) = verify("badset", &mixed);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("; the transparency log was not checked (--insecure-ignore-tlog)"),
        "{text}"
    );
}

/// No entry: verified with the note; a failure under --require-tlog, which the JSON names
/// `no-log-entry`; --require-tlog and --insecure-ignore-tlog together are refused.
fn without_an_entry_a_keyed_signature_verifies_with_a_note(verify: Verify<'_>) {
    let note = "; no transparency-log entry in the signature: cosign verify --key would look it up in Rekor or need --insecure-ignore-tlog";
    let (code, text) = verify("nolog", &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  verified    signature sha256:") && text.contains(note),
        "{text}"
    );
    let (code, text) = verify("nolog", &["--require-tlog"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("  failed      signature sha256:")
            && text.contains(
                "no transparency-log entry in the signature, and the policy requires one"
            ),
        "{text}"
    );
    let (code, json) = verify("nolog", &["--require-tlog", "--json"]);
    assert_eq!(code, Some(1), "{json}");
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["signatures"][0]["reason"], "no-log-entry", "{json}");
    let (code, text) = verify("nolog", &["--require-tlog", "--insecure-ignore-tlog"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("cannot be used with"), "{text}");
}

/// `[verify."HOST/keyed/*"] key … trusted_root … require_tlog = true`: `config check` reads it,
/// `verify` and `check --require-signed` fail the image whose signature has no entry and pass
/// the logged one, `inspect` warns; `--insecure-ignore-tlog` overrides it; `require_tlog`
/// without a key is refused with its reason.
fn a_keyed_policy_can_require_the_log_entry(
    reg: &TestRegistry,
    d: &std::path::Path,
    p256: &support::attach::SigningKey,
    root_file: &std::path::Path,
) {
    let config = d.join("config.toml");
    let policy = |body: &str| {
        std::fs::write(
            &config,
            format!("[verify.\"{}/keyed/*\"]\n{body}", reg.host),
        )
        .expect("config");
    };
    let config_check = || {
        let out = support::isolated_command(&regscope_bin(), d)
            .args(["config", "check"])
            .env("REGSCOPE_CONFIG", &config)
            .output()
            .expect("run regscope");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    policy(&format!(
        "key = \"{}\"\ntrusted_root = \"{}\"\nrequire_tlog = true\n",
        p256.public.display(),
        root_file.display()
    ));
    let (code, text) = config_check();
    assert_eq!(code, Some(0), "{text}");
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| regscope_at(reg, home.path(), Some(&config), args);
    let (nolog, logged) = (
        format!("{}/keyed/nolog:v1", reg.host),
        format!("{}/keyed/logged:v1", reg.host),
    );
    let (code, text) = run(&["verify", &logged]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["verify", &nolog, "--json"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("\"reason\": \"no-log-entry\""), "{text}");
    let (code, text) = run(&["check", &nolog, "--require-signed"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("no transparency-log entry in the signature, and the policy requires one"),
        "{text}"
    );
    let (code, text) = run(&["inspect", &nolog]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("warning  signature-unverified"), "{text}");
    let (code, text) = run(&["verify", &nolog, "--insecure-ignore-tlog"]);
    assert_eq!(code, Some(0), "{text}");

    // Without the key, `require_tlog` means nothing: config check says so at the pattern.
    policy(
        "identity = \"ci@example.com\"\nissuer = \"https://issuer.example\"\nrequire_tlog = true\n",
    );
    let (code, text) = config_check();
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "[verify.\"{}/keyed/*\"] require_tlog: is for a key",
            reg.host
        )),
        "{text}"
    );
}

/// Keyless verification against docker-registry behind htpasswd and TLS, with a throw-away
/// Sigstore (a Fulcio-like CA, a Rekor-like log key, their `trusted_root.json`): a valid
/// signature verifies for the exact identity and a regexp of it; each way a keyless signature
/// fails says its own reason, with both values where two disagree.
/// A throw-away Sigstore in `d` (its `trusted_root.json` returned) and `keyless/<case>:v1`
/// images, each signed keylessly in one way: `good`, and one per failure.
fn seed_keyless(
    reg: &TestRegistry,
    d: &std::path::Path,
    issuer: &str,
) -> (
    std::path::PathBuf,
    support::sigstore::Ca,
    support::sigstore::Log,
) {
    use support::attach::{push_cosign_layers, simple_signing};
    use support::sigstore::{layer, now, trusted_root, Ca, Log, Logged};
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rogue = Ca::root(d, "rogue");
    let (rekor, other_log) = (Log::new(d, "rekor"), Log::new(d, "other-log"));
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let ci = fulcio.leaf(d, "ci", "email:ci@example.com", issuer);
    let dev = fulcio.leaf(d, "dev", "email:dev@example.com", issuer);
    let other_issuer = fulcio.leaf(
        d,
        "google",
        "email:ci@example.com",
        "https://accounts.example",
    );
    let untrusted = rogue.leaf(d, "rogue-leaf", "email:ci@example.com", issuer);
    let mail = fulcio.leaf_for(d, "mail", "email:ci@example.com", issuer, "emailProtection");

    let digest = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/keyless", &digest);
    let t = now();
    let cases: [(&str, (Vec<u8>, Value)); 9] = [
        ("good", layer(&ci, &payload, &Logged::At(&rekor, t))),
        (
            "untrusted",
            layer(&untrusted, &payload, &Logged::At(&rekor, t)),
        ),
        (
            "expired",
            layer(&ci, &payload, &Logged::At(&rekor, t + 3 * 86_400)),
        ),
        ("identity", layer(&dev, &payload, &Logged::At(&rekor, t))),
        (
            "issuer",
            layer(&other_issuer, &payload, &Logged::At(&rekor, t)),
        ),
        (
            "badset",
            layer(&ci, &payload, &Logged::Tampered(&rekor, t, t + 60)),
        ),
        ("nolog", layer(&ci, &payload, &Logged::Not)),
        ("otherlog", layer(&ci, &payload, &Logged::At(&other_log, t))),
        ("mail", layer(&mail, &payload, &Logged::At(&rekor, t))),
    ];
    for (repo, l) in cases {
        reg.seed_fixture("unsigned-index", &format!("keyless/{repo}:v1"));
        push_cosign_layers(reg, &format!("keyless/{repo}"), &digest, &[l]);
    }
    (root_file, fulcio, rekor)
}

#[test]
fn keyless_signatures_verify_against_the_trusted_root_and_each_failure_says_why() {
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let issuer = "https://token.actions.example";
    let (root_file, fulcio, rekor) = seed_keyless(&reg, d, issuer);
    let root_arg = root_file.display().to_string();
    let verify = |repo: &str, identity: &[&str]| {
        let image = format!("{}/keyless/{repo}:v1", reg.host);
        let mut args = vec!["verify", image.as_str(), "--trusted-root", &root_arg];
        args.extend_from_slice(identity);
        args.extend(["--certificate-oidc-issuer", issuer]);
        let out = regscope(&reg, &args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let exact = ["--certificate-identity", "ci@example.com"];

    let (code, text) = verify("good", &exact);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("  verified    signature sha256:"), "{text}");
    assert!(
        text.contains("ok: signed by ci@example.com (issuer https://token.actions.example), matching identity ci@example.com from https://token.actions.example (the trusted root "),
        "{text}"
    );
    let (code, text) = verify("good", &["--certificate-identity-regexp", "^ci@.*\\.com$"]);
    assert_eq!(code, Some(0), "{text}");
    a_keyless_verdict_names_who_signed_or_who_claims_to(&verify);

    // Each failure: exit 1, its own reason, both values where two disagree.
    let fails = |repo: &str, wanted: &[&str]| {
        let (code, text) = verify(repo, &exact);
        assert_eq!(code, Some(1), "{repo}: {text}");
        assert!(
            text.contains("  failed      signature sha256:"),
            "{repo}: {text}"
        );
        for w in wanted {
            assert!(text.contains(w), "{repo}: wanted {w:?} in {text}");
        }
    };
    fails(
        "untrusted",
        &["the certificate was issued by O=rogue, CN=rogue root, which is no Fulcio certificate authority of the trusted root "],
    );
    fails(
        "expired",
        &[
            "the certificate was not valid at signing time: logged at ",
            ", valid from ",
        ],
    );
    fails(
        "identity",
        &["identity dev@example.com, policy wants ci@example.com"],
    );
    fails(
        "issuer",
        &["issuer https://accounts.example, policy wants https://token.actions.example"],
    );
    fails(
        "badset",
        &["bad Rekor SET: the signed entry timestamp does not verify with the key of https://rekor.test"],
    );
    fails(
        "nolog",
        &["no transparency-log entry: the signature has no Rekor bundle"],
    );
    fails(
        "otherlog",
        &[
            "the Rekor entry was signed by log ",
            ", whose key is not in the trusted root ",
        ],
    );
    fails(
        "mail",
        &["the certificate is not for code signing (no `codeSigning` extended key usage"],
    );
    a_rotated_log_key_does_not_vouch_for_later_entries(&reg, d, &root_file, issuer);
    the_public_good_root_trusts_none_of_it(&reg, issuer);
    // The expired case names all three times.
    let (_, text) = verify("expired", &exact);
    let time = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ";
    let three = regex::Regex::new(&format!("logged at {time}, valid from {time} to {time}"))
        .expect("regex");
    assert!(three.is_match(&text), "{text}");

    keyless_policy_in_the_config_file(&reg, d, issuer);
    a_policy_of_several_kinds_is_satisfied_by_either(&reg, d, issuer, &root_file);
    keyless_bundles_verify_and_each_failure_says_why(&reg, d, (&fulcio, &rekor), &verify);
    keyless_message_bundles_verify_and_each_failure_says_why(&reg, d, (&fulcio, &rekor), &verify);
    keyless_attestations_verify_with_their_log_entry(&reg, d, (&fulcio, &rekor), &verify);
    timestamped_bundles_verify_and_each_failure_says_why(&reg, d, (&fulcio, &rekor), issuer);
}

/// Message-signature bundles with RFC 3161 timestamps of a throw-away TSA the trusted root lists
/// (`timestampAuthorities`): with their log entry's SET, a timestamp is one more signing time;
/// without it (the entry proven by its inclusion proof alone), the timestamp dates the
/// signature, and a timestamp of other bytes, of a TSA the root does not list, or dated outside
/// the TSA certificate's validity fails with its own reason (text and JSON `bad-timestamp`).
fn timestamped_bundles_verify_and_each_failure_says_why(
    reg: &TestRegistry,
    d: &std::path::Path,
    (fulcio, rekor): (&support::sigstore::Ca, &support::sigstore::Log),
    issuer: &str,
) {
    use sha2::Digest as _;
    use support::sigstore::{
        hashedrekord_entry, message_bundle, now, stamped, tlog_entry, Logged, Tsa,
    };
    let (tsa, rogue) = (Tsa::new(d, "test-tsa"), Tsa::new(d, "rogue-tsa"));
    // `seed_keyless`'s root, with the test TSA.
    let mut root: Value =
        serde_json::from_slice(&std::fs::read(d.join("trusted_root.json")).expect("root"))
            .expect("root");
    root["timestampAuthorities"] = json!([tsa.authority()]);
    let root_file = d.join("trusted_root_tsa.json");
    std::fs::write(&root_file, serde_json::to_vec(&root).expect("json")).expect("root");
    let ci = fulcio.leaf(d, "ts-ci", "email:ci@example.com", issuer);
    let artifact = support::attach::fixture_index_bytes();
    let digest = sha2::Sha256::digest(&artifact).to_vec();
    let sig = ci.key.sign(&artifact);
    let entry = hashedrekord_entry(&ci.pem, &hex::encode(&digest), &sig);
    let tlog: Vec<Value> = tlog_entry(&entry, &Logged::At(rekor, now()))
        .into_iter()
        .collect();
    let good = message_bundle(Some(&ci), &digest, &sig, &tlog);
    let signature = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sig)
        .expect("signature");
    let cases = [
        ("good", vec![tsa.stamp(&signature, false)], true),
        (
            "set-otherbytes",
            vec![tsa.stamp(b"other bytes", false)],
            false,
        ),
        ("otherbytes", vec![tsa.stamp(b"other bytes", false)], true),
        ("untrusted", vec![rogue.stamp(&signature, false)], true),
        ("expired", vec![tsa.stamp(&signature, true)], true),
        ("none", vec![], true),
    ];
    for (case, stamps, no_set) in &cases {
        push_bundles(
            reg,
            &format!("keyless/ts-{case}"),
            &[stamped(&good, stamps, *no_set)],
        );
    }
    let root_arg = root_file.display().to_string();
    let verify = |case: &str, json: bool| {
        let image = format!("{}/keyless/ts-{case}:v1", reg.host);
        let mut args = vec!["verify", image.as_str(), "--trusted-root", &root_arg];
        args.extend(["--certificate-identity", "ci@example.com"]);
        args.extend(["--certificate-oidc-issuer", issuer]);
        if json {
            args.push("--json");
        }
        let out = regscope(reg, &args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    // A timestamp alone dates an entry without a SET; with a SET, a timestamp of other bytes
    // is not counted (as sigstore-go), and the SET dates the signature.
    for case in ["good", "set-otherbytes"] {
        let (code, text) = verify(case, false);
        assert_eq!(code, Some(0), "{case}: {text}");
        assert!(
            text.contains("  verified    signature sha256:"),
            "{case}: {text}"
        );
    }
    for (case, wanted) in [
        ("otherbytes", "bad RFC 3161 timestamp: it timestamps other bytes: its message imprint is not the hash of this signature"),
        ("untrusted", "bad RFC 3161 timestamp: the timestamp authority O=rogue-tsa, CN=rogue-tsa is not in the trusted root "),
        ("expired", "bad RFC 3161 timestamp: it is dated 20"),
        ("none", "the bundle's log entry has no signed entry timestamp and the bundle no RFC 3161 timestamp, so nothing proves when it was signed"),
    ] {
        let (code, text) = verify(case, false);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:") && text.contains(wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
    }
    let (_, text) = verify("expired", false);
    assert!(
        text.contains("outside the validity of the certificate CN=test-tsa (from 2020-01-01T00:00:00Z to 2020-01-02T00:00:00Z)"),
        "{text}"
    );
    let (code, text) = verify("otherbytes", true);
    assert_eq!(code, Some(1), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["signatures"][0]["reason"], "bad-timestamp", "{json:#}");
}

/// `verify` of `keyless/<repo>:v1` with identity flags: the exit code and the output.
type Verify<'a> = &'a dyn Fn(&str, &[&str]) -> (Option<i32>, String);

/// Under a regexp policy the verdict names the certificate's identity and issuer, not the
/// pattern (text and JSON); a certificate read but not trusted is what the signature claims,
/// never "signed by". (And `--insecure-ignore-tlog` is refused for a keyless policy.)
fn a_keyless_verdict_names_who_signed_or_who_claims_to(verify: Verify<'_>) {
    // A keyless certificate is trusted only through its log entry: the log cannot be skipped.
    let (code, text) = verify(
        "good",
        &[
            "--certificate-identity",
            "ci@example.com",
            "--insecure-ignore-tlog",
        ],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--insecure-ignore-tlog is for keyed signatures"),
        "{text}"
    );
    let regexp = ["--certificate-identity-regexp", "^ci@.*\\.com$"];
    let (code, text) = verify("good", &regexp);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("; signed by ci@example.com (issuer https://token.actions.example)"),
        "{text}"
    );
    let (code, json) = verify("good", &[regexp[0], regexp[1], "--json"]);
    assert_eq!(code, Some(0), "{json}");
    let json: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        json["signatures"][0]["signer"],
        json!({"kind": "certificate", "identity": "ci@example.com",
               "issuer": "https://token.actions.example", "repository": null, "ref": null}),
        "{json:#}"
    );
    let exact = ["--certificate-identity", "ci@example.com"];
    for (repo, why) in [
        (
            "identity",
            "identity dev@example.com, policy wants ci@example.com",
        ),
        (
            "untrusted",
            "the certificate was issued by O=rogue, CN=rogue root",
        ),
    ] {
        let (code, text) = verify(repo, &exact);
        assert_eq!(code, Some(1), "{text}");
        let who = if repo == "identity" { "dev" } else { "ci" };
        assert!(
            text.contains(&format!(": claims to be signed by {who}@example.com (issuer https://token.actions.example) (not verified: {why}")),
            "{repo}: {text}"
        );
        assert!(!text.contains("; signed by"), "{repo}: {text}");
    }
}

/// Pushes each Sigstore bundle as a referrer of the `unsigned-index` fixture in `repo`, listed
/// in its `sha256-<hex>` referrers tag.
fn push_bundles(reg: &TestRegistry, repo: &str, bundles: &[Vec<u8>]) {
    const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let root = support::layout_root(&fixture("unsigned-index"));
    let digest = root["digest"].as_str().expect("digest");
    let subject = (
        digest,
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
    let listed: Vec<(String, usize, String)> = bundles
        .iter()
        .map(|b| {
            let (d, s) = push_artifact(reg, repo, subject, BUNDLE, BUNDLE, b);
            (d, s, BUNDLE.to_string())
        })
        .collect();
    push_schema_index(reg, repo, digest, &listed);
}

/// A DSSE envelope signed by `leaf` whose statement is about `about` with `predicate`; signed
/// over the statement about `signed` (the same, unless a test tampers with it).
fn keyless_envelope(
    leaf: &support::sigstore::Leaf,
    (about, signed): (&str, &str),
    predicate: &str,
) -> Vec<u8> {
    use support::attach::statement;
    leaf.key
        .envelope(&statement(about, predicate), &statement(signed, predicate))
}

/// cosign v3's keyless Sigstore bundles (referrers listed in the `sha256-<hex>` tag): the
/// bundle's certificate checked as a keyless signature's, its `tlogEntries[]` SET with the log
/// key of the trusted root, the entry's body (`dsse` 0.0.1, `intoto` 0.0.2) recording this
/// envelope, logged inside the certificate's validity. Each failure says its own reason; the
/// inclusion proof is said not to be checked.
fn keyless_bundles_verify_and_each_failure_says_why(
    reg: &TestRegistry,
    d: &std::path::Path,
    (fulcio, rekor): (&support::sigstore::Ca, &support::sigstore::Log),
    verify: Verify<'_>,
) {
    seed_keyless_bundles(reg, d, (fulcio, rekor));
    let slsa = "https://slsa.dev/provenance/v1";
    let exact = ["--certificate-identity", "ci@example.com"];
    let (code, text) = verify("bundle-good", &exact);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  verified    signature sha256:")
            && text.contains(&format!("  verified    attestation ({slsa}) sha256:"))
            && text.contains("1 of 1 signatures verified; 1 of 1 attestations verified"),
        "{text}"
    );
    for (case, wanted) in [
        ("badproof", "bad inclusion proof: the entry's hashes do not lead to the root hash of the tree of 6 entries"),
        ("badcheckpoint", "bad inclusion proof: its checkpoint is not signed by the key of https://rekor.test"),
        ("tampered", "the payload was changed after signing, or another key signed it"),
        ("another", "the Rekor entry does not record this signature: it records another payload"),
        ("badset", "bad Rekor SET: the signed entry timestamp does not verify with the key of https://rekor.test"),
        ("expired", "the certificate was not valid at signing time: logged at "),
        ("identity", "identity dev@example.com, policy wants ci@example.com"),
        ("nolog", "no transparency-log entry: the Sigstore bundle's `verificationMaterial.tlogEntries` is empty"),
    ] {
        let (code, text) = verify(&format!("bundle-{case}"), &exact);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:") && text.contains(wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
    }
}

/// Keyless message-signature bundles: the certificate under the policy, the signature over the
/// subject manifest's bytes, a `hashedrekord` entry recording this digest, signature and
/// certificate, its checkpoint from the trusted root's log. Each difference says which; a
/// `dsse` entry whose envelope hash is another envelope's fails too.
fn keyless_message_bundles_verify_and_each_failure_says_why(
    reg: &TestRegistry,
    d: &std::path::Path,
    (fulcio, rekor): (&support::sigstore::Ca, &support::sigstore::Log),
    verify: Verify<'_>,
) {
    let digest = seed_keyless_message_bundles(reg, d, (fulcio, rekor));
    let exact = ["--certificate-identity", "ci@example.com"];
    let (code, text) = verify("msg-good", &exact);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  verified    signature sha256:")
            && text.contains("1 of 1 signatures verified"),
        "{text}"
    );
    let other = {
        use sha2::Digest as _;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(OTHER_MANIFEST))
        )
    };
    let mismatch = "the Rekor entry does not record this signature: ";
    for (case, wanted) in [
        ("msg-other", format!("signs {other}, not this image")),
        ("msg-tampered", "the signature does not verify with this key".into()),
        ("msg-anothersig", format!("{mismatch}it records another signature")),
        ("msg-anothercert", format!("{mismatch}it records another certificate")),
        (
            "msg-anotherdigest",
            format!("{mismatch}it records the digest sha256:{}, not {digest}", "e".repeat(64)),
        ),
        ("msg-identity", "identity dev@example.com, policy wants ci@example.com".into()),
        (
            "msg-origin",
            "bad inclusion proof: its checkpoint is from the log rekor.other, not https://rekor.test".into(),
        ),
        (
            "bundle-envelopehash",
            format!("{mismatch}its envelope hash is that of another envelope"),
        ),
    ] {
        let (code, text) = verify(case, &exact);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:") && text.contains(&wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
    }
    let (code, text) = verify("msg-anothercert", &[&exact[..], &["--json"]].concat());
    assert_eq!(code, Some(1), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        json["signatures"][0]["reason"], "log-entry-mismatch",
        "{json:#}"
    );
    assert_eq!(
        json["signatures"][0]["message"],
        format!("{mismatch}it records another certificate"),
        "{json:#}"
    );
}

/// `keyless/msg-<case>:v1`, one image per case, its message-signature bundle signed by a leaf
/// of `fulcio` and logged in `rekor` (each case changes one thing), and
/// `keyless/bundle-envelopehash`. Returns the subject's digest.
fn seed_keyless_message_bundles(
    reg: &TestRegistry,
    d: &std::path::Path,
    (fulcio, rekor): (&support::sigstore::Ca, &support::sigstore::Log),
) -> String {
    use sha2::Digest as _;
    use support::sigstore::{hashedrekord_entry, message_bundle, now, tlog_entry, Logged};
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "msg-ci", "email:ci@example.com", issuer);
    let dev = fulcio.leaf(d, "msg-dev", "email:dev@example.com", issuer);
    let artifact = support::attach::fixture_index_bytes();
    let digest = sha2::Sha256::digest(&artifact).to_vec();
    let hex_digest = hex::encode(&digest);
    let other = sha2::Sha256::digest(OTHER_MANIFEST).to_vec();
    let at = Logged::At(rekor, now());
    let sig = ci.key.sign(&artifact);
    // ECDSA signs with a fresh nonce: another signature of the same bytes, as valid.
    let again = ci.key.sign(&artifact);
    let logged = |entry: &Value| tlog_entry(entry, &at).into_iter().collect::<Vec<_>>();
    let bundle = |leaf: &support::sigstore::Leaf, digest: &[u8], sig: &str, entry: &Value| {
        message_bundle(Some(leaf), digest, sig, &logged(entry))
    };
    let good_entry = hashedrekord_entry(&ci.pem, &hex_digest, &sig);
    let good = bundle(&ci, &digest, &sig, &good_entry);
    let other_sig = ci.key.sign(OTHER_MANIFEST);
    let dev_sig = dev.key.sign(&artifact);
    let cases: [(&str, Vec<u8>); 7] = [
        ("good", good.clone()),
        (
            "other",
            bundle(
                &ci,
                &other,
                &other_sig,
                &hashedrekord_entry(&ci.pem, &hex::encode(&other), &other_sig),
            ),
        ),
        (
            "tampered",
            bundle(
                &ci,
                &digest,
                &other_sig,
                &hashedrekord_entry(&ci.pem, &hex_digest, &other_sig),
            ),
        ),
        (
            "anothersig",
            bundle(
                &ci,
                &digest,
                &sig,
                &hashedrekord_entry(&ci.pem, &hex_digest, &again),
            ),
        ),
        (
            "anothercert",
            bundle(
                &ci,
                &digest,
                &sig,
                &hashedrekord_entry(&dev.pem, &hex_digest, &sig),
            ),
        ),
        (
            "anotherdigest",
            bundle(
                &ci,
                &digest,
                &sig,
                &hashedrekord_entry(&ci.pem, &"e".repeat(64), &sig),
            ),
        ),
        (
            "identity",
            bundle(
                &dev,
                &digest,
                &dev_sig,
                &hashedrekord_entry(&dev.pem, &hex_digest, &dev_sig),
            ),
        ),
    ];
    for (case, b) in &cases {
        push_bundles(reg, &format!("keyless/msg-{case}"), std::slice::from_ref(b));
    }
    seed_other_origin_and_envelope_hash(reg, (&ci, rekor), &good);
    format!("sha256:{hex_digest}")
}

/// `keyless/msg-origin`: the `good` message bundle with a checkpoint the log's own key signed,
/// naming another log; `keyless/bundle-envelopehash`: a dsse entry recording the envelope's
/// payload and signature but another envelope's hash.
fn seed_other_origin_and_envelope_hash(
    reg: &TestRegistry,
    (ci, rekor): (&support::sigstore::Leaf, &support::sigstore::Log),
    good: &[u8],
) {
    let at = support::sigstore::Logged::At(rekor, support::sigstore::now());
    let digest = &layout_root_digest(&fixture("unsigned-index"));
    // The good bundle with a checkpoint the log's own key signed, naming another log (as a
    // Rekor v2 log names itself: by its host).
    let mut origin: Value = serde_json::from_slice(good).expect("bundle");
    let entry = &mut origin["verificationMaterial"]["tlogEntries"][0];
    let body = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        entry["canonicalizedBody"].as_str().expect("body"),
    )
    .expect("base64");
    entry["inclusionProof"] = support::sigstore::inclusion_proof_from(rekor, &body, "rekor.other");
    push_bundles(
        reg,
        "keyless/msg-origin",
        &[serde_json::to_vec(&origin).expect("json")],
    );
    // A dsse entry recording this envelope's payload and signature, but another envelope's hash.
    let envelope = keyless_envelope(ci, (digest, digest), "https://sigstore.dev/cosign/sign/v1");
    let mut dsse =
        support::sigstore::envelope_entry(ci, &envelope, support::sigstore::EntryKind::Dsse);
    dsse["spec"]["envelopeHash"]["value"] = json!("0".repeat(64));
    let bundle = support::sigstore::dsse_bundle(ci, &envelope, &dsse, &at);
    push_bundles(reg, "keyless/bundle-envelopehash", &[bundle]);
}

/// `keyless/bundle-<case>:v1`: one image per case, its bundles signed by a leaf of `fulcio`.
fn seed_keyless_bundles(
    reg: &TestRegistry,
    d: &std::path::Path,
    (fulcio, rekor): (&support::sigstore::Ca, &support::sigstore::Log),
) {
    use support::sigstore::{dsse_bundle, envelope_entry, now, EntryKind, Logged};
    let digest = &layout_root_digest(&fixture("unsigned-index"));
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "bundle-ci", "email:ci@example.com", issuer);
    let dev = fulcio.leaf(d, "bundle-dev", "email:dev@example.com", issuer);
    let (sign, slsa) = (
        "https://sigstore.dev/cosign/sign/v1",
        "https://slsa.dev/provenance/v1",
    );
    let other = format!("sha256:{}", "e".repeat(64));
    let t = now();
    let bundle = |leaf: &support::sigstore::Leaf, envelope: &[u8], kind, logged: &Logged<'_>| {
        dsse_bundle(
            leaf,
            envelope,
            &envelope_entry(leaf, envelope, kind),
            logged,
        )
    };
    let good = keyless_envelope(&ci, (digest, digest), sign);
    let attestation = keyless_envelope(&ci, (digest, digest), slsa);
    let another = keyless_envelope(&ci, (&other, &other), sign);
    let cases: [(&str, Vec<Vec<u8>>); 7] = [
        (
            "good",
            vec![
                bundle(&ci, &good, EntryKind::Dsse, &Logged::At(rekor, t)),
                bundle(&ci, &attestation, EntryKind::Intoto, &Logged::At(rekor, t)),
            ],
        ),
        (
            "tampered",
            vec![bundle(
                &ci,
                &keyless_envelope(&ci, (digest, &other), sign),
                EntryKind::Dsse,
                &Logged::At(rekor, t),
            )],
        ),
        (
            "another",
            vec![dsse_bundle(
                &ci,
                &good,
                &envelope_entry(&ci, &another, EntryKind::Dsse),
                &Logged::At(rekor, t),
            )],
        ),
        (
            "badset",
            vec![bundle(
                &ci,
                &good,
                EntryKind::Dsse,
                &Logged::Tampered(rekor, t, t + 60),
            )],
        ),
        (
            "expired",
            vec![bundle(
                &ci,
                &good,
                EntryKind::Dsse,
                &Logged::At(rekor, t + 3 * 86_400),
            )],
        ),
        (
            "identity",
            vec![bundle(
                &dev,
                &keyless_envelope(&dev, (digest, digest), sign),
                EntryKind::Dsse,
                &Logged::At(rekor, t),
            )],
        ),
        (
            "nolog",
            vec![bundle(&ci, &good, EntryKind::Dsse, &Logged::Not)],
        ),
    ];
    for (case, bundles) in &cases {
        push_bundles(reg, &format!("keyless/bundle-{case}"), bundles);
    }
    seed_bad_proofs(reg, d, &cases[0].1[0]);
}

/// `keyless/bundle-badproof` and `bundle-badcheckpoint`: the `good` bundle with a changed
/// proof hash, and with a checkpoint signed by another key.
fn seed_bad_proofs(reg: &TestRegistry, d: &std::path::Path, good: &[u8]) {
    use base64::Engine as _;
    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
    let proof = |bundle: &[u8], edit: &dyn Fn(&mut Value)| {
        let mut b: Value = serde_json::from_slice(bundle).expect("bundle");
        edit(&mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]);
        serde_json::to_vec(&b).expect("json")
    };
    let badproof = proof(good, &|p| {
        p["hashes"][0] = json!(B64.encode([7u8; 32]));
    });
    let forged = support::sigstore::Log::new(d, "forged-log");
    let body = B64
        .decode(
            serde_json::from_slice::<Value>(good).expect("bundle")["verificationMaterial"]
                ["tlogEntries"][0]["canonicalizedBody"]
                .as_str()
                .expect("body"),
        )
        .expect("base64");
    let forged_proof = support::sigstore::inclusion_proof(&forged, &body);
    let badcheckpoint = proof(good, &|p| {
        p["checkpoint"] = forged_proof["checkpoint"].clone();
    });
    push_bundles(reg, "keyless/bundle-badproof", &[badproof]);
    push_bundles(reg, "keyless/bundle-badcheckpoint", &[badcheckpoint]);
}

/// cosign v2's keyless `.att` attestations: the DSSE layer's Fulcio certificate and Rekor bundle
/// annotations (an `intoto` 0.0.2 or `dsse` entry) verified as a keyless signature is, the
/// predicate type shown; an entry for another envelope and a wrong identity fail with their
/// reasons; attestations alone never make the image signed.
fn keyless_attestations_verify_with_their_log_entry(
    reg: &TestRegistry,
    d: &std::path::Path,
    (fulcio, rekor): (&support::sigstore::Ca, &support::sigstore::Log),
    verify: Verify<'_>,
) {
    use support::attach::push_cosign_layers_as;
    use support::sigstore::{attestation_layer, envelope_entry, now, EntryKind, Logged};
    let digest = layout_root_digest(&fixture("unsigned-index"));
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "att-ci", "email:ci@example.com", issuer);
    let dev = fulcio.leaf(d, "att-dev", "email:dev@example.com", issuer);
    let slsa = "https://slsa.dev/provenance/v1";
    let t = now();
    let good = keyless_envelope(&ci, (&digest, &digest), slsa);
    let other = format!("sha256:{}", "e".repeat(64));
    let another = keyless_envelope(&ci, (&other, &other), slsa);
    let layer = |leaf, envelope: &[u8], kind| {
        attestation_layer(
            leaf,
            envelope,
            &envelope_entry(leaf, envelope, kind),
            &Logged::At(rekor, t),
        )
    };
    let cases = [
        (
            "good",
            vec![
                layer(&ci, &good, EntryKind::Intoto),
                layer(&ci, &good, EntryKind::Dsse),
            ],
        ),
        (
            "another",
            vec![attestation_layer(
                &ci,
                &good,
                &envelope_entry(&ci, &another, EntryKind::Intoto),
                &Logged::At(rekor, t),
            )],
        ),
        (
            "identity",
            vec![layer(
                &dev,
                &keyless_envelope(&dev, (&digest, &digest), slsa),
                EntryKind::Intoto,
            )],
        ),
    ];
    for (case, layers) in &cases {
        let repo = format!("keyless/att-{case}");
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        push_cosign_layers_as(reg, &repo, &digest, "att", &layers[..]);
    }
    let exact = ["--certificate-identity", "ci@example.com"];
    let (code, text) = verify("att-good", &exact);
    // Verified attestations, but no signature: the image is not signed.
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(
        text.matches(&format!("  verified    attestation ({slsa}) sha256:"))
            .count(),
        2,
        "{text}"
    );
    assert!(text.contains("2 of 2 attestations verified"), "{text}");
    for (case, wanted) in [
        (
            "another",
            "the Rekor entry does not record this signature: it records another payload",
        ),
        (
            "identity",
            "identity dev@example.com, policy wants ci@example.com",
        ),
    ] {
        let (code, text) = verify(&format!("att-{case}"), &exact);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      attestation sha256:") && text.contains(wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
    }
}

/// A trusted root whose log key was rotated out before the entry's date: the SET is refused.
fn a_rotated_log_key_does_not_vouch_for_later_entries(
    reg: &TestRegistry,
    d: &std::path::Path,
    root_file: &std::path::Path,
    issuer: &str,
) {
    let mut rotated: Value =
        serde_json::from_slice(&std::fs::read(root_file).expect("root")).expect("json");
    rotated["tlogs"][0]["publicKey"]["validFor"]["end"] = json!("2021-01-01T00:00:00Z");
    std::fs::write(d.join("rotated.json"), rotated.to_string()).expect("rotated");
    let rotated_arg = d.join("rotated.json").display().to_string();
    let image = format!("{}/keyless/good:v1", reg.host);
    let out = regscope(
        reg,
        &[
            "verify",
            &image,
            "--trusted-root",
            &rotated_arg,
            "--certificate-identity",
            "ci@example.com",
            "--certificate-oidc-issuer",
            issuer,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("bad Rekor SET: the entry is dated ")
            && text.contains(", when the key of https://rekor.test was not valid (from 2020-01-01T00:00:00Z to 2021-01-01T00:00:00Z)"),
        "{text}"
    );
}

/// Without `--trusted-root`, the embedded public-good root: the test CA is not in it.
fn the_public_good_root_trusts_none_of_it(reg: &TestRegistry, issuer: &str) {
    let image = format!("{}/keyless/good:v1", reg.host);
    let out = regscope(
        reg,
        &[
            "verify",
            &image,
            "--certificate-identity",
            "ci@example.com",
            "--certificate-oidc-issuer",
            issuer,
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["keyAlgorithm"], "keyless");
    assert_eq!(
        json["signatures"][0]["reason"], "untrusted-root",
        "{json:#}"
    );
    assert!(
        json["signatures"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("which is no Fulcio certificate authority of Sigstore's public-good root"),
        "{json:#}"
    );
}

/// `[verify."HOST/keyless/*"] identity/issuer/trusted_root`: `verify`, `inspect` and `check
/// --require-signed` use it without flags; `config check` refuses a regexp that does not
/// compile, a root that does not parse and an identity without an issuer.
fn keyless_policy_in_the_config_file(reg: &TestRegistry, dir: &std::path::Path, issuer: &str) {
    let config = dir.join("config.toml");
    let run = |args: &[&str]| {
        let ca = reg.ca_cert().expect("ca").display().to_string();
        let home = tempfile::tempdir().expect("home");
        let out = support::isolated_command(&regscope_bin(), home.path())
            .args(args)
            .args(["--ca-file", &ca, "--username", USER, "--no-cache"])
            .env("REGSCOPE_PASSWORD", PASSWORD)
            .env("REGSCOPE_CONFIG", &config)
            .output()
            .expect("run regscope");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let config_check = |body: String| {
        std::fs::write(&config, body).expect("config");
        let out = support::isolated_command(&regscope_bin(), dir)
            .args(["config", "check"])
            .env("REGSCOPE_CONFIG", &config)
            .output()
            .expect("run regscope");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let section = format!("[verify.\"{}/keyless/*\"]", reg.host);
    let (code, text) = config_check(format!(
        "{section}\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"trusted_root.json\"\n"
    ));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 signature policy"), "{text}");
    let good = format!("{}/keyless/good:v1", reg.host);
    let identity = format!("{}/keyless/identity:v1", reg.host);
    let (code, text) = run(&["verify", &good]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["check", &good, "--require-signed"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("signed: a signature of this image verifies with identity ci@example.com")
            && text.contains("; signed by ci@example.com (issuer https://token.actions.example)\n"),
        "{text}"
    );
    let (code, text) = run(&["check", &identity, "--require-signed"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("identity dev@example.com, policy wants ci@example.com"),
        "{text}"
    );
    let (code, text) = run(&["inspect", &identity]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("warning  signature-unverified")
            && text.contains("identity dev@example.com, policy wants ci@example.com"),
        "{text}"
    );
    // The finding says who the signature claims, never that dev@ signed.
    assert!(
        text.contains(": claims to be signed by dev@example.com (issuer ")
            && !text.contains("; signed by dev@"),
        "{text}"
    );
    assert!(
        text.contains("Sign the image by digest as the policy's identity"),
        "{text}"
    );

    for (body, wanted) in [
        (
            format!("{section}\nidentity_regexp = \"ci@(\"\nissuer = \"{issuer}\"\n"),
            "identity_regexp: `ci@(` is not a regular expression (",
        ),
        (
            format!("{section}\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"config.toml\"\n"),
            "trusted_root: ",
        ),
        (
            format!("{section}\nidentity = \"ci@example.com\"\n"),
            "issuer: is missing: an identity means nothing without the OIDC issuer",
        ),
    ] {
        let (code, text) = config_check(body);
        assert_eq!(code, Some(2), "{text}");
        assert!(text.contains(&format!("{section} {wanted}")), "{text}");
    }
    let (_, text) = config_check(format!(
        "{section}\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"config.toml\"\n"
    ));
    assert!(text.contains("is not a Sigstore trusted root"), "{text}");
}

/// `[verify."HOST/keyless/*"]` with a key and a keyless identity at once (a team moving from
/// keys to keyless has both): a keyless signature verifies by the identity, a keyed one by the
/// key, each judged by its own kind; a stranger's key fails with the key's reason. The flags
/// combine the same way. With a key and notation, a keyless signature is of neither kind and
/// fails with both reasons. `inspect` names who signed; `config check` refuses half a keyless
/// policy beside a key.
fn a_policy_of_several_kinds_is_satisfied_by_either(
    reg: &TestRegistry,
    d: &std::path::Path,
    issuer: &str,
    root_file: &std::path::Path,
) {
    use support::attach::{push_cosign_layers, simple_signing, KeyKind, SigningKey};
    let (key, stranger) = (
        SigningKey::generate(d, "mixed", KeyKind::P256),
        SigningKey::generate(d, "stranger", KeyKind::P256),
    );
    let digest = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/mixed", &digest);
    for (repo, signer) in [("keyed", &key), ("stranger", &stranger)] {
        reg.seed_fixture("unsigned-index", &format!("keyless/{repo}:v1"));
        push_cosign_layers(
            reg,
            &format!("keyless/{repo}"),
            &digest,
            &[signer.layer(&payload)],
        );
    }
    let home = tempfile::tempdir().expect("home");
    let config = d.join("mixed.toml");
    let section = format!("[verify.\"{}/keyless/*\"]", reg.host);
    let (key_path, root_path) = (
        key.public.display().to_string(),
        root_file.display().to_string(),
    );
    std::fs::write(
        &config,
        format!("{section}\nkey = \"{key_path}\"\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"{root_path}\"\n"),
    )
    .expect("config");
    let run = |args: &[&str]| regscope_at(reg, home.path(), Some(&config), args);
    let config_check = || {
        let out = support::isolated_command(&regscope_bin(), home.path())
            .args(["config", "check"])
            .env("REGSCOPE_CONFIG", &config)
            .output()
            .expect("run regscope");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let image = |repo: &str| format!("{}/keyless/{repo}:v1", reg.host);
    let both = format!("{key_path}, or identity ci@example.com from {issuer} (the trusted root ");

    let (code, text) = config_check();
    assert_eq!(code, Some(0), "{text}");
    // Only a keyless signature: the identity verifies it.
    let (code, text) = run(&["verify", &image("good")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "ok: signed by ci@example.com (issuer {issuer}), matching {both}"
        )),
        "{text}"
    );
    // Only a keyed signature: the key verifies it.
    let (code, text) = run(&["verify", &image("keyed")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("ok: signed by key {key_path} (sha256:")),
        "{text}"
    );
    let (code, text) = run(&["verify", &image("stranger")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the signature does not verify with this key")
            && text.contains(&format!(
                "FAIL: no signature of this image verifies with {both}"
            )),
        "{text}"
    );
    let (code, text) = run(&["verify", &image("keyed"), "--json"]);
    assert_eq!(code, Some(0), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["keyAlgorithm"], "ECDSA P-256, keyless", "{json:#}");
    assert_eq!(json["signatures"][0]["signer"]["kind"], "key", "{json:#}");

    // inspect names who signed, in text and JSON; check --require-signed takes either.
    let (code, text) = run(&["inspect", &image("good")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "signed by ci@example.com (issuer {issuer}): verified with {both}"
        )) && text.contains(&format!("({section})")),
        "{text}"
    );
    assert!(
        text.contains("; S✓ verified: signed by ci@example.com")
            && !text.contains("not verified: check with"),
        "{text}"
    );
    let (_, text) = run(&["inspect", &image("keyed"), "--json"]);
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["signedBy"][0]["kind"], "key", "{json:#}");
    assert_eq!(json["signedBy"][0]["key"], key_path.as_str(), "{json:#}");
    let (_, text) = run(&["inspect", &image("stranger"), "--json"]);
    let json: Value = serde_json::from_str(&text).expect("json");
    assert!(json.get("signedBy").is_none(), "{json:#}");
    for (repo, wanted) in [("good", 0), ("keyed", 0), ("stranger", 1)] {
        let (code, text) = run(&["check", &image(repo), "--require-signed"]);
        assert_eq!(code, Some(wanted), "{repo}: {text}");
    }

    // The flags combine as the file does.
    let flags = |repo: &str| {
        let img = image(repo);
        regscope_at(
            reg,
            home.path(),
            None,
            &[
                "verify",
                &img,
                "--key",
                &key_path,
                "--certificate-identity",
                "ci@example.com",
                "--certificate-oidc-issuer",
                issuer,
                "--trusted-root",
                &root_path,
            ],
        )
    };
    for (repo, wanted) in [("good", 0), ("keyed", 0), ("stranger", 1)] {
        let (code, text) = flags(repo);
        assert_eq!(code, Some(wanted), "{repo}: {text}");
    }

    // A key and notation: a keyless signature is of neither kind, and both say why.
    let policy = d.join("mixed-trustpolicy.json");
    std::fs::write(&policy, notation_policy(&reg.host, &["x"])).expect("policy");
    std::fs::write(
        &config,
        format!(
            "{section}\nkey = \"{key_path}\"\nnotation = true\ntrust_policy = \"{}\"\n",
            policy.display()
        ),
    )
    .expect("config");
    let (code, text) = run(&["verify", &image("good")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("the signature does not verify with this key")
            && text.contains("; a keyless signature with a certificate, a kind this policy does not list; not verified with the notation trust policy ")
            && text.contains(" either: a cosign signature is not of its kind"),
        "{text}"
    );
    let (code, text) = run(&["verify", &image("keyed")]);
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = run(&["inspect", &image("good")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("warning  signature-unverified")
            && text.contains("either: a cosign signature is not of its kind")
            && text.contains("with the policy's key (`cosign sign --key cosign.key REPO@DIGEST`), or with notation"),
        "{text}"
    );

    // Half a keyless policy beside a key is still refused, at its setting.
    std::fs::write(
        &config,
        format!("{section}\nkey = \"{key_path}\"\nidentity = \"ci@example.com\"\n"),
    )
    .expect("config");
    let (code, text) = config_check();
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "{section} issuer: is missing: an identity means nothing without the OIDC issuer"
        )),
        "{text}"
    );
}

/// `regscope` with `home` as HOME (notation's files under `~/.config/notation`), the config
/// file `config` if any, and the registry's credentials; `(exit code, stdout and stderr)`.
fn regscope_at(
    reg: &TestRegistry,
    home: &std::path::Path,
    config: Option<&std::path::Path>,
    args: &[&str],
) -> (Option<i32>, String) {
    let ca = reg.ca_cert().expect("ca").display().to_string();
    let mut cmd = support::isolated_command(&regscope_bin(), home);
    cmd.args(args)
        .args(["--ca-file", &ca, "--username", USER, "--no-cache"])
        .env("REGSCOPE_PASSWORD", PASSWORD);
    if let Some(c) = config {
        cmd.env("REGSCOPE_CONFIG", c);
    }
    let out = cmd.output().expect("run regscope");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A trust policy for `host`: `notation/<case>` strict for each case but `audit` (level audit)
/// and `unscoped` (no statement), trusting the store `acme` and the builder's subject.
fn notation_policy(host: &str, strict: &[&str]) -> String {
    let identity = "x509.subject: C=US, ST=WA, O=acme, CN=builder";
    serde_json::to_string_pretty(&json!({
        "version": "1.0",
        "trustPolicies": [
            {"name": "acme-images",
             "registryScopes": strict.iter().map(|c| format!("{host}/notation/{c}")).collect::<Vec<_>>(),
             "signatureVerification": {"level": "strict"},
             "trustStores": ["ca:acme"], "trustedIdentities": [identity]},
            {"name": "audited",
             "registryScopes": [format!("{host}/notation/audit")],
             "signatureVerification": {"level": "audit"},
             "trustStores": ["ca:acme"], "trustedIdentities": [identity]},
            {"name": "lenient",
             "registryScopes": [format!("{host}/notation/permissive")],
             "signatureVerification": {"level": "permissive", "override": {"revocation": "skip"}},
             "trustStores": ["ca:acme"], "trustedIdentities": [identity]},
            {"name": "skipped",
             "registryScopes": [format!("{host}/notation/skip")],
             "signatureVerification": {"level": "skip"}}
        ]
    }))
    .expect("json")
}

/// notation signatures (JWS envelopes in OCI 1.1 referrers, listed in the `sha256-<hex>` tag
/// as docker-registry has no referrers API) against docker-registry behind htpasswd and TLS,
/// under a trust policy and trust store in notation's place (`~/.config/notation`): a valid
/// signature (ECDSA and RSA-PSS) verifies without flags; each way one fails says its own
/// reason; the audit level logs what it does not enforce; `--trust-policy`/`--trust-store`
/// name other files; a `[verify]` policy with `notation = true` serves `check` and `inspect`.
#[test]
fn notation_signatures_verify_under_the_trust_policy_and_each_failure_says_why() {
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let (dir, home) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("home"),
    );
    let d = dir.path();
    let (notation_dir, strict) = seed_notation(&reg, d, home.path());
    let other = format!("sha256:{}", "d".repeat(64));
    let verify = |case: &str| {
        let image = format!("{}/notation/{case}:v1", reg.host);
        regscope_at(&reg, home.path(), None, &["verify", &image])
    };

    // notation's own files, found in notation's place: no flag needed.
    for case in ["good", "rsa"] {
        let (code, text) = verify(case);
        assert_eq!(code, Some(0), "{case}: {text}");
        assert!(
            text.contains("  verified    signature sha256:")
                && text.contains("via the referrers tag sha256-"),
            "{case}: {text}"
        );
        assert!(
            text.contains("ok: signed by C=US, ST=WA, L=Seattle, O=acme, CN=builder (trust policy acme-images), matching the notation trust policy ")
                && text.contains(".config/notation/trustpolicy.json"),
            "{case}: {text}"
        );
        // Who signed: the leaf's subject, and the statement that trusted it.
        assert!(
            text.contains(
                "; signed by C=US, ST=WA, L=Seattle, O=acme, CN=builder (trust policy acme-images)"
            ),
            "{case}: {text}"
        );
    }
    let fails = |case: &str, wanted: &[&str]| {
        let (code, text) = verify(case);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:"),
            "{case}: {text}"
        );
        for w in wanted {
            assert!(text.contains(w), "{case}: wanted {w:?} in {text}");
        }
    };
    fails(
        "tampered",
        &["the signature does not verify with this key: the payload was changed after signing"],
    );
    fails("other", &[&format!("signs {other}, not this image")]);
    fails(
        "untrusted",
        &["the certificate chain ends at C=US, ST=WA, O=rogue, CN=rogue root, which is in no trust store of trust policy acme-images (ca:acme)"],
    );
    fails(
        "expired",
        &["the signature expired at 2021-01-01T00:00:00Z (its `io.cncf.notary.expiry`)"],
    );
    fails(
        "outside",
        &["signed at 2020-01-01T00:00:00Z, outside the validity of certificate C=US, ST=WA, L=Seattle, O=acme, CN=builder (from "],
    );
    fails(
        "identity",
        &["identity C=US, ST=WA, O=evil, CN=intruder, policy wants x509.subject: C=US, ST=WA, O=acme, CN=builder",
          ": claims to be signed by C=US, ST=WA, O=evil, CN=intruder (trust policy acme-images) (not verified: identity "],
    );
    fails(
        "plugin",
        &["it marks header io.cncf.notary.verificationPlugin critical, which regscope does not understand"],
    );
    fails(
        "unscoped",
        &[&format!("no trust policy of {} covers {}/notation/unscoped; add it to a policy's registryScopes, or add a `*` policy", notation_dir.join("trustpolicy.json").display(), reg.host)],
    );
    // Audit enforces integrity only: the untrusted root is logged beside the verdict.
    let (code, text) = verify("audit");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("  verified    signature sha256:")
            && text.contains("; logged, not enforced (audit): the certificate chain ends at C=US, ST=WA, O=rogue"),
        "{text}"
    );

    // Permissive enforces authenticity, logs expiry; skip checks nothing at all.
    let (code, text) = verify("permissive");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "; logged, not enforced (permissive): the signature expired at 2021-01-01T00:00:00Z"
        ),
        "{text}"
    );
    let (code, text) = verify("skip");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "; trust policy skipped skips verification (level skip): nothing was checked"
        ),
        "{text}"
    );

    notation_files_by_flag_and_in_the_config_file(&reg, d, &notation_dir, &strict);
}

/// notation JWS envelopes with an RFC 3161 countersignature
/// (`io.cncf.notary.timestampSignature`) of a throw-away TSA, against docker-registry behind
/// htpasswd and TLS, under a strict policy whose `tsa` store holds the TSA's root
/// (`--trust-policy`/`--trust-store`): the timestamp verifies and is the signing time; a
/// countersignature of other bytes or by a TSA outside the store fails with `bad-timestamp`
/// and the check that failed.
#[test]
fn notation_timestamps_verify_against_the_tsa_store() {
    use support::attach::KeyKind;
    use support::notation::{jws, push_signature, trust_store, Cert, Envelope};
    use support::sigstore::Tsa;
    let reg = &TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let acme = Cert::root(d, "acme", "/C=US/ST=WA/O=acme/CN=acme root");
    let builder = acme.leaf(d, "builder", "/C=US/ST=WA/O=acme/CN=builder", KeyKind::P256);
    let (tsa, rogue) = (Tsa::new(d, "test-tsa"), Tsa::new(d, "rogue-tsa"));
    let store = d.join("truststore");
    trust_store(&store, "acme", &acme);
    // notation's `tsa` store type: `x509/tsa/NAME/`, the TSA's root.
    let stamps = store.join("x509/tsa/stamps");
    std::fs::create_dir_all(&stamps).expect("store");
    std::fs::copy(d.join("tsa-test-tsa/root.pem"), stamps.join("root.pem")).expect("copy");
    let policy = d.join("trustpolicy.json");
    std::fs::write(
        &policy,
        json!({"version": "1.0", "trustPolicies": [{
            "name": "stamped", "registryScopes": ["*"],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:acme", "tsa:stamps"],
            "trustedIdentities": ["x509.subject: C=US, ST=WA, O=acme, CN=builder"]}]})
        .to_string(),
    )
    .expect("policy");
    let root = support::layout_root(&fixture("unsigned-index"));
    let subject = (
        root["digest"].as_str().expect("digest"),
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let envelope = jws(&builder, &[&acme], subject, &Envelope::default());
    let stamp = |tsa: &Tsa, other: bool| {
        let mut e: Value = serde_json::from_slice(&envelope).expect("jws");
        let signature = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            e["signature"].as_str().expect("signature"),
        )
        .expect("base64url");
        let token = tsa.stamp(if other { b"other bytes" } else { &signature }, false);
        e["header"]["io.cncf.notary.timestampSignature"] =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, token).into();
        serde_json::to_vec(&e).expect("json")
    };
    for (case, e) in [
        ("good", stamp(&tsa, false)),
        ("otherbytes", stamp(&tsa, true)),
        ("untrusted", stamp(&rogue, false)),
    ] {
        let repo = format!("stamped/{case}");
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        push_signature(reg, &repo, subject, &[e]);
    }
    let home = tempfile::tempdir().expect("home");
    let (policy_arg, store_arg) = (policy.display().to_string(), store.display().to_string());
    let verify = |case: &str, json: bool| {
        let image = format!("{}/stamped/{case}:v1", reg.host);
        let mut args = vec!["verify", &image, "--trust-policy", &policy_arg];
        args.extend(["--trust-store", &store_arg]);
        if json {
            args.push("--json");
        }
        regscope_at(reg, home.path(), None, &args)
    };
    let (code, text) = verify("good", false);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("  verified    signature sha256:"), "{text}");
    for (case, wanted) in [
        ("otherbytes", "bad RFC 3161 timestamp: it timestamps other bytes: its message imprint is not the hash of this signature"),
        ("untrusted", "bad RFC 3161 timestamp: the timestamp authority O=rogue-tsa, CN=rogue-tsa is not in the tsa trust stores of trust policy stamped"),
    ] {
        let (code, text) = verify(case, false);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(text.contains(wanted), "{case}: wanted {wanted:?} in {text}");
    }
    let (code, text) = verify("otherbytes", true);
    assert_eq!(code, Some(1), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["signatures"][0]["reason"], "bad-timestamp", "{json:#}");
}

/// The cases `notation/<case>:v1` of the COSE test, each with one COSE notation signature,
/// notation's files under `home`; the subject's digest and the other image's.
fn seed_notation_cose(
    reg: &TestRegistry,
    dir: &std::path::Path,
    home: &std::path::Path,
) -> (String, String) {
    use support::attach::KeyKind;
    use support::notation::{
        cose, push_signatures_as, trust_store, trust_store_of, Cert, Envelope,
    };
    let d = dir;
    let acme = Cert::root(d, "acme", "/C=US/ST=WA/O=acme/CN=acme root");
    let rogue = Cert::root(d, "rogue", "/C=US/ST=WA/O=rogue/CN=rogue root");
    let builder_dn = "/C=US/ST=WA/L=Seattle/O=acme/CN=builder";
    let builder = acme.leaf(d, "builder", builder_dn, KeyKind::P384);
    let builder_rsa = acme.leaf(d, "builder-rsa", builder_dn, KeyKind::Rsa);
    let rogue_leaf = rogue.leaf(d, "rogue-leaf", builder_dn, KeyKind::P256);
    let notation_dir = home.join(".config/notation");
    trust_store(&notation_dir.join("truststore"), "acme", &acme);
    trust_store_of(
        &notation_dir.join("truststore"),
        "signingAuthority",
        "acme",
        &acme,
    );
    // `authority-in-ca` is a signing authority's signature under the statement of CA stores.
    let strict = [
        "good",
        "rsa",
        "tampered",
        "other",
        "expired",
        "untrusted",
        "crit",
        "authority-in-ca",
    ];
    let mut policy: Value =
        serde_json::from_str(&notation_policy(&reg.host, &strict)).expect("policy");
    policy["trustPolicies"]
        .as_array_mut()
        .expect("statements")
        .push(json!({"name": "authority",
            "registryScopes": [format!("{}/notation/authority", reg.host)],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["signingAuthority:acme"],
            "trustedIdentities": ["x509.subject: C=US, ST=WA, O=acme, CN=builder"]}));
    std::fs::write(notation_dir.join("trustpolicy.json"), policy.to_string()).expect("policy");
    let root = support::layout_root(&fixture("unsigned-index"));
    let subject = (
        root["digest"].as_str().expect("digest"),
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let other = format!("sha256:{}", "d".repeat(64));
    let chain = [&acme];
    let by_builder = |how: Envelope<'_>| cose(&builder, &chain, subject, &how);
    let cases = [
        ("good", by_builder(Envelope::default())),
        (
            "rsa",
            cose(&builder_rsa, &chain, subject, &Envelope::default()),
        ),
        ("tampered", by_builder(Envelope::tampered())),
        ("authority", by_builder(Envelope::by_authority())),
        ("authority-in-ca", by_builder(Envelope::by_authority())),
        ("other", by_builder(Envelope::targeting(&other))),
        (
            "expired",
            by_builder(Envelope::expiring("2021-01-01T00:00:00Z")),
        ),
        (
            "untrusted",
            cose(&rogue_leaf, &[&rogue], subject, &Envelope::default()),
        ),
        (
            "crit",
            by_builder(Envelope::uncritical_expiry("2099-01-01T00:00:00Z")),
        ),
    ];
    for (case, envelope) in &cases {
        let repo = format!("notation/{case}");
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        push_signatures_as(
            reg,
            &repo,
            subject,
            "application/cose",
            std::slice::from_ref(envelope),
        );
    }
    (subject.0.to_string(), other)
}

/// notation COSE envelopes (`application/cose`, `COSE_Sign1_Tagged` made here and signed with
/// aws-lc, as notation-core-go writes them) in OCI 1.1 referrers on docker-registry behind
/// htpasswd and TLS, judged as JWS ones are under the trust policy in notation's place: valid
/// ones (ECDSA P-384, RSA-PSS, and the `notary.x509.signingAuthority` scheme against a
/// `signingAuthority` store) verify, in text and JSON; a tampered payload, a signature of
/// another image, an expired one, an untrusted root, a signing authority's signature under a
/// statement of CA stores and an expiry left out of `crit` each fail with their own reason.
#[test]
fn notation_cose_signatures_verify_and_each_failure_says_why() {
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let (dir, home) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("home"),
    );
    let (subject, other) = seed_notation_cose(&reg, dir.path(), home.path());
    let verify = |case: &str, json: bool| {
        let image = format!("{}/notation/{case}:v1", reg.host);
        let mut args = vec!["verify", image.as_str()];
        if json {
            args.push("--json");
        }
        regscope_at(&reg, home.path(), None, &args)
    };

    // `inspect` names the envelope and the signer its `x5chain` holds.
    let (code, text) = regscope_at(
        &reg,
        home.path(),
        None,
        &["inspect", &format!("{}/notation/good:v1", reg.host)],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(
            "notation signature (COSE), signer C=US, ST=WA, L=Seattle, O=acme, CN=builder"
        ),
        "{text}"
    );
    for case in ["good", "rsa", "authority"] {
        let (code, text) = verify(case, false);
        assert_eq!(code, Some(0), "{case}: {text}");
        assert!(
            text.contains("  verified    signature sha256:")
                && text.contains("via the referrers tag sha256-")
                && text.contains(", matching the notation trust policy ")
                && text.contains("ok: signed by C=US, ST=WA, L=Seattle, O=acme, CN="),
            "{case}: {text}"
        );
        let (code, text) = verify(case, true);
        assert_eq!(code, Some(0), "{case}: {text}");
        let json: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(json["keyAlgorithm"], "notation", "{json:#}");
        assert_eq!(json["satisfied"], true, "{json:#}");
        assert_eq!(json["signatures"][0]["result"], "verified", "{json:#}");
        assert_eq!(
            json["signatures"][0]["subject"],
            subject.as_str(),
            "{json:#}"
        );
        // The COSE envelope's leaf, as its `x5chain` names it.
        assert!(
            json["signatures"][0]["signer"]["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("C=US, ST=WA, L=Seattle, O=acme, CN=")),
            "{json:#}"
        );
    }
    let fails = |case: &str, reason: &str, wanted: &str| {
        let (code, text) = verify(case, false);
        assert_eq!(code, Some(1), "{case}: {text}");
        assert!(
            text.contains("  failed      signature sha256:") && text.contains(wanted),
            "{case}: wanted {wanted:?} in {text}"
        );
        let (code, text) = verify(case, true);
        assert_eq!(code, Some(1), "{case}: {text}");
        let json: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(json["signatures"][0]["reason"], reason, "{case}: {json:#}");
    };
    fails(
        "tampered",
        "bad-signature",
        "the signature does not verify with this key: the payload was changed after signing",
    );
    fails(
        "other",
        "other-image",
        &format!("signs {other}, not this image"),
    );
    fails(
        "expired",
        "expired",
        "the signature expired at 2021-01-01T00:00:00Z (its `io.cncf.notary.expiry`)",
    );
    fails(
        "untrusted",
        "untrusted-root",
        "the certificate chain ends at C=US, ST=WA, O=rogue, CN=rogue root, which is in no trust store of trust policy acme-images (ca:acme)",
    );
    fails(
        "authority-in-ca",
        "untrusted-root",
        "which is in no trust store of trust policy acme-images (none of kind signingAuthority)",
    );
    fails(
        "crit",
        "bad-envelope",
        "the notation envelope is not one notation verifies: its header io.cncf.notary.expiry must be present and listed in `crit` together",
    );
}

/// The cases `notation/<case>:v1`, each with one notation signature; notation's files under
/// `home` (its directory returned) and the cases the strict statement covers.
fn seed_notation(
    reg: &TestRegistry,
    d: &std::path::Path,
    home: &std::path::Path,
) -> (std::path::PathBuf, [&'static str; 9]) {
    use support::attach::KeyKind;
    use support::notation::{jws, push_signature, trust_store, Cert, Envelope};
    let acme = Cert::root(d, "acme", "/C=US/ST=WA/O=acme/CN=acme root");
    let rogue = Cert::root(d, "rogue", "/C=US/ST=WA/O=rogue/CN=rogue root");
    let builder_dn = "/C=US/ST=WA/L=Seattle/O=acme/CN=builder";
    let builder = acme.leaf(d, "builder", builder_dn, KeyKind::P256);
    let builder_rsa = acme.leaf(d, "builder-rsa", builder_dn, KeyKind::Rsa);
    let intruder = acme.leaf(
        d,
        "intruder",
        "/C=US/ST=WA/O=evil/CN=intruder",
        KeyKind::P384,
    );
    let rogue_leaf = rogue.leaf(d, "rogue-leaf", builder_dn, KeyKind::P256);
    let notation_dir = home.join(".config/notation");
    trust_store(&notation_dir.join("truststore"), "acme", &acme);
    let strict = [
        "good",
        "rsa",
        "tampered",
        "other",
        "untrusted",
        "expired",
        "outside",
        "identity",
        "plugin",
    ];
    std::fs::write(
        notation_dir.join("trustpolicy.json"),
        notation_policy(&reg.host, &strict),
    )
    .expect("policy");

    let root = support::layout_root(&fixture("unsigned-index"));
    let subject = (
        root["digest"].as_str().expect("digest"),
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let other = format!("sha256:{}", "d".repeat(64));
    let good = Envelope::default();
    let chain = [&acme];
    let by_builder = |how: Envelope<'_>| jws(&builder, &chain, subject, &how);
    let cases: [(&str, Vec<u8>); 13] = [
        ("good", jws(&builder, &chain, subject, &good)),
        ("rsa", jws(&builder_rsa, &chain, subject, &good)),
        ("tampered", by_builder(Envelope::tampered())),
        ("other", by_builder(Envelope::targeting(&other))),
        ("untrusted", jws(&rogue_leaf, &[&rogue], subject, &good)),
        (
            "expired",
            by_builder(Envelope::expiring("2021-01-01T00:00:00Z")),
        ),
        (
            "outside",
            by_builder(Envelope::signed_at("2020-01-01T00:00:00Z")),
        ),
        ("identity", jws(&intruder, &chain, subject, &good)),
        (
            "plugin",
            by_builder(Envelope::critical("io.cncf.notary.verificationPlugin")),
        ),
        ("unscoped", jws(&builder, &chain, subject, &good)),
        ("audit", jws(&rogue_leaf, &[&rogue], subject, &good)),
        (
            "permissive",
            by_builder(Envelope::expiring("2021-01-01T00:00:00Z")),
        ),
        (
            "skip",
            jws(&rogue_leaf, &[&rogue], subject, &Envelope::tampered()),
        ),
    ];
    for (case, envelope) in &cases {
        let repo = format!("notation/{case}");
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        push_signature(reg, &repo, subject, std::slice::from_ref(envelope));
    }
    (notation_dir, strict)
}

/// `--trust-policy`/`--trust-store` name files elsewhere (the JSON says why each fails); the
/// config file's `[verify."HOST/notation/*"] notation = true` policy serves `verify`, `check
/// --require-signed` and `inspect`; `config check` refuses a trust policy notation would.
fn notation_files_by_flag_and_in_the_config_file(
    reg: &TestRegistry,
    d: &std::path::Path,
    notation_dir: &std::path::Path,
    strict: &[&str],
) {
    let elsewhere = d.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("dir");
    let policy = elsewhere.join("policy.json");
    std::fs::write(&policy, notation_policy(&reg.host, strict)).expect("policy");
    let empty_home = tempfile::tempdir().expect("home");
    let image = |case: &str| format!("{}/notation/{case}:v1", reg.host);
    let (policy_arg, store_arg) = (
        policy.display().to_string(),
        notation_dir.join("truststore").display().to_string(),
    );
    let (code, text) = regscope_at(
        reg,
        empty_home.path(),
        None,
        &[
            "verify",
            &image("identity"),
            "--trust-policy",
            &policy_arg,
            "--trust-store",
            &store_arg,
            "--json",
        ],
    );
    assert_eq!(code, Some(1), "{text}");
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["keyAlgorithm"], "notation");
    assert_eq!(
        json["signatures"][0]["reason"], "identity-mismatch",
        "{json:#}"
    );
    // Without notation's files anywhere, `--notation` says where it looked.
    let (code, text) = regscope_at(
        reg,
        empty_home.path(),
        None,
        &["verify", &image("good"), "--notation"],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--trust-policy is not given and there is none at ")
            && text.contains(".config/notation/trustpolicy.json"),
        "{text}"
    );

    let config = d.join("config.toml");
    let section = format!("[verify.\"{}/notation/*\"]", reg.host);
    std::fs::write(
        &config,
        format!(
            "{section}\nnotation = true\ntrust_policy = \"elsewhere/policy.json\"\ntrust_store = \"{store_arg}\"\n"
        ),
    )
    .expect("config");
    let run = |args: &[&str]| regscope_at(reg, empty_home.path(), Some(&config), args);
    let config_check = || {
        let out = support::isolated_command(&regscope_bin(), empty_home.path())
            .args(["config", "check"])
            .env("REGSCOPE_CONFIG", &config)
            .output()
            .expect("run regscope");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = config_check();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("1 signature policy"), "{text}");
    let (code, text) = run(&["check", &image("good"), "--require-signed"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("signed: a signature of this image verifies with the notation trust policy "),
        "{text}"
    );
    let (code, text) = run(&["check", &image("identity"), "--require-signed"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("identity C=US, ST=WA, O=evil, CN=intruder, policy wants"),
        "{text}"
    );
    let (code, text) = run(&["inspect", &image("untrusted")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("warning  signature-unverified")
            && text.contains("which is in no trust store of trust policy acme-images")
            && text.contains("Sign the image by digest with notation"),
        "{text}"
    );
    a_key_beside_notation_verifies_either_kind(reg, d, &config, (&section, &store_arg));
    // A trust policy notation would refuse is refused here, naming the setting.
    std::fs::write(
        &policy,
        r#"{"version":"1.0","trustPolicies":[{"name":"loose","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:acme"],"trustedIdentities":["x509.subject: CN=builder"]}]}"#,
    )
    .expect("policy");
    let (code, text) = config_check();
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!("{section} trust_policy: "))
            && text.contains("trust policy loose has trusted identity x509.subject: CN=builder, which lacks C; notation requires C, ST and O at least"),
        "{text}"
    );
}

/// `[verify."HOST/notation/*"]` with a cosign key and notation at once: the notation-signed
/// image verifies by the trust policy and names its leaf's subject, a keyed image by the key;
/// `inspect` names each signer, `check --require-signed` takes either, and the flags (`--key`
/// with `--trust-policy`) combine the same way.
fn a_key_beside_notation_verifies_either_kind(
    reg: &TestRegistry,
    d: &std::path::Path,
    config: &std::path::Path,
    (section, store): (&str, &str),
) {
    use support::attach::{push_cosign_layers, simple_signing, KeyKind, SigningKey};
    let key = SigningKey::generate(d, "beside-notation", KeyKind::P256);
    let digest = layout_root_digest(&fixture("unsigned-index"));
    reg.seed_fixture("unsigned-index", "notation/keyed:v1");
    let payload = simple_signing("registry.internal:5000/notation/keyed", &digest);
    push_cosign_layers(reg, "notation/keyed", &digest, &[key.layer(&payload)]);
    let key_path = key.public.display().to_string();
    std::fs::write(
        config,
        format!(
            "{section}\nkey = \"{key_path}\"\nnotation = true\ntrust_policy = \"elsewhere/policy.json\"\ntrust_store = \"{store}\"\n"
        ),
    )
    .expect("config");
    let home = tempfile::tempdir().expect("home");
    let run = |args: &[&str]| regscope_at(reg, home.path(), Some(config), args);
    let image = |case: &str| format!("{}/notation/{case}:v1", reg.host);
    let builder = "C=US, ST=WA, L=Seattle, O=acme, CN=builder (trust policy acme-images)";

    let (code, text) = run(&["verify", &image("good")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "ok: signed by {builder}, matching {key_path}, or the notation trust policy "
        )),
        "{text}"
    );
    let (code, text) = run(&["verify", &image("keyed")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("ok: signed by key {key_path} (sha256:")),
        "{text}"
    );
    let (code, text) = run(&["inspect", &image("good")]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!(
            "signed by {builder}: verified with {key_path}, or the notation trust policy "
        )),
        "{text}"
    );
    let (_, text) = run(&["inspect", &image("good"), "--json"]);
    let json: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(json["signedBy"][0]["kind"], "notation", "{json:#}");
    for (case, wanted) in [("good", 0), ("keyed", 0), ("identity", 1)] {
        let (code, text) = run(&["check", &image(case), "--require-signed"]);
        assert_eq!(code, Some(wanted), "{case}: {text}");
    }
    let policy = d.join("elsewhere/policy.json").display().to_string();
    for case in ["good", "keyed"] {
        let img = image(case);
        let (code, text) = regscope_at(
            reg,
            home.path(),
            None,
            &[
                "verify",
                &img,
                "--key",
                &key_path,
                "--trust-policy",
                &policy,
                "--trust-store",
                store,
                "--json",
            ],
        );
        assert_eq!(code, Some(0), "{case}: {text}");
        let json: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(json["keyAlgorithm"], "ECDSA P-256, notation", "{json:#}");
    }
}

/// Real-world data, offline: a public image's real keyless cosign signature (made on GitHub
/// Actions through Sigstore's public-good Fulcio and Rekor; tests/data/sigstore-public-good)
/// in docker-registry behind htpasswd and TLS, verified against the embedded public-good
/// trusted root with no flag naming a root: the certificate chains to the public Fulcio CA,
/// the Rekor SET verifies with the public log's key, the identity is the workflow's. A wrong
/// identity or issuer fails naming both values; the JSON carries the log index.
#[test]
fn a_real_public_keyless_signature_verifies_offline_against_the_public_good_root() {
    use support::attach::{
        seed_public_good_signature, PUBLIC_GOOD_IDENTITY, PUBLIC_GOOD_ISSUER, PUBLIC_GOOD_REPO,
    };
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let index = seed_public_good_signature(&reg);
    let image = format!("{}/{PUBLIC_GOOD_REPO}:server", reg.host);
    let run = |extra: &[&str]| {
        let mut args = vec!["verify", image.as_str()];
        args.extend_from_slice(extra);
        let out = regscope(&reg, &args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text, out.stdout)
    };
    let policy = [
        "--certificate-identity",
        PUBLIC_GOOD_IDENTITY,
        "--certificate-oidc-issuer",
        PUBLIC_GOOD_ISSUER,
    ];
    let (code, text, _) = run(&policy);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("  verified    signature sha256:"), "{text}");
    assert!(
        text.contains(&format!(
            "ok: signed by {PUBLIC_GOOD_IDENTITY} (issuer {PUBLIC_GOOD_ISSUER}), matching identity {PUBLIC_GOOD_IDENTITY} from {PUBLIC_GOOD_ISSUER}"
        )),
        "{text}"
    );
    let (code, text, _) = run(&[
        "--certificate-identity-regexp",
        "^https://github.com/salrashid123/",
        "--certificate-oidc-issuer",
        PUBLIC_GOOD_ISSUER,
    ]);
    assert_eq!(code, Some(0), "{text}");
    // The workflow that signed, as its certificate names it, not the pattern it matched.
    assert!(
        text.contains(&format!(
            "; signed by {PUBLIC_GOOD_IDENTITY} (issuer {PUBLIC_GOOD_ISSUER})"
        )),
        "{text}"
    );

    let mut json_args = policy.to_vec();
    json_args.push("--json");
    let (code, _, stdout) = run(&json_args);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_slice(&stdout).expect("json");
    assert_eq!(json["keyAlgorithm"], "keyless", "{json:#}");
    let signature = &json["signatures"][0];
    assert_eq!(signature["result"], "verified", "{json:#}");
    assert_eq!(signature["subject"], index.as_str(), "{json:#}");
    assert_eq!(
        signature["dockerReference"], "index.docker.io/salrashid123/server_image",
        "{json:#}"
    );
    // Fulcio's source repository and ref extensions, beside the workflow identity.
    assert_eq!(
        signature["signer"],
        json!({"kind": "certificate", "identity": PUBLIC_GOOD_IDENTITY,
               "issuer": PUBLIC_GOOD_ISSUER,
               "repository": "https://github.com/salrashid123/go-bazel-github-workflow",
               "ref": "refs/tags/v0.0.30"}),
        "{json:#}"
    );
    // `inspect` names the public log's entry the SET vouches for.
    let out = regscope(&reg, &["inspect", &image]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Rekor log index 1004096555"), "{text}");

    // Someone else's workflow, or another issuer: refused with both values.
    let (code, text, _) = run(&[
        "--certificate-identity",
        "https://github.com/acme/app/.github/workflows/release.yaml@refs/heads/main",
        "--certificate-oidc-issuer",
        PUBLIC_GOOD_ISSUER,
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "identity {PUBLIC_GOOD_IDENTITY}, policy wants https://github.com/acme/app/"
        )),
        "{text}"
    );
    let (code, text, _) = run(&[
        "--certificate-identity",
        PUBLIC_GOOD_IDENTITY,
        "--certificate-oidc-issuer",
        "https://accounts.google.com",
    ]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "issuer {PUBLIC_GOOD_ISSUER}, policy wants https://accounts.google.com"
        )),
        "{text}"
    );
}

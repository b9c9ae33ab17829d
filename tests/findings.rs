//! Every finding code fires on a case made for it and stays quiet on a clean image, against a
//! real docker-registry seeded with real `BuildKit` output (and cases derived from it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use regscope::analysis::{self, Finding, Target};
use regscope::inspect::{inspect, InspectOptions, Inspection};
use regscope::model::Kind;
use regscope::reference::ImageRef;
use regscope::registry::{Fetcher, HttpOptions, Limits};
use serde_json::{json, Value};
use support::{
    fixture, layout_blob, layout_root_digest, TestRegistry, DOCKER_LIST, OCI_CONFIG, OCI_INDEX,
    OCI_MANIFEST,
};

const AMD64: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";
const ARM64: &str = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";
const ATTEST_AMD64: &str =
    "sha256:26da286bbc886aa14d191808db8fcbbd5d8ec68cf0047f954133e76d8e73d71c";

async fn run(reg: &TestRegistry, repo_ref: &str) -> (Inspection, Vec<Finding>) {
    let image = ImageRef::parse(&format!("{}/{repo_ref}", reg.host)).expect("valid reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let inspection = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .expect("root fetched");
    let findings = analysis::analyze(&inspection.root);
    (inspection, findings)
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

fn count(findings: &[Finding], code: &str) -> usize {
    findings.iter().filter(|f| f.code.as_str() == code).count()
}

/// The root index of the `BuildKit` fixture, as JSON to derive cases from.
fn fixture_index() -> Value {
    let layout = fixture("unsigned-index");
    serde_json::from_slice(&layout_blob(&layout, &layout_root_digest(&layout))).expect("index json")
}

fn entry(index: &Value, digest: &str) -> Value {
    index["manifests"]
        .as_array()
        .and_then(|m| m.iter().find(|e| e["digest"] == digest))
        .cloned()
        .expect("entry present")
}

/// The fixture index with the amd64 and arm64 entries' platforms swapped.
fn swapped_index() -> Value {
    let mut index = fixture_index();
    let (a, b) = (entry(&index, AMD64), entry(&index, ARM64));
    index["manifests"][0]["platform"] = b["platform"].clone();
    index["manifests"][1]["platform"] = a["platform"].clone();
    index
}

/// Seeds the fixture at `app:v1` and pushes `index` (whose children are the fixture's) as `app:TAG`.
fn push_derived(reg: &TestRegistry, tag: &str, media_type: &str, index: &Value) {
    reg.seed_fixture("unsigned-index", "app:v1");
    let bytes = serde_json::to_vec_pretty(index).expect("json");
    reg.put_manifest("app", tag, media_type, &bytes);
}

/// A single-platform image whose config says `os/arch` and `user`, pushed as `app:TAG`.
fn push_image(reg: &TestRegistry, tag: &str, arch: &str, user: &str) -> String {
    let config = json!({
        "architecture": arch, "os": "linux",
        "config": {"User": user, "Env": ["PATH=/usr/bin"], "Entrypoint": ["/app"]},
        "rootfs": {"type": "layers", "diff_ids": []}, "history": []
    });
    let config_bytes = serde_json::to_vec(&config).expect("json");
    let layer = layout_blob(
        &fixture("unsigned-image"),
        "sha256:07d9a868932bd092fa0a4c4df943785a7ba9cee12dbf446d02488319a5fbf336",
    );
    let config_digest = reg.put_blob("app", &config_bytes);
    let layer_digest = reg.put_blob("app", &layer);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config_bytes.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}]
    });
    reg.put_manifest(
        "app",
        tag,
        OCI_MANIFEST,
        &serde_json::to_vec(&manifest).expect("json"),
    )
}

#[tokio::test]
async fn buildkit_index_shows_attestations_linked_to_their_platforms() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let (insp, findings) = run(&reg, "team/app:v7").await;
    let root = &insp.root;
    assert_eq!(root.kind, Kind::Index);
    assert_eq!(
        root.digest,
        "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898"
    );
    assert_eq!(root.children.len(), 4);
    let attestations: Vec<_> = root
        .children
        .iter()
        .filter(|c| c.kind == Kind::Attestation)
        .collect();
    assert_eq!(attestations.len(), 2);
    let first = attestations
        .iter()
        .find(|a| a.digest == ATTEST_AMD64)
        .expect("amd64 attestation");
    let attests = first.attests.as_ref().expect("linked");
    assert_eq!(attests.digest, AMD64);
    assert_eq!(
        attests
            .platform
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("linux/amd64")
    );
    // Each attestation holds an SPDX SBOM and SLSA provenance, decoded.
    let predicates: Vec<String> = first
        .children
        .iter()
        .filter(|c| c.kind == Kind::Statement)
        .filter_map(|c| c.statement.as_ref().map(|s| s.predicate_type.clone()))
        .collect();
    assert!(
        predicates.contains(&"https://spdx.dev/Document".to_string()),
        "{predicates:?}"
    );
    assert!(
        predicates.contains(&"https://slsa.dev/provenance/v0.2".to_string()),
        "{predicates:?}"
    );
    // Runnable manifests have their configs decoded; layers are described, not fetched.
    let amd = root
        .children
        .iter()
        .find(|c| c.digest == AMD64)
        .expect("amd64");
    assert_eq!(
        amd.config_summary()
            .map(regscope::model::config::ConfigSummary::platform_string)
            .as_deref(),
        Some("linux/amd64")
    );
    assert_eq!(count(&findings, "attestation-manifest"), 2);
    let attestation = findings
        .iter()
        .find(|f| f.digest == ATTEST_AMD64)
        .expect("finding for the amd64 attestation");
    assert!(
        attestation.message.contains("linux/amd64"),
        "{}",
        attestation.message
    );
    assert!(attestation
        .fix
        .as_deref()
        .unwrap_or("")
        .contains("--provenance=false"));
    for quiet in [
        "platform-mismatch",
        "platform-duplicate",
        "platform-invalid",
        "dangling-reference",
        "digest-mismatch",
        "reference-cycle",
        "media-type-mixed",
        "unknown-platform-entry",
    ] {
        assert_eq!(
            count(&findings, quiet),
            0,
            "{quiet} on a clean BuildKit index: {:?}",
            codes(&findings)
        );
    }
    // Round trips: ping, root, 4 children, configs and statements; never a layer.
    let rt = insp.round_trips;
    assert_eq!(rt.manifest, 5, "{rt:?}");
    assert!(rt.blob <= 2 + 2 + 4, "{rt:?}");
}

#[tokio::test]
async fn swapped_platforms_are_a_platform_mismatch() {
    let reg = TestRegistry::start();
    push_derived(&reg, "swapped", OCI_INDEX, &swapped_index());
    let (_, findings) = run(&reg, "app:swapped").await;
    assert_eq!(
        count(&findings, "platform-mismatch"),
        2,
        "{:?}",
        codes(&findings)
    );
    let f = findings
        .iter()
        .find(|f| f.code.as_str() == "platform-mismatch" && f.digest == AMD64)
        .expect("amd64 manifest flagged");
    assert!(
        f.message.contains("index says linux/arm64") && f.message.contains("says linux/amd64"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn a_deleted_child_is_a_dangling_reference_and_the_rest_still_shows() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    reg.delete_manifest("app", ARM64);
    let (insp, findings) = run(&reg, "app:v1").await;
    let missing = insp
        .root
        .children
        .iter()
        .find(|c| c.digest == ARM64)
        .expect("still listed");
    assert_eq!(missing.kind, Kind::Missing);
    assert_eq!(
        count(&findings, "dangling-reference"),
        1,
        "{:?}",
        codes(&findings)
    );
    let amd = insp
        .root
        .children
        .iter()
        .find(|c| c.digest == AMD64)
        .expect("amd64");
    assert!(
        amd.config_summary().is_some(),
        "the rest of the tree is still fetched"
    );
}

#[tokio::test]
async fn a_target_whose_manifest_was_deleted_is_listed_but_gone_not_missing() {
    // A lifecycle policy deleted the arm64 child: the index still lists linux/arm64, a pull
    // fails with "manifest unknown", and pushing the tag again brings it back.
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    reg.delete_manifest("app", ARM64);
    let (insp, _) = run(&reg, "app:v1").await;
    for target in ["linux/arm64", "linux/arm64/v8"] {
        let found = Target::parse(target).expect("target").check(&insp.root);
        assert_eq!(codes(&found), vec!["target-incompatible"], "{target}");
        let f = &found[0];
        assert_eq!(f.digest, ARM64);
        assert!(
            f.message.contains("is gone from the registry")
                && f.message.contains("manifest unknown")
                && !f.message.contains("not offered"),
            "{}",
            f.message
        );
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.starts_with("Re-push the tag")),
            "{:?}",
            f.fix
        );
    }
    let found = Target::parse("lambda/arm64")
        .expect("target")
        .check(&insp.root);
    // The index, the entry that is gone, then the two attestation entries.
    assert_eq!(codes(&found), vec!["target-incompatible"; 4]);
    assert!(
        !found[0].fix.as_deref().unwrap_or("").contains(ARM64),
        "no deploy-by-digest of a manifest that is gone: {:?}",
        found[0].fix
    );
    assert!(
        found[1].message.contains("is gone from the registry"),
        "{}",
        found[1].message
    );
    // amd64 is untouched: deploying it by digest still works.
    let found = Target::parse("lambda").expect("target").check(&insp.root);
    assert_eq!(codes(&found), vec!["target-incompatible"; 3]);
    assert!(found[0].fix.as_deref().unwrap_or("").contains(AMD64));
}

#[tokio::test]
async fn an_attestation_manifest_fetched_by_digest_is_an_attestation_that_runs_nothing() {
    // No index above it says what it is; its in-toto layers do. Its unknown/unknown config
    // has no USER, but nothing runs from it: no runs-as-root, no user.
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    let (insp, findings) = run(&reg, &format!("app@{ATTEST_AMD64}")).await;
    assert_eq!(insp.root.kind, Kind::Attestation);
    assert_eq!(codes(&findings), vec!["attestation-manifest"]);
    let label = regscope::present::NodeLabel::new(&insp.root, &findings);
    assert!(
        label.facts.iter().all(|f| !f.text.starts_with("user")),
        "{:?}",
        label.facts
    );
    let found = Target::parse("lambda").expect("target").check(&insp.root);
    assert!(
        found[0].message.contains("not a runnable image"),
        "{found:?}"
    );
}

#[tokio::test]
async fn two_entries_for_one_platform_are_a_duplicate() {
    let reg = TestRegistry::start();
    let mut index = fixture_index();
    let amd = entry(&index, AMD64);
    index["manifests"] = json!([amd.clone(), amd]);
    push_derived(&reg, "dup", OCI_INDEX, &index);
    let (_, findings) = run(&reg, "app:dup").await;
    assert_eq!(
        count(&findings, "platform-duplicate"),
        1,
        "{:?}",
        codes(&findings)
    );
}

#[tokio::test]
async fn empty_or_unknown_platforms_on_runnable_entries_are_invalid() {
    let reg = TestRegistry::start();
    let mut index = fixture_index();
    let mut amd = entry(&index, AMD64);
    amd["platform"] = json!({"os": "linux", "architecture": "amd65"});
    let mut arm = entry(&index, ARM64);
    arm.as_object_mut().expect("object").remove("platform");
    index["manifests"] = json!([amd, arm]);
    push_derived(&reg, "invalid", OCI_INDEX, &index);
    let (_, findings) = run(&reg, "app:invalid").await;
    assert_eq!(
        count(&findings, "platform-invalid"),
        2,
        "{:?}",
        codes(&findings)
    );
}

#[tokio::test]
async fn unknown_entries_that_are_not_attestations_are_named() {
    let reg = TestRegistry::start();
    let mut index = fixture_index();
    let mut odd = entry(&index, ARM64);
    odd["platform"] = json!({"os": "unknown", "architecture": "unknown"});
    odd["annotations"] = json!({"vnd.docker.reference.type": "sbom-thing"});
    index["manifests"] = json!([entry(&index, AMD64), odd]);
    push_derived(&reg, "odd", OCI_INDEX, &index);
    let (_, findings) = run(&reg, "app:odd").await;
    assert_eq!(
        count(&findings, "unknown-platform-entry"),
        1,
        "{:?}",
        codes(&findings)
    );
    assert_eq!(count(&findings, "attestation-manifest"), 0);
    let f = findings
        .iter()
        .find(|f| f.code.as_str() == "unknown-platform-entry")
        .expect("fired");
    assert!(f.message.contains("sbom-thing"), "{}", f.message);
}

#[tokio::test]
async fn docker_list_with_oci_children_is_mixed() {
    let reg = TestRegistry::start();
    let mut index = fixture_index();
    index["mediaType"] = json!(DOCKER_LIST);
    index["manifests"] = json!([entry(&index, AMD64), entry(&index, ARM64)]);
    push_derived(&reg, "mixed", DOCKER_LIST, &index);
    let (_, findings) = run(&reg, "app:mixed").await;
    assert_eq!(
        count(&findings, "media-type-mixed"),
        2,
        "{:?}",
        codes(&findings)
    );
}

#[tokio::test]
async fn root_user_is_reported_and_a_non_root_image_is_quiet() {
    let reg = TestRegistry::start();
    push_image(&reg, "root", "amd64", "");
    push_image(&reg, "nonroot", "amd64", "1000:1000");
    let (_, findings) = run(&reg, "app:root").await;
    assert_eq!(codes(&findings), vec!["runs-as-root"]);
    let (_, findings) = run(&reg, "app:nonroot").await;
    assert!(findings.is_empty(), "{:?}", codes(&findings));
}

#[tokio::test]
async fn a_config_over_the_cap_is_refused_unread() {
    let reg = TestRegistry::start();
    let big = format!(
        "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"pad\":\"{}\"}}",
        "x".repeat(5 * 1024 * 1024)
    );
    let config_digest = reg.put_blob("app", big.as_bytes());
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": big.len()}, "layers": []
    });
    reg.put_manifest(
        "app",
        "big",
        OCI_MANIFEST,
        &serde_json::to_vec(&manifest).expect("json"),
    );
    let (_, findings) = run(&reg, "app:big").await;
    assert_eq!(codes(&findings), vec!["content-too-large"]);
}

#[tokio::test]
async fn lambda_rejects_a_buildkit_index_and_accepts_a_single_amd64_manifest() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    push_image(&reg, "single", "amd64", "1000");
    push_image(&reg, "arm", "arm64", "1000");
    let (insp, _) = run(&reg, "app:v1").await;
    let lambda = Target::parse("lambda").expect("target");
    let found = lambda.check(&insp.root);
    // The index, then each of its two attestation entries (what makes it an index).
    assert_eq!(codes(&found), vec!["target-incompatible"; 3]);
    assert!(found[1..]
        .iter()
        .all(|f| f.message.contains("platform unknown/unknown")));
    assert!(
        found[0].message.contains("attestation"),
        "{}",
        found[0].message
    );
    let fix = found[0].fix.as_deref().unwrap_or("");
    assert!(
        fix.contains("--provenance=false") && fix.contains("BUILDX_NO_DEFAULT_ATTESTATIONS=1"),
        "{fix}"
    );
    assert!(
        fix.contains(AMD64),
        "names the digest Lambda can take: {fix}"
    );
    let (insp, _) = run(&reg, "app:single").await;
    assert!(lambda.check(&insp.root).is_empty());
    let (insp, _) = run(&reg, "app:arm").await;
    let found = lambda.check(&insp.root);
    assert_eq!(codes(&found), vec!["target-incompatible"]);
    assert!(found[0].message.contains("exec format error"));
    assert!(Target::parse("lambda/arm64")
        .expect("target")
        .check(&insp.root)
        .is_empty());
}

#[tokio::test]
async fn a_platform_target_must_be_offered() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    push_image(&reg, "arm", "arm64", "1000");
    let (insp, _) = run(&reg, "app:v1").await;
    let found = Target::parse("linux/s390x")
        .expect("target")
        .check(&insp.root);
    assert_eq!(codes(&found), vec!["platform-missing"]);
    assert!(
        found[0].message.contains("linux/amd64") && found[0].message.contains("linux/arm64"),
        "{}",
        found[0].message
    );
    assert!(Target::parse("linux/arm64")
        .expect("target")
        .check(&insp.root)
        .is_empty());
    assert!(Target::parse("linux/arm64/v8")
        .expect("target")
        .check(&insp.root)
        .is_empty());
    let (insp, _) = run(&reg, "app:arm").await;
    assert_eq!(
        codes(
            &Target::parse("linux/amd64")
                .expect("target")
                .check(&insp.root)
        ),
        vec!["platform-missing"]
    );
}

#[tokio::test]
async fn a_descriptor_claiming_a_platform_its_config_denies_fails_the_target() {
    let reg = TestRegistry::start();
    push_derived(&reg, "swapped", OCI_INDEX, &swapped_index());
    let (insp, _) = run(&reg, "app:swapped").await;
    let found = Target::parse("linux/amd64")
        .expect("target")
        .check(&insp.root);
    assert_eq!(codes(&found), vec!["target-incompatible"]);
}

#[tokio::test]
async fn referrers_come_from_the_tag_schema_when_the_registry_has_no_api() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    // An SBOM artifact attached to the amd64 manifest by subject, as `oras attach` does.
    let empty = reg.put_blob("app", b"{}");
    let payload = reg.put_blob("app", b"{\"spdxVersion\":\"SPDX-2.3\"}");
    let amd = entry(&fixture_index(), AMD64);
    let artifact = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": payload, "size": 26}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": AMD64, "size": amd["size"]}
    });
    let artifact_bytes = serde_json::to_vec(&artifact).expect("json");
    let artifact_digest = reg.put_manifest(
        "app",
        &support::sha256_digest(&artifact_bytes),
        OCI_MANIFEST,
        &artifact_bytes,
    );
    let fallback = json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": artifact_digest, "size": artifact_bytes.len(), "artifactType": "application/spdx+json"}]
    });
    let tag = format!("sha256-{}", AMD64.trim_start_matches("sha256:"));
    reg.put_manifest(
        "app",
        &tag,
        OCI_INDEX,
        &serde_json::to_vec(&fallback).expect("json"),
    );

    let image = ImageRef::parse(&format!("{}/app:v1", reg.host)).expect("valid");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions { attachments: true })
        .await
        .expect("inspected");
    let amd = insp
        .root
        .children
        .iter()
        .find(|c| c.digest == AMD64)
        .expect("amd64");
    let referrer = amd
        .children
        .iter()
        .find(|c| c.kind == Kind::Referrer)
        .expect("referrer attached to its subject");
    assert_eq!(referrer.digest, artifact_digest);
    assert_eq!(
        referrer.artifact_type.as_deref(),
        Some("application/spdx+json")
    );
    // One tag listing served the whole tree; the referrers API was asked about each of its
    // five manifests at the same time (the registry has none).
    assert_eq!(insp.round_trips.tags, 1, "{:?}", insp.round_trips);
    assert_eq!(insp.round_trips.referrers, 5, "{:?}", insp.round_trips);
    assert_eq!(
        referrer.origin.as_ref().map(|o| o.sources.clone()),
        Some(vec![regscope::attachments::Source::ReferrersTag])
    );
    // Without the lookup nothing is looked up.
    let (plain, _) = run(&reg, "app:v1").await;
    assert!(plain
        .root
        .descendants()
        .iter()
        .all(|n| n.kind != Kind::Referrer));
}

/// The TUI's verdict column: each rejection in a word, and the manifest `d` copies.
#[tokio::test]
async fn verdicts_name_the_reason_in_a_word_and_fitting_names_what_to_deploy() {
    use regscope::analysis::Verdict;
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    reg.seed_fixture("unsigned-index", "pruned:v1");
    reg.delete_manifest("pruned", ARM64);
    push_image(&reg, "arm", "arm64", "1000");
    push_derived(&reg, "swapped", OCI_INDEX, &swapped_index());
    let target = |t: &str| Target::parse(t).expect("target");
    let rejected = |why: &str| Verdict::Rejected(why.to_string());

    let (index, _) = run(&reg, "app:v1").await;
    assert_eq!(target("lambda").verdict(&index.root), rejected("index"));
    assert_eq!(
        target("lambda")
            .fitting(&index.root)
            .map(|n| n.digest.as_str()),
        Some(AMD64),
        "Lambda refuses the index but takes its amd64 manifest by digest"
    );
    assert_eq!(target("linux/arm64").verdict(&index.root), Verdict::Runs);
    assert_eq!(
        target("linux/s390x").verdict(&index.root),
        rejected("no s390x")
    );

    let (arm, _) = run(&reg, "app:arm").await;
    assert_eq!(target("lambda").verdict(&arm.root), rejected("no amd64"));
    assert_eq!(target("lambda").fitting(&arm.root), None);
    assert_eq!(target("lambda/arm64").verdict(&arm.root), Verdict::Runs);
    assert_eq!(
        target("linux/amd64").verdict(&arm.root),
        rejected("no amd64")
    );

    let (swapped, _) = run(&reg, "app:swapped").await;
    assert_eq!(
        target("linux/amd64").verdict(&swapped.root),
        rejected("mismatch")
    );
    assert_eq!(target("linux/amd64").fitting(&swapped.root), None);

    let (pruned, _) = run(&reg, "pruned:v1").await;
    assert_eq!(
        target("linux/arm64").verdict(&pruned.root),
        rejected("deleted child")
    );
    assert_eq!(target("linux/amd64").verdict(&pruned.root), Verdict::Runs);
}

/// A tree built once, then a child deleted: fetched again through the same fetcher, its digest
/// cache would still answer for it; `recheck` asks the registry (HEAD, its own round-trip kind),
/// marks it missing and makes the cache forget it.
#[tokio::test]
async fn recheck_finds_a_child_deleted_after_the_tree_was_built() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    let image = ImageRef::parse(&format!("{}/app:v1", reg.host)).expect("valid reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let built = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .expect("root fetched");
    let mut root = built.root.clone();
    assert_eq!(
        regscope::inspect::recheck(&fetcher, &image, &mut root).await,
        regscope::inspect::Rechecked::default(),
        "nothing deleted yet"
    );
    assert_eq!(root, built.root);

    reg.delete_manifest("app", ARM64);
    let before = fetcher.round_trips();
    let found = regscope::inspect::recheck(&fetcher, &image, &mut root).await;
    let after = fetcher.round_trips();
    assert_eq!(found.gone, 1);
    // Only HEADs: no manifest or blob is fetched again.
    assert!(after.head > before.head, "{after:?}");
    assert_eq!((after.manifest, after.blob), (before.manifest, before.blob));
    let arm = root.children.iter().find(|c| c.digest == ARM64).unwrap();
    assert_eq!(arm.kind, Kind::Missing);
    assert!(arm.children.is_empty());
    let findings = analysis::analyze(&root);
    assert_eq!(
        count(&findings, "dangling-reference"),
        1,
        "{:?}",
        codes(&findings)
    );
    // The cache forgot it: a fresh build through the same fetcher finds it missing too.
    let again = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .expect("root fetched");
    let arm = again
        .root
        .children
        .iter()
        .find(|c| c.digest == ARM64)
        .unwrap();
    assert_eq!(arm.kind, Kind::Missing);
}

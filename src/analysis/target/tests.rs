//! Tests of `analysis::target`: targets read, printed, and judging trees.

use std::collections::BTreeMap;

use super::*;
use crate::model::{Descriptor, Problem};

const INDEX: &str = "sha256:db8f2a6e0000000000000000000000000000000000000000000000000000f898";
const AMD64: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";
const ARM64: &str = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";

fn entry(kind: Kind, digest: &str, platform: &str) -> Node {
    let mut n = Node::from_descriptor(
        kind,
        &Descriptor {
            media_type: mt::OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 673,
            platform: Some(Platform::parse(platform).expect("platform")),
            annotations: BTreeMap::new(),
            artifact_type: None,
            urls: Vec::new(),
        },
    );
    if kind == Kind::Missing {
        n.problem = Some(Problem::Missing {
            detail: "MANIFEST_UNKNOWN".into(),
        });
    }
    n
}

fn index(children: Vec<Node>) -> Node {
    let mut n = Node::from_descriptor(
        Kind::Index,
        &Descriptor {
            media_type: mt::OCI_INDEX.into(),
            digest: INDEX.into(),
            size: 1607,
            platform: None,
            annotations: BTreeMap::new(),
            artifact_type: None,
            urls: Vec::new(),
        },
    );
    n.children = children;
    n
}

fn check(target: &str, root: &Node) -> Vec<Finding> {
    Target::parse(target).expect("target").check(root)
}

#[test]
fn cloud_targets_parse_print_and_cite_their_rules() {
    for t in [
        "cloudrun",
        "fargate",
        "fargate/arm64",
        "fargate/windows-2022",
        "k8s:amd64,arm64",
    ] {
        assert_eq!(Target::parse(t).expect(t).to_string(), t);
    }
    assert!(Target::parse("fargate/windows-2016").is_err());
    assert!(Target::parse("k8s:").is_err());
    let amd64_only = index(vec![entry(Kind::Manifest, AMD64, "linux/amd64")]);
    assert!(check("cloudrun", &amd64_only).is_empty());
    assert!(check("fargate", &amd64_only).is_empty());
    let found = check("fargate/arm64", &amd64_only);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("runtimePlatform.cpuArchitecture"),
        "{}",
        found[0].message
    );
    let found = check("k8s:amd64,arm64", &amd64_only);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].message.starts_with("linux/arm64 is not offered"));
    assert!(found[0].message.contains("kubernetes.io/arch"));
    let both = index(vec![
        entry(Kind::Manifest, AMD64, "linux/amd64"),
        entry(Kind::Manifest, ARM64, "linux/arm64"),
    ]);
    assert!(check("k8s:amd64,arm64", &both).is_empty());
    let arm_only = index(vec![entry(Kind::Manifest, ARM64, "linux/arm64")]);
    let found = check("cloudrun", &arm_only);
    assert!(found[0]
        .message
        .contains("Cloud Run's container runtime contract"));
    assert_eq!(
        Target::parse("cloudrun").expect("t").verdict(&arm_only),
        Verdict::Rejected("no amd64".into())
    );
}

#[test]
fn a_typo_is_refused_with_the_known_names_and_the_one_meant() {
    let e = Target::parse("linux/arm65").expect_err("no arm65");
    assert!(
        e.starts_with(
            "`linux/arm65`: unknown architecture `arm65` (did you mean `arm64`?); known: amd64, arm64,"
        ),
        "{e}"
    );
    let e = Target::parse("linux/arm64/v7").expect_err("arm64 has no v7");
    assert!(e.contains("the variants of arm64: v8, v9"), "{e}");
    let e = Target::parse("linux/arm/v8.1").expect_err("arm has no v8.1");
    assert!(e.contains("the variants of arm: v5, v6, v7, v8"), "{e}");
    let e = Target::parse("linx/amd64").expect_err("no linx");
    assert!(e.contains("did you mean `linux`?"), "{e}");
    let e = Target::parse("linux/x86_64").expect_err("an alias");
    assert!(e.contains("images call it `amd64`"), "{e}");
    let e = Target::parse("cloudrn").expect_err("a typo of a name");
    assert!(e.contains("did you mean `cloudrun`?"), "{e}");
    let e = Target::parse("lambda/arm65").expect_err("lambda typo");
    assert!(e.contains("did you mean `lambda/arm64`?"), "{e}");
    let e = Target::parse("k8s:amd64,arm65").expect_err("k8s typo");
    assert!(e.contains("did you mean `arm64`?"), "{e}");
    for ok in [
        "linux/arm64/v8.2",
        "linux/amd64/v3",
        "linux/riscv64",
        "windows/amd64",
    ] {
        assert!(Target::parse(ok).is_ok(), "{ok}");
    }
    for name in NAMES {
        assert!(Target::parse(name).is_ok(), "{name}");
    }
}

#[test]
fn an_error_on_what_would_run_rejects_and_one_elsewhere_does_not() {
    let root = index(vec![
        entry(Kind::Manifest, AMD64, "linux/amd64"),
        entry(Kind::Manifest, ARM64, "linux/arm64"),
    ]);
    let target = Target::parse("linux/amd64").expect("t");
    let on = |digest: &str| vec![Finding::new(Code::EntrypointMissing, digest, "no /bin/app")];
    assert_eq!(target.verdict_with(&root, &on(ARM64)), Verdict::Runs);
    assert_eq!(
        target.verdict_with(&root, &on(AMD64)),
        Verdict::Rejected("entrypoint-missing".into())
    );
    assert!(target.deployable(&root, &on(AMD64)).is_none());
    assert_eq!(
        target
            .deployable(&root, &on(ARM64))
            .map(|n| n.digest.as_str()),
        Some(INDEX)
    );
}

#[test]
fn fargate_windows_compares_the_os_version_build() {
    let mut win = entry(Kind::Manifest, AMD64, "windows/amd64");
    win.platform.as_mut().expect("p").os_version = Some("10.0.17763.5830".into());
    let root = index(vec![win.clone()]);
    let found = check("fargate/windows-2022", &root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].message.contains("10.0.20348") && found[0].message.contains("10.0.17763.5830")
    );
    assert!(found[0]
        .fix
        .as_deref()
        .is_some_and(|f| f.contains("ltsc2022")));
    assert!(check("fargate/windows-2019", &root).is_empty());
    let linux = index(vec![entry(Kind::Manifest, AMD64, "linux/amd64")]);
    assert_eq!(
        check("fargate/windows-2022", &linux)[0].code,
        Code::PlatformMissing
    );
}

#[test]
fn the_fix_for_a_missing_platform_keeps_every_platform_the_index_has() {
    let root = index(vec![
        entry(Kind::Manifest, AMD64, "linux/amd64"),
        entry(Kind::Manifest, ARM64, "linux/arm64"),
    ]);
    let found = check("linux/arm/v7", &root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, Code::PlatformMissing);
    assert!(
        found[0]
            .message
            .starts_with("linux/arm/v7 is not offered; the index has linux/amd64, linux/arm64;"),
        "{}",
        found[0].message
    );
    assert_eq!(
        found[0].fix.as_deref(),
        Some("Rebuild with the platforms the index has plus linux/arm/v7: `docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 --push ...`")
    );
}

#[test]
fn the_fix_for_a_single_platform_image_keeps_its_platform() {
    let mut image = entry(Kind::Manifest, AMD64, "linux/amd64");
    image.platform = None;
    let mut config = entry(Kind::Config, ARM64, "linux/amd64");
    config.config = Some(
        crate::model::config::summarize_config(
            br#"{"os":"linux","architecture":"amd64","config":{}}"#,
        )
        .expect("config"),
    );
    image.children = vec![config];
    let found = check("linux/arm/v7", &image);
    assert_eq!(found[0].code, Code::PlatformMissing);
    assert!(
        found[0]
            .fix
            .as_deref()
            .is_some_and(|f| f
                .contains("`docker buildx build --platform linux/amd64,linux/arm/v7 --push ...`")),
        "{:?}",
        found[0].fix
    );
}

#[test]
fn a_listed_platform_whose_manifest_is_gone_is_not_called_not_offered() {
    let root = index(vec![
        entry(Kind::Manifest, AMD64, "linux/amd64"),
        entry(Kind::Missing, ARM64, "linux/arm64"),
    ]);
    let found = check("linux/arm64", &root);
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f.code, Code::TargetIncompatible);
    assert_eq!(f.digest, ARM64, "about the entry that is gone");
    assert!(
        f.message.contains("lists linux/arm64 but its manifest")
            && f.message.contains("is gone from the registry")
            && f.message.contains("lifecycle policy")
            && f.message.contains("\"manifest unknown\"")
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

    // Another platform: not offered, and the rebuild keeps the one that is gone.
    let found = check("linux/s390x", &root);
    assert_eq!(found[0].code, Code::PlatformMissing);
    assert!(
        found[0]
            .message
            .contains("the index has linux/amd64, linux/arm64 (its manifest is gone);"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .fix
            .as_deref()
            .is_some_and(|x| x.contains("--platform linux/amd64,linux/arm64,linux/s390x ")),
        "{:?}",
        found[0].fix
    );
}

fn attestation(digest: &str, attests: &str, platform: &str) -> Node {
    let mut n = entry(Kind::Attestation, digest, "unknown/unknown");
    n.attests = Some(crate::model::Attests {
        digest: attests.into(),
        platform: Some(Platform::parse(platform).expect("platform")),
    });
    n
}

#[test]
fn lambda_names_each_attestation_entry_by_the_platform_registries_list() {
    const ATT: &str = "sha256:26da286bbc886aa14d191808db8fcbbd5d8ec68cf0047f954133e76d8e73d71c";
    let root = index(vec![
        entry(Kind::Manifest, AMD64, "linux/amd64"),
        entry(Kind::Manifest, ARM64, "linux/arm64"),
        attestation(ATT, AMD64, "linux/amd64"),
    ]);
    let found = check("lambda", &root);
    let digests: Vec<&str> = found.iter().map(|f| f.digest.as_str()).collect();
    assert_eq!(
        digests,
        [INDEX, ATT],
        "the index and the attestation, not arm64"
    );
    assert_eq!(found[1].code, Code::TargetIncompatible);
    assert!(
        found[1]
            .message
            .contains("listed as platform unknown/unknown")
            && found[1]
                .message
                .contains("attests linux/amd64 (sha256:da8b1906…)"),
        "{}",
        found[1].message
    );
    // Not Lambda: an attestation hinders no platform target.
    assert!(check("linux/amd64", &root).is_empty());
}

#[test]
fn a_deleted_child_the_target_would_pull_is_the_reason_even_for_lambda() {
    let root = index(vec![
        entry(Kind::Missing, AMD64, "linux/amd64"),
        entry(Kind::Manifest, ARM64, "linux/arm64"),
    ]);
    let lambda = Target::parse("lambda").expect("target");
    assert_eq!(
        lambda.verdict(&root),
        Verdict::Rejected("deleted child".into())
    );
    // lambda/arm64 pulls arm64, which is there: the index is the reason.
    assert_eq!(
        Target::parse("lambda/arm64").expect("t").verdict(&root),
        Verdict::Rejected("index".into())
    );
}

#[test]
fn an_image_whose_files_say_it_cannot_start_does_not_run() {
    let mut image = entry(Kind::Manifest, AMD64, "linux/amd64");
    let mut config = entry(Kind::Config, ARM64, "linux/amd64");
    config.config = Some(
        crate::model::config::summarize_config(
            br#"{"os":"linux","architecture":"amd64","config":{}}"#,
        )
        .expect("config"),
    );
    image.children = vec![config];
    let target = Target::parse("linux/amd64").expect("target");
    assert_eq!(target.judge(&image, &[]).verdict, Verdict::Runs);
    let loader = Finding::new(Code::EntrypointInterpreterMissing, AMD64, "no loader");
    let judged = target.judge(&image, std::slice::from_ref(&loader));
    assert_eq!(judged.verdict, Verdict::Rejected("cannot start".into()));
    assert!(
        judged.findings.is_empty(),
        "no target finding: the files say it"
    );
    // A CA bundle missing does not stop the start; a start failure elsewhere is not this one.
    let ca = Finding::new(Code::CaBundleMissing, AMD64, "no CA bundle");
    assert_eq!(target.judge(&image, &[ca]).verdict, Verdict::Runs);
    let other = Finding {
        digest: ARM64.into(),
        ..loader
    };
    assert_eq!(target.judge(&image, &[other]).verdict, Verdict::Runs);
}

#[test]
fn lambda_on_an_index_whose_platform_manifest_is_gone_says_so_instead_of_deploy_by_digest() {
    let root = index(vec![
        entry(Kind::Missing, AMD64, "linux/amd64"),
        entry(Kind::Manifest, ARM64, "linux/arm64"),
    ]);
    let found = check("lambda", &root);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0]
        .message
        .starts_with("AWS Lambda needs a single-platform"));
    assert!(
        !found[0].fix.as_deref().unwrap_or("").contains("by digest"),
        "the digest to deploy is gone: {:?}",
        found[0].fix
    );
    assert_eq!(found[1].digest, AMD64);
    assert!(
        found[1]
            .message
            .contains("lists linux/amd64 but its manifest")
            && found[1]
                .fix
                .as_deref()
                .is_some_and(|x| x.starts_with("Re-push the tag")),
        "{found:?}"
    );

    // lambda/arm64 can still be deployed by digest.
    let found = check("lambda/arm64", &root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].fix.as_deref().unwrap_or("").contains(ARM64),
        "{:?}",
        found[0].fix
    );
}

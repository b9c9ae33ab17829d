//! Config and in-toto decoding against real `docker buildx build` output (tests/fixtures/SOURCE.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use regscope::model::annotations::IN_TOTO_PREDICATE_TYPE;
use regscope::model::config::{summarize_config, DecodeError};
use regscope::model::intoto::{
    predicate_label, summarize_statement, ConfigSource, PredicateKind, StatementSummary, Vcs,
};
use serde_json::{json, Value};

const AMD64: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";
const ARM64: &str = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";
const ROOT_INDEX: &str = "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docker-attest")
}

fn blob(layout: &str, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").expect("sha256 digest");
    fs::read(fixtures().join(layout).join("blobs/sha256").join(hex)).expect("blob present")
}

fn json_blob(layout: &str, digest: &str) -> Value {
    serde_json::from_slice(&blob(layout, digest)).expect("JSON blob")
}

/// Every manifest blob in a layout (anything with a `layers` array), keyed by digest.
fn manifests(layout: &str) -> BTreeMap<String, Value> {
    let dir = fixtures().join(layout).join("blobs/sha256");
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("blobs dir") {
        let path = entry.expect("dir entry").path();
        let Ok(v) = serde_json::from_slice::<Value>(&fs::read(&path).expect("readable")) else {
            continue; // layer tarballs
        };
        if v.get("layers").is_some() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name");
            out.insert(format!("sha256:{name}"), v);
        }
    }
    out
}

/// The in-toto layers of every attestation manifest: (attestation manifest digest, layer
/// descriptor, decoded statement).
fn statements(layout: &str) -> Vec<(String, Value, StatementSummary)> {
    let mut out = Vec::new();
    for (digest, manifest) in manifests(layout) {
        for layer in manifest["layers"].as_array().into_iter().flatten() {
            if layer["mediaType"] == "application/vnd.in-toto+json" {
                let bytes = blob(layout, layer["digest"].as_str().expect("digest"));
                let summary = summarize_statement(&bytes).expect("real statement decodes");
                out.push((digest.clone(), layer.clone(), summary));
            }
        }
    }
    out
}

#[test]
fn platform_image_configs() {
    let amd64 = json_blob("unsigned-index", AMD64);
    let config = summarize_config(&blob(
        "unsigned-index",
        amd64["config"]["digest"].as_str().expect("config"),
    ))
    .expect("decodes");
    assert_eq!(config.platform_string(), "linux/amd64");
    assert_eq!(config.user, "");
    assert!(config.runs_as_root(), "no USER means root");
    assert_eq!(config.env_count, 1);
    assert_eq!(config.env_names, ["PATH"]);
    assert_eq!(config.working_dir.as_deref(), Some("/"));
    assert_eq!(
        (config.entrypoint.as_ref(), config.cmd.as_ref()),
        (None, None)
    );
    assert_eq!(
        config.created.as_deref(),
        Some("2024-03-08T16:42:30.065465358Z")
    );
    assert_eq!(
        (
            config.history_len,
            config.empty_layer_count,
            config.diff_id_count
        ),
        (1, 0, 1)
    );
    assert!(
        config.labels.is_empty() && config.exposed_ports.is_empty() && config.volumes.is_empty()
    );
    assert!(config.has_runtime_config);

    let arm64 = json_blob("unsigned-index", ARM64);
    let config = summarize_config(&blob(
        "unsigned-index",
        arm64["config"]["digest"].as_str().expect("config"),
    ))
    .expect("decodes");
    assert_eq!(config.platform_string(), "linux/arm64");
    assert_eq!(config.platform().os, "linux");
}

#[test]
fn containerd_config_with_nulls() {
    // containerd writes `"created": null` and `"diff_ids": null` for an image with no layers.
    let config = summarize_config(&blob(
        "containerd-subject-layout",
        "sha256:cbeaa84fb2fdfc8fd5e437555e94a323ac8acc69e68278d127cb4adf595f9d46",
    ))
    .expect("decodes");
    assert_eq!(config.platform_string(), "linux/arm64");
    assert_eq!(config.created, None);
    assert_eq!(
        (
            config.history_len,
            config.empty_layer_count,
            config.diff_id_count
        ),
        (1, 1, 0)
    );
}

#[test]
fn every_config_matches_its_manifest() {
    // How many image manifests (platform images and attestations) each layout holds: counted
    // first, so a fixture that parsed to nothing cannot pass the checks in the loop.
    for (layout, count) in [
        ("unsigned-index", 10),
        ("no-provenance-index", 4),
        ("unsigned-image", 1),
        ("containerd-subject-layout", 2),
    ] {
        let manifests = manifests(layout);
        assert_eq!(manifests.len(), count, "{layout}: {:?}", manifests.keys());
        for (digest, manifest) in manifests {
            let config = summarize_config(&blob(
                layout,
                manifest["config"]["digest"].as_str().expect("config"),
            ))
            .unwrap_or_else(|e| panic!("{layout} {digest}: {e}"));
            let layers = manifest["layers"].as_array().map_or(0, Vec::len);
            assert_eq!(
                config.diff_id_count, layers,
                "{layout} {digest}: one diff_id per layer"
            );
            let attestation = manifest["layers"][0]["mediaType"] == "application/vnd.in-toto+json";
            if attestation {
                // BuildKit's attestation config: `unknown/unknown` and an empty `config: {}`.
                assert_eq!(config.platform_string(), "unknown/unknown");
                assert_eq!(
                    (
                        config.history_len,
                        config.env_count,
                        config.created.as_deref()
                    ),
                    (0, 0, None)
                );
            } else {
                assert!(["linux/amd64", "linux/arm64"].contains(&config.platform_string().as_str()));
            }
        }
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one fixture, every statement in it checked in turn
fn buildkit_attestation_layers() {
    let index = json_blob("unsigned-index", ROOT_INDEX);
    let attests: BTreeMap<String, String> = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|m| {
            let target = m["annotations"]["vnd.docker.reference.digest"].as_str()?;
            Some((m["digest"].as_str()?.to_owned(), target.to_owned()))
        })
        .collect();
    assert_eq!(attests.len(), 2);

    let all = statements("unsigned-index");
    // 8 attestation manifests (the layout holds four index generations), SBOM + provenance each.
    assert_eq!(all.len(), 16);
    let mut seen_root_index_attestations = 0;
    for (manifest, layer, s) in &all {
        assert_eq!(s.statement_type, "https://in-toto.io/Statement/v0.1");
        assert_eq!(
            Some(s.predicate_type.as_str()),
            layer["annotations"][IN_TOTO_PREDICATE_TYPE].as_str()
        );
        assert_eq!(s.signed, None);
        assert_eq!(s.subjects.len(), 1);
        let subject = &s.subjects[0];
        assert!(
            [AMD64, ARM64].contains(&subject.digest.as_str()),
            "{}",
            subject.digest
        );
        let platform = if subject.digest == AMD64 {
            "linux%2Famd64"
        } else {
            "linux%2Farm64"
        };
        assert_eq!(
            subject.name,
            format!("pkg:docker/test-image@test?platform={platform}")
        );
        if let Some(target) = attests.get(manifest) {
            // The statement's subject is the manifest the index says is attested.
            assert_eq!(&subject.digest, target);
            seen_root_index_attestations += 1;
        }
        match &s.kind {
            PredicateKind::Spdx {
                spdx_version,
                name,
                package_count,
                file_count,
                creators,
                created,
            } => {
                assert_eq!(spdx_version.as_deref(), Some("SPDX-2.3"));
                assert_eq!(name.as_deref(), Some("sbom"));
                assert_eq!((*package_count, *file_count), (1, 0));
                assert_eq!(
                    creators,
                    &[
                        "Organization: Anchore, Inc",
                        "Tool: syft-v0.105.0",
                        "Tool: buildkit-v0.12.4"
                    ]
                );
                assert_eq!(created.as_deref(), Some("2024-03-08T16:42:30Z"));
                assert_eq!(s.one_line(), "SPDX SBOM, 1 package");
            }
            PredicateKind::SlsaProvenance02 {
                builder_id,
                build_type,
                config_source,
                frontend,
                build_args,
                materials,
                builder_platform,
                invocation_id,
                started_on,
                finished_on,
                reproducible,
                vcs,
            } => {
                // BuildKit leaves builder.id empty unless `builder-id=` is passed.
                assert_eq!(builder_id, "");
                assert_eq!(build_type, "https://mobyproject.org/buildkit@v1");
                assert_eq!(
                    config_source,
                    &ConfigSource {
                        uri: None,
                        digest: None,
                        entry_point: Some("Dockerfile".into())
                    }
                );
                assert_eq!(frontend.as_deref(), Some("dockerfile.v0"));
                assert!(build_args.is_empty(), "built without --build-arg");
                assert_eq!(materials.len(), 2);
                assert_eq!(
                    materials[0].uri,
                    "pkg:docker/docker/buildkit-syft-scanner@stable-1"
                );
                assert_eq!(
                    materials[0].digest,
                    "sha256:176e0869c38aeaede37e594fcf182c91d44391a932e1d71e99ec204873445a33"
                );
                assert!(materials[1]
                    .uri
                    .starts_with("pkg:docker/alpine@latest?platform=linux%2F"));
                // The arm64 image was cross-built on an amd64 builder.
                assert_eq!(builder_platform.as_deref(), Some("linux/amd64"));
                assert_eq!(invocation_id.as_ref().map(String::len), Some(25));
                assert!(started_on
                    .as_deref()
                    .is_some_and(|t| t.starts_with("2024-")));
                assert!(finished_on.is_some());
                assert_eq!(*reproducible, Some(false));
                // The VCS hint buildx sends for a local context; each build generation has its own commit.
                let Some(Vcs {
                    source: Some(source),
                    revision: Some(revision),
                }) = vcs
                else {
                    panic!("expected a VCS hint, got {vcs:?}");
                };
                assert_eq!(source, "git@github.com:docker/image-signer-verifier.git");
                assert!(
                    revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{revision}"
                );
                assert_eq!(
                    s.one_line(),
                    format!(
                        "SLSA provenance v0.2, built with BuildKit, \
                         source git@github.com:docker/image-signer-verifier.git@{} (unverified), 2 materials",
                        &revision[..12]
                    )
                );
            }
            other => panic!("unexpected predicate {other:?}"),
        }
    }
    assert_eq!(seen_root_index_attestations, 4);
}

#[test]
fn sbom_only_and_containerd_layouts() {
    let sboms = statements("no-provenance-index");
    assert_eq!(sboms.len(), 2);
    for (_, _, s) in &sboms {
        let PredicateKind::Spdx { creators, .. } = &s.kind else {
            panic!("expected SPDX, got {:?}", s.kind)
        };
        assert!(creators.iter().any(|c| c == "Tool: buildkit-v0.15.2"));
    }
    let containerd = statements("containerd-subject-layout");
    assert_eq!(containerd.len(), 1);
    let s = &containerd[0].2;
    assert_eq!(
        s.subjects[0].name,
        "pkg:docker/test@latest?platform=linux%2Farm64"
    );
    assert_eq!(
        s.subjects[0].digest,
        "sha256:e44a73ec811b0442dfcdd13a0eb035746d0569662684dafe2f3e8abe644871ec"
    );
    assert_eq!(s.one_line(), "SPDX SBOM, 1 package");
}

#[test]
fn dsse_envelope_around_slsa_v02() {
    let s = summarize_statement(
        &fs::read(fixtures().join("example_attestation.json")).expect("fixture"),
    )
    .expect("decodes");
    let signed = s.signed.as_ref().expect("came in an envelope");
    assert_eq!(signed.payload_type, "application/vnd.in-toto+json");
    assert_eq!(signed.signature_count, 1);
    assert_eq!(
        signed.key_ids,
        ["a0c296026645799b2a297913878e81b0aefff2a0c301e97232f717e14402f3e4"]
    );
    assert_eq!(s.predicate_type, "https://slsa.dev/provenance/v0.2");
    assert_eq!(s.subjects.len(), 1);
    assert_eq!(s.subjects[0].digest, ARM64);
    let PredicateKind::SlsaProvenance02 {
        build_type,
        invocation_id,
        materials,
        started_on,
        ..
    } = &s.kind
    else {
        panic!("expected SLSA v0.2, got {:?}", s.kind);
    };
    assert_eq!(build_type, "https://mobyproject.org/buildkit@v1");
    assert_eq!(invocation_id.as_deref(), Some("oufyhd0aciw714m1i5y6l09xz"));
    assert_eq!(
        started_on.as_deref(),
        Some("2024-04-19T16:25:04.209111656Z")
    );
    assert_eq!(
        materials[1].uri,
        "pkg:docker/alpine@latest?platform=linux%2Farm64"
    );
    assert!(s
        .one_line()
        .starts_with("SLSA provenance v0.2, built with BuildKit, "));
    assert!(
        s.one_line()
            .ends_with(", 2 materials, DSSE-signed (1 signature)"),
        "{}",
        s.one_line()
    );

    // The JSON form tags the predicate kind and uses camelCase.
    let v = serde_json::to_value(&s).expect("serialises");
    assert_eq!(v["kind"]["type"], "slsaProvenance02");
    assert_eq!(
        v["kind"]["buildType"],
        "https://mobyproject.org/buildkit@v1"
    );
    assert_eq!(v["signed"]["signatureCount"], 1);
}

#[test]
#[allow(clippy::too_many_lines)] // one statement, every field checked in turn
fn buildkit_slsa_v1() {
    // Shaped like BuildKit's v1 output (docs/attestations/slsa-definitions.md).
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": "pkg:docker/acme/app@1.0?platform=linux%2Farm64",
                     "digest": {"sha256": "aaaa"}}],
        "predicate": {
            "buildDefinition": {
                "buildType": "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
                "externalParameters": {
                    "configSource": {"uri": "https://github.com/acme/app.git#refs/tags/v1.0",
                                     "digest": {"sha1": "4b220de5058abfd01ff619c9d2ff6b09a049bea0"},
                                     "path": "Dockerfile"},
                    "request": {"frontend": "gateway.v0",
                                "args": {"build-arg:VERSION": "1.0", "source": "docker/dockerfile:1",
                                         "target": "release", "filename": "Dockerfile"},
                                "locals": []}
                },
                "internalParameters": {"builderPlatform": "linux/amd64"},
                "resolvedDependencies": [
                    {"uri": "pkg:docker/golang@1.22?platform=linux%2Famd64",
                     "digest": {"sha512": "cccc", "sha256": "bbbb"}},
                    {"uri": "https://github.com/acme/app.git#refs/tags/v1.0",
                     "digest": {"sha1": "4b220de5058abfd01ff619c9d2ff6b09a049bea0"}}
                ]
            },
            "runDetails": {
                "builder": {"id": "https://github.com/acme/app/actions/runs/42"},
                "metadata": {"invocationID": "rpv7a389uzil5lqmrgwhijwjz",
                             "startedOn": "2024-05-01T10:00:00Z", "finishedOn": "2024-05-01T10:05:00Z",
                             "buildkit_reproducible": true,
                             "buildkit_metadata": {"vcs": {"source": "https://github.com/acme/app"}}}
            }
        }
    });
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": STANDARD.encode(statement.to_string()),
        "signatures": [{"keyid": "", "sig": "MEUC"}, {"keyid": "k2", "sig": "MEYC"}]
    });
    let s = summarize_statement(envelope.to_string().as_bytes()).expect("decodes");
    let signed = s.signed.as_ref().expect("signed");
    assert_eq!(
        (signed.signature_count, signed.key_ids.as_slice()),
        (2, ["k2".to_owned()].as_slice())
    );
    assert_eq!(s.subjects[0].digest, "sha256:aaaa");
    let PredicateKind::SlsaProvenance1 {
        builder_id,
        config_source,
        frontend,
        build_args,
        external_parameters,
        resolved_dependencies,
        builder_platform,
        invocation_id,
        started_on,
        finished_on,
        reproducible,
        vcs,
        ..
    } = &s.kind
    else {
        panic!("expected SLSA v1, got {:?}", s.kind);
    };
    assert_eq!(builder_id, "https://github.com/acme/app/actions/runs/42");
    assert_eq!(
        config_source.digest.as_deref(),
        Some("sha1:4b220de5058abfd01ff619c9d2ff6b09a049bea0")
    );
    assert_eq!(config_source.entry_point.as_deref(), Some("Dockerfile"));
    assert_eq!(frontend.as_deref(), Some("gateway.v0"));
    assert_eq!(
        build_args.get("build-arg:VERSION").map(String::as_str),
        Some("1.0")
    );
    assert_eq!(
        build_args.get("source").map(String::as_str),
        Some("docker/dockerfile:1")
    );
    assert_eq!(external_parameters, &["configSource", "request"]);
    assert_eq!(
        resolved_dependencies[0].digest, "sha256:bbbb",
        "sha256 preferred over sha512"
    );
    assert_eq!(
        resolved_dependencies[1].digest,
        "sha1:4b220de5058abfd01ff619c9d2ff6b09a049bea0"
    );
    assert_eq!(builder_platform.as_deref(), Some("linux/amd64"));
    assert_eq!(invocation_id.as_deref(), Some("rpv7a389uzil5lqmrgwhijwjz"));
    assert_eq!(
        (started_on.as_deref(), finished_on.as_deref()),
        (Some("2024-05-01T10:00:00Z"), Some("2024-05-01T10:05:00Z"))
    );
    assert_eq!(*reproducible, Some(true));
    assert_eq!(
        vcs.as_ref().and_then(|v| v.source.as_deref()),
        Some("https://github.com/acme/app")
    );
    assert_eq!(
        s.one_line(),
        "SLSA provenance v1, built by https://github.com/acme/app/actions/runs/42, \
         source https://github.com/acme/app.git#refs/tags/v1.0, 2 dependencies, DSSE-signed (2 signatures)"
    );
}

#[test]
fn cyclonedx_and_other_predicates() {
    let bom = json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://cyclonedx.org/bom",
        "subject": [{"name": "app", "digest": {"sha256": "dd"}}],
        "predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5",
                      "components": [{"name": "a", "components": [{"name": "a1"}, {"name": "a2"}]},
                                     {"name": "b", "components": null}]}
    });
    let s = summarize_statement(bom.to_string().as_bytes()).expect("decodes");
    assert_eq!(
        s.kind,
        PredicateKind::CycloneDx {
            spec_version: Some("1.5".into()),
            component_count: 4
        }
    );
    assert_eq!(s.one_line(), "CycloneDX 1.5 SBOM, 4 components");

    let vex = json!({"_type": "https://in-toto.io/Statement/v1",
                     "predicateType": "https://openvex.dev/ns/v0.2.0", "subject": [], "predicate": {}});
    let s = summarize_statement(vex.to_string().as_bytes()).expect("decodes");
    assert_eq!(
        s.kind,
        PredicateKind::Other {
            predicate_type: "https://openvex.dev/ns/v0.2.0".into()
        }
    );
    assert_eq!(s.one_line(), "OpenVEX");
    assert_eq!(
        predicate_label("https://in-toto.io/attestation/vulns"),
        Some("vulnerability scan")
    );
    let custom = json!({"predicateType": "https://example.com/scan/v3", "predicate": {}});
    let s = summarize_statement(custom.to_string().as_bytes()).expect("decodes");
    assert_eq!(s.one_line(), "attestation https://example.com/scan/v3");
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for bad in [
        &b"not json"[..],
        b"",
        b"\x00\xff",
        b"{\"_type\":",
        b"[1,2]",
        b"\"str\"",
        b"42",
        b"null",
    ] {
        assert!(summarize_config(bad).is_err(), "{bad:?}");
        assert!(summarize_statement(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        summarize_statement(b"[]"),
        Err(DecodeError::NotAnObject { found: "an array" })
    );
    assert_eq!(
        summarize_statement(b"[]").map_err(|e| e.to_string()),
        Err("the blob is JSON but not an object (it is an array)".to_owned())
    );
    // A config where every field has the wrong type still summarises.
    let weird = json!({"os": [], "architecture": {}, "variant": 1, "os.features": "x", "config": [],
                       "history": [null, 1, {"empty_layer": "true"}], "rootfs": "layers", "created": 5});
    let c = summarize_config(weird.to_string().as_bytes()).expect("tolerated");
    assert_eq!(
        (
            c.platform_string().as_str(),
            c.history_len,
            c.empty_layer_count
        ),
        ("?/?", 3, 0)
    );
    assert!(!c.has_runtime_config);

    // Every prefix and a byte-flipped copy of real blobs: errors or summaries, never panics.
    let envelope = fs::read(fixtures().join("example_attestation.json")).expect("fixture");
    let config = blob(
        "containerd-subject-layout",
        "sha256:cbeaa84fb2fdfc8fd5e437555e94a323ac8acc69e68278d127cb4adf595f9d46",
    );
    for input in [&envelope, &config] {
        for end in (0..input.len()).step_by(7) {
            let _ = summarize_statement(&input[..end]);
            let _ = summarize_config(&input[..end]);
        }
        for i in (0..input.len()).step_by(13) {
            let mut flipped = input.clone();
            flipped[i] ^= 0x20;
            let _ = summarize_statement(&flipped);
            let _ = summarize_config(&flipped);
        }
    }
    // Deep nesting hits serde_json's recursion limit and comes back as an error.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(matches!(
        summarize_statement(deep.as_bytes()),
        Err(DecodeError::Json(_))
    ));
}

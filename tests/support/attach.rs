//! Seeding attachments the ways signing tools store them, on registries without the referrers
//! API: cosign's `sha256-<hex>.sig` tags and OCI 1.1 artifacts with a `subject` listed in a
//! `sha256-<hex>` index (the referrers tag schema, as cosign v3 and notation push them).

use serde_json::json;

use super::{sha256_digest, TestRegistry, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST};

pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SPDX_JSON: &str = "application/spdx+json";

/// The `sha256-<hex>` tag of `digest`.
pub fn schema_tag(digest: &str) -> String {
    format!("sha256-{}", digest.trim_start_matches("sha256:"))
}

/// A cosign simple-signing payload for `digest`.
pub fn simple_signing(reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": null
    }))
    .unwrap_or_default()
}

/// Pushes a cosign signature of `subject` as cosign v2 does: a manifest whose layer is the
/// simple-signing payload, tagged `sha256-<hex>.sig`. `annotations` go on the layer (the
/// signature, a certificate, a Rekor bundle). Returns the manifest's digest.
pub fn push_cosign_signature(
    reg: &TestRegistry,
    repo: &str,
    subject: &str,
    annotations: &serde_json::Value,
) -> String {
    // Signed where it was built; a promotion copies it byte for byte (`cosign copy`).
    let payload = simple_signing(&format!("registry.internal:5000/{repo}"), subject);
    let mut layer_annotations =
        json!({"dev.cosignproject.cosign/signature": "MEUCIQD-not-a-real-signature"});
    if let (Some(extra), Some(base)) = (annotations.as_object(), layer_annotations.as_object_mut())
    {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    push_cosign_layers(reg, repo, subject, &[(payload, layer_annotations)])
}

/// Pushes a cosign signature manifest on `subject`'s `.sig` tag with one layer per
/// `(payload, annotations)` (cosign adds a layer per signature). Returns its digest.
pub fn push_cosign_layers(
    reg: &TestRegistry,
    repo: &str,
    subject: &str,
    layers: &[(Vec<u8>, serde_json::Value)],
) -> String {
    push_cosign_manifest(reg, repo, subject, ("sig", COSIGN_SIMPLE_SIGNING), layers)
}

/// Pushes a cosign manifest on `subject`'s `.<suffix>` tag (`sig`, `att`) with one layer per
/// `(payload, annotations)`, of the media type that tag holds. Returns its digest.
pub fn push_cosign_layers_as(
    reg: &TestRegistry,
    repo: &str,
    subject: &str,
    suffix: &str,
    layers: &[(Vec<u8>, serde_json::Value)],
) -> String {
    let media_type = if suffix == "att" {
        DSSE_ENVELOPE
    } else {
        COSIGN_SIMPLE_SIGNING
    };
    push_cosign_manifest(reg, repo, subject, (suffix, media_type), layers)
}

/// Pushes cosign attestations of `subject` as cosign v2 does: a manifest on the `.att` tag
/// whose layers are DSSE envelopes (the signature inside each). Returns its digest.
pub fn push_cosign_attestations(
    reg: &TestRegistry,
    repo: &str,
    subject: &str,
    envelopes: &[Vec<u8>],
) -> String {
    let layers: Vec<(Vec<u8>, serde_json::Value)> = envelopes
        .iter()
        .map(|e| {
            (
                e.clone(),
                json!({"dev.cosignproject.cosign/signature": "", "predicateType": "https://slsa.dev/provenance/v0.2"}),
            )
        })
        .collect();
    push_cosign_manifest(reg, repo, subject, ("att", DSSE_ENVELOPE), &layers)
}

/// An in-toto statement about `digest` with `predicate_type`.
pub fn statement(digest: &str, predicate_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "registry.internal:5000/team/app", "digest": {"sha256": digest.trim_start_matches("sha256:")}}],
        "predicateType": predicate_type,
        "predicate": {"builder": {"id": "https://ci.example/builder"}},
    }))
    .unwrap_or_default()
}

pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";

fn push_cosign_manifest(
    reg: &TestRegistry,
    repo: &str,
    subject: &str,
    (suffix, media_type): (&str, &str),
    layers: &[(Vec<u8>, serde_json::Value)],
) -> String {
    let config = br#"{"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = reg.put_blob(repo, config);
    let layers: Vec<serde_json::Value> = layers
        .iter()
        .map(|(payload, annotations)| {
            let digest = reg.put_blob(repo, payload);
            json!({"mediaType": media_type, "digest": digest, "size": payload.len(), "annotations": annotations})
        })
        .collect();
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": layers
    });
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    reg.put_manifest(
        repo,
        &format!("{}.{suffix}", schema_tag(subject)),
        OCI_MANIFEST,
        &bytes,
    )
}

/// An OCI 1.1 artifact about `subject` (by digest, media type and size), pushed by digest.
/// Returns `(digest, size)`.
pub fn push_artifact(
    reg: &TestRegistry,
    repo: &str,
    subject: (&str, &str, usize),
    artifact_type: &str,
    layer_media_type: &str,
    payload: &[u8],
) -> (String, usize) {
    let empty = reg.put_blob(repo, b"{}");
    let layer = reg.put_blob(repo, payload);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
        "config": {"mediaType": OCI_EMPTY, "digest": empty, "size": 2},
        "layers": [{"mediaType": layer_media_type, "digest": layer, "size": payload.len()}],
        "subject": {"mediaType": subject.1, "digest": subject.0, "size": subject.2}
    });
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    let digest = reg.put_manifest(repo, &sha256_digest(&bytes), OCI_MANIFEST, &bytes);
    (digest, bytes.len())
}

/// Tags `sha256-<hex>` of `subject` with an index listing `referrers` (`(digest, size,
/// artifactType)`), as the referrers tag schema does.
pub fn push_schema_index(
    reg: &TestRegistry,
    repo: &str,
    subject: &str,
    referrers: &[(String, usize, String)],
) {
    let index = json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": referrers.iter().map(|(d, s, t)| json!({
            "mediaType": OCI_MANIFEST, "digest": d, "size": s, "artifactType": t
        })).collect::<Vec<_>>()
    });
    reg.put_manifest(
        repo,
        &schema_tag(subject),
        OCI_INDEX,
        &serde_json::to_vec(&index).unwrap_or_default(),
    );
}

/// An SPDX 2.3 document with `packages` packages, made by `generator`.
pub fn spdx(packages: usize, generator: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "app",
        "creationInfo": {"creators": [format!("Tool: {generator}")], "created": "2026-11-01T00:00:00Z"},
        "packages": (0..packages).map(|i| json!({"name": format!("pkg{i}"), "SPDXID": format!("SPDXRef-{i}")})).collect::<Vec<_>>()
    }))
    .unwrap_or_default()
}

/// The fixture index's entries: `(digest, mediaType, size, architecture)`.
pub fn fixture_entries() -> Vec<(String, String, usize, String)> {
    fixture_index()["manifests"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| {
            (
                m["digest"].as_str().unwrap_or_default().to_string(),
                m["mediaType"].as_str().unwrap_or_default().to_string(),
                usize::try_from(m["size"].as_u64().unwrap_or_default()).unwrap_or_default(),
                m["platform"]["architecture"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// The fixture image at `repo:tag` with a cosign signature of the index (`.sig` tag) and an
/// SBOM of its amd64 manifest (listed in the `sha256-<hex>` index).
pub fn seed_signed(reg: &TestRegistry, repo: &str, tag: &str) {
    reg.seed_fixture("unsigned-index", &format!("{repo}:{tag}"));
    let root = super::layout_root_digest(&super::fixture("unsigned-index"));
    push_cosign_signature(reg, repo, &root, &json!({}));
    let Some((amd, amd_mt, amd_size, _)) = fixture_entries().into_iter().find(|e| e.3 == "amd64")
    else {
        panic!("the fixture has an amd64 manifest");
    };
    let (sbom, size) = push_artifact(
        reg,
        repo,
        (&amd, &amd_mt, amd_size),
        SPDX_JSON,
        SPDX_JSON,
        &spdx(2, "syft-1.0"),
    );
    push_schema_index(reg, repo, &amd, &[(sbom, size, SPDX_JSON.into())]);
}

/// The bytes of the fixture's root index, exactly as stored (pushing them keeps the digest).
pub fn fixture_index_bytes() -> Vec<u8> {
    let dir = super::fixture("unsigned-index");
    super::layout_blob(&dir, &super::layout_root_digest(&dir))
}

/// The fixture's root index, parsed.
pub fn fixture_index() -> serde_json::Value {
    serde_json::from_slice(&fixture_index_bytes()).unwrap_or_default()
}

/// A throw-away signing key made with `openssl`, the way `cosign generate-key-pair` would
/// hold one: the private key for the test, the public key (PEM SPKI) for `--key`.
pub struct SigningKey {
    pub private: std::path::PathBuf,
    pub public: std::path::PathBuf,
    pub kind: KeyKind,
}

/// The kinds of key cosign signs with.
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    P256,
    P384,
    Ed25519,
    Rsa,
}

/// Runs openssl, failing the test with its stderr when it fails; its stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl SigningKey {
    /// Generates a key of `kind` in `dir` under `name`.
    pub fn generate(dir: &std::path::Path, name: &str, kind: KeyKind) -> Self {
        let private = dir.join(format!("{name}.key"));
        let public = dir.join(format!("{name}.pub"));
        let p = private.display().to_string();
        let genpkey: &[&str] = match kind {
            KeyKind::P256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyKind::P384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeyKind::Ed25519 => &["-algorithm", "ed25519"],
            KeyKind::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        };
        let mut args = vec!["genpkey"];
        args.extend_from_slice(genpkey);
        args.extend(["-out", &p]);
        openssl(&args);
        openssl(&[
            "pkey",
            "-in",
            &p,
            "-pubout",
            "-out",
            &public.display().to_string(),
        ]);
        Self {
            private,
            public,
            kind,
        }
    }

    /// The base64 signature of `payload`, as cosign puts it in its annotation.
    pub fn sign(&self, payload: &[u8]) -> String {
        use base64::Engine as _;
        let dir = self.private.parent().expect("dir");
        let input = dir.join("payload.bin");
        std::fs::write(&input, payload).expect("payload");
        let (k, i) = (
            self.private.display().to_string(),
            input.display().to_string(),
        );
        let signature = match self.kind {
            KeyKind::Ed25519 => openssl(&["pkeyutl", "-sign", "-inkey", &k, "-rawin", "-in", &i]),
            KeyKind::P384 => openssl(&["dgst", "-sha384", "-sign", &k, &i]),
            KeyKind::P256 | KeyKind::Rsa => openssl(&["dgst", "-sha256", "-sign", &k, &i]),
        };
        base64::engine::general_purpose::STANDARD.encode(signature)
    }

    /// A DSSE envelope around `statement` whose signature is this key's over `signed` (the
    /// statement itself, unless a test tampers with it).
    pub fn envelope(&self, statement: &[u8], signed: &[u8]) -> Vec<u8> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let t = "application/vnd.in-toto+json";
        let mut pae = format!("DSSEv1 {} {t} {} ", t.len(), signed.len()).into_bytes();
        pae.extend_from_slice(signed);
        serde_json::to_vec(&json!({
            "payloadType": t,
            "payload": b64.encode(statement),
            "signatures": [{"keyid": "", "sig": self.sign(&pae)}],
        }))
        .unwrap_or_default()
    }

    /// A cosign layer: `payload` with this key's signature of it.
    pub fn layer(&self, payload: &[u8]) -> (Vec<u8>, serde_json::Value) {
        (
            payload.to_vec(),
            json!({"dev.cosignproject.cosign/signature": self.sign(payload)}),
        )
    }
}

/// The repository the public-good signature fixture is pushed to.
pub const PUBLIC_GOOD_REPO: &str = "salrashid123/server_image";
/// The GitHub Actions workflow that signed it (the certificate's URI name).
pub const PUBLIC_GOOD_IDENTITY: &str =
    "https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/release.yaml@refs/tags/v0.0.30";
/// The OIDC issuer in its certificate.
pub const PUBLIC_GOOD_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// A real image's real keyless cosign signature from Sigstore's public good instance
/// (tests/data/sigstore-public-good, see its SOURCE.md) into `reg`: the signature manifest
/// (its config and payload blobs, the annotations verbatim) under `sha256-<hex>.sig` through
/// the API, and the image's index under `server`, placed in the storage (its two platform
/// manifests are not available). Returns the index digest.
pub fn seed_public_good_signature(reg: &TestRegistry) -> String {
    let data =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore-public-good");
    let read = |name: &str| std::fs::read(data.join(name)).expect("public-good fixture");
    let config = reg.put_blob(PUBLIC_GOOD_REPO, &read("config.json"));
    let payload = reg.put_blob(PUBLIC_GOOD_REPO, &read("payload.json"));
    let manifest = read("signature-manifest.json");
    let parsed: serde_json::Value = serde_json::from_slice(&manifest).expect("manifest");
    assert_eq!(parsed["config"]["digest"], config.as_str(), "config bytes");
    assert_eq!(
        parsed["layers"][0]["digest"],
        payload.as_str(),
        "payload bytes"
    );
    let index = reg.place_manifest(PUBLIC_GOOD_REPO, "server", &read("index.json"));
    assert_eq!(
        index, "sha256:c05263d2ff654c3a94243662440913f045075d59c436e2c69e9145ec2b87a321",
        "the index bytes are the image's"
    );
    reg.put_manifest(
        PUBLIC_GOOD_REPO,
        &format!("{}.sig", schema_tag(&index)),
        OCI_MANIFEST,
        &manifest,
    );
    index
}

//! Media types regscope knows by name, and what each one is.

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const OCI_ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";
/// The payload of a cosign signature (its simple-signing JSON), read by attachments and verify.
pub const COSIGN_SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_V1_SIGNED: &str =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const DOCKER_MANIFEST_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
pub const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";
/// The `artifactType` newer `BuildKit` gives attestation manifests that carry a `subject`.
pub const DOCKER_ATTESTATION_ARTIFACT: &str = "application/vnd.docker.attestation.manifest.v1+json";

/// Everything we ask a registry for when fetching a manifest; without the index types
/// distribution 2.8 answers 404 for an index.
pub const MANIFEST_ACCEPT: &[&str] = &[
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_ARTIFACT_MANIFEST,
];

#[must_use]
pub fn is_index(mt: &str) -> bool {
    mt == OCI_INDEX || mt == DOCKER_LIST
}

#[must_use]
pub fn is_image_manifest(mt: &str) -> bool {
    mt == OCI_MANIFEST || mt == DOCKER_MANIFEST || mt == OCI_ARTIFACT_MANIFEST
}

#[must_use]
pub fn is_docker(mt: &str) -> bool {
    mt.starts_with("application/vnd.docker.distribution.")
}

#[must_use]
pub fn is_oci(mt: &str) -> bool {
    mt.starts_with("application/vnd.oci.image.")
}

/// A short human name: "OCI image index", "Docker manifest list", ...
#[must_use]
pub fn describe(mt: &str) -> String {
    match mt {
        OCI_INDEX => "OCI image index".into(),
        OCI_MANIFEST => "OCI manifest".into(),
        OCI_CONFIG => "OCI config".into(),
        OCI_EMPTY => "empty".into(),
        OCI_ARTIFACT_MANIFEST => "OCI artifact manifest".into(),
        DOCKER_LIST => "Docker manifest list".into(),
        DOCKER_MANIFEST => "Docker v2 manifest".into(),
        DOCKER_CONFIG => "Docker config".into(),
        IN_TOTO => "in-toto".into(),
        DSSE_ENVELOPE => "DSSE envelope".into(),
        "" => "no media type".into(),
        other => describe_layer(other).unwrap_or_else(|| other.to_string()),
    }
}

/// "tar+gzip", "tar+zstd", ... for layer media types, `None` for anything else.
#[must_use]
pub fn describe_layer(mt: &str) -> Option<String> {
    let suffix = mt
        .strip_prefix("application/vnd.oci.image.layer.")
        .or_else(|| mt.strip_prefix("application/vnd.docker.image.rootfs."))?;
    let suffix = suffix
        .trim_start_matches("v1.")
        .trim_start_matches("nondistributable.v1.");
    let suffix = suffix
        .replace("diff.tar", "tar")
        .replace("foreign.", "foreign ");
    Some(suffix)
}

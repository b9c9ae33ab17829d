//! Annotation keys (and the values regscope looks for) that `BuildKit` and the OCI spec define.

/// Annotation `BuildKit` puts on the attestation entries of an index.
pub const REFERENCE_TYPE: &str = "vnd.docker.reference.type";
/// The [`REFERENCE_TYPE`] value that marks an attestation manifest.
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";
/// Annotation naming the manifest an attestation is about.
pub const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

/// The layer annotation `BuildKit` sets on each in-toto layer of an attestation manifest.
pub const IN_TOTO_PREDICATE_TYPE: &str = "in-toto.io/predicate-type";

/// The name (usually the tag) of an entry of an OCI image layout's `index.json`.
pub const OCI_REF_NAME: &str = "org.opencontainers.image.ref.name";

//! Findings: stable codes, severities, a message and a fix.

use std::fmt;

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "`{other}` is not a severity (info, warning, error)"
            )),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Stable finding identifiers; the JSON output uses exactly these strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    AttestationManifest,
    UnknownPlatformEntry,
    PlatformMismatch,
    PlatformDuplicate,
    PlatformInvalid,
    PlatformMissing,
    DanglingReference,
    DigestMismatch,
    ReferenceCycle,
    MediaTypeMixed,
    RunsAsRoot,
    TargetIncompatible,
    /// Content that could not be read (not JSON, wrong shape, malformed digest).
    MalformedContent,
    /// Content over the size cap, refused unread.
    ContentTooLarge,
    /// A child could not be fetched (5xx, timeout, rate limit): it was not checked.
    FetchFailed,
    /// Lambda on ECR: the repository is in another region than the function.
    EcrRegionMismatch,
    /// Lambda on ECR: the image is named by the FIPS registry host.
    EcrFipsHost,
    /// The tree was cut: too deep, or too many nodes (a hostile or broken registry).
    TreeCut,
    /// The same index appears more than once in the tree; it is expanded once.
    RepeatedIndex,
    /// A `sha256-<hex>` attachment tag whose subject the registry no longer has.
    AttachmentOrphaned,
    /// The entrypoint (or cmd) names a file the image does not have.
    EntrypointMissing,
    /// The entrypoint's loader (`PT_INTERP`) or shebang interpreter is not in the image.
    EntrypointInterpreterMissing,
    /// The entrypoint is an ELF for another machine than the config's architecture.
    EntrypointArchMismatch,
    /// No CA bundle at the usual paths: TLS clients in the image cannot verify servers.
    CaBundleMissing,
    /// The configured USER is a name the image's `/etc/passwd` does not have: the start fails.
    UserMissing,
    /// A layer could not be read whole (a bound, or bad bytes): file findings are partial.
    FilesPartial,
    /// Layers waste more space than `check --max-wasted`, or score below `--min-efficiency`
    /// (dive's figures).
    WastedSpace,
    /// A cosign signature attached to one image whose payload names another image's digest.
    SignatureOtherImage,
    /// A signature policy in the config file matches, and no signature of the image verifies.
    SignatureUnverified,
}

impl Code {
    pub const ALL: [Code; 29] = [
        Code::AttestationManifest,
        Code::UnknownPlatformEntry,
        Code::PlatformMismatch,
        Code::PlatformDuplicate,
        Code::PlatformInvalid,
        Code::PlatformMissing,
        Code::DanglingReference,
        Code::DigestMismatch,
        Code::ReferenceCycle,
        Code::MediaTypeMixed,
        Code::RunsAsRoot,
        Code::TargetIncompatible,
        Code::MalformedContent,
        Code::ContentTooLarge,
        Code::FetchFailed,
        Code::EcrRegionMismatch,
        Code::EcrFipsHost,
        Code::TreeCut,
        Code::RepeatedIndex,
        Code::AttachmentOrphaned,
        Code::EntrypointMissing,
        Code::EntrypointInterpreterMissing,
        Code::EntrypointArchMismatch,
        Code::CaBundleMissing,
        Code::UserMissing,
        Code::FilesPartial,
        Code::WastedSpace,
        Code::SignatureOtherImage,
        Code::SignatureUnverified,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Code::AttestationManifest => "attestation-manifest",
            Code::UnknownPlatformEntry => "unknown-platform-entry",
            Code::PlatformMismatch => "platform-mismatch",
            Code::PlatformDuplicate => "platform-duplicate",
            Code::PlatformInvalid => "platform-invalid",
            Code::PlatformMissing => "platform-missing",
            Code::DanglingReference => "dangling-reference",
            Code::DigestMismatch => "digest-mismatch",
            Code::ReferenceCycle => "reference-cycle",
            Code::MediaTypeMixed => "media-type-mixed",
            Code::RunsAsRoot => "runs-as-root",
            Code::TargetIncompatible => "target-incompatible",
            Code::MalformedContent => "malformed-content",
            Code::ContentTooLarge => "content-too-large",
            Code::FetchFailed => "fetch-failed",
            Code::EcrRegionMismatch => "ecr-region-mismatch",
            Code::EcrFipsHost => "ecr-fips-host",
            Code::TreeCut => "tree-cut",
            Code::RepeatedIndex => "repeated-index",
            Code::AttachmentOrphaned => "attachment-orphaned",
            Code::EntrypointMissing => "entrypoint-missing",
            Code::EntrypointInterpreterMissing => "entrypoint-interpreter-missing",
            Code::EntrypointArchMismatch => "entrypoint-arch-mismatch",
            Code::CaBundleMissing => "ca-bundle-missing",
            Code::UserMissing => "user-missing",
            Code::FilesPartial => "files-partial",
            Code::WastedSpace => "wasted-space",
            Code::SignatureOtherImage => "signature-other-image",
            Code::SignatureUnverified => "signature-unverified",
        }
    }

    #[must_use]
    pub fn severity(self) -> Severity {
        match self {
            Code::AttestationManifest
            | Code::UnknownPlatformEntry
            | Code::RunsAsRoot
            | Code::RepeatedIndex
            | Code::CaBundleMissing => Severity::Info,
            Code::PlatformDuplicate
            | Code::PlatformInvalid
            | Code::MediaTypeMixed
            | Code::FetchFailed
            | Code::EcrRegionMismatch
            | Code::EcrFipsHost
            | Code::TreeCut
            | Code::AttachmentOrphaned
            | Code::FilesPartial
            // Waste never stops an image running: `check` fails on it by its own thresholds.
            | Code::WastedSpace
            | Code::SignatureUnverified => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl Code {
    /// Whether the finding means the container fails when it starts (the files say so): an
    /// image with one of these does not run, whatever the platform.
    #[must_use]
    pub fn stops_start(self) -> bool {
        matches!(
            self,
            Code::EntrypointMissing
                | Code::EntrypointInterpreterMissing
                | Code::EntrypointArchMismatch
                | Code::UserMissing
        )
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing worth telling the user about a node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The node this is about.
    pub digest: String,
    pub message: String,
    /// What to do about it, when there is something to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub fn new(code: Code, digest: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            digest: digest.into(),
            message: message.into(),
            fix: None,
        }
    }

    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

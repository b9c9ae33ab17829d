//! Signatures checked, not just read: each cosign simple-signing signature of a tree verified
//! with a public key (`cosign verify --key`) or keylessly against a Sigstore trusted root
//! ([`keyless`]), each notation signature (JWS or COSE) under notation's trust policy and trust
//! store ([`notation`], [`cose`], [`trustpolicy`]), with the reason when it does not verify; a
//! policy may list several of these, each signature judged by the one of its kind ([`policy`]).
//!
//! Pure over a tree already fetched: the signature layers' bytes are in it (read within the
//! blob cap, by digest), so verifying costs no request of its own.

pub mod bundle;
pub mod cose;
pub mod dsse;
pub mod envelope;
pub mod key;
pub mod keyed;
pub mod keyless;
pub mod merkle;
pub mod notation;
pub mod policy;
#[cfg(test)]
mod real_data;
pub mod rekor;
pub mod sct;
pub mod signer;
pub mod trust;
pub mod trustpolicy;
pub mod tsa;

use base64::Engine as _;
use serde::Serialize;

/// The CBOR reader COSE envelopes are read with (it lives with the payload decoders, which read
/// a COSE envelope's signer too).
pub use crate::model::cbor;
pub use key::{Algorithm, KeyError, PublicKey};
pub use policy::{Kinds, Verifiers};
pub use signer::Signer;

use crate::digest::short;
use crate::model::media_type::COSIGN_SIMPLE_SIGNING;
use crate::model::payload::Payload;
use crate::model::{Kind, Node};
use crate::sanitize::sanitize;

/// cosign's annotation on a signature layer: the base64 signature of the layer's bytes.
pub const COSIGN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// Signature annotations longer than this are not decoded (an RSA-8192 signature is 1,368
/// base64 characters).
pub const MAX_SIGNATURE_CHARS: usize = 4096;

/// Why a signature does not satisfy the key; each says what a user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// The bytes and the signature do not match under this key. Cryptography cannot tell a
    /// changed payload from another key's signature: both are said.
    #[error("the signature does not verify with this key: the payload was changed after signing, or another key signed it")]
    BadSignature,
    #[error("signs {signed}, not this image")]
    OtherImage { signed: String },
    #[error("the layer has no signature (no `{COSIGN_SIGNATURE}` annotation)")]
    NoSignature,
    #[error(
        "the signature annotation is not base64, or longer than {MAX_SIGNATURE_CHARS} characters"
    )]
    SignatureEncoding,
    #[error("the payload verifies but is not a cosign simple-signing document (no `critical.image.docker-manifest-digest`)")]
    NotSimpleSigning,
    #[error("the payload could not be read from the registry")]
    Unreadable,
    #[error("the attestation layer is not a DSSE envelope (`payloadType`, base64 `payload`, `signatures`)")]
    NotDsse,
    #[error("the envelope's signature verifies but its payload is not an in-toto statement")]
    NotInToto,
    #[error("the layer is not a Sigstore bundle (JSON with `dsseEnvelope` or `messageSignature`)")]
    NotBundle,
    /// A signature of a kind this version does not verify (Sigstore bundles, notation).
    #[error("{0} is not verified by regscope yet; check it with `{1}`")]
    NotSupported(String, &'static str),
    #[error("the signature has no Fulcio certificate (`{}`): it was made with a key; verify it with --key", crate::model::payload::COSIGN_CERTIFICATE)]
    NoCertificate,
    #[error("the certificate annotation is not a PEM X.509 certificate")]
    BadCertificate,
    #[error("the certificate is not for code signing (no `codeSigning` extended key usage, which Fulcio's certificates carry)")]
    NotCodeSigning,
    #[error("the certificate was issued by {issuer}, which is no Fulcio certificate authority of {root}; give the root that trusts it with --trusted-root FILE")]
    UntrustedRoot { issuer: String, root: String },
    #[error("the certificate was not valid at signing time: logged at {signed_at}, valid from {not_before} to {not_after}")]
    ExpiredAtSigning {
        signed_at: String,
        not_before: String,
        not_after: String,
    },
    #[error("identity {identity}, policy wants {wanted}")]
    IdentityMismatch { identity: String, wanted: String },
    #[error("issuer {issuer}, policy wants {wanted}")]
    IssuerMismatch { issuer: String, wanted: String },
    #[error("no transparency-log entry: the signature has no Rekor bundle (`{}`), so nothing proves when it was made", crate::model::payload::COSIGN_BUNDLE)]
    NoLogEntry,
    #[error("the Sigstore bundle has no certificate (`verificationMaterial.certificate`): it was made with a key; verify it with --key")]
    BundleNoCertificate,
    #[error("no transparency-log entry: the Sigstore bundle's `verificationMaterial.tlogEntries` is empty, so nothing proves when it was made")]
    BundleNoLogEntry,
    /// A keyed signature without an entry, under a policy that requires one.
    #[error("no transparency-log entry in the signature, and the policy requires one (--require-tlog, `require_tlog = true`); sign with `cosign sign --key` and its log upload on")]
    KeyNoLogEntry,
    #[error("bad inclusion proof: {0}")]
    BadInclusionProof(String),
    #[error("bad Rekor SET: {0}")]
    BadSet(String),
    #[error("the Rekor entry does not record this signature: {0}")]
    LogEntryMismatch(String),
    #[error("the Sigstore bundle's `messageSignature` {0}")]
    MessageSignature(String),
    /// An RFC 3161 timestamp the bundle carries does not verify, or dates the signature when
    /// its certificate was not valid: which check failed, in words.
    #[error("bad RFC 3161 timestamp: {0}")]
    BadTimestamp(String),
    #[error("the Rekor entry was signed by log {log_id}, whose key is not in {root}")]
    LogKeyUnknown { log_id: String, root: String },
    #[error("the notation envelope is not one notation verifies: {0}")]
    NotationEnvelope(String),
    #[error("the certificate chain is broken: {0}")]
    NotationChain(String),
    /// The certificate's signed certificate timestamps (RFC 6962) do not show it was logged
    /// in a CT log of the trusted root (cosign requires one by default).
    #[error("the certificate is not shown logged in a CT log of the trusted root: {0}")]
    CertificateTransparency(String),
    #[error("the certificate chain ends at {issuer}, which is in no trust store of trust policy {policy} ({stores}); add that root to one as notation does (`notation cert add --type ca --store NAME root.pem`)")]
    NotTrustedByStore {
        issuer: String,
        stores: String,
        policy: String,
    },
    #[error("signed at {signed_at}, outside the validity of certificate {certificate} (from {not_before} to {not_after})")]
    SignedOutsideValidity {
        certificate: String,
        signed_at: String,
        not_before: String,
        not_after: String,
    },
    #[error("the signature expired at {at} (its `io.cncf.notary.expiry`)")]
    SignatureExpired { at: String },
    #[error("no trust policy of {file} covers {scope}; add it to a policy's registryScopes, or add a `*` policy")]
    NoTrustPolicy { scope: String, file: String },
}

impl Reason {
    /// A few words for a narrow row (`bad signature`); the detail says the whole reason.
    #[must_use]
    pub fn brief(&self) -> &'static str {
        match self {
            Reason::BadSignature => "bad signature",
            Reason::OtherImage { .. } => "signs another image",
            Reason::NoSignature => "no signature annotation",
            Reason::SignatureEncoding => "unreadable signature",
            Reason::NotSimpleSigning => "not simple signing",
            Reason::Unreadable => "payload unreadable",
            Reason::NotDsse => "not a DSSE envelope",
            Reason::NotInToto => "not in-toto",
            Reason::NotBundle => "not a bundle",
            Reason::NotSupported(..) => "not checked",
            Reason::NoCertificate | Reason::BundleNoCertificate => "no certificate",
            Reason::BadCertificate => "unreadable certificate",
            Reason::NotCodeSigning => "not code signing",
            Reason::UntrustedRoot { .. } | Reason::NotTrustedByStore { .. } => "untrusted root",
            Reason::ExpiredAtSigning { .. } => "expired at signing",
            Reason::IdentityMismatch { .. } => "identity mismatch",
            Reason::IssuerMismatch { .. } => "issuer mismatch",
            Reason::NoLogEntry | Reason::BundleNoLogEntry | Reason::KeyNoLogEntry => "no log entry",
            Reason::BadSet(_) => "bad SET",
            Reason::BadInclusionProof(_) => "bad inclusion proof",
            Reason::LogEntryMismatch(_) => "log entry mismatch",
            Reason::MessageSignature(_) => "bad message signature",
            Reason::LogKeyUnknown { .. } => "log key unknown",
            Reason::BadTimestamp(_) => "bad timestamp",
            Reason::NotationEnvelope(_) => "bad envelope",
            Reason::NotationChain(_) => "broken chain",
            Reason::CertificateTransparency(_) => "no valid SCT",
            Reason::SignedOutsideValidity { .. } => "signed outside validity",
            Reason::SignatureExpired { .. } => "expired",
            Reason::NoTrustPolicy { .. } => "no trust policy",
        }
    }

    /// The stable name the JSON output uses.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Reason::BadSignature => "bad-signature",
            Reason::OtherImage { .. } => "other-image",
            Reason::NoSignature => "no-signature",
            Reason::SignatureEncoding => "signature-encoding",
            Reason::NotSimpleSigning => "not-simple-signing",
            Reason::Unreadable => "unreadable",
            Reason::NotDsse => "not-dsse",
            Reason::NotInToto => "not-in-toto",
            Reason::NotBundle => "not-bundle",
            Reason::NotSupported(..) => "not-supported",
            Reason::NoCertificate | Reason::BundleNoCertificate => "no-certificate",
            Reason::BadCertificate => "bad-certificate",
            Reason::NotCodeSigning => "not-code-signing",
            Reason::UntrustedRoot { .. } | Reason::NotTrustedByStore { .. } => "untrusted-root",
            Reason::ExpiredAtSigning { .. } => "expired-at-signing",
            Reason::IdentityMismatch { .. } => "identity-mismatch",
            Reason::IssuerMismatch { .. } => "issuer-mismatch",
            Reason::NoLogEntry | Reason::BundleNoLogEntry | Reason::KeyNoLogEntry => "no-log-entry",
            Reason::BadSet(_) => "bad-set",
            Reason::BadInclusionProof(_) => "bad-inclusion-proof",
            Reason::LogEntryMismatch(_) => "log-entry-mismatch",
            Reason::MessageSignature(_) => "bad-message-signature",
            Reason::LogKeyUnknown { .. } => "log-key-unknown",
            Reason::BadTimestamp(_) => "bad-timestamp",
            Reason::NotationEnvelope(_) => "bad-envelope",
            Reason::NotationChain(_) => "broken-chain",
            Reason::CertificateTransparency(_) => "bad-sct",
            Reason::SignedOutsideValidity { .. } => "signed-outside-validity",
            Reason::SignatureExpired { .. } => "expired",
            Reason::NoTrustPolicy { .. } => "no-trust-policy",
        }
    }
}

/// One signature of the tree and what the key says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The signature manifest's digest.
    pub signature: String,
    /// What it is attached to.
    pub subject: String,
    /// `index`, `linux/amd64`, `manifest` (sanitised).
    pub subject_label: String,
    /// Where it was found: `a cosign tag sha256-….sig` (sanitised).
    pub found: String,
    /// The payload's `critical.identity.docker-reference`: reported, never required (cosign
    /// does not require it either: a promoted image keeps the name it was signed under).
    pub docker_reference: Option<String>,
    /// A DSSE attestation (cosign's `.att`) rather than a signature: it says something about
    /// the image, so it never makes the image signed ([`satisfied`]).
    pub attestation: bool,
    /// The attestation's predicate type, once its signature verifies (sanitised).
    pub predicate_type: Option<String>,
    /// `Ok` when it verifies with the key and signs its subject.
    pub result: Result<(), Reason>,
    /// What was checked and failed without failing the signature (a notation policy's level
    /// `permissive` or `audit` logs some checks instead of enforcing them); sanitised.
    pub notes: Vec<String>,
    /// Who signed, as checked: the key it verified with, or who its certificate names (for a
    /// verdict that failed, only who the signature claims; see [`signer::words`]).
    pub signer: Option<Signer>,
}

impl Verdict {
    /// `verified`, `failed` or `not-checked`.
    #[must_use]
    pub fn result_name(&self) -> &'static str {
        match &self.result {
            Ok(()) => "verified",
            Err(Reason::NotSupported(..)) => "not-checked",
            Err(_) => "failed",
        }
    }
}

/// The simple-signing payload's JSON, as far as verification reads it.
#[derive(serde::Deserialize)]
struct SimpleSigning {
    critical: Critical,
}

#[derive(serde::Deserialize)]
struct Critical {
    image: Image,
    identity: Option<Identity>,
}

#[derive(serde::Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

#[derive(serde::Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: Option<String>,
}

/// What signatures are checked against: a public key (`--key`, with its transparency-log
/// policy: [`keyed`]), a keyless policy (a trusted root, an identity and an issuer), or a
/// notation trust policy and trust store.
#[derive(Debug, Clone)]
pub enum Verifier {
    Key(Box<keyed::Keyed>),
    Keyless(Box<keyless::Keyless>),
    Notation(Box<notation::Notation>),
}

impl Verifier {
    /// `ECDSA P-256`, `keyless` for a certificate policy, `notation` for a trust policy.
    #[must_use]
    pub fn algorithm(&self) -> &'static str {
        match self {
            Verifier::Key(k) => k.algorithm.describe(),
            Verifier::Keyless(_) => "keyless",
            Verifier::Notation(_) => "notation",
        }
    }

    /// With the image's repository: a notation trust policy picks its statement by it.
    #[must_use]
    pub fn scoped(mut self, image: &crate::reference::ImageRef) -> Self {
        if let (Verifier::Notation(n), crate::reference::ImageRef::Registry(r)) = (&mut self, image)
        {
            n.scope = Some(format!("{}/{}", r.registry, r.repository));
        }
        self
    }
}

/// Every signature below `root`, in tree order, each checked by the verifier of its own kind
/// ([`policy::judge`]).
#[must_use]
pub fn verify_tree(root: &Node, verifiers: &Verifiers) -> Vec<Verdict> {
    let mut out = Vec::new();
    // The tree is bounded where it is built (depth and node caps): so is this walk.
    let mut stack: Vec<(&Node, Option<&Node>)> = vec![(root, None)];
    while let Some((node, parent)) = stack.pop() {
        if let (Some(origin), Some(parent)) = (&node.origin, parent) {
            for layer in &node.children {
                let Some(v) = policy::judge(layer, parent, verifiers) else {
                    continue;
                };
                out.push(Verdict {
                    signature: node.digest.clone(),
                    subject: parent.digest.clone(),
                    subject_label: subject_label(parent),
                    found: origin.describe(),
                    docker_reference: docker_reference(layer),
                    attestation: v.attestation,
                    predicate_type: v.predicate_type,
                    result: v.result,
                    notes: v.notes,
                    signer: v.signer,
                });
            }
        }
        stack.extend(node.children.iter().rev().map(|c| (c, Some(node))));
    }
    out
}

/// What one layer of an attachment says under the verifier.
struct LayerVerdict {
    result: Result<(), Reason>,
    predicate_type: Option<String>,
    attestation: bool,
    notes: Vec<String>,
    signer: Option<Signer>,
}

/// The verdict on one layer of an attachment of `parent`; `None` for a layer that is no
/// signature or attestation. Each kind goes to its own checker: a notation envelope, a
/// Sigstore bundle, a cosign `.att` DSSE envelope, a cosign simple-signing payload.
fn judge_layer(layer: &Node, parent: &Node, verifier: &Verifier) -> Option<LayerVerdict> {
    let mut judged = judge_kind(layer, parent, verifier)?;
    if let (Verifier::Key(key), true) = (verifier, judged.result.is_ok()) {
        key_logged(key, layer, &mut judged);
    }
    // A key names only what verified with it: a signature it does not verify is anyone's.
    if let (Verifier::Key(key), Ok(())) = (verifier, &judged.result) {
        judged.signer = Some(Signer::Key {
            key: key.name.clone().unwrap_or_else(|| "given".into()),
            sha256: key.sha256.clone(),
        });
    }
    Some(judged)
}

/// A signature the key verified, judged by its transparency-log entry as `cosign verify --key`
/// judges it ([`keyed::Keyed::logged`]): where it was logged, or why the entry fails it.
fn key_logged(key: &keyed::Keyed, layer: &Node, judged: &mut LayerVerdict) {
    match key.logged(layer) {
        Ok(notes) => judged.notes.extend(notes),
        Err(reason) => judged.result = Err(reason),
    }
}

fn judge_kind(layer: &Node, parent: &Node, verifier: &Verifier) -> Option<LayerVerdict> {
    let verdict = |result, predicate_type, attestation| LayerVerdict {
        result,
        predicate_type,
        attestation,
        notes: Vec::new(),
        signer: None,
    };
    let bytes = layer.raw.as_ref().filter(|_| layer.problem.is_none());
    let envelope = layer.media_type == notation::JWS || layer.media_type == cose::COSE;
    if let (Verifier::Notation(n), true) = (verifier, envelope) {
        let Some(bytes) = bytes else {
            return Some(verdict(Err(Reason::Unreadable), None, false));
        };
        let outcome = n.check(bytes, &layer.media_type, parent);
        return Some(LayerVerdict {
            notes: outcome.notes,
            signer: outcome.signer,
            ..verdict(outcome.result, None, false)
        });
    }
    if let Some(Payload::SigstoreBundle { content, .. }) = &layer.payload {
        let Some(bytes) = bytes else {
            return Some(verdict(Err(Reason::Unreadable), None, false));
        };
        let o = bundle::check(
            bytes,
            &parent.digest,
            parent.raw.as_deref(),
            verifier,
            content,
        );
        return Some(LayerVerdict {
            signer: o.signer,
            ..verdict(o.result, o.predicate_type, o.attestation)
        });
    }
    if layer.media_type == crate::model::media_type::DSSE_ENVELOPE {
        let mut signer = None;
        let (result, predicate) = match (bytes, verifier) {
            (Some(bytes), Verifier::Key(key)) => dsse::check(bytes, &parent.digest, key),
            (Some(_), Verifier::Notation(_)) => (
                Err(Reason::NotSupported(
                    "a cosign attestation".into(),
                    "regscope verify --key FILE",
                )),
                None,
            ),
            (Some(bytes), Verifier::Keyless(policy)) => {
                keyless_attestation(policy, layer, (bytes, &parent.digest), &mut signer)
            }
            (None, _) => (Err(Reason::Unreadable), None),
        };
        return Some(LayerVerdict {
            signer,
            ..verdict(result, predicate, true)
        });
    }
    let mut signer = None;
    check_layer(layer, &parent.digest, verifier, &mut signer).map(|result| LayerVerdict {
        signer,
        ..verdict(result, None, false)
    })
}

/// A cosign `.att` layer signed keylessly: the Fulcio certificate and the Rekor bundle (an
/// `intoto` or `dsse` entry) in its annotations, checked as a keyless signature is.
fn keyless_attestation(
    policy: &keyless::Keyless,
    layer: &Node,
    (envelope, subject): (&[u8], &str),
    signer: &mut Option<Signer>,
) -> (Result<(), Reason>, Option<String>) {
    let Some(pem) = layer
        .annotations
        .get(crate::model::payload::COSIGN_CERTIFICATE)
    else {
        return (Err(Reason::NoCertificate), None);
    };
    let Some(der) = keyless::certificate_der(pem) else {
        return (Err(Reason::BadCertificate), None);
    };
    let entries: Vec<_> = keyless::annotation_entry(&layer.annotations)
        .into_iter()
        .collect();
    policy.check_envelope(
        &der,
        &entries,
        Reason::NoLogEntry,
        envelope,
        subject,
        signer,
    )
}

/// Whether the image `root` is signed by the key: a signature of the root itself verifies.
#[must_use]
pub fn satisfied(verdicts: &[Verdict], root: &Node) -> bool {
    verdicts
        .iter()
        .any(|v| v.result.is_ok() && !v.attestation && v.subject == root.digest)
}

fn subject_label(parent: &Node) -> String {
    let label = match parent.kind {
        Kind::Index => "index".to_string(),
        Kind::Referrer | Kind::Attestation => "attachment".to_string(),
        _ => parent
            .platform
            .as_ref()
            .filter(|p| !p.is_unknown())
            .map_or_else(|| "manifest".into(), crate::analysis::platform_label),
    };
    sanitize(&label).into_owned()
}

fn docker_reference(layer: &Node) -> Option<String> {
    match &layer.payload {
        Some(Payload::CosignSignature {
            docker_reference, ..
        }) => docker_reference.as_ref().map(|r| sanitize(r).into_owned()),
        _ => None,
    }
}

/// The verdict on one layer of a signature manifest; `None` for a layer that is no signature.
fn check_layer(
    layer: &Node,
    subject: &str,
    key: &Verifier,
    signer: &mut Option<Signer>,
) -> Option<Result<(), Reason>> {
    if let Some(Payload::Notation { .. }) = &layer.payload {
        return Some(Err(Reason::NotSupported(
            "a notation signature".into(),
            "regscope verify --notation",
        )));
    }
    if layer.media_type != COSIGN_SIMPLE_SIGNING {
        return None;
    }
    if matches!(key, Verifier::Notation(_)) {
        return Some(Err(Reason::NotSupported(
            "a cosign signature".into(),
            "regscope verify --key FILE, or keyless flags",
        )));
    }
    Some(check_simple_signing(layer, subject, key, signer))
}

fn check_simple_signing(
    layer: &Node,
    subject: &str,
    verifier: &Verifier,
    signer: &mut Option<Signer>,
) -> Result<(), Reason> {
    let Some(bytes) = layer.raw.as_ref().filter(|_| layer.problem.is_none()) else {
        return Err(Reason::Unreadable);
    };
    let encoded = layer
        .annotations
        .get(COSIGN_SIGNATURE)
        .ok_or(Reason::NoSignature)?;
    let signature = decode_signature(encoded).ok_or(Reason::SignatureEncoding)?;
    match verifier {
        Verifier::Key(key) => {
            if !key.verifies(bytes, &signature) {
                return Err(Reason::BadSignature);
            }
        }
        Verifier::Keyless(policy) => policy.check(&layer.annotations, bytes, &signature, signer)?,
        Verifier::Notation(_) => return Err(Reason::BadSignature),
    }
    // Only a verified payload is read: what it says is the signer's word.
    let payload = parse_payload(bytes).ok_or(Reason::NotSimpleSigning)?;
    if payload.critical.image.docker_manifest_digest != subject {
        return Err(Reason::OtherImage {
            signed: sanitize(&payload.critical.image.docker_manifest_digest).into_owned(),
        });
    }
    Ok(())
}

/// The base64 signature of an annotation, within [`MAX_SIGNATURE_CHARS`].
#[must_use]
pub fn decode_signature(encoded: &str) -> Option<Vec<u8>> {
    if encoded.len() > MAX_SIGNATURE_CHARS {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
}

/// A simple-signing payload's `docker-manifest-digest` and `docker-reference`; `None` for what
/// is not one. The bytes are the blob's, already within the blob cap.
#[must_use]
pub fn payload_subject(bytes: &[u8]) -> Option<(String, Option<String>)> {
    let p = parse_payload(bytes)?;
    Some((
        p.critical.image.docker_manifest_digest,
        p.critical.identity.and_then(|i| i.docker_reference),
    ))
}

fn parse_payload(bytes: &[u8]) -> Option<SimpleSigning> {
    serde_json::from_slice(bytes).ok()
}

/// One line for a verdict: `signature sha256:ab12… for index (sha256:cd34…) via a cosign tag
/// …, signed as registry.internal/team/app; signed by ci@example.com (issuer …)`; a failed one
/// ends `: claims to be signed by … (not verified: why)`, or `: why` when no signer was read.
#[must_use]
pub fn describe(v: &Verdict) -> String {
    let what = match (&v.predicate_type, v.attestation) {
        (Some(p), _) => format!("attestation ({p})"),
        (None, true) => "attestation".to_string(),
        (None, false) => "signature".to_string(),
    };
    let mut line = format!(
        "{what} {} for {} ({}) via {}",
        short(&v.signature),
        v.subject_label,
        short(&v.subject),
        v.found
    );
    if let Some(r) = &v.docker_reference {
        line.push_str(&format!(", signed as {r}"));
    }
    let why = v.result.as_ref().err().map(ToString::to_string);
    match (signer::words(v.signer.as_ref(), why.as_deref()), why) {
        (Some(words), None) => line.push_str(&format!("; {words}")),
        (Some(words), Some(_)) => line.push_str(&format!(": {words}")),
        (None, Some(why)) => line.push_str(&format!(": {why}")),
        (None, None) => {}
    }
    for note in &v.notes {
        line.push_str(&format!("; {note}"));
    }
    line
}

/// The JSON form of a verdict.
#[must_use]
pub fn to_json(v: &Verdict) -> serde_json::Value {
    serde_json::json!({
        "signature": v.signature,
        "subject": v.subject,
        "subjectLabel": v.subject_label,
        "found": v.found,
        "dockerReference": v.docker_reference,
        "kind": if v.attestation { "attestation" } else { "signature" },
        "predicateType": v.predicate_type,
        "result": v.result_name(),
        "reason": v.result.as_ref().err().map(Reason::code),
        "message": v.result.as_ref().err().map(ToString::to_string),
        "notes": v.notes,
        "signer": v.signer.as_ref().map(Signer::to_json),
    })
}

/// The JSON summary `verify --json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub reference: String,
    pub digest: String,
    pub key: String,
    pub key_algorithm: String,
    pub satisfied: bool,
    pub signatures: Vec<serde_json::Value>,
}

/// What the config file's signature policy says of an image: the TUI's `S✓` / `S✗` / `S?`,
/// each signature row's verdict, and `signature-unverified`. One function for every front end,
/// over [`verify_tree`] and [`satisfied`] as `regscope verify` uses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Checked {
    /// No `[verify."PATTERN"]` matches the repository (or it is a layout): nothing is judged.
    #[default]
    NoPolicy,
    /// A policy matches, but its key is no usable key (or its keyless settings no usable
    /// policy): `key` names it (`key cosign.pub`, `issuer`), `why` says what is wrong with it.
    KeyUnusable {
        policy: String,
        key: String,
        why: String,
    },
    /// Each signature's verdict under the policy's key; `satisfied` when one of the image's
    /// own signatures verifies.
    Verdicts {
        policy: String,
        key: String,
        verdicts: Vec<Verdict>,
        satisfied: bool,
        /// The kinds the policy lists (a key, a keyless identity, notation): the words differ.
        kinds: Kinds,
    },
}

/// The policy's mark on an image or a signature; it lives with the badges it is drawn in.
pub use crate::attachments::Mark;

impl crate::attachments::Badges {
    /// With the policy's verdict on the image (see [`check_policy`]).
    #[must_use]
    pub fn checked(mut self, checked: &Checked) -> Self {
        self.policy = checked.mark();
        self
    }
}

impl Checked {
    /// Who signed the image `root` as the policy verified it: the signer of the first of its
    /// own signatures that verifies; `None` unless one does and names its signer.
    #[must_use]
    pub fn signer_of(&self, root: &str) -> Option<&Signer> {
        let Checked::Verdicts { verdicts, .. } = self else {
            return None;
        };
        verdicts
            .iter()
            .filter(|v| v.result.is_ok() && !v.attestation && v.subject == root)
            .find_map(|v| v.signer.as_ref())
    }

    /// The policy's verdict on the image as a whole: with a policy, verified when a signature
    /// of the image itself verifies, failed otherwise (unsigned included).
    #[must_use]
    pub fn mark(&self) -> Mark {
        match self {
            Checked::NoPolicy => Mark::Unknown,
            Checked::KeyUnusable { .. } => Mark::Failed,
            Checked::Verdicts { satisfied, .. } => {
                if *satisfied {
                    Mark::Verified
                } else {
                    Mark::Failed
                }
            }
        }
    }

    /// The verdict on the signature manifest `digest`: its mark, a few words for its row (who
    /// signed, when it verified) and the whole reason (the first failing layer's when none
    /// verifies); `None` when no verdict is about it.
    #[must_use]
    pub fn verdict_of(&self, digest: &str) -> Option<(Mark, String, String)> {
        match self {
            Checked::NoPolicy => None,
            Checked::KeyUnusable { key, why, .. } => Some((
                Mark::Failed,
                "policy unusable".into(),
                format!("not verified: the policy's {key} {why}"),
            )),
            Checked::Verdicts { verdicts, key, .. } => {
                let mine: Vec<&Verdict> =
                    verdicts.iter().filter(|v| v.signature == digest).collect();
                if let Some(v) = mine.iter().find(|v| v.result.is_ok()) {
                    let what = match &v.predicate_type {
                        Some(p) => format!("attestation ({p}) verified"),
                        None => "verified".to_string(),
                    };
                    // A key names itself; an identity or trust policy is said beside who matched it.
                    let mut full = match (signer::words(v.signer.as_ref(), None), &v.signer) {
                        (Some(by), Some(Signer::Key { .. })) => format!("{what}: {by}"),
                        (Some(by), _) => format!("{what}: {by}, with {key}"),
                        (None, _) => format!("{what} with {key}"),
                    };
                    // Where it was logged, or that it was not: the detail says it as `verify` does.
                    for note in &v.notes {
                        full.push_str(&format!("; {note}"));
                    }
                    let brief = v
                        .signer
                        .as_ref()
                        .map_or_else(|| "verified".into(), |s| format!("signed by {}", s.name()));
                    return Some((Mark::Verified, brief, full));
                }
                let first = mine.first()?;
                let reason = first.result.as_ref().err()?;
                let mark = if matches!(reason, Reason::NotSupported(..)) {
                    Mark::Unknown
                } else {
                    Mark::Failed
                };
                let why = reason.to_string();
                let full = signer::words(first.signer.as_ref(), Some(&why)).unwrap_or(why);
                Some((mark, reason.brief().into(), full))
            }
        }
    }
}

/// The config file's policy for `reference` applied to the tree `root` (read within the blob
/// cap when it was fetched: no request here).
#[must_use]
pub fn check_policy(
    config: &crate::config::Config,
    reference: &crate::reference::ImageRef,
    root: &Node,
) -> Checked {
    match config_policy(config, reference) {
        Some((pattern, policy)) => check_with(pattern, policy, reference, root),
        None => Checked::NoPolicy,
    }
}

/// The config file's `[verify."PATTERN"]` for `reference`, with its pattern; `None` for a
/// layout or a repository no pattern matches.
#[must_use]
pub fn config_policy<'c>(
    config: &'c crate::config::Config,
    reference: &crate::reference::ImageRef,
) -> Option<(&'c str, &'c crate::config::VerifyPolicy)> {
    let crate::reference::ImageRef::Registry(r) = reference else {
        return None;
    };
    config.verify_policy(&r.registry, &r.repository)
}

/// The policy `[verify."pattern"]` applied to the tree `root` of `reference` (which may be
/// another repository's: `diff` judges both sides by the one policy that covers either).
#[must_use]
pub fn check_with(
    pattern: &str,
    policy: &crate::config::VerifyPolicy,
    reference: &crate::reference::ImageRef,
    root: &Node,
) -> Checked {
    let policy_name = format!("[verify.\"{}\"]", sanitize(pattern));
    match policy_verifier(policy) {
        Err((key, why)) => Checked::KeyUnusable {
            policy: policy_name,
            key,
            why,
        },
        Ok((key, verifiers)) => check_by(policy_name, key, &verifiers.scoped(reference), root),
    }
}

/// Each signature below `root` judged by `verifiers` (the verifier of its own kind), the policy
/// named `policy` and its key (or identity, or trust policy) `key`. The one judgement every
/// front end uses: `verify`, `inspect`, `check --require-signed`, the TUI and `diff`.
#[must_use]
pub fn check_by(policy: String, key: String, verifiers: &Verifiers, root: &Node) -> Checked {
    let verdicts = verify_tree(root, verifiers);
    let satisfied = satisfied(&verdicts, root);
    Checked::Verdicts {
        policy,
        key,
        verdicts,
        satisfied,
        kinds: verifiers.kinds(),
    }
}

/// What a config policy verifies with, and how to name it (`keys/cosign.pub`, `identity … from
/// …`, several joined by `, or `); else what it names (the key file, the setting) and why it is
/// unusable, in words.
pub fn policy_verifier(
    policy: &crate::config::VerifyPolicy,
) -> Result<(String, Verifiers), (String, String)> {
    policy::from_config(policy).map(|v| (v.describe(), v))
}

/// `signature-unverified` when the policy `checked` is not satisfied by `root` (each of the
/// image's signatures with its reason in the message); nothing without a policy. Both front
/// ends add it beside the tree's own findings.
#[must_use]
pub fn checked_findings(checked: &Checked, root: &Node) -> Vec<crate::analysis::Finding> {
    use crate::analysis::{Code, Finding};
    let (policy, key, verdicts, kinds) = match checked {
        Checked::NoPolicy
        | Checked::Verdicts {
            satisfied: true, ..
        } => return Vec::new(),
        Checked::KeyUnusable { policy, key, why } => {
            return vec![Finding::new(
                Code::SignatureUnverified,
                &root.digest,
                format!("signatures were not verified: the {key} of {policy} {why}"),
            )
            .with_fix("Fix the policy (`regscope config check` says what is wrong with it)")]
        }
        Checked::Verdicts {
            policy,
            key,
            verdicts,
            kinds,
            ..
        } => (policy, key, verdicts, *kinds),
    };
    let mut message = format!("no signature of this image verifies with {key} ({policy})");
    if verdicts.is_empty() {
        message.push_str(": no signature found");
    }
    for v in verdicts.iter().filter(|v| v.subject == root.digest) {
        if let Err(reason) = &v.result {
            let why = reason.to_string();
            let said = signer::words(v.signer.as_ref(), Some(&why)).unwrap_or(why);
            message.push_str(&format!("; {}: {said}", short(&v.signature)));
            // A signature of a kind the policy does not list was judged by each kind it does:
            // the other reasons are in the notes.
            for note in &v.notes {
                message.push_str(&format!("; {note}"));
            }
        }
    }
    vec![Finding::new(Code::SignatureUnverified, &root.digest, message).with_fix(kinds.fix())]
}

/// [`checked_findings`] of [`check_policy`]: for a front end that needs only the findings.
#[must_use]
pub fn policy_findings(
    config: &crate::config::Config,
    reference: &crate::reference::ImageRef,
    root: &Node,
) -> Vec<crate::analysis::Finding> {
    checked_findings(&check_policy(config, reference, root), root)
}

/// The key file at `path`, read within [`key::MAX_KEY_BYTES`]; the reason in words when it is
/// not a usable key.
pub fn read_key_file(path: &std::path::Path) -> Result<PublicKey, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read ({e})"))?;
    if meta.len() > key::MAX_KEY_BYTES as u64 {
        return Err(KeyError::TooLarge.to_string());
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read ({e})"))?;
    let mut key = PublicKey::from_pem(&bytes).map_err(|e| e.to_string())?;
    key.name = Some(sanitize(&path.display().to_string()).into_owned());
    Ok(key)
}

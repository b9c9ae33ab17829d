//! A Sigstore bundle layer (cosign v3 attaches signatures and attestations as bundle referrers)
//! checked with a public key (its DSSE envelope through [`super::dsse::check`], as `cosign
//! verify --key` does) or keylessly: the bundle's certificate under the keyless policy, and a
//! `tlogEntries[]` entry whose signed entry timestamp verifies with the log's key and whose
//! body records this envelope ([`super::keyless::Keyless::check_envelope`]); an inclusion
//! proof, when the entry has one, leads to the root of a checkpoint the log's key signed. cosign v3 signs an image as an in-toto statement of predicate type
//! [`COSIGN_SIGN`]: that is a signature; any other predicate is an attestation.

use base64::Engine as _;
use serde_json::Value;

use super::keyless::{LogEntry, MAX_BUNDLE_CHARS};
use super::{dsse, merkle, Reason, Verifier};

/// Log entries of one bundle tried at most (cosign writes one).
pub const MAX_TLOG_ENTRIES: usize = 4;

/// The note on a keyless verdict whose entry also carries an inclusion proof.
pub const PROOF_NOT_CHECKED: &str = "inclusion proof not checked; the signed entry timestamp was";

/// The predicate type of cosign v3's image signature.
pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";

/// A bundle's verdict: the result, the predicate type once verified, and whether it is an
/// attestation (a claim about the image) rather than a signature of it.
pub struct Outcome {
    pub result: Result<(), Reason>,
    pub predicate_type: Option<String>,
    pub attestation: bool,
    /// Who the bundle's certificate names, once read (a keyless bundle).
    pub signer: Option<super::Signer>,
}

/// The verdict on the bundle `bytes` (already within the blob cap) about `subject`;
/// `claimed` is the predicate type the decoded payload read, unverified, which only says what
/// kind of thing a bundle that does not verify claimed to be.
#[must_use]
pub fn check(bytes: &[u8], subject: &str, verifier: &Verifier, claimed: &str) -> Outcome {
    let claimed_attestation = claimed != COSIGN_SIGN
        && claimed != crate::model::payload::BUNDLE_MESSAGE_SIGNATURE
        && claimed != "DSSE envelope";
    let fail = |reason| Outcome {
        result: Err(reason),
        predicate_type: None,
        attestation: claimed_attestation,
        signer: None,
    };
    let Ok(bundle) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return fail(Reason::NotBundle);
    };
    let Some(envelope) = bundle.get("dsseEnvelope") else {
        if bundle.get("messageSignature").is_some() {
            return fail(Reason::NotSupported(
                "a message-signature Sigstore bundle".into(),
                "cosign verify",
            ));
        }
        return fail(Reason::NotBundle);
    };
    let Ok(envelope) = serde_json::to_vec(envelope) else {
        return fail(Reason::NotBundle);
    };
    let mut signer = None;
    let (result, predicate_type) = match verifier {
        Verifier::Key(key) => dsse::check(&envelope, subject, key),
        Verifier::Keyless(policy) => {
            let material = bundle.get("verificationMaterial");
            let Some(der) = material.and_then(certificate) else {
                return fail(Reason::BundleNoCertificate);
            };
            let entries = tlog_entries(material);
            policy.check_envelope(
                &der,
                &entries,
                Reason::BundleNoLogEntry,
                &envelope,
                subject,
                &mut signer,
            )
        }
        Verifier::Notation(_) => {
            return fail(Reason::NotSupported(
                "a Sigstore bundle".into(),
                "regscope verify --key FILE",
            ))
        }
    };
    let attestation = match &predicate_type {
        Some(p) => p != COSIGN_SIGN,
        None => claimed_attestation,
    };
    Outcome {
        result,
        predicate_type: predicate_type.filter(|p| p != COSIGN_SIGN),
        attestation,
        signer,
    }
}

/// The signer's certificate DER: `certificate` (v0.3) or the first of `x509CertificateChain`
/// (v0.1, v0.2), within the certificate cap.
fn certificate(material: &Value) -> Option<Vec<u8>> {
    let raw = material
        .pointer("/certificate/rawBytes")
        .or_else(|| material.pointer("/x509CertificateChain/certificates/0/rawBytes"))?
        .as_str()?;
    if raw.len() > crate::model::payload::MAX_CERTIFICATE_BYTES * 2 {
        return None;
    }
    base64::engine::general_purpose::STANDARD.decode(raw).ok()
}

/// The first [`MAX_TLOG_ENTRIES`] log entries, each as the SET's message needs it, or why it
/// cannot be checked.
fn tlog_entries(material: Option<&Value>) -> Vec<Result<LogEntry, Reason>> {
    material
        .and_then(|m| m.get("tlogEntries"))
        .and_then(Value::as_array)
        .map(|list| list.iter().take(MAX_TLOG_ENTRIES).map(tlog_entry).collect())
        .unwrap_or_default()
}

fn tlog_entry(entry: &Value) -> Result<LogEntry, Reason> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad = |what: &str| Reason::BadSet(format!("the bundle's log entry {what}"));
    // Protobuf's JSON writes 64-bit integers as strings; accept numbers too.
    let int = |key: &str| {
        entry.get(key).and_then(|v| match v {
            Value::String(s) => s.parse::<i64>().ok(),
            v => v.as_i64(),
        })
    };
    let body = entry
        .get("canonicalizedBody")
        .and_then(Value::as_str)
        .filter(|b| b.len() <= MAX_BUNDLE_CHARS)
        .and_then(|b| b64.decode(b).ok())
        .ok_or_else(|| bad("has no readable `canonicalizedBody`"))?;
    let integrated_time = int("integratedTime").ok_or_else(|| bad("has no `integratedTime`"))?;
    let log_index = int("logIndex").ok_or_else(|| bad("has no `logIndex`"))?;
    let log_id = entry
        .pointer("/logId/keyId")
        .and_then(Value::as_str)
        .filter(|k| k.len() <= 256)
        .and_then(|k| b64.decode(k).ok())
        .ok_or_else(|| bad("has no `logId.keyId`"))?;
    let Some(set) = entry.pointer("/inclusionPromise/signedEntryTimestamp") else {
        return Err(bad(
            "has no signed entry timestamp (`inclusionPromise`); regscope does not verify an inclusion proof alone yet",
        ));
    };
    let set = set
        .as_str()
        .and_then(super::decode_signature)
        .ok_or_else(|| bad("has a signed entry timestamp that is not base64"))?;
    Ok(LogEntry {
        // The SET's message names the body in standard base64, as Rekor serves it.
        body: b64.encode(body),
        integrated_time,
        log_index,
        log_id: hex::encode(log_id),
        set,
        proof: entry.get("inclusionProof").map(proof),
    })
}

/// An entry's `inclusionProof`, within [`merkle::MAX_PROOF_HASHES`] and the checkpoint cap.
fn proof(p: &Value) -> Result<merkle::Proof, Reason> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bad =
        |what: &str| Reason::BadInclusionProof(format!("its {what} is missing or unreadable"));
    let int = |key: &str| {
        p.get(key).and_then(|v| match v {
            Value::String(s) => s.parse::<u64>().ok(),
            v => v.as_u64(),
        })
    };
    let hash = |v: &Value| {
        v.as_str()
            .filter(|h| h.len() <= 128)
            .and_then(|h| b64.decode(h).ok())
    };
    let hashes = p
        .get("hashes")
        .and_then(Value::as_array)
        .filter(|h| h.len() <= merkle::MAX_PROOF_HASHES)
        .and_then(|h| h.iter().map(hash).collect::<Option<Vec<_>>>())
        .ok_or_else(|| bad("`hashes`"))?;
    Ok(merkle::Proof {
        log_index: int("logIndex").ok_or_else(|| bad("`logIndex`"))?,
        tree_size: int("treeSize").ok_or_else(|| bad("`treeSize`"))?,
        root_hash: p
            .get("rootHash")
            .and_then(hash)
            .ok_or_else(|| bad("`rootHash`"))?,
        hashes,
        checkpoint: p
            .pointer("/checkpoint/envelope")
            .and_then(Value::as_str)
            .filter(|c| c.len() <= merkle::MAX_CHECKPOINT_CHARS)
            .ok_or_else(|| bad("checkpoint"))?
            .to_string(),
    })
}

//! A Sigstore bundle layer (cosign v3 attaches signatures and attestations as bundle referrers)
//! checked with a public key (its DSSE envelope through [`super::dsse::check`], as `cosign
//! verify --key` does) or keylessly: the bundle's certificate under the keyless policy, and a
//! `tlogEntries[]` entry whose signed entry timestamp verifies with the log's key and whose
//! body records this envelope ([`super::keyless::Keyless::check_envelope`]); an inclusion
//! proof, when the entry has one, leads to the root of a checkpoint the log's key signed.
//! cosign v3 signs an image as an in-toto statement of predicate type [`COSIGN_SIGN`]: that
//! is a signature; any other predicate is an attestation. A bundle may instead carry a
//! `messageSignature`: a signature over the artifact's bytes (for a referrer, the subject
//! manifest) and the artifact's digest, logged as a `hashedrekord` entry.

use base64::Engine as _;
use serde_json::Value;

use super::keyless::{LogEntry, MAX_BUNDLE_CHARS};
use super::rekor::Hash;
use super::{dsse, merkle, Reason, Verifier};

/// Log entries of one bundle tried at most (cosign writes one).
pub const MAX_TLOG_ENTRIES: usize = 4;

/// RFC 3161 timestamps of one bundle checked at most (sigstore's clients attach one).
pub const MAX_TIMESTAMPS: usize = 4;

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

/// The verdict on the bundle `bytes` (already within the blob cap) about `subject`, whose
/// manifest's bytes are `artifact` (what a message signature signs); `claimed` is the
/// predicate type the decoded payload read, unverified, which only says what kind of thing a
/// bundle that does not verify claimed to be.
#[must_use]
pub fn check(
    bytes: &[u8],
    subject: &str,
    artifact: Option<&[u8]>,
    verifier: &Verifier,
    claimed: &str,
) -> Outcome {
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
    if let Err(reason) = media_version(&bundle) {
        return fail(reason);
    }
    let Some(envelope) = bundle.get("dsseEnvelope") else {
        if let Some(message) = bundle.get("messageSignature") {
            let mut signer = None;
            let result =
                message_signature(&bundle, message, (subject, artifact), verifier, &mut signer);
            return Outcome {
                result,
                predicate_type: None,
                attestation: false,
                signer,
            };
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
            let der = match signing_certificate(material) {
                Ok(der) => der,
                Err(reason) => return fail(reason),
            };
            let entries = entries_of(&bundle);
            // sigstore-go timestamps the envelope's first signature.
            let signature = dsse::parts(&envelope)
                .and_then(|(_, s)| s.into_iter().next())
                .unwrap_or_default();
            let stamps = policy.stamps(&timestamps(material), &signature);
            policy.check_envelope_stamped(
                &der,
                (&entries, Reason::BundleNoLogEntry, &stamps),
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

/// The verdict on a bundle's `messageSignature`: its digest is the subject's (another
/// image's is a signature copied from it), its signature verifies over the subject manifest's
/// bytes with the key or the keyless policy's certificate, and (keyless) a `hashedrekord` log
/// entry records this digest, signature and certificate.
fn message_signature(
    bundle: &Value,
    message: &Value,
    (subject, artifact): (&str, Option<&[u8]>),
    verifier: &Verifier,
    signer: &mut Option<super::Signer>,
) -> Result<(), Reason> {
    let for_cosign =
        || Reason::NotSupported("a Sigstore bundle".into(), "regscope verify --key FILE");
    if let Verifier::Notation(_) = verifier {
        return Err(for_cosign());
    }
    let (hash, digest, signature) = read_message(message)?;
    let artifact = artifact.ok_or(Reason::Unreadable)?;
    same_digest(subject, artifact, hash, &digest)?;
    match verifier {
        Verifier::Key(key) => {
            if key.verifies_hashed(artifact, &signature, hash) {
                Ok(())
            } else {
                Err(Reason::BadSignature)
            }
        }
        Verifier::Keyless(policy) => {
            let material = bundle.get("verificationMaterial");
            let der = signing_certificate(material)?;
            let entries = entries_of(bundle);
            let stamps = policy.stamps(&timestamps(material), &signature);
            policy.check_message(
                &der,
                (&entries, Reason::BundleNoLogEntry, &stamps),
                artifact,
                (hash, &digest, &signature),
                signer,
            )
        }
        Verifier::Notation(_) => Err(for_cosign()),
    }
}

/// A `messageSignature`'s digest algorithm, digest and signature, or what is unreadable.
pub(super) fn read_message(message: &Value) -> Result<(Hash, Vec<u8>, Vec<u8>), Reason> {
    let bad = |what: &str| Reason::MessageSignature(what.to_string());
    let algorithm = message
        .pointer("/messageDigest/algorithm")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("has no `messageDigest.algorithm`"))?;
    let hash = Hash::parse(algorithm).ok_or_else(|| {
        let shown: String = algorithm.chars().take(64).collect();
        Reason::MessageSignature(format!(
            "names the digest algorithm {}; Sigstore signs with SHA2_256, SHA2_384 or SHA2_512",
            crate::sanitize::sanitize(&shown)
        ))
    })?;
    let digest = message
        .pointer("/messageDigest/digest")
        .and_then(Value::as_str)
        .filter(|d| d.len() <= 128)
        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
        .filter(|d| d.len() == hash.digest(b"").len())
        .ok_or_else(|| {
            bad("has no readable `messageDigest.digest` (base64, as long as its algorithm's)")
        })?;
    let signature = message
        .get("signature")
        .and_then(Value::as_str)
        .and_then(super::decode_signature)
        .ok_or_else(|| bad("has no readable `signature` (base64)"))?;
    Ok((hash, digest, signature))
}

/// The bundle's `digest` is that of `artifact`, the manifest of `subject`; another is the
/// digest of the image the signature was made for.
fn same_digest(subject: &str, artifact: &[u8], hash: Hash, digest: &[u8]) -> Result<(), Reason> {
    // The bytes in hand are the subject's (fetched by digest and checked); should they not be,
    // nothing said of them is about this image.
    let theirs = subject
        .split_once(':')
        .and_then(|(alg, hex)| Some((Hash::parse(alg)?, hex)));
    if theirs.is_none_or(|(alg, hex)| hex::encode(alg.digest(artifact)) != hex) {
        return Err(Reason::Unreadable);
    }
    if hash.digest(artifact) == digest {
        return Ok(());
    }
    Err(Reason::OtherImage {
        signed: format!("{}:{}", hash.name(), hex::encode(digest)),
    })
}

/// The signer's certificate, or why there is none: a bundle without one was made with a key,
/// but an empty `x509CertificateChain` is a broken bundle (sigstore-python rejects it as such),
/// not a keyed one.
fn signing_certificate(material: Option<&Value>) -> Result<Vec<u8>, Reason> {
    if let Some(der) = material.and_then(certificate) {
        return Ok(der);
    }
    let chain = material.and_then(|m| m.pointer("/x509CertificateChain/certificates"));
    if chain.and_then(Value::as_array).is_some_and(Vec::is_empty) {
        return Err(Reason::NotationChain(
            "the Sigstore bundle's `x509CertificateChain` holds no certificate".into(),
        ));
    }
    Err(Reason::BundleNoCertificate)
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

/// The Sigstore bundle media types regscope reads, by minor version; `mediaType` names one.
const MEDIA_TYPES: [(&str, u8); 4] = [
    ("application/vnd.dev.sigstore.bundle+json;version=0.1", 1),
    ("application/vnd.dev.sigstore.bundle+json;version=0.2", 2),
    ("application/vnd.dev.sigstore.bundle+json;version=0.3", 3),
    ("application/vnd.dev.sigstore.bundle.v0.3+json", 3),
];

/// The bundle's minor version (0.1 to 0.3), `None` when it names no `mediaType` (read as
/// before); another media type is a format regscope does not know, whose fields may mean
/// something else (sigstore-go and sigstore-python refuse it too).
fn media_version(bundle: &Value) -> Result<Option<u8>, Reason> {
    let Some(media_type) = bundle.get("mediaType") else {
        return Ok(None);
    };
    let media_type = media_type.as_str().unwrap_or_default();
    if let Some((_, minor)) = MEDIA_TYPES.iter().find(|(m, _)| *m == media_type) {
        return Ok(Some(*minor));
    }
    let shown: String = media_type.chars().take(80).collect();
    Err(Reason::NotSupported(
        format!(
            "a Sigstore bundle of media type `{}` (regscope reads versions 0.1 to 0.3)",
            crate::sanitize::sanitize(&shown)
        ),
        "cosign verify",
    ))
}

/// The bundle's log entries ([`tlog_entries`]); from v0.2 on each must carry an inclusion
/// proof (the bundle specification, and sigstore-go's check): a v0.2+ entry with only a SET
/// is refused, as the conformance suite's `intoto-missing-inclusion-proof_fail` expects.
fn entries_of(bundle: &Value) -> Vec<Result<LogEntry, Reason>> {
    let needs_proof = media_version(bundle).ok().flatten().is_some_and(|m| m >= 2);
    let mut entries = tlog_entries(bundle.get("verificationMaterial"));
    for entry in &mut entries {
        if needs_proof && entry.as_ref().is_ok_and(|e| e.proof.is_none()) {
            *entry = Err(Reason::BadInclusionProof(
                "the bundle is v0.2 or later, whose log entries must carry one, and this one has none".into(),
            ));
        }
    }
    entries
}

/// The first [`MAX_TIMESTAMPS`] RFC 3161 timestamps
/// (`timestampVerificationData.rfc3161Timestamps[].signedTimestamp`), DER, each `None` when it
/// is not base64 within [`super::tsa::MAX_TOKEN_BYTES`].
fn timestamps(material: Option<&Value>) -> Vec<Option<Vec<u8>>> {
    let decode = |t: &Value| {
        t.get("signedTimestamp")
            .and_then(Value::as_str)
            .filter(|s| s.len() <= super::tsa::MAX_TOKEN_BYTES * 4 / 3 + 4)
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
    };
    material
        .and_then(|m| m.pointer("/timestampVerificationData/rfc3161Timestamps"))
        .and_then(Value::as_array)
        .map(|list| list.iter().take(MAX_TIMESTAMPS).map(decode).collect())
        .unwrap_or_default()
}

/// The first [`MAX_TLOG_ENTRIES`] log entries, each as the SET's message needs it, or why it
/// cannot be checked.
pub(super) fn tlog_entries(material: Option<&Value>) -> Vec<Result<LogEntry, Reason>> {
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
    // A Rekor v2 entry (a 0.0.2 body, proven by its checkpoint, dated by timestamps) is not
    // read yet: said so rather than misread.
    if entry
        .pointer("/kindVersion/version")
        .and_then(Value::as_str)
        == Some("0.0.2")
        && entry.get("inclusionPromise").is_none()
        && entry.get("integratedTime").is_none()
    {
        return Err(no_integrated_time(entry));
    }
    let log_id = entry
        .pointer("/logId/keyId")
        .and_then(Value::as_str)
        .filter(|k| k.len() <= 256)
        .and_then(|k| b64.decode(k).ok())
        .ok_or_else(|| bad("has no `logId.keyId`"))?;
    // Early bundles (sigstore-js's v0.1) write an absent proof as `null`.
    let proof = entry
        .get("inclusionProof")
        .filter(|p| !p.is_null())
        .map(proof);
    // Without a SET, the inclusion proof proves the entry and a timestamp dates it
    // (`Keyless::logged_while_valid`): its integrated time is then unsigned, and unused.
    let set =
        match entry.pointer("/inclusionPromise/signedEntryTimestamp") {
            None if proof.is_some() => None,
            None => return Err(bad(
                "has neither a signed entry timestamp (`inclusionPromise`) nor an inclusion proof",
            )),
            Some(set) => Some(
                set.as_str()
                    .and_then(super::decode_signature)
                    .ok_or_else(|| bad("has a signed entry timestamp that is not base64"))?,
            ),
        };
    let integrated_time = match (int("integratedTime"), &set) {
        (Some(t), _) => t,
        (None, None) => 0,
        (None, Some(_)) => return Err(no_integrated_time(entry)),
    };
    let log_index = int("logIndex").ok_or_else(|| bad("has no `logIndex`"))?;
    Ok(LogEntry {
        // The SET's message names the body in standard base64, as Rekor serves it.
        body: b64.encode(body),
        integrated_time,
        log_index,
        log_id: hex::encode(log_id),
        set,
        proof,
    })
}

/// Why an entry has no `integratedTime`: a Rekor v2 entry (`hashedrekord`/`dsse` 0.0.2, from a
/// tile log such as `log2025-1.rekor.sigstore.dev`) has none by design, its time coming from an
/// RFC 3161 timestamp; say so rather than call it malformed.
fn no_integrated_time(entry: &Value) -> Reason {
    let version = entry
        .pointer("/kindVersion/version")
        .and_then(Value::as_str);
    if version == Some("0.0.2") && entry.get("inclusionPromise").is_none() {
        let kind = entry
            .pointer("/kindVersion/kind")
            .and_then(Value::as_str)
            .unwrap_or("entry");
        return Reason::BadSet(format!(
            "the bundle's log entry is a Rekor v2 entry ({} 0.0.2) with no signed entry timestamp; regscope does not verify Rekor v2 entries yet (cosign v3 and sigstore-go do)",
            crate::sanitize::sanitize(&kind.chars().take(32).collect::<String>())
        ));
    }
    Reason::BadSet("the bundle's log entry has no `integratedTime`".into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};

    fn key_pair() -> (EcdsaKeyPair, super::super::PublicKey) {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("a key");
        // SPKI for P-256: the fixed prefix and the uncompressed point.
        let mut der =
            hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").expect("hex");
        der.extend_from_slice(pair.public_key().as_ref());
        let key = super::super::PublicKey::from_spki_der(&der).expect("key");
        (pair, key)
    }

    fn bundle(digest: &[u8], signature: &[u8]) -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD;
        serde_json::to_vec(&serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"publicKey": {"hint": "k"}},
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64.encode(digest)},
                "signature": b64.encode(signature),
            },
        }))
        .expect("json")
    }

    #[test]
    fn a_message_signature_verifies_over_the_subject_manifest_and_fails_with_its_reason() {
        let (pair, key) = key_pair();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let manifest = br#"{"schemaVersion":2}"#.as_slice();
        let subject = format!("sha256:{}", hex::encode(Hash::Sha256.digest(manifest)));
        let sig = pair.sign(&rng, manifest).expect("sign");
        let keyed = super::super::keyed::Keyed::new(key, super::super::keyed::TlogMode::Note, None)
            .expect("the public-good root");
        let verifier = Verifier::Key(Box::new(keyed));
        let check = |b: &[u8]| {
            let o = check(b, &subject, Some(manifest), &verifier, "message signature");
            assert!(!o.attestation);
            o.result
        };
        let digest = Hash::Sha256.digest(manifest);
        assert_eq!(check(&bundle(&digest, sig.as_ref())), Ok(()));
        // Another image's signature: its digest names that image.
        let other = br#"{"schemaVersion":2,"other":1}"#.as_slice();
        let other_sig = pair.sign(&rng, other).expect("sign");
        let other_digest = Hash::Sha256.digest(other);
        assert_eq!(
            check(&bundle(&other_digest, other_sig.as_ref())),
            Err(Reason::OtherImage {
                signed: format!("sha256:{}", hex::encode(&other_digest))
            })
        );
        // This image's digest, a signature of other bytes.
        assert_eq!(
            check(&bundle(&digest, other_sig.as_ref())),
            Err(Reason::BadSignature)
        );
        let unreadable = br#"{"messageSignature":{"messageDigest":{"algorithm":"MD5","digest":"AA=="},"signature":"AA=="}}"#;
        assert_eq!(
            check(unreadable).unwrap_err().to_string(),
            "the Sigstore bundle's `messageSignature` names the digest algorithm MD5; Sigstore signs with SHA2_256, SHA2_384 or SHA2_512"
        );
        let short = br#"{"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}"#;
        assert!(matches!(check(short), Err(Reason::MessageSignature(_))));
        // Without the subject's bytes nothing is verified.
        let o = super::check(
            &bundle(&digest, sig.as_ref()),
            &subject,
            None,
            &verifier,
            "",
        );
        assert_eq!(o.result, Err(Reason::Unreadable));
    }

    #[test]
    fn a_real_message_bundle_s_hashedrekord_entry_verifies_offline_against_its_root() {
        use super::super::keyless::{Identity, Keyless};
        use super::super::rekor::{compare, Signed};
        // sigstore-go's scaffolding bundle and root (tests/data/sigstore-go-scaffolding): its
        // checkpoint's origin is the Rekor pod's name, not the log's host.
        let bundle: Value = serde_json::from_slice(include_bytes!(
            "../../tests/data/sigstore-go-scaffolding/othername.sigstore.json"
        ))
        .expect("bundle");
        let root = super::super::trust::TrustedRoot::parse(include_bytes!(
            "../../tests/data/sigstore-go-scaffolding/scaffolding.json"
        ))
        .expect("root");
        let policy = Keyless {
            root,
            root_name: "the scaffolding root".into(),
            identity: Identity::Exact("foo!oidc.local".into()),
            issuer: "http://oidc.local:8080".into(),
        };
        let material = bundle.get("verificationMaterial");
        let entry = tlog_entries(material).remove(0).expect("an entry");
        assert_eq!(policy.entry_time(&entry), Ok(entry.integrated_time));
        let proof = entry.proof.clone().expect("a proof").expect("readable");
        assert_eq!(policy.included(&entry, &proof), Ok(()));
        let (hash, digest, signature) = read_message(&bundle["messageSignature"]).expect("read");
        assert_eq!(hash, Hash::Sha256);
        let der = material.and_then(certificate).expect("certificate");
        let signed = Signed::Artifact {
            hash,
            digest: &digest,
            signature: &signature,
            certificate: Some(&der),
        };
        assert_eq!(compare(&entry.body, &signed), Ok(()));
        let another = Signed::Artifact {
            hash,
            digest: &[0; 32],
            signature: &signature,
            certificate: Some(&der),
        };
        let err = compare(&entry.body, &another).expect_err("another digest");
        assert!(
            err.starts_with("it records the digest sha256:bc103b4a"),
            "{err}"
        );
        // The same proof under a checkpoint naming another Rekor v2 log fails, both named.
        let mut other = proof.clone();
        other.checkpoint = other.checkpoint.replacen(
            "rekor-00001-deployment-56bf7777c9-jds5x - 6364419738405537866",
            "rekor.other",
            1,
        );
        assert_eq!(
            policy.included(&entry, &other),
            Err(Reason::BadInclusionProof(
                "its checkpoint is from the log rekor.other, not http://rekor.rekor-system.172.18.255.1.sslip.io".into()
            ))
        );
    }

    /// sigstore-python's TSA test bundle (tests/data/sigstore-python-tsa): a message signature
    /// logged in sigstage's Rekor, with RFC 3161 timestamps of a test TSA.
    fn python_tsa_policy() -> super::super::keyless::Keyless {
        use super::super::keyless::{Identity, Keyless};
        let mut root: Value = serde_json::from_slice(include_bytes!(
            "../../tests/data/sigstore-python-tsa/staging_trusted_root.json"
        ))
        .expect("root");
        // As sigstore-python's `TestVerifierWithTimestamp`: the staging root, its TSAs
        // replaced by the test TSA of `ca.json`.
        let ca: Value = serde_json::from_slice(include_bytes!(
            "../../tests/data/sigstore-python-tsa/ca.json"
        ))
        .expect("ca");
        root["timestampAuthorities"] = serde_json::json!([ca]);
        let root =
            super::super::trust::TrustedRoot::parse(&serde_json::to_vec(&root).expect("json"))
                .expect("root");
        Keyless {
            root,
            root_name: "the sigstage root".into(),
            identity: Identity::Exact("alexis.challande@trailofbits.com".into()),
            issuer: "https://accounts.google.com".into(),
        }
    }

    #[test]
    fn a_real_bundle_s_rfc3161_timestamp_verifies_and_dates_an_entry_without_a_set() {
        let policy = Box::new(python_tsa_policy());
        let artifact = include_bytes!("../../tests/data/sigstore-python-tsa/bundle.txt").as_slice();
        let subject = format!("sha256:{}", hex::encode(Hash::Sha256.digest(artifact)));
        let original: Value = serde_json::from_slice(include_bytes!(
            "../../tests/data/sigstore-python-tsa/bundle.txt.sigstore"
        ))
        .expect("bundle");
        let verifier = Verifier::Keyless(policy);
        let run = |b: &Value| {
            let bytes = serde_json::to_vec(b).expect("json");
            check(&bytes, &subject, Some(artifact), &verifier, "").result
        };
        // Its first timestamp verifies (2024-10-31T10:23:39Z, inside the certificate's ten
        // minutes); its second stamps other bytes and, as in sigstore-go, is not counted.
        assert_eq!(run(&original), Ok(()));
        let Verifier::Keyless(policy) = &verifier else {
            unreachable!()
        };
        let (_, _, signature) = read_message(&original["messageSignature"]).expect("read");
        let stamps = policy.stamps(
            &timestamps(original.get("verificationMaterial")),
            &signature,
        );
        assert_eq!(stamps.times, [1_730_370_219]);
        assert_eq!(
            stamps.failed.map(|r| r.to_string()).as_deref(),
            Some("bad RFC 3161 timestamp: it timestamps other bytes: its message imprint is not the hash of this signature (timestamp 2 of the bundle)")
        );
        // Without its SET, the entry's inclusion proof and the timestamp still verify it
        // (sigstore-python's `test_verifier_verify_no_inclusion_promise_and_integrated_time`).
        let mut no_set = original.clone();
        let entry = &mut no_set["verificationMaterial"]["tlogEntries"][0];
        let entry = entry.as_object_mut().expect("entry");
        entry.remove("inclusionPromise");
        entry.remove("integratedTime");
        assert_eq!(run(&no_set), Ok(()));
        // Then nothing else dates it: the timestamp's own failure is the reason.
        let stamped = "/verificationMaterial/timestampVerificationData/rfc3161Timestamps";
        let mut other_bytes = no_set.clone();
        let list = other_bytes.pointer_mut(stamped).expect("timestamps");
        list.as_array_mut().expect("list").remove(0);
        let err = run(&other_bytes).unwrap_err();
        assert_eq!(err.code(), "bad-timestamp");
        assert_eq!(
            err.to_string(),
            "bad RFC 3161 timestamp: it timestamps other bytes: its message imprint is not the hash of this signature"
        );
        // One timestamp twice fails, SET or not (sigstore-go; sigstore-python's
        // `bundle.duplicate.sigstore`).
        let mut twice = original.clone();
        let list = twice.pointer_mut(stamped).expect("timestamps");
        let first = list[0].clone();
        list.as_array_mut().expect("list").push(first);
        assert_eq!(
            run(&twice).unwrap_err().to_string(),
            "bad RFC 3161 timestamp: the bundle carries the same timestamp twice, which sigstore-go refuses"
        );
        let mut none = no_set.clone();
        *none.pointer_mut(stamped).expect("timestamps") = serde_json::json!([]);
        assert!(matches!(run(&none), Err(Reason::BadSet(m)) if m.contains("nothing proves when")));
        // A root without the test TSA (sigstage's own) does not trust the timestamp.
        let mut staging = python_tsa_policy();
        staging.root = super::super::trust::TrustedRoot::parse(include_bytes!(
            "../../tests/data/sigstore-python-tsa/staging_trusted_root.json"
        ))
        .expect("root");
        let bytes = serde_json::to_vec(&no_set).expect("json");
        let o = check(
            &bytes,
            &subject,
            Some(artifact),
            &Verifier::Keyless(Box::new(staging)),
            "",
        );
        let err = o.result.unwrap_err().to_string();
        assert!(
            err.contains("the timestamp authority O=local, CN=Test TSA Timestamping is not in the sigstage root"),
            "{err}"
        );
    }
}

//! A DSSE envelope (cosign's `.att` layers) checked with a public key: the signature over the
//! envelope's pre-authentication encoding, then the in-toto statement's subject against the
//! image, as `cosign verify-attestation --key` does.

use super::{PublicKey, Reason};
use crate::model::intoto::decode_base64;
use crate::sanitize::sanitize;

/// Signatures of one envelope tried at most (cosign writes one; a hostile registry may list
/// thousands, each a signature check).
pub const MAX_SIGNATURES: usize = 8;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload_type: String,
    payload: String,
    #[serde(default)]
    signatures: Vec<EnvelopeSignature>,
}

#[derive(serde::Deserialize)]
struct EnvelopeSignature {
    #[serde(default)]
    sig: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statement {
    #[serde(default)]
    predicate_type: Option<String>,
    #[serde(default)]
    subject: Vec<Subject>,
}

#[derive(serde::Deserialize)]
struct Subject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

/// DSSE's pre-authentication encoding: what the signature is over.
#[must_use]
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The envelope's decoded payload and its signatures (at most [`MAX_SIGNATURES`], those that
/// decode), read without verifying anything: what a log entry must record.
#[must_use]
pub fn parts(bytes: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let envelope = serde_json::from_slice::<Envelope>(bytes).ok()?;
    let payload = decode_base64(&envelope.payload)?;
    let signatures = envelope
        .signatures
        .iter()
        .take(MAX_SIGNATURES)
        .filter_map(|s| super::decode_signature(&s.sig))
        .collect();
    Some((payload, signatures))
}

/// The verdict on the envelope `bytes` (already within the blob cap) about `subject`
/// (`sha256:<hex>`), and the statement's predicate type once the signature verifies (the
/// signer's word, so read only then; sanitised).
pub fn check(bytes: &[u8], subject: &str, key: &PublicKey) -> (Result<(), Reason>, Option<String>) {
    let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes) else {
        return (Err(Reason::NotDsse), None);
    };
    let Some(payload) = decode_base64(&envelope.payload) else {
        return (Err(Reason::NotDsse), None);
    };
    if envelope.signatures.is_empty() {
        return (Err(Reason::NoSignature), None);
    }
    let message = pae(&envelope.payload_type, &payload);
    let verifies = envelope
        .signatures
        .iter()
        .take(MAX_SIGNATURES)
        .filter_map(|s| super::decode_signature(&s.sig))
        .any(|sig| key.verifies(&message, &sig));
    if !verifies {
        return (Err(Reason::BadSignature), None);
    }
    let Ok(statement) = serde_json::from_slice::<Statement>(&payload) else {
        return (Err(Reason::NotInToto), None);
    };
    let predicate = statement
        .predicate_type
        .as_deref()
        .map(|p| sanitize(p).into_owned());
    let hex = subject.strip_prefix("sha256:").unwrap_or(subject);
    let about: Vec<&String> = statement
        .subject
        .iter()
        .filter_map(|s| s.digest.get("sha256"))
        .collect();
    if about.iter().any(|d| d.as_str() == hex) {
        return (Ok(()), predicate);
    }
    let signed = about.first().map_or_else(
        || "no image (the statement has no sha256 subject)".to_string(),
        |d| format!("sha256:{}", sanitize(d)),
    );
    (Err(Reason::OtherImage { signed }), predicate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
    use base64::Engine as _;

    fn key_pair() -> (Ed25519KeyPair, PublicKey) {
        let pair = Ed25519KeyPair::generate().expect("a key");
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(pair.public_key().as_ref());
        (pair, PublicKey::from_spki_der(&der).expect("key"))
    }

    fn envelope(pair: &Ed25519KeyPair, statement: &[u8], signed: &[u8]) -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let t = "application/vnd.in-toto+json";
        let sig = pair.sign(&pae(t, signed));
        serde_json::to_vec(&serde_json::json!({
            "payloadType": t,
            "payload": b64.encode(statement),
            "signatures": [{"keyid": "", "sig": b64.encode(sig.as_ref())}],
        }))
        .expect("json")
    }

    #[test]
    fn pae_is_the_spec_s_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn an_envelope_verifies_for_its_subject_and_fails_with_its_reason_otherwise() {
        let (pair, key) = key_pair();
        let subject = format!("sha256:{}", "a".repeat(64));
        let statement = serde_json::to_vec(&serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": "a".repeat(64)}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {},
        }))
        .expect("json");
        let good = envelope(&pair, &statement, &statement);
        assert_eq!(
            check(&good, &subject, &key),
            (Ok(()), Some("https://slsa.dev/provenance/v1".into()))
        );
        let other = format!("sha256:{}", "b".repeat(64));
        assert_eq!(
            check(&good, &other, &key).0,
            Err(Reason::OtherImage { signed: subject })
        );
        let tampered = envelope(&pair, &statement, b"something else");
        assert_eq!(
            check(&tampered, &other, &key),
            (Err(Reason::BadSignature), None)
        );
        assert_eq!(check(b"{}", &other, &key).0, Err(Reason::NotDsse));
        let unsigned = br#"{"payloadType":"t","payload":"e30=","signatures":[]}"#;
        assert_eq!(check(unsigned, &other, &key).0, Err(Reason::NoSignature));
    }
}

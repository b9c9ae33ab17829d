//! A Sigstore bundle layer (cosign v3 attaches signatures and attestations as bundle referrers)
//! checked with a public key: its DSSE envelope through [`super::dsse::check`], as `cosign
//! verify --key` does. cosign v3 signs an image as an in-toto statement of predicate type
//! [`COSIGN_SIGN`]: that is a signature; any other predicate is an attestation.

use super::{dsse, Reason, Verifier};

/// The predicate type of cosign v3's image signature.
pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";

/// A bundle's verdict: the result, the predicate type once verified, and whether it is an
/// attestation (a claim about the image) rather than a signature of it.
pub struct Outcome {
    pub result: Result<(), Reason>,
    pub predicate_type: Option<String>,
    pub attestation: bool,
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
    let key = match verifier {
        Verifier::Key(key) => key,
        Verifier::Keyless(_) => {
            return fail(Reason::NotSupported(
                "a keyless Sigstore bundle".into(),
                "cosign verify",
            ))
        }
        Verifier::Notation(_) => {
            return fail(Reason::NotSupported(
                "a Sigstore bundle".into(),
                "regscope verify --key FILE",
            ))
        }
    };
    let Ok(envelope) = serde_json::to_vec(envelope) else {
        return fail(Reason::NotBundle);
    };
    let (result, predicate_type) = dsse::check(&envelope, subject, key);
    let attestation = match &predicate_type {
        Some(p) => p != COSIGN_SIGN,
        None => claimed_attestation,
    };
    Outcome {
        result,
        predicate_type: predicate_type.filter(|p| p != COSIGN_SIGN),
        attestation,
    }
}

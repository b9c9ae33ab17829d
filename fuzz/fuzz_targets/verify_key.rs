//! What `regscope verify` reads from outside: a public key file (PEM, or DER SPKI), a base64
//! signature annotation, a simple-signing payload, a DSSE envelope, a keyless Sigstore bundle, a
//! Rekor entry body, an inclusion proof and its checkpoint, and a notation JWS or COSE (CBOR)
//! envelope from the registry, a notation trust policy and a distinguished name. Parsing never panics, stays
//! within its caps, an error prints nothing a terminal obeys, and a key parsed from garbage
//! verifies nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::verify::{decode_signature, payload_subject, PublicKey};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // The key, then (after a NUL) the signature annotation, then the payload.
    let mut parts = data.splitn(3, |&b| b == 0);
    let key = parts.next().unwrap_or_default();
    let signature = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or_default();
    for parsed in [PublicKey::from_pem(key), PublicKey::from_spki_der(key)] {
        match parsed {
            Ok(k) => {
                if let Some(sig) = decode_signature(&String::from_utf8_lossy(signature)) {
                    let _ = k.verifies(payload, &sig);
                }
                let (result, predicate) = regscope::verify::dsse::check(payload, "sha256:00", &k);
                if let Err(e) = result {
                    common::assert_terminal_safe("envelope verdict", &e.to_string());
                }
                if let Some(p) = predicate {
                    common::assert_terminal_safe("predicate type", &p);
                }
            }
            Err(e) => common::assert_terminal_safe("key error", &e.to_string()),
        }
    }
    let _ = payload_subject(payload);
    notation(payload);
    keyless(payload);
});

/// The payload as a Sigstore bundle judged keylessly (on the embedded public-good root), and as
/// a Rekor entry body matched against itself: a verdict in words, never a panic.
fn keyless(bytes: &[u8]) {
    use regscope::verify::{bundle, keyless, rekor, Verifier};
    let policy = keyless::policy(Some("ci@example.com"), None, Some("https://issuer"), None)
        .expect("a policy on the public-good root");
    let verifier = Verifier::Keyless(Box::new(policy));
    // The bytes as the subject's manifest too: a message signature's artifact.
    let subject = format!("sha256:{}", hex::encode(regscope::verify::rekor::Hash::Sha256.digest(bytes)));
    for (subject, artifact) in [("sha256:00", None), (subject.as_str(), Some(bytes))] {
        let outcome = bundle::check(bytes, subject, artifact, &verifier, "claimed");
        if let Err(e) = outcome.result {
            common::assert_terminal_safe("bundle verdict", &e.to_string());
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let _ = regscope::verify::merkle::parse_checkpoint(&text);
    let hashes: Vec<Vec<u8>> = bytes.chunks(32).map(<[u8]>::to_vec).collect();
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let _ = regscope::verify::merkle::root_from_proof(size / 2, size, bytes, &hashes);
    let signatures = [bytes.to_vec()];
    let _ = rekor::records(
        &text,
        &rekor::Signed::Envelope {
            payload: bytes,
            signatures: &signatures,
            envelope: bytes,
        },
    );
    let _ = rekor::envelope_forms(bytes);
    let _ = rekor::same_key(&text, bytes);
    let _ = rekor::compare(
        &text,
        &rekor::Signed::Artifact {
            hash: rekor::Hash::Sha256,
            digest: bytes,
            signature: bytes,
            certificate: Some(bytes),
        },
    );
    let _ = rekor::records(
        &text,
        &rekor::Signed::Message {
            payload: bytes,
            signature: bytes,
        },
    );
}

/// The payload as a notation envelope (opened alone, and judged under a strict `*` policy whose
/// store does not exist), a trust policy and a distinguished name.
fn notation(bytes: &[u8]) {
    use regscope::verify::{notation, trustpolicy};
    if let Err(e) = notation::Envelope::open(bytes) {
        common::assert_terminal_safe("envelope error", &e.to_string());
    }
    // The same bytes as CBOR, as a COSE envelope, and as an RFC 3161 timestamp token.
    let _ = regscope::verify::cbor::decode(bytes);
    if let Err(e) = regscope::verify::tsa::verify(bytes, bytes, &[], "fuzz") {
        common::assert_terminal_safe("timestamp error", &e.to_string());
    }
    if let Err(e) = regscope::verify::cose::open(bytes) {
        common::assert_terminal_safe("COSE envelope error", &e.to_string());
    }
    match trustpolicy::TrustPolicy::parse(bytes, "fuzz.json") {
        Ok(p) => {
            let _ = p.statement_for("registry.test/team/app");
        }
        Err(e) => common::assert_terminal_safe("trust policy error", &e.to_string()),
    }
    let _ = trustpolicy::parse_dn(&String::from_utf8_lossy(bytes));
    let policy = trustpolicy::TrustPolicy::parse(
        br#"{"version":"1.0","trustPolicies":[{"name":"all","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:none"],"trustedIdentities":["*"]}]}"#,
        "fuzz.json",
    )
    .expect("the policy");
    let checker = notation::Notation {
        policy,
        store: "/nonexistent".into(),
        scope: Some("registry.test/team/app".into()),
    };
    let subject = regscope::model::Node::from_descriptor(
        regscope::model::Kind::Index,
        &serde_json::from_str::<regscope::model::Descriptor>(&format!(
                r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{}","size":2}}"#,
                "0".repeat(64)
            ))
            .expect("a descriptor"),
    );
    for media_type in [notation::JWS, regscope::verify::cose::COSE] {
        let outcome = checker.check(bytes, media_type, &subject);
        let words = outcome.result.expect_err("garbage never verifies").to_string();
        common::assert_terminal_safe("notation verdict", &words);
    }
}

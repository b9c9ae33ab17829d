//! A notation signature envelope once decoded, whatever its encoding (JWS in `notation`, COSE
//! in `cose`): the certificate chain, the scheme, the signing time and expiry, the target; and
//! the rules both encodings keep on their protected header, chain and signature.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::Reason;
use crate::model::payload::MAX_CERTIFICATE_BYTES;
use crate::sanitize::sanitize;

/// Certificates read at most from the chain (leaf, intermediates, root).
pub const MAX_CHAIN: usize = 10;
/// A protected header or payload longer than this (base64url characters) is refused.
pub const MAX_PART_CHARS: usize = 64 * 1024;
/// The media type of a JWS envelope layer.
pub const JWS: &str = "application/jose+json";
/// The content type notation's payload declares.
pub const PAYLOAD_TYPE: &str = "application/vnd.cncf.notary.payload.v1+json";

pub(super) const SCHEME: &str = "io.cncf.notary.signingScheme";
pub(super) const SIGNING_TIME: &str = "io.cncf.notary.signingTime";
pub(super) const AUTHENTIC_TIME: &str = "io.cncf.notary.authenticSigningTime";
pub(super) const EXPIRY: &str = "io.cncf.notary.expiry";
/// The unprotected header holding an RFC 3161 countersignature of the envelope's signature.
pub(super) const TIMESTAMP_SIGNATURE: &str = "io.cncf.notary.timestampSignature";
/// Headers a signer may mark critical that this verifier understands.
const UNDERSTOOD: [&str; 3] = [SCHEME, EXPIRY, AUTHENTIC_TIME];

/// notation's payload: the descriptor of what was signed.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Payload {
    target_artifact: Target,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Target {
    pub media_type: String,
    pub digest: String,
    pub size: i64,
}

/// An envelope read and its integrity checked: the signature verifies with the leaf and the
/// headers are understood.
pub struct Envelope {
    /// DER certificates, leaf first.
    pub(super) chain: Vec<Vec<u8>>,
    /// `notary.x509` or `notary.x509.signingAuthority`.
    pub(super) scheme: String,
    /// Seconds since the epoch.
    pub(super) signing_time: i64,
    pub(super) expiry: Option<i64>,
    pub(super) target: Target,
    /// The envelope's signature bytes (what a timestamp countersignature stamps).
    pub(super) signature: Vec<u8>,
    /// The RFC 3161 countersignature of its unprotected header
    /// (`io.cncf.notary.timestampSignature`), DER, unverified.
    pub(super) timestamp: Option<Vec<u8>>,
}

pub(super) fn bad(why: impl Into<String>) -> Reason {
    Reason::NotationEnvelope(why.into())
}

/// What aws-lc checks a JWS `alg` with (the JWS forms: ECDSA as fixed `r||s`).
fn jws_algorithm(alg: &str) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match alg {
        "ES256" => &sig::ECDSA_P256_SHA256_FIXED,
        "ES384" => &sig::ECDSA_P384_SHA384_FIXED,
        "ES512" => &sig::ECDSA_P521_SHA512_FIXED,
        "PS256" => &sig::RSA_PSS_2048_8192_SHA256,
        "PS384" => &sig::RSA_PSS_2048_8192_SHA384,
        "PS512" => &sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

impl Envelope {
    /// The parts of an envelope whose integrity is checked (`chain` read, the signature
    /// verified with its leaf, the header's rules kept), whatever its encoding: the signing time
    /// the `scheme` names and the expiry read with `time`, the target from the `payload`.
    pub(super) fn decoded(
        chain: Vec<Vec<u8>>,
        scheme: &str,
        payload: &[u8],
        time: impl Fn(&str) -> Result<Option<i64>, Reason>,
    ) -> Result<Self, Reason> {
        // Only a verified payload is read: what it says is the signer's word.
        let payload: Payload = serde_json::from_slice(payload)
            .map_err(|_| bad("its payload is not notation's (`targetArtifact`)"))?;
        let time_key = if scheme == "notary.x509" {
            SIGNING_TIME
        } else {
            AUTHENTIC_TIME
        };
        let signing_time = time(time_key)?.ok_or_else(|| bad(format!("it has no `{time_key}`")))?;
        Ok(Self {
            chain,
            scheme: scheme.to_string(),
            signing_time,
            expiry: time(EXPIRY)?,
            target: payload.target_artifact,
            signature: Vec::new(),
            timestamp: None,
        })
    }
}

/// A chain of `count` certificates in the header `name`: too few or too many.
pub(super) fn chain_length(name: &str, count: usize) -> Reason {
    bad(format!(
        "its `{name}` holds {count} certificates; notation's holds the chain, 1 to {MAX_CHAIN}"
    ))
}

/// Each certificate of the chain (header `name`) within the cap and DER X.509.
pub(super) fn check_chain(chain: &[Vec<u8>], name: &str) -> Result<(), Reason> {
    if chain.is_empty() || chain.len() > MAX_CHAIN {
        return Err(chain_length(name, chain.len()));
    }
    if chain
        .iter()
        .any(|d| d.len() > MAX_CERTIFICATE_BYTES || X509Certificate::from_der(d).is_err())
    {
        return Err(bad(format!(
            "a certificate of its `{name}` is not a DER X.509 certificate"
        )));
    }
    Ok(())
}

/// The signature over `signed` made with the key of the chain's leaf under `alg` (the JWS
/// name; a COSE envelope's algorithm number maps to it).
pub(super) fn verify_with_leaf(
    chain: &[Vec<u8>],
    alg: &str,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), Reason> {
    let algorithm = jws_algorithm(alg).ok_or_else(|| {
        bad(format!(
            "it is signed with alg {}; notation signs with PS256/384/512 or ES256/384/512",
            sanitize(alg)
        ))
    })?;
    let leaf = chain
        .first()
        .and_then(|d| X509Certificate::from_der(d).ok())
        .ok_or(Reason::BadCertificate)?;
    // notation picks the algorithm from the key and refuses an envelope naming another (an
    // RSA-3072 key signs PS384, never PS256).
    match key_algorithm(&leaf.1) {
        Ok(wanted) if wanted == alg => {}
        Ok(wanted) => {
            return Err(bad(format!(
                "it is signed with {}, but notation signs with {wanted} for its signing certificate's key",
                sanitize(alg)
            )))
        }
        Err(key) => {
            return Err(bad(format!(
                "its signing certificate's key is {key}; notation signs with RSA 2048, 3072 or 4096 bits, or ECDSA P-256, P-384 or P-521"
            )))
        }
    }
    UnparsedPublicKey::new(
        algorithm,
        leaf.1.public_key().subject_public_key.data.as_ref(),
    )
    .verify(signed, signature)
    .map_err(|_| Reason::BadSignature)
}

/// The algorithm notation signs with for `cert`'s key (notation-core-go's
/// `getSignatureAlgorithmFromKeySpec`), or the key in words when notation signs with none.
fn key_algorithm(cert: &X509Certificate<'_>) -> Result<&'static str, String> {
    use x509_parser::public_key::PublicKey;
    let spki = cert.public_key();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let modulus: &[u8] = rsa.modulus;
            let start = modulus
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(modulus.len());
            let bits = modulus.get(start).map_or(0, |first| {
                (modulus.len() - start) * 8 - first.leading_zeros() as usize
            });
            match bits {
                2048 => Ok("PS256"),
                3072 => Ok("PS384"),
                4096 => Ok("PS512"),
                _ => Err(format!("RSA of {bits} bits")),
            }
        }
        Ok(PublicKey::EC(_)) => {
            let curve = super::key::curve_oid(spki);
            match curve.as_str() {
                "1.2.840.10045.3.1.7" => Ok("ES256"),
                "1.3.132.0.34" => Ok("ES384"),
                "1.3.132.0.35" => Ok("ES512"),
                other => Err(format!("ECDSA on curve {}", sanitize(other))),
            }
        }
        _ => Err("neither RSA nor ECDSA".into()),
    }
}

/// What a protected header says that notation's rules are about, however it is encoded.
pub(super) struct Header<'a> {
    /// The names `crit` lists (a COSE label that is a number, as its digits).
    pub crit: Vec<String>,
    /// Whether the header holds a parameter, by name.
    pub has: &'a dyn Fn(&str) -> bool,
    pub scheme: Option<&'a str>,
    pub content_type: Option<&'a str>,
}

/// The rules both envelopes keep: a header marked critical that is not understood fails, each
/// notary parameter is critical exactly when present, the scheme is notation's, the content
/// type notation's payload.
pub(super) fn check_header(header: &Header<'_>) -> Result<(), Reason> {
    if let Some(unknown) = header
        .crit
        .iter()
        .find(|c| !UNDERSTOOD.contains(&c.as_str()))
    {
        return Err(bad(format!(
            "it marks header {} critical, which regscope does not understand (a verification plugin's); check it with `notation verify`",
            sanitize(unknown)
        )));
    }
    // Each of these is critical exactly when present: a `crit` naming an absent header is as
    // malformed as a present one left out of it.
    for name in UNDERSTOOD {
        let present = (header.has)(name);
        let critical = header.crit.iter().any(|c| c == name);
        if present != critical {
            return Err(bad(format!(
                "its header {name} must be present and listed in `crit` together"
            )));
        }
    }
    match header.scheme {
        Some("notary.x509" | "notary.x509.signingAuthority") => {}
        other => {
            return Err(bad(format!(
            "its signing scheme is {}; notation's are notary.x509 and notary.x509.signingAuthority",
            sanitize(other.unwrap_or("missing"))
        )))
        }
    }
    if header.content_type != Some(PAYLOAD_TYPE) {
        return Err(bad(format!("its content type is not {PAYLOAD_TYPE}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALPINE: &[u8] = include_bytes!("../../tests/data/notation-cose/alpine.crt");

    /// notation-go's RSA-2048 certificate signs PS256 and nothing else: an envelope naming
    /// another algorithm is refused before its signature is tried.
    #[test]
    fn the_algorithm_is_the_one_notation_picks_for_the_key() {
        let cert = X509Certificate::from_der(ALPINE).unwrap().1;
        assert_eq!(key_algorithm(&cert), Ok("PS256"));
        let chain = [ALPINE.to_vec()];
        let words = verify_with_leaf(&chain, "PS384", b"x", b"y")
            .unwrap_err()
            .to_string();
        assert!(
            words.contains("it is signed with PS384, but notation signs with PS256 for its signing certificate's key"),
            "{words}"
        );
        assert_eq!(
            verify_with_leaf(&chain, "PS256", b"x", b"y"),
            Err(Reason::BadSignature)
        );
        assert!(verify_with_leaf(&chain, "HS256", b"x", b"y")
            .unwrap_err()
            .to_string()
            .contains("it is signed with alg HS256; notation signs with"));
    }
}

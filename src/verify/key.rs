//! A cosign public key read from PEM (`cosign.pub`), and the check of a signature with it, on
//! aws-lc (the crypto the TLS stack already ships).

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

/// Key files larger than this are refused unread (an RSA-8192 SPKI in PEM is under 1.5 KiB).
pub const MAX_KEY_BYTES: usize = 16 * 1024;

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const ED25519: &str = "1.3.101.112";
const RSA: &str = "1.2.840.113549.1.1.1";

/// The kinds of key cosign signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa,
}

impl Algorithm {
    /// Words for a person: `ECDSA P-256`.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Algorithm::EcdsaP256 => "ECDSA P-256",
            Algorithm::EcdsaP384 => "ECDSA P-384",
            Algorithm::Ed25519 => "Ed25519",
            Algorithm::Rsa => "RSA",
        }
    }

    /// What aws-lc checks a signature of this kind with, in the order tried: cosign hashes
    /// with SHA-256 by default, newer releases hash P-384 with SHA-384, and RSA keys sign
    /// with PKCS #1 v1.5 or PSS.
    fn verifiers(self) -> &'static [&'static dyn VerificationAlgorithm] {
        match self {
            Algorithm::EcdsaP256 => &[&sig::ECDSA_P256_SHA256_ASN1],
            Algorithm::EcdsaP384 => &[&sig::ECDSA_P384_SHA384_ASN1, &sig::ECDSA_P384_SHA256_ASN1],
            Algorithm::Ed25519 => &[&sig::ED25519],
            Algorithm::Rsa => &[
                &sig::RSA_PKCS1_2048_8192_SHA256,
                &sig::RSA_PSS_2048_8192_SHA256,
            ],
        }
    }
}

/// Why a key file is not a key regscope can verify with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("is larger than {MAX_KEY_BYTES} bytes; a public key is far smaller")]
    TooLarge,
    #[error("is not PEM: expected a `-----BEGIN PUBLIC KEY-----` block, as `cosign generate-key-pair` writes")]
    NotPem,
    #[error("holds a `{0}` block, not a `PUBLIC KEY`; give the public half (`cosign.pub`), never the private key")]
    WrongLabel(String),
    #[error("is not a DER SubjectPublicKeyInfo")]
    NotSpki,
    #[error("holds a key of an algorithm cosign does not sign with ({0}); expected ECDSA P-256 or P-384, Ed25519 or RSA")]
    Unsupported(String),
}

/// A public key to verify cosign signatures with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub algorithm: Algorithm,
    /// The SPKI's `subjectPublicKey`: an uncompressed point, 32 raw bytes, or a PKCS #1 key.
    bytes: Vec<u8>,
    /// `sha256:<hex>` of the DER `SubjectPublicKeyInfo` (what `openssl pkey -pubin -outform
    /// DER | sha256sum` prints): names the key a signature verified with.
    pub sha256: String,
    /// The file it was read from, as the user named it (sanitised); `None` for a certificate's.
    pub name: Option<String>,
}

impl PublicKey {
    /// Reads the first PEM block of `pem` (cosign's `cosign.pub`, `openssl pkey -pubout`).
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        if pem.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLarge);
        }
        let (_, block) = x509_parser::pem::parse_x509_pem(pem).map_err(|_| KeyError::NotPem)?;
        if block.label != "PUBLIC KEY" {
            return Err(KeyError::WrongLabel(
                crate::sanitize::sanitize(&block.label).into_owned(),
            ));
        }
        Self::from_spki_der(&block.contents)
    }

    /// Reads a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        if der.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLarge);
        }
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|_| KeyError::NotSpki)?;
        // The fingerprint is of the SPKI alone, not of what a PEM block may carry after it.
        let spki_der = &der[..der.len() - rest.len()];
        let oid = spki.algorithm.algorithm.to_id_string();
        let algorithm = match oid.as_str() {
            EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    P256 => Algorithm::EcdsaP256,
                    P384 => Algorithm::EcdsaP384,
                    _ => return Err(KeyError::Unsupported(format!("EC curve {curve}"))),
                }
            }
            ED25519 => Algorithm::Ed25519,
            RSA => Algorithm::Rsa,
            _ => return Err(KeyError::Unsupported(oid)),
        };
        Ok(Self {
            algorithm,
            bytes: spki.subject_public_key.data.to_vec(),
            sha256: format!(
                "sha256:{}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(spki_der))
            ),
            name: None,
        })
    }

    /// Whether `signature` is this key's signature of `message`.
    #[must_use]
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.algorithm.verifiers().iter().any(|alg| {
            UnparsedPublicKey::new(*alg, &self.bytes)
                .verify(message, signature)
                .is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_public_key_is_refused_with_its_reason() {
        assert_eq!(PublicKey::from_pem(b"hello"), Err(KeyError::NotPem));
        assert_eq!(
            PublicKey::from_pem(&vec![b'a'; MAX_KEY_BYTES + 1]),
            Err(KeyError::TooLarge)
        );
        let private = b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(
            PublicKey::from_pem(private),
            Err(KeyError::WrongLabel("EC PRIVATE KEY".into()))
        );
        let garbage = b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(PublicKey::from_pem(garbage), Err(KeyError::NotSpki));
        assert!(KeyError::WrongLabel("X".into())
            .to_string()
            .contains("never the private key"));
    }

    #[test]
    fn an_ed25519_key_verifies_its_own_signature_and_nothing_else() {
        use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};
        let pair = Ed25519KeyPair::generate().expect("a key");
        // SPKI for Ed25519: the fixed 12-byte prefix and the 32-byte key.
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(pair.public_key().as_ref());
        let key = PublicKey::from_spki_der(&der).expect("the key");
        assert_eq!(key.algorithm, Algorithm::Ed25519);
        let signature = pair.sign(b"payload");
        assert!(key.verifies(b"payload", signature.as_ref()));
        assert!(!key.verifies(b"payloaD", signature.as_ref()));
        assert!(!key.verifies(b"payload", &[0u8; 64]));
        assert!(!key.verifies(b"payload", b""));
    }
}

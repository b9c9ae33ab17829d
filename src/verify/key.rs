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

/// The hash algorithms a Sigstore message signature's digest is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// `SHA2_256` (the bundle's protobuf name) or `sha256` (Rekor's), as sigstore-go reads both.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "SHA2_256" | "sha256" => Some(Hash::Sha256),
            "SHA2_384" | "sha384" => Some(Hash::Sha384),
            "SHA2_512" | "sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    /// `sha256`, as a digest is written (`sha256:<hex>`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "sha256",
            Hash::Sha384 => "sha384",
            Hash::Sha512 => "sha512",
        }
    }

    /// The digest of `bytes`.
    #[must_use]
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        let alg = match self {
            Hash::Sha256 => &aws_lc_rs::digest::SHA256,
            Hash::Sha384 => &aws_lc_rs::digest::SHA384,
            Hash::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        aws_lc_rs::digest::digest(alg, bytes).as_ref().to_vec()
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
    /// The DER `SubjectPublicKeyInfo`: what a Rekor entry's public key is compared with.
    pub spki_der: Vec<u8>,
    /// The file it was read from, as the user named it (sanitised); `None` for a certificate's.
    pub name: Option<String>,
}

/// The named curve of an EC key's `SubjectPublicKeyInfo` (its parameters' OID, dotted), or
/// empty when it names none (not an EC key, or explicit parameters).
pub(super) fn curve_oid(spki: &SubjectPublicKeyInfo<'_>) -> String {
    spki.algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string())
        .unwrap_or_default()
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
                let curve = curve_oid(&spki);
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
            spki_der: spki_der.to_vec(),
            name: None,
        })
    }

    /// Whether `signature` is this key's signature of `message`.
    #[must_use]
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        self.verifies_any(self.algorithm.verifiers(), message, signature)
    }

    /// Whether `signature` is this key's signature of `message` hashed with `hash` (a Sigstore
    /// message signature says which); an Ed25519 signature hashes nothing.
    #[must_use]
    pub fn verifies_hashed(&self, message: &[u8], signature: &[u8], hash: Hash) -> bool {
        let algorithms: &[&'static dyn VerificationAlgorithm] = match (self.algorithm, hash) {
            (Algorithm::Ed25519, _) => &[&sig::ED25519],
            (Algorithm::EcdsaP256, Hash::Sha256) => &[&sig::ECDSA_P256_SHA256_ASN1],
            (Algorithm::EcdsaP256, Hash::Sha384) => &[&sig::ECDSA_P256_SHA384_ASN1],
            (Algorithm::EcdsaP256, Hash::Sha512) => &[&sig::ECDSA_P256_SHA512_ASN1],
            (Algorithm::EcdsaP384, Hash::Sha256) => &[&sig::ECDSA_P384_SHA256_ASN1],
            (Algorithm::EcdsaP384, Hash::Sha384) => &[&sig::ECDSA_P384_SHA384_ASN1],
            (Algorithm::EcdsaP384, Hash::Sha512) => &[&sig::ECDSA_P384_SHA512_ASN1],
            (Algorithm::Rsa, Hash::Sha256) => &[
                &sig::RSA_PKCS1_2048_8192_SHA256,
                &sig::RSA_PSS_2048_8192_SHA256,
            ],
            (Algorithm::Rsa, Hash::Sha384) => &[
                &sig::RSA_PKCS1_2048_8192_SHA384,
                &sig::RSA_PSS_2048_8192_SHA384,
            ],
            (Algorithm::Rsa, Hash::Sha512) => &[
                &sig::RSA_PKCS1_2048_8192_SHA512,
                &sig::RSA_PSS_2048_8192_SHA512,
            ],
        };
        self.verifies_any(algorithms, message, signature)
    }

    fn verifies_any(
        &self,
        algorithms: &[&'static dyn VerificationAlgorithm],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        algorithms.iter().any(|alg| {
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

    #[test]
    fn a_message_signature_is_checked_with_the_hash_its_digest_names() {
        use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P384_SHA384_ASN1_SIGNING};
        let pair = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_ASN1_SIGNING).expect("a key");
        // SPKI for P-384: the fixed prefix and the uncompressed point.
        let mut der = vec![
            0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00,
        ];
        der.extend_from_slice(pair.public_key().as_ref());
        let key = PublicKey::from_spki_der(&der).expect("the key");
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signature = pair.sign(&rng, b"manifest").expect("sign");
        assert!(key.verifies_hashed(b"manifest", signature.as_ref(), Hash::Sha384));
        assert!(!key.verifies_hashed(b"manifest", signature.as_ref(), Hash::Sha512));
        assert!(!key.verifies_hashed(b"manifesT", signature.as_ref(), Hash::Sha384));
        assert_eq!(Hash::Sha384.digest(b"").len(), 48);
        assert_eq!(Hash::Sha512.name(), "sha512");
    }
}

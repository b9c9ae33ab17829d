//! A Sigstore trusted root (`trusted_root.json`, the format cosign reads from Sigstore's TUF
//! repository): the Fulcio certificate chains and the Rekor logs' keys that keyless
//! verification trusts. The public-good root is embedded (`assets/sigstore/`, with its source),
//! so nothing is fetched; a private Sigstore gives its own file.
//!
//! Keyless verification (`verify::keyless`: chain, SET, identity) reads what it trusts here.

use base64::Engine as _;

use super::PublicKey;
use crate::sanitize::sanitize;

/// A trusted root larger than this is refused unread (the public-good one is under 7 KiB).
pub const MAX_BYTES: usize = 1024 * 1024;
/// Logs and certificate authorities read at most each (public-good has two of each).
pub const MAX_ENTRIES: usize = 64;
/// Certificates read at most per chain.
pub const MAX_CHAIN: usize = 8;

/// Sigstore's public-good trusted root, as copied from sigstore/root-signing.
pub const PUBLIC_GOOD: &[u8] = include_bytes!("../../assets/sigstore/trusted_root.json");

/// The media type a trusted root declares.
pub const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.trustedroot+json";

/// Why a trusted root cannot be used, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("is larger than {MAX_BYTES} bytes; a trusted root is a few KiB")]
    TooLarge,
    #[error("is not a Sigstore trusted root (JSON with `tlogs` and `certificateAuthorities`, as in Sigstore's `trusted_root.json`)")]
    NotTrustedRoot,
    #[error("declares media type {0}, not {MEDIA_TYPE_PREFIX}")]
    MediaType(String),
    #[error("has a Rekor log whose public key cannot be used ({0})")]
    LogKey(String),
    #[error("has a Rekor log ({0}) whose key has no `publicKey.validFor.start`; a log key's validity must say when it began, as sigstore-go requires")]
    LogValidity(String),
    #[error("has a certificate that is not base64 DER")]
    Certificate,
    #[error("lists no Fulcio certificate authority and no Rekor log")]
    Empty,
}

/// A transparency log the root trusts: its key checks the signed entry timestamps (SETs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// `https://rekor.sigstore.dev` (sanitised).
    pub base_url: String,
    pub key: PublicKey,
    /// The key's DER `SubjectPublicKeyInfo`.
    pub der: Vec<u8>,
    /// The log's ID as the root gives it (Rekor v1: SHA-256 of the key's DER, computed when the
    /// root leaves it out), as an entry names its log.
    pub log_id: Vec<u8>,
    /// RFC 3339 bounds of when the key signed, as the root says them.
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// A certificate authority (Fulcio) the root trusts: its chain, leaf-most first, root last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub uri: String,
    pub chain: Vec<Vec<u8>>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
}

/// What a trusted root says to trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    pub logs: Vec<Log>,
    pub authorities: Vec<Authority>,
    /// Certificate-transparency logs, whose keys check a certificate's SCTs ([`super::sct`]).
    pub ct_logs: Vec<Log>,
    /// RFC 3161 timestamp authorities (`timestampAuthorities`): each chain leaf first, root last.
    pub timestamp_authorities: Vec<Authority>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    base_url: String,
    public_key: RawKey,
    #[serde(default)]
    log_id: Option<RawLogId>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    #[serde(default)]
    valid_for: Option<ValidFor>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(serde::Deserialize, Default)]
struct ValidFor {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: RawChain,
    #[serde(default)]
    valid_for: Option<ValidFor>,
}

#[derive(serde::Deserialize)]
struct RawChain {
    #[serde(default)]
    certificates: Vec<RawCert>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

fn b64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// A CT log of the root: its key and ID (a log's ID is the SHA-256 of its key's DER); `None`
/// for a key regscope cannot read (staging's old `PKCS1_RSA_PKCS1V5` test log), which then
/// vouches for nothing.
fn ct_log(l: RawLog) -> Option<Log> {
    let der = b64(&l.public_key.raw_bytes)?;
    let key = PublicKey::from_spki_der(&der).ok()?;
    let log_id = l.log_id.and_then(|id| b64(&id.key_id)).unwrap_or_else(|| {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der)
            .as_ref()
            .to_vec()
    });
    let valid = l.public_key.valid_for.unwrap_or_default();
    Some(Log {
        base_url: sanitize(&l.base_url).into_owned(),
        key,
        der,
        log_id,
        valid_from: valid.start.map(|s| sanitize(&s).into_owned()),
        valid_until: valid.end.map(|s| sanitize(&s).into_owned()),
    })
}

impl TrustedRoot {
    /// Sigstore's public-good root (embedded).
    pub fn public_good() -> Result<Self, TrustError> {
        Self::parse(PUBLIC_GOOD)
    }

    /// Reads a `trusted_root.json`, within [`MAX_BYTES`] and [`MAX_ENTRIES`].
    pub fn parse(bytes: &[u8]) -> Result<Self, TrustError> {
        if bytes.len() > MAX_BYTES {
            return Err(TrustError::TooLarge);
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|_| TrustError::NotTrustedRoot)?;
        if let Some(m) = raw.media_type.filter(|m| !m.starts_with(MEDIA_TYPE_PREFIX)) {
            return Err(TrustError::MediaType(sanitize(&m).into_owned()));
        }
        let mut logs = Vec::new();
        for l in raw.tlogs.into_iter().take(MAX_ENTRIES) {
            let der = b64(&l.public_key.raw_bytes)
                .ok_or_else(|| TrustError::LogKey("not base64".into()))?;
            let key = PublicKey::from_spki_der(&der)
                .map_err(|e| TrustError::LogKey(format!("it {e}")))?;
            let log_id = l.log_id.and_then(|id| b64(&id.key_id)).unwrap_or_else(|| {
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der)
                    .as_ref()
                    .to_vec()
            });
            let valid = l.public_key.valid_for.unwrap_or_default();
            // An open start would make the key vouch for entries from before it existed: the
            // conformance suite's `trust-root-tlog-missing-validity-start_fail` root.
            if valid.start.is_none() {
                return Err(TrustError::LogValidity(sanitize(&l.base_url).into_owned()));
            }
            logs.push(Log {
                base_url: sanitize(&l.base_url).into_owned(),
                key,
                der,
                log_id,
                valid_from: valid.start.map(|s| sanitize(&s).into_owned()),
                valid_until: valid.end.map(|s| sanitize(&s).into_owned()),
            });
        }
        let authorities = read_authorities(raw.certificate_authorities)?;
        let timestamp_authorities = read_authorities(raw.timestamp_authorities)?;
        if logs.is_empty() && authorities.is_empty() {
            return Err(TrustError::Empty);
        }
        let ct_logs = raw
            .ctlogs
            .into_iter()
            .take(MAX_ENTRIES)
            .filter_map(ct_log)
            .collect();
        Ok(Self {
            logs,
            authorities,
            ct_logs,
            timestamp_authorities,
        })
    }
}

/// Certificate or timestamp authorities, within [`MAX_ENTRIES`] and [`MAX_CHAIN`].
fn read_authorities(raw: Vec<RawAuthority>) -> Result<Vec<Authority>, TrustError> {
    let mut authorities = Vec::new();
    for a in raw.into_iter().take(MAX_ENTRIES) {
        let chain = a
            .cert_chain
            .certificates
            .iter()
            .take(MAX_CHAIN)
            .map(|c| b64(&c.raw_bytes).ok_or(TrustError::Certificate))
            .collect::<Result<Vec<_>, _>>()?;
        let valid = a.valid_for.unwrap_or_default();
        authorities.push(Authority {
            uri: sanitize(&a.uri).into_owned(),
            chain,
            valid_from: valid.start.map(|s| sanitize(&s).into_owned()),
            valid_until: valid.end.map(|s| sanitize(&s).into_owned()),
        });
    }
    Ok(authorities)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer as _;

    #[test]
    fn the_public_good_root_reads_with_its_logs_and_fulcio_chains() {
        let root = TrustedRoot::public_good().expect("the embedded root");
        let urls: Vec<&str> = root.logs.iter().map(|l| l.base_url.as_str()).collect();
        assert!(urls.contains(&"https://rekor.sigstore.dev"), "{urls:?}");
        let rekor = &root.logs[0];
        assert_eq!(rekor.key.algorithm, super::super::Algorithm::EcdsaP256);
        // Rekor v1 names itself by the SHA-256 of its key's DER; the root says the same. (A v2
        // log's ID is its signed-note key ID, another hash: read from the root, not computed.)
        let id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &rekor.der);
        assert_eq!(rekor.log_id, id.as_ref());
        assert_eq!(root.logs.len(), 2);
        assert_eq!(root.logs[1].key.algorithm, super::super::Algorithm::Ed25519);
        assert!(root
            .authorities
            .iter()
            .all(|a| a.uri == "https://fulcio.sigstore.dev" && !a.chain.is_empty()));
        for a in &root.authorities {
            for der in &a.chain {
                let (rest, cert) = x509_parser::certificate::X509Certificate::from_der(der)
                    .expect("a certificate");
                assert!(rest.is_empty());
                assert!(cert.subject().to_string().contains("sigstore"));
            }
        }
    }

    #[test]
    fn what_is_not_a_trusted_root_is_refused_with_its_reason() {
        assert_eq!(TrustedRoot::parse(b"nope"), Err(TrustError::NotTrustedRoot));
        assert_eq!(TrustedRoot::parse(b"{}"), Err(TrustError::Empty));
        assert_eq!(
            TrustedRoot::parse(&vec![b' '; MAX_BYTES + 1]),
            Err(TrustError::TooLarge)
        );
        assert_eq!(
            TrustedRoot::parse(br#"{"mediaType":"text/\u001b[31m","tlogs":[]}"#),
            Err(TrustError::MediaType("text/\\u{1b}[31m".into()))
        );
        let bad_key = br#"{"tlogs":[{"baseUrl":"x","publicKey":{"rawBytes":"AAAA"}}]}"#;
        assert!(matches!(
            TrustedRoot::parse(bad_key),
            Err(TrustError::LogKey(_))
        ));
    }
}

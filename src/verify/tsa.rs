//! RFC 3161 timestamps: a timestamp authority's signed word that some bytes (a signature) existed
//! at a time, checked offline against the TSAs a trusted root lists.
//!
//! A token is CMS `SignedData` (RFC 5652) over a `TSTInfo`; it is read with x509-parser's DER
//! reader (asn1-rs), every length and count bounded, and verified as sigstore-go's
//! `VerifySignedTimestamp` (through sigstore's timestamp-authority and digitorus/timestamp) does:
//! the imprint is the hash of the timestamped bytes, the signed attributes name `TSTInfo` and its
//! digest, their signature verifies with the TSA's certificate, that certificate is for time
//! stamping only (a critical extended key usage, RFC 3161 §2.3) and chains to a TSA of the root,
//! and `genTime` falls inside every certificate of the chain and the TSA's `validFor`.
//! DER only: a BER (indefinite-length) token is refused, as Sigstore's TSAs write DER.

use x509_parser::certificate::X509Certificate;
use x509_parser::der_parser::asn1_rs::{Any, Class, FromDer as _, Tag};

use super::key::Hash;
use super::trust::Authority;
use super::PublicKey;
use crate::sanitize::sanitize;

/// `2026-12-06T17:45:00Z` (as `keyless` writes times; not imported: `keyless` builds on this
/// file).
fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// A token larger than this is refused unread (one with a three-certificate chain is ~5 KiB).
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;
/// Certificates a token carries read at most.
pub const MAX_CERTIFICATES: usize = 8;
/// Signed attributes read at most (a TSA signs four or five; the first signer alone is read,
/// as a TSA signs with one key, RFC 3161 §2.4.1).
pub const MAX_ATTRIBUTES: usize = 32;

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";

/// Why a timestamp does not count as a signing time, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaError {
    #[error("it is not an RFC 3161 timestamp token (DER CMS SignedData of a TSTInfo): {0}")]
    NotToken(&'static str),
    #[error("the timestamp authority did not grant it (status {0})")]
    NotGranted(u32),
    #[error("it hashes with {0}; regscope checks SHA-256, SHA-384 and SHA-512 timestamps")]
    Hash(String),
    #[error("it timestamps other bytes: its message imprint is not the hash of this signature")]
    OtherBytes,
    #[error("its signed attributes do not name TSTInfo as their content type")]
    ContentType,
    #[error("its signed attributes' message digest is not the digest of its TSTInfo")]
    MessageDigest,
    #[error("no certificate of the token or of the trusted root is the signer it names")]
    NoSignerCertificate,
    #[error("its signature does not verify with the certificate of the timestamp authority {0}")]
    BadSignature(String),
    #[error("the certificate of {0} is not for time stamping only (RFC 3161 wants one critical timeStamping extended key usage)")]
    NotTimeStamping(String),
    #[error("the timestamp authority {subject} is not in {root}; give the root that lists it with --trusted-root FILE")]
    UntrustedAuthority { subject: String, root: String },
    #[error("it is dated {at}, outside the validity of the certificate {certificate} (from {from} to {until})")]
    OutsideValidity {
        at: String,
        certificate: String,
        from: String,
        until: String,
    },
    #[error("it is dated {at}, when {root} did not trust its timestamp authority (from {from} to {until})")]
    OutsideAuthority {
        at: String,
        root: String,
        from: String,
        until: String,
    },
}

/// A token as read: what it claims, and what its signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The hash the imprint is made with, and the imprint.
    pub imprint_hash: Hash,
    pub imprint: Vec<u8>,
    /// Seconds since the epoch.
    pub gen_time: i64,
    /// The TSA's policy OID, dotted.
    pub policy: String,
    /// How far `gen_time` may be off, in whole seconds (0: exact, or not said).
    pub accuracy: i64,
    /// The `TSTInfo` DER (the encapsulated content).
    tst_info: Vec<u8>,
    certificates: Vec<Vec<u8>>,
    signer: SignerInfo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SignerInfo {
    /// `IssuerAndSerialNumber`: the issuer Name's DER and the serial's content octets; or a
    /// subject key identifier.
    issuer: Vec<u8>,
    serial: Vec<u8>,
    key_id: Option<Vec<u8>>,
    digest_hash: Hash,
    /// The signed attributes re-tagged as the DER `SET OF` the signature covers.
    attributes: Vec<u8>,
    content_type_tst: bool,
    message_digest: Option<Vec<u8>>,
    signature_hash: Option<Hash>,
    signature: Vec<u8>,
}

/// The next DER element of `input`: the element and its whole encoding.
fn next<'a>(input: &mut &'a [u8]) -> Result<(Any<'a>, &'a [u8]), TsaError> {
    let (rest, any) = Any::from_der(input).map_err(|_| TsaError::NotToken("malformed DER"))?;
    let raw = &input[..input.len() - rest.len()];
    *input = rest;
    Ok((any, raw))
}

/// The next element, which must be a universal `tag`: its contents.
fn expect<'a>(input: &mut &'a [u8], tag: Tag, what: &'static str) -> Result<&'a [u8], TsaError> {
    let (any, _) = next(input)?;
    if any.header.class() != Class::Universal || any.tag() != tag {
        return Err(TsaError::NotToken(what));
    }
    Ok(any.data)
}

fn oid(data: &[u8]) -> Result<String, TsaError> {
    let mut input = data;
    let content = expect(&mut input, Tag::Oid, "an object identifier was expected")?;
    Ok(x509_parser::der_parser::Oid::new(content.into()).to_id_string())
}

/// An `AlgorithmIdentifier`'s digest (or signature-with-digest) algorithm.
fn algorithm(data: &[u8]) -> Result<String, TsaError> {
    let mut input = data;
    let seq = expect(
        &mut input,
        Tag::Sequence,
        "an algorithm identifier was expected",
    )?;
    oid(seq)
}

fn digest_hash(oid: &str) -> Result<Hash, TsaError> {
    match oid {
        "2.16.840.1.101.3.4.2.1" => Ok(Hash::Sha256),
        "2.16.840.1.101.3.4.2.2" => Ok(Hash::Sha384),
        "2.16.840.1.101.3.4.2.3" => Ok(Hash::Sha512),
        "1.3.14.3.2.26" => Err(TsaError::Hash("SHA-1".into())),
        other => Err(TsaError::Hash(format!("the algorithm {other}"))),
    }
}

/// The digest a signature algorithm names (`ecdsa-with-SHA384`), when it names one.
fn signature_hash(oid: &str) -> Option<Hash> {
    match oid {
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Some(Hash::Sha256),
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Some(Hash::Sha384),
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Some(Hash::Sha512),
        _ => None,
    }
}

/// `YYYYMMDDHHMMSS[.f*]Z` (RFC 3161 §2.4.2: UTC, fractions allowed) as seconds.
fn generalized_time(data: &[u8]) -> Result<i64, TsaError> {
    let bad = TsaError::NotToken("its genTime is not a UTC GeneralizedTime");
    let text = std::str::from_utf8(data).map_err(|_| bad.clone())?;
    let whole = text.strip_suffix('Z').ok_or_else(|| bad.clone())?;
    let (seconds, fraction) = whole.split_once('.').unwrap_or((whole, "0"));
    if seconds.len() != 14 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    chrono::NaiveDateTime::parse_from_str(seconds, "%Y%m%d%H%M%S")
        .map(|t| t.and_utc().timestamp())
        .map_err(|_| bad)
}

/// Reads a DER `TimeStampResp` (its status granted) or a bare `TimeStampToken`.
pub fn parse(der: &[u8]) -> Result<Token, TsaError> {
    if der.len() > MAX_TOKEN_BYTES {
        return Err(TsaError::NotToken("it is larger than 64 KiB"));
    }
    let mut input = der;
    let outer = expect(&mut input, Tag::Sequence, "it is not a DER SEQUENCE")?;
    let mut fields = outer;
    let (first, _) = next(&mut fields)?;
    // A response starts with its PKIStatusInfo (a SEQUENCE), a token with its content type.
    let content_info = if first.tag() == Tag::Sequence {
        let mut status = first.data;
        let code = expect(&mut status, Tag::Integer, "its status is not an integer")?;
        let code = match code {
            [c] => u32::from(*c),
            _ => u32::MAX,
        };
        // 0 granted, 1 granted with modifications (RFC 3161 §2.4.2).
        if code > 1 {
            return Err(TsaError::NotGranted(code));
        }
        expect(&mut fields, Tag::Sequence, "the response has no token")?
    } else {
        outer
    };
    let mut ci = content_info;
    if oid(next(&mut ci)?.1)? != SIGNED_DATA {
        return Err(TsaError::NotToken("its content is not CMS SignedData"));
    }
    let (wrapper, _) = next(&mut ci)?;
    if wrapper.header.class() != Class::ContextSpecific || wrapper.tag().0 != 0 {
        return Err(TsaError::NotToken("its SignedData is missing"));
    }
    let mut w = wrapper.data;
    signed_data(expect(
        &mut w,
        Tag::Sequence,
        "its SignedData is not a SEQUENCE",
    )?)
}

fn signed_data(data: &[u8]) -> Result<Token, TsaError> {
    let mut sd = data;
    expect(&mut sd, Tag::Integer, "its SignedData has no version")?;
    expect(&mut sd, Tag::Set, "its SignedData has no digest algorithms")?;
    let mut encap = expect(&mut sd, Tag::Sequence, "its SignedData has no content")?;
    if oid(next(&mut encap)?.1)? != TST_INFO {
        return Err(TsaError::NotToken("its content type is not id-ct-TSTInfo"));
    }
    let (explicit, _) = next(&mut encap)?;
    let mut e = explicit.data;
    let tst_info = expect(
        &mut e,
        Tag::OctetString,
        "its TSTInfo is not an OCTET STRING",
    )?;
    let mut certificates = Vec::new();
    let mut signer_infos = None;
    let mut guard = 0;
    while !sd.is_empty() && guard < 4 {
        guard += 1;
        let (any, _) = next(&mut sd)?;
        match (any.header.class(), any.tag().0) {
            (Class::ContextSpecific, 0) => {
                let mut certs = any.data;
                while !certs.is_empty() && certificates.len() < MAX_CERTIFICATES {
                    certificates.push(next(&mut certs)?.1.to_vec());
                }
            }
            (Class::Universal, 17) => signer_infos = Some(any.data),
            _ => {}
        }
    }
    let mut infos = signer_infos.ok_or(TsaError::NotToken("its SignedData has no signer"))?;
    // A TSA signs with one key (RFC 3161 §2.4.1); a second signer is not read.
    let info = expect(
        &mut infos,
        Tag::Sequence,
        "its signer info is not a SEQUENCE",
    )?;
    let signer = signer_info(info)?;
    let (imprint_hash, imprint, gen_time, policy, accuracy) = tst_info_fields(tst_info)?;
    Ok(Token {
        imprint_hash,
        imprint,
        gen_time,
        policy,
        accuracy,
        tst_info: tst_info.to_vec(),
        certificates,
        signer,
    })
}

fn signer_info(data: &[u8]) -> Result<SignerInfo, TsaError> {
    let mut si = data;
    expect(&mut si, Tag::Integer, "its signer info has no version")?;
    let (sid, _) = next(&mut si)?;
    let (mut issuer, mut serial, mut key_id) = (Vec::new(), Vec::new(), None);
    if sid.header.class() == Class::ContextSpecific {
        key_id = Some(sid.data.to_vec());
    } else {
        let mut s = sid.data;
        issuer = next(&mut s)?.1.to_vec();
        serial = expect(&mut s, Tag::Integer, "its signer has no serial number")?.to_vec();
    }
    let digest = digest_hash(&algorithm(next(&mut si)?.1)?)?;
    let (attrs, raw) = next(&mut si)?;
    if attrs.header.class() != Class::ContextSpecific || attrs.tag().0 != 0 {
        return Err(TsaError::NotToken(
            "its signer info has no signed attributes",
        ));
    }
    // The signature covers the attributes as a DER SET OF, not as the [0] they travel in.
    let mut attributes = raw.to_vec();
    attributes[0] = 0x31;
    let (mut content_type_tst, mut message_digest) = (false, None);
    let mut list = attrs.data;
    let mut count = 0;
    while !list.is_empty() && count < MAX_ATTRIBUTES {
        count += 1;
        let mut attr = expect(
            &mut list,
            Tag::Sequence,
            "a signed attribute is not a SEQUENCE",
        )?;
        let kind = oid(next(&mut attr)?.1)?;
        let mut values = expect(&mut attr, Tag::Set, "a signed attribute has no values")?;
        let (value, raw) = next(&mut values)?;
        if kind == CONTENT_TYPE {
            content_type_tst = oid(raw)? == TST_INFO;
        } else if kind == MESSAGE_DIGEST && value.tag() == Tag::OctetString {
            message_digest = Some(value.data.to_vec());
        }
    }
    let signature_hash = signature_hash(&algorithm(next(&mut si)?.1)?);
    let signature = expect(
        &mut si,
        Tag::OctetString,
        "its signature is not an OCTET STRING",
    )?;
    Ok(SignerInfo {
        issuer,
        serial,
        key_id,
        digest_hash: digest,
        attributes,
        content_type_tst,
        message_digest,
        signature_hash,
        signature: signature.to_vec(),
    })
}

/// The `accuracy` that may follow `genTime` (RFC 3161 §2.4.2: seconds, `[0]` millis, `[1]`
/// micros), in whole seconds rounded up; 0 when absent or unreadable (an exact time).
fn accuracy(rest: &[u8]) -> i64 {
    let mut input = rest;
    let Ok((any, _)) = next(&mut input) else {
        return 0;
    };
    if any.header.class() != Class::Universal || any.tag() != Tag::Sequence {
        return 0;
    }
    let mut fields = any.data;
    let (mut seconds, mut fraction) = (0i64, false);
    for _ in 0..3 {
        let Ok((field, _)) = next(&mut fields) else {
            break;
        };
        // A small unsigned INTEGER's content octets; a huge one is refused as unreadable.
        let value = match field.data {
            d if !d.is_empty() && d.len() <= 4 => {
                d.iter().fold(0i64, |n, b| (n << 8) | i64::from(*b))
            }
            _ => return 0,
        };
        match (field.header.class(), field.tag().0) {
            (Class::Universal, 2) => seconds = value,
            (Class::ContextSpecific, 0 | 1) => fraction |= value > 0,
            _ => {}
        }
    }
    seconds + i64::from(fraction)
}

/// `TSTInfo`'s imprint (hash, value), `genTime`, policy and accuracy (seconds).
fn tst_info_fields(der: &[u8]) -> Result<(Hash, Vec<u8>, i64, String, i64), TsaError> {
    let mut input = der;
    let mut t = expect(&mut input, Tag::Sequence, "its TSTInfo is not a SEQUENCE")?;
    expect(&mut t, Tag::Integer, "its TSTInfo has no version")?;
    let policy = oid(next(&mut t)?.1)?;
    let mut imprint = expect(&mut t, Tag::Sequence, "its TSTInfo has no message imprint")?;
    let hash = digest_hash(&algorithm(next(&mut imprint)?.1)?)?;
    let value = expect(
        &mut imprint,
        Tag::OctetString,
        "its imprint is not an OCTET STRING",
    )?;
    expect(&mut t, Tag::Integer, "its TSTInfo has no serial number")?;
    let gen_time = generalized_time(expect(&mut t, Tag::GeneralizedTime, "it has no genTime")?)?;
    Ok((hash, value.to_vec(), gen_time, policy, accuracy(t)))
}

/// The time `token` (DER) says `signed` (the signature bytes) existed, once it verifies with a
/// TSA of `authorities` (a trusted root's `timestampAuthorities`, each chain leaf first, root
/// last); `root` names the root in reasons.
pub fn verify(
    token: &[u8],
    signed: &[u8],
    authorities: &[Authority],
    root: &str,
) -> Result<i64, TsaError> {
    verify_token(&parse(token)?, signed, authorities, root)
}

/// [`verify`] of a token already read (its `accuracy` then in hand).
pub fn verify_token(
    token: &Token,
    signed: &[u8],
    authorities: &[Authority],
    root: &str,
) -> Result<i64, TsaError> {
    if token.imprint_hash.digest(signed) != token.imprint {
        return Err(TsaError::OtherBytes);
    }
    let s = &token.signer;
    if !s.content_type_tst {
        return Err(TsaError::ContentType);
    }
    if s.message_digest.as_deref() != Some(s.digest_hash.digest(&token.tst_info).as_slice()) {
        return Err(TsaError::MessageDigest);
    }
    // The signer is the certificate the signer info names: in the token, else the root's leaf.
    let candidates = token
        .certificates
        .iter()
        .chain(authorities.iter().filter_map(|a| a.chain.first()));
    let (der, leaf) = candidates
        .filter_map(|d| Some((d, X509Certificate::from_der(d).ok()?.1)))
        .find(|(_, c)| names(s, c))
        .ok_or(TsaError::NoSignerCertificate)?;
    let subject = sanitize(&leaf.subject().to_string()).into_owned();
    let key = PublicKey::from_spki_der(leaf.public_key().raw)
        .map_err(|_| TsaError::BadSignature(subject.clone()))?;
    let hash = s.signature_hash.unwrap_or(s.digest_hash);
    if !key.verifies_hashed(&s.attributes, &s.signature, hash) {
        return Err(TsaError::BadSignature(subject));
    }
    let eku = leaf.extended_key_usage().ok().flatten();
    let only_time_stamping = eku.is_some_and(|e| {
        let u = e.value;
        e.critical
            && u.time_stamping
            && !(u.any
                || u.server_auth
                || u.client_auth
                || u.code_signing
                || u.email_protection
                || u.ocsp_signing)
            && u.other.is_empty()
    });
    if !only_time_stamping {
        return Err(TsaError::NotTimeStamping(subject));
    }
    within(&leaf, token.gen_time)?;
    let path = path_to_authorities((der, &leaf), &token.certificates, authorities);
    let (top_der, top) = path
        .last()
        .map_or((der.as_slice(), &leaf), |(d, c)| (*d, c));
    path.iter()
        .try_for_each(|(_, c)| within(c, token.gen_time))?;
    trusted(top_der, top, token.gen_time, authorities, root).map_err(|e| match e {
        // Name the TSA, not the intermediate the path climbed to.
        TsaError::UntrustedAuthority { root, .. } => TsaError::UntrustedAuthority {
            subject: subject.clone(),
            root,
        },
        e => e,
    })?;
    Ok(token.gen_time)
}

/// The CA certificates of the token that lead from `leaf` toward an authority, climbing while
/// no authority's chain holds or signs the certificate reached (a TSA with a root alone, as a
/// notation `tsa` store holds: the token carries its intermediates), at most
/// [`MAX_CERTIFICATES`] steps.
fn path_to_authorities<'a>(
    (leaf_der, leaf): (&[u8], &X509Certificate<'_>),
    certificates: &'a [Vec<u8>],
    authorities: &[Authority],
) -> Vec<(&'a [u8], X509Certificate<'a>)> {
    let anchored = |der: &[u8], c: &X509Certificate<'_>| {
        authorities.iter().any(|a| {
            a.chain.iter().any(|d| d.as_slice() == der)
                || a.chain
                    .first()
                    .and_then(|d| X509Certificate::from_der(d).ok())
                    .is_some_and(|(_, first)| signed_by(c, &first))
        })
    };
    let mut path: Vec<(&'a [u8], X509Certificate<'a>)> = Vec::new();
    for _ in 0..MAX_CERTIFICATES {
        let (der, current) = path.last().map_or((leaf_der, leaf), |(d, c)| (*d, c));
        if anchored(der, current) {
            break;
        }
        let issuer = certificates.iter().find_map(|d| {
            let (_, c) = X509Certificate::from_der(d).ok()?;
            (c.is_ca() && d.as_slice() != der && signed_by(current, &c))
                .then_some((d.as_slice(), c))
        });
        match issuer {
            Some(next) => path.push(next),
            None => break,
        }
    }
    path
}

/// Whether the signer info names `cert` (issuer and serial, or subject key identifier).
fn names(s: &SignerInfo, cert: &X509Certificate<'_>) -> bool {
    if let Some(id) = &s.key_id {
        return cert.extensions().iter().any(|e| {
            matches!(e.parsed_extension(),
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) if k.0 == id.as_slice())
        });
    }
    cert.issuer().as_raw() == s.issuer.as_slice() && cert.raw_serial() == s.serial.as_slice()
}

/// `at` falls inside `cert`'s validity.
fn within(cert: &X509Certificate<'_>, at: i64) -> Result<(), TsaError> {
    let v = cert.validity();
    let (from, until) = (v.not_before.timestamp(), v.not_after.timestamp());
    if at < from || at > until {
        return Err(TsaError::OutsideValidity {
            at: rfc3339(at),
            certificate: sanitize(&cert.subject().to_string()).into_owned(),
            from: rfc3339(from),
            until: rfc3339(until),
        });
    }
    Ok(())
}

/// `child` is signed by `issuer`'s key, with the digest its signature algorithm names.
fn signed_by(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let alg = child.signature_algorithm.algorithm.to_id_string();
    let Some(hash) = signature_hash(&alg) else {
        return false;
    };
    PublicKey::from_spki_der(issuer.public_key().raw).is_ok_and(|k| {
        k.verifies_hashed(
            child.tbs_certificate.as_ref(),
            child.signature_value.data.as_ref(),
            hash,
        )
    })
}

/// The leaf is a certificate of an authority's chain, or signed by its first, and the chain
/// from there verifies link by link to the root the authority lists, every link valid at `at`;
/// the authority's `validFor` holds `at`.
fn trusted(
    der: &[u8],
    leaf: &X509Certificate<'_>,
    at: i64,
    authorities: &[Authority],
    root: &str,
) -> Result<(), TsaError> {
    let mut first_error = None;
    for a in authorities {
        let Ok(chain) = a
            .chain
            .iter()
            .map(|d| X509Certificate::from_der(d).map(|(_, c)| c))
            .collect::<Result<Vec<_>, _>>()
        else {
            continue;
        };
        let start = if let Some(i) = a.chain.iter().position(|d| d.as_slice() == der) {
            i
        } else if chain.first().is_some_and(|c| signed_by(leaf, c)) {
            0
        } else {
            continue;
        };
        let links = chain[start..]
            .windows(2)
            .all(|pair| signed_by(&pair[0], &pair[1]));
        if !links {
            continue;
        }
        let verdict = chain[start..]
            .iter()
            .try_for_each(|c| within(c, at))
            .and_then(|()| authority_valid(a, at, root));
        match verdict {
            Ok(()) => return Ok(()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| TsaError::UntrustedAuthority {
        subject: sanitize(&leaf.subject().to_string()).into_owned(),
        root: root.to_string(),
    }))
}

fn authority_valid(a: &Authority, at: i64, root: &str) -> Result<(), TsaError> {
    let time = |s: Option<&String>| {
        s.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.timestamp())
    };
    let (from, until) = (time(a.valid_from.as_ref()), time(a.valid_until.as_ref()));
    if from.is_some_and(|f| at < f) || until.is_some_and(|u| at > u) {
        return Err(TsaError::OutsideAuthority {
            at: rfc3339(at),
            root: root.to_string(),
            from: a.valid_from.clone().unwrap_or_else(|| "the start".into()),
            until: a.valid_until.clone().unwrap_or_else(|| "now".into()),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    const CONFIG: &str = "\
[tsa_ext]
extendedKeyUsage = critical,timeStamping
basicConstraints = CA:FALSE
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ./serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256, sha384, sha512
ess_cert_id_alg = sha256
accuracy = secs:2,millisecs:500
[ca]
default_ca = c
[c]
database = ./index.txt
new_certs_dir = .
serial = ./caserial
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[p]
commonName = supplied
";

    fn openssl(dir: &Path, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn der(dir: &Path, pem: &str) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(["x509", "-in", pem, "-outform", "DER"])
            .current_dir(dir)
            .output()
            .expect("run openssl");
        assert!(out.status.success());
        out.stdout
    }

    /// A throw-away TSA: a root, a leaf valid now and one that expired in 2020 (both with the
    /// critical timeStamping usage openssl's `ts -reply` insists on), and another root.
    struct Tsa {
        dir: tempfile::TempDir,
    }

    impl Tsa {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let d = dir.path();
            std::fs::write(d.join("ext.cnf"), CONFIG).expect("config");
            std::fs::write(d.join("serial"), "01\n").expect("serial");
            std::fs::write(d.join("caserial"), "10\n").expect("serial");
            std::fs::write(d.join("index.txt"), "").expect("index");
            let ec = [
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
            ];
            for (name, cn) in [("root", "/CN=test-tsa-root"), ("other", "/CN=other-root")] {
                let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
                let mut args = vec!["req", "-x509"];
                args.extend(ec);
                args.extend(["-keyout", &key, "-out", &pem, "-subj", cn, "-days", "2"]);
                args.extend(["-config", "ext.cnf", "-extensions", "ca_ext"]);
                openssl(d, &args);
            }
            let mut args = vec!["req", "-new"];
            args.extend(ec);
            args.extend([
                "-keyout",
                "tsa.key",
                "-out",
                "tsa.csr",
                "-subj",
                "/CN=test-tsa",
            ]);
            openssl(d, &args);
            let ca = ["-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial"];
            let mut args = vec!["x509", "-req", "-in", "tsa.csr", "-out", "tsa.pem"];
            args.extend(ca);
            args.extend([
                "-days",
                "1",
                "-extfile",
                "ext.cnf",
                "-extensions",
                "tsa_ext",
            ]);
            openssl(d, &args);
            openssl(
                d,
                &[
                    "ca",
                    "-batch",
                    "-config",
                    "ext.cnf",
                    "-cert",
                    "root.pem",
                    "-keyfile",
                    "root.key",
                    "-in",
                    "tsa.csr",
                    "-out",
                    "old.pem",
                    "-startdate",
                    "20200101000000Z",
                    "-enddate",
                    "20200102000000Z",
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    "tsa_ext",
                    "-notext",
                ],
            );
            Self { dir }
        }

        /// A `TimeStampResp` (or, with `token`, a bare token) over `data` signed by `signer`.
        fn stamp(&self, data: &[u8], signer: &str, token: bool) -> Vec<u8> {
            let d = self.dir.path();
            std::fs::write(d.join("data"), data).expect("data");
            openssl(
                d,
                &[
                    "ts", "-query", "-data", "data", "-sha256", "-cert", "-out", "q.tsq",
                ],
            );
            let mut args = vec!["ts", "-reply", "-queryfile", "q.tsq", "-signer", signer];
            args.extend(["-inkey", "tsa.key", "-config", "ext.cnf", "-out", "r.tsr"]);
            if token {
                args.push("-token_out");
            }
            openssl(d, &args);
            std::fs::read(d.join("r.tsr")).expect("reply")
        }

        fn authority(&self, chain: &[&str]) -> Authority {
            Authority {
                uri: "https://tsa.test".into(),
                chain: chain.iter().map(|c| der(self.dir.path(), c)).collect(),
                valid_from: None,
                valid_until: None,
            }
        }
    }

    #[test]
    fn a_timestamp_verifies_and_each_broken_one_fails_with_its_own_reason() {
        let tsa = Tsa::new();
        let signature = b"the signature bytes".as_slice();
        let trusted = [tsa.authority(&["tsa.pem", "root.pem"])];
        let now = chrono::Utc::now().timestamp();
        for token in [false, true] {
            let stamp = tsa.stamp(signature, "tsa.pem", token);
            let at = verify(&stamp, signature, &trusted, "the test root").expect("verifies");
            assert!((at - now).abs() < 300, "genTime {at}, now {now}");
            let token = parse(&stamp).expect("parses");
            assert_eq!(token.policy, "1.2.3.4.1");
            // Two and a half seconds, rounded up.
            assert_eq!(token.accuracy, 3);
        }
        let stamp = tsa.stamp(signature, "tsa.pem", false);
        // The root alone is enough: the token carries the TSA's certificate.
        let root_only = [tsa.authority(&["root.pem"])];
        assert!(verify(&stamp, signature, &root_only, "r").is_ok());
        // A timestamp of other bytes.
        assert_eq!(
            verify(&stamp, b"other bytes", &trusted, "r"),
            Err(TsaError::OtherBytes)
        );
        // A TSA the root does not list.
        let other = [tsa.authority(&["other.pem"])];
        let err = verify(&stamp, signature, &other, "the test root").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the timestamp authority CN=test-tsa is not in the test root; give the root that lists it with --trusted-root FILE"
        );
        // A root that trusted the TSA only until 2021.
        let mut ended = tsa.authority(&["tsa.pem", "root.pem"]);
        ended.valid_until = Some("2021-01-01T00:00:00Z".into());
        assert!(matches!(
            verify(&stamp, signature, &[ended], "r"),
            Err(TsaError::OutsideAuthority { .. })
        ));
        // A genTime outside the TSA certificate's validity.
        let expired = tsa.stamp(signature, "old.pem", false);
        let err = verify(&expired, signature, &root_only, "r").unwrap_err();
        assert!(matches!(err, TsaError::OutsideValidity { .. }), "{err}");
        assert!(
            err.to_string().contains(
                "outside the validity of the certificate CN=test-tsa (from 2020-01-01T00:00:00Z to 2020-01-02T00:00:00Z)"
            ),
            "{err}"
        );
        // A signature over changed content: flip a byte of the signature itself.
        let mut tampered = stamp.clone();
        let at = stamp.len() - 10;
        tampered[at] ^= 1;
        assert_eq!(
            verify(&tampered, signature, &trusted, "r"),
            Err(TsaError::BadSignature("CN=test-tsa".into()))
        );
    }

    #[test]
    fn a_token_cut_or_flipped_anywhere_is_refused_without_a_panic() {
        let tsa = Tsa::new();
        let stamp = tsa.stamp(b"x", "tsa.pem", false);
        for cut in 0..stamp.len() {
            assert!(parse(&stamp[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..stamp.len() {
            let mut bytes = stamp.clone();
            bytes[i] ^= 0x80;
            let _ = verify(&bytes, b"x", &[], "r");
        }
        assert_eq!(
            parse(&vec![0x30; MAX_TOKEN_BYTES + 1]),
            Err(TsaError::NotToken("it is larger than 64 KiB"))
        );
    }
}

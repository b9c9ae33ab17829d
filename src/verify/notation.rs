//! A notation signature (a JWS envelope, `application/jose+json`) checked as `notation verify`
//! decides it under a trust policy and trust store (`verify::trustpolicy`): the signature with
//! the leaf of `x5c` over `protected.payload`, the critical headers understood, the payload's
//! target equal to the image, the chain to a certificate of the policy's trust stores, the
//! signer among its trusted identities, the signing time inside every certificate's validity,
//! and the expiry; each check enforced or logged as the policy's level says.

use std::path::PathBuf;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::trustpolicy::{
    describe_dn, read_store, subject_of, Action, Level, Statement, TrustPolicy, Validation,
};
use super::Reason;
use crate::model::intoto::decode_base64;
use crate::model::payload::MAX_CERTIFICATE_BYTES;
use crate::model::Node;
use crate::sanitize::sanitize;

/// Certificates read at most from `x5c` (leaf, intermediates, root).
pub const MAX_CHAIN: usize = 10;
/// A protected header or payload longer than this (base64url characters) is refused.
pub const MAX_PART_CHARS: usize = 64 * 1024;
/// The media type of a JWS envelope layer.
pub const JWS: &str = "application/jose+json";
/// The content type notation's payload declares.
pub const PAYLOAD_TYPE: &str = "application/vnd.cncf.notary.payload.v1+json";

const SCHEME: &str = "io.cncf.notary.signingScheme";
const SIGNING_TIME: &str = "io.cncf.notary.signingTime";
const AUTHENTIC_TIME: &str = "io.cncf.notary.authenticSigningTime";
const EXPIRY: &str = "io.cncf.notary.expiry";
/// Headers a signer may mark critical that this verifier understands.
const UNDERSTOOD: [&str; 3] = [SCHEME, EXPIRY, AUTHENTIC_TIME];

/// What notation signatures are checked against: a trust policy, the trust store it names
/// stores in, and the `registry/repository` the image is in (the policy's scope).
#[derive(Debug, Clone)]
pub struct Notation {
    pub policy: TrustPolicy,
    /// The trust store's root (`…/notation/truststore`), holding `x509/ca/NAME/`.
    pub store: PathBuf,
    /// The image's `registry/repository`; `None` for what has none (a layout).
    pub scope: Option<String>,
}

/// A JWS in JSON serialization, as far as notation's envelope uses it.
#[derive(serde::Deserialize)]
struct Jws {
    payload: String,
    protected: String,
    #[serde(default)]
    header: Unprotected,
    signature: String,
}

#[derive(serde::Deserialize, Default)]
struct Unprotected {
    #[serde(default)]
    x5c: Vec<String>,
}

/// notation's payload: the descriptor of what was signed.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    target_artifact: Target,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    media_type: String,
    digest: String,
    size: i64,
}

/// An envelope read and its integrity checked: the signature verifies with the leaf and the
/// headers are understood.
pub struct Envelope {
    chain: Vec<Vec<u8>>,
    /// `notary.x509` or `notary.x509.signingAuthority`.
    scheme: String,
    signing_time: i64,
    expiry: Option<i64>,
    target: Target,
}

fn bad(why: impl Into<String>) -> Reason {
    Reason::NotationEnvelope(why.into())
}

fn time_header(
    h: &serde_json::Map<String, serde_json::Value>,
    k: &str,
) -> Result<Option<i64>, Reason> {
    let Some(v) = h.get(k) else {
        return Ok(None);
    };
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| Some(d.timestamp()))
        .ok_or_else(|| bad(format!("its `{k}` is not an RFC 3339 time")))
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
    /// Reads `bytes` (already within the blob cap) and checks its integrity: the signature of
    /// `protected.payload` with the leaf's key, the critical headers, the content type.
    pub fn open(bytes: &[u8]) -> Result<Self, Reason> {
        let jws: Jws = serde_json::from_slice(bytes).map_err(|_| {
            bad("it is not a JWS in JSON serialization (`payload`, `protected`, `header.x5c`, `signature`)")
        })?;
        if jws.protected.len() > MAX_PART_CHARS || jws.payload.len() > MAX_PART_CHARS {
            return Err(bad("its protected header or payload is too large"));
        }
        let b64 = |s: &str| decode_base64(s);
        let header: serde_json::Map<String, serde_json::Value> = b64(&jws.protected)
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or_else(|| bad("its protected header is not base64url JSON"))?;
        if jws.header.x5c.is_empty() || jws.header.x5c.len() > MAX_CHAIN {
            return Err(bad(format!(
                "its `x5c` holds {} certificates; notation's holds the chain, 1 to {MAX_CHAIN}",
                jws.header.x5c.len()
            )));
        }
        let chain = jws
            .header
            .x5c
            .iter()
            .map(|c| {
                b64(c)
                    .filter(|d| d.len() <= MAX_CERTIFICATE_BYTES)
                    .filter(|d| X509Certificate::from_der(d).is_ok())
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a certificate of its `x5c` is not base64 DER X.509"))?;
        check_critical(&header)?;
        let alg = header.get("alg").and_then(|a| a.as_str()).unwrap_or("");
        let algorithm = jws_algorithm(alg).ok_or_else(|| {
            bad(format!(
                "it is signed with alg {}; notation signs with PS256/384/512 or ES256/384/512",
                sanitize(alg)
            ))
        })?;
        let signature = b64(&jws.signature).ok_or_else(|| bad("its signature is not base64url"))?;
        let leaf = X509Certificate::from_der(&chain[0]).map_err(|_| Reason::BadCertificate)?;
        let signed = format!("{}.{}", jws.protected, jws.payload);
        if UnparsedPublicKey::new(
            algorithm,
            leaf.1.public_key().subject_public_key.data.as_ref(),
        )
        .verify(signed.as_bytes(), &signature)
        .is_err()
        {
            return Err(Reason::BadSignature);
        }
        // Only a verified payload is read: what it says is the signer's word.
        let payload: Payload = b64(&jws.payload)
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(|| bad("its payload is not notation's (`targetArtifact`)"))?;
        let scheme = header
            .get(SCHEME)
            .and_then(|s| s.as_str())
            .unwrap_or_default()
            .to_string();
        let time_key = if scheme == "notary.x509" {
            SIGNING_TIME
        } else {
            AUTHENTIC_TIME
        };
        let signing_time = time_header(&header, time_key)?
            .ok_or_else(|| bad(format!("it has no `{time_key}`")))?;
        Ok(Self {
            chain,
            scheme,
            signing_time,
            expiry: time_header(&header, EXPIRY)?,
            target: payload.target_artifact,
        })
    }
}

/// The protected header's `crit`, scheme and content type as the Notary Project's JWS
/// envelope requires them: a header marked critical that is not understood fails.
fn check_critical(header: &serde_json::Map<String, serde_json::Value>) -> Result<(), Reason> {
    let crit: Vec<&str> = header
        .get("crit")
        .and_then(|c| c.as_array())
        .map(|c| c.iter().take(16).filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if let Some(unknown) = crit.iter().find(|c| !UNDERSTOOD.contains(c)) {
        return Err(bad(format!(
            "it marks header {} critical, which regscope does not understand (a verification plugin's); check it with `notation verify`",
            sanitize(unknown)
        )));
    }
    // Each of these is critical exactly when present: a `crit` naming an absent header is as
    // malformed as a present one left out of it.
    for name in UNDERSTOOD {
        let present = header.contains_key(name);
        let critical = crit.contains(&name);
        if present != critical {
            return Err(bad(format!(
                "its header {name} must be present and listed in `crit` together"
            )));
        }
    }
    match header.get(SCHEME).and_then(|s| s.as_str()) {
        Some("notary.x509" | "notary.x509.signingAuthority") => {}
        other => {
            return Err(bad(format!(
            "its signing scheme is {}; notation's are notary.x509 and notary.x509.signingAuthority",
            sanitize(other.unwrap_or("missing"))
        )))
        }
    }
    if header.get("cty").and_then(|c| c.as_str()) != Some(PAYLOAD_TYPE) {
        return Err(bad(format!(
            "its content type (`cty`) is not {PAYLOAD_TYPE}"
        )));
    }
    Ok(())
}

/// The verdict on one notation layer and what was only logged (the policy's level lets some
/// checks fail without failing the signature).
pub struct Outcome {
    pub result: Result<(), Reason>,
    pub notes: Vec<String>,
    /// The leaf certificate's subject and the statement that judged it, once the envelope's
    /// signature verified with that leaf (whether or not the chain is then trusted).
    pub signer: Option<super::Signer>,
}

impl Notation {
    /// The trust policy and store at these paths, else in notation's places
    /// (`$XDG_CONFIG_HOME/notation/trustpolicy.json`, `…/notation/truststore`); the setting at
    /// fault (`trust_policy`, `trust_store`) and why, in words, when they are unusable.
    pub fn from_files(
        trust_policy: Option<&std::path::Path>,
        trust_store: Option<&std::path::Path>,
    ) -> Result<Self, (&'static str, String)> {
        let dir = super::trustpolicy::notation_dir();
        let file = match trust_policy {
            Some(p) => p.to_path_buf(),
            None => super::trustpolicy::default_policy_file().ok_or_else(|| {
                let place = dir.as_ref().map_or_else(
                    || "notation's configuration directory (neither XDG_CONFIG_HOME nor HOME is set)".into(),
                    |d| sanitize(&d.join("trustpolicy.json").display().to_string()).into_owned(),
                );
                ("trust_policy", format!("is not given and there is none at {place}"))
            })?,
        };
        let policy = TrustPolicy::read(&file).map_err(|e| {
            let shown = sanitize(&file.display().to_string()).into_owned();
            let why = match e {
                super::trustpolicy::PolicyError::Statement { .. } => format!("{shown}: {e}"),
                _ => format!("{shown} {e}"),
            };
            ("trust_policy", why)
        })?;
        let store = match (trust_store, dir) {
            (Some(s), _) => s.to_path_buf(),
            (None, Some(d)) => d.join("truststore"),
            (None, None) => {
                return Err((
                    "trust_store",
                    "is not given, and neither XDG_CONFIG_HOME nor HOME is set".into(),
                ))
            }
        };
        Ok(Self {
            policy,
            store,
            scope: None,
        })
    }

    /// `trust policy /path/trustpolicy.json`.
    #[must_use]
    pub fn describe(&self) -> String {
        format!("the notation trust policy {}", self.policy.file)
    }

    /// The policy statement for the image, or why there is none.
    fn statement(&self) -> Result<&Statement, Reason> {
        let scope = self.scope.as_deref().unwrap_or("a layout");
        let file = self.policy.file.clone();
        self.scope
            .as_deref()
            .and_then(|s| self.policy.statement_for(s))
            .ok_or_else(|| Reason::NoTrustPolicy {
                scope: sanitize(scope).into_owned(),
                file,
            })
    }

    /// The verdict on the JWS `bytes` signing `subject`.
    #[must_use]
    pub fn check(&self, bytes: &[u8], subject: &Node) -> Outcome {
        let mut notes = Vec::new();
        let mut signer = None;
        let result = self.check_into(bytes, subject, &mut notes, &mut signer);
        Outcome {
            result,
            notes,
            signer,
        }
    }

    fn check_into(
        &self,
        bytes: &[u8],
        subject: &Node,
        notes: &mut Vec<String>,
        signer: &mut Option<super::Signer>,
    ) -> Result<(), Reason> {
        let statement = self.statement()?;
        if statement.level == Level::Skip {
            notes.push(format!(
                "trust policy {} skips verification (level skip): nothing was checked",
                statement.name
            ));
            return Ok(());
        }
        let envelope = Envelope::open(bytes)?;
        let certs: Vec<X509Certificate<'_>> = envelope
            .chain
            .iter()
            .filter_map(|d| X509Certificate::from_der(d).ok().map(|c| c.1))
            .collect();
        *signer = certs.first().map(|leaf| super::Signer::Notation {
            subject: describe_dn(&subject_of(leaf)),
            trust_policy: sanitize(&statement.name).into_owned(),
        });
        let t = &envelope.target;
        if t.digest != subject.digest {
            return Err(Reason::OtherImage {
                signed: sanitize(&t.digest).into_owned(),
            });
        }
        if t.size != subject.size || t.media_type != subject.media_type {
            return Err(bad(format!(
                "its target is {} bytes of {}, the image {} bytes of {}",
                t.size,
                sanitize(&t.media_type),
                subject.size,
                sanitize(&subject.media_type)
            )));
        }
        let mut apply = |v: Validation, r: Result<(), Reason>| -> Result<(), Reason> {
            match (r, statement.action(v)) {
                (Ok(()), _) | (Err(_), Action::Skip) => Ok(()),
                (Err(e), Action::Enforce) => Err(e),
                (Err(e), Action::Log) => {
                    notes.push(format!(
                        "logged, not enforced ({}): {e}",
                        statement.level.name()
                    ));
                    Ok(())
                }
            }
        };
        apply(
            Validation::Authenticity,
            self.authentic(statement, &envelope, &certs),
        )?;
        apply(
            Validation::AuthenticTimestamp,
            signed_within_validity(envelope.signing_time, &certs),
        )?;
        let now = chrono::Utc::now().timestamp();
        apply(
            Validation::Expiry,
            match envelope.expiry {
                Some(at) if at < now => Err(Reason::SignatureExpired {
                    at: super::keyless::rfc3339(at),
                }),
                _ => Ok(()),
            },
        )
    }

    /// The chain is whole (each certificate signed by the next, the last by itself), holds a
    /// certificate of one of the statement's trust stores, and the leaf is a trusted identity.
    fn authentic(
        &self,
        statement: &Statement,
        envelope: &Envelope,
        certs: &[X509Certificate<'_>],
    ) -> Result<(), Reason> {
        let leaf = certs.first().ok_or(Reason::BadCertificate)?;
        chain_is_whole(certs)?;
        leaf_is_for_code_signing(leaf)?;
        // The scheme says which kind of store vouches: a CA, or a signing authority.
        let kind = if envelope.scheme == "notary.x509" {
            "ca"
        } else {
            "signingAuthority"
        };
        let stores: Vec<_> = statement.stores.iter().filter(|s| s.kind == kind).collect();
        let mut unreadable = Vec::new();
        let mut trusted = false;
        for store in &stores {
            match read_store(&self.store, store) {
                Ok(list) => trusted |= envelope.chain.iter().any(|c| list.contains(c)),
                Err(why) => unreadable.push(why),
            }
        }
        if !trusted {
            let root = certs.last().unwrap_or(leaf);
            let mut names = stores
                .iter()
                .map(|s| s.spelled())
                .collect::<Vec<_>>()
                .join(", ");
            if names.is_empty() {
                names = format!("none of kind {kind}");
            }
            let mut detail = String::new();
            for u in unreadable {
                detail.push_str(&format!("; {u}"));
            }
            return Err(Reason::NotTrustedByStore {
                issuer: sanitize(&root.subject().to_string()).into_owned(),
                stores: format!("{names}{detail}"),
                policy: statement.name.clone(),
            });
        }
        let subject = subject_of(leaf);
        if statement.identities.iter().any(|i| i.matches(&subject)) {
            return Ok(());
        }
        Err(Reason::IdentityMismatch {
            identity: describe_dn(&subject),
            wanted: statement
                .identities
                .iter()
                .map(super::trustpolicy::TrustedIdentity::describe)
                .collect::<Vec<_>>()
                .join(" or "),
        })
    }
}

/// notation builds no chain: `x5c` is it, leaf first, each signed by the next, the last
/// self-signed.
fn chain_is_whole(certs: &[X509Certificate<'_>]) -> Result<(), Reason> {
    for (i, cert) in certs.iter().enumerate() {
        let issuer = certs.get(i + 1).unwrap_or(cert);
        if !signed_by(cert, issuer) {
            let why = if i + 1 == certs.len() {
                format!(
                    "the chain ends at {}, which is not self-signed: `x5c` must end at the root",
                    sanitize(&cert.subject().to_string())
                )
            } else {
                format!(
                    "{} is not signed by {}, the next certificate of `x5c`",
                    sanitize(&cert.subject().to_string()),
                    sanitize(&issuer.subject().to_string())
                )
            };
            return Err(Reason::NotationChain(why));
        }
    }
    Ok(())
}

/// notation's signing certificate may sign (key usage `digitalSignature`) and, when it lists
/// extended usages, sign code.
fn leaf_is_for_code_signing(leaf: &X509Certificate<'_>) -> Result<(), Reason> {
    if let Ok(Some(ku)) = leaf.key_usage() {
        if !ku.value.digital_signature() {
            return Err(Reason::NotationChain(
                "the signing certificate's key usage lacks digitalSignature".into(),
            ));
        }
    }
    if let Ok(Some(eku)) = leaf.extended_key_usage() {
        if !eku.value.code_signing {
            return Err(Reason::NotationChain(
                "the signing certificate's extended key usage lacks codeSigning".into(),
            ));
        }
    }
    Ok(())
}

/// The time the signer claims (`notary.x509`) or its signing authority vouches for, inside the
/// validity of every certificate of the chain.
fn signed_within_validity(at: i64, certs: &[X509Certificate<'_>]) -> Result<(), Reason> {
    for c in certs {
        let (from, until) = (
            c.validity().not_before.timestamp(),
            c.validity().not_after.timestamp(),
        );
        if at < from || at > until {
            let rfc = super::keyless::rfc3339;
            return Err(Reason::SignedOutsideValidity {
                certificate: sanitize(&c.subject().to_string()).into_owned(),
                signed_at: rfc(at),
                not_before: rfc(from),
                not_after: rfc(until),
            });
        }
    }
    Ok(())
}

/// Whether `issuer`'s key made `cert`'s signature: the algorithms a CA signs certificates with,
/// tried by the issuer's key kind (a wrong guess fails; none can pass for another key).
fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let spki = issuer.public_key();
    let key = spki.subject_public_key.data.as_ref();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string())
        .unwrap_or_default();
    let algorithms: &[&dyn VerificationAlgorithm] = match (
        spki.algorithm.algorithm.to_id_string().as_str(),
        curve.as_str(),
    ) {
        ("1.2.840.10045.2.1", "1.2.840.10045.3.1.7") => {
            &[&sig::ECDSA_P256_SHA256_ASN1, &sig::ECDSA_P256_SHA384_ASN1]
        }
        ("1.2.840.10045.2.1", "1.3.132.0.34") => {
            &[&sig::ECDSA_P384_SHA384_ASN1, &sig::ECDSA_P384_SHA256_ASN1]
        }
        ("1.2.840.10045.2.1", "1.3.132.0.35") => &[&sig::ECDSA_P521_SHA512_ASN1],
        ("1.2.840.113549.1.1.1", _) => &[
            &sig::RSA_PKCS1_2048_8192_SHA256,
            &sig::RSA_PKCS1_2048_8192_SHA384,
            &sig::RSA_PKCS1_2048_8192_SHA512,
            &sig::RSA_PSS_2048_8192_SHA256,
            &sig::RSA_PSS_2048_8192_SHA384,
            &sig::RSA_PSS_2048_8192_SHA512,
        ],
        _ => &[],
    };
    let tbs = cert.tbs_certificate.as_ref();
    let signature = cert.signature_value.data.as_ref();
    algorithms.iter().any(|a| {
        UnparsedPublicKey::new(*a, key)
            .verify(tbs, signature)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_that_are_not_notation_s_say_why() {
        let reason = |b: &[u8]| match Envelope::open(b) {
            Err(r) => r.to_string(),
            Ok(_) => "opened".into(),
        };
        assert!(reason(b"{}").contains("is not a JWS in JSON serialization"));
        let no_chain = br#"{"payload":"e30","protected":"e30","header":{"x5c":[]},"signature":""}"#;
        assert!(reason(no_chain).contains("its `x5c` holds 0 certificates"));
        let garbage =
            br#"{"payload":"e30","protected":"e30","header":{"x5c":["AAAA"]},"signature":""}"#;
        assert!(reason(garbage).contains("not base64 DER X.509"));
    }

    #[test]
    fn critical_headers_are_understood_or_refused() {
        let h = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
        let good = h(serde_json::json!({
            "alg": "ES256", "crit": [SCHEME], "cty": PAYLOAD_TYPE,
            SCHEME: "notary.x509", SIGNING_TIME: "2026-12-06T00:00:00Z"
        }));
        assert_eq!(check_critical(&good), Ok(()));
        let mut plugin = good.clone();
        plugin.insert(
            "crit".into(),
            serde_json::json!([SCHEME, "io.cncf.notary.verificationPlugin"]),
        );
        assert!(check_critical(&plugin).unwrap_err().to_string().contains(
            "io.cncf.notary.verificationPlugin critical, which regscope does not understand"
        ));
        let mut uncritical_expiry = good.clone();
        uncritical_expiry.insert(EXPIRY.into(), "2030-01-01T00:00:00Z".into());
        assert!(check_critical(&uncritical_expiry)
            .unwrap_err()
            .to_string()
            .contains("io.cncf.notary.expiry must be present and listed in `crit` together"));
        let mut absent = good.clone();
        absent.insert("crit".into(), serde_json::json!([SCHEME, EXPIRY]));
        assert!(check_critical(&absent).is_err());
        let mut cty = good;
        cty.insert("cty".into(), "text/plain".into());
        assert!(check_critical(&cty).is_err());
    }
}

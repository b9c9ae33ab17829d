//! A notation signature checked as `notation verify` decides it under a trust policy and trust
//! store (`verify::trustpolicy`): a JWS envelope (`application/jose+json`, read here) or a COSE
//! one (`application/cose`, read in `verify::cose`), both opened into one decoded envelope
//! (`verify::envelope`) and judged by one path: the signature with the chain's leaf, the
//! critical headers understood, the payload's target equal to the image, the chain to a
//! certificate of the policy's trust stores, the signer among its trusted identities, the
//! signing time inside every certificate's validity, and the expiry; each check enforced or
//! logged as the policy's level says.

use std::path::PathBuf;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::envelope::{
    bad, chain_length, check_chain, check_header, verify_with_leaf, Header, SCHEME,
};
pub use super::envelope::{Envelope, JWS, MAX_CHAIN, MAX_PART_CHARS, PAYLOAD_TYPE};
use super::trustpolicy::{
    describe_dn, read_store, subject_of, Action, Level, Statement, TrustPolicy, Validation,
};
use super::Reason;
use crate::model::intoto::decode_base64;
use crate::model::Node;
use crate::sanitize::sanitize;

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
    /// Base64 DER (Go's encoding of `[]byte`).
    #[serde(default, rename = "io.cncf.notary.timestampSignature")]
    timestamp: Option<String>,
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

impl Envelope {
    /// Reads a JWS envelope `bytes` (already within the blob cap) and checks its integrity: the
    /// signature of `protected.payload` with the leaf's key, the critical headers, the content
    /// type.
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
        // Counted before anything is decoded, so a long list costs nothing.
        if jws.header.x5c.is_empty() || jws.header.x5c.len() > MAX_CHAIN {
            return Err(chain_length("x5c", jws.header.x5c.len()));
        }
        let chain = jws
            .header
            .x5c
            .iter()
            .map(|c| b64(c))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("a certificate of its `x5c` is not base64 DER X.509"))?;
        check_chain(&chain, "x5c")?;
        check_critical(&header)?;
        let alg = header.get("alg").and_then(|a| a.as_str()).unwrap_or("");
        let signature = b64(&jws.signature).ok_or_else(|| bad("its signature is not base64url"))?;
        let signed = format!("{}.{}", jws.protected, jws.payload);
        verify_with_leaf(&chain, alg, signed.as_bytes(), &signature)?;
        let payload = b64(&jws.payload)
            .ok_or_else(|| bad("its payload is not notation's (`targetArtifact`)"))?;
        let scheme = header
            .get(SCHEME)
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        let mut envelope = Self::decoded(chain, scheme, &payload, |k| time_header(&header, k))?;
        envelope.timestamp = match &jws.header.timestamp {
            Some(t) if t.len() <= MAX_PART_CHARS => Some(b64(t).ok_or_else(|| {
                bad("its timestamp countersignature (`io.cncf.notary.timestampSignature`) is not base64")
            })?),
            Some(_) => return Err(bad("its timestamp countersignature is too large")),
            None => None,
        };
        envelope.signature = signature;
        Ok(envelope)
    }
}

/// The JWS protected header's `crit`, scheme and content type as the Notary Project's JWS
/// envelope requires them.
fn check_critical(header: &serde_json::Map<String, serde_json::Value>) -> Result<(), Reason> {
    let crit = header
        .get("crit")
        .and_then(|c| c.as_array())
        .map(|c| {
            c.iter()
                .take(16)
                .filter_map(|v| v.as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    check_header(&Header {
        crit,
        has: &|name| header.contains_key(name),
        scheme: header.get(SCHEME).and_then(|s| s.as_str()),
        content_type: header.get("cty").and_then(|c| c.as_str()),
    })
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

    /// The verdict on the envelope `bytes` (a JWS, or a COSE envelope when `media_type` is
    /// [`cose::COSE`]) signing `subject`.
    #[must_use]
    pub fn check(&self, bytes: &[u8], media_type: &str, subject: &Node) -> Outcome {
        let mut notes = Vec::new();
        let mut signer = None;
        let result = self.check_into(bytes, media_type, subject, &mut notes, &mut signer);
        Outcome {
            result,
            notes,
            signer,
        }
    }

    fn check_into(
        &self,
        bytes: &[u8],
        media_type: &str,
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
        // From here on both encodings are one envelope, judged alike.
        let envelope = if media_type == super::cose::COSE {
            super::cose::open(bytes)?
        } else {
            Envelope::open(bytes)?
        };
        // Who the leaf names, read before any check: a failed verdict says who it claims.
        *signer = envelope
            .chain
            .first()
            .and_then(|d| X509Certificate::from_der(d).ok())
            .map(|(_, leaf)| super::Signer::Notation {
                subject: describe_dn(&subject_of(&leaf)),
                trust_policy: sanitize(&statement.name).into_owned(),
            });
        self.judge(statement, &envelope, subject, notes)
    }

    /// The verdict on a decoded envelope under `statement`: the target, then each validation
    /// enforced or logged as the statement's level says.
    fn judge(
        &self,
        statement: &Statement,
        envelope: &Envelope,
        subject: &Node,
        notes: &mut Vec<String>,
    ) -> Result<(), Reason> {
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
        let certs: Vec<X509Certificate<'_>> = envelope
            .chain
            .iter()
            .filter_map(|d| X509Certificate::from_der(d).ok().map(|c| c.1))
            .collect();
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
            self.authentic(statement, envelope, &certs),
        )?;
        apply(
            Validation::AuthenticTimestamp,
            self.authentic_time(statement, envelope, &certs),
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

    /// The signing time lies inside every certificate's validity: for the `notary.x509` scheme
    /// with a timestamp countersignature, the time it proves, once it verifies with a root of
    /// the statement's `tsa` stores over the envelope's signature (notation-go's
    /// `verifyTimestamp`); under `verifyTimestamp: afterCertExpiry`, a chain still valid now
    /// needs no timestamp. Otherwise the signing time the envelope states.
    fn authentic_time(
        &self,
        statement: &Statement,
        envelope: &Envelope,
        certs: &[X509Certificate<'_>],
    ) -> Result<(), Reason> {
        let Some(token) = envelope
            .timestamp
            .as_deref()
            .filter(|_| envelope.scheme == "notary.x509")
        else {
            return signed_within_validity(envelope.signing_time, certs);
        };
        let now = chrono::Utc::now().timestamp();
        if statement.timestamp_after_cert_expiry && signed_within_validity(now, certs).is_ok() {
            return Ok(());
        }
        let mut roots = Vec::new();
        let mut unreadable = Vec::new();
        for store in statement.stores.iter().filter(|s| s.kind == "tsa") {
            match read_store(&self.store, store) {
                Ok(list) => roots.extend(list),
                Err(why) => unreadable.push(why),
            }
        }
        if roots.is_empty() {
            let mut why = format!(
                "trust policy {} names no readable `tsa` trust store to verify the envelope's timestamp countersignature with; add one (`tsa:NAME`, `notation cert add --type tsa`)",
                statement.name
            );
            for u in unreadable {
                why.push_str(&format!("; {u}"));
            }
            return Err(Reason::BadTimestamp(why));
        }
        let authorities: Vec<_> = roots
            .into_iter()
            .map(|root| super::trust::Authority {
                uri: String::new(),
                chain: vec![root],
                valid_from: None,
                valid_until: None,
            })
            .collect();
        let stores = format!("the tsa trust stores of trust policy {}", statement.name);
        let bad = |e: super::tsa::TsaError| Reason::BadTimestamp(e.to_string());
        let token = super::tsa::parse(token).map_err(bad)?;
        let at = super::tsa::verify_token(&token, &envelope.signature, &authorities, &stores)
            .map_err(bad)?;
        // notation-go: the whole range the accuracy allows lies inside every validity.
        signed_within_validity(at - token.accuracy, certs)?;
        signed_within_validity(at + token.accuracy, certs)
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
    let curve = super::key::curve_oid(spki);
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
    use super::super::envelope::{EXPIRY, SIGNING_TIME};
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
        assert!(reason(garbage).contains("is not a DER X.509 certificate"));
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

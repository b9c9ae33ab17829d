//! Keyless (Sigstore) verification of a cosign signature, offline, as `cosign verify
//! --certificate-identity … --certificate-oidc-issuer …` decides it: the Fulcio certificate
//! chains to a certificate authority of the trusted root, names the wanted identity and issuer,
//! its key verifies the signature, and the Rekor entry's signed timestamp (SET) proves the
//! signature was logged while the certificate was valid.

use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate};

use super::signer::Signer;
use super::trust::{Authority, TrustedRoot};
use super::{rekor, PublicKey, Reason};
use crate::model::payload::{
    fulcio_issuer, fulcio_source, COSIGN_BUNDLE, COSIGN_CERTIFICATE, MAX_CERTIFICATE_BYTES,
};
use crate::sanitize::sanitize;

/// Bundle annotations longer than this are not read (a real one is 2–5 KiB: the entry body
/// holds the certificate).
pub const MAX_BUNDLE_CHARS: usize = 64 * 1024;

/// Which certificate identity a policy accepts: cosign's `--certificate-identity` (exact) or
/// `--certificate-identity-regexp` (Go's syntax; this is Rust's `regex`, the same for the
/// patterns identities use, and unanchored as in Go).
#[derive(Debug, Clone)]
pub enum Identity {
    Exact(String),
    Regexp(regex::Regex),
}

impl Identity {
    /// The regexp form, or why it does not compile (in words).
    pub fn regexp(pattern: &str) -> Result<Self, String> {
        regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map(Identity::Regexp)
            .map_err(|e| {
                format!(
                    "`{}` is not a regular expression ({})",
                    sanitize(pattern),
                    sanitize(&e.to_string())
                )
            })
    }

    fn matches(&self, san: &str) -> bool {
        match self {
            Identity::Exact(want) => want == san,
            Identity::Regexp(re) => re.is_match(san),
        }
    }

    /// `ci@example.com`, or `/^ci@.*$/` for a regexp (sanitised).
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Identity::Exact(s) => sanitize(s).into_owned(),
            Identity::Regexp(re) => format!("/{}/", sanitize(re.as_str())),
        }
    }
}

/// What a keyless policy trusts: the roots, and who must have signed.
#[derive(Debug, Clone)]
pub struct Keyless {
    pub root: TrustedRoot,
    /// `Sigstore's public-good root` or the file's path (sanitised), for messages.
    pub root_name: String,
    pub identity: Identity,
    pub issuer: String,
}

/// cosign's `dev.sigstore.cosign/bundle` annotation: a Rekor entry and its SET.
#[derive(serde::Deserialize)]
struct Bundle {
    #[serde(rename = "SignedEntryTimestamp")]
    set: String,
    #[serde(rename = "Payload")]
    payload: BundlePayload,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundlePayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

/// The bytes a Rekor SET signs: the RFC 8785 canonical JSON of the entry's `body`,
/// `integratedTime`, `logID` and `logIndex` (keys in code-point order, no whitespace), as
/// cosign's `VerifySET` rebuilds it.
#[must_use]
pub fn set_message(body: &str, integrated_time: i64, log_index: i64, log_id: &str) -> Vec<u8> {
    // serde_json escapes strings as RFC 8785 does (short escapes, lowercase `\u00xx`, `/` as is).
    let text = |s: &str| serde_json::to_string(s).unwrap_or_default();
    format!(
        "{{\"body\":{},\"integratedTime\":{integrated_time},\"logID\":{},\"logIndex\":{log_index}}}",
        text(body),
        text(log_id)
    )
    .into_bytes()
}

/// `2026-12-06T17:45:00Z`.
pub(crate) fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

fn parse_time(s: Option<&String>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|d| d.timestamp())
}

impl Keyless {
    /// `identity ci@example.com from https://issuer (Sigstore's public-good root)`.
    #[must_use]
    pub fn describe(&self) -> String {
        format!(
            "identity {} from {} ({})",
            self.identity.describe(),
            sanitize(&self.issuer),
            self.root_name
        )
    }

    /// The verdict on one signature: `signature` over `payload`, with the layer's
    /// `annotations` (the certificate and the Rekor bundle). `signer` is who the certificate
    /// names once it is read, whether or not it then verifies.
    pub fn check(
        &self,
        annotations: &std::collections::BTreeMap<String, String>,
        payload: &[u8],
        signature: &[u8],
        signer: &mut Option<Signer>,
    ) -> Result<(), Reason> {
        let pem = annotations
            .get(COSIGN_CERTIFICATE)
            .ok_or(Reason::NoCertificate)?;
        let der = certificate_der(pem).ok_or(Reason::BadCertificate)?;
        let leaf = self.certified(&der, signer)?;
        if !leaf.key.verifies(payload, signature) {
            return Err(Reason::BadSignature);
        }
        let signed_at = self.logged(annotations, payload, signature)?;
        leaf.valid_at(signed_at)
    }

    /// The verdict on a DSSE `envelope` about `subject` signed by the certificate `der`, logged
    /// in one of `entries` (a Sigstore bundle's `tlogEntries`, or the one entry of cosign's
    /// bundle annotation); `missing` is the reason when there is none. The predicate type once
    /// the envelope verifies, as [`super::dsse::check`] gives it; `signer` as in
    /// [`Keyless::check`].
    pub fn check_envelope(
        &self,
        der: &[u8],
        entries: &[Result<LogEntry, Reason>],
        missing: Reason,
        envelope: &[u8],
        subject: &str,
        signer: &mut Option<Signer>,
    ) -> (Result<(), Reason>, Option<String>) {
        let log = (entries, missing, &Stamps::default());
        self.check_envelope_stamped(der, log, envelope, subject, signer)
    }

    /// [`Keyless::check_envelope`] with a Sigstore bundle's RFC 3161 timestamps (`stamps`).
    pub fn check_envelope_stamped(
        &self,
        der: &[u8],
        (entries, missing, stamps): (&[Result<LogEntry, Reason>], Reason, &Stamps),
        envelope: &[u8],
        subject: &str,
        signer: &mut Option<Signer>,
    ) -> (Result<(), Reason>, Option<String>) {
        let leaf = match self.certified(der, signer) {
            Ok(leaf) => leaf,
            Err(reason) => return (Err(reason), None),
        };
        let (result, predicate) = super::dsse::check(envelope, subject, &leaf.key);
        if matches!(
            result,
            Err(Reason::BadSignature | Reason::NotDsse | Reason::NoSignature)
        ) {
            return (result, predicate);
        }
        let Some((payload, signatures)) = super::dsse::parts(envelope) else {
            return (Err(Reason::NotDsse), None);
        };
        let signed = rekor::Signed::Envelope {
            payload: &payload,
            signatures: &signatures,
            envelope,
        };
        match self.logged_while_valid(&leaf, (entries, missing, stamps), &signed) {
            Ok(()) => (result, predicate),
            Err(reason) => (Err(reason), None),
        }
    }

    /// The verdict on a Sigstore bundle's message signature of `artifact` (the subject
    /// manifest's bytes, whose digest made with `hash` is `digest`: the caller compared them):
    /// `signature` verifies over `artifact` with the certificate `der`'s key, and one of
    /// `entries` is a `hashedrekord` entry of this digest, signature and certificate, logged
    /// while the certificate was valid; `missing` is the reason when no entry is there;
    /// `signer` as in [`Keyless::check`].
    pub fn check_message(
        &self,
        der: &[u8],
        (entries, missing, stamps): (&[Result<LogEntry, Reason>], Reason, &Stamps),
        artifact: &[u8],
        (hash, digest, signature): (rekor::Hash, &[u8], &[u8]),
        signer: &mut Option<Signer>,
    ) -> Result<(), Reason> {
        let leaf = self.certified(der, signer)?;
        if !leaf.key.verifies_hashed(artifact, signature, hash) {
            return Err(Reason::BadSignature);
        }
        let signed = rekor::Signed::Artifact {
            hash,
            digest,
            signature,
            certificate: Some(der),
        };
        self.logged_while_valid(&leaf, (entries, missing, stamps), &signed)
    }

    /// One of `entries` proves `signed` was logged while `leaf` was valid: its SET verifies
    /// (or, without one, its inclusion proof does and a timestamp of `stamps` dates it), its
    /// body records `signed`, its inclusion proof (when it has one) leads to a checkpoint of
    /// the log. One is enough (cosign's threshold is one); else the first entry's reason, or
    /// `missing` when there is none. Every verified timestamp is a signing time too: the
    /// certificate must be valid then (sigstore-go).
    fn logged_while_valid(
        &self,
        leaf: &Certified,
        (entries, missing, stamps): (&[Result<LogEntry, Reason>], Reason, &Stamps),
        signed: &rekor::Signed<'_>,
    ) -> Result<(), Reason> {
        if let (true, Some(reason)) = (stamps.duplicate, &stamps.failed) {
            return Err(reason.clone());
        }
        let mut first = None;
        for entry in entries {
            let verdict = entry.clone().and_then(|e| {
                let at = match e.set {
                    Some(_) => Some(self.entry_time(&e)?),
                    None => None,
                };
                rekor::compare(&e.body, signed).map_err(Reason::LogEntryMismatch)?;
                if let Some(proof) = &e.proof {
                    self.included(&e, proof.as_ref().map_err(Clone::clone)?)?;
                }
                match at {
                    Some(at) => leaf.valid_at(at),
                    // An entry proven by its inclusion proof alone says nothing of when: a
                    // timestamp must (sigstore-go's observer threshold of one).
                    None if stamps.times.is_empty() => Err(stamps.failed.clone().unwrap_or_else(|| {
                        Reason::BadSet("the bundle's log entry has no signed entry timestamp and the bundle no RFC 3161 timestamp, so nothing proves when it was signed".into())
                    })),
                    None => Ok(()),
                }
            });
            match verdict {
                Ok(()) => return stamps.within(leaf.from, leaf.until),
                Err(reason) => {
                    first.get_or_insert(reason);
                }
            }
        }
        Err(first.unwrap_or(missing))
    }

    /// The RFC 3161 `timestamps` (DER; `None` when unreadable) of a bundle over `signature`:
    /// the times of those that verify with a timestamp authority of the root, and why the
    /// first that does not fails. As sigstore-go and sigstore-python, a timestamp that does
    /// not verify is not counted, and fails the bundle only when nothing else dates it.
    #[must_use]
    pub fn stamps(&self, timestamps: &[Option<Vec<u8>>], signature: &[u8]) -> Stamps {
        let mut stamps = Stamps::default();
        // sigstore-go refuses a bundle carrying one timestamp twice: a copy could pass for a
        // second witness.
        let twice = timestamps
            .iter()
            .enumerate()
            .any(|(i, t)| t.is_some() && timestamps[i + 1..].contains(t));
        if twice {
            stamps.duplicate = true;
            stamps.failed = Some(Reason::BadTimestamp(
                "the bundle carries the same timestamp twice, which sigstore-go refuses".into(),
            ));
            return stamps;
        }
        for (i, token) in timestamps.iter().enumerate() {
            let which = if timestamps.len() == 1 {
                String::new()
            } else {
                format!(" (timestamp {} of the bundle)", i + 1)
            };
            let verdict = token
                .as_deref()
                .ok_or_else(|| "its `signedTimestamp` is not base64".to_string())
                .and_then(|t| {
                    let authorities = &self.root.timestamp_authorities;
                    super::tsa::verify(t, signature, authorities, &self.root_name)
                        .map_err(|e| e.to_string())
                });
            match verdict {
                Ok(at) => stamps.times.push(at),
                Err(e) => {
                    stamps
                        .failed
                        .get_or_insert(Reason::BadTimestamp(format!("{e}{which}")));
                }
            }
        }
        stamps
    }

    /// The certificate `der` chains to the trusted root, is for code signing and names the
    /// policy's identity and issuer: its key and validity. Who it names goes to `signer` as
    /// soon as it is read, before any check: a failed verdict says who the signature claims.
    fn certified(&self, der: &[u8], signer: &mut Option<Signer>) -> Result<Certified, Reason> {
        if der.len() > MAX_CERTIFICATE_BYTES {
            return Err(Reason::BadCertificate);
        }
        let (_, leaf) = X509Certificate::from_der(der).map_err(|_| Reason::BadCertificate)?;
        let sans = subject_alternative_names(&leaf);
        let issuer = fulcio_issuer(&leaf);
        *signer = self.signer(&leaf, &sans, issuer.as_deref());
        self.chains(&leaf)?;
        let issuer_spki = super::sct::issuer_spki(&self.root, &leaf).unwrap_or_default();
        super::sct::check(&self.root, &leaf, &issuer_spki)
            .map_err(Reason::CertificateTransparency)?;
        // Fulcio issues code-signing certificates; cosign's chain check requires the usage.
        let code_signing = leaf
            .extended_key_usage()
            .ok()
            .flatten()
            .is_some_and(|e| e.value.code_signing);
        if !code_signing {
            return Err(Reason::NotCodeSigning);
        }
        self.matches_policy(&sans, issuer)?;
        let key =
            PublicKey::from_spki_der(leaf.public_key().raw).map_err(|_| Reason::BadCertificate)?;
        Ok(Certified {
            key,
            from: leaf.validity().not_before.timestamp(),
            until: leaf.validity().not_after.timestamp(),
        })
    }

    /// The leaf is signed by the first certificate of an authority of the root that was
    /// trusted when the leaf was issued (cosign verifies the chain at the leaf's `NotBefore`;
    /// the root's certificates are trusted as the root lists them).
    fn chains(&self, leaf: &X509Certificate<'_>) -> Result<(), Reason> {
        let issued = leaf.validity().not_before.timestamp();
        let tbs = leaf.tbs_certificate.as_ref();
        let signature = leaf.signature_value.data.as_ref();
        let trusted_then = |a: &&Authority| {
            parse_time(a.valid_from.as_ref()).is_none_or(|t| t <= issued)
                && parse_time(a.valid_until.as_ref()).is_none_or(|t| issued <= t)
        };
        let signed_by = |a: &Authority| {
            let Some(Ok((_, issuer))) = a.chain.first().map(|d| X509Certificate::from_der(d))
            else {
                return false;
            };
            let within = issuer.validity().not_before.timestamp() <= issued
                && issued <= issuer.validity().not_after.timestamp();
            within
                && PublicKey::from_spki_der(issuer.public_key().raw)
                    .is_ok_and(|k| signed_with(&k, leaf, tbs, signature))
        };
        if self
            .root
            .authorities
            .iter()
            .filter(trusted_then)
            .any(signed_by)
        {
            return Ok(());
        }
        Err(Reason::UntrustedRoot {
            issuer: sanitize(&leaf.issuer().to_string()).into_owned(),
            root: self.root_name.clone(),
        })
    }

    /// Who the certificate names: the SAN the policy's identity matches (else the first), its
    /// issuer, and a CI certificate's repository and ref; `None` when it names no one.
    fn signer(
        &self,
        leaf: &X509Certificate<'_>,
        sans: &[String],
        issuer: Option<&str>,
    ) -> Option<Signer> {
        let identity = sans
            .iter()
            .find(|s| self.identity.matches(s))
            .or_else(|| sans.first())?;
        let clean = |s: &str| sanitize(s).into_owned();
        let (repository, git_ref) = fulcio_source(leaf);
        Some(Signer::Certificate {
            identity: clean(identity),
            issuer: issuer.map(clean),
            repository: repository.as_deref().map(clean),
            git_ref: git_ref.as_deref().map(clean),
        })
    }

    /// The issuer extension equals the policy's issuer, and a SAN its identity.
    fn matches_policy(&self, sans: &[String], issuer: Option<String>) -> Result<(), Reason> {
        if issuer.as_deref() != Some(self.issuer.as_str()) {
            return Err(Reason::IssuerMismatch {
                issuer: issuer.map_or_else(
                    || "none (no Fulcio issuer extension)".into(),
                    |i| sanitize(&i).into_owned(),
                ),
                wanted: sanitize(&self.issuer).into_owned(),
            });
        }
        if sans.iter().any(|s| self.identity.matches(s)) {
            return Ok(());
        }
        Err(Reason::IdentityMismatch {
            identity: if sans.is_empty() {
                "none (no e-mail or URI in the certificate)".into()
            } else {
                sanitize(&sans.join(", ")).into_owned()
            },
            wanted: self.identity.describe(),
        })
    }

    /// The Rekor bundle's SET verifies with the key of the log it names, and its entry is this
    /// signature of this payload; the time the log integrated it. (Public for the fuzz test:
    /// [`Keyless::check`] reaches it only past a trusted chain.)
    pub fn logged(
        &self,
        annotations: &std::collections::BTreeMap<String, String>,
        payload: &[u8],
        signature: &[u8],
    ) -> Result<i64, Reason> {
        let entry = annotation_entry(annotations).ok_or(Reason::NoLogEntry)??;
        let at = self.entry_time(&entry)?;
        // cosign's `compareSigs` and payload hash check.
        let signed = rekor::Signed::Message { payload, signature };
        rekor::compare(&entry.body, &signed).map_err(Reason::LogEntryMismatch)?;
        Ok(at)
    }

    /// The entry's SET verifies with the key of the log it names: see [`Logs::entry_time`].
    pub fn entry_time(&self, e: &LogEntry) -> Result<i64, Reason> {
        self.logs().entry_time(e)
    }

    /// The entry's inclusion proof: see [`Logs::included`]. (Public for the real-bundle test.)
    pub fn included(&self, e: &LogEntry, proof: &super::merkle::Proof) -> Result<(), Reason> {
        self.logs().included(e, proof)
    }

    /// The policy's trusted root, as its log entries are checked.
    #[must_use]
    pub fn logs(&self) -> Logs<'_> {
        Logs {
            root: &self.root,
            root_name: &self.root_name,
        }
    }
}

/// The transparency logs of a trusted root, as a log entry is checked against them: by a
/// keyless policy, and by a key whose signatures carry entries ([`super::keyed`]).
#[derive(Debug, Clone, Copy)]
pub struct Logs<'a> {
    pub root: &'a TrustedRoot,
    /// `Sigstore's public-good root` or the file's path (sanitised), for messages.
    pub root_name: &'a str,
}

impl Logs<'_> {
    /// The entry's SET verifies with the key of the log it names, which was valid when the
    /// entry was integrated: that time. Whether the body is the signature in hand is the
    /// caller's check ([`rekor::records`]).
    pub fn entry_time(&self, e: &LogEntry) -> Result<i64, Reason> {
        let log = self.log(&e.log_id).ok_or_else(|| Reason::LogKeyUnknown {
            log_id: sanitize(&e.log_id).into_owned(),
            root: self.root_name.to_string(),
        })?;
        // A log's key signs for a period (a rotated key's ends): an entry it signed outside
        // that period is not the log's word.
        let at = e.integrated_time;
        if parse_time(log.valid_from.as_ref()).is_some_and(|t| at < t)
            || parse_time(log.valid_until.as_ref()).is_some_and(|t| at > t)
        {
            return Err(Reason::BadSet(format!(
                "the entry is dated {}, when the key of {} was not valid (from {} to {})",
                rfc3339(at),
                log.base_url,
                log.valid_from.as_deref().unwrap_or("the start"),
                log.valid_until.as_deref().unwrap_or("now")
            )));
        }
        let Some(set) = e.set.as_ref() else {
            // Only a keyless bundle's timestamps date a proof-only entry; here nothing does.
            return Err(Reason::BadSet(
                "the entry has no signed entry timestamp (only an inclusion proof), and nothing else proves when it was logged".into(),
            ));
        };
        let message = set_message(&e.body, e.integrated_time, e.log_index, &e.log_id);
        if !log.key.verifies(&message, set) {
            return Err(Reason::BadSet(format!(
                "the signed entry timestamp does not verify with the key of {}",
                log.base_url
            )));
        }
        Ok(at)
    }

    /// The entry's inclusion proof leads to the root hash of the checkpoint the log signed
    /// (offline: the checkpoint travels with the proof).
    pub fn included(&self, e: &LogEntry, proof: &super::merkle::Proof) -> Result<(), Reason> {
        use super::merkle;
        let bad = |why: String| Err(Reason::BadInclusionProof(why));
        let Some(log) = self.log(&e.log_id) else {
            return bad("its log is not in the trusted root".into());
        };
        let body = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &e.body)
            .unwrap_or_default();
        let root = merkle::root_from_proof(
            proof.log_index,
            proof.tree_size,
            &merkle::leaf_hash(&body),
            &proof.hashes,
        );
        if root.as_deref() != Some(proof.root_hash.as_slice()) {
            return bad(format!(
                "the entry's hashes do not lead to the root hash of the tree of {} entries",
                proof.tree_size
            ));
        }
        let Some(checkpoint) = merkle::parse_checkpoint(&proof.checkpoint) else {
            return bad("its checkpoint is not a signed note".into());
        };
        if checkpoint.size != proof.tree_size || checkpoint.root != proof.root_hash {
            return bad("its checkpoint names another tree size or root hash".into());
        }
        // The note's origin names the log whose tree it is: a checkpoint another log signed
        // says nothing of this one.
        if !merkle::origin_is_log(&checkpoint.origin, &log.base_url) {
            return bad(format!(
                "its checkpoint is from the log {}, not {}",
                sanitize(&checkpoint.origin),
                log.base_url
            ));
        }
        // A signature line is the key's 4-byte hint, then the signature of the note's text.
        let signed = checkpoint.signatures.iter().any(|(_, bytes)| {
            bytes.len() > 4
                && bytes[..4] == log.log_id[..4.min(log.log_id.len())]
                && log.key.verifies(checkpoint.text.as_bytes(), &bytes[4..])
        });
        if !signed {
            return bad(format!(
                "its checkpoint is not signed by the key of {}",
                log.base_url
            ));
        }
        Ok(())
    }

    /// The trusted root's log of the hex `log_id`.
    #[must_use]
    pub fn log(&self, log_id: &str) -> Option<&super::trust::Log> {
        self.root
            .logs
            .iter()
            .find(|l| hex::encode(&l.log_id).eq_ignore_ascii_case(log_id))
    }
}

/// Whether `key` signed the certificate `cert` (its `tbs` bytes and `signature`) with the hash
/// the certificate's signature algorithm names: a P-256 CA may sign with SHA-384 (the
/// conformance suite's custom root does), which the key's default hash would miss.
fn signed_with(key: &PublicKey, cert: &X509Certificate<'_>, tbs: &[u8], signature: &[u8]) -> bool {
    let hash = match cert.signature_algorithm.algorithm.to_id_string().as_str() {
        // ecdsa-with-SHA256/384/512 and sha256/384/512WithRSAEncryption.
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Some(rekor::Hash::Sha256),
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Some(rekor::Hash::Sha384),
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Some(rekor::Hash::Sha512),
        _ => None,
    };
    match hash {
        Some(hash) => key.verifies_hashed(tbs, signature, hash),
        None => key.verifies(tbs, signature),
    }
}

/// The signing times a bundle's RFC 3161 timestamps prove, and why the first that does not
/// verify fails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamps {
    pub times: Vec<i64>,
    pub failed: Option<Reason>,
    /// The bundle carries one timestamp twice: it fails, whatever else dates it.
    pub duplicate: bool,
}

impl Stamps {
    /// Every verified timestamp falls inside the certificate's validity (`from`..=`until`).
    fn within(&self, from: i64, until: i64) -> Result<(), Reason> {
        match self.times.iter().find(|&&at| at < from || at > until) {
            Some(&at) => Err(Reason::BadTimestamp(format!(
                "it dates the signature at {}, when the certificate was not valid (from {} to {})",
                rfc3339(at),
                rfc3339(from),
                rfc3339(until)
            ))),
            None => Ok(()),
        }
    }
}

/// A certificate that satisfies the policy: its key and validity (seconds since the epoch).
struct Certified {
    key: PublicKey,
    from: i64,
    until: i64,
}

impl Certified {
    /// The signature was logged at `signed_at`, inside the certificate's validity.
    fn valid_at(&self, signed_at: i64) -> Result<(), Reason> {
        if signed_at < self.from || signed_at > self.until {
            return Err(Reason::ExpiredAtSigning {
                signed_at: rfc3339(signed_at),
                not_before: rfc3339(self.from),
                not_after: rfc3339(self.until),
            });
        }
        Ok(())
    }
}

/// A transparency-log entry as a signature carries it (cosign's bundle annotation, a Sigstore
/// bundle's `tlogEntries[]`): the base64 body, where and when it was logged, and the log's
/// signed entry timestamp (SET) over them.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub body: String,
    pub integrated_time: i64,
    pub log_index: i64,
    /// Hex, as the SET's message names the log.
    pub log_id: String,
    /// The signed entry timestamp; `None` for a bundle entry proven by its inclusion proof
    /// alone (a timestamp then dates it).
    pub set: Option<Vec<u8>>,
    /// A Sigstore bundle entry's inclusion proof, or why it is unreadable (cosign's bundle
    /// annotation carries none).
    pub proof: Option<Result<super::merkle::Proof, Reason>>,
}

/// The entry of cosign's bundle annotation; `None` when there is no annotation, the reason
/// when it is no Rekor bundle.
#[must_use]
pub fn annotation_entry(
    annotations: &std::collections::BTreeMap<String, String>,
) -> Option<Result<LogEntry, Reason>> {
    let raw = annotations.get(COSIGN_BUNDLE)?;
    if raw.len() > MAX_BUNDLE_CHARS {
        return Some(Err(Reason::BadSet(
            "the bundle is too large to be a Rekor bundle".into(),
        )));
    }
    let Ok(bundle) = serde_json::from_str::<Bundle>(raw) else {
        return Some(Err(Reason::BadSet(
            "the bundle is not a Rekor bundle".into(),
        )));
    };
    let Some(set) = super::decode_signature(&bundle.set) else {
        return Some(Err(Reason::BadSet(
            "its signed entry timestamp is not base64".into(),
        )));
    };
    let p = bundle.payload;
    Some(Ok(LogEntry {
        body: p.body,
        integrated_time: p.integrated_time,
        log_index: p.log_index,
        log_id: p.log_id,
        set: Some(set),
        proof: None,
    }))
}

/// Subject alternative names compared at most (Fulcio writes one; a hostile certificate may
/// list thousands, each a regexp match and a word in the message).
pub const MAX_NAMES: usize = 16;

/// Which policy setting is wrong, as the config file names it (the CLI maps it to its flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Identity,
    IdentityRegexp,
    Issuer,
    TrustedRoot,
}

impl Setting {
    /// The config file's key.
    #[must_use]
    pub fn config_key(self) -> &'static str {
        match self {
            Setting::Identity => "identity",
            Setting::IdentityRegexp => "identity_regexp",
            Setting::Issuer => "issuer",
            Setting::TrustedRoot => "trusted_root",
        }
    }

    /// cosign's flag for it.
    #[must_use]
    pub fn flag(self) -> &'static str {
        match self {
            Setting::Identity => "--certificate-identity",
            Setting::IdentityRegexp => "--certificate-identity-regexp",
            Setting::Issuer => "--certificate-oidc-issuer",
            Setting::TrustedRoot => "--trusted-root",
        }
    }
}

/// A keyless policy from its settings (the config file's or the flags'); the setting at fault
/// and why, in words, when it is not one. cosign needs an identity and an issuer both: a
/// certificate for "anyone at GitHub" or "ci@ from any issuer" is not a policy.
pub fn policy(
    identity: Option<&str>,
    identity_regexp: Option<&str>,
    issuer: Option<&str>,
    trusted_root: Option<&std::path::Path>,
) -> Result<Keyless, (Setting, String)> {
    let identity = match (identity, identity_regexp) {
        (Some(_), Some(_)) => {
            return Err((
                Setting::IdentityRegexp,
                "is given with an exact identity too; give one or the other".into(),
            ))
        }
        (Some(i), None) => Identity::Exact(i.to_string()),
        (None, Some(re)) => Identity::regexp(re).map_err(|e| (Setting::IdentityRegexp, e))?,
        (None, None) => {
            return Err((
                Setting::Identity,
                "is missing: a keyless policy names the signer (an e-mail or a workflow URI)"
                    .into(),
            ))
        }
    };
    let Some(issuer) = issuer else {
        return Err((
            Setting::Issuer,
            "is missing: an identity means nothing without the OIDC issuer that vouched for it (`https://token.actions.githubusercontent.com`, `https://accounts.google.com`)".into(),
        ));
    };
    let (root, root_name) =
        load_trusted_root(trusted_root).map_err(|e| (Setting::TrustedRoot, e))?;
    Ok(Keyless {
        root,
        root_name,
        identity,
        issuer: issuer.to_string(),
    })
}

/// The trusted root at `path`, else the embedded public-good root; with its name for messages
/// (`Sigstore's public-good root`, `the trusted root PATH`), or why it is unusable.
pub fn load_trusted_root(path: Option<&std::path::Path>) -> Result<(TrustedRoot, String), String> {
    match path {
        None => Ok((
            TrustedRoot::public_good().map_err(|e| e.to_string())?,
            "Sigstore's public-good root".to_string(),
        )),
        Some(path) => Ok((
            read_trusted_root(path)?,
            format!("the trusted root {}", sanitize(&path.display().to_string())),
        )),
    }
}

/// A `trusted_root.json` file, read within [`super::trust::MAX_BYTES`].
pub fn read_trusted_root(path: &std::path::Path) -> Result<TrustedRoot, String> {
    let shown = sanitize(&path.display().to_string()).into_owned();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown} cannot be read ({e})"))?;
    if meta.len() > super::trust::MAX_BYTES as u64 {
        return Err(format!("{shown} {}", super::trust::TrustError::TooLarge));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown} cannot be read ({e})"))?;
    TrustedRoot::parse(&bytes).map_err(|e| format!("{shown} {e}"))
}

/// The DER of the first certificate of a PEM annotation, within the certificate cap.
#[must_use]
pub fn certificate_der(pem: &str) -> Option<Vec<u8>> {
    if pem.len() > MAX_CERTIFICATE_BYTES {
        return None;
    }
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    (block.label == "CERTIFICATE").then_some(block.contents)
}

/// The certificate's e-mail, URI and DNS names, as cosign compares identities against them.
fn subject_alternative_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    ext.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::RFC822Name(s) | GeneralName::URI(s) | GeneralName::DNSName(s) => {
                Some((*s).to_string())
            }
            _ => None,
        })
        .take(MAX_NAMES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_set_message_is_canonical_json_in_key_order() {
        assert_eq!(
            String::from_utf8(set_message("eyJhIjoxfQ==", 1_700_000_000, 42, "c0d23d6a")).unwrap(),
            r#"{"body":"eyJhIjoxfQ==","integratedTime":1700000000,"logID":"c0d23d6a","logIndex":42}"#
        );
        // Strings escaped as RFC 8785 does: short escapes, lowercase hex, `/` and non-ASCII kept.
        assert_eq!(
            String::from_utf8(set_message("a/\"\n\u{1}é", -1, 0, "")).unwrap(),
            "{\"body\":\"a/\\\"\\n\\u0001é\",\"integratedTime\":-1,\"logID\":\"\",\"logIndex\":0}"
        );
    }

    #[test]
    fn the_set_message_parses_back_to_the_bundle_payload() {
        let m = set_message("Ym9keQ==", 5, 7, "ab");
        let v: serde_json::Value = serde_json::from_slice(&m).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"body": "Ym9keQ==", "integratedTime": 5, "logID": "ab", "logIndex": 7})
        );
    }

    #[test]
    fn an_identity_regexp_is_unanchored_as_in_go_and_a_bad_one_says_why() {
        let re = Identity::regexp("^ci@.*\\.example$").unwrap();
        assert!(re.matches("ci@build.example"));
        assert!(!re.matches("dev@build.example"));
        assert!(Identity::regexp("ci@").unwrap().matches("a-ci@b"));
        let err = Identity::regexp("(").unwrap_err();
        assert!(
            err.starts_with("`(` is not a regular expression ("),
            "{err}"
        );
        assert_eq!(Identity::Exact("ci@z".into()).describe(), "ci@z");
    }

    #[test]
    fn a_policy_needs_one_identity_and_an_issuer_and_a_root_that_reads() {
        let err = |r: Result<Keyless, (Setting, String)>| r.map(|_| ()).unwrap_err();
        let (s, why) = err(policy(Some("ci@z"), None, None, None));
        assert_eq!(
            (s, s.config_key(), s.flag()),
            (Setting::Issuer, "issuer", "--certificate-oidc-issuer")
        );
        assert!(
            why.starts_with("is missing: an identity means nothing without"),
            "{why}"
        );
        assert_eq!(
            err(policy(None, None, Some("https://i"), None)).0,
            Setting::Identity
        );
        assert_eq!(
            err(policy(Some("a"), Some("b"), Some("https://i"), None)).0,
            Setting::IdentityRegexp
        );
        let (s, why) = err(policy(
            Some("a"),
            None,
            Some("https://i"),
            Some(std::path::Path::new("/nonexistent/root.json")),
        ));
        assert_eq!(s, Setting::TrustedRoot);
        assert!(
            why.starts_with("/nonexistent/root.json cannot be read ("),
            "{why}"
        );
        let ok = policy(None, Some("^ci@"), Some("https://i"), None).unwrap();
        assert_eq!(
            ok.describe(),
            "identity /^ci@/ from https://i (Sigstore's public-good root)"
        );
    }

    #[test]
    fn a_verified_timestamp_outside_the_certificate_s_validity_fails_with_both_times() {
        let stamps = Stamps {
            times: vec![1_000, 5_000],
            ..Stamps::default()
        };
        assert_eq!(stamps.within(0, 10_000), Ok(()));
        assert_eq!(
            stamps.within(0, 4_000).unwrap_err().to_string(),
            "bad RFC 3161 timestamp: it dates the signature at 1970-01-01T01:23:20Z, when the certificate was not valid (from 1970-01-01T00:00:00Z to 1970-01-01T01:06:40Z)"
        );
    }

    #[test]
    fn times_read_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            parse_time(Some(&"2022-04-13T20:06:15.000Z".to_string())),
            Some(1_649_880_375)
        );
        assert_eq!(parse_time(Some(&"soon".to_string())), None);
    }
}

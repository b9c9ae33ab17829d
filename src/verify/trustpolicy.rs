//! notation's trust policy (`trustpolicy.json`) and trust store (`truststore/x509/TYPE/NAME/`),
//! read in notation's own formats and places so a team's existing files work unchanged.
//!
//! What a policy statement decides (its scope, its verification level and overrides, its
//! stores and identities) is here; checking an envelope against it is `verify::notation`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::sanitize::sanitize;

/// A trust policy file larger than this is refused unread (a real one is a few KiB).
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;
/// Files read at most from one trust store directory, and bytes at most per file.
pub const MAX_STORE_FILES: usize = 64;
pub const MAX_STORE_FILE_BYTES: u64 = 256 * 1024;
/// Certificates taken at most from one file.
pub const MAX_CERTS_PER_FILE: usize = 16;
/// Attributes read at most in a distinguished name.
pub const MAX_DN_ATTRIBUTES: usize = 32;

/// Why a trust policy is not one notation would use, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot be read ({0})")]
    Unreadable(String),
    #[error("is larger than {MAX_POLICY_BYTES} bytes; a trust policy is a few KiB")]
    TooLarge,
    #[error("is not a notation trust policy ({0})")]
    NotPolicy(String),
    #[error("has version {0}; notation's trust policy is version 1.0")]
    Version(String),
    #[error("trust policy {name} {why}")]
    Statement { name: String, why: String },
}

/// How strictly a statement verifies (`signatureVerification.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Strict,
    Permissive,
    Audit,
    Skip,
}

impl Level {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "strict" => Level::Strict,
            "permissive" => Level::Permissive,
            "audit" => Level::Audit,
            "skip" => Level::Skip,
            _ => return None,
        })
    }

    /// `strict`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Level::Strict => "strict",
            Level::Permissive => "permissive",
            Level::Audit => "audit",
            Level::Skip => "skip",
        }
    }
}

/// The checks a level sets to enforce or log (the Notary Project's validation types; revocation
/// needs the network and is not checked here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Validation {
    Authenticity,
    AuthenticTimestamp,
    Expiry,
}

impl Validation {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "authenticity" => Validation::Authenticity,
            "authenticTimestamp" => Validation::AuthenticTimestamp,
            "expiry" => Validation::Expiry,
            _ => return None,
        })
    }
}

/// What a failed check does: fail the signature, or be reported beside a verdict that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Enforce,
    Log,
    Skip,
}

/// Which trust store directory type: `ca` (the `notary.x509` scheme), `signingAuthority`
/// (`notary.x509.signingAuthority`), `tsa` (timestamping, not used here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreName {
    pub kind: String,
    pub name: String,
}

impl StoreName {
    /// `ca:acme`, as the policy spells it.
    #[must_use]
    pub fn spelled(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

/// A trusted identity: any (`*`), or a subject whose attributes include these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedIdentity {
    Any,
    Subject(Vec<(String, String)>),
}

impl TrustedIdentity {
    /// `x509.subject: C=US, ST=WA, O=acme` or `*`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            TrustedIdentity::Any => "*".into(),
            TrustedIdentity::Subject(dn) => format!("x509.subject: {}", describe_dn(dn)),
        }
    }

    /// notation's comparison: every attribute of the trusted identity is in the certificate's
    /// subject with the same value; the subject may hold more.
    #[must_use]
    pub fn matches(&self, subject: &[(String, String)]) -> bool {
        match self {
            TrustedIdentity::Any => true,
            TrustedIdentity::Subject(want) => want.iter().all(|w| subject.contains(w)),
        }
    }
}

/// One statement of the policy.
#[derive(Debug, Clone)]
pub struct Statement {
    pub name: String,
    scopes: Vec<String>,
    pub level: Level,
    overrides: BTreeMap<Validation, Action>,
    pub stores: Vec<StoreName>,
    pub identities: Vec<TrustedIdentity>,
    /// `signatureVerification.verifyTimestamp` is `afterCertExpiry`: a timestamp
    /// countersignature is checked only once a certificate of the chain has expired (else
    /// `always`, notation's default).
    pub timestamp_after_cert_expiry: bool,
}

impl Statement {
    /// What a failed `v` does under this statement: its level's action, unless overridden.
    #[must_use]
    pub fn action(&self, v: Validation) -> Action {
        if let Some(a) = self.overrides.get(&v) {
            return *a;
        }
        match (self.level, v) {
            (Level::Strict, _) | (Level::Permissive, Validation::Authenticity) => Action::Enforce,
            (Level::Skip | Level::Audit | Level::Permissive, _) => Action::Log,
        }
    }
}

/// A trust policy document and where it was read from.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    /// The file (sanitised), for messages.
    pub file: String,
    pub statements: Vec<Statement>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPolicy {
    version: String,
    trust_policies: Vec<RawStatement>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatement {
    name: String,
    #[serde(default)]
    registry_scopes: Vec<String>,
    signature_verification: RawVerification,
    #[serde(default)]
    trust_stores: Vec<String>,
    #[serde(default)]
    trusted_identities: Vec<String>,
}

#[derive(serde::Deserialize)]
struct RawVerification {
    level: String,
    #[serde(default, rename = "override")]
    overrides: BTreeMap<String, String>,
    #[serde(default, rename = "verifyTimestamp")]
    verify_timestamp: Option<String>,
}

impl TrustPolicy {
    /// The file at `path`, read within [`MAX_POLICY_BYTES`] and checked as notation checks it.
    pub fn read(path: &Path) -> Result<Self, PolicyError> {
        let meta = std::fs::metadata(path).map_err(|e| PolicyError::Unreadable(e.to_string()))?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge);
        }
        let bytes = std::fs::read(path).map_err(|e| PolicyError::Unreadable(e.to_string()))?;
        Self::parse(&bytes, &path.display().to_string())
    }

    /// A policy from its JSON; `file` names it in messages.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, PolicyError> {
        if bytes.len() as u64 > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge);
        }
        let raw: RawPolicy = serde_json::from_slice(bytes)
            .map_err(|e| PolicyError::NotPolicy(sanitize(&e.to_string()).into_owned()))?;
        if raw.version != "1.0" {
            return Err(PolicyError::Version(sanitize(&raw.version).into_owned()));
        }
        let mut statements = Vec::new();
        let mut wildcard = false;
        for s in raw.trust_policies {
            let name = sanitize(&s.name).into_owned();
            let fail = |why: String| PolicyError::Statement {
                name: name.clone(),
                why,
            };
            if statements.iter().any(|t: &Statement| t.name == name) {
                return Err(fail("the name is used twice".into()));
            }
            let statement = statement(s, &name).map_err(fail)?;
            if statement.scopes.iter().any(|s| s == "*") {
                if wildcard {
                    return Err(PolicyError::Statement {
                        name,
                        why: "a second policy has the `*` scope; one at most".into(),
                    });
                }
                wildcard = true;
            }
            statements.push(statement);
        }
        Ok(Self {
            file: sanitize(file).into_owned(),
            statements,
        })
    }

    /// The statement for `scope` (`registry/repository`): the one naming it, else the `*` one.
    #[must_use]
    pub fn statement_for(&self, scope: &str) -> Option<&Statement> {
        self.statements
            .iter()
            .find(|s| s.scopes.iter().any(|x| x == scope))
            .or_else(|| {
                self.statements
                    .iter()
                    .find(|s| s.scopes.iter().any(|x| x == "*"))
            })
    }
}

fn statement(s: RawStatement, name: &str) -> Result<Statement, String> {
    if s.registry_scopes.is_empty() {
        return Err("has no registryScopes; name `registry/repository` or `*`".into());
    }
    if s.registry_scopes.len() > 1 && s.registry_scopes.iter().any(|x| x == "*") {
        return Err("has `*` beside other scopes; `*` stands alone".into());
    }
    if let Some(bad) = s
        .registry_scopes
        .iter()
        .find(|x| *x != "*" && (!x.contains('/') || x.contains(['*', '@'])))
    {
        return Err(format!(
            "has scope {}, which is neither `*` nor `registry/repository`",
            sanitize(bad)
        ));
    }
    let level = Level::parse(&s.signature_verification.level).ok_or_else(|| {
        format!(
            "has level {}; notation's levels are strict, permissive, audit and skip",
            sanitize(&s.signature_verification.level)
        )
    })?;
    let mut overrides = BTreeMap::new();
    for (k, v) in &s.signature_verification.overrides {
        // Revocation needs the network and is never checked here: overriding it changes
        // nothing, and a team's file that skips it must still read.
        if k == "revocation" && matches!(v.as_str(), "enforce" | "log" | "skip") {
            continue;
        }
        let validation = Validation::parse(k).ok_or_else(|| {
            format!(
                "overrides {}; regscope overrides authenticity, authenticTimestamp and expiry (integrity is always enforced, revocation needs the network)",
                sanitize(k)
            )
        })?;
        let action = match v.as_str() {
            "enforce" => Action::Enforce,
            "log" => Action::Log,
            "skip" => Action::Skip,
            _ => {
                return Err(format!(
                    "overrides {} with {}; the actions are enforce, log and skip",
                    sanitize(k),
                    sanitize(v)
                ))
            }
        };
        if level == Level::Skip {
            return Err("overrides a check at level skip, which checks nothing".into());
        }
        overrides.insert(validation, action);
    }
    let timestamp_after_cert_expiry = match s.signature_verification.verify_timestamp.as_deref() {
        None | Some("always") => false,
        Some("afterCertExpiry") => true,
        Some(other) => {
            return Err(format!(
                "has verifyTimestamp {}; notation's are always and afterCertExpiry",
                sanitize(other)
            ))
        }
    };
    let stores = s
        .trust_stores
        .iter()
        .map(|t| {
            let (kind, name) = t.split_once(':').unwrap_or(("", ""));
            if !matches!(kind, "ca" | "signingAuthority" | "tsa")
                || name.is_empty()
                || name.contains(['/', '\\'])
                || name == ".."
            {
                return Err(format!(
                    "has trust store {}; write `ca:NAME`, `signingAuthority:NAME` or `tsa:NAME`",
                    sanitize(t)
                ));
            }
            Ok(StoreName {
                kind: kind.into(),
                name: name.into(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let identities = s
        .trusted_identities
        .iter()
        .map(|i| identity(i))
        .collect::<Result<Vec<_>, _>>()?;
    if level != Level::Skip && (stores.is_empty() || identities.is_empty()) {
        return Err("needs trustStores and trustedIdentities unless its level is skip".into());
    }
    Ok(Statement {
        name: name.to_string(),
        scopes: s.registry_scopes,
        level,
        overrides,
        stores,
        identities,
        timestamp_after_cert_expiry,
    })
}

fn identity(text: &str) -> Result<TrustedIdentity, String> {
    if text.trim() == "*" {
        return Ok(TrustedIdentity::Any);
    }
    let Some(dn) = text.strip_prefix("x509.subject:") else {
        return Err(format!(
            "has trusted identity {}; write `*` or `x509.subject: C=..., ST=..., O=...`",
            sanitize(text)
        ));
    };
    let dn = parse_dn(dn).ok_or_else(|| {
        format!(
            "has trusted identity {}, which is not a distinguished name",
            sanitize(text)
        )
    })?;
    // notation refuses an identity without these: a bare CN would match anyone's certificate.
    for must in ["C", "ST", "O"] {
        if !dn.iter().any(|(k, _)| k == must) {
            return Err(format!(
                "has trusted identity {}, which lacks {must}; notation requires C, ST and O at least",
                sanitize(text)
            ));
        }
    }
    Ok(TrustedIdentity::Subject(dn))
}

/// An RFC 4514 distinguished name (`C=US, ST=WA, O=acme\, inc`) as (type, value) pairs, types
/// uppercased; `None` when it is none or names a type twice.
#[must_use]
pub fn parse_dn(text: &str) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut part = String::new();
    let mut parts = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                part.push('\\');
                part.push(chars.next()?);
            }
            ',' | '+' => parts.push(std::mem::take(&mut part)),
            _ => part.push(c),
        }
        if parts.len() > MAX_DN_ATTRIBUTES {
            return None;
        }
    }
    parts.push(part);
    for p in parts {
        let (k, v) = p.split_once('=')?;
        let k = k.trim().to_ascii_uppercase();
        let mut value = String::new();
        let mut it = v.trim().chars();
        while let Some(c) = it.next() {
            value.push(if c == '\\' { it.next()? } else { c });
        }
        if k.is_empty() || value.is_empty() || out.iter().any(|(x, _)| *x == k) {
            return None;
        }
        out.push((k, value));
    }
    Some(out)
}

/// `C=US, ST=WA, O=acme` (sanitised).
#[must_use]
pub fn describe_dn(dn: &[(String, String)]) -> String {
    let text = dn
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    sanitize(&text).into_owned()
}

/// A certificate's subject as notation names its attributes.
#[must_use]
pub fn subject_of(cert: &X509Certificate<'_>) -> Vec<(String, String)> {
    cert.subject()
        .iter_attributes()
        .take(MAX_DN_ATTRIBUTES)
        .filter_map(|a| {
            let k = match a.attr_type().to_id_string().as_str() {
                "2.5.4.6" => "C",
                "2.5.4.8" => "ST",
                "2.5.4.7" => "L",
                "2.5.4.10" => "O",
                "2.5.4.11" => "OU",
                "2.5.4.3" => "CN",
                "2.5.4.5" => "SERIALNUMBER",
                "2.5.4.9" => "STREET",
                "2.5.4.17" => "POSTALCODE",
                "1.2.840.113549.1.9.1" => "E",
                _ => return None,
            };
            Some((k.to_string(), a.as_str().ok()?.to_string()))
        })
        .collect()
}

/// notation's configuration directory: `$XDG_CONFIG_HOME/notation`, else
/// `~/.config/notation` (Go's `os.UserConfigDir`, which notation uses; on macOS
/// `~/Library/Application Support/notation`).
#[must_use]
pub fn notation_dir() -> Option<PathBuf> {
    let var = |k| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = var("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
        if !cfg!(target_os = "macos") {
            return Some(x.join("notation"));
        }
    }
    let home = var("HOME")?;
    Some(if cfg!(target_os = "macos") {
        home.join("Library/Application Support/notation")
    } else {
        home.join(".config/notation")
    })
}

/// The trust policy in notation's place: `trustpolicy.oci.json` (notation 1.2 on), else
/// `trustpolicy.json`; `None` when neither exists.
#[must_use]
pub fn default_policy_file() -> Option<PathBuf> {
    let dir = notation_dir()?;
    ["trustpolicy.oci.json", "trustpolicy.json"]
        .into_iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// The DER certificates of the store `name` under `root` (`root/x509/ca/NAME/*.pem|crt|cer`),
/// within the bounds above; else why it is unusable, in words.
pub fn read_store(root: &Path, name: &StoreName) -> Result<Vec<Vec<u8>>, String> {
    let dir = root.join("x509").join(&name.kind).join(&name.name);
    let shown = sanitize(&dir.display().to_string()).into_owned();
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{shown} cannot be read ({e})"))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "pem" | "crt" | "cer"))
        })
        .take(MAX_STORE_FILES)
        .collect();
    files.sort();
    let mut certs = Vec::new();
    for f in files {
        if std::fs::metadata(&f).map_or(true, |m| m.len() > MAX_STORE_FILE_BYTES) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        certs.extend(certificates_in(&bytes));
    }
    if certs.is_empty() {
        return Err(format!("{shown} holds no certificate (.pem, .crt or .cer)"));
    }
    Ok(certs)
}

/// The DER certificates in a file: PEM blocks, or one DER certificate.
fn certificates_in(bytes: &[u8]) -> Vec<Vec<u8>> {
    if X509Certificate::from_der(bytes).is_ok() {
        return vec![bytes.to_vec()];
    }
    x509_parser::pem::Pem::iter_from_buffer(bytes)
        .take(MAX_CERTS_PER_FILE)
        .filter_map(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"{"version":"1.0","trustPolicies":[
        {"name":"prod","registryScopes":["reg.example/team/app"],
         "signatureVerification":{"level":"strict"},
         "trustStores":["ca:acme"],
         "trustedIdentities":["x509.subject: C=US, ST=WA, O=acme\\, inc, CN=builder"]},
        {"name":"rest","registryScopes":["*"],
         "signatureVerification":{"level":"permissive","override":{"authenticity":"log","revocation":"skip"}},
         "trustStores":["ca:acme"],"trustedIdentities":["*"]}]}"#;

    #[test]
    fn a_policy_reads_as_notation_reads_it() {
        let p = TrustPolicy::parse(POLICY.as_bytes(), "trustpolicy.json").unwrap();
        let s = p.statement_for("reg.example/team/app").unwrap();
        assert_eq!(s.name, "prod");
        assert_eq!(s.action(Validation::Expiry), Action::Enforce);
        assert_eq!(
            s.identities[0].describe(),
            "x509.subject: C=US, ST=WA, O=acme, inc, CN=builder"
        );
        let rest = p.statement_for("reg.example/other").unwrap();
        assert_eq!(rest.name, "rest");
        assert_eq!(rest.action(Validation::Authenticity), Action::Log);
        assert_eq!(rest.action(Validation::Expiry), Action::Log);
    }

    #[test]
    fn a_policy_notation_would_refuse_is_refused_with_its_reason() {
        let bad = |body: &str| {
            TrustPolicy::parse(body.as_bytes(), "p")
                .unwrap_err()
                .to_string()
        };
        assert!(bad("[]").starts_with("is not a notation trust policy"));
        assert_eq!(
            bad(r#"{"version":"2.0","trustPolicies":[]}"#),
            "has version 2.0; notation's trust policy is version 1.0"
        );
        let one = |fields: &str| {
            bad(&format!(
                r#"{{"version":"1.0","trustPolicies":[{{"name":"x",{fields}}}]}}"#
            ))
        };
        assert!(one(r#""registryScopes":["*"],"signatureVerification":{"level":"lax"},"trustStores":["ca:a"],"trustedIdentities":["*"]"#)
            .contains("has level lax"));
        assert!(one(r#""registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:a"],"trustedIdentities":["x509.subject: CN=me"]"#)
            .contains("lacks C; notation requires C, ST and O"));
        assert!(one(r#""registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["root:a"],"trustedIdentities":["*"]"#)
            .contains("write `ca:NAME`"));
        assert!(
            one(r#""registryScopes":["*"],"signatureVerification":{"level":"strict"}"#)
                .contains("needs trustStores and trustedIdentities")
        );
        assert!(one(r#""registryScopes":["*"],"signatureVerification":{"level":"strict","verifyTimestamp":"never"},"trustStores":["ca:a"],"trustedIdentities":["*"]"#)
            .contains("has verifyTimestamp never; notation's are always and afterCertExpiry"));
        // notation's `verifyTimestamp` options, `always` when absent.
        for (option, after) in [
            ("", false),
            (r#","verifyTimestamp":"always""#, false),
            (r#","verifyTimestamp":"afterCertExpiry""#, true),
        ] {
            let body = format!(
                r#"{{"version":"1.0","trustPolicies":[{{"name":"x","registryScopes":["*"],"signatureVerification":{{"level":"strict"{option}}},"trustStores":["ca:a","tsa:t"],"trustedIdentities":["*"]}}]}}"#
            );
            let policy = TrustPolicy::parse(body.as_bytes(), "p").unwrap();
            let statement = policy.statement_for("r/x").unwrap();
            assert_eq!(statement.timestamp_after_cert_expiry, after, "{option}");
            assert_eq!(statement.stores[1].kind, "tsa");
        }
        // Skip needs neither.
        TrustPolicy::parse(
            br#"{"version":"1.0","trustPolicies":[{"name":"x","registryScopes":["*"],"signatureVerification":{"level":"skip"}}]}"#,
            "p",
        )
        .unwrap();
    }

    #[test]
    fn distinguished_names_compare_as_subsets() {
        let dn = parse_dn(r"C=US,ST=WA, o=acme\, inc ,CN=x").unwrap();
        assert_eq!(dn[2], ("O".into(), "acme, inc".into()));
        assert_eq!(parse_dn("C=US, C=DE"), None);
        assert_eq!(parse_dn("nothing"), None);
        assert_eq!(parse_dn(r"C=US\"), None);
        // An unescaped comma splits the value: `inc` is no attribute.
        assert_eq!(parse_dn("C=US, ST=WA, O=acme, inc"), None);
        let want = TrustedIdentity::Subject(parse_dn(r"C=US, ST=WA, O=acme\, inc").unwrap());
        assert!(want.matches(&dn));
        assert!(!want.matches(&dn[..2]));
    }
}

//! Who signed, as the verifier read it: the Fulcio certificate's identity and issuer, the key a
//! keyed signature verified with, or a notation leaf certificate's subject. Carried on each
//! verdict so every front end says who signed rather than which policy was satisfied; for a
//! signature that does not verify it is only what the signature claims.

use crate::digest::short;

/// Characters of a signer's name on a tree row at most (a workflow URI runs past 100).
pub const MAX_NAME: usize = 40;

/// The signer of one signature; every string is sanitised where it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// A keyless (Fulcio) certificate.
    Certificate {
        /// The subject alternative name the policy matched (else the first): an e-mail or a
        /// workflow URI.
        identity: String,
        /// The OIDC issuer that vouched for it; `None` when the certificate names none.
        issuer: Option<String>,
        /// A CI certificate's source repository and ref (Fulcio's extensions `.1.12` and
        /// `.1.14`, or GitHub's older `.1.5` and `.1.6`).
        repository: Option<String>,
        git_ref: Option<String>,
    },
    /// The public key a keyed signature verified with, as the key was named (a path, never
    /// the key's own word), and the SHA-256 of its DER `SubjectPublicKeyInfo`.
    Key { key: String, sha256: String },
    /// A notation signature's leaf certificate subject, and the trust policy statement that
    /// judged it.
    Notation {
        subject: String,
        trust_policy: String,
    },
}

impl Signer {
    /// `https://github.com/…@refs/heads/main (issuer https://token.actions…)`, `key cosign.pub
    /// (sha256:ab12…)`, `C=US, O=acme, CN=builder (trust policy prod)`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Signer::Certificate {
                identity, issuer, ..
            } => match issuer {
                Some(i) => format!("{identity} (issuer {i})"),
                None => format!("{identity} (no OIDC issuer in the certificate)"),
            },
            Signer::Key { key, sha256 } => format!("key {key} ({})", short(sha256)),
            Signer::Notation {
                subject,
                trust_policy,
            } => format!("{subject} (trust policy {trust_policy})"),
        }
    }

    /// Who, in a few words for a narrow row (the detail says [`Signer::describe`]): the
    /// identity, `key cosign.pub` (the file's name), a subject's `CN=…`; at most
    /// [`MAX_NAME`] characters.
    #[must_use]
    pub fn name(&self) -> String {
        let name = match self {
            Signer::Certificate { identity, .. } => identity.clone(),
            Signer::Key { key, .. } => {
                let file = std::path::Path::new(key)
                    .file_name()
                    .map_or_else(|| key.clone(), |f| f.to_string_lossy().into_owned());
                format!("key {file}")
            }
            Signer::Notation { subject, .. } => subject
                .split(", ")
                .find(|a| a.starts_with("CN="))
                .unwrap_or(subject)
                .to_string(),
        };
        if name.chars().count() <= MAX_NAME {
            return name;
        }
        let mut cut: String = name.chars().take(MAX_NAME - 1).collect();
        cut.push('…');
        cut
    }

    /// The JSON `signer` object: `kind` (`certificate`, `key`, `notation`) and its fields.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Signer::Certificate {
                identity,
                issuer,
                repository,
                git_ref,
            } => serde_json::json!({
                "kind": "certificate",
                "identity": identity,
                "issuer": issuer,
                "repository": repository,
                "ref": git_ref,
            }),
            Signer::Key { key, sha256 } => serde_json::json!({
                "kind": "key",
                "key": key,
                "sha256": sha256,
            }),
            Signer::Notation {
                subject,
                trust_policy,
            } => serde_json::json!({
                "kind": "notation",
                "subject": subject,
                "trustPolicy": trust_policy,
            }),
        }
    }
}

/// How a verdict names its signer: `signed by X` only when it verified; else `claims to be
/// signed by X (not verified: why)`; without a signer, what `verified` or `why` says alone.
#[must_use]
pub fn words(signer: Option<&Signer>, why: Option<&str>) -> Option<String> {
    let s = signer?.describe();
    Some(match why {
        None => format!("signed by {s}"),
        Some(why) => format!("claims to be signed by {s} (not verified: {why})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_verified_signature_is_signed_by_anyone() {
        let cert = Signer::Certificate {
            identity: "ci@example.com".into(),
            issuer: Some("https://issuer".into()),
            repository: None,
            git_ref: None,
        };
        assert_eq!(
            words(Some(&cert), None).as_deref(),
            Some("signed by ci@example.com (issuer https://issuer)")
        );
        assert_eq!(
            words(Some(&cert), Some("identity ci@example.com, policy wants dev@example.com"))
                .as_deref(),
            Some("claims to be signed by ci@example.com (issuer https://issuer) (not verified: identity ci@example.com, policy wants dev@example.com)")
        );
        assert_eq!(words(None, Some("bad signature")), None);
        let key = Signer::Key {
            key: "keys/cosign.pub".into(),
            sha256: format!("sha256:{}", "ab".repeat(32)),
        };
        assert!(key
            .describe()
            .starts_with("key keys/cosign.pub (sha256:abab"));
        assert_eq!(key.to_json()["kind"], "key");
        assert_eq!(key.name(), "key cosign.pub");
        let leaf = Signer::Notation {
            subject: "C=US, O=acme, CN=builder".into(),
            trust_policy: "prod".into(),
        };
        assert_eq!(leaf.name(), "CN=builder");
        let workflow = Signer::Certificate {
            identity: format!("https://github.com/acme/app/{}", "x".repeat(80)),
            issuer: None,
            repository: None,
            git_ref: None,
        };
        assert_eq!(workflow.name().chars().count(), MAX_NAME);
        assert!(workflow.name().ends_with('…'));
    }
}

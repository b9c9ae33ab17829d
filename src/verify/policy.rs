//! A policy of several kinds: one pattern may trust a key, a keyless identity and notation's
//! trust policy at once (a team migrating from one to another has both), each signature judged
//! by the verifier of its own kind, and the image signed when one of them verifies.
//!
//! cosign and notation each check only their own kind of signature; regscope's "signed" means
//! that one of the kinds the policy lists verifies.

use super::{keyed, keyless, notation, read_key_file, LayerVerdict, Reason, Verifier};
use crate::model::payload::{Payload, COSIGN_CERTIFICATE};
use crate::model::Node;
use crate::sanitize::sanitize;

impl super::Checked {
    /// Each verdict and whether the image is signed; none and not signed when nothing was
    /// judged (no policy, or one that cannot verify).
    #[must_use]
    pub fn into_verdicts(self) -> (Vec<super::Verdict>, bool) {
        match self {
            super::Checked::Verdicts {
                verdicts,
                satisfied,
                ..
            } => (verdicts, satisfied),
            super::Checked::NoPolicy | super::Checked::KeyUnusable { .. } => (Vec::new(), false),
        }
    }
}

/// The kinds of signature a policy lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kinds {
    /// A cosign public key.
    pub key: bool,
    /// A keyless identity and issuer under a Sigstore trusted root.
    pub keyless: bool,
    /// notation's trust policy and trust store.
    pub notation: bool,
}

impl Kinds {
    /// A few words for the image's row when no signature verifies.
    #[must_use]
    pub fn brief_failure(self) -> &'static str {
        match (self.key, self.keyless, self.notation) {
            (false, true, false) => "not signed by the policy's identity",
            (false, false, true) => "not signed as the trust policy wants",
            (true, false, false) => "not signed by the policy's key",
            _ => "not signed as the policy wants",
        }
    }

    /// How to sign so that the policy is satisfied: one way per kind it lists.
    #[must_use]
    pub fn fix(self) -> String {
        let mut ways = Vec::new();
        if self.key {
            ways.push("with the policy's key (`cosign sign --key cosign.key REPO@DIGEST`)");
        }
        if self.keyless {
            ways.push("as the policy's identity (`cosign sign REPO@DIGEST` where that identity runs, logged in Rekor)");
        }
        if self.notation {
            ways.push("with notation (`notation sign REPO@DIGEST`) with a certificate that chains to a root in the policy's trust store and whose subject the policy trusts");
        }
        format!(
            "Sign the image by digest {}; `regscope verify REF` lists each signature and why it does not verify",
            ways.join(", or ")
        )
    }
}

/// What one policy verifies with: at most one verifier of each kind, each with how it is named
/// (`keys/cosign.pub`, `identity … from …`, `the notation trust policy …`), in the order key,
/// keyless, notation.
#[derive(Debug, Clone)]
pub struct Verifiers {
    list: Vec<(String, Verifier)>,
}

impl From<(String, Verifier)> for Verifiers {
    fn from(one: (String, Verifier)) -> Self {
        Self { list: vec![one] }
    }
}

impl Verifiers {
    /// Each verifier with its name.
    pub fn iter(&self) -> impl Iterator<Item = &(String, Verifier)> {
        self.list.iter()
    }

    /// The policy's verifiers named as one: `keys/cosign.pub, or identity … from …`.
    #[must_use]
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.list.iter().map(|(n, _)| n.as_str()).collect();
        names.join(", or ")
    }

    /// `ECDSA P-256`, `keyless`, `notation`, or several joined: `ECDSA P-256, keyless`.
    #[must_use]
    pub fn algorithm(&self) -> String {
        let names: Vec<&str> = self.list.iter().map(|(_, v)| v.algorithm()).collect();
        names.join(", ")
    }

    /// The kinds listed.
    #[must_use]
    pub fn kinds(&self) -> Kinds {
        let mut kinds = Kinds::default();
        for (_, v) in &self.list {
            match v {
                Verifier::Key(_) => kinds.key = true,
                Verifier::Keyless(_) => kinds.keyless = true,
                Verifier::Notation(_) => kinds.notation = true,
            }
        }
        kinds
    }

    /// The only verifier, when the policy lists one kind.
    #[must_use]
    pub fn single(&self) -> Option<&Verifier> {
        match self.list.as_slice() {
            [(_, v)] => Some(v),
            _ => None,
        }
    }

    /// Each verifier changed by `f` (the command line's log flags on a key), or `f`'s error.
    pub fn try_map<E>(self, mut f: impl FnMut(Verifier) -> Result<Verifier, E>) -> Result<Self, E> {
        let list = self
            .list
            .into_iter()
            .map(|(n, v)| f(v).map(|v| (n, v)))
            .collect::<Result<_, E>>()?;
        Ok(Self { list })
    }

    /// With the image's repository: a notation trust policy picks its statement by it.
    #[must_use]
    pub fn scoped(self, image: &crate::reference::ImageRef) -> Self {
        Self {
            list: self
                .list
                .into_iter()
                .map(|(n, v)| (n, v.scoped(image)))
                .collect(),
        }
    }

    /// The verifier of the layer's own kind, when the policy lists it.
    fn own(&self, layer: &Node) -> Option<&Verifier> {
        let kind = kind_of(layer);
        self.list.iter().map(|(_, v)| v).find(|v| {
            matches!(
                (v, kind),
                (Verifier::Key(_), Kind::Key)
                    | (Verifier::Keyless(_), Kind::Keyless)
                    | (Verifier::Notation(_), Kind::Notation)
            )
        })
    }
}

/// The kind of signature a layer is, as far as choosing its verifier goes.
#[derive(Clone, Copy)]
enum Kind {
    Key,
    Keyless,
    Notation,
}

impl Kind {
    fn words(self) -> &'static str {
        match self {
            Kind::Key => "a keyed signature without a certificate",
            Kind::Keyless => "a keyless signature with a certificate",
            Kind::Notation => "a notation signature",
        }
    }
}

/// A notation envelope is notation's; a cosign signature, attestation or Sigstore bundle that
/// carries a certificate is keyless, one without is keyed.
fn kind_of(layer: &Node) -> Kind {
    if layer.media_type == notation::JWS
        || layer.media_type == super::cose::COSE
        || matches!(layer.payload, Some(Payload::Notation { .. }))
    {
        return Kind::Notation;
    }
    let certificate = match &layer.payload {
        Some(Payload::SigstoreBundle { .. }) => layer.raw.as_deref().is_some_and(bundle_has_cert),
        _ => layer.annotations.contains_key(COSIGN_CERTIFICATE),
    };
    if certificate {
        Kind::Keyless
    } else {
        Kind::Key
    }
}

/// Whether a Sigstore bundle's verification material is a certificate (or a chain) rather than
/// a public key's hint. The bytes are the blob's, already within the blob cap.
fn bundle_has_cert(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("verificationMaterial").cloned())
        .is_some_and(|m| m.get("certificate").is_some() || m.get("x509CertificateChain").is_some())
}

/// The verdict on one layer under the policy: by the verifier of its own kind when the policy
/// lists one; else by every verifier listed, verified when one verifies, and otherwise failed
/// with the first one's reason and each other's in the notes, so that both are said.
pub(super) fn judge(layer: &Node, parent: &Node, verifiers: &Verifiers) -> Option<LayerVerdict> {
    if let Some(own) = verifiers.own(layer) {
        return super::judge_layer(layer, parent, own);
    }
    let mut judged = verifiers
        .iter()
        .filter_map(|(name, v)| Some((name, super::judge_layer(layer, parent, v)?)));
    let (_, mut first) = judged.next()?;
    if first.result.is_ok() {
        return Some(first);
    }
    if verifiers.list.len() > 1 {
        first.notes.push(format!(
            "{}, a kind this policy does not list",
            kind_of(layer).words()
        ));
    }
    for (name, other) in judged {
        if other.result.is_ok() {
            return Some(other);
        }
        if let Err(why) = other.result {
            let why = match why {
                Reason::NotSupported(what, _) => format!("{what} is not of its kind"),
                why => why.to_string(),
            };
            first
                .notes
                .push(format!("not verified with {name} either: {why}"));
        }
    }
    Some(first)
}

/// What a config policy verifies with: each kind it lists (a key, a keyless identity and
/// issuer, notation's trust policy), or what setting is wrong and why, in words.
pub fn from_config(policy: &crate::config::VerifyPolicy) -> Result<Verifiers, (String, String)> {
    // A trusted root serves a key too (its log keys): alone, it stands for a keyless policy.
    let keyless = policy.identity.is_some()
        || policy.identity_regexp.is_some()
        || policy.issuer.is_some()
        || (policy.trusted_root.is_some() && policy.key.is_none());
    if policy.require_tlog && policy.key.is_none() {
        return Err((
            "require_tlog".into(),
            "is for a key (`key = \"cosign.pub\"`): a keyless signature always needs its log entry, and a notation signature has none".into(),
        ));
    }
    let notation = policy.notation || policy.trust_policy.is_some() || policy.trust_store.is_some();
    let mut list = Vec::new();
    if let Some(path) = &policy.key {
        let shown = sanitize(&path.display().to_string()).into_owned();
        let key = read_key_file(path).map_err(|why| (format!("key {shown}"), why))?;
        let mode = if policy.require_tlog {
            keyed::TlogMode::Require
        } else {
            keyed::TlogMode::Note
        };
        let keyed = keyed::Keyed::new(key, mode, policy.trusted_root.as_deref())
            .map_err(|why| ("trusted_root".to_string(), why))?;
        list.push((shown, Verifier::Key(Box::new(keyed))));
    }
    if keyless {
        let k = keyless::policy(
            policy.identity.as_deref(),
            policy.identity_regexp.as_deref(),
            policy.issuer.as_deref(),
            policy.trusted_root.as_deref(),
        )
        .map_err(|(setting, why)| (setting.config_key().to_string(), why))?;
        list.push((k.describe(), Verifier::Keyless(Box::new(k))));
    }
    if notation {
        let n = notation::Notation::from_files(
            policy.trust_policy.as_deref(),
            policy.trust_store.as_deref(),
        )
        .map_err(|(setting, why)| (setting.to_string(), why))?;
        list.push((n.describe(), Verifier::Notation(Box::new(n))));
    }
    if list.is_empty() {
        return Err((
            "key".into(),
            "is missing: a policy names a public key (`key = \"cosign.pub\"`), a keyless signer (`identity` and `issuer`) or notation (`notation = true`), or several of them".into(),
        ));
    }
    Ok(Verifiers { list })
}

/// Verifiers given one by one (the command line's flags): in the order key, keyless, notation.
#[must_use]
pub fn of(list: Vec<(String, Verifier)>) -> Option<Verifiers> {
    (!list.is_empty()).then_some(Verifiers { list })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::VerifyPolicy;

    /// A throw-away P-256 public key (its private half was never kept).
    const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIO+PbDbtXK9jdHdjTJ1U7hdDQaYu
heBuR812Jkw4D0Z6WaAY6Pln3vRqQZmTHAUHBz4i1eHfPiKPZNFhT8Oc5A==
-----END PUBLIC KEY-----
";

    fn layer(media_type: &str, certificate: bool, raw: &[u8]) -> Node {
        let desc = serde_json::from_value(serde_json::json!({
            "mediaType": media_type, "digest": "sha256:00", "size": 1
        }))
        .unwrap();
        let mut n = Node::from_descriptor(crate::model::Kind::Layer, &desc);
        if certificate {
            n.annotations.insert(
                COSIGN_CERTIFICATE.into(),
                "-----BEGIN CERTIFICATE-----".into(),
            );
        }
        n.raw = Some(raw.to_vec().into());
        n
    }

    #[test]
    fn each_signature_goes_to_the_verifier_of_its_kind() {
        use crate::model::media_type::COSIGN_SIMPLE_SIGNING;
        let simple = |cert| kind_of(&layer(COSIGN_SIMPLE_SIGNING, cert, b"{}"));
        assert!(matches!(simple(true), Kind::Keyless));
        assert!(matches!(simple(false), Kind::Key));
        assert!(matches!(
            kind_of(&layer(notation::JWS, false, b"{}")),
            Kind::Notation
        ));
        assert!(matches!(
            kind_of(&layer(super::super::cose::COSE, false, b"")),
            Kind::Notation
        ));
        let bundle = |raw: &[u8]| {
            let mut n = layer("application/vnd.dev.sigstore.bundle.v0.3+json", false, raw);
            n.payload = Some(Payload::SigstoreBundle {
                content: "message signature".into(),
                signer: None,
                rekor_log_index: None,
            });
            kind_of(&n)
        };
        assert!(matches!(
            bundle(br#"{"verificationMaterial":{"certificate":{"rawBytes":"AA=="}}}"#),
            Kind::Keyless
        ));
        assert!(matches!(
            bundle(br#"{"verificationMaterial":{"x509CertificateChain":{"certificates":[]}}}"#),
            Kind::Keyless
        ));
        assert!(matches!(
            bundle(br#"{"verificationMaterial":{"publicKey":{"hint":"k"}}}"#),
            Kind::Key
        ));
        assert!(matches!(bundle(b"not json"), Kind::Key));
    }

    #[test]
    fn a_config_policy_lists_one_kind_or_several_never_none_nor_half_of_one() {
        let (what, why) = from_config(&VerifyPolicy::default())
            .map(|_| ())
            .unwrap_err();
        assert_eq!(what, "key");
        assert!(
            why.starts_with("is missing: a policy names a public key"),
            "{why}"
        );
        // An identity without its issuer is no keyless policy, key or not beside it.
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("cosign.pub");
        std::fs::write(&key, P256_PEM).unwrap();
        let half = VerifyPolicy {
            key: Some(key.clone()),
            identity: Some("ci@z".into()),
            ..VerifyPolicy::default()
        };
        let (what, why) = from_config(&half).map(|_| ()).unwrap_err();
        assert_eq!(what, "issuer");
        assert!(why.starts_with("is missing"), "{why}");
        let both = VerifyPolicy {
            key: Some(key),
            identity: Some("ci@z".into()),
            issuer: Some("https://i".into()),
            ..VerifyPolicy::default()
        };
        let v = from_config(&both).unwrap();
        assert_eq!(
            v.kinds(),
            Kinds {
                key: true,
                keyless: true,
                notation: false
            }
        );
        assert!(
            v.describe().ends_with(
                "cosign.pub, or identity ci@z from https://i (Sigstore's public-good root)"
            ),
            "{}",
            v.describe()
        );
        assert_eq!(v.algorithm(), "ECDSA P-256, keyless");
        assert!(v.single().is_none());
        assert_eq!(v.kinds().brief_failure(), "not signed as the policy wants");
        assert!(v
            .kinds()
            .fix()
            .contains("with the policy's key (`cosign sign --key"));
        assert!(v.kinds().fix().contains(", or as the policy's identity"));
    }
}

//! notation's COSE envelope (`application/cose`): a `COSE_Sign1_Tagged` message (RFC 9052) as
//! notation-core-go writes and reads it (`signature/cose/envelope.go`), opened into the same
//! decoded envelope a JWS one becomes, so both are judged by one path (`notation`).
//!
//! Its protected header holds `alg` (1), `crit` (2), the content type (3) and notation's
//! parameters by name (the signing scheme, the signing time or authentic signing time and the
//! expiry as CBOR epoch times, tag 1); its unprotected header the chain, `x5chain` (33), DER
//! certificates leaf first; the payload is attached; the signature is over
//! `Sig_structure = ["Signature1", protected, h'', payload]`.

use super::envelope::{
    bad, check_chain, check_header, verify_with_leaf, Envelope, Header, MAX_PART_CHARS, SCHEME,
    TIMESTAMP_SIGNATURE,
};
use super::Reason;
use crate::model::cbor::{self, Value};

/// The media type of a COSE envelope layer.
pub const COSE: &str = "application/cose";
/// `COSE_Sign1_Tagged`.
const SIGN1: u64 = 18;
/// An epoch-based date/time (RFC 8949 §3.4.2), the only time form notation accepts.
const EPOCH_TIME: u64 = 1;
const ALG: i64 = 1;
const CRIT: i64 = 2;
const CONTENT_TYPE: i64 = 3;
const X5CHAIN: i64 = 33;

/// A header parameter's label: COSE's numbers, or names such as notation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label<'a> {
    Number(i64),
    Name(&'a str),
}

/// A header map's parameters, labels checked and unique.
struct Params<'v, 'a>(Vec<(Label<'a>, &'v Value<'a>)>);

impl<'v, 'a> Params<'v, 'a> {
    /// The parameters of the header map `value`, the `which` header.
    fn of(value: &'v Value<'a>, which: &str) -> Result<Self, Reason> {
        let Value::Map(pairs) = value else {
            return Err(bad(format!("its {which} header is not a CBOR map")));
        };
        let mut out: Vec<(Label<'a>, &'v Value<'a>)> = Vec::with_capacity(pairs.len());
        for (key, v) in pairs {
            let label = label(key).ok_or_else(|| {
                bad(format!(
                    "its {which} header has a label that is neither a number nor a name"
                ))
            })?;
            // notation's decoder refuses a map with a key twice; a second value could say
            // anything.
            if out.iter().any(|(l, _)| *l == label) {
                return Err(bad(format!("its {which} header holds a parameter twice")));
            }
            out.push((label, v));
        }
        Ok(Self(out))
    }

    fn get(&self, label: Label<'_>) -> Option<&'v Value<'a>> {
        self.0.iter().find(|(l, _)| *l == label).map(|(_, v)| *v)
    }

    fn number(&self, n: i64) -> Option<&'v Value<'a>> {
        self.get(Label::Number(n))
    }

    fn name(&self, name: &str) -> Option<&'v Value<'a>> {
        self.get(Label::Name(name))
    }
}

fn label<'a>(v: &Value<'a>) -> Option<Label<'a>> {
    match v {
        Value::Text(t) => Some(Label::Name(t)),
        _ => v.as_i64().map(Label::Number),
    }
}

/// Reads a COSE envelope `bytes` (already within the blob cap) and checks its integrity as
/// notation does: the structure, the chain, the critical headers and content type, the
/// signature with the leaf's key under `alg`.
pub fn open(bytes: &[u8]) -> Result<Envelope, Reason> {
    let message = cbor::decode(bytes).map_err(|e| bad(format!("it is not CBOR: {e}")))?;
    let Value::Tag(SIGN1, body) = &message else {
        return Err(bad("it is not a COSE_Sign1 message (CBOR tag 18)"));
    };
    let Value::Array(parts) = body.as_ref() else {
        return Err(bad("its COSE_Sign1 message is not an array"));
    };
    let [protected, unprotected, payload, signature] = parts.as_slice() else {
        return Err(bad(format!(
            "its COSE_Sign1 message holds {} parts, not 4 (protected header, unprotected header, payload, signature)",
            parts.len()
        )));
    };
    let raw_protected = protected
        .as_bytes()
        .ok_or_else(|| bad("its protected header is not a byte string"))?;
    let payload = match payload {
        Value::Bytes(p) if p.len() <= MAX_PART_CHARS => *p,
        Value::Bytes(_) => return Err(bad("its payload is too large")),
        _ => return Err(bad("its payload is not attached, as notation attaches it")),
    };
    let signature = signature
        .as_bytes()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("its signature is missing or not a byte string"))?;
    // An empty protected header is the empty map (RFC 9052 §3).
    let decoded = if raw_protected.is_empty() {
        Value::Map(Vec::new())
    } else {
        cbor::decode(raw_protected)
            .map_err(|e| bad(format!("its protected header is not CBOR: {e}")))?
    };
    let protected = Params::of(&decoded, "protected")?;
    let unprotected = Params::of(unprotected, "unprotected")?;
    if protected
        .0
        .iter()
        .any(|(l, _)| unprotected.get(*l).is_some())
    {
        return Err(bad(
            "a header parameter is in both its protected and unprotected headers",
        ));
    }
    let chain = x5chain(&unprotected)?;
    check_chain(&chain, "x5chain")?;
    let scheme = protected.name(SCHEME).and_then(Value::as_text);
    check_header(&Header {
        crit: critical(&protected)?,
        has: &|name| protected.name(name).is_some(),
        scheme,
        content_type: protected.number(CONTENT_TYPE).and_then(Value::as_text),
    })?;
    let alg = algorithm(protected.number(ALG))?;
    verify_with_leaf(
        &chain,
        alg,
        &sig_structure(raw_protected, payload),
        signature,
    )?;
    let mut envelope = Envelope::decoded(chain, scheme.unwrap_or_default(), payload, |name| {
        epoch_time(protected.name(name), name)
    })?;
    envelope.timestamp = match unprotected.name(TIMESTAMP_SIGNATURE) {
        Some(Value::Bytes(t)) => Some(t.to_vec()),
        Some(_) => {
            return Err(bad(
                "its timestamp countersignature (`io.cncf.notary.timestampSignature`) is not a byte string",
            ))
        }
        None => None,
    };
    envelope.signature = signature.to_vec();
    Ok(envelope)
}

/// `x5chain` as notation writes it: an array of DER certificates, leaf first.
fn x5chain(unprotected: &Params<'_, '_>) -> Result<Vec<Vec<u8>>, Reason> {
    let missing = || {
        bad("its certificate chain (`x5chain`, label 33, an array of DER certificates) is not in its unprotected header")
    };
    let Some(Value::Array(certs)) = unprotected.number(X5CHAIN) else {
        return Err(missing());
    };
    certs
        .iter()
        .map(|c| c.as_bytes().map(<[u8]>::to_vec))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(missing)
}

/// The labels `crit` lists, a number as its digits (none is one notation understands).
fn critical(protected: &Params<'_, '_>) -> Result<Vec<String>, Reason> {
    let Some(crit) = protected.number(CRIT) else {
        return Ok(Vec::new());
    };
    let Value::Array(labels) = crit else {
        return Err(bad("its `crit` (label 2) is not an array of labels"));
    };
    labels
        .iter()
        .map(|l| match label(l) {
            Some(Label::Name(n)) => Ok(n.to_string()),
            Some(Label::Number(n)) => Ok(n.to_string()),
            None => Err(bad("its `crit` (label 2) holds something that is no label")),
        })
        .collect()
}

/// The JWS name of the COSE algorithm (RFC 9053, RFC 8230) notation signs with.
fn algorithm(alg: Option<&Value<'_>>) -> Result<&'static str, Reason> {
    let n = alg.and_then(Value::as_i64);
    Ok(match n {
        Some(-7) => "ES256",
        Some(-35) => "ES384",
        Some(-36) => "ES512",
        Some(-37) => "PS256",
        Some(-38) => "PS384",
        Some(-39) => "PS512",
        Some(n) => {
            return Err(bad(format!(
            "it is signed with COSE algorithm {n}; notation signs with PS256/384/512 (-37/-38/-39) or ES256/384/512 (-7/-35/-36)"
        )))
        }
        None => return Err(bad("its protected header has no `alg` (label 1) number")),
    })
}

/// A time parameter `name`, when present: a CBOR epoch time (tag 1), in whole seconds.
fn epoch_time(value: Option<&Value<'_>>, name: &str) -> Result<Option<i64>, Reason> {
    let Some(value) = value else {
        return Ok(None);
    };
    let seconds = match value {
        Value::Tag(EPOCH_TIME, t) => match t.as_ref() {
            Value::Float(f) if f.is_finite() && f.abs() < 1e15 => {
                // Within ±1e15 the float holds a whole number of seconds an i64 holds exactly.
                #[allow(clippy::cast_possible_truncation)]
                Some(f.floor() as i64)
            }
            other => other.as_i64(),
        },
        _ => None,
    };
    seconds
        .map(Some)
        .ok_or_else(|| bad(format!("its `{name}` is not a CBOR epoch time (tag 1)")))
}

/// `Sig_structure` for a `COSE_Sign1`, with no external data, in CBOR.
fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    const CONTEXT: &str = "Signature1";
    let mut out = Vec::with_capacity(protected.len() + payload.len() + 32);
    cbor::write_head(&mut out, 4, 4);
    for (major, part) in [
        (3, CONTEXT.as_bytes()),
        (2, protected),
        (2, &[][..]),
        (2, payload),
    ] {
        cbor::write_head(
            &mut out,
            major,
            u64::try_from(part.len()).unwrap_or(u64::MAX),
        );
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::notation::Notation;
    use crate::verify::trustpolicy::TrustPolicy;

    const REAL: &[u8] = include_bytes!("../../tests/data/notation-cose/cose_signature.sig");
    const REAL_ROOT: &[u8] = include_bytes!("../../tests/data/notation-cose/alpine.crt");
    const REAL_SUBJECT: &str =
        "sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0";

    fn opened(bytes: &[u8]) -> String {
        match open(bytes) {
            Ok(_) => "opened".into(),
            Err(e) => e.to_string(),
        }
    }

    /// A strict `*` policy trusting the store `notary` (holding `root`) and `identity`.
    fn checker(root: &[u8], identity: &str) -> (Notation, tempfile::TempDir) {
        let store = tempfile::tempdir().unwrap();
        let dir = store.path().join("x509/ca/notary");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.crt"), root).unwrap();
        let policy = serde_json::json!({"version": "1.0", "trustPolicies": [{
            "name": "notary", "registryScopes": ["*"],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:notary"], "trustedIdentities": [identity]}]});
        let policy = TrustPolicy::parse(policy.to_string().as_bytes(), "policy.json").unwrap();
        let n = Notation {
            policy,
            store: store.path().to_path_buf(),
            scope: Some("registry.test/alpine".into()),
        };
        (n, store)
    }

    fn subject(digest: &str, size: u64) -> crate::model::Node {
        let desc: crate::model::Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest, "size": size}))
        .unwrap();
        crate::model::Node::from_descriptor(crate::model::Kind::Manifest, &desc)
    }

    /// notation-go's own COSE envelope (tests/data/notation-cose/SOURCE.md) verifies offline
    /// under a strict policy trusting its certificate, and fails for another image, another
    /// identity and another root, each with its own reason.
    #[test]
    fn a_real_notation_cose_envelope_verifies() {
        let envelope = open(REAL).unwrap();
        assert_eq!(envelope.scheme, "notary.x509");
        assert_eq!(envelope.signing_time, 0x640f_fbe2);
        assert_eq!(envelope.expiry, None);
        assert_eq!(envelope.target.digest, REAL_SUBJECT);
        assert_eq!(envelope.chain, vec![REAL_ROOT.to_vec()]);

        let dn = "x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine";
        let (n, _store) = checker(REAL_ROOT, dn);
        let outcome = n.check(REAL, COSE, &subject(REAL_SUBJECT, 481));
        assert_eq!(outcome.result, Ok(()));
        assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);

        let other = format!("sha256:{}", "d".repeat(64));
        let words = n
            .check(REAL, COSE, &subject(&other, 481))
            .result
            .unwrap_err()
            .to_string();
        assert!(
            words.contains(&format!("signs {REAL_SUBJECT}, not this image")),
            "{words}"
        );

        let (n, _store) = checker(REAL_ROOT, "x509.subject: C=US, ST=WA, O=acme, CN=builder");
        let words = n
            .check(REAL, COSE, &subject(REAL_SUBJECT, 481))
            .result
            .unwrap_err()
            .to_string();
        assert!(
            words.contains("identity C=US, ST=WA, L=Seattle, O=Notary, CN=alpine, policy wants"),
            "{words}"
        );

        // One bit of the payload changed: the signature no longer verifies.
        let mut tampered = REAL.to_vec();
        let at = tampered.windows(6).position(|w| w == b"\"size\"").unwrap();
        tampered[at + 8] ^= 1;
        assert_eq!(open(&tampered).err(), Some(Reason::BadSignature));
    }

    /// A strict `*` policy trusting `root` (store `ca:notary`), with `tsa` roots in the store
    /// `tsa:timestamps` when given, and `verifyTimestamp` when given.
    fn stamped_checker(
        root: &[u8],
        tsa: Option<&[u8]>,
        verify_timestamp: Option<&str>,
    ) -> (Notation, tempfile::TempDir) {
        let store = tempfile::tempdir().unwrap();
        let dir = store.path().join("x509/ca/notary");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root.crt"), root).unwrap();
        let mut stores = vec!["ca:notary"];
        if let Some(tsa) = tsa {
            let dir = store.path().join("x509/tsa/timestamps");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("root.crt"), tsa).unwrap();
            stores.push("tsa:timestamps");
        }
        let mut verification = serde_json::json!({"level": "strict"});
        if let Some(v) = verify_timestamp {
            verification["verifyTimestamp"] = v.into();
        }
        let policy = serde_json::json!({"version": "1.0", "trustPolicies": [{
            "name": "notary", "registryScopes": ["*"],
            "signatureVerification": verification,
            "trustStores": stores, "trustedIdentities": ["*"]}]});
        let policy = TrustPolicy::parse(policy.to_string().as_bytes(), "policy.json").unwrap();
        let n = Notation {
            policy,
            store: store.path().to_path_buf(),
            scope: Some("registry.test/alpine".into()),
        };
        (n, store)
    }

    /// notation-go's COSE envelope with an RFC 3161 countersignature in its unprotected header
    /// (`io.cncf.notary.timestampSignature`, from the `GlobalSign` TSA, its intermediates in the
    /// token): under a strict policy it verifies with the `GlobalSign` root in a `tsa` store, the
    /// timestamp the signing time; without a `tsa` store, or with another root there, it fails
    /// with the reason; `afterCertExpiry` needs no timestamp while the chain is valid.
    #[test]
    fn a_real_timestamped_notation_cose_envelope_verifies_with_its_tsa_root() {
        const STAMPED: &[u8] =
            include_bytes!("../../tests/data/notation-cose/cose_with_timestamp.sig");
        const GLOBALSIGN: &[u8] =
            include_bytes!("../../tests/data/notation-cose/globalsign_root_r6.crt");
        let digest = "sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda";
        let envelope = open(STAMPED).unwrap();
        assert_eq!(envelope.target.digest, digest);
        assert_eq!(envelope.target.size, 528);
        // One self-signed certificate (O=Notary, valid 2023-05-09 to 2033-05-10), signed
        // 2024-06-18T06:27:11Z.
        assert_eq!(envelope.chain.len(), 1);
        assert_eq!(envelope.signing_time, 1_718_692_031);
        let token = envelope.timestamp.as_deref().expect("a countersignature");
        let root = envelope.chain.last().unwrap();
        let desc: crate::model::Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": digest, "size": 528}))
        .unwrap();
        let node = crate::model::Node::from_descriptor(crate::model::Kind::Manifest, &desc);
        let (n, _store) = stamped_checker(root, Some(GLOBALSIGN), None);
        assert_eq!(n.check(STAMPED, COSE, &node).result, Ok(()));
        let authority = super::super::trust::Authority {
            uri: String::new(),
            chain: vec![GLOBALSIGN.to_vec()],
            valid_from: None,
            valid_until: None,
        };
        let at = super::super::tsa::verify(token, &envelope.signature, &[authority], "r");
        // 2024-06-18T06:27:16Z: five seconds after the stated signing time.
        assert_eq!(at, Ok(1_718_692_036));
        // GlobalSign says it to within a second: the range 06:27:15 to 06:27:17 must lie inside
        // the certificate's validity (notation-go's bounds).
        assert_eq!(super::super::tsa::parse(token).map(|t| t.accuracy), Ok(1));
        let (n, _store) = stamped_checker(root, None, None);
        let err = n.check(STAMPED, COSE, &node).result.unwrap_err();
        assert_eq!(err.code(), "bad-timestamp");
        assert!(
            err.to_string()
                .contains("trust policy notary names no readable `tsa` trust store"),
            "{err}"
        );
        let (n, _store) = stamped_checker(root, Some(root), None);
        let err = n
            .check(STAMPED, COSE, &node)
            .result
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the timestamp authority C=BE, O=GlobalSign nv-sa, CN=Globalsign TSA for Advanced - G4 - 202311 is not in the tsa trust stores of trust policy notary"),
            "{err}"
        );
        // The envelope's chain is valid until 2033: `afterCertExpiry` asks for no timestamp.
        let (n, _store) = stamped_checker(root, None, Some("afterCertExpiry"));
        assert_eq!(n.check(STAMPED, COSE, &node).result, Ok(()));
    }

    /// Each way an envelope is not notation's `COSE_Sign1` says so, never a panic.
    #[test]
    fn envelopes_that_are_not_notation_s_cose_say_why() {
        assert!(opened(b"").contains("it is not CBOR: it ends in the middle of an item"));
        assert!(opened(&REAL[..REAL.len() - 1]).contains("it is not CBOR"));
        // The same message untagged (COSE_Sign1, not COSE_Sign1_Tagged).
        assert!(opened(&REAL[1..]).contains("not a COSE_Sign1 message (CBOR tag 18)"));
        assert!(opened(&[0xd2, 0x83, 0x40, 0xa0, 0xf6]).contains("holds 3 parts, not 4"));
        // Detached payload (nil).
        assert!(opened(&[0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x41, 0x00]).contains("not attached"));
        assert!(opened(&[0xd2, 0x84, 0x40, 0xa0, 0x40, 0x41, 0x00]).contains("`x5chain`, label 33"));
        // A protected header claiming a huge map, and a deeply nested one.
        assert!(opened(&[
            0xd2, 0x84, 0x49, 0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xa0, 0x40,
            0x41, 0x00
        ])
        .contains("its protected header is not CBOR: it ends in the middle of an item"));
        let mut deep = vec![0xd2, 0x84, 0x40, 0xa1, 0x01];
        deep.extend(std::iter::repeat_n(0x81, 40));
        deep.extend([0x00, 0x40, 0x41, 0x00]);
        assert!(opened(&deep).contains("nests deeper than"));
        // A label twice.
        assert!(
            opened(&[0xd2, 0x84, 0x40, 0xa2, 0x01, 0x00, 0x01, 0x00, 0x40, 0x41, 0x00])
                .contains("holds a parameter twice")
        );
    }

    #[test]
    fn times_are_cbor_epoch_times() {
        let t = |v: Value<'_>| epoch_time(Some(&v), "t");
        assert_eq!(t(Value::Tag(1, Box::new(Value::Unsigned(5)))), Ok(Some(5)));
        assert_eq!(t(Value::Tag(1, Box::new(Value::Negative(0)))), Ok(Some(-1)));
        assert_eq!(t(Value::Tag(1, Box::new(Value::Float(5.5)))), Ok(Some(5)));
        for bad in [
            Value::Unsigned(5),
            Value::Tag(0, Box::new(Value::Text("2023-03-14T04:45:22Z"))),
            Value::Tag(1, Box::new(Value::Float(f64::NAN))),
            Value::Tag(1, Box::new(Value::Negative(u64::MAX))),
        ] {
            assert!(t(bad)
                .unwrap_err()
                .to_string()
                .contains("is not a CBOR epoch time (tag 1)"));
        }
        assert_eq!(epoch_time(None, "t"), Ok(None));
    }
}

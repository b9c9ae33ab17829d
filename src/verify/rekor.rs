//! What a Rekor entry body says was logged, matched against the signature in hand: a
//! `hashedrekord` 0.0.1 entry records a payload's hash and its signature (and, for a Sigstore
//! bundle's message signature, the certificate), a `dsse` 0.0.1 entry a DSSE envelope's
//! payload hash, signatures and envelope hash, an `intoto` 0.0.2 entry its payload hash and
//! signatures. A SET proves only that the body was logged; this says the body is this
//! signature, else any logged entry would do.

use base64::Engine as _;
use serde_json::Value;

pub use super::key::Hash;

/// Signatures of one entry compared at most (an entry records one; a hostile body may list
/// thousands).
pub const MAX_ENTRY_SIGNATURES: usize = 8;

/// Characters of a value from the entry quoted in a reason at most.
const MAX_QUOTED: usize = 160;

/// What was signed, as the entry must record it.
pub enum Signed<'a> {
    /// A signature over the payload's bytes (cosign's simple-signing layers).
    Message {
        payload: &'a [u8],
        signature: &'a [u8],
    },
    /// A DSSE envelope: its decoded payload, the signatures it carries, and the envelope's
    /// JSON as the signature carries it (what a `dsse` entry's envelope hash is of).
    Envelope {
        payload: &'a [u8],
        signatures: &'a [Vec<u8>],
        envelope: &'a [u8],
    },
    /// A Sigstore bundle's message signature: the artifact's digest, the signature and the
    /// signer's certificate (DER), each of which a `hashedrekord` entry records (a key's
    /// signature has no certificate: [`same_key`] compares its key).
    Artifact {
        hash: Hash,
        digest: &'a [u8],
        signature: &'a [u8],
        certificate: Option<&'a [u8]>,
    },
}

/// Whether the base64 entry `body` records `signed`.
#[must_use]
pub fn records(body: &str, signed: &Signed<'_>) -> bool {
    compare(body, signed).is_ok()
}

/// Whether the base64 entry `body` records `signed`; else what differs, in words that follow
/// "the Rekor entry does not record this signature: " (sanitised).
pub fn compare(body: &str, signed: &Signed<'_>) -> Result<(), String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some(entry) = b64
        .decode(body.trim())
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return Err("its body is not a Rekor entry (base64 JSON)".into());
    };
    let kind = str_at(&entry, "/kind").unwrap_or_default();
    let version = str_at(&entry, "/apiVersion").unwrap_or_default();
    match (kind.as_str(), version.as_str(), signed) {
        ("hashedrekord", "0.0.1", Signed::Message { payload, signature }) => {
            same_payload(&entry, "/spec/data/hash/value", payload)?;
            same_signature(str_at(&entry, "/spec/signature/content"), signature)
        }
        ("hashedrekord", "0.0.1", Signed::Artifact { .. }) => artifact(&entry, signed),
        (
            "dsse",
            "0.0.1",
            Signed::Envelope {
                payload,
                signatures,
                envelope,
            },
        ) => {
            same_payload(&entry, "/spec/payloadHash/value", payload)?;
            any_signature(&entry, "/spec/signatures", "signature", signatures)?;
            same_envelope(&entry, envelope)
        }
        (
            "intoto",
            "0.0.2",
            Signed::Envelope {
                payload,
                signatures,
                ..
            },
        ) => {
            same_payload(&entry, "/spec/content/payloadHash/value", payload)?;
            any_signature(
                &entry,
                "/spec/content/envelope/signatures",
                "sig",
                signatures,
            )
        }
        _ => {
            let logged_as = match signed {
                Signed::Envelope { .. } => {
                    "a DSSE envelope is logged as dsse 0.0.1 or intoto 0.0.2"
                }
                Signed::Message { .. } | Signed::Artifact { .. } => {
                    "a signature of bytes is logged as hashedrekord 0.0.1"
                }
            };
            let what = if kind.is_empty() {
                "an entry of no kind".to_string()
            } else {
                format!("a {} {} entry", quoted(&kind), quoted(&version))
            };
            Err(format!("it is {what}; {logged_as}"))
        }
    }
}

fn str_at(v: &Value, path: &str) -> Option<String> {
    v.pointer(path).and_then(Value::as_str).map(str::to_owned)
}

/// A value from the entry, sanitised and cut, to quote in a reason.
fn quoted(s: &str) -> String {
    let cut: String = s.chars().take(MAX_QUOTED).collect();
    crate::sanitize::sanitize(&cut).into_owned()
}

/// The entry's hex SHA-256 at `path` is that of `payload`.
fn same_payload(entry: &Value, path: &str, payload: &[u8]) -> Result<(), String> {
    let logged = str_at(entry, path);
    let hash = Hash::Sha256.digest(payload);
    if logged.is_some_and(|h| h.eq_ignore_ascii_case(&hex::encode(hash))) {
        return Ok(());
    }
    Err("it records another payload".into())
}

fn same_signature(logged: Option<String>, signature: &[u8]) -> Result<(), String> {
    if logged.and_then(|s| super::decode_signature(&s)).as_deref() == Some(signature) {
        return Ok(());
    }
    Err("it records another signature".into())
}

fn any_signature(
    entry: &Value,
    path: &str,
    field: &str,
    signatures: &[Vec<u8>],
) -> Result<(), String> {
    if logged_signatures(entry, path, field)
        .iter()
        .any(|s| signatures.contains(s))
    {
        return Ok(());
    }
    Err("it records another signature".into())
}

/// A `hashedrekord` entry of a message signature records its digest (algorithm and value),
/// its signature and its certificate, each compared as sigstore-go's `VerifyTlogEntry` does.
fn artifact(entry: &Value, signed: &Signed<'_>) -> Result<(), String> {
    let Signed::Artifact {
        hash,
        digest,
        signature,
        certificate,
    } = signed
    else {
        return Err("it records another kind of signature".into());
    };
    let algorithm = str_at(entry, "/spec/data/hash/algorithm").unwrap_or_default();
    if Hash::parse(&algorithm) != Some(*hash) {
        return Err(format!(
            "it records a digest made with {}, not {}",
            quoted(&algorithm),
            hash.name()
        ));
    }
    let value = str_at(entry, "/spec/data/hash/value").unwrap_or_default();
    if !value.eq_ignore_ascii_case(&hex::encode(digest)) {
        return Err(format!(
            "it records the digest {}:{}, not {}:{}",
            hash.name(),
            quoted(&value),
            hash.name(),
            hex::encode(digest)
        ));
    }
    same_signature(str_at(entry, "/spec/signature/content"), signature)?;
    let Some(certificate) = certificate else {
        return Ok(());
    };
    let logged = str_at(entry, "/spec/signature/publicKey/content")
        .and_then(|c| pem_block(&c))
        .map(|(_, der)| der);
    if logged.as_deref() == Some(*certificate) {
        return Ok(());
    }
    Err("it records another certificate".into())
}

/// The label and DER of the PEM block a base64 entry field holds, within the certificate cap.
fn pem_block(base64_pem: &str) -> Option<(String, Vec<u8>)> {
    if base64_pem.len() > crate::model::payload::MAX_CERTIFICATE_BYTES * 2 {
        return None;
    }
    let pem = base64::engine::general_purpose::STANDARD
        .decode(base64_pem.trim())
        .ok()?;
    let (_, block) = x509_parser::pem::parse_x509_pem(&pem).ok()?;
    Some((block.label, block.contents))
}

/// Whether the base64 entry `body` names the public key whose DER `SubjectPublicKeyInfo` is
/// `spki` as the signer (cosign's `comparePublicKey`: a `hashedrekord`'s public key, a `dsse`
/// entry's verifiers, an `intoto` entry's public keys); else what it names instead, in words
/// that follow "the Rekor entry does not record this signature: ". A SET proves only that the
/// entry was logged; without this, an entry of the same payload logged by another key would do.
pub fn same_key(body: &str, spki: &[u8]) -> Result<(), String> {
    let Some(entry) = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return Err("its body is not a Rekor entry (base64 JSON)".into());
    };
    let listed = |path: &str, field: &str| -> Vec<String> {
        entry
            .pointer(path)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .take(MAX_ENTRY_SIGNATURES)
                    .filter_map(|s| s.get(field).and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut keys: Vec<String> = Vec::new();
    keys.extend(str_at(&entry, "/spec/signature/publicKey/content"));
    keys.extend(listed("/spec/signatures", "verifier"));
    keys.extend(listed("/spec/content/envelope/signatures", "publicKey"));
    keys.extend(str_at(&entry, "/spec/publicKey"));
    let blocks: Vec<(String, Vec<u8>)> = keys.iter().filter_map(|k| pem_block(k)).collect();
    if blocks
        .iter()
        .any(|(label, der)| label == "PUBLIC KEY" && der == spki)
    {
        return Ok(());
    }
    match blocks.first() {
        None => Err("it names no public key".into()),
        Some((label, _)) if label == "CERTIFICATE" => {
            Err("it names a certificate, not this key: the signature was made keylessly".into())
        }
        Some((_, der)) => Err(format!(
            "it names another key (sha256:{}), not this one",
            hex::encode(Hash::Sha256.digest(der))
        )),
    }
}

/// A `dsse` entry's `envelopeHash` is the SHA-256 of the envelope JSON the client sent to
/// Rekor, bytes the bundle does not keep: compared with the ways Sigstore's clients write the
/// envelope ([`envelope_forms`]). Its payload hash and signatures are compared before.
fn same_envelope(entry: &Value, envelope: &[u8]) -> Result<(), String> {
    let Some(logged) = str_at(entry, "/spec/envelopeHash/value") else {
        // Rekor computes it for every dsse entry; one without it is not Rekor's.
        return Err("it has no envelope hash".into());
    };
    let matches = envelope_forms(envelope)
        .iter()
        .any(|form| logged.eq_ignore_ascii_case(&hex::encode(Hash::Sha256.digest(form))));
    if matches {
        return Ok(());
    }
    Err("its envelope hash is that of another envelope (compared with this envelope as cosign, sigstore-go, sigstore-js and sigstore-python write it)".into())
}

/// The envelope JSON as Sigstore's clients send it to Rekor: the bytes in hand (cosign v2's
/// `.att` layer), Go's encoding of the protobuf envelope (sigstore-go and cosign v3;
/// sigstore-js writes the same), with and without an empty key ID (public-good entries hash
/// both), go-securesystemslib's (cosign v2), Python's spaced form (sigstore-python), and keys
/// in code-point order. Empty for what is not an envelope.
#[must_use]
pub fn envelope_forms(envelope: &[u8]) -> Vec<Vec<u8>> {
    let Ok(e) = serde_json::from_slice::<Value>(envelope) else {
        return Vec::new();
    };
    let text = |key: &str| e.get(key).and_then(Value::as_str).unwrap_or_default();
    let (payload, payload_type) = (text("payload"), text("payloadType"));
    let signatures: Vec<(String, String)> = e
        .get("signatures")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .take(MAX_ENTRY_SIGNATURES)
                .map(|s| {
                    let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
                    (field("sig").to_string(), field("keyid").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    // One writer's way: the field order (payload first, or payload type and key ID first),
    // whether an empty key ID is left out, how strings are quoted, the space after `:`, `,`.
    let write =
        |payload_first: bool, omit_empty: bool, quote: &dyn Fn(&str) -> String, sep: &str| {
            let sigs = signatures
                .iter()
                .map(|(sig, keyid)| {
                    let sig = format!("\"sig\":{sep}{}", quote(sig));
                    let key = format!("\"keyid\":{sep}{}", quote(keyid));
                    match (omit_empty && keyid.is_empty(), payload_first) {
                        (true, _) => format!("{{{sig}}}"),
                        (false, true) => format!("{{{sig},{sep}{key}}}"),
                        (false, false) => format!("{{{key},{sep}{sig}}}"),
                    }
                })
                .collect::<Vec<_>>()
                .join(&format!(",{sep}"));
            let (p, t) = (
                format!("\"payload\":{sep}{}", quote(payload)),
                format!("\"payloadType\":{sep}{}", quote(payload_type)),
            );
            let (first, second) = if payload_first { (p, t) } else { (t, p) };
            format!("{{{first},{sep}{second},{sep}\"signatures\":{sep}[{sigs}]}}").into_bytes()
        };
    let mut forms = vec![
        envelope.to_vec(),
        write(true, true, &go_string, ""),
        write(true, false, &go_string, ""),
        write(false, false, &go_string, ""),
        write(true, true, &json_string, " "),
        write(true, false, &json_string, " "),
    ];
    forms.extend(serde_json::to_vec(&e).ok());
    forms
}

/// A JSON string as serde writes it.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A JSON string as Go's `encoding/json` writes it: HTML characters and the two line
/// separators escaped too.
fn go_string(s: &str) -> String {
    json_string(s)
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The signatures listed at `path`, each field `field` decoded from base64; `intoto` 0.0.2
/// encodes the envelope's base64 signature once more, so a value that decodes to base64 text
/// is decoded again.
fn logged_signatures(entry: &Value, path: &str, field: &str) -> Vec<Vec<u8>> {
    let Some(list) = entry.pointer(path).and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .take(MAX_ENTRY_SIGNATURES)
        .filter_map(|s| s.get(field).and_then(Value::as_str))
        .filter_map(super::decode_signature)
        .map(|once| {
            std::str::from_utf8(&once)
                .ok()
                .and_then(super::decode_signature)
                .unwrap_or(once)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: &Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(v.to_string())
    }

    fn sha(b: &[u8]) -> String {
        hex::encode(Hash::Sha256.digest(b))
    }

    #[test]
    fn each_kind_records_its_own_signature_and_no_other() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (payload, sig) = (b"statement".as_slice(), vec![1u8, 2, 3]);
        let sigs = [sig.clone()];
        let json = format!(
            r#"{{"payload":"{}","payloadType":"t","signatures":[{{"sig":"{}"}}]}}"#,
            b64.encode(payload),
            b64.encode(&sig)
        );
        let envelope = Signed::Envelope {
            payload,
            signatures: &sigs,
            envelope: json.as_bytes(),
        };
        let dsse = serde_json::json!({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": sha(json.as_bytes())},
            "payloadHash": {"algorithm": "sha256", "value": sha(payload)},
            "signatures": [{"signature": b64.encode(&sig), "verifier": ""}]}});
        assert_eq!(compare(&body(&dsse), &envelope), Ok(()));
        let intoto = serde_json::json!({"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": {
            "payloadHash": {"algorithm": "sha256", "value": sha(payload)},
            "envelope": {"signatures": [{"sig": b64.encode(b64.encode(&sig))}]}}}});
        assert!(records(&body(&intoto), &envelope));
        // Another signature, another payload, another envelope, another kind: each said.
        let other = [vec![9u8]];
        let another = Signed::Envelope {
            payload,
            signatures: &other,
            envelope: json.as_bytes(),
        };
        let err = |b: &Value, s: &Signed<'_>| compare(&body(b), s).unwrap_err();
        assert_eq!(err(&dsse, &another), "it records another signature");
        let changed = Signed::Envelope {
            payload: b"other",
            signatures: &sigs,
            envelope: json.as_bytes(),
        };
        assert_eq!(err(&intoto, &changed), "it records another payload");
        let rewritten = json.replace(r#""t""#, r#""u""#);
        let retyped = Signed::Envelope {
            payload,
            signatures: &sigs,
            envelope: rewritten.as_bytes(),
        };
        assert!(err(&dsse, &retyped).starts_with("its envelope hash is that of another envelope"));
        let message = Signed::Message {
            payload,
            signature: &sig,
        };
        assert_eq!(
            err(&dsse, &message),
            "it is a dsse 0.0.1 entry; a signature of bytes is logged as hashedrekord 0.0.1"
        );
        let rekord = serde_json::json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha(payload)}},
            "signature": {"content": b64.encode(&sig)}}});
        assert!(records(&body(&rekord), &message));
        assert!(!records("not base64!", &message));
        assert_eq!(
            err(&serde_json::json!({"spec": {}}), &message),
            "it is an entry of no kind; a signature of bytes is logged as hashedrekord 0.0.1"
        );
    }

    #[test]
    fn the_envelope_hash_is_reproduced_as_sigstore_clients_write_the_envelope() {
        // sigstore-go (cosign v3) marshals the protobuf envelope: payload first, an empty key
        // ID left out; go-securesystemslib (cosign v2) its own struct, key ID always there.
        let bundle = br#"{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUC","keyid":""}],"payload":"e30="}"#;
        let forms: Vec<String> = envelope_forms(bundle)
            .into_iter()
            .map(|f| String::from_utf8(f).unwrap())
            .collect();
        assert!(forms.contains(
            &r#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUC"}]}"#.to_string()
        ), "{forms:?}");
        assert!(forms.contains(
            &r#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUC"}]}"#.to_string()
        ), "{forms:?}");
        assert!(forms.contains(
            &r#"{"payload": "e30=", "payloadType": "application/vnd.in-toto+json", "signatures": [{"sig": "MEUC"}]}"#.to_string()
        ), "{forms:?}");
        assert_eq!(
            go_string("a<b>&\u{2028}"),
            r#""a\u003cb\u003e\u0026\u2028""#
        );
        assert!(envelope_forms(b"not json").is_empty());
        // Real entries: public-good Rekor's log index 166143216 (a `dsse` 0.0.1 entry whose
        // client kept the empty key ID), and sigstore-python's RSA-PSS DSSE test bundle
        // (test/assets/rsa-pss-spki/dsse.sigstore.json): each hash reproduced.
        let hashes = |envelope: &str| -> Vec<String> {
            envelope_forms(envelope.as_bytes())
                .iter()
                .map(|f| hex::encode(Hash::Sha256.digest(f)))
                .collect()
        };
        // As the bundle has it, spaced: only the fields are read, never these bytes.
        let public_good = r#"{"payloadType": "application/vnd.in-toto+json", "payload": "eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEiLCJzdWJqZWN0IjpbeyJuYW1lIjoic2lnbmVkLXBhY2thZ2UtMS4yLjAtaGIwZjRkY2FfMC5jb25kYSIsImRpZ2VzdCI6eyJzaGEyNTYiOiI1OWVkODFlZTdhMjQ4NWM0NzU4OGViZGJhZDE0NzY0YmY3MjJjOTM0MzhiNDNmZTk1M2E2NTE3NDdiYzYyYWQ3In19XSwicHJlZGljYXRlVHlwZSI6Imh0dHBzOi8vc2xzYS5kZXYvc3BlYy92MS4wL3Byb3ZlbmFuY2UiLCJwcmVkaWNhdGUiOnt9fQ==", "signatures": [{"keyid": "", "sig": "MEUCIQCEJO91omVPw6YRCTEe7v3FYNo6LxPSJZ32+RqFhyqN5QIgWWw96LxVK8OTfy7R9HTeVxnI87nr8hx5Nn0DgB493lM="}]}"#;
        assert!(hashes(public_good).contains(
            &"d8bb8d3ad14f561841933811b90e3b8f8dbc81a14649d98d4b7f84b353ff8345".to_string()
        ));
        let python = r#"{"payload": "eyJ0ZXN0Ijoic3ludGhldGljIFJTQSBEU1NFIHBheWxvYWQifQ==", "payloadType": "application/vnd.in-toto+json", "signatures": [{"sig": "m1aCk4CrRGhTBz6a1+CNXf6x2pFvo3Y7+yEH72it6jybIkFEi9dNm308smY4y1XjpJ4uofwPDWbhWr38Eum9gGb1TDmegU3JINADxr9D8MOrg1TmwdD+4ORewaMpYOP3XIyIR719mFc65z2dMqTx2Afl/dXMclaGuYuVjuxhjB9LdRl/nbqDRk5lp4OnMlEh2wIA3gbxoS5RjmrG3J5PZ+mQlyBfSniGIDkx3z6Qvm3D8HEQZWj/Nnk9rWsj1hAULUwsxJDnZ1Hz2ssjI9SfT3oPdKj8dR04vhZoBUhLLqagmkI4QfVM15+ge0bvHcLJqPFR0Thm+ZUQbgtzYEPaCA=="}], "extra": 1}"#;
        assert!(hashes(python).contains(
            &"da3609a7b2a8be314b93c6cf674f8d2692d37ace03b55f0e661a8041c44ab388".to_string()
        ));
    }

    #[test]
    fn an_entry_names_the_key_that_signed_or_says_what_it_names_instead() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let pem = |label: &str, der: &[u8]| {
            b64.encode(format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                b64.encode(der)
            ))
        };
        let (mine, theirs) = (vec![0x30u8, 3, 1, 1, 1], vec![0x30u8, 3, 1, 1, 2]);
        let rekord = |key: String| {
            body(
                &serde_json::json!({"apiVersion": "0.0.1", "kind": "hashedrekord",
                "spec": {"signature": {"content": "", "publicKey": {"content": key}}}}),
            )
        };
        assert_eq!(same_key(&rekord(pem("PUBLIC KEY", &mine)), &mine), Ok(()));
        assert_eq!(
            same_key(&rekord(pem("PUBLIC KEY", &theirs)), &mine),
            Err(format!(
                "it names another key (sha256:{}), not this one",
                sha(&theirs)
            ))
        );
        assert_eq!(
            same_key(&rekord(pem("CERTIFICATE", &mine)), &mine),
            Err("it names a certificate, not this key: the signature was made keylessly".into())
        );
        let dsse = body(&serde_json::json!({"apiVersion": "0.0.1", "kind": "dsse",
            "spec": {"signatures": [{"signature": "", "verifier": pem("PUBLIC KEY", &mine)}]}}));
        assert_eq!(same_key(&dsse, &mine), Ok(()));
        let intoto = body(&serde_json::json!({"apiVersion": "0.0.2", "kind": "intoto",
            "spec": {"content": {"envelope": {"signatures": [{"publicKey": pem("PUBLIC KEY", &mine)}]}}}}));
        assert_eq!(same_key(&intoto, &mine), Ok(()));
        assert_eq!(
            same_key(&body(&serde_json::json!({"spec": {}})), &mine),
            Err("it names no public key".into())
        );
        assert!(same_key("not base64!", &mine).is_err());
    }

    #[test]
    fn a_message_signature_entry_records_its_digest_signature_and_certificate() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (digest, sig, cert) = (
            Hash::Sha256.digest(b"manifest"),
            vec![1u8, 2],
            vec![0x30u8, 3, 1, 1, 0],
        );
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64.encode(&cert)
        );
        let entry = |alg: &str, value: &str, s: &[u8], pem: &str| {
            body(
                &serde_json::json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
                "data": {"hash": {"algorithm": alg, "value": value}},
                "signature": {"content": b64.encode(s), "publicKey": {"content": b64.encode(pem)}}}}),
            )
        };
        let signed = Signed::Artifact {
            hash: Hash::Sha256,
            digest: &digest,
            signature: &sig,
            certificate: Some(&cert),
        };
        let hex = hex::encode(&digest);
        assert_eq!(compare(&entry("sha256", &hex, &sig, &pem), &signed), Ok(()));
        assert_eq!(
            compare(&entry("sha256", &"e".repeat(64), &sig, &pem), &signed).unwrap_err(),
            format!(
                "it records the digest sha256:{}, not sha256:{hex}",
                "e".repeat(64)
            )
        );
        assert_eq!(
            compare(&entry("sha384", &hex, &sig, &pem), &signed).unwrap_err(),
            "it records a digest made with sha384, not sha256"
        );
        assert_eq!(
            compare(&entry("sha256", &hex, &[9], &pem), &signed).unwrap_err(),
            "it records another signature"
        );
        let other = pem.replace(&b64.encode(&cert), &b64.encode([0x30u8, 0]));
        assert_eq!(
            compare(&entry("sha256", &hex, &sig, &other), &signed).unwrap_err(),
            "it records another certificate"
        );
        assert_eq!(Hash::parse("SHA2_384"), Some(Hash::Sha384));
        assert_eq!(Hash::parse("md5"), None);
    }
}

//! What a Rekor entry body says was logged, matched against the signature in hand: a
//! `hashedrekord` 0.0.1 entry records a payload's hash and its signature, a `dsse` 0.0.1 or
//! `intoto` 0.0.2 entry a DSSE envelope's payload hash and signatures. A SET proves only that
//! the body was logged; this says the body is this signature, else any logged entry would do.

use base64::Engine as _;
use serde_json::Value;

/// Signatures of one entry compared at most (an entry records one; a hostile body may list
/// thousands).
pub const MAX_ENTRY_SIGNATURES: usize = 8;

/// What was signed, as the entry must record it.
pub enum Signed<'a> {
    /// A signature over the payload's bytes (cosign's simple-signing layers).
    Message {
        payload: &'a [u8],
        signature: &'a [u8],
    },
    /// A DSSE envelope: its decoded payload and the signatures it carries.
    Envelope {
        payload: &'a [u8],
        signatures: &'a [Vec<u8>],
    },
}

/// Whether the base64 entry `body` records `signed`.
#[must_use]
pub fn records(body: &str, signed: &Signed<'_>) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Some(entry) = b64
        .decode(body.trim())
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return false;
    };
    let str_at = |v: &Value, path: &str| v.pointer(path).and_then(Value::as_str).map(str::to_owned);
    let kind = (
        str_at(&entry, "/kind").unwrap_or_default(),
        str_at(&entry, "/apiVersion").unwrap_or_default(),
    );
    match (kind.0.as_str(), kind.1.as_str(), signed) {
        ("hashedrekord", "0.0.1", Signed::Message { payload, signature }) => {
            hash_is(str_at(&entry, "/spec/data/hash/value"), payload)
                && str_at(&entry, "/spec/signature/content")
                    .and_then(|s| super::decode_signature(&s))
                    .as_deref()
                    == Some(*signature)
        }
        (
            "dsse",
            "0.0.1",
            Signed::Envelope {
                payload,
                signatures,
            },
        ) => {
            hash_is(str_at(&entry, "/spec/payloadHash/value"), payload)
                && logged_signatures(&entry, "/spec/signatures", "signature")
                    .iter()
                    .any(|s| signatures.contains(s))
        }
        (
            "intoto",
            "0.0.2",
            Signed::Envelope {
                payload,
                signatures,
            },
        ) => {
            hash_is(str_at(&entry, "/spec/content/payloadHash/value"), payload)
                && logged_signatures(&entry, "/spec/content/envelope/signatures", "sig")
                    .iter()
                    .any(|s| signatures.contains(s))
        }
        _ => false,
    }
}

/// The entry's hex SHA-256 is that of `payload`.
fn hash_is(logged: Option<String>, payload: &[u8]) -> bool {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, payload);
    logged.is_some_and(|h| h.eq_ignore_ascii_case(&hex::encode(hash.as_ref())))
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
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b).as_ref())
    }

    #[test]
    fn each_kind_records_its_own_signature_and_no_other() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (payload, sig) = (b"statement".as_slice(), vec![1u8, 2, 3]);
        let sigs = [sig.clone()];
        let envelope = Signed::Envelope {
            payload,
            signatures: &sigs,
        };
        let dsse = serde_json::json!({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "payloadHash": {"algorithm": "sha256", "value": sha(payload)},
            "signatures": [{"signature": b64.encode(&sig), "verifier": ""}]}});
        assert!(records(&body(&dsse), &envelope));
        let intoto = serde_json::json!({"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": {
            "payloadHash": {"algorithm": "sha256", "value": sha(payload)},
            "envelope": {"signatures": [{"sig": b64.encode(b64.encode(&sig))}]}}}});
        assert!(records(&body(&intoto), &envelope));
        // Another signature, another payload, another kind: not this one.
        let other = [vec![9u8]];
        let another = Signed::Envelope {
            payload,
            signatures: &other,
        };
        assert!(!records(&body(&dsse), &another));
        let changed = Signed::Envelope {
            payload: b"other",
            signatures: &sigs,
        };
        assert!(!records(&body(&intoto), &changed));
        let message = Signed::Message {
            payload,
            signature: &sig,
        };
        assert!(!records(&body(&dsse), &message));
        let rekord = serde_json::json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha(payload)}},
            "signature": {"content": b64.encode(&sig)}}});
        assert!(records(&body(&rekord), &message));
        assert!(!records("not base64!", &message));
    }
}

//! What `regscope verify` reads from outside: a public key file (PEM, or DER SPKI), a base64
//! signature annotation, a simple-signing payload and a DSSE envelope from the registry. Parsing never panics,
//! stays within its caps, an error prints nothing a terminal obeys, and a key parsed from
//! garbage verifies nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::verify::{decode_signature, payload_subject, PublicKey};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // The key, then (after a NUL) the signature annotation, then the payload.
    let mut parts = data.splitn(3, |&b| b == 0);
    let key = parts.next().unwrap_or_default();
    let signature = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or_default();
    for parsed in [PublicKey::from_pem(key), PublicKey::from_spki_der(key)] {
        match parsed {
            Ok(k) => {
                if let Some(sig) = decode_signature(&String::from_utf8_lossy(signature)) {
                    let _ = k.verifies(payload, &sig);
                }
                let (result, predicate) = regscope::verify::dsse::check(payload, "sha256:00", &k);
                if let Err(e) = result {
                    common::assert_terminal_safe("envelope verdict", &e.to_string());
                }
                if let Some(p) = predicate {
                    common::assert_terminal_safe("predicate type", &p);
                }
            }
            Err(e) => common::assert_terminal_safe("key error", &e.to_string()),
        }
    }
    let _ = payload_subject(payload);
});

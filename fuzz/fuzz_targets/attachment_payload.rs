//! What an attachment carries, as a registry serves it: cosign simple-signing payloads with
//! their certificate and bundle annotations, Sigstore bundles, notation JWS envelopes (an x5c
//! certificate), SPDX and CycloneDX documents, and bare PEM/DER certificates. Decoding never
//! panics and its one-line summary prints nothing a terminal obeys.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use regscope::attachments::discover::schema_tag_subject;
use regscope::model::payload::{decode, signer_from_der, signer_from_pem};

#[path = "common.rs"]
mod common;

const MEDIA_TYPES: [&str; 6] = [
    "application/vnd.dev.cosign.simplesigning.v1+json",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/jose+json",
    "application/cose",
    "application/spdx+json",
    "application/vnd.cyclonedx+json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    // The body, then (after a NUL) the certificate annotation, then the bundle annotation.
    let mut parts = rest.splitn(3, |&b| b == 0);
    let body = parts.next().unwrap_or_default();
    let mut annotations = BTreeMap::new();
    for (key, value) in [
        "dev.sigstore.cosign/certificate",
        "dev.sigstore.cosign/bundle",
    ]
    .into_iter()
    .zip(parts)
    {
        annotations.insert(key.to_string(), String::from_utf8_lossy(value).into_owned());
    }
    let media_type = MEDIA_TYPES[usize::from(which) % MEDIA_TYPES.len()];
    if let Some(payload) = decode(media_type, &annotations, body) {
        common::assert_terminal_safe("a payload summary", &payload.one_line());
    }
    let _ = signer_from_pem(body);
    let _ = signer_from_der(body);
    if let Ok(tag) = std::str::from_utf8(body) {
        let _ = schema_tag_subject(tag);
    }
});

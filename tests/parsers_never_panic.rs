//! Whatever a registry sends, the parsers answer with a value or an error, never a panic, and
//! what reaches a terminal holds no control character: property tests on arbitrary input and
//! on JSON shaped like the real thing, and on layer bytes (tar, gzip, zstd, ELF heads).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

use proptest::prelude::*;
use regscope::digest::Digest;
use regscope::model::config::summarize_config;
use regscope::model::intoto::summarize_statement;
use regscope::model::manifest::Manifest;
use regscope::registry::http::{parse_challenge, parse_www_authenticate};
use regscope::sanitize::sanitize;

/// JSON values that look like manifests, configs and statements, with hostile strings.
fn json_like() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "\\PC{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("\"\\u001b]52;c;ZXZpbA==\\u0007\\u009b31m\\u202e\"".to_string()),
        Just("\"application/vnd.oci.image.index.v1+json\"".to_string()),
        Just(
            "\"sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898\""
                .to_string()
        ),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        let key = prop_oneof![
            Just("mediaType"),
            Just("manifests"),
            Just("layers"),
            Just("config"),
            Just("digest"),
            Just("size"),
            Just("platform"),
            Just("annotations"),
            Just("architecture"),
            Just("os"),
            Just("predicateType"),
            Just("subject"),
            Just("predicate"),
            Just("schemaVersion"),
            Just("Env"),
            Just("User"),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((key, inner), 0..5).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn content_parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Manifest::parse(&bytes, None);
        let _ = Manifest::parse(&bytes, Some("application/vnd.oci.image.index.v1+json"));
        let _ = summarize_config(&bytes);
        let _ = summarize_statement(&bytes);
    }

    #[test]
    fn content_parsers_never_panic_on_json_shaped_input(json in json_like()) {
        let _ = Manifest::parse(json.as_bytes(), None);
        let _ = Manifest::parse(json.as_bytes(), Some("application/vnd.docker.distribution.manifest.v2+json"));
        let _ = summarize_config(json.as_bytes());
        let _ = summarize_statement(json.as_bytes());
    }

    #[test]
    fn header_and_digest_parsers_never_panic(s in "\\PC{0,80}|[A-Za-z0-9=,\" :/._-]{0,80}") {
        let _ = parse_challenge(&s);
        let _ = parse_www_authenticate(&s);
        let _ = Digest::parse(&s);
        let _ = regscope::reference::ImageRef::parse(&s);
    }

    #[test]
    fn layer_parsers_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        at in any::<usize>(),
        value in any::<u8>(),
    ) {
        use regscope::layers::{exec, list_layer, tar::build::archive, Limits};
        let limits = Limits { tar_bytes: 1 << 20, ..Limits::default() };
        let _ = list_layer(&bytes[..], &Digest::sha256_of(&bytes), None, &limits);
        let _ = exec::classify(&bytes);
        // A real archive with one byte changed: checksums, sizes, names and links that lie.
        let mut tar = archive(&[
            ("a/b", b'0', 0o755, &b"#!/bin/sh\n"[..], ""),
            ("l", b'2', 0o777, &b""[..], "a/b"),
            ("a/.wh.c", b'0', 0o644, &b""[..], ""),
        ]);
        let i = at % tar.len();
        tar[i] = value;
        let _ = list_layer(&tar[..], &Digest::sha256_of(&tar), None, &limits);
    }

    #[test]
    fn sanitized_text_holds_no_control_or_bidi_character(s in any::<String>()) {
        let out = sanitize(&s);
        prop_assert!(
            !out.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)),
            "{:?} -> {:?}", s, out
        );
    }
}

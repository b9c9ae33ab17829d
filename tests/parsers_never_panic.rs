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
    fn keyless_parsers_never_panic(bundle in json_like(), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let policy = regscope::verify::keyless::policy(Some("ci@example.com"), None, Some("https://issuer"), None)
            .expect("a policy on the public-good root");
        let cert = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes)
        );
        for (c, b) in [(cert.as_str(), bundle.as_str()), (&String::from_utf8_lossy(&bytes), &bundle)] {
            let annotations = std::collections::BTreeMap::from([
                ("dev.sigstore.cosign/certificate".to_string(), c.to_string()),
                ("dev.sigstore.cosign/bundle".to_string(), b.to_string()),
            ]);
            // Garbage never verifies, and its reason is words a terminal shows as they are.
            for result in [policy.check(&annotations, &bytes, &bytes, &mut None), policy.logged(&annotations, &bytes, &bytes).map(|_| ())] {
                let words = result.expect_err("garbage never verifies").to_string();
                prop_assert!(!words.chars().any(char::is_control), "{}", words);
            }
        }
        let _ = regscope::verify::keyless::Identity::regexp(&String::from_utf8_lossy(&bytes));
        // A Sigstore bundle from the registry, as it is and with the fuzzed certificate and
        // log entry where a keyless bundle has them: a verdict in words, never a panic.
        let b64 = base64::engine::general_purpose::STANDARD;
        let wrapped = format!(
            r#"{{"verificationMaterial":{{"certificate":{{"rawBytes":"{}"}},"tlogEntries":[{bundle}]}},"dsseEnvelope":{{"payloadType":"t","payload":"e30=","signatures":[{{"sig":"AAAA"}}]}}}}"#,
            base64::Engine::encode(&b64, &bytes)
        );
        let verifier = regscope::verify::Verifier::Keyless(Box::new(policy.clone()));
        // And with a message signature over the bytes as the subject manifest.
        let sha = regscope::verify::rekor::Hash::Sha256;
        let message = format!(
            r#"{{"verificationMaterial":{{"certificate":{{"rawBytes":"{}"}},"tlogEntries":[{bundle}]}},"messageSignature":{{"messageDigest":{{"algorithm":"SHA2_256","digest":"{}"}},"signature":"{}"}}}}"#,
            base64::Engine::encode(&b64, &bytes),
            base64::Engine::encode(&b64, sha.digest(&bytes)),
            base64::Engine::encode(&b64, &bytes),
        );
        let subject = format!("sha256:{}", hex::encode(sha.digest(&bytes)));
        for b in [bundle.as_bytes(), wrapped.as_bytes(), message.as_bytes(), &bytes] {
            for (subject, artifact) in [("sha256:00", None), (subject.as_str(), Some(bytes.as_slice()))] {
                let outcome = regscope::verify::bundle::check(b, subject, artifact, &verifier, "claimed");
                let words = outcome.result.expect_err("garbage never verifies").to_string();
                prop_assert!(!words.chars().any(char::is_control), "{}", words);
            }
        }
        // An inclusion proof's checkpoint and hashes: a root or nothing, never a panic.
        let text = String::from_utf8_lossy(&bytes);
        let _ = regscope::verify::merkle::parse_checkpoint(&text);
        let hashes: Vec<Vec<u8>> = bytes.chunks(32).map(<[u8]>::to_vec).collect();
        for (index, size) in [(0, 1), (3, 6), (u64::MAX - 1, u64::MAX), (0, (1 << 63) + 1), (5, 2), (0, 0)] {
            let _ = regscope::verify::merkle::root_from_proof(index, size, &bytes, &hashes);
        }
        let signatures = [bytes.clone()];
        for signed in [
            regscope::verify::rekor::Signed::Envelope { payload: &bytes, signatures: &signatures, envelope: &bytes },
            regscope::verify::rekor::Signed::Message { payload: &bytes, signature: &bytes },
            regscope::verify::rekor::Signed::Artifact { hash: sha, digest: &bytes, signature: &bytes, certificate: Some(&bytes) },
            regscope::verify::rekor::Signed::Artifact { hash: sha, digest: &bytes, signature: &bytes, certificate: None },
        ] {
            for body in [bundle.clone(), base64::Engine::encode(&b64, bundle.as_bytes())] {
                if let Err(words) = regscope::verify::rekor::compare(&body, &signed) {
                    prop_assert!(!words.chars().any(char::is_control), "{}", words);
                }
                // The key an entry names, compared with a key's (a keyed signature's entry).
                if let Err(words) = regscope::verify::rekor::same_key(&body, &bytes) {
                    prop_assert!(!words.chars().any(char::is_control), "{}", words);
                }
            }
        }
        let _ = regscope::verify::rekor::envelope_forms(&bytes);
    }

    #[test]
    fn verify_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes)
        );
        for key in [
            regscope::verify::PublicKey::from_pem(pem.as_bytes()),
            regscope::verify::PublicKey::from_spki_der(&bytes),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(!key.verifies(&bytes, &bytes));
        }
        let _ = regscope::verify::decode_signature(&String::from_utf8_lossy(&bytes));
        let _ = regscope::verify::payload_subject(&bytes);
        // A DSSE envelope from the registry, checked with a well-formed Ed25519 key: a verdict,
        // never a panic, in words a terminal shows as they are.
        let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        der.extend_from_slice(&[7u8; 32]);
        let key = regscope::verify::PublicKey::from_spki_der(&der).expect("an Ed25519 key");
        let (result, _) = regscope::verify::dsse::check(&bytes, "sha256:00", &key);
        let words = result.expect_err("garbage never verifies").to_string();
        prop_assert!(!words.chars().any(char::is_control), "{}", words);
        if let Err(e) = regscope::verify::trust::TrustedRoot::parse(&bytes) {
            let words = e.to_string();
            prop_assert!(!words.chars().any(char::is_control), "{}", words);
        }
    }

    #[test]
    fn notation_parsers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), json in json_like()) {
        use regscope::verify::{notation, trustpolicy};
        let policy = trustpolicy::TrustPolicy::parse(
            br#"{"version":"1.0","trustPolicies":[{"name":"all","registryScopes":["*"],"signatureVerification":{"level":"strict"},"trustStores":["ca:none"],"trustedIdentities":["*"]}]}"#,
            "p.json",
        )
        .expect("the policy");
        let checker = notation::Notation {
            policy,
            store: "/nonexistent".into(),
            scope: Some("registry.test/team/app".into()),
        };
        let subject = regscope::model::Node::from_descriptor(
            regscope::model::Kind::Index,
            &serde_json::from_str::<regscope::model::Descriptor>(&format!(
                r#"{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{}","size":2}}"#,
                "0".repeat(64)
            ))
            .expect("a descriptor"),
        );
        for input in [bytes.as_slice(), json.as_bytes()] {
            // A verdict, never a panic, in words a terminal shows as they are: as a JWS and as
            // a COSE envelope.
            for media_type in [notation::JWS, regscope::verify::cose::COSE] {
                let words = checker.check(input, media_type, &subject).result.expect_err("garbage never verifies").to_string();
                prop_assert!(!words.chars().any(char::is_control), "{}", words);
            }
            if let Err(e) = trustpolicy::TrustPolicy::parse(input, "p.json") {
                let words = e.to_string();
                prop_assert!(!words.chars().any(char::is_control), "{}", words);
            }
            let _ = trustpolicy::parse_dn(&String::from_utf8_lossy(input));
        }
    }

    /// notation-go's real COSE envelope cut short, with a byte changed, and hostile CBOR
    /// after a `COSE_Sign1` head (huge lengths, deep nesting): the CBOR reader and the COSE
    /// envelope answer with an error in words, never a panic or a huge allocation.
    #[test]
    fn cose_parsers_never_panic(
        cut in 0usize..1481,
        flip in (0usize..1481, any::<u8>()),
        tail in prop::collection::vec(prop_oneof![Just(0x81u8), Just(0xa1), Just(0xc1), Just(0x9f), Just(0x5b), Just(0xbb), Just(0xff), any::<u8>()], 0..256),
    ) {
        use regscope::verify::{cbor, cose};
        const REAL: &[u8] = include_bytes!("data/notation-cose/cose_signature.sig");
        let mut flipped = REAL.to_vec();
        flipped[flip.0] ^= flip.1;
        let mut hostile = vec![0xd2, 0x84];
        hostile.extend_from_slice(&tail);
        for input in [&REAL[..cut], flipped.as_slice(), hostile.as_slice(), &tail] {
            let _ = cbor::decode(input);
            // A byte of the unsigned parts (the signing agent, a certificate's own signature)
            // may change and still open: integrity covers the protected header and payload.
            if let Err(e) = cose::open(input) {
                let words = e.to_string();
                prop_assert!(!words.chars().any(char::is_control), "{}", words);
            }
        }
    }

    /// sigstore-python's real RFC 3161 timestamp token cut short, with a byte changed, and
    /// hostile DER after a SEQUENCE head (huge lengths, indefinite forms): the token reader
    /// answers with an error in words, never a panic or a huge allocation.
    #[test]
    fn timestamp_parser_never_panics(
        cut in 0usize..1156,
        flip in (0usize..1156, any::<u8>()),
        tail in prop::collection::vec(prop_oneof![Just(0x30u8), Just(0x80), Just(0x84), Just(0xff), Just(0xa0), Just(0x06), any::<u8>()], 0..256),
    ) {
        use regscope::verify::tsa;
        let bundle: serde_json::Value = serde_json::from_slice(include_bytes!("data/sigstore-python-tsa/bundle.txt.sigstore")).expect("bundle");
        let token = bundle
            .pointer("/verificationMaterial/timestampVerificationData/rfc3161Timestamps/0/signedTimestamp")
            .and_then(serde_json::Value::as_str)
            .expect("a timestamp");
        let real = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, token).expect("base64");
        prop_assert_eq!(real.len(), 1156);
        let mut flipped = real.clone();
        flipped[flip.0] ^= flip.1;
        let mut hostile = vec![0x30, 0x82];
        hostile.extend_from_slice(&tail);
        for input in [&real[..cut], flipped.as_slice(), hostile.as_slice(), &tail] {
            let _ = tsa::parse(input);
            if let Err(e) = tsa::verify(input, b"signature", &[], "a root") {
                let words = e.to_string();
                prop_assert!(!words.chars().any(char::is_control), "{}", words);
            }
        }
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

/// Trees of any shape, including ones no registry walk would build: kinds in odd places,
/// platforms that are empty, `unknown` or foreign, attestations pointing anywhere, problems on
/// any node, configs from generated JSON.
mod trees {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use regscope::analysis::{analyze, target::Target};
    use regscope::inspect::Inspection;
    use regscope::model::config::summarize_config;
    use regscope::model::descriptor::{Descriptor, Platform};
    use regscope::model::tree::{Attests, Kind, Node, Problem};
    use regscope::output::{json, style::Style, text};

    const DIGESTS: [&str; 3] = [
        "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898",
        "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e",
        "not-a-digest\u{1b}[2J",
    ];

    fn platform() -> impl Strategy<Value = Option<Platform>> {
        let os = prop_oneof![
            Just("linux"),
            Just("windows"),
            Just("unknown"),
            Just(""),
            Just("\u{202e}x")
        ];
        let arch = prop_oneof![
            Just("amd64"),
            Just("arm64"),
            Just("arm"),
            Just("unknown"),
            Just("s390x"),
            Just("")
        ];
        let variant = prop::option::of(prop_oneof![Just("v7"), Just("v8"), Just("v6"), Just("")]);
        prop::option::of(
            (os, arch, variant).prop_map(|(os, arch, variant)| Platform {
                os: os.into(),
                architecture: arch.into(),
                variant: variant.map(str::to_string),
                ..Platform::default()
            }),
        )
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            Just(Kind::Index),
            Just(Kind::Manifest),
            Just(Kind::Attestation),
            Just(Kind::Config),
            Just(Kind::Layer),
            Just(Kind::Statement),
            Just(Kind::Referrer),
            Just(Kind::Missing),
        ]
    }

    fn problem() -> impl Strategy<Value = Option<Problem>> {
        prop::option::of(prop_oneof![
            Just(Problem::Missing {
                detail: "404".into()
            }),
            Just(Problem::Cycle),
            Just(Problem::TooLarge {
                limit: 1,
                size: None
            }),
            Just(Problem::Malformed {
                detail: "\u{9b}x".into()
            }),
            Just(Problem::FetchFailed {
                detail: "503".into()
            }),
            Just(Problem::Cut {
                detail: "cut".into(),
                repeated: true
            }),
            Just(Problem::DigestMismatch {
                expected: DIGESTS[0].into(),
                actual: DIGESTS[1].into(),
                loops: false
            }),
        ])
    }

    fn config() -> impl Strategy<Value = Option<Vec<u8>>> {
        prop::option::of(
            (
                prop_oneof![Just("linux"), Just("windows"), Just("")],
                prop_oneof![Just("amd64"), Just("arm64"), Just("")],
                prop_oneof![
                    Just(""),
                    Just("root"),
                    Just("1000"),
                    Just("app\u{1b}]0;x\u{7}")
                ],
                prop::option::of(prop::collection::vec("\\PC{0,6}", 0..3)),
            )
                .prop_map(|(os, arch, user, entrypoint)| {
                    serde_json::to_vec(&serde_json::json!({
                        "os": os, "architecture": arch,
                        "config": {"User": user, "Entrypoint": entrypoint},
                        "rootfs": {"type": "layers", "diff_ids": []}
                    }))
                    .unwrap()
                }),
        )
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = (
            kind(),
            0..DIGESTS.len(),
            prop_oneof![
                Just("application/vnd.oci.image.index.v1+json"),
                Just("application/vnd.oci.image.manifest.v1+json"),
                Just("application/vnd.docker.distribution.manifest.v2+json"),
                Just("application/vnd.in-toto+json"),
                Just("application/x\u{1b}]52;c;eA==\u{7}"),
            ],
            platform(),
            problem(),
            config(),
            prop::option::of((0..DIGESTS.len(), platform())),
            prop_oneof![
                Just(None),
                Just(Some("attestation-manifest")),
                Just(Some("\u{202e}"))
            ],
            -5i64..5_000_000,
        )
            .prop_map(
                |(
                    kind,
                    digest,
                    media_type,
                    platform,
                    problem,
                    config,
                    attests,
                    reference_type,
                    size,
                )| {
                    let mut annotations = BTreeMap::new();
                    if let Some(t) = reference_type {
                        annotations.insert("vnd.docker.reference.type".to_string(), t.to_string());
                    }
                    let desc = Descriptor {
                        media_type: media_type.into(),
                        digest: DIGESTS[digest].into(),
                        size,
                        platform,
                        annotations,
                        artifact_type: None,
                        urls: Vec::new(),
                    };
                    let mut n = Node::from_descriptor(kind, &desc);
                    n.problem = problem;
                    n.config = config.and_then(|c| summarize_config(&c).ok());
                    n.attests = attests.map(|(d, platform)| Attests {
                        digest: DIGESTS[d].into(),
                        platform,
                    });
                    n
                },
            )
            .boxed();
        leaf.clone().prop_recursive(5, 80, 8, move |inner| {
            (leaf.clone(), prop::collection::vec(inner, 0..8)).prop_map(|(mut n, children)| {
                n.children = children;
                n
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

        #[test]
        fn analysis_and_output_never_panic_on_any_tree(root in node()) {
            let mut findings = analyze(&root);
            for target in ["lambda", "lambda/arm64", "linux/amd64", "linux/arm/v7", "windows/amd64"] {
                let t = Target::parse(target).unwrap();
                findings.extend(t.check(&root));
                let _ = t.verdict(&root);
                let _ = t.fitting(&root);
            }
            let inspection = Inspection {
                reference: "registry.test/app:v1".into(),
                root,
                round_trips: regscope::registry::RoundTrips::default(),
                resolved_at: None,
                attachments_looked_up: true,
                orphaned: Vec::new(),
                attachment_notes: vec!["\u{1b}]0;x\u{7}".into()],
            };
            for width in [None, Some(20), Some(80)] {
                let shown = text::render(&inspection, &findings, Style::plain(), width);
                prop_assert!(
                    !shown.chars().any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
                    "{:?}", shown
                );
            }
            let doc = json::to_terminal_string(&json::report(&inspection, &findings, None));
            prop_assert!(serde_json::from_str::<serde_json::Value>(&doc).is_ok());
        }
    }
}

/// Hands out `data` in chunks of the given sizes (then the rest at once), as a network does.
struct Split<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
}

impl std::io::Read for Split<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = if self.sizes.is_empty() {
            self.data.len()
        } else {
            self.sizes.remove(0).max(1)
        };
        let n = want.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Issue 25, defect 5: however the network splits a layer, it lists the same (the format
    /// is sniffed from whole magic bytes, never from the first chunk alone).
    #[test]
    fn a_layer_lists_the_same_however_it_is_split(
        sizes in prop::collection::vec(1usize..9, 0..6),
        how in 0u8..3,
    ) {
        use regscope::layers::{list_layer, Limits};
        use regscope::layers::tar::build::archive;
        let tar = archive(&[
            ("etc/motd", b'0', 0o644, b"hello\n", ""),
            ("usr/bin/app", b'0', 0o755, b"#!/bin/sh\n", ""),
            ("bin/sh", b'2', 0o777, b"", "busybox"),
        ]);
        let blob = match how {
            0 => tar.clone(),
            1 => {
                use std::io::Write as _;
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&tar).unwrap();
                e.finish().unwrap()
            }
            _ => ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest),
        };
        let digest = Digest::sha256_of(&blob);
        let whole = list_layer(&blob[..], &digest, Some(blob.len() as u64), &Limits::default()).unwrap();
        let split = list_layer(Split { data: &blob, sizes }, &digest, Some(blob.len() as u64), &Limits::default()).unwrap();
        prop_assert_eq!(&split.entries, &whole.entries);
        prop_assert_eq!(split.compression, whole.compression);
    }

    /// Issue 25, defect 2: any negative descriptor size is a problem on its node, shown as
    /// invalid, and never a size.
    #[test]
    fn a_negative_descriptor_size_is_always_refused(size in i64::MIN..0) {
        use regscope::model::{Descriptor, Kind, Node};
        let desc: Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898",
            "size": size,
        })).unwrap();
        let node = Node::from_descriptor(Kind::Layer, &desc);
        let problem = format!("{:?}", node.problem);
        prop_assert!(problem.contains("non-negative"), "{}", problem);
        prop_assert!(regscope::present::human_size(size).starts_with("invalid size"));
    }
}

//! Real Sigstore bundles from the public ecosystem (tests/data/sigstore-python,
//! sigstore-go-public-good, gh-attestation; each directory's SOURCE.md says where from), checked
//! offline through [`super::bundle::check`] as regscope checks a bundle referrer, and compared
//! with what sigstore's own tests decide for the same file.

use super::keyless::{Identity, Keyless};
use super::rekor::Hash;
use super::trust::TrustedRoot;
use super::{bundle, Reason, Signer, Verifier};

const GITHUB_ACTIONS: &str = "https://token.actions.githubusercontent.com";
const GITHUB_OAUTH: &str = "https://github.com/login/oauth";

fn public_good() -> TrustedRoot {
    TrustedRoot::public_good().expect("the embedded root")
}

/// sigstore-python's copy of the staging instance's trusted root.
fn staging() -> TrustedRoot {
    TrustedRoot::parse(include_bytes!(
        "../../tests/data/sigstore-python/staging_trusted_root.json"
    ))
    .expect("the staging root")
}

fn keyless(root: TrustedRoot, identity: &str, issuer: &str) -> Verifier {
    Verifier::Keyless(Box::new(Keyless {
        root,
        root_name: "the test's root".into(),
        identity: Identity::Exact(identity.into()),
        issuer: issuer.into(),
    }))
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Hash::Sha256.digest(bytes)))
}

/// The verdict on a `messageSignature` bundle over `blob`, as on a referrer whose subject's
/// bytes are the blob.
fn over_blob(bundle: &[u8], blob: &[u8], verifier: &Verifier) -> bundle::Outcome {
    bundle::check(bundle, &sha256(blob), Some(blob), verifier, "")
}

fn identity(outcome: &bundle::Outcome) -> Option<&str> {
    match &outcome.signer {
        Some(Signer::Certificate { identity, .. }) => Some(identity),
        _ => None,
    }
}

#[test]
fn a_production_github_actions_bundle_over_a_wheel_verifies_and_fails_when_it_should() {
    // sigstore-python's `bundle_v3_github.whl`: a v0.2 bundle from the public-good instance,
    // its certificate in `x509CertificateChain`, a hashedrekord 0.0.1 entry with SET, inclusion
    // proof and checkpoint. sigstore-python verifies it (test_policy.py TestSingleExtPolicy).
    let bundle = include_bytes!("../../tests/data/sigstore-python/bundle_v3_github.whl.sigstore");
    let wheel = include_bytes!("../../tests/data/sigstore-python/bundle_v3_github.whl");
    let who =
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
    let o = over_blob(bundle, wheel, &keyless(public_good(), who, GITHUB_ACTIONS));
    assert_eq!(o.result, Ok(()));
    assert!(!o.attestation);
    assert_eq!(identity(&o), Some(who));
    assert!(matches!(
        &o.signer,
        Some(Signer::Certificate { repository: Some(r), git_ref: Some(g), .. })
            if r == "https://github.com/trailofbits/rfc8785.py" && g == "refs/tags/v0.1.2"
    ));

    // One byte of the wheel changed: the bundle's digest names the original.
    let mut tampered = wheel.to_vec();
    tampered[100] ^= 1;
    let o = over_blob(
        bundle,
        &tampered,
        &keyless(public_good(), who, GITHUB_ACTIONS),
    );
    assert_eq!(
        o.result,
        Err(Reason::OtherImage {
            signed: sha256(wheel)
        })
    );
    // Another workflow, another issuer, the staging root: each with its reason.
    let o = over_blob(
        bundle,
        wheel,
        &keyless(public_good(), "https://github.com/x/y", GITHUB_ACTIONS),
    );
    assert_eq!(
        o.result.expect_err("another identity").to_string(),
        format!("identity {who}, policy wants https://github.com/x/y")
    );
    let o = over_blob(bundle, wheel, &keyless(public_good(), who, GITHUB_OAUTH));
    assert!(matches!(o.result, Err(Reason::IssuerMismatch { .. })));
    let o = over_blob(bundle, wheel, &keyless(staging(), who, GITHUB_ACTIONS));
    assert_eq!(
        o.result.expect_err("another root").to_string(),
        "the certificate was issued by O=sigstore.dev, CN=sigstore-intermediate, which is no Fulcio certificate authority of the test's root; give the root that trusts it with --trusted-root FILE"
    );
}

#[test]
fn production_bundles_sigstore_python_rejects_are_rejected_with_their_reason() {
    let oauth = |who: &str| keyless(public_good(), who, GITHUB_OAUTH);
    // An empty certificate chain: sigstore-python "expected non-empty certificate chain".
    let o = over_blob(
        include_bytes!("../../tests/data/sigstore-python/bundle_no_cert_v1.txt.sigstore"),
        include_bytes!("../../tests/data/sigstore-python/bundle_no_cert_v1.txt"),
        &oauth("william@yossarian.net"),
    );
    assert_eq!(
        o.result.expect_err("no certificate").to_string(),
        "the certificate chain is broken: the Sigstore bundle's `x509CertificateChain` holds no certificate"
    );
    // An inclusion proof but neither a SET nor a timestamp: sigstore-python "bundle must
    // contain an inclusion promise or signed timestamp(s)": nothing says when it was signed.
    let o = over_blob(
        include_bytes!(
            "../../tests/data/sigstore-python/bundle_v3_no_signed_time.txt.sigstore.json"
        ),
        include_bytes!("../../tests/data/sigstore-python/bundle_v3_no_signed_time.txt"),
        &oauth("william@yossarian.net"),
    );
    let reason = o.result.expect_err("no signed time").to_string();
    assert!(
        reason.starts_with("bad Rekor SET: the bundle's log entry has no signed entry timestamp"),
        "{reason}"
    );
}

#[test]
fn staging_bundles_v0_1_to_v0_3_verify_against_the_staging_root_only() {
    // sigstore-python verifies these offline with `Verifier.staging(offline=True)`
    // (test_verifier.py test_verifier_bundle_offline).
    for (bundle, blob, who) in [
        (
            include_bytes!("../../tests/data/sigstore-python/bundle.txt.sigstore").as_slice(),
            include_bytes!("../../tests/data/sigstore-python/bundle.txt").as_slice(),
            "a@tny.town",
        ),
        (
            include_bytes!("../../tests/data/sigstore-python/bundle_v3.txt.sigstore"),
            include_bytes!("../../tests/data/sigstore-python/bundle_v3.txt"),
            "william@yossarian.net",
        ),
        (
            include_bytes!("../../tests/data/sigstore-python/bundle_v3_alt.txt.sigstore"),
            include_bytes!("../../tests/data/sigstore-python/bundle_v3_alt.txt"),
            "william@yossarian.net",
        ),
    ] {
        let o = over_blob(bundle, blob, &keyless(staging(), who, GITHUB_OAUTH));
        assert_eq!(o.result, Ok(()), "{who}");
        assert_eq!(identity(&o), Some(who));
        // Staging's Fulcio is no authority of the public-good root.
        let o = over_blob(bundle, blob, &keyless(public_good(), who, GITHUB_OAUTH));
        assert!(
            matches!(o.result, Err(Reason::UntrustedRoot { .. })),
            "{who}"
        );
    }
}

#[test]
fn staging_bundles_sigstore_python_rejects_are_rejected_with_their_reason() {
    let staging = |who: &str| keyless(staging(), who, GITHUB_OAUTH);
    // CVE-2022-36056: the log entry is of another signature (sigstore-python: "transparency
    // log entry is inconsistent with other materials").
    let o = over_blob(
        include_bytes!("../../tests/data/sigstore-python/bundle_cve_2022_36056.txt.sigstore"),
        include_bytes!("../../tests/data/sigstore-python/bundle_cve_2022_36056.txt"),
        &staging("william@yossarian.net"),
    );
    assert_eq!(
        o.result.expect_err("inconsistent entry").to_string(),
        "the Rekor entry does not record this signature: it records another signature"
    );
    // A v0.2 bundle whose inclusion proof has no checkpoint (sigstore-python: "entry must
    // contain inclusion proof, with checkpoint").
    let o = over_blob(
        include_bytes!("../../tests/data/sigstore-python/bundle_no_checkpoint.txt.sigstore"),
        include_bytes!("../../tests/data/sigstore-python/bundle_no_checkpoint.txt"),
        &staging("william@yossarian.net"),
    );
    assert_eq!(
        o.result.expect_err("no checkpoint").to_string(),
        "bad inclusion proof: its checkpoint is missing or unreadable"
    );
    // Rekor v2 (a tile log, time from an RFC 3161 timestamp): sigstore-python verifies it;
    // regscope says plainly it does not yet, rather than call the entry malformed.
    let o = over_blob(
        include_bytes!("../../tests/data/sigstore-python/staging-rekor-v2.txt.sigstore.json"),
        include_bytes!("../../tests/data/sigstore-python/staging-rekor-v2.txt"),
        &staging("jku@goto.fi"),
    );
    assert_eq!(
        o.result.expect_err("Rekor v2").to_string(),
        "bad Rekor SET: the bundle's log entry is a Rekor v2 entry (hashedrekord 0.0.2) with no signed entry timestamp; regscope does not verify Rekor v2 entries yet (cosign v3 and sigstore-go do)"
    );
}

#[test]
fn a_production_github_attestation_verifies_for_its_subject_and_no_other() {
    // GitHub's `actions/attest-build-provenance` through the reusable workflow: a v0.3 DSSE
    // bundle of SLSA provenance, a dsse 0.0.1 entry with SET, inclusion proof and
    // checkpoint; the shape GitHub attaches to container images. `gh attestation verify`
    // accepts it (verify_integration_test.go TestVerifyIntegrationReusableWorkflow).
    let bundle = include_bytes!(
        "../../tests/data/gh-attestation/reusable-workflow-attestation.sigstore.json"
    );
    let artifact = include_bytes!("../../tests/data/gh-attestation/reusable-workflow-artifact");
    let who = "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d";
    let verifier = keyless(public_good(), who, GITHUB_ACTIONS);
    let o = bundle::check(bundle, &sha256(artifact), None, &verifier, "");
    assert_eq!(o.result, Ok(()));
    assert!(o.attestation);
    assert_eq!(
        o.predicate_type.as_deref(),
        Some("https://slsa.dev/provenance/v1")
    );
    assert!(matches!(
        &o.signer,
        Some(Signer::Certificate { repository: Some(r), .. })
            if r == "https://github.com/malancas/attest-demo"
    ));
    // Another image: the statement names the artifact.
    let other = format!("sha256:{}", "0".repeat(64));
    let o = bundle::check(bundle, &other, None, &verifier, "");
    assert_eq!(
        o.result,
        Err(Reason::OtherImage {
            signed: sha256(artifact)
        })
    );
    // The same bundle with its SET's first byte changed: the log's word no longer holds.
    let text = std::str::from_utf8(bundle).expect("utf-8");
    let forged = text.replacen(
        "\"signedEntryTimestamp\": \"MEUCIBnC",
        "\"signedEntryTimestamp\": \"MEUCIBnD",
        1,
    );
    assert!(forged != text, "the SET to forge is in the file");
    let o = bundle::check(forged.as_bytes(), &sha256(artifact), None, &verifier, "");
    assert_eq!(
        o.result.expect_err("forged SET").to_string(),
        "bad Rekor SET: the signed entry timestamp does not verify with the key of https://rekor.sigstore.dev"
    );
}

#[test]
fn a_github_attestation_whose_signature_was_changed_does_not_verify() {
    // gh's `sigstoreBundle-invalid-signature.json`, which `gh attestation verify` rejects
    // (sigstore_integration_test.go "with invalid signature").
    let bundle =
        include_bytes!("../../tests/data/gh-attestation/sigstoreBundle-invalid-signature.json");
    let verifier = keyless(public_good(), "brian@dehamer.com", GITHUB_OAUTH);
    let o = bundle::check(
        bundle,
        &format!("sha256:{}", "0".repeat(64)),
        None,
        &verifier,
        "",
    );
    assert_eq!(o.result, Err(Reason::BadSignature));
}

#[test]
fn production_npm_provenance_bundles_verify_all_but_an_image_subject() {
    // sigstore-go's public-good DSSE bundles (v0.1, intoto 0.0.2 entries), which sigstore-go
    // verifies (signed_entity_test.go, docs/verification.md). Their subjects are npm
    // packages (sha512 only), so regscope verifies the certificate, signature and log entry
    // and then says the statement names no image: the log checks come first, so a forged
    // SET would fail with its own reason.
    for (bundle, who, issuer) in [
        (
            // `"inclusionProof": null`, as early sigstore-js wrote an absent proof.
            include_bytes!("../../tests/data/sigstore-go-public-good/bundle-provenance.json")
                .as_slice(),
            "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
            GITHUB_ACTIONS,
        ),
        (
            include_bytes!(
                "../../tests/data/sigstore-go-public-good/sigstore.js@2.0.0-provenance.sigstore.json"
            ),
            "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
            GITHUB_ACTIONS,
        ),
        (
            include_bytes!("../../tests/data/sigstore-go-public-good/dsse.sigstore.json"),
            "brian@dehamer.com",
            GITHUB_OAUTH,
        ),
        (
            include_bytes!("../../tests/data/sigstore-go-public-good/dsse-2sigs.sigstore.json"),
            "brian@dehamer.com",
            GITHUB_OAUTH,
        ),
    ] {
        let verifier = keyless(public_good(), who, issuer);
        let o = bundle::check(bundle, &format!("sha256:{}", "0".repeat(64)), None, &verifier, "");
        assert_eq!(
            o.result,
            Err(Reason::OtherImage {
                signed: "no image (the statement has no sha256 subject)".into()
            }),
            "{who}"
        );
        assert!(o.attestation);
        assert_eq!(identity(&o), Some(who));
    }
    let text = include_str!("../../tests/data/sigstore-go-public-good/bundle-provenance.json");
    let forged = text.replacen("MEYCIQCQxXRP", "MEYCIQCRxXRP", 1);
    assert!(forged != text, "the SET to forge is in the file");
    let verifier = keyless(
        public_good(),
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
        GITHUB_ACTIONS,
    );
    let o = bundle::check(
        forged.as_bytes(),
        &format!("sha256:{}", "0".repeat(64)),
        None,
        &verifier,
        "",
    );
    assert!(matches!(o.result, Err(Reason::BadSet(_))), "{:?}", o.result);
}

/// 46 cases of sigstore-conformance's `bundle-verify` suite (24 more Rekor v2 cases left out for size) (tests/data/sigstore-conformance)
/// and regscope's verdict: `None` verifies, else the reason's code. A name ending in `_fail`
/// is one the suite expects to fail; the cases marked DIFFERS are where regscope disagrees
/// today, each for the reason given.
const CONFORMANCE: [(&str, Option<&str>); 46] = [
    ("bundle-empty-certificate-chain_fail", Some("broken-chain")),
    ("bundle-from-wrong-instance_fail", Some("untrusted-root")),
    (
        "bundle-invalid-base64-signature_fail",
        Some("bad-message-signature"),
    ),
    ("bundle-malformed-json_fail", Some("not-bundle")),
    ("bundle-negative-log-index_fail", Some("bad-set")),
    ("bundle-unknown-version_fail", Some("not-supported")),
    // The suite's point is a root certificate inside the chain; regscope reads only the leaf
    // (trust comes from the trusted root alone) and fails it on its e-mail identity instead.
    ("bundle-with-root-cert_fail", Some("issuer-mismatch")),
    // DIFFERS: a Rekor v2 entry (time from an RFC 3161 timestamp), not verified yet.
    ("bundle-with-sct-with-extensions", Some("bad-set")),
    ("checkpoint-bad-keyhint_fail", Some("bad-inclusion-proof")),
    (
        "checkpoint-wrong-roothash_fail",
        Some("bad-inclusion-proof"),
    ),
    ("dsse-invalid-sig_fail", Some("bad-signature")),
    ("dsse-mismatch-envelope_fail", Some("log-entry-mismatch")),
    ("dsse-mismatch-sig_fail", Some("log-entry-mismatch")),
    ("happy-path-intoto-in-dsse-v3", None),
    ("happy-path-v0.1", None),
    ("happy-path-v0.2", None),
    ("happy-path-v0.3", None),
    ("happy-path-v0.3-new-mediaType", None),
    (
        "inclusion-proof-corrupted-hash_fail",
        Some("bad-inclusion-proof"),
    ),
    ("incorrect-public-key_fail", Some("bad-set")),
    ("integrated-time-in-future_fail", Some("expired-at-signing")),
    ("intoto-expired-certificate_fail", Some("untrusted-root")),
    ("intoto-log-entry-mismatch_fail", Some("log-entry-mismatch")),
    (
        "intoto-missing-inclusion-proof_fail",
        Some("bad-inclusion-proof"),
    ),
    (
        "intoto-set-outside-signing-cert-validity_fail",
        Some("expired-at-signing"),
    ),
    // The timestamp dates the signature outside the certificate's validity (the SET alone
    // would be inside it).
    (
        "intoto-tsa-timestamp-outside-cert-validity_fail",
        Some("bad-timestamp"),
    ),
    ("intoto-with-custom-trust-root", None),
    (
        "invalid-checkpoint-signature_fail",
        Some("bad-inclusion-proof"),
    ),
    // Its root's CT log key is another: the certificate's SCT does not verify.
    ("invalid-ct-key_fail", Some("bad-sct")),
    ("invalid-inclusion-proof_fail", Some("bad-inclusion-proof")),
    ("managed-key-and-trusted-root", None),
    ("managed-key-happy-path", None),
    ("managed-key-no-key_fail", Some("no-certificate")),
    // Its `key.pub` is not a key: regscope refuses the file before any bundle is read.
    ("managed-key-wrong-key_fail", Some("unreadable-key")),
    ("message-digest-mismatch_fail", Some("other-image")),
    // DIFFERS: Rekor v2, as above.
    ("rekor2-dsse-happy-path", Some("bad-set")),
    ("rekor2-happy-path", Some("bad-set")),
    ("set-invalid-signature_fail", Some("bad-set")),
    ("signature-mismatch_fail", Some("bad-signature")),
    // Its root's log key has no `validFor.start`: the root is refused before any bundle.
    (
        "trust-root-tlog-missing-validity-start_fail",
        Some("unusable-trusted-root"),
    ),
    ("trust-root-tlog-validity-end-inclusive", None),
    // DIFFERS: Rekor v2, as above.
    ("trust-root-tsa-validity-end-inclusive", Some("bad-set")),
    (
        "wrong-hashedrekord-artifact_fail",
        Some("log-entry-mismatch"),
    ),
    (
        "wrong-hashedrekord-cert-and-sig_fail",
        Some("log-entry-mismatch"),
    ),
    ("wrong-hashedrekord-entry_fail", Some("log-entry-mismatch")),
    ("wrong-material_fail", Some("other-image")),
];

/// The verdict on one conformance case, run as the suite's README says: `artifact` (else the
/// shared `a.txt`) is what was signed, or for a DSSE bundle the statement's subject;
/// `key.pub` means a keyed check; `identity`, `issuer` and `trusted_root.json` override the
/// suite's defaults (its beacon workflow, GitHub Actions, the public-good root).
fn conformance_case(dir: &std::path::Path, a_txt: &[u8]) -> Option<String> {
    let read = |f: &str| std::fs::read(dir.join(f)).ok();
    let text = |f: &str| read(f).map(|b| String::from_utf8_lossy(&b).trim().to_string());
    let bundle = read("bundle.sigstore.json").expect("every case has a bundle");
    let artifact = read("artifact").unwrap_or_else(|| a_txt.to_vec());
    let verifier = match read("key.pub") {
        Some(pem) => match super::PublicKey::from_pem(&pem) {
            Ok(key) => {
                // The case's own root when it has one (its log keys), else public-good.
                let root = dir.join("trusted_root.json");
                let root = root.exists().then_some(root.as_path());
                match super::keyed::Keyed::new(key, super::keyed::TlogMode::Note, root) {
                    Ok(k) => Verifier::Key(Box::new(k)),
                    Err(_) => return Some("unusable-trusted-root".into()),
                }
            }
            Err(_) => return Some("unreadable-key".into()),
        },
        None => keyless(
            match read("trusted_root.json").map(|b| TrustedRoot::parse(&b)) {
                None => public_good(),
                Some(Ok(root)) => root,
                Some(Err(_)) => return Some("unusable-trusted-root".into()),
            },
            &text("identity").unwrap_or_else(|| "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into()),
            &text("issuer").unwrap_or_else(|| GITHUB_ACTIONS.into()),
        ),
    };
    let o = bundle::check(&bundle, &sha256(&artifact), Some(&artifact), &verifier, "");
    o.result.err().map(|r| r.code().to_string())
}

#[test]
fn a_trusted_root_whose_log_key_has_no_validity_start_is_refused() {
    let root = include_bytes!(
        "../../tests/data/sigstore-conformance/trust-root-tlog-missing-validity-start_fail/trusted_root.json"
    );
    assert_eq!(
        TrustedRoot::parse(root).expect_err("no start").to_string(),
        "has a Rekor log (https://log2025-alpha1.rekor.sigstage.dev) whose key has no `publicKey.validFor.start`; a log key's validity must say when it began, as sigstore-go requires"
    );
}

#[test]
fn the_sigstore_conformance_bundle_suite_gives_the_expected_verdicts() {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sigstore-conformance"
    ));
    let a_txt = std::fs::read(root.join("a.txt")).expect("a.txt");
    let mut cases: Vec<String> = std::fs::read_dir(root)
        .expect("the suite")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.is_dir())
        .map(|p| {
            p.file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    cases.sort();
    // Every directory is in the table and every table row has its directory: none is skipped.
    let names: Vec<&str> = CONFORMANCE.iter().map(|(n, _)| *n).collect();
    assert_eq!(cases, names);
    let mut differs = 0;
    for (name, want) in CONFORMANCE {
        let got = conformance_case(&root.join(name), &a_txt);
        assert_eq!(got.as_deref(), want, "{name}");
        if got.is_some() != name.ends_with("_fail") {
            differs += 1;
        }
    }
    // Rekor v2 (4): RFC 3161 timestamps agree since they are read.
    assert_eq!(differs, 4);
}

#[test]
fn a_certificate_s_sct_must_come_from_a_ct_log_of_the_root_when_it_lists_any() {
    let bundle = include_bytes!("../../tests/data/sigstore-python/bundle_v3_github.whl.sigstore");
    let wheel = include_bytes!("../../tests/data/sigstore-python/bundle_v3_github.whl");
    let who =
        "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2";
    // The public-good root with staging's CT logs: the SCT's log is not among them.
    let mut root = public_good();
    root.ct_logs = staging().ct_logs;
    let o = over_blob(bundle, wheel, &keyless(root.clone(), who, GITHUB_ACTIONS));
    assert_eq!(
        o.result.expect_err("another CT log").to_string(),
        "the certificate is not shown logged in a CT log of the trusted root: its certificate-transparency timestamp (SCT) is from the CT log dd3d306ac6c7113263191e1c99673702a24a5eb8de3cadff878a72802f29ee8e, which the trusted root does not list for that date"
    );
    // A root that lists no CT log (a private Sigstore without one) asks for no SCT.
    root.ct_logs.clear();
    let o = over_blob(bundle, wheel, &keyless(root, who, GITHUB_ACTIONS));
    assert_eq!(o.result, Ok(()));
    // The SCT's log with another key (the conformance suite's `invalid-ct-key_fail`, which
    // also fails on the log's ID): the SCT does not verify.
    let mut root = public_good();
    let other = staging().ct_logs[0].key.clone();
    for log in &mut root.ct_logs {
        log.key = other.clone();
    }
    let o = over_blob(bundle, wheel, &keyless(root, who, GITHUB_ACTIONS));
    assert_eq!(
        o.result.expect_err("another CT key").to_string(),
        "the certificate is not shown logged in a CT log of the trusted root: its certificate-transparency timestamp (SCT) does not verify with the key of the CT log https://ctfe.sigstore.dev/2022"
    );
}

//! The TUI in a real terminal (tmux) against two registries behind TLS and htpasswd, each with
//! its own user (docker config `auths`): badges on the tags say what each carries, the tree
//! shows each attachment with where it was found, and `x` then `=` compares a tag of one
//! registry with a tag of the other, naming the signature the promotion lost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use base64::Engine as _;
use support::attach::seed_signed;
use support::sandbox::Sandbox;
use support::tmux::Tmux;
use support::{regscope_bin, TestRegistry};

const REPO: &str = "team/app";
const SOURCE_PASSWORD: &str = "Source-s3cret-pw";
const TARGET_PASSWORD: &str = "Target-s3cret-pw";

fn auth(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn badges_attachments_and_a_compare_across_two_credentialed_registries() {
    let source = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("internal-ci", SOURCE_PASSWORD)
        .start();
    let target = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("hub-bot", TARGET_PASSWORD)
        .start();
    seed_signed(&source, REPO, "v1");
    // Promoted without its signature and SBOM.
    target.seed_fixture("unsigned-index", &format!("{REPO}:v1"));

    let sandbox = Sandbox::new();
    sandbox.docker_config(&serde_json::json!({"auths": {
        (source.host.clone()): {"auth": auth("internal-ci", SOURCE_PASSWORD)},
        (target.host.clone()): {"auth": auth("hub-bot", TARGET_PASSWORD)},
    }}));
    let mut bundle = std::fs::read(source.ca_cert().expect("ca")).expect("ca");
    bundle.extend(std::fs::read(target.ca_cert().expect("ca")).expect("ca"));
    let ca = sandbox.path().join("cas.pem");
    std::fs::write(&ca, bundle).expect("ca bundle");
    let ca = ca.display().to_string();
    let start = format!("{}/{REPO}", source.host);
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
        (120, 32),
    );
    tmux.forbid(SOURCE_PASSWORD);
    tmux.forbid(TARGET_PASSWORD);

    // The tags: v1 is signed (its `.sig` tag), has an SBOM and provenance (BuildKit's).
    tmux.wait_for("tags of team/app");
    tmux.keys(&["/"]);
    tmux.keys(&["v", "1", "Enter"]);
    let screen = tmux.wait_for("S?BP");
    assert!(screen.contains("amd64 arm64"), "{screen}");

    // The tree: each attachment under its subject, with where it was found.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("via a cosign tag");
    assert!(screen.contains("signature"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of team/app");

    // Mark v1 here, open the target's v1, compare.
    tmux.keys(&["x"]);
    tmux.wait_for("marked");
    tmux.keys(&[":"]);
    for ch in format!("{}/{REPO}", target.host).chars() {
        tmux.keys(&[&ch.to_string()]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("{} ", target.host));
    tmux.keys(&["/"]);
    tmux.keys(&["v", "1", "Enter"]);
    tmux.wait_for("11.0 KiB");
    tmux.keys(&["="]);
    let screen = tmux.wait_for("DIFFERENT");
    assert!(screen.contains("same digest"), "{screen}");
    assert!(
        screen.contains("attachment only left: signature for index (sha256:"),
        "{screen}"
    );
    // The lost signature, said on its own as `regscope diff` says it.
    assert!(
        screen.contains("signing: signed (cosign signature"),
        "{screen}"
    );
    // No policy covers either registry: presence only, and said so.
    tmux.wait_for_flowed(&format!(
        "unsigned at {}/{REPO}:v1 (not verified: no policy)",
        target.host
    ));
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// A registry that keeps a signature only in the referrers API (as ECR and Harbor can),
/// behind HTTP Basic: the tag row says "signed" before its tree is opened, from the API's
/// listing alone. Attachment tags (`sha256-<hex>.sig`) are not rows unless `a` asks for them;
/// the title counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_only_the_referrers_api_lists_badges_its_tag_row() {
    use regscope::serve::{self, Faults};
    use serde_json::json;
    use support::{fixture, layout_root_digest, OCI_MANIFEST};

    const PASSWORD: &str = "Api-s3cret-pw";
    let layout = fixture("unsigned-index");
    let root = layout_root_digest(&layout);
    let mut store = serve::Store::from_layout(&layout).expect("store");
    store.tag("v1", root.clone());
    let bundle =
        store.add_blob(&br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#[..]);
    let empty = store.add_blob(&b"{}"[..]);
    let bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let signature = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": bundle_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": bundle_type, "digest": bundle, "size": 60}],
        "subject": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": root, "size": 1}
    });
    store.add_manifest(serde_json::to_vec(&signature).expect("json"), OCI_MANIFEST);
    // A cosign tag left by some other image: not a row until `a`.
    let other = format!("sha256-{}.sig", "e".repeat(64));
    store.tag(other.clone(), root.clone());
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        [(REPO.to_string(), store)],
        Faults {
            basic_auth: Some(("api-bot".into(), PASSWORD.into())),
            ..Faults::default()
        },
    )
    .await
    .expect("server");

    let sandbox = Sandbox::new();
    sandbox.docker_config(&serde_json::json!({"auths": {
        (srv.host()): {"auth": auth("api-bot", PASSWORD)},
    }}));
    let start = format!("{}/{REPO}", srv.host());
    let mut tmux = Tmux::start_command(&sandbox.argv(&regscope_bin(), &["tui", &start]), (120, 32));
    tmux.forbid(PASSWORD);

    tmux.wait_for("1 attachment tag hidden: a");
    // `S`: only the referrers API knows of the signature; the tree has not been opened.
    let screen = tmux.wait_for("S?BP");
    assert!(!screen.contains(&other), "{screen}");
    assert!(
        srv.requests().iter().any(|r| r
            .target
            .starts_with(&format!("/v2/{REPO}/referrers/{root}"))),
        "the row asked the referrers API"
    );
    tmux.keys(&["a"]);
    let screen = tmux.wait_for(&other[..20]);
    assert!(screen.contains("1 attachment tag)"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
    assert!(srv
        .requests()
        .iter()
        .all(|r| r.method == "GET" || r.method == "HEAD"));
}

/// A `[verify."PATTERN"]` policy in the config file, against docker-registry behind htpasswd
/// and TLS: the tag row of an image whose signature does not verify with the policy's key says
/// `S✗`, its tree says so on the root, on the signature's row (with the reason) and among its
/// findings (`signature-unverified`); an image signed with the key is `S✓` everywhere.
#[test]
fn a_signature_policy_verifies_in_the_tui() {
    use support::attach::{
        push_cosign_attestations, push_cosign_layers, simple_signing, statement, KeyKind,
        SigningKey,
    };
    use support::{fixture, layout_root_digest};
    const PASSWORD: &str = "Policy-s3cret-pw";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("policy-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let key = SigningKey::generate(sandbox.path(), "cosign", KeyKind::P256);
    let root = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/app", &root);
    reg.seed_fixture("unsigned-index", &format!("{REPO}:v1"));
    push_cosign_layers(&reg, REPO, &root, &[key.layer(&payload)]);
    reg.seed_fixture("unsigned-index", "team/forged:v1");
    let (_, signature) = key.layer(&payload);
    let forged = simple_signing("evil.example/team/app", &root);
    push_cosign_layers(&reg, "team/forged", &root, &[(forged, signature)]);
    // An attestation each (cosign `.att`): whole in team/app, changed after signing in forged.
    let provenance = statement(&root, "https://slsa.dev/provenance/v0.2");
    push_cosign_attestations(&reg, REPO, &root, &[key.envelope(&provenance, &provenance)]);
    let changed = statement(&root, "https://evil.example/predicate");
    push_cosign_attestations(
        &reg,
        "team/forged",
        &root,
        &[key.envelope(&changed, &provenance)],
    );

    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("policy-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nkey = \"{}\"\n",
        reg.host,
        key.public.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    // The forged payload names another reference: its signature no longer verifies.
    for (repo, unverified) in [("team/forged", true), (REPO, false)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        // The tag row: the policy's mark beside the SBOM and provenance letters.
        let badge = if unverified { "S✗BP" } else { "S✓BP" };
        tmux.wait_for(badge);
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via a cosign tag");
        if unverified {
            let screen = tmux.wait_for("signature-unverified");
            assert!(
                screen.contains("no signature of this image verifies"),
                "{screen}"
            );
            // The root's mark and the signature row's, its whole reason in the detail pane.
            assert!(
                screen.contains("S✗ not signed by the policy's key"),
                "{screen}"
            );
            assert!(screen.contains("signature  S✗ bad signature"), "{screen}");
            assert!(screen.contains("attestation  S✗ bad signature"), "{screen}");
            assert!(
                screen.contains("signature policy: S✗ no signature of this image verifies"),
                "{screen}"
            );
            tmux.keys(&["G"]);
            tmux.wait_for("S✗ the signature does not verify");
        } else {
            assert!(!screen.contains("signature-unverified"), "{screen}");
            assert!(screen.contains("S✓ signed"), "{screen}");
            // Each row names the key it verified with (the path, as the policy names it).
            assert!(
                screen.contains("signature  S✓ signed by key cosign.pub  sha256:"),
                "{screen}"
            );
            assert!(
                screen.contains("provenance  S✓ signed by key cosign.pub  sha256:"),
                "{screen}"
            );
            // The attestation (last), its predicate type; then the signature above it.
            tmux.keys(&["G"]);
            tmux.wait_for("signature policy: S✓ attestation (https://slsa.dev/provenance/v0.2)");
            tmux.keys(&["k"]);
            tmux.wait_for_flowed("signature policy: S✓ verified: signed by key /");
            compare_by_policy(&mut tmux, &reg.host);
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// From the tree of `team/app:v1` (signed with the policy's key): `x` marks it, `=` compares it
/// with `team/forged:v1`, whose signature does not verify. The compare view judges signing by
/// the policy, in `regscope diff`'s words: present on both sides, verified on one.
fn compare_by_policy(tmux: &mut Tmux, host: &str) {
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["x"]);
    tmux.wait_for("marked");
    tmux.keys(&[":"]);
    for ch in format!("{host}/team/forged").chars() {
        tmux.keys(&[&ch.to_string()]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/forged");
    tmux.keys(&["/"]);
    tmux.keys(&["v", "1", "Enter"]);
    tmux.wait_for("S✗BP");
    tmux.keys(&["="]);
    tmux.wait_for("DIFFERENT");
    let screen = tmux.wait_for_flowed(&format!(
        "(verified) at {host}/team/app:v1, no signature that verifies at {host}/team/forged:v1 (sha256:"
    ));
    assert!(screen.contains("signing: signed by key /"), "{screen}");
    tmux.keys(&["Escape"]);
}

/// A keyless policy (`identity`, `issuer`, `trusted_root`) in the TUI, against docker-registry
/// behind htpasswd and TLS, with a throw-away Sigstore: the image signed by the wanted identity
/// is `S✓`; the one signed by another identity is `S✗`, its signature row says `identity
/// mismatch` and the detail pane both identities.
#[test]
fn a_keyless_policy_verifies_in_the_tui() {
    use support::attach::{push_cosign_layers, simple_signing};
    use support::sigstore::{layer, now, trusted_root, Ca, Log, Logged};
    use support::{fixture, layout_root_digest};
    const PASSWORD: &str = "Keyless-s3cret-pw";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("keyless-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rekor = Log::new(d, "rekor");
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "ci", "email:ci@example.com", issuer);
    let dev = fulcio.leaf(d, "dev", "email:dev@example.com", issuer);
    let root = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/app", &root);
    for (repo, leaf) in [(REPO, &ci), ("team/other", &dev)] {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let l = layer(leaf, &payload, &Logged::At(&rekor, now()));
        push_cosign_layers(&reg, repo, &root, &[l]);
    }
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("keyless-bot", PASSWORD)},
    }}));
    // A regexp: the TUI names the certificate's identity, not the pattern.
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nidentity_regexp = \"^ci@\"\nissuer = \"{issuer}\"\ntrusted_root = \"{}\"\n",
        reg.host,
        root_file.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, verified) in [(REPO, true), ("team/other", false)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if verified { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via a cosign tag");
        if verified {
            assert!(screen.contains("S✓ signed"), "{screen}");
            assert!(
                screen.contains("signature  S✓ signed by ci@example.com"),
                "{screen}"
            );
            tmux.keys(&["G"]);
            tmux.wait_for_flowed(
                "signature policy: S✓ verified: signed by ci@example.com (issuer https://token.actions.example), with identity /^ci@/ from",
            );
        } else {
            let screen = tmux.wait_for("signature-unverified");
            assert!(
                screen.contains("signature  S✗ identity mismatch"),
                "{screen}"
            );
            assert!(
                screen.contains("S✗ not signed by the policy's identity"),
                "{screen}"
            );
            tmux.keys(&["G"]);
            // Who the certificate claims, never "signed by"; the reason with both identities.
            let screen = tmux.wait_for_flowed(
                "signature policy: S✗ claims to be signed by dev@example.com (issuer https://token.actions.example) (not verified: identity dev@example.com, policy wants /^ci@/)",
            );
            assert!(!screen.contains("S✗ signed by"), "{screen}");
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// A key policy that requires the transparency-log entry (`require_tlog = true`, with the
/// throw-away Sigstore's `trusted_root`) in the TUI, against docker-registry behind htpasswd
/// and TLS: the image whose keyed signature carries a valid Rekor entry is `S✓` and its detail
/// says where and when it was logged; the one whose signature has no entry is `S✗`, its row
/// says `no log entry` and the detail pane why.
#[test]
fn a_keyed_signature_s_log_entry_is_judged_in_the_tui() {
    use support::attach::{push_cosign_layers, simple_signing, KeyKind, SigningKey};
    use support::sigstore::{key_signer, layer, now, trusted_root, without_certificate};
    use support::sigstore::{Ca, Log, Logged};
    use support::{fixture, layout_root_digest};
    const PASSWORD: &str = "Keyed-s3cret-pw";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("keyed-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rekor = Log::new(d, "rekor");
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let key = SigningKey::generate(d, "cosign", KeyKind::P256);
    let me = key_signer(&key, &key);
    let root = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/app", &root);
    let t = now();
    for (repo, logged) in [(REPO, Logged::At(&rekor, t)), ("team/nolog", Logged::Not)] {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let l = without_certificate(layer(&me, &payload, &logged));
        push_cosign_layers(&reg, repo, &root, &[l]);
    }
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("keyed-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nkey = \"{}\"\ntrusted_root = \"{}\"\nrequire_tlog = true\n",
        reg.host,
        key.public.display(),
        root_file.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, verified) in [(REPO, true), ("team/nolog", false)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if verified { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via a cosign tag");
        if !verified {
            // The root's findings, before G moves to the signature row (which has none).
            let screen = tmux.wait_for("signature-unverified");
            assert!(screen.contains("signature  S✗ no log entry"), "{screen}");
        }
        tmux.keys(&["G"]);
        if verified {
            assert!(screen.contains("S✓ signed"), "{screen}");
            tmux.wait_for_flowed("logged in https://rekor.test at index 7 on ");
        } else {
            tmux.wait_for_flowed(
                "signature policy: S✗ no transparency-log entry in the signature, and the policy requires one",
            );
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// A policy with a key and a keyless identity in one pattern, in the TUI against
/// docker-registry behind htpasswd and TLS: the image signed keylessly by the identity and the
/// one signed with the key are both `S✓`, each row naming its own signer; the one signed with
/// a stranger's key is `S✗`, its row `bad signature`, the root `not signed as the policy wants`.
#[test]
fn a_policy_of_a_key_and_an_identity_verifies_either_kind_in_the_tui() {
    use support::attach::{push_cosign_layers, simple_signing, KeyKind, SigningKey};
    use support::sigstore::{layer, now, trusted_root, Ca, Log, Logged};
    use support::{fixture, layout_root_digest};
    const PASSWORD: &str = "Mixed-s3cret-pw";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("mixed-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rekor = Log::new(d, "rekor");
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "ci", "email:ci@example.com", issuer);
    let (key, stranger) = (
        SigningKey::generate(d, "mixed", KeyKind::P256),
        SigningKey::generate(d, "stranger", KeyKind::P256),
    );
    let root = layout_root_digest(&fixture("unsigned-index"));
    let payload = simple_signing("registry.internal:5000/team/app", &root);
    let signed = [
        (REPO, layer(&ci, &payload, &Logged::At(&rekor, now()))),
        ("team/keyed", key.layer(&payload)),
        ("team/stranger", stranger.layer(&payload)),
    ];
    for (repo, l) in signed {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        push_cosign_layers(&reg, repo, &root, &[l]);
    }
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("mixed-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nkey = \"{}\"\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"{}\"\n",
        reg.host,
        key.public.display(),
        root_file.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, row) in [
        (REPO, Some("signature  S✓ signed by ci@example.com")),
        ("team/keyed", Some("signature  S✓ signed by key mixed.pub")),
        ("team/stranger", None),
    ] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if row.is_some() { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        tmux.wait_for("via a cosign tag");
        if let Some(row) = row {
            let screen = tmux.wait_for(row);
            assert!(screen.contains("S✓ signed"), "{repo}: {screen}");
        } else {
            let screen = tmux.wait_for("signature-unverified");
            assert!(
                screen.contains("signature  S✗ bad signature")
                    && screen.contains("S✗ not signed as the policy wants"),
                "{screen}"
            );
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// Keyless message-signature Sigstore bundles (OCI 1.1 referrers) under a keyless policy in
/// the TUI, against docker-registry behind htpasswd and TLS: the bundle whose `hashedrekord`
/// entry records its digest, signature and certificate is `S✓`; one whose entry records
/// another certificate is `S✗`, its row says `log entry mismatch` and the detail pane which
/// field differs; one whose entry has no SET and whose only RFC 3161 timestamp is of other
/// bytes is `S✗ bad timestamp`, the detail pane saying which check failed.
#[test]
fn keyless_message_signature_bundles_verify_in_the_tui() {
    use sha2::Digest as _;
    use support::attach::{fixture_index_bytes, push_artifact, push_schema_index};
    use support::sigstore::{
        hashedrekord_entry, message_bundle, now, tlog_entry, trusted_root, Ca, Log, Logged,
    };
    use support::{fixture, layout_root};
    const PASSWORD: &str = "Message-s3cret-pw";
    const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("message-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rekor = Log::new(d, "rekor");
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "ci", "email:ci@example.com", issuer);
    let dev = fulcio.leaf(d, "dev", "email:dev@example.com", issuer);
    let root = layout_root(&fixture("unsigned-index"));
    let subject = (
        root["digest"].as_str().expect("digest"),
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let artifact = fixture_index_bytes();
    let digest = sha2::Sha256::digest(&artifact).to_vec();
    let sig = ci.key.sign(&artifact);
    for (repo, logged_pem) in [(REPO, &ci.pem), ("team/other", &dev.pem)] {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let entry = hashedrekord_entry(logged_pem, &hex::encode(&digest), &sig);
        let tlog: Vec<_> = tlog_entry(&entry, &Logged::At(&rekor, now()))
            .into_iter()
            .collect();
        let bundle = message_bundle(Some(&ci), &digest, &sig, &tlog);
        let (m, size) = push_artifact(&reg, repo, subject, BUNDLE, BUNDLE, &bundle);
        push_schema_index(&reg, repo, subject.0, &[(m, size, BUNDLE.to_string())]);
    }
    // `team/stamped`: the entry without its SET, dated only by an RFC 3161 timestamp of
    // other bytes from a TSA the root lists.
    let tsa = support::sigstore::Tsa::new(d, "test-tsa");
    let mut trusted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&root_file).expect("root")).expect("root");
    trusted["timestampAuthorities"] = serde_json::json!([tsa.authority()]);
    std::fs::write(&root_file, serde_json::to_vec(&trusted).expect("json")).expect("root");
    reg.seed_fixture("unsigned-index", "team/stamped:v1");
    let entry = hashedrekord_entry(&ci.pem, &hex::encode(&digest), &sig);
    let tlog: Vec<_> = tlog_entry(&entry, &Logged::At(&rekor, now()))
        .into_iter()
        .collect();
    let bundle = support::sigstore::stamped(
        &message_bundle(Some(&ci), &digest, &sig, &tlog),
        &[tsa.stamp(b"other bytes", false)],
        true,
    );
    let (m, size) = push_artifact(&reg, "team/stamped", subject, BUNDLE, BUNDLE, &bundle);
    push_schema_index(
        &reg,
        "team/stamped",
        subject.0,
        &[(m, size, BUNDLE.to_string())],
    );
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("message-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"{}\"\n",
        reg.host,
        root_file.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, verified) in [(REPO, true), ("team/other", false), ("team/stamped", false)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if verified { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via the referrers tag");
        if verified {
            assert!(screen.contains("S✓ signed"), "{screen}");
            assert!(
                screen.contains("signature  S✓ signed by ci@example.com"),
                "{screen}"
            );
        } else if repo == "team/stamped" {
            let screen = tmux.wait_for("signature-unverified");
            assert!(screen.contains("S✗ bad timestamp"), "{screen}");
            tmux.keys(&["G"]);
            tmux.wait_for_flowed(
                "bad RFC 3161 timestamp: it timestamps other bytes: its message imprint is not the hash of this signature",
            );
        } else {
            let screen = tmux.wait_for("signature-unverified");
            assert!(screen.contains("S✗ log entry mismatch"), "{screen}");
            tmux.keys(&["G"]);
            tmux.wait_for("signature policy: S✗ claims to be signed by ci@example.com");
            tmux.wait_for_flowed(
                "the Rekor entry does not record this signature: it records another certificate",
            );
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// A notation policy (`notation = true` with the trust policy and store named) in the TUI,
/// against docker-registry behind htpasswd and TLS, the signatures notation JWS envelopes in
/// OCI 1.1 referrers: the image signed by the trusted subject is `S✓`, and so is the one whose
/// signature is a COSE envelope (`application/cose`); the one signed by a certificate of
/// another CA is `S✗`, its signature row says `untrusted root` and the detail pane names the
/// root and the trust policy.
#[test]
fn a_notation_policy_verifies_in_the_tui() {
    use support::attach::KeyKind;
    use support::notation::{
        cose, jws, push_signature, push_signatures_as, trust_store, Cert, Envelope,
    };
    use support::{fixture, layout_root};
    const PASSWORD: &str = "Notation-s3cret-pw";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("notation-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let acme = Cert::root(d, "acme", "/C=US/ST=WA/O=acme/CN=acme root");
    let rogue = Cert::root(d, "rogue", "/C=US/ST=WA/O=rogue/CN=rogue root");
    let dn = "/C=US/ST=WA/O=acme/CN=builder";
    let builder = acme.leaf(d, "builder", dn, KeyKind::P256);
    let impostor = rogue.leaf(d, "impostor", dn, KeyKind::P256);
    let store = d.join("truststore");
    trust_store(&store, "acme", &acme);
    let policy = d.join("trustpolicy.json");
    std::fs::write(
        &policy,
        serde_json::json!({"version": "1.0", "trustPolicies": [{
            "name": "acme-images", "registryScopes": ["*"],
            "signatureVerification": {"level": "strict"},
            "trustStores": ["ca:acme"],
            "trustedIdentities": ["x509.subject: C=US, ST=WA, O=acme, CN=builder"]
        }]})
        .to_string(),
    )
    .expect("policy");
    let root = layout_root(&fixture("unsigned-index"));
    let subject = (
        root["digest"].as_str().expect("digest"),
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    for (repo, leaf, ca) in [(REPO, &builder, &acme), ("team/other", &impostor, &rogue)] {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let envelope = jws(leaf, &[ca], subject, &Envelope::default());
        push_signature(&reg, repo, subject, &[envelope]);
    }
    reg.seed_fixture("unsigned-index", "team/cose:v1");
    let envelope = cose(&builder, &[&acme], subject, &Envelope::default());
    push_signatures_as(&reg, "team/cose", subject, "application/cose", &[envelope]);
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("notation-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nnotation = true\ntrust_policy = \"{}\"\ntrust_store = \"{}\"\n",
        reg.host,
        policy.display(),
        store.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, verified) in [(REPO, true), ("team/other", false), ("team/cose", true)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if verified { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via the referrers tag");
        if verified {
            assert!(screen.contains("S✓ signed"), "{screen}");
            // The leaf's subject, not the trust policy's file.
            assert!(
                screen.contains("signature  S✓ signed by CN=builder  sha256:"),
                "{screen}"
            );
            tmux.keys(&["G"]);
            tmux.wait_for_flowed("signature policy: S✓ verified: signed by C=US, ST=WA, O=acme, CN=builder (trust policy acme-images), with the notation trust policy");
            if repo == "team/cose" {
                // The envelope's row names its kind and the signer its `x5chain` holds.
                tmux.keys(&["Right"]);
                tmux.wait_for("notation signature (COSE), signer C=US, ST=WA, O=acme,");
            }
        } else {
            let screen = tmux.wait_for("signature-unverified");
            assert!(screen.contains("signature  S✗ untrusted root"), "{screen}");
            assert!(
                screen.contains("S✗ not signed as the trust policy wants"),
                "{screen}"
            );
            tmux.keys(&["G"]);
            tmux.wait_for_flowed("signature policy: S✗ claims to be signed by C=US, ST=WA, O=acme, CN=builder (trust policy acme-images) (not verified: the certificate chain ends at");
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// cosign v3's Sigstore bundle referrers under a key policy in the TUI, against docker-registry
/// behind htpasswd and TLS: a bundle signing the image with the policy's key is `S✓`; one whose
/// envelope was changed after signing is `S✗`, its row saying `bad signature`.
#[test]
fn sigstore_bundles_verify_with_the_policy_s_key_in_the_tui() {
    use support::attach::{push_artifact, push_schema_index, statement, KeyKind, SigningKey};
    use support::{fixture, layout_root};
    const PASSWORD: &str = "Bundle-s3cret-pw";
    const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("bundle-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let key = SigningKey::generate(sandbox.path(), "cosign", KeyKind::P256);
    let root = layout_root(&fixture("unsigned-index"));
    let digest = root["digest"].as_str().expect("digest");
    let subject = (
        digest,
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let sign = statement(digest, "https://sigstore.dev/cosign/sign/v1");
    let other = statement(&format!("sha256:{}", "f".repeat(64)), "x");
    for (repo, signed) in [(REPO, &sign), ("team/forged", &other)] {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let envelope: serde_json::Value =
            serde_json::from_slice(&key.envelope(&sign, signed)).expect("envelope");
        let bundle = serde_json::to_vec(&serde_json::json!({
            "mediaType": BUNDLE,
            "verificationMaterial": {"publicKey": {"hint": "test"}, "tlogEntries": []},
            "dsseEnvelope": envelope,
        }))
        .expect("json");
        let (d, s) = push_artifact(&reg, repo, subject, BUNDLE, BUNDLE, &bundle);
        push_schema_index(&reg, repo, digest, &[(d, s, BUNDLE.to_string())]);
    }
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("bundle-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nkey = \"{}\"\n",
        reg.host,
        key.public.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, verified) in [(REPO, true), ("team/forged", false)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if verified { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via the referrers tag");
        if verified {
            assert!(screen.contains("S✓ signed"), "{screen}");
            assert!(
                screen.contains("signature  S✓ signed by key cosign.pub"),
                "{screen}"
            );
        } else {
            let screen = tmux.wait_for("signature-unverified");
            assert!(screen.contains("S✗ bad signature"), "{screen}");
            assert!(
                screen.contains("S✗ not signed by the policy's key"),
                "{screen}"
            );
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// The real public keyless signature (tests/data/sigstore-public-good) in the TUI, against
/// docker-registry behind htpasswd and TLS, with a keyless policy in the config file that
/// names no trusted root (the embedded public-good one): the tag is `S✓`, the tree says the
/// index is signed and the signature row names the workflow that signed (not the regexp it
/// matched), and the detail pane the workflow, its issuer and the policy it satisfied.
#[test]
fn a_real_public_keyless_signature_verifies_in_the_tui() {
    use support::attach::{
        seed_public_good_signature, PUBLIC_GOOD_IDENTITY, PUBLIC_GOOD_ISSUER, PUBLIC_GOOD_REPO,
    };
    const PASSWORD: &str = "Public-good-s3cret-pw";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("verifier", PASSWORD)
        .start();
    seed_public_good_signature(&reg);
    let sandbox = Sandbox::new();
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("verifier", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/salrashid123/*\"]\nidentity_regexp = \"^https://github.com/salrashid123/\"\nissuer = \"{PUBLIC_GOOD_ISSUER}\"\n",
        reg.host,
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    let start = format!("{}/{PUBLIC_GOOD_REPO}", reg.host);
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
        (200, 45),
    );
    tmux.forbid(PASSWORD);
    tmux.wait_for("S✓");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("via a cosign tag");
    assert!(screen.contains("S✓ signed"), "{screen}");
    // The workflow that signed, not the pattern it matched.
    assert!(
        screen
            .contains("signature  S✓ signed by https://github.com/salrashid123/go-baze…  sha256:"),
        "{screen}"
    );
    tmux.keys(&["G"]);
    // The detail pane breaks the workflow URI (no space in it) where the pane ends.
    let screen =
        tmux.wait_for_flowed("signature policy: S✓ verified: signed by https://github.com/");
    let unbroken = support::tmux::flowed(&screen).replace(' ', "");
    let wanted = format!(
        "signaturepolicy:S✓verified:signedby{PUBLIC_GOOD_IDENTITY}(issuer{PUBLIC_GOOD_ISSUER}),withidentity/^https://github.com/salrashid123//from{PUBLIC_GOOD_ISSUER}(Sigstore'spublic-goodroot)"
    );
    assert!(unbroken.contains(&wanted), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// cosign v3's keyless Sigstore bundles and cosign v2's keyless `.att` attestations under a
/// keyless policy in the TUI, against docker-registry behind htpasswd and TLS: a bundle by the
/// wanted identity, logged while its certificate was valid (its SET and inclusion proof checked),
/// is `S✓` and the keyless attestation's row `S✓ verified`; a bundle
/// logged after its certificate expired is `S✗ expired at signing`.
#[test]
fn keyless_bundles_and_attestations_verify_in_the_tui() {
    use support::attach::{push_artifact, push_cosign_layers_as, push_schema_index, statement};
    use support::sigstore::{
        attestation_layer, dsse_bundle, envelope_entry, now, trusted_root, Ca, EntryKind, Log,
        Logged,
    };
    use support::{fixture, layout_root};
    const PASSWORD: &str = "Keyless-bundle-s3cret";
    const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("bundle-bot", PASSWORD)
        .start();
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let fulcio_root = Ca::root(d, "test-fulcio");
    let fulcio = fulcio_root.intermediate(d, "test-fulcio-intermediate");
    let rekor = Log::new(d, "rekor");
    let root_file = d.join("trusted_root.json");
    std::fs::write(&root_file, trusted_root((&fulcio_root, &fulcio), &rekor)).expect("root");
    let issuer = "https://token.actions.example";
    let ci = fulcio.leaf(d, "ci", "email:ci@example.com", issuer);
    let root = layout_root(&fixture("unsigned-index"));
    let digest = root["digest"].as_str().expect("digest");
    let subject = (
        digest,
        root["mediaType"].as_str().expect("media type"),
        usize::try_from(root["size"].as_u64().expect("size")).expect("size"),
    );
    let sign = statement(digest, "https://sigstore.dev/cosign/sign/v1");
    let envelope = ci.key.envelope(&sign, &sign);
    let entry = envelope_entry(&ci, &envelope, EntryKind::Dsse);
    let t = now();
    for (repo, at) in [(REPO, t), ("team/late", t + 3 * 86_400)] {
        reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
        let bundle = dsse_bundle(&ci, &envelope, &entry, &Logged::At(&rekor, at));
        let (d, s) = push_artifact(&reg, repo, subject, BUNDLE, BUNDLE, &bundle);
        push_schema_index(&reg, repo, digest, &[(d, s, BUNDLE.to_string())]);
    }
    let provenance = statement(digest, "https://slsa.dev/provenance/v1");
    let att = ci.key.envelope(&provenance, &provenance);
    let att_entry = envelope_entry(&ci, &att, EntryKind::Intoto);
    let layer = attestation_layer(&ci, &att, &att_entry, &Logged::At(&rekor, t));
    push_cosign_layers_as(&reg, REPO, digest, "att", &[layer]);
    sandbox.docker_config(&serde_json::json!({"auths": {
        (reg.host.clone()): {"auth": auth("bundle-bot", PASSWORD)},
    }}));
    sandbox.regscope_config(&format!(
        "[verify.\"{}/team/*\"]\nidentity = \"ci@example.com\"\nissuer = \"{issuer}\"\ntrusted_root = \"{}\"\n",
        reg.host,
        root_file.display()
    ));
    let ca = reg.ca_cert().expect("ca").display().to_string();
    for (repo, verified) in [(REPO, true), ("team/late", false)] {
        let start = format!("{}/{repo}", reg.host);
        let mut tmux = Tmux::start_command(
            &sandbox.argv(&regscope_bin(), &["tui", &start, "--ca-file", &ca]),
            (160, 40),
        );
        tmux.forbid(PASSWORD);
        tmux.wait_for(if verified { "S✓" } else { "S✗" });
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("via the referrers tag");
        if verified {
            assert!(screen.contains("S✓ signed"), "{screen}");
            assert!(
                screen.contains("signature  S✓ signed by ci@example.com"),
                "{screen}"
            );
            assert!(
                screen.contains("provenance  S✓ signed by ci@example.com"),
                "{screen}"
            );
            // The last row is the attestation; the one above it the bundle's signature.
            tmux.keys(&["G"]);
            tmux.wait_for("signature policy: S✓ attestation (https://slsa.dev/provenance/v1)");
            tmux.keys(&["Up"]);
            tmux.wait_for("signature policy: S✓ verified: signed by ci@example.com");
        } else {
            let screen = tmux.wait_for("signature-unverified");
            assert!(screen.contains("S✗ expired at signing"), "{screen}");
            assert!(
                screen.contains("S✗ not signed by the policy's identity"),
                "{screen}"
            );
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

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
    let screen = tmux.wait_for("SBP");
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
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

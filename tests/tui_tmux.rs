//! The TUI end to end in a real terminal (tmux) against a real docker-registry: browse the
//! catalog, the platform matrix and the help, filter the tags, open a tag's tree, look at raw
//! JSON, go back, quit.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;

use support::tmux::Tmux;
use support::{regscope_bin, TestRegistry};

#[test]
fn browse_a_registry_from_catalog_to_raw_json_and_quit() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    reg.seed_fixture("no-provenance-index", "team/app:v6");
    reg.seed_fixture("unsigned-image", "team/tool:1");
    browse(&regscope_bin(), &["tui", &reg.host], &reg.host);
}

/// The walk-through, for any program that takes the TUI target last.
fn browse(program: &Path, args: &[&str], host: &str) {
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(program, args, state.path());
    let screen = tmux.wait_for("team/tool");
    assert!(
        screen.contains(host),
        "breadcrumb names the registry:\n{screen}"
    );
    assert!(screen.contains("repositories (2)"), "{screen}");

    tmux.keys(&["Enter"]);
    // Both tags resolve on their own: digest, platforms, attestations, worst finding.
    tmux.wait_for("11.0 KiB");
    let screen = tmux.wait_for("3.1 KiB");
    assert!(screen.contains("amd64 arm64"), "{screen}");

    // The platform matrix: both tags offer amd64 and arm64, each attested.
    tmux.keys(&["m"]);
    let screen = tmux.wait_for("platforms of team/app (2 tags, 2 platforms)");
    assert!(screen.contains("amd64 arm64"), "{screen}");
    assert_eq!(screen.matches("● ◆   ● ◆").count(), 2, "{screen}");
    assert!(screen.contains("runs on all 2 platforms"), "{screen}");
    // Help lists the tags view's own keys, generated from the key map.
    tmux.keys(&["?"]);
    let screen = tmux.wait_for("switch list / platform matrix");
    assert!(
        screen.contains("copy registry/repository@digest"),
        "{screen}"
    );
    tmux.keys(&["?"]);
    tmux.wait_for("runs on all 2 platforms");
    // y copies the digest (OSC 52 to the terminal) and says so.
    tmux.keys(&["y"]);
    tmux.wait_for("copied sha256:");
    tmux.keys(&["m"]);
    tmux.wait_for("tags of team/app");
    // s orders the rows newest first and says so; r re-lists without emptying the screen.
    tmux.keys(&["s"]);
    tmux.wait_for("newest first");
    tmux.keys(&["s"]);
    tmux.wait_for("by name");
    tmux.keys(&["r"]);
    let screen = tmux.screen();
    assert!(screen.contains("v6") && screen.contains("v7"), "{screen}");
    tmux.wait_for("3.1 KiB");

    tmux.keys(&["/", "v", "7", "Enter"]);
    let screen = tmux.wait_for("/v7 ");
    assert!(
        !screen.contains("3.1 KiB"),
        "the filter hides v6:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("attestation for linux/amd64");
    assert!(screen.contains("attestation-manifest"), "{screen}");

    tmux.keys(&["v"]);
    tmux.wait_for("\"schemaVersion\": 2");
    tmux.keys(&["Escape"]);
    tmux.wait_for("findings:");
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of team/app");

    // The repository opened from the catalog is remembered for the start screen.
    let recent = std::fs::read_to_string(state.path().join("recent")).unwrap();
    assert_eq!(recent, format!("{host}/team/app\n"));

    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0, "q quits cleanly");
}

/// The README's "run it" command in a real terminal: the demo opens the TUI on its own registry,
/// and the Lambda case shows its attestation entries and the fix.
#[test]
fn the_demo_opens_the_tui_and_shows_the_lambda_failure() {
    let state = tempfile::tempdir().expect("state dir");
    let tmux = Tmux::start(&support::regscope_bin(), &["demo"], state.path());
    tmux.wait_for("lambda/orders-api");
    tmux.keys(&["/"]);
    tmux.keys(&["orders"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("lambda/orders-api");
    tmux.keys(&["Enter"]);
    tmux.wait_for("latest");
    tmux.keys(&["G"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("attestation for linux/amd64");
    assert!(screen.contains("attestation for linux/arm64"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0, "q quits the demo");
}

//! `regscope images` and the TUI's `u` against a real docker-registry behind htpasswd, with the
//! credentials in docker config `auths` (no ECR API here: the list comes from the tags, and
//! the children of each index are the "untagged images" ECR would show). A BuildKit index
//! whose arm64 child was deleted, and a tagged single image: every row says what it is.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use base64::Engine as _;
use support::sandbox::Sandbox;
use support::tmux::Tmux;
use support::{fixture, layout_blob, layout_root_digest, regscope_bin, TestRegistry};

const USER: &str = "carol";
const PASSWORD: &str = "Images-s3cret-pa55";

/// `team/app:v1` (the BuildKit index with two platforms and two attestations) with its arm64
/// child deleted, and `team/app:single` (one manifest); the sandbox's docker config holds the
/// login. Returns the deleted child's digest too.
fn setup() -> (TestRegistry, Sandbox, String) {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    reg.seed_fixture("unsigned-image", "team/app:single");
    let layout = fixture("unsigned-index");
    let index: serde_json::Value =
        serde_json::from_slice(&layout_blob(&layout, &layout_root_digest(&layout))).unwrap();
    let arm64 = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "arm64")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    reg.delete_manifest("team/app", &arm64);
    let sandbox = Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(reg.host.clone()): {"auth": auth}}}));
    (reg, sandbox, arm64)
}

#[test]
fn the_cli_labels_every_image_on_a_private_registry() {
    let (reg, sandbox, arm64) = setup();
    let repo = format!("{}/team/app", reg.host);
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &repo, "--color", "never"])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(PASSWORD), "the password is never printed");
    for expected in [
        "platform image linux/amd64 of v1; deleting it breaks v1",
        "attestation for linux/amd64 of v1; deleting it breaks v1",
        "attestation for linux/arm64 of v1",
        "MISSING: an index names it but the registry does not have it",
        "linux/amd64, linux/arm64 (missing) + 2 attestations",
        "from the tag list",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }

    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &repo, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let images = doc["images"].as_array().unwrap();
    let by = |digest: &str| images.iter().find(|i| i["digest"] == digest).unwrap();
    let gone = by(&arm64);
    assert_eq!(gone["missing"], true);
    assert_eq!(gone["breaks"], serde_json::json!(["v1"]));
    let kinds: Vec<&str> = images.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "attestation").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "index").count(), 1);
    let single = images
        .iter()
        .find(|i| i["tags"] == serde_json::json!(["single"]))
        .unwrap();
    assert_eq!(single["kind"], "image");
    assert_eq!(single["orphan"], false);
    assert_eq!(doc["source"]["kind"], "tags");
}

#[test]
fn a_repository_that_is_not_there_is_a_clear_error() {
    let (reg, sandbox, _) = setup();
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &format!("{}/team/nothing", reg.host)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found"), "{err}");
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", "not a repository"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_tui_shows_untagged_images_in_place_with_u() {
    let (reg, sandbox, _) = setup();
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &[&format!("{}/team/app", reg.host)]),
        (140, 30),
    );
    tmux.forbid(PASSWORD);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["u"]);
    let screen = tmux.wait_for("attestation for linux/arm64 of v1");
    assert!(screen.contains("every image"), "{screen}");
    assert!(screen.contains("MISSING"), "{screen}");
    // The header names who we are to the registry.
    assert!(
        screen.lines().next().unwrap_or_default().contains(USER),
        "{screen}"
    );
    // `s` orders the images: newest first, largest first (the index, by its children's
    // total), as listed again.
    tmux.keys(&["s"]);
    tmux.wait_for("newest first");
    tmux.keys(&["s"]);
    let screen = tmux.wait_for("largest first");
    let first_row = screen
        .lines()
        .find(|l| l.contains("sha256:"))
        .unwrap_or_default()
        .to_string();
    assert!(first_row.contains("index"), "{screen}");
    // The tags view's filter applies to the images: their tags, digests and what each is.
    tmux.keys(&["/"]);
    for ch in ["'", "s", "i", "n", "g", "l", "e"] {
        tmux.keys(&[ch]);
    }
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("(1 of ");
    assert!(screen.contains("single"), "{screen}");
    assert!(!screen.contains("MISSING"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("MISSING");
    // Back to the tags with u again.
    tmux.keys(&["u"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// Without the ECR API the registry never says when an image was pushed: the column is the
/// build date and says so, in text and JSON.
#[test]
fn without_ecr_the_date_is_the_build_date_and_says_so() {
    let (reg, sandbox, _) = setup();
    let repo = format!("{}/team/app", reg.host);
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &repo, "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let header = text.lines().find(|l| l.starts_with("DIGEST")).unwrap();
    assert!(
        header.contains("CREATED") && !header.contains("PUSHED"),
        "{header}"
    );
    assert!(
        text.contains("CREATED is the build date in the image config, not when it was pushed"),
        "{text}"
    );
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &repo, "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let images = doc["images"].as_array().unwrap();
    assert!(images.iter().all(|i| i["pushedAt"].is_null()), "{doc}");
    let single = images
        .iter()
        .find(|i| i["tags"] == serde_json::json!(["single"]))
        .unwrap();
    assert!(single["createdAt"].is_string(), "{single}");
    assert_eq!(doc["complete"], true);
}

/// A tag whose tree cannot be read (its manifest's content gone from the registry's storage):
/// the listing says it is incomplete, and the exit code too.
#[test]
fn a_tree_that_cannot_be_read_makes_the_listing_incomplete() {
    let (reg, sandbox, _) = setup();
    let index = layout_root_digest(&fixture("unsigned-index"));
    let hex = index.trim_start_matches("sha256:");
    let data = reg
        .dir()
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    std::fs::remove_file(&data).unwrap_or_else(|e| panic!("{}: {e}", data.display()));
    let repo = format!("{}/team/app", reg.host);
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &repo, "--color", "never"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "incomplete: {text}");
    assert!(
        text.contains("incomplete: v1 could not be read; untagged images nothing read reaches are marked not checked, not orphaned"),
        "{text}"
    );
    assert!(!text.contains("ORPHAN"), "{text}");
    let out = sandbox
        .command(&regscope_bin())
        .args(["images", &repo, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["unread"], serde_json::json!(["v1"]));
}

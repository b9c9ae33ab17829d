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
    browse(&regscope_bin(), &["tui", &reg.host], &reg);
}

/// How many tag listings of `repository` the registry has answered (its log has a line per
/// request).
fn tag_listings(reg: &TestRegistry, repository: &str) -> usize {
    let path = format!("/v2/{repository}/tags/list");
    reg.log()
        .lines()
        .filter(|l| l.contains("response completed") && l.contains(&path))
        .count()
}

/// Waits until the registry has answered more than `before` tag listings of `repository`.
fn wait_for_tag_listing(reg: &TestRegistry, repository: &str, before: usize) {
    let deadline = std::time::Instant::now() + support::tmux::DEADLINE;
    while tag_listings(reg, repository) <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "no new tag listing of {repository} after {before}:\n{}",
            reg.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The walk-through, for any program that takes the TUI target last.
fn browse(program: &Path, args: &[&str], reg: &TestRegistry) {
    let host = reg.host.as_str();
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
    let listed = tag_listings(reg, "team/app");
    assert!(listed >= 1, "the tags view listed team/app:\n{}", reg.log());
    tmux.keys(&["r"]);
    // The key was handled once the registry has answered the new listing: from then on the
    // screen holds the old rows (kept while re-listing) or the new ones, never an empty list.
    wait_for_tag_listing(reg, "team/app", listed);
    let screen = tmux.screen();
    assert!(screen.contains("v6") && screen.contains("v7"), "{screen}");
    tmux.wait_for("3.1 KiB");

    tmux.keys(&["/", "v", "7", "Enter"]);
    let screen = tmux.wait_for("/v7 ");
    // v6's row (3.1 KiB) is gone; the status line's cost may read 3.1 KiB too.
    assert!(
        !screen.lines().any(|l| l.starts_with("│v6")),
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

    // The repository opened from the catalog is remembered for the start screen, with when.
    let recent = std::fs::read_to_string(state.path().join("recent")).unwrap();
    let (target, at) = recent.trim_end().split_once('\t').unwrap();
    assert_eq!(target, format!("{host}/team/app"));
    assert!(at.parse::<u64>().unwrap() > 1_600_000_000, "{recent:?}");

    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0, "q quits cleanly");
}

/// "Will this tag deploy?": `t` chooses a target and every tag says whether it runs there, and
/// why not in a word; `--target` starts with one.
#[test]
fn a_target_gives_every_tag_a_verdict() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    reg.seed_fixture("unsigned-image", "team/app:single");
    let state = tempfile::tempdir().unwrap();
    let repository = format!("{}/team/app", reg.host);
    let tmux = Tmux::start(&regscope_bin(), &["tui", &repository], state.path());
    tmux.wait_for("11.0 KiB");
    tmux.wait_for("554 B");

    tmux.keys(&["t"]);
    // The prompt names the usual targets.
    tmux.wait_for("cloudrun, fargate");
    tmux.keys(&["lambda/riscv", "Enter"]);
    tmux.wait_for("is not a Lambda target");
    // Esc alone: followed at once by `t`, a terminal reads Alt-t.
    tmux.keys(&["Escape"]);
    tmux.wait_for(" m matrix");
    tmux.keys(&["t", "lambda", "Enter"]);
    let screen = tmux.wait_for("LAMBDA/AMD64");
    assert!(
        screen.contains("target lambda/amd64"),
        "the header names it:\n{screen}"
    );
    let v7 = line_with(&screen, "v7");
    assert!(v7.contains("rejected: index"), "{screen}");
    assert!(line_with(&screen, "single").contains("runs"), "{screen}");

    tmux.keys(&["t", "linux/arm64", "Enter"]);
    let screen = tmux.wait_for("LINUX/ARM64");
    assert!(
        line_with(&screen, "single").contains("rejected: no arm64"),
        "{screen}"
    );
    assert!(line_with(&screen, "v7").contains("runs"), "{screen}");
    // The matrix brackets the target's column.
    tmux.keys(&["m"]);
    tmux.wait_for("[arm64]");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);

    let tmux = Tmux::start(
        &regscope_bin(),
        &["--target", "lambda", &repository],
        state.path(),
    );
    let screen = tmux.wait_for("rejected: index");
    assert!(screen.contains("LAMBDA/AMD64"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!("│{needle} ")))
        .unwrap_or_else(|| panic!("no row {needle}:\n{screen}"))
}

/// The README's "run it" command in a real terminal: the demo opens the TUI on the Lambda case
/// with target lambda, the index rejected and the fixed push running; its tree leads with why
/// and `d` copies the manifest Lambda takes.
#[test]
fn the_demo_opens_the_tui_and_shows_the_lambda_failure() {
    let state = tempfile::tempdir().expect("state dir");
    let tmux = Tmux::start(&support::regscope_bin(), &["demo"], state.path());
    tmux.wait_for("lambda/orders-api");
    let screen = tmux.wait_for("rejected: index");
    assert!(screen.contains("target lambda/amd64"), "{screen}");
    assert!(line_with(&screen, "fixed").contains("runs"), "{screen}");
    tmux.keys(&["G"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    // The findings pane is drawn below the tree: a capture can fall between the two.
    let screen = tmux.wait_for("target-incompatible");
    assert!(screen.contains("attestation for linux/arm64"), "{screen}");
    assert!(screen.contains("✓ lambda/amd64"), "{screen}");
    tmux.keys(&["d"]);
    tmux.wait_for("runs on lambda/amd64; copied 127.0.0.1:");
    // Longer than the status line, the answer waits in its box: Esc closes it, and only it.
    let screen = tmux.wait_for("Esc closes");
    assert!(screen.contains("attestation for linux/arm64"), "{screen}");
    tmux.keys(&["Escape"]);
    // Two Escapes at once read as Alt-Escape: the second goes once the box is gone.
    let gone = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        !tmux.screen().contains("Esc closes")
    });
    assert!(gone, "Esc closes the answer:\n{}", tmux.screen());
    assert!(tmux.screen().contains("attestation for linux/arm64"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("LAMBDA/AMD64");
    tmux.keys(&["Escape"]);
    tmux.wait_for("repositories (");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0, "q quits the demo");
}

/// `kill`, a closed terminal or `kill -INT` end the TUI like `q`: the terminal is left as it
/// was found (main screen, cursor shown), not raw in the alternate screen.
#[test]
fn signals_restore_the_terminal() {
    for signal in ["TERM", "HUP", "INT"] {
        let state = tempfile::tempdir().expect("state dir");
        let tmux = Tmux::start(&support::regscope_bin(), &["demo"], state.path());
        tmux.wait_for("rejected: index");
        assert_eq!(tmux.pane_flag("#{alternate_on}"), "1", "the TUI is up");
        tmux.signal_program(signal);
        assert_eq!(tmux.wait_exit(), 0, "SIG{signal} ends it cleanly");
        assert_eq!(
            tmux.pane_flag("#{alternate_on}"),
            "0",
            "SIG{signal}: back on the main screen"
        );
        assert_eq!(
            tmux.pane_flag("#{cursor_flag}"),
            "1",
            "SIG{signal}: cursor shown"
        );
    }
}

/// A terminal closed under the TUI (a window closed, an ssh session dropped): the program
/// ends at once instead of running on unseen (it used to spin a core in the input thread).
#[test]
fn a_closed_terminal_ends_the_program() {
    let state = tempfile::tempdir().expect("state dir");
    let tmux = Tmux::start(&support::regscope_bin(), &["demo"], state.path());
    tmux.wait_for("rejected: index");
    let pid = tmux.program_pid();
    assert!(!pid.is_empty());
    tmux.close_terminal();
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while proc_dir.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
    // Gone, or a zombie waiting for its parent (the shell tmux killed with it).
    assert!(
        state.is_empty() || state.split_whitespace().nth(2) == Some("Z"),
        "still running: {state}"
    );
}

/// "What is really there, right now?": a tree seen whole, then a platform manifest deleted
/// behind the TUI's back (a lifecycle rule, a `DELETE`). `r` must not answer from what was
/// fetched before: the tree, the tag's row and the matrix all say it is gone.
#[test]
fn refresh_finds_a_child_deleted_behind_its_back() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let arm64 = platform_child(&support::fixture("unsigned-index"), "arm64");
    let state = tempfile::tempdir().unwrap();
    let repository = format!("{}/team/app", reg.host);
    let tmux = Tmux::start(&regscope_bin(), &["tui", &repository], state.path());
    tmux.wait_for("11.0 KiB");
    tmux.keys(&["m"]);
    tmux.wait_for("runs on all 2 platforms");
    tmux.keys(&["m"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    // The status line says when it was checked (a capture can fall mid-draw: wait for it).
    let screen = tmux.wait_for("refreshed ");
    assert!(!screen.contains("MISSING"), "{screen}");

    reg.delete_manifest("team/app", &arm64);
    tmux.keys(&["r"]);
    tmux.wait_for("MISSING");
    tmux.wait_for("dangling-reference");

    // The tags view still shows what it saw until `r`; then the row and the matrix follow.
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("error");
    support::words::assert_no_debug_syntax(&screen);
    tmux.keys(&["m"]);
    let screen = tmux.wait_for("broken: linux/arm64");
    assert!(!screen.contains("runs on all"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The digest of a layout's runnable manifest for `architecture` (its root is an index).
fn platform_child(layout: &Path, architecture: &str) -> String {
    let root = support::layout_root_digest(layout);
    let index: serde_json::Value =
        serde_json::from_slice(&support::layout_blob(layout, &root)).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == architecture)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Newest first is about every tag of the repository, not the rows on screen when `s` was
/// pressed: 50 tags built in an order unrelated to their names, sorted whole.
#[test]
fn newest_first_sorts_all_fifty_tags() {
    let reg = TestRegistry::start();
    // build-i was built at minute 7 i mod 50: names and dates disagree everywhere.
    let minute = |i: usize| (i * 7) % 50;
    for i in 0..50 {
        let config = serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "created": format!("2026-11-29T12:{:02}:00Z", minute(i)),
            "rootfs": {"type": "layers", "diff_ids": []},
            "config": {},
        })
        .to_string();
        let digest = reg.put_blob("team/app", config.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": digest,
                "size": config.len(),
            },
            "layers": [],
        })
        .to_string();
        reg.put_manifest(
            "team/app",
            &format!("build-{i}"),
            "application/vnd.oci.image.manifest.v1+json",
            manifest.as_bytes(),
        );
    }
    let state = tempfile::tempdir().unwrap();
    let repository = format!("{}/team/app", reg.host);
    let tmux = Tmux::start(&regscope_bin(), &["tui", &repository], state.path());
    tmux.wait_for("tags of team/app (50, by name)");
    tmux.keys(&["s"]);
    tmux.wait_for("newest first");
    // Done when no row is left to resolve (the spinner says how far it got until then). The
    // selection stays on its tag, build-0, which is now the oldest: the window is at the end.
    let mut newest: Vec<usize> = (0..50).collect();
    newest.sort_by_key(|&i| std::cmp::Reverse(minute(i)));
    let expected: Vec<String> = newest.iter().map(|i| format!("build-{i}")).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let screen = tmux.screen();
        let shown = tag_rows(&screen);
        if !screen.contains("sorting:") && shown.len() > 3 && expected.ends_with(&shown) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not sorted newest first:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The newest lead, most of them below the screen in name order when `s` was pressed.
    tmux.keys(&["g"]);
    let screen = tmux.wait_for("│build-7 ");
    let shown = tag_rows(&screen);
    assert!(shown.len() > 3 && expected.starts_with(&shown), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The tag names of the rows on screen, top to bottom.
fn tag_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix('│')?.split_whitespace().next())
        .filter(|t| t.starts_with("build-"))
        .map(str::to_string)
        .collect()
}

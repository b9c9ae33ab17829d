//! The TUI end to end in a real terminal (tmux) against a real docker-registry: browse the
//! catalog, the platform matrix and the help, filter the tags, open a tag's tree, look at raw
//! JSON, go back, quit.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::{regscope_bin, TestRegistry};

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(program: &Path, args: &[&str], state_dir: &Path) -> Tmux {
        // One tmux server per test: tests in this file run in parallel.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let socket = format!("regscope-tui-{}-{n}", std::process::id());
        let tmux = Tmux { socket };
        let mut command = vec![
            "env".to_string(),
            "NO_COLOR=1".to_string(),
            format!("REGSCOPE_STATE_DIR={}", state_dir.display()),
            program.display().to_string(),
        ];
        command.extend(args.iter().map(|a| (*a).to_string()));
        let out = tmux.run(
            &["new-session", "-d", "-s", "tui", "-x", "100", "-y", "30"],
            &command,
        );
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str], rest: &[String]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .args(rest)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"], &[]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
        self.run(&["send-keys", "-t", "tui"], &keys);
    }

    /// Waits until the screen shows `text`; fails with the screen when it does not.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "tui"], &[])
            .status
            .success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"], &[]);
    }
}

// Needs `regscope tui [TARGET]` from src/main.rs (wired by the CLI owner); until then run with
// `cargo test --test tui_tmux -- --ignored`.
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
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() {
        assert!(
            Instant::now() < deadline,
            "q did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!tmux.alive(), "q quits the demo");
}

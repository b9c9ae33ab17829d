//! Freshness that can be trusted, in a real terminal (tmux) against a real docker-registry with
//! htpasswd credentials: what the registry did not confirm says so and why; `r` with the
//! registry down keeps what is on screen, marked stale; tags that moved, appeared or went
//! are marked until seen; a 401 makes the next attempt read the credential sources again;
//! copying inside tmux lands in tmux's paste buffer.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::sync::Arc;

use base64::Engine as _;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use regscope::connect::{ConnectError, Connector, Settings};
use regscope::reference::ImageRef;
use regscope::registry::FetchError;
use regscope::tui::draw::draw;
use regscope::tui::{Action, App, Command, Effect, Start, Worker};
use support::sandbox::Sandbox;
use support::tmux::Tmux;
use support::{regscope_bin, TestRegistry};

const USER: &str = "alice";
const PASSWORD: &str = "Fresh-s3cret-pa55word";
const SIZE: (u16, u16) = (120, 30);

/// A registry with credentials and the user's docker config holding `password` for it.
fn registry_and_login(password: &str) -> (TestRegistry, Sandbox) {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    let sandbox = Sandbox::new();
    login(&sandbox, &reg.host, password);
    (reg, sandbox)
}

/// `config.json` with `auths` for `host` as `USER:password`.
fn login(sandbox: &Sandbox, host: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
    sandbox.docker_config(&serde_json::json!({"auths": {host: {"auth": auth}}}));
}

fn tui(sandbox: &Sandbox, target: &str) -> Tmux {
    let mut tmux = Tmux::start_command(&sandbox.argv(&regscope_bin(), &["tui", target]), SIZE);
    tmux.forbid(PASSWORD);
    tmux
}

/// The row of `tag` in the tags table.
fn row<'a>(screen: &'a str, tag: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.starts_with(&format!("│{tag} ")))
        .unwrap_or_else(|| panic!("no row {tag}:\n{screen}"))
}

/// The status line (above the footer).
fn status(screen: &str) -> &str {
    let lines: Vec<&str> = screen.lines().collect();
    lines[lines.len().saturating_sub(2)]
}

fn digest_of(reg: &TestRegistry, repo: &str, tag: &str) -> String {
    reg.head_manifest(repo, tag)
        .header("docker-content-digest")
        .unwrap()
        .to_string()
}

#[test]
fn with_the_registry_stopped_what_is_shown_says_it_is_from_the_cache_and_r_keeps_it() {
    let (reg, sandbox) = registry_and_login(PASSWORD);
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let tmux = tui(&sandbox, &format!("{}/team/app", reg.host));
    let screen = tmux.wait_for("11.0 KiB");
    assert!(status(&screen).contains("refreshed"), "{screen}");

    // The registry goes away; the tag row already holds the tree.
    drop(reg);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("from cache, seen");
    assert!(screen.contains("attestation for linux/amd64"), "{screen}");
    assert!(
        status(&screen).contains("registry unreachable"),
        "the status line says why:\n{screen}"
    );
    assert!(
        screen.contains("tree · from cache: registry unreachable"),
        "the tree's title says so too:\n{screen}"
    );
    assert!(!screen.contains("refreshed"), "{screen}");

    // `r` with the registry down: the tree stays, stale, no error page in its place.
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("The registry did not confirm this tree");
    assert!(screen.contains("attestation for linux/amd64"), "{screen}");
    assert!(!screen.contains("could not be fetched"), "{screen}");
    let screen = tmux.wait_for("from cache, seen");
    assert!(screen.contains("attestation for linux/amd64"), "{screen}");

    // Back in the tags view, `r` keeps the rows and says they are stale and why.
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("Refreshing the tags failed");
    assert!(row(&screen, "v1").contains("11.0 KiB"), "{screen}");
    let screen = tmux.wait_for("from cache, seen");
    assert!(
        screen.contains("tags of team/app (1, by name) · from cache: registry unreachable"),
        "{screen}"
    );
    assert!(row(&screen, "v1").contains("11.0 KiB"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

#[test]
fn a_tag_list_remembered_by_an_earlier_run_says_it_is_from_the_cache_when_the_registry_is_down() {
    let (reg, sandbox) = registry_and_login(PASSWORD);
    reg.seed_fixture("unsigned-index", "team/app:v1");
    // Chosen explicitly, the cache keeps loopback registries too.
    let cache = sandbox.path().join("regscope-cache").display().to_string();
    let repository = format!("{}/team/app", reg.host);
    let argv = sandbox.env_argv(
        &[],
        &[("REGSCOPE_CACHE_DIR", &cache)],
        &regscope_bin(),
        &["tui", &repository],
    );
    let first = Tmux::start_command(&argv, SIZE);
    first.wait_for("11.0 KiB");
    first.keys(&["q"]);
    assert_eq!(first.wait_exit(), 0);
    drop(first);

    drop(reg);
    let tmux = Tmux::start_command(&argv, SIZE);
    let screen = tmux.wait_for("from cache: registry unreachable");
    assert!(
        screen.contains("│v1 "),
        "the remembered tag is listed:\n{screen}"
    );
    let screen = tmux.wait_for("from cache, seen");
    assert!(
        status(&screen).contains("registry unreachable"),
        "the status line says why:\n{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

#[test]
fn moved_new_and_gone_tags_are_marked_and_counted_after_r() {
    let (reg, sandbox) = registry_and_login(PASSWORD);
    reg.seed_fixture("unsigned-index", "team/app:v1");
    reg.seed_fixture("unsigned-image", "team/app:v2");
    reg.seed_fixture("no-provenance-index", "team/app:v3");
    let v1_before = digest_of(&reg, "team/app", "v1");
    let v3 = digest_of(&reg, "team/app", "v3");
    let tmux = tui(&sandbox, &format!("{}/team/app", reg.host));
    tmux.wait_for("11.0 KiB");
    tmux.wait_for("3.1 KiB");

    // v1 moves to another image, v3 is deleted, v4 appears.
    reg.seed_fixture("unsigned-image", "team/app:v1");
    reg.delete_manifest("team/app", &v3);
    reg.seed_fixture("unsigned-index", "team/app:v4");
    assert_ne!(digest_of(&reg, "team/app", "v1"), v1_before);

    tmux.keys(&["r"]);
    let screen = tmux.wait_for("1 new, 1 moved, 1 gone");
    let screen = if row(&screen, "v1").contains("moved") {
        screen
    } else {
        tmux.wait_for("v1 moved")
    };
    assert!(row(&screen, "v4").contains("v4 new"), "{screen}");
    let gone = row(&screen, "v3");
    assert!(gone.contains("v3 gone"), "{screen}");
    // The gone row keeps the digest it pointed at.
    let short = &v3["sha256:".len().."sha256:".len() + 8];
    assert!(gone.contains(short), "the old digest {short}:\n{screen}");

    // On the moved row, the status line names the old digest.
    tmux.keys(&["g"]);
    let screen = tmux.wait_for("moved from sha256:");
    let old = &v1_before["sha256:".len().."sha256:".len() + 8];
    assert!(status(&screen).contains(old), "{screen}");
    // Seen: the next `r` drops v1's mark (the cursor was on it), the others stay.
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("1 new, 1 gone");
    assert!(!row(&screen, "v1").contains("moved"), "{screen}");
    assert!(row(&screen, "v3").contains("gone"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

#[test]
fn a_tag_deleted_while_its_tree_is_shown_keeps_the_tree_marked_deleted() {
    let (reg, sandbox) = registry_and_login(PASSWORD);
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let digest = digest_of(&reg, "team/app", "v1");
    let tmux = tui(&sandbox, &format!("{}/team/app:v1", reg.host));
    tmux.wait_for("attestation for linux/amd64");
    reg.delete_manifest("team/app", &digest);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("deleted: not found in the registry; last seen");
    assert!(screen.contains("attestation for linux/amd64"), "{screen}");
    assert!(
        screen.contains("tree · deleted in the registry"),
        "{screen}"
    );
    assert!(!screen.contains("could not be fetched"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

#[test]
fn after_a_401_fixing_config_json_and_r_works_without_a_restart() {
    let (reg, sandbox) = registry_and_login("wrong-password");
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let tmux = tui(&sandbox, &reg.host);
    let screen = tmux.wait_for_flowed("refused the credentials of alice");
    assert!(screen.contains("401"), "{screen}");

    login(&sandbox, &reg.host, PASSWORD);
    tmux.keys(&["r"]);
    let screen = tmux.wait_for("repositories (1)");
    assert!(screen.contains("team/app"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("11.0 KiB");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// `y`, `d` and `c` copy into tmux's paste buffer; `d` copies the very reference `check
/// --json` names as `deployReference` (one report, issue 20): the linux/amd64 entry of the
/// index, which Lambda refuses, on a registry that needs credentials.
#[test]
fn y_d_and_c_inside_tmux_put_the_text_in_tmux_s_paste_buffer() {
    let (reg, sandbox) = registry_and_login(PASSWORD);
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let digest = digest_of(&reg, "team/app", "v1");
    let tmux = Tmux::start_command(
        &sandbox.argv(
            &regscope_bin(),
            &[
                "tui",
                "--target",
                "lambda",
                &format!("{}/team/app", reg.host),
            ],
        ),
        SIZE,
    );
    tmux.wait_for("11.0 KiB");

    tmux.keys(&["y"]);
    let screen = tmux.wait_for("into tmux's paste buffer");
    assert!(screen.contains("copied sha256:"), "{screen}");
    assert_eq!(tmux.show_buffer(), digest);

    tmux.keys(&["d"]);
    tmux.wait_for("runs on lambda/amd64; copied");
    let deploy = tmux.show_buffer();
    assert!(
        deploy.starts_with(&format!("{}/team/app@sha256:", reg.host)) && deploy != digest,
        "{deploy}"
    );
    let check = sandbox
        .command(&regscope_bin())
        .args(["check", "--json", "--target", "lambda"])
        .arg(format!("{}/team/app:v1", reg.host))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(doc["verdict"], "rejected", "{doc}");
    assert_eq!(doc["deployReference"], deploy.as_str(), "{doc}");

    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["d"]);
    tmux.wait_for("runs on lambda/amd64; copied");
    assert_eq!(
        tmux.show_buffer(),
        deploy,
        "the tree copies what its tag row does"
    );
    tmux.keys(&["c"]);
    let screen = tmux.wait_for("copied the fix for");
    assert!(screen.contains("into tmux's paste buffer"), "{screen}");
    let fix = tmux.show_buffer();
    assert!(!fix.is_empty() && fix != deploy, "{fix}");

    // The findings pane's cursor: Tab twice focuses it, j selects the second finding, and `y`
    // there copies that finding's fix (not the entry's digest, not the first finding's fix).
    // Under the lambda target the first is the target's (the attestations folded into it),
    // the second the root user's.
    tmux.keys(&["Tab", "Tab", "j", "y"]);
    let screen = tmux.wait_for("copied the fix for runs-as-root");
    assert!(screen.contains("into tmux's paste buffer"), "{screen}");
    // The command inside the fix's backticks, as `c` copies it.
    assert_eq!(tmux.show_buffer(), "USER <non-root>");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

fn render(app: &App) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal.backend().to_string()
}

/// The tree of the `unsigned-index` fixture layout, through the worker the TUI uses.
async fn fixture_tree() -> Arc<regscope::tui::Inspected> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let connector = Arc::new(Connector::isolated(Settings::default()).unwrap());
    let worker = Worker::new(tx, connector);
    let layout = support::fixture("unsigned-index");
    let reference = ImageRef::parse(&format!("oci:{}", layout.display())).unwrap();
    match worker.execute(Effect::Inspect { id: 1, reference }).await {
        Action::Inspected { result, .. } => result.unwrap(),
        other => panic!("unexpected {other:?}"),
    }
}

fn unreachable() -> ConnectError {
    ConnectError::from(FetchError::Connect {
        host: "reg.test:5000".into(),
        detail: "connection refused".into(),
    })
}

#[tokio::test]
async fn a_tree_the_registry_did_not_confirm_stays_marked_and_times_are_local() {
    let reference = ImageRef::parse("reg.test:5000/team/app:v7").unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference), false, SIZE);
    app.utc_offset = 2 * 3600;
    let (plain, attachments) = match effects.as_slice() {
        [Effect::Inspect { id: a, .. }, Effect::InspectAttachments { id: b, .. }] => (*a, *b),
        other => panic!("{other:?}"),
    };
    app.update(Action::Inspected {
        id: plain,
        result: Ok(fixture_tree().await),
    });
    let screen = render(&app);
    assert!(screen.contains("refreshed "), "{screen}");
    assert!(
        screen.contains(" UTC+02:00"),
        "the zone is named:\n{screen}"
    );

    // The attachment lookup (the tree's only contact with the registry) fails.
    app.update(Action::Inspected {
        id: attachments,
        result: Err(unreachable()),
    });
    let screen = render(&app);
    assert!(
        screen.contains("The registry did not confirm this tree: cannot connect to reg.test:5000"),
        "the flash says why in full:\n{screen}"
    );
    assert!(
        screen.contains("tree · from cache: registry unreachable"),
        "{screen}"
    );
    // Once the flash is gone, the status line keeps saying it.
    for _ in 0..30 {
        app.update(Action::Tick);
    }
    let screen = render(&app);
    assert!(
        screen.contains("from cache, seen at ") && screen.contains("registry unreachable"),
        "{screen}"
    );
    assert!(screen.contains("attestation for linux/amd64"), "{screen}");

    // `r` fails too: the tree stays (no error page), the flash says why in full.
    let effects = app.update(Action::Command(Command::Refresh));
    for effect in effects {
        app.update(Action::Inspected {
            id: effect.id(),
            result: Err(unreachable()),
        });
    }
    let screen = render(&app);
    assert!(screen.contains("attestation for linux/amd64"), "{screen}");
    assert!(!screen.contains("could not be fetched"), "{screen}");
    assert!(
        screen.contains("The registry did not confirm this tree"),
        "{screen}"
    );
}

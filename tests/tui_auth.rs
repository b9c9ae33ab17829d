//! The TUI in a real terminal (tmux) against registries that need credentials, one credential
//! source per test: a real `docker-credential-pass` in `credHelpers` over TLS with the CA from
//! the config file, docker config `auths` with bearer tokens, a `regscope login` in GNOME
//! Keyring, `--username` with `--password-stdin`, and helpers that fail. Each walks from the
//! catalog to a manifest tree with the credential source in the header, or shows the refusal
//! with its fix; no screen ever shows the password.
//!
//! Every program runs as a throw-away user ([`Sandbox`]): its own HOME, XDG dirs, docker and
//! regscope config, state dir and keyring, handed over as `env …` in the tmux command.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Output, Stdio};

use base64::Engine as _;
use support::sandbox::{require_tool, Sandbox};
use support::tmux::{flowed, Tmux};
use support::token::{IssuerOptions, TokenIssuer};
use support::{regscope_bin, TestRegistry};

const USER: &str = "alice";
const PASSWORD: &str = "Tui-s3cret-pa55word";
/// Wide enough for the breadcrumbs and the credential source side by side.
const SIZE: (u16, u16) = (100, 30);

/// A registry holding `team/app:v1`, an index with two platforms and their attestations.
fn seeded(registry: TestRegistry) -> TestRegistry {
    registry.seed_fixture("unsigned-index", "team/app:v1");
    registry
}

/// The TUI started on `argv`'s registry: the catalog, Enter to the tags, `m` to the platform
/// matrix and back, Enter on `v1` to its tree, `v` to its raw JSON and back; `header` (who we
/// are to the registry) is on the first row all along, and the password on no screen (the
/// [`Tmux`] checks every capture). Then quits.
fn browse_to_the_tree_and_quit(tmux: &Tmux, header: &str) {
    let screen = tmux.wait_for("team/app");
    assert_header(&screen, header);
    assert!(screen.contains("repositories (1)"), "{screen}");

    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/app");
    // The tag's row is filled in from its (authenticated) manifests: size and platforms.
    let screen = tmux.wait_for("11.0 KiB");
    assert!(screen.contains("amd64 arm64"), "{screen}");
    assert_header(&screen, header);

    // The platform matrix, read with the same credentials: one tag, two attested platforms;
    // `x` marked the tag for `=`, and its row says so here too.
    tmux.keys(&["x", "m"]);
    let screen = tmux.wait_for("platforms of team/app (1 tag, 2 platforms)");
    assert!(screen.contains("amd64 arm64"), "{screen}");
    assert_eq!(screen.matches("● ◆").count(), 2, "{screen}");
    assert!(screen.contains("│⇄ v1"), "{screen}");
    assert_header(&screen, header);
    tmux.keys(&["m"]);
    tmux.wait_for("tags of team/app");

    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("attestation for linux/amd64");
    assert!(screen.contains("⇄ marked · tree"), "{screen}");
    assert!(screen.contains("attestation for linux/arm64"), "{screen}");
    assert_header(&screen, header);

    // The raw JSON of the index, fetched with the credentials; none of them in it.
    tmux.keys(&["v"]);
    let screen = tmux.wait_for("\"schemaVersion\": 2");
    assert!(
        screen.contains("application/vnd.oci.image.index.v1+json"),
        "{screen}"
    );
    assert_header(&screen, header);
    search_the_raw_json(tmux);
    tmux.keys(&["Escape"]);
    tmux.wait_for("attestation for linux/amd64");
    quit(tmux);
}

/// `/` in the index's raw JSON: the title counts the matches, `n` steps on, `N` from the first
/// wraps to the last.
fn search_the_raw_json(tmux: &Tmux) {
    tmux.keys(&["/", "architecture", "Enter"]);
    let screen = tmux.wait_for("1/4 \"architecture\"");
    assert!(screen.contains("n next"), "{screen}");
    tmux.keys(&["n"]);
    tmux.wait_for("2/4 \"architecture\"");
    tmux.keys(&["N", "N"]);
    tmux.wait_for("4/4 \"architecture\"");
}

/// `q`, and the program exits with status 0.
fn quit(tmux: &Tmux) {
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0, "q quits cleanly");
}

fn assert_header(screen: &str, header: &str) {
    let first = screen.lines().next().unwrap_or_default();
    assert!(
        first.contains(header),
        "the header names {header:?}:\n{screen}"
    );
}

/// The TUI on `target` as the sandbox's user, the password forbidden on every screen.
fn tui(sandbox: &Sandbox, args: &[&str]) -> Tmux {
    let mut tmux = Tmux::start_command(&sandbox.argv(&regscope_bin(), args), SIZE);
    tmux.forbid(PASSWORD);
    tmux
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Stdout and stderr, checked for Rust `Debug` syntax.
fn text(o: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    support::words::assert_no_debug_syntax(&text);
    text
}

/// Runs `cmd` with `input` on stdin; fails the test unless it succeeds.
fn run_with_input(mut cmd: std::process::Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed:\n{}", text(&out));
    out
}

/// A password store with a throw-away `GnuPG` key in the sandbox, holding `user`/`secret` for
/// `server` as `docker login` with `credsStore: pass` leaves it. Dropping it stops the
/// gpg-agent the sandbox's GNUPGHOME started.
struct PassStore<'a> {
    sandbox: &'a Sandbox,
}

impl<'a> PassStore<'a> {
    fn init(sandbox: &'a Sandbox, server: &str, user: &str, secret: &str) -> Self {
        for (tool, package) in [
            ("docker-credential-pass", "golang-docker-credential-helpers"),
            ("pass", "pass"),
            ("gpg", "gnupg"),
            ("gpgconf", "gnupg"),
        ] {
            require_tool(tool, package);
        }
        let store = PassStore { sandbox };
        let id = "regscope-tui-test@example.invalid";
        let mut gpg = sandbox.command(Path::new("gpg"));
        gpg.args(["--batch", "--passphrase", "", "--quick-gen-key", id])
            .args(["default", "default", "never"]);
        run_with_input(gpg, "");
        let mut pass = sandbox.command(Path::new("pass"));
        pass.args(["init", id]);
        run_with_input(pass, "");
        let mut helper = sandbox.command(Path::new("docker-credential-pass"));
        helper.arg("store");
        let entry = serde_json::json!({"ServerURL": server, "Username": user, "Secret": secret});
        run_with_input(helper, &entry.to_string());
        // Read it back once: proves the store answers, and the agent is up before the TUI
        // asks (the TUI gives a helper 5 s).
        let mut helper = sandbox.command(Path::new("docker-credential-pass"));
        helper.arg("get");
        let out = run_with_input(helper, server);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(user),
            "docker-credential-pass get did not find {server}"
        );
        store
    }
}

impl Drop for PassStore<'_> {
    fn drop(&mut self) {
        let _ = self
            .sandbox
            .command(Path::new("gpgconf"))
            .args(["--kill", "gpg-agent"])
            .stdin(Stdio::null())
            .output();
    }
}

#[test]
fn a_pass_credential_helper_over_tls_with_the_ca_from_the_config_file() {
    let reg = seeded(
        TestRegistry::builder()
            .tls_self_signed()
            .htpasswd(USER, PASSWORD)
            .start(),
    );
    let sandbox = Sandbox::new();
    let _store = PassStore::init(&sandbox, &reg.host, USER, PASSWORD);
    sandbox.docker_config(&serde_json::json!({"credHelpers": {(reg.host.clone()): "pass"}}));

    // Without the CA the certificate is refused, and the screen says how to trust it.
    let tmux = tui(&sandbox, &["tui", &reg.host]);
    tmux.wait_for_flowed("issued by `CN=regscope-test-ca`");
    tmux.wait_for_flowed(&format!(
        "set `ca_file` under [registry.\"{}\"] in the config file",
        reg.host
    ));
    quit(&tmux);
    drop(tmux);

    let ca = reg.ca_cert().unwrap().display().to_string();
    sandbox.regscope_config(&format!(
        "[registry.\"{}\"]\nca_file = \"{ca}\"\n",
        reg.host
    ));

    let tmux = tui(&sandbox, &["tui", &reg.host]);
    esc_at_the_first_view_is_not_offered(&tmux);
    tab_completes_what_was_listed(&tmux);
    browse_to_the_tree_and_quit(&tmux, "alice via docker-credential-pass");
}

/// `:` then Tab completes the repository from the catalog listed with the login, and after
/// `team/app:` the tag from the tags view; Enter opens it. Starts and ends on the catalog.
fn tab_completes_what_was_listed(tmux: &Tmux) {
    tmux.keys(&[":", "te", "Tab"]);
    tmux.wait_for("open: team/app▏  Tab 1/1");
    tmux.keys(&["Escape", "Enter"]);
    tmux.wait_for("11.0 KiB");
    tmux.keys(&[":", "team/app:", "Tab"]);
    tmux.wait_for("open: team/app:v1▏");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["Escape"]);
    tmux.wait_for("repositories (1)");
}

/// The catalog is the first view: nothing under it, so neither the footer nor the help offers
/// `Esc back`, and Esc leaves the catalog on screen; the tags view over it offers Esc (in its
/// help), and Esc goes back to the catalog. Ends on the catalog.
fn esc_at_the_first_view_is_not_offered(tmux: &Tmux) {
    let screen = tmux.wait_for("repositories (1)");
    let footer = screen.lines().last().unwrap_or_default();
    assert!(
        !footer.contains("Esc") && footer.contains("q quit"),
        "{screen}"
    );
    tmux.keys(&["Escape", "?"]);
    let help = tmux.wait_for("keys");
    assert!(
        help.contains("repositories (1)"),
        "Esc left the catalog:\n{help}"
    );
    assert!(
        !help.contains("back ("),
        "help offers back at the top:\n{help}"
    );
    tmux.keys(&["?", "Enter"]);
    tmux.wait_for("tags of team/app");
    // The tags view's own keys fill its footer at this width; the help lists Esc.
    tmux.keys(&["?"]);
    tmux.wait_for("back (clears a filter first)");
    tmux.keys(&["?", "Escape"]);
    tmux.wait_for("repositories (1)");
}

#[test]
fn bearer_tokens_for_docker_config_auths_when_anonymous_pulls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = TokenIssuer::start_with(
        dir.path(),
        &[(USER, PASSWORD)],
        IssuerOptions {
            refuse_anonymous: true,
            ..IssuerOptions::default()
        },
    );
    let reg = seeded(
        TestRegistry::builder()
            .token_auth(&issuer, (USER, PASSWORD))
            .start(),
    );
    let before = issuer.requests().len();
    let sandbox = Sandbox::new();
    let auth = b64(&format!("{USER}:{PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(reg.host.clone()): {"auth": auth}}}));

    let mut tmux = tui(&sandbox, &["tui", &reg.host]);
    tmux.forbid(&auth);
    browse_to_the_tree_and_quit(&tmux, "alice via docker config auths");

    let requests = &issuer.requests()[before..];
    assert!(
        requests
            .iter()
            .any(|r| r.scopes == ["registry:catalog:*".to_string()]),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.granted && r.user.as_deref() == Some(USER)),
        "every token was asked for as {USER}: {requests:?}"
    );
}

/// `regscope` with no target starts at the registries the credential files name: the docker
/// config's htpasswd registry is listed with where its login comes from; Enter opens its
/// catalog, then a tag, then the tree, logged in all along.
#[test]
fn the_registries_view_opens_a_registry_the_docker_config_names() {
    let reg = seeded(TestRegistry::builder().htpasswd(USER, PASSWORD).start());
    let sandbox = Sandbox::new();
    let auth = b64(&format!("{USER}:{PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(reg.host.clone()): {"auth": auth}}}));

    let mut tmux = tui(&sandbox, &[]);
    tmux.forbid(&auth);
    let screen = tmux.wait_for("registries (1), recent (0)");
    assert!(screen.contains(&reg.host), "{screen}");
    assert!(
        screen.contains("auths in ~/.docker/config.json"),
        "where the login comes from:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    browse_to_the_tree_and_quit(&tmux, "alice via docker config auths");
    // What was opened is remembered for the next start.
    let recent = std::fs::read_to_string(sandbox.state_dir().join("recent")).unwrap();
    assert!(recent.contains(&reg.host), "{recent:?}");
}

#[test]
fn a_regscope_login_in_gnome_keyring() {
    let reg = seeded(TestRegistry::builder().htpasswd(USER, PASSWORD).start());
    let sandbox = Sandbox::new();
    let login = sandbox.in_keyring_session(
        &regscope_bin(),
        &["login", &reg.host, "--username", USER, "--password-stdin"],
    );
    let out = run_with_input(login, &format!("{PASSWORD}\n"));
    let t = text(&out);
    assert!(t.contains("Secret Service") && !t.contains(PASSWORD), "{t}");

    // A new D-Bus session and keyring daemon, the TUI on its bus: the secret comes back from
    // GNOME Keyring's (encrypted) file.
    let argv = sandbox.keyring_session_argv(&regscope_bin(), &["tui", &reg.host]);
    let mut tmux = Tmux::start_command(&argv, SIZE);
    tmux.forbid(PASSWORD);
    browse_to_the_tree_and_quit(&tmux, "alice via regscope login");
    assert_eq!(
        sandbox.files_containing(PASSWORD),
        Vec::<std::path::PathBuf>::new()
    );
}

#[test]
fn username_and_a_password_piped_to_stdin() {
    let reg = seeded(TestRegistry::builder().htpasswd(USER, PASSWORD).start());
    let sandbox = Sandbox::new();
    // From a file through a pipe, so it is in no command line; the TUI reads keys from the
    // terminal, not from the exhausted stdin.
    let secret_file = sandbox.path().join("password");
    std::fs::write(&secret_file, format!("{PASSWORD}\n")).unwrap();
    let bin = regscope_bin().display().to_string();
    let argv = sandbox.argv(
        Path::new("sh"),
        &[
            "-c",
            "cat \"$2\" | \"$0\" --username alice --password-stdin \"$1\"",
            &bin,
            &reg.host,
            &secret_file.display().to_string(),
        ],
    );
    let mut tmux = Tmux::start_command(&argv, SIZE);
    tmux.forbid(PASSWORD);
    browse_to_the_tree_and_quit(&tmux, "alice via --username");
}

/// A registry that needs a login, and `credHelpers` naming `docker-credential-broken`, which
/// `body` implements (`None`: not installed). The TUI shows the refusal: the helper and why
/// it was skipped, the 401, and the commands that fix it; it still answers keys.
fn a_failing_helper_is_explained(body: Option<&str>, why: &str) {
    let reg = seeded(TestRegistry::builder().htpasswd(USER, PASSWORD).start());
    let sandbox = Sandbox::new();
    if let Some(body) = body {
        sandbox.helper("broken", body);
    }
    sandbox.docker_config(&serde_json::json!({"credHelpers": {(reg.host.clone()): "broken"}}));

    let tmux = tui(&sandbox, &["tui", &reg.host]);
    let screen = tmux.wait_for_flowed("did not list its repositories");
    assert_header(&screen, "anonymous");
    let shown = flowed(&screen);
    for expected in [
        "docker-credential-broken",
        why,
        "401",
        &format!("`regscope login {}`", reg.host),
        &format!("`docker login {}`", reg.host),
    ] {
        assert!(
            shown.contains(expected),
            "{expected:?} is not on:\n{screen}"
        );
    }

    // Still responsive: help opens and closes, then q quits (with help open, q would close it).
    tmux.keys(&["?"]);
    tmux.wait_for("q: close");
    tmux.keys(&["?"]);
    quit(&tmux);
}

#[test]
fn a_helper_that_fails_with_garbage_is_named_with_the_401_and_the_fix() {
    // Garbage that holds the password: none of it may reach the screen.
    a_failing_helper_is_explained(
        Some(&format!(
            "cat >/dev/null\necho '{{\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}'\nexit 1"
        )),
        "exit status 1",
    );
}

#[test]
fn a_helper_missing_from_path_is_named_with_the_401_and_the_fix() {
    a_failing_helper_is_explained(None, "not installed (no docker-credential-broken on PATH)");
}

/// At 60x15, against a registry that needs the login, judging for Lambda: every header keeps
/// the repository, the tag and the target (the login gives way), the tag table drops
/// columns rather than cut a heading, and the help box wraps its lines instead of cutting them.
#[test]
fn a_60_by_15_terminal_keeps_the_repository_and_whole_headings() {
    let reg = seeded(TestRegistry::builder().htpasswd(USER, PASSWORD).start());
    let sandbox = Sandbox::new();
    let auth = b64(&format!("{USER}:{PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(reg.host.clone()): {"auth": auth}}}));
    let target = format!("{}/team/app", reg.host);
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "--target", "lambda", &target]),
        (60, 15),
    );
    tmux.forbid(PASSWORD);
    tmux.forbid(&auth);
    let screen = tmux.wait_for("rejected: index");
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("› team/app"), "{screen}");
    assert!(header.contains("target lambda/amd64"), "{screen}");
    // The tree's header too: repository, tag and target, the registry cut first.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("attestation for");
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("team/app › v1") && header.contains("target lambda/amd64"),
        "{screen}"
    );
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("rejected: index");
    let headings = screen.lines().nth(2).unwrap_or_default();
    for word in headings
        .trim_matches(|c| c == '│' || c == ' ')
        .split_whitespace()
    {
        assert!(
            [
                "TAG",
                "DIGEST",
                "KIND",
                "PLATFORMS",
                "ATT",
                "SIZE",
                "WORST",
                "LAMBDA/AMD64"
            ]
            .contains(&word),
            "a heading is cut: {headings}\n{screen}"
        );
    }
    tmux.keys(&["?"]);
    let screen = tmux.wait_for("keys");
    // "every image, untagged too, and what each is" is longer than the box: wrapped, whole.
    assert!(screen.contains("every image, untagged"), "{screen}");
    assert!(!screen.contains("what each i│"), "{screen}");
    tmux.keys(&["q"]);
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0, "q quits cleanly");
}

//! The TUI's file browser in a real terminal (tmux) against a registry that needs credentials
//! over TLS: from the manifest tree, `f` opens the platform's files (its layers streamed and
//! merged), shows what the files say and their findings, browses directories, searches every
//! path, and goes back; no screen shows the password or a raw escape from a layer's path.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;

use regscope::layers::exec::build::elf64;
use support::layers::{base, file, push, Compression, MUSL, X86_64};
use support::sandbox::Sandbox;
use support::tmux::Tmux;
use support::{regscope_bin, TestRegistry};

const USER: &str = "erin";
const PASSWORD: &str = "Files-tui-pa55word";

#[test]
fn f_opens_the_merged_files_of_a_platform_with_their_findings() {
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd(USER, PASSWORD)
        .start();
    let layers = [
        base(false),
        vec![
            file("usr/bin/app", 0o755, &elf64(X86_64, Some(MUSL))),
            file("usr/bin/\x1b[2Jevil", 0o644, b"x"),
        ],
    ];
    let config = serde_json::json!({"Entrypoint": ["/usr/bin/app"], "User": "65532"});
    push(
        &reg,
        "team/app",
        "v1",
        "amd64",
        &config,
        &layers,
        Compression::Zstd,
    );

    let sandbox = Sandbox::new();
    let secret_file = sandbox.path().join("password");
    std::fs::write(&secret_file, PASSWORD).unwrap();
    let ca = reg.ca_cert().unwrap().display().to_string();
    let bin = regscope_bin().display().to_string();
    let reference = format!("{}/team/app:v1", reg.host);
    let argv = sandbox.argv(
        Path::new("sh"),
        &[
            "-c",
            "cat \"$2\" | \"$0\" --username erin --password-stdin --ca-file \"$3\" \"$1\"",
            &bin,
            &reference,
            &secret_file.display().to_string(),
            &ca,
        ],
    );
    let mut tmux = Tmux::start_command(&argv, (110, 32));
    tmux.forbid(PASSWORD);

    // The tree of the single-platform image; its root is selected.
    let screen = tmux.wait_for("tar+zstd");
    assert!(screen.contains("erin via --username"), "{screen}");
    tmux.keys(&["f"]);
    let screen = tmux.wait_for("entrypoint-interpreter-missing");
    assert!(screen.contains("files linux/amd64"), "{screen}");
    assert!(screen.contains("Alpine Linux v3.20"), "{screen}");
    assert!(screen.contains("starts /usr/bin/app"), "{screen}");
    assert!(screen.contains("no CA bundle"), "{screen}");
    assert!(
        screen.contains("usr/"),
        "the root lists its directories: {screen}"
    );

    // Into usr/bin: the layer that wrote each file, its mode and size.
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("/usr (");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("/usr/bin (");
    assert!(screen.contains("-rwxr-xr-x"), "{screen}");
    assert!(screen.contains("L2"), "{screen}");
    assert!(
        screen.contains("\\u{1b}[2Jevil"),
        "a layer's path is shown escaped: {screen}"
    );

    // Search every path, then back out to the tree.
    tmux.keys(&["/", "o", "s", "-", "r", "e", "l", "Enter"]);
    let screen = tmux.wait_for("/etc/os-release");
    assert!(screen.contains("search (1)"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("/usr/bin (");
    // Esc climbs a directory at a time (one key at a time: two at once read as Alt-Esc).
    tmux.keys(&["Escape"]);
    tmux.wait_for("/usr (");
    tmux.keys(&["Escape"]);
    tmux.wait_for(" / (3)");
    tmux.keys(&["Escape"]);
    tmux.wait_for("tar+zstd");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// One verdict (issue 19): `f` finds that the image cannot start (its loader is missing); back
/// in the tree that finding is among the tree's and the target's verdict is `rejected`, and
/// the tags row no longer says `runs`: WORST is `error`, the verdict `rejected: cannot start`.
#[test]
fn after_f_the_tags_row_does_not_say_runs_for_an_image_that_cannot_start() {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    // An Alpine base (musl's loader) under a binary built against glibc.
    let glibc = elf64(X86_64, Some("/lib64/ld-linux-x86-64.so.2"));
    let layers = [base(true), vec![file("usr/bin/app", 0o755, &glibc)]];
    let config = serde_json::json!({"Entrypoint": ["/usr/bin/app"], "User": "65532"});
    push(
        &reg,
        "team/app",
        "v1",
        "amd64",
        &config,
        &layers,
        Compression::Gzip,
    );

    let sandbox = Sandbox::new();
    let secret_file = sandbox.path().join("password");
    std::fs::write(&secret_file, PASSWORD).unwrap();
    let bin = regscope_bin().display().to_string();
    let reference = format!("{}/team/app:v1", reg.host);
    let argv = sandbox.argv(
        Path::new("sh"),
        &[
            "-c",
            "cat \"$2\" | \"$0\" --username erin --password-stdin --target linux/amd64 \"$1\"",
            &bin,
            &reference,
            &secret_file.display().to_string(),
        ],
    );
    let mut tmux = Tmux::start_command(&argv, (120, 32));
    tmux.forbid(PASSWORD);

    // Before `f`, nothing is known against it: the tree runs on the target.
    let screen = tmux.wait_for("tar+gzip");
    assert!(screen.contains("linux/amd64: runs"), "{screen}");
    tmux.keys(&["f"]);
    tmux.wait_for("entrypoint-interpreter-missing");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("linux/amd64: rejected");
    assert!(
        screen.contains("entrypoint-interpreter-missing"),
        "the tree's findings have it: {screen}"
    );
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("LINUX/AMD64");
    let row = screen
        .lines()
        .find(|l| l.contains("│v1 "))
        .unwrap_or_else(|| panic!("no v1 row: {screen}"));
    assert!(
        row.contains("error") && row.contains("rejected: cannot start") && !row.contains("runs"),
        "{row}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// Issue 23 in the TUI, at 80x24, through a registry that needs credentials: `f` on a platform
/// of an index shows the space its layers waste as dive counts it (290 bytes, 92.26%, the
/// largest wasted file, and the bytes an opaque directory hides apart), and a selected file
/// names the history step that made its layer.
#[test]
fn f_shows_dive_wasted_space_and_the_step_that_wrote_a_file() {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    support::layers::push_dive_index(&reg);
    let sandbox = Sandbox::new();
    let secret_file = sandbox.path().join("password");
    std::fs::write(&secret_file, PASSWORD).unwrap();
    let bin = regscope_bin().display().to_string();
    let reference = format!("{}/team/fat:v1", reg.host);
    let argv = sandbox.argv(
        Path::new("sh"),
        &[
            "-c",
            "cat \"$2\" | \"$0\" --username erin --password-stdin \"$1\"",
            &bin,
            &reference,
            &secret_file.display().to_string(),
        ],
    );
    let mut tmux = Tmux::start_command(&argv, (80, 24));
    tmux.forbid(PASSWORD);

    // The index is selected; its first platform is the amd64 manifest. Neither platform was
    // measured yet (the run has no disk cache), and their rows say so.
    let screen = tmux.wait_for("linux/arm64  not measured");
    assert!(screen.contains("linux/amd64  not measured"), "{screen}");
    tmux.keys(&["Down", "f"]);
    let screen = tmux.wait_for("efficiency 92.26%");
    assert!(screen.contains("files linux/amd64"), "{screen}");
    assert!(screen.contains("wasted 290 B"), "{screen}");
    // The largest offenders, as dive lists them: bytes of every copy, copies, path.
    assert!(screen.contains("220 B ×2 /etc/app.conf"), "{screen}");
    assert!(screen.contains("50 B ×2 /etc/remove-me"), "{screen}");
    assert!(screen.contains("opaque dirs hide 30 B"), "{screen}");
    // The root holds bin/, etc/ and opt/ (data/ was whited out): into etc/, onto app.conf.
    tmux.keys(&["Down", "Enter"]);
    let screen = tmux.wait_for("/etc/app.conf · layer 2 of 3");
    // At 80 columns the step is cut to fit beside the cost, and says so with `…`.
    assert!(
        screen.contains("layer 2 of 3 (RUN /bin/sh -c echo") && screen.contains('…'),
        "the status line names the step that made the layer: {screen}"
    );
    // Tab to the layer list; layer 2 (below `all` and layer 1): /etc as it stood then, with
    // what layer 2 did marked: app.conf written again (C, its 120-byte copy from L2) and
    // remove-me whited out (R, the 50-byte copy L1 wrote, shown so the reader sees what went).
    tmux.keys(&["Tab", "Down", "Down"]);
    let screen = tmux.wait_for("/etc (2) · as of layer 2");
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no {name} row: {screen}"))
            .to_string()
    };
    assert!(
        line(" app.conf").contains("C L2   -rw-r--r-- 120 B"),
        "{screen}"
    );
    assert!(
        line(" remove-me").contains("R L1   -rw-r--r-- 50 B"),
        "{screen}"
    );
    assert!(
        screen.contains("A added · C changed · R removed"),
        "{screen}"
    );
    // The step that made layer 2, whole, wrapped in its own pane under the list (whose
    // column cuts it): the left 32 columns, read as one paragraph.
    let left: Vec<String> = screen
        .lines()
        .map(|l| l.chars().take(32).collect())
        .collect();
    let left = support::tmux::flowed(&left.join("\n"));
    assert!(
        left.contains(
            "step of layer 2 RUN /bin/sh -c echo again > /etc/app.conf && rm /etc/remove-me && rm -rf /data # buildkit"
        ),
        "{screen}"
    );
    // Layer 2 added opt/new (5 B), changed app.conf (120 B), removed remove-me, opt/old/a
    // (under the opaque opt), data and data/big: 4.
    assert!(
        screen.contains("layer 2 of 3: added 1 (5 B), changed 1 (120 B), remove"),
        "the status line says what the layer did: {screen}"
    );
    // Layer 3 only rewrote bin/tool: /etc holds app.conf still, and nothing it changed.
    tmux.keys(&["Down"]);
    tmux.wait_for("/etc (1) · as of layer 3");
    tmux.keys(&["c"]);
    tmux.wait_for("/etc (0) · as of layer 3 · changes only");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("/ (1) · as of layer 3 · changes only");
    assert!(screen.contains("bin/"), "{screen}");
    // The findings pane scrolls once Tab has focused it.
    tmux.keys(&["Tab", "Down"]);
    tmux.wait_for("2–4 of 4");
    // Back to the files: into bin/, where tool is marked changed by layer 3.
    tmux.keys(&["Tab", "Enter"]);
    let screen = tmux.wait_for("/bin/tool · changed here · layer 3 of 3");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("C L3") && l.contains("tool")),
        "{screen}"
    );
    // Back in the tree (Esc up to the root, then out): the amd64 row says dive's efficiency
    // and what its files unpack to; arm64, not opened, says it is not measured.
    tmux.keys(&["Escape"]);
    tmux.wait_for("/ (1) · as of layer 3");
    tmux.keys(&["Escape"]);
    // At 80 columns the size is cut with `…` (the efficiency comes first); wider, it shows.
    let screen = tmux.wait_for("linux/amd64  92.26% efficient");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("linux/arm64  not measured")),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// Runs regscope with `args`, logged in through --password-stdin, its disk cache in `cache`;
/// returns (exit code, stdout, stderr).
fn run_cached(sandbox: &Sandbox, cache: &str, args: &[&str]) -> (i32, String, String) {
    let mut child = sandbox
        .command(&regscope_bin())
        .args(args)
        .args(["--username", USER, "--password-stdin"])
        .env("REGSCOPE_CACHE_DIR", cache)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), PASSWORD.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// The TUI on `reference` with its disk cache in `cache`, at 80x24 (or `size`).
fn tui_cached(sandbox: &Sandbox, cache: &str, reference: &str, size: (u16, u16)) -> Tmux {
    let secret_file = sandbox.path().join("password");
    std::fs::write(&secret_file, PASSWORD).unwrap();
    let argv = sandbox.env_argv(
        &[],
        &[("REGSCOPE_CACHE_DIR", cache)],
        Path::new("sh"),
        &[
            "-c",
            "cat \"$2\" | \"$0\" --username erin --password-stdin \"$1\"",
            &regscope_bin().display().to_string(),
            reference,
            &secret_file.display().to_string(),
        ],
    );
    let mut tmux = Tmux::start_command(&argv, size);
    tmux.forbid(PASSWORD);
    tmux
}

/// What the CLI measured (`regscope layers`, `files`, `check --files`) is kept in the disk
/// cache by manifest digest, so the TUI's tree shows it on the platform's row without `f`
/// (content by digest never changes), saying how old it is; the platform the CLI did not
/// measure says `not measured`. Run again, the CLI says its figures come from the cache.
#[test]
fn figures_the_cli_measured_show_on_the_tree_rows_without_opening_the_files() {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    let (inner, inner_size) = support::layers::push_dive_index(&reg);
    // The same index nested in another (`team/fat:nested`): its platforms are read too.
    let nested = serde_json::json!({"schemaVersion": 2, "mediaType": support::OCI_INDEX,
        "manifests": [{"mediaType": support::OCI_INDEX, "digest": inner, "size": inner_size}]})
    .to_string();
    reg.put_manifest("team/fat", "nested", support::OCI_INDEX, nested.as_bytes());
    let sandbox = Sandbox::new();
    let reference = format!("{}/team/fat:v1", reg.host);
    let runs: [(&str, &[&str]); 3] = [
        (
            "layers",
            &["layers", &reference, "--platform", "linux/amd64"],
        ),
        ("files", &["files", &reference, "--platform", "linux/amd64"]),
        ("check", &["check", &reference, "--files"]),
    ];
    for (name, args) in runs {
        let cache = sandbox
            .path()
            .join(format!("cache-{name}"))
            .display()
            .to_string();
        let (code, text, err) = run_cached(&sandbox, &cache, args);
        assert!(
            code == 0 || (name == "check" && code == 1),
            "{name}: {text}{err}"
        );
        assert!(!text.contains("from the cache"), "{name}: {text}");
        match name {
            "layers" => assert!(text.contains("92.26%"), "{text}"),
            "check" => assert!(text.contains("files of linux/amd64"), "{text}"),
            _ => assert!(text.contains("/etc/app.conf"), "{text}"),
        }
        // The second run downloads nothing and says where its figures come from.
        let (_, again, err) = run_cached(&sandbox, &cache, args);
        match name {
            "layers" => assert!(
                again.contains("figures from the cache, measured just now"),
                "{again}{err}"
            ),
            "check" => assert!(
                again
                    .lines()
                    .filter(|l| l.starts_with("files of linux/")
                        && l.ends_with("; from the cache, measured just now"))
                    .count()
                    == 2,
                "{again}{err}"
            ),
            _ => assert_eq!(again, text, "files lists the same, cached or not"),
        }
        // JSON says when the figures it reuses were measured (seconds since the epoch).
        if name != "files" {
            let (_, json, err) = run_cached(&sandbox, &cache, &[args, &["--json"]].concat());
            let doc: serde_json::Value = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{name} --json: {e}: {json}{err}"));
            let platforms = if name == "layers" {
                &doc["platforms"]
            } else {
                &doc["files"]
            };
            let at = platforms[0]["fromCache"]["measuredAt"].as_u64();
            assert!(at.is_some_and(|t| t > 1_700_000_000), "{name}: {doc}");
        }

        if name == "layers" {
            // 80x24 shows the figure dive users look for first.
            let tmux = tui_cached(&sandbox, &cache, &reference, (80, 24));
            tmux.wait_for("linux/amd64  92.26% efficient");
            tmux.keys(&["q"]);
            assert_eq!(tmux.wait_exit(), 0);
            // The nested index, expanded: its amd64 platform shows what `layers` measured.
            let nested = format!("{}/team/fat:nested", reg.host);
            let tmux = tui_cached(&sandbox, &cache, &nested, (140, 24));
            tmux.wait_for("1 entry");
            tmux.keys(&["Down", "Enter"]);
            let screen = tmux.wait_for("linux/amd64  92.26% efficient");
            assert!(screen.contains("(measured just now)"), "{screen}");
            tmux.keys(&["q"]);
            assert_eq!(tmux.wait_exit(), 0);
        }
        // Wide enough for the whole row.
        let tmux = tui_cached(&sandbox, &cache, &reference, (140, 24));
        let screen = tmux.wait_for("linux/amd64  92.26% efficient");
        let row = screen
            .lines()
            .find(|l| l.contains("linux/amd64  92.26% efficient"))
            .unwrap();
        assert!(row.contains("(measured just now)"), "{name}: {screen}");
        if name == "check" {
            // `check --files` measured every platform.
            assert!(screen.contains("linux/arm64  92.26% efficient"), "{screen}");
        } else {
            assert!(
                screen
                    .lines()
                    .any(|l| l.contains("linux/arm64  not measured")),
                "{name}: {screen}"
            );
        }
        assert!(
            !screen.contains("files linux/amd64"),
            "the files were not opened: {screen}"
        );
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
}

/// The config file's `[layers]` limits are what both front ends judge by: `check --files`
/// says `wasted-space` and exits 1 without a flag (a flag overrides the file), and the TUI's
/// `f` lists the same finding in the same words, through a registry that needs credentials.
#[test]
fn waste_limits_from_the_config_file_give_one_verdict_in_both_front_ends() {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    support::layers::push_dive_index(&reg);
    let sandbox = Sandbox::new();
    sandbox.regscope_config("[layers]\nmax_wasted = \"200\"\nmin_efficiency = 0.95\n");
    let cache = sandbox.path().join("cache").display().to_string();
    let reference = format!("{}/team/fat:v1", reg.host);
    let words = "the layers of linux/amd64 waste space as dive counts it: 290 B wasted (more than the limit, 200 B), efficiency 92.26% (below the limit, 95.00%); the largest: /etc/app.conf (2 copies, 220 B)";

    let (code, text, err) = run_cached(
        &sandbox,
        &cache,
        &["check", &reference, "--files", "--target", "linux/amd64"],
    );
    assert_eq!(code, 1, "{text}{err}");
    assert!(text.contains("wasted-space"), "{text}");
    assert!(text.contains(words), "{text}");
    assert!(
        text.contains("FAIL: the layers waste space past the limits"),
        "{text}"
    );
    // The flags override the file: within both, the check passes.
    let (code, text, err) = run_cached(
        &sandbox,
        &cache,
        &[
            "check",
            &reference,
            "--files",
            "--target",
            "linux/amd64",
            "--max-wasted",
            "1KB",
            "--min-efficiency",
            "0.9",
        ],
    );
    assert_eq!(code, 0, "{text}{err}");
    assert!(!text.contains("wasted-space"), "{text}");

    // The tree's row, from the figures `check` kept, says it is past the limits before `f`.
    let tmux = tui_cached(&sandbox, &cache, &reference, (200, 40));
    let screen = tmux.wait_for("linux/amd64  92.26% efficient");
    let row = |screen: &str, platform: &str| {
        screen
            .lines()
            .find(|l| l.contains(&format!("{platform}  ")))
            .unwrap_or_else(|| panic!("no {platform} row: {screen}"))
            .to_string()
    };
    assert!(
        row(&screen, "linux/amd64").contains(
            "92.26% efficient, 1.3 KiB unpacked (measured just now)  past the waste limits"
        ),
        "{screen}"
    );
    assert!(
        row(&screen, "linux/arm64").contains("not measured"),
        "{screen}"
    );
    tmux.keys(&["Down", "f"]);
    let screen = tmux.wait_for("wasted-space");
    assert!(
        support::tmux::flowed(&screen).contains(&support::tmux::flowed(words)),
        "{screen}"
    );
    // Back in the tree: the finding is among the tree's, and the row says the same.
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("linux/amd64  92.26% efficient");
    assert!(
        row(&screen, "linux/amd64").contains("past the waste limits"),
        "{screen}"
    );
    assert!(screen.contains("wasted-space"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

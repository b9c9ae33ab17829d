//! regscope's own logins against real keyrings: a real GNOME Keyring (Secret Service) on a
//! private D-Bus session, the Linux kernel keyring (keyutils) when no Secret Service is
//! reachable, and the clear refusal when neither is. After each, no file in the sandbox holds
//! the secret in plain text.
//!
//! The keyring code reads its environment (`DBUS_SESSION_BUS_ADDRESS`, `HOME`, `XDG_*`,
//! `REGSCOPE_LOGINS_FILE`, `REGSCOPE_KEYRING`) from the process, and tests run as threads of
//! one process, so each library-level test re-runs this test binary in a child with its own
//! environment: the outer `#[test]` sets it up and asserts on the child; the inner one (marked
//! `#[ignore]` so a plain run skips it, and failing without [`INNER`]) makes the calls.
//!
//! Tools (Debian packages, installed by `scripts/test.sh`): `dbus-run-session` (dbus-daemon),
//! `gnome-keyring-daemon` (gnome-keyring).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use regscope::auth::keyring::{self, Backend, KeyringError};
use support::sandbox::{skip, Sandbox};
use support::{regscope_bin, TestRegistry};

/// Set in the child to the name of the inner test it is to run.
const INNER: &str = "REGSCOPE_KEYRING_TEST_INNER";
const USER: &str = "kate";
const SECRET: &str = "s3cret-Passw0rd-for-keyring-test";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the inner test `name` of this binary through `cmd` (which must end up exec'ing this
/// binary with the arguments given here) and checks that it ran and passed.
fn run_inner(mut cmd: Command, name: &str) -> String {
    let out = cmd
        .env(INNER, name)
        .stdin(Stdio::null())
        .output()
        .expect("run the inner test");
    let t = text(&out);
    assert!(out.status.success(), "inner test {name} failed:\n{t}");
    assert!(
        t.contains("1 passed"),
        "inner test {name} did not run:\n{t}"
    );
    assert!(!t.contains(SECRET), "the secret was printed:\n{t}");
    for line in t.lines().filter(|l| l.contains("KEYRING-TEST")) {
        println!("child: {line}");
    }
    t
}

fn this_exe() -> PathBuf {
    std::env::current_exe().expect("current_exe")
}

fn inner_args(name: &str) -> [&str; 5] {
    [
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]
}

/// Why the inner test found its keyring unusable (the child's `KEYRING-TEST: SKIP` line), if
/// it did: the outer test then skips only where [`skip`] allows it, and fails otherwise.
fn skip_reason(out: &str) -> Option<&str> {
    out.lines()
        .find_map(|l| l.strip_prefix("KEYRING-TEST: SKIP "))
}

/// Whether this process is the child asked to run inner test `name`.
/// Fails when it is not (`cargo test -- --ignored` run by hand): an inner test that returned
/// early would pass without checking anything.
fn assert_inner(name: &str) {
    assert_eq!(
        std::env::var(INNER).as_deref(),
        Ok(name),
        "{name} runs only in the child its outer test starts (with {INNER}={name})"
    );
}

/// A registry name no other run shares (the kernel keyring is per user, not per sandbox).
fn unique_registry(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}-{}-{nanos}.test:5000", std::process::id())
}

/// Polls `lookup` until it finds nothing: keyutils' search cache may still return a key
/// for a few milliseconds after it was invalidated in the same process.
fn assert_gone(registry: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while keyring::lookup(registry).is_some() {
        assert!(
            Instant::now() < deadline,
            "{registry} still found after remove"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The store / lookup / list / remove cycle the inner tests share; `expected` is where the
/// secret must land.
fn login_cycle(registry: &str, expected: Backend) {
    // Spelled as a user might: scheme, path and upper case are normalised away.
    let spelled = format!("https://{}/v2/", registry.to_ascii_uppercase());
    let backend = keyring::store(&spelled, USER, SECRET).expect("store");
    assert_eq!(backend, expected);

    let found = keyring::lookup(registry).expect("lookup finds the login");
    assert_eq!(found.username, USER);
    assert_eq!(found.secret(), SECRET);
    assert!(!format!("{found:?}").contains(SECRET));
    assert_eq!(
        keyring::logins(),
        vec![(registry.to_string(), USER.to_string())]
    );

    let file = std::fs::read_to_string(keyring::logins_file().expect("path")).expect("read");
    assert!(
        !file.contains(SECRET),
        "the plain file holds the secret:\n{file}"
    );
    assert!(file.contains(registry) && file.contains(USER), "{file}");
    assert!(file.contains(expected.id()), "{file}");

    // A second login replaces the first.
    keyring::store(registry, "kate2", "another-secret").expect("store again");
    let found = keyring::lookup(registry).expect("lookup");
    assert_eq!(
        (found.username.as_str(), found.secret()),
        ("kate2", "another-secret")
    );
    keyring::store(registry, USER, SECRET).expect("store back");

    assert!(keyring::remove(&spelled).expect("remove"), "it existed");
    assert_gone(registry);
    assert!(keyring::logins().is_empty());
    assert!(
        !keyring::remove(registry).expect("remove again"),
        "already gone"
    );
    println!("KEYRING-TEST: {} ok", expected.id());
}

// ---- (1) a real Secret Service: GNOME Keyring on a private D-Bus session --------------------

#[test]
fn secret_service_stores_finds_and_removes_a_login() {
    let sandbox = Sandbox::new();
    let name = "inner_secret_service";
    let cmd = sandbox.in_keyring_session(&this_exe(), &inner_args(name));
    let out = run_inner(cmd, name);
    assert!(out.contains("KEYRING-TEST: secret-service ok"), "{out}");
    assert_eq!(sandbox.files_containing(SECRET), Vec::<PathBuf>::new());
}

#[test]
#[ignore = "run in a child by secret_service_stores_finds_and_removes_a_login"]
fn inner_secret_service() {
    assert_inner("inner_secret_service");
    login_cycle("ghcr.io", Backend::SecretService);
    // Docker Hub's aliases are one registry.
    keyring::store("index.docker.io", USER, SECRET).expect("store hub");
    let found = keyring::lookup("docker.io").expect("hub found under docker.io");
    assert_eq!(found.secret(), SECRET);
    assert!(keyring::remove("registry-1.docker.io").expect("remove hub"));
}

// ---- (2) the kernel keyring when no Secret Service is reachable ----------------------------

#[test]
fn keyutils_is_the_fallback_without_a_secret_service() {
    let sandbox = Sandbox::new();
    let name = "inner_keyutils";
    let mut cmd = sandbox.command(&this_exe());
    cmd.args(inner_args(name));
    let out = run_inner(cmd, name);
    if let Some(reason) = skip_reason(&out) {
        skip(
            "keyring",
            "keyutils_is_the_fallback_without_a_secret_service",
            &format!("the kernel keyring is not usable here: {reason}"),
        );
        return;
    }
    assert!(out.contains("KEYRING-TEST: keyutils ok"), "{out}");
    assert_eq!(sandbox.files_containing(SECRET), Vec::<PathBuf>::new());
}

#[test]
#[ignore = "run in a child by keyutils_is_the_fallback_without_a_secret_service"]
fn inner_keyutils() {
    assert_inner("inner_keyutils");
    let registry = unique_registry("keyutils");
    // Probe: a sandbox may filter keyctl(2) (docker's default seccomp profile does).
    match keyring::store(&registry, USER, SECRET) {
        Ok(backend) => {
            assert_eq!(backend, Backend::Keyutils);
            let message = backend.success_message(&registry, USER);
            assert!(message.contains("does not survive a reboot"), "{message}");
            assert!(keyring::remove(&registry).expect("remove probe"));
        }
        Err(e @ KeyringError::Unavailable { .. }) => {
            println!("KEYRING-TEST: SKIP {e}");
            return;
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
    login_cycle(&registry, Backend::Keyutils);
}

// ---- across processes: each `regscope` run is a new process -------------------------------

/// Stores in one child and reads back and removes in another: for the Secret Service on two
/// separate D-Bus sessions and keyring daemons (the secret comes back from GNOME Keyring's
/// encrypted file), for keyutils from the kernel.
#[test]
fn a_login_is_found_by_a_later_process() {
    for backend in [Backend::SecretService, Backend::Keyutils] {
        let sandbox = Sandbox::new();
        let registry = unique_registry("later");
        let step = |name: &str, step: &str| {
            let mut cmd = match backend {
                Backend::SecretService => {
                    sandbox.in_keyring_session(&this_exe(), &inner_args(name))
                }
                Backend::Keyutils => {
                    let mut c = sandbox.command(&this_exe());
                    c.args(inner_args(name));
                    c
                }
            };
            cmd.env("KEYRING_TEST_STEP", step)
                .env("KEYRING_TEST_REGISTRY", &registry)
                .env("KEYRING_TEST_BACKEND", backend.id());
            run_inner(cmd, name)
        };
        let out = step("inner_step", "store");
        if let Some(reason) = skip_reason(&out) {
            skip(
                "keyring",
                &format!("a_login_is_found_by_a_later_process/{}", backend.id()),
                &format!("{} is not usable here: {reason}", backend.id()),
            );
            continue;
        }
        step("inner_step", "lookup-remove");
        assert_eq!(sandbox.files_containing(SECRET), Vec::<PathBuf>::new());
    }
}

#[test]
#[ignore = "run in a child by a_login_is_found_by_a_later_process"]
fn inner_step() {
    assert_inner("inner_step");
    let var = |n: &str| std::env::var(n).expect(n);
    let registry = var("KEYRING_TEST_REGISTRY");
    let backend = var("KEYRING_TEST_BACKEND");
    match var("KEYRING_TEST_STEP").as_str() {
        "store" => match keyring::store(&registry, USER, SECRET) {
            Ok(b) => assert_eq!(b.id(), backend),
            Err(e @ KeyringError::Unavailable { .. }) => println!("KEYRING-TEST: SKIP {e}"),
            Err(e) => panic!("store: {e}"),
        },
        "lookup-remove" => {
            let found = keyring::find(&registry)
                .expect("find")
                .expect("stored earlier");
            assert_eq!((found.username.as_str(), found.secret()), (USER, SECRET));
            assert!(keyring::remove(&registry).expect("remove"));
            assert_gone(&registry);
            println!("KEYRING-TEST: {backend} found by a later process");
        }
        other => panic!("unknown step {other}"),
    }
}

// ---- (3) no keyring at all --------------------------------------------------------------

#[test]
fn without_any_keyring_store_refuses_and_writes_no_secret() {
    let sandbox = Sandbox::new();
    let name = "inner_no_keyring";
    let mut cmd = sandbox.command(&this_exe());
    // Only the Secret Service is allowed, and none is on the (absent) bus.
    cmd.env("REGSCOPE_KEYRING", "secret-service")
        .args(inner_args(name));
    let out = run_inner(cmd, name);
    assert!(out.contains("KEYRING-TEST: refused"), "{out}");
    assert!(!sandbox.logins_file().exists());
    assert_eq!(sandbox.files_containing(SECRET), Vec::<PathBuf>::new());
}

#[test]
#[ignore = "run in a child by without_any_keyring_store_refuses_and_writes_no_secret"]
fn inner_no_keyring() {
    assert_inner("inner_no_keyring");
    let err = keyring::store("ghcr.io", USER, SECRET).expect_err("no keyring reachable");
    assert!(matches!(err, KeyringError::Unavailable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("no OS keyring is reachable"),
        "{message}"
    );
    assert!(message.contains("`docker login ghcr.io`"), "{message}");
    assert!(!message.contains(SECRET) && !format!("{err:?}").contains(SECRET));
    assert!(keyring::lookup("ghcr.io").is_none());
    assert!(keyring::logins().is_empty());
    println!("KEYRING-TEST: refused: {message}");
}

// ---- the binary: `regscope login` / `logout`, and the login used against a real registry ----

/// `regscope login REGISTRY --username USER --password-stdin` with `SECRET` on stdin.
fn login_cmd(mut cmd: Command) -> Output {
    use std::io::Write as _;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn regscope login");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{SECRET}\n").as_bytes())
        .expect("write password");
    child.wait_with_output().expect("wait")
}

#[test]
fn cli_login_is_used_by_inspect_and_logout_removes_it() {
    let reg = TestRegistry::builder().htpasswd(USER, SECRET).start();
    reg.seed_fixture("unsigned-image", "app:v1");
    let sandbox = Sandbox::new();
    let bin = regscope_bin();
    let image = format!("{}/app:v1", reg.host);

    // A wrong user is refused by the registry, and nothing is stored.
    let out = login_cmd(sandbox.in_keyring_session(
        &bin,
        &[
            "login",
            &reg.host,
            "--username",
            "mallory",
            "--password-stdin",
        ],
    ));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("401") && !t.contains(SECRET),
        "the registry's refusal: {t}"
    );
    assert!(!sandbox.logins_file().exists());

    let out = login_cmd(sandbox.in_keyring_session(
        &bin,
        &["login", &reg.host, "--username", USER, "--password-stdin"],
    ));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("Secret Service") && !t.contains(SECRET), "{t}");
    assert!(sandbox.logins_file().exists());

    // A new D-Bus session and keyring daemon, as after logging in again: the secret comes
    // back from GNOME Keyring's (encrypted) file.
    let out = sandbox
        .in_keyring_session(&bin, &["inspect", "-v", &image])
        .output()
        .expect("inspect");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("regscope login") && !t.contains(SECRET), "{t}");

    // `regscope auth` without a registry (and the TUI's registry list) knows the login.
    let out = sandbox
        .in_keyring_session(&bin, &["auth", "--json"])
        .output()
        .expect("auth");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let row = rows
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["registry"] == reg.host.as_str()))
        .unwrap_or_else(|| panic!("the login's registry is listed: {rows}"));
    assert_eq!(row["source"], "regscope login (OS keyring)");
    assert_eq!(row["ok"], true, "{row}");

    let out = sandbox
        .in_keyring_session(&bin, &["logout", &reg.host])
        .output()
        .expect("logout");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let out = sandbox
        .in_keyring_session(&bin, &["inspect", &image])
        .output()
        .expect("inspect after logout");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "anonymous now: {t}");
    assert!(
        t.contains("401") && t.contains(&format!("docker login {}", reg.host)),
        "the refusal says why and what to do: {t}"
    );
    assert_eq!(sandbox.files_containing(SECRET), Vec::<PathBuf>::new());
}

#[test]
fn cli_login_without_a_keyring_points_at_docker_login() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command(&regscope_bin());
    // --no-verify: the keyring is reached without asking ghcr.io (no network here).
    cmd.env("REGSCOPE_KEYRING", "secret-service").args([
        "login",
        "ghcr.io",
        "--username",
        USER,
        "--password-stdin",
        "--no-verify",
    ]);
    let out = login_cmd(cmd);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("no OS keyring is reachable") && t.contains("docker login ghcr.io"),
        "{t}"
    );
    assert!(!t.contains(SECRET), "{t}");
    assert!(!sandbox.logins_file().exists());
    assert_eq!(sandbox.files_containing(SECRET), Vec::<PathBuf>::new());
}

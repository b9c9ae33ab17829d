//! The CLI picks up the user's docker credentials against a real htpasswd-protected
//! docker-registry; `regscope auth` explains where they came from. Never prints a secret.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;
use std::process::Output;

use base64::Engine as _;
use support::{regscope_bin, TestRegistry};

const USER: &str = "bob";
const PASSWORD: &str = "correct-horse-battery";

fn regscope_in(home: &Path, path_prefix: Option<&Path>, args: &[&str]) -> Output {
    let mut path = std::env::var("PATH").unwrap_or_default();
    if let Some(p) = path_prefix {
        path = format!("{}:{path}", p.display());
    }
    support::isolated_command(&regscope_bin(), home)
        .args(args)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("PATH", path)
        .output()
        .expect("run regscope")
}

fn docker_config(home: &Path, config: &serde_json::Value) {
    std::fs::create_dir_all(home.join(".docker")).expect("mkdir");
    std::fs::write(
        home.join(".docker/config.json"),
        serde_json::to_vec(config).expect("json"),
    )
    .expect("write");
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

fn registry() -> TestRegistry {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    reg.seed_fixture("unsigned-image", "app:v1");
    reg
}

#[test]
fn docker_auths_entry_is_used_and_reported() {
    let reg = registry();
    let home = tempfile::tempdir().expect("tempdir");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    docker_config(
        home.path(),
        &serde_json::json!({"auths": {(format!("http://{}", reg.host)): {"auth": auth}}}),
    );

    let out = regscope_in(
        home.path(),
        None,
        &["inspect", "-v", &format!("{}/app:v1", reg.host)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("auths"),
        "-v names the source: {}",
        text(&out)
    );

    let out = regscope_in(home.path(), None, &["auth", &reg.host]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("auths")
            && t.contains(&format!("user {USER}"))
            && t.contains("Basic")
            && t.contains("ok"),
        "{t}"
    );

    let out = regscope_in(home.path(), None, &["auth", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows[0]["registry"], reg.host.as_str());
    assert_eq!(rows[0]["ok"], true);
    assert!(!text(&out).contains(PASSWORD) && !text(&out).contains(&auth));
}

#[test]
fn a_creds_store_helper_is_run_and_a_failing_one_falls_through() {
    let reg = registry();
    let home = tempfile::tempdir().expect("tempdir");
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let helper = bin.join("docker-credential-teststore");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n"),
    )
    .expect("write helper");
    let broken = bin.join("docker-credential-broken");
    std::fs::write(
        &broken,
        "#!/bin/sh\necho 'credentials not found in native keychain'\nexit 1\n",
    )
    .expect("write helper");
    for f in [&helper, &broken] {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    docker_config(home.path(), &serde_json::json!({"credsStore": "teststore"}));
    let out = regscope_in(
        home.path(),
        Some(&bin),
        &["inspect", &format!("{}/app:v1", reg.host)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains(PASSWORD));

    // A per-registry helper that fails falls through to the store, with a note.
    docker_config(
        home.path(),
        &serde_json::json!({"credsStore": "teststore", "credHelpers": {(reg.host.clone()): "broken"}}),
    );
    let out = regscope_in(home.path(), Some(&bin), &["auth", &reg.host]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("teststore") && t.contains("broken"), "{t}");
    assert!(!t.contains(PASSWORD), "{t}");
}

#[test]
fn wrong_or_missing_credentials_say_what_to_do() {
    let reg = registry();
    let home = tempfile::tempdir().expect("tempdir");
    docker_config(home.path(), &serde_json::json!({}));
    let out = regscope_in(
        home.path(),
        None,
        &["inspect", &format!("{}/app:v1", reg.host)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("401") && text(&out).contains("docker login"),
        "{}",
        text(&out)
    );

    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:wrong-pw-77"));
    docker_config(
        home.path(),
        &serde_json::json!({"auths": {(reg.host.clone()): {"auth": wrong}}}),
    );
    let out = regscope_in(home.path(), None, &["auth", &reg.host]);
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("FAILED") && t.contains("401"), "{t}");
    assert!(!t.contains("wrong-pw-77") && !t.contains(&wrong), "{t}");
}

//! The config file and docker's certs.d convention, against real registries.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;
use std::process::Output;

use support::{regscope_bin, TestRegistry};

fn regscope(config: &Path, certs_d: Option<&Path>, args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = support::isolated_command(&regscope_bin(), home.path());
    cmd.args(args).env("REGSCOPE_CONFIG", config);
    match certs_d {
        Some(d) => cmd.env("REGSCOPE_CERTS_D", d),
        None => cmd.env("REGSCOPE_CERTS_D", "/nonexistent"),
    };
    let out = cmd.output().expect("run regscope");
    support::words::assert_no_debug_syntax(&String::from_utf8_lossy(&out.stderr));
    out
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn ca_file_per_registry_and_certs_d_make_a_private_ca_trusted() {
    let reg = TestRegistry::builder().tls_self_signed().start();
    reg.seed_fixture("unsigned-image", "app:v1");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let reference = format!("{}/app:v1", reg.host);

    std::fs::write(&config, "").expect("write");
    assert_eq!(
        regscope(&config, None, &["inspect", &reference])
            .status
            .code(),
        Some(1),
        "untrusted by default"
    );

    let ca = reg.ca_cert().expect("ca").display().to_string();
    std::fs::write(
        &config,
        format!("[registry.\"{}\"]\nca_file = \"{ca}\"\n", reg.host),
    )
    .expect("write");
    let out = regscope(&config, None, &["inspect", &reference]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));

    std::fs::write(&config, "").expect("write");
    let certs_d = dir.path().join("certs.d");
    std::fs::create_dir_all(certs_d.join(&reg.host)).expect("mkdir");
    std::fs::copy(
        reg.ca_cert().expect("ca"),
        certs_d.join(&reg.host).join("ca.crt"),
    )
    .expect("copy");
    let out = regscope(&config, Some(&certs_d), &["inspect", &reference]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
}

#[test]
fn endpoint_reaches_a_registry_name_at_another_address() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-image", "app:v1");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[registry.\"registry.example.test:5000\"]\nendpoint = \"{}\"\nplain_http = true\n",
            reg.host
        ),
    )
    .expect("write");
    let out = regscope(
        &config,
        None,
        &["inspect", "registry.example.test:5000/app:v1"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert!(all(&out).contains("registry.example.test:5000/app:v1"));
}

#[test]
fn unknown_keys_are_reported_not_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[registry.\"r.example\"]\nca_flie = \"/x.pem\"\n").expect("write");
    let out = regscope(&config, None, &["inspect", "r.example/app:v1"]);
    assert_eq!(out.status.code(), Some(2));
    let t = all(&out);
    assert!(
        t.contains("ca_flie") && t.contains("line 2") && t.contains(&config.display().to_string()),
        "{t}"
    );
    let out = regscope(&config, None, &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = regscope(&config, None, &["config", "path"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(all(&out).contains(&config.display().to_string()));
}

#[test]
fn the_tui_target_is_checked_like_any_other_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "# deploy\ntarget = \"lambda/riscv\"\n").expect("write");
    let out = regscope(&config, None, &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let t = all(&out);
    assert!(
        t.contains("line 2") && t.contains("`lambda/riscv` is not a Lambda target"),
        "{t}"
    );
    std::fs::write(&config, "target = \"lambda/arm64\"\n").expect("write");
    let out = regscope(&config, None, &["config", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert!(all(&out).contains("target lambda/arm64"), "{}", all(&out));
    // A bad --target is a usage error before any terminal is touched.
    let out = regscope(&config, None, &["tui", "--target", "amd64", "127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        all(&out).contains("--target: `amd64` is not a platform"),
        "{}",
        all(&out)
    );
}

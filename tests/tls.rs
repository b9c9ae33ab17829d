//! TLS against a real docker-registry serving a certificate from a CA made for the test.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::Output;

use support::{regscope_bin, TestRegistry};

/// Runs regscope; its stderr is checked for Rust `Debug` syntax.
fn regscope(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&regscope_bin(), home.path())
        .args(args)
        .output()
        .expect("run regscope");
    support::words::assert_no_debug_syntax(&String::from_utf8_lossy(&out.stderr));
    out
}

fn tls_registry() -> TestRegistry {
    let reg = TestRegistry::builder().tls_self_signed().start();
    assert!(reg.is_https());
    reg.seed_fixture("unsigned-image", "app:v1");
    reg
}

#[test]
fn an_untrusted_certificate_is_explained_and_never_downgraded_to_http() {
    let reg = tls_registry();
    let out = regscope(&["inspect", &format!("{}/app:v1", reg.host)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS with"), "{err}");
    assert!(
        err.contains("the server presented"),
        "names the certificate: {err}"
    );
    assert!(err.contains("issued by"), "{err}");
    assert!(err.contains("127.0.0.1"), "lists the SANs: {err}");
    assert!(
        err.contains("--ca-file") && err.contains("certs.d"),
        "says how to trust it: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn ca_file_makes_it_trusted() {
    let reg = tls_registry();
    let ca = reg.ca_cert().expect("test CA").display().to_string();
    let out = regscope(&["inspect", "--ca-file", &ca, &format!("{}/app:v1", reg.host)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("linux/amd64"));
}

#[test]
fn insecure_works_and_says_so_loudly() {
    let reg = tls_registry();
    let out = regscope(&["inspect", "--insecure", &format!("{}/app:v1", reg.host)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("verification is OFF"));
}

#[test]
fn a_file_that_is_not_a_certificate_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bogus = dir.path().join("ca.pem");
    std::fs::write(&bogus, "not a certificate").expect("write");
    let out = regscope(&[
        "inspect",
        "--ca-file",
        &bogus.display().to_string(),
        "127.0.0.1:1/app:v1",
    ]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("certificate"), "{err}");
}

#[test]
fn ssl_cert_file_is_honoured() {
    let reg = tls_registry();
    let ca = reg.ca_cert().expect("test CA");
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&regscope_bin(), home.path())
        .args(["inspect", &format!("{}/app:v1", reg.host)])
        .env("SSL_CERT_FILE", ca)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn htpasswd_behind_tls_with_docker_config_credentials() {
    use base64::Engine as _;
    let reg = TestRegistry::builder()
        .tls_self_signed()
        .htpasswd("carol", "tls-and-basic-pw")
        .start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".docker")).expect("mkdir");
    let auth = base64::engine::general_purpose::STANDARD.encode("carol:tls-and-basic-pw");
    std::fs::write(
        home.path().join(".docker/config.json"),
        serde_json::json!({"auths": {(format!("https://{}", reg.host)): {"auth": auth}}})
            .to_string(),
    )
    .expect("write");
    let ca = reg.ca_cert().expect("ca").display().to_string();
    let run = |home: &std::path::Path| {
        support::isolated_command(&regscope_bin(), home)
            .args([
                "inspect",
                "--ca-file",
                &ca,
                &format!("{}/team/app:v1", reg.host),
            ])
            .env("DOCKER_CONFIG", home.join(".docker"))
            .output()
            .expect("run")
    };
    let out = run(home.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ATTESTATION"));
    let empty = tempfile::tempdir().expect("tempdir");
    let out = run(empty.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
}

//! TLS against a real docker-registry serving a certificate from a CA made for the test.

mod support;

use std::process::{Command, Output};

use support::{regscope_bin, TestRegistry};

fn regscope(args: &[&str]) -> Output {
    Command::new(regscope_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run regscope")
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

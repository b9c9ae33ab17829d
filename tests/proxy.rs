//! Proxies as curl, Go and docker use them, end to end with the `regscope` binary, a real
//! docker-registry and a forward proxy on 127.0.0.1 that tunnels every connection to it (so a
//! registry with a made-up name is reached through the proxy, and nothing leaves loopback).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::Output;

use support::proxy::TestProxy;
use support::{regscope_bin, TestRegistry};

const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

fn regscope(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = support::isolated_command(&regscope_bin(), home.path());
    cmd.args(args).arg("--no-cache");
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run regscope")
}

/// Stderr, checked for Rust `Debug` syntax.
fn stderr(o: &Output) -> String {
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    support::words::assert_no_debug_syntax(&text);
    text
}

#[test]
fn loopback_registries_never_go_through_the_proxy() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let proxy = TestProxy::start(&format!("127.0.0.1:{}", reg.port));
    let url = proxy.url();
    let out = regscope(
        &["inspect", &format!("{}/team/app:v7", reg.host)],
        &[
            ("HTTP_PROXY", &url),
            ("HTTPS_PROXY", &url),
            ("ALL_PROXY", &url),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[test]
fn a_private_registry_is_reached_through_the_proxy_and_named_in_its_errors() {
    const USER: &str = "proxied";
    const PASSWORD: &str = "through-Proxy-77";
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let proxy = TestProxy::start(&format!("127.0.0.1:{}", reg.port));
    // A name only the proxy can reach: were it tried directly, the run would fail.
    let name = format!("registry.example.test:{}", reg.port);
    let creds = [("REGSCOPE_USERNAME", USER), ("REGSCOPE_PASSWORD", PASSWORD)];
    let mut env = vec![("HTTP_PROXY", proxy.url())];
    env.extend(creds.iter().map(|(k, v)| (*k, (*v).to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = regscope(
        &["inspect", "--plain-http", &format!("{name}/team/app:v7")],
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("linux/arm64"));
    let seen = proxy.seen();
    assert!(
        seen.iter()
            .any(|l| l.starts_with(&format!("GET http://{name}/v2/"))),
        "{seen:?}"
    );

    // A proxy that is not there: the error names the proxy (without its credentials) and
    // says how to go around it, not "check that the registry is running".
    let out = regscope(
        &["inspect", "--plain-http", &format!("{name}/team/app:v7")],
        &[("HTTP_PROXY", "http://puser:proxy-Pass-5@127.0.0.1:1")],
    );
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("through the proxy http://127.0.0.1:1") && err.contains("NO_PROXY"),
        "{err}"
    );
    assert!(!err.contains("proxy-Pass-5"), "{err}");
}

#[test]
fn behind_a_proxy_the_certificate_diagnosis_describes_what_the_proxy_path_presents() {
    let reg = TestRegistry::builder().tls_self_signed().start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let proxy = TestProxy::start(&format!("127.0.0.1:{}", reg.port));
    let name = format!("registry.example.test:{}", reg.port);
    let out = regscope(
        &["inspect", &format!("{name}/team/app:v7")],
        &[("HTTPS_PROXY", &proxy.url())],
    );
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    // Not trusted (a private CA), and described: the certificate came through the tunnel,
    // since the made-up name cannot be reached any other way.
    assert!(err.contains("TLS with"), "{err}");
    assert!(err.contains("the server presented"), "{err}");
    let connects = proxy
        .seen()
        .iter()
        .filter(|l| l.starts_with(&format!("CONNECT {name}")))
        .count();
    assert!(
        connects >= 2,
        "the request and the diagnosis: {:?}",
        proxy.seen()
    );
}

//! `regscope auth` goes through the same connection as `inspect`: the config file's `ca_file`
//! and `endpoint` count, and Docker Hub's pull rate limit is read from its headers (here from
//! an in-process stand-in answering as Hub does: bearer token, then `ratelimit-*` headers).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{regscope_bin, TestRegistry};

const USER: &str = "carol";
const PASSWORD: &str = "tls-and-basic-secret";

fn regscope(home: &Path, config: &Path, args: &[&str]) -> Output {
    support::isolated_command(&regscope_bin(), home)
        .args(args)
        .env("DOCKER_CONFIG", home.join(".docker"))
        .env("REGSCOPE_CONFIG", config)
        .env("REGSCOPE_CERTS_D", "/nonexistent")
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("SSL_CERT_FILE")
        .output()
        .unwrap()
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

fn docker_auths(home: &Path, registry: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::write(
        home.join(".docker/config.json"),
        serde_json::json!({"auths": {registry: {"auth": auth}}}).to_string(),
    )
    .unwrap();
}

#[test]
fn auth_uses_the_config_files_ca_file_and_endpoint() {
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    // A registry name that resolves nowhere, reached at the test registry through `endpoint`,
    // trusted through `ca_file`: only the config file makes this work.
    let name = "registry.example.test:5000";
    docker_auths(home.path(), name);

    std::fs::write(
        &config,
        format!("[registry.\"{name}\"]\nendpoint = \"{}\"\n", reg.host),
    )
    .unwrap();
    let out = regscope(home.path(), &config, &["auth", name]);
    assert_eq!(out.status.code(), Some(1), "untrusted CA: {}", text(&out));
    assert!(text(&out).contains("ca_file"), "{}", text(&out));

    let ca = reg.ca_cert().unwrap().display().to_string();
    std::fs::write(
        &config,
        format!(
            "[registry.\"{name}\"]\nendpoint = \"{}\"\nca_file = \"{ca}\"\n",
            reg.host
        ),
    )
    .unwrap();
    let out = regscope(home.path(), &config, &["auth", name]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains(&format!("endpoint     {}", reg.host)), "{t}");
    assert!(t.contains("challenge    Basic"), "{t}");
    assert!(t.contains(&format!("user {USER}")), "{t}");
    assert!(t.contains("check        ok"), "{t}");
    assert!(!t.contains(PASSWORD), "the secret leaked: {t}");

    let out = regscope(home.path(), &config, &["auth", name, "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["endpoint"], reg.host.as_str());
    assert_eq!(rows[0]["ok"], true);
    assert!(rows[0]["tls"]["extraCAs"][0]
        .as_str()
        .unwrap()
        .contains("config file"));
}

/// What the stand-in saw: request lines, and whether a token was presented for the probe.
#[derive(Default)]
struct Seen {
    lines: Vec<String>,
}

/// A minimal Docker Hub: `/v2/` asks for a bearer token from `/token`, which hands one out;
/// the rate-limit probe's manifest answers with Hub's `ratelimit-*` headers when the token is
/// presented. Anything that is not HTTP (the HTTPS attempt on a loopback name) is dropped.
fn docker_hub_stand_in() -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let realm = format!("http://{host}/token");
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let realm = realm.clone();
            let record = record.clone();
            std::thread::spawn(move || serve_one(stream, &realm, &record));
        }
    });
    (host, seen)
}

fn serve_one(mut stream: TcpStream, realm: &str, seen: &Mutex<Seen>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0
            || !(request_line.starts_with("GET ") || request_line.starts_with("HEAD "))
        {
            return;
        }
        let head = request_line.starts_with("HEAD ");
        let mut authorized = false;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            authorized |= header
                .to_ascii_lowercase()
                .starts_with("authorization: bearer hub-token");
        }
        let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
        seen.lock()
            .unwrap()
            .lines
            .push(format!("{} {path}", if head { "HEAD" } else { "GET" }));
        let (status, headers, body) = if path.starts_with("/token") {
            (200, String::new(), r#"{"token":"hub-token"}"#.to_string())
        } else if !authorized {
            (
                401,
                format!(
                    "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"registry.docker.io\"\r\n"
                ),
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                    .to_string(),
            )
        } else if path == "/v2/" {
            (200, String::new(), "{}".to_string())
        } else if path == "/v2/ratelimitpreview/test/manifests/latest" {
            (
                200,
                "Content-Type: application/vnd.docker.distribution.manifest.v2+json\r\nratelimit-limit: 100;w=21600\r\nratelimit-remaining: 76;w=21600\r\ndocker-ratelimit-source: 203.0.113.5\r\n".to_string(),
                r#"{"schemaVersion":2}"#.to_string(),
            )
        } else {
            (404, String::new(), String::new())
        };
        let reason = match status {
            200 => "OK",
            401 => "Unauthorized",
            _ => "Not Found",
        };
        // A HEAD is answered with the length the GET's body would have, and no body.
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\n{headers}Content-Length: {}\r\n\r\n{}",
            body.len(),
            if head { "" } else { body.as_str() }
        );
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn docker_hub_rate_limit_is_reported_from_its_headers() {
    let (host, seen) = docker_hub_stand_in();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[registry.\"docker.io\"]\nendpoint = \"{host}\"\n"),
    )
    .unwrap();

    let out = regscope(home.path(), &config, &["auth", "docker.io"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("credentials  anonymous"), "{t}");
    assert!(t.contains("service=registry.docker.io"), "{t}");
    assert!(
        t.contains("rate limit   pulls left 76/100 per 6h, counted against 203.0.113.5; anonymous pulls are counted per IP address, a docker login raises the limit"),
        "{t}"
    );
    let probes = seen.lock().unwrap().lines.clone();
    assert!(
        probes
            .iter()
            .any(|p| p.contains("scope=repository%3Aratelimitpreview%2Ftest%3Apull")),
        "the probe's token was asked for its repository: {probes:?}"
    );
    // Docker Hub counts manifest GETs against the limit, not HEADs.
    assert!(
        probes.contains(&"HEAD /v2/ratelimitpreview/test/manifests/latest".to_string())
            && !probes
                .iter()
                .any(|p| p.starts_with("GET /v2/ratelimitpreview")),
        "the probe is a HEAD: {probes:?}"
    );

    let out = regscope(home.path(), &config, &["auth", "docker.io", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["rateLimit"]["remaining"], "76;w=21600");
    assert_eq!(rows[0]["rateLimit"]["limit"], "100;w=21600");
    assert_eq!(rows[0]["rateLimit"]["source"], "203.0.113.5");
}

/// Registries are checked at once (an unreachable one costs its timeout, not everyone's): one
/// server, slow to answer, is two registries by name, and it sees their checks overlap.
#[test]
fn every_registry_is_checked_at_the_same_time() {
    use regscope::serve::{self, Faults, Layout};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(serve::start(
            vec![Layout::new("team/app", support::fixture("unsigned-index"))],
            Faults {
                // Long enough that checks made at once are all in the server together, even on
                // a busy machine; one after another, they never are.
                latency: Some(Duration::from_millis(1500)),
                ..Faults::default()
            },
        ))
        .unwrap();
    let port = server.addr.port();
    // Two names of the one loopback server: two registries to regscope.
    let names = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".docker")).unwrap();
    let auths: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|name| (name.clone(), serde_json::json!({"auth": "dTpw"})))
        .collect();
    std::fs::write(
        home.path().join(".docker/config.json"),
        serde_json::json!({ "auths": auths }).to_string(),
    )
    .unwrap();
    let out = regscope(
        home.path(),
        &home.path().join("none.toml"),
        &["auth", "--json"],
    );
    let rows: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let listed: Vec<_> = rows
        .as_array()
        .unwrap_or_else(|| panic!("{rows}"))
        .iter()
        .map(|r| r["registry"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(listed.len(), 2, "{rows}");
    for name in &names {
        assert!(listed.contains(name), "{name} is checked: {rows}");
    }
    // Counted by the server, not timed: a wall clock on a busy machine proves nothing.
    let seen = server.observed();
    assert_eq!(seen.max_overlap, 2, "the two checks overlapped: {seen:?}");
}

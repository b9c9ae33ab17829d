//! Errors in words (issue 26): a failed AWS credential chain says which source failed and what
//! to do, a failed connection names its layer (DNS, refused, timed out, the proxy), and none of
//! it shows Rust `Debug` syntax or a foreign response's headers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use support::sandbox::Sandbox;
use support::words::assert_no_debug_syntax;
use support::{regscope_bin, TestRegistry};

const ACCOUNT: &str = "123456789012";
const USER: &str = "ecr-user";
const PASSWORD: &str = "not-an-aws-password";

/// Variables that would point the AWS SDK or the proxy logic at the machine's real setup.
const OUTSIDE: [&str; 22] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// A sandboxed user with an ECR registry name served by a local registry that wants a login,
/// and AWS config and credentials files of their own.
struct AwsUser {
    sandbox: Sandbox,
    host: String,
    _registry: TestRegistry,
}

impl AwsUser {
    fn new(aws_config: &str) -> Self {
        let registry = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
        let host = format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com");
        let sandbox = Sandbox::new();
        sandbox.regscope_config(&format!(
            "[registry.\"{host}\"]\nendpoint = \"{}\"\nplain_http = true\n",
            registry.host
        ));
        std::fs::write(sandbox.path().join("aws-config"), aws_config).unwrap();
        std::fs::write(sandbox.path().join("aws-credentials"), "").unwrap();
        Self {
            sandbox,
            host,
            _registry: registry,
        }
    }

    fn command(&self, env: &[(&str, &str)]) -> Command {
        let mut cmd = self.sandbox.command(&regscope_bin());
        for var in OUTSIDE {
            cmd.env_remove(var);
        }
        cmd.env("AWS_CONFIG_FILE", self.sandbox.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.sandbox.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env.iter().copied());
        cmd
    }

    /// `regscope inspect` of an image here: exit code and stderr, checked for debug syntax.
    fn inspect(&self, env: &[(&str, &str)]) -> (Option<i32>, String) {
        let out = self
            .command(env)
            .args(["inspect", &format!("{}/team/app:v1", self.host)])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_no_debug_syntax(&stderr);
        assert_no_debug_syntax(&String::from_utf8_lossy(&out.stdout));
        (out.status.code(), stderr)
    }
}

#[test]
fn no_aws_credentials_names_every_source_tried_and_the_fixes() {
    let user = AwsUser::new("");
    let (code, stderr) = user.inspect(&[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("no AWS credentials found (tried"),
        "{stderr}"
    );
    let config = user.sandbox.path().join("aws-config").display().to_string();
    for part in [
        "AWS_ACCESS_KEY_ID",
        &format!("AWS profile default in {config}"),
        "web identity",
        "container credentials",
        "instance metadata (off: AWS_EC2_METADATA_DISABLED)",
        "aws sso login",
        "AWS_PROFILE",
        "docker-credential-ecr-login",
    ] {
        assert!(stderr.contains(part), "{part} in {stderr}");
    }
}

#[test]
fn an_expired_sso_login_says_to_log_in_again() {
    let user = AwsUser::new(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\nregion = us-east-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.invalid/start\nsso_region = us-east-1\n",
    );
    // No cached login yet.
    let (code, stderr) = user.inspect(&[("AWS_PROFILE", "dev")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("AWS profile dev uses SSO, and there is no SSO login cached for it; run `aws sso login --profile dev`"),
        "{stderr}"
    );

    // The cache the CLI writes, keyed by the SHA-1 of the session name, expired in 2020 and
    // without a refresh token.
    let cache = user.sandbox.home().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join(format!("{}.json", sha1_hex("corp"))),
        r#"{"accessToken": "expired-sso-token", "expiresAt": "2020-01-01T00:00:00Z", "region": "us-east-1", "startUrl": "https://corp.awsapps.invalid/start"}"#,
    )
    .unwrap();
    let (code, stderr) = user.inspect(&[("AWS_PROFILE", "dev")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the AWS SSO session of profile dev has expired; run `aws sso login --profile dev`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("expired-sso-token"), "{stderr}");
}

#[test]
fn a_failing_credential_process_is_named_with_what_it_said() {
    let user = AwsUser::new(
        "[profile vault]\ncredential_process = sh -c 'echo vault is sealed >&2; exit 3'\n",
    );
    let (code, stderr) = user.inspect(&[("AWS_PROFILE", "vault")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("AWS credentials from the credential_process of AWS profile vault failed"),
        "{stderr}"
    );
    assert!(stderr.contains("vault is sealed"), "{stderr}");
    assert!(stderr.contains("run it by hand"), "{stderr}");
}

/// A stand-in for the instance metadata service that refuses every request as a corporate
/// proxy or a locked-down host does, with headers of its own.
fn forbidding_metadata_service() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 403 Forbidden\r\nserver: stand-in-metadata\r\nx-secret-header: leak-me\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn instance_metadata_that_refuses_is_named_without_its_response() {
    let user = AwsUser::new("");
    let endpoint = forbidding_metadata_service();
    let (code, stderr) = user.inspect(&[
        ("AWS_EC2_METADATA_DISABLED", "false"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("AWS credentials from instance metadata (IMDS) failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("AWS_EC2_METADATA_DISABLED=true"),
        "{stderr}"
    );
    assert!(!stderr.contains("stand-in-metadata"), "{stderr}");
    assert!(!stderr.contains("leak-me"), "{stderr}");
}

#[test]
fn instance_metadata_that_never_answers_is_waited_on_briefly() {
    let user = AwsUser::new("");
    // Accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let (code, stderr) = user.inspect(&[
        ("AWS_EC2_METADATA_DISABLED", "false"),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
    ]);
    let took = started.elapsed();
    assert_eq!(code, Some(1), "{stderr}");
    // Nothing answered in time: not a failure of the source, just none there.
    assert!(stderr.contains("no AWS credentials found"), "{stderr}");
    assert!(
        stderr.contains("instance metadata (given 800 ms)"),
        "{stderr}"
    );
    assert!(
        took < Duration::from_secs(6),
        "the metadata service was waited on for {took:?}: {stderr}"
    );
}

#[test]
fn an_ecr_api_endpoint_that_cannot_be_reached_names_the_layer() {
    let user = AwsUser::new("");
    let keys = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let (code, stderr) = user.inspect(&[
        keys[0],
        keys[1],
        ("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:1"),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the ECR API for GetAuthorizationToken: the endpoint refused the connection"),
        "{stderr}"
    );
    assert!(
        stderr.contains("that the service behind it is running"),
        "{stderr}"
    );

    let (code, stderr) = user.inspect(&[
        keys[0],
        keys[1],
        ("AWS_ENDPOINT_URL_ECR", "http://ecr.regscope-test.invalid"),
    ]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach the ECR API for GetAuthorizationToken: the endpoint's name does not resolve"),
        "{stderr}"
    );
    assert!(
        stderr.contains("check DNS and HTTPS_PROXY/NO_PROXY"),
        "{stderr}"
    );
    assert!(!stderr.contains("running"), "{stderr}");
}

fn sha1_hex(text: &str) -> String {
    let mut child = Command::new("sha1sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

// ---- Network failures name their layer ----

/// `regscope inspect REF` with no proxy settings (plus `env`), from a fresh sandbox.
fn inspect(reference: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command(&regscope_bin());
    for var in OUTSIDE {
        cmd.env_remove(var);
    }
    let out = cmd
        .arg("inspect")
        .args(args)
        .arg(reference)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_no_debug_syntax(&stderr);
    (out.status.code(), stderr)
}

#[test]
fn a_name_that_does_not_resolve_is_a_dns_failure_not_a_registry_down() {
    let (code, stderr) = inspect("registry.regscope-test.invalid/team/app:v1", &[], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot resolve the name registry.regscope-test.invalid"),
        "{stderr}"
    );
    assert!(stderr.contains("no proxy set (HTTPS_PROXY)"), "{stderr}");
    assert!(stderr.contains("HTTPS_PROXY/NO_PROXY"), "{stderr}");
    assert!(!stderr.contains("registry is running"), "{stderr}");

    // A proxy is set, but NO_PROXY sends the name direct: the message says so.
    let (code, stderr) = inspect(
        "registry.regscope-test.invalid/team/app:v1",
        &[],
        &[
            ("HTTPS_PROXY", "http://127.0.0.1:1"),
            ("NO_PROXY", ".invalid"),
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("a proxy is set, but NO_PROXY sends registry.regscope-test.invalid direct"),
        "{stderr}"
    );
}

#[test]
fn a_refused_connection_asks_whether_the_registry_is_running() {
    // Port 1 on loopback: the address resolves, nothing listens.
    let (code, stderr) = inspect("127.0.0.1:1/team/app:v1", &["--plain-http"], &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot connect to 127.0.0.1:1"), "{stderr}");
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(stderr.contains("registry is running"), "{stderr}");
}

/// A listener whose accept queue is full (backlog 0, one connection never accepted): the
/// kernel drops further connection attempts, as a firewall does.
fn full_listener() -> (socket2::Socket, std::net::TcpStream, u16) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    let filler = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    (socket, filler, port)
}

#[test]
fn a_connection_nothing_accepts_times_out_and_says_so() {
    let (_listener, _filler, port) = full_listener();
    let started = Instant::now();
    let (code, stderr) = inspect(
        &format!("127.0.0.1:{port}/team/app:v1"),
        // The connection gets half the request's time.
        &["--plain-http", "--timeout", "2"],
        &[],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "connecting to 127.0.0.1:{port} timed out after 1s: nothing answered"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("registry is running"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(20), "{stderr}");
}

#[test]
fn a_server_that_accepts_and_never_answers_is_a_read_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let (code, stderr) = inspect(
        &format!("127.0.0.1:{port}/team/app:v1"),
        &["--plain-http", "--timeout", "1"],
        &[],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port} did not answer within 1s")),
        "{stderr}"
    );
    assert!(!stderr.contains("registry is running"), "{stderr}");
}

#[test]
fn a_proxy_that_refuses_is_named_as_the_proxy() {
    let (code, stderr) = inspect(
        "registry.regscope-test.invalid/team/app:v1",
        &[],
        &[("HTTPS_PROXY", "http://127.0.0.1:1")],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("through the proxy http://127.0.0.1:1: the proxy refused the connection"),
        "{stderr}"
    );
    assert!(stderr.contains("NO_PROXY"), "{stderr}");
    // The registry's name was never looked up here: the proxy would have done it.
    assert!(!stderr.contains("cannot resolve"), "{stderr}");
    assert!(!stderr.contains("registry is running"), "{stderr}");
}

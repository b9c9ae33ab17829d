//! The Amazon ECR API for tests: a real `moto` server ([`Moto`]), a recording proxy that proves
//! which ECR actions a client sends ([`EcrRecorder`]), and an in-process fake for what moto
//! lacks ([`FakeEcrApi`]: documented response shapes, `nextToken` paging, image status).
//!
//! Every request is AWS JSON 1.1: `POST /` with `X-Amz-Target:
//! AmazonEC2ContainerRegistry_V20150921.<Action>`, `Content-Type: application/x-amz-json-1.1`
//! and a SigV4-looking `Authorization` header ([`signed_headers`]). Test code sends them with
//! `curl` ([`ecr_call`]), like the docker-registry harness in `mod.rs`.
//!
//! # moto's ECR, as measured (moto 5.2.1, `moto_server`, werkzeug 3.1)
//!
//! `tests/ecr_harness.rs` pins each point below, so a different moto fails there first.
//!
//! - **Server.** `moto_server -H 127.0.0.1 -p 0` binds a kernel-chosen port and logs
//!   ` * Running on http://127.0.0.1:PORT` (werkzeug, on stderr); [`Moto::start`] reads it, so
//!   there is no free-port race. Every answer carries `Connection: close`.
//! - **Routing and signatures.** moto picks the service and region from the `Authorization`
//!   header's credential scope (`Credential=KEY/DATE/REGION/ecr/aws4_request`) and never checks
//!   the signature: any `Signature=` and any access key is accepted. Each region is a separate
//!   backend (a repository made in `us-east-1` is not listed in `eu-west-1`). Without an
//!   `Authorization` header the request is routed to S3 (an XML `ListAllMyBucketsResult`
//!   comes back, status 200), even with the ECR `X-Amz-Target`; a header that is not
//!   `SCHEME Credential=…` (e.g. `Authorization: garbage`) gets a werkzeug HTML 500.
//! - **Account and region.** Account `123456789012` ([`ACCOUNT_ID`]) whatever the access key
//!   (unless `MOTO_ACCOUNT_ID` or an `x-moto-account-id` header says otherwise; the harness
//!   sets neither). The region is the credential scope's; the harness signs for `us-east-1`.
//! - **Errors.** Status 400, header `X-Amzn-Errortype: <Type>`, body
//!   `{"__type": "<Type>", "message": "…", "Message": "…"}` (both spellings of message), e.g.
//!   `RepositoryNotFoundException`, `ImageNotFoundException`, `LifecyclePolicyNotFoundException`.
//! - **`GetAuthorizationToken`.** One entry, whatever the request:
//!   `{"authorizationToken": base64("AWS:123456789012-auth-token"), "expiresAt": 1420070400,
//!   "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}`: user `AWS`,
//!   password `<registryId>-auth-token`, `proxyEndpoint` `https://<account>.dkr.ecr.<region>.
//!   amazonaws.com` (the signing region), and `expiresAt` a fixed integer, Python's
//!   `mktime(2015-01-01 00:00)` in the server's local time zone: 1420070400 with `TZ=UTC`,
//!   which the harness sets. Always expired, so a client that checks expiry sees an old token.
//! - **`PutImage`.** `imageDigest` is stored verbatim: moto neither checks it against the
//!   manifest bytes nor recomputes it (without one it invents `sha256(layer digests)`, or a
//!   random one for an index). `imageManifest` is stored as the exact string sent and
//!   `BatchGetImage` returns it byte for byte. The manifest must be JSON with a `mediaType`
//!   field or an `imageManifestMediaType` parameter. An image without `imageTag` is untagged.
//! - **`DescribeImages`.** Fields: `registryId`, `repositoryName`, `imageDigest`, `imageTags`
//!   (left out when empty), `imagePushedAt` (integer epoch seconds, not a float),
//!   `imageManifestMediaType` (the `imageManifestMediaType` given, else the manifest's
//!   `mediaType`), and `imageSizeInBytes` only for a manifest with `layers`: it is the
//!   manifest's `config.size` (not the layers' sum; 52428800 when `config.size` is missing),
//!   and an index has none. Never `artifactMediaType`, `imageStatus`, `lastRecordedPullTime`,
//!   `subjectManifestDigest`, `imageScanStatus` or `imageScanFindingsSummary`. `maxResults`,
//!   `nextToken` and `filter` (`tagStatus`, `imageStatus`) are ignored: every image comes back
//!   in one page, in push order, with no `nextToken`. `imageIds` works (by digest or tag); an
//!   unknown one is an `ImageNotFoundException` for the whole call.
//! - **`DescribeRepositories`.** Fields: `repositoryArn` (`arn:aws:ecr:us-east-1:123456789012:
//!   repository/<name>`), `registryId`, `repositoryName`, `repositoryUri`
//!   (`123456789012.dkr.ecr.us-east-1.amazonaws.com/<name>`), `createdAt` (epoch seconds with
//!   milliseconds, a float), `imageTagMutability` (`MUTABLE`), `imageScanningConfiguration`
//!   (`{"scanOnPush": false}`), `encryptionConfiguration` (`{"encryptionType": "AES256"}`);
//!   nothing else (no `failures`). `maxResults`/`nextToken` are ignored (one page).
//! - **Lifecycle policies.** `PutLifecyclePolicy` validates the policy text (e.g. a rule
//!   without `rulePriority` is an `InvalidParameterException`). `GetLifecyclePolicy` returns
//!   `registryId`, `repositoryName`, `lifecyclePolicyText` (verbatim) and `lastEvaluatedAt`
//!   (now, integer epoch seconds); without a policy it is `LifecyclePolicyNotFoundException`.
//!   moto never applies a policy: nothing expires.
//! - **`BatchDeleteImage`.** Supported, by digest and by tag. Deleting an *untagged* image by
//!   digest removes it but answers `{"imageIds": [], "failures": []}` (moto lists one id per
//!   tag); a tagged image is listed once per tag. Nothing checks whether an index still refers
//!   to a deleted child.
//!
//! Started with a private environment (see [`Moto::start`]): nothing of the real user's AWS
//! config or credentials reaches it. Installed by `scripts/test.sh` (`moto[server]` 5.x).
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use super::HttpResponse;

/// The account moto answers for, and [`FakeEcrApi`]'s default.
pub const ACCOUNT_ID: &str = "123456789012";
/// The region the harness signs for, and [`FakeEcrApi`]'s default.
pub const REGION: &str = "us-east-1";
/// `X-Amz-Target` prefix of every ECR action (the service model's `targetPrefix`).
pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921";
pub const AMZ_JSON: &str = "application/x-amz-json-1.1";
/// A SigV4-shaped `Authorization` header for `us-east-1`/`ecr`; nobody checks the signature.
pub const DUMMY_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
Credential=testing/20261129/us-east-1/ecr/aws4_request, \
SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
Signature=0000000000000000000000000000000000000000000000000000000000000000";
pub const DUMMY_AMZ_DATE: &str = "20261129T000000Z";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(90);
const CURL_MAX_TIME_SECS: &str = "30";

/// The headers of one signed-looking ECR request for `action`.
pub fn signed_headers(action: &str) -> Vec<(String, String)> {
    vec![
        ("X-Amz-Target".into(), format!("{TARGET_PREFIX}.{action}")),
        ("Content-Type".into(), AMZ_JSON.into()),
        ("X-Amz-Date".into(), DUMMY_AMZ_DATE.into()),
        ("Authorization".into(), DUMMY_AUTHORIZATION.into()),
    ]
}

/// One ECR action against `endpoint` (`http://127.0.0.1:PORT`: moto, a recorder or the fake)
/// with [`signed_headers`]. Panics only if curl cannot run.
pub fn ecr_call(endpoint: &str, action: &str, body: &Value) -> HttpResponse {
    let headers = signed_headers(action);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    ecr_raw(endpoint, &headers, body.to_string().as_bytes())
}

/// Like [`ecr_call`], asserting a 200 answer; returns its JSON.
pub fn ecr_call_ok(endpoint: &str, action: &str, body: &Value) -> Value {
    let resp = ecr_call(endpoint, action, body);
    assert_eq!(
        resp.status,
        200,
        "{action} {body} at {endpoint}: {}",
        resp.body_text()
    );
    resp.json()
}

/// `POST endpoint/` with exactly these headers and body (for unsigned or malformed requests).
pub fn ecr_raw(endpoint: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let mut cmd = Command::new("curl");
    // -i: the answer's head and body on stdout; `Expect:` keeps curl from waiting for a 100.
    cmd.args(["-sS", "-i", "--max-time", CURL_MAX_TIME_SECS, "-X", "POST"]);
    cmd.args(["-H", "Expect:", "--data-binary", "@-"]);
    for (k, v) in headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    cmd.arg(format!("{}/", endpoint.trim_end_matches('/')));
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run curl: {e} (run scripts/test.sh to install it)"));
    let mut stdin = child.stdin.take().expect("curl stdin");
    let body = body.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let out = child.wait_with_output().expect("wait for curl");
    let _ = writer.join();
    assert!(
        out.status.success(),
        "curl POST {endpoint}/ failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    parse_http_response(&out.stdout).unwrap_or_else(|| {
        panic!(
            "{endpoint}: not an HTTP answer: {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Head (after any 1xx blocks) and body of a raw HTTP/1.1 answer.
fn parse_http_response(raw: &[u8]) -> Option<HttpResponse> {
    let mut rest = raw;
    loop {
        let end = rest.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 4..];
        let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            continue;
        }
        return Some(HttpResponse {
            status,
            headers: super::parse_last_header_block(&head),
            body: rest.to_vec(),
        });
    }
}

/// `(user, password)` from an `authorizationToken` (base64 of `user:password`).
pub fn decode_authorization_token(token: &str) -> (String, String) {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .unwrap_or_else(|e| panic!("authorizationToken {token:?} is not base64: {e}"));
    let text = String::from_utf8(raw).expect("authorizationToken is UTF-8");
    let (user, password) = text
        .split_once(':')
        .unwrap_or_else(|| panic!("authorizationToken {text:?} is not user:password"));
    (user.to_owned(), password.to_owned())
}

/// `(user, password, proxyEndpoint, expiresAt)` of the first `authorizationData` entry of a
/// `GetAuthorizationToken` answer.
pub fn parse_authorization(answer: &Value) -> (String, String, String, f64) {
    let data = &answer["authorizationData"][0];
    let token = data["authorizationToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no authorizationToken in {answer}"));
    let (user, password) = decode_authorization_token(token);
    let proxy = data["proxyEndpoint"]
        .as_str()
        .unwrap_or_else(|| panic!("no proxyEndpoint in {answer}"))
        .to_owned();
    let expires = data["expiresAt"]
        .as_f64()
        .unwrap_or_else(|| panic!("no numeric expiresAt in {answer}"));
    (user, password, proxy, expires)
}

// ---------------------------------------------------------------------------------------------
// moto
// ---------------------------------------------------------------------------------------------

/// A running `moto_server` (all AWS services; the harness uses ECR), killed on drop.
pub struct Moto {
    port: u16,
    url: String,
    dir: tempfile::TempDir,
    child: Child,
}

/// Variables passed through to moto: what finds and runs Python, nothing about AWS.
const MOTO_PASS_ENV: [&str; 10] = [
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "PYENV_ROOT",
    "PYENV_VERSION",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
];

impl Moto {
    /// Starts `moto_server` (on PATH), else `python3 -m moto.server`, on 127.0.0.1 port 0 and
    /// waits until it answers an ECR call.
    ///
    /// The child's environment is cleared, then gets only [`MOTO_PASS_ENV`] (HOME stays so a
    /// `pip install --user` moto is found), `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
    /// `AWS_SESSION_TOKEN` = `testing`, `AWS_DEFAULT_REGION` = `us-east-1`, AWS config and
    /// credential files pointing into its temp dir (absent), `TZ=UTC` (moto's `expiresAt` is
    /// local time) and `TMPDIR` = its temp dir.
    pub fn start() -> Moto {
        let dir = tempfile::Builder::new()
            .prefix("regscope-moto-")
            .tempdir()
            .expect("create moto temp dir");
        let log_path = dir.path().join("moto.log");
        let log = fs::File::create(&log_path).expect("create moto.log");
        let log_err = log.try_clone().expect("clone log handle");

        let mut cmd = if let Some(bin) = super::find_on_path("moto_server") {
            Command::new(bin)
        } else {
            let mut cmd = Command::new("python3");
            cmd.args(["-m", "moto.server"]);
            cmd
        };
        cmd.args(["-H", "127.0.0.1", "-p", "0"]);
        cmd.env_clear();
        for name in MOTO_PASS_ENV {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_SESSION_TOKEN", "testing")
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_REGION", REGION)
            .env("AWS_CONFIG_FILE", dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("TZ", "UTC")
            .env("TMPDIR", dir.path())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let what = format!("{cmd:?}");
        let mut child = cmd
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot spawn {what}: {e} (run scripts/test.sh to install moto[server])")
            });

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let port = loop {
            let text = fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(port) = parse_running_on_port(&text) {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "moto exited early ({status}): {what}\nlog:\n{text}\n\
                     (run scripts/test.sh to install moto[server])"
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("moto did not start within {STARTUP_TIMEOUT:?}: {what}\nlog:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        let moto = Moto {
            port,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            child,
        };
        // Bound once the line is logged; still wait for a real ECR answer.
        loop {
            let resp = moto.call("GetAuthorizationToken", &json!({}));
            if resp.status == 200 {
                break;
            }
            assert!(
                Instant::now() <= deadline,
                "moto at {} never answered GetAuthorizationToken: {} {}\nlog:\n{}",
                moto.url,
                resp.status,
                resp.body_text(),
                moto.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything moto logged so far (one access-log line per request).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// One ECR action, answer unchecked.
    pub fn call(&self, action: &str, body: &Value) -> HttpResponse {
        ecr_call(&self.url, action, body)
    }

    /// One ECR action that must succeed; its JSON answer.
    pub fn call_ok(&self, action: &str, body: &Value) -> Value {
        let resp = self.call(action, body);
        assert_eq!(
            resp.status,
            200,
            "moto {action} {body}: {}\nlog:\n{}",
            resp.body_text(),
            self.log()
        );
        resp.json()
    }

    /// `CreateRepository`; returns the `repository` object.
    pub fn create_repository(&self, name: &str) -> Value {
        self.call_ok("CreateRepository", &json!({ "repositoryName": name }))["repository"].clone()
    }

    /// `PutImage` of `manifest` (UTF-8 JSON, sent as the exact string) under `digest`, tagged
    /// or not; asserts moto kept the digest verbatim and returns the `image` object.
    pub fn put_image(
        &self,
        repo: &str,
        manifest: &[u8],
        media_type: &str,
        digest: &str,
        tag: Option<&str>,
    ) -> Value {
        let manifest = std::str::from_utf8(manifest).expect("manifest is UTF-8");
        let mut body = json!({
            "repositoryName": repo,
            "imageManifest": manifest,
            "imageManifestMediaType": media_type,
            "imageDigest": digest,
        });
        if let Some(tag) = tag {
            body["imageTag"] = json!(tag);
        }
        let image = self.call_ok("PutImage", &body)["image"].clone();
        assert_eq!(
            image["imageId"]["imageDigest"], digest,
            "moto changed the digest: {image}"
        );
        image
    }

    /// `PutLifecyclePolicy` with the policy text `policy_json`; returns the answer.
    pub fn put_lifecycle_policy(&self, repo: &str, policy_json: &str) -> Value {
        self.call_ok(
            "PutLifecyclePolicy",
            &json!({ "repositoryName": repo, "lifecyclePolicyText": policy_json }),
        )
    }

    /// `BatchDeleteImage` of one digest (and every tag on it); returns the answer. moto lists
    /// nothing in `imageIds` for an untagged image, though it does delete it.
    pub fn batch_delete_image(&self, repo: &str, digest: &str) -> Value {
        let answer = self.call_ok(
            "BatchDeleteImage",
            &json!({ "repositoryName": repo, "imageIds": [{ "imageDigest": digest }] }),
        );
        assert_eq!(
            answer["failures"],
            json!([]),
            "BatchDeleteImage {repo}@{digest}"
        );
        answer
    }

    /// `DescribeImages` of a whole repository (moto answers in one page).
    pub fn describe_images(&self, repo: &str) -> Vec<Value> {
        let answer = self.call_ok("DescribeImages", &json!({ "repositoryName": repo }));
        answer["imageDetails"]
            .as_array()
            .unwrap_or_else(|| panic!("no imageDetails in {answer}"))
            .clone()
    }

    /// `GetAuthorizationToken`, decoded: `(user, password, proxy_endpoint, expires_at)`.
    pub fn get_authorization_token(&self) -> (String, String, String, f64) {
        parse_authorization(&self.call_ok("GetAuthorizationToken", &json!({})))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_running_on_port(log: &str) -> Option<u16> {
    let needle = "Running on http://127.0.0.1:";
    let start = log.find(needle)? + needle.len();
    let digits: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// What was sent
// ---------------------------------------------------------------------------------------------

/// One request as [`EcrRecorder`] or [`FakeEcrApi`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Request target as sent (`/` for every ECR action).
    pub path: String,
    /// The whole `X-Amz-Target` header.
    pub target: Option<String>,
    /// The action: `X-Amz-Target` after its last `.` (`DescribeImages`).
    pub action: Option<String>,
    /// The region of the `Authorization` header's credential scope.
    pub region: Option<String>,
    /// The request body (lossy UTF-8; empty when it was over the size cap).
    pub body: String,
}

impl RecordedRequest {
    /// The action, or `METHOD PATH (no X-Amz-Target)` so an allow-list check names it.
    pub fn action_or_request(&self) -> String {
        self.action
            .clone()
            .unwrap_or_else(|| format!("{} {} (no X-Amz-Target)", self.method, self.path))
    }

    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", self.body))
    }
}

/// Whether an ECR action only reads: `Describe*`, `List*`, `Get*` or `BatchGetImage` (and
/// `BatchCheckLayerAvailability`, a read as well). `BatchDeleteImage`, `Put*` and the like
/// are not.
pub fn is_read_only_action(action: &str) -> bool {
    ["Describe", "List", "Get"]
        .iter()
        .any(|prefix| action.starts_with(prefix))
        || matches!(action, "BatchGetImage" | "BatchCheckLayerAvailability")
}

fn assert_read_only(requests: &[RecordedRequest]) {
    let bad: Vec<String> = requests
        .iter()
        .map(RecordedRequest::action_or_request)
        .filter(|a| !is_read_only_action(a))
        .collect();
    assert!(
        bad.is_empty(),
        "ECR actions that are not read-only were sent: {bad:?} (all: {:?})",
        requests
            .iter()
            .map(RecordedRequest::action_or_request)
            .collect::<Vec<_>>()
    );
}

/// `(region, service)` of a `SigV4` `Authorization` header's credential scope.
fn credential_scope(authorization: &str) -> Option<(String, String)> {
    let rest = authorization.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let credential = rest
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))?;
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, "aws4_request"]
            if !key.is_empty() && date.len() == 8 && !region.is_empty() =>
        {
            Some(((*region).to_owned(), (*service).to_owned()))
        }
        _ => None,
    }
}

fn action_of(target: &str) -> String {
    target.rsplit('.').next().unwrap_or(target).to_owned()
}

// ---------------------------------------------------------------------------------------------
// Recording proxy
// ---------------------------------------------------------------------------------------------

/// Largest request head and body the recorder takes, and the largest answer it relays.
const RECORDER_MAX_HEAD: usize = 64 * 1024;
pub const RECORDER_MAX_BODY: usize = 4 * 1024 * 1024;
const RECORDER_MAX_RESPONSE: usize = 64 * 1024 * 1024;
/// Read/write timeout on each side of a proxied exchange.
const RECORDER_IO_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP/1.1 proxy on 127.0.0.1:0 in front of an ECR endpoint (moto or [`FakeEcrApi`]): it
/// records every request (method, path, `X-Amz-Target`, signing region, body) and forwards it
/// unchanged but for hop-by-hop headers (`Connection: close` upstream and back, `Expect`
/// answered itself). One request per connection; a chunked body is refused with 501, a body
/// over [`RECORDER_MAX_BODY`] with 413 (both still recorded). Stops on drop.
pub struct EcrRecorder {
    url: String,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<RecordedRequest>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl EcrRecorder {
    /// Proxy to `upstream`, `http://HOST:PORT` (e.g. [`Moto::url`]).
    pub fn start(upstream: &str) -> EcrRecorder {
        let upstream = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("EcrRecorder upstream must be http://HOST:PORT: {upstream}"))
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind recorder");
        let addr = listener.local_addr().expect("recorder addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let log = log.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let log = log.clone();
                    let upstream = upstream.clone();
                    std::thread::spawn(move || {
                        let _ = proxy_one(stream, &upstream, &log);
                    });
                }
            })
        };
        EcrRecorder {
            url: format!("http://{addr}"),
            addr,
            log,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`: give this to the client instead of the upstream's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.lock().expect("lock").clone()
    }

    /// Each request's action in order (see [`RecordedRequest::action_or_request`]).
    pub fn actions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(RecordedRequest::action_or_request)
            .collect()
    }

    pub fn clear(&self) {
        self.log.lock().expect("lock").clear();
    }

    /// Panics unless every request so far was a read-only ECR action ([`is_read_only_action`]).
    pub fn assert_read_only(&self) {
        assert_read_only(&self.requests());
    }
}

impl Drop for EcrRecorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn simple_response(stream: &mut TcpStream, status: &str, message: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{message}",
        message.len()
    )
}

fn is_hop_by_hop(name: &str) -> bool {
    ["connection", "keep-alive", "proxy-connection", "expect"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Reads one request from `client`, records it, relays it to `upstream` and the answer back.
fn proxy_one(
    mut client: TcpStream,
    upstream: &str,
    log: &Mutex<Vec<RecordedRequest>>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(RECORDER_IO_TIMEOUT))?;
    client.set_write_timeout(Some(RECORDER_IO_TIMEOUT))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head_len = 0usize;
    let mut request_line = String::new();
    head_len += reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return simple_response(&mut client, "400 Bad Request", "bad request line");
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head_len += n;
        if head_len > RECORDER_MAX_HEAD {
            return simple_response(&mut client, "431 Request Header Fields Too Large", "head");
        }
        if n == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let target = header("x-amz-target");
    let mut record = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        action: target.as_deref().map(action_of),
        target,
        region: header("authorization")
            .as_deref()
            .and_then(credential_scope)
            .map(|(region, _)| region),
        body: String::new(),
    };
    if header("transfer-encoding").is_some() {
        log.lock().expect("lock").push(record);
        return simple_response(
            &mut client,
            "501 Not Implemented",
            "EcrRecorder takes Content-Length bodies only",
        );
    }
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if length > RECORDER_MAX_BODY {
        log.lock().expect("lock").push(record);
        // Read what was sent (up to twice the cap) before answering: closing with unread
        // bytes makes the kernel reset the connection, and the client sees no 413 at all.
        let _ = std::io::copy(
            &mut (&mut reader).take(length.min(2 * RECORDER_MAX_BODY) as u64),
            &mut std::io::sink(),
        );
        return simple_response(&mut client, "413 Payload Too Large", "body over the cap");
    }
    if header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    record.body = String::from_utf8_lossy(&body).into_owned();
    log.lock().expect("lock").push(record);

    let Ok(mut up) = TcpStream::connect(upstream) else {
        return simple_response(&mut client, "502 Bad Gateway", "upstream refused");
    };
    up.set_read_timeout(Some(RECORDER_IO_TIMEOUT))?;
    up.set_write_timeout(Some(RECORDER_IO_TIMEOUT))?;
    let mut out = request_line.into_bytes();
    for (k, v) in headers.iter().filter(|(k, _)| !is_hop_by_hop(k)) {
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&body);
    up.write_all(&out)?;

    relay_answer(&mut up, &mut client)
}

/// Copies the upstream answer (ended by EOF: `Connection: close` was sent) to the client,
/// with `Connection: close` in place of the upstream's hop-by-hop headers.
fn relay_answer(up: &mut TcpStream, client: &mut TcpStream) -> std::io::Result<()> {
    let mut answer = Vec::new();
    up.take(RECORDER_MAX_RESPONSE as u64)
        .read_to_end(&mut answer)?;
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return simple_response(client, "502 Bad Gateway", "no answer head from upstream");
    };
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let mut relayed = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        let name = line.split_once(':').map_or("", |(k, _)| k.trim());
        if i == 0 || !is_hop_by_hop(name) {
            relayed.push_str(line);
            relayed.push_str("\r\n");
        }
    }
    relayed.push_str("Connection: close\r\n\r\n");
    client.write_all(relayed.as_bytes())?;
    client.write_all(&answer[end + 4..])?;
    client.flush()
}

// ---------------------------------------------------------------------------------------------
// Fake ECR API
// ---------------------------------------------------------------------------------------------

/// One `ImageDetail` as `DescribeImages` documents it, with the fields most tests need; add
/// others (`artifactMediaType`, `lastRecordedPullTime`, `subjectManifestDigest`,
/// `imageScanStatus`, `imageScanFindingsSummary`, …) by assignment. `imageTags` is left out
/// when empty, as ECR (and moto) do; `imageStatus` is `ACTIVE`; `imagePushedAt` is epoch
/// seconds (JSON 1.1 timestamps are numbers).
pub fn image_detail(
    repo: &str,
    digest: &str,
    tags: &[&str],
    media_type: &str,
    size: u64,
    pushed_at: f64,
) -> Value {
    let mut detail = json!({
        "registryId": ACCOUNT_ID,
        "repositoryName": repo,
        "imageDigest": digest,
    });
    if !tags.is_empty() {
        detail["imageTags"] = json!(tags);
    }
    detail["imageSizeInBytes"] = json!(size);
    detail["imagePushedAt"] = json!(pushed_at);
    detail["imageManifestMediaType"] = json!(media_type);
    detail["imageStatus"] = json!("ACTIVE");
    detail
}

/// Options for [`FakeEcrApi`]; start with [`FakeEcrApi::builder`].
#[derive(Debug, Clone)]
pub struct FakeEcrBuilder {
    images: Vec<Value>,
    repositories: Vec<Value>,
    page_size: usize,
    lifecycle: HashMap<String, String>,
    password: String,
    expires_at: f64,
    proxy_endpoint: Option<String>,
    registry_id: String,
    region: String,
    require_sigv4: bool,
}

impl Default for FakeEcrBuilder {
    fn default() -> Self {
        FakeEcrBuilder {
            images: Vec::new(),
            repositories: Vec::new(),
            page_size: 100,
            lifecycle: HashMap::new(),
            password: "fake-ecr-password".into(),
            // 2100-01-01T00:00:00Z: valid for any test run.
            expires_at: 4_102_444_800.0,
            proxy_endpoint: None,
            registry_id: ACCOUNT_ID.into(),
            region: REGION.into(),
            require_sigv4: true,
        }
    }
}

impl FakeEcrBuilder {
    /// `ImageDetail` objects answered verbatim by `DescribeImages`, in this order. Each needs
    /// string `repositoryName` and `imageDigest` (see [`image_detail`]); its repository exists.
    pub fn images(mut self, images: Vec<Value>) -> Self {
        self.images.extend(images);
        self
    }

    /// An (empty) repository with the default `Repository` fields.
    pub fn repository(mut self, name: &str) -> Self {
        let repo = self.default_repository(name);
        self.repositories.push(repo);
        self
    }

    /// A repository answered verbatim by `DescribeRepositories`; needs `repositoryName`.
    pub fn repository_json(mut self, repo: Value) -> Self {
        assert!(
            repo["repositoryName"].is_string(),
            "repository without repositoryName: {repo}"
        );
        self.repositories.push(repo);
        self
    }

    /// Most entries in one `DescribeImages`/`DescribeRepositories` page, whatever
    /// `maxResults` asks (ECR's own default page, without `maxResults`, is 100).
    pub fn page_size(mut self, page_size: usize) -> Self {
        assert!(page_size > 0, "page size 0");
        self.page_size = page_size;
        self
    }

    /// The policy text `GetLifecyclePolicy` returns for `repo`.
    pub fn lifecycle_policy(mut self, repo: &str, text: &str) -> Self {
        self.lifecycle.insert(repo.to_owned(), text.to_owned());
        self
    }

    /// `GetAuthorizationToken`'s password (user is `AWS`) and `expiresAt` (epoch seconds).
    pub fn authorization(mut self, password: &str, expires_at: f64) -> Self {
        password.clone_into(&mut self.password);
        self.expires_at = expires_at;
        self
    }

    /// `GetAuthorizationToken`'s `proxyEndpoint` (default
    /// `https://<registry>.dkr.ecr.<region>.amazonaws.com`), e.g. a test registry's URL.
    pub fn proxy_endpoint(mut self, url: &str) -> Self {
        self.proxy_endpoint = Some(url.to_owned());
        self
    }

    pub fn registry_id(mut self, id: &str) -> Self {
        id.clone_into(&mut self.registry_id);
        self
    }

    pub fn region(mut self, region: &str) -> Self {
        region.clone_into(&mut self.region);
        self
    }

    /// Answer requests without a SigV4-shaped `Authorization` header too (by default they get
    /// 403 `MissingAuthenticationTokenException` / `IncompleteSignatureException`).
    pub fn allow_unsigned(mut self) -> Self {
        self.require_sigv4 = false;
        self
    }

    pub fn start(self) -> FakeEcrApi {
        FakeEcrApi::start_with(self)
    }

    fn default_repository(&self, name: &str) -> Value {
        // Shape of the `Repository` type (API reference, API_Repository; botocore's
        // ecr/2015-09-21 model), values as moto fills them.
        json!({
            "repositoryArn": format!("arn:aws:ecr:{}:{}:repository/{name}", self.region, self.registry_id),
            "registryId": self.registry_id,
            "repositoryName": name,
            "repositoryUri": format!("{}.dkr.ecr.{}.amazonaws.com/{name}", self.registry_id, self.region),
            "createdAt": 1_700_000_000.123,
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": { "scanOnPush": false },
            "encryptionConfiguration": { "encryptionType": "AES256" },
        })
    }
}

struct FakeState {
    config: FakeEcrBuilder,
    log: Mutex<Vec<RecordedRequest>>,
    /// Issued `nextToken`s: token -> (what it pages, offset of the next page).
    tokens: Mutex<HashMap<String, (String, usize)>>,
    counter: AtomicU64,
}

/// An in-process ECR API (axum on its own thread and runtime, 127.0.0.1:0) for what moto
/// lacks: it answers `DescribeImages`, `DescribeRepositories`, `GetLifecyclePolicy` and
/// `GetAuthorizationToken` in the shapes of the ECR API reference, pages with opaque
/// `nextToken`s, and records every request like [`EcrRecorder`]. Any other action is a 400
/// `UnknownOperationException` naming it (still recorded). Stops on drop.
///
/// Field names checked against the Amazon ECR API Reference
/// (<https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html>, and the
/// pages `API_DescribeImages`, `API_DescribeImagesFilter`, `API_Repository`,
/// `API_AuthorizationData`, `API_GetLifecyclePolicy` beside it) and botocore's
/// `ecr/2015-09-21/service-2.json` model (the same names and enums). `ImageDetail`:
/// `registryId`, `repositoryName`, `imageDigest`, `imageTags`, `imageSizeInBytes`,
/// `imagePushedAt`, `imageScanStatus` {`status`, `description`}, `imageScanFindingsSummary`
/// {`imageScanCompletedAt`, `vulnerabilitySourceUpdatedAt`, `findingSeverityCounts`: map of
/// INFORMATIONAL|LOW|MEDIUM|HIGH|CRITICAL|UNDEFINED to counts}, `imageManifestMediaType`,
/// `artifactMediaType`, `lastRecordedPullTime`, `subjectManifestDigest`, `imageStatus`
/// (ACTIVE|ARCHIVED|ACTIVATING), `lastArchivedAt`, `lastActivatedAt`. The fake passes the
/// test's objects through verbatim, so any of these can be given.
///
/// `DescribeImages` as documented: `repositoryName` (must exist, else
/// `RepositoryNotFoundException`), `registryId` (must match), `imageIds` (each must exist,
/// else `ImageNotFoundException`; not together with `maxResults`/`nextToken`/`filter`:
/// `InvalidParameterException`), `filter.tagStatus` (TAGGED|UNTAGGED|ANY) and
/// `filter.imageStatus` (ACTIVE|ARCHIVED|ACTIVATING|ANY; without it only ACTIVE images come
/// back, and an image without `imageStatus` counts as ACTIVE), `maxResults` (1..=1000, default
/// 100) and `nextToken`. A page holds at most `min(maxResults, page_size)` entries, so a client
/// that asks for 1000 still has to follow `nextToken` (AWS allows short pages). A `nextToken`
/// the fake did not issue for this repository and filter is an `InvalidParameterException`.
/// `DescribeRepositories` pages the same way; `repositoryNames` must all exist.
///
/// Errors are JSON 1.1 errors: status 400 (403 for signature errors), `x-amzn-ErrorType`
/// header and `{"__type": "<Type>", "message": "…"}` (moto adds `Message`; AWS does not).
pub struct FakeEcrApi {
    url: String,
    state: Arc<FakeState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeEcrApi {
    pub fn builder() -> FakeEcrBuilder {
        FakeEcrBuilder::default()
    }

    /// A fake answering these `ImageDetail`s, with every default.
    pub fn start(images: Vec<Value>) -> FakeEcrApi {
        Self::builder().images(images).start()
    }

    fn start_with(mut config: FakeEcrBuilder) -> FakeEcrApi {
        for image in &config.images {
            assert!(
                image["repositoryName"].is_string() && image["imageDigest"].is_string(),
                "image needs string repositoryName and imageDigest: {image}"
            );
        }
        let names: Vec<String> = config
            .images
            .iter()
            .filter_map(|i| i["repositoryName"].as_str().map(str::to_owned))
            .collect();
        for name in names {
            if !config
                .repositories
                .iter()
                .any(|r| r["repositoryName"] == name.as_str())
            {
                let repo = config.default_repository(&name);
                config.repositories.push(repo);
            }
        }
        let state = Arc::new(FakeState {
            config,
            log: Mutex::new(Vec::new()),
            tokens: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake ECR API");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app_state = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("fake ECR runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let app = axum::Router::new()
                    .fallback(fake_handle)
                    .with_state(app_state);
                let serve = std::future::IntoFuture::into_future(axum::serve(listener, app));
                tokio::select! {
                    _ = serve => {}
                    _ = rx => {}
                }
            });
            // Dropping the runtime here cancels open connections.
        });
        FakeEcrApi {
            url,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.log.lock().expect("lock").clone()
    }

    /// Each request's action in order (see [`RecordedRequest::action_or_request`]).
    pub fn actions(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(RecordedRequest::action_or_request)
            .collect()
    }

    /// Panics unless every request so far was a read-only ECR action ([`is_read_only_action`]).
    pub fn assert_read_only(&self) {
        assert_read_only(&self.requests());
    }

    /// `proxyEndpoint` as `GetAuthorizationToken` answers it.
    pub fn proxy_endpoint(&self) -> String {
        let c = &self.state.config;
        c.proxy_endpoint.clone().unwrap_or_else(|| {
            format!(
                "https://{}.dkr.ecr.{}.amazonaws.com",
                c.registry_id, c.region
            )
        })
    }
}

impl Drop for FakeEcrApi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A JSON 1.1 error answer.
struct AwsError {
    status: u16,
    kind: &'static str,
    message: String,
}

fn aws_error(kind: &'static str, message: impl Into<String>) -> AwsError {
    AwsError {
        status: 400,
        kind,
        message: message.into(),
    }
}

fn invalid(message: impl Into<String>) -> AwsError {
    aws_error("InvalidParameterException", message)
}

fn header_str(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn fake_handle(
    axum::extract::State(state): axum::extract::State<Arc<FakeState>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let target = header_str(&headers, "x-amz-target");
    state.log.lock().expect("lock").push(RecordedRequest {
        method: method.to_string(),
        path: uri.to_string(),
        action: target.as_deref().map(action_of),
        target,
        region: header_str(&headers, "authorization")
            .as_deref()
            .and_then(credential_scope)
            .map(|(region, _)| region),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let (status, error_type, text) = match fake_answer(&state, &method, &headers, &body) {
        Ok(value) => (200, None, value.to_string()),
        Err(e) => (
            e.status,
            Some(e.kind),
            json!({ "__type": e.kind, "message": e.message }).to_string(),
        ),
    };
    let mut response = axum::response::Response::builder()
        .status(status)
        .header("content-type", AMZ_JSON)
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000");
    if let Some(kind) = error_type {
        response = response.header("x-amzn-errortype", kind);
    }
    response
        .body(axum::body::Body::from(text))
        .expect("fake ECR response")
}

/// Checks one request in the order AWS does (signature, operation, body) and answers it.
fn fake_answer(
    state: &FakeState,
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<Value, AwsError> {
    let config = &state.config;
    if config.require_sigv4 {
        let Some(authorization) = header_str(headers, "authorization") else {
            return Err(AwsError {
                status: 403,
                kind: "MissingAuthenticationTokenException",
                message: "Missing Authentication Token".into(),
            });
        };
        let ok = matches!(credential_scope(&authorization), Some((_, service)) if service == "ecr")
            && authorization.contains("SignedHeaders=")
            && authorization.contains("Signature=")
            && headers.contains_key("x-amz-date");
        if !ok {
            return Err(AwsError {
                status: 403,
                kind: "IncompleteSignatureException",
                message: format!(
                    "Authorization header is not SigV4 for service ecr with X-Amz-Date: {authorization}"
                ),
            });
        }
    }
    let target = header_str(headers, "x-amz-target");
    let content_type = header_str(headers, "content-type");
    let Some(target) = target.as_deref() else {
        return Err(aws_error("UnknownOperationException", "no X-Amz-Target"));
    };
    let Some(action) = target.strip_prefix(&format!("{TARGET_PREFIX}.")) else {
        return Err(aws_error(
            "UnknownOperationException",
            format!("unknown X-Amz-Target {target}"),
        ));
    };
    if method != axum::http::Method::POST {
        return Err(aws_error(
            "UnknownOperationException",
            format!("{method} is not POST"),
        ));
    }
    if !content_type
        .as_deref()
        .is_some_and(|c| c.starts_with(AMZ_JSON))
    {
        return Err(aws_error(
            "SerializationException",
            format!("Content-Type must be {AMZ_JSON}, not {content_type:?}"),
        ));
    }
    let request: Value = serde_json::from_slice(if body.is_empty() { b"{}" } else { body })
        .map_err(|e| aws_error("SerializationException", format!("body is not JSON: {e}")))?;
    if !request.is_object() {
        return Err(aws_error(
            "SerializationException",
            "body is not a JSON object",
        ));
    }
    if let Some(id) = request.get("registryId").filter(|v| !v.is_null()) {
        if id.as_str() != Some(config.registry_id.as_str()) {
            return Err(aws_error(
                "RepositoryNotFoundException",
                format!("no repositories in the registry with id {id}"),
            ));
        }
    }
    match action {
        "DescribeImages" => describe_images(state, &request),
        "DescribeRepositories" => describe_repositories(state, &request),
        "GetLifecyclePolicy" => get_lifecycle_policy(config, &request),
        "GetAuthorizationToken" => Ok(get_authorization_token(config)),
        other => Err(aws_error(
            "UnknownOperationException",
            format!("FakeEcrApi does not implement {other}"),
        )),
    }
}

fn repository_not_found(config: &FakeEcrBuilder, repo: &str) -> AwsError {
    aws_error(
        "RepositoryNotFoundException",
        format!(
            "The repository with name '{repo}' does not exist in the registry with id '{}'",
            config.registry_id
        ),
    )
}

fn required_repo<'a>(config: &FakeEcrBuilder, request: &'a Value) -> Result<&'a str, AwsError> {
    let repo = request["repositoryName"]
        .as_str()
        .ok_or_else(|| invalid("Invalid parameter at 'repositoryName': required"))?;
    if config
        .repositories
        .iter()
        .any(|r| r["repositoryName"] == repo)
    {
        Ok(repo)
    } else {
        Err(repository_not_found(config, repo))
    }
}

/// One page of `items` after the offset `nextToken` names, and the next token if more remain.
fn page<T: Clone>(
    state: &FakeState,
    request: &Value,
    scope: &str,
    items: &[T],
) -> Result<(Vec<T>, Option<String>), AwsError> {
    let max = match request.get("maxResults") {
        None | Some(Value::Null) => 100,
        Some(v) => {
            let n = v
                .as_u64()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    invalid(format!(
                        "Invalid parameter at 'maxResults' failed to satisfy constraint: \
                         'Member must have value between 1 and 1000' ({v})"
                    ))
                })?;
            usize::try_from(n).expect("small")
        }
    };
    let size = max.min(state.config.page_size);
    let offset = match request.get("nextToken") {
        None | Some(Value::Null) => 0,
        Some(token) => {
            let token = token.as_str().unwrap_or_default();
            let tokens = state.tokens.lock().expect("lock");
            match tokens.get(token) {
                Some((s, offset)) if s == scope => *offset,
                _ => {
                    return Err(invalid(format!(
                    "Invalid parameter at 'nextToken': {token:?} was not issued for this request"
                )))
                }
            }
        }
    };
    let start = offset.min(items.len());
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| {
        let n = state.counter.fetch_add(1, Ordering::SeqCst);
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("fake-ecr-page-{n}-{end}"));
        state
            .tokens
            .lock()
            .expect("lock")
            .insert(token.clone(), (scope.to_owned(), end));
        token
    });
    Ok((items[start..end].to_vec(), next))
}

fn paged_answer(key: &str, items: &[Value], next: Option<String>) -> Value {
    let mut answer = json!({ key: items });
    if let Some(next) = next {
        answer["nextToken"] = json!(next);
    }
    answer
}

fn describe_images(state: &FakeState, request: &Value) -> Result<Value, AwsError> {
    let config = &state.config;
    let repo = required_repo(config, request)?;
    let images: Vec<&Value> = config
        .images
        .iter()
        .filter(|i| i["repositoryName"] == repo)
        .collect();

    if let Some(ids) = request.get("imageIds").filter(|v| !v.is_null()) {
        if ["maxResults", "nextToken", "filter"]
            .iter()
            .any(|k| request.get(*k).is_some_and(|v| !v.is_null()))
        {
            return Err(invalid(
                "imageIds cannot be used with maxResults, nextToken or filter",
            ));
        }
        let ids = ids
            .as_array()
            .ok_or_else(|| invalid("Invalid parameter at 'imageIds': not a list"))?;
        let mut found: Vec<Value> = Vec::new();
        for id in ids {
            let digest = id["imageDigest"].as_str();
            let tag = id["imageTag"].as_str();
            if digest.is_none() && tag.is_none() {
                return Err(invalid("Invalid parameter at 'imageIds': empty image id"));
            }
            let hit = images.iter().find(|i| {
                digest.is_none_or(|d| i["imageDigest"] == d)
                    && tag.is_none_or(|t| {
                        i["imageTags"]
                            .as_array()
                            .is_some_and(|ts| ts.iter().any(|x| x == t))
                    })
            });
            match hit {
                Some(image) => {
                    if !found.contains(*image) {
                        found.push((*image).clone());
                    }
                }
                None => {
                    return Err(aws_error(
                        "ImageNotFoundException",
                        format!(
                            "The image with imageId {{imageDigest:'{}', imageTag:'{}'}} does not exist \
                             within the repository with name '{repo}' in the registry with id '{}'",
                            digest.unwrap_or("null"),
                            tag.unwrap_or("null"),
                            config.registry_id
                        ),
                    ))
                }
            }
        }
        return Ok(json!({ "imageDetails": found }));
    }

    let filter = request.get("filter").cloned().unwrap_or(Value::Null);
    let tag_status = filter["tagStatus"].as_str().unwrap_or("ANY");
    let image_status = filter["imageStatus"].as_str().unwrap_or("ACTIVE");
    if !matches!(tag_status, "TAGGED" | "UNTAGGED" | "ANY") {
        return Err(invalid(format!(
            "Invalid parameter at 'filter.tagStatus': {tag_status}"
        )));
    }
    if !matches!(image_status, "ACTIVE" | "ARCHIVED" | "ACTIVATING" | "ANY") {
        return Err(invalid(format!(
            "Invalid parameter at 'filter.imageStatus': {image_status}"
        )));
    }
    let selected: Vec<Value> = images
        .into_iter()
        .filter(|i| {
            let tagged = i["imageTags"].as_array().is_some_and(|t| !t.is_empty());
            let status = i["imageStatus"].as_str().unwrap_or("ACTIVE");
            (tag_status == "ANY" || (tag_status == "TAGGED") == tagged)
                && (image_status == "ANY" || image_status == status)
        })
        .cloned()
        .collect();
    let scope = format!("DescribeImages\n{repo}\n{tag_status}\n{image_status}");
    let (items, next) = page(state, request, &scope, &selected)?;
    Ok(paged_answer("imageDetails", &items, next))
}

fn describe_repositories(state: &FakeState, request: &Value) -> Result<Value, AwsError> {
    let config = &state.config;
    if let Some(names) = request.get("repositoryNames").filter(|v| !v.is_null()) {
        if ["maxResults", "nextToken"]
            .iter()
            .any(|k| request.get(*k).is_some_and(|v| !v.is_null()))
        {
            return Err(invalid(
                "repositoryNames cannot be used with maxResults or nextToken",
            ));
        }
        let names = names
            .as_array()
            .ok_or_else(|| invalid("Invalid parameter at 'repositoryNames': not a list"))?;
        let mut found = Vec::new();
        for name in names {
            let name = name.as_str().unwrap_or_default();
            let repo = config
                .repositories
                .iter()
                .find(|r| r["repositoryName"] == name)
                .ok_or_else(|| repository_not_found(config, name))?;
            found.push(repo.clone());
        }
        return Ok(json!({ "repositories": found }));
    }
    let (items, next) = page(state, request, "DescribeRepositories", &config.repositories)?;
    Ok(paged_answer("repositories", &items, next))
}

fn get_lifecycle_policy(config: &FakeEcrBuilder, request: &Value) -> Result<Value, AwsError> {
    let repo = required_repo(config, request)?;
    let text = config.lifecycle.get(repo).ok_or_else(|| {
        aws_error(
            "LifecyclePolicyNotFoundException",
            format!(
                "Lifecycle policy does not exist for the repository with name '{repo}' \
                 in the registry with id '{}'",
                config.registry_id
            ),
        )
    })?;
    Ok(json!({
        "registryId": config.registry_id,
        "repositoryName": repo,
        "lifecyclePolicyText": text,
    }))
}

fn get_authorization_token(config: &FakeEcrBuilder) -> Value {
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("AWS:{}", config.password));
    let proxy = config.proxy_endpoint.clone().unwrap_or_else(|| {
        format!(
            "https://{}.dkr.ecr.{}.amazonaws.com",
            config.registry_id, config.region
        )
    });
    json!({
        "authorizationData": [{
            "authorizationToken": token,
            "expiresAt": config.expires_at,
            "proxyEndpoint": proxy,
        }]
    })
}

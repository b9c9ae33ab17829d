//! Faults only an in-process server can produce on demand (regscope's own `serve` with fault
//! switches): corrupt and truncated bodies, lying digest headers, 5xx, 429, stalls, oversized
//! manifests, a served ancestor, a `/v2/` that is not a registry's; plus the OCI 1.1 referrers
//! API and a cross-host blob redirect.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::time::Duration;

use regscope::analysis::{self, Finding};
use regscope::inspect::{inspect, InspectOptions, Inspection};
use regscope::model::Kind;
use regscope::reference::ImageRef;
use regscope::registry::{FetchError, Fetcher, HttpOptions, Limits};
use regscope::serve::{self, BodyFault, Faults, Layout, RequestKind, Scope, ServerHandle};
use support::fixture;

const ROOT: &str = "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898";
const ARM64: &str = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";
const AMD64_CONFIG: &str =
    "sha256:1c70b3e7c3a57801501ec127aa6c918c390c373294ec4fc48f2c6fe703fcc6fe";

async fn server(faults: Faults) -> ServerHandle {
    serve::start(
        vec![Layout::new("team/app", fixture("unsigned-index"))],
        faults,
    )
    .await
    .expect("server")
}

async fn run(
    srv: &ServerHandle,
    reference: &str,
    opts: HttpOptions,
) -> Result<(Inspection, Vec<Finding>), FetchError> {
    let image = ImageRef::parse(&format!("{}/{reference}", srv.host())).expect("reference");
    let fetcher = Fetcher::for_reference(&image, opts, Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions::default()).await?;
    let findings = analysis::analyze(&insp.root);
    Ok((insp, findings))
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    let mut c: Vec<_> = findings
        .iter()
        .filter(|f| f.code.as_str() != "attestation-manifest" && f.code.as_str() != "runs-as-root")
        .map(|f| f.code.as_str())
        .collect();
    c.sort_unstable();
    c
}

#[tokio::test]
async fn a_corrupted_child_over_http_is_a_digest_mismatch() {
    let srv = server(Faults::default().with_body(ARM64, BodyFault::Corrupt)).await;
    let (_, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("root fetched");
    assert_eq!(codes(&findings), vec!["digest-mismatch"]);
    let f = findings
        .iter()
        .find(|f| f.code.as_str() == "digest-mismatch")
        .expect("fired");
    assert_eq!(f.digest, ARM64);
    assert!(
        f.fix.as_deref().unwrap_or("").contains("security"),
        "{:?}",
        f.fix
    );
}

#[tokio::test]
async fn a_lying_digest_header_on_the_tag_is_refused() {
    let srv = server(Faults::default().with_body(ROOT, BodyFault::WrongDigestHeader)).await;
    let err = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect_err("untrusted root");
    assert!(matches!(err, FetchError::DigestMismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn truncated_failing_and_stalled_children_are_reported_and_the_rest_still_shows() {
    let srv = server(Faults::default().with_body(AMD64_CONFIG, BodyFault::Truncate)).await;
    let (insp, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("root");
    assert_eq!(codes(&findings), vec!["fetch-failed"]);
    assert_eq!(insp.root.children.len(), 4);

    let srv = server(Faults {
        status: Some(503),
        scope: Scope::path(ARM64.trim_start_matches("sha256:")),
        ..Faults::default()
    })
    .await;
    let (_, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("root");
    assert_eq!(codes(&findings), vec!["fetch-failed"]);
    assert!(
        findings.iter().any(|f| f.message.contains("503")),
        "{findings:?}"
    );

    let srv =
        server(Faults::default().with_body(ARM64, BodyFault::Stall(Duration::from_secs(5)))).await;
    let opts = HttpOptions {
        timeout: Duration::from_secs(1),
        ..HttpOptions::default()
    };
    let (_, findings) = run(&srv, "team/app:test", opts).await.expect("root");
    assert_eq!(codes(&findings), vec!["fetch-failed"]);
    // The timeout bounds a stalled body: the fetch was over before the server had sent the
    // rest of it (counted by the server, not timed by a wall clock on a busy machine).
    assert_eq!(
        srv.observed().slow_bodies_finished,
        0,
        "{:?}",
        srv.observed()
    );
}

#[tokio::test]
async fn an_oversized_manifest_over_http_is_refused_unread() {
    let srv = server(Faults::default().with_body(ARM64, BodyFault::Pad(5 << 20))).await;
    let (_, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("root");
    assert_eq!(codes(&findings), vec!["content-too-large"]);
    let srv = server(Faults {
        chunked: true,
        ..Faults::default().with_body(ARM64, BodyFault::Pad(5 << 20))
    })
    .await;
    let (_, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("root");
    assert_eq!(
        codes(&findings),
        vec!["content-too-large"],
        "also without Content-Length"
    );
}

#[tokio::test]
async fn a_registry_serving_the_index_for_its_child_is_a_cycle() {
    let index = std::fs::read(
        fixture("unsigned-index")
            .join("blobs/sha256")
            .join(ROOT.trim_start_matches("sha256:")),
    )
    .expect("index");
    let srv = server(Faults::default().with_body(ARM64, BodyFault::Replace(index.into()))).await;
    let (_, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("root");
    assert_eq!(codes(&findings), vec!["digest-mismatch", "reference-cycle"]);
}

#[tokio::test]
async fn server_errors_and_rate_limits_on_the_root_say_what_to_do() {
    let srv = server(Faults {
        status: Some(500),
        ..Faults::default()
    })
    .await;
    let err = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect_err("500");
    assert!(
        err.to_string().contains("500") && err.to_string().contains("try again"),
        "{err}"
    );
    let srv = server(Faults {
        rate_limit: Some(42),
        ..Faults::default()
    })
    .await;
    let err = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect_err("429");
    assert!(
        matches!(
            err,
            FetchError::RateLimited {
                retry_after: Some(42),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("retry after 42s")
            && err
                .to_string()
                .contains("these requests carry no login: `docker login"),
        "{err}"
    );
}

#[tokio::test]
async fn a_busy_registry_is_retried_with_backoff_and_a_long_retry_after_is_not_waited_out() {
    // Two 503s on the root, then the registry recovers: the tree arrives, after two retries.
    let srv = server(Faults {
        status: Some(503),
        times: Some(2),
        scope: Scope::kinds([RequestKind::Manifest]),
        ..Faults::default()
    })
    .await;
    let (insp, findings) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("recovered");
    assert!(codes(&findings).is_empty(), "{findings:?}");
    assert_eq!(insp.round_trips.retries, 2, "{:?}", insp.round_trips);

    // A 429 asking for one second is waited out once, within the deadline.
    let srv = server(Faults {
        rate_limit: Some(1),
        times: Some(1),
        scope: Scope::kinds([RequestKind::Manifest]),
        ..Faults::default()
    })
    .await;
    let started = std::time::Instant::now();
    let (insp, _) = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect("waited out");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(insp.round_trips.retries, 1);

    // A registry that stays down gets three attempts per request, not more.
    let srv = server(Faults {
        status: Some(503),
        scope: Scope::kinds([RequestKind::Manifest]),
        ..Faults::default()
    })
    .await;
    let err = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect_err("down");
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(srv.counts().manifests, 3);
}

#[tokio::test]
async fn a_body_dripped_a_byte_at_a_time_ends_at_the_request_deadline() {
    let srv =
        server(Faults::default().with_body(ARM64, BodyFault::Drip(Duration::from_millis(100))))
            .await;
    let opts = HttpOptions {
        timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    };
    let (_, findings) = run(&srv, "team/app:test", opts).await.expect("root");
    assert_eq!(codes(&findings), vec!["fetch-failed"]);
    // The gap between bytes (0.1 s) never trips a read timeout; the 2 s deadline on the
    // whole request does (the body, a byte every 0.1 s, was never sent to its end), and a
    // timeout is not retried.
    assert_eq!(
        srv.observed().slow_bodies_finished,
        0,
        "{:?}",
        srv.observed()
    );
    let arm64 = srv
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Manifest && r.target.ends_with(ARM64))
        .count();
    assert_eq!(arm64, 1, "asked once: {:?}", srv.requests());
}

#[tokio::test]
async fn a_registry_that_answers_each_request_in_time_still_ends_at_the_deadline() {
    // 1 s per request is well within `--timeout 10`; the tree needs several in a row.
    let srv = server(Faults {
        latency: Some(Duration::from_secs(1)),
        ..Faults::default()
    })
    .await;
    let home = tempfile::tempdir().expect("tempdir");
    let out = tokio::process::Command::from(support::isolated_command(
        &support::regscope_bin(),
        home.path(),
    ))
    .args(["inspect", &format!("{}/team/app:test", srv.host())])
    .args(["--timeout", "10", "--deadline", "2"])
    .output()
    .await
    .expect("run regscope inspect");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did not finish within 2s (--deadline)") && stderr.contains("team/app"),
        "{stderr}"
    );
    // It ended at the deadline, not at the end of the tree: the configs (read once the child
    // manifests are in, a third second in) were never asked for.
    assert_eq!(srv.counts().blobs, 0, "{:?}", srv.requests());
}

/// A server whose `/v2/` answers `status` and whose other routes still work.
async fn ping_answers(status: u16) -> ServerHandle {
    server(Faults {
        status: Some(status),
        scope: Scope::kinds([RequestKind::Base]),
        ..Faults::default()
    })
    .await
}

#[tokio::test]
async fn a_v2_answering_neither_200_nor_401_is_not_taken_for_an_open_registry() {
    for (status, advice) in [
        (404, "is not a container registry"),
        (403, "blocks this client"),
        (400, "a container registry answers 200 or 401"),
        (503, "try again later"),
    ] {
        let srv = ping_answers(status).await;
        let err = run(&srv, "team/app:test", HttpOptions::default())
            .await
            .expect_err("not a usable registry");
        let text = err.to_string();
        assert!(
            text.contains(&status.to_string()) && text.contains(advice),
            "{status}: {text}"
        );
        assert_eq!(
            srv.counts().manifests,
            0,
            "{status}: nothing asked past the ping"
        );
    }
    let srv = ping_answers(404).await;
    let err = run(&srv, "team/app:test", HttpOptions::default())
        .await
        .expect_err("404");
    assert!(
        matches!(err, FetchError::NoRegistryApi { status: 404, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&srv.host()) && err.to_string().contains("host name and port"),
        "{err}"
    );
}

#[tokio::test]
async fn regscope_auth_and_inspect_report_a_v2_that_is_not_a_registry() {
    let srv = ping_answers(404).await;
    let home = tempfile::tempdir().expect("tempdir");
    let regscope = |args: Vec<String>| {
        let mut cmd = tokio::process::Command::from(support::isolated_command(
            &support::regscope_bin(),
            home.path(),
        ));
        cmd.args(args)
            .env("DOCKER_CONFIG", home.path().join(".docker"))
            .env("NO_COLOR", "1");
        cmd
    };
    // Async: the server runs on this test's runtime.
    let out = regscope(vec!["auth".into(), "--json".into(), srv.host()])
        .output()
        .await
        .expect("run regscope auth");
    assert_eq!(out.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let error = rows[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("is not a container registry") && error.contains("404"),
        "{rows}"
    );
    assert_eq!(rows[0]["ok"], false);

    let out = regscope(vec![
        "inspect".into(),
        format!("{}/team/app:test", srv.host()),
    ])
    .output()
    .await
    .expect("run regscope inspect");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not a container registry"), "{stderr}");
}

#[tokio::test]
async fn referrers_come_from_the_oci_api_when_the_registry_has_one() {
    let mut store = serve::Store::from_layout(&fixture("unsigned-index")).expect("store");
    let empty = store.add_blob(&b"{}"[..]);
    let sig = store.add_blob(&b"signature"[..]);
    let artifact = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": sig, "size": 9}],
        "subject": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": ROOT, "size": 1607}
    });
    let artifact_digest = store.add_manifest(
        serde_json::to_vec(&artifact).expect("json"),
        "application/vnd.oci.image.manifest.v1+json",
    );
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        [("team/app".to_string(), store)],
        Faults::default(),
    )
    .await
    .expect("server");
    let image = ImageRef::parse(&format!("{}/team/app:test", srv.host())).expect("reference");
    let fetcher =
        Fetcher::for_reference(&image, HttpOptions::default(), Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions { attachments: true })
        .await
        .expect("inspected");
    let referrer = insp
        .root
        .children
        .iter()
        .find(|c| c.kind == Kind::Referrer)
        .expect("attached to the index");
    assert_eq!(referrer.digest, artifact_digest);
    assert_eq!(
        referrer.artifact_type.as_deref(),
        Some("application/vnd.dev.cosign.artifact.sig.v1+json")
    );
    assert_eq!(
        referrer.origin.as_ref().map(|o| o.sources.clone()),
        Some(vec![regscope::attachments::Source::ReferrersApi])
    );
    // The tag list was read beside the API (one request, the same round trip): tags
    // may hold attachments the API does not list (cosign's `.sig`).
    assert_eq!(insp.round_trips.tags, 1, "{:?}", insp.round_trips);
    // Read-only: every request regscope made was a GET (or HEAD).
    let methods: Vec<String> = srv.requests().iter().map(|r| r.method.clone()).collect();
    assert!(
        !methods.is_empty() && methods.iter().all(|m| m == "GET" || m == "HEAD"),
        "{methods:?}"
    );
}

/// A registry that requires Basic auth and redirects blobs to storage on another port, and the
/// storage, which records whether it ever saw an Authorization header.
mod redirect {
    use std::sync::{Arc, Mutex};

    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::Router;

    pub async fn start(
        manifest: Vec<u8>,
        config: Vec<u8>,
    ) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let storage = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let storage_addr = storage.local_addr().expect("addr");
        let log = seen.clone();
        let storage_app = Router::new().route(
            "/bucket/{digest}",
            get(move |headers: HeaderMap| {
                let log = log.clone();
                let config = config.clone();
                async move {
                    log.lock().expect("lock").push(
                        headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string),
                    );
                    config
                }
            }),
        );
        tokio::spawn(async move { axum::serve(storage, storage_app).await });

        let registry = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let host = registry.local_addr().expect("addr").to_string();
        let authorized = |h: &HeaderMap| h.get("authorization").is_some_and(|v| v == "Basic dTpw");
        let app = Router::new()
            .route(
                "/v2/",
                get(move |h: HeaderMap| async move {
                    if authorized(&h) {
                        StatusCode::OK.into_response()
                    } else {
                        (
                            StatusCode::UNAUTHORIZED,
                            [("www-authenticate", "Basic realm=\"test\"")],
                        )
                            .into_response()
                    }
                }),
            )
            .route(
                "/v2/app/manifests/{reference}",
                get(move |h: HeaderMap| {
                    let manifest = manifest.clone();
                    async move {
                        if !authorized(&h) {
                            return StatusCode::UNAUTHORIZED.into_response();
                        }
                        (
                            [("content-type", "application/vnd.oci.image.manifest.v1+json")],
                            manifest,
                        )
                            .into_response()
                    }
                }),
            )
            .route(
                "/v2/app/blobs/{digest}",
                get(
                    move |State(storage): State<String>,
                          Path(digest): Path<String>,
                          h: HeaderMap| async move {
                        if !authorized(&h) {
                            return StatusCode::UNAUTHORIZED.into_response();
                        }
                        let r: Response = (
                            StatusCode::TEMPORARY_REDIRECT,
                            [("location", format!("http://{storage}/bucket/{digest}"))],
                        )
                            .into_response();
                        r
                    },
                ),
            )
            .with_state(storage_addr.to_string());
        tokio::spawn(async move { axum::serve(registry, app).await });
        (host, seen)
    }
}

#[tokio::test]
async fn credentials_never_follow_a_redirect_to_another_host() {
    let config = br#"{"architecture":"amd64","os":"linux","config":{"User":"1000"}}"#.to_vec();
    let config_digest = support::sha256_digest(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": []
    }))
    .expect("json");
    let (host, seen) = redirect::start(manifest, config).await;
    let image = ImageRef::parse(&format!("{host}/app:v1")).expect("reference");
    let opts = HttpOptions {
        credentials: Some(regscope::registry::Credentials::new("u", "p")),
        ..HttpOptions::default()
    };
    let fetcher = Fetcher::for_reference(&image, opts, Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .expect("inspected");
    assert_eq!(
        insp.root
            .config_summary()
            .map(regscope::model::config::ConfigSummary::platform_string)
            .as_deref(),
        Some("linux/amd64"),
        "the redirected blob was fetched"
    );
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(
        seen,
        vec![None],
        "storage on another port got no Authorization header"
    );
}

/// Hostile answers to the protocol itself (issue 25, defects 6 and 7): a small axum registry
/// whose every route is set by the test, and a log of every request with its `Authorization`.
mod hostile {
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use axum::Router;

    /// (port, path, Authorization) of every request, in order.
    pub type Log = Arc<Mutex<Vec<(u16, String, Option<String>)>>>;

    /// What one route answers: status, headers, body.
    pub type Answer = (u16, Vec<(&'static str, Vec<u8>)>, Vec<u8>);

    /// Two servers on two ports; `route(port_index, path, ports)` decides each answer
    /// (`None`: 404). Returns the two `host:port`s and the log.
    pub async fn start(
        route: impl Fn(usize, &str, [u16; 2]) -> Option<Answer> + Send + Sync + Clone + 'static,
    ) -> ([String; 2], Log) {
        let log: Log = Arc::default();
        let a = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let b = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let ports = [
            a.local_addr().expect("addr").port(),
            b.local_addr().expect("addr").port(),
        ];
        for (i, listener) in [a, b].into_iter().enumerate() {
            let log = log.clone();
            let route = route.clone();
            let port = ports[i];
            let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                let log = log.clone();
                let route = route.clone();
                async move {
                    let path = uri
                        .path_and_query()
                        .map_or_else(|| uri.path().to_string(), ToString::to_string);
                    log.lock().expect("lock").push((
                        port,
                        path.clone(),
                        headers
                            .get("authorization")
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                    ));
                    let answer_is = route(i, &path, ports);
                    // Status 0: never answer (a hung service).
                    if matches!(answer_is, Some((0, _, _))) {
                        tokio::time::sleep(std::time::Duration::from_hours(1)).await;
                    }
                    answer(answer_is)
                }
            });
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        (ports.map(|p| format!("127.0.0.1:{p}")), log)
    }

    fn answer(a: Option<Answer>) -> Response {
        let Some((status, headers, body)) = a else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut resp = body.into_response();
        *resp.status_mut() = StatusCode::from_u16(status).expect("status");
        for (name, value) in headers {
            resp.headers_mut()
                .append(name, HeaderValue::from_bytes(&value).expect("header value"));
        }
        resp
    }

    /// Requests to port `port` of `log`.
    pub fn to(log: &Log, port: &str) -> Vec<(String, Option<String>)> {
        let port: u16 = port
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        log.lock()
            .expect("lock")
            .iter()
            .filter(|(p, _, _)| *p == port)
            .map(|(_, path, auth)| (path.clone(), auth.clone()))
            .collect()
    }
}

const HOSTILE_USER: &str = "alice";
const HOSTILE_PASSWORD: &str = "Redirected-pa55";

fn with_login() -> HttpOptions {
    HttpOptions {
        credentials: Some(regscope::registry::Credentials::new(
            HOSTILE_USER,
            HOSTILE_PASSWORD,
        )),
        timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    }
}

async fn inspect_at(host: &str, opts: HttpOptions) -> Result<Inspection, FetchError> {
    let image = ImageRef::parse(&format!("{host}/app:v1")).expect("reference");
    let fetcher = Fetcher::for_reference(&image, opts, Limits::default()).expect("fetcher");
    inspect(&fetcher, &image, &InspectOptions::default()).await
}

/// Runs the regscope binary with the hostile login in its environment (as a user's
/// `REGSCOPE_USERNAME`/`REGSCOPE_PASSWORD` would be); (exit code, stdout + stderr).
async fn cli(args: &[&str]) -> (i32, String) {
    let sandbox = support::sandbox::Sandbox::new();
    let mut cmd = tokio::process::Command::from(sandbox.command(&support::regscope_bin()));
    cmd.args(args)
        .env("REGSCOPE_USERNAME", HOSTILE_USER)
        .env("REGSCOPE_PASSWORD", HOSTILE_PASSWORD)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_mins(1), cmd.output())
        .await
        .expect("regscope ended")
        .expect("ran");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(HOSTILE_PASSWORD),
        "the password was printed: {text}"
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn a_redirected_ping_never_sends_the_credentials_to_the_other_port() {
    // The registry's /v2/ redirects to the other port, where a 401 names a token realm on that
    // same other port: a realm the registry itself never named.
    let ([registry, other], log) = hostile::start(|i, path, ports| match (i, path) {
        (0, "/v2/") => Some((
            307,
            vec![(
                "location",
                format!("http://127.0.0.1:{}/v2/", ports[1]).into_bytes(),
            )],
            vec![],
        )),
        (1, "/v2/") => Some((
            401,
            vec![(
                "www-authenticate",
                format!(
                    "Bearer realm=\"http://127.0.0.1:{}/token\",service=\"evil\"",
                    ports[1]
                )
                .into_bytes(),
            )],
            vec![],
        )),
        (1, p) if p.starts_with("/token") => Some((200, vec![], br#"{"token":"t"}"#.to_vec())),
        _ => None,
    })
    .await;
    let err = inspect_at(&registry, with_login())
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        matches!(err, FetchError::ForeignRefusal { status: 401, .. }),
        "{err:?}"
    );
    assert!(text.contains("never to another host"), "{text}");
    for (i, port) in [&registry, &other].into_iter().enumerate() {
        for (path, auth) in hostile::to(&log, port) {
            assert!(auth.is_none(), "port {i} got credentials on {path}");
        }
    }
    assert!(
        hostile::to(&log, &other)
            .iter()
            .all(|(p, _)| !p.starts_with("/token")),
        "the other port's realm was never asked for a token"
    );

    // The same through the binary, for `auth` and `inspect`.
    for args in [
        vec!["auth", registry.as_str()],
        vec!["inspect", &format!("{registry}/app:v1")],
    ] {
        let (code, text) = cli(&args).await;
        assert_eq!(code, 1, "{args:?}: {text}");
        assert!(text.contains("never to another host"), "{args:?}: {text}");
        assert!(!text.contains("docker login"), "not a bad login: {text}");
    }
    for (path, auth) in hostile::to(&log, &other) {
        assert!(auth.is_none(), "the other port got credentials on {path}");
    }
}

#[tokio::test]
async fn a_refusal_from_a_redirect_target_is_not_blamed_on_the_login() {
    // The registry accepts the login, then redirects the manifest to another port that
    // answers 401: the login is not what is wrong.
    let ([registry, _other], _log) = hostile::start(|i, path, ports| match (i, path) {
        (0, "/v2/") => Some((
            401,
            vec![("www-authenticate", b"Basic realm=\"r\"".to_vec())],
            vec![],
        )),
        (0, p) if p.starts_with("/v2/app/manifests/") => Some((
            307,
            vec![(
                "location",
                format!("http://127.0.0.1:{}/cdn/m", ports[1]).into_bytes(),
            )],
            vec![],
        )),
        (1, _) => Some((
            401,
            vec![("www-authenticate", b"Basic realm=\"cdn\"".to_vec())],
            vec![],
        )),
        _ => None,
    })
    .await;
    let err = inspect_at(&registry, with_login())
        .await
        .expect_err("refused");
    assert!(
        matches!(err, FetchError::ForeignRefusal { status: 401, .. }),
        "{err:?}"
    );
    let (code, text) = cli(&["inspect", &format!("{registry}/app:v1")]).await;
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("redirected the request to 127.0.0.1:"),
        "{text}"
    );
    assert!(
        !text.contains("wrong or expired") && !text.contains("docker login"),
        "{text}"
    );
}

#[tokio::test]
async fn a_challenge_that_cannot_be_read_is_not_taken_for_an_open_registry() {
    for header in [
        b"Basic realm=\"t\xc3\xa9st\"".to_vec(),
        b"Negotiate abc".to_vec(),
    ] {
        let h = header.clone();
        let ([registry, _], log) = hostile::start(move |_, path, _| match path {
            "/v2/" => Some((401, vec![("www-authenticate", h.clone())], vec![])),
            _ => Some((401, vec![], vec![])),
        })
        .await;
        let err = inspect_at(&registry, with_login())
            .await
            .expect_err("refused");
        assert!(matches!(err, FetchError::BadChallenge { .. }), "{err:?}");
        let (code, text) = cli(&["auth", &registry]).await;
        assert_eq!(code, 1, "{text}");
        assert!(!text.contains("none (open)"), "{text}");
        assert!(
            !text.contains("refused the credentials"),
            "none were sent: {text}"
        );
        assert!(text.contains("cannot use"), "{text}");
        assert!(
            hostile::to(&log, &registry)
                .iter()
                .all(|(_, auth)| auth.is_none()),
            "nothing was sent under an unreadable scheme"
        );
    }
}

#[tokio::test]
async fn redirects_to_other_schemes_are_refused_once_not_retried() {
    for location in ["file:///etc/passwd", "gopher://127.0.0.1:70/x"] {
        let ([registry, _], log) = hostile::start(move |_, path, _| match path {
            "/v2/" => Some((200, vec![], vec![])),
            _ => Some((
                302,
                vec![("location", location.as_bytes().to_vec())],
                vec![],
            )),
        })
        .await;
        let err = inspect_at(&registry, with_login())
            .await
            .expect_err("refused");
        assert!(matches!(err, FetchError::BadRedirect { .. }), "{err:?}");
        assert!(err.to_string().contains("not HTTP(S)"), "{err}");
        let manifests = hostile::to(&log, &registry)
            .into_iter()
            .filter(|(p, _)| p.contains("/manifests/"))
            .count();
        assert_eq!(manifests, 1, "asked once, not retried");
    }
}

/// A registry on port 0 of the pair whose token realm is its own `/token`, answering `token`
/// with `body` (or never, when `body` is `None`).
async fn token_registry(body: Option<&'static [u8]>) -> (String, hostile::Log) {
    let ([registry, _], log) = hostile::start(move |_, path, ports| {
        let challenge = format!(
            "Bearer realm=\"http://127.0.0.1:{}/token\",service=\"reg\"",
            ports[0]
        );
        match path {
            p if p.starts_with("/token") => match body {
                Some(b) => Some((200, vec![], b.to_vec())),
                // Hangs: the token service never answers.
                None => Some((0, vec![], vec![])),
            },
            _ => Some((
                401,
                vec![("www-authenticate", challenge.into_bytes())],
                vec![],
            )),
        }
    })
    .await;
    (registry, log)
}

#[tokio::test]
async fn tokens_a_header_cannot_carry_are_refused_once() {
    for body in [
        &b"{\"token\":\"abc\\r\\nX-Evil: 1\"}"[..],
        b"{\"token\":\"a\\u001b[2Jb\"}",
    ] {
        let (registry, log) = token_registry(Some(body)).await;
        let err = inspect_at(&registry, with_login())
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert!(matches!(err, FetchError::Malformed { .. }), "{err:?}");
        assert!(text.contains("control characters"), "{text}");
        assert!(
            !text.contains('\x1b') && !text.contains('\r'),
            "sanitized: {text:?}"
        );
        let tokens = hostile::to(&log, &registry)
            .into_iter()
            .filter(|(p, _)| p.starts_with("/token"))
            .count();
        assert_eq!(tokens, 1, "asked once, not retried as a network error");
    }
}

#[tokio::test]
async fn a_lifetime_no_number_holds_is_read_as_absent() {
    let (registry, log) = token_registry(Some(b"{\"token\":\"fine\",\"expires_in\":1e400}")).await;
    let err = inspect_at(&registry, with_login())
        .await
        .expect_err("no manifest here");
    // The token was accepted and sent; the registry then simply has no such manifest.
    assert!(!matches!(err, FetchError::Malformed { .. }), "{err:?}");
    assert!(
        hostile::to(&log, &registry)
            .iter()
            .any(|(p, auth)| p.contains("/manifests/") && auth.as_deref() == Some("Bearer fine")),
        "the token was used: {:?}",
        hostile::to(&log, &registry)
    );
}

#[tokio::test]
async fn a_hung_token_service_is_named_not_the_registry() {
    let (registry, _log) = token_registry(None).await;
    // Three times: the attribution used to race between two equal timeouts.
    for _ in 0..3 {
        let err = inspect_at(&registry, with_login())
            .await
            .expect_err("no token");
        assert!(matches!(err, FetchError::TokenService { .. }), "{err:?}");
        assert!(
            err.to_string().contains("/token") || err.to_string().contains("token service"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_tag_list_link_to_another_repository_is_not_followed() {
    let ([registry, _], log) = hostile::start(|_, path, _| match path {
        "/v2/" => Some((200, vec![], vec![])),
        p if p.starts_with("/v2/app/tags/list") => Some((
            200,
            vec![
                ("content-type", b"application/json".to_vec()),
                (
                    "link",
                    b"</v2/other/tags/list?last=a&n=1000>; rel=\"next\"".to_vec(),
                ),
            ],
            br#"{"name":"app","tags":["a"]}"#.to_vec(),
        )),
        p if p.starts_with("/v2/other/") => Some((
            200,
            vec![("content-type", b"application/json".to_vec())],
            br#"{"name":"other","tags":["secret-tag"]}"#.to_vec(),
        )),
        _ => None,
    })
    .await;
    let image = ImageRef::parse(&format!("{registry}/app:v1")).expect("reference");
    let fetcher = Fetcher::for_reference(&image, with_login(), Limits::default()).expect("fetcher");
    let listing = fetcher.tag_listing("app").await.expect("listed");
    assert_eq!(listing.tags, ["a"]);
    let why = listing.truncated.expect("says it stopped");
    assert!(why.contains("leads out of this repository"), "{why}");
    assert!(
        hostile::to(&log, &registry)
            .iter()
            .all(|(p, _)| !p.starts_with("/v2/other/")),
        "another repository's list was not asked for"
    );
}

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
        err.to_string().contains("retry after 42s") && err.to_string().contains("log in"),
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

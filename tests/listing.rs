//! Browsing registries that do not offer the catalog: Docker Hub and GHCR listed through their
//! own APIs (stand-ins on 127.0.0.1 that answer as the documentation says: pages, 401, 403
//! with a missing scope, 429 with Retry-After, a page that repeats) behind the config file's
//! `api`, while the registry itself is a real docker-registry behind htpasswd reached through
//! `endpoint`. Both front ends: `regscope ls` and the TUI from the registries view to a tag's
//! tree. And a registry that takes the login but refuses the catalog is not told its login is
//! bad. No secret is ever printed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use support::sandbox::Sandbox;
use support::tmux::Tmux;
use support::token::{IssuerOptions, TokenIssuer};
use support::{regscope_bin, TestRegistry};

const HUB_USER: &str = "alice";
const HUB_PASSWORD: &str = "Hub-s3cret-pa55word";
/// The Hub token the stand-in hands out for the login; never printed either.
const HUB_TOKEN: &str = "hub-jwt-0123456789";
const GH_USER: &str = "bob";
const GH_TOKEN: &str = "ghp_Listing0123456789secret";
/// Quay's documented docker login for an OAuth token: the user `$oauthtoken`.
const QUAY_USER: &str = "$oauthtoken";
const QUAY_TOKEN: &str = "quay-oauth-0123456789secret";
const GL_USER: &str = "dave";
const GL_TOKEN: &str = "glpat-Listing0123456789secret";

type Log = Arc<Mutex<Vec<String>>>;

/// Serves `app` on 127.0.0.1 from a thread of its own; the base URL.
fn serve(app: Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

/// Serves `app` over TLS on 127.0.0.1 with a leaf of a private CA (made in `dir`): a TLS
/// front that hands each decrypted connection to the plain server. The base URL and the CA.
fn serve_tls(app: Router, dir: &std::path::Path) -> (String, std::path::PathBuf) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let plain = serve(app).trim_start_matches("http://").to_string();
    let (ca, cert, key) = support::make_test_ca_and_leaf(dir);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let plain = plain.clone();
                tokio::spawn(async move {
                    // A refused handshake (the client does not trust the CA) just ends here.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if let Ok(mut inner) = tokio::net::TcpStream::connect(&plain).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut inner).await;
                    }
                });
            }
        });
    });
    (format!("https://{}", rx.recv().unwrap()), ca)
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn host_of(headers: &HeaderMap) -> String {
    headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Docker Hub's API as documented: the login exchanged at `POST /v2/auth/token`, then
/// `GET /v2/namespaces/{ns}/repositories` paged with an absolute `next`, and a repository's
/// tags with `tag_last_pushed` and per-platform images. Namespace `acme` answers 403,
/// `team` answers 429 (Retry-After: 1) the first time and then repeats its first page.
fn hub_standin(log: &Log) -> String {
    serve(hub_router(log, "http"))
}

/// The Hub stand-in's routes; its `next` links use `scheme`.
fn hub_router(log: &Log, scheme: &'static str) -> Router {
    let throttled = Arc::new(AtomicBool::new(false));
    let token = post(|body: String| async move {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if v["identifier"] == HUB_USER && v["secret"] == HUB_PASSWORD {
            json(
                StatusCode::OK,
                &serde_json::json!({"access_token": HUB_TOKEN}),
            )
        } else {
            json(
                StatusCode::UNAUTHORIZED,
                &serde_json::json!({"detail": "Incorrect authentication credentials"}),
            )
        }
    });
    let repos_log = log.clone();
    let repositories = get(
        move |Path(ns): Path<String>,
              Query(q): Query<HashMap<String, String>>,
              headers: HeaderMap| {
            let log = repos_log.clone();
            let throttled = throttled.clone();
            async move {
                let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                log.lock().unwrap().push(format!("{ns} page {page}"));
                if headers.get("authorization").and_then(|a| a.to_str().ok())
                    != Some(&format!("Bearer {HUB_TOKEN}"))
                {
                    return json(
                        StatusCode::UNAUTHORIZED,
                        &serde_json::json!({"detail": "authentication required"}),
                    );
                }
                let next = |n: u32| {
                    format!(
                        "{scheme}://{}/v2/namespaces/{ns}/repositories?page={n}&page_size=100",
                        host_of(&headers)
                    )
                };
                let repo = |name: &str, private: bool| {
                    serde_json::json!({"name": name, "namespace": ns, "is_private": private,
                        "last_updated": "2026-12-01T10:00:00.000000Z"})
                };
                let (results, next) = match (ns.as_str(), page) {
                    ("alice", 1) => (vec![repo("app", true)], Some(next(2))),
                    ("alice", 2) => (vec![repo("tools", false)], None),
                    ("acme", _) => {
                        return json(
                            StatusCode::FORBIDDEN,
                            &serde_json::json!({"detail": "you are not a member of acme"}),
                        )
                    }
                    ("team", _) if !throttled.swap(true, Ordering::SeqCst) => {
                        return (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "1")],
                            "slow down",
                        )
                            .into_response()
                    }
                    // Every page of `team` is its first again.
                    ("team", n) => (vec![repo("app", true)], Some(next(n + 1))),
                    _ => return json(StatusCode::NOT_FOUND, &serde_json::json!({})),
                };
                json(
                    StatusCode::OK,
                    &serde_json::json!({"count": 3, "next": next, "previous": null, "results": results}),
                )
            }
        },
    );
    let tags = hub_tags(log, scheme);
    Router::new()
        .route("/v2/search/repositories/", get(hub_search))
        .route("/v2/auth/token", token)
        .route("/v2/namespaces/{ns}/repositories", repositories)
        .route("/v2/namespaces/{ns}/repositories/{repo}/tags", tags)
}

/// The Hub stand-in's tag lists: `team/app` (one tag, two platforms and an attestation),
/// `team/many` (see [`many_tags`]), `team/slow` (never in time) and `team/flaky` (`t01` and
/// `t02` once, then a 500).
fn hub_tags(log: &Log, scheme: &'static str) -> axum::routing::MethodRouter {
    let tags_log = log.clone();
    let flaky_read = Arc::new(AtomicBool::new(false));
    get(
        move |Path((ns, repo)): Path<(String, String)>,
              Query(q): Query<HashMap<String, String>>,
              headers: HeaderMap| {
            let log = tags_log.clone();
            let flaky_read = flaky_read.clone();
            async move {
                if (ns.as_str(), repo.as_str()) == ("team", "flaky") {
                    if flaky_read.swap(true, Ordering::SeqCst) {
                        return json(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            &serde_json::json!({"detail": "internal error"}),
                        );
                    }
                    let tag = |name: &str| {
                        serde_json::json!({"name": name,
                            "digest": format!("sha256:{}", "1".repeat(64)),
                            "tag_last_pushed": "2026-12-01T10:00:00.000000Z",
                            "images": [{"os": "linux", "architecture": "amd64",
                                "digest": "sha256:aa", "size": 100}]})
                    };
                    return json(
                        StatusCode::OK,
                        &serde_json::json!({"count": 2, "next": null,
                            "results": [tag("t01"), tag("t02")]}),
                    );
                }
                if (ns.as_str(), repo.as_str()) == ("team", "slow") {
                    // Answers after any deadline a test waits for.
                    tokio::time::sleep(std::time::Duration::from_mins(2)).await;
                }
                if (ns.as_str(), repo.as_str()) == ("team", "many") {
                    return many_tags(&log, &q, &headers, scheme);
                }
                if (ns.as_str(), repo.as_str()) != ("team", "app") {
                    return json(StatusCode::NOT_FOUND, &serde_json::json!({}));
                }
                json(
                    StatusCode::OK,
                    &serde_json::json!({"count": 1, "next": null, "results": [{
                    "name": "v1", "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
                    "tag_last_pushed": "2026-12-01T10:00:00.000000Z",
                    "images": [
                        {"os": "linux", "architecture": "amd64", "digest": "sha256:aa", "size": 100},
                        {"os": "linux", "architecture": "arm64", "digest": "sha256:bb", "size": 100},
                        {"os": "unknown", "architecture": "unknown", "digest": "sha256:cc", "size": 1}
                    ]}]}),
                )
            }
        },
    )
}

/// Tags of the Hub repository `team/many` (for the logged-in user only): [`MANY_TAGS`] tags
/// `t01`..`t30`, each the `unsigned-index` fixture, 10 a page with an absolute `next`, each
/// page logged (`many tags page N`).
fn many_tags(
    log: &Log,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    scheme: &str,
) -> Response {
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    log.lock().unwrap().push(format!("many tags page {page}"));
    if headers.get("authorization").and_then(|a| a.to_str().ok())
        != Some(&format!("Bearer {HUB_TOKEN}"))
    {
        return json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"detail": "authentication required"}),
        );
    }
    let digest = support::layout_root_digest(&support::fixture("unsigned-index"));
    let results: Vec<serde_json::Value> = (page * 10 - 9..=(page * 10).min(MANY_TAGS))
        .map(|n| {
            serde_json::json!({"name": format!("t{n:02}"), "digest": digest,
            "tag_last_pushed": format!("2026-11-{n:02}T10:00:00.000000Z"),
            "images": [
                {"os": "linux", "architecture": "amd64", "digest": "sha256:aa", "size": 2048},
                {"os": "linux", "architecture": "arm64", "digest": "sha256:bb", "size": 2048},
                {"os": "unknown", "architecture": "unknown", "digest": "sha256:cc", "size": 1}
            ]})
        })
        .collect();
    let next = (page * 10 < MANY_TAGS).then(|| {
        format!(
            "{scheme}://{}/v2/namespaces/team/repositories/many/tags?page={}&page_size=100",
            host_of(headers),
            page + 1
        )
    });
    json(
        StatusCode::OK,
        &serde_json::json!({"count": MANY_TAGS, "next": next, "results": results}),
    )
}

const MANY_TAGS: usize = 30;

/// The GitHub REST API as documented for container packages: `/user/packages` paged with a
/// `Link` header, `/orgs/acme/packages` refused for a token without `read:packages` (403 with
/// `X-Accepted-OAuth-Scopes`), `octo` a user (404 as an org), and a package's versions with
/// their tags (one untagged).
fn github_standin() -> String {
    github_standin_with(serde_json::json!([
        {"id": 2, "name": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
         "created_at": "2026-11-30T08:00:00Z",
         "metadata": {"package_type": "container", "container": {"tags": ["v1"]}}},
        {"id": 1, "name": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
         "created_at": "2026-11-01T08:00:00Z",
         "metadata": {"package_type": "container", "container": {"tags": []}}}
    ]))
}

/// [`github_standin`] whose package `app` has these versions.
fn github_standin_with(app_versions: serde_json::Value) -> String {
    let authorized = |headers: &HeaderMap| {
        headers.get("authorization").and_then(|a| a.to_str().ok())
            == Some(&format!("Bearer {GH_TOKEN}"))
    };
    let user = get(
        move |Query(q): Query<HashMap<String, String>>, headers: HeaderMap| async move {
            if !authorized(&headers) {
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"message": "Bad credentials"}),
                );
            }
            if q.get("package_type").map(String::as_str) != Some("container") {
                return json(StatusCode::BAD_REQUEST, &serde_json::json!({}));
            }
            if q.get("page").map(String::as_str) == Some("2") {
                return json(
                    StatusCode::OK,
                    &serde_json::json!([{"name": "cli", "owner": {"login": "bob"},
                        "visibility": "public", "updated_at": "2026-11-02T08:00:00Z"}]),
                );
            }
            let link = format!(
                "<http://{}/user/packages?package_type=container&per_page=100&page=2>; rel=\"next\"",
                host_of(&headers)
            );
            (
                StatusCode::OK,
                [
                    ("content-type", "application/json".to_string()),
                    ("link", link),
                ],
                serde_json::json!([{"name": "app", "owner": {"login": "Bob"},
                    "visibility": "private", "updated_at": "2026-11-30T08:00:00Z"}])
                .to_string(),
            )
                .into_response()
        },
    );
    let orgs = get(|Path(org): Path<String>| async move {
        if org == "acme" {
            return (
                StatusCode::FORBIDDEN,
                [
                    ("content-type", "application/json"),
                    ("x-accepted-oauth-scopes", "read:packages"),
                    ("x-oauth-scopes", "repo, workflow"),
                ],
                r#"{"message":"You need at least read:packages scope to list packages."}"#,
            )
                .into_response();
        }
        json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": "Not Found"}),
        )
    });
    let users = get(|Path(user): Path<String>| async move {
        if user == "octo" {
            return json(
                StatusCode::OK,
                &serde_json::json!([{"name": "tool", "owner": {"login": "octo"}, "visibility": "public"}]),
            );
        }
        json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": "Not Found"}),
        )
    });
    let versions = get(
        move |Path(name): Path<String>, headers: HeaderMap| async move {
            if !authorized(&headers) {
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"message": "Bad credentials"}),
                );
            }
            if name != "app" {
                return json(
                    StatusCode::NOT_FOUND,
                    &serde_json::json!({"message": "Not Found"}),
                );
            }
            json(StatusCode::OK, &app_versions)
        },
    );
    serve(
        Router::new()
            .route("/user/packages", user)
            .route("/orgs/{org}/packages", orgs)
            .route("/users/{user}/packages", users)
            .route("/user/packages/container/{name}/versions", versions),
    )
}

/// Docker Hub's public search as documented (`results` with `repo_name`, `short_description`,
/// `star_count`, `is_official`; an absolute `next`), anonymous. For `nginx` every page links to
/// another with one new result, without end; a description carries an escape sequence.
async fn hub_search(Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if headers.contains_key("authorization") {
        return json(
            StatusCode::BAD_REQUEST,
            &serde_json::json!({"detail": "search is anonymous here"}),
        );
    }
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    if q.get("query").map(String::as_str) != Some("nginx proxy") {
        return json(
            StatusCode::OK,
            &serde_json::json!({"count": 0, "next": null, "results": []}),
        );
    }
    let mut results = vec![
        serde_json::json!({"repo_name": format!("someone/nginx-{page}"),
        "short_description": "", "star_count": 1, "is_official": false}),
    ];
    if page == 1 {
        results.insert(
            0,
            serde_json::json!({"repo_name": "nginx",
            "short_description": "Official build of Nginx.\u{1b}[31m", "star_count": 21000,
            "is_official": true}),
        );
    }
    json(
        StatusCode::OK,
        &serde_json::json!({"count": 1000, "results": results, "next": format!(
            "http://{}/v2/search/repositories/?query=nginx+proxy&page_size=100&page={}",
            host_of(&headers), page + 1)}),
    )
}

/// A real registry for `docker.io` holding `team/app:v1`, the Hub stand-in as its `api`, the
/// login in docker config `auths` under Docker Hub's own key.
fn hub_setup() -> (TestRegistry, Sandbox, Log) {
    let reg = TestRegistry::builder()
        .htpasswd(HUB_USER, HUB_PASSWORD)
        .start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let log = Log::default();
    let api = hub_standin(&log);
    let sandbox = Sandbox::new();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{HUB_USER}:{HUB_PASSWORD}"));
    sandbox.docker_config(
        &serde_json::json!({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}),
    );
    sandbox.regscope_config(&format!(
        "[registry.\"docker.io\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\nnamespaces = [\"acme\", \"team\"]\n",
        reg.host
    ));
    (reg, sandbox, log)
}

/// A real registry for `ghcr.io` holding `bob/app:v1`, the GitHub stand-in as its `api`, the
/// login from a credential helper.
fn ghcr_setup() -> (TestRegistry, Sandbox) {
    let reg = TestRegistry::builder().htpasswd(GH_USER, GH_TOKEN).start();
    reg.seed_fixture("unsigned-index", "bob/app:v1");
    let api = github_standin();
    let sandbox = Sandbox::new();
    sandbox.helper(
        "gh",
        &format!(
            "cat >/dev/null\necho '{{\"ServerURL\":\"ghcr.io\",\"Username\":\"{GH_USER}\",\"Secret\":\"{GH_TOKEN}\"}}'"
        ),
    );
    sandbox.docker_config(&serde_json::json!({"credHelpers": {"ghcr.io": "gh"}}));
    sandbox.regscope_config(&format!(
        "[registry.\"ghcr.io\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\nnamespaces = [\"acme\", \"octo\"]\n",
        reg.host
    ));
    (reg, sandbox)
}

/// Types `text` one key at a time.
fn type_text(tmux: &Tmux, text: &str) {
    for ch in text.chars() {
        tmux.keys(&[&ch.to_string()]);
    }
}

/// `regscope ARGS` in the sandbox: exit code, stdout, stderr; no secret in either.
fn regscope(sandbox: &Sandbox, args: &[&str]) -> (i32, String, String) {
    regscope_with(sandbox, &[], args)
}

/// [`regscope`] with `env` set besides the sandbox's.
fn regscope_with(sandbox: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = sandbox
        .command(&regscope_bin())
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for secret in [HUB_PASSWORD, HUB_TOKEN, GH_TOKEN, QUAY_TOKEN, GL_TOKEN] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a secret was printed:\n{stdout}\n{stderr}"
        );
    }
    support::words::assert_no_debug_syntax(&format!("{stdout}{stderr}"));
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

#[test]
fn ls_lists_docker_hub_namespaces_through_the_hub_api_and_says_what_it_could_not() {
    let (_reg, sandbox, log) = hub_setup();
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "docker.io"]);
    assert_eq!(stdout, "alice/app\nalice/tools\nteam/app\n", "{stderr}");
    assert!(
        stderr
            .contains("from the Docker Hub API: namespace alice, 2 pages; namespace team, 1 page"),
        "{stderr}"
    );
    assert!(
        stderr.contains("could not list namespace acme: 403: you are not a member of acme"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "could not list namespace team: stopped after 1 page: the API sent a page it had sent before"
        ),
        "{stderr}"
    );
    assert_eq!(code, 3, "something could not be listed");
    // The 429 was waited out (Retry-After: 1, within the deadline) and asked again.
    let asked = log.lock().unwrap().clone();
    assert_eq!(
        asked.iter().filter(|l| *l == "team page 1").count(),
        2,
        "{asked:?}"
    );
    // The repeating page ended the walk at once.
    assert!(!asked.iter().any(|l| l == "team page 3"), "{asked:?}");

    // One namespace, its tags through the Hub's tag API (push time, platforms), a glob.
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "docker.io/alice", "*/t*"]);
    assert_eq!((code, stdout.as_str()), (0, "alice/tools\n"), "{stderr}");
    let (_, stdout, stderr) = regscope(&sandbox, &["ls", "docker.io/team", "team/*:v*"]);
    assert_eq!(
        stdout,
        "team/app:v1  sha256:1111111111111111111111111111111111111111111111111111111111111111  2026-12-01T10:00:00.000000Z  linux/amd64,linux/arm64  200 B\n",
        "{stderr}"
    );
    let (_, stdout, _) = regscope(&sandbox, &["ls", "docker.io/alice", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        doc["source"],
        "the Docker Hub API: namespace alice, 2 pages"
    );
    assert_eq!(doc["repositories"][0]["name"], "alice/app");
    assert_eq!(
        doc["repositories"][0]["detail"],
        "private, updated 2026-12-01"
    );
}

#[test]
fn ls_with_a_hub_login_the_hub_refuses_says_so_and_what_to_do() {
    let (_reg, sandbox, _log) = hub_setup();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{HUB_USER}:wrong"));
    sandbox.docker_config(
        &serde_json::json!({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}),
    );
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "docker.io"]);
    assert_eq!((code, stdout.as_str()), (1, ""), "{stderr}");
    assert!(
        stderr.contains("the Docker Hub API refused the login of alice (401: Incorrect authentication credentials); log in to docker.io again with `docker login`"),
        "{stderr}"
    );
}

#[test]
fn ls_lists_ghcr_packages_of_the_user_and_orgs_through_the_github_api() {
    let (_reg, sandbox) = ghcr_setup();
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "ghcr.io"]);
    assert_eq!(stdout, "bob/app\nbob/cli\nocto/tool\n", "{stderr}");
    assert!(
        stderr.contains("from the GitHub API: user bob, 2 pages; org octo, 1 page"),
        "{stderr}"
    );
    assert!(
        stderr.contains("could not list org acme: 403, the token lacks read:packages"),
        "{stderr}"
    );
    assert_eq!(code, 3);
    // Versions: the tag with its digest and push time, and the untagged version.
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "ghcr.io/bob", "bob/app", "--tags"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "bob/app:v1  sha256:2222222222222222222222222222222222222222222222222222222222222222  2026-11-30T08:00:00Z\n\
         bob/app@sha256:3333333333333333333333333333333333333333333333333333333333333333  (untagged)  2026-11-01T08:00:00Z\n"
    );
    assert!(
        stderr.contains("from the GitHub API: user bob, 2 pages"),
        "{stderr}"
    );
}

/// A registry behind token auth whose token service grants everything but the catalog (as
/// Docker Hub and Harbor do for non-admins), holding `repo:v1`, the login in docker config
/// `auths`. The issuer and its key directory live as long as the test holds them.
fn catalog_refusing_registry(
    repo: &str,
) -> (tempfile::TempDir, TokenIssuer, TestRegistry, Sandbox) {
    let dir = tempfile::tempdir().unwrap();
    let issuer = TokenIssuer::start_with(
        dir.path(),
        &[(HUB_USER, HUB_PASSWORD)],
        IssuerOptions {
            refuse_anonymous: true,
            no_catalog: true,
            ..IssuerOptions::default()
        },
    );
    let reg = TestRegistry::builder()
        .token_auth(&issuer, (HUB_USER, HUB_PASSWORD))
        .start();
    reg.seed_fixture("unsigned-index", &format!("{repo}:v1"));
    let sandbox = Sandbox::new();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{HUB_USER}:{HUB_PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(reg.host.clone()): {"auth": auth}}}));
    (dir, issuer, reg, sandbox)
}

/// The registry takes the login but refuses it the catalog: the refusal is not a bad login.
#[test]
fn a_refused_catalog_from_a_registry_that_takes_the_login_is_not_a_bad_login() {
    let (_dir, _issuer, reg, sandbox) = catalog_refusing_registry("team/app");
    let (code, _, stderr) = regscope(&sandbox, &["ls", &reg.host]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} does not offer its catalog to alice (401), though it accepts this login",
            reg.host
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("login is wrong"), "{stderr}");

    // The TUI says the same, and a repository typed by name opens with the same login.
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", &reg.host]),
        (120, 30),
    );
    tmux.forbid(HUB_PASSWORD);
    tmux.wait_for_flowed("does not offer its catalog to alice (401), though it accepts this login");
    tmux.keys(&[":"]);
    type_text(&tmux, &format!("{}/team/app", reg.host));
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The login the Harbor stand-in takes, as basic auth.
fn harbor_authorized(headers: &HeaderMap) -> bool {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{HUB_USER}:{HUB_PASSWORD}"))
    );
    headers.get("authorization").and_then(|a| a.to_str().ok()) == Some(basic.as_str())
}

fn harbor_unauthorized() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        &serde_json::json!({"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]}),
    )
}

/// Harbor's artifacts of `proj/app` (`with_tag=true`, paged with `Link`): the index `digest`
/// tagged `v1` (the tag pushed a day after the artifact) and an untagged artifact on page 1;
/// on page 2 `old` and a tag with a control character in its name; page 3 repeats page 2.
/// With `with_scan_overview=true`, `v1` carries a finished Trivy scan (1 critical, 2 high;
/// its severity with an escape sequence in it) and `old` a scan still running.
fn harbor_artifacts(digest: &str) -> axum::routing::MethodRouter {
    let digest = digest.to_string();
    get(
        move |Path((project, repository)): Path<(String, String)>,
              Query(q): Query<HashMap<String, String>>,
              headers: HeaderMap| {
            let digest = digest.clone();
            async move {
                if !harbor_authorized(&headers) {
                    return harbor_unauthorized();
                }
                if (project.as_str(), repository.as_str()) != ("proj", "app")
                    || q.get("with_tag").map(String::as_str) != Some("true")
                {
                    return json(
                        StatusCode::NOT_FOUND,
                        &serde_json::json!({"errors": [{"code": "NOT_FOUND", "message": "not found"}]}),
                    );
                }
                let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let scanned = q.get("with_scan_overview").map(String::as_str) == Some("true");
                let report = "application/vnd.security.vulnerability.report; version=1.1";
                let body = if page == 1 {
                    serde_json::json!([
                        {"digest": digest, "push_time": "2026-11-20T08:00:00.000Z", "size": 4096,
                         "tags": [{"name": "v1", "push_time": "2026-11-21T08:00:00.000Z"}],
                         "scan_overview": scanned.then(|| serde_json::json!({report: {
                            "scan_status": "Success", "severity": "High\u{1b}[2J",
                            "summary": {"total": 3, "fixable": 2,
                                        "summary": {"Critical": 1, "High": 2, "Low": 0}}}})),
                         "references": [
                            {"platform": {"os": "linux", "architecture": "amd64"}},
                            {"platform": {"os": "linux", "architecture": "arm64"}}]},
                        {"digest": format!("sha256:{}", "8".repeat(64)),
                         "push_time": "2026-11-19T08:00:00.000Z", "tags": null}
                    ])
                } else {
                    serde_json::json!([
                        {"digest": format!("sha256:{}", "9".repeat(64)), "size": 1024,
                         "push_time": "2026-11-01T08:00:00.000Z",
                         "extra_attrs": {"os": "linux", "architecture": "amd64"},
                         "scan_overview": scanned.then(|| serde_json::json!({report: {
                            "scan_status": "Running"}})),
                         "tags": [{"name": "old"}, {"name": "bad\u{1b}[31m"}]}
                    ])
                };
                // As Harbor does, the next page keeps the query it was asked with.
                let next = format!(
                    "</api/v2.0/projects/proj/repositories/app/artifacts?with_tag=true{}&page={}&page_size=100>; rel=\"next\"",
                    if scanned { "&with_scan_overview=true" } else { "" },
                    page + 1
                );
                let mut response = json(StatusCode::OK, &body);
                response.headers_mut().insert("link", next.parse().unwrap());
                response
            }
        },
    )
}

/// Harbor's API as documented: `systeminfo` (anonymous), projects and a project's
/// repositories with basic auth; project `vault` is forbidden to this user; the artifacts of
/// `proj/app` ([`harbor_artifacts`]).
fn harbor_standin(digest: &str) -> String {
    let artifacts = harbor_artifacts(digest);
    let projects = get(|headers: HeaderMap| async move {
        if !harbor_authorized(&headers) {
            return harbor_unauthorized();
        }
        json(
            StatusCode::OK,
            &serde_json::json!([{"name": "proj"}, {"name": "vault"}]),
        )
    });
    let repositories = get(
        |Path(project): Path<String>, headers: HeaderMap| async move {
            if !harbor_authorized(&headers) {
                return harbor_unauthorized();
            }
            match project.as_str() {
                "proj" => json(
                    StatusCode::OK,
                    &serde_json::json!([{"name": "proj/app", "artifact_count": 1,
                    "update_time": "2026-11-15T09:00:00.000Z"}]),
                ),
                _ => json(
                    StatusCode::FORBIDDEN,
                    &serde_json::json!({"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]}),
                ),
            }
        },
    );
    serve(
        Router::new()
            .route(
                "/api/v2.0/systeminfo",
                get(|| async {
                    json(
                        StatusCode::OK,
                        &serde_json::json!({"harbor_version": "v2.11.0", "auth_mode": "db_auth"}),
                    )
                }),
            )
            .route("/api/v2.0/projects", projects)
            .route("/api/v2.0/projects/{project}/repositories", repositories)
            .route(
                "/api/v2.0/projects/{project}/repositories/{repository}/artifacts",
                artifacts,
            ),
    )
}

/// A Harbor that refuses the catalog to a non-admin is recognised from its API and listed by
/// project, in the CLI and in the TUI down to a tag's tree; the tags come from its artifacts
/// with digest and push time, which go into the history log.
#[test]
fn harbor_is_listed_by_project_once_it_refuses_the_catalog() {
    let (_dir, _issuer, reg, sandbox) = catalog_refusing_registry("proj/app");
    let index = support::layout_root_digest(&support::fixture("unsigned-index"));
    let api = harbor_standin(&index);
    sandbox.regscope_config(&format!("[registry.\"{}\"]\napi = \"{api}\"\n", reg.host));
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", &reg.host]);
    assert_eq!(stdout, "proj/app\n", "{stderr}");
    assert!(
        stderr.contains("from the Harbor API: projects, 1 page; project proj, 1 page"),
        "{stderr}"
    );
    assert!(
        stderr.contains("could not list project vault: 403: forbidden"),
        "{stderr}"
    );
    assert_eq!(code, 3);
    let cache = sandbox.path().join("named-cache");
    let cache = cache.to_str().unwrap();
    let env = [("REGSCOPE_CACHE_DIR", cache), ("TZ", "UTC")];
    let (code, stdout, stderr) =
        regscope_with(&sandbox, &env, &["ls", &reg.host, "proj/*", "--tags"]);
    assert_eq!(
        stdout,
        format!(
            "proj/app:v1  {index}  2026-11-21T08:00:00.000Z  linux/amd64,linux/arm64  4.0 KiB  scan: High\\u{{1b}}[2J: 3 vulnerabilities (1 Critical, 2 High)\n\
             proj/app:old  sha256:{}  2026-11-01T08:00:00.000Z  linux/amd64  1.0 KiB  scan: not finished (Running)\n",
            "9".repeat(64)
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "could not list proj/app: stopped after 2 pages: the API sent a page it had sent before"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert_eq!(code, 3);
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", &reg.host, "proj/*:v*"]);
    assert_eq!(
        (code, stdout.lines().next().unwrap_or_default()),
        (
            3,
            format!(
                "proj/app:v1  {index}  2026-11-21T08:00:00.000Z  linux/amd64,linux/arm64  4.0 KiB  scan: High\\u{{1b}}[2J: 3 vulnerabilities (1 Critical, 2 High)"
            )
            .as_str()
        ),
        "{stderr}"
    );
    // The push time Harbor gave is in the history log, beside when regscope saw it.
    let (code, stdout, stderr) = regscope_with(
        &sandbox,
        &env,
        &["history", &format!("{}/proj/app:v1", reg.host)],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("  {index}  first seen "))
            && stdout.contains("    pushed 2026-11-21 08:00 UTC+00:00 (registry's time)\n"),
        "{stdout}"
    );

    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", &reg.host]),
        (140, 30),
    );
    tmux.forbid(HUB_PASSWORD);
    let screen = tmux.wait_for("from the Harbor API: projects, 1 page; project proj, 1 page");
    assert!(
        screen.contains("1 artifact, updated 2026-11-15"),
        "{screen}"
    );
    assert!(
        screen.contains("could not list project vault: 403: forbidden"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of proj/app");
    tmux.wait_for("amd64 arm64");
    // The row resolves from the registry and says when Harbor says the tag was pushed.
    let screen = tmux.wait_for("pushed 2026-11-21T08:00:00.000Z (Harbor's artifacts)");
    assert!(!screen.contains("dim figures from"), "{screen}");
    // The registry's scan, sanitized (the status line cuts it at this width).
    tmux.wait_for("scan: High\\u{1b}[2J: 3 vuln");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// With `service = "harbor"` the registry is Harbor from the first request: a repository opened
/// directly (no listing of the registry before it) has Harbor's push times and scan, in the TUI
/// and in `ls` of one repository's tags.
#[test]
fn a_configured_harbor_describes_a_repository_opened_directly() {
    let (_dir, _issuer, reg, sandbox) = catalog_refusing_registry("proj/app");
    let index = support::layout_root_digest(&support::fixture("unsigned-index"));
    let api = harbor_standin(&index);
    sandbox.regscope_config(&format!(
        "[registry.\"{}\"]\nservice = \"harbor\"\napi = \"{api}\"\n",
        reg.host
    ));
    let (code, stdout, stderr) = regscope(&sandbox, &["config", "check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (_, stdout, stderr) = regscope(&sandbox, &["ls", &reg.host, "proj/app:v*"]);
    assert_eq!(
        stdout.lines().next().unwrap_or_default(),
        format!(
            "proj/app:v1  {index}  2026-11-21T08:00:00.000Z  linux/amd64,linux/arm64  4.0 KiB  scan: High\\u{{1b}}[2J: 3 vulnerabilities (1 Critical, 2 High)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("from the Harbor API"), "{stderr}");
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", &format!("{}/proj/app", reg.host)]),
        (140, 30),
    );
    tmux.forbid(HUB_PASSWORD);
    tmux.wait_for("tags of proj/app");
    let screen = tmux.wait_for("pushed 2026-11-21T08:00:00.000Z (Harbor's artifacts)");
    assert!(screen.contains("amd64 arm64"), "{screen}");
    tmux.wait_for("scan: High\\u{1b}[2J: 3 vuln");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The TUI from the registries view: `docker.io` (its login in docker config `auths`) opens
/// on the Hub API's list, which says where it came from and what it could not list; a
/// repository of the org opens on its tags from the registry, and a tag on its tree.
#[test]
fn the_tui_browses_docker_hub_from_the_registries_view_to_a_tree() {
    let (_reg, sandbox, _log) = hub_setup();
    let mut tmux = Tmux::start_command(&sandbox.argv(&regscope_bin(), &[]), (140, 30));
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    let screen = tmux.wait_for("docker.io");
    assert!(screen.contains("registries ("), "{screen}");
    tmux.keys(&["/"]);
    type_text(&tmux, "docker.io");
    tmux.keys(&["Enter", "Enter"]);
    let screen = tmux.wait_for("from the Docker Hub API: namespace alice, 2 pages");
    for expected in [
        "alice/app",
        "alice/tools",
        "team/app",
        "private, updated 2026-12-01",
        "could not list namespace acme: 403: you are not a member of acme",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["G"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/app");
    tmux.wait_for("amd64 arm64");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The TUI on `ghcr.io` (its login from a credential helper): the user's and an org's
/// packages from the GitHub API, the org the token may not read named with the scope it
/// lacks, and a package's tag opened to its tree.
#[test]
fn the_tui_browses_ghcr_packages_to_a_tree() {
    let (_reg, sandbox) = ghcr_setup();
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "ghcr.io"]),
        (140, 30),
    );
    tmux.forbid(GH_TOKEN);
    let screen = tmux.wait_for("from the GitHub API: user bob, 2 pages; org octo, 1 page");
    for expected in [
        "bob/app",
        "bob/cli",
        "octo/tool",
        "could not list org acme: 403, the token lacks read:packages",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of bob/app");
    tmux.wait_for("amd64 arm64");
    let screen = tmux.wait_for("(GitHub's package versions)");
    assert!(screen.contains(" PUSHED "), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The Hub's API behind TLS with a private CA: refused (naming who issued the certificate and
/// where to trust it) until the registry's own trust names the CA, through the config file's
/// `ca_file` in the CLI and through certs.d for the API's host in the TUI: the listing client
/// trusts exactly what the registry client trusts.
#[test]
fn the_listing_api_trusts_what_the_registry_trusts() {
    let (reg, sandbox, log) = hub_setup();
    let dir = tempfile::tempdir().unwrap();
    let (api, ca) = serve_tls(hub_router(&log, "https"), dir.path());
    let config = |extra: &str| {
        format!(
            "[registry.\"docker.io\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\n{extra}",
            reg.host
        )
    };
    sandbox.regscope_config(&config(""));
    // The stand-in registry offers its catalog: `ls` falls back to it and says why the API
    // could not list.
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "docker.io"]);
    assert_eq!((code, stdout.as_str()), (3, "team/app\n"), "{stderr}");
    assert!(
        stderr.contains("the Docker Hub API could not be sent the login of alice (cannot connect: invalid peer certificate: UnknownIssuer; the server presented `CN=127.0.0.1` issued by `CN=regscope-test-ca`"),
        "the issuer is named:\n{stderr}"
    );
    assert!(
        stderr
            .contains("name its CA in `ca_file` under [registry.\"docker.io\"] in the config file"),
        "{stderr}"
    );

    sandbox.regscope_config(&config(&format!("ca_file = \"{}\"\n", ca.display())));
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "docker.io/alice"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "alice/app\nalice/tools\n"),
        "{stderr}"
    );

    // certs.d for the API's host (not the registry's) in the TUI.
    sandbox.regscope_config(&config(""));
    let host = api.trim_start_matches("https://");
    let certs = sandbox.path().join("certs.d").join(host);
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&ca, certs.join("ca.crt")).unwrap();
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "docker.io"]),
        (140, 30),
    );
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    let screen = tmux.wait_for("from the Docker Hub API: namespace alice, 2 pages");
    assert!(screen.contains("alice/tools"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// Quay's API as documented: `/api/v1/repository?namespace=N` answering `repositories` and a
/// `next_page` token (sent back as `next_page=`), private repositories only to the OAuth
/// bearer, namespace `hidden` refused (403 with Quay's `error_message`/`detail`), and a
/// repository's active tags paged with `page`/`has_additional`.
fn quay_standin(log: &Log) -> String {
    serve(quay_router(log))
}

/// The Quay stand-in's routes.
fn quay_router(log: &Log) -> Router {
    let bearer = format!("Bearer {QUAY_TOKEN}");
    let signed = move |headers: &HeaderMap| {
        headers.get("authorization").and_then(|a| a.to_str().ok()) == Some(bearer.as_str())
    };
    let check = signed.clone();
    let repos_log = log.clone();
    let repositories = get(
        move |Query(q): Query<HashMap<String, String>>, headers: HeaderMap| {
            let log = repos_log.clone();
            let signed = check(&headers);
            async move {
                let ns = q.get("namespace").cloned().unwrap_or_default();
                let page = q.get("next_page").cloned().unwrap_or_default();
                log.lock().unwrap().push(format!("quay {ns} {page}"));
                let repo = |name: &str, public: bool| {
                    serde_json::json!({"namespace": ns, "name": name, "is_public": public,
                        "kind": "image", "last_modified": 1_796_000_000})
                };
                let body = match (ns.as_str(), page.as_str()) {
                    ("carol", "") => {
                        let mut repos = vec![repo("web", true)];
                        if signed {
                            repos.insert(0, repo("app", false));
                        }
                        serde_json::json!({"repositories": repos, "next_page": "gAAAA+tok/2="})
                    }
                    ("carol", "gAAAA+tok/2=") => {
                        serde_json::json!({"repositories": [repo("zeta", true)]})
                    }
                    ("hidden", _) => {
                        return json(
                            StatusCode::FORBIDDEN,
                            &serde_json::json!({"status": 403, "error_message": "Unauthorized",
                                "title": "insufficient_scope", "detail": "Unauthorized"}),
                        )
                    }
                    _ => return json(StatusCode::NOT_FOUND, &serde_json::json!({})),
                };
                json(StatusCode::OK, &body)
            }
        },
    );
    let tags = get(
        move |Path((ns, repo)): Path<(String, String)>,
              Query(q): Query<HashMap<String, String>>,
              headers: HeaderMap| async move {
            if (ns.as_str(), repo.as_str()) != ("carol", "app") || !signed(&headers) {
                return json(StatusCode::NOT_FOUND, &serde_json::json!({}));
            }
            let page: u32 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let tag = |name: &str, digest: char| {
                serde_json::json!({"name": name, "reversion": false,
                    "manifest_digest": format!("sha256:{}", digest.to_string().repeat(64)),
                    "last_modified": "Tue, 01 Dec 2026 10:00:00 -0000", "is_manifest_list": true})
            };
            let body = match page {
                1 => {
                    serde_json::json!({"tags": [tag("v1", '4')], "page": 1, "has_additional": true})
                }
                _ => {
                    serde_json::json!({"tags": [tag("v2", '5')], "page": 2, "has_additional": false})
                }
            };
            json(StatusCode::OK, &body)
        },
    );
    Router::new()
        .route("/api/v1/repository", repositories)
        .route("/api/v1/repository/{ns}/{repo}/tag/", tags)
}

/// A real registry for `quay.io` holding `carol/app:v1` behind the `$oauthtoken` login (in
/// docker config `auths`), the Quay stand-in as its `api`.
fn quay_setup() -> (TestRegistry, Sandbox, Log) {
    let reg = TestRegistry::builder()
        .htpasswd(QUAY_USER, QUAY_TOKEN)
        .start();
    reg.seed_fixture("unsigned-index", "carol/app:v1");
    let log = Log::default();
    let api = quay_standin(&log);
    let sandbox = Sandbox::new();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{QUAY_USER}:{QUAY_TOKEN}"));
    sandbox.docker_config(&serde_json::json!({"auths": {"quay.io": {"auth": auth}}}));
    sandbox.regscope_config(&format!(
        "[registry.\"quay.io\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\nnamespaces = [\"carol\", \"hidden\"]\n",
        reg.host
    ));
    (reg, sandbox, log)
}

/// Quay through its API: the namespaces' repositories page by page (the `next_page` token
/// sent back), the refused namespace named, the active tags with digest and time, in the CLI;
/// and in the TUI from the listing to a tag's tree with the same login.
#[test]
fn quay_is_listed_through_its_api_in_the_cli_and_the_tui() {
    let (_reg, sandbox, log) = quay_setup();
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "quay.io"]);
    assert_eq!(stdout, "carol/app\ncarol/web\ncarol/zeta\n", "{stderr}");
    assert!(
        stderr.contains("from the Quay API: namespace carol, 2 pages"),
        "{stderr}"
    );
    assert!(
        stderr.contains("could not list namespace hidden: 403: Unauthorized"),
        "{stderr}"
    );
    assert_eq!(code, 3);
    assert!(
        log.lock()
            .unwrap()
            .contains(&"quay carol gAAAA+tok/2=".to_string()),
        "the next_page token went back as it came"
    );
    let (code, stdout, stderr) =
        regscope(&sandbox, &["ls", "quay.io/carol", "carol/app", "--tags"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "carol/app:v1  sha256:4444444444444444444444444444444444444444444444444444444444444444  Tue, 01 Dec 2026 10:00:00 -0000\n\
         carol/app:v2  sha256:5555555555555555555555555555555555555555555555555555555555555555  Tue, 01 Dec 2026 10:00:00 -0000\n"
    );

    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "quay.io"]),
        (140, 30),
    );
    tmux.forbid(QUAY_TOKEN);
    let screen = tmux.wait_for("from the Quay API: namespace carol, 2 pages");
    for expected in [
        "carol/web",
        "private, updated 2026-11-30",
        "could not list namespace hidden: 403: Unauthorized",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of carol/app");
    tmux.wait_for("amd64 arm64");
    // Quay's push time: in its column and, for the selected row, in the status line.
    let screen = tmux.wait_for("(Quay's tag list)");
    assert!(screen.contains(" PUSHED "), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// Without Quay's `$oauthtoken` login the API lists public repositories only, and says so.
#[test]
fn quay_without_an_oauth_token_lists_public_repositories_and_says_so() {
    let (_reg, sandbox, _log) = quay_setup();
    sandbox.docker_config(&serde_json::json!({}));
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "quay.io/carol"]);
    assert_eq!(
        (code, stdout.as_str()),
        (3, "carol/web\ncarol/zeta\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("lists only public ones without an OAuth token (log in with `docker login -u '$oauthtoken'`"),
        "{stderr}"
    );
}

/// GitLab's `/api/v4/projects?membership=true`: two pages joined by `Link`.
fn gitlab_projects() -> axum::routing::MethodRouter {
    let signed = |headers: &HeaderMap| {
        headers.get("private-token").and_then(|a| a.to_str().ok()) == Some(GL_TOKEN)
    };
    get(
        move |Query(q): Query<HashMap<String, String>>, headers: HeaderMap| async move {
            if !signed(&headers) {
                return json(
                    StatusCode::UNAUTHORIZED,
                    &serde_json::json!({"message": "401 Unauthorized"}),
                );
            }
            let project = |id: u64, path: &str, level: &str| {
                serde_json::json!({"id": id, "path_with_namespace": path,
                    "container_registry_access_level": level})
            };
            if q.get("page").map(String::as_str) == Some("2") {
                return json(
                    StatusCode::OK,
                    &serde_json::json!([
                        project(2, "dave/docs", "disabled"),
                        project(3, "dave/empty", "enabled")
                    ]),
                );
            }
            let next = format!(
                "<http://{}/api/v4/projects?membership=true&per_page=100&page=2>; rel=\"next\"",
                host_of(&headers)
            );
            (
                StatusCode::OK,
                [
                    ("content-type", "application/json".to_string()),
                    ("link", next),
                ],
                serde_json::json!([project(1, "dave/app", "enabled")]).to_string(),
            )
                .into_response()
        },
    )
}

/// GitLab's tag detail as documented (`created_at`, `digest`, `total_size`), each request
/// logged (`detail PROJECT REPOSITORY TAG`); `v2` is not found.
fn gitlab_tag_detail(log: &Log) -> axum::routing::MethodRouter {
    let signed = |headers: &HeaderMap| {
        headers.get("private-token").and_then(|a| a.to_str().ok()) == Some(GL_TOKEN)
    };
    let unauthorized = || {
        json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"message": "401 Unauthorized"}),
        )
    };
    let details_log = log.clone();
    get(
        move |Path((project, repository, tag)): Path<(String, String, String)>,
              headers: HeaderMap| {
            let log = details_log.clone();
            async move {
                if !signed(&headers) {
                    return unauthorized();
                }
                log.lock()
                    .unwrap()
                    .push(format!("detail {project} {repository} {tag}"));
                if tag == "v2" {
                    return json(
                        StatusCode::NOT_FOUND,
                        &serde_json::json!({"message": "404 Tag Not Found"}),
                    );
                }
                json(
                    StatusCode::OK,
                    &serde_json::json!({"name": tag, "digest": format!("sha256:{}", "7".repeat(64)),
                        "created_at": "2026-11-21T08:00:00.000+00:00", "total_size": 2048}),
                )
            }
        },
    )
}

/// GitLab's API as documented, the token in `PRIVATE-TOKEN`: the login's projects (two pages
/// joined by `Link`; one without a registry, one with an empty one), a project's registry
/// repositories (two pages joined by `X-Next-Page` alone), a project's repositories with
/// `tags=true` asked by its full path, group `acme`'s repositories, and group `secret`
/// refused for a scope the token lacks.
fn gitlab_standin(log: &Log) -> String {
    let signed = |headers: &HeaderMap| {
        headers.get("private-token").and_then(|a| a.to_str().ok()) == Some(GL_TOKEN)
    };
    let unauthorized = || {
        json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"message": "401 Unauthorized"}),
        )
    };
    let projects = gitlab_projects();
    let repos_log = log.clone();
    let project_repositories = get(
        move |Path(id): Path<String>,
              Query(q): Query<HashMap<String, String>>,
              headers: HeaderMap| {
            let log = repos_log.clone();
            async move {
                if !signed(&headers) {
                    return unauthorized();
                }
                let page = q.get("page").cloned().unwrap_or_default();
                log.lock()
                    .unwrap()
                    .push(format!("project {id} page {page}"));
                let repo = |path: &str| {
                    serde_json::json!({"id": 11, "name": "", "path": path,
                        "location": format!("registry.gitlab.com/{path}"),
                        "created_at": "2026-11-20T08:00:00.000Z", "tags_count": 1})
                };
                let (body, next) = match (id.as_str(), page.as_str()) {
                    ("1", "1") => (serde_json::json!([repo("dave/app")]), "2"),
                    ("1", _) => (serde_json::json!([repo("dave/app/worker")]), ""),
                    ("3", _) => (serde_json::json!([]), ""),
                    ("dave/app", _) if q.get("tags").map(String::as_str) == Some("true") => (
                        serde_json::json!([
                            {"id": 11, "path": "dave/app", "tags": [{"name": "v1", "path": "dave/app:v1"},
                                {"name": "v2", "path": "dave/app:v2"}]},
                            {"id": 12, "path": "dave/app/worker", "tags": (1..=25)
                                .map(|n| serde_json::json!({"name": format!("w{n:02}")}))
                                .collect::<Vec<_>>()}
                        ]),
                        "",
                    ),
                    _ => {
                        return json(
                            StatusCode::NOT_FOUND,
                            &serde_json::json!({"message": "404 Project Not Found"}),
                        )
                    }
                };
                (
                    StatusCode::OK,
                    [("content-type", "application/json"), ("x-next-page", next)],
                    body.to_string(),
                )
                    .into_response()
            }
        },
    );
    let group_repositories = get(
        move |Path(id): Path<String>, headers: HeaderMap| async move {
            if !signed(&headers) {
                return unauthorized();
            }
            match id.as_str() {
                "acme" => json(
                    StatusCode::OK,
                    &serde_json::json!([{"id": 21, "path": "acme/api",
                    "created_at": "2026-10-01T08:00:00.000Z"}]),
                ),
                _ => json(
                    StatusCode::FORBIDDEN,
                    &serde_json::json!({"error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by the access token.",
                    "scope": "read_api api"}),
                ),
            }
        },
    );
    let tag_detail = gitlab_tag_detail(log);
    serve(
        Router::new()
            .route(
                "/api/v4/projects/{id}/registry/repositories/{repository}/tags/{tag}",
                tag_detail,
            )
            .route("/api/v4/projects", projects)
            .route(
                "/api/v4/projects/{id}/registry/repositories",
                project_repositories,
            )
            .route(
                "/api/v4/groups/{id}/registry/repositories",
                group_repositories,
            ),
    )
}

/// GitLab through its API with the registry login's password as the token: the login's
/// projects and the configured groups, both ways of paging, the group the token may not read
/// named with the scopes that would do, a repository's tags through its project; in the CLI
/// and in the TUI down to a tag's tree.
#[test]
fn gitlab_is_listed_through_its_api_in_the_cli_and_the_tui() {
    let reg = TestRegistry::builder().htpasswd(GL_USER, GL_TOKEN).start();
    reg.seed_fixture("unsigned-index", "dave/app:v1");
    let log = Log::default();
    let api = gitlab_standin(&log);
    let sandbox = Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{GL_USER}:{GL_TOKEN}"));
    sandbox.docker_config(&serde_json::json!({"auths": {"registry.gitlab.com": {"auth": auth}}}));
    sandbox.regscope_config(&format!(
        "[registry.\"registry.gitlab.com\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\nnamespaces = [\"acme\", \"secret\"]\n",
        reg.host
    ));
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "registry.gitlab.com"]);
    assert_eq!(stdout, "dave/app\ndave/app/worker\nacme/api\n", "{stderr}");
    assert!(
        stderr.contains("from the GitLab API: your projects, 2 pages (1 with images); project dave/app, 2 pages; group acme, 1 page"),
        "{stderr}"
    );
    assert!(
        stderr.contains("could not list group secret: 403, the token lacks read_api or api"),
        "{stderr}"
    );
    assert_eq!(code, 3);
    let asked = log.lock().unwrap().clone();
    assert!(
        !asked.iter().any(|l| l.starts_with("project 2 ")),
        "a project without a registry is not asked: {asked:?}"
    );
    let (code, stdout, stderr) = regscope(
        &sandbox,
        &["ls", "registry.gitlab.com/acme", "--tags", "dave/*"],
    );
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    let (code, stdout, stderr) =
        regscope(&sandbox, &["ls", "registry.gitlab.com", "dave/*", "--tags"]);
    // Each tag's date from its detail, 20 at most a repository; the rest say so.
    let sevens = "7".repeat(64);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 27, "{stdout}{stderr}");
    assert_eq!(
        lines[0],
        format!("dave/app:v1  sha256:{sevens}  2026-11-21T08:00:00.000+00:00  2.0 KiB")
    );
    assert_eq!(lines[1], "dave/app:v2", "its detail was not found");
    assert_eq!(
        lines[2],
        format!("dave/app/worker:w01  sha256:{sevens}  2026-11-21T08:00:00.000+00:00  2.0 KiB")
    );
    assert_eq!(
        lines[21],
        format!("dave/app/worker:w20  sha256:{sevens}  2026-11-21T08:00:00.000+00:00  2.0 KiB")
    );
    for (i, line) in lines[22..].iter().enumerate() {
        assert_eq!(
            *line,
            format!("dave/app/worker:w{:02}  date not read", i + 21),
            "past the bound: each says so on its own line"
        );
    }
    for expected in [
        "could not list dave/app: the date of tag v2: 404: 404 Tag Not Found",
        "could not list dave/app/worker: the dates of 5 more tags (date not read: 20 tag details are read per repository)",
    ] {
        assert!(stderr.contains(expected), "{expected}:\n{stderr}");
    }
    assert_eq!(code, 3, "group secret is still unlisted: {stderr}");
    let asked = log.lock().unwrap().clone();
    assert_eq!(
        asked
            .iter()
            .filter(|l| l.starts_with("detail dave/app 12 "))
            .count(),
        20,
        "{asked:?}"
    );
    // The worker's project is the longest leading part of its path GitLab knows: asked for
    // `dave/app/worker` first (404), then `dave/app`.
    let asked = log.lock().unwrap().clone();
    assert!(
        asked.contains(&"project dave/app/worker page 1".to_string()),
        "{asked:?}"
    );
    // In JSON: `dateNotRead` on the tags past the bound.
    let (_, stdout, _) = regscope(
        &sandbox,
        &[
            "ls",
            "registry.gitlab.com",
            "dave/app/*",
            "--tags",
            "--json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tags = doc["repositories"][0]["tags"].as_array().unwrap();
    assert_eq!(tags[24]["dateNotRead"], true, "{doc}");
    assert!(tags[0].get("dateNotRead").is_none(), "{doc}");

    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "registry.gitlab.com"]),
        (160, 30),
    );
    tmux.forbid(GL_TOKEN);
    let screen = tmux.wait_for("from the GitLab API: your projects, 2 pages");
    for expected in [
        "dave/app/worker",
        "1 tag, created 2026-11-20",
        "acme/api",
        "could not list group secret: 403, the token lacks read_api or api",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of dave/app");
    tmux.wait_for("amd64 arm64");
    // The row resolves (no pull limit here) and says when it was pushed, from GitLab.
    let screen = tmux.wait_for("pushed 2026-11-21T08:00:00.000+00:00 (GitLab's tag details)");
    assert!(!screen.contains("dim figures from"), "{screen}");
    assert!(screen.contains(" PUSHED "), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// `regscope ls docker.io --search WORD`: Docker Hub's public search, said to be public, its
/// endless paging cut at the bound, descriptions made safe; elsewhere a usage error.
#[test]
fn ls_searches_docker_hub_and_says_the_results_are_public() {
    let (_reg, sandbox, _log) = hub_setup();
    let (code, stdout, stderr) =
        regscope(&sandbox, &["ls", "docker.io", "--search", "nginx proxy"]);
    assert_eq!(
        stdout, "nginx\nsomeone/nginx-1\nsomeone/nginx-2\nsomeone/nginx-3\n",
        "{stderr}"
    );
    assert!(
        stderr.contains("from the Docker Hub API's public search for `nginx proxy` (public repositories anyone can see), 3 pages"),
        "{stderr}"
    );
    assert!(
        stderr.contains("could not list more results: stopped after 3 pages (the bound); search for something narrower"),
        "{stderr}"
    );
    assert_eq!(code, 3);
    let (_, stdout, _) = regscope(
        &sandbox,
        &[
            "ls",
            "docker.io",
            "--search",
            "nginx proxy",
            "--json",
            "ngin*",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        doc["repositories"].as_array().map(Vec::len),
        Some(1),
        "{doc}"
    );
    assert_eq!(
        doc["repositories"][0]["detail"],
        "official, 21000 stars: Official build of Nginx.\\u{1b}[31m"
    );
    let (code, _, stderr) = regscope(&sandbox, &["ls", "ghcr.io", "--search", "x"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--search searches Docker Hub's public repositories: `regscope ls docker.io --search WORD`"),
        "{stderr}"
    );
}

/// The TUI on Docker Hub's list: `/` then `?WORD` and Enter opens the Hub's public search in a
/// view of its own, titled as public results; Esc goes back to the user's own list.
#[test]
fn the_tui_searches_docker_hub_with_a_question_mark_filter() {
    let (_reg, sandbox, _log) = hub_setup();
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "docker.io"]),
        (160, 30),
    );
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    tmux.wait_for("from the Docker Hub API: namespace alice, 2 pages");
    // As it is typed, `?WORD` filters the names listed by WORD; Enter searches the Hub.
    tmux.keys(&["/"]);
    type_text(&tmux, "?tools");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while tmux.screen().contains("alice/app") {
        assert!(std::time::Instant::now() < deadline, "{}", tmux.screen());
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(tmux.screen().contains("alice/tools"), "{}", tmux.screen());
    tmux.keys(&["Escape"]);
    tmux.wait_for("alice/app");
    tmux.keys(&["/"]);
    type_text(&tmux, "?nginx proxy");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("public search for `nginx proxy`");
    for expected in [
        "public repositories anyone can see",
        "official, 21000 stars: Official build of Nginx.",
        "someone/nginx-3",
        "more results: stopped after 3 pages (the bound)",
    ] {
        assert!(screen.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("from the Docker Hub API: namespace alice, 2 pages");
    assert!(
        screen.contains("alice/tools"),
        "the filter was cleared:\n{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The registry at `docker.io`: the in-process server behind the Hub login, stating a pull
/// limit as Docker Hub does (each manifest GET uses a pull, a HEAD none; none left is a 429
/// with `Retry-After`), the Hub API stand-in as `api`. The server and the sandbox.
async fn hub_with_a_pull_limit(remaining: u64) -> (regscope::serve::ServerHandle, Sandbox) {
    let (srv, sandbox, _) = hub_serving("team/app", &["v1".to_string()], remaining).await;
    (srv, sandbox)
}

/// The in-process registry at `docker.io` holding `repo` with `tags` alone (each the
/// `unsigned-index` fixture), behind the Hub login and a pull limit with `remaining` pulls,
/// the Hub API stand-in as `api`: the server, the sandbox and the stand-in's log.
async fn hub_serving(
    repo: &str,
    tags: &[String],
    remaining: u64,
) -> (regscope::serve::ServerHandle, Sandbox, Log) {
    use regscope::serve::{self, Faults, PullQuota};
    let layout = support::fixture("unsigned-index");
    let mut store = serve::Store::from_layout(&layout).unwrap();
    // The layout's own tag (`test`) is not one Hub's tag list names.
    store.untag("test");
    for tag in tags {
        store.tag(tag.clone(), support::layout_root_digest(&layout));
    }
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().unwrap(),
        [(repo.to_string(), store)],
        Faults {
            basic_auth: Some((HUB_USER.into(), HUB_PASSWORD.into())),
            pulls: Some(PullQuota {
                limit: 100,
                remaining,
                window: 21600,
                retry_after: Some(3600),
            }),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let log = Log::default();
    let api = hub_standin(&log);
    let sandbox = Sandbox::new();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{HUB_USER}:{HUB_PASSWORD}"));
    sandbox.docker_config(
        &serde_json::json!({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}),
    );
    sandbox.regscope_config(&format!(
        "[registry.\"docker.io\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\n",
        srv.host()
    ));
    (srv, sandbox, log)
}

/// Manifest GETs the registry answered (Docker Hub counts each against the pull limit).
fn manifest_gets(srv: &regscope::serve::ServerHandle) -> usize {
    srv.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.target.contains("/manifests/"))
        .count()
}

/// The TUI's tags view of a Docker Hub repository with 30 tags reads Hub's tag list (its
/// pages, with the login) for every row's digest, platforms, size and push time, and fetches
/// no manifest for them; the rows say where the figures came from, and only the tag opened
/// reads its manifests. (The CLI's `ls` shows the same figures: see the first Hub test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_hub_tag_rows_come_from_hubs_tag_list_without_a_manifest_get() {
    let tags: Vec<String> = (1..=MANY_TAGS).map(|n| format!("t{n:02}")).collect();
    let (srv, sandbox, log) = hub_serving("team/many", &tags, 100).await;
    let argv = sandbox.argv(&regscope_bin(), &["tui", "docker.io/team/many"]);
    let mut tmux = Tmux::start_command(&argv, (140, 30));
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    let screen = tmux.wait_for("dim figures from Hub's tag list");
    let row = screen
        .lines()
        .find(|l| l.contains("t01 "))
        .unwrap_or_else(|| panic!("no row t01:\n{screen}"));
    let digest = support::layout_root_digest(&support::fixture("unsigned-index"));
    for expected in [&digest[..15], "amd64 arm64", "4.0 KiB"] {
        assert!(row.contains(expected), "{expected} in {row}:\n{screen}");
    }
    // The push time in its own column, as an age (a date once over a year old).
    assert!(screen.contains(" PUSHED "), "{screen}");
    assert!(
        row.contains(" d ago") || row.contains("2026-11-01"),
        "{row}:\n{screen}"
    );
    assert!(
        screen.contains("tags of team/many (30, by name)"),
        "{screen}"
    );
    let screen = tmux.wait_for("pushed 2026-11-01T10:00:00.000000Z, from Hub's tag list");
    assert!(screen.contains("Enter reads the manifests"), "{screen}");
    // Give any row resolution that would start time to show up, then count.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(manifest_gets(&srv), 0, "{:?}", srv.requests());
    assert_eq!(pulls_left(&srv), 100, "listing the tags used no pull");
    let asked = log.lock().unwrap().clone();
    for page in 1..=3 {
        let line = format!("many tags page {page}");
        assert_eq!(asked.iter().filter(|l| **l == line).count(), 1, "{asked:?}");
    }
    assert!(!asked.iter().any(|l| l == "many tags page 4"), "{asked:?}");

    // The tag opened reads its manifests (and uses pulls).
    tmux.keys(&["Enter"]);
    tmux.wait_for("attestation for linux/amd64");
    assert!(manifest_gets(&srv) > 0, "the tree was fetched");
    assert!(pulls_left(&srv) < 100);
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// After `r`, when Hub's tag list fails, the rows do not keep its earlier figures as if
/// current: they are dropped and the rows are read from the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_r_a_failing_hub_tag_list_leaves_no_old_figures_on_the_rows() {
    let tags: Vec<String> = ["t01", "t02"].map(String::from).to_vec();
    let (srv, sandbox, _log) = hub_serving("team/flaky", &tags, 100).await;
    let argv = sandbox.argv(&regscope_bin(), &["tui", "docker.io/team/flaky"]);
    let mut tmux = Tmux::start_command(&argv, (140, 30));
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    let screen = tmux.wait_for("dim figures from Hub's tag list");
    assert!(screen.contains("100 B"), "Hub's figures:\n{screen}");
    assert_eq!(manifest_gets(&srv), 0);
    tmux.keys(&["r"]);
    // Read from the registry now: the whole tree's size, and no word of Hub's list.
    let screen = tmux.wait_for("11.0 KiB");
    assert!(!screen.contains("dim figures from"), "{screen}");
    assert!(!screen.contains("100 B"), "{screen}");
    assert!(!screen.contains("from Hub's tag list"), "{screen}");
    assert!(manifest_gets(&srv) > 0);
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

fn pulls_left(srv: &regscope::serve::ServerHandle) -> u64 {
    srv.faults().pulls.unwrap().remaining
}

/// `regscope auth docker.io` reads the pull limit with a HEAD (Hub does not count it: no
/// pull is used), and a 429 in the CLI says when to retry, what the registry stated and
/// what a login would change (here: nothing, the login's own limit is used up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_hubs_pull_limit_is_read_with_a_head_and_a_429_says_when_and_what_a_login_changes() {
    let (srv, sandbox) = hub_with_a_pull_limit(87).await;
    let (code, out, err) = regscope(&sandbox, &["auth", "docker.io"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("rate limit   pulls left 87/100 per 6h, counted against 127.0.0.1"),
        "{out}"
    );
    let probes: Vec<String> = srv
        .requests()
        .iter()
        .filter(|r| r.target.contains("/manifests/"))
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert!(
        !probes.is_empty() && probes.iter().all(|p| p.starts_with("HEAD ")),
        "the probe is a HEAD: {probes:?}"
    );
    assert_eq!(pulls_left(&srv), 87, "the probe used no pull");

    srv.update_faults(|f| f.pulls.as_mut().unwrap().remaining = 0);
    let (code, out, err) = regscope(&sandbox, &["inspect", "docker.io/team/app:v1"]);
    assert_ne!(code, 0, "{out}{err}");
    let said = support::tmux::flowed(&format!("{out}{err}"));
    for expected in [
        "docker.io is rate limiting requests (429), retry in 60 min",
        "the registry states pulls left 0/100 per 6h",
        "the limit is that of the login alice, which logging in again does not change",
    ] {
        assert!(said.contains(expected), "{expected}:\n{said}");
    }
}

/// Waits (within 10 s) until the header's first line states the pulls the server has left,
/// however many requests are still on their way; that number.
fn header_follows_the_server(tmux: &Tmux, srv: &regscope::serve::ServerHandle) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = pulls_left(srv);
        let screen = tmux.screen();
        let header = screen.lines().next().unwrap_or_default().to_string();
        if header.contains(&format!("pulls left {left}/100 per 6h")) {
            return left;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the header never said the {left} pulls left:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A Hub tag API that does not answer holds the tag list back a few seconds at most; then
/// the rows resolve from the registry, as anywhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_tag_api_that_does_not_answer_delays_the_rows_a_few_seconds_at_most() {
    let (srv, sandbox, _) = hub_serving("team/slow", &["v1".to_string()], 100).await;
    let argv = sandbox.argv(&regscope_bin(), &["tui", "docker.io/team/slow"]);
    let mut tmux = Tmux::start_command(&argv, (140, 30));
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    let started = std::time::Instant::now();
    let screen = tmux.wait_for("amd64 arm64");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(!screen.contains("Hub's tag list"), "{screen}");
    assert!(
        manifest_gets(&srv) > 0,
        "the row resolved from the registry"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// The TUI's header shows the pull limit Docker Hub states for `docker.io`, updated as each
/// answer comes back (the tag rows come from Hub's tag list and use none; opening a tag's
/// tree uses pulls and the header follows before the tree is whole), and a 429 says when to
/// retry and what a login would change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_header_shows_docker_hubs_pull_limit_as_it_changes_and_a_429_in_words() {
    let (srv, sandbox) = hub_with_a_pull_limit(87).await;
    let argv = sandbox.argv(&regscope_bin(), &["tui", "docker.io/team/app"]);
    let mut tmux = Tmux::start_command(&argv, (140, 30));
    tmux.forbid(HUB_PASSWORD);
    tmux.forbid(HUB_TOKEN);
    tmux.wait_for("tags of team/app");
    tmux.wait_for("amd64 arm64");
    tmux.wait_for("dim figures from Hub's tag list");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        pulls_left(&srv),
        87,
        "the row's figures came from Hub's tag list"
    );
    // The tree's blobs stall: its manifests' answers (pulls used) show in the header while
    // the job is still under way, not when it ends.
    srv.update_faults(|f| {
        f.latency = Some(std::time::Duration::from_secs(4));
        f.scope = regscope::serve::Scope::kinds([regscope::serve::RequestKind::Blob]);
    });
    tmux.keys(&["Enter"]);
    let during = header_follows_the_server(&tmux, &srv);
    assert!(during < 87, "the tree's manifests used pulls: {during}");
    assert!(
        !tmux.screen().contains("attestation for linux/amd64"),
        "the tree is still loading:\n{}",
        tmux.screen()
    );
    srv.update_faults(|f| f.latency = None);
    tmux.wait_for("attestation for linux/amd64");
    let after = header_follows_the_server(&tmux, &srv);
    assert!(after <= during, "{after}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);

    // None left: the tag's manifest is refused, and the TUI says when and what to do.
    srv.update_faults(|f| f.pulls.as_mut().unwrap().remaining = 0);
    let mut tmux = Tmux::start_command(&argv, (140, 30));
    tmux.forbid(HUB_PASSWORD);
    tmux.wait_for("dim figures from Hub's tag list");
    // The tag opened is refused its manifest; its tree says why whole.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_flowed("retry in 60 min");
    let said = support::tmux::flowed(&screen);
    for expected in [
        "docker.io is rate limiting requests (429)",
        "the limit is that of the login alice",
        "pulls left 0/100 per 6h",
    ] {
        assert!(said.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// GHCR's every-image list: `bob/app` in a real registry (the index `v1`, and an image whose
/// tag GitHub no longer lists), the GitHub API's versions naming the index (tagged), one of
/// its platform manifests and the other image (untagged, as GHCR lists them). Returns the
/// registry, the sandbox and the digests (index, its amd64 manifest, the other image).
fn ghcr_with_versions() -> (TestRegistry, Sandbox, [String; 3]) {
    let reg = TestRegistry::builder().htpasswd(GH_USER, GH_TOKEN).start();
    reg.seed_fixture("unsigned-index", "bob/app:v1");
    reg.seed_fixture("unsigned-image", "bob/app:old");
    let index_layout = support::fixture("unsigned-index");
    let index = support::layout_root_digest(&index_layout);
    let parsed: serde_json::Value =
        serde_json::from_slice(&support::layout_blob(&index_layout, &index)).unwrap();
    let amd64 = parsed["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "amd64")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let other = support::layout_root_digest(&support::fixture("unsigned-image"));
    let version = |id: u32, digest: &str, created: &str, tags: &[&str]| {
        serde_json::json!({"id": id, "name": digest, "created_at": created,
            "metadata": {"package_type": "container", "container": {"tags": tags}}})
    };
    let api = github_standin_with(serde_json::json!([
        version(3, &index, "2026-11-30T08:00:00Z", &["v1"]),
        version(2, &amd64, "2026-11-30T07:59:00Z", &[]),
        version(1, &other, "2026-11-01T08:00:00Z", &[]),
    ]));
    let sandbox = Sandbox::new();
    sandbox.helper(
        "gh",
        &format!(
            "cat >/dev/null\necho '{{\"ServerURL\":\"ghcr.io\",\"Username\":\"{GH_USER}\",\"Secret\":\"{GH_TOKEN}\"}}'"
        ),
    );
    sandbox.docker_config(&serde_json::json!({"credHelpers": {"ghcr.io": "gh"}}));
    sandbox.regscope_config(&format!(
        "[registry.\"ghcr.io\"]\nendpoint = \"http://{}\"\napi = \"{api}\"\n",
        reg.host
    ));
    (reg, sandbox, [index, amd64, other])
}

/// `regscope images ghcr.io/OWNER/PACKAGE` lists every version the GitHub API knows, untagged
/// ones too, with when each was pushed: the platform manifest is the index's, the other image
/// an orphan.
#[test]
fn images_on_ghcr_lists_the_package_versions_untagged_too() {
    let (_reg, sandbox, [index, amd64, other]) = ghcr_with_versions();
    let (code, out, err) = regscope(&sandbox, &["images", "ghcr.io/bob/app"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("from the GitHub API's package versions"),
        "{out}"
    );
    assert!(out.contains("PUSHED"), "{out}");
    assert!(out.contains("1 orphaned"), "{out}");
    let (code, out, err) = regscope(&sandbox, &["images", "ghcr.io/bob/app", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["source"]["kind"], "package-versions");
    assert_eq!(doc["source"]["service"], "the GitHub API");
    let row = |digest: &str| {
        doc["images"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["digest"] == digest)
            .unwrap_or_else(|| panic!("no row for {digest}: {doc}"))
            .clone()
    };
    assert_eq!(row(&index)["tags"], serde_json::json!(["v1"]));
    assert_eq!(row(&index)["pushedAt"], "2026-11-30T08:00:00+00:00");
    assert_eq!(row(&amd64)["orphan"], false, "{}", row(&amd64));
    assert_eq!(row(&other)["tags"], serde_json::json!([]));
    assert_eq!(row(&other)["orphan"], true, "{}", row(&other));
    assert_eq!(row(&other)["pushedAt"], "2026-11-01T08:00:00+00:00");
}

/// The TUI's `u` on GHCR: the package versions, untagged too, said to come from them.
#[test]
fn the_tui_shows_ghcr_package_versions_in_the_every_image_view() {
    let (_reg, sandbox, [_, _, other]) = ghcr_with_versions();
    let mut tmux = Tmux::start_command(
        // Wide: the status line's left side is cut when the request figures on its right grow.
        &sandbox.argv(&regscope_bin(), &["tui", "ghcr.io/bob/app"]),
        (220, 30),
    );
    tmux.forbid(GH_TOKEN);
    tmux.wait_for("tags of bob/app");
    tmux.keys(&["u"]);
    let screen = tmux.wait_for("from package versions");
    assert!(
        screen.contains(&other[..15]) && screen.contains("ORPHAN: nothing in this repository"),
        "the untagged image:\n{screen}"
    );
    // The status line says it once the view's answer is drawn (not with the title's frame).
    tmux.wait_for("from the GitHub API's package versions");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// A self-hosted GitLab whose API is on another host than its registry: the config names the
/// service (`service = "gitlab"`) and where its API is (`api = URL`); the registry's own name
/// says nothing.
#[test]
fn a_self_hosted_gitlab_with_its_api_on_another_host_is_listed_through_it() {
    let reg = TestRegistry::builder().htpasswd(GL_USER, GL_TOKEN).start();
    reg.seed_fixture("unsigned-index", "dave/app:v1");
    let log = Log::default();
    let api = gitlab_standin(&log);
    let sandbox = Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{GL_USER}:{GL_TOKEN}"));
    sandbox.docker_config(&serde_json::json!({"auths": {"registry.corp.example": {"auth": auth}}}));
    sandbox.regscope_config(&format!(
        "[registry.\"registry.corp.example\"]\nendpoint = \"http://{}\"\nservice = \"gitlab\"\napi = \"{api}/\"\n",
        reg.host
    ));
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "registry.corp.example"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "dave/app\ndave/app/worker\n", "{stderr}");
    assert!(
        stderr.contains("from the GitLab API: your projects, 2 pages"),
        "{stderr}"
    );
    let (code, stdout, stderr) =
        regscope(&sandbox, &["inspect", "registry.corp.example/dave/app:v1"]);
    assert_eq!(
        code, 0,
        "the registry itself answers at its endpoint: {stdout}{stderr}"
    );
    // Without `service`, an unknown name with a URL `api` is no service: the catalog is read.
    sandbox.regscope_config(&format!(
        "[registry.\"registry.corp.example\"]\nendpoint = \"http://{}\"\napi = \"{api}/\"\n",
        reg.host
    ));
    let (_, stdout, stderr) = regscope(&sandbox, &["ls", "registry.corp.example"]);
    assert_eq!(stdout, "dave/app\n", "{stderr}");
    assert!(!stderr.contains("GitLab"), "{stderr}");
}

/// `router` with every other request (`/v2/...`) passed to the registry at `registry`
/// (`host:port`): a stand-in for a service whose API and registry share one host.
fn with_registry(router: Router, registry: String) -> Router {
    router.fallback(
        move |method: axum::http::Method, uri: axum::http::Uri, headers: HeaderMap| {
            let registry = registry.clone();
            async move {
                let client = reqwest::Client::new();
                let url = format!(
                    "http://{registry}{}",
                    uri.path_and_query().map_or("/", |p| p.as_str())
                );
                let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
                let mut req = client.request(method, url);
                for name in ["authorization", "accept"] {
                    if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                        req = req.header(name, v);
                    }
                }
                let resp = req.send().await.unwrap();
                let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
                let mut out = axum::http::HeaderMap::new();
                for name in [
                    "content-type",
                    "docker-content-digest",
                    "www-authenticate",
                    "link",
                ] {
                    if let Some(v) = resp.headers().get(name).and_then(|v| v.to_str().ok()) {
                        out.insert(name, v.parse().unwrap());
                    }
                }
                let body = resp.bytes().await.unwrap();
                (status, out, body).into_response()
            }
        },
    )
}

/// A self-hosted Quay (`api = "quay"`): its API on the host the registry's requests go to
/// (the `endpoint`), listed with the `$oauthtoken` login, and the same host serving the
/// registry for a tag's tree.
#[test]
fn a_self_hosted_quay_is_listed_through_the_api_on_its_own_host() {
    let reg = TestRegistry::builder()
        .htpasswd(QUAY_USER, QUAY_TOKEN)
        .start();
    reg.seed_fixture("unsigned-index", "carol/app:v1");
    let log = Log::default();
    let host = serve(with_registry(quay_router(&log), reg.host.clone()));
    let sandbox = Sandbox::new();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{QUAY_USER}:{QUAY_TOKEN}"));
    sandbox.docker_config(&serde_json::json!({"auths": {"quay.corp.example": {"auth": auth}}}));
    sandbox.regscope_config(&format!(
        "[registry.\"quay.corp.example\"]\nendpoint = \"{host}\"\napi = \"quay\"\nnamespaces = [\"carol\"]\n"
    ));
    let (code, stdout, stderr) = regscope(&sandbox, &["ls", "quay.corp.example"]);
    assert_eq!(stdout, "carol/app\ncarol/web\ncarol/zeta\n", "{stderr}");
    assert!(stderr.contains("from the Quay API"), "{stderr}");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("quay carol")),
        "the API on the registry's host was asked"
    );
    let (code, stdout, stderr) = regscope(&sandbox, &["inspect", "quay.corp.example/carol/app:v1"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("linux/amd64"), "{stdout}");
}

/// The tag history log keeps what a registry's API says of each tag: the digest it names and
/// when the registry says it was pushed. `history` shows that push time apart from when
/// regscope saw it, each labelled, in text and JSON. Docker Hub (`tag_last_pushed`) from
/// `ls` of its tags; GHCR (a version's `created_at`) from `images`. The cache directory is
/// named: the stand-in registries are on loopback, cached only then.
#[test]
fn history_shows_the_push_time_a_registry_api_gave_apart_from_when_regscope_saw_it() {
    let (_reg, sandbox, _log) = hub_setup();
    let cache = sandbox.path().join("named-cache");
    let cache = cache.to_str().unwrap();
    let env = [("REGSCOPE_CACHE_DIR", cache)];
    let (_, stdout, stderr) = regscope_with(&sandbox, &env, &["ls", "docker.io/team", "team/*:v*"]);
    assert!(
        stdout.starts_with("team/app:v1  sha256:1111"),
        "{stdout}{stderr}"
    );
    let (code, stdout, stderr) =
        regscope_with(&sandbox, &env, &["history", "docker.io/team/app:v1"]);
    assert_eq!(code, 0, "{stderr}");
    let hub_digest = format!("sha256:{}", "1".repeat(64));
    assert!(stdout.starts_with("docker.io/team/app:v1\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  {hub_digest}  first seen "))
            && stdout.contains("(by regscope)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("    pushed 2026-12-01 10:00 UTC+00:00 (registry's time)\n"),
        "{stdout}"
    );
    let (code, stdout, stderr) = regscope_with(
        &sandbox,
        &env,
        &["history", "docker.io/team/app:v1", "--json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let digest = &doc["tags"][0]["digests"][0];
    assert_eq!(digest["digest"], hub_digest.as_str());
    assert_eq!(
        digest["pushed"],
        serde_json::json!({"at": "2026-12-01T10:00:00Z", "by": "registry"})
    );
    assert!(
        digest["firstSeen"].as_str().unwrap().starts_with("20"),
        "{doc}"
    );
    // Without a named cache directory a loopback registry is not logged, by the API either.
    let (code, _, stderr) = regscope(&sandbox, &["history", "docker.io/team/app:v1"]);
    assert_eq!(code, 1, "{stderr}");

    let (_reg, sandbox, [index, _, _]) = ghcr_with_versions();
    let cache = sandbox.path().join("named-cache");
    let cache = cache.to_str().unwrap();
    let env = [("REGSCOPE_CACHE_DIR", cache)];
    let (code, out, err) = regscope_with(&sandbox, &env, &["images", "ghcr.io/bob/app"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, stdout, stderr) = regscope_with(&sandbox, &env, &["history", "ghcr.io/bob/app:v1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("  {index}  first seen "))
            && stdout.contains("    pushed 2026-11-30 08:00 UTC+00:00 (registry's time)\n"),
        "{stdout}"
    );
}

/// The TUI's `h` shows the same push time: GHCR's versions read by `u` (the every-image view)
/// go into the log, and the history of `v1` says when the registry says it was pushed, in
/// local time (here UTC), beside when regscope saw it.
#[test]
fn the_tui_history_shows_the_push_time_from_the_registry_api() {
    let (_reg, sandbox, [index, _, _]) = ghcr_with_versions();
    let cache = sandbox.path().join("named-cache");
    let argv = sandbox.env_argv(
        &[],
        &[
            ("REGSCOPE_CACHE_DIR", cache.to_str().unwrap()),
            ("TZ", "UTC"),
        ],
        &regscope_bin(),
        &["tui", "ghcr.io/bob/app"],
    );
    let mut tmux = Tmux::start_command(&argv, (140, 30));
    tmux.forbid(GH_TOKEN);
    tmux.wait_for("tags of bob/app");
    tmux.keys(&["u"]);
    tmux.wait_for("from package versions");
    // `u` again: back to the tags.
    tmux.keys(&["u"]);
    tmux.wait_for("TAG ");
    // Sorted by name: old, v1.
    tmux.keys(&["G", "h"]);
    let screen = tmux.wait_for("pushed 2026-11-30 08:00 UTC+00:00 (registry's time)");
    assert!(screen.contains("history of bob/app:v1"), "{screen}");
    assert!(screen.contains(&index[..15]), "{screen}");
    assert!(screen.contains("first seen "), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// GitHub Enterprise's API under `/api/v3` as documented: the user's packages `app` and
/// `locked`; the versions of `app` answer 404 (a package the API does not show) and those of
/// `locked` 403 for a token without `read:packages`.
fn ghes_standin() -> String {
    let authorized = |headers: &HeaderMap| {
        headers.get("authorization").and_then(|a| a.to_str().ok())
            == Some(&format!("Bearer {GH_TOKEN}"))
    };
    let packages = get(move |headers: HeaderMap| async move {
        if !authorized(&headers) {
            return json(
                StatusCode::UNAUTHORIZED,
                &serde_json::json!({"message": "Bad credentials"}),
            );
        }
        let package = |name: &str| {
            serde_json::json!({"name": name, "owner": {"login": "bob"},
                "visibility": "private", "updated_at": "2026-11-30T08:00:00Z"})
        };
        json(
            StatusCode::OK,
            &serde_json::json!([package("app"), package("locked")]),
        )
    });
    let versions = get(|Path(name): Path<String>| async move {
        if name == "locked" {
            return (
                StatusCode::FORBIDDEN,
                [
                    ("content-type", "application/json"),
                    ("x-accepted-oauth-scopes", "read:packages"),
                    ("x-oauth-scopes", "repo"),
                ],
                r#"{"message":"You need at least read:packages scope to list packages."}"#,
            )
                .into_response();
        }
        json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"message": "Not Found"}),
        )
    });
    serve(
        Router::new()
            .route("/api/v3/user/packages", packages)
            .route("/api/v3/user/packages/container/{name}/versions", versions),
    )
}

/// GitHub Enterprise's registry `containers.ghe.test` (`service = "github"`, its API at
/// `api`), a real registry behind htpasswd holding `bob/app:v1` and `bob/locked:v1`, the login
/// in docker config `auths`.
fn ghes_setup() -> (TestRegistry, Sandbox) {
    let reg = TestRegistry::builder().htpasswd(GH_USER, GH_TOKEN).start();
    reg.seed_fixture("unsigned-index", "bob/app:v1");
    reg.seed_fixture("unsigned-index", "bob/locked:v1");
    let api = ghes_standin();
    let sandbox = Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{GH_USER}:{GH_TOKEN}"));
    sandbox.docker_config(&serde_json::json!({"auths": {"containers.ghe.test": {"auth": auth}}}));
    sandbox.regscope_config(&format!(
        "[registry.\"containers.ghe.test\"]\nendpoint = \"http://{}\"\nservice = \"github\"\napi = \"{api}/api/v3\"\n",
        reg.host
    ));
    (reg, sandbox)
}

/// GitHub Enterprise (`service = "github"`, the API under `/api/v3`) is listed through its
/// API; where the package API refuses a package's versions (403 without `read:packages`,
/// 404), `ls --tags` and `images` fall back to the registry's tags and say so, with the
/// scope the token lacks.
#[test]
fn github_enterprise_is_listed_and_a_refused_package_api_falls_back_to_the_tags_in_the_cli() {
    let (_reg, sandbox) = ghes_setup();
    let (code, out, err) = regscope(&sandbox, &["ls", "containers.ghe.test"]);
    assert_eq!((code, out.as_str()), (0, "bob/app\nbob/locked\n"), "{err}");
    assert!(
        err.contains("from the GitHub API: user bob, 1 page"),
        "{err}"
    );

    let (code, out, err) = regscope(&sandbox, &["ls", "containers.ghe.test", "--tags"]);
    assert_eq!(out, "bob/app:v1\nbob/locked:v1\n", "{err}");
    let said = support::tmux::flowed(&err);
    for expected in [
        "could not list the tags of bob/locked with their dates: the GitHub API did not list",
        "403, the token lacks read:packages",
        "could not list the tags of bob/app with their dates: the GitHub API did not list",
        "404: Not Found",
        "the tags are listed from the registry instead",
    ] {
        assert!(said.contains(expected), "{expected}:\n{said}");
    }
    assert_eq!(code, 3, "the dates could not be listed");

    let (code, out, err) = regscope(&sandbox, &["images", "containers.ghe.test/bob/locked"]);
    assert_eq!(code, 0, "{out}{err}");
    let said = support::tmux::flowed(&format!("{out}{err}"));
    for expected in [
        "showing what the tags reach: the GitHub API did not list the versions of bob/locked",
        "403, the token lacks read:packages",
    ] {
        assert!(said.contains(expected), "{expected}:\n{said}");
    }
}

/// The TUI on GitHub Enterprise: the packages from its API, a package's tags from the
/// registry, and `u` on a package whose versions the API refuses says so and shows what the
/// tags reach.
#[test]
fn github_enterprise_in_the_tui_falls_back_to_the_tags_when_the_package_api_refuses() {
    let (_reg, sandbox) = ghes_setup();
    let mut tmux = Tmux::start_command(
        &sandbox.argv(&regscope_bin(), &["tui", "containers.ghe.test"]),
        (140, 30),
    );
    tmux.forbid(GH_TOKEN);
    let screen = tmux.wait_for("from the GitHub API: user bob, 1 page");
    assert!(screen.contains("bob/locked"), "{screen}");
    tmux.keys(&["G", "Enter"]);
    tmux.wait_for("tags of bob/locked");
    tmux.wait_for("amd64 arm64");
    tmux.keys(&["u"]);
    let screen = tmux.wait_for("note: showing what the tags reach");
    let said = support::tmux::flowed(&screen);
    for expected in [
        "the GitHub API did not list",
        "the token lacks read:packages",
    ] {
        assert!(said.contains(expected), "{expected}:\n{screen}");
    }
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// A tag row that cannot be read says why in a few words, each cause its own (the CLI's
/// sentence starts the same; the status line has it whole): a 403 on one tag's manifest, and
/// after `r` a 429 with when to retry on the row that is no longer confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_row_that_cannot_be_read_says_the_cause_in_a_few_words() {
    use regscope::serve::{self, Faults, Scope};
    let layout = support::fixture("unsigned-index");
    let mut store = serve::Store::from_layout(&layout).unwrap();
    store.untag("test");
    for tag in ["v1", "v2"] {
        store.tag(tag, support::layout_root_digest(&layout));
    }
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().unwrap(),
        [("team/app".to_string(), store)],
        Faults {
            basic_auth: Some((HUB_USER.into(), HUB_PASSWORD.into())),
            status: Some(403),
            scope: Scope::path("/manifests/v2"),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let sandbox = Sandbox::new();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{HUB_USER}:{HUB_PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(srv.host()): {"auth": auth}}}));
    let argv = sandbox.argv(
        &regscope_bin(),
        &["tui", &format!("{}/team/app", srv.host())],
    );
    let mut tmux = Tmux::start_command(&argv, (180, 30));
    tmux.forbid(HUB_PASSWORD);
    let screen = tmux.wait_for("the registry denied access (403)");
    let row = screen
        .lines()
        .find(|l| l.contains("v2 "))
        .unwrap_or_default();
    assert!(row.contains("the registry denied access (403)"), "{screen}");
    tmux.wait_for("amd64 arm64");
    // The status line has the CLI's whole sentence for the row selected.
    tmux.keys(&["j"]);
    tmux.wait_for_flowed("denied the credentials of alice from auths");

    srv.update_faults(|f| {
        f.status = None;
        f.rate_limit = Some(3600);
        f.scope = Scope::path("/manifests/");
    });
    tmux.keys(&["r"]);
    tmux.keys(&["k"]);
    let screen = tmux
        .wait_for_flowed("stale: the registry is rate limiting requests (429), retry in 60 min");
    assert!(screen.contains("v1"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

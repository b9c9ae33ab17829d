//! Bearer-token auth against a real docker-registry in `auth: token` mode with a test issuer:
//! anonymous and authenticated tokens, per-scope single flight, catalog scope, bad credentials,
//! token expiry, and 401s whose `WWW-Authenticate` names another scope or scheme.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::sync::Arc;
use std::time::Duration;

use regscope::inspect::{inspect, InspectOptions};
use regscope::reference::ImageRef;
use regscope::registry::stats::RequestKind;
use regscope::registry::{
    Credentials, FetchError, Fetcher, HttpOptions, HttpRegistry, Limits, Stats,
};
use support::token::{IssuerOptions, TokenIssuer};
use support::TestRegistry;

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pa55word";

fn setup() -> (TokenIssuer, TestRegistry, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let issuer = TokenIssuer::start(dir.path(), &[(USER, PASSWORD)]);
    let reg = TestRegistry::builder()
        .token_auth(&issuer, (USER, PASSWORD))
        .start();
    reg.seed_fixture("unsigned-index", "public/app:v1");
    reg.seed_fixture("unsigned-index", "private/app:v1");
    (issuer, reg, dir)
}

fn opts(creds: Option<(&str, &str)>) -> HttpOptions {
    HttpOptions {
        credentials: creds.map(|(u, p)| Credentials::new(u, p)),
        ..HttpOptions::default()
    }
}

async fn try_inspect(
    reg: &TestRegistry,
    repo: &str,
    creds: Option<(&str, &str)>,
) -> Result<regscope::inspect::Inspection, FetchError> {
    let image = ImageRef::parse(&format!("{}/{repo}", reg.host)).expect("reference");
    let fetcher = Fetcher::for_reference(&image, opts(creds), Limits::default()).expect("fetcher");
    inspect(&fetcher, &image, &InspectOptions::default()).await
}

#[tokio::test]
async fn anonymous_pull_of_a_public_repository_gets_an_anonymous_token() {
    let (issuer, reg, _dir) = setup();
    let before = issuer.requests().len();
    let insp = try_inspect(&reg, "public/app:v1", None)
        .await
        .expect("public pull");
    assert_eq!(insp.root.children.len(), 4);
    let requests = &issuer.requests()[before..];
    assert_eq!(
        requests.len(),
        1,
        "one token for the whole tree: {requests:?}"
    );
    assert_eq!(requests[0].user, None);
    assert_eq!(
        requests[0].scopes,
        vec!["repository:public/app:pull".to_string()]
    );
}

#[tokio::test]
async fn a_private_repository_needs_credentials_and_many_parallel_fetches_share_one_token() {
    let (issuer, reg, _dir) = setup();
    let err = try_inspect(&reg, "private/app:v1", None)
        .await
        .expect_err("anonymous is refused");
    assert!(matches!(err, FetchError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains("docker login"), "{err}");

    let before = issuer.requests().len();
    let insp = try_inspect(&reg, "private/app:v1", Some((USER, PASSWORD)))
        .await
        .expect("authenticated pull");
    // 5 manifests and 8 blobs, up to 8 in flight: still one token request.
    assert_eq!(insp.round_trips.manifest, 5);
    let requests = &issuer.requests()[before..];
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].user.as_deref(), Some(USER));
    assert_eq!(insp.round_trips.token, 1);
}

#[tokio::test]
async fn wrong_credentials_fail_clearly_without_echoing_the_secret() {
    let (_issuer, reg, _dir) = setup();
    let wrong = "not-the-Password-42";
    let err = try_inspect(&reg, "private/app:v1", Some((USER, wrong)))
        .await
        .expect_err("refused");
    let text = format!("{err} {err:?}");
    assert!(text.contains("401"), "{text}");
    assert!(!text.contains(wrong) && !text.contains(PASSWORD), "{text}");
}

#[tokio::test]
async fn the_catalog_uses_the_registry_catalog_scope() {
    let (issuer, reg, _dir) = setup();
    let fetcher = Fetcher::for_registry(&reg.host, opts(Some((USER, PASSWORD))), Limits::default())
        .expect("fetcher");
    let (repos, more) = fetcher.catalog_page(100, None).await.expect("catalog");
    assert_eq!(
        repos,
        vec!["private/app".to_string(), "public/app".to_string()]
    );
    assert!(!more);
    assert!(issuer
        .requests()
        .iter()
        .any(|r| r.scopes == vec!["registry:catalog:*".to_string()]));
}

#[test]
fn the_cli_reads_the_password_from_stdin_and_never_prints_it() {
    use std::io::Write as _;
    let (_issuer, reg, _dir) = setup();
    let home = tempfile::tempdir().unwrap();
    let run = |password: &str| {
        let mut child = support::isolated_command(&support::regscope_bin(), home.path())
            .args([
                "inspect",
                "--username",
                USER,
                "--password-stdin",
                "-v",
                &format!("{}/private/app:v1", reg.host),
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    };
    let ok = run(PASSWORD);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = run("wrong-secret-xyz");
    assert_eq!(bad.status.code(), Some(1));
    for out in [&ok, &bad] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(PASSWORD) && !all.contains("wrong-secret-xyz"));
    }
}

#[tokio::test]
async fn an_expired_token_is_renewed_once() {
    let (issuer, reg, _dir) = setup();
    issuer.expire_next_token();
    let before = issuer.requests().len();
    let insp = try_inspect(&reg, "public/app:v1", None)
        .await
        .expect("renewed and fetched");
    assert_eq!(insp.root.children.len(), 4);
    let requests = &issuer.requests()[before..];
    assert_eq!(
        requests.len(),
        2,
        "the expired token and exactly one renewal: {requests:?}"
    );
}

#[tokio::test]
async fn an_identity_token_is_exchanged_as_an_oauth2_refresh_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let refresh = "identity-refresh-token-123";
    let issuer = TokenIssuer::start_with(
        dir.path(),
        &[(USER, PASSWORD)],
        IssuerOptions {
            refresh_tokens: vec![(refresh.to_string(), USER.to_string())],
            ..IssuerOptions::default()
        },
    );
    let reg = TestRegistry::builder()
        .token_auth(&issuer, (USER, PASSWORD))
        .start();
    reg.seed_fixture("unsigned-image", "private/app:v1");
    let image = ImageRef::parse(&format!("{}/private/app:v1", reg.host)).expect("reference");
    let opts = HttpOptions {
        credentials: Some(Credentials::new("<token>", refresh)),
        identity_token: true,
        ..HttpOptions::default()
    };
    let fetcher = Fetcher::for_reference(&image, opts, Limits::default()).expect("fetcher");
    let insp = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e:?} {:?}", issuer.requests()));
    assert!(insp.root.config_summary().is_some());
    let last = issuer.requests().last().cloned().expect("a token request");
    assert_eq!(last.user.as_deref(), Some(USER), "{last:?}");
}

#[tokio::test]
async fn a_token_is_renewed_before_use_once_its_expires_in_has_passed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let issuer = TokenIssuer::start_with(
        dir.path(),
        &[(USER, PASSWORD)],
        IssuerOptions {
            expires_in: Some(2),
            ..IssuerOptions::default()
        },
    );
    let reg = TestRegistry::builder()
        .token_auth(&issuer, (USER, PASSWORD))
        .start();
    reg.seed_fixture("unsigned-index", "public/app:v1");
    let image = ImageRef::parse(&format!("{}/public/app:v1", reg.host)).expect("reference");
    // The spec's 60 s floor would make the test wait a minute; the issuer says 2 s.
    let opts = HttpOptions {
        min_token_lifetime: Duration::ZERO,
        ..HttpOptions::default()
    };
    let fetcher = Fetcher::for_reference(&image, opts, Limits::default()).expect("fetcher");
    let before = issuer.requests().len();

    fetcher.root(&image).await.expect("first fetch");
    fetcher.root(&image).await.expect("token still fresh");
    assert_eq!(issuer.requests().len() - before, 1, "one token while fresh");

    tokio::time::sleep(Duration::from_millis(2200)).await;
    // Many requests at once find the token expired: one renewal, before any is sent.
    let roots = futures::future::join_all((0..6).map(|_| fetcher.root(&image))).await;
    assert!(roots.iter().all(Result::is_ok), "{roots:?}");
    let requests = &issuer.requests()[before..];
    assert_eq!(requests.len(), 2, "one renewal: {requests:?}");
    assert_eq!(requests[1].scopes, vec!["repository:public/app:pull"]);
    // The issuer's JWTs stay valid for 300 s, so the registry never refused the old token:
    // every manifest request was answered the first time, none was a 401 to retry.
    let rt = fetcher.round_trips();
    assert_eq!((rt.token, rt.manifest), (2, 8), "{rt:?}");
}

#[tokio::test]
async fn a_401_naming_another_scope_gets_a_token_for_that_scope() {
    let (issuer, reg, _dir) = setup();
    let stats = Arc::new(Stats::default());
    let http = HttpRegistry::new(&reg.host, &reg.host, opts(None), stats.clone()).expect("http");
    let before = issuer.requests().len();
    // Asked with a token for the wrong repository, docker-registry answers 401 with
    // `scope="repository:public/app:pull",error="insufficient_scope"`.
    let resp = http
        .get(
            "/v2/public/app/manifests/v1",
            regscope::model::media_type::MANIFEST_ACCEPT,
            "repository:public/elsewhere:pull",
            RequestKind::Manifest,
            4 << 20,
            "a manifest",
        )
        .await
        .expect("fetched after one retry");
    assert!(!resp.body.is_empty());
    let requests = &issuer.requests()[before..];
    let scopes: Vec<&[String]> = requests.iter().map(|r| r.scopes.as_slice()).collect();
    assert_eq!(
        scopes,
        vec![
            &["repository:public/elsewhere:pull".to_string()][..],
            &[
                "repository:public/app:pull".to_string(),
                "repository:public/elsewhere:pull".to_string()
            ][..],
        ],
        "the second token holds the scope the 401 named"
    );
    let rt = stats.snapshot();
    assert_eq!((rt.token, rt.manifest), (2, 2), "{rt:?}");

    // That token covers `repository:public/app:pull` too: a request for it alone (another
    // repository than the first ask) reuses it, with no token round trip.
    http.get(
        "/v2/public/app/manifests/v1",
        regscope::model::media_type::MANIFEST_ACCEPT,
        "repository:public/app:pull",
        RequestKind::Manifest,
        4 << 20,
        "a manifest",
    )
    .await
    .expect("fetched with the covering token");
    let rt = stats.snapshot();
    assert_eq!((rt.token, rt.manifest), (2, 3), "{rt:?}");
    assert_eq!(issuer.requests().len() - before, 2);
}

/// A registry whose 401s name another scheme than its `/v2/` ping: bearer then basic, or
/// basic then bearer. It serves `/token`, and one manifest to whoever sends `wanted`.
mod switching {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;

    pub const BASIC: &str = "Basic dTpw"; // u:p
    pub const TOKEN: &str = "switched-token";

    #[derive(Default)]
    pub struct Counts {
        pub tokens: AtomicUsize,
        pub manifests: AtomicUsize,
    }

    /// `ping` and `refusal` are `WWW-Authenticate` values; `{realm}` becomes the token URL.
    pub async fn start(
        ping: &'static str,
        refusal: &'static str,
        wanted: String,
    ) -> (String, Arc<Counts>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let host = listener.local_addr().expect("addr").to_string();
        let realm = format!("http://{host}/token");
        let ping = ping.replace("{realm}", &realm);
        let refusal = refusal.replace("{realm}", &realm);
        let counts = Arc::new(Counts::default());
        let (c1, c2) = (counts.clone(), counts.clone());
        let app = Router::new()
            .route(
                "/v2/",
                get(move || async move {
                    (StatusCode::UNAUTHORIZED, [("www-authenticate", ping)]).into_response()
                }),
            )
            .route(
                "/token",
                get(move || async move {
                    c1.tokens.fetch_add(1, Ordering::SeqCst);
                    format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#)
                }),
            )
            .route(
                "/v2/app/manifests/v1",
                get(move |h: HeaderMap| async move {
                    c2.manifests.fetch_add(1, Ordering::SeqCst);
                    if h.get("authorization").is_some_and(|v| *v == *wanted) {
                        "{}".into_response()
                    } else {
                        (StatusCode::UNAUTHORIZED, [("www-authenticate", refusal)]).into_response()
                    }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (host, counts)
    }
}

async fn get_switching(
    host: &str,
    creds: Option<(&str, &str)>,
) -> (HttpRegistry, Result<(), FetchError>) {
    let http =
        HttpRegistry::new(host, host, opts(creds), Arc::new(Stats::default())).expect("http");
    let got = http
        .get(
            "/v2/app/manifests/v1",
            &[],
            "repository:app:pull",
            RequestKind::Manifest,
            1024,
            "a manifest",
        )
        .await
        .map(|_| ());
    (http, got)
}

#[tokio::test]
async fn a_401_asking_for_basic_on_a_bearer_registry_is_answered_with_basic() {
    use std::sync::atomic::Ordering::SeqCst;
    let (host, counts) = switching::start(
        r#"Bearer realm="{realm}",service="s""#,
        r#"Basic realm="s""#,
        switching::BASIC.to_string(),
    )
    .await;
    let (http, got) = get_switching(&host, Some(("u", "p"))).await;
    got.expect("retried with basic");
    assert_eq!(
        counts.manifests.load(SeqCst),
        2,
        "a token, refused, then basic"
    );
    // Learned: the next request goes straight to basic, no token and no 401 first.
    http.get(
        "/v2/app/manifests/v1",
        &[],
        "repository:app:pull",
        RequestKind::Manifest,
        1024,
        "a manifest",
    )
    .await
    .expect("basic again");
    assert_eq!(counts.manifests.load(SeqCst), 3);
    assert_eq!(counts.tokens.load(SeqCst), 1);

    // Without credentials there is nothing to retry with: one request, a clear 401.
    let (_, got) = get_switching(&host, None).await;
    let err = got.expect_err("refused");
    assert!(matches!(err, FetchError::Unauthorized { .. }), "{err:?}");
    assert_eq!(counts.manifests.load(SeqCst), 4);
}

#[tokio::test]
async fn a_401_asking_for_a_token_on_a_basic_registry_gets_one() {
    use std::sync::atomic::Ordering::SeqCst;
    let (host, counts) = switching::start(
        r#"Basic realm="s""#,
        r#"Bearer realm="{realm}",service="s",scope="repository:app:pull""#,
        format!("Bearer {}", switching::TOKEN),
    )
    .await;
    let (_, got) = get_switching(&host, Some(("u", "p"))).await;
    got.expect("retried with a token");
    assert_eq!(counts.manifests.load(SeqCst), 2);
    assert_eq!(counts.tokens.load(SeqCst), 1);
}

#[tokio::test]
async fn an_unreachable_token_service_is_named_not_the_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut issuer = TokenIssuer::start(dir.path(), &[(USER, PASSWORD)]);
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    issuer.realm = "http://127.0.0.1:1/token".into();
    let reg = TestRegistry::builder()
        .token_auth(&issuer, (USER, PASSWORD))
        .start();
    // Nothing is seeded (that needs a token too): the token request fails before the
    // registry could say what it holds.

    let err = try_inspect(&reg, "private/app:v1", Some((USER, PASSWORD)))
        .await
        .expect_err("no token service");
    assert!(matches!(err, FetchError::TokenService { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(message.contains(&reg.host), "{message}");
    assert!(!message.contains("registry is running"), "{message}");

    // The CLI says the same, and never the password.
    let home = tempfile::tempdir().unwrap();
    let out = support::isolated_command(&support::regscope_bin(), home.path())
        .args(["inspect", &format!("{}/private/app:v1", reg.host)])
        .args(["--username", USER, "--password-stdin", "--timeout", "5"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(PASSWORD.as_bytes())?;
            child.wait_with_output()
        })
        .expect("regscope runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot get a token from 127.0.0.1:1"),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}

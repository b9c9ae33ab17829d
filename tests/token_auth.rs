//! Bearer-token auth against a real docker-registry in `auth: token` mode with a test issuer:
//! anonymous and authenticated tokens, per-scope single flight, catalog scope, bad credentials.

mod support;

use regscope::inspect::{inspect, InspectOptions};
use regscope::reference::ImageRef;
use regscope::registry::{Credentials, FetchError, Fetcher, HttpOptions, Limits};
use support::token::TokenIssuer;
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
    let run = |password: &str| {
        let mut child = std::process::Command::new(support::regscope_bin())
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
        support::token::IssuerOptions {
            refresh_tokens: vec![(refresh.to_string(), USER.to_string())],
            ..support::token::IssuerOptions::default()
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

//! `regscope demo`: the embedded registry shows every highlight, with no registry of one's own.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

#[test]
fn the_demo_tour_shows_every_highlight() {
    let home = tempfile::tempdir().expect("home");
    let out = support::isolated_command(&support::regscope_bin(), home.path())
        .args(["demo", "--tour"])
        .output()
        .expect("run regscope demo");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "ATTESTATION for linux/amd64",
        "SLSA provenance v0.2",
        "target-incompatible",
        "BUILDX_NO_DEFAULT_ATTESTATIONS=1",
        "platform-mismatch",
        "dangling-reference",
        "MISSING",
        "exec format error",
        "findings: none",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains('\u{1b}'));
}

#[tokio::test]
async fn the_demo_registry_pages_its_catalog_and_serves_every_repository() {
    let srv = regscope::serve::start_repos(
        "127.0.0.1:0".parse().expect("addr"),
        regscope::demo::repositories(),
        regscope::serve::Faults::default(),
    )
    .await
    .expect("demo server");
    let fetcher = regscope::registry::Fetcher::for_registry(
        &srv.host(),
        regscope::registry::HttpOptions::default(),
        regscope::registry::Limits::default(),
    )
    .expect("fetcher");
    let mut all = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let (page, more) = fetcher
            .catalog_page(10, last.as_deref())
            .await
            .expect("page");
        last = page.last().cloned();
        all.extend(page);
        if !more {
            break;
        }
    }
    assert!(all.len() > 30, "enough to scroll: {}", all.len());
    assert!(all.contains(&"lambda/orders-api".to_string()));
    assert!(fetcher.tags("team/app").await.expect("tags").len() > 40);
}

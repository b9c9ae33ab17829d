//! Tag pagination from a registry that lies with its `Link` headers: a page linking back to one
//! already sent ends the walk (saying so), and a tag listed twice is kept once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::Query;
use axum::http::header::CONTENT_TYPE;
use axum::http::header::LINK;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use regscope::registry::{Fetcher, HttpOptions, Limits};

/// `/v2/app/tags/list`: the first page links to `last=a`, which links to `last=b`, which links
/// back to `last=a` (forever, to a client that does not notice). Pages overlap.
async fn start(requests: Arc<AtomicUsize>) -> String {
    let tags = move |Query(q): Query<HashMap<String, String>>| {
        let requests = requests.clone();
        async move {
            requests.fetch_add(1, Ordering::SeqCst);
            let (tags, next) = match q.get("last").map(String::as_str) {
                None => (vec!["a"], "a"),
                Some("a") => (vec!["a", "b"], "b"),
                _ => (vec!["b", "c"], "a"),
            };
            (
                [
                    (
                        LINK,
                        format!("</v2/app/tags/list?n=1000&last={next}>; rel=\"next\""),
                    ),
                    (CONTENT_TYPE, "application/json".to_string()),
                ],
                serde_json::json!({"name": "app", "tags": tags}).to_string(),
            )
                .into_response()
        }
    };
    let app = Router::new()
        .route("/v2/", get(|| async { "{}" }))
        .route("/v2/app/tags/list", get(tags));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    host
}

#[tokio::test]
async fn a_link_back_to_a_page_already_sent_ends_the_listing_and_says_so() {
    let requests = Arc::new(AtomicUsize::new(0));
    let host = start(requests.clone()).await;
    let fetcher = Fetcher::for_registry(
        &host,
        HttpOptions {
            plain_http: true,
            ..HttpOptions::default()
        },
        Limits::default(),
    )
    .unwrap();
    let listing = fetcher.tag_listing("app").await.unwrap();
    assert_eq!(listing.tags, ["a", "b", "c"], "each tag once");
    let why = listing.truncated.expect("said");
    assert!(why.contains("linked back to a page"), "{why}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        3,
        "three pages, then it stopped"
    );
}

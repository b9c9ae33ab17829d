//! The TUI's worker against regscope's in-process registry: superseded work is aborted, not run
//! to the end (the user went back or refreshed), and nothing answers for it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use regscope::connect::{Connector, Settings};
use regscope::reference::ImageRef;
use regscope::serve::{self, Faults, Layout, RequestKind, Scope};
use regscope::tui::{Action, App, Command, Effect, Start, Worker};
use support::fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_no_view_waits_for_is_aborted() {
    // Every manifest answer takes 3 s: the root is still in flight when the user moves on.
    let srv = serve::start(
        vec![Layout::new("team/app", fixture("unsigned-index"))],
        Faults {
            latency: Some(Duration::from_secs(3)),
            scope: Scope::kinds([RequestKind::Manifest]),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(
        tx,
        Arc::new(Connector::isolated(Settings::default()).unwrap()),
    );
    let reference = ImageRef::parse(&format!("{}/team/app:latest", srv.host())).unwrap();
    worker.spawn(Effect::Inspect { id: 7, reference });
    assert_eq!(worker.running(), 1);

    // Wait until the root manifest request reached the server, then nothing waits for id 7.
    let deadline = Instant::now() + Duration::from_secs(10);
    while srv.count(RequestKind::Manifest) == 0 {
        assert!(Instant::now() < deadline, "the root was never requested");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.retain(&HashSet::from([8]));
    assert_eq!(worker.running(), 0);

    // Had it run on, the root would have arrived and its 4 children been requested at once.
    // The server says when it is done with the root (delayed and answered, or dropped by the
    // client that went away); a moment after that, no child has been asked for.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let seen = srv.observed();
        if seen.latency_applied + seen.abandoned >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the root never ended: {seen:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(srv.count(RequestKind::Manifest), 1, "children were fetched");
    let answered: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok())
        .filter(|a| matches!(a, Action::Inspected { .. }))
        .collect();
    assert!(
        answered.is_empty(),
        "an aborted effect answered: {answered:?}"
    );
}

#[test]
fn refresh_and_back_leave_nothing_pending_for_the_old_request() {
    let reference = ImageRef::parse("reg.test:5000/team/app:v7").unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference), false, (100, 30));
    let first = effects.iter().map(Effect::id).find(|id| *id != 0).unwrap();
    assert!(app.pending_requests().contains(&first));

    let refresh = app.update(Action::Command(Command::Refresh));
    let second = refresh.iter().map(Effect::id).find(|id| *id != 0).unwrap();
    let pending = app.pending_requests();
    assert!(pending.contains(&second) && !pending.contains(&first));

    app.update(Action::Command(Command::Back));
    assert!(
        !app.pending_requests().contains(&second),
        "the tree view is gone, so is its load"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_stops_loading_at_the_operation_deadline() {
    // Every request answers in time for the per-request timeout (1 s each, 30 s allowed), but
    // a tree takes several one after another: the 2 s deadline on the whole fetch ends it.
    let srv = serve::start(
        vec![Layout::new("team/app", fixture("unsigned-index"))],
        Faults {
            latency: Some(Duration::from_secs(1)),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let settings = Settings {
        deadline: Duration::from_secs(2),
        ..Settings::default()
    };
    let worker = Worker::new(tx, Arc::new(Connector::isolated(settings).unwrap()));
    let reference = ImageRef::parse(&format!("{}/team/app:latest", srv.host())).unwrap();
    worker.spawn(Effect::Inspect { id: 9, reference });
    let answer = loop {
        let action = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an answer within 20 s")
            .expect("the worker is alive");
        if let Action::Inspected { id, result } = action {
            break (id, result);
        }
    };
    assert_eq!(answer.0, 9);
    let message = answer.1.expect_err("the deadline ends it").to_string();
    assert!(
        message.contains("did not finish within 2s (--deadline)"),
        "{message}"
    );
    // It ended at the deadline, not at the end of the tree: the configs (read once the child
    // manifests are in, a third second in) were never asked for.
    assert_eq!(srv.counts().blobs, 0, "{:?}", srv.requests());
    assert_eq!(worker.running(), 0);
}

/// A tag list the registry hands out two names a page: the worker tells the app after each page
/// past the first how far it has come, then answers with the whole list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paged_tag_list_reports_its_progress() {
    let mut store = serve::Store::from_layout(&fixture("unsigned-index")).unwrap();
    let root = support::layout_root_digest(&fixture("unsigned-index"));
    for tag in ["a", "b", "c", "d"] {
        store.tag(tag, root.clone());
    }
    let srv = serve::start_repos(
        "127.0.0.1:0".parse().unwrap(),
        [("team/app".to_string(), store)],
        Faults {
            page_size: Some(2),
            ..Faults::default()
        },
    )
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(
        tx,
        Arc::new(Connector::isolated(Settings::default()).unwrap()),
    );
    worker.spawn(Effect::LoadTags {
        id: 3,
        location: regscope::tui::Location::Registry(srv.host()),
        repository: "team/app".into(),
    });
    let mut progress = Vec::new();
    let listed = loop {
        let action = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an answer within 20 s")
            .expect("the worker is alive");
        match action {
            Action::TagsProgress { id, pages, names } => {
                assert_eq!(id, 3);
                progress.push((pages, names));
            }
            Action::TagsLoaded { id, result } => break (id, result),
            _ => {}
        }
    };
    // 5 tags (the fixture's own `test` and four more), 2 a page: pages 2 and 3 are reported.
    assert_eq!(progress, vec![(2, 4), (3, 5)]);
    assert_eq!(listed.1.expect("listed").tags.len(), 5);
}

/// `f` on an image of six layers, four downloading at once: the worker's progress reports are
/// one figure over all of them (a layer starting or ending is reported), done never goes back,
/// four are in flight together, and the last report before the answer has every layer done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_progress_counts_the_layers_in_flight_together() {
    use support::layers::{compress, file, tar, Compression};
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest = support::sha256_digest(bytes);
        std::fs::write(blobs.join(digest.trim_start_matches("sha256:")), bytes).unwrap();
        serde_json::json!({"digest": digest, "size": bytes.len()})
    };
    let layers: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            let blob = compress(
                &tar(&[file(&format!("l{i}/f"), 0o644, &[b'x'; 64])]),
                Compression::Gzip,
            )
            .0;
            let mut d = put(&blob);
            d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip".into();
            d
        })
        .collect();
    let config = serde_json::json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []}})
    .to_string();
    let mut config_d = put(config.as_bytes());
    config_d["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
    let manifest = serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_d, "layers": layers})
    .to_string();
    let mut manifest_d = put(manifest.as_bytes());
    manifest_d["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
    manifest_d["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(
        dir.path().join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [manifest_d]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let srv = serve::start(vec![Layout::new("team/app", dir.path())], Faults::default())
        .await
        .unwrap();
    let reference = ImageRef::parse(&format!("{}/team/app:v1", srv.host())).unwrap();
    let fetcher = regscope::registry::Fetcher::for_reference(
        &reference,
        regscope::registry::HttpOptions::default(),
        regscope::registry::Limits::default(),
    )
    .unwrap();
    let root = regscope::inspect::inspect(
        &fetcher,
        &reference,
        &regscope::inspect::InspectOptions::default(),
    )
    .await
    .unwrap()
    .root;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(
        tx,
        Arc::new(Connector::isolated(Settings::default()).unwrap()),
    );
    worker.spawn(Effect::LoadFiles {
        id: 5,
        reference,
        manifest: Box::new(root),
    });
    let mut seen = Vec::new();
    let loaded = loop {
        let action = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("an answer within 20 s")
            .expect("the worker is alive");
        match action {
            Action::FilesProgress { id, progress } => {
                assert_eq!(id, 5);
                seen.push(progress);
            }
            Action::FilesLoaded { result, .. } => break result,
            _ => {}
        }
    };
    assert_eq!(loaded.expect("listed").fs.changes().len(), 6);
    for pair in seen.windows(2) {
        assert!(pair[1].done >= pair[0].done, "{pair:?}");
    }
    assert!(seen.iter().any(|p| p.in_flight == 4), "{seen:?}");
    let last = seen.last().expect("progress was reported");
    assert_eq!(
        (last.layers, last.done, last.in_flight),
        (6, 6, 0),
        "{seen:?}"
    );
    srv.shutdown().await;
}

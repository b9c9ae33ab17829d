//! Registries at scale: a catalog of 10,000 repositories and a repository of 5,000 tags. `G`
//! goes to the real end (the rest of the catalog loads in the background, bounded), a filter
//! searches every page, and rows out of sight stop resolving. First the state machine alone,
//! then the TUI in tmux against regscope's own registry, paging with `Link` headers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use regscope::serve::{self, Faults, ServerHandle, Store};
use regscope::tui::action::CatalogPage;
use regscope::tui::paging::{Stop, MAX_NAMES};
use regscope::tui::views::{Catalog, Paging, View};
use regscope::tui::{draw, Action, App, Command, Effect, Start};
use support::regscope_bin;
use support::tmux::Tmux;

const SIZE: (u16, u16) = (100, 30);

/// The catalog's `i`th repository: `app/r-00042`.
fn repository(i: usize) -> String {
    format!("app/r-{i:05}")
}

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    app.update(Action::Command(c))
}

fn catalog(app: &App) -> &Catalog {
    match &app.stack[0] {
        View::Repositories(v) => v.load.loaded().unwrap(),
        other => panic!("{other:?}"),
    }
}

fn repositories(app: &App) -> &regscope::tui::views::RepositoriesView {
    match app.top() {
        View::Repositories(v) => v,
        other => panic!("{other:?}"),
    }
}

/// Answers the one catalog request in `effects` with `names` (more to come when `more`);
/// returns what the app asks next.
fn answer(app: &mut App, effects: &[Effect], names: Vec<String>, more: bool) -> Vec<Effect> {
    let [Effect::LoadCatalog { id, .. }] = effects else {
        panic!("expected one catalog request: {effects:?}")
    };
    app.update(Action::CatalogLoaded {
        id: *id,
        result: Ok(CatalogPage {
            repositories: names,
            more,
            details: HashMap::new(),
            origin: None,
        }),
    })
}

/// A registry whose pages hold `page` names, out of `total`: answers requests until the app
/// asks for none, and returns how many it answered.
fn serve_pages(app: &mut App, mut effects: Vec<Effect>, total: usize, page: usize) -> usize {
    let mut answered = 0;
    while let [Effect::LoadCatalog { last, .. }] = effects.as_slice() {
        let from = last
            .as_deref()
            .map_or(0, |l| l[6..].parse::<usize>().unwrap() + 1);
        let to = (from + page).min(total);
        effects = answer(
            app,
            &effects,
            (from..to).map(repository).collect(),
            to < total,
        );
        answered += 1;
    }
    answered
}

fn started() -> (App, Vec<Effect>) {
    App::new(Start::Registry("reg.test:5000".into()), false, SIZE)
}

#[test]
fn g_loads_every_page_in_the_background_and_lands_on_the_last_row() {
    let (mut app, effects) = started();
    assert!(
        matches!(&effects[..], [Effect::LoadCatalog { last: None, .. }]),
        "{effects:?}"
    );
    // The registry hands out 250 at a time though 1000 were asked for: its `Link` is followed.
    let effects = answer(&mut app, &effects, (0..250).map(repository).collect(), true);
    assert!(effects.is_empty(), "nothing more until the user scrolls");

    let effects = cmd(&mut app, Command::Bottom);
    assert!(
        matches!(&effects[..], [Effect::LoadCatalog { last: Some(l), .. }] if *l == repository(249)),
        "{effects:?}"
    );
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("loading repositories: 250 so far")
    );
    // The selection follows the end while pages arrive.
    let effects = answer(
        &mut app,
        &effects,
        (250..500).map(repository).collect(),
        true,
    );
    assert_eq!(repositories(&app).cursor.selected, 499);
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("loading repositories: 500 so far")
    );

    assert_eq!(serve_pages(&mut app, effects, 10_000, 250), 38);
    assert_eq!(catalog(&app).names.len(), 10_000);
    assert_eq!(catalog(&app).next, Paging::Done);
    let v = repositories(&app);
    assert_eq!(v.cursor.selected, 9_999);
    assert_eq!(v.selected(), Some("app/r-09999"));
    assert_eq!(app.waiting_for(), None);
    let screen = render(&app);
    assert!(screen.contains("repositories (10,000)"), "{screen}");
    assert!(screen.contains("10,000 repositories loaded"), "{screen}");
    assert!(screen.contains("app/r-09999"), "{screen}");
}

#[test]
fn moving_away_during_g_keeps_loading_but_stays_put() {
    let (mut app, effects) = started();
    answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    let effects = cmd(&mut app, Command::Bottom);
    cmd(&mut app, Command::Top);
    assert_eq!(serve_pages(&mut app, effects, 3_000, 1000), 2);
    assert_eq!(catalog(&app).names.len(), 3_000);
    assert_eq!(repositories(&app).cursor.selected, 0);
}

#[test]
fn a_filter_searches_every_page_and_matches_appear_as_pages_arrive() {
    let (mut app, effects) = started();
    answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    cmd(&mut app, Command::Filter);
    let mut effects = Vec::new();
    for ch in "r-09876".chars() {
        effects.extend(app.update(Action::Char(ch)));
    }
    assert_eq!(effects.len(), 1, "one page at a time: {effects:?}");
    assert!(repositories(&app).visible().is_empty());
    let screen = render(&app);
    assert!(
        screen.contains("No repository matches yet; searching the rest of the catalog (1,000"),
        "{screen}"
    );
    cmd(&mut app, Command::Submit);
    let screen = render(&app);
    assert!(
        screen.contains("0 of 1,000 loaded repositories match; loading the rest…"),
        "{screen}"
    );
    // Eight more pages, and the match is not there yet; the ninth has it.
    for page in 1..9 {
        effects = answer(
            &mut app,
            &effects,
            (page * 1000..(page + 1) * 1000).map(repository).collect(),
            true,
        );
        assert!(repositories(&app).visible().is_empty());
    }
    answer(
        &mut app,
        &effects,
        (9000..10_000).map(repository).collect(),
        false,
    );
    let v = repositories(&app);
    assert_eq!(v.selected(), Some("app/r-09876"));
    let screen = render(&app);
    assert!(
        screen.contains("1 of 10,000 loaded repositories match"),
        "{screen}"
    );
}

#[test]
fn clearing_the_filter_stops_the_background_load() {
    let (mut app, effects) = started();
    answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    cmd(&mut app, Command::Filter);
    let effects = app.update(Action::Char('x'));
    cmd(&mut app, Command::Cancel);
    // The page under way is kept; no further one is asked for.
    let effects = answer(
        &mut app,
        &effects,
        (1000..2000).map(repository).collect(),
        true,
    );
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(catalog(&app).next, Paging::More);
}

#[test]
fn a_registry_that_repeats_a_page_is_cut_short_and_says_so() {
    let (mut app, effects) = started();
    answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    let effects = cmd(&mut app, Command::Bottom);
    let effects = answer(
        &mut app,
        &effects,
        (1000..2000).map(repository).collect(),
        true,
    );
    // It ignores `last` and starts over: the same first page, again and again.
    let effects = answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    assert!(effects.is_empty(), "no more requests: {effects:?}");
    assert_eq!(catalog(&app).next, Paging::Stopped(Stop::Repeated));
    assert_eq!(
        catalog(&app).names.len(),
        2000,
        "the repeated page is not kept"
    );
    assert_eq!(repositories(&app).cursor.selected, 1999, "G still lands");
    let screen = render(&app);
    assert!(
        screen.contains("stopped: the registry sent a page it had sent before"),
        "{screen}"
    );
}

#[test]
fn a_page_that_does_not_move_on_stops_the_walk() {
    let (mut app, effects) = started();
    answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    let effects = cmd(&mut app, Command::Bottom);
    // The page after r-00999 ends at r-00999 again.
    let effects = answer(&mut app, &effects, vec![repository(999)], true);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(catalog(&app).next, Paging::Stopped(Stop::Stuck));
}

#[test]
fn the_catalog_is_cut_at_the_cap_with_a_note() {
    let (mut app, effects) = started();
    let effects = answer(
        &mut app,
        &effects,
        (0..1000).map(repository).collect(),
        true,
    );
    assert!(effects.is_empty());
    let effects = cmd(&mut app, Command::Bottom);
    // A registry with more than the cap: it would go on forever.
    serve_pages(&mut app, effects, MAX_NAMES + 5_000, 1000);
    assert_eq!(catalog(&app).names.len(), MAX_NAMES);
    assert_eq!(catalog(&app).next, Paging::Stopped(Stop::Cap(MAX_NAMES)));
    let screen = render(&app);
    assert!(screen.contains("truncated at 100,000"), "{screen}");
    assert!(
        screen.contains("repositories (100,000, cut short)"),
        "{screen}"
    );
}

#[test]
fn rows_scrolled_out_of_sight_stop_resolving_and_the_rows_on_screen_go_first() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/big".into(),
    };
    let (mut app, effects) = App::new(start, false, SIZE);
    let id = effects[0].id();
    let tags: Vec<String> = (1..=5_000).map(|i| format!("build-{i}")).collect();
    let effects = app.update(Action::TagsLoaded {
        id,
        result: Ok(regscope::registry::TagListing {
            tags,
            truncated: None,
        }),
    });
    let first: Vec<u64> = effects.iter().map(Effect::id).collect();
    assert_eq!(first.len(), regscope::tui::views::tags::MAX_RESOLVING);

    let effects = cmd(&mut app, Command::Bottom);
    let pending = app.pending_requests();
    assert!(
        first.iter().all(|id| !pending.contains(id)),
        "the top rows' work is released (the worker aborts it)"
    );
    let View::Tags(v) = app.top() else { panic!() };
    let rows = v.load.loaded().unwrap();
    let resolving: Vec<&str> = effects
        .iter()
        .map(|e| match e {
            Effect::Inspect { id, .. } => rows
                .iter()
                .find(|r| r.summary.waits_for(*id))
                .unwrap()
                .tag
                .as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(resolving.len(), regscope::tui::views::tags::MAX_RESOLVING);
    let height = regscope::tui::layout::list_rows(SIZE);
    let on_screen: Vec<&str> = v
        .on_screen(height)
        .iter()
        .map(|&i| rows[i].tag.as_str())
        .collect();
    assert!(
        resolving.iter().all(|t| on_screen.contains(t)),
        "{resolving:?} not in {on_screen:?}"
    );
    assert_eq!(v.selected().unwrap().tag, "build-5000", "version order");
}

/// The screen `app` draws, as text.
fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    terminal.draw(|f| draw::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

// ---- The TUI in tmux against a registry of 10,000 repositories ----

/// Repositories in the served catalog: 9,999 `app/r-…` and `team/big`, the last in order.
const REPOSITORIES: usize = 10_000;
/// Tags of `team/big`: `build-1` … `build-5000`, one image.
const TAGS: usize = 5_000;
/// What the served registry hands out per page at most (fewer than the 1000 asked for).
const SERVED_PAGE: usize = 500;

/// `team/big`: one small linux/amd64 image under 5,000 tags.
fn big_repository() -> Store {
    let mut store = Store::new();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "User": "1000" },
        "rootfs": { "type": "layers", "diff_ids": [] },
        "created": "2024-01-02T03:04:05Z"
    }))
    .unwrap();
    let config_size = config.len();
    let config_digest = store.add_blob(config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config_size
        },
        "layers": []
    }))
    .unwrap();
    let digest = store.add_manifest(manifest, "application/vnd.oci.image.manifest.v1+json");
    for i in 1..=TAGS {
        store.tag(format!("build-{i}"), digest.clone());
    }
    store
}

/// The registry, served from a runtime of its own for as long as the test holds it.
struct Registry {
    server: ServerHandle,
    _runtime: tokio::runtime::Runtime,
}

fn registry() -> Registry {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let repos = (0..REPOSITORIES - 1)
        .map(|i| (repository(i), Store::new()))
        .chain([("team/big".to_string(), big_repository())]);
    let faults = Faults {
        page_size: Some(SERVED_PAGE),
        ..Faults::default()
    };
    let server = runtime
        .block_on(serve::start_repos(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            repos,
            faults,
        ))
        .unwrap();
    Registry {
        server,
        _runtime: runtime,
    }
}

/// The peak resident memory of the program the pane runs (its shell's child), in MiB. The
/// program is found with `pgrep -P` (every kernel), not `/proc/PID/task/PID/children` (only
/// kernels built with `CONFIG_PROC_CHILDREN`), so the bound is always checked.
fn peak_mib(tmux: &Tmux) -> u64 {
    let pid = tmux.program_pid();
    assert!(!pid.is_empty(), "no program under the pane's shell");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/status: {e}"));
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status:\n{status}"));
    kib / 1024
}

#[test]
fn g_walks_to_the_end_of_10000_repositories_and_5000_tags() {
    let reg = registry();
    let host = reg.server.host();
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&regscope_bin(), &["tui", &host], state.path());
    // The first page: what the registry sends, though more was asked for.
    tmux.wait_for(&format!("repositories ({SERVED_PAGE}, more…)"));

    tmux.keys(&["G"]);
    tmux.wait_for("repositories (10,000)");
    let screen = tmux.wait_for("team/big");
    assert!(screen.contains("10,000 repositories loaded"), "{screen}");
    assert!(screen.contains("app/r-09998"), "{screen}");
    let catalog_requests = reg.server.count(serve::RequestKind::Catalog);
    assert_eq!(
        catalog_requests,
        REPOSITORIES / SERVED_PAGE,
        "one request per page"
    );

    // G landed on the last row, team/big: open it, and go to the end of its tags.
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/big (5,000, by name)");
    tmux.keys(&["G"]);
    let screen = tmux.wait_for("build-5000");
    assert!(screen.contains("build-4999"), "{screen}");
    // The rows at the end resolve (one image under every tag: fetched once, shared).
    tmux.wait_for("amd64");
    // Every row resolved so far shares the image's config: one connection, one cache.
    assert_eq!(reg.server.count(serve::RequestKind::Blob), 1);
    let mib = peak_mib(&tmux);
    assert!(mib < 100, "peak memory {mib} MiB");
    eprintln!("peak resident memory: {mib} MiB");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

#[test]
fn a_filter_finds_a_repository_only_a_late_page_has() {
    let reg = registry();
    let host = reg.server.host();
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(&regscope_bin(), &["tui", &host], state.path());
    tmux.wait_for(&format!("repositories ({SERVED_PAGE}, more…)"));
    tmux.keys(&["/", "r-09876", "Enter"]);
    let screen = tmux.wait_for("1 of 10,000 loaded repositories match");
    assert!(screen.contains("app/r-09876"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

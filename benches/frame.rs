//! The frame budget at scale: a registry of 10,000 repositories and a repository of 5,000
//! tags, loaded through `App::update` as the worker would load them, drawn into ratatui's
//! `TestBackend` at 100x30. One filter keystroke with its redraw, and one scrolling step with
//! its redraw, must each stay well under 16 ms (a frame at 60 Hz).
//!
//! `cargo bench --bench frame`; `cargo test --benches` runs each benchmark once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up has nothing to say

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use regscope::connect::{Connector, Settings};
use regscope::reference::ImageRef;
use regscope::tui::action::CatalogPage;
use regscope::tui::{draw, Action, App, Command, Effect, Inspected, Start, Worker};

const SIZE: (u16, u16) = (100, 30);
const REPOSITORIES: usize = 10_000;
const TAGS: usize = 5_000;
const PAGE: usize = 1_000;

/// Names as large registries have them: teams, services, a few levels deep.
fn repository(i: usize) -> String {
    format!("team-{:02}/service-{i:05}/app", i % 37)
}

/// A registry's catalog, all of it loaded (`G` walks the pages).
fn catalog_app() -> App {
    let (mut app, mut effects) = App::new(Start::Registry("bench.test".into()), false, SIZE);
    let mut sent = 0;
    let mut pressed = false;
    while let Some(Effect::LoadCatalog { id, .. }) = effects.pop() {
        let page: Vec<String> = (sent..(sent + PAGE).min(REPOSITORIES))
            .map(repository)
            .collect();
        sent += page.len();
        effects = app.update(Action::CatalogLoaded {
            id,
            result: Ok(CatalogPage {
                repositories: page,
                more: sent < REPOSITORIES,
                details: std::collections::HashMap::new(),
                origin: None,
            }),
        });
        if !pressed {
            pressed = true;
            effects.extend(app.update(Action::Command(Command::Bottom)));
        }
    }
    app.update(Action::Command(Command::Top));
    app
}

/// The tree every tag row resolves to: a real `BuildKit` index (two platforms, attested).
fn inspected() -> Arc<Inspected> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(
        tx,
        Arc::new(Connector::isolated(Settings::default()).unwrap()),
    );
    let layout = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docker-attest/unsigned-index");
    let reference = ImageRef::parse(&format!("oci:{}", layout.display())).unwrap();
    match runtime.block_on(worker.execute(Effect::Inspect { id: 1, reference })) {
        Action::Inspected { result, .. } => result.unwrap(),
        other => panic!("unexpected {other:?}"),
    }
}

/// Answers every row the view asks to resolve, until it asks for none.
fn resolve(app: &mut App, mut effects: Vec<Effect>, tree: &Arc<Inspected>) {
    while let Some(effect) = effects.pop() {
        if let Effect::Inspect { id, .. } | Effect::Revalidate { id, .. } = effect {
            effects.extend(app.update(Action::Inspected {
                id,
                result: Ok(tree.clone()),
            }));
        }
    }
}

/// A repository of 5,000 tags (`v1.0.0` … in version order), the rows on screen resolved.
fn tags_app(tree: &Arc<Inspected>) -> App {
    let start = Start::Repository {
        registry: "bench.test".into(),
        repository: "team/big".into(),
    };
    let (mut app, effects) = App::new(start, false, SIZE);
    let Some(Effect::LoadTags { id, .. }) = effects.first().cloned() else {
        panic!("{effects:?}")
    };
    let tags = (0..TAGS)
        .map(|i| format!("v{}.{}.{}", i / 1000, i / 10 % 100, i % 10))
        .collect();
    let effects = app.update(Action::TagsLoaded {
        id,
        result: Ok(regscope::registry::TagListing {
            tags,
            truncated: None,
        }),
    });
    resolve(&mut app, effects, tree);
    app
}

/// Draws `app` as the event loop does.
fn frame(terminal: &mut Terminal<TestBackend>, app: &App) {
    terminal.draw(|f| draw::draw(f, black_box(app))).unwrap();
}

/// One keystroke in the filter (typed, then taken back: every step changes the filter) and
/// the frame after it.
fn filter_keystroke(c: &mut Criterion, name: &str, mut app: App, prefix: &str) {
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    app.update(Action::Command(Command::Filter));
    for ch in prefix.chars() {
        app.update(Action::Char(ch));
    }
    frame(&mut terminal, &app);
    let mut typed = false;
    c.bench_function(name, |b| {
        b.iter(|| {
            let action = if typed {
                Action::Command(Command::DeleteChar)
            } else {
                Action::Char('7')
            };
            typed = !typed;
            black_box(app.update(action));
            frame(&mut terminal, &app);
        });
    });
}

/// One step down the list (back to the top at the end) and the frame after it.
fn scrolling(c: &mut Criterion, name: &str, mut app: App, tree: &Arc<Inspected>) {
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let mut steps = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            steps += 1;
            let cmd = if steps % 2_000 == 0 {
                Command::Top
            } else {
                Command::Down
            };
            let effects = app.update(Action::Command(cmd));
            // Rows scrolling into view resolve at once, so the frame draws resolved rows.
            resolve(&mut app, effects, tree);
            frame(&mut terminal, &app);
        });
    });
}

fn benches(c: &mut Criterion) {
    let tree = inspected();
    filter_keystroke(
        c,
        "repositories/filter keystroke + frame",
        catalog_app(),
        "svc",
    );
    scrolling(c, "repositories/scroll step + frame", catalog_app(), &tree);
    filter_keystroke(c, "tags/filter keystroke + frame", tags_app(&tree), "v3.");
    scrolling(c, "tags/scroll step + frame", tags_app(&tree), &tree);
}

criterion_group!(frame_budget, benches);
criterion_main!(frame_budget);

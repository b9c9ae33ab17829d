//! The TUI's state machine without a terminal or a network: feed actions, check the state and
//! the effects `App::update` asks for. Trees come from the real `BuildKit` layouts in
//! tests/fixtures through the real worker.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use regscope::analysis::Code;
use regscope::connect::{Connector, Settings};
use regscope::reference::ImageRef;
use regscope::registry::FetchError;
use regscope::tui::app::InputKind;
use regscope::tui::load::Load;
use regscope::tui::views::tags::MAX_RESOLVING;
use regscope::tui::views::tree::Pane;
use regscope::tui::views::{Paging, View};
use regscope::tui::{
    action::CatalogPage, action_for_event, Action, App, Command, Effect, Inspected, Location,
    Start, Worker,
};

const SIZE: (u16, u16) = (80, 24);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docker-attest")
        .join(name)
}

/// The tree of a fixture layout, fetched and analysed by the worker the TUI uses.
async fn inspected(name: &str) -> Arc<Inspected> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let reference = ImageRef::parse(&format!("oci:{}", fixture(name).display())).unwrap();
    match worker.execute(Effect::Inspect { id: 1, reference }).await {
        Action::Inspected { result, .. } => result.unwrap(),
        other => panic!("unexpected {other:?}"),
    }
}

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    app.update(Action::Command(c))
}

fn typed(app: &mut App, text: &str) {
    for ch in text.chars() {
        app.update(Action::Char(ch));
    }
}

/// The id of the one effect asked for, besides the tree view's attachment lookup (which it
/// asks for beside every tree it loads, and which these tests leave unanswered).
fn only_id(effects: &[Effect]) -> u64 {
    let main: Vec<&Effect> = effects
        .iter()
        .filter(|e| !matches!(e, Effect::InspectAttachments { .. }))
        .collect();
    assert_eq!(main.len(), 1, "{effects:?}");
    main[0].id()
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("team/app-{i:03}")).collect()
}

#[test]
fn the_catalog_is_paged_as_the_user_scrolls_and_stale_pages_are_dropped() {
    let (mut app, effects) = App::new(Start::Registry("reg.test:5000".into()), true, SIZE);
    assert_eq!(
        effects,
        vec![Effect::LoadCatalog {
            id: 1,
            registry: "reg.test:5000".into(),
            last: None
        }]
    );
    // An answer to a request nobody waits for changes nothing.
    app.update(Action::CatalogLoaded {
        id: 99,
        result: Ok(CatalogPage {
            repositories: vec!["stale".into()],
            more: false,
            details: std::collections::HashMap::new(),
            origin: None,
        }),
    });
    let View::Repositories(v) = app.top() else {
        panic!()
    };
    assert_eq!(v.load, Load::Loading(1));

    let effects = app.update(Action::CatalogLoaded {
        id: 1,
        result: Ok(CatalogPage {
            repositories: names(100),
            more: true,
            details: std::collections::HashMap::new(),
            origin: None,
        }),
    });
    assert!(effects.is_empty(), "the end of the list is not near yet");
    let effects = cmd(&mut app, Command::Bottom);
    assert_eq!(
        effects,
        vec![Effect::LoadCatalog {
            id: 2,
            registry: "reg.test:5000".into(),
            last: Some("team/app-099".into())
        }]
    );
    assert!(
        cmd(&mut app, Command::Up).is_empty(),
        "one page request at a time"
    );
    app.update(Action::CatalogLoaded {
        id: 2,
        result: Ok(CatalogPage {
            repositories: vec!["zz/last".into()],
            more: false,
            details: std::collections::HashMap::new(),
            origin: None,
        }),
    });
    let View::Repositories(v) = app.top() else {
        panic!()
    };
    let catalog = v.load.loaded().unwrap();
    assert_eq!(catalog.names.len(), 101);
    assert_eq!(catalog.next, Paging::Done);
    assert!(cmd(&mut app, Command::Bottom).is_empty());
}

#[test]
fn a_refused_catalog_lets_the_user_type_a_repository() {
    let (mut app, effects) = App::new(Start::Registry("reg.test:5000".into()), true, SIZE);
    app.update(Action::CatalogLoaded {
        id: only_id(&effects),
        result: Err(FetchError::Forbidden {
            registry: "reg.test:5000".into(),
            detail: String::new(),
        }
        .into()),
    });
    assert!(matches!(app.top(), View::Repositories(v) if matches!(v.load, Load::Error(_))));

    cmd(&mut app, Command::Prompt);
    assert_eq!(app.input.as_ref().map(|i| i.kind), Some(InputKind::Open));
    typed(&mut app, "team/app");
    let effects = cmd(&mut app, Command::Submit);
    assert!(app.input.is_none());
    assert_eq!(
        effects,
        vec![Effect::LoadTags {
            id: 2,
            location: Location::Registry("reg.test:5000".into()),
            repository: "team/app".into()
        }]
    );
    assert_eq!(app.crumbs(), vec!["reg.test:5000", "team/app"]);
    // Remembered once it opened, not before.
    app.clock = 1_700_000_000;
    let effects = app.update(Action::TagsLoaded {
        id: 2,
        result: Ok((vec!["v7".into()]).into()),
    });
    assert!(effects.contains(&Effect::Remember {
        target: "reg.test:5000/team/app".into(),
        at: 1_700_000_000
    }));
}

#[test]
fn a_bad_reference_at_the_prompt_keeps_the_prompt_open_with_the_reason() {
    let (mut app, _) = App::new(Start::Registry("reg.test:5000".into()), true, SIZE);
    cmd(&mut app, Command::Prompt);
    typed(&mut app, "Team/App:v1");
    assert!(cmd(&mut app, Command::Submit).is_empty());
    let input = app.input.as_ref().unwrap();
    assert!(
        input.error.as_deref().unwrap().contains("lowercase"),
        "{input:?}"
    );
    cmd(&mut app, Command::Cancel);
    assert!(app.input.is_none());
}

#[test]
fn ctrl_w_deletes_the_last_part_of_a_reference_and_ctrl_u_the_whole_line() {
    let (mut app, _) = App::new(Start::Registry("reg.test:5000".into()), true, SIZE);
    cmd(&mut app, Command::Prompt);
    typed(&mut app, "reg.test:5000/team/app:v1");
    let text = |app: &App| app.input.as_ref().unwrap().text.clone();
    cmd(&mut app, Command::DeleteWord);
    assert_eq!(text(&app), "reg.test:5000/team/app:");
    cmd(&mut app, Command::DeleteWord);
    assert_eq!(text(&app), "reg.test:5000/team/");
    cmd(&mut app, Command::DeleteWord);
    assert_eq!(text(&app), "reg.test:5000/");
    cmd(&mut app, Command::ClearInput);
    assert_eq!(text(&app), "");
    // Still the prompt, and typing goes on.
    typed(&mut app, "x");
    assert_eq!(text(&app), "x");
    // The filter follows what is left as it does for Backspace.
    cmd(&mut app, Command::Cancel);
    cmd(&mut app, Command::Filter);
    typed(&mut app, "nothing matches");
    cmd(&mut app, Command::ClearInput);
    assert_eq!(text(&app), "");
}

/// The tag names as the tags view on top shows them, in order.
fn shown_tags(app: &App) -> Vec<String> {
    let View::Tags(v) = app.top() else { panic!() };
    let rows = v.load.loaded().unwrap();
    v.visible().iter().map(|&i| rows[i].tag.clone()).collect()
}

#[test]
fn tags_by_name_are_in_version_order() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    // As a registry lists them: plain text order.
    let tags = [
        "1.10.0", "1.2.10", "1.2.3", "latest", "v1.10", "v1.9", "v10", "v2",
    ];
    app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok((tags.map(String::from).to_vec()).into()),
    });
    assert_eq!(
        shown_tags(&app),
        ["1.2.3", "1.2.10", "1.10.0", "latest", "v1.9", "v1.10", "v2", "v10"]
    );
    // The filter keeps the order.
    app.update(Action::Command(Command::Filter));
    for ch in "v1".chars() {
        app.update(Action::Char(ch));
    }
    assert_eq!(shown_tags(&app), ["v1.9", "v1.10", "v10"]);
}

#[tokio::test]
async fn visible_tags_resolve_a_few_at_a_time_and_aliases_are_found() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    // Already in name order, the order the rows are shown in.
    let tags: Vec<String> = ["latest", "v7", "v8", "v9", "w1", "w2"]
        .map(String::from)
        .to_vec();
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok((tags).into()),
    });
    // Four at once; the rest wait for a free slot.
    let references: Vec<String> = effects
        .iter()
        .map(|e| match e {
            Effect::Inspect { reference, .. } => reference.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        references,
        [
            "reg.test:5000/team/app:latest",
            "reg.test:5000/team/app:v7",
            "reg.test:5000/team/app:v8",
            "reg.test:5000/team/app:v9"
        ]
    );
    let index = inspected("unsigned-index").await;
    let more = app.update(Action::Inspected {
        id: effects[0].id(),
        result: Ok(index.clone()),
    });
    assert_eq!(more.len(), 1, "a finished row frees a slot: {more:?}");
    app.update(Action::Inspected {
        id: effects[1].id(),
        result: Ok(index),
    });
    app.update(Action::Inspected {
        id: effects[2].id(),
        result: Err(FetchError::NotFound {
            what: "manifest `v8`".into(),
            code: "404".into(),
        }
        .into()),
    });
    let View::Tags(v) = app.top() else { panic!() };
    assert_eq!(v.aliases(0), vec!["v7"]);
    let rows = v.load.loaded().unwrap();
    let summary = rows[0].summary.loaded().unwrap();
    assert_eq!(summary.platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(summary.attestations, 2);
    assert!(matches!(rows[2].summary, Load::Error(_)));

    // The resolved tree opens without another fetch; only its attachments are looked up.
    cmd(&mut app, Command::Down);
    let opened = cmd(&mut app, Command::Open);
    assert!(
        matches!(opened.as_slice(), [Effect::InspectAttachments { .. }]),
        "{opened:?}"
    );
    assert!(matches!(app.top(), View::Tree(t) if t.load.loaded().is_some()));
    assert_eq!(app.crumbs(), vec!["reg.test:5000", "team/app", "v7"]);
    // Back to the tags: nothing is refetched.
    assert!(cmd(&mut app, Command::Back).is_empty());
    assert_eq!(app.crumbs().len(), 2);
}

#[tokio::test]
async fn the_tree_expands_collapses_and_shows_raw_json() {
    let reference = ImageRef::parse("reg.test:5000/team/app:v7").unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference), true, SIZE);
    assert_eq!(app.crumbs(), vec!["reg.test:5000", "team/app", "v7"]);
    let first = only_id(&effects);
    // A refresh before the answer makes the first answer stale.
    let second = only_id(&cmd(&mut app, Command::Refresh));
    let tree = inspected("unsigned-index").await;
    app.update(Action::Inspected {
        id: first,
        result: Err(FetchError::Timeout {
            host: "reg.test:5000".into(),
            after: std::time::Duration::from_secs(30),
        }
        .into()),
    });
    assert!(matches!(app.top(), View::Tree(t) if t.load.is_loading()));
    app.update(Action::Inspected {
        id: second,
        result: Ok(tree),
    });
    let rows = |app: &App| match app.top() {
        View::Tree(t) => t.rows().len(),
        _ => panic!(),
    };
    assert_eq!(rows(&app), 5, "root and its four entries");
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Expand);
    assert_eq!(rows(&app), 7, "linux/amd64 opened: config and layer");
    cmd(&mut app, Command::Expand);
    cmd(&mut app, Command::Collapse);
    let View::Tree(t) = app.top() else { panic!() };
    assert_eq!(
        t.selected().unwrap().path,
        vec![0],
        "← on a leaf goes to its parent"
    );
    cmd(&mut app, Command::Toggle);
    assert_eq!(rows(&app), 5);

    // The index's JSON is longer than the screen; a manifest's fits and does not scroll.
    cmd(&mut app, Command::Top);
    cmd(&mut app, Command::Raw);
    assert_eq!(app.context(), regscope::tui::keymap::Context::Raw);
    cmd(&mut app, Command::Down);
    let View::Tree(t) = app.top() else { panic!() };
    assert_eq!(t.raw, Some(1));
    assert!(t.raw_lines()[0].starts_with('{'));
    // Esc leaves the raw view first, then the tree.
    cmd(&mut app, Command::Back);
    assert!(matches!(app.top(), View::Tree(t) if t.raw.is_none()));
    let effects = cmd(&mut app, Command::Back);
    assert!(matches!(app.top(), View::Tags(_)));
    assert!(
        matches!(effects.as_slice(), [Effect::LoadTags { repository, .. }] if repository == "team/app"),
        "popping to a view never loaded loads it: {effects:?}"
    );
}

#[test]
fn the_filter_narrows_the_list_and_esc_clears_it_before_going_back() {
    let start = Start::Registries(vec![
        "127.0.0.1:5000".into(),
        "ghcr.io".into(),
        "registry.gitlab.com".into(),
    ]);
    let (mut app, effects) = App::new(start, true, SIZE);
    assert!(effects.is_empty());
    cmd(&mut app, Command::Filter);
    typed(&mut app, "gio");
    let View::Registries(v) = app.top() else {
        panic!()
    };
    assert_eq!(v.visible(), vec![1, 2]);
    cmd(&mut app, Command::Submit);
    assert_eq!(app.top().filter(), Some("gio"));
    cmd(&mut app, Command::Back);
    assert_eq!(app.top().filter(), Some(""));
    assert!(!app.should_quit());

    let effects = cmd(&mut app, Command::Open);
    assert_eq!(
        effects,
        vec![Effect::LoadCatalog {
            id: 1,
            registry: "127.0.0.1:5000".into(),
            last: None
        }]
    );
    // A registry that cannot be reached is not kept in the recent list.
    let effects = app.update(Action::CatalogLoaded {
        id: 1,
        result: Err(FetchError::Connect {
            host: "127.0.0.1:5000".into(),
            detail: "Connection refused".into(),
        }
        .into()),
    });
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Remember { .. })),
        "{effects:?}"
    );
    let View::Registries(v) = &app.stack[0] else {
        panic!()
    };
    assert!(v.recent.is_empty());
}

#[test]
fn opened_targets_are_remembered_and_a_recent_reference_opens_its_tree() {
    let (mut app, _) = App::new(Start::Registries(vec!["ghcr.io".into()]), true, SIZE);
    app.set_known(
        [("ghcr.io".to_string(), "podman auth.json".to_string())].into(),
        vec!["reg.test:5000/team/app:v7".into()],
    );
    let effects = cmd(&mut app, Command::Open);
    assert!(
        matches!(&effects[0], Effect::Inspect { reference, .. } if reference.to_string() == "reg.test:5000/team/app:v7")
    );
    assert_eq!(
        app.crumbs(),
        ["registries", "reg.test:5000", "team/app", "v7"]
    );
    // Back at the start, then a repository typed at the prompt: it goes first in the list.
    cmd(&mut app, Command::Prompt);
    typed(&mut app, "ghcr.io/org/tool");
    let effects = cmd(&mut app, Command::Submit);
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok((vec!["1.0".into()]).into()),
    });
    assert!(effects.contains(&Effect::Remember {
        target: "ghcr.io/org/tool".into(),
        at: 0
    }));
    let View::Registries(v) = &app.stack[0] else {
        panic!()
    };
    assert_eq!(v.recent, ["ghcr.io/org/tool", "reg.test:5000/team/app:v7"]);
    assert_eq!(v.source("ghcr.io"), Some("podman auth.json"));
}

#[test]
fn keys_go_through_the_key_map_help_captures_them_and_ctrl_c_always_quits() {
    let (mut app, _) = App::new(Start::Registries(vec!["a.test".into()]), true, SIZE);
    let key = |app: &App, code: KeyCode, mods: KeyModifiers| {
        action_for_event(app, &Event::Key(KeyEvent::new(code, mods)))
    };
    let help = key(&app, KeyCode::Char('?'), KeyModifiers::NONE).unwrap();
    app.update(help);
    assert!(app.help);
    let q = key(&app, KeyCode::Char('q'), KeyModifiers::NONE).unwrap();
    app.update(q);
    assert!(!app.help && !app.should_quit(), "q closes the help first");
    app.update(key(&app, KeyCode::Char(':'), KeyModifiers::NONE).unwrap());
    let q = key(&app, KeyCode::Char('q'), KeyModifiers::NONE).unwrap();
    app.update(q);
    assert_eq!(app.input.as_ref().map(|i| i.text.as_str()), Some("q"));
    let ctrl_c = key(&app, KeyCode::Char('c'), KeyModifiers::CONTROL).unwrap();
    app.update(ctrl_c);
    assert!(app.should_quit());
}

#[tokio::test]
async fn a_layout_reference_opens_over_its_tags() {
    let reference =
        ImageRef::parse(&format!("oci:{}", fixture("unsigned-image").display())).unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference.clone()), true, SIZE);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let answer = worker.execute(effects[0].clone()).await;
    app.update(answer);
    let View::Tree(t) = app.top() else { panic!() };
    assert_eq!(t.load.loaded().unwrap().root.digest.len(), 71);
    let effects = cmd(&mut app, Command::Back);
    let answer = worker.execute(effects[0].clone()).await;
    assert!(
        matches!(&answer, Action::TagsLoaded { result: Ok(_), .. }),
        "{answer:?}"
    );
}

#[tokio::test]
async fn m_shows_the_platform_matrix_and_y_copies_the_digest_through_an_effect() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok(regscope::registry::TagListing::from(vec![
            "latest".into(),
            "v6".into(),
            "single".into(),
        ])),
    });
    assert_eq!(effects.len(), 3);
    assert_eq!(app.waiting_for().as_deref(), Some("resolving 3 tags"));
    let index = inspected("unsigned-index").await;
    let image = inspected("unsigned-image").await;
    app.update(Action::Inspected {
        id: effects[0].id(),
        result: Ok(index.clone()),
    });
    app.update(Action::Inspected {
        id: effects[2].id(),
        result: Ok(image),
    });
    assert_eq!(app.waiting_for().as_deref(), Some("resolving 1 tag"));

    // `m` toggles the matrix over the same rows; the keys of the tags view come first.
    cmd(&mut app, Command::Matrix);
    assert_eq!(app.context(), regscope::tui::keymap::Context::Tags);
    let View::Tags(v) = app.top() else { panic!() };
    assert!(v.matrix);
    assert_eq!(v.matrix_columns(), ["linux/amd64", "linux/arm64"]);
    let latest = v.load.loaded().unwrap()[0].summary.loaded().unwrap();
    assert!(latest
        .offers
        .iter()
        .all(|(_, o)| o.offered && o.attested && !o.is_problem()));

    // y: the digest; Y: the full reference. The flash says so and goes away with time.
    let digest = index.root.digest.clone();
    assert_eq!(
        cmd(&mut app, Command::CopyDigest),
        vec![Effect::Copy {
            text: digest.clone()
        }]
    );
    assert!(app.flash.as_ref().unwrap().text.contains(&digest));
    assert_eq!(
        cmd(&mut app, Command::CopyReference),
        vec![Effect::Copy {
            text: format!("reg.test:5000/team/app@{digest}")
        }]
    );
    for _ in 0..20 {
        app.update(Action::Tick);
    }
    assert!(app.flash.is_none());

    // Nothing to copy on a row still resolving: a flash, no effect.
    cmd(&mut app, Command::Down);
    assert!(cmd(&mut app, Command::CopyDigest).is_empty());
    assert!(app.flash.as_ref().unwrap().error);

    cmd(&mut app, Command::Matrix);
    assert!(matches!(app.top(), View::Tags(v) if !v.matrix));
}

#[test]
fn the_spinner_says_which_catalog_page_it_waits_for() {
    let (mut app, effects) = App::new(Start::Registry("reg.test:5000".into()), true, SIZE);
    assert_eq!(app.waiting_for().as_deref(), Some("fetching the catalog"));
    assert!(app.animating());
    app.update(Action::CatalogLoaded {
        id: only_id(&effects),
        result: Ok(CatalogPage {
            repositories: names(100),
            more: true,
            details: std::collections::HashMap::new(),
            origin: None,
        }),
    });
    assert!(!app.animating(), "nothing to wait for: no redraws on ticks");
    // Scrolling near the end asks for the next page...
    for _ in 0..95 {
        cmd(&mut app, Command::Down);
    }
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("fetching catalog page 2")
    );
    // ... and `G` for all the rest, counting them as they arrive.
    cmd(&mut app, Command::Bottom);
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("loading repositories: 100 so far")
    );
}

#[tokio::test]
async fn y_in_the_tree_copies_the_selected_entry() {
    let reference = ImageRef::parse("reg.test:5000/team/app:v7").unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference), true, SIZE);
    let tree = inspected("unsigned-index").await;
    app.update(Action::Inspected {
        id: only_id(&effects),
        result: Ok(tree.clone()),
    });
    cmd(&mut app, Command::Down);
    assert_eq!(
        cmd(&mut app, Command::CopyReference),
        vec![Effect::Copy {
            text: format!("reg.test:5000/team/app@{}", tree.root.children[0].digest)
        }]
    );
}

#[test]
fn the_wheel_moves_the_selection_and_a_click_selects_the_row_under_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let (mut app, effects) = App::new(Start::Registry("reg.test:5000".into()), true, SIZE);
    app.update(Action::CatalogLoaded {
        id: only_id(&effects),
        result: Ok(CatalogPage {
            repositories: names(10),
            more: false,
            details: std::collections::HashMap::new(),
            origin: None,
        }),
    });
    let mouse = |kind, column, row| {
        Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    let selected = |app: &App| match app.top() {
        View::Repositories(v) => v.selected().map(String::from),
        _ => None,
    };
    let wheel = action_for_event(&app, &mouse(MouseEventKind::ScrollDown, 10, 5)).unwrap();
    app.update(wheel);
    assert_eq!(selected(&app).as_deref(), Some("team/app-001"));
    // Row 0 is the breadcrumb line, 1 the border, 2 the column names: row 7 is the fifth entry.
    let click = action_for_event(&app, &mouse(MouseEventKind::Down(MouseButton::Left), 10, 7));
    app.update(click.unwrap());
    assert_eq!(selected(&app).as_deref(), Some("team/app-004"));
    // Below the last entry, or on the border: nothing changes.
    app.update(Action::Click {
        column: 10,
        row: 20,
    });
    app.update(Action::Click { column: 0, row: 4 });
    assert_eq!(selected(&app).as_deref(), Some("team/app-004"));
}

#[tokio::test]
async fn tab_moves_the_focus_and_the_movement_keys_scroll_the_focused_pane() {
    let reference = ImageRef::parse("reg.test:5000/team/app:v7").unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference), true, SIZE);
    app.update(Action::Inspected {
        id: only_id(&effects),
        result: Ok(inspected("unsigned-index").await),
    });
    let tree = |app: &App| match app.top() {
        View::Tree(t) => t.clone(),
        _ => panic!(),
    };
    // Tab: tree -> detail -> findings -> tree, through the key map.
    let tab = Event::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    let action = action_for_event(&app, &tab).unwrap();
    app.update(action);
    assert_eq!(tree(&app).focus, Pane::Detail);
    cmd(&mut app, Command::FocusNext);
    assert_eq!(tree(&app).focus, Pane::Findings);

    // The findings pane has a cursor: j moves it finding by finding (a finding taller than
    // the pane is scrolled through first), the tree's selection stays; at 80x24 the root's
    // two findings (wrapped) do not fit, and every line of them is reached.
    let (_, lines) = regscope::tui::panes::pane_lengths(&tree(&app), SIZE);
    let mut seen = vec![(0, 0)];
    for _ in 0..lines + 5 {
        cmd(&mut app, Command::Down);
        let t = tree(&app);
        assert_eq!(t.cursor.selected, 0);
        seen.push((t.finding, t.findings_scroll));
    }
    seen.dedup();
    let (last, bottom) = *seen.last().unwrap();
    assert_eq!(last, 1, "{seen:?}");
    assert!(bottom > 0 && bottom < lines, "{bottom} of {lines}");
    // Each step moved one thing: the cursor by one finding or the pane by lines.
    assert!(
        seen.windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1),
        "{seen:?}"
    );
    // PgDn stops at the last finding however often it is pressed; g goes back to the first.
    for _ in 0..20 {
        cmd(&mut app, Command::PageDown);
    }
    assert_eq!(tree(&app).finding, 1);
    cmd(&mut app, Command::Top);
    assert_eq!((tree(&app).finding, tree(&app).findings_scroll), (0, 0));

    // Back to the tree: moving the selection starts the panes from the top again.
    cmd(&mut app, Command::FocusNext);
    assert_eq!(tree(&app).focus, Pane::Tree);
    cmd(&mut app, Command::Down);
    let t = tree(&app);
    assert_eq!((t.cursor.selected, t.findings_scroll), (1, 0));
}

#[tokio::test]
async fn the_help_overlay_scrolls_when_it_is_taller_than_the_screen() {
    let reference = ImageRef::parse("reg.test:5000/team/app:v7").unwrap();
    let (mut app, _) = App::new(Start::Reference(reference), true, (80, 12));
    cmd(&mut app, Command::Help);
    cmd(&mut app, Command::Down);
    assert_eq!(app.help_scroll, 1);
    for _ in 0..10 {
        cmd(&mut app, Command::PageDown);
    }
    let (len, height) = regscope::tui::help::extent(&app);
    assert_eq!(app.help_scroll, len - height, "stops at the last line");
    assert!(app.help, "scrolling keeps the help open");
    cmd(&mut app, Command::Help);
    cmd(&mut app, Command::Help);
    assert_eq!(app.help_scroll, 0, "reopened from the top");
}

#[tokio::test]
async fn s_sorts_the_tags_newest_first_with_unresolved_rows_last() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    let tags = ["a-old", "b-pending", "c-new", "d-failed"]
        .map(String::from)
        .to_vec();
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok(regscope::registry::TagListing::from(tags)),
    });
    let id = |tag: &str| {
        effects
            .iter()
            .find(|e| {
                matches!(e, Effect::Inspect { reference, .. }
                    if reference.to_string().ends_with(tag))
            })
            .unwrap()
            .id()
    };
    // The same image twice, differing only in the config's `created`.
    let image = inspected("unsigned-image").await;
    let dated = |created: &str| {
        let mut tree = (*image).clone();
        for child in &mut tree.root.children {
            if let Some(config) = child.config.as_mut() {
                config.created = Some(created.to_string());
            }
        }
        Ok(Arc::new(tree))
    };
    let order = |app: &App| match app.top() {
        View::Tags(v) => {
            let rows = v.load.loaded().unwrap();
            v.visible()
                .iter()
                .map(|&i| rows[i].tag.clone())
                .collect::<Vec<_>>()
        }
        _ => panic!(),
    };
    let sort_label = |app: &App| match app.top() {
        View::Tags(v) => v.sort.label(),
        _ => panic!(),
    };
    app.update(Action::Inspected {
        id: id("a-old"),
        result: dated("2023-01-01T00:00:00Z"),
    });
    app.update(Action::Inspected {
        id: id("c-new"),
        result: dated("2025-06-01T00:00:00Z"),
    });
    app.update(Action::Inspected {
        id: id("d-failed"),
        result: Err(FetchError::NotFound {
            what: "manifest".into(),
            code: "MANIFEST_UNKNOWN".into(),
        }
        .into()),
    });
    assert_eq!(order(&app), ["a-old", "b-pending", "c-new", "d-failed"]);
    assert_eq!(sort_label(&app), "by name");

    // `s` through the key map; the selected tag stays selected.
    cmd(&mut app, Command::Down);
    let s = Event::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
    let action = action_for_event(&app, &s).unwrap();
    app.update(action);
    assert_eq!(sort_label(&app), "newest first");
    assert_eq!(
        order(&app),
        ["c-new", "a-old", "b-pending", "d-failed"],
        "unresolved and failed rows last, in name order"
    );
    let View::Tags(v) = app.top() else { panic!() };
    assert_eq!(v.selected().unwrap().tag, "b-pending");

    // A row resolving later moves into place; the selection follows its tag.
    app.update(Action::Inspected {
        id: id("b-pending"),
        result: dated("2024-01-01T00:00:00Z"),
    });
    assert_eq!(order(&app), ["c-new", "b-pending", "a-old", "d-failed"]);
    let View::Tags(v) = app.top() else { panic!() };
    assert_eq!(v.selected().unwrap().tag, "b-pending");

    cmd(&mut app, Command::Sort);
    assert_eq!(order(&app), ["a-old", "b-pending", "c-new", "d-failed"]);
}

#[tokio::test]
async fn r_relists_the_tags_in_place_and_revalidates_resolved_rows() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok(regscope::registry::TagListing::from(vec![
            "v1".into(),
            "v2".into(),
        ])),
    });
    let index = inspected("unsigned-index").await;
    for e in &effects {
        app.update(Action::Inspected {
            id: e.id(),
            result: Ok(index.clone()),
        });
    }
    cmd(&mut app, Command::Down);

    // r: the list is fetched again while the old rows stay on screen.
    let relist = cmd(&mut app, Command::Refresh);
    assert!(
        matches!(relist.as_slice(), [Effect::LoadTags { .. }]),
        "{relist:?}"
    );
    let View::Tags(v) = app.top() else { panic!() };
    assert_eq!(v.visible().len(), 2, "no flash to an empty list");
    assert_eq!(app.waiting_for().as_deref(), Some("re-listing tags"));

    // v1 is gone, v3 is new: v2 is revalidated (root manifest only), v3 resolved in full.
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&relist),
        result: Ok(regscope::registry::TagListing::from(vec![
            "v2".into(),
            "v3".into(),
        ])),
    });
    let kinds: Vec<String> = effects
        .iter()
        .map(|e| match e {
            Effect::Revalidate { reference, .. } => format!("revalidate {reference}"),
            Effect::Inspect { reference, .. } => format!("inspect {reference}"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "revalidate reg.test:5000/team/app:v2",
            "inspect reg.test:5000/team/app:v3"
        ]
    );
    let View::Tags(v) = app.top() else { panic!() };
    assert_eq!(
        v.selected().unwrap().tag,
        "v2",
        "the selection stays on its tag"
    );
    let rows = v.load.loaded().unwrap();
    assert!(rows[0].summary.is_loading());
    assert!(
        matches!(rows[0].shown(), Load::Loaded(s) if s.digest == index.root.digest),
        "the old summary is shown while it is revalidated"
    );

    // A failed re-listing keeps the rows and says why.
    let relist = cmd(&mut app, Command::Refresh);
    app.update(Action::TagsLoaded {
        id: only_id(&relist),
        result: Err(FetchError::Connect {
            host: "reg.test:5000".into(),
            detail: "connection refused".into(),
        }
        .into()),
    });
    let View::Tags(v) = app.top() else { panic!() };
    // v2, v3, and v1 kept with its last digest, marked gone (until seen).
    assert_eq!(v.visible().len(), 3);
    let rows = v.load.loaded().unwrap();
    let v1 = rows.iter().find(|r| r.tag == "v1").unwrap();
    assert_eq!(v1.mark_word(), "gone");
    assert!(matches!(v1.shown(), Load::Loaded(s) if s.digest == index.root.digest));
    assert_eq!(v.stale.as_ref().unwrap().why, "registry unreachable");
    assert!(app
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("connection refused"));
}

#[tokio::test]
async fn revalidating_a_digest_seen_before_reuses_its_tree() {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let reference =
        ImageRef::parse(&format!("oci:{}", fixture("unsigned-index").display())).unwrap();
    let tree = |action: Action| match action {
        Action::Inspected { result, .. } => result.unwrap(),
        other => panic!("unexpected {other:?}"),
    };
    let first = tree(
        worker
            .execute(Effect::Inspect {
                id: 1,
                reference: reference.clone(),
            })
            .await,
    );
    let again = tree(
        worker
            .execute(Effect::Revalidate {
                id: 2,
                reference: reference.clone(),
            })
            .await,
    );
    // Same digest: the tree is reused, its content checked to be still there, not rebuilt.
    assert_eq!(again.root, first.root);
    assert!(again.checked >= first.checked);
    // A worker that never built it builds it.
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let fresh = Worker::new(tx, isolated_connector());
    let built = tree(fresh.execute(Effect::Revalidate { id: 3, reference }).await);
    assert_eq!(built.root.digest, first.root.digest);
    assert!(!Arc::ptr_eq(&first, &built));
}

/// Content by digest never changes, but it can be deleted: a revalidated tree is not taken on
/// trust from the cache, every manifest, config and statement in it is checked again.
#[tokio::test]
async fn revalidating_marks_what_was_deleted_since_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    support::copy_dir(&fixture("unsigned-index"), dir.path());
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let reference = ImageRef::parse(&format!("oci:{}", dir.path().display())).unwrap();
    let tree = |action: Action| match action {
        Action::Inspected { result, .. } => result.unwrap(),
        other => panic!("unexpected {other:?}"),
    };
    let revalidate = |id| Effect::Revalidate {
        id,
        reference: reference.clone(),
    };
    let first = tree(
        worker
            .execute(Effect::Inspect {
                id: 1,
                reference: reference.clone(),
            })
            .await,
    );
    let arm64 = first.root.children[1].digest.clone();
    let blob = dir
        .path()
        .join("blobs/sha256")
        .join(arm64.trim_start_matches("sha256:"));
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::remove_file(&blob).unwrap();

    let pruned = tree(worker.execute(revalidate(2)).await);
    let child = &pruned.root.children[1];
    assert_eq!(child.kind, regscope::model::Kind::Missing);
    assert!(child.children.is_empty());
    assert!(pruned
        .findings
        .iter()
        .any(|f| f.code == regscope::analysis::Code::DanglingReference && f.digest == arm64));

    // Pushed again: the next revalidation builds the tree whole again.
    std::fs::write(&blob, bytes).unwrap();
    let whole = tree(worker.execute(revalidate(3)).await);
    assert_eq!(whole.root, first.root);
}

/// The worker's connector: no config file, no credential lookups (the fixtures need none).
fn isolated_connector() -> Arc<Connector> {
    Arc::new(Connector::isolated(Settings::default()).unwrap())
}

// ---- The deployment target (`t`): verdicts, the findings that lead, what to copy ----

/// unsigned-index with its linux/arm64 manifest deleted, as an ECR lifecycle rule would.
async fn with_missing_child() -> (tempfile::TempDir, Arc<Inspected>) {
    let whole = inspected("unsigned-index").await;
    let dir = support::layout_without("unsigned-index", &whole.root.children[1].digest);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let reference = ImageRef::parse(&format!("oci:{}", dir.path().display())).unwrap();
    let tree = match worker.execute(Effect::Inspect { id: 1, reference }).await {
        Action::Inspected { result, .. } => result.unwrap(),
        other => panic!("unexpected {other:?}"),
    };
    (dir, tree)
}

/// `tree` re-analysed after `change`, as the worker would have built it.
fn altered(tree: &Inspected, change: impl FnOnce(&mut regscope::model::Node)) -> Arc<Inspected> {
    let mut root = tree.root.clone();
    change(&mut root);
    Arc::new(Inspected {
        reference: tree.reference.clone(),
        findings: regscope::analysis::analyze(&root),
        root,
        checked: tree.checked,
        listed: Vec::new(),
        signatures: regscope::verify::Checked::NoPolicy,
        files_opened: false,
    })
}

/// Newest first is about every tag, not the rows that happened to be on screen: `s` resolves
/// them all (a few at a time), says how far it got, and keeps the unresolved ones last.
#[tokio::test]
async fn newest_first_resolves_and_sorts_every_tag_not_only_those_on_screen() {
    let image = inspected("unsigned-image").await;
    // Built in an order unrelated to the names: build-i at minute (7 i mod 50).
    let minute = |i: usize| (i * 7) % 50;
    let trees: Vec<(String, Arc<Inspected>)> = (0..50)
        .map(|i| {
            let tree = altered(&image, |root| {
                for child in &mut root.children {
                    if let Some(config) = child.config.as_mut() {
                        config.created = Some(format!("2026-11-29T12:{:02}:00Z", minute(i)));
                    }
                }
            });
            (format!("build-{i}"), tree)
        })
        .collect();
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    let mut pending = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok(trees.iter().map(|(t, _)| t.clone()).collect()),
    });
    pending.extend(app.update(Action::Command(Command::Sort)));
    let mut answered = 0;
    while !pending.is_empty() {
        let Effect::Inspect { id, reference } = pending.remove(0) else {
            panic!("only tag rows are resolved here");
        };
        let View::Tags(v) = app.top() else { panic!() };
        assert!(v.resolving() <= MAX_RESOLVING, "a few at a time");
        if answered == 12 {
            assert_eq!(
                app.waiting_for().as_deref(),
                Some("sorting: 12 of 50 resolved")
            );
            // Meanwhile the resolved rows lead, newest first; the rest wait at the end.
            let rows = v.load.loaded().unwrap();
            let resolved: Vec<bool> = v
                .visible()
                .iter()
                .map(|&i| rows[i].summary.loaded().is_some())
                .collect();
            assert_eq!(resolved, [vec![true; 12], vec![false; 38]].concat());
        }
        let tag = reference
            .to_string()
            .rsplit(':')
            .next()
            .unwrap()
            .to_string();
        let tree = trees.iter().find(|(t, _)| *t == tag).unwrap().1.clone();
        pending.extend(app.update(Action::Inspected {
            id,
            result: Ok(tree),
        }));
        answered += 1;
    }
    assert_eq!(
        answered, 50,
        "every tag was resolved, not only the rows on screen"
    );
    assert_eq!(app.waiting_for(), None);
    let mut newest: Vec<usize> = (0..50).collect();
    newest.sort_by_key(|&i| std::cmp::Reverse(minute(i)));
    let expected: Vec<String> = newest.iter().map(|i| format!("build-{i}")).collect();
    assert_eq!(shown_tags(&app), expected);
}

/// unsigned-image rebuilt for linux/arm64 only: "exec format error" on Lambda's default `x86_64`.
fn arm_only(image: &Inspected) -> Arc<Inspected> {
    altered(image, |root| {
        for child in &mut root.children {
            if let Some(config) = child.config.as_mut() {
                config.architecture = "arm64".into();
            }
        }
    })
}

/// unsigned-index whose arm64 entry claims linux/arm/v7 while its config says linux/arm64.
fn mismatched(index: &Inspected) -> Arc<Inspected> {
    altered(index, |root| {
        root.children[1].platform =
            Some(regscope::model::Platform::new("linux", "arm", Some("v7")));
    })
}

/// A tags view of `trees` (tag -> tree), every row resolved.
fn tags_of(trees: &[(&str, Arc<Inspected>)]) -> App {
    tags_in("reg.test:5000", trees)
}

/// The tags view of `team/app` on `registry`, every tag resolved to its tree.
fn tags_in(registry: &str, trees: &[(&str, Arc<Inspected>)]) -> App {
    let start = Start::Repository {
        registry: registry.into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    let tags = trees.iter().map(|(t, _)| (*t).to_string()).collect();
    let mut pending = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok(tags),
    });
    while let Some(Effect::Inspect { id, reference }) = pending.pop() {
        let tree = trees
            .iter()
            .find(|(t, _)| reference.to_string().ends_with(&format!(":{t}")))
            .map(|(_, tree)| tree.clone())
            .unwrap();
        pending.extend(app.update(Action::Inspected {
            id,
            result: Ok(tree),
        }));
    }
    app
}

/// Each row's verdict, in list order: `runs`, `rejected: index`, or `-` without a target.
fn verdicts(app: &App) -> Vec<String> {
    let View::Tags(v) = app.top() else { panic!() };
    let rows = v.load.loaded().unwrap();
    v.visible()
        .iter()
        .map(|&i| {
            let summary = rows[i].shown().loaded().unwrap();
            let verdict = summary.verdict.as_ref();
            format!(
                "{} {}",
                rows[i].tag,
                verdict.map_or("-".into(), ToString::to_string)
            )
        })
        .collect()
}

fn choose_target(app: &mut App, text: &str) -> Option<String> {
    cmd(app, Command::ChooseTarget);
    assert_eq!(app.input.as_ref().map(|i| i.kind), Some(InputKind::Target));
    while !app.input.as_ref().unwrap().text.is_empty() {
        cmd(app, Command::DeleteChar);
    }
    typed(app, text);
    cmd(app, Command::Submit);
    app.input.as_ref().and_then(|i| i.error.clone())
}

#[tokio::test]
async fn t_chooses_a_target_and_every_tag_gets_a_verdict_in_a_word() {
    let index = inspected("unsigned-index").await;
    let image = inspected("unsigned-image").await;
    let (_dir, pruned) = with_missing_child().await;
    let mut app = tags_of(&[
        ("arm-only", arm_only(&image)),
        ("buildkit", index.clone()),
        ("mismatch", mismatched(&index)),
        ("pruned", pruned),
        ("single", image.clone()),
    ]);
    // Without a target the Lambda-breaking index is only `info`, the arm64-only image `ok`.
    assert_eq!(
        verdicts(&app),
        [
            "arm-only -",
            "buildkit -",
            "mismatch -",
            "pruned -",
            "single -"
        ]
    );

    // `t` through the key map; a bad target keeps the input open with the reason.
    let t = Event::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE));
    assert!(matches!(
        action_for_event(&app, &t),
        Some(Action::Command(Command::ChooseTarget))
    ));
    let error = choose_target(&mut app, "lambda/riscv").unwrap();
    assert!(error.contains("not a Lambda target"), "{error}");
    let error = choose_target(&mut app, "amd64").unwrap();
    assert!(error.contains("os/arch"), "{error}");
    cmd(&mut app, Command::Cancel);

    // Tab offers the usual targets in turn.
    cmd(&mut app, Command::ChooseTarget);
    let tab = Event::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    let mut offered = Vec::new();
    for _ in 0..9 {
        app.update(action_for_event(&app, &tab).unwrap());
        offered.push(app.input.as_ref().unwrap().text.clone());
    }
    assert_eq!(
        offered,
        [
            "lambda",
            "lambda/arm64",
            "linux/amd64",
            "linux/arm64",
            "cloudrun",
            "fargate",
            "fargate/arm64",
            "k8s:amd64,arm64",
            "lambda"
        ]
    );
    cmd(&mut app, Command::Cancel);

    assert_eq!(choose_target(&mut app, "lambda"), None);
    assert!(app.input.is_none());
    assert_eq!(app.target.as_ref().unwrap().to_string(), "lambda/amd64");
    assert_eq!(
        verdicts(&app),
        [
            "arm-only rejected: no amd64",
            "buildkit rejected: index",
            "mismatch rejected: index",
            "pruned rejected: index",
            "single runs",
        ]
    );

    assert_eq!(choose_target(&mut app, "linux/arm64"), None);
    assert_eq!(
        verdicts(&app),
        [
            "arm-only runs",
            "buildkit runs",
            "mismatch rejected: no arm64",
            "pruned rejected: deleted child",
            "single rejected: no arm64",
        ]
    );
    assert_eq!(choose_target(&mut app, "linux/arm/v7"), None);
    assert_eq!(verdicts(&app)[2], "mismatch rejected: mismatch");

    // The tree opened from a row judges against the same target; an empty target is none.
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Open);
    let View::Tree(tree) = app.top() else {
        panic!()
    };
    assert_eq!(tree.target.as_ref().unwrap().to_string(), "linux/arm/v7");
    assert_eq!(choose_target(&mut app, ""), None);
    let View::Tree(tree) = app.top() else {
        panic!()
    };
    assert!(tree.target.is_none() && app.target.is_none());
    cmd(&mut app, Command::Back);
    assert_eq!(verdicts(&app)[0], "arm-only -");
}

#[tokio::test]
async fn rows_resolved_after_the_target_was_chosen_get_their_verdict_too() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    app.set_target(Some(regscope::analysis::Target::parse("lambda").unwrap()));
    let effects = app.update(Action::TagsLoaded {
        id: only_id(&effects),
        result: Ok(regscope::registry::TagListing::from(vec!["latest".into()])),
    });
    app.update(Action::Inspected {
        id: only_id(&effects),
        result: Ok(inspected("unsigned-index").await),
    });
    assert_eq!(verdicts(&app), ["latest rejected: index"]);
}

#[tokio::test]
async fn findings_lead_with_the_target_then_by_severity_one_line_per_code() {
    use regscope::analysis::{Code, Severity, Target};
    use regscope::tui::panes::entries;
    let index = mismatched(&*inspected("unsigned-index").await);
    let target = Target::parse("lambda").unwrap().check(&index.root);
    let got: Vec<(bool, Code, Severity, usize)> = entries(&index.root, &target, &index.findings)
        .iter()
        .map(|e| (e.target, e.finding.code, e.finding.severity, e.count))
        .collect();
    assert_eq!(
        got,
        [
            // The index and its two attestation entries, folded into one line.
            (true, Code::TargetIncompatible, Severity::Error, 3),
            (false, Code::PlatformMismatch, Severity::Error, 1),
            (false, Code::RunsAsRoot, Severity::Info, 2),
            (false, Code::AttestationManifest, Severity::Info, 2),
        ]
    );
    // Below the root: only what is about that entry and its children.
    let amd64 = &index.root.children[0];
    let got: Vec<Code> = entries(amd64, &target, &index.findings)
        .iter()
        .map(|e| e.finding.code)
        .collect();
    assert_eq!(got, [Code::RunsAsRoot]);
}

#[tokio::test]
async fn c_copies_the_fix_command_and_d_the_reference_that_runs_on_the_target() {
    let index = inspected("unsigned-index").await;
    let amd64 = index.root.children[0].digest.clone();
    let arm64 = index.root.children[1].digest.clone();
    let mut app = tags_of(&[("latest", index.clone())]);
    let copied = |effects: Vec<Effect>| match effects.as_slice() {
        [Effect::Copy { text }] => text.clone(),
        other => panic!("{other:?}"),
    };

    // No target yet: nothing to deploy, and the status line says what to do.
    assert!(cmd(&mut app, Command::CopyDeploy).is_empty());
    assert!(app.flash.as_ref().unwrap().text.contains("press t"));
    // The first finding without a target is an info one; its fix names a Dockerfile line.
    assert_eq!(copied(cmd(&mut app, Command::CopyFix)), "USER <non-root>");

    app.set_target(Some(regscope::analysis::Target::parse("lambda").unwrap()));
    assert_eq!(
        copied(cmd(&mut app, Command::CopyFix)),
        "docker buildx build --platform linux/amd64 --provenance=false --sbom=false --push ...",
        "the target's finding leads"
    );
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDeploy)),
        format!("reg.test:5000/team/app@{amd64}"),
        "Lambda refuses the index: deploy its linux/amd64 manifest by digest"
    );
    app.set_target(Some(
        regscope::analysis::Target::parse("lambda/arm64").unwrap(),
    ));
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDeploy)),
        format!("reg.test:5000/team/app@{arm64}")
    );

    // In the tree: the finding at the top of the findings pane as scrolled.
    cmd(&mut app, Command::Open);
    assert_eq!(
        copied(cmd(&mut app, Command::CopyFix)),
        "docker buildx build --platform linux/arm64 --provenance=false --sbom=false --push ..."
    );
    cmd(&mut app, Command::FocusNext);
    cmd(&mut app, Command::FocusNext);
    cmd(&mut app, Command::Bottom);
    assert_eq!(
        copied(cmd(&mut app, Command::CopyFix)),
        "docker buildx build --provenance=false --sbom=false",
        "the attestation finding is last; its fix's command, not the `docker pull` it mentions"
    );
    // The findings pane's cursor: `y` copies the selected finding's fix (not a digest), and
    // says which finding it was; k goes back to the one before.
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDigest)),
        "docker buildx build --provenance=false --sbom=false"
    );
    assert!(app
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("attestation-manifest"));
    cmd(&mut app, Command::Top);
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDigest)),
        "docker buildx build --platform linux/arm64 --provenance=false --sbom=false --push ..."
    );
    cmd(&mut app, Command::Down);
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDigest)),
        copied(cmd(&mut app, Command::CopyFix)),
        "y and c copy the same selected finding's fix"
    );
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDeploy)),
        format!("reg.test:5000/team/app@{arm64}")
    );
    // A platform the index runs on: the index itself, as `check`'s report deploys it (the
    // TUI used to copy the platform entry).
    let amd64_target = regscope::analysis::Target::parse("linux/amd64").unwrap();
    let report = regscope::report::Report::of(
        &regscope::report::Fetched::tree(&index.root),
        Some(&amd64_target),
    );
    assert_eq!(report.deploy.as_deref(), Some(index.root.digest.as_str()));
    app.set_target(Some(amd64_target));
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDeploy)),
        format!("reg.test:5000/team/app@{}", index.root.digest),
        "the tree deploys what the report does"
    );
    cmd(&mut app, Command::Back);
    assert_eq!(
        copied(cmd(&mut app, Command::CopyDeploy)),
        format!("reg.test:5000/team/app@{}", index.root.digest),
        "and so does the tag row"
    );
    // A platform nothing in the tree runs on.
    app.set_target(Some(
        regscope::analysis::Target::parse("linux/s390x").unwrap(),
    ));
    assert!(cmd(&mut app, Command::CopyDeploy).is_empty());
    assert!(app
        .flash
        .as_ref()
        .unwrap()
        .text
        .contains("Nothing here runs on linux/s390x"));
}

/// The tags row counts what the tree lists and `check` reports (issue 20): on a FIPS ECR host
/// with target Lambda, the registry's own finding (`ecr-fips-host`) is among them, and the
/// row, the tree and `d` agree with the report on the findings and the reference to deploy.
#[tokio::test]
async fn the_tags_row_counts_the_registry_s_lambda_findings_as_the_tree_and_the_report_do() {
    const FIPS: &str = "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com";
    let index = inspected("unsigned-index").await;
    let mut app = tags_in(FIPS, &[("latest", index.clone())]);
    let lambda = regscope::analysis::Target::parse("lambda").unwrap();
    app.set_target(Some(lambda.clone()));

    // The TUI reads the function's region from the environment, as `check` does without
    // --region.
    let region = regscope::ecr::lambda::region_from_env();
    let facts = regscope::ecr::lambda::for_target(
        &lambda,
        Some(FIPS),
        &index.root.digest,
        region.as_deref(),
    );
    assert!(
        facts.iter().any(|f| f.code == Code::EcrFipsHost),
        "{facts:?}"
    );
    let fetched = regscope::report::Fetched {
        registry: &facts,
        ..regscope::report::Fetched::tree(&index.root)
    };
    let report = regscope::report::Report::of(&fetched, Some(&lambda));
    assert!(report.findings.iter().any(|f| f.code == Code::EcrFipsHost));

    let View::Tags(v) = app.top() else { panic!() };
    let summary = v.load.loaded().unwrap()[0]
        .summary
        .loaded()
        .unwrap()
        .clone();
    assert_eq!(
        summary.findings,
        report.findings.len(),
        "{:?}",
        report.findings
    );
    assert_eq!(summary.verdict, report.verdict);
    assert_eq!(summary.deploy, report.deploy);

    cmd(&mut app, Command::Open);
    let View::Tree(t) = app.top() else { panic!() };
    let tree = t.load.loaded().unwrap();
    assert_eq!(
        tree.findings.len() + t.target_findings.len(),
        report.findings.len()
    );
    assert!(t
        .target_findings
        .iter()
        .any(|f| f.code == Code::EcrFipsHost));
}

/// A long tag list takes a round trip per page: the spinner and the view say how far it has
/// come, and the count goes once the list is in.
#[test]
fn a_long_tag_list_says_how_far_it_has_come() {
    let start = Start::Repository {
        registry: "reg.test:5000".into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, SIZE);
    let id = only_id(&effects);
    assert_eq!(app.waiting_for().as_deref(), Some("listing tags"));
    app.update(Action::TagsProgress {
        id,
        pages: 3,
        names: 3000,
    });
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("listing tags: 3,000 so far, page 4")
    );
    // Progress of a listing nobody waits for changes nothing.
    app.update(Action::TagsProgress {
        id: id + 100,
        pages: 9,
        names: 9000,
    });
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("listing tags: 3,000 so far, page 4")
    );
    app.update(Action::TagsLoaded {
        id,
        result: Ok(names(3500).into()),
    });
    let View::Tags(v) = app.top() else {
        panic!("the tags view");
    };
    assert_eq!(v.listing_progress, None);
}

// ---- One report (issue 20): the CLI and the TUI say the same about every image ----

/// `(code, digest)` of each finding, sorted: what both front ends must list.
fn finding_keys<'a>(findings: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let mut keys: Vec<String> = findings.map(|(c, d)| format!("{c} {d}")).collect();
    keys.sort();
    keys
}

/// `check --json --no-attachments --target T REF` (the tags view builds its trees without
/// attachments too): the verdict as the tags view writes it, and the findings' keys.
async fn cli_says(home: &std::path::Path, reference: &str, target: &str) -> (String, Vec<String>) {
    let mut cmd = support::isolated_command(&support::regscope_bin(), home);
    cmd.args([
        "check",
        "--json",
        "--no-attachments",
        "--target",
        target,
        reference,
    ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{reference} {target}: {e}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let verdict = match (doc["verdict"].as_str(), doc["verdictReason"].as_str()) {
        (Some("runs"), _) => "runs".to_string(),
        (Some("rejected"), Some(why)) => format!("rejected: {why}"),
        other => panic!("{reference} {target}: verdict {other:?}"),
    };
    let findings = doc["findings"].as_array().unwrap();
    let keys = finding_keys(
        findings
            .iter()
            .map(|f| (f["code"].as_str().unwrap(), f["digest"].as_str().unwrap())),
    );
    (verdict, keys)
}

/// The tags row's verdict and the findings the tree opened from it lists, judged against
/// `target` in the TUI's own state.
fn tui_says(tree: Arc<Inspected>, target: &str) -> (String, Vec<String>) {
    let mut app = tags_of(&[("tag", tree)]);
    assert_eq!(choose_target(&mut app, target), None);
    let row = verdicts(&app).remove(0);
    let verdict = row.strip_prefix("tag ").unwrap().to_string();
    cmd(&mut app, Command::Open);
    let View::Tree(view) = app.top() else {
        panic!("Enter on a resolved row opens its tree")
    };
    let loaded = view.load.loaded().unwrap();
    assert_eq!(
        view.verdict.as_ref().map(ToString::to_string).as_deref(),
        Some(verdict.as_str()),
        "the tree view says what its row says"
    );
    let keys = finding_keys(
        view.target_findings
            .iter()
            .chain(&loaded.findings)
            .map(|f| (f.code.as_str(), f.digest.as_str())),
    );
    (verdict, keys)
}

/// Every fixture layout and every case of the demo's tour, against three targets: `check
/// --json` and the TUI (row verdict, tree findings) agree on the verdict and every finding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_and_the_tui_agree_on_every_fixture_and_demo_case() {
    let server = regscope::serve::start_repos(
        "127.0.0.1:0".parse().unwrap(),
        regscope::demo::repositories(),
        regscope::serve::Faults::default(),
    )
    .await
    .unwrap();
    let host = server.host();
    let home = tempfile::tempdir().unwrap();
    let mut references: Vec<String> = [
        "containerd-subject-layout",
        "no-provenance-index",
        "unsigned-image",
        "unsigned-index",
    ]
    .iter()
    .map(|name| format!("oci:{}", fixture(name).display()))
    .collect();
    references.extend(
        regscope::demo::TOUR
            .iter()
            .map(|(reference, _, _)| format!("{host}/{reference}")),
    );
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let mut compared = 0;
    for reference in &references {
        let image = ImageRef::parse(reference).unwrap();
        let tree = match worker
            .execute(Effect::Inspect {
                id: 1,
                reference: image,
            })
            .await
        {
            Action::Inspected { result, .. } => result.unwrap(),
            other => panic!("unexpected {other:?}"),
        };
        for target in ["lambda", "linux/arm64", "linux/amd64"] {
            let cli = cli_says(home.path(), reference, target).await;
            let tui = tui_says(tree.clone(), target);
            assert_eq!(
                cli, tui,
                "{reference} against {target}: CLI (left), TUI (right)"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * (4 + regscope::demo::TOUR.len()));
}

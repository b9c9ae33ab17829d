//! What the TUI draws, snapshotted on ratatui's `TestBackend` at 80x24 and 120x40: every view in
//! its loading, loaded, empty, error, filtered and help states. Trees are the real `BuildKit`
//! layouts in tests/fixtures fetched by the TUI's own worker; catalogs and tag lists are built
//! by hand. Colour is checked separately (snapshots hold the text only).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use regscope::connect::{ConnectError, Connector, Settings};
use regscope::model::Platform;
use regscope::reference::ImageRef;
use regscope::registry::FetchError;
use regscope::tui::action::CatalogPage;
use regscope::tui::complete::MAX_CANDIDATES;
use regscope::tui::{draw::draw, Action, App, Command, Effect, Inspected, Start, Worker};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docker-attest")
        .join(name)
}

async fn inspect_path(path: &Path) -> Result<Arc<Inspected>, ConnectError> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(tx, isolated_connector());
    let reference = ImageRef::parse(&format!("oci:{}", path.display())).unwrap();
    match worker.execute(Effect::Inspect { id: 1, reference }).await {
        // The time of the check is pinned: the status line says it.
        Action::Inspected { result, .. } => result.map(|i| {
            Arc::new(Inspected {
                checked: checked(),
                listed: Vec::new(),
                ..(*i).clone()
            })
        }),
        other => panic!("unexpected {other:?}"),
    }
}

/// When every tree in these snapshots was checked: 12:03:41 UTC.
fn checked() -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(43_421)
}

async fn inspected(name: &str) -> Arc<Inspected> {
    inspect_path(&fixture(name)).await.unwrap()
}

/// unsigned-index with its linux/arm64 manifest deleted, as an ECR lifecycle rule would.
async fn with_missing_child() -> (tempfile::TempDir, Arc<Inspected>) {
    let whole = inspected("unsigned-index").await;
    let dir = support::layout_without("unsigned-index", &whole.root.children[1].digest);
    let tree = inspect_path(dir.path()).await.unwrap();
    (dir, tree)
}

fn render(app: &App) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal.backend().to_string()
}

/// Snapshots the app `build` makes, at both sizes.
fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        // Error screens among them: every screen is in words, never a Debug dump.
        support::words::assert_no_debug_syntax(&render(&app));
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), render(&app));
    }
}

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    app.update(Action::Command(c))
}

fn typed(app: &mut App, text: &str) {
    text.chars().for_each(|ch| {
        app.update(Action::Char(ch));
    });
}

const REGISTRY: &str = "registry.test:5000";

fn repositories(size: (u16, u16), page: Result<CatalogPage, ConnectError>) -> App {
    let (mut app, effects) = App::new(Start::Registry(REGISTRY.into()), true, size);
    app.update(Action::CatalogLoaded {
        id: effects[0].id(),
        result: page,
    });
    app
}

fn catalog() -> CatalogPage {
    let mut repositories: Vec<String> = [
        "team/app",
        "team/api",
        "team/worker",
        "infra/nginx",
        "infra/postgres",
        "ml/trainer",
    ]
    .map(String::from)
    .to_vec();
    repositories.extend((0..30).map(|i| format!("sandbox/service-{i:02}")));
    CatalogPage {
        repositories,
        more: true,
        details: std::collections::HashMap::new(),
        origin: None,
    }
}

#[test]
fn repositories_view() {
    snap("repositories_loading", |size| {
        App::new(Start::Registry(REGISTRY.into()), true, size).0
    });
    snap("repositories_loaded", |size| {
        let mut app = repositories(size, Ok(catalog()));
        cmd(&mut app, Command::Down);
        app
    });
    snap("repositories_empty", |size| {
        repositories(
            size,
            Ok(CatalogPage {
                repositories: Vec::new(),
                more: false,
                details: std::collections::HashMap::new(),
                origin: None,
            }),
        )
    });
    snap("repositories_error", |size| {
        repositories(
            size,
            Err(FetchError::Unauthorized {
                registry: "registry.test:5000".into(),
                detail: ": UNAUTHORIZED authentication required".into(),
            }
            .into()),
        )
    });
    // A closed port is not a registry refusing the catalog: no hint to type a repository.
    snap("repositories_unreachable", |size| {
        repositories(
            size,
            Err(FetchError::Connect {
                host: "registry.test:5000".into(),
                detail: "Connection refused (os error 111)".into(),
            }
            .into()),
        )
    });
    // A long error at the `:` prompt is shown whole, wrapped above the input line.
    snap("prompt_error_whole", |size| {
        let mut app = repositories(size, Ok(catalog()));
        cmd(&mut app, Command::Prompt);
        typed(&mut app, "http://registry.test:5000/Team/App:v7");
        cmd(&mut app, Command::Submit);
        app
    });
    snap("repositories_filtered", |size| {
        let mut app = repositories(size, Ok(catalog()));
        cmd(&mut app, Command::Filter);
        typed(&mut app, "tapp");
        app
    });
    snap("repositories_help", |size| {
        let mut app = repositories(size, Ok(catalog()));
        cmd(&mut app, Command::Help);
        app
    });
    snap("repositories_prompt", |size| {
        let mut app = repositories(
            size,
            Err(FetchError::Forbidden {
                registry: "registry.test:5000".into(),
                detail: String::new(),
            }
            .into()),
        );
        cmd(&mut app, Command::Prompt);
        typed(&mut app, "team/app:v7");
        app
    });
}

struct Trees {
    index: Arc<Inspected>,
    no_provenance: Arc<Inspected>,
    image: Arc<Inspected>,
    /// unsigned-index whose arm64 entry claims linux/arm/v7: a platform-mismatch finding.
    mismatch: Arc<Inspected>,
    /// unsigned-index with its arm64 manifest deleted.
    pruned: Arc<Inspected>,
    /// unsigned-image rebuilt for linux/arm64 only.
    arm_only: Arc<Inspected>,
}

async fn trees() -> Trees {
    let index = inspected("unsigned-index").await;
    let image = inspected("unsigned-image").await;
    Trees {
        arm_only: arm_only(&image),
        mismatch: with_mismatch(&index),
        pruned: with_missing_child().await.1,
        index,
        no_provenance: inspected("no-provenance-index").await,
        image,
    }
}

/// `image` with its config saying linux/arm64, re-analysed as the worker would.
fn arm_only(image: &Inspected) -> Arc<Inspected> {
    let mut root = image.root.clone();
    for child in &mut root.children {
        if let Some(config) = child.config.as_mut() {
            config.architecture = "arm64".into();
        }
    }
    Arc::new(Inspected {
        reference: image.reference.clone(),
        findings: regscope::analysis::analyze(&root),
        root,
        checked: checked(),
        listed: Vec::new(),
        signatures: regscope::verify::Checked::NoPolicy,
        files_opened: false,
    })
}

/// `index` with the descriptor of its second entry claiming linux/arm/v7 while the config still
/// says linux/arm64, re-analysed as the worker would.
fn with_mismatch(index: &Inspected) -> Arc<Inspected> {
    let mut root = index.root.clone();
    root.children[1].platform = Some(Platform::new("linux", "arm", Some("v7")));
    let findings = regscope::analysis::analyze(&root);
    assert!(findings
        .iter()
        .any(|f| f.code == regscope::analysis::Code::PlatformMismatch));
    Arc::new(Inspected {
        reference: index.reference.clone(),
        root,
        findings,
        checked: checked(),
        listed: Vec::new(),
        signatures: regscope::verify::Checked::NoPolicy,
        files_opened: false,
    })
}

fn tags_app(
    size: (u16, u16),
    trees: Option<&Trees>,
    tags: Result<Vec<String>, ConnectError>,
) -> App {
    tags_app_described(size, trees, tags, None)
}

/// [`tags_app`], the service's tag list (`described`) answering before the registry's list.
fn tags_app_described(
    size: (u16, u16),
    trees: Option<&Trees>,
    tags: Result<Vec<String>, ConnectError>,
    described: Option<regscope::tui::views::tags::Described>,
) -> App {
    let start = Start::Repository {
        registry: REGISTRY.into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, size);
    if let Some(described) = described {
        app.update(Action::TagsDescribed {
            id: effects[0].id(),
            described: Arc::new(described),
        });
    }
    let mut pending = app.update(Action::TagsLoaded {
        id: effects[0].id(),
        result: tags.map(|tags| regscope::registry::TagListing {
            tags,
            truncated: None,
        }),
    });
    let Some(trees) = trees else { return app };
    // Answer the resolutions in order, as the worker would; `slow` stays unanswered.
    while let Some(effect) = pending.pop() {
        let Effect::Inspect { id, reference } = &effect else {
            continue;
        };
        let tag = match reference {
            ImageRef::Registry(r) => r.tag.clone().unwrap_or_default(),
            ImageRef::Layout(_) => String::new(),
        };
        let result = match tag.as_str() {
            "latest" | "v7" => Ok(trees.index.clone()),
            "v6-sbom-only" => Ok(trees.no_provenance.clone()),
            "single" => Ok(trees.image.clone()),
            "mismatch" => Ok(trees.mismatch.clone()),
            "pruned" => Ok(trees.pruned.clone()),
            "arm-only" => Ok(trees.arm_only.clone()),
            "slow" => continue,
            _ => Err(FetchError::NotFound {
                what: format!("manifest `{tag}` in registry.test:5000/team/app"),
                code: "404 MANIFEST_UNKNOWN".into(),
            }
            .into()),
        };
        pending.extend(app.update(Action::Inspected { id: *id, result }));
    }
    app
}

fn tag_list() -> Vec<String> {
    [
        "latest",
        "v7",
        "v6-sbom-only",
        "single",
        "deleted",
        "slow",
        "v5",
        "v4",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test]
async fn tags_view() {
    let trees = trees().await;
    snap("tags_loading", |size| {
        let start = Start::Repository {
            registry: REGISTRY.into(),
            repository: "team/app".into(),
        };
        App::new(start, true, size).0
    });
    snap("tags_loaded", |size| {
        let mut app = tags_app(size, Some(&trees), Ok(tag_list()));
        cmd(&mut app, Command::Down);
        app
    });
    snap("tags_empty", |size| tags_app(size, None, Ok(Vec::new())));
    snap("tags_error", |size| {
        tags_app(
            size,
            None,
            Err(FetchError::Server {
                registry: "registry.test:5000".into(),
                status: 503,
                detail: ": UNAVAILABLE service unavailable".into(),
            }
            .into()),
        )
    });
    snap("tags_filtered", |size| {
        let mut app = tags_app(size, Some(&trees), Ok(tag_list()));
        cmd(&mut app, Command::Filter);
        typed(&mut app, "v");
        cmd(&mut app, Command::Submit);
        app
    });
    snap("tags_help", |size| {
        let mut app = tags_app(size, Some(&trees), Ok(tag_list()));
        cmd(&mut app, Command::Help);
        app
    });
}

/// GitLab-like figures (push times only, the rows still resolve) for three tags; `v5`'s
/// time does not parse.
fn push_times() -> regscope::tui::views::tags::Described {
    let tag = |name: &str, pushed: &str| {
        (
            name.to_string(),
            regscope::listing::Tag {
                name: name.to_string(),
                digest: Some(format!("sha256:{}", "7".repeat(64))),
                pushed: Some(pushed.to_string()),
                platforms: Vec::new(),
                size: None,
                tagged: true,
                date_not_read: false,
                scan: None,
            },
        )
    };
    regscope::tui::views::tags::Described {
        by: "GitLab's tag details",
        stands_in: false,
        tags: [
            tag("latest", "2026-12-06T09:00:00.000+00:00"),
            tag("v7", "2026-12-03T10:00:00Z"),
            tag("single", "2025-01-01T00:00:00Z"),
            tag("v5", "last week"),
        ]
        .into_iter()
        .collect(),
    }
}

/// Tag rows with a PUSHED column where the service's tag list gave push times: short ages
/// within a year, the date past it; at 80 columns it gives way, the status line keeps it.
#[tokio::test]
async fn tags_with_push_times() {
    let trees = trees().await;
    snap("tags_pushed", |size| {
        let mut app = tags_app_described(size, Some(&trees), Ok(tag_list()), Some(push_times()));
        // 2026-12-06T12:00:00Z
        app.clock = 1_796_558_400;
        app
    });
}

fn matrix_tags() -> Vec<String> {
    [
        "latest",
        "v7",
        "mismatch",
        "v6-sbom-only",
        "single",
        "pruned",
        "slow",
        "deleted",
    ]
    .map(String::from)
    .to_vec()
}

/// The platform matrix answers "which tags lack arm64?" at a glance: marks where a tag offers
/// a platform and where it is attested, the mismatch and the deleted entry in the error colour.
#[tokio::test]
async fn platform_matrix() {
    let trees = trees().await;
    let build = |size| {
        let mut app = tags_app(size, Some(&trees), Ok(matrix_tags()));
        cmd(&mut app, Command::Matrix);
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Down);
        app
    };
    snap("tags_matrix", build);
    snap("tags_matrix_help", |size| {
        let mut app = build(size);
        cmd(&mut app, Command::Help);
        app
    });

    let buf = buffer(&build((120, 40)));
    let mismatch = row_with(&buf, "mismatch ");
    assert!(mismatch
        .iter()
        .any(|c| c.symbol() == "≠" && c.fg == Color::Red));
    let pruned = row_with(&buf, "pruned");
    assert!(pruned
        .iter()
        .any(|c| c.symbol() == "✗" && c.fg == Color::Red));
    let latest = row_with(&buf, "latest");
    assert!(latest
        .iter()
        .any(|c| c.symbol() == "●" && c.fg == Color::Green));
}

fn target(text: &str) -> Option<regscope::analysis::Target> {
    regscope::analysis::Target::parse(text).ok()
}

fn target_tags() -> Vec<String> {
    [
        "latest", "mismatch", "single", "arm-only", "pruned", "slow", "deleted",
    ]
    .map(String::from)
    .to_vec()
}

/// "Will this tag deploy?": with target lambda the `BuildKit` index (only `info` without a
/// target) and the arm64-only image (`ok`) are rejected, and say why in a word.
#[tokio::test]
async fn tags_with_a_target() {
    let trees = trees().await;
    let build = |size, t: &str| {
        let mut app = tags_app(size, Some(&trees), Ok(target_tags()));
        app.set_target(target(t));
        app
    };
    snap("tags_target_lambda", |size| build(size, "lambda"));
    snap("tags_target_arm64", |size| build(size, "linux/arm64"));
    snap("tags_target_matrix", |size| {
        let mut app = build(size, "linux/arm64");
        cmd(&mut app, Command::Matrix);
        app
    });
    // The chooser: the choices while typing, the reason in place for a bad one.
    snap("tags_target_prompt", |size| {
        let mut app = build(size, "lambda");
        cmd(&mut app, Command::ChooseTarget);
        typed(&mut app, "linux/");
        app
    });
    snap("tags_target_invalid", |size| {
        let mut app = build(size, "lambda");
        cmd(&mut app, Command::ChooseTarget);
        typed(&mut app, "lambda/riscv");
        cmd(&mut app, Command::Submit);
        app
    });

    let buf = buffer(&build((120, 40), "lambda"));
    let latest = row_with(&buf, "latest");
    assert!(latest
        .iter()
        .any(|c| c.symbol() == "r" && c.fg == Color::Red));
    let single = row_with(&buf, "single");
    assert!(single
        .iter()
        .any(|c| c.symbol() == "r" && c.fg == Color::Green));
    let mut matrix = build((120, 40), "linux/arm64");
    cmd(&mut matrix, Command::Matrix);
    let buf = buffer(&matrix);
    let pruned = row_with(&buf, "pruned");
    assert!(pruned
        .iter()
        .any(|c| c.symbol() == "✗" && c.fg == Color::Red));
    let arm = row_with(&buf, "arm-only");
    assert!(arm
        .iter()
        .any(|c| c.symbol() == "●" && c.fg == Color::Green && c.modifier.contains(Modifier::BOLD)));
}

/// The tree with a target: the target's findings first, the manifest to deploy marked, the
/// rows the target's findings are about (Lambda: the attestation entries) in the error colour.
#[tokio::test]
async fn tree_with_a_target() {
    let trees = trees().await;
    snap("tree_target_lambda", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        app.set_target(target("lambda"));
        app
    });
    // The findings pane focused and paged down: the target's fix, wrapped, in full.
    snap("tree_target_fix", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        app.set_target(target("lambda"));
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::PageDown);
        app
    });
    snap("tree_target_fits", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        app.set_target(target("linux/arm64"));
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Down);
        app
    });
    let mut app = tree_app((120, 40), Some(Ok(trees.index.clone())));
    app.set_target(target("lambda"));
    let buf = buffer(&app);
    let fits = row_with(&buf, "✓ lambda/amd64");
    assert!(fits
        .iter()
        .any(|c| c.symbol() == "l" && c.fg == Color::Green));
    // linux/arm64 is not what Lambda refuses: it keeps its platform colour. The attestation
    // entries, which make the tag an index, are the rows marked, named as registries list
    // them (unknown/unknown) beside what they attest.
    let other = row_with(&buf, "linux/arm64  not measured  sha256");
    assert!(!other.iter().any(|c| c.fg == Color::Red));
    let attestation = row_with(&buf, "attestation for linux/amd64  unknown/unknown");
    assert!(attestation
        .iter()
        .any(|c| c.symbol() == "E" && c.fg == Color::Red));
    assert!(attestation
        .iter()
        .any(|c| c.symbol() == "a" && c.fg == Color::Red));
    // On a narrow screen the header keeps the target, the repository and the tag; the name
    // goes first, then the registry is cut with `…`.
    for (width, registry) in [
        (60, "registry.test:5000 › "),
        (50, "registry.te… › "),
        (40, "… › "),
    ] {
        let mut narrow = tree_app((width, 24), Some(Ok(trees.index.clone())));
        narrow.set_target(target("lambda"));
        let header = render(&narrow).lines().next().unwrap().to_string();
        assert!(
            header.contains(&format!("{registry}team/app › v7"))
                && header.contains("target lambda/amd64"),
            "{width}: {header}"
        );
    }
}

fn tree_app(size: (u16, u16), result: Option<Result<Arc<Inspected>, ConnectError>>) -> App {
    let reference = ImageRef::parse("registry.test:5000/team/app:v7").unwrap();
    let (mut app, effects) = App::new(Start::Reference(reference), true, size);
    if let Some(result) = result {
        app.update(Action::Inspected {
            id: effects[0].id(),
            result,
        });
    }
    app
}

#[tokio::test]
async fn tree_view() {
    let trees = trees().await;
    let (_dir, missing) = with_missing_child().await;
    snap("tree_loading", |size| tree_app(size, None));
    snap("tree_loaded_root", |size| {
        tree_app(size, Some(Ok(trees.index.clone())))
    });
    // linux/amd64 and its attestation opened, the attestation selected.
    snap("tree_loaded_attestation", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Expand);
        for _ in 0..4 {
            cmd(&mut app, Command::Down);
        }
        cmd(&mut app, Command::Expand);
        app
    });
    snap("tree_loaded_statement", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        for _ in 0..3 {
            cmd(&mut app, Command::Down);
        }
        cmd(&mut app, Command::Expand);
        for _ in 0..3 {
            cmd(&mut app, Command::Down);
        }
        app
    });
    snap("tree_single_image", |size| {
        let mut app = tree_app(size, Some(Ok(trees.image.clone())));
        cmd(&mut app, Command::Down);
        app
    });
    snap("tree_missing_child", |size| {
        let mut app = tree_app(size, Some(Ok(missing.clone())));
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Down);
        app
    });
    snap("tree_error", |size| {
        tree_app(
            size,
            Some(Err(FetchError::NotFound {
                what: "manifest `v7` in registry.test:5000/team/app".into(),
                code: "404 MANIFEST_UNKNOWN".into(),
            }
            .into())),
        )
    });
    snap("tree_raw", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        cmd(&mut app, Command::Raw);
        cmd(&mut app, Command::Down);
        app
    });
    // `/architecture`, then `n`: the second match current, every match in reverse video.
    snap("tree_raw_search", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        cmd(&mut app, Command::Raw);
        cmd(&mut app, Command::Filter);
        typed(&mut app, "architecture");
        cmd(&mut app, Command::Submit);
        cmd(&mut app, Command::NextMatch);
        app
    });
    snap("tree_help", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        cmd(&mut app, Command::Help);
        app
    });
    // Findings focused (highlighted border) and scrolled to the end: long fixes wrap under
    // their label.
    snap("tree_findings_scrolled", |size| {
        let mut app = tree_app(size, Some(Ok(trees.index.clone())));
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::Bottom);
        app
    });
}

#[tokio::test]
async fn focused_pane_is_bold_and_reversed_without_colour() {
    let trees = trees().await;
    let mut app = tree_app((80, 24), Some(Ok(trees.index.clone())));
    app.color = false;
    cmd(&mut app, Command::FocusNext);
    let buf = buffer(&app);
    let title = row_with(&buf, " detail ");
    let d = title.iter().find(|c| c.symbol() == "d").unwrap();
    assert!(d.modifier.contains(Modifier::REVERSED | Modifier::BOLD));
    let t = row_with(&buf, " tree ");
    let first = t.iter().find(|c| c.symbol() == "t").unwrap();
    assert!(
        !first.modifier.contains(Modifier::REVERSED),
        "only one pane is focused"
    );
}

#[test]
fn registries_view() {
    let names = || {
        vec![
            "127.0.0.1:5000".to_string(),
            "ghcr.io".to_string(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com".to_string(),
        ]
    };
    let known = |size| {
        let mut app = App::new(Start::Registries(names()), true, size).0;
        app.set_known(
            [
                (
                    "ghcr.io",
                    "docker credsStore `desktop` (~/.docker/config.json)",
                ),
                (
                    "127.0.0.1:5000",
                    "docker config.json auths (~/.docker/config.json)",
                ),
            ]
            .into_iter()
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .collect(),
            vec![
                "127.0.0.1:5000/team/app:v7".to_string(),
                "ghcr.io/org/tool".to_string(),
            ],
        );
        // Ages from a fixed clock: one entry opened 5 minutes ago, one from an older file.
        app.clock = 1_700_000_000;
        app.set_recent_times(
            [(
                "127.0.0.1:5000/team/app:v7".to_string(),
                1_700_000_000 - 300,
            )]
            .into(),
        );
        app
    };
    snap("registries_loaded", known);
    snap("registries_filtered", |size| {
        let mut app = known(size);
        cmd(&mut app, Command::Filter);
        typed(&mut app, "ecr");
        app
    });
}

fn buffer(app: &App) -> ratatui::buffer::Buffer {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

/// The cells on the row whose text contains `needle`.
fn row_with<'a>(buf: &'a ratatui::buffer::Buffer, needle: &str) -> Vec<&'a ratatui::buffer::Cell> {
    let width = usize::from(buf.area.width);
    let row = buf
        .content
        .chunks(width)
        .find(|cells| {
            cells
                .iter()
                .map(ratatui::buffer::Cell::symbol)
                .collect::<String>()
                .contains(needle)
        })
        .unwrap_or_else(|| panic!("no row contains {needle}"));
    row.iter().collect()
}

#[tokio::test]
async fn attestations_and_problems_have_their_own_colours_and_no_color_has_none() {
    let (_dir, missing) = with_missing_child().await;
    let mut app = tree_app((120, 40), Some(Ok(missing)));
    let buf = buffer(&app);
    let attestation = row_with(&buf, "attestation for linux/amd64");
    assert!(attestation.iter().any(|c| c.fg == Color::Magenta));
    let gone = row_with(&buf, "linux/arm64  MISSING");
    assert!(gone.iter().any(|c| c.fg == Color::Red));

    app.color = false;
    let buf = buffer(&app);
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "NO_COLOR: modifiers only"
    );
}

#[test]
fn registry_strings_cannot_reach_the_terminal_raw() {
    let tags = vec![
        "ok".to_string(),
        "evil\x1b]52;c;AAAA\x07\x1b[2J".to_string(),
    ];
    let app = tags_app((80, 24), None, Ok(tags));
    // The status line shows the selected tag (first by name) in full.
    let text = render(&app);
    assert!(!text.contains('\x1b') && !text.contains('\x07'));
    assert!(text.contains("evil\\u{1b}]52;c;AAAA\\u{7}"), "{text}");
}

#[test]
fn tls_verification_off_is_marked_in_the_header() {
    snap("repositories_insecure", |size| {
        let mut app = repositories(size, Ok(catalog()));
        app.insecure = true;
        app
    });
    for color in [true, false] {
        let mut app = repositories((80, 24), Ok(catalog()));
        app.insecure = true;
        app.color = color;
        let buf = buffer(&app);
        let marker = row_with(&buf, "TLS VERIFICATION OFF");
        let t = marker.iter().find(|c| c.symbol() == "T").unwrap();
        if color {
            assert_eq!(t.bg, Color::Red);
        } else {
            assert!(
                t.modifier.contains(Modifier::REVERSED),
                "NO_COLOR: reverse video"
            );
            assert_eq!(t.bg, Color::Reset);
        }
    }
}

/// The worker's connector: no config file, no credential lookups (the fixtures need none).
fn isolated_connector() -> Arc<Connector> {
    Arc::new(Connector::isolated(Settings::default()).unwrap())
}

/// `u` in the tags view: every image of an ECR repository, as `DescribeImages` and the trees
/// label them (the BuildKit index with its arm64 child deleted, an orphan), with the lifecycle
/// dry run marking what the next run expires.
#[tokio::test(flavor = "current_thread")]
async fn every_image_view() {
    use regscope::ecr::{dry_run::dry_run, images::join, inventory, EcrImage};
    let (_dir, tree) = with_missing_child().await;
    let day = chrono::Duration::days(1);
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut images = vec![EcrImage {
        digest: tree.root.digest.clone(),
        tags: vec!["v1".into()],
        pushed_at: Some(now - day * 40),
        manifest_media_type: Some(tree.root.media_type.clone()),
        ..EcrImage::default()
    }];
    for child in &tree.root.children {
        if child.kind != regscope::model::Kind::Missing {
            images.push(EcrImage {
                digest: child.digest.clone(),
                pushed_at: Some(now - day * 40),
                manifest_media_type: Some(child.media_type.clone()),
                size: Some(child.size),
                ..EcrImage::default()
            });
        }
    }
    images.push(EcrImage {
        digest: format!("sha256:{}", "0f".repeat(32)),
        pushed_at: Some(now - day * 2),
        manifest_media_type: Some("application/vnd.oci.image.manifest.v1+json".into()),
        size: Some(1234),
        ..EcrImage::default()
    });
    let (rows, graph) = join(images, std::slice::from_ref(&tree.root));
    let policy = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":30},"action":{"type":"expire"}}]}"#;
    let run = dry_run(policy, &rows, &graph, now).unwrap();
    let inv = Arc::new(inventory::Inventory {
        registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com".into(),
        repository: "team/app".into(),
        source: inventory::ListSource::EcrApi {
            region: "eu-west-1".into(),
        },
        rows,
        graph,
        truncated: false,
        notes: Vec::new(),
        unread: Vec::new(),
        repository_info: None,
        lifecycle_policy: Some(policy.into()),
        dry_run: Some(Ok(run)),
    });
    snap("every_image", |size| {
        let mut app = tags_app(size, None, Ok(vec!["v1".into()]));
        let effects = cmd(&mut app, Command::Untagged);
        let Some(Effect::LoadImages { id, .. }) = effects.first() else {
            panic!("u asks for the images: {effects:?}")
        };
        app.update(Action::ImagesLoaded {
            id: *id,
            result: Ok(inv.clone()),
        });
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Down);
        app
    });
}

#[test]
fn a_tag_list_cut_short_says_so_in_the_title_and_why() {
    let start = Start::Repository {
        registry: REGISTRY.into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, (120, 20));
    app.update(Action::TagsLoaded {
        id: effects[0].id(),
        result: Ok(regscope::registry::TagListing {
            tags: tag_list(),
            truncated: Some(
                "stopped after 3 pages: the registry linked back to a page it had sent".into(),
            ),
        }),
    });
    let screen = render(&app);
    assert!(screen.contains("shown, the list is incomplete"), "{screen}");
    assert!(
        screen.contains("tag list is incomplete: stopped after 3 pages"),
        "{screen}"
    );
}

/// One verdict (issue 19): what `f` learns about an image joins the tag row (WORST, verdict),
/// the tree's findings and badge, and the matrix; a fresh copy of the tree (the attachments
/// lookup answering later) keeps it.
#[tokio::test]
async fn what_the_files_say_joins_the_tag_row_the_tree_and_the_matrix() {
    use regscope::analysis::files::Facts;
    use regscope::analysis::{Code, Finding};
    use regscope::tui::views::files::LoadedFiles;

    let trees = trees().await;
    let mut app = tags_app((120, 40), Some(&trees), Ok(vec!["single".into()]));
    app.set_target(target("linux/amd64"));
    let screen = render(&app);
    let row = line_with(&screen, "single");
    assert!(row.contains("info") && row.contains(" runs "), "{row}");

    cmd(&mut app, Command::Open);
    // The root's findings end with what the report did not check, and the key that checks it.
    let screen = render(&app);
    assert!(
        screen
            .contains("not checked: the files in the layers (the layers were not opened; press f)"),
        "{screen}"
    );
    assert!(!screen.contains("deployment target ("), "{screen}");
    let effects = cmd(&mut app, Command::Files);
    let Some(Effect::LoadFiles { id, manifest, .. }) = effects.first() else {
        panic!("f asked for no files: {effects:?}");
    };
    assert_eq!(manifest.digest, trees.image.root.digest);
    let digest = manifest.digest.clone();
    // Four layers download at once: the view and the status line give one figure for all.
    app.update(Action::FilesProgress {
        id: *id,
        progress: regscope::layers::fetch::Progress {
            layers: 7,
            done: 3,
            in_flight: 2,
            bytes: 47_290_777,
            total: Some(111_149_056),
        },
    });
    assert_eq!(
        app.waiting_for().as_deref(),
        Some("layers 3/7 done, 2 in flight, 45.1 of 106.0 MiB")
    );
    let screen = render(&app);
    assert!(
        screen.contains("Layers 3/7 done, 2 in flight, 45.1 of 106.0 MiB…"),
        "{screen}"
    );
    let loader = Finding::new(
        Code::EntrypointInterpreterMissing,
        &digest,
        "the entrypoint /usr/bin/app is dynamically linked and needs the loader /lib64/ld-linux-x86-64.so.2, which the image does not have",
    );
    app.update(Action::FilesLoaded {
        id: *id,
        result: Ok(Arc::new(LoadedFiles {
            fs: regscope::layers::Filesystem::default(),
            facts: Facts::default(),
            findings: vec![loader],
        })),
    });
    assert!(render(&app).contains("entrypoint-interpreter-missing"));

    // Back in the tree: the finding is among the tree's, the root has an error badge, and
    // the target's verdict is `rejected` (no `✓` on a manifest that cannot start).
    cmd(&mut app, Command::Back);
    let screen = render(&app);
    assert!(!screen.contains("not checked: the files"), "{screen}");
    assert!(
        screen.contains("entrypoint-interpreter-missing"),
        "{screen}"
    );
    assert!(screen.contains("· linux/amd64: rejected"), "{screen}");
    assert!(screen.contains("│▾ E manifest  sha256:"), "{screen}");
    assert!(!screen.contains("✓ linux/amd64"), "{screen}");
    // `r`: the tree fetched again (without what the files said) is judged with it still.
    for effect in cmd(&mut app, Command::Refresh) {
        if let Effect::Revalidate { id, .. } | Effect::InspectAttachments { id, .. } = effect {
            app.update(Action::Inspected {
                id,
                result: Ok(trees.image.clone()),
            });
        }
    }
    let screen = render(&app);
    assert!(
        screen.contains("entrypoint-interpreter-missing")
            && screen.contains("· linux/amd64: rejected"),
        "after r: {screen}"
    );

    // `d` does not copy a reference that "runs" on the target.
    assert!(cmd(&mut app, Command::CopyDeploy).is_empty());
    assert!(
        render(&app).contains("manifest here cannot start (entrypoint-interpreter-missing"),
        "{}",
        render(&app)
    );
    // The tags row: WORST and the verdict from the same findings.
    cmd(&mut app, Command::Back);
    let screen = render(&app);
    let row = line_with(&screen, "single");
    assert!(
        row.contains("error") && row.contains("rejected: cannot start") && !row.contains("runs"),
        "{row}"
    );
    cmd(&mut app, Command::Matrix);
    let screen = render(&app);
    assert!(
        line_with(&screen, "single").contains("rejected: cannot start"),
        "{screen}"
    );
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{screen}"))
}

/// A deleted child (issue 19): the tags row keeps the platform the index lists but the registry
/// lost (`✗amd64`), and with Lambda, whose amd64 manifest it is, reads `deleted child` as the
/// matrix does, not `index arm64 ... rejected: index`.
#[tokio::test]
async fn a_deleted_child_is_named_in_the_tags_row() {
    let mut trees = trees().await;
    let amd64 = trees.index.root.children[0].digest.clone();
    let dir = support::layout_without("unsigned-index", &amd64);
    trees.pruned = inspect_path(dir.path()).await.unwrap();
    let mut app = tags_app((120, 40), Some(&trees), Ok(vec!["pruned".into()]));
    let screen = render(&app);
    let row = line_with(&screen, "pruned");
    assert!(row.contains("index arm64 ✗amd64"), "{row}");
    assert!(
        screen.contains("✗ linux/amd64 deleted"),
        "the status line says it in words: {screen}"
    );
    app.set_target(target("lambda"));
    let screen = render(&app);
    let row = line_with(&screen, "pruned");
    assert!(
        row.contains("error") && row.contains("rejected: deleted child"),
        "{row}"
    );
    cmd(&mut app, Command::Matrix);
    let screen = render(&app);
    assert!(
        line_with(&screen, "pruned").contains("rejected: deleted child"),
        "{screen}"
    );
}

/// An `Inspection` of a tree the TUI holds, for `diff::compare`.
fn inspection(tree: &Inspected) -> regscope::inspect::Inspection {
    regscope::inspect::Inspection {
        reference: tree.reference.clone(),
        root: tree.root.clone(),
        round_trips: regscope::registry::RoundTrips::default(),
        resolved_at: None,
        attachments_looked_up: false,
        orphaned: Vec::new(),
        attachment_notes: Vec::new(),
    }
}

/// The screen's text inside its borders, one string: what a reader can see.
fn seen(screen: &str) -> String {
    screen
        .lines()
        .map(|l| l.trim_matches('"').trim_matches(|c| "│┌└┐┘─ ".contains(c)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn the_comparison_wraps_and_scrolls_and_its_long_verdict_is_shown_whole_until_a_key() {
    let trees = trees().await;
    for size in [(80, 24), (60, 15)] {
        let mut app = tags_app(size, Some(&trees), Ok(tag_list()));
        // Sorted by name: deleted, latest, single, …
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Mark);
        cmd(&mut app, Command::Down);
        // The marked row keeps its marker once the selection has moved on.
        assert!(
            line_with(&render(&app), "latest").contains("⇄ marked"),
            "{}",
            render(&app)
        );
        let effects = cmd(&mut app, Command::Compare);
        let Some(Effect::Compare { id, .. }) = effects.first() else {
            panic!("= asks the worker for a comparison: {effects:?}");
        };
        let comparison =
            regscope::diff::compare(&inspection(&trees.index), &inspection(&trees.image));
        let verdict = regscope::output::diff::verdict_line(&comparison);
        let text = regscope::output::diff::render(&comparison, false);
        app.update(Action::Compared {
            id: *id,
            result: Ok(Arc::new(comparison)),
        });
        // The verdict is longer than the status line: whole in its box, scrolled with the
        // movement keys where the box is too short for it (60x15), in words.
        let mut boxed = String::new();
        for _ in 0..10 {
            let screen = render(&app);
            if !screen.contains("Esc closes") {
                break;
            }
            boxed.push_str(&seen(&screen));
            if !screen.contains("PgDn scroll") {
                break;
            }
            cmd(&mut app, Command::PageDown);
        }
        // A word longer than the box breaks across lines: compare without the breaks.
        let boxed: String = boxed.split_whitespace().collect();
        for word in verdict.split_whitespace() {
            assert!(
                boxed.contains(word),
                "{size:?}: `{word}` of the verdict is not shown:\n{verdict}\n{boxed}"
            );
        }
        // Esc closes it, and does nothing else: the comparison is still on screen.
        cmd(&mut app, Command::Back);
        cmd(&mut app, Command::Top);
        let closed = render(&app);
        assert!(!closed.contains("closes"), "{closed}");
        assert!(closed.contains("┌ compare "), "{closed}");
        // Every line of the diff is on some screen, each word whole: nothing is cut.
        assert!(
            closed.contains(" lines 1–"),
            "{size:?}: no position shown:\n{closed}"
        );
        let mut screens = seen(&closed);
        for _ in 0..40 {
            cmd(&mut app, Command::PageDown);
            screens.push_str(&seen(&render(&app)));
        }
        let screens: String = screens.split_whitespace().collect();
        for word in text.split_whitespace() {
            assert!(
                screens.contains(word),
                "{size:?}: `{word}` of the comparison is never shown whole"
            );
        }
        let last = render(&app);
        assert!(
            !last.contains(" lines 1–"),
            "{size:?}: PgDn scrolls:\n{last}"
        );
    }
}

#[tokio::test]
async fn small_terminals_drop_columns_rather_than_cut_a_heading_and_mark_every_cut() {
    let trees = trees().await;
    let headings = [
        "TAG",
        "DIGEST",
        "KIND",
        "PLATFORMS",
        "ATT",
        "SIZE",
        "WORST",
        "CREATED",
        "LAMBDA/AMD64",
        "LINUX/ARM64",
    ];
    for size in [(60, 15), (80, 24), (120, 40)] {
        for t in [None, Some("lambda"), Some("linux/arm64")] {
            let mut app = tags_app(size, Some(&trees), Ok(target_tags()));
            app.set_target(t.and_then(target));
            let screen = render(&app);
            let header = screen.lines().nth(2).unwrap().trim_matches('"');
            let words: Vec<&str> = header.trim_matches('│').split_whitespace().collect();
            assert!(
                words.len() >= 4 && words.iter().all(|w| headings.contains(w)),
                "{size:?} {t:?}: a heading is cut: {header}"
            );
            // The error row's reason is longer than its column: it ends in `…`.
            assert!(line_with(&screen, "deleted").contains('…'), "{screen}");
        }
    }
    // Tree rows wider than the tree pane end in `…` at the pane's border.
    let app = tree_app((60, 15), Some(Ok(trees.index.clone())));
    let screen = render(&app);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("attestation for"))
        .collect();
    assert!(!rows.is_empty(), "{screen}");
    for row in rows {
        assert!(row.contains("…││"), "a tree row is cut without …: {row}");
    }
}

/// The footer line of a drawn screen.
fn footer_of(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines[lines.len() - 1].to_string()
}

#[test]
fn esc_is_offered_only_where_it_goes_back() {
    let start = Start::Registries(vec!["127.0.0.1:5000".into(), "ghcr.io".into()]);
    let (mut app, _) = App::new(start, true, (80, 24));
    // The first view with nothing typed: Esc has nothing to do, and nothing says it does.
    let first = render(&app);
    assert!(!footer_of(&first).contains("Esc"), "{first}");
    assert!(footer_of(&first).contains("q quit"), "{first}");
    cmd(&mut app, Command::Back);
    assert_eq!(render(&app), first, "Esc at the top changed the screen");
    cmd(&mut app, Command::Help);
    let help = render(&app);
    assert!(help.contains("first"), "{help}");
    assert!(
        !help.contains("back ("),
        "help offers back at the top: {help}"
    );
    cmd(&mut app, Command::Help);

    // A filter: Esc clears it, and the footer says so until it is cleared.
    cmd(&mut app, Command::Filter);
    typed(&mut app, "ghcr");
    cmd(&mut app, Command::Submit);
    let filtered = render(&app);
    assert!(footer_of(&filtered).contains("Esc back"), "{filtered}");
    cmd(&mut app, Command::Back);
    assert_eq!(app.top().filter(), Some(""));
    assert!(!footer_of(&render(&app)).contains("Esc"));

    // A view over another: Esc goes back to it, as the footer says.
    cmd(&mut app, Command::Open);
    let opened = render(&app);
    assert!(footer_of(&opened).contains("Esc back"), "{opened}");
    cmd(&mut app, Command::Back);
    assert_eq!(app.stack.len(), 1);
    assert!(!footer_of(&render(&app)).contains("Esc"));
}

/// The prompt's text and its last line on screen.
fn prompt_line(app: &App) -> (String, String) {
    let screen = render(app);
    let lines: Vec<&str> = screen.lines().collect();
    (
        app.input.as_ref().unwrap().text.clone(),
        lines[lines.len() - 2].to_string(),
    )
}

#[test]
fn tab_at_the_open_prompt_completes_what_was_listed_and_cycles() {
    snap("prompt_tab_completion", |size| {
        let mut app = repositories(size, Ok(catalog()));
        cmd(&mut app, Command::Prompt);
        typed(&mut app, "team/");
        cmd(&mut app, Command::NextChoice);
        app
    });
    let mut app = repositories((80, 24), Ok(catalog()));
    cmd(&mut app, Command::Prompt);
    let (_, line) = prompt_line(&app);
    assert!(
        line.contains("Tab completes a repository or tag listed"),
        "{line}"
    );
    typed(&mut app, "team/");
    cmd(&mut app, Command::NextChoice);
    let (text, line) = prompt_line(&app);
    assert_eq!(text, "team/api");
    assert!(
        line.contains("Tab 1/3 next: team/app  team/worker"),
        "{line}"
    );
    // Repeated Tab cycles, and wraps around.
    let mut seen = Vec::new();
    for _ in 0..3 {
        cmd(&mut app, Command::NextChoice);
        seen.push(prompt_line(&app).0);
    }
    assert_eq!(seen, ["team/app", "team/worker", "team/api"]);
    // Typing starts afresh from what is typed; the host may be typed too.
    cmd(&mut app, Command::ClearInput);
    typed(&mut app, &format!("{REGISTRY}/infra/p"));
    cmd(&mut app, Command::NextChoice);
    let (text, line) = prompt_line(&app);
    assert_eq!(text, format!("{REGISTRY}/infra/postgres"));
    assert!(line.contains("Tab 1/1"), "{line}");
    // Nothing listed starts with it: the text stays as typed, and the prompt says so.
    cmd(&mut app, Command::ClearInput);
    typed(&mut app, "nothing/");
    cmd(&mut app, Command::NextChoice);
    let (text, line) = prompt_line(&app);
    assert_eq!(text, "nothing/");
    assert!(
        line.contains("Tab: no repository or tag listed so far"),
        "{line}"
    );
    cmd(&mut app, Command::NextChoice);
    assert_eq!(prompt_line(&app).0, "nothing/");
    // A 60-column screen cuts the candidates with `…`.
    app.size = (60, 15);
    cmd(&mut app, Command::ClearInput);
    typed(&mut app, "sandbox/");
    cmd(&mut app, Command::NextChoice);
    let (text, line) = prompt_line(&app);
    assert_eq!(text, "sandbox/service-00");
    assert!(
        line.contains("Tab 1/30 next: sandbox/service-0")
            && line.trim_end_matches('"').trim_end().ends_with('…'),
        "{line}"
    );

    // A huge catalog: the first MAX_CANDIDATES in name order are cycled, the count says all.
    let mut page = catalog();
    page.repositories = (0..3 * MAX_CANDIDATES)
        .map(|i| format!("many/r-{i:04}"))
        .collect();
    let mut app = repositories((120, 40), Ok(page));
    cmd(&mut app, Command::Prompt);
    typed(&mut app, "many/");
    cmd(&mut app, Command::NextChoice);
    let (text, line) = prompt_line(&app);
    assert_eq!(text, "many/r-0000");
    assert!(
        line.contains(&format!("Tab 1/{}", 3 * MAX_CANDIDATES)),
        "{line}"
    );
    for _ in 0..MAX_CANDIDATES {
        cmd(&mut app, Command::NextChoice);
    }
    assert_eq!(prompt_line(&app).0, "many/r-0000");

    // After `repository:`, the tags the tags view listed.
    let mut app = tags_app(
        (80, 24),
        None,
        Ok(vec![
            "v1".into(),
            "v10".into(),
            "latest".into(),
            "v2".into(),
        ]),
    );
    cmd(&mut app, Command::Prompt);
    typed(&mut app, "team/app:v1");
    cmd(&mut app, Command::NextChoice);
    assert_eq!(prompt_line(&app).0, "team/app:v1");
    cmd(&mut app, Command::NextChoice);
    assert_eq!(prompt_line(&app).0, "team/app:v10");
    cmd(&mut app, Command::Submit);
    assert!(app.input.is_none());
}

/// The raw view's title row.
fn raw_title(app: &App) -> String {
    render(app).lines().nth(1).unwrap_or_default().to_string()
}

#[tokio::test]
async fn slash_searches_the_raw_json_and_n_wraps_around() {
    let trees = trees().await;
    let mut app = tree_app((80, 24), Some(Ok(trees.index.clone())));
    cmd(&mut app, Command::Raw);
    cmd(&mut app, Command::Filter);
    // Typed in upper case: the search ignores ASCII case.
    typed(&mut app, "ARCHITECTURE");
    cmd(&mut app, Command::Submit);
    let title = raw_title(&app);
    let total: usize = {
        let (_, rest) = title.split_once("1/").expect(&title);
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    assert!(total >= 2, "{title}");
    assert!(
        title.contains(&format!("1/{total} \"ARCHITECTURE\"")),
        "{title}"
    );
    // The matches are in reverse video, the current one underlined too.
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let cells: Vec<_> = buffer
        .content()
        .iter()
        .filter(|c| c.modifier.contains(Modifier::REVERSED))
        .collect();
    let text: String = cells.iter().map(|c| c.symbol()).collect();
    assert!(text.starts_with("architecture"), "{text}");
    assert_eq!(
        cells
            .iter()
            .filter(|c| c.modifier.contains(Modifier::UNDERLINED))
            .count(),
        "architecture".len()
    );
    // N from the first wraps to the last; n from the last back to the first.
    cmd(&mut app, Command::PrevMatch);
    assert!(
        raw_title(&app).contains(&format!("{total}/{total}")),
        "{}",
        raw_title(&app)
    );
    cmd(&mut app, Command::NextMatch);
    assert!(raw_title(&app).contains(&format!("1/{total}")));
    for _ in 0..total - 1 {
        cmd(&mut app, Command::NextMatch);
    }
    // The last match is further down than the first screen: the view scrolled to it.
    let screen = render(&app);
    assert!(screen.contains(&format!("{total}/{total}")), "{screen}");
    assert!(!screen.contains("lines 1–"), "{screen}");
    // Nothing matches: the title says so. Escape sequences typed are shown harmless.
    cmd(&mut app, Command::Filter);
    typed(&mut app, "\u{1b}[2Jzzz");
    cmd(&mut app, Command::Submit);
    let title = raw_title(&app);
    assert!(title.contains("no match for"), "{title}");
    assert!(!render(&app).contains('\u{1b}'));
    // Back to the tree and into the raw view again: the search starts empty.
    cmd(&mut app, Command::Raw);
    cmd(&mut app, Command::Raw);
    assert!(!raw_title(&app).contains("no match"), "{}", raw_title(&app));
}

/// Whether the row showing `needle` has its text `needle` in reverse video.
fn reversed(buf: &ratatui::buffer::Buffer, needle: &str) -> bool {
    let row = row_with(buf, needle);
    let text: String = row.iter().map(|c| c.symbol()).collect();
    let at = text.find(needle).unwrap();
    let column = text[..at].chars().count();
    row[column].modifier.contains(Modifier::REVERSED)
}

#[tokio::test]
async fn the_findings_pane_has_a_cursor_drawn_when_it_has_the_focus() {
    let trees = trees().await;
    let mut app = tree_app((120, 40), Some(Ok(trees.index.clone())));
    app.color = false;
    // Not focused: no finding is drawn selected.
    let buf = buffer(&app);
    assert!(!reversed(&buf, "runs-as-root"));
    cmd(&mut app, Command::FocusNext);
    cmd(&mut app, Command::FocusNext);
    let buf = buffer(&app);
    assert!(reversed(&buf, "runs-as-root"));
    assert!(
        reversed(&buf, "fix: Add `USER"),
        "the finding's fix line goes with it"
    );
    assert!(!reversed(&buf, "attestation-manifest"));
    cmd(&mut app, Command::Down);
    let buf = buffer(&app);
    assert!(!reversed(&buf, "runs-as-root"));
    assert!(reversed(&buf, "attestation-manifest"));
    assert!(reversed(&buf, "fix: Harmless"));
}

#[tokio::test]
async fn every_view_s_header_keeps_the_target_repository_and_tag_at_60_and_80_columns() {
    let trees = trees().await;
    for size in [(60, 15), (80, 24)] {
        let mut screens = Vec::new();
        let mut tags = tags_app(size, Some(&trees), Ok(tag_list()));
        tags.set_target(target("lambda"));
        screens.push(("tags", render(&tags)));
        cmd(&mut tags, Command::Matrix);
        screens.push(("matrix", render(&tags)));
        cmd(&mut tags, Command::Matrix);
        cmd(&mut tags, Command::Untagged);
        screens.push(("every image", render(&tags)));
        cmd(&mut tags, Command::Untagged);
        cmd(&mut tags, Command::Down);
        cmd(&mut tags, Command::Mark);
        cmd(&mut tags, Command::Down);
        cmd(&mut tags, Command::Compare);
        assert_eq!(tags.stack.len(), 3, "the comparison is open over the tags");
        screens.push(("compare", render(&tags)));
        let mut tree = tree_app(size, Some(Ok(trees.index.clone())));
        tree.set_target(target("lambda"));
        screens.push(("tree", render(&tree)));
        cmd(&mut tree, Command::Raw);
        screens.push(("raw", render(&tree)));
        for (view, screen) in screens {
            let header = screen.lines().next().unwrap();
            assert!(
                header.contains("target lambda/amd64") && header.contains("team/app"),
                "{view} at {size:?}: {header}"
            );
            if view == "tree" || view == "raw" {
                assert!(header.contains("team/app › v7"), "{view}: {header}");
            }
        }
    }
}

#[tokio::test]
async fn the_compare_mark_shows_in_the_matrix_and_the_tree_too() {
    let trees = trees().await;
    let mut app = tags_app((80, 24), Some(&trees), Ok(tag_list()));
    // Sorted by name: deleted, latest, …; `x` on latest.
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Mark);
    cmd(&mut app, Command::Matrix);
    cmd(&mut app, Command::Down);
    let screen = render(&app);
    assert!(
        line_with(&screen, "latest").contains("⇄ latest"),
        "{screen}"
    );
    assert_eq!(screen.matches('⇄').count(), 1, "{screen}");
    // The tree of the marked tag says so in its pane's title; another tag's tree does not.
    let mut tree = tree_app((80, 24), Some(Ok(trees.index.clone())));
    assert!(!render(&tree).contains("⇄"));
    cmd(&mut tree, Command::Mark);
    let screen = render(&tree);
    assert!(screen.contains("┌ ⇄ marked · tree "), "{screen}");
}

/// A history of `latest` as the worker reads it from the log: three digests, two moves (one
/// compared, one whose manifest is gone).
fn history_of_latest() -> regscope::history::report::Report {
    use regscope::history::{Stint, TagHistory};
    let at = |secs: u64| std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let digest = |s: &str| regscope::digest::Digest::sha256_of(s.as_bytes());
    let stint = |d: &str, first: u64, last: u64, sightings: usize| Stint {
        digest: digest(d),
        first_seen: at(first),
        last_seen: at(last),
        sightings,
        pushed: None,
    };
    let ImageRef::Registry(target) =
        ImageRef::parse(&format!("{REGISTRY}/team/app:latest")).unwrap()
    else {
        unreachable!("a registry reference")
    };
    regscope::history::report::Report {
        target,
        tags: vec![(
            TagHistory {
                tag: "latest".into(),
                stints: vec![
                    // The registry's API said when it was pushed: the move's time is known.
                    Stint {
                        pushed: Some(at(41_500)),
                        ..stint("c", 42_000, 43_400, 5)
                    },
                    stint("b", 30_000, 41_000, 2),
                    stint("a", 10_000, 10_000, 1),
                ],
            },
            vec![
                vec![
                    "linux/arm64 dropped".into(),
                    "linux/amd64: config, env PATH, layers +1 -1".into(),
                ],
                vec![
                    "not compared: a manifest is no longer readable (404 MANIFEST_UNKNOWN)".into(),
                ],
            ],
        )],
    }
}

#[tokio::test]
async fn h_on_a_tag_shows_where_it_pointed_each_move_and_esc_goes_back() {
    let trees = trees().await;
    snap("history_view", |size| {
        let mut app = tags_app(size, Some(&trees), Ok(tag_list()));
        // Sorted by name: deleted, latest, …
        cmd(&mut app, Command::Down);
        let effects = cmd(&mut app, Command::History);
        let Some(Effect::LoadHistory { id, target }) = effects.first() else {
            panic!("h asks the worker for the history: {effects:?}");
        };
        assert_eq!(target.tag.as_deref(), Some("latest"));
        assert!(target.digest.is_none(), "a tag's history, not a digest's");
        let id = *id;
        assert!(render(&app).contains("reading the log"), "{}", render(&app));
        app.update(Action::HistoryLoaded {
            id,
            result: Ok(Some(Arc::new(history_of_latest()))),
        });
        // 12:03:41 UTC, shown an hour east.
        app.clock = 43_421;
        app.utc_offset = 3600;
        app
    });
    let mut app = tags_app((80, 24), Some(&trees), Ok(tag_list()));
    cmd(&mut app, Command::Down);
    let Some(Effect::LoadHistory { id, .. }) = cmd(&mut app, Command::History).first().cloned()
    else {
        panic!("no history asked for");
    };
    app.update(Action::HistoryLoaded {
        id,
        result: Ok(None),
    });
    assert!(
        render(&app).contains("this session has none"),
        "{}",
        render(&app)
    );
    cmd(&mut app, Command::Back);
    assert!(
        render(&app).contains("┌ tags of team/app"),
        "{}",
        render(&app)
    );
}

#[tokio::test]
async fn a_moved_tag_says_from_the_log_when_it_moved_as_far_as_the_log_knows() {
    use regscope::history::MovedWhen;
    let trees = trees().await;
    let mut app = tags_app((120, 40), Some(&trees), Ok(tag_list()));
    // Sorted by name: deleted, latest, …
    cmd(&mut app, Command::Down);
    let relist = cmd(&mut app, Command::Refresh);
    let Some(Effect::LoadTags { id, .. }) = relist.first() else {
        panic!("r lists the tags again: {relist:?}");
    };
    let revalidations = app.update(Action::TagsLoaded {
        id: *id,
        result: Ok(regscope::registry::TagListing {
            tags: tag_list(),
            truncated: None,
        }),
    });
    let Some(latest) = revalidations.iter().find_map(|e| match e {
        Effect::Revalidate { id, reference } if reference.to_string().ends_with(":latest") => {
            Some(*id)
        }
        _ => None,
    }) else {
        panic!("latest is checked again: {revalidations:?}");
    };
    // The worker tells what the log says before the tree that moved arrives: the log saw the
    // old digest last 40 minutes ago and the new one first 12 minutes ago; no more is known.
    let mins = |m| checked() - std::time::Duration::from_mins(m);
    let moved = |when| Action::TagMoved {
        location: regscope::connect::Location::Registry(REGISTRY.into()),
        repository: "team/app".into(),
        tag: "latest".into(),
        from: trees.index.root.digest.clone(),
        when,
    };
    app.update(moved(MovedWhen::Between(mins(40), mins(12))));
    app.update(Action::Inspected {
        id: latest,
        result: Ok(trees.image.clone()),
    });
    app.clock = 43_421;
    let screen = render(&app);
    let from = regscope::digest::short(&trees.index.root.digest);
    assert!(
        screen.contains(&format!(
            "moved from {from} between 40 min ago and 12 min ago, now"
        )),
        "{screen}"
    );
    // Where a registry's API gave the push time, that is when it moved.
    app.update(moved(MovedWhen::Pushed(mins(25))));
    let screen = render(&app);
    assert!(
        screen.contains(&format!(
            "moved 25 min ago from {from} (the registry's push time), now"
        )),
        "{screen}"
    );
}

#[tokio::test]
async fn w_watches_the_tags_and_says_when_it_last_polled_and_w_again_stops() {
    let trees = trees().await;
    // Every row resolves (no `slow`): the spinner gives the place to the label.
    let list: Vec<String> = ["latest", "single", "v7"].map(String::from).to_vec();
    let mut app = tags_app((120, 40), Some(&trees), Ok(list.clone()));
    let effects = cmd(&mut app, Command::Watch);
    let Some(Effect::Watch { id, tags, .. }) = effects.first() else {
        panic!("W asks the worker to watch: {effects:?}");
    };
    assert_eq!(tags, &list, "every tag is watched");
    let id = *id;
    assert!(render(&app).contains("watching 3 tags every 30s; W stops"));
    // The flash expires: the status line's right end says what is watched.
    for _ in 0..200 {
        app.update(Action::Tick);
    }
    assert!(
        render(&app).contains("first poll under way"),
        "{}",
        render(&app)
    );
    app.update(Action::Watched {
        id,
        update: regscope::tui::views::watch::Update::Polled(checked(), 3),
    });
    let screen = render(&app);
    let label = "watching 3 tags, every 30s, last poll 12:03:41 UTC";
    assert!(screen.contains(label), "{screen}");
    // A tag the watch's listing no longer has leaves it: the next round says so.
    app.update(Action::Watched {
        id,
        update: regscope::tui::views::watch::Update::Polled(checked(), 2),
    });
    let screen = render(&app);
    assert!(screen.contains("watching 2 tags, every 30s"), "{screen}");
    assert!(cmd(&mut app, Command::Watch).is_empty(), "W again stops");
    let screen = render(&app);
    assert!(screen.contains("stopped watching"), "{screen}");
    assert!(!screen.contains("watching 3"), "{screen}");
}

/// The files view as dive shows an image (issue 23), on the dive fixture's three layers
/// (tests/support/layers.rs `dive_layers`, figures hand-computed in src/layers/waste.rs):
/// every layer merged, then layer 2 chosen with its changes marked, then layer 3's changes
/// only, at both sizes.
#[tokio::test]
async fn files_view_layers_marks_and_wasted_space() {
    use regscope::analysis::files::Facts;
    use regscope::layers::merge::entry;
    use regscope::layers::EntryKind::{Dir, File, Opaque, Whiteout};
    use regscope::layers::{LayerListing, Limits};
    use regscope::tui::views::files::LoadedFiles;

    let layer = |entries| LayerListing {
        entries,
        ..LayerListing::default()
    };
    let fs = regscope::layers::merge(
        vec![
            (
                "l1".into(),
                layer(vec![
                    entry("etc", Dir, 0, None),
                    entry("etc/app.conf", File, 100, None),
                    entry("etc/remove-me", File, 50, None),
                    entry("opt", Dir, 0, None),
                    entry("opt/old/a", File, 30, None),
                    entry("data", Dir, 0, None),
                    entry("data/big", File, 1000, None),
                    entry("bin/tool", File, 10, None),
                ]),
            ),
            (
                "l2".into(),
                layer(vec![
                    entry("etc/app.conf", File, 120, None),
                    entry("etc/remove-me", Whiteout, 0, None),
                    entry("opt", Opaque, 0, None),
                    entry("opt/new", File, 5, None),
                    entry("data", Whiteout, 0, None),
                ]),
            ),
            ("l3".into(), layer(vec![entry("bin/tool", File, 10, None)])),
        ],
        &Limits::default(),
    );
    let loaded = Arc::new(LoadedFiles {
        fs,
        facts: Facts::default(),
        findings: Vec::new(),
    });
    let trees = trees().await;
    let open = |size| {
        let mut app = tree_app(size, Some(Ok(trees.image.clone())));
        let effects = cmd(&mut app, Command::Files);
        let Some(Effect::LoadFiles { id, .. }) = effects.first() else {
            panic!("f asked for no files: {effects:?}");
        };
        app.update(Action::FilesLoaded {
            id: *id,
            result: Ok(loaded.clone()),
        });
        app
    };
    // Merged: bin/ (implied, no layer), etc/ and opt/ (L1); wasted 290 B, 92.26%.
    snap("files_merged", open);
    // Layer 2 chosen, in etc/: app.conf C (its 120-byte L2 copy), remove-me R (L1's 50 B).
    snap("files_layer2_etc", |size| {
        let mut app = open(size);
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Open);
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::Down);
        cmd(&mut app, Command::Down);
        app
    });
    // Back in the tree, the manifest's row says what the files measured: dive's efficiency
    // (2145/2325, waste.rs) and the bytes every layer writes (1,190 + 125 + 10 = 1,325 B).
    let mut app = open((120, 40));
    cmd(&mut app, Command::Back);
    let screen = render(&app);
    assert!(
        screen.contains("92.26% efficient, 1.3 KiB unpacked"),
        "{screen}"
    );
    // Layer 1 chosen: the step that made it, whole, wrapped under the list (which cuts it).
    snap("files_layer1_step", |size| {
        let mut app = open(size);
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::Down);
        app
    });
    // Layer 3, changes only, at the root: bin/ alone (tool rewritten, same bytes).
    snap("files_layer3_changes_only", |size| {
        let mut app = open(size);
        cmd(&mut app, Command::FocusNext);
        cmd(&mut app, Command::Bottom);
        cmd(&mut app, Command::ChangesOnly);
        app
    });
}

/// unsigned-index with a cosign signature (found through its `.sig` tag) under the root, and
/// the policy's verdicts on it as the worker makes them: `result` on that signature.
fn signed(
    index: &Inspected,
    result: Option<Result<(), regscope::verify::Reason>>,
) -> Arc<Inspected> {
    use regscope::model::{Descriptor, Kind, Node};
    use regscope::verify::{Checked, Verdict};
    let mut root = index.root.clone();
    let desc = |media: &str, hex: char| -> Descriptor {
        serde_json::from_value(serde_json::json!({
            "mediaType": media,
            "digest": format!("sha256:{}", hex.to_string().repeat(64)),
            "size": 10,
        }))
        .unwrap()
    };
    let mut signature = Node::from_descriptor(
        Kind::Referrer,
        &desc("application/vnd.oci.image.manifest.v1+json", 'c'),
    );
    let mut origin = regscope::attachments::Origin::default();
    let tag = format!("{}.sig", root.digest.replace(':', "-"));
    origin.add(regscope::attachments::Source::CosignTag, Some(&tag));
    signature.origin = Some(origin);
    signature.children.push(Node::from_descriptor(
        Kind::Layer,
        &desc(regscope::attachments::COSIGN_SIMPLE_SIGNING, 'd'),
    ));
    let signatures = match result {
        None => Checked::NoPolicy,
        Some(result) => Checked::Verdicts {
            policy: "[verify.\"registry.test:5000/team/*\"]".into(),
            key: "cosign.pub".into(),
            satisfied: result.is_ok(),
            kinds: regscope::verify::Kinds {
                key: true,
                ..regscope::verify::Kinds::default()
            },
            verdicts: vec![Verdict {
                signature: signature.digest.clone(),
                subject: root.digest.clone(),
                subject_label: "index".into(),
                found: "a cosign tag".into(),
                docker_reference: None,
                attestation: false,
                predicate_type: None,
                result,
                notes: Vec::new(),
                signer: None,
            }],
        },
    };
    root.children.push(signature);
    Arc::new(Inspected {
        reference: index.reference.clone(),
        findings: regscope::analysis::analyze(&root),
        root,
        checked: checked(),
        listed: Vec::new(),
        signatures,
        files_opened: false,
    })
}

/// The signature policy in both views (TestBackend): the tag row's `S✓` / `S✗` / `S?`, the
/// tree's root mark, the signature row's verdict in a few words and its whole reason in the
/// detail pane; verified in green, failed in red.
#[tokio::test]
async fn signature_verdicts_mark_the_tag_row_the_root_and_the_signature_row() {
    use regscope::verify::Reason;
    let trees = trees().await;
    let other = Reason::OtherImage {
        signed: format!("sha256:{}", "e".repeat(64)),
    };
    for (result, badge, root_words, row_words, colour) in [
        (
            Some(Ok(())),
            "S✓BP",
            Some("S✓ signed"),
            "S✓ verified",
            Color::Green,
        ),
        (
            Some(Err(other)),
            "S✗BP",
            Some("S✗ not signed by the policy's key"),
            "S✗ signs another image",
            Color::Red,
        ),
        (None, "S?BP", None, "S? no policy", Color::DarkGray),
    ] {
        let tree = signed(&trees.index, result.clone());
        // The tag row.
        let start = Start::Repository {
            registry: REGISTRY.into(),
            repository: "team/app".into(),
        };
        let (mut app, effects) = App::new(start, true, (140, 30));
        let pending = app.update(Action::TagsLoaded {
            id: effects[0].id(),
            result: Ok(regscope::registry::TagListing {
                tags: vec!["v7".into()],
                truncated: None,
            }),
        });
        let id = pending
            .iter()
            .find(|e| matches!(e, Effect::Inspect { .. }))
            .expect("the row resolves")
            .id();
        app.update(Action::Inspected {
            id,
            result: Ok(tree.clone()),
        });
        let buf = buffer(&app);
        let row = row_with(&buf, badge);
        if result.is_some() {
            assert!(row.iter().any(|c| c.symbol() == "S" && c.fg == colour));
        }

        // The tree: the root's mark, the signature row's verdict, its reason in the detail.
        let mut app = tree_app((140, 30), Some(Ok(tree)));
        let screen = render(&app);
        match root_words {
            Some(words) => assert!(line_with(&screen, "index").contains(words), "{screen}"),
            None => assert!(!line_with(&screen, "index").contains(" S"), "{screen}"),
        }
        let buf = buffer(&app);
        let row = row_with(&buf, row_words);
        assert!(row
            .iter()
            .any(|c| c.symbol() == "✓" || c.symbol() == "✗" || c.symbol() == "?"));
        assert!(row.iter().any(|c| c.fg == colour), "{screen}");
        cmd(&mut app, Command::Bottom);
        let screen = render(&app);
        let expected = match &result {
            Some(Ok(())) => "signature policy: S✓ verified with cosign.pub".to_string(),
            // The reason wraps in the pane: its first words.
            Some(Err(_)) => "signature policy: S✗ signs".to_string(),
            None => "signature policy: S? read, not verified".to_string(),
        };
        assert!(screen.contains(&expected), "{screen}");
    }
}

/// Figures an earlier run kept on disk say how old they are on the tree rows (`measured 3 h
/// ago`; a record from before the time was kept, `from the cache`), for an index's platforms,
/// those of an index nested in it, and a single manifest at the root.
#[tokio::test]
async fn kept_figures_say_how_old_they_are_on_every_kind_of_tree() {
    use regscope::layers::measured::{manifests_in, Measured};
    use regscope::model::Kind;
    use std::collections::HashMap;

    let trees = trees().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let kept = |at: u64| Measured {
        bytes: 1300,
        efficiency: 0.9226,
        measured_at: at,
        wasted: Some(290),
        from_cache: true,
        past_limits: false,
    };
    let platforms = manifests_in(&trees.index.root);
    assert_eq!(platforms.len(), 2);
    let figures: HashMap<String, Measured> = [
        (platforms[0].digest.clone(), kept(now - 3 * 3600 - 5)),
        (platforms[1].digest.clone(), kept(0)),
    ]
    .into();
    let amd = platforms[0].platform.as_ref().unwrap().to_string();
    let arm = platforms[1].platform.as_ref().unwrap().to_string();
    let expect = |screen: &str| {
        assert!(
            line_with(screen, &amd)
                .contains("92.26% efficient, 1.3 KiB unpacked (measured 3 h ago)"),
            "{screen}"
        );
        assert!(
            line_with(screen, &arm).contains("92.26% efficient, 1.3 KiB unpacked (from the cache)"),
            "{screen}"
        );
    };
    let mut app = tree_app((160, 40), Some(Ok(trees.index.clone())));
    app.update(Action::MeasuredKept(figures.clone()));
    expect(&render(&app));

    // The same index one level down in another: its platforms are found and shown as well.
    let mut outer = trees.index.root.clone();
    outer.digest = format!("sha256:{}", "e".repeat(64));
    outer.children = vec![trees.index.root.clone()];
    assert_eq!(outer.kind, Kind::Index);
    assert_eq!(manifests_in(&outer).len(), 2);
    let nested = Arc::new(Inspected {
        root: outer,
        ..(*trees.index).clone()
    });
    let mut app = tree_app((160, 40), Some(Ok(nested)));
    app.update(Action::MeasuredKept(figures));
    // The nested index starts folded: its platforms show once it is expanded.
    assert!(!render(&app).contains("92.26%"));
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Toggle);
    expect(&render(&app));

    // A single manifest at the root: its own row.
    let root = &trees.image.root;
    assert_eq!(manifests_in(root).len(), 1);
    let mut app = tree_app((160, 40), Some(Ok(trees.image.clone())));
    // Judged past the config file's waste limits: the row says so, in the error colour.
    app.update(Action::MeasuredKept(
        [(
            root.digest.clone(),
            Measured {
                past_limits: true,
                ..kept(now - 120)
            },
        )]
        .into(),
    ));
    let screen = render(&app);
    assert!(
        screen.contains("92.26% efficient, 1.3 KiB unpacked (measured 2 min ago)  past the waste"),
        "{screen}"
    );
    let buf = buffer(&app);
    assert!(row_with(&buf, "past the waste")
        .iter()
        .any(|c| c.symbol() == "p" && c.fg == Color::Red));
}

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
        files_opened: false,
    })
}

fn tags_app(
    size: (u16, u16),
    trees: Option<&Trees>,
    tags: Result<Vec<String>, ConnectError>,
) -> App {
    let start = Start::Repository {
        registry: REGISTRY.into(),
        repository: "team/app".into(),
    };
    let (mut app, effects) = App::new(start, true, size);
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
    let other = row_with(&buf, "linux/arm64  sha256");
    assert!(!other.iter().any(|c| c.fg == Color::Red));
    let attestation = row_with(&buf, "attestation for linux/amd64  unknown/unknown");
    assert!(attestation
        .iter()
        .any(|c| c.symbol() == "E" && c.fg == Color::Red));
    assert!(attestation
        .iter()
        .any(|c| c.symbol() == "a" && c.fg == Color::Red));
    // Where the header has no room for it, the target gives way to the breadcrumbs.
    let mut narrow = tree_app((60, 24), Some(Ok(trees.index.clone())));
    narrow.set_target(target("lambda"));
    let header = render(&narrow).lines().next().unwrap().to_string();
    assert!(
        header.contains("› v7") && !header.contains("target"),
        "{header}"
    );
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

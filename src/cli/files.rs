//! `regscope files REF [--platform P] [PATH]`, and the `--files` checks of `inspect`/`check`:
//! layers streamed, merged and shown or checked.

use std::io::{IsTerminal as _, Write as _};

use super::args::{report_connection, ConnectionArgs};
use super::Failure;
use regscope::analysis::files::{self, Facts};
use regscope::analysis::layer_files::{check_manifest, Checked};
use regscope::layers::fetch::{filesystem, Progress};
use regscope::layers::platform_manifests;
use regscope::layers::Limits;
use regscope::model::{Node, Platform};
use regscope::output::{files as out, json};
use regscope::reference::ImageRef;
use regscope::registry::Fetcher;

/// A progress line on stderr while layers download (only when stderr is a terminal), over
/// every layer at once: `regscope: layers 3/7 done, 2 in flight, 45.1 of 106.0 MiB`.
pub(super) fn progress_line() -> impl Fn(Progress) + Sync {
    let tty = std::io::stderr().is_terminal();
    move |p: Progress| {
        if tty {
            eprint!("\r\x1b[2K{}", progress_text(&p));
        }
    }
}

/// The text of the progress line (what a terminal shows after clearing the line).
pub(super) fn progress_text(p: &Progress) -> String {
    format!("regscope: {}", regscope::present::layers_progress(p))
}

pub(super) fn end_progress() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// The file checks of `inspect --files` / `check --files`: each platform manifest of `root`
/// that fits one of `platforms` (every runnable one when there are none), each once.
pub async fn check_files(
    fetcher: &Fetcher,
    image: &ImageRef,
    root: &Node,
    platforms: &[Platform],
    deadline: std::time::Instant,
) -> Vec<Checked> {
    let repo = regscope::inspect::repo_of(image);
    let mut limits = Limits::default();
    let progress = progress_line();
    let mut manifests: Vec<&Node> = Vec::new();
    if platforms.is_empty() {
        manifests = platform_manifests(root, None);
    }
    for p in platforms {
        for m in platform_manifests(root, Some(p)).into_iter().take(1) {
            if !manifests.iter().any(|n| n.digest == m.digest) {
                manifests.push(m);
            }
        }
    }
    let mut out = Vec::new();
    for manifest in manifests {
        // What is left of the operation's --deadline: past it, each platform says it was not
        // checked rather than waiting.
        limits.deadline = deadline.saturating_duration_since(std::time::Instant::now());
        out.push(check_manifest(fetcher, &repo, manifest, &limits, &progress).await);
    }
    end_progress();
    out
}

/// One line per checked platform: its OS, what it starts, its CA bundle.
#[must_use]
pub fn summary_lines(checked: &[Checked]) -> Vec<String> {
    checked
        .iter()
        .map(|c| {
            let Some(f) = &c.facts else {
                return format!("files of {}: not checked (see the findings)", c.platform);
            };
            let starts = f.command.as_ref().map_or_else(String::new, |cmd| {
                format!(
                    "; starts {cmd}{}{}",
                    f.resolved
                        .as_deref()
                        .map(|r| format!(" -> {r}"))
                        .unwrap_or_default(),
                    f.program
                        .as_deref()
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default()
                )
            });
            let ca = f.ca_bundle.as_deref().map_or_else(
                || "; no CA bundle".to_string(),
                |c| format!("; CA bundle {c}"),
            );
            format!(
                "files of {} ({}): {}{starts}{ca}{}",
                c.platform,
                regscope::digest::short(&c.digest),
                f.os,
                c.from_cache
                    .map(|at| format!("; {}", from_cache(at)))
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// `from the cache, measured 3 hours ago`: figures read back rather than measured now.
pub(super) fn from_cache(measured_at: u64) -> String {
    if measured_at == 0 {
        return "from the cache".into();
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(measured_at);
    format!("from the cache, measured {}", super::args::age(at))
}

/// The JSON for the checked platforms.
#[must_use]
pub fn summary_json(checked: &[Checked]) -> serde_json::Value {
    checked
        .iter()
        .map(|c| {
            let mut doc =
                serde_json::json!({ "digest": c.digest, "platform": c.platform, "facts": c.facts });
            if let Some(at) = c.from_cache {
                doc["fromCache"] = serde_json::json!({ "measuredAt": at });
            }
            doc
        })
        .collect()
}

/// An image's tree, read to open its layers (`files`, `layers`).
pub struct OpenedTree {
    pub connection: std::sync::Arc<regscope::connect::Connection>,
    pub inspection: regscope::inspect::Inspection,
    deadline: std::time::Duration,
    started: std::time::Instant,
}

impl OpenedTree {
    /// What is left of the command's --deadline for the layers.
    pub fn left(&self) -> std::time::Duration {
        self.deadline.saturating_sub(self.started.elapsed())
    }
}

/// Connects for `image` and reads its tree: one --deadline for the whole command, the tree
/// first, then the layers (with [`OpenedTree::left`]).
pub async fn open_tree(
    image: &ImageRef,
    verbose: bool,
    connection: &ConnectionArgs,
) -> Result<OpenedTree, Failure> {
    let connector = connection.connector()?;
    let conn = connector
        .connect_to(image)
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    report_connection(&conn, verbose);
    let deadline = connector.settings().deadline;
    let started = std::time::Instant::now();
    let inspection = regscope::connect::within_deadline(
        deadline,
        &format!("the tree of {image}"),
        regscope::inspect::inspect(
            &conn.fetcher,
            image,
            &regscope::inspect::InspectOptions::default(),
        ),
    )
    .await
    .map_err(|e| Failure::runtime(conn.error(e).to_string()))?;
    Ok(OpenedTree {
        connection: conn,
        inspection,
        deadline,
        started,
    })
}

/// `regscope files`.
pub async fn run(
    reference: &str,
    platform: Option<&str>,
    path: Option<&str>,
    as_json: bool,
    verbose: bool,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let platform = platform
        .map(Platform::parse)
        .transpose()
        .map_err(Failure::usage)?;
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    let opened = open_tree(&image, verbose, connection).await?;
    let (conn, inspection) = (&opened.connection, &opened.inspection);
    let manifest = choose(&inspection.root, platform.as_ref())?;
    let limits = Limits {
        deadline: opened.left(),
        ..Limits::default()
    };
    let repo = regscope::inspect::repo_of(&image);
    let progress = progress_line();
    let fs = filesystem(&conn.fetcher, &repo, manifest, &limits, &progress).await;
    end_progress();
    let fs = fs
        .map_err(|e| Failure::runtime(regscope::sanitize::sanitize(&e.to_string()).into_owned()))?;
    let cfg = manifest.config_summary();
    let (found, facts) = cfg.map_or_else(
        || {
            let facts = Facts {
                os: files::os_name(&fs, limits.link_depth),
                ..Facts::default()
            };
            (Vec::new(), facts)
        },
        |cfg| files::check(&manifest.digest, cfg, &fs, limits.link_depth),
    );
    // Worded as `check --files` words them (the files' root detail joins `runs as root`).
    let mut findings = Vec::new();
    files::merge_into(&mut findings, found);
    let platform_label = cfg
        .map(regscope::analysis::config_platform)
        .map_or_else(|| "?".into(), |p| regscope::analysis::platform_label(&p));
    let header = out::Header {
        reference: &inspection.reference,
        manifest: &manifest.digest,
        platform: &platform_label,
        facts: &facts,
        findings: &findings,
        width: super::args::text_width(),
    };
    let not_found = |p: &str| {
        Failure::runtime(format!(
            "{} is not in the image (platform {platform_label})",
            regscope::sanitize::sanitize(p)
        ))
    };
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let doc = out::to_json(&header, &fs, path, limits.link_depth)
            .ok_or_else(|| not_found(path.unwrap_or("/")))?;
        let _ = writeln!(stdout, "{}", json::to_terminal_string(&doc));
    } else {
        let text = match path {
            Some(p) => {
                out::path_text(&header, &fs, p, limits.link_depth).ok_or_else(|| not_found(p))?
            }
            None => out::listing_text(&header, &fs),
        };
        let _ = write!(stdout, "{text}");
    }
    Ok(0)
}

/// The platform manifest to open: the one fitting `platform`, the only one, or linux/amd64.
pub(super) fn choose<'a>(root: &'a Node, platform: Option<&Platform>) -> Result<&'a Node, Failure> {
    let all = platform_manifests(root, None);
    let labels = || {
        all.iter()
            .filter_map(|n| {
                n.config_summary()
                    .map(regscope::model::config::ConfigSummary::platform_string)
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(p) = platform {
        return platform_manifests(root, Some(p))
            .into_iter()
            .next()
            .ok_or_else(|| {
                Failure::runtime(format!(
                    "the image has no {p} manifest (it has: {})",
                    labels()
                ))
            });
    }
    match all.as_slice() {
        [] => Err(Failure::runtime(
            "the image has no runnable image manifest to open (an artifact or attestation?)",
        )),
        [only] => Ok(only),
        _ => platform_manifests(root, Some(&Platform::new("linux", "amd64", None)))
            .into_iter()
            .next()
            .ok_or_else(|| {
                Failure::usage(format!(
                    "the image has several platforms ({}); pick one with --platform",
                    labels()
                ))
            }),
    }
}

//! The TUI's entry points: `regscope [TARGET]`, `tui`, `demo`, and `serve` (layouts as a registry).

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::args::ConnectionArgs;
use super::Failure;
use regscope::analysis::Target;
use regscope::connect::{Connector, Settings};
use regscope::inspect::{inspect, InspectOptions};
use regscope::output::{style::Style, text};
use regscope::reference::ImageRef;
use regscope::report::{Fetched, Report};
use regscope::tui::Start;

/// The TUI at `target` (a registry, `registry/repository` or reference), or the registry list,
/// connected with the same flags, config file and credentials as `inspect`; tags are judged
/// against `deploy` (`--target`), else the config file's `target`.
pub async fn open(
    target: Option<&str>,
    deploy: Option<&str>,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let connector = connection.connector()?;
    let deploy = match deploy {
        Some(t) => Some(Target::parse(t).map_err(|e| Failure::usage(format!("--target: {e}")))?),
        None => connector.config().target.clone(),
    };
    let start = match target {
        Some(t) => Start::parse(t).map_err(|e| Failure::usage(e.to_string()))?,
        None => Start::Registries(
            connector
                .known_registries()
                .into_iter()
                .map(|(r, _)| r)
                .collect(),
        ),
    };
    run_tui(start, connector, deploy, true).await
}

/// The TUI; `remember_recent` is off for the demo, whose registry is gone with its random port.
async fn run_tui(
    start: Start,
    connector: Connector,
    target: Option<Target>,
    remember_recent: bool,
) -> Result<u8, Failure> {
    regscope::tui::run(start, Arc::new(connector), target, remember_recent)
        .await
        .map(|()| 0)
        .map_err(|e| Failure::runtime(e.to_string()))
}

/// `regscope demo`: the embedded registry, then the TUI on it, a tour of its highlights, or
/// serving until Ctrl-C.
pub async fn demo(keep_serving: bool, tour: bool, addr: Option<SocketAddr>) -> Result<u8, Failure> {
    let addr = addr.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
    let server = regscope::serve::start_repos(
        addr,
        regscope::demo::repositories(),
        regscope::serve::Faults::default(),
    )
    .await
    .map_err(|e| Failure::runtime(format!("cannot start the demo registry on {addr}: {e}")))?;
    let host = server.host();
    if keep_serving {
        println!("demo registry serving on http://{host} (read-only); try:\n  regscope inspect {host}/team/app:v7\nCtrl-C stops it.");
        server
            .run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        return Ok(0);
    }
    // The demo needs no credentials and no config: it must start whatever the user's setup.
    let connector =
        Connector::isolated(Settings::default()).map_err(|e| Failure::runtime(e.to_string()))?;
    if !tour && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        let result = run_tui(story_start(&host), connector, story_target(), false).await;
        server.shutdown().await;
        return result;
    }
    let out = tour_text(&connector, &host).await?;
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(0)
}

/// The demo opens on the story: the tags of the tour's first case with a deployment target (the
/// ECR-to-Lambda failure), Esc leading back to the whole catalog.
fn story_start(host: &str) -> Start {
    let story = regscope::demo::TOUR
        .iter()
        .find(|(_, _, target)| target.is_some());
    let repository = story.and_then(|(reference, _, _)| reference.split(':').next());
    match repository {
        Some(repository) => Start::Repository {
            registry: host.to_string(),
            repository: repository.to_string(),
        },
        None => Start::Registry(host.to_string()),
    }
}

/// The target of that case (`lambda`).
fn story_target() -> Option<Target> {
    regscope::demo::TOUR
        .iter()
        .find_map(|(_, _, target)| target.and_then(|t| Target::parse(t).ok()))
}

/// Every highlight of the demo as `inspect`/`check` would print it.
async fn tour_text(connector: &Connector, host: &str) -> Result<String, Failure> {
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = Style { color };
    let mut out = String::new();
    out.push_str(&format!("regscope demo: a read-only registry on http://{host} with real BuildKit output and crafted failures.\n"));
    out.push_str(&format!(
        "(keep it running with `regscope demo --serve`; point regscope or skopeo at {host})\n\n"
    ));
    for (reference, what, target) in regscope::demo::TOUR {
        let full = format!("{host}/{reference}");
        out.push_str(&style.bold(&format!("== {what}")));
        out.push('\n');
        let image = ImageRef::parse(&full).map_err(|e| Failure::usage(e.to_string()))?;
        let connection = connector
            .connect_to(&image)
            .await
            .map_err(|e| Failure::runtime(e.to_string()))?;
        match inspect(&connection.fetcher, &image, &InspectOptions::default()).await {
            Ok(inspection) => {
                let target = target.and_then(|t| Target::parse(t).ok());
                match &target {
                    Some(t) => out.push_str(&format!("$ regscope check --target {t} {full}\n")),
                    None => out.push_str(&format!("$ regscope inspect {full}\n")),
                }
                let fetched = Fetched {
                    orphaned: &inspection.orphaned,
                    attachments_looked_up: inspection.attachments_looked_up,
                    ..Fetched::tree(&inspection.root)
                };
                let report = Report::of(&fetched, target.as_ref());
                out.push_str(&text::render(
                    &inspection,
                    &report.findings,
                    style,
                    super::args::text_width(),
                ));
            }
            Err(e) => out.push_str(&format!("error: {}\n", connection.error(e))),
        }
        out.push('\n');
    }
    Ok(out)
}

/// `regscope serve`: local OCI layouts as a read-only registry until Ctrl-C.
pub async fn serve_layouts(specs: &[String], addr: SocketAddr) -> Result<u8, Failure> {
    let mut layouts = Vec::new();
    for spec in specs {
        let (name, path) = if let Some((n, p)) = spec.split_once('=') {
            (n.to_string(), PathBuf::from(p))
        } else {
            let path = PathBuf::from(spec);
            let name = path
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_lowercase()))
                .unwrap_or_else(|| "image".into());
            (name, path)
        };
        layouts.push(regscope::serve::Layout::new(name, path));
    }
    let names: Vec<String> = layouts.iter().map(|l| l.repository.clone()).collect();
    let server = regscope::serve::start_on(addr, layouts, regscope::serve::Faults::default())
        .await
        .map_err(|e| Failure::runtime(format!("cannot serve on {addr}: {e}")))?;
    println!(
        "serving {} on http://{} (read-only); Ctrl-C stops it.",
        names.join(", "),
        server.host()
    );
    server
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(0)
}

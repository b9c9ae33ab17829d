//! `regscope history REPO[:TAG]` (where each tag pointed, from the cache's log) and
//! `regscope watch REF...` (each change as it happens).

use std::io::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use super::args::ConnectionArgs;
use super::Failure;
use regscope::history::poll::{self, Event, WatchOptions};
use regscope::history::report::{self, time};
use regscope::history::watch::{event_json, event_text};
use regscope::history::{moved_when, MovedWhen};
use regscope::output::json::{to_terminal_line, to_terminal_string};
use regscope::reference::{ImageRef, RegistryRef};
use regscope::sanitize::sanitize;

/// `regscope history`'s arguments.
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// `REGISTRY/REPOSITORY` (every tag regscope has resolved) or `REGISTRY/REPOSITORY:TAG`.
    reference: String,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// `regscope watch`'s arguments.
#[derive(clap::Args, Debug)]
pub struct WatchArgs {
    /// Tags to watch (`127.0.0.1:5000/team/app:v1`), or one repository (every tag of it).
    #[arg(required_unless_present = "map", value_name = "REF")]
    references: Vec<String>,
    /// Watch the tags a promotion map names (the `diff --map` file: `SOURCE_REPO TARGET_REPO [TAG_GLOB]` a line): each matching tag of the source, on both sides.
    #[arg(long, value_name = "FILE", conflicts_with = "references")]
    map: Option<std::path::PathBuf>,
    /// Time between two polls of a tag (`30s`, `5m`, `1h`); errors and 429s wait longer.
    #[arg(long, default_value = "30s", value_parser = poll::parse_interval)]
    interval: Duration,
    /// Stop after polling every tag N times (default: until Ctrl-C).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Print one JSON object per event, one per line.
    #[arg(long)]
    json: bool,
    /// Run this shell command for each event, with the event as JSON on its stdin (one at a time; stopped after 30s).
    #[arg(long, value_name = "CMD")]
    exec: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// How long an `--exec` command may run for one event before it is killed.
const EXEC_TIMEOUT: Duration = Duration::from_secs(30);

fn registry_ref(reference: &str) -> Result<RegistryRef, Failure> {
    match ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))? {
        ImageRef::Registry(r) if r.digest.is_none() => Ok(r),
        ImageRef::Registry(_) => Err(Failure::usage(format!(
            "`{}` names a digest, which never moves; give a repository or a tag",
            sanitize(reference)
        ))),
        ImageRef::Layout(_) => Err(Failure::usage(
            "an OCI layout has no registry history; give REGISTRY/REPOSITORY[:TAG]",
        )),
    }
}

/// Whether `reference` was written with a tag (`ImageRef::parse` may default one).
fn has_tag(reference: &str) -> bool {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    name.contains(':')
}

/// `regscope history REPO[:TAG]`: exit 0 with a history, 1 when the log has none.
pub async fn run_history(args: &HistoryArgs) -> Result<u8, Failure> {
    let (reference, json, connection) = (args.reference.as_str(), args.json, &args.connection);
    let target = registry_ref(reference)?;
    let tag = has_tag(reference).then(|| target.tag.clone()).flatten();
    let connector = connection.connector()?;
    let Some(report) = report::load(&connector, &target, tag.as_deref()).await else {
        return Err(Failure::usage(
            "the history is kept in the on-disk cache, and this run has none (--no-cache, or no HOME nor XDG_CACHE_HOME); run without --no-cache",
        ));
    };
    if report.tags.is_empty() {
        let shown = match &tag {
            Some(t) => format!("{}:{t}", target.name()),
            None => target.name(),
        };
        let dir = connector
            .disk_cache()
            .map(|c| c.dir().display().to_string())
            .unwrap_or_default();
        eprintln!(
            "regscope: no history of {} in {dir}: it is written each time regscope resolves a tag (inspect, the TUI, watch); a loopback registry is cached only when REGSCOPE_CACHE_DIR is set",
            sanitize(&shown)
        );
        return Ok(1);
    }
    let mut stdout = std::io::stdout().lock();
    if json {
        let _ = writeln!(stdout, "{}", to_terminal_string(&history_json(&report)));
    } else {
        let _ = write!(stdout, "{}", report::text(&report));
    }
    Ok(0)
}

fn history_json(report: &report::Report) -> Value {
    let target = &report.target;
    let tags: Vec<Value> = report
        .tags
        .iter()
        .map(|(h, moves)| {
            let digests: Vec<Value> = h
                .stints
                .iter()
                .map(|s| {
                    let mut digest = json!({
                        "digest": s.digest.to_string(),
                        "firstSeen": time(s.first_seen),
                        "lastSeen": time(s.last_seen),
                        "sightings": s.sightings,
                    });
                    // The registry's claim, apart from what regscope saw.
                    if let Some(p) = s.pushed {
                        digest["pushed"] = json!({"at": time(p), "by": "registry"});
                    }
                    digest
                })
                .collect();
            let moves: Vec<Value> = h
                .moves()
                .zip(moves)
                .map(|((from, to), changes)| {
                    let when = match moved_when(from, to) {
                        MovedWhen::Pushed(at) => json!({"pushed": time(at)}),
                        MovedWhen::Between(after, before) => {
                            json!({"after": time(after), "before": time(before)})
                        }
                    };
                    json!({
                        "from": from.digest.to_string(),
                        "to": to.digest.to_string(),
                        "when": when,
                        "changes": changes,
                    })
                })
                .collect();
            json!({ "tag": h.tag, "digests": digests, "moves": moves })
        })
        .collect();
    json!({
        "registry": target.registry,
        "repository": target.repository,
        "tags": tags,
    })
}

/// `regscope watch REF...`: runs until `--count` polls of every tag (or Ctrl-C); exit 0.
pub async fn run_watch(args: &WatchArgs) -> Result<u8, Failure> {
    let (interval, json, exec) = (args.interval, args.json, args.exec.as_deref());
    if args.connection.cache.offline {
        return Err(Failure::usage(
            "watch asks the registry what each tag names; it cannot run --offline",
        ));
    }
    let mut targets = Vec::new();
    let mut repository = None;
    for r in &args.references {
        let mut target = registry_ref(r)?;
        target.digest = None;
        if has_tag(r) {
            targets.push(target);
        } else if args.references.len() == 1 {
            target.tag = None;
            repository = Some(target);
        } else {
            return Err(Failure::usage(format!(
                "`{}` names no tag: watch one repository alone (every tag of it), or tags (REGISTRY/REPOSITORY:TAG)",
                sanitize(r)
            )));
        }
    }
    if targets.len() > poll::MAX_TAGS {
        return Err(Failure::usage(format!(
            "watch follows at most {} tags at once",
            poll::MAX_TAGS
        )));
    }
    let connector = args.connection.connector()?;
    if let Some(path) = &args.map {
        targets = map_targets(&connector, path).await?;
    }
    let every = interval.max(poll::MIN_INTERVAL).as_secs();
    match &repository {
        Some(r) => eprintln!(
            "regscope: watching every tag of {} (at most {}) every {every}s",
            sanitize(&r.name()),
            poll::MAX_TAGS
        ),
        None => eprintln!(
            "regscope: watching {} tag{} every {every}s",
            targets.len(),
            if targets.len() == 1 { "" } else { "s" },
        ),
    }
    let options = WatchOptions {
        interval,
        count: args.count,
        repository,
        targets_listed: false,
    };
    let on_event = async |event: Event| report(&event, json, exec).await;
    tokio::select! {
        () = poll::run(&connector, targets, &options, on_event) => {}
        _ = tokio::signal::ctrl_c() => eprintln!("regscope: stopped watching"),
    }
    Ok(0)
}

/// The tags the map file at `path` names (see [`regscope::history::map`]); what could not be
/// listed is said on stderr. A file that cannot be read or a malformed line is a usage error.
async fn map_targets(
    connector: &regscope::connect::Connector,
    path: &std::path::Path,
) -> Result<Vec<RegistryRef>, Failure> {
    use std::io::Read as _;
    let shown = sanitize(&path.display().to_string()).into_owned();
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(regscope::diff::map::MAX_BYTES as u64 + 1)
                .read_to_string(&mut text)
        })
        .map_err(|e| Failure::usage(format!("--map {shown}: cannot read it: {e}")))?;
    let found = regscope::history::map::targets(connector, &text, poll::MAX_TAGS)
        .await
        .map_err(|e| Failure::usage(format!("--map {shown}: {e}")))?;
    for note in &found.notes {
        eprintln!("regscope: --map {shown}: {note}");
    }
    if found.targets.is_empty() {
        return Err(Failure::runtime(format!("--map {shown}: no tag to watch")));
    }
    Ok(found.targets)
}

/// Prints one event (a line of text or JSON) and runs `--exec` with its JSON on stdin.
async fn report(event: &Event, json: bool, exec: Option<&str>) {
    let doc = event_json(
        &event.reference,
        &event.kind,
        &event.changes,
        &time(event.at),
    );
    let line = if json {
        to_terminal_line(&doc)
    } else {
        format!(
            "{} {}",
            time(event.at),
            sanitize(&event_text(&event.reference, &event.kind, &event.changes))
        )
    };
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }
    if let Some(command) = exec {
        if let Err(why) = run_exec(command, &doc.to_string()).await {
            eprintln!("regscope: --exec for a {} event: {why}", event.kind.name());
        }
    }
}

/// Runs `command` through the shell with `input` on stdin, killed after [`EXEC_TIMEOUT`].
async fn run_exec(command: &str, input: &str) -> Result<(), String> {
    use tokio::io::AsyncWriteExt as _;
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start `sh -c`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is not an error.
        let _ = stdin.write_all(input.as_bytes()).await;
        let _ = stdin.write_all(b"\n").await;
    }
    match tokio::time::timeout(EXEC_TIMEOUT, child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("the command exited with {status}")),
        Ok(Err(e)) => Err(format!("cannot wait for the command: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!(
                "the command ran longer than {}s and was stopped",
                EXEC_TIMEOUT.as_secs()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_told_from_a_port() {
        assert!(has_tag("127.0.0.1:5000/team/app:v1"));
        assert!(!has_tag("127.0.0.1:5000/team/app"));
    }
}

//! `regscope ls REGISTRY[/NAMESPACE] [PATTERN] [--tags] [--search WORD] [--json]`: the
//! scriptable form of the TUI's repositories view, from the same listing code.

use std::io::Write as _;

use serde_json::json;

use super::args::{report_connection, ConnectionArgs};
use super::Failure;
use regscope::connect::{Connector, Location};
use regscope::listing::glob::{matches, Pattern};
use regscope::listing::{self, Listing, Native, Tag};
use regscope::sanitize::sanitize;

/// Repositories whose tags are listed at most in one run.
const MAX_TAGGED_REPOSITORIES: usize = 500;

/// `regscope ls`'s arguments.
#[derive(clap::Args, Debug)]
pub struct LsArgs {
    /// `REGISTRY` or `REGISTRY/NAMESPACE` (`docker.io/alice`, `ghcr.io/acme`, `127.0.0.1:5000/team`).
    target: String,
    /// Only names matching this glob: `team/*`; `team/*:v1.*` matches tags too (and implies --tags).
    pattern: Option<String>,
    /// List each repository's tags (Docker Hub: with push time and platforms; GHCR: untagged versions too).
    #[arg(long)]
    tags: bool,
    /// Search Docker Hub's public repositories for WORD (docker.io only; public results, not your namespaces).
    #[arg(long, value_name = "WORD")]
    search: Option<String>,
    /// Print one JSON document instead of lines.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Lists, prints, and exits 3 when something could not be listed.
pub async fn run(args: &LsArgs) -> Result<u8, Failure> {
    let (target, as_json, connection) = (args.target.as_str(), args.json, &args.connection);
    let pattern = args.pattern.as_deref();
    let tags = args.tags;
    let (registry, namespace) = match target.split_once('/') {
        Some((r, ns)) => (
            r,
            Some(ns.trim_end_matches('/')).filter(|ns| !ns.is_empty()),
        ),
        None => (target, None),
    };
    if registry.is_empty() || namespace.is_some_and(|ns| ns.contains(['*', '?', ':'])) {
        return Err(Failure::usage(format!(
            "`{}` is not REGISTRY[/NAMESPACE]; a pattern goes after it: `regscope ls docker.io/alice 'app-*'`",
            sanitize(target)
        )));
    }
    if args.search.is_some()
        && (namespace.is_some()
            || listing::Service::of(registry) != Some(listing::Service::DockerHub))
    {
        return Err(Failure::usage(format!(
            "--search searches Docker Hub's public repositories: `regscope ls docker.io --search WORD`, not `{}`",
            sanitize(target)
        )));
    }
    let pattern = pattern.map(Pattern::parse);
    let tags = tags || pattern.as_ref().is_some_and(|p| p.tag.is_some());
    let connector = connection.connector()?;
    let deadline = connector.settings().deadline;
    let (listing, rows) = regscope::connect::within_deadline(
        deadline,
        &format!("the listing of {}", sanitize(target)),
        list(
            &connector,
            (registry, namespace),
            args.search.as_deref(),
            pattern.as_ref(),
            tags,
        ),
    )
    .await
    .map_err(|e| Failure::runtime(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let _ = writeln!(
            stdout,
            "{}",
            regscope::output::json::to_terminal_string(&document(
                registry, namespace, &listing, &rows, tags
            ))
        );
    } else {
        eprintln!("regscope: from {}", listing.source);
        for gap in &listing.gaps {
            eprintln!("regscope: could not list {gap}");
        }
        for (repo, tags_of) in &rows {
            match tags_of {
                None => {
                    let _ = writeln!(stdout, "{}", sanitize(repo));
                }
                Some(list) => {
                    for t in list {
                        let _ = writeln!(stdout, "{}", tag_line(repo, t));
                    }
                }
            }
        }
    }
    Ok(if listing.gaps.is_empty() { 0 } else { 3 })
}

/// The repositories (and with `tags`, each one's tags) matching `pattern`; what could not be
/// listed goes into the listing's gaps.
async fn list(
    connector: &Connector,
    (registry, namespace): (&str, Option<&str>),
    search: Option<&str>,
    pattern: Option<&Pattern>,
    tags: bool,
) -> Result<(Listing, Vec<(String, Option<Vec<Tag>>)>), regscope::connect::ConnectError> {
    let native = Native::for_registry(registry, connector.config());
    let mut listing = match (search, native.as_ref()) {
        (Some(query), Some(hub)) => hub.search(connector, query).await?,
        _ => repositories(connector, native.as_ref(), registry, namespace).await?,
    };
    let wanted: Vec<String> = listing
        .repositories
        .iter()
        .filter(|r| pattern.is_none_or(|p| matches(&p.repository, r)))
        .cloned()
        .collect();
    if !tags {
        return Ok((listing, wanted.into_iter().map(|r| (r, None)).collect()));
    }
    let mut rows = Vec::new();
    if wanted.len() > MAX_TAGGED_REPOSITORIES {
        listing.gaps.push(format!(
            "the tags of {} repositories past the first {MAX_TAGGED_REPOSITORIES}: narrow the pattern",
            wanted.len() - MAX_TAGGED_REPOSITORIES
        ));
    }
    // Harbor is recognised only while listing (once the catalog is refused).
    let native = native.or_else(|| listing.native.clone());
    for repo in wanted.into_iter().take(MAX_TAGGED_REPOSITORIES) {
        let mut found = match native.as_ref() {
            Some(n) => match n.tags(connector, &repo).await {
                Ok(t) => {
                    listing
                        .gaps
                        .extend(t.gaps.iter().map(|g| format!("{repo}: {g}")));
                    t.tags
                }
                // The service's API refused (a token without the scope, a package it does
                // not show): the registry's own tag list still names the tags.
                Err(e) => {
                    listing.gaps.push(format!(
                        "the tags of {repo} with their dates: {e}; the tags are listed from the registry instead"
                    ));
                    registry_tags(connector, registry, &repo, &mut listing).await?
                }
            },
            None => registry_tags(connector, registry, &repo, &mut listing).await?,
        };
        if let Some(tag_pattern) = pattern.and_then(|p| p.tag.as_deref()) {
            found.retain(|t| matches(tag_pattern, &t.name));
        }
        rows.push((repo, Some(found)));
    }
    Ok((listing, rows))
}

/// The repositories from the service's API; where there is none, or it fails and the
/// registry offers its catalog after all, from the catalog.
async fn repositories(
    connector: &Connector,
    native: Option<&Native>,
    registry: &str,
    namespace: Option<&str>,
) -> Result<Listing, regscope::connect::ConnectError> {
    let native_error = match native {
        Some(n) => match n.repositories(connector, namespace).await {
            Ok(listing) => return Ok(listing),
            Err(e) => Some(e),
        },
        None => None,
    };
    let conn = connector
        .connect(&Location::Registry(registry.to_string()))
        .await?;
    report_connection(&conn, false);
    match (
        listing::catalog(connector, &conn, namespace).await,
        native_error,
    ) {
        (Ok(mut listing), Some(e)) => {
            listing.gaps.push(format!("through the service's API: {e}"));
            Ok(listing)
        }
        (Ok(listing), None) => Ok(listing),
        (Err(_), Some(e)) => Err(e.into()),
        (Err(e), None) => Err(e),
    }
}

/// A repository's tags from the registry's own tag list (names only).
async fn registry_tags(
    connector: &Connector,
    registry: &str,
    repo: &str,
    listing: &mut Listing,
) -> Result<Vec<Tag>, regscope::connect::ConnectError> {
    let conn = connector
        .connect(&Location::Registry(registry.to_string()))
        .await?;
    match conn.fetcher.tag_listing(repo).await {
        Ok(t) => {
            if let Some(cut) = t.truncated {
                listing.gaps.push(format!("{}: {cut}", sanitize(repo)));
            }
            Ok(t.tags
                .into_iter()
                .map(|name| Tag {
                    name,
                    digest: None,
                    pushed: None,
                    platforms: Vec::new(),
                    size: None,
                    tagged: true,
                    date_not_read: false,
                    scan: None,
                })
                .collect())
        }
        Err(e) => {
            listing
                .gaps
                .push(format!("the tags of {}: {}", sanitize(repo), conn.error(e)));
            Ok(Vec::new())
        }
    }
}

/// `alice/app:v1  sha256:…  2026-12-01T10:00:00Z  linux/amd64,linux/arm64`; an untagged
/// version as `owner/app@sha256:…  (untagged)`; a tag whose date the listing left unread
/// (GitLab's past the detail bound) as `team/app:v9  date not read`.
fn tag_line(repo: &str, t: &Tag) -> String {
    let mut line = if t.tagged {
        format!("{}:{}", sanitize(repo), sanitize(&t.name))
    } else {
        format!("{}@{}", sanitize(repo), sanitize(&t.name))
    };
    let mut add = |s: &str| {
        line.push_str("  ");
        line.push_str(&sanitize(s));
    };
    if !t.tagged {
        add("(untagged)");
    } else if let Some(d) = &t.digest {
        add(d);
    }
    if let Some(p) = &t.pushed {
        add(p);
    } else if t.date_not_read {
        add("date not read");
    }
    if !t.platforms.is_empty() {
        add(&t.platforms.join(","));
    }
    if let Some(size) = t.size {
        add(&regscope::present::human_size(
            i64::try_from(size).unwrap_or(i64::MAX),
        ));
    }
    if let Some(scan) = &t.scan {
        add(&format!("scan: {scan}"));
    }
    line
}

fn document(
    registry: &str,
    namespace: Option<&str>,
    listing: &Listing,
    rows: &[(String, Option<Vec<Tag>>)],
    tags: bool,
) -> serde_json::Value {
    let repositories: Vec<serde_json::Value> = rows
        .iter()
        .map(|(repo, list)| {
            let mut v = json!({"name": repo});
            if let Some(d) = listing.details.get(repo) {
                v["detail"] = json!(d);
            }
            if let (true, Some(list)) = (tags, list) {
                v["tags"] = json!(list);
            }
            v
        })
        .collect();
    json!({
        "registry": registry,
        "namespace": namespace,
        "source": listing.source,
        "gaps": listing.gaps,
        "repositories": repositories,
    })
}

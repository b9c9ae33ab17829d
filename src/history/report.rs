//! One history, for the CLI and the TUI alike: each tag's stints from the cache's log, and
//! each move summarised with `diff`.

use std::time::SystemTime;

use super::{move_summary, tag_histories, TagHistory, MAX_SUMMARIES};
use crate::connect::Connector;
use crate::reference::{ImageRef, RegistryRef};
use crate::sanitize::sanitize;

/// The history of a repository (or one tag): per tag, its stints (newest first) and, for each
/// move, what changed (`moves[i]` made `stints[i]` current).
#[derive(Debug, Clone)]
pub struct Report {
    pub target: RegistryRef,
    pub tags: Vec<(TagHistory, Vec<Vec<String>>)>,
}

/// The history of `target` (one `tag`, or every tag) from the cache, each move compared;
/// `None` when there is no on-disk cache.
pub async fn load(
    connector: &Connector,
    target: &RegistryRef,
    tag: Option<&str>,
) -> Option<Report> {
    let cache = connector.disk_cache()?;
    let host = cache_host(connector, &target.registry);
    let sightings = cache.sightings(&host, &target.repository, tag);
    let mut budget = MAX_SUMMARIES;
    let mut tags = Vec::new();
    for h in tag_histories(&sightings) {
        let moves = Box::pin(summarise_moves(connector, target, &h, &mut budget)).await;
        tags.push((h, moves));
    }
    Some(Report {
        target: target.clone(),
        tags,
    })
}

/// The host the cache files a registry's records under (its API endpoint).
pub fn cache_host(connector: &Connector, registry: &str) -> String {
    connector.cache_host(registry)
}

/// `2026-12-06T15:07:29Z`.
#[must_use]
pub fn time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Each move of `h` (newest first) with what changed; past `budget` they are not compared.
async fn summarise_moves(
    connector: &Connector,
    target: &RegistryRef,
    h: &TagHistory,
    budget: &mut usize,
) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (from, to) in h.moves() {
        if *budget == 0 {
            out.push(vec![format!(
                "not compared: only the newest {MAX_SUMMARIES} moves are"
            )]);
            continue;
        }
        *budget -= 1;
        let at = |d: &crate::digest::Digest| {
            ImageRef::Registry(RegistryRef {
                tag: None,
                digest: Some(d.clone()),
                ..target.clone()
            })
        };
        let compared = Box::pin(crate::diff::fetch::compare_references(
            connector,
            &at(&from.digest),
            &at(&to.digest),
        ))
        .await;
        out.push(match compared {
            Ok((c, _, _)) => move_summary(&c),
            Err(e) => vec![format!(
                "not compared: a manifest is no longer readable ({})",
                sanitize(&e.to_string())
            )],
        });
    }
    out
}

/// The history as text: per tag, each digest with first and last seen by regscope and, where
/// a registry's API said, when it was pushed; the move under it with when it happened as far
/// as that is known.
#[must_use]
pub fn text(report: &Report) -> String {
    let target = &report.target;
    let mut out = String::new();
    for (h, moves) in &report.tags {
        out.push_str(&format!("{}:{}\n", sanitize(&target.name()), h.tag));
        for (i, stint) in h.stints.iter().enumerate() {
            out.push_str(&format!(
                "  {}  first seen {}, last seen {} (by regscope)\n",
                stint.digest,
                time(stint.first_seen),
                time(stint.last_seen)
            ));
            if let Some(pushed) = stint.pushed {
                out.push_str(&format!("    {}\n", super::pushed_text(pushed, 0)));
            }
            // The move that made this digest current, when an older one follows.
            if let (Some(changes), Some(from)) = (moves.get(i), h.stints.get(i + 1)) {
                out.push_str(&format!("    moved here: {}\n", changes.join("; ")));
                out.push_str(&format!(
                    "    {}\n",
                    super::moved_text(super::moved_when(from, stint), 0)
                ));
            }
        }
    }
    out
}

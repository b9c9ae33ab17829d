//! `W` in the tags view: the repository's tags watched live with the watch engine (a HEAD per
//! tag per interval while nothing changes, jittered, backing off on 429 and errors). A move or
//! a deletion makes its row check itself again, so it is marked `moved` / `deleted` as after
//! `r`; the status line says what is watched and when it was last polled. `W` again stops.

use std::time::{Duration, SystemTime};

use super::{TagsView, View};
use crate::history::poll::MAX_TAGS;
use crate::history::watch::{event_text, EventKind};
use crate::reference::RegistryRef;
use crate::sanitize::sanitize;
use crate::tui::action::{Action, Effect, Location, RequestId, RequestIds};
use crate::tui::load::Load;

/// How often a tag is polled unless `REGSCOPE_WATCH_INTERVAL` says otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// What the watch of a tags view is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watching {
    /// The request the worker's watch answers; dropping it stops the watch.
    pub id: RequestId,
    pub tags: usize,
    pub interval: Duration,
    pub last_poll: Option<SystemTime>,
}

/// What the worker's watch reports (defined beside the actions that carry it).
pub use crate::tui::action::WatchUpdate as Update;

/// `W`: starts watching the view's tags (at most [`MAX_TAGS`], in name order), or stops; the
/// flash says which.
pub fn toggle(v: &mut TagsView, ids: &mut RequestIds, interval: Duration) -> (Vec<Effect>, String) {
    if v.watching.take().is_some() {
        return (Vec::new(), "stopped watching".into());
    }
    let Location::Registry(registry) = &v.location else {
        return (
            Vec::new(),
            "an OCI layout does not change under us: only a registry is watched".into(),
        );
    };
    let Some(rows) = v.load.loaded() else {
        return (Vec::new(), "wait for the tag list, then press W".into());
    };
    let mut tags: Vec<String> = rows
        .iter()
        .filter(|r| !r.vanished())
        .map(|r| r.tag.clone())
        .collect();
    tags.sort();
    let cut = tags.len() > MAX_TAGS;
    tags.truncate(MAX_TAGS);
    let id = ids.fresh();
    let text = format!(
        "watching {} every {}s{}; W stops",
        crate::present::count(tags.len(), "tag", "tags"),
        interval.as_secs(),
        if cut {
            format!(" (the first {MAX_TAGS} by name)")
        } else {
            String::new()
        }
    );
    v.watching = Some(Watching {
        id,
        tags: tags.len(),
        interval,
        last_poll: None,
    });
    let effect = Effect::Watch {
        id,
        target: RegistryRef {
            registry: registry.clone(),
            repository: v.repository.clone(),
            tag: None,
            digest: None,
        },
        tags,
        interval,
    };
    (vec![effect], text)
}

/// Hands a watch update to the tags view that asked for it; the text to flash, if any.
pub fn take(stack: &mut [View], action: Action) -> Option<String> {
    let Action::Watched { id, update } = action else {
        return None;
    };
    let v = stack.iter_mut().find_map(|view| match view {
        View::Tags(v) if v.watching.as_ref().is_some_and(|w| w.id == id) => Some(v),
        _ => None,
    })?;
    match update {
        Update::Polled(at, tags) => {
            if let Some(w) = &mut v.watching {
                w.last_poll = Some(at);
                w.tags = tags;
            }
            None
        }
        Update::Ended(why) => {
            v.watching = None;
            Some(why.unwrap_or_else(|| "stopped watching".into()))
        }
        Update::Event(event) => {
            if let EventKind::Created { .. } = event.kind {
                if v.created(&event.tag) {
                    if let Some(w) = &mut v.watching {
                        w.tags += 1;
                    }
                }
            }
            if matches!(
                event.kind,
                EventKind::Moved { .. } | EventKind::Deleted { .. }
            ) {
                check_again(v, &event.tag);
            }
            Some(sanitize(&event_text(&event.reference, &event.kind, &event.changes)).into_owned())
        }
    }
}

/// The row of `tag` resolves again (as after `r`, against what it showed): the next activation
/// revalidates it and marks it `moved` or `deleted`.
fn check_again(v: &mut TagsView, tag: &str) {
    let Some(row) = v
        .load
        .loaded_mut()
        .and_then(|rows| rows.iter_mut().find(|r| r.tag == tag))
    else {
        return;
    };
    if let Load::Loaded(s) = std::mem::take(&mut row.summary) {
        row.previous = Load::Loaded(s);
    }
}

/// `watching 14 tags, every 30s, last poll 12:03:05 UTC+01:00` (`offset`: seconds east).
#[must_use]
pub fn label(w: &Watching, offset: i32) -> String {
    let polled = match w.last_poll {
        Some(at) => format!("last poll {}", crate::tui::fresh::clock(at, offset)),
        None => "first poll under way".into(),
    };
    format!(
        "watching {}, every {}s, {polled}",
        crate::present::count(w.tags, "tag", "tags"),
        w.interval.as_secs()
    )
}

/// The interval `REGSCOPE_WATCH_INTERVAL` asks for (`30s`, `5m`), else [`DEFAULT_INTERVAL`].
#[must_use]
pub fn interval_from_env() -> Duration {
    std::env::var("REGSCOPE_WATCH_INTERVAL")
        .ok()
        .and_then(|t| crate::history::poll::parse_interval(&t).ok())
        .unwrap_or(DEFAULT_INTERVAL)
}

//! The watch loop: each tag polled with a HEAD on its own schedule (see [`super::watch`]), the events
//! handed to the caller as they happen, a move summarised with `diff` (the only time a
//! manifest is read).

use std::time::{Duration, SystemTime};

use futures::stream::{self, StreamExt as _};
use tokio::time::Instant;

use super::watch::{retry_after, EventKind, TagState};
use crate::connect::Connector;
use crate::reference::{ImageRef, RegistryRef};

/// Tags watched at most by one `watch` (each costs one request per interval).
pub const MAX_TAGS: usize = 1_000;
/// Polls in flight at once.
const IN_FLIGHT: usize = 8;
/// The shortest interval: a registry is not polled more often than this.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// What to watch and for how long.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub interval: Duration,
    /// Polls per tag before the watch ends (`None`: until interrupted).
    pub count: Option<u64>,
}

/// One event, ready to print.
#[derive(Debug, Clone)]
pub struct Event {
    /// `registry/repository:tag`.
    pub reference: String,
    /// The tag alone (as the registry names it; sanitise before showing).
    pub tag: String,
    pub kind: EventKind,
    /// For a move: what changed, a few words each (from `diff`).
    pub changes: Vec<String>,
    pub at: SystemTime,
}

struct Watched {
    target: RegistryRef,
    tag: String,
    state: TagState,
    next: Instant,
    polls: u64,
}

impl Watched {
    fn name(&self) -> String {
        crate::sanitize::sanitize(&format!("{}:{}", self.target.name(), self.tag)).into_owned()
    }
}

/// Watches `targets` (each with a tag) until every one was polled `count` times, handing each
/// event to `on_event` (awaited: one at a time, in order).
pub async fn run(
    connector: &Connector,
    targets: Vec<RegistryRef>,
    options: &WatchOptions,
    on_event: impl AsyncFnMut(Event),
) {
    run_reporting(connector, targets, options, on_event, |_| {}).await;
}

/// [`run`], telling `on_round` after each round of polls how many tags it polled (the TUI
/// says when it last polled).
pub async fn run_reporting(
    connector: &Connector,
    targets: Vec<RegistryRef>,
    options: &WatchOptions,
    mut on_event: impl AsyncFnMut(Event),
    mut on_round: impl FnMut(usize),
) {
    let interval = options.interval.max(MIN_INTERVAL);
    let start = Instant::now();
    let mut watched: Vec<Watched> = targets
        .into_iter()
        .take(MAX_TAGS)
        .map(|t| Watched {
            tag: t.tag.clone().unwrap_or_else(|| "latest".into()),
            target: t,
            state: TagState::default(),
            next: start,
            polls: 0,
        })
        .collect();
    let done = |w: &Watched| options.count.is_some_and(|n| w.polls >= n);
    loop {
        let now = Instant::now();
        let due: Vec<usize> = (0..watched.len())
            .filter(|i| !done(&watched[*i]) && watched[*i].next <= now)
            .collect();
        let answers: Vec<(usize, _)> = stream::iter(due)
            .map(|i| {
                let target = watched[i].target.clone();
                let tag = watched[i].tag.clone();
                async move { (i, head(connector, &target, &tag).await) }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        if !answers.is_empty() {
            on_round(answers.len());
        }
        for (i, answer) in answers {
            let w = &mut watched[i];
            w.polls += 1;
            let after = answer.as_ref().err().and_then(|e| e.1);
            let events = w.state.observe(answer.map_err(|e| e.0));
            w.next = Instant::now() + w.state.next_wait(interval, after, jitter(i, w.polls));
            for kind in events {
                let changes = match &kind {
                    EventKind::Moved {
                        from: Some(from),
                        to,
                    } => Box::pin(summarise(connector, &w.target, from, to)).await,
                    _ => Vec::new(),
                };
                let event = Event {
                    reference: w.name(),
                    tag: w.tag.clone(),
                    kind,
                    changes,
                    at: SystemTime::now(),
                };
                on_event(event).await;
            }
        }
        let Some(next) = watched.iter().filter(|w| !done(w)).map(|w| w.next).min() else {
            return;
        };
        tokio::time::sleep_until(next).await;
    }
}

/// One HEAD of the tag: what it names, or the error in words and its `Retry-After`.
async fn head(
    connector: &Connector,
    target: &RegistryRef,
    tag: &str,
) -> Result<Option<crate::digest::Digest>, (String, Option<u64>)> {
    let reference = ImageRef::Registry(target.clone());
    let connection = connector
        .connect_to(&reference)
        .await
        .map_err(|e| (crate::sanitize::sanitize(&e.to_string()).into_owned(), None))?;
    connection
        .fetcher
        .head_tag(&target.repository, tag)
        .await
        .map_err(|e| {
            let after = retry_after(&e);
            let message = connection.error(e).to_string();
            (crate::sanitize::sanitize(&message).into_owned(), after)
        })
}

/// What a move changed, from `diff` of the two digests; in words when they cannot be read.
async fn summarise(
    connector: &Connector,
    target: &RegistryRef,
    from: &crate::digest::Digest,
    to: &crate::digest::Digest,
) -> Vec<String> {
    let at = |d: &crate::digest::Digest| {
        ImageRef::Registry(RegistryRef {
            tag: None,
            digest: Some(d.clone()),
            ..target.clone()
        })
    };
    match crate::diff::fetch::compare_references(connector, &at(from), &at(to)).await {
        Ok((comparison, _, _)) => super::move_summary(&comparison),
        Err(e) => vec![format!(
            "not compared: {}",
            crate::sanitize::sanitize(&e.to_string())
        )],
    }
}

/// `30s`, `2m`, `1h`, or seconds alone.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an interval: write 30s, 5m or 1h"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("`{text}` is not an interval: write 30s, 5m or 1h")),
    };
    if secs == 0 {
        return Err("the interval must be at least 1s".into());
    }
    Ok(Duration::from_secs(secs))
}

/// A spread in 0..1000 that differs between tags and polls (no randomness needed: tags only
/// must not all poll at the same instant).
fn jitter(index: usize, poll: u64) -> u32 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed = (index as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(poll.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(u64::from(nanos));
    u32::try_from(mixed % 1000).unwrap_or(500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_written() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("2m"), Ok(Duration::from_mins(2)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_hours(1)));
        assert_eq!(parse_interval("5"), Ok(Duration::from_secs(5)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("3d").is_err());
    }
}

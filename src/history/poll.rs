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
    /// Every tag of this repository (no tag) is watched besides the targets: listed at most
    /// once per interval, at most [`MAX_TAGS`] (by name), a new tag reported `created` after
    /// its first poll, a tag gone from the list `deleted`.
    pub repository: Option<RegistryRef>,
    /// The targets are the repository's tags as the caller last listed them (the TUI's tags
    /// view): a tag the watch's first listing adds was created since, and is reported
    /// `created`. Else the first listing is the baseline, its tags joining silently.
    pub targets_listed: bool,
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
    /// Listed after the first listing: reported `created` once its first poll answers.
    announce: bool,
    /// One of the caller's listed tags ([`WatchOptions::targets_listed`]): gone by the watch's
    /// first listing, it is reported `deleted` even though no poll read its digest.
    listed_before: bool,
}

impl Watched {
    fn new(target: RegistryRef, next: Instant, announce: bool) -> Self {
        Self {
            tag: target.tag.clone().unwrap_or_else(|| "latest".into()),
            target,
            state: TagState::default(),
            next,
            polls: 0,
            announce,
            listed_before: false,
        }
    }

    fn event(&self, kind: EventKind, changes: Vec<String>) -> Event {
        Event {
            reference: self.name(),
            tag: self.tag.clone(),
            kind,
            changes,
            at: SystemTime::now(),
        }
    }

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

/// [`run`], telling `on_round` after each round of polls how many tags are watched now (the
/// TUI says how many and when it last polled: tags join and leave with the listings).
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
            listed_before: options.targets_listed,
            ..Watched::new(t, start, false)
        })
        .collect();
    let mut lister = options.repository.clone().map(|repository| Lister {
        repository,
        next: start,
        listed: options.targets_listed,
        failing: false,
    });
    let done = |w: &Watched| options.count.is_some_and(|n| w.polls >= n);
    loop {
        let now = Instant::now();
        if let Some(lister) = lister.as_mut().filter(|l| l.next <= now) {
            lister.next = now + interval;
            for event in Box::pin(lister.list(connector, &mut watched, now)).await {
                on_event(event).await;
            }
        }
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
            on_round(watched.len());
        }
        for (i, answer) in answers {
            let w = &mut watched[i];
            w.polls += 1;
            let after = answer.as_ref().err().and_then(|e| e.1);
            let mut events = w.state.observe(answer.map_err(|e| e.0));
            if w.announce && w.state.is_known() {
                // Absent at its first poll after all: its appearance will say `created`.
                if let Some(digest) = w.state.current() {
                    events.insert(
                        0,
                        EventKind::Created {
                            digest: digest.clone(),
                        },
                    );
                }
                w.announce = false;
            }
            w.next = Instant::now() + w.state.next_wait(interval, after, jitter(i, w.polls));
            for kind in events {
                let changes = match &kind {
                    EventKind::Moved {
                        from: Some(from),
                        to,
                    } => Box::pin(summarise(connector, &w.target, from, to)).await,
                    _ => Vec::new(),
                };
                on_event(w.event(kind, changes)).await;
            }
        }
        let polls = watched.iter().filter(|w| !done(w)).map(|w| w.next).min();
        // A repository with no tag left to poll is still listed, unless `--count` ends it.
        let listing = lister
            .as_ref()
            .filter(|_| polls.is_some() || options.count.is_none())
            .map(|l| l.next);
        let Some(next) = polls.into_iter().chain(listing).min() else {
            return;
        };
        tokio::time::sleep_until(next).await;
    }
}

/// The tag list of a watched repository, and how its last listing went.
struct Lister {
    repository: RegistryRef,
    next: Instant,
    /// Listed once: tags listed from now on are new.
    listed: bool,
    /// The last listing failed (reported once per failing stretch).
    failing: bool,
}

impl Lister {
    /// Lists the tags and brings `watched` in line: new tags join (announced after the first
    /// listing), tags no longer listed leave, `deleted` when they had a digest.
    async fn list(
        &mut self,
        connector: &Connector,
        watched: &mut Vec<Watched>,
        now: Instant,
    ) -> Vec<Event> {
        let name = || crate::sanitize::sanitize(&self.repository.name()).into_owned();
        let listing = match connector
            .connect_to(&ImageRef::Registry(self.repository.clone()))
            .await
        {
            Ok(c) => c
                .fetcher
                .tags(&self.repository.repository)
                .await
                .map_err(|e| c.error(e).to_string()),
            Err(e) => Err(e.to_string()),
        };
        let mut tags = match listing {
            Ok(tags) => tags,
            Err(message) if !self.failing => {
                self.failing = true;
                return vec![Event {
                    reference: name(),
                    tag: String::new(),
                    kind: EventKind::Error {
                        message: crate::sanitize::sanitize(&message).into_owned(),
                    },
                    changes: Vec::new(),
                    at: SystemTime::now(),
                }];
            }
            Err(_) => return Vec::new(),
        };
        let mut events = Vec::new();
        if std::mem::take(&mut self.failing) {
            events.push(Event {
                reference: name(),
                tag: String::new(),
                kind: EventKind::Recovered { digest: None },
                changes: Vec::new(),
                at: SystemTime::now(),
            });
        }
        tags.sort();
        tags.truncate(MAX_TAGS);
        let listed: std::collections::HashSet<&str> = tags.iter().map(String::as_str).collect();
        watched.retain(|w| {
            let keep = listed.contains(w.tag.as_str());
            let was = match (keep, w.state.current()) {
                (false, Some(was)) => Some(Some(was.clone())),
                // Listed by the caller, never polled, and no longer listed: deleted since.
                (false, None) if w.listed_before && !w.state.is_known() => Some(None),
                _ => None,
            };
            if let Some(was) = was {
                events.push(w.event(EventKind::Deleted { was }, Vec::new()));
            }
            keep
        });
        for tag in tags {
            if watched.len() < MAX_TAGS && !watched.iter().any(|w| w.tag == tag) {
                let target = RegistryRef {
                    tag: Some(tag),
                    digest: None,
                    ..self.repository.clone()
                };
                watched.push(Watched::new(target, now, self.listed));
            }
        }
        self.listed = true;
        events
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

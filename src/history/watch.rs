//! `watch`: polls tags with one HEAD each per interval and reports each change as an event.
//! Polite by construction: no manifest is read while nothing changes, each tag waits its own
//! jittered interval, errors and 429s back off (at least as long as `Retry-After` asks), a
//! transient error never ends the watch, and a tag that flips every poll is reported once as
//! flapping and then polled more slowly, its moves no longer reported one by one.

use std::time::Duration;

use serde_json::{json, Value};

use crate::digest::Digest;
use crate::registry::FetchError;

/// The longest a failing tag waits between polls.
pub const MAX_BACKOFF: Duration = Duration::from_mins(10);
/// A tag that moved this many times within [`FLAP_WINDOW`] polls is flapping.
pub const FLAP_MOVES: usize = 3;
/// Polls looked back at to tell flapping.
pub const FLAP_WINDOW: usize = 6;
/// A flapping tag is polled this many times more slowly.
pub const FLAP_SLOWDOWN: u32 = 4;

/// What happened to a watched tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A tag of a watched repository that was not listed before (first seen at `digest`).
    Created { digest: Digest },
    /// It names another digest (`from` is `None` when it had been deleted).
    Moved { from: Option<Digest>, to: Digest },
    /// The registry no longer has it (`was` is `None` for a tag the caller had listed and the
    /// watch's first listing no longer had: no poll read its digest).
    Deleted { was: Option<Digest> },
    /// It could not be polled (reported once per failing stretch).
    Error { message: String },
    /// It can be polled again after an error.
    Recovered { digest: Option<Digest> },
    /// It moved [`FLAP_MOVES`] times within [`FLAP_WINDOW`] polls: polled more slowly from now
    /// on, its moves no longer reported one by one until it holds still.
    Flapping { digest: Digest },
}

impl EventKind {
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Created { .. } => "created",
            EventKind::Moved { .. } => "moved",
            EventKind::Deleted { .. } => "deleted",
            EventKind::Error { .. } => "error",
            EventKind::Recovered { .. } => "recovered",
            EventKind::Flapping { .. } => "flapping",
        }
    }
}

/// One tag's watch state.
#[derive(Debug, Clone, Default)]
pub struct TagState {
    /// What it named at the last successful poll (`None` before the first, or when deleted).
    current: Option<Digest>,
    /// The digest it named before it was deleted.
    deleted: Option<Digest>,
    /// Polled successfully at least once.
    known: bool,
    /// Failing since the last successful poll.
    failing: bool,
    /// Consecutive failures: the backoff doubles with each.
    failures: u32,
    /// Whether each recent poll saw a move (newest last), at most [`FLAP_WINDOW`].
    recent: std::collections::VecDeque<bool>,
    flapping: bool,
}

impl TagState {
    /// What a poll answered (`Ok(None)`: no such tag), and the events it makes.
    pub fn observe(&mut self, answer: Result<Option<Digest>, String>) -> Vec<EventKind> {
        let mut events = Vec::new();
        let answer = match answer {
            Err(message) => {
                self.failures = self.failures.saturating_add(1);
                if !self.failing {
                    self.failing = true;
                    events.push(EventKind::Error { message });
                }
                return events;
            }
            Ok(answer) => answer,
        };
        self.failures = 0;
        if self.failing {
            self.failing = false;
            events.push(EventKind::Recovered {
                digest: answer.clone(),
            });
        }
        let mut moved = false;
        match (answer, self.known) {
            (answer, false) => {
                self.known = true;
                self.current = answer;
            }
            (None, true) => {
                if let Some(was) = self.current.take() {
                    events.push(EventKind::Deleted {
                        was: Some(was.clone()),
                    });
                    self.deleted = Some(was);
                }
            }
            (Some(to), true) => {
                if self.current.as_ref() != Some(&to) {
                    moved = true;
                    let from = self.current.take().or_else(|| self.deleted.take());
                    self.current = Some(to.clone());
                    match from {
                        // Absent when first polled (a promotion's target not promoted yet):
                        // it appeared, it did not move.
                        None => events.push(EventKind::Created { digest: to }),
                        Some(_) if self.flapping => {}
                        from @ Some(_) => events.push(EventKind::Moved { from, to }),
                    }
                }
            }
        }
        self.note_move(moved, &mut events);
        events
    }

    fn note_move(&mut self, moved: bool, events: &mut Vec<EventKind>) {
        self.recent.push_back(moved);
        if self.recent.len() > FLAP_WINDOW {
            self.recent.pop_front();
        }
        let moves = self.recent.iter().filter(|m| **m).count();
        if !self.flapping && moves >= FLAP_MOVES {
            self.flapping = true;
            if let Some(digest) = self.current.clone() {
                events.push(EventKind::Flapping { digest });
            }
        } else if self.flapping && moves == 0 && self.recent.len() == FLAP_WINDOW {
            // Held still for a whole window: moves are reported one by one again.
            self.flapping = false;
        }
    }

    /// What the tag named at the last successful poll.
    #[must_use]
    pub fn current(&self) -> Option<&Digest> {
        self.current.as_ref()
    }

    /// Whether a poll has answered (the tag named a digest, or was absent).
    #[must_use]
    pub fn is_known(&self) -> bool {
        self.known
    }

    #[must_use]
    pub fn is_flapping(&self) -> bool {
        self.flapping
    }

    /// How long to wait before the next poll: the interval; doubled per consecutive failure up
    /// to [`MAX_BACKOFF`] (never less than the registry's `Retry-After`); slower while
    /// flapping. `jitter` in 0..1000 spreads tags over ±10% of the wait.
    #[must_use]
    pub fn next_wait(&self, interval: Duration, retry_after: Option<u64>, jitter: u32) -> Duration {
        let mut wait = interval;
        if self.failures > 0 {
            let factor = 1u32 << self.failures.min(16);
            wait = interval
                .saturating_mul(factor)
                .min(MAX_BACKOFF.max(interval));
        }
        if self.flapping {
            wait = wait.saturating_mul(FLAP_SLOWDOWN);
        }
        if let Some(secs) = retry_after {
            wait = wait.max(Duration::from_secs(secs.min(MAX_BACKOFF.as_secs())));
        }
        let spread = wait / 10;
        wait.saturating_sub(spread) + spread * 2 / 1000 * jitter.min(1000)
    }
}

/// The `Retry-After` seconds an error carries.
#[must_use]
pub fn retry_after(e: &FetchError) -> Option<u64> {
    match e {
        FetchError::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    }
}

/// An event as a JSON line: `{"event":"moved","ref":…,"from":…,"to":…,"changes":[…],"at":…}`.
#[must_use]
pub fn event_json(reference: &str, kind: &EventKind, changes: &[String], at: &str) -> Value {
    let digest = |d: &Option<Digest>| d.as_ref().map(ToString::to_string);
    let mut doc = json!({ "event": kind.name(), "ref": reference, "at": at });
    match kind {
        EventKind::Moved { from, to } => {
            doc["from"] = json!(digest(from));
            doc["to"] = json!(to.to_string());
            doc["changes"] = json!(changes);
        }
        EventKind::Deleted { was } => doc["was"] = json!(digest(was)),
        EventKind::Error { message } => doc["message"] = json!(message),
        EventKind::Recovered { digest: d } => doc["digest"] = json!(digest(d)),
        EventKind::Created { digest } | EventKind::Flapping { digest } => {
            doc["digest"] = json!(digest.to_string());
        }
    }
    doc
}

/// An event as a line of text: `moved REF sha256:ab12… -> sha256:cd34… (linux/arm64 dropped)`.
#[must_use]
pub fn event_text(reference: &str, kind: &EventKind, changes: &[String]) -> String {
    let short = Digest::short;
    match kind {
        EventKind::Moved { from, to } => {
            let from = from.as_ref().map_or_else(|| "(deleted)".into(), short);
            let mut line = format!("moved {reference} {from} -> {}", short(to));
            if !changes.is_empty() {
                line.push_str(&format!(" ({})", changes.join("; ")));
            }
            line
        }
        EventKind::Deleted { was: Some(was) } => {
            format!("deleted {reference} (was {})", short(was))
        }
        EventKind::Deleted { was: None } => {
            format!("deleted {reference} (listed before the watch began, gone at its first listing)")
        }
        EventKind::Created { digest } => format!("created {reference} at {}", short(digest)),
        EventKind::Error { message } => {
            format!("error {reference}: {message}; still watching")
        }
        EventKind::Recovered { .. } => format!("recovered {reference}: it answers again"),
        EventKind::Flapping { digest } => format!(
            "flapping {reference}: it moved {FLAP_MOVES} times within {FLAP_WINDOW} polls (now {}); polled {FLAP_SLOWDOWN} times more slowly, its moves no longer reported one by one",
            short(digest)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Digest {
        Digest::sha256_of(s.as_bytes())
    }

    #[test]
    fn a_move_a_deletion_an_error_and_a_recovery_are_each_reported_once() {
        let mut t = TagState::default();
        assert!(t.observe(Ok(Some(d("a")))).is_empty(), "the baseline");
        assert!(t.observe(Ok(Some(d("a")))).is_empty(), "no change");
        assert_eq!(
            t.observe(Ok(Some(d("b")))),
            [EventKind::Moved {
                from: Some(d("a")),
                to: d("b")
            }]
        );
        assert_eq!(
            t.observe(Err("down".into())),
            [EventKind::Error {
                message: "down".into()
            }]
        );
        assert!(t.observe(Err("down".into())).is_empty(), "reported once");
        assert_eq!(
            t.observe(Ok(None)),
            [
                EventKind::Recovered { digest: None },
                EventKind::Deleted { was: Some(d("b")) }
            ]
        );
        assert!(t.observe(Ok(None)).is_empty());
        assert_eq!(
            t.observe(Ok(Some(d("c")))),
            [EventKind::Moved {
                from: Some(d("b")),
                to: d("c")
            }],
            "pushed again after the deletion"
        );
        let mut absent = TagState::default();
        assert!(absent.observe(Ok(None)).is_empty(), "absent at first");
        assert_eq!(
            absent.observe(Ok(Some(d("a")))),
            [EventKind::Created { digest: d("a") }],
            "it appeared: created, not moved from nothing"
        );
    }

    #[test]
    fn a_tag_flipping_every_poll_is_flapping_once_and_then_quiet_and_slower() {
        let mut t = TagState::default();
        t.observe(Ok(Some(d("a"))));
        let mut events = Vec::new();
        for i in 0..20 {
            events.extend(t.observe(Ok(Some(d(if i % 2 == 0 { "b" } else { "a" })))));
        }
        let names: Vec<&str> = events.iter().map(EventKind::name).collect();
        assert_eq!(names, ["moved", "moved", "moved", "flapping"]);
        assert!(t.is_flapping());
        let interval = Duration::from_secs(30);
        assert_eq!(t.next_wait(interval, None, 500), interval * FLAP_SLOWDOWN);
        for _ in 0..FLAP_WINDOW {
            t.observe(Ok(Some(d("a"))));
        }
        assert!(!t.is_flapping(), "held still for a window");
    }

    #[test]
    fn events_read_as_a_line_of_text_or_of_json() {
        let moved = EventKind::Moved {
            from: Some(d("a")),
            to: d("b"),
        };
        let changes = ["linux/arm64 dropped".to_string()];
        let text = event_text("r/app:v1", &moved, &changes);
        assert!(text.starts_with("moved r/app:v1 sha256:"), "{text}");
        assert!(text.ends_with(" (linux/arm64 dropped)"), "{text}");
        let doc = event_json("r/app:v1", &moved, &changes, "2026-12-06T15:00:00Z");
        assert_eq!(doc["event"], "moved");
        assert_eq!(doc["from"], d("a").to_string());
        assert_eq!(doc["to"], d("b").to_string());
        assert_eq!(doc["changes"][0], "linux/arm64 dropped");
        let error = EventKind::Error {
            message: "r did not answer".into(),
        };
        assert_eq!(
            event_text("r/app:v1", &error, &[]),
            "error r/app:v1: r did not answer; still watching"
        );
        let deleted = event_json(
            "r/app:v1",
            &EventKind::Deleted { was: Some(d("b")) },
            &[],
            "t",
        );
        assert_eq!(deleted["was"], d("b").to_string());
    }

    #[test]
    fn failures_back_off_to_a_bound_and_honour_retry_after() {
        let mut t = TagState::default();
        let interval = Duration::from_secs(30);
        assert_eq!(t.next_wait(interval, None, 500), interval);
        let low = t.next_wait(interval, None, 0);
        let high = t.next_wait(interval, None, 1000);
        assert!(low >= Duration::from_secs(27) && high <= Duration::from_secs(33));
        t.observe(Err("x".into()));
        assert_eq!(t.next_wait(interval, None, 500), interval * 2);
        for _ in 0..40 {
            t.observe(Err("x".into()));
        }
        assert_eq!(t.next_wait(interval, None, 500), MAX_BACKOFF);
        let mut fresh = TagState::default();
        fresh.observe(Err("429".into()));
        assert_eq!(
            fresh.next_wait(interval, Some(300), 500),
            Duration::from_mins(5)
        );
    }
}

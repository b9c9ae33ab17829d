//! Fault injection (latency, error statuses, mangled bodies) and request accounting for the test server.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

/// What the server does wrong. `Faults::default()` is a well-behaved registry.
///
/// `latency`, `status` and `rate_limit` apply to the requests [`scope`](Self::scope)
/// matches; body faults apply to whatever content has the digest they are keyed by, on
/// the manifests and blobs endpoints alike. Adjust at run time with
/// [`ServerHandle::update_faults`](super::ServerHandle::update_faults).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Wait this long before answering.
    pub latency: Option<Duration>,
    /// Answer with this status (500, 502, 503...) and an OCI error body instead of serving.
    pub status: Option<u16>,
    /// Answer 429 Too Many Requests with `Retry-After: <seconds>`. Wins over `status`.
    pub rate_limit: Option<u64>,
    /// Only this many requests get `status` / `rate_limit`, then the server recovers
    /// (decremented as they fire, so it reads as "failures left"). `None`: every request.
    pub times: Option<usize>,
    /// Which requests `latency`, `status` and `rate_limit` hit. Default: all of them.
    pub scope: Scope,
    /// Per digest (`sha256:...`): how to mangle that content's body.
    pub bodies: HashMap<String, BodyFault>,
    /// Send manifest and blob bodies chunked, without `Content-Length`, so a client can
    /// only enforce size limits while reading.
    pub chunked: bool,
    /// Answer the referrers API with a plain 404, as registries without it (docker-registry
    /// 2.8) do, so clients fall back to the `sha256-<hex>` tag schema.
    pub no_referrers_api: bool,
    /// Ask for these credentials (`user`, `password`) with HTTP Basic, as a private registry
    /// behind htpasswd does: a request without them is answered 401 with a `Basic` challenge.
    /// docker-registry has no referrers API; this lets the API be tested with credentials.
    pub basic_auth: Option<(String, String)>,
    /// The largest page the catalog and tag lists hand out (1000 unless set): a client that
    /// asks for more gets this many and a `Link`, as from a registry with a smaller cap. The
    /// referrers API pages only when this is set.
    pub page_size: Option<usize>,
    /// Docker Hub's pull limit: manifest answers state it (`ratelimit-limit`,
    /// `ratelimit-remaining`), each manifest GET uses one pull (a HEAD none, as on Hub), and a
    /// GET with none left is refused 429.
    pub pulls: Option<PullQuota>,
}

/// A pull limit as Docker Hub keeps one: `limit` per `window` seconds, `remaining` of it left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullQuota {
    pub limit: u64,
    pub remaining: u64,
    pub window: u64,
    /// The `Retry-After` of a refusal, when it sends one.
    pub retry_after: Option<u64>,
}

/// What the pull limit made of one manifest request: the headers stating it, and whether it
/// is refused (with the quota's `Retry-After`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Pull {
    pub headers: Vec<(&'static str, String)>,
    pub refused: bool,
    pub retry_after: Option<u64>,
}

impl Faults {
    /// Adds a body fault for `digest`.
    #[must_use]
    pub fn with_body(mut self, digest: impl Into<String>, fault: BodyFault) -> Self {
        self.bodies.insert(digest.into(), fault);
        self
    }

    /// What the pull limit makes of a manifest request (`get`: a GET, which uses a pull),
    /// using the pull; `None` for any other request or without a limit.
    pub(crate) fn pull(&mut self, kind: RequestKind, get: bool) -> Option<Pull> {
        let quota = self
            .pulls
            .as_mut()
            .filter(|_| kind == RequestKind::Manifest)?;
        let refused = get && quota.remaining == 0;
        if get && !refused {
            quota.remaining -= 1;
        }
        Some(Pull {
            headers: vec![
                (
                    "ratelimit-limit",
                    format!("{};w={}", quota.limit, quota.window),
                ),
                (
                    "ratelimit-remaining",
                    format!("{};w={}", quota.remaining, quota.window),
                ),
                ("docker-ratelimit-source", "127.0.0.1".to_string()),
            ],
            refused,
            retry_after: quota.retry_after,
        })
    }

    /// What the scoped faults do to one request, consuming one of `times` if a status fires.
    pub(crate) fn admit(&mut self, kind: RequestKind, path: &str) -> Admission {
        if !self.scope.matches(kind, path) {
            return Admission::default();
        }
        let mut early = match (self.rate_limit, self.status) {
            (Some(secs), _) => Some(Early::RateLimit(secs)),
            (None, Some(status)) => Some(Early::Status(status)),
            (None, None) => None,
        };
        if early.is_some() {
            match &mut self.times {
                Some(0) => early = None,
                Some(n) => *n -= 1,
                None => {}
            }
        }
        Admission {
            latency: self.latency,
            early,
        }
    }
}

/// Which requests a fault applies to: all of those whose kind is listed (any kind when the
/// list is empty) and whose path contains `path_contains` (when set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub kinds: Vec<RequestKind>,
    pub path_contains: Option<String>,
}

impl Scope {
    /// Requests of these kinds only.
    pub fn kinds(kinds: impl IntoIterator<Item = RequestKind>) -> Self {
        Self {
            kinds: kinds.into_iter().collect(),
            path_contains: None,
        }
    }

    /// Requests whose path contains `needle` (e.g. a digest) only.
    pub fn path(needle: impl Into<String>) -> Self {
        Self {
            kinds: Vec::new(),
            path_contains: Some(needle.into()),
        }
    }

    fn matches(&self, kind: RequestKind, path: &str) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&kind))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|needle| path.contains(needle))
    }
}

/// How to mangle one piece of content on the way out. Headers keep claiming the stored
/// digest unless said otherwise, as a broken registry or proxy would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyFault {
    /// Flip one bit of the last byte: same length, wrong hash.
    Corrupt,
    /// Claim the full `Content-Length`, send the first half, then drop the connection.
    Truncate,
    /// Correct bytes, but a `Docker-Content-Digest` header naming other content.
    WrongDigestHeader,
    /// Append this many spaces: still valid JSON, bigger, wrong hash. With a large count,
    /// an oversized manifest that a client must refuse.
    Pad(usize),
    /// Send the first half, pause this long, then the rest (read timeouts).
    Stall(Duration),
    /// Serve these bytes instead (e.g. an ancestor's, to make a reference cycle).
    Replace(Bytes),
    /// Send the body one byte per interval: never a long gap, never an end in sight (a
    /// read timeout alone does not stop it; a deadline on the whole request does).
    Drip(Duration),
}

/// What the scoped faults decided for one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Admission {
    pub latency: Option<Duration>,
    pub early: Option<Early>,
}

/// An answer given instead of serving.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Early {
    RateLimit(u64),
    Status(u16),
}

/// What a request asked for, by route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `/v2/`
    Base,
    /// `/v2/_catalog`
    Catalog,
    /// `/v2/<name>/tags/list`
    Tags,
    /// `/v2/<name>/manifests/<reference>`
    Manifest,
    /// `/v2/<name>/blobs/<digest>`
    Blob,
    /// `/v2/<name>/referrers/<digest>`
    Referrers,
    /// Anything else.
    Other,
}

impl RequestKind {
    const ALL: [RequestKind; 7] = [
        RequestKind::Base,
        RequestKind::Catalog,
        RequestKind::Tags,
        RequestKind::Manifest,
        RequestKind::Blob,
        RequestKind::Referrers,
        RequestKind::Other,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// Requests received, by kind (GET and HEAD alike), since start or the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub total: usize,
    pub base: usize,
    pub catalog: usize,
    pub tags: usize,
    pub manifests: usize,
    pub blobs: usize,
    pub referrers: usize,
    pub other: usize,
}

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub kind: RequestKind,
}

/// How the faults played out and how busy the server got, since start or the last reset: what
/// a test asserts instead of timing the client with a wall clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observed {
    /// Requests delayed by `latency`, counted when the delay is over (a request the client
    /// gave up on during its delay does not count).
    pub latency_applied: usize,
    /// The most requests handled at the same time (from arrival to the response's headers).
    pub max_overlap: usize,
    /// Requests whose client went away before the server answered.
    pub abandoned: usize,
    /// Bodies with a `Stall` or `Drip` fault sent to their last byte; a client that gave up
    /// on one leaves it short.
    pub slow_bodies_finished: usize,
}

/// How many requests the log keeps: enough for any test, bounded for a long `serve`.
const LOG_CAPACITY: usize = 10_000;

/// Request counters and a bounded log, shared by the handlers and the handle.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    counts: [AtomicUsize; RequestKind::ALL.len()],
    log: Mutex<VecDeque<RequestRecord>>,
    latency_applied: AtomicUsize,
    in_flight: AtomicUsize,
    max_overlap: AtomicUsize,
    abandoned: AtomicUsize,
    /// Shared with the body streams, which outlive the handler.
    slow_bodies_finished: Arc<AtomicUsize>,
}

/// One request being handled: counted in the overlap while it lives; dropped before
/// [`answered`](Self::answered), the client gave up on it.
pub(crate) struct InFlight<'a> {
    stats: &'a Stats,
    answered: bool,
}

impl InFlight<'_> {
    pub(crate) fn answered(mut self) {
        self.answered = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
        if !self.answered {
            self.stats.abandoned.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Stats {
    /// Counts a request as it arrives, before any fault, so a request the client gave up
    /// on still counts.
    pub(crate) fn record(&self, record: RequestRecord) {
        self.counts[record.kind.index()].fetch_add(1, Ordering::SeqCst);
        let mut log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }

    /// A request starts being handled.
    pub(crate) fn begin(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_overlap.fetch_max(now, Ordering::SeqCst);
        InFlight {
            stats: self,
            answered: false,
        }
    }

    /// A `latency` delay is over.
    pub(crate) fn latency_applied(&self) {
        self.latency_applied.fetch_add(1, Ordering::SeqCst);
    }

    /// The counter a stalled or dripped body bumps when it has sent its last byte.
    pub(crate) fn slow_bodies_finished(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.slow_bodies_finished)
    }

    pub(crate) fn observed(&self) -> Observed {
        Observed {
            latency_applied: self.latency_applied.load(Ordering::SeqCst),
            max_overlap: self.max_overlap.load(Ordering::SeqCst),
            abandoned: self.abandoned.load(Ordering::SeqCst),
            slow_bodies_finished: self.slow_bodies_finished.load(Ordering::SeqCst),
        }
    }

    pub(crate) fn count(&self, kind: RequestKind) -> usize {
        self.counts[kind.index()].load(Ordering::SeqCst)
    }

    pub(crate) fn counts(&self) -> RequestCounts {
        let c = |k| self.count(k);
        RequestCounts {
            total: RequestKind::ALL.iter().map(|&k| c(k)).sum(),
            base: c(RequestKind::Base),
            catalog: c(RequestKind::Catalog),
            tags: c(RequestKind::Tags),
            manifests: c(RequestKind::Manifest),
            blobs: c(RequestKind::Blob),
            referrers: c(RequestKind::Referrers),
            other: c(RequestKind::Other),
        }
    }

    pub(crate) fn log(&self) -> Vec<RequestRecord> {
        let log = self
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        log.iter().cloned().collect()
    }

    pub(crate) fn reset(&self) {
        for c in &self.counts {
            c.store(0, Ordering::SeqCst);
        }
        // Requests in flight stay counted in `in_flight`; the overlap starts again from them.
        let in_flight = self.in_flight.load(Ordering::SeqCst);
        self.max_overlap.store(in_flight, Ordering::SeqCst);
        for c in [
            &self.latency_applied,
            &self.abandoned,
            &*self.slow_bodies_finished,
        ] {
            c.store(0, Ordering::SeqCst);
        }
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_budget_runs_out() {
        let mut faults = Faults {
            status: Some(503),
            times: Some(2),
            ..Faults::default()
        };
        let fired = (0..4)
            .filter(|_| {
                faults
                    .admit(RequestKind::Manifest, "/v2/a/manifests/t")
                    .early
                    .is_some()
            })
            .count();
        assert_eq!(fired, 2);
        assert_eq!(faults.times, Some(0));
    }

    #[test]
    fn overlap_and_abandoned_requests_are_counted() {
        let stats = Stats::default();
        let first = stats.begin();
        let second = stats.begin();
        second.answered();
        drop(first);
        let third = stats.begin();
        third.answered();
        let seen = stats.observed();
        assert_eq!((seen.max_overlap, seen.abandoned), (2, 1));
        stats.reset();
        assert_eq!(stats.observed(), Observed::default());
    }

    #[test]
    fn scope_filters_kind_and_path() {
        let scope = Scope {
            kinds: vec![RequestKind::Blob],
            path_contains: Some("sha256:ab".into()),
        };
        assert!(scope.matches(RequestKind::Blob, "/v2/a/blobs/sha256:ab12"));
        assert!(!scope.matches(RequestKind::Manifest, "/v2/a/manifests/sha256:ab12"));
        assert!(!scope.matches(RequestKind::Blob, "/v2/a/blobs/sha256:cd"));
        assert!(Scope::default().matches(RequestKind::Other, "/x"));
    }
}

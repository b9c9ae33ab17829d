//! Round-trip accounting: every HTTP request regscope makes is counted by purpose.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Ping,
    Token,
    Manifest,
    Blob,
    Tags,
    Catalog,
    Referrers,
    /// An existence check (HEAD) of a manifest or blob already fetched: refresh re-checks
    /// what the digest cache holds, since content by digest can be deleted.
    Head,
}

impl RequestKind {
    /// The HTTP method: regscope only reads, so GET, or HEAD for an existence check.
    #[must_use]
    pub fn method(self) -> reqwest::Method {
        match self {
            RequestKind::Head => reqwest::Method::HEAD,
            _ => reqwest::Method::GET,
        }
    }
}

/// Counters shared by every fetch of one session.
#[derive(Debug, Default)]
pub struct Stats {
    ping: AtomicU64,
    token: AtomicU64,
    manifest: AtomicU64,
    blob: AtomicU64,
    tags: AtomicU64,
    catalog: AtomicU64,
    referrers: AtomicU64,
    head: AtomicU64,
    bytes: AtomicU64,
    cache_hits: AtomicU64,
    disk_hits: AtomicU64,
    retries: AtomicU64,
    /// When each request was sent and answered (up to [`MAX_TIMED`]), for the chain length.
    timed: Mutex<Vec<(Instant, Instant)>>,
    /// The pull limit the latest response that stated one stated (Docker Hub), and when.
    rate_limit: Mutex<Option<(super::ratelimit::RateLimit, Instant)>>,
}

/// Requests whose timing is kept: enough for any one operation, bounded for a long session.
const MAX_TIMED: usize = 100_000;

/// How long after an answer stating a pull limit another stating more pulls left is taken
/// for one that crossed it on the way (requests sent together), not a new window.
const RATE_LIMIT_REORDER: std::time::Duration = std::time::Duration::from_secs(2);

/// Where an operation started, for [`Stats::since`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Mark {
    counters: RoundTrips,
    timed: usize,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoundTrips {
    pub total: u64,
    pub ping: u64,
    pub token: u64,
    pub manifest: u64,
    pub blob: u64,
    pub tags: u64,
    pub catalog: u64,
    pub referrers: u64,
    pub head: u64,
    pub bytes: u64,
    /// Content answered from memory (fetched earlier in this process).
    pub cache_hits: u64,
    /// Content answered from the on-disk cache.
    pub disk_hits: u64,
    /// The longest chain of requests each sent after the one before was answered: what
    /// latency multiplies. Independent requests sent together count once.
    pub chain: u64,
    /// Requests sent again after a 429, 502-504 or a dropped connection (counted in `total`
    /// too, by kind).
    pub retries: u64,
}

impl Stats {
    pub fn count(&self, kind: RequestKind) {
        let c = match kind {
            RequestKind::Ping => &self.ping,
            RequestKind::Token => &self.token,
            RequestKind::Manifest => &self.manifest,
            RequestKind::Blob => &self.blob,
            RequestKind::Tags => &self.tags,
            RequestKind::Catalog => &self.catalog,
            RequestKind::Referrers => &self.referrers,
            RequestKind::Head => &self.head,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    pub fn cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a request sent at `started` and answered now.
    pub fn took(&self, started: Instant) {
        let mut timed = self
            .timed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if timed.len() < MAX_TIMED {
            timed.push((started, Instant::now()));
        }
    }

    pub fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps the pull limit `headers` state, if they state one.
    pub fn saw_rate_limit(&self, headers: &reqwest::header::HeaderMap) {
        let stated = super::ratelimit::RateLimit::from_headers(|name| {
            headers.get(name).and_then(|v| v.to_str().ok())
        });
        let Some(stated) = stated else {
            return;
        };
        let mut kept = self
            .rate_limit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Answers to requests sent together arrive in any order: one stating more pulls left
        // than the one kept, moments after it, was counted before it. The count only rises
        // when the window moves on, which a later answer will then state.
        let earlier = kept.as_ref().is_some_and(|(k, at)| {
            at.elapsed() < RATE_LIMIT_REORDER
                && matches!((stated.left(), k.left()), (Some(new), Some(old)) if new > old)
        });
        if !earlier {
            *kept = Some((stated, Instant::now()));
        }
    }

    /// The pull limit the latest response that stated one stated.
    #[must_use]
    pub fn rate_limit(&self) -> Option<super::ratelimit::RateLimit> {
        self.rate_limit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|(limit, _)| limit.clone())
    }

    pub fn disk_hit(&self) {
        self.disk_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Where an operation starts: what [`since`](Self::since) measures from.
    #[must_use]
    pub fn mark(&self) -> Mark {
        Mark {
            counters: self.snapshot(),
            timed: self
                .timed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .len(),
        }
    }

    /// What happened since `mark`: counters, and the longest chain among the requests
    /// answered since (other work running meanwhile is counted too).
    #[must_use]
    pub fn since(&self, mark: &Mark) -> RoundTrips {
        let now = self.snapshot();
        let before = &mark.counters;
        let d = |a: u64, b: u64| a.saturating_sub(b);
        let timed = self
            .timed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        RoundTrips {
            total: d(now.total, before.total),
            ping: d(now.ping, before.ping),
            token: d(now.token, before.token),
            manifest: d(now.manifest, before.manifest),
            blob: d(now.blob, before.blob),
            tags: d(now.tags, before.tags),
            catalog: d(now.catalog, before.catalog),
            referrers: d(now.referrers, before.referrers),
            head: d(now.head, before.head),
            bytes: d(now.bytes, before.bytes),
            cache_hits: d(now.cache_hits, before.cache_hits),
            disk_hits: d(now.disk_hits, before.disk_hits),
            chain: longest_chain(timed.get(mark.timed..).unwrap_or_default()),
            retries: d(now.retries, before.retries),
        }
    }

    #[must_use]
    pub fn snapshot(&self) -> RoundTrips {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut r = RoundTrips {
            total: 0,
            ping: g(&self.ping),
            token: g(&self.token),
            manifest: g(&self.manifest),
            blob: g(&self.blob),
            tags: g(&self.tags),
            catalog: g(&self.catalog),
            referrers: g(&self.referrers),
            head: g(&self.head),
            bytes: g(&self.bytes),
            cache_hits: g(&self.cache_hits),
            disk_hits: g(&self.disk_hits),
            chain: 0,
            retries: g(&self.retries),
        };
        r.chain = longest_chain(
            &self
                .timed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        r.total =
            r.ping + r.token + r.manifest + r.blob + r.tags + r.catalog + r.referrers + r.head;
        r
    }
}

/// The most requests in a row such that each was sent after the previous one was answered.
fn longest_chain(intervals: &[(Instant, Instant)]) -> u64 {
    let mut by_start: Vec<(Instant, Instant)> = intervals.to_vec();
    by_start.sort_unstable();
    let mut ends: Vec<(Instant, usize)> = by_start
        .iter()
        .enumerate()
        .map(|(i, (_, end))| (*end, i))
        .collect();
    ends.sort_unstable();
    let mut depth = vec![0u64; by_start.len()];
    // The deepest chain among requests answered before the current one was sent.
    let (mut best_before, mut next_end) = (0u64, 0usize);
    for (i, (start, _)) in by_start.iter().enumerate() {
        while next_end < ends.len() && ends[next_end].0 <= *start {
            best_before = best_before.max(depth[ends[next_end].1]);
            next_end += 1;
        }
        depth[i] = best_before + 1;
    }
    depth.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_pull_limit_kept_is_the_latest_unless_an_answer_crossed_it_on_the_way() {
        let stats = Stats::default();
        let hub = |left: u32| {
            let mut h = reqwest::header::HeaderMap::new();
            h.insert("ratelimit-limit", "100;w=21600".parse().unwrap());
            h.insert(
                "ratelimit-remaining",
                format!("{left};w=21600").parse().unwrap(),
            );
            h
        };
        assert_eq!(stats.rate_limit(), None);
        stats.saw_rate_limit(&reqwest::header::HeaderMap::new());
        assert_eq!(stats.rate_limit(), None, "no headers, no limit");
        stats.saw_rate_limit(&hub(81));
        stats.saw_rate_limit(&hub(82));
        assert_eq!(stats.rate_limit().unwrap().left(), Some(81));
        stats.saw_rate_limit(&hub(80));
        assert_eq!(stats.rate_limit().unwrap().left(), Some(80));
    }

    #[test]
    fn the_chain_counts_requests_that_waited_for_each_other() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(longest_chain(&[]), 0);
        // ping; then the index; then 4 children at once; then 2 configs at once.
        let tree = [
            (at(0), at(10)),
            (at(10), at(20)),
            (at(20), at(30)),
            (at(21), at(31)),
            (at(22), at(29)),
            (at(20), at(35)),
            (at(31), at(40)),
            (at(35), at(45)),
        ];
        assert_eq!(longest_chain(&tree), 4);
        // Everything at once: one round trip.
        assert_eq!(
            longest_chain(&[(at(0), at(5)), (at(1), at(6)), (at(2), at(7))]),
            1
        );
    }
}

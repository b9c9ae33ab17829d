//! Round-trip accounting: every HTTP request regscope makes is counted by purpose.

use std::sync::atomic::{AtomicU64, Ordering};

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
    pub cache_hits: u64,
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
        };
        r.total =
            r.ping + r.token + r.manifest + r.blob + r.tags + r.catalog + r.referrers + r.head;
        r
    }
}

//! Fetching from a registry or a layout: manifests (raw bytes + digest), blobs, tags, referrers,
//! the catalog. Everything fetched by digest is verified and cached (it is immutable).

pub mod cause;
pub mod challenge;
pub mod credentials;
pub mod ecr_host;
pub mod error;
pub mod http;
pub mod layout;
mod listings;
pub mod proxy;
pub mod ratelimit;
pub mod stats;
pub mod tls;
pub mod tokens;
pub mod trust;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{Mutex, OnceCell};

pub use credentials::Credentials;
pub use error::FetchError;
pub use http::{HttpOptions, HttpRegistry};
pub use layout::LayoutStore;
pub use listings::{next_link, next_page, Page, MAX_LISTED_REFERRERS, MAX_REFERRER_PAGES};
pub use stats::{RoundTrips, Stats};

use crate::cache::DiskCache;
use crate::digest::Digest;
use crate::model::media_type as mt;

use crate::reference::{ImageRef, RegistryRef};
use stats::RequestKind;

/// Size caps: registries commonly refuse manifests over 4 MiB; configs and statements we read
/// are JSON of similar scale. Anything larger is refused before it is buffered.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub manifest: u64,
    pub blob: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            manifest: 4 * 1024 * 1024,
            blob: 4 * 1024 * 1024,
        }
    }
}

/// A manifest as fetched: its exact bytes and the digest they hash to.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    pub bytes: Bytes,
    /// sha256 of `bytes` (or the verified digest it was fetched by).
    pub digest: Digest,
    /// The `Content-Type` the registry sent (or the layout descriptor's media type).
    pub content_type: Option<String>,
    /// When the tag was resolved, if not just now: offline, from the cache's record.
    pub resolved_at: Option<std::time::SystemTime>,
}

/// Tag pages followed at most for one listing.
pub const MAX_TAG_PAGES: usize = 10_000;
/// Tags kept at most for one repository.
pub const MAX_TAGS: usize = 1_000_000;
/// Bytes of tag pages read at most for one listing.
pub const MAX_LISTING_BYTES: u64 = 256 * 1024 * 1024;

/// A repository's tags, and why the listing stopped early when it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagListing {
    pub tags: Vec<String>,
    /// `truncated at 10000 pages`, `stopped after 3 pages: …`; `None` when whole.
    pub truncated: Option<String>,
}

impl From<Vec<String>> for TagListing {
    /// Every tag: nothing was cut.
    fn from(tags: Vec<String>) -> Self {
        Self::whole(tags)
    }
}

impl FromIterator<String> for TagListing {
    fn from_iter<I: IntoIterator<Item = String>>(tags: I) -> Self {
        Self::whole(tags.into_iter().collect())
    }
}

impl TagListing {
    fn whole(tags: Vec<String>) -> Self {
        Self {
            tags,
            truncated: None,
        }
    }
}

/// How a fetcher uses the on-disk cache.
#[derive(Debug, Clone)]
pub struct DiskUse {
    pub cache: Arc<DiskCache>,
    /// Answer from the cache alone; never send a request.
    pub offline: bool,
    /// Content seen in a repository this recently is taken from the cache without asking
    /// whether the repository still has it; older sightings are confirmed with a HEAD.
    pub trust: std::time::Duration,
}

impl DiskUse {
    /// Offline, `what` the cache does not hold: the error that says how to fill it.
    #[must_use]
    pub fn missing(&self, what: &str) -> FetchError {
        FetchError::Offline {
            what: what.to_string(),
            cache: self.cache.dir().display().to_string(),
        }
    }
}

/// How long a sighting of content in a repository is trusted by default.
pub const DEFAULT_TRUST: std::time::Duration = std::time::Duration::from_hours(1);

enum Backend {
    Http(HttpRegistry),
    Layout(LayoutStore),
}

/// What an existence check is about: the registry serves the two from different endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Content {
    Manifest,
    Blob,
}

impl Content {
    fn as_str(self) -> &'static str {
        match self {
            Content::Manifest => "manifest",
            Content::Blob => "blob",
        }
    }
}

type Cell = Arc<OnceCell<Bytes>>;

/// Fetches content for one registry (or layout), counting round trips and caching by digest.
pub struct Fetcher {
    backend: Backend,
    limits: Limits,
    /// Keyed by (repository, digest): a digest present in one repository proves nothing about
    /// another, and dangling references must still be found.
    cache: Mutex<HashMap<(String, Digest), Cell>>,
    /// Content, tags and endpoints kept between runs, when enabled.
    disk: Option<DiskUse>,
    /// Repositories whose registry answered that it has no referrers API (404, 400, 405, or
    /// not an index): not asked again by this fetcher (the TUI asks per tag row).
    no_referrers_api: Mutex<HashSet<String>>,
    stats: Arc<Stats>,
}

impl Fetcher {
    /// A fetcher for the registry (or layout) `reference` lives in.
    pub fn for_reference(
        reference: &ImageRef,
        opts: HttpOptions,
        limits: Limits,
    ) -> Result<Self, FetchError> {
        match reference {
            ImageRef::Registry(r) => Self::for_registry(&r.registry, opts, limits),
            ImageRef::Layout(l) => Ok(Self::with_backend(
                Backend::Layout(LayoutStore::open(&l.path)?),
                limits,
            )),
        }
    }

    /// A fetcher for a registry by name (`docker.io`, `127.0.0.1:5000`).
    pub fn for_registry(
        registry: &str,
        opts: HttpOptions,
        limits: Limits,
    ) -> Result<Self, FetchError> {
        Self::for_registry_at(registry, crate::reference::api_host(registry), opts, limits)
    }

    /// A fetcher for `registry` reached at `host` (a mirror, or the config file's `endpoint`).
    pub fn for_registry_at(
        registry: &str,
        host: &str,
        opts: HttpOptions,
        limits: Limits,
    ) -> Result<Self, FetchError> {
        let stats = Arc::new(Stats::default());
        let http = HttpRegistry::new(registry, host, opts, stats.clone())?;
        Ok(Self {
            backend: Backend::Http(http),
            limits,
            cache: Mutex::new(HashMap::new()),
            disk: None,
            no_referrers_api: Mutex::default(),
            stats,
        })
    }

    fn with_backend(backend: Backend, limits: Limits) -> Self {
        Self {
            backend,
            limits,
            cache: Mutex::new(HashMap::new()),
            disk: None,
            no_referrers_api: Mutex::default(),
            stats: Arc::new(Stats::default()),
        }
    }

    /// This fetcher keeping what it fetches from a registry in `disk` (layouts are files
    /// already: they are not cached).
    #[must_use]
    pub fn with_disk_cache(mut self, disk: DiskUse) -> Self {
        if let Backend::Http(http) = &mut self.backend {
            http.remember_endpoint_in(disk.cache.clone(), disk.offline);
            self.disk = Some(disk);
        }
        self
    }

    /// The tag list of `repo` as the disk cache last saw it (online only: offline, `tags`
    /// answers from it anyway).
    #[must_use]
    pub fn remembered_tags(&self, repo: &str) -> Option<crate::cache::Listing> {
        let (Some(disk), Backend::Http(http)) = (&self.disk, &self.backend) else {
            return None;
        };
        (!disk.offline)
            .then(|| disk.cache.tags(http.host(), repo))
            .flatten()
    }

    /// The on-disk cache, when this fetcher uses one.
    #[must_use]
    pub fn disk(&self) -> Option<&DiskUse> {
        self.disk.as_ref()
    }

    #[must_use]
    pub fn round_trips(&self) -> RoundTrips {
        self.stats.snapshot()
    }

    /// Docker Hub's pull limit as the latest response that stated one stated.
    #[must_use]
    pub fn rate_limit(&self) -> Option<ratelimit::RateLimit> {
        self.stats.rate_limit()
    }

    /// The counters every request of this fetcher updates as it is answered (the pull limit
    /// too): the TUI's header reads them while jobs are still running.
    #[must_use]
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Where an operation starts, for [`round_trips_since`](Self::round_trips_since).
    #[must_use]
    pub fn mark(&self) -> stats::Mark {
        self.stats.mark()
    }

    /// What this fetcher did since `mark`.
    #[must_use]
    pub fn round_trips_since(&self, mark: &stats::Mark) -> RoundTrips {
        self.stats.since(mark)
    }

    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The HTTP side, when this is a registry (for `auth` diagnostics).
    #[must_use]
    pub fn http(&self) -> Option<&HttpRegistry> {
        match &self.backend {
            Backend::Http(h) => Some(h),
            Backend::Layout(_) => None,
        }
    }

    /// Resolves the root of `reference`: a manifest by tag or digest.
    pub async fn root(&self, reference: &ImageRef) -> Result<FetchedManifest, FetchError> {
        match (reference, &self.backend) {
            (ImageRef::Registry(r), Backend::Http(_)) => match &r.digest {
                Some(d) => self.manifest_by_digest(&r.repository, d).await,
                None => self.manifest_by_tag(r).await,
            },
            (ImageRef::Layout(l), Backend::Layout(store)) => {
                if let Some(d) = &l.digest {
                    return self.manifest_by_digest("", d).await;
                }
                match store.resolve(l.tag.as_deref())? {
                    layout::Resolved::Entry(desc) => {
                        let digest =
                            Digest::parse(&desc.digest).map_err(|e| FetchError::Malformed {
                                what: "index.json".into(),
                                detail: e.to_string(),
                            })?;
                        let mut m = self.manifest_by_digest("", &digest).await?;
                        m.content_type = Some(desc.media_type.clone()).filter(|s| !s.is_empty());
                        Ok(m)
                    }
                    layout::Resolved::IndexJson(bytes) => Ok(FetchedManifest {
                        digest: Digest::sha256_of(&bytes),
                        bytes,
                        content_type: Some(mt::OCI_INDEX.into()),
                        resolved_at: None,
                    }),
                }
            }
            _ => Err(FetchError::NeedsRegistry {
                why: "this fetcher serves another kind of reference",
            }),
        }
    }

    async fn manifest_by_tag(&self, r: &RegistryRef) -> Result<FetchedManifest, FetchError> {
        let Backend::Http(http) = &self.backend else {
            return Err(FetchError::NeedsRegistry {
                why: "tags need a registry",
            });
        };
        checked_repository(&r.repository)?;
        let tag = r.manifest_reference();
        if r.digest.is_none() && !crate::reference::is_valid_tag(&tag) {
            return Err(FetchError::Malformed {
                what: format!("the tag `{}`", crate::sanitize::sanitize(&tag)),
                detail: "it is not a valid tag name, so it is not requested".into(),
            });
        }
        let what = format!(
            "manifest `{}` in {}",
            crate::sanitize::sanitize(&tag),
            r.name()
        );
        if let Some(found) = self.tag_from_disk(http, &r.repository, &tag, &what).await? {
            return Ok(found);
        }
        let resp = http
            .get(
                &format!("/v2/{}/manifests/{}", r.repository, tag),
                mt::MANIFEST_ACCEPT,
                &pull_scope(&r.repository),
                RequestKind::Manifest,
                self.limits.manifest,
                &what,
            )
            .await?;
        let digest = Digest::sha256_of(&resp.body);
        // A registry that names a different digest than the bytes hash to is lying (or a proxy
        // rewrote the body): flag it instead of trusting either.
        if let Some(claimed) = resp
            .docker_digest
            .as_deref()
            .and_then(|c| Digest::parse(c).ok())
        {
            if claimed.algorithm() == "sha256" && claimed != digest {
                return Err(FetchError::DigestMismatch {
                    expected: claimed.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        self.remember(&r.repository, &digest, resp.body.clone())
            .await;
        if let Some(disk) = &self.disk {
            disk.cache.put(&digest, &resp.body);
            disk.cache.mark_seen(http.host(), &r.repository, &digest);
            disk.cache.put_tag(
                http.host(),
                &r.repository,
                &tag,
                &digest,
                resp.content_type.as_deref(),
                crate::cache::How::Get,
            );
        }
        Ok(FetchedManifest {
            bytes: resp.body,
            digest,
            content_type: resp.content_type,
            resolved_at: None,
        })
    }

    /// A tag answered with the on-disk cache's help: offline, from what it last resolved to;
    /// online, when that content is cached, one HEAD says what the tag names now and the
    /// content comes from the cache (or by digest, when the tag moved). `None`: GET it.
    async fn tag_from_disk(
        &self,
        http: &HttpRegistry,
        repo: &str,
        tag: &str,
        what: &str,
    ) -> Result<Option<FetchedManifest>, FetchError> {
        let Some(disk) = &self.disk else {
            return Ok(None);
        };
        let record = disk.cache.tag(http.host(), repo, tag);
        if disk.offline {
            let Some(record) = record else {
                return Err(disk.missing(what));
            };
            let fetched = self.manifest_by_digest(repo, &record.digest).await?;
            return Ok(Some(FetchedManifest {
                content_type: record.content_type,
                resolved_at: Some(record.at),
                ..fetched
            }));
        }
        if !record.is_some_and(|r| disk.cache.contains(&r.digest)) {
            return Ok(None);
        }
        let head = http
            .head(
                &format!("/v2/{repo}/manifests/{tag}"),
                mt::MANIFEST_ACCEPT,
                &pull_scope(repo),
                what,
            )
            .await?;
        let Some(head) = head else {
            return Err(FetchError::NotFound {
                what: what.to_string(),
                code: "MANIFEST_UNKNOWN".into(),
            });
        };
        // Without a sha256 digest in the answer the HEAD proved nothing: GET the tag.
        let Some(digest) = head
            .docker_digest
            .as_deref()
            .and_then(|d| Digest::parse(d).ok())
            .filter(|d| d.algorithm() == "sha256")
        else {
            return Ok(None);
        };
        // The registry just said the repository holds it.
        disk.cache.mark_seen(http.host(), repo, &digest);
        let fetched = self.manifest_by_digest(repo, &digest).await?;
        disk.cache.put_tag(
            http.host(),
            repo,
            tag,
            &digest,
            head.content_type.as_deref(),
            crate::cache::How::Head,
        );
        Ok(Some(FetchedManifest {
            content_type: head.content_type.or(fetched.content_type),
            ..fetched
        }))
    }

    /// What the cache expects `reference`'s tag to name, read from disk without a request:
    /// the digest the tag last resolved to and that manifest. Online only, and only when the
    /// content is cached (a warm run); `None` for a digest, a layout or a tag never resolved.
    /// The caller must still ask the registry: the tag may have moved since.
    #[must_use]
    pub fn expected_root(&self, reference: &ImageRef) -> Option<FetchedManifest> {
        let (ImageRef::Registry(r), Backend::Http(http), Some(disk)) =
            (reference, &self.backend, &self.disk)
        else {
            return None;
        };
        if disk.offline || r.digest.is_some() {
            return None;
        }
        let record = disk
            .cache
            .tag(http.host(), &r.repository, &r.manifest_reference())?;
        let bytes = disk.cache.get(&record.digest)?;
        Some(FetchedManifest {
            bytes,
            digest: record.digest,
            content_type: record.content_type,
            resolved_at: None,
        })
    }

    /// What `repo:tag` names now, by one HEAD (`None`: the registry has no such tag), logged
    /// in the tag's history. `watch` polls with it: no manifest is read while nothing changes.
    pub async fn head_tag(&self, repo: &str, tag: &str) -> Result<Option<Digest>, FetchError> {
        let Backend::Http(http) = &self.backend else {
            return Err(FetchError::NeedsRegistry {
                why: "tags need a registry",
            });
        };
        checked_repository(repo)?;
        let what = format!(
            "manifest `{}` in {}/{repo}",
            crate::sanitize::sanitize(tag),
            http.registry()
        );
        let head = http
            .head(
                &format!("/v2/{repo}/manifests/{tag}"),
                mt::MANIFEST_ACCEPT,
                &pull_scope(repo),
                &what,
            )
            .await?;
        let Some(head) = head else {
            return Ok(None);
        };
        let digest = head
            .docker_digest
            .as_deref()
            .and_then(|d| Digest::parse(d).ok())
            .ok_or_else(|| FetchError::Malformed {
                what: what.clone(),
                detail: "the registry's answer names no digest".into(),
            })?;
        if let Some(disk) = &self.disk {
            disk.cache.mark_seen(http.host(), repo, &digest);
            disk.cache.put_tag(
                http.host(),
                repo,
                tag,
                &digest,
                head.content_type.as_deref(),
                crate::cache::How::Head,
            );
        }
        Ok(Some(digest))
    }

    /// Fetches a manifest by digest, verified and cached.
    pub async fn manifest_by_digest(
        &self,
        repo: &str,
        digest: &Digest,
    ) -> Result<FetchedManifest, FetchError> {
        self.check_repository(repo)?;
        let what = format!("manifest {digest}");
        let bytes = self
            .by_digest(repo, digest, Content::Manifest, |this| async move {
                match &this.backend {
                    Backend::Http(http) => http
                        .get(
                            &format!("/v2/{repo}/manifests/{digest}"),
                            mt::MANIFEST_ACCEPT,
                            &pull_scope(repo),
                            RequestKind::Manifest,
                            this.limits.manifest,
                            &what,
                        )
                        .await
                        .map(|r| (r.body, r.content_type)),
                    Backend::Layout(store) => store
                        .read(digest, this.limits.manifest, &what)
                        .map(|b| (b, None)),
                }
            })
            .await?;
        Ok(FetchedManifest {
            bytes: bytes.0,
            digest: digest.clone(),
            content_type: bytes.1,
            resolved_at: None,
        })
    }

    /// Fetches a blob (config, in-toto statement) by digest, verified, size-capped and cached.
    pub async fn blob(&self, repo: &str, digest: &Digest) -> Result<Bytes, FetchError> {
        self.check_repository(repo)?;
        let what = format!("blob {digest}");
        self.by_digest(repo, digest, Content::Blob, |this| async move {
            match &this.backend {
                Backend::Http(http) => http
                    .get(
                        &format!("/v2/{repo}/blobs/{digest}"),
                        &[],
                        &pull_scope(repo),
                        RequestKind::Blob,
                        this.limits.blob,
                        &what,
                    )
                    .await
                    .map(|r| (r.body, None)),
                Backend::Layout(store) => store
                    .read(digest, this.limits.blob, &what)
                    .map(|b| (b, None)),
            }
        })
        .await
        .map(|(b, _)| b)
    }

    /// A blob read as it arrives, never whole (a layer): from the registry, or the layout's
    /// file. The caller verifies the digest as it reads.
    pub async fn blob_stream(
        &self,
        repo: &str,
        digest: &Digest,
    ) -> Result<BlobStream<'_>, FetchError> {
        self.check_repository(repo)?;
        let what = format!("blob {digest}");
        match &self.backend {
            Backend::Http(http) => http
                .get_streamed(
                    &format!("/v2/{repo}/blobs/{digest}"),
                    &pull_scope(repo),
                    &what,
                )
                .await
                .map(BlobStream::Http),
            Backend::Layout(store) => {
                let path = store
                    .root()
                    .join("blobs")
                    .join(digest.algorithm())
                    .join(digest.hex());
                let file = tokio::fs::File::open(&path).await.map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        FetchError::NotFound {
                            what: what.clone(),
                            code: "not in the layout".into(),
                        }
                    } else {
                        FetchError::Layout {
                            path: path.display().to_string(),
                            detail: e.to_string(),
                        }
                    }
                })?;
                Ok(BlobStream::File(file))
            }
        }
    }

    /// What was derived from immutable content `digest` of `repo` and kept in the disk cache
    /// as `name` (a layer's listing), when `repo` is known to hold `digest`: as for content,
    /// a sighting older than the trust period is confirmed with a HEAD.
    pub async fn cached_derived(
        &self,
        repo: &str,
        digest: &Digest,
        name: &str,
    ) -> Result<Option<Bytes>, FetchError> {
        let (Some(disk), Backend::Http(http)) = (&self.disk, &self.backend) else {
            return Ok(None);
        };
        let Some(bytes) = disk.cache.derived(digest, name) else {
            return Ok(None);
        };
        let trusted = disk.offline
            || disk
                .cache
                .seen_at(http.host(), repo, digest)
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age <= disk.trust);
        if !trusted && !self.exists(repo, digest, Content::Blob).await? {
            return Ok(None);
        }
        self.stats.disk_hit();
        Ok(Some(bytes))
    }

    /// What was derived from `digest` and kept as `name`, read from disk without asking the
    /// registry: for content the caller has just had from it (a manifest of the tree it
    /// fetched), so there is no sighting to confirm.
    #[must_use]
    pub fn kept_derived(&self, digest: &Digest, name: &str) -> Option<Bytes> {
        match (&self.disk, &self.backend) {
            (Some(disk), Backend::Http(_)) => disk.cache.derived(digest, name),
            _ => None,
        }
    }

    /// Keeps `bytes`, derived from `digest` of `repo`, in the disk cache as `name`.
    pub fn put_derived(&self, repo: &str, digest: &Digest, name: &str, bytes: &[u8]) {
        if let (Some(disk), Backend::Http(http)) = (&self.disk, &self.backend) {
            disk.cache.put_derived(digest, name, bytes);
            disk.cache.mark_seen(http.host(), repo, digest);
        }
    }

    /// Refuses a repository name that must not go into a request path (layouts have none).
    fn check_repository(&self, repo: &str) -> Result<(), FetchError> {
        match self.backend {
            Backend::Http(_) => checked_repository(repo).map(|_| ()),
            Backend::Layout(_) => Ok(()),
        }
    }

    /// Whether the registry still has `digest` in `repo` (one HEAD request; a file check in a
    /// layout). Content by digest never changes, but it can be deleted: what the cache holds is
    /// forgotten when it is gone, so the next fetch finds it missing too.
    pub async fn exists(
        &self,
        repo: &str,
        digest: &Digest,
        content: Content,
    ) -> Result<bool, FetchError> {
        self.check_repository(repo)?;
        let what = format!("{} {digest}", content.as_str());
        let exists = match &self.backend {
            Backend::Http(http) => {
                let (path, accept) = match content {
                    Content::Manifest => (
                        format!("/v2/{repo}/manifests/{digest}"),
                        mt::MANIFEST_ACCEPT,
                    ),
                    Content::Blob => (format!("/v2/{repo}/blobs/{digest}"), &[][..]),
                };
                http.exists(&path, accept, &pull_scope(repo), &what).await?
            }
            Backend::Layout(store) => match store.read(digest, u64::MAX, &what) {
                Ok(_) => true,
                Err(FetchError::NotFound { .. }) => false,
                Err(e) => return Err(e),
            },
        };
        if !exists {
            self.cache
                .lock()
                .await
                .remove(&(repo.to_string(), digest.clone()));
        }
        if let (Some(disk), Backend::Http(http)) = (&self.disk, &self.backend) {
            if exists {
                disk.cache.mark_seen(http.host(), repo, digest);
            } else {
                disk.cache.forget_seen(http.host(), repo, digest);
            }
        }
        Ok(exists)
    }

    /// Single-flight, verified, cached fetch of immutable content: from memory, else from
    /// the disk cache, else from the registry (and then kept in both).
    async fn by_digest<'a, F, Fut>(
        &'a self,
        repo: &str,
        digest: &Digest,
        content: Content,
        fetch: F,
    ) -> Result<(Bytes, Option<String>), FetchError>
    where
        F: FnOnce(&'a Self) -> Fut,
        Fut: std::future::Future<Output = Result<(Bytes, Option<String>), FetchError>>,
    {
        let cell = self.cell(repo, digest).await;
        if let Some(bytes) = cell.get() {
            self.stats.cache_hit();
            return Ok((bytes.clone(), None));
        }
        let mut content_type = None;
        let bytes = cell
            .get_or_try_init(|| async {
                if let Some(bytes) = self.cached_on_disk(repo, digest, content).await? {
                    return Ok(bytes);
                }
                let (bytes, ct) = fetch(self).await?;
                content_type = ct;
                if !digest.matches(&bytes) {
                    let actual = Digest::sha256_of(&bytes);
                    return Err(FetchError::DigestMismatch {
                        expected: digest.to_string(),
                        actual: actual.to_string(),
                    });
                }
                if let (Some(disk), Backend::Http(http)) = (&self.disk, &self.backend) {
                    disk.cache.put(digest, &bytes);
                    disk.cache.mark_seen(http.host(), repo, digest);
                }
                Ok(bytes)
            })
            .await?;
        Ok((bytes.clone(), content_type))
    }

    /// `digest` from the disk cache, when it is there (verified) and `repo` is known to hold
    /// it: seen there within the trust period, or confirmed now with a HEAD. Offline, what
    /// the cache lacks is an error rather than a request.
    async fn cached_on_disk(
        &self,
        repo: &str,
        digest: &Digest,
        content: Content,
    ) -> Result<Option<Bytes>, FetchError> {
        let (Some(disk), Backend::Http(http)) = (&self.disk, &self.backend) else {
            return Ok(None);
        };
        let Some(bytes) = disk.cache.get(digest) else {
            if disk.offline {
                return Err(disk.missing(&format!("{} {digest}", content.as_str())));
            }
            return Ok(None);
        };
        let trusted = disk.offline
            || disk
                .cache
                .seen_at(http.host(), repo, digest)
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age <= disk.trust);
        if !trusted {
            if !self.exists(repo, digest, content).await? {
                return Err(FetchError::NotFound {
                    what: format!("{} {digest}", content.as_str()),
                    code: match content {
                        Content::Manifest => "MANIFEST_UNKNOWN".into(),
                        Content::Blob => "BLOB_UNKNOWN".into(),
                    },
                });
            }
            disk.cache.mark_seen(http.host(), repo, digest);
        }
        self.stats.disk_hit();
        Ok(Some(bytes))
    }

    /// The cache slot for `digest` in `repo` (created empty on first use).
    async fn cell(&self, repo: &str, digest: &Digest) -> Cell {
        let mut cache = self.cache.lock().await;
        cache
            .entry((repo.to_string(), digest.clone()))
            .or_default()
            .clone()
    }

    async fn remember(&self, repo: &str, digest: &Digest, bytes: Bytes) {
        let cell = self.cell(repo, digest).await;
        let _ = cell.set(bytes);
    }
}

/// A blob being read: a registry response or a layout file.
pub enum BlobStream<'a> {
    Http(http::Streamed<'a>),
    File(tokio::fs::File),
}

impl BlobStream<'_> {
    /// The next chunk, `None` at the end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        match self {
            BlobStream::Http(s) => s.chunk().await,
            BlobStream::File(f) => {
                use tokio::io::AsyncReadExt as _;
                let mut buf = bytes::BytesMut::with_capacity(64 * 1024);
                let n = f
                    .read_buf(&mut buf)
                    .await
                    .map_err(|e| FetchError::LayoutBlob {
                        detail: e.to_string(),
                    })?;
                Ok((n > 0).then(|| buf.freeze()))
            }
        }
    }
}

/// `repo` when it may go into a request path; a name outside the distribution grammar (a `?`,
/// `#`, `..` or space from a hostile catalog or tag list) is refused before any request.
fn checked_repository(repo: &str) -> Result<&str, FetchError> {
    if crate::reference::is_valid_repository(repo) {
        Ok(repo)
    } else {
        Err(FetchError::Malformed {
            what: format!("the repository name `{}`", crate::sanitize::sanitize(repo)),
            detail: "it is not a valid repository name, so it is not requested".into(),
        })
    }
}

/// The bearer-token scope for pulling from `repo`.
#[must_use]
pub fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_outside_the_grammar_never_reach_a_request() {
        // Port 1 on loopback: any request would fail to connect, so a `Malformed` answer proves
        // the name was refused before one was sent.
        let fetcher =
            Fetcher::for_registry("127.0.0.1:1", HttpOptions::default(), Limits::default())
                .expect("fetcher");
        for repo in ["a?b", "a#b", "a/../b"] {
            let err = fetcher.tags(repo).await.expect_err(repo);
            assert!(matches!(err, FetchError::Malformed { .. }), "{repo}: {err}");
        }
        let reference = RegistryRef {
            registry: "127.0.0.1:1".into(),
            repository: "team/app".into(),
            tag: Some("v1?n=1#x".into()),
            digest: None,
        };
        let err = fetcher
            .manifest_by_tag(&reference)
            .await
            .expect_err("bad tag");
        assert!(matches!(err, FetchError::Malformed { .. }), "{err}");
        assert_eq!(fetcher.round_trips().total, 0);
    }
}

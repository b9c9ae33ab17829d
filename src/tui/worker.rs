//! Runs effects: one tokio task per effect, a bounded number at once, results sent back as
//! actions carrying the effect's request id. Connections come from the one [`Connector`] the
//! CLI uses too (flags, config file, credentials), shared per location for the whole session.
//! Work no view waits for any more is aborted ([`Worker::retain`]), not run to the end.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::AbortHandle;

use super::action::{Action, CatalogPage, Effect, Inspected, Origin, RequestId};
use super::views::repositories::PAGE_SIZE;
use crate::connect::{ConnectError, Connection, Connector, Location};
use crate::inspect::{inspect, inspect_root, recheck, InspectOptions};
use crate::reference::ImageRef;
use crate::registry::FetchError;

/// How long Docker Hub's tag list is waited for once the registry's own list has arrived.
const DESCRIBE_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Gone tags from the log shown at most in one tag list (the log keeps 10,000 sightings per
/// repository; a deleted release train must not bury the listed tags).
pub const MAX_LOGGED_GONE: usize = 100;

/// Effects running at once; each also goes through the fetcher's own request limit.
const MAX_TASKS: usize = 8;

#[derive(Clone)]
pub struct Worker {
    tx: mpsc::UnboundedSender<Action>,
    connector: Arc<Connector>,
    /// The connection the app has been told about, per location (again when it is made
    /// again: after a 401 the credentials are read afresh, and may be someone else's).
    announced: Arc<Mutex<HashMap<Location, Arc<Connection>>>>,
    /// Trees built this session by location and root digest: what a tag revalidated after `r`
    /// reuses (once its content is checked to be still there) when it still points at the
    /// same digest.
    trees: Arc<Mutex<TreeCache>>,
    /// Tasks under way by request id, so superseded ones can be aborted.
    running: Arc<Mutex<HashMap<RequestId, AbortHandle>>>,
    permits: Arc<Semaphore>,
    /// Registries found to be Harbor while listing (once the catalog was refused): their
    /// tag rows get the push times of Harbor's artifacts.
    harbors: Arc<Mutex<HashMap<String, crate::listing::Native>>>,
}

/// Trees by location and root digest.
type TreeCache = HashMap<(Location, String), Arc<Inspected>>;

/// Trees kept for revalidation; past this the cache starts over (it only saves requests).
const MAX_TREES: usize = 512;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Worker {
    #[must_use]
    pub fn new(tx: mpsc::UnboundedSender<Action>, connector: Arc<Connector>) -> Self {
        Self {
            tx,
            connector,
            announced: Arc::default(),
            trees: Arc::default(),
            running: Arc::default(),
            permits: Arc::new(Semaphore::new(MAX_TASKS)),
            harbors: Arc::default(),
        }
    }

    /// Starts `effect` in the background; its result arrives on the channel.
    pub fn spawn(&self, effect: Effect) {
        let id = effect.id();
        let this = self.clone();
        // Held while spawning, so the task cannot finish (and unregister) before it is registered.
        let mut running = lock(&self.running);
        let handle = tokio::spawn(async move {
            // A watch runs until stopped: it takes no permit and has no deadline (it bounds
            // its own requests).
            let watch = matches!(effect, Effect::Watch { .. });
            // The semaphore is never closed, so a failed acquire cannot happen; run anyway.
            let _permit = if watch {
                None
            } else {
                this.permits.clone().acquire_owned().await.ok()
            };
            let location = effect.location();
            let mark = match &location {
                Some(l) => this.connector.existing(l).await.map(|c| {
                    // The header follows this job's responses as they come.
                    let _ = this.tx.send(Action::RateLimit {
                        location: l.clone(),
                        stats: c.fetcher.stats(),
                    });
                    c.fetcher.mark()
                }),
                None => None,
            };
            let action = if watch {
                this.execute(effect).await
            } else {
                this.execute_within_deadline(effect).await
            };
            lock(&this.running).remove(&id);
            if let Some(location) = location {
                if let Some(c) = this.connector.existing(&location).await {
                    let cost = c.fetcher.round_trips_since(&mark.unwrap_or_default());
                    if cost.total + cost.cache_hits + cost.disk_hits > 0 {
                        let _ = this.tx.send(Action::Stats(cost));
                    }
                    // A first job made the connection: the header follows it from now on.
                    if mark.is_none() {
                        let _ = this.tx.send(Action::RateLimit {
                            location,
                            stats: c.fetcher.stats(),
                        });
                    }
                }
            }
            // The receiver is gone only when the app has quit.
            let _ = this.tx.send(action);
        });
        if id != 0 {
            running.insert(id, handle.abort_handle());
        }
    }

    /// Aborts every task whose request id is not in `pending` (the user went back, refreshed
    /// or scrolled past it): superseded work stops instead of running to the end.
    pub fn retain(&self, pending: &HashSet<RequestId>) {
        lock(&self.running).retain(|id, handle| {
            let keep = pending.contains(id);
            if !keep {
                handle.abort();
            }
            keep
        });
    }

    /// Tasks under way (for tests of cancellation).
    #[must_use]
    pub fn running(&self) -> usize {
        lock(&self.running).len()
    }

    /// [`Self::execute`] bounded by the connection settings' deadline: a registry that
    /// answers each request just in time cannot keep a view loading for ever.
    async fn execute_within_deadline(&self, effect: Effect) -> Action {
        let deadline = self.connector.settings().deadline;
        let answer_late = effect.clone();
        match tokio::time::timeout(deadline, Box::pin(self.execute(effect))).await {
            Ok(action) => action,
            Err(_) => answer_late.failed(FetchError::Deadline {
                what: answer_late.describe(),
                after: deadline,
            }),
        }
    }

    /// Runs one effect to completion and returns the action answering it.
    pub async fn execute(&self, effect: Effect) -> Action {
        match effect {
            Effect::LoadCatalog { id, registry, last } => Action::CatalogLoaded {
                id,
                result: self.catalog(&registry, last.as_deref()).await,
            },
            Effect::SearchHub {
                id,
                registry,
                query,
            } => Action::CatalogLoaded {
                id,
                result: self.search_hub(&registry, &query).await,
            },
            Effect::LoadTags {
                id,
                location,
                repository,
            } => Action::TagsLoaded {
                id,
                result: self.load_tags(id, &location, &repository).await,
            },
            Effect::LoadImages {
                id,
                location,
                repository,
            } => {
                let result = match self.connection(&location).await {
                    Ok(c) => crate::ecr::inventory::collect(&self.connector, &c, &repository)
                        .await
                        .map(Arc::new),
                    Err(e) => Err(e),
                };
                Action::ImagesLoaded { id, result }
            }
            Effect::Inspect { id, reference } => {
                // Read before resolving: the resolution itself is logged.
                let logged = self.last_logged(&reference);
                let result = Box::pin(self.inspect(&reference, false)).await;
                if let (Ok(i), ImageRef::Registry(target), Some(last)) =
                    (&result, &reference, logged)
                {
                    self.send_moved_since(target, &i.root.digest, &last);
                }
                Action::Inspected { id, result }
            }
            Effect::Revalidate { id, reference } => {
                let result = Box::pin(self.inspect(&reference, true)).await;
                if let (Ok(i), ImageRef::Registry(target)) = (&result, &reference) {
                    self.send_logged_move(target, &i.root.digest);
                }
                Action::Inspected { id, result }
            }
            Effect::LoadFiles {
                id,
                reference,
                manifest,
            } => Action::FilesLoaded {
                id,
                result: self.load_files(id, &reference, &manifest).await,
            },
            Effect::Compare { id, left, right } => Action::Compared {
                id,
                result: Box::pin(crate::diff::fetch::compare_references(
                    &self.connector,
                    &left,
                    &right,
                ))
                .await
                .map(|(c, _, _)| Arc::new(c))
                .map_err(|e| e.source),
            },
            Effect::InspectAttachments {
                id,
                reference,
                recheck,
            } => Action::Inspected {
                id,
                result: Box::pin(self.inspect_attachments(&reference, recheck)).await,
            },
            // The log is bounded (per repository) and at most `MAX_SUMMARIES` moves are
            // compared; the deadline bounds the whole.
            Effect::LoadHistory { id, target } => Action::HistoryLoaded {
                id,
                result: Ok(Box::pin(crate::history::report::load(
                    &self.connector,
                    &target,
                    target.tag.as_deref(),
                ))
                .await
                .map(Arc::new)),
            },
            Effect::Watch {
                id,
                target,
                tags,
                interval,
            } => Box::pin(self.watch(id, &target, tags, interval)).await,
            // The event loop performs these itself (the terminal is written between draws);
            // one that reaches the worker is answered with a no-op.
            Effect::Copy { .. } | Effect::Remember { .. } => Action::Tick,
        }
    }

    /// Docker Hub's public search for `query`, as one catalog page (the origin says what the
    /// results are).
    async fn search_hub(&self, registry: &str, query: &str) -> Result<CatalogPage, ConnectError> {
        let hub = crate::listing::Native::for_registry(registry, self.connector.config())
            .ok_or_else(|| {
                ConnectError::from(FetchError::NotListed {
                    registry: registry.to_string(),
                    detail: "searching is Docker Hub's (docker.io)".into(),
                })
            })?;
        hub.search(&self.connector, query)
            .await
            .map(CatalogPage::from)
            .map_err(Into::into)
    }

    /// Watches `tags` with the watch engine, each event and round sent as it happens.
    async fn watch(
        &self,
        id: RequestId,
        target: &crate::reference::RegistryRef,
        tags: Vec<String>,
        interval: std::time::Duration,
    ) -> Action {
        use super::views::watch::Update;
        use crate::history::poll::{run_reporting, WatchOptions};
        let targets = tags
            .into_iter()
            .map(|tag| crate::reference::RegistryRef {
                tag: Some(tag),
                digest: None,
                ..target.clone()
            })
            .collect();
        // The repository too: tags created while watching join the watch (and the view).
        let options = WatchOptions {
            interval,
            count: None,
            repository: Some(crate::reference::RegistryRef {
                tag: None,
                digest: None,
                ..target.clone()
            }),
            // The view listed these tags: one its first listing adds was created since.
            targets_listed: true,
        };
        // The receiver is gone only when the app has quit.
        let (events, rounds) = (self.tx.clone(), self.tx.clone());
        run_reporting(
            &self.connector,
            targets,
            &options,
            async move |event: crate::history::poll::Event| {
                let _ = events.send(Action::Watched {
                    id,
                    update: Update::Event(event),
                });
            },
            move |tags| {
                let _ = rounds.send(Action::Watched {
                    id,
                    update: Update::Polled(SystemTime::now(), tags),
                });
            },
        )
        .await;
        Action::Watched {
            id,
            update: Update::Ended(None),
        }
    }

    /// When the log says `target`'s tag moved to `digest`, tells the app from where and when,
    /// as far as the log knows (for `moved from … between 14 min ago and just now`). Only on `r` (a revalidation): each reads the
    /// repository's log, which is bounded.
    fn send_logged_move(&self, target: &crate::reference::RegistryRef, digest: &str) {
        let (Some(cache), Some(tag)) = (self.connector.disk_cache(), target.tag.as_deref()) else {
            return;
        };
        let host = crate::history::report::cache_host(&self.connector, &target.registry);
        let sightings = cache.sightings(&host, &target.repository, Some(tag));
        let Some(h) = crate::history::tag_histories(&sightings).into_iter().next() else {
            return;
        };
        let (Some(now), Some(before)) = (h.stints.first(), h.stints.get(1)) else {
            return;
        };
        if now.digest.to_string() != digest {
            return;
        }
        // The receiver is gone only when the app has quit.
        let _ = self.tx.send(Action::TagMoved {
            location: Location::Registry(target.registry.clone()),
            repository: target.repository.clone(),
            tag: tag.to_string(),
            from: before.digest.to_string(),
            when: crate::history::moved_when(before, now),
        });
    }

    /// The log's newest sighting of `reference`'s tag (a registry tag, with a disk cache).
    fn last_logged(&self, reference: &ImageRef) -> Option<crate::cache::Sighting> {
        let ImageRef::Registry(target) = reference else {
            return None;
        };
        let (cache, tag) = (self.connector.disk_cache()?, target.tag.as_deref()?);
        if target.digest.is_some() {
            return None;
        }
        let host = crate::history::report::cache_host(&self.connector, &target.registry);
        cache.sightings(&host, &target.repository, Some(tag)).pop()
    }

    /// When the log last saw `target`'s tag at another digest than `digest`, tells the app
    /// (for `moved from … (last seen there 14 min ago)` on first open).
    fn send_moved_since(
        &self,
        target: &crate::reference::RegistryRef,
        digest: &str,
        last: &crate::cache::Sighting,
    ) {
        let (Some(tag), false) = (target.tag.as_deref(), last.digest.to_string() == digest) else {
            return;
        };
        // The receiver is gone only when the app has quit.
        let _ = self.tx.send(Action::MovedSinceLastLook {
            location: Location::Registry(target.registry.clone()),
            repository: target.repository.clone(),
            tag: tag.to_string(),
            from: last.digest.to_string(),
            last_seen: last.at,
        });
    }

    /// One page of a registry's repositories: ECR's API, else the service's own API for Docker
    /// Hub and GHCR (all at once), else the catalog. A refused catalog from a registry that
    /// takes the login is said to be not offered, not a bad login.
    async fn catalog(
        &self,
        registry: &str,
        last: Option<&str>,
    ) -> Result<CatalogPage, ConnectError> {
        let c = self
            .connection(&Location::Registry(registry.to_string()))
            .await?;
        if let Some(page) = self.ecr_repositories(registry, last).await {
            return Ok(page);
        }
        let native = last
            .is_none()
            .then(|| crate::listing::Native::for_registry(registry, self.connector.config()))
            .flatten();
        let mut native_error = None;
        if let Some(native) = native {
            match native.repositories(&self.connector, None).await {
                Ok(l) => return Ok(l.into()),
                Err(e) => native_error = Some(e),
            }
        }
        match c.fetcher.catalog_page(PAGE_SIZE, last).await {
            Ok((repositories, more)) => Ok(CatalogPage {
                repositories,
                more,
                details: HashMap::new(),
                origin: native_error.map(|e| Origin {
                    source: "the registry's catalog".into(),
                    gaps: vec![format!("through the service's API: {e}")],
                }),
            }),
            Err(e) => match native_error {
                Some(native) => Err(native.into()),
                // Harbor lists through its own API once the catalog is refused (only a
                // later page could fail here otherwise, and that is the catalog's).
                None if last.is_none() => {
                    crate::listing::after_catalog_refusal(&self.connector, &c, e, None)
                        .await
                        .map(|listing| {
                            if let Some(n) = &listing.native {
                                lock(&self.harbors).insert(registry.to_string(), n.clone());
                            }
                            CatalogPage::from(listing)
                        })
                }
                None => Err(c.error(e)),
            },
        }
    }

    /// An ECR registry's repositories with their settings, from `DescribeRepositories` (all
    /// pages at once); `None` for other registries, later pages, or when the API refuses (the
    /// catalog is asked instead).
    #[cfg(feature = "ecr")]
    async fn ecr_repositories(&self, registry: &str, last: Option<&str>) -> Option<CatalogPage> {
        let private = crate::ecr::EcrHost::parse(registry)?.private()?.clone();
        if last.is_some() {
            return None;
        }
        let endpoint = crate::ecr::api_endpoint(self.connector.config(), registry);
        let api = crate::ecr::api::EcrApi::new(
            &private.region,
            Some(&private.account),
            endpoint.as_deref(),
        )
        .await;
        let (mut repos, _) = api.repositories().await.ok()?;
        repos.sort_by(|a, b| a.name.cmp(&b.name));
        let details = repos
            .iter()
            .map(|r| (r.name.clone(), crate::ecr::describe_repository(r)))
            .collect();
        Some(CatalogPage {
            repositories: repos.into_iter().map(|r| r.name).collect(),
            more: false,
            details,
            origin: None,
        })
    }

    #[cfg(not(feature = "ecr"))]
    // Async like the `ecr` feature's version, which awaits.
    #[allow(clippy::unused_async)]
    async fn ecr_repositories(&self, _registry: &str, _last: Option<&str>) -> Option<CatalogPage> {
        None
    }

    /// The connection for `location`; the first time, the app hears where its credentials
    /// came from (for the header).
    async fn connection(&self, location: &Location) -> Result<Arc<Connection>, ConnectError> {
        let connection = self.connector.connect(location).await?;
        let fresh = lock(&self.announced)
            .insert(location.clone(), connection.clone())
            .is_none_or(|before| !Arc::ptr_eq(&before, &connection));
        if fresh {
            let _ = self.tx.send(Action::Connected {
                location: location.clone(),
                credentials: connection.credentials.clone(),
                insecure: connection.tls.insecure.clone(),
            });
        }
        Ok(connection)
    }

    /// A repository's tags: what the disk cache remembers first (shown at once), then the
    /// registry's list, with progress after each page past the first.
    async fn load_tags(
        &self,
        id: RequestId,
        location: &Location,
        repository: &str,
    ) -> Result<crate::registry::TagListing, ConnectError> {
        let c = self.connection(location).await?;
        if let Some(listing) = c.fetcher.remembered_tags(repository) {
            let _ = self.tx.send(Action::TagsRemembered {
                id,
                tags: listing.names,
                at: listing.at,
            });
        }
        let tx = self.tx.clone();
        let progress = move |pages: usize, names: usize| {
            // The first page is the usual whole list: nothing to say.
            if pages > 1 {
                let _ = tx.send(Action::TagsProgress { id, pages, names });
            }
        };
        // Docker Hub's tag list alongside the registry's: the rows' figures without a
        // manifest GET each (those count against the pull limit). A slow Hub API holds the
        // list back [`DESCRIBE_GRACE`] at most; then the rows resolve from the registry.
        let mut listing = Box::pin(c.fetcher.tag_listing_with(repository, &progress));
        let mut describe = Box::pin(self.describe_tags(location, repository));
        let (listing, described) = tokio::select! {
            listing = &mut listing => {
                let described = match &listing {
                    Ok(_) => tokio::time::timeout(DESCRIBE_GRACE, describe).await.ok().flatten(),
                    Err(_) => None,
                };
                (listing, described)
            }
            described = &mut describe => (listing.await, described),
        };
        let listing = listing.map_err(|e| c.error(e))?;
        if let Some(described) = described {
            let _ = self.tx.send(Action::TagsDescribed {
                id,
                described: Arc::new(described),
            });
        }
        self.send_logged_gone(id, location, repository, &listing.tags);
        Ok(listing)
    }

    /// The tags of `repository` as Docker Hub's tag API describes them (digest, platforms,
    /// size, push time), when the registry is Docker Hub (or what the config file says stands
    /// in for it); as GitLab's tag details, Quay's tag list, GitHub's package versions or,
    /// for a registry this session found to be Harbor, its artifacts describe them (push
    /// time, for the PUSHED column and the status line); `None` elsewhere, offline, or when the
    /// API did not answer (the rows then resolve from the registry, as everywhere else).
    async fn describe_tags(
        &self,
        location: &Location,
        repository: &str,
    ) -> Option<super::views::tags::Described> {
        let Location::Registry(registry) = location else {
            return None;
        };
        let native = crate::listing::Native::for_registry(registry, self.connector.config())
            .or_else(|| lock(&self.harbors).get(registry).cloned())?;
        if self.connector.offline() {
            return None;
        }
        let listed = native.tags(&self.connector, repository).await.ok()?;
        let tags = listed
            .tags
            .into_iter()
            .filter(|t| {
                t.tagged
                    && t.digest
                        .as_deref()
                        .is_some_and(|d| crate::digest::Digest::parse(d).is_ok())
            })
            .map(|t| (t.name.clone(), t))
            .collect();
        let hub = native.service == crate::listing::Service::DockerHub;
        Some(super::views::tags::Described {
            by: match native.service {
                crate::listing::Service::DockerHub => "Hub's tag list",
                crate::listing::Service::Harbor => "Harbor's artifacts",
                crate::listing::Service::GitLab => "GitLab's tag details",
                crate::listing::Service::Quay => "Quay's tag list",
                crate::listing::Service::Ghcr => "GitHub's package versions",
            },
            // Resolving a GitLab tag costs no pull: the rows still show the whole tree's
            // figures, and the push time besides.
            stands_in: hub,
            tags,
        })
    }

    /// Tags the log had that `listed` lacks, each with the digest it last named (at most
    /// [`MAX_LOGGED_GONE`], the most recently seen first): sent before the list itself.
    fn send_logged_gone(
        &self,
        id: RequestId,
        location: &Location,
        repository: &str,
        listed: &[String],
    ) {
        let (Location::Registry(registry), Some(cache)) = (location, self.connector.disk_cache())
        else {
            return;
        };
        let host = crate::history::report::cache_host(&self.connector, registry);
        let listed: std::collections::HashSet<&str> = listed.iter().map(String::as_str).collect();
        let mut gone: Vec<(String, String, SystemTime)> =
            crate::history::tag_histories(&cache.sightings(&host, repository, None))
                .into_iter()
                .filter(|h| !listed.contains(h.tag.as_str()))
                .filter_map(|h| {
                    let last = h.stints.into_iter().next()?;
                    Some((h.tag, last.digest.to_string(), last.last_seen))
                })
                .collect();
        if gone.is_empty() {
            return;
        }
        gone.sort_by_key(|g| std::cmp::Reverse(g.2));
        gone.truncate(MAX_LOGGED_GONE);
        // The receiver is gone only when the app has quit.
        let _ = self.tx.send(Action::LoggedGone { id, gone });
    }

    /// The tree of `reference`. With `reuse`, its root manifest is fetched first and a tree
    /// already built for that digest is reused, with every manifest, config and statement in it
    /// checked to be still there (HEAD requests: deleted content is marked missing); otherwise
    /// (or on a miss) it is built.
    async fn inspect(
        &self,
        reference: &ImageRef,
        reuse: bool,
    ) -> Result<Arc<Inspected>, ConnectError> {
        let location = Location::of(reference);
        let connection = self.connection(&location).await?;
        let fetcher = &connection.fetcher;
        let name = reference.to_string();
        let mut fetched_root = None;
        if reuse {
            let root = fetcher
                .root(reference)
                .await
                .map_err(|e| connection.error(e))?;
            if let Some(tree) = self.cached(&location, &root.digest.to_string()) {
                let mut node = tree.root.clone();
                let (rechecked, listed) =
                    checked_and_listed(fetcher, reference, &mut node, true).await;
                // Something deleted came back: only a new build can show what it holds.
                if rechecked.back == 0 {
                    self.send_kept(fetcher, &node);
                    return Ok(self.finish(reference, location, name, node, listed));
                }
            }
            fetched_root = Some(root);
        }
        // Under a signature policy the tag row says `S✓` or `S✗`: that needs the signatures
        // themselves, so the tree is built with its attachments.
        let policy = self.has_policy(reference);
        let opts = InspectOptions {
            attachments: policy,
        };
        let i = match fetched_root {
            Some(root) => inspect_root(fetcher, reference, root, &opts).await,
            None => inspect(fetcher, reference, &opts).await,
        }
        .map_err(|e| connection.error(e))?;
        let mut node = i.root;
        // With `reuse`, the fetcher's digest cache may have answered for content deleted since.
        let (_, listed) = checked_and_listed(fetcher, reference, &mut node, reuse).await;
        self.send_kept(fetcher, &node);
        Ok(self.finish(reference, location, i.reference, node, listed))
    }

    /// Tells the app what earlier runs measured of `root`'s platforms (kept on disk by
    /// manifest digest), ahead of the tree itself, so its rows show the figures at once.
    fn send_kept(&self, fetcher: &crate::registry::Fetcher, root: &crate::model::Node) {
        let mut kept = crate::layers::measured::kept_for(fetcher, root);
        let limits = crate::analysis::layer_files::WasteLimits::with_config(
            None,
            None,
            &self.connector.config().layers,
        );
        for m in kept.values_mut() {
            m.past_limits = m.past(&limits);
        }
        if !kept.is_empty() {
            let _ = self.tx.send(Action::MeasuredKept(kept));
        }
    }

    /// Whether a `[verify."PATTERN"]` policy of the config file covers `reference`.
    fn has_policy(&self, reference: &ImageRef) -> bool {
        let ImageRef::Registry(r) = reference else {
            return false;
        };
        self.connector
            .config()
            .verify_policy(&r.registry, &r.repository)
            .is_some()
    }

    /// The filesystem of `manifest` and its file findings; progress goes to the app as the
    /// layers download (at most every 256 KiB, so the channel is not flooded).
    async fn load_files(
        &self,
        id: RequestId,
        reference: &ImageRef,
        manifest: &crate::model::Node,
    ) -> Result<Arc<super::views::files::LoadedFiles>, ConnectError> {
        use crate::layers::{fetch, Limits};
        let location = Location::of(reference);
        let connection = self.connection(&location).await?;
        let repo = crate::inspect::repo_of(reference);
        let limits = Limits {
            deadline: self.connector.settings().deadline,
            ..Limits::default()
        };
        let tx = self.tx.clone();
        // Sent when the bytes pass another 256 KiB or a layer starts or ends.
        let last = std::sync::Mutex::new((u64::MAX, 0usize, 0usize));
        let progress = move |p: fetch::Progress| {
            let now = (p.bytes >> 18, p.done, p.in_flight);
            let changed = last
                .lock()
                .is_ok_and(|mut l| std::mem::replace(&mut *l, now) != now);
            if changed {
                let _ = tx.send(Action::FilesProgress { id, progress: p });
            }
        };
        let fs = fetch::filesystem(&connection.fetcher, &repo, manifest, &limits, &progress)
            .await
            .map_err(|e| match e {
                crate::layers::LayerError::Fetch(f) => connection.error(f),
                other => ConnectError::from(crate::registry::FetchError::BadLayer {
                    digest: manifest.digest.clone(),
                    detail: crate::sanitize::sanitize(&other.to_string()).into_owned(),
                }),
            })?;
        let (mut found, facts) = match manifest.config_summary() {
            Some(cfg) => {
                crate::analysis::files::check(&manifest.digest, cfg, &fs, limits.link_depth)
            }
            None => (Vec::new(), crate::analysis::files::Facts::default()),
        };
        found.extend(crate::analysis::layer_files::manifest_waste_finding(
            manifest,
            &fs,
            &self.connector.config().layers,
        ));
        Ok(Arc::new(super::views::files::LoadedFiles {
            fs,
            facts,
            findings: found,
        }))
    }

    /// The tree with every attachment found and `attachment-orphaned` among its findings.
    /// Content by digest comes from the fetcher's cache: after the plain tree this costs the
    /// attachment lookups. Not kept for revalidation (which rebuilds the plain tree).
    async fn inspect_attachments(
        &self,
        reference: &ImageRef,
        recheck_cached: bool,
    ) -> Result<Arc<Inspected>, ConnectError> {
        let connection = self.connection(&Location::of(reference)).await?;
        let i = inspect(
            &connection.fetcher,
            reference,
            &InspectOptions { attachments: true },
        )
        .await
        .map_err(|e| connection.error(e))?;
        let mut root = i.root;
        if recheck_cached {
            // Refreshing: the digest cache may answer for content deleted since.
            recheck(&connection.fetcher, reference, &mut root).await;
        }
        self.send_kept(&connection.fetcher, &root);
        let signatures = crate::verify::check_policy(self.connector.config(), reference, &root);
        let mut findings = crate::report::tree_findings(&root, &i.orphaned);
        findings.extend(crate::verify::checked_findings(&signatures, &root));
        crate::analysis::sort(&mut findings);
        Ok(Arc::new(Inspected {
            reference: i.reference,
            root,
            findings,
            checked: SystemTime::now(),
            // The referrers are in the tree itself.
            listed: Vec::new(),
            signatures,
            files_opened: false,
        }))
    }

    /// The tree with its findings, checked now; kept for the next revalidation.
    fn finish(
        &self,
        image: &ImageRef,
        location: Location,
        reference: String,
        root: crate::model::Node,
        listed: Vec<String>,
    ) -> Arc<Inspected> {
        // Orphaned tags are the tree view's to find (its lookup checks them): none here. Under a
        // policy the attachments are in the tree, and the row is judged as the tree view is.
        let mut findings = crate::report::tree_findings(&root, &[]);
        let signatures = crate::verify::check_policy(self.connector.config(), image, &root);
        findings.extend(crate::verify::checked_findings(&signatures, &root));
        crate::analysis::sort(&mut findings);
        let tree = Arc::new(Inspected {
            reference,
            root,
            findings,
            checked: SystemTime::now(),
            listed,
            signatures,
            files_opened: false,
        });
        self.remember(location, tree.clone());
        tree
    }

    fn cached(&self, location: &Location, digest: &str) -> Option<Arc<Inspected>> {
        lock(&self.trees)
            .get(&(location.clone(), digest.to_string()))
            .cloned()
    }

    fn remember(&self, location: Location, tree: Arc<Inspected>) {
        // A tree with a failed fetch in it may come out whole next time: build it again then.
        let mut failed = false;
        tree.root.walk(&mut |n| {
            failed |= matches!(n.problem, Some(crate::model::Problem::FetchFailed { .. }));
        });
        if failed {
            return;
        }
        let mut trees = lock(&self.trees);
        if trees.len() >= MAX_TREES {
            trees.clear();
        }
        trees.insert((location, tree.root.digest.clone()), tree);
    }
}

/// With `check`, re-checks that the tree below `root` is still there (see [`recheck`]) and,
/// at the same time, asks what the referrers API lists for it: independent requests, one
/// round trip.
async fn checked_and_listed(
    fetcher: &crate::registry::Fetcher,
    reference: &ImageRef,
    root: &mut crate::model::Node,
    check: bool,
) -> (crate::inspect::Rechecked, Vec<String>) {
    let subjects: Vec<crate::digest::Digest> = std::iter::once(&*root)
        .chain(root.children.iter().filter(|c| c.is_runnable()))
        .filter_map(|n| crate::digest::Digest::parse(&n.digest).ok())
        .take(MAX_LISTED_SUBJECTS)
        .collect();
    let listed = listed_referrers(fetcher, reference, subjects);
    if check {
        futures::join!(recheck(fetcher, reference, root), listed)
    } else {
        (crate::inspect::Rechecked::default(), listed.await)
    }
}

/// Platforms of one tag asked about at most by [`listed_referrers`].
const MAX_LISTED_SUBJECTS: usize = 16;

/// What the referrers API lists for a tag's root and its runnable platforms: artifact types
/// only, no manifest fetched (for the row's badges). All asked at once; nothing where the
/// registry has no API (the fetcher remembers that after the first answer). A failure is not
/// the row's failure: it shows what the tree and tags say.
async fn listed_referrers(
    fetcher: &crate::registry::Fetcher,
    reference: &ImageRef,
    subjects: Vec<crate::digest::Digest>,
) -> Vec<String> {
    let repo = crate::inspect::repo_of(reference);
    let answers =
        futures::future::join_all(subjects.iter().map(|d| fetcher.referrers_api(&repo, d))).await;
    let mut types: Vec<String> = answers
        .into_iter()
        .filter_map(Result::ok)
        .flatten()
        .flatten()
        .map(|d| d.artifact_type.unwrap_or(d.media_type))
        .collect();
    types.sort();
    types.dedup();
    types
}

//! Runs effects: one tokio task per effect, a bounded number at once, results sent back as
//! actions carrying the effect's request id. Fetchers (and their digest caches) are shared per
//! location for the whole session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Semaphore};

use super::action::{Action, CatalogPage, Effect, Inspected, Location};
use super::views::repositories::PAGE_SIZE;
use crate::inspect::{inspect, inspect_root, InspectOptions};
use crate::reference::{ImageRef, LayoutRef};
use crate::registry::{FetchError, Fetcher, HttpOptions, Limits};

/// Effects running at once; each also goes through the fetcher's own request limit.
const MAX_TASKS: usize = 8;

#[derive(Clone)]
pub struct Worker {
    tx: mpsc::UnboundedSender<Action>,
    opts: HttpOptions,
    fetchers: Arc<Mutex<HashMap<Location, Arc<Fetcher>>>>,
    /// Trees built this session by location and root digest: what a tag revalidated after `r`
    /// reuses when it still points at the same digest.
    trees: Arc<Mutex<TreeCache>>,
    permits: Arc<Semaphore>,
}

/// Trees by location and root digest.
type TreeCache = HashMap<(Location, String), Arc<Inspected>>;

/// Trees kept for revalidation; past this the cache starts over (it only saves requests).
const MAX_TREES: usize = 512;

impl Worker {
    #[must_use]
    pub fn new(tx: mpsc::UnboundedSender<Action>, opts: HttpOptions) -> Self {
        Self {
            tx,
            opts,
            fetchers: Arc::default(),
            trees: Arc::default(),
            permits: Arc::new(Semaphore::new(MAX_TASKS)),
        }
    }

    /// Starts `effect` in the background; its result arrives on the channel.
    pub fn spawn(&self, effect: Effect) {
        let this = self.clone();
        tokio::spawn(async move {
            // The semaphore is never closed, so a failed acquire cannot happen; run anyway.
            let _permit = this.permits.clone().acquire_owned().await;
            let action = this.execute(effect).await;
            // The receiver is gone only when the app has quit.
            let _ = this.tx.send(action);
        });
    }

    /// Runs one effect to completion and returns the action answering it.
    pub async fn execute(&self, effect: Effect) -> Action {
        match effect {
            Effect::LoadCatalog { id, registry, last } => {
                let result = match self.fetcher(&Location::Registry(registry)) {
                    Ok(f) => f
                        .catalog_page(PAGE_SIZE, last.as_deref())
                        .await
                        .map(|(repositories, more)| CatalogPage { repositories, more })
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                Action::CatalogLoaded { id, result }
            }
            Effect::LoadTags {
                id,
                location,
                repository,
            } => {
                let result = match self.fetcher(&location) {
                    Ok(f) => f.tags(&repository).await.map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                Action::TagsLoaded { id, result }
            }
            Effect::Inspect { id, reference } => Action::Inspected {
                id,
                result: self.inspect(&reference, false).await,
            },
            Effect::Revalidate { id, reference } => Action::Inspected {
                id,
                result: self.inspect(&reference, true).await,
            },
            // The event loop performs these itself (the terminal is written between draws);
            // one that reaches the worker is answered with a no-op.
            Effect::Copy { .. } | Effect::Remember { .. } => Action::Tick,
        }
    }

    /// The tree of `reference`. With `reuse`, its root manifest is fetched first and a tree
    /// already built for that digest is returned as is; otherwise (or on a miss) it is built.
    async fn inspect(&self, reference: &ImageRef, reuse: bool) -> Result<Arc<Inspected>, String> {
        let location = location_of(reference);
        let fetcher = self.fetcher(&location).map_err(|e| e.to_string())?;
        let mut fetched_root = None;
        if reuse {
            let root = fetcher.root(reference).await.map_err(|e| e.to_string())?;
            if let Some(tree) = self.cached(&location, &root.digest.to_string()) {
                let name = reference.to_string();
                if tree.reference == name {
                    return Ok(tree);
                }
                // Another tag of the same digest: the same tree under this tag's name.
                return Ok(Arc::new(Inspected {
                    reference: name,
                    ..(*tree).clone()
                }));
            }
            fetched_root = Some(root);
        }
        let opts = InspectOptions::default();
        let i = match fetched_root {
            Some(root) => inspect_root(&fetcher, reference, root, &opts).await,
            None => inspect(&fetcher, reference, &opts).await,
        }
        .map_err(|e| e.to_string())?;
        let findings = crate::analysis::analyze(&i.root);
        let tree = Arc::new(Inspected {
            reference: i.reference,
            root: i.root,
            findings,
        });
        self.remember(location, tree.clone());
        Ok(tree)
    }

    fn trees(&self) -> std::sync::MutexGuard<'_, TreeCache> {
        self.trees
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, location: &Location, digest: &str) -> Option<Arc<Inspected>> {
        self.trees()
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
        let mut trees = self.trees();
        if trees.len() >= MAX_TREES {
            trees.clear();
        }
        trees.insert((location, tree.root.digest.clone()), tree);
    }

    fn fetcher(&self, location: &Location) -> Result<Arc<Fetcher>, FetchError> {
        let mut fetchers = self
            .fetchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(f) = fetchers.get(location) {
            return Ok(f.clone());
        }
        let fetcher = Arc::new(match location {
            Location::Registry(r) => {
                Fetcher::for_registry(r, self.opts.clone(), Limits::default())?
            }
            Location::Layout(path) => Fetcher::for_reference(
                &ImageRef::Layout(LayoutRef {
                    path: path.clone(),
                    tag: None,
                    digest: None,
                }),
                self.opts.clone(),
                Limits::default(),
            )?,
        });
        fetchers.insert(location.clone(), fetcher.clone());
        Ok(fetcher)
    }
}

/// The location a reference is fetched from.
#[must_use]
pub fn location_of(reference: &ImageRef) -> Location {
    match reference {
        ImageRef::Registry(r) => Location::Registry(r.registry.clone()),
        ImageRef::Layout(l) => Location::Layout(l.path.clone()),
    }
}

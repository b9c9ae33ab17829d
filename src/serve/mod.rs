//! An in-process, read-only OCI distribution server over OCI image layouts (demo, serve, fault injection).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use regscope::serve::{self, Faults, Layout};
//! let server = serve::start(vec![Layout::new("demo", "path/to/layout")], Faults::default()).await?;
//! println!("try: regscope inspect {}/demo:latest", server.host());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Content is served byte-exact from memory (manifests) or from the verified layout files
//! (other blobs); the only way to serve something wrong is to ask for it with [`Faults`].

mod faults;
mod respond;
mod routes;
mod store;

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{
    BodyFault, Faults, Observed, PullQuota, RequestCounts, RequestKind, RequestRecord, Scope,
};
pub use store::{is_sha256_digest, sha256_digest, Layout, Store};

/// How long [`ServerHandle::shutdown`] waits for in-flight requests (a stalled body, say)
/// before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// State shared by the request handlers and the handle.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) repos: RwLock<BTreeMap<String, Store>>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) stats: faults::Stats,
}

// A handler never panics while holding these locks, but if one did, the data is still
// consistent enough for a test server: carry on rather than poison every later request.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running server. Dropping it stops the server (without waiting); prefer
/// [`shutdown`](Self::shutdown) to wait until it has stopped.
#[derive(Debug)]
pub struct ServerHandle {
    /// The address it listens on (the kernel's choice of port when bound to port 0).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

/// Serves `layouts` on `127.0.0.1` at a free port.
pub async fn start(layouts: Vec<Layout>, faults: Faults) -> io::Result<ServerHandle> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), layouts, faults).await
}

/// Serves `layouts` on `addr`. Layouts naming the same repository are merged.
pub async fn start_on(
    addr: SocketAddr,
    layouts: Vec<Layout>,
    faults: Faults,
) -> io::Result<ServerHandle> {
    let repos = load(layouts).await?;
    start_repos(addr, repos, faults).await
}

/// Loads layouts into stores (hashing every blob), off the async threads.
pub async fn load(layouts: Vec<Layout>) -> io::Result<Vec<(String, Store)>> {
    tokio::task::spawn_blocking(move || {
        layouts
            .into_iter()
            .map(|layout| Ok((layout.repository, Store::from_layout(&layout.path)?)))
            .collect()
    })
    .await
    .map_err(io::Error::other)?
}

/// Serves in-memory (or previously loaded) repositories on `addr`. Stores under the same
/// name are merged.
pub async fn start_repos(
    addr: SocketAddr,
    repos: impl IntoIterator<Item = (String, Store)>,
    faults: Faults,
) -> io::Result<ServerHandle> {
    let mut merged: BTreeMap<String, Store> = BTreeMap::new();
    for (name, store) in repos {
        check_repository(&name)?;
        merged.entry(name).or_default().merge(store);
    }
    let shared = Arc::new(Shared {
        repos: RwLock::new(merged),
        faults: Mutex::new(faults),
        stats: faults::Stats::default(),
    });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = routes::router(Arc::clone(&shared));
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                // A dropped sender means the handle is gone: stop too.
                let _ = stopped.await;
            })
            .await
    });
    Ok(ServerHandle {
        addr,
        shared,
        stop: Some(stop),
        task: Some(task),
    })
}

fn check_repository(name: &str) -> io::Result<()> {
    if store::is_valid_repository(name) {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{name}` is not a repository name (lowercase letters and digits, \
                 separated by `.`, `_`, `-` or `/`)"
            ),
        ))
    }
}

impl ServerHandle {
    /// `http://127.0.0.1:PORT`
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`: the registry part of a reference.
    #[must_use]
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The faults in force (with `times` counting down as failures are served).
    #[must_use]
    pub fn faults(&self) -> Faults {
        lock(&self.shared.faults).clone()
    }

    /// Replaces the faults, from the next request on.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    /// Changes the faults in place, from the next request on.
    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut lock(&self.shared.faults));
    }

    /// Requests received so far, by kind.
    #[must_use]
    pub fn counts(&self) -> RequestCounts {
        self.shared.stats.counts()
    }

    /// Requests of one kind received so far.
    #[must_use]
    pub fn count(&self, kind: RequestKind) -> usize {
        self.shared.stats.count(kind)
    }

    /// The requests received so far, oldest first (the last 10,000).
    #[must_use]
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.stats.log()
    }

    /// How the faults played out (delays applied, bodies finished) and the most requests
    /// handled at once, so far.
    #[must_use]
    pub fn observed(&self) -> Observed {
        self.shared.stats.observed()
    }

    /// Zeroes the counts (and what [`observed`](Self::observed) reports) and clears the
    /// request log.
    pub fn reset_counts(&self) {
        self.shared.stats.reset();
    }

    /// Adds or replaces a repository while serving.
    pub fn insert_repo(&self, name: impl Into<String>, store: Store) -> io::Result<()> {
        let name = name.into();
        check_repository(&name)?;
        write(&self.shared.repos).insert(name, store);
        Ok(())
    }

    /// Changes a repository's content while serving (delete a child, move a tag). Returns
    /// false if there is no such repository.
    pub fn update_repo(&self, name: &str, change: impl FnOnce(&mut Store)) -> bool {
        match write(&self.shared.repos).get_mut(name) {
            Some(store) => {
                change(store);
                true
            }
            None => false,
        }
    }

    /// Stops accepting connections and waits for in-flight requests (at most a few seconds).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }

    /// Serves until `signal` completes (e.g. `tokio::signal::ctrl_c()`), then shuts down.
    pub async fn run_until<F: std::future::Future>(self, signal: F) {
        signal.await;
        self.shutdown().await;
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Without waiting there is no graceful way to finish slow bodies: cut them off.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

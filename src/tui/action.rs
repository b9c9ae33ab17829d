//! What can happen to the app (actions) and the I/O it asks for (effects).

use std::sync::Arc;

use crate::analysis::Finding;
pub use crate::connect::Location;
use crate::connect::{ConnectError, CredentialInfo};
use crate::model::Node;
use crate::reference::ImageRef;

/// What the history view's request is answered with: the history, or `None` when the session
/// has no on-disk cache (where the log lives). Beside the actions, as [`LoadedFiles`] is.
pub type HistoryAnswer = Option<Arc<crate::history::report::Report>>;

/// What the worker's watch (`W` in the tags view) reports.
#[derive(Debug, Clone)]
pub enum WatchUpdate {
    /// A round of polls finished; this many tags are watched now.
    Polled(std::time::SystemTime, usize),
    Event(crate::history::poll::Event),
    /// The watch ended (it does only when the view stops it, or the tags cannot be watched).
    Ended(Option<String>),
}

/// How often [`Action::Tick`] arrives.
pub const TICK: std::time::Duration = std::time::Duration::from_millis(150);

/// Tags every effect; a result comes back with the id of the request it answers, and a result
/// whose id no view is waiting for any more is dropped (the user moved on or refreshed).
pub type RequestId = u64;

/// Hands out request ids: one per effect that expects an answer, never 0 (0 is "no answer").
#[derive(Debug, Clone)]
pub struct RequestIds(RequestId);

impl Default for RequestIds {
    fn default() -> Self {
        Self(1)
    }
}

impl RequestIds {
    pub fn fresh(&mut self) -> RequestId {
        let id = self.0;
        self.0 += 1;
        id
    }
}

/// A fetched tree with its findings, shared between the tag row that resolved it and the tree
/// view opened from that row (no second fetch).
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    pub reference: String,
    pub root: Node,
    pub findings: Vec<Finding>,
    /// When the worker last checked this tree against the registry (built it, or re-checked
    /// it on refresh): the views say how fresh what they show is. The app has no clock.
    pub checked: std::time::SystemTime,
    /// Artifact types the referrers API lists for the root and its platforms (empty where
    /// the registry has no such API): the tag row's badges, before the tree is opened.
    pub listed: Vec<String>,
    /// The config file's signature policy applied to the tree (`S✓` / `S✗` / `S?`, each
    /// signature row's verdict); `NoPolicy` when none matches or the attachments were not
    /// looked up.
    pub signatures: crate::verify::Checked,
    /// Whether the files of one of its image manifests were opened and judged (their
    /// findings, if any, are in `findings`): the report says so when not.
    pub files_opened: bool,
}

/// One page of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogPage {
    pub repositories: Vec<String>,
    /// The registry said more pages follow (`Link: rel="next"`).
    pub more: bool,
    /// A few words per repository when the registry's own API gave them (ECR's
    /// `DescribeRepositories`: created, tag mutability, scan on push, encryption).
    pub details: std::collections::HashMap<String, String>,
    /// Where the list came from when the service's own API gave it (Docker Hub, GHCR), and
    /// what it could not list; `None` for the catalog itself.
    pub origin: Option<Origin>,
}

/// A whole list from a service's own API, as one page with where it came from.
impl From<crate::listing::Listing> for CatalogPage {
    fn from(l: crate::listing::Listing) -> Self {
        Self {
            repositories: l.repositories,
            more: false,
            details: l.details,
            origin: Some(Origin {
                source: l.source,
                gaps: l.gaps,
            }),
        }
    }
}

/// Where a repository list came from, and what it could not list and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// `the Docker Hub API: namespace alice, 2 pages`.
    pub source: String,
    /// `org acme: 403, the token lacks read:packages`.
    pub gaps: Vec<String>,
}

/// A user command, produced by the key map (see `keymap.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selected entry (list views).
    Open,
    /// Expand or collapse the selected node (tree).
    Toggle,
    /// Expand, or move to the first child when already expanded (tree).
    Expand,
    /// Collapse, or move to the parent when already collapsed (tree).
    Collapse,
    /// Show or hide the raw JSON of the selected node.
    Raw,
    /// Tree view: move the focus tree -> detail -> findings (what the movement keys scroll).
    FocusNext,
    Back,
    Filter,
    /// Type a registry, repository or reference to open.
    Prompt,
    Refresh,
    /// Tags view: switch between the tag list and the platform matrix.
    Matrix,
    /// Tags view: order by name or newest first.
    Sort,
    /// Tags view: list the attachment tags (`sha256-<hex>`, `.sig`, `.att`, `.sbom`) too.
    AttachmentTags,
    /// Tags view: every image of the repository, untagged too, or the tags again.
    Untagged,
    /// Copy the selected digest to the clipboard (OSC 52).
    CopyDigest,
    /// Copy the selected `registry/repository@digest` to the clipboard (OSC 52).
    CopyReference,
    /// Choose the deployment target every tag is judged against.
    ChooseTarget,
    /// Copy the fix command of the finding shown first (OSC 52).
    CopyFix,
    /// Mark the selected tag (or the tree's reference) to compare another one with.
    Mark,
    /// Compare the selected tag (or the tree's reference) with the marked one.
    Compare,
    /// Which tags and indexes point at the selected digest, from the tags resolved so far.
    Place,
    /// Where the selected tag pointed before, from regscope's log, each move summarised.
    History,
    /// Tags view: watch the repository's tags live, or stop.
    Watch,
    /// Copy `registry/repository@digest` of the manifest that runs on the target (OSC 52).
    CopyDeploy,
    /// Tree view: open the files of the selected platform manifest.
    Files,
    /// Raw JSON: the next / previous match of the search (`n`, `N`).
    NextMatch,
    PrevMatch,
    /// Files view: only what the chosen layer added, changed or removed, or everything again.
    ChangesOnly,
    Help,
    Quit,
    /// Ctrl-C: quits from anywhere, even from the prompt or the help overlay.
    ForceQuit,
    /// Target input: the next of the usual targets in place of what is typed.
    NextChoice,
    /// Input line: accept, cancel, delete the last character.
    Submit,
    Cancel,
    DeleteChar,
    /// Input line: delete the word before the cursor (Ctrl-W), or everything (Ctrl-U).
    DeleteWord,
    ClearInput,
}

/// Everything that changes the app's state goes through one of these.
#[derive(Debug, Clone)]
pub enum Action {
    Command(Command),
    /// Time passes (every [`TICK`]): spinners turn, flash messages expire.
    Tick,
    /// A left click at a terminal cell (0-based): selects the row under it.
    Click {
        column: u16,
        row: u16,
    },
    /// A character typed into the input line (filter or prompt).
    Char(char),
    Resize {
        width: u16,
        height: u16,
    },
    /// The first connection to `location` was made: where its credentials came from and
    /// whether TLS is verified, for the header.
    Connected {
        location: Location,
        credentials: Option<CredentialInfo>,
        /// Why verification is off (`--insecure`, the config file), when it is.
        insecure: Option<String>,
    },
    /// What the last finished effect cost (requests, bytes, cache hits, chain), for the
    /// status line.
    Stats(crate::registry::RoundTrips),
    /// The counters of `location`'s connection, which hold the pull limit the latest response
    /// stated (Docker Hub): the header reads them at each frame, so it follows every response,
    /// not each job's end.
    RateLimit {
        location: Location,
        stats: Arc<crate::registry::Stats>,
    },
    CatalogLoaded {
        id: RequestId,
        result: Result<CatalogPage, ConnectError>,
    },
    TagsLoaded {
        id: RequestId,
        result: Result<crate::registry::TagListing, ConnectError>,
    },
    /// The tag list as the disk cache remembers it, sent before [`Action::TagsLoaded`]
    /// answers the same request: the view shows it at once and takes the fresh list as a
    /// re-listing.
    TagsRemembered {
        id: RequestId,
        tags: Vec<String>,
        /// When the cache saw the list.
        at: std::time::SystemTime,
    },
    /// Answers [`Effect::LoadImages`].
    ImagesLoaded {
        id: RequestId,
        result: Result<Arc<crate::ecr::inventory::Inventory>, ConnectError>,
    },
    /// Answers [`Effect::Compare`].
    Compared {
        id: RequestId,
        result: Result<Arc<crate::diff::Comparison>, ConnectError>,
    },
    /// Answers [`Effect::Inspect`], for a tag row or a tree view alike.
    Inspected {
        id: RequestId,
        result: Result<Arc<Inspected>, ConnectError>,
    },
    /// How far a long tag list has come: pages and names read so far (after each page).
    TagsProgress {
        id: RequestId,
        pages: usize,
        names: usize,
    },
    /// How far [`Effect::LoadFiles`] has come (sent now and then while layers download).
    FilesProgress {
        id: RequestId,
        progress: crate::layers::fetch::Progress,
    },
    /// Where the text of [`Effect::Copy`] went (tmux's buffer, the terminal, nowhere).
    Copied {
        delivery: super::clipboard::Delivery,
    },
    /// A revalidated tag's last move, from regscope's log (sent before the tree answering the
    /// [`Effect::Revalidate`]): the digest it moved from and when it moved as far as that is
    /// known (the registry's push time, or between two sightings).
    TagMoved {
        location: Location,
        repository: String,
        tag: String,
        from: String,
        when: crate::history::MovedWhen,
    },
    /// On first open (no `r`), a tag resolved to another digest than regscope's log last saw it
    /// at (sent before the tree answering the [`Effect::Inspect`]): the digest the log saw,
    /// and when.
    MovedSinceLastLook {
        location: Location,
        repository: String,
        tag: String,
        from: String,
        last_seen: std::time::SystemTime,
    },
    /// The figures of the registry service's own tag list (Docker Hub's) for the listing
    /// answering `id` (sent before [`Action::TagsLoaded`]).
    TagsDescribed {
        id: RequestId,
        described: Arc<Described>,
    },
    /// Tags regscope's log had that the listing answering `id` lacks (sent before
    /// [`Action::TagsLoaded`]): each with the digest it last named and when the log saw it.
    LoggedGone {
        id: RequestId,
        gone: Vec<(String, String, std::time::SystemTime)>,
    },
    /// What the watch started by [`Effect::Watch`] saw: a round of polls, an event, its end.
    Watched {
        id: RequestId,
        update: WatchUpdate,
    },
    /// Answers [`Effect::LoadHistory`].
    HistoryLoaded {
        id: RequestId,
        result: Result<HistoryAnswer, ConnectError>,
    },
    /// Answers [`Effect::LoadFiles`].
    FilesLoaded {
        id: RequestId,
        result: Result<Arc<LoadedFiles>, ConnectError>,
    },
    /// What earlier runs (the CLI's `layers`, `check --files`, the files view) measured of the
    /// platforms of a tree just loaded, kept by manifest digest: their rows show it at once.
    /// Unasked and with no id: figures of a digest hold for every view that shows it.
    MeasuredKept(std::collections::HashMap<String, crate::layers::measured::Measured>),
}

/// I/O the app asks the worker for; the worker answers with an [`Action`] carrying `id`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadCatalog {
        id: RequestId,
        registry: String,
        /// The last repository already shown: the page starts after it.
        last: Option<String>,
    },
    LoadTags {
        id: RequestId,
        location: Location,
        repository: String,
    },
    /// Docker Hub's public search for `query` (`/` then `?WORD` on docker.io), answered as a
    /// catalog page whose origin says the results are public.
    SearchHub {
        id: RequestId,
        registry: String,
        query: String,
    },
    Inspect {
        id: RequestId,
        reference: ImageRef,
    },
    /// Every image of a repository, labelled (`regscope images`).
    LoadImages {
        id: RequestId,
        location: Location,
        repository: String,
    },
    /// Like [`Effect::Inspect`], for a tag or tree seen before (`r`): fetch its root manifest
    /// again and reuse the tree already built for that digest (content by digest never
    /// changes), checking with HEAD requests that everything in it is still there (it can be
    /// deleted).
    Revalidate {
        id: RequestId,
        reference: ImageRef,
    },
    /// The merged filesystem of `manifest` (a platform's image manifest in `reference`'s
    /// repository), with its file findings; layers are streamed and their listings cached.
    LoadFiles {
        id: RequestId,
        reference: ImageRef,
        manifest: Box<Node>,
    },
    /// Like [`Effect::Inspect`], with every attachment looked up (referrers API, the
    /// `sha256-<hex>` and cosign tags): the tree view asks for it beside the plain tree, which
    /// shows first.
    InspectAttachments {
        id: RequestId,
        reference: ImageRef,
        /// On refresh (`r`): check with HEAD requests that what the fetcher's digest cache
        /// answered for is still in the registry, as [`Effect::Revalidate`] does.
        recheck: bool,
    },
    /// Both references with their attachments, compared (`regscope diff`); each side through
    /// its own connection.
    Compare {
        id: RequestId,
        left: ImageRef,
        right: ImageRef,
    },
    /// The history of a tag from the cache's log, each move compared (`regscope history`).
    LoadHistory {
        id: RequestId,
        /// With its tag, no digest.
        target: crate::reference::RegistryRef,
    },
    /// Watches `tags` of `target`'s repository until the view stops it (no deadline: it is
    /// aborted when no view waits for `id`), answering with [`Action::Watched`] as it goes.
    Watch {
        id: RequestId,
        target: crate::reference::RegistryRef,
        tags: Vec<String>,
        interval: std::time::Duration,
    },
    /// Put `text` on the clipboard (tmux's buffer inside tmux, else OSC 52); answered by
    /// [`Action::Copied`], from the event loop, which performs it.
    Copy {
        text: String,
    },
    /// Add `target`, opened at `at` (seconds since the epoch), to the recently opened list (see
    /// `recent.rs`). Sent once the target has loaded: a failed one is not kept. Nothing
    /// answers it.
    Remember {
        target: String,
        at: u64,
    },
}

impl Effect {
    /// What the effect fetches, for a message about it.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Effect::LoadCatalog { registry, .. } => format!("the catalog of {registry}"),
            Effect::SearchHub { query, .. } => format!("the Docker Hub search for `{query}`"),
            Effect::LoadTags { repository, .. } => format!("the tags of {repository}"),
            Effect::LoadImages { repository, .. } => format!("the images of {repository}"),
            Effect::Inspect { reference, .. } | Effect::Revalidate { reference, .. } => {
                format!("the tree of {reference}")
            }
            Effect::InspectAttachments { reference, .. } => {
                format!("the attachments of {reference}")
            }
            Effect::LoadFiles { reference, .. } => format!("the files of {reference}"),
            Effect::Compare { left, right, .. } => format!("the comparison of {left} and {right}"),
            Effect::LoadHistory { target, .. } => format!(
                "the history of {}:{}",
                target.name(),
                target.tag.as_deref().unwrap_or("latest")
            ),
            Effect::Watch { target, .. } => format!("the watch of {}", target.name()),
            Effect::Copy { .. } => "the copy".into(),
            Effect::Remember { .. } => "the recent list".into(),
        }
    }

    /// The answer to this effect when it failed with `error` as a whole (the deadline).
    #[must_use]
    pub fn failed(&self, error: crate::registry::FetchError) -> Action {
        let error = ConnectError::from(error);
        match self {
            Effect::LoadCatalog { id, .. } | Effect::SearchHub { id, .. } => {
                Action::CatalogLoaded {
                    id: *id,
                    result: Err(error),
                }
            }
            Effect::LoadTags { id, .. } => Action::TagsLoaded {
                id: *id,
                result: Err(error),
            },
            Effect::LoadImages { id, .. } => Action::ImagesLoaded {
                id: *id,
                result: Err(error),
            },
            Effect::Inspect { id, .. }
            | Effect::Revalidate { id, .. }
            | Effect::InspectAttachments { id, .. } => Action::Inspected {
                id: *id,
                result: Err(error),
            },
            Effect::Compare { id, .. } => Action::Compared {
                id: *id,
                result: Err(error),
            },
            Effect::LoadFiles { id, .. } => Action::FilesLoaded {
                id: *id,
                result: Err(error),
            },
            Effect::LoadHistory { id, .. } => Action::HistoryLoaded {
                id: *id,
                result: Err(error),
            },
            Effect::Watch { id, .. } => Action::Watched {
                id: *id,
                update: WatchUpdate::Ended(Some(format!(
                    "The watch stopped: {}",
                    crate::sanitize::sanitize(&error.to_string())
                ))),
            },
            Effect::Copy { .. } | Effect::Remember { .. } => Action::Tick,
        }
    }

    /// The registry or layout the effect talks to, when it talks to one.
    #[must_use]
    pub fn location(&self) -> Option<Location> {
        match self {
            Effect::LoadCatalog { registry, .. } | Effect::SearchHub { registry, .. } => {
                Some(Location::Registry(registry.clone()))
            }
            Effect::LoadTags { location, .. } | Effect::LoadImages { location, .. } => {
                Some(location.clone())
            }
            Effect::Inspect { reference, .. }
            | Effect::Revalidate { reference, .. }
            | Effect::LoadFiles { reference, .. }
            | Effect::InspectAttachments { reference, .. } => Some(Location::of(reference)),
            // The left side's location: the right may be another registry (connected on use).
            Effect::Compare { left, .. } => Some(Location::of(left)),
            Effect::LoadHistory { target, .. } | Effect::Watch { target, .. } => {
                Some(Location::Registry(target.registry.clone()))
            }
            Effect::Copy { .. } | Effect::Remember { .. } => None,
        }
    }

    /// The request id the answer will carry; 0 for effects nothing answers.
    #[must_use]
    pub fn id(&self) -> RequestId {
        match self {
            Effect::LoadCatalog { id, .. }
            | Effect::SearchHub { id, .. }
            | Effect::LoadTags { id, .. }
            | Effect::LoadImages { id, .. }
            | Effect::Inspect { id, .. }
            | Effect::Revalidate { id, .. }
            | Effect::LoadFiles { id, .. }
            | Effect::InspectAttachments { id, .. }
            | Effect::Compare { id, .. }
            | Effect::LoadHistory { id, .. }
            | Effect::Watch { id, .. } => *id,
            Effect::Copy { .. } | Effect::Remember { .. } => 0,
        }
    }
}

impl LoadedFiles {
    /// `None` when nothing was measured (no layer listed, or a bound stopped a listing).
    #[must_use]
    pub fn measured(&self) -> Option<crate::layers::measured::Measured> {
        crate::layers::measured::Measured::of(&self.fs).map(|m| crate::layers::measured::Measured {
            // The worker judged the layers by the config file's limits: its finding says so.
            past_limits: self
                .findings
                .iter()
                .any(|f| f.code == crate::analysis::Code::WastedSpace),
            ..m
        })
    }
}

/// Tag rows' figures from the registry service's own tag list, read once for the whole list
/// (Docker Hub's tag API answers without touching the pull limit; manifest GETs count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// `Hub's tag list`: where the figures came from, as the rows say it.
    pub by: &'static str,
    /// The figures stand in for resolving the rows (Docker Hub, where manifest GETs count
    /// against the pull limit); otherwise they only add the push time to resolved rows.
    pub stands_in: bool,
    /// By tag name; only tags the list gives a digest for.
    pub tags: std::collections::HashMap<String, crate::listing::Tag>,
}

/// A platform's merged filesystem with what its files say.
#[derive(Debug, Clone)]
pub struct LoadedFiles {
    pub fs: crate::layers::Filesystem,
    pub facts: crate::analysis::files::Facts,
    pub findings: Vec<Finding>,
}

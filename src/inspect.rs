//! Building the whole manifest tree for a reference: concurrent, verified, never fetching layers.
//!
//! The root is fetched first; then all children of an index at once (the fetcher bounds how many
//! requests are in flight), and for each manifest its config and in-toto statements at once.
//! Failures below the root become nodes with a [`Problem`]; only a failed root is an error.

use std::collections::{HashMap, HashSet};

use futures::future::{join_all, BoxFuture};
use futures::FutureExt as _;

use crate::attachments::{self, Orphan};
use crate::digest::Digest;
use crate::model::annotations::{
    ATTESTATION_MANIFEST, IN_TOTO_PREDICATE_TYPE, REFERENCE_DIGEST, REFERENCE_TYPE,
};
use crate::model::config::summarize_config;
use crate::model::intoto::summarize_statement;
use crate::model::manifest::{ImageManifest, Manifest};
use crate::model::media_type as mt;
use crate::model::{Attests, Descriptor, Kind, Node, Problem};
use crate::reference::ImageRef;
use crate::registry::{Content, FetchError, FetchedManifest, Fetcher, RoundTrips};

/// What to fetch besides the tree itself.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// Also look up attachments kept outside the index: the OCI 1.1 referrers API, the
    /// `sha256-<hex>` tag schema and cosign's `.sig`/`.att`/`.sbom` tags.
    pub attachments: bool,
}

/// A fetched tree and what it cost.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The reference as the user gave it, normalised.
    pub reference: String,
    pub root: Node,
    pub round_trips: RoundTrips,
    /// When the tag was resolved, when not just now (offline, from the cache).
    pub resolved_at: Option<std::time::SystemTime>,
    /// Whether attachments outside the index were looked up.
    pub attachments_looked_up: bool,
    /// `sha256-<hex>` tags of the repository whose subject is gone.
    pub orphaned: Vec<Orphan>,
    /// What the attachment lookup could not look at, or cut.
    pub attachment_notes: Vec<String>,
}

/// Fetches the tree of `reference`. Fails only when the root itself cannot be fetched or read.
pub async fn inspect(
    fetcher: &Fetcher,
    reference: &ImageRef,
    opts: &InspectOptions,
) -> Result<Inspection, FetchError> {
    if !opts.attachments {
        let fetched = Box::pin(fetcher.root(reference)).await?;
        return Box::pin(build(fetcher, reference, fetched, opts, Prior::Nothing)).await;
    }
    if let Some(expected) = fetcher.expected_root(reference) {
        return Box::pin(inspect_warm(fetcher, reference, expected, opts)).await;
    }
    // The tag list (for the tag schema) does not depend on the root: asked for with it, it
    // costs no round trip of its own.
    let repo = repo_of(reference);
    let (fetched, listing) = futures::join!(
        Box::pin(fetcher.root(reference)),
        Box::pin(fetcher.tag_listing(&repo))
    );
    Box::pin(build(
        fetcher,
        reference,
        fetched?,
        opts,
        Prior::Listing(listing),
    ))
    .await
}

/// A warm run: the cache expects the tag to name `expected`, so the attachment lookup for it
/// (and the entries of its index) goes out with the tag's HEAD instead of after it: one chained
/// round trip where there were two. If the tag moved, the early lookup is discarded (its tag
/// list is kept) and the lookup runs for what the tag names now.
async fn inspect_warm(
    fetcher: &Fetcher,
    reference: &ImageRef,
    expected: FetchedManifest,
    opts: &InspectOptions,
) -> Result<Inspection, FetchError> {
    let Ok(manifest) = Manifest::parse(&expected.bytes, expected.content_type.as_deref()) else {
        // What the cache holds cannot be read: nothing to send early.
        let fetched = Box::pin(fetcher.root(reference)).await?;
        return Box::pin(build(fetcher, reference, fetched, opts, Prior::Nothing)).await;
    };
    let subjects = known_subjects(&expected.digest, &manifest);
    let ctx = Ctx::new(fetcher, repo_of(reference));
    let (fetched, (looked, listing)) = futures::join!(
        Box::pin(fetcher.root(reference)),
        Box::pin(ctx.look_up_attachments(reference, &subjects, None, true))
    );
    let fetched = fetched?;
    let prior = if fetched.digest == expected.digest {
        Prior::Found(subjects, looked, listing, ctx.budget)
    } else {
        Prior::Listing(listing)
    };
    Box::pin(build(fetcher, reference, fetched, opts, prior)).await
}

/// [`Prior`] as [`build`] uses it, once the budget is taken out.
enum Early {
    Listing(Option<attachments::discover::Listing>),
    Found(LookedUp, attachments::discover::Listing),
}

/// What the attachment lookup of [`build`] starts from.
enum Prior {
    /// Nothing: the tag list is asked for with the referrers.
    Nothing,
    /// The repository's tag list, asked for with the root.
    Listing(attachments::discover::Listing),
    /// The lookup for these subjects, done while the root was asked for (a warm run whose tag
    /// did not move), the tag list it read, and the node budget its referrers took from (the
    /// tree takes from the same one).
    Found(
        Vec<Digest>,
        LookedUp,
        attachments::discover::Listing,
        Budget,
    ),
}

/// Like [`inspect`], from a root manifest the caller already fetched (the TUI checks a tag's
/// digest against its tree cache first; this saves fetching the root twice).
pub async fn inspect_root(
    fetcher: &Fetcher,
    reference: &ImageRef,
    fetched: FetchedManifest,
    opts: &InspectOptions,
) -> Result<Inspection, FetchError> {
    Box::pin(build(fetcher, reference, fetched, opts, Prior::Nothing)).await
}

/// The tree below a fetched root, and (with `opts.attachments`) its attachments. The lookup
/// starts as soon as the root is read, for the root and every entry of a root index, and runs
/// beside the tree's own fetches: it adds a round trip only where a referrer's manifest must
/// be fetched before its config and payloads. Subjects only a nested index names are looked up
/// once the tree is built.
async fn build(
    fetcher: &Fetcher,
    reference: &ImageRef,
    fetched: FetchedManifest,
    opts: &InspectOptions,
    prior: Prior,
) -> Result<Inspection, FetchError> {
    let repo = repo_of(reference);
    let manifest =
        Manifest::parse(&fetched.bytes, fetched.content_type.as_deref()).map_err(|e| {
            FetchError::Malformed {
                what: format!("the manifest of {reference}"),
                detail: e.to_string(),
            }
        })?;
    let desc = Descriptor {
        media_type: manifest.media_type().to_string(),
        digest: fetched.digest.to_string(),
        size: i64::try_from(fetched.bytes.len()).unwrap_or(i64::MAX),
        platform: None,
        annotations: std::collections::BTreeMap::default(),
        artifact_type: manifest.artifact_type().map(str::to_string),
        urls: Vec::new(),
    };
    let resolved_at = fetched.resolved_at;
    let first_subjects = known_subjects(&fetched.digest, &manifest);
    let (ctx, prior) = match prior {
        Prior::Found(subjects, looked, listing, budget) if subjects == first_subjects => (
            Ctx {
                fetcher,
                repo,
                budget,
            },
            Early::Found(looked, listing),
        ),
        Prior::Found(_, _, listing, _) | Prior::Listing(listing) => {
            (Ctx::new(fetcher, repo), Early::Listing(Some(listing)))
        }
        Prior::Nothing => (Ctx::new(fetcher, repo), Early::Listing(None)),
    };
    let mut root = Node::from_descriptor(initial_kind(&desc), &desc);
    let path = vec![fetched.digest.to_string()];
    // Boxed: the two futures side by side would make every caller's future large.
    let tree = Box::pin(ctx.expand(&mut root, fetched, manifest, &path, false));
    let found = if opts.attachments {
        let (mut found, listing) = match prior {
            Early::Found(looked, listing) => {
                tree.await;
                (looked, listing)
            }
            Early::Listing(listing) => {
                let lookup =
                    Box::pin(ctx.look_up_attachments(reference, &first_subjects, listing, true));
                let ((), first) = futures::join!(tree, lookup);
                first
            }
        };
        // Subjects below a nested index were not known when the lookup started.
        let mut later = tree_subjects(&root);
        later.retain(|d| !first_subjects.contains(d));
        let room = attachments::discover::MAX_SUBJECTS.saturating_sub(first_subjects.len());
        if later.len() > room {
            found.notes.push(format!(
                "attachments were looked up for {room} of {} manifests below nested indexes",
                later.len()
            ));
            later.truncate(room);
        }
        if !later.is_empty() {
            let (more, _) =
                Box::pin(ctx.look_up_attachments(reference, &later, Some(listing), false)).await;
            found.merge(more);
        }
        attach(&mut root, &found.nodes, &mut HashSet::new());
        found
    } else {
        tree.await;
        LookedUp::default()
    };
    Ok(Inspection {
        reference: reference.to_string(),
        root,
        round_trips: fetcher.round_trips(),
        resolved_at,
        attachments_looked_up: opts.attachments,
        orphaned: found.orphaned,
        attachment_notes: found.notes,
    })
}

/// The manifests a root names before anything below it is fetched: itself, and the entries
/// of an index (deduplicated; entries with a malformed digest are left to the tree to report).
fn known_subjects(root: &Digest, manifest: &Manifest) -> Vec<Digest> {
    let mut out = vec![root.clone()];
    if let Manifest::Index(index) = manifest {
        for entry in &index.manifests {
            if let Ok(d) = Digest::parse(&entry.digest) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
    }
    out
}

/// Every manifest and index of a built tree that could carry attachments.
fn tree_subjects(root: &Node) -> Vec<Digest> {
    let mut digests: Vec<Digest> = Vec::new();
    root.walk(&mut |n| {
        if matches!(n.kind, Kind::Index | Kind::Manifest | Kind::Attestation) && n.problem.is_none()
        {
            if let Ok(d) = Digest::parse(&n.digest) {
                if !digests.contains(&d) {
                    digests.push(d);
                }
            }
        }
    });
    digests
}

/// What the attachment lookup built: referrer nodes per subject digest, orphaned tags, notes.
#[derive(Default)]
struct LookedUp {
    nodes: HashMap<String, Vec<Node>>,
    orphaned: Vec<Orphan>,
    notes: Vec<String>,
}

impl LookedUp {
    fn merge(&mut self, other: LookedUp) {
        for (subject, list) in other.nodes {
            self.nodes.entry(subject).or_default().extend(list);
        }
        self.orphaned.extend(other.orphaned);
        self.notes.extend(other.notes);
    }
}

/// How deep indexes may nest below the root before the tree is cut (real trees are 2 deep).
pub const MAX_DEPTH: usize = 16;
/// How many nodes one tree may hold (real trees hold tens to a few thousand).
pub const MAX_NODES: usize = 10_000;

struct Ctx<'a> {
    fetcher: &'a Fetcher,
    repo: String,
    budget: Budget,
}

impl<'a> Ctx<'a> {
    fn new(fetcher: &'a Fetcher, repo: String) -> Self {
        Self {
            fetcher,
            repo,
            budget: Budget::new(),
        }
    }
}

/// What bounds one tree: nodes left to hand out, and the indexes already expanded (each is
/// expanded once; a repeat is shown as such, not copied).
struct Budget {
    nodes_left: std::sync::atomic::AtomicUsize,
    expanded: std::sync::Mutex<HashSet<String>>,
}

impl Budget {
    fn new() -> Self {
        Self {
            nodes_left: std::sync::atomic::AtomicUsize::new(MAX_NODES),
            expanded: std::sync::Mutex::new(HashSet::new()),
        }
    }

    /// Takes up to `wanted` nodes; returns how many were granted.
    fn take(&self, wanted: usize) -> usize {
        use std::sync::atomic::Ordering;
        let mut granted = 0;
        let _ = self
            .nodes_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                granted = wanted.min(left);
                Some(left - granted)
            });
        granted
    }

    /// Records `digest` as expanded; false when it already was.
    fn first_expansion(&self, digest: &str) -> bool {
        self.expanded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(digest.to_string())
    }
}

fn repeated() -> Problem {
    Problem::Cut {
        detail: "is an index already shown elsewhere in this tree; it is expanded once".into(),
        repeated: true,
    }
}

/// `granted` of `total` entries kept: what the node says about the rest.
fn cut_entries(node: &mut Node, granted: usize, total: usize) {
    if granted < total {
        node.problem = Some(Problem::Cut {
            detail: format!(
                "{granted} of its {total} entries shown; the rest is past the {MAX_NODES}-node budget"
            ),
            repeated: false,
        });
    }
}

impl Ctx<'_> {
    /// Fetches and expands the manifest `desc` points at; `path` holds the digests above it.
    fn node_for(&self, desc: Descriptor, path: Vec<String>) -> BoxFuture<'_, Node> {
        self.node_of_kind(initial_kind(&desc), desc, path)
    }

    /// Like [`node_for`](Self::node_for), for a node whose kind is known before its manifest is
    /// read (a referrer).
    fn node_of_kind(&self, kind: Kind, desc: Descriptor, path: Vec<String>) -> BoxFuture<'_, Node> {
        async move {
            let mut node = Node::from_descriptor(kind, &desc);
            if path.contains(&desc.digest) {
                node.problem = Some(Problem::Cycle);
                return node;
            }
            if path.len() >= MAX_DEPTH {
                node.problem = Some(Problem::Cut {
                    detail: format!(
                        "nested {} levels deep; regscope stops at {MAX_DEPTH}",
                        path.len()
                    ),
                    repeated: false,
                });
                return node;
            }
            // Claimed before the fetch: thousands of entries naming one index must not each
            // fetch and parse it.
            let claimed = mt::is_index(&desc.media_type);
            if claimed && !self.budget.first_expansion(&desc.digest) {
                node.problem = Some(repeated());
                return node;
            }
            let Some(digest) = parse_digest(&mut node) else {
                return node;
            };
            match self.fetcher.manifest_by_digest(&self.repo, &digest).await {
                Ok(fetched) => match Manifest::parse(&fetched.bytes, Some(&desc.media_type)) {
                    Ok(manifest) => {
                        let mut path = path;
                        path.push(desc.digest.clone());
                        self.expand(&mut node, fetched, manifest, &path, claimed)
                            .await;
                    }
                    Err(e) => {
                        node.raw = Some(fetched.bytes);
                        node.problem = Some(Problem::Malformed {
                            detail: e.to_string(),
                        });
                    }
                },
                Err(FetchError::DigestMismatch { expected, actual }) => {
                    let loops = path.contains(&actual);
                    node.problem = Some(Problem::DigestMismatch {
                        expected,
                        actual,
                        loops,
                    });
                }
                Err(e) => set_fetch_problem(&mut node, e),
            }
            node
        }
        .boxed()
    }

    /// Fills `node` from its fetched manifest: children of an index, config and statements of
    /// a manifest.
    async fn expand(
        &self,
        node: &mut Node,
        fetched: FetchedManifest,
        manifest: Manifest,
        path: &[String],
        claimed: bool,
    ) {
        node.raw = Some(fetched.bytes);
        node.media_type = manifest.media_type().to_string();
        if node.artifact_type.is_none() {
            node.artifact_type = manifest.artifact_type().map(str::to_string);
        }
        // Newer BuildKit marks attestations with an artifactType and a subject instead of (or as
        // well as) index annotations.
        if manifest.artifact_type() == Some(mt::DOCKER_ATTESTATION_ARTIFACT)
            && node.kind == Kind::Manifest
        {
            node.kind = Kind::Attestation;
        }
        if node.kind == Kind::Attestation && node.attests.is_none() {
            if let Some(subject) = manifest.subject() {
                node.attests = Some(Attests {
                    digest: subject.digest.clone(),
                    platform: None,
                });
            }
        }
        match manifest {
            Manifest::Index(index) => {
                // Not claimed yet when the descriptor called it something else.
                if !claimed && !self.budget.first_expansion(&node.digest) {
                    node.problem = Some(repeated());
                    return;
                }
                let total = index.manifests.len();
                let granted = self.budget.take(total);
                let children = index
                    .manifests
                    .into_iter()
                    .take(granted)
                    .map(|d| self.node_for(d, path.to_vec()));
                node.children = join_all(children).await;
                cut_entries(node, granted, total);
                link_attestations(&mut node.children);
            }
            Manifest::Image(image) => {
                // An attestation manifest fetched by digest has no index annotation to say what
                // it is; its layers do. Not runnable: no user, no runs-as-root.
                if path.len() == 1 && node.kind == Kind::Manifest && holds_only_statements(&image) {
                    node.kind = Kind::Attestation;
                }
                let total = usize::from(image.config.is_some()) + image.all_layers().len();
                let granted = self.budget.take(total);
                let mut children = self.manifest_children(node.kind, &image, granted).await;
                children.truncate(granted);
                node.children = children;
                cut_entries(node, granted, total);
            }
        }
    }

    /// Config and layers of an image manifest. Configs, statements and a referrer's signature
    /// and SBOM payloads are fetched concurrently; image layers are never fetched, only
    /// described.
    async fn manifest_children(
        &self,
        kind: Kind,
        image: &ImageManifest,
        granted: usize,
    ) -> Vec<Node> {
        let mut pending: Vec<BoxFuture<'_, Node>> = Vec::new();
        if let Some(config) = &image.config {
            pending.push(self.blob_node(Kind::Config, config.clone()));
        }
        let mut decoded = 0;
        for layer in image.all_layers().iter().take(granted) {
            if is_statement(kind, layer) {
                pending.push(self.blob_node(Kind::Statement, layer.clone()));
            } else if kind == Kind::Referrer
                && is_decodable_payload(&layer.media_type)
                && decoded < MAX_DECODED_LAYERS
            {
                // With the config, in the same round trip.
                decoded += 1;
                pending.push(self.payload_node(layer.clone()));
            } else {
                pending.push(async { Node::from_descriptor(Kind::Layer, layer) }.boxed());
            }
        }
        join_all(pending).await
    }

    fn blob_node(&self, kind: Kind, desc: Descriptor) -> BoxFuture<'_, Node> {
        async move {
            let mut node = Node::from_descriptor(kind, &desc);
            if kind == Kind::Config && !is_decodable_config(&desc.media_type) {
                return node;
            }
            let Some(digest) = parse_digest(&mut node) else {
                return node;
            };
            match self.fetcher.blob(&self.repo, &digest).await {
                Ok(bytes) => {
                    match kind {
                        Kind::Config => match summarize_config(&bytes) {
                            Ok(summary) => node.config = Some(summary),
                            Err(e)
                                if desc.media_type == mt::OCI_CONFIG
                                    || desc.media_type == mt::DOCKER_CONFIG =>
                            {
                                node.problem = Some(Problem::Malformed {
                                    detail: e.to_string(),
                                });
                            }
                            Err(_) => {}
                        },
                        _ => match summarize_statement(&bytes) {
                            Ok(statement) => node.statement = Some(statement),
                            Err(e) => {
                                node.problem = Some(Problem::Malformed {
                                    detail: e.to_string(),
                                });
                            }
                        },
                    }
                    node.raw = Some(bytes);
                }
                Err(e) => set_fetch_problem(&mut node, e),
            }
            node
        }
        .boxed()
    }

    /// Looks up the attachments of `subjects` in all the places they may be kept, and builds a
    /// referrer node for each that says where it was found.
    async fn look_up_attachments(
        &self,
        reference: &ImageRef,
        subjects: &[Digest],
        listing: Option<attachments::discover::Listing>,
        orphans: bool,
    ) -> (LookedUp, attachments::discover::Listing) {
        let (mut found, listing) =
            attachments::discover::find(self.fetcher, reference, subjects, listing, orphans).await;
        let by_subject = std::mem::take(&mut found.by_subject);
        let nodes = join_all(by_subject.into_iter().map(|(subject, list)| async move {
            let nodes = join_all(list.into_iter().map(|(d, origin)| async move {
                let mut n = self.node_of_kind(Kind::Referrer, d, Vec::new()).await;
                n.origin = Some(origin);
                n
            }))
            .await;
            (subject, nodes)
        }))
        .await
        .into_iter()
        .collect();
        let looked_up = LookedUp {
            nodes,
            orphaned: found.orphaned,
            notes: found.notes,
        };
        (looked_up, listing)
    }

    /// A signature or SBOM layer of a referrer, read (within the blob size cap) and decoded.
    fn payload_node(&self, desc: Descriptor) -> BoxFuture<'_, Node> {
        async move {
            let mut node = Node::from_descriptor(Kind::Layer, &desc);
            let Some(digest) = parse_digest(&mut node) else {
                return node;
            };
            match self.fetcher.blob(&self.repo, &digest).await {
                Ok(bytes) => {
                    node.payload =
                        crate::model::payload::decode(&node.media_type, &node.annotations, &bytes);
                    node.raw = Some(bytes);
                }
                Err(e) => set_fetch_problem(&mut node, e),
            }
            node
        }
        .boxed()
    }
}

/// What [`recheck`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rechecked {
    /// Nodes the registry no longer has, now marked missing.
    pub gone: usize,
    /// Nodes that were missing and are there again: the tree must be built afresh to show them.
    pub back: usize,
}

/// Re-checks that every manifest, config and statement below the root of a tree built before is
/// still in the registry (HEAD requests, all at once; the fetcher bounds how many are in
/// flight), and marks those that are gone as missing. Content by digest never changes, but it
/// can be deleted (a lifecycle policy, `DELETE /v2/…/manifests/…`): a tree reused by digest
/// must not keep showing it. A check that fails (5xx, timeout) leaves its node as it was.
pub async fn recheck(fetcher: &Fetcher, reference: &ImageRef, root: &mut Node) -> Rechecked {
    let repo = repo_of(reference);
    let mut targets = Vec::new();
    for (i, child) in root.children.iter().enumerate() {
        checkable(child, &mut vec![i], &mut targets);
    }
    let unique: HashSet<(Digest, Content)> = targets.iter().map(|t| (t.1.clone(), t.2)).collect();
    let answers: HashMap<(Digest, Content), bool> = join_all(unique.into_iter().map(|key| {
        let repo = &repo;
        async move {
            let exists = fetcher.exists(repo, &key.0, key.1).await;
            (key, exists)
        }
    }))
    .await
    .into_iter()
    .filter_map(|(key, r)| Some((key, r.ok()?)))
    .collect();
    let mut found = Rechecked::default();
    // Deepest first (the paths are in pre-order): a gone parent drops its children after
    // they were looked at, never before.
    for (path, digest, content) in targets.iter().rev() {
        let Some(&exists) = answers.get(&(digest.clone(), *content)) else {
            continue;
        };
        let Some(node) = node_at(root, path) else {
            continue;
        };
        match (exists, node.kind == Kind::Missing) {
            (false, false) => {
                let code = match content {
                    Content::Manifest => "MANIFEST_UNKNOWN",
                    Content::Blob => "BLOB_UNKNOWN",
                };
                set_fetch_problem(
                    node,
                    FetchError::NotFound {
                        what: String::new(),
                        code: code.into(),
                    },
                );
                node.children.clear();
                node.raw = None;
                node.config = None;
                node.statement = None;
                found.gone += 1;
            }
            (true, true) => found.back += 1,
            _ => {}
        }
    }
    found
}

/// The nodes of a tree that [`recheck`] asks about, with their paths (pre-order).
fn checkable(node: &Node, path: &mut Vec<usize>, out: &mut Vec<(Vec<usize>, Digest, Content)>) {
    let content = match node.kind {
        Kind::Index | Kind::Manifest | Kind::Attestation | Kind::Referrer => {
            Some(Content::Manifest)
        }
        // A missing node was a manifest or a blob by its descriptor's media type.
        Kind::Missing
            if mt::is_index(&node.media_type) || mt::is_image_manifest(&node.media_type) =>
        {
            Some(Content::Manifest)
        }
        Kind::Config | Kind::Statement | Kind::Missing => Some(Content::Blob),
        // Layers are never fetched, so nothing about them was cached to go stale.
        Kind::Layer => None,
    };
    if let (Some(content), Ok(digest)) = (content, Digest::parse(&node.digest)) {
        out.push((path.clone(), digest, content));
    }
    for (i, child) in node.children.iter().enumerate() {
        path.push(i);
        checkable(child, path, out);
        path.pop();
    }
}

fn node_at<'a>(root: &'a mut Node, path: &[usize]) -> Option<&'a mut Node> {
    let mut node = root;
    for &i in path {
        node = node.children.get_mut(i)?;
    }
    Some(node)
}

/// The repository `reference` names (`""` for a layout).
#[must_use]
pub fn repo_of(reference: &ImageRef) -> String {
    match reference {
        ImageRef::Registry(r) => r.repository.clone(),
        ImageRef::Layout(_) => String::new(),
    }
}

fn attach(node: &mut Node, referrers: &HashMap<String, Vec<Node>>, done: &mut HashSet<String>) {
    for child in &mut node.children {
        attach(child, referrers, done);
    }
    if matches!(node.kind, Kind::Index | Kind::Manifest | Kind::Attestation)
        && done.insert(node.digest.clone())
    {
        if let Some(list) = referrers.get(&node.digest) {
            node.children.extend(list.iter().cloned());
        }
    }
}

/// Layers of one attachment read at most for decoding.
pub const MAX_DECODED_LAYERS: usize = 4;

/// Signature and SBOM layer types regscope decodes (see `model::payload`).
fn is_decodable_payload(media_type: &str) -> bool {
    media_type == attachments::COSIGN_SIMPLE_SIGNING
        || media_type.starts_with(attachments::SIGSTORE_BUNDLE_PREFIX)
        || media_type == "application/jose+json"
        || media_type == "application/cose"
        || media_type.starts_with(attachments::SPDX_JSON)
        || media_type.starts_with(attachments::CYCLONEDX_JSON)
}

/// The kind an index entry has before its manifest is fetched.
fn initial_kind(desc: &Descriptor) -> Kind {
    if mt::is_index(&desc.media_type) {
        return Kind::Index;
    }
    let reference_type = desc.annotations.get(REFERENCE_TYPE).map(String::as_str);
    if reference_type == Some(ATTESTATION_MANIFEST)
        || desc.artifact_type.as_deref() == Some(mt::DOCKER_ATTESTATION_ARTIFACT)
    {
        return Kind::Attestation;
    }
    Kind::Manifest
}

/// Gives each attestation the digest and platform of the manifest it is about.
fn link_attestations(children: &mut [Node]) {
    let platforms: HashMap<String, Option<crate::model::Platform>> = children
        .iter()
        .map(|c| (c.digest.clone(), c.platform.clone()))
        .collect();
    for child in children.iter_mut().filter(|c| c.kind == Kind::Attestation) {
        let target = child
            .annotations
            .get(REFERENCE_DIGEST)
            .cloned()
            .or_else(|| child.attests.as_ref().map(|a| a.digest.clone()));
        if let Some(digest) = target {
            let platform = platforms.get(&digest).cloned().flatten();
            child.attests = Some(Attests { digest, platform });
        }
    }
}

/// Every layer an in-toto statement (and at least one): what a `BuildKit` attestation holds.
fn holds_only_statements(image: &ImageManifest) -> bool {
    let layers = image.all_layers();
    !layers.is_empty()
        && layers.iter().all(|l| {
            l.media_type == mt::IN_TOTO || l.annotations.contains_key(IN_TOTO_PREDICATE_TYPE)
        })
}

fn is_statement(kind: Kind, layer: &Descriptor) -> bool {
    layer.media_type == mt::IN_TOTO
        || layer.media_type == mt::DSSE_ENVELOPE
        || (kind == Kind::Attestation && layer.annotations.contains_key(IN_TOTO_PREDICATE_TYPE))
}

fn is_decodable_config(media_type: &str) -> bool {
    media_type == mt::OCI_CONFIG
        || media_type == mt::DOCKER_CONFIG
        || media_type.ends_with("+json") && media_type != mt::OCI_EMPTY
}

/// The digest to fetch `node` by; `None` (with the problem set) when it must not be fetched:
/// a malformed digest, or a descriptor already found invalid (a negative size).
fn parse_digest(node: &mut Node) -> Option<Digest> {
    if node.problem.is_some() {
        return None;
    }
    match Digest::parse(&node.digest) {
        Ok(d) => Some(d),
        Err(e) => {
            node.problem = Some(Problem::Malformed {
                detail: e.to_string(),
            });
            None
        }
    }
}

fn set_fetch_problem(node: &mut Node, e: FetchError) {
    node.problem = Some(match e {
        FetchError::NotFound { code, .. } => {
            node.kind = Kind::Missing;
            Problem::Missing { detail: code }
        }
        FetchError::DigestMismatch { expected, actual } => Problem::DigestMismatch {
            expected,
            actual,
            loops: false,
        },
        FetchError::TooLarge { limit, size, .. } => Problem::TooLarge { limit, size },
        FetchError::Malformed { detail, .. } => Problem::Malformed { detail },
        other => Problem::FetchFailed {
            detail: other.to_string(),
        },
    });
}

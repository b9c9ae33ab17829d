//! Collecting a repository's images for `regscope images` and the TUI's untagged toggle: the
//! ECR API's list (tagged and untagged) when the registry is ECR and the API answers, else
//! what the tags reach; then the index trees, joined ([`super::images::join`]).

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt as _};

use super::images::{self, Graph, Row};
use super::{EcrImage, EcrRepository};
use crate::connect::{ConnectError, Connection, Connector};
use crate::inspect::{inspect, InspectOptions};
use crate::model::{media_type as mt, Node};
use crate::reference::{ImageRef, RegistryRef};

/// Index trees fetched per repository at most; past it the rows say so.
pub const MAX_TREES: usize = 2_000;
/// Trees fetched at once (each is itself concurrent, bounded by the fetcher).
const TREES_AT_ONCE: usize = 8;

/// Where the image list came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSource {
    /// `DescribeImages`: every image, tagged and untagged.
    EcrApi { region: String },
    /// The tag list: only what tags reach (untagged images are invisible to the registry API).
    Tags,
}

/// A repository's images, labelled.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub registry: String,
    pub repository: String,
    pub source: ListSource,
    pub rows: Vec<Row>,
    pub graph: Graph,
    /// The list or the trees were cut at a cap.
    pub truncated: bool,
    /// Why the ECR API was not used, what could not be fetched (never a secret).
    pub notes: Vec<String>,
    /// The trees that could not be read (tags, or `untagged sha256:…` indexes): the join is
    /// incomplete, and untagged images nothing read reaches are "not checked", not orphans.
    pub unread: Vec<String>,
    /// The repository's settings, when the API gave them.
    pub repository_info: Option<EcrRepository>,
    /// The lifecycle policy text, when the repository has one.
    pub lifecycle_policy: Option<String>,
    /// What the policy's next run would do, or why the policy could not be read.
    pub dry_run: Option<Result<super::dry_run::DryRun, String>>,
}

impl Inventory {
    /// The planned action for `digest`, when the lifecycle policy's next run would act on it.
    #[must_use]
    pub fn planned(&self, digest: &str) -> Option<&super::dry_run::Planned> {
        self.dry_run
            .as_ref()?
            .as_ref()
            .ok()?
            .planned
            .iter()
            .find(|p| p.digest == digest)
    }
}

/// Lists and labels every image of `repository` on `connection`'s registry.
pub async fn collect(
    connector: &Connector,
    connection: &Connection,
    repository: &str,
) -> Result<Inventory, ConnectError> {
    let registry = connection
        .registry()
        .ok_or_else(|| {
            ConnectError::from(crate::registry::FetchError::NeedsRegistry {
                why: "images are listed for a registry, not an OCI layout",
            })
        })?
        .to_string();
    let mut notes = Vec::new();
    let mut listed = from_api(connector, &registry, repository, &mut notes).await;
    let source = if listed.is_some() {
        ListSource::EcrApi {
            region: super::EcrHost::parse(&registry)
                .and_then(|h| h.private().map(|p| p.region.clone()))
                .unwrap_or_default(),
        }
    } else {
        ListSource::Tags
    };
    let mut repository_info = None;
    let mut lifecycle_policy = None;
    let mut unread = Vec::new();
    let (images, trees, mut truncated) = match listed.take() {
        Some(api) => {
            repository_info = api.repository_info;
            lifecycle_policy = api.lifecycle_policy;
            let trees = index_trees(
                connection,
                &registry,
                repository,
                &api.images,
                &mut notes,
                &mut unread,
            )
            .await;
            (api.images, trees.0, api.truncated || trees.1)
        }
        None => from_tags(connection, &registry, repository, &mut notes, &mut unread).await?,
    };
    let (mut rows, graph) = images::join(images, &trees);
    images::mark_unchecked(&mut rows, &unread);
    sort_newest_first(&mut rows);
    if rows.len() > super::MAX_IMAGES {
        rows.truncate(super::MAX_IMAGES);
        truncated = true;
    }
    let dry_run = lifecycle_policy.as_deref().map(|text| {
        super::dry_run::dry_run(text, &rows, &graph, chrono::Utc::now()).map_err(|e| e.to_string())
    });
    Ok(Inventory {
        registry,
        repository: repository.to_string(),
        source,
        rows,
        graph,
        truncated,
        notes,
        unread,
        repository_info,
        lifecycle_policy,
        dry_run,
    })
}

struct ApiList {
    images: Vec<EcrImage>,
    truncated: bool,
    repository_info: Option<EcrRepository>,
    lifecycle_policy: Option<String>,
}

#[cfg(feature = "ecr")]
async fn from_api(
    connector: &Connector,
    registry: &str,
    repository: &str,
    notes: &mut Vec<String>,
) -> Option<ApiList> {
    let host = super::EcrHost::parse(registry)?;
    let private = host.private()?;
    let endpoint = super::api_endpoint(connector.config(), registry);
    let api =
        super::api::EcrApi::new(&private.region, Some(&private.account), endpoint.as_deref()).await;
    // One client, three independent calls at once: the list, the settings, the policy (the
    // last two are left out quietly when they fail; the list's failure is the one reported).
    // Boxed: the SDK's three futures together are large, and callers hold this one.
    let (listed, info, policy) = Box::pin(async {
        tokio::join!(
            api.images(repository),
            api.repository(repository),
            api.lifecycle_policy(repository)
        )
    })
    .await;
    match listed {
        Ok((images, truncated)) => Some(ApiList {
            images,
            truncated,
            repository_info: info.ok().flatten(),
            lifecycle_policy: policy.ok().flatten(),
        }),
        Err(e) => {
            notes.push(format!(
                "the ECR API could not list untagged images ({e}); showing what the tags reach"
            ));
            None
        }
    }
}

#[cfg(not(feature = "ecr"))]
#[allow(clippy::unused_async)] // the same signature as the `ecr` build's
async fn from_api(
    _connector: &Connector,
    registry: &str,
    _repository: &str,
    notes: &mut Vec<String>,
) -> Option<ApiList> {
    if super::EcrHost::parse(registry).is_some_and(|h| h.private().is_some()) {
        notes.push(format!(
            "{}; showing what the tags reach",
            super::EcrError::FeatureOff
        ));
    }
    None
}

fn digest_ref(registry: &str, repository: &str, digest: &str) -> Option<ImageRef> {
    Some(ImageRef::Registry(RegistryRef {
        registry: registry.to_string(),
        repository: repository.to_string(),
        tag: None,
        digest: Some(crate::digest::Digest::parse(digest).ok()?),
    }))
}

/// The trees of every index in the list (at most [`MAX_TREES`]); the flag says some were
/// left out.
async fn index_trees(
    connection: &Connection,
    registry: &str,
    repository: &str,
    images: &[EcrImage],
    notes: &mut Vec<String>,
    unread: &mut Vec<String>,
) -> (Vec<Node>, bool) {
    let indexes: Vec<&EcrImage> = images
        .iter()
        .filter(|i| i.manifest_media_type.as_deref().is_some_and(mt::is_index))
        .collect();
    let cut = indexes.len() > MAX_TREES;
    let refs: Vec<ImageRef> = indexes
        .iter()
        .take(MAX_TREES)
        .filter_map(|i| digest_ref(registry, repository, &i.digest))
        .collect();
    let results: Vec<_> = stream::iter(refs)
        .map(|r| async move {
            let result = inspect(&connection.fetcher, &r, &InspectOptions::default()).await;
            (r, result)
        })
        .buffer_unordered(TREES_AT_ONCE)
        .collect()
        .await;
    let mut trees = Vec::new();
    for (r, result) in results {
        match result {
            Ok(inspection) => trees.push(inspection.root),
            Err(e) => {
                notes.push(format!(
                    "{r}: {}",
                    crate::sanitize::sanitize(&connection.error(e).to_string())
                ));
                let digest = r.digest().map(ToString::to_string).unwrap_or_default();
                let tags = images
                    .iter()
                    .find(|i| i.digest == digest)
                    .map(|i| i.tags.clone())
                    .unwrap_or_default();
                unread.push(if tags.is_empty() {
                    format!("untagged {}", crate::digest::short(&digest))
                } else {
                    crate::sanitize::sanitize(&images::abbreviate(&tags, 3)).into_owned()
                });
            }
        }
    }
    unread.sort();
    if cut {
        notes.push(format!(
            "only the first {MAX_TREES} indexes were opened; labels of the rest may be missing"
        ));
    }
    (trees, cut)
}

/// Without the ECR API: every tag resolved (one tree each, bounded), grouped by digest; each
/// index's children become untagged rows through the join.
async fn from_tags(
    connection: &Connection,
    registry: &str,
    repository: &str,
    notes: &mut Vec<String>,
    unread: &mut Vec<String>,
) -> Result<(Vec<EcrImage>, Vec<Node>, bool), ConnectError> {
    let listing = connection
        .fetcher
        .tag_listing(repository)
        .await
        .map_err(|e| connection.error(e))?;
    if let Some(why) = &listing.truncated {
        notes.push(format!(
            "the tag list is incomplete ({why}): images only the missing tags reach are not shown"
        ));
    }
    let mut tags = listing.tags;
    let truncated = tags.len() > MAX_TREES;
    tags.truncate(MAX_TREES);
    let results: Vec<_> = stream::iter(tags)
        .map(|tag| async move {
            let reference = ImageRef::Registry(RegistryRef {
                registry: registry.to_string(),
                repository: repository.to_string(),
                tag: Some(tag.clone()),
                digest: None,
            });
            let result = inspect(&connection.fetcher, &reference, &InspectOptions::default()).await;
            (tag, result)
        })
        .buffer_unordered(TREES_AT_ONCE)
        .collect()
        .await;
    let mut by_digest: BTreeMap<String, (EcrImage, Node)> = BTreeMap::new();
    for (tag, result) in results {
        match result {
            Ok(inspection) => {
                let root = inspection.root;
                let entry = by_digest.entry(root.digest.clone()).or_insert_with(|| {
                    let pushed_at = created_of(&root);
                    (
                        EcrImage {
                            digest: root.digest.clone(),
                            manifest_media_type: Some(root.media_type.clone()),
                            artifact_media_type: root.artifact_type.clone(),
                            pushed_at,
                            size: (root.kind != crate::model::Kind::Index)
                                .then(|| root.layers_size() + config_size(&root)),
                            ..EcrImage::default()
                        },
                        root.clone(),
                    )
                });
                entry.0.tags.push(tag);
            }
            Err(e) => {
                notes.push(format!(
                    "tag {}: {}",
                    crate::sanitize::sanitize(&tag),
                    crate::sanitize::sanitize(&connection.error(e).to_string())
                ));
                unread.push(crate::sanitize::sanitize(&tag).into_owned());
            }
        }
    }
    unread.sort();
    let mut images = Vec::new();
    let mut trees = Vec::new();
    for (_, (mut image, tree)) in by_digest {
        image.tags.sort();
        images.push(image);
        trees.push(tree);
    }
    // The children the trees reach are images too (what ECR would list untagged).
    let mut seen: std::collections::HashSet<String> =
        images.iter().map(|i| i.digest.clone()).collect();
    for tree in &trees {
        for child in &tree.children {
            if matches!(
                child.kind,
                crate::model::Kind::Manifest
                    | crate::model::Kind::Attestation
                    | crate::model::Kind::Index
            ) && child.problem.is_none()
                && seen.insert(child.digest.clone())
            {
                images.push(EcrImage {
                    digest: child.digest.clone(),
                    manifest_media_type: Some(child.media_type.clone()),
                    artifact_media_type: child.artifact_type.clone(),
                    size: Some(child.layers_size() + config_size(child)),
                    ..EcrImage::default()
                });
            }
        }
    }
    Ok((images, trees, truncated))
}

/// The newest `created` among the tree's configs: the best stand-in for "pushed at" that the
/// registry API offers.
fn created_of(root: &Node) -> Option<chrono::DateTime<chrono::Utc>> {
    root.descendants()
        .into_iter()
        .filter_map(|n| n.config.as_ref()?.created.as_deref())
        .filter_map(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .max()
}

fn config_size(manifest: &Node) -> i64 {
    manifest
        .children
        .iter()
        .filter(|c| c.kind == crate::model::Kind::Config)
        .map(|c| c.size.max(0))
        .sum()
}

/// Newest push first; untagged children keep their place after their index when times tie;
/// missing rows last.
fn sort_newest_first(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        a.missing
            .cmp(&b.missing)
            .then(b.image.pushed_at.cmp(&a.image.pushed_at))
            .then(
                b.image
                    .tags
                    .is_empty()
                    .cmp(&a.image.tags.is_empty())
                    .reverse(),
            )
    });
}

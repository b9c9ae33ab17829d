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
    /// A service's package versions (GHCR through the GitHub API): every version, tagged and
    /// untagged, with when it was pushed. `service` is `the GitHub API`.
    Versions { service: String },
}

impl ListSource {
    /// Whether the dates are when each image was pushed (the service says), not when it was
    /// built (the image config's `created`, all a registry's tag list offers).
    #[must_use]
    pub fn pushed(&self) -> bool {
        !matches!(self, Self::Tags)
    }
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
    let mut versions = match &listed {
        Some(_) => None,
        None => package_versions(connector, &registry, repository, &mut notes).await,
    };
    let source = if listed.is_some() {
        ListSource::EcrApi {
            region: super::EcrHost::parse(&registry)
                .and_then(|h| h.private().map(|p| p.region.clone()))
                .unwrap_or_default(),
        }
    } else if let Some((service, _)) = &versions {
        ListSource::Versions {
            service: service.clone(),
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
        None => match versions.take() {
            Some((_, listed)) => {
                from_versions(
                    connection,
                    (&registry, repository),
                    listed,
                    &mut notes,
                    &mut unread,
                )
                .await
            }
            None => from_tags(connection, &registry, repository, &mut notes, &mut unread).await?,
        },
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
        Ok((images, truncated)) => {
            // Each tag with the digest and `imagePushedAt` ECR gives goes into the history.
            let rows = images.iter().flat_map(|i| {
                let pushed = i.pushed_at.map(std::time::SystemTime::from);
                i.tags
                    .iter()
                    .map(move |t| (t.as_str(), i.digest.as_str(), pushed))
            });
            crate::listing::pushed::log(connector, registry, repository, rows);
            Some(ApiList {
                images,
                truncated,
                repository_info: info.ok().flatten(),
                lifecycle_policy: policy.ok().flatten(),
            })
        }
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

/// GHCR's package versions (every image, untagged too, with when it was pushed) through the
/// GitHub API, and the API's name; `None` for other registries, or with a note when the API
/// refused (the tag list is read instead).
async fn package_versions(
    connector: &Connector,
    registry: &str,
    repository: &str,
    notes: &mut Vec<String>,
) -> Option<(String, crate::listing::Tags)> {
    let native = crate::listing::Native::for_registry(registry, connector.config())
        .filter(|n| n.service == crate::listing::Service::Ghcr)?;
    let service = native.service.name().to_string();
    match native.tags(connector, repository).await {
        Ok(listed) => {
            notes.extend(
                listed
                    .gaps
                    .iter()
                    .map(|g| crate::sanitize::sanitize(g).into_owned()),
            );
            Some((service, listed))
        }
        Err(e) => {
            // What it does first, then the API's refusal (which names the API): the TUI's
            // line has room for the start of the cause.
            notes.push(format!(
                "showing what the tags reach: {}",
                crate::sanitize::sanitize(&e.to_string())
            ));
            None
        }
    }
}

/// The images a service's version list names (one per digest, at most [`MAX_TREES`]), each
/// manifest read once by digest for its type and size (cached: the trees reuse it), then the
/// index trees, as with the ECR API's list.
async fn from_versions(
    connection: &Connection,
    (registry, repository): (&str, &str),
    listed: crate::listing::Tags,
    notes: &mut Vec<String>,
    unread: &mut Vec<String>,
) -> (Vec<EcrImage>, Vec<Node>, bool) {
    let mut by_digest: BTreeMap<String, EcrImage> = BTreeMap::new();
    for version in listed.tags {
        let Some(digest) = version
            .digest
            .filter(|d| crate::digest::Digest::parse(d).is_ok())
        else {
            continue;
        };
        let image = by_digest.entry(digest.clone()).or_insert_with(|| EcrImage {
            digest,
            pushed_at: version
                .pushed
                .as_deref()
                .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
                .map(|d| d.with_timezone(&chrono::Utc)),
            ..EcrImage::default()
        });
        if version.tagged {
            image.tags.push(version.name);
        }
    }
    let cut = by_digest.len() > MAX_TREES;
    let listed: Vec<EcrImage> = by_digest.into_values().take(MAX_TREES).collect();
    let mut images: Vec<EcrImage> = stream::iter(listed)
        .map(|mut image| async move {
            let read = match crate::digest::Digest::parse(&image.digest) {
                Ok(d) => connection.fetcher.manifest_by_digest(repository, &d).await,
                Err(e) => Err(crate::registry::FetchError::Malformed {
                    what: format!(
                        "the digest {} the API listed",
                        crate::sanitize::sanitize(&image.digest)
                    ),
                    detail: e.to_string(),
                }),
            };
            if let Ok(m) = &read {
                let (media_type, size) = manifest_facts(&m.bytes, m.content_type.as_deref());
                image.manifest_media_type = media_type;
                image.size = size;
            }
            (image, read.err())
        })
        .buffer_unordered(TREES_AT_ONCE)
        .map(|(mut image, error)| {
            if let Some(e) = error {
                notes.push(format!(
                    "{}: {}",
                    crate::digest::short(&image.digest),
                    crate::sanitize::sanitize(&connection.error(e).to_string())
                ));
                image.tags.sort();
                unread.push(if image.tags.is_empty() {
                    format!("untagged {}", crate::digest::short(&image.digest))
                } else {
                    crate::sanitize::sanitize(&images::abbreviate(&image.tags, 3)).into_owned()
                });
            }
            image
        })
        .collect()
        .await;
    for image in &mut images {
        image.tags.sort();
    }
    if cut {
        notes.push(format!(
            "only the first {MAX_TREES} versions were read; the rest are not shown"
        ));
    }
    let (trees, trees_cut) =
        index_trees(connection, registry, repository, &images, notes, unread).await;
    (images, trees, cut || trees_cut)
}

/// A manifest's media type (its `mediaType`, else the `Content-Type` it came with) and, for an
/// image manifest, its config and layers together; an index has no size of its own.
fn manifest_facts(bytes: &[u8], content_type: Option<&str>) -> (Option<String>, Option<i64>) {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let media_type = v["mediaType"]
        .as_str()
        .or(content_type)
        .map(|t| crate::sanitize::sanitize(t).into_owned());
    if media_type.as_deref().is_some_and(mt::is_index) || v.get("manifests").is_some() {
        return (media_type, None);
    }
    let size_of = |d: &serde_json::Value| d["size"].as_i64().unwrap_or(0).max(0);
    let layers: i64 = v["layers"]
        .as_array()
        .map_or(0, |l| l.iter().map(size_of).sum());
    (
        media_type,
        Some(layers.saturating_add(size_of(&v["config"]))),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versions_manifest_gives_its_type_and_an_image_its_size() {
        let image = br#"{"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "config":{"size":100},"layers":[{"size":1000},{"size":-5},{"size":24}]}"#;
        assert_eq!(
            manifest_facts(image, None),
            (
                Some("application/vnd.oci.image.manifest.v1+json".into()),
                Some(1124)
            )
        );
        // No `mediaType` in the body: the Content-Type it came with; an index has no size.
        let index = br#"{"manifests":[]}"#;
        assert_eq!(
            manifest_facts(index, Some(mt::OCI_INDEX)),
            (Some(mt::OCI_INDEX.into()), None)
        );
        assert_eq!(manifest_facts(b"not json", None), (None, Some(0)));
    }
}

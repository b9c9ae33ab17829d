//! "Why does ECR show three images for one push?": every image of a repository, tagged or
//! not, labelled with what it is, from the image list joined with the manifest trees.
//!
//! An untagged image is one of: a platform image of an index (deleting it breaks the index's
//! tags), an attestation manifest of an index (BuildKit's provenance/SBOM, platform
//! `unknown/unknown`), a referrer of another image (signature, SBOM: its `subject`), or an
//! **orphan** that nothing in the repository reaches. Children an index names that the list
//! does not have are rows too, marked missing (a lifecycle rule or a delete removed them).
//!
//! Pure: the caller fetches the list and the trees.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::EcrImage;
use crate::model::{media_type as mt, Kind, Node, Problem};

/// What one image is to the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A platform image of the index `parent`.
    PlatformOf {
        parent: String,
        platform: Option<String>,
    },
    /// An attestation manifest in the index `parent`, for the image of `platform`.
    AttestationOf {
        parent: String,
        platform: Option<String>,
    },
    /// A manifest whose `subject` is `subject` (signature, SBOM, other artifact).
    ReferrerOf { subject: String, what: String },
}

/// What an image is, by its own media types and place in a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Index,
    Image,
    Attestation,
    Artifact,
    Unknown,
}

impl ImageKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Image => "image",
            Self::Attestation => "attestation",
            Self::Artifact => "artifact",
            Self::Unknown => "unknown",
        }
    }
}

/// One row: an image with its roles and what depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub image: EcrImage,
    pub kind: ImageKind,
    pub roles: Vec<Role>,
    /// Tags that stop working whole (their index names a missing child) if this untagged
    /// image is deleted.
    pub breaks: Vec<String>,
    /// Referrers (signatures, SBOMs) that lose their subject if this image is deleted.
    pub referrers: Vec<String>,
    /// Named by an index but not in the registry: deleted (or never pushed).
    pub missing: bool,
    /// For an index: the real total of its children (distinct configs and layers), where
    /// ECR reports only the largest child.
    pub total_size: Option<i64>,
    /// What a tree says of it: an image's platform (from its config), an index's platforms
    /// and attestation count.
    pub summary: Option<String>,
    /// Nothing read reaches this untagged image, but a tree could not be read (`the tree of
    /// v1 could not be read`): it may be a child of that one, so it is not called an orphan.
    pub unchecked: Option<String>,
}

impl Row {
    /// Nothing reaches this untagged image: no tag, no index, no subject, and every tree
    /// that could reach it was read.
    #[must_use]
    pub fn is_orphan(&self) -> bool {
        self.image.tags.is_empty()
            && self.roles.is_empty()
            && !self.missing
            && self.unchecked.is_none()
    }
}

/// Marks the rows that would be orphans as not checked when the trees of `unread` (tags, or
/// `untagged sha256:…` indexes) could not be read: never state a fact that was not checked.
pub fn mark_unchecked(rows: &mut [Row], unread: &[String]) {
    if unread.is_empty() {
        return;
    }
    let why = if unread.len() == 1 {
        format!("the tree of {} could not be read", unread[0])
    } else {
        format!("the trees of {} could not be read", abbreviate(unread, 3))
    };
    for row in rows.iter_mut().filter(|r| r.is_orphan()) {
        row.unchecked = Some(why.clone());
    }
}

/// The graph of a repository's images: which index names which child, and the tags of each.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// child digest -> index digests that name it
    pub parents: HashMap<String, BTreeSet<String>>,
    /// subject digest -> referrer digests
    pub referrers: HashMap<String, Vec<String>>,
    pub tags: HashMap<String, Vec<String>>,
}

impl Graph {
    /// The tags of every index above `digest` (through untagged indexes too), sorted.
    #[must_use]
    pub fn tags_above(&self, digest: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut stack = vec![digest.to_string()];
        while let Some(d) = stack.pop() {
            for parent in self.parents.get(&d).into_iter().flatten() {
                if !seen.insert(parent.clone()) {
                    continue;
                }
                out.extend(self.tags.get(parent).into_iter().flatten().cloned());
                stack.push(parent.clone());
            }
        }
        out.into_iter().collect()
    }

    /// The tags of `digest` itself.
    #[must_use]
    pub fn tags_of(&self, digest: &str) -> Vec<String> {
        self.tags.get(digest).cloned().unwrap_or_default()
    }
}

/// The rows for `images` (the registry's list) and `trees` (fetched index trees), and the
/// graph they make. Rows keep the list's order, then the missing children. Every walk has a
/// visited set, so a cycle in hostile data ends.
#[must_use]
pub fn join(images: Vec<EcrImage>, trees: &[Node]) -> (Vec<Row>, Graph) {
    let listed: HashSet<String> = images.iter().map(|i| i.digest.clone()).collect();
    let mut graph = Graph {
        tags: images
            .iter()
            .filter(|i| !i.tags.is_empty())
            .map(|i| (i.digest.clone(), i.tags.clone()))
            .collect(),
        ..Graph::default()
    };
    let TreeFacts {
        mut roles,
        kinds,
        totals,
        mut summaries,
        missing,
    } = walk_trees(trees, &listed, &mut graph);

    // Referrers by their subject, as the list reports it.
    for image in &images {
        if let Some(subject) = &image.subject {
            let what = referrer_kind(image.artifact_media_type.as_deref());
            push_unique(
                roles.entry(image.digest.clone()).or_default(),
                Role::ReferrerOf {
                    subject: subject.clone(),
                    what: what.to_string(),
                },
            );
            graph
                .referrers
                .entry(subject.clone())
                .or_default()
                .push(image.digest.clone());
        }
    }

    let mut rows = Vec::with_capacity(images.len() + missing.len());
    let all = images
        .into_iter()
        .map(|i| (i, false))
        .chain(missing.into_values().map(|i| (i, true)));
    for (image, is_missing) in all {
        let digest = image.digest.clone();
        let kind = kinds
            .get(&digest)
            .copied()
            .unwrap_or_else(|| kind_of_image(&image));
        let breaks = if image.tags.is_empty() {
            graph.tags_above(&digest)
        } else {
            Vec::new()
        };
        rows.push(Row {
            kind,
            roles: roles.remove(&digest).unwrap_or_default(),
            breaks,
            referrers: graph.referrers.get(&digest).cloned().unwrap_or_default(),
            missing: is_missing,
            total_size: if kind == ImageKind::Index {
                totals.get(&digest).copied()
            } else {
                None
            },
            summary: summaries.remove(&digest),
            unchecked: None,
            image,
        });
    }
    (rows, graph)
}

/// What the trees say: each node's role, kind, summary; index totals; children gone.
#[derive(Default)]
struct TreeFacts {
    roles: HashMap<String, Vec<Role>>,
    kinds: HashMap<String, ImageKind>,
    totals: HashMap<String, i64>,
    summaries: HashMap<String, String>,
    missing: BTreeMap<String, EcrImage>,
}

fn walk_trees(trees: &[Node], listed: &HashSet<String>, graph: &mut Graph) -> TreeFacts {
    let mut facts = TreeFacts::default();

    for tree in trees {
        facts.totals.insert(tree.digest.clone(), tree.total_size());
        let mut stack: Vec<&Node> = vec![tree];
        let mut seen: HashSet<&str> = HashSet::new();
        while let Some(node) = stack.pop() {
            if !seen.insert(node.digest.as_str()) {
                continue;
            }
            if let Some(kind) = kind_of_node(node) {
                facts.kinds.entry(node.digest.clone()).or_insert(kind);
            }
            if let Some(summary) = summary_of(node) {
                facts
                    .summaries
                    .entry(node.digest.clone())
                    .or_insert(summary);
            }
            if node.kind != Kind::Index {
                continue;
            }
            for child in &node.children {
                if !matches!(
                    child.kind,
                    Kind::Manifest | Kind::Attestation | Kind::Index | Kind::Missing
                ) {
                    continue;
                }
                let role = if child.kind == Kind::Attestation {
                    Role::AttestationOf {
                        parent: node.digest.clone(),
                        platform: child
                            .attests
                            .as_ref()
                            .and_then(|a| a.platform.as_ref())
                            .map(ToString::to_string),
                    }
                } else {
                    Role::PlatformOf {
                        parent: node.digest.clone(),
                        platform: child.platform.as_ref().map(ToString::to_string),
                    }
                };
                push_unique(facts.roles.entry(child.digest.clone()).or_default(), role);
                graph
                    .parents
                    .entry(child.digest.clone())
                    .or_default()
                    .insert(node.digest.clone());
                let gone = child.kind == Kind::Missing
                    || matches!(child.problem, Some(Problem::Missing { .. }));
                if gone && !listed.contains(&child.digest) {
                    facts
                        .missing
                        .entry(child.digest.clone())
                        .or_insert(EcrImage {
                            digest: child.digest.clone(),
                            manifest_media_type: Some(child.media_type.clone()),
                            ..EcrImage::default()
                        });
                }
                stack.push(child);
            }
        }
    }
    facts
}

fn push_unique(list: &mut Vec<Role>, role: Role) {
    if !list.contains(&role) {
        list.push(role);
    }
}

/// `linux/arm64` for an image (its config's platform), `linux/amd64, linux/arm64 + 2
/// attestations` for an index.
fn summary_of(node: &Node) -> Option<String> {
    match node.kind {
        Kind::Manifest => node
            .config_summary()
            .map(crate::model::config::ConfigSummary::platform_string)
            .or_else(|| node.platform.as_ref().map(ToString::to_string)),
        Kind::Index => {
            let platforms: Vec<String> = node
                .children
                .iter()
                .filter(|c| matches!(c.kind, Kind::Manifest | Kind::Missing))
                .map(|c| {
                    let p = c
                        .platform
                        .as_ref()
                        .map_or_else(|| "?".into(), ToString::to_string);
                    if c.kind == Kind::Missing {
                        format!("{p} (missing)")
                    } else {
                        p
                    }
                })
                .collect();
            let attestations = node
                .children
                .iter()
                .filter(|c| c.kind == Kind::Attestation)
                .count();
            let mut text = if platforms.is_empty() {
                "no platform images".to_string()
            } else {
                abbreviate(&platforms, 6)
            };
            if attestations > 0 {
                text.push_str(&format!(
                    " + {}",
                    crate::present::count(attestations, "attestation", "attestations")
                ));
            }
            Some(text)
        }
        _ => None,
    }
}

/// `a, b, c (+41 more)`: long lists (tags, platforms) stay one readable line.
#[must_use]
pub fn abbreviate(items: &[String], keep: usize) -> String {
    if items.len() <= keep {
        return items.join(", ");
    }
    format!(
        "{} (+{} more)",
        items[..keep].join(", "),
        items.len() - keep
    )
}

fn kind_of_node(node: &Node) -> Option<ImageKind> {
    Some(match node.kind {
        Kind::Index => ImageKind::Index,
        Kind::Attestation => ImageKind::Attestation,
        Kind::Manifest if node.artifact_type.is_some() => ImageKind::Artifact,
        Kind::Manifest => ImageKind::Image,
        _ => return None,
    })
}

fn kind_of_image(image: &EcrImage) -> ImageKind {
    if image.subject.is_some() {
        return ImageKind::Artifact;
    }
    match image.manifest_media_type.as_deref() {
        Some(m) if mt::is_index(m) => ImageKind::Index,
        Some(m) if mt::is_image_manifest(m) => match image.artifact_media_type.as_deref() {
            Some(mt::DOCKER_ATTESTATION_ARTIFACT) => ImageKind::Attestation,
            Some(
                "application/vnd.oci.image.config.v1+json"
                | "application/vnd.docker.container.image.v1+json",
            )
            | None => ImageKind::Image,
            Some(_) => ImageKind::Artifact,
        },
        _ => ImageKind::Unknown,
    }
}

/// A word for a referrer's artifact type.
#[must_use]
pub fn referrer_kind(artifact_type: Option<&str>) -> &'static str {
    let Some(t) = artifact_type else {
        return "referrer";
    };
    let t = t.to_ascii_lowercase();
    if t.contains("sig") || t.contains("notary") || t.contains("sigstore.bundle") {
        "signature"
    } else if t.contains("spdx") || t.contains("cyclonedx") || t.contains("sbom") {
        "SBOM"
    } else if t.contains("in-toto") || t.contains("provenance") || t.contains("attestation") {
        "attestation"
    } else if t.contains("vex") {
        "VEX"
    } else {
        "referrer"
    }
}

/// How another image is named in a label: its tags, else `untagged sha256:abcd…`.
#[must_use]
pub fn name(graph: &Graph, digest: &str) -> String {
    let tags = graph.tags_of(digest);
    if tags.is_empty() {
        format!("untagged {}", crate::digest::short(digest))
    } else {
        abbreviate(&tags, 3)
    }
}

/// The label of a row: what it is, for whom, and what deleting it breaks.
#[must_use]
pub fn describe(row: &Row, graph: &Graph) -> String {
    let mut parts: Vec<String> = Vec::new();
    // An image's platform is already in its role, when it has one.
    if let Some(summary) = row.summary.as_ref().filter(|_| row.roles.is_empty()) {
        parts.push(summary.clone());
    }
    if row.missing {
        parts.push("MISSING: an index names it but the registry does not have it".into());
    }
    for role in &row.roles {
        parts.push(match role {
            Role::PlatformOf { parent, platform } => format!(
                "platform image {} of {}",
                platform.as_deref().unwrap_or("(no platform)"),
                name(graph, parent)
            ),
            Role::AttestationOf { parent, platform } => format!(
                "attestation for {} of {}",
                platform.as_deref().unwrap_or("an image"),
                name(graph, parent)
            ),
            Role::ReferrerOf { subject, what } => format!("{what} of {}", name(graph, subject)),
        });
    }
    if row.is_orphan() {
        parts.push("ORPHAN: nothing in this repository references it".into());
    }
    if let Some(why) = &row.unchecked {
        parts.push(format!("not checked: {why}"));
    }
    if !row.breaks.is_empty() && !row.missing {
        parts.push(format!("deleting it breaks {}", abbreviate(&row.breaks, 3)));
    }
    if row.image.status.as_deref() == Some("ARCHIVED") {
        parts.push(match row.image.archived_at {
            Some(at) => format!("ARCHIVED since {}", at.format("%Y-%m-%d")),
            None => "ARCHIVED".into(),
        });
    }
    if let Some(scan) = scan_summary(&row.image) {
        parts.push(scan);
    }
    parts.join("; ")
}

/// `scan: 2 critical, 5 low` from ECR's finding counts, worst first; `None` without a scan.
#[must_use]
pub fn scan_summary(image: &EcrImage) -> Option<String> {
    const ORDER: [&str; 6] = [
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "INFORMATIONAL",
        "UNDEFINED",
    ];
    let counts: Vec<String> = ORDER
        .iter()
        .filter_map(|sev| {
            let n = image
                .severity_counts
                .get(*sev)
                .copied()
                .filter(|n| *n > 0)?;
            Some(format!("{n} {}", sev.to_ascii_lowercase()))
        })
        .collect();
    match (counts.is_empty(), image.scan_status.as_deref()) {
        (false, _) => Some(format!("scan: {}", counts.join(", "))),
        (true, Some("COMPLETE")) => Some("scan: no findings".into()),
        (true, Some("FAILED" | "UNSUPPORTED_IMAGE")) => image
            .scan_status
            .as_deref()
            .map(|s| format!("scan: {}", s.to_ascii_lowercase().replace('_', " "))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attests, Descriptor, Platform};

    fn node(kind: Kind, digest: &str, platform: Option<&str>, children: Vec<Node>) -> Node {
        let desc = Descriptor {
            media_type: if kind == Kind::Index {
                mt::OCI_INDEX.to_string()
            } else {
                mt::OCI_MANIFEST.to_string()
            },
            digest: digest.into(),
            size: 100,
            platform: platform.map(|p| Platform::parse(p).expect("platform")),
            annotations: BTreeMap::new(),
            artifact_type: None,
            urls: Vec::new(),
        };
        let mut n = Node::from_descriptor(kind, &desc);
        n.children = children;
        n
    }

    fn image(digest: &str, tags: &[&str], media_type: &str) -> EcrImage {
        EcrImage {
            digest: digest.into(),
            tags: tags.iter().map(|t| (*t).to_string()).collect(),
            manifest_media_type: Some(media_type.into()),
            ..EcrImage::default()
        }
    }

    fn buildkit_push() -> (Vec<EcrImage>, Node) {
        let mut att = node(
            Kind::Attestation,
            "sha256:att",
            Some("unknown/unknown"),
            vec![],
        );
        att.attests = Some(Attests {
            digest: "sha256:amd".into(),
            platform: Some(Platform::parse("linux/amd64").expect("platform")),
        });
        let tree = node(
            Kind::Index,
            "sha256:idx",
            None,
            vec![
                node(Kind::Manifest, "sha256:amd", Some("linux/amd64"), vec![]),
                att,
            ],
        );
        let images = vec![
            image("sha256:idx", &["v1"], mt::OCI_INDEX),
            image("sha256:amd", &[], mt::OCI_MANIFEST),
            image("sha256:att", &[], mt::OCI_MANIFEST),
            image("sha256:old", &[], mt::OCI_MANIFEST),
        ];
        (images, tree)
    }

    fn row<'a>(rows: &'a [Row], digest: &str) -> &'a Row {
        rows.iter().find(|r| r.image.digest == digest).expect("row")
    }

    #[test]
    fn three_images_for_one_push_are_labelled() {
        let (images, tree) = buildkit_push();
        let (rows, graph) = join(images, &[tree]);
        assert_eq!(row(&rows, "sha256:idx").kind, ImageKind::Index);
        let amd = row(&rows, "sha256:amd");
        assert_eq!(
            amd.roles,
            vec![Role::PlatformOf {
                parent: "sha256:idx".into(),
                platform: Some("linux/amd64".into())
            }]
        );
        assert_eq!(amd.breaks, vec!["v1".to_string()]);
        assert_eq!(
            describe(amd, &graph),
            "platform image linux/amd64 of v1; deleting it breaks v1"
        );
        assert_eq!(
            describe(row(&rows, "sha256:idx"), &graph),
            "linux/amd64 + 1 attestation"
        );
        let att = row(&rows, "sha256:att");
        assert_eq!(att.kind, ImageKind::Attestation);
        assert_eq!(
            describe(att, &graph),
            "attestation for linux/amd64 of v1; deleting it breaks v1"
        );
        let mut scanned = row(&rows, "sha256:idx").image.clone();
        scanned.scan_status = Some("COMPLETE".into());
        assert_eq!(scan_summary(&scanned).as_deref(), Some("scan: no findings"));
        scanned.severity_counts = [("LOW".to_string(), 5), ("CRITICAL".to_string(), 2)].into();
        assert_eq!(
            scan_summary(&scanned).as_deref(),
            Some("scan: 2 critical, 5 low")
        );
        let many: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
        assert_eq!(abbreviate(&many, 3), "t0, t1, t2 (+7 more)");
        let old = row(&rows, "sha256:old");
        assert!(old.is_orphan() && !amd.is_orphan());
        assert!(describe(old, &graph).starts_with("ORPHAN"));
    }

    #[test]
    fn without_the_trees_an_untagged_image_is_not_checked_rather_than_an_orphan() {
        let (images, _) = buildkit_push();
        // The index's tree could not be read: nothing says what its children are.
        let (mut rows, graph) = join(images, &[]);
        mark_unchecked(&mut rows, &["v1".to_string()]);
        for digest in ["sha256:amd", "sha256:att", "sha256:old"] {
            let r = row(&rows, digest);
            assert!(!r.is_orphan(), "{digest}");
            let label = describe(r, &graph);
            assert_eq!(
                label, "not checked: the tree of v1 could not be read",
                "{digest}"
            );
        }
        assert_eq!(
            row(&rows, "sha256:idx").unchecked,
            None,
            "a tagged image is not touched"
        );
    }

    #[test]
    fn a_deleted_child_is_a_missing_row() {
        let (mut images, mut tree) = buildkit_push();
        images.retain(|i| i.digest != "sha256:amd");
        tree.children[0].kind = Kind::Missing;
        let (rows, graph) = join(images, &[tree]);
        let gone = row(&rows, "sha256:amd");
        assert!(gone.missing && !gone.is_orphan());
        assert!(describe(gone, &graph).starts_with("MISSING"));
    }

    #[test]
    fn referrers_name_their_subject_and_the_subject_its_referrers() {
        let mut sig = image("sha256:sig", &[], mt::OCI_MANIFEST);
        sig.subject = Some("sha256:img".into());
        sig.artifact_media_type = Some("application/vnd.dev.cosign.artifact.sig.v1+json".into());
        let (rows, graph) = join(
            vec![image("sha256:img", &["v2"], mt::OCI_MANIFEST), sig],
            &[],
        );
        assert_eq!(rows[0].referrers, vec!["sha256:sig".to_string()]);
        assert_eq!(describe(&rows[1], &graph), "signature of v2");
        assert_eq!(rows[1].kind, ImageKind::Artifact);
        assert!(!rows[1].is_orphan());
    }

    #[test]
    fn nested_indexes_and_cycles_stay_bounded() {
        // idx -> inner (untagged index) -> amd; inner also names idx (a cycle in data).
        let inner = node(
            Kind::Index,
            "sha256:inner",
            None,
            vec![
                node(Kind::Manifest, "sha256:amd", Some("linux/amd64"), vec![]),
                node(Kind::Index, "sha256:idx", None, vec![]),
            ],
        );
        let tree = node(Kind::Index, "sha256:idx", None, vec![inner]);
        let images = vec![
            image("sha256:idx", &["v1"], mt::OCI_INDEX),
            image("sha256:inner", &[], mt::OCI_INDEX),
            image("sha256:amd", &[], mt::OCI_MANIFEST),
        ];
        let (rows, _) = join(images, &[tree]);
        assert_eq!(row(&rows, "sha256:amd").breaks, vec!["v1".to_string()]);
        assert_eq!(row(&rows, "sha256:inner").breaks, vec!["v1".to_string()]);
    }
}

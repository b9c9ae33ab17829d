//! The lifecycle dry run: which images the repository's lifecycle policy would expire (or
//! archive) on its next run, and what that breaks: tags whose index loses a child, referrers
//! (signatures, SBOMs) whose subject goes. Nothing in the AWS console or CLI shows the second
//! part; `GetLifecyclePolicyPreview` needs a `StartLifecyclePolicyPreview` first, which regscope
//! (read-only) never sends.

use chrono::{DateTime, Utc};

use super::images::{Graph, Row};
use super::lifecycle::{self, Action, Policy, PolicyError};

/// One image the next run would act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub digest: String,
    pub tags: Vec<String>,
    pub rule_priority: u32,
    pub action: Action,
    pub reason: String,
    /// Tags whose index would name a child that is gone (the index itself stays).
    pub breaks: Vec<String>,
    /// Referrers that would lose their subject (they stay).
    pub orphans: Vec<String>,
}

/// The whole dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRun {
    /// Each rule in plain words, by priority.
    pub rules: Vec<String>,
    pub planned: Vec<Planned>,
}

/// Evaluates `policy_text` against the rows (missing rows are not images any more) at `now`.
///
/// Children of an index are evaluated like any untagged image: the issue that brought this
/// feature is exactly lifecycle rules removing platform images of a tag that stays.
pub fn dry_run(
    policy_text: &str,
    rows: &[Row],
    graph: &Graph,
    now: DateTime<Utc>,
) -> Result<DryRun, PolicyError> {
    let policy = Policy::parse(policy_text)?;
    let images: Vec<lifecycle::Image> = rows
        .iter()
        .filter(|r| !r.missing)
        .map(|r| lifecycle::Image {
            digest: r.image.digest.clone(),
            tags: r.image.tags.clone(),
            pushed_at: r.image.pushed_at,
            last_pulled_at: r.image.last_pulled_at,
            last_transitioned_at: r.image.archived_at,
            archived: r.image.status.as_deref() == Some("ARCHIVED"),
            ..lifecycle::Image::default()
        })
        .collect();
    let decisions = lifecycle::evaluate(&policy, &images, now);
    let going: std::collections::HashSet<&str> = decisions
        .iter()
        .filter(|d| d.action == Action::Expire)
        .map(|d| d.digest.as_str())
        .collect();
    let planned = decisions
        .iter()
        .map(|d| {
            let row = rows.iter().find(|r| r.image.digest == d.digest);
            let expires = d.action == Action::Expire;
            // Only tags that survive the run break: an index expired too takes its tags along.
            let breaks = if expires {
                graph
                    .parents
                    .get(&d.digest)
                    .into_iter()
                    .flatten()
                    .filter(|p| !going.contains(p.as_str()))
                    .flat_map(|p| graph.tags_of(p))
                    .collect()
            } else {
                Vec::new()
            };
            let orphans = if expires {
                graph
                    .referrers
                    .get(&d.digest)
                    .into_iter()
                    .flatten()
                    .filter(|r| !going.contains(r.as_str()))
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            Planned {
                digest: d.digest.clone(),
                tags: row.map(|r| r.image.tags.clone()).unwrap_or_default(),
                rule_priority: d.rule_priority,
                action: d.action.clone(),
                reason: d.reason.clone(),
                breaks,
                orphans,
            }
        })
        .collect();
    Ok(DryRun {
        rules: policy
            .rules
            .iter()
            .map(|r| format!("rule {}: {}", r.priority, r.describe()))
            .collect(),
        planned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecr::images::join;
    use crate::ecr::EcrImage;
    use crate::model::{media_type as mt, Descriptor, Kind, Node, Platform};
    use std::collections::BTreeMap;

    fn node(kind: Kind, digest: &str, platform: Option<&str>) -> Node {
        Node::from_descriptor(
            kind,
            &Descriptor {
                media_type: mt::OCI_MANIFEST.into(),
                digest: digest.into(),
                size: 1,
                platform: platform.map(|p| Platform::parse(p).expect("platform")),
                annotations: BTreeMap::new(),
                artifact_type: None,
                urls: Vec::new(),
            },
        )
    }

    #[test]
    fn expiring_an_untagged_child_breaks_the_tag_of_its_index() {
        let now = Utc::now();
        let old = now - chrono::Duration::days(40);
        let mut index = node(Kind::Index, "sha256:idx", None);
        index.children = vec![node(Kind::Manifest, "sha256:arm", Some("linux/arm64"))];
        let images = vec![
            EcrImage {
                digest: "sha256:idx".into(),
                tags: vec!["v1".into()],
                pushed_at: Some(old),
                manifest_media_type: Some(mt::OCI_INDEX.into()),
                ..EcrImage::default()
            },
            EcrImage {
                digest: "sha256:arm".into(),
                pushed_at: Some(old),
                manifest_media_type: Some(mt::OCI_MANIFEST.into()),
                ..EcrImage::default()
            },
            EcrImage {
                digest: "sha256:sig".into(),
                pushed_at: Some(now),
                subject: Some("sha256:arm".into()),
                manifest_media_type: Some(mt::OCI_MANIFEST.into()),
                ..EcrImage::default()
            },
        ];
        let (rows, graph) = join(images, &[index]);
        let policy = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;
        let run = dry_run(policy, &rows, &graph, now).expect("valid policy");
        assert_eq!(run.rules.len(), 1);
        assert_eq!(run.planned.len(), 1, "{run:?}");
        let p = &run.planned[0];
        assert_eq!(p.digest, "sha256:arm");
        assert_eq!(p.breaks, vec!["v1".to_string()]);
        assert_eq!(p.orphans, vec!["sha256:sig".to_string()]);
    }

    #[test]
    fn a_bad_policy_is_an_error_not_a_plan() {
        let (rows, graph) = join(Vec::new(), &[]);
        assert!(dry_run("{", &rows, &graph, Utc::now()).is_err());
    }
}

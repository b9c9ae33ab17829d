//! Placing a digest (from a log, an alert, a deploy record): which tags point at it, which
//! indexes hold it and for which platform, and which attachment tags name it. From a tag list
//! already fetched, each tag resolved to its root manifest once.

use futures::future::join_all;

use crate::attachments::discover::schema_tag_subject;
use crate::model::{Manifest, Node};
use crate::reference::ImageRef;
use crate::registry::Fetcher;
use crate::sanitize::sanitize;

/// Tags resolved at most for one lookup.
pub const MAX_TAGS: usize = 2_000;

/// Where a digest is in a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub digest: String,
    /// Tags whose manifest is this digest.
    pub tags: Vec<String>,
    /// `(tag, index digest, platform)`: tags of indexes holding it.
    pub in_indexes: Vec<(String, String, Option<String>)>,
    /// `sha256-<hex>` tags (and cosign's `.sig`/`.att`/`.sbom`) about it.
    pub attachment_tags: Vec<String>,
    /// Tags not looked at (unresolved, failed, past the bound), and why.
    pub notes: Vec<String>,
}

impl Placement {
    /// Nothing points at it.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.in_indexes.is_empty() && self.attachment_tags.is_empty()
    }

    /// `tagged v1, latest; in the index of v2 (linux/amd64); attachment tags sha256-….sig`.
    #[must_use]
    pub fn one_line(&self) -> String {
        let mut parts = Vec::new();
        if !self.tags.is_empty() {
            parts.push(format!("tagged {}", sanitize(&self.tags.join(", "))));
        }
        if !self.in_indexes.is_empty() {
            let list: Vec<String> = self
                .in_indexes
                .iter()
                .map(|(tag, _, platform)| match platform {
                    Some(p) => format!("{} ({})", sanitize(tag), sanitize(p)),
                    None => sanitize(tag).into_owned(),
                })
                .collect();
            parts.push(format!("in the index of {}", list.join(", ")));
        }
        if !self.attachment_tags.is_empty() {
            parts.push(format!(
                "attachment tags {}",
                sanitize(&self.attachment_tags.join(", "))
            ));
        }
        if parts.is_empty() {
            parts.push("no tag points at it".into());
        }
        parts.join("; ")
    }

    /// Adds what one tag resolved to: its root digest and, for an index, its entries.
    pub fn add(&mut self, tag: &str, root: &str, entries: &[(String, Option<String>)]) {
        if root == self.digest {
            self.tags.push(tag.to_string());
        }
        for (digest, platform) in entries {
            if *digest == self.digest {
                self.in_indexes
                    .push((tag.to_string(), root.to_string(), platform.clone()));
            }
        }
    }

    /// Adds what a resolved tree says (the TUI's tag rows carry their trees).
    pub fn add_tree(&mut self, tag: &str, root: &Node) {
        let entries: Vec<(String, Option<String>)> = root
            .children
            .iter()
            .map(|c| {
                (
                    c.digest.clone(),
                    c.platform.as_ref().map(ToString::to_string),
                )
            })
            .collect();
        self.add(tag, &root.digest, &entries);
    }

    /// The attachment tags of the list that name this digest.
    pub fn add_attachment_tags<'a>(&mut self, tags: impl IntoIterator<Item = &'a String>) {
        for tag in tags {
            if schema_tag_subject(tag).is_some_and(|d| d.to_string() == self.digest) {
                self.attachment_tags.push(tag.clone());
            }
        }
    }
}

/// Places `digest` among the tags of the repository `reference` names: lists the tags once,
/// resolves each (concurrently; the fetcher bounds requests in flight) to its root manifest.
pub async fn place(fetcher: &Fetcher, reference: &ImageRef, digest: &str) -> Placement {
    let mut out = Placement {
        digest: digest.to_string(),
        ..Placement::default()
    };
    let repo = match reference {
        ImageRef::Registry(r) => r.repository.clone(),
        ImageRef::Layout(_) => String::new(),
    };
    let listing = match fetcher.tag_listing(&repo).await {
        Ok(l) => l,
        Err(e) => {
            out.notes.push(format!(
                "the tag list could not be read: {}",
                sanitize(&e.to_string())
            ));
            return out;
        }
    };
    if let Some(why) = &listing.truncated {
        out.notes
            .push(format!("the tag list was {}", sanitize(why)));
    }
    out.add_attachment_tags(&listing.tags);
    let mut tags: Vec<&String> = listing
        .tags
        .iter()
        .filter(|t| schema_tag_subject(t).is_none())
        .collect();
    if tags.len() > MAX_TAGS {
        out.notes.push(format!(
            "{} tags; the first {MAX_TAGS} were resolved",
            tags.len()
        ));
        tags.truncate(MAX_TAGS);
    }
    let resolved = join_all(tags.iter().map(|tag| {
        let r = reference.with_tag(tag);
        async move { (*tag, fetcher.root(&r).await) }
    }))
    .await;
    let mut failed = 0;
    for (tag, fetched) in resolved {
        let Ok(fetched) = fetched else {
            failed += 1;
            continue;
        };
        let entries = match Manifest::parse(&fetched.bytes, fetched.content_type.as_deref()) {
            Ok(Manifest::Index(index)) => index
                .manifests
                .into_iter()
                .map(|d| (d.digest, d.platform.map(|p| p.to_string())))
                .collect(),
            _ => Vec::new(),
        };
        out.add(tag, &fetched.digest.to_string(), &entries);
    }
    if failed > 0 {
        out.notes
            .push(format!("{failed} tags could not be resolved"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_placed_by_tag_index_and_attachment_tag() {
        let d = format!("sha256:{}", "a".repeat(64));
        let mut p = Placement {
            digest: d.clone(),
            ..Placement::default()
        };
        p.add("v1", &d, &[]);
        p.add(
            "v2",
            "sha256:index",
            &[
                (d.clone(), Some("linux/amd64".into())),
                ("sha256:other".into(), None),
            ],
        );
        p.add("v3", "sha256:else", &[]);
        p.add_attachment_tags(&[format!("sha256-{}.sig", "a".repeat(64)), "v1".into()]);
        assert_eq!(
            p.one_line(),
            format!(
                "tagged v1; in the index of v2 (linux/amd64); attachment tags sha256-{}.sig",
                "a".repeat(64)
            )
        );
    }
}

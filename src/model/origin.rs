//! Where an attachment node was found (the index, the referrers API, a tag): part of the tree,
//! so it lives with the tree; `attachments` finds them and fills it in.

use serde::Serialize;

use crate::sanitize::sanitize;

/// Where an attachment was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A `BuildKit` attestation manifest, an entry of the index itself.
    Index,
    /// The OCI 1.1 referrers API (`/v2/<repo>/referrers/<digest>`).
    ReferrersApi,
    /// The referrers tag schema: an index tagged `sha256-<hex>`.
    ReferrersTag,
    /// cosign's older tags: `sha256-<hex>.sig`, `.att`, `.sbom`.
    CosignTag,
}

impl Source {
    /// The stable name the JSON output uses.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Index => "index",
            Source::ReferrersApi => "referrers-api",
            Source::ReferrersTag => "referrers-tag",
            Source::CosignTag => "cosign-tag",
        }
    }

    /// Words for a person.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Source::Index => "the index",
            Source::ReferrersApi => "the referrers API",
            Source::ReferrersTag => "the referrers tag",
            Source::CosignTag => "a cosign tag",
        }
    }
}

/// How a referrer node was found: every place that listed it, and the tags it came through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub sources: Vec<Source>,
    pub tags: Vec<String>,
}

impl Origin {
    /// Records one more place that listed it (each once).
    pub fn add(&mut self, source: Source, tag: Option<&str>) {
        if !self.sources.contains(&source) {
            self.sources.push(source);
            self.sources.sort();
        }
        if let Some(tag) = tag {
            if !self.tags.iter().any(|t| t == tag) {
                self.tags.push(tag.to_string());
            }
        }
    }

    /// `a cosign tag sha256-….sig`, `the referrers API + the referrers tag`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut out = self
            .sources
            .iter()
            .map(|s| s.describe())
            .collect::<Vec<_>>()
            .join(" + ");
        for tag in &self.tags {
            out.push(' ');
            out.push_str(&sanitize(tag));
        }
        out
    }
}

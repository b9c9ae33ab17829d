//! Fetching what `diff` compares: both sides at once, each through its own connection (its own
//! registry and credentials), with every attachment looked up; and the tags of a promotion.

use futures::stream::{self, StreamExt as _};

use super::map::{glob_matches, Promotion, MAX_TAGS_PER_LINE};
use super::{compare_judged, CompareOptions, Comparison, Verdict};
use crate::attachments::discover::schema_tag_subject;
use crate::connect::{ConnectError, Connector, Location};
use crate::inspect::{inspect, InspectOptions, Inspection};
use crate::reference::ImageRef;
use crate::registry::FetchError;
use crate::sanitize::sanitize;

/// Tags of one promotion line compared at once (each is two trees and their attachments).
pub const TAGS_IN_FLIGHT: usize = 4;

/// One side could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error("{reference}: {source}")]
pub struct SideError {
    pub reference: String,
    #[source]
    pub source: ConnectError,
}

impl SideError {
    /// The registry does not have it (a tag that was not promoted).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self.source.cause(), Some(FetchError::NotFound { .. }))
    }
}

/// Fetches one side: its tree and every attachment.
pub async fn fetch_side(
    connector: &Connector,
    reference: &ImageRef,
) -> Result<Inspection, SideError> {
    let err = |source: ConnectError| SideError {
        reference: sanitize(&reference.to_string()).into_owned(),
        source,
    };
    let connection = connector.connect_to(reference).await.map_err(err)?;
    inspect(
        &connection.fetcher,
        reference,
        &InspectOptions { attachments: true },
    )
    .await
    .map_err(|e| err(connection.error(e)))
}

/// Fetches both sides concurrently and compares them (environment values hidden).
pub async fn compare_references(
    connector: &Connector,
    left: &ImageRef,
    right: &ImageRef,
) -> Result<(Comparison, Inspection, Inspection), SideError> {
    Box::pin(compare_references_with(
        connector,
        left,
        right,
        CompareOptions::default(),
    ))
    .await
}

/// Fetches both sides concurrently and compares them, showing what `options` allows.
pub async fn compare_references_with(
    connector: &Connector,
    left: &ImageRef,
    right: &ImageRef,
    options: CompareOptions,
) -> Result<(Comparison, Inspection, Inspection), SideError> {
    let (l, r) = futures::join!(fetch_side(connector, left), fetch_side(connector, right));
    let (l, r) = (l?, r?);
    // The trees hold the signatures' bytes: judging them by policy costs no request.
    let policies = super::signing::judge(connector.config(), (left, &l), (right, &r));
    Ok((compare_judged(&l, &r, options, policies.as_ref()), l, r))
}

/// How one tag of a promotion came out.
#[derive(Debug)]
pub enum TagOutcome {
    Identical,
    /// What drifted, in a few words each.
    Drifted(Vec<String>),
    /// The target does not have the tag.
    NotPromoted,
    /// One side could not be fetched.
    Failed(String),
    /// Nothing read differs, but these could not be read (`linux/arm64 (both sides): …`):
    /// not known to be identical, so not passed.
    Incomplete(Vec<String>),
}

impl TagOutcome {
    #[must_use]
    pub fn is_drift(&self) -> bool {
        !matches!(self, TagOutcome::Identical)
    }

    /// `identical`, `drifted`, `missing`, `failed`, `incomplete`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            TagOutcome::Identical => "identical",
            TagOutcome::Drifted(_) => "drifted",
            TagOutcome::NotPromoted => "missing",
            TagOutcome::Failed(_) => "failed",
            TagOutcome::Incomplete(_) => "incomplete",
        }
    }

    /// The tag was not fully compared (it did not drift as far as could be read).
    #[must_use]
    pub fn is_incomplete(&self) -> bool {
        matches!(self, TagOutcome::Incomplete(_))
    }

    /// How one comparison came out, as a tag of a promotion.
    #[must_use]
    pub fn of(c: &Comparison) -> Self {
        match c.verdict() {
            Verdict::Identical => TagOutcome::Identical,
            Verdict::Different => TagOutcome::Drifted(c.drift()),
            Verdict::Incomplete => TagOutcome::Incomplete(
                c.incomplete
                    .iter()
                    .map(|u| {
                        format!(
                            "{} could not be compared ({}): {}",
                            u.what,
                            u.side.words(),
                            u.why
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// One line of the map, checked.
#[derive(Debug)]
pub struct LineReport {
    pub promotion: Promotion,
    /// Tags in name order, each with its outcome.
    pub tags: Vec<(String, TagOutcome)>,
    /// Why the line was not (or not wholly) checked.
    pub notes: Vec<String>,
}

impl LineReport {
    /// Whether the line fails the promotion check: a tag drifted, is missing, could not be
    /// fetched or fully compared, or the line checked no tag at all.
    #[must_use]
    pub fn drifted(&self) -> bool {
        self.tags.iter().any(|(_, o)| o.is_drift()) || self.tags.is_empty()
    }
}

/// Checks one promotion: every matching tag of the source compared with the target's.
pub async fn check_promotion(connector: &Connector, promotion: Promotion) -> LineReport {
    let mut report = LineReport {
        promotion,
        tags: Vec::new(),
        notes: Vec::new(),
    };
    let (Ok(ImageRef::Registry(source)), Ok(ImageRef::Registry(target))) = (
        ImageRef::parse(&report.promotion.source),
        ImageRef::parse(&report.promotion.target),
    ) else {
        report
            .notes
            .push("not a pair of registry repositories".into());
        return report;
    };
    let listing = match connector
        .connect(&Location::Registry(source.registry.clone()))
        .await
    {
        Ok(c) => c
            .fetcher
            .tag_listing(&source.repository)
            .await
            .map_err(|e| c.error(e).to_string()),
        Err(e) => Err(e.to_string()),
    };
    let listing = match listing {
        Ok(l) => l,
        Err(e) => {
            report.notes.push(format!(
                "the tags of {} could not be listed: {}",
                sanitize(&report.promotion.source),
                sanitize(&e)
            ));
            return report;
        }
    };
    if let Some(why) = &listing.truncated {
        report
            .notes
            .push(format!("the tag list was {}", sanitize(why)));
    }
    let glob = report.promotion.glob.clone();
    let mut tags: Vec<String> = listing
        .tags
        .into_iter()
        // Attachment tags travel with their image; they are compared as its attachments.
        .filter(|t| schema_tag_subject(t).is_none())
        .filter(|t| glob.as_deref().is_none_or(|g| glob_matches(g, t)))
        .collect();
    tags.sort();
    if tags.len() > MAX_TAGS_PER_LINE {
        report.notes.push(format!(
            "{} tags match; the first {MAX_TAGS_PER_LINE} were compared",
            tags.len()
        ));
        tags.truncate(MAX_TAGS_PER_LINE);
    }
    if tags.is_empty() {
        report.notes.push("no tag of the source matches".into());
    }
    let with_tag = |r: &crate::reference::RegistryRef, tag: &str| {
        ImageRef::Registry(crate::reference::RegistryRef {
            tag: Some(tag.to_string()),
            digest: None,
            ..r.clone()
        })
    };
    let mut outcomes: Vec<(String, TagOutcome)> = stream::iter(tags)
        .map(|tag| {
            let (l, r) = (with_tag(&source, &tag), with_tag(&target, &tag));
            async move {
                let outcome = match Box::pin(compare_references(connector, &l, &r)).await {
                    Ok((c, _, _)) => TagOutcome::of(&c),
                    Err(e) if e.is_not_found() && e.reference == r.to_string() => {
                        TagOutcome::NotPromoted
                    }
                    Err(e) => TagOutcome::Failed(e.to_string()),
                };
                (tag, outcome)
            }
        })
        .buffer_unordered(TAGS_IN_FLIGHT)
        .collect()
        .await;
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    report.tags = outcomes;
    report
}

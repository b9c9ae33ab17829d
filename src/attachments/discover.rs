//! Finding the referrers of a tree's manifests in every place they may be: the referrers API for
//! every subject and the tag list, all at once (the tag list is asked for with the tree's root,
//! when the caller can); then the `sha256-<hex>` and cosign tags the list names (no per-suffix
//! probing when the list is readable; bounded GET probes when it is not).

use std::collections::{HashMap, HashSet};

use futures::future::join_all;

use super::{Origin, Source};
use crate::digest::Digest;
use crate::model::manifest::Manifest;
use crate::model::Descriptor;
use crate::reference::ImageRef;
use crate::registry::{Content, FetchError, FetchedManifest, Fetcher, TagListing};
use crate::sanitize::sanitize;

/// Attachments kept at most per subject (a hostile registry may list millions).
pub const MAX_PER_SUBJECT: usize = 64;
/// Subjects looked up at most per tree (real trees have a handful of manifests).
pub const MAX_SUBJECTS: usize = 128;
/// Tags probed at most when the tag list cannot be read.
pub const MAX_TAG_PROBES: usize = 32;
/// `sha256-<hex>` tags of other subjects checked at most for `attachment-orphaned`.
pub const MAX_ORPHAN_PROBES: usize = 32;

/// cosign's older tag suffixes.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// A `sha256-<hex>` tag whose subject the registry no longer has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub tag: String,
    /// `sha256:<hex>`.
    pub subject: String,
}

/// What the lookup found: referrers per subject digest (in the order found), orphaned tags,
/// and notes on what could not be looked at.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub by_subject: HashMap<String, Vec<(Descriptor, Origin)>>,
    pub orphaned: Vec<Orphan>,
    pub notes: Vec<String>,
}

impl Found {
    fn add(&mut self, subject: &str, desc: Descriptor, source: Source, tag: Option<&str>) {
        let list = self.by_subject.entry(subject.to_string()).or_default();
        if let Some((_, origin)) = list.iter_mut().find(|(d, _)| d.digest == desc.digest) {
            origin.add(source, tag);
            return;
        }
        if list.len() >= MAX_PER_SUBJECT {
            let note = format!(
                "more than {MAX_PER_SUBJECT} attachments of {subject}; the rest are not shown"
            );
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
            return;
        }
        let mut origin = Origin::default();
        origin.add(source, tag);
        list.push((desc, origin));
    }
}

/// How the one note about other manifests' attachment tags ends: it says nothing about the
/// attachments of the tree looked at (see [`is_orphan_note`]).
const ORPHAN_NOTE_END: &str = "were checked for orphans";

/// Whether a lookup note is about orphaned tags of other manifests, not about the attachments
/// of the tree: `diff` counts every other note as attachments it could not all compare.
#[must_use]
pub fn is_orphan_note(note: &str) -> bool {
    note.ends_with(ORPHAN_NOTE_END)
}

/// The referrers API's answer for one subject.
type ApiAnswer = Result<Option<Vec<Descriptor>>, FetchError>;

/// What one tag of the tag schema is: the fallback index, or a cosign signature/attestation/SBOM.
#[derive(Clone, Copy)]
enum TagKind {
    Fallback,
    Cosign,
}

/// The repository's tag list, as the lookup reads it for the tag schema.
pub type Listing = Result<TagListing, FetchError>;

/// Looks up the referrers of `subjects` (digests of the tree shown for `reference`). `listing`
/// is the repository's tag list when the caller asked for it already (with the root, so that
/// it costs no round trip of its own); `None` asks for it with the referrers API. With
/// `orphans`, `sha256-<hex>` tags of other subjects are checked for `attachment-orphaned`.
/// Gives back the tag list for a later lookup in the same repository.
pub async fn find(
    fetcher: &Fetcher,
    reference: &ImageRef,
    subjects: &[Digest],
    listing: Option<Listing>,
    orphans: bool,
) -> (Found, Listing) {
    let mut found = Found::default();
    let repo = match reference {
        ImageRef::Registry(r) => r.repository.clone(),
        ImageRef::Layout(_) => String::new(),
    };
    let mut subjects: Vec<&Digest> = subjects.iter().collect();
    if subjects.len() > MAX_SUBJECTS {
        found.notes.push(format!(
            "attachments were looked up for the first {MAX_SUBJECTS} of {} manifests",
            subjects.len()
        ));
        subjects.truncate(MAX_SUBJECTS);
    }
    // The API for every subject, and (beside it, not after it) the tags the tag list names.
    let api = join_all(
        subjects
            .iter()
            .map(|d| async { (*d, fetcher.referrers_api(&repo, d).await) }),
    );
    let tags = from_tags(fetcher, reference, &repo, &subjects, listing, orphans);
    let (api, (tagged, listing)) = futures::join!(api, tags);
    found.add_api_answers(api);
    for (subject, tag, kind, fetched) in tagged.resolved {
        match fetched {
            Ok(fetched) => found.add_tag(&subject.to_string(), &tag, kind, &fetched),
            // A probed tag that is not there is no attachment; one that could not be read
            // may be one, and a silent skip would read as "none".
            Err(FetchError::NotFound { .. }) => {}
            Err(e) => found.notes.push(format!(
                "tag {} could not be read: {}",
                sanitize(&tag),
                sanitize(&e.to_string())
            )),
        }
    }
    found.orphaned = tagged.orphaned;
    found.notes.extend(tagged.notes);
    (found, listing)
}

/// What the tag schema gave: each tag resolved for its subject, orphaned tags, notes.
#[derive(Default)]
struct Tagged {
    resolved: Vec<Resolved>,
    orphaned: Vec<Orphan>,
    notes: Vec<String>,
}

/// The tag schema's part of the lookup: the tag list (given, or asked for now), then the tags
/// it names for `subjects` and, with `orphans`, whether the subjects of other schema tags
/// still exist, all at once.
async fn from_tags(
    fetcher: &Fetcher,
    reference: &ImageRef,
    repo: &str,
    subjects: &[&Digest],
    listing: Option<Listing>,
    orphans: bool,
) -> (Tagged, Listing) {
    let mut out = Tagged::default();
    // Asking for the list now costs a round trip before the tags it names: the schema tags the
    // list named last time (the disk cache remembers it) are resolved beside it, and kept only
    // if the fresh list still names them.
    let (listing, early) = if let Some(listing) = listing {
        (listing, Vec::new())
    } else {
        let remembered = fetcher
            .remembered_tags(repo)
            .map(|l| l.names.into_iter().collect::<HashSet<String>>())
            .unwrap_or_default();
        let guessed: Vec<(&Digest, String, TagKind)> = subjects
            .iter()
            .flat_map(|s| schema_tags(s).into_iter().map(move |(t, k)| (*s, t, k)))
            .filter(|(_, tag, _)| remembered.contains(tag))
            .take(MAX_TAG_PROBES)
            .collect();
        futures::join!(
            fetcher.tag_listing(repo),
            resolve_tags(fetcher, reference, guessed)
        )
    };
    // Which tags to resolve: those the list names, else a bounded set of probes.
    let mut wanted: Vec<(&Digest, String, TagKind)> = Vec::new();
    let mut orphan_candidates: Vec<(Digest, Vec<String>)> = Vec::new();
    match &listing {
        Ok(listing) => {
            let tags: HashSet<&str> = listing.tags.iter().map(String::as_str).collect();
            for subject in subjects {
                for (tag, kind) in schema_tags(subject) {
                    if tags.contains(tag.as_str()) {
                        wanted.push((subject, tag, kind));
                    }
                }
            }
            if orphans {
                let known: HashSet<String> = subjects.iter().map(ToString::to_string).collect();
                orphan_candidates = schema_tag_subjects(&listing.tags, &known);
            }
        }
        Err(e) => {
            let all: Vec<(&Digest, String, TagKind)> = subjects
                .iter()
                .flat_map(|s| schema_tags(s).into_iter().map(move |(t, k)| (*s, t, k)))
                .collect();
            out.notes.push(format!(
                "the tag list could not be read ({}); {} of {} attachment tags were probed",
                sanitize(&e.to_string()),
                all.len().min(MAX_TAG_PROBES),
                all.len()
            ));
            wanted = all.into_iter().take(MAX_TAG_PROBES).collect();
        }
    }
    if orphan_candidates.len() > MAX_ORPHAN_PROBES {
        out.notes.push(format!(
            "{} attachment tags name other manifests; the first {MAX_ORPHAN_PROBES} {ORPHAN_NOTE_END}",
            orphan_candidates.len()
        ));
        orphan_candidates.truncate(MAX_ORPHAN_PROBES);
    }
    // What was resolved early counts only for tags wanted now, and is not asked for again.
    let wanted_tags: HashSet<String> = wanted.iter().map(|(_, t, _)| t.clone()).collect();
    let early: Vec<_> = early
        .into_iter()
        .filter(|(_, tag, _, _)| wanted_tags.contains(tag))
        .collect();
    wanted.retain(|(_, tag, _)| !early.iter().any(|(_, t, _, _)| t == tag));
    let resolved = resolve_tags(fetcher, reference, wanted);
    let gone = join_all(
        orphan_candidates
            .into_iter()
            .map(|(digest, tags)| async move {
                let exists = fetcher.exists(repo, &digest, Content::Manifest).await;
                (digest, tags, exists)
            }),
    );
    let (resolved, gone) = futures::join!(resolved, gone);
    out.resolved = early;
    out.resolved.extend(resolved);
    for (digest, tags, exists) in gone {
        if matches!(exists, Ok(false)) {
            for tag in tags {
                out.orphaned.push(Orphan {
                    tag,
                    subject: digest.to_string(),
                });
            }
        }
    }
    (out, listing)
}

/// One tag of the tag schema resolved for its subject.
type Resolved = (Digest, String, TagKind, Result<FetchedManifest, FetchError>);

/// Resolves `wanted` tags, all at once (the fetcher bounds how many are in flight).
async fn resolve_tags(
    fetcher: &Fetcher,
    reference: &ImageRef,
    wanted: Vec<(&Digest, String, TagKind)>,
) -> Vec<Resolved> {
    join_all(wanted.into_iter().map(|(subject, tag, kind)| {
        let r = reference.with_tag(&tag);
        async move {
            let fetched = fetcher.root(&r).await;
            (subject.clone(), tag, kind, fetched)
        }
    }))
    .await
}

impl Found {
    /// The referrers API's answers: lists, "no API here" (nothing to add) or failures (one
    /// note for all).
    fn add_api_answers(&mut self, api: Vec<(&Digest, ApiAnswer)>) {
        let mut failed = None;
        for (subject, answer) in api {
            match answer {
                Ok(Some(list)) => {
                    for desc in list {
                        self.add(&subject.to_string(), desc, Source::ReferrersApi, None);
                    }
                }
                Ok(None) => {}
                Err(e) => failed = Some(e.to_string()),
            }
        }
        if let Some(e) = failed {
            self.notes
                .push(format!("the referrers API failed: {}", sanitize(&e)));
        }
    }

    /// What one resolved tag adds: the entries of a fallback index, or a cosign manifest.
    fn add_tag(&mut self, subject: &str, tag: &str, kind: TagKind, fetched: &FetchedManifest) {
        let parsed = Manifest::parse(&fetched.bytes, fetched.content_type.as_deref());
        match (kind, parsed) {
            (TagKind::Fallback, Ok(Manifest::Index(index))) => {
                for desc in index.manifests {
                    self.add(subject, desc, Source::ReferrersTag, Some(tag));
                }
            }
            (TagKind::Fallback, _) => self.notes.push(format!(
                "tag {} is not an index of referrers; it was skipped",
                sanitize(tag)
            )),
            (TagKind::Cosign, parsed) => {
                let (media_type, artifact_type) = match &parsed {
                    // cosign's manifests have no artifactType; their layer's type says
                    // more than the config's (`…cosign.simplesigning.v1+json`).
                    Ok(Manifest::Image(m)) => (
                        m.media_type.clone(),
                        m.artifact_type
                            .clone()
                            .or_else(|| m.all_layers().first().map(|l| l.media_type.clone())),
                    ),
                    Ok(m) => (m.media_type().to_string(), None),
                    Err(_) => (fetched.content_type.clone().unwrap_or_default(), None),
                };
                let desc = Descriptor {
                    media_type,
                    digest: fetched.digest.to_string(),
                    size: i64::try_from(fetched.bytes.len()).unwrap_or(i64::MAX),
                    platform: None,
                    annotations: std::collections::BTreeMap::default(),
                    artifact_type,
                    urls: Vec::new(),
                };
                self.add(subject, desc, Source::CosignTag, Some(tag));
            }
        }
    }
}

/// The tags the tag schema and cosign use for `subject`.
fn schema_tags(subject: &Digest) -> Vec<(String, TagKind)> {
    let base = subject.referrers_tag();
    let mut out = vec![(base.clone(), TagKind::Fallback)];
    out.extend(
        COSIGN_SUFFIXES
            .iter()
            .map(|s| (format!("{base}.{s}"), TagKind::Cosign)),
    );
    out
}

/// The subject a tag of the schema names: `sha256-<hex>` and `sha256-<hex>.sig|att|sbom`.
#[must_use]
pub fn schema_tag_subject(tag: &str) -> Option<Digest> {
    let rest = tag.strip_prefix("sha256-")?;
    let hex = match rest.split_once('.') {
        Some((hex, suffix)) if COSIGN_SUFFIXES.contains(&suffix) => hex,
        Some(_) => return None,
        None => rest,
    };
    Digest::parse(&format!("sha256:{hex}")).ok()
}

/// Subjects named by schema tags that are not in `known`, each with its tags, in list order.
fn schema_tag_subjects(tags: &[String], known: &HashSet<String>) -> Vec<(Digest, Vec<String>)> {
    let mut out: Vec<(Digest, Vec<String>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for tag in tags {
        let Some(subject) = schema_tag_subject(tag) else {
            continue;
        };
        let key = subject.to_string();
        if known.contains(&key) {
            continue;
        }
        if let Some(&i) = at.get(&key) {
            out[i].1.push(tag.clone());
        } else {
            at.insert(key, out.len());
            out.push((subject, vec![tag.clone()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_tags_name_their_subject_and_nothing_else_does() {
        let hex = "a".repeat(64);
        let subject = format!("sha256:{hex}");
        for tag in [
            format!("sha256-{hex}"),
            format!("sha256-{hex}.sig"),
            format!("sha256-{hex}.att"),
            format!("sha256-{hex}.sbom"),
        ] {
            assert_eq!(
                schema_tag_subject(&tag).map(|d| d.to_string()),
                Some(subject.clone()),
                "{tag}"
            );
        }
        for tag in [
            "latest".to_string(),
            format!("sha256-{hex}.exe"),
            "sha256-abc".to_string(),
            format!("sha512-{hex}"),
        ] {
            assert_eq!(schema_tag_subject(&tag), None, "{tag}");
        }
    }

    #[test]
    fn attachments_per_subject_are_bounded_and_a_repeat_adds_its_source() {
        let mut found = Found::default();
        let desc = |i: usize| Descriptor {
            media_type: crate::model::media_type::OCI_MANIFEST.into(),
            digest: format!("sha256:{i:064x}"),
            size: 1,
            platform: None,
            annotations: std::collections::BTreeMap::default(),
            artifact_type: None,
            urls: Vec::new(),
        };
        for i in 0..MAX_PER_SUBJECT + 10 {
            found.add("s", desc(i), Source::ReferrersApi, None);
        }
        found.add("s", desc(0), Source::ReferrersTag, Some("sha256-x"));
        let list = &found.by_subject["s"];
        assert_eq!(list.len(), MAX_PER_SUBJECT);
        assert_eq!(
            list[0].1.sources,
            vec![Source::ReferrersApi, Source::ReferrersTag]
        );
        assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
    }
}

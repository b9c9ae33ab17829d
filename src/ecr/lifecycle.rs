//! ECR lifecycle policies evaluated locally: which images the next lifecycle run would expire or
//! archive, from the policy text and what `DescribeImages` says, without asking ECR.
//!
//! Semantics follow AWS's documentation (read 2026-11):
//! - evaluation rules: <https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html>
//! - properties: <https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html>
//! - examples, tested below with the outcomes the page states:
//!   <https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_examples.html>
//! - archive storage, 90-day minimum: <https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html>
//! - 30,720 characters: <https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html>
//!
//! How a run works, per those pages: every rule *identifies* the images its tag selection and
//! storage class take, and *marks* those its count selects, each rule against the whole
//! repository. An image then belongs to the first rule, by priority, that identifies it: that
//! rule's action applies if it marked the image, and no later rule may act on it, even when the
//! owning rule kept it. Later rules still *count* it ("can still identify them as if they haven't
//! been expired"): in the examples' "Filtering on all images, Example B", rule 3 keeps the newest
//! of all five images and so expires image D, which it could not do if it saw only D.
//!
//! Where the docs are silent, this module chooses:
//! - "More than N days" is strict and measured to the second: an image exactly N days old stays
//!   (the examples keep an image pushed 1 day ago under a 1-day rule). ECR runs about daily, so
//!   an image near the boundary may go a run later than predicted.
//! - An image without the timestamp a rule measures (after the documented fallbacks) is never
//!   acted on by that rule; a count rule neither ranks nor acts on an image without a push time.
//! - Equal push times in a count rule are ordered by digest, so the result is stable.
//! - The last-place `any` rule, the single `untagged` rule and unique prefix lists are checked
//!   per storage class: the docs' own "combining archive and expire rules" example has two `any`
//!   rules, one per class. "A unique set of prefixes" is read as: no two rules with the same
//!   `tagPrefixList`.
//! - A restored image's `lastActivatedAt` replaces its push time for `sinceImagePushed` as well as
//!   for ordering (the docs say it for ordering).
//! - Refused although ECR documents no limit: empty prefix or pattern lists, entries with more
//!   than 300 characters besides `*` (no tag is that long), unknown keys, more than 256 rules.
//! - Tags match case-sensitively; `*` matches any run of characters, none included, and a pattern
//!   must match the whole tag.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// ECR's quota on a policy's length, in characters.
pub const MAX_POLICY_CHARS: usize = 30_720;
/// More rules are refused before any is read, to bound the work on hostile input. ECR documents
/// no rule count; its length quota already keeps a valid policy near 200 rules.
pub const MAX_RULES: usize = 256;
/// ECR's limit of `*` wildcards in one tag pattern.
pub const MAX_WILDCARDS: usize = 4;
/// ECR image tags are at most 300 characters, so an entry needing more could never match.
pub const MAX_FILTER_CHARS: usize = 300;
/// Archived images' minimum storage duration: ECR refuses rules that expire them sooner.
pub const MIN_ARCHIVE_DAYS: u32 = 90;

/// One image as `DescribeImages` reports it (only what rules look at).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Image {
    pub digest: String,
    pub tags: Vec<String>,
    /// `imagePushedAt`.
    pub pushed_at: Option<DateTime<Utc>>,
    /// `lastRecordedPullTime` (ECR refreshes it about once a day).
    pub last_pulled_at: Option<DateTime<Utc>>,
    /// `lastArchivedAt`: when the image last moved to the archive storage class.
    pub last_transitioned_at: Option<DateTime<Utc>>,
    /// `lastActivatedAt`: when the image was last restored from archive. It stands in for the
    /// push time, and for the pull time when the image was not pulled since.
    pub last_activated_at: Option<DateTime<Utc>>,
    /// `imageStatus` is `ARCHIVED`: only rules with `storageClass` `archive` see the image.
    pub archived: bool,
    /// A manifest list in the repository references this image. ECR neither expires nor archives
    /// it while the list exists, so no decision names it; rules still count it.
    pub in_manifest_list: bool,
}

/// A parsed and validated lifecycle policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Sorted by ascending priority, the order ECR applies them in.
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `rulePriority`: lower numbers apply first.
    pub priority: u32,
    pub description: Option<String>,
    pub selection: Selection,
    pub action: Action,
}

/// Which images a rule identifies, and which of those it marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub tags: TagSelection,
    pub storage_class: StorageClass,
    pub count: Count,
}

/// `tagStatus` with its list; the shape rules out the combinations ECR refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagSelection {
    /// `any`: every image.
    Any,
    /// `untagged`: images without tags.
    Untagged,
    /// `tagged` with `tagPrefixList`: each prefix starts at least one of the image's tags.
    Prefixes(Vec<String>),
    /// `tagged` with `tagPatternList`: each pattern matches at least one of the image's tags.
    Patterns(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StorageClass {
    Standard,
    Archive,
}

/// `countType` with its `countNumber` (days for the `since` kinds, `countUnit` being `days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Keep this many most recently pushed images; mark the rest.
    ImageCountMoreThan(u32),
    SinceImagePushed {
        days: u32,
    },
    /// Measured from the last pull, else the restore, else the push.
    SinceImagePulled {
        days: u32,
    },
    /// Measured from the move to archive.
    SinceImageTransitioned {
        days: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Action {
    /// Delete the image.
    Expire,
    /// Move the image to another storage class (only `archive` exists).
    Transition {
        #[serde(rename = "storageClass")]
        storage_class: String,
    },
}

/// What the next lifecycle run would do to one image, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub digest: String,
    pub rule_priority: u32,
    pub action: Action,
    /// One line, e.g. `untagged, pushed 40 days ago (rule 1: more than 14 days)`.
    pub reason: String,
}

/// Why a policy text is refused; each message is one sentence naming the rule and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the lifecycle policy is {chars} characters long, over ECR's limit of {max}", max = MAX_POLICY_CHARS)]
    TooLong { chars: usize },
    #[error("the lifecycle policy is not valid JSON ({0})")]
    Json(String),
    /// A problem with the policy as a whole, e.g. `has no rules; ECR needs at least one`.
    #[error("the lifecycle policy {0}")]
    Policy(String),
    #[error("{rule} {problem}")]
    Rule { rule: RuleId, problem: String },
}

/// Names a rule in an error: by priority once it has a valid one, else by place in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleId {
    Priority(u32),
    /// 1-based.
    Position(usize),
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleId::Priority(p) => write!(f, "rule {p}"),
            RuleId::Position(n) => write!(f, "the rule at position {n} in the list"),
        }
    }
}

impl Rule {
    /// The rule in plain English, e.g. `expire untagged images pushed more than 14 days ago`.
    #[must_use]
    pub fn describe(&self) -> String {
        let verb = self.action.verb();
        let s = &self.selection;
        match s.count {
            Count::ImageCountMoreThan(1) => {
                format!("keep the newest {} ({verb} the rest)", s.phrase(false))
            }
            Count::ImageCountMoreThan(n) => {
                format!("keep the {n} newest {} ({verb} the rest)", s.phrase(true))
            }
            Count::SinceImagePushed { days } => format!(
                "{verb} {} pushed more than {} ago",
                s.phrase(true),
                plural_days(days)
            ),
            Count::SinceImagePulled { days } => format!(
                "{verb} {} not pulled for more than {} (never-pulled images count from their push)",
                s.phrase(true),
                plural_days(days)
            ),
            Count::SinceImageTransitioned { days } => format!(
                "{verb} {} archived more than {} ago",
                s.phrase(true),
                plural_days(days)
            ),
        }
    }
}

impl Selection {
    /// Whether the rule identifies the image: right storage class and tags. Identifying is
    /// what shields an image from every later rule.
    #[must_use]
    pub fn identifies(&self, image: &Image) -> bool {
        let in_class = match self.storage_class {
            StorageClass::Standard => !image.archived,
            StorageClass::Archive => image.archived,
        };
        in_class
            && match &self.tags {
                TagSelection::Any => true,
                TagSelection::Untagged => image.tags.is_empty(),
                TagSelection::Prefixes(prefixes) => prefixes
                    .iter()
                    .all(|p| image.tags.iter().any(|t| t.starts_with(p.as_str()))),
                TagSelection::Patterns(patterns) => patterns
                    .iter()
                    .all(|p| image.tags.iter().any(|t| pattern_matches(p, t))),
            }
    }

    /// For [`Rule::describe`]: `images with a tag starting with prod`.
    fn phrase(&self, plural: bool) -> String {
        let noun = if plural { "images" } else { "image" };
        // A `sinceImageTransitioned` rule says "archived" already.
        let archived = self.storage_class == StorageClass::Archive
            && !matches!(self.count, Count::SinceImageTransitioned { .. });
        let class = if archived { "archived " } else { "" };
        match &self.tags {
            TagSelection::Any => format!("{class}{noun}"),
            TagSelection::Untagged => format!("{class}untagged {noun}"),
            TagSelection::Prefixes(p) if p.len() == 1 => {
                format!("{class}{noun} with a tag starting with {}", p[0])
            }
            TagSelection::Prefixes(p) => {
                format!(
                    "{class}{noun} with tags starting with each of {}",
                    and_list(p)
                )
            }
            TagSelection::Patterns(p) if p.len() == 1 => {
                format!("{class}{noun} with a tag matching {}", p[0])
            }
            TagSelection::Patterns(p) => {
                format!("{class}{noun} with tags matching each of {}", and_list(p))
            }
        }
    }

    /// For count reasons: `images tagged prod*`.
    fn label(&self) -> String {
        let base = match &self.tags {
            TagSelection::Any => "images".to_owned(),
            TagSelection::Untagged => "untagged images".to_owned(),
            TagSelection::Prefixes(p) => {
                let starred: Vec<String> = p.iter().map(|p| format!("{p}*")).collect();
                format!("images tagged {}", and_list(&starred))
            }
            TagSelection::Patterns(p) => format!("images tagged {}", and_list(p)),
        };
        match self.storage_class {
            StorageClass::Standard => base,
            StorageClass::Archive => format!("archived {base}"),
        }
    }
}

impl Action {
    fn verb(&self) -> String {
        match self {
            Action::Expire => "expire".to_owned(),
            Action::Transition { storage_class } if storage_class == "archive" => {
                "archive".to_owned()
            }
            Action::Transition { storage_class } => format!("move to {storage_class}"),
        }
    }
}

/// What the next lifecycle run would do to `images` under `policy`: one decision per image it
/// would expire or archive, by rule priority, oldest first within a rule.
///
/// Linear in rules × images × tags × pattern length, plus one sort per count rule.
#[must_use]
pub fn evaluate(policy: &Policy, images: &[Image], now: DateTime<Utc>) -> Vec<Decision> {
    let mut rules: Vec<&Rule> = policy.rules.iter().collect();
    // `Policy` is public, so it may not come from `parse`.
    rules.sort_by_key(|r| r.priority);
    // The first rule that identifies each image: the only one allowed to act on it.
    let mut owner: Vec<Option<usize>> = vec![None; images.len()];
    let mut decisions = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let identified: Vec<usize> = (0..images.len())
            .filter(|&i| rule.selection.identifies(&images[i]))
            .collect();
        for &i in &identified {
            owner[i].get_or_insert(index);
        }
        let mut marked = marks(rule.selection.count, images, &identified, now);
        marked.retain(|m| owner[m.image] == Some(index) && !images[m.image].in_manifest_list);
        marked.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| images[a.image].digest.cmp(&images[b.image].digest))
        });
        decisions.extend(marked.iter().map(|m| Decision {
            digest: images[m.image].digest.clone(),
            rule_priority: rule.priority,
            action: rule.action.clone(),
            reason: reason(rule, &images[m.image], m),
        }));
    }
    decisions
}

/// An image a rule marked, before priorities decide whether the rule may act on it.
struct Mark {
    image: usize,
    /// The time the rule measured: oldest are reported first.
    at: DateTime<Utc>,
    why: Why,
}

enum Why {
    Rank {
        rank: usize,
        of: usize,
        keep: u32,
    },
    Age {
        basis: Basis,
        age: TimeDelta,
        days: u32,
    },
}

/// Which timestamp an age was measured from.
#[derive(Clone, Copy)]
enum Basis {
    Pushed,
    Restored,
    Pulled,
    NeverPulled,
    RestoredNotPulled,
    Archived,
}

fn marks(count: Count, images: &[Image], identified: &[usize], now: DateTime<Utc>) -> Vec<Mark> {
    match count {
        Count::ImageCountMoreThan(keep) => {
            let mut ranked: Vec<(DateTime<Utc>, usize)> = identified
                .iter()
                .filter_map(|&i| push_time(&images[i]).map(|(at, _)| (at, i)))
                .collect();
            ranked.sort_by(|a, b| {
                b.0.cmp(&a.0)
                    .then_with(|| images[a.1].digest.cmp(&images[b.1].digest))
            });
            let of = ranked.len();
            let kept = usize::try_from(keep).unwrap_or(usize::MAX);
            ranked
                .into_iter()
                .enumerate()
                .skip(kept)
                .map(|(n, (at, image))| Mark {
                    image,
                    at,
                    why: Why::Rank {
                        rank: n + 1,
                        of,
                        keep,
                    },
                })
                .collect()
        }
        Count::SinceImagePushed { days } => aged(images, identified, days, now, push_time),
        Count::SinceImagePulled { days } => aged(images, identified, days, now, pull_time),
        Count::SinceImageTransitioned { days } => aged(images, identified, days, now, |image| {
            image.last_transitioned_at.map(|at| (at, Basis::Archived))
        }),
    }
}

/// Marks the identified images whose measured time is more than `days` before `now`.
fn aged(
    images: &[Image],
    identified: &[usize],
    days: u32,
    now: DateTime<Utc>,
    measure: impl Fn(&Image) -> Option<(DateTime<Utc>, Basis)>,
) -> Vec<Mark> {
    let Some(limit) = TimeDelta::try_days(i64::from(days)) else {
        return Vec::new();
    };
    identified
        .iter()
        .filter_map(|&image| {
            let (at, basis) = measure(&images[image])?;
            let age = now.signed_duration_since(at);
            (age > limit).then_some(Mark {
                image,
                at,
                why: Why::Age { basis, age, days },
            })
        })
        .collect()
}

/// The push time, or the restore time when the image came back from archive since.
fn push_time(image: &Image) -> Option<(DateTime<Utc>, Basis)> {
    match (image.pushed_at, image.last_activated_at) {
        (Some(pushed), Some(restored)) if restored > pushed => Some((restored, Basis::Restored)),
        (Some(pushed), _) => Some((pushed, Basis::Pushed)),
        (None, Some(restored)) => Some((restored, Basis::Restored)),
        (None, None) => None,
    }
}

/// The documented fallbacks: the last pull; the restore if not pulled since; the push if never
/// pulled.
fn pull_time(image: &Image) -> Option<(DateTime<Utc>, Basis)> {
    match (image.last_pulled_at, image.last_activated_at) {
        (Some(pulled), Some(restored)) if restored > pulled => {
            Some((restored, Basis::RestoredNotPulled))
        }
        (Some(pulled), _) => Some((pulled, Basis::Pulled)),
        (None, Some(restored)) => Some((restored, Basis::RestoredNotPulled)),
        (None, None) => image.pushed_at.map(|at| (at, Basis::NeverPulled)),
    }
}

fn reason(rule: &Rule, image: &Image, mark: &Mark) -> String {
    match mark.why {
        Why::Rank { rank, of, keep } => format!(
            "{} newest of {of} {} (rule {} keeps {keep})",
            ordinal(rank),
            rule.selection.label(),
            rule.priority
        ),
        Why::Age { basis, age, days } => {
            let ago = ago(age, days);
            let what = match basis {
                Basis::Pushed => format!("pushed {ago}"),
                Basis::Restored => format!("restored from archive {ago}"),
                Basis::Pulled => format!("last pulled {ago}"),
                Basis::NeverPulled => format!("never pulled, pushed {ago}"),
                Basis::RestoredNotPulled => format!("not pulled since restored {ago}"),
                Basis::Archived => format!("archived {ago}"),
            };
            format!(
                "{}, {what} (rule {}: more than {})",
                who(image),
                rule.priority,
                plural_days(days)
            )
        }
    }
}

/// `40 days ago`; an age in the limit's own day reads `just over 14 days ago`.
fn ago(age: TimeDelta, limit: u32) -> String {
    // Only ever called with an age over the limit, which is at least one day.
    let days = age.num_days();
    if days <= i64::from(limit) {
        format!("just over {} ago", plural_days(limit))
    } else {
        format!("{days} days ago")
    }
}

/// `untagged`, `tagged v1 and latest`, `tagged a, b, c and 4 more`.
fn who(image: &Image) -> String {
    const SHOWN: usize = 3;
    match image.tags.len() {
        0 => "untagged".to_owned(),
        n if n <= SHOWN => format!("tagged {}", and_list(&image.tags)),
        n => format!(
            "tagged {} and {} more",
            image.tags[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

fn plural_days(days: u32) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match n % 10 {
        _ if (11..=13).contains(&(n % 100)) => "th",
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether `pattern` (`*` standing for any run of characters) matches the whole of `tag`.
///
/// Iterative with one backtrack point, the last `*`: at worst pattern × tag steps, no recursion.
/// Bytewise is exact for UTF-8, since a literal can only match at a character boundary.
fn pattern_matches(pattern: &str, tag: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), tag.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // (pattern index after the last `*`, tag index that `*` has swallowed up to).
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi + 1, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((after, swallowed)) = star {
            // Let the last `*` take one more byte and retry the rest from there.
            star = Some((after, swallowed + 1));
            pi = after;
            ti = swallowed + 1;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

// Parsing and validation, and the tests, are child modules: this file keeps the types and the
// evaluation with its reasons.
mod parse;
#[cfg(test)]
mod tests;

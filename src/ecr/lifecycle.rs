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

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

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

impl Policy {
    /// Parses and validates a policy with the checks ECR documents for `PutLifecyclePolicy`,
    /// plus the few limits of its own listed in the module notes.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let chars = text.chars().count();
        if chars > MAX_POLICY_CHARS {
            return Err(PolicyError::TooLong { chars });
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        let shape = PolicyError::Policy;
        let Value::Object(top) = &value else {
            return Err(shape(format!("is {}, not an object", type_name(&value))));
        };
        check_keys(top, " at its top level", &["rules"]).map_err(shape)?;
        let raw = match top.get("rules") {
            Some(Value::Array(raw)) => raw,
            Some(other) => return Err(shape(format!("has rules that are {}", type_name(other)))),
            None => return Err(shape("has no rules list".to_owned())),
        };
        if raw.is_empty() {
            return Err(shape("has no rules; ECR needs at least one".to_owned()));
        }
        if raw.len() > MAX_RULES {
            return Err(shape(format!(
                "has {} rules, more than the {MAX_RULES} this tool evaluates",
                raw.len()
            )));
        }
        let mut rules = raw
            .iter()
            .enumerate()
            .map(|(i, rule)| parse_rule(rule, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        rules.sort_by_key(|r| r.priority);
        check_rules(&rules)?;
        Ok(Policy { rules })
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

fn parse_rule(raw: &Value, position: usize) -> Result<Rule, PolicyError> {
    let at = |rule: RuleId| move |problem: String| PolicyError::Rule { rule, problem };
    let Value::Object(obj) = raw else {
        let problem = format!("is {}, not an object", type_name(raw));
        return Err(at(RuleId::Position(position))(problem));
    };
    let priority = parse_priority(obj).map_err(at(RuleId::Position(position)))?;
    parse_rule_body(obj, priority).map_err(at(RuleId::Priority(priority)))
}

fn parse_priority(obj: &Map<String, Value>) -> Result<u32, String> {
    let value = obj.get("rulePriority").ok_or("has no rulePriority")?;
    value
        .as_u64()
        .filter(|&p| p >= 1)
        .and_then(|p| u32::try_from(p).ok())
        .ok_or_else(|| {
            format!(
                "has rulePriority {}, which is not a whole number from 1 to {}",
                shown(value),
                u32::MAX
            )
        })
}

fn parse_rule_body(obj: &Map<String, Value>, priority: u32) -> Result<Rule, String> {
    check_keys(
        obj,
        "",
        &["rulePriority", "description", "selection", "action"],
    )?;
    let description = string(obj, "description")?.map(str::to_owned);
    let selection = parse_selection(object(obj, "selection")?)?;
    let action = parse_action(object(obj, "action")?)?;
    match (selection.count, &action) {
        (Count::SinceImagePulled { .. }, Action::Expire) => Err("expires by sinceImagePulled, \
            which ECR only allows with a transition (archive first, then expire with \
            sinceImageTransitioned)"
            .to_owned()),
        (Count::SinceImageTransitioned { .. }, Action::Transition { .. }) => Err(
            "transitions by sinceImageTransitioned, which ECR only allows with expire".to_owned(),
        ),
        (Count::SinceImageTransitioned { days }, Action::Expire) if days < MIN_ARCHIVE_DAYS => {
            Err(format!(
                "expires archived images after {days} days, but ECR keeps archived images at \
                 least {MIN_ARCHIVE_DAYS} days"
            ))
        }
        _ => Ok(Rule {
            priority,
            description,
            selection,
            action,
        }),
    }
}

fn parse_selection(sel: &Map<String, Value>) -> Result<Selection, String> {
    check_keys(
        sel,
        " in its selection",
        &[
            "tagStatus",
            "tagPrefixList",
            "tagPatternList",
            "storageClass",
            "countType",
            "countUnit",
            "countNumber",
        ],
    )?;
    let tags = parse_tags(sel)?;
    let count = parse_count(sel)?;
    let class = match string(sel, "storageClass")? {
        None => None,
        Some("standard") => Some(StorageClass::Standard),
        Some("archive") => Some(StorageClass::Archive),
        Some(other) => {
            return Err(format!(
                "has storageClass {}; ECR knows \"standard\" and \"archive\"",
                quoted(other)
            ))
        }
    };
    // The default is `standard`; `archive` goes with `sinceImageTransitioned` and nothing else.
    let storage_class = match (count, class) {
        (Count::SinceImageTransitioned { .. }, Some(StorageClass::Archive)) => {
            StorageClass::Archive
        }
        (Count::SinceImageTransitioned { .. }, _) => {
            return Err(
                "has countType sinceImageTransitioned, which needs storageClass \"archive\""
                    .to_owned(),
            )
        }
        (_, Some(StorageClass::Archive)) => {
            return Err(
                "has storageClass \"archive\", which only goes with countType \
                        sinceImageTransitioned"
                    .to_owned(),
            )
        }
        (_, None | Some(StorageClass::Standard)) => StorageClass::Standard,
    };
    Ok(Selection {
        tags,
        storage_class,
        count,
    })
}

fn parse_tags(sel: &Map<String, Value>) -> Result<TagSelection, String> {
    let status = string(sel, "tagStatus")?.ok_or("has no tagStatus")?;
    let prefixes = filter_list(sel, "tagPrefixList")?;
    let patterns = filter_list(sel, "tagPatternList")?;
    match (status, prefixes, patterns) {
        ("tagged", Some(_), Some(_)) => Err(
            "has both a tagPrefixList and a tagPatternList; ECR takes one or the other".to_owned(),
        ),
        ("tagged", Some(prefixes), None) => Ok(TagSelection::Prefixes(prefixes)),
        ("tagged", None, Some(patterns)) => {
            for pattern in &patterns {
                let wildcards = pattern.matches('*').count();
                if wildcards > MAX_WILDCARDS {
                    return Err(format!(
                        "has the tag pattern {} with {wildcards} wildcards; ECR allows at most \
                         {MAX_WILDCARDS}",
                        quoted(pattern)
                    ));
                }
            }
            Ok(TagSelection::Patterns(patterns))
        }
        ("tagged", None, None) => Err(
            "has tagStatus \"tagged\" but neither a tagPrefixList nor a tagPatternList".to_owned(),
        ),
        ("untagged", None, None) => Ok(TagSelection::Untagged),
        ("any", None, None) => Ok(TagSelection::Any),
        ("untagged" | "any", ..) => Err(format!(
            "has tagStatus \"{status}\", which cannot have a tagPrefixList or tagPatternList"
        )),
        (other, ..) => Err(format!(
            "has tagStatus {}; ECR knows \"tagged\", \"untagged\" and \"any\"",
            quoted(other)
        )),
    }
}

/// A `tagPrefixList` or `tagPatternList`, when present.
fn filter_list(sel: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = sel.get(key) else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(format!(
            "has a {key} that is {}, not a list",
            type_name(value)
        ));
    };
    if items.is_empty() {
        return Err(format!("has an empty {key}"));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if s.chars().filter(|&c| c != '*').count() > MAX_FILTER_CHARS => {
                Err(format!(
                    "has a {key} entry of {} characters, which no tag can match (ECR tags are \
                     at most {MAX_FILTER_CHARS})",
                    s.chars().count()
                ))
            }
            Value::String(s) => Ok(s.clone()),
            other => Err(format!(
                "has a {key} entry that is {}, not a string",
                type_name(other)
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn parse_count(sel: &Map<String, Value>) -> Result<Count, String> {
    let count_type = string(sel, "countType")?.ok_or("has no countType")?;
    let value = sel.get("countNumber").ok_or("has no countNumber")?;
    let number = value
        .as_u64()
        .filter(|&n| n >= 1)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!(
                "has countNumber {}, which is not a whole number from 1 to {}",
                shown(value),
                u32::MAX
            )
        })?;
    let unit = string(sel, "countUnit")?;
    let days = || match unit {
        Some("days") => Ok(number),
        Some(other) => Err(format!(
            "has countUnit {}; the only unit is \"days\"",
            quoted(other)
        )),
        None => Err(format!(
            "has countType {count_type}, which needs countUnit \"days\""
        )),
    };
    match count_type {
        "imageCountMoreThan" if unit.is_some() => {
            Err("has a countUnit, which countType imageCountMoreThan does not take".to_owned())
        }
        "imageCountMoreThan" => Ok(Count::ImageCountMoreThan(number)),
        "sinceImagePushed" => days().map(|days| Count::SinceImagePushed { days }),
        "sinceImagePulled" => days().map(|days| Count::SinceImagePulled { days }),
        "sinceImageTransitioned" => days().map(|days| Count::SinceImageTransitioned { days }),
        other => Err(format!(
            "has countType {}; ECR knows imageCountMoreThan, sinceImagePushed, \
             sinceImagePulled and sinceImageTransitioned",
            quoted(other)
        )),
    }
}

fn parse_action(act: &Map<String, Value>) -> Result<Action, String> {
    check_keys(act, " in its action", &["type", "targetStorageClass"])?;
    let kind = string(act, "type")?.ok_or("has an action without a type")?;
    match (kind, string(act, "targetStorageClass")?) {
        ("expire", None) => Ok(Action::Expire),
        ("expire", Some(_)) => Err(
            "has an expire action with a targetStorageClass, which only a transition takes"
                .to_owned(),
        ),
        ("transition", Some("archive")) => Ok(Action::Transition {
            storage_class: "archive".to_owned(),
        }),
        ("transition", Some(other)) => Err(format!(
            "transitions to {}; the only targetStorageClass is \"archive\"",
            quoted(other)
        )),
        ("transition", None) => {
            Err("has a transition action without a targetStorageClass".to_owned())
        }
        (other, _) => Err(format!(
            "has action type {}; ECR knows \"expire\" and \"transition\"",
            quoted(other)
        )),
    }
}

/// The checks across rules; `rules` are sorted by priority. Those about `any`, `untagged` and
/// prefixes hold per storage class (see the module notes).
fn check_rules(rules: &[Rule]) -> Result<(), PolicyError> {
    fn at(rule: &Rule, problem: String) -> PolicyError {
        PolicyError::Rule {
            rule: RuleId::Priority(rule.priority),
            problem,
        }
    }
    for pair in rules.windows(2) {
        if pair[0].priority == pair[1].priority {
            let problem = "shares its rulePriority with another rule; each needs its own";
            return Err(at(&pair[1], problem.to_owned()));
        }
    }
    for class in [StorageClass::Standard, StorageClass::Archive] {
        let kind = match class {
            StorageClass::Standard => "standard",
            StorageClass::Archive => "archived",
        };
        let in_class: Vec<&Rule> = rules
            .iter()
            .filter(|r| r.selection.storage_class == class)
            .collect();
        let mut untagged: Option<u32> = None;
        let mut prefix_sets: Vec<(BTreeSet<&str>, u32)> = Vec::new();
        for (i, rule) in in_class.iter().enumerate() {
            match &rule.selection.tags {
                TagSelection::Any => {
                    if let Some(later) = in_class.get(i + 1) {
                        return Err(at(
                            rule,
                            format!(
                                "has tagStatus \"any\" but rule {} comes after it; among rules \
                                 for {kind} images, the \"any\" one must have the highest \
                                 rulePriority",
                                later.priority
                            ),
                        ));
                    }
                }
                TagSelection::Untagged => match untagged {
                    Some(first) => {
                        return Err(at(
                            rule,
                            format!(
                                "is a second untagged rule for {kind} images after rule \
                                 {first}; ECR allows one"
                            ),
                        ))
                    }
                    None => untagged = Some(rule.priority),
                },
                TagSelection::Prefixes(prefixes) => {
                    let set: BTreeSet<&str> = prefixes.iter().map(String::as_str).collect();
                    if let Some((_, first)) = prefix_sets.iter().find(|(s, _)| *s == set) {
                        return Err(at(
                            rule,
                            format!(
                                "has the same tagPrefixList as rule {first}; ECR wants each \
                                 rule's prefixes unique"
                            ),
                        ));
                    }
                    prefix_sets.push((set, rule.priority));
                }
                TagSelection::Patterns(_) => {}
            }
        }
    }
    Ok(())
}

/// Refuses keys ECR does not know: a misspelt `countUnit` would otherwise change the meaning.
fn check_keys(obj: &Map<String, Value>, place: &str, allowed: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "has the unknown key {}{place}; ECR takes {} there",
            quoted(key),
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

fn object<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, String> {
    match obj.get(key) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(other) => Err(format!(
            "has a {key} that is {}, not an object",
            type_name(other)
        )),
        None => Err(format!("has no {key}")),
    }
}

/// An optional string field; `null` is refused like any other non-string, as ECR does.
fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "has a {key} that is {}, not a string",
            type_name(other)
        )),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value for an error message: numbers as written, strings quoted, anything else by its type.
fn shown(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        other => type_name(other).to_owned(),
    }
}

/// Policy text in an error message: escaped (it is untrusted) and cut at 40 characters.
fn quoted(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
    }

    fn days_back(days: i64) -> DateTime<Utc> {
        now() - TimeDelta::days(days)
    }

    fn image(digest: &str, tags: &[&str], pushed_days_ago: i64) -> Image {
        Image {
            digest: digest.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            pushed_at: Some(days_back(pushed_days_ago)),
            ..Image::default()
        }
    }

    fn parse(text: &str) -> Policy {
        Policy::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn decide(policy: &str, images: &[Image]) -> Vec<Decision> {
        evaluate(&parse(policy), images, now())
    }

    /// The digests acted on, sorted, for outcomes stated as sets.
    fn acted_on(policy: &str, images: &[Image]) -> Vec<String> {
        let mut digests: Vec<String> = decide(policy, images)
            .into_iter()
            .map(|d| d.digest)
            .collect();
        digests.sort();
        digests
    }

    /// A policy of one rule with priority 1.
    fn one_rule(selection: &str, action: &str) -> String {
        format!(r#"{{"rules":[{{"rulePriority":1,"selection":{selection},"action":{action}}}]}}"#)
    }

    const EXPIRE: &str = r#"{"type":"expire"}"#;
    const ARCHIVE: &str = r#"{"type":"transition","targetStorageClass":"archive"}"#;

    fn error(text: &str) -> String {
        match Policy::parse(text) {
            Ok(policy) => panic!("accepted: {policy:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_every_field_and_sorts_rules_by_priority() {
        let policy = parse(
            r#"{"rules":[
              {"rulePriority":5,"selection":{"tagStatus":"any","countType":"imageCountMoreThan",
                "countNumber":3},"action":{"type":"expire"}},
              {"rulePriority":2,"description":"prod","selection":{"tagStatus":"tagged",
                "tagPatternList":["prod*"],"storageClass":"standard","countType":"sinceImagePushed",
                "countUnit":"days","countNumber":30},
                "action":{"type":"transition","targetStorageClass":"archive"}}]}"#,
        );
        assert_eq!(
            policy.rules.iter().map(|r| r.priority).collect::<Vec<_>>(),
            [2, 5]
        );
        assert_eq!(
            policy.rules[0],
            Rule {
                priority: 2,
                description: Some("prod".to_owned()),
                selection: Selection {
                    tags: TagSelection::Patterns(vec!["prod*".to_owned()]),
                    storage_class: StorageClass::Standard,
                    count: Count::SinceImagePushed { days: 30 },
                },
                action: Action::Transition {
                    storage_class: "archive".to_owned()
                },
            }
        );
        assert_eq!(
            policy.rules[1].selection.count,
            Count::ImageCountMoreThan(3)
        );
    }

    /// Docs (older "Filtering on image age"): untagged images older than 14 days expire.
    #[test]
    fn untagged_since_pushed_expires_old_untagged_images_only() {
        let policy = one_rule(
            r#"{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14}"#,
            EXPIRE,
        );
        let images = [
            image("old", &[], 40),
            image("young", &[], 10),
            image("tagged", &["v1"], 40),
        ];
        assert_eq!(
            decide(&policy, &images),
            [Decision {
                digest: "old".to_owned(),
                rule_priority: 1,
                action: Action::Expire,
                reason: "untagged, pushed 40 days ago (rule 1: more than 14 days)".to_owned(),
            }]
        );
    }

    #[test]
    fn exactly_n_days_old_stays_and_a_second_more_goes() {
        let policy = one_rule(
            r#"{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":14}"#,
            EXPIRE,
        );
        let mut just_over = image("just-over", &["a"], 14);
        just_over.pushed_at = Some(now() - TimeDelta::days(14) - TimeDelta::seconds(1));
        let decisions = decide(&policy, &[image("exactly", &["a"], 14), just_over]);
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].digest, "just-over");
        assert_eq!(
            decisions[0].reason,
            "tagged a, pushed just over 14 days ago (rule 1: more than 14 days)"
        );
    }

    /// Docs, "Filtering on image count": keep only one untagged image.
    #[test]
    fn count_keeps_the_newest_and_reports_oldest_first() {
        let policy = one_rule(
            r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        );
        let images = [
            image("mid", &[], 5),
            image("newest", &[], 1),
            image("oldest", &[], 9),
            image("tagged", &["x"], 20),
        ];
        let digests: Vec<String> = decide(&policy, &images)
            .into_iter()
            .map(|d| d.digest)
            .collect();
        assert_eq!(digests, ["oldest", "mid"]);
    }

    #[test]
    fn count_reason_names_the_rank_the_selection_and_the_limit() {
        let policy = r#"{"rules":[
          {"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan",
            "countNumber":1},"action":{"type":"expire"}},
          {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
            "countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}"#;
        let images: Vec<Image> = (1..=14)
            .map(|n| image(&format!("p{n:02}"), &[&format!("prod-{n}")], n))
            .collect();
        let decisions = decide(policy, &images);
        let reasons: Vec<(&str, &str)> = decisions
            .iter()
            .map(|d| (d.digest.as_str(), d.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "p14",
                    "14th newest of 14 images tagged prod* (rule 2 keeps 10)"
                ),
                (
                    "p13",
                    "13th newest of 14 images tagged prod* (rule 2 keeps 10)"
                ),
                (
                    "p12",
                    "12th newest of 14 images tagged prod* (rule 2 keeps 10)"
                ),
                (
                    "p11",
                    "11th newest of 14 images tagged prod* (rule 2 keeps 10)"
                ),
            ]
        );
        assert!(decisions.iter().all(|d| d.rule_priority == 2));
    }

    /// An image kept by rule 1 is shielded from rule 2 although rule 2 would expire it.
    #[test]
    fn an_image_rule_1_keeps_is_not_expired_by_rule_2() {
        let policy = r#"{"rules":[
          {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
            "countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
          {"rulePriority":2,"selection":{"tagStatus":"any","countType":"sinceImagePushed",
            "countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
        let images = [
            image("prod-old", &["prod-1"], 30),
            image("prod-mid", &["prod-2"], 20),
            image("prod-new", &["prod-3"], 10),
            image("dev", &["dev-1"], 30),
        ];
        let by_rule: Vec<(String, u32)> = decide(policy, &images)
            .into_iter()
            .map(|d| (d.digest, d.rule_priority))
            .collect();
        assert_eq!(by_rule, [("prod-old".to_owned(), 1), ("dev".to_owned(), 2)]);
    }

    /// "Can still identify them as if they haven't been expired": rule 2 counts the image rule 1
    /// owns, so its own older image is past the limit.
    #[test]
    fn a_later_count_rule_still_counts_images_an_earlier_rule_owns() {
        let policy = r#"{"rules":[
          {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
            "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
          {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["beta"],
            "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
        let images = [
            image("both", &["beta-2", "prod-1"], 1),
            image("beta", &["beta-1"], 5),
        ];
        let decisions = decide(policy, &images);
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].digest, "beta");
        assert_eq!(
            decisions[0].reason,
            "2nd newest of 2 images tagged beta* (rule 2 keeps 1)"
        );
    }

    fn multiple_rules_repository() -> [Image; 3] {
        [
            image("A", &["beta-1", "prod-1"], 10),
            image("B", &["beta-2", "prod-2"], 9),
            image("C", &["beta-3"], 8),
        ]
    }

    fn two_count_rules(first: &str, second: &str) -> String {
        format!(
            r#"{{"rules":[
              {{"rulePriority":1,"description":"Rule 1","selection":{{"tagStatus":"tagged",
                "tagPatternList":["{first}"],"countType":"imageCountMoreThan","countNumber":1}},
                "action":{{"type":"expire"}}}},
              {{"rulePriority":2,"description":"Rule 2","selection":{{"tagStatus":"tagged",
                "tagPatternList":["{second}"],"countType":"imageCountMoreThan","countNumber":1}},
                "action":{{"type":"expire"}}}}]}}"#
        )
    }

    /// Docs, "Filtering on multiple rules", Example A: "Result: Image A is expired."
    #[test]
    fn docs_multiple_rules_example_a() {
        let policy = two_count_rules("prod*", "beta*");
        assert_eq!(acted_on(&policy, &multiple_rules_repository()), ["A"]);
    }

    /// Docs, "Filtering on multiple rules", Example B: "Result: Images A and B are expired."
    #[test]
    fn docs_multiple_rules_example_b() {
        let policy = two_count_rules("beta*", "prod*");
        let decisions = decide(&policy, &multiple_rules_repository());
        let digests: Vec<(&str, u32)> = decisions
            .iter()
            .map(|d| (d.digest.as_str(), d.rule_priority))
            .collect();
        assert_eq!(digests, [("A", 1), ("B", 1)]);
    }

    /// Docs, "Filtering on multiple tags in a single rule", Example A: "Image C is expired."
    #[test]
    fn docs_multiple_tags_example_a_patterns_must_all_match() {
        let policy = one_rule(
            r#"{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],
                "countType":"sinceImagePushed","countNumber":5,"countUnit":"days"}"#,
            EXPIRE,
        );
        let images = [
            image("A", &["alpha-1"], 12),
            image("B", &["beta-1"], 11),
            image("C", &["alpha-2", "beta-2"], 10),
            image("D", &["alpha-3"], 4),
            image("E", &["beta-3"], 3),
            image("F", &["alpha-4", "beta-4"], 2),
        ];
        assert_eq!(acted_on(&policy, &images), ["C"]);
    }

    /// Docs, "Filtering on multiple tags in a single rule", Example B: "Images A and B are
    /// expired."
    #[test]
    fn docs_multiple_tags_example_b_tags_are_not_exclusive() {
        let policy = one_rule(
            r#"{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],
                "countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        );
        let images = [
            image("A", &["alpha-1", "beta-1", "gamma-1"], 10),
            image("B", &["alpha-2", "beta-2"], 9),
            image("C", &["alpha-3", "beta-3", "gamma-2"], 8),
        ];
        assert_eq!(acted_on(&policy, &images), ["A", "B"]);
    }

    /// Docs, "Filtering on all images", Example A: "Images A, B, and C are expired."
    #[test]
    fn docs_all_images_example_a() {
        let policy = one_rule(
            r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        );
        let images = [
            image("A", &["alpha-1"], 4),
            image("B", &["beta-1"], 3),
            image("C", &[], 2),
            image("D", &["alpha-2"], 1),
        ];
        assert_eq!(acted_on(&policy, &images), ["A", "B", "C"]);
    }

    /// Docs, "Filtering on all images", Example B: "Images A, B, and D are expired." D and E
    /// were both "pushed 1 day ago"; the docs keep E, so E is taken to be the later push.
    #[test]
    fn docs_all_images_example_b() {
        let policy = r#"{"rules":[
          {"rulePriority":1,"description":"Rule 1","selection":{"tagStatus":"tagged",
            "tagPatternList":["alpha*"],"countType":"imageCountMoreThan","countNumber":1},
            "action":{"type":"expire"}},
          {"rulePriority":2,"description":"Rule 2","selection":{"tagStatus":"untagged",
            "countType":"sinceImagePushed","countUnit":"days","countNumber":1},
            "action":{"type":"expire"}},
          {"rulePriority":3,"description":"Rule 3","selection":{"tagStatus":"any",
            "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
        let mut d = image("D", &["git hash"], 1);
        d.pushed_at = Some(now() - TimeDelta::days(1) - TimeDelta::hours(1));
        let images = [
            image("A", &["alpha-1", "beta-1"], 4),
            image("B", &[], 3),
            image("C", &["alpha-2"], 2),
            d,
            image("E", &[], 1),
        ];
        let decisions = decide(policy, &images);
        let by_rule: Vec<(&str, u32)> = decisions
            .iter()
            .map(|d| (d.digest.as_str(), d.rule_priority))
            .collect();
        assert_eq!(by_rule, [("A", 1), ("B", 2), ("D", 3)]);
    }

    /// The docs' tagPrefixList rule: every prefix must start some tag of the image.
    #[test]
    fn several_prefixes_must_each_start_some_tag() {
        let policy = one_rule(
            r#"{"tagStatus":"tagged","tagPrefixList":["alpha","beta"],
                "countType":"sinceImagePushed","countUnit":"days","countNumber":1}"#,
            EXPIRE,
        );
        let images = [
            image("alpha-only", &["alpha-1"], 10),
            image("one-tag-both-words", &["alphabeta"], 10),
            image("both", &["beta-2", "alpha-2"], 10),
            image("untagged", &[], 10),
        ];
        assert_eq!(acted_on(&policy, &images), ["both"]);
    }

    #[test]
    fn pattern_wildcards_at_start_middle_end_and_several() {
        let cases = [
            ("prod*", "prod", true),
            ("prod*", "production-team1", true),
            ("prod*", "preprod", false),
            ("*prod", "preprod", true),
            ("*prod", "prod1", false),
            ("*prod*", "repo-production", true),
            ("*prod*", "pro-d", false),
            ("v*-rc", "v1.2-rc", true),
            ("v*-rc", "v1.2-rc1", false),
            ("v*.*.*", "v1.2.3", true),
            ("v*.*.*", "v1.2", false),
            ("*test*1*2*3", "my-test-1-2-3", true),
            ("*test*1*2*3", "my-test-10-20-30", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "acb", false),
            ("*ab", "aab", true),
            ("*a*b", "aaab", true),
            ("latest", "latest", true),
            ("latest", "latest1", false),
            ("*", "", true),
            ("*", "anything", true),
            ("", "", true),
            ("", "x", false),
            ("**", "x", true),
            ("Prod*", "prod", false),
            ("ü*", "über", true),
        ];
        for (pattern, tag, expected) in cases {
            assert_eq!(
                pattern_matches(pattern, tag),
                expected,
                "{pattern} vs {tag}"
            );
        }
    }

    #[test]
    fn pattern_matching_has_no_exponential_case() {
        let tag = format!("{}b", "a".repeat(300));
        assert!(!pattern_matches("*a*a*a*a", &tag));
        assert!(pattern_matches("*a*a*a*b", &tag));
    }

    #[test]
    fn a_wildcard_pattern_selects_within_a_policy() {
        let policy = one_rule(
            r#"{"tagStatus":"tagged","tagPatternList":["*-sha-*"],
                "countType":"sinceImagePushed","countUnit":"days","countNumber":30}"#,
            ARCHIVE,
        );
        let images = [
            image("commit", &["main-sha-1a2b3c"], 40),
            image("release", &["v1.2.3"], 40),
            image("recent-commit", &["pr-7-sha-9f8e"], 3),
        ];
        assert_eq!(acted_on(&policy, &images), ["commit"]);
    }

    /// Docs, "Filtering on last pulled time", with the documented fallbacks.
    #[test]
    fn since_pulled_archives_by_pull_then_restore_then_push() {
        let policy = one_rule(
            r#"{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":90}"#,
            ARCHIVE,
        );
        let img = |digest: &str, pushed: i64, pulled: Option<i64>, restored: Option<i64>| Image {
            last_pulled_at: pulled.map(days_back),
            last_activated_at: restored.map(days_back),
            ..image(digest, &["t"], pushed)
        };
        let mut archived = img("archived", 400, Some(300), None);
        archived.archived = true;
        let images = [
            img("recently-pulled", 200, Some(10), None),
            img("never-pulled", 100, None, None),
            img("stale-pull", 200, Some(120), None),
            img("restored-lately", 300, Some(200), Some(30)),
            img("restored-long-ago", 300, Some(200), Some(100)),
            img("pulled-after-restore", 300, Some(20), Some(100)),
            archived,
        ];
        let decisions = decide(&policy, &images);
        let reasons: Vec<(&str, &str)> = decisions
            .iter()
            .map(|d| (d.digest.as_str(), d.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    "stale-pull",
                    "tagged t, last pulled 120 days ago (rule 1: more than 90 days)"
                ),
                // Both measured 100 days back: the digest orders them.
                (
                    "never-pulled",
                    "tagged t, never pulled, pushed 100 days ago (rule 1: more than 90 days)"
                ),
                (
                    "restored-long-ago",
                    "tagged t, not pulled since restored 100 days ago (rule 1: more than 90 days)"
                ),
            ]
        );
        let archive = Action::Transition {
            storage_class: "archive".to_owned(),
        };
        assert!(decisions.iter().all(|d| d.action == archive));
    }

    /// Docs, "Combining archive and expire rules": two `any` rules, one per storage class.
    /// Archived images are never archived again, and expire only after their time in archive.
    #[test]
    fn docs_archive_then_expire() {
        let policy = r#"{"rules":[
          {"rulePriority":1,"description":"Archive images older than 30 days","selection":{
            "tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30},
            "action":{"type":"transition","targetStorageClass":"archive"}},
          {"rulePriority":2,"description":"Expire images archived for more than 365 days",
            "selection":{"tagStatus":"any","storageClass":"archive",
            "countType":"sinceImageTransitioned","countUnit":"days","countNumber":365},
            "action":{"type":"expire"}}]}"#;
        let in_archive = |digest: &str, archived_days_ago: Option<i64>| Image {
            archived: true,
            last_transitioned_at: archived_days_ago.map(days_back),
            ..image(digest, &["v1"], 600)
        };
        let images = [
            image("old", &["v1"], 40),
            image("young", &["v2"], 10),
            in_archive("archived-long", Some(400)),
            in_archive("archived-lately", Some(100)),
            in_archive("archived-unknown", None),
        ];
        let decisions = decide(policy, &images);
        assert_eq!(
            decisions,
            [
                Decision {
                    digest: "old".to_owned(),
                    rule_priority: 1,
                    action: Action::Transition {
                        storage_class: "archive".to_owned()
                    },
                    reason: "tagged v1, pushed 40 days ago (rule 1: more than 30 days)".to_owned(),
                },
                Decision {
                    digest: "archived-long".to_owned(),
                    rule_priority: 2,
                    action: Action::Expire,
                    reason: "tagged v1, archived 400 days ago (rule 2: more than 365 days)"
                        .to_owned(),
                },
            ]
        );
    }

    #[test]
    fn images_missing_the_measured_time_are_left_alone() {
        let no_time = Image {
            pushed_at: None,
            ..image("no-time", &[], 0)
        };
        let since = one_rule(
            r#"{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":1}"#,
            EXPIRE,
        );
        assert!(acted_on(&since, std::slice::from_ref(&no_time)).is_empty());
        let count = one_rule(
            r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        );
        let images = [no_time, image("newer", &[], 5), image("older", &[], 10)];
        assert_eq!(acted_on(&count, &images), ["older"]);
    }

    /// A restore counts as a push, so a freshly restored image is not archived again at once.
    #[test]
    fn a_restored_image_ages_from_its_restore() {
        let policy = one_rule(
            r#"{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30}"#,
            ARCHIVE,
        );
        let restored = Image {
            last_activated_at: Some(days_back(5)),
            ..image("restored", &["v1"], 100)
        };
        let decisions = decide(&policy, &[restored, image("old", &["v2"], 100)]);
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].digest, "old");
    }

    /// ECR will not remove an image a manifest list references; it still takes a place in counts.
    #[test]
    fn images_in_a_manifest_list_are_counted_but_not_acted_on() {
        let policy = one_rule(
            r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        );
        let child = |digest: &str, days: i64| Image {
            in_manifest_list: true,
            ..image(digest, &[], days)
        };
        let images = [
            child("child-new", 1),
            child("child-old", 9),
            image("loose", &[], 5),
        ];
        assert_eq!(acted_on(&policy, &images), ["loose"]);
    }

    #[test]
    fn describes_rules_in_plain_english() {
        let describe =
            |selection: &str, action: &str| parse(&one_rule(selection, action)).rules[0].describe();
        assert_eq!(
            describe(
                r#"{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14}"#,
                EXPIRE
            ),
            "expire untagged images pushed more than 14 days ago"
        );
        assert_eq!(
            describe(
                r#"{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":10}"#,
                EXPIRE
            ),
            "keep the 10 newest images with a tag starting with prod (expire the rest)"
        );
        assert_eq!(
            describe(
                r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}"#,
                ARCHIVE
            ),
            "keep the newest untagged image (archive the rest)"
        );
        assert_eq!(
            describe(
                r#"{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1}"#,
                EXPIRE
            ),
            "expire images with tags matching each of alpha* and beta* pushed more than 1 day ago"
        );
        assert_eq!(
            describe(
                r#"{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":90}"#,
                ARCHIVE
            ),
            "archive images not pulled for more than 90 days (never-pulled images count from \
             their push)"
        );
        assert_eq!(
            describe(
                r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":365}"#,
                EXPIRE
            ),
            "expire images archived more than 365 days ago"
        );
    }

    #[test]
    fn decisions_serialize_in_camel_case() {
        let decision = Decision {
            digest: "sha256:ab".to_owned(),
            rule_priority: 3,
            action: Action::Transition {
                storage_class: "archive".to_owned(),
            },
            reason: "r".to_owned(),
        };
        assert_eq!(
            serde_json::to_value(&decision).unwrap(),
            serde_json::json!({"digest": "sha256:ab", "rulePriority": 3,
                "action": {"type": "transition", "storageClass": "archive"}, "reason": "r"})
        );
        assert_eq!(
            serde_json::to_value(Action::Expire).unwrap(),
            serde_json::json!({"type": "expire"})
        );
    }

    /// Each refused policy, with the start of the sentence that says why.
    #[test]
    fn refuses_invalid_selections_naming_the_rule() {
        let since = |extra: &str| {
            format!(
                r#"{{"tagStatus":"any","countType":"sinceImagePushed","countNumber":1{extra}}}"#
            )
        };
        let cases = [
            (
                one_rule(r#"{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has tagStatus \"tagged\" but neither a tagPrefixList nor a tagPatternList",
            ),
            (
                one_rule(r#"{"tagStatus":"tagged","tagPrefixList":["a"],"tagPatternList":["a*"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has both a tagPrefixList and a tagPatternList",
            ),
            (
                one_rule(r#"{"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has tagStatus \"untagged\", which cannot have a tagPrefixList",
            ),
            (
                one_rule(r#"{"tagStatus":"any","tagPatternList":["a*"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has tagStatus \"any\", which cannot have",
            ),
            (
                one_rule(r#"{"tagStatus":"TAGGED","countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has tagStatus \"TAGGED\"; ECR knows",
            ),
            (
                one_rule(r#"{"tagStatus":"tagged","tagPrefixList":[],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has an empty tagPrefixList",
            ),
            (
                one_rule(r#"{"tagStatus":"tagged","tagPatternList":["test*1*2*3*4*5*6"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
                "rule 1 has the tag pattern \"test*1*2*3*4*5*6\" with 6 wildcards; ECR allows at most 4",
            ),
            (
                one_rule(&format!(r#"{{"tagStatus":"tagged","tagPrefixList":["{}"],"countType":"imageCountMoreThan","countNumber":1}}"#, "x".repeat(301)), EXPIRE),
                "rule 1 has a tagPrefixList entry of 301 characters, which no tag can match",
            ),
            (
                one_rule(r#"{"tagStatus":"any","countType":"imageCountMoreThan","countUnit":"days","countNumber":1}"#, EXPIRE),
                "rule 1 has a countUnit, which countType imageCountMoreThan does not take",
            ),
            (one_rule(&since(""), EXPIRE), "rule 1 has countType sinceImagePushed, which needs countUnit \"days\""),
            (one_rule(&since(r#","countUnit":"hours""#), EXPIRE), "rule 1 has countUnit \"hours\"; the only unit is \"days\""),
            (
                one_rule(r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":0}"#, EXPIRE),
                "rule 1 has countNumber 0, which is not a whole number from 1",
            ),
            (
                one_rule(r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2.5}"#, EXPIRE),
                "rule 1 has countNumber 2.5,",
            ),
            (
                one_rule(r#"{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":9}"#, EXPIRE),
                "rule 1 expires by sinceImagePulled, which ECR only allows with a transition",
            ),
            (
                one_rule(r#"{"tagStatus":"any","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90}"#, EXPIRE),
                "rule 1 has countType sinceImageTransitioned, which needs storageClass \"archive\"",
            ),
            (
                one_rule(r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":89}"#, EXPIRE),
                "rule 1 expires archived images after 89 days, but ECR keeps archived images at least 90 days",
            ),
            (
                one_rule(r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90}"#, ARCHIVE),
                "rule 1 transitions by sinceImageTransitioned",
            ),
            (
                one_rule(&since(r#","countUnit":"days","storageClass":"archive""#), EXPIRE),
                "rule 1 has storageClass \"archive\", which only goes with countType sinceImageTransitioned",
            ),
            (
                one_rule(&since(r#","countUnit":"days","tagPrefix":["a"]"#), EXPIRE),
                "rule 1 has the unknown key \"tagPrefix\" in its selection",
            ),
            (
                one_rule(&since(r#","countUnit":"days""#), r#"{"type":"transition","targetStorageClass":null}"#),
                "rule 1 has a targetStorageClass that is null, not a string",
            ),
        ];
        for (policy, expected) in &cases {
            let message = error(policy);
            assert!(
                message.starts_with(expected),
                "{message}\n  wanted: {expected}"
            );
        }
    }

    #[test]
    fn refuses_invalid_actions() {
        let selection = r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}"#;
        let cases = [
            (
                r#"{"type":"transition"}"#,
                "rule 1 has a transition action without a targetStorageClass",
            ),
            (
                r#"{"type":"transition","targetStorageClass":"glacier"}"#,
                "rule 1 transitions to \"glacier\"",
            ),
            (
                r#"{"type":"expire","targetStorageClass":"archive"}"#,
                "rule 1 has an expire action with a targetStorageClass",
            ),
            (r#"{"type":"delete"}"#, "rule 1 has action type \"delete\""),
            (r"{}", "rule 1 has an action without a type"),
        ];
        for (action, expected) in cases {
            let message = error(&one_rule(selection, action));
            assert!(
                message.starts_with(expected),
                "{message}\n  wanted: {expected}"
            );
        }
    }

    fn rule(priority: u32, selection: &str) -> String {
        format!(r#"{{"rulePriority":{priority},"selection":{selection},"action":{EXPIRE}}}"#)
    }

    fn policy_of(rules: &[String]) -> String {
        format!(r#"{{"rules":[{}]}}"#, rules.join(","))
    }

    const ANY: &str = r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5}"#;
    const UNTAGGED: &str =
        r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":5}"#;

    #[test]
    fn refuses_conflicts_between_rules() {
        let prefixes = |list: &str| {
            format!(
                r#"{{"tagStatus":"tagged","tagPrefixList":{list},"countType":"imageCountMoreThan","countNumber":1}}"#
            )
        };
        let cases = [
            (
                policy_of(&[rule(1, ANY), rule(2, UNTAGGED)]),
                "rule 1 has tagStatus \"any\" but rule 2 comes after it",
            ),
            (
                policy_of(&[rule(3, UNTAGGED), rule(3, ANY)]),
                "rule 3 shares its rulePriority with another rule",
            ),
            (
                policy_of(&[rule(1, UNTAGGED), rule(2, UNTAGGED)]),
                "rule 2 is a second untagged rule for standard images after rule 1",
            ),
            (
                policy_of(&[
                    rule(1, &prefixes(r#"["a","b"]"#)),
                    rule(2, &prefixes(r#"["b","a"]"#)),
                ]),
                "rule 2 has the same tagPrefixList as rule 1",
            ),
        ];
        for (policy, expected) in &cases {
            let message = error(policy);
            assert!(
                message.starts_with(expected),
                "{message}\n  wanted: {expected}"
            );
        }
        // Overlapping but different prefix lists, and an untagged rule before the `any` one, pass.
        parse(&policy_of(&[
            rule(1, &prefixes(r#"["a","b"]"#)),
            rule(2, &prefixes(r#"["a"]"#)),
            rule(3, UNTAGGED),
            rule(4, ANY),
        ]));
    }

    #[test]
    fn refuses_malformed_documents() {
        let cases = [
            ("{\"rules\": [", "the lifecycle policy is not valid JSON (EOF while parsing"),
            ("[]", "the lifecycle policy is a list, not an object"),
            ("{}", "the lifecycle policy has no rules list"),
            (r#"{"rules":[]}"#, "the lifecycle policy has no rules; ECR needs at least one"),
            (r#"{"rules":{}}"#, "the lifecycle policy has rules that are an object"),
            (
                r#"{"rules":[],"version":1}"#,
                "the lifecycle policy has the unknown key \"version\" at its top level; ECR takes rules there",
            ),
            (r#"{"rules":[7]}"#, "the rule at position 1 in the list is a number, not an object"),
            (
                r#"{"rules":[{"selection":{}}]}"#,
                "the rule at position 1 in the list has no rulePriority",
            ),
            (
                r#"{"rules":[{"rulePriority":0}]}"#,
                "the rule at position 1 in the list has rulePriority 0, which is not a whole number",
            ),
            (
                r#"{"rules":[{"rulePriority":"1"}]}"#,
                "the rule at position 1 in the list has rulePriority \"1\"",
            ),
            (r#"{"rules":[{"rulePriority":4}]}"#, "rule 4 has no selection"),
        ];
        for (policy, expected) in cases {
            let message = error(policy);
            assert!(
                message.starts_with(expected),
                "{message}\n  wanted: {expected}"
            );
        }
        assert!(matches!(
            Policy::parse("not json"),
            Err(PolicyError::Json(_))
        ));
    }

    /// ECR's limit is 30,720 characters, not bytes.
    #[test]
    fn refuses_policies_over_ecrs_length_limit() {
        let padded = |chars: usize| {
            let body = one_rule(ANY, EXPIRE);
            let base = body.chars().count() + r#","description":"""#.len();
            let description = "é".repeat(chars - base);
            body.replacen(
                r#""rulePriority":1,"#,
                &format!(r#""rulePriority":1,"description":"{description}","#),
                1,
            )
        };
        let at_limit = padded(MAX_POLICY_CHARS);
        assert_eq!(at_limit.chars().count(), MAX_POLICY_CHARS);
        assert!(at_limit.len() > MAX_POLICY_CHARS);
        assert_eq!(parse(&at_limit).rules.len(), 1);
        assert_eq!(
            Policy::parse(&padded(MAX_POLICY_CHARS + 1)),
            Err(PolicyError::TooLong {
                chars: MAX_POLICY_CHARS + 1
            })
        );
        assert_eq!(
            error(&padded(MAX_POLICY_CHARS + 1)),
            "the lifecycle policy is 30721 characters long, over ECR's limit of 30720"
        );
    }

    #[test]
    fn refuses_more_rules_than_the_cap_before_reading_them() {
        let many = format!(r#"{{"rules":[{}]}}"#, vec!["{}"; MAX_RULES + 1].join(","));
        assert_eq!(
            error(&many),
            "the lifecycle policy has 257 rules, more than the 256 this tool evaluates"
        );
    }

    #[test]
    fn accepts_the_docs_examples_of_valid_patterns_and_two_any_rules() {
        parse(&one_rule(
            r#"{"tagStatus":"tagged","tagPatternList":["*test*1*2*3","test*1*2*3*"],"countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        ));
        let archived_any = r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":365}"#;
        let policy = parse(&policy_of(&[rule(1, ANY), rule(2, archived_any)]));
        assert_eq!(
            policy.rules[1].selection.storage_class,
            StorageClass::Archive
        );
    }

    #[test]
    fn error_messages_escape_policy_text() {
        let message = error(&one_rule(
            r#"{"tagStatus":"\u001b[2Jx","countType":"imageCountMoreThan","countNumber":1}"#,
            EXPIRE,
        ));
        assert!(!message.contains('\u{1b}'), "{message}");
        assert!(message.contains(r"\u{1b}[2Jx"), "{message}");
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th", "112th"
            ]
        );
    }
}

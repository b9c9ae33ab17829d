//! Comparing two fetched trees: the same image or not, platform by platform, and whether the
//! attachments came along. Pure: two [`Inspection`]s in, a [`Comparison`] out.
//!
//! The rule everywhere: what could not be read is never reported as the same. A platform whose
//! manifest or config could not be fetched on a side, an index cut short, attachments not all
//! looked up: each is listed in [`Comparison::incomplete`], and a comparison with nothing
//! different but something unread is [`Verdict::Incomplete`], never identical.

pub mod config;
pub mod fetch;
pub mod map;
pub mod signing;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

pub use config::{config_changes, Change, ConfigChange};

use crate::analysis::platform_label;
use crate::attachments::{self, Attachment};
use crate::digest::short;
use crate::inspect::Inspection;
use crate::model::annotations::{ATTESTATION_MANIFEST, REFERENCE_TYPE};
use crate::model::{Kind, Node, Problem};
use crate::sanitize::sanitize;
use crate::verify;

/// What a comparison may choose to show besides digests and names.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompareOptions {
    /// Show the values of environment variables that changed (`--show-env-values`); by
    /// default only their names, since values routinely hold tokens.
    pub show_env_values: bool,
}

/// One platform offered by both sides, both read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformDiff {
    pub platform: String,
    pub left_manifest: String,
    pub right_manifest: String,
    pub left_config: Option<String>,
    pub right_config: Option<String>,
    pub layers_shared: usize,
    pub layers_only_left: Vec<String>,
    pub layers_only_right: Vec<String>,
    pub config_changes: Vec<ConfigChange>,
}

impl PlatformDiff {
    /// Same config and same layers: a different manifest digest alone (another media type,
    /// other annotations) runs the same.
    #[must_use]
    pub fn runs_the_same(&self) -> bool {
        self.left_config == self.right_config
            && self.layers_only_left.is_empty()
            && self.layers_only_right.is_empty()
    }
}

/// Which side of a comparison something is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Left,
    Right,
    Both,
}

impl Side {
    /// `the left side`, `the right side`, `both sides`.
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Side::Left => "the left side",
            Side::Right => "the right side",
            Side::Both => "both sides",
        }
    }
}

/// Something that could not be compared because it could not be read: which side, what
/// (`linux/arm64`, `the config of linux/amd64`, `attachments`), and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unread {
    pub side: Side,
    pub what: String,
    pub why: String,
    /// `why` one side per line, where the sides had different reasons (text output; empty:
    /// `why` is one line).
    #[serde(skip)]
    pub lines: Vec<String>,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Everything was read, and nothing that matters differs.
    Identical,
    /// Something that was read differs (whatever else could not be read).
    Different,
    /// Nothing read differs, but something could not be read: not known to be the same.
    Incomplete,
}

impl Verdict {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Different => "different",
            Verdict::Incomplete => "incomplete",
        }
    }

    /// The exit code of `regscope diff`: 0 identical, 1 different, 2 incomplete.
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Identical => 0,
            Verdict::Different => 1,
            Verdict::Incomplete => 2,
        }
    }
}

/// What two references resolve to, side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub left: String,
    pub right: String,
    pub left_digest: String,
    pub right_digest: String,
    pub same_digest: bool,
    pub platforms_only_left: Vec<String>,
    pub platforms_only_right: Vec<String>,
    pub platforms: Vec<PlatformDiff>,
    /// `signature for index (sha256:…)`, `SBOM for linux/amd64 (sha256:…)`: on one side only.
    pub attachments_only_left: Vec<String>,
    pub attachments_only_right: Vec<String>,
    /// The same kind of attachment for the same subject on both sides, but another one: a
    /// signature made again at the target, an SBOM generated again. Not drift: what the
    /// promotion had to carry is there. `signature for index: sha256:ab12… -> sha256:cd34…`.
    /// See [`match_attachments`] for when two subjects are the same.
    pub attachments_replaced: Vec<String>,
    /// The one attachment a promotion must not lose, said on its own. With a signature policy:
    /// `signed by X (verified) at SRC, no signature that verifies at DST (…)`; without one, by
    /// presence: `signed (cosign signature, signer …) at SRC, unsigned at DST (not verified: no
    /// policy)`. Empty when both sides stand alike, or the side without a signature that
    /// verifies was not all read. See [`signing`].
    pub signing: Vec<String>,
    /// What the policy says when both sides stand alike (`signed by X (verified) at both`,
    /// different signers that both verify), or that it could not be used: not drift.
    pub signing_notes: Vec<String>,
    /// What could not be read, so is not said to be the same.
    pub incomplete: Vec<Unread>,
}

impl Comparison {
    /// Whether something that was read differs.
    #[must_use]
    pub fn differs(&self) -> bool {
        !self.platforms_only_left.is_empty()
            || !self.platforms_only_right.is_empty()
            || !self.platforms.iter().all(PlatformDiff::runs_the_same)
            || !self.attachments_only_left.is_empty()
            || !self.attachments_only_right.is_empty()
            || !self.signing.is_empty()
    }

    #[must_use]
    pub fn verdict(&self) -> Verdict {
        if self.differs() {
            Verdict::Different
        } else if self.incomplete.is_empty() {
            Verdict::Identical
        } else {
            Verdict::Incomplete
        }
    }

    /// Identical in what matters, everything read: the same platforms, each running the same
    /// config and layers, and the same kinds of attachments for the same manifests.
    #[must_use]
    pub fn identical(&self) -> bool {
        self.verdict() == Verdict::Identical
    }

    /// What drifted, in a few words each (empty unless [`differs`](Self::differs)).
    #[must_use]
    pub fn drift(&self) -> Vec<String> {
        let mut out = self.signing.clone();
        for p in &self.platforms_only_left {
            out.push(format!("{p} only in {}", side(&self.left)));
        }
        for p in &self.platforms_only_right {
            out.push(format!("{p} only in {}", side(&self.right)));
        }
        for p in self.platforms.iter().filter(|p| !p.runs_the_same()) {
            let mut what = Vec::new();
            if !p.config_changes.is_empty() {
                let mut fields: Vec<&str> = Vec::new();
                for c in &p.config_changes {
                    if !fields.contains(&c.field) {
                        fields.push(c.field);
                    }
                }
                what.push(fields.join(", "));
            } else if p.left_config != p.right_config {
                what.push("config".to_string());
            }
            if !p.layers_only_left.is_empty() || !p.layers_only_right.is_empty() {
                what.push("layers".to_string());
            }
            out.push(format!("{}: {} differ", p.platform, what.join(" and ")));
        }
        for a in &self.attachments_only_left {
            out.push(format!("{a} only in {}", side(&self.left)));
        }
        for a in &self.attachments_only_right {
            out.push(format!("{a} only in {}", side(&self.right)));
        }
        out
    }

    /// What could not be compared, a few words each: `linux/arm64 (both sides)`.
    #[must_use]
    pub fn unread_summary(&self) -> Vec<String> {
        self.incomplete
            .iter()
            .map(|u| {
                let side = match u.side {
                    Side::Left => "left",
                    Side::Right => "right",
                    Side::Both => "both sides",
                };
                format!("{} ({side})", u.what)
            })
            .collect()
    }
}

fn side(reference: &str) -> String {
    sanitize(reference).into_owned()
}

/// Compares two trees (each with its attachments, when they were looked up), environment
/// values hidden.
#[must_use]
pub fn compare(left: &Inspection, right: &Inspection) -> Comparison {
    compare_with(left, right, CompareOptions::default())
}

/// Compares two trees, showing what `options` allows; signing by presence only.
#[must_use]
pub fn compare_with(left: &Inspection, right: &Inspection, options: CompareOptions) -> Comparison {
    compare_judged(left, right, options, None)
}

/// Compares two trees, showing what `options` allows, signing judged by each side's policy
/// verdicts when `policies` is given (see [`signing::judge`]).
#[must_use]
pub fn compare_judged(
    left: &Inspection,
    right: &Inspection,
    options: CompareOptions,
    policies: Option<&(verify::Checked, verify::Checked)>,
) -> Comparison {
    let l = Entries::of(&left.root);
    let r = Entries::of(&right.root);
    let mut incomplete = Vec::new();
    incomplete.extend(l.cut.iter().map(|why| Unread {
        lines: Vec::new(),
        side: Side::Left,
        what: "the index".into(),
        why: why.clone(),
    }));
    incomplete.extend(r.cut.iter().map(|why| Unread {
        lines: Vec::new(),
        side: Side::Right,
        what: "the index".into(),
        why: why.clone(),
    }));
    let platforms = match_platforms(&l, &r, options, &mut incomplete);
    incomplete.extend(unnamed_entries(&l, Side::Left));
    incomplete.extend(unnamed_entries(&r, Side::Right));
    let (la, ra) = (
        attachments::collect(&left.root),
        attachments::collect(&right.root),
    );
    let (lu, ru) = (
        unread_attachments(left, &la, Side::Left),
        unread_attachments(right, &ra, Side::Right),
    );
    let judged = signing::signing(
        &signing::SideSigning {
            name: side(&left.reference),
            root: &left.root.digest,
            attachments: &la,
            all_read: lu.is_empty(),
            checked: policies.map(|p| &p.0),
        },
        &signing::SideSigning {
            name: side(&right.reference),
            root: &right.root.digest,
            attachments: &ra,
            all_read: ru.is_empty(),
            checked: policies.map(|p| &p.1),
        },
    );
    incomplete.extend(lu);
    incomplete.extend(ru);
    let same_image = left.root.digest == right.root.digest
        || (incomplete.is_empty()
            && platforms.only_left.is_empty()
            && platforms.only_right.is_empty()
            && !platforms.both.is_empty()
            && platforms.both.iter().all(PlatformDiff::runs_the_same));
    let subjects = Subjects::new(
        (&left.root.digest, &right.root.digest),
        same_image,
        &platforms.both,
    );
    let matched = match_attachments(&la, &ra, &subjects);
    Comparison {
        left: left.reference.clone(),
        right: right.reference.clone(),
        left_digest: left.root.digest.clone(),
        right_digest: right.root.digest.clone(),
        same_digest: left.root.digest == right.root.digest,
        platforms_only_left: platforms.only_left,
        platforms_only_right: platforms.only_right,
        platforms: platforms.both,
        attachments_only_left: matched.only_left,
        attachments_only_right: matched.only_right,
        attachments_replaced: matched.replaced,
        signing: judged.drift,
        signing_notes: judged.notes,
        incomplete,
    }
}

/// One side's runnable entries: read ones by platform, unread ones with their platform when
/// their descriptor names one, and why the index itself is not whole.
#[derive(Default)]
struct Entries<'a> {
    read: BTreeMap<String, &'a Node>,
    unread: Vec<(Option<String>, &'a Node)>,
    cut: Vec<String>,
}

impl<'a> Entries<'a> {
    fn of(root: &'a Node) -> Self {
        let mut out = Self::default();
        if root.kind == Kind::Manifest {
            if let Some(p @ Problem::Cut { .. }) = &root.problem {
                out.cut.push(problem_words(p));
            }
            out.read.insert(platform_of(root), root);
            return out;
        }
        if let Some(p @ Problem::Cut { .. }) = &root.problem {
            out.cut.push(problem_words(p));
        }
        // Referrers hung below the index are attachments, compared as such.
        for child in root.children.iter().filter(|c| c.origin.is_none()) {
            let runnable_kind = matches!(child.kind, Kind::Manifest | Kind::Missing);
            let unread = child.kind == Kind::Missing
                || (matches!(child.kind, Kind::Manifest | Kind::Index) && child.problem.is_some());
            let named = child
                .platform
                .as_ref()
                .filter(|p| !p.is_unknown())
                .map(|p| sanitize(&platform_label(p)).into_owned());
            if unread && runnable_kind && !is_attestation_entry(child) {
                out.unread.push((named, child));
            } else if unread || child.kind == Kind::Index {
                // A nested index (or an attestation entry that could not be read): its
                // contents are not compared, so they cannot be said to be the same.
                out.unread.push((None, child));
            } else if child.is_runnable() {
                out.read.entry(platform_of(child)).or_insert(child);
            }
        }
        out
    }

    fn unread_at(&self, platform: &str) -> Option<&'a Node> {
        self.unread
            .iter()
            .find(|(p, _)| p.as_deref() == Some(platform))
            .map(|(_, n)| *n)
    }

    /// Whether an unread entry's platform is unknown (it may be any platform).
    fn has_unnamed(&self) -> bool {
        self.unread.iter().any(|(p, _)| p.is_none())
    }
}

fn is_attestation_entry(n: &Node) -> bool {
    n.annotations.get(REFERENCE_TYPE).map(String::as_str) == Some(ATTESTATION_MANIFEST)
}

/// Platforms paired up, and what could not be.
struct Platforms {
    only_left: Vec<String>,
    only_right: Vec<String>,
    both: Vec<PlatformDiff>,
}

fn match_platforms(
    l: &Entries<'_>,
    r: &Entries<'_>,
    options: CompareOptions,
    incomplete: &mut Vec<Unread>,
) -> Platforms {
    let mut out = Platforms {
        only_left: Vec::new(),
        only_right: Vec::new(),
        both: Vec::new(),
    };
    let names: BTreeSet<&String> = l
        .read
        .keys()
        .chain(r.read.keys())
        .chain(l.unread.iter().filter_map(|(p, _)| p.as_ref()))
        .chain(r.unread.iter().filter_map(|(p, _)| p.as_ref()))
        .collect();
    for name in names {
        let (lr, rr) = (l.read.get(name), r.read.get(name));
        let (lu, ru) = (l.unread_at(name), r.unread_at(name));
        match (lr, rr) {
            (Some(a), Some(b)) => {
                let diff = platform_diff(name, a, b, options, incomplete);
                out.both.push(diff);
                // Another entry for the same platform that could not be read: what it holds
                // is not known either.
                let side = match (lu, ru) {
                    (Some(_), Some(_)) => Some(Side::Both),
                    (Some(_), None) => Some(Side::Left),
                    (None, Some(_)) => Some(Side::Right),
                    (None, None) => None,
                };
                if let Some(side) = side {
                    incomplete.push(unread_entry(name, side, lu, ru));
                }
            }
            // Read on one side, unreadable on the other: nothing known about the pair.
            (Some(_), None) if ru.is_some() => {
                incomplete.push(unread_entry(name, Side::Right, None, ru));
            }
            (None, Some(_)) if lu.is_some() => {
                incomplete.push(unread_entry(name, Side::Left, lu, None));
            }
            // Only one side has it, but the other has entries of unknown platform that
            // could not be read: one of them may be this platform.
            (Some(_), None) if r.has_unnamed() => incomplete.push(Unread {
                lines: Vec::new(),
                side: Side::Right,
                what: name.clone(),
                why: "not found among the entries that could be read; others could not be read"
                    .into(),
            }),
            (None, Some(_)) if l.has_unnamed() => incomplete.push(Unread {
                lines: Vec::new(),
                side: Side::Left,
                what: name.clone(),
                why: "not found among the entries that could be read; others could not be read"
                    .into(),
            }),
            (Some(_), None) => out.only_left.push(name.clone()),
            (None, Some(_)) => out.only_right.push(name.clone()),
            (None, None) => match (lu, ru) {
                (Some(_), Some(_)) => incomplete.push(unread_entry(name, Side::Both, lu, ru)),
                // Listed on one side (unreadable), not there at all on the other: that much
                // is known to differ; what it holds is not.
                (Some(_), None) => {
                    out.only_left.push(name.clone());
                    incomplete.push(unread_entry(name, Side::Left, lu, None));
                }
                (None, Some(_)) => {
                    out.only_right.push(name.clone());
                    incomplete.push(unread_entry(name, Side::Right, None, ru));
                }
                (None, None) => {}
            },
        }
    }
    out
}

/// An unread platform entry: `linux/arm64`, why per side (`sha256:ab12…: the registry does
/// not have it (MANIFEST_UNKNOWN)`).
fn unread_entry(name: &str, side: Side, l: Option<&Node>, r: Option<&Node>) -> Unread {
    let each = |n: Option<&Node>| {
        n.map(|n| format!("its manifest {} {}", short(&n.digest), node_words(n)))
    };
    let (why, lines) = match (each(l), each(r)) {
        (Some(a), Some(b)) => {
            let lines = vec![format!("left: {a}"), format!("right: {b}")];
            (lines.join("; "), lines)
        }
        (Some(a), None) | (None, Some(a)) => (a, Vec::new()),
        (None, None) => (String::new(), Vec::new()),
    };
    Unread {
        lines,
        side,
        what: name.to_string(),
        why,
    }
}

/// Unread entries no platform names: nested indexes, attestations, entries without a platform.
fn unnamed_entries(e: &Entries<'_>, side: Side) -> Vec<Unread> {
    e.unread
        .iter()
        .filter(|(p, _)| p.is_none())
        .map(|(_, n)| {
            let what = if n.kind == Kind::Index {
                "a nested index"
            } else if is_attestation_entry(n) {
                "an attestation"
            } else {
                "an index entry"
            };
            let why = if n.kind == Kind::Index && n.problem.is_none() {
                "indexes inside an index are not compared".to_string()
            } else {
                node_words(n)
            };
            Unread {
                lines: Vec::new(),
                side,
                what: format!("{what} ({})", short(&n.digest)),
                why,
            }
        })
        .collect()
}

/// Attachments that could not be read or not all be looked up.
fn unread_attachments(inspection: &Inspection, list: &[Attachment], side: Side) -> Vec<Unread> {
    let mut out: Vec<Unread> = list
        .iter()
        .filter_map(|a| {
            a.problem.as_ref().map(|p| Unread {
                lines: Vec::new(),
                side,
                what: format!(
                    "an attachment for {} ({})",
                    sanitize(&a.subject_label),
                    short(&a.digest)
                ),
                why: sanitize(p).into_owned(),
            })
        })
        .collect();
    out.extend(
        inspection
            .attachment_notes
            .iter()
            .filter(|n| !attachments::discover::is_orphan_note(n))
            .map(|n| Unread {
                lines: Vec::new(),
                side,
                what: "attachments".into(),
                why: sanitize(n).into_owned(),
            }),
    );
    out
}

/// Why a node's content is not known, in words.
fn node_words(n: &Node) -> String {
    match &n.problem {
        Some(p) => problem_words(p),
        None if n.kind == Kind::Missing => "is not in the registry".into(),
        None => "was not read".into(),
    }
}

fn problem_words(p: &Problem) -> String {
    match p {
        Problem::Missing { detail } => {
            format!("is not in the registry ({})", sanitize(detail))
        }
        Problem::FetchFailed { detail } => format!("could not be fetched: {}", sanitize(detail)),
        Problem::DigestMismatch { .. } => "does not match its digest (not trusted)".into(),
        Problem::TooLarge { limit, .. } => format!("is larger than regscope reads ({limit} bytes)"),
        Problem::Malformed { detail } => format!("could not be read: {}", sanitize(detail)),
        Problem::Cycle => "refers back to an index above it".into(),
        Problem::Cut { detail, .. } => format!("was cut short: {}", sanitize(detail)),
    }
}

/// Runnable manifests by platform (`linux/amd64`); a lone manifest without a platform in its
/// descriptor goes by its config's.
fn platform_of(n: &Node) -> String {
    let label = n.platform.as_ref().map(platform_label).or_else(|| {
        n.config_summary()
            .map(|c| platform_label(&crate::analysis::config_platform(c)))
    });
    sanitize(&label.unwrap_or_else(|| "unknown".into())).into_owned()
}

fn config_node(n: &Node) -> Option<&Node> {
    n.children.iter().find(|c| c.kind == Kind::Config)
}

fn platform_diff(
    platform: &str,
    l: &Node,
    r: &Node,
    options: CompareOptions,
    incomplete: &mut Vec<Unread>,
) -> PlatformDiff {
    let layers = |n: &Node| -> Vec<String> {
        n.children
            .iter()
            .filter(|c| c.kind == Kind::Layer)
            .map(|c| c.digest.clone())
            .collect()
    };
    let (lc, rc) = (config_node(l), config_node(r));
    let (ll, rl) = (layers(l), layers(r));
    let lset: BTreeSet<&String> = ll.iter().collect();
    let rset: BTreeSet<&String> = rl.iter().collect();
    let diff = PlatformDiff {
        platform: platform.to_string(),
        left_manifest: l.digest.clone(),
        right_manifest: r.digest.clone(),
        left_config: lc.map(|c| c.digest.clone()),
        right_config: rc.map(|c| c.digest.clone()),
        layers_shared: lset.intersection(&rset).count(),
        layers_only_left: ll.iter().filter(|d| !rset.contains(d)).cloned().collect(),
        layers_only_right: rl.iter().filter(|d| !lset.contains(d)).cloned().collect(),
        config_changes: match (config::Settings::of(l), config::Settings::of(r)) {
            (Some(a), Some(b)) => config_changes(a, b, options.show_env_values),
            _ => Vec::new(),
        },
    };
    // A manifest cut short by the tree budget: its layers were not all seen.
    for (n, s) in [(l, Side::Left), (r, Side::Right)] {
        if let Some(p @ Problem::Cut { .. }) = &n.problem {
            incomplete.push(Unread {
                lines: Vec::new(),
                side: s,
                what: format!("the layers of {platform}"),
                why: problem_words(p),
            });
        }
    }
    // Different config digests differ whatever they hold; but which settings changed is
    // only known when both configs were read.
    if diff.left_config != diff.right_config {
        let unread: Vec<(Side, &Node)> = [(lc, Side::Left), (rc, Side::Right)]
            .into_iter()
            .filter_map(|(c, s)| {
                c.filter(|c| c.config.is_none() && c.problem.is_some())
                    .map(|c| (s, c))
            })
            .collect();
        let side = match unread.as_slice() {
            [] => None,
            [(s, _)] => Some(*s),
            _ => Some(Side::Both),
        };
        if let Some(side) = side {
            incomplete.push(Unread {
                lines: Vec::new(),
                side,
                what: format!("the config of {platform}"),
                why: unread
                    .iter()
                    .map(|(_, c)| format!("{} {}", short(&c.digest), node_words(c)))
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
    }
    diff
}

/// Which subjects of the two sides are the same for pairing attachments: a subject with the
/// same digest on both sides; the two roots when they run the same (every platform read,
/// the same on both sides, nothing unread); a platform's manifests when that platform runs
/// the same (same config, same layers). Any other subject is its own and pairs with nothing:
/// two unrelated images never have "made again" attachments.
struct Subjects {
    keys: [HashMap<String, String>; 2],
}

impl Subjects {
    fn new(roots: (&String, &String), same_image: bool, platforms: &[PlatformDiff]) -> Self {
        let mut keys: [HashMap<String, String>; 2] = [HashMap::new(), HashMap::new()];
        for p in platforms.iter().filter(|p| p.runs_the_same()) {
            let key = format!("platform {}", p.platform);
            keys[0].insert(p.left_manifest.clone(), key.clone());
            keys[1].insert(p.right_manifest.clone(), key);
        }
        if same_image {
            keys[0].insert(roots.0.clone(), "the image".into());
            keys[1].insert(roots.1.clone(), "the image".into());
        }
        Self { keys }
    }

    /// What `a` (on `side` 0 or 1) is about, for pairing: a key shared with its counterpart,
    /// else its subject's digest, else (no subject known) its own digest.
    fn key(&self, side: usize, a: &Attachment) -> String {
        if a.subject.is_empty() {
            return format!("unknown subject of {}", a.digest);
        }
        self.keys[side]
            .get(&a.subject)
            .cloned()
            .unwrap_or_else(|| format!("subject {}", a.subject))
    }
}

/// Attachments of two trees paired up: the same digest on both sides is the same attachment
/// (copying tools keep digests), wherever each side stores it (referrers API or tags). What is
/// left pairs by what it carries and what it is about (see [`Subjects`]): another signature of
/// the same kind for the same subject was made again, not lost. One entry per kind an
/// attachment carries. Attachments that could not be read are left out here and listed as
/// unread.
#[derive(Debug, Default, PartialEq, Eq)]
struct Matched {
    only_left: Vec<String>,
    only_right: Vec<String>,
    replaced: Vec<String>,
}

/// Unmatched attachments by pairing key: (label, digest) each.
type ByKey<'a> = BTreeMap<&'a str, Vec<(&'a str, &'a str)>>;

fn match_attachments(left: &[Attachment], right: &[Attachment], subjects: &Subjects) -> Matched {
    // (pairing key, label, digest)
    let usable = |list: &[Attachment], side: usize| -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = list
            .iter()
            .filter(|a| a.problem.is_none())
            .flat_map(|a| {
                a.carries.iter().map(move |c| {
                    (
                        format!("{} for {}", c.as_str(), subjects.key(side, a)),
                        what_for(c.as_str(), a),
                        a.digest.clone(),
                    )
                })
            })
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let (l, r) = (usable(left, 0), usable(right, 1));
    let digests = |list: &[(String, String, String)]| -> BTreeSet<String> {
        list.iter().map(|(_, _, d)| d.clone()).collect()
    };
    let (ld, rd) = (digests(&l), digests(&r));
    // Unmatched by digest, per kind and subject, in a stable order.
    let mut left_by: ByKey<'_> = BTreeMap::new();
    let mut right_by: ByKey<'_> = BTreeMap::new();
    for (key, what, d) in l.iter().filter(|(_, _, d)| !rd.contains(d)) {
        left_by.entry(key).or_default().push((what, d));
    }
    for (key, what, d) in r.iter().filter(|(_, _, d)| !ld.contains(d)) {
        right_by.entry(key).or_default().push((what, d));
    }
    let mut out = Matched::default();
    let label = |what: &str, d: &str| format!("{what} ({})", short(d));
    for (key, ls) in &left_by {
        let rs = right_by.remove(key).unwrap_or_default();
        for (i, (what, d)) in ls.iter().enumerate() {
            match rs.get(i) {
                Some((_, other)) => {
                    out.replaced
                        .push(format!("{what}: {} -> {}", short(d), short(other)));
                }
                None => out.only_left.push(label(what, d)),
            }
        }
        for (what, d) in rs.iter().skip(ls.len()) {
            out.only_right.push(label(what, d));
        }
    }
    for rs in right_by.into_values() {
        out.only_right
            .extend(rs.iter().map(|(what, d)| label(what, d)));
    }
    out
}

/// `signature for index`, `SBOM for linux/amd64`: one per kind an attachment carries (a
/// BuildKit attestation carries an SBOM and a provenance).
fn what_for(kind: &str, a: &Attachment) -> String {
    format!("{kind} for {}", sanitize(&a.subject_label))
}

#[cfg(test)]
mod tests;

//! How a manifest-tree node is presented, worded once for every front end.
//!
//! The text tree (`output::text`) and the TUI tree (`tui::draw::tree`) both render a
//! [`NodeLabel`]: they choose colour, case, column widths and which facts fit, never the words.
//! Every registry-supplied string is sanitised here, so a renderer can print what it gets.

// Counts and sizes are worded below `layers` and `analysis`, which word them too.
pub use crate::units::{count, human_size};
mod progress;

pub use progress::layers_progress;

use std::fmt;

use crate::analysis::{platform_label, Finding, Severity};
use crate::digest;
use crate::model::annotations::IN_TOTO_PREDICATE_TYPE;
use crate::model::media_type as mt;
use crate::model::{Kind, Node, Platform, Problem};
use crate::sanitize::sanitize;

/// What a piece of text means, so each renderer can colour it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    /// A name that heads a row (`index`, `manifest`).
    Strong,
    /// Plumbing: configs, layers.
    Dim,
    /// A runnable platform (`linux/amd64`).
    Platform,
    /// Not runnable and easy to mistake for an image: attestations, `unknown/unknown`.
    Attestation,
    /// Referrers and other side information.
    Info,
    /// Missing, broken, untrusted.
    Error,
}

/// Text with its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub tone: Tone,
}

impl Segment {
    fn new(text: impl Into<String>, tone: Tone) -> Self {
        Self {
            text: text.into(),
            tone,
        }
    }
}

/// What a [`Fact`] is about: renderers pick facts by it (a narrow tree leaves the media type to
/// its detail pane) and align them by it (the text tree gives predicates a column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    /// `OCI manifest`, `Docker manifest list`.
    MediaType,
    /// A manifest's `artifactType`.
    ArtifactType,
    /// What it holds: `1 layer, 116 B`, `4 entries, 11.0 KiB total`, `tar+gzip 116 B`.
    Contents,
    /// The platform a config declares.
    Platform,
    /// `user root`.
    User,
    /// `entrypoint [...]`, `cmd [...]`.
    Command,
    /// An in-toto statement's predicate type (a URI).
    Predicate,
    /// A one-line description: a statement's summary, a referrer's artifact type, `empty`.
    Summary,
}

/// One thing worth saying about a node, after its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: FactKind,
    pub text: String,
    pub tone: Tone,
}

/// The manifest an attestation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attested {
    /// `linux/amd64`, or `a manifest not in this index`.
    pub target: String,
    /// Its short digest.
    pub digest: String,
}

impl Attested {
    /// For an attestation: the manifest it is about, by platform when that is in the index.
    #[must_use]
    pub fn of(n: &Node) -> Option<Self> {
        let a = n.attests.as_ref()?;
        Some(Self {
            target: a.platform.as_ref().map_or_else(
                || "a manifest not in this index".to_string(),
                |p| sanitize(&platform_label(p)).into_owned(),
            ),
            digest: digest::short(&a.digest),
        })
    }
}

impl fmt::Display for Attested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.target, self.digest)
    }
}

/// What went wrong with a node: a headline for a tree row, a detail for wider output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemLabel {
    /// `MISSING`, `DIGEST MISMATCH`, `NOT FETCHED`, ...
    pub headline: &'static str,
    pub detail: String,
}

impl fmt::Display for ProblemLabel {
    /// `DIGEST MISMATCH: content hashes to sha256:…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.headline, self.detail)
    }
}

/// Everything a tree row says about one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLabel {
    pub kind: Kind,
    /// What the entry is: its platform for an image (`linux/amd64`), else `index`, `manifest`,
    /// `attestation for linux/amd64`, `config`, `layer`, `in-toto`, `referrer`, `missing`.
    pub title: Segment,
    /// The platform its descriptor claims (`unknown/unknown` for `BuildKit`'s attestations).
    pub platform: Option<Segment>,
    /// The short digest; `None` for in-toto statements, which their predicate names better.
    pub digest: Option<String>,
    /// For an attestation: the manifest it is about.
    pub attests: Option<Attested>,
    pub facts: Vec<Fact>,
    pub problem: Option<ProblemLabel>,
    /// The worst finding about this node itself.
    pub severity: Option<Severity>,
}

impl NodeLabel {
    /// The label of `node`, with the worst of `findings` that is about it.
    #[must_use]
    pub fn new(node: &Node, findings: &[Finding]) -> Self {
        let attests = Attested::of(node);
        Self {
            kind: node.kind,
            title: title(node, attests.as_ref()),
            platform: node.platform.as_ref().map(platform_segment),
            digest: (node.kind != Kind::Statement).then(|| digest::short(&node.digest)),
            attests,
            facts: facts(node),
            problem: problem(node),
            severity: findings
                .iter()
                .filter(|f| f.digest == node.digest)
                .map(|f| f.severity)
                .max(),
        }
    }

    /// The facts of the given kinds, in order.
    pub fn facts_of<'a>(&'a self, kinds: &'a [FactKind]) -> impl Iterator<Item = &'a Fact> {
        self.facts.iter().filter(|f| kinds.contains(&f.kind))
    }
}

fn platform_segment(p: &Platform) -> Segment {
    let tone = if p.is_unknown() {
        Tone::Attestation
    } else {
        Tone::Platform
    };
    Segment::new(sanitize(&platform_label(p)), tone)
}

/// An image entry is named by its platform; everything else by what it is.
fn title(n: &Node, attests: Option<&Attested>) -> Segment {
    let platform_or = |word: &str| {
        n.platform
            .as_ref()
            .map_or_else(|| Segment::new(word, Tone::Strong), platform_segment)
    };
    match n.kind {
        Kind::Index => platform_or("index"),
        Kind::Manifest => platform_or("manifest"),
        Kind::Missing => Segment::new(
            n.platform.as_ref().map_or_else(
                || "missing".to_string(),
                |p| sanitize(&platform_label(p)).into_owned(),
            ),
            Tone::Error,
        ),
        Kind::Attestation => Segment::new(
            attests.map_or_else(
                || "attestation".to_string(),
                |a| format!("attestation for {}", a.target),
            ),
            Tone::Attestation,
        ),
        Kind::Config => Segment::new("config", Tone::Dim),
        Kind::Layer => Segment::new("layer", Tone::Dim),
        Kind::Statement => Segment::new("in-toto", Tone::Attestation),
        Kind::Referrer => Segment::new(
            crate::attachments::carries(n, n.origin.as_ref().map_or(&[], |o| &o.tags))
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Tone::Info,
        ),
    }
}

fn fact(kind: FactKind, text: impl Into<String>) -> Fact {
    Fact {
        kind,
        text: text.into(),
        tone: if kind == FactKind::Platform {
            Tone::Platform
        } else {
            Tone::Normal
        },
    }
}

fn media_type(n: &Node) -> Fact {
    fact(FactKind::MediaType, sanitize(&mt::describe(&n.media_type)))
}

fn facts(n: &Node) -> Vec<Fact> {
    // A manifest that could not be read has no contents to count: "0 layers" would mislead.
    let unread = n.problem.is_some() && n.children.is_empty();
    match n.kind {
        Kind::Index if unread => vec![media_type(n)],
        Kind::Index => {
            let entries = n
                .children
                .iter()
                .filter(|c| c.kind != Kind::Referrer)
                .count();
            vec![
                media_type(n),
                fact(
                    FactKind::Contents,
                    format!(
                        "{}, {} total",
                        count(entries, "entry", "entries"),
                        human_size(n.total_size())
                    ),
                ),
            ]
        }
        Kind::Manifest => {
            let mut facts = vec![media_type(n)];
            if let Some(t) = &n.artifact_type {
                facts.push(fact(FactKind::ArtifactType, sanitize(t)));
            }
            if unread {
                return facts;
            }
            let layers = n.layer_count();
            facts.push(fact(
                FactKind::Contents,
                format!(
                    "{}, {}",
                    count(layers, "layer", "layers"),
                    human_size(n.layers_size())
                ),
            ));
            // An unknown/unknown config is an attestation's: it runs nothing, as no user.
            let runnable = n
                .config_summary()
                .filter(|c| !crate::analysis::config_platform(c).is_unknown());
            if let Some(c) = runnable {
                let user = if c.runs_as_root() {
                    "root".into()
                } else {
                    sanitize(&c.user)
                };
                facts.push(fact(FactKind::User, format!("user {user}")));
            }
            facts
        }
        Kind::Config => config_facts(n),
        Kind::Layer if n.payload.is_some() => n
            .payload
            .iter()
            .map(|p| fact(FactKind::Summary, sanitize(&p.one_line())))
            .collect(),
        Kind::Layer => vec![fact(
            FactKind::Contents,
            format!(
                "{} {}",
                sanitize(&mt::describe(&n.media_type)),
                human_size(n.size)
            ),
        )],
        Kind::Statement => {
            let predicate = n
                .annotations
                .get(IN_TOTO_PREDICATE_TYPE)
                .or_else(|| n.statement.as_ref().map(|s| &s.predicate_type))
                .filter(|p| !p.is_empty());
            let summary = n.statement.as_ref().map_or_else(
                || mt::describe(&n.media_type),
                crate::model::intoto::StatementSummary::one_line,
            );
            predicate
                .map(|p| fact(FactKind::Predicate, sanitize(p)))
                .into_iter()
                .chain([fact(FactKind::Summary, sanitize(&summary))])
                .collect()
        }
        Kind::Referrer => {
            // Where it was found first: the artifact type is long and in the detail pane too.
            let mut facts: Vec<Fact> = n
                .origin
                .iter()
                .map(|o| fact(FactKind::Summary, format!("via {}", o.describe())))
                .collect();
            facts.push(fact(
                FactKind::Summary,
                sanitize(n.artifact_type.as_deref().unwrap_or(&n.media_type)),
            ));
            facts
        }

        Kind::Attestation | Kind::Missing => Vec::new(),
    }
}

fn config_facts(n: &Node) -> Vec<Fact> {
    let Some(c) = &n.config else {
        let what = if n.media_type == mt::OCI_EMPTY || n.size <= 2 {
            "empty".to_string()
        } else {
            sanitize(&mt::describe(&n.media_type)).into_owned()
        };
        return vec![fact(FactKind::Summary, what)];
    };
    let mut facts = vec![fact(FactKind::Platform, sanitize(&c.platform_string()))];
    if let Some(ep) = c.entrypoint.as_ref().filter(|v| !v.is_empty()) {
        let text = format!("entrypoint {}", sanitize(&format!("{ep:?}")));
        facts.push(fact(FactKind::Command, text));
    }
    if let Some(cmd) = c.cmd.as_ref().filter(|v| !v.is_empty()) {
        facts.push(fact(
            FactKind::Command,
            format!("cmd {}", sanitize(&format!("{cmd:?}"))),
        ));
    }
    facts
}

fn problem(n: &Node) -> Option<ProblemLabel> {
    let (headline, detail) = match &n.problem {
        Some(Problem::Missing { .. }) => ("MISSING", "the registry does not have it".into()),
        None if n.kind == Kind::Missing => ("MISSING", "the registry does not have it".into()),
        None => return None,
        Some(Problem::DigestMismatch { actual, .. }) => (
            "DIGEST MISMATCH",
            format!("content hashes to {}", digest::short(actual)),
        ),
        Some(Problem::TooLarge { limit, .. }) => (
            "TOO LARGE",
            format!(
                "over {}",
                human_size(i64::try_from(*limit).unwrap_or(i64::MAX))
            ),
        ),
        Some(Problem::Malformed { detail }) => ("MALFORMED", sanitize(detail).into_owned()),
        Some(Problem::Cycle) => ("CYCLE", "refers back to an index above".into()),
        Some(Problem::FetchFailed { detail }) => ("NOT FETCHED", sanitize(detail).into_owned()),
        Some(Problem::Cut {
            detail,
            repeated: true,
        }) => ("SHOWN ABOVE", sanitize(detail).into_owned()),
        Some(Problem::Cut { detail, .. }) => ("CUT", sanitize(detail).into_owned()),
    };
    Some(ProblemLabel { headline, detail })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::analysis::Code;
    use crate::model::annotations::{ATTESTATION_MANIFEST, REFERENCE_DIGEST, REFERENCE_TYPE};
    use crate::model::config::summarize_config;
    use crate::model::{Attests, Descriptor};

    // Digests and blobs of tests/fixtures/docker-attest/unsigned-index.
    const AMD64: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";
    const ARM64: &str = "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e";
    const AMD64_ATTESTATION: &str =
        "sha256:26da286bbc886aa14d191808db8fcbbd5d8ec68cf0047f954133e76d8e73d71c";
    const AMD64_CONFIG: &str =
        "sha256:1c70b3e7c3a57801501ec127aa6c918c390c373294ec4fc48f2c6fe703fcc6fe";
    const LAYER: &str = "sha256:97a548f8d65d9ab617f608dd621f59e0d43a3b346f34c34eb58da31f00a9b0ad";
    const AMD64_CONFIG_BLOB: &[u8] = include_bytes!(
        "../../tests/fixtures/docker-attest/unsigned-index/blobs/sha256/1c70b3e7c3a57801501ec127aa6c918c390c373294ec4fc48f2c6fe703fcc6fe"
    );

    fn node(kind: Kind, digest: &str, media_type: &str, size: i64) -> Node {
        Node::from_descriptor(
            kind,
            &Descriptor {
                media_type: media_type.into(),
                digest: digest.into(),
                size,
                platform: None,
                annotations: BTreeMap::new(),
                artifact_type: None,
                urls: Vec::new(),
            },
        )
    }

    fn layer() -> Node {
        node(
            Kind::Layer,
            LAYER,
            "application/vnd.oci.image.layer.v1.tar+gzip",
            116,
        )
    }

    fn config() -> Node {
        let mut n = node(Kind::Config, AMD64_CONFIG, mt::OCI_CONFIG, 481);
        n.config = Some(summarize_config(AMD64_CONFIG_BLOB).expect("fixture config"));
        n
    }

    /// The fixture's linux/amd64 image manifest, its config and layer.
    fn amd64() -> Node {
        let mut n = node(Kind::Manifest, AMD64, mt::OCI_MANIFEST, 673);
        n.platform = Some(Platform::new("linux", "amd64", None));
        n.children = vec![config(), layer()];
        n
    }

    fn texts(label: &NodeLabel) -> Vec<&str> {
        label.facts.iter().map(|f| f.text.as_str()).collect()
    }

    #[test]
    fn an_attestation_is_labelled_with_the_platform_it_attests() {
        let mut n = node(Kind::Attestation, AMD64_ATTESTATION, mt::OCI_MANIFEST, 836);
        n.platform = Some(Platform::new("unknown", "unknown", None));
        n.annotations = BTreeMap::from([
            (REFERENCE_TYPE.to_string(), ATTESTATION_MANIFEST.to_string()),
            (REFERENCE_DIGEST.to_string(), AMD64.to_string()),
        ]);
        n.attests = Some(Attests {
            digest: AMD64.into(),
            platform: Some(Platform::new("linux", "amd64", None)),
        });
        let label = NodeLabel::new(&n, &[]);
        assert_eq!(
            label.title,
            Segment::new("attestation for linux/amd64", Tone::Attestation)
        );
        assert_eq!(
            label.platform,
            Some(Segment::new("unknown/unknown", Tone::Attestation))
        );
        assert_eq!(label.digest.as_deref(), Some("sha256:26da286b…"));
        let attests = label.attests.expect("attests");
        assert_eq!(attests.to_string(), "linux/amd64 (sha256:da8b1906…)");
        assert!(label.facts.is_empty() && label.problem.is_none());

        // Its subject is not an entry of the index: say so rather than guess a platform.
        n.attests = Some(Attests {
            digest: ARM64.into(),
            platform: None,
        });
        let label = NodeLabel::new(&n, &[]);
        assert_eq!(
            label.title.text,
            "attestation for a manifest not in this index"
        );
        n.attests = None;
        assert_eq!(NodeLabel::new(&n, &[]).title.text, "attestation");
    }

    #[test]
    fn a_missing_child_keeps_its_platform_and_says_the_registry_does_not_have_it() {
        let mut n = node(Kind::Missing, ARM64, mt::OCI_MANIFEST, 673);
        n.platform = Some(Platform::new("linux", "arm64", None));
        n.problem = Some(Problem::Missing {
            detail: "MANIFEST_UNKNOWN".into(),
        });
        let findings = [
            Finding::new(Code::DanglingReference, ARM64, "gone"),
            Finding::new(Code::RunsAsRoot, AMD64, "elsewhere"),
        ];
        let label = NodeLabel::new(&n, &findings);
        assert_eq!(label.title, Segment::new("linux/arm64", Tone::Error));
        assert_eq!(
            label.platform,
            Some(Segment::new("linux/arm64", Tone::Platform))
        );
        assert!(label.facts.is_empty());
        let problem = label.problem.expect("a problem");
        assert_eq!(problem.headline, "MISSING");
        assert_eq!(
            problem.to_string(),
            "MISSING: the registry does not have it"
        );
        assert_eq!(label.severity, Some(Severity::Error));

        n.platform = None;
        assert_eq!(NodeLabel::new(&n, &[]).title.text, "missing");
    }

    #[test]
    fn a_digest_mismatch_names_what_the_content_hashes_to_and_counts_nothing() {
        let mut n = amd64();
        n.children.clear();
        n.problem = Some(Problem::DigestMismatch {
            expected: AMD64.into(),
            actual: ARM64.into(),
            loops: false,
        });
        let label = NodeLabel::new(&n, &[]);
        assert_eq!(texts(&label), ["OCI manifest"], "no `0 layers, 0 B`");
        assert_eq!(
            label.problem.expect("a problem").to_string(),
            "DIGEST MISMATCH: content hashes to sha256:7a76cec9…"
        );
    }

    #[test]
    fn other_problems_have_a_headline_and_a_sanitised_detail() {
        let mut n = layer();
        for (problem, expected) in [
            (
                Problem::TooLarge {
                    limit: 4 * 1024 * 1024,
                    size: None,
                },
                "TOO LARGE: over 4.0 MiB",
            ),
            (
                Problem::Malformed {
                    detail: "not JSON\x1b[2J".into(),
                },
                "MALFORMED: not JSON\\u{1b}[2J",
            ),
            (Problem::Cycle, "CYCLE: refers back to an index above"),
            (
                Problem::FetchFailed {
                    detail: "503".into(),
                },
                "NOT FETCHED: 503",
            ),
        ] {
            n.problem = Some(problem);
            let label = NodeLabel::new(&n, &[]);
            assert_eq!(label.problem.expect("a problem").to_string(), expected);
        }
    }

    #[test]
    fn a_config_shows_its_platform_and_command_or_says_it_is_empty() {
        let label = NodeLabel::new(&config(), &[]);
        assert_eq!(label.title, Segment::new("config", Tone::Dim));
        assert_eq!(label.digest.as_deref(), Some("sha256:1c70b3e7…"));
        assert_eq!(
            label.facts,
            [Fact {
                kind: FactKind::Platform,
                text: "linux/amd64".into(),
                tone: Tone::Platform
            }]
        );

        let mut with_command = config();
        let c = with_command.config.as_mut().expect("config");
        c.entrypoint = Some(vec!["/app/handler".into()]);
        c.cmd = Some(vec!["--port".into(), "80".into()]);
        let label = NodeLabel::new(&with_command, &[]);
        assert_eq!(
            texts(&label),
            [
                "linux/amd64",
                r#"entrypoint ["/app/handler"]"#,
                r#"cmd ["--port", "80"]"#
            ]
        );

        let empty = node(Kind::Config, AMD64_CONFIG, mt::OCI_EMPTY, 2);
        assert_eq!(texts(&NodeLabel::new(&empty, &[])), ["empty"]);
        let undecoded = node(Kind::Config, AMD64_CONFIG, "application/x-custom", 300);
        assert_eq!(
            texts(&NodeLabel::new(&undecoded, &[])),
            ["application/x-custom"]
        );
    }

    #[test]
    fn layers_show_their_size_and_manifests_and_indexes_add_them_up() {
        let label = NodeLabel::new(&layer(), &[]);
        assert_eq!(label.title, Segment::new("layer", Tone::Dim));
        assert_eq!(texts(&label), ["tar+gzip 116 B"]);

        let mut image = amd64();
        image.children.push(node(
            Kind::Layer,
            ARM64,
            "application/vnd.oci.image.layer.v1.tar+zstd",
            2048,
        ));
        let label = NodeLabel::new(&image, &[]);
        assert_eq!(label.title, Segment::new("linux/amd64", Tone::Platform));
        assert_eq!(
            texts(&label),
            ["OCI manifest", "2 layers, 2.1 KiB", "user root"]
        );

        // Two configs of 481 B, and the layer both images share counted once: 1078 B.
        let mut index = node(Kind::Index, AMD64_ATTESTATION, mt::OCI_INDEX, 1607);
        let mut arm64 = amd64();
        arm64.digest = ARM64.into();
        arm64.children[0].digest = AMD64_ATTESTATION.into();
        index.children = vec![amd64(), arm64];
        let label = NodeLabel::new(&index, &[]);
        assert_eq!(label.title, Segment::new("index", Tone::Strong));
        assert_eq!(
            texts(&label),
            ["OCI image index", "2 entries, 1.1 KiB total"]
        );
        index.children.truncate(1);
        assert_eq!(
            label_contents(&index),
            "1 entry, 597 B total",
            "singular, and the total is config plus layer"
        );
    }

    #[test]
    fn an_unknown_platform_config_runs_nothing_so_no_user_is_claimed() {
        let mut n = amd64();
        let c = n.children[0].config.as_mut().expect("config");
        c.os = "unknown".into();
        c.architecture = "unknown".into();
        assert_eq!(
            texts(&NodeLabel::new(&n, &[])),
            ["OCI manifest", "1 layer, 116 B"]
        );
        assert!(
            crate::analysis::analyze(&n)
                .iter()
                .all(|f| f.code != Code::RunsAsRoot),
            "no runs-as-root for an attestation's config"
        );
    }

    fn label_contents(n: &Node) -> String {
        let label = NodeLabel::new(n, &[]);
        let contents: Vec<_> = label.facts_of(&[FactKind::Contents]).collect();
        contents[0].text.clone()
    }

    #[test]
    fn a_statement_is_named_by_its_predicate_and_summary_not_its_digest() {
        let mut n = node(Kind::Statement, LAYER, mt::IN_TOTO, 1200);
        n.annotations = BTreeMap::from([(
            IN_TOTO_PREDICATE_TYPE.to_string(),
            "https://spdx.dev/Document".to_string(),
        )]);
        let label = NodeLabel::new(&n, &[]);
        assert_eq!(label.title, Segment::new("in-toto", Tone::Attestation));
        assert_eq!(label.digest, None);
        assert_eq!(texts(&label), ["https://spdx.dev/Document", "in-toto"]);
    }

    #[test]
    fn registry_strings_are_sanitised_and_an_unknown_platform_looks_like_an_attestation() {
        let mut n = amd64();
        n.platform = Some(Platform::new("unknown", "unknown", None));
        n.artifact_type = Some("application/x\x1b]52;c;AAAA\x07".into());
        let label = NodeLabel::new(&n, &[]);
        assert_eq!(label.title.tone, Tone::Attestation);
        assert!(label.facts.iter().all(|f| !f.text.contains('\x1b')));
        assert_eq!(
            label.facts_of(&[FactKind::ArtifactType]).count(),
            1,
            "{:?}",
            label.facts
        );
    }
}

//! Signatures, SBOMs and provenance attached to an image, from the four places they are kept.
//!
//! `BuildKit` keeps attestation manifests inside the index; OCI 1.1 registries (ECR, Harbor)
//! serve the referrers API; registries without it (Docker Hub, GHCR, distribution) get a
//! `sha256-<hex>` tag holding an index of referrers (the tag schema: cosign v3, notation); older
//! cosign pushes `sha256-<hex>.sig`, `.att` and `.sbom` tags. regscope reads them all and
//! verifies none: each attachment names the tool that does.

pub mod discover;

use serde::Serialize;

use crate::analysis::{platform_label, Code, Finding};
use crate::model::intoto::PredicateKind;
use crate::model::media_type as mt;
use crate::model::payload::{Payload, BUNDLE_MESSAGE_SIGNATURE};
use crate::model::{Kind, Node};
use crate::sanitize::sanitize;

pub use crate::model::origin::{Origin, Source};
pub use discover::{Found, Orphan};

/// What an attachment carries, as far as its types and decoded content say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Carries {
    Signature,
    Sbom,
    Provenance,
    /// An in-toto attestation of another kind.
    Attestation,
    /// An artifact regscope has no word for.
    Other,
}

impl Carries {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Carries::Signature => "signature",
            Carries::Sbom => "SBOM",
            Carries::Provenance => "provenance",
            Carries::Attestation => "attestation",
            Carries::Other => "artifact",
        }
    }
}

/// One attachment of the tree: what it is, what it is about, where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub digest: String,
    /// The manifest or index it is about.
    pub subject: String,
    /// `index`, `linux/amd64`, `manifest`, `attachment` (a signature of an SBOM).
    pub subject_label: String,
    pub sources: Vec<Source>,
    pub tags: Vec<String>,
    pub artifact_type: Option<String>,
    pub carries: Vec<Carries>,
    /// Decoded one-line summaries (signer, package count, builder), sanitised.
    pub details: Vec<String>,
    /// The registry listed it but does not have it, or it could not be read.
    pub problem: Option<String>,
}

impl Attachment {
    /// The command that verifies what regscope only reads; `None` for unsigned content.
    #[must_use]
    pub fn verify_with(&self) -> Option<&'static str> {
        let types = self.artifact_type.as_deref().unwrap_or("");
        if types.starts_with(NOTATION_SIGNATURE) {
            Some("notation verify")
        } else if self.carries.contains(&Carries::Signature) {
            Some("cosign verify")
        } else if self.sources.contains(&Source::CosignTag)
            || types.starts_with(SIGSTORE_BUNDLE_PREFIX)
        {
            Some("cosign verify-attestation")
        } else {
            None
        }
    }

    /// ``not verified: check with `cosign verify` ``, or `unsigned, not verified`.
    #[must_use]
    pub fn verification(&self) -> String {
        match self.verify_with() {
            Some(tool) => format!("not verified: check with `{tool}`"),
            None => "unsigned, not verified".to_string(),
        }
    }
}

pub const COSIGN_SIGNATURE_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
// A media type is naming, below both attachments and verify (which reads the payload).
pub use crate::model::media_type::COSIGN_SIMPLE_SIGNING;
pub const SIGSTORE_BUNDLE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
pub const NOTATION_SIGNATURE: &str = "application/vnd.cncf.notary.signature";
pub const SPDX_JSON: &str = "application/spdx+json";
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";

/// Every attachment in `root`'s tree, in tree order: attestation manifests of an index and the
/// referrers regscope found for its manifests.
#[must_use]
pub fn collect(root: &Node) -> Vec<Attachment> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Node, Option<&Node>)> = vec![(root, None)];
    while let Some((node, parent)) = stack.pop() {
        match (node.kind, &node.origin, parent) {
            (Kind::Attestation, _, Some(_)) => out.push(from_attestation(node)),
            (_, Some(origin), Some(parent)) => out.push(from_referrer(node, origin, parent)),
            _ => {}
        }
        stack.extend(node.children.iter().rev().map(|c| (c, Some(node))));
    }
    out
}

fn from_attestation(node: &Node) -> Attachment {
    let (subject, subject_label) = node.attests.as_ref().map_or_else(
        || (String::new(), "a manifest not in this index".to_string()),
        |a| {
            (
                a.digest.clone(),
                a.platform
                    .as_ref()
                    .map_or_else(|| "a manifest not in this index".into(), platform_label),
            )
        },
    );
    Attachment {
        digest: node.digest.clone(),
        subject,
        subject_label: sanitize(&subject_label).into_owned(),
        sources: vec![Source::Index],
        tags: Vec::new(),
        artifact_type: node.artifact_type.clone(),
        carries: carries(node, &[]),
        details: details(node),
        problem: problem(node),
    }
}

fn from_referrer(node: &Node, origin: &Origin, parent: &Node) -> Attachment {
    let subject_label = match parent.kind {
        Kind::Index => "index".to_string(),
        Kind::Referrer | Kind::Attestation => "attachment".to_string(),
        _ => parent
            .platform
            .as_ref()
            .filter(|p| !p.is_unknown())
            .map_or_else(|| "manifest".into(), platform_label),
    };
    Attachment {
        digest: node.digest.clone(),
        subject: parent.digest.clone(),
        subject_label: sanitize(&subject_label).into_owned(),
        sources: origin.sources.clone(),
        tags: origin.tags.clone(),
        artifact_type: node.artifact_type.clone(),
        carries: carries(node, &origin.tags),
        details: details(node),
        problem: problem(node),
    }
}

fn problem(node: &Node) -> Option<String> {
    node.problem.as_ref().map(|_| {
        if node.kind == Kind::Missing {
            "listed, but the registry does not have it".to_string()
        } else {
            "could not be read".to_string()
        }
    })
}

/// What a node carries, from its artifact type, its layers, decoded statements and the tag it
/// came through.
#[must_use]
pub fn carries(node: &Node, tags: &[String]) -> Vec<Carries> {
    let mut out = Vec::new();
    let mut types: Vec<&str> = node.artifact_type.iter().map(String::as_str).collect();
    types.push(&node.media_type);
    for child in &node.children {
        types.push(&child.media_type);
        if let Some(p) = child
            .annotations
            .get(crate::model::annotations::IN_TOTO_PREDICATE_TYPE)
        {
            types.push(p);
        }
        if let Some(s) = &child.statement {
            out.push(match s.kind {
                PredicateKind::SlsaProvenance02 { .. } | PredicateKind::SlsaProvenance1 { .. } => {
                    Carries::Provenance
                }
                PredicateKind::Spdx { .. } | PredicateKind::CycloneDx { .. } => Carries::Sbom,
                PredicateKind::Other { .. } => Carries::Attestation,
            });
        }
        if let Some(p) = &child.payload {
            out.extend(payload_carries(p));
        }
    }
    for t in types {
        if let Some(c) = carries_of_type(t) {
            out.push(c);
        }
    }
    for tag in tags {
        out.push(match tag.rsplit_once('.').map(|(_, s)| s) {
            Some("sig") => Carries::Signature,
            Some("sbom") => Carries::Sbom,
            Some("att") => Carries::Attestation,
            _ => continue,
        });
    }
    out.sort();
    out.dedup();
    // A provenance or an SBOM statement is an attestation already said more precisely.
    if out.len() > 1 {
        out.retain(|c| *c != Carries::Attestation);
    }
    if out.is_empty() {
        out.push(if node.kind == Kind::Attestation {
            Carries::Attestation
        } else {
            Carries::Other
        });
    }
    out
}

fn payload_carries(p: &Payload) -> Vec<Carries> {
    match p {
        Payload::Sbom { .. } => vec![Carries::Sbom],
        Payload::SigstoreBundle { content, .. } if content != BUNDLE_MESSAGE_SIGNATURE => {
            // A bundle around a DSSE envelope signs an attestation: say which.
            vec![
                Carries::Signature,
                carries_of_type(content).unwrap_or(Carries::Attestation),
            ]
        }
        _ => vec![Carries::Signature],
    }
}

fn carries_of_type(t: &str) -> Option<Carries> {
    if t == COSIGN_SIGNATURE_ARTIFACT
        || t == COSIGN_SIMPLE_SIGNING
        || t.starts_with(NOTATION_SIGNATURE)
        || t.starts_with(SIGSTORE_BUNDLE_PREFIX)
    {
        Some(Carries::Signature)
    } else if t.starts_with(SPDX_JSON)
        || t.starts_with("text/spdx")
        || t.starts_with("application/vnd.cyclonedx")
        || t.starts_with("application/vnd.syft")
        || t.contains("spdx.dev/Document")
        || t.contains("cyclonedx.org/bom")
    {
        Some(Carries::Sbom)
    } else if t.contains("slsa.dev/provenance") {
        Some(Carries::Provenance)
    } else if t == mt::IN_TOTO || t == mt::DSSE_ENVELOPE {
        Some(Carries::Attestation)
    } else {
        None
    }
}

/// One line per decoded statement or payload below `node`.
fn details(node: &Node) -> Vec<String> {
    node.children
        .iter()
        .filter_map(|c| {
            c.statement
                .as_ref()
                .map(crate::model::intoto::StatementSummary::one_line)
                .or_else(|| c.payload.as_ref().map(Payload::one_line))
        })
        .map(|s| sanitize(&s).into_owned())
        .collect()
}

/// `attachment-orphaned` for each tag whose subject the registry no longer has.
#[must_use]
pub fn orphan_findings(orphans: &[Orphan]) -> Vec<Finding> {
    orphans
        .iter()
        .map(|o| {
            Finding::new(
                Code::AttachmentOrphaned,
                &o.subject,
                format!(
                    "tag {} holds attachments of {}, which the registry no longer has",
                    sanitize(&o.tag),
                    o.subject
                ),
            )
            .with_fix("The image it signed or described was deleted; delete the tag too (the registry's UI or API), or re-push the image if the deletion was a mistake")
        })
        .collect()
}

/// How an image stands against its policy, in one mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mark {
    /// No policy (or not looked at yet): signatures were read, not verified.
    #[default]
    Unknown,
    Verified,
    Failed,
}

impl Mark {
    /// `✓`, `✗`, `?`.
    #[must_use]
    pub fn symbol(self) -> char {
        match self {
            Mark::Verified => '✓',
            Mark::Failed => '✗',
            Mark::Unknown => '?',
        }
    }
}

/// What a tag carries, in one letter each for a narrow column: `S` signed, `B` SBOM (bill of
/// materials), `P` provenance, `A` another attestation, `R` a referrers index not yet read.
/// `S` is followed by the signature policy's mark: `✓` verified, `✗` failed, `?` no policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Badges {
    /// The config file's signature policy on the image; `Unknown` without one.
    pub policy: Mark,
    pub signed: bool,
    pub sbom: bool,
    pub provenance: bool,
    pub attested: bool,
    pub referrers: bool,
}

impl Badges {
    /// From the tree as built (attestations in the index, referrers when looked up) and the
    /// repository's `sha256-<hex>` tags (from the tag list already fetched: no request).
    #[must_use]
    pub fn of(root: &Node, schema_tags: &std::collections::HashSet<String>) -> Self {
        let mut b = Self::default();
        for a in collect(root).iter().filter(|a| a.problem.is_none()) {
            for c in &a.carries {
                match c {
                    Carries::Signature => b.signed = true,
                    Carries::Sbom => b.sbom = true,
                    Carries::Provenance => b.provenance = true,
                    Carries::Attestation => b.attested = true,
                    Carries::Other => {}
                }
            }
        }
        if schema_tags.is_empty() {
            return b;
        }
        let mut subjects = vec![root];
        subjects.extend(root.children.iter().filter(|c| c.is_runnable()));
        for n in subjects {
            let Ok(d) = crate::digest::Digest::parse(&n.digest) else {
                continue;
            };
            let base = d.referrers_tag();
            b.signed |= schema_tags.contains(&format!("{base}.sig"));
            b.sbom |= schema_tags.contains(&format!("{base}.sbom"));
            b.attested |= schema_tags.contains(&format!("{base}.att"));
            b.referrers |= schema_tags.contains(&base);
        }
        b
    }

    /// With what the referrers API listed for the tag (artifact types, no manifest fetched):
    /// a registry that keeps signatures only there (ECR, Harbor) shows them before the tree
    /// is opened.
    #[must_use]
    pub fn listed(mut self, artifact_types: &[String]) -> Self {
        for t in artifact_types {
            match carries_of_type(t) {
                Some(Carries::Signature) => self.signed = true,
                Some(Carries::Sbom) => self.sbom = true,
                Some(Carries::Provenance) => self.provenance = true,
                Some(Carries::Attestation) => self.attested = true,
                Some(Carries::Other) | None => {}
            }
        }
        self
    }

    /// `S✓BP`, `S?-P`, `-B-`, `-` when there is nothing. Under a policy the image's mark shows
    /// even unsigned (`S✗`): the policy wants a signature it does not have.
    #[must_use]
    pub fn letters(&self) -> String {
        if *self == Self::default() {
            return "-".into();
        }
        let mut out = String::new();
        match (self.policy, self.signed) {
            (Mark::Unknown, false) => out.push('-'),
            (mark, _) => {
                out.push('S');
                out.push(mark.symbol());
            }
        }
        for (on, c) in [(self.sbom, 'B'), (self.provenance, 'P')] {
            out.push(if on { c } else { '-' });
        }
        if self.attested {
            out.push('A');
        }
        if self.referrers {
            out.push('R');
        }
        out
    }

    /// `signed, SBOM, provenance`; empty when there is nothing.
    #[must_use]
    pub fn words(&self) -> String {
        [
            (self.signed, "signed"),
            (self.sbom, "SBOM"),
            (self.provenance, "provenance"),
            (self.attested, "attested"),
            (self.referrers, "referrers tag"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| *w)
        .collect::<Vec<_>>()
        .join(", ")
    }
}

//! The manifest tree: what a reference resolves to, node by node, as fetched.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::config::ConfigSummary;
use super::descriptor::{Descriptor, Platform};
use super::intoto::StatementSummary;
use super::origin::Origin;
use super::payload::Payload;

/// What a node is. The JSON output uses these names in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Index,
    Manifest,
    Attestation,
    Config,
    Layer,
    Statement,
    Referrer,
    Missing,
}

impl Kind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Index => "index",
            Kind::Manifest => "manifest",
            Kind::Attestation => "attestation",
            Kind::Config => "config",
            Kind::Layer => "layer",
            Kind::Statement => "statement",
            Kind::Referrer => "referrer",
            Kind::Missing => "missing",
        }
    }
}

/// For an attestation: the manifest it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attests {
    pub digest: String,
    /// The attested manifest's platform, from its descriptor in the same index.
    pub platform: Option<Platform>,
}

/// Something that went wrong fetching or reading a node; analysis turns these into findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The registry does not have it (404): deleted by a lifecycle rule, or never pushed.
    Missing { detail: String },
    /// The content does not hash to the digest it was fetched by: not trusted.
    /// `loops` when the bytes served are those of an index above this node (a cycle: with
    /// verified digests that is the only way one can appear).
    DigestMismatch {
        expected: String,
        actual: String,
        loops: bool,
    },
    /// Larger than regscope is willing to read.
    TooLarge { limit: u64, size: Option<u64> },
    /// Fetched but unreadable (not JSON, wrong shape, bad digest string).
    Malformed { detail: String },
    /// This index is already on the path from the root to here.
    Cycle,
    /// Any other failure (5xx, timeout, 429): the node could not be checked.
    FetchFailed { detail: String },
    /// Not expanded (or not all its entries): the tree budget stopped here. `repeated` when
    /// the same index was already expanded elsewhere in the tree (shown once, not copied).
    Cut { detail: String, repeated: bool },
}

/// One node of the tree. Fetched content keeps its exact bytes (`raw`) for the raw view.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub digest: String,
    pub media_type: String,
    /// The size the descriptor claims (for the root: the fetched length).
    pub size: i64,
    /// The platform the descriptor claims.
    pub platform: Option<Platform>,
    pub attests: Option<Attests>,
    pub annotations: BTreeMap<String, String>,
    pub artifact_type: Option<String>,
    /// Decoded config (config nodes).
    pub config: Option<ConfigSummary>,
    /// Decoded in-toto statement (statement nodes).
    pub statement: Option<StatementSummary>,
    /// Decoded signature or SBOM (layers of attachments).
    pub payload: Option<Payload>,
    /// For a referrer: where it was found (the referrers API, a tag).
    pub origin: Option<Origin>,
    pub problem: Option<Problem>,
    pub raw: Option<Bytes>,
    pub children: Vec<Node>,
}

/// OCI sizes are non-negative int64s. A negative one is refused where the descriptor is read:
/// the content is not fetched (a negative size once left a download unbounded), and the finding
/// names the value.
fn invalid_size(size: i64) -> Option<Problem> {
    (size < 0).then(|| Problem::Malformed {
        detail: format!(
            "its descriptor gives the size {size}; OCI sizes are non-negative, so the content was not fetched"
        ),
    })
}

impl Node {
    /// A node for `desc` with nothing fetched yet (a descriptor with an invalid size is
    /// marked malformed, and nothing should fetch it).
    #[must_use]
    pub fn from_descriptor(kind: Kind, desc: &Descriptor) -> Self {
        Self {
            kind,
            digest: desc.digest.clone(),
            media_type: desc.media_type.clone(),
            size: desc.size,
            platform: desc.platform.clone(),
            attests: None,
            annotations: desc.annotations.clone(),
            artifact_type: desc.artifact_type.clone(),
            config: None,
            statement: None,
            payload: None,
            origin: None,
            problem: invalid_size(desc.size),
            raw: None,
            children: Vec::new(),
        }
    }

    /// The config child of a manifest, when it was fetched and decoded.
    #[must_use]
    pub fn config_summary(&self) -> Option<&ConfigSummary> {
        self.children
            .iter()
            .find(|c| c.kind == Kind::Config)
            .and_then(|c| c.config.as_ref())
    }

    /// Sum of the sizes of this manifest's layers (its direct layer and statement children).
    #[must_use]
    pub fn layers_size(&self) -> i64 {
        self.children
            .iter()
            .filter(|c| matches!(c.kind, Kind::Layer | Kind::Statement))
            .map(|c| c.size.max(0))
            .sum()
    }

    /// Number of layer children.
    #[must_use]
    pub fn layer_count(&self) -> usize {
        self.children
            .iter()
            .filter(|c| matches!(c.kind, Kind::Layer | Kind::Statement))
            .count()
    }

    /// For an index: the sum of its runnable children's layer sizes (shared layers counted once).
    #[must_use]
    pub fn total_size(&self) -> i64 {
        let mut seen = std::collections::HashSet::new();
        let mut total = 0;
        self.walk(&mut |n| {
            if matches!(n.kind, Kind::Layer | Kind::Statement | Kind::Config)
                && seen.insert(n.digest.clone())
            {
                total += n.size.max(0);
            }
        });
        total
    }

    /// Visits this node and every descendant, depth first (without recursion: a tree from
    /// a hostile registry is bounded, but the stack should not be what bounds it).
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            f(node);
            stack.extend(node.children.iter().rev());
        }
    }

    /// All nodes, depth first.
    #[must_use]
    pub fn descendants(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        self.walk(&mut |n| out.push(n));
        out
    }

    /// Whether this is a runnable image manifest (not an attestation, not an artifact).
    #[must_use]
    pub fn is_runnable(&self) -> bool {
        self.kind == Kind::Manifest && !self.platform.as_ref().is_some_and(Platform::is_unknown)
    }
}

//! Amazon ECR as a first-class registry: recognising its hosts, logging in with AWS
//! credentials, and what only its API shows (untagged images, repository settings, lifecycle
//! policies), joined with the manifest trees so every image says what it is.
//!
//! The SDK parts (`api`) are behind the cargo feature `ecr` (on by default); without it,
//! ECR still works through a docker credential (`docker-credential-ecr-login`, or
//! `aws ecr get-login-password | docker login`), and `regscope images` lists what the tags
//! reach.

#[cfg(feature = "ecr")]
pub mod api;
// The AWS login is a credential source, below the connection that asks it (issue 20).
#[cfg(feature = "ecr")]
pub use crate::auth::ecr::chain;
pub use crate::auth::ecr::{
    api_endpoint, aws_source_hint, login, token_fresh_until, EcrError, Token,
};
pub mod dry_run;
// Recognising ECR hosts is naming, below the registry client that needs it (issue 20).
pub use crate::registry::ecr_host as host;
pub mod images;
pub mod inventory;
pub mod lambda;
pub mod lifecycle;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

pub use host::{EcrHost, PrivateRegistry};

/// Repositories read from `DescribeRepositories` at most (the catalog's own cap is larger).
pub const MAX_REPOSITORIES: usize = 20_000;
/// Images read from `DescribeImages` per repository at most (ECR's quota is 20,000 by default).
pub const MAX_IMAGES: usize = 20_000;

/// One repository as `DescribeRepositories` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRepository {
    pub name: String,
    pub uri: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// `MUTABLE`, `IMMUTABLE` (and the `_WITH_EXCLUSION` forms).
    pub tag_mutability: Option<String>,
    pub scan_on_push: Option<bool>,
    /// `AES256`, `KMS`, `KMS_DSSE`.
    pub encryption: Option<String>,
}

/// `created 2024-03-08 · IMMUTABLE · scan on push · KMS`: a repository's settings in a few
/// words (registry-supplied values sanitised).
#[must_use]
pub fn describe_repository(r: &EcrRepository) -> String {
    let mut facts = Vec::new();
    if let Some(c) = r.created_at {
        facts.push(format!("created {}", c.format("%Y-%m-%d")));
    }
    if let Some(m) = &r.tag_mutability {
        facts.push(crate::sanitize::sanitize(m).into_owned());
    }
    match r.scan_on_push {
        Some(true) => facts.push("scan on push".into()),
        Some(false) => facts.push("no scan on push".into()),
        None => {}
    }
    if let Some(e) = &r.encryption {
        facts.push(crate::sanitize::sanitize(e).into_owned());
    }
    facts.join(" · ")
}

/// One image (one digest) as `DescribeImages` reports it; the same shape is filled from the
/// tag list for registries without the ECR API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EcrImage {
    pub digest: String,
    pub tags: Vec<String>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub last_pulled_at: Option<DateTime<Utc>>,
    /// ECR's `imageSizeInBytes`: for an index, that of its largest child, not the total.
    pub size: Option<i64>,
    pub manifest_media_type: Option<String>,
    pub artifact_media_type: Option<String>,
    /// The manifest this one refers to (`subject`: a signature, SBOM or other referrer).
    pub subject: Option<String>,
    /// Basic or enhanced scanning status (`COMPLETE`, `FAILED`, ...).
    pub scan_status: Option<String>,
    /// Findings per severity (`CRITICAL`, `HIGH`, ...).
    pub severity_counts: BTreeMap<String, i64>,
    /// `ACTIVE`, `ARCHIVED` or `ACTIVATING`.
    pub status: Option<String>,
    pub archived_at: Option<DateTime<Utc>>,
}

//! What only the ECR API shows, through the SDK client of `auth::ecr::api` (cargo feature
//! `ecr`): repositories, images (untagged ones too) and lifecycle policies. Read-only calls
//! only; the client and its login live below the connection, beside the other credential
//! sources.

use std::collections::BTreeMap;

use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageStatusFilter, TagStatus};

use super::{EcrError, EcrImage, EcrRepository, MAX_IMAGES, MAX_REPOSITORIES};
pub use crate::auth::ecr::api::EcrApi;
use crate::auth::ecr::api::{classify, to_chrono};

impl EcrApi {
    /// Every repository (`DescribeRepositories`, paginated, at most [`MAX_REPOSITORIES`]).
    /// The flag says the list was cut there.
    pub async fn repositories(&self) -> Result<(Vec<EcrRepository>, bool), EcrError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = Pages::default();
        loop {
            let page = self
                .client
                .describe_repositories()
                .set_registry_id(self.registry_id.clone())
                .max_results(1000)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("DescribeRepositories", &e))?;
            out.extend(page.repositories().iter().map(repository));
            match page.next_token() {
                Some(next) if out.len() < MAX_REPOSITORIES && pages.advance(next) => {
                    token = Some(next.to_string());
                }
                Some(_) => return Ok((out, true)),
                None => return Ok((out, false)),
            }
        }
    }

    /// One repository's settings; `None` when it does not exist.
    pub async fn repository(&self, name: &str) -> Result<Option<EcrRepository>, EcrError> {
        match self
            .client
            .describe_repositories()
            .set_registry_id(self.registry_id.clone())
            .repository_names(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.repositories().first().map(repository)),
            Err(e) if e.code() == Some("RepositoryNotFoundException") => Ok(None),
            Err(e) => Err(classify("DescribeRepositories", &e)),
        }
    }

    /// Every image of `repository`, tagged and untagged, active and archived
    /// (`DescribeImages` with `tagStatus=ANY`, `imageStatus=ANY`, paginated, at most
    /// [`MAX_IMAGES`]). The flag says the list was cut there.
    pub async fn images(&self, repository: &str) -> Result<(Vec<EcrImage>, bool), EcrError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let filter = DescribeImagesFilter::builder()
            .tag_status(TagStatus::Any)
            .image_status(ImageStatusFilter::Any)
            .build();
        let mut pages = Pages::default();
        loop {
            let page = self
                .client
                .describe_images()
                .set_registry_id(self.registry_id.clone())
                .repository_name(repository)
                .filter(filter.clone())
                .max_results(1000)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("DescribeImages", &e))?;
            for d in page.image_details() {
                out.push(image(d));
            }
            match page.next_token() {
                Some(next) if out.len() < MAX_IMAGES && pages.advance(next) => {
                    token = Some(next.to_string());
                }
                Some(_) => return Ok((out, true)),
                None => return Ok((out, false)),
            }
        }
    }

    /// The repository's lifecycle policy text, `None` when it has none.
    pub async fn lifecycle_policy(&self, repository: &str) -> Result<Option<String>, EcrError> {
        match self
            .client
            .get_lifecycle_policy()
            .set_registry_id(self.registry_id.clone())
            .repository_name(repository)
            .send()
            .await
        {
            Ok(out) => Ok(out.lifecycle_policy_text().map(str::to_string)),
            Err(e) if e.code() == Some("LifecyclePolicyNotFoundException") => Ok(None),
            Err(e) => Err(classify("GetLifecyclePolicy", &e)),
        }
    }
}

/// Pagination guard: a hostile or broken API that repeats a `nextToken`, or pages forever with
/// empty pages, ends the listing (reported as truncated) instead of looping.
#[derive(Default)]
struct Pages {
    seen: std::collections::HashSet<String>,
}

/// Pages read per listing at most (1000 entries each when full: far past the caps).
const MAX_PAGES: usize = 500;

impl Pages {
    /// Whether to follow `next`: new, and under the page cap.
    fn advance(&mut self, next: &str) -> bool {
        self.seen.len() < MAX_PAGES && self.seen.insert(next.to_string())
    }
}

fn repository(r: &aws_sdk_ecr::types::Repository) -> EcrRepository {
    EcrRepository {
        name: r.repository_name().unwrap_or_default().to_string(),
        uri: r.repository_uri().map(str::to_string),
        created_at: r.created_at().and_then(to_chrono),
        tag_mutability: r.image_tag_mutability().map(|m| m.as_str().to_string()),
        scan_on_push: r
            .image_scanning_configuration()
            .map(aws_sdk_ecr::types::ImageScanningConfiguration::scan_on_push),
        encryption: r
            .encryption_configuration()
            .map(|e| e.encryption_type().as_str().to_string()),
    }
}

fn image(d: &aws_sdk_ecr::types::ImageDetail) -> EcrImage {
    let severity_counts: BTreeMap<String, i64> = d
        .image_scan_findings_summary()
        .and_then(|s| s.finding_severity_counts())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().to_string(), i64::from(*v)))
                .collect()
        })
        .unwrap_or_default();
    EcrImage {
        digest: d.image_digest().unwrap_or_default().to_string(),
        tags: d.image_tags().to_vec(),
        pushed_at: d.image_pushed_at().and_then(to_chrono),
        last_pulled_at: d.last_recorded_pull_time().and_then(to_chrono),
        size: d.image_size_in_bytes(),
        manifest_media_type: d.image_manifest_media_type().map(str::to_string),
        artifact_media_type: d.artifact_media_type().map(str::to_string),
        subject: d.subject_manifest_digest().map(str::to_string),
        scan_status: d
            .image_scan_status()
            .and_then(|s| s.status())
            .map(|s| s.as_str().to_string()),
        severity_counts,
        status: d.image_status().map(|s| s.as_str().to_string()),
        archived_at: d.last_archived_at().and_then(to_chrono),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_or_endless_next_token_ends_the_listing() {
        let mut pages = Pages::default();
        assert!(pages.advance("a"));
        assert!(!pages.advance("a"), "a repeated token is not followed");
        let mut endless = Pages::default();
        let followed = (0..10_000)
            .take_while(|i| endless.advance(&i.to_string()))
            .count();
        assert_eq!(followed, MAX_PAGES);
    }
}

//! Harbor: recognised from its own `/api/v2.0/systeminfo` once the catalog is refused (Harbor
//! gives the catalog to admins only), then its projects and their repositories, with the
//! docker login sent as basic auth; a repository's tags from its artifacts, each with its
//! digest and push time.

use serde::Deserialize;

use super::api::Api;
use super::{
    day, pages, plain_name, walk, walk_namespaces, Gathering, Listing, Namespaced, Native, Tag,
    Tags, MAX_NAMES,
};
use crate::registry::{Credentials, FetchError};

#[derive(Deserialize, Clone, PartialEq)]
struct Project {
    name: String,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Repository {
    /// `project/name`.
    name: String,
    #[serde(default)]
    artifact_count: Option<u64>,
    #[serde(default)]
    update_time: Option<String>,
}

/// One artifact of `/api/v2.0/projects/P/repositories/R/artifacts?with_tag=true`.
#[derive(Deserialize, Clone, PartialEq)]
struct Artifact {
    digest: String,
    #[serde(default)]
    push_time: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    /// `null` for an untagged artifact.
    #[serde(default)]
    tags: Option<Vec<ArtifactTag>>,
    /// An image's own platform (`os`, `architecture`).
    #[serde(default)]
    extra_attrs: Option<Platform>,
    /// An index's children, each with its platform.
    #[serde(default)]
    references: Option<Vec<Child>>,
    /// By report media type: the scanner's verdict (`with_scan_overview=true`).
    #[serde(default)]
    scan_overview: Option<std::collections::BTreeMap<String, ScanReport>>,
}

/// One scanner's overview of an artifact, as Harbor's API gives it.
#[derive(Deserialize, Clone, PartialEq)]
struct ScanReport {
    #[serde(default)]
    scan_status: Option<String>,
    /// The worst severity found (`Critical`, `High`, ..., `None`).
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    summary: Option<ScanSummary>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct ScanSummary {
    #[serde(default)]
    total: Option<u64>,
    /// Count per severity.
    #[serde(default)]
    summary: Option<std::collections::BTreeMap<String, u64>>,
}

/// Harbor's severities, worst first: the order counts are said in.
const SEVERITIES: [&str; 6] = ["Critical", "High", "Medium", "Low", "Negligible", "Unknown"];

impl ScanReport {
    /// `High: 12 vulnerabilities (1 Critical, 2 High, 9 Medium)`, `no vulnerabilities found`,
    /// or the scan's state while it is not done (`not finished (Running)`); sanitized.
    fn words(&self) -> String {
        let clean = |s: &str| crate::sanitize::sanitize(s).into_owned();
        let status = self.scan_status.as_deref().unwrap_or("");
        if !status.eq_ignore_ascii_case("success") {
            let state = if status.is_empty() {
                "state unknown"
            } else {
                status
            };
            return format!("not finished ({})", clean(state));
        }
        let summary = self.summary.as_ref();
        let total = summary.and_then(|s| s.total).unwrap_or(0);
        if total == 0 {
            return "no vulnerabilities found".into();
        }
        let counts = summary.and_then(|s| s.summary.as_ref());
        let by: Vec<String> = SEVERITIES
            .iter()
            .filter_map(|sev| {
                let n = *counts?.get(*sev)?;
                (n > 0).then(|| format!("{n} {sev}"))
            })
            .collect();
        let severity = clean(self.severity.as_deref().unwrap_or("unknown severity"));
        let noun = if total == 1 {
            "vulnerability"
        } else {
            "vulnerabilities"
        };
        if by.is_empty() {
            format!("{severity}: {total} {noun}")
        } else {
            format!("{severity}: {total} {noun} ({})", by.join(", "))
        }
    }
}

#[derive(Deserialize, Clone, PartialEq)]
struct ArtifactTag {
    name: String,
    /// When this tag was pushed (moved onto the artifact), which may be after the artifact.
    #[serde(default)]
    push_time: Option<String>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Child {
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Platform {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
}

impl Platform {
    /// `linux/amd64`, sanitized; `None` without both parts.
    fn text(&self) -> Option<String> {
        let (os, arch) = (self.os.as_deref()?, self.architecture.as_deref()?);
        (!os.is_empty() && !arch.is_empty())
            .then(|| crate::sanitize::sanitize(&format!("{os}/{arch}")).into_owned())
    }
}

/// Whether the API at `api`'s base is Harbor's: its system info names a Harbor version.
pub(super) async fn recognised(api: &Api) -> bool {
    let Ok(url) = api.url("/api/v2.0/systeminfo") else {
        return false;
    };
    api.get::<serde_json::Value>(&url)
        .await
        .is_ok_and(|a| a.body.get("harbor_version").is_some())
}

/// The repositories of the configured projects, else of every project the login sees.
pub(super) async fn repositories(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    only: Option<&str>,
) -> Result<Listing, FetchError> {
    if let Some(c) = &credentials {
        api.authorize(c.basic_header());
    }
    let mut got = Gathering::default();
    let mut projects = native.namespaces(None, only);
    if projects.is_empty() {
        let url = api
            .url("/api/v2.0/projects?page=1&page_size=100")
            .map_err(|e| native.failed("", &e))?;
        let walked = walk(api, url, &mut got.budget, |v| {
            let page: Vec<Project> = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok((page, None))
        })
        .await
        .map_err(|e| native.failed("the projects", &e))?;
        got.read.push(format!("projects, {}", pages(walked.pages)));
        if let Some(stop) = walked.stop {
            got.listing.gaps.push(format!("projects: {stop}"));
        }
        projects = walked.items.into_iter().map(|p| p.name).collect();
    }
    let first_error = walk_namespaces(&Projects, native, api, &projects, &mut got).await?;
    let mut listing = got.listing;
    if listing.repositories.is_empty() {
        if let Some((project, e)) = first_error {
            return Err(native.failed(&format!("project {project}"), &e));
        }
    }
    listing.source = format!("{}: {}", native.service.name(), got.read.join("; "));
    listing.native = Some(native.clone());
    Ok(listing)
}

/// Harbor's projects: `/api/v2.0/projects/P/repositories`, paged with `Link`.
struct Projects;

impl Namespaced for Projects {
    type Item = Repository;
    const WORD: &'static str = "project";

    fn first_page(&self, project: &str) -> String {
        format!("/api/v2.0/projects/{project}/repositories?page=1&page_size=100")
    }

    fn read(
        &self,
        _project: &str,
        v: serde_json::Value,
    ) -> Result<(Vec<Repository>, Option<String>), String> {
        let page: Vec<Repository> = serde_json::from_value(v).map_err(|e| e.to_string())?;
        Ok((page, None))
    }

    /// `project/name` as Harbor names it; the detail says how many artifacts and when it
    /// last changed.
    fn entry(&self, _project: &str, r: Repository) -> Result<(String, String), String> {
        if !plain_name(&r.name) {
            return Err(r.name);
        }
        let mut detail = r
            .artifact_count
            .map(|n| format!("{n} artifact{}", if n == 1 { "" } else { "s" }))
            .unwrap_or_default();
        if let Some(u) = r.update_time {
            if !detail.is_empty() {
                detail.push_str(", ");
            }
            detail.push_str(&format!("updated {}", day(&u)));
        }
        Ok((r.name, detail))
    }
}

/// `proj/app` as Harbor's API names it: the project, and the rest with each `/` written
/// `%252F` (Harbor decodes the path once more than the URL itself does).
fn split(repository: &str) -> Option<(&str, String)> {
    let (project, rest) = repository.split_once('/')?;
    (plain_name(repository) && !rest.is_empty()).then(|| (project, rest.replace('/', "%252F")))
}

/// The tags of `repository` from its artifacts (paged, within [`super::MAX_PAGES`] pages
/// and [`MAX_NAMES`] artifacts): each tag with its artifact's digest, size and platforms and
/// when the tag was pushed. Untagged artifacts are left out, as the registry's tag list
/// leaves them out.
pub(super) async fn tags(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    repository: &str,
) -> Result<Tags, FetchError> {
    if let Some(c) = &credentials {
        api.authorize(c.basic_header());
    }
    let Some((project, name)) = split(repository) else {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} is not a Harbor repository (project/name)",
                crate::sanitize::sanitize(repository)
            ),
        });
    };
    let url = api
        .url(&format!(
            "/api/v2.0/projects/{project}/repositories/{name}/artifacts?with_tag=true&with_scan_overview=true&page=1&page_size=100"
        ))
        .map_err(|e| native.failed("", &e))?;
    let mut budget = MAX_NAMES;
    let walked = walk(api, url, &mut budget, |v| {
        let page: Vec<Artifact> = serde_json::from_value(v).map_err(|e| e.to_string())?;
        Ok((page, None))
    })
    .await
    .map_err(|e| native.failed(&format!("the artifacts of {repository}"), &e))?;
    let clean = |s: &str| crate::sanitize::sanitize(s).into_owned();
    let mut tags = Vec::new();
    for artifact in &walked.items {
        let mut platforms: Vec<String> = artifact
            .references
            .iter()
            .flatten()
            .filter_map(|c| c.platform.as_ref()?.text())
            .collect();
        if platforms.is_empty() {
            platforms.extend(artifact.extra_attrs.as_ref().and_then(Platform::text));
        }
        // One scanner's overview (Harbor runs one per project; the first is said).
        let scan = artifact
            .scan_overview
            .as_ref()
            .and_then(|o| o.values().next())
            .map(ScanReport::words);
        for t in artifact.tags.iter().flatten() {
            if !plain_name(&t.name) || t.name.contains('/') {
                continue;
            }
            tags.push(Tag {
                name: t.name.clone(),
                digest: Some(clean(&artifact.digest)),
                pushed: t
                    .push_time
                    .as_deref()
                    .or(artifact.push_time.as_deref())
                    .map(clean),
                platforms: platforms.clone(),
                size: artifact.size,
                tagged: true,
                date_not_read: false,
                scan: scan.clone(),
            });
        }
    }
    Ok(Tags {
        tags,
        source: format!(
            "{}: the artifacts of {repository}, {}",
            native.service.name(),
            pages(walked.pages)
        ),
        gaps: walked.stop.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_repository_is_written_as_harbor_reads_it() {
        assert_eq!(split("proj/app"), Some(("proj", "app".to_string())));
        assert_eq!(
            split("proj/team/api"),
            Some(("proj", "team%252Fapi".to_string()))
        );
        assert_eq!(split("app"), None);
        assert_eq!(split("proj/../x"), None);
        assert_eq!(split("proj/a?b"), None);
    }
}

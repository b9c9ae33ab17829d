//! GitLab (registry.gitlab.com and self-hosted): the registry repositories of the login's
//! projects (`/api/v4/projects` then each project's `registry/repositories`) and of the
//! groups the config names (`/api/v4/groups/:id/registry/repositories`), paged with `Link`
//! or `X-Next-Page`; a repository's tags from its project's list with `tags=true`, the first
//! [`MAX_TAG_DETAILS`] with their push time, digest and size from each tag's detail. The
//! registry login's password is sent as the token (`PRIVATE-TOKEN`): a personal, project or
//! group access token with `read_api` lists.

use serde::Deserialize;

use super::api::{Api, ApiError};
use super::{day, pages, plain_name, walk, Listing, Native, Tag, Tags, MAX_NAMES};
use crate::registry::{Credentials, FetchError};

/// Projects whose registries are read at most (one request each, at least).
const MAX_PROJECTS: usize = 100;
/// Tags of one repository whose detail (push time, digest, size) is read: one request each,
/// so a repository of 5,000 tags costs 20; the rest are listed without a date.
pub(super) const MAX_TAG_DETAILS: usize = 20;
/// Tag detail requests at once.
const DETAILS_AT_ONCE: usize = 4;

/// `GET /projects/:id/registry/repositories/:repository_id/tags/:tag_name`.
#[derive(Deserialize)]
struct TagDetail {
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    total_size: Option<u64>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Project {
    id: u64,
    path_with_namespace: String,
    /// `disabled` when the project has no registry (newer GitLab).
    #[serde(default)]
    container_registry_access_level: Option<String>,
    /// `false` when the project has no registry (older GitLab).
    #[serde(default)]
    container_registry_enabled: Option<bool>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Repository {
    #[serde(default)]
    id: Option<u64>,
    /// `group/project[/name]`: the repository's name in the registry.
    path: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    tags_count: Option<u64>,
    #[serde(default)]
    tags: Option<Vec<RepositoryTag>>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct RepositoryTag {
    name: String,
}

fn authorize(api: &mut Api, credentials: Option<&Credentials>) {
    if let Some(c) = credentials {
        api.authorize_with("private-token", c.secret().to_string());
    }
}

/// `acme/sub` as one path segment (`acme%2Fsub`), as GitLab takes a full path for an id.
fn encoded(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

/// A page of JSON as a list of `T`.
fn list<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
) -> Result<(Vec<T>, Option<String>), String> {
    serde_json::from_value(v)
        .map(|items| (items, None))
        .map_err(|e| e.to_string())
}

/// What one listing gathered so far, and where from.
struct Gathered {
    listing: Listing,
    budget: usize,
    read: Vec<String>,
    first_error: Option<(String, ApiError)>,
}

impl Gathered {
    /// Adds the repositories one walk found (`what`: `group acme`), once each.
    fn add(&mut self, what: &str, walked: Result<super::Walked<Repository>, ApiError>) {
        let w = match walked {
            Ok(w) => w,
            Err(e) => {
                self.listing.gaps.push(format!("{what}: {}", e.describe()));
                self.first_error.get_or_insert((what.to_string(), e));
                return;
            }
        };
        for r in w.items {
            if !plain_name(&r.path) {
                self.listing.gaps.push(format!(
                    "{what}: skipped a repository named {}",
                    crate::sanitize::sanitize(&r.path)
                ));
                continue;
            }
            if self.listing.details.contains_key(&r.path) {
                continue;
            }
            let mut detail = r
                .tags_count
                .map(|n| format!("{n} tag{}", if n == 1 { "" } else { "s" }))
                .unwrap_or_default();
            if let Some(c) = r.created_at {
                if !detail.is_empty() {
                    detail.push_str(", ");
                }
                detail.push_str(&format!("created {}", day(&c)));
            }
            self.listing.details.insert(r.path.clone(), detail);
            self.listing.repositories.push(r.path);
        }
        self.read.push(format!("{what}, {}", pages(w.pages)));
        if let Some(stop) = w.stop {
            self.listing.gaps.push(format!("{what}: {stop}"));
        }
    }
}

/// The registry repositories of the login's projects and of the configured groups (or of
/// the group `only`).
pub(super) async fn repositories(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    only: Option<&str>,
) -> Result<Listing, FetchError> {
    authorize(api, credentials.as_ref());
    let mut got = Gathered {
        listing: Listing::default(),
        budget: MAX_NAMES,
        read: Vec::new(),
        first_error: None,
    };
    if only.is_none() && credentials.is_some() {
        projects(native, api, &mut got).await?;
    }
    let groups = native.namespaces(None, only);
    if groups.is_empty() && credentials.is_none() {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} lists the projects of a login or a group's repositories, and there is no login for {} nor `namespaces` under [registry.\"{}\"] in the config file; log in with a token that has read_api, name the group (`regscope ls {}/GROUP`), or open a repository by name",
                native.service.name(),
                native.registry,
                native.registry,
                native.registry
            ),
        });
    }
    for group in groups {
        if !plain_name(&group) {
            got.listing.gaps.push(format!(
                "group {}: not a group path",
                crate::sanitize::sanitize(&group)
            ));
            continue;
        }
        let url = api
            .url(&format!(
                "/api/v4/groups/{}/registry/repositories?per_page=100&page=1",
                encoded(&group)
            ))
            .map_err(|e| native.failed("", &e))?;
        let walked = walk(api, url, &mut got.budget, list::<Repository>).await;
        got.add(&format!("group {group}"), walked);
    }
    if got.read.is_empty() {
        if let Some((what, e)) = got.first_error {
            return Err(native.failed(&what, &e));
        }
    }
    let mut listing = got.listing;
    listing.source = format!("{}: {}", native.service.name(), got.read.join("; "));
    Ok(listing)
}

/// The login's projects, then the registry of each (up to [`MAX_PROJECTS`]) that has one.
async fn projects(native: &Native, api: &Api, got: &mut Gathered) -> Result<(), FetchError> {
    let url = api
        .url("/api/v4/projects?membership=true&per_page=100&page=1")
        .map_err(|e| native.failed("", &e))?;
    let mut budget = MAX_NAMES;
    let walked = match walk(api, url, &mut budget, list::<Project>).await {
        Ok(w) => w,
        Err(e) => {
            got.listing
                .gaps
                .push(format!("your projects: {}", e.describe()));
            got.first_error
                .get_or_insert(("your projects".to_string(), e));
            return Ok(());
        }
    };
    if let Some(stop) = &walked.stop {
        got.listing.gaps.push(format!("your projects: {stop}"));
    }
    let with_registry: Vec<Project> = walked
        .items
        .into_iter()
        .filter(|p| {
            p.container_registry_access_level.as_deref() != Some("disabled")
                && p.container_registry_enabled != Some(false)
        })
        .collect();
    if with_registry.len() > MAX_PROJECTS {
        got.listing.gaps.push(format!(
            "your projects: the registries of {} projects past the first {MAX_PROJECTS}; name their groups in `namespaces`",
            with_registry.len() - MAX_PROJECTS
        ));
    }
    let mut listed = 0;
    for project in with_registry.iter().take(MAX_PROJECTS) {
        let name = crate::sanitize::sanitize(&project.path_with_namespace).into_owned();
        let url = api
            .url(&format!(
                "/api/v4/projects/{}/registry/repositories?tags_count=true&per_page=100&page=1",
                project.id
            ))
            .map_err(|e| native.failed("", &e))?;
        match walk(api, url, &mut got.budget, list::<Repository>).await {
            Ok(w) if w.items.is_empty() => {}
            walked => {
                listed += 1;
                got.add(&format!("project {name}"), walked);
            }
        }
    }
    // One line for the projects walk itself: how many pages, how many had images.
    got.read.insert(
        0,
        format!(
            "your projects, {} ({listed} with images)",
            pages(walked.pages)
        ),
    );
    Ok(())
}

/// The tags of `repository`: its project is the longest leading part of its path GitLab
/// knows as a project; that project's repository list with `tags=true` holds the names.
pub(super) async fn tags(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    repository: &str,
) -> Result<Tags, FetchError> {
    authorize(api, credentials.as_ref());
    if !plain_name(repository) {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} is not a GitLab repository path",
                crate::sanitize::sanitize(repository)
            ),
        });
    }
    let segments: Vec<&str> = repository.split('/').collect();
    let mut last_error = None;
    // A project path has two segments at least (namespace/project); subgroups add more.
    for end in (2..=segments.len()).rev() {
        let project = segments[..end].join("/");
        let url = api
            .url(&format!(
                "/api/v4/projects/{}/registry/repositories?tags=true&per_page=100&page=1",
                encoded(&project)
            ))
            .map_err(|e| native.failed("", &e))?;
        let mut budget = MAX_NAMES;
        match walk(api, url, &mut budget, list::<Repository>).await {
            Ok(w) => {
                let Some(found) = w.items.into_iter().find(|r| r.path == repository) else {
                    continue;
                };
                let mut tags: Vec<Tag> = found
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|t| plain_name(&t.name) && !t.name.contains('/'))
                    .map(|t| Tag {
                        name: t.name,
                        digest: None,
                        pushed: None,
                        platforms: Vec::new(),
                        size: None,
                        tagged: true,
                        date_not_read: false,
                        scan: None,
                    })
                    .collect();
                let mut gaps: Vec<String> = w.stop.into_iter().collect();
                if let Some(id) = found.id {
                    gaps.extend(details(api, &project, id, &mut tags).await);
                }
                return Ok(Tags {
                    tags,
                    source: format!(
                        "{}: project {project}, {}",
                        native.service.name(),
                        pages(w.pages)
                    ),
                    gaps,
                });
            }
            Err(ApiError {
                status: Some(404), ..
            }) => {}
            Err(e) => last_error = Some((project, e)),
        }
    }
    match last_error {
        Some((project, e)) => Err(native.failed(&format!("project {project}"), &e)),
        None => Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} knows no project holding {}",
                native.service.name(),
                crate::sanitize::sanitize(repository)
            ),
        }),
    }
}

/// Reads the detail of the first [`MAX_TAG_DETAILS`] tags, [`DETAILS_AT_ONCE`] at a time,
/// into their push time, digest and size; what was not read, in words.
async fn details(api: &Api, project: &str, repository: u64, tags: &mut [Tag]) -> Vec<String> {
    use futures::StreamExt as _;
    let asked: Vec<(usize, String)> = tags
        .iter()
        .take(MAX_TAG_DETAILS)
        .enumerate()
        .map(|(i, t)| {
            let path = format!(
                "/api/v4/projects/{}/registry/repositories/{repository}/tags/{}",
                encoded(project),
                t.name
            );
            (i, path)
        })
        .collect();
    let answers: Vec<(usize, Result<TagDetail, ApiError>)> = futures::stream::iter(asked)
        .map(|(i, path)| async move {
            let answer = match api.url(&path) {
                Ok(url) => api.get::<TagDetail>(&url).await.map(|a| a.body),
                Err(e) => Err(e),
            };
            (i, answer)
        })
        .buffer_unordered(DETAILS_AT_ONCE)
        .collect()
        .await;
    let clean = |s: String| crate::sanitize::sanitize(&s).into_owned();
    let mut failed: Vec<String> = Vec::new();
    for (i, answer) in answers {
        match answer {
            Ok(d) => {
                let t = &mut tags[i];
                t.digest = d.digest.map(clean);
                t.pushed = d.created_at.map(clean);
                t.size = d.total_size;
            }
            Err(e) => failed.push(format!("{}: {}", tags[i].name, e.describe())),
        }
    }
    let mut gaps = Vec::new();
    if !failed.is_empty() {
        failed.sort();
        gaps.push(format!("the date of tag {}", failed.join(", ")));
    }
    if tags.len() > MAX_TAG_DETAILS {
        for t in &mut tags[MAX_TAG_DETAILS..] {
            t.date_not_read = true;
        }
        gaps.push(format!(
            "the dates of {} more tags (date not read: {MAX_TAG_DETAILS} tag details are read per repository)",
            tags.len() - MAX_TAG_DETAILS
        ));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_path_is_one_segment() {
        assert_eq!(encoded("acme/sub"), "acme%2Fsub");
        assert_eq!(encoded("acme"), "acme");
    }
}

//! Harbor: recognised from its own `/api/v2.0/systeminfo` once the catalog is refused (Harbor
//! gives the catalog to admins only), then its projects and their repositories, with the
//! docker login sent as basic auth.

use serde::Deserialize;

use super::api::{Api, ApiError};
use super::{day, pages, plain_name, walk, Listing, Native, MAX_NAMES};
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
    let mut budget = MAX_NAMES;
    let mut listing = Listing::default();
    let mut projects = native.namespaces(None, only);
    let mut read_any = Vec::new();
    if projects.is_empty() {
        let url = api
            .url("/api/v2.0/projects?page=1&page_size=100")
            .map_err(|e| native.failed("", &e))?;
        let walked = walk(api, url, &mut budget, |v| {
            let page: Vec<Project> = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok((page, None))
        })
        .await
        .map_err(|e| native.failed("the projects", &e))?;
        read_any.push(format!("projects, {}", pages(walked.pages)));
        if let Some(stop) = walked.stop {
            listing.gaps.push(format!("projects: {stop}"));
        }
        projects = walked.items.into_iter().map(|p| p.name).collect();
    }
    let mut first_error: Option<(String, ApiError)> = None;
    for project in projects {
        if !plain_name(&project) || project.contains('/') {
            listing.gaps.push(format!(
                "project {}: not a project name",
                crate::sanitize::sanitize(&project)
            ));
            continue;
        }
        let url = api
            .url(&format!(
                "/api/v2.0/projects/{project}/repositories?page=1&page_size=100"
            ))
            .map_err(|e| native.failed("", &e))?;
        let walked = walk(api, url, &mut budget, |v| {
            let page: Vec<Repository> = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok((page, None))
        })
        .await;
        match walked {
            Ok(w) => {
                for r in w.items {
                    if !plain_name(&r.name) {
                        listing.gaps.push(format!(
                            "project {project}: skipped a repository named {}",
                            crate::sanitize::sanitize(&r.name)
                        ));
                        continue;
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
                    listing.details.insert(r.name.clone(), detail);
                    listing.repositories.push(r.name);
                }
                read_any.push(format!("project {project}, {}", pages(w.pages)));
                if let Some(stop) = w.stop {
                    listing.gaps.push(format!("project {project}: {stop}"));
                }
            }
            Err(e) => {
                listing
                    .gaps
                    .push(format!("project {project}: {}", e.describe()));
                first_error.get_or_insert((project, e));
            }
        }
    }
    if listing.repositories.is_empty() {
        if let Some((project, e)) = first_error {
            return Err(native.failed(&format!("project {project}"), &e));
        }
    }
    listing.source = format!("{}: {}", native.service.name(), read_any.join("; "));
    Ok(listing)
}

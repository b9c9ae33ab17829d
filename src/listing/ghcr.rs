//! GHCR through the GitHub REST API: the docker login's password (a personal access token
//! with `read:packages`) lists the user's and organisations' container packages, and a
//! package's versions give its tags and its untagged images.

use serde::Deserialize;

use super::api::{Api, ApiError};
use super::{day, pages, plain_name, walk, Listing, Native, Tag, Tags, MAX_NAMES};
use crate::registry::{Credentials, FetchError};

#[derive(Deserialize, Clone, PartialEq)]
struct Package {
    name: String,
    #[serde(default)]
    owner: Option<Owner>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Owner {
    login: String,
}

#[derive(Deserialize)]
struct Version {
    /// The digest.
    name: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    container: Option<Container>,
}

#[derive(Deserialize)]
struct Container {
    #[serde(default)]
    tags: Vec<String>,
}

/// GitHub wants the token itself; without one it lists no packages at all.
fn authorize(
    native: &Native,
    api: &mut Api,
    credentials: Option<&Credentials>,
) -> Result<(), FetchError> {
    match credentials {
        Some(c) => {
            api.authorize(format!("Bearer {}", c.secret()));
            Ok(())
        }
        None => Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} lists packages only with a token, and there is no login for {}; log in with `docker login {}` and a personal access token that has read:packages, or open a repository by name",
                native.service.name(),
                native.registry,
                native.registry
            ),
        }),
    }
}

/// The user's container packages and the configured organisations' (or `only`'s).
pub(super) async fn repositories(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    only: Option<&str>,
) -> Result<Listing, FetchError> {
    authorize(native, api, credentials.as_ref())?;
    let user = credentials.as_ref().map(|c| c.username.to_lowercase());
    let mut listing = Listing::default();
    let mut budget = MAX_NAMES;
    let mut read_any = Vec::new();
    let mut first_error = None;
    for ns in native.namespaces(user.as_deref(), only) {
        if !plain_name(&ns) || ns.contains('/') {
            listing.gaps.push(format!(
                "{}: not an organisation or user name",
                crate::sanitize::sanitize(&ns)
            ));
            continue;
        }
        let own = user.as_deref() == Some(ns.as_str());
        let (label, mut paths) = if own {
            (format!("user {ns}"), vec!["/user/packages".to_string()])
        } else {
            (
                format!("org {ns}"),
                vec![
                    format!("/orgs/{ns}/packages"),
                    format!("/users/{ns}/packages"),
                ],
            )
        };
        let mut result = None;
        // An organisation first; a 404 there may be a user of that name.
        while !paths.is_empty() {
            let path = paths.remove(0);
            let url = api
                .url(&format!("{path}?package_type=container&per_page=100"))
                .map_err(|e| native.failed("", &e))?;
            let walked = walk(api, url, &mut budget, |v| {
                let page: Vec<Package> = serde_json::from_value(v).map_err(|e| e.to_string())?;
                Ok((page, None))
            })
            .await;
            let not_found = matches!(
                &walked,
                Err(ApiError {
                    status: Some(404),
                    ..
                })
            );
            result = Some(walked);
            if !not_found {
                break;
            }
        }
        let Some(walked) = result else { continue };
        match walked {
            Ok(w) => {
                for p in w.items {
                    let owner = p
                        .owner
                        .map_or_else(|| ns.clone(), |o| o.login.to_lowercase());
                    let full = format!("{owner}/{}", p.name.to_lowercase());
                    if !plain_name(&full) {
                        listing.gaps.push(format!(
                            "{label}: skipped a package named {}",
                            crate::sanitize::sanitize(&p.name)
                        ));
                        continue;
                    }
                    let mut detail = p
                        .visibility
                        .map(|v| crate::sanitize::sanitize(&v).into_owned())
                        .unwrap_or_default();
                    if let Some(u) = p.updated_at {
                        if !detail.is_empty() {
                            detail.push_str(", ");
                        }
                        detail.push_str(&format!("updated {}", day(&u)));
                    }
                    listing.details.insert(full.clone(), detail);
                    if !listing.repositories.contains(&full) {
                        listing.repositories.push(full);
                    }
                }
                read_any.push(format!("{label}, {}", pages(w.pages)));
                if let Some(stop) = w.stop {
                    listing.gaps.push(format!("{label}: {stop}"));
                }
            }
            Err(e) => {
                listing.gaps.push(format!("{label}: {}", e.describe()));
                first_error.get_or_insert((label, e));
            }
        }
    }
    if read_any.is_empty() {
        if let Some((label, e)) = first_error {
            return Err(native.failed(&label, &e));
        }
    }
    listing.source = format!("{}: {}", native.service.name(), read_any.join("; "));
    Ok(listing)
}

/// The versions of `repository` (`owner/package`): one row per tag, and one per untagged
/// version (by digest).
pub(super) async fn tags(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    repository: &str,
) -> Result<Tags, FetchError> {
    authorize(native, api, credentials.as_ref())?;
    let user = credentials.as_ref().map(|c| c.username.to_lowercase());
    let Some((owner, package)) = repository
        .split_once('/')
        .filter(|_| plain_name(repository))
    else {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} is not a GHCR repository name (owner/package)",
                crate::sanitize::sanitize(repository)
            ),
        });
    };
    // A package name may hold `/`; in the API's path it is one segment.
    let package = package.replace('/', "%2F");
    let paths = if user.as_deref() == Some(owner) {
        vec![format!("/user/packages/container/{package}/versions")]
    } else {
        vec![
            format!("/orgs/{owner}/packages/container/{package}/versions"),
            format!("/users/{owner}/packages/container/{package}/versions"),
        ]
    };
    let mut budget = MAX_NAMES;
    let mut last = None;
    for path in paths {
        let url = api
            .url(&format!("{path}?per_page=100"))
            .map_err(|e| native.failed("", &e))?;
        let walked = walk(api, url, &mut budget, |v| {
            let page: Vec<Version> = serde_json::from_value(v).map_err(|e| e.to_string())?;
            Ok((page.into_iter().flat_map(rows).collect(), None))
        })
        .await;
        match walked {
            Ok(w) => {
                return Ok(Tags {
                    tags: w.items,
                    source: format!(
                        "{}: package versions, {}",
                        native.service.name(),
                        pages(w.pages)
                    ),
                    gaps: w.stop.into_iter().collect(),
                })
            }
            Err(e) => {
                let again = e.status == Some(404);
                last = Some(e);
                if !again {
                    break;
                }
            }
        }
    }
    let e = last.unwrap_or(ApiError {
        status: None,
        detail: "nothing was asked".into(),
        missing_scope: None,
        untrusted: None,
    });
    Err(native.failed(&format!("the versions of {repository}"), &e))
}

/// A version's rows: each of its tags, or the digest alone when it has none.
fn rows(v: Version) -> Vec<Tag> {
    let digest = crate::sanitize::sanitize(&v.name).into_owned();
    let pushed = v
        .created_at
        .map(|c| crate::sanitize::sanitize(&c).into_owned());
    let tags = v
        .metadata
        .and_then(|m| m.container)
        .map(|c| c.tags)
        .unwrap_or_default();
    if tags.is_empty() {
        return vec![Tag {
            name: digest.clone(),
            digest: Some(digest),
            pushed,
            platforms: Vec::new(),
            size: None,
            tagged: false,
            date_not_read: false,
            scan: None,
        }];
    }
    tags.into_iter()
        .map(|t| Tag {
            name: crate::sanitize::sanitize(&t).into_owned(),
            digest: Some(digest.clone()),
            pushed: pushed.clone(),
            platforms: Vec::new(),
            size: None,
            tagged: true,
            date_not_read: false,
            scan: None,
        })
        .collect()
}

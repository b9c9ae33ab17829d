//! Docker Hub: the docker login (password or personal access token) exchanged for a Hub
//! token, then each namespace's repositories and a repository's tags with their push time and
//! platforms, none of which counts against the pull limit.

use serde::Deserialize;

use super::api::{Api, ApiError};
use super::{
    day, pages, plain_name, walk, walk_namespaces, Gathering, Listing, Namespaced, Native, Tag,
    Tags, MAX_NAMES,
};
use crate::registry::{Credentials, FetchError};

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default)]
    next: Option<String>,
    #[serde(default = "Vec::new")]
    results: Vec<T>,
}

#[derive(Deserialize)]
struct Repository {
    name: String,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    last_updated: Option<String>,
}

/// The answer of either token exchange.
#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    token: Option<String>,
}

#[derive(Deserialize)]
struct HubTag {
    name: String,
    #[serde(default)]
    digest: Option<String>,
    #[serde(default)]
    tag_last_pushed: Option<String>,
    #[serde(default)]
    images: Vec<Image>,
}

#[derive(Deserialize)]
struct Image {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

/// Exchanges the login for a Hub token: `POST /v2/auth/token` (`identifier`/`secret`), or
/// the older `POST /v2/users/login` where the first is missing. Without a login the public
/// API is used anonymously.
async fn login(
    native: &Native,
    api: &mut Api,
    credentials: Option<&Credentials>,
) -> Result<(), FetchError> {
    let Some(c) = credentials else {
        return Ok(());
    };
    let body = serde_json::json!({"identifier": c.username, "secret": c.secret()});
    let answer = match api.post::<Token>("/v2/auth/token", &body).await {
        Err(ApiError {
            status: Some(404 | 405),
            ..
        }) => {
            let body = serde_json::json!({"username": c.username, "password": c.secret()});
            api.post::<Token>("/v2/users/login", &body).await
        }
        other => other,
    };
    let token = answer.map_err(|e| native.refused_login(&c.username, &e))?;
    match token.access_token.or(token.token) {
        Some(t) => {
            api.authorize(format!("Bearer {t}"));
            Ok(())
        }
        None => Err(native.failed(
            "",
            &ApiError {
                status: None,
                detail: "the token answer holds no token".into(),
                missing_scope: None,
                untrusted: None,
            },
        )),
    }
}

/// Every repository of the user's namespace and the configured ones (or of `only`).
pub(super) async fn repositories(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    only: Option<&str>,
) -> Result<Listing, FetchError> {
    login(native, api, credentials.as_ref()).await?;
    let user = credentials.as_ref().map(|c| c.username.as_str());
    let namespaces = native.namespaces(user, only);
    if namespaces.is_empty() {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} lists a namespace's repositories, and there is no login for {} nor `namespaces` under [registry.\"{}\"] in the config file; log in, name the namespace (`regscope ls {}/NAMESPACE`), or open a repository by name",
                native.service.name(),
                native.registry,
                native.registry,
                native.registry
            ),
        });
    }
    let mut got = Gathering::default();
    let first_error = walk_namespaces(&Namespaces, native, api, &namespaces, &mut got).await?;
    if got.read.is_empty() {
        if let Some((ns, e)) = first_error {
            return Err(native.failed(&format!("namespace {ns}"), &e));
        }
    }
    let mut listing = got.listing;
    listing.source = format!("{}: {}", native.service.name(), got.read.join("; "));
    Ok(listing)
}

/// Docker Hub's namespaces: `/v2/namespaces/NS/repositories`, paged with the body's `next`.
struct Namespaces;

impl Namespaced for Namespaces {
    type Item = (String, bool, Option<String>);
    const WORD: &'static str = "namespace";

    fn first_page(&self, ns: &str) -> String {
        format!("/v2/namespaces/{ns}/repositories?page_size=100&page=1")
    }

    fn read(
        &self,
        _ns: &str,
        v: serde_json::Value,
    ) -> Result<(Vec<Self::Item>, Option<String>), String> {
        let page: Page<Repository> = serde_json::from_value(v).map_err(|e| e.to_string())?;
        let items = page
            .results
            .into_iter()
            .map(|r| (r.name, r.is_private, r.last_updated))
            .collect();
        Ok((items, page.next))
    }

    fn entry(
        &self,
        ns: &str,
        (name, private, updated): Self::Item,
    ) -> Result<(String, String), String> {
        if !plain_name(&name) || name.contains('/') {
            return Err(name);
        }
        let mut detail = (if private { "private" } else { "public" }).to_string();
        if let Some(u) = updated {
            detail.push_str(&format!(", updated {}", day(&u)));
        }
        Ok((format!("{ns}/{name}"), detail))
    }
}

/// The tags of `repository` (`namespace/name`; a bare name is an official image).
pub(super) async fn tags(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    repository: &str,
) -> Result<Tags, FetchError> {
    login(native, api, credentials.as_ref()).await?;
    let (ns, name) = repository
        .split_once('/')
        .unwrap_or(("library", repository));
    if !plain_name(ns) || !plain_name(name) || name.contains('/') {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} is not a Docker Hub repository name (namespace/name)",
                crate::sanitize::sanitize(repository)
            ),
        });
    }
    let url = api
        .url(&format!(
            "/v2/namespaces/{ns}/repositories/{name}/tags?page_size=100&page=1"
        ))
        .map_err(|e| native.failed("", &e))?;
    let mut budget = MAX_NAMES;
    let walked = walk(api, url, &mut budget, |v| {
        let page: Page<HubTag> = serde_json::from_value(v).map_err(|e| e.to_string())?;
        let items = page.results.into_iter().map(tag).collect();
        Ok((items, page.next))
    })
    .await
    .map_err(|e| native.failed(&format!("the tags of {repository}"), &e))?;
    Ok(Tags {
        tags: walked.items,
        source: format!("{}: {}", native.service.name(), pages(walked.pages)),
        gaps: walked.stop.into_iter().collect(),
    })
}

/// Pages of search results read at most: a search is for finding, not for walking the Hub.
pub(super) const SEARCH_PAGES: usize = 3;
/// The longest search text sent.
pub(super) const MAX_QUERY: usize = 100;

#[derive(Deserialize)]
struct Found {
    repo_name: String,
    #[serde(default)]
    short_description: Option<String>,
    #[serde(default)]
    star_count: Option<u64>,
    #[serde(default)]
    is_official: bool,
}

/// Docker Hub's public search (`/v2/search/repositories/?query=`), anonymous: public
/// repositories anyone can see, [`SEARCH_PAGES`] pages at most, said so in the source.
pub(super) async fn search(native: &Native, api: &Api, query: &str) -> Result<Listing, FetchError> {
    let shown = crate::sanitize::sanitize(query).into_owned();
    if query.trim().is_empty() || query.chars().count() > MAX_QUERY {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!("search for 1 to {MAX_QUERY} characters, not `{shown}`"),
        });
    }
    let encoded: String = url::form_urlencoded::byte_serialize(query.trim().as_bytes()).collect();
    let mut next = Some(
        api.url(&format!(
            "/v2/search/repositories/?query={encoded}&page_size=100&page=1"
        ))
        .map_err(|e| native.failed("", &e))?,
    );
    let mut listing = Listing::default();
    let mut read = 0;
    while let Some(url) = next.take() {
        if read == SEARCH_PAGES {
            listing.gaps.push(format!(
                "more results: stopped after {} (the bound); search for something narrower",
                pages(read)
            ));
            break;
        }
        let answer = match api.get::<Page<Found>>(&url).await {
            Ok(a) => a,
            Err(e) if read == 0 => return Err(native.failed("the search", &e)),
            Err(e) => {
                listing
                    .gaps
                    .push(format!("page {}: {}", read + 1, e.describe()));
                break;
            }
        };
        read += 1;
        let before = listing.repositories.len();
        for found in answer.body.results {
            if !plain_name(&found.repo_name) || listing.details.contains_key(&found.repo_name) {
                continue;
            }
            listing
                .details
                .insert(found.repo_name.clone(), found_detail(&found));
            listing.repositories.push(found.repo_name);
        }
        // A page with nothing new ends the walk (a service that repeats itself).
        if listing.repositories.len() == before {
            break;
        }
        next = answer
            .body
            .next
            .as_deref()
            .and_then(|n| api.same_origin(n))
            .or(answer.next);
    }
    listing.source = format!(
        "{}'s public search for `{shown}` (public repositories anyone can see), {}",
        native.service.name(),
        pages(read)
    );
    Ok(listing)
}

/// `official, 21000 stars: Official build of Nginx.` (the description cut at 60 characters).
fn found_detail(found: &Found) -> String {
    let mut words = Vec::new();
    if found.is_official {
        words.push("official".to_string());
    }
    if let Some(n) = found.star_count {
        words.push(format!("{n} star{}", if n == 1 { "" } else { "s" }));
    }
    let mut detail = words.join(", ");
    if let Some(d) = found
        .short_description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let mut d = crate::sanitize::sanitize(d).into_owned();
        if d.chars().count() > 60 {
            d = d.chars().take(59).collect::<String>() + "…";
        }
        if !detail.is_empty() {
            detail.push_str(": ");
        }
        detail.push_str(&d);
    }
    detail
}

fn tag(t: HubTag) -> Tag {
    // Attestation manifests show up as `unknown/unknown`: neither a platform nor image bytes.
    let images = || {
        t.images
            .iter()
            .filter(|i| i.os.as_deref() != Some("unknown"))
    };
    let size = images()
        .map(|i| i.size)
        .try_fold(0u64, |sum, s| s.map(|s| sum.saturating_add(s)))
        .filter(|_| images().next().is_some());
    let platforms = images()
        .filter_map(|i| {
            let os = i.os.as_deref()?;
            let arch = i.architecture.as_deref()?;
            let mut p = format!("{os}/{arch}");
            if let Some(v) = i.variant.as_deref().filter(|v| !v.is_empty()) {
                p.push('/');
                p.push_str(v);
            }
            Some(crate::sanitize::sanitize(&p).into_owned())
        })
        .collect();
    Tag {
        name: crate::sanitize::sanitize(&t.name).into_owned(),
        digest: t.digest.map(|d| crate::sanitize::sanitize(&d).into_owned()),
        pushed: t
            .tag_last_pushed
            .map(|p| crate::sanitize::sanitize(&p).into_owned()),
        platforms,
        size,
        tagged: true,
        date_not_read: false,
        scan: None,
    }
}

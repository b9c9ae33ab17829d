//! Quay (quay.io and self-hosted): a namespace's repositories from `/api/v1/repository`,
//! paged with the answer's `next_page` token, and a repository's tags from its `tag/` list
//! with their digest and last change. Quay takes an OAuth token as a bearer; a docker login
//! whose user is `$oauthtoken` (Quay's documented form) carries one, any other login lists
//! public repositories only.

use serde::Deserialize;

use super::api::Api;
use super::{
    pages, plain_name, walk, walk_namespaces, Gathering, Listing, Namespaced, Native, Tag, Tags,
    MAX_NAMES,
};
use crate::registry::{Credentials, FetchError};

/// The user name Quay documents for a docker login whose password is an OAuth token.
const OAUTH_USER: &str = "$oauthtoken";

#[derive(Deserialize)]
struct RepositoryPage {
    #[serde(default)]
    repositories: Vec<Repository>,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    name: String,
    #[serde(default)]
    is_public: Option<bool>,
    /// Seconds since the epoch (with `last_modified=true`).
    #[serde(default)]
    last_modified: Option<i64>,
}

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Vec<QuayTag>,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    has_additional: bool,
}

#[derive(Deserialize)]
struct QuayTag {
    name: String,
    #[serde(default)]
    manifest_digest: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
}

/// Sends the OAuth token of a `$oauthtoken` login; `false` when the listing is anonymous
/// (public repositories only).
fn authorize(api: &mut Api, credentials: Option<&Credentials>) -> bool {
    match credentials {
        Some(c) if c.username == OAUTH_USER => {
            api.authorize(format!("Bearer {}", c.secret()));
            true
        }
        _ => false,
    }
}

/// The namespace a login names: a robot account `org+robot` belongs to `org`; the OAuth
/// token's user is unnamed.
fn login_namespace(credentials: Option<&Credentials>) -> Option<String> {
    let user = credentials?.username.as_str();
    if user == OAUTH_USER {
        return None;
    }
    Some(
        user.split_once('+')
            .map_or(user, |(org, _)| org)
            .to_string(),
    )
}

/// Every repository of the login's namespace and the configured ones (or of `only`).
pub(super) async fn repositories(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    only: Option<&str>,
) -> Result<Listing, FetchError> {
    let signed = authorize(api, credentials.as_ref());
    let user = login_namespace(credentials.as_ref());
    let namespaces = native.namespaces(user.as_deref(), only);
    if namespaces.is_empty() {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} lists a namespace's repositories, and neither the login nor `namespaces` under [registry.\"{}\"] in the config file names one; name the namespace (`regscope ls {}/NAMESPACE`), or open a repository by name",
                native.service.name(),
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
    let (mut listing, read_any) = (got.listing, got.read);
    if !signed {
        listing.gaps.push(format!(
            "private repositories: {} lists only public ones without an OAuth token (log in with `docker login -u '$oauthtoken'` and the token)",
            native.service.name()
        ));
    }
    listing.source = format!("{}: {}", native.service.name(), read_any.join("; "));
    Ok(listing)
}

/// Quay's namespaces: `/api/v1/repository?namespace=NS`, paged with the body's `next_page`
/// token.
struct Namespaces;

impl Namespaced for Namespaces {
    type Item = (String, Option<bool>, Option<i64>);
    const WORD: &'static str = "namespace";

    fn first_page(&self, ns: &str) -> String {
        format!("/api/v1/repository?namespace={ns}&last_modified=true")
    }

    fn read(
        &self,
        ns: &str,
        v: serde_json::Value,
    ) -> Result<(Vec<Self::Item>, Option<String>), String> {
        let page: RepositoryPage = serde_json::from_value(v).map_err(|e| e.to_string())?;
        let items = page
            .repositories
            .into_iter()
            .map(|r| (r.name, r.is_public, r.last_modified))
            .collect();
        // The token goes back as a query parameter on the first page's URL.
        let next = page.next_page.map(|token| {
            let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
            format!("{}&next_page={token}", self.first_page(ns))
        });
        Ok((items, next))
    }

    fn entry(
        &self,
        ns: &str,
        (name, public, modified): Self::Item,
    ) -> Result<(String, String), String> {
        if !plain_name(&name) || name.contains('/') {
            return Err(name);
        }
        let mut detail = match public {
            Some(true) => "public".to_string(),
            Some(false) => "private".to_string(),
            None => String::new(),
        };
        if let Some(when) = modified.and_then(|s| chrono::DateTime::from_timestamp(s, 0)) {
            if !detail.is_empty() {
                detail.push_str(", ");
            }
            detail.push_str(&format!("updated {}", when.format("%Y-%m-%d")));
        }
        Ok((format!("{ns}/{name}"), detail))
    }
}

/// The tags of `repository` (`namespace/name`), the ones still active.
pub(super) async fn tags(
    native: &Native,
    api: &mut Api,
    credentials: Option<Credentials>,
    repository: &str,
) -> Result<Tags, FetchError> {
    authorize(api, credentials.as_ref());
    let plain = repository
        .split_once('/')
        .filter(|(ns, name)| plain_name(ns) && plain_name(name) && !name.contains('/'));
    let Some((ns, name)) = plain else {
        return Err(FetchError::NotListed {
            registry: native.registry.clone(),
            detail: format!(
                "{} is not a Quay repository name (namespace/name)",
                crate::sanitize::sanitize(repository)
            ),
        });
    };
    let path = format!("/api/v1/repository/{ns}/{name}/tag/?limit=100&onlyActiveTags=true");
    let url = api
        .url(&format!("{path}&page=1"))
        .map_err(|e| native.failed("", &e))?;
    let mut budget = MAX_NAMES;
    let walked = walk(api, url, &mut budget, |v| {
        let page: TagPage = serde_json::from_value(v).map_err(|e| e.to_string())?;
        let next = page
            .has_additional
            .then(|| format!("{path}&page={}", page.page.unwrap_or(1).saturating_add(1)));
        Ok((page.tags.into_iter().map(tag).collect(), next))
    })
    .await
    .map_err(|e| native.failed(&format!("the tags of {repository}"), &e))?;
    Ok(Tags {
        tags: walked.items,
        source: format!("{}: {}", native.service.name(), pages(walked.pages)),
        gaps: walked.stop.into_iter().collect(),
    })
}

fn tag(t: QuayTag) -> Tag {
    let clean = |s: String| crate::sanitize::sanitize(&s).into_owned();
    Tag {
        name: clean(t.name),
        digest: t.manifest_digest.map(clean),
        pushed: t.last_modified.map(clean),
        platforms: Vec::new(),
        size: None,
        tagged: true,
        date_not_read: false,
        scan: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_robot_lists_its_organisation_and_an_oauth_token_names_none() {
        let robot = Credentials::new("acme+ci", "x");
        assert_eq!(login_namespace(Some(&robot)).as_deref(), Some("acme"));
        let token = Credentials::new(OAUTH_USER, "x");
        assert_eq!(login_namespace(Some(&token)), None);
    }
}

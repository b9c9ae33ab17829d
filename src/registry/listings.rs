//! Listings: a repository's tags, a catalog page, a subject's referrers, each walked page by
//! page along `Link` headers that may only lead to the same listing on the same registry,
//! within caps a hostile registry cannot get around.

use super::stats::RequestKind;
use super::{
    checked_repository, pull_scope, Backend, FetchError, Fetcher, TagListing, MAX_LISTING_BYTES,
    MAX_TAGS, MAX_TAG_PAGES,
};
use crate::digest::Digest;
use crate::model::media_type as mt;
use crate::model::{Descriptor, Index};
use std::collections::HashSet;

impl Fetcher {
    /// Every tag of a repository (following `Link` pagination), within the listing caps;
    /// [`tag_listing`](Self::tag_listing) also says when and why a listing was cut.
    pub async fn tags(&self, repo: &str) -> Result<Vec<String>, FetchError> {
        self.tag_listing(repo).await.map(|l| l.tags)
    }

    /// Every tag of a repository, following `Link` pagination with bounds a hostile registry
    /// cannot get around: at most [`MAX_TAG_PAGES`] pages, [`MAX_TAGS`] names and
    /// [`MAX_LISTING_BYTES`] read; a page link seen before ends the walk; a name listed twice
    /// is kept once. Where the walk stopped early, `truncated` says why.
    pub async fn tag_listing(&self, repo: &str) -> Result<TagListing, FetchError> {
        self.tag_listing_with(repo, &|_, _| {}).await
    }

    /// Like [`tag_listing`](Self::tag_listing), telling `progress` (pages, names so far) after
    /// each page: a long list takes one round trip per page, and a person waits for it.
    pub async fn tag_listing_with(
        &self,
        repo: &str,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<TagListing, FetchError> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let http = match &self.backend {
            Backend::Http(h) => h,
            Backend::Layout(store) => return Ok(TagListing::whole(store.tags())),
        };
        checked_repository(repo)?;
        if let Some(disk) = self.disk.as_ref().filter(|d| d.offline) {
            return disk
                .cache
                .tags(http.host(), repo)
                .map(|listing| TagListing::whole(listing.names))
                .ok_or_else(|| disk.missing(&format!("the tag list of {repo}")));
        }
        let mut out = Vec::new();
        let mut seen_names = HashSet::new();
        let mut bytes = 0u64;
        let mut truncated = None;
        let route = format!("/v2/{repo}/tags/list");
        let mut walk = LinkWalk::new(route.clone(), format!("{route}?n=1000"), MAX_TAG_PAGES);
        let what = format!("the tag list of {repo}");
        loop {
            let resp = http
                .get(
                    walk.page(),
                    &["application/json"],
                    &pull_scope(repo),
                    RequestKind::Tags,
                    16 * 1024 * 1024,
                    &what,
                )
                .await?;
            bytes += resp.body.len() as u64;
            let page: TagList =
                serde_json::from_slice(&resp.body).map_err(|e| FetchError::Malformed {
                    what: what.clone(),
                    detail: e.to_string(),
                })?;
            for tag in page.tags.unwrap_or_default() {
                if out.len() >= MAX_TAGS {
                    truncated = Some(format!("truncated at {MAX_TAGS} tags"));
                    break;
                }
                if seen_names.insert(tag.clone()) {
                    out.push(tag);
                }
            }
            if truncated.is_some() {
                break;
            }
            progress(walk.pages(), out.len());
            if bytes >= MAX_LISTING_BYTES {
                truncated = Some(format!(
                    "truncated after {} MiB of tag pages",
                    MAX_LISTING_BYTES >> 20
                ));
                break;
            }
            match walk.follow(resp.link.as_deref()) {
                Ok(true) => {}
                Ok(false) => break,
                Err(cut) => {
                    truncated = Some(match cut {
                        WalkCut::Pages(_) => format!("truncated at {MAX_TAG_PAGES} pages"),
                        WalkCut::LinkedBack(n) => format!(
                            "stopped after {n} pages: the registry linked back to a page it had sent"
                        ),
                        WalkCut::Elsewhere(n) => format!(
                            "stopped after {n} pages: the registry's next-page link leads out of this repository's tag list"
                        ),
                    });
                    break;
                }
            }
        }
        if let Some(disk) = &self.disk {
            disk.cache.put_tags(http.host(), repo, &out);
        }
        Ok(TagListing {
            tags: out,
            truncated,
        })
    }

    /// One page of the catalog: repositories after `last`, and whether more remain.
    pub async fn catalog_page(
        &self,
        n: usize,
        last: Option<&str>,
    ) -> Result<(Vec<String>, bool), FetchError> {
        #[derive(serde::Deserialize)]
        struct Catalog {
            #[serde(default)]
            repositories: Option<Vec<String>>,
        }
        let Backend::Http(http) = &self.backend else {
            return Ok((Vec::new(), false));
        };
        let mut path = format!("/v2/_catalog?n={n}");
        if let Some(last) = last {
            path.push_str("&last=");
            path.push_str(
                &url::form_urlencoded::byte_serialize(last.as_bytes()).collect::<String>(),
            );
        }
        let resp = http
            .get(
                &path,
                &["application/json"],
                "registry:catalog:*",
                RequestKind::Catalog,
                16 * 1024 * 1024,
                "the catalog",
            )
            .await?;
        let page: Catalog =
            serde_json::from_slice(&resp.body).map_err(|e| FetchError::Malformed {
                what: "the catalog".into(),
                detail: e.to_string(),
            })?;
        Ok((page.repositories.unwrap_or_default(), resp.link.is_some()))
    }

    /// The OCI 1.1 referrers API. `Ok(None)` when the registry has no such API (fall back to tags).
    pub async fn referrers_api(
        &self,
        repo: &str,
        digest: &Digest,
    ) -> Result<Option<Vec<Descriptor>>, FetchError> {
        let Backend::Http(http) = &self.backend else {
            return Ok(None);
        };
        checked_repository(repo)?;
        if self.no_referrers_api.lock().await.contains(repo) {
            return Ok(None);
        }
        let what = format!("referrers of {digest}");
        let mut listed: Vec<Descriptor> = Vec::new();
        let route = format!("/v2/{repo}/referrers/{digest}");
        let mut walk = LinkWalk::new(route.clone(), route, MAX_REFERRER_PAGES);
        // The API may page its answer with `Link` (as the tag list does); the pages are bounded,
        // and a page that fails after the first keeps what came before.
        loop {
            let first = walk.pages() == 0;
            let resp = http
                .get(
                    walk.page(),
                    &[mt::OCI_INDEX],
                    &pull_scope(repo),
                    RequestKind::Referrers,
                    self.limits.manifest,
                    &what,
                )
                .await;
            let r = match resp {
                Ok(r) => r,
                Err(
                    FetchError::NotFound { .. }
                    | FetchError::Unexpected {
                        status: 400 | 405, ..
                    },
                ) if first => {
                    self.no_referrers_api.lock().await.insert(repo.to_string());
                    return Ok(None);
                }
                Err(e) if first => return Err(e),
                Err(_) => break,
            };
            let ct = r.content_type.as_deref().unwrap_or("");
            if !ct.starts_with(mt::OCI_INDEX) {
                if first {
                    // Some registries answer 200 with something else for unknown routes.
                    self.no_referrers_api.lock().await.insert(repo.to_string());
                    return Ok(None);
                }
                break;
            }
            let index: Index =
                serde_json::from_slice(&r.body).map_err(|e| FetchError::Malformed {
                    what: what.clone(),
                    detail: e.to_string(),
                })?;
            listed.extend(index.manifests);
            if listed.len() >= MAX_LISTED_REFERRERS {
                listed.truncate(MAX_LISTED_REFERRERS);
                break;
            }
            // A cut walk keeps what it read: the lookup says how many it shows.
            if walk.follow(r.link.as_deref()) != Ok(true) {
                break;
            }
        }
        Ok(Some(listed))
    }
}

/// Pages of one subject's referrers read at most.
pub const MAX_REFERRER_PAGES: usize = 8;
/// Referrers of one subject kept at most from the API (the lookup shows fewer).
pub const MAX_LISTED_REFERRERS: usize = 1024;

/// Where a listing's `Link` header leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Page {
    /// The next page of the same listing: path and query on the registry.
    Next(String),
    /// A page of another listing (another repository's tags, another route): not followed.
    Elsewhere,
    End,
}

/// The next page of the listing at `route` (`/v2/team/app/tags/list`), from its `Link`
/// header. A link to any other route is not followed: a registry must not turn the walk of
/// one repository into the walk of another.
#[must_use]
pub fn next_page(link: Option<&str>, route: &str) -> Page {
    let Some(next) = link.and_then(next_link) else {
        return Page::End;
    };
    if next.split('?').next() == Some(route) {
        Page::Next(next)
    } else {
        Page::Elsewhere
    }
}

/// A walk along one listing's `Link` headers, with the bounds every listing shares: at most
/// `max_pages` pages, never a page twice (a registry linking back would loop), never a page
/// of another listing ([`next_page`]). The tag list and the referrers API walk with it.
#[derive(Debug)]
pub struct LinkWalk {
    route: String,
    path: String,
    seen: HashSet<String>,
    pages: usize,
    max_pages: usize,
}

/// Why a [`LinkWalk`] ended before the listing did.
#[derive(Debug, PartialEq, Eq)]
pub enum WalkCut {
    /// `max_pages` pages were read and the listing links to more.
    Pages(usize),
    /// The next link leads to a page already read.
    LinkedBack(usize),
    /// The next link leads to another listing.
    Elsewhere(usize),
}

impl LinkWalk {
    /// A walk of the listing at `route` (`/v2/team/app/tags/list`) from `first` (the route
    /// with its query).
    #[must_use]
    pub fn new(route: String, first: String, max_pages: usize) -> Self {
        Self {
            route,
            path: first,
            seen: HashSet::new(),
            pages: 0,
            max_pages,
        }
    }

    /// The page to read now (counted as read).
    pub fn page(&mut self) -> &str {
        self.pages += 1;
        self.seen.insert(self.path.clone());
        &self.path
    }

    /// Pages read so far.
    #[must_use]
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Follows the page's `Link` header: `Ok(true)` when there is a next page to read,
    /// `Ok(false)` at the listing's end, `Err` when a bound ends the walk.
    pub fn follow(&mut self, link: Option<&str>) -> Result<bool, WalkCut> {
        match next_page(link, &self.route) {
            Page::End => Ok(false),
            Page::Elsewhere => Err(WalkCut::Elsewhere(self.pages)),
            Page::Next(next) if self.seen.contains(&next) => Err(WalkCut::LinkedBack(self.pages)),
            Page::Next(_) if self.pages >= self.max_pages => Err(WalkCut::Pages(self.pages)),
            Page::Next(next) => {
                self.path = next;
                Ok(true)
            }
        }
    }
}

/// Extracts the target of `Link: <…>; rel="next"` as a path and query on the registry itself.
///
/// Whatever the link says (absolute, protocol-relative `//host/…`, relative), only its path and
/// query are kept: a registry must not be able to send the next request, and the credentials
/// that go with it, to another host.
#[must_use]
pub fn next_link(link: &str) -> Option<String> {
    let on_registry = url::Url::parse("http://registry.invalid/v2/").ok()?;
    link.split(',').find_map(|part| {
        let part = part.trim();
        if !part.contains("rel=\"next\"") && !part.contains("rel=next") {
            return None;
        }
        let start = part.find('<')? + 1;
        let end = start + part[start..].find('>')?;
        let resolved = on_registry.join(&part[start..end]).ok()?;
        // `ftp:x`, `data:…`: not a page of this registry (found by the fuzzer).
        if !matches!(resolved.scheme(), "http" | "https") {
            return None;
        }
        // One leading slash: a path of `//host/…` would name a host once joined (the fuzzer's).
        Some(format!(
            "/{}{}",
            resolved.path().trim_start_matches('/'),
            resolved
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        assert_eq!(
            next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(
            next_link(r#"<https://evil.example/v2/x/tags/list?last=a>; rel="next""#).as_deref(),
            Some("/v2/x/tags/list?last=a")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
    }

    #[test]
    fn a_link_never_leaves_the_listing() {
        let route = "/v2/team/app/tags/list";
        assert_eq!(
            next_page(
                Some(r#"</v2/team/app/tags/list?last=b&n=2>; rel="next""#),
                route
            ),
            Page::Next("/v2/team/app/tags/list?last=b&n=2".into())
        );
        assert_eq!(
            next_page(
                Some(r#"</v2/team/other/tags/list?last=b>; rel="next""#),
                route
            ),
            Page::Elsewhere
        );
        assert_eq!(
            next_page(
                Some(r#"</v2/team/app/tags/list/../../other/tags/list>; rel="next""#),
                route
            ),
            Page::Elsewhere
        );
        assert_eq!(
            next_page(Some(r#"</v2/_catalog>; rel="next""#), route),
            Page::Elsewhere
        );
        assert_eq!(next_page(None, route), Page::End);
    }

    #[test]
    fn a_walk_reads_each_page_once_within_its_bound_and_stays_in_its_listing() {
        let route = "/v2/a/tags/list";
        let link = |last: &str| format!(r#"<{route}?last={last}>; rel="next""#);
        let mut walk = LinkWalk::new(route.into(), format!("{route}?n=2"), 3);
        assert_eq!(walk.page(), "/v2/a/tags/list?n=2");
        assert_eq!(walk.follow(Some(&link("b"))), Ok(true));
        assert_eq!(walk.page(), "/v2/a/tags/list?last=b");
        // A link back to a page already read ends the walk rather than looping.
        assert_eq!(
            walk.follow(Some("</v2/a/tags/list?n=2>; rel=\"next\"")),
            Err(WalkCut::LinkedBack(2))
        );
        assert_eq!(walk.follow(Some(&link("d"))), Ok(true));
        walk.page();
        // Three pages read: a fourth is not.
        assert_eq!(walk.follow(Some(&link("f"))), Err(WalkCut::Pages(3)));
        assert_eq!(walk.follow(None), Ok(false));
        let mut other = LinkWalk::new(route.into(), route.into(), 8);
        other.page();
        assert_eq!(
            other.follow(Some("</v2/b/tags/list?last=x>; rel=\"next\"")),
            Err(WalkCut::Elsewhere(1))
        );
    }

    #[test]
    fn a_link_never_leaves_the_registry() {
        // Protocol-relative: joined naively to the registry's URL it names another host.
        assert_eq!(
            next_link(r#"<//evil.example/v2/_catalog?last=a>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=a")
        );
        assert_eq!(
            next_link(r#"<tags/list?last=a>; rel="next""#).as_deref(),
            Some("/v2/tags/list?last=a")
        );
        // A `>` before the `<` (found by the fuzzer's first minutes): no panic, no link.
        assert_eq!(next_link(r#"a>b<c; rel="next""#), None);
        assert_eq!(next_link(r#"<htsss:o/#x>; rel="next""#), None);
        assert_eq!(
            next_link(r#"<https://registry.exas://regist/tags/list?n=1>; rel="next""#).as_deref(),
            Some("/regist/tags/list?n=1")
        );
    }
}

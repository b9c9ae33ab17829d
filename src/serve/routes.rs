//! The distribution API routes (`/v2/...`): path parsing, faults, and the read-only handlers.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{ACCEPT, ALLOW, LINK};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::faults::{Early, Faults, RequestKind, RequestRecord};
use super::respond::{self, oci_error, Content};
use super::store::{is_sha256_digest, Data, Store};
use super::{lock, read, Shared};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCTET_STREAM: &str = "application/octet-stream";

/// Page size when the client gives no `n`, and the most it may ask for.
const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 1000;

/// Every request goes to one handler: repository names contain `/`, so the route is
/// parsed from the right by hand rather than by a router pattern.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// What a path asks for. Names and references borrow from the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    Base,
    Catalog,
    Tags(&'a str),
    Manifest(&'a str, &'a str),
    Blob(&'a str, &'a str),
    Referrers(&'a str, &'a str),
    Other,
}

impl<'a> Route<'a> {
    pub(crate) fn parse(path: &'a str) -> Self {
        if path == "/v2" || path == "/v2/" {
            return Route::Base;
        }
        let Some(rest) = path.strip_prefix("/v2/") else {
            return Route::Other;
        };
        if rest == "_catalog" {
            return Route::Catalog;
        }
        let Some((prefix, last)) = rest.rsplit_once('/') else {
            return Route::Other;
        };
        if last.is_empty() {
            return Route::Other;
        }
        let named = |suffix: &str| prefix.strip_suffix(suffix).filter(|n| !n.is_empty());
        if last == "list" {
            if let Some(name) = named("/tags") {
                return Route::Tags(name);
            }
        }
        if let Some(name) = named("/manifests") {
            Route::Manifest(name, last)
        } else if let Some(name) = named("/blobs") {
            Route::Blob(name, last)
        } else if let Some(name) = named("/referrers") {
            Route::Referrers(name, last)
        } else {
            Route::Other
        }
    }

    fn kind(self) -> RequestKind {
        match self {
            Route::Base => RequestKind::Base,
            Route::Catalog => RequestKind::Catalog,
            Route::Tags(_) => RequestKind::Tags,
            Route::Manifest(..) => RequestKind::Manifest,
            Route::Blob(..) => RequestKind::Blob,
            Route::Referrers(..) => RequestKind::Referrers,
            Route::Other => RequestKind::Other,
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    let route = Route::parse(path);
    let kind = route.kind();
    shared.stats.record(RequestRecord {
        method: method.to_string(),
        target: uri
            .path_and_query()
            .map_or(path, |pq| pq.as_str())
            .to_owned(),
        kind,
    });
    let in_flight = shared.stats.begin();
    // Decide under the lock (it consumes `times`), then act on a snapshot: faults changed
    // mid-request apply from the next request on.
    let (admission, faults) = {
        let mut faults = lock(&shared.faults);
        (faults.admit(kind, path), faults.clone())
    };
    if let Some(latency) = admission.latency {
        tokio::time::sleep(latency).await;
        shared.stats.latency_applied();
    }
    if let Some((user, password)) = &faults.basic_auth {
        if !authorized(&headers, user, password) {
            let mut resp = respond::oci_error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "authentication required",
            );
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"regscope serve\""),
            );
            in_flight.answered();
            return resp;
        }
    }
    // A refused login uses no pull: only requests the registry would answer count.
    let pull = lock(&shared.faults).pull(kind, method == Method::GET);
    let refused = pull.as_ref().filter(|p| p.refused).map(|p| p.retry_after);
    let mut resp = match (admission.early, refused) {
        (Some(Early::RateLimit(secs)), _) => respond::injected_status(429, Some(secs)),
        (Some(Early::Status(status)), _) => respond::injected_status(status, None),
        (None, Some(retry_after)) => respond::injected_status(429, retry_after),
        (None, None) => serve(&shared, &faults, &method, route, uri.query(), &headers).await,
    };
    for (name, value) in pull.map(|p| p.headers).unwrap_or_default() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, value);
        }
    }
    resp.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    in_flight.answered();
    resp
}

/// Whether the request carries `Authorization: Basic` with exactly these credentials.
fn authorized(headers: &HeaderMap, user: &str, password: &str) -> bool {
    use base64::Engine as _;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|given| given.trim() == expected)
}

async fn serve(
    shared: &Shared,
    faults: &Faults,
    method: &Method,
    route: Route<'_>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut resp = oci_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UNSUPPORTED",
            &format!("this registry is read-only; {method} is not supported"),
        );
        resp.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    let head = method == Method::HEAD;
    match route {
        Route::Base => respond::json_response(StatusCode::OK, &json!({})),
        Route::Catalog => {
            let repos = read(&shared.repos);
            list_page(
                query,
                faults.page_size,
                "/v2/_catalog",
                repos.keys().map(String::as_str),
                |page| json!({ "repositories": page }),
            )
        }
        Route::Tags(name) => {
            let repos = read(&shared.repos);
            let Some(store) = repos.get(name) else {
                return name_unknown(name);
            };
            list_page(
                query,
                faults.page_size,
                &format!("/v2/{name}/tags/list"),
                store.tags().map(|(tag, _)| tag),
                |page| json!({ "name": name, "tags": page }),
            )
        }
        Route::Manifest(name, reference) => {
            let finished = shared.stats.slow_bodies_finished();
            manifest(
                &read(&shared.repos),
                faults,
                name,
                reference,
                headers,
                head,
                finished,
            )
        }
        Route::Blob(name, digest) => blob(shared, faults, name, digest, head).await,
        Route::Referrers(name, digest) => {
            if faults.no_referrers_api {
                return respond::no_route();
            }
            referrers(&read(&shared.repos), name, digest, query, faults.page_size)
        }
        Route::Other => respond::no_route(),
    }
}

fn name_unknown(name: &str) -> Response {
    oci_error(
        StatusCode::NOT_FOUND,
        "NAME_UNKNOWN",
        &format!("repository name `{name}` not known to registry"),
    )
}

fn digest_invalid(digest: &str) -> Response {
    oci_error(
        StatusCode::BAD_REQUEST,
        "DIGEST_INVALID",
        &format!("`{digest}` is not a sha256 digest"),
    )
}

fn manifest_unknown(message: &str) -> Response {
    oci_error(StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN", message)
}

fn manifest(
    repos: &BTreeMap<String, Store>,
    faults: &Faults,
    name: &str,
    reference: &str,
    headers: &HeaderMap,
    head: bool,
    slow_finished: Arc<AtomicUsize>,
) -> Response {
    let Some(store) = repos.get(name) else {
        return name_unknown(name);
    };
    if reference.contains(':') && !is_sha256_digest(reference) {
        return manifest_unknown(&format!("`{reference}` is not a sha256 digest"));
    }
    let Some((digest, (media_type, bytes))) = store
        .resolve(reference)
        .and_then(|digest| Some((digest, store.manifest(digest)?)))
    else {
        return manifest_unknown(&format!("manifest unknown: `{name}:{reference}`"));
    };
    if !accepts(headers, media_type) {
        // docker-registry 2.8 answers an index the client did not ask for as unknown.
        return manifest_unknown(&format!(
            "{media_type} found, but the Accept header does not list it"
        ));
    }
    respond::content(
        Content {
            digest,
            media_type,
            size: bytes.len() as u64,
            bytes: if head { Bytes::new() } else { bytes.clone() },
        },
        head,
        faults.bodies.get(digest),
        faults.chunked,
        slow_finished,
    )
}

/// Whether the client's `Accept` lets us send a manifest of `media_type`. Only indexes and
/// manifest lists are checked (as docker-registry 2.8 does); no `Accept`, or `*/*`, takes
/// anything.
fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    if media_type != OCI_INDEX && media_type != DOCKER_LIST {
        return true;
    }
    let mut listed_any = false;
    for value in headers.get_all(ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let listed = item.split(';').next().unwrap_or_default().trim();
            if listed.is_empty() {
                continue;
            }
            listed_any = true;
            if listed == "*/*" || listed.eq_ignore_ascii_case(media_type) {
                return true;
            }
        }
    }
    !listed_any
}

async fn blob(shared: &Shared, faults: &Faults, name: &str, digest: &str, head: bool) -> Response {
    if !is_sha256_digest(digest) {
        return digest_invalid(digest);
    }
    // Copy what we need out of the lock: reading a file blob awaits.
    let data = {
        let repos = read(&shared.repos);
        let Some(store) = repos.get(name) else {
            return name_unknown(name);
        };
        store.blob(digest)
    };
    let blob_unknown = || {
        oci_error(
            StatusCode::NOT_FOUND,
            "BLOB_UNKNOWN",
            &format!("blob unknown to registry: `{digest}`"),
        )
    };
    let Some(data) = data else {
        return blob_unknown();
    };
    let size = data.len();
    let bytes = match data {
        _ if head => Bytes::new(),
        Data::Memory(bytes) => bytes,
        Data::File { path, .. } => match tokio::fs::read(&path).await {
            Ok(bytes) => Bytes::from(bytes),
            // Deleted from the layout since it was loaded: as gone as it looks.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return blob_unknown(),
            Err(e) => {
                return oci_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UNKNOWN",
                    &format!("reading `{digest}`: {e}"),
                )
            }
        },
    };
    respond::content(
        Content {
            digest,
            media_type: OCTET_STREAM,
            size,
            bytes,
        },
        head,
        faults.bodies.get(digest),
        faults.chunked,
        shared.stats.slow_bodies_finished(),
    )
}

/// The OCI 1.1 referrers index: every manifest in the repository whose `subject` is
/// `digest`, optionally filtered by `artifactType`. An unknown subject has no referrers
/// (the spec forbids a 404 here).
fn referrers(
    repos: &BTreeMap<String, Store>,
    name: &str,
    digest: &str,
    query: Option<&str>,
    page_size: Option<usize>,
) -> Response {
    if !is_sha256_digest(digest) {
        return digest_invalid(digest);
    }
    let Some(store) = repos.get(name) else {
        return name_unknown(name);
    };
    let filter = query_param(query, "artifactType");
    let mut descriptors = Vec::new();
    for (referrer, media_type, bytes) in store.manifests() {
        let Ok(body) = serde_json::from_slice::<Value>(bytes) else {
            continue;
        };
        let subject = body
            .get("subject")
            .and_then(|s| s.get("digest"))
            .and_then(Value::as_str);
        if subject != Some(digest) {
            continue;
        }
        // The spec: the manifest's artifactType, else its config's media type.
        let artifact_type = body
            .get("artifactType")
            .and_then(Value::as_str)
            .or_else(|| {
                body.get("config")
                    .and_then(|c| c.get("mediaType"))
                    .and_then(Value::as_str)
            });
        if filter.is_some() && filter.as_deref() != artifact_type {
            continue;
        }
        let mut desc = Map::new();
        desc.insert("mediaType".into(), media_type.into());
        desc.insert("digest".into(), referrer.into());
        desc.insert("size".into(), bytes.len().into());
        if let Some(artifact_type) = artifact_type {
            desc.insert("artifactType".into(), artifact_type.into());
        }
        if let Some(annotations) = body.get("annotations").filter(|a| a.is_object()) {
            desc.insert("annotations".into(), annotations.clone());
        }
        descriptors.push(Value::Object(desc));
    }
    // Paged (the spec allows a `Link` to more) only when a page size is set: by digest, after
    // `last`.
    let mut next = None;
    if let Some(n) = page_size.filter(|n| *n > 0) {
        let digest_of = |d: &Value| d["digest"].as_str().unwrap_or_default().to_string();
        descriptors.sort_by_key(digest_of);
        if let Some(last) = query_param(query, "last") {
            descriptors.retain(|d| digest_of(d) > last);
        }
        if descriptors.len() > n {
            descriptors.truncate(n);
            let last = descriptors.last().map(digest_of).unwrap_or_default();
            next = Some(format!(
                "</v2/{name}/referrers/{digest}?last={last}>; rel=\"next\""
            ));
        }
    }
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": descriptors,
    });
    let mut resp = respond::json_response(StatusCode::OK, &body);
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(OCI_INDEX),
    );
    if filter.is_some() {
        resp.headers_mut().insert(
            "oci-filters-applied",
            HeaderValue::from_static("artifactType"),
        );
    }
    if let Some(link) = next.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(LINK, link);
    }
    resp
}

/// One page of a sorted list (`n`, `last`), with a `Link` to the next page when more remain.
/// At most `cap` (and [`MAX_PAGE`]) per page.
fn list_page<'a>(
    query: Option<&str>,
    cap: Option<usize>,
    path: &str,
    sorted: impl Iterator<Item = &'a str>,
    body: impl FnOnce(Vec<&'a str>) -> Value,
) -> Response {
    let n = match query_param(query, "n").filter(|n| !n.is_empty()) {
        None => DEFAULT_PAGE,
        Some(n) => match n.parse::<usize>() {
            Ok(n) => n.min(MAX_PAGE).min(cap.unwrap_or(MAX_PAGE)),
            Err(_) => {
                return oci_error(
                    StatusCode::BAD_REQUEST,
                    "PAGINATION_NUMBER_INVALID",
                    &format!("invalid number of results requested: `{n}`"),
                )
            }
        },
    };
    let last = query_param(query, "last");
    let mut rest = sorted.filter(|item| last.as_deref().is_none_or(|last| *item > last));
    let page: Vec<&str> = rest.by_ref().take(n).collect();
    let more = n > 0 && rest.next().is_some();
    let next = page.last().filter(|_| more).map(|last| {
        let last: String = url::form_urlencoded::byte_serialize(last.as_bytes()).collect();
        format!("<{path}?last={last}&n={n}>; rel=\"next\"")
    });
    let mut resp = respond::json_response(StatusCode::OK, &body(page));
    if let Some(link) = next.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(LINK, link);
    }
    resp
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_from_the_right() {
        assert_eq!(Route::parse("/v2/"), Route::Base);
        assert_eq!(Route::parse("/v2"), Route::Base);
        assert_eq!(Route::parse("/v2/_catalog"), Route::Catalog);
        assert_eq!(
            Route::parse("/v2/team/app/tags/list"),
            Route::Tags("team/app")
        );
        assert_eq!(
            Route::parse("/v2/a/manifests/b/manifests/v1"),
            Route::Manifest("a/manifests/b", "v1")
        );
        assert_eq!(
            Route::parse("/v2/x/blobs/sha256:ab"),
            Route::Blob("x", "sha256:ab")
        );
        assert_eq!(
            Route::parse("/v2/x/referrers/sha256:ab"),
            Route::Referrers("x", "sha256:ab")
        );
        for other in [
            "/",
            "/v2/x",
            "/v2/tags/list",
            "/v2//manifests/x",
            "/v2/x/manifests/",
            "/v2/x/manifests/a/",
            "/v3/x/manifests/a",
        ] {
            assert_eq!(Route::parse(other), Route::Other, "{other}");
        }
    }

    #[test]
    fn accept_checks_only_indexes() {
        let mut headers = HeaderMap::new();
        assert!(accepts(&headers, OCI_INDEX));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.oci.image.manifest.v1+json"),
        );
        assert!(!accepts(&headers, OCI_INDEX));
        assert!(!accepts(&headers, DOCKER_LIST));
        assert!(accepts(
            &headers,
            "application/vnd.oci.image.manifest.v1+json"
        ));
        headers.append(ACCEPT, HeaderValue::from_static("*/*;q=0.1"));
        assert!(accepts(&headers, OCI_INDEX));
    }
}

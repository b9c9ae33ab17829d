//! Building responses: OCI error bodies, and manifest or blob bodies with any body fault applied.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures::stream::{self, StreamExt as _};
use serde_json::json;

use super::faults::BodyFault;

pub(crate) const DIGEST_HEADER: &str = "docker-content-digest";
pub(crate) const JSON: &str = "application/json";

/// A digest that names no content anyone serves: what `WrongDigestHeader` claims.
const BOGUS_DIGEST: &str =
    "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// `{"errors":[{"code":..,"message":..}]}` with `status`, as distribution answers.
pub(crate) fn oci_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "code": code, "message": message, "detail": null }] });
    json_response(status, &body)
}

pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let bytes = Bytes::from(body.to_string());
    build(status, Body::from(bytes.clone()))
        .header(CONTENT_TYPE, JSON)
        .header(CONTENT_LENGTH, bytes.len())
        .body_or_500()
}

/// The plain-text 404 Go's router gives for a path it has no route for.
pub(crate) fn no_route() -> Response {
    build(StatusCode::NOT_FOUND, Body::from("404 page not found\n"))
        .header(CONTENT_TYPE, "text/plain; charset=utf-8")
        .body_or_500()
}

/// An injected status: 429 gets `Retry-After`, and each status the error code distribution
/// would use for it.
pub(crate) fn injected_status(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match status.as_u16() {
        429 => "TOOMANYREQUESTS",
        401 => "UNAUTHORIZED",
        403 => "DENIED",
        503 => "UNAVAILABLE",
        _ => "UNKNOWN",
    };
    let mut resp = oci_error(status, code, "injected fault");
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    resp
}

/// A manifest or blob to serve.
pub(crate) struct Content<'a> {
    pub digest: &'a str,
    pub media_type: &'a str,
    /// The stored size: what HEAD reports (the bytes may be left unread for HEAD).
    pub size: u64,
    /// The stored bytes; empty for HEAD.
    pub bytes: Bytes,
}

/// Serves `content`, as stored or mangled by `fault`: `Content-Type`,
/// `Docker-Content-Digest`, `ETag`, `Content-Length` (unless `chunked`), no body for HEAD.
/// A `Stall` or `Drip` body bumps `slow_finished` once it has sent its last byte.
pub(crate) fn content(
    content: Content<'_>,
    head: bool,
    fault: Option<&BodyFault>,
    chunked: bool,
    slow_finished: Arc<AtomicUsize>,
) -> Response {
    let Content {
        digest,
        media_type,
        size,
        mut bytes,
    } = content;
    let claimed_digest = match fault {
        Some(BodyFault::WrongDigestHeader) => BOGUS_DIGEST,
        _ => digest,
    };
    // HEAD promises the length GET would send (Truncate promises the full length anyway).
    let len = match fault {
        Some(BodyFault::Pad(n)) => size + *n as u64,
        Some(BodyFault::Replace(other)) => other.len() as u64,
        _ => size,
    };
    let mut builder = build(StatusCode::OK, Body::empty())
        .header(CONTENT_TYPE, media_type)
        .header(DIGEST_HEADER, claimed_digest)
        .header(ETAG, format!("\"{claimed_digest}\""));
    if !chunked {
        builder = builder.header(CONTENT_LENGTH, len);
    }
    if head {
        return builder.body_or_500();
    }

    let mut plan = Plan::Whole;
    match fault {
        None | Some(BodyFault::WrongDigestHeader) => {}
        Some(BodyFault::Corrupt) => {
            let mut v = bytes.to_vec();
            match v.last_mut() {
                Some(last) => *last ^= 1,
                None => v.push(b' '),
            }
            bytes = Bytes::from(v);
        }
        Some(BodyFault::Truncate) => plan = Plan::CutAt(bytes.len() / 2),
        Some(BodyFault::Pad(n)) => {
            let mut v = bytes.to_vec();
            v.resize(v.len() + n, b' ');
            bytes = Bytes::from(v);
        }
        Some(BodyFault::Stall(pause)) => plan = Plan::Stall(bytes.len() / 2, *pause),
        Some(BodyFault::Replace(other)) => bytes = other.clone(),
        Some(BodyFault::Drip(every)) => plan = Plan::Drip(*every),
    }
    builder.body = match plan {
        Plan::Whole if chunked => Body::from_stream(stream::iter([Ok::<_, io::Error>(bytes)])),
        Plan::Whole => Body::from(bytes),
        Plan::CutAt(at) => {
            // Ending the stream with an error makes hyper drop the connection short of the
            // promised length: what a client sees when a proxy dies mid-body. The yield lets
            // hyper flush the headers and the first half before it sees the error.
            let sent = bytes.slice(..at);
            Body::from_stream(stream::iter([Ok(sent)]).chain(stream::once(async {
                tokio::task::yield_now().await;
                Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "injected truncation",
                ))
            })))
        }
        Plan::Stall(at, pause) => {
            let first = bytes.slice(..at);
            let rest = bytes.slice(at..);
            Body::from_stream(
                stream::iter([Ok::<_, io::Error>(first)]).chain(stream::once(async move {
                    tokio::time::sleep(pause).await;
                    slow_finished.fetch_add(1, Ordering::SeqCst);
                    Ok(rest)
                })),
            )
        }
        Plan::Drip(every) => {
            let last = bytes.len().saturating_sub(1);
            let bytes: Vec<Bytes> = (0..bytes.len()).map(|i| bytes.slice(i..=i)).collect();
            Body::from_stream(
                stream::iter(bytes.into_iter().enumerate()).then(move |(i, b)| {
                    let slow_finished = Arc::clone(&slow_finished);
                    async move {
                        tokio::time::sleep(every).await;
                        if i == last {
                            slow_finished.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok::<_, io::Error>(b)
                    }
                }),
            )
        }
    };
    builder.body_or_500()
}

enum Plan {
    Whole,
    CutAt(usize),
    Stall(usize, std::time::Duration),
    Drip(std::time::Duration),
}

/// A response under construction; headers that fail to parse are reported, not panicked on.
pub(crate) struct Builder {
    inner: axum::http::response::Builder,
    body: Body,
}

pub(crate) fn build(status: StatusCode, body: Body) -> Builder {
    Builder {
        inner: Response::builder().status(status),
        body,
    }
}

impl Builder {
    pub(crate) fn header<V>(mut self, name: impl AsRef<str>, value: V) -> Self
    where
        V: TryInto<HeaderValue>,
        V::Error: Into<axum::http::Error>,
    {
        self.inner = self.inner.header(name.as_ref(), value);
        self
    }

    /// The response, or a bare 500 if a header value was unrepresentable (stored media
    /// types come from files and tests, so they may hold anything).
    pub(crate) fn body_or_500(self) -> Response {
        self.inner.body(self.body).unwrap_or_else(|_| {
            let mut resp = Response::new(Body::from("invalid header value\n"));
            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            resp
        })
    }
}

//! `regscope auth`'s diagnosis of one registry, as data: where the credentials come from, what
//! the registry asks for, whether the credentials work, Docker Hub's pull rate limit.

use std::collections::HashSet;

use futures::future::join_all;

use super::{ConnectError, Connector, CredentialInfo, Location, TlsInfo};
use crate::registry::http::Challenge;

/// Docker Hub's documented probe for the pull rate limit: a manifest request for this
/// repository returns `ratelimit-limit` / `ratelimit-remaining` without counting as a pull.
const RATE_LIMIT_PROBE: (&str, &str) = ("ratelimitpreview/test", "latest");

/// What `regscope auth` found out about one registry.
#[derive(Debug, Clone)]
pub struct AuthReport {
    pub registry: String,
    /// Where requests go (`host[:port]`), when a connection could be set up.
    pub endpoint: Option<String>,
    pub credentials: Option<CredentialInfo>,
    pub tls: TlsInfo,
    /// The `/v2/` challenge, or why the registry could not be asked.
    pub challenge: Result<Challenge, ConnectError>,
    /// Whether the credentials (or anonymous access) are accepted.
    pub check: Result<(), ConnectError>,
    /// Docker Hub's pull rate limit, when the registry reports one.
    pub rate_limit: Option<RateLimit>,
}

pub use crate::registry::ratelimit::RateLimit;

impl AuthReport {
    #[must_use]
    pub fn ok(&self) -> bool {
        self.check.is_ok()
    }
}

/// Diagnoses `registry` through `connector` (its flags, config file table and credentials).
pub async fn diagnose(connector: &Connector, registry: &str) -> AuthReport {
    let failed = |e: ConnectError| AuthReport {
        registry: registry.to_string(),
        endpoint: None,
        credentials: None,
        tls: TlsInfo::default(),
        challenge: Err(e.clone()),
        check: Err(e),
        rate_limit: None,
    };
    let connection = match connector
        .connect(&Location::Registry(registry.to_string()))
        .await
    {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let Some(http) = connection.fetcher.http() else {
        return failed(ConnectError::from(
            crate::registry::FetchError::NeedsRegistry {
                why: "not a registry",
            },
        ));
    };
    let challenge = http.challenge().await.map_err(|e| connection.error(e));
    let check = match &challenge {
        Ok(_) => http.verify_access().await.map_err(|e| connection.error(e)),
        Err(e) => Err(e.clone()),
    };
    // A HEAD: Docker Hub counts manifest GETs against the limit, not HEADs. Its answer (even a
    // refusal) carries the headers; the connection keeps the latest limit any response stated.
    let rate_limit =
        if check.is_ok() && crate::auth::registry_host(registry) == crate::auth::DOCKER_HUB {
            let _ = http
                .manifest_headers(RATE_LIMIT_PROBE.0, RATE_LIMIT_PROBE.1)
                .await;
            connection.fetcher.rate_limit()
        } else {
            None
        };
    AuthReport {
        registry: registry.to_string(),
        endpoint: connection.endpoint.clone(),
        credentials: connection.credentials.clone(),
        tls: connection.tls.clone(),
        challenge,
        check,
        rate_limit,
    }
}

/// Diagnoses every registry at once (an unreachable one costs its timeout once, not per row),
/// in the order given, each name once.
pub async fn diagnose_all(connector: &Connector, registries: &[String]) -> Vec<AuthReport> {
    let mut seen = HashSet::new();
    let unique: Vec<&String> = registries.iter().filter(|r| seen.insert(*r)).collect();
    join_all(unique.into_iter().map(|r| diagnose(connector, r))).await
}

//! `regscope auth`'s diagnosis of one registry, as data: where the credentials come from, what
//! the registry asks for, whether the credentials work, Docker Hub's pull rate limit.

use std::collections::HashSet;

use futures::future::join_all;
use serde::Serialize;

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

/// `ratelimit-limit` / `ratelimit-remaining` as sent (`100;w=21600`), and whom Docker Hub
/// counts the pulls against (`docker-ratelimit-source`: an IP address or an account id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub limit: Option<String>,
    pub remaining: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl RateLimit {
    /// `pulls left 76/100 per 6h, counted against 203.0.113.5`; a header that is not
    /// `N;w=SECONDS` is shown as sent.
    #[must_use]
    pub fn describe(&self) -> String {
        let (left, left_window) = split_quota(self.remaining.as_deref());
        let (limit, window) = split_quota(self.limit.as_deref());
        let mut text = format!("pulls left {left}/{limit}");
        if let Some(w) = window.or(left_window) {
            text.push_str(&format!(" per {w}"));
        }
        if let Some(source) = &self.source {
            text.push_str(&format!(", counted against {source}"));
        }
        text
    }
}

/// `100;w=21600` as `("100", Some("6h"))`; anything else as sent, `?` when missing.
fn split_quota(value: Option<&str>) -> (String, Option<String>) {
    let Some(value) = value else {
        return ("?".into(), None);
    };
    let (count, rest) = value.split_once(';').unwrap_or((value, ""));
    let window = rest
        .split(';')
        .find_map(|p| p.trim().strip_prefix("w="))
        .and_then(|w| w.trim().parse::<u64>().ok())
        .map(|secs| match secs {
            s if s % 3600 == 0 => format!("{}h", s / 3600),
            s if s % 60 == 0 => format!("{} min", s / 60),
            s => format!("{s}s"),
        });
    (count.trim().to_string(), window)
}

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
    let mut rate_limit = None;
    if check.is_ok() && crate::auth::registry_host(registry) == crate::auth::DOCKER_HUB {
        if let Ok(headers) = http
            .manifest_headers(RATE_LIMIT_PROBE.0, RATE_LIMIT_PROBE.1)
            .await
        {
            let get = |k: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| crate::sanitize::sanitize(v).into_owned())
            };
            rate_limit = Some(RateLimit {
                limit: get("ratelimit-limit"),
                remaining: get("ratelimit-remaining"),
                source: get("docker-ratelimit-source"),
            })
            .filter(|r| r.limit.is_some() || r.remaining.is_some());
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hubs_quota_headers_read_as_pulls_left_per_window() {
        let rl = RateLimit {
            limit: Some("100;w=21600".into()),
            remaining: Some("76;w=21600".into()),
            source: Some("203.0.113.5".into()),
        };
        assert_eq!(
            rl.describe(),
            "pulls left 76/100 per 6h, counted against 203.0.113.5"
        );
        let odd = RateLimit {
            limit: Some("lots".into()),
            remaining: None,
            source: None,
        };
        assert_eq!(odd.describe(), "pulls left ?/lots");
        assert_eq!(split_quota(Some("200;w=90")).1.as_deref(), Some("90s"));
        assert_eq!(split_quota(Some("200;w=600")).1.as_deref(), Some("10 min"));
    }
}

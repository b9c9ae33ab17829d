//! Endpoint discovery: how a registry is reached (HTTPS or HTTP, which challenge), from one
//! `/v2/` ping per registry or the disk cache's record of an earlier run.

use std::sync::Arc;

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use url::Url;

use super::super::challenge::response_challenge;
use super::super::error::registry_detail;
use super::super::stats::RequestKind;
use super::{origin_name, Challenge, FetchError, HttpRegistry, REMEMBER_ENDPOINT};

#[derive(Debug)]
pub(super) struct Endpoint {
    pub(super) base: Url,
    /// What `/v2/` answered (or, when `remembered`, answered on an earlier run).
    pub(super) challenge: Challenge,
    /// Taken from the disk cache instead of a ping: replaced by a ping if it proves wrong.
    pub(super) remembered: bool,
    /// How to authenticate now: the ping's challenge until a 401 names another, so later
    /// requests send what the registry wants without a 401 round trip each.
    pub(super) current: std::sync::Mutex<Challenge>,
}

impl Endpoint {
    pub(super) fn new(base: Url, challenge: Challenge) -> Self {
        Self {
            base,
            current: std::sync::Mutex::new(challenge.clone()),
            challenge,
            remembered: false,
        }
    }

    /// What the disk cache holds of this endpoint.
    pub(super) fn record(&self) -> crate::cache::Endpoint {
        let (challenge, realm, service) = match self.current() {
            Challenge::None => ("none", None, None),
            Challenge::Basic => ("basic", None, None),
            Challenge::Bearer { realm, service } => ("bearer", Some(realm), service),
        };
        crate::cache::Endpoint {
            scheme: self.base.scheme().to_string(),
            challenge: challenge.to_string(),
            realm,
            service,
        }
    }

    /// The endpoint a disk-cache record describes, if it is one for `host`.
    pub(super) fn from_record(host: &str, record: &crate::cache::Endpoint) -> Option<Self> {
        let base = Url::parse(&format!("{}://{host}/", record.scheme)).ok()?;
        let challenge = match (record.challenge.as_str(), &record.realm) {
            ("none", _) => Challenge::None,
            ("basic", _) => Challenge::Basic,
            ("bearer", Some(realm)) if Url::parse(realm).is_ok() => Challenge::Bearer {
                realm: realm.clone(),
                service: record.service.clone(),
            },
            _ => return None,
        };
        Some(Self {
            remembered: true,
            ..Self::new(base, challenge)
        })
    }

    pub(super) fn current(&self) -> Challenge {
        // Only ever replaced whole, so a poisoned lock still holds a usable challenge.
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn learn(&self, challenge: Challenge) {
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = challenge;
    }
}

impl HttpRegistry {
    /// How the registry is reached: remembered from an earlier run, else discovered with one
    /// `/v2/` ping, once per registry.
    pub(super) async fn endpoint(&self) -> Result<Arc<Endpoint>, FetchError> {
        if let Some(known) = self.known_endpoint() {
            return Ok(known);
        }
        let _discovering = self.discovering.lock().await;
        if let Some(known) = self.known_endpoint() {
            return Ok(known);
        }
        self.refuse_if_offline("the /v2/ endpoint")?;
        let remembered = self
            .memory
            .as_ref()
            .and_then(|m| m.endpoint(&self.host, REMEMBER_ENDPOINT))
            .and_then(|r| Endpoint::from_record(&self.host, &r))
            .filter(|e| !self.opts.plain_http || e.base.scheme() == "http");
        let endpoint = match remembered {
            Some(e) => Arc::new(e),
            None => Arc::new(self.discover().await?),
        };
        self.set_endpoint(endpoint.clone());
        Ok(endpoint)
    }

    pub(super) fn known_endpoint(&self) -> Option<Arc<Endpoint>> {
        self.endpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set_endpoint(&self, endpoint: Arc<Endpoint>) {
        if !endpoint.remembered {
            if let Some(memory) = &self.memory {
                memory.put_endpoint(&self.host, &endpoint.record());
            }
        }
        *self
            .endpoint
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(endpoint);
    }

    /// Replaces the remembered endpoint `stale` with a discovered one (once, however many
    /// requests found it stale).
    pub(super) async fn rediscover(
        &self,
        stale: &Arc<Endpoint>,
    ) -> Result<Arc<Endpoint>, FetchError> {
        let _discovering = self.discovering.lock().await;
        if let Some(known) = self.known_endpoint() {
            if !Arc::ptr_eq(&known, stale) {
                return Ok(known);
            }
        }
        if let Some(memory) = &self.memory {
            memory.forget_endpoint(&self.host);
        }
        let endpoint = Arc::new(self.discover().await?);
        self.set_endpoint(endpoint.clone());
        Ok(endpoint)
    }

    pub(super) fn refuse_if_offline(&self, what: &str) -> Result<(), FetchError> {
        if self.offline {
            return Err(FetchError::Offline {
                what: what.to_string(),
                cache: self
                    .memory
                    .as_ref()
                    .map(|m| m.dir().display().to_string())
                    .unwrap_or_default(),
            });
        }
        Ok(())
    }

    pub(super) async fn discover(&self) -> Result<Endpoint, FetchError> {
        // Docker talks plain HTTP to loopback registries that do not speak TLS; so do we.
        // Both are asked at once: the answer costs one round trip either way.
        if self.opts.plain_http {
            return self.ping("http").await;
        }
        if !super::super::proxy::is_loopback(&self.host) {
            return self.ping("https").await;
        }
        // One port speaks TLS or it does not: the first scheme that gets a registry's answer
        // is the one; the other is not waited for.
        let tls = std::pin::pin!(self.ping("https"));
        let plain = std::pin::pin!(self.ping("http"));
        let (tls, plain) = match futures::future::select(tls, plain).await {
            futures::future::Either::Left((Ok(endpoint), _))
            | futures::future::Either::Right((Ok(endpoint), _)) => return Ok(endpoint),
            futures::future::Either::Left((tls, plain)) => (tls, plain.await),
            futures::future::Either::Right((plain, tls)) => (tls.await, plain),
        };
        // The one that answered second may be the one that worked; and never downgrade to
        // HTTP from a server that speaks TLS we do not trust.
        if tls.is_ok() || matches!(tls, Err(FetchError::Tls { .. })) {
            return tls;
        }
        plain
    }

    /// One `/v2/` ping over `scheme`: the endpoint, or why there is none.
    pub(super) async fn ping(&self, scheme: &str) -> Result<Endpoint, FetchError> {
        if scheme == "https" {
            super::super::trust::seeded().await;
        }
        let base =
            Url::parse(&format!("{scheme}://{}/", self.host)).map_err(|e| FetchError::BadHost {
                host: self.host.clone(),
                detail: e.to_string(),
            })?;
        let ping = base.join("/v2/").map_err(|e| FetchError::BadUrl {
            detail: e.to_string(),
        })?;
        // The ping carries no credentials, so its redirects are safe to follow.
        match self
            .send_following_redirects(&ping, &[], None, RequestKind::Ping)
            .await
        {
            Ok(resp) => {
                let foreign = resp.url().origin() != ping.origin();
                let challenge = match resp.status().as_u16() {
                    // A 401 from the host a redirect led to names a realm the registry did not
                    // name: its challenge must never steer the registry's credentials.
                    401 | 403 if foreign => {
                        return Err(FetchError::ForeignRefusal {
                            registry: self.registry.clone(),
                            target: origin_name(resp.url()),
                            status: resp.status().as_u16(),
                        })
                    }
                    200..=299 => Challenge::None,
                    401 => ping_challenge(&self.host, resp.headers())?,
                    // A registry answers 200 or 401 here; anything else is not one to
                    // talk to (a web server, a failing registry, a blocking proxy).
                    _ => return Err(self.ping_error(resp).await),
                };
                Ok(Endpoint::new(base, challenge))
            }
            // Say what certificate the server presented.
            Err(FetchError::Tls { host, detail, .. }) => {
                let proxy = self.proxies.for_host("https", &self.host);
                let presented =
                    super::super::tls::presented_certificate(&self.host, proxy.as_ref())
                        .await
                        .map(|c| c.describe());
                Err(FetchError::Tls {
                    host,
                    detail,
                    presented,
                })
            }
            Err(other) => Err(other),
        }
    }

    /// `/v2/` answered neither 200 nor 401: say what it answered and what to check.
    pub(super) async fn ping_error(&self, resp: reqwest::Response) -> FetchError {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = self
            .read_limited(resp, 64 * 1024, "the /v2/ answer")
            .await
            .unwrap_or_default();
        match status {
            // A registry that is there but busy or failing: its own advice applies.
            429 | 500..=599 => self.status_error(status, &headers, &body, "the /v2/ endpoint"),
            _ => FetchError::NoRegistryApi {
                host: self.host.clone(),
                status,
                detail: registry_detail(&body),
            },
        }
    }
}

/// The challenge of the registry's own 401 to `/v2/`; an error when there is none it can
/// read (a non-ASCII header, an unknown scheme, none at all): "open" would be a guess, and
/// a later refusal would blame credentials that were never sent.
pub(super) fn ping_challenge(host: &str, headers: &HeaderMap) -> Result<Challenge, FetchError> {
    if let Some(c) = response_challenge(headers) {
        if c.challenge != Challenge::None {
            return Ok(c.challenge);
        }
    }
    let offered: Vec<String> = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            let cut: String = text.chars().take(120).collect();
            format!("`{}`", crate::sanitize::sanitize(&cut))
        })
        .collect();
    let detail = if offered.is_empty() {
        "without a WWW-Authenticate header to say how to log in".to_string()
    } else {
        format!(
            "with a WWW-Authenticate header regscope cannot use ({})",
            offered.join(", ")
        )
    };
    Err(FetchError::BadChallenge {
        host: host.to_string(),
        detail,
    })
}

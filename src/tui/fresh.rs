//! How fresh what a view shows is, in words: when the registry last confirmed it and, when the
//! last attempt failed, that it is from the cache and why (`from cache, seen 14 min ago;
//! registry unreachable`). Times are local, with the zone named.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::connect::ConnectError;
use crate::registry::FetchError;

/// Why what a view shows was not confirmed by the registry on the last attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// A few words: `registry unreachable`, `the registry denied access (403)`.
    pub why: String,
    /// The registry answered that it is gone (404): what is shown is what it was.
    pub deleted: bool,
}

impl Stale {
    /// The last attempt failed with `error`.
    #[must_use]
    pub fn of(error: &ConnectError) -> Self {
        Self {
            why: reason(error),
            deleted: error.is_not_found(),
        }
    }
}

/// A few words for why the registry did not confirm, or a tag row could not be read (the
/// whole error is in the flash and the status line): the start of the CLI's sentence for the
/// same error, without the advice.
#[must_use]
pub fn reason(error: &ConnectError) -> String {
    let Some(cause) = error.cause() else {
        return crate::sanitize::sanitize(&error.to_string()).into_owned();
    };
    match cause {
        FetchError::Connect { .. }
        | FetchError::NoRoute { .. }
        | FetchError::Transport { .. }
        | FetchError::Proxy { .. } => "registry unreachable".into(),
        FetchError::Dns { .. } => "the registry's name does not resolve".into(),
        FetchError::ConnectTimeout { .. } => "connecting to the registry timed out".into(),
        FetchError::DigestMismatch { .. } => "content does not match its digest".into(),
        FetchError::Malformed { .. } => "the registry sent malformed content".into(),
        FetchError::TokenService { .. } => "the registry's token service is unreachable".into(),
        FetchError::Timeout { .. } | FetchError::Deadline { .. } => {
            "the registry did not answer in time".into()
        }
        FetchError::Unauthorized { .. } => {
            "the registry refused the request as unauthenticated (401)".into()
        }
        FetchError::Forbidden { .. } => "the registry denied access (403)".into(),
        FetchError::NotFound { .. } => "not found in the registry (deleted)".into(),
        FetchError::RateLimited { retry_after, .. } => format!(
            "the registry is rate limiting requests (429){}",
            crate::registry::error::retry_hint(*retry_after)
        ),
        FetchError::Server { status, .. } => format!("the registry is failing ({status})"),
        FetchError::Tls { .. } => "TLS with the registry failed".into(),
        FetchError::Offline { .. } => "--offline: the registry is not asked".into(),
        other => crate::sanitize::sanitize(&other.to_string()).into_owned(),
    }
}

/// The zone times are shown in: `UTC`, `UTC+02:00`, `UTC-05:30` (`offset`: seconds east).
#[must_use]
pub fn zone(offset: i32) -> String {
    if offset == 0 {
        return "UTC".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60)
}

/// `HH:MM:SS UTC+02:00`: `t` in local time (`offset` seconds east of UTC), the zone named.
#[must_use]
pub fn clock(t: SystemTime, offset: i32) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let local = (secs + i64::from(offset)).rem_euclid(86_400);
    format!(
        "{:02}:{:02}:{:02} {}",
        local / 3600,
        local / 60 % 60,
        local % 60,
        zone(offset)
    )
}

/// `14 min ago` when the clock is known (`now`, seconds since the epoch; 0 unknown), else
/// `at 12:52:04 UTC`.
#[must_use]
pub fn seen(t: SystemTime, now: u64, offset: i32) -> String {
    let at = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if now == 0 {
        return format!("at {}", clock(t, offset));
    }
    super::recent::age(now, at)
}

/// The freshness of what was checked at `checked`, given the last attempt's failure:
/// `refreshed 12:52:04 UTC`, `from cache, seen 14 min ago; registry unreachable`, or
/// `deleted: not found in the registry; last seen 14 min ago`.
#[must_use]
pub fn label(checked: SystemTime, stale: Option<&Stale>, now: u64, offset: i32) -> String {
    match stale {
        None => format!("refreshed {}", clock(checked, offset)),
        Some(s) if s.deleted => format!(
            "deleted: not found in the registry; last seen {}",
            seen(checked, now, offset)
        ),
        Some(s) => format!("from cache, seen {}; {}", seen(checked, now, offset), s.why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_local_with_the_zone_named() {
        let t = UNIX_EPOCH + Duration::from_secs(1_750_000_000); // 15:06:40 UTC
        assert_eq!(clock(t, 0), "15:06:40 UTC");
        assert_eq!(clock(t, 2 * 3600), "17:06:40 UTC+02:00");
        assert_eq!(clock(t, -(5 * 3600 + 1800)), "09:36:40 UTC-05:30");
        // Past midnight in the zone.
        assert_eq!(clock(t, 9 * 3600), "00:06:40 UTC+09:00");
    }

    /// Each cause its own few words, the start of the CLI's sentence for it.
    #[test]
    fn each_cause_has_its_own_few_words() {
        let words = |e: FetchError| {
            let cli = e.to_string();
            (reason(&ConnectError::from(e)), cli)
        };
        let registry = || "reg.test".to_string();
        for (error, short, cli_says) in [
            (
                FetchError::Unauthorized {
                    registry: registry(),
                    detail: String::new(),
                },
                "the registry refused the request as unauthenticated (401)",
                "refused the request as unauthenticated (401)",
            ),
            (
                FetchError::Forbidden {
                    registry: registry(),
                    detail: String::new(),
                },
                "the registry denied access (403)",
                "denied access (403",
            ),
            (
                FetchError::NotFound {
                    what: "manifest `v1`".into(),
                    code: "MANIFEST_UNKNOWN".into(),
                },
                "not found in the registry (deleted)",
                "was not found",
            ),
            (
                FetchError::Timeout {
                    host: registry(),
                    after: Duration::from_secs(30),
                },
                "the registry did not answer in time",
                "did not answer within 30s",
            ),
            (
                FetchError::Tls {
                    host: registry(),
                    detail: "invalid peer certificate: UnknownIssuer".into(),
                    presented: None,
                },
                "TLS with the registry failed",
                "TLS with reg.test failed",
            ),
            (
                FetchError::RateLimited {
                    registry: registry(),
                    retry_after: Some(3600),
                    advice: String::new(),
                },
                "the registry is rate limiting requests (429), retry in 60 min",
                "is rate limiting requests (429), retry in 60 min",
            ),
        ] {
            let (got, cli) = words(error);
            assert_eq!(got, short);
            assert!(cli.contains(cli_says), "{cli}");
        }
    }

    #[test]
    fn what_the_registry_did_not_confirm_says_so_and_why() {
        let t = UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        let now = 1_750_000_000 + 14 * 60 + 5;
        let down = ConnectError::from(FetchError::Connect {
            host: "127.0.0.1:5000".into(),
            detail: "connection refused".into(),
        });
        let stale = Stale::of(&down);
        assert_eq!(
            label(t, Some(&stale), now, 0),
            "from cache, seen 14 min ago; registry unreachable"
        );
        assert_eq!(label(t, None, now, 0), "refreshed 15:06:40 UTC");
        let gone = Stale::of(&ConnectError::from(FetchError::NotFound {
            what: "manifest `v1`".into(),
            code: "MANIFEST_UNKNOWN".into(),
        }));
        assert_eq!(
            label(t, Some(&gone), 0, 3600),
            "deleted: not found in the registry; last seen at 16:06:40 UTC+01:00"
        );
    }
}

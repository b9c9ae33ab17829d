//! Docker Hub's pull rate limit as its headers state it (`ratelimit-limit`,
//! `ratelimit-remaining`, `docker-ratelimit-source`), read from whatever response carries them.

use serde::Serialize;

/// `ratelimit-limit` / `ratelimit-remaining` as sent (`100;w=21600`), and whom Docker Hub
/// counts the pulls against (`docker-ratelimit-source`: an IP address or an account id).
/// Every value is sanitized when read: it came from the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub limit: Option<String>,
    pub remaining: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The longest header value kept: Hub's are a dozen characters; anything longer is not one.
const MAX_VALUE: usize = 64;

impl RateLimit {
    /// The limit a response states, through `header` (a lower-case name to its value); `None`
    /// when it states neither the limit nor what is left (every registry but Docker Hub).
    pub fn from_headers<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        let get = |name: &str| {
            header(name).map(|v| {
                let v: String = v.chars().take(MAX_VALUE).collect();
                crate::sanitize::sanitize(&v).into_owned()
            })
        };
        let limit = Self {
            limit: get("ratelimit-limit"),
            remaining: get("ratelimit-remaining"),
            source: get("docker-ratelimit-source"),
        };
        (limit.limit.is_some() || limit.remaining.is_some()).then_some(limit)
    }

    /// `pulls left 76/100 per 6h, counted against 203.0.113.5`; a header that is not
    /// `N;w=SECONDS` is shown as sent.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut text = self.short();
        if let Some(source) = &self.source {
            text.push_str(&format!(", counted against {source}"));
        }
        text
    }

    /// `pulls left 76/100 per 6h`: what the TUI's header has room for.
    #[must_use]
    pub fn short(&self) -> String {
        let (left, left_window) = split_quota(self.remaining.as_deref());
        let (limit, window) = split_quota(self.limit.as_deref());
        let mut text = format!("pulls left {left}/{limit}");
        if let Some(w) = window.or(left_window) {
            text.push_str(&format!(" per {w}"));
        }
        text
    }

    /// Pulls left, when the header is a number.
    #[must_use]
    pub fn left(&self) -> Option<u64> {
        let (left, _) = split_quota(self.remaining.as_deref());
        left.parse().ok()
    }

    /// Whether a tenth or less of the limit is left: the header turns to a warning.
    #[must_use]
    pub fn low(&self) -> bool {
        let (limit, _) = split_quota(self.limit.as_deref());
        match (self.left(), limit.parse::<u64>().ok()) {
            (Some(left), Some(limit)) => left.saturating_mul(10) <= limit,
            (Some(left), None) => left == 0,
            _ => false,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn docker_hubs_quota_headers_read_as_pulls_left_per_window() {
        let rl = RateLimit::from_headers(headers(&[
            ("ratelimit-limit", "100;w=21600"),
            ("ratelimit-remaining", "76;w=21600"),
            ("docker-ratelimit-source", "203.0.113.5"),
        ]))
        .unwrap();
        assert_eq!(
            rl.describe(),
            "pulls left 76/100 per 6h, counted against 203.0.113.5"
        );
        assert_eq!(rl.short(), "pulls left 76/100 per 6h");
        assert_eq!((rl.left(), rl.low()), (Some(76), false));
        let odd = RateLimit {
            limit: Some("lots".into()),
            remaining: None,
            source: None,
        };
        assert_eq!(odd.describe(), "pulls left ?/lots");
        assert!(!odd.low());
        assert_eq!(split_quota(Some("200;w=90")).1.as_deref(), Some("90s"));
        assert_eq!(split_quota(Some("200;w=600")).1.as_deref(), Some("10 min"));
    }

    #[test]
    fn a_response_without_hubs_headers_states_no_limit_and_hostile_values_are_defused() {
        assert_eq!(RateLimit::from_headers(headers(&[("etag", "x")])), None);
        let rl = RateLimit::from_headers(headers(&[
            ("ratelimit-remaining", "9;w=3600"),
            ("ratelimit-limit", "100;w=3600"),
            ("docker-ratelimit-source", "\u{1b}[31mred"),
        ]))
        .unwrap();
        assert!(rl.low(), "9 of 100 is low");
        assert!(!rl.describe().contains('\u{1b}'), "{}", rl.describe());
        let long = "9".repeat(500);
        let rl = RateLimit::from_headers(headers(&[("ratelimit-remaining", &long)])).unwrap();
        assert_eq!(rl.remaining.unwrap().len(), MAX_VALUE);
    }
}

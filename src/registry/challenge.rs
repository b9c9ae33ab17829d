//! `WWW-Authenticate` challenges: what a `/v2/` ping or a 401 asks for (Basic, or Bearer with
//! a realm, service, scopes and the error said), parsed without trusting their shape.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

/// What a registry's `/v2/` ping asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// One `WWW-Authenticate` challenge with what a 401 adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthChallenge {
    pub challenge: Challenge,
    /// The scopes a token must hold (`scope="repository:app:pull"`, space-separated).
    pub scopes: Vec<String>,
    /// Why the credentials sent were refused (`insufficient_scope`, `invalid_token`), if said.
    pub error: Option<String>,
}

/// The challenge of a 401 to act on: the first Bearer one, else the first Basic one (a
/// registry offering both prefers tokens).
pub(super) fn response_challenge(headers: &HeaderMap) -> Option<AuthChallenge> {
    let offered: Vec<AuthChallenge> = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(parse_www_authenticate)
        .collect();
    let first = |want: fn(&Challenge) -> bool| offered.iter().find(|c| want(&c.challenge));
    first(|c| matches!(c, Challenge::Bearer { .. }))
        .or_else(|| first(|c| matches!(c, Challenge::Basic)))
        .cloned()
}

/// Parses `WWW-Authenticate: Bearer realm="…",service="…"` (or `Basic realm="…"`).
#[must_use]
pub fn parse_challenge(value: &str) -> Challenge {
    parse_www_authenticate(value).challenge
}

/// Parses one `WWW-Authenticate` value, with the `scope` and `error` a 401 may add
/// (`Bearer realm="…",service="…",scope="repository:app:pull",error="insufficient_scope"`).
#[must_use]
pub fn parse_www_authenticate(value: &str) -> AuthChallenge {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let params = parse_auth_params(rest);
    let challenge = if scheme.eq_ignore_ascii_case("basic") {
        Challenge::Basic
    } else if scheme.eq_ignore_ascii_case("bearer") {
        match params.get("realm") {
            Some(realm) => Challenge::Bearer {
                realm: realm.clone(),
                service: params.get("service").cloned(),
            },
            None => Challenge::None,
        }
    } else {
        Challenge::None
    };
    AuthChallenge {
        challenge,
        scopes: params
            .get("scope")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        error: params.get("error").filter(|e| !e.is_empty()).cloned(),
    }
}

fn parse_auth_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        out.insert(key, value.trim().to_string());
    }
    out
}

//! `regscope auth` rendered: a block of lines per registry, or one JSON array.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::connect::diagnose::AuthReport;
use crate::registry::http::Challenge;
use crate::sanitize::sanitize;

/// The challenge as one line: `Bearer realm=… service=…`, `Basic`, `none (open)`.
fn challenge_text(report: &AuthReport) -> String {
    match &report.challenge {
        Ok(Challenge::None) => "none (open)".to_string(),
        Ok(Challenge::Basic) => "Basic".to_string(),
        Ok(Challenge::Bearer { realm, service }) => sanitize(&format!(
            "Bearer realm={realm} service={}",
            service.as_deref().unwrap_or("-")
        ))
        .into_owned(),
        // The check line below says why (unreachable, TLS, not a registry).
        Err(_) => "not read (see check)".to_string(),
    }
}

/// The JSON array `regscope auth --json` prints (fields are only ever added).
#[must_use]
pub fn json(reports: &[AuthReport]) -> Value {
    Value::Array(
        reports
            .iter()
            .map(|r| {
                let creds = r.credentials.as_ref();
                json!({
                    "registry": r.registry,
                    "endpoint": r.endpoint,
                    "source": creds.map(|c| c.source.to_string()),
                    "username": creds.and_then(|c| c.username.clone()),
                    "identityToken": creds.is_some_and(|c| c.identity_token),
                    "challenge": challenge_text(r),
                    "ok": r.ok(),
                    "error": r.check.as_ref().err().map(ToString::to_string),
                    "notes": creds.map(|c| c.notes.clone()).unwrap_or_default(),
                    "tls": {
                        "plainHttp": r.tls.plain_http,
                        "insecure": r.tls.insecure,
                        "extraCAs": r.tls.extra_cas,
                    },
                    "rateLimit": r.rate_limit,
                })
            })
            .collect(),
    )
}

/// The text `regscope auth` prints.
#[must_use]
pub fn text(reports: &[AuthReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(out, "{}", sanitize(&r.registry));
        if let Some(endpoint) = r.endpoint.as_deref().filter(|e| *e != r.registry) {
            let _ = writeln!(out, "  endpoint     {}", sanitize(endpoint));
        }
        match &r.credentials {
            Some(c) => {
                let _ = writeln!(out, "  credentials  {}", c.describe());
            }
            None => {
                let _ = writeln!(out, "  credentials  -");
            }
        }
        if let Some(why) = &r.tls.insecure {
            let _ = writeln!(out, "  tls          verification OFF ({why})");
        } else if !r.tls.extra_cas.is_empty() {
            let _ = writeln!(
                out,
                "  tls          also trusting {}",
                r.tls.extra_cas.join(", ")
            );
        }
        let _ = writeln!(out, "  challenge    {}", challenge_text(r));
        match &r.check {
            Ok(()) => {
                let _ = writeln!(
                    out,
                    "  check        ok: /v2/ answered with these credentials"
                );
            }
            Err(e) => {
                let _ = writeln!(out, "  check        FAILED: {e}");
            }
        }
        if let Some(rl) = &r.rate_limit {
            let anonymous = r
                .credentials
                .as_ref()
                .is_none_or(|c| matches!(c.source, crate::auth::Source::Anonymous));
            let _ = writeln!(
                out,
                "  rate limit   {}{}",
                rl.describe(),
                if anonymous {
                    "; anonymous pulls are counted per IP address, a docker login raises the limit"
                } else {
                    ""
                }
            );
        }
        for note in r.credentials.iter().flat_map(|c| &c.notes) {
            let _ = writeln!(out, "  note         {note}");
        }
    }
    out
}

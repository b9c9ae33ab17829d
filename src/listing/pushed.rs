//! A registry API's answer (a tag API, ECR's DescribeImages) written into the tag history log: each tag with the digest the API
//! names and when the registry says it was pushed (`how: API`), so `history` can show the
//! registry's push time beside what regscope saw.

use std::time::SystemTime;

use super::Tags;
use crate::cache::{How, Sighting};
use crate::connect::Connector;
use crate::digest::Digest;

/// Sightings logged at most from one listing (the log keeps 10,000 per repository; one
/// listing of a huge repository should not push every other tag's history out).
pub const MAX_LOGGED: usize = 1_000;

/// Logs each tagged row of `listed` that names a digest, as seen now through the API, with
/// its push time where the API gave one that parses.
pub fn record(connector: &Connector, registry: &str, repository: &str, listed: &Tags) {
    let rows = listed.tags.iter().filter(|t| t.tagged).filter_map(|t| {
        let digest = t.digest.as_deref()?;
        Some((
            t.name.as_str(),
            digest,
            t.pushed.as_deref().and_then(parse_time),
        ))
    });
    log(connector, registry, repository, rows);
}

/// Logs `(tag, digest, pushed)` rows a registry's API gave for `registry/repository` (at most
/// [`MAX_LOGGED`]; a row whose tag or digest is not valid is not logged).
pub fn log<'a>(
    connector: &Connector,
    registry: &str,
    repository: &str,
    rows: impl IntoIterator<Item = (&'a str, &'a str, Option<SystemTime>)>,
) {
    let Some((cache, host)) = connector.tag_log(registry) else {
        return;
    };
    let now = SystemTime::now();
    for (tag, digest, pushed) in rows.into_iter().take(MAX_LOGGED) {
        let Ok(digest) = Digest::parse(digest) else {
            continue;
        };
        if !crate::reference::is_valid_tag(tag) {
            continue;
        }
        cache.log_sighting(&Sighting {
            registry: host.clone(),
            repository: repository.to_string(),
            tag: tag.to_string(),
            digest,
            at: now,
            how: How::Api,
            pushed,
        });
    }
}

/// A push time as the services write it: RFC 3339 (Docker Hub, GitHub, GitLab, Harbor) or
/// RFC 2822 (Quay's `last_modified`). A time in the future is the registry's clock, kept.
#[must_use]
pub fn parse_time(text: &str) -> Option<SystemTime> {
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(text))
        .ok()?;
    let secs = u64::try_from(parsed.timestamp()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_times_parse_as_each_service_writes_them() {
        let at =
            |s| parse_time(s).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs());
        // 2026-12-01T10:00:00Z
        let want = Some(1_796_119_200);
        assert_eq!(at("2026-12-01T10:00:00.000000Z"), want, "Docker Hub");
        assert_eq!(at("2026-12-01T10:00:00Z"), want, "GitHub");
        assert_eq!(at("2026-12-01T11:00:00.000+01:00"), want, "GitLab");
        assert_eq!(at("Tue, 01 Dec 2026 10:00:00 -0000"), want, "Quay");
        assert_eq!(at("yesterday"), None);
        assert_eq!(at("1960-01-01T00:00:00Z"), None, "before the epoch");
    }
}

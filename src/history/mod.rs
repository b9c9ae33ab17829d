//! What changed: the history of a tag from the cache's log of resolutions, each move with a
//! one-line summary from `diff`, and `watch` (polling tags, reporting moves as they happen).

pub mod map;
pub mod poll;
pub mod report;
pub mod watch;

use std::time::SystemTime;

use chrono::Offset as _;

use crate::cache::Sighting;
use crate::diff::Comparison;
use crate::digest::Digest;

/// Moves summarised at most for one `history` (each is two trees fetched or read from the
/// cache); later ones say they were not compared.
pub const MAX_SUMMARIES: usize = 20;

/// One digest a tag pointed at, over one unbroken stretch of sightings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stint {
    pub digest: Digest,
    pub first_seen: SystemTime,
    pub last_seen: SystemTime,
    /// How many times it was seen so (since the log last compacted, runs keep their ends only).
    pub sightings: usize,
    /// When the registry's API said this digest was pushed there (its clock, its claim; the
    /// earliest such claim of the stretch). `None` when no API was asked.
    pub pushed: Option<SystemTime>,
}

/// When a move happened, as far as anyone can say: the registry's push time where its API
/// named one, else between the last sighting of the old digest and the first of the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovedWhen {
    /// The registry says the new digest was pushed then.
    Pushed(SystemTime),
    /// regscope saw the old digest last at `.0` and the new one first at `.1`.
    Between(SystemTime, SystemTime),
}

/// When the move from `from` to `to` happened (see [`MovedWhen`]). A push time before the old
/// digest's last sighting is not this move's (an older push of the same digest): the
/// sightings bracket it instead.
#[must_use]
pub fn moved_when(from: &Stint, to: &Stint) -> MovedWhen {
    match to.pushed {
        Some(p) if p >= from.last_seen && p <= to.first_seen.max(to.last_seen) => {
            MovedWhen::Pushed(p)
        }
        _ => MovedWhen::Between(from.last_seen, to.first_seen),
    }
}

/// A tag's history: the digests it named, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagHistory {
    pub tag: String,
    pub stints: Vec<Stint>,
}

impl TagHistory {
    /// The moves, newest first: `(from, to)` of each adjacent pair of stints.
    pub fn moves(&self) -> impl Iterator<Item = (&Stint, &Stint)> {
        self.stints.windows(2).map(|w| (&w[1], &w[0]))
    }
}

/// Per tag (by name), the stints `sightings` (oldest first) make, newest first.
#[must_use]
pub fn tag_histories(sightings: &[Sighting]) -> Vec<TagHistory> {
    let mut tags: Vec<TagHistory> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for s in sightings {
        let i = *index.entry(&s.tag).or_insert_with(|| {
            tags.push(TagHistory {
                tag: s.tag.clone(),
                stints: Vec::new(),
            });
            tags.len() - 1
        });
        let history = &mut tags[i];
        match history.stints.last_mut() {
            Some(stint) if stint.digest == s.digest => {
                stint.last_seen = stint.last_seen.max(s.at);
                stint.sightings += 1;
                stint.pushed = match (stint.pushed, s.pushed) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            _ => history.stints.push(Stint {
                digest: s.digest.clone(),
                first_seen: s.at,
                last_seen: s.at,
                sightings: 1,
                pushed: s.pushed,
            }),
        }
    }
    for t in &mut tags {
        t.stints.reverse();
    }
    tags.sort_by(|a, b| a.tag.cmp(&b.tag));
    tags
}

/// When the tag's last move happened, from the log (see [`moved_when`]); `None` when it
/// never moved.
#[must_use]
pub fn last_moved(history: &TagHistory) -> Option<MovedWhen> {
    history
        .moves()
        .next()
        .map(|(from, to)| moved_when(from, to))
}

/// `2026-12-01 10:02 UTC+00:00` at `offset` seconds east of UTC.
fn minute(t: SystemTime, offset: i32) -> String {
    local(t, offset).format("%Y-%m-%d %H:%M UTC%:z").to_string()
}

fn local(t: SystemTime, offset: i32) -> chrono::DateTime<chrono::FixedOffset> {
    let zone = chrono::FixedOffset::east_opt(offset).unwrap_or_else(|| chrono::Utc.fix());
    chrono::DateTime::<chrono::Utc>::from(t).with_timezone(&zone)
}

/// `pushed 2026-12-01 10:02 UTC+00:00 (registry's time)`: the registry's claim, said to be.
#[must_use]
pub fn pushed_text(t: SystemTime, offset: i32) -> String {
    format!("pushed {} (registry's time)", minute(t, offset))
}

/// When a move happened, in words that claim no more than is known: `moved 2026-12-01 10:02
/// UTC+00:00 (pushed then, registry's time)`, or `moved between 2026-12-06 12:03:10 and
/// 12:05:40 UTC+00:00 (last seen at the old digest, first seen at the new)`.
#[must_use]
pub fn moved_text(when: MovedWhen, offset: i32) -> String {
    match when {
        MovedWhen::Pushed(t) => {
            format!("moved {} (pushed then, registry's time)", minute(t, offset))
        }
        MovedWhen::Between(a, b) => {
            let (a, b) = (local(a, offset), local(b, offset));
            let end = if a.date_naive() == b.date_naive() {
                b.format("%H:%M:%S UTC%:z")
            } else {
                b.format("%Y-%m-%d %H:%M:%S UTC%:z")
            };
            format!(
                "moved between {} and {end} (last seen at the old digest, first seen at the new)",
                a.format("%Y-%m-%d %H:%M:%S")
            )
        }
    }
}

/// What a move changed, in a few short parts: `linux/arm64 dropped`, `linux/amd64: config,
/// entrypoint, env differ`, `signature for index lost`; `no change in what runs` when the
/// digests differ but nothing that runs does.
#[must_use]
pub fn move_summary(c: &Comparison) -> Vec<String> {
    let mut out = Vec::new();
    for p in &c.platforms_only_right {
        out.push(format!("{p} added"));
    }
    for p in &c.platforms_only_left {
        out.push(format!("{p} dropped"));
    }
    for p in c.platforms.iter().filter(|p| !p.runs_the_same()) {
        let mut what: Vec<String> = Vec::new();
        if p.left_config != p.right_config {
            what.push("config".into());
        }
        for change in &p.config_changes {
            let field = match &change.name {
                Some(name) => format!("{} {name}", change.field),
                None => change.field.to_string(),
            };
            if !what.contains(&field) {
                what.push(field);
            }
        }
        let (added, removed) = (p.layers_only_right.len(), p.layers_only_left.len());
        if added + removed > 0 {
            what.push(format!("layers +{added} -{removed}"));
        }
        out.push(format!("{}: {}", p.platform, what.join(", ")));
    }
    for a in &c.attachments_only_left {
        out.push(format!("{a} lost"));
    }
    for a in &c.attachments_only_right {
        out.push(format!("{a} added"));
    }
    if out.is_empty() {
        out.push("no change in what runs".into());
    }
    if !c.incomplete.is_empty() {
        out.push(format!("not compared: {}", c.unread_summary().join(", ")));
    }
    out.into_iter()
        .map(|s| crate::sanitize::sanitize(&s).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::How;
    use std::time::Duration;

    fn s(tag: &str, d: &Digest, secs: u64) -> Sighting {
        Sighting {
            registry: "r".into(),
            repository: "app".into(),
            tag: tag.into(),
            digest: d.clone(),
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            how: How::Head,
            pushed: None,
        }
    }

    #[test]
    fn a_tag_that_moved_and_came_back_has_three_stints_newest_first() {
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        let log = [
            s("v1", &a, 10),
            s("v1", &a, 20),
            s("v2", &a, 25),
            s("v1", &b, 30),
            s("v1", &a, 40),
        ];
        let tags = tag_histories(&log);
        assert_eq!(tags.len(), 2);
        let v1 = &tags[0];
        assert_eq!(v1.tag, "v1");
        let digests: Vec<&Digest> = v1.stints.iter().map(|s| &s.digest).collect();
        assert_eq!(digests, [&a, &b, &a]);
        let oldest = &v1.stints[2];
        assert_eq!(oldest.sightings, 2);
        assert_eq!(
            oldest.last_seen,
            SystemTime::UNIX_EPOCH + Duration::from_secs(20)
        );
        let moves: Vec<(&Digest, &Digest)> =
            v1.moves().map(|(f, t)| (&f.digest, &t.digest)).collect();
        assert_eq!(moves, [(&b, &a), (&a, &b)], "newest move first");
        let t = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(
            last_moved(v1),
            Some(MovedWhen::Between(t(30), t(40))),
            "only a sighting each side is known"
        );
        assert_eq!(last_moved(&tags[1]), None, "v2 never moved");
    }

    #[test]
    fn a_push_time_between_the_sightings_is_when_the_tag_moved() {
        let (a, b) = (Digest::sha256_of(b"a"), Digest::sha256_of(b"b"));
        let t = |secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let api = |secs, pushed| Sighting {
            how: How::Api,
            pushed: Some(t(pushed)),
            ..s("v1", &b, secs)
        };
        let tags = tag_histories(&[s("v1", &a, 10), api(50, 35), api(60, 36)]);
        assert_eq!(tags[0].stints[0].pushed, Some(t(35)), "the earliest claim");
        assert_eq!(last_moved(&tags[0]), Some(MovedWhen::Pushed(t(35))));
        // A push time older than the old digest's last sighting is an earlier push of the
        // same digest, not this move.
        let tags = tag_histories(&[s("v1", &a, 10), api(50, 5)]);
        assert_eq!(last_moved(&tags[0]), Some(MovedWhen::Between(t(10), t(50))));
    }
}

//! What changed: the history of a tag from the cache's log of resolutions, each move with a
//! one-line summary from `diff`, and `watch` (polling tags, reporting moves as they happen).

pub mod poll;
pub mod report;
pub mod watch;

use std::time::SystemTime;

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
            }
            _ => history.stints.push(Stint {
                digest: s.digest.clone(),
                first_seen: s.at,
                last_seen: s.at,
                sightings: 1,
            }),
        }
    }
    for t in &mut tags {
        t.stints.reverse();
    }
    tags.sort_by(|a, b| a.tag.cmp(&b.tag));
    tags
}

/// When `digest` last stopped being what the tag named, from the log: the time the tag was
/// first seen at what came after it (for `moved 14 min ago`).
#[must_use]
pub fn moved_at(history: &TagHistory) -> Option<SystemTime> {
    (history.stints.len() > 1).then(|| history.stints[0].first_seen)
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
        assert_eq!(
            moved_at(v1),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(40))
        );
        assert_eq!(moved_at(&tags[1]), None, "v2 never moved");
    }
}

//! `watch --map FILE`: the tags to watch from a promotion map (the file `diff --map` reads,
//! parsed by the same parser): for each line, every tag of the source matching its glob, on
//! both sides of the promotion.

use crate::attachments::discover::schema_tag_subject;
use crate::connect::{Connector, Location};
use crate::diff::map::{glob_matches, parse, MapError, Promotion, MAX_TAGS_PER_LINE};
use crate::reference::{ImageRef, RegistryRef};
use crate::sanitize::sanitize;

/// The tags a map names, and what could not be listed (one sentence each).
#[derive(Debug, Default)]
pub struct MapTargets {
    /// `SOURCE:tag` and `TARGET:tag` of each matching tag, in map order, without repeats.
    pub targets: Vec<RegistryRef>,
    pub notes: Vec<String>,
}

/// The map in `text`, parsed (a malformed line is an error naming its number), each line's
/// source listed once, at most [`MAX_TAGS_PER_LINE`] tags a line and `max` in all.
pub async fn targets(
    connector: &Connector,
    text: &str,
    max: usize,
) -> Result<MapTargets, MapError> {
    let promotions = parse(text)?;
    let mut out = MapTargets::default();
    for promotion in promotions {
        let Some((source, target)) = pair(&promotion) else {
            continue;
        };
        let tags = match Box::pin(matching_tags(connector, &source, &promotion)).await {
            Ok(tags) => tags,
            Err(note) => {
                out.notes.push(note);
                continue;
            }
        };
        if tags.is_empty() {
            out.notes.push(format!(
                "line {}: no tag of {} matches",
                promotion.line,
                sanitize(&promotion.source)
            ));
        }
        for tag in tags {
            for side in [&source, &target] {
                let r = RegistryRef {
                    tag: Some(tag.clone()),
                    digest: None,
                    ..side.clone()
                };
                if !out.targets.contains(&r) {
                    out.targets.push(r);
                }
            }
        }
    }
    if out.targets.len() > max {
        out.notes.push(format!(
            "the map names {} tags; the first {max} are watched",
            out.targets.len()
        ));
        out.targets.truncate(max);
    }
    Ok(out)
}

/// The line's two repositories (the parser checked both are registry repositories).
fn pair(p: &Promotion) -> Option<(RegistryRef, RegistryRef)> {
    match (ImageRef::parse(&p.source), ImageRef::parse(&p.target)) {
        (Ok(ImageRef::Registry(s)), Ok(ImageRef::Registry(t))) => Some((s, t)),
        _ => None,
    }
}

/// The source's tags matching the line's glob, by name, attachment tags left out (they travel
/// with their image), at most [`MAX_TAGS_PER_LINE`].
async fn matching_tags(
    connector: &Connector,
    source: &RegistryRef,
    p: &Promotion,
) -> Result<Vec<String>, String> {
    let cannot = |e: String| {
        format!(
            "line {}: the tags of {} could not be listed: {}; not watched",
            p.line,
            sanitize(&p.source),
            sanitize(&e)
        )
    };
    let connection = connector
        .connect(&Location::Registry(source.registry.clone()))
        .await
        .map_err(|e| cannot(e.to_string()))?;
    let listing = connection
        .fetcher
        .tag_listing(&source.repository)
        .await
        .map_err(|e| cannot(connection.error(e).to_string()))?;
    let mut tags: Vec<String> = listing
        .tags
        .into_iter()
        .filter(|t| schema_tag_subject(t).is_none())
        .filter(|t| p.glob.as_deref().is_none_or(|g| glob_matches(g, t)))
        .collect();
    tags.sort();
    tags.truncate(MAX_TAGS_PER_LINE);
    Ok(tags)
}

//! `regscope where REPO@DIGEST`: which tags and which indexes point at a digest from a log.

use std::io::Write as _;

use serde_json::json;

use super::args::ConnectionArgs;
use super::Failure;
use regscope::output::json::to_terminal_string;
use regscope::placement::place;
use regscope::reference::ImageRef;
use regscope::sanitize::sanitize;

/// Exit 0 when something points at the digest, 1 when nothing does.
pub async fn run(reference: &str, json: bool, connection: &ConnectionArgs) -> Result<u8, Failure> {
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    let digest = match &image {
        ImageRef::Registry(r) => r.digest.clone(),
        ImageRef::Layout(l) => l.digest.clone(),
    }
    .ok_or_else(|| {
        Failure::usage(format!(
            "`{}` names no digest: give REPOSITORY@sha256:… (the digest to place)",
            sanitize(reference)
        ))
    })?;
    let connector = connection.connector()?;
    let connection = connector
        .connect_to(&image)
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let placement = place(&connection.fetcher, &image, &digest.to_string()).await;
    let mut stdout = std::io::stdout().lock();
    if json {
        let doc = json!({
            "digest": placement.digest,
            "tags": placement.tags,
            "inIndexes": placement.in_indexes.iter().map(|(tag, index, platform)| json!({
                "tag": tag, "index": index, "platform": platform,
            })).collect::<Vec<_>>(),
            "attachmentTags": placement.attachment_tags,
            "notes": placement.notes,
        });
        let _ = writeln!(stdout, "{}", to_terminal_string(&doc));
    } else {
        let _ = writeln!(stdout, "{}: {}", placement.digest, placement.one_line());
        for note in &placement.notes {
            let _ = writeln!(stdout, "  note: {}", sanitize(note));
        }
    }
    Ok(u8::from(placement.is_empty()))
}

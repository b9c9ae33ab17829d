//! `regscope where REPO@DIGEST`: which tags and which indexes point at a digest from a log.

use std::io::Write as _;

use serde_json::json;

use super::args::ConnectionArgs;
use super::Failure;
use regscope::output::json::to_terminal_string;
use regscope::placement::place;
use regscope::reference::ImageRef;
use regscope::sanitize::sanitize;
use regscope::tui::views::tags::version_cmp;

/// Exit 0 when something points at the digest, 1 when nothing does.
pub async fn run(reference: &str, json: bool, connection: &ConnectionArgs) -> Result<u8, Failure> {
    refuse_bare_registry(reference)?;
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
    let mut placement = place(&connection.fetcher, &image, &digest.to_string()).await;
    // The list's order is the registry's (lexical: v1.10 before v1.9); people read versions.
    placement.tags.sort_by(|a, b| version_cmp(a, b));
    placement
        .in_indexes
        .sort_by(|a, b| version_cmp(&a.0, &b.0).then_with(|| a.2.cmp(&b.2)));
    placement.attachment_tags.sort_by(|a, b| version_cmp(a, b));
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

/// `127.0.0.1:5000@sha256:…` names a registry and no repository: parsed as a reference it
/// would be the Docker Hub repository `library/127.0.0.1`, asked about on Docker Hub.
fn refuse_bare_registry(reference: &str) -> Result<(), Failure> {
    if reference.starts_with("oci:") {
        return Ok(());
    }
    let Some((name, digest)) = reference.split_once('@') else {
        return Ok(());
    };
    let looks_like_registry = name.contains('.') || name.contains(':') || name == "localhost";
    if !name.contains('/') && looks_like_registry {
        return Err(Failure::usage(format!(
            "`{}` names a registry but no repository: give REGISTRY/REPOSITORY@DIGEST, e.g. {}/team/app@{}",
            sanitize(reference),
            sanitize(name),
            sanitize(digest)
        )));
    }
    Ok(())
}

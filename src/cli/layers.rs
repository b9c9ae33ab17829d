//! `regscope layers REF [--platform P|all] [--json]`: each layer with the history step that
//! made it, and the space wasted as dive computes it, for one platform or all of them.

use std::io::Write as _;

use super::args::ConnectionArgs;
use super::files::{choose, end_progress, progress_line};
use super::Failure;
use regscope::layers::fetch::filesystem;
use regscope::layers::platform_manifests;
use regscope::layers::summary::{image_layers, ImageLayers};
use regscope::layers::Limits;
use regscope::model::{Node, Platform};
use regscope::output::{json, layers as out};
use regscope::reference::ImageRef;

/// `regscope layers`.
pub async fn run(
    reference: &str,
    platform: Option<&str>,
    as_json: bool,
    verbose: bool,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let all = platform.is_some_and(|p| p.eq_ignore_ascii_case("all"));
    let platform = platform
        .filter(|_| !all)
        .map(Platform::parse)
        .transpose()
        .map_err(Failure::usage)?;
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    // One --deadline for the whole command: the tree, then every platform's layers.
    let opened = super::files::open_tree(&image, verbose, connection).await?;
    let (conn, inspection) = (&opened.connection, &opened.inspection);
    let manifests: Vec<&Node> = if all {
        platform_manifests(&inspection.root, None)
    } else {
        vec![choose(&inspection.root, platform.as_ref())?]
    };
    if manifests.is_empty() {
        return Err(Failure::runtime(
            "the image has no runnable image manifest to open (an artifact or attestation?)",
        ));
    }
    let repo = regscope::inspect::repo_of(&image);
    let progress = progress_line();
    let mut images: Vec<ImageLayers> = Vec::new();
    // Per platform: when its figures were measured, if they were read from the disk cache.
    let mut cached: Vec<Option<u64>> = Vec::new();
    for manifest in manifests {
        let limits = Limits {
            deadline: opened.left(),
            ..Limits::default()
        };
        // Layers shared between platforms are listed once: the listing is cached by digest.
        let fs = filesystem(&conn.fetcher, &repo, manifest, &limits, &progress).await;
        end_progress();
        let fs = fs.map_err(|e| {
            Failure::runtime(regscope::sanitize::sanitize(&e.to_string()).into_owned())
        })?;
        let label = manifest
            .config_summary()
            .map(regscope::analysis::config_platform)
            .map_or_else(|| "?".into(), |p| regscope::analysis::platform_label(&p));
        images.push(image_layers(manifest, label, &fs));
        cached.push(fs.from_cache());
    }
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let mut doc = serde_json::json!({
            "reference": inspection.reference,
            "platforms": images,
        });
        for (i, at) in cached.iter().enumerate() {
            if let (Some(at), Some(p)) = (at, doc["platforms"].get_mut(i)) {
                p["fromCache"] = serde_json::json!({ "measuredAt": at });
            }
        }
        let _ = writeln!(stdout, "{}", json::to_terminal_string(&doc));
        return Ok(0);
    }
    let width = super::args::text_width();
    for (i, layers) in images.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(stdout);
        }
        let _ = write!(stdout, "{}", out::text(layers, width));
        if let Some(at) = cached[i] {
            let _ = writeln!(stdout, "figures {}", super::files::from_cache(at));
        }
    }
    if images.len() > 1 {
        let _ = write!(stdout, "\n{}", out::platforms_table(&images));
    }
    Ok(0)
}

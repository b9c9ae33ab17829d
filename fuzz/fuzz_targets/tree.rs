//! Whole trees: an OCI layout whose index and blobs the fuzzer writes, walked by `inspect`,
//! judged by the analysis and every deployment target, and printed as text and JSON. Never a
//! panic, and nothing printed that a terminal obeys.
//!
//! Blobs name each other with placeholders: `"@3"` in blob 1 becomes blob 3's digest (a blob
//! names only later ones, so the digests can be computed back to front; content addressing
//! makes cycles impossible anyway), which lets the fuzzer build deep and wide trees.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use regscope::analysis::{analyze, target::Target};
use regscope::inspect::{inspect, InspectOptions};
use regscope::output::{json, style::Style, text};
use regscope::reference::ImageRef;
use regscope::registry::{Fetcher, HttpOptions, Limits};
use sha2::{Digest as _, Sha256};

#[path = "common.rs"]
mod common;

const MAX_BLOBS: usize = 8;

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("regscope-fuzz-tree-{}", std::process::id()))
    })
}

/// Writes the layout: part 0 is `index.json`, parts 1.. are blobs; parts are split at `\0`.
fn write_layout(data: &[u8]) -> Option<()> {
    let parts: Vec<&[u8]> = data.split(|&b| b == 0).take(MAX_BLOBS + 1).collect();
    let mut digests = vec![String::new(); parts.len()];
    let mut contents = vec![Vec::new(); parts.len()];
    for i in (0..parts.len()).rev() {
        let mut text = String::from_utf8_lossy(parts[i]).into_owned();
        for (j, digest) in digests.iter().enumerate().skip(i + 1) {
            text = text.replace(&format!("\"@{j}\""), &format!("\"{digest}\""));
        }
        digests[i] = format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())));
        contents[i] = text.into_bytes();
    }
    let root = dir();
    let blobs = root.join("blobs/sha256");
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(&blobs).ok()?;
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .ok()?;
    std::fs::write(root.join("index.json"), contents.first()?).ok()?;
    for (digest, content) in digests.iter().zip(&contents).skip(1) {
        let hex = digest.trim_start_matches("sha256:");
        std::fs::write(blobs.join(hex), content).ok()?;
    }
    Some(())
}

fuzz_target!(|data: &[u8]| {
    if write_layout(data).is_none() {
        return;
    }
    let Ok(reference) = ImageRef::parse(&format!("oci:{}", dir().display())) else {
        return;
    };
    let Ok(fetcher) = Fetcher::for_reference(&reference, HttpOptions::default(), Limits::default())
    else {
        return;
    };
    let opts = InspectOptions { attachments: true };
    let Ok(inspection) = common::runtime().block_on(inspect(&fetcher, &reference, &opts)) else {
        return;
    };
    let mut findings = analyze(&inspection.root);
    for target in [
        "lambda",
        "lambda/arm64",
        "linux/amd64",
        "linux/arm/v7",
        "windows/amd64",
    ] {
        if let Ok(t) = Target::parse(target) {
            findings.extend(t.check(&inspection.root));
            let _ = t.verdict(&inspection.root);
        }
    }
    // The layout's own path is the user's; everything else came from the fuzzer.
    let shown = text::render(&inspection, &findings, Style::plain(), Some(80))
        .replace(&dir().display().to_string(), "LAYOUT");
    common::assert_terminal_safe("the text tree", &shown);
    let doc = json::to_terminal_string(&json::report(&inspection, &findings, Some("lambda")));
    common::assert_terminal_safe("the JSON report", &doc);
    let _: serde_json::Value = serde_json::from_str(&doc).expect("the JSON report reads back");
});

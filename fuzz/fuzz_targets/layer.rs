//! Layer blobs as a registry serves them (gzip, zstd or plain tar, and anything else): two
//! layers read with the real bounds scaled down, merged with whiteouts, and the paths a start
//! looks up resolved through links (loops included). Never a panic, and every path printed is
//! terminal-safe.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::digest::Digest;
use regscope::layers::{exec, list_layer, merge::merge, Limits};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        tar_bytes: 4 << 20,
        entries_per_layer: 10_000,
        entries_total: 20_000,
        ..Limits::default()
    };
    // Two layers, split at the first `\xff\xfe\xfd` (or one layer).
    let split = data.windows(3).position(|w| w == b"\xff\xfe\xfd");
    let parts: Vec<&[u8]> = match split {
        Some(at) => vec![&data[..at], &data[at + 3..]],
        None => vec![data],
    };
    let mut listings = Vec::new();
    for part in parts {
        let digest = Digest::sha256_of(part);
        if let Ok(listing) = list_layer(part, &digest, None, &limits) {
            listings.push((digest.to_string(), listing));
        }
    }
    let _ = exec::classify(data);
    let fs = merge(listings, &limits);
    for path in fs.paths().take(200) {
        common::assert_terminal_safe("a path", &regscope::sanitize::sanitize(path));
    }
    for name in [
        "/bin/sh",
        "sh",
        "/app",
        "app",
        "/lib/ld-musl-x86_64.so.1",
        "/etc/passwd",
    ] {
        let _ = fs.which(
            name,
            Some("/usr/local/bin:/usr/bin:/bin"),
            Some("/app"),
            limits.link_depth,
        );
        let _ = fs.resolve(name, limits.link_depth);
        let _ = fs.text(name, limits.link_depth);
    }
    let _ = fs.changes();
    let _ = fs.stopped();
});

//! Layers from a hostile registry (regscope's own fault-injecting server over an OCI layout
//! built here): a layer whose bytes do not hash to its digest is a `digest-mismatch` finding
//! that says the content is not trusted, and a layer cut off mid-body is a finding that its
//! files were not checked; neither is cached, and a clean server afterwards gives the files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;

use regscope::analysis::layer_files::{check_manifest, Checked};
use regscope::inspect::{inspect, InspectOptions};
use regscope::layers::exec::build::elf64;
use regscope::layers::platform_manifests;
use regscope::layers::Limits;
use regscope::reference::ImageRef;
use regscope::registry::{Fetcher, HttpOptions};
use regscope::serve::{self, BodyFault, Faults, Layout};
use serde_json::json;
use support::layers::{base, compress, file, tar, Compression, X86_64};
use support::sha256_digest;

/// Writes `blob` into the layout and returns its digest.
fn put(dir: &Path, blob: &[u8]) -> String {
    let digest = sha256_digest(blob);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(dir.join("blobs/sha256").join(hex), blob).unwrap();
    digest
}

/// An OCI layout holding one image tagged `v1`; returns the layer digests.
fn layout(dir: &Path) -> Vec<String> {
    let blobs: Vec<(Vec<u8>, Option<i64>)> = [
        base(true),
        vec![file("usr/bin/app", 0o755, &elf64(X86_64, None))],
    ]
    .iter()
    .map(|items| (compress(&tar(items), Compression::Gzip).0, None))
    .collect();
    layout_claiming(dir, &blobs)
}

async fn check_with(dir: &Path, faults: Faults) -> Checked {
    let server = serve::start(vec![Layout::new("team/app", dir)], faults)
        .await
        .unwrap();
    let image = ImageRef::parse(&format!("{}/team/app:v1", server.host())).unwrap();
    let fetcher = Fetcher::for_reference(
        &image,
        HttpOptions::default(),
        regscope::registry::Limits::default(),
    )
    .unwrap();
    let inspection = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .unwrap();
    let manifest = platform_manifests(&inspection.root, None)[0];
    let checked = check_manifest(&fetcher, "team/app", manifest, &Limits::default(), &|_| {}).await;
    server.shutdown().await;
    checked
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_layer_is_a_security_finding_and_a_cut_one_is_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let layers = layout(dir.path());

    let corrupt = Faults::default().with_body(layers[1].clone(), BodyFault::Corrupt);
    let c = check_with(dir.path(), corrupt).await;
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    let f = &c.findings[0];
    assert_eq!(f.code.as_str(), "digest-mismatch");
    assert!(
        f.message.contains(&layers[1]) && f.message.contains("not trusted"),
        "{}",
        f.message
    );
    assert!(f.fix.as_deref().unwrap().contains("security finding"));

    let cut = Faults::default().with_body(layers[0].clone(), BodyFault::Truncate);
    let c = check_with(dir.path(), cut).await;
    assert_eq!(c.findings.len(), 1, "{:#?}", c.findings);
    assert_eq!(
        c.findings[0].code.as_str(),
        "fetch-failed",
        "{:#?}",
        c.findings
    );
    assert!(c.findings[0].message.contains("not checked"));

    let clean = check_with(dir.path(), Faults::default()).await;
    assert!(clean.findings.is_empty(), "{:#?}", clean.findings);
    assert_eq!(
        clean.facts.unwrap().program.as_deref(),
        Some("ELF amd64, static")
    );
}

// ---- Hostile registries, round two (issue 25): every layer read ends within its bounds. ----

const USER: &str = "hostile-user";
const PASSWORD: &str = "Hostile-layers-pa55";

/// An OCI layout of one image tagged `v1` whose layers are `blobs`, each with the size its
/// descriptor claims (`None`: the true size); returns the layer digests.
fn layout_claiming(dir: &Path, blobs: &[(Vec<u8>, Option<i64>)]) -> Vec<String> {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let mut digests = Vec::new();
    let mut descriptors = Vec::new();
    for (blob, claimed) in blobs {
        let digest = put(dir, blob);
        let size = claimed.unwrap_or(i64::try_from(blob.len()).unwrap());
        descriptors.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size}));
        digests.push(digest);
    }
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/usr/bin/app"], "User": "65532"},
        "rootfs": {"type": "layers", "diff_ids": []},
    })
    .to_string();
    let config_digest = put(dir, config.as_bytes());
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": descriptors,
    })
    .to_string();
    let manifest_digest = put(dir, manifest.as_bytes());
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": "v1"},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    digests
}

/// A small valid layer: an app and a file.
fn small_layer() -> Vec<u8> {
    compress(
        &tar(&[
            file("usr/bin/app", 0o755, &elf64(X86_64, None)),
            file("etc/motd", 0o644, b"hello\n"),
        ]),
        Compression::Gzip,
    )
    .0
}

/// Faults that ask for HTTP Basic credentials, as a private registry behind htpasswd does.
fn private(faults: Faults) -> Faults {
    Faults {
        basic_auth: Some((USER.into(), PASSWORD.into())),
        ..faults
    }
}

/// A sandbox whose docker config holds the login for `host` (`auths`).
fn logged_in(host: &str) -> support::sandbox::Sandbox {
    use base64::Engine as _;
    let sandbox = support::sandbox::Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    sandbox.docker_config(&json!({"auths": {host: {"auth": auth}}}));
    sandbox
}

/// Runs regscope with `args` in `sandbox`; a run that outlives `limit` fails the test (the
/// bound under test did not hold). Returns (exit code, stdout, stderr).
async fn run_bounded(
    sandbox: &support::sandbox::Sandbox,
    args: &[&str],
    limit: std::time::Duration,
) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::from(sandbox.command(&support::regscope_bin()));
    cmd.args(args).kill_on_drop(true);
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .unwrap_or_else(|_| panic!("regscope {args:?} did not end within {limit:?}"))
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "the password was printed"
    );
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_negative_layer_size_is_a_finding_and_the_layer_is_never_fetched() {
    for claimed in [-5i64, -1] {
        let dir = tempfile::tempdir().unwrap();
        let layer = small_layer();
        let digests = layout_claiming(dir.path(), &[(layer, Some(claimed))]);
        // Were it fetched, the layer would drip forever: the old hang.
        let faults = private(Faults::default().with_body(
            digests[0].clone(),
            BodyFault::Drip(std::time::Duration::from_secs(1)),
        ));
        let server = serve::start(vec![Layout::new("team/app", dir.path())], faults)
            .await
            .unwrap();
        let reference = format!("{}/team/app:v1", server.host());
        let sandbox = logged_in(&server.host());
        let limit = std::time::Duration::from_mins(1);
        let expected = format!("its descriptor gives the size {claimed}");

        let (code, _, stderr) = run_bounded(&sandbox, &["files", &reference], limit).await;
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains(&expected) && stderr.contains("not fetched"),
            "{stderr}"
        );

        let (code, stdout, stderr) = run_bounded(
            &sandbox,
            &["check", &reference, "--files", "--no-cache"],
            limit,
        )
        .await;
        assert_eq!(
            code, 1,
            "an invalid descriptor is an error finding: {stdout}{stderr}"
        );
        assert!(stdout.contains("malformed-content"), "{stdout}");
        assert!(stdout.contains(&expected), "{stdout}");
        assert!(
            !stdout.contains(&format!("{claimed} B")),
            "a negative size is not printed as a size: {stdout}"
        );

        let blob_gets: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.target.contains(&digests[0]))
            .collect();
        assert!(
            blob_gets.is_empty(),
            "the layer was requested: {blob_gets:?}"
        );
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn layer_downloads_end_at_the_timeout_and_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let layer = small_layer();
    assert!(layer.len() > 20, "{}", layer.len());
    let digests = layout_claiming(dir.path(), &[(layer.clone(), None)]);
    let second = tempfile::tempdir().unwrap();
    // The descriptor claims 10 bytes of a longer layer.
    let short = layout_claiming(second.path(), &[(layer, Some(10))]);
    let limit = std::time::Duration::from_secs(90);

    // Dripped a byte a second: never idle for --timeout, so only --deadline ends it.
    let drip = private(Faults::default().with_body(
        digests[0].clone(),
        BodyFault::Drip(std::time::Duration::from_secs(1)),
    ));
    let server = serve::start(vec![Layout::new("team/app", dir.path())], drip)
        .await
        .unwrap();
    let reference = format!("{}/team/app:v1", server.host());
    let sandbox = logged_in(&server.host());
    for args in [
        vec![
            "files",
            reference.as_str(),
            "--timeout",
            "3",
            "--deadline",
            "6",
        ],
        vec![
            "inspect",
            reference.as_str(),
            "--files",
            "--no-cache",
            "--timeout",
            "3",
            "--deadline",
            "6",
        ],
    ] {
        let (code, stdout, stderr) = run_bounded(&sandbox, &args, limit).await;
        let text = format!("{stdout}{stderr}");
        assert!(
            text.contains("did not finish within") && text.contains("--deadline"),
            "{args:?}: {text}"
        );
        if args[0] == "files" {
            assert_eq!(code, 1, "{text}");
        } else {
            assert!(
                text.contains("fetch-failed") && text.contains("not checked"),
                "{text}"
            );
        }
    }
    server.shutdown().await;

    // More bytes than the descriptor claims: refused at the claim, the rest not waited for.
    let drip = private(Faults::default().with_body(
        short[0].clone(),
        BodyFault::Drip(std::time::Duration::from_millis(300)),
    ));
    let server = serve::start(vec![Layout::new("team/app", second.path())], drip)
        .await
        .unwrap();
    let reference = format!("{}/team/app:v1", server.host());
    let sandbox = logged_in(&server.host());
    let (code, _, stderr) =
        run_bounded(&sandbox, &["files", &reference, "--timeout", "5"], limit).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("larger than the descriptor's 10 bytes"),
        "{stderr}"
    );
    // The download stopped at the claim: at most a few bytes past it were dripped.
    let blob = server
        .requests()
        .into_iter()
        .filter(|r| r.target.contains(&short[0]))
        .count();
    assert_eq!(blob, 1, "one request for the layer");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_layer_whose_first_chunk_is_one_byte_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let digests = layout_claiming(dir.path(), &[(small_layer(), None)]);
    // One byte per millisecond: the first network chunk holds one byte of the gzip magic.
    let faults = private(Faults::default().with_body(
        digests[0].clone(),
        BodyFault::Drip(std::time::Duration::from_millis(1)),
    ));
    let server = serve::start(vec![Layout::new("team/app", dir.path())], faults)
        .await
        .unwrap();
    let reference = format!("{}/team/app:v1", server.host());
    let sandbox = logged_in(&server.host());
    let limit = std::time::Duration::from_secs(90);
    let (code, stdout, stderr) = run_bounded(
        &sandbox,
        &["check", &reference, "--files", "--no-cache"],
        limit,
    )
    .await;
    assert!(!stdout.contains("malformed-content"), "{stdout}{stderr}");
    assert!(!stdout.contains("not a tar archive"), "{stdout}{stderr}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run_bounded(&sandbox, &["files", &reference], limit).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("/etc/motd") && stdout.contains("gzip"),
        "{stdout}"
    );
    server.shutdown().await;
}

/// A gzip layer of `entries` files whose PAX paths are `path_bytes` long, written as it is
/// made (hundreds of MB of tar never sit in memory here).
fn long_names_layer(dir: &Path, entries: usize, path_bytes: usize) -> (String, u64) {
    use regscope::layers::tar::build::{header, pax_path};
    use std::io::Write as _;
    let tmp = dir.join("layer.tmp");
    {
        let out = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        for i in 0..entries {
            let mut path = format!("d/{i:08}/");
            path.push_str(&"n".repeat(path_bytes - path.len()));
            gz.write_all(&pax_path(&path)).unwrap();
            gz.write_all(&header("x", b'0', 0, 0o644, "")).unwrap();
        }
        gz.write_all(&[0; 1024]).unwrap();
        gz.finish().unwrap().flush().unwrap();
    }
    let bytes = std::fs::read(&tmp).unwrap();
    std::fs::remove_file(&tmp).unwrap();
    let digest = put(dir, &bytes);
    (digest, bytes.len() as u64)
}

/// Peak resident memory of process `pid` so far (`VmHWM`, KiB), if it is still there.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_layer_of_long_names_stops_at_the_memory_bound() {
    // 70,000 entries of 4,000-byte PAX paths (~280 MB of names): inside the count and path
    // bounds, past the memory bound (256 MiB of names and entries).
    let entries = 70_000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
    let (digest, size) = long_names_layer(dir.path(), entries, 4000);
    let blob = std::fs::read(
        dir.path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    assert_eq!(blob.len() as u64, size);
    layout_claiming(dir.path(), &[(blob, None)]);
    let server = serve::start(
        vec![Layout::new("team/app", dir.path())],
        private(Faults::default()),
    )
    .await
    .unwrap();
    let reference = format!("{}/team/app:v1", server.host());
    let sandbox = logged_in(&server.host());

    let mut cmd = tokio::process::Command::from(sandbox.command(&support::regscope_bin()));
    cmd.args(["check", &reference, "--files", "--json"])
        .kill_on_drop(true)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = child.id().unwrap();
    let watch = tokio::spawn(async move {
        let mut peak = 0;
        while let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        peak
    });
    let out = tokio::time::timeout(std::time::Duration::from_mins(4), child.wait_with_output())
        .await
        .expect("files ended")
        .unwrap();
    let peak_kib = watch.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let text = doc.to_string();
    assert!(
        text.contains("files-partial"),
        "findings are held back: {text}"
    );
    assert!(
        text.contains("MiB of names (the memory bound"),
        "the listing says where it stopped: {}",
        &text[..text.len().min(2000)]
    );
    // Every entry kept costs its path (4,000 bytes) and the fixed overhead: the bound in
    // entries is what 256 MiB holds.
    let per_entry = 4000 + regscope::layers::ENTRY_OVERHEAD;
    let most = regscope::layers::Limits::default().listing_bytes / per_entry;
    assert!(most < entries, "the case must exceed the bound");
    assert!(
        text.contains(&format!("stopped after {most} entries")),
        "stopped at the bound ({most} entries)"
    );
    // Memory: the names kept, the merged tree and the JSON being written, far from the 4 GB
    // the listing once took. The watcher reads VmHWM (the kernel's own peak) every 20 ms.
    eprintln!("peak RSS of check --files: {} MiB", peak_kib / 1024);
    assert!(peak_kib > 0, "the peak was measured");
    assert!(
        peak_kib < 1_200 * 1024,
        "peak RSS {} MiB for a listing bounded at 256 MiB",
        peak_kib / 1024
    );
    server.shutdown().await;
}

/// The TUI's `f` on the same hostile images (a layer of long names, a negative layer size),
/// in a real terminal, against the private in-process registry: each ends with what stopped
/// it on screen, and the app keeps running (no abort leaving the terminal in the alternate
/// screen, no spinner forever).
#[tokio::test(flavor = "multi_thread")]
async fn the_tui_files_view_ends_at_the_bounds_and_says_why() {
    let big = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(big.path().join("blobs/sha256")).unwrap();
    let (digest, _) = long_names_layer(big.path(), 70_000, 4000);
    let blob = std::fs::read(
        big.path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap();
    layout_claiming(big.path(), &[(blob, None)]);
    let negative = tempfile::tempdir().unwrap();
    let digests = layout_claiming(negative.path(), &[(small_layer(), Some(-5))]);
    let faults = private(Faults::default().with_body(
        digests[0].clone(),
        BodyFault::Drip(std::time::Duration::from_secs(1)),
    ));
    let server = serve::start(
        vec![
            Layout::new("team/big", big.path()),
            Layout::new("team/neg", negative.path()),
        ],
        faults,
    )
    .await
    .unwrap();
    let host = server.host();
    tokio::task::spawn_blocking(move || {
        for (repo, expected) in [
            ("team/big", "is partial: layer 1: stopped after"),
            ("team/neg", "gives the size -5"),
        ] {
            let sandbox = logged_in(&host);
            let reference = format!("{host}/{repo}:v1");
            let argv = sandbox.argv(&support::regscope_bin(), &[&reference]);
            let mut tmux = support::tmux::Tmux::start_command(&argv, (120, 36));
            tmux.forbid(PASSWORD);
            tmux.wait_for("1 layer");
            tmux.keys(&["f"]);
            let screen = tmux.wait_for_flowed(expected);
            assert!(
                !screen.contains("opening the layers"),
                "{repo}: the spinner ended: {screen}"
            );
            assert!(tmux.alive(), "{repo}: the app still runs");
            tmux.keys(&["q"]);
            assert_eq!(tmux.wait_exit(), 0, "{repo}: a clean exit");
            assert_eq!(tmux.pane_flag("#{alternate_on}"), "0", "terminal restored");
        }
    })
    .await
    .unwrap();
    server.shutdown().await;
}

/// Layer `layer` of an image whose every layer writes the same `entries` files again, each
/// under a PAX path `path_bytes` long (`layer` bytes of content, so every layer differs).
fn rewriting_layer(layer: usize, entries: usize, path_bytes: usize) -> Vec<u8> {
    use regscope::layers::tar::build::{header, pax_path};
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut body = vec![0u8; 512];
    body[..layer].fill(b'x');
    for i in 0..entries {
        let mut path = format!("d/{i:08}/");
        path.push_str(&"n".repeat(path_bytes - path.len()));
        gz.write_all(&pax_path(&path)).unwrap();
        gz.write_all(&header("x", b'0', layer as u64, 0o644, ""))
            .unwrap();
        gz.write_all(&body).unwrap();
    }
    gz.write_all(&[0; 1024]).unwrap();
    gz.finish().unwrap()
}

/// 32 layers each writing the same 1,800 files again under 4,000-byte paths: ~230 MiB of
/// names, inside the 256 MiB memory bound, and every version but the last kept for the as-of
/// view. Served by the private in-process registry.
const REWRITES: (usize, usize, usize) = (32, 1_800, 4_000);

fn rewriting_image(dir: &Path) {
    let (layers, entries, path_bytes) = REWRITES;
    let total = layers * entries * (path_bytes + regscope::layers::ENTRY_OVERHEAD);
    assert!(
        total < regscope::layers::Limits::default().listing_bytes,
        "the case stays inside the bound, so every layer is listed and every version kept"
    );
    let blobs: Vec<(Vec<u8>, Option<i64>)> = (1..=layers)
        .map(|l| (rewriting_layer(l, entries, path_bytes), None))
        .collect();
    layout_claiming(dir, &blobs);
}

/// Follows the peak resident memory (`VmHWM`) of `pid` every 20 ms until it ends.
fn watch_peak(pid: u32) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut peak = 0;
        while let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        peak
    })
}

/// The most a run may take for the rewriting image: the memory bound (what every listed
/// entry and its replaced versions count against) and what the process has besides
/// (runtime, TLS, the merged tree's maps and the dive tally keyed by path). Measured on
/// 2026-12-06: 286 MiB for the CLI, 289 MiB for the TUI; a second copy of the replaced
/// versions' paths would add ~220 MiB.
const REWRITES_PEAK_KIB: u64 = 256 * 1024 + 96 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn many_layers_rewriting_long_paths_stay_inside_the_memory_bound_in_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    rewriting_image(dir.path());
    let server = serve::start(
        vec![Layout::new("team/app", dir.path())],
        private(Faults::default()),
    )
    .await
    .unwrap();
    let reference = format!("{}/team/app:v1", server.host());
    let sandbox = logged_in(&server.host());
    let mut cmd = tokio::process::Command::from(sandbox.command(&support::regscope_bin()));
    cmd.args(["layers", &reference])
        .env("COLUMNS", "200")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let watch = watch_peak(child.id().unwrap());
    let out = tokio::time::timeout(std::time::Duration::from_mins(4), child.wait_with_output())
        .await
        .expect("layers ended")
        .unwrap();
    let peak_kib = watch.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let (layers, entries, _) = REWRITES;
    // Every layer was listed (nothing stopped at the bound), and each rewrote every file.
    assert!(
        !stdout.contains("stopped after"),
        "{}",
        &stdout[..stdout.len().min(3000)]
    );
    let rows = stdout
        .lines()
        .filter(|l| l.starts_with('L') && l.contains(&format!(" {entries} (")))
        .count();
    assert_eq!(rows, layers, "{}", &stdout[..stdout.len().min(3000)]);
    eprintln!(
        "peak RSS of layers over {layers} layers rewriting {entries} long paths: {} MiB",
        peak_kib / 1024
    );
    assert!(peak_kib > 0, "the peak was measured");
    assert!(
        peak_kib < REWRITES_PEAK_KIB,
        "peak RSS {} MiB for listings bounded at 256 MiB",
        peak_kib / 1024
    );
    server.shutdown().await;
}

/// The same image in the TUI: `f`, then the tree as of the last layer and as of one in the
/// middle (built from the versions the merge kept), in a real terminal; the app's peak
/// resident memory stays inside the same bound.
#[tokio::test(flavor = "multi_thread")]
async fn many_layers_rewriting_long_paths_stay_inside_the_memory_bound_in_the_tui() {
    let dir = tempfile::tempdir().unwrap();
    rewriting_image(dir.path());
    let server = serve::start(
        vec![Layout::new("team/app", dir.path())],
        private(Faults::default()),
    )
    .await
    .unwrap();
    let host = server.host();
    let peak_kib = tokio::task::spawn_blocking(move || {
        let (layers, entries, _) = REWRITES;
        let sandbox = logged_in(&host);
        let argv = sandbox.argv(&support::regscope_bin(), &[&format!("{host}/team/app:v1")]);
        let mut tmux = support::tmux::Tmux::start_command(&argv, (120, 36));
        tmux.forbid(PASSWORD);
        tmux.wait_for(&format!("{layers} layers"));
        tmux.keys(&["f"]);
        tmux.wait_for("efficiency 0.19%");
        // The layer list: to the last layer, then up to one in the middle.
        tmux.keys(&["Tab", "G"]);
        let screen = tmux.wait_for(&format!("as of layer {layers}"));
        assert!(
            screen.contains(&format!("changed {entries}")),
            "the status line says what the layer did: {screen}"
        );
        for _ in 0..layers / 2 {
            tmux.keys(&["Up"]);
        }
        tmux.wait_for(&format!("as of layer {}", layers - layers / 2));
        // Into d/ (every file's directory), into the first: its file, written again by
        // this layer.
        tmux.keys(&["Tab", "Tab", "Enter"]);
        tmux.wait_for(&format!("/d ({entries}) · as of layer"));
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for("/d/00000000 (1) · as of layer");
        let middle = layers - layers / 2;
        assert!(screen.contains(&format!("C L{middle} ")), "{screen}");
        let pid: u32 = tmux.program_pid().parse().unwrap();
        let peak = peak_rss_kib(pid).unwrap();
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
        peak
    })
    .await
    .unwrap();
    eprintln!(
        "peak RSS of the TUI over the rewriting image: {} MiB",
        peak_kib / 1024
    );
    assert!(
        peak_kib < REWRITES_PEAK_KIB,
        "peak RSS {} MiB for listings bounded at 256 MiB",
        peak_kib / 1024
    );
    server.shutdown().await;
}

/// With several layers downloading at once, the progress is one figure over all of them:
/// layers done and in flight, bytes of the whole image; it never goes back, never counts
/// more than `PARALLEL_LAYERS` (4) in flight, and ends at every layer done and every byte in.
#[tokio::test(flavor = "multi_thread")]
async fn progress_over_layers_in_flight_is_one_coherent_figure() {
    use regscope::layers::fetch::{filesystem, Progress};
    let dir = tempfile::tempdir().unwrap();
    let blobs: Vec<(Vec<u8>, Option<i64>)> = (0..6)
        .map(|i| {
            let name = format!("layer{i}/file");
            let layer = tar(&[file(&name, 0o644, format!("{i}\n").as_bytes())]);
            (compress(&layer, Compression::Gzip).0, None)
        })
        .collect();
    let total: u64 = blobs.iter().map(|(b, _)| b.len() as u64).sum();
    let digests = layout_claiming(dir.path(), &blobs);
    // Every layer drips, so they are in flight together long enough to be seen so.
    let mut faults = Faults::default();
    for d in &digests {
        faults = faults.with_body(
            d.clone(),
            BodyFault::Drip(std::time::Duration::from_millis(1)),
        );
    }
    let server = serve::start(vec![Layout::new("team/app", dir.path())], faults)
        .await
        .unwrap();
    let image = ImageRef::parse(&format!("{}/team/app:v1", server.host())).unwrap();
    let fetcher = Fetcher::for_reference(
        &image,
        HttpOptions::default(),
        regscope::registry::Limits::default(),
    )
    .unwrap();
    let inspection = inspect(&fetcher, &image, &InspectOptions::default())
        .await
        .unwrap();
    let manifest = platform_manifests(&inspection.root, None)[0];
    let seen = std::sync::Mutex::new(Vec::<Progress>::new());
    let record = |p: Progress| seen.lock().unwrap().push(p);
    let fs = filesystem(&fetcher, "team/app", manifest, &Limits::default(), &record)
        .await
        .unwrap();
    assert_eq!(fs.changes().len(), 6);
    let seen = seen.into_inner().unwrap();
    for pair in seen.windows(2) {
        assert!(pair[1].done >= pair[0].done, "{pair:?}");
        assert!(pair[1].bytes >= pair[0].bytes, "{pair:?}");
    }
    for p in &seen {
        assert_eq!((p.layers, p.total), (6, Some(total)), "{p:?}");
        assert!(p.in_flight <= 4 && p.done + p.in_flight <= 6, "{p:?}");
        assert!(p.bytes <= total, "{p:?}");
    }
    assert!(
        seen.iter().any(|p| p.in_flight == 4),
        "four layers were never in flight together: {seen:?}"
    );
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.in_flight, last.bytes),
        (6, 0, total),
        "{last:?}"
    );
    let line = regscope::present::layers_progress(last);
    assert!(line.starts_with("layers 6/6 done, "), "{line}");
    assert!(!line.contains("in flight"), "{line}");
    server.shutdown().await;
}

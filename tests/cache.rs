//! The on-disk cache end to end, with the `regscope` binary against a real docker-registry:
//! what a cold and a warm `inspect` cost (from `--json`'s `roundTrips`), corrupt entries,
//! moved tags, deleted children, several processes at once, `--offline`, and a private
//! registry (htpasswd over TLS) whose endpoint and challenge are remembered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::{regscope_bin, TestRegistry};

/// `regscope ARGS` with its cache in `cache` (which caches loopback registries too).
fn regscope(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = support::isolated_command(&regscope_bin(), home.path());
    cmd.args(args).env("REGSCOPE_CACHE_DIR", cache);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run regscope")
}

/// `inspect --json` of the tree alone: these tests count what the tree costs, so the attachment
/// lookup (on by default; its cost is asserted on its own below) is left out.
fn inspect_json(cache: &Path, reference: &str, extra: &[&str], env: &[(&str, &str)]) -> Value {
    let mut args = vec!["inspect", "--json", "--no-attachments", reference];
    args.extend_from_slice(extra);
    let out = regscope(cache, &args, env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn round_trips(doc: &Value, field: &str) -> u64 {
    doc["roundTrips"][field].as_u64().unwrap()
}

/// The tree without what differs between a cold and a warm run.
fn tree(doc: &Value) -> Value {
    doc["tree"].clone()
}

fn child_digest(doc: &Value, platform: &str) -> String {
    doc["tree"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["platform"] == platform)
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_warm_inspect_costs_one_head_and_shows_the_same_tree() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/team/app:v7", reg.host);

    let cold = inspect_json(cache.path(), &reference, &[], &[]);
    // Cold: the ping (both schemes at once on loopback), the index, 4 children, and the
    // configs and statements of all four.
    assert!(round_trips(&cold, "ping") <= 2, "{}", cold["roundTrips"]);
    assert_eq!(round_trips(&cold, "manifest"), 5, "{}", cold["roundTrips"]);
    assert_eq!(round_trips(&cold, "blob"), 8, "{}", cold["roundTrips"]);
    assert_eq!(round_trips(&cold, "diskHits"), 0);

    let warm = inspect_json(cache.path(), &reference, &[], &[]);
    // Warm: one HEAD of the tag; no ping (the endpoint is remembered), everything else from
    // the disk, verified.
    assert_eq!(round_trips(&warm, "total"), 1, "{}", warm["roundTrips"]);
    assert_eq!(round_trips(&warm, "head"), 1, "{}", warm["roundTrips"]);
    assert_eq!(round_trips(&warm, "diskHits"), 13, "{}", warm["roundTrips"]);
    assert_eq!(tree(&warm), tree(&cold));

    // With the attachment lookup (the default), a warm run adds that lookup alone: the tag
    // list (with the HEAD) and a referrers call per manifest, sent together; the tree still
    // comes from disk. (Those answers change as attachments are pushed, so they are not
    // cached.) docker-registry has no referrers API: once its first 404 is back, calls not
    // yet sent are not sent, so 1 to 5 of them go out, depending on scheduling.
    let (with, ()) = with_chain_of_one(|| {
        let out = regscope(cache.path(), &["inspect", "--json", &reference], &[]);
        (serde_json::from_slice(&out.stdout).unwrap(), ())
    });
    assert_eq!(round_trips(&with, "head"), 1, "{}", with["roundTrips"]);
    assert_eq!(round_trips(&with, "tags"), 1, "{}", with["roundTrips"]);
    let referrers = round_trips(&with, "referrers");
    assert!((1..=5).contains(&referrers), "{}", with["roundTrips"]);
    assert_eq!(
        round_trips(&with, "total"),
        2 + referrers,
        "{}",
        with["roundTrips"]
    );
    // The lookup for the digest the cache expects went out with the HEAD: one round trip
    // (`with_chain_of_one` found a run with chain 1).
    assert_eq!(
        round_trips(&with, "manifest") + round_trips(&with, "blob"),
        0
    );

    // Without the cache the same run costs the whole tree again.
    let out = regscope(
        cache.path(),
        &["inspect", "--json", "--no-cache", &reference],
        &[],
    );
    let uncached: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(round_trips(&uncached, "manifest"), 5);
    assert_eq!(tree(&uncached), tree(&cold));
}

#[test]
fn a_corrupt_entry_is_dropped_and_fetched_again_never_shown() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/team/app:v7", reg.host);
    let cold = inspect_json(cache.path(), &reference, &[], &[]);

    // Flip a byte in every cached file naming an architecture (configs, the index).
    let mut corrupted = 0;
    for entry in walk(&cache.path().join("v1/blobs")) {
        let mut bytes = std::fs::read(&entry).unwrap();
        if String::from_utf8_lossy(&bytes).contains("\"architecture\"") {
            let last = bytes.len() - 2;
            bytes[last] ^= 0x20;
            std::fs::write(&entry, bytes).unwrap();
            corrupted += 1;
        }
    }
    assert!(corrupted >= 2, "{corrupted}");

    let warm = inspect_json(cache.path(), &reference, &[], &[]);
    assert_eq!(
        tree(&warm),
        tree(&cold),
        "the corrupt bytes are never shown"
    );
    assert_eq!(
        round_trips(&warm, "blob") + round_trips(&warm, "manifest"),
        corrupted,
        "each corrupt entry is fetched again: {}",
        warm["roundTrips"]
    );
    // And stored again, whole: the next run needs nothing but the HEAD.
    let again = inspect_json(cache.path(), &reference, &[], &[]);
    assert_eq!(round_trips(&again, "total"), 1, "{}", again["roundTrips"]);
}

#[test]
fn a_moved_tag_is_followed_and_a_deleted_child_is_found_once_trust_expires() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/team/app:v7", reg.host);
    let first = inspect_json(cache.path(), &reference, &[], &[]);

    // The tag moves: the HEAD names the new digest, which is fetched.
    reg.seed_fixture("no-provenance-index", "team/app:v7");
    let moved = inspect_json(cache.path(), &reference, &[], &[]);
    assert_ne!(moved["digest"], first["digest"]);
    assert_eq!(round_trips(&moved, "head"), 1, "{}", moved["roundTrips"]);
    assert!(
        round_trips(&moved, "manifest") >= 1,
        "{}",
        moved["roundTrips"]
    );
    let fresh = inspect_json(cache.path(), &reference, &["--no-cache"], &[]);
    assert_eq!(tree(&moved), tree(&fresh));

    // A child deleted behind the cache's back: within the trust period the cache answers
    // (documented); with no trust each cached piece is confirmed with a HEAD, and the gone
    // one shows as missing exactly as without the cache.
    let arm64 = child_digest(&moved, "linux/arm64");
    reg.delete_manifest("team/app", &arm64);
    let untrusting = inspect_json(
        cache.path(),
        &reference,
        &[],
        &[("REGSCOPE_CACHE_TRUST", "0")],
    );
    let uncached = inspect_json(cache.path(), &reference, &["--no-cache"], &[]);
    assert_eq!(tree(&untrusting), tree(&uncached));
    let text = untrusting["tree"].to_string();
    assert!(text.contains("\"missing\""), "{text}");
    assert!(
        round_trips(&untrusting, "head") >= 2,
        "{}",
        untrusting["roundTrips"]
    );
}

#[test]
fn offline_answers_from_the_cache_alone_and_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let (reference, cold) = {
        let reg = TestRegistry::start();
        reg.seed_fixture("unsigned-index", "team/app:v7");
        let reference = format!("{}/team/app:v7", reg.host);
        let cold = inspect_json(cache.path(), &reference, &[], &[]);
        (reference, cold)
        // The registry stops here.
    };
    let out = regscope(
        cache.path(),
        &["inspect", "--offline", "--json", &reference],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree(&offline), tree(&cold));
    assert_eq!(round_trips(&offline, "total"), 0);
    assert_eq!(offline["offline"]["fromCache"], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("offline: answered from the cache"),
        "{stderr}"
    );

    // What the cache lacks is an error that says how to fill it, not a request.
    let other = reference.replace(":v7", ":v8");
    let out = regscope(cache.path(), &["inspect", "--offline", &other], &[]);
    assert_eq!(out.status.code(), Some(1), "the root is not fetched");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not in the cache") && stderr.contains("without --offline"),
        "{stderr}"
    );
    // --offline and --no-cache contradict each other.
    let out = regscope(
        cache.path(),
        &["inspect", "--offline", "--no-cache", &reference],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage error: {stderr}");
    assert!(
        stderr.contains("--offline")
            && stderr.contains("--no-cache")
            && stderr.contains("cannot be used with"),
        "{stderr}"
    );
}

#[test]
fn several_processes_filling_one_cache_at_once_agree() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    reg.seed_fixture("no-provenance-index", "team/app:v6");
    let cache = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..6)
        .map(|i| {
            let tag = if i % 2 == 0 { "v7" } else { "v6" };
            support::isolated_command(&regscope_bin(), home.path())
                .args(["inspect", "--json", &format!("{}/team/app:{tag}", reg.host)])
                .env("REGSCOPE_CACHE_DIR", cache.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let docs: Vec<Value> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();
    for pair in docs.chunks(2).skip(1) {
        assert_eq!(tree(&pair[0]), tree(&docs[0]));
        assert_eq!(tree(&pair[1]), tree(&docs[1]));
    }
    // Every file in the cache is whole (hashes to its name), nothing is left half-written,
    // and a warm run is served entirely from it.
    for file in walk(&cache.path().join("v1/blobs")) {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(support::sha256_digest(&bytes), format!("sha256:{name}"));
    }
    assert!(walk(&cache.path().join("v1/tmp")).is_empty());
    let warm = inspect_json(cache.path(), &format!("{}/team/app:v7", reg.host), &[], &[]);
    assert_eq!(round_trips(&warm, "total"), 1, "{}", warm["roundTrips"]);
}

#[test]
fn a_private_registry_over_tls_is_cached_with_its_challenge_and_never_its_secret() {
    const USER: &str = "alice";
    const PASSWORD: &str = "cache-Secret-913";
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    reg.seed_fixture("unsigned-index", "private/app:v1");
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/private/app:v1", reg.host);
    let ca = reg.ca_cert().unwrap().display().to_string();
    let creds = [("REGSCOPE_USERNAME", USER), ("REGSCOPE_PASSWORD", PASSWORD)];
    let cold = inspect_json(cache.path(), &reference, &["--ca-file", &ca], &creds);
    assert_eq!(round_trips(&cold, "manifest"), 5, "{}", cold["roundTrips"]);
    let warm = inspect_json(cache.path(), &reference, &["--ca-file", &ca], &creds);
    // The remembered Basic challenge: the HEAD carries the credentials at once, no 401.
    assert_eq!(round_trips(&warm, "total"), 1, "{}", warm["roundTrips"]);
    assert_eq!(tree(&warm), tree(&cold));
    // Without credentials the registry refuses the HEAD: the cache answers nothing.
    let out = regscope(
        cache.path(),
        &["inspect", "--ca-file", &ca, &reference],
        &[],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
    // Nothing in the cache holds the secret.
    for file in walk(&cache.path().join("v1")) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "{}",
            file.display()
        );
    }
}

/// Requests the registry answered since byte `from` of its log, as `METHOD path` lines.
fn answered(reg: &TestRegistry, from: usize) -> Vec<String> {
    reg.log()[from..]
        .lines()
        .filter(|l| l.contains("response completed"))
        .filter_map(|l| {
            let method = l.split("http.request.method=").nth(1)?.split(' ').next()?;
            let uri = l.split("http.request.uri=").nth(1)?.split(' ').next()?;
            Some(format!("{method} {}", uri.trim_matches('"')))
        })
        .collect()
}

/// The chain is read from timestamps: on a loaded machine two requests sent together can miss
/// each other (one answered before the scheduler sends the other) and read as a chain of 2 or 3.
/// A warm run is repeatable, so a chain of 1 is looked for in up to 3 of them; code that sends
/// one after the other fails all three.
fn with_chain_of_one<T>(mut run: impl FnMut() -> (Value, T)) -> (Value, T) {
    let mut chains = Vec::new();
    for _ in 0..3 {
        let (v, extra) = run();
        let chain = round_trips(&v, "chain");
        if chain == 1 {
            return (v, extra);
        }
        chains.push(v["roundTrips"].clone());
    }
    panic!("three warm runs, none in one chained round trip: {chains:?}");
}

/// `inspect --json` with the attachment lookup (the default) on a private registry: the
/// document and the requests the registry answered for it.
fn inspect_default(
    reg: &TestRegistry,
    cache: &Path,
    reference: &str,
    creds: &[(&str, &str)],
) -> (Value, Vec<String>) {
    let ca = reg.ca_cert().unwrap().display().to_string();
    let before = reg.log().len();
    let out = regscope(
        cache,
        &["inspect", "--json", "--ca-file", &ca, reference],
        creds,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    // The registry writes its access line after the answer: give it a moment.
    std::thread::sleep(std::time::Duration::from_millis(300));
    (doc, answered(reg, before))
}

fn attachment_tags(doc: &Value) -> Vec<String> {
    let mut tags: Vec<String> = doc["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["tags"].as_array().cloned().unwrap_or_default())
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.sort();
    tags
}

/// A warm default inspect as the registry saw it: the tag's HEAD, the tag list and the
/// remembered `.sig` and `sha256-<hex>` tags (HEADs: their content is cached), no manifest GET.
fn assert_warm_log(warm: &Value, warm_log: &[String]) {
    assert_eq!(
        warm_log
            .iter()
            .filter(|l| l.starts_with("GET ") && l.contains("/manifests/"))
            .count(),
        0,
        "{warm_log:#?}"
    );
    assert_eq!(
        warm_log.iter().filter(|l| l.contains("/tags/list")).count(),
        1,
        "{warm_log:#?}"
    );
    assert!(
        warm_log
            .iter()
            .any(|l| l == "HEAD /v2/team/app/manifests/v1"),
        "{warm_log:#?}"
    );
    // docker-registry 2 has no referrers route and logs nothing for those 404s: they are the
    // rest of what regscope counted.
    assert_eq!(warm_log.len(), 4, "{warm_log:#?}");
    assert_eq!(
        u64::try_from(warm_log.len()).unwrap() + round_trips(warm, "referrers"),
        round_trips(warm, "total"),
        "{warm_log:#?} {}",
        warm["roundTrips"]
    );
}

/// Issue 22's warm and fresh: a warm default `inspect` sends the attachment lookup for the
/// digest the cache expects together with the tag's HEAD, so it costs one chained round trip;
/// a signature pushed since still shows (one more round trip, since only the fresh tag list
/// names it); a moved tag discards the early lookup and shows the new digest's attachments.
#[test]
fn a_warm_default_inspect_is_one_chained_round_trip_and_still_sees_new_signatures() {
    const USER: &str = "erin";
    const PASSWORD: &str = "warm-Secret-22";
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    support::attach::seed_signed(&reg, "team/app", "v1");
    let root = support::layout_root_digest(&support::fixture("unsigned-index"));
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/team/app:v1", reg.host);
    let creds = [("REGSCOPE_USERNAME", USER), ("REGSCOPE_PASSWORD", PASSWORD)];

    let (cold, cold_log) = inspect_default(&reg, cache.path(), &reference, &creds);
    let signed = attachment_tags(&cold);
    assert!(
        signed.contains(&format!("{}.sig", support::attach::schema_tag(&root))),
        "{signed:?}"
    );
    let cold_chain = round_trips(&cold, "chain");
    assert!(cold_chain >= 3, "{}", cold["roundTrips"]);

    let (warm, warm_log) =
        with_chain_of_one(|| inspect_default(&reg, cache.path(), &reference, &creds));
    assert_eq!(attachment_tags(&warm), signed);
    assert_eq!(tree(&warm), tree(&cold));
    assert_warm_log(&warm, &warm_log);
    eprintln!(
        "cold: {} requests, chain {cold_chain}; warm: {} requests, chain 1",
        cold_log.len(),
        warm_log.len()
    );

    // Attestations pushed since the last look: the fresh tag list names them, so they show.
    support::attach::push_cosign_attestations(
        &reg,
        "team/app",
        &root,
        &[support::attach::statement(
            &root,
            "https://slsa.dev/provenance/v0.2",
        )],
    );
    let (fresh, _) = inspect_default(&reg, cache.path(), &reference, &creds);
    let att = format!("{}.att", support::attach::schema_tag(&root));
    assert!(
        attachment_tags(&fresh).contains(&att),
        "{:?}",
        attachment_tags(&fresh)
    );
    // What is new costs what new content costs: the list, then the `.att` manifest, then
    // its statement (at least those three in a row; not repeatable, so not retried).
    assert!(round_trips(&fresh, "chain") >= 3, "{}", fresh["roundTrips"]);
    // Known from now on: warm again, one round trip.
    let (again, ()) = with_chain_of_one(|| {
        let (v, _) = inspect_default(&reg, cache.path(), &reference, &creds);
        (v, ())
    });
    assert!(attachment_tags(&again).contains(&att));

    // The tag moves: what was looked up early belongs to the old digest and is discarded.
    reg.seed_fixture("no-provenance-index", "team/app:v1");
    let (moved, _) = inspect_default(&reg, cache.path(), &reference, &creds);
    assert_ne!(moved["digest"], cold["digest"]);
    let moved_tags = attachment_tags(&moved);
    assert!(
        moved_tags
            .iter()
            .all(|t| !t.contains(&root.replace(':', "-"))),
        "{moved_tags:?}"
    );
    let ca = reg.ca_cert().unwrap().display().to_string();
    let out = regscope(
        cache.path(),
        &[
            "inspect",
            "--json",
            "--no-cache",
            "--ca-file",
            &ca,
            &reference,
        ],
        &creds,
    );
    let uncached: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(moved["attachments"], uncached["attachments"]);
    assert_eq!(tree(&moved), tree(&uncached));
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The TUI reads through the same cache: a second session on a private registry answers the
/// tags from the disk, and the status line says what the last fetch cost.
#[test]
fn the_tui_on_a_private_registry_says_what_each_fetch_cost_and_uses_the_cache() {
    const USER: &str = "tui-user";
    const PASSWORD: &str = "tui-Cache-Secret-4";
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // The CA outlives the registry (whose directory goes with it).
    let ca = state.path().join("ca.pem");
    std::fs::copy(reg.ca_cert().unwrap(), &ca).unwrap();
    let argv: Vec<String> = vec![
        "env".into(),
        "NO_COLOR=1".into(),
        format!("REGSCOPE_STATE_DIR={}", state.path().display()),
        format!("REGSCOPE_CACHE_DIR={}", cache.path().display()),
        format!("REGSCOPE_USERNAME={USER}"),
        format!("REGSCOPE_PASSWORD={PASSWORD}"),
        regscope_bin().display().to_string(),
        "tui".into(),
        "--ca-file".into(),
        ca.display().to_string(),
        format!("{}/team/app", reg.host),
    ];
    for session in ["cold", "warm"] {
        let mut tmux = support::tmux::Tmux::start_command(&argv, (120, 30));
        tmux.forbid(PASSWORD);
        tmux.wait_for("11.0 KiB");
        let screen = tmux.wait_for(" req ");
        if session == "warm" {
            // One HEAD for the tag, the whole tree (13 pieces) from the disk.
            tmux.wait_for("13 cached");
        } else {
            assert!(screen.contains("chain"), "{screen}");
        }
        tmux.keys(&["q"]);
        assert_eq!(tmux.wait_exit(), 0);
    }
    // Both sessions resolved v7 (a GET, then a HEAD): the history has the one digest, seen twice.
    let out = regscope(
        cache.path(),
        &["history", "--json", &format!("{}/team/app:v7", reg.host)],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let history: Value = serde_json::from_slice(&out.stdout).unwrap();
    let digests = history["tags"][0]["digests"].as_array().unwrap();
    assert_eq!(digests.len(), 1, "{history}");
    assert!(digests[0]["sightings"].as_u64().unwrap() >= 2, "{history}");
    // With the registry gone, the TUI still opens on the tags it last saw, and says that
    // checking them failed.
    drop(reg);
    let mut tmux = support::tmux::Tmux::start_command(&argv, (120, 30));
    tmux.forbid(PASSWORD);
    tmux.wait_for("v7");
    tmux.wait_for("Refreshing the tags failed");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// `regscope watch ARGS` started in the background, its stdout lines sent to the receiver.
fn spawn_watch(
    cache: &Path,
    home: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead as _;
    let mut cmd = support::isolated_command(&regscope_bin(), home);
    cmd.arg("watch")
        .args(args)
        .env("REGSCOPE_CACHE_DIR", cache)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start regscope watch");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The next event line, which must be `event` (within a minute).
fn next_event(rx: &std::sync::mpsc::Receiver<String>, event: &str, seen: &mut Vec<Value>) -> Value {
    let line = rx
        .recv_timeout(std::time::Duration::from_mins(1))
        .unwrap_or_else(|e| panic!("no `{event}` event ({e}); so far: {seen:?}"));
    let doc: Value = serde_json::from_str(&line).expect("one JSON object per line");
    seen.push(doc.clone());
    assert_eq!(doc["event"], event, "{seen:?}");
    doc
}

/// Waits until the cache's history log of some repository has a line (the watch's first HEAD).
/// The next `event` about `reference`, skipping (and keeping) others: those of the tags come
/// in any order around the repository's own.
fn event_of(
    rx: &std::sync::mpsc::Receiver<String>,
    reference: &str,
    event: &str,
    seen: &mut Vec<Value>,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no `{event}` of {reference} ({e}); so far: {seen:?}"));
        let doc: Value = serde_json::from_str(&line).expect("one JSON object per line");
        seen.push(doc.clone());
        if doc["event"] == event && doc["ref"] == reference {
            return doc;
        }
    }
}

fn wait_for_history(cache: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    loop {
        let logged = walk(&cache.join("v1"))
            .iter()
            .any(|f| f.ends_with("history.log") && std::fs::metadata(f).unwrap().len() > 0);
        if logged {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the watch never polled"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Waits until `file` has `n` lines (within a minute).
fn wait_for_lines(file: &Path, n: usize) {
    let lines = || {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while lines() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never had {n} lines",
            file.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn watch_reports_one_move_a_deletion_and_an_outage_then_history_lists_both_digests() {
    const USER: &str = "erin";
    const PASSWORD: &str = "watch-Secret-22";
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    reg.seed_fixture("unsigned-index", "private/app:v1");
    let tag_move = AmdMove::of(&reg, "private/app", "v1");
    let (index, child_digest) = (tag_move.index.clone(), tag_move.child.clone());

    let cache = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let reference = format!("{}/private/app:v1", reg.host);
    let ca = reg.ca_cert().unwrap().display().to_string();
    let creds = [("REGSCOPE_USERNAME", USER), ("REGSCOPE_PASSWORD", PASSWORD)];
    let exec_log = home.path().join("events.jsonl");
    let exec = format!("cat >> '{}'", exec_log.display());
    let (mut watch, rx) = spawn_watch(
        cache.path(),
        home.path(),
        &[
            "--exec",
            &exec,
            "--json",
            "--count",
            "1000",
            "--interval",
            "1s",
            "--timeout",
            "2",
            "--ca-file",
            &ca,
            &reference,
        ],
        &creds,
    );
    wait_for_history(cache.path());
    let mut seen = Vec::new();

    tag_move.apply(&reg);
    let moved = next_event(&rx, "moved", &mut seen);
    assert_eq!(moved["ref"], reference);
    assert_eq!(moved["from"], index.as_str());
    assert_eq!(moved["to"], child_digest.as_str());
    let changes = moved["changes"].to_string();
    assert!(changes.contains("linux/arm64 dropped"), "{changes}");

    reg.delete_manifest("private/app", &child_digest);
    let deleted = next_event(&rx, "deleted", &mut seen);
    assert_eq!(deleted["was"], child_digest.as_str());

    // The registry stops answering mid-watch: reported once, and the watch goes on.
    reg.pause();
    let error = next_event(&rx, "error", &mut seen);
    assert!(
        error["message"].as_str().unwrap().contains(&reg.host),
        "{error}"
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        watch.try_wait().unwrap().is_none(),
        "a registry that is down does not end the watch"
    );
    reg.resume();
    next_event(&rx, "recovered", &mut seen);
    // Each event is printed, then handed to --exec: wait for the last one's command.
    wait_for_lines(&exec_log, seen.len());
    watch.kill().unwrap();
    watch.wait().unwrap();
    seen.extend(
        rx.iter()
            .map(|l| serde_json::from_str::<Value>(&l).unwrap()),
    );
    let moves = seen.iter().filter(|e| e["event"] == "moved").count();
    assert_eq!(moves, 1, "exactly one move: {seen:?}");
    // --exec ran once per event (one at a time, so in order) with the event on its stdin.
    let executed: Vec<Value> = std::fs::read_to_string(&exec_log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(executed, seen, "--exec saw every event");

    assert_history(
        cache.path(),
        &["--ca-file", &ca, &reference],
        &creds,
        &child_digest,
        &index,
    );
}

/// `watch --map FILE` reads the promotion map `diff --map` reads: every tag of the source
/// matching the line's glob is watched on both sides (behind htpasswd). Moving one mapped tag
/// in the target is reported as exactly that move; a tag not promoted yet that appears is
/// `created`; a tag outside the glob is not watched. A malformed line is a usage error naming
/// its number.
#[test]
fn watch_map_reports_a_move_of_one_mapped_tag() {
    const USER: &str = "femi";
    const PASSWORD: &str = "map-Secret-22";
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    reg.seed_fixture("unsigned-index", "private/app:v1");
    reg.seed_fixture("unsigned-image", "private/app:v2");
    reg.seed_fixture("unsigned-image", "private/app:dev");
    reg.seed_fixture("unsigned-index", "private/prod:v1");
    let tag_move = AmdMove::of(&reg, "private/prod", "v1");
    let cache = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let creds = [("REGSCOPE_USERNAME", USER), ("REGSCOPE_PASSWORD", PASSWORD)];
    let map = home.path().join("promotion.map");
    let (source, target) = (
        format!("{}/private/app", reg.host),
        format!("{}/private/prod", reg.host),
    );
    std::fs::write(&map, format!("# release\n{source}  {target}  v*\n")).unwrap();
    let map_arg = map.display().to_string();
    let (mut watch, rx) = spawn_watch(
        cache.path(),
        home.path(),
        &[
            "--map",
            &map_arg,
            "--json",
            "--interval",
            "1s",
            "--timeout",
            "2",
        ],
        &creds,
    );
    wait_for_history(cache.path());
    // Every watched tag polled once (v2 of the target is absent: not logged).
    let logged = || {
        walk(&cache.path().join("v1"))
            .iter()
            .filter(|f| f.ends_with("history.log"))
            .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
            .sum::<usize>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while logged() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the watch never polled every tag"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut seen = Vec::new();
    tag_move.apply(&reg);
    let moved = next_event(&rx, "moved", &mut seen);
    assert_eq!(moved["ref"], format!("{target}:v1"));
    assert_eq!(moved["from"], tag_move.index.as_str());
    assert_eq!(moved["to"], tag_move.child.as_str());
    assert!(
        moved["changes"].to_string().contains("linux/arm64 dropped"),
        "{moved}"
    );
    reg.seed_fixture("unsigned-image", "private/prod:v2");
    let created = next_event(&rx, "created", &mut seen);
    assert_eq!(created["ref"], format!("{target}:v2"));
    watch.kill().unwrap();
    let out = watch.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("watching 4 tags every 1s"), "{stderr}");
    seen.extend(
        rx.iter()
            .map(|l| serde_json::from_str::<Value>(&l).unwrap()),
    );
    assert!(
        !seen
            .iter()
            .any(|e| e["ref"].as_str().unwrap().ends_with(":dev")),
        "dev is outside the glob: {seen:?}"
    );

    std::fs::write(&map, format!("{source}  {target}\n{source}\n")).unwrap();
    let out = regscope(cache.path(), &["watch", "--map", &map_arg], &creds);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("line 2: 1 words where 2 or 3 were expected"),
        "{stderr}"
    );
}

/// Moving `repo:tag` from the unsigned-index fixture to its linux/amd64 manifest: the other
/// platforms are dropped.
struct AmdMove {
    repo: String,
    tag: String,
    index: String,
    child: String,
    child_type: String,
    child_bytes: Vec<u8>,
    index_type: String,
    index_bytes: Vec<u8>,
}

impl AmdMove {
    fn of(reg: &TestRegistry, repo: &str, tag: &str) -> Self {
        let index = reg.head_manifest(repo, tag);
        let index = index.header("docker-content-digest").unwrap().to_string();
        let whole = reg.get_manifest(repo, &index);
        let index_bytes = whole.body.clone();
        let doc = whole.json();
        let child = doc["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == "amd64")
            .unwrap();
        let child_digest = child["digest"].as_str().unwrap().to_string();
        Self {
            repo: repo.into(),
            tag: tag.into(),
            child_type: child["mediaType"].as_str().unwrap().to_string(),
            child_bytes: reg.get_manifest(repo, &child_digest).body,
            child: child_digest,
            index_type: doc["mediaType"].as_str().unwrap().to_string(),
            index_bytes,
            index,
        }
    }

    fn apply(&self, reg: &TestRegistry) {
        reg.put_manifest(&self.repo, &self.tag, &self.child_type, &self.child_bytes);
    }

    /// The tag back on the index.
    fn undo(&self, reg: &TestRegistry) {
        reg.put_manifest(&self.repo, &self.tag, &self.index_type, &self.index_bytes);
    }
}

/// `history` lists `newest` then `oldest` for the tag `v1`, with the move between them.
fn assert_history(cache: &Path, args: &[&str], creds: &[(&str, &str)], newest: &str, oldest: &str) {
    let mut json_args = vec!["history", "--json"];
    json_args.extend_from_slice(args);
    let out = regscope(cache, &json_args, creds);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let history: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tag = &history["tags"][0];
    assert_eq!(tag["tag"], "v1");
    let digests: Vec<&str> = tag["digests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [newest, oldest], "{history}");
    assert_eq!(tag["moves"][0]["from"], oldest);
    assert_eq!(tag["moves"][0]["to"], newest);
    let mut text_args = vec!["history"];
    text_args.extend_from_slice(args);
    let text = regscope(cache, &text_args, creds);
    let text = String::from_utf8_lossy(&text.stdout);
    let (new_at, old_at) = (text.find(newest).unwrap(), text.find(oldest).unwrap());
    assert!(new_at < old_at, "newest first:\n{text}");
    assert!(text.contains("moved here: linux/arm64 dropped"), "{text}");
}

#[test]
fn a_quiet_watch_costs_one_head_per_tag_per_poll_and_ends_after_count() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    reg.seed_fixture("unsigned-image", "team/app:v2");
    let cache = tempfile::tempdir().unwrap();
    let refs = [
        format!("{}/team/app:v1", reg.host),
        format!("{}/team/app:v2", reg.host),
    ];
    let out = regscope(
        cache.path(),
        &[
            "watch",
            "--json",
            "--count",
            "3",
            "--interval",
            "1s",
            &refs[0],
            &refs[1],
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing changed, nothing reported");
    let log = reg.log();
    let requests = |method: &str, tag: &str| {
        log.lines()
            .filter(|l| l.contains("response completed"))
            .filter(|l| l.contains(&format!("http.request.method={method}")))
            .filter(|l| l.contains(&format!("/v2/team/app/manifests/{tag}")))
            .count()
    };
    // The fixtures were seeded with PUTs and checked with GETs before: only HEADs count.
    assert_eq!(requests("HEAD", "v1"), 3, "{log}");
    assert_eq!(requests("HEAD", "v2"), 3, "{log}");
}

/// A tag moved while the TUI shows it, on a private registry: after `r` its row says from the
/// log how long ago it moved and from where; `h` shows both digests it named, newest first,
/// and what the move dropped; Esc goes back. Then `W` watches: a move back is reported as it
/// happens and the row is marked, the status line says what is watched; a tag pushed meanwhile
/// joins as a new row; `W` again stops.
#[test]
fn h_in_the_tui_shows_a_moved_tags_history_and_w_reports_a_move_live() {
    const USER: &str = "hana";
    const PASSWORD: &str = "history-Secret-22";
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    reg.seed_fixture("unsigned-index", "private/app:v1");
    let tag_move = AmdMove::of(&reg, "private/app", "v1");
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let ca = reg.ca_cert().unwrap().display().to_string();
    let argv: Vec<String> = vec![
        "env".into(),
        "NO_COLOR=1".into(),
        format!("REGSCOPE_STATE_DIR={}", state.path().display()),
        format!("REGSCOPE_CACHE_DIR={}", cache.path().display()),
        format!("REGSCOPE_USERNAME={USER}"),
        format!("REGSCOPE_PASSWORD={PASSWORD}"),
        "REGSCOPE_WATCH_INTERVAL=1s".into(),
        regscope_bin().display().to_string(),
        "tui".into(),
        "--ca-file".into(),
        ca,
        format!("{}/private/app", reg.host),
    ];
    let mut tmux = support::tmux::Tmux::start_command(&argv, (120, 30));
    tmux.forbid(PASSWORD);
    let (new, old) = (
        regscope::digest::short(&tag_move.child),
        regscope::digest::short(&tag_move.index),
    );
    tmux.wait_for(&old);
    tag_move.apply(&reg);
    tmux.keys(&["r"]);
    // The log has both resolutions: the move is dated from it.
    tmux.wait_for(&format!("moved just now from {old}, now"));
    tmux.keys(&["h"]);
    let screen = tmux.wait_for(&format!("moved here from {old}: linux/arm64 dropped"));
    assert!(screen.contains("history of private/app:v1"), "{screen}");
    assert!(
        screen.contains("2 digests seen, newest first; 1 move"),
        "{screen}"
    );
    let (new_at, old_at) = (
        screen.find(&format!("{new}  (current)")).expect(&screen),
        // The old digest's own line, below the move that names it.
        screen.rfind(&old).unwrap(),
    );
    assert!(new_at < old_at, "newest first:\n{screen}");
    assert!(screen.contains("first seen "), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("tags of private/app");

    tmux.keys(&["W"]);
    tmux.wait_for("watching 1 tag, every 1s, last poll ");
    tag_move.undo(&reg);
    // Reported as it happens (the status line), and the row checks itself again: marked.
    tmux.wait_for(&format!("private/app:v1 {new} -> {old}"));
    // Once the event's flash is gone, the status line dates the new move from the log.
    tmux.wait_for(&format!("moved just now from {new}, now"));
    // A tag pushed while watching joins the view, marked new, and the watch.
    reg.seed_fixture("unsigned-image", "private/app:v2");
    tmux.wait_for(&format!("created {}/private/app:v2 at sha256:", reg.host));
    let screen = tmux.wait_for("watching 2 tags, every 1s");
    assert!(screen.contains("v2 new"), "{screen}");
    tmux.keys(&["W"]);
    let screen = tmux.wait_for("stopped watching");
    assert!(!screen.contains("watching 1 tag"), "{screen}");
    // A tag pushed after the view listed its tags and before W: the watch's first listing
    // has it, and says it was created rather than joining it silently.
    reg.seed_fixture("unsigned-image", "private/app:v3");
    tmux.keys(&["W"]);
    tmux.wait_for(&format!("created {}/private/app:v3 at sha256:", reg.host));
    let screen = tmux.wait_for("watching 3 tags, every 1s");
    assert!(screen.contains("v3 new"), "{screen}");
    // Tags the view listed and that are gone before W: the watch's first listing no longer
    // has them, and says they were deleted rather than dropping them silently.
    tmux.keys(&["W"]);
    tmux.wait_for("stopped watching");
    let image = reg
        .head_manifest("private/app", "v3")
        .header("docker-content-digest")
        .unwrap()
        .to_string();
    reg.delete_manifest("private/app", &image);
    tmux.keys(&["W"]);
    tmux.wait_for("(listed before the watch began, gone at its first listing)");
    let screen = tmux.wait_for("watching 1 tag, every 1s");
    assert!(screen.contains("deleted"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// Since you last looked (issue 22): a tag moved between two visits is marked on first open,
/// no `r` needed, from the log: the row says `moved` and from which digest the log last saw;
/// a tag deleted between them is shown `gone` with the digest it last named. A visit with
/// nothing moved marks nothing.
#[test]
fn a_tag_moved_between_visits_is_marked_on_first_open_from_the_log() {
    const USER: &str = "ines";
    const PASSWORD: &str = "visits-Secret-22";
    let reg = TestRegistry::builder()
        .htpasswd(USER, PASSWORD)
        .tls_self_signed()
        .start();
    reg.seed_fixture("unsigned-index", "private/app:v1");
    reg.seed_fixture("unsigned-image", "private/app:v2");
    let v2 = reg
        .head_manifest("private/app", "v2")
        .header("docker-content-digest")
        .unwrap()
        .to_string();
    let tag_move = AmdMove::of(&reg, "private/app", "v1");
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let ca = reg.ca_cert().unwrap().display().to_string();
    let argv: Vec<String> = vec![
        "env".into(),
        "NO_COLOR=1".into(),
        format!("REGSCOPE_STATE_DIR={}", state.path().display()),
        format!("REGSCOPE_CACHE_DIR={}", cache.path().display()),
        format!("REGSCOPE_USERNAME={USER}"),
        format!("REGSCOPE_PASSWORD={PASSWORD}"),
        regscope_bin().display().to_string(),
        "tui".into(),
        "--ca-file".into(),
        ca,
        format!("{}/private/app", reg.host),
    ];
    let (new, old) = (
        regscope::digest::short(&tag_move.child),
        regscope::digest::short(&tag_move.index),
    );
    // The first visit: nothing in the log before it, nothing marked.
    let mut tmux = support::tmux::Tmux::start_command(&argv, (200, 30));
    tmux.forbid(PASSWORD);
    tmux.wait_for(&old);
    let screen = tmux.wait_for(&regscope::digest::short(&v2));
    assert!(
        !screen.contains("moved") && !screen.contains("gone"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);

    tag_move.apply(&reg);
    reg.delete_manifest("private/app", &v2);
    let mut tmux = support::tmux::Tmux::start_command(&argv, (200, 30));
    tmux.forbid(PASSWORD);
    let screen = tmux.wait_for(&format!("moved from {old} (last seen there just now), now"));
    assert!(screen.contains(&new), "{screen}");
    assert!(
        screen.contains("1 moved, 1 gone"),
        "the status line counts both:\n{screen}"
    );
    // v2 is no longer listed; the log says what it was.
    assert!(
        screen.contains(&format!("gone: was {}", regscope::digest::short(&v2))),
        "{screen}"
    );
    tmux.keys(&["Down"]);
    tmux.wait_for(&format!("v2  gone: was {v2} (last seen just now)"));
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);

    // The third visit: the log saw the new digest last time; nothing moved since.
    let tmux = support::tmux::Tmux::start_command(&argv, (200, 30));
    let screen = tmux.wait_for(&new);
    assert!(!screen.contains("moved"), "{screen}");
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

/// `watch REPO` (no tag): every tag of the repository, a tag pushed while watching reported
/// `created`, a tag deleted reported `deleted` (once); quiet, the tag list is read at most once
/// per interval.
#[test]
fn watching_a_repository_reports_created_and_deleted_tags() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    let v1 = reg
        .head_manifest("team/app", "v1")
        .header("docker-content-digest")
        .unwrap()
        .to_string();
    let cache = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let repository = format!("{}/team/app", reg.host);
    let (mut watch, rx) = spawn_watch(
        cache.path(),
        home.path(),
        &["--json", "--interval", "1s", "--timeout", "2", &repository],
        &[],
    );
    wait_for_history(cache.path());
    let mut seen = Vec::new();
    reg.seed_fixture("unsigned-image", "team/app:v2");
    let created = next_event(&rx, "created", &mut seen);
    assert_eq!(created["ref"], format!("{repository}:v2"));
    assert!(created["digest"].as_str().unwrap().starts_with("sha256:"));
    reg.delete_manifest("team/app", &v1);
    let deleted = next_event(&rx, "deleted", &mut seen);
    assert_eq!(deleted["ref"], format!("{repository}:v1"));
    assert_eq!(deleted["was"], v1.as_str());
    // Nothing more: v1 is not reported deleted twice (by its HEAD and by the list).
    std::thread::sleep(std::time::Duration::from_secs(3));
    while let Ok(line) = rx.try_recv() {
        seen.push(serde_json::from_str(&line).unwrap());
    }
    assert_eq!(seen.len(), 2, "{seen:?}");

    // The registry stops answering: the listing's failure is reported, and once it lists
    // again, so is its recovery (the repository's own events name no tag).
    reg.pause();
    let error = event_of(&rx, &repository, "error", &mut seen);
    assert!(
        error["message"].as_str().unwrap().contains(&reg.host),
        "{error}"
    );
    reg.resume();
    event_of(&rx, &repository, "recovered", &mut seen);
    watch.kill().unwrap();
    watch.wait().unwrap();
    seen.extend(
        rx.iter()
            .map(|l| serde_json::from_str::<Value>(&l).unwrap()),
    );
    let count = |event: &str, reference: &str| {
        seen.iter()
            .filter(|e| e["event"] == event && e["ref"] == reference)
            .count()
    };
    assert_eq!(count("error", &repository), 1, "{seen:?}");
    assert_eq!(count("recovered", &repository), 1, "{seen:?}");
    assert_eq!(count("created", &format!("{repository}:v2")), 1, "{seen:?}");

    // Quiet, with --count: it ends, and lists the tags at most once per interval.
    let listings = || {
        reg.log()
            .lines()
            .filter(|l| l.contains("response completed") && l.contains("/v2/team/app/tags/list"))
            .count()
    };
    let before = listings();
    let out = regscope(
        cache.path(),
        &["watch", "--count", "3", "--interval", "1s", &repository],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "nothing changed, nothing reported");
    let listings = reg.log().matches("/v2/team/app/tags/list").count() - before;
    assert!(
        (1..=3).contains(&listings),
        "{listings} listings for 3 polls"
    );
}

/// A 429 with `Retry-After` longer than regscope waits out inside one request: the watch reports
/// it once, leaves that tag alone at least as long as asked (counted in requests: the healthy
/// tag beside it, polled every second, is polled many times meanwhile; the limited one not at
/// all), then polls it again and says it recovered; it never exits.
#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_tag_waits_out_retry_after_and_recovers() {
    use regscope::serve::{self, Faults, Layout, Scope};
    const RETRY_AFTER: u64 = 12;
    let fixture = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/docker-attest")
            .join(name)
    };
    let srv = serve::start(
        vec![
            Layout::new("team/app", fixture("unsigned-index")),
            Layout::new("team/other", fixture("unsigned-image")),
        ],
        Faults::default(),
    )
    .await
    .expect("server");
    let heads = |repo: &str| {
        let path = format!("/v2/{repo}/manifests/");
        srv.requests()
            .iter()
            .filter(|r| r.method == "HEAD" && r.target.starts_with(&path))
            .count()
    };
    let cache = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let limited = format!("{}/team/app:test", srv.host());
    let healthy = format!("{}/team/other:test", srv.host());
    let (mut watch, rx) = spawn_watch(
        cache.path(),
        home.path(),
        &["--json", "--interval", "1s", &limited, &healthy],
        &[],
    );
    // Both polled once: the baseline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while heads("team/app") == 0 || heads("team/other") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the watch never polled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    srv.set_faults(Faults {
        rate_limit: Some(RETRY_AFTER),
        times: Some(1),
        scope: Scope::path("/v2/team/app/manifests/"),
        ..Faults::default()
    });
    let mut seen = Vec::new();
    let error = tokio::task::block_in_place(|| next_event(&rx, "error", &mut seen));
    assert_eq!(error["ref"], limited);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("429") && message.contains(&format!("{RETRY_AFTER}s")),
        "{message}"
    );
    let (app_before, other_before) = (heads("team/app"), heads("team/other"));
    let recovered = tokio::task::block_in_place(|| next_event(&rx, "recovered", &mut seen));
    assert_eq!(recovered["ref"], limited);
    assert_eq!(
        heads("team/app") - app_before,
        1,
        "the limited tag is asked again once, after the wait"
    );
    let meanwhile = heads("team/other") - other_before;
    assert!(
        meanwhile >= 8,
        "the healthy tag was polled {meanwhile} times while the limited one waited {RETRY_AFTER}s"
    );
    assert!(
        watch.try_wait().unwrap().is_none(),
        "a 429 does not end the watch"
    );
    watch.kill().unwrap();
    watch.wait().unwrap();
}

//! The `regscope` binary end to end against a real docker-registry: output, JSON, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use std::process::Output;

use support::{fixture, isolated_command, regscope_bin, TestRegistry};

fn regscope(args: &[&str]) -> Output {
    regscope_at(None, args)
}

/// With `COLUMNS` set the text is fitted to it, pipe or not; without it a pipe gets whole lines.
/// The user's own config, cache and credentials stay out of it (an empty HOME of its own).
fn regscope_at(columns: Option<usize>, args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = isolated_command(&regscope_bin(), home.path());
    cmd.args(args).env_remove("COLUMNS");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c.to_string());
    }
    cmd.output().expect("run regscope")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr, checked for Rust `Debug` syntax: every error path read here is in words.
fn stderr(o: &Output) -> String {
    let text = String::from_utf8_lossy(&o.stderr).into_owned();
    support::words::assert_no_debug_syntax(&text);
    text
}

/// Masks what varies between runs (the registry's port) and what depends on timing.
fn stable_json(out: &str, reg: &TestRegistry) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&out.replace(&reg.host, "REGISTRY")).expect("one JSON document");
    v["roundTrips"] = serde_json::json!("[masked]");
    v
}

#[test]
fn inspect_prints_the_tree_and_json_of_a_buildkit_index() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "team/app:v7");
    let reference = format!("{}/team/app:v7", reg.host);
    let out = regscope(&["inspect", &reference]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out).replace(&reg.host, "REGISTRY");
    assert!(
        !text.contains('\x1b'),
        "NO_COLOR and a pipe mean no escape sequences"
    );
    insta::assert_snapshot!("inspect_unsigned_index_text", text);

    let out = regscope(&["inspect", "--json", &reference]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_json_snapshot!(
        "inspect_unsigned_index_json",
        stable_json(&stdout(&out), &reg)
    );

    // The report says what it did not check: here, no attachments either.
    let out = regscope(&["inspect", "--json", "--no-attachments", &reference]);
    let doc = stable_json(&stdout(&out), &reg);
    let what: Vec<&str> = doc["notChecked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        what,
        [
            "whether the image runs on a deployment target",
            "attachments outside the index",
            "the files in the layers"
        ]
    );
}

#[test]
fn inspect_reads_a_local_oci_layout() {
    let dir = fixture("unsigned-index");
    let out = regscope(&["inspect", &format!("oci:{}", dir.display())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("ATTESTATION for linux/amd64"), "{text}");
    let out = regscope(&["inspect", &format!("oci:{}:test", dir.display())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = regscope(&["inspect", &format!("oci:{}:nope", dir.display())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
}

#[test]
fn check_lambda_fails_on_an_attestation_index_with_the_fix() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    reg.seed_fixture("unsigned-image", "app:single");
    let out = regscope(&[
        "check",
        "--target",
        "lambda",
        &format!("{}/app:v1", reg.host),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("target-incompatible"), "{text}");
    assert!(
        text.contains("--provenance=false") && text.contains("BUILDX_NO_DEFAULT_ATTESTATIONS=1"),
        "{text}"
    );
    assert!(text.contains("FAIL"), "{text}");

    let out = regscope(&[
        "check",
        "--target",
        "lambda",
        &format!("{}/app:single", reg.host),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = regscope(&[
        "check",
        "--target",
        "lambda",
        "--fail-on",
        "info",
        &format!("{}/app:single", reg.host),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "runs-as-root is info: {}",
        stdout(&out)
    );

    let out = regscope(&[
        "check",
        "--json",
        "--target",
        "linux/s390x",
        &format!("{}/app:v1", reg.host),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["target"], "linux/s390x");
    assert!(doc["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["code"] == "platform-missing")));
}

#[test]
fn errors_are_one_sentence_with_the_exit_code_the_readme_promises() {
    // Malformed reference: usage error.
    let out = regscope(&["inspect", "UPPER/Case:tag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid reference"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));

    let out = regscope(&["check", "--target", "lambda/mips", "alpine"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    // Unknown tag and unknown repository on a real registry: 1, says what to check.
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-image", "app:v1");
    let out = regscope(&["inspect", &format!("{}/app:nope", reg.host)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("not found") && err.contains("MANIFEST_UNKNOWN"),
        "{err}"
    );
    let out = regscope(&["inspect", &format!("{}/nothing/here:v1", reg.host)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));

    // Nothing listening: connection refused names the address.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let out = regscope(&["inspect", &format!("127.0.0.1:{port}/app:v1")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("127.0.0.1:{port}")) && err.contains("cannot connect"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn check_without_a_target_says_no_target_was_evaluated_and_what_was_checked() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    let out = regscope(&["check", &format!("{}/app:v1", reg.host)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out).replace(&reg.host, "REGISTRY");
    let verdict: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("ok")).collect();
    insta::assert_snapshot!("check_without_target_verdict", verdict.join("\n"));
}

#[test]
fn check_for_a_platform_the_index_lacks_keeps_the_others_in_the_fix_wrapped_to_columns() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    let reference = format!("{}/app:v1", reg.host);
    let out = regscope_at(Some(80), &["check", "--target", "linux/arm/v7", &reference]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out).replace(&reg.host, "REGISTRY");
    for line in text.lines() {
        let command = line.trim_start().starts_with('`');
        assert!(
            line.chars().count() <= 80 || command,
            "wider than COLUMNS: {line}"
        );
        assert_eq!(line.matches('`').count() % 2, 0, "a command split: {line}");
    }
    insta::assert_snapshot!("check_arm_v7_columns_80", text);
}

#[test]
fn check_for_a_platform_whose_manifest_was_deleted_says_it_is_gone_and_to_re_push() {
    let reg = TestRegistry::start();
    reg.seed_fixture("unsigned-index", "app:v1");
    reg.delete_manifest(
        "app",
        "sha256:7a76cec943853f9f7105b1976afa1bf7cd5bb6afc4e9d5852dd8da7cf81ae86e",
    );
    let reference = format!("{}/app:v1", reg.host);
    let out = regscope(&["check", "--target", "linux/arm64", &reference]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out).replace(&reg.host, "REGISTRY");
    assert!(!text.contains("not offered"), "{text}");
    insta::assert_snapshot!("check_deleted_arm64_child", text);

    let out = regscope(&["check", "--target", "lambda/arm64", &reference]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("lists linux/arm64 but its manifest") && text.contains("Re-push the tag"),
        "{text}"
    );
}

//! The CLI's verdicts and grammar against a real docker-registry behind htpasswd (the login in
//! the sandbox's docker config): `check --json` verdicts and the reference to deploy, `--quiet`,
//! `check REPO` judging every tag, typo'd targets, `where`, `man`, completions of `--target`,
//! typo'd subcommands, lone words, and the config file's `endpoint` as a URL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use base64::Engine as _;
use support::sandbox::Sandbox;
use support::{fixture, layout_blob, layout_root_digest, regscope_bin, TestRegistry};

const USER: &str = "dana";
const PASSWORD: &str = "Verdicts-s3cret-pa55";

struct World {
    reg: TestRegistry,
    sandbox: Sandbox,
    /// The BuildKit index (`team/app:v1`).
    index: String,
    /// Its linux/amd64 entry.
    amd64: String,
    /// The single linux/amd64 image (`team/app:single`).
    single: String,
}

/// `team/app:v1` (BuildKit index: amd64, arm64, two attestations) and `team/app:single` (one
/// linux/amd64 manifest), behind htpasswd, the login in docker config `auths`.
fn world() -> World {
    let reg = TestRegistry::builder().htpasswd(USER, PASSWORD).start();
    reg.seed_fixture("unsigned-index", "team/app:v1");
    reg.seed_fixture("unsigned-image", "team/app:single");
    let layout = fixture("unsigned-index");
    let index = layout_root_digest(&layout);
    let doc: serde_json::Value = serde_json::from_slice(&layout_blob(&layout, &index)).unwrap();
    let amd64 = doc["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["platform"]["architecture"] == "amd64")
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let single = layout_root_digest(&fixture("unsigned-image"));
    let sandbox = Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {(reg.host.clone()): {"auth": auth}}}));
    World {
        reg,
        sandbox,
        index,
        amd64,
        single,
    }
}

/// Exit code, stdout, stderr; the password never appears.
fn run(sandbox: &Sandbox, args: &[&str]) -> (i32, String, String) {
    let out = sandbox
        .command(&regscope_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "the password is never printed"
    );
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn check_json_says_the_verdict_and_the_reference_to_deploy() {
    let w = world();
    let repo = format!("{}/team/app", w.reg.host);
    let v1 = format!("{repo}:v1");

    // Lambda refuses the index; its amd64 entry runs, by digest.
    let (code, out, err) = run(&w.sandbox, &["check", "--json", "--target", "lambda", &v1]);
    assert_eq!(code, 1, "{out}{err}");
    let doc = json(&out);
    assert_eq!(doc["verdict"], "rejected", "{doc}");
    assert_eq!(doc["verdictReason"], "index");
    assert_eq!(doc["deployReference"], format!("{repo}@{}", w.amd64));

    // linux/amd64 runs the index itself.
    let (code, out, err) = run(
        &w.sandbox,
        &["check", "--json", "--target", "linux/amd64", &v1],
    );
    assert_eq!(code, 0, "{out}{err}");
    let doc = json(&out);
    assert_eq!(doc["verdict"], "runs");
    assert_eq!(doc["verdictReason"], serde_json::Value::Null);
    assert_eq!(doc["deployReference"], format!("{repo}@{}", w.index));

    // Nothing here runs on s390x.
    let (code, out, _) = run(
        &w.sandbox,
        &["check", "--json", "--target", "linux/s390x", &v1],
    );
    assert_eq!(code, 1);
    let doc = json(&out);
    assert_eq!(doc["verdict"], "rejected");
    assert_eq!(doc["verdictReason"], "no s390x");
    assert_eq!(doc["deployReference"], serde_json::Value::Null);

    // Without a target nothing was judged.
    let (code, out, _) = run(&w.sandbox, &["check", "--json", &v1]);
    assert_eq!(code, 0);
    let doc = json(&out);
    assert_eq!(doc["verdict"], "not evaluated");
    assert_eq!(doc["deployReference"], serde_json::Value::Null);
}

#[test]
fn check_quiet_prints_one_line() {
    let w = world();
    let repo = format!("{}/team/app", w.reg.host);
    let (code, out, _) = run(
        &w.sandbox,
        &[
            "check",
            "--quiet",
            "--target",
            "lambda",
            &format!("{repo}:v1"),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        out,
        format!(
            "{repo}:v1: rejected on lambda/amd64 (index); deploy {repo}@{} instead\n",
            w.amd64
        )
    );
    let (code, out, _) = run(
        &w.sandbox,
        &[
            "check",
            "-q",
            "--target",
            "lambda",
            &format!("{repo}:single"),
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{repo}:single: runs on lambda/amd64; deploy {repo}@{}\n",
            w.single
        )
    );
    let (code, out, _) = run(&w.sandbox, &["check", "-q", &format!("{repo}:single")]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!("{repo}:single: not evaluated (no --target); no finding at or above error\n")
    );
    // One line or one document, not both.
    let (code, _, err) = run(
        &w.sandbox,
        &["check", "-q", "--json", &format!("{repo}:v1")],
    );
    assert_eq!(code, 2, "{err}");
}

#[test]
fn check_of_a_repository_judges_every_tag() {
    let w = world();
    w.reg.seed_fixture("unsigned-image", "team/app:v1.10");
    w.reg.seed_fixture("unsigned-image", "team/app:v1.9");
    let repo = format!("{}/team/app", w.reg.host);
    let (code, out, err) = run(&w.sandbox, &["check", &repo, "--target", "lambda"]);
    assert_eq!(code, 1, "v1 is rejected: {out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            format!("single  runs; deploy {repo}@{}", w.single).as_str(),
            format!("v1      rejected: index; deploy {repo}@{} instead", w.amd64).as_str(),
            format!("v1.9    runs; deploy {repo}@{}", w.single).as_str(),
            format!("v1.10   runs; deploy {repo}@{}", w.single).as_str(),
            format!("{repo}: 4 tags judged against lambda/amd64: 3 run, 1 rejected").as_str(),
        ],
        "{out}{err}"
    );

    let (code, out, _) = run(
        &w.sandbox,
        &["check", &repo, "--target", "lambda", "--json"],
    );
    assert_eq!(code, 1);
    let list = json(&out);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 4, "{out}");
    let v1 = list.iter().find(|t| t["tag"] == "v1").unwrap();
    assert_eq!(v1["verdict"], "rejected");
    assert_eq!(v1["verdictReason"], "index");
    assert_eq!(v1["reference"], format!("{repo}:v1"));
    assert_eq!(v1["digest"], w.index);
    assert_eq!(v1["deployReference"], format!("{repo}@{}", w.amd64));

    // Every tag runs on linux/amd64: exit 0, and --quiet leaves out the count.
    let (code, out, err) = run(
        &w.sandbox,
        &["check", &repo, "--target", "linux/amd64", "--quiet"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(out.lines().all(|l| l.contains(" runs; deploy ")), "{out}");
}

/// A stand-in for Docker Hub (the config's `endpoint` for `docker.io`, behind htpasswd, the
/// login under Hub's key): `check docker.io/REPO` judges the newest 25 tags, says how many
/// were left out and why, and fetches no manifest of the others; `--max-tags` changes the
/// number there and elsewhere.
#[test]
fn check_of_a_docker_hub_repository_judges_25_tags_unless_told() {
    let w = world();
    // 30 tags of one image: v1.0 … v1.29.
    let manifest = w.reg.get_manifest("team/app", "single");
    let media_type = manifest.header("content-type").unwrap().to_string();
    for i in 0..30 {
        w.reg
            .put_manifest("team/app", &format!("v1.{i}"), &media_type, &manifest.body);
    }
    w.sandbox.regscope_config(&format!(
        "[registry.\"docker.io\"]\nendpoint = \"http://{}\"\n",
        w.reg.host
    ));
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    w.sandbox.docker_config(&serde_json::json!({"auths": {
        "https://index.docker.io/v1/": {"auth": auth},
        (w.reg.host.clone()): {"auth": auth},
    }}));
    let before = w.reg.log().len();
    let (code, out, err) = run(
        &w.sandbox,
        &["check", "docker.io/team/app", "--target", "linux/amd64"],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 26, "{out}{err}");
    // The newest 25 in version order: v1.29 among them, v1.0 not.
    let judged: Vec<&str> = lines[..25]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(
        judged.contains(&"v1.29") && !judged.contains(&"v1.0"),
        "{out}"
    );
    assert!(
        lines[..25].iter().all(|l| l.contains(" runs; deploy ")),
        "{out}"
    );
    assert!(
        lines[25].starts_with("docker.io/team/app: 25 of 32 tags judged against linux/amd64"),
        "{out}"
    );
    assert!(
        err.contains(
            "judged 25 of 32 tags (Docker Hub counts each as a pull; --max-tags to judge more)"
        ),
        "{err}"
    );
    assert_eq!(code, 1, "tags were left out: {out}{err}");
    // The tags left out cost no manifest request.
    let log = &w.reg.log()[before..];
    let fetched = |tag: &str| {
        log.lines()
            .any(|l| l.contains("response completed") && l.contains(&format!("/manifests/{tag} ")))
    };
    assert!(fetched("v1.29"), "{log}");
    assert!(!fetched("v1.0") && !fetched("v1.1"), "{log}");

    // --max-tags: as many as asked, on Hub and elsewhere.
    let (_, out, err) = run(
        &w.sandbox,
        &[
            "check",
            "docker.io/team/app",
            "--target",
            "linux/amd64",
            "--max-tags",
            "3",
        ],
    );
    assert_eq!(out.lines().count(), 4, "{out}{err}");
    assert!(err.contains("judged 3 of 32 tags (Docker Hub"), "{err}");
    let repo = format!("{}/team/app", w.reg.host);
    let (code, out, err) = run(
        &w.sandbox,
        &["check", &repo, "--target", "linux/amd64", "--max-tags", "2"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("v1.29") && !out.contains("v1.0 "), "{out}");
    assert!(
        err.contains("judged 2 of 32 tags (the newest in version order; --max-tags to judge more)"),
        "{err}"
    );
    // Elsewhere every tag is judged by default: 32 lines and the summary.
    let (_, out, err) = run(&w.sandbox, &["check", &repo, "--target", "linux/amd64"]);
    assert_eq!(out.lines().count(), 33, "{out}{err}");
    // One image has no tags to limit.
    let (code, _, err) = run(
        &w.sandbox,
        &[
            "check",
            &format!("{repo}:v1.0"),
            "--target",
            "lambda",
            "--max-tags",
            "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--max-tags limits the tags of a repository"),
        "{err}"
    );
}

#[test]
fn a_typo_in_a_target_is_refused_with_the_known_names() {
    let w = world();
    let v1 = format!("{}/team/app:v1", w.reg.host);
    let (code, out, err) = run(&w.sandbox, &["check", "--target", "linux/arm65", &v1]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(
            "unknown architecture `arm65` (did you mean `arm64`?); known: amd64, arm64, arm, 386"
        ),
        "{err}"
    );
    assert!(out.is_empty(), "nothing was checked: {out}");
    let (code, _, err) = run(&w.sandbox, &["check", "--target", "linux/arm64/v7", &v1]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown variant `v7`") && err.contains("the variants of arm64: v8, v9"),
        "{err}"
    );
    let (code, _, err) = run(&w.sandbox, &["check", "--target", "lamdba", &v1]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `lambda`?"), "{err}");
    let (code, _, err) = run(&w.sandbox, &["check", "--target", "k8s:amd64,arm65", &v1]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `arm64`?"), "{err}");
    // `inspect --platform` too.
    let (code, _, err) = run(&w.sandbox, &["inspect", "--platform", "linux/arm65", &v1]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "--platform: `linux/arm65`: unknown architecture `arm65` (did you mean `arm64`?)"
        ),
        "{err}"
    );
    // The TUI's flag reads it the same way, before any terminal is touched.
    let (code, _, err) = run(&w.sandbox, &["tui", "--target", "linux/arm65", &v1]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `arm64`?"), "{err}");
    // And the config file's target.
    w.sandbox.regscope_config("target = \"linux/aarch64\"\n");
    let (code, _, err) = run(&w.sandbox, &["config", "check"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("line 1") && err.contains("(images call it `arm64`)"),
        "{err}"
    );
}

#[test]
fn where_sorts_versions_and_refuses_a_registry_without_a_repository() {
    let w = world();
    for tag in ["v1.10", "v1.9", "v1.2"] {
        w.reg
            .seed_fixture("unsigned-image", &format!("team/app:{tag}"));
    }
    let repo = format!("{}/team/app", w.reg.host);
    let (code, out, err) = run(&w.sandbox, &["where", &format!("{repo}@{}", w.single)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("tagged single, v1.2, v1.9, v1.10"),
        "version order: {out}"
    );
    let (code, out, _) = run(
        &w.sandbox,
        &["where", "--json", &format!("{repo}@{}", w.single)],
    );
    assert_eq!(code, 0);
    assert_eq!(
        json(&out)["tags"],
        serde_json::json!(["single", "v1.2", "v1.9", "v1.10"])
    );

    let bare = format!("{}@{}", w.reg.host, w.single);
    let (code, out, err) = run(&w.sandbox, &["where", &bare]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("names a registry but no repository")
            && err.contains(&format!("{}/team/app@{}", w.reg.host, w.single)),
        "{err}"
    );
    assert!(!err.contains("docker.io"), "Docker Hub is not asked: {err}");
}

#[test]
fn man_prints_every_page_it_lists_and_refuses_others() {
    let sandbox = Sandbox::new();
    let (code, top, _) = run(&sandbox, &["man"]);
    assert_eq!(code, 0);
    assert!(
        top.contains("regscope\\-check(1)") || top.contains("regscope-check(1)"),
        "{top}"
    );
    assert!(top.contains("regscope man NAME"), "{top}");
    let (code, page, _) = run(&sandbox, &["man", "check"]);
    assert_eq!(code, 0);
    assert!(
        page.contains(".TH regscope-check") && page.contains("\\-\\-quiet"),
        "{page}"
    );
    let (code, page, _) = run(&sandbox, &["man", "config", "check"]);
    assert_eq!(code, 0);
    assert!(page.contains(".TH regscope-config-check"), "{page}");
    let (code, _, err) = run(&sandbox, &["man", "chek"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no man page `regscope chek`; pages: inspect, check,")
            && err.contains("did you mean `check`?"),
        "{err}"
    );
}

#[test]
fn completion_of_target_offers_target_names_not_files() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish"] {
        let (code, script, _) = run(&sandbox, &["completions", shell]);
        assert_eq!(code, 0);
        assert!(
            script.contains("lambda/arm64") && script.contains("fargate/windows-2022"),
            "{shell}: {script}"
        );
    }
    // Listing them for completion neither restricts them (any known platform is a target) nor
    // fills the help with them.
    let (code, out, _) = run(&sandbox, &["check", "--help"]);
    assert_eq!(code, 0);
    let line = out
        .lines()
        .find(|l| l.contains("--target <TARGET>"))
        .unwrap();
    assert!(!line.contains("possible values"), "{line}");
}

#[test]
fn a_typo_in_a_subcommand_is_an_unknown_command_and_a_lone_word_is_not_a_registry() {
    let w = world();
    let v1 = format!("{}/team/app:v1", w.reg.host);
    let (code, out, err) = run(&w.sandbox, &["inspekt", &v1]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("unknown command `inspekt`; did you mean `inspect`?"),
        "{err}"
    );
    assert!(!err.contains("cannot be used with"), "{err}");
    let (code, _, err) = run(&w.sandbox, &["--target", "lambda", "chek", &v1]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `check`?"), "{err}");

    let (code, out, err) = run(&w.sandbox, &["changelog"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("`changelog` is neither a command nor a registry")
            && err.contains("commands: inspect, check"),
        "{err}"
    );
    let (code, _, err) = run(&w.sandbox, &["inspekt"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `inspect`?"), "{err}");
}

#[test]
fn a_config_endpoint_may_be_a_url_and_anything_else_is_refused_with_its_line() {
    let w = world();
    let name = "registry.example.internal:5000";
    w.sandbox.regscope_config(&format!(
        "[registry.\"{name}\"]\nendpoint = \"http://{}\"\n",
        w.reg.host
    ));
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    w.sandbox
        .docker_config(&serde_json::json!({"auths": {name: {"auth": auth}}}));
    let (code, out, err) = run(&w.sandbox, &["config", "check"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &w.sandbox,
        &[
            "check",
            "-q",
            "--target",
            "lambda",
            &format!("{name}/team/app:single"),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("runs on lambda/amd64"), "{out}");

    for bad in ["ftp://127.0.0.1:5000", "http://127.0.0.1:5000/v2/"] {
        w.sandbox.regscope_config(&format!(
            "# a comment\n[registry.\"{name}\"]\nendpoint = \"{bad}\"\n"
        ));
        let (code, _, err) = run(&w.sandbox, &["config", "check"]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("line 3") && err.contains("http://host:port"),
            "{bad}: {err}"
        );
        let (code, _, err) = run(&w.sandbox, &["inspect", &format!("{name}/team/app:single")]);
        assert_eq!(code, 2, "{bad}: refused at load: {err}");
        assert!(
            err.contains("line 3") && !err.contains("failed to lookup address"),
            "{bad}: {err}"
        );
    }
}

/// The TUI's `t` prompt reads a target with the same parser: a typo stays in the prompt with the
/// architecture meant, and nothing is judged against it.
#[test]
fn the_tui_target_prompt_refuses_a_typo_with_the_one_meant() {
    let w = world();
    let mut tmux = support::tmux::Tmux::start_command(
        &w.sandbox
            .argv(&regscope_bin(), &[&format!("{}/team/app", w.reg.host)]),
        (140, 30),
    );
    tmux.forbid(PASSWORD);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["t"]);
    tmux.wait_for("cloudrun, fargate");
    tmux.keys(&["linux/arm65", "Enter"]);
    let screen = tmux.wait_for("did you mean `arm64`?");
    assert!(screen.contains("unknown architecture `arm65`"), "{screen}");
    assert!(!screen.contains("LINUX/ARM65"), "not judged: {screen}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
}

//! Amazon ECR: registry names that are ECR hosts, reached on 127.0.0.1 through the config
//! file's `endpoint` (a real docker-registry behind htpasswd stands in for the data plane).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use base64::Engine as _;
use support::sandbox::Sandbox;
use support::{regscope_bin, TestRegistry};

const ECR_HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const FIPS_HOST: &str = "123456789012.dkr.ecr-fips.eu-west-1.amazonaws.com";
const PASSWORD: &str = "Ecr-s3cret-t0ken";

/// A docker-registry behind htpasswd (user `AWS`, as ECR's logins are) holding `app:v1` (a
/// single linux/amd64 image), answering for the ECR host names through `endpoint`.
fn ecr_standin() -> (TestRegistry, Sandbox) {
    let reg = TestRegistry::builder().htpasswd("AWS", PASSWORD).start();
    reg.seed_fixture("unsigned-image", "app:v1");
    let sandbox = Sandbox::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{PASSWORD}"));
    sandbox.docker_config(&serde_json::json!({"auths": {
        ECR_HOST: {"auth": auth},
        FIPS_HOST: {"auth": auth},
    }}));
    sandbox.regscope_config(&format!(
        "[registry.\"{ECR_HOST}\"]\nendpoint = \"{h}\"\nplain_http = true\n\n[registry.\"{FIPS_HOST}\"]\nendpoint = \"{h}\"\nplain_http = true\n",
        h = reg.host
    ));
    (reg, sandbox)
}

fn check(
    sandbox: &Sandbox,
    reference: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, String) {
    let mut cmd = sandbox.command(&regscope_bin());
    cmd.args([
        "check",
        reference,
        "--target",
        "lambda",
        "--fail-on",
        "warning",
    ])
    .args(extra)
    .env_remove("AWS_REGION")
    .env_remove("AWS_DEFAULT_REGION");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains(PASSWORD), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn lambda_in_another_region_is_flagged_from_the_flag_or_aws_region() {
    let (_reg, sandbox) = ecr_standin();
    let reference = format!("{ECR_HOST}/app:v1");
    let (code, text) = check(&sandbox, &reference, &[], &[]);
    assert_eq!(code, 0, "same image, no region given: fit\n{text}");
    let (code, text) = check(&sandbox, &reference, &["--region", "eu-west-1"], &[]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = check(&sandbox, &reference, &["--region", "us-east-1"], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("ecr-region-mismatch"), "{text}");
    assert!(text.contains("repository is in eu-west-1"), "{text}");
    let (code, text) = check(&sandbox, &reference, &[], &[("AWS_REGION", "ap-south-1")]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("function would be in ap-south-1"), "{text}");
    // The whole repository (`check REPO`) weighs the region as `check REPO:TAG` does.
    let repository = format!("{ECR_HOST}/app");
    let (code, text) = check(&sandbox, &repository, &["--region", "eu-west-1"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("ecr-region-mismatch"), "{text}");
    // A warning, as for one tag: the tag still runs, and its line says why not here.
    let (code, text) = check(&sandbox, &repository, &["--region", "us-east-1"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("v1  runs; deploy ")
            && text.contains("; ecr-region-mismatch: the repository is in eu-west-1"),
        "{text}"
    );
}

#[test]
fn the_fips_host_is_flagged_for_lambda() {
    let (_reg, sandbox) = ecr_standin();
    let (code, text) = check(&sandbox, &format!("{FIPS_HOST}/app:v1"), &[], &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("ecr-fips-host"), "{text}");
    assert!(
        text.contains("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
        "{text}"
    );
}

/// A refused login on the FIPS and dual-stack hosts gets the ECR login hint too (one
/// recogniser of ECR hosts, not an older copy that knew only `dkr.ecr.`).
#[test]
fn a_refused_login_on_a_fips_or_dual_stack_host_gets_the_ecr_hint() {
    let (reg, sandbox) = ecr_standin();
    let dual = "123456789012.dkr-ecr.eu-west-1.on.aws";
    let wrong = base64::engine::general_purpose::STANDARD.encode("AWS:expired-token");
    sandbox.docker_config(&serde_json::json!({"auths": {
        FIPS_HOST: {"auth": wrong},
        dual: {"auth": wrong},
    }}));
    sandbox.regscope_config(&format!(
        "[registry.\"{FIPS_HOST}\"]\nendpoint = \"http://{h}\"\n\n[registry.\"{dual}\"]\nendpoint = \"http://{h}\"\n",
        h = reg.host
    ));
    for host in [FIPS_HOST, dual] {
        let out = sandbox
            .command(&regscope_bin())
            .args(["inspect", &format!("{host}/app:v1")])
            .env_remove("AWS_REGION")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{host}: {err}");
        assert!(
            err.contains("ECR logins expire after 12 hours")
                && err.contains(&format!("--password-stdin {host}")),
            "{host}: {err}"
        );
        assert!(!err.contains("expired-token"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The ECR API (moto in server mode, behind a recording proxy) and the data plane (docker-registry
// behind htpasswd with moto's token password), joined on real BuildKit digests.

use support::moto::{EcrRecorder, Moto, ACCOUNT_ID, REGION};
use support::tmux::Tmux;
use support::{fixture, layout_blob, layout_root_digest, OCI_INDEX};

/// AWS variables a developer's shell may hold; the tests set their own.
const AWS_VARS: [&str; 8] = [
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_ECR",
];

struct EcrWorld {
    _moto: Moto,
    recorder: EcrRecorder,
    _registry: TestRegistry,
    sandbox: Sandbox,
    host: String,
    arm64: String,
    orphan: String,
}

impl EcrWorld {
    /// `team/app:v1` (BuildKit index: amd64 + arm64 + two attestations) in moto's ECR and in the
    /// data plane; the arm64 child deleted from both (the index remains); an untagged image
    /// nothing references; a lifecycle policy keeping one untagged image.
    fn new() -> Self {
        let moto = Moto::start();
        let recorder = EcrRecorder::start(moto.url());
        let (user, password, _, _) = moto.get_authorization_token();
        assert_eq!(user, "AWS");
        let registry = TestRegistry::builder().htpasswd("AWS", &password).start();
        registry.seed_fixture("unsigned-index", "team/app:v1");
        registry.seed_fixture("unsigned-image", "team/app:orphan-source");

        moto.create_repository("team/app");
        let layout = fixture("unsigned-index");
        let root = layout_root_digest(&layout);
        let index_bytes = layout_blob(&layout, &root);
        let index: serde_json::Value = serde_json::from_slice(&index_bytes).unwrap();
        let mut arm64 = String::new();
        for child in index["manifests"].as_array().unwrap() {
            let digest = child["digest"].as_str().unwrap();
            let media_type = child["mediaType"].as_str().unwrap();
            moto.put_image(
                "team/app",
                &layout_blob(&layout, digest),
                media_type,
                digest,
                None,
            );
            if child["platform"]["architecture"] == "arm64" {
                arm64 = digest.to_string();
            }
        }
        moto.put_image("team/app", &index_bytes, OCI_INDEX, &root, Some("v1"));
        let single = fixture("unsigned-image");
        let orphan = layout_root_digest(&single);
        let orphan_media = support::layout_root(&single)["mediaType"]
            .as_str()
            .unwrap()
            .to_string();
        moto.put_image(
            "team/app",
            &layout_blob(&single, &orphan),
            &orphan_media,
            &orphan,
            None,
        );
        moto.batch_delete_image("team/app", &arm64);
        registry.delete_manifest("team/app", &arm64);
        moto.put_lifecycle_policy(
            "team/app",
            r#"{"rules":[{"rulePriority":1,"description":"keep one untagged","selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#,
        );

        let host = format!("{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com");
        let sandbox = Sandbox::new();
        sandbox.regscope_config(&format!(
            "[registry.\"{host}\"]\nendpoint = \"{}\"\nplain_http = true\n",
            registry.host
        ));
        Self {
            _moto: moto,
            recorder,
            _registry: registry,
            sandbox,
            host,
            arm64,
            orphan,
        }
    }

    /// AWS credentials from the environment, the API through the recording proxy.
    fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_ENDPOINT_URL_ECR", self.recorder.url().to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    fn regscope(&self, args: &[&str], aws: bool) -> (i32, String, String) {
        let mut cmd = self.sandbox.command(&regscope_bin());
        for var in AWS_VARS {
            cmd.env_remove(var);
        }
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        if aws {
            cmd.envs(self.aws_env());
        }
        let out = cmd.args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        support::words::assert_no_debug_syntax(&stderr);
        assert!(
            !stdout.contains("auth-token") && !stderr.contains("auth-token"),
            "the ECR password is never printed"
        );
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }
}

#[test]
fn ecr_images_come_from_describe_images_labelled_with_the_lifecycle_dry_run() {
    let world = EcrWorld::new();
    let repo = format!("{}/team/app", world.host);
    let (code, stdout, stderr) = world.regscope(&["images", &repo, "--json"], true);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["source"]["kind"], "ecr-api", "{doc}");
    assert_eq!(doc["source"]["region"], REGION);
    let images = doc["images"].as_array().unwrap();
    let by = |d: &str| {
        images
            .iter()
            .find(|i| i["digest"] == d)
            .unwrap_or_else(|| panic!("{d} in {doc}"))
    };
    // The orphan: untagged, nothing reaches it.
    assert_eq!(by(&world.orphan)["orphan"], true);
    // The deleted child: the index still names it.
    assert_eq!(by(&world.arm64)["missing"], true);
    assert_eq!(by(&world.arm64)["breaks"], serde_json::json!(["v1"]));
    let labels: Vec<&str> = images
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("platform image linux/amd64 of v1")),
        "{labels:?}"
    );
    assert_eq!(
        labels
            .iter()
            .filter(|l| l.starts_with("attestation for linux/"))
            .count(),
        2,
        "{labels:?}"
    );
    // The repository's settings, from DescribeRepositories.
    assert_eq!(doc["repositoryInfo"]["tagMutability"], "MUTABLE");
    // The dry run: three of the four untagged images go, and taking index children breaks v1.
    let planned = doc["lifecycle"]["planned"].as_array().unwrap();
    assert_eq!(planned.len(), 3, "{doc}");
    assert!(
        planned
            .iter()
            .any(|p| p["breaks"] == serde_json::json!(["v1"])),
        "{doc}"
    );
    // Only read actions reached the API.
    world.recorder.assert_read_only();
    let actions = world.recorder.actions();
    for action in [
        "GetAuthorizationToken",
        "DescribeImages",
        "DescribeRepositories",
        "GetLifecyclePolicy",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }

    let (code, text, stderr) = world.regscope(&["images", &repo, "--color", "never"], true);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        text.contains("from ECR DescribeImages in us-east-1"),
        "{text}"
    );
    assert!(
        text.contains("ORPHAN: nothing in this repository references it"),
        "{text}"
    );
    assert!(text.contains("lifecycle policy (1 rule)"), "{text}");
    assert!(text.contains("breaks v1"), "{text}");

    let v1 = doc["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["tags"] == serde_json::json!(["v1"]))
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_push_times_are_logged(&world, &repo, &v1);
}

/// With a cache (named: the data plane is on loopback), DescribeImages' tags go into the tag
/// history with ECR's `imagePushedAt`, which `history` shows as the registry's claim.
fn assert_push_times_are_logged(world: &EcrWorld, repo: &str, v1: &str) {
    let cache = world.sandbox.path().join("named-cache");
    let cache = cache.to_str().unwrap();
    let with_cache = |args: &[&str]| {
        let mut cmd = world.sandbox.command(&regscope_bin());
        for var in AWS_VARS {
            cmd.env_remove(var);
        }
        let out = cmd
            .envs(world.aws_env())
            .env("REGSCOPE_CACHE_DIR", cache)
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        (
            out.status.code(),
            stdout,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, stderr) = with_cache(&["images", repo]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = with_cache(&["history", &format!("{repo}:v1"), "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let history: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let digest = &history["tags"][0]["digests"][0];
    assert_eq!(digest["digest"], v1, "{history}");
    assert_eq!(digest["pushed"]["by"], "registry", "{history}");
    assert!(
        digest["pushed"]["at"].as_str().unwrap().starts_with("20"),
        "{history}"
    );
}

/// The API lists the images but the registry cannot be reached (a wrong endpoint): the trees
/// are unread, so no untagged image is called an orphan, and the exit code says incomplete.
#[test]
fn unread_trees_leave_untagged_images_not_checked_rather_than_orphaned() {
    let world = EcrWorld::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    world.sandbox.regscope_config(&format!(
        "[registry.\"{}\"]\nendpoint = \"http://127.0.0.1:{port}\"\n",
        world.host
    ));
    let repo = format!("{}/team/app", world.host);
    let (code, text, stderr) = world.regscope(&["images", &repo, "--color", "never"], true);
    assert_eq!(code, 3, "{text}{stderr}");
    assert!(!text.contains("ORPHAN"), "{text}");
    assert!(text.contains("0 orphaned"), "{text}");
    assert!(
        text.contains("not checked: the tree of v1 could not be read"),
        "{text}"
    );
    let (code, out, stderr) = world.regscope(&["images", &repo, "--json"], true);
    assert_eq!(code, 3, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["complete"], false);
    let orphan = doc["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["digest"] == world.orphan.as_str())
        .unwrap();
    assert_eq!(orphan["orphan"], false, "{orphan}");
    assert_eq!(
        orphan["notChecked"], "the tree of v1 could not be read",
        "{orphan}"
    );
}

#[test]
fn aws_credentials_log_in_to_ecr_and_say_so() {
    let world = EcrWorld::new();
    let (code, stdout, stderr) = world.regscope(
        &["inspect", &format!("{}/team/app:v1", world.host), "-v"],
        true,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("ECR GetAuthorizationToken with AWS_ACCESS_KEY_ID"),
        "{stderr}"
    );
    assert!(stdout.contains("attestation"), "{stdout}");
    let (code, stdout, stderr) = world.regscope(&["auth", &world.host], true);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("GetAuthorizationToken"), "{stdout}");
    world.recorder.assert_read_only();
}

#[test]
fn without_aws_credentials_the_error_names_the_missing_piece() {
    let world = EcrWorld::new();
    let (code, stdout, stderr) =
        world.regscope(&["inspect", &format!("{}/team/app:v1", world.host)], false);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("no AWS credentials found"), "{stderr}");
    assert!(stderr.contains("aws sso login"), "{stderr}");
}

#[test]
fn the_tui_shows_ecr_untagged_images_with_their_labels() {
    let world = EcrWorld::new();
    let extra: Vec<(&str, String)> = world.aws_env();
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let argv = world
        .sandbox
        .env_argv(&AWS_VARS, &extra, &regscope_bin(), &[&world.host]);
    let mut tmux = Tmux::start_command(&argv, (160, 30));
    tmux.forbid("auth-token");
    // The repositories come from DescribeRepositories, with their settings.
    let screen = tmux.wait_for("SETTINGS (DescribeRepositories)");
    assert!(
        screen.contains("MUTABLE · no scan on push · AES256"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("tags of team/app");
    tmux.keys(&["u"]);
    let screen = tmux.wait_for("from DescribeImages");
    let screen = if screen.contains("attestation for linux/amd64 of v1") {
        screen
    } else {
        tmux.wait_for("attestation for linux/amd64 of v1")
    };
    assert!(screen.contains("ORPHAN"), "{screen}");
    assert!(screen.contains("EXPIRES (lifecycle rule 1)"), "{screen}");
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("ECR token"),
        "{screen}"
    );
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(), 0);
    world.recorder.assert_read_only();
}

// ---------------------------------------------------------------------------------------------
// What moto does not model (artifactMediaType, subjectManifestDigest, imageStatus,
// lastRecordedPullTime, scan summaries, paging): the in-process fake answering in the shapes of
// the ECR API reference, with the same real data plane.

use support::moto::{image_detail, FakeEcrApi};

/// The fake's images: the BuildKit index `v1` (scanned, pulled yesterday) and its children
/// pushed 40 days ago, a cosign signature of the amd64 child pushed now, an archived tagged
/// image. Returns them with the index, amd64, signature and archived digests, and the data
/// plane holding `v1`.
fn fake_details(password: &str) -> (TestRegistry, Vec<serde_json::Value>, [String; 4]) {
    let registry = TestRegistry::builder().htpasswd("AWS", password).start();
    registry.seed_fixture("unsigned-index", "team/app:v1");
    let layout = fixture("unsigned-index");
    let root = layout_root_digest(&layout);
    let index: serde_json::Value = serde_json::from_slice(&layout_blob(&layout, &root)).unwrap();
    let now = f64::from(u32::try_from(chrono::Utc::now().timestamp()).unwrap());
    let day = 86_400.0;
    let mut details = vec![{
        let mut d = image_detail("team/app", &root, &["v1"], OCI_INDEX, 500, now - 40.0 * day);
        d["imageScanStatus"] = serde_json::json!({"status": "COMPLETE"});
        d["imageScanFindingsSummary"] =
            serde_json::json!({"findingSeverityCounts": {"CRITICAL": 2, "LOW": 5}});
        d["lastRecordedPullTime"] = serde_json::json!(now - day);
        d
    }];
    let mut amd64 = String::new();
    for child in index["manifests"].as_array().unwrap() {
        let digest = child["digest"].as_str().unwrap();
        if child["platform"]["architecture"] == "amd64" {
            amd64 = digest.to_string();
        }
        details.push(image_detail(
            "team/app",
            digest,
            &[],
            child["mediaType"].as_str().unwrap(),
            300,
            now - 40.0 * day,
        ));
    }
    let signature = format!("sha256:{}", "51".repeat(32));
    let mut sig = image_detail("team/app", &signature, &[], support::OCI_MANIFEST, 1, now);
    sig["artifactMediaType"] = serde_json::json!("application/vnd.dev.cosign.artifact.sig.v1+json");
    sig["subjectManifestDigest"] = serde_json::json!(amd64);
    details.push(sig);
    let archived_digest = format!("sha256:{}", "a7".repeat(32));
    let mut archived = image_detail(
        "team/app",
        &archived_digest,
        &["old"],
        support::OCI_MANIFEST,
        9,
        now - 400.0 * day,
    );
    archived["imageStatus"] = serde_json::json!("ARCHIVED");
    archived["lastArchivedAt"] = serde_json::json!(now - 200.0 * day);
    details.push(archived);
    (registry, details, [root, amd64, signature, archived_digest])
}

#[test]
fn referrers_archive_scans_and_paging_from_the_documented_api_shapes() {
    let password = "fake-ecr-pa55word";
    let (registry, details, [root, amd64, signature, archived_digest]) = fake_details(password);
    let count = details.len();

    let api = FakeEcrApi::builder()
        .images(details)
        .page_size(2)
        .lifecycle_policy(
            "team/app",
            r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":30},"action":{"type":"expire"}}]}"#,
        )
        // Expired on arrival, as moto's are: used anyway, fetched once.
        .authorization(password, 1_420_070_400.0)
        .start();

    let host = format!("{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com");
    let sandbox = Sandbox::new();
    sandbox.regscope_config(&format!(
        "[registry.\"{host}\"]\nendpoint = \"{}\"\nplain_http = true\necr_api_endpoint = \"{}\"\n",
        registry.host,
        api.url()
    ));
    let mut cmd = sandbox.command(&regscope_bin());
    for var in AWS_VARS {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["images", &format!("{host}/team/app"), "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains(password));
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let images = doc["images"].as_array().unwrap();
    assert_eq!(images.len(), count, "every page was read: {doc}");
    let by = |d: &str| images.iter().find(|i| i["digest"] == d).unwrap();

    let sig = by(&signature);
    assert_eq!(sig["kind"], "artifact");
    assert!(
        sig["label"]
            .as_str()
            .unwrap()
            .starts_with("signature of untagged"),
        "{sig}"
    );
    assert_eq!(by(&amd64)["referrers"], serde_json::json!([signature]));
    let index = by(&root);
    assert_eq!(index["severityCounts"]["CRITICAL"], 2);
    assert_eq!(index["scanStatus"], "COMPLETE");
    assert!(index["lastPulledAt"].is_string());
    assert!(index["totalSize"].as_i64().unwrap() > 0);
    assert_eq!(by(&archived_digest)["status"], "ARCHIVED");
    assert!(
        by(&archived_digest)["label"]
            .as_str()
            .unwrap()
            .contains("ARCHIVED since"),
        "{doc}"
    );
    assert!(
        index["label"]
            .as_str()
            .unwrap()
            .ends_with("scan: 2 critical, 5 low"),
        "{index}"
    );

    // The dry run: the old untagged children go (breaking v1), the signature loses its subject;
    // the archived tagged image and the new signature stay.
    let planned = doc["lifecycle"]["planned"].as_array().unwrap();
    let child = planned
        .iter()
        .find(|p| p["digest"] == amd64.as_str())
        .unwrap();
    assert_eq!(child["breaks"], serde_json::json!(["v1"]));
    assert_eq!(child["orphans"], serde_json::json!([signature]));
    assert!(planned
        .iter()
        .all(|p| p["digest"] != signature.as_str() && p["digest"] != archived_digest.as_str()));

    api.assert_read_only();
    let actions = api.actions();
    let calls = |name: &str| actions.iter().filter(|a| *a == name).count();
    assert_eq!(calls("GetAuthorizationToken"), 1, "{actions:?}");
    assert!(calls("DescribeImages") >= count / 2, "paged: {actions:?}");
}

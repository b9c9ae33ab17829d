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

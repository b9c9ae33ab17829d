//! Lambda's own rules for images in ECR, beyond the manifest: the function and the repository
//! must be in the same region, and the image URI names the standard registry host.
//! <https://docs.aws.amazon.com/lambda/latest/dg/images-create.html>

use super::EcrHost;
use crate::analysis::{Code, Finding, Target};

/// Findings for deploying `registry`'s image (root `digest`) to Lambda in `function_region`
/// (`--region`, else `AWS_REGION` / `AWS_DEFAULT_REGION`; `None`: not checked).
#[must_use]
pub fn findings(registry: &str, digest: &str, function_region: Option<&str>) -> Vec<Finding> {
    let Some(EcrHost::Private(ecr)) = EcrHost::parse(registry) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(region) = function_region.filter(|r| !r.is_empty()) {
        if region != ecr.region {
            out.push(
                Finding::new(
                    Code::EcrRegionMismatch,
                    digest,
                    format!(
                        "the repository is in {} but the function would be in {region}: Lambda pulls container images only from an ECR repository in the function's own region",
                        ecr.region
                    ),
                )
                .with_fix(format!(
                    "replicate the repository to {region} (ECR replication rules) and use {}.dkr.ecr.{region}.amazonaws.com/…, or create the function in {}",
                    ecr.account, ecr.region
                )),
            );
        }
    }
    if ecr.fips {
        out.push(
            Finding::new(
                Code::EcrFipsHost,
                digest,
                "the image is named by the FIPS registry host (dkr.ecr-fips): a Lambda function's ImageUri takes the standard ECR host",
            )
            .with_fix(format!(
                "use {}.dkr.ecr.{}.amazonaws.com/… in ImageUri (Lambda's own pulls use FIPS endpoints where the region requires them)",
                ecr.account, ecr.region
            )),
        );
    }
    out
}

/// [`findings`] when `target` is Lambda and the image is in a registry (`registry`: its host;
/// `None` for an OCI layout); nothing for any other target. What `check` and every TUI view
/// give the report as the registry's facts, so they count the same findings.
#[must_use]
pub fn for_target(
    target: &Target,
    registry: Option<&str>,
    digest: &str,
    function_region: Option<&str>,
) -> Vec<Finding> {
    match (target, registry) {
        (Target::Lambda { .. }, Some(host)) => findings(host, digest, function_region),
        _ => Vec::new(),
    }
}

/// The function's region from the environment, as the AWS CLI reads it.
#[must_use]
pub fn region_from_env() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

    #[test]
    fn another_region_is_a_warning_with_the_fix() {
        let f = findings(HOST, "sha256:x", Some("us-east-1"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::EcrRegionMismatch);
        assert!(f[0].message.contains("eu-west-1") && f[0].message.contains("us-east-1"));
        assert!(findings(HOST, "sha256:x", Some("eu-west-1")).is_empty());
        assert!(findings(HOST, "sha256:x", None).is_empty());
    }

    #[test]
    fn the_fips_host_is_flagged_and_other_registries_are_not_judged() {
        let f = findings(
            "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
            "sha256:x",
            Some("us-east-1"),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::EcrFipsHost);
        assert!(findings("ghcr.io", "sha256:x", Some("us-east-1")).is_empty());
    }
}
